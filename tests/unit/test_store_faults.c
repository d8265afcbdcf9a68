/*
 * The store under I/O faults: the same workload (workload.h) on a store in FULL mode (and
 * GROUPED for writes and syncs), opened on the fault-injecting VFS (faultvfs.h), once for
 * every call of every method the clean run makes, that call failing. Whatever fails — the open, the schema's creation,
 * an engine's creation, an input's commit, a checkpoint — no input the engines carried
 * out is missing from the journal and no input they refused is in it: a store reopened on
 * a healthy disk recovers engines equal to the live ones (same events from the start,
 * same state through every query). The one exception is an input whose sync failed on a
 * disk that went on failing (see run_fault). A failed input fails with CCENTER_EIO or CCENTER_ENOSPC
 * (a full disk), never anything that would blame the caller or the file. Snapshots of both
 * engines are taken twice in the workload, so that faults land in them too: a snapshot
 * that fails says EIO or ENOSPC and changes nothing.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faultvfs.h"
#include "harness.h"
#include "store/store_int.h"
#include "workload.h"

#define OK(x) ck_assert_int_eq((x), 0)

/* 26 setup steps and 74 random ones: every kind of call, a few proposals, a few timers. */
#define STEPS 100
#define SEED 0x5eedf00dull

static int store_err(int rc)
{
  return rc == CCENTER_EIO || rc == CCENTER_ENOSPC;
}

typedef struct fixture {
  char dir[256];
  char path[300];
} fixture;

static void fx_open(fixture *f)
{
  ck_assert_int_eq(faultvfs_register(), SQLITE_OK);
  ck_assert_int_eq(wl_tmpdir(f->dir, sizeof f->dir), 0);
  snprintf(f->path, sizeof f->path, "%s/s.db", f->dir);
}

static void fx_close(fixture *f)
{
  ck_assert_int_eq(wl_rmdir(f->dir), 0);
}

/* The store's files go, the directory stays for the next run. */
static void remove_store(const fixture *f)
{
  static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
  char p[320];
  for (size_t i = 0; i < sizeof sfx / sizeof *sfx; i++) {
    snprintf(p, sizeof p, "%s%s", f->path, sfx[i]);
    (void)unlink(p);
  }
}

/* GROUPED runs: groups of up to 8 inputs within 2 s of engine time. */
#define MAX_MS 2000
#define MAX_RECORDS 8

static int set_mode(ccenter_store *st, ccenter_durability mode)
{
  return ccenter_store_set_durability(st, mode, MAX_MS, MAX_RECORDS);
}

/* Opens the store on a healthy disk: the shim with no fault armed (vfs FAULTVFS_NAME), or
 * SQLite's own VFS (NULL). */
static ccenter_store *open_healthy(const fixture *f, ccenter_durability mode, const char *vfs)
{
  ccenter_store *st = NULL;
  int rc = cc_store_open_vfs(f->path, vfs, NULL, &st);
  ck_assert_msg(rc == 0, "reopening after the fault: %s", ccenter_err_name(rc));
  OK(set_mode(st, mode));
  return st;
}

/* Recovers the store's engines into r at step k. */
static void recover(ccenter_store *st, wl_world *r, uint64_t k, const char *when)
{
  wl_init(r, SEED);
  int rc = wl_store_engines(r, st, k);
  ck_assert_msg(rc == 0, "%s: recovery: %s", when, ccenter_err_name(rc));
}

/* Plain engines (no store) that carried out steps 0..k-1. */
static void replay_plain(wl_world *w, uint64_t k, const char *when)
{
  wl_init(w, SEED);
  ck_assert_int_eq(wl_create_plain(w), 0);
  while (w->step < k) {
    int rc = wl_step(w);
    ck_assert_msg(!store_err(rc), "%s: plain step %llu: %s", when,
                  (unsigned long long)w->step - 1, ccenter_err_name(rc));
  }
}

/* Snapshots of both engines are taken at these steps, so that faults land in their writes
 * too: a snapshot that fails changes nothing, one that succeeds is where later recoveries
 * start. */
#define SNAP_A 40
#define SNAP_B 70

static void snapshot_both(ccenter_store *st, const char *when, int step)
{
  static const char *const names[] = {"routing", "cases"};
  for (int k = 0; k < 2; k++) {
    int rc = ccenter_store_snapshot(st, names[k]);
    ck_assert_msg(rc == 0 || store_err(rc), "%s: step %d: snapshot of %s: %s", when, step,
                  names[k], ccenter_err_name(rc));
  }
}

/* Engines recovered from a store with snapshots raise only the events after them. */
static const char *diff_recovered(ccenter_store *st, const wl_world *a, const wl_world *b)
{
  sqlite3_stmt *q = NULL;
  ck_assert_int_eq(sqlite3_prepare_v2(cc_store_db(st), "SELECT count(*) FROM snapshots", -1,
                                      &q, NULL),
                   SQLITE_OK);
  ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
  int snapped = sqlite3_column_int64(q, 0) > 0;
  sqlite3_finalize(q);
  return snapped ? wl_diff_tail(a, b) : wl_diff(a, b);
}

/* A flag of run_fault() beside the VFS's own: after a one-off fault, close the store at
 * the first failed input and recover there, as after a persistent one. */
#define REOPEN 0x100

/* What one run found, for the totals the test checks. */
typedef struct outcome {
  int setup_failed;  /* the open or an engine's creation failed */
  int calls_failed;  /* inputs refused with EIO / ENOSPC */
  int sync_kept;     /* a refused input whose sync failed was in the file after all */
} outcome;

/*
 * The workload with call `nth` of `m` failing with `sqlrc` (and every later one with
 * FV_PERSIST). A failure while setting up: the store says EIO or ENOSPC, and the file
 * opens on a healthy disk and the setup completes there. A failed input: EIO, or ENOSPC
 * when the disk is full; once (one fault, one failed input), and later inputs go on. With
 * a persistent fault (or REOPEN) the store is closed at the first failure and reopened on
 * a healthy disk, where the recovered engines must equal the live ones and then go on in
 * step with them. At the end the journal recovers to the live engines.
 *
 * One exception, which no store on SQLite can avoid: when the sync of a commit fails the
 * transaction's frames are already in the WAL file, complete; SQLite reports the error
 * and does not count them, and its next commit writes over them, but if none succeeds
 * before the file is closed (the disk still failing) or the process dies, SQLite's
 * recovery on the next open finds them whole and keeps them. The input refused with
 * CCENTER_EIO is then in the journal: its outcome was unknown, as after any failed
 * fsync. The test accepts exactly that: engines recovered equal either the live ones or
 * engines that carried out the refused input too.
 */
static outcome run_fault(const fixture *f, ccenter_durability mode, fv_method m, uint64_t nth,
                         int sqlrc, int flags)
{
  char when[128];
  snprintf(when, sizeof when, "%s: %s call %llu -> %s%s",
           mode == CCENTER_DURABILITY_FULL ? "FULL" : "GROUPED", faultvfs_method_name(m),
           (unsigned long long)nth, sqlite3_errstr(sqlrc),
           flags & FV_PERSIST ? " from then on" : flags & REOPEN ? ", reopened" : "");
  outcome out = {0, 0, 0};
  faultvfs_reset();
  /* Nothing here stops the machine: real syncs would only make the ~1,000 runs slow on a
   * disk (minutes instead of seconds). They are counted and fail as ever. */
  faultvfs_skip_syncs(1);
  faultvfs_fail(m, nth, sqlrc, flags & ~REOPEN);
  /* cur: the engines the store journals; ref: the same inputs, unjournaled after a
   * reopen (the live engines, or plain ones that also carried out a kept input). */
  static wl_world live, again, kept, last;
  wl_world *cur = &live, *ref = &live;
  wl_init(&live, SEED);
  ccenter_store *st = NULL;
  int rc = cc_store_open_vfs(f->path, FAULTVFS_NAME, NULL, &st);
  if (rc == 0)
    rc = set_mode(st, mode);
  if (rc == 0)
    rc = wl_store_engines(&live, st, 0);
  if (rc) {
    ck_assert_msg(store_err(rc), "%s: setting up: %s", when, ccenter_err_name(rc));
    ck_assert_uint_ge(faultvfs_injected(), 1);
    out.setup_failed = 1;
    (void)ccenter_store_close(st);
    faultvfs_clear();
    wl_free(&live);
    wl_init(&live, SEED);
    st = open_healthy(f, mode, FAULTVFS_NAME);
    rc = wl_store_engines(&live, st, 0);
    ck_assert_msg(rc == 0, "%s: setting up again: %s", when, ccenter_err_name(rc));
  }
  for (int i = 0; i < STEPS; i++) {
    if ((i == SNAP_A || i == SNAP_B) && cur == ref)
      snapshot_both(st, when, i);
    rc = wl_step(cur);
    if (ref != cur) {
      int rc2 = wl_step(ref);
      ck_assert_msg(rc2 == rc, "%s: step %d: %s recovered, %s live", when, i,
                    ccenter_err_name(rc), ccenter_err_name(rc2));
      continue;
    }
    if (!store_err(rc))
      continue;
    out.calls_failed++;
    ck_assert_msg(faultvfs_injected() >= 1, "%s: step %d failed with %s, no fault injected yet",
                  when, i, ccenter_err_name(rc));
    if (sqlrc == SQLITE_FULL && m == FV_WRITE)
      ck_assert_msg(rc == CCENTER_ENOSPC, "%s: step %d: %s", when, i, ccenter_err_name(rc));
    if (!(flags & (FV_PERSIST | REOPEN))) {
      ck_assert_msg(out.calls_failed == 1, "%s: step %d is the second failed input", when, i);
      /* GROUPED: the group that failed is still pending and the store refuses inputs
       * until a flush writes it; the disk is healthy again. */
      if (mode == CCENTER_DURABILITY_GROUPED) {
        rc = ccenter_store_flush(st);
        ck_assert_msg(rc == 0, "%s: step %d: the flush after the fault: %s", when, i,
                      ccenter_err_name(rc));
      }
      continue;
    }
    /* The disk stays bad (or REOPEN): stop here, and recover on a healthy one. */
    (void)ccenter_store_close(st);
    faultvfs_clear();
    st = open_healthy(f, mode, FAULTVFS_NAME);
    recover(st, &again, live.step, when);
    cur = &again;
    const char *d = diff_recovered(st, &live, &again);
    if (d && m == FV_SYNC) {
      replay_plain(&kept, live.step, when);
      const char *d2 = diff_recovered(st, &kept, &again);
      ck_assert_msg(d2 == NULL, "%s: step %d: the recovered engines differ from the live "
                    "ones (%s) and from engines that carried out the refused input (%s)",
                    when, i, d, d2);
      out.sync_kept = 1;
      ref = &kept;
      continue;
    }
    ck_assert_msg(d == NULL, "%s: step %d: the recovered engines differ from the live ones: %s",
                  when, i, d);
    ref = &live;
  }
  /* GROUPED: the fault may fail the last group's flush; the next one writes it. */
  if (mode == CCENTER_DURABILITY_GROUPED && ccenter_store_flush(st) != 0) {
    ck_assert_uint_ge(faultvfs_injected(), 1);
    out.calls_failed += !(flags & FV_PERSIST);
    faultvfs_clear();
    OK(ccenter_store_flush(st));
  }
  faultvfs_clear();
  OK(ccenter_store_close(st));
  st = open_healthy(f, mode, NULL);
  recover(st, &last, ref->step, when);
  const char *d = diff_recovered(st, ref, &last);
  ck_assert_msg(d == NULL, "%s: at the end the recovered engines differ: %s", when, d);
  d = cur == ref ? NULL : diff_recovered(st, ref, cur);
  ck_assert_msg(d == NULL, "%s: the engines recovered at the fault went astray: %s", when, d);
  wl_free(&last);
  OK(ccenter_store_close(st));
  if (cur != &live)
    wl_free(cur);
  if (ref != &live)
    wl_free(ref);
  wl_free(&live);
  remove_store(f);
  return out;
}

/* Calls of each method in a run without a fault. */
static void clean_counts(const fixture *f, ccenter_durability mode, uint64_t counts[FV_COUNT_])
{
  outcome o = run_fault(f, mode, FV_OPEN, UINT64_MAX, SQLITE_CANTOPEN, 0);
  ck_assert_int_eq(o.setup_failed + o.calls_failed, 0);
  ck_assert_uint_eq(faultvfs_injected(), 0);
  for (int m = 0; m < FV_COUNT_; m++)
    counts[m] = faultvfs_count((fv_method)m);
}

/* Every call of m in turn fails with sqlrc (flags as faultvfs_fail()). Returns the
 * totals; `calls` receives how many calls were tried. */
static outcome every_call(ccenter_durability mode, fv_method m, int sqlrc, int flags,
                          uint64_t *calls)
{
  fixture f;
  fx_open(&f);
  uint64_t counts[FV_COUNT_];
  clean_counts(&f, mode, counts);
  outcome sum = {0, 0, 0};
  for (uint64_t k = 1; k <= counts[m]; k++) {
    outcome o = run_fault(&f, mode, m, k, sqlrc, flags);
    sum.setup_failed += o.setup_failed;
    sum.calls_failed += o.calls_failed;
    sum.sync_kept += o.sync_kept;
  }
  fx_close(&f);
  *calls = counts[m];
  return sum;
}

START_TEST(a_clean_run_syncs_every_input)
{
  fixture f;
  fx_open(&f);
  uint64_t counts[FV_COUNT_];
  clean_counts(&f, CCENTER_DURABILITY_FULL, counts);
  /* A FULL commit per input: a sync each, and the WAL written. */
  ck_assert_uint_ge(counts[FV_SYNC], STEPS);
  ck_assert_uint_ge(counts[FV_WRITE], STEPS);
  ck_assert_uint_ge(counts[FV_OPEN], 2); /* the database and its WAL */
  ck_assert_uint_gt(counts[FV_READ], 0);
  for (int m = 0; m < FV_COUNT_; m++)
    fprintf(stderr, "# %s: %llu calls\n", faultvfs_method_name((fv_method)m),
            (unsigned long long)counts[m]);
  fx_close(&f);
}
END_TEST

START_TEST(each_write_failing)
{
  uint64_t n;
  outcome o = every_call(CCENTER_DURABILITY_FULL, FV_WRITE, SQLITE_IOERR_WRITE, 0, &n);
  ck_assert_int_gt(o.setup_failed, 0);
  ck_assert_int_ge(o.calls_failed, STEPS);
}
END_TEST

START_TEST(each_write_filling_the_disk)
{
  uint64_t n;
  outcome o = every_call(CCENTER_DURABILITY_FULL, FV_WRITE, SQLITE_FULL, FV_PARTIAL | FV_PERSIST, &n);
  ck_assert_int_gt(o.setup_failed, 0);
  ck_assert_int_ge(o.calls_failed, STEPS);
}
END_TEST

START_TEST(each_sync_failing)
{
  uint64_t n;
  outcome o = every_call(CCENTER_DURABILITY_FULL, FV_SYNC, SQLITE_IOERR_FSYNC, 0, &n);
  /* Every sync but the schema's, the engines' and the checkpoint's at the close. */
  ck_assert_int_ge(o.calls_failed, STEPS - 5);
  ck_assert_int_eq(o.sync_kept, 0);
}
END_TEST

START_TEST(each_sync_failing_from_then_on)
{
  uint64_t n;
  outcome o = every_call(CCENTER_DURABILITY_FULL, FV_SYNC, SQLITE_IOERR_FSYNC, FV_PERSIST, &n);
  ck_assert_int_ge(o.calls_failed, STEPS - 5);
  fprintf(stderr, "# a failed sync's input kept by SQLite's recovery in %d of %llu runs\n",
          o.sync_kept, (unsigned long long)n);
}
END_TEST

START_TEST(each_open_failing)
{
  uint64_t n;
  outcome o = every_call(CCENTER_DURABILITY_FULL, FV_OPEN, SQLITE_CANTOPEN, 0, &n);
  ck_assert_int_gt(o.setup_failed, 0);
}
END_TEST

START_TEST(each_truncate_failing)
{
  uint64_t n;
  (void)every_call(CCENTER_DURABILITY_FULL, FV_TRUNCATE, SQLITE_IOERR_TRUNCATE, 0, &n);
}
END_TEST

START_TEST(each_read_failing)
{
  uint64_t n;
  outcome o = every_call(CCENTER_DURABILITY_FULL, FV_READ, SQLITE_IOERR_READ, 0, &n);
  ck_assert_int_gt(o.setup_failed + o.calls_failed, 0);
}
END_TEST

START_TEST(each_other_call_failing)
{
  static const struct {
    fv_method m;
    int rc;
  } other[] = {
    {FV_DELETE, SQLITE_IOERR_DELETE},  {FV_ACCESS, SQLITE_IOERR_ACCESS},
    {FV_FILESIZE, SQLITE_IOERR_FSTAT}, {FV_LOCK, SQLITE_IOERR_LOCK},
    {FV_SHMMAP, SQLITE_IOERR_SHMMAP},
  };
  for (size_t i = 0; i < sizeof other / sizeof *other; i++) {
    uint64_t n;
    (void)every_call(CCENTER_DURABILITY_FULL, other[i].m, other[i].rc, 0, &n);
  }
}
END_TEST

/* The store closed right after the failed input and recovered: the engines are already
 * the live ones there, not only once later inputs went through. */
START_TEST(each_write_failing_then_reopened)
{
  uint64_t n;
  outcome o = every_call(CCENTER_DURABILITY_FULL, FV_WRITE, SQLITE_IOERR_WRITE, REOPEN, &n);
  ck_assert_int_ge(o.calls_failed, STEPS);
}
END_TEST

START_TEST(each_sync_failing_then_reopened)
{
  uint64_t n;
  outcome o = every_call(CCENTER_DURABILITY_FULL, FV_SYNC, SQLITE_IOERR_FSYNC, REOPEN, &n);
  ck_assert_int_ge(o.calls_failed, STEPS - 5);
  /* The close's checkpoint succeeds on the healthy disk and drops the WAL. */
  ck_assert_int_eq(o.sync_kept, 0);
}
END_TEST

/* GROUPED: a failed group commit refuses the input that made it and every later one until
 * a flush succeeds; then nothing is lost or doubled. */
START_TEST(each_write_failing_in_grouped_mode)
{
  uint64_t n;
  outcome o = every_call(CCENTER_DURABILITY_GROUPED, FV_WRITE, SQLITE_IOERR_WRITE, 0, &n);
  fprintf(stderr, "# GROUPED: %llu writes, %d failed the setup, %d an input or a flush\n",
          (unsigned long long)n, o.setup_failed, o.calls_failed);
  ck_assert_int_gt(o.setup_failed, 0);
  ck_assert_int_gt(o.calls_failed, 0);
}
END_TEST

START_TEST(each_sync_failing_in_grouped_mode)
{
  uint64_t n;
  outcome o = every_call(CCENTER_DURABILITY_GROUPED, FV_SYNC, SQLITE_IOERR_FSYNC, 0, &n);
  ck_assert_int_gt(o.calls_failed, 0);
  ck_assert_int_eq(o.sync_kept, 0);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("store_faults");
  TCase *tc = tcase_create("faults");
  /* Each test takes up to 10 s under ASan on a loaded machine. */
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, a_clean_run_syncs_every_input);
  tcase_add_test(tc, each_write_failing);
  tcase_add_test(tc, each_write_filling_the_disk);
  tcase_add_test(tc, each_sync_failing);
  tcase_add_test(tc, each_sync_failing_from_then_on);
  tcase_add_test(tc, each_open_failing);
  tcase_add_test(tc, each_truncate_failing);
  tcase_add_test(tc, each_read_failing);
  tcase_add_test(tc, each_other_call_failing);
  tcase_add_test(tc, each_write_failing_then_reopened);
  tcase_add_test(tc, each_sync_failing_then_reopened);
  tcase_add_test(tc, each_write_failing_in_grouped_mode);
  tcase_add_test(tc, each_sync_failing_in_grouped_mode);
  suite_add_tcase(s, tc);
  return s;
}

CC_TEST_MAIN()
