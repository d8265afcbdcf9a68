/* Base API: error table, version, options. */
#include <stdlib.h>
#include <string.h>

#include "ccenter/ccenter.h"
#include "core/options.h"
#include "core/ktreap.h"
#include "core/map.h"
#include "core/treap.h"
#include "harness.h"

START_TEST(error_table_is_complete_and_distinct)
{
  ck_assert_str_eq(ccenter_strerror(0), "success");
  ck_assert_str_eq(ccenter_err_name(0), "CCENTER_OK");
  for (int code = -1; code > CCENTER_ERRNO_END_; code--) {
    ck_assert_str_ne(ccenter_strerror(code), "unknown error");
    ck_assert_str_ne(ccenter_err_name(code), "CCENTER_EUNKNOWN");
    ck_assert(strncmp(ccenter_err_name(code), "CCENTER_E", 9) == 0);
    for (int other = code - 1; other > CCENTER_ERRNO_END_; other--)
      ck_assert_str_ne(ccenter_err_name(code), ccenter_err_name(other));
  }
  ck_assert_str_eq(ccenter_strerror(CCENTER_ERRNO_END_), "unknown error");
  ck_assert_str_eq(ccenter_strerror(1), "unknown error");
  ck_assert_str_eq(ccenter_err_name(-1000), "CCENTER_EUNKNOWN");
  ck_assert_str_eq(ccenter_err_name(CCENTER_EFULL), "CCENTER_EFULL");
  ck_assert_str_eq(ccenter_strerror(CCENTER_EFULL), "a limit was reached");
}
END_TEST

START_TEST(version_matches_header)
{
  ck_assert_uint_eq(ccenter_version(), CCENTER_VERSION_HEX);
  ck_assert_str_eq(ccenter_version_string(), CCENTER_VERSION_STRING);
  ck_assert_uint_eq(CCENTER_VERSION_HEX >> 16, CCENTER_VERSION_MAJOR);
}
END_TEST

static int counted;
static void *count_malloc(void *ud, size_t n)
{
  (void)ud;
  counted++;
  return malloc(n);
}
static void *count_realloc(void *ud, void *p, size_t n)
{
  (void)ud;
  return realloc(p, n);
}
static void count_free(void *ud, void *p)
{
  (void)ud;
  free(p);
}

START_TEST(options_validate_and_change_nothing_on_error)
{
  ccenter_options *o = ccenter_options_new();
  ck_assert_ptr_nonnull(o);
  ck_assert_int_eq(ccenter_options_set_allocator(NULL, NULL, NULL, NULL, NULL), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_options_set_allocator(o, count_malloc, NULL, count_free, NULL),
                   CCENTER_EINVAL);
  ck_assert_ptr_eq(o->alloc.malloc_fn == count_malloc ? o : NULL, NULL);
  ck_assert_int_eq(ccenter_options_set_allocator(o, count_malloc, count_realloc, count_free, &counted), 0);
  void *p = cc_malloc(&o->alloc, 16);
  ck_assert_int_eq(counted, 1);
  cc_free(&o->alloc, p);
  ck_assert_int_eq(ccenter_options_set_log(o, NULL, (ccenter_log_level)7, NULL), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_options_set_log(o, NULL, CCENTER_LOG_DEBUG, NULL), 0);
  ck_assert_int_eq(ccenter_options_set_event_callback(NULL, NULL, NULL), CCENTER_EINVAL);
  ccenter_options_free(o);
  ccenter_options_free(NULL);
}
END_TEST

static char last_line[600];
static void capture_log(void *ud, ccenter_log_level level, const char *msg)
{
  (void)ud;
  (void)level;
  strncpy(last_line, msg, sizeof last_line - 1);
}

START_TEST(log_filters_by_level)
{
  cc_log log = {capture_log, CCENTER_LOG_WARN, NULL};
  last_line[0] = 0;
  cc_logf(&log, CCENTER_LOG_DEBUG, "hidden %d", 1);
  ck_assert_str_eq(last_line, "");
  cc_logf(&log, CCENTER_LOG_ERROR, "shown %d", 2);
  ck_assert_str_eq(last_line, "shown 2");
}
END_TEST

START_TEST(grow_doubles_and_keeps_contents)
{
  cc_alloc a;
  cc_alloc_default(&a);
  int *arr = NULL;
  size_t cap = 0;
  for (int i = 0; i < 1000; i++) {
    ck_assert_int_eq(cc_grow(&a, (void **)&arr, &cap, (size_t)i + 1, sizeof *arr), 0);
    arr[i] = i;
  }
  ck_assert_uint_ge(cap, 1000);
  for (int i = 0; i < 1000; i++)
    ck_assert_int_eq(arr[i], i);
  cc_free(&a, arr);
}
END_TEST

/* The one-pass check and hash of a call's ids: the same hash as cc_hash_str up to the
 * limit, the length capped one past it, and no byte read beyond that. */
START_TEST(hash_strn_agrees_with_hash_str_and_stops_past_max)
{
  char buf[80];
  for (size_t len = 0; len < sizeof buf - 1; len++) {
    memset(buf, 0, sizeof buf);
    for (size_t i = 0; i < len; i++)
      buf[i] = (char)('a' + (i * 7 + len) % 26);
    for (size_t max = 0; max < 70; max += 3) {
      size_t n = 12345;
      uint64_t h = cc_hash_strn(buf, max, &n);
      ck_assert_uint_eq(n, len <= max ? len : max + 1);
      if (len <= max)
        ck_assert_uint_eq(h, cc_hash_str(buf));
    }
  }
  /* Not NUL-terminated past the limit: only max + 1 bytes are read (ASan checks). */
  char *p = malloc(9);
  ck_assert_ptr_nonnull(p);
  memset(p, 'x', 9);
  size_t n = 0;
  cc_hash_strn(p, 8, &n);
  ck_assert_uint_eq(n, 9);
  free(p);
  ck_assert_uint_ne(cc_hash_str("c1"), cc_hash_str("c2"));
}
END_TEST

/* The treaps against a sorted array, over random inserts and removes: order, size, rank
 * or select, the cached first and last nodes, the walk by successor links and (core/treap.h)
 * the tree's shape after every operation. core/treap.h without and with CC_TREAP_SIZES and
 * core/ktreap.h go through the same calls (tt_*). */
typedef struct tv {
  cc_tnode_sn node; /* a cc_tnode for every treap, with the link SIZES needs */
  cc_knode knode;
  int key;
  int in;
} tv;

static int tv_cmp(const cc_tnode *a, const cc_tnode *b)
{
  const tv *x = (const tv *)a, *y = (const tv *)b;
  return (x->key > y->key) - (x->key < y->key);
}

static tv *of_knode(const cc_knode *n)
{
  return n ? (tv *)((char *)(uintptr_t)n - offsetof(tv, knode)) : NULL;
}

static int tv_kcmp(const cc_knode *a, const cc_knode *b)
{
  const tv *x = of_knode(a), *y = of_knode(b);
  return (x->key > y->key) - (x->key < y->key);
}

typedef struct tt {
  int keyed; /* core/ktreap.h */
  cc_treap t;
  cc_ktreap k;
} tt;

static void tt_flip(tt *t, tv *x)
{
  if (t->keyed)
    (x->in ? cc_ktreap_remove : cc_ktreap_insert)(&t->k, &x->knode);
  else
    (x->in ? cc_treap_remove : cc_treap_insert)(&t->t, &x->node.n);
  x->in = !x->in;
}

static tv *tt_first(const tt *t)
{
  return t->keyed ? of_knode(cc_ktreap_first(&t->k)) : (tv *)cc_treap_first(&t->t);
}

static tv *tt_next(const tt *t, const tv *x)
{
  return t->keyed ? of_knode(cc_ktreap_next(&t->k, &x->knode))
                  : (tv *)cc_treap_next(&t->t, &x->node.n);
}

static tv *tt_last(const tt *t)
{
  return t->keyed ? of_knode(cc_ktreap_last(&t->k)) : (tv *)cc_treap_last(&t->t);
}

/* core/treap.h's shape: parent links, the heap order of priorities, keys in order below
 * each node; the number of nodes. */
static size_t treap_shape_ok(const cc_tnode *n, const cc_tnode *parent, int lo, int hi)
{
  if (!n)
    return 0;
  const tv *x = (const tv *)n;
  ck_assert_ptr_eq(n->parent, parent);
  if (parent)
    ck_assert_uint_ge(cc_treap_prio(parent), cc_treap_prio(n));
  ck_assert_int_gt(x->key, lo);
  ck_assert_int_lt(x->key, hi);
  return 1 + treap_shape_ok(n->left, n, lo, x->key) + treap_shape_ok(n->right, n, x->key, hi);
}

/* _i: 0 core/treap.h, 1 with CC_TREAP_SIZES (rank checked too), 2 core/ktreap.h (select
 * checked too), 3 core/ktreap.h with runs on (now and then off and on again). */
START_TEST(treap_matches_a_sorted_model)
{
  enum { N = 300 };
  static tv v[N];
  int of_key[N];
  static tt t;
  t.keyed = _i >= 2;
  unsigned what = _i == 1 ? CC_TREAP_SIZES : 0;
  int sized = t.keyed || (what & CC_TREAP_SIZES) != 0;
  cc_treap_init(&t.t, tv_cmp, what);
  cc_ktreap_init(&t.k, tv_kcmp);
  cc_ktreap_set_runs(&t.k, _i == 3);
  uint64_t rng = 12345;
  for (int i = 0; i < N; i++) {
    v[i].key = i * 7 % N; /* distinct keys in a scrambled order */
    v[i].in = 0;
    of_key[v[i].key] = i;
  }
  for (int op = 0; op < 4000; op++) {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    tv *x = &v[(rng >> 33) % N];
    /* One operation in four takes the first element out, as routing does to a waiting
     * line (with SIZES no other node's count changes then). */
    if (op % 4 == 3 && tt_first(&t))
      x = tt_first(&t);
    /* And one in eight the last (ktreap: its removal compares no key). */
    if (op % 8 == 1 && tt_last(&t))
      x = tt_last(&t);
    /* And one in eight a key just after the last, which goes in after every node (along
     * the right spine, or under the last node without SIZES). */
    if (op % 8 == 5 && tt_last(&t) && tt_last(&t)->key + 1 < N)
      x = &v[of_key[tt_last(&t)->key + 1]];
    /* And one in eight a key up to 12 before the last: with runs, a place near the run's
     * end, or past the walk's reach, which moves the run into the tree. */
    if (op % 8 == 7 && tt_last(&t)) {
      int k = tt_last(&t)->key - 1 - (int)(rng >> 60) % 12;
      if (k >= 0)
        x = &v[of_key[k]];
    }
    if (_i == 3 && op % 97 == 50)
      cc_ktreap_set_runs(&t.k, 0);
    if (_i == 3 && op % 97 == 60)
      cc_ktreap_set_runs(&t.k, 1);
    tt_flip(&t, x);
    /* The model: the elements in, in key order. */
    size_t n = 0;
    int min = -1, max = -1;
    for (int k = 0; k < N; k++) {
      tv *y = &v[of_key[k]];
      if (!y->in)
        continue;
      if (min < 0)
        min = k;
      max = k;
      if (t.keyed)
        ck_assert_ptr_eq(of_knode(cc_ktreap_select(&t.k, n)), y);
      else if (sized)
        ck_assert_uint_eq(cc_treap_rank(&t.t, &y->node.n), n + 1);
      n++;
    }
    ck_assert_uint_eq(t.keyed ? cc_ktreap_size(&t.k) : cc_treap_size(&t.t), n);
    if (t.keyed)
      ck_assert_ptr_null(cc_ktreap_select(&t.k, n));
    if (min < 0)
      ck_assert_ptr_null(tt_first(&t));
    else
      ck_assert_int_eq(tt_first(&t)->key, min);
    if (max < 0)
      ck_assert_ptr_null(tt_last(&t));
    else
      ck_assert_int_eq(tt_last(&t)->key, max);
    if (!t.keyed)
      ck_assert_uint_eq(treap_shape_ok(t.t.root, NULL, -1, N), n);
    /* Walk from first: every element once, ascending. */
    size_t seen = 0;
    int last = -1;
    for (tv *p = tt_first(&t); p; p = tt_next(&t, p), seen++) {
      ck_assert_int_gt(p->key, last);
      last = p->key;
    }
    ck_assert_uint_eq(seen, n);
  }
}
END_TEST

/* core/ktreap.h with runs, keyed as routing keys agents: a node goes back in mostly with
 * a fresh key (the latest time, some in the same millisecond as others, where the tie
 * falls to the node's number), now and then with the key it had (an agent whose idle time
 * did not change). Against a sorted model, as above; and the run must have been used in
 * all its ways: appended to, entered near its end, moved into the tree. */
START_TEST(ktreap_runs_match_a_sorted_model)
{
  enum { N = 200, IDS = 1000 };
  static tv v[N];
  static tt t;
  t.keyed = 1;
  cc_ktreap_init(&t.k, tv_kcmp);
  cc_ktreap_set_runs(&t.k, 1);
  uint64_t rng = 777;
  int clock = 1, appended = 0, inside = 0, moved = 0;
  for (int i = 0; i < N; i++)
    v[i].in = 0, v[i].key = i;
  for (int op = 0; op < 6000; op++) {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    unsigned r = (unsigned)(rng >> 33);
    int i = (int)(r % N);
    tv *x = &v[i];
    if (op % 5 == 4 && tt_first(&t)) /* the longest idle takes a contact */
      x = tt_first(&t);
    if (!x->in) {
      if (r / N % 10 < 8) { /* fresh: now, or in the same millisecond as the last one */
        clock += (int)(r / N / 10 % 2);
        x->key = clock * IDS + (int)(x - v);
      }
    }
    size_t before = t.k.n_run;
    tt_flip(&t, x);
    if (x->in && x->knode.size == 0) {
      appended += t.k.run_tail == &x->knode;
      inside += t.k.run_tail != &x->knode;
    }
    moved += x->in && before && !t.k.n_run;
    if (op % 1500 == 750)
      cc_ktreap_set_runs(&t.k, 0);
    if (op % 1500 == 760)
      cc_ktreap_set_runs(&t.k, 1);
    /* The model: the nodes in, in key order. */
    tv *sorted[N];
    size_t n = 0;
    for (int k = 0; k < N; k++)
      if (v[k].in)
        sorted[n++] = &v[k];
    for (size_t a = 1; a < n; a++)
      for (size_t b = a; b > 0 && sorted[b - 1]->key > sorted[b]->key; b--) {
        tv *tmp = sorted[b];
        sorted[b] = sorted[b - 1];
        sorted[b - 1] = tmp;
      }
    ck_assert_uint_eq(cc_ktreap_size(&t.k), n);
    ck_assert_ptr_eq(tt_first(&t), n ? sorted[0] : NULL);
    ck_assert_ptr_eq(tt_last(&t), n ? sorted[n - 1] : NULL);
    size_t seen = 0;
    for (tv *p = tt_first(&t); p; p = tt_next(&t, p), seen++) {
      ck_assert_uint_lt(seen, n);
      ck_assert_ptr_eq(p, sorted[seen]);
      ck_assert_ptr_eq(of_knode(cc_ktreap_select(&t.k, seen)), p);
    }
    ck_assert_uint_eq(seen, n);
  }
  ck_assert_int_gt(appended, 100);
  ck_assert_int_gt(inside, 10);
  ck_assert_int_gt(moved, 10);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("core");
  TCase *tc = tcase_create("base");
  /* Per test. Slowest under clang's ASan+UBSan: the treap model loop with CC_TREAP_SIZES,
   * 13 s alone on the machine of docs/performance.md (the runs' model 7.4 s), about 30 s
   * beside another suite on the same core; 4x room over that. */
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, error_table_is_complete_and_distinct);
  tcase_add_test(tc, version_matches_header);
  tcase_add_test(tc, options_validate_and_change_nothing_on_error);
  tcase_add_test(tc, log_filters_by_level);
  tcase_add_test(tc, grow_doubles_and_keeps_contents);
  tcase_add_test(tc, hash_strn_agrees_with_hash_str_and_stops_past_max);
  tcase_add_loop_test(tc, treap_matches_a_sorted_model, 0, 4);
  tcase_add_test(tc, ktreap_runs_match_a_sorted_model);
  suite_add_tcase(s, tc);
  return s;
}

CC_TEST_MAIN()
