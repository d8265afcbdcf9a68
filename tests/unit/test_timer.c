/* Timer structure: ordering, cancel, next(), extreme deadlines, a property test against a
   sorted-array model, and allocation failure. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ccenter/common.h"
#include "core/options.h"
#include "harness.h"
#include "time/timer.h"

static cc_alloc std_alloc(void)
{
  cc_alloc a;
  cc_alloc_default(&a);
  return a;
}

static cc_timer_id arm(cc_timers *t, int64_t deadline, uint32_t kind, uint64_t payload)
{
  cc_timer_id id = 0;
  ck_assert_int_eq(cc_timers_arm(t, deadline, kind, payload, &id), 0);
  ck_assert_uint_ne(id, 0);
  return id;
}

START_TEST(orders_by_deadline_then_arming_order)
{
  cc_alloc a = std_alloc();
  cc_timers t;
  ck_assert_int_eq(cc_timers_init(&t, &a, 1000), 0);
  /* Deadlines on several levels and ties that land in the same slot by different routes
     (directly and by cascading from a higher level). */
  const int64_t dl[] = {5000, 1001, 70000, 5000, 1064, 1001, 70000, 1000, 5000, 4100};
  const size_t n = sizeof dl / sizeof dl[0];
  cc_timer_id ids[sizeof dl / sizeof dl[0]];
  for (size_t i = 0; i < n; i++)
    ids[i] = arm(&t, dl[i], (uint32_t)i, 100 + i);
  ck_assert_uint_eq(cc_timers_count(&t), n);
  const size_t want[] = {7, 1, 5, 4, 9, 0, 3, 8, 2, 6};
  cc_timer_fired f;
  ck_assert_int_eq(cc_timers_pop(&t, 999, &f), 0);
  for (size_t k = 0; k < n; k++) {
    ck_assert_int_eq(cc_timers_pop(&t, 100000, &f), 1);
    ck_assert_uint_eq(f.kind, want[k]);
    ck_assert_uint_eq(f.payload, 100 + want[k]);
    ck_assert_uint_eq(f.id, ids[want[k]]);
    ck_assert_int_eq(f.deadline, dl[want[k]]);
  }
  ck_assert_int_eq(cc_timers_pop(&t, 100000, &f), 0);
  ck_assert_uint_eq(cc_timers_count(&t), 0);
  ck_assert_int_eq(cc_timers_next(&t), INT64_MAX);
  cc_timers_destroy(&t);
}
END_TEST

START_TEST(ties_keep_arming_order_across_cascades)
{
  cc_alloc a = std_alloc();
  cc_timers t;
  ck_assert_int_eq(cc_timers_init(&t, &a, 0), 0);
  /* Arm the same far deadline at many different times: each group lands at a different
     level and reaches level 0 through a different chain of cascades. */
  const int64_t d = 1234567;
  uint32_t kind = 0;
  int64_t now = 0;
  cc_timer_fired f;
  for (int round = 0; round < 40; round++) {
    for (int j = 0; j < 3; j++)
      arm(&t, d, kind++, 0);
    now += (d - now) / 3 + 1;
    if (now >= d)
      now = d - 1;
    ck_assert_int_eq(cc_timers_pop(&t, now, &f), 0);
    ck_assert_int_eq(cc_timers_next(&t), d);
  }
  for (uint32_t k = 0; k < kind; k++) {
    ck_assert_int_eq(cc_timers_pop(&t, d, &f), 1);
    ck_assert_uint_eq(f.kind, k);
  }
  ck_assert_int_eq(cc_timers_pop(&t, d, &f), 0);
  cc_timers_destroy(&t);
}
END_TEST

START_TEST(cancel_live_fired_and_stale_ids)
{
  cc_alloc a = std_alloc();
  cc_timers t;
  ck_assert_int_eq(cc_timers_init(&t, &a, 0), 0);
  cc_timer_id x = arm(&t, 10, 1, 0);
  cc_timer_id y = arm(&t, 20, 2, 0);
  ck_assert_int_eq(cc_timers_cancel(&t, x), 0);
  ck_assert_int_eq(cc_timers_cancel(&t, x), CCENTER_ENOENT);
  ck_assert_uint_eq(cc_timers_count(&t), 1);
  /* The freed slot is reused: the old id must not reach the new timer. */
  cc_timer_id z = arm(&t, 30, 3, 0);
  ck_assert_uint_eq((uint32_t)z, (uint32_t)x);
  ck_assert_uint_ne(z, x);
  ck_assert_int_eq(cc_timers_cancel(&t, x), CCENTER_ENOENT);
  ck_assert_uint_eq(cc_timers_count(&t), 2);
  cc_timer_fired f;
  ck_assert_int_eq(cc_timers_pop(&t, 25, &f), 1);
  ck_assert_uint_eq(f.id, y);
  ck_assert_int_eq(cc_timers_cancel(&t, y), CCENTER_ENOENT);
  /* Never issued: id 0, an index beyond the pool, an even generation, a free slot's own
     (even) generation, the generation a free slot will use next. */
  ck_assert_int_eq(cc_timers_cancel(&t, 0), CCENTER_ENOENT);
  ck_assert_int_eq(cc_timers_cancel(&t, (UINT64_C(1) << 32) | 5000), CCENTER_ENOENT);
  ck_assert_int_eq(cc_timers_cancel(&t, z + (UINT64_C(1) << 32)), CCENTER_ENOENT);
  ck_assert_int_eq(cc_timers_cancel(&t, y + (UINT64_C(1) << 32)), CCENTER_ENOENT);
  ck_assert_int_eq(cc_timers_cancel(&t, y + (UINT64_C(2) << 32)), CCENTER_ENOENT);
  ck_assert_int_eq(cc_timers_cancel(&t, UINT64_MAX), CCENTER_ENOENT);
  ck_assert_uint_eq(cc_timers_count(&t), 1);
  ck_assert_int_eq(cc_timers_cancel(&t, z), 0);
  ck_assert_uint_eq(cc_timers_count(&t), 0);
  ck_assert_int_eq(cc_timers_pop(&t, 1000, &f), 0);
  cc_timers_destroy(&t);
}
END_TEST

START_TEST(next_is_exact)
{
  cc_alloc a = std_alloc();
  cc_timers t;
  ck_assert_int_eq(cc_timers_init(&t, &a, 0), 0);
  ck_assert_int_eq(cc_timers_next(&t), INT64_MAX);
  cc_timer_id p = arm(&t, 1000003, 0, 0);
  cc_timer_id q = arm(&t, 1000001, 0, 0);
  arm(&t, 77777777, 0, 0);
  ck_assert_int_eq(cc_timers_next(&t), 1000001);
  ck_assert_int_eq(cc_timers_cancel(&t, q), 0);
  ck_assert_int_eq(cc_timers_next(&t), 1000003);
  cc_timer_fired f;
  ck_assert_int_eq(cc_timers_pop(&t, 1000002, &f), 0);
  ck_assert_int_eq(cc_timers_next(&t), 1000003);
  ck_assert_int_eq(cc_timers_cancel(&t, p), 0);
  ck_assert_int_eq(cc_timers_next(&t), 77777777);
  arm(&t, 1000002, 0, 0);
  ck_assert_int_eq(cc_timers_next(&t), 1000002);
  ck_assert_int_eq(cc_timers_pop(&t, 1000002, &f), 1);
  ck_assert_int_eq(cc_timers_next(&t), 77777777);
  cc_timers_destroy(&t);
}
END_TEST

START_TEST(past_and_far_future_deadlines)
{
  cc_alloc a = std_alloc();
  cc_timers t;
  const int64_t now = 1000;
  const int64_t year = INT64_C(365) * 24 * 3600 * 1000;
  ck_assert_int_eq(cc_timers_init(&t, &a, now), 0);
  arm(&t, INT64_MAX, 0, 0);
  arm(&t, now + 10 * year, 1, 0);
  arm(&t, -5, 2, 0);
  arm(&t, INT64_MIN, 3, 0);
  arm(&t, now, 4, 0);
  arm(&t, 999, 5, 0);
  arm(&t, -5, 6, 0);
  ck_assert_int_eq(cc_timers_next(&t), INT64_MIN);
  const uint32_t due[] = {3, 2, 6, 5, 4};
  cc_timer_fired f;
  for (size_t k = 0; k < 5; k++) {
    ck_assert_int_eq(cc_timers_pop(&t, now, &f), 1);
    ck_assert_uint_eq(f.kind, due[k]);
  }
  ck_assert_int_eq(cc_timers_pop(&t, now, &f), 0);
  ck_assert_int_eq(cc_timers_next(&t), now + 10 * year);
  ck_assert_int_eq(cc_timers_pop(&t, now + 10 * year - 1, &f), 0);
  /* The wheel has moved on, so this is now "in the past" for it. */
  arm(&t, now + 5, 7, 0);
  ck_assert_int_eq(cc_timers_next(&t), now + 5);
  ck_assert_int_eq(cc_timers_pop(&t, now + 10 * year, &f), 1);
  ck_assert_uint_eq(f.kind, 7);
  ck_assert_int_eq(cc_timers_pop(&t, now + 10 * year, &f), 1);
  ck_assert_uint_eq(f.kind, 1);
  ck_assert_int_eq(cc_timers_pop(&t, INT64_MAX - 1, &f), 0);
  ck_assert_int_eq(cc_timers_pop(&t, INT64_MAX, &f), 1);
  ck_assert_uint_eq(f.kind, 0);
  ck_assert_int_eq(f.deadline, INT64_MAX);
  ck_assert_uint_eq(cc_timers_count(&t), 0);
  cc_timers_destroy(&t);
}
END_TEST

START_TEST(arming_while_draining)
{
  cc_alloc a = std_alloc();
  cc_timers t;
  ck_assert_int_eq(cc_timers_init(&t, &a, 0), 0);
  for (uint32_t k = 0; k < 5; k++)
    arm(&t, 100, k, 0);
  arm(&t, 101, 99, 0);
  cc_timer_fired f;
  ck_assert_int_eq(cc_timers_pop(&t, 100, &f), 1);
  ck_assert_uint_eq(f.kind, 0);
  /* Due at the same time: after the batch already due. Earlier: before it. */
  arm(&t, 100, 10, 0);
  arm(&t, 50, 11, 0);
  cc_timer_id c = arm(&t, 100, 12, 0);
  ck_assert_int_eq(cc_timers_next(&t), 50);
  const uint32_t want[] = {11, 1, 2, 3, 4, 10};
  for (size_t k = 0; k < 6; k++) {
    ck_assert_int_eq(cc_timers_pop(&t, 100, &f), 1);
    ck_assert_uint_eq(f.kind, want[k]);
    if (k == 2)
      ck_assert_int_eq(cc_timers_cancel(&t, c), 0);
  }
  ck_assert_int_eq(cc_timers_pop(&t, 100, &f), 0);
  ck_assert_int_eq(cc_timers_next(&t), 101);
  cc_timers_destroy(&t);
}
END_TEST

/* ---- property test against a sorted array ---- */

static uint64_t xorshift(uint64_t *s)
{
  uint64_t x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return *s = x;
}

typedef struct model_timer {
  int64_t deadline;
  uint64_t seq;
  cc_timer_id id;
  uint32_t kind;
  uint64_t payload;
} model_timer;

typedef struct model {
  model_timer *v;
  size_t n, cap;
  uint64_t seq;
} model;

static int model_before(const model_timer *a, const model_timer *b)
{
  return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

static void model_insert(model *m, model_timer x)
{
  if (m->n == m->cap) {
    m->cap = m->cap ? 2 * m->cap : 256;
    m->v = realloc(m->v, m->cap * sizeof *m->v);
    ck_assert_ptr_nonnull(m->v);
  }
  x.seq = m->seq++;
  size_t lo = 0, hi = m->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (model_before(&m->v[mid], &x))
      lo = mid + 1;
    else
      hi = mid;
  }
  memmove(&m->v[lo + 1], &m->v[lo], (m->n - lo) * sizeof *m->v);
  m->v[lo] = x;
  m->n++;
}

static void model_remove(model *m, size_t i)
{
  memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof *m->v);
  m->n--;
}

static int64_t random_offset(uint64_t *rng)
{
  uint64_t r = xorshift(rng);
  switch (r % 10) {
  case 0: return 0;
  case 1: return (int64_t)(r >> 8) % 64;
  case 2: return (int64_t)(r >> 8) % 4096;
  case 3: return (int64_t)(r >> 8) % 300000;
  case 4: return (int64_t)(r >> 8) % (INT64_C(1) << 26);
  case 5: return (int64_t)(r >> 8) % (INT64_C(1) << 40);
  case 6: return -(int64_t)((r >> 8) % 100);
  case 7: return -(int64_t)((r >> 8) % 100000);
  case 8: return (int64_t)(r >> 8) % 16;
  default: return (int64_t)(r >> 8) % 200;
  }
}

static int64_t add_sat(int64_t a, int64_t b)
{
  if (b > 0 && a > INT64_MAX - b)
    return INT64_MAX;
  if (b < 0 && a < INT64_MIN - b)
    return INT64_MIN;
  return a + b;
}

START_TEST(matches_sorted_array_model)
{
  cc_alloc a = std_alloc();
  cc_timers t;
  int64_t now = -5000; /* start below zero: keys cross the sign boundary */
  ck_assert_int_eq(cc_timers_init(&t, &a, now), 0);
  model m = {0};
  uint64_t rng = 0x9e3779b97f4a7c15u;
  cc_timer_id dead[64] = {0};
  size_t ndead = 0;
  const long ops = 400000;
  long pops = 0, arms = 0, cancels = 0;
  for (long op = 0; op < ops; op++) {
    uint64_t r = xorshift(&rng) % 100;
    /* Drift between growth and decay so the population swings between empty and a few
       thousand. */
    int grow = (op / 20000) % 2 == 0;
    if (r < (grow ? 45u : 30u)) {
      int64_t d;
      uint64_t e = xorshift(&rng) % 1000;
      if (e == 0)
        d = INT64_MAX;
      else if (e == 1)
        d = INT64_MIN;
      else
        d = add_sat(now, random_offset(&rng));
      model_timer x = {d, 0, 0, (uint32_t)xorshift(&rng), xorshift(&rng)};
      ck_assert_int_eq(cc_timers_arm(&t, d, x.kind, x.payload, &x.id), 0);
      model_insert(&m, x);
      arms++;
    } else if (r < 55) {
      if (m.n) {
        size_t i = xorshift(&rng) % m.n;
        ck_assert_int_eq(cc_timers_cancel(&t, m.v[i].id), 0);
        dead[ndead++ % 64] = m.v[i].id;
        model_remove(&m, i);
        cancels++;
      }
    } else if (r < 60) {
      cc_timer_id id = dead[xorshift(&rng) % 64];
      ck_assert_int_eq(cc_timers_cancel(&t, id), CCENTER_ENOENT);
    } else if (r < 85) {
      int k = (int)(xorshift(&rng) % 4);
      for (int j = 0; j < k || j == 0; j++) {
        cc_timer_fired f;
        int got = cc_timers_pop(&t, now, &f);
        int want = m.n && m.v[0].deadline <= now;
        ck_assert_int_eq(got, want);
        if (!got)
          break;
        ck_assert_uint_eq(f.id, m.v[0].id);
        ck_assert_int_eq(f.deadline, m.v[0].deadline);
        ck_assert_uint_eq(f.kind, m.v[0].kind);
        ck_assert_uint_eq(f.payload, m.v[0].payload);
        dead[ndead++ % 64] = f.id;
        model_remove(&m, 0);
        pops++;
      }
    } else {
      int64_t jump;
      uint64_t e = xorshift(&rng) % 100;
      if (e < 30)
        jump = (int64_t)(xorshift(&rng) % 3);
      else if (e < 60)
        jump = (int64_t)(xorshift(&rng) % 100);
      else if (e < 85)
        jump = (int64_t)(xorshift(&rng) % 10000);
      else if (e < 97)
        jump = (int64_t)(xorshift(&rng) % 5000000);
      else if (e < 99)
        jump = (int64_t)(xorshift(&rng) % (INT64_C(1) << 36));
      else
        jump = m.n ? (m.v[0].deadline > now ? m.v[0].deadline - now : 0) : 0;
      if (op == ops - 100)
        jump = INT64_MAX; /* the very end of time, to drain even INT64_MAX */
      now = add_sat(now, jump);
    }
    ck_assert_uint_eq(cc_timers_count(&t), m.n);
    ck_assert_int_eq(cc_timers_next(&t), m.n ? m.v[0].deadline : INT64_MAX);
  }
  ck_assert_int_gt(pops, 50000);
  ck_assert_int_gt(cancels, 30000);
  ck_assert_int_gt(arms, 100000);
  free(m.v);
  cc_timers_destroy(&t);
}
END_TEST

/* A far bucket full of equal deadlines: cc_timers_next remembers that bucket's earliest
 * deadline and how many timers share it, so that it need not walk the bucket after every
 * cancel. Cancels of the earliest ones, in random order, arms of earlier, equal and later
 * deadlines into the same bucket, and pops as time reaches them keep next() equal to a
 * brute-force minimum. */
START_TEST(next_stays_exact_as_far_minima_go)
{
  cc_alloc a = std_alloc();
  cc_timers t;
  ck_assert_int_eq(cc_timers_init(&t, &a, 0), 0);
  enum { N = 3000 };
  static cc_timer_id ids[N];
  static int64_t dl[N];
  static int live[N];
  uint64_t rng = 0x2545f4914f6cdd1du;
  const int64_t base = INT64_C(172800000); /* 48 h: a bucket far above level 0 */
  for (int i = 0; i < N; i++) {
    dl[i] = base + (int64_t)(xorshift(&rng) % 4) * 1000; /* four distinct deadlines */
    ck_assert_int_eq(cc_timers_arm(&t, dl[i], 0, (uint64_t)i, &ids[i]), 0);
    live[i] = 1;
  }
  int64_t now = 0;
  for (int step = 0; step < 20000; step++) {
    int i = (int)(xorshift(&rng) % N);
    uint64_t r = xorshift(&rng) % 10;
    if (live[i] && r < 6) {
      ck_assert_int_eq(cc_timers_cancel(&t, ids[i]), 0);
      live[i] = 0;
    } else if (!live[i]) {
      /* Mostly the same four deadlines, sometimes one just before or after them. */
      int64_t d = base + (int64_t)(xorshift(&rng) % 4) * 1000;
      if (r == 7)
        d -= 1 + (int64_t)(xorshift(&rng) % 500);
      else if (r == 8)
        d += 1 + (int64_t)(xorshift(&rng) % 500);
      ck_assert_int_eq(cc_timers_arm(&t, d, 0, (uint64_t)i, &ids[i]), 0);
      dl[i] = d;
      live[i] = 1;
    }
    if (step % 1000 == 999) { /* time moves on, pops what is due */
      now += 9000000;
      cc_timer_fired f;
      while (cc_timers_pop(&t, now, &f)) {
        ck_assert(live[f.payload]);
        live[f.payload] = 0;
      }
    }
    int64_t min = INT64_MAX;
    for (int k = 0; k < N; k++)
      if (live[k] && dl[k] < min)
        min = dl[k];
    ck_assert_int_eq(cc_timers_next(&t), min);
  }
  cc_timers_destroy(&t);
}
END_TEST

/* ---- allocation failure ---- */

typedef struct budget {
  long left; /* allocations still allowed; negative: unlimited */
  long live;
} budget;

static void *b_malloc(void *ud, size_t n)
{
  budget *b = ud;
  if (b->left == 0)
    return NULL;
  if (b->left > 0)
    b->left--;
  void *p = malloc(n);
  if (p)
    b->live++;
  return p;
}

static void *b_realloc(void *ud, void *p, size_t n)
{
  budget *b = ud;
  if (b->left == 0)
    return NULL;
  if (b->left > 0)
    b->left--;
  void *q = realloc(p, n);
  if (q && !p)
    b->live++;
  return q;
}

static void b_free(void *ud, void *p)
{
  budget *b = ud;
  if (p)
    b->live--;
  free(p);
}

/* The listing is pop's order without disturbing the wheel, and a fresh wheel armed in that
   order pops every later mix of old and new timers as the original does. */
START_TEST(in_order_listing_rebuilds_the_same_wheel)
{
  cc_alloc a = std_alloc();
  uint64_t x = 0x5eed0000u + (uint64_t)_i;
  for (int round = 0; round < 20; round++) {
    cc_timers t, r;
    int64_t now = 1000;
    ck_assert_int_eq(cc_timers_init(&t, &a, now), 0);
    for (int k = 0; k < 300; k++) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      int64_t d = now + (int64_t)((x >> 33) % 5) * (int64_t)((x >> 20) % 200000);
      arm(&t, d - (int64_t)((x >> 50) % 3), (uint32_t)k, (uint64_t)k);
      if (k % 37 == 36) { /* drain part of it: the wheel's time moves, late timers appear */
        now += (int64_t)((x >> 40) % 90000);
        cc_timer_fired f;
        while (cc_timers_pop(&t, now, &f))
          ;
      }
    }
    cc_timer_fired *list;
    size_t n;
    ck_assert_int_eq(cc_timers_in_order(&t, &a, &list, &n), 0);
    ck_assert_uint_eq(n, cc_timers_count(&t));
    ck_assert_int_eq(cc_timers_init(&r, &a, now), 0);
    for (size_t i = 0; i < n; i++)
      arm(&r, list[i].deadline, list[i].kind, list[i].payload);
    for (int k = 0; k < 50; k++) { /* new timers on both, ties with the old ones included */
      int64_t d = list && n ? list[(size_t)k * 7 % n].deadline : now + k;
      arm(&t, d, 1000u + (uint32_t)k, 0);
      arm(&r, d, 1000u + (uint32_t)k, 0);
    }
    cc_timer_fired f, g;
    size_t old = 0;
    while (cc_timers_pop(&t, INT64_MAX, &f)) {
      ck_assert_int_eq(cc_timers_pop(&r, INT64_MAX, &g), 1);
      ck_assert_int_eq(f.deadline, g.deadline);
      ck_assert_uint_eq(f.kind, g.kind);
      if (f.kind < 1000u)
        ck_assert_uint_eq(f.id, list[old++].id);
    }
    ck_assert_uint_eq(old, n);
    ck_assert_int_eq(cc_timers_pop(&r, INT64_MAX, &g), 0);
    cc_free(&a, list);
    cc_timers_destroy(&t);
    cc_timers_destroy(&r);
  }
}
END_TEST

START_TEST(allocation_failure_changes_nothing)
{
  budget b = {0, 0};
  cc_alloc a = {b_malloc, b_realloc, b_free, &b};
  cc_timers t;
  for (long n = 0; n < 2; n++) {
    b.left = n;
    ck_assert_int_eq(cc_timers_init(&t, &a, 0), CCENTER_ENOMEM);
    ck_assert_int_eq(b.live, 0);
  }
  for (long allowed = 2; allowed < 12; allowed++) {
    b.left = allowed;
    ck_assert_int_eq(cc_timers_init(&t, &a, 0), 0);
    model m = {0};
    int failures = 0;
    /* Alternate wheel and late (heap) arms so both growth paths run out. */
    for (int i = 0; i < 5000; i++) {
      int64_t d = (i % 3 == 0) ? -(int64_t)i : (int64_t)(i * 7919 % 100000);
      if (i == 2500) {
        /* Popping never allocates; draining this far moves the wheel's time, so later
           small deadlines take the late path. */
        cc_timer_fired f;
        while (m.n && m.v[0].deadline <= 30000) {
          ck_assert_int_eq(cc_timers_pop(&t, 30000, &f), 1);
          ck_assert_uint_eq(f.id, m.v[0].id);
          model_remove(&m, 0);
        }
        ck_assert_int_eq(cc_timers_pop(&t, 30000, &f), 0);
      }
      size_t count = cc_timers_count(&t);
      int64_t next = cc_timers_next(&t);
      model_timer x = {d, 0, 0, (uint32_t)i, (uint64_t)i};
      cc_timer_id id = 12345;
      int rc = cc_timers_arm(&t, d, x.kind, x.payload, &id);
      if (rc) {
        ck_assert_int_eq(rc, CCENTER_ENOMEM);
        ck_assert_uint_eq(id, 12345);
        ck_assert_uint_eq(cc_timers_count(&t), count);
        ck_assert_int_eq(cc_timers_next(&t), next);
        failures++;
        b.left = 1; /* exactly one more allocation, then failing again */
        continue;
      }
      x.id = id;
      model_insert(&m, x);
    }
    ck_assert_int_gt(failures, 0);
    b.left = -1;
    cc_timer_fired f;
    for (size_t k = 0; k < m.n; k++) {
      ck_assert_int_eq(cc_timers_pop(&t, 200000, &f), 1);
      ck_assert_uint_eq(f.id, m.v[k].id);
      ck_assert_uint_eq(f.kind, m.v[k].kind);
    }
    ck_assert_int_eq(cc_timers_pop(&t, 200000, &f), 0);
    ck_assert_uint_gt(cc_timers_memory(&t), 0);
    cc_timers_destroy(&t);
    ck_assert_int_eq(b.live, 0);
    free(m.v);
  }
}
END_TEST

START_TEST(memory_stays_under_48_bytes_per_timer)
{
  cc_alloc a = std_alloc();
  cc_timers t;
  ck_assert_int_eq(cc_timers_init(&t, &a, 0), 0);
  uint64_t rng = 42;
  const size_t n = 200000;
  for (size_t i = 0; i < n; i++) {
    cc_timer_id id;
    ck_assert_int_eq(cc_timers_arm(&t, (int64_t)(xorshift(&rng) % 3600000), 0, i, &id), 0);
  }
  ck_assert_uint_le(cc_timers_memory(&t) / n, 48);
  cc_timers_destroy(&t);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("timer");
  TCase *tc = tcase_create("timer");
  /* Per test. Slowest under ASan+UBSan on a loaded 2-core machine:
   * matches_sorted_array_model, 16.6 s; about 18x room (it had no timeout). */
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, orders_by_deadline_then_arming_order);
  tcase_add_test(tc, ties_keep_arming_order_across_cascades);
  tcase_add_test(tc, cancel_live_fired_and_stale_ids);
  tcase_add_test(tc, next_is_exact);
  tcase_add_test(tc, past_and_far_future_deadlines);
  tcase_add_test(tc, arming_while_draining);
  tcase_add_test(tc, matches_sorted_array_model);
  tcase_add_test(tc, next_stays_exact_as_far_minima_go);
  tcase_add_loop_test(tc, in_order_listing_rebuilds_the_same_wheel, 0, 4);
  tcase_add_test(tc, allocation_failure_changes_nothing);
  tcase_add_test(tc, memory_stays_under_48_bytes_per_timer);
  suite_add_tcase(s, tc);
  return s;
}

CC_TEST_MAIN()
