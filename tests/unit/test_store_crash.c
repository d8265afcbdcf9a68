/*
 * The store killed: a child process drives the workload (workload.h) against a store and
 * reports each input the store acknowledged (the call returned) through a pipe; the parent
 * SIGKILLs it at a random point — while it opens or recovers the store, between inputs,
 * in the middle of a commit — then opens the store itself and checks:
 * - the file opens (never CCENTER_ECORRUPT) and ccenter_store_verify() passes;
 * - the journal holds, in order and without gaps, exactly the inputs a fresh pair of
 *   engines receives when fed the same workload (the parent's reference world), column by
 *   column: every acknowledged input, and in FULL and WRITTEN mode (a kill is a crash of
 *   the process, which loses nothing written) at most the one input in flight beyond them; in GROUPED mode only acknowledged routing inputs of the last window may
 *   be missing (at most max_records of them, none older than max_ms before the last
 *   acknowledged one, none at or before an acknowledged case input, which is always
 *   synced);
 * - the engines recovered from the store equal the reference engines: the same events
 *   from the start (from their snapshot, when the child took one: the child snapshots an
 *   engine now and then, so kills land in snapshots too and recoveries start from them),
 *   the same state through every query, and the audit table holds the reference chain.
 * The next child recovers the store and goes on from there, so each file sees several
 * crashes and recoveries; a child also closes and reopens the store now and then, so that
 * kills land in a close and a recovery too. The random choices come from one seed (CC_CRASH_SEED, printed
 * with every failure); where the kill lands within the child's work is up to the
 * scheduler, which is the point.
 */
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "store/store_int.h"
#include "workload.h"

/* 25 series of 8 kills in FULL mode (200 kills), 10 of 8 in GROUPED and in WRITTEN mode. */
#define FULL_SERIES 25
#define GROUPED_SERIES 10
#define WRITTEN_SERIES 10
#define KILLS 8
#define MAX_MS 2000
#define MAX_RECORDS 8

static uint64_t seed;
static char where[160]; /* printed with every failure */
/* Where the kills landed, printed for the log. */
static struct {
  size_t early;    /* before the first acknowledged input */
  size_t inflight; /* the journal held the input in flight beyond the acknowledged ones */
  size_t lost;     /* GROUPED: acknowledged inputs were lost (within the window) */
  size_t snapshots; /* the recovery started from a snapshot */
} landed;


#define CHECK(cond, ...) \
  do { \
    if (!(cond)) \
      ck_abort_msg(__VA_ARGS__); \
  } while (0)

static uint64_t rnd(uint64_t *x)
{
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* ---- what the reference engines hand their write-ahead hooks ---------------------- */

typedef struct crec {
  int cases;
  int op;
  int64_t now;
  char *s[4];
  int64_t i[3];
} crec;

typedef struct capture {
  crec *v;
  size_t n, cap;
} capture;

static crec *cap_add(capture *c, int cases, int op, int64_t now)
{
  if (c->n == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 1024;
    c->v = realloc(c->v, c->cap * sizeof *c->v);
    ck_assert_ptr_nonnull(c->v);
  }
  crec *r = &c->v[c->n++];
  memset(r, 0, sizeof *r);
  r->cases = cases;
  r->op = op;
  r->now = now;
  return r;
}

static char *dup_or_null(const char *s)
{
  if (!s)
    return NULL;
  char *d = strdup(s);
  ck_assert_ptr_nonnull(d);
  return d;
}

static int cap_routing(void *ud, const cc_jrec *r)
{
  crec *c = cap_add(ud, 0, (int)r->op, r->now);
  for (int k = 0; k < 3; k++) {
    c->s[k] = dup_or_null(r->s[k]);
    c->i[k] = r->i[k];
  }
  return 0;
}

static int cap_cases(void *ud, const cc_case_jrec *r)
{
  crec *c = cap_add(ud, 1, (int)r->op, r->now);
  for (int k = 0; k < 4; k++)
    c->s[k] = dup_or_null(r->s[k]);
  c->i[0] = r->i;
  return 0;
}

static void cap_free(capture *c)
{
  for (size_t i = 0; i < c->n; i++)
    for (int k = 0; k < 4; k++)
      free(c->v[i].s[k]);
  free(c->v);
  memset(c, 0, sizeof *c);
}

static void on_audit(void *ud, const ccenter_audit_record *r)
{
  (void)wl_lines_add(ud, r->line);
}

/* The reference: plain engines fed the workload, their inputs captured. */
typedef struct reference {
  wl_world w;
  capture cap;
  wl_lines audit;
} reference;

static void ref_init(reference *r)
{
  memset(r, 0, sizeof *r);
  wl_init(&r->w, seed);
  ck_assert_int_eq(wl_create_plain(&r->w), 0);
  cc_engine_set_wal(r->w.e, cap_routing, &r->cap);
  cc_cases_set_wal(r->w.ce, cap_cases, &r->cap);
  ck_assert_int_eq(ccenter_cases_set_audit_sink(r->w.ce, on_audit, &r->audit), 0);
}

static void ref_free(reference *r)
{
  wl_free(&r->w);
  cap_free(&r->cap);
  wl_lines_free(&r->audit);
}

/* ---- the child ------------------------------------------------------------------------ */

/* One acknowledged input: its step, when, which engine, and the journal records the store
 * had accepted after it (committed + pending). */
typedef struct ack {
  uint64_t step;
  int64_t now;
  uint64_t records;
  int32_t cases;
  int32_t rc;
} ack;

static int write_full(int fd, const void *p, size_t n)
{
  const char *c = p;
  while (n) {
    ssize_t k = write(fd, c, n);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0)
      return -1;
    c += k;
    n -= (size_t)k;
  }
  return 0;
}

/* Exit codes of a child that stopped by itself (the parent fails with them). */
enum {
  CHILD_OPEN = 10,
  CHILD_MODE,
  CHILD_ENGINES,
  CHILD_STEP,
  CHILD_PIPE,
  CHILD_INFO,
  CHILD_CLOSE,
  CHILD_SNAPSHOT,
  CHILD_SYNC
};

/* Opens the store and recovers (or creates) the engines into w at step `start`. */
static ccenter_store *child_open(const char *path, wl_world *w, uint64_t start,
                                 ccenter_durability mode)
{
  ccenter_store *st = NULL;
  if (ccenter_store_open(path, NULL, &st))
    _exit(CHILD_OPEN);
  if (ccenter_store_set_durability(st, mode, MAX_MS, MAX_RECORDS))
    _exit(CHILD_MODE);
  wl_init(w, seed);
  if (wl_store_engines(w, st, start))
    _exit(CHILD_ENGINES);
  return st;
}

static void child(const char *path, int fd, uint64_t start, ccenter_durability mode)
{
  static wl_world w;
  ccenter_store *st = child_open(path, &w, start, mode);
  uint64_t x = seed ^ start;
  /* Runs until killed; the bound only stops a child its parent forgot. */
  for (uint64_t i = 0; i < 1000000; i++) {
    int rc = wl_step(&w);
    if (rc == CCENTER_EIO || rc == CCENTER_ENOSPC || rc == CCENTER_ENOMEM)
      _exit(CHILD_STEP);
    ccenter_store_info info = {.size = sizeof info};
    if (ccenter_store_info_get(st, &info))
      _exit(CHILD_INFO);
    ack a = {w.step - 1, w.now, info.records + info.pending, w.last_cases, rc};
    if (write_full(fd, &a, sizeof a))
      _exit(CHILD_PIPE);
    /* Now and then a snapshot of one engine, so that kills land in one too and later
     * recoveries start from them. */
    if (rnd(&x) % 30 == 0) {
      rc = ccenter_store_snapshot(st, rnd(&x) & 1 ? "routing" : "cases");
      if (rc)
        _exit(CHILD_SNAPSHOT);
    }
    /* In WRITTEN mode the integrator syncs now and then: kills land in one too. */
    if (mode == CCENTER_DURABILITY_WRITTEN && rnd(&x) % 10 == 0 && ccenter_store_sync(st))
      _exit(CHILD_SYNC);
    /* Now and then a clean restart, so that kills also land in the close (its flush and
     * checkpoint, the WAL's removal), the reopening and the recovery. */
    if (rnd(&x) % 40 == 0) {
      if (ccenter_store_close(st))
        _exit(CHILD_CLOSE);
      uint64_t at = w.step;
      wl_free(&w);
      st = child_open(path, &w, at, mode);
    }
  }
  _exit(0);
}

/* ---- the parent ---------------------------------------------------------------------- */

static void sleep_us(uint64_t us)
{
  struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
  while (nanosleep(&ts, &ts) && errno == EINTR) {
  }
}

/* Reads one ack; 0 at the end of the pipe. */
static int read_ack(int fd, ack *a)
{
  char *p = (char *)a;
  size_t got = 0;
  while (got < sizeof *a) {
    ssize_t k = read(fd, p + got, sizeof *a - got);
    if (k < 0 && errno == EINTR)
      continue;
    CHECK(k >= 0, "%s: reading the pipe: %s", where, strerror(errno));
    if (k == 0) {
      CHECK(got == 0, "%s: a torn ack", where);
      return 0;
    }
    got += (size_t)k;
  }
  return 1;
}

typedef struct acks {
  ack *v;
  size_t n, cap;
} acks;

static void acks_push(acks *l, const ack *a)
{
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 256;
    l->v = realloc(l->v, l->cap * sizeof *l->v);
    ck_assert_ptr_nonnull(l->v);
  }
  l->v[l->n++] = *a;
}

/* Runs one child from step `start`, kills it after `target` acks and `delay_us`, and
 * collects every ack it wrote. */
static void run_child(const char *path, uint64_t start, ccenter_durability mode,
                      size_t target, uint64_t delay_us, acks *got)
{
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  fflush(NULL);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    child(path, fds[1], start, mode);
  }
  close(fds[1]);
  got->n = 0;
  ack a;
  int open = 1;
  while (got->n < target && (open = read_ack(fds[0], &a)))
    acks_push(got, &a);
  sleep_us(delay_us);
  kill(pid, SIGKILL);
  while (open && read_ack(fds[0], &a))
    acks_push(got, &a);
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    CHECK(errno == EINTR, "%s: waitpid: %s", where, strerror(errno));
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
        "%s: the child stopped by itself (exit %d, signal %d)", where,
        WIFEXITED(status) ? WEXITSTATUS(status) : -1,
        WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static int same_text(sqlite3_stmt *s, int col, const char *want)
{
  if (sqlite3_column_type(s, col) == SQLITE_NULL)
    return want == NULL;
  const char *t = (const char *)sqlite3_column_text(s, col);
  return want && t && strcmp(t, want) == 0;
}

/* The journal, row by row, against the reference's captured inputs. */
static size_t check_journal(sqlite3 *db, const capture *cap)
{
  sqlite3_stmt *s = NULL;
  ck_assert_int_eq(
      sqlite3_prepare_v2(db,
                         "SELECT j.seq, e.kind, j.op, j.now, j.s0, j.s1, j.s2, j.s3, j.i0,"
                         " j.i1, j.i2 FROM journal j JOIN engines e ON e.id = j.engine"
                         " ORDER BY j.seq",
                         -1, &s, NULL),
      SQLITE_OK);
  size_t n = 0;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    CHECK(n < cap->n, "%s: the journal holds more than %zu inputs", where, cap->n);
    const crec *r = &cap->v[n];
    CHECK(sqlite3_column_int64(s, 0) == (int64_t)n + 1, "%s: journal row %zu has seq %lld",
          where, n, (long long)sqlite3_column_int64(s, 0));
    const char *kind = (const char *)sqlite3_column_text(s, 1);
    int ok = kind && !strcmp(kind, r->cases ? "cases" : "routing") &&
             sqlite3_column_int(s, 2) == r->op && sqlite3_column_int64(s, 3) == r->now &&
             sqlite3_column_int64(s, 8) == r->i[0];
    for (int k = 0; k < 4; k++)
      ok = ok && same_text(s, 4 + k, r->s[k]);
    if (!r->cases)
      ok = ok && sqlite3_column_int64(s, 9) == r->i[1] && sqlite3_column_int64(s, 10) == r->i[2];
    CHECK(ok, "%s: journal row %zu (%s op %d now %lld) is not the input made (%s op %d now %lld)",
          where, n, kind ? kind : "?", sqlite3_column_int(s, 2),
          (long long)sqlite3_column_int64(s, 3), r->cases ? "cases" : "routing", r->op,
          (long long)r->now);
    n++;
  }
  ck_assert_int_eq(rc, SQLITE_DONE);
  sqlite3_finalize(s);
  return n;
}

static void check_audit(sqlite3 *db, const wl_lines *want)
{
  sqlite3_stmt *s = NULL;
  ck_assert_int_eq(sqlite3_prepare_v2(db,
                                      "SELECT a.seq, a.line FROM audit a JOIN engines e ON"
                                      " e.id = a.engine WHERE e.name = 'cases' ORDER BY a.seq",
                                      -1, &s, NULL),
                   SQLITE_OK);
  size_t n = 0;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    CHECK(n < want->n, "%s: the audit table holds more than %zu records", where, want->n);
    CHECK(sqlite3_column_int64(s, 0) == (int64_t)n + 1 &&
              !strcmp((const char *)sqlite3_column_text(s, 1), want->v[n]),
          "%s: audit record %zu differs", where, n + 1);
    n++;
  }
  ck_assert_int_eq(rc, SQLITE_DONE);
  sqlite3_finalize(s);
  CHECK(n == want->n, "%s: the audit table holds %zu of %zu records", where, n, want->n);
}

/*
 * After a kill: the reference catches up with the journal and everything is compared.
 * Returns the step the next child starts at.
 */
static uint64_t check_after_kill(const char *path, reference *ref, uint64_t start,
                                 const acks *got, ccenter_durability mode)
{
  ccenter_store *st = NULL;
  int rc = ccenter_store_open(path, NULL, &st);
  CHECK(rc == 0, "%s: the killed store does not open: %s", where, ccenter_err_name(rc));
  char msg[512] = "";
  rc = ccenter_store_verify(st, WL_KEY, WL_KEY_LEN, msg, sizeof msg);
  CHECK(rc == 0, "%s: verify: %s", where, msg);
  sqlite3 *db = cc_store_db(st);
  /* How many inputs the journal holds. */
  sqlite3_stmt *s = NULL;
  ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM journal", -1, &s, NULL),
                   SQLITE_OK);
  ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
  size_t n = (size_t)sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  /* Feed the reference until it has made as many. The steps acknowledged since `start`
   * are checked on the way: the store counted as many records as the reference made. */
  wl_world *w = &ref->w;
  CHECK(w->step == start, "%s: reference at %llu, child started at %llu", where,
        (unsigned long long)w->step, (unsigned long long)start);
  uint64_t acked_end = got->n ? got->v[got->n - 1].step + 1 : start;
  size_t had = ref->cap.n; /* the records the child recovered */
  while (ref->cap.n < n) {
    CHECK(w->step <= acked_end, "%s: the journal holds %zu inputs, more than the %zu made "
          "by the %llu steps acknowledged and the one in flight", where, n, ref->cap.n,
          (unsigned long long)acked_end);
    (void)wl_step(w);
    if (w->step - 1 < acked_end) {
      const ack *a = &got->v[w->step - 1 - start];
      CHECK(a->step == w->step - 1 && a->records == ref->cap.n,
            "%s: step %llu: the store counted %llu records, the reference made %zu", where,
            (unsigned long long)a->step, (unsigned long long)a->records, ref->cap.n);
    }
  }
  CHECK(check_journal(db, &ref->cap) == n, "%s: journal rows and count differ", where);
  landed.early += got->n == 0;
  landed.inflight += got->n && n > got->v[got->n - 1].records;
  landed.lost += got->n && n < got->v[got->n - 1].records;
  /* What is lost: acknowledged records beyond the journal. The window is the store's:
   * measured from the `now` of the last input it saw (a call its engine refused before
   * the hook, an argument error, never reaches it). */
  if (got->n) {
    const ack *last = &got->v[got->n - 1];
    if (mode != CCENTER_DURABILITY_GROUPED)
      CHECK(last->records <= n, "%s: %llu inputs acknowledged, %zu in the journal",
            where, (unsigned long long)last->records, n);
    CHECK(last->records <= n + MAX_RECORDS, "%s: %llu records lost", where,
          (unsigned long long)(last->records - n));
    int64_t seen = INT64_MIN; /* the now of the last acknowledged input the store saw */
    for (size_t i = 0, prev = had; i < got->n; prev = got->v[i].records, i++)
      if (got->v[i].records > prev)
        seen = got->v[i].now;
    for (size_t i = 0; i < got->n; i++) {
      const ack *a = &got->v[i];
      if (a->records <= n)
        continue;
      CHECK(!a->cases, "%s: the acknowledged case input of step %llu is lost", where,
            (unsigned long long)a->step);
      CHECK(a->now > seen - MAX_MS,
            "%s: the input of step %llu (now %lld) is lost, older than the window before the "
            "last acknowledged input (%lld)", where, (unsigned long long)a->step,
            (long long)a->now, (long long)seen);
    }
  }
  /* The recovered engines equal the reference. */
  static wl_world r;
  wl_init(&r, seed);
  rc = wl_store_engines(&r, st, w->step);
  CHECK(rc == 0, "%s: recovery: %s", where, ccenter_err_name(rc));
  /* From a snapshot, the recovered engines raise only the later events again. */
  sqlite3_stmt *q = NULL;
  ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM snapshots", -1, &q, NULL),
                   SQLITE_OK);
  ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
  int snapped = sqlite3_column_int64(q, 0) > 0;
  sqlite3_finalize(q);
  landed.snapshots += snapped;
  const char *d = snapped ? wl_diff_tail(w, &r) : wl_diff(w, &r);
  CHECK(d == NULL, "%s: the recovered engines differ from the reference: %s", where, d);
  check_audit(db, &ref->audit);
  wl_free(&r);
  ck_assert_int_eq(ccenter_store_close(st), 0);
  return w->step;
}

static void series(int index, ccenter_durability mode, uint64_t *x, size_t *steps_acked)
{
  char dir[256], path[300];
  ck_assert_int_eq(wl_tmpdir(dir, sizeof dir), 0);
  snprintf(path, sizeof path, "%s/crash.db", dir);
  static reference ref;
  ref_init(&ref);
  acks got = {NULL, 0, 0};
  uint64_t start = 0;
  for (int k = 0; k < KILLS; k++) {
    /* A quarter of the kills land early: in the open, the recovery, the first commits. */
    size_t target = rnd(x) % 4 == 0 ? (size_t)(rnd(x) % 3) : (size_t)(rnd(x) % 60);
    uint64_t delay = target ? rnd(x) % 300 : rnd(x) % 4000;
    snprintf(where, sizeof where, "CC_CRASH_SEED=%llu %s series %d kill %d (after %zu acks + %llu us)",
             (unsigned long long)seed,
             mode == CCENTER_DURABILITY_FULL      ? "FULL"
             : mode == CCENTER_DURABILITY_WRITTEN ? "WRITTEN"
                                                  : "GROUPED",
             index, k, target, (unsigned long long)delay);
    run_child(path, start, mode, target, delay, &got);
    *steps_acked += got.n;
    start = check_after_kill(path, &ref, start, &got, mode);
  }
  free(got.v);
  ref_free(&ref);
  ck_assert_int_eq(wl_rmdir(dir), 0);
}

static void setup_seed(void)
{
  const char *s = getenv("CC_CRASH_SEED");
  seed = s && *s ? strtoull(s, NULL, 0) : 20260302;
}

/* n series in one mode, the kills' choices from the seed mixed with salt; the inputs
 * acknowledged, which must not all have come before the kills. */
static size_t kill_series(ccenter_durability mode, int n, uint64_t salt)
{
  setup_seed();
  uint64_t x = seed ^ salt;
  size_t acked = 0;
  for (int i = 0; i < n; i++)
    series(i, mode, &x, &acked);
  ck_assert_uint_gt(acked, (size_t)n * KILLS * 5);
  return acked;
}

START_TEST(killed_in_full_mode)
{
  size_t acked = kill_series(CCENTER_DURABILITY_FULL, FULL_SERIES, 0);
  fprintf(stderr, "# %d kills, %zu inputs acknowledged, %zu kills before the first, %zu with "
          "the input in flight in the journal, %zu recoveries from a snapshot\n",
          FULL_SERIES * KILLS, acked, landed.early, landed.inflight, landed.snapshots);
}
END_TEST

START_TEST(killed_in_grouped_mode)
{
  size_t acked = kill_series(CCENTER_DURABILITY_GROUPED, GROUPED_SERIES, 0xabcdef);
  fprintf(stderr, "# %d kills, %zu inputs acknowledged, %zu kills lost some of the last "
          "window, %zu recoveries from a snapshot\n", GROUPED_SERIES * KILLS, acked,
          landed.lost, landed.snapshots);
}
END_TEST

/* A kill is a crash of the process: WRITTEN loses nothing acknowledged, like FULL. */
START_TEST(killed_in_written_mode)
{
  size_t acked = kill_series(CCENTER_DURABILITY_WRITTEN, WRITTEN_SERIES, 0x5eed);
  fprintf(stderr, "# %d kills, %zu inputs acknowledged, %zu kills before the first, %zu with "
          "the input in flight in the journal\n", WRITTEN_SERIES * KILLS, acked, landed.early,
          landed.inflight);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("store_crash");
  TCase *tc = tcase_create("crash");
  /* Up to 30 s each under ASan on a 2-core machine at load 8. */
  tcase_set_timeout(tc, 240);
  tcase_add_test(tc, killed_in_full_mode);
  tcase_add_test(tc, killed_in_grouped_mode);
  tcase_add_test(tc, killed_in_written_mode);
  suite_add_tcase(s, tc);
  return s;
}

CC_TEST_MAIN()
