/*
 * libFuzzer harness for the engine's snapshot reader (libccenter/acd/snapshot.c, and the
 * statistics' section in libccenter/sla/).
 *
 * An input is one flags byte (bit 0: the statistics attached) and a snapshot. Besides the
 * sanitizers' checks, the harness asserts what acd/engine_int.h promises of
 * cc_engine_load_snapshot():
 *   - the result is 0, CCENTER_ECORRUPT or CCENTER_ECONDITION (statistics asked for, the
 *     snapshot has none); no allocation fails here, so no input may ask for more memory
 *     than libFuzzer's limit either;
 *   - an engine it accepts passes cc_engine_check(); its snapshot loads again into an
 *     engine with the same memory figures (engine and statistics) and the same snapshot;
 *   - it then runs: advancing it through its deadlines and two days past keeps it
 *     consistent.
 * Seeds: FUZZ_WRITE_SEEDS=DIR fuzz-snapshot -runs=0 writes snapshots of busy engines (and
 * of one whose conversations have all ended) into DIR and exits; corpus/snapshot holds
 * what it wrote (each under run_one.sh's -max_len, 4096 bytes).
 * Build: meson setup with -Dfuzz=true and CC=clang (tests/fuzz/run.sh).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acd/engine_int.h"
#include "ccenter/ccenter.h"
#include "core/snap.h"
#include "sla/stats.h"

#define FUZZ_NAME "fuzz_snapshot"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_engine(const ccenter_engine *e)
{
  const char *why = cc_engine_check(e);
  if (why) {
    fprintf(stderr, "fuzz_snapshot: cc_engine_check: %s\n", why);
    abort();
  }
}

static cc_alloc plain;

static void snapshot_of(const ccenter_engine *e, cc_snap_w *w)
{
  cc_sw_init(w, &plain);
  CHECK(cc_engine_snapshot(e, w) == 0);
}

static ccenter_options *options(int stats)
{
  ccenter_options *o = ccenter_options_new();
  CHECK(o != NULL);
  CHECK(ccenter_options_set_statistics(o, stats) == 0);
  return o;
}

/* ---- seeds ---------------------------------------------------------------------- */

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static uint64_t next(void)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

/* An engine with three queues (steps, overflow, wrap-up, a ring timeout), six agents and
 * forty contacts moved at random through waiting, ringing, talking, holding, consulting
 * and wrap-up. */
static ccenter_engine *busy_engine(int stats, int ops)
{
  ccenter_options *o = options(stats);
  ccenter_engine *e = NULL;
  int64_t now = 1000000;
  CHECK(ccenter_engine_new(o, now, &e) == 0);
  ccenter_options_free(o);
  char id[16], q[16], c[16];
  for (int i = 0; i < 3; i++) {
    snprintf(id, sizeof id, "q%d", i);
    CHECK(ccenter_queue_add(e, id, NULL, now) == 0);
  }
  CHECK(ccenter_queue_add_step(e, "q0", "sales >= 2", 5000, now) == 0);
  CHECK(ccenter_queue_set(e, "q1", CCENTER_QUEUE_WRAP_UP, 3000, now) == 0);
  CHECK(ccenter_queue_set(e, "q1", CCENTER_QUEUE_MAX_WAIT, 15000, now) == 0);
  CHECK(ccenter_queue_set(e, "q1", CCENTER_QUEUE_MAX_WAIT_ACTION, CCENTER_MAX_WAIT_OVERFLOW,
                          now) == 0);
  CHECK(ccenter_queue_set_overflow(e, "q1", "q2", now) == 0);
  CHECK(ccenter_queue_set(e, "q2", CCENTER_QUEUE_RING_TIMEOUT, 4000, now) == 0);
  for (int i = 0; i < 6; i++) {
    snprintf(id, sizeof id, "a%d", i);
    CHECK(ccenter_agent_add(e, id, NULL, now) == 0);
    CHECK(ccenter_agent_set_skill(e, id, "sales", 1 + i % 4, now) == 0);
    for (int k = 0; k < 3; k++)
      if ((i + k) % 3) {
        snprintf(q, sizeof q, "q%d", k);
        CHECK(ccenter_agent_serve(e, id, q, NULL, now) == 0);
      }
    CHECK(ccenter_agent_login(e, id, now) == 0);
    CHECK(ccenter_agent_ready(e, id, now) == 0);
  }
  for (int k = 0; k < ops; k++) {
    uint64_t x = next();
    snprintf(id, sizeof id, "a%d", (int)(x % 6));
    snprintf(c, sizeof c, "c%d", (int)(x / 6 % 40));
    snprintf(q, sizeof q, "q%d", (int)(x / 240 % 3));
    now += (int64_t)(x >> 40) % 2500;
    ccenter_contact_info ci = {.size = sizeof ci};
    const char *a = ccenter_contact_info_get(e, c, now, &ci) == 0 && ci.agent ? ci.agent : id;
    ccenter_contact_params p;
    ccenter_contact_params_init(&p);
    p.customer = x % 3 ? "u1" : NULL;
    switch (x >> 20 & 15) {
    case 0:
    case 1:
    case 2:
      ccenter_contact_enqueue(e, c, q, &p, now);
      break;
    case 3:
    case 4:
      ccenter_offer_accept(e, a, c, now);
      break;
    case 5:
      ccenter_contact_end(e, c, CCENTER_PARTY_CUSTOMER, now);
      break;
    case 6:
      ccenter_contact_hold(e, c, now);
      break;
    case 7:
      ccenter_contact_consult_start(e, c, id, now);
      break;
    case 8:
      ccenter_agent_wrap_up_end(e, a, c, now);
      break;
    case 9:
      ccenter_agent_not_ready(e, id, "lunch", now);
      break;
    case 10:
      ccenter_agent_ready(e, id, now);
      break;
    case 11:
      ccenter_contact_abandon(e, c, now);
      break;
    default:
      ccenter_engine_advance(e, now);
      break;
    }
  }
  return e;
}

/* Every conversation ended and an hour passed: the wrap-ups are over, and the statistics
 * keep the agents' freed leg blocks (the section of spare legs in the snapshot). */
static void settle(ccenter_engine *e)
{
  int64_t now = ccenter_engine_now(e);
  char c[16];
  for (int i = 0; i < 40; i++) {
    snprintf(c, sizeof c, "c%d", i);
    ccenter_contact_end(e, c, CCENTER_PARTY_CUSTOMER, now);
  }
  CHECK(ccenter_engine_advance(e, now + 3600000) == 0);
}

static void write_seed(const char *dir, const char *name, int stats, int ops, int settled)
{
  ccenter_engine *e = busy_engine(stats, ops);
  if (settled)
    settle(e);
  cc_snap_w w;
  snapshot_of(e, &w);
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  uint8_t flags = (uint8_t)stats;
  CHECK(fwrite(&flags, 1, 1, f) == 1 && fwrite(w.p, 1, w.len, f) == w.len);
  CHECK(fclose(f) == 0);
  cc_sw_free(&w);
  ccenter_engine_free(e);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  cc_alloc_of(NULL, &plain);
  const char *dir = getenv("FUZZ_WRITE_SEEDS");
  if (dir) {
    write_seed(dir, "empty-plain", 0, 0, 0);
    write_seed(dir, "busy-plain", 0, 150, 0);
    write_seed(dir, "busy-stats", 1, 150, 0);
    write_seed(dir, "long-stats", 1, 250, 0);
    write_seed(dir, "settled-stats", 1, 250, 1);
    exit(0);
  }
  return 0;
}

/* ---- the harness ---------------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  int stats = data[0] & 1;
  ccenter_options *o = options(stats);
  ccenter_engine *e = NULL;
  int rc = cc_engine_load_snapshot(o, data + 1, size - 1, &e);
  CHECK(rc == 0 || rc == CCENTER_ECORRUPT || rc == CCENTER_ECONDITION);
  if (rc) {
    CHECK(e == NULL);
    ccenter_options_free(o);
    return 0;
  }
  check_engine(e);
  cc_snap_w w1, w2;
  snapshot_of(e, &w1);
  ccenter_engine *again = NULL;
  CHECK(cc_engine_load_snapshot(o, w1.p, w1.len, &again) == 0);
  check_engine(again);
  CHECK(cc_engine_memory(again) == cc_engine_memory(e));
  CHECK(cc_stats_memory(again) == cc_stats_memory(e));
  snapshot_of(again, &w2);
  CHECK(w1.len == w2.len && memcmp(w1.p, w2.p, w1.len) == 0);
  cc_sw_free(&w2);
  cc_sw_free(&w1);
  ccenter_engine_free(again);
  /* Run it: through its next deadlines, then two days on. */
  int64_t now = ccenter_engine_now(e);
  for (int k = 0; k < 8; k++) {
    int64_t d = ccenter_engine_next_deadline(e);
    if (d == CCENTER_NO_DEADLINE || d > now + INT64_C(172800000))
      break;
    now = d > now ? d : now;
    rc = ccenter_engine_advance(e, now);
    CHECK(rc == 0);
    check_engine(e);
  }
  rc = ccenter_engine_advance(e, now + INT64_C(172800000));
  CHECK(rc == 0);
  check_engine(e);
  ccenter_engine_free(e);
  ccenter_options_free(o);
  return 0;
}
