/* The wire protocol without protobuf-c (feature 'proto' off): the dispatcher's functions
 * are exported and say CCENTER_ENOTSUP (the framing, frame.c, is always built), so
 * programs link the same against any build. */
#include "ccenter/proto.h"

int ccenter_proto_dispatcher_new(const ccenter_proto_config *cfg, ccenter_proto_dispatcher **out)
{
  (void)cfg;
  (void)out;
  return CCENTER_ENOTSUP;
}

void ccenter_proto_dispatcher_free(ccenter_proto_dispatcher *d)
{
  (void)d;
}

int ccenter_proto_session_new(ccenter_proto_dispatcher *d, void *session_data,
                              ccenter_proto_session **out)
{
  (void)d;
  (void)session_data;
  (void)out;
  return CCENTER_ENOTSUP;
}

void ccenter_proto_session_free(ccenter_proto_session *s)
{
  (void)s;
}

ccenter_proto_role ccenter_proto_session_role(const ccenter_proto_session *s)
{
  (void)s;
  return CCENTER_PROTO_ROLE_UNSPECIFIED;
}

const char *ccenter_proto_session_principal(const ccenter_proto_session *s)
{
  (void)s;
  return NULL;
}

int ccenter_proto_dispatch(ccenter_proto_dispatcher *d, ccenter_proto_session *s,
                           const void *data, size_t len, int64_t now)
{
  (void)d;
  (void)s;
  (void)data;
  (void)len;
  (void)now;
  return CCENTER_ENOTSUP;
}

int ccenter_proto_dispatcher_advance(ccenter_proto_dispatcher *d, int64_t now)
{
  (void)d;
  (void)now;
  return CCENTER_ENOTSUP;
}

int ccenter_proto_dispatcher_flush(ccenter_proto_dispatcher *d)
{
  (void)d;
  return CCENTER_ENOTSUP;
}

uint64_t ccenter_proto_dispatcher_last_seq(const ccenter_proto_dispatcher *d)
{
  (void)d;
  return 0;
}

int ccenter_proto_dispatcher_preload(ccenter_proto_dispatcher *d, uint64_t seq,
                                     const void *frame, size_t len)
{
  (void)d;
  (void)seq;
  (void)frame;
  (void)len;
  return CCENTER_ENOTSUP;
}
