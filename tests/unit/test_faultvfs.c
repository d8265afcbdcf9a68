/*
 * The fault-injecting VFS on its own, with plain SQLite: it passes everything through and
 * writes ordinary files, counts calls, and a fault armed at any call of a transaction
 * fails that transaction with the chosen code and leaves the database as it was.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faultvfs.h"
#include "harness.h"

static char dir[256], db[300];

static void setup(void)
{
  const char *t = getenv("TMPDIR");
  snprintf(dir, sizeof dir, "%s/ccfaultvfs-XXXXXX", t && *t ? t : "/tmp");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(db, sizeof db, "%s/t.db", dir);
  ck_assert_int_eq(faultvfs_register(), SQLITE_OK);
  faultvfs_reset();
}

static void teardown(void)
{
  static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
  char p[320];
  for (size_t i = 0; i < sizeof sfx / sizeof *sfx; i++) {
    snprintf(p, sizeof p, "%s%s", db, sfx[i]);
    (void)unlink(p);
  }
  ck_assert_int_eq(rmdir(dir), 0);
}

static sqlite3 *open_db(const char *vfs)
{
  sqlite3 *h = NULL;
  int rc = sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs);
  ck_assert_msg(rc == SQLITE_OK, "open: %s", sqlite3_errstr(rc));
  sqlite3_extended_result_codes(h, 1);
  return h;
}

static int exec(sqlite3 *h, const char *sql)
{
  return sqlite3_exec(h, sql, NULL, NULL, NULL);
}

static int64_t count_rows(sqlite3 *h)
{
  sqlite3_stmt *st = NULL;
  ck_assert_int_eq(sqlite3_prepare_v2(h, "SELECT count(*), coalesce(sum(x),0) FROM t", -1,
                                      &st, NULL), SQLITE_OK);
  ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
  int64_t n = sqlite3_column_int64(st, 0);
  int64_t sum = sqlite3_column_int64(st, 1);
  ck_assert_int_eq(sum, n * (n + 1) / 2); /* rows 1..n, nothing torn or doubled */
  sqlite3_finalize(st);
  return n;
}

/* A WAL database with rows 1..n and a long text per row, so a transaction spans pages. */
static sqlite3 *make_db(const char *vfs, int n)
{
  sqlite3 *h = open_db(vfs);
  ck_assert_int_eq(exec(h, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                           "CREATE TABLE t(x INTEGER PRIMARY KEY, pad TEXT)"), SQLITE_OK);
  for (int i = 1; i <= n; i++) {
    char sql[128];
    snprintf(sql, sizeof sql, "INSERT INTO t VALUES(%d, printf('%%.3000c', 'p'))", i);
    ck_assert_int_eq(exec(h, sql), SQLITE_OK);
  }
  return h;
}

static int insert_next(sqlite3 *h, int64_t x)
{
  char sql[160];
  snprintf(sql, sizeof sql,
           "BEGIN; INSERT INTO t VALUES(%lld, printf('%%.5000c', 'q')); COMMIT",
           (long long)x);
  int rc = exec(h, sql);
  if (rc != SQLITE_OK)
    (void)exec(h, "ROLLBACK");
  return rc;
}

START_TEST(passes_through_and_counts)
{
  sqlite3 *h = make_db(FAULTVFS_NAME, 20);
  ck_assert_uint_gt(faultvfs_count(FV_OPEN), 1); /* the database, its WAL */
  ck_assert_uint_gt(faultvfs_count(FV_WRITE), 20);
  ck_assert_uint_ge(faultvfs_count(FV_SYNC), 20); /* synchronous=FULL: each commit */
  ck_assert_uint_gt(faultvfs_count(FV_READ), 0);
  ck_assert_uint_gt(faultvfs_count(FV_SHMMAP), 0);
  ck_assert_uint_eq(faultvfs_injected(), 0);
  uint64_t w = faultvfs_count(FV_WRITE);
  ck_assert_int_eq(insert_next(h, 21), SQLITE_OK);
  ck_assert_uint_gt(faultvfs_count(FV_WRITE), w);
  ck_assert_int_eq(sqlite3_close(h), SQLITE_OK);
  /* An ordinary file: the default VFS reads it. */
  uint64_t opens = faultvfs_count(FV_OPEN);
  h = open_db(NULL);
  ck_assert_int_eq(count_rows(h), 21);
  ck_assert_int_eq(sqlite3_close(h), SQLITE_OK);
  ck_assert_uint_eq(faultvfs_count(FV_OPEN), opens);
  ck_assert_str_eq(faultvfs_method_name(FV_SYNC), "xSync");
  /* Syncs skipped are still counted, and can still fail. */
  h = open_db(FAULTVFS_NAME);
  faultvfs_skip_syncs(1);
  uint64_t s = faultvfs_count(FV_SYNC);
  ck_assert_int_eq(insert_next(h, 22), SQLITE_OK);
  ck_assert_uint_gt(faultvfs_count(FV_SYNC), s);
  faultvfs_fail(FV_SYNC, faultvfs_count(FV_SYNC) + 1, SQLITE_IOERR_FSYNC, 0);
  ck_assert_int_eq(insert_next(h, 23), SQLITE_IOERR_FSYNC);
  ck_assert_int_eq(sqlite3_close(h), SQLITE_OK);
  faultvfs_reset();
  ck_assert_uint_eq(faultvfs_count(FV_WRITE), 0);
}
END_TEST

/* For every call of `m` that one committed transaction makes, a transaction failed at
 * that call returns `want` and leaves the rows as they were, in this connection and in a
 * new one; the next transaction succeeds. */
static void fail_each_call(fv_method m, int rc, int flags, int want)
{
  sqlite3 *h = make_db(FAULTVFS_NAME, 5);
  uint64_t before = faultvfs_count(m);
  ck_assert_int_eq(insert_next(h, 6), SQLITE_OK);
  uint64_t calls = faultvfs_count(m) - before;
  ck_assert_msg(calls > 0, "%s: a commit makes no call", faultvfs_method_name(m));
  int64_t rows = 6;
  for (uint64_t k = 1; k <= calls; k++) {
    faultvfs_fail(m, faultvfs_count(m) + k, rc, flags);
    uint64_t inj = faultvfs_injected();
    int got = insert_next(h, rows + 1);
    faultvfs_clear();
    ck_assert_uint_eq(faultvfs_injected(), inj + 1);
    ck_assert_msg(got == want, "%s call %llu of %llu: %s, not %s", faultvfs_method_name(m),
                  (unsigned long long)k, (unsigned long long)calls, sqlite3_errstr(got),
                  sqlite3_errstr(want));
    ck_assert_int_eq(count_rows(h), rows);
    ck_assert_int_eq(insert_next(h, rows + 1), SQLITE_OK);
    rows++;
  }
  ck_assert_int_eq(sqlite3_close(h), SQLITE_OK);
  h = open_db(NULL);
  ck_assert_int_eq(count_rows(h), rows);
  ck_assert_int_eq(sqlite3_close(h), SQLITE_OK);
}

START_TEST(a_failed_write_fails_the_transaction)
{
  fail_each_call(FV_WRITE, SQLITE_IOERR_WRITE, 0, SQLITE_IOERR_WRITE);
}
END_TEST

START_TEST(a_full_disk_gives_sqlite_full_even_after_a_torn_write)
{
  fail_each_call(FV_WRITE, SQLITE_FULL, FV_PARTIAL, SQLITE_FULL);
}
END_TEST

START_TEST(a_failed_sync_fails_the_commit)
{
  fail_each_call(FV_SYNC, SQLITE_IOERR_FSYNC, 0, SQLITE_IOERR_FSYNC);
}
END_TEST

START_TEST(a_failed_open_fails_the_open)
{
  faultvfs_fail(FV_OPEN, 1, SQLITE_CANTOPEN, 0);
  sqlite3 *h = NULL;
  int rc = sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                           FAULTVFS_NAME);
  ck_assert_int_eq(rc, SQLITE_CANTOPEN);
  ck_assert_uint_eq(faultvfs_injected(), 1);
  sqlite3_close(h);
  ck_assert_int_eq(access(db, F_OK), -1); /* nothing created */
  faultvfs_clear();
  /* The WAL is the second file opened: failing it fails the first statement. */
  h = make_db(FAULTVFS_NAME, 3);
  ck_assert_int_eq(sqlite3_close(h), SQLITE_OK);
  faultvfs_fail(FV_OPEN, faultvfs_count(FV_OPEN) + 2, SQLITE_CANTOPEN, 0);
  h = open_db(FAULTVFS_NAME);
  ck_assert_int_ne(insert_next(h, 4), SQLITE_OK);
  faultvfs_clear();
  ck_assert_int_eq(insert_next(h, 4), SQLITE_OK);
  ck_assert_int_eq(count_rows(h), 4);
  ck_assert_int_eq(sqlite3_close(h), SQLITE_OK);
}
END_TEST

START_TEST(a_failed_truncate_fails_the_checkpoint_only)
{
  sqlite3 *h = make_db(FAULTVFS_NAME, 8);
  uint64_t t = faultvfs_count(FV_TRUNCATE);
  ck_assert_int_eq(exec(h, "PRAGMA wal_checkpoint(TRUNCATE)"), SQLITE_OK);
  ck_assert_uint_gt(faultvfs_count(FV_TRUNCATE), t);
  ck_assert_int_eq(insert_next(h, 9), SQLITE_OK);
  faultvfs_fail(FV_TRUNCATE, faultvfs_count(FV_TRUNCATE) + 1, SQLITE_IOERR_TRUNCATE, 0);
  int rc = sqlite3_wal_checkpoint_v2(h, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
  ck_assert_int_eq(rc, SQLITE_IOERR_TRUNCATE);
  ck_assert_uint_eq(faultvfs_injected(), 1);
  faultvfs_clear();
  ck_assert_int_eq(count_rows(h), 9);
  ck_assert_int_eq(insert_next(h, 10), SQLITE_OK);
  ck_assert_int_eq(sqlite3_close(h), SQLITE_OK);
  h = open_db(NULL);
  ck_assert_int_eq(count_rows(h), 10);
  ck_assert_int_eq(sqlite3_close(h), SQLITE_OK);
}
END_TEST

START_TEST(a_persistent_fault_fails_every_later_call)
{
  sqlite3 *h = make_db(FAULTVFS_NAME, 4);
  faultvfs_fail(FV_WRITE, faultvfs_count(FV_WRITE) + 1, SQLITE_FULL, FV_PERSIST);
  for (int i = 0; i < 5; i++)
    ck_assert_int_eq(insert_next(h, 5), SQLITE_FULL);
  ck_assert_uint_ge(faultvfs_injected(), 5);
  ck_assert_int_eq(count_rows(h), 4);
  faultvfs_clear();
  ck_assert_int_eq(insert_next(h, 5), SQLITE_OK);
  ck_assert_int_eq(count_rows(h), 5);
  /* A fault on another method leaves writes alone. */
  faultvfs_fail(FV_TRUNCATE, 1, SQLITE_IOERR_TRUNCATE, FV_PERSIST);
  ck_assert_int_eq(insert_next(h, 6), SQLITE_OK);
  faultvfs_clear();
  ck_assert_int_eq(sqlite3_close(h), SQLITE_OK);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("faultvfs");
  TCase *tc = tcase_create("faultvfs");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, passes_through_and_counts);
  tcase_add_test(tc, a_failed_write_fails_the_transaction);
  tcase_add_test(tc, a_full_disk_gives_sqlite_full_even_after_a_torn_write);
  tcase_add_test(tc, a_failed_sync_fails_the_commit);
  tcase_add_test(tc, a_failed_open_fails_the_open);
  tcase_add_test(tc, a_failed_truncate_fails_the_checkpoint_only);
  tcase_add_test(tc, a_persistent_fault_fails_every_later_call);
  suite_add_tcase(s, tc);
  return s;
}

CC_TEST_MAIN()
