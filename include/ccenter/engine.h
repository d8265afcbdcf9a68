/*
 * libccenter — the engine: agents, queues, contacts, routing and the events that say what
 * to do.
 *
 * Time. Every call that changes state takes `now`, milliseconds on a monotonic clock of
 * the caller's choosing, within CCENTER_TIME_MIN..CCENTER_TIME_MAX (else CCENTER_ERANGE).
 * The engine reads no clock and does no I/O. `now` smaller than the largest `now` seen so
 * far fails with CCENTER_ETIME. Timers (ring timeouts, wrap-up, max
 * wait, announcements) fire inside ccenter_engine_advance() or inside any other call whose
 * `now` has passed their deadline — before that call's own work, so the order is always
 * the order of time. ccenter_engine_next_deadline() says when to call advance again.
 *
 * Identifiers are the integrator's own NUL-terminated strings (1..CCENTER_MAX_ID bytes). The
 * engine copies them. Beside its id, every queue, agent and contact carries a pointer of
 * the integrator's own (its user data, set when the object is created and changeable with
 * the *_set_user_data functions); events carry it next to each id they name, so a handler
 * reaches its own object without a lookup.
 *
 * Lifetime of returned strings, one rule for all: a string the engine hands out (in an
 * event, an info struct or from a getter) stays valid until the next state-changing call
 * on the same engine, and never past ccenter_engine_free(). Two cases last longer: an
 * event pulled with ccenter_engine_next_event() stays valid, with every string it points
 * to, until the next ccenter_engine_next_event() (state-changing calls in between are
 * fine); and static strings (names of enums, error texts) live forever.
 *
 * Errors. Every state-changing call returns 0 or a negative code from ccenter/common.h and,
 * when it fails, its own operation changes nothing. Time is the one exception, and it is
 * not the call's doing: a call at `now` first carries out what was due by `now` (exactly as
 * ccenter_engine_advance(now) would), and that stands even if the operation then fails —
 * the clock has moved to `now` and the events of those timers are delivered. Arguments
 * that are malformed (NULL, bad ids, out-of-range values) are refused before that, and
 * then nothing at all happens. Common codes:
 * CCENTER_EINVAL (NULL or malformed argument), CCENTER_ETIME (now went backwards),
 * CCENTER_ERANGE (now outside CCENTER_TIME_MIN..CCENTER_TIME_MAX, or a value out of range),
 * CCENTER_ENOENT (unknown id), CCENTER_EEXIST (id already used), CCENTER_ESTATE (the
 * transition is not legal now), CCENTER_ECALLBACK (called from inside the event callback),
 * CCENTER_ENOMEM. Each function lists its own further codes.
 *
 * Events, pushed or pulled. Everything the engine decides is an event, raised after the
 * call that caused it has finished its work, in the order things happened. An engine
 * either pushes them to the callback set with ccenter_options_set_event_callback(), or
 * keeps them in its queue for ccenter_engine_next_event() when
 * ccenter_options_set_event_queue() is on (docs/concepts.md says which suits which
 * program); with neither, events are dropped (statistics still see them).
 *
 * Re-entrancy. While the callback runs the engine is consistent: every query function
 * works, and so do the user-data setters, but every state-changing function fails with
 * CCENTER_ECALLBACK and changes nothing. A program that wants to act on an event at once
 * pulls events instead: between two ccenter_engine_next_event() calls every function may
 * be called, and the events it raises queue behind the ones not yet pulled.
 *
 * Limits are named constants (CCENTER_MAX_*); a call that would pass one fails with
 * CCENTER_EFULL ("a limit was reached"), a value outside its range with CCENTER_ERANGE.
 *
 * Thread safety: none. One engine is used from one thread at a time; engines are
 * independent of each other.
 */
#ifndef CCENTER_ENGINE_H
#define CCENTER_ENGINE_H

#include "ccenter/common.h"
#include "ccenter/options.h"

#ifdef __cplusplus
extern "C" {
#endif

/** ccenter_engine_next_deadline() when nothing is scheduled. */
#define CCENTER_NO_DEADLINE INT64_MAX

/**
 * The range of `now` every call accepts: CCENTER_TIME_MIN..CCENTER_TIME_MAX ms (2^61 ms,
 * about 73 million years either side of the clock's zero). A call, an engine or a query
 * with a `now` outside it fails with CCENTER_ERANGE and changes nothing. With the
 * durations the engine accepts (at most a year: 365 days for the longest queue options),
 * no deadline and no difference of two times can overflow. Since 0.2.
 */
#define CCENTER_TIME_MAX INT64_C(2305843009213693952)
#define CCENTER_TIME_MIN (-CCENTER_TIME_MAX)

/** Longest identifier, in bytes, without the terminating NUL. */
#define CCENTER_MAX_ID 255
/** Longest skill name and attribute key, in bytes. */
#define CCENTER_MAX_NAME 64
/** Longest attribute value, in bytes. */
#define CCENTER_MAX_VALUE 255
/** Longest requirement expression, in bytes. */
#define CCENTER_MAX_REQUIREMENT 4096
/** Routing steps of a queue or a contact. */
#define CCENTER_MAX_STEPS 8
/** Skills of an agent. */
#define CCENTER_MAX_SKILLS 64
/** Attributes of an agent. */
#define CCENTER_MAX_ATTRS 32
/** Extra service-level thresholds of a queue. */
#define CCENTER_MAX_THRESHOLDS 8
/** Preferred agents of a contact. */
#define CCENTER_MAX_PREFERRED 8
/** Capacity of an agent on one channel. */
#define CCENTER_MAX_CAPACITY 64
/** Distinct requirements (steps of the queue and of its contacts) alive in one queue. */
#define CCENTER_MAX_REQUIREMENTS 64
/** Agents rung at once for one contact (ring-all). */
#define CCENTER_MAX_RING 64
/** Longest duration taken by a step, a wrap-up, a profile delay, ...: one day, in ms. */
#define CCENTER_MAX_DURATION_MS 86400000
/** Contact priorities are -CCENTER_MAX_PRIORITY..CCENTER_MAX_PRIORITY. */
#define CCENTER_MAX_PRIORITY 1000000
/** Routing-profile priorities are -CCENTER_MAX_PROFILE_PRIORITY..CCENTER_MAX_PROFILE_PRIORITY. */
#define CCENTER_MAX_PROFILE_PRIORITY 1000

/* ---------------------------------------------------------------------------------- */
/* Enumerations                                                                        */

/** Media channels. Capacity and overlap rules are per channel. */
typedef enum ccenter_channel {
  CCENTER_CHANNEL_VOICE = 0,
  CCENTER_CHANNEL_CHAT = 1,
  CCENTER_CHANNEL_EMAIL = 2,
  CCENTER_CHANNEL_SMS = 3,
  CCENTER_CHANNEL_CALLBACK = 4,
  CCENTER_CHANNEL_TASK = 5,
  CCENTER_CHANNEL_COUNT_ = 6
} ccenter_channel;

/** Agent presence. Work on contacts is tracked per contact (ccenter_contact_state). */
typedef enum ccenter_agent_state {
  CCENTER_AGENT_LOGGED_OUT = 0,
  CCENTER_AGENT_NOT_READY = 1,
  CCENTER_AGENT_READY = 2
} ccenter_agent_state;

/** Where a contact is in its life. */
typedef enum ccenter_contact_state {
  CCENTER_CONTACT_WAITING = 0,   /**< in a queue (also a callback keeping its place) */
  CCENTER_CONTACT_OFFERED = 1,   /**< reserved for an agent, ringing */
  CCENTER_CONTACT_CONNECTED = 2, /**< talking (or on hold) with an agent */
  CCENTER_CONTACT_WRAP_UP = 3,   /**< conversation over, agent in after-contact work */
  CCENTER_CONTACT_ENDED = 4      /**< final; outcome set; forgotten after the event */
} ccenter_contact_state;

/** The one final outcome of a contact. */
typedef enum ccenter_outcome {
  CCENTER_OUTCOME_NONE = 0,       /**< not final yet */
  CCENTER_OUTCOME_HANDLED = 1,    /**< answered by an agent and ended */
  CCENTER_OUTCOME_ABANDONED = 2,  /**< the customer hung up before an agent answered */
  CCENTER_OUTCOME_TIMED_OUT = 3,  /**< left the queue at its max wait (exit action timeout) */
  CCENTER_OUTCOME_EXIT_EMPTY = 4, /**< left because no agent could serve the queue */
  CCENTER_OUTCOME_REMOVED = 5     /**< ended by the integrator while waiting (e.g. IVR exit key) */
} ccenter_outcome;

/** What happens when a contact has waited the queue's max wait. */
typedef enum ccenter_max_wait_action {
  CCENTER_MAX_WAIT_TIMEOUT = 0,  /**< leave the queue: outcome TIMED_OUT */
  CCENTER_MAX_WAIT_OVERFLOW = 1, /**< move to the queue's overflow queue */
  CCENTER_MAX_WAIT_CALLBACK = 2  /**< raise CALLBACK_OFFER once; the contact keeps waiting */
} ccenter_max_wait_action;

/**
 * When a queue counts as "empty" for its join and leave policies (the members are the
 * agents that serve the queue).
 */
typedef enum ccenter_empty_rule {
  CCENTER_EMPTY_NEVER = 0,      /**< never empty: always join, never leave */
  CCENTER_EMPTY_NO_MEMBERS = 1, /**< no agent serves the queue */
  CCENTER_EMPTY_LOGGED_OUT = 2, /**< no member is logged in */
  CCENTER_EMPTY_NOT_READY = 3   /**< no member is READY */
} ccenter_empty_rule;

/** Queue settings for ccenter_queue_set(). Durations are milliseconds. */
typedef enum ccenter_queue_option {
  CCENTER_QUEUE_MAX_LENGTH = 1,     /**< waiting contacts allowed; 0 = unlimited (default) */
  CCENTER_QUEUE_JOIN_EMPTY = 2,     /**< ccenter_empty_rule refusing a join; default NEVER */
  CCENTER_QUEUE_LEAVE_EMPTY = 3,    /**< ccenter_empty_rule emptying the queue; default NEVER */
  CCENTER_QUEUE_MAX_WAIT = 4,       /**< ms before the max-wait action; 0 = none (default) */
  CCENTER_QUEUE_MAX_WAIT_ACTION = 5,/**< ccenter_max_wait_action; default TIMEOUT */
  CCENTER_QUEUE_RING_TIMEOUT = 6,   /**< ms an offer rings; default 15000; 0 = forever. An offer
                                         made while a late call catches up on its timers
                                         rings from that call's now */
  CCENTER_QUEUE_WRAP_UP = 7,        /**< ms of wrap-up after each contact; default 0; -1 = until
                                         the agent ends it (ccenter_agent_wrap_up_end) */
  CCENTER_QUEUE_ANNOUNCE_EVERY = 8, /**< ms between position announcements; 0 = none
                                         (default), else at least 1000 (CCENTER_ERANGE).
                                         After a late call the missed one fires once and
                                         the next is a period after that call */
  CCENTER_QUEUE_SL_THRESHOLD = 9,   /**< service-level threshold, ms; default 20000 */
  CCENTER_QUEUE_SL_TARGET = 10,     /**< service-level target in basis points; default 8000 (80 %) */
  CCENTER_QUEUE_SL_WARNING = 11,    /**< warning point, percent of the threshold; default 75; 0 = none */
  CCENTER_QUEUE_CALLBACK_EWT = 12,  /**< raise CALLBACK_OFFER when a contact's expected wait
                                         exceeds this many ms (at join and at announcements);
                                         0 = never (default) */
  CCENTER_QUEUE_STRATEGY = 13,      /**< ccenter_strategy; default LONGEST_IDLE */
  CCENTER_QUEUE_RING_EVERY = 14,    /**< RING_PROGRESSIVE: ms between added agents; default
                                         5000; at least 100 (CCENTER_ERANGE). After a late
                                         call one agent is added and the next a period
                                         after that call */
  CCENTER_QUEUE_PREFERRED_TIMEOUT = 15, /**< ms a contact waits for its preferred or sticky
                                         agent before anyone may take it; default 20000 */
  CCENTER_QUEUE_STICKY_WINDOW = 16, /**< prefer the agent who last served the same customer
                                         id within this many ms; 0 = off (default) */
  CCENTER_QUEUE_AGEING = 17,        /**< ms of waiting worth one priority point; 0 = off */
  CCENTER_QUEUE_RESERVE_WAIT = 18,  /**< reserve members take contacts that waited this long;
                                         0 = off (default) */
  CCENTER_QUEUE_RESERVE_EWT = 19,   /**< reserve members take contacts while the backlog's
                                         expected wait (waiting x recent dequeue gap) is at
                                         least this many ms; 0 = off (default) */
  CCENTER_QUEUE_RESERVE_SL = 20     /**< reserve members take contacts while the queue's
                                         recent service level is below this, in basis points
                                         (0..10000; 8000 = 80 %): of its last 100 contacts
                                         (at least 10) answered or given up after the
                                         SL_THRESHOLD, the share answered within it; 0 = off
                                         (default). Since 0.1. */
} ccenter_queue_option;

/**
 * How a queue chooses among the agents who may take a contact (docs/routing.md). When an
 * agent frees up, it always takes the best contact it may: emergency first, then its
 * routing-profile priority for the queue, then contact priority, then longest wait.
 */
typedef enum ccenter_strategy {
  CCENTER_STRATEGY_LONGEST_IDLE = 0,    /**< fewest contacts in progress, then idle longest */
  CCENTER_STRATEGY_LEAST_OCCUPIED = 1,  /**< smallest share of capacity in use, then idle */
  CCENTER_STRATEGY_FEWEST_CONTACTS = 2, /**< fewest handled since login, then idle */
  CCENTER_STRATEGY_LEAST_TALK_TIME = 3, /**< least talk time since login, then idle */
  CCENTER_STRATEGY_ROUND_ROBIN = 4,     /**< next in joining order after the last one offered */
  CCENTER_STRATEGY_LINEAR = 5,          /**< first in joining order */
  CCENTER_STRATEGY_RANDOM = 6,          /**< uniformly among those who qualify */
  CCENTER_STRATEGY_WEIGHTED_RANDOM = 7, /**< weighted by proficiency in the primary skill */
  CCENTER_STRATEGY_BEST_SKILL = 8,      /**< highest proficiency in the primary skill, then idle */
  CCENTER_STRATEGY_RING_ALL = 9,        /**< ring everyone who qualifies (up to 64); first wins */
  CCENTER_STRATEGY_RING_PROGRESSIVE = 10 /**< ring one more every RING_EVERY ms; first wins */
} ccenter_strategy;

/** Engine-wide settings for ccenter_engine_set(). */
typedef enum ccenter_engine_option {
  CCENTER_ENGINE_MAX_NO_ANSWER = 1,  /**< consecutive misses before NOT_READY "no-answer"; default 3; 0 = never */
  CCENTER_ENGINE_REJECT_DELAY = 2,   /**< ms a contact is kept from an agent who rejected it or
                                          let it ring out (timeout or reported miss); default
                                          30000; 0 = offer again at once */
  CCENTER_ENGINE_EWT_SAMPLES = 3,    /**< samples in a queue's EWT estimator (handle times and
                                          dequeue times); default 20, 2..256 */
  CCENTER_ENGINE_STATS_INTERVAL = 4, /**< statistics interval, ms; default 900000 (15 min);
                                          changing it clears the interval history */
  CCENTER_ENGINE_STATS_KEEP = 5,     /**< intervals kept; default 96 (one day of 15 min) */
  CCENTER_ENGINE_SHORT_ABANDON = 6,  /**< abandons under this wait (ms) are short; default 5000 */
  CCENTER_ENGINE_REPEAT_WINDOW = 7,  /**< a contact from the same customer id within this many
                                          ms of the last one is a repeat; default 7 days */
  CCENTER_ENGINE_SEED = 8            /**< seed of the random and weighted-random strategies,
                                          0..INT64_MAX; default 1 (same seed, same
                                          choices) */
} ccenter_engine_option;

/** Everything the engine tells the integrator. See docs/concepts.md for the whole list. */
typedef enum ccenter_event_type {
  CCENTER_EV_AGENT_STATE = 1,        /**< presence changed: state, prev_state, reason */
  CCENTER_EV_AGENT_PENDING = 2,      /**< state (NOT_READY with reason, or LOGGED_OUT) will apply
                                          when the agent's work ends; state READY: a pending
                                          NOT_READY was cancelled by ccenter_agent_ready */
  CCENTER_EV_CONTACT_QUEUED = 3,     /**< joined queue; position */
  CCENTER_EV_CONTACT_OFFERED = 4,    /**< ACT: offer contact to agent (ring); ring_timeout_ms */
  CCENTER_EV_OFFER_WITHDRAWN = 5,    /**< ACT: stop ringing; cause RING_TIMEOUT, REJECTED,
                                          MISSED, ABANDONED, REMOVED, AGENT_LOGOUT,
                                          QUEUE_REMOVED or ANSWERED_ELSEWHERE (ring-all) */
  CCENTER_EV_CONTACT_CONNECTED = 6,  /**< agent answered; wait_ms = time waited */
  CCENTER_EV_CONTACT_HELD = 7,
  CCENTER_EV_CONTACT_RESUMED = 8,    /**< duration_ms = time on hold */
  CCENTER_EV_CONTACT_TRANSFERRED = 9,/**< blind transfer or completed consult; queue_to or agent_to */
  CCENTER_EV_CONTACT_REQUEUED = 10,  /**< back in its queue at its original place */
  CCENTER_EV_CONTACT_OVERFLOWED = 11,/**< ACT: moved from queue to queue_to at max wait */
  CCENTER_EV_CONTACT_CALLBACK_OFFER = 12, /**< ACT: offer the waiting customer a callback */
  CCENTER_EV_CONTACT_CALLBACK_QUEUED = 13,/**< the contact is now a callback keeping its place */
  CCENTER_EV_CALLBACK_DUE = 14,      /**< ACT: place the callback; an OFFERED event follows */
  CCENTER_EV_ANNOUNCE = 15,          /**< ACT: tell the customer position and ewt_ms */
  CCENTER_EV_CONVERSATION_ENDED = 16,/**< talk over; the agent is in wrap-up (duration_ms talk) */
  CCENTER_EV_WRAP_UP_ENDED = 17,     /**< agent done with the contact; duration_ms wrap-up */
  CCENTER_EV_CONTACT_ENDED = 18,     /**< final: outcome, wait_ms; the id may be reused after.
                                          HANDLED: after its last wrap-up. Other outcomes: when
                                          the customer's side ends, even while an agent of an
                                          earlier leg (before a transfer) still wraps up; that
                                          wrap-up's WRAP_UP_ENDED follows later */
  CCENTER_EV_CONSULT_OFFERED = 19,   /**< ACT: ring agent_to for a consultation */
  CCENTER_EV_CONSULT_CONNECTED = 20, /**< agent_to answered the consultation */
  CCENTER_EV_CONSULT_ENDED = 21,     /**< consultation over without a transfer; cause */
  CCENTER_EV_DISPOSITION = 22,       /**< a disposition code (reason) or survey score (score) */
  CCENTER_EV_QUEUE_MOVED = 23,       /**< contact moved to queue_to by ccenter_queue_remove drain */
  CCENTER_EV_SLA_WARNING = 24,       /**< an unanswered contact (waiting or ringing) reached the
                                          queue's warning point; threshold_ms */
  CCENTER_EV_SLA_BREACH = 25,        /**< a waiting contact reached the service-level
                                          threshold; threshold_ms */
  CCENTER_EV_AGENT_SERVE = 26,       /**< agent joined (serving 1) or left (serving 0) queue */
  CCENTER_EV_STEP = 27               /**< a contact's routing step changed; step = new step
                                          index (== number of steps: any member) */
} ccenter_event_type;

/**
 * Why the engine did what an event reports, when the engine decided it rather than the
 * call that raised the event (CCENTER_CAUSE_NONE). Separate from `reason`, which is only
 * ever the integrator's own text. New causes may be added: handle unknown ones by default.
 */
typedef enum ccenter_cause {
  CCENTER_CAUSE_NONE = 0,
  CCENTER_CAUSE_RING_TIMEOUT = 1,       /**< the offer (or consultation) rang out */
  CCENTER_CAUSE_REJECTED = 2,           /**< the agent declined (ccenter_offer_reject) */
  CCENTER_CAUSE_MISSED = 3,             /**< reported not answered (ccenter_offer_missed) */
  CCENTER_CAUSE_ABANDONED = 4,          /**< the customer hung up */
  CCENTER_CAUSE_REMOVED = 5,            /**< the integrator took the contact out */
  CCENTER_CAUSE_AGENT_LOGOUT = 6,       /**< the agent logged out */
  CCENTER_CAUSE_QUEUE_REMOVED = 7,      /**< the queue was removed (drain) */
  CCENTER_CAUSE_ANSWERED_ELSEWHERE = 8, /**< another agent answered first (ring-all) */
  CCENTER_CAUSE_NO_ANSWER = 9,          /**< NOT_READY after max_no_answer misses in a row */
  CCENTER_CAUSE_LOGIN = 10,             /**< NOT_READY because the agent just logged in */
  CCENTER_CAUSE_CONVERSATION_ENDED = 11,/**< consultation over: the conversation ended */
  CCENTER_CAUSE_TRANSFERRED = 12,       /**< consultation over: the contact was transferred */
  CCENTER_CAUSE_REQUEUED = 13,          /**< consultation over: the contact was re-queued */
  CCENTER_CAUSE_CANCELLED = 14,         /**< consultation cancelled (consult_cancel) */
  CCENTER_CAUSE_COUNT_ = 15
} ccenter_cause;

/**
 * The name of a cause in lower case with dashes, e.g. "ring-timeout", "no-answer" (as
 * queue_log and the statistics write it); "none" for CCENTER_CAUSE_NONE and "unknown" for a
 * value this version does not know. Static string. Never fails. Since 0.2.
 */
CCENTER_EXPORT const char *ccenter_cause_name(ccenter_cause cause);

/** Who ended a conversation (ccenter_contact_end). */
typedef enum ccenter_party {
  CCENTER_PARTY_UNKNOWN = 0,
  CCENTER_PARTY_CUSTOMER = 1,
  CCENTER_PARTY_AGENT = 2
} ccenter_party;

/**
 * An event. Allocated by the engine, read-only; valid during the callback, or, pulled,
 * until the next ccenter_engine_next_event(). Fields that do not apply are NULL or 0.
 * `size` is the size of the struct the library filled: fields added in later versions
 * are present only when size says so. Each id comes with the object's user data.
 */
struct ccenter_event {
  size_t size;
  ccenter_event_type type;
  ccenter_cause cause;      /**< why the engine did it; NONE when the call itself did */
  int64_t time;             /**< engine time the event happened (ms) */
  const char *agent;        /**< agent concerned */
  void *agent_data;         /**< ... its user data */
  const char *contact;      /**< contact concerned */
  void *contact_data;       /**< ... its user data */
  const char *queue;        /**< queue concerned (the contact's queue at that moment) */
  void *queue_data;         /**< ... its user data */
  const char *queue_to;     /**< transfer / overflow / drain target queue */
  void *queue_to_data;      /**< ... its user data */
  const char *agent_to;     /**< transfer / consult target agent */
  void *agent_to_data;      /**< ... its user data */
  const char *reason;       /**< the integrator's text: NOT_READY reason (AGENT_STATE,
                                 AGENT_PENDING), disposition code (DISPOSITION) */
  const char *customer;     /**< the contact's customer id, if any */
  ccenter_channel channel;
  ccenter_agent_state state;      /**< AGENT_STATE: new presence; AGENT_PENDING: the one
                                       pending (READY: a pending change was cancelled) */
  ccenter_agent_state prev_state; /**< AGENT_STATE: previous presence */
  ccenter_outcome outcome;        /**< CONTACT_ENDED */
  ccenter_party party;      /**< CONVERSATION_ENDED: who hung up */
  int priority;
  int position;             /**< 1-based queue position: QUEUED, ANNOUNCE, REQUEUED, MOVED;
                                 position left from: ENDED (abandoned, timed out, exit) */
  int orig_position;        /**< position when the contact joined its current queue */
  int step;                 /**< STEP: the new step's index (== number of steps: any member) */
  int score;                /**< DISPOSITION: survey score 0..100, or -1 for a code */
  int serving;              /**< AGENT_SERVE: 1 joined the queue, 0 left it */
  int64_t wait_ms;          /**< time waited in queue so far (CONNECTED, ENDED, ...) */
  int64_t duration_ms;      /**< talk, hold, wrap-up, ring or presence time, per event */
  int64_t ewt_ms;           /**< expected wait, ANNOUNCE / QUEUED; -1 = unknown */
  int64_t ring_timeout_ms;  /**< CONTACT_OFFERED, CONSULT_OFFERED: ms until it rings out
                                 (0: rings until answered or withdrawn) */
  int64_t threshold_ms;     /**< SLA_WARNING, SLA_BREACH: the queue's SL threshold */
  int64_t session_ms;       /**< AGENT_STATE to LOGGED_OUT: time since the login */
};

/**
 * The name of an event type without its prefix, e.g. "CONTACT_OFFERED"; "UNKNOWN" for a
 * value this version does not know (newer types may be added: handle them by default).
 * Static string. Never fails. Since 0.1.
 */
CCENTER_EXPORT const char *ccenter_event_name(ccenter_event_type type);

/* ---------------------------------------------------------------------------------- */
/* Engine                                                                              */

/**
 * Creates an engine. opts may be NULL (defaults); the engine copies what it needs.
 * `now` is the engine's starting time. On success *out receives the engine.
 * Errors: CCENTER_EINVAL (out NULL; or opts asks for both an event callback and the
 * event queue), CCENTER_ERANGE (now outside CCENTER_TIME_MIN..CCENTER_TIME_MAX),
 * CCENTER_ENOMEM. Since 0.1.
 */
CCENTER_EXPORT int ccenter_engine_new(const ccenter_options *opts, int64_t now,
                                      ccenter_engine **out);

/**
 * Frees the engine and everything it holds, without events. NULL does nothing. Called from
 * inside the event callback it does nothing but log an error (the engine stays allocated).
 * Since 0.1.
 */
CCENTER_EXPORT void ccenter_engine_free(ccenter_engine *engine);

/**
 * Fires every timer due at or before now, in deadline order, and delivers the events.
 * Errors: CCENTER_EINVAL, CCENTER_ETIME, CCENTER_ECALLBACK, CCENTER_ENOMEM (the timers
 * already fired stay fired; the rest stay armed: call again). Since 0.1.
 */
CCENTER_EXPORT int ccenter_engine_advance(ccenter_engine *engine, int64_t now);

/**
 * The time of the engine's earliest pending timer, or CCENTER_NO_DEADLINE. Call
 * ccenter_engine_advance() then (or earlier). Query; never fails (NULL gives
 * CCENTER_NO_DEADLINE). Since 0.1.
 */
CCENTER_EXPORT int64_t ccenter_engine_next_deadline(const ccenter_engine *engine);

/** The largest `now` the engine has seen. Query. Since 0.1. */
CCENTER_EXPORT int64_t ccenter_engine_now(const ccenter_engine *engine);

/**
 * Called with the engine's new next deadline (CCENTER_NO_DEADLINE when none) whenever a
 * call changed it, and once when the hook is set. It runs at the end of the call, after
 * the events were delivered. It may arm a timer of the caller's loop; it must not call
 * state-changing functions of the engine.
 */
typedef void (*ccenter_deadline_fn)(void *ud, int64_t next_deadline);

/**
 * Sets the engine's deadline hook, so that any event loop (libuv, epoll, asyncio...) can
 * drive the engine: arm one timer at the deadline and call ccenter_engine_advance() when
 * it fires. One hook per engine; fn NULL removes it. Allowed inside the event callback.
 * Errors: CCENTER_EINVAL (engine NULL), CCENTER_EBUSY (a hook is set already: remove it
 * first). Since 0.2.
 */
CCENTER_EXPORT int ccenter_engine_set_deadline_hook(ccenter_engine *engine,
                                                    ccenter_deadline_fn fn, void *ud);

/**
 * The next event in the engine's queue (ccenter_options_set_event_queue()), or NULL when
 * the queue is empty, the engine does not queue events, or engine is NULL. The event and
 * its strings stay valid until the next call of this function; every engine function may
 * be called meanwhile, and the events it raises queue behind. Since 0.2.
 */
CCENTER_EXPORT const ccenter_event *ccenter_engine_next_event(ccenter_engine *engine);

/** Events in the engine's queue not yet pulled; 0 for NULL. Query. Since 0.2. */
CCENTER_EXPORT size_t ccenter_engine_pending_events(const ccenter_engine *engine);

/**
 * Sets an engine-wide option (ccenter_engine_option).
 * Errors: CCENTER_EINVAL (unknown option), CCENTER_ERANGE (negative or too large value),
 * CCENTER_ETIME, CCENTER_ECALLBACK. Since 0.1.
 */
CCENTER_EXPORT int ccenter_engine_set(ccenter_engine *engine, ccenter_engine_option opt,
                                      int64_t value, int64_t now);

/* ---------------------------------------------------------------------------------- */
/* Queues                                                                              */

/**
 * Creates a queue with default settings; user_data (may be NULL) is the integrator's
 * pointer that events carry beside the queue's id. Errors: CCENTER_EEXIST, CCENTER_EINVAL,
 * CCENTER_ETIME, CCENTER_ECALLBACK, CCENTER_ENOMEM. Since 0.1; user_data since 0.2.
 */
CCENTER_EXPORT int ccenter_queue_add(ccenter_engine *engine, const char *queue,
                                     void *user_data, int64_t now);

/**
 * Replaces the user data of a queue, agent or contact (a contact's while it lives, until
 * its CONTACT_ENDED). Not a state change: no `now`, no event, allowed inside the event
 * callback, not journaled (after a recovery the integrator sets them again).
 * Errors: CCENTER_EINVAL (engine NULL or malformed id), CCENTER_ENOENT. Since 0.2.
 */
CCENTER_EXPORT int ccenter_queue_set_user_data(ccenter_engine *engine, const char *queue,
                                               void *user_data);
CCENTER_EXPORT int ccenter_agent_set_user_data(ccenter_engine *engine, const char *agent,
                                               void *user_data);
CCENTER_EXPORT int ccenter_contact_set_user_data(ccenter_engine *engine, const char *contact,
                                                 void *user_data);

/**
 * The user data of a queue, agent or contact; NULL when it has none or the id is unknown.
 * Query. Since 0.2.
 */
CCENTER_EXPORT void *ccenter_queue_user_data(const ccenter_engine *engine, const char *queue);
CCENTER_EXPORT void *ccenter_agent_user_data(const ccenter_engine *engine, const char *agent);
CCENTER_EXPORT void *ccenter_contact_user_data(const ccenter_engine *engine,
                                               const char *contact);

/**
 * Removes a queue. With contacts waiting or offered it fails with CCENTER_EBUSY unless
 * drain_to names another queue: then every waiting and offered contact moves there (offers
 * withdrawn) keeping its original enqueue time, with a QUEUE_MOVED event each. Agents stop
 * serving the removed queue. Contacts connected or in wrap-up that came from it keep going
 * and are counted as from it. Errors: CCENTER_ENOENT (queue or drain_to), CCENTER_EINVAL
 * (drain_to equal to queue), CCENTER_EBUSY, CCENTER_EFULL (drain_to's max length), and
 * the common ones. Since 0.1.
 */
CCENTER_EXPORT int ccenter_queue_remove(ccenter_engine *engine, const char *queue,
                                        const char *drain_to, int64_t now);

/**
 * Sets a numeric queue option (ccenter_queue_option). New values apply to timers armed from
 * now on (a contact already waiting keeps the max-wait deadline it had).
 * Errors: CCENTER_ENOENT, CCENTER_EINVAL (unknown option), CCENTER_ERANGE (value out of range
 * for the option), and the common ones. Since 0.1.
 */
CCENTER_EXPORT int ccenter_queue_set(ccenter_engine *engine, const char *queue,
                                     ccenter_queue_option opt, int64_t value, int64_t now);

/**
 * Sets (or with NULL clears) the queue that receives contacts at max wait when the action
 * is CCENTER_MAX_WAIT_OVERFLOW. If it is missing or full at that moment the contact times out.
 * Errors: CCENTER_ENOENT (queue or target), CCENTER_EINVAL (target is the queue itself), and
 * the common ones. Since 0.1.
 */
CCENTER_EXPORT int ccenter_queue_set_overflow(ccenter_engine *engine, const char *queue,
                                              const char *target, int64_t now);

/**
 * Reads a numeric queue option into *value. Query.
 * Errors: CCENTER_EINVAL, CCENTER_ENOENT. Since 0.1.
 */
CCENTER_EXPORT int ccenter_queue_get(const ccenter_engine *engine, const char *queue,
                                     ccenter_queue_option opt, int64_t *value);

/**
 * Appends a routing step to the queue: while a contact's step applies, only members who
 * meet `requirement` (docs/routing-expressions.md) may take it; after `duration_ms` the
 * next step applies, and after the last one any member may. At most CCENTER_MAX_STEPS
 * steps. New steps apply to contacts that join from now on. The requirement is compiled
 * once here.
 * Errors: CCENTER_ESYNTAX (bad requirement; the log says where), CCENTER_EFULL
 * (CCENTER_MAX_STEPS steps already, or the queue's CCENTER_MAX_REQUIREMENTS distinct
 * requirements in use), CCENTER_ERANGE (duration not in 1..CCENTER_MAX_DURATION_MS),
 * CCENTER_EINVAL (requirement NULL or longer than CCENTER_MAX_REQUIREMENT),
 * CCENTER_ENOENT, and the common ones. Since 0.1.
 */
CCENTER_EXPORT int ccenter_queue_add_step(ccenter_engine *engine, const char *queue,
                                          const char *requirement, int64_t duration_ms,
                                          int64_t now);

/** Removes the queue's steps (contacts already waiting keep theirs). Since 0.1. */
CCENTER_EXPORT int ccenter_queue_clear_steps(ccenter_engine *engine, const char *queue,
                                             int64_t now);

/** Real-time view of a queue. Set size = sizeof before the call: `ccenter_queue_info i = {.size = sizeof i};` */
typedef struct ccenter_queue_info {
  size_t size;
  unsigned waiting;         /**< contacts waiting (including callbacks keeping a place) */
  unsigned offered;         /**< contacts ringing at an agent */
  unsigned members;         /**< agents serving the queue */
  unsigned members_logged_in;
  unsigned members_ready;
  int64_t longest_wait_ms;  /**< wait of the oldest waiting or offered contact; 0 if none */
  int64_t ewt_ms;           /**< expected wait of a voice contact joining now; -1 unknown.
                                 0 only if it would be offered at once (one of the first
                                 few available members of the first step has free voice
                                 capacity, no delay, is no reserve member while the reserve
                                 is closed); an idle member who could not take it does not
                                 make it 0 */
  const char *oldest;       /**< id of the contact waiting (or ringing) longest, or NULL;
                                 valid until the next state-changing call */
} ccenter_queue_info;

/**
 * Fills *info (up to info->size bytes: a caller built against an older, smaller struct gets
 * the fields it knows). Query.
 * Errors: CCENTER_EINVAL (NULL, or size smaller than the 0.1 struct), CCENTER_ERANGE (now
 * outside CCENTER_TIME_MIN..CCENTER_TIME_MAX), CCENTER_ENOENT. Since 0.1.
 */
CCENTER_EXPORT int ccenter_queue_info_get(const ccenter_engine *engine, const char *queue,
                                          int64_t now, ccenter_queue_info *info);

/* ---------------------------------------------------------------------------------- */
/* Agents                                                                              */

/**
 * Creates an agent, LOGGED_OUT, with the default capacities (voice 1, chat 3, email 5,
 * sms 5, callback 1, task 1) and the default overlap rule (a voice or callback contact
 * blocks every other channel; other channels mix freely up to their capacities).
 * user_data (may be NULL) is the integrator's pointer that events carry beside the id.
 * Errors: CCENTER_EEXIST and the common ones. Since 0.1; user_data since 0.2.
 */
CCENTER_EXPORT int ccenter_agent_add(ccenter_engine *engine, const char *agent,
                                     void *user_data, int64_t now);

/**
 * Removes an agent. Errors: CCENTER_ENOENT, CCENTER_EBUSY (not LOGGED_OUT), and the common
 * ones. Since 0.1.
 */
CCENTER_EXPORT int ccenter_agent_remove(ccenter_engine *engine, const char *agent, int64_t now);

/**
 * Logs an agent in. It starts NOT_READY with cause CCENTER_CAUSE_LOGIN (no reason text);
 * call ccenter_agent_ready().
 * Errors: CCENTER_ESTATE (already logged in) and the common ones. Since 0.1.
 */
CCENTER_EXPORT int ccenter_agent_login(ccenter_engine *engine, const char *agent, int64_t now);

/**
 * Logs an agent out. Ringing offers are withdrawn (back to their places). With contacts
 * connected or in wrap-up, the logout is pending and applies when the last one is done.
 * Errors: CCENTER_ESTATE (logged out already) and the common ones. Since 0.1.
 */
CCENTER_EXPORT int ccenter_agent_logout(ccenter_engine *engine, const char *agent, int64_t now);

/**
 * Makes an agent READY: it may be offered contacts, and routing runs at once. Cancels a
 * pending NOT_READY. Resets the consecutive-miss count.
 * Errors: CCENTER_ESTATE (logged out, or a logout is pending) and the common ones. Since 0.1.
 */
CCENTER_EXPORT int ccenter_agent_ready(ccenter_engine *engine, const char *agent, int64_t now);

/**
 * Makes an agent NOT_READY with a reason code (e.g. "break", "lunch", at most
 * CCENTER_MAX_ID bytes; NULL: none, reported as "unspecified" by the statistics).
 * If the agent is working (offered, connected or wrap-up), nothing is withdrawn: no new offers
 * are made, and the NOT_READY applies when the last contact's wrap-up ends (AGENT_PENDING).
 * Errors: CCENTER_ESTATE (logged out) and the common ones. Since 0.1.
 */
CCENTER_EXPORT int ccenter_agent_not_ready(ccenter_engine *engine, const char *agent,
                                           const char *reason, int64_t now);

/**
 * An agent's routing-profile settings for one queue. Initialise with
 * ccenter_serve_params_init(), then change fields.
 */
typedef struct ccenter_serve_params {
  size_t size;
  int priority;     /**< higher first when the agent chooses among its queues' contacts;
                         -CCENTER_MAX_PROFILE_PRIORITY..CCENTER_MAX_PROFILE_PRIORITY; default 0 */
  int64_t delay_ms; /**< a contact must have waited this long before this agent may get it;
                         0..CCENTER_MAX_DURATION_MS; default 0 */
  int reserve;      /**< the agent takes this queue's contacts only past the queue's
                         reserve thresholds; default 0 */
} ccenter_serve_params;

/** Fills *params with size and the defaults. NULL does nothing. Since 0.2. */
CCENTER_EXPORT void ccenter_serve_params_init(ccenter_serve_params *params);

/**
 * Puts a queue in the agent's routing profile with the given settings (params NULL: the
 * defaults), or, when the agent serves it already, changes the settings. AGENT_SERVE is
 * raised when the agent starts serving the queue.
 * Errors: CCENTER_ENOENT (agent or queue), CCENTER_ERANGE (a setting out of range),
 * CCENTER_EINVAL (params->size too small, or unknown trailing fields set), and the common
 * ones. Since 0.1; params since 0.2.
 */
CCENTER_EXPORT int ccenter_agent_serve(ccenter_engine *engine, const char *agent,
                                       const char *queue, const ccenter_serve_params *params,
                                       int64_t now);

/**
 * Takes a queue out of the agent's routing profile (AGENT_SERVE with serving 0).
 * Errors: CCENTER_ENOENT (agent or queue unknown, or the queue not served), and the common
 * ones. Since 0.1.
 */
CCENTER_EXPORT int ccenter_agent_unserve(ccenter_engine *engine, const char *agent,
                                         const char *queue, int64_t now);

/**
 * Sets a skill's proficiency 1..10 (10 best), or removes the skill with 0. Routing is
 * re-evaluated at once. Errors: CCENTER_EINVAL (a name a requirement could not write: it
 * must start with a letter, hold only name characters, be no reserved word such as "and",
 * and be at most CCENTER_MAX_NAME bytes), CCENTER_ERANGE (level), CCENTER_EFULL (CCENTER_MAX_SKILLS skills
 * already), and the common ones. Since 0.1.
 */
CCENTER_EXPORT int ccenter_agent_set_skill(ccenter_engine *engine, const char *agent,
                                           const char *skill, int level, int64_t now);

/**
 * Sets an attribute (language, site, team, tier, or any key), or removes it with value
 * NULL. Errors: CCENTER_EINVAL (key longer than CCENTER_MAX_NAME, value longer than
 * CCENTER_MAX_VALUE), CCENTER_EFULL (CCENTER_MAX_ATTRS attributes already), and the
 * common ones. Since 0.1.
 */
CCENTER_EXPORT int ccenter_agent_set_attr(ccenter_engine *engine, const char *agent,
                                          const char *key, const char *value, int64_t now);

/**
 * Sets the agent's capacity on one channel (0..CCENTER_MAX_CAPACITY). Lowering it below the contacts in
 * progress is allowed: no new ones are offered until it frees up.
 * Errors: CCENTER_EINVAL (channel), CCENTER_ERANGE (capacity), and the common ones. Since 0.1.
 */
CCENTER_EXPORT int ccenter_agent_set_capacity(ccenter_engine *engine, const char *agent,
                                              ccenter_channel channel, unsigned capacity,
                                              int64_t now);

/**
 * Says whether a new contact on channel `incoming` may be offered while the agent has a
 * contact on channel `busy`. The rule is per agent and per ordered pair; a channel always
 * overlaps itself (up to capacity). Errors: CCENTER_EINVAL (channel) and the common ones.
 * Since 0.1.
 */
CCENTER_EXPORT int ccenter_agent_set_overlap(ccenter_engine *engine, const char *agent,
                                             ccenter_channel busy, ccenter_channel incoming,
                                             int allowed, int64_t now);

/**
 * Overrides the queues' wrap-up time for this agent; -1 restores the queue's.
 * Errors: CCENTER_ERANGE and the common ones. Since 0.1.
 */
CCENTER_EXPORT int ccenter_agent_set_wrap_up(ccenter_engine *engine, const char *agent,
                                             int64_t wrap_up_ms, int64_t now);

/** Real-time view of an agent. Set size = sizeof before the call: `ccenter_agent_info i = {.size = sizeof i};` */
typedef struct ccenter_agent_info {
  size_t size;
  ccenter_agent_state state;
  const char *reason;        /**< NOT_READY reason text, or NULL (none, or cause below) */
  const char *pending;       /**< reason text of a pending NOT_READY, or NULL */
  int64_t state_since;       /**< when the presence (or the NOT_READY reason) last changed */
  int64_t idle_since;        /**< when the agent last had no contact (for longest-idle) */
  unsigned offered;          /**< contacts ringing */
  unsigned connected;        /**< contacts connected (including on hold) */
  unsigned wrap_up;          /**< contacts in wrap-up */
  unsigned in_channel[CCENTER_CHANNEL_COUNT_]; /**< contacts per channel, any work state */
  unsigned missed_in_row;    /**< consecutive ring-no-answers */
  unsigned handled;          /**< contacts handled since the agent was created */
  /* Since 0.2: */
  ccenter_cause cause;       /**< NOT_READY made by the engine: LOGIN or NO_ANSWER; else NONE */
  ccenter_agent_state pending_state; /**< NOT_READY or LOGGED_OUT pending until the work
                                          ends; READY when nothing is pending */
  ccenter_cause pending_cause;       /**< NO_ANSWER when that NOT_READY is pending */
  int64_t state_ms;          /**< time in the current presence (and reason) at `now` */
} ccenter_agent_info;

/**
 * Fills *info (up to info->size bytes: a caller built against an older, smaller struct gets
 * the fields it knows) as at time `now` (at least the engine's time; it moves nothing).
 * Query. Errors: CCENTER_EINVAL (NULL, or size smaller than the 0.1 struct),
 * CCENTER_ERANGE (now outside CCENTER_TIME_MIN..CCENTER_TIME_MAX), CCENTER_ENOENT. Since
 * 0.1; now since 0.2.
 */
CCENTER_EXPORT int ccenter_agent_info_get(const ccenter_engine *engine, const char *agent,
                                          int64_t now, ccenter_agent_info *info);

/* ---------------------------------------------------------------------------------- */
/* Offers (the agent side of the ring)                                                 */

/**
 * The agent answered the offer: the contact is CONNECTED. Other agents still ringing for
 * it (ring-all, ring-progressive) see their offers withdrawn with cause
 * ANSWERED_ELSEWHERE.
 * Errors: CCENTER_ENOENT (agent or contact), CCENTER_ESTATE (no offer of that contact to that
 * agent), and the common ones. Since 0.1.
 */
CCENTER_EXPORT int ccenter_offer_accept(ccenter_engine *engine, const char *agent,
                                        const char *contact, int64_t now);

/**
 * The agent declined the offer: it is withdrawn, the contact goes back to its place (unless
 * other agents still ring for it) and is not offered to this agent again for the engine's
 * reject delay. Does not count as a miss.
 * Errors: as ccenter_offer_accept. Since 0.1.
 */
CCENTER_EXPORT int ccenter_offer_reject(ccenter_engine *engine, const char *agent,
                                        const char *contact, int64_t now);

/**
 * The offer was not answered (the integrator saw the phone fail or time out before the
 * engine's ring timeout): as the engine's own ring timeout — withdrawn, counted as a miss,
 * and kept from this agent for the reject delay.
 * Errors: as ccenter_offer_accept. Since 0.1.
 */
CCENTER_EXPORT int ccenter_offer_missed(ccenter_engine *engine, const char *agent,
                                        const char *contact, int64_t now);

/* ---------------------------------------------------------------------------------- */
/* Contacts                                                                            */

/** Key/value attribute of a contact. */
typedef struct ccenter_attr {
  const char *key;
  const char *value;
} ccenter_attr;

/** A routing step of a contact's own (replacing its queue's steps). */
typedef struct ccenter_step {
  const char *requirement; /**< requirement expression; "" matches every member */
  int64_t duration_ms;     /**< 1..86400000 */
} ccenter_step;

/**
 * Parameters of a new contact. Initialise with ccenter_contact_params_init() (which sets
 * size and the defaults: voice, priority 0, no customer, no attributes), then change fields.
 */
typedef struct ccenter_contact_params {
  size_t size;
  ccenter_channel channel;
  int priority;              /**< higher first; -1000000..1000000 */
  const char *customer;      /**< customer identity, kept across transfers; may be NULL */
  const ccenter_attr *attrs; /**< n_attrs key/value pairs, copied; keys unique */
  size_t n_attrs;
  const ccenter_step *steps; /**< the contact's own routing steps (up to 8), or NULL */
  size_t n_steps;
  const char *const *preferred; /**< preferred agent ids (up to 8), tried first */
  size_t n_preferred;
  int64_t preferred_timeout_ms; /**< how long only preferred agents may take it;
                                     -1 = the queue's PREFERRED_TIMEOUT */
  int emergency;             /**< pre-emptive class: routed before every ordinary contact */
  /* Since 0.2: */
  void *user_data;           /**< the integrator's pointer, carried by the contact's events */
} ccenter_contact_params;

/** Fills *params with size and defaults (preferred_timeout_ms -1). NULL does nothing. Since 0.1. */
CCENTER_EXPORT void ccenter_contact_params_init(ccenter_contact_params *params);

/**
 * A contact arrives in a queue. params may be NULL (defaults). Routing runs at once.
 * A caller built against an older, smaller ccenter_contact_params passes its own size:
 * fields beyond it take their defaults.
 * Errors: CCENTER_EEXIST (contact id in use), CCENTER_ENOENT (queue), CCENTER_EFULL (max
 * length, or the queue's CCENTER_MAX_REQUIREMENTS in use), CCENTER_ENOAGENTS (the queue's join-empty rule holds), CCENTER_EINVAL (channel,
 * priority, attributes, size smaller than the 0.1 struct or unknown trailing fields set),
 * CCENTER_ESYNTAX (a step's requirement), and the common ones. Since 0.1.
 */
CCENTER_EXPORT int ccenter_contact_enqueue(ccenter_engine *engine, const char *contact,
                                           const char *queue,
                                           const ccenter_contact_params *params, int64_t now);

/**
 * The customer hung up while waiting or ringing: outcome ABANDONED. An offer is withdrawn.
 * Errors: CCENTER_ESTATE (connected or later: use ccenter_contact_end) and the common ones.
 * Since 0.1.
 */
CCENTER_EXPORT int ccenter_contact_abandon(ccenter_engine *engine, const char *contact,
                                           int64_t now);

/**
 * Takes a waiting contact out of the queue on the integrator's decision (an IVR exit key,
 * a chat closed by policy): outcome REMOVED. Errors: CCENTER_ESTATE (not waiting or
 * offered) and the common ones. Since 0.1.
 */
CCENTER_EXPORT int ccenter_contact_remove(ccenter_engine *engine, const char *contact,
                                          int64_t now);

/**
 * The conversation ended; `by` says who hung up (CCENTER_PARTY_UNKNOWN if the switch
 * cannot tell), carried by CONVERSATION_ENDED as `party` (queue_log's COMPLETECALLER /
 * COMPLETEAGENT). The agent enters wrap-up for the queue's (or its own) wrap-up time; with
 * 0 the contact is done at once: outcome HANDLED. A consultation in progress is cancelled.
 * Errors: CCENTER_ESTATE (not connected), CCENTER_EINVAL (a party not in the enum), and
 * the common ones. Since 0.1; by since 0.2.
 */
CCENTER_EXPORT int ccenter_contact_end(ccenter_engine *engine, const char *contact,
                                       ccenter_party by, int64_t now);

/**
 * Sets up to CCENTER_MAX_THRESHOLDS extra service-level thresholds (ms, strictly
 * ascending, each 1..CCENTER_MAX_DURATION_MS) for the per-threshold splits in the
 * statistics; n = 0 clears them.
 * Errors: CCENTER_EINVAL (ms NULL with n > 0, not ascending), CCENTER_EFULL (n >
 * CCENTER_MAX_THRESHOLDS), CCENTER_ERANGE, and the common ones. Since 0.1.
 */
CCENTER_EXPORT int ccenter_queue_set_thresholds(ccenter_engine *engine, const char *queue,
                                                const int64_t *ms, size_t n, int64_t now);

/** Puts a connected contact on hold / takes it off hold. CCENTER_ESTATE otherwise. Since 0.1. */
CCENTER_EXPORT int ccenter_contact_hold(ccenter_engine *engine, const char *contact, int64_t now);
CCENTER_EXPORT int ccenter_contact_resume(ccenter_engine *engine, const char *contact,
                                          int64_t now);

/**
 * Ends the agent's wrap-up on the contact now (early), or extends it by extra_ms (> 0)
 * from its current deadline (an unlimited wrap-up cannot be extended: end it instead).
 * The agent is named because after a transfer two agents may be wrapping up one contact.
 * Errors: CCENTER_ENOENT (agent or contact unknown), CCENTER_ESTATE (that agent is not in
 * wrap-up on that contact), CCENTER_ERANGE
 * (extra_ms not in 1..86400000) and the common ones. Since 0.1.
 */
CCENTER_EXPORT int ccenter_agent_wrap_up_end(ccenter_engine *engine, const char *agent,
                                             const char *contact, int64_t now);
CCENTER_EXPORT int ccenter_agent_wrap_up_extend(ccenter_engine *engine, const char *agent,
                                                const char *contact, int64_t extra_ms,
                                                int64_t now);

/**
 * Records a disposition code (contact reason, outcome) or a survey score (0..100) on a
 * contact that is connected or in wrap-up. Several codes may be recorded; the last score
 * wins. Errors: CCENTER_ESTATE, CCENTER_ERANGE (score), and the common ones. Since 0.1.
 */
CCENTER_EXPORT int ccenter_contact_disposition(ccenter_engine *engine, const char *contact,
                                               const char *code, int64_t now);
CCENTER_EXPORT int ccenter_contact_survey(ccenter_engine *engine, const char *contact,
                                          int score, int64_t now);

/**
 * Blind transfer of a connected contact to a queue: the agent goes to wrap-up and the
 * contact waits in `queue` as a new arrival there (its customer id, channel and priority
 * kept; the target's steps apply). Errors: CCENTER_ESTATE (not connected), CCENTER_ENOENT,
 * CCENTER_EFULL (target's max length), CCENTER_ENOAGENTS (target's join-empty rule), and
 * the common ones. Since 0.1.
 */
CCENTER_EXPORT int ccenter_contact_transfer_queue(ccenter_engine *engine, const char *contact,
                                                  const char *queue, int64_t now);

/**
 * Blind transfer of a connected contact to an agent who is logged in and has free capacity
 * on its channel (READY or not): the first agent goes to wrap-up and the contact is
 * offered to `agent`. A consultation in progress ends (CONSULT_ENDED, cause TRANSFERRED);
 * if `agent` is the one being consulted, the consultation's room counts as free, and the
 * agent is given nothing else between the consultation's end and this offer.
 * If that offer is rejected or not answered the contact goes back to the queue it was
 * last in, as a new arrival there.
 * Errors: CCENTER_ESTATE (not connected; or target is the current agent), CCENTER_ECAPACITY
 * (target has no free capacity), CCENTER_ENOENT, and the common ones. Since 0.1.
 */
CCENTER_EXPORT int ccenter_contact_transfer_agent(ccenter_engine *engine, const char *contact,
                                                  const char *agent, int64_t now);

/**
 * Re-queues a connected contact: the agent goes to wrap-up and the contact goes back to its
 * queue at its original place (original enqueue time kept), with a fresh max wait counted
 * from now and position announcements again (a callback gets neither, as when it first
 * waited). The agent who requeued it is kept from it for the reject delay
 * (CCENTER_ENGINE_REJECT_DELAY), as after a rejection: it goes to another agent, or waits
 * for that agent until the delay is over.
 * Errors: CCENTER_ESTATE (not connected), CCENTER_ENOENT (its queue was removed),
 * CCENTER_EFULL (the queue is at its max length) and the common ones.
 * Since 0.1.
 */
CCENTER_EXPORT int ccenter_contact_requeue(ccenter_engine *engine, const char *contact,
                                           int64_t now);

/**
 * Consult transfer. consult_start rings `agent` (who needs free voice capacity) while the
 * contact stays connected (usually on hold) with its agent; ccenter_offer_accept(agent,
 * contact) connects the consultation; consult_complete hands the contact to the consulted
 * agent (the first goes to wrap-up); consult_cancel ends the consultation (also allowed
 * while ringing). One consultation per contact at a time.
 * Errors: CCENTER_ESTATE (not connected, consultation already or not in progress, or
 * complete before it was answered), CCENTER_ECAPACITY, CCENTER_ENOENT, and the common ones.
 * Since 0.1.
 */
CCENTER_EXPORT int ccenter_contact_consult_start(ccenter_engine *engine, const char *contact,
                                                 const char *agent, int64_t now);
CCENTER_EXPORT int ccenter_contact_consult_complete(ccenter_engine *engine,
                                                    const char *contact, int64_t now);
CCENTER_EXPORT int ccenter_contact_consult_cancel(ccenter_engine *engine, const char *contact,
                                                  int64_t now);

/**
 * The waiting customer accepted a callback: the contact keeps its place without holding a
 * line (CALLBACK_QUEUED). When its turn comes the engine raises CALLBACK_DUE and then
 * offers it as usual. Errors: CCENTER_ESTATE (not waiting, or already a callback) and the
 * common ones. Since 0.1.
 */
CCENTER_EXPORT int ccenter_contact_callback(ccenter_engine *engine, const char *contact,
                                            int64_t now);

/** Real-time view of a contact. Set size = sizeof before the call: `ccenter_contact_info i = {.size = sizeof i};` */
typedef struct ccenter_contact_info {
  size_t size;
  ccenter_contact_state state;
  ccenter_channel channel;
  int priority;
  int is_callback;
  int on_hold;
  const char *queue;    /**< current (or last) queue; valid until the next state change */
  const char *agent;    /**< agent ringing/connected/wrapping up, or NULL */
  const char *customer;
  unsigned position;    /**< 1-based when waiting, else 0 */
  int64_t enqueued_at;  /**< enqueue time in the current queue (original place for requeue) */
  int64_t wait_ms;      /**< waited so far in the current queue (until answered) */
  int64_t ewt_ms;       /**< expected further wait if waiting (position-aware); -1 unknown */
} ccenter_contact_info;

/**
 * Fills *info (up to info->size bytes: a caller built against an older, smaller struct gets
 * the fields it knows). Query. Errors: CCENTER_EINVAL (NULL, or size smaller than the 0.1
 * struct), CCENTER_ERANGE (now out of range), CCENTER_ENOENT. Since 0.1.
 */
CCENTER_EXPORT int ccenter_contact_info_get(const ccenter_engine *engine, const char *contact,
                                            int64_t now, ccenter_contact_info *info);

/** Real-time view of one skill across the centre. Set size = sizeof before the call. */
typedef struct ccenter_skill_info {
  size_t size;
  unsigned agents;         /**< agents who have the skill (any level) */
  unsigned logged_in;      /**< ... of whom logged in */
  unsigned ready;          /**< ... READY (busy or not) */
  unsigned available;      /**< ... READY with free capacity and no pending change */
  unsigned busy;           /**< ... with at least one contact in progress */
  unsigned waiting;        /**< waiting contacts whose current routing step requires it */
  int64_t longest_wait_ms; /**< the longest wait among those; 0 if none */
  double mean_level;       /**< mean proficiency of the logged-in agents who have it */
} ccenter_skill_info;

/**
 * Fills *info for `skill` at time `now`. A skill nobody has and no step requires gives
 * zeros. Costs a walk of the agents and the waiting contacts: meant for wallboards, a few
 * times a second, not for every event. Query. Fills up to info->size bytes.
 * Errors: CCENTER_EINVAL (NULL, bad name, or size smaller than the 0.1 struct),
 * CCENTER_ERANGE (now out of range). Since 0.1.
 */
CCENTER_EXPORT int ccenter_skill_info_get(const ccenter_engine *engine, const char *skill,
                                          int64_t now, ccenter_skill_info *info);

/**
 * The value of a contact attribute, or NULL if absent or the contact is unknown. The
 * pointer follows the lifetime rule at the top of this header. Query. Since 0.1.
 */
CCENTER_EXPORT const char *ccenter_contact_attr(const ccenter_engine *engine,
                                                const char *contact, const char *key);

#ifdef __cplusplus
}
#endif
#endif /* CCENTER_ENGINE_H */
