#include "time/timer.h"

#include <string.h>

#include "ccenter/common.h"

#define END 0x80000000u  /* list end: the low bits name the bucket */
#define HEAP 0x40000000u /* in the late heap: the low bits are the heap position */
#define LOW 0x3fffffffu
#define NIL 0xffffffffu
#define MAX_NODES LOW    /* node indices and heap positions must fit under the flags */
#define DUE (CC_TIMER_BUCKETS - 1)
#define INITIAL_NODES 64

/* Flipping the sign bit maps int64 order onto uint64 order, so negative deadlines and
   INT64_MIN/INT64_MAX need no special case in the digit arithmetic. */
static inline uint64_t to_key(int64_t ms)
{
  return (uint64_t)ms ^ 0x8000000000000000u;
}

static inline int64_t from_key(uint64_t key)
{
  key ^= 0x8000000000000000u;
  int64_t ms;
  memcpy(&ms, &key, sizeof ms); /* no implementation-defined conversion */
  return ms;
}

static inline int ctz64(uint64_t x)
{
  return __builtin_ctzll(x);
}

static inline int clz64(uint64_t x)
{
  return __builtin_clzll(x);
}

/* The first key of slot s at level l, given the wheel's time. */
static uint64_t slot_key(const cc_timers *t, int l, int s)
{
  int shift = 6 * (l + 1);
  uint64_t high = shift >= 64 ? 0 : t->wheel_key & ~((UINT64_C(1) << shift) - 1);
  return high | ((uint64_t)s << (6 * l));
}

static void occ_set(cc_timers *t, uint32_t b)
{
  uint32_t l = b / CC_TIMER_SLOTS;
  t->occ[l] |= UINT64_C(1) << (b % CC_TIMER_SLOTS);
  t->levels |= 1u << l;
}

static void occ_clear(cc_timers *t, uint32_t b)
{
  uint32_t l = b / CC_TIMER_SLOTS;
  t->occ[l] &= ~(UINT64_C(1) << (b % CC_TIMER_SLOTS));
  if (!t->occ[l])
    t->levels &= ~(1u << l);
}

static void append(cc_timers *t, uint32_t b, uint32_t i)
{
  cc_timer_node *n = &t->nodes[i];
  cc_timer_bucket *bk = &t->buckets[b];
  n->next = END | b;
  if (bk->head == NIL) {
    n->prev = END | b;
    bk->head = i;
    if (b != DUE)
      occ_set(t, b);
  } else {
    n->prev = bk->tail;
    t->nodes[bk->tail].next = i;
  }
  bk->tail = i;
}

static void unlink_node(cc_timers *t, uint32_t i)
{
  cc_timer_node *n = &t->nodes[i];
  uint32_t p = n->prev, x = n->next;
  if (p & END) {
    uint32_t b = p & LOW;
    if (x & END) {
      t->buckets[b].head = NIL;
      if (b != DUE)
        occ_clear(t, b);
      return;
    }
    t->buckets[b].head = x;
  } else {
    t->nodes[p].next = x;
  }
  if (x & END)
    t->buckets[x & LOW].tail = p;
  else
    t->nodes[x].prev = p;
}

/* Requires deadline >= the wheel's time. */
static void place(cc_timers *t, uint32_t i)
{
  int64_t d = t->nodes[i].deadline;
  uint64_t key = to_key(d);
  uint64_t diff = key ^ t->wheel_key;
  int l = diff ? (63 - clz64(diff)) / 6 : 0;
  uint32_t s = (uint32_t)(key >> (6 * l)) & (CC_TIMER_SLOTS - 1);
  uint32_t b = (uint32_t)l * CC_TIMER_SLOTS + s;
  append(t, b, i);
  if (t->nb_valid && b == t->nb) {
    if (d < t->nb_min) {
      t->nb_min = d;
      t->nb_cnt = 1;
    } else if (d == t->nb_min) {
      t->nb_cnt++;
    }
  }
}

/* Moves the wheel's time to the start of slot s at level l and spreads that slot over
   the levels below. Only valid when l is the lowest non-empty level and s its first slot
   and the due batch is empty: the target lists are then empty, so walking the slot in
   order and appending keeps every list in arming order. */
static void cascade(cc_timers *t, int l, int s)
{
  uint32_t b = (uint32_t)l * CC_TIMER_SLOTS + (uint32_t)s;
  uint32_t i = t->buckets[b].head;
  t->buckets[b].head = NIL;
  occ_clear(t, b);
  if (b == t->nb)
    t->nb_valid = 0;
  t->wheel_key = slot_key(t, l, s);
  while (!(i & END)) {
    uint32_t nx = t->nodes[i].next;
    place(t, i);
    i = nx;
  }
}

static int late_less(const cc_timers *t, const cc_timer_late *a, const cc_timer_late *b)
{
  int64_t da = t->nodes[a->node].deadline, db = t->nodes[b->node].deadline;
  return da < db || (da == db && a->seq < b->seq);
}

static void late_put(cc_timers *t, size_t pos, cc_timer_late e)
{
  t->late[pos] = e;
  t->nodes[e.node].prev = HEAP | (uint32_t)pos;
}

static void late_up(cc_timers *t, size_t pos)
{
  cc_timer_late e = t->late[pos];
  while (pos > 0) {
    size_t parent = (pos - 1) / 2;
    if (!late_less(t, &e, &t->late[parent]))
      break;
    late_put(t, pos, t->late[parent]);
    pos = parent;
  }
  late_put(t, pos, e);
}

static void late_down(cc_timers *t, size_t pos)
{
  cc_timer_late e = t->late[pos];
  for (;;) {
    size_t c = 2 * pos + 1;
    if (c >= t->late_n)
      break;
    if (c + 1 < t->late_n && late_less(t, &t->late[c + 1], &t->late[c]))
      c++;
    if (!late_less(t, &t->late[c], &e))
      break;
    late_put(t, pos, t->late[c]);
    pos = c;
  }
  late_put(t, pos, e);
}

static void late_remove(cc_timers *t, size_t pos)
{
  size_t last = --t->late_n;
  if (pos == last)
    return;
  late_put(t, pos, t->late[last]);
  late_down(t, pos);
  late_up(t, pos);
}

static void detach(cc_timers *t, uint32_t i)
{
  uint32_t p = t->nodes[i].prev;
  if ((p & (END | HEAP)) == HEAP) {
    late_remove(t, p & LOW);
    return;
  }
  /* Late and due timers are all earlier than every timer above level 0: only a timer of
     bucket nb can have deadline nb_min. */
  if (t->nb_valid && t->nodes[i].deadline == t->nb_min && --t->nb_cnt == 0)
    t->nb_valid = 0;
  unlink_node(t, i);
}

static void release(cc_timers *t, uint32_t i)
{
  cc_timer_node *n = &t->nodes[i];
  n->gen++;
  n->next = t->free_head;
  t->free_head = i;
  t->count--;
}

int cc_timers_init(cc_timers *t, const cc_alloc *a, int64_t now)
{
  memset(t, 0, sizeof *t);
  t->alloc = *a;
  t->buckets = cc_malloc(a, CC_TIMER_BUCKETS * sizeof *t->buckets);
  t->nodes = cc_malloc(a, INITIAL_NODES * sizeof *t->nodes);
  if (!t->buckets || !t->nodes) {
    cc_free(a, t->buckets);
    cc_free(a, t->nodes);
    memset(t, 0, sizeof *t);
    return CCENTER_ENOMEM;
  }
  for (size_t b = 0; b < CC_TIMER_BUCKETS; b++)
    t->buckets[b].head = t->buckets[b].tail = NIL;
  t->cap = INITIAL_NODES;
  t->free_head = NIL;
  t->wheel_key = to_key(now);
  t->latest = now;
  t->next_cache = INT64_MAX;
  t->next_valid = 1;
  return 0;
}

void cc_timers_destroy(cc_timers *t)
{
  cc_free(&t->alloc, t->nodes);
  cc_free(&t->alloc, t->buckets);
  cc_free(&t->alloc, t->late);
  memset(t, 0, sizeof *t);
}

/* Room for `need` nodes / late entries in all (doubling). */
static int grow_nodes(cc_timers *t, size_t need)
{
  return cc_grow(&t->alloc, (void **)&t->nodes, &t->cap, need, sizeof *t->nodes);
}

static int grow_late(cc_timers *t, size_t need)
{
  return cc_grow(&t->alloc, (void **)&t->late, &t->late_cap, need, sizeof *t->late);
}

int cc_timers_arm(cc_timers *t, int64_t deadline, uint32_t kind, uint64_t payload,
                  cc_timer_id *out)
{
  int late = to_key(deadline) < t->wheel_key;
  /* Every allocation comes first, so a failure leaves nothing half done. */
  if (late && t->late_n == t->late_cap && grow_late(t, t->late_n + 1))
    return CCENTER_ENOMEM;
  uint32_t i = t->free_head;
  if (i != NIL) {
    t->free_head = t->nodes[i].next;
  } else {
    if (t->used >= MAX_NODES)
      return CCENTER_ENOMEM;
    if (t->used == t->cap && grow_nodes(t, (size_t)t->used + 1))
      return CCENTER_ENOMEM;
    i = t->used++;
    t->nodes[i].gen = 0;
  }
  cc_timer_node *n = &t->nodes[i];
  n->deadline = deadline;
  n->kind = kind;
  n->payload = payload;
  n->gen++;
  if (late) {
    cc_timer_late e = {t->late_seq++, i, 0};
    t->late[t->late_n++] = e;
    late_up(t, t->late_n - 1);
  } else {
    place(t, i);
  }
  t->count++;
  if (t->next_valid && deadline < t->next_cache)
    t->next_cache = deadline;
  *out = (uint64_t)n->gen << 32 | i;
  return 0;
}

int cc_timers_reserve_out(cc_timers *t, size_t n)
{
  /* Free nodes are the never-used ones plus the free list: cap - count in all. */
  if (t->cap - t->count < n && (t->count + n > MAX_NODES || grow_nodes(t, t->count + n)))
    return CCENTER_ENOMEM;
  if (t->late_cap - t->late_n < n && grow_late(t, t->late_n + n))
    return CCENTER_ENOMEM;
  return 0;
}

static cc_timer_node *lookup(const cc_timers *t, cc_timer_id id)
{
  uint32_t i = (uint32_t)id, gen = (uint32_t)(id >> 32);
  if (i >= t->used || !(gen & 1) || t->nodes[i].gen != gen)
    return NULL;
  return &t->nodes[i];
}

int64_t cc_timers_deadline(const cc_timers *t, cc_timer_id id)
{
  const cc_timer_node *n = lookup(t, id);
  return n ? n->deadline : INT64_MIN;
}

int cc_timers_cancel(cc_timers *t, cc_timer_id id)
{
  cc_timer_node *n = lookup(t, id);
  if (!n)
    return CCENTER_ENOENT;
  uint32_t i = (uint32_t)id;
  if (t->next_valid && n->deadline == t->next_cache)
    t->next_valid = 0;
  detach(t, i);
  release(t, i);
  return 0;
}

static int64_t compute_next(cc_timers *t)
{
  if (t->late_n)
    return t->nodes[t->late[0].node].deadline;
  if (t->buckets[DUE].head != NIL)
    return from_key(t->wheel_key);
  while (t->levels) {
    int l = ctz64(t->levels);
    int s = ctz64(t->occ[l]);
    uint64_t first = slot_key(t, l, s);
    /* A level-0 slot holds a single millisecond, so its start is exact. */
    if (l == 0)
      return from_key(first);
    /* Cascading is safe whenever it does not move the wheel past a time the caller has
       reached; it turns the next query into an O(1) one. */
    if (from_key(first) <= t->latest) {
      cascade(t, l, s);
      continue;
    }
    uint32_t b = (uint32_t)l * CC_TIMER_SLOTS + (uint32_t)s;
    if (t->nb_valid && t->nb == b)
      return t->nb_min;
    int64_t min = INT64_MAX;
    uint32_t cnt = 0;
    uint32_t i = t->buckets[b].head;
    while (!(i & END)) {
      int64_t d = t->nodes[i].deadline;
      if (d < min) {
        min = d;
        cnt = 1;
      } else if (d == min) {
        cnt++;
      }
      i = t->nodes[i].next;
    }
    t->nb = b;
    t->nb_min = min;
    t->nb_cnt = cnt;
    t->nb_valid = 1;
    return min;
  }
  return INT64_MAX;
}

int64_t cc_timers_next(cc_timers *t)
{
  if (!t->next_valid) {
    t->next_cache = compute_next(t);
    t->next_valid = 1;
  }
  return t->next_cache;
}

static int fire(cc_timers *t, uint32_t i, cc_timer_fired *out)
{
  cc_timer_node *n = &t->nodes[i];
  out->id = (uint64_t)n->gen << 32 | i;
  out->deadline = n->deadline;
  out->kind = n->kind;
  out->payload = n->payload;
  detach(t, i);
  release(t, i);
  t->next_valid = 0;
  return 1;
}

int cc_timers_pop_out(cc_timers *t, int64_t now, cc_timer_fired *out)
{
  if (cc_timers_none_due(t, now))
    return 0;
  /* Order of the three places: late timers are all before the wheel's time, the due
     batch is exactly at it, and the wheel holds nothing earlier. */
  if (t->late_n) {
    uint32_t i = t->late[0].node;
    return t->nodes[i].deadline <= now ? fire(t, i, out) : 0;
  }
  for (;;) {
    uint32_t i = t->buckets[DUE].head;
    if (i != NIL)
      return t->nodes[i].deadline <= now ? fire(t, i, out) : 0;
    if (!t->levels)
      return 0;
    int l = ctz64(t->levels);
    int s = ctz64(t->occ[l]);
    uint64_t first = slot_key(t, l, s);
    if (from_key(first) > now)
      return 0;
    if (l > 0) {
      cascade(t, l, s);
      continue;
    }
    /* Whole slot becomes the due batch in O(1): only the end markers name the bucket. */
    uint32_t b = (uint32_t)s;
    cc_timer_bucket *src = &t->buckets[b], *due = &t->buckets[DUE];
    *due = *src;
    src->head = NIL;
    occ_clear(t, b);
    t->nodes[due->head].prev = END | DUE;
    t->nodes[due->tail].next = END | DUE;
    t->wheel_key = first;
  }
}

/* A throwaway copy drained with the real pop: the order is pop's by construction, so it
   cannot drift from it as the wheel changes. */
int cc_timers_in_order(const cc_timers *t, const cc_alloc *a, cc_timer_fired **out, size_t *n)
{
  *out = NULL;
  *n = 0;
  if (!t->count)
    return 0;
  cc_timers c = *t;
  c.nodes = cc_malloc(a, t->cap * sizeof *c.nodes);
  c.buckets = cc_malloc(a, CC_TIMER_BUCKETS * sizeof *c.buckets);
  c.late = t->late_cap ? cc_malloc(a, t->late_cap * sizeof *c.late) : NULL;
  cc_timer_fired *list = cc_malloc(a, t->count * sizeof *list);
  if (!c.nodes || !c.buckets || (t->late_cap && !c.late) || !list) {
    cc_free(a, c.nodes);
    cc_free(a, c.buckets);
    cc_free(a, c.late);
    cc_free(a, list);
    return CCENTER_ENOMEM;
  }
  memcpy(c.nodes, t->nodes, t->cap * sizeof *c.nodes);
  memcpy(c.buckets, t->buckets, CC_TIMER_BUCKETS * sizeof *c.buckets);
  if (t->late_cap)
    memcpy(c.late, t->late, t->late_cap * sizeof *c.late);
  size_t k = 0;
  while (k < t->count && cc_timers_pop(&c, INT64_MAX, &list[k]))
    k++;
  cc_free(a, c.nodes);
  cc_free(a, c.buckets);
  cc_free(a, c.late);
  *out = list;
  *n = k;
  return 0;
}

size_t cc_timers_count(const cc_timers *t)
{
  return t->count;
}

size_t cc_timers_memory(const cc_timers *t)
{
  return t->cap * sizeof *t->nodes + (t->buckets ? CC_TIMER_BUCKETS * sizeof *t->buckets : 0) +
         t->late_cap * sizeof *t->late;
}
