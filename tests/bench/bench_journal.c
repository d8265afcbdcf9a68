/*
 * journal: a routing engine journaled by the store (ccenter/store.h), against plain
 * SQLite doing the same writes.
 *
 * The workload is bench_jdrv.c's (three inputs per contact; every third record has an
 * `extra` blob). Phases, each on a fresh store file in $TMPDIR (default /tmp):
 *
 * 1. engine: the workload on an engine without a store: what the engine alone costs.
 * 2. grouped: the same workload through the store in GROUPED mode, groups of GROUP
 *    inputs (max_ms long enough that the count closes every group), timed from the first
 *    call after the set-up to the end of the final ccenter_store_flush(): inputs per
 *    second, one call in 16 timed.
 * 3. plain grouped: the rows phase 2 wrote, read back into memory, inserted into a fresh
 *    file with the store's own schema and pragmas (WAL, the same `synchronous`) by a
 *    prepared INSERT, GROUP rows per transaction: what SQLite alone needs to write these
 *    rows in the same groups. ratio = grouped / plain grouped; the goal is >= 0.5.
 * 4. full: the workload goes on in FULL mode (every input committed and synced before the
 *    call returns) for FULL_INPUTS inputs: inputs per second and synced commits per second
 *    (ccenter_store_info_get()'s `syncs`).
 * 5. plain full: as many rows of phase 2 inserted one per transaction (autocommit),
 *    synchronous=FULL.
 * 6. fsync: what the disk itself does: 4 KiB appended and fdatasync()ed, FULL_INPUTS
 *    times, in the same directory. FULL cannot go much faster than this.
 *
 * Each timed phase also reports its cpu_share (CPU time / wall time: below 1 the phase
 * waited, for the disk or for a core that other work held, which on a shared machine says
 * how far to trust its wall time). FULL_INPUTS is 2,000 (100 with --quick).
 *
 * Checks: every call succeeds; the store file holds exactly the inputs made, in sequence
 * (seq 1..n without gaps), and the plain files as many rows.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bench.h"
#include "ccenter/store.h"

#define GROUP 1000
#define T0 INT64_C(1772442000000)

/* ---- a scratch directory ----------------------------------------------------------- */

int bench_store_dir(char *dir, size_t n)
{
  const char *tmp = getenv("TMPDIR");
  if (!tmp || !*tmp)
    tmp = "/tmp";
  if (snprintf(dir, n, "%s/ccenter-bench-XXXXXX", tmp) >= (int)n || !mkdtemp(dir)) {
    fprintf(stderr, "ccenter-bench: cannot make a directory in %s: %s\n", tmp,
            strerror(errno));
    return -1;
  }
  return 0;
}

/* Removes a database and its WAL and shared-memory files. */
void bench_store_unlink(const char *path)
{
  static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
  char buf[4096];
  for (size_t k = 0; k < sizeof suffix / sizeof suffix[0]; k++)
    if (snprintf(buf, sizeof buf, "%s%s", path, suffix[k]) < (int)sizeof buf)
      unlink(buf);
}

/* ---- the rows, read back ------------------------------------------------------------ */

/* One journal row; strings and the blob live in one arena (len -1: NULL). */
typedef struct jrow {
  int64_t seq, now, i[3];
  int32_t engine, op;
  uint32_t off[5];
  int32_t len[5]; /* s0..s3, extra */
  uint8_t inull;  /* bit k: i[k] is NULL */
} jrow;

typedef struct rowset {
  jrow *r;
  size_t n, cap;
  char *arena;
  size_t used, acap;
  char **schema; /* the store's CREATE statements, in order */
  size_t n_schema;
  int synchronous, page_size;
} rowset;

static void rowset_free(rowset *rs)
{
  free(rs->r);
  free(rs->arena);
  for (size_t k = 0; k < rs->n_schema; k++)
    free(rs->schema[k]);
  free(rs->schema);
  memset(rs, 0, sizeof *rs);
}

static int arena_put(rowset *rs, const void *p, size_t n, uint32_t *off)
{
  if (rs->used + n > rs->acap) {
    size_t cap = rs->acap ? rs->acap : 1 << 20;
    while (cap < rs->used + n)
      cap *= 2;
    char *a = realloc(rs->arena, cap);
    if (!a)
      return -1;
    rs->arena = a;
    rs->acap = cap;
  }
  memcpy(rs->arena + rs->used, p, n);
  *off = (uint32_t)rs->used;
  rs->used += n;
  return 0;
}

/* Reads the store file's schema, its `synchronous` and page size, and every journal row.
 * `synchronous` is per connection and not stored: it is passed in (what the store uses
 * in the mode measured). */
static int read_rows(const char *path, int synchronous, rowset *rs)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  int ok = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK;
  rs->synchronous = synchronous;
  if (ok && sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    rs->page_size = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  st = NULL;
  ok = ok && sqlite3_prepare_v2(db,
                                "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL "
                                "ORDER BY rowid",
                                -1, &st, NULL) == SQLITE_OK;
  while (ok && sqlite3_step(st) == SQLITE_ROW) {
    char **v = realloc(rs->schema, (rs->n_schema + 1) * sizeof *v);
    ok = v != NULL;
    if (ok) {
      rs->schema = v;
      const char *sql = (const char *)sqlite3_column_text(st, 0);
      ok = (v[rs->n_schema] = strdup(sql ? sql : "")) != NULL;
      rs->n_schema += ok;
    }
  }
  sqlite3_finalize(st);
  st = NULL;
  ok = ok && sqlite3_prepare_v2(db,
                                "SELECT seq, engine, op, now, s0, s1, s2, s3, i0, i1, i2, "
                                "extra FROM journal ORDER BY seq",
                                -1, &st, NULL) == SQLITE_OK;
  int rc = SQLITE_DONE;
  while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (rs->n == rs->cap) {
      size_t cap = rs->cap ? rs->cap * 2 : 65536;
      jrow *r = realloc(rs->r, cap * sizeof *r);
      if (!r) {
        ok = 0;
        break;
      }
      rs->r = r;
      rs->cap = cap;
    }
    jrow *w = &rs->r[rs->n++];
    memset(w, 0, sizeof *w);
    w->seq = sqlite3_column_int64(st, 0);
    w->engine = sqlite3_column_int(st, 1);
    w->op = sqlite3_column_int(st, 2);
    w->now = sqlite3_column_int64(st, 3);
    for (int k = 0; k < 5; k++) {
      int col = k < 4 ? 4 + k : 11;
      if (sqlite3_column_type(st, col) == SQLITE_NULL) {
        w->len[k] = -1;
        continue;
      }
      const void *p = k < 4 ? (const void *)sqlite3_column_text(st, col)
                            : sqlite3_column_blob(st, col);
      size_t n = (size_t)sqlite3_column_bytes(st, col);
      w->len[k] = (int32_t)n;
      if (arena_put(rs, p ? p : "", n, &w->off[k]) != 0) {
        ok = 0;
        break;
      }
    }
    for (int k = 0; k < 3; k++) {
      if (sqlite3_column_type(st, 8 + k) == SQLITE_NULL)
        w->inull |= (uint8_t)(1u << k);
      else
        w->i[k] = sqlite3_column_int64(st, 8 + k);
    }
  }
  ok = ok && rc == SQLITE_DONE;
  if (!ok)
    fprintf(stderr, "journal: cannot read the store file back: %s\n",
            db ? sqlite3_errmsg(db) : "out of memory");
  sqlite3_finalize(st);
  sqlite3_close(db);
  return ok ? 0 : -1;
}

/* A fresh file with the store's schema and the engines' rows, set up as the store sets
 * up its own (WAL, page size, synchronous). */
static sqlite3 *plain_open(const char *path, const rowset *rs, const char *engines_from)
{
  sqlite3 *db = NULL;
  char sql[512];
  int ok = sqlite3_open(path, &db) == SQLITE_OK;
  snprintf(sql, sizeof sql, "PRAGMA page_size = %d", rs->page_size);
  ok = ok && sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
  ok = ok && sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) == SQLITE_OK;
  snprintf(sql, sizeof sql, "PRAGMA synchronous = %d", rs->synchronous);
  ok = ok && sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
  for (size_t k = 0; ok && k < rs->n_schema; k++)
    ok = sqlite3_exec(db, rs->schema[k], NULL, NULL, NULL) == SQLITE_OK;
  if (ok) {
    sqlite3_stmt *st = NULL;
    ok = sqlite3_prepare_v2(db, "ATTACH ?1 AS src", -1, &st, NULL) == SQLITE_OK &&
         sqlite3_bind_text(st, 1, engines_from, -1, SQLITE_STATIC) == SQLITE_OK &&
         sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    ok = ok &&
         sqlite3_exec(db, "INSERT INTO engines SELECT * FROM src.engines", NULL, NULL, NULL) ==
             SQLITE_OK &&
         sqlite3_exec(db, "DETACH src", NULL, NULL, NULL) == SQLITE_OK;
  }
  if (!ok) {
    fprintf(stderr, "journal: plain file: %s\n", db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return NULL;
  }
  return db;
}

static int bind_row(sqlite3_stmt *ins, const rowset *rs, const jrow *w)
{
  int rc = sqlite3_reset(ins);
  rc |= sqlite3_bind_int64(ins, 1, w->seq);
  rc |= sqlite3_bind_int(ins, 2, w->engine);
  rc |= sqlite3_bind_int(ins, 3, w->op);
  rc |= sqlite3_bind_int64(ins, 4, w->now);
  for (int k = 0; k < 4; k++)
    rc |= w->len[k] < 0 ? sqlite3_bind_null(ins, 5 + k)
                        : sqlite3_bind_text(ins, 5 + k, rs->arena + w->off[k], w->len[k],
                                            SQLITE_STATIC);
  for (int k = 0; k < 3; k++)
    rc |= w->inull & (1u << k) ? sqlite3_bind_null(ins, 9 + k)
                               : sqlite3_bind_int64(ins, 9 + k, w->i[k]);
  rc |= w->len[4] < 0 ? sqlite3_bind_null(ins, 12)
                      : sqlite3_bind_blob(ins, 12, rs->arena + w->off[4], w->len[4],
                                          SQLITE_STATIC);
  return rc;
}

/* Inserts rows [0, n) in transactions of `group` rows (1: autocommit, one row each).
 * Returns the seconds it took, or -1. */
static double plain_insert(sqlite3 *db, const rowset *rs, size_t n, size_t group)
{
  sqlite3_stmt *ins = NULL;
  if (sqlite3_prepare_v2(db,
                         "INSERT INTO journal(seq, engine, op, now, s0, s1, s2, s3, i0, i1, "
                         "i2, extra) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                         -1, &ins, NULL) != SQLITE_OK) {
    fprintf(stderr, "journal: plain insert: %s\n", sqlite3_errmsg(db));
    return -1;
  }
  int ok = 1;
  uint64_t t0 = bench_now_ns();
  for (size_t k = 0; ok && k < n; k += group) {
    size_t end = k + group < n ? k + group : n;
    if (group > 1)
      ok = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
    for (size_t r = k; ok && r < end; r++)
      ok = bind_row(ins, rs, &rs->r[r]) == SQLITE_OK && sqlite3_step(ins) == SQLITE_DONE;
    if (ok && group > 1)
      ok = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
  }
  double s = (double)(bench_now_ns() - t0) / 1e9;
  if (!ok)
    fprintf(stderr, "journal: plain insert: %s\n", sqlite3_errmsg(db));
  sqlite3_finalize(ins);
  return ok ? s : -1;
}

static int64_t count_rows(const char *path, int64_t *max_seq)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  int64_t n = -1;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(db, "SELECT count(*), coalesce(max(seq), 0) FROM journal", -1, &st,
                         NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    n = sqlite3_column_int64(st, 0);
    *max_seq = sqlite3_column_int64(st, 1);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

/* ---- the disk's own fsync rate ------------------------------------------------------ */

static double fsync_rate(const char *dir, size_t n)
{
  char path[4200];
  if (snprintf(path, sizeof path, "%s/fsync-probe", dir) >= (int)sizeof path)
    return -1;
  int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
  if (fd < 0)
    return -1;
  char block[4096];
  memset(block, 0x5a, sizeof block);
  int ok = 1;
  uint64_t t0 = bench_now_ns();
  /* Appending, as a WAL does: each sync also writes the file's new size. */
  for (size_t k = 0; ok && k < n; k++)
    ok = pwrite(fd, block, sizeof block, (off_t)(k * sizeof block)) == (ssize_t)sizeof block &&
         fdatasync(fd) == 0;
  double s = (double)(bench_now_ns() - t0) / 1e9;
  close(fd);
  unlink(path);
  return ok ? (double)n / s : -1;
}

/* ---- the scenario ------------------------------------------------------------------- */

static int store_engine(const bench_ctx *ctx, const char *path, bench_jdrv *d,
                        ccenter_store **st, ccenter_engine **e)
{
  ccenter_options *o = bench_options(ctx);
  int rc = o ? ccenter_options_set_event_callback(o, bench_jdrv_on_event, d) : CCENTER_ENOMEM;
  rc = rc ? rc : ccenter_store_open(path, NULL, st);
  rc = rc ? rc : ccenter_store_set_durability(*st, CCENTER_DURABILITY_GROUPED, 60000, GROUP);
  rc = rc ? rc : ccenter_store_engine_new(*st, "bench", o, d->now, e);
  ccenter_options_free(o);
  if (rc != 0)
    fprintf(stderr, "journal: store set-up failed: %s\n", ccenter_strerror(rc));
  return rc;
}

static int run(const bench_ctx *ctx)
{
  const uint64_t n_inputs = ctx->quick ? 30000 : 1000000;
  const uint64_t n_full = ctx->quick ? 100 : 2000;
  char dir[4096], path[4200], plain[4200];
  int rc = 1;
  rowset rs = {0};
  bench_samples lat = {0};
  ccenter_store *st = NULL;
  ccenter_engine *e = NULL;
  sqlite3 *db = NULL;
  if (bench_store_dir(dir, sizeof dir) != 0)
    return 1;
  snprintf(path, sizeof path, "%s/store.db", dir);
  snprintf(plain, sizeof plain, "%s/plain.db", dir);

  /* 1. The engine alone. */
  bench_jdrv d;
  bench_jdrv_init(&d, ctx->seed, T0);
  {
    ccenter_options *o = bench_options(ctx);
    if (!o || ccenter_options_set_event_callback(o, bench_jdrv_on_event, &d) ||
        ccenter_engine_new(o, d.now, &e) || bench_jdrv_setup(&d, e)) {
      fprintf(stderr, "journal: engine set-up failed\n");
      ccenter_options_free(o);
      goto out;
    }
    ccenter_options_free(o);
  }
  uint64_t setup_inputs = d.inputs;
  uint64_t t0 = bench_now_ns();
  double c0 = bench_cpu_s();
  if (bench_jdrv_run(&d, n_inputs) != 0)
    goto out;
  double engine_s = (double)(bench_now_ns() - t0) / 1e9;
  double engine_cpu = bench_cpu_s() - c0;
  uint64_t engine_inputs = d.inputs - setup_inputs;
  ccenter_engine_free(e);
  e = NULL;

  /* 2. GROUPED. */
  if (bench_samples_init(&lat, n_inputs / BENCH_JDRV_SAMPLE_EVERY + 64) != 0)
    goto out;
  bench_jdrv_init(&d, ctx->seed, T0);
  if (store_engine(ctx, path, &d, &st, &e) != 0 || bench_jdrv_setup(&d, e) != 0 ||
      ccenter_store_flush(st) != 0)
    goto out;
  ccenter_store_info i0 = {.size = sizeof i0}, i1 = {.size = sizeof i1};
  ccenter_store_info_get(st, &i0);
  d.lat = &lat;
  uint64_t f0 = bench_minflt();
  t0 = bench_now_ns();
  c0 = bench_cpu_s();
  if (bench_jdrv_run(&d, n_inputs) != 0)
    goto out;
  int frc = ccenter_store_flush(st);
  double grouped_s = (double)(bench_now_ns() - t0) / 1e9;
  double grouped_cpu = bench_cpu_s() - c0;
  uint64_t flt = bench_minflt() - f0;
  d.lat = NULL;
  ccenter_store_info_get(st, &i1);
  uint64_t grouped_inputs = d.inputs - setup_inputs;
  if (frc != 0) {
    fprintf(stderr, "journal: flush failed: %s\n", ccenter_strerror(frc));
    goto out;
  }

  /* 4. FULL, on from where GROUPED stopped. */
  ccenter_store_info i2 = {.size = sizeof i2}, i3 = {.size = sizeof i3};
  if ((frc = ccenter_store_set_durability(st, CCENTER_DURABILITY_FULL, 0, 0)) != 0) {
    fprintf(stderr, "journal: FULL: %s\n", ccenter_strerror(frc));
    goto out;
  }
  ccenter_store_info_get(st, &i2);
  uint64_t before_full = d.inputs;
  t0 = bench_now_ns();
  if (bench_jdrv_run(&d, d.inputs + n_full) != 0)
    goto out;
  double full_s = (double)(bench_now_ns() - t0) / 1e9;
  ccenter_store_info_get(st, &i3);
  uint64_t full_inputs = d.inputs - before_full;
  uint64_t total_inputs = d.inputs;
  ccenter_engine_free(e);
  e = NULL;
  if ((frc = ccenter_store_close(st)) != 0) {
    st = NULL;
    fprintf(stderr, "journal: close failed: %s\n", ccenter_strerror(frc));
    goto out;
  }
  st = NULL;
  int64_t max_seq = 0;
  int64_t stored = count_rows(path, &max_seq);
  if (stored != (int64_t)total_inputs || max_seq != stored) {
    fprintf(stderr, "journal: the file holds %lld records (last seq %lld), not %llu\n",
            (long long)stored, (long long)max_seq, (unsigned long long)total_inputs);
    goto out;
  }

  /* 3. and 5. Plain SQLite, the same rows (the contacts' ones, after the set-up). */
  if (read_rows(path, 2 /* FULL: a group's commit is synced */, &rs) != 0)
    goto out;
  rowset body = rs;
  body.r = rs.r + setup_inputs;
  body.n = grouped_inputs;
  if (!(db = plain_open(plain, &rs, path)))
    goto out;
  c0 = bench_cpu_s();
  double plain_s = plain_insert(db, &body, body.n, GROUP);
  double plain_cpu = bench_cpu_s() - c0;
  sqlite3_close(db);
  db = NULL;
  bench_store_unlink(plain);
  if (plain_s < 0)
    goto out;
  if (!(db = plain_open(plain, &rs, path)))
    goto out;
  double plain_full_s = plain_insert(db, &body, n_full, 1);
  sqlite3_close(db);
  db = NULL;
  bench_store_unlink(plain);
  if (plain_full_s < 0)
    goto out;

  /* 6. The disk. */
  double fsyncs = fsync_rate(dir, n_full);

  double grouped = (double)grouped_inputs / grouped_s;
  double plain_rate = (double)grouped_inputs / plain_s;
  bench_json j;
  bench_json_begin(&j, "journal");
  bench_json_uint(&j, "inputs", grouped_inputs);
  bench_json_double(&j, "ops_per_s", grouped);
  bench_json_uint(&j, "p50_ns", bench_percentile(&lat, 50));
  bench_json_uint(&j, "p99_ns", bench_percentile(&lat, 99));
  bench_json_uint(&j, "p999_ns", bench_percentile(&lat, 99.9));
  bench_json_uint(&j, "max_ns", bench_percentile(&lat, 100));
  bench_json_uint(&j, "rss_bytes", bench_rss_bytes());
  bench_json_uint(&j, "minflt_timed", flt);
  bench_json_double(&j, "engine_inputs_per_s", (double)engine_inputs / engine_s);
  bench_json_double(&j, "engine_cpu_share", engine_cpu / engine_s);
  bench_json_double(&j, "grouped_inputs_per_s", grouped);
  bench_json_double(&j, "grouped_cpu_share", grouped_cpu / grouped_s);
  bench_json_uint(&j, "group", GROUP);
  bench_json_uint(&j, "grouped_commits", i1.commits - i0.commits);
  bench_json_double(&j, "plain_grouped_rows_per_s", plain_rate);
  bench_json_double(&j, "plain_grouped_cpu_share", plain_cpu / plain_s);
  bench_json_double(&j, "grouped_ratio", grouped / plain_rate);
  bench_json_uint(&j, "full_inputs", full_inputs);
  bench_json_double(&j, "full_inputs_per_s", (double)full_inputs / full_s);
  bench_json_double(&j, "full_syncs_per_s", (double)(i3.syncs - i2.syncs) / full_s);
  bench_json_double(&j, "plain_full_rows_per_s", (double)n_full / plain_full_s);
  bench_json_double(&j, "full_ratio", ((double)full_inputs / full_s) / ((double)n_full / plain_full_s));
  bench_json_double(&j, "disk_fsyncs_per_s", fsyncs);
  bench_json_uint(&j, "file_bytes", i3.file_bytes);
  bench_json_double(&j, "bytes_per_record", (double)i3.file_bytes / (double)total_inputs);
  bench_json_end(&j);
  rc = 0;
out:
  if (db)
    sqlite3_close(db);
  ccenter_engine_free(e);
  if (st)
    ccenter_store_close(st);
  rowset_free(&rs);
  bench_samples_free(&lat);
  bench_store_unlink(path);
  bench_store_unlink(plain);
  rmdir(dir);
  return rc;
}

BENCH_SCENARIO(journal, "journaled inputs/s, GROUPED and FULL, against plain SQLite inserts",
               run);
