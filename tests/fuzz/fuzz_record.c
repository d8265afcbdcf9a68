/*
 * libFuzzer harness for the journal's `extra` blobs (libccenter/store/record.c), the one
 * file format of the store's own.
 *
 * The format promises one encoding per value ("read strictly": no overlong varint, no
 * bytes left over), so besides the sanitizers' checks the harness asserts that every blob
 * cc_rec_decode() accepts is exactly what the encoder writes for what it decoded, and that
 * it refuses everything else with CCENTER_ECORRUPT only.
 * Seeds: FUZZ_WRITE_SEEDS=DIR fuzz-record -runs=0 writes one blob of each kind into DIR
 * and exits; corpus/record holds what it wrote.
 * Build: meson setup with -Dfuzz=true and CC=clang (tests/fuzz/run.sh).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

#define FUZZ_NAME "fuzz_record"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the encoder writes for a decoded blob, appended to b. */
static void encode(const cc_xdec *d, cc_xbuf *b)
{
  int rc = -1;
  switch (d->kind) {
  case CC_X_PARAMS:
    rc = cc_rec_put_params(b, &d->params);
    break;
  case CC_X_THRESHOLDS:
    rc = cc_rec_put_thresholds(b, d->arr, d->n_arr);
    break;
  case CC_X_EVIDENCE:
    rc = cc_rec_put_evidence(b, d->ev, d->n_ev);
    break;
  }
  CHECK(rc == 0);
}

static void write_seed(const char *dir, const char *name, const cc_xbuf *b)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  CHECK(fwrite(b->p, 1, b->len, f) == b->len);
  CHECK(fclose(f) == 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  const char *dir = getenv("FUZZ_WRITE_SEEDS");
  if (!dir)
    return 0;
  ccenter_contact_params p;
  ccenter_contact_params_init(&p);
  ccenter_attr attrs[2] = {{"lang", "en"}, {"segment", ""}};
  ccenter_step steps[2] = {{"billing >= 3", 4000}, {"sales", -1}};
  const char *pref[2] = {"a1", "agent-with-a-longer-id"};
  p.channel = CCENTER_CHANNEL_CHAT;
  p.priority = -7;
  p.customer = "cust-42";
  p.attrs = attrs;
  p.n_attrs = 2;
  p.steps = steps;
  p.n_steps = 2;
  p.preferred = pref;
  p.n_preferred = 2;
  p.preferred_timeout_ms = 2500;
  p.emergency = 1;
  int64_t th[3] = {20000, INT64_MAX, -1};
  ccenter_case_evidence ev[2] = {{"statement", "doc://1"}, {"id-check", NULL}};
  cc_xbuf b = {0};
  CHECK(cc_rec_put_params(&b, &p) == 0);
  write_seed(dir, "params", &b);
  b.len = 0;
  CHECK(cc_rec_put_params(&b, NULL) == 0);
  write_seed(dir, "params-default", &b);
  b.len = 0;
  CHECK(cc_rec_put_thresholds(&b, th, 3) == 0);
  write_seed(dir, "thresholds", &b);
  b.len = 0;
  CHECK(cc_rec_put_evidence(&b, ev, 2) == 0);
  write_seed(dir, "evidence", &b);
  free(b.p);
  exit(0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  cc_xdec d;
  memset(&d, 0, sizeof d);
  int rc = cc_rec_decode(&d, data, size);
  CHECK(rc == 0 || rc == CCENTER_ECORRUPT);
  if (rc == 0) {
    cc_xbuf b = {0};
    encode(&d, &b);
    CHECK(b.len == size && memcmp(b.p, data, size) == 0);
    free(b.p);
  }
  cc_rec_xdec_free(&d);
  return 0;
}
