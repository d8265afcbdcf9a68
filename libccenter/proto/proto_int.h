/* Internal interface of the wire protocol adapter (libccenter/proto/). */
#ifndef CC_PROTO_INT_H
#define CC_PROTO_INT_H

#include "ccenter/proto.h"

#include "proto/ccenter.pb-c.h"

/* A string for a generated struct: protobuf-c's fields are `char *` but never written. */
static inline char *cc_pb_str(const char *s)
{
  return (char *)(s ? s : "");
}

/* Fills the Snapshot message from the engines: every live queue, agent and contact, every
 * open case, in id order. Its arrays are allocated; cc_pb_snapshot_free releases them.
 * 0 or CCENTER_ENOMEM. */
int cc_pb_snapshot_fill(ccenter_engine *engine, ccenter_cases *cases, int64_t now,
                        Ccenter__V1__Snapshot *snap);
void cc_pb_snapshot_free(Ccenter__V1__Snapshot *snap);

/* One info message from the public query functions; the strings point into the engine
 * (valid until its next state change). 0 or the query's error. */
int cc_pb_queue_info(const ccenter_engine *e, const char *id, int64_t now,
                     Ccenter__V1__QueueInfo *m);
int cc_pb_agent_info(const ccenter_engine *e, const char *id, int64_t now,
                     Ccenter__V1__AgentInfo *m, uint32_t in_channel[CCENTER_CHANNEL_COUNT_]);
int cc_pb_contact_info(const ccenter_engine *e, const char *id, int64_t now,
                       Ccenter__V1__ContactInfo *m);
/* contacts: an array the function allocates (free() it), NULL when none. */
int cc_pb_case_info(const ccenter_cases *ce, const char *id, Ccenter__V1__CaseInfo *m);
void cc_pb_case_info_free(Ccenter__V1__CaseInfo *m);

#endif
