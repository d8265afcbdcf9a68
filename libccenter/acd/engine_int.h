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
#include "acd/observer.h"
#include "core/options.h"

/* Journal op numbers: a frozen on-disk format (docs/journal.md). A number is never reused
 * or renumbered; a retired op keeps its number, marked retired here. */
typedef enum cc_op {
  CC_OP_ADVANCE = 1,
  CC_OP_ENGINE_SET = 2,
  CC_OP_QUEUE_ADD = 3,
  CC_OP_QUEUE_REMOVE = 4,
  CC_OP_QUEUE_SET = 5,
  CC_OP_QUEUE_SET_OVERFLOW = 6,
  CC_OP_AGENT_ADD = 7,
  CC_OP_AGENT_REMOVE = 8,
  CC_OP_AGENT_LOGIN = 9,
  CC_OP_AGENT_LOGOUT = 10,
  CC_OP_AGENT_READY = 11,
  CC_OP_AGENT_NOT_READY = 12,
  CC_OP_AGENT_SERVE = 13,
  CC_OP_AGENT_UNSERVE = 14,
  CC_OP_AGENT_SET_CAPACITY = 15,
  CC_OP_AGENT_SET_OVERLAP = 16,
  CC_OP_AGENT_SET_WRAP_UP = 17,
  CC_OP_OFFER_ACCEPT = 18,
  CC_OP_OFFER_REJECT = 19,
  CC_OP_OFFER_MISSED = 20,
  CC_OP_CONTACT_ENQUEUE = 21,
  CC_OP_CONTACT_ABANDON = 22,
  CC_OP_CONTACT_REMOVE = 23,
  CC_OP_CONTACT_END = 24,
  CC_OP_CONTACT_HOLD = 25,
  CC_OP_CONTACT_RESUME = 26,
  CC_OP_AGENT_WRAP_UP_END = 27,
  CC_OP_AGENT_WRAP_UP_EXTEND = 28,
  CC_OP_CONTACT_DISPOSITION = 29,
  CC_OP_CONTACT_SURVEY = 30,
  CC_OP_CONTACT_TRANSFER_QUEUE = 31,
  CC_OP_CONTACT_TRANSFER_AGENT = 32,
  CC_OP_CONTACT_REQUEUE = 33,
  CC_OP_CONTACT_CONSULT_START = 34,
  CC_OP_CONTACT_CONSULT_COMPLETE = 35,
  CC_OP_CONTACT_CONSULT_CANCEL = 36,
  CC_OP_CONTACT_CALLBACK = 37,
  CC_OP_QUEUE_SET_THRESHOLDS = 38,
  CC_OP_AGENT_SET_SKILL = 39,
  CC_OP_AGENT_SET_ATTR = 40,
  /* 41: retired (0.1's agent_serve_2, now AGENT_SERVE) */
  CC_OP_QUEUE_ADD_STEP = 42,
  CC_OP_QUEUE_CLEAR_STEPS = 43,
  CC_OP_COUNT_
} cc_op;

/* Arguments by position; which ones an op uses is fixed per op (docs/journal.md).
 * user_data (QUEUE_ADD, AGENT_ADD; CONTACT_ENQUEUE has it in params) is the integrator's
 * pointer: not part of the on-disk format. */
typedef struct cc_jrec {
  cc_op op;
  int64_t now;
  const char *s[3];
  int64_t i[3];
  const ccenter_contact_params *params; /* CONTACT_ENQUEUE only; may be NULL */
  const int64_t *arr;                   /* QUEUE_SET_THRESHOLDS only */
  size_t n_arr;
  void *user_data;
} cc_jrec;

typedef void (*cc_journal_fn)(void *ud, const cc_jrec *rec);

/* The write-ahead hook (the store): called with every call's input after its argument
 * check and memory reservation, before any timer fires or anything changes. A non-zero
 * return (a negative error code) fails the call with that code and nothing happens. The
 * input is the record as the caller built it, whether the call will then succeed or fail:
 * replaying it does the same (an input that failed fails again, after firing the same
 * timers), so a write-ahead journal replays to the same engine. */
typedef int (*cc_wal_fn)(void *ud, const cc_jrec *rec);

int cc_engine_exec(ccenter_engine *e, const cc_jrec *rec);
/* The engine alone, without observers: ccenter_engine_new() (libccenter/ccenter.c) is this
 * plus the observers the options ask for. */
int cc_engine_create(const ccenter_options *opts, int64_t now, ccenter_engine **out);
/* Tests: decide with the plain router that walks every agent and contact. */
void cc_engine_set_reference_routing(ccenter_engine *e, int on);
void cc_engine_set_journal(ccenter_engine *e, cc_journal_fn fn, void *ud);
void cc_engine_set_wal(ccenter_engine *e, cc_wal_fn fn, void *ud);
/* Name of an op, for logs and tests. */
const char *cc_op_name(cc_op op);
/* Bytes the engine holds (tables, objects, timers), for benchmarks. */
size_t cc_engine_memory(const ccenter_engine *e);
/* Checks every internal invariant; returns NULL or a description of the first breach. */
const char *cc_engine_check(const ccenter_engine *e);

/* Snapshots (acd/snapshot.c): the engine's whole state in one blob, so that a store brings
 * it back without replaying its history. Saved: every queue (removed ones still in use
 * too), agent and contact with every field, their memberships, works (offers,
 * conversations, wrap-ups), steps and requirement classes, the routing indexes' keys, the
 * timers with their deadlines and their order among equal deadlines, EWT and service-level
 * samples, the random generator, sticky-agent records, the counters and settings of
 * ccenter_engine_set(), the maps slot for slot (so that every later iteration goes as in
 * the engine saved), and the state of every observer with a name (the statistics).
 * Not saved: user data (NULL after a restore), the options (allocator, log, event receivers,
 * mask: the restore's own), events raised but not yet delivered or pulled, and buried
 * objects that only such events still name.
 *
 * cc_engine_snapshot appends to w. CCENTER_EBUSY inside a callback or a call (the state is
 * between two inputs only outside them), CCENTER_ENOMEM. */
int cc_engine_snapshot(const ccenter_engine *e, cc_snap_w *w);
/* An engine from a snapshot read from r (which must hold exactly one, nothing after it):
 * created with opts as cc_engine_create() would, then attach(ud, e) plugs in the
 * observers (may be NULL), then the state is read back. An observer section whose
 * observer is not attached is skipped; an attached observer with a name but no section in
 * the snapshot gives CCENTER_ECONDITION (the statistics were off when it was taken).
 * 0, CCENTER_ECORRUPT, CCENTER_ECONDITION, CCENTER_ENOMEM, CCENTER_EINVAL (opts), or
 * attach's error; *out is set only on success. Restoring a snapshot and then executing the
 * journal records made after it gives the same state and the same later events as the
 * engine that was saved. */
int cc_engine_restore(const ccenter_options *opts, cc_snap_r *r,
                      int (*attach)(void *ud, ccenter_engine *e), void *ud,
                      ccenter_engine **out);
/* The composition root's restore (libccenter/ccenter.c): cc_engine_restore() with the
 * observers ccenter_engine_new() would attach for opts. */
int cc_engine_load_snapshot(const ccenter_options *opts, const void *blob, size_t len,
                            ccenter_engine **out);

#endif
