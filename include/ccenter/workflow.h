/*
 * libccenter — workflows: the case engine of a bank's fraud-emergency team.
 *
 * A workflow is a definition: states, transitions (each allowed to one role, guarded by
 * conditions over the case's fields, asking for evidence, optionally under dual control),
 * timers (elapsed, calendar or business time; warnings before expiry; on expiry a
 * transition, an alert or an escalation) and limits across cases ("a receiving account
 * may be stopped at most twice"). A case is one run of a workflow: its state, typed
 * fields, linked contacts, pending proposal and armed timers.
 *
 * The case engine (ccenter_cases) holds workflows, calendars, actors with their roles and
 * cases. Like the routing engine it does no I/O and reads no clock: every call that
 * changes state takes `now`, here milliseconds since the Unix epoch in UTC (calendars
 * need wall time). Same inputs, same outputs, same events.
 *
 * Events are delivered to a callback (ccenter_cases_set_event_callback()) or, when no
 * callback is set, queued and pulled with ccenter_cases_next_event(). Re-entrancy is the
 * routing engine's: inside the callback only queries and the user-data functions may be
 * called (anything else gives CCENTER_ECALLBACK).
 *
 * Every input the engine accepts is appended to an audit hash chain (SHA-256, or
 * HMAC-SHA-256 with an integrator key): see "Audit" below.
 *
 * Errors follow the rest of the library: a negative ccenter_errno, and a call that fails
 * changes nothing. Time is the one exception, as in the routing engine: a call at `now`
 * first fires the timers due by `now`, and that stands even if the call then fails
 * (malformed arguments are refused before, and then nothing happens). Every call that
 * takes `now` may fail with CCENTER_EINVAL (NULL or malformed argument), CCENTER_ERANGE
 * (now outside CCENTER_TIME_MIN..CCENTER_TIME_MAX), CCENTER_ETIME (now went backwards),
 * CCENTER_ECALLBACK (called from inside a callback) and CCENTER_ENOMEM; on an engine
 * created through a store (ccenter/store.h) also with the store's write errors
 * (CCENTER_EIO, CCENTER_ENOSPC). Codes specific to this header: CCENTER_EPERM (the actor
 * lacks the role, or is the maker approving their own proposal), CCENTER_ECONDITION (a
 * guard is false, required evidence is missing, or a limit's key field is not set),
 * CCENTER_EFULL (a limit across cases was reached).
 *
 * Not thread-safe: one thread at a time per case engine and per workflow object.
 */
#ifndef CCENTER_WORKFLOW_H
#define CCENTER_WORKFLOW_H

#include "ccenter/common.h"
#include "ccenter/options.h"
#include "ccenter/calendar.h"
#include "ccenter/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An opaque workflow definition. */
typedef struct ccenter_workflow ccenter_workflow;
/** An opaque case engine. */
typedef struct ccenter_cases ccenter_cases;

/** Limits. Going past one gives CCENTER_EFULL. Names: 1..64 bytes of [A-Za-z0-9_.:-]. */
#define CCENTER_WF_MAX_NAME 64
#define CCENTER_WF_MAX_STATES 256
#define CCENTER_WF_MAX_TRANSITIONS 1024
#define CCENTER_WF_MAX_TIMERS 256
#define CCENTER_WF_MAX_FIELDS 256
#define CCENTER_WF_MAX_GUARDS 16      /**< per transition */
#define CCENTER_WF_MAX_EVIDENCE 16    /**< required evidence names per transition */
#define CCENTER_WF_MAX_ACTIONS 16     /**< actions per transition */
#define CCENTER_WF_MAX_WARNINGS 8     /**< warnings per timer */
#define CCENTER_WF_MAX_ROLES 32       /**< roles per actor */
#define CCENTER_WF_MAX_TEXT 4096      /**< a text field, a reason or an evidence reference */
#define CCENTER_WF_MAX_CASE_ID 256    /**< bytes of a case, actor or contact id */
#define CCENTER_WF_MAX_CONTACTS 64    /**< contacts linked to one case */

/** The actor the engine uses for what its timers do. Integrators cannot use this id. */
#define CCENTER_WF_SYSTEM_ACTOR "system"

/** The types of case fields. */
typedef enum ccenter_field_type {
  CCENTER_FIELD_TEXT = 1,    /**< free text */
  CCENTER_FIELD_INT = 2,     /**< a signed 64-bit integer */
  CCENTER_FIELD_MONEY = 3,   /**< integer minor units and an ISO 4217 currency code */
  CCENTER_FIELD_FLAG = 4,    /**< 0 or 1 */
  CCENTER_FIELD_TIME = 5,    /**< an instant, ms since the epoch (UTC) */
  CCENTER_FIELD_ACCOUNT = 6  /**< an account reference (text; limits count by it) */
} ccenter_field_type;

/** State flags. */
#define CCENTER_STATE_INITIAL 0x1u   /**< where ccenter_case_open() puts a case (exactly one) */
#define CCENTER_STATE_FINAL 0x2u     /**< the case is closed here, with the state's outcome */
#define CCENTER_STATE_CONTAINED 0x4u /**< reaching it counts as "contained" (golden window) */

/** What a timer counts. */
typedef enum ccenter_timer_clock {
  CCENTER_CLOCK_ELAPSED = 0,        /**< amount in ms of elapsed time */
  CCENTER_CLOCK_DAYS = 1,           /**< amount in calendar days, same local time */
  CCENTER_CLOCK_MONTHS = 2,         /**< amount in civil months, clamped at month end */
  CCENTER_CLOCK_BUSINESS_DAYS = 3,  /**< amount in business days, end of the last one */
  CCENTER_CLOCK_BUSINESS_DAYS_SAME_TIME = 4, /**< business days, same local time */
  CCENTER_CLOCK_BUSINESS_TIME = 5   /**< amount in ms of the calendar's opening time */
} ccenter_timer_clock;

/** What happens when a timer expires. */
typedef enum ccenter_timer_expiry {
  CCENTER_EXPIRY_ALERT = 0,      /**< a CCENTER_CASE_ALERT event naming the timer */
  CCENTER_EXPIRY_TRANSITION = 1, /**< the named transition, taken by the system actor */
  CCENTER_EXPIRY_ESCALATE = 2    /**< a CCENTER_CASE_ESCALATION event to the named role */
} ccenter_timer_expiry;

/** Timer flags. */
/** The expiry is a missed deadline (counted in the statistics, CCENTER_CASE_DEADLINE_MISSED). */
#define CCENTER_TIMER_DEADLINE 0x1u
/** Keeps running after the case leaves the start state, until the case closes. */
#define CCENTER_TIMER_KEEP 0x2u

/* ---------------------------------------------------------------------------------- */
/* Definitions                                                                          */

/**
 * Creates an empty workflow named `name`. opts may be NULL; only its allocator is used.
 * Errors: CCENTER_EINVAL (NULL or bad name), CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_workflow_new(const ccenter_options *opts, const char *name,
                                        ccenter_workflow **out);

/** Frees a workflow. NULL does nothing. Since 0.2. */
CCENTER_EXPORT void ccenter_workflow_free(ccenter_workflow *wf);

/** The workflow's name; NULL for NULL. Since 0.2. */
CCENTER_EXPORT const char *ccenter_workflow_name(const ccenter_workflow *wf);

/**
 * Names the calendar (ccenter_cases_add_calendar()) that business and calendar timers
 * use; without one they use UTC with Monday to Friday open all day. `calendar` follows the
 * calendar name rules (ccenter_calendar_new()). Errors: CCENTER_EINVAL (NULL or bad
 * name), CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_workflow_set_calendar(ccenter_workflow *wf, const char *calendar);

/**
 * Sets the golden window: a case that reaches a CONTAINED state within `ms` of opening
 * meets it (CCENTER_CASE_GOLDEN_MET), otherwise it is missed (CCENTER_CASE_GOLDEN_MISSED
 * when the window ends, or when the case closes uncontained before). 0 turns it off.
 * Errors: CCENTER_EINVAL, CCENTER_ERANGE (ms < 0 or more than 100 years, 36,600 days).
 * Since 0.2.
 */
CCENTER_EXPORT int ccenter_workflow_set_golden(ccenter_workflow *wf, int64_t ms);

/**
 * Declares a case field. Errors: CCENTER_EINVAL (bad name or type), CCENTER_EEXIST,
 * CCENTER_EFULL, CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_workflow_add_field(ccenter_workflow *wf, const char *name,
                                              ccenter_field_type type);

/**
 * Adds a state. `flags` are CCENTER_STATE_*; a FINAL state needs an `outcome` (a name:
 * REIMBURSED, RECOVERED...), other states must pass NULL. Errors: CCENTER_EINVAL,
 * CCENTER_EEXIST, CCENTER_EFULL, CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_workflow_add_state(ccenter_workflow *wf, const char *name,
                                              unsigned flags, const char *outcome);

/**
 * Adds a transition `name` from the states in `from` (a comma-separated list, or "*" for
 * every state added so far that is not final) to `to`, allowed to actors with `role` (NULL: only the
 * system actor, i.e. timers). One name may be added again with other source states as
 * long as no source state repeats. Errors: CCENTER_EINVAL (bad name; unknown state in
 * from or to; a final source state), CCENTER_EEXIST (name already leaves one of these
 * states), CCENTER_EFULL, CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_workflow_add_transition(ccenter_workflow *wf, const char *name,
                                                   const char *from, const char *to,
                                                   const char *role);

/**
 * Puts a transition under dual control (maker-checker): an actor with its role proposes
 * it, and it takes effect only when a different actor with `approver_role` approves.
 * A proposal not decided within `expires_ms` (0: never) expires. Applies to every source
 * state of that name. Errors: CCENTER_EINVAL (unknown transition, bad role),
 * CCENTER_ERANGE (expires_ms < 0 or more than 100 years), CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_workflow_set_dual(ccenter_workflow *wf, const char *transition,
                                             const char *approver_role, int64_t expires_ms);

/**
 * Adds a guard to a transition: every guard must hold when it is taken (and again when
 * a proposal is approved). Syntax: `field` (a flag is 1, or any other field is set),
 * `!field` (not set, or a flag is 0), or `field OP value` with OP one of == != < <= > >=
 * and value an integer (INT, FLAG, TIME fields; money in minor units, currency ignored),
 * or a word for TEXT and ACCOUNT fields (== and != only).
 * Errors: CCENTER_EINVAL (unknown transition), CCENTER_ESYNTAX (bad expression, unknown
 * field, operator not allowed for the type), CCENTER_EFULL, CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_workflow_add_guard(ccenter_workflow *wf, const char *transition,
                                              const char *expr);

/**
 * Requires an evidence reference named `evidence` in the input of a transition (a police
 * reference, a platform message id, a recording id). Errors: CCENTER_EINVAL,
 * CCENTER_EEXIST, CCENTER_EFULL, CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_workflow_require_evidence(ccenter_workflow *wf,
                                                     const char *transition,
                                                     const char *evidence);

/**
 * Makes a transition request an action the integrator must carry out (place the stop,
 * call the customer back, notify police): a CCENTER_CASE_ACTION event when the
 * transition takes effect, with a deadline `within_ms` later (0: no deadline).
 * Errors: CCENTER_EINVAL, CCENTER_ERANGE, CCENTER_EFULL, CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_workflow_add_action(ccenter_workflow *wf, const char *transition,
                                               const char *action, int64_t within_ms);

/**
 * Limits a transition across all cases of the engine: it may be taken at most `max`
 * times per value of the ACCOUNT (or TEXT) field `key_field` (the receiving account). Taking it
 * once more fails with CCENTER_EFULL; reaching the limit raises
 * CCENTER_CASE_LIMIT_REACHED. The engine counts by transition name and value across all
 * its workflows, forgotten cases included; a case whose key field is not set cannot take
 * the transition (CCENTER_ECONDITION). Errors: CCENTER_EINVAL (unknown transition or
 * field, field not ACCOUNT or TEXT), CCENTER_ERANGE (max < 1), CCENTER_EEXIST. Since 0.2.
 */
CCENTER_EXPORT int ccenter_workflow_add_limit(ccenter_workflow *wf, const char *transition,
                                              const char *key_field, uint32_t max);

/**
 * Adds a timer. It starts when a case enters `start_state` (or, with start_state NULL,
 * when the TIME field named by ccenter_workflow_timer_start_field() is set: it then runs
 * from that field's value) and stops when the case leaves the start state (unless flagged
 * CCENTER_TIMER_KEEP) or closes. `clock` and `amount` give its length (amount >= 0:
 * milliseconds for ELAPSED and BUSINESS_TIME, a count of days or months otherwise).
 * `on_expiry` and `target`: a transition name (TRANSITION), a role (ESCALATE), NULL
 * (ALERT). The system actor takes an expiry's transition without role or dual control
 * (a pending proposal is withdrawn: CCENTER_CASE_REJECTED by the system actor); when the
 * transition does not leave the current state, or its guards, evidence or limit fail,
 * the expiry raises a CCENTER_CASE_ALERT instead. A running timer is not restarted when
 * the case re-enters its start state from another state; a transition from its start
 * state to itself (a second stop, a renewal) restarts it. `flags` are CCENTER_TIMER_*.
 * Errors: CCENTER_EINVAL
 * (bad name, unknown state, target missing or unknown), CCENTER_ERANGE, CCENTER_EEXIST,
 * CCENTER_EFULL, CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_workflow_add_timer(ccenter_workflow *wf, const char *name,
                                              const char *start_state,
                                              ccenter_timer_clock clock, int64_t amount,
                                              ccenter_timer_expiry on_expiry,
                                              const char *target, unsigned flags);

/**
 * Starts a timer from a TIME field instead of a state: when the field is set, the timer
 * runs from the field's value (restarting if the field changes). Errors: CCENTER_EINVAL
 * (unknown timer or field, not a TIME field, the timer has a start state). Since 0.2.
 */
CCENTER_EXPORT int ccenter_workflow_timer_start_field(ccenter_workflow *wf, const char *timer,
                                                      const char *field);

/**
 * Adds an early warning `before_ms` before a timer expires (CCENTER_CASE_TIMER_WARNING).
 * Errors: CCENTER_EINVAL, CCENTER_ERANGE (before_ms <= 0 or more than 100 years),
 * CCENTER_EEXIST (the timer already warns then), CCENTER_EFULL.
 * Since 0.2.
 */
CCENTER_EXPORT int ccenter_workflow_timer_warn(ccenter_workflow *wf, const char *timer,
                                               int64_t before_ms);

/**
 * Stops a timer's clock while the case is in `state` ("stop the clock" while waiting for
 * information); it resumes with the time it had left when the case leaves (business
 * time for business clocks, elapsed time otherwise). A case moving from the timer's start
 * state into a pause state keeps the timer, paused. Errors:
 * CCENTER_EINVAL (unknown timer or state), CCENTER_EEXIST, CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_workflow_timer_pause_in(ccenter_workflow *wf, const char *timer,
                                                   const char *state);

/**
 * Checks a workflow for completeness: exactly one initial state, a CONTAINED state when
 * there is a golden window, every final state has an outcome, every timer has a start
 * state or a start field, every TRANSITION timer's transition exists and (unless the
 * timer is CCENTER_TIMER_KEEP) leaves the timer's start state, every non-final state can
 * reach a final one.
 * ccenter_cases_add_workflow() runs the same check. On CCENTER_ESYNTAX, err (may be NULL)
 * says what is wrong. Errors: CCENTER_EINVAL, CCENTER_ESYNTAX. Since 0.2.
 */
CCENTER_EXPORT int ccenter_workflow_check(const ccenter_workflow *wf,
                                          ccenter_parse_error *err);

/**
 * Builds a workflow from its text form (docs/workflows.md, "Workflow files"). `source`
 * names the text in messages. Errors: CCENTER_EINVAL, CCENTER_ESYNTAX (err says where),
 * CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_workflow_parse(const ccenter_options *opts, const char *text,
                                          size_t len, const char *source,
                                          ccenter_workflow **out, ccenter_parse_error *err);

/**
 * Writes the workflow's canonical text form (parsing it gives an equal workflow), or with
 * ccenter_workflow_write_dot() a Graphviz digraph of its states and transitions. Same
 * buffer contract as ccenter_calendar_write(). Errors: CCENTER_EINVAL, CCENTER_ERANGE.
 * Since 0.2.
 */
CCENTER_EXPORT int ccenter_workflow_write(const ccenter_workflow *wf, char *buf, size_t size,
                                          size_t *needed);
CCENTER_EXPORT int ccenter_workflow_write_dot(const ccenter_workflow *wf, char *buf,
                                              size_t size, size_t *needed);

/**
 * Adapter (does file I/O): reads and parses a workflow file. Errors: as
 * ccenter_workflow_parse(), and CCENTER_EIO. Since 0.2.
 */
CCENTER_EXPORT int ccenter_workflow_load_file(const ccenter_options *opts, const char *path,
                                              ccenter_workflow **out,
                                              ccenter_parse_error *err);

/* ---------------------------------------------------------------------------------- */
/* Case events                                                                          */

typedef enum ccenter_case_event_type {
  CCENTER_CASE_OPENED = 1,          /**< a case was opened in its initial state */
  CCENTER_CASE_STATE_CHANGED = 2,   /**< from, to, transition, actor */
  CCENTER_CASE_FIELD_SET = 3,       /**< field, actor */
  CCENTER_CASE_ACTION = 4,          /**< action (and deadline, or CCENTER_NO_DEADLINE) */
  CCENTER_CASE_APPROVAL_NEEDED = 5, /**< transition, actor (the maker), role (approver's) */
  CCENTER_CASE_APPROVED = 6,        /**< transition, actor (the checker) */
  CCENTER_CASE_REJECTED = 7,        /**< transition, actor (the checker), reason */
  CCENTER_CASE_PROPOSAL_EXPIRED = 8,/**< transition */
  CCENTER_CASE_TIMER_WARNING = 9,   /**< timer, deadline */
  CCENTER_CASE_TIMER_EXPIRED = 10,  /**< timer, deadline (followed by what it does) */
  CCENTER_CASE_ALERT = 11,          /**< timer */
  CCENTER_CASE_ESCALATION = 12,     /**< timer, role */
  CCENTER_CASE_DEADLINE_MISSED = 13,/**< timer (a CCENTER_TIMER_DEADLINE timer expired) */
  CCENTER_CASE_LIMIT_REACHED = 14,  /**< transition, field, count = limit */
  CCENTER_CASE_GOLDEN_MET = 15,     /**< elapsed_ms since opening */
  CCENTER_CASE_GOLDEN_MISSED = 16,  /**< the window ended uncontained */
  CCENTER_CASE_CLOSED = 17,         /**< to (the final state), outcome */
  CCENTER_CASE_CONTACT_LINKED = 18  /**< contact */
} ccenter_case_event_type;

/**
 * An event. Strings are NULL when the type does not carry them; the event and its strings
 * are valid during the callback, or until the next ccenter_cases_next_event().
 */
typedef struct ccenter_case_event {
  ccenter_case_event_type type;
  uint64_t seq;            /**< 1, 2, 3... per engine */
  int64_t time;            /**< when it happened (a timer's deadline for timer events) */
  const char *case_id;
  void *case_data;         /**< the case's user data */
  const char *workflow;
  const char *from;        /**< state before */
  const char *to;          /**< state after */
  const char *transition;
  const char *timer;
  const char *action;
  const char *actor;
  const char *role;
  const char *reason;
  const char *outcome;
  const char *field;
  const char *contact;
  int64_t deadline;        /**< CCENTER_NO_DEADLINE when none */
  int64_t elapsed_ms;      /**< GOLDEN_MET: time from opening to containment */
  uint32_t count;          /**< LIMIT_REACHED: the limit */
} ccenter_case_event;

/** The name of an event type without its prefix, "UNKNOWN" for others. Static. Since 0.2. */
CCENTER_EXPORT const char *ccenter_case_event_name(ccenter_case_event_type type);

typedef void (*ccenter_case_event_fn)(ccenter_cases *ce, const ccenter_case_event *ev,
                                      void *ud);

/* ---------------------------------------------------------------------------------- */
/* Audit                                                                                */

/**
 * One audit record: a canonical line of text (13 tab-separated fields, texts escaped as
 * docs/workflows.md "The line format" says; no newline at the end) holding seq, time, case, actor, what was done, previous
 * and new state, reason, evidence references, the previous record's hash and this
 * record's hash (hex). hash = SHA-256(prev_hash || line-without-its-hash-field, i.e. up
 * to and including the tab before it), or HMAC-SHA-256 keyed with the integrator's key.
 * The first record's prev_hash is 32 zero bytes. Valid only during the sink call: a
 * store copies the line.
 */
typedef struct ccenter_audit_record {
  uint64_t seq;
  int64_t time;
  const char *line;
  size_t len;
  const uint8_t *hash; /**< 32 bytes */
} ccenter_audit_record;

typedef void (*ccenter_audit_fn)(void *ud, const ccenter_audit_record *rec);

/** The head of a chain: the last record's seq and hash (seq 0 and zeros when empty). */
typedef struct ccenter_audit_head {
  uint64_t seq;
  uint8_t hash[32];
} ccenter_audit_head;

/**
 * Verifies a chain of audit lines (each as written by the engine, without newline; lens
 * may be NULL when the lines are NUL-terminated). `key` (NULL with key_len 0 for plain
 * SHA-256) must be the engine's audit key. `head` (may be NULL) is a head kept elsewhere
 * (exported and signed or anchored): the lines must hold its record, so a truncated chain
 * is detected too (they may go on after it). `start` (may be NULL) is the head before
 * lines[0] when the chain does not start at seq 1 (retention). Returns 0 when every line
 * is intact, or CCENTER_ECORRUPT with *first_bad the index of the first line changed,
 * removed, reordered or unparsable (n when lines are missing at the end). Errors:
 * CCENTER_EINVAL. Since 0.2.
 */
CCENTER_EXPORT int ccenter_audit_verify(const char *const *lines, const size_t *lens, size_t n,
                                        const void *key, size_t key_len,
                                        const ccenter_audit_head *start,
                                        const ccenter_audit_head *head, size_t *first_bad);

/** SHA-256 (FIPS 180-4). Never fails for non-NULL out; data may be NULL when len is 0.
 * Since 0.2. */
CCENTER_EXPORT void ccenter_sha256(const void *data, size_t len, uint8_t out[32]);

/** HMAC-SHA-256 (RFC 2104). Since 0.2. */
CCENTER_EXPORT void ccenter_hmac_sha256(const void *key, size_t key_len, const void *data,
                                        size_t len, uint8_t out[32]);

/* ---------------------------------------------------------------------------------- */
/* The case engine                                                                      */

/**
 * Creates a case engine at time `now`. opts may be NULL; its allocator and log are used
 * (its routing event callback is not). Errors: CCENTER_EINVAL, CCENTER_ERANGE (now out of
 * CCENTER_TIME_MIN..CCENTER_TIME_MAX), CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_cases_new(const ccenter_options *opts, int64_t now,
                                     ccenter_cases **out);

/** Frees the engine and everything in it, without events. NULL does nothing. Since 0.2. */
CCENTER_EXPORT void ccenter_cases_free(ccenter_cases *ce);

/**
 * Delivers events to fn (NULL: queue them for ccenter_cases_next_event()). Only while no
 * event is queued. Errors: CCENTER_EINVAL, CCENTER_EBUSY (events are queued),
 * CCENTER_ECALLBACK. Since 0.2.
 */
CCENTER_EXPORT int ccenter_cases_set_event_callback(ccenter_cases *ce, ccenter_case_event_fn fn,
                                                    void *ud);

/** The next queued event or NULL; see ccenter_case_event for its lifetime. Since 0.2. */
CCENTER_EXPORT const ccenter_case_event *ccenter_cases_next_event(ccenter_cases *ce);

/** Queued events not yet pulled; 0 for NULL. Since 0.2. */
CCENTER_EXPORT size_t ccenter_cases_pending_events(const ccenter_cases *ce);

/**
 * Sets where audit records go (fn NULL: nowhere; the chain head is kept either way).
 * Errors: CCENTER_EINVAL, CCENTER_ECALLBACK. Since 0.2.
 */
CCENTER_EXPORT int ccenter_cases_set_audit_sink(ccenter_cases *ce, ccenter_audit_fn fn,
                                                void *ud);

/**
 * Keys the audit chain with HMAC-SHA-256 (1..1024 bytes, copied). Only before the first
 * record. Errors: CCENTER_EINVAL, CCENTER_ESTATE (records exist), CCENTER_ENOMEM.
 * Since 0.2.
 */
CCENTER_EXPORT int ccenter_cases_set_audit_key(ccenter_cases *ce, const void *key,
                                               size_t key_len);

/** The audit chain's head. Errors: CCENTER_EINVAL. Since 0.2. */
CCENTER_EXPORT int ccenter_cases_audit_head(const ccenter_cases *ce, ccenter_audit_head *out);

/** Fires timers due at or before now. Errors: CCENTER_EINVAL, CCENTER_ERANGE (now out of
 * range), CCENTER_ETIME, CCENTER_ECALLBACK, CCENTER_ENOMEM. Since 0.2. */
CCENTER_EXPORT int ccenter_cases_advance(ccenter_cases *ce, int64_t now);

/** The earliest pending timer or CCENTER_NO_DEADLINE. Since 0.2. */
CCENTER_EXPORT int64_t ccenter_cases_next_deadline(const ccenter_cases *ce);

/** The largest now seen. Since 0.2. */
CCENTER_EXPORT int64_t ccenter_cases_now(const ccenter_cases *ce);

/** As ccenter_engine_set_deadline_hook(). Errors: CCENTER_EINVAL, CCENTER_EBUSY. Since 0.2. */
CCENTER_EXPORT int ccenter_cases_set_deadline_hook(ccenter_cases *ce, ccenter_deadline_fn fn,
                                                   void *ud);

/**
 * Adds a copy of a calendar (its name must be new). Errors: CCENTER_EINVAL, CCENTER_EEXIST,
 * CCENTER_ERANGE (now out of range), CCENTER_ETIME, CCENTER_ECALLBACK, CCENTER_ENOMEM.
 * Since 0.2.
 */
CCENTER_EXPORT int ccenter_cases_add_calendar(ccenter_cases *ce, const ccenter_calendar *cal,
                                              int64_t now);

/**
 * Adds a copy of a workflow after ccenter_workflow_check() (its calendar, if named, must
 * have been added). Errors: CCENTER_EINVAL, CCENTER_ESYNTAX (the check failed),
 * CCENTER_ENOENT (no such calendar), CCENTER_EEXIST, CCENTER_ERANGE (now out of range),
 * CCENTER_ETIME, CCENTER_ECALLBACK, CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_cases_add_workflow(ccenter_cases *ce, const ccenter_workflow *wf,
                                              int64_t now);

/**
 * Gives an actor their roles (comma-separated; NULL or "" removes the actor). Errors:
 * CCENTER_EINVAL (bad id or role, the system actor), CCENTER_EFULL (more than
 * CCENTER_WF_MAX_ROLES roles), CCENTER_ERANGE (now out of range), CCENTER_ETIME,
 * CCENTER_ECALLBACK, CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_cases_set_actor(ccenter_cases *ce, const char *actor,
                                           const char *roles, int64_t now);

/** Input of a transition. `size` = sizeof(ccenter_case_input); initialise with
 * ccenter_case_input_init(). */
typedef struct ccenter_case_evidence {
  const char *name;
  const char *ref;
} ccenter_case_evidence;

typedef struct ccenter_case_input {
  size_t size;
  const char *reason;                   /**< free text, may be NULL */
  const ccenter_case_evidence *evidence; /**< n_evidence references */
  size_t n_evidence;
} ccenter_case_input;

/** Fills in defaults (no reason, no evidence) and the size. Since 0.2. */
CCENTER_EXPORT void ccenter_case_input_init(ccenter_case_input *in);

/**
 * Opens a case of a workflow in its initial state; starts its timers and golden window.
 * The actor needs no role to open (any known actor). Errors: CCENTER_EINVAL (bad id),
 * CCENTER_ENOENT (no such workflow or actor), CCENTER_EEXIST, CCENTER_ERANGE (now out of
 * range), CCENTER_ETIME, CCENTER_ECALLBACK, CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_case_open(ccenter_cases *ce, const char *case_id,
                                     const char *workflow, const char *actor, void *user_data,
                                     int64_t now);

/**
 * Sets a field of an open case. Integer-like fields (INT, FLAG (0/1), TIME) use
 * _set_int, TEXT and ACCOUNT _set_text, MONEY _set_money (currency: three upper-case
 * letters). Errors: CCENTER_EINVAL (bad value, wrong setter for the type), CCENTER_ENOENT
 * (no such case, field or actor), CCENTER_ESTATE (the case is closed), CCENTER_ERANGE (now
 * out of range), CCENTER_ETIME, CCENTER_ECALLBACK, CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_case_set_int(ccenter_cases *ce, const char *case_id,
                                        const char *actor, const char *field, int64_t value,
                                        int64_t now);
CCENTER_EXPORT int ccenter_case_set_text(ccenter_cases *ce, const char *case_id,
                                         const char *actor, const char *field,
                                         const char *value, int64_t now);
CCENTER_EXPORT int ccenter_case_set_money(ccenter_cases *ce, const char *case_id,
                                          const char *actor, const char *field,
                                          int64_t minor_units, const char *currency,
                                          int64_t now);

/**
 * Reads a field. Errors: CCENTER_EINVAL (wrong getter for the type), CCENTER_ENOENT (no
 * such case or field, or the field is not set). _get_text's string is valid until the
 * case changes. currency receives 3 letters and a NUL. Since 0.2.
 */
CCENTER_EXPORT int ccenter_case_get_int(const ccenter_cases *ce, const char *case_id,
                                        const char *field, int64_t *out);
CCENTER_EXPORT int ccenter_case_get_text(const ccenter_cases *ce, const char *case_id,
                                         const char *field, const char **out);
CCENTER_EXPORT int ccenter_case_get_money(const ccenter_cases *ce, const char *case_id,
                                          const char *field, int64_t *minor_units,
                                          char currency[4]);

/**
 * Links a routing-engine contact id to a case (follow-ups, reporting). Errors:
 * CCENTER_EINVAL, CCENTER_ENOENT, CCENTER_EEXIST (already linked), CCENTER_EFULL,
 * CCENTER_ESTATE (closed), CCENTER_ERANGE (now out of range), CCENTER_ETIME,
 * CCENTER_ECALLBACK, CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_case_link_contact(ccenter_cases *ce, const char *case_id,
                                             const char *contact, const char *actor,
                                             int64_t now);

/** Returned by ccenter_case_transition() when a dual-control transition was proposed. */
#define CCENTER_PROPOSED 1

/**
 * Takes transition `transition` on a case as `actor`. in may be NULL (no reason, no
 * evidence). Returns 0 when it took effect, CCENTER_PROPOSED when it is under dual
 * control and now awaits approval. Errors: CCENTER_EINVAL (bad arguments),
 * CCENTER_ENOENT (no such case, transition or actor), CCENTER_ESTATE (closed case, the
 * transition does not leave the current state, or a proposal is pending: no transition
 * is taken or proposed until it is decided),
 * CCENTER_EPERM (actor lacks the role), CCENTER_ECONDITION (a guard is false, required
 * evidence missing, a limit's key field not set), CCENTER_EFULL (a limit across cases),
 * CCENTER_ERANGE (now out of range), CCENTER_ETIME, CCENTER_ECALLBACK, CCENTER_ENOMEM.
 * Since 0.2.
 */
CCENTER_EXPORT int ccenter_case_transition(ccenter_cases *ce, const char *case_id,
                                           const char *transition, const char *actor,
                                           const ccenter_case_input *in, int64_t now);

/**
 * Approves or rejects a case's pending proposal as `actor`, who must differ from the maker
 * and have the approver role. Approval re-checks the guards and limits and then takes the
 * transition (with the maker's input: its STATE_CHANGED names the maker and their
 * reason). Errors: CCENTER_EINVAL, CCENTER_ENOENT (no such case or actor, no pending
 * proposal), CCENTER_EPERM (the maker, or no approver role), CCENTER_ECONDITION and
 * CCENTER_EFULL (approval only: rejecting checks neither), CCENTER_ERANGE (now out of
 * range), CCENTER_ETIME, CCENTER_ECALLBACK, CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_case_approve(ccenter_cases *ce, const char *case_id,
                                        const char *actor, const char *reason, int64_t now);
CCENTER_EXPORT int ccenter_case_reject(ccenter_cases *ce, const char *case_id,
                                       const char *actor, const char *reason, int64_t now);

/**
 * Removes a closed case from memory (its events, audit and statistics stay). Errors:
 * CCENTER_EINVAL, CCENTER_ENOENT, CCENTER_ESTATE (still open), CCENTER_ERANGE (now out of
 * range), CCENTER_ETIME, CCENTER_ECALLBACK, CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_case_forget(ccenter_cases *ce, const char *case_id, int64_t now);

/** A case, as ccenter_case_info_get() reports it. `size` set by the caller. */
typedef struct ccenter_case_info {
  size_t size;
  const char *workflow;
  const char *state;
  const char *outcome;        /**< NULL while open */
  int closed;
  int64_t opened_at;
  int64_t state_since;
  int64_t contained_at;       /**< CCENTER_NO_DEADLINE until contained */
  const char *proposal;       /**< the pending transition, or NULL */
  const char *proposed_by;
  int64_t proposal_expires;   /**< CCENTER_NO_DEADLINE when none */
  int64_t next_deadline;      /**< earliest running timer's expiry, CCENTER_NO_DEADLINE */
  size_t contacts;            /**< linked contacts */
} ccenter_case_info;

/** Fills *info. Strings valid until the case changes. Errors: CCENTER_EINVAL,
 * CCENTER_ENOENT. Since 0.2. */
CCENTER_EXPORT int ccenter_case_info_get(const ccenter_cases *ce, const char *case_id,
                                         ccenter_case_info *info);

/** The i-th linked contact (0-based) or NULL. Since 0.2. */
CCENTER_EXPORT const char *ccenter_case_contact(const ccenter_cases *ce, const char *case_id,
                                                size_t i);

/** When the case's timer `timer` expires. Errors: CCENTER_EINVAL, CCENTER_ENOENT (no such
 * case or timer, or not running). Paused timers report CCENTER_NO_DEADLINE. Since 0.2. */
CCENTER_EXPORT int ccenter_case_timer_deadline(const ccenter_cases *ce, const char *case_id,
                                               const char *timer, int64_t *deadline);

/** The case's user data (NULL when none or no such case) and its setter (no event, no
 * journal; allowed in the callback). Errors: CCENTER_EINVAL, CCENTER_ENOENT. Since 0.2. */
CCENTER_EXPORT void *ccenter_case_user_data(const ccenter_cases *ce, const char *case_id);
CCENTER_EXPORT int ccenter_case_set_user_data(ccenter_cases *ce, const char *case_id,
                                              void *user_data);

/** Open cases, and cases in memory (open + closed not forgotten). Since 0.2. */
CCENTER_EXPORT size_t ccenter_cases_open_count(const ccenter_cases *ce);
CCENTER_EXPORT size_t ccenter_cases_count(const ccenter_cases *ce);

/** Statistics of one workflow since the engine was created. `size` set by the caller. */
typedef struct ccenter_workflow_stats {
  size_t size;
  uint64_t opened;
  uint64_t closed;
  uint64_t open;
  uint64_t golden_met;       /**< contained within the golden window */
  uint64_t golden_missed;
  uint64_t warnings;
  uint64_t deadlines_missed;
  uint64_t proposals;
  uint64_t approved;
  uint64_t rejected;
  uint64_t expired;          /**< proposals that expired */
  uint64_t actions;
} ccenter_workflow_stats;

/** Fills *out with a workflow's statistics. Errors: CCENTER_EINVAL (NULL argument, or
 * out->size too small), CCENTER_ENOENT (no such workflow). Since 0.2. */
CCENTER_EXPORT int ccenter_workflow_stats_get(const ccenter_cases *ce, const char *workflow,
                                              ccenter_workflow_stats *out);

/** What ccenter_workflow_stat_count() counts by name. */
typedef enum ccenter_wf_count {
  CCENTER_COUNT_OUTCOME = 1,    /**< cases closed with this outcome */
  CCENTER_COUNT_TRANSITION = 2, /**< times this transition took effect (stops placed) */
  CCENTER_COUNT_TIMER = 3,      /**< times this timer expired (stops lapsed) */
  CCENTER_COUNT_ACTION = 4      /**< actions of this name requested */
} ccenter_wf_count;

/** One named counter of a workflow. Errors: CCENTER_EINVAL, CCENTER_ENOENT (no such
 * workflow, or the name is not in it). Since 0.2. */
CCENTER_EXPORT int ccenter_workflow_stat_count(const ccenter_cases *ce, const char *workflow,
                                               ccenter_wf_count kind, const char *name,
                                               uint64_t *out);

/** The memory the engine holds, in bytes (exact: what its allocator handed out and it has
 * not freed). Since 0.2. */
CCENTER_EXPORT size_t ccenter_cases_memory(const ccenter_cases *ce);

#ifdef __cplusplus
}
#endif
#endif /* CCENTER_WORKFLOW_H */
