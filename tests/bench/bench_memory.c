/*
 * memory: what the engine holds per agent and per waiting contact, at 100,000 agents.
 *
 * 1,000 queues, each requiring one or two of 64 skills with the two-step expansion of the
 * `route` scenario (`sA >= 7 [and sB >= 5]` for 10 s, `sA >= 3 [and sB >= 1]` for 20 s,
 * then any member). 100,000 agents, each with exactly 6 skills (proficiency 1..10) and
 * serving exactly 4 queues whose required skills it has, logged in and READY. Then every
 * agent goes NOT_READY (no agent free) and 50,000 contacts (ids of up to 6 characters, no
 * attributes) are enqueued in queues picked at random, and left waiting with their step
 * and service-level timers armed.
 *
 * Figures, each from cc_engine_memory() and from the process's resident set size:
 * per agent = (engine with the agents - engine with only the queues) / agents; per waiting
 * contact = (engine with the contacts - engine before them) / contacts. The engine's maps
 * grow while the contacts arrive, and that growth is counted. RSS deltas also count the
 * allocator's own overhead (headers, rounding, free lists), which cc_engine_memory() does
 * not (when other scenarios ran first in the same process, the memory they freed is given
 * back with glibc's malloc_trim() first; elsewhere the RSS deltas may then read low).
 * Latency: the enqueue calls of the last phase (every call timed, clock cost
 * subtracted), as p50_ns/p99_ns and ops_per_s (enqueues per second); minflt_timed, the
 * minor page faults taken in that phase (the engine's growth: it is not pre-touched). The run fails if a
 * call fails or cc_engine_check() finds a broken invariant; afterwards every contact is
 * removed, enqueued again and removed again, and the engine's memory must be the same
 * after both removals (the maps keep their grown capacity; nothing else may stay).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "acd/engine_int.h"
#include "sla/stats.h"
#include "bench.h"
#include "ccenter/engine.h"

#define N_SKILLS 64
#define AGENT_SKILLS 6
#define AGENT_QUEUES 4
#define SEC INT64_C(1000)

static int fail(const char *what, int rc)
{
  fprintf(stderr, "memory: %s%s%s\n", what, rc ? ": " : "", rc ? ccenter_err_name(rc) : "");
  return 1;
}

static int has(const int *set, int n, int x)
{
  for (int i = 0; i < n; i++)
    if (set[i] == x)
      return 1;
  return 0;
}

static void on_event(ccenter_engine *e, const ccenter_event *ev, void *ud)
{
  (void)e;
  (void)ev;
  ++*(uint64_t *)ud;
}

static int run(const bench_ctx *ctx)
{
  const uint32_t n_agents = ctx->quick ? 10000 : 100000;
  const uint32_t n_queues = ctx->quick ? 100 : 1000;
  const uint32_t n_contacts = ctx->quick ? 5000 : 50000;
  const int64_t now = INT64_C(1) << 32;
  uint64_t rng = ctx->seed ^ 0x6d656d;
  uint64_t events = 0;
  int result = 1, rc = 0;
  ccenter_engine *e = NULL;
  int8_t(*qs)[2] = malloc(n_queues * sizeof *qs);
  bench_samples lat;
  ccenter_options *o = bench_options(ctx);
  if (!qs || !o || bench_samples_init(&lat, n_contacts) ||
      ccenter_options_set_event_callback(o, on_event, &events) ||
      ccenter_engine_new(o, now, &e)) {
    ccenter_options_free(o);
    free(qs);
    return fail("out of memory", 0);
  }
  ccenter_options_free(o);
#ifdef __GLIBC__
  /* Scenarios run before this one left freed memory in the process; hand it back so that
   * the engine's allocations show in the resident set size again. */
  malloc_trim(0);
#endif
  size_t rss0 = bench_rss_bytes();
  size_t mem0 = cc_engine_memory(e);

  /* Queues. */
  char id[16], r1[48], r2[48];
  for (uint32_t q = 0; q < n_queues && !rc; q++) {
    qs[q][0] = (int8_t)(bench_rand(&rng) % N_SKILLS);
    qs[q][1] = -1;
    if (bench_rand(&rng) & 1) {
      do
        qs[q][1] = (int8_t)(bench_rand(&rng) % N_SKILLS);
      while (qs[q][1] == qs[q][0]);
      snprintf(r1, sizeof r1, "s%d >= 7 and s%d >= 5", qs[q][0], qs[q][1]);
      snprintf(r2, sizeof r2, "s%d >= 3 and s%d >= 1", qs[q][0], qs[q][1]);
    } else {
      snprintf(r1, sizeof r1, "s%d >= 7", qs[q][0]);
      snprintf(r2, sizeof r2, "s%d >= 3", qs[q][0]);
    }
    snprintf(id, sizeof id, "q%u", q);
    rc = ccenter_queue_add(e, id, NULL, now);
    rc = rc ? rc : ccenter_queue_add_step(e, id, r1, 10 * SEC, now);
    rc = rc ? rc : ccenter_queue_add_step(e, id, r2, 20 * SEC, now);
  }
  if (rc) {
    fail("adding queues failed", rc);
    goto out;
  }
  size_t rss_q = bench_rss_bytes(), mem_q = cc_engine_memory(e), st_q = cc_stats_memory(e);

  /* Agents: 4 queues whose skills fit in 6, padded to exactly 6 skills. */
  for (uint32_t a = 0; a < n_agents && !rc; a++) {
    int served[AGENT_QUEUES], n_served = 0, sk[AGENT_SKILLS], n_sk = 0;
    for (int tries = 0; n_served < AGENT_QUEUES; tries++) {
      if (tries == 200) { /* no queue fits the skills picked so far: start again */
        tries = 0;
        n_served = n_sk = 0;
      }
      int q = (int)(bench_rand(&rng) % n_queues), add[2], n_add = 0;
      if (has(served, n_served, q))
        continue;
      for (int k = 0; k < 2; k++)
        if (qs[q][k] >= 0 && !has(sk, n_sk, qs[q][k]))
          add[n_add++] = qs[q][k];
      if (n_sk + n_add > AGENT_SKILLS)
        continue;
      for (int k = 0; k < n_add; k++)
        sk[n_sk++] = add[k];
      served[n_served++] = q;
    }
    while (n_sk < AGENT_SKILLS) {
      int x = (int)(bench_rand(&rng) % N_SKILLS);
      if (!has(sk, n_sk, x))
        sk[n_sk++] = x;
    }
    snprintf(id, sizeof id, "a%u", a);
    rc = ccenter_agent_add(e, id, NULL, now);
    for (int k = 0; k < n_sk && !rc; k++) {
      char name[8];
      snprintf(name, sizeof name, "s%d", sk[k]);
      rc = ccenter_agent_set_skill(e, id, name, 1 + (int)(bench_rand(&rng) % 10), now);
    }
    for (int k = 0; k < n_served && !rc; k++) {
      char qid[16];
      snprintf(qid, sizeof qid, "q%d", served[k]);
      rc = ccenter_agent_serve(e, id, qid, &(ccenter_serve_params){.size = sizeof(ccenter_serve_params), .priority = 0, .delay_ms = 0, .reserve = 0}, now);
    }
    rc = rc ? rc : ccenter_agent_login(e, id, now);
    rc = rc ? rc : ccenter_agent_ready(e, id, now);
  }
  if (rc) {
    fail("adding agents failed", rc);
    goto out;
  }
  size_t rss_a = bench_rss_bytes(), mem_a = cc_engine_memory(e), st_a = cc_stats_memory(e);

  /* No agent free, then the contacts. */
  for (uint32_t a = 0; a < n_agents && !rc; a++) {
    snprintf(id, sizeof id, "a%u", a);
    rc = ccenter_agent_not_ready(e, id, "memory", now);
  }
  if (rc) {
    fail("agent_not_ready failed", rc);
    goto out;
  }
  size_t rss_b = bench_rss_bytes(), mem_b = cc_engine_memory(e), st_b = cc_stats_memory(e);
  /* The latency samples were written when made (bench_samples_init), before rss0; the
   * enqueues' own faults (the engine growing) count in minflt_timed. */
  uint64_t flt0 = bench_minflt();
  uint64_t t_all = bench_now_ns();
  for (uint32_t c = 0; c < n_contacts && !rc; c++) {
    char qid[16];
    snprintf(id, sizeof id, "c%u", c);
    snprintf(qid, sizeof qid, "q%u", (unsigned)(bench_rand(&rng) % n_queues));
    uint64_t t0 = bench_now_ns();
    rc = ccenter_contact_enqueue(e, id, qid, NULL, now);
    bench_samples_add(&lat, t0, bench_now_ns());
  }
  t_all = bench_now_ns() - t_all;
  uint64_t flt_timed = bench_minflt() - flt0;
  if (rc) {
    fail("contact_enqueue failed", rc);
    goto out;
  }
  size_t rss_c = bench_rss_bytes(), mem_c = cc_engine_memory(e), st_c = cc_stats_memory(e);
  const char *bad = cc_engine_check(e);
  if (bad) {
    fail(bad, 0);
    goto out;
  }
  ccenter_queue_info qi = {.size = sizeof qi};
  uint64_t waiting = 0;
  for (uint32_t q = 0; q < n_queues && !rc; q++) {
    snprintf(id, sizeof id, "q%u", q);
    rc = ccenter_queue_info_get(e, id, now, &qi);
    waiting += qi.waiting;
  }
  if (rc || waiting != n_contacts) {
    fail("not every contact is waiting", rc);
    goto out;
  }
  /* Remove them, then enqueue and remove them once more: the second round must end where
   * the first did (the maps keep their grown capacity, nothing else may stay). */
  size_t mem_round[2] = {0, 0};
  for (int round = 0; round < 2 && !rc; round++) {
    for (uint32_t c = 0; c < n_contacts && !rc; c++) {
      snprintf(id, sizeof id, "c%u", c);
      rc = ccenter_contact_remove(e, id, now);
    }
    mem_round[round] = cc_engine_memory(e);
    for (uint32_t c = 0; c < n_contacts && !rc && round == 0; c++) {
      char qid[16];
      snprintf(id, sizeof id, "c%u", c);
      snprintf(qid, sizeof qid, "q%u", (unsigned)(bench_rand(&rng) % n_queues));
      rc = ccenter_contact_enqueue(e, id, qid, NULL, now);
    }
  }
  if (rc) {
    fail("contact_remove or the second enqueue failed", rc);
    goto out;
  }
  if ((bad = cc_engine_check(e))) {
    fail(bad, 0);
    goto out;
  }
  if (mem_round[1] != mem_round[0]) {
    fprintf(stderr, "memory: the engine holds %zu bytes after enqueueing and removing %u "
            "contacts twice, %zu after once (%zu before them)\n", mem_round[1], n_contacts,
            mem_round[0], mem_b);
    goto out;
  }

  bench_json j;
  bench_json_begin(&j, "memory");
  bench_json_bool(&j, "statistics", !ctx->no_stats);
  bench_json_uint(&j, "agents", n_agents);
  bench_json_uint(&j, "queues", n_queues);
  bench_json_uint(&j, "contacts", n_contacts);
  bench_json_double(&j, "ops_per_s", (double)n_contacts / ((double)t_all / 1e9));
  bench_json_uint(&j, "p50_ns", bench_percentile(&lat, 50));
  bench_json_uint(&j, "p99_ns", bench_percentile(&lat, 99));
  bench_json_uint(&j, "rss_bytes", rss_c);
  bench_json_uint(&j, "minflt_timed", flt_timed);
  bench_json_double(&j, "bytes_per_agent", (double)(mem_a - mem_q) / n_agents);
  bench_json_double(&j, "bytes_per_waiting_contact", (double)(mem_c - mem_b) / n_contacts);
  bench_json_double(&j, "stats_bytes_per_agent", ((double)st_a - (double)st_q) / n_agents);
  bench_json_double(&j, "stats_bytes_per_waiting_contact",
                    ((double)st_c - (double)st_b) / n_contacts);
  bench_json_double(&j, "rss_bytes_per_agent", ((double)rss_a - (double)rss_q) / n_agents);
  bench_json_double(&j, "rss_bytes_per_waiting_contact",
                    ((double)rss_c - (double)rss_b) / n_contacts);
  bench_json_double(&j, "bytes_per_queue", (double)(mem_q - mem0) / n_queues);
  bench_json_uint(&j, "engine_bytes", mem_c);
  bench_json_uint(&j, "engine_bytes_after_remove", mem_round[1]);
  bench_json_uint(&j, "rss_bytes_start", rss0);
  bench_json_uint(&j, "events", events);
  bench_json_uint(&j, "peak_rss_bytes", bench_peak_rss_bytes());
  bench_json_uint(&j, "clock_ns", bench_clock_overhead_ns());
  bench_json_end(&j);
  result = 0;
out:
  ccenter_engine_free(e);
  bench_samples_free(&lat);
  free(qs);
  return result;
}

BENCH_SCENARIO(memory, "engine bytes per agent (100,000) and per waiting contact (50,000)", run);
