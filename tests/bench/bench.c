/* ccenter-bench [--quick] [SCENARIO ...]: one JSON line per scenario on stdout. */
#include "bench.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

/* --prefault-heap's MiB once the heap is touched (0: not asked): in every result line. */
static unsigned prefault_mib;

/* The scenario table: one X(name) line per bench_<name>.c. The store's scenarios are
 * there when the build has SQLite (meson.build). */
#ifdef CCENTER_BENCH_STORE
#define BENCH_STORE_SCENARIOS(X) \
  X(journal) \
  X(recover)
#else
#define BENCH_STORE_SCENARIOS(X)
#endif
#define BENCH_SCENARIOS(X) \
  X(timers) \
  X(churn) \
  X(route) \
  X(memory) \
  X(cases) \
  BENCH_STORE_SCENARIOS(X)

#define BENCH_DECLARE(n) extern const bench_scenario bench_##n;
BENCH_SCENARIOS(BENCH_DECLARE)
#undef BENCH_DECLARE

static const bench_scenario *const scenarios[] = {
#define BENCH_ENTRY(n) &bench_##n,
  BENCH_SCENARIOS(BENCH_ENTRY)
#undef BENCH_ENTRY
};
#define N_SCENARIOS (sizeof scenarios / sizeof scenarios[0])

uint64_t bench_now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

uint64_t bench_clock_overhead_ns(void)
{
  static uint64_t cached = UINT64_MAX;
  if (cached != UINT64_MAX)
    return cached;
  enum { N = 1001 };
  uint64_t d[N];
  for (int i = 0; i < N; i++) {
    uint64_t a = bench_now_ns();
    uint64_t b = bench_now_ns();
    d[i] = b - a;
  }
  qsort(d, N, sizeof d[0], cmp_u64);
  cached = d[N / 2];
  return cached;
}

int bench_samples_init(bench_samples *s, size_t cap)
{
  s->v = malloc((cap ? cap : 1) * sizeof *s->v);
  s->n = 0;
  s->cap = s->v ? cap : 0;
  s->sorted = 0;
  if (s->v)
    bench_touch(s->v, (cap ? cap : 1) * sizeof *s->v);
  bench_clock_overhead_ns(); /* calibrate outside any timed loop */
  return s->v ? 0 : -1;
}

void bench_samples_free(bench_samples *s)
{
  free(s->v);
  memset(s, 0, sizeof *s);
}

void bench_samples_add(bench_samples *s, uint64_t start_ns, uint64_t end_ns)
{
  if (s->n == s->cap)
    return;
  uint64_t d = end_ns - start_ns, o = bench_clock_overhead_ns();
  s->v[s->n++] = d > o ? d - o : 0;
  s->sorted = 0;
}

uint64_t bench_percentile(bench_samples *s, double p)
{
  if (!s->n)
    return 0;
  if (!s->sorted) {
    qsort(s->v, s->n, sizeof *s->v, cmp_u64);
    s->sorted = 1;
  }
  double rank = ceil(p / 100.0 * (double)s->n);
  size_t i = rank < 1 ? 0 : (size_t)rank - 1;
  if (i >= s->n)
    i = s->n - 1;
  return s->v[i];
}

void bench_samples_merge(bench_samples *dst, const bench_samples *src)
{
  for (size_t i = 0; i < src->n && dst->n < dst->cap; i++)
    dst->v[dst->n++] = src->v[i];
  dst->sorted = 0;
}

size_t bench_rss_bytes(void)
{
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f)
    return bench_peak_rss_bytes();
  unsigned long size = 0, resident = 0;
  int ok = fscanf(f, "%lu %lu", &size, &resident) == 2;
  fclose(f);
  long page = sysconf(_SC_PAGESIZE);
  return ok && page > 0 ? (size_t)resident * (size_t)page : 0;
}

uint64_t bench_minflt(void)
{
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0)
    return 0;
  return (uint64_t)ru.ru_minflt;
}

double bench_cpu_s(void)
{
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0)
    return 0;
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

void bench_touch(void *p, size_t n)
{
  if (!p || !n)
    return;
  memset(p, 0, n);
  /* The compiler must not drop the stores (memory from calloc is known to be zero). */
  __asm__ __volatile__("" : : "r"(p) : "memory");
}

size_t bench_peak_rss_bytes(void)
{
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0)
    return 0;
  return (size_t)ru.ru_maxrss * 1024u; /* kilobytes on Linux */
}

static void json_append(bench_json *j, const char *fmt, ...)
{
  if (j->len >= sizeof j->buf)
    return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(j->buf + j->len, sizeof j->buf - j->len, fmt, ap);
  va_end(ap);
  if (n > 0)
    j->len += (size_t)n;
}

static void json_key(bench_json *j, const char *key)
{
  json_append(j, ",\"%s\":", key);
}

static void json_string(bench_json *j, const char *value)
{
  json_append(j, "\"");
  for (const unsigned char *c = (const unsigned char *)value; *c; c++) {
    if (*c == '"' || *c == '\\')
      json_append(j, "\\%c", *c);
    else if (*c < 0x20)
      json_append(j, "\\u%04x", *c);
    else
      json_append(j, "%c", *c);
  }
  json_append(j, "\"");
}

void bench_json_begin(bench_json *j, const char *scenario)
{
  j->len = 0;
  json_append(j, "{\"scenario\":");
  json_string(j, scenario);
  if (prefault_mib)
    bench_json_uint(j, "prefault_heap_mib", prefault_mib);
}

void bench_json_str(bench_json *j, const char *key, const char *value)
{
  json_key(j, key);
  json_string(j, value);
}

void bench_json_int(bench_json *j, const char *key, int64_t value)
{
  json_key(j, key);
  json_append(j, "%lld", (long long)value);
}

void bench_json_uint(bench_json *j, const char *key, uint64_t value)
{
  json_key(j, key);
  json_append(j, "%llu", (unsigned long long)value);
}

void bench_json_double(bench_json *j, const char *key, double value)
{
  json_key(j, key);
  if (isfinite(value))
    json_append(j, "%.4g", value);
  else
    json_append(j, "null"); /* JSON has no inf or nan */
}

void bench_json_bool(bench_json *j, const char *key, int value)
{
  json_key(j, key);
  json_append(j, value ? "true" : "false");
}

void bench_json_end(bench_json *j)
{
  json_append(j, "}");
  if (j->len >= sizeof j->buf) {
    fprintf(stderr, "ccenter-bench: result line too long, truncated\n");
    return;
  }
  fputs(j->buf, stdout);
  fputc('\n', stdout);
  fflush(stdout);
}

static const bench_scenario *find(const char *name)
{
  for (size_t i = 0; i < N_SCENARIOS; i++)
    if (strcmp(scenarios[i]->name, name) == 0)
      return scenarios[i];
  return NULL;
}

ccenter_options *bench_options(const bench_ctx *ctx)
{
  ccenter_options *o = ccenter_options_new();
  if (o && ctx->no_stats && ccenter_options_set_statistics(o, 0)) {
    ccenter_options_free(o);
    return NULL;
  }
  return o;
}

/* A diagnostic, not a benchmark setting: the scenarios' engines then cut their memory from
 * a heap whose pages were already touched, so the timed loops take no first-touch page
 * fault and the difference to a plain run is what the faults cost on this machine
 * (docs/performance.md). glibc only: freed memory stays in the heap (no trim) and blocks
 * up to 32 MiB come from the heap rather than from mmap, so the pieces, freed, become one
 * touched top of the heap. Other allocations of the scenarios move from mmap to the heap
 * too, which changes nothing but where they live. */
static int prefault_heap(unsigned mib)
{
#ifdef __GLIBC__
  enum { PIECE_MIB = 16 };
  size_t n = (mib + PIECE_MIB - 1) / PIECE_MIB;
  void **piece = calloc(n, sizeof *piece);
  if (!piece || !mallopt(M_TRIM_THRESHOLD, INT_MAX) || !mallopt(M_MMAP_THRESHOLD, 32 << 20)) {
    free(piece);
    return -1;
  }
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    volatile char *p = piece[i] = malloc((size_t)PIECE_MIB << 20);
    if (!p)
      rc = -1;
    for (size_t k = 0; p && k < ((size_t)PIECE_MIB << 20); k += 4096)
      p[k] = 0;
  }
  for (size_t i = n; i-- > 0;)
    free(piece[i]);
  free(piece);
  return rc;
#else
  (void)mib;
  return -1;
#endif
}

static void usage(FILE *f)
{
  fprintf(f, "usage: ccenter-bench [--quick] [--no-stats] [--main-only] [--prefault-heap MIB]\n"
             "                     [SCENARIO ...]\n"
             "Runs the named scenarios (all when none is named); one JSON line each.\n"
             "  --quick     small sizes (CI smoke run)\n"
             "  --no-stats  engines without interval statistics (churn, route, memory)\n"
             "  --main-only route: the 100,000-agent run only, without the equivalence\n"
             "              check, the smaller scales and the reference router (their\n"
             "              fields are left out); for profiling\n"
             "  --prefault-heap MIB\n"
             "              touch MIB (1-4096) of heap before the scenarios, so that their\n"
             "              timed loops take no first-touch page fault: a diagnostic of what\n"
             "              the faults cost (glibc only)\n"
             "  --list      list the scenarios\n"
             "scenarios:\n");
  for (size_t i = 0; i < N_SCENARIOS; i++)
    fprintf(f, "  %-10s %s\n", scenarios[i]->name, scenarios[i]->summary);
}

int main(int argc, char **argv)
{
  bench_ctx ctx = {0, UINT64_C(0x2545f4914f6cdd1d), 0, 0};
  unsigned prefault = 0;
  const bench_scenario *run[64];
  size_t nrun = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--quick") == 0) {
      ctx.quick = 1;
    } else if (strcmp(a, "--no-stats") == 0) {
      ctx.no_stats = 1;
    } else if (strcmp(a, "--main-only") == 0) {
      ctx.main_only = 1;
    } else if (strcmp(a, "--prefault-heap") == 0) {
      char *end = NULL;
      unsigned long v = i + 1 < argc ? strtoul(argv[i + 1], &end, 10) : 0;
      if (!end || *end || v < 1 || v > 4096) {
        fprintf(stderr, "ccenter-bench: --prefault-heap needs a size in MiB, 1 to 4096\n");
        return 2;
      }
      prefault = (unsigned)v;
      i++;
    } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return 0;
    } else if (strcmp(a, "--list") == 0) {
      for (size_t k = 0; k < N_SCENARIOS; k++)
        printf("%s\n", scenarios[k]->name);
      return 0;
    } else if (a[0] == '-') {
      fprintf(stderr, "ccenter-bench: unknown option '%s'\n", a);
      usage(stderr);
      return 2;
    } else {
      const bench_scenario *s = find(a);
      if (!s) {
        fprintf(stderr, "ccenter-bench: unknown scenario '%s'\n", a);
        usage(stderr);
        return 2;
      }
      if (nrun == sizeof run / sizeof run[0]) {
        fprintf(stderr, "ccenter-bench: too many scenarios\n");
        return 2;
      }
      run[nrun++] = s;
    }
  }
  if (nrun == 0)
    for (size_t k = 0; k < N_SCENARIOS && nrun < sizeof run / sizeof run[0]; k++)
      run[nrun++] = scenarios[k];
  if (prefault) {
    if (prefault_heap(prefault)) {
      fprintf(stderr, "ccenter-bench: --prefault-heap: not supported here, or out of memory\n");
      return 1;
    }
    prefault_mib = prefault;
  }
  int failed = 0;
  for (size_t k = 0; k < nrun; k++) {
    if (run[k]->run(&ctx) != 0) {
      fprintf(stderr, "ccenter-bench: scenario '%s' failed\n", run[k]->name);
      failed = 1;
    }
  }
  return failed;
}

int bench_evlog_init(bench_evlog *l, size_t cap)
{
  l->n = 0;
  l->cap = cap ? cap : 1;
  l->v = malloc(l->cap * sizeof *l->v);
  bench_touch(l->v, l->cap * sizeof *l->v);
  return l->v ? 0 : -1;
}

void bench_evlog_free(bench_evlog *l)
{
  free(l->v);
  l->v = NULL;
  l->n = l->cap = 0;
}

bench_ev *bench_evlog_push(bench_evlog *l, const ccenter_event *ev)
{
  if (l->n == l->cap) {
    bench_ev *v = realloc(l->v, 2 * l->cap * sizeof *v);
    if (!v)
      return NULL;
    l->v = v;
    l->cap *= 2;
  }
  bench_ev *r = &l->v[l->n++];
  r->time = ev->time;
  r->type = (uint8_t)ev->type;
  r->agent = bench_id_num(ev->agent);
  r->contact = bench_id_num(ev->contact);
  r->aux = 0;
  return r;
}
