/*
 * Queues: adding and removing them (draining their contacts into another), their options
 * and ranges, their steps, the join-empty and leave-empty rules, and re-keying the waiting
 * line when ageing changes.
 *
 * Separate because queue configuration changes rarely and touches many contacts at once.
 */
#include "acd/engine_priv.h"

void cc_stepset_put(ccenter_engine *e, queue *q, stepset *ss)
{
  if (!ss || --ss->refs > 0)
    return;
  for (size_t i = 0; i < ss->n; i++)
    cc_class_put(e, q, ss->s[i].k);
  cc_eng_free(e, ss, sizeof *ss + ss->cap * sizeof(step));
}

int cc_empty_by_rule(const queue *q, int64_t rule)
{
  switch (rule) {
  case CCENTER_EMPTY_NO_MEMBERS:
    return q->n_members == 0;
  case CCENTER_EMPTY_LOGGED_OUT:
    return q->n_logged_in == 0;
  case CCENTER_EMPTY_NOT_READY:
    return q->n_ready == 0;
  default:
    return 0;
  }
}

void cc_check_leave_empty(ccenter_engine *e, queue *q)
{
  if (q->removing)
    return;
  if (!q->n_waiting || !cc_empty_by_rule(q, q->leave_empty))
    return;
  if (ev_reserve(e, 2 * (size_t)q->n_waiting))
    cc_logf(&e->log, CCENTER_LOG_WARN, "leave-empty on %s: event room not reserved", q->id);
  cc_tnode *n;
  while ((n = cc_treap_first(&q->waiting))) {
    contact *c = node_contact(n);
    cc_contact_leave_for_good(e, c, CCENTER_OUTCOME_EXIT_EMPTY);
    cc_contact_maybe_done(e, c);
  }
}

int cc_op_add_step(ccenter_engine *e, queue *q, const char *text, int64_t duration)
{
  size_t n = q->steps ? q->steps->n : 0;
  if (n == MAX_STEPS)
    return CCENTER_EFULL;
  stepset *ss = cc_eng_alloc(e, sizeof *ss + (n + 1) * sizeof(step));
  if (!ss)
    return CCENTER_ENOMEM;
  cc_req_error err;
  rclass *k;
  int rc = cc_class_get(e, q, text, &k, &err);
  if (rc) {
    if (rc == CCENTER_ESYNTAX)
      cc_logf(&e->log, CCENTER_LOG_WARN, "queue %s step %zu: %zu: %s", q->id, n + 1,
              err.offset, err.msg);
    cc_eng_free(e, ss, sizeof *ss + (n + 1) * sizeof(step));
    return rc;
  }
  ss->refs = 1;
  ss->cap = (uint32_t)(n + 1);
  ss->n = n + 1;
  for (size_t i = 0; i < n; i++) {
    ss->s[i] = q->steps->s[i];
    ss->s[i].k->refs++;
  }
  ss->s[n].k = k;
  ss->s[n].duration = duration;
  cc_stepset_put(e, q, q->steps);
  q->steps = ss;
  return 0;
}

static void rekey_waiting(ccenter_engine *e, queue *q)
{
  /* Ageing changed: every waiting contact's order key changes. */
  size_t n = q->n_waiting, i = 0;
  contact **all = cc_malloc(&e->alloc, (n ? n : 1) * sizeof *all);
  if (!all) {
    cc_logf(&e->log, CCENTER_LOG_ERROR, "queue %s: ageing applies to new contacts only", q->id);
    return;
  }
  for (cc_tnode *t = cc_treap_first(&q->waiting); t; t = cc_treap_next(&q->waiting, t))
    all[i++] = node_contact(t);
  for (i = 0; i < n; i++)
    cc_route_leave(e, all[i]);
  for (i = 0; i < n; i++)
    cc_route_enter(e, all[i]);
  cc_free(&e->alloc, all);
}

int cc_op_queue_add(ccenter_engine *e, const char *id, void *user_data)
{
  if (find_queue(e, id))
    return CCENTER_EEXIST;
  if (cc_map_reserve(&e->queues, &e->alloc, 1))
    return CCENTER_ENOMEM;
  queue *q = cc_obj_new(e, sizeof *q, id, user_data);
  if (!q)
    return CCENTER_ENOMEM;
  if (cc_queue_init_classes(e, q)) {
    cc_obj_free(e, q->id, sizeof *q);
    return CCENTER_ENOMEM;
  }
  q->seq = ++e->queue_seq;
  q->progressive_every = 5000;
  q->preferred_timeout = 20000;
  q->ring_timeout = 15000;
  q->sl_threshold = 20000;
  q->sl_target = 8000;
  q->sl_warning = 75;
  q->max_wait_action = CCENTER_MAX_WAIT_TIMEOUT;
  /* Ranked (positions), and linked in order: taking the first contact, as routing mostly
   * does, then touches no other contact's node on the way up, nor on the way down to its
   * successor (core/treap.c). */
  cc_treap_init(&q->waiting, cc_cmp_contact, CC_TREAP_SIZES);
  cc_map_put(&e->queues, &e->alloc, q->id, q);
  e->sla_version++;
  return 0;
}

void cc_free_queue(ccenter_engine *e, queue *q)
{
  cc_stepset_put(e, q, q->steps);
  cc_queue_free_classes(e, q);
  cc_free(&e->alloc, q->delays);
  cc_free(&e->alloc, q->members);
  cc_obj_free(e, q->id, sizeof *q);
}

int cc_op_queue_remove(ccenter_engine *e, queue *q, queue *drain)
{
  if (drain == q)
    return CCENTER_EINVAL;
  unsigned moving = q->n_waiting + q->n_offered;
  if (moving && !drain)
    return CCENTER_EBUSY;
  if (drain && drain->max_length && drain->n_waiting + moving > (uint64_t)drain->max_length)
    return CCENTER_EFULL;
  if (ev_reserve(e, 3 * (size_t)moving + 2 * q->n_members + 8))
    return CCENTER_ENOMEM;
  /* Members first: an agent freed by a withdrawn offer below must not take another of
   * this queue's contacts. */
  q->removing = 1;
  while (q->n_members) {
    agent *a = q->members[0]->a;
    cc_unserve(e, q->members[0]);
    cc_route_refresh(e, a);
  }
  if (moving) {
    /* Offered contacts are not in the waiting tree; queue removal is rare enough to look
     * for them among all contacts. */
    size_t it = 0;
    contact *c;
    while ((c = cc_map_next(&e->contacts, &it)))
      if (c->q == q && c->n_offers) {
        while (c->offers)
          cc_withdraw(e, c->offers, CCENTER_CAUSE_QUEUE_REMOVED, -1, 0);
        queue_insert(e, c);
      }
    contact **moved = cc_malloc(&e->alloc, sizeof *moved * q->n_waiting);
    size_t nm = 0;
    cc_tnode *n;
    while ((n = cc_treap_first(&q->waiting))) {
      c = node_contact(n);
      queue_take(e, c);
      cc_contact_enter_queue(e, c, drain, c->enq_at, 0);
      cc_emit_queued(e, c, CCENTER_EV_QUEUE_MOVED, q);
      if (moved)
        moved[nm++] = c;
    }
    for (size_t i = 0; i < nm; i++)
      cc_route_contact(e, moved[i]);
    if (!moved) {
      it = 0;
      while ((c = cc_map_next(&e->contacts, &it)))
        if (c->q == drain && c->in_queue)
          cc_route_contact(e, c);
    }
    cc_free(&e->alloc, moved);
  }
  size_t it = 0;
  queue *o;
  while ((o = cc_map_next(&e->queues, &it)))
    if (o->overflow == q)
      o->overflow = NULL;
  cc_map_del(&e->queues, q->id);
  q->removed = 1;
  if (q->refs == 0)
    cc_bury(e, q, 2);
  return 0;
}

/* Each queue option: its field and its range (the defaults are set by cc_op_queue_add).
 * QOPT_OFF: 0 (off) or min_on..h. Periodic timers have a minimum period (timers.c): with
 * one contact an announcement every millisecond would be 3.6 million events an hour. */
#define QOPT(f, l, h) {offsetof(queue, f), (l), (h), 1, 0}
#define QOPT_OFF(f, m, h) {offsetof(queue, f), 0, (h), 1, (m)}
static const struct qopt {
  size_t off;
  int64_t lo, hi;
  int known;
  int64_t min_on; /* a value other than 0 is at least this */
} qopts[] = {
    [CCENTER_QUEUE_MAX_LENGTH] = QOPT(max_length, 0, 100000000),
    [CCENTER_QUEUE_JOIN_EMPTY] = QOPT(join_empty, 0, CCENTER_EMPTY_NOT_READY),
    [CCENTER_QUEUE_LEAVE_EMPTY] = QOPT(leave_empty, 0, CCENTER_EMPTY_NOT_READY),
    [CCENTER_QUEUE_MAX_WAIT] = QOPT(max_wait, 0, 365 * DAY_MS),
    [CCENTER_QUEUE_MAX_WAIT_ACTION] = QOPT(max_wait_action, 0, CCENTER_MAX_WAIT_CALLBACK),
    [CCENTER_QUEUE_RING_TIMEOUT] = QOPT(ring_timeout, 0, 365 * DAY_MS),
    [CCENTER_QUEUE_WRAP_UP] = QOPT(wrap_up, -1, 365 * DAY_MS),
    [CCENTER_QUEUE_ANNOUNCE_EVERY] = QOPT_OFF(announce_every, 1000, 365 * DAY_MS),
    [CCENTER_QUEUE_SL_THRESHOLD] = QOPT(sl_threshold, 1, DAY_MS),
    [CCENTER_QUEUE_SL_TARGET] = QOPT(sl_target, 0, 10000),
    [CCENTER_QUEUE_SL_WARNING] = QOPT(sl_warning, 0, 99),
    [CCENTER_QUEUE_CALLBACK_EWT] = QOPT(callback_ewt, 0, 365 * DAY_MS),
    [CCENTER_QUEUE_STRATEGY] = QOPT(strategy, 0, CCENTER_STRATEGY_RING_PROGRESSIVE),
    [CCENTER_QUEUE_RING_EVERY] = QOPT(progressive_every, 100, DAY_MS),
    [CCENTER_QUEUE_PREFERRED_TIMEOUT] = QOPT(preferred_timeout, 0, DAY_MS),
    [CCENTER_QUEUE_STICKY_WINDOW] = QOPT(sticky_window, 0, 365 * DAY_MS),
    [CCENTER_QUEUE_AGEING] = QOPT(ageing, 0, DAY_MS),
    [CCENTER_QUEUE_RESERVE_WAIT] = QOPT(reserve_wait, 0, DAY_MS),
    [CCENTER_QUEUE_RESERVE_EWT] = QOPT(reserve_ewt, 0, DAY_MS),
    [CCENTER_QUEUE_RESERVE_SL] = QOPT(reserve_sl, 0, 10000),
};
#undef QOPT
#undef QOPT_OFF

static const struct qopt *qopt_of(int64_t opt)
{
  if (opt < 0 || (uint64_t)opt >= sizeof qopts / sizeof qopts[0] || !qopts[opt].known)
    return NULL;
  return &qopts[opt];
}

int cc_queue_opt_check(int64_t opt, int64_t v)
{
  const struct qopt *o = qopt_of(opt);
  if (!o)
    return CCENTER_EINVAL;
  return v < o->lo || v > o->hi || (v > 0 && v < o->min_on) ? CCENTER_ERANGE : 0;
}

int cc_op_queue_set(ccenter_engine *e, queue *q, int64_t opt, int64_t v)
{
  int rc = cc_queue_opt_check(opt, v); /* checked before timers fired too (check_args) */
  if (rc)
    return rc;
  /* Room for the exits a leave-empty rule may cause, before anything changes. */
  if (opt == CCENTER_QUEUE_LEAVE_EMPTY && ev_reserve(e, 2 * (size_t)q->n_waiting + 1))
    return CCENTER_ENOMEM;
  int64_t *field = (int64_t *)(void *)((char *)q + qopt_of(opt)->off);
  int64_t old = *field;
  *field = v;
  if (opt == CCENTER_QUEUE_SL_THRESHOLD || opt == CCENTER_QUEUE_SL_TARGET ||
      opt == CCENTER_QUEUE_SL_WARNING)
    e->sla_version++;
  if (opt == CCENTER_QUEUE_STRATEGY && old != v) {
    cc_route_strategy_set(q);
    for (size_t i = 0; i < q->n_members; i++)
      cc_route_refresh(e, q->members[i]->a);
  }
  if (opt == CCENTER_QUEUE_AGEING && old != v)
    rekey_waiting(e, q);
  if (opt == CCENTER_QUEUE_STICKY_WINDOW && v > e->sticky_max)
    e->sticky_max = v;
  if (opt == CCENTER_QUEUE_RESERVE_WAIT && old != v)
    cc_route_rearm_queue(e, q);
  if (opt == CCENTER_QUEUE_RESERVE_WAIT || opt == CCENTER_QUEUE_RESERVE_EWT ||
      opt == CCENTER_QUEUE_RESERVE_SL) {
    /* Only reserve members' eligibility changed: route them at the end of the call. */
    cc_update_reserve(e, q);
    cc_kick_reserve(e, q);
  }
  if (opt == CCENTER_QUEUE_LEAVE_EMPTY)
    cc_check_leave_empty(e, q);
  return 0;
}

int cc_queue_get(const queue *q, int64_t opt, int64_t *v)
{
  const struct qopt *o = qopt_of(opt);
  if (!o)
    return CCENTER_EINVAL;
  *v = *(const int64_t *)(const void *)((const char *)q + o->off);
  return 0;
}
