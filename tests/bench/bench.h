/*
 * ccenter-bench: shared helpers for benchmark scenarios.
 *
 * A scenario lives in its own bench_<name>.c, which ends with
 *   BENCH_SCENARIO(<name>, "one-line summary", run);
 * and gets one X(<name>) line in the table in bench.c and its file in meson.build.
 * It prints one JSON object per line (bench_json_*) with at least scenario, ops_per_s,
 * p50_ns, p99_ns, rss_bytes and minflt_timed, and returns 0, or non-zero when a result is
 * wrong.
 *
 * Page faults: the first touch of a fresh page costs 15–23 µs on the measuring machine
 * (docs/performance.md, "Page faults"), so a scenario sizes its own tables up front and
 * writes to them (bench_touch; bench_samples_init and bench_evlog_init do it themselves)
 * before its timed part, and reports the minor faults taken inside the timed part
 * (bench_minflt before and after) as minflt_timed. Faults of the library's own allocations
 * during the timed part are reported, not hidden.
 */
#ifndef CC_BENCH_H
#define CC_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "ccenter/engine.h"

typedef struct bench_ctx {
  int quick;     /* --quick: small sizes, for a CI smoke run of a few seconds */
  uint64_t seed; /* fixed, so runs are comparable */
  int no_stats;  /* --no-stats: engines without their interval statistics */
  int main_only; /* --main-only: a scenario's main run only (for profiling) */
} bench_ctx;

/* A fresh options object for a scenario's engine (NULL when out of memory): statistics
 * as --no-stats says. */
ccenter_options *bench_options(const bench_ctx *ctx);

typedef struct bench_scenario {
  const char *name;
  const char *summary;
  int (*run)(const bench_ctx *ctx);
} bench_scenario;

/* Defines the object the table in bench.c refers to; the declaration keeps
   -Wmissing-variable-declarations quiet. */
#define BENCH_SCENARIO(name_, summary_, run_)  \
  extern const bench_scenario bench_##name_; \
  const bench_scenario bench_##name_ = {#name_, summary_, run_}

/* Monotonic clock in nanoseconds. */
uint64_t bench_now_ns(void);
/* Median cost of one bench_now_ns() call, measured once; subtract from sampled latencies. */
uint64_t bench_clock_overhead_ns(void);

/* xorshift64: deterministic and cheap enough to sit inside timed loops. */
static inline uint64_t bench_rand(uint64_t *state)
{
  uint64_t x = *state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return *state = x;
}

/* A uniform integer in [lo, hi] from the scenario's generator. */
static inline int64_t bench_range(uint64_t *state, int64_t lo, int64_t hi)
{
  return lo + (int64_t)(bench_rand(state) % (uint64_t)(hi - lo + 1));
}

/* Writes prefix + decimal n ("c123"): the drivers' ids, made without snprintf's cost. */
static inline void bench_id(char *buf, char prefix, uint32_t n)
{
  char tmp[12];
  int k = 0;
  do {
    tmp[k++] = (char)('0' + n % 10);
    n /= 10;
  } while (n);
  buf[0] = prefix;
  for (int i = 0; i < k; i++)
    buf[1 + i] = tmp[k - 1 - i];
  buf[1 + k] = '\0';
}

/* "c123" -> 123, "a0042" -> 42; -1 for NULL. Ids are the driver's own, so no checks. */
static inline int32_t bench_id_num(const char *s)
{
  if (!s)
    return -1;
  int32_t n = 0;
  for (s++; *s; s++)
    n = n * 10 + (*s - '0');
  return n;
}

/* The drivers' log of events: what they act on after each call returns (state changes are
 * refused inside the callback), reduced to numbers. */
typedef struct bench_ev {
  int64_t time;
  int32_t agent;   /* the number in the agent's id, -1 when absent */
  int32_t contact; /* the number in the contact's id, -1 when absent */
  uint8_t type;
  uint8_t aux;     /* the driver's own detail; 0 when pushed */
} bench_ev;

typedef struct bench_evlog {
  bench_ev *v;
  size_t n, cap;
} bench_evlog;

/* 0, or -1 when out of memory. The cap entries are written once (no fault while they are
   filled); past them the log doubles. */
int bench_evlog_init(bench_evlog *l, size_t cap);
void bench_evlog_free(bench_evlog *l);
/* Appends ev; NULL when the log could not grow. */
bench_ev *bench_evlog_push(bench_evlog *l, const ccenter_event *ev);

/* Latencies of single operations. Capacity is fixed up front, and written once, so that
   recording never allocates or faults inside a timed loop; samples beyond it are dropped. */
typedef struct bench_samples {
  uint64_t *v;
  size_t n, cap;
  int sorted;
} bench_samples;

int bench_samples_init(bench_samples *s, size_t cap);
void bench_samples_free(bench_samples *s);
/* Records end - start minus the clock's own overhead (clamped at 0). */
void bench_samples_add(bench_samples *s, uint64_t start_ns, uint64_t end_ns);
/* Nearest-rank percentile, p in [0, 100]. 0 when empty. Sorts in place. */
uint64_t bench_percentile(bench_samples *s, double p);
/* Appends all of src to dst (as far as dst has room). */
void bench_samples_merge(bench_samples *dst, const bench_samples *src);

/* Minor page faults of the process so far (getrusage(RUSAGE_SELF).ru_minflt; 0 when
   unknown). The difference across a timed part is its minflt_timed. */
uint64_t bench_minflt(void);
/* Writes zeros over n bytes at p, so that every page of a fresh table is resident before
   a timed part (for the scenario's own tables only: it overwrites them). */
void bench_touch(void *p, size_t n);

/* CPU seconds (user + system) of the process so far; 0 when unknown. A timed part's CPU
   time over its wall time is its cpu_share. */
double bench_cpu_s(void);

/* Resident set size now, and the peak so far, in bytes (0 when unknown). */
size_t bench_rss_bytes(void);
size_t bench_peak_rss_bytes(void);

/* One JSON object on one line of stdout. Keys are plain identifiers, not escaped. */
typedef struct bench_json {
  char buf[2048];
  size_t len;
} bench_json;

void bench_json_begin(bench_json *j, const char *scenario);
void bench_json_str(bench_json *j, const char *key, const char *value);
void bench_json_int(bench_json *j, const char *key, int64_t value);
void bench_json_uint(bench_json *j, const char *key, uint64_t value);
void bench_json_double(bench_json *j, const char *key, double value);
void bench_json_bool(bench_json *j, const char *key, int value);
void bench_json_end(bench_json *j);

/* The journal scenarios' workload (bench_jdrv.c): a routing engine taking calls, three
 * inputs per contact (enqueue with parameters, accept, end). Set bench_jdrv_on_event as
 * the engine's event callback with the driver as its user data, then setup, then run. */
#define BENCH_JDRV_OFFERS 64
#define BENCH_JDRV_TALKING 1024
#define BENCH_JDRV_SAMPLE_EVERY 16 /* power of two */
typedef struct bench_jdrv {
  ccenter_engine *e;
  uint64_t rng;
  int64_t now;
  uint64_t inputs;   /* state-changing calls made: one journal record each */
  uint64_t events;   /* events the engine delivered */
  uint64_t contacts; /* contacts enqueued */
  int32_t offer_agent[BENCH_JDRV_OFFERS], offer_contact[BENCH_JDRV_OFFERS];
  size_t n_offers;
  int overflow;
  uint32_t talking[BENCH_JDRV_TALKING]; /* contacts in conversation, oldest first */
  size_t talk_head, n_talking;
  bench_samples *lat;  /* NULL, or where sampled call latencies go */
  const char *failed_call;
  int failed_rc;
} bench_jdrv;

void bench_jdrv_init(bench_jdrv *d, uint64_t seed, int64_t now);
void bench_jdrv_on_event(ccenter_engine *e, const ccenter_event *ev, void *ud);
/* Queues and agents (2,520 inputs); 0, or -1 after printing which call failed. */
int bench_jdrv_setup(bench_jdrv *d, ccenter_engine *e);
/* Drives contacts until d->inputs reaches `inputs`; 0, or -1 after printing why. */
int bench_jdrv_run(bench_jdrv *d, uint64_t inputs);

/* A fresh directory for store files, $TMPDIR/ccenter-bench-XXXXXX (TMPDIR defaults to
 * /tmp: point it at the disk to be measured); 0, or -1 after printing why. */
int bench_store_dir(char *dir, size_t n);
/* Removes a database file and its -wal, -shm and -journal files. */
void bench_store_unlink(const char *path);

#endif
