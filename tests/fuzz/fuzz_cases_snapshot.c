/*
 * libFuzzer harness for the case engine's snapshot reader (libccenter/workflow/
 * cases_snap.c): calendars and workflows as text, actors, cases, timers, proposals, the
 * audit chain's position.
 *
 * A snapshot's body is sealed with its SHA-256, which no mutation gets past: an input is a
 * flags byte and, with bit 0 clear, a body that the harness frames and seals as the writer
 * does, so that the body's reader is what gets fuzzed; with bit 0 set, a whole blob.
 * Besides the sanitizers' checks, the harness asserts what workflow/cases_int.h promises
 * of cc_cases_restore():
 *   - the result is 0 or CCENTER_ECORRUPT (no allocation fails here);
 *   - an engine it accepts saves and loads again to the same snapshot;
 *   - it then runs: advancing it through its deadlines and forty days past succeeds
 *     (or says CCENTER_ERANGE near the end of the supported time).
 * Seeds: FUZZ_WRITE_SEEDS=DIR fuzz-cases-snapshot -runs=0 writes snapshots of the case
 * engine of the store tests' workload (tests/unit/workload.c) after a few hundred steps
 * into DIR and exits; corpus/cases_snapshot holds what it wrote.
 * Build: meson setup with -Dfuzz=true and CC=clang (tests/fuzz/run.sh).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccenter/workflow.h"
#include "core/options.h"
#include "core/snap.h"
#include "workflow/cases_int.h"
#include "workload.h"

#define FUZZ_NAME "fuzz_cases_snapshot"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cc_alloc plain;
static uint64_t magic, version; /* a snapshot's first two fields, read from a real one */

static void snapshot_of(const ccenter_cases *ce, cc_snap_w *w)
{
  cc_sw_init(w, &plain);
  CHECK(cc_cases_snapshot(ce, w) == 0);
}

static int restore(const void *p, size_t len, ccenter_cases **out)
{
  cc_snap_r r;
  cc_sr_init(&r, p, len);
  return cc_cases_restore(NULL, WL_KEY, WL_KEY_LEN, &r, out);
}

/* A blob as the writer frames a body: magic, version, the body, its SHA-256. */
static void seal(const void *body, size_t len, cc_snap_w *w)
{
  uint8_t h[32];
  ccenter_sha256(body, len, h);
  cc_sw_init(w, &plain);
  cc_sw_u64(w, magic);
  cc_sw_u64(w, version);
  cc_sw_bytes(w, body, len);
  cc_sw_bytes(w, h, sizeof h);
  CHECK(w->err == 0);
}

static void write_file(const char *path, uint8_t flags, const void *p, size_t len)
{
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  CHECK(fwrite(&flags, 1, 1, f) == 1 && fwrite(p, 1, len, f) == len);
  CHECK(fclose(f) == 0);
}

static void write_seed(const char *dir, uint64_t seed, uint64_t steps)
{
  wl_world w;
  wl_init(&w, seed);
  CHECK(wl_create_plain(&w) == 0);
  while (w.step < steps)
    wl_step(&w); /* errors are the workload's own calls refused: part of it */
  cc_snap_w s;
  snapshot_of(w.ce, &s);
  char path[4096];
  snprintf(path, sizeof path, "%s/workload-%llu-%llu", dir, (unsigned long long)seed,
           (unsigned long long)steps);
  cc_snap_r r;
  cc_sr_init(&r, s.p, s.len);
  cc_sr_u64(&r);
  cc_sr_u64(&r);
  size_t blen;
  const void *body = cc_sr_bytes(&r, &blen);
  CHECK(r.err == 0);
  write_file(path, 0, body, blen);
  if (seed == 1) {
    snprintf(path, sizeof path, "%s/whole-%llu-%llu", dir, (unsigned long long)seed,
             (unsigned long long)steps);
    write_file(path, 1, s.p, s.len);
  }
  cc_sw_free(&s);
  wl_free(&w);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  cc_alloc_of(NULL, &plain);
  ccenter_cases *ce = NULL;
  CHECK(ccenter_cases_new(NULL, WL_T0, &ce) == 0);
  cc_snap_w w;
  snapshot_of(ce, &w);
  cc_snap_r r;
  cc_sr_init(&r, w.p, w.len);
  magic = cc_sr_u64(&r);
  version = cc_sr_u64(&r);
  CHECK(r.err == 0);
  cc_sw_free(&w);
  ccenter_cases_free(ce);
  const char *dir = getenv("FUZZ_WRITE_SEEDS");
  if (dir) {
    write_seed(dir, 1, WL_SETUP);
    write_seed(dir, 2, 200);
    write_seed(dir, 3, 600);
    exit(0);
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  ccenter_cases *ce = NULL;
  int rc;
  if (data[0] & 1) {
    rc = restore(data + 1, size - 1, &ce);
  } else {
    cc_snap_w blob;
    seal(data + 1, size - 1, &blob);
    rc = restore(blob.p, blob.len, &ce);
    cc_sw_free(&blob);
  }
  CHECK(rc == 0 || rc == CCENTER_ECORRUPT);
  if (rc) {
    CHECK(ce == NULL);
    return 0;
  }
  cc_snap_w w1, w2;
  snapshot_of(ce, &w1);
  ccenter_cases *again = NULL;
  CHECK(restore(w1.p, w1.len, &again) == 0);
  snapshot_of(again, &w2);
  CHECK(w1.len == w2.len && memcmp(w1.p, w2.p, w1.len) == 0);
  cc_sw_free(&w2);
  cc_sw_free(&w1);
  ccenter_cases_free(again);
  /* Run it: through its next deadlines, then forty days on. */
  const int64_t day = INT64_C(86400000);
  int64_t now = ccenter_cases_now(ce);
  for (int k = 0; k < 8; k++) {
    int64_t d = ccenter_cases_next_deadline(ce);
    if (d == CCENTER_NO_DEADLINE || d > now + 40 * day)
      break;
    now = d > now ? d : now;
    rc = ccenter_cases_advance(ce, now);
    CHECK(rc == 0 || rc == CCENTER_ERANGE); /* a deadline near the end of time */
    if (rc)
      break;
  }
  rc = ccenter_cases_advance(ce, now + 40 * day);
  CHECK(rc == 0 || rc == CCENTER_ERANGE);
  ccenter_cases_free(ce);
  return 0;
}
