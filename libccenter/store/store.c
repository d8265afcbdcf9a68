/*
 * The durable store: the engines' write-ahead journal in SQLite (ccenter/store.h,
 * docs/store.md).
 *
 * An adapter: it hooks the engines' write-ahead functions (cc_engine_set_wal,
 * cc_cases_set_wal) and the engines know nothing of it. Each input becomes one pending row
 * (a copy in the store's arena: the engine's pointers live only during the hook); rows are
 * committed as one SQLite transaction at once (FULL, MEMORY, every case-engine input) or
 * per group (GROUPED). Keeping the rows until their commit succeeded is what lets a failed
 * group be written again by ccenter_store_flush(): SQLite rolls a transaction back on an
 * I/O error, so the copy is the only one.
 *
 * The file is SQLite's own (WAL mode, locking_mode EXCLUSIVE so that one process holds it);
 * the schema is below and in docs/store.md.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acd/observer.h"
#include "core/util.h"
#include "store/store_int.h"

/* ---- schema and migrations ---------------------------------------------------------- */

const char cc_store_schema_v1[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE engines(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " kind TEXT NOT NULL CHECK (kind IN ('routing','cases')),"
    " created_now INTEGER NOT NULL);"
    "CREATE TABLE journal(seq INTEGER PRIMARY KEY,"
    " engine INTEGER NOT NULL REFERENCES engines(id),"
    " op INTEGER NOT NULL, now INTEGER NOT NULL,"
    " s0 TEXT, s1 TEXT, s2 TEXT, s3 TEXT,"
    " i0 INTEGER, i1 INTEGER, i2 INTEGER,"
    " extra BLOB);"
    "CREATE TABLE audit(engine INTEGER NOT NULL REFERENCES engines(id), seq INTEGER NOT NULL,"
    " time INTEGER NOT NULL, line TEXT NOT NULL, PRIMARY KEY (engine, seq)) WITHOUT ROWID;";

/* Version 2: snapshots, and how far retention has shortened each engine's journal. */
static const char schema_v2[] =
    "CREATE TABLE snapshots(id INTEGER PRIMARY KEY,"
    " engine INTEGER NOT NULL REFERENCES engines(id),"
    " seq INTEGER NOT NULL, now INTEGER NOT NULL, format INTEGER NOT NULL,"
    " library TEXT NOT NULL, state BLOB NOT NULL, UNIQUE (engine, seq));"
    "ALTER TABLE engines ADD COLUMN pruned_through INTEGER NOT NULL DEFAULT 0;";

/* The snapshot blob's format (core/snap.h and the engines' snapshot codecs); verify's SQL
 * says 1 too. */
#define SNAP_FORMAT 1

/* From version `from` to from + 1, run in the opening transaction in order. Version 0 is
 * an empty file. */
static const struct migration {
  int from;
  const char *sql;
} migrations[] = {
    {0, cc_store_schema_v1},
    {1, schema_v2},
};

/* ---- the store ------------------------------------------------------------------------ */

typedef enum rowkind { ROW_ROUTING, ROW_CASES, ROW_AUDIT } rowkind;

/* A pending row. Strings and the blob are offsets + 1 into the arena (0: NULL), as the
 * arena moves when it grows. An audit row keeps its seq in i[0], its time in now and its
 * line in s[0]. */
typedef struct prow {
  int64_t seq, engine, now, i[3];
  size_t s[4], slen[4];
  size_t extra, extra_len;
  size_t start; /* the arena's length before this row: dropping it truncates there */
  int op;
  rowkind kind;
} prow;

/* One engine journaled through the store. Freed when the engine is freed (the routing
 * engine's observer, the case engine's tap) or the store is closed, whichever is first. */
typedef struct slink {
  ccenter_store *st;
  struct slink *prev, *next;
  int64_t id;
  int cases;
  void *eng;
  int replaying;       /* recovery: audit records up to audit_seen are stored already */
  uint64_t audit_seen;
} slink;

struct ccenter_store {
  sqlite3 *db;
  cc_alloc alloc;
  cc_log log;
  char *path;
  /* Set at open and never changed: ccenter_store_sync() reads them from another thread. */
  char *wal_path, *dir_path;
  sqlite3_stmt *ins_j, *ins_a, *begin, *commit, *rollback;
  ccenter_durability mode;
  int64_t max_ms;
  uint32_t max_records;
  int schema;
  int64_t next_seq;  /* the next journal row's seq */
  int64_t committed; /* journal rows in the file */
  prow *rows;
  size_t n_rows, cap_rows;
  size_t n_jrows; /* journal rows among the pending ones */
  int64_t first_now;
  cc_xbuf arena;
  uint64_t commits, syncs;
  int failed, last_error;
  slink *links;
  unsigned keep;     /* retention: snapshots kept per engine, 0 all */
  int archive;       /* retention copies records to the attached database `archive` */
  uint64_t removed;  /* journal records removed by retention since opened */
};

#define DEFAULT_MAX_MS 100
#define DEFAULT_MAX_RECORDS 10000

static int map_sqlite(int rc)
{
  switch (rc & 0xff) {
  case SQLITE_OK:
  case SQLITE_DONE:
  case SQLITE_ROW:
    return 0;
  case SQLITE_FULL:
    return CCENTER_ENOSPC;
  case SQLITE_NOMEM:
    return CCENTER_ENOMEM;
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return CCENTER_EBUSY;
  case SQLITE_NOTADB:
  case SQLITE_CORRUPT:
    return CCENTER_ECORRUPT;
  default:
    return CCENTER_EIO;
  }
}

static int fail(ccenter_store *st, int rc, const char *what)
{
  int err = map_sqlite(rc);
  if (err) {
    cc_logf(&st->log, CCENTER_LOG_ERROR, "store %s: %s: %s", st->path, what,
            st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
  }
  return err;
}

static int exec(ccenter_store *st, const char *sql)
{
  int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
  return rc == SQLITE_OK ? 0 : fail(st, rc, sql);
}

/* Steps a statement that returns no rows, and resets it. */
static int run(sqlite3_stmt *s)
{
  int rc = sqlite3_step(s);
  sqlite3_reset(s);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* One integer from a query of one column (def when it returns no row or NULL). */
/* The first column of the first row of sql (def when there is none, or NULL); a `?` in
 * sql is bound to `id`. */
static int query_int_id(ccenter_store *st, const char *sql, int64_t id, int64_t def,
                        int64_t *out)
{
  sqlite3_stmt *s;
  int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
  if (rc != SQLITE_OK)
    return fail(st, rc, sql);
  if (sqlite3_bind_parameter_count(s) > 0)
    sqlite3_bind_int64(s, 1, id);
  rc = sqlite3_step(s);
  *out = rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL ? sqlite3_column_int64(s, 0)
                                                                       : def;
  sqlite3_finalize(s);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(st, rc, sql);
}

static int query_int(ccenter_store *st, const char *sql, int64_t def, int64_t *out)
{
  return query_int_id(st, sql, 0, def, out);
}

/* ---- pending rows ---------------------------------------------------------------------- */

static int arena_put(ccenter_store *st, const void *p, size_t n, size_t *off)
{
  cc_xbuf *a = &st->arena;
  if (a->len + n + 1 > a->cap && cc_grow(&st->alloc, (void **)&a->p, &a->cap, a->len + n + 1, 1))
    return CCENTER_ENOMEM;
  if (n)
    memcpy(a->p + a->len, p, n);
  a->p[a->len + n] = 0;
  *off = a->len + 1;
  a->len += n + 1;
  return 0;
}

static int row_str(ccenter_store *st, prow *r, int k, const char *s, size_t n)
{
  r->s[k] = 0;
  r->slen[k] = n;
  return s ? arena_put(st, s, n, &r->s[k]) : 0;
}

static prow *row_new(ccenter_store *st, rowkind kind, int64_t engine, int op, int64_t now)
{
  if (cc_grow(&st->alloc, (void **)&st->rows, &st->cap_rows, st->n_rows + 1, sizeof *st->rows))
    return NULL;
  prow *r = &st->rows[st->n_rows++];
  memset(r, 0, sizeof *r);
  r->kind = kind;
  r->engine = engine;
  r->op = op;
  r->now = now;
  r->start = st->arena.len;
  if (kind != ROW_AUDIT) {
    if (!st->n_jrows)
      st->first_now = now;
    st->n_jrows++;
    r->seq = st->next_seq++;
  }
  return r;
}

/* Drops the last pending row (an input refused). */
static void row_drop(ccenter_store *st)
{
  prow *r = &st->rows[--st->n_rows];
  st->arena.len = r->start;
  if (r->kind != ROW_AUDIT) {
    st->n_jrows--;
    st->next_seq--;
  }
}

static void bind_text(sqlite3_stmt *s, int col, const ccenter_store *st, size_t off, size_t n)
{
  if (off)
    sqlite3_bind_text(s, col, (const char *)st->arena.p + off - 1, (int)n, SQLITE_STATIC);
  else
    sqlite3_bind_null(s, col);
}

static int insert_row(ccenter_store *st, const prow *r)
{
  sqlite3_stmt *s;
  if (r->kind == ROW_AUDIT) {
    s = st->ins_a;
    sqlite3_bind_int64(s, 1, r->engine);
    sqlite3_bind_int64(s, 2, r->i[0]);
    sqlite3_bind_int64(s, 3, r->now);
    bind_text(s, 4, st, r->s[0], r->slen[0]);
    return run(s);
  }
  s = st->ins_j;
  sqlite3_bind_int64(s, 1, r->seq);
  sqlite3_bind_int64(s, 2, r->engine);
  sqlite3_bind_int(s, 3, r->op);
  sqlite3_bind_int64(s, 4, r->now);
  for (int k = 0; k < 4; k++)
    bind_text(s, 5 + k, st, r->s[k], r->slen[k]);
  for (int k = 0; k < 3; k++)
    if (r->kind == ROW_CASES && k > 0)
      sqlite3_bind_null(s, 9 + k);
    else
      sqlite3_bind_int64(s, 9 + k, r->i[k]);
  if (r->extra)
    sqlite3_bind_blob(s, 12, st->arena.p + r->extra - 1, (int)r->extra_len, SQLITE_STATIC);
  else
    sqlite3_bind_null(s, 12);
  return run(s);
}

/* Writes every pending row in one transaction. On failure the rows stay pending (SQLite
 * rolled the transaction back, or we do) for the next attempt. */
static int commit_pending(ccenter_store *st)
{
  if (!st->n_rows)
    return 0;
  int rc = run(st->begin);
  for (size_t i = 0; rc == SQLITE_OK && i < st->n_rows; i++)
    rc = insert_row(st, &st->rows[i]);
  if (rc == SQLITE_OK)
    rc = run(st->commit);
  if (rc != SQLITE_OK) {
    int err = fail(st, rc, "commit");
    if (!sqlite3_get_autocommit(st->db))
      (void)run(st->rollback);
    st->last_error = err;
    return err;
  }
  st->committed += (int64_t)st->n_jrows;
  st->n_rows = st->n_jrows = 0;
  st->arena.len = 0;
  st->commits++;
  if (st->mode == CCENTER_DURABILITY_FULL || st->mode == CCENTER_DURABILITY_GROUPED)
    st->syncs++;
  return 0;
}

/* A commit that leaves journal rows pending leaves the engines ahead of the file: refuse
 * every later input until a flush writes them. */
static int commit_or_fail(ccenter_store *st)
{
  int rc = commit_pending(st);
  if (rc && st->n_jrows)
    st->failed = 1;
  return rc;
}

/* The input just added is in; commit now if the mode says so. A commit that fails refuses
 * this input (its row is dropped: the call fails and changes nothing). */
static int row_done(ccenter_store *st, const prow *r, int always)
{
  int now = always || st->mode != CCENTER_DURABILITY_GROUPED || st->n_jrows >= st->max_records ||
            r->now - st->first_now >= st->max_ms;
  if (!now)
    return 0;
  int rc = commit_pending(st);
  if (rc) {
    row_drop(st);
    if (st->n_jrows)
      st->failed = 1;
  }
  return rc;
}

/* ---- the write-ahead hooks -------------------------------------------------------------- */

static int wal_routing(void *ud, const cc_jrec *r)
{
  slink *l = ud;
  ccenter_store *st = l->st;
  if (st->failed)
    return CCENTER_EIO;
  prow *row = row_new(st, ROW_ROUTING, l->id, r->op, r->now);
  if (!row)
    return CCENTER_ENOMEM;
  int rc = 0;
  for (int k = 0; k < 3 && !rc; k++) {
    row->i[k] = r->i[k];
    rc = row_str(st, row, k, r->s[k], r->s[k] ? strlen(r->s[k]) : 0);
  }
  cc_xkind xk = cc_rec_extra_kind(0, r->op);
  if (!rc && xk) {
    size_t at = st->arena.len;
    st->arena.alloc = &st->alloc;
    rc = xk == CC_X_PARAMS ? cc_rec_put_params(&st->arena, r->params)
                           : cc_rec_put_thresholds(&st->arena, r->arr, r->n_arr);
    row->extra = at + 1;
    row->extra_len = st->arena.len - at;
  }
  if (rc) {
    row_drop(st);
    return rc;
  }
  return row_done(st, row, 0);
}

static int wal_cases(void *ud, const cc_case_jrec *r)
{
  slink *l = ud;
  ccenter_store *st = l->st;
  if (st->failed)
    return CCENTER_EIO;
  prow *row = row_new(st, ROW_CASES, l->id, r->op, r->now);
  if (!row)
    return CCENTER_ENOMEM;
  int rc = 0;
  row->i[0] = r->i;
  for (int k = 0; k < 4 && !rc; k++)
    rc = row_str(st, row, k, r->s[k], r->s[k] ? strlen(r->s[k]) : 0);
  if (!rc && cc_rec_extra_kind(1, r->op)) {
    size_t at = st->arena.len;
    st->arena.alloc = &st->alloc;
    rc = cc_rec_put_evidence(&st->arena, r->evidence, r->n_evidence);
    row->extra = at + 1;
    row->extra_len = st->arena.len - at;
  }
  if (rc) {
    row_drop(st);
    return rc;
  }
  /* Case inputs are always committed before the call goes on. */
  return row_done(st, row, 1);
}

static void tap_audit(void *ud, const ccenter_audit_record *a)
{
  slink *l = ud;
  ccenter_store *st = l->st;
  if (l->replaying && a->seq <= l->audit_seen)
    return;
  prow *row = row_new(st, ROW_AUDIT, l->id, 0, a->time);
  if (!row || row_str(st, row, 0, a->line, a->len)) {
    if (row)
      row_drop(st);
    st->last_error = CCENTER_ENOMEM;
    cc_logf(&st->log, CCENTER_LOG_ERROR,
            "store %s: no memory for audit record %llu (recovery writes it again)", st->path,
            (unsigned long long)a->seq);
    return;
  }
  row->i[0] = (int64_t)a->seq;
}

/* The audit records of a case input, committed as soon as the call made them (a failure
 * keeps them pending; recovery writes any that are missing, from the journal). */
static void tap_done(void *ud, int rc)
{
  (void)rc;
  slink *l = ud;
  if (l->st->n_rows)
    (void)commit_or_fail(l->st);
}

static void link_unlink(slink *l)
{
  ccenter_store *st = l->st;
  if (l->prev)
    l->prev->next = l->next;
  else
    st->links = l->next;
  if (l->next)
    l->next->prev = l->prev;
  cc_free(&st->alloc, l);
}

static void tap_gone(void *ud)
{
  link_unlink(ud);
}

static const cc_cases_tap store_tap = {tap_audit, tap_done, tap_gone};

static void obs_event(void *ud, ccenter_engine *e, const cc_obs_event *ev)
{
  (void)ud;
  (void)e;
  (void)ev;
}

static void obs_destroy(void *ud)
{
  link_unlink(ud);
}

static const cc_observer store_obs = {.on_event = obs_event, .destroy = obs_destroy};

static slink *link_new(ccenter_store *st, int64_t id, int cases, void *eng)
{
  slink *l = cc_calloc(&st->alloc, 1, sizeof *l);
  if (!l)
    return NULL;
  l->st = st;
  l->id = id;
  l->cases = cases;
  l->eng = eng;
  l->next = st->links;
  if (st->links)
    st->links->prev = l;
  st->links = l;
  return l;
}

static void link_detach(slink *l)
{
  if (l->cases) {
    cc_cases_set_wal(l->eng, NULL, NULL);
    cc_cases_set_tap(l->eng, NULL, NULL);
  } else {
    cc_engine_set_wal(l->eng, NULL, NULL);
    cc_engine_remove_observer(l->eng, &store_obs, l);
  }
  link_unlink(l);
}

/* ---- open and close ------------------------------------------------------------------- */

static int prepare(ccenter_store *st, sqlite3_stmt **s, const char *sql)
{
  int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, s, NULL);
  if (rc == SQLITE_OK)
    return 0;
  /* A statement over the schema's own tables that does not prepare: not our schema. */
  int err = fail(st, rc, sql);
  return err == CCENTER_EIO ? CCENTER_ECORRUPT : err;
}

static void finalize_all(ccenter_store *st)
{
  sqlite3_finalize(st->ins_j);
  sqlite3_finalize(st->ins_a);
  sqlite3_finalize(st->begin);
  sqlite3_finalize(st->commit);
  sqlite3_finalize(st->rollback);
  st->ins_j = st->ins_a = st->begin = st->commit = st->rollback = NULL;
}

static void store_free(ccenter_store *st)
{
  while (st->links)
    link_detach(st->links);
  finalize_all(st);
  if (st->db)
    sqlite3_close(st->db);
  cc_free(&st->alloc, st->rows);
  cc_free(&st->alloc, st->arena.p);
  cc_free(&st->alloc, st->path);
  cc_free(&st->alloc, st->wal_path);
  cc_free(&st->alloc, st->dir_path);
  cc_alloc a = st->alloc;
  cc_free(&a, st);
}

/* The five tables are there (a foreign database, or one that lost them, is not ours). */
static int check_tables(ccenter_store *st)
{
  int64_t n;
  int rc = query_int(st,
                     "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN "
                     "('meta','engines','journal','audit','snapshots')",
                     0, &n);
  if (rc)
    return rc;
  if (n != 5) {
    cc_logf(&st->log, CCENTER_LOG_ERROR, "store %s: not a libccenter store (tables missing)",
            st->path);
    return CCENTER_ECORRUPT;
  }
  return 0;
}

/* In the opening transaction: the schema's version, checked and migrated forward. */
static int migrate(ccenter_store *st)
{
  int64_t v;
  int rc = query_int(st, "PRAGMA user_version", 0, &v);
  if (rc)
    return rc;
  if (v > CCENTER_STORE_SCHEMA) {
    cc_logf(&st->log, CCENTER_LOG_ERROR,
            "store %s: schema %lld is newer than this library's (%d)", st->path, (long long)v,
            CCENTER_STORE_SCHEMA);
    return CCENTER_ENEWER;
  }
  if (v < 0)
    return CCENTER_ECORRUPT;
  if (v == 0) {
    int64_t n;
    if ((rc = query_int(st, "SELECT count(*) FROM sqlite_master", 0, &n)) != 0)
      return rc;
    if (n) {
      cc_logf(&st->log, CCENTER_LOG_ERROR,
              "store %s: a database that is not a libccenter store", st->path);
      return CCENTER_ECORRUPT;
    }
  }
  for (size_t i = 0; i < sizeof migrations / sizeof *migrations; i++) {
    if (migrations[i].from != v)
      continue;
    char sql[64];
    if ((rc = exec(st, migrations[i].sql)) != 0)
      return rc;
    snprintf(sql, sizeof sql, "PRAGMA user_version=%d", migrations[i].from + 1);
    if ((rc = exec(st, sql)) != 0)
      return rc;
    v = migrations[i].from + 1;
  }
  if (v != CCENTER_STORE_SCHEMA)
    return CCENTER_ECORRUPT;
  st->schema = (int)v;
  if ((rc = check_tables(st)) != 0)
    return rc;
  sqlite3_stmt *s;
  if ((rc = prepare(st, &s, "INSERT OR REPLACE INTO meta(key, value) VALUES('library', ?)")))
    return rc;
  sqlite3_bind_text(s, 1, ccenter_version_string(), -1, SQLITE_STATIC);
  /* Only when the file is new: the row says which library created it. */
  int64_t have;
  rc = query_int(st, "SELECT count(*) FROM meta WHERE key='library'", 0, &have);
  if (!rc && !have)
    rc = fail(st, run(s), "meta");
  sqlite3_finalize(s);
  return rc;
}

static int open_db(ccenter_store *st, const char *vfs)
{
  int rc = sqlite3_open_v2(st->path, &st->db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, vfs);
  if (rc != SQLITE_OK) {
    cc_logf(&st->log, CCENTER_LOG_ERROR, "store %s: cannot open: %s", st->path,
            st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
    return rc == SQLITE_NOMEM ? CCENTER_ENOMEM : CCENTER_EIO;
  }
  sqlite3_extended_result_codes(st->db, 1);
  /* EXCLUSIVE: one process holds the file from the first access on (others get BUSY), and
   * the WAL index lives in this process's memory rather than a shared -shm file. */
  if ((rc = exec(st, "PRAGMA locking_mode=EXCLUSIVE")) != 0)
    return rc;
  sqlite3_stmt *s;
  rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode=WAL", -1, &s, NULL);
  if (rc != SQLITE_OK)
    return fail(st, rc, "journal_mode");
  rc = sqlite3_step(s);
  int wal = rc == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(s, 0), "wal");
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW)
    return fail(st, rc, "PRAGMA journal_mode=WAL");
  if (!wal) {
    cc_logf(&st->log, CCENTER_LOG_ERROR, "store %s: cannot use WAL mode", st->path);
    return CCENTER_EIO;
  }
  if ((rc = exec(st, "PRAGMA synchronous=FULL")) != 0)
    return rc;
  if ((rc = exec(st, "BEGIN IMMEDIATE")) != 0)
    return rc;
  rc = migrate(st);
  if (!rc)
    rc = exec(st, "COMMIT");
  if (rc) {
    if (!sqlite3_get_autocommit(st->db))
      (void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
  }
  if ((rc = prepare(st, &st->ins_j,
                    "INSERT INTO journal(seq, engine, op, now, s0, s1, s2, s3, i0, i1, i2, extra)"
                    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?)")) ||
      (rc = prepare(st, &st->ins_a,
                    "INSERT OR IGNORE INTO audit(engine, seq, time, line) VALUES(?,?,?,?)")) ||
      (rc = prepare(st, &st->begin, "BEGIN IMMEDIATE")) ||
      (rc = prepare(st, &st->commit, "COMMIT")) ||
      (rc = prepare(st, &st->rollback, "ROLLBACK")))
    return rc;
  int64_t last;
  /* Retention may have removed every record up to the latest snapshot: the numbering goes
   * on from the highest seq the file has known, never reusing one. */
  if ((rc = query_int(st,
                      "SELECT max(coalesce((SELECT max(seq) FROM journal), 0),"
                      " coalesce((SELECT max(seq) FROM snapshots), 0),"
                      " coalesce((SELECT max(pruned_through) FROM engines), 0))",
                      0, &last)) != 0)
    return rc;
  st->committed = last;
  st->next_seq = last + 1;
  return 0;
}

/* The names ccenter_store_sync() syncs: SQLite's WAL is the file's name with "-wal", and
 * the directory holds its name. */
static int sync_paths(ccenter_store *st)
{
  size_t n = strlen(st->path);
  if (!(st->wal_path = cc_malloc(&st->alloc, n + 5)) ||
      !(st->dir_path = cc_strdup(&st->alloc, st->path)))
    return CCENTER_ENOMEM;
  memcpy(st->wal_path, st->path, n);
  memcpy(st->wal_path + n, "-wal", 5);
  char *slash = strrchr(st->dir_path, '/');
  if (!slash)
    strcpy(st->dir_path, ".");
  else
    slash[slash == st->dir_path] = 0;
  return 0;
}

int cc_store_open_vfs(const char *path, const char *vfs, const ccenter_options *opts,
                      ccenter_store **out)
{
  if (!path || !*path || !out)
    return CCENTER_EINVAL;
  *out = NULL;
  cc_alloc a;
  cc_log log = {NULL, CCENTER_LOG_WARN, NULL};
  if (opts) {
    a = opts->alloc;
    log = opts->log;
  } else {
    cc_alloc_default(&a);
  }
  ccenter_store *st = cc_calloc(&a, 1, sizeof *st);
  if (!st)
    return CCENTER_ENOMEM;
  st->alloc = a;
  st->log = log;
  st->arena.alloc = &st->alloc;
  st->mode = CCENTER_DURABILITY_GROUPED;
  st->max_ms = DEFAULT_MAX_MS;
  st->max_records = DEFAULT_MAX_RECORDS;
  if (!(st->path = cc_strdup(&a, path))) {
    cc_free(&a, st);
    return CCENTER_ENOMEM;
  }
  int rc = sync_paths(st);
  if (!rc)
    rc = open_db(st, vfs);
  if (rc) {
    store_free(st);
    return rc;
  }
  *out = st;
  return 0;
}

int ccenter_store_open(const char *path, const ccenter_options *opts, ccenter_store **out)
{
  return cc_store_open_vfs(path, NULL, opts, out);
}

struct sqlite3 *cc_store_db(ccenter_store *st)
{
  return st ? st->db : NULL;
}

int ccenter_store_close(ccenter_store *st)
{
  if (!st)
    return 0;
  int rc = commit_pending(st);
  store_free(st);
  return rc;
}

/* ---- durability --------------------------------------------------------------------- */

int ccenter_store_flush(ccenter_store *st)
{
  if (!st)
    return CCENTER_EINVAL;
  int rc = commit_pending(st);
  if (!rc)
    st->failed = 0;
  return rc;
}

/* fsync of a file or directory by path; 0 or CCENTER_EIO. */
static int sync_path(const char *path, int dir)
{
  int fd = open(path, (dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return CCENTER_EIO;
  int rc = fsync(fd) == 0 ? 0 : CCENTER_EIO;
  close(fd);
  return rc;
}

/* Touches nothing of the store but the two names set at open, so that it may run on
 * another thread while this one journals. Only the WAL needs it: in WAL mode with
 * synchronous=NORMAL, SQLite syncs the WAL before each checkpoint and the database file
 * after it, so what has reached the database file is synced already. The database file
 * must not be opened here anyway: closing any descriptor of it would drop the POSIX locks
 * SQLite holds on it. The directory is synced too because the WAL may have been created
 * since the store was opened and SQLite syncs its name only at its first checkpoint. */
int ccenter_store_sync(ccenter_store *st)
{
  if (!st)
    return CCENTER_EINVAL;
  int fd = open(st->wal_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : CCENTER_EIO; /* no WAL: nothing written since the open */
  int rc = fdatasync(fd) == 0 ? 0 : CCENTER_EIO;
  close(fd);
  return rc ? rc : sync_path(st->dir_path, 1);
}

int ccenter_store_backup(ccenter_store *st, const char *dest_path)
{
  if (!st || !dest_path || !*dest_path)
    return CCENTER_EINVAL;
  struct stat sb;
  if (lstat(dest_path, &sb) == 0)
    return CCENTER_EEXIST;
  int rc = ccenter_store_flush(st);
  if (rc)
    return rc;
  sqlite3_stmt *s;
  int src = sqlite3_prepare_v2(st->db, "VACUUM INTO ?1", -1, &s, NULL);
  if (src != SQLITE_OK)
    return fail(st, src, "VACUUM INTO");
  sqlite3_bind_text(s, 1, dest_path, -1, SQLITE_TRANSIENT);
  src = sqlite3_step(s);
  sqlite3_finalize(s);
  if (src != SQLITE_DONE) {
    rc = fail(st, src, "VACUUM INTO");
    (void)unlink(dest_path);
    return rc ? rc : CCENTER_EIO;
  }
  /* SQLite does not sync what VACUUM INTO writes: a backup must survive a power cut. */
  char *dir = cc_strdup(&st->alloc, dest_path);
  if (!dir)
    return CCENTER_ENOMEM;
  char *slash = strrchr(dir, '/');
  const char *d = slash ? (slash == dir ? "/" : (*slash = 0, dir)) : ".";
  rc = sync_path(dest_path, 0);
  if (!rc)
    rc = sync_path(d, 1);
  cc_free(&st->alloc, dir);
  if (rc) {
    cc_logf(&st->log, CCENTER_LOG_ERROR, "store %s: backup %s: cannot sync the copy", st->path,
            dest_path);
    (void)unlink(dest_path);
  }
  return rc;
}

int64_t ccenter_store_flush_deadline(const ccenter_store *st)
{
  if (!st || st->mode != CCENTER_DURABILITY_GROUPED || !st->n_jrows)
    return CCENTER_NO_DEADLINE;
  return st->first_now > CCENTER_NO_DEADLINE - st->max_ms ? CCENTER_NO_DEADLINE
                                                          : st->first_now + st->max_ms;
}

int ccenter_store_set_durability(ccenter_store *st, ccenter_durability mode, int64_t max_ms,
                                 uint32_t max_records)
{
  if (!st || (int)mode < CCENTER_DURABILITY_FULL || (int)mode > CCENTER_DURABILITY_WRITTEN)
    return CCENTER_EINVAL;
  if (mode == CCENTER_DURABILITY_GROUPED &&
      (max_ms < 1 || max_ms > 60000 || max_records < 1 || max_records > 1000000))
    return CCENTER_ERANGE;
  int rc = ccenter_store_flush(st);
  if (rc)
    return rc;
  const char *sync = mode == CCENTER_DURABILITY_MEMORY    ? "PRAGMA synchronous=OFF"
                     : mode == CCENTER_DURABILITY_WRITTEN ? "PRAGMA synchronous=NORMAL"
                                                          : "PRAGMA synchronous=FULL";
  if ((rc = exec(st, sync)) != 0)
    return rc;
  st->mode = mode;
  if (mode == CCENTER_DURABILITY_GROUPED) {
    st->max_ms = max_ms;
    st->max_records = max_records;
  }
  return 0;
}

/* ---- engines ------------------------------------------------------------------------ */

static int name_ok(const char *name)
{
  if (!name)
    return 0;
  size_t n = strlen(name);
  if (n < 1 || n > 64)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '_' || c == '.' || c == ':' || c == '-'))
      return 0;
  }
  return 1;
}

/* The engine row of `name`: 0 with its id, kind and creation time, or CCENTER_ENOENT. */
static int find_engine(ccenter_store *st, const char *name, int64_t *id, int *cases,
                       int64_t *created)
{
  sqlite3_stmt *s;
  int rc = sqlite3_prepare_v2(st->db, "SELECT id, kind, created_now FROM engines WHERE name=?",
                              -1, &s, NULL);
  if (rc != SQLITE_OK)
    return fail(st, rc, "engines");
  sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
  rc = sqlite3_step(s);
  int err = 0;
  if (rc == SQLITE_ROW) {
    const char *kind = (const char *)sqlite3_column_text(s, 1);
    *id = sqlite3_column_int64(s, 0);
    *cases = kind && !strcmp(kind, "cases");
    *created = sqlite3_column_int64(s, 2);
  } else {
    err = rc == SQLITE_DONE ? CCENTER_ENOENT : fail(st, rc, "engines");
  }
  sqlite3_finalize(s);
  return err;
}

/* Writes the engine's row (committed and synced: its records refer to it). */
static int add_engine(ccenter_store *st, const char *name, int cases, int64_t now, int64_t *id)
{
  int64_t x;
  int c;
  int rc = find_engine(st, name, id, &c, &x);
  if (rc != CCENTER_ENOENT)
    return rc ? rc : CCENTER_EEXIST;
  if ((rc = commit_or_fail(st)) != 0)
    return rc;
  sqlite3_stmt *s;
  rc = sqlite3_prepare_v2(st->db, "INSERT INTO engines(name, kind, created_now) VALUES(?,?,?)",
                          -1, &s, NULL);
  if (rc != SQLITE_OK)
    return fail(st, rc, "engines");
  sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, cases ? "cases" : "routing", -1, SQLITE_STATIC);
  sqlite3_bind_int64(s, 3, now);
  rc = sqlite3_step(s);
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE)
    return fail(st, rc, "new engine");
  *id = sqlite3_last_insert_rowid(st->db);
  return 0;
}

/* The engine journaled through this store under id, or NULL. */
static slink *link_of(const ccenter_store *st, int64_t id)
{
  for (slink *l = st->links; l; l = l->next)
    if (l->id == id)
      return l;
  return NULL;
}

static int attach_routing(ccenter_store *st, ccenter_engine *e, int64_t id)
{
  slink *l = link_new(st, id, 0, e);
  if (!l)
    return CCENTER_ENOMEM;
  int rc = cc_engine_add_observer(e, &store_obs, l, 0, NULL);
  if (rc) {
    link_unlink(l);
    return rc;
  }
  cc_engine_set_wal(e, wal_routing, l);
  return 0;
}

static int check_new(ccenter_store *st, const char *name, const void *out)
{
  if (!st || !name_ok(name) || !out)
    return CCENTER_EINVAL;
  return st->failed ? CCENTER_EIO : 0;
}

int ccenter_store_engine_new(ccenter_store *st, const char *name, const ccenter_options *opts,
                             int64_t now, ccenter_engine **out)
{
  int rc = check_new(st, name, out);
  if (rc)
    return rc;
  ccenter_engine *e;
  int64_t id;
  if ((rc = ccenter_engine_new(opts, now, &e)) != 0)
    return rc;
  if ((rc = add_engine(st, name, 0, now, &id)) || (rc = attach_routing(st, e, id))) {
    ccenter_engine_free(e);
    return rc;
  }
  *out = e;
  return 0;
}

static void attach_cases(slink *l, ccenter_cases *ce)
{
  cc_cases_set_tap(ce, &store_tap, l);
  cc_cases_set_wal(ce, wal_cases, l);
}

static int cases_make(const ccenter_options *opts, int64_t now, const void *key, size_t key_len,
                      ccenter_cases **out)
{
  if (!key != !key_len)
    return CCENTER_EINVAL;
  ccenter_cases *ce;
  int rc = ccenter_cases_new(opts, now, &ce);
  if (rc)
    return rc;
  if (key && (rc = ccenter_cases_set_audit_key(ce, key, key_len)) != 0) {
    ccenter_cases_free(ce);
    return rc;
  }
  *out = ce;
  return 0;
}

int ccenter_store_cases_new(ccenter_store *st, const char *name, const ccenter_options *opts,
                            int64_t now, const void *audit_key, size_t key_len,
                            ccenter_cases **out)
{
  int rc = check_new(st, name, out);
  if (rc)
    return rc;
  ccenter_cases *ce;
  int64_t id;
  slink *l = NULL;
  if ((rc = cases_make(opts, now, audit_key, key_len, &ce)) != 0)
    return rc;
  if ((rc = add_engine(st, name, 1, now, &id)) != 0 || !(l = link_new(st, id, 1, ce))) {
    ccenter_cases_free(ce);
    return rc ? rc : CCENTER_ENOMEM;
  }
  attach_cases(l, ce);
  *out = ce;
  return 0;
}

/* ---- recovery ------------------------------------------------------------------------- */

/* A column that must be TEXT or NULL. */
static int col_text(sqlite3_stmt *s, int col, const char **out)
{
  int t = sqlite3_column_type(s, col);
  if (t == SQLITE_NULL) {
    *out = NULL;
    return 0;
  }
  if (t != SQLITE_TEXT)
    return CCENTER_ECORRUPT;
  *out = (const char *)sqlite3_column_text(s, col);
  /* A NUL inside would cut the string short: not what was written. */
  return *out && strlen(*out) == (size_t)sqlite3_column_bytes(s, col) ? 0 : CCENTER_ECORRUPT;
}

static int col_int(sqlite3_stmt *s, int col, int64_t *out)
{
  int t = sqlite3_column_type(s, col);
  *out = t == SQLITE_INTEGER ? sqlite3_column_int64(s, col) : 0;
  return t == SQLITE_INTEGER || t == SQLITE_NULL ? 0 : CCENTER_ECORRUPT;
}

/* The columns of one journal row, as the engines' records hold them. */
typedef struct jrow {
  int op;
  int64_t now;
  const char *s[4];
  int64_t i[3];
  cc_xdec *x; /* the decoded extra, when the op has one */
} jrow;

#define JCOLS "op, now, s0, s1, s2, s3, i0, i1, i2, extra"

/* Reads columns from `col` on: JCOLS. Checks the op against the engine kind and the
 * column types; decodes extra into x. */
static int read_jrow(sqlite3_stmt *s, int col, int cases, cc_xdec *x, jrow *j)
{
  int64_t op;
  int rc = 0;
  if (sqlite3_column_type(s, col) != SQLITE_INTEGER ||
      sqlite3_column_type(s, col + 1) != SQLITE_INTEGER)
    return CCENTER_ECORRUPT;
  op = sqlite3_column_int64(s, col);
  j->now = sqlite3_column_int64(s, col + 1);
  if (cases ? op < 1 || op >= CC_COP_COUNT_ : op < 1 || op >= CC_OP_COUNT_ || op == 41)
    return CCENTER_ECORRUPT;
  j->op = (int)op;
  for (int k = 0; k < 4 && !rc; k++)
    rc = col_text(s, col + 2 + k, &j->s[k]);
  for (int k = 0; k < 3 && !rc; k++)
    rc = col_int(s, col + 6 + k, &j->i[k]);
  if (rc)
    return rc;
  cc_xkind want = cc_rec_extra_kind(cases, j->op);
  int t = sqlite3_column_type(s, col + 9);
  j->x = NULL;
  if (!want)
    return t == SQLITE_NULL ? 0 : CCENTER_ECORRUPT;
  if (t != SQLITE_BLOB)
    return CCENTER_ECORRUPT;
  rc = cc_rec_decode(x, sqlite3_column_blob(s, col + 9), (size_t)sqlite3_column_bytes(s, col + 9));
  if (rc)
    return rc;
  if (x->kind != want)
    return CCENTER_ECORRUPT;
  j->x = x;
  return 0;
}

/* What a replayed record's result says about the journal: an input the engine refused
 * before doing anything (time going back, a bad argument) was never accepted, so it cannot
 * be in a journal written ahead of a successful check. */
static int replay_result(int rc)
{
  if (rc == CCENTER_ENOMEM)
    return rc;
  if (rc == CCENTER_ETIME || rc == CCENTER_ERANGE || rc == CCENTER_ECALLBACK ||
      rc == CCENTER_EBUSY)
    return CCENTER_ECORRUPT;
  return 0;
}

static int replay_row(void *eng, int cases, const jrow *j)
{
  if (cases) {
    cc_case_jrec r = {.op = (cc_case_op)j->op, .now = j->now, .i = j->i[0]};
    memcpy(r.s, j->s, sizeof r.s);
    if (j->x) {
      r.evidence = j->x->n_ev ? j->x->ev : NULL;
      r.n_evidence = j->x->n_ev;
    }
    return replay_result(cc_cases_replay(eng, &r));
  }
  cc_jrec r = {.op = (cc_op)j->op, .now = j->now};
  memcpy(r.s, j->s, sizeof r.s);
  memcpy(r.i, j->i, sizeof r.i);
  if (j->x && j->x->kind == CC_X_PARAMS)
    r.params = &j->x->params;
  if (j->x && j->x->kind == CC_X_THRESHOLDS) {
    r.arr = j->x->n_arr ? j->x->arr : NULL;
    r.n_arr = j->x->n_arr;
  }
  return replay_result(cc_engine_exec(eng, &r));
}

/* Runs the engine's journal rows after `from`, in order, on `eng`. */
static int replay(ccenter_store *st, int64_t id, int cases, void *eng, int64_t from)
{
  sqlite3_stmt *s;
  int rc = sqlite3_prepare_v2(st->db,
                              "SELECT seq, " JCOLS " FROM journal WHERE engine=? AND seq>?"
                              " ORDER BY seq",
                              -1, &s, NULL);
  if (rc != SQLITE_OK)
    return fail(st, rc, "journal");
  sqlite3_bind_int64(s, 1, id);
  sqlite3_bind_int64(s, 2, from);
  cc_xdec *x = cc_calloc(&st->alloc, 1, sizeof *x);
  if (!x) {
    sqlite3_finalize(s);
    return CCENTER_ENOMEM;
  }
  x->alloc = &st->alloc;
  int err = 0;
  while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
    jrow j;
    err = read_jrow(s, 1, cases, x, &j);
    if (!err)
      err = replay_row(eng, cases, &j);
    if (err)
      cc_logf(&st->log, CCENTER_LOG_ERROR, "store %s: journal record %lld: %s", st->path,
              (long long)sqlite3_column_int64(s, 0), ccenter_strerror(err));
  }
  if (!err && rc != SQLITE_DONE)
    err = fail(st, rc, "journal");
  sqlite3_finalize(s);
  cc_rec_xdec_free(x);
  cc_free(&st->alloc, x);
  return err;
}

/* Common to both recoveries: the engine's row, not attached already, and every pending
 * input on disk first (a freed engine may have left some). */
static int recover_begin(ccenter_store *st, const char *name, const void *out, int cases,
                         int64_t *id, int64_t *created)
{
  int rc = check_new(st, name, out);
  int c;
  if (rc || (rc = find_engine(st, name, id, &c, created)) != 0)
    return rc;
  if (c != cases)
    return CCENTER_ENOENT;
  if (link_of(st, *id))
    return CCENTER_EBUSY;
  return commit_or_fail(st);
}

/* How far retention has removed the engine's journal (0: nothing removed). */
static int pruned_through(ccenter_store *st, int64_t id, int64_t *out)
{
  return query_int_id(st, "SELECT pruned_through FROM engines WHERE id=?", id, 0, out);
}

typedef struct restore_args {
  const ccenter_options *opts;
  const void *key;
  size_t key_len;
} restore_args;

static int restore_blob(int cases, const restore_args *ra, const void *blob, size_t len,
                        void **eng)
{
  if (!cases)
    return cc_engine_load_snapshot(ra->opts, blob, len, (ccenter_engine **)eng);
  cc_snap_r r;
  cc_sr_init(&r, blob, len);
  return cc_cases_restore(ra->opts, ra->key, ra->key_len, &r, (ccenter_cases **)eng);
}

/* The engine from its newest snapshot that restores, with the journal position it holds
 * in *from; *eng NULL and *from 0 when there is none and the journal is whole (the caller
 * starts a fresh engine). A snapshot that does not restore is passed over: it may be
 * damaged, or taken with statistics the options now ask for and it lacks. */
static int restore_latest(ccenter_store *st, int64_t id, int cases, const restore_args *ra,
                          void **eng, int64_t *from)
{
  *eng = NULL;
  *from = 0;
  sqlite3_stmt *s;
  int rc = sqlite3_prepare_v2(st->db,
                              "SELECT seq, format, state FROM snapshots WHERE engine=?"
                              " ORDER BY seq DESC",
                              -1, &s, NULL);
  if (rc != SQLITE_OK)
    return fail(st, rc, "snapshots");
  sqlite3_bind_int64(s, 1, id);
  int err = 0;
  while (!err && !*eng && (rc = sqlite3_step(s)) == SQLITE_ROW) {
    int64_t seq = sqlite3_column_int64(s, 0);
    const void *blob = sqlite3_column_blob(s, 2);
    size_t len = (size_t)sqlite3_column_bytes(s, 2);
    int r = sqlite3_column_int64(s, 1) == SNAP_FORMAT && blob
                ? restore_blob(cases, ra, blob, len, eng)
                : CCENTER_ECORRUPT;
    if (!r) {
      *from = seq;
    } else if (r == CCENTER_ECORRUPT || r == CCENTER_ECONDITION) {
      cc_logf(&st->log, CCENTER_LOG_WARN,
              "store %s: snapshot at record %lld of engine %lld passed over: %s", st->path,
              (long long)seq, (long long)id, ccenter_strerror(r));
      *eng = NULL;
    } else {
      err = r;
    }
  }
  if (!err && rc != SQLITE_ROW && rc != SQLITE_DONE)
    err = fail(st, rc, "snapshots");
  sqlite3_finalize(s);
  if (err || *eng)
    return err;
  int64_t pruned;
  if ((err = pruned_through(st, id, &pruned)) != 0)
    return err;
  if (pruned) {
    cc_logf(&st->log, CCENTER_LOG_ERROR,
            "store %s: engine %lld: its journal up to record %lld was removed by retention "
            "and no snapshot restores",
            st->path, (long long)id, (long long)pruned);
    return CCENTER_ECORRUPT;
  }
  return 0;
}

int ccenter_store_engine_recover(ccenter_store *st, const char *name, const ccenter_options *opts,
                                 ccenter_engine **out)
{
  int64_t id, created, from;
  int rc = recover_begin(st, name, out, 0, &id, &created);
  if (rc)
    return rc;
  restore_args ra = {opts, NULL, 0};
  ccenter_engine *e;
  if ((rc = restore_latest(st, id, 0, &ra, (void **)&e, &from)) != 0)
    return rc;
  if (!e && (rc = ccenter_engine_new(opts, created, &e)) != 0)
    return rc;
  if ((rc = replay(st, id, 0, e, from)) || (rc = attach_routing(st, e, id))) {
    ccenter_engine_free(e);
    return rc;
  }
  *out = e;
  return 0;
}

int ccenter_store_cases_recover(ccenter_store *st, const char *name, const ccenter_options *opts,
                                const void *audit_key, size_t key_len, ccenter_cases **out)
{
  int64_t id, created, seen, from;
  int rc = recover_begin(st, name, out, 1, &id, &created);
  if (rc)
    return rc;
  if (!audit_key != !key_len)
    return CCENTER_EINVAL;
  if ((rc = query_int_id(st, "SELECT max(seq) FROM audit WHERE engine=?", id, 0, &seen)) != 0)
    return rc;
  restore_args ra = {opts, audit_key, key_len};
  ccenter_cases *ce;
  if ((rc = restore_latest(st, id, 1, &ra, (void **)&ce, &from)) != 0)
    return rc;
  if (!ce && (rc = cases_make(opts, created, audit_key, key_len, &ce)) != 0)
    return rc;
  slink *l = link_new(st, id, 1, ce);
  if (!l) {
    ccenter_cases_free(ce);
    return CCENTER_ENOMEM;
  }
  /* The replay's audit records that the file lacks (a crash between an input's commit and
   * its records') are written now; the others are there already. */
  l->replaying = 1;
  l->audit_seen = (uint64_t)seen;
  cc_cases_set_tap(ce, &store_tap, l);
  rc = replay(st, id, 1, ce, from);
  l->replaying = 0;
  if (!rc)
    rc = commit_or_fail(st);
  if (rc) {
    ccenter_cases_free(ce); /* the tap's gone() frees the link */
    return rc;
  }
  attach_cases(l, ce);
  *out = ce;
  return 0;
}

/* ---- snapshots and retention ------------------------------------------------------------ */

/* Runs statement s to its end and finalizes it, with the engine id as ?1 and `seq` as ?2
 * when the statement has them. */
static int run_with(ccenter_store *st, const char *sql, int64_t id, int64_t seq)
{
  sqlite3_stmt *s;
  int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
  if (rc != SQLITE_OK)
    return fail(st, rc, sql);
  if (sqlite3_bind_parameter_count(s) >= 1)
    sqlite3_bind_int64(s, 1, id);
  if (sqlite3_bind_parameter_count(s) >= 2)
    sqlite3_bind_int64(s, 2, seq);
  rc = run(s);
  sqlite3_finalize(s);
  return rc == SQLITE_OK ? 0 : fail(st, rc, sql);
}

/* Ends the transaction: COMMIT after rc 0, ROLLBACK otherwise. */
static int end_tx(ccenter_store *st, int rc)
{
  if (!rc)
    rc = fail(st, run(st->commit), "commit");
  if (rc && !sqlite3_get_autocommit(st->db))
    (void)run(st->rollback);
  return rc;
}

static int put_snapshot(ccenter_store *st, int64_t id, int64_t seq, int64_t now,
                        const cc_snap_w *w)
{
  int rc = fail(st, run(st->begin), "begin");
  if (rc)
    return rc;
  sqlite3_stmt *s;
  rc = sqlite3_prepare_v2(st->db,
                          "INSERT OR REPLACE INTO snapshots(engine, seq, now, format, library,"
                          " state) VALUES(?,?,?,?,?,?)",
                          -1, &s, NULL);
  if (rc != SQLITE_OK)
    return end_tx(st, fail(st, rc, "snapshots"));
  sqlite3_bind_int64(s, 1, id);
  sqlite3_bind_int64(s, 2, seq);
  sqlite3_bind_int64(s, 3, now);
  sqlite3_bind_int(s, 4, SNAP_FORMAT);
  sqlite3_bind_text(s, 5, ccenter_version_string(), -1, SQLITE_STATIC);
  sqlite3_bind_blob64(s, 6, w->p, w->len, SQLITE_STATIC);
  rc = run(s);
  sqlite3_finalize(s);
  return end_tx(st, rc == SQLITE_OK ? 0 : fail(st, rc, "snapshot"));
}

/* The engine's audit records are all in the file: a snapshot must not be taken past one
 * that is missing (a failed commit at the end of a call), since recovery from the snapshot
 * would never write it again. */
static int audit_complete(ccenter_store *st, int64_t id, const ccenter_cases *ce)
{
  ccenter_audit_head h;
  int64_t have;
  int rc = query_int_id(st, "SELECT max(seq) FROM audit WHERE engine=?", id, 0, &have);
  if (rc)
    return rc;
  if (ccenter_cases_audit_head(ce, &h) == 0 && (uint64_t)have != h.seq) {
    cc_logf(&st->log, CCENTER_LOG_ERROR,
            "store %s: engine %lld: audit records %lld..%llu are not in the file; no snapshot "
            "until the case engine is recovered from the journal",
            st->path, (long long)id, (long long)have + 1, (unsigned long long)h.seq);
    return CCENTER_EIO;
  }
  return 0;
}

/* Removes what the engine's oldest kept snapshot makes unnecessary: older snapshots, and
 * journal records up to it (copied to the archive first, in a transaction of their own, so
 * that a crash in between leaves a record in both files, never in neither). */
static int apply_retention(ccenter_store *st, int64_t id)
{
  int64_t oldest;
  char sql[160];
  snprintf(sql, sizeof sql,
           "SELECT seq FROM snapshots WHERE engine=%lld ORDER BY seq DESC LIMIT 1 OFFSET %u",
           (long long)id, st->keep - 1);
  int rc = query_int(st, sql, 0, &oldest);
  if (rc || !oldest)
    return rc;
  if (st->archive) {
    if ((rc = fail(st, run(st->begin), "begin")) != 0)
      return rc;
    rc = run_with(st,
                  "INSERT OR IGNORE INTO archive.engines(id, name, kind, created_now)"
                  " SELECT id, name, kind, created_now FROM engines WHERE id=?1",
                  id, 0);
    if (!rc)
      rc = run_with(st,
                    "INSERT OR IGNORE INTO archive.journal SELECT seq, engine, op, now,"
                    " s0, s1, s2, s3, i0, i1, i2, extra FROM journal"
                    " WHERE engine=?1 AND seq<=?2",
                    id, oldest);
    if ((rc = end_tx(st, rc)) != 0)
      return rc;
  }
  if ((rc = fail(st, run(st->begin), "begin")) != 0)
    return rc;
  rc = run_with(st, "DELETE FROM snapshots WHERE engine=?1 AND seq<?2", id, oldest);
  if (!rc)
    rc = run_with(st, "DELETE FROM journal WHERE engine=?1 AND seq<=?2", id, oldest);
  int64_t n = sqlite3_changes(st->db);
  if (!rc)
    rc = run_with(st, "UPDATE engines SET pruned_through=?2 WHERE id=?1 AND pruned_through<?2",
                  id, oldest);
  if ((rc = end_tx(st, rc)) == 0)
    st->removed += (uint64_t)n;
  return rc;
}

int ccenter_store_snapshot(ccenter_store *st, const char *name)
{
  if (!st || !name_ok(name))
    return CCENTER_EINVAL;
  int64_t id, created;
  int cases;
  int rc = find_engine(st, name, &id, &cases, &created);
  slink *l = rc ? NULL : link_of(st, id);
  if (rc || !l)
    return rc ? rc : CCENTER_ENOENT;
  /* The state first: outside a call it is the state after every input accepted so far,
   * pending ones included, and the engine refuses (EBUSY) inside its callbacks before
   * anything is written. Then everything pending goes to disk, so that the snapshot is
   * the state as of the last record. */
  cc_snap_w w;
  cc_sw_init(&w, &st->alloc);
  rc = cases ? cc_cases_snapshot(l->eng, &w) : cc_engine_snapshot(l->eng, &w);
  if (!rc)
    rc = w.err;
  if (!rc)
    rc = ccenter_store_flush(st);
  if (!rc && cases)
    rc = audit_complete(st, id, l->eng);
  if (!rc) {
    int64_t now = cases ? ccenter_cases_now(l->eng) : ccenter_engine_now(l->eng);
    rc = put_snapshot(st, id, st->next_seq - 1, now, &w);
  }
  cc_sw_free(&w);
  if (rc || !st->keep)
    return rc;
  /* The snapshot is in; a retention that fails is tried again after the next one. */
  int r = apply_retention(st, id);
  if (r) {
    st->last_error = r;
    cc_logf(&st->log, CCENTER_LOG_ERROR, "store %s: retention of engine %s failed: %s",
            st->path, name, ccenter_strerror(r));
  }
  return 0;
}

static const char archive_schema[] =
    "CREATE TABLE IF NOT EXISTS engines(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " kind TEXT NOT NULL, created_now INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS journal(seq INTEGER PRIMARY KEY,"
    " engine INTEGER NOT NULL, op INTEGER NOT NULL, now INTEGER NOT NULL,"
    " s0 TEXT, s1 TEXT, s2 TEXT, s3 TEXT, i0 INTEGER, i1 INTEGER, i2 INTEGER, extra BLOB);";

/* Sets up the archive file on a connection of its own, before the store's connection
 * attaches it: a file that cannot be an archive is refused with the policy unchanged. */
static int archive_prepare(ccenter_store *st, const char *path)
{
  sqlite3 *db;
  int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(db, archive_schema, NULL, NULL, NULL);
  sqlite3_stmt *s = NULL;
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(db,
                            "SELECT (SELECT count(*) FROM pragma_table_info('journal'))=12"
                            " AND (SELECT count(*) FROM pragma_table_info('engines'))=4",
                            -1, &s, NULL);
  int shape = 0;
  if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
    shape = sqlite3_column_int(s, 0);
    rc = SQLITE_OK;
  }
  sqlite3_finalize(s);
  int err = 0;
  if (rc != SQLITE_OK) {
    cc_logf(&st->log, CCENTER_LOG_ERROR, "store %s: archive %s: %s", st->path, path,
            db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    err = map_sqlite(rc);
    if (err == CCENTER_EBUSY)
      err = CCENTER_EIO;
  } else if (!shape) {
    cc_logf(&st->log, CCENTER_LOG_ERROR, "store %s: archive %s has tables of another shape",
            st->path, path);
    err = CCENTER_ECORRUPT;
  }
  sqlite3_close(db);
  return err;
}

int ccenter_store_set_retention(ccenter_store *st, unsigned keep, const char *archive_path)
{
  if (!st || keep > 1000000 || (archive_path && !*archive_path))
    return CCENTER_EINVAL;
  int rc;
  if (archive_path && (rc = archive_prepare(st, archive_path)) != 0)
    return rc;
  if (st->archive) {
    if ((rc = exec(st, "DETACH DATABASE archive")) != 0)
      return rc;
    st->archive = 0;
  }
  if (archive_path) {
    sqlite3_stmt *s;
    rc = sqlite3_prepare_v2(st->db, "ATTACH DATABASE ? AS archive", -1, &s, NULL);
    if (rc == SQLITE_OK) {
      sqlite3_bind_text(s, 1, archive_path, -1, SQLITE_STATIC);
      rc = run(s);
      sqlite3_finalize(s);
    }
    if (rc == SQLITE_OK)
      rc = sqlite3_exec(st->db, "PRAGMA archive.synchronous=FULL", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
      /* Checked a moment ago on its own connection: this is the disk failing now. The old
       * archive is detached already, so retention stops rather than remove unarchived
       * records. */
      rc = fail(st, rc, "attach archive");
      st->keep = 0;
      return rc;
    }
    st->archive = 1;
  }
  st->keep = keep;
  return 0;
}

/* ---- info and verify -------------------------------------------------------------------- */

static uint64_t file_size(const char *path, const char *suffix)
{
  char buf[4096];
  struct stat sb;
  if ((size_t)snprintf(buf, sizeof buf, "%s%s", path, suffix) >= sizeof buf)
    return 0;
  return stat(buf, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

int ccenter_store_info_get(const ccenter_store *st, ccenter_store_info *info)
{
  if (!st || !info)
    return CCENTER_EINVAL;
  ccenter_store_info in;
  memset(&in, 0, sizeof in);
  in.size = sizeof in;
  in.schema = st->schema;
  in.durability = st->mode;
  in.records = (uint64_t)st->committed;
  in.pending = st->n_jrows;
  in.commits = st->commits;
  in.syncs = st->syncs;
  in.failed = st->failed;
  in.last_error = st->last_error;
  in.file_bytes = file_size(st->path, "") + file_size(st->path, "-wal");
  in.removed = st->removed;
  int64_t n = 0;
  (void)query_int((ccenter_store *)st, "SELECT count(*) FROM snapshots", 0, &n);
  in.snapshots = (uint64_t)n;
  return cc_struct_out(info, &in, sizeof in) ? CCENTER_EINVAL : 0;
}

static int vfail(char *msg, size_t size, const char *fmt, long long a, const char *b)
{
  if (msg && size)
    snprintf(msg, size, fmt, a, b);
  return CCENTER_ECORRUPT;
}

/* Every journal row readable, in sequence from 1, of a known engine. */
static int verify_journal(ccenter_store *st, cc_xdec *x, char *msg, size_t size)
{
  sqlite3_stmt *s;
  int rc = sqlite3_prepare_v2(
      st->db, "SELECT j.seq, e.kind, " JCOLS " FROM journal j LEFT JOIN engines e ON e.id = j.engine ORDER BY j.seq",
      -1, &s, NULL);
  if (rc != SQLITE_OK)
    return vfail(msg, size, "journal: %lld %s", 0, sqlite3_errmsg(st->db));
  int64_t pruned = 0;
  (void)query_int(st, "SELECT max(pruned_through) FROM engines", 0, &pruned);
  long long want = 1;
  int err = 0;
  while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
    long long seq = sqlite3_column_int64(s, 0);
    const char *kind = (const char *)sqlite3_column_text(s, 1);
    jrow j;
    /* Retention leaves gaps up to where it removed records, and nowhere after. */
    if (seq > want && seq - 1 <= pruned)
      want = seq;
    if (seq != want)
      err = vfail(msg, size, "journal: record %lld is missing%s", want, "");
    else if (!kind)
      err = vfail(msg, size, "journal: record %lld names no engine%s", seq, "");
    else if (read_jrow(s, 2, !strcmp(kind, "cases"), x, &j))
      err = vfail(msg, size, "journal: record %lld cannot be read%s", seq, "");
    want++;
  }
  if (!err && rc != SQLITE_DONE)
    err = vfail(msg, size, "journal: %lld %s", 0, sqlite3_errmsg(st->db));
  sqlite3_finalize(s);
  return err;
}

/* Snapshots of known engines, of a format this library reads, at journal positions that
 * exist; and one for every engine whose journal retention shortened. Whether a snapshot
 * restores is for recovery to find (ccenter-store verify --replay). */
static int verify_snapshots(ccenter_store *st, char *msg, size_t size)
{
  static const char *const checks[] = {
      "SELECT s.seq FROM snapshots s LEFT JOIN engines e ON e.id = s.engine"
      " WHERE e.id IS NULL OR s.format != 1 OR s.seq < 0 OR typeof(s.state) != 'blob'"
      " OR s.seq > max(coalesce((SELECT max(seq) FROM journal), 0),"
      " (SELECT max(pruned_through) FROM engines)) LIMIT 1",
      "SELECT e.pruned_through FROM engines e WHERE e.pruned_through > 0 AND NOT EXISTS"
      " (SELECT 1 FROM snapshots s WHERE s.engine = e.id AND s.seq >= e.pruned_through) LIMIT 1",
  };
  static const char *const what[] = {
      "snapshots: the snapshot at record %lld is of no engine, of an unknown format, or past "
      "the journal%s",
      "snapshots: the journal was removed up to record %lld and no snapshot covers it%s",
  };
  for (size_t i = 0; i < 2; i++) {
    int64_t bad = -1;
    if (query_int(st, checks[i], -1, &bad))
      return vfail(msg, size, "snapshots: %lld %s", 0, sqlite3_errmsg(st->db));
    if (bad != -1)
      return vfail(msg, size, what[i], (long long)bad, "");
  }
  return 0;
}

typedef struct lines {
  char **v;
  size_t *len;
  size_t n, cap;
} lines;

static void lines_free(ccenter_store *st, lines *L)
{
  for (size_t i = 0; i < L->n; i++)
    cc_free(&st->alloc, L->v[i]);
  cc_free(&st->alloc, L->v);
  cc_free(&st->alloc, L->len);
  memset(L, 0, sizeof *L);
}

/* One case engine's stored chain: seq 1, 2, 3 ... and ccenter_audit_verify(). */
static int verify_chain(ccenter_store *st, sqlite3_stmt *s, const char *name, const void *key,
                        size_t key_len, char *msg, size_t size)
{
  lines L = {0};
  int rc, err = 0;
  while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
    size_t cap = L.cap;
    const char *t = (const char *)sqlite3_column_text(s, 1);
    size_t n = (size_t)sqlite3_column_bytes(s, 1);
    if ((uint64_t)sqlite3_column_int64(s, 0) != L.n + 1)
      err = vfail(msg, size, "audit of %2$s: record %1$lld is missing", (long long)L.n + 1, name);
    else if (cc_grow(&st->alloc, (void **)&L.v, &cap, L.n + 1, sizeof *L.v) ||
             cc_grow(&st->alloc, (void **)&L.len, &L.cap, L.n + 1, sizeof *L.len) ||
             !(L.v[L.n] = cc_malloc(&st->alloc, n + 1)))
      err = CCENTER_ENOMEM;
    else {
      memcpy(L.v[L.n], t ? t : "", n);
      L.v[L.n][n] = 0;
      L.len[L.n++] = n;
    }
  }
  size_t bad = 0;
  if (!err && L.n &&
      ccenter_audit_verify((const char *const *)L.v, L.len, L.n, key, key_len, NULL, NULL, &bad))
    err = vfail(msg, size, "audit of %2$s: record %1$lld does not verify", (long long)bad + 1,
                name);
  lines_free(st, &L);
  return err;
}

static int verify_audit(ccenter_store *st, const void *key, size_t key_len, char *msg,
                        size_t size)
{
  sqlite3_stmt *eng, *s;
  if (sqlite3_prepare_v2(st->db,
                         "SELECT count(*) FROM audit a LEFT JOIN engines e ON e.id = a.engine "
                         "WHERE e.kind IS NOT 'cases'",
                         -1, &eng, NULL) != SQLITE_OK)
    return vfail(msg, size, "audit: %lld %s", 0, sqlite3_errmsg(st->db));
  int stray = sqlite3_step(eng) == SQLITE_ROW && sqlite3_column_int64(eng, 0) != 0;
  sqlite3_finalize(eng);
  if (stray)
    return vfail(msg, size, "audit: %lld records of no case engine%s", 1, "");
  if (sqlite3_prepare_v2(st->db, "SELECT id, name FROM engines WHERE kind='cases' ORDER BY id",
                         -1, &eng, NULL) != SQLITE_OK)
    return vfail(msg, size, "audit: %lld %s", 0, sqlite3_errmsg(st->db));
  if (sqlite3_prepare_v2(st->db, "SELECT seq, line FROM audit WHERE engine=? ORDER BY seq", -1,
                         &s, NULL) != SQLITE_OK) {
    sqlite3_finalize(eng);
    return vfail(msg, size, "audit: %lld %s", 0, sqlite3_errmsg(st->db));
  }
  int err = 0;
  while (!err && sqlite3_step(eng) == SQLITE_ROW) {
    sqlite3_bind_int64(s, 1, sqlite3_column_int64(eng, 0));
    err = verify_chain(st, s, (const char *)sqlite3_column_text(eng, 1), key, key_len, msg, size);
    sqlite3_reset(s);
  }
  sqlite3_finalize(s);
  sqlite3_finalize(eng);
  return err;
}

int ccenter_store_verify(ccenter_store *st, const void *audit_key, size_t key_len, char *msg,
                         size_t msg_size)
{
  if (!st || (!audit_key && key_len))
    return CCENTER_EINVAL;
  if (msg && msg_size)
    msg[0] = '\0';
  int64_t v = -1;
  if (query_int(st, "PRAGMA user_version", 0, &v) || v != CCENTER_STORE_SCHEMA)
    return vfail(msg, msg_size, "schema: version %lld%s", (long long)v, "");
  if (check_tables(st))
    return vfail(msg, msg_size, "schema: %lld tables missing%s", 0, "");
  cc_xdec *x = cc_calloc(&st->alloc, 1, sizeof *x);
  if (!x)
    return CCENTER_ENOMEM;
  x->alloc = &st->alloc;
  int rc = verify_journal(st, x, msg, msg_size);
  cc_rec_xdec_free(x);
  cc_free(&st->alloc, x);
  if (!rc)
    rc = verify_snapshots(st, msg, msg_size);
  if (!rc)
    rc = verify_audit(st, audit_key, key_len, msg, msg_size);
  return rc;
}
