/*
 * libccenter — staffing math: Erlang B, Erlang C, Erlang A and a staffing solver.
 *
 * Pure functions: no engine, no allocation, no global state. Every function here is safe
 * to call from any thread at the same time as any other. docs/staffing.md gives the
 * formulas and a worked example.
 *
 * Units: traffic in erlangs (arrivals per second × mean handle time in seconds), times in
 * seconds, probabilities and ratios in [0, 1].
 *
 * Result structs carry their size in the first member, set by the caller before the call:
 *
 *     ccenter_erlang_metrics m = { .size = sizeof m };
 *     int rc = ccenter_erlang_c_metrics(10.0, 14, 180.0, 20.0, &m);
 *
 * The library fills at most `size` bytes (so a program built against an older, smaller
 * struct keeps working with a newer library) and never writes `size` itself. A size
 * smaller than the struct of version 0.1 is rejected with CCENTER_EINVAL.
 */
#ifndef CCENTER_STAFFING_H
#define CCENTER_STAFFING_H

#include "ccenter/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The largest number of agents the functions below accept: `agents` of the Erlang
 * functions and `max_agents` of the solver. Above it they return CCENTER_ERANGE and write
 * nothing. Erlang B, on which the others build, takes O(agents) time: at this limit a
 * call takes milliseconds and the slowest solver run about 0.2 s; at 4,294,967,295 agents
 * Erlang B alone took minutes. A million agents on one queue is beyond any contact centre.
 * Since 0.2.
 */
#define CCENTER_STAFFING_MAX_AGENTS 1000000u

/**
 * The largest offered traffic, in erlangs, the functions below accept (`traffic_erlangs`).
 * Above it they return CCENTER_ERANGE and write nothing. It is far above what
 * CCENTER_STAFFING_MAX_AGENTS agents can serve (Erlang C needs agents > traffic), and
 * keeps every intermediate quantity well inside double precision. Since 0.2.
 */
#define CCENTER_STAFFING_MAX_TRAFFIC 1e12

/**
 * What a queue model predicts for one staffing level, filled by ccenter_erlang_c_metrics()
 * and ccenter_erlang_a_metrics(). Probabilities are per arriving contact.
 */
typedef struct ccenter_erlang_metrics {
  /** sizeof(ccenter_erlang_metrics), set by the caller. */
  size_t size;
  /** Probability that an arriving contact finds every agent busy (it has to queue). */
  double p_wait;
  /** Probability that an arriving contact abandons before it is answered. 0 in Erlang C. */
  double p_abandon;
  /**
   * Service level at the threshold T: the fraction of all arriving contacts that are
   * answered within T seconds (abandons count against; Cisco's "abandons count against").
   */
  double service_level;
  /** Fraction of all arriving contacts that abandon within T seconds. 0 in Erlang C. */
  double abandon_within;
  /** Average speed of answer: mean wait of the contacts that are answered, seconds. */
  double asa_s;
  /**
   * Mean time in queue over all arriving contacts, answered or abandoned (E[Q] / λ),
   * seconds. Equal to asa_s in Erlang C.
   */
  double mean_wait_s;
  /** Mean number of contacts waiting (not being handled), E[Q]. */
  double mean_queue;
  /** Agent occupancy: mean number of busy agents / N (A / N in Erlang C). */
  double occupancy;
} ccenter_erlang_metrics;

/**
 * Erlang B: the probability that a contact is blocked (lost) when `traffic_erlangs` of
 * traffic is offered to `agents` servers with no queue (M/M/N/N).
 *
 * Computed by the recursion B(0) = 1, B(k) = A·B(k−1) / (k + A·B(k−1)): stable for any
 * traffic and number of agents, O(agents) time (it stops early once B underflows to 0).
 * agents = 0 gives 1; traffic 0 gives 0 (for agents ≥ 1).
 *
 * Errors: CCENTER_EINVAL if traffic_erlangs is negative or not finite, or blocking is
 * NULL; CCENTER_ERANGE (since 0.2) if agents > CCENTER_STAFFING_MAX_AGENTS or
 * traffic_erlangs > CCENTER_STAFFING_MAX_TRAFFIC. Since 0.1.
 */
CCENTER_EXPORT int ccenter_erlang_b(double traffic_erlangs, unsigned agents, double *blocking);

/**
 * Erlang C: the probability that an arriving contact has to wait (M/M/N, infinite
 * patience), C = N·B / (N − A·(1 − B)) with B = Erlang B(N, A). O(agents) time.
 *
 * Errors: CCENTER_EINVAL if traffic_erlangs is negative or not finite, or p_wait is NULL;
 * CCENTER_ERANGE if agents ≤ traffic_erlangs (the queue grows without bound), or (since
 * 0.2) agents or traffic_erlangs is above its limit (CCENTER_STAFFING_MAX_AGENTS,
 * CCENTER_STAFFING_MAX_TRAFFIC). Since 0.1.
 */
CCENTER_EXPORT int ccenter_erlang_c(double traffic_erlangs, unsigned agents, double *p_wait);

/**
 * Erlang C metrics for N = `agents` agents, traffic A = `traffic_erlangs`, mean handle
 * time `aht_s` seconds and service-level threshold T = `threshold_s` seconds:
 * p_wait = C; service_level = 1 − C·exp(−(N − A)·T / aht); asa_s = mean_wait_s =
 * C·aht / (N − A); mean_queue = C·A / (N − A); occupancy = A / N; p_abandon =
 * abandon_within = 0. O(agents) time.
 *
 * Errors: CCENTER_EINVAL if traffic is negative or not finite, aht_s is not finite and
 * > 0, threshold_s is not finite and ≥ 0, r is NULL or r->size is too small;
 * CCENTER_ERANGE if agents ≤ traffic_erlangs, or (since 0.2) agents or traffic_erlangs is
 * above its limit (CCENTER_STAFFING_MAX_AGENTS, CCENTER_STAFFING_MAX_TRAFFIC). Since 0.1.
 */
CCENTER_EXPORT int ccenter_erlang_c_metrics(double traffic_erlangs, unsigned agents, double aht_s,
                                            double threshold_s, ccenter_erlang_metrics *r);

/**
 * Erlang A (M/M/N+M, Palm's model; Garnett, Mandelbaum & Reiman 2002): like Erlang C, but
 * a waiting contact abandons after an exponentially distributed patience of mean
 * `patience_s` seconds. Arrival rate λ = traffic_erlangs / aht_s per second.
 *
 * Exact (no approximation) from the birth–death chain, summed around its mode in
 * double precision; the tail left out is below 1e-18 of the total. The service level and
 * the ASA of answered contacts use the exact waiting-time distribution: a contact that
 * finds k others waiting is answered with probability Nμ / (Nμ + (k+1)θ), and then its
 * wait is a sum of exponentials of rates Nμ + iθ, i = 1..k+1 (see docs/staffing.md).
 *
 * Every field of r is filled (see ccenter_erlang_metrics). Special cases:
 * - patience_s = +INFINITY: Erlang C exactly (so agents ≤ traffic is CCENTER_ERANGE);
 * - patience_s = 0: a contact that finds all agents busy leaves at once (Erlang B loss
 *   system): p_wait = p_abandon = abandon_within = B, service_level = 1 − B, no wait;
 * - agents may be ≤ traffic (abandonment keeps the queue finite);
 * - agents = 0 (with patience > 0): every contact waits and abandons: p_wait = p_abandon
 *   = 1, service_level = 0, asa_s = 0 (nobody is answered), mean_wait_s = patience_s,
 *   occupancy = 0;
 * - traffic 0 (with agents ≥ 1): nobody waits: p_wait = 0, service_level = 1.
 *
 * Cost grows with the spread of the queue-length distribution (about its standard
 * deviation, a few thousand terms for thousands of agents) plus the mean queue length.
 *
 * Errors: CCENTER_EINVAL if traffic is negative or not finite, aht_s is not finite and
 * > 0, patience_s is NaN or negative, threshold_s is not finite and ≥ 0, r is NULL or
 * r->size is too small; CCENTER_ERANGE if patience_s is +INFINITY and agents ≤ traffic,
 * or if the queue would be so long (tens of millions of contacts: far too few agents and
 * patience of months) that summing the model needs more than 2^24 terms, or (since 0.2)
 * agents or traffic_erlangs is above its limit (CCENTER_STAFFING_MAX_AGENTS,
 * CCENTER_STAFFING_MAX_TRAFFIC). Since 0.1.
 */
CCENTER_EXPORT int ccenter_erlang_a_metrics(double traffic_erlangs, unsigned agents, double aht_s,
                                            double patience_s, double threshold_s,
                                            ccenter_erlang_metrics *r);

/**
 * Input of ccenter_staffing_solve(). Set `size` to sizeof the struct, call
 * ccenter_staffing_params_init() for the defaults, then set traffic and aht.
 * All given constraints must hold at once; a constraint at its "none" value is ignored.
 */
typedef struct ccenter_staffing_params {
  /** sizeof(ccenter_staffing_params), set by the caller. */
  size_t size;
  /**
   * Offered traffic A in erlangs (arrivals per second × aht_s), ≥ 0, at most
   * CCENTER_STAFFING_MAX_TRAFFIC (above it: CCENTER_ERANGE). Default 0.
   */
  double traffic_erlangs;
  /** Mean handle time, seconds, > 0. Default 0 (must be set). */
  double aht_s;
  /**
   * Mean patience in seconds. +INFINITY (the default) uses Erlang C; a finite value ≥ 0
   * uses Erlang A (service level, ASA, occupancy and abandonment as in
   * ccenter_erlang_a_metrics()).
   */
  double patience_s;
  /** Service-level target in [0, 1): answered within threshold_s. Default 0.80; 0 = none. */
  double target_service_level;
  /** Service-level threshold T, seconds, ≥ 0. Default 20. */
  double threshold_s;
  /** ASA target (mean wait of answered contacts), seconds, > 0. Default +INFINITY = none. */
  double target_asa_s;
  /** Maximum occupancy in (0, 1]. Default 1 = none. */
  double max_occupancy;
  /** Maximum abandonment probability in (0, 1]. Default 1 = none. Erlang A only. */
  double max_abandon;
  /** Shrinkage s in [0, 1): staff = ceil(agents / (1 − s)). Default 0. */
  double shrinkage;
  /**
   * The largest number of agents to consider, from 1 to CCENTER_STAFFING_MAX_AGENTS
   * (above it: CCENTER_ERANGE). Default 1,000,000.
   */
  unsigned max_agents;
} ccenter_staffing_params;

/** Output of ccenter_staffing_solve(): the staffing level and what it achieves. */
typedef struct ccenter_staffing_result {
  /** sizeof(ccenter_staffing_result), set by the caller. */
  size_t size;
  /** N: the fewest agents on the phones that meet every constraint. */
  unsigned agents;
  /** Agents to schedule after shrinkage: ceil(agents / (1 − shrinkage)). */
  unsigned staff;
  /** Probability of waiting at N agents. */
  double p_wait;
  /** Probability of abandoning at N agents (0 under Erlang C). */
  double p_abandon;
  /** Service level at threshold_s at N agents (answered within T / all arrivals). */
  double service_level;
  /** ASA (mean wait of answered contacts) at N agents, seconds. */
  double asa_s;
  /** Occupancy at N agents. */
  double occupancy;
} ccenter_staffing_result;

/**
 * Fills *params with the defaults documented in ccenter_staffing_params. The caller sets
 * params->size first (`ccenter_staffing_params p = { .size = sizeof p };`); size is left as is.
 *
 * Errors: CCENTER_EINVAL if params is NULL or params->size is smaller than the struct of
 * version 0.1. Since 0.1.
 */
CCENTER_EXPORT int ccenter_staffing_params_init(ccenter_staffing_params *params);

/**
 * Staffing: the fewest agents N ≥ 1 (N > A under Erlang C) such that the service level
 * at threshold_s is at least target_service_level, the ASA at most target_asa_s, the
 * occupancy at most max_occupancy and (Erlang A) the abandonment probability at most
 * max_abandon; then staff = ceil(N / (1 − shrinkage)). Comparisons allow a slack of
 * 1e-12 (relative for occupancy, shrinkage and ASA), so that figures exactly on a
 * boundary in decimal, such as 14 / (1 − 0.3) = 20, are not pushed over it by rounding.
 *
 * Erlang C steps up one agent at a time from max(⌊A⌋ + 1, A / max_occupancy) with an O(1)
 * Erlang B update per step; Erlang A brackets the answer around A and bisects, since
 * every constraint is monotone in N. Neither grows as N².
 *
 * Errors: CCENTER_EINVAL if params or result is NULL, a size is too small, or a field is
 * outside the range given in ccenter_staffing_params (NaN anywhere);
 * CCENTER_ENOSOLUTION if no N ≤ max_agents meets every constraint;
 * CCENTER_ERANGE if staff would not fit in an unsigned, or (since 0.2) max_agents >
 * CCENTER_STAFFING_MAX_AGENTS or traffic_erlangs > CCENTER_STAFFING_MAX_TRAFFIC. Since 0.1.
 */
CCENTER_EXPORT int ccenter_staffing_solve(const ccenter_staffing_params *params,
                                          ccenter_staffing_result *result);

#ifdef __cplusplus
}
#endif
#endif /* CCENTER_STAFFING_H */
