/*
 * The fault-injecting VFS (faultvfs.h). A shim file is our header followed by the real
 * VFS's file: SQLite allocates szOsFile bytes for both, and every method counts, maybe
 * fails, then forwards to the real file's methods.
 */
#include "faultvfs.h"

#include <sqlite3.h>
#include <string.h>

typedef struct fv_file {
  sqlite3_file base;   /* pMethods: ours, or NULL when the open failed */
  sqlite3_file *real;  /* right after this struct, in the same allocation */
} fv_file;

static struct {
  sqlite3_vfs *parent;
  uint64_t count[FV_COUNT_];
  int armed;
  fv_method method;
  uint64_t nth;
  int rc;
  int flags;
  uint64_t injected;
  int skip_syncs;
} fv;

static const char *const names[FV_COUNT_] = {
  "xOpen", "xDelete", "xAccess", "xRead", "xWrite", "xTruncate", "xSync", "xFileSize",
  "xLock", "xShmMap",
};

const char *faultvfs_method_name(fv_method m)
{
  return (unsigned)m < FV_COUNT_ ? names[m] : "?";
}

void faultvfs_reset(void)
{
  memset(fv.count, 0, sizeof fv.count);
  fv.armed = 0;
  fv.injected = 0;
  fv.skip_syncs = 0;
}

void faultvfs_skip_syncs(int on)
{
  fv.skip_syncs = on;
}

uint64_t faultvfs_count(fv_method m)
{
  return (unsigned)m < FV_COUNT_ ? fv.count[m] : 0;
}

void faultvfs_fail(fv_method m, uint64_t nth, int rc, int flags)
{
  fv.armed = 1;
  fv.method = m;
  fv.nth = nth;
  fv.rc = rc;
  fv.flags = flags;
}

void faultvfs_clear(void)
{
  fv.armed = 0;
}

uint64_t faultvfs_injected(void)
{
  return fv.injected;
}

/* Counts a call of m; returns the code to fail it with, or SQLITE_OK to let it through. */
static int hit(fv_method m)
{
  uint64_t n = ++fv.count[m];
  if (!fv.armed || fv.method != m)
    return SQLITE_OK;
  if (n == fv.nth || (n > fv.nth && (fv.flags & FV_PERSIST))) {
    fv.injected++;
    return fv.rc;
  }
  return SQLITE_OK;
}

/* ---- file methods ---- */

static int fv_close(sqlite3_file *f)
{
  fv_file *p = (fv_file *)f;
  return p->real->pMethods->xClose(p->real);
}

static int fv_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
  fv_file *p = (fv_file *)f;
  int rc = hit(FV_READ);
  if (rc != SQLITE_OK)
    return rc;
  return p->real->pMethods->xRead(p->real, buf, amt, off);
}

static int fv_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
  fv_file *p = (fv_file *)f;
  int rc = hit(FV_WRITE);
  if (rc != SQLITE_OK) {
    if ((fv.flags & FV_PARTIAL) && amt > 1)
      (void)p->real->pMethods->xWrite(p->real, buf, amt / 2, off);
    return rc;
  }
  return p->real->pMethods->xWrite(p->real, buf, amt, off);
}

static int fv_truncate(sqlite3_file *f, sqlite3_int64 size)
{
  fv_file *p = (fv_file *)f;
  int rc = hit(FV_TRUNCATE);
  if (rc != SQLITE_OK)
    return rc;
  return p->real->pMethods->xTruncate(p->real, size);
}

static int fv_sync(sqlite3_file *f, int flags)
{
  fv_file *p = (fv_file *)f;
  int rc = hit(FV_SYNC);
  if (rc != SQLITE_OK || fv.skip_syncs)
    return rc;
  return p->real->pMethods->xSync(p->real, flags);
}

static int fv_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
  fv_file *p = (fv_file *)f;
  int rc = hit(FV_FILESIZE);
  if (rc != SQLITE_OK)
    return rc;
  return p->real->pMethods->xFileSize(p->real, size);
}

static int fv_lock(sqlite3_file *f, int level)
{
  fv_file *p = (fv_file *)f;
  int rc = hit(FV_LOCK);
  if (rc != SQLITE_OK)
    return rc;
  return p->real->pMethods->xLock(p->real, level);
}

static int fv_unlock(sqlite3_file *f, int level)
{
  fv_file *p = (fv_file *)f;
  return p->real->pMethods->xUnlock(p->real, level);
}

static int fv_check_reserved(sqlite3_file *f, int *out)
{
  fv_file *p = (fv_file *)f;
  return p->real->pMethods->xCheckReservedLock(p->real, out);
}

static int fv_file_control(sqlite3_file *f, int op, void *arg)
{
  fv_file *p = (fv_file *)f;
  return p->real->pMethods->xFileControl(p->real, op, arg);
}

static int fv_sector_size(sqlite3_file *f)
{
  fv_file *p = (fv_file *)f;
  return p->real->pMethods->xSectorSize(p->real);
}

static int fv_device_characteristics(sqlite3_file *f)
{
  fv_file *p = (fv_file *)f;
  return p->real->pMethods->xDeviceCharacteristics(p->real);
}

/* The shared-memory and memory-map methods exist from io_methods version 2 and 3; the
 * default unix VFS has both, and a real file without them makes SQLite avoid them (we
 * report the same version as the real file, see fv_open). */
static int fv_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
  fv_file *p = (fv_file *)f;
  int rc = hit(FV_SHMMAP);
  if (rc != SQLITE_OK)
    return rc;
  return p->real->pMethods->xShmMap(p->real, pg, pgsz, extend, pp);
}

static int fv_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
  fv_file *p = (fv_file *)f;
  return p->real->pMethods->xShmLock(p->real, offset, n, flags);
}

static void fv_shm_barrier(sqlite3_file *f)
{
  fv_file *p = (fv_file *)f;
  p->real->pMethods->xShmBarrier(p->real);
}

static int fv_shm_unmap(sqlite3_file *f, int del)
{
  fv_file *p = (fv_file *)f;
  return p->real->pMethods->xShmUnmap(p->real, del);
}

static int fv_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp)
{
  fv_file *p = (fv_file *)f;
  return p->real->pMethods->xFetch(p->real, off, amt, pp);
}

static int fv_unfetch(sqlite3_file *f, sqlite3_int64 off, void *ptr)
{
  fv_file *p = (fv_file *)f;
  return p->real->pMethods->xUnfetch(p->real, off, ptr);
}

#define FV_METHODS(v)                                                                 \
  {                                                                                   \
    v, fv_close, fv_read, fv_write, fv_truncate, fv_sync, fv_file_size, fv_lock,      \
      fv_unlock, fv_check_reserved, fv_file_control, fv_sector_size,                  \
      fv_device_characteristics, fv_shm_map, fv_shm_lock, fv_shm_barrier, fv_shm_unmap, \
      fv_fetch, fv_unfetch                                                            \
  }

/* One table per io_methods version, so SQLite sees the methods the real file has. */
static const sqlite3_io_methods methods[4] = {
  FV_METHODS(0), FV_METHODS(1), FV_METHODS(2), FV_METHODS(3),
};

/* ---- VFS methods ---- */

static int fv_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
                   int *out_flags)
{
  fv_file *p = (fv_file *)f;
  p->base.pMethods = NULL;
  p->real = (sqlite3_file *)(p + 1);
  int rc = hit(FV_OPEN);
  if (rc != SQLITE_OK)
    return rc;
  rc = fv.parent->xOpen(fv.parent, name, p->real, flags, out_flags);
  if (p->real->pMethods) {
    int v = p->real->pMethods->iVersion;
    p->base.pMethods = &methods[v < 0 ? 0 : v > 3 ? 3 : v];
  }
  (void)vfs;
  return rc;
}

static int fv_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
  int rc = hit(FV_DELETE);
  (void)vfs;
  if (rc != SQLITE_OK)
    return rc;
  return fv.parent->xDelete(fv.parent, name, sync_dir);
}

static int fv_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
  int rc = hit(FV_ACCESS);
  (void)vfs;
  if (rc != SQLITE_OK)
    return rc;
  return fv.parent->xAccess(fv.parent, name, flags, out);
}

static int fv_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
  (void)vfs;
  return fv.parent->xFullPathname(fv.parent, name, n, out);
}

static void *fv_dl_open(sqlite3_vfs *vfs, const char *name)
{
  (void)vfs;
  return fv.parent->xDlOpen(fv.parent, name);
}

static void fv_dl_error(sqlite3_vfs *vfs, int n, char *msg)
{
  (void)vfs;
  fv.parent->xDlError(fv.parent, n, msg);
}

static void (*fv_dl_sym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
  (void)vfs;
  return fv.parent->xDlSym(fv.parent, h, sym);
}

static void fv_dl_close(sqlite3_vfs *vfs, void *h)
{
  (void)vfs;
  fv.parent->xDlClose(fv.parent, h);
}

static int fv_randomness(sqlite3_vfs *vfs, int n, char *out)
{
  (void)vfs;
  return fv.parent->xRandomness(fv.parent, n, out);
}

static int fv_sleep(sqlite3_vfs *vfs, int us)
{
  (void)vfs;
  return fv.parent->xSleep(fv.parent, us);
}

static int fv_current_time(sqlite3_vfs *vfs, double *out)
{
  (void)vfs;
  return fv.parent->xCurrentTime(fv.parent, out);
}

static int fv_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
  (void)vfs;
  return fv.parent->xGetLastError ? fv.parent->xGetLastError(fv.parent, n, out) : 0;
}

static int fv_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
  (void)vfs;
  return fv.parent->xCurrentTimeInt64(fv.parent, out);
}

static sqlite3_vfs fault_vfs = {
  .iVersion = 2,
  .zName = FAULTVFS_NAME,
  .xOpen = fv_open,
  .xDelete = fv_delete,
  .xAccess = fv_access,
  .xFullPathname = fv_full_pathname,
  .xDlOpen = fv_dl_open,
  .xDlError = fv_dl_error,
  .xDlSym = fv_dl_sym,
  .xDlClose = fv_dl_close,
  .xRandomness = fv_randomness,
  .xSleep = fv_sleep,
  .xCurrentTime = fv_current_time,
  .xGetLastError = fv_get_last_error,
  .xCurrentTimeInt64 = fv_current_time_int64,
};

int faultvfs_register(void)
{
  if (fv.parent)
    return SQLITE_OK;
  int rc = sqlite3_initialize();
  if (rc != SQLITE_OK)
    return rc;
  sqlite3_vfs *parent = sqlite3_vfs_find(NULL);
  if (!parent || parent->iVersion < 2)
    return SQLITE_ERROR;
  fault_vfs.szOsFile = (int)sizeof(fv_file) + parent->szOsFile;
  fault_vfs.mxPathname = parent->mxPathname;
  fv.parent = parent;
  rc = sqlite3_vfs_register(&fault_vfs, 0);
  if (rc != SQLITE_OK)
    fv.parent = NULL;
  return rc;
}
