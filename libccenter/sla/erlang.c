/*
 * Staffing math: Erlang B, Erlang C, Erlang A (M/M/N+M) and the staffing solver.
 *
 * Erlang A. The number in system is a birth–death chain: birth λ, death min(n, N)·μ +
 * max(n − N, 0)·θ (θ = 1 / mean patience). Rates are taken in units of μ here: birth
 * a = λ/μ (the traffic), death d(n) = min(n, N) + max(n − N, 0)·g with g = θ/μ. The
 * stationary weights are log-concave in n, so they are summed from the mode outwards until
 * the geometric bound of the rest is below TAIL_EPS of the sum, then streamed once from the
 * left end to the right end to accumulate every moment in one pass.
 *
 * Waiting times. A tagged contact that arrives to k waiting contacts (state N + k) moves up
 * one place at rate Nμ + jθ while j are ahead, and abandons at rate θ. Hence
 *   P(answered | k) = Π_{j=0..k} (Nμ + jθ) / (Nμ + (j+1)θ) = Nμ / (Nμ + (k+1)θ),
 * and, tilting each stage by e^{−θt}, its wait given answered is V' = Σ_{i=1..k+1}
 * Exp(Nμ + iθ), whose density is proportional to e^{−(Nμ+θ)t} (1 − e^{−θt})^k, i.e.
 *   P(V' ≤ T) = I_x(k+1, c+1),  x = 1 − e^{−θT},  c = Nμ/θ,
 * the regularised incomplete beta, which equals P(NB ≥ k+1) for a negative binomial NB with
 * parameters (c+1, x). Likewise the untilted time to reach an agent V = Σ_{j=0..k}
 * Exp(Nμ + jθ) has P(V ≤ T) = I_x(k+1, c), and the contact has left the queue (answered or
 * abandoned) by T with probability 1 − e^{−θT}·P(V > T). The negative binomial
 * probabilities are streamed in j alongside the chain with a separate binary exponent, so
 * e^{−(Nμ+θ)T} may be far below the smallest double. docs/staffing.md has the derivation.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "ccenter/staffing.h"
#include "core/util.h"

#define METRICS_SIZE_0_1 CC_END_OF(ccenter_erlang_metrics, occupancy)
#define PARAMS_SIZE_0_1 CC_END_OF(ccenter_staffing_params, max_agents)
#define RESULT_SIZE_0_1 CC_END_OF(ccenter_staffing_result, occupancy)

/* Relative size of the part of a sum left out. */
#define TAIL_EPS 1e-18
/* Most terms summed for one Erlang A evaluation before giving up with CCENTER_ERANGE. */
#define MAX_TERMS ((uint64_t)1 << 24)
/* Slack of the solver's comparisons (see ccenter_staffing_solve). */
#define SLACK 1e-12
/* Below this ratio aht / patience the Erlang A chain equals Erlang C in double precision,
 * above G_HUGE it equals the loss system of patience 0. */
#define G_NEGLIGIBLE 1e-250
#define G_HUGE 1e250

/* Copies the fields after `size` of a library-filled struct into the caller's, limited to
 * the caller's size. */
static int valid_traffic(double a)
{
  return isfinite(a) && a >= 0.0;
}

/* Within CCENTER_STAFFING_MAX_TRAFFIC and CCENTER_STAFFING_MAX_AGENTS (staffing.h): the
 * inputs for which every function here is fast. Checked after the arguments are known to
 * be valid, so that an invalid one is still CCENTER_EINVAL. */
static int within_limits(double a, unsigned n)
{
  return a <= CCENTER_STAFFING_MAX_TRAFFIC && n <= CCENTER_STAFFING_MAX_AGENTS;
}

/* ---- Erlang B and C ---------------------------------------------------------------- */

static double erlang_b_core(double a, unsigned n)
{
  double b = 1.0;
  for (unsigned k = 0; k < n; k++) {
    double ab = a * b;
    b = ab / ((double)k + 1.0 + ab);
    if (b == 0.0)
      break;
  }
  return b;
}

/* Erlang C metrics from B = Erlang B(n, a); requires n > a. */
static void erlang_c_fill(double a, unsigned n, double b, double aht, double t,
                          ccenter_erlang_metrics *m)
{
  double nn = n, gap = nn - a;
  double c = nn * b / (gap + a * b);
  if (c > 1.0)
    c = 1.0;
  m->p_wait = c;
  m->p_abandon = 0.0;
  m->service_level = 1.0 - c * exp(-gap * t / aht);
  m->abandon_within = 0.0;
  m->asa_s = c * aht / gap;
  m->mean_wait_s = m->asa_s;
  m->mean_queue = c * a / gap;
  m->occupancy = a / nn;
}

int ccenter_erlang_b(double traffic_erlangs, unsigned agents, double *blocking)
{
  if (!valid_traffic(traffic_erlangs) || !blocking)
    return CCENTER_EINVAL;
  if (!within_limits(traffic_erlangs, agents))
    return CCENTER_ERANGE;
  *blocking = erlang_b_core(traffic_erlangs, agents);
  return 0;
}

int ccenter_erlang_c(double traffic_erlangs, unsigned agents, double *p_wait)
{
  if (!valid_traffic(traffic_erlangs) || !p_wait)
    return CCENTER_EINVAL;
  if (!within_limits(traffic_erlangs, agents) || !((double)agents > traffic_erlangs))
    return CCENTER_ERANGE;
  ccenter_erlang_metrics m;
  erlang_c_fill(traffic_erlangs, agents, erlang_b_core(traffic_erlangs, agents), 1.0, 0.0, &m);
  *p_wait = m.p_wait;
  return 0;
}

int ccenter_erlang_c_metrics(double traffic_erlangs, unsigned agents, double aht_s,
                             double threshold_s, ccenter_erlang_metrics *r)
{
  if (!valid_traffic(traffic_erlangs) || !(isfinite(aht_s) && aht_s > 0.0) ||
      !(isfinite(threshold_s) && threshold_s >= 0.0) || !r || r->size < METRICS_SIZE_0_1)
    return CCENTER_EINVAL;
  if (!within_limits(traffic_erlangs, agents) || !((double)agents > traffic_erlangs))
    return CCENTER_ERANGE;
  ccenter_erlang_metrics m = { .size = sizeof m };
  erlang_c_fill(traffic_erlangs, agents, erlang_b_core(traffic_erlangs, agents), aht_s,
                threshold_s, &m);
  cc_struct_out(r, &m, METRICS_SIZE_0_1);
  return 0;
}

/* ---- Erlang A ---------------------------------------------------------------------- */

/* A positive number m·2^e whose exponent does not overflow: negative binomial
 * probabilities start at e^{−(Nμ+θ)T}, which may be far below DBL_MIN. */
typedef struct scaled {
  double m;
  long e;
} scaled;

static scaled scaled_exp(double y) /* e^y for y ≤ 0 */
{
  if (!(y > -0x1p60)) {
    scaled zero = { 0.0, 0 };
    return zero;
  }
  /* ln 2 split so that k·LN2_HI is exact for |k| < 2^21 (Cody and Waite). */
  const double LN2_HI = 6.93147180369123816490e-01, LN2_LO = 1.90821492927058770002e-10;
  const double LOG2E = 1.44269504088896338700e+00;
  double k = floor(y * LOG2E);
  scaled s = { exp((y - k * LN2_HI) - k * LN2_LO), (long)k };
  return s;
}

static void scaled_mul(scaled *s, double f)
{
  s->m *= f;
  if (s->m > 0x1p+600 || (s->m < 0x1p-600 && s->m > 0.0)) {
    int ex;
    s->m = frexp(s->m, &ex);
    s->e += ex;
  }
}

static double scaled_value(const scaled *s)
{
  long e = s->e;
  if (e < -2200)
    e = -2200;
  if (e > 2200)
    e = 2200;
  return ldexp(s->m, (int)e);
}

/* Waiting-time quantities for a contact that finds k contacts waiting, advanced in k. */
typedef struct wait_stream {
  uint64_t k;
  double x;          /* 1 − e^{−θT} */
  double c;          /* Nμ/θ = N/g */
  double n, g;       /* N and θ/μ */
  scaled t0, t1;     /* negative binomial (c, x) and (c+1, x) probabilities at k */
  double f0, f1;     /* their distribution functions at k */
  double h;          /* Σ_{i=1..k+1} 1/(N + i·g): mean wait if answered, in units of 1/μ */
} wait_stream;

static void wait_stream_init(wait_stream *w, double n, double g, double aht, double patience,
                             double t)
{
  w->k = 0;
  w->x = -expm1(-t / patience);
  w->c = n / g;
  w->n = n;
  w->g = g;
  w->t0 = scaled_exp(-(n * t / aht));                 /* (1 − x)^c = e^{−NμT} */
  w->t1 = scaled_exp(-(n * t / aht + t / patience)); /* (1 − x)^{c+1} */
  w->f0 = scaled_value(&w->t0);
  w->f1 = scaled_value(&w->t1);
  w->h = 1.0 / (n + g);
}

static void wait_stream_next(wait_stream *w)
{
  double j = (double)w->k;
  scaled_mul(&w->t0, w->x * (j + w->c) / (j + 1.0));
  scaled_mul(&w->t1, w->x * (j + w->c + 1.0) / (j + 1.0));
  w->f0 += scaled_value(&w->t0);
  w->f1 += scaled_value(&w->t1);
  w->k++;
  w->h += 1.0 / (w->n + ((double)w->k + 1.0) * w->g);
}

static double clamp01(double p)
{
  return p < 0.0 ? 0.0 : p > 1.0 ? 1.0 : p;
}

/* Death rate of state s ≥ 1 in units of μ. */
static double death(uint64_t s, unsigned n, double g)
{
  return s <= n ? (double)s : (double)n + (double)(s - n) * g;
}

/* The general case: a > 0, n ≥ 1, 0 < patience < ∞, g not negligible. */
static int erlang_a_chain(double a, unsigned n, double aht, double patience, double t,
                          ccenter_erlang_metrics *m)
{
  const double nn = n, g = aht / patience;
  uint64_t mode;
  if (a < nn) {
    mode = (uint64_t)a;
  } else {
    double q = (a - nn) / g;
    if (!(q < 0x1p52))
      return CCENTER_ERANGE;
    mode = n + (uint64_t)q;
  }
  /* The left walk covers at most MAX_TERMS states, so the prefix below would exceed it. */
  if (mode - (mode < n ? mode : n) > 2 * MAX_TERMS)
    return CCENTER_ERANGE;

  /* Pass 1: from the mode outwards, to find the window [lo, hi] and the weight at lo. */
  uint64_t steps = 0, hi = mode, lo = mode;
  double sum = 1.0, v = 1.0;
  for (;;) {
    double r = a / death(hi + 1, n, g);
    v *= r;
    hi++;
    sum += v;
    if (++steps > MAX_TERMS)
      return CCENTER_ERANGE;
    if (r < 1.0 && v * r <= TAIL_EPS * sum * (1.0 - r))
      break;
  }
  double vlo = 1.0;
  while (lo > 0) {
    double q = death(lo, n, g) / a;
    vlo *= q;
    lo--;
    sum += vlo;
    if (++steps > MAX_TERMS)
      return CCENTER_ERANGE;
    if (q < 1.0 && vlo * q <= TAIL_EPS * sum * (1.0 - q))
      break;
  }
  if (lo > n && lo - n > MAX_TERMS - steps)
    return CCENTER_ERANGE;

  wait_stream w;
  wait_stream_init(&w, nn, g, aht, patience, t);
  while (lo > n && w.k < lo - n)
    wait_stream_next(&w);

  /* Pass 2: stream the window once, left to right. */
  const double stay = exp(-t / patience); /* P(patience > T) */
  double z = 0, busy = 0, pw = 0, eq = 0, now = 0, ab = 0, ans = 0, ans_wait = 0, sl = 0,
         left = 0;
  v = vlo;
  for (uint64_t s = lo;; s++) {
    z += v;
    if (s < n) {
      busy += (double)s * v;
      now += v;
    } else {
      uint64_t k = s - n;
      if (k > w.k)
        wait_stream_next(&w);
      double kk = (double)k, out = (kk + 1.0) * g, served = nn / (nn + out);
      busy += nn * v;
      pw += v;
      eq += kk * v;
      ab += v * (out / (nn + out));
      ans += v * served;
      ans_wait += v * served * w.h;
      sl += v * served * clamp01(1.0 - w.f1);
      left += v * (1.0 - stay * clamp01(w.f0));
    }
    if (s == hi)
      break;
    v *= a / death(s + 1, n, g);
  }

  m->p_wait = clamp01(pw / z);
  m->p_abandon = clamp01(ab / z);
  m->service_level = clamp01((now + sl) / z);
  double lw = clamp01((now + left) / z);
  m->abandon_within = lw > m->service_level ? lw - m->service_level : 0.0;
  m->asa_s = aht * ans_wait / (now + ans);
  m->mean_queue = eq / z;
  m->mean_wait_s = m->mean_queue * aht / a;
  m->occupancy = clamp01(busy / z / nn);
  return 0;
}

/* Erlang A with validated arguments. */
static int erlang_a_core(double a, unsigned n, double aht, double patience, double t,
                         ccenter_erlang_metrics *m)
{
  if (isinf(patience) || aht / patience < G_NEGLIGIBLE) {
    if (!((double)n > a))
      return CCENTER_ERANGE;
    erlang_c_fill(a, n, erlang_b_core(a, n), aht, t, m);
    return 0;
  }
  if (n == 0) {
    m->p_wait = 1.0;
    m->p_abandon = 1.0;
    m->service_level = 0.0;
    m->abandon_within = patience > 0.0 ? -expm1(-t / patience) : 1.0;
    m->asa_s = 0.0;
    m->mean_wait_s = patience;
    m->mean_queue = a * patience / aht;
    m->occupancy = 0.0;
    return 0;
  }
  if (a == 0.0) {
    m->p_wait = m->p_abandon = m->abandon_within = 0.0;
    m->service_level = 1.0;
    m->asa_s = m->mean_wait_s = m->mean_queue = m->occupancy = 0.0;
    return 0;
  }
  if (patience == 0.0 || !(aht / patience < G_HUGE)) {
    double b = erlang_b_core(a, n);
    m->p_wait = m->p_abandon = m->abandon_within = b;
    m->service_level = 1.0 - b;
    m->asa_s = m->mean_wait_s = m->mean_queue = 0.0;
    m->occupancy = clamp01(a * (1.0 - b) / n);
    return 0;
  }
  return erlang_a_chain(a, n, aht, patience, t, m);
}

int ccenter_erlang_a_metrics(double traffic_erlangs, unsigned agents, double aht_s,
                             double patience_s, double threshold_s, ccenter_erlang_metrics *r)
{
  if (!valid_traffic(traffic_erlangs) || !(isfinite(aht_s) && aht_s > 0.0) ||
      !(patience_s >= 0.0) || !(isfinite(threshold_s) && threshold_s >= 0.0) || !r ||
      r->size < METRICS_SIZE_0_1)
    return CCENTER_EINVAL;
  if (!within_limits(traffic_erlangs, agents))
    return CCENTER_ERANGE;
  ccenter_erlang_metrics m = { .size = sizeof m };
  int rc = erlang_a_core(traffic_erlangs, agents, aht_s, patience_s, threshold_s, &m);
  if (rc)
    return rc;
  cc_struct_out(r, &m, METRICS_SIZE_0_1);
  return 0;
}

/* ---- Staffing solver --------------------------------------------------------------- */

static void params_defaults(ccenter_staffing_params *p)
{
  p->traffic_erlangs = 0.0;
  p->aht_s = 0.0;
  p->patience_s = INFINITY;
  p->target_service_level = 0.80;
  p->threshold_s = 20.0;
  p->target_asa_s = INFINITY;
  p->max_occupancy = 1.0;
  p->max_abandon = 1.0;
  p->shrinkage = 0.0;
  p->max_agents = 1000000u;
}

int ccenter_staffing_params_init(ccenter_staffing_params *params)
{
  if (!params || params->size < PARAMS_SIZE_0_1)
    return CCENTER_EINVAL;
  ccenter_staffing_params p = { .size = sizeof p };
  params_defaults(&p);
  cc_struct_out(params, &p, PARAMS_SIZE_0_1);
  return 0;
}

static int params_valid(const ccenter_staffing_params *p)
{
  return valid_traffic(p->traffic_erlangs) && isfinite(p->aht_s) && p->aht_s > 0.0 &&
         p->patience_s >= 0.0 && isfinite(p->target_service_level) &&
         p->target_service_level >= 0.0 && p->target_service_level < 1.0 &&
         isfinite(p->threshold_s) && p->threshold_s >= 0.0 && p->target_asa_s > 0.0 &&
         isfinite(p->max_occupancy) && p->max_occupancy > 0.0 && p->max_occupancy <= 1.0 &&
         isfinite(p->max_abandon) && p->max_abandon > 0.0 && p->max_abandon <= 1.0 &&
         isfinite(p->shrinkage) && p->shrinkage >= 0.0 && p->shrinkage < 1.0 &&
         p->max_agents >= 1;
}

static int meets(const ccenter_staffing_params *p, const ccenter_erlang_metrics *m)
{
  return m->service_level >= p->target_service_level - SLACK &&
         m->asa_s <= p->target_asa_s * (1.0 + SLACK) &&
         m->occupancy <= p->max_occupancy * (1.0 + SLACK) &&
         m->p_abandon <= p->max_abandon * (1.0 + SLACK);
}

/* Erlang C: step up from the lower bound with an O(1) Erlang B update per agent. */
static int solve_erlang_c(const ccenter_staffing_params *p, unsigned *agents,
                          ccenter_erlang_metrics *m)
{
  double a = p->traffic_erlangs;
  double start = floor(a) + 1.0;
  double by_occupancy = ceil(a / p->max_occupancy) - 1.0;
  if (by_occupancy > start)
    start = by_occupancy;
  if (start > (double)p->max_agents)
    return CCENTER_ENOSOLUTION;
  unsigned n = (unsigned)start;
  double b = erlang_b_core(a, n);
  for (;;) {
    erlang_c_fill(a, n, b, p->aht_s, p->threshold_s, m);
    if (meets(p, m))
      break;
    if (n >= p->max_agents)
      return CCENTER_ENOSOLUTION;
    n++;
    b = a * b / ((double)n + a * b);
  }
  *agents = n;
  return 0;
}

static int meets_erlang_a(const ccenter_staffing_params *p, uint64_t n, ccenter_erlang_metrics *m)
{
  if (n == 0)
    return 0;
  int rc = erlang_a_core(p->traffic_erlangs, (unsigned)n, p->aht_s, p->patience_s,
                         p->threshold_s, m);
  /* CCENTER_ERANGE: a queue of tens of millions, which meets no useful target. */
  return rc == 0 && meets(p, m);
}

/* Erlang A: bracket the answer by galloping from N = ⌈A⌉ in steps from √A, then bisect.
 * Every constraint is monotone in N; N = 0 counts as not meeting them. */
static int solve_erlang_a(const ccenter_staffing_params *p, unsigned *agents,
                          ccenter_erlang_metrics *m)
{
  const uint64_t max = p->max_agents;
  double a = p->traffic_erlangs;
  uint64_t guess = a >= (double)max ? max : a < 1.0 ? 1 : (uint64_t)ceil(a);
  uint64_t step = (uint64_t)ceil(sqrt(a));
  if (step < 1)
    step = 1;
  uint64_t lo, hi; /* lo fails (or is 0), hi meets */
  if (meets_erlang_a(p, guess, m)) {
    hi = guess;
    for (;;) {
      lo = hi > step ? hi - step : 0;
      if (!meets_erlang_a(p, lo, m))
        break;
      hi = lo;
      step *= 2;
    }
  } else {
    lo = guess;
    for (;;) {
      if (lo >= max)
        return CCENTER_ENOSOLUTION;
      hi = max - lo > step ? lo + step : max;
      if (meets_erlang_a(p, hi, m))
        break;
      lo = hi;
      step *= 2;
    }
  }
  while (hi - lo > 1) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (meets_erlang_a(p, mid, m))
      hi = mid;
    else
      lo = mid;
  }
  if (!meets_erlang_a(p, hi, m))
    return CCENTER_ENOSOLUTION; /* not reached: hi was seen to meet */
  *agents = (unsigned)hi;
  return 0;
}

int ccenter_staffing_solve(const ccenter_staffing_params *params, ccenter_staffing_result *result)
{
  if (!params || !result || params->size < PARAMS_SIZE_0_1 || result->size < RESULT_SIZE_0_1)
    return CCENTER_EINVAL;
  ccenter_staffing_params p = { .size = sizeof p };
  params_defaults(&p);
  if (cc_struct_in(&p, sizeof p, params, PARAMS_SIZE_0_1))
    return CCENTER_EINVAL;
  if (!params_valid(&p))
    return CCENTER_EINVAL;
  if (!within_limits(p.traffic_erlangs, p.max_agents))
    return CCENTER_ERANGE;

  unsigned agents = 0;
  ccenter_erlang_metrics m = { .size = sizeof m };
  int rc = isinf(p.patience_s) ? solve_erlang_c(&p, &agents, &m)
                               : solve_erlang_a(&p, &agents, &m);
  if (rc)
    return rc;

  double q = (double)agents / (1.0 - p.shrinkage);
  double staff = ceil(q * (1.0 - SLACK));
  if (staff < (double)agents)
    staff = agents;
  if (staff > (double)(unsigned)-1)
    return CCENTER_ERANGE;

  ccenter_staffing_result out = { .size = sizeof out };
  out.agents = agents;
  out.staff = (unsigned)staff;
  out.p_wait = m.p_wait;
  out.p_abandon = m.p_abandon;
  out.service_level = m.service_level;
  out.asa_s = m.asa_s;
  out.occupancy = m.occupancy;
  cc_struct_out(result, &out, RESULT_SIZE_0_1);
  return 0;
}
