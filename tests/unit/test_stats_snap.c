/*
 * The statistics' part of an engine snapshot (sla/stats.c, through acd/observer.h): a
 * restored engine answers every statistics query as the engine that never stopped, now
 * and after the same later inputs; a restored engine saves the same bytes; a corrupt
 * section is refused with CCENTER_ECORRUPT, leaving nothing that leaks or crashes.
 *
 * Two ways round. Directly: an engine without statistics is fed the same inputs as one
 * with them, then gets statistics loaded from the other's saved section and records (the
 * steps cc_engine_restore takes, done here by id). Whole: cc_engine_snapshot and
 * cc_engine_load_snapshot, the engine's own part included.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acd/engine_priv.h"
#include "ccenter/ccenter.h"
#include "core/snap.h"
#include "harness.h"
#include "talloc.h"
#include "sla/stats.h"

#define OK(x) ck_assert_int_eq((x), 0)
#define IV 30000 /* the statistics interval of the workload, ms */
#define KEEP 12

/* ---------------------------------------------------------------------------------- */
/* A random workload whose every call is a function of the random state and the engine's
 * answers to queries: two engines in the same state fed by two copies of a driver stay
 * alike. */

#define NQ 4
#define NA 6
static const char *const QN[NQ] = {"q0", "q1", "q2", "qx"};
static const char *const AN[NA] = {"a0", "a1", "a2", "a3", "a4", "a5"};
static const char *const CODES[3] = {"billing", "sales", "a-rather-long-reason-code"};

#define POOL 256

typedef struct drv {
  uint64_t rng;
  int next; /* contacts created */
  int qx;   /* qx exists */
  int64_t t;
  int pool[POOL]; /* contacts not yet seen ended, so that none is left hanging */
  int n_pool;
} drv;

#define DRV(seed) {.rng = (seed)}

static uint64_t rnd(drv *d)
{
  uint64_t x = d->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  d->rng = x;
  return x * 0x2545F4914F6CDD1DULL;
}

static unsigned rn(drv *d, unsigned n)
{
  return (unsigned)(rnd(d) % n);
}

/* Contact ids long enough, some of them, to be kept outside the agents' legs. */
static void contact_id(char *buf, size_t n, int k)
{
  if (k % 3 == 0)
    snprintf(buf, n, "contact-with-a-long-identifier-%d", k);
  else
    snprintf(buf, n, "c%d", k);
}

static void centre(ccenter_engine *e)
{
  OK(ccenter_engine_set(e, CCENTER_ENGINE_STATS_INTERVAL, IV, 0));
  OK(ccenter_engine_set(e, CCENTER_ENGINE_STATS_KEEP, KEEP, 0));
  OK(ccenter_engine_set(e, CCENTER_ENGINE_REPEAT_WINDOW, 120000, 0));
  for (int q = 0; q < 3; q++) {
    OK(ccenter_queue_add(e, QN[q], NULL, 0));
    /* Offers and wrap-ups end by themselves too: no agent is left stuck. */
    OK(ccenter_queue_set(e, QN[q], CCENTER_QUEUE_WRAP_UP, 3000 + 2000 * q, 0));
    OK(ccenter_queue_set(e, QN[q], CCENTER_QUEUE_RING_TIMEOUT, 15000 + 2000 * q, 0));
    OK(ccenter_queue_set(e, QN[q], CCENTER_QUEUE_MAX_WAIT, 60000 + 30000 * q, 0));
  }
  OK(ccenter_engine_set(e, CCENTER_ENGINE_MAX_NO_ANSWER, 0, 0));
  OK(ccenter_queue_set(e, "q0", CCENTER_QUEUE_MAX_WAIT_ACTION, CCENTER_MAX_WAIT_OVERFLOW, 0));
  OK(ccenter_queue_set_overflow(e, "q0", "q1", 0));
  const int64_t th[] = {10000, 40000};
  OK(ccenter_queue_set_thresholds(e, "q2", th, 2, 0));
  for (int a = 0; a < NA; a++) {
    OK(ccenter_agent_add(e, AN[a], NULL, 0));
    for (int q = 0; q < 3; q++)
      if ((a + q) % 3 != 0 || a == 0)
        OK(ccenter_agent_serve(e, AN[a], QN[q], NULL, 0));
    if (a % 2 == 0)
      OK(ccenter_agent_login(e, AN[a], 0));
  }
}

static void on_contact(drv *d, ccenter_engine *e, const char *cid,
                       const ccenter_contact_info *ci)
{
  int64_t t = d->t;
  const char *ag = ci->agent;
  const char *other = AN[rn(d, NA)];
  unsigned k = rn(d, 24);
  switch (ci->state) {
  case CCENTER_CONTACT_WAITING:
    if (k < 4)
      ccenter_contact_abandon(e, cid, t);
    else if (k < 5)
      ccenter_contact_remove(e, cid, t);
    else if (k < 7)
      ccenter_contact_callback(e, cid, t);
    break;
  case CCENTER_CONTACT_OFFERED:
    if (k < 19)
      ccenter_offer_accept(e, ag, cid, t);
    else if (k < 21)
      ccenter_offer_missed(e, ag, cid, t);
    else
      ccenter_offer_reject(e, ag, cid, t);
    break;
  case CCENTER_CONTACT_CONNECTED:
    if (k < 7)
      ccenter_contact_end(e, cid, (ccenter_party)rn(d, 3), t);
    else if (k < 8) {
      if (ccenter_contact_hold(e, cid, t) != 0)
        ccenter_contact_resume(e, cid, t);
    } else if (k < 9)
      ccenter_contact_transfer_queue(e, cid, QN[rn(d, d->qx ? 4 : 3)], t);
    else if (k < 10)
      ccenter_contact_transfer_agent(e, cid, other, t);
    else if (k < 11)
      ccenter_contact_requeue(e, cid, t);
    else if (k < 13)
      ccenter_contact_consult_start(e, cid, other, t);
    else if (k < 14)
      ccenter_contact_consult_complete(e, cid, t);
    else if (k < 15)
      ccenter_contact_consult_cancel(e, cid, t);
    else if (k < 18)
      ccenter_offer_accept(e, other, cid, t); /* a consultation answered */
    else if (k < 21)
      ccenter_contact_disposition(e, cid, CODES[rn(d, 3)], t);
    else
      ccenter_contact_survey(e, cid, (int)rn(d, 101), t);
    break;
  case CCENTER_CONTACT_WRAP_UP:
    if (k < 10)
      ccenter_agent_wrap_up_end(e, ag, cid, t);
    else if (k < 14)
      ccenter_contact_disposition(e, cid, CODES[rn(d, 3)], t);
    else if (k < 17)
      ccenter_contact_survey(e, cid, (int)rn(d, 101), t);
    else if (k < 18)
      ccenter_agent_wrap_up_extend(e, ag, cid, 2000, t);
    break;
  default:
    break;
  }
}

static void drive_step(drv *d, ccenter_engine *e)
{
  unsigned r = rn(d, 100);
  const char *ag = AN[rn(d, NA)];
  if (r < 12) {
    d->t += rn(d, 4000);
    ccenter_engine_advance(e, d->t);
  } else if (r < 20) {
    char id[48], cu[16];
    contact_id(id, sizeof id, d->next++);
    snprintf(cu, sizeof cu, "u%u", rn(d, 30));
    ccenter_contact_params p;
    ccenter_contact_params_init(&p);
    p.customer = rn(d, 4) ? cu : NULL;
    p.priority = (int)rn(d, 3);
    ccenter_contact_enqueue(e, id, QN[rn(d, d->qx ? 4 : 3)], &p, d->t);
    d->pool[d->n_pool < POOL ? d->n_pool++ : (int)rn(d, POOL)] = d->next - 1;
  } else if (r < 72) {
    if (!d->n_pool)
      return;
    char id[48];
    unsigned k = rn(d, (unsigned)d->n_pool);
    contact_id(id, sizeof id, d->pool[k]);
    ccenter_contact_info ci = {.size = sizeof ci};
    if (ccenter_contact_info_get(e, id, d->t, &ci) == 0)
      on_contact(d, e, id, &ci);
    else
      d->pool[k] = d->pool[--d->n_pool];
  } else if (r < 84) {
    unsigned k = rn(d, 20);
    if (k < 3)
      ccenter_agent_login(e, ag, d->t);
    else if (k < 4)
      ccenter_agent_logout(e, ag, d->t);
    else if (k < 14)
      ccenter_agent_ready(e, ag, d->t);
    else
      ccenter_agent_not_ready(e, ag, rn(d, 4) ? CODES[rn(d, 3)] : NULL, d->t);
  } else if (r < 85) {
    if (!d->qx && ccenter_queue_add(e, "qx", NULL, d->t) == 0) {
      d->qx = 1;
      ccenter_queue_set(e, "qx", CCENTER_QUEUE_WRAP_UP, 4000, d->t);
      ccenter_agent_serve(e, "a1", "qx", NULL, d->t);
      ccenter_agent_serve(e, "a4", "qx", NULL, d->t);
    } else if (d->qx && rn(d, 3) == 0 && ccenter_queue_remove(e, "qx", "q0", d->t) == 0) {
      d->qx = 0;
    }
  } else if (r < 86 && rn(d, 8) == 0) {
    /* A changed threshold resets the queue's history (a new generation). */
    const int64_t th[] = {5000 + 1000 * (int64_t)rn(d, 3), 30000};
    ccenter_queue_set_thresholds(e, QN[rn(d, 3)], th, 1 + rn(d, 2), d->t);
  } else if (r < 87 && rn(d, 40) == 0) {
    /* Every history is reset, from now on in intervals of the other length. */
    ccenter_engine_set(e, CCENTER_ENGINE_STATS_INTERVAL, rn(d, 2) ? IV : IV / 2, d->t);
  } else if (r < 88) {
    ccenter_engine_set(e, CCENTER_ENGINE_SHORT_ABANDON, 1000 * (int64_t)rn(d, 8), d->t);
  }
}

static void run(drv *d, ccenter_engine *e, int n)
{
  for (int i = 0; i < n; i++)
    drive_step(d, e);
}

/* ---------------------------------------------------------------------------------- */
/* Every statistics query, answers appended as bytes                                   */

typedef struct buf {
  unsigned char *p;
  size_t n, cap;
} buf;

static void put(buf *b, const void *p, size_t n)
{
  if (b->n + n > b->cap) {
    b->cap = (b->n + n) * 2;
    b->p = realloc(b->p, b->cap);
    ck_assert_ptr_nonnull(b->p);
  }
  memcpy(b->p + b->n, p, n);
  b->n += n;
}

static void put_i(buf *b, int64_t v)
{
  put(b, &v, sizeof v);
}

static void put_d(buf *b, int rc, double v)
{
  put_i(b, rc);
  if (rc == 0)
    put(b, &v, sizeof v);
}

static void take_code(void *ud, const char *code, uint64_t n)
{
  put(ud, code, strlen(code) + 1);
  put_i(ud, (int64_t)n);
}

static void take_reason(void *ud, const char *code, int64_t ms)
{
  put(ud, code, strlen(code) + 1);
  put_i(ud, ms);
}

static void queue_kpis(buf *b, const ccenter_queue_stats *s)
{
  double d = 0;
  for (int v = 0; v <= CCENTER_SL_ASTERISK_2 + 1; v++) {
    put_d(b, ccenter_kpi_service_level(s, (ccenter_sl_variant)v, &d), d);
    for (size_t x = 0; x <= s->n_extra; x++)
      put_d(b, ccenter_kpi_service_level_extra(s, (ccenter_sl_variant)v, x, &d), d);
  }
  put_d(b, ccenter_kpi_asa(s, &d), d);
  put_d(b, ccenter_kpi_aht(s, &d), d);
  put_d(b, ccenter_kpi_abandon_rate(s, 0, &d), d);
  put_d(b, ccenter_kpi_abandon_rate(s, 1, &d), d);
  put_d(b, ccenter_kpi_transfer_rate(s, &d), d);
  put_d(b, ccenter_kpi_repeat_rate(s, &d), d);
}

static void agent_kpis(buf *b, const ccenter_agent_stats *s)
{
  double d = 0;
  put_d(b, ccenter_kpi_occupancy(s, &d), d);
  put_d(b, ccenter_kpi_utilisation(s, &d), d);
}

static const char *const EXTRA_Q[] = {"q0", "q1", "q2", "qx", "nobody"};
static const char *const EXTRA_A[] = {"a0", "a1", "a2", "a3", "a4", "a5", "nobody"};

/* The windows: all time, each interval around the kept ones, and some across them. */
static void dump_window(buf *b, const ccenter_engine *e, int64_t from, int64_t to, int64_t now)
{
  for (size_t q = 0; q < sizeof EXTRA_Q / sizeof *EXTRA_Q; q++) {
    ccenter_queue_stats s;
    memset(&s, 0, sizeof s);
    s.size = sizeof s;
    int rc = ccenter_stats_queue(e, EXTRA_Q[q], from, to, &s);
    put_i(b, rc);
    put(b, &s, sizeof s);
    if (rc == 0)
      queue_kpis(b, &s);
    put_i(b, ccenter_stats_queue_dispositions(e, EXTRA_Q[q], from, to, take_code, b));
  }
  for (size_t a = 0; a < sizeof EXTRA_A / sizeof *EXTRA_A; a++)
    for (int64_t later = 0; later <= 50000; later += 50000) {
      ccenter_agent_stats s;
      memset(&s, 0, sizeof s);
      s.size = sizeof s;
      int rc = ccenter_stats_agent(e, EXTRA_A[a], from, to, now + later, &s);
      put_i(b, rc);
      put(b, &s, sizeof s);
      if (rc == 0)
        agent_kpis(b, &s);
      put_i(b, ccenter_stats_agent_not_ready(e, EXTRA_A[a], from, to, now + later, take_reason,
                                             b));
    }
}

static buf dump(const ccenter_engine *e, int64_t now)
{
  buf b = {NULL, 0, 0};
  put_i(&b, (int64_t)ccenter_stats_dropped(e));
  put_i(&b, ccenter_stats_interval_start(e, now));
  put_i(&b, (int64_t)cc_stats_memory(e));
  put_i(&b, (int64_t)cc_stats_tracked_contacts(e));
  put_i(&b, (int64_t)cc_stats_tracked_customers(e));
  dump_window(&b, e, INT64_MIN, INT64_MAX, now);
  int64_t cur = now / IV;
  for (int64_t i = cur - KEEP - 2; i <= cur + 1; i++)
    dump_window(&b, e, i * IV, (i + 1) * IV, now);
  dump_window(&b, e, now - 7 * IV / 2, now - IV / 3, now);
  return b;
}

static void same_answers(const ccenter_engine *a, const ccenter_engine *b, int64_t now)
{
  buf x = dump(a, now), y = dump(b, now);
  size_t i = 0;
  while (i < x.n && i < y.n && x.p[i] == y.p[i])
    i++;
  ck_assert_msg(x.n == y.n && i == x.n, "answers differ at byte %zu of %zu/%zu", i, x.n, y.n);
  free(x.p);
  free(y.p);
}

/* ---------------------------------------------------------------------------------- */
/* The direct way: the statistics' section and records, restored by id                 */

static const cc_observer *VT;

static ccenter_engine *engine_with(int stats)
{
  ccenter_options *o = ccenter_options_new();
  ck_assert_ptr_nonnull(o);
  OK(ccenter_options_set_statistics(o, stats));
  ccenter_engine *e;
  OK(ccenter_engine_new(o, 0, &e));
  ccenter_options_free(o);
  centre(e);
  return e;
}

static cc_map *objects(ccenter_engine *e, int kind)
{
  return kind == CC_OBJ_QUEUE ? &e->queues : kind == CC_OBJ_AGENT ? &e->agents : &e->contacts;
}

/* The statistics' section, then per kind the count and each object's id and record: the
 * slot is 0, the only observer with one. */
static void save_direct(ccenter_engine *e, cc_snap_w *w)
{
  void *ud = cc_engine_observer(e, VT);
  ck_assert_ptr_nonnull(ud);
  VT->save(ud, e, w);
  static const int kinds[] = {CC_OBJ_QUEUE, CC_OBJ_AGENT, CC_OBJ_CONTACT};
  for (int k = 0; k < 3; k++) {
    cc_map *m = objects(e, kinds[k]);
    cc_sw_u64(w, m->len);
    size_t it = 0;
    cc_obj *o;
    while ((o = cc_map_next(m, &it))) {
      cc_sw_str(w, o->id);
      VT->save_obj(ud, (cc_obj_kind)kinds[k], o, o->slot[0], w);
    }
  }
  ck_assert_int_eq(w->err, 0);
}

/* Into e (no statistics, the same objects as the saved engine): attaches statistics and
 * loads them. Returns the first error; e is freed by the caller whatever happened. */
static int load_direct(ccenter_engine *e, const void *p, size_t n)
{
  OK(cc_stats_attach(e));
  void *ud = cc_engine_observer(e, VT);
  cc_snap_r r;
  cc_sr_init(&r, p, n);
  int rc = VT->load(ud, e, &r);
  static const int kinds[] = {CC_OBJ_QUEUE, CC_OBJ_AGENT, CC_OBJ_CONTACT};
  for (int k = 0; k < 3 && !rc; k++) {
    uint64_t len = cc_sr_u64(&r);
    for (uint64_t i = 0; i < len && !rc && !r.err; i++) {
      const char *id = cc_sr_str_nn(&r, NULL);
      cc_obj *o = id ? cc_map_get(objects(e, kinds[k]), id) : NULL;
      if (!o || o->slot[0])
        return CCENTER_ECORRUPT; /* unknown, or read before (the engine's order check) */
      void *v = NULL;
      rc = VT->load_obj(ud, e, (cc_obj_kind)kinds[k], o, &r, &v);
      o->slot[0] = v;
    }
    if (!rc && r.err)
      rc = r.err;
  }
  if (!rc && !cc_sr_done(&r))
    rc = CCENTER_ECORRUPT;
  return rc;
}

/* What the saved state holds, summed over the seeds: the workload must reach every kind
 * of record for the round trip to mean something. */
static void tally(const ccenter_engine *e, uint64_t *sum)
{
  for (int q = 0; q < NQ; q++) {
    ccenter_queue_stats s = {.size = sizeof s};
    if (ccenter_stats_queue(e, QN[q], INT64_MIN, INT64_MAX, &s) != 0)
      continue;
    sum[0] += s.answered;
    sum[1] += s.handled;
    sum[2] += s.dispositions;
    sum[3] += s.surveys;
    sum[4] += s.transferred_out;
    sum[5] += (uint64_t)s.hold_ms;
    sum[6] += s.repeat_contacts;
    sum[7] += s.callbacks_requested;
  }
  sum[8] += cc_stats_tracked_contacts(e);
}

START_TEST(direct_round_trip)
{
  VT = cc_stats_observer();
  uint64_t sum[9] = {0};
  for (uint64_t seed = 1; seed <= 4; seed++) {
    drv da = DRV(0x9E3779B97F4A7C15ULL * seed);
    ccenter_engine *a = engine_with(1);
    int steps = 600 + 900 * (int)seed;
    run(&da, a, steps);
    ck_assert_uint_eq(ccenter_stats_dropped(a), 0);
    tally(a, sum);
    /* b: the same engine, without statistics until they are loaded. */
    drv db = DRV(0x9E3779B97F4A7C15ULL * seed);
    ccenter_engine *b = engine_with(0);
    run(&db, b, steps);
    ck_assert_int_eq(db.t, da.t);
    cc_snap_w w;
    cc_sw_init(&w, cc_engine_alloc(a));
    save_direct(a, &w);
    OK(load_direct(b, w.p, w.len));
    same_answers(a, b, da.t);
    /* Saved again: the same bytes. */
    cc_snap_w w2;
    cc_sw_init(&w2, cc_engine_alloc(b));
    save_direct(b, &w2);
    ck_assert_uint_eq(w2.len, w.len);
    ck_assert(memcmp(w.p, w2.p, w.len) == 0);
    cc_sw_free(&w2);
    cc_sw_free(&w);
    /* And on alike. */
    for (int k = 0; k < 6; k++) {
      run(&da, a, 400);
      run(&db, b, 400);
      same_answers(a, b, da.t);
    }
    ck_assert_uint_eq(ccenter_stats_dropped(b), 0);
    ccenter_engine_free(a);
    ccenter_engine_free(b);
  }
  for (int i = 0; i < 9; i++)
    ck_assert_msg(sum[i] > 0, "nothing of kind %d was saved", i);
}
END_TEST

/* The engine of the corrupt-section tests (700 steps of one seed) with statistics, its
 * section saved into w; and the same engine without them, to load a section into. */
#define SECTION_SEED 0xD1B54A32D192ED03ULL
static ccenter_engine *saved_section(cc_snap_w *w)
{
  VT = cc_stats_observer();
  drv d = DRV(SECTION_SEED);
  ccenter_engine *a = engine_with(1);
  run(&d, a, 700);
  cc_sw_init(w, cc_engine_alloc(a));
  save_direct(a, w);
  return a;
}

static ccenter_engine *section_target(void)
{
  drv d = DRV(SECTION_SEED);
  ccenter_engine *b = engine_with(0);
  run(&d, b, 700);
  return b;
}

/* A saved section cut short at every length, and with each byte changed: the load fails
 * with CCENTER_ECORRUPT (cut) or CCENTER_ECORRUPT / 0 (changed: many bytes are counts whose
 * every value is valid), and freeing the engine frees whatever it had loaded (ASan). */
START_TEST(direct_corrupt)
{
  cc_snap_w w;
  ccenter_engine *a = saved_section(&w);
  unsigned char *p = malloc(w.len);
  ck_assert_ptr_nonnull(p);
  size_t corrupt = 0;
  for (size_t len = 0; len <= w.len; len++) {
    for (int flip = 0; flip < (len < w.len ? 3 : 1); flip++) {
      memcpy(p, w.p, w.len);
      size_t n = w.len;
      if (len < w.len && flip == 0)
        n = len; /* cut */
      else if (len < w.len)
        p[len] ^= flip == 1 ? 0x01 : 0x80;
      /* A fresh b each time: the engine the section was saved from, without statistics. */
      ccenter_engine *b = section_target();
      int rc = load_direct(b, p, n);
      if (n < w.len)
        ck_assert_msg(rc == CCENTER_ECORRUPT, "cut at %zu: %d", n, rc);
      else if (len == w.len)
        ck_assert_int_eq(rc, 0);
      else
        ck_assert_msg(rc == 0 || rc == CCENTER_ECORRUPT, "byte %zu: %d", len, rc);
      corrupt += rc != 0;
      ccenter_engine_free(b);
    }
  }
  ck_assert_uint_gt(corrupt, w.len);
  free(p);
  cc_sw_free(&w);
  ccenter_engine_free(a);
}
END_TEST

/* Maps are written in slot order: the same section with the interned strings' first two
 * entries swapped is damaged (it would read as the same statistics otherwise). */
START_TEST(direct_map_order)
{
  cc_snap_w w;
  ccenter_engine *a = saved_section(&w);
  /* The section's head (stats_save): tag, 4 x i64, 3 x u64; then the strings' map: tag,
   * capacity, length, and each entry's slot and string. */
  cc_snap_r r;
  cc_sr_init(&r, w.p, w.len);
  for (int i = 0; i < 11; i++)
    cc_sr_u64(&r);
  size_t first = r.off;
  cc_sr_u64(&r);
  cc_sr_str_nn(&r, NULL);
  size_t second = r.off;
  cc_sr_u64(&r);
  cc_sr_str_nn(&r, NULL);
  size_t end = r.off;
  ck_assert_int_eq(r.err, 0);
  unsigned char *p = malloc(w.len);
  ck_assert_ptr_nonnull(p);
  memcpy(p, w.p, w.len);
  memcpy(p + first, w.p + second, end - second);
  memcpy(p + first + (end - second), w.p + first, second - first);
  ccenter_engine *b = section_target();
  ck_assert_int_eq(load_direct(b, w.p, w.len), 0); /* the section as written loads */
  ccenter_engine_free(b);
  b = section_target();
  ck_assert_int_eq(load_direct(b, p, w.len), CCENTER_ECORRUPT);
  ccenter_engine_free(b);
  free(p);
  cc_sw_free(&w);
  ccenter_engine_free(a);
}
END_TEST

/* The leg blocks kept for reuse are counted in the memory, so a snapshot says how many
 * there are: a section of their own before the end tag, written only when there are some,
 * which is how sections written before the blocks were kept still read. The tags as
 * stats.c numbers them (they may never change): the spare legs 0x737a, the end 0x7379,
 * each three bytes as a varint; the count one byte (at most 64). */
static const unsigned char spare_tag[] = {0xfa, 0xe6, 0x01}, end_tag[] = {0xf9, 0xe6, 0x01};

/* The statistics' own section of e alone (no objects' records), into a new writer. */
static void own_section(ccenter_engine *e, cc_snap_w *s)
{
  cc_sw_init(s, cc_engine_alloc(e));
  VT->save(cc_engine_observer(e, VT), e, s);
  OK(s->err);
}

/* The count of the leg section of e's statistics, 0 when it has none. */
static unsigned spare_legs(ccenter_engine *e)
{
  cc_snap_w s;
  own_section(e, &s);
  ck_assert_uint_ge(s.len, 7);
  const unsigned char *end = s.p + s.len;
  ck_assert(memcmp(end - 3, end_tag, 3) == 0);
  unsigned n = memcmp(end - 7, spare_tag, 3) == 0 ? end[-4] : 0;
  cc_sw_free(&s);
  return n;
}

START_TEST(spare_legs_section)
{
  cc_snap_w w;
  ccenter_engine *a = saved_section(&w);
  /* The statistics' own section alone: its end is where the leg section is. */
  cc_snap_w s;
  own_section(a, &s);
  ck_assert_uint_ge(s.len, 7);
  ck_assert_uint_le(s.len, w.len);
  ck_assert(memcmp(w.p, s.p, s.len) == 0);
  size_t at = s.len - 7; /* the spare tag, the count, the end tag */
  ck_assert_msg(memcmp(w.p + at, spare_tag, 3) == 0, "the workload left no leg block spare");
  unsigned count = w.p[at + 3];
  ck_assert_uint_ge(count, 1);
  ck_assert_uint_le(count, 64);
  ck_assert(memcmp(w.p + at + 4, end_tag, 3) == 0);
  ck_assert_uint_eq(spare_legs(a), count);
  size_t mem = cc_stats_memory(a);

  /* As written: the same memory, and saved again the same bytes (direct_round_trip). */
  ccenter_engine *b = section_target();
  OK(load_direct(b, w.p, w.len));
  ck_assert_uint_eq(cc_stats_memory(b), mem);
  ccenter_engine_free(b);

  unsigned char *p = malloc(w.len);
  ck_assert_ptr_nonnull(p);
  /* A count that no writer makes: 0 (the section is left out then), or over 64. */
  static const unsigned char bad[] = {0, 65, 127};
  for (size_t i = 0; i < sizeof bad; i++) {
    memcpy(p, w.p, w.len);
    p[at + 3] = bad[i];
    b = section_target();
    ck_assert_int_eq(load_direct(b, p, w.len), CCENTER_ECORRUPT);
    ccenter_engine_free(b);
  }
  /* Without the section, as before the blocks were kept: it reads, with none spare. */
  memcpy(p, w.p, at);
  memcpy(p + at, w.p + at + 4, w.len - at - 4);
  b = section_target();
  OK(load_direct(b, p, w.len - 4));
  ck_assert_uint_lt(cc_stats_memory(b), mem);
  cc_snap_w s2;
  own_section(b, &s2);
  ck_assert_uint_eq(s2.len, s.len - 4);
  ck_assert(memcmp(s2.p, p, s2.len) == 0);
  cc_sw_free(&s2);
  ccenter_engine_free(b);
  /* The section twice: the end tag is what must follow it. */
  unsigned char *q = malloc(w.len + 4);
  ck_assert_ptr_nonnull(q);
  memcpy(q, w.p, at + 4);
  memcpy(q + at + 4, w.p + at, w.len - at);
  b = section_target();
  ck_assert_int_eq(load_direct(b, q, w.len + 4), CCENTER_ECORRUPT);
  ccenter_engine_free(b);
  free(q);
  free(p);
  cc_sw_free(&s);
  cc_sw_free(&w);
  ccenter_engine_free(a);
}
END_TEST

/* Round r of n conversations at once on queue "legs" (its agents L0.. made in round 0);
 * *talking is the statistics' memory while they all talk, then they all end. */
static void legs_round(ccenter_engine *e, int round, int n, size_t *talking)
{
  int64_t t = 1000 + 10000 * round; /* rounds 0 and 1 in the first interval: no new records */
  char a[16], c[16];
  for (int i = 0; i < n; i++) {
    snprintf(a, sizeof a, "L%d", i);
    snprintf(c, sizeof c, "lc%d-%d", round, i);
    if (!round) {
      OK(ccenter_agent_add(e, a, NULL, t));
      OK(ccenter_agent_serve(e, a, "legs", NULL, t));
      OK(ccenter_agent_login(e, a, t));
    }
    OK(ccenter_agent_ready(e, a, t));
    OK(ccenter_contact_enqueue(e, c, "legs", NULL, t));
    OK(ccenter_offer_accept(e, a, c, t));
  }
  ck_assert_uint_eq(spare_legs(e), 0); /* in a later round the 64 kept are in use again */
  *talking = cc_stats_memory(e);
  for (int i = 0; i < n; i++) {
    snprintf(c, sizeof c, "lc%d-%d", round, i);
    OK(ccenter_contact_end(e, c, CCENTER_PARTY_CUSTOMER, t + 5000));
  }
  ck_assert_uint_eq(spare_legs(e), n < 64 ? (unsigned)n : 64);
}

/* 70 conversations at once, then none, twice: 64 blocks are kept (the rest go back to the
 * allocator), and the second round takes them again, so that the memory is what it was
 * at the same point of the first. */
START_TEST(spare_legs_at_most_64)
{
  VT = cc_stats_observer();
  ccenter_engine *e = engine_with(1);
  OK(ccenter_queue_add(e, "legs", NULL, 0));
  ck_assert_uint_eq(spare_legs(e), 0);
  size_t talking[2], ended[2];
  for (int round = 0; round < 2; round++) {
    legs_round(e, round, 70, &talking[round]);
    ended[round] = cc_stats_memory(e);
  }
  ck_assert_uint_eq(talking[1], talking[0]);
  ck_assert_uint_eq(ended[1], ended[0]);
  ck_assert_uint_eq(ccenter_stats_dropped(e), 0);
  ccenter_engine_free(e);
}
END_TEST

/* ---------------------------------------------------------------------------------- */
/* The whole engine: cc_engine_snapshot and cc_engine_load_snapshot                     */

static int snapshot(const ccenter_engine *e, cc_snap_w *w)
{
  cc_sw_init(w, cc_engine_alloc(e));
  return cc_engine_snapshot(e, w);
}

/* A snapshot with 5 spare leg blocks loaded with each allocation failing in turn:
 * CCENTER_ENOMEM and every byte given back, or the engine as saved (the same memory). */
START_TEST(spare_legs_out_of_memory)
{
  VT = cc_stats_observer();
  ccenter_engine *a = engine_with(1);
  OK(ccenter_queue_add(a, "legs", NULL, 0));
  size_t talking;
  legs_round(a, 0, 5, &talking);
  cc_snap_w w;
  OK(snapshot(a, &w));
  size_t mem = cc_stats_memory(a);
  long failed = 0;
  for (long n = 0;; n++) {
    talloc t = {0, n};
    ccenter_options *o = ccenter_options_new();
    ck_assert_ptr_nonnull(o);
    OK(ccenter_options_set_allocator(o, t_malloc, t_realloc, t_free, &t));
    ccenter_engine *b = NULL;
    int rc = cc_engine_load_snapshot(o, w.p, w.len, &b);
    ccenter_options_free(o);
    if (rc == 0) {
      ck_assert_uint_eq(cc_stats_memory(b), mem);
      ccenter_engine_free(b);
    } else {
      ck_assert_msg(rc == CCENTER_ENOMEM, "allocation %ld: %s", n, ccenter_err_name(rc));
      ck_assert_ptr_null(b);
      failed++;
    }
    ck_assert_msg(t.live == 0, "allocation %ld: %zu bytes left", n, t.live);
    if (t.fail_in >= 0)
      break; /* the load needed fewer than n allocations: every one has failed once */
  }
  ck_assert_int_gt(failed, 5);
  cc_sw_free(&w);
  ccenter_engine_free(a);
}
END_TEST

START_TEST(engine_round_trip)
{
  for (uint64_t seed = 11; seed <= 14; seed++) {
    drv da = DRV(0xA0761D6478BD642FULL * seed);
    ccenter_engine *a = engine_with(1);
    run(&da, a, 1500);
    for (int round = 0; round < 3; round++) {
      cc_snap_w w;
      OK(snapshot(a, &w));
      ccenter_engine *b;
      OK(cc_engine_load_snapshot(NULL, w.p, w.len, &b));
      same_answers(a, b, da.t);
      ck_assert_uint_eq(cc_stats_memory(a), cc_stats_memory(b));
      cc_snap_w w2;
      OK(snapshot(b, &w2));
      ck_assert_uint_eq(w2.len, w.len);
      ck_assert(memcmp(w.p, w2.p, w.len) == 0);
      cc_sw_free(&w2);
      cc_sw_free(&w);
      drv db = da;
      for (int k = 0; k < 4; k++) {
        run(&da, a, 300);
        run(&db, b, 300);
        same_answers(a, b, da.t);
      }
      ccenter_engine_free(b);
    }
    ccenter_engine_free(a);
  }
}
END_TEST

/* Whole snapshots cut short: CCENTER_ECORRUPT at every length, nothing leaked. */
START_TEST(engine_snapshot_cut)
{
  drv da = DRV(0x8EBC6AF09C88C6E3ULL);
  ccenter_engine *a = engine_with(1);
  run(&da, a, 500);
  cc_snap_w w;
  OK(snapshot(a, &w));
  for (size_t len = 0; len < w.len; len++) {
    ccenter_engine *b = NULL;
    ck_assert_int_eq(cc_engine_load_snapshot(NULL, w.p, len, &b), CCENTER_ECORRUPT);
    ck_assert_ptr_null(b);
  }
  cc_sw_free(&w);
  ccenter_engine_free(a);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("stats_snap");
  TCase *tc = tcase_create("stats_snap");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, direct_round_trip);
  tcase_add_test(tc, direct_corrupt);
  tcase_add_test(tc, direct_map_order);
  tcase_add_test(tc, spare_legs_section);
  tcase_add_test(tc, spare_legs_at_most_64);
  tcase_add_test(tc, spare_legs_out_of_memory);
  tcase_add_test(tc, engine_round_trip);
  tcase_add_test(tc, engine_snapshot_cut);
  suite_add_tcase(s, tc);
  return s;
}

CC_TEST_MAIN()
