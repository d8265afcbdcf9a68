/*
 * libccenter — historical statistics, KPIs and the Asterisk queue_log export.
 *
 * Every engine keeps statistics of its own (unless created with
 * ccenter_options_set_statistics(opts, 0): then every ccenter_stats_* query below fails with
 * CCENTER_ENOTSUP), computed only from the events it raises (and
 * each queue's service-level settings): counters per queue and per agent, per interval of
 * CCENTER_ENGINE_STATS_INTERVAL ms (aligned to multiples of it on the engine clock), for
 * the last CCENTER_ENGINE_STATS_KEEP intervals. docs/statistics.md defines every counter,
 * the interval rule (a contact is counted in the interval in which it arrived in the
 * queue) and the identity the queue counters keep.
 *
 * Nothing here reads a clock or does I/O: queries that depend on the time take `now`,
 * and the queue_log export hands each line to a function of the integrator's.
 *
 * Structs the caller allocates begin with `size_t size`, set by the caller
 * (`ccenter_queue_stats s = {.size = sizeof s};`); the library fills at most `size` bytes
 * and never writes `size`. A size smaller than the 0.1 struct is CCENTER_EINVAL.
 *
 * Thread safety: as the engine's (none). The KPI functions and ccenter_queue_log_format()
 * are pure and safe from any thread.
 */
#ifndef CCENTER_STATS_H
#define CCENTER_STATS_H

#include "ccenter/common.h"
#include "ccenter/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Extra service-level thresholds per queue (ccenter_queue_set_thresholds). */
#define CCENTER_STATS_MAX_THRESHOLDS 8

/** Survey histogram buckets: scores 0-9, 10-19, ..., 90-99, and 100. */
#define CCENTER_STATS_SURVEY_BUCKETS 11

/**
 * Counters of one queue over one or more intervals. Counts are of contacts that arrived in
 * the queue in those intervals (docs/statistics.md, "The interval rule"). The identity
 * offered = answered + abandoned + timed_out + exit_empty + removed + overflowed_out +
 * moved_out + waiting holds for every interval and every sum of intervals.
 */
typedef struct ccenter_queue_stats {
  size_t size;
  unsigned intervals;        /**< intervals summed: those overlapping [from, to) that are
                                  still kept (with or without data) */
  int64_t from;              /**< start of the first interval summed (0 if none) */
  int64_t to;                /**< end of the last interval summed (0 if none) */
  int64_t threshold_ms;      /**< service-level threshold the counters were taken with */
  size_t n_extra;            /**< extra thresholds in use */
  int64_t extra_ms[CCENTER_STATS_MAX_THRESHOLDS];

  uint64_t offered;          /**< arrivals: queued, moved in, requeued */
  uint64_t contacts;         /**< new contacts (first arrival of a contact id) */
  uint64_t answered;         /**< connected to an agent from the queue */
  uint64_t answered_within;  /**< answered with wait <= threshold_ms */
  uint64_t abandoned;        /**< customer hung up waiting or ringing (short ones included) */
  uint64_t short_abandoned;  /**< abandoned with wait < CCENTER_ENGINE_SHORT_ABANDON */
  uint64_t abandoned_within; /**< abandoned, not short, with wait <= threshold_ms */
  uint64_t timed_out;        /**< left at max wait (outcome TIMED_OUT) */
  uint64_t exit_empty;       /**< left by the leave-empty rule */
  uint64_t removed;          /**< taken out by the integrator (outcome REMOVED) */
  uint64_t overflowed_out;   /**< moved on to the overflow queue at max wait */
  uint64_t overflowed_in;    /**< arrived by overflow from another queue */
  uint64_t moved_out;        /**< moved away by a queue removal's drain */
  uint64_t moved_in;         /**< arrived by a drain (also counted in offered) */
  uint64_t transferred_out;  /**< transfers made by agents on contacts of the queue (all kinds) */
  uint64_t transferred_out_agent;   /**< ... of which blind transfers to an agent */
  uint64_t transferred_out_consult; /**< ... of which completed consultations */
  uint64_t transferred_in;   /**< arrived by a blind transfer to the queue */
  uint64_t requeued;         /**< arrivals that were re-queues (also counted in offered) */
  uint64_t waiting;          /**< arrivals still waiting or ringing */
  uint64_t callbacks_offered;   /**< CALLBACK_OFFER raised */
  uint64_t callbacks_requested; /**< became a callback keeping its place */
  uint64_t callbacks_completed; /**< callbacks answered by an agent */
  uint64_t repeat_contacts;  /**< new contacts of a customer seen within the repeat window */
  uint64_t handled;          /**< agent legs completed (wrap-up ended) */
  uint64_t dispositions;     /**< disposition codes recorded (all codes) */
  uint64_t surveys;          /**< survey scores recorded */
  int64_t survey_sum;        /**< sum of the survey scores */
  uint64_t survey_hist[CCENTER_STATS_SURVEY_BUCKETS]; /**< scores by tens (100 last) */
  uint64_t answered_within_extra[CCENTER_STATS_MAX_THRESHOLDS];  /**< wait <= extra_ms[i] */
  uint64_t abandoned_within_extra[CCENTER_STATS_MAX_THRESHOLDS]; /**< not short, <= extra_ms[i] */
  int64_t wait_answered_ms;  /**< total wait of the answered */
  int64_t wait_abandoned_ms; /**< total wait of the abandoned */
  int64_t max_wait_answered_ms;
  int64_t max_wait_abandoned_ms;
  int64_t talk_ms;           /**< conversation time of agent legs, hold excluded */
  int64_t hold_ms;           /**< hold time of agent legs */
  int64_t wrap_ms;           /**< wrap-up time of agent legs */
} ccenter_queue_stats;

/**
 * Counters of one agent over one or more intervals. Times are split across intervals by
 * when they accrued; counts go to the interval of their event.
 */
typedef struct ccenter_agent_stats {
  size_t size;
  unsigned intervals;        /**< intervals summed: those overlapping [from, to) that are
                                  still kept (with or without data) */
  int64_t from;              /**< start of the first interval summed (0 if none) */
  int64_t to;                /**< end of the last interval summed (0 if none) */
  int64_t logged_in_ms;      /**< READY + NOT_READY */
  int64_t ready_ms;
  int64_t ready_idle_ms;     /**< READY with no contact ringing, connected or in wrap-up */
  int64_t not_ready_ms;      /**< all reasons (per reason: ccenter_stats_agent_not_ready) */
  int64_t talk_ms;           /**< connected, hold excluded (consultations included) */
  int64_t hold_ms;
  int64_t wrap_ms;
  uint64_t logins;
  uint64_t logouts;
  uint64_t offered;          /**< offers rung (consultations not included) */
  uint64_t answered;         /**< offers accepted */
  uint64_t missed;           /**< offers withdrawn on ring-timeout or missed */
  uint64_t rejected;         /**< offers rejected */
  uint64_t handled;          /**< contacts whose wrap-up ended */
  uint64_t transfers;        /**< transfers made (to a queue, to an agent, consultations) */
} ccenter_agent_stats;

/** Service-level formulas (docs/statistics.md). Short abandons are excluded from all. */
typedef enum ccenter_sl_variant {
  /** UCCE "abandons ignored": answered_within / (offered - abandoned_within) */
  CCENTER_SL_ABANDONS_IGNORED = 0,
  /** UCCE "abandons count against": answered_within / offered */
  CCENTER_SL_ABANDONS_AGAINST = 1,
  /** UCCE "abandons count for" (Amazon Connect's):
   *  (answered_within + abandoned_within) / offered */
  CCENTER_SL_ABANDONS_FOR = 2,
  /** Asterisk servicelevelperf: answered_within / answered */
  CCENTER_SL_ASTERISK = 3,
  /** Asterisk servicelevelperf2: (answered_within + abandoned_within) / (answered + abandoned) */
  CCENTER_SL_ASTERISK_2 = 4
} ccenter_sl_variant;

/**
 * The start of the statistics interval that contains t: the largest multiple of the
 * engine's CCENTER_ENGINE_STATS_INTERVAL not after t. Query; 0 for a NULL engine. Since 0.1.
 */
CCENTER_EXPORT int64_t ccenter_stats_interval_start(const ccenter_engine *engine, int64_t t);

/**
 * Sums the kept intervals of `queue` that overlap [from, to) into *out (up to out->size
 * bytes). A removed queue keeps its statistics. Query.
 * Errors: CCENTER_EINVAL (NULL, from >= to, size too small), CCENTER_ENOENT (the
 * statistics never saw the queue). Since 0.1.
 */
CCENTER_EXPORT int ccenter_stats_queue(const ccenter_engine *engine, const char *queue,
                                       int64_t from, int64_t to, ccenter_queue_stats *out);

/**
 * Sums the kept intervals of `agent` that overlap [from, to) into *out, including the time
 * accrued up to `now` in the agent's current state and work. Query.
 * Errors: CCENTER_EINVAL (NULL, from >= to, size too small), CCENTER_ETIME (now before the
 * engine's time), CCENTER_ERANGE (now past CCENTER_TIME_MAX), CCENTER_ENOENT (never seen).
 * Since 0.1.
 */
CCENTER_EXPORT int ccenter_stats_agent(const ccenter_engine *engine, const char *agent,
                                       int64_t from, int64_t to, int64_t now,
                                       ccenter_agent_stats *out);

/** Receives one disposition code and how often it was recorded. */
typedef void (*ccenter_stats_code_fn)(void *ud, const char *code, uint64_t count);
/** Receives one not-ready reason and the time spent in it. */
typedef void (*ccenter_stats_reason_fn)(void *ud, const char *reason, int64_t ms);

/**
 * Calls fn once per disposition code recorded on the queue's contacts in the kept
 * intervals overlapping [from, to), in strcmp order, with the summed count. The strings
 * are valid during the call. Returns the number of codes.
 * Errors: CCENTER_EINVAL, CCENTER_ENOENT, CCENTER_ENOMEM. Since 0.1.
 */
CCENTER_EXPORT int ccenter_stats_queue_dispositions(const ccenter_engine *engine,
                                                    const char *queue, int64_t from,
                                                    int64_t to, ccenter_stats_code_fn fn,
                                                    void *ud);

/**
 * Calls fn once per not-ready reason of the agent in [from, to) (up to now, the current
 * stretch included), in strcmp order. Returns the number of reasons.
 * Errors: CCENTER_EINVAL, CCENTER_ETIME, CCENTER_ERANGE (now past CCENTER_TIME_MAX),
 * CCENTER_ENOENT, CCENTER_ENOMEM. Since 0.1.
 */
CCENTER_EXPORT int ccenter_stats_agent_not_ready(const ccenter_engine *engine,
                                                 const char *agent, int64_t from, int64_t to,
                                                 int64_t now, ccenter_stats_reason_fn fn,
                                                 void *ud);

/**
 * Events the statistics could not record completely (out of memory while recording, or an
 * event about a contact they had lost track of). Query; 0 for NULL. Since 0.1.
 */
CCENTER_EXPORT uint64_t ccenter_stats_dropped(const ccenter_engine *engine);

/* ---------------------------------------------------------------------------------- */
/* KPIs: pure functions of counters. Each returns 0 and writes *out, or fails without    */
/* writing: CCENTER_EINVAL (NULL, size too small, unknown variant or index),             */
/* CCENTER_ERANGE (zero denominator).                                                    */

/** Service level (0..1) at the queue's threshold with the variant's formula. Since 0.1. */
CCENTER_EXPORT int ccenter_kpi_service_level(const ccenter_queue_stats *s, ccenter_sl_variant v,
                                             double *out);

/** Service level at extra threshold `index` (0..n_extra-1). Since 0.1. */
CCENTER_EXPORT int ccenter_kpi_service_level_extra(const ccenter_queue_stats *s,
                                                   ccenter_sl_variant v, size_t index,
                                                   double *out);

/** Average speed of answer, ms: wait_answered_ms / answered. Since 0.1. */
CCENTER_EXPORT int ccenter_kpi_asa(const ccenter_queue_stats *s, double *out);

/** Average handle time, ms: (talk_ms + hold_ms + wrap_ms) / handled. Since 0.1. */
CCENTER_EXPORT int ccenter_kpi_aht(const ccenter_queue_stats *s, double *out);

/**
 * Abandonment rate (0..1): abandoned / offered, or with exclude_short
 * (abandoned - short_abandoned) / (offered - short_abandoned). Since 0.1.
 */
CCENTER_EXPORT int ccenter_kpi_abandon_rate(const ccenter_queue_stats *s, int exclude_short,
                                            double *out);

/** Transfer rate (0..1): transferred_out / handled. Since 0.1. */
CCENTER_EXPORT int ccenter_kpi_transfer_rate(const ccenter_queue_stats *s, double *out);

/** Repeat-contact rate (0..1): repeat_contacts / contacts. Since 0.1. */
CCENTER_EXPORT int ccenter_kpi_repeat_rate(const ccenter_queue_stats *s, double *out);

/**
 * Occupancy (0..1): (talk + hold + wrap) / (talk + hold + wrap + ready_idle), from an
 * agent's counters. Since 0.1.
 */
CCENTER_EXPORT int ccenter_kpi_occupancy(const ccenter_agent_stats *s, double *out);

/** Utilisation (0..1): (talk + hold + wrap) / logged_in. Since 0.1. */
CCENTER_EXPORT int ccenter_kpi_utilisation(const ccenter_agent_stats *s, double *out);

/* ---------------------------------------------------------------------------------- */
/* Asterisk queue_log export (docs/statistics.md has the mapping)                        */

/**
 * Formats the queue_log line of one event, `epoch|callid|queue|agent|EVENT|data...`
 * without a newline and NUL-terminated, with epoch = floor((ev->time + epoch_offset_ms) /
 * 1000). Uses only the event: CONVERSATION_ENDED and CONTACT_TRANSFERRED carry no wait, so
 * their holdtime is ev->wait_ms (0 from the engine), and a transfer to an agent is always
 * BLINDTRANSFER; the attached sink (ccenter_queue_log_attach) fills both in. A '|', CR or
 * LF inside an id is written as '_'. Pure; safe from any thread.
 * Returns the line's length (without the NUL), 0 if the event has no queue_log
 * equivalent (nothing written), CCENTER_ERANGE if buf cannot hold the line and its NUL,
 * or if ev->time + epoch_offset_ms overflows (nothing written past len; buf holds "" if
 * len > 0), CCENTER_EINVAL (ev or buf NULL). The attached sink writes a few lines more
 * than this function for some events (PAUSE per queue after PAUSEALL, the exit from the
 * queue left by an overflow or a drain): docs/statistics.md. Since 0.1.
 */
CCENTER_EXPORT int ccenter_queue_log_format(const ccenter_event *ev, int64_t epoch_offset_ms,
                                            char *buf, size_t len);

/** Receives one queue_log line (no newline; line[len] is NUL), valid during the call. */
typedef void (*ccenter_queue_log_fn)(void *ud, const char *line, size_t len);

/** An attached queue_log export. */
typedef struct ccenter_queue_log ccenter_queue_log;

/**
 * Attaches a queue_log export to the engine: from now on every event with a queue_log
 * equivalent becomes one call of line_fn, made before the integrator's event callback and
 * under the same rules (no state-changing call inside it). The library never writes files:
 * line_fn does. Not from inside the event callback. Attach it before adding agents and
 * contacts: it writes from what it has seen. epoch_offset_ms is in
 * CCENTER_TIME_MIN..CCENTER_TIME_MAX.
 * Errors: CCENTER_EINVAL (NULL), CCENTER_ERANGE (epoch_offset_ms), CCENTER_ECALLBACK
 * (inside the event callback), CCENTER_EFULL (the engine has no room for another
 * observer or observer slot: the statistics use one of two slots), CCENTER_ENOMEM.
 * Since 0.1.
 */
CCENTER_EXPORT int ccenter_queue_log_attach(ccenter_engine *engine, int64_t epoch_offset_ms,
                                            ccenter_queue_log_fn line_fn, void *ud,
                                            ccenter_queue_log **out);

/**
 * Detaches and frees an export. Call it before ccenter_engine_free() and not from inside
 * the event callback. NULL does nothing. Since 0.1.
 */
CCENTER_EXPORT void ccenter_queue_log_detach(ccenter_queue_log *ql);

/**
 * Lines the export could not produce (out of memory, or a line longer than 4 KiB).
 * Query; 0 for NULL. Since 0.1.
 */
CCENTER_EXPORT uint64_t ccenter_queue_log_dropped(const ccenter_queue_log *ql);

#ifdef __cplusplus
}
#endif
#endif /* CCENTER_STATS_H */
