/*
 * libccenter — the durable store: a journal of every input the engines accept, on SQLite,
 * so that a routing engine and a case engine come back exactly where they were after a
 * crash or a restart.
 *
 * The store is an adapter: it depends on the engines, which know nothing of it. It writes
 * ahead: an engine created through the store (ccenter_store_engine_new(),
 * ccenter_store_cases_new()) hands every call's input to the store before the call does
 * anything, and the store keeps it as one journal record. A snapshot
 * (ccenter_store_snapshot()) keeps an engine's whole state at one point of its journal.
 * Recovery restores the latest snapshot (or creates a fresh engine) and runs the journal
 * after it; the engines are deterministic, so the recovered engine has the same state,
 * makes the same later decisions and raises the same events as one that never stopped.
 * With snapshots, recovery takes time in proportion to the journal since the latest one,
 * not to the whole history; retention (ccenter_store_set_retention()) removes the
 * records that no snapshot needs any more. User data and callbacks are not stored: the integrator sets them again
 * (docs/store.md).
 *
 * Durability, per store (ccenter_store_set_durability()):
 * - CCENTER_DURABILITY_FULL: a call returns only after its input is committed and synced
 *   (SQLite WAL mode, synchronous=FULL). A call whose write fails returns the error and
 *   changes nothing. One case is uncertain, as after any failed fsync: when the write
 *   succeeded and only the sync failed, the input is complete in the WAL file; SQLite's
 *   next successful commit writes over it, but if the process stops before one succeeds,
 *   recovery may find the refused input and carry it out (docs/store.md, "FULL").
 * - CCENTER_DURABILITY_GROUPED (the default, with max_ms 100 and max_records 10,000):
 *   inputs are committed in groups, when `max_records` are pending or the first pending one is `max_ms` old (in the engines'
 *   own time: the `now` of later calls), and at ccenter_store_flush(). A crash loses at
 *   most the inputs of one window. If a group's commit fails, the engines are ahead of
 *   the disk by that group: the store refuses every later input (CCENTER_EIO) until a
 *   ccenter_store_flush() succeeds, so they never get further ahead.
 * - CCENTER_DURABILITY_MEMORY: nothing is synced (tests); a crash of the process may lose
 *   anything not yet written by SQLite.
 * - CCENTER_DURABILITY_WRITTEN (since 0.2): a call returns only after its input is
 *   committed to the WAL file (synchronous=NORMAL): written to the operating system, not
 *   synced. A crash of the process (kill -9) loses nothing acknowledged; a crash of the
 *   machine loses what was written since the last ccenter_store_sync(), which the
 *   integrator calls on a thread of its own (say every 100 ms), so that no call waits
 *   for the disk. Errors as for FULL.
 * Case-engine inputs are always committed before the call goes on, whatever the mode
 * (synced in FULL and GROUPED; in WRITTEN written like the rest, synced by
 * ccenter_store_sync()); the audit records a call makes are committed at its
 * end (a crash in between leaves them to the next recovery, which writes them again).
 *
 * The schema is documented in docs/store.md; `sqlite3 FILE` is a way in.
 *
 * Errors: SQLite's failures map to CCENTER_EIO, CCENTER_ENOSPC (disk full), CCENTER_ENOMEM,
 * CCENTER_EBUSY (locked) and CCENTER_ECORRUPT (damaged file); the log says which SQLite
 * call failed. A build without SQLite has every function below, and each returns
 * CCENTER_ENOTSUP (ccenter_store_close(NULL) returns 0, ccenter_store_flush_deadline()
 * CCENTER_NO_DEADLINE).
 *
 * Not thread-safe: a store and its engines are used from one thread at a time, except
 * ccenter_store_sync(), which may run on another thread meanwhile. One
 * process opens a store file at a time (CCENTER_EBUSY otherwise).
 */
#ifndef CCENTER_STORE_H
#define CCENTER_STORE_H

#include "ccenter/common.h"
#include "ccenter/options.h"
#include "ccenter/engine.h"
#include "ccenter/workflow.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An opaque store. */
typedef struct ccenter_store ccenter_store;

/** The schema version this library writes and reads (PRAGMA user_version). */
#define CCENTER_STORE_SCHEMA 2

typedef enum ccenter_durability {
  CCENTER_DURABILITY_FULL = 0,
  CCENTER_DURABILITY_GROUPED = 1,
  CCENTER_DURABILITY_MEMORY = 2,
  CCENTER_DURABILITY_WRITTEN = 3 /**< since 0.2 */
} ccenter_durability;

/**
 * Opens the store in file `path`, creating it with the current schema when it does not
 * exist, and migrating an older schema forward. opts may be NULL (its log is used).
 * Errors: CCENTER_EINVAL, CCENTER_EIO (cannot open or create; the log says why),
 * CCENTER_ENOSPC (no room to create or migrate it), CCENTER_EBUSY (another process or
 * connection holds it), CCENTER_ECORRUPT (not a libccenter store, or
 * damaged), CCENTER_ENEWER (written by a newer libccenter: its schema is above
 * CCENTER_STORE_SCHEMA), CCENTER_ENOTSUP (built without SQLite), CCENTER_ENOMEM.
 * Since 0.2.
 */
CCENTER_EXPORT int ccenter_store_open(const char *path, const ccenter_options *opts,
                                      ccenter_store **out);

/**
 * Flushes pending inputs and closes the store. The engines created through it stay
 * usable but are no longer journaled. NULL does nothing. Returns 0, or the error of the
 * last flush (the inputs it could not write are lost). Since 0.2.
 */
CCENTER_EXPORT int ccenter_store_close(ccenter_store *st);

/**
 * Sets the durability mode. For GROUPED, max_ms (1..60,000) and max_records
 * (1..1,000,000) bound the group; they are ignored otherwise. Changing mode flushes.
 * Errors: CCENTER_EINVAL, CCENTER_ERANGE, CCENTER_EIO or CCENTER_ENOSPC (the flush
 * failed; the mode is unchanged). Since 0.2.
 */
CCENTER_EXPORT int ccenter_store_set_durability(ccenter_store *st, ccenter_durability mode,
                                                int64_t max_ms, uint32_t max_records);

/**
 * Commits every pending input. In GROUPED mode an event loop calls it at
 * ccenter_store_flush_deadline() (or after each burst of calls). On failure the inputs stay
 * pending for the next attempt. Errors: CCENTER_EINVAL, CCENTER_EIO, CCENTER_ENOSPC,
 * CCENTER_ENOMEM, CCENTER_ECORRUPT (SQLite found the file damaged). Since 0.2.
 */
CCENTER_EXPORT int ccenter_store_flush(ccenter_store *st);

/**
 * Syncs to the disk what the store has written: fdatasync() of its WAL file and fsync()
 * of the directory that holds it, each opened by name. The one function that may be
 * called from another thread while the store and its engines are used (it reads only the
 * names set by ccenter_store_open()), but not during or after ccenter_store_close(). Made
 * for CCENTER_DURABILITY_WRITTEN, where it is what makes the inputs written so far
 * survive a crash of the machine; harmless in the other modes. An input whose call had
 * returned before this call began is synced when it returns 0. Not counted in
 * ccenter_store_info's `syncs` (which counts synced commits).
 * Errors: CCENTER_EINVAL (st NULL), CCENTER_EIO (a file cannot be opened or synced:
 * what was written is in the operating system's hands only; call again),
 * CCENTER_ENOTSUP (built without SQLite). Since 0.2.
 */
CCENTER_EXPORT int ccenter_store_sync(ccenter_store *st);

/** The engine time at which the pending group must be committed, or CCENTER_NO_DEADLINE.
 * Since 0.2. */
CCENTER_EXPORT int64_t ccenter_store_flush_deadline(const ccenter_store *st);

/**
 * Creates a routing engine named `name` (1..64 bytes of [A-Za-z0-9_.:-]) whose every input
 * is journaled from its creation on. opts as for ccenter_engine_new(). The engine is the
 * caller's, freed with ccenter_engine_free() (before or after the store is closed).
 * Errors: CCENTER_EINVAL, CCENTER_EEXIST (the store has an engine of that name, of either
 * kind: recover it), CCENTER_EIO (also: a group failed to commit and no flush has
 * succeeded since), CCENTER_ENOSPC, CCENTER_ENOMEM, the errors of ccenter_engine_new().
 * Since 0.2.
 */
CCENTER_EXPORT int ccenter_store_engine_new(ccenter_store *st, const char *name,
                                            const ccenter_options *opts, int64_t now,
                                            ccenter_engine **out);

/**
 * Recreates the routing engine `name` from its latest snapshot and the journal after it
 * (from the whole journal when it has no snapshot), and journals it on from there. A
 * snapshot that cannot be restored (damaged, or taken with the statistics off while opts
 * asks for them) is passed over for the one before it, with a warning in the log; the
 * whole journal is the last resort, when retention has not removed any of it.
 * The events the replay raises go to opts' callback or queue like any others (an
 * integrator that only wants the state passes options without either). Errors:
 * CCENTER_EINVAL, CCENTER_ENOENT (no routing engine of that name), CCENTER_EBUSY (an
 * engine of that name is journaled through this store now: free it first),
 * CCENTER_ECORRUPT (a record cannot be read, or one the engine refuses before doing
 * anything, or no usable snapshot is left for a journal that retention shortened), CCENTER_EIO, CCENTER_ENOSPC (pending inputs could not be committed first),
 * CCENTER_ENOMEM, the errors of ccenter_engine_new(). Since 0.2.
 */
CCENTER_EXPORT int ccenter_store_engine_recover(ccenter_store *st, const char *name,
                                                const ccenter_options *opts,
                                                ccenter_engine **out);

/**
 * The same for a case engine: ccenter_store_cases_new() creates one whose inputs are all
 * journaled (always synced), ccenter_store_cases_recover() replays it. The audit key is
 * never stored: pass it (or NULL, 0) so that the recovered chain is the same. Its audit
 * records are also kept in the store (table `audit`, docs/store.md), committed at the end
 * of the call that made them. Errors: as above (CCENTER_ENOENT: no case engine of that
 * name), the errors of ccenter_cases_new(), and CCENTER_EINVAL also for a key that is NULL
 * with key_len > 0, non-NULL with key_len 0, or longer than 1024 bytes. Since 0.2.
 */
CCENTER_EXPORT int ccenter_store_cases_new(ccenter_store *st, const char *name,
                                           const ccenter_options *opts, int64_t now,
                                           const void *audit_key, size_t key_len,
                                           ccenter_cases **out);
CCENTER_EXPORT int ccenter_store_cases_recover(ccenter_store *st, const char *name,
                                               const ccenter_options *opts,
                                               const void *audit_key, size_t key_len,
                                               ccenter_cases **out);

/**
 * Writes a consistent copy of the store to the new file `dest_path` while the store stays
 * open (SQLite's VACUUM INTO on the store's own connection, after committing what is
 * pending), then syncs the copy and its directory. The copy is a store of its own: open it
 * and recover from it like the original. The store's exclusive lock keeps other processes
 * out while it is open, so this is the way to back up a running store. Errors:
 * CCENTER_EINVAL, CCENTER_EEXIST (dest_path exists), CCENTER_EIO, CCENTER_ENOSPC (the
 * copy could not be written; a partial copy is removed), the errors of
 * ccenter_store_flush(). Since 0.2.
 */
CCENTER_EXPORT int ccenter_store_backup(ccenter_store *st, const char *dest_path);

/**
 * Takes a snapshot of the engine `name` (a routing engine or a case engine journaled
 * through this store): commits what is pending, then writes the engine's whole state
 * (docs/store.md, "Snapshots") with the number of the last journal record it includes, in
 * one synced transaction. Recovery starts from the latest snapshot. Then applies the
 * retention (ccenter_store_set_retention()) to that engine, in a transaction of its own.
 * Call it between inputs, outside the engine's callbacks: for example once a day or every
 * so many records, from the event loop. The engine is not changed.
 * Errors: CCENTER_EINVAL, CCENTER_ENOENT (no engine of that name is journaled through
 * this store now), CCENTER_EBUSY (called inside one of the engine's callbacks),
 * CCENTER_EIO, CCENTER_ENOSPC (nothing was written; the journal is as it was and
 * recovery works as before), CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_store_snapshot(ccenter_store *st, const char *name);

/**
 * Retention, per store: after each snapshot of an engine, only its `keep` newest
 * snapshots are kept, and its journal records up to the oldest kept snapshot are removed:
 * recovery does not need them. keep = 0 (the default) keeps every snapshot and every
 * record. When archive_path is not NULL, the records are first copied to that SQLite file
 * (created if needed; tables `engines` and `journal` as in the store, docs/store.md), in a
 * transaction committed before the removal, so a record is always in one file or both.
 * Audit records are never removed. Errors: CCENTER_EINVAL (keep > 1,000,000),
 * CCENTER_EIO (the archive cannot be opened or set up), CCENTER_ENOSPC,
 * CCENTER_ECORRUPT (the archive is a database of another shape), CCENTER_ENOMEM;
 * on error the policy is unchanged. Since 0.2.
 */
CCENTER_EXPORT int ccenter_store_set_retention(ccenter_store *st, unsigned keep,
                                               const char *archive_path);

/** What ccenter_store_info_get() reports. `size` set by the caller. */
typedef struct ccenter_store_info {
  size_t size;
  int schema;                 /**< the file's schema version */
  ccenter_durability durability;
  uint64_t records;           /**< journal records written (the last one's seq); retention
                                   may have removed the oldest */
  uint64_t pending;           /**< inputs accepted, not yet committed */
  uint64_t commits;           /**< commits since opened */
  uint64_t syncs;             /**< commits that were synced (FULL and GROUPED) */
  int failed;                 /**< 1 after a group failed to commit, until a flush succeeds */
  int last_error;             /**< the last write error, 0 if none */
  uint64_t file_bytes;        /**< the database and its WAL */
  uint64_t snapshots;         /**< snapshots in the file */
  uint64_t removed;           /**< journal records removed by retention since opened */
} ccenter_store_info;

/** Errors: CCENTER_EINVAL. Since 0.2. */
CCENTER_EXPORT int ccenter_store_info_get(const ccenter_store *st, ccenter_store_info *info);

/**
 * Checks the file: the schema, every journal record readable and in sequence (gaps only
 * where retention removed records), every snapshot of a known engine and of a journal
 * position that exists, a snapshot for every engine whose journal retention shortened, and
 * every stored audit chain (ccenter_audit_verify() with the key given). It reads the file only:
 * inputs still pending are not checked. Returns 0 or CCENTER_ECORRUPT, with a description
 * in msg (may be NULL). Errors: CCENTER_EINVAL (st NULL, or audit_key NULL with key_len >
 * 0), CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_store_verify(ccenter_store *st, const void *audit_key,
                                        size_t key_len, char *msg, size_t msg_size);

#ifdef __cplusplus
}
#endif
#endif /* CCENTER_STORE_H */
