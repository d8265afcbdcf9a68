/*
 * Internal: the case engine's layout (shared by cases.c, the engine's core, and
 * cases_query.c, its queries and public wrappers) and its journal, the interface the
 * SQLite store (a later issue) will persist.
 *
 * The journal follows the routing engine's (docs/journal.md): every state-changing public
 * call is packed into a cc_case_jrec — its input, not its result — and executed by
 * cc_cases_replay(). When the call succeeds (CCENTER_PROPOSED included), or fails after
 * timers due by its `now` fired, the journal hook receives the record (for a failed call
 * an ADVANCE record with the engine's time). Replaying the records on a fresh engine
 * created with the same `now` (and the same audit key, set before the first record: the
 * key is never journaled, so a store cannot leak it) gives the same cases, audit chain
 * and events.
 */
#ifndef CC_WORKFLOW_CASES_INT_H
#define CC_WORKFLOW_CASES_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ccenter/workflow.h"
#include "core/map.h"
#include "core/options.h"
#include "core/snap.h"
#include "time/timer.h"
#include "workflow/wf_int.h"

/* Journal op numbers: a frozen on-disk format. A number is never reused or renumbered; a
 * retired op keeps its number. Positions each op uses (unused ones are NULL / 0):
 *   1 ADVANCE       (only now)
 *   2 OPEN          s0 case, s1 workflow, s2 actor (user data is not part of the format)
 *   3 SET_INT       s0 case, s1 actor, s2 field, i value
 *   4 SET_TEXT      s0 case, s1 actor, s2 field, s3 value
 *   5 SET_MONEY     s0 case, s1 actor, s2 field, s3 currency, i minor units
 *   6 LINK          s0 case, s1 contact, s2 actor
 *   7 TRANSITION    s0 case, s1 transition, s2 actor, s3 reason (NULL: none),
 *                   evidence / n_evidence the references in order
 *   8 APPROVE       s0 case, s1 actor, s2 reason
 *   9 REJECT        s0 case, s1 actor, s2 reason
 *  10 FORGET        s0 case
 *  11 SET_ACTOR     s0 actor, s1 roles (NULL removes the actor; "" is written as NULL)
 *  12 ADD_CALENDAR  s0 the calendar's canonical text (ccenter_calendar_write())
 *  13 ADD_WORKFLOW  s0 the workflow's canonical text (ccenter_workflow_write())
 */
typedef enum cc_case_op {
  CC_COP_ADVANCE = 1,
  CC_COP_OPEN = 2,
  CC_COP_SET_INT = 3,
  CC_COP_SET_TEXT = 4,
  CC_COP_SET_MONEY = 5,
  CC_COP_LINK = 6,
  CC_COP_TRANSITION = 7,
  CC_COP_APPROVE = 8,
  CC_COP_REJECT = 9,
  CC_COP_FORGET = 10,
  CC_COP_SET_ACTOR = 11,
  CC_COP_ADD_CALENDAR = 12,
  CC_COP_ADD_WORKFLOW = 13,
  CC_COP_COUNT_
} cc_case_op;

typedef struct cc_case_jrec {
  cc_case_op op;
  int64_t now;
  const char *s[4];
  int64_t i;
  const ccenter_case_evidence *evidence; /* TRANSITION only */
  size_t n_evidence;
  void *user_data; /* OPEN: the integrator's pointer, not part of the format */
  /* ADD_CALENDAR / ADD_WORKFLOW made by the public call: the object itself, not part of
   * the format (the record handed to the journal carries its text in s0 instead). */
  const void *obj;
} cc_case_jrec;

typedef void (*cc_cases_journal_fn)(void *ud, const cc_case_jrec *rec);

/* Pointers in a record are valid only during the hook. */
void cc_cases_set_journal(ccenter_cases *ce, cc_cases_journal_fn fn, void *ud);

/* The write-ahead hook (the store), as the routing engine's cc_engine_set_wal(): called
 * with every call's input after its argument check, before any timer fires or anything
 * changes. A non-zero return (a negative error code) fails the call with that code and
 * nothing happens. ADD_CALENDAR / ADD_WORKFLOW reach it as the journal has them: the
 * object's canonical text in s0, obj NULL (writing that text may fail the call with
 * CCENTER_ENOMEM before the hook). Replaying the accepted inputs in order on a fresh
 * engine (failed ones fail again) rebuilds the same engine. */
typedef int (*cc_cases_wal_fn)(void *ud, const cc_case_jrec *rec);
void cc_cases_set_wal(ccenter_cases *ce, cc_cases_wal_fn fn, void *ud);

/* What else the store follows, with the wal's ud; each member may be NULL:
 *   audit: every audit record, whatever the public sink (valid during the call);
 *   done:  the end of every call whose input the wal accepted, with its result, after its
 *          audit records and before its events are delivered;
 *   gone:  ccenter_cases_free() is freeing the engine. */
typedef struct cc_cases_tap {
  void (*audit)(void *ud, const ccenter_audit_record *rec);
  void (*done)(void *ud, int rc);
  void (*gone)(void *ud);
} cc_cases_tap;
void cc_cases_set_tap(ccenter_cases *ce, const cc_cases_tap *tap, void *ud);
/* Applies one record: 0, CCENTER_PROPOSED or the public call's error. */
int cc_cases_replay(ccenter_cases *ce, const cc_case_jrec *rec);
const char *cc_case_op_name(cc_case_op op);

/* Snapshots (workflow/cases_snap.c): the case engine's whole state in one blob, so that
 * a store brings it back without replaying its history: calendars and workflows (as their
 * canonical text), actors, cases with their fields, contacts, armed and paused timers,
 * pending proposals, golden windows, the limits, the statistics and counters, the audit
 * chain's position (its next sequence number and last hash), the timers' order among equal
 * deadlines, and the maps slot for slot. Not saved: user data (NULL after a restore), the
 * options, the audit key (never stored anywhere), events not yet delivered or pulled.
 *
 * cc_cases_snapshot appends to w: 0, CCENTER_EBUSY (inside a callback or a call),
 * CCENTER_ENOMEM. cc_cases_restore creates an engine from opts (as ccenter_cases_new()),
 * sets the audit key (key_len 0: none) without starting a new chain, and reads the state
 * from r (exactly one snapshot, nothing after it): 0, CCENTER_ECORRUPT, CCENTER_ENOMEM,
 * CCENTER_EINVAL (opts, key); *out set only on success. Restoring and then replaying the
 * journal records made after the snapshot gives the same state, audit records and later
 * events as the engine that was saved. */
int cc_cases_snapshot(const ccenter_cases *ce, cc_snap_w *w);
int cc_cases_restore(const ccenter_options *opts, const void *key, size_t key_len,
                     cc_snap_r *r, ccenter_cases **out);

/* ---- layout ------------------------------------------------------------------------ */

/* A field's value; text (TEXT, ACCOUNT) is owned. */
typedef struct cc_cval {
  int64_t num;
  char *text;
  char cur[4];
  uint8_t set;
} cc_cval;

/* One armed workflow timer of a case. The wheel holds one entry per armed running timer:
 * its next warning, or its expiry once every warning has passed. */
typedef struct cc_armed {
  int64_t deadline; /* expiry while running */
  int64_t remain;   /* while paused: elapsed ms, or business ms for business clocks */
  cc_timer_id wid;  /* 0 while paused */
  uint16_t timer;   /* index into the definition's timers */
  uint8_t n_warned; /* warnings fired or passed */
  uint8_t paused;
} cc_armed;

/* Wheel kinds: a workflow timer's index, or one of these. */
#define CC_K_PROPOSAL 0x10000u
#define CC_K_GOLDEN 0x10001u

/* A pending dual-control proposal: one block, the strings after the struct. */
typedef struct cc_prop {
  uint32_t tname;
  uint32_t n_ev;
  int64_t expires; /* CCENTER_NO_DEADLINE when never */
  cc_timer_id wid;
  char *maker;
  char *reason; /* NULL: none */
  ccenter_case_evidence *ev;
} cc_prop;

typedef struct cc_wfrt {
  const char *name;                 /* def's: the key in ce->workflows (core/map.h) */
  ccenter_workflow *def;            /* the engine's own copy */
  const ccenter_calendar *cal;      /* its calendar, or the engine's default */
  ccenter_workflow_stats st;
  uint64_t *n_state;                /* closings per final state (by outcome) */
  uint64_t *n_tname;                /* per transition name */
  uint64_t *n_timer;                /* expiries per timer */
  uint64_t *n_action;               /* per action, flattened by transition name */
  uint32_t *act_base;               /* first index of a transition name's actions */
} cc_wfrt;

typedef struct cc_case {
  cc_wfrt *wf;
  void *user_data;
  cc_cval *vals;      /* n_fields, allocated at the first set */
  cc_armed *armed;
  char **contacts;
  cc_prop *prop;
  int64_t opened_at, state_since, contained_at;
  cc_timer_id golden; /* 0: no window pending */
  uint16_t state;
  uint16_t n_armed, cap_armed;
  uint8_t n_contacts, cap_contacts;
  uint8_t closed;
  char id[];
} cc_case;

typedef struct cc_actor {
  char *roles; /* comma-separated, owned */
  char id[];
} cc_actor;

typedef struct cc_limit {
  uint32_t count;
  char key[]; /* transition name, 0x1f, key value */
} cc_limit;

typedef struct cc_calent {
  const char *name; /* cal's: the key in ce->calendars (core/map.h) */
  ccenter_calendar *cal;
} cc_calent;

/* Event strings that may not outlive their owners (case ids, actors, reasons, contacts)
 * are copied into chunks; a chunk is freed when no event refers to it any more. */
typedef struct cc_chunk {
  size_t used, cap, refs;
  char data[];
} cc_chunk;

typedef struct cc_cev {
  ccenter_case_event pub;
  cc_chunk *chunk;
} cc_cev;

struct ccenter_cases {
  cc_alloc user;  /* the integrator's allocator */
  cc_alloc alloc; /* counting wrapper around it: everything below goes through it */
  size_t mem;
  cc_log log;
  int64_t now;
  cc_timers timers;
  ccenter_calendar *default_cal;
  cc_map calendars; /* name -> cc_calent */
  cc_map workflows; /* name -> cc_wfrt */
  cc_map actors;    /* id -> cc_actor */
  cc_map cases;     /* id -> cc_case */
  cc_map limits;    /* key -> cc_limit; outlives forgotten cases */
  size_t n_open;
  cc_audit audit;
  ccenter_audit_fn sink;
  void *sink_ud;
  ccenter_case_event_fn ev_fn;
  void *ev_ud;
  cc_cev *ev;       /* events not yet delivered or pulled */
  size_t n_ev, cap_ev, ev_head;
  cc_cev last;      /* the event pulled last, valid until the next pull */
  int have_last;
  cc_chunk *chunk;  /* where the current unit copies its strings */
  const char *u[6]; /* the current unit's copies (see unit_begin in cases.c) */
  char *jtext;      /* ADD_CALENDAR / ADD_WORKFLOW: the canonical text, for the record */
  uint64_t ev_seq;
  int in_callback, in_exec;
  ccenter_deadline_fn dl_fn;
  void *dl_ud;
  int64_t last_dl;
  cc_cases_journal_fn j_fn;
  void *j_ud;
  cc_cases_wal_fn wal_fn;
  void *wal_ud;
  const cc_cases_tap *tap;
  void *tap_ud;
};

/* Shared by the engine's files (cases.c, cases_setup.c, cases_query.c). */
int cc_cases_id_ok(const char *s);
/* Three letters A-Z. */
int cc_cases_currency_ok(const char *s);
cc_case *cc_cases_find(const ccenter_cases *ce, const char *id);
int64_t cc_case_next_deadline(const ccenter_cases *ce, const cc_case *c);
/* The audit record of the current unit: prepared before anything changes (0 or
 * CCENTER_ENOMEM), committed and handed to the sink after. */
int cc_cases_audit_prep(ccenter_cases *ce, const char *case_id, const char *actor,
                        const char *what, const char *name, const char *from, const char *to,
                        const char *value, const char *reason,
                        const ccenter_case_evidence *ev, size_t n_ev);
void cc_cases_audit_commit(ccenter_cases *ce);
void cc_cases_case_free(ccenter_cases *ce, cc_case *c);
void cc_cases_chunk_unref(ccenter_cases *ce, cc_chunk *k);
void cc_cases_notify_deadline(ccenter_cases *ce);
int cc_cases_op_add_calendar(ccenter_cases *ce, const cc_case_jrec *r);
int cc_cases_op_add_workflow(ccenter_cases *ce, const cc_case_jrec *r);
/* A calendar's (is_wf 0) or workflow's canonical text, allocated from a. */
int cc_cases_canonical_text(const cc_alloc *a, const void *obj, int is_wf, char **out);
/* Options for the calendar and workflow parsers, so that their objects are counted. */
ccenter_options cc_cases_counting_opts(const ccenter_cases *ce);
/* The runtime of a checked definition d whose calendar (if any) the engine has: zeroed
 * statistics, counters laid out by cc_cases_wfrt_counters(d). On success it owns d; NULL
 * (out of memory) leaves d to the caller. */
cc_wfrt *cc_cases_wfrt_new(ccenter_cases *ce, ccenter_workflow *d);
size_t cc_cases_wfrt_counters(const ccenter_workflow *d);
/* Frees a runtime and its definition (w may be NULL). */
void cc_cases_wfrt_free(ccenter_cases *ce, cc_wfrt *w);

#endif
