/* ctid's durable event window (window.h). */
#include "window.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

struct ct_window {
  sqlite3 *db;
  sqlite3_stmt *ins;
  size_t history;
  uint64_t since_prune; /* appends since the last prune */
  int in_txn;           /* appends since the last commit are in an open transaction */
};

static int fail(sqlite3 *db, const char *what, char *err, size_t errlen)
{
  snprintf(err, errlen, "%s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
  return -1;
}

static int exec(ct_window *w, const char *sql, char *err, size_t errlen)
{
  return sqlite3_exec(w->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : fail(w->db, sql, err, errlen);
}

/* The kernel's id of this boot ("" when unknown: then only a clean end is trusted). */
static void boot_id(char *out, size_t size)
{
  FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
  out[0] = 0;
  if (f) {
    if (!fgets(out, (int)size, f))
      out[0] = 0;
    fclose(f);
  }
  out[strcspn(out, "\n")] = 0;
}

static int meta_set(ct_window *w, const char *key, const char *value, char *err, size_t errlen)
{
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(w->db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", -1,
                         &st, NULL) != SQLITE_OK)
    return fail(w->db, "meta", err, errlen);
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? 0 : fail(w->db, "meta", err, errlen);
}

/* Whether the earlier run's frames are all there: it closed cleanly, or this is the same
   boot (a process's commits outlive it in the kernel's cache). */
static int earlier_trusted(ct_window *w, const char *boot)
{
  sqlite3_stmt *st;
  int clean = 0, same_boot = 0, rows = 0;
  if (sqlite3_prepare_v2(w->db, "SELECT key, value FROM meta", -1, &st, NULL) != SQLITE_OK)
    return 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *k = (const char *)sqlite3_column_text(st, 0);
    const char *v = (const char *)sqlite3_column_text(st, 1);
    rows++;
    if (k && v && !strcmp(k, "clean"))
      clean = !strcmp(v, "1");
    if (k && v && !strcmp(k, "boot"))
      same_boot = *boot && !strcmp(v, boot);
  }
  sqlite3_finalize(st);
  return !rows || clean || same_boot; /* no rows: a new file, nothing to distrust */
}

int ct_window_open(const char *path, size_t history, int *trusted, ct_window **out, char *err,
                   size_t errlen)
{
  *err = 0;
  ct_window *w = calloc(1, sizeof *w);
  if (!w)
    return fail(NULL, path, err, errlen);
  w->history = history ? history : 1;
  char boot[64];
  boot_id(boot, sizeof boot);
  /* WAL: a commit is one write(2) of the log; unsynced, it is in the file once the commit
     returns, so a kill -9 loses nothing committed. The start is synced (FULL) so that the
     "not clean" mark is on disk before any frame of this run. */
  if (sqlite3_open_v2(path, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
          SQLITE_OK ||
      exec(w, "PRAGMA journal_mode=WAL", err, errlen) ||
      exec(w, "PRAGMA synchronous=FULL", err, errlen) ||
      exec(w, "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, frame BLOB NOT NULL)",
           err, errlen) ||
      exec(w, "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)", err,
           errlen) ||
      (*trusted = earlier_trusted(w, boot), 0) || meta_set(w, "boot", boot, err, errlen) ||
      meta_set(w, "clean", "0", err, errlen) ||
      exec(w, "PRAGMA synchronous=NORMAL", err, errlen) ||
      sqlite3_prepare_v2(w->db, "INSERT INTO events (seq, frame) VALUES (?, ?)", -1, &w->ins,
                         NULL) != SQLITE_OK) {
    if (!*err)
      fail(w->db, path, err, errlen);
    ct_window_discard(w, NULL);
    return -1;
  }
  *out = w;
  return 0;
}

static void close_db(ct_window *w)
{
  sqlite3_finalize(w->ins);
  sqlite3_close(w->db);
  free(w);
}

void ct_window_close(ct_window *w)
{
  char err[256];
  if (!w)
    return;
  /* Synced and marked clean: a machine restart before the next run cannot cost it. */
  if (!ct_window_commit(w, err, sizeof err) && !exec(w, "PRAGMA synchronous=FULL", err, sizeof err))
    meta_set(w, "clean", "1", err, sizeof err);
  close_db(w);
}

static int prune(ct_window *w, char *err, size_t errlen)
{
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(w->db,
                         "DELETE FROM events WHERE seq < (SELECT seq FROM events ORDER BY seq "
                         "DESC LIMIT 1 OFFSET ?)",
                         -1, &st, NULL) != SQLITE_OK)
    return fail(w->db, "prune", err, errlen);
  sqlite3_bind_int64(st, 1, (sqlite3_int64)(w->history - 1));
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return fail(w->db, "prune", err, errlen);
  w->since_prune = 0;
  return 0;
}

int ct_window_append(ct_window *w, uint64_t seq, const uint8_t *frame, size_t len, char *err,
                     size_t errlen)
{
  if (!w->in_txn && exec(w, "BEGIN", err, errlen))
    return -1;
  w->in_txn = 1;
  sqlite3_bind_int64(w->ins, 1, (sqlite3_int64)seq);
  sqlite3_bind_blob(w->ins, 2, frame, (int)len, SQLITE_STATIC);
  int rc = sqlite3_step(w->ins);
  sqlite3_reset(w->ins);
  sqlite3_clear_bindings(w->ins);
  if (rc != SQLITE_DONE)
    return fail(w->db, "append", err, errlen);
  /* Pruned in batches of a quarter of the window: the file holds at most 1.25 windows. */
  if (++w->since_prune >= w->history / 4 + 1)
    return prune(w, err, errlen);
  return 0;
}

int ct_window_commit(ct_window *w, char *err, size_t errlen)
{
  if (!w->in_txn)
    return 0;
  w->in_txn = 0;
  return exec(w, "COMMIT", err, errlen);
}

int ct_window_load(ct_window *w, int (*fn)(void *ud, uint64_t seq, const void *frame, size_t len),
                   void *ud, char *err, size_t errlen)
{
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(w->db,
                         "SELECT seq, frame FROM (SELECT seq, frame FROM events ORDER BY seq "
                         "DESC LIMIT ?) ORDER BY seq",
                         -1, &st, NULL) != SQLITE_OK)
    return fail(w->db, "load", err, errlen);
  sqlite3_bind_int64(st, 1, (sqlite3_int64)w->history);
  int rc, stop = 0;
  while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
    stop = fn(ud, (uint64_t)sqlite3_column_int64(st, 0), sqlite3_column_blob(st, 1),
              (size_t)sqlite3_column_bytes(st, 1));
  if (!stop && rc != SQLITE_DONE)
    stop = fail(w->db, "load", err, errlen);
  sqlite3_finalize(st);
  return stop;
}

void ct_window_discard(ct_window *w, const char *path)
{
  if (w) {
    if (w->in_txn)
      sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
    close_db(w);
  }
  if (!path)
    return;
  char side[4200];
  remove(path);
  snprintf(side, sizeof side, "%s-wal", path);
  remove(side);
  snprintf(side, sizeof side, "%s-shm", path);
  remove(side);
}
