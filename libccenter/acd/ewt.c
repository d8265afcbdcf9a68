/*
 * EWT samplers and the reserve rule: the handle-time and dequeue-gap samples behind the
 * expected wait, the recent service level (RESERVE_SL), and when a queue's reserve members
 * start taking contacts (routed once at the end of the call that opened them).
 *
 * Separate because these are estimates fed by the state machine, not state changes.
 */
#include "acd/engine_priv.h"

static int64_t mean32(const int32_t *v, unsigned n)
{
  int64_t sum = 0;
  for (unsigned i = 0; i < n; i++)
    sum += v[i];
  return sum / n;
}

/* Expected wait for a contact that waits at `position` (1 = next) — it has been routed
 * and nobody could take it. Backlogged dequeue gaps measure
 * the rate at which the agents who can take this queue's contacts actually free up for it
 * (shared agents, other queues and breaks included); until there are enough of them, fall
 * back to average handle time x position / members logged in. */
int64_t cc_queue_ewt(const ccenter_engine *e, const queue *q, unsigned position)
{
  if (q->deq_n >= 3) {
    int64_t gap = mean32(q->deq_gap, q->deq_n);
    int64_t ewt = gap * (int64_t)position;
    if (q->backlog && e->now > q->last_deq)
      ewt -= e->now - q->last_deq < gap ? e->now - q->last_deq : gap;
    return ewt > 0 ? ewt : 0;
  }
  if (!q->ewt_n || !q->n_logged_in)
    return -1;
  return mean32(q->ewt_samples, q->ewt_n) * (int64_t)position / (int64_t)q->n_logged_in;
}

static void ring_push(int32_t *v, unsigned *n, unsigned *pos, unsigned k, int64_t x)
{
  if (x > INT32_MAX)
    x = INT32_MAX;
  if (*pos >= k)
    *pos = 0;
  v[*pos] = (int32_t)x;
  *pos = (*pos + 1) % k;
  if (*n < k)
    (*n)++;
}

void cc_ewt_sample(ccenter_engine *e, queue *q, int64_t handle_ms)
{
  ring_push(q->ewt_samples, &q->ewt_n, &q->ewt_pos, (unsigned)e->ewt_samples, handle_ms);
}

/* One outcome for the queue's recent service level (RESERVE_SL): a contact answered
 * (met: within the threshold), or given up on after the threshold (not met). Contacts that
 * give up sooner are not counted, as in the "abandons ignored" service level. */
void cc_sl_sample(ccenter_engine *e, queue *q, int met)
{
  unsigned p = q->sl_pos;
  uint64_t bit = UINT64_C(1) << (p % 64);
  if (q->sl_n == SL_WINDOW)
    q->sl_met -= (q->sl_bits[p / 64] & bit) != 0;
  else
    q->sl_n++;
  if (met)
    q->sl_bits[p / 64] |= bit;
  else
    q->sl_bits[p / 64] &= ~bit;
  q->sl_met += met != 0;
  q->sl_pos = (p + 1) % SL_WINDOW;
  cc_update_reserve(e, q);
}

/* A contact left the waiting line for an agent. */
void cc_dequeue_sample(ccenter_engine *e, queue *q)
{
  if (q->backlog)
    ring_push(q->deq_gap, &q->deq_n, &q->deq_pos, (unsigned)e->ewt_samples, e->now - q->last_deq);
  q->last_deq = e->now;
  q->backlog = q->n_waiting > 0;
}

/* Routes the queue's reserve members at the end of the call (once, whatever asked). */
void cc_kick_reserve(ccenter_engine *e, queue *q)
{
  for (size_t i = 0; i < e->n_kicks; i++)
    if (e->kicks[i] == q)
      return;
  if (cc_grow(&e->alloc, (void **)&e->kicks, &e->cap_kicks, e->n_kicks + 1, sizeof *e->kicks)) {
    cc_logf(&e->log, CCENTER_LOG_ERROR, "queue %s: reserve members not routed: out of memory",
            q->id);
    return;
  }
  q_ref(q);
  e->kicks[e->n_kicks++] = q;
}

/* Reserve members join while the backlog's expected wait is past the queue's threshold or
 * its recent service level below its target; when that starts, they are routed at the end
 * of the call. */
void cc_update_reserve(ccenter_engine *e, queue *q)
{
  int open = 0;
  if (q->reserve_ewt > 0 && q->deq_n >= 3)
    open = mean32(q->deq_gap, q->deq_n) * (int64_t)q->n_waiting >= q->reserve_ewt;
  if (q->reserve_sl > 0 && q->sl_n >= SL_MIN &&
      (int64_t)q->sl_met * 10000 < q->reserve_sl * (int64_t)q->sl_n)
    open = 1;
  if (open && !q->reserve_open)
    cc_kick_reserve(e, q);
  q->reserve_open = open;
}

void cc_run_kicks_out(ccenter_engine *e)
{
  for (size_t i = 0; i < e->n_kicks; i++) {
    queue *q = e->kicks[i];
    for (size_t j = 0; !q->removed && j < q->n_members; j++)
      if (q->members[j]->reserve)
        cc_route_agent(e, q->members[j]->a);
    q_unref(e, q);
  }
  e->n_kicks = 0;
}
