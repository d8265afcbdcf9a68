/*
 * A fault-injecting SQLite VFS for the store's tests (test-only code, never in the
 * library): "ccfault" wraps the default VFS, counts every call of every method, and can
 * fail the N-th call of one method with a chosen SQLite result code (an I/O error, or
 * SQLITE_FULL as a full disk gives). Everything else passes through to the real VFS, so a
 * database written through it is an ordinary SQLite file.
 *
 * The counters and the armed fault are process-wide (SQLite calls the VFS from the thread
 * that runs the statement, and the tests are single-threaded).
 */
#ifndef CC_TEST_FAULTVFS_H
#define CC_TEST_FAULTVFS_H

#include <stdint.h>

#define FAULTVFS_NAME "ccfault"

typedef enum fv_method {
  /* VFS methods */
  FV_OPEN,
  FV_DELETE,
  FV_ACCESS,
  /* file methods */
  FV_READ,
  FV_WRITE,
  FV_TRUNCATE,
  FV_SYNC,
  FV_FILESIZE,
  FV_LOCK,
  FV_SHMMAP,
  FV_COUNT_
} fv_method;

/* How an injected fault behaves. */
enum {
  /* Every call of the method from the N-th on fails (a disk that stays full or dead);
   * otherwise only the N-th does. */
  FV_PERSIST = 1,
  /* FV_WRITE only: the first half of the buffer is written before the call fails, as a
   * write cut short by a full disk would (a torn page). */
  FV_PARTIAL = 2
};

/* Registers the VFS (not as the default); idempotent. Returns an SQLite result code. */
int faultvfs_register(void);
/* Counters to zero and no fault armed. */
void faultvfs_reset(void);
/* Calls of method m since the last reset (failed ones included). */
uint64_t faultvfs_count(fv_method m);
/* Arms one fault: the call of m whose number since the reset is `nth` (1-based) returns
 * `rc` (and the later ones too with FV_PERSIST). Replaces any fault armed before. */
void faultvfs_fail(fv_method m, uint64_t nth, int rc, int flags);
/* Disarms the fault; the counters go on. */
void faultvfs_clear(void);
/* With on, xSync calls are counted (and may fail) but not passed on: for tests in which
 * the machine never stops, where a sync only costs time (a killed process leaves its
 * writes to the kernel either way). Off after faultvfs_reset(). */
void faultvfs_skip_syncs(int on);
/* Faults injected since the last reset. */
uint64_t faultvfs_injected(void);
/* "xWrite", "xSync", ... */
const char *faultvfs_method_name(fv_method m);

#endif
