/* Staffing math: Erlang B, C, A and the solver, against the reference figures
 * (shared/reference/staffing-and-kpis.md), independent brute-force sums and identities. */
#include <math.h>
#include <string.h>

#include "ccenter/staffing.h"
#include "harness.h"

/* |x − want| ≤ tol, with the values in the failure message. */
#define NEAR(x, want, tol)                                                                 \
  ck_assert_msg(fabs((double)(x) - (double)(want)) <= (tol), "%s = %.12g, want %.12g ± %g", \
                #x, (double)(x), (double)(want), (double)(tol))
/* Relative closeness, for values that may be large or small. */
#define REL(x, want, tol)                                                                  \
  ck_assert_msg(fabs((double)(x) - (double)(want)) <= (tol) * fabs((double)(want)) + 1e-300,  \
                "%s = %.15g, want %.15g (rel %g)", #x, (double)(x), (double)(want),      \
                (double)(tol))

static ccenter_erlang_metrics metrics_c(double a, unsigned n, double aht, double t)
{
  ccenter_erlang_metrics m = { .size = sizeof m };
  ck_assert_int_eq(ccenter_erlang_c_metrics(a, n, aht, t, &m), 0);
  return m;
}

static ccenter_erlang_metrics metrics_a(double a, unsigned n, double aht, double pat, double t)
{
  ccenter_erlang_metrics m = { .size = sizeof m };
  ck_assert_int_eq(ccenter_erlang_a_metrics(a, n, aht, pat, t, &m), 0);
  return m;
}

static void all_finite_and_sane(const ccenter_erlang_metrics *m)
{
  const double p[] = { m->p_wait, m->p_abandon, m->service_level, m->abandon_within,
                       m->occupancy };
  for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
    ck_assert_msg(isfinite(p[i]) && p[i] >= 0.0 && p[i] <= 1.0, "probability %zu = %g", i, p[i]);
  ck_assert(isfinite(m->asa_s) && m->asa_s >= 0.0);
  ck_assert(isfinite(m->mean_wait_s) && m->mean_wait_s >= 0.0);
  ck_assert(isfinite(m->mean_queue) && m->mean_queue >= 0.0);
  ck_assert(m->service_level + m->abandon_within <= 1.0 + 1e-12);
  ck_assert(m->service_level <= 1.0 - m->p_abandon + 1e-12);
}

/* ---- Erlang B ------------------------------------------------------------------------ */

/* B(N, A) = (A^N/N!) / Σ_{n≤N} A^n/n!, summed down from n = N in long double. */
static long double brute_erlang_b(double a, unsigned n)
{
  long double term = 1.0L, sum = 1.0L;
  for (unsigned k = n; k > 0; k--) {
    term *= (long double)k / a;
    sum += term;
    if (term < 1e-30L * sum)
      break;
  }
  return 1.0L / sum;
}

START_TEST(erlang_b_values)
{
  double b = -1;
  ck_assert_int_eq(ccenter_erlang_b(1.0, 1, &b), 0);
  NEAR(b, 0.5, 1e-15);
  ck_assert_int_eq(ccenter_erlang_b(2.0, 2, &b), 0);
  NEAR(b, 0.4, 1e-15);
  ck_assert_int_eq(ccenter_erlang_b(5.0, 0, &b), 0);
  NEAR(b, 1.0, 0);
  ck_assert_int_eq(ccenter_erlang_b(0.0, 3, &b), 0);
  NEAR(b, 0.0, 0);
  const double as[] = { 0.5, 2.5, 10, 99.5, 1000, 10000 };
  const unsigned ns[] = { 1, 5, 11, 100, 1010, 10000 };
  for (size_t i = 0; i < 6; i++) {
    ck_assert_int_eq(ccenter_erlang_b(as[i], ns[i], &b), 0);
    REL(b, brute_erlang_b(as[i], ns[i]), 1e-12);
  }
  /* Large: B(10000, 10000) ≈ sqrt(2 / (π·A)) ≈ 0.0079. */
  ck_assert_int_eq(ccenter_erlang_b(10000.0, 10000, &b), 0);
  ck_assert(b > 0.0075 && b < 0.0085);
  /* Far below the traffic: nearly all blocked; far above: underflows to 0, no NaN. */
  ck_assert_int_eq(ccenter_erlang_b(10000.0, 100, &b), 0);
  REL(b, brute_erlang_b(10000.0, 100), 1e-12);
  ck_assert_int_eq(ccenter_erlang_b(10.0, 100000, &b), 0);
  ck_assert(b == 0.0);
}
END_TEST

START_TEST(erlang_b_bad_input)
{
  double b = 42;
  ck_assert_int_eq(ccenter_erlang_b(NAN, 3, &b), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_erlang_b(INFINITY, 3, &b), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_erlang_b(-1.0, 3, &b), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_erlang_b(1.0, 3, NULL), CCENTER_EINVAL);
  ck_assert(b == 42);
}
END_TEST

/* ---- Erlang C ------------------------------------------------------------------------ */

START_TEST(erlang_c_reference_figures)
{
  /* Call Centre Helper worked example: 100 calls / 30 min, AHT 180 s → A = 10; T = 20 s. */
  double a = 100.0 / 1800.0 * 180.0, pw = -1;
  ck_assert_int_eq(ccenter_erlang_c(a, 11, &pw), 0);
  NEAR(pw, 0.6821, 0.00005);
  ccenter_erlang_metrics m = metrics_c(a, 11, 180, 20);
  NEAR(m.p_wait, 0.6821, 0.00005);
  NEAR(m.service_level, 0.3896, 0.00005);
  m = metrics_c(a, 14, 180, 20);
  NEAR(m.p_wait, 0.17413, 0.000005);
  NEAR(m.service_level, 0.88835, 0.000005);
  NEAR(m.asa_s, 7.836, 0.0005);
  NEAR(m.occupancy, 0.7143, 0.00005);
  NEAR(m.mean_wait_s, m.asa_s, 0);
  NEAR(m.p_abandon, 0, 0);
  NEAR(m.abandon_within, 0, 0);
  REL(m.mean_queue, m.asa_s * a / 180.0, 1e-14); /* Little: E[Q] = λ·ASA */
  /* pyworkforce test, occupancy 70 %: N = 15. */
  m = metrics_c(a, 15, 180, 20);
  NEAR(m.service_level, 0.941, 0.0005);
  NEAR(m.occupancy, 0.667, 0.0005);
  NEAR(m.p_wait, 0.102, 0.0005);
  /* Wolfram ErlangC documentation: 30 calls/h, 5 min → A = 2.5; "not delayed" = SL(0). */
  m = metrics_c(2.5, 5, 300, 0);
  NEAR(m.service_level, 0.870, 0.0005);
  NEAR(1.0 - m.p_wait, 0.870, 0.0005);
  m = metrics_c(2.5, 6, 300, 0);
  NEAR(m.service_level, 0.953, 0.0005);
}
END_TEST

START_TEST(erlang_c_large_traffic)
{
  ccenter_erlang_metrics m = metrics_c(10000.0, 10100, 180, 20);
  all_finite_and_sane(&m);
  ck_assert(m.p_wait > 0.0 && m.p_wait < 1.0);
  /* Independent: C = N·B / (N − A(1 − B)) with B summed in long double. */
  long double b = brute_erlang_b(10000.0, 10100);
  long double c = 10100.0L * b / (10100.0L - 10000.0L * (1.0L - b));
  REL(m.p_wait, c, 1e-11);
  REL(m.asa_s, c * 180.0L / 100.0L, 1e-11);
  /* Just above the traffic and far above it. */
  m = metrics_c(10000.0, 10001, 180, 20);
  all_finite_and_sane(&m);
  ck_assert(m.p_wait > 0.98);
  m = metrics_c(10000.0, 30000, 180, 20);
  ck_assert(m.p_wait == 0.0 && m.service_level == 1.0);
}
END_TEST

START_TEST(erlang_c_bad_input_changes_nothing)
{
  double pw = 42;
  ck_assert_int_eq(ccenter_erlang_c(10.0, 10, &pw), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_erlang_c(10.5, 10, &pw), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_erlang_c(0.0, 0, &pw), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_erlang_c(NAN, 10, &pw), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_erlang_c(-INFINITY, 10, &pw), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_erlang_c(1.0, 10, NULL), CCENTER_EINVAL);
  ck_assert(pw == 42);
  ck_assert_int_eq(ccenter_erlang_c(0.0, 1, &pw), 0);
  ck_assert(pw == 0.0);

  ccenter_erlang_metrics m, before;
  memset(&m, 0x5a, sizeof m);
  m.size = sizeof m;
  before = m;
  ck_assert_int_eq(ccenter_erlang_c_metrics(10, 10, 180, 20, &m), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_erlang_c_metrics(NAN, 14, 180, 20, &m), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_erlang_c_metrics(-1, 14, 180, 20, &m), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_erlang_c_metrics(10, 14, 0, 20, &m), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_erlang_c_metrics(10, 14, -180, 20, &m), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_erlang_c_metrics(10, 14, INFINITY, 20, &m), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_erlang_c_metrics(10, 14, 180, -1, &m), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_erlang_c_metrics(10, 14, 180, NAN, &m), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_erlang_c_metrics(10, 14, 180, INFINITY, &m), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_erlang_c_metrics(10, 14, 180, 20, NULL), CCENTER_EINVAL);
  m.size = sizeof m - 1;
  before.size = m.size;
  ck_assert_int_eq(ccenter_erlang_c_metrics(10, 14, 180, 20, &m), CCENTER_EINVAL);
  m.size = 0;
  before.size = 0;
  ck_assert_int_eq(ccenter_erlang_c_metrics(10, 14, 180, 20, &m), CCENTER_EINVAL);
  ck_assert(memcmp(&m, &before, sizeof m) == 0);
}
END_TEST

START_TEST(result_size_is_respected)
{
  /* A caller built against a future, larger struct: the library fills its own part and
   * zeroes the fields it does not know (docs/ABI.md). */
  struct {
    ccenter_erlang_metrics m;
    double future;
  } big;
  memset(&big, 0, sizeof big);
  big.m.size = sizeof big;
  big.future = 123.5;
  ck_assert_int_eq(ccenter_erlang_c_metrics(10, 14, 180, 20, &big.m), 0);
  ck_assert(big.future == 0);
  big.future = 123.5;
  ck_assert(big.m.size == sizeof big);
  NEAR(big.m.p_wait, 0.17413, 0.000005);
  ck_assert_int_eq(ccenter_erlang_a_metrics(10, 14, 180, 600, 20, &big.m), 0);
  ck_assert(big.future == 0);
  ck_assert(big.m.size == sizeof big);
}
END_TEST

/* ---- Erlang A ------------------------------------------------------------------------ */

typedef struct brute_a {
  long double p_wait, p_abandon, mean_queue, busy, service_level, abandon_within, asa;
} brute_a;

/*
 * Brute force in long double, independent of the library's method: the chain summed from
 * n = 0 directly; P(abandon) = θ·E[Q]/λ (the reference formula); for each number k
 * waiting ahead, the tagged contact's absorbing chain (k ahead … 0 ahead, answered,
 * abandoned) is solved at T by uniformisation, and the mean wait of answered contacts
 * is summed stage by stage.
 */
static brute_a brute_erlang_a(double a, unsigned n, double aht, double pat, double t)
{
  const long double mu = 1.0L / aht, th = 1.0L / pat, lam = (long double)a * mu;
  enum { MAXN = 2000 };
  static long double w[MAXN];
  long double z = 0;
  int top = 0;
  w[0] = 1;
  for (int s = 0; s < MAXN - 1; s++) {
    long double d = s + 1 <= (int)n ? (s + 1) * mu : n * mu + (s + 1 - (int)n) * th;
    w[s + 1] = w[s] * lam / d;
    top = s + 1;
    if (s + 1 > (int)n && w[s + 1] < 1e-22L)
      break;
  }
  ck_assert_int_lt(top, MAXN - 1);
  for (int s = 0; s <= top; s++)
    z += w[s];
  brute_a r = { 0 };
  long double answered_wait = 0, answered = 0;
  for (int s = 0; s <= top; s++) {
    long double p = w[s] / z;
    if (s < (int)n) {
      r.busy += s * p;
      r.service_level += p;
      answered += p;
      continue;
    }
    int k = s - (int)n;
    r.p_wait += p;
    r.mean_queue += k * p;
    r.busy += n * p;
    /* Tagged contact with k ahead: state j = number ahead, k … 0. */
    long double big = n * mu + (k + 1) * th, lt = big * t;
    static long double vec[MAXN + 1], nxt[MAXN + 1];
    for (int j = 0; j <= k; j++)
      vec[j] = 0;
    vec[k] = 1;
    long double served = 0, aband = 0, pois = expl(-lt), got_s = 0, got_a = 0, cum = 0;
    for (int i = 0;; i++) {
      got_s += pois * served;
      got_a += pois * aband;
      cum += pois;
      if (i > lt && pois < 1e-24L * cum) /* past the mode: the rest is below 1e-23 */
        break;
      for (int j = 0; j <= k; j++) {
        long double fw = (n * mu + j * th) / big, ab = th / big;
        long double stay = 1 - fw - ab;
        nxt[j] = vec[j] * stay + (j < k ? vec[j + 1] * (n * mu + (j + 1) * th) / big : 0);
        aband += vec[j] * ab;
        if (j == 0)
          served += vec[0] * fw;
      }
      for (int j = 0; j <= k; j++)
        vec[j] = nxt[j];
      pois *= lt / (i + 1);
    }
    r.service_level += p * got_s;
    r.abandon_within += p * got_a;
    /* Mean wait × 1{answered}: each stage j's sojourn has mean 1/(Nμ + (j+1)θ) and is
     * independent of how it ends. */
    long double reach = 1, ew = 0;
    for (int j = k; j >= 0; j--) {
      long double rate = n * mu + (j + 1) * th;
      long double served_from_j = 1;
      for (int i = j; i >= 0; i--)
        served_from_j *= (n * mu + i * th) / (n * mu + (i + 1) * th);
      ew += reach * served_from_j / rate;
      reach *= (n * mu + j * th) / rate;
    }
    answered_wait += p * ew;
    answered += p * reach; /* reach is now P(answered | k) */
  }
  r.p_abandon = th * r.mean_queue / lam;
  r.asa = answered_wait / answered;
  return r;
}

static void check_against_brute(double a, unsigned n, double aht, double pat, double t)
{
  ccenter_erlang_metrics m = metrics_a(a, n, aht, pat, t);
  brute_a b = brute_erlang_a(a, n, aht, pat, t);
  all_finite_and_sane(&m);
  REL(m.p_wait, b.p_wait, 1e-12);
  REL(m.p_abandon, b.p_abandon, 1e-11);
  REL(m.mean_queue, b.mean_queue, 1e-11);
  REL(m.occupancy, b.busy / n, 1e-12);
  NEAR(m.service_level, b.service_level, 1e-12);
  NEAR(m.abandon_within, b.abandon_within, 1e-12);
  REL(m.asa_s, b.asa, 1e-11);
  REL(m.mean_wait_s, b.mean_queue * aht / a, 1e-11);
}

START_TEST(erlang_a_matches_brute_force)
{
  check_against_brute(10, 11, 180, 600, 20);
  check_against_brute(10, 14, 180, 600, 20);
  check_against_brute(10, 8, 180, 120, 20);  /* fewer agents than erlangs */
  check_against_brute(10, 10, 180, 60, 0);   /* T = 0: SL = 1 − P(wait) */
  check_against_brute(2.5, 3, 300, 60, 30);
  check_against_brute(20, 20, 100, 300, 15);
  check_against_brute(5, 1, 60, 30, 10);
  check_against_brute(3, 4, 200, 2000, 400); /* T longer than the AHT */
  check_against_brute(30, 25, 30, 5, 3);     /* impatient, heavily overloaded */
  check_against_brute(0.2, 1, 600, 90, 20);
}
END_TEST

/* λ·P(abandon) = θ·E[Q]; λ(1 − P(abandon)) = μ·E[busy]; E[wait over all] = E[Q]/λ. */
static void check_identities(double a, unsigned n, double aht, double pat, double t)
{
  ccenter_erlang_metrics m = metrics_a(a, n, aht, pat, t);
  all_finite_and_sane(&m);
  REL(m.p_abandon * a / aht, m.mean_queue / pat, 1e-10);
  REL(a * (1.0 - m.p_abandon), n * m.occupancy, 1e-11);
  REL(m.mean_wait_s, m.mean_queue * aht / a, 1e-14);
  ck_assert(m.p_wait >= m.p_abandon);
  /* The service level grows with T towards the answered fraction. */
  ccenter_erlang_metrics longer = metrics_a(a, n, aht, pat, t * 2 + 1);
  ck_assert(longer.service_level >= m.service_level - 1e-12);
  ck_assert(longer.abandon_within >= m.abandon_within - 1e-12);
  ccenter_erlang_metrics forever = metrics_a(a, n, aht, pat, 1e7);
  NEAR(forever.service_level, 1.0 - m.p_abandon, 1e-9);
  NEAR(forever.abandon_within, m.p_abandon, 1e-9);
  /* One more agent never hurts. */
  ccenter_erlang_metrics more = metrics_a(a, n + 1, aht, pat, t);
  ck_assert(more.p_wait <= m.p_wait + 1e-12 && more.p_abandon <= m.p_abandon + 1e-12);
  ck_assert(more.service_level >= m.service_level - 1e-12);
  ck_assert(more.asa_s <= m.asa_s + 1e-9 && more.occupancy <= m.occupancy + 1e-12);
}

START_TEST(erlang_a_identities)
{
  check_identities(10, 11, 180, 600, 20);
  check_identities(10, 5, 180, 600, 20);
  check_identities(100, 90, 240, 120, 30);
  check_identities(1000, 1010, 180, 300, 20);
  check_identities(10000, 9900, 180, 600, 20);
  check_identities(10000, 10100, 180, 600, 20);
  check_identities(10000, 10100, 180, 86400, 20);
  check_identities(500, 400, 60, 3600, 60);
}
END_TEST

START_TEST(erlang_a_tends_to_erlang_c)
{
  const double as[] = { 2.5, 10, 10, 100, 1000 };
  const unsigned ns[] = { 4, 11, 14, 105, 1030 };
  for (size_t i = 0; i < 5; i++) {
    ccenter_erlang_metrics c = metrics_c(as[i], ns[i], 180, 20);
    ccenter_erlang_metrics exact = metrics_a(as[i], ns[i], 180, INFINITY, 20);
    ck_assert(memcmp(&c, &exact, sizeof c) == 0);
    ccenter_erlang_metrics m = metrics_a(as[i], ns[i], 180, 1e12, 20);
    REL(m.p_wait, c.p_wait, 1e-7);
    NEAR(m.service_level, c.service_level, 1e-7);
    REL(m.asa_s, c.asa_s, 1e-6);
    REL(m.mean_queue, c.mean_queue, 1e-6);
    REL(m.occupancy, c.occupancy, 1e-7);
    ck_assert(m.p_abandon < 1e-7);
  }
  ccenter_erlang_metrics m = { .size = sizeof m }, before = m;
  ck_assert_int_eq(ccenter_erlang_a_metrics(10, 10, 180, INFINITY, 20, &m), CCENTER_ERANGE);
  ck_assert(memcmp(&m, &before, sizeof m) == 0);
}
END_TEST

START_TEST(erlang_a_corner_cases)
{
  /* Patience 0: a loss system, Erlang B; tiny patience tends to it. */
  double b;
  ck_assert_int_eq(ccenter_erlang_b(10, 11, &b), 0);
  ccenter_erlang_metrics m = metrics_a(10, 11, 180, 0, 20);
  NEAR(m.p_wait, b, 1e-15);
  NEAR(m.p_abandon, b, 1e-15);
  NEAR(m.service_level, 1 - b, 1e-15);
  NEAR(m.asa_s, 0, 0);
  NEAR(m.mean_queue, 0, 0);
  REL(m.occupancy, 10 * (1 - b) / 11, 1e-15);
  ccenter_erlang_metrics tiny = metrics_a(10, 11, 180, 1e-6, 20);
  REL(tiny.p_wait, b, 1e-6);
  REL(tiny.p_abandon, b, 1e-6);
  NEAR(tiny.service_level, 1 - b, 1e-6);
  /* No agents: everybody waits and abandons after the mean patience. */
  m = metrics_a(10, 0, 180, 600, 20);
  NEAR(m.p_wait, 1, 0);
  NEAR(m.p_abandon, 1, 0);
  NEAR(m.service_level, 0, 0);
  NEAR(m.abandon_within, -expm1(-20.0 / 600), 1e-15);
  NEAR(m.mean_wait_s, 600, 0);
  REL(m.mean_queue, 10.0 / 180 * 600, 1e-15);
  NEAR(m.occupancy, 0, 0);
  m = metrics_a(10, 0, 180, 0, 20);
  NEAR(m.p_abandon, 1, 0);
  NEAR(m.mean_wait_s, 0, 0);
  /* No traffic. */
  m = metrics_a(0, 3, 180, 600, 20);
  NEAR(m.p_wait, 0, 0);
  NEAR(m.service_level, 1, 0);
  NEAR(m.occupancy, 0, 0);
  /* Far fewer agents than erlangs still gives a finite answer. */
  m = metrics_a(10000, 100, 180, 600, 20);
  all_finite_and_sane(&m);
  ck_assert(m.p_abandon > 0.98);
  /* Extreme but valid inputs: finite answers (or a clean refusal), never NaN. */
  const double ext_a[] = { 1e-300, 4.9e-324, 0.5, 1e4, 1e5 };
  const unsigned ext_n[] = { 1, 2, 100, 10000, 4000000000u };
  const double ext_aht[] = { 1e-300, 1, 1e300 };
  const double ext_pat[] = { 4.9e-324, 1e-300, 1, 1e200, 1e300 };
  const double ext_t[] = { 0, 20, 1e300 };
  for (size_t i = 0; i < 5; i++)
    for (size_t j = 0; j < 5; j++)
      for (size_t k = 0; k < 3; k++)
        for (size_t l = 0; l < 5; l++)
          for (size_t q = 0; q < 3; q++) {
            ccenter_erlang_metrics e = { .size = sizeof e };
            int rc = ccenter_erlang_a_metrics(ext_a[i], ext_n[j], ext_aht[k], ext_pat[l],
                                              ext_t[q], &e);
            ck_assert_msg(rc == 0 || rc == CCENTER_ERANGE, "rc %d", rc);
            if (rc == 0 && ext_n[j] < 1000000)
              all_finite_and_sane(&e);
          }
  /* Absurd queue (tens of millions waiting): refused, output untouched. */
  memset(&m, 0x5a, sizeof m);
  m.size = sizeof m;
  ccenter_erlang_metrics before = m;
  ck_assert_int_eq(ccenter_erlang_a_metrics(1e6, 1, 1, 1e9, 20, &m), CCENTER_ERANGE);
  ck_assert(memcmp(&m, &before, sizeof m) == 0);
}
END_TEST

START_TEST(erlang_a_large_traffic)
{
  for (unsigned n = 9800; n <= 10300; n += 100) {
    ccenter_erlang_metrics m = metrics_a(10000, n, 180, 600, 20);
    all_finite_and_sane(&m);
    REL(10000 * (1 - m.p_abandon), n * m.occupancy, 1e-10);
  }
  ccenter_erlang_metrics m = metrics_a(10000, 10100, 180, 600, 20);
  ccenter_erlang_metrics c = metrics_c(10000, 10100, 180, 20);
  /* Abandonment shortens the queue for the ones who stay. */
  ck_assert(m.p_wait < c.p_wait && m.asa_s < c.asa_s && m.mean_queue < c.mean_queue);
  /* Tens of thousands of agents. */
  m = metrics_a(30000, 30200, 180, 300, 20);
  all_finite_and_sane(&m);
}
END_TEST

START_TEST(erlang_a_bad_input_changes_nothing)
{
  ccenter_erlang_metrics m;
  memset(&m, 0x5a, sizeof m);
  m.size = sizeof m;
  ccenter_erlang_metrics before = m;
  ck_assert_int_eq(ccenter_erlang_a_metrics(NAN, 11, 180, 600, 20, &m), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_erlang_a_metrics(INFINITY, 11, 180, 600, 20, &m), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_erlang_a_metrics(-1, 11, 180, 600, 20, &m), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_erlang_a_metrics(10, 11, 0, 600, 20, &m), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_erlang_a_metrics(10, 11, NAN, 600, 20, &m), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_erlang_a_metrics(10, 11, 180, -1, 20, &m), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_erlang_a_metrics(10, 11, 180, NAN, 20, &m), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_erlang_a_metrics(10, 11, 180, -INFINITY, 20, &m), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_erlang_a_metrics(10, 11, 180, 600, -1, &m), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_erlang_a_metrics(10, 11, 180, 600, INFINITY, &m), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_erlang_a_metrics(10, 11, 180, 600, 20, NULL), CCENTER_EINVAL);
  m.size = sizeof m - sizeof(double);
  before.size = m.size;
  ck_assert_int_eq(ccenter_erlang_a_metrics(10, 11, 180, 600, 20, &m), CCENTER_EINVAL);
  ck_assert(memcmp(&m, &before, sizeof m) == 0);
}
END_TEST

/* ---- Solver -------------------------------------------------------------------------- */

static ccenter_staffing_params params(double a, double aht)
{
  ccenter_staffing_params p = { .size = sizeof p };
  ck_assert_int_eq(ccenter_staffing_params_init(&p), 0);
  p.traffic_erlangs = a;
  p.aht_s = aht;
  return p;
}

static ccenter_staffing_result solve(const ccenter_staffing_params *p)
{
  ccenter_staffing_result r = { .size = sizeof r };
  ck_assert_int_eq(ccenter_staffing_solve(p, &r), 0);
  return r;
}

START_TEST(solver_defaults)
{
  ccenter_staffing_params p;
  memset(&p, 0x5a, sizeof p);
  p.size = sizeof p;
  ck_assert_int_eq(ccenter_staffing_params_init(&p), 0);
  ck_assert(p.size == sizeof p);
  NEAR(p.target_service_level, 0.80, 0);
  NEAR(p.threshold_s, 20, 0);
  ck_assert(isinf(p.patience_s) && isinf(p.target_asa_s));
  NEAR(p.max_occupancy, 1, 0);
  NEAR(p.max_abandon, 1, 0);
  NEAR(p.shrinkage, 0, 0);
  NEAR(p.traffic_erlangs, 0, 0);
  NEAR(p.aht_s, 0, 0);
  ck_assert_uint_eq(p.max_agents, 1000000u);

  ccenter_staffing_params small;
  memset(&small, 0x5a, sizeof small);
  small.size = offsetof(ccenter_staffing_params, max_agents); /* one field short */
  ccenter_staffing_params before = small;
  ck_assert_int_eq(ccenter_staffing_params_init(&small), CCENTER_EINVAL);
  ck_assert(memcmp(&small, &before, sizeof small) == 0);
  ck_assert_int_eq(ccenter_staffing_params_init(NULL), CCENTER_EINVAL);
}
END_TEST

START_TEST(solver_reference_figures)
{
  /* Call Centre Helper: A = 10, 80 % in 20 s, occupancy ≤ 85 %, shrinkage 30 %. */
  ccenter_staffing_params p = params(10, 180);
  p.max_occupancy = 0.85;
  p.shrinkage = 0.30;
  ccenter_staffing_result r = solve(&p);
  ck_assert_uint_eq(r.agents, 14);
  ck_assert_uint_eq(r.staff, 20);
  NEAR(r.p_wait, 0.17413, 0.000005);
  NEAR(r.service_level, 0.88835, 0.000005);
  NEAR(r.asa_s, 7.836, 0.0005);
  NEAR(r.occupancy, 0.7143, 0.00005);
  NEAR(r.p_abandon, 0, 0);
  /* pyworkforce: occupancy ≤ 70 %. */
  p.max_occupancy = 0.70;
  r = solve(&p);
  ck_assert_uint_eq(r.agents, 15);
  ck_assert_uint_eq(r.staff, 22);
  NEAR(r.service_level, 0.941, 0.0005);
  NEAR(r.occupancy, 0.667, 0.0005);
  NEAR(r.p_wait, 0.102, 0.0005);
  /* Wolfram: A = 2.5, 90 % not delayed (threshold 0) → 6 agents. */
  p = params(2.5, 300);
  p.target_service_level = 0.90;
  p.threshold_s = 0;
  r = solve(&p);
  ck_assert_uint_eq(r.agents, 6);
  NEAR(r.service_level, 0.953, 0.0005);
  /* Shrinkage exactly on an integer in decimal: 14 / (1 − 0.3) = 20, 12 / (1 − 0.25) = 16. */
  p = params(10, 180);
  p.target_service_level = 0;
  p.max_occupancy = 10.0 / 12.0;
  p.shrinkage = 0.25;
  r = solve(&p);
  ck_assert_uint_eq(r.agents, 12);
  ck_assert_uint_eq(r.staff, 16);
}
END_TEST

/* The answer meets every constraint and one agent fewer does not. */
static int meets(const ccenter_staffing_params *p, unsigned n)
{
  ccenter_erlang_metrics m = { .size = sizeof m };
  int rc = isinf(p->patience_s)
               ? ccenter_erlang_c_metrics(p->traffic_erlangs, n, p->aht_s, p->threshold_s, &m)
               : ccenter_erlang_a_metrics(p->traffic_erlangs, n, p->aht_s, p->patience_s,
                                          p->threshold_s, &m);
  if (rc)
    return 0;
  /* With the documented slack of 1e-12. */
  return m.service_level >= p->target_service_level - 1e-12 &&
         m.asa_s <= p->target_asa_s * (1 + 1e-12) &&
         m.occupancy <= p->max_occupancy * (1 + 1e-12) &&
         m.p_abandon <= p->max_abandon * (1 + 1e-12);
}

static void check_minimal(const ccenter_staffing_params *p)
{
  ccenter_staffing_result r = solve(p);
  ck_assert_msg(meets(p, r.agents), "N = %u does not meet the target", r.agents);
  ck_assert_msg(r.agents == 1 || !meets(p, r.agents - 1), "N − 1 = %u also meets it",
                r.agents - 1);
  ck_assert_uint_eq(r.staff, (unsigned)ceil(r.agents / (1 - p->shrinkage) - 1e-9));
}

START_TEST(solver_is_minimal)
{
  ccenter_staffing_params p = params(10, 180);
  check_minimal(&p);
  p.target_service_level = 0;
  p.target_asa_s = 10;
  check_minimal(&p);
  p.target_asa_s = 0.5;
  p.shrinkage = 0.35;
  check_minimal(&p);
  p = params(10000, 180);
  check_minimal(&p);
  p.target_service_level = 0.95;
  p.threshold_s = 10;
  check_minimal(&p);
  /* Erlang A, a few patiences and targets. */
  const double pats[] = { 0, 30, 180, 600, 3600 };
  for (size_t i = 0; i < 5; i++) {
    p = params(10, 180);
    p.patience_s = pats[i];
    check_minimal(&p);
    p.max_abandon = 0.02;
    check_minimal(&p);
    p = params(10000, 180);
    p.patience_s = pats[i];
    check_minimal(&p);
    p.target_service_level = 0;
    p.target_asa_s = 5;
    check_minimal(&p);
  }
  p = params(0.3, 600);
  p.patience_s = 120;
  check_minimal(&p);
}
END_TEST

START_TEST(solver_erlang_a_tends_to_erlang_c)
{
  const double as[] = { 2.5, 10, 100, 1000, 10000 };
  for (size_t i = 0; i < 5; i++) {
    ccenter_staffing_params p = params(as[i], 180);
    ccenter_staffing_result c = solve(&p);
    p.patience_s = 1e9; /* 32 years */
    ccenter_staffing_result a = solve(&p);
    ck_assert_uint_eq(a.agents, c.agents);
    NEAR(a.service_level, c.service_level, 1e-4); /* the model differs by ~k²θ/(2Nμ) */
    /* With patience, fewer (or as many) agents meet the same service level. */
    p.patience_s = 300;
    a = solve(&p);
    ck_assert_uint_le(a.agents, c.agents);
  }
}
END_TEST

START_TEST(solver_errors_change_nothing)
{
  ccenter_staffing_result r, before;
  memset(&r, 0x5a, sizeof r);
  r.size = sizeof r;
  before = r;
  ccenter_staffing_params p = params(10, 180);
  p.max_agents = 13;
  ck_assert_int_eq(ccenter_staffing_solve(&p, &r), CCENTER_ENOSOLUTION);
  p.patience_s = 600;
  p.max_agents = 5;
  ck_assert_int_eq(ccenter_staffing_solve(&p, &r), CCENTER_ENOSOLUTION);
  p = params(1e12, 180); /* more erlangs than max_agents */
  ck_assert_int_eq(ccenter_staffing_solve(&p, &r), CCENTER_ENOSOLUTION);

  ccenter_staffing_params bad[16];
  size_t nbad = 0;
  for (size_t i = 0; i < 16; i++)
    bad[i] = params(10, 180);
  bad[nbad++].traffic_erlangs = NAN;
  bad[nbad++].traffic_erlangs = -1;
  bad[nbad++].aht_s = 0; /* the default: AHT must be set */
  bad[nbad++].aht_s = INFINITY;
  bad[nbad++].patience_s = NAN;
  bad[nbad++].patience_s = -5;
  bad[nbad++].target_service_level = 1.0;
  bad[nbad++].target_service_level = -0.1;
  bad[nbad++].threshold_s = NAN;
  bad[nbad++].target_asa_s = 0;
  bad[nbad++].max_occupancy = 0;
  bad[nbad++].max_occupancy = 1.5;
  bad[nbad++].max_abandon = 0;
  bad[nbad++].shrinkage = 1.0;
  bad[nbad++].max_agents = 0;
  bad[nbad++].size = offsetof(ccenter_staffing_params, max_agents);
  for (size_t i = 0; i < nbad; i++)
    ck_assert_msg(ccenter_staffing_solve(&bad[i], &r) == CCENTER_EINVAL, "bad params %zu", i);
  ck_assert_int_eq(ccenter_staffing_solve(NULL, &r), CCENTER_EINVAL);
  p = params(10, 180);
  ck_assert_int_eq(ccenter_staffing_solve(&p, NULL), CCENTER_EINVAL);
  ck_assert(memcmp(&r, &before, sizeof r) == 0);
  r.size = offsetof(ccenter_staffing_result, occupancy);
  before.size = r.size;
  ck_assert_int_eq(ccenter_staffing_solve(&p, &r), CCENTER_EINVAL);
  ck_assert(memcmp(&r, &before, sizeof r) == 0);
  /* Staff beyond the range of unsigned. */
  r.size = sizeof r;
  before.size = r.size;
  p = params(10, 180);
  p.max_agents = 4000000000u;
  p.target_service_level = 0;
  p.max_occupancy = 10.0 / 3e9; /* N = 3e9, staff 6e9 */
  p.shrinkage = 0.5;
  ck_assert_int_eq(ccenter_staffing_solve(&p, &r), CCENTER_ERANGE);
  ck_assert(memcmp(&r, &before, sizeof r) == 0);
  /* ... within CCENTER_STAFFING_MAX_AGENTS (the case above is refused for its max_agents). */
  p = params(10, 180);
  p.target_service_level = 0;
  p.max_occupancy = 10.0 / 1e6; /* N = 1e6, staff 1e10 */
  p.shrinkage = 0.9999;
  ck_assert_int_eq(ccenter_staffing_solve(&p, &r), CCENTER_ERANGE);
  ck_assert(memcmp(&r, &before, sizeof r) == 0);
  p.shrinkage = 0.5; /* staff 2e6 fits */
  ck_assert_int_eq(ccenter_staffing_solve(&p, &r), 0);
  ck_assert_uint_eq(r.agents, 1000000u);
  ck_assert_uint_eq(r.staff, 2000000u);
}
END_TEST

START_TEST(solver_params_from_a_larger_struct)
{
  /* A caller built against a future header with one more field. */
  struct {
    ccenter_staffing_params p;
    double future;
  } big;
  memset(&big, 0, sizeof big);
  big.p.size = sizeof big;
  big.future = 7.25;
  ck_assert_int_eq(ccenter_staffing_params_init(&big.p), 0);
  ck_assert(big.future == 0); /* unknown to this library: zeroed */
  big.p.traffic_erlangs = 10;
  big.p.aht_s = 180;
  big.p.max_occupancy = 0.85;
  ccenter_staffing_result r = { .size = sizeof r };
  ck_assert_int_eq(ccenter_staffing_solve(&big.p, &r), 0);
  ck_assert_uint_eq(r.agents, 14);
  /* A field this library does not know, set: refused, nothing written. */
  big.future = 7.25;
  r.agents = 99;
  ck_assert_int_eq(ccenter_staffing_solve(&big.p, &r), CCENTER_EINVAL);
  ck_assert_uint_eq(r.agents, 99);
}
END_TEST

/* ---- Limits ---------------------------------------------------------------------------- */

/* Each function at CCENTER_STAFFING_MAX_AGENTS and CCENTER_STAFFING_MAX_TRAFFIC and just
 * above them: accepted, then CCENTER_ERANGE with the output untouched. The inputs from
 * issue 12 that ran for minutes come last: before the limits this test case ran into its
 * timeout there (after failing on the first refusal it expects). */
START_TEST(limits_agents_and_traffic)
{
  const unsigned max_n = CCENTER_STAFFING_MAX_AGENTS, over_n = CCENTER_STAFFING_MAX_AGENTS + 1;
  const double max_a = CCENTER_STAFFING_MAX_TRAFFIC;
  const double over_a = nextafter(CCENTER_STAFFING_MAX_TRAFFIC, INFINITY);
  ck_assert_uint_eq(max_n, 1000000u);
  ck_assert(max_a == 1e12);

  /* Erlang B */
  double x = 0.25;
  ck_assert_int_eq(ccenter_erlang_b(1.0, max_n, &x), 0);
  ck_assert(x == 0.0);
  x = 0.25;
  ck_assert_int_eq(ccenter_erlang_b(1.0, over_n, &x), CCENTER_ERANGE);
  ck_assert(x == 0.25);
  ck_assert_int_eq(ccenter_erlang_b(max_a, 10, &x), 0);
  REL(x, 1.0, 1e-9);
  x = 0.25;
  ck_assert_int_eq(ccenter_erlang_b(over_a, 10, &x), CCENTER_ERANGE);
  ck_assert(x == 0.25);
  ck_assert_int_eq(ccenter_erlang_b(INFINITY, 10, &x), CCENTER_EINVAL); /* still EINVAL */

  /* Erlang C */
  ck_assert_int_eq(ccenter_erlang_c(10.0, max_n, &x), 0);
  ck_assert(x == 0.0);
  x = 0.25;
  ck_assert_int_eq(ccenter_erlang_c(10.0, over_n, &x), CCENTER_ERANGE);
  ck_assert(x == 0.25);
  ck_assert_int_eq(ccenter_erlang_c(over_a, max_n, &x), CCENTER_ERANGE);
  ck_assert(x == 0.25);

  ccenter_erlang_metrics m, before;
  memset(&m, 0x5a, sizeof m);
  m.size = sizeof m;
  before = m;
  ck_assert_int_eq(ccenter_erlang_c_metrics(10.0, over_n, 180, 20, &m), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_erlang_c_metrics(over_a, max_n, 180, 20, &m), CCENTER_ERANGE);
  ck_assert(memcmp(&m, &before, sizeof m) == 0);
  m = metrics_c(10.0, max_n, 180, 20);
  all_finite_and_sane(&m);
  m = metrics_c(max_n - 1000.0, max_n, 180, 20); /* near the limit on both counts */
  all_finite_and_sane(&m);

  /* Erlang A */
  m = metrics_a(10.0, max_n, 180, 600, 20);
  all_finite_and_sane(&m);
  m = metrics_a(max_a, 1, 180, 0, 20); /* the loss system */
  REL(m.p_abandon, 1.0, 1e-9);
  m = metrics_a(max_a, max_n, 180, 0, 20);
  all_finite_and_sane(&m);
  m = before;
  ck_assert_int_eq(ccenter_erlang_a_metrics(10.0, over_n, 180, 600, 20, &m), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_erlang_a_metrics(over_a, 1, 180, 0, 20, &m), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_erlang_a_metrics(over_a, 0, 180, 600, 20, &m), CCENTER_ERANGE);
  ck_assert(memcmp(&m, &before, sizeof m) == 0);

  /* The solver */
  ccenter_staffing_result r, rbefore;
  memset(&r, 0x5a, sizeof r);
  r.size = sizeof r;
  rbefore = r;
  ccenter_staffing_params p = { .size = sizeof p };
  ck_assert_int_eq(ccenter_staffing_params_init(&p), 0);
  ck_assert_uint_le(p.max_agents, CCENTER_STAFFING_MAX_AGENTS); /* the default is accepted */
  p.traffic_erlangs = 10;
  p.aht_s = 180;
  p.max_agents = over_n;
  ck_assert_int_eq(ccenter_staffing_solve(&p, &r), CCENTER_ERANGE);
  p.patience_s = 600;
  ck_assert_int_eq(ccenter_staffing_solve(&p, &r), CCENTER_ERANGE);
  p.max_agents = max_n;
  p.traffic_erlangs = over_a;
  ck_assert_int_eq(ccenter_staffing_solve(&p, &r), CCENTER_ERANGE);
  p.patience_s = INFINITY;
  ck_assert_int_eq(ccenter_staffing_solve(&p, &r), CCENTER_ERANGE);
  ck_assert(memcmp(&r, &rbefore, sizeof r) == 0);
  p.traffic_erlangs = max_a; /* accepted, but more than max_agents can serve */
  ck_assert_int_eq(ccenter_staffing_solve(&p, &r), CCENTER_ENOSOLUTION);
  p.patience_s = 600;
  ck_assert_int_eq(ccenter_staffing_solve(&p, &r), CCENTER_ENOSOLUTION);
  ck_assert(memcmp(&r, &rbefore, sizeof r) == 0);
  p.traffic_erlangs = max_n - 1000.0; /* the largest case that is solved */
  p.patience_s = INFINITY;
  ck_assert_int_eq(ccenter_staffing_solve(&p, &r), 0);
  ck_assert_uint_le(r.agents, max_n);
  ck_assert_uint_gt(r.agents, max_n - 1000);
  p.patience_s = 600;
  ck_assert_int_eq(ccenter_staffing_solve(&p, &r), 0);
  ck_assert_uint_le(r.agents, max_n);

  /* The inputs of issue 12 that ran for minutes: refused at once. */
  x = 0.25;
  ck_assert_int_eq(ccenter_erlang_b(4.29e9, 4294967295u, &x), CCENTER_ERANGE);
  ck_assert(x == 0.25);
  m = before;
  ck_assert_int_eq(ccenter_erlang_a_metrics(1e15, 4294967295u, 180, 0, 20, &m), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_erlang_a_metrics(1e15, 1, 180, 600, 20, &m), CCENTER_ERANGE);
  ck_assert(memcmp(&m, &before, sizeof m) == 0);
  r = rbefore;
  p.traffic_erlangs = 4.29e9;
  p.patience_s = INFINITY;
  p.max_agents = 4294967295u;
  ck_assert_int_eq(ccenter_staffing_solve(&p, &r), CCENTER_ERANGE);
  p.patience_s = 600;
  ck_assert_int_eq(ccenter_staffing_solve(&p, &r), CCENTER_ERANGE);
  ck_assert(memcmp(&r, &rbefore, sizeof r) == 0);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("staffing");
  TCase *tc = tcase_create("erlang");
  /* Per test, for the three cases. Slowest under ASan+UBSan on a loaded 2-core machine:
   * erlang_a_corner_cases 1.1 s, solver_erlang_a_tends_to_erlang_c 0.9 s,
   * limits_agents_and_traffic 0.7 s: 60 s is over 50x room. */
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, erlang_b_values);
  tcase_add_test(tc, erlang_b_bad_input);
  tcase_add_test(tc, erlang_c_reference_figures);
  tcase_add_test(tc, erlang_c_large_traffic);
  tcase_add_test(tc, erlang_c_bad_input_changes_nothing);
  tcase_add_test(tc, result_size_is_respected);
  tcase_add_test(tc, erlang_a_matches_brute_force);
  tcase_add_test(tc, erlang_a_identities);
  tcase_add_test(tc, erlang_a_tends_to_erlang_c);
  tcase_add_test(tc, erlang_a_corner_cases);
  tcase_add_test(tc, erlang_a_large_traffic);
  tcase_add_test(tc, erlang_a_bad_input_changes_nothing);
  suite_add_tcase(s, tc);
  TCase *sv = tcase_create("solver");
  tcase_set_timeout(sv, 60);
  tcase_add_test(sv, solver_defaults);
  tcase_add_test(sv, solver_reference_figures);
  tcase_add_test(sv, solver_is_minimal);
  tcase_add_test(sv, solver_erlang_a_tends_to_erlang_c);
  tcase_add_test(sv, solver_errors_change_nothing);
  tcase_add_test(sv, solver_params_from_a_larger_struct);
  suite_add_tcase(s, sv);
  TCase *lim = tcase_create("limits");
  tcase_set_timeout(lim, 60);
  tcase_add_test(lim, limits_agents_and_traffic);
  suite_add_tcase(s, lim);
  return s;
}

CC_TEST_MAIN()
