/*
 * ccenter-sim — the simulator's event heap: a binary min-heap on (time, insertion order),
 * so events at the same millisecond run in the order they were scheduled.
 */
#include "sim.h"

#include <stdlib.h>

static int before(const sim_ev *x, const sim_ev *y)
{
  return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

/* The same order as before(), without branches. */
static inline int before_nb(const sim_ev *x, const sim_ev *y)
{
  return (x->t < y->t) | ((x->t == y->t) & (x->seq < y->seq));
}

/* Puts ev in the hole at i, moving it up past the later events above it. */
static void sift_up(sim_heap *h, size_t i, sim_ev ev)
{
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!before(&ev, &h->v[p]))
      break;
    h->v[i] = h->v[p];
    i = p;
  }
  h->v[i] = ev;
}

void sim_heap_push(sim_heap *h, int64_t t, uint32_t kind, uint32_t a, uint32_t b, uint32_t c)
{
  if (h->n == h->cap) {
    h->cap = h->cap ? 2 * h->cap : 1024;
    h->v = sim_xrealloc(h->v, h->cap * sizeof *h->v);
  }
  uint64_t *seq = h->seq_from ? h->seq_from : &h->seq;
  sim_ev ev = {.t = t, .seq = (*seq)++, .kind = kind, .a = a, .b = b, .c = c};
  sift_up(h, h->n++, ev);
}

int sim_heap_pop(sim_heap *h, sim_ev *out)
{
  if (!h->n)
    return 0;
  *out = h->v[0];
  size_t n = --h->n;
  if (!n)
    return 1;
  /* Floyd's pop: the hole at the root goes down to a leaf along the earlier child, then
   * the last event comes up from there. It mostly belongs near the bottom, so this takes
   * about half the comparisons of sifting it down from the top. */
  sim_ev last = h->v[n];
  size_t i = 0;
  for (;;) {
    size_t l = 2 * i + 1;
    if (l >= n)
      break;
    /* Which child is earlier is a coin toss for the branch predictor: computed, not
     * branched on. */
    size_t m = l + (size_t)(l + 1 < n && before_nb(&h->v[l + 1], &h->v[l]));
    h->v[i] = h->v[m];
    i = m;
  }
  sift_up(h, i, last);
  return 1;
}

int64_t sim_heap_top_time(const sim_heap *h)
{
  return h->n ? h->v[0].t : SIM_INF_TIME;
}

void sim_heap_free(sim_heap *h)
{
  free(h->v);
  h->v = NULL;
  h->n = h->cap = 0;
}
