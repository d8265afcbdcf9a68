/*
 * recover: the time to bring a routing engine back from its journal.
 *
 * The journal scenario's workload (bench_jdrv.c) runs through a store in GROUPED mode
 * until N inputs are journaled (1,000,000; 30,000 with --quick); the engine is freed and
 * the store closed. Then, REPEATS times: open the store (ccenter_store_open()) and recover
 * the engine (ccenter_store_engine_recover()), with events going to a callback that
 * counts them, as an integrator's start-up would. The figure is the whole of it, open
 * plus recovery: recover_s is the median of the repeats (p50_ns / p99_ns: the same
 * repeats in ns), records_per_s = N / recover_s. The first repeat reads a file the
 * system has just written, so all of them read from the page cache: the figure is the
 * library's and SQLite's cost, not the disk's.
 *
 * Checks: the recovered engine raised exactly the events the original did, and has the
 * same time and next deadline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"
#include "ccenter/store.h"

#define T0 INT64_C(1772442000000)

static void count_event(ccenter_engine *e, const ccenter_event *ev, void *ud)
{
  (void)e;
  (void)ev;
  ++*(uint64_t *)ud;
}

static int run(const bench_ctx *ctx)
{
  const uint64_t n_inputs = ctx->quick ? 30000 : 1000000;
  const int repeats = ctx->quick ? 2 : 3;
  char dir[4096], path[4200];
  int rc = 1, err;
  bench_samples s = {0};
  ccenter_store *st = NULL;
  ccenter_engine *e = NULL;
  ccenter_options *o = NULL;
  if (bench_store_dir(dir, sizeof dir) != 0)
    return 1;
  snprintf(path, sizeof path, "%s/store.db", dir);

  /* The journal: groups of 10,000, the set-up's cost only. */
  bench_jdrv d;
  bench_jdrv_init(&d, ctx->seed, T0);
  o = bench_options(ctx);
  err = o ? ccenter_options_set_event_callback(o, bench_jdrv_on_event, &d) : CCENTER_ENOMEM;
  err = err ? err : ccenter_store_open(path, NULL, &st);
  err = err ? err : ccenter_store_set_durability(st, CCENTER_DURABILITY_GROUPED, 60000, 10000);
  err = err ? err : ccenter_store_engine_new(st, "bench", o, d.now, &e);
  ccenter_options_free(o);
  o = NULL;
  if (err) {
    fprintf(stderr, "recover: set-up failed: %s\n", ccenter_strerror(err));
    goto out;
  }
  uint64_t w0 = bench_now_ns();
  if (bench_jdrv_setup(&d, e) != 0 || bench_jdrv_run(&d, n_inputs) != 0)
    goto out;
  double write_s = (double)(bench_now_ns() - w0) / 1e9;
  int64_t now = ccenter_engine_now(e), next = ccenter_engine_next_deadline(e);
  ccenter_engine_free(e);
  e = NULL;
  err = ccenter_store_close(st);
  st = NULL;
  if (err) {
    fprintf(stderr, "recover: close failed: %s\n", ccenter_strerror(err));
    goto out;
  }
  ccenter_store_info info = {.size = sizeof info};

  if (bench_samples_init(&s, (size_t)repeats) != 0)
    goto out;
  uint64_t flt = 0, recovered_events = 0;
  double wall = 0, cpu = 0;
  for (int r = 0; r < repeats; r++) {
    recovered_events = 0;
    o = bench_options(ctx);
    err = o ? ccenter_options_set_event_callback(o, count_event, &recovered_events)
            : CCENTER_ENOMEM;
    if (err)
      goto fail;
    uint64_t f0 = bench_minflt();
    uint64_t t0 = bench_now_ns();
    double c0 = bench_cpu_s();
    err = ccenter_store_open(path, NULL, &st);
    err = err ? err : ccenter_store_engine_recover(st, "bench", o, &e);
    uint64_t t1 = bench_now_ns();
    cpu += bench_cpu_s() - c0;
    wall += (double)(t1 - t0) / 1e9;
    flt += bench_minflt() - f0;
    ccenter_options_free(o);
    o = NULL;
    if (err)
      goto fail;
    bench_samples_add(&s, t0, t1);
    if (recovered_events != d.events || ccenter_engine_now(e) != now ||
        ccenter_engine_next_deadline(e) != next) {
      fprintf(stderr,
              "recover: the recovered engine differs: %llu events (%llu), now %lld (%lld), "
              "next deadline %lld (%lld)\n",
              (unsigned long long)recovered_events, (unsigned long long)d.events,
              (long long)ccenter_engine_now(e), (long long)now,
              (long long)ccenter_engine_next_deadline(e), (long long)next);
      goto out;
    }
    ccenter_store_info_get(st, &info);
    ccenter_engine_free(e);
    e = NULL;
    ccenter_store_close(st);
    st = NULL;
  }

  double rec_s = (double)bench_percentile(&s, 50) / 1e9;
  bench_json j;
  bench_json_begin(&j, "recover");
  bench_json_uint(&j, "records", d.inputs);
  bench_json_double(&j, "recover_s", rec_s);
  bench_json_double(&j, "ops_per_s", (double)d.inputs / rec_s);
  bench_json_double(&j, "records_per_s", (double)d.inputs / rec_s);
  bench_json_uint(&j, "p50_ns", bench_percentile(&s, 50));
  bench_json_uint(&j, "p99_ns", bench_percentile(&s, 99));
  bench_json_uint(&j, "repeats", (uint64_t)repeats);
  bench_json_double(&j, "cpu_share", cpu / wall);
  bench_json_uint(&j, "events", recovered_events);
  bench_json_double(&j, "write_s", write_s);
  bench_json_uint(&j, "file_bytes", info.file_bytes);
  bench_json_uint(&j, "rss_bytes", bench_rss_bytes());
  bench_json_uint(&j, "peak_rss_bytes", bench_peak_rss_bytes());
  bench_json_uint(&j, "minflt_timed", flt);
  bench_json_end(&j);
  rc = 0;
  goto out;
fail:
  fprintf(stderr, "recover: %s\n", ccenter_strerror(err));
out:
  ccenter_options_free(o);
  ccenter_engine_free(e);
  if (st)
    ccenter_store_close(st);
  bench_samples_free(&s);
  bench_store_unlink(path);
  rmdir(dir);
  return rc;
}

BENCH_SCENARIO(recover, "time to recover a routing engine from 1,000,000 journaled inputs", run);
