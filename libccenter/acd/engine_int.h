/*
 * Internal interface of the engine for the adapters (uv/, the future store/) and tests.
 *
 * The journal. Every state-changing public call is packed into a cc_jrec (its input, not
 * its result) and executed by cc_engine_exec(). When the call succeeds — or when it fails
 * after the timers due by its `now` fired — the journal hook receives the record (for a
 * failed call, an ADVANCE record with the same now). Executing the same records on a fresh
 * engine created with the same `now` reproduces the same state and the same events.
 */
#ifndef CC_ACD_ENGINE_INT_H
#define CC_ACD_ENGINE_INT_H

#include "ccenter/engine.h"
#include "core/options.h"

typedef enum cc_op {
  CC_OP_ADVANCE = 1,
  CC_OP_ENGINE_SET,
  CC_OP_QUEUE_ADD,
  CC_OP_QUEUE_REMOVE,
  CC_OP_QUEUE_SET,
  CC_OP_QUEUE_SET_OVERFLOW,
  CC_OP_AGENT_ADD,
  CC_OP_AGENT_REMOVE,
  CC_OP_AGENT_LOGIN,
  CC_OP_AGENT_LOGOUT,
  CC_OP_AGENT_READY,
  CC_OP_AGENT_NOT_READY,
  CC_OP_AGENT_SERVE,
  CC_OP_AGENT_UNSERVE,
  CC_OP_AGENT_SET_CAPACITY,
  CC_OP_AGENT_SET_OVERLAP,
  CC_OP_AGENT_SET_WRAP_UP,
  CC_OP_OFFER_ACCEPT,
  CC_OP_OFFER_REJECT,
  CC_OP_OFFER_MISSED,
  CC_OP_CONTACT_ENQUEUE,
  CC_OP_CONTACT_ABANDON,
  CC_OP_CONTACT_REMOVE,
  CC_OP_CONTACT_END,
  CC_OP_CONTACT_HOLD,
  CC_OP_CONTACT_RESUME,
  CC_OP_AGENT_WRAP_UP_END,
  CC_OP_AGENT_WRAP_UP_EXTEND,
  CC_OP_CONTACT_DISPOSITION,
  CC_OP_CONTACT_SURVEY,
  CC_OP_CONTACT_TRANSFER_QUEUE,
  CC_OP_CONTACT_TRANSFER_AGENT,
  CC_OP_CONTACT_REQUEUE,
  CC_OP_CONTACT_CONSULT_START,
  CC_OP_CONTACT_CONSULT_COMPLETE,
  CC_OP_CONTACT_CONSULT_CANCEL,
  CC_OP_CONTACT_CALLBACK,
  CC_OP_QUEUE_SET_THRESHOLDS,
  CC_OP_AGENT_SET_SKILL,
  CC_OP_AGENT_SET_ATTR,
  CC_OP_AGENT_SERVE_2,
  CC_OP_QUEUE_ADD_STEP,
  CC_OP_QUEUE_CLEAR_STEPS,
  CC_OP_COUNT_
} cc_op;

/* Arguments by position; which ones an op uses is fixed per op (see engine.c). */
typedef struct cc_jrec {
  cc_op op;
  int64_t now;
  const char *s[3];
  int64_t i[3];
  const ccenter_contact_params *params; /* CONTACT_ENQUEUE only; may be NULL */
  const int64_t *arr;                   /* QUEUE_SET_THRESHOLDS only */
  size_t n_arr;
} cc_jrec;

typedef void (*cc_journal_fn)(void *ud, const cc_jrec *rec);
typedef void (*cc_deadline_fn)(void *ud, int64_t next_deadline);

/* Observers see every event before the integrator's callback, while the engine refuses
 * state changes (as in the callback). Used by the statistics and export sinks. */
typedef void (*cc_observer_fn)(void *ud, ccenter_engine *e, const ccenter_event *ev);

/* Statistics settings (ccenter_engine_set STATS_*, SHORT_ABANDON, REPEAT_WINDOW). */
typedef struct cc_stats_cfg {
  int64_t interval_ms;
  int64_t keep;
  int64_t short_abandon_ms;
  int64_t repeat_window_ms;
} cc_stats_cfg;

/* A queue's service-level settings. */
typedef struct cc_sla_cfg {
  int64_t threshold_ms;
  int64_t target_bp;
  int64_t warning_pct;
  size_t n_extra;
  int64_t extra_ms[8];
} cc_sla_cfg;

int cc_engine_exec(ccenter_engine *e, const cc_jrec *rec);
/* At most 4 observers; CCENTER_EBUSY beyond. */
int cc_engine_add_observer(ccenter_engine *e, cc_observer_fn fn, void *ud);
void cc_engine_remove_observer(ccenter_engine *e, cc_observer_fn fn, void *ud);
const cc_stats_cfg *cc_engine_stats_cfg(const ccenter_engine *e);
/* CCENTER_ENOENT for an unknown (or removed) queue. */
int cc_engine_queue_sla(const ccenter_engine *e, const char *queue, cc_sla_cfg *out);
/* Changes whenever any queue's service-level settings change (or a queue is added), so an
 * observer can keep copies and refresh them only then. */
uint64_t cc_engine_sla_version(const ccenter_engine *e);
/* The statistics observer's pointer in the engine's object behind an id string of an event
 * being delivered (ev->agent and agent_to, ev->queue and queue_to, ev->contact): those
 * strings live inside the objects, so the observer reaches its own record for the object
 * without a lookup by id. A slot starts NULL; the engine never reads it. Only for strings
 * taken from an event, during its delivery (the object may be freed right after). */
void **cc_engine_agent_slot(const char *ev_agent);
void **cc_engine_queue_slot(const char *ev_queue);
void **cc_engine_contact_slot(const char *ev_contact);
/* The statistics object the engine owns, freed with free_fn when the engine is freed (last).
 * contact_gone(stats, record) is called when the engine frees a contact whose slot is still
 * set (the contact had not ended: the engine is being freed), so the record goes too. */
void cc_engine_set_stats(ccenter_engine *e, void *stats, void (*free_fn)(void *stats),
                         void (*contact_gone)(void *stats, void *record));
void *cc_engine_get_stats(const ccenter_engine *e);
/* Tests: decide with the plain router that walks every agent and contact. */
void cc_engine_set_reference_routing(ccenter_engine *e, int on);
/* The allocator the engine was created with. */
const cc_alloc *cc_engine_alloc(const ccenter_engine *e);
void cc_engine_set_journal(ccenter_engine *e, cc_journal_fn fn, void *ud);
/* Called after every call that may have changed the next deadline (and once at once).
 * One hook per engine: CCENTER_EBUSY if one is set already; fn NULL removes it. */
int cc_engine_set_deadline_hook(ccenter_engine *e, cc_deadline_fn fn, void *ud);
/* Name of an op, for logs and tests. */
const char *cc_op_name(cc_op op);
/* Bytes the engine holds (tables, objects, timers), for benchmarks. */
size_t cc_engine_memory(const ccenter_engine *e);
/* Checks every internal invariant; returns NULL or a description of the first breach. */
const char *cc_engine_check(const ccenter_engine *e);

#endif
