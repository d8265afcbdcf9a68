/* cases: the case engine with a million open cases and their timers. */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "ccenter/workflow.h"

#define SAMPLE_EVERY 64
#define DAY_MS INT64_C(86400000)
/* Mon 2 Mar 2026 09:00 UTC: a working day, away from holidays. */
#define T0 INT64_C(1772442000000)

/* The shape of an emergency case, reduced to what costs: a golden window, a contained
 * state with a 48-hour stop timer and a warning, a waiting state with a business-day
 * timer, and a final state. Every transition moves timers. */
static int build(ccenter_cases *ce)
{
  ccenter_workflow *wf = NULL;
  int rc = ccenter_workflow_new(NULL, "bench", &wf);
  rc = rc ? rc : ccenter_workflow_set_golden(wf, 30 * 60000);
  rc = rc ? rc : ccenter_workflow_add_field(wf, "amount", CCENTER_FIELD_MONEY);
  rc = rc ? rc : ccenter_workflow_add_state(wf, "INTAKE", CCENTER_STATE_INITIAL, NULL);
  rc = rc ? rc : ccenter_workflow_add_state(wf, "STOP_ACTIVE", CCENTER_STATE_CONTAINED, NULL);
  rc = rc ? rc : ccenter_workflow_add_state(wf, "AWAIT", 0, NULL);
  rc = rc ? rc : ccenter_workflow_add_state(wf, "CLOSED", CCENTER_STATE_FINAL, "RECOVERED");
  rc = rc ? rc : ccenter_workflow_add_transition(wf, "stop", "INTAKE,AWAIT", "STOP_ACTIVE",
                                                 "agent");
  rc = rc ? rc : ccenter_workflow_add_transition(wf, "wait", "STOP_ACTIVE", "AWAIT", "agent");
  rc = rc ? rc : ccenter_workflow_add_transition(wf, "close", "*", "CLOSED", "agent");
  rc = rc ? rc : ccenter_workflow_add_timer(wf, "stop_lapse", "STOP_ACTIVE",
                                            CCENTER_CLOCK_ELAPSED, 48 * 3600000,
                                            CCENTER_EXPIRY_ALERT, NULL, CCENTER_TIMER_DEADLINE);
  rc = rc ? rc : ccenter_workflow_timer_warn(wf, "stop_lapse", 2 * 3600000);
  rc = rc ? rc : ccenter_workflow_add_timer(wf, "answer", "AWAIT", CCENTER_CLOCK_BUSINESS_DAYS,
                                            3, CCENTER_EXPIRY_ESCALATE, "supervisor", 0);
  rc = rc ? rc : ccenter_cases_add_workflow(ce, wf, T0);
  rc = rc ? rc : ccenter_cases_set_actor(ce, "a1", "agent", T0);
  ccenter_workflow_free(wf);
  return rc;
}

/* The integrator's side, reduced to counting: without a callback the engine would keep
 * every event for pulling. */
static void on_event(ccenter_cases *ce, const ccenter_case_event *ev, void *ud)
{
  (void)ce;
  (void)ev;
  ++*(uint64_t *)ud;
}

static int run(const bench_ctx *ctx)
{
  const uint32_t n = ctx->quick ? 20000 : 1000000;
  const size_t ops = ctx->quick ? 40000 : 2000000;
  uint64_t rng = ctx->seed;
  int err = 0, rc = 1;
  uint64_t events = 0;
  ccenter_cases *ce = NULL;
  bench_samples s;
  /* The driver's own view of each case: 0 INTAKE, 1 STOP_ACTIVE, 2 AWAIT. */
  unsigned char *state = malloc(n);
  if (!state || bench_samples_init(&s, ops / SAMPLE_EVERY + 16) ||
      ccenter_cases_new(NULL, T0, &ce) ||
      ccenter_cases_set_event_callback(ce, on_event, &events) || build(ce)) {
    fprintf(stderr, "cases: set-up failed\n");
    exit(1);
  }
  bench_touch(state, n);
  size_t mem0 = ccenter_cases_memory(ce);
  char id[16];

  /* 1. Open n cases (each arms its golden window), then move each into STOP_ACTIVE (a
   *    48-hour timer and its warning) — the steady population of an emergency team's
   *    busiest week. One millisecond apart, as an intake would be. */
  int64_t now = T0;
  uint64_t t0 = bench_now_ns();
  for (uint32_t i = 0; i < n; i++) {
    bench_id(id, 'k', i);
    err |= ccenter_case_open(ce, id, "bench", "a1", NULL, now) != 0;
    err |= ccenter_case_transition(ce, id, "stop", "a1", NULL, now) != 0;
    state[i] = 1;
    if ((i & 1023) == 1023)
      now++;
  }
  uint64_t open_total = bench_now_ns() - t0;
  size_t mem_open = ccenter_cases_memory(ce);
  size_t rss = bench_rss_bytes();
  if (err || ccenter_cases_open_count(ce) != n) {
    fprintf(stderr, "cases: opening failed\n");
    goto out;
  }

  /* 2. Timed: random transitions between STOP_ACTIVE and AWAIT on random open cases;
   *    each one cancels a case's timers and arms others (elapsed or business-day). */
  uint64_t f0 = bench_minflt();
  t0 = bench_now_ns();
  for (size_t k = 0; k < ops; k++) {
    uint32_t i = (uint32_t)(bench_rand(&rng) % n);
    const char *tr = state[i] == 1 ? "wait" : "stop";
    bench_id(id, 'k', i);
    if ((k & (SAMPLE_EVERY - 1)) == 0) {
      uint64_t a = bench_now_ns();
      err |= ccenter_case_transition(ce, id, tr, "a1", NULL, now) != 0;
      bench_samples_add(&s, a, bench_now_ns());
    } else {
      err |= ccenter_case_transition(ce, id, tr, "a1", NULL, now) != 0;
    }
    state[i] = state[i] == 1 ? 2 : 1;
  }
  uint64_t tr_total = bench_now_ns() - t0;
  uint64_t flt = bench_minflt() - f0;
  if (err) {
    fprintf(stderr, "cases: a transition failed\n");
    goto out;
  }

  /* 3. Untimed check: three days later every golden window has ended and every stop has
   *    been warned about or lapsed; the engine still holds n open cases. */
  err |= ccenter_cases_advance(ce, now + 3 * DAY_MS) != 0;
  ccenter_workflow_stats st = {.size = sizeof st};
  err |= ccenter_workflow_stats_get(ce, "bench", &st) != 0;
  if (err || st.open != n || st.golden_met != n) {
    fprintf(stderr, "cases: wrong statistics (open %llu, golden met %llu)\n",
            (unsigned long long)st.open, (unsigned long long)st.golden_met);
    goto out;
  }

  bench_json j;
  bench_json_begin(&j, "cases");
  bench_json_uint(&j, "open_cases", n);
  bench_json_double(&j, "ops_per_s", (double)ops / ((double)tr_total / 1e9));
  bench_json_uint(&j, "p50_ns", bench_percentile(&s, 50));
  bench_json_uint(&j, "p99_ns", bench_percentile(&s, 99));
  bench_json_uint(&j, "rss_bytes", rss);
  bench_json_uint(&j, "minflt_timed", flt);
  bench_json_double(&j, "transitions_per_s", (double)ops / ((double)tr_total / 1e9));
  bench_json_double(&j, "open_and_stop_per_s", (double)n / ((double)open_total / 1e9));
  bench_json_double(&j, "bytes_per_open_case", (double)(mem_open - mem0) / (double)n);
  bench_json_uint(&j, "memory_bytes", mem_open);
  bench_json_uint(&j, "events", events);
  bench_json_uint(&j, "warnings", st.warnings);
  bench_json_uint(&j, "deadlines_missed", st.deadlines_missed);
  bench_json_uint(&j, "peak_rss_bytes", bench_peak_rss_bytes());
  bench_json_end(&j);
  rc = 0;
out:
  ccenter_cases_free(ce);
  free(state);
  bench_samples_free(&s);
  return rc;
}

BENCH_SCENARIO(cases, "1M open fraud cases with timers: transitions per second, bytes per case",
               run);
