/*
 * Snapshots of the routing engine (acd/snapshot.c): a random workload is saved and
 * restored at many points; the restored engine must answer every query as the saved one,
 * raise the same events for the same later inputs, save to the same bytes, and pass its
 * invariant checks. Then every documented error: EBUSY in a callback, ECORRUPT for
 * truncated, altered and trailing bytes, ECONDITION for an observer whose state is
 * missing, ENOMEM at every allocation.
 */
#include "harness.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acd/types.h"
#include "ccenter/ccenter.h"

#define NQ 3
#define NA 6
#define NC 40
#define T0 INT64_C(1000000)

typedef struct buf {
  char *p;
  size_t n, cap;
} buf;

static void bprintf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static void bprintf(buf *b, const char *fmt, ...)
{
  va_list ap;
  for (;;) {
    va_start(ap, fmt);
    int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
    va_end(ap);
    ck_assert_int_ge(k, 0);
    if (b->p && b->n + (size_t)k < b->cap) {
      b->n += (size_t)k;
      return;
    }
    b->cap = (b->cap + (size_t)k + 1) * 2;
    b->p = realloc(b->p, b->cap);
    ck_assert_ptr_nonnull(b->p);
  }
}

static const char *s0(const char *s)
{
  return s ? s : "-";
}

static void on_event(ccenter_engine *e, const ccenter_event *ev, void *ud)
{
  (void)e;
  bprintf(ud,
          "%s t=%" PRId64 " a=%s c=%s q=%s qt=%s at=%s cu=%s ch=%d p=%d op=%d pos=%d ewt=%" PRId64
          " w=%" PRId64 " d=%" PRId64 " rt=%" PRId64 " cause=%d out=%d srv=%d st=%d r=%s sc=%d"
          " step=%d th=%" PRId64 " party=%d\n",
          ccenter_event_name(ev->type), ev->time, s0(ev->agent), s0(ev->contact), s0(ev->queue),
          s0(ev->queue_to), s0(ev->agent_to), s0(ev->customer), (int)ev->channel, ev->priority,
          ev->orig_position, ev->position, ev->ewt_ms, ev->wait_ms, ev->duration_ms,
          ev->ring_timeout_ms, (int)ev->cause, (int)ev->outcome, ev->serving, (int)ev->state,
          s0(ev->reason), ev->score, ev->step, ev->threshold_ms, (int)ev->party);
}

static void idn(char *d, char k, int i)
{
  snprintf(d, 16, "%c%d", k, i);
}

/* Everything the queries say. */
static void dump(ccenter_engine *e, int64_t now, buf *b)
{
  char id[16];
  bprintf(b, "deadline %" PRId64 "\n", ccenter_engine_next_deadline(e));
  for (int i = 0; i < NQ + 1; i++) {
    idn(id, 'q', i);
    ccenter_queue_info qi = {.size = sizeof qi};
    int rc = ccenter_queue_info_get(e, id, now, &qi);
    bprintf(b, "%s %d", id, rc);
    if (!rc)
      bprintf(b, " w%u o%u m%u l%u r%u old=%s lw%" PRId64 " ewt%" PRId64, qi.waiting, qi.offered,
              qi.members, qi.members_logged_in, qi.members_ready, s0(qi.oldest),
              qi.longest_wait_ms, qi.ewt_ms);
    for (int o = 0; o <= CCENTER_QUEUE_RESERVE_SL; o++) {
      int64_t v = 0;
      if (!ccenter_queue_get(e, id, (ccenter_queue_option)o, &v))
        bprintf(b, " %" PRId64, v);
    }
    bprintf(b, "\n");
  }
  for (int i = 0; i < NA; i++) {
    idn(id, 'a', i);
    ccenter_agent_info ai = {.size = sizeof ai};
    int rc = ccenter_agent_info_get(e, id, now, &ai);
    bprintf(b, "%s %d", id, rc);
    if (!rc) {
      bprintf(b, " s%d %s %s c%d ps%d pc%d ss%" PRId64 " is%" PRId64 " o%u c%u w%u m%u h%u",
              (int)ai.state, s0(ai.reason), s0(ai.pending), (int)ai.cause, (int)ai.pending_state,
              (int)ai.pending_cause, ai.state_since, ai.idle_since, ai.offered, ai.connected,
              ai.wrap_up, ai.missed_in_row, ai.handled);
      for (int ch = 0; ch < CCENTER_CHANNEL_COUNT_; ch++)
        bprintf(b, " %u", ai.in_channel[ch]);
    }
    bprintf(b, "\n");
  }
  for (int i = 0; i < NC; i++) {
    idn(id, 'c', i);
    ccenter_contact_info ci = {.size = sizeof ci};
    int rc = ccenter_contact_info_get(e, id, now, &ci);
    bprintf(b, "%s %d", id, rc);
    if (!rc)
      bprintf(b, " s%d ch%d p%d cb%d h%d q=%s a=%s cu=%s pos%u e%" PRId64 " w%" PRId64
                 " ewt%" PRId64 " x=%s",
              (int)ci.state, (int)ci.channel, ci.priority, ci.is_callback, ci.on_hold,
              s0(ci.queue), s0(ci.agent), s0(ci.customer), ci.position, ci.enqueued_at,
              ci.wait_ms, ci.ewt_ms, s0(ccenter_contact_attr(e, id, "lang")));
    bprintf(b, "\n");
  }
  static const char *const skills[] = {"sales", "billing", "vip"};
  for (size_t i = 0; i < 3; i++) {
    ccenter_skill_info si = {.size = sizeof si};
    ccenter_skill_info_get(e, skills[i], now, &si);
    bprintf(b, "%s %u %u %u %u %u %u %" PRId64 " %.6f\n", skills[i], si.agents, si.logged_in,
            si.ready, si.available, si.busy, si.waiting, si.longest_wait_ms, si.mean_level);
  }
  bprintf(b, "bytes %zu maps %zu\n", e->bytes,
          cc_map_memory(&e->agents) + cc_map_memory(&e->queues) + cc_map_memory(&e->contacts) +
              cc_map_memory(&e->strings) + cc_map_memory(&e->customers));
}

static uint64_t rnd(uint64_t *s)
{
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

/* One random input; the same (rng, state) gives the same input. */
static void one_input(ccenter_engine *e, uint64_t *rng, int64_t *now)
{
  char a[16], c[16], q[16], t[16];
  idn(a, 'a', (int)(rnd(rng) % NA));
  idn(c, 'c', (int)(rnd(rng) % NC));
  idn(q, 'q', (int)(rnd(rng) % NQ));
  idn(t, 'q', (int)(rnd(rng) % (NQ + 1)));
  int op = (int)(rnd(rng) % 24);
  uint64_t x = rnd(rng);
  *now += (int64_t)(rnd(rng) % 4) * (int64_t)(rnd(rng) % 3000);
  ccenter_contact_info ci = {.size = sizeof ci};
  int have = ccenter_contact_info_get(e, c, *now, &ci) == 0;
  const char *ca = have && ci.agent ? ci.agent : a;
  switch (op) {
  case 0:
  case 1:
  case 2: {
    ccenter_contact_params p;
    ccenter_contact_params_init(&p);
    p.priority = (int)(x % 3);
    p.channel = x % 5 == 0 ? CCENTER_CHANNEL_CHAT : CCENTER_CHANNEL_VOICE;
    char cu[16];
    idn(cu, 'u', (int)(x / 7 % 5));
    p.customer = x % 3 ? cu : NULL;
    ccenter_attr at = {"lang", x % 2 ? "en" : "fr"};
    p.attrs = &at;
    p.n_attrs = x % 4 == 0;
    ccenter_step st[2] = {{"billing >= 3", 4000}, {"sales", 3000}};
    if (x / 11 % 4 == 0) {
      p.steps = st;
      p.n_steps = 2;
    }
    const char *pref[1] = {a};
    if (x / 13 % 5 == 0) {
      p.preferred = pref;
      p.n_preferred = 1;
      p.preferred_timeout_ms = 2500;
    }
    p.emergency = x / 17 % 23 == 0;
    ccenter_contact_enqueue(e, c, q, &p, *now);
    break;
  }
  case 3:
    ccenter_offer_accept(e, ca, c, *now);
    break;
  case 4:
    ccenter_offer_reject(e, ca, c, *now);
    break;
  case 5:
    ccenter_contact_end(e, c, CCENTER_PARTY_CUSTOMER, *now);
    break;
  case 6:
    ccenter_contact_abandon(e, c, *now);
    break;
  case 7:
    ccenter_agent_ready(e, a, *now);
    break;
  case 8:
    ccenter_agent_not_ready(e, a, x % 2 ? "lunch" : NULL, *now);
    break;
  case 9:
    if (x % 3 == 0)
      ccenter_agent_logout(e, a, *now);
    else
      ccenter_agent_login(e, a, *now);
    break;
  case 10:
    ccenter_agent_wrap_up_end(e, a, c, *now);
    break;
  case 11:
    ccenter_contact_hold(e, c, *now);
    break;
  case 12:
    ccenter_contact_resume(e, c, *now);
    break;
  case 13:
    ccenter_agent_set_skill(e, a, x % 2 ? "billing" : "vip", (int)(x / 3 % 11), *now);
    break;
  case 14:
    ccenter_contact_transfer_queue(e, c, q, *now);
    break;
  case 15:
    ccenter_queue_set(e, q, CCENTER_QUEUE_STRATEGY, (int64_t)(x % 12), *now);
    break;
  case 16: {
    ccenter_serve_params sp;
    ccenter_serve_params_init(&sp);
    sp.priority = (int)(x % 3);
    sp.delay_ms = x % 5 == 0 ? 1500 : 0;
    ccenter_agent_serve(e, a, t, &sp, *now);
    break;
  }
  case 17:
    if (x % 4 == 0)
      ccenter_agent_unserve(e, a, q, *now);
    else
      ccenter_contact_transfer_agent(e, c, a, *now);
    break;
  case 18:
    if (x % 3 == 0)
      ccenter_contact_consult_start(e, c, a, *now);
    else if (x % 3 == 1)
      ccenter_contact_consult_complete(e, c, *now);
    else
      ccenter_contact_consult_cancel(e, c, *now);
    break;
  case 19:
    if (x % 8 == 0)
      ccenter_queue_remove(e, t, q, *now);
    else if (x % 8 == 1)
      ccenter_queue_add(e, t, NULL, *now);
    else
      ccenter_contact_callback(e, c, *now);
    break;
  case 20:
    ccenter_offer_missed(e, ca, c, *now);
    break;
  case 21:
    ccenter_contact_requeue(e, c, *now);
    break;
  default:
    ccenter_engine_advance(e, *now);
    break;
  }
}

static void setup(ccenter_engine *e, int64_t now)
{
  char id[16];
  for (int i = 0; i < NQ; i++) {
    idn(id, 'q', i);
    ck_assert_int_eq(ccenter_queue_add(e, id, NULL, now), 0);
  }
  ccenter_queue_add_step(e, "q0", "sales >= 2", 5000, now);
  ccenter_queue_set(e, "q0", CCENTER_QUEUE_ANNOUNCE_EVERY, 4000, now);
  ccenter_queue_set(e, "q0", CCENTER_QUEUE_MAX_WAIT, 20000, now);
  ccenter_queue_set(e, "q1", CCENTER_QUEUE_WRAP_UP, 3000, now);
  ccenter_queue_set(e, "q1", CCENTER_QUEUE_STICKY_WINDOW, 60000, now);
  ccenter_queue_set(e, "q1", CCENTER_QUEUE_MAX_WAIT, 15000, now);
  ccenter_queue_set(e, "q1", CCENTER_QUEUE_MAX_WAIT_ACTION, CCENTER_MAX_WAIT_OVERFLOW, now);
  ccenter_queue_set_overflow(e, "q1", "q2", now);
  ccenter_queue_set(e, "q2", CCENTER_QUEUE_AGEING, 1000, now);
  ccenter_queue_set(e, "q2", CCENTER_QUEUE_WRAP_UP, -1, now);
  ccenter_queue_set(e, "q2", CCENTER_QUEUE_RING_TIMEOUT, 4000, now);
  for (int i = 0; i < NA; i++) {
    idn(id, 'a', i);
    ck_assert_int_eq(ccenter_agent_add(e, id, NULL, now), 0);
    ccenter_agent_set_skill(e, id, "sales", 1 + i % 4, now);
    if (i % 2)
      ccenter_agent_set_skill(e, id, "billing", 2 + i, now);
    ccenter_agent_set_attr(e, id, "site", i % 3 ? "north" : "south", now);
    for (int k = 0; k < NQ; k++)
      if ((i + k) % 3) {
        char qq[16];
        idn(qq, 'q', k);
        ccenter_agent_serve(e, id, qq, NULL, now);
      }
    ccenter_agent_login(e, id, now);
    ccenter_agent_ready(e, id, now);
  }
}

static ccenter_options *opts_for(buf *events, int stats)
{
  ccenter_options *o = ccenter_options_new();
  ck_assert_ptr_nonnull(o);
  ccenter_options_set_event_callback(o, on_event, events);
  ccenter_options_set_statistics(o, stats);
  return o;
}

/* The C library's allocator, for writers that outlive the function that made them. */
static const cc_alloc *plain(void)
{
  static cc_alloc al;
  cc_alloc_of(NULL, &al);
  return &al;
}

static void take(ccenter_engine *e, cc_snap_w *w)
{
  cc_sw_init(w, plain());
  ck_assert_int_eq(cc_engine_snapshot(e, w), 0);
}

static void property_run(uint64_t seed, int steps, int every, int *points)
{
  buf ea = {0}, eb = {0}, da = {0}, db = {0};
  int stats = (int)(seed % 2);
  ccenter_options *oa = opts_for(&ea, stats), *ob = opts_for(&eb, stats);
  ccenter_engine *A;
  ck_assert_int_eq(ccenter_engine_new(oa, T0, &A), 0);
  int64_t now = T0;
  setup(A, now);
  uint64_t rng = seed * 0x9E3779B97F4A7C15ull | 1;
  for (int k = 0; k < steps; k++) {
    one_input(A, &rng, &now);
    ck_assert_msg(cc_engine_check(A) == NULL, "A: %s", cc_engine_check(A));
    if (k % every)
      continue;
    ++*points;
    cc_snap_w w;
    take(A, &w);
    ccenter_engine *B = NULL;
    int rc = cc_engine_load_snapshot(ob, w.p, w.len, &B);
    ck_assert_msg(rc == 0, "seed %" PRIu64 " step %d: restore %s", seed, k, ccenter_err_name(rc));
    ck_assert_msg(cc_engine_check(B) == NULL, "B: %s", cc_engine_check(B));
    cc_snap_w w2;
    take(B, &w2);
    if (getenv("SNAP_DEBUG")) {
      FILE *fa = fopen("/tmp/snapA.bin", "wb"), *fb = fopen("/tmp/snapB.bin", "wb");
      fwrite(w.p, 1, w.len, fa);
      fwrite(w2.p, 1, w2.len, fb);
      fclose(fa);
      fclose(fb);
    }
    size_t at = 0;
    while (at < w.len && at < w2.len && w.p[at] == w2.p[at])
      at++;
    ck_assert_msg(w.len == w2.len && at == w.len,
                  "seed %" PRIu64 " step %d: resnapshot differs at %zu of %zu", seed, k, at, w.len);
    cc_sw_free(&w2);
    cc_sw_free(&w);
    da.n = db.n = 0;
    dump(A, now, &da);
    dump(B, now, &db);
    ck_assert_msg(da.n == db.n && memcmp(da.p, db.p, da.n) == 0,
                  "seed %" PRIu64 " step %d: dumps differ\n%.*s\n---\n%.*s", seed, k, (int)da.n,
                  da.p, (int)db.n, db.p);
    /* Both go on with the same inputs. */
    uint64_t rb = rng;
    int64_t nb = now, na_ = now;
    uint64_t ra = rng;
    ea.n = eb.n = 0;
    for (int j = 0; j < 12; j++) {
      one_input(A, &ra, &na_);
      one_input(B, &rb, &nb);
    }
    ck_assert_msg(cc_engine_check(B) == NULL, "B later: %s", cc_engine_check(B));
    ck_assert_msg(ea.n == eb.n && (ea.n == 0 || memcmp(ea.p, eb.p, ea.n) == 0),
                  "seed %" PRIu64 " step %d: later events differ\n%.*s\n---\n%.*s", seed, k,
                  (int)ea.n, ea.p, (int)eb.n, eb.p);
    da.n = db.n = 0;
    dump(A, na_, &da);
    dump(B, nb, &db);
    ck_assert_msg(da.n == db.n && memcmp(da.p, db.p, da.n) == 0,
                  "seed %" PRIu64 " step %d: later dumps differ", seed, k);
    ccenter_engine_free(B);
    rng = ra;
    now = na_;
    ea.n = 0;
  }
  ccenter_engine_free(A);
  ccenter_options_free(oa);
  ccenter_options_free(ob);
  free(ea.p);
  free(eb.p);
  free(da.p);
  free(db.p);
}

START_TEST(test_property)
{
  int points = 0;
  for (uint64_t seed = 1; seed <= 6; seed++)
    property_run(seed, 240, 9, &points);
  ck_assert_int_ge(points, 100);
}
END_TEST

/* A busy engine's snapshot, for the error tests. */
static void busy_blob(cc_snap_w *w, int stats)
{
  buf ev = {0};
  ccenter_options *o = opts_for(&ev, stats);
  ccenter_engine *e;
  ck_assert_int_eq(ccenter_engine_new(o, T0, &e), 0);
  int64_t now = T0;
  setup(e, now);
  uint64_t rng = 77;
  for (int k = 0; k < 150; k++)
    one_input(e, &rng, &now);
  take(e, w);
  ccenter_engine_free(e);
  ccenter_options_free(o);
  free(ev.p);
}

static int load(const void *p, size_t n)
{
  ccenter_options *o = ccenter_options_new();
  ccenter_options_set_statistics(o, 0);
  ccenter_engine *e = NULL;
  int rc = cc_engine_load_snapshot(o, p, n, &e);
  if (!rc) {
    ck_assert_msg(cc_engine_check(e) == NULL, "%s", cc_engine_check(e));
    ccenter_engine_free(e);
  }
  ccenter_options_free(o);
  return rc;
}

START_TEST(test_truncated_and_trailing)
{
  cc_snap_w w;
  busy_blob(&w, 0);
  ck_assert_int_eq(load(w.p, w.len), 0);
  for (size_t n = 0; n < w.len; n++)
    ck_assert_int_eq(load(w.p, n), CCENTER_ECORRUPT);
  uint8_t *more = malloc(w.len + 1);
  memcpy(more, w.p, w.len);
  more[w.len] = 0;
  ck_assert_int_eq(load(more, w.len + 1), CCENTER_ECORRUPT);
  more[0] ^= 1; /* magic */
  ck_assert_int_eq(load(more, w.len), CCENTER_ECORRUPT);
  free(more);
  /* format version: right after the magic's varint */
  cc_snap_w v;
  cc_sw_init(&v, plain());
  cc_sw_tag(&v, UINT64_C(0x63636e6170));
  size_t mlen = v.len;
  cc_sw_free(&v);
  w.p[mlen] = 2;
  ck_assert_int_eq(load(w.p, w.len), CCENTER_ECORRUPT);
  cc_sw_free(&w);
}
END_TEST

/* One value, one encoding: an overlong varint is corrupt, and so is a map written out of
 * slot order (two adjacent entries of the interned strings swapped), though either would
 * otherwise read as the same engine. */
static size_t find_entry(const cc_snap_w *w, const char *name, uint8_t *slot)
{
  size_t n = strlen(name);
  for (size_t i = 2; i + n + 1 < w->len; i++)
    if (w->p[i - 1] == n + 1 && memcmp(w->p + i, name, n) == 0 && w->p[i + n] == 0 &&
        w->p[i - 2] < 0x80) {
      *slot = w->p[i - 2];
      return i - 2;
    }
  return SIZE_MAX;
}

START_TEST(test_one_encoding)
{
  static const uint8_t overlong[] = {0x85, 0x80, 0x00}, plain5[] = {0x05}, two[] = {0xff, 0x01};
  cc_snap_r r;
  cc_sr_init(&r, overlong, sizeof overlong);
  cc_sr_u64(&r);
  ck_assert_int_ne(r.err, 0);
  cc_sr_init(&r, plain5, sizeof plain5);
  ck_assert_uint_eq(cc_sr_u64(&r), 5);
  ck_assert(cc_sr_done(&r));
  cc_sr_init(&r, two, sizeof two);
  ck_assert_uint_eq(cc_sr_u64(&r), 255);
  ck_assert(cc_sr_done(&r));
  cc_snap_w w;
  busy_blob(&w, 0);
  static const char *const names[] = {"sales", "billing", "vip", "site", "north", "south",
                                      "lunch", "lang"};
  size_t nn = sizeof names / sizeof names[0], at[8], len[8];
  uint8_t slot[8];
  for (size_t i = 0; i < nn; i++) {
    at[i] = find_entry(&w, names[i], &slot[i]);
    len[i] = 3 + strlen(names[i]);
  }
  int swapped = 0;
  for (size_t i = 0; i < nn && !swapped; i++)
    for (size_t j = 0; j < nn && !swapped; j++)
      if (at[i] != SIZE_MAX && at[j] != SIZE_MAX && at[i] + len[i] == at[j] &&
          slot[i] < slot[j]) {
        /* [slot i][name i][slot j][name j] becomes [slot j][name j][slot i][name i] */
        uint8_t tmp[64];
        memcpy(tmp, w.p + at[i], len[i] + len[j]);
        memcpy(w.p + at[i], tmp + len[i], len[j]);
        memcpy(w.p + at[i] + len[j], tmp, len[i]);
        swapped = 1;
      }
  ck_assert_msg(swapped, "no two interned strings next to each other in the snapshot");
  ck_assert_int_eq(load(w.p, w.len), CCENTER_ECORRUPT);
  cc_sw_free(&w);
}
END_TEST

/* Where the timer entry of `kind` due `at` starts in w (its kind and deadline as written),
 * and its length: kind, deadline, then a work reference (two varints) or a contact's seq. */
static size_t find_timer(const cc_snap_w *w, int kind, int64_t at, size_t *len)
{
  cc_snap_w k;
  cc_sw_init(&k, plain());
  cc_sw_i64(&k, kind);
  cc_sw_i64(&k, at);
  size_t pos = SIZE_MAX;
  for (size_t i = 0; i + k.len <= w->len && pos == SIZE_MAX; i++)
    if (memcmp(w->p + i, k.p, k.len) == 0)
      pos = i;
  if (pos != SIZE_MAX) {
    cc_snap_r r;
    cc_sr_init(&r, w->p + pos + k.len, w->len - pos - k.len);
    cc_sr_u64(&r);
    if (kind == T_RING)
      cc_sr_u64(&r);
    ck_assert_int_eq(r.err, 0);
    *len = k.len + r.off;
  }
  cc_sw_free(&k);
  return pos;
}

/* Timers are written in firing order; a snapshot with two of them swapped is damaged
 * (arming them in its order would break ties among equal deadlines otherwise). */
START_TEST(test_timers_in_order)
{
  ccenter_options *o = ccenter_options_new();
  ccenter_options_set_statistics(o, 0);
  ccenter_engine *e;
  ck_assert_int_eq(ccenter_engine_new(o, T0, &e), 0);
  ck_assert_int_eq(ccenter_queue_add(e, "q", NULL, T0), 0);
  ck_assert_int_eq(ccenter_queue_set(e, "q", CCENTER_QUEUE_RING_TIMEOUT, 4000, T0), 0);
  ck_assert_int_eq(ccenter_queue_set(e, "q", CCENTER_QUEUE_MAX_WAIT, 90000, T0), 0);
  ck_assert_int_eq(ccenter_agent_add(e, "a", NULL, T0), 0);
  ck_assert_int_eq(ccenter_agent_serve(e, "a", "q", NULL, T0), 0);
  ck_assert_int_eq(ccenter_agent_login(e, "a", T0), 0);
  ck_assert_int_eq(ccenter_agent_ready(e, "a", T0), 0);
  ck_assert_int_eq(ccenter_contact_enqueue(e, "c", "q", NULL, T0), 0); /* rings on a */
  cc_snap_w w;
  take(e, &w);
  ccenter_engine_free(e);
  ccenter_options_free(o);
  ck_assert_int_eq(load(w.p, w.len), 0);
  size_t lr = 0, lm = 0;
  size_t ring = find_timer(&w, T_RING, T0 + 4000, &lr);
  size_t mw = find_timer(&w, T_MAXWAIT, T0 + 90000, &lm);
  ck_assert(ring != SIZE_MAX && mw != SIZE_MAX && ring + lr <= mw);
  /* [ring][between][max-wait] becomes [max-wait][between][ring] */
  size_t span = mw + lm - ring;
  uint8_t *tmp = malloc(span);
  memcpy(tmp, w.p + mw, lm);
  memcpy(tmp + lm, w.p + ring + lr, mw - ring - lr);
  memcpy(tmp + lm + (mw - ring - lr), w.p + ring, lr);
  memcpy(w.p + ring, tmp, span);
  free(tmp);
  ck_assert_int_eq(load(w.p, w.len), CCENTER_ECORRUPT);
  cc_sw_free(&w);
}
END_TEST

START_TEST(test_flipped)
{
  cc_snap_w w;
  busy_blob(&w, 0);
  uint64_t rng = 12345;
  int ok = 0, bad = 0;
  for (int i = 0; i < 3000; i++) {
    size_t pos = (size_t)(rnd(&rng) % w.len);
    uint8_t old = w.p[pos];
    w.p[pos] ^= (uint8_t)(1u << (rnd(&rng) % 8));
    int rc = load(w.p, w.len);
    ck_assert_msg(rc == 0 || rc == CCENTER_ECORRUPT, "flip at %zu: %s", pos,
                  ccenter_err_name(rc));
    rc ? bad++ : ok++;
    w.p[pos] = old;
  }
  ck_assert_int_gt(bad, 0);
  cc_sw_free(&w);
}
END_TEST

static ccenter_engine *busy_e;
static int busy_rc = 1;

static void snap_in_callback(ccenter_engine *e, const ccenter_event *ev, void *ud)
{
  (void)ev;
  (void)ud;
  cc_snap_w w;
  cc_sw_init(&w, plain());
  busy_rc = cc_engine_snapshot(e, &w);
  cc_sw_free(&w);
  busy_e = e;
}

START_TEST(test_busy)
{
  ccenter_options *o = ccenter_options_new();
  ccenter_options_set_event_callback(o, snap_in_callback, NULL);
  ccenter_engine *e;
  ck_assert_int_eq(ccenter_engine_new(o, T0, &e), 0);
  ck_assert_int_eq(ccenter_queue_add(e, "q", NULL, T0), 0);
  ck_assert_int_eq(ccenter_agent_add(e, "a", NULL, T0), 0);
  ck_assert_int_eq(ccenter_agent_login(e, "a", T0), 0);
  ck_assert_ptr_eq(busy_e, e);
  ck_assert_int_eq(busy_rc, CCENTER_EBUSY);
  ccenter_engine_free(e);
  ccenter_options_free(o);
}
END_TEST

/* An observer with a name whose state a snapshot taken without it lacks. */
static void fake_on_event(void *ud, ccenter_engine *e, const cc_obs_event *ev)
{
  (void)ud;
  (void)e;
  (void)ev;
}

static int fake_load(void *ud, ccenter_engine *e, cc_snap_r *r)
{
  (void)ud;
  (void)e;
  (void)r;
  return 0;
}

static const cc_observer fake_vt = {.on_event = fake_on_event, .name = "fake", .load = fake_load};

static int attach_fake(void *ud, ccenter_engine *e)
{
  int slot;
  (void)ud;
  return cc_engine_add_observer(e, &fake_vt, NULL, 0, &slot);
}

START_TEST(test_condition)
{
  cc_snap_w w;
  busy_blob(&w, 0);
  cc_snap_r r;
  cc_sr_init(&r, w.p, w.len);
  ccenter_engine *e = NULL;
  ck_assert_int_eq(cc_engine_restore(NULL, &r, attach_fake, NULL, &e), CCENTER_ECONDITION);
  ck_assert_ptr_null(e);
  cc_sw_free(&w);
}
END_TEST

/* A named observer that keeps nothing still has its (empty) section and per-object
 * records written and read back in step: an engine with it attached saves, restores with
 * it attached, and saves the same bytes again. */
START_TEST(test_named_observer_round_trip)
{
  cc_snap_w w;
  busy_blob(&w, 0);
  cc_snap_r r;
  cc_sr_init(&r, w.p, w.len);
  ccenter_engine *e = NULL;
  /* the first restore lacks the section: no fake observer attached there */
  ck_assert_int_eq(cc_engine_restore(NULL, &r, NULL, NULL, &e), 0);
  ck_assert_int_eq(attach_fake(NULL, e), 0);
  cc_snap_w w2, w3;
  cc_sw_init(&w2, plain());
  ck_assert_int_eq(cc_engine_snapshot(e, &w2), 0);
  ck_assert_int_eq(w2.err, 0);
  ccenter_engine *f = NULL;
  cc_sr_init(&r, w2.p, w2.len);
  ck_assert_int_eq(cc_engine_restore(NULL, &r, attach_fake, NULL, &f), 0);
  cc_sw_init(&w3, plain());
  ck_assert_int_eq(cc_engine_snapshot(f, &w3), 0);
  ck_assert_uint_eq(w2.len, w3.len);
  ck_assert(memcmp(w2.p, w3.p, w2.len) == 0);
  ccenter_engine_free(e);
  ccenter_engine_free(f);
  cc_sw_free(&w);
  cc_sw_free(&w2);
  cc_sw_free(&w3);
}
END_TEST

typedef struct failing {
  long count, fail_at;
} failing;

static void *f_malloc(void *ud, size_t n)
{
  failing *f = ud;
  return ++f->count == f->fail_at ? NULL : malloc(n);
}

static void *f_realloc(void *ud, void *p, size_t n)
{
  failing *f = ud;
  return ++f->count == f->fail_at ? NULL : realloc(p, n);
}

static void f_free(void *ud, void *p)
{
  (void)ud;
  free(p);
}

START_TEST(test_nomem)
{
  for (int stats = 0; stats < 2; stats++) {
    cc_snap_w w;
    busy_blob(&w, stats);
    int done = 0;
    for (long n = 1; !done; n++) {
      failing f = {0, n};
      ccenter_options *o = ccenter_options_new();
      ccenter_options_set_statistics(o, stats);
      ccenter_options_set_allocator(o, f_malloc, f_realloc, f_free, &f);
      ccenter_engine *e = NULL;
      int rc = cc_engine_load_snapshot(o, w.p, w.len, &e);
      ck_assert_msg(rc == 0 || rc == CCENTER_ENOMEM, "fail at %ld: %s", n, ccenter_err_name(rc));
      if (rc == 0) {
        ck_assert_ptr_null(cc_engine_check(e));
        done = f.count < n; /* no allocation failed: every count was tried */
        ccenter_engine_free(e);
      }
      ccenter_options_free(o);
    }
    cc_sw_free(&w);
  }
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("snapshot");
  TCase *tc = tcase_create("snapshot");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_property);
  tcase_add_test(tc, test_truncated_and_trailing);
  tcase_add_test(tc, test_flipped);
  tcase_add_test(tc, test_one_encoding);
  tcase_add_test(tc, test_timers_in_order);
  tcase_add_test(tc, test_busy);
  tcase_add_test(tc, test_condition);
  tcase_add_test(tc, test_named_observer_round_trip);
  tcase_add_test(tc, test_nomem);
  suite_add_tcase(s, tc);
  return s;
}

CC_TEST_MAIN()
