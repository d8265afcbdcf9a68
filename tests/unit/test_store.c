/* The durable store (ccenter/store.h): every public function and its documented errors,
   the schema and its checks (a foreign file, a newer schema, a second process), durability
   (FULL, GROUPED windows by count and by time, a process that dies with a group pending,
   WRITTEN killed losing nothing, ccenter_store_sync() on another thread,
   a failed group refusing later inputs until a flush), the extra-blob codec and its strict
   decoder, verification of a damaged file, and recovery equal to an uninterrupted run: the
   same workload run straight and with close / recover / continue at random points gives the
   same events and the same query results, for both engines. */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "faultvfs.h"
#include "harness.h"
#include "store/store_int.h"

#define OK(x) ck_assert_int_eq((x), 0)

/* ---- temporary files ------------------------------------------------------------------ */

static char tmpdir[256];

static void tmp_setup(void)
{
  snprintf(tmpdir, sizeof tmpdir, "%s/ccstore-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void tmp_teardown(void)
{
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  ck_assert_int_eq(system(cmd), 0);
}

static const char *tpath(const char *name)
{
  static char buf[4][320];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
  return buf[k];
}

/* Runs SQL on a file with SQLite directly (the store closed). */
static void raw_exec(const char *path, const char *sql)
{
  sqlite3 *db;
  ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
  char *err = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
  ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, err ? err : "?");
  sqlite3_close(db);
}

static int64_t q_int(ccenter_store *st, const char *sql)
{
  sqlite3_stmt *s;
  ck_assert_int_eq(sqlite3_prepare_v2(cc_store_db(st), sql, -1, &s, NULL), SQLITE_OK);
  ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
  int64_t v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return v;
}

static ccenter_store_info info_of(ccenter_store *st)
{
  ccenter_store_info in;
  memset(&in, 0, sizeof in);
  in.size = sizeof in;
  OK(ccenter_store_info_get(st, &in));
  return in;
}

/* ---- opening ---------------------------------------------------------------------------- */

START_TEST(open_creates_the_schema_and_reopens)
{
  ccenter_store *st;
  const char *p = tpath("a.db");
  OK(ccenter_store_open(p, NULL, &st));
  ccenter_store_info in = info_of(st);
  ck_assert_int_eq(in.schema, CCENTER_STORE_SCHEMA);
  ck_assert_int_eq(in.durability, CCENTER_DURABILITY_GROUPED);
  ck_assert_uint_eq(in.records, 0);
  ck_assert_uint_eq(in.pending, 0);
  ck_assert_int_eq(in.failed, 0);
  ck_assert_uint_gt(in.file_bytes, 0);
  ck_assert_int_eq(q_int(st, "PRAGMA user_version"), CCENTER_STORE_SCHEMA);
  ck_assert_int_eq(q_int(st, "SELECT count(*) FROM sqlite_master WHERE type='table'"), 5);
  ck_assert_int_eq(q_int(st, "SELECT count(*) FROM meta WHERE key='library' AND value='" CCENTER_VERSION_STRING "'"), 1);
  sqlite3_stmt *s;
  ck_assert_int_eq(sqlite3_prepare_v2(cc_store_db(st), "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
  ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
  ck_assert_str_eq((const char *)sqlite3_column_text(s, 0), "wal");
  sqlite3_finalize(s);
  ccenter_engine *e;
  OK(ccenter_store_engine_new(st, "r1", NULL, 0, &e));
  OK(ccenter_queue_add(e, "q", NULL, 5));
  OK(ccenter_store_close(st));
  OK(ccenter_queue_add(e, "q2", NULL, 6)); /* still usable, no longer journaled */
  ccenter_engine_free(e);
  OK(ccenter_store_open(p, NULL, &st));
  ck_assert_uint_eq(info_of(st).records, 1);
  ck_assert_uint_eq(info_of(st).commits, 0);
  OK(ccenter_store_engine_recover(st, "r1", NULL, &e));
  ccenter_queue_info qi = {.size = sizeof qi};
  OK(ccenter_queue_info_get(e, "q", 5, &qi));
  ck_assert_int_eq(ccenter_queue_info_get(e, "q2", 6, &qi), CCENTER_ENOENT);
  ck_assert_int_eq(ccenter_engine_now(e), 5);
  OK(ccenter_store_close(st));
  ccenter_engine_free(e);
  ck_assert_int_eq(ccenter_store_close(NULL), 0);
}
END_TEST

START_TEST(open_errors)
{
  ccenter_store *st = (ccenter_store *)1;
  ck_assert_int_eq(ccenter_store_open(NULL, NULL, &st), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_store_open("", NULL, &st), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_store_open(tpath("x.db"), NULL, NULL), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_store_open(tpath("no/such/dir.db"), NULL, &st), CCENTER_EIO);
  ck_assert_ptr_null(st);
  ck_assert_int_eq(cc_store_open_vfs(tpath("x.db"), "no-such-vfs", NULL, &st), CCENTER_EIO);
  /* another holder */
  ccenter_store *a;
  OK(ccenter_store_open(tpath("held.db"), NULL, &a));
  ck_assert_int_eq(ccenter_store_open(tpath("held.db"), NULL, &st), CCENTER_EBUSY);
  OK(ccenter_store_close(a));
  OK(ccenter_store_open(tpath("held.db"), NULL, &a));
  OK(ccenter_store_close(a));
  /* not a database */
  FILE *f = fopen(tpath("text.db"), "w");
  ck_assert_ptr_nonnull(f);
  for (int i = 0; i < 200; i++)
    fputs("this is not an SQLite file, only text\n", f);
  fclose(f);
  ck_assert_int_eq(ccenter_store_open(tpath("text.db"), NULL, &st), CCENTER_ECORRUPT);
  /* a foreign database */
  raw_exec(tpath("foreign.db"), "CREATE TABLE t(x); INSERT INTO t VALUES(1);");
  ck_assert_int_eq(ccenter_store_open(tpath("foreign.db"), NULL, &st), CCENTER_ECORRUPT);
  /* ours, with a table gone */
  OK(ccenter_store_open(tpath("lost.db"), NULL, &a));
  OK(ccenter_store_close(a));
  raw_exec(tpath("lost.db"), "DROP TABLE audit;");
  ck_assert_int_eq(ccenter_store_open(tpath("lost.db"), NULL, &st), CCENTER_ECORRUPT);
  /* ours, with a column missing: the statements do not prepare */
  OK(ccenter_store_open(tpath("col.db"), NULL, &a));
  OK(ccenter_store_close(a));
  raw_exec(tpath("col.db"), "DROP TABLE journal; CREATE TABLE journal(seq INTEGER PRIMARY KEY);");
  ck_assert_int_eq(ccenter_store_open(tpath("col.db"), NULL, &st), CCENTER_ECORRUPT);
  /* written by a newer library */
  OK(ccenter_store_open(tpath("newer.db"), NULL, &a));
  OK(ccenter_store_close(a));
  char newer[64];
  snprintf(newer, sizeof newer, "PRAGMA user_version=%d;", CCENTER_STORE_SCHEMA + 1);
  raw_exec(tpath("newer.db"), newer);
  ck_assert_int_eq(ccenter_store_open(tpath("newer.db"), NULL, &st), CCENTER_ENEWER);
  ck_assert_ptr_null(st);
  /* an empty file is a new store */
  f = fopen(tpath("empty.db"), "w");
  fclose(f);
  OK(ccenter_store_open(tpath("empty.db"), NULL, &a));
  ck_assert_int_eq(info_of(a).schema, CCENTER_STORE_SCHEMA);
  OK(ccenter_store_close(a));
}
END_TEST

/* A file of schema 1 (0.2's first store, before snapshots) is migrated forward on open, its
 * records kept, and its engines recover as before. */
START_TEST(schema_1_is_migrated)
{
  const char *p = tpath("v1.db");
  raw_exec(p, cc_store_schema_v1);
  raw_exec(p,
           "INSERT INTO meta VALUES('library', '0.2.0');"
           "INSERT INTO engines VALUES(1, 'r', 'routing', 7);"
           "INSERT INTO journal(seq, engine, op, now, s0, i0, i1, i2) VALUES(1, 1, 3, 8, 'q', 0, 0, 0);"
           "PRAGMA user_version=1;");
  ccenter_store *st;
  OK(ccenter_store_open(p, NULL, &st));
  ck_assert_int_eq(info_of(st).schema, CCENTER_STORE_SCHEMA);
  ck_assert_int_eq(q_int(st, "PRAGMA user_version"), CCENTER_STORE_SCHEMA);
  ck_assert_int_eq(q_int(st, "SELECT count(*) FROM snapshots"), 0);
  ck_assert_int_eq(q_int(st, "SELECT pruned_through FROM engines WHERE id=1"), 0);
  ccenter_engine *e;
  OK(ccenter_store_engine_recover(st, "r", NULL, &e));
  ccenter_queue_info qi = {.size = sizeof qi};
  OK(ccenter_queue_info_get(e, "q", 8, &qi));
  OK(ccenter_queue_add(e, "q2", NULL, 9));
  OK(ccenter_store_flush(st));
  ck_assert_int_eq(q_int(st, "SELECT max(seq) FROM journal"), 2);
  char msg[128];
  OK(ccenter_store_verify(st, NULL, 0, msg, sizeof msg));
  OK(ccenter_store_close(st));
  ccenter_engine_free(e);
}
END_TEST

START_TEST(argument_errors)
{
  ccenter_store *st;
  OK(ccenter_store_open(tpath("args.db"), NULL, &st));
  ck_assert_int_eq(ccenter_store_set_durability(NULL, CCENTER_DURABILITY_FULL, 0, 0), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_store_set_durability(st, (ccenter_durability)4, 0, 0), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_store_sync(NULL), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_store_set_durability(st, (ccenter_durability)-1, 0, 0), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_store_set_durability(st, CCENTER_DURABILITY_GROUPED, 0, 10), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_store_set_durability(st, CCENTER_DURABILITY_GROUPED, 60001, 10), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_store_set_durability(st, CCENTER_DURABILITY_GROUPED, 10, 0), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_store_set_durability(st, CCENTER_DURABILITY_GROUPED, 10, 1000001), CCENTER_ERANGE);
  OK(ccenter_store_set_durability(st, CCENTER_DURABILITY_GROUPED, 60000, 1000000));
  OK(ccenter_store_set_durability(st, CCENTER_DURABILITY_GROUPED, 1, 1));
  OK(ccenter_store_set_durability(st, CCENTER_DURABILITY_FULL, 0, 0)); /* ignored */
  ck_assert_int_eq(info_of(st).durability, CCENTER_DURABILITY_FULL);
  OK(ccenter_store_set_durability(st, CCENTER_DURABILITY_MEMORY, -5, 0));
  ck_assert_int_eq(ccenter_store_flush(NULL), CCENTER_EINVAL);
  OK(ccenter_store_flush(st));
  ck_assert_int_eq(ccenter_store_flush_deadline(NULL), CCENTER_NO_DEADLINE);
  ck_assert_int_eq(ccenter_store_flush_deadline(st), CCENTER_NO_DEADLINE);
  ccenter_store_info in = {.size = 4};
  ck_assert_int_eq(ccenter_store_info_get(st, &in), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_store_info_get(NULL, &in), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_store_info_get(st, NULL), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_store_verify(NULL, NULL, 0, NULL, 0), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_store_verify(st, NULL, 3, NULL, 0), CCENTER_EINVAL);
  OK(ccenter_store_verify(st, NULL, 0, NULL, 0));
  /* engine names and the rest */
  ccenter_engine *e = NULL;
  ccenter_cases *ce = NULL;
  static const char *const bad[] = {"", "a b", "caf\xc3\xa9", "x/y",
                                    "12345678901234567890123456789012345678901234567890123456789012345"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    ck_assert_int_eq(ccenter_store_engine_new(st, bad[i], NULL, 0, &e), CCENTER_EINVAL);
    ck_assert_int_eq(ccenter_store_cases_new(st, bad[i], NULL, 0, NULL, 0, &ce), CCENTER_EINVAL);
    ck_assert_int_eq(ccenter_store_engine_recover(st, bad[i], NULL, &e), CCENTER_EINVAL);
  }
  ck_assert_int_eq(ccenter_store_engine_new(NULL, "a", NULL, 0, &e), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_store_engine_new(st, NULL, NULL, 0, &e), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_store_engine_new(st, "a", NULL, 0, NULL), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_store_cases_new(st, "a", NULL, 0, NULL, 4, &ce), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_store_cases_recover(NULL, "a", NULL, NULL, 0, &ce), CCENTER_EINVAL);
  /* the engines' own errors, and nothing written for them */
  ck_assert_int_eq(ccenter_store_engine_new(st, "a", NULL, CCENTER_TIME_MAX + 1, &e), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_store_cases_new(st, "a", NULL, 0, "k", 2000, &ce), CCENTER_EINVAL);
  ck_assert_int_eq(q_int(st, "SELECT count(*) FROM engines"), 0);
  OK(ccenter_store_engine_new(st, "A-1.b:c_d", NULL, 0, &e));
  OK(ccenter_store_cases_new(st, "cases", NULL, 0, "key", 3, &ce));
  ck_assert_int_eq(ccenter_store_engine_new(st, "A-1.b:c_d", NULL, 0, &e), CCENTER_EEXIST);
  ck_assert_int_eq(ccenter_store_cases_new(st, "A-1.b:c_d", NULL, 0, NULL, 0, &ce), CCENTER_EEXIST);
  ck_assert_int_eq(ccenter_store_engine_new(st, "cases", NULL, 0, &e), CCENTER_EEXIST);
  ck_assert_int_eq(ccenter_store_engine_recover(st, "nothing", NULL, &e), CCENTER_ENOENT);
  ck_assert_int_eq(ccenter_store_engine_recover(st, "cases", NULL, &e), CCENTER_ENOENT);
  ck_assert_int_eq(ccenter_store_cases_recover(st, "A-1.b:c_d", NULL, NULL, 0, &ce), CCENTER_ENOENT);
  /* still attached: a second engine journaling under the same name would interleave */
  ck_assert_int_eq(ccenter_store_engine_recover(st, "A-1.b:c_d", NULL, &e), CCENTER_EBUSY);
  ck_assert_int_eq(ccenter_store_cases_recover(st, "cases", NULL, "key", 3, &ce), CCENTER_EBUSY);
  ccenter_engine_free(e);
  ccenter_cases_free(ce);
  OK(ccenter_store_engine_recover(st, "A-1.b:c_d", NULL, &e));
  OK(ccenter_store_cases_recover(st, "cases", NULL, "key", 3, &ce));
  OK(ccenter_store_close(st));
  ccenter_engine_free(e);
  ccenter_cases_free(ce);
}
END_TEST

/* ---- durability ------------------------------------------------------------------------- */

START_TEST(full_mode_commits_and_syncs_each_input)
{
  ccenter_store *st;
  ccenter_engine *e;
  OK(ccenter_store_open(tpath("full.db"), NULL, &st));
  OK(ccenter_store_set_durability(st, CCENTER_DURABILITY_FULL, 0, 0));
  OK(ccenter_store_engine_new(st, "r", NULL, 0, &e));
  ccenter_store_info a = info_of(st);
  for (int i = 0; i < 20; i++) {
    char id[8];
    snprintf(id, sizeof id, "a%d", i);
    OK(ccenter_agent_add(e, id, NULL, i));
    ccenter_store_info b = info_of(st);
    ck_assert_uint_eq(b.records, (uint64_t)i + 1);
    ck_assert_uint_eq(b.pending, 0);
    ck_assert_uint_eq(b.commits, a.commits + (uint64_t)i + 1);
    ck_assert_uint_eq(b.syncs, a.syncs + (uint64_t)i + 1);
    ck_assert_int_eq(ccenter_store_flush_deadline(st), CCENTER_NO_DEADLINE);
  }
  /* a refused call is written too (it fails again on replay), one the argument check
   * refuses is not */
  ck_assert_int_eq(ccenter_agent_login(e, "nobody", 30), CCENTER_ENOENT);
  ck_assert_uint_eq(info_of(st).records, 21);
  ck_assert_int_eq(ccenter_agent_login(e, "", 30), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_agent_login(e, "a1", 29), CCENTER_ETIME);
  ck_assert_uint_eq(info_of(st).records, 21);
  /* MEMORY commits without syncing */
  OK(ccenter_store_set_durability(st, CCENTER_DURABILITY_MEMORY, 0, 0));
  uint64_t syncs = info_of(st).syncs;
  OK(ccenter_agent_login(e, "a1", 31));
  ck_assert_uint_eq(info_of(st).records, 22);
  ck_assert_uint_eq(info_of(st).syncs, syncs);
  OK(ccenter_store_close(st));
  ccenter_engine_free(e);
}
END_TEST

START_TEST(grouped_windows_by_count_and_by_time)
{
  ccenter_store *st;
  ccenter_engine *e;
  OK(ccenter_store_open(tpath("grp.db"), NULL, &st));
  OK(ccenter_store_set_durability(st, CCENTER_DURABILITY_GROUPED, 1000, 5));
  OK(ccenter_store_engine_new(st, "r", NULL, 0, &e));
  uint64_t c0 = info_of(st).commits;
  char id[8];
  for (int i = 0; i < 4; i++) {
    snprintf(id, sizeof id, "a%d", i);
    OK(ccenter_agent_add(e, id, NULL, 100 + i));
  }
  ccenter_store_info in = info_of(st);
  ck_assert_uint_eq(in.pending, 4);
  ck_assert_uint_eq(in.records, 0);
  ck_assert_int_eq(ccenter_store_flush_deadline(st), 1100);
  OK(ccenter_agent_add(e, "a4", NULL, 104)); /* the fifth: the group is full */
  in = info_of(st);
  ck_assert_uint_eq(in.pending, 0);
  ck_assert_uint_eq(in.records, 5);
  ck_assert_uint_eq(in.commits, c0 + 1);
  ck_assert_int_eq(ccenter_store_flush_deadline(st), CCENTER_NO_DEADLINE);
  /* by time: the first pending input is max_ms old at a later call's now */
  OK(ccenter_agent_login(e, "a0", 2000));
  OK(ccenter_agent_login(e, "a1", 2999));
  ck_assert_uint_eq(info_of(st).pending, 2);
  ck_assert_int_eq(ccenter_store_flush_deadline(st), 3000);
  OK(ccenter_agent_login(e, "a2", 3000));
  ck_assert_uint_eq(info_of(st).pending, 0);
  ck_assert_uint_eq(info_of(st).records, 8);
  /* flush */
  OK(ccenter_agent_login(e, "a3", 3001));
  ck_assert_uint_eq(info_of(st).pending, 1);
  OK(ccenter_store_flush(st));
  ck_assert_uint_eq(info_of(st).pending, 0);
  ck_assert_uint_eq(info_of(st).records, 9);
  /* changing mode flushes */
  OK(ccenter_agent_login(e, "a4", 3002));
  OK(ccenter_store_set_durability(st, CCENTER_DURABILITY_FULL, 0, 0));
  ck_assert_uint_eq(info_of(st).records, 10);
  /* a case input commits at once, and everything pending before it */
  OK(ccenter_store_set_durability(st, CCENTER_DURABILITY_GROUPED, 60000, 1000));
  ccenter_cases *ce;
  OK(ccenter_store_cases_new(st, "c", NULL, 0, NULL, 0, &ce));
  OK(ccenter_agent_ready(e, "a0", 3003));
  ck_assert_uint_eq(info_of(st).pending, 1);
  OK(ccenter_cases_set_actor(ce, "alice", "agent", 10));
  ck_assert_uint_eq(info_of(st).pending, 0);
  ck_assert_uint_eq(info_of(st).records, 12);
  ck_assert_int_eq(q_int(st, "SELECT count(*) FROM audit"), 1);
  /* pending inputs of an engine freed before close are still written */
  OK(ccenter_agent_ready(e, "a1", 3004));
  ccenter_engine_free(e);
  OK(ccenter_store_close(st));
  ccenter_cases_free(ce);
  OK(ccenter_store_open(tpath("grp.db"), NULL, &st));
  ck_assert_uint_eq(info_of(st).records, 13);
  OK(ccenter_store_close(st));
}
END_TEST

/* WRITTEN: each input committed before its call returns, through synchronous=NORMAL (no
 * sync of its own); a process killed after its calls returned has lost none of them. */
START_TEST(written_mode_commits_each_input_unsynced)
{
  const char *p = tpath("written.db");
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    ccenter_store *st;
    ccenter_engine *e;
    ccenter_cases *ce;
    ccenter_store_info in = {.size = sizeof in};
    if (ccenter_store_open(p, NULL, &st) ||
        ccenter_store_set_durability(st, CCENTER_DURABILITY_WRITTEN, 0, 0) ||
        ccenter_store_engine_new(st, "r", NULL, 0, &e) ||
        ccenter_store_cases_new(st, "c", NULL, 0, NULL, 0, &ce) ||
        ccenter_store_info_get(st, &in))
      _exit(2);
    uint64_t commits = in.commits, syncs = in.syncs;
    for (int i = 0; i < 37; i++) {
      char id[8];
      snprintf(id, sizeof id, "a%d", i);
      if (ccenter_agent_add(e, id, NULL, i) || ccenter_store_info_get(st, &in) ||
          in.pending || in.records != (uint64_t)i + 1 || in.commits != commits + (uint64_t)i + 1 ||
          in.syncs != syncs || ccenter_store_flush_deadline(st) != CCENTER_NO_DEADLINE)
        _exit(3);
    }
    /* a case input is written like the others, not synced */
    if (ccenter_cases_set_actor(ce, "alice", "agent", 40) || ccenter_store_info_get(st, &in) ||
        in.records != 38 || in.syncs != syncs ||
        q_int(st, "PRAGMA synchronous") != 1 /* NORMAL */)
      _exit(4);
    raise(SIGKILL); /* no close, no flush, no sync */
    _exit(5);
  }
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child exit %d",
                WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  ccenter_store *st;
  ccenter_engine *e;
  OK(ccenter_store_open(p, NULL, &st));
  ck_assert_uint_eq(info_of(st).records, 38);
  ck_assert_int_eq(q_int(st, "SELECT count(*) FROM audit"), 1);
  OK(ccenter_store_verify(st, NULL, 0, NULL, 0));
  OK(ccenter_store_engine_recover(st, "r", NULL, &e));
  ccenter_agent_info ai = {.size = sizeof ai};
  OK(ccenter_agent_info_get(e, "a36", 40, &ai));
  /* changing to another mode brings back its synchronous setting */
  OK(ccenter_store_set_durability(st, CCENTER_DURABILITY_WRITTEN, 0, 0));
  ck_assert_int_eq(q_int(st, "PRAGMA synchronous"), 1);
  OK(ccenter_store_set_durability(st, CCENTER_DURABILITY_FULL, 0, 0));
  ck_assert_int_eq(q_int(st, "PRAGMA synchronous"), 2);
  OK(ccenter_store_close(st));
  ccenter_engine_free(e);
}
END_TEST

/* ccenter_store_sync() on a thread of its own while this one journals in WRITTEN mode:
 * it shares nothing with the store's thread but the names fixed at open (run under TSan,
 * it must report nothing). Enough inputs that SQLite checkpoints and rewinds its WAL
 * meanwhile. */
typedef struct syncer {
  ccenter_store *st;
  atomic_int stop;
  atomic_uint done, failed;
} syncer;

static void *sync_loop(void *arg)
{
  syncer *y = arg;
  while (!atomic_load(&y->stop)) {
    if (ccenter_store_sync(y->st))
      atomic_fetch_add(&y->failed, 1);
    atomic_fetch_add(&y->done, 1);
  }
  return NULL;
}

START_TEST(sync_on_another_thread_while_journaling)
{
  ccenter_store *st;
  ccenter_engine *e;
  OK(ccenter_store_open(tpath("sync.db"), NULL, &st));
  OK(ccenter_store_sync(st)); /* nothing written yet: no WAL, nothing to do */
  OK(ccenter_store_set_durability(st, CCENTER_DURABILITY_WRITTEN, 0, 0));
  OK(ccenter_store_engine_new(st, "r", NULL, 0, &e));
  syncer y = {.st = st};
  atomic_init(&y.stop, 0);
  atomic_init(&y.done, 0);
  atomic_init(&y.failed, 0);
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, sync_loop, &y), 0);
  const int n = 3000;
  for (int i = 0; i < n; i++) {
    char id[16];
    snprintf(id, sizeof id, "a%d", i);
    OK(ccenter_agent_add(e, id, NULL, i));
    /* every input has a sync that began after it */
    if (i % 500 == 0 || i == n - 1) {
      unsigned d = atomic_load(&y.done);
      while (atomic_load(&y.done) < d + 2)
        sched_yield();
    }
  }
  atomic_store(&y.stop, 1);
  ck_assert_int_eq(pthread_join(t, NULL), 0);
  ck_assert_uint_eq(atomic_load(&y.failed), 0);
  ck_assert_uint_ge(atomic_load(&y.done), 14);
  ccenter_store_info in = info_of(st);
  ck_assert_uint_eq(in.records, (uint64_t)n);
  ck_assert_uint_eq(in.syncs, 0);
  OK(ccenter_store_close(st));
  ccenter_engine_free(e);
  OK(ccenter_store_open(tpath("sync.db"), NULL, &st));
  OK(ccenter_store_verify(st, NULL, 0, NULL, 0));
  OK(ccenter_store_engine_recover(st, "r", NULL, &e));
  ccenter_agent_info ai = {.size = sizeof ai};
  OK(ccenter_agent_info_get(e, "a2999", n, &ai));
  OK(ccenter_store_close(st));
  ccenter_engine_free(e);
}
END_TEST

/* A process that dies with a group pending loses that group, and only that group. */
START_TEST(a_dead_process_loses_only_the_pending_group)
{
  const char *p = tpath("dead.db");
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    ccenter_store *st;
    ccenter_engine *e;
    if (ccenter_store_open(p, NULL, &st) ||
        ccenter_store_set_durability(st, CCENTER_DURABILITY_GROUPED, 60000, 10) ||
        ccenter_store_engine_new(st, "r", NULL, 0, &e))
      _exit(2);
    for (int i = 0; i < 37; i++) {
      char id[8];
      snprintf(id, sizeof id, "a%d", i);
      if (ccenter_agent_add(e, id, NULL, i))
        _exit(3);
    }
    _exit(0); /* no close, no flush: 7 inputs pending */
  }
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ccenter_store *st;
  ccenter_engine *e;
  OK(ccenter_store_open(p, NULL, &st));
  ck_assert_uint_eq(info_of(st).records, 30);
  OK(ccenter_store_verify(st, NULL, 0, NULL, 0));
  OK(ccenter_store_engine_recover(st, "r", NULL, &e));
  ccenter_agent_info ai = {.size = sizeof ai};
  OK(ccenter_agent_info_get(e, "a29", 29, &ai));
  ck_assert_int_eq(ccenter_agent_info_get(e, "a30", 29, &ai), CCENTER_ENOENT);
  /* the journal goes on from seq 31 */
  OK(ccenter_agent_add(e, "b", NULL, 100));
  OK(ccenter_store_close(st));
  ccenter_engine_free(e);
  OK(ccenter_store_open(p, NULL, &st));
  ck_assert_int_eq(q_int(st, "SELECT max(seq) FROM journal"), 31);
  OK(ccenter_store_verify(st, NULL, 0, NULL, 0));
  OK(ccenter_store_close(st));
}
END_TEST

/* A group whose commit fails leaves the engine ahead of the file: every later input is
 * refused (and changes nothing) until a flush succeeds; then the file has everything. */
START_TEST(a_failed_group_refuses_later_inputs_until_a_flush)
{
  ck_assert_int_eq(faultvfs_register(), SQLITE_OK);
  ccenter_store *st;
  ccenter_engine *e;
  ccenter_cases *ce;
  OK(cc_store_open_vfs(tpath("fail.db"), FAULTVFS_NAME, NULL, &st));
  OK(ccenter_store_set_durability(st, CCENTER_DURABILITY_GROUPED, 60000, 4));
  OK(ccenter_store_engine_new(st, "r", NULL, 0, &e));
  OK(ccenter_store_cases_new(st, "c", NULL, 0, NULL, 0, &ce));
  OK(ccenter_agent_add(e, "a0", NULL, 1));
  OK(ccenter_agent_add(e, "a1", NULL, 2));
  OK(ccenter_agent_add(e, "a2", NULL, 3));
  faultvfs_reset();
  faultvfs_fail(FV_WRITE, 1, SQLITE_FULL, FV_PERSIST);
  /* the fourth input fills the group; its commit fails: this input is refused */
  ck_assert_int_eq(ccenter_agent_add(e, "a3", NULL, 4), CCENTER_ENOSPC);
  ccenter_agent_info ai = {.size = sizeof ai};
  ck_assert_int_eq(ccenter_agent_info_get(e, "a3", 4, &ai), CCENTER_ENOENT);
  ccenter_store_info in = info_of(st);
  ck_assert_int_eq(in.failed, 1);
  ck_assert_int_eq(in.last_error, CCENTER_ENOSPC);
  ck_assert_uint_eq(in.pending, 3);
  ck_assert_uint_eq(in.records, 0);
  /* everything later is refused, changing nothing, the case engine's inputs too */
  ck_assert_int_eq(ccenter_agent_add(e, "a4", NULL, 5), CCENTER_EIO);
  ck_assert_int_eq(ccenter_agent_info_get(e, "a4", 5, &ai), CCENTER_ENOENT);
  ck_assert_int_eq(ccenter_engine_now(e), 3);
  ck_assert_int_eq(ccenter_cases_set_actor(ce, "x", "r", 5), CCENTER_EIO);
  ck_assert_int_eq(ccenter_store_engine_new(st, "r2", NULL, 0, &e), CCENTER_EIO);
  ck_assert_int_eq(ccenter_store_flush(st), CCENTER_ENOSPC);
  ck_assert_int_eq(ccenter_store_set_durability(st, CCENTER_DURABILITY_FULL, 0, 0), CCENTER_ENOSPC);
  ck_assert_int_eq(info_of(st).failed, 1);
  /* the disk has room again */
  faultvfs_clear();
  OK(ccenter_store_flush(st));
  in = info_of(st);
  ck_assert_int_eq(in.failed, 0);
  ck_assert_uint_eq(in.records, 3);
  OK(ccenter_agent_add(e, "a3", NULL, 6));
  OK(ccenter_cases_set_actor(ce, "x", "r", 6));
  /* FULL: a failed commit refuses its input and nothing else */
  OK(ccenter_store_set_durability(st, CCENTER_DURABILITY_FULL, 0, 0));
  faultvfs_fail(FV_WRITE, faultvfs_count(FV_WRITE) + 1, SQLITE_IOERR_WRITE, 0);
  ck_assert_int_eq(ccenter_agent_add(e, "a5", NULL, 7), CCENTER_EIO);
  ck_assert_int_eq(info_of(st).failed, 0);
  OK(ccenter_agent_add(e, "a6", NULL, 8));
  ck_assert_int_eq(ccenter_agent_info_get(e, "a5", 8, &ai), CCENTER_ENOENT);
  OK(ccenter_store_close(st));
  ccenter_engine_free(e);
  ccenter_cases_free(ce);
  OK(cc_store_open_vfs(tpath("fail.db"), NULL, NULL, &st));
  OK(ccenter_store_verify(st, NULL, 0, NULL, 0));
  OK(ccenter_store_engine_recover(st, "r", NULL, &e));
  OK(ccenter_agent_info_get(e, "a3", 8, &ai));
  OK(ccenter_agent_info_get(e, "a6", 8, &ai));
  ck_assert_int_eq(ccenter_agent_info_get(e, "a4", 8, &ai), CCENTER_ENOENT);
  ck_assert_int_eq(ccenter_agent_info_get(e, "a5", 8, &ai), CCENTER_ENOENT);
  OK(ccenter_store_close(st));
  ccenter_engine_free(e);
}
END_TEST

/* ---- the extra blob ---------------------------------------------------------------------- */

/* A blob the decoder accepted is what the encoder writes for what it read: one encoding
 * per value (a negative channel was written back as the enum's unsigned value). */
static void rewrites_same(const cc_xdec *d, const uint8_t *blob, size_t len)
{
  cc_xbuf b = {0};
  if (d->kind == CC_X_PARAMS)
    OK(cc_rec_put_params(&b, &d->params));
  else if (d->kind == CC_X_THRESHOLDS)
    OK(cc_rec_put_thresholds(&b, d->arr, d->n_arr));
  else
    OK(cc_rec_put_evidence(&b, d->ev, d->n_ev));
  ck_assert_uint_eq(b.len, len);
  ck_assert(memcmp(b.p, blob, len) == 0);
  free(b.p);
}

START_TEST(extra_blob_round_trips_and_the_decoder_is_strict)
{
  ccenter_attr attrs[] = {{"lang", "en"}, {"tier", ""}};
  ccenter_step steps[] = {{"", 1000}, {"skill(x) >= 2", 86400000}};
  const char *pref[] = {"a1", "a2", "a3"};
  ccenter_contact_params p;
  ccenter_contact_params_init(&p);
  p.channel = CCENTER_CHANNEL_EMAIL;
  p.priority = -1000000;
  p.customer = "";
  p.attrs = attrs;
  p.n_attrs = 2;
  p.steps = steps;
  p.n_steps = 2;
  p.preferred = pref;
  p.n_preferred = 3;
  p.preferred_timeout_ms = -1;
  p.emergency = 7;
  cc_xbuf b = {0};
  OK(cc_rec_put_params(&b, &p));
  cc_xdec d;
  memset(&d, 0, sizeof d);
  OK(cc_rec_decode(&d, b.p, b.len));
  ck_assert_int_eq(d.kind, CC_X_PARAMS);
  ck_assert_int_eq(d.params.channel, CCENTER_CHANNEL_EMAIL);
  ck_assert_int_eq(d.params.priority, -1000000);
  ck_assert_str_eq(d.params.customer, "");
  ck_assert_uint_eq(d.params.n_attrs, 2);
  ck_assert_str_eq(d.params.attrs[1].key, "tier");
  ck_assert_str_eq(d.params.attrs[1].value, "");
  ck_assert_str_eq(d.params.steps[1].requirement, "skill(x) >= 2");
  ck_assert_int_eq(d.params.steps[1].duration_ms, 86400000);
  ck_assert_str_eq(d.params.preferred[2], "a3");
  ck_assert_int_eq(d.params.preferred_timeout_ms, -1);
  ck_assert_int_eq(d.params.emergency, 7);
  /* every shorter blob, every longer one and every changed byte: corrupt or another value,
   * never a read outside (ASan watches) */
  for (size_t n = 0; n < b.len; n++)
    ck_assert_int_eq(cc_rec_decode(&d, b.p, n), CCENTER_ECORRUPT);
  uint8_t *m = malloc(b.len + 1);
  memcpy(m, b.p, b.len);
  m[b.len] = 0;
  ck_assert_int_eq(cc_rec_decode(&d, m, b.len + 1), CCENTER_ECORRUPT);
  for (size_t i = 0; i < b.len; i++)
    for (int v = 0; v < 256; v++) {
      memcpy(m, b.p, b.len);
      m[i] = (uint8_t)v;
      int rc = cc_rec_decode(&d, m, b.len);
      ck_assert(rc == 0 || rc == CCENTER_ECORRUPT);
      if (rc == 0)
        rewrites_same(&d, m, b.len);
    }
  memcpy(m, b.p, b.len);
  m[0] = 2; /* a version this library does not know */
  ck_assert_int_eq(cc_rec_decode(&d, m, b.len), CCENTER_ECORRUPT);
  m[0] = 1;
  m[1] = 9;
  ck_assert_int_eq(cc_rec_decode(&d, m, b.len), CCENTER_ECORRUPT);
  free(m);
  /* NULL params: the defaults; NULL customer differs from "" */
  b.len = 0;
  OK(cc_rec_put_params(&b, NULL));
  OK(cc_rec_decode(&d, b.p, b.len));
  ck_assert_ptr_null(d.params.customer);
  ck_assert_int_eq(d.params.preferred_timeout_ms, -1);
  /* thresholds and evidence */
  int64_t arr[] = {1, 86400000, INT64_MIN, INT64_MAX};
  b.len = 0;
  OK(cc_rec_put_thresholds(&b, arr, 4));
  OK(cc_rec_decode(&d, b.p, b.len));
  ck_assert_int_eq(d.kind, CC_X_THRESHOLDS);
  ck_assert_uint_eq(d.n_arr, 4);
  ck_assert_int_eq(d.arr[2], INT64_MIN);
  ck_assert_int_eq(d.arr[3], INT64_MAX);
  ccenter_case_evidence ev[] = {{"police", "R-1"}, {"bank", "x"}};
  b.len = 0;
  OK(cc_rec_put_evidence(&b, ev, 2));
  OK(cc_rec_decode(&d, b.p, b.len));
  ck_assert_int_eq(d.kind, CC_X_EVIDENCE);
  ck_assert_str_eq(d.ev[1].ref, "x");
  /* hand-made: counts above the limits, overlong varints, a NUL in a string, a varint of
   * 11 bytes */
  static const uint8_t many[] = {1, 2, 9};
  static const uint8_t overlong[] = {1, 2, 0x81, 0x00, 2};
  static const uint8_t nul[] = {1, 3, 1, 3, 'a', 0, 2, 'b'};
  static const uint8_t eleven[] = {1, 2, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
  static const uint8_t tenth[] = {1, 2, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
  static const uint8_t big_ev[] = {1, 3, 17};
  ck_assert_int_eq(cc_rec_decode(&d, many, sizeof many), CCENTER_ECORRUPT);
  ck_assert_int_eq(cc_rec_decode(&d, overlong, sizeof overlong), CCENTER_ECORRUPT);
  ck_assert_int_eq(cc_rec_decode(&d, nul, sizeof nul), CCENTER_ECORRUPT);
  ck_assert_int_eq(cc_rec_decode(&d, eleven, sizeof eleven), CCENTER_ECORRUPT);
  ck_assert_int_eq(cc_rec_decode(&d, tenth, sizeof tenth), CCENTER_ECORRUPT);
  ck_assert_int_eq(cc_rec_decode(&d, big_ev, sizeof big_ev), CCENTER_ECORRUPT);
  ck_assert_int_eq(cc_rec_decode(&d, NULL, 0), CCENTER_ECORRUPT);
  cc_rec_xdec_free(&d);
  free(b.p);
}
END_TEST

/* ---- a workload over both engines ------------------------------------------------------ */

/* Event lines as FNV-1a hashes of their text (user data left out: it is not stored). */
typedef struct hlog {
  uint64_t *v;
  size_t n, cap;
} hlog;

static void hlog_add(hlog *h, const char *s)
{
  uint64_t x = 1469598103934665603ull;
  for (; *s; s++)
    x = (x ^ (uint8_t)*s) * 1099511628211ull;
  if (h->n == h->cap) {
    h->cap = h->cap ? 2 * h->cap : 1024;
    h->v = realloc(h->v, h->cap * sizeof *h->v);
    ck_assert_ptr_nonnull(h->v);
  }
  h->v[h->n++] = x;
}

#define S_(x) ((x) ? (x) : "-")
static ccenter_store *g_cb_store;
static void on_rev(ccenter_engine *e, const ccenter_event *ev, void *ud)
{
  (void)e;
  char buf[512];
  snprintf(buf, sizeof buf, "%lld %s a=%s c=%s q=%s qt=%s at=%s r=%s %d %d %d %d %d %u %lld %lld",
           (long long)ev->time, ccenter_event_name(ev->type), S_(ev->agent), S_(ev->contact),
           S_(ev->queue), S_(ev->queue_to), S_(ev->agent_to), S_(ev->reason), (int)ev->cause,
           (int)ev->party, (int)ev->state, (int)ev->outcome, ev->score, ev->position,
           (long long)ev->wait_ms, (long long)ev->duration_ms);
  hlog_add(ud, buf);
}

static void on_cev(ccenter_cases *ce, const ccenter_case_event *e, void *ud)
{
  (void)ce;
  char buf[1024];
  snprintf(buf, sizeof buf, "%llu %s %lld %s %s %s>%s %s %s %s %s %s %lld",
           (unsigned long long)e->seq, ccenter_case_event_name(e->type), (long long)e->time,
           S_(e->case_id), S_(e->workflow), S_(e->from), S_(e->to), S_(e->transition),
           S_(e->timer), S_(e->actor), S_(e->reason), S_(e->contact), (long long)e->deadline);
  hlog_add(ud, buf);
}

static const char wf_text[] =
    "workflow w\n"
    "field payee text\n"
    "state NEW initial\n"
    "state OPEN contained\n"
    "state DONE final DONE\n"
    "transition take NEW -> OPEN role agent\n"
    "transition close OPEN -> DONE role agent\n"
    "  evidence police\n"
    "transition drop NEW -> DONE role agent\n"
    "  dual approver supervisor\n"
    "transition expire OPEN -> DONE\n"
    "timer t on OPEN 2h -> transition expire\n";

typedef struct world {
  ccenter_store *st;
  ccenter_engine *e;
  ccenter_cases *ce;
  hlog rev, cev;
  int64_t now;
  /* events logged when the latest snapshots were taken: a recovery from them raises only
   * the later ones again */
  size_t rev_snap, cev_snap;
  unsigned keep;        /* retention, set again at each open */
  const char *archive;  /* NULL or arch_path */
  char arch_path[512];
  ccenter_durability mode;
} world;

static ccenter_options *world_opts(world *w, int cases)
{
  ccenter_options *o = ccenter_options_new();
  ck_assert_ptr_nonnull(o);
  if (!cases)
    OK(ccenter_options_set_event_callback(o, on_rev, &w->rev));
  return o;
}

#define WT0 INT64_C(1772409600000) /* Mon 2 Mar 2026 00:00 UTC */

static void world_new(world *w, const char *path, ccenter_durability mode)
{
  memset(w, 0, sizeof *w);
  w->mode = mode;
  OK(ccenter_store_open(path, NULL, &w->st));
  OK(ccenter_store_set_durability(w->st, mode, 100, 10000));
  ccenter_options *o = world_opts(w, 0);
  OK(ccenter_store_engine_new(w->st, "routing", o, WT0, &w->e));
  ccenter_options_free(o);
  OK(ccenter_store_cases_new(w->st, "cases", NULL, WT0, "k3y", 3, &w->ce));
  OK(ccenter_cases_set_event_callback(w->ce, on_cev, &w->cev));
  w->now = WT0;
}

/* Closes the store and frees the engines; the recovered ones raise every event again, so
 * the logs start over. */
static void world_recover(world *w, const char *path)
{
  OK(ccenter_store_close(w->st));
  ccenter_engine_free(w->e);
  ccenter_cases_free(w->ce);
  w->rev.n = w->rev_snap;
  w->cev.n = w->cev_snap;
  OK(ccenter_store_open(path, NULL, &w->st));
  OK(ccenter_store_set_durability(w->st, w->mode, 100, 10000));
  OK(ccenter_store_set_retention(w->st, w->keep, w->archive));
  ccenter_options *o = world_opts(w, 0);
  OK(ccenter_store_engine_recover(w->st, "routing", o, &w->e));
  ccenter_options_free(o);
  ccenter_options *oc = ccenter_options_new();
  /* events queued during the replay, pulled into the log in order */
  OK(ccenter_store_cases_recover(w->st, "cases", oc, "k3y", 3, &w->ce));
  ccenter_options_free(oc);
  const ccenter_case_event *ev;
  while ((ev = ccenter_cases_next_event(w->ce)) != NULL)
    on_cev(w->ce, ev, &w->cev);
  OK(ccenter_cases_set_event_callback(w->ce, on_cev, &w->cev));
}

static void world_snapshot(world *w)
{
  OK(ccenter_store_snapshot(w->st, "routing"));
  OK(ccenter_store_snapshot(w->st, "cases"));
  w->rev_snap = w->rev.n;
  w->cev_snap = w->cev.n;
}

static uint64_t rnd(uint64_t *x)
{
  *x ^= *x << 13;
  *x ^= *x >> 7;
  *x ^= *x << 17;
  return *x;
}

/* Step k of the workload: a function of (k, x) and of the engines' state (queries only),
 * so a recovered world makes the same calls as one that never stopped. */
static void world_step(world *w, uint64_t *x, int k)
{
  ccenter_engine *e = w->e;
  ccenter_cases *ce = w->ce;
  int64_t t = w->now;
  if (k == 0) {
    ccenter_workflow *wf;
    OK(ccenter_workflow_parse(NULL, wf_text, sizeof wf_text - 1, "w", &wf, NULL));
    OK(ccenter_cases_add_workflow(ce, wf, t));
    ccenter_workflow_free(wf);
    OK(ccenter_cases_set_actor(ce, "alice", "agent", t));
    OK(ccenter_cases_set_actor(ce, "bob", "agent,supervisor", t));
    OK(ccenter_cases_set_actor(ce, "carol", "supervisor", t));
    OK(ccenter_queue_add(e, "q0", NULL, t));
    OK(ccenter_queue_add(e, "q1", NULL, t));
    int64_t th[] = {10000, 30000};
    OK(ccenter_queue_set_thresholds(e, "q0", th, 2, t));
    OK(ccenter_queue_set(e, "q1", CCENTER_QUEUE_MAX_WAIT, 120000, t));
    for (int i = 0; i < 4; i++) {
      char a[8];
      snprintf(a, sizeof a, "a%d", i);
      OK(ccenter_agent_add(e, a, NULL, t));
      OK(ccenter_agent_serve(e, a, "q0", NULL, t));
      if (i & 1)
        OK(ccenter_agent_serve(e, a, "q1", NULL, t));
      OK(ccenter_agent_set_skill(e, a, "fr", i + 1, t));
      OK(ccenter_agent_set_attr(e, a, "site", i & 1 ? "" : "leeds", t));
      OK(ccenter_agent_login(e, a, t));
      OK(ccenter_agent_ready(e, a, t));
    }
    return;
  }
  w->now = t += (int64_t)(rnd(x) % 20000);
  char c[8], a[8], cs[8];
  snprintf(c, sizeof c, "c%d", (int)(rnd(x) % 12));
  snprintf(a, sizeof a, "a%d", (int)(rnd(x) % 4));
  snprintf(cs, sizeof cs, "k%d", (int)(rnd(x) % 8));
  static const char *const actors[] = {"alice", "bob", "carol"};
  const char *who = actors[rnd(x) % 3];
  ccenter_contact_info ci = {.size = sizeof ci};
  int have = ccenter_contact_info_get(e, c, t, &ci) == 0;
  int op = (int)(rnd(x) % 16);
  switch (op) {
  case 0:
  case 1:
  case 2: {
    if (have && ci.state == CCENTER_CONTACT_OFFERED) {
      (void)ccenter_offer_accept(e, ci.agent, c, t);
    } else if (have && ci.state == CCENTER_CONTACT_CONNECTED) {
      (void)ccenter_contact_end(e, c, CCENTER_PARTY_CUSTOMER, t);
    } else if (have && ci.state == CCENTER_CONTACT_WRAP_UP) {
      (void)ccenter_agent_wrap_up_end(e, ci.agent, c, t);
    } else {
      ccenter_contact_params p;
      ccenter_contact_params_init(&p);
      ccenter_attr at[] = {{"lang", op ? "fr" : ""}};
      ccenter_step st[] = {{"skill(fr) >= 3", 15000}, {"", 1000}};
      const char *pref[] = {a};
      p.customer = op == 0 ? NULL : op == 1 ? "" : "cust";
      p.attrs = at;
      p.n_attrs = op & 1;
      p.steps = st;
      p.n_steps = op == 2 ? 2 : 0;
      p.preferred = pref;
      p.n_preferred = op == 1;
      p.priority = (int)(rnd(x) % 5);
      (void)ccenter_contact_enqueue(e, c, rnd(x) & 1 ? "q0" : "q1", &p, t);
    }
    break;
  }
  case 3:
    (void)ccenter_contact_abandon(e, c, t);
    break;
  case 4:
    if (have && ci.agent)
      (void)ccenter_contact_transfer_queue(e, c, "q1", t);
    else
      (void)ccenter_agent_not_ready(e, a, rnd(x) & 1 ? "lunch" : NULL, t);
    break;
  case 5:
    (void)ccenter_agent_ready(e, a, t);
    break;
  case 6:
    (void)ccenter_agent_set_attr(e, a, "site", rnd(x) & 1 ? NULL : "", t);
    break;
  case 7: {
    int64_t th[] = {5000, 20000, 40000};
    (void)ccenter_queue_set_thresholds(e, "q1", th, (size_t)(rnd(x) % 4), t);
    break;
  }
  case 8:
    (void)ccenter_engine_advance(e, t + (int64_t)(rnd(x) % 200000));
    w->now = ccenter_engine_now(e);
    break;
  case 9:
    (void)ccenter_case_open(ce, cs, "w", who, NULL, t);
    break;
  case 10:
    (void)ccenter_case_set_text(ce, cs, who, "payee", rnd(x) & 1 ? "M1" : "", t);
    break;
  case 11:
  case 12: {
    ccenter_case_evidence ev[] = {{"police", "R-7"}};
    ccenter_case_input in;
    ccenter_case_input_init(&in);
    in.evidence = ev;
    in.n_evidence = rnd(x) & 1;
    in.reason = rnd(x) & 1 ? "because" : NULL;
    static const char *const tr[] = {"take", "close", "drop"};
    (void)ccenter_case_transition(ce, cs, tr[rnd(x) % 3], who, &in, t);
    break;
  }
  case 13:
    (void)ccenter_case_approve(ce, cs, who, NULL, t);
    break;
  case 14:
    (void)ccenter_cases_advance(ce, t + (int64_t)(rnd(x) % 7200000));
    w->now = ccenter_cases_now(ce);
    break;
  default:
    (void)ccenter_case_forget(ce, cs, t);
    break;
  }
}

/* What the queries say: the routing engine's agents, contacts and queues, the cases, both
 * clocks, deadlines and the audit head, as one text. */
static void world_state(world *w, char *buf, size_t cap)
{
  size_t n = 0;
  int64_t t = w->now;
#define PUT(...) n += (size_t)snprintf(buf + n, cap - n, __VA_ARGS__)
  PUT("now %lld/%lld dl %lld/%lld\n", (long long)ccenter_engine_now(w->e),
      (long long)ccenter_cases_now(w->ce), (long long)ccenter_engine_next_deadline(w->e),
      (long long)ccenter_cases_next_deadline(w->ce));
  for (int i = 0; i < 4; i++) {
    char a[8];
    snprintf(a, sizeof a, "a%d", i);
    ccenter_agent_info ai = {.size = sizeof ai};
    OK(ccenter_agent_info_get(w->e, a, t, &ai));
    PUT("%s %d %s %u %u %u %u %lld\n", a, (int)ai.state, S_(ai.reason), ai.offered, ai.connected,
        ai.wrap_up, ai.handled, (long long)ai.state_since);
  }
  for (int i = 0; i < 12; i++) {
    char c[8];
    snprintf(c, sizeof c, "c%d", i);
    ccenter_contact_info ci = {.size = sizeof ci};
    if (ccenter_contact_info_get(w->e, c, t, &ci) == 0) {
      const char *lang = ccenter_contact_attr(w->e, c, "lang");
      PUT("%s %d %s %s [%s] %u %lld [%s]\n", c, (int)ci.state, S_(ci.queue), S_(ci.agent),
          ci.customer ? ci.customer : "(null)", ci.position, (long long)ci.enqueued_at,
          lang ? lang : "(null)");
    }
  }
  for (int i = 0; i < 2; i++) {
    char q[8];
    snprintf(q, sizeof q, "q%d", i);
    ccenter_queue_info qi = {.size = sizeof qi};
    OK(ccenter_queue_info_get(w->e, q, t, &qi));
    PUT("%s %u %u\n", q, qi.waiting, qi.offered);
  }
  for (int i = 0; i < 8; i++) {
    char cs[8];
    snprintf(cs, sizeof cs, "k%d", i);
    ccenter_case_info in = {.size = sizeof in};
    if (ccenter_case_info_get(w->ce, cs, &in) == 0)
      PUT("%s %s %lld %lld\n", cs, S_(in.state), (long long)in.opened_at, (long long)in.next_deadline);
  }
  ccenter_audit_head h;
  OK(ccenter_cases_audit_head(w->ce, &h));
  PUT("audit %llu %02x%02x%02x%02x\n", (unsigned long long)h.seq, h.hash[0], h.hash[1], h.hash[2],
      h.hash[3]);
  ck_assert_uint_lt(n, cap);
#undef PUT
}

static void hlog_eq(const hlog *a, const hlog *b)
{
  ck_assert_uint_eq(a->n, b->n);
  for (size_t i = 0; i < a->n; i++)
    ck_assert_msg(a->v[i] == b->v[i], "event %zu differs", i);
}

static void world_free(world *w)
{
  if (w->st)
    OK(ccenter_store_close(w->st));
  ccenter_engine_free(w->e);
  ccenter_cases_free(w->ce);
  free(w->rev.v);
  free(w->cev.v);
}

/* The same workload straight and with close / recover / continue at 100 random points: the
 * same events (the recovered engines raise the history since their starting point again)
 * and the same state. Runs 0-2 recover from the whole journal; runs 3-5 take snapshots at
 * random stops, so that recovery starts from the latest one, and 4-5 also keep only the
 * newest snapshots (5 archiving what retention removes), so that most of the journal is
 * gone by the end. */
START_TEST(recovery_equals_uninterrupted)
{
  /* 0..5 in MEMORY mode; 6 and 7 are 0 and 4 (no snapshots; snapshots and retention) in
   * WRITTEN mode, whose commits go through synchronous=NORMAL. */
  const int v = _i < 6 ? _i : _i == 6 ? 0 : 4;
  const ccenter_durability mode = _i < 6 ? CCENTER_DURABILITY_MEMORY : CCENTER_DURABILITY_WRITTEN;
  const int steps = 1500;
  const int snapshots = v >= 3;
  uint64_t seed = 0x9E3779B97F4A7C15ull * (uint64_t)(v % 3 + 1);
  world a, b;
  char na[32], nb[32], nr[32];
  snprintf(na, sizeof na, "straight%d.db", _i);
  snprintf(nb, sizeof nb, "stopped%d.db", _i);
  snprintf(nr, sizeof nr, "archive%d.db", _i);
  world_new(&a, tpath(na), mode);
  world_new(&b, tpath(nb), mode);
  if (v >= 4) {
    b.keep = (unsigned)(v - 3);
    snprintf(b.arch_path, sizeof b.arch_path, "%s", tpath(nr));
    b.archive = v == 5 ? b.arch_path : NULL;
    OK(ccenter_store_set_retention(b.st, b.keep, b.archive));
  }
  uint64_t xa = seed, xb = seed, xr = seed ^ 0xabcdefull;
  int recoveries = 0, taken = 0;
  static char sa[8192], sb[8192];
  /* 100 distinct stopping points, spread at random over the run. */
  static unsigned char stop[1500];
  memset(stop, 0, sizeof stop);
  for (int n = 0; n < 100;) {
    int k = 1 + (int)(rnd(&xr) % (uint64_t)(steps - 1));
    if (!stop[k]) {
      stop[k] = 1;
      n++;
    }
  }
  for (int k = 0; k < steps; k++) {
    world_step(&a, &xa, k);
    world_step(&b, &xb, k);
    if (snapshots && (stop[k] || rnd(&xr) % 50 == 0) && rnd(&xr) % 2) {
      world_snapshot(&b);
      taken++;
    }
    if (stop[k]) {
      world_recover(&b, tpath(nb));
      recoveries++;
      b.now = a.now;
      world_state(&a, sa, sizeof sa);
      world_state(&b, sb, sizeof sb);
      ck_assert_str_eq(sa, sb);
      hlog_eq(&a.rev, &b.rev);
      hlog_eq(&a.cev, &b.cev);
    }
  }
  ck_assert_int_eq(recoveries, 100);
  if (snapshots)
    ck_assert_int_gt(taken, 40);
  world_recover(&b, tpath(nb));
  world_state(&a, sa, sizeof sa);
  world_state(&b, sb, sizeof sb);
  ck_assert_str_eq(sa, sb);
  hlog_eq(&a.rev, &b.rev);
  hlog_eq(&a.cev, &b.cev);
  ck_assert_uint_gt(a.rev.n, 500);
  ck_assert_uint_gt(a.cev.n, 100);
  OK(ccenter_store_flush(a.st));
  char msg[256];
  OK(ccenter_store_verify(a.st, "k3y", 3, msg, sizeof msg));
  OK(ccenter_store_verify(b.st, "k3y", 3, msg, sizeof msg));
  /* the stored audit chain is the engine's: same head, every record, whatever retention
   * removed of the journal */
  ccenter_audit_head h;
  OK(ccenter_cases_audit_head(b.ce, &h));
  ck_assert_int_eq(q_int(b.st, "SELECT count(*) FROM audit"), (int64_t)h.seq);
  if (v >= 4) {
    ck_assert_int_le(q_int(b.st, "SELECT count(*) FROM snapshots"), 2 * (int64_t)b.keep);
    ck_assert_int_lt(q_int(b.st, "SELECT count(*) FROM journal"),
                     q_int(a.st, "SELECT count(*) FROM journal") / 2);
  }
  if (v == 5) { /* every record is in the store or in the archive, once or twice */
    sqlite3 *db = cc_store_db(b.st);
    char sql[512];
    snprintf(sql, sizeof sql, "ATTACH DATABASE '%s' AS ar", tpath(nr));
    ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_eq(q_int(b.st, "SELECT count(*) FROM (SELECT seq FROM journal UNION"
                                 " SELECT seq FROM ar.journal)"),
                     q_int(a.st, "SELECT count(*) FROM journal"));
    ck_assert_int_eq(sqlite3_exec(db, "DETACH DATABASE ar", NULL, NULL, NULL), SQLITE_OK);
  }
  world_free(&a);
  world_free(&b);
}
END_TEST

static void on_rev_snapshot(ccenter_engine *e, const ccenter_event *ev, void *ud)
{
  (void)e;
  (void)ev;
  int *rc = ud;
  if (*rc == 1)
    *rc = ccenter_store_snapshot(g_cb_store, "r");
}

START_TEST(snapshot_and_retention_errors)
{
  ccenter_store *st;
  OK(ccenter_store_open(tpath("snap.db"), NULL, &st));
  g_cb_store = st;
  int cb_rc = 0;
  ccenter_options *o = ccenter_options_new();
  OK(ccenter_options_set_event_callback(o, on_rev_snapshot, &cb_rc));
  ccenter_engine *e;
  OK(ccenter_store_engine_new(st, "r", o, 0, &e));
  ccenter_options_free(o);
  ck_assert_int_eq(ccenter_store_snapshot(NULL, "r"), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_store_snapshot(st, NULL), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_store_snapshot(st, "bad name"), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_store_snapshot(st, "nosuch"), CCENTER_ENOENT);
  /* inside the engine's callback: refused, nothing written */
  cb_rc = 1;
  OK(ccenter_queue_add(e, "q", NULL, 1));
  OK(ccenter_agent_add(e, "a", NULL, 1));
  OK(ccenter_agent_login(e, "a", 1));
  ck_assert_int_eq(cb_rc, CCENTER_EBUSY);
  ck_assert_int_eq(q_int(st, "SELECT count(*) FROM snapshots"), 0);
  OK(ccenter_store_snapshot(st, "r"));
  OK(ccenter_store_snapshot(st, "r")); /* the same position again: replaced */
  ck_assert_int_eq(q_int(st, "SELECT count(*) FROM snapshots"), 1);
  ck_assert_uint_eq(info_of(st).snapshots, 1);
  /* an engine no longer journaled through this store */
  ccenter_engine_free(e);
  ck_assert_int_eq(ccenter_store_snapshot(st, "r"), CCENTER_ENOENT);
  /* retention */
  ck_assert_int_eq(ccenter_store_set_retention(NULL, 1, NULL), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_store_set_retention(st, 1000001, NULL), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_store_set_retention(st, 1, ""), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_store_set_retention(st, 1, tpath("no/such/dir/a.db")), CCENTER_EIO);
  raw_exec(tpath("odd.db"), "CREATE TABLE journal(x);");
  ck_assert_int_eq(ccenter_store_set_retention(st, 1, tpath("odd.db")), CCENTER_ECORRUPT);
  OK(ccenter_store_set_retention(st, 1, tpath("arch.db")));
  OK(ccenter_store_set_retention(st, 2, tpath("arch2.db")));
  OK(ccenter_store_set_retention(st, 0, NULL));
  OK(ccenter_store_close(st));
}
END_TEST

/* Retention removes the journal up to the oldest kept snapshot and never the audit; the
 * numbering goes on after a reopen even when every record was removed; a damaged latest
 * snapshot is passed over for the one before; when none restores and the journal was
 * shortened, recovery refuses (ECORRUPT) rather than start from nothing. */
START_TEST(retention_and_damaged_snapshots)
{
  const char *p = tpath("ret.db");
  ccenter_store *st;
  OK(ccenter_store_open(p, NULL, &st));
  OK(ccenter_store_set_durability(st, CCENTER_DURABILITY_FULL, 0, 0));
  OK(ccenter_store_set_retention(st, 2, NULL));
  ccenter_engine *e;
  OK(ccenter_store_engine_new(st, "r", NULL, 0, &e));
  char id[16];
  for (int i = 0; i < 30; i++) {
    snprintf(id, sizeof id, "q%d", i);
    OK(ccenter_queue_add(e, id, NULL, i));
    if (i % 10 == 9)
      OK(ccenter_store_snapshot(st, "r"));
  }
  /* snapshots at 10, 20, 30: the two newest kept, the journal up to 20 removed */
  ck_assert_int_eq(q_int(st, "SELECT count(*) FROM snapshots"), 2);
  ck_assert_int_eq(q_int(st, "SELECT min(seq) FROM journal"), 21);
  ck_assert_int_eq(q_int(st, "SELECT pruned_through FROM engines"), 20);
  ck_assert_uint_eq(info_of(st).removed, 20);
  char msg[256];
  OK(ccenter_store_verify(st, NULL, 0, msg, sizeof msg));
  OK(ccenter_store_set_retention(st, 1, NULL));
  OK(ccenter_store_snapshot(st, "r")); /* keeps the one at 30: nothing left in the journal */
  ck_assert_int_eq(q_int(st, "SELECT count(*) FROM journal"), 0);
  OK(ccenter_store_verify(st, NULL, 0, msg, sizeof msg));
  OK(ccenter_store_close(st));
  ccenter_engine_free(e);
  OK(ccenter_store_open(p, NULL, &st));
  OK(ccenter_store_engine_recover(st, "r", NULL, &e));
  ccenter_queue_info qi = {.size = sizeof qi};
  OK(ccenter_queue_info_get(e, "q29", 29, &qi));
  OK(ccenter_queue_add(e, "q30", NULL, 30));
  OK(ccenter_store_flush(st));
  ck_assert_int_eq(q_int(st, "SELECT max(seq) FROM journal"), 31); /* not 1 again */
  OK(ccenter_store_snapshot(st, "r"));
  OK(ccenter_queue_add(e, "q31", NULL, 31));
  OK(ccenter_store_close(st));
  ccenter_engine_free(e);
  /* the latest snapshot damaged: the one before it, and the journal after it */
  raw_exec(p, "UPDATE snapshots SET state = x'00' WHERE seq = (SELECT max(seq) FROM snapshots);");
  OK(ccenter_store_open(p, NULL, &st));
  OK(ccenter_store_engine_recover(st, "r", NULL, &e));
  OK(ccenter_queue_info_get(e, "q31", 31, &qi));
  OK(ccenter_store_close(st));
  ccenter_engine_free(e);
  /* every snapshot damaged, the journal shortened: refused */
  raw_exec(p, "UPDATE snapshots SET state = x'0102';");
  OK(ccenter_store_open(p, NULL, &st));
  ck_assert_int_eq(ccenter_store_engine_recover(st, "r", NULL, &e), CCENTER_ECORRUPT);
  OK(ccenter_store_close(st));
  /* a snapshot missing for a shortened journal is what verify reports */
  raw_exec(p, "DELETE FROM snapshots;");
  OK(ccenter_store_open(p, NULL, &st));
  ck_assert_int_eq(ccenter_store_verify(st, NULL, 0, msg, sizeof msg), CCENTER_ECORRUPT);
  ck_assert_ptr_nonnull(strstr(msg, "no snapshot"));
  OK(ccenter_store_close(st));
}
END_TEST

/* A backup taken while the store is open and in use is a store of its own: recovering
 * from it gives the engines as they were at the backup, events and state, while the live
 * store went on. */
START_TEST(backup_of_a_running_store)
{
  world a, b;
  world_new(&a, tpath("live.db"), CCENTER_DURABILITY_MEMORY);
  uint64_t x = 0x5eed1234ull;
  for (int k = 0; k < 400; k++)
    world_step(&a, &x, k);
  static char sa[8192], sb[8192];
  world_state(&a, sa, sizeof sa);
  int64_t t_backup = a.now;
  size_t n_rev = a.rev.n, n_cev = a.cev.n;
  OK(ccenter_store_backup(a.st, tpath("copy.db")));
  ck_assert_int_eq(ccenter_store_backup(a.st, tpath("copy.db")), CCENTER_EEXIST);
  ck_assert_int_eq(ccenter_store_backup(NULL, tpath("x.db")), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_store_backup(a.st, NULL), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_store_backup(a.st, ""), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_store_backup(a.st, tpath("no-such-dir/x.db")), CCENTER_EIO);
  for (int k = 400; k < 500; k++)
    world_step(&a, &x, k);
  memset(&b, 0, sizeof b);
  world_recover(&b, tpath("copy.db"));
  b.now = t_backup;
  world_state(&b, sb, sizeof sb);
  ck_assert_str_eq(sa, sb);
  ck_assert_uint_eq(b.rev.n, n_rev);
  ck_assert_uint_eq(b.cev.n, n_cev);
  for (size_t i = 0; i < n_rev; i++)
    ck_assert(a.rev.v[i] == b.rev.v[i]);
  for (size_t i = 0; i < n_cev; i++)
    ck_assert(a.cev.v[i] == b.cev.v[i]);
  char msg[256];
  OK(ccenter_store_verify(b.st, "k3y", 3, msg, sizeof msg));
  world_free(&a);
  world_free(&b);
}
END_TEST

/* ---- verify ---------------------------------------------------------------------------- */

static void damaged(const char *path, const char *sql, const char *expect)
{
  raw_exec(path, sql);
  ccenter_store *st;
  OK(ccenter_store_open(path, NULL, &st));
  char msg[256];
  int rc = ccenter_store_verify(st, "k3y", 3, msg, sizeof msg);
  ck_assert_msg(rc == CCENTER_ECORRUPT, "%s: %s '%s'", sql, ccenter_err_name(rc), msg);
  ck_assert_msg(strstr(msg, expect) != NULL, "'%s' does not say '%s'", msg, expect);
  OK(ccenter_store_close(st));
}

START_TEST(verify_finds_damage_and_recovery_refuses_it)
{
  const char *p = tpath("v.db");
  world w;
  world_new(&w, p, CCENTER_DURABILITY_MEMORY);
  uint64_t x = 77;
  for (int k = 0; k < 300; k++)
    world_step(&w, &x, k);
  world_free(&w);
  ccenter_store *st;
  OK(ccenter_store_open(p, NULL, &st));
  char msg[256];
  OK(ccenter_store_verify(st, "k3y", 3, msg, sizeof msg));
  ck_assert_str_eq(msg, "");
  ck_assert_int_eq(ccenter_store_verify(st, "other", 5, msg, sizeof msg), CCENTER_ECORRUPT);
  ck_assert_ptr_nonnull(strstr(msg, "audit"));
  ck_assert_int_eq(ccenter_store_verify(st, NULL, 0, NULL, 0), CCENTER_ECORRUPT);
  OK(ccenter_store_close(st));
  char save[340];
  snprintf(save, sizeof save, "%s.copy", p);
  raw_exec(p, "PRAGMA wal_checkpoint(TRUNCATE);");
  /* each damage on a fresh copy */
  static const struct {
    const char *sql, *say;
  } dmg[] = {
      {"DELETE FROM journal WHERE seq = 10;", "record 10 is missing"},
      {"UPDATE journal SET extra = x'0102ff' WHERE op = 21 AND engine = 1 AND seq = (SELECT min(seq) FROM journal WHERE op = 21 AND engine = 1);", "cannot be read"},
      {"UPDATE journal SET op = 41 WHERE seq = 5;", "record 5 cannot be read"},
      {"UPDATE journal SET s0 = x'41' WHERE seq = 6;", "record 6 cannot be read"},
      {"UPDATE journal SET engine = 99 WHERE seq = 7;", "record 7 names no engine"},
      {"UPDATE audit SET line = line || 'x' WHERE seq = 3;", "audit of cases: record 3"},
      {"DELETE FROM audit WHERE seq = 2;", "record 2 is missing"},
      {"PRAGMA user_version = 0;", "schema"},
  };
  for (size_t i = 0; i < sizeof dmg / sizeof *dmg; i++) {
    char cmd[800];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", p, save);
    ck_assert_int_eq(system(cmd), 0);
    if (i == sizeof dmg / sizeof *dmg - 1) {
      /* user_version 0 with tables: not opened at all */
      raw_exec(save, dmg[i].sql);
      ck_assert_int_eq(ccenter_store_open(save, NULL, &st), CCENTER_ECORRUPT);
    } else {
      damaged(save, dmg[i].sql, dmg[i].say);
    }
    unlink(save);
  }
  /* recovery refuses a record it cannot read */
  raw_exec(p, "UPDATE journal SET extra = x'01' WHERE op = 21 AND engine = 1;");
  OK(ccenter_store_open(p, NULL, &st));
  ccenter_engine *e = NULL;
  ck_assert_int_eq(ccenter_store_engine_recover(st, "routing", NULL, &e), CCENTER_ECORRUPT);
  ck_assert_ptr_null(e);
  OK(ccenter_store_close(st));
  raw_exec(p, "UPDATE journal SET now = 0 WHERE seq = (SELECT max(seq) FROM journal WHERE engine = 2);");
  OK(ccenter_store_open(p, NULL, &st));
  ccenter_cases *ce = NULL;
  ck_assert_int_eq(ccenter_store_cases_recover(st, "cases", NULL, "k3y", 3, &ce), CCENTER_ECORRUPT);
  ck_assert_ptr_null(ce);
  OK(ccenter_store_close(st));
}
END_TEST

/* Engines outlive the store and the store outlives engines, in either order. */
START_TEST(engines_and_store_end_in_either_order)
{
  ccenter_store *st;
  ccenter_engine *e1, *e2;
  ccenter_cases *c1, *c2;
  OK(ccenter_store_open(tpath("order.db"), NULL, &st));
  OK(ccenter_store_engine_new(st, "e1", NULL, 0, &e1));
  OK(ccenter_store_engine_new(st, "e2", NULL, 0, &e2));
  OK(ccenter_store_cases_new(st, "c1", NULL, 0, NULL, 0, &c1));
  OK(ccenter_store_cases_new(st, "c2", NULL, 0, NULL, 0, &c2));
  ccenter_engine_free(e1);
  ccenter_cases_free(c1);
  OK(ccenter_queue_add(e2, "q", NULL, 1));
  OK(ccenter_cases_set_actor(c2, "x", "r", 1));
  OK(ccenter_store_close(st));
  OK(ccenter_queue_add(e2, "q2", NULL, 2));
  OK(ccenter_cases_set_actor(c2, "y", "r", 2));
  ccenter_engine_free(e2);
  ccenter_cases_free(c2);
  OK(ccenter_store_open(tpath("order.db"), NULL, &st));
  ck_assert_uint_eq(info_of(st).records, 2);
  OK(ccenter_store_close(st));
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("store");
  TCase *tc = tcase_create("store");
  tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
  /* Measured: the whole suite 3.4 s alone without sanitizers, 8.2 s under ASan+UBSan
   * (mostly fsyncs of the FULL and case-engine commits, and the 30-odd recoveries of
   * recovery_equals_uninterrupted, each replaying up to 1,500 steps); 120 s per test
   * leaves room for a loaded 2-core machine. */
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, open_creates_the_schema_and_reopens);
  tcase_add_test(tc, open_errors);
  tcase_add_test(tc, schema_1_is_migrated);
  tcase_add_test(tc, argument_errors);
  tcase_add_test(tc, full_mode_commits_and_syncs_each_input);
  tcase_add_test(tc, grouped_windows_by_count_and_by_time);
  tcase_add_test(tc, a_dead_process_loses_only_the_pending_group);
  tcase_add_test(tc, written_mode_commits_each_input_unsynced);
  tcase_add_test(tc, sync_on_another_thread_while_journaling);
  tcase_add_test(tc, a_failed_group_refuses_later_inputs_until_a_flush);
  tcase_add_test(tc, extra_blob_round_trips_and_the_decoder_is_strict);
  tcase_add_loop_test(tc, recovery_equals_uninterrupted, 0, 8);
  tcase_add_test(tc, snapshot_and_retention_errors);
  tcase_add_test(tc, retention_and_damaged_snapshots);
  tcase_add_test(tc, backup_of_a_running_store);
  tcase_add_test(tc, verify_finds_damage_and_recovery_refuses_it);
  tcase_add_test(tc, engines_and_store_end_in_either_order);
  suite_add_tcase(s, tc);
  return s;
}

CC_TEST_MAIN()
