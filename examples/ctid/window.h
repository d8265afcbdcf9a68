/*
 * ctid's durable event window (docs/ctid.md, "Restart without loss"): every event frame
 * the dispatcher sends, committed to a SQLite file beside the store (STORE.events) before
 * it leaves the process, pruned to the newest `history`; at start the newest are given
 * back in order to be preloaded into the new dispatcher (ccenter_proto_dispatcher_preload).
 *
 * Commits are written, not synced: they survive the process (kill -9), not the machine.
 * So the file records the machine's boot id and whether the last run closed it cleanly
 * (synced): after a machine restart that followed an unclean end, its tail may be gone,
 * and it is not to be trusted. Internal to the ctid example.
 */
#ifndef CTID_WINDOW_H
#define CTID_WINDOW_H

#include <stddef.h>
#include <stdint.h>

typedef struct ct_window ct_window;

/* Opens or creates the file, keeping `history` frames (at least 1). *trusted says whether
   what an earlier run left can be preloaded: it ended cleanly, or the machine has not
   restarted since (same boot id). 0, or -1 with a message in err. */
int ct_window_open(const char *path, size_t history, int *trusted, ct_window **out, char *err,
                   size_t errlen);
/* Commits what is open, syncs and marks the file clean, and closes it. NULL does nothing. */
void ct_window_close(ct_window *w);
/* Keeps one frame (numbers ascending) in the open transaction, which it begins when none
   is. 0, or -1 with a message in err. */
int ct_window_append(ct_window *w, uint64_t seq, const uint8_t *frame, size_t len, char *err,
                     size_t errlen);
/* Commits the frames appended since the last commit: one write of the log. 0, or -1 with
   err. */
int ct_window_commit(ct_window *w, char *err, size_t errlen);
/* The newest `history` frames, oldest first, through fn; stops at fn's first non-zero
   answer, which it returns (-1 on a read error, with err). */
int ct_window_load(ct_window *w, int (*fn)(void *ud, uint64_t seq, const void *frame, size_t len),
                   void *ud, char *err, size_t errlen);
/* Closes the window without marking it clean and deletes its file (and SQLite's -wal and
   -shm beside it): a window with a hole must not serve resumes across it. */
void ct_window_discard(ct_window *w, const char *path);

#endif
