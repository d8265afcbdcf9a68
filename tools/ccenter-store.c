/*
 * ccenter-store: looks into a libccenter store file (docs/store.md).
 *
 *   ccenter-store info FILE
 *   ccenter-store verify [--key-file KEYFILE] [--replay] FILE
 *   ccenter-store export [--engine NAME] [--from SEQ] [--audit] FILE
 *   ccenter-store backup FILE DEST
 *   ccenter-store compact FILE
 *
 * info, export and backup read the file with SQLite directly, in a read transaction, and
 * never change it (no migration: a file of another schema version is reported, not
 * converted). A process that has the store open holds it exclusively, so all of them
 * report such a file as in use (after waiting up to 5 s): a running process backs its
 * store up itself with ccenter_store_backup(). verify opens the store through
 * the library (ccenter_store_open(), ccenter_store_verify()), which is the only way to
 * check what the library itself would read, and so needs the file not to be in use; so does
 * compact, which rewrites the file.
 *
 * The tool links the library's objects, not only its public API: decoding the `extra`
 * column and naming the ops uses the store's and the engines' internal record code, so
 * that the tool reads records exactly as recovery does. That format is not a public API.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "ccenter/store.h"
#include "acd/engine_int.h"
#include "store/store_int.h"
#include "workflow/cases_int.h"

static const char *prog = "ccenter-store";

static void usage(FILE *f)
{
  fprintf(f,
          "usage: ccenter-store COMMAND ... FILE\n"
          "  info FILE          schema, engines, record counts, time span, sizes\n"
          "  verify [--key-file KEYFILE] [--replay] FILE\n"
          "                     the library's check of every record and audit chain;\n"
          "                     --replay also recovers every engine from the journal\n"
          "  export [--engine NAME] [--from SEQ] [--audit] FILE\n"
          "                     the journal as JSON lines on stdout (--audit: the audit\n"
          "                     lines too)\n"
          "  backup FILE DEST   a consistent, compacted copy (VACUUM INTO) of a store no\n"
          "                     process has open (a running one: ccenter_store_backup());\n"
          "                     DEST must not exist\n"
          "  snapshot [--engine NAME] [--key-file KEYFILE] [--keep N] FILE\n"
          "                     recovers each engine (or NAME) and takes a snapshot of it, so\n"
          "                     that the next recovery starts there; --keep N then keeps the N\n"
          "                     newest snapshots per engine and removes the journal before\n"
          "                     the oldest of them\n"
          "  compact FILE       VACUUM in place; the store must not be in use\n"
          "Exit status: 0 ok, 1 the file is damaged, newer or in use, or an error, 2 usage.\n");
}

/* ---- SQLite, read-only -------------------------------------------------------------- */

static int file_exists(const char *path)
{
  struct stat sb;
  if (stat(path, &sb) != 0) {
    fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
    return 0;
  }
  if (!S_ISREG(sb.st_mode)) {
    fprintf(stderr, "%s: %s: not a regular file\n", prog, path);
    return 0;
  }
  return 1;
}

static void sql_error(sqlite3 *db, const char *what)
{
  int rc = sqlite3_extended_errcode(db);
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
    fprintf(stderr, "%s: %s: the file is in use by another process (%s)\n", prog, what,
            sqlite3_errmsg(db));
  else
    fprintf(stderr, "%s: %s: %s\n", prog, what, sqlite3_errmsg(db));
}

/* The file's schema version, or -1 after printing why it cannot be read. 0 means a
 * database that is not a store (user_version is never set on one). */
static int schema_version(sqlite3 *db)
{
  sqlite3_stmt *st = NULL;
  int v = -1;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int(st, 0);
  else
    sql_error(db, "reading the schema version");
  sqlite3_finalize(st);
  return v;
}

/* 1 when the four tables of docs/store.md are there. */
static int has_tables(sqlite3 *db)
{
  sqlite3_stmt *st = NULL;
  int n = -1;
  if (sqlite3_prepare_v2(db,
                         "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
                         "name IN ('meta', 'engines', 'journal', 'audit')",
                         -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int(st, 0);
  else
    sql_error(db, "reading the schema");
  sqlite3_finalize(st);
  return n == 4;
}

/*
 * Opens path read-only and checks it is a store this tool reads. want_current: refuse a
 * file of another schema version (export and backup need one it understands; info
 * reports any). Returns NULL after printing why not.
 */
static sqlite3 *open_ro(const char *path, int want_current, int *schema)
{
  if (!file_exists(path))
    return NULL;
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    fprintf(stderr, "%s: %s: %s\n", prog, path, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return NULL;
  }
  /* A writer's commit holds the WAL's write lock only for a moment; readers wait it out. */
  sqlite3_busy_timeout(db, 5000);
  int v = schema_version(db);
  if (v < 0)
    goto fail;
  *schema = v;
  if (v == 0 || !has_tables(db)) {
    fprintf(stderr, "%s: %s: not a libccenter store\n", prog, path);
    goto fail;
  }
  if (want_current && v > CCENTER_STORE_SCHEMA) {
    fprintf(stderr,
            "%s: %s: written by a newer libccenter (schema %d; this tool reads %d)\n", prog,
            path, v, CCENTER_STORE_SCHEMA);
    goto fail;
  }
  if (want_current && v < CCENTER_STORE_SCHEMA) {
    fprintf(stderr,
            "%s: %s: schema %d, older than this tool's %d: open it with the library once "
            "(ccenter_store_open() migrates it) or use the tool of its version\n",
            prog, path, v, CCENTER_STORE_SCHEMA);
    goto fail;
  }
  return db;
fail:
  sqlite3_close(db);
  return NULL;
}

/* Runs BEGIN: every later statement of a command reads one snapshot, even while a process
 * appends to the journal. */
static int begin_read(sqlite3 *db)
{
  if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
    sql_error(db, "starting a read transaction");
    return -1;
  }
  return 0;
}

/* ---- info --------------------------------------------------------------------------- */

static int64_t one_int(sqlite3 *db, const char *sql, int *err)
{
  sqlite3_stmt *st = NULL;
  int64_t v = 0;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  else {
    sql_error(db, sql);
    *err = 1;
  }
  sqlite3_finalize(st);
  return v;
}

static long long file_size(const char *path, const char *suffix)
{
  char buf[4096];
  if (snprintf(buf, sizeof buf, "%s%s", path, suffix) >= (int)sizeof buf)
    return -1;
  struct stat sb;
  return stat(buf, &sb) == 0 ? (long long)sb.st_size : -1;
}

static int cmd_info(const char *path)
{
  int schema = 0, err = 0;
  sqlite3 *db = open_ro(path, 0, &schema);
  if (!db)
    return 1;
  printf("file        %s\n", path);
  printf("schema      %d (this tool: %d)\n", schema, CCENTER_STORE_SCHEMA);
  if (schema != CCENTER_STORE_SCHEMA) {
    /* Only the version is known to mean the same in every schema. */
    printf("            %s: the rest is not read\n",
           schema > CCENTER_STORE_SCHEMA ? "written by a newer libccenter"
                                         : "an older schema, migrated when the library opens it");
    sqlite3_close(db);
    return schema > CCENTER_STORE_SCHEMA;
  }
  if (begin_read(db)) {
    sqlite3_close(db);
    return 1;
  }
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "SELECT key, value FROM meta ORDER BY key", -1, &st, NULL) ==
      SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW)
      printf("%-11s %s\n", (const char *)sqlite3_column_text(st, 0),
             (const char *)sqlite3_column_text(st, 1));
  } else {
    sql_error(db, "reading meta");
    err = 1;
  }
  sqlite3_finalize(st);

  int64_t n = one_int(db, "SELECT count(*) FROM journal", &err);
  int64_t lo = one_int(db, "SELECT coalesce(min(seq), 0) FROM journal", &err);
  int64_t hi = one_int(db, "SELECT coalesce(max(seq), 0) FROM journal", &err);
  int64_t pruned = one_int(db, "SELECT coalesce(max(pruned_through), 0) FROM engines", &err);
  printf("journal     %" PRId64 " records", n);
  if (n)
    printf(", seq %" PRId64 "..%" PRId64 "%s", lo, hi,
           hi - lo + 1 == n ? "" : pruned ? " (with gaps: retention)"
                                          : " (NOT contiguous: run verify)");
  if (pruned)
    printf(", removed by retention up to seq %" PRId64, pruned);
  printf("\n");
  printf("snapshots   %" PRId64 ", %" PRId64 " B\n",
         one_int(db, "SELECT count(*) FROM snapshots", &err),
         one_int(db, "SELECT coalesce(sum(length(state)), 0) FROM snapshots", &err));
  printf("audit       %" PRId64 " lines\n", one_int(db, "SELECT count(*) FROM audit", &err));

  /* One line per engine: its records and the span of engine time they cover. */
  st = NULL;
  if (sqlite3_prepare_v2(db,
                         "SELECT e.name, e.kind, e.created_now, count(j.seq), "
                         "min(j.now), max(j.now), "
                         "(SELECT count(*) FROM audit a WHERE a.engine = e.id), "
                         "(SELECT max(seq) FROM snapshots s WHERE s.engine = e.id) "
                         "FROM engines e LEFT JOIN journal j ON j.engine = e.id "
                         "GROUP BY e.id ORDER BY e.id",
                         -1, &st, NULL) == SQLITE_OK) {
    printf("engines     %-20s %-8s %14s %12s %14s %14s %10s %14s\n", "name", "kind",
           "created_now", "records", "first_now", "last_now", "audit", "last_snapshot");
    while (sqlite3_step(st) == SQLITE_ROW) {
      printf("            %-20s %-8s %14lld %12lld ", (const char *)sqlite3_column_text(st, 0),
             (const char *)sqlite3_column_text(st, 1), sqlite3_column_int64(st, 2),
             sqlite3_column_int64(st, 3));
      if (sqlite3_column_type(st, 4) == SQLITE_NULL)
        printf("%14s %14s", "-", "-");
      else
        printf("%14lld %14lld", sqlite3_column_int64(st, 4), sqlite3_column_int64(st, 5));
      printf(" %10lld", sqlite3_column_int64(st, 6));
      if (sqlite3_column_type(st, 7) == SQLITE_NULL)
        printf(" %14s\n", "-");
      else
        printf(" %14lld\n", sqlite3_column_int64(st, 7));
    }
  } else {
    sql_error(db, "reading engines");
    err = 1;
  }
  sqlite3_finalize(st);

  int64_t page = one_int(db, "PRAGMA page_size", &err);
  int64_t pages = one_int(db, "PRAGMA page_count", &err);
  int64_t freep = one_int(db, "PRAGMA freelist_count", &err);
  printf("pages       %" PRId64 " of %" PRId64 " B, %" PRId64 " free (compact reclaims them)\n",
         pages, page, freep);
  long long wal = file_size(path, "-wal");
  printf("size        %lld B", file_size(path, ""));
  if (wal >= 0)
    printf(", WAL %lld B", wal);
  printf("\n");
  sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
  sqlite3_close(db);
  return err;
}

/* ---- export ------------------------------------------------------------------------- */

/* 1 when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF). */
static int utf8_ok(const unsigned char *s, size_t n)
{
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i];
    size_t k;
    unsigned min;
    if (c < 0x80) {
      i++;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      k = 1;
      min = 0x80;
      c &= 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      k = 2;
      min = 0x800;
      c &= 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      k = 3;
      min = 0x10000;
      c &= 0x07;
    } else {
      return 0;
    }
    if (n - i <= k)
      return 0;
    for (size_t j = 1; j <= k; j++) {
      if ((s[i + j] & 0xc0) != 0x80)
        return 0;
      c = c << 6 | (s[i + j] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
      return 0;
    i += k + 1;
  }
  return 1;
}

/*
 * A string as JSON. The library takes any bytes but NUL, and JSON text must be UTF-8, so a
 * string that is not UTF-8 is written as {"hex":"..."}: nothing is lost or silently
 * replaced. NULL is null (it differs from "" in the journal).
 */
static void json_str(FILE *f, const char *p, size_t n)
{
  const unsigned char *s = (const unsigned char *)p;
  if (!s) {
    fputs("null", f);
    return;
  }
  if (!utf8_ok(s, n)) {
    fputs("{\"hex\":\"", f);
    for (size_t i = 0; i < n; i++)
      fprintf(f, "%02x", s[i]);
    fputs("\"}", f);
    return;
  }
  fputc('"', f);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = s[i];
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c < 0x20 || c == 0x7f)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
  fputc('"', f);
}

static void json_cstr(FILE *f, const char *s)
{
  json_str(f, s, s ? strlen(s) : 0);
}

static void json_col_text(FILE *f, sqlite3_stmt *st, int col)
{
  if (sqlite3_column_type(st, col) == SQLITE_NULL) {
    fputs("null", f);
    return;
  }
  const char *s = (const char *)sqlite3_column_text(st, col);
  json_str(f, s ? s : "", (size_t)sqlite3_column_bytes(st, col));
}

static void json_col_int(FILE *f, sqlite3_stmt *st, int col)
{
  if (sqlite3_column_type(st, col) == SQLITE_NULL)
    fputs("null", f);
  else
    fprintf(f, "%lld", sqlite3_column_int64(st, col));
}

/* The decoded `extra` column as JSON members (with a leading comma); 0 or
 * CCENTER_ECORRUPT when the blob cannot be read. */
static int json_extra(FILE *f, int cases, int op, const void *blob, size_t n);
/* Decoded blobs' storage, reused from record to record. */
static cc_xdec xdec;

static int cmd_export(const char *path, const char *engine, int64_t from, int audit)
{
  int schema = 0, err = 0;
  sqlite3 *db = open_ro(path, 1, &schema);
  if (!db || begin_read(db)) {
    sqlite3_close(db);
    return 1;
  }
  FILE *f = stdout;
  sqlite3_stmt *st = NULL;
  /* The engines first: what recovery needs besides the records (kind, created_now). */
  if (sqlite3_prepare_v2(db,
                         "SELECT name, kind, created_now FROM engines "
                         "WHERE ?1 IS NULL OR name = ?1 ORDER BY id",
                         -1, &st, NULL) != SQLITE_OK) {
    sql_error(db, "reading engines");
    goto fail;
  }
  sqlite3_bind_text(st, 1, engine, -1, SQLITE_STATIC);
  int n_engines = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    n_engines++;
    fputs("{\"type\":\"engine\",\"name\":", f);
    json_col_text(f, st, 0);
    fputs(",\"kind\":", f);
    json_col_text(f, st, 1);
    fprintf(f, ",\"created_now\":%lld}\n", sqlite3_column_int64(st, 2));
  }
  sqlite3_finalize(st);
  st = NULL;
  if (engine && n_engines == 0) {
    fprintf(stderr, "%s: %s: no engine named '%s'\n", prog, path, engine);
    goto fail;
  }

  if (sqlite3_prepare_v2(db,
                         "SELECT j.seq, e.name, e.kind, j.op, j.now, j.s0, j.s1, j.s2, j.s3, "
                         "j.i0, j.i1, j.i2, j.extra FROM journal j "
                         "JOIN engines e ON e.id = j.engine "
                         "WHERE (?1 IS NULL OR e.name = ?1) AND j.seq >= ?2 ORDER BY j.seq",
                         -1, &st, NULL) != SQLITE_OK) {
    sql_error(db, "reading the journal");
    goto fail;
  }
  sqlite3_bind_text(st, 1, engine, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, from);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t seq = sqlite3_column_int64(st, 0);
    const char *kind = (const char *)sqlite3_column_text(st, 2);
    int cases = kind && strcmp(kind, "cases") == 0;
    int op = sqlite3_column_int(st, 3);
    const char *name = cases ? cc_case_op_name((cc_case_op)op) : cc_op_name((cc_op)op);
    fprintf(f, "{\"type\":\"record\",\"seq\":%" PRId64 ",\"engine\":", seq);
    json_col_text(f, st, 1);
    fprintf(f, ",\"op\":%d,\"name\":", op);
    json_cstr(f, name);
    fprintf(f, ",\"now\":%lld", sqlite3_column_int64(st, 4));
    for (int k = 0; k < 4; k++) {
      fprintf(f, ",\"s%d\":", k);
      json_col_text(f, st, 5 + k);
    }
    for (int k = 0; k < 3; k++) {
      fprintf(f, ",\"i%d\":", k);
      json_col_int(f, st, 9 + k);
    }
    /* As recovery reads it: an op with a blob kind has one, every other op none. */
    int has = sqlite3_column_type(st, 12) != SQLITE_NULL;
    if (has != (cc_rec_extra_kind(cases, op) != 0)) {
      fputs("}\n", f);
      fflush(f);
      fprintf(stderr, "%s: %s: record %" PRId64 ": %s\n", prog, path, seq,
              has ? "an extra column its op does not have" : "its extra column is missing");
      goto fail;
    }
    if (has) {
      const void *blob = sqlite3_column_blob(st, 12);
      size_t n = (size_t)sqlite3_column_bytes(st, 12);
      if (json_extra(f, cases, op, blob, n) != 0) {
        fputs("}\n", f);
        fflush(f);
        fprintf(stderr, "%s: %s: record %" PRId64 ": its extra column cannot be read\n", prog,
                path, seq);
        goto fail;
      }
    }
    fputs("}\n", f);
  }
  if (rc != SQLITE_DONE) {
    sql_error(db, "reading the journal");
    goto fail;
  }
  sqlite3_finalize(st);
  st = NULL;

  if (audit) {
    if (sqlite3_prepare_v2(db,
                           "SELECT e.name, a.seq, a.time, a.line FROM audit a "
                           "JOIN engines e ON e.id = a.engine "
                           "WHERE ?1 IS NULL OR e.name = ?1 ORDER BY a.engine, a.seq",
                           -1, &st, NULL) != SQLITE_OK) {
      sql_error(db, "reading the audit lines");
      goto fail;
    }
    sqlite3_bind_text(st, 1, engine, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      fputs("{\"type\":\"audit\",\"engine\":", f);
      json_col_text(f, st, 0);
      fprintf(f, ",\"seq\":%lld,\"time\":%lld,\"line\":", sqlite3_column_int64(st, 1),
              sqlite3_column_int64(st, 2));
      json_col_text(f, st, 3);
      fputs("}\n", f);
    }
    if (rc != SQLITE_DONE) {
      sql_error(db, "reading the audit lines");
      goto fail;
    }
    sqlite3_finalize(st);
    st = NULL;
  }
  if (fflush(f) != 0 || ferror(f)) {
    fprintf(stderr, "%s: cannot write the output\n", prog);
    err = 1;
  }
  sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
  sqlite3_close(db);
  cc_rec_xdec_free(&xdec);
  return err;
fail:
  sqlite3_finalize(st);
  sqlite3_close(db);
  cc_rec_xdec_free(&xdec);
  return 1;
}

/* ---- backup and compact ------------------------------------------------------------- */

/* fsync of a file, then of its directory, so that the copy and its name survive a crash:
 * SQLite does not sync the output of VACUUM INTO. */
static int sync_path(const char *path)
{
  int fd = open(path, O_RDONLY);
  if (fd < 0 || fsync(fd) != 0) {
    if (fd >= 0)
      close(fd);
    return -1;
  }
  close(fd);
  char dir[4096];
  if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
    return -1;
  char *slash = strrchr(dir, '/');
  if (slash == dir)
    slash[1] = '\0';
  else if (slash)
    *slash = '\0';
  else
    strcpy(dir, ".");
  fd = open(dir, O_RDONLY);
  if (fd < 0)
    return -1;
  int rc = fsync(fd);
  close(fd);
  return rc;
}

static int cmd_backup(const char *path, const char *dest)
{
  struct stat sb;
  if (stat(dest, &sb) == 0 || errno != ENOENT) {
    fprintf(stderr, "%s: %s: %s\n", prog, dest,
            errno == ENOENT || errno == 0 ? "exists already" : strerror(errno));
    return 1;
  }
  int schema = 0;
  sqlite3 *db = open_ro(path, 1, &schema);
  if (!db)
    return 1;
  /* One read transaction: the copy is the store as of one commit, while the process that
   * has it open goes on appending (WAL readers do not block the writer). */
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, "VACUUM INTO ?1", -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, dest, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    sql_error(db, "VACUUM INTO");
    sqlite3_close(db);
    unlink(dest);
    return 1;
  }
  sqlite3_close(db);
  if (sync_path(dest) != 0) {
    fprintf(stderr, "%s: %s: cannot sync the copy: %s\n", prog, dest, strerror(errno));
    return 1;
  }
  /* Check the copy the way SQLite checks a file, so a backup that is kept is readable. */
  sqlite3 *out = NULL;
  int ok = 0;
  if (sqlite3_open_v2(dest, &out, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(out, "PRAGMA quick_check", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    const char *r = (const char *)sqlite3_column_text(st, 0);
    ok = r && strcmp(r, "ok") == 0;
    if (!ok)
      fprintf(stderr, "%s: %s: the copy fails SQLite's check: %s\n", prog, dest, r ? r : "?");
  } else {
    fprintf(stderr, "%s: %s: cannot read the copy: %s\n", prog, dest,
            out ? sqlite3_errmsg(out) : "out of memory");
  }
  sqlite3_finalize(st);
  sqlite3_close(out);
  if (!ok)
    return 1;
  printf("%s: %lld B\n", dest, file_size(dest, ""));
  return 0;
}

/* ---- through the library: verify, compact ------------------------------------------- */

static void log_stderr(void *ud, ccenter_log_level level, const char *msg)
{
  (void)ud;
  (void)level;
  fprintf(stderr, "%s: %s\n", prog, msg);
}

/* Opens the store through the library (which takes its lock: EBUSY while a process has
 * it). The file must exist: ccenter_store_open() would create it. */
static ccenter_store *open_store(const char *path)
{
  if (!file_exists(path))
    return NULL;
  ccenter_options *o = ccenter_options_new();
  if (!o || ccenter_options_set_log(o, log_stderr, CCENTER_LOG_WARN, NULL) != 0) {
    fprintf(stderr, "%s: out of memory\n", prog);
    ccenter_options_free(o);
    return NULL;
  }
  ccenter_store *st = NULL;
  int rc = ccenter_store_open(path, o, &st);
  ccenter_options_free(o);
  if (rc != 0) {
    fprintf(stderr, "%s: %s: %s%s\n", prog, path, ccenter_strerror(rc),
            rc == CCENTER_EBUSY ? " (another process has the store open)" : "");
    return NULL;
  }
  return st;
}

/* The key file's bytes, as given to ccenter_cases_set_audit_key() by the integrator. */
static unsigned char *read_key(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
    return NULL;
  }
  size_t cap = 256, n = 0;
  unsigned char *k = malloc(cap);
  while (k) {
    n += fread(k + n, 1, cap - n, f);
    if (n < cap || cap >= 1 << 20)
      break;
    unsigned char *k2 = realloc(k, cap *= 2);
    if (!k2) {
      free(k);
      k = NULL;
    } else {
      k = k2;
    }
  }
  int bad = ferror(f) || !k || n == 0 || (n == cap && !feof(f));
  fclose(f);
  if (bad) {
    fprintf(stderr, "%s: %s: %s\n", prog, path,
            !k ? "out of memory" : n == 0 ? "empty key file" : "cannot read the key file");
    free(k);
    return NULL;
  }
  *len = n;
  return k;
}

static void count_event(ccenter_engine *e, const ccenter_event *ev, void *ud)
{
  (void)e;
  (void)ev;
  ++*(uint64_t *)ud;
}

/* Recovers every engine of the store (or the one named `only`), as an integrator's
 * start-up would, and says what each one holds; with `snapshot`, then takes a snapshot of
 * it. Events raised by the replay are counted, not kept. A snapshot is taken with the
 * statistics on (the default an integrator recovers with); a check needs none. */
static int each_engine(ccenter_store *store, const char *path, const void *key, size_t key_len,
                       const char *only, int snapshot)
{
  /* The store's own connection: it holds the file exclusively, a second one would wait. */
  sqlite3 *db = cc_store_db(store);
  int err = 0, found = 0;
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "SELECT name, kind FROM engines ORDER BY id", -1, &st, NULL) !=
      SQLITE_OK) {
    sql_error(db, "reading engines");
    return 1;
  }
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(st, 0);
    const char *kind = (const char *)sqlite3_column_text(st, 1);
    if (only && strcmp(only, name) != 0)
      continue;
    found = 1;
    ccenter_options *o = ccenter_options_new();
    uint64_t events = 0;
    int rc = o ? ccenter_options_set_statistics(o, snapshot) : CCENTER_ENOMEM;
    rc = rc ? rc : ccenter_options_set_event_callback(o, count_event, &events);
    rc = rc ? rc : ccenter_options_set_log(o, log_stderr, CCENTER_LOG_WARN, NULL);
    const char *what = "does not replay";
    if (rc == 0 && kind && strcmp(kind, "cases") == 0) {
      ccenter_cases *ce = NULL;
      rc = ccenter_store_cases_recover(store, name, o, key, key_len, &ce);
      if (rc == 0)
        printf("replayed    %s (cases): %zu cases, %zu open\n", name, ccenter_cases_count(ce),
               ccenter_cases_open_count(ce));
      if (rc == 0 && snapshot && (rc = ccenter_store_snapshot(store, name)) != 0)
        what = "no snapshot taken";
      ccenter_cases_free(ce);
    } else if (rc == 0) {
      ccenter_engine *e = NULL;
      rc = ccenter_store_engine_recover(store, name, o, &e);
      if (rc == 0) {
        printf("replayed    %s (routing): now %" PRId64 ", %" PRIu64 " events", name,
               ccenter_engine_now(e), events);
        int64_t d = ccenter_engine_next_deadline(e);
        if (d != CCENTER_NO_DEADLINE)
          printf(", next deadline %" PRId64, d);
        printf("\n");
      }
      if (rc == 0 && snapshot && (rc = ccenter_store_snapshot(store, name)) != 0)
        what = "no snapshot taken";
      ccenter_engine_free(e);
    }
    ccenter_options_free(o);
    if (rc != 0) {
      fprintf(stderr, "%s: %s: engine '%s' %s: %s\n", prog, path, name, what,
              ccenter_strerror(rc));
      err = 1;
    } else if (snapshot) {
      static const char sql[] =
          "SELECT s.seq, length(s.state) FROM snapshots s JOIN engines e ON e.id = s.engine"
          " WHERE e.name = ? ORDER BY s.seq DESC LIMIT 1";
      sqlite3_stmt *q = NULL;
      if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW)
          printf("snapshot    %s at record %lld, %lld B\n", name, sqlite3_column_int64(q, 0),
                 sqlite3_column_int64(q, 1));
      }
      sqlite3_finalize(q);
    }
  }
  sqlite3_finalize(st);
  if (only && !found) {
    fprintf(stderr, "%s: %s: no engine named '%s'\n", prog, path, only);
    err = 1;
  }
  return err;
}

/* verify and snapshot: open through the library, verify with the key (a snapshot too: a
 * case engine recovered with another key than its own would go on with other hashes, and
 * its snapshot would carry them), then replay every engine (verify --replay) or recover
 * and snapshot each one (snapshot; keep >= 0: with that retention). */
static int cmd_checked(const char *path, const char *key_file, int replay, int snapshot,
                       const char *engine, long keep)
{
  size_t key_len = 0;
  unsigned char *key = NULL;
  if (key_file && !(key = read_key(key_file, &key_len)))
    return 1;
  ccenter_store *store = open_store(path);
  if (!store) {
    free(key);
    return 1;
  }
  char msg[512] = "";
  int rc = ccenter_store_verify(store, key, key_len, msg, sizeof msg);
  if (rc != 0)
    fprintf(stderr, "%s: %s: %s: %s%s%s\n", prog, path, ccenter_strerror(rc), msg,
            snapshot ? "; no snapshot taken" : "",
            key ? "" : " (a chain kept with a key verifies only with --key-file)");
  else if (!snapshot)
    printf("%s: ok%s\n", path, key ? "" : " (audit chains checked without a key)");
  int err = rc != 0;
  if (!err && snapshot && keep >= 0 &&
      (rc = ccenter_store_set_retention(store, (unsigned)keep, NULL)) != 0) {
    fprintf(stderr, "%s: %s: --keep: %s\n", prog, path, ccenter_strerror(rc));
    err = 1;
  }
  if (!err && (replay || snapshot))
    err = each_engine(store, path, key, key_len, engine, snapshot);
  int crc = ccenter_store_close(store);
  if (crc != 0) {
    fprintf(stderr, "%s: %s: closing: %s\n", prog, path, ccenter_strerror(crc));
    err = 1;
  }
  free(key);
  return err;
}

static int cmd_compact(const char *path)
{
  /* Through the library: its lock keeps every other process out while the file is
   * rewritten, and VACUUM runs on the store's own connection. */
  ccenter_store *store = open_store(path);
  if (!store)
    return 1;
  ccenter_store_info in = {.size = sizeof in};
  int err = ccenter_store_info_get(store, &in) != 0;
  long long before = (long long)in.file_bytes;
  sqlite3 *db = cc_store_db(store);
  /* VACUUM rewrites the file through the WAL; the checkpoint moves it back into the
   * database and empties the WAL, so that the space is really returned. */
  if (!err && (sqlite3_exec(db, "VACUUM", NULL, NULL, NULL) != SQLITE_OK ||
               sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) !=
                   SQLITE_OK)) {
    sql_error(db, "VACUUM");
    err = 1;
  }
  if (!err && ccenter_store_info_get(store, &in) == 0)
    printf("%s: %lld B -> %lld B\n", path, before, (long long)in.file_bytes);
  int crc = ccenter_store_close(store);
  if (crc != 0) {
    fprintf(stderr, "%s: %s: closing: %s\n", prog, path, ccenter_strerror(crc));
    err = 1;
  }
  return err;
}

/* ---- the `extra` column ------------------------------------------------------------- */

static int json_extra(FILE *f, int cases, int op, const void *blob, size_t n)
{
  int rc = cc_rec_decode(&xdec, blob, n);
  if (rc != 0)
    return rc;
  /* A blob of another op's kind is as corrupt as an unreadable one: recovery would not
   * read it either. */
  if (xdec.kind != cc_rec_extra_kind(cases, op))
    return CCENTER_ECORRUPT;
  switch (xdec.kind) {
  case CC_X_PARAMS: {
    const ccenter_contact_params *p = &xdec.params;
    fprintf(f, ",\"params\":{\"channel\":%d,\"priority\":%d,\"customer\":", (int)p->channel,
            p->priority);
    json_cstr(f, p->customer);
    fputs(",\"attrs\":[", f);
    for (size_t k = 0; k < p->n_attrs; k++) {
      fputs(k ? ",{\"key\":" : "{\"key\":", f);
      json_cstr(f, p->attrs[k].key);
      fputs(",\"value\":", f);
      json_cstr(f, p->attrs[k].value);
      fputs("}", f);
    }
    fputs("],\"steps\":[", f);
    for (size_t k = 0; k < p->n_steps; k++) {
      fputs(k ? ",{\"requirement\":" : "{\"requirement\":", f);
      json_cstr(f, p->steps[k].requirement);
      fprintf(f, ",\"duration_ms\":%" PRId64 "}", p->steps[k].duration_ms);
    }
    fputs("],\"preferred\":[", f);
    for (size_t k = 0; k < p->n_preferred; k++) {
      if (k)
        fputc(',', f);
      json_cstr(f, p->preferred[k]);
    }
    fprintf(f, "],\"preferred_timeout_ms\":%" PRId64 ",\"emergency\":%d}",
            p->preferred_timeout_ms, p->emergency);
    return 0;
  }
  case CC_X_THRESHOLDS:
    fputs(",\"thresholds\":[", f);
    for (size_t k = 0; k < xdec.n_arr; k++)
      fprintf(f, "%s%" PRId64, k ? "," : "", xdec.arr[k]);
    fputs("]", f);
    return 0;
  case CC_X_EVIDENCE:
    fputs(",\"evidence\":[", f);
    for (size_t k = 0; k < xdec.n_ev; k++) {
      fputs(k ? ",{\"name\":" : "{\"name\":", f);
      json_cstr(f, xdec.ev[k].name);
      fputs(",\"ref\":", f);
      json_cstr(f, xdec.ev[k].ref);
      fputs("}", f);
    }
    fputs("]", f);
    return 0;
  }
  return CCENTER_ECORRUPT;
}

/* ---- main --------------------------------------------------------------------------- */

static int parse_seq(const char *s, int64_t *out)
{
  char *end = NULL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end || v < 0)
    return -1;
  *out = v;
  return 0;
}

int main(int argc, char **argv)
{
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    usage(stdout);
    return 0;
  }
  const char *key_file = NULL, *engine = NULL;
  int64_t from = 0, keep = -1;
  int replay = 0, audit = 0, i = 2;
  for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
    const char *a = argv[i];
    int has_arg = i + 1 < argc;
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    } else if ((strcmp(cmd, "verify") == 0 || strcmp(cmd, "snapshot") == 0) &&
               strcmp(a, "--key-file") == 0 && has_arg) {
      key_file = argv[++i];
    } else if (strcmp(cmd, "snapshot") == 0 && strcmp(a, "--engine") == 0 && has_arg) {
      engine = argv[++i];
    } else if (strcmp(cmd, "snapshot") == 0 && strcmp(a, "--keep") == 0 && has_arg) {
      if (parse_seq(argv[++i], &keep) != 0 || keep > 1000000) {
        fprintf(stderr, "%s: --keep: not a count of snapshots: '%s'\n", prog, argv[i]);
        return 2;
      }
    } else if (strcmp(cmd, "verify") == 0 && strcmp(a, "--replay") == 0) {
      replay = 1;
    } else if (strcmp(cmd, "export") == 0 && strcmp(a, "--engine") == 0 && has_arg) {
      engine = argv[++i];
    } else if (strcmp(cmd, "export") == 0 && strcmp(a, "--from") == 0 && has_arg) {
      if (parse_seq(argv[++i], &from) != 0) {
        fprintf(stderr, "%s: --from: not a sequence number: '%s'\n", prog, argv[i]);
        return 2;
      }
    } else if (strcmp(cmd, "export") == 0 && strcmp(a, "--audit") == 0) {
      audit = 1;
    } else {
      fprintf(stderr, "%s: %s: unknown option or missing argument '%s'\n", prog, cmd, a);
      usage(stderr);
      return 2;
    }
  }
  int nargs = argc - i;
  char **args = argv + i;
  if (strcmp(cmd, "info") == 0 && nargs == 1)
    return cmd_info(args[0]);
  if (strcmp(cmd, "verify") == 0 && nargs == 1)
    return cmd_checked(args[0], key_file, replay, 0, NULL, -1);
  if (strcmp(cmd, "export") == 0 && nargs == 1)
    return cmd_export(args[0], engine, from, audit);
  if (strcmp(cmd, "backup") == 0 && nargs == 2)
    return cmd_backup(args[0], args[1]);
  if (strcmp(cmd, "compact") == 0 && nargs == 1)
    return cmd_compact(args[0]);
  if (strcmp(cmd, "snapshot") == 0 && nargs == 1)
    return cmd_checked(args[0], key_file, 0, 1, engine, (long)keep);
  fprintf(stderr, "%s: unknown command or wrong arguments: %s\n", prog, cmd);
  usage(stderr);
  return 2;
}
