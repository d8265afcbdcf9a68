/*
 * A deterministic random workload over a routing engine and a case engine, for the store's
 * fault and crash tests: calls, offers answered and missed, holds, transfers, consults,
 * callbacks, case transitions with evidence and dual control, and time passing so that
 * both engines' timers fire.
 *
 * Step k's call is a function of (seed, k) and of the engines' state, read through their
 * queries only. Two worlds whose engines received the same inputs therefore make the same
 * next call: the live engines of a store, a fresh pair fed the same journal, and a pair
 * recovered from the store after a crash all continue alike. The first WL_SETUP steps
 * build the centre (calendar, workflow, actors, queues, agents); the later ones are
 * random.
 *
 * Every function returns 0 or a CCENTER_ error and never aborts, so that a forked child
 * and a Check test can both use it.
 */
#ifndef CC_TEST_WORKLOAD_H
#define CC_TEST_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "ccenter/ccenter.h"
#include "ccenter/workflow.h"

/* Mon 2 Mar 2026 00:00 UTC: both engines are created then (the workflow's calendar is
 * GB-EAW-2026, whose business days the case timers count). */
#define WL_T0 INT64_C(1772409600000)
/* Steps that build the centre before the random ones. */
#define WL_SETUP 26
/* The audit key of the case engine. */
#define WL_KEY "store-test-key"
#define WL_KEY_LEN (sizeof WL_KEY - 1)

typedef struct wl_lines {
  char **v;
  size_t n, cap;
  int oom; /* a line could not be kept: the log is incomplete */
} wl_lines;

typedef struct wl_world {
  ccenter_engine *e;
  ccenter_cases *ce;
  wl_lines rev;   /* the routing engine's events, as text */
  wl_lines cev;   /* the case engine's events */
  uint64_t seed;
  uint64_t step;  /* the next step */
  int64_t now;    /* the time of the last step (WL_T0 before the first) */
  int last_cases; /* the last step called the case engine */
} wl_world;

/* An empty world for `seed` at step 0. Engines are attached by the caller. */
void wl_init(wl_world *w, uint64_t seed);
/* Frees the engines and the logs. */
void wl_free(wl_world *w);
/* Puts the world at step k without running steps 0..k-1 (their engines are recovered
 * from a journal that holds them): sets step and now. */
void wl_seek(wl_world *w, uint64_t k);

/* Options for the routing engine: its events go to w->rev. Free with
 * ccenter_options_free(). NULL on ENOMEM. */
ccenter_options *wl_options(wl_world *w);
/* Takes a case engine into the world: moves its pulled events (a replay's) to w->cev,
 * then pushes the later ones there. */
int wl_attach_cases(wl_world *w, ccenter_cases *ce);
/* Both engines created plainly (no store) at WL_T0, with the audit key. */
int wl_create_plain(wl_world *w);

/* Runs step w->step and moves to the next. Returns the call's result (0, an engine error
 * such as CCENTER_ENOENT, a store error such as CCENTER_EIO, or CCENTER_PROPOSED). */
int wl_step(wl_world *w);

/* The engines' state through their queries, as text (malloc'd, NULL on ENOMEM): time,
 * deadlines, every queue, agent, contact and case of the workload, the audit head, the
 * statistics. Two worlds are equal when their events and these texts are. */
char *wl_dump(const wl_world *w);
/* NULL when a and b are equal, else a description of the first difference (static
 * buffer). */
const char *wl_diff(const wl_world *a, const wl_world *b);
/* The same for b recovered from snapshots: its events (raised after its snapshots) are the
 * last ones of a's, and its state through the queries is a's. */
const char *wl_diff_tail(const wl_world *a, const wl_world *b);

int wl_lines_add(wl_lines *l, const char *s);
void wl_lines_free(wl_lines *l);

#endif

/* ---- with a store (ccenter/store.h) ---- */
struct ccenter_store;
/* Recovers both engines from the store ("routing", "cases"), creating through the store
 * an engine it does not have yet; then puts the world at step k (wl_seek). */
int wl_store_engines(wl_world *w, struct ccenter_store *st, uint64_t k);

/* A new empty directory for a test's store, in `dir` (size at least 256): under
 * $CC_STORE_TEST_DIR, else /dev/shm when it is writable, else $TMPDIR or /tmp. The store
 * tests check the store's logic under injected faults and kills, not the disk: a killed
 * process leaves its writes in the page cache on tmpfs as on a disk, and syncs there cost
 * nothing, which keeps hundreds of synced commits per test within its time. 0 or -1. */
int wl_tmpdir(char *dir, size_t size);
/* Removes the directory and the files in it (no subdirectories). 0 or -1. */
int wl_rmdir(const char *dir);
