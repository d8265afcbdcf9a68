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

void sim_heap_push(sim_heap *h, int64_t t, uint32_t kind, uint32_t a, uint32_t b, uint32_t c)
{
  if (h->n == h->cap) {
    h->cap = h->cap ? 2 * h->cap : 1024;
    h->v = sim_xrealloc(h->v, h->cap * sizeof *h->v);
  }
  sim_ev ev = {.t = t, .seq = h->seq++, .kind = kind, .a = a, .b = b, .c = c};
  size_t i = h->n++;
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!before(&ev, &h->v[p]))
      break;
    h->v[i] = h->v[p];
    i = p;
  }
  h->v[i] = ev;
}

int sim_heap_pop(sim_heap *h, sim_ev *out)
{
  if (!h->n)
    return 0;
  *out = h->v[0];
  sim_ev last = h->v[--h->n];
  size_t i = 0, n = h->n;
  for (;;) {
    size_t l = 2 * i + 1;
    if (l >= n)
      break;
    size_t m = (l + 1 < n && before(&h->v[l + 1], &h->v[l])) ? l + 1 : l;
    if (!before(&h->v[m], &last))
      break;
    h->v[i] = h->v[m];
    i = m;
  }
  if (n)
    h->v[i] = last;
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
