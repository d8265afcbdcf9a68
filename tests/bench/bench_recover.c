/*
 * recover: the time to bring a routing engine back from its store, three ways, one JSON
 * row each (`mode`):
 *
 *   journal    the journal scenario's workload (bench_jdrv.c) runs through a store in
 *              GROUPED mode until N inputs are journaled (1,000,000; 30,000 with --quick),
 *              no snapshot: recovery replays all N.
 *   snapshot   the same N inputs, then a snapshot (ccenter_store_snapshot()): recovery
 *              restores it and replays nothing.
 *   days       DAYS simulated days (30; 3 with --quick) of N inputs each, the workload
 *              going on from day to day, with a snapshot at the start of every day and
 *              retention keeping the 2 newest: recovery restores the latest snapshot and
 *              replays the last day's N inputs. Next to `journal`, it shows that recovery
 *              does not grow with history: 30 days cost what one day of journal does.
 *
 * Each time: the engine is freed and the store closed; then, REPEATS times, open the store
 * (ccenter_store_open()) and recover the engine (ccenter_store_engine_recover()), with
 * events going to a callback that counts them, as an integrator's start-up would. The
 * figure is the whole of it, open plus recovery: recover_s is the median of the repeats
 * (p50_ns / p99_ns: the same repeats in ns), records_per_s = replayed records / recover_s.
 * The files were just written, so they are read from the page cache: the figure is the
 * library's and SQLite's cost, not the disk's. The engines run with their statistics, as
 * an integrator's would (--no-stats turns them off), and the snapshots carry them.
 *
 * Checks: the recovered engine raised exactly the events the original raised after its
 * starting point, and has the same time and next deadline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bench.h"
#include "ccenter/store.h"

#define T0 INT64_C(1772442000000)

static void count_event(ccenter_engine *e, const ccenter_event *ev, void *ud)
{
  (void)e;
  (void)ev;
  ++*(uint64_t *)ud;
}

/* What a recovery must give. */
typedef struct expect {
  uint64_t events;   /* raised after the starting point */
  uint64_t replayed; /* journal records after it */
  int64_t now, next;
  double write_s;
  int64_t snapshot_bytes; /* the latest snapshot's state blob */
} expect;

/* Writes the store: `days` days of `per_day` inputs, with a snapshot at the start of each
 * day when snap_daily, or one at the very end when snap_end. */
static int build(const bench_ctx *ctx, const char *path, int days, uint64_t per_day,
                 int snap_daily, int snap_end, expect *x)
{
  bench_jdrv d;
  ccenter_store *st = NULL;
  ccenter_engine *e = NULL;
  bench_jdrv_init(&d, ctx->seed, T0);
  ccenter_options *o = bench_options(ctx);
  int err = o ? ccenter_options_set_event_callback(o, bench_jdrv_on_event, &d) : CCENTER_ENOMEM;
  err = err ? err : ccenter_store_open(path, NULL, &st);
  err = err ? err : ccenter_store_set_durability(st, CCENTER_DURABILITY_GROUPED, 60000, 10000);
  err = err ? err : ccenter_store_set_retention(st, snap_daily ? 2 : 0, NULL);
  err = err ? err : ccenter_store_engine_new(st, "bench", o, d.now, &e);
  ccenter_options_free(o);
  uint64_t w0 = bench_now_ns(), events_at = 0, inputs_at = 0;
  if (!err && bench_jdrv_setup(&d, e) != 0)
    err = CCENTER_EINVAL;
  for (int day = 0; !err && day < days; day++) {
    if (snap_daily) {
      err = ccenter_store_snapshot(st, "bench");
      events_at = d.events;
      inputs_at = d.inputs;
    }
    if (!err && bench_jdrv_run(&d, d.inputs + per_day) != 0)
      err = CCENTER_EINVAL;
  }
  if (!err && snap_end) {
    err = ccenter_store_snapshot(st, "bench");
    events_at = d.events;
    inputs_at = d.inputs;
  }
  x->write_s = (double)(bench_now_ns() - w0) / 1e9;
  x->events = d.events - events_at;
  x->replayed = d.inputs - inputs_at;
  x->now = e ? ccenter_engine_now(e) : 0;
  x->next = e ? ccenter_engine_next_deadline(e) : 0;
  ccenter_engine_free(e);
  int crc = st ? ccenter_store_close(st) : 0;
  err = err ? err : crc;
  if (err) {
    fprintf(stderr, "recover: writing the store failed: %s\n", ccenter_strerror(err));
    return 1;
  }
  /* Read with SQLite itself: the store is closed, nothing holds the file. */
  x->snapshot_bytes = 0;
  sqlite3 *db = NULL;
  sqlite3_stmt *q = NULL;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(db, "SELECT coalesce(length(state), 0) FROM snapshots ORDER BY seq DESC LIMIT 1",
                         -1, &q, NULL) == SQLITE_OK &&
      sqlite3_step(q) == SQLITE_ROW)
    x->snapshot_bytes = sqlite3_column_int64(q, 0);
  sqlite3_finalize(q);
  sqlite3_close(db);
  return 0;
}

static int measure(const bench_ctx *ctx, const char *path, const char *mode, int days,
                   int repeats, const expect *x)
{
  bench_samples s = {0};
  if (bench_samples_init(&s, (size_t)repeats) != 0)
    return 1;
  ccenter_store_info info = {.size = sizeof info};
  uint64_t flt = 0, events = 0;
  double wall = 0, cpu = 0;
  int err = 0, rc = 1;
  for (int r = 0; r < repeats && !err; r++) {
    ccenter_store *st = NULL;
    ccenter_engine *e = NULL;
    events = 0;
    ccenter_options *o = bench_options(ctx);
    err = o ? ccenter_options_set_event_callback(o, count_event, &events) : CCENTER_ENOMEM;
    uint64_t f0 = bench_minflt();
    uint64_t t0 = bench_now_ns();
    double c0 = bench_cpu_s();
    err = err ? err : ccenter_store_open(path, NULL, &st);
    err = err ? err : ccenter_store_engine_recover(st, "bench", o, &e);
    uint64_t t1 = bench_now_ns();
    cpu += bench_cpu_s() - c0;
    wall += (double)(t1 - t0) / 1e9;
    flt += bench_minflt() - f0;
    ccenter_options_free(o);
    if (!err) {
      bench_samples_add(&s, t0, t1);
      if (events != x->events || ccenter_engine_now(e) != x->now ||
          ccenter_engine_next_deadline(e) != x->next) {
        fprintf(stderr,
                "recover %s: the recovered engine differs: %llu events (%llu), now %lld (%lld), "
                "next deadline %lld (%lld)\n",
                mode, (unsigned long long)events, (unsigned long long)x->events,
                (long long)ccenter_engine_now(e), (long long)x->now,
                (long long)ccenter_engine_next_deadline(e), (long long)x->next);
        err = CCENTER_ECORRUPT;
      }
      ccenter_store_info_get(st, &info);
    }
    ccenter_engine_free(e);
    if (st)
      ccenter_store_close(st);
  }
  if (err) {
    fprintf(stderr, "recover %s: %s\n", mode, ccenter_strerror(err));
    goto out;
  }
  double rec_s = (double)bench_percentile(&s, 50) / 1e9;
  bench_json j;
  bench_json_begin(&j, "recover");
  bench_json_str(&j, "mode", mode);
  bench_json_uint(&j, "days", (uint64_t)days);
  bench_json_uint(&j, "records", x->replayed);
  bench_json_double(&j, "recover_s", rec_s);
  bench_json_double(&j, "ops_per_s", (double)x->replayed / rec_s);
  bench_json_double(&j, "records_per_s", (double)x->replayed / rec_s);
  bench_json_uint(&j, "p50_ns", bench_percentile(&s, 50));
  bench_json_uint(&j, "p99_ns", bench_percentile(&s, 99));
  bench_json_uint(&j, "repeats", (uint64_t)repeats);
  bench_json_double(&j, "cpu_share", cpu / wall);
  bench_json_uint(&j, "events", events);
  bench_json_double(&j, "write_s", x->write_s);
  bench_json_uint(&j, "file_bytes", info.file_bytes);
  bench_json_uint(&j, "snapshots", info.snapshots);
  bench_json_uint(&j, "snapshot_bytes", (uint64_t)x->snapshot_bytes);
  bench_json_uint(&j, "rss_bytes", bench_rss_bytes());
  bench_json_uint(&j, "peak_rss_bytes", bench_peak_rss_bytes());
  bench_json_uint(&j, "minflt_timed", flt);
  bench_json_end(&j);
  rc = 0;
out:
  bench_samples_free(&s);
  return rc;
}

static int run(const bench_ctx *ctx)
{
  const uint64_t n = ctx->quick ? 30000 : 1000000;
  const int days = ctx->quick ? 3 : 30;
  const int repeats = ctx->quick ? 2 : 3;
  static const struct {
    const char *mode;
    int days_, daily, end;
  } modes[] = {{"journal", 0, 0, 0}, {"snapshot", 0, 0, 1}, {"days", 1, 1, 0}};
  char dir[4096], path[4200];
  if (bench_store_dir(dir, sizeof dir) != 0)
    return 1;
  snprintf(path, sizeof path, "%s/store.db", dir);
  int rc = 0;
  for (size_t m = 0; m < sizeof modes / sizeof *modes && !rc; m++) {
    expect x;
    int nd = modes[m].days_ ? days : 1;
    rc = build(ctx, path, nd, n, modes[m].daily, modes[m].end, &x) ||
         measure(ctx, path, modes[m].mode, nd, repeats, &x);
    bench_store_unlink(path);
  }
  rmdir(dir);
  return rc;
}

BENCH_SCENARIO(recover,
               "time to recover a routing engine: 1,000,000 journaled inputs without and with "
               "a snapshot, and 30 days of 1,000,000 with daily snapshots",
               run);
