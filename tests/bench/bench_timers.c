/* timers: the engine's timer structure at a million armed deadlines. */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "core/options.h"
#include "time/timer.h"

/* Time one operation in this many, so the clock's cost stays out of the totals. */
#define SAMPLE_EVERY 64
/* Deadlines spread over an hour: SLA thresholds, wrap-up, step expiry. */
#define SPREAD_MS 3600000

#define TIMED(samples, i, stmt)                         \
  do {                                                  \
    if (((i) & (SAMPLE_EVERY - 1)) == 0) {              \
      uint64_t t0_ = bench_now_ns();                    \
      stmt;                                             \
      bench_samples_add((samples), t0_, bench_now_ns()); \
    } else {                                            \
      stmt;                                             \
    }                                                   \
  } while (0)

static int64_t spread_deadline(int64_t now, uint64_t *rng)
{
  return now + 1 + (int64_t)(bench_rand(rng) % SPREAD_MS);
}

static int run(const bench_ctx *ctx)
{
  const size_t n = ctx->quick ? 100000 : 1000000;
  uint64_t rng = ctx->seed;
  int rc = 1, err = 0;
  cc_alloc a;
  cc_alloc_default(&a);
  cc_timers t;
  cc_timer_id *ids = malloc(n * sizeof *ids);
  bench_samples s_arm, s_cancel, s_pop, s_churn, s_all;
  size_t cap = n / SAMPLE_EVERY + 16;
  if (!ids || bench_samples_init(&s_arm, cap) || bench_samples_init(&s_cancel, cap) ||
      bench_samples_init(&s_pop, cap) || bench_samples_init(&s_churn, cap) ||
      bench_samples_init(&s_all, 4 * cap) || cc_timers_init(&t, &a, 0)) {
    fprintf(stderr, "timers: out of memory\n");
    exit(1);
  }
  bench_touch(ids, n * sizeof *ids);
  int64_t now = 0;

  /* 0. Untimed: the wheel grown to n timers and every page of it touched once, so that
     no timed part below allocates or takes a page fault. A round of n arms (other
     deadlines) grows the node array as arming does (doubling; bytes_per_timer is taken
     here); n cancels in reverse order leave the nodes on the free list in index order, so
     the timed arms take them as they would from a fresh wheel. Then cc_timers_reserve()
     for n: the nodes are there already; it adds room for n late timers (deadlines before
     the wheel's time), which this scenario never arms or touches
     (reserved_bytes_per_timer counts it). */
  uint64_t f0 = bench_minflt();
  uint64_t wrng = ctx->seed ^ UINT64_C(0x7761726d);
  for (size_t i = 0; i < n; i++)
    err |= cc_timers_arm(&t, spread_deadline(now, &wrng), 1, i, &ids[i]);
  size_t memory = cc_timers_memory(&t);
  for (size_t i = n; i-- > 0;)
    err |= cc_timers_cancel(&t, ids[i]);
  if (err || cc_timers_reserve(&t, n)) {
    fprintf(stderr, "timers: the untimed round or the reserve failed\n");
    exit(1);
  }
  size_t reserved = cc_timers_memory(&t);
  uint64_t flt_setup = bench_minflt() - f0;

  /* 1. Arm n timers. */
  f0 = bench_minflt();
  uint64_t t0 = bench_now_ns();
  for (size_t i = 0; i < n; i++) {
    int64_t d = spread_deadline(now, &rng);
    TIMED(&s_arm, i, err |= cc_timers_arm(&t, d, 1, i, &ids[i]));
  }
  uint64_t arm_total = bench_now_ns() - t0;
  uint64_t flt_arm = bench_minflt() - f0;
  if (cc_timers_memory(&t) != reserved)
    err = 1; /* the timed arms allocated after all */
  size_t rss = bench_rss_bytes();

  /* 2. Steady state at n armed: arm one, cancel a random armed one, n times. */
  f0 = bench_minflt();
  t0 = bench_now_ns();
  for (size_t i = 0; i < n; i++) {
    size_t k = (size_t)(bench_rand(&rng) % n);
    int64_t d = spread_deadline(now, &rng);
    TIMED(&s_churn, i, {
      err |= cc_timers_cancel(&t, ids[k]);
      err |= cc_timers_arm(&t, d, 1, k, &ids[k]);
    });
  }
  uint64_t churn_total = bench_now_ns() - t0;
  uint64_t flt_steady = bench_minflt() - f0;

  /* 3. Cancel a random half, in random order. */
  for (size_t i = n - 1; i > 0; i--) {
    size_t j = (size_t)(bench_rand(&rng) % (i + 1));
    cc_timer_id x = ids[i];
    ids[i] = ids[j];
    ids[j] = x;
  }
  const size_t ncancel = n / 2;
  f0 = bench_minflt();
  t0 = bench_now_ns();
  for (size_t i = 0; i < ncancel; i++)
    TIMED(&s_cancel, i, err |= cc_timers_cancel(&t, ids[i]));
  uint64_t cancel_total = bench_now_ns() - t0;
  uint64_t flt_cancel = bench_minflt() - f0;

  /* 4. Pop the rest the way an event loop does: sleep until next(), pop what is due.
     Every wakeup is timed (one clock read each, included in pop_per_s) because cascading
     a high-level slot is rare and large, so sampled pops never show it. */
  size_t popped = 0, wakeups = 0;
  uint64_t wake_max = 0, wake_start = bench_now_ns();
  int64_t last = INT64_MIN;
  cc_timer_fired f;
  f0 = bench_minflt();
  t0 = wake_start;
  while (cc_timers_count(&t)) {
    now = cc_timers_next(&t);
    wakeups++;
    for (;;) {
      int got;
      TIMED(&s_pop, popped, got = cc_timers_pop(&t, now, &f));
      if (!got)
        break;
      if (f.deadline < last || f.deadline > now)
        err = 1;
      last = f.deadline;
      popped++;
    }
    uint64_t wake_end = bench_now_ns();
    if (wake_end - wake_start > wake_max)
      wake_max = wake_end - wake_start;
    wake_start = wake_end;
  }
  uint64_t drain_total = bench_now_ns() - t0;
  uint64_t flt_pop = bench_minflt() - f0;
  if (err || popped != n - ncancel) {
    fprintf(stderr, "timers: wrong results (err %d, popped %zu of %zu)\n", err, popped,
            n - ncancel);
    goto out;
  }

  bench_samples_merge(&s_all, &s_arm);
  bench_samples_merge(&s_all, &s_cancel);
  bench_samples_merge(&s_all, &s_pop);
  double arm_ns = (double)arm_total / (double)n;
  double cancel_ns = (double)cancel_total / (double)ncancel;
  size_t ops = n + ncancel + popped + 2 * n;
  double secs = (double)(arm_total + churn_total + cancel_total + drain_total) / 1e9;
  bench_json j;
  bench_json_begin(&j, "timers");
  bench_json_uint(&j, "timers", n);
  bench_json_double(&j, "ops_per_s", (double)ops / secs);
  bench_json_uint(&j, "p50_ns", bench_percentile(&s_all, 50));
  bench_json_uint(&j, "p99_ns", bench_percentile(&s_all, 99));
  bench_json_uint(&j, "rss_bytes", rss);
  bench_json_uint(&j, "minflt_timed", flt_arm + flt_steady + flt_cancel + flt_pop);
  bench_json_double(&j, "arm_ns", arm_ns);
  bench_json_double(&j, "cancel_ns", cancel_ns);
  bench_json_double(&j, "arm_cancel_ns", arm_ns + cancel_ns);
  bench_json_double(&j, "steady_arm_cancel_ns", (double)churn_total / (double)n);
  bench_json_double(&j, "pop_per_s", (double)popped / ((double)drain_total / 1e9));
  bench_json_uint(&j, "wakeups", wakeups);
  bench_json_uint(&j, "wakeup_max_ns", wake_max);
  bench_json_uint(&j, "arm_p99_ns", bench_percentile(&s_arm, 99));
  bench_json_uint(&j, "cancel_p99_ns", bench_percentile(&s_cancel, 99));
  bench_json_uint(&j, "steady_p99_ns", bench_percentile(&s_churn, 99));
  bench_json_uint(&j, "pop_p50_ns", bench_percentile(&s_pop, 50));
  bench_json_uint(&j, "pop_p99_ns", bench_percentile(&s_pop, 99));
  bench_json_double(&j, "bytes_per_timer", (double)memory / (double)n);
  bench_json_double(&j, "reserved_bytes_per_timer", (double)reserved / (double)n);
  bench_json_uint(&j, "minflt_arm", flt_arm);
  bench_json_uint(&j, "minflt_steady", flt_steady);
  bench_json_uint(&j, "minflt_cancel", flt_cancel);
  bench_json_uint(&j, "minflt_pop", flt_pop);
  bench_json_uint(&j, "minflt_setup", flt_setup);
  bench_json_uint(&j, "peak_rss_bytes", bench_peak_rss_bytes());
  bench_json_uint(&j, "clock_ns", bench_clock_overhead_ns());
  bench_json_end(&j);
  rc = 0;
out:
  cc_timers_destroy(&t);
  free(ids);
  bench_samples_free(&s_arm);
  bench_samples_free(&s_cancel);
  bench_samples_free(&s_pop);
  bench_samples_free(&s_churn);
  bench_samples_free(&s_all);
  return rc;
}

BENCH_SCENARIO(timers, "arm 1M spread deadlines, churn, cancel a random half, pop the rest", run);
