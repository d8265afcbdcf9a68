/*
 * libFuzzer harness for the audit chain's verifier, ccenter_audit_verify()
 * (libccenter/workflow/audit.c): the check a bank runs on an exported chain of case
 * records, so its input is whatever a file held.
 *
 * An input is lines separated by '\n' (at most 64), verified with the store tests'
 * workload key. Besides the sanitizers' checks, the harness asserts what
 * include/ccenter/workflow.h promises:
 *   - the result is 0 or CCENTER_ECORRUPT, and first_bad is within the lines;
 *   - the lines before the first bad one are an intact chain by themselves, and so is
 *     every prefix of an intact chain.
 * Seeds: FUZZ_WRITE_SEEDS=DIR fuzz-audit -runs=0 writes audit lines of the store tests'
 * workload (tests/unit/workload.c) into DIR and exits; corpus/audit holds what it wrote.
 * Build: meson setup with -Dfuzz=true and CC=clang (tests/fuzz/run.sh).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccenter/workflow.h"
#include "workload.h"

#define FUZZ_NAME "fuzz_audit"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LINES 64

static int verify(const char *const *lines, const size_t *lens, size_t n, size_t *bad)
{
  *bad = SIZE_MAX;
  int rc = ccenter_audit_verify(lines, lens, n, WL_KEY, WL_KEY_LEN, NULL, NULL, bad);
  CHECK(rc == 0 || rc == CCENTER_ECORRUPT);
  if (rc)
    CHECK(*bad <= n);
  return rc;
}

/* ---- seeds ---------------------------------------------------------------------- */

typedef struct sink {
  FILE *f;
  size_t n, max;
} sink;

static void keep(void *ud, const ccenter_audit_record *rec)
{
  sink *s = ud;
  if (s->n++ < s->max) {
    CHECK(fwrite(rec->line, 1, rec->len, s->f) == rec->len);
    CHECK(fputc('\n', s->f) != EOF);
  }
}

static void write_seed(const char *dir, uint64_t seed, size_t lines)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/workload-%llu-%zu", dir, (unsigned long long)seed, lines);
  sink s = {fopen(path, "wb"), 0, lines};
  CHECK(s.f != NULL);
  wl_world w;
  wl_init(&w, seed);
  CHECK(wl_create_plain(&w) == 0);
  CHECK(ccenter_cases_set_audit_sink(w.ce, keep, &s) == 0);
  while (s.n < lines && w.step < 5000)
    wl_step(&w); /* errors are the workload's own calls refused: part of it */
  CHECK(s.n >= lines);
  wl_free(&w);
  CHECK(fclose(s.f) == 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  const char *dir = getenv("FUZZ_WRITE_SEEDS");
  if (dir) {
    write_seed(dir, 1, 3);
    write_seed(dir, 2, 12);
    exit(0);
  }
  return 0;
}

/* ---- the harness ---------------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *lines[MAX_LINES];
  size_t lens[MAX_LINES], n = 0;
  const char *p = (const char *)data, *end = p + size;
  while (p < end && n < MAX_LINES) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    lines[n] = p;
    lens[n] = (size_t)((nl ? nl : end) - p);
    n++;
    p = nl ? nl + 1 : end;
  }
  size_t bad, bad2;
  if (verify(lines, lens, n, &bad) == 0) {
    if (n > 1)
      CHECK(verify(lines, lens, n / 2, &bad2) == 0);
  } else if (bad > 0 && bad < n) {
    CHECK(verify(lines, lens, bad, &bad2) == 0);
  }
  return 0;
}
