/*
 * The ACD engine: agents, queues, contacts, offers, wrap-up, and longest-idle routing.
 *
 * Shape of every call: the public function packs its arguments into a journal record and
 * calls cc_engine_exec(), which checks the arguments, fires the timers due by `now`, runs
 * the operation, records the journal, then delivers the buffered events. Buffering is what
 * lets the callback query a consistent engine; objects that die during a call are kept in
 * a graveyard until the events that name them have been delivered.
 *
 * Routing invariant: after every call, no waiting contact could be offered to an agent
 * available for it. So each change only has to route the one contact or the one agent it
 * touched (route_contact / route_agent), never rescan the world.
 *
 * This file holds the decisions about a call as a whole: which arguments an op takes and
 * which are valid before anything happens (check_args), the room reserved so that a call
 * cannot fail halfway, the order of a call (timers, the op, reserve kicks, the journal,
 * delivery, the deadline hook), which op function runs for each journal record (dispatch),
 * the engine's own options, and creating and freeing an engine. The operations themselves
 * live beside it, one file per seam (acd/engine_priv.h lists them): objects.c, events.c,
 * timers.c, ewt.c, work.c, contact.c, transfer.c, presence.c, agent.c, queue.c, api.c,
 * query.c, check.c; route.c decides who gets what.
 */
#include "acd/engine_priv.h"

/* Works a call may need without failing: a ring-all's offers and a few more. */
#define SPARE_WORKS (RING_ALL_LIMIT + 8)

int cc_reserve_works(ccenter_engine *e)
{
  while (e->n_spare_works < SPARE_WORKS) {
    work *w = cc_eng_alloc(e, sizeof *w);
    if (!w)
      return CCENTER_ENOMEM;
    w->next = e->spare_works;
    e->spare_works = w;
    e->n_spare_works++;
  }
  return 0;
}

work *cc_work_new(ccenter_engine *e, agent *a, contact *c, queue *q, int consult)
{
  work *w = e->spare_works;
  if (w) {
    e->spare_works = w->next;
    e->n_spare_works--;
    memset(w, 0, sizeof *w);
  } else if (!(w = cc_eng_alloc(e, sizeof *w))) {
    return NULL;
  }
  w->a = a;
  w->c = c;
  w->q = q;
  q_ref(q);
  w->state = W_RINGING;
  w->consult = consult;
  w->channel = c->channel;
  w->since = e->now;
  w->wrap_deadline = -1;
  w->next = a->works;
  if (a->works)
    a->works->prev = w;
  a->works = w;
  a->n[w->channel]++;
  a->n_offered++;
  a->idle_since = e->now;
  return w;
}

static void work_unlink(ccenter_engine *e, work *w)
{
  agent *a = w->a;
  cc_eng_disarm(e, &w->timer);
  if (w->prev)
    w->prev->next = w->next;
  else
    a->works = w->next;
  if (w->next)
    w->next->prev = w->prev;
  a->n[w->channel]--;
  if (w->state == W_RINGING)
    a->n_offered--;
  else if (w->state == W_CONNECTED)
    a->n_connected--;
  else
    a->n_wrap--;
  a->idle_since = e->now;
  q_unref(e, w->q);
  if (e->n_spare_works < SPARE_WORKS) {
    w->next = e->spare_works;
    e->spare_works = w;
    e->n_spare_works++;
  } else {
    cc_eng_free(e, w, sizeof *w);
  }
}

/* After an agent's work ended: pending presence changes, availability, routing. */
static void agent_after_work(ccenter_engine *e, agent *a)
{
  if (!cc_agent_work(a)) {
    if (a->pending_logout) {
      a->pending_logout = 0;
      a->pending = NULL;
      a->pending_nr = 0;
      cc_set_presence(e, a, CCENTER_AGENT_LOGGED_OUT, NULL, CCENTER_CAUSE_NONE);
    } else if (a->pending_nr) {
      const char *r = a->pending;
      ccenter_cause cause = (ccenter_cause)a->pending_cause;
      a->pending = NULL;
      a->pending_nr = 0;
      a->pending_cause = 0;
      cc_set_presence(e, a, CCENTER_AGENT_NOT_READY, r, cause);
    }
  }
  cc_route_agent(e, a);
}

void cc_offer(ccenter_engine *e, contact *c, agent *a, int direct)
{
  work *w = cc_work_new(e, a, c, c->q, 0);
  if (!w) {
    cc_logf(&e->log, CCENTER_LOG_ERROR, "offer of %s to %s failed: out of memory", c->id,
            a->id);
    return;
  }
  w->direct = direct;
  if (c->in_queue) {
    queue_take(e, c);
    cc_dequeue_sample(e, c->q);
    cc_update_reserve(e, c->q);
  }
  if (!c->n_offers)
    c->q->n_offered++;
  w->onext = c->offers;
  c->offers = w;
  c->n_offers++;
  int64_t rt = ring_timeout_of(c->q);
  if (rt > 0)
    w->timer = cc_eng_arm(e, e->now + rt, T_RING, w);
  if (c->is_callback && !c->callback_due_sent) {
    c->callback_due_sent = 1;
    ccenter_event *ev = ev_contact(e, CCENTER_EV_CALLBACK_DUE, c, a);
    if (ev)
      ev->wait_ms = e->now - c->enq_at;
  }
  ccenter_event *ev = ev_contact(e, CCENTER_EV_CONTACT_OFFERED, c, a);
  if (ev) {
    ev->wait_ms = e->now - c->enq_at;
    ev->ring_timeout_ms = rt;
  }
  cc_route_refresh(e, a);
}

void cc_start_wrap(ccenter_engine *e, work *w)
{
  agent *a = w->a;
  a->talk_since_login += e->now - w->connected_at;
  a->n_connected--;
  a->n_wrap++;
  w->state = W_WRAP;
  w->since = e->now;
  w->c->n_wrap++;
  int64_t wrap = a->wrap_override != -2 ? a->wrap_override : (w->q ? w->q->wrap_up : 0);
  if (wrap == 0) {
    cc_finish_work(e, w);
    return;
  }
  if (wrap > 0) {
    w->wrap_deadline = e->now + wrap;
    w->timer = cc_eng_arm(e, w->wrap_deadline, T_WRAP, w);
  }
}

void cc_finish_work(ccenter_engine *e, work *w)
{
  agent *a = w->a;
  contact *c = w->c;
  ccenter_event *ev = ev_contact(e, CCENTER_EV_WRAP_UP_ENDED, c, a);
  if (ev) {
    ev_set_queue(ev, w->q);
    ev->duration_ms = e->now - w->since;
  }
  if (w->q && !w->consult)
    cc_ewt_sample(e, w->q, e->now - w->connected_at);
  a->handled++;
  if (!w->consult)
    a->handled_since_login++;
  c->n_wrap--;
  work_unlink(e, w);
  agent_after_work(e, a);
  cc_contact_maybe_done(e, c);
}

/* Detaches the connected agent's work from the contact (resuming a held contact); the
 * caller starts its wrap-up. */
work *cc_leg_detach(ccenter_engine *e, contact *c)
{
  work *w = c->primary;
  set_primary(c, NULL);
  if (c->on_hold) {
    c->on_hold = 0;
    ccenter_event *ev = ev_contact(e, CCENTER_EV_CONTACT_RESUMED, c, w->a);
    if (ev)
      ev->duration_ms = e->now - c->hold_since;
  }
  return w;
}

/* The connected agent's part of the conversation is over (end, transfer, requeue). */
void cc_leg_to_wrap(ccenter_engine *e, contact *c)
{
  cc_start_wrap(e, cc_leg_detach(e, c));
}

void cc_end_consult(ccenter_engine *e, contact *c, ccenter_cause cause)
{
  work *w = c->consult;
  if (!w)
    return;
  c->consult = NULL;
  agent *b = w->a;
  ccenter_event *ev = ev_contact(e, CCENTER_EV_CONSULT_ENDED, c, c->primary ? c->primary->a : NULL);
  if (ev) {
    ev_set_agent_to(ev, b);
    ev->cause = cause;
  }
  work_unlink(e, w);
  agent_after_work(e, b);
}

static void sla_arm(ccenter_engine *e, contact *c)
{
  queue *q = c->q;
  cc_eng_disarm(e, &c->sla_timer);
  c->sla_stage = 0;
  if (c->is_callback || q->sl_threshold <= 0)
    return;
  int64_t warn = q->sl_threshold * q->sl_warning / 100;
  if (warn > 0 && c->enq_at + warn > e->now - 1) {
    c->sla_stage = 1;
    c->sla_timer = cc_eng_arm(e, c->enq_at + warn, T_SLA, c);
  } else {
    c->sla_stage = 2;
    c->sla_timer = cc_eng_arm(e, c->enq_at + q->sl_threshold, T_SLA, c);
  }
}

void cc_stepset_put(ccenter_engine *e, queue *q, stepset *ss)
{
  if (!ss || --ss->refs > 0)
    return;
  for (size_t i = 0; i < ss->n; i++)
    cc_class_put(e, q, ss->s[i].k);
  cc_eng_free(e, ss, sizeof *ss + ss->cap * sizeof(step));
}

static void prefer_clear(ccenter_engine *e, contact *c)
{
  for (size_t i = 0; i < c->n_preferred; i++)
    cc_free(&e->alloc, c->preferred[i]);
  cc_free(&e->alloc, c->preferred);
  c->preferred = NULL;
  c->n_preferred = 0;
  c->preferred_until = -1;
}

/* Puts the contact in q's waiting line at enq_at. A contact that changes queue drops the
 * routing state of the old one (its steps, its preferred agents) and takes q's steps. */
void cc_contact_enter_queue(ccenter_engine *e, contact *c, queue *q, int64_t enq_at,
                            int fresh)
{
  if (c->q != q) {
    if (c->q) {
      cc_stepset_put(e, c->q, c->steps);
      c->steps = NULL;
      prefer_clear(e, c);
    }
    c->cls = NULL;
    q_ref(q);
    q_unref(e, c->q);
    c->q = q;
    if (q->steps) {
      c->steps = q->steps;
      q->steps->refs++;
    }
  }
  c->enq_at = enq_at;
  c->max_wait_due = 0;
  cc_route_start(e, c, enq_at);
  queue_insert(e, c);
  if (fresh) {
    c->answered = 0;
    cc_eng_disarm(e, &c->max_wait_timer);
    cc_eng_disarm(e, &c->announce_timer);
    c->callback_offered = 0;
    c->max_wait_at = -1;
    if (q->max_wait > 0 && !c->is_callback) {
      c->max_wait_at = enq_at + q->max_wait;
      c->max_wait_timer = cc_eng_arm(e, c->max_wait_at, T_MAXWAIT, c);
    }
    if (q->announce_every > 0 && !c->is_callback)
      c->announce_timer = cc_eng_arm(e, e->now + q->announce_every, T_ANNOUNCE, c);
    c->orig_position = (int)cc_treap_rank(&q->waiting, &c->node);
    sla_arm(e, c);
  }
}

/* Offer a callback once when the expected wait is past the queue's limit. */
void cc_maybe_offer_callback(ccenter_engine *e, contact *c, int64_t ewt)
{
  if (c->q->callback_ewt <= 0 || c->callback_offered || c->is_callback || ewt < 0 ||
      ewt <= c->q->callback_ewt)
    return;
  c->callback_offered = 1;
  ccenter_event *ev = ev_contact(e, CCENTER_EV_CONTACT_CALLBACK_OFFER, c, NULL);
  if (ev) {
    ev->wait_ms = e->now - c->enq_at;
    ev->ewt_ms = ewt;
  }
}

/* Every timer that exists only for a waiting contact. */
static void contact_timers_off(ccenter_engine *e, contact *c)
{
  cc_eng_disarm(e, &c->max_wait_timer);
  cc_eng_disarm(e, &c->announce_timer);
  cc_eng_disarm(e, &c->sla_timer);
  cc_route_stop(e, c);
}

void cc_contact_leave_for_good(ccenter_engine *e, contact *c, ccenter_outcome outcome)
{
  c->exit_position = 0;
  if (c->in_queue) {
    c->exit_position = (int)cc_treap_rank(&c->q->waiting, &c->node);
    queue_take(e, c);
  }
  contact_timers_off(e, c);
  c->outcome = outcome;
}

/* A contact ends when nothing of the customer's side is left: HANDLED once the last
 * wrap-up is over; any other outcome at once, even while an agent of an earlier leg still
 * wraps up (the integrator must learn of a timeout or an abandon when it happens). Such a
 * contact leaves the id table at once (the id may be reused) and its record is freed with
 * its last wrap-up. */
void cc_contact_maybe_done(ccenter_engine *e, contact *c)
{
  if (c->outcome == CCENTER_OUTCOME_NONE || c->in_queue || c->primary || c->n_offers ||
      c->consult)
    return;
  if (!c->dead) {
    if (c->n_wrap && c->outcome == CCENTER_OUTCOME_HANDLED)
      return;
    c->dead = 1;
    if (!c->answered && e->now - c->enq_at > c->q->sl_threshold)
      cc_sl_sample(e, c->q, 0);
    ccenter_event *ev = ev_contact(e, CCENTER_EV_CONTACT_ENDED, c, NULL);
    if (ev) {
      ev->outcome = c->outcome;
      ev->wait_ms = c->answered ? c->answered_wait : e->now - c->enq_at;
      ev->position = c->exit_position;
    }
    contact_timers_off(e, c);
    for (size_t i = 0; i < c->n_rej; i++)
      cc_eng_disarm(e, &c->rej[i].timer);
    cc_map_del(&e->contacts, c->id);
  }
  if (!c->n_wrap && !c->buried) {
    c->buried = 1;
    cc_bury(e, c, 1);
  }
}

ccenter_event *cc_emit_queued(ccenter_engine *e, contact *c, ccenter_event_type type,
                              queue *from)
{
  ccenter_event *ev = ev_contact(e, type, c, NULL);
  if (!ev)
    return NULL;
  ev->position = (int)cc_treap_rank(&c->q->waiting, &c->node);
  ev->ewt_ms = cc_queue_ewt(e, c->q, (unsigned)ev->position);
  ev->wait_ms = e->now - c->enq_at;
  if (from) {
    ev_set_queue_to(ev, c->q);
    ev_set_queue(ev, from);
  }
  return ev;
}

/* A contact arrives in its queue: QUEUED, then routing. The event's expected wait is
 * settled by that routing: 0 if the contact was offered at once, else the estimate for its
 * place, which routing that offered nothing did not change. (An idle member is no sign of
 * a short wait: it may not qualify.) Returns that expected wait. */
int64_t cc_queued_then_route(ccenter_engine *e, contact *c)
{
  size_t at = e->n_events;
  ccenter_event *ev = cc_emit_queued(e, c, CCENTER_EV_CONTACT_QUEUED, NULL);
  int64_t ewt = ev ? ev->ewt_ms
                   : cc_queue_ewt(e, c->q, (unsigned)cc_treap_rank(&c->q->waiting, &c->node));
  cc_route_contact(e, c); /* may move the event buffer: ev is not used after this */
  if (!c->in_queue)
    ewt = 0;
  if (at < e->n_events && e->events[at].pub.type == CCENTER_EV_CONTACT_QUEUED)
    e->events[at].pub.ewt_ms = ewt;
  return ewt;
}

/* Room for one more reject-delay record (calls reserve it before changing anything). */
int cc_reserve_exclusion(ccenter_engine *e, contact *c)
{
  size_t old_cap = c->cap_rej;
  if (cc_grow(&e->alloc, (void **)&c->rej, &c->cap_rej, c->n_rej + 1, sizeof *c->rej))
    return CCENTER_ENOMEM;
  e->bytes += (c->cap_rej - old_cap) * sizeof *c->rej;
  return 0;
}

/* Keeps the contact from the agent for the engine's reject delay. */
void cc_exclude_agent(ccenter_engine *e, contact *c, const agent *a)
{
  if (e->reject_delay <= 0)
    return;
  if (cc_reserve_exclusion(e, c)) {
    cc_logf(&e->log, CCENTER_LOG_ERROR, "reject delay of %s for %s not kept: out of memory",
            c->id, a->id);
    return;
  }
  rejection *r = &c->rej[c->n_rej++];
  r->agent_seq = a->seq;
  r->until = e->now + e->reject_delay;
  r->timer = cc_eng_arm(e, r->until, T_REJECT, c);
}

/* Takes a ringing work off its contact's list of offers. */
static void offer_unlink(ccenter_engine *e, contact *c, work *w)
{
  for (work **p = &c->offers; *p; p = &(*p)->onext)
    if (*p == w) {
      *p = w->onext;
      break;
    }
  w->onext = NULL;
  if (--c->n_offers == 0) {
    c->q->n_offered--;
    cc_eng_disarm(e, &c->progress_timer);
  }
}

/* AGENT_PENDING: the presence the agent will take when its work is over (READY: none). */
static void pending_event(ccenter_engine *e, agent *a, const char *reason, ccenter_cause cause,
                          ccenter_agent_state state)
{
  ccenter_event *ev = ev_agent(e, CCENTER_EV_AGENT_PENDING, a);
  if (ev) {
    ev->reason = reason;
    ev->cause = cause;
    ev->state = state;
  }
}

/* A READY agent with work goes NOT_READY (reason r or the engine's cause) when the work is
 * over; it takes no more work meanwhile. */
void cc_pend_not_ready(ccenter_engine *e, agent *a, const char *r, ccenter_cause cause)
{
  a->pending = r;
  a->pending_nr = 1;
  a->pending_cause = (uint8_t)cause;
  cc_route_refresh(e, a);
  pending_event(e, a, r, cause, CCENTER_AGENT_NOT_READY);
}

/* Takes an offer back. reroute: when it was the contact's last offer, put the contact back
 * in its queue and route it. miss: 1 counts a ring-no-answer, 0 a rejection (both keep the
 * contact from this agent for the reject delay), -1 neither. */
void cc_withdraw(ccenter_engine *e, work *w, ccenter_cause cause, int miss, int reroute)
{
  contact *c = w->c;
  agent *a = w->a;
  int direct = w->direct;
  ccenter_event *ev = ev_contact(e, CCENTER_EV_OFFER_WITHDRAWN, c, a);
  if (ev) {
    ev->cause = cause;
    ev->duration_ms = e->now - w->since;
  }
  offer_unlink(e, c, w);
  if (miss >= 0)
    cc_exclude_agent(e, c, a);
  work_unlink(e, w);
  /* Back to its place first, so that a presence change below (no-answer) sees it waiting
   * when the queue's leave-empty rule is checked. */
  int back = reroute && !c->n_offers;
  if (back) {
    if (direct && c->q->removed) {
      cc_contact_leave_for_good(e, c, CCENTER_OUTCOME_REMOVED);
      cc_contact_maybe_done(e, c);
      back = 0;
    } else if (direct) {
      cc_contact_enter_queue(e, c, c->q, e->now, 1);
      cc_emit_queued(e, c, CCENTER_EV_CONTACT_QUEUED, NULL);
    } else {
      queue_insert(e, c);
    }
  }
  if (miss > 0) {
    a->missed_in_row++;
    if (e->max_no_answer > 0 && a->missed_in_row >= (unsigned)e->max_no_answer &&
        a->state == CCENTER_AGENT_READY) {
      if (cc_agent_work(a)) {
        /* out of the indexes before the contact is routed again */
        cc_pend_not_ready(e, a, NULL, CCENTER_CAUSE_NO_ANSWER);
      } else {
        a->pending = NULL; /* no-answer wins over a NOT_READY that was pending */
        a->pending_nr = 0;
        cc_set_presence(e, a, CCENTER_AGENT_NOT_READY, NULL, CCENTER_CAUSE_NO_ANSWER);
      }
    }
  }
  if (back && c->in_queue) {
    if (c->max_wait_due && !direct)
      cc_apply_max_wait(e, c);
    else
      cc_route_contact(e, c);
  }
  agent_after_work(e, a);
}

void cc_set_presence(ccenter_engine *e, agent *a, ccenter_agent_state st,
                     const char *reason, ccenter_cause cause)
{
  ccenter_agent_state prev = a->state;
  int64_t in_prev = e->now - a->state_since;
  int was_in = prev != CCENTER_AGENT_LOGGED_OUT, now_in = st != CCENTER_AGENT_LOGGED_OUT;
  int was_ready = prev == CCENTER_AGENT_READY, now_ready = st == CCENTER_AGENT_READY;
  const char *new_reason = st == CCENTER_AGENT_NOT_READY ? reason : NULL;
  uint8_t new_cause = st == CCENTER_AGENT_NOT_READY ? (uint8_t)cause : 0;
  /* A new reason starts a new stretch: durations and reports are per reason. */
  if (prev != st || new_reason != a->reason || new_cause != a->cause)
    a->state_since = e->now;
  a->state = st;
  a->reason = new_reason;
  a->cause = new_cause;
  if (now_ready && !was_ready && !cc_agent_work(a))
    a->idle_since = e->now;
  for (size_t i = 0; i < a->n_mem; i++) {
    queue *q = a->mem[i]->q;
    q->n_logged_in += now_in - was_in;
    q->n_ready += now_ready - was_ready;
  }
  ccenter_event *ev = ev_agent(e, CCENTER_EV_AGENT_STATE, a);
  if (ev) {
    ev->state = st;
    ev->prev_state = prev;
    ev->reason = a->reason;
    ev->cause = (ccenter_cause)a->cause;
    ev->duration_ms = in_prev;
    if (!now_in)
      ev->session_ms = e->now - a->login_at;
  }
  cc_route_refresh(e, a);
  if ((was_in && !now_in) || (was_ready && !now_ready))
    for (size_t i = 0; i < a->n_mem; i++)
      cc_check_leave_empty(e, a->mem[i]->q);
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

void cc_apply_max_wait(ccenter_engine *e, contact *c)
{
  queue *q = c->q;
  c->max_wait_due = 0;
  if (q->max_wait_action == CCENTER_MAX_WAIT_CALLBACK) {
    if (!c->callback_offered) {
      c->callback_offered = 1;
      ccenter_event *ev = ev_contact(e, CCENTER_EV_CONTACT_CALLBACK_OFFER, c, NULL);
      if (ev)
        ev->wait_ms = e->now - c->enq_at;
    }
    cc_route_contact(e, c);
    return;
  }
  queue *t = q->overflow;
  if (q->max_wait_action == CCENTER_MAX_WAIT_OVERFLOW && t && !t->removed &&
      (t->max_length == 0 || t->n_waiting < (uint64_t)t->max_length)) {
    ccenter_event *ev = ev_contact(e, CCENTER_EV_CONTACT_OVERFLOWED, c, NULL);
    if (ev) {
      ev_set_queue_to(ev, t);
      ev->wait_ms = e->now - c->enq_at;
    }
    queue_take(e, c);
    cc_contact_enter_queue(e, c, t, e->now, 1);
    cc_queued_then_route(e, c);
    return;
  }
  cc_contact_leave_for_good(e, c, CCENTER_OUTCOME_TIMED_OUT);
  cc_contact_maybe_done(e, c);
}

static work *work_of(agent *a, contact *c)
{
  for (work *w = a->works; w; w = w->next)
    if (w->c == c && w->state != W_WRAP)
      return w;
  return NULL;
}

static void default_agent(agent *a)
{
  static const uint8_t caps[NCH] = {1, 3, 5, 5, 1, 1};
  memcpy(a->cap, caps, sizeof caps);
  /* Voice and callback exclude every other channel; the rest mix. */
  uint8_t mixers = (1u << CCENTER_CHANNEL_CHAT) | (1u << CCENTER_CHANNEL_EMAIL) |
                   (1u << CCENTER_CHANNEL_SMS) | (1u << CCENTER_CHANNEL_TASK);
  for (int b = 0; b < NCH; b++)
    a->overlap[b] = (b == CCENTER_CHANNEL_VOICE || b == CCENTER_CHANNEL_CALLBACK) ? 0 : mixers;
  a->wrap_override = -2;
  a->mem = a->mem_in;
  a->cap_mem = AGENT_MEM_INLINE;
}

/* Room for need memberships in a->mem: past the agent's own slots, an array of exactly
 * that size. 0 or CCENTER_ENOMEM (nothing changed). */
static int mem_reserve(ccenter_engine *e, agent *a, size_t need)
{
  if (need <= a->cap_mem)
    return 0;
  if (need > UINT32_MAX)
    return CCENTER_ENOMEM;
  membership **v = a->mem == a->mem_in ? cc_malloc(&e->alloc, need * sizeof *v)
                                        : cc_realloc(&e->alloc, a->mem, need * sizeof *v);
  if (!v)
    return CCENTER_ENOMEM;
  if (a->mem == a->mem_in)
    memcpy(v, a->mem_in, a->n_mem * sizeof *v);
  a->mem = v;
  a->cap_mem = (uint32_t)need;
  return 0;
}

int cc_op_agent_add(ccenter_engine *e, const cc_jrec *r)
{
  if (find_agent(e, r->s[0]))
    return CCENTER_EEXIST;
  if (cc_map_reserve(&e->agents, &e->alloc, 1))
    return CCENTER_ENOMEM;
  char *own_id;
  agent *a = cc_obj_new(e, sizeof *a, r->s[0], &own_id);
  if (!a)
    return CCENTER_ENOMEM;
  a->id = own_id;
  a->user = r->user_data;
  a->seq = ++e->agent_seq;
  a->state = CCENTER_AGENT_LOGGED_OUT;
  a->state_since = a->idle_since = e->now;
  default_agent(a);
  cc_map_put(&e->agents, &e->alloc, a->id, a);
  return 0;
}

void cc_free_agent(ccenter_engine *e, agent *a)
{
  cc_free(&e->alloc, a->skills);
  cc_free(&e->alloc, a->attrs);
  cc_free(&e->alloc, a->preferring);
  if (a->mem != a->mem_in)
    cc_free(&e->alloc, a->mem);
  cc_obj_free(e, a->id, sizeof *a);
}

void cc_unserve(ccenter_engine *e, membership *m)
{
  agent *a = m->a;
  queue *q = m->q;
  ccenter_event *ev = ev_agent(e, CCENTER_EV_AGENT_SERVE, a);
  if (ev) {
    ev_set_queue(ev, q);
    ev->serving = 0;
    ev->state = a->state;
  }
  cc_queue_delay_del(q, m->delay);
  q->members[m->q_index] = q->members[--q->n_members];
  q->members[m->q_index]->q_index = m->q_index;
  for (size_t i = 0; i < a->n_mem; i++)
    if (a->mem[i] == m) {
      memmove(&a->mem[i], &a->mem[i + 1], (a->n_mem - i - 1) * sizeof *a->mem);
      a->n_mem--;
      break;
    }
  if (a->state != CCENTER_AGENT_LOGGED_OUT)
    q->n_logged_in--;
  if (a->state == CCENTER_AGENT_READY)
    q->n_ready--;
  cc_member_free(e, m);
}

int cc_op_agent_remove(ccenter_engine *e, agent *a)
{
  if (a->state != CCENTER_AGENT_LOGGED_OUT || cc_agent_work(a))
    return CCENTER_EBUSY;
  while (a->n_mem) {
    queue *q = a->mem[0]->q;
    cc_unserve(e, a->mem[0]);
    cc_check_leave_empty(e, q);
  }
  cc_map_del(&e->agents, a->id);
  cc_bury(e, a, 0);
  return 0;
}

int cc_op_login(ccenter_engine *e, agent *a)
{
  if (a->state != CCENTER_AGENT_LOGGED_OUT)
    return CCENTER_ESTATE;
  a->missed_in_row = 0;
  a->login_at = e->now;
  a->handled_since_login = 0;
  a->talk_since_login = 0;
  cc_set_presence(e, a, CCENTER_AGENT_NOT_READY, NULL, CCENTER_CAUSE_LOGIN);
  return 0;
}

int cc_op_logout(ccenter_engine *e, agent *a)
{
  if (a->state == CCENTER_AGENT_LOGGED_OUT || a->pending_logout)
    return CCENTER_ESTATE;
  a->pending_logout = 1;
  a->pending = NULL;
  a->pending_nr = 0;
  cc_route_refresh(e, a);
  work *w = a->works;
  while (w) {
    work *next = w->next;
    if (w->state == W_RINGING) {
      if (w->consult) {
        w->c->consult = w;
        cc_end_consult(e, w->c, CCENTER_CAUSE_AGENT_LOGOUT);
      } else {
        cc_withdraw(e, w, CCENTER_CAUSE_AGENT_LOGOUT, -1, 1);
      }
      next = a->works; /* the list changed under us; ringing works are few */
    }
    w = next;
  }
  if (a->pending_logout && cc_agent_work(a)) {
    pending_event(e, a, NULL, CCENTER_CAUSE_NONE, CCENTER_AGENT_LOGGED_OUT);
  } else if (a->pending_logout) {
    a->pending_logout = 0;
    cc_set_presence(e, a, CCENTER_AGENT_LOGGED_OUT, NULL, CCENTER_CAUSE_NONE);
  }
  return 0;
}

int cc_op_ready(ccenter_engine *e, agent *a)
{
  if (a->state == CCENTER_AGENT_LOGGED_OUT || a->pending_logout)
    return CCENTER_ESTATE;
  a->missed_in_row = 0;
  if (a->state == CCENTER_AGENT_READY) {
    if (a->pending_nr) {
      a->pending = NULL;
      a->pending_nr = 0;
      a->pending_cause = 0;
      pending_event(e, a, NULL, CCENTER_CAUSE_NONE, CCENTER_AGENT_READY);
    }
  } else {
    cc_set_presence(e, a, CCENTER_AGENT_READY, NULL, CCENTER_CAUSE_NONE);
  }
  cc_route_agent(e, a);
  return 0;
}

int cc_op_not_ready(ccenter_engine *e, agent *a, const char *reason)
{
  if (a->state == CCENTER_AGENT_LOGGED_OUT || a->pending_logout)
    return CCENTER_ESTATE;
  const char *r = reason ? cc_eng_intern(e, reason) : NULL;
  if (reason && !r)
    return CCENTER_ENOMEM;
  if (a->state == CCENTER_AGENT_READY && cc_agent_work(a)) {
    cc_pend_not_ready(e, a, r, CCENTER_CAUSE_NONE);
    return 0;
  }
  cc_set_presence(e, a, CCENTER_AGENT_NOT_READY, r, CCENTER_CAUSE_NONE);
  return 0;
}

static membership *find_membership(agent *a, queue *q)
{
  for (size_t i = 0; i < a->n_mem; i++)
    if (a->mem[i]->q == q)
      return a->mem[i];
  return NULL;
}

/* Keeps a->mem in descending routing-profile priority after m's priority was set: an agent
 * looking for work can then pass over its lower-priority queues without reading them. */
static void mem_order(agent *a, membership *m)
{
  size_t i = 0;
  while (a->mem[i] != m)
    i++;
  while (i > 0 && a->mem[i - 1]->priority < m->priority) {
    a->mem[i] = a->mem[i - 1];
    a->mem[--i] = m;
  }
  while (i + 1 < a->n_mem && a->mem[i + 1]->priority > m->priority) {
    a->mem[i] = a->mem[i + 1];
    a->mem[++i] = m;
  }
}

int cc_op_serve(ccenter_engine *e, agent *a, queue *q, int64_t prio, int64_t delay,
                int64_t reserve)
{
  membership *m = find_membership(a, q);
  if (m) {
    if (delay != m->delay && cc_queue_delay_add(e, q, delay))
      return CCENTER_ENOMEM;
    if (delay != m->delay)
      cc_queue_delay_del(q, m->delay);
    m->priority = (int16_t)prio;
    m->delay = (int32_t)delay;
    m->reserve = reserve != 0;
    mem_order(a, m);
    cc_route_agent(e, a);
    return 0;
  }
  if (mem_reserve(e, a, (size_t)a->n_mem + 1) ||
      cc_grow(&e->alloc, (void **)&q->members, &q->cap_members, q->n_members + 1,
              sizeof *q->members))
    return CCENTER_ENOMEM;
  m = cc_member_new(e, a, q);
  if (!m)
    return CCENTER_ENOMEM;
  m->priority = (int16_t)prio;
  m->delay = (int32_t)delay;
  m->reserve = reserve != 0;
  if (cc_queue_delay_add(e, q, delay)) {
    cc_member_free(e, m);
    return CCENTER_ENOMEM;
  }
  m->ordinal = ++q->next_ordinal;
  m->q_index = (uint32_t)q->n_members;
  q->members[q->n_members++] = m;
  a->mem[a->n_mem++] = m;
  mem_order(a, m);
  if (a->state != CCENTER_AGENT_LOGGED_OUT)
    q->n_logged_in++;
  if (a->state == CCENTER_AGENT_READY)
    q->n_ready++;
  ccenter_event *ev = ev_agent(e, CCENTER_EV_AGENT_SERVE, a);
  if (ev) {
    ev_set_queue(ev, q);
    ev->serving = 1;
    ev->state = a->state;
  }
  cc_route_agent(e, a);
  return 0;
}

int cc_op_unserve(ccenter_engine *e, agent *a, queue *q)
{
  membership *m = find_membership(a, q);
  if (!m)
    return CCENTER_ENOENT;
  cc_unserve(e, m);
  cc_check_leave_empty(e, q);
  return 0;
}

/* The agent's skills or attributes (arr, *n) just changed: its indexes follow and it is
 * routed, or — out of memory — arr is put back as it was (before[n_before]). */
static int rematch_or_restore(ccenter_engine *e, agent *a, void *arr, uint32_t *n,
                              const void *before, size_t n_before, size_t elem)
{
  int rc = cc_route_rematch(e, a);
  if (rc) {
    if (n_before)
      memcpy(arr, before, n_before * elem);
    *n = (uint32_t)n_before;
    cc_route_refresh(e, a);
    return rc;
  }
  cc_route_agent(e, a);
  return 0;
}

int cc_op_set_skill(ccenter_engine *e, agent *a, const char *name, int64_t level)
{
  const char *k = cc_eng_intern(e, name);
  if (!k)
    return CCENTER_ENOMEM;
  size_t i = 0;
  while (i < a->n_skills && (uintptr_t)a->skills[i].name < (uintptr_t)k)
    i++;
  int present = i < a->n_skills && a->skills[i].name == k;
  cc_skill before[64]; /* to restore if the indexes cannot follow */
  size_t n_before = a->n_skills;
  if (n_before)
    memcpy(before, a->skills, n_before * sizeof *before);
  if (level == 0) {
    if (!present)
      return 0;
    memmove(&a->skills[i], &a->skills[i + 1], (a->n_skills - i - 1) * sizeof *a->skills);
    a->n_skills--;
  } else if (present) {
    a->skills[i].level = (uint8_t)level;
  } else {
    if (a->n_skills == 64)
      return CCENTER_EFULL;
    size_t old = a->cap_skills;
    if (cc_grow_exact(&e->alloc, (void **)&a->skills, &a->cap_skills, a->n_skills + 1,
                sizeof *a->skills))
      return CCENTER_ENOMEM;
    e->bytes += (a->cap_skills - old) * sizeof *a->skills;
    memmove(&a->skills[i + 1], &a->skills[i], (a->n_skills - i) * sizeof *a->skills);
    a->skills[i].name = k;
    a->skills[i].level = (uint8_t)level;
    a->n_skills++;
  }
  return rematch_or_restore(e, a, a->skills, &a->n_skills, before, n_before, sizeof *before);
}

int cc_op_set_attr(ccenter_engine *e, agent *a, const char *key, const char *value)
{
  const char *k = cc_eng_intern(e, key);
  const char *v = value ? cc_eng_intern(e, value) : NULL;
  if (!k || (value && !v))
    return CCENTER_ENOMEM;
  size_t i = 0;
  while (i < a->n_attrs && (uintptr_t)a->attrs[i].key < (uintptr_t)k)
    i++;
  int present = i < a->n_attrs && a->attrs[i].key == k;
  cc_attr_kv before[32]; /* to restore if the indexes cannot follow */
  size_t n_before = a->n_attrs;
  if (n_before)
    memcpy(before, a->attrs, n_before * sizeof *before);
  if (!v) {
    if (!present)
      return 0;
    memmove(&a->attrs[i], &a->attrs[i + 1], (a->n_attrs - i - 1) * sizeof *a->attrs);
    a->n_attrs--;
  } else if (present) {
    a->attrs[i].value = v;
  } else {
    if (a->n_attrs == 32)
      return CCENTER_EFULL;
    size_t old = a->cap_attrs;
    if (cc_grow_exact(&e->alloc, (void **)&a->attrs, &a->cap_attrs, a->n_attrs + 1,
                      sizeof *a->attrs))
      return CCENTER_ENOMEM;
    e->bytes += (a->cap_attrs - old) * sizeof *a->attrs;
    memmove(&a->attrs[i + 1], &a->attrs[i], (a->n_attrs - i) * sizeof *a->attrs);
    a->attrs[i].key = k;
    a->attrs[i].value = v;
    a->n_attrs++;
  }
  return rematch_or_restore(e, a, a->attrs, &a->n_attrs, before, n_before, sizeof *before);
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
  for (cc_tnode *t = cc_treap_first(&q->waiting); t; t = cc_treap_next(t))
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
  char *own_id;
  queue *q = cc_obj_new(e, sizeof *q, id, &own_id);
  if (!q)
    return CCENTER_ENOMEM;
  q->id = own_id;
  q->user = user_data;
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
  /* Ranked (positions), and the first kept: taking the first contact, as routing mostly
   * does, then touches no other contact's node on the way up (core/treap.c). */
  cc_treap_init_2(&q->waiting, cc_cmp_contact, CC_TREAP_SIZES | CC_TREAP_FIRST);
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

/* Each queue option: its field and its range (the defaults are set by cc_op_queue_add). */
#define QOPT(f, l, h) {offsetof(queue, f), (l), (h), 1}
static const struct qopt {
  size_t off;
  int64_t lo, hi;
  int known;
} qopts[] = {
    [CCENTER_QUEUE_MAX_LENGTH] = QOPT(max_length, 0, 100000000),
    [CCENTER_QUEUE_JOIN_EMPTY] = QOPT(join_empty, 0, CCENTER_EMPTY_NOT_READY),
    [CCENTER_QUEUE_LEAVE_EMPTY] = QOPT(leave_empty, 0, CCENTER_EMPTY_NOT_READY),
    [CCENTER_QUEUE_MAX_WAIT] = QOPT(max_wait, 0, 365 * DAY_MS),
    [CCENTER_QUEUE_MAX_WAIT_ACTION] = QOPT(max_wait_action, 0, CCENTER_MAX_WAIT_CALLBACK),
    [CCENTER_QUEUE_RING_TIMEOUT] = QOPT(ring_timeout, 0, 365 * DAY_MS),
    [CCENTER_QUEUE_WRAP_UP] = QOPT(wrap_up, -1, 365 * DAY_MS),
    [CCENTER_QUEUE_ANNOUNCE_EVERY] = QOPT(announce_every, 0, 365 * DAY_MS),
    [CCENTER_QUEUE_SL_THRESHOLD] = QOPT(sl_threshold, 1, DAY_MS),
    [CCENTER_QUEUE_SL_TARGET] = QOPT(sl_target, 0, 10000),
    [CCENTER_QUEUE_SL_WARNING] = QOPT(sl_warning, 0, 99),
    [CCENTER_QUEUE_CALLBACK_EWT] = QOPT(callback_ewt, 0, 365 * DAY_MS),
    [CCENTER_QUEUE_STRATEGY] = QOPT(strategy, 0, CCENTER_STRATEGY_RING_PROGRESSIVE),
    [CCENTER_QUEUE_RING_EVERY] = QOPT(progressive_every, 1, DAY_MS),
    [CCENTER_QUEUE_PREFERRED_TIMEOUT] = QOPT(preferred_timeout, 0, DAY_MS),
    [CCENTER_QUEUE_STICKY_WINDOW] = QOPT(sticky_window, 0, 365 * DAY_MS),
    [CCENTER_QUEUE_AGEING] = QOPT(ageing, 0, DAY_MS),
    [CCENTER_QUEUE_RESERVE_WAIT] = QOPT(reserve_wait, 0, DAY_MS),
    [CCENTER_QUEUE_RESERVE_EWT] = QOPT(reserve_ewt, 0, DAY_MS),
    [CCENTER_QUEUE_RESERVE_SL] = QOPT(reserve_sl, 0, 10000),
};
#undef QOPT

static const struct qopt *qopt_of(int64_t opt)
{
  if (opt < 0 || (uint64_t)opt >= sizeof qopts / sizeof qopts[0] || !qopts[opt].known)
    return NULL;
  return &qopts[opt];
}

int cc_op_queue_set(ccenter_engine *e, queue *q, int64_t opt, int64_t v)
{
  const struct qopt *o = qopt_of(opt);
  if (!o)
    return CCENTER_EINVAL;
  int64_t *field = (int64_t *)(void *)((char *)q + o->off);
  if (v < o->lo || v > o->hi)
    return CCENTER_ERANGE;
  int64_t old = *field;
  *field = v;
  if (opt == CCENTER_QUEUE_SL_THRESHOLD || opt == CCENTER_QUEUE_SL_TARGET ||
      opt == CCENTER_QUEUE_SL_WARNING)
    e->sla_version++;
  if (opt == CCENTER_QUEUE_STRATEGY && old != v)
    for (size_t i = 0; i < q->n_members; i++)
      cc_route_refresh(e, q->members[i]->a);
  if (opt == CCENTER_QUEUE_AGEING && old != v)
    rekey_waiting(e, q);
  if (opt == CCENTER_QUEUE_STICKY_WINDOW && v > e->sticky_max)
    e->sticky_max = v;
  if (opt == CCENTER_QUEUE_RESERVE_WAIT || opt == CCENTER_QUEUE_RESERVE_EWT ||
      opt == CCENTER_QUEUE_RESERVE_SL) {
    /* Only reserve members' eligibility changed: route them at the end of the call. */
    cc_update_reserve(e, q);
    cc_kick_reserve(e, q);
  }
  if (opt == CCENTER_QUEUE_LEAVE_EMPTY) {
    if (ev_reserve(e, 2 * (size_t)q->n_waiting + 1))
      return CCENTER_ENOMEM;
    cc_check_leave_empty(e, q);
  }
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

int cc_params_valid(const ccenter_contact_params *p)
{
  if (!p)
    return 1;
  if (p->size < sizeof(ccenter_contact_params))
    return 0;
  if ((int)p->channel < 0 || p->channel >= NCH)
    return 0;
  if (p->priority < -PRIORITY_LIMIT || p->priority > PRIORITY_LIMIT)
    return 0;
  if (p->customer && !cc_valid_id(p->customer))
    return 0;
  if (p->n_attrs && !p->attrs)
    return 0;
  if (p->n_attrs > 64)
    return 0;
  for (size_t i = 0; i < p->n_attrs; i++) {
    if (!cc_valid_id(p->attrs[i].key) || !p->attrs[i].value ||
        strnlen(p->attrs[i].value, 4096) >= 4096)
      return 0;
    for (size_t j = 0; j < i; j++)
      if (strcmp(p->attrs[i].key, p->attrs[j].key) == 0)
        return 0;
  }
  if (p->n_steps > MAX_STEPS || (p->n_steps && !p->steps))
    return 0;
  for (size_t i = 0; i < p->n_steps; i++)
    if (!p->steps[i].requirement || strnlen(p->steps[i].requirement, 4097) > 4096 ||
        p->steps[i].duration_ms < 1 || p->steps[i].duration_ms > DAY_MS)
      return 0;
  if (p->n_preferred > MAX_PREFERRED || (p->n_preferred && !p->preferred))
    return 0;
  for (size_t i = 0; i < p->n_preferred; i++)
    if (!cc_valid_id(p->preferred[i]))
      return 0;
  if (p->preferred_timeout_ms < -1 || p->preferred_timeout_ms > DAY_MS)
    return 0;
  return 1;
}

static size_t contact_size(const contact *c)
{
  size_t n = sizeof *c + strlen(c->id) + 1 + (c->customer ? strlen(c->customer) + 1 : 0);
  n += c->n_attrs * sizeof(ccenter_attr);
  for (size_t i = 0; i < c->n_attrs; i++)
    n += strlen(c->attrs[i].key) + strlen(c->attrs[i].value) + 2;
  return n + c->cap_rej * sizeof(rejection);
}

/* Frees what a contact owns apart from its queue and steps. */
/* An object freed while an observer still holds a record in its slot: the object's end
 * was never delivered (the engine is being freed, or an event was lost to memory). */
static void obs_gone(ccenter_engine *e, cc_obj_kind kind, cc_obj *o)
{
  for (size_t i = 0; i < e->n_obs; i++)
    if (e->obs[i].vt->on_free && e->obs[i].slot >= 0 && o->slot[e->obs[i].slot])
      e->obs[i].vt->on_free(e->obs[i].ud, kind, o->slot[e->obs[i].slot]);
}

static void free_contact_memory(ccenter_engine *e, contact *c)
{
  obs_gone(e, CC_OBJ_CONTACT, (cc_obj *)c);
  prefer_clear(e, c);
  cc_free(&e->alloc, c->rej);
  cc_free(&e->alloc, c->attrs);
  cc_free(&e->alloc, c->customer);
  cc_obj_free(e, c->id, sizeof *c);
}

void cc_free_contact(ccenter_engine *e, contact *c)
{
  queue *q = c->q;
  e->bytes -= contact_size(c) - sizeof *c;
  cc_stepset_put(e, q, c->steps);
  free_contact_memory(e, c);
  q_unref(e, q);
}

/* The contact's own steps and preferred agents (explicit, or sticky by customer). Changes
 * nothing on failure. */
static int contact_routing_params(ccenter_engine *e, contact *c, queue *q,
                                  const ccenter_contact_params *p)
{
  if (p->n_steps) {
    stepset *ss = cc_eng_alloc(e, sizeof *ss + p->n_steps * sizeof(step));
    if (!ss)
      return CCENTER_ENOMEM;
    ss->refs = 1;
    ss->cap = (uint32_t)p->n_steps;
    for (size_t i = 0; i < p->n_steps; i++) {
      cc_req_error err;
      int rc = cc_class_get(e, q, p->steps[i].requirement, &ss->s[i].k, &err);
      if (rc) {
        if (rc == CCENTER_ESYNTAX)
          cc_logf(&e->log, CCENTER_LOG_WARN, "contact %s step %zu: %zu: %s", c->id, i + 1,
                  err.offset, err.msg);
        ss->n = i;
        cc_stepset_put(e, q, ss);
        return rc;
      }
      ss->s[i].duration = p->steps[i].duration_ms;
      ss->n = i + 1;
    }
    c->steps = ss;
  }
  int64_t timeout = p->preferred_timeout_ms >= 0 ? p->preferred_timeout_ms : q->preferred_timeout;
  const char *const *names = p->preferred;
  size_t n = p->n_preferred;
  const char *sticky_agent = NULL;
  if (!n && q->sticky_window > 0 && c->customer) {
    sticky *st = cc_map_get(&e->customers, c->customer);
    if (st && e->now - st->at <= q->sticky_window) {
      sticky_agent = st->agent;
      names = &sticky_agent;
      n = 1;
    }
  }
  if (n && timeout > 0) {
    c->preferred = cc_calloc(&e->alloc, n, sizeof *c->preferred);
    if (!c->preferred)
      goto nomem;
    for (size_t i = 0; i < n; i++) {
      if (!(c->preferred[i] = cc_strdup(&e->alloc, names[i])))
        goto nomem;
      c->n_preferred = i + 1;
    }
    c->preferred_until = e->now + timeout;
  }
  return 0;
nomem:
  prefer_clear(e, c);
  cc_stepset_put(e, q, c->steps);
  c->steps = NULL;
  return CCENTER_ENOMEM;
}

/* Remembers who served a customer, for the sticky-agent rule. */
void cc_remember_sticky(ccenter_engine *e, contact *c, agent *a)
{
  if (!c->customer || e->sticky_max <= 0)
    return;
  sticky *st = cc_map_get(&e->customers, c->customer);
  if (st) {
    char *ag = cc_strdup(&e->alloc, a->id);
    if (ag) {
      cc_free(&e->alloc, st->agent);
      st->agent = ag;
      st->at = e->now;
    }
    return;
  }
  if (e->customers.len >= e->sticky_prune_at) {
    /* Forget customers older than any queue's window; amortised over the growth. */
    size_t it = 0;
    sticky *old;
    while ((old = cc_map_next(&e->customers, &it)))
      if (e->now - old->at > e->sticky_max) {
        cc_map_del(&e->customers, old->customer);
        cc_free(&e->alloc, old->customer);
        cc_free(&e->alloc, old->agent);
        cc_free(&e->alloc, old);
        it = 0; /* deletion shifts entries: restart */
      }
    e->sticky_prune_at = 2 * e->customers.len + 1024;
  }
  st = cc_calloc(&e->alloc, 1, sizeof *st);
  char *cu = st ? cc_strdup(&e->alloc, c->customer) : NULL;
  char *ag = cu ? cc_strdup(&e->alloc, a->id) : NULL;
  if (!ag || cc_map_put(&e->customers, &e->alloc, cu, st)) {
    cc_free(&e->alloc, ag);
    cc_free(&e->alloc, cu);
    cc_free(&e->alloc, st);
    return; /* the sticky rule is a preference: losing one under memory pressure is safe */
  }
  st->customer = cu;
  st->agent = ag;
  st->at = e->now;
}

void cc_eng_step_event(ccenter_engine *e, contact *c)
{
  ccenter_event *ev = ev_contact(e, CCENTER_EV_STEP, c, NULL);
  if (ev) {
    ev->step = (int)c->step;
    ev->wait_ms = e->now - c->enq_at;
  }
}

int cc_op_enqueue(ccenter_engine *e, const cc_jrec *r)
{
  const char *id = r->s[0];
  queue *q = find_queue(e, r->s[1]);
  if (find_contact(e, id))
    return CCENTER_EEXIST;
  if (!q)
    return CCENTER_ENOENT;
  if (q->max_length && q->n_waiting >= (uint64_t)q->max_length)
    return CCENTER_EFULL;
  if (cc_empty_by_rule(q, q->join_empty))
    return CCENTER_ENOAGENTS;
  ccenter_contact_params def;
  ccenter_contact_params_init(&def);
  const ccenter_contact_params *p = r->params ? r->params : &def;
  if (cc_map_reserve(&e->contacts, &e->alloc, 1))
    return CCENTER_ENOMEM;
  char *own_id;
  contact *c = cc_obj_new(e, sizeof *c, id, &own_id);
  if (!c)
    return CCENTER_ENOMEM;
  c->id = own_id;
  c->user = p->user_data;
  c->customer = p->customer ? cc_strdup(&e->alloc, p->customer) : NULL;
  size_t ablock = p->n_attrs * sizeof(ccenter_attr);
  for (size_t i = 0; i < p->n_attrs; i++)
    ablock += strlen(p->attrs[i].key) + strlen(p->attrs[i].value) + 2;
  c->attrs = p->n_attrs ? cc_malloc(&e->alloc, ablock) : NULL;
  if ((p->customer && !c->customer) || (p->n_attrs && !c->attrs)) {
    free_contact_memory(e, c);
    return CCENTER_ENOMEM;
  }
  char *sp = (char *)(c->attrs + p->n_attrs);
  for (size_t i = 0; i < p->n_attrs; i++) {
    size_t kl = strlen(p->attrs[i].key) + 1, vl = strlen(p->attrs[i].value) + 1;
    memcpy(sp, p->attrs[i].key, kl);
    c->attrs[i].key = sp;
    sp += kl;
    memcpy(sp, p->attrs[i].value, vl);
    c->attrs[i].value = sp;
    sp += vl;
  }
  c->n_attrs = p->n_attrs;
  c->seq = ++e->contact_seq;
  c->channel = p->channel;
  c->priority = p->priority;
  c->emergency = p->emergency != 0;
  c->survey = -1;
  c->max_wait_at = -1;
  c->preferred_until = -1;
  int rc = contact_routing_params(e, c, q, p);
  if (rc) {
    free_contact_memory(e, c);
    return rc;
  }
  e->bytes += contact_size(c) - sizeof *c;
  cc_map_put(&e->contacts, &e->alloc, c->id, c);
  q_ref(q);
  c->q = q;
  if (!c->steps && q->steps) {
    c->steps = q->steps;
    q->steps->refs++;
  }
  cc_contact_enter_queue(e, c, q, e->now, 1);
  cc_update_reserve(e, q);
  int64_t ewt = cc_queued_then_route(e, c);
  if (c->in_queue)
    cc_maybe_offer_callback(e, c, ewt);
  return 0;
}

int cc_op_accept(ccenter_engine *e, agent *a, contact *c)
{
  work *w = work_of(a, c);
  if (!w || w->state != W_RINGING)
    return CCENTER_ESTATE;
  cc_eng_disarm(e, &w->timer);
  int64_t ring_ms = e->now - w->since;
  w->state = W_CONNECTED;
  w->since = w->connected_at = e->now;
  a->n_offered--;
  a->n_connected++;
  a->missed_in_row = 0;
  if (w->consult) {
    ccenter_event *ev = ev_contact(e, CCENTER_EV_CONSULT_CONNECTED, c,
                                   c->primary ? c->primary->a : NULL);
    if (ev)
      ev_set_agent_to(ev, a);
    return 0;
  }
  offer_unlink(e, c, w);
  while (c->offers)
    cc_withdraw(e, c->offers, CCENTER_CAUSE_ANSWERED_ELSEWHERE, -1, 0);
  set_primary(c, w);
  cc_route_stop(e, c);
  cc_remember_sticky(e, c, a);
  cc_eng_disarm(e, &c->max_wait_timer);
  cc_eng_disarm(e, &c->announce_timer);
  cc_eng_disarm(e, &c->sla_timer);
  c->max_wait_due = 0;
  if (!c->answered)
    cc_sl_sample(e, c->q, e->now - c->enq_at <= c->q->sl_threshold);
  c->answered = 1;
  c->answered_wait = e->now - c->enq_at;
  ccenter_event *ev = ev_contact(e, CCENTER_EV_CONTACT_CONNECTED, c, a);
  if (ev) {
    ev->wait_ms = c->answered_wait;
    ev->duration_ms = ring_ms;
  }
  cc_route_refresh(e, a);
  return 0;
}

int cc_op_reject_or_miss(ccenter_engine *e, agent *a, contact *c, int miss)
{
  work *w = work_of(a, c);
  if (!w || w->state != W_RINGING)
    return CCENTER_ESTATE;
  if (!w->consult && e->reject_delay > 0 && cc_reserve_exclusion(e, c))
    return CCENTER_ENOMEM;
  ccenter_cause cause = miss ? CCENTER_CAUSE_MISSED : CCENTER_CAUSE_REJECTED;
  if (w->consult) {
    cc_end_consult(e, c, cause);
    return 0;
  }
  cc_withdraw(e, w, cause, miss, 1);
  return 0;
}

int cc_op_abandon(ccenter_engine *e, contact *c, ccenter_outcome outcome)
{
  if (!c->in_queue && !c->n_offers)
    return CCENTER_ESTATE;
  while (c->offers)
    cc_withdraw(e, c->offers,
             outcome == CCENTER_OUTCOME_ABANDONED ? CCENTER_CAUSE_ABANDONED : CCENTER_CAUSE_REMOVED,
             -1, 0);
  cc_contact_leave_for_good(e, c, outcome);
  cc_contact_maybe_done(e, c);
  return 0;
}

int cc_op_end(ccenter_engine *e, contact *c, int64_t party)
{
  if (!connected(c))
    return CCENTER_ESTATE;
  cc_end_consult(e, c, CCENTER_CAUSE_CONVERSATION_ENDED);
  work *w = c->primary;
  ccenter_event *ev = ev_contact(e, CCENTER_EV_CONVERSATION_ENDED, c, c->primary_agent);
  if (ev) {
    ev->duration_ms = e->now - w->connected_at;
    ev->party = (ccenter_party)party;
  }
  c->outcome = CCENTER_OUTCOME_HANDLED;
  cc_leg_to_wrap(e, c);
  cc_contact_maybe_done(e, c);
  return 0;
}

int cc_op_hold(ccenter_engine *e, contact *c, int hold)
{
  if (!connected(c) || c->on_hold == hold)
    return CCENTER_ESTATE;
  c->on_hold = hold;
  ccenter_event *ev =
      ev_contact(e, hold ? CCENTER_EV_CONTACT_HELD : CCENTER_EV_CONTACT_RESUMED, c, c->primary->a);
  if (hold)
    c->hold_since = e->now;
  else if (ev)
    ev->duration_ms = e->now - c->hold_since;
  return 0;
}

/* Found through the agent's works by the contact's id: the contact itself may already have
 * ended (abandoned or timed out after a transfer while this agent wraps up). `live` is the
 * contact of that id still in the engine, if any: a work of it matches without reading
 * its id (a cache miss at scale); the others are compared by id, so the match is the
 * same. */
int cc_op_wrap(ccenter_engine *e, agent *a, const contact *live, const char *contact_id,
               int64_t extra)
{
  work *found = NULL;
  for (work *w = a->works; w; w = w->next)
    if (w->state == W_WRAP && (w->c == live || strcmp(w->c->id, contact_id) == 0))
      found = w;
  if (!found)
    return CCENTER_ESTATE;
  if (extra < 0) {
    cc_finish_work(e, found);
    return 0;
  }
  if (found->wrap_deadline < 0)
    return CCENTER_ESTATE;
  cc_eng_disarm(e, &found->timer);
  found->wrap_deadline += extra;
  found->timer = cc_eng_arm(e, found->wrap_deadline, T_WRAP, found);
  return 0;
}

int cc_op_disposition(ccenter_engine *e, contact *c, const char *code, int64_t score)
{
  work *holder = c->primary && c->primary->state == W_CONNECTED ? c->primary : NULL;
  if (!holder && !c->n_wrap)
    return CCENTER_ESTATE;
  const char *k = NULL;
  if (code) {
    k = cc_eng_intern(e, code);
    if (!k)
      return CCENTER_ENOMEM;
  } else {
    c->survey = (int)score;
  }
  ccenter_event *ev = ev_contact(e, CCENTER_EV_DISPOSITION, c, holder ? holder->a : NULL);
  if (ev) {
    ev->reason = k;
    ev->score = code ? -1 : (int)score;
  }
  return 0;
}

int cc_op_transfer_queue(ccenter_engine *e, contact *c, queue *t)
{
  if (!connected(c))
    return CCENTER_ESTATE;
  if (t->max_length && t->n_waiting >= (uint64_t)t->max_length)
    return CCENTER_EFULL;
  if (cc_empty_by_rule(t, t->join_empty))
    return CCENTER_ENOAGENTS;
  cc_end_consult(e, c, CCENTER_CAUSE_TRANSFERRED);
  work *w = c->primary;
  ccenter_event *ev = ev_contact(e, CCENTER_EV_CONTACT_TRANSFERRED, c, w->a);
  if (ev) {
    ev_set_queue_to(ev, t);
    ev->duration_ms = e->now - w->connected_at;
  }
  cc_leg_to_wrap(e, c);
  cc_contact_enter_queue(e, c, t, e->now, 1);
  cc_queued_then_route(e, c);
  return 0;
}

int cc_op_transfer_agent(ccenter_engine *e, contact *c, agent *b)
{
  if (!connected(c) || c->primary->a == b || b->state == CCENTER_AGENT_LOGGED_OUT ||
      b->pending_logout)
    return CCENTER_ESTATE;
  if (!cc_can_take(b, c->channel))
    return CCENTER_ECAPACITY;
  cc_end_consult(e, c, CCENTER_CAUSE_TRANSFERRED);
  work *w = c->primary;
  ccenter_event *ev = ev_contact(e, CCENTER_EV_CONTACT_TRANSFERRED, c, w->a);
  if (ev) {
    ev_set_agent_to(ev, b);
    ev->duration_ms = e->now - w->connected_at;
  }
  cc_leg_to_wrap(e, c);
  c->enq_at = e->now;
  cc_offer(e, c, b, 1);
  return 0;
}

int cc_op_requeue(ccenter_engine *e, contact *c)
{
  if (!connected(c))
    return CCENTER_ESTATE;
  if (c->q->removed)
    return CCENTER_ENOENT;
  if (c->q->max_length && c->q->n_waiting >= (uint64_t)c->q->max_length)
    return CCENTER_EFULL;
  if (e->reject_delay > 0 && cc_reserve_exclusion(e, c))
    return CCENTER_ENOMEM;
  cc_end_consult(e, c, CCENTER_CAUSE_REQUEUED);
  work *w = cc_leg_detach(e, c);
  agent *a = w->a;
  /* The agent who sent it back is not its next agent: kept off for the reject delay. */
  cc_exclude_agent(e, c, a);
  cc_contact_enter_queue(e, c, c->q, c->enq_at, 0);
  /* Back at its original place, with a fresh max wait from now: a caller who was just
   * talking to someone must not time out at once. A callback, as when it first waited,
   * is neither announced nor timed out: nobody holds a line. */
  c->answered = 0;
  if (c->q->announce_every > 0 && !c->is_callback)
    c->announce_timer = cc_eng_arm(e, e->now + c->q->announce_every, T_ANNOUNCE, c);
  if (c->q->max_wait > 0 && !c->is_callback) {
    c->max_wait_at = e->now + c->q->max_wait;
    c->max_wait_timer = cc_eng_arm(e, c->max_wait_at, T_MAXWAIT, c);
  }
  ccenter_event *ev = cc_emit_queued(e, c, CCENTER_EV_CONTACT_REQUEUED, NULL);
  if (ev)
    ev_set_agent(ev, a);
  cc_start_wrap(e, w);
  cc_route_contact(e, c);
  return 0;
}

int cc_op_consult_start(ccenter_engine *e, contact *c, agent *b)
{
  if (!connected(c) || c->consult || c->primary->a == b ||
      b->state == CCENTER_AGENT_LOGGED_OUT || b->pending_logout)
    return CCENTER_ESTATE;
  if (!cc_can_take(b, c->channel))
    return CCENTER_ECAPACITY;
  work *w = cc_work_new(e, b, c, c->q, 1);
  if (!w)
    return CCENTER_ENOMEM;
  c->consult = w;
  int64_t rt = ring_timeout_of(c->q);
  if (rt > 0)
    w->timer = cc_eng_arm(e, e->now + rt, T_RING, w);
  ccenter_event *ev = ev_contact(e, CCENTER_EV_CONSULT_OFFERED, c, c->primary->a);
  if (ev) {
    ev_set_agent_to(ev, b);
    ev->ring_timeout_ms = rt;
  }
  cc_route_refresh(e, b);
  return 0;
}

int cc_op_consult_complete(ccenter_engine *e, contact *c)
{
  if (!connected(c) || !c->consult || c->consult->state != W_CONNECTED)
    return CCENTER_ESTATE;
  work *w = c->primary, *b = c->consult;
  ccenter_event *ev = ev_contact(e, CCENTER_EV_CONTACT_TRANSFERRED, c, w->a);
  if (ev) {
    ev_set_agent_to(ev, b->a);
    ev->duration_ms = e->now - w->connected_at;
  }
  c->consult = NULL;
  cc_leg_to_wrap(e, c);
  b->consult = 0;
  set_primary(c, b);
  return 0;
}

int cc_op_consult_cancel(ccenter_engine *e, contact *c)
{
  if (!c->consult)
    return CCENTER_ESTATE;
  cc_end_consult(e, c, CCENTER_CAUSE_CANCELLED);
  return 0;
}

int cc_op_callback(ccenter_engine *e, contact *c)
{
  if (!c->in_queue || c->is_callback)
    return CCENTER_ESTATE;
  c->is_callback = 1;
  /* The customer's line is released: the contact now needs callback capacity, and has
   * nobody on the line to time out or to announce to. */
  c->channel = CCENTER_CHANNEL_CALLBACK;
  cc_eng_disarm(e, &c->sla_timer);
  cc_eng_disarm(e, &c->max_wait_timer);
  cc_eng_disarm(e, &c->announce_timer);
  c->max_wait_at = -1;
  cc_emit_queued(e, c, CCENTER_EV_CONTACT_CALLBACK_QUEUED, NULL);
  cc_route_contact(e, c);
  return 0;
}

static int op_engine_set(ccenter_engine *e, int64_t opt, int64_t v)
{
  switch (opt) {
  case CCENTER_ENGINE_MAX_NO_ANSWER:
    if (v < 0 || v > 1000)
      return CCENTER_ERANGE;
    e->max_no_answer = v;
    return 0;
  case CCENTER_ENGINE_REJECT_DELAY:
    if (v < 0 || v > DAY_MS)
      return CCENTER_ERANGE;
    e->reject_delay = v;
    return 0;
  case CCENTER_ENGINE_EWT_SAMPLES: {
    if (v < 2 || v > EWT_MAX_SAMPLES)
      return CCENTER_ERANGE;
    e->ewt_samples = v;
    size_t it = 0;
    queue *q;
    while ((q = cc_map_next(&e->queues, &it)))
      q->ewt_n = q->ewt_pos = q->deq_n = q->deq_pos = 0;
    return 0;
  }
  case CCENTER_ENGINE_STATS_INTERVAL:
    if (v < 1000 || v > DAY_MS)
      return CCENTER_ERANGE;
    e->stats_cfg.interval_ms = v;
    return 0;
  case CCENTER_ENGINE_STATS_KEEP:
    if (v < 1 || v > 100000)
      return CCENTER_ERANGE;
    e->stats_cfg.keep = v;
    return 0;
  case CCENTER_ENGINE_SHORT_ABANDON:
    if (v < 0 || v > DAY_MS)
      return CCENTER_ERANGE;
    e->stats_cfg.short_abandon_ms = v;
    return 0;
  case CCENTER_ENGINE_SEED:
    e->rng = v ? (uint64_t)v : 0x9E3779B97F4A7C15ull;
    return 0;
  case CCENTER_ENGINE_REPEAT_WINDOW:
    if (v < 0 || v > 365 * DAY_MS)
      return CCENTER_ERANGE;
    e->stats_cfg.repeat_window_ms = v;
    return 0;
  default:
    return CCENTER_EINVAL;
  }
}

/* Which string arguments each op takes: bit 0..2 = s[0..2] required as ids;
 * bit 3 = s[1] optional id (reason, drain target, overflow target). */
#define S0 1
#define S1 2
#define S2 4
#define S1_OPT 8

static const struct {
  const char *name;
  unsigned strs;
} op_info[CC_OP_COUNT_] = {
  [CC_OP_ADVANCE] = {"advance", 0},
  [CC_OP_ENGINE_SET] = {"engine_set", 0},
  [CC_OP_QUEUE_ADD] = {"queue_add", S0},
  [CC_OP_QUEUE_REMOVE] = {"queue_remove", S0 | S1_OPT},
  [CC_OP_QUEUE_SET] = {"queue_set", S0},
  [CC_OP_QUEUE_SET_OVERFLOW] = {"queue_set_overflow", S0 | S1_OPT},
  [CC_OP_AGENT_ADD] = {"agent_add", S0},
  [CC_OP_AGENT_REMOVE] = {"agent_remove", S0},
  [CC_OP_AGENT_LOGIN] = {"agent_login", S0},
  [CC_OP_AGENT_LOGOUT] = {"agent_logout", S0},
  [CC_OP_AGENT_READY] = {"agent_ready", S0},
  [CC_OP_AGENT_NOT_READY] = {"agent_not_ready", S0 | S1_OPT},
  [CC_OP_AGENT_SERVE] = {"agent_serve", S0 | S1},
  [CC_OP_AGENT_UNSERVE] = {"agent_unserve", S0 | S1},
  [CC_OP_AGENT_SET_CAPACITY] = {"agent_set_capacity", S0},
  [CC_OP_AGENT_SET_OVERLAP] = {"agent_set_overlap", S0},
  [CC_OP_AGENT_SET_WRAP_UP] = {"agent_set_wrap_up", S0},
  [CC_OP_OFFER_ACCEPT] = {"offer_accept", S0 | S1},
  [CC_OP_OFFER_REJECT] = {"offer_reject", S0 | S1},
  [CC_OP_OFFER_MISSED] = {"offer_missed", S0 | S1},
  [CC_OP_CONTACT_ENQUEUE] = {"contact_enqueue", S0 | S1},
  [CC_OP_CONTACT_ABANDON] = {"contact_abandon", S0},
  [CC_OP_CONTACT_REMOVE] = {"contact_remove", S0},
  [CC_OP_CONTACT_END] = {"contact_end", S0},
  [CC_OP_CONTACT_HOLD] = {"contact_hold", S0},
  [CC_OP_CONTACT_RESUME] = {"contact_resume", S0},
  [CC_OP_AGENT_WRAP_UP_END] = {"agent_wrap_up_end", S0 | S1},
  [CC_OP_AGENT_WRAP_UP_EXTEND] = {"agent_wrap_up_extend", S0 | S1},
  [CC_OP_CONTACT_DISPOSITION] = {"contact_disposition", S0 | S1},
  [CC_OP_CONTACT_SURVEY] = {"contact_survey", S0},
  [CC_OP_CONTACT_TRANSFER_QUEUE] = {"contact_transfer_queue", S0 | S1},
  [CC_OP_CONTACT_TRANSFER_AGENT] = {"contact_transfer_agent", S0 | S1},
  [CC_OP_CONTACT_REQUEUE] = {"contact_requeue", S0},
  [CC_OP_CONTACT_CONSULT_START] = {"contact_consult_start", S0 | S1},
  [CC_OP_CONTACT_CONSULT_COMPLETE] = {"contact_consult_complete", S0},
  [CC_OP_CONTACT_CONSULT_CANCEL] = {"contact_consult_cancel", S0},
  [CC_OP_CONTACT_CALLBACK] = {"contact_callback", S0},
  [CC_OP_QUEUE_SET_THRESHOLDS] = {"queue_set_thresholds", S0},
  [CC_OP_AGENT_SET_SKILL] = {"agent_set_skill", S0 | S1},
  [CC_OP_AGENT_SET_ATTR] = {"agent_set_attr", S0 | S1},
  [CC_OP_QUEUE_ADD_STEP] = {"queue_add_step", S0},
  [CC_OP_QUEUE_CLEAR_STEPS] = {"queue_clear_steps", S0},
};

const char *cc_op_name(cc_op op)
{
  if ((int)op <= 0 || op >= CC_OP_COUNT_ || !op_info[op].name)
    return "unknown";
  return op_info[op].name;
}

/* Checks that depend only on the arguments, before any timer fires. */
static int check_args(const cc_jrec *r)
{
  if ((int)r->op <= 0 || r->op >= CC_OP_COUNT_ || !op_info[r->op].name)
    return CCENTER_EINVAL;
  unsigned m = op_info[r->op].strs;
  if ((m & S0) && !cc_valid_id(r->s[0]))
    return CCENTER_EINVAL;
  if ((m & S1) && !cc_valid_id(r->s[1]))
    return CCENTER_EINVAL;
  if ((m & S1_OPT) && r->s[1] && !cc_valid_id(r->s[1]))
    return CCENTER_EINVAL;
  switch (r->op) {
  case CC_OP_AGENT_SET_CAPACITY:
    if (r->i[0] < 0 || r->i[0] >= NCH)
      return CCENTER_EINVAL;
    if (r->i[1] < 0 || r->i[1] > MAX_CAPACITY)
      return CCENTER_ERANGE;
    break;
  case CC_OP_AGENT_SET_OVERLAP:
    if (r->i[0] < 0 || r->i[0] >= NCH || r->i[1] < 0 || r->i[1] >= NCH)
      return CCENTER_EINVAL;
    break;
  case CC_OP_AGENT_SET_WRAP_UP:
    if (r->i[0] < -1 || r->i[0] > DAY_MS)
      return CCENTER_ERANGE;
    break;
  case CC_OP_AGENT_WRAP_UP_EXTEND:
    if (r->i[0] < 1 || r->i[0] > DAY_MS)
      return CCENTER_ERANGE;
    break;
  case CC_OP_CONTACT_SURVEY:
    if (r->i[0] < 0 || r->i[0] > 100)
      return CCENTER_ERANGE;
    break;
  case CC_OP_CONTACT_END:
    if (r->i[0] < CCENTER_PARTY_UNKNOWN || r->i[0] > CCENTER_PARTY_AGENT)
      return CCENTER_EINVAL;
    break;
  case CC_OP_AGENT_SET_SKILL:
    if (r->i[0] < 0 || r->i[0] > 10)
      return CCENTER_ERANGE;
    if (strnlen(r->s[1], 65) > 64)
      return CCENTER_EINVAL;
    break;
  case CC_OP_AGENT_SET_ATTR:
    if (strnlen(r->s[1], 65) > 64 || (r->s[2] && strnlen(r->s[2], 256) > 255))
      return CCENTER_EINVAL;
    break;
  case CC_OP_AGENT_SERVE:
    if (r->i[0] < -CCENTER_MAX_PROFILE_PRIORITY || r->i[0] > CCENTER_MAX_PROFILE_PRIORITY ||
        r->i[1] < 0 || r->i[1] > DAY_MS)
      return CCENTER_ERANGE;
    break;
  case CC_OP_QUEUE_ADD_STEP:
    if (!r->s[1] || strnlen(r->s[1], 4097) > 4096)
      return CCENTER_EINVAL;
    if (r->i[0] < 1 || r->i[0] > DAY_MS)
      return CCENTER_ERANGE;
    break;
  case CC_OP_QUEUE_SET_THRESHOLDS:
    if (r->n_arr && !r->arr)
      return CCENTER_EINVAL;
    if (r->n_arr > MAX_THRESHOLDS)
      return CCENTER_EFULL;
    for (size_t i = 0; i < r->n_arr; i++) {
      if (r->arr[i] < 1 || r->arr[i] > DAY_MS)
        return CCENTER_ERANGE;
      if (i && r->arr[i] <= r->arr[i - 1])
        return CCENTER_EINVAL;
    }
    break;
  case CC_OP_CONTACT_ENQUEUE:
    if (!cc_params_valid(r->params))
      return CCENTER_EINVAL;
    break;
  default:
    break;
  }
  return 0;
}

#define NEED(x, code) \
  do {                \
    if (!(x))         \
      return (code);  \
  } while (0)

static int dispatch(ccenter_engine *e, const cc_jrec *r)
{
  agent *a = NULL;
  contact *c = NULL;
  queue *q = NULL;
  switch (r->op) {
  case CC_OP_ADVANCE:
    return 0;
  case CC_OP_ENGINE_SET:
    return op_engine_set(e, r->i[0], r->i[1]);
  case CC_OP_QUEUE_ADD:
    return cc_op_queue_add(e, r->s[0], r->user_data);
  case CC_OP_QUEUE_REMOVE: {
    NEED(q = find_queue(e, r->s[0]), CCENTER_ENOENT);
    queue *d = NULL;
    if (r->s[1])
      NEED(d = find_queue(e, r->s[1]), CCENTER_ENOENT);
    return cc_op_queue_remove(e, q, d);
  }
  case CC_OP_QUEUE_SET:
    NEED(q = find_queue(e, r->s[0]), CCENTER_ENOENT);
    return cc_op_queue_set(e, q, r->i[0], r->i[1]);
  case CC_OP_QUEUE_ADD_STEP:
    NEED(q = find_queue(e, r->s[0]), CCENTER_ENOENT);
    return cc_op_add_step(e, q, r->s[1], r->i[0]);
  case CC_OP_QUEUE_CLEAR_STEPS:
    NEED(q = find_queue(e, r->s[0]), CCENTER_ENOENT);
    cc_stepset_put(e, q, q->steps);
    q->steps = NULL;
    return 0;
  case CC_OP_QUEUE_SET_THRESHOLDS:
    NEED(q = find_queue(e, r->s[0]), CCENTER_ENOENT);
    q->n_thresholds = r->n_arr;
    for (size_t i = 0; i < r->n_arr; i++)
      q->thresholds[i] = r->arr[i];
    e->sla_version++;
    return 0;
  case CC_OP_QUEUE_SET_OVERFLOW: {
    NEED(q = find_queue(e, r->s[0]), CCENTER_ENOENT);
    queue *t = NULL;
    if (r->s[1])
      NEED(t = find_queue(e, r->s[1]), CCENTER_ENOENT);
    NEED(t != q, CCENTER_EINVAL);
    q->overflow = t;
    return 0;
  }
  case CC_OP_AGENT_ADD:
    return cc_op_agent_add(e, r);
  default:
    break;
  }

  /* The remaining ops name an agent or a contact first. */
  switch (r->op) {
  case CC_OP_AGENT_REMOVE:
  case CC_OP_AGENT_LOGIN:
  case CC_OP_AGENT_LOGOUT:
  case CC_OP_AGENT_READY:
  case CC_OP_AGENT_NOT_READY:
  case CC_OP_AGENT_SERVE:
  case CC_OP_AGENT_SET_SKILL:
  case CC_OP_AGENT_SET_ATTR:
  case CC_OP_AGENT_UNSERVE:
  case CC_OP_AGENT_SET_CAPACITY:
  case CC_OP_AGENT_SET_OVERLAP:
  case CC_OP_AGENT_SET_WRAP_UP:
  case CC_OP_OFFER_ACCEPT:
  case CC_OP_OFFER_REJECT:
  case CC_OP_OFFER_MISSED:
    NEED(a = find_agent(e, r->s[0]), CCENTER_ENOENT);
    break;
  case CC_OP_AGENT_WRAP_UP_END:
  case CC_OP_AGENT_WRAP_UP_EXTEND:
    /* The contact first: its lookup's misses overlap the agent's. */
    c = find_contact(e, r->s[1]);
    NEED(a = find_agent(e, r->s[0]), CCENTER_ENOENT);
    break;
  case CC_OP_CONTACT_ENQUEUE:
    return cc_op_enqueue(e, r);
  default:
    NEED(c = find_contact(e, r->s[0]), CCENTER_ENOENT);
    break;
  }

  switch (r->op) {
  case CC_OP_AGENT_REMOVE:
    return cc_op_agent_remove(e, a);
  case CC_OP_AGENT_LOGIN:
    return cc_op_login(e, a);
  case CC_OP_AGENT_LOGOUT:
    return cc_op_logout(e, a);
  case CC_OP_AGENT_READY:
    return cc_op_ready(e, a);
  case CC_OP_AGENT_NOT_READY:
    return cc_op_not_ready(e, a, r->s[1]);
  case CC_OP_AGENT_SERVE:
    NEED(q = find_queue(e, r->s[1]), CCENTER_ENOENT);
    return cc_op_serve(e, a, q, r->i[0], r->i[1], r->i[2]);
  case CC_OP_AGENT_SET_SKILL:
    return cc_op_set_skill(e, a, r->s[1], r->i[0]);
  case CC_OP_AGENT_SET_ATTR:
    return cc_op_set_attr(e, a, r->s[1], r->s[2]);
  case CC_OP_AGENT_UNSERVE:
    NEED(q = find_queue(e, r->s[1]), CCENTER_ENOENT);
    return cc_op_unserve(e, a, q);
  case CC_OP_AGENT_SET_CAPACITY:
    a->cap[r->i[0]] = (uint8_t)r->i[1];
    cc_route_agent(e, a);
    return 0;
  case CC_OP_AGENT_SET_OVERLAP:
    if (r->i[2])
      a->overlap[r->i[0]] |= (uint8_t)(1u << r->i[1]);
    else
      a->overlap[r->i[0]] &= (uint8_t) ~(1u << r->i[1]);
    cc_route_agent(e, a);
    return 0;
  case CC_OP_AGENT_SET_WRAP_UP:
    a->wrap_override = r->i[0] == -1 ? -2 : (int32_t)r->i[0];
    return 0;
  case CC_OP_AGENT_WRAP_UP_END:
    return cc_op_wrap(e, a, c, r->s[1], -1);
  case CC_OP_AGENT_WRAP_UP_EXTEND:
    return cc_op_wrap(e, a, c, r->s[1], r->i[0]);
  case CC_OP_OFFER_ACCEPT:
  case CC_OP_OFFER_REJECT:
  case CC_OP_OFFER_MISSED:
    NEED(c = find_contact(e, r->s[1]), CCENTER_ENOENT);
    if (r->op == CC_OP_OFFER_ACCEPT)
      return cc_op_accept(e, a, c);
    return cc_op_reject_or_miss(e, a, c, r->op == CC_OP_OFFER_MISSED);
  case CC_OP_CONTACT_ABANDON:
    return cc_op_abandon(e, c, CCENTER_OUTCOME_ABANDONED);
  case CC_OP_CONTACT_REMOVE:
    return cc_op_abandon(e, c, CCENTER_OUTCOME_REMOVED);
  case CC_OP_CONTACT_END:
    return cc_op_end(e, c, r->i[0]);
  case CC_OP_CONTACT_HOLD:
    return cc_op_hold(e, c, 1);
  case CC_OP_CONTACT_RESUME:
    return cc_op_hold(e, c, 0);
  case CC_OP_CONTACT_DISPOSITION:
    return cc_op_disposition(e, c, r->s[1], 0);
  case CC_OP_CONTACT_SURVEY:
    return cc_op_disposition(e, c, NULL, r->i[0]);
  case CC_OP_CONTACT_TRANSFER_QUEUE:
    NEED(q = find_queue(e, r->s[1]), CCENTER_ENOENT);
    return cc_op_transfer_queue(e, c, q);
  case CC_OP_CONTACT_TRANSFER_AGENT:
    NEED(a = find_agent(e, r->s[1]), CCENTER_ENOENT);
    return cc_op_transfer_agent(e, c, a);
  case CC_OP_CONTACT_REQUEUE:
    return cc_op_requeue(e, c);
  case CC_OP_CONTACT_CONSULT_START:
    NEED(a = find_agent(e, r->s[1]), CCENTER_ENOENT);
    return cc_op_consult_start(e, c, a);
  case CC_OP_CONTACT_CONSULT_COMPLETE:
    return cc_op_consult_complete(e, c);
  case CC_OP_CONTACT_CONSULT_CANCEL:
    return cc_op_consult_cancel(e, c);
  case CC_OP_CONTACT_CALLBACK:
    return cc_op_callback(e, c);
  default:
    return CCENTER_EINVAL;
  }
}

static void notify_deadline(ccenter_engine *e)
{
  if (!e->deadline_fn)
    return;
  int64_t d = cc_timers_next(&e->timers);
  if (d != e->last_deadline) {
    e->last_deadline = d;
    e->deadline_fn(e->deadline_ud, d);
  }
}

int cc_engine_exec(ccenter_engine *e, const cc_jrec *r)
{
  if (!e || !r)
    return CCENTER_EINVAL;
  if (e->in_callback)
    return CCENTER_ECALLBACK;
  if (e->in_exec)
    return CCENTER_EBUSY;
  if (r->now < e->now)
    return CCENTER_ETIME;
  int rc = check_args(r);
  if (rc)
    return rc;
  cc_ev_compact(e);
  /* Room for what an ordinary call creates — events, graves, timers, offers — so that it
   * cannot fail halfway: a call that would run out fails here, before anything happens. */
  if (ev_reserve(e, 4 * RING_ALL_LIMIT) ||
      cc_grow(&e->alloc, (void **)&e->graves, &e->cap_graves, e->n_graves + 16,
              sizeof *e->graves) ||
      cc_timers_reserve(&e->timers, 4 * RING_ALL_LIMIT) || cc_reserve_works(e) ||
      cc_grow(&e->alloc, (void **)&e->kicks, &e->cap_kicks, e->n_kicks + 8, sizeof *e->kicks))
    return CCENTER_ENOMEM;
  e->in_exec = 1;
  int fired = cc_fire_due(e, r->now);
  rc = dispatch(e, r);
  cc_run_kicks(e);
  e->in_exec = 0;
  if (e->journal_fn) {
    if (rc == 0) {
      e->journal_fn(e->journal_ud, r);
    } else if (fired) {
      cc_jrec adv = {.op = CC_OP_ADVANCE, .now = r->now};
      e->journal_fn(e->journal_ud, &adv);
    }
  }
  cc_deliver(e);
  notify_deadline(e);
  return rc;
}

void cc_engine_set_journal(ccenter_engine *e, cc_journal_fn fn, void *ud)
{
  e->journal_fn = fn;
  e->journal_ud = ud;
}

int ccenter_engine_set_deadline_hook(ccenter_engine *e, ccenter_deadline_fn fn, void *ud)
{
  if (!e)
    return CCENTER_EINVAL;
  if (fn && e->deadline_fn)
    return CCENTER_EBUSY;
  e->deadline_fn = fn;
  e->deadline_ud = ud;
  e->last_deadline = INT64_MIN;
  notify_deadline(e);
  return 0;
}

int cc_engine_create(const ccenter_options *opts, int64_t now, ccenter_engine **out)
{
  if (!out || (opts && opts->event_fn && opts->event_queue))
    return CCENTER_EINVAL;
  cc_alloc al;
  if (opts)
    al = opts->alloc;
  else
    cc_alloc_default(&al);
  ccenter_engine *e = cc_calloc(&al, 1, sizeof *e);
  if (!e)
    return CCENTER_ENOMEM;
  e->alloc = al;
  if (opts) {
    e->log = opts->log;
    e->event_fn = opts->event_fn;
    e->event_ud = opts->event_ud;
    e->event_queue = opts->event_queue;
  }
  e->now = now;
  e->max_no_answer = 3;
  e->reject_delay = 30000;
  e->ewt_samples = 20;
  e->stats_cfg.interval_ms = 15 * 60 * 1000;
  e->stats_cfg.keep = 96;
  e->stats_cfg.short_abandon_ms = 5000;
  e->stats_cfg.repeat_window_ms = 7 * DAY_MS;
  cc_map_init(&e->agents);
  cc_map_init(&e->queues);
  cc_map_init(&e->contacts);
  cc_map_init(&e->strings);
  cc_map_init(&e->customers);
  e->rng = 0x9E3779B97F4A7C15ull;
  e->sticky_prune_at = 1024;
  if (cc_timers_init(&e->timers, &e->alloc, now)) {
    cc_free(&al, e); /* the maps are empty: they own no memory yet */
    return CCENTER_ENOMEM;
  }
  *out = e;
  return 0;
}

void ccenter_engine_free(ccenter_engine *e)
{
  if (!e)
    return;
  if (e->in_callback) {
    cc_logf(&e->log, CCENTER_LOG_ERROR, "ccenter_engine_free called from the event callback: "
                                        "ignored, the engine stays allocated");
    return;
  }
  size_t it = 0;
  contact *c;
  agent *a;
  queue *q;
  char *s;
  /* Works and memberships first (they point at contacts, queues and classes), then the
   * contacts (whose steps hold classes of their queues), then the queues. Removed queues
   * that were still referenced reach the graveyard through q_unref on the way. */
  while ((a = cc_map_next(&e->agents, &it))) {
    while (a->works) {
      work *w = a->works;
      a->works = w->next;
      q_unref(e, w->q);
      contact *wc = w->c;
      if (w->state == W_WRAP && wc->dead && !wc->buried && --wc->n_wrap == 0) {
        wc->buried = 1;
        cc_bury(e, wc, 1);
      }
      cc_eng_free(e, w, sizeof *w);
    }
    for (size_t i = 0; i < a->n_mem; i++)
      cc_member_free(e, a->mem[i]);
    cc_free_agent(e, a);
  }
  /* The memberships are gone: the queues must not walk them when classes are released. */
  it = 0;
  while ((q = cc_map_next(&e->queues, &it)))
    q->n_members = 0;
  for (size_t i = 0; i < e->n_graves; i++)
    if (e->graves[i].kind == 2)
      ((queue *)e->graves[i].p)->n_members = 0;
  it = 0;
  while ((c = cc_map_next(&e->contacts, &it)))
    cc_free_contact(e, c);
  for (size_t i = 0; i < e->n_graves; i++)
    if (e->graves[i].kind == 1)
      cc_free_contact(e, e->graves[i].p);
  it = 0;
  while ((q = cc_map_next(&e->queues, &it)))
    cc_free_queue(e, q);
  for (size_t i = 0; i < e->n_graves; i++)
    if (e->graves[i].kind == 2)
      cc_free_queue(e, e->graves[i].p);
  it = 0;
  sticky *st;
  while ((st = cc_map_next(&e->customers, &it))) {
    cc_free(&e->alloc, st->customer);
    cc_free(&e->alloc, st->agent);
    cc_free(&e->alloc, st);
  }
  cc_map_destroy(&e->customers, &e->alloc);
  cc_free(&e->alloc, e->kicks);
  while (e->spare_works) {
    work *w = e->spare_works;
    e->spare_works = w->next;
    cc_eng_free(e, w, sizeof *w);
  }
  it = 0;
  while ((s = cc_map_next(&e->strings, &it)))
    cc_free(&e->alloc, s);
  cc_map_destroy(&e->agents, &e->alloc);
  cc_map_destroy(&e->queues, &e->alloc);
  cc_map_destroy(&e->contacts, &e->alloc);
  cc_map_destroy(&e->strings, &e->alloc);
  cc_timers_destroy(&e->timers);
  for (size_t i = e->n_obs; i-- > 0;)
    if (e->obs[i].vt->destroy)
      e->obs[i].vt->destroy(e->obs[i].ud);
  cc_free(&e->alloc, e->events);
  cc_free(&e->alloc, e->graves);
  cc_alloc al = e->alloc;
  cc_free(&al, e);
}

static int run(ccenter_engine *e, cc_op op, int64_t now, const char *s0, const char *s1,
               int64_t i0, int64_t i1, int64_t i2)
{
  cc_jrec r = {.op = op, .now = now, .s = {s0, s1, NULL}, .i = {i0, i1, i2}};
  return cc_engine_exec(e, &r);
}

int ccenter_engine_advance(ccenter_engine *e, int64_t now)
{
  return run(e, CC_OP_ADVANCE, now, NULL, NULL, 0, 0, 0);
}

int64_t ccenter_engine_next_deadline(const ccenter_engine *e)
{
  return e ? cc_timers_next((cc_timers *)&e->timers) : CCENTER_NO_DEADLINE;
}

int64_t ccenter_engine_now(const ccenter_engine *e)
{
  return e ? e->now : 0;
}

int ccenter_engine_set(ccenter_engine *e, ccenter_engine_option opt, int64_t value, int64_t now)
{
  return run(e, CC_OP_ENGINE_SET, now, NULL, NULL, opt, value, 0);
}

int ccenter_queue_add(ccenter_engine *e, const char *queue_id, void *user_data, int64_t now)
{
  cc_jrec r = {.op = CC_OP_QUEUE_ADD, .now = now, .s = {queue_id, NULL, NULL},
               .user_data = user_data};
  return cc_engine_exec(e, &r);
}

int ccenter_queue_remove(ccenter_engine *e, const char *queue_id, const char *drain_to,
                         int64_t now)
{
  return run(e, CC_OP_QUEUE_REMOVE, now, queue_id, drain_to, 0, 0, 0);
}

int ccenter_queue_set(ccenter_engine *e, const char *queue_id, ccenter_queue_option opt,
                      int64_t value, int64_t now)
{
  return run(e, CC_OP_QUEUE_SET, now, queue_id, NULL, opt, value, 0);
}

int ccenter_queue_set_overflow(ccenter_engine *e, const char *queue_id, const char *target,
                               int64_t now)
{
  return run(e, CC_OP_QUEUE_SET_OVERFLOW, now, queue_id, target, 0, 0, 0);
}

int ccenter_agent_add(ccenter_engine *e, const char *agent_id, void *user_data, int64_t now)
{
  cc_jrec r = {.op = CC_OP_AGENT_ADD, .now = now, .s = {agent_id, NULL, NULL},
               .user_data = user_data};
  return cc_engine_exec(e, &r);
}

/* User data: not a state change, so neither journaled nor refused inside the callback. */
static cc_obj *user_obj(const ccenter_engine *e, const cc_map *m, const char *id)
{
  return e && cc_valid_id(id) ? cc_map_get(m, id) : NULL;
}

static int set_user(ccenter_engine *e, const cc_map *m, const char *id, void *user_data)
{
  if (!e || !cc_valid_id(id))
    return CCENTER_EINVAL;
  cc_obj *o = cc_map_get(m, id);
  if (!o)
    return CCENTER_ENOENT;
  o->user = user_data;
  return 0;
}

int ccenter_queue_set_user_data(ccenter_engine *e, const char *queue_id, void *user_data)
{
  return set_user(e, e ? &e->queues : NULL, queue_id, user_data);
}

int ccenter_agent_set_user_data(ccenter_engine *e, const char *agent_id, void *user_data)
{
  return set_user(e, e ? &e->agents : NULL, agent_id, user_data);
}

int ccenter_contact_set_user_data(ccenter_engine *e, const char *contact_id, void *user_data)
{
  return set_user(e, e ? &e->contacts : NULL, contact_id, user_data);
}

void *ccenter_queue_user_data(const ccenter_engine *e, const char *queue_id)
{
  cc_obj *o = user_obj(e, e ? &e->queues : NULL, queue_id);
  return o ? o->user : NULL;
}

void *ccenter_agent_user_data(const ccenter_engine *e, const char *agent_id)
{
  cc_obj *o = user_obj(e, e ? &e->agents : NULL, agent_id);
  return o ? o->user : NULL;
}

void *ccenter_contact_user_data(const ccenter_engine *e, const char *contact_id)
{
  cc_obj *o = user_obj(e, e ? &e->contacts : NULL, contact_id);
  return o ? o->user : NULL;
}

int ccenter_agent_remove(ccenter_engine *e, const char *agent_id, int64_t now)
{
  return run(e, CC_OP_AGENT_REMOVE, now, agent_id, NULL, 0, 0, 0);
}

int ccenter_agent_login(ccenter_engine *e, const char *agent_id, int64_t now)
{
  return run(e, CC_OP_AGENT_LOGIN, now, agent_id, NULL, 0, 0, 0);
}

int ccenter_agent_logout(ccenter_engine *e, const char *agent_id, int64_t now)
{
  return run(e, CC_OP_AGENT_LOGOUT, now, agent_id, NULL, 0, 0, 0);
}

int ccenter_agent_ready(ccenter_engine *e, const char *agent_id, int64_t now)
{
  return run(e, CC_OP_AGENT_READY, now, agent_id, NULL, 0, 0, 0);
}

int ccenter_agent_not_ready(ccenter_engine *e, const char *agent_id, const char *reason,
                            int64_t now)
{
  return run(e, CC_OP_AGENT_NOT_READY, now, agent_id, reason, 0, 0, 0);
}

void ccenter_serve_params_init(ccenter_serve_params *p)
{
  if (!p)
    return;
  memset(p, 0, sizeof *p);
  p->size = sizeof *p;
}

int ccenter_agent_serve(ccenter_engine *e, const char *agent_id, const char *queue_id,
                        const ccenter_serve_params *params, int64_t now)
{
  ccenter_serve_params p;
  ccenter_serve_params_init(&p);
  if (params && cc_struct_in(&p, sizeof p, params, sizeof p))
    return CCENTER_EINVAL;
  return run(e, CC_OP_AGENT_SERVE, now, agent_id, queue_id, p.priority, p.delay_ms,
             p.reserve != 0);
}

int ccenter_agent_set_skill(ccenter_engine *e, const char *agent_id, const char *skill,
                            int level, int64_t now)
{
  return run(e, CC_OP_AGENT_SET_SKILL, now, agent_id, skill, level, 0, 0);
}

int ccenter_agent_set_attr(ccenter_engine *e, const char *agent_id, const char *key,
                           const char *value, int64_t now)
{
  cc_jrec r = {.op = CC_OP_AGENT_SET_ATTR, .now = now, .s = {agent_id, key, value}};
  return cc_engine_exec(e, &r);
}

int ccenter_queue_add_step(ccenter_engine *e, const char *queue_id, const char *requirement,
                           int64_t duration_ms, int64_t now)
{
  return run(e, CC_OP_QUEUE_ADD_STEP, now, queue_id, requirement, duration_ms, 0, 0);
}

int ccenter_queue_clear_steps(ccenter_engine *e, const char *queue_id, int64_t now)
{
  return run(e, CC_OP_QUEUE_CLEAR_STEPS, now, queue_id, NULL, 0, 0, 0);
}

void cc_engine_set_reference_routing(ccenter_engine *e, int on)
{
  e->reference_routing = on;
}

int ccenter_agent_unserve(ccenter_engine *e, const char *agent_id, const char *queue_id,
                          int64_t now)
{
  return run(e, CC_OP_AGENT_UNSERVE, now, agent_id, queue_id, 0, 0, 0);
}

int ccenter_agent_set_capacity(ccenter_engine *e, const char *agent_id, ccenter_channel ch,
                               unsigned capacity, int64_t now)
{
  return run(e, CC_OP_AGENT_SET_CAPACITY, now, agent_id, NULL, (int64_t)ch,
             capacity > MAX_CAPACITY ? MAX_CAPACITY + 1 : (int64_t)capacity, 0);
}

int ccenter_agent_set_overlap(ccenter_engine *e, const char *agent_id, ccenter_channel busy,
                              ccenter_channel incoming, int allowed, int64_t now)
{
  return run(e, CC_OP_AGENT_SET_OVERLAP, now, agent_id, NULL, (int64_t)busy, (int64_t)incoming,
             allowed != 0);
}

int ccenter_agent_set_wrap_up(ccenter_engine *e, const char *agent_id, int64_t wrap_up_ms,
                              int64_t now)
{
  return run(e, CC_OP_AGENT_SET_WRAP_UP, now, agent_id, NULL, wrap_up_ms, 0, 0);
}

int ccenter_agent_wrap_up_end(ccenter_engine *e, const char *agent_id, const char *contact_id,
                              int64_t now)
{
  return run(e, CC_OP_AGENT_WRAP_UP_END, now, agent_id, contact_id, 0, 0, 0);
}

int ccenter_agent_wrap_up_extend(ccenter_engine *e, const char *agent_id,
                                 const char *contact_id, int64_t extra_ms, int64_t now)
{
  return run(e, CC_OP_AGENT_WRAP_UP_EXTEND, now, agent_id, contact_id, extra_ms, 0, 0);
}

int ccenter_offer_accept(ccenter_engine *e, const char *agent_id, const char *contact_id,
                         int64_t now)
{
  return run(e, CC_OP_OFFER_ACCEPT, now, agent_id, contact_id, 0, 0, 0);
}

int ccenter_offer_reject(ccenter_engine *e, const char *agent_id, const char *contact_id,
                         int64_t now)
{
  return run(e, CC_OP_OFFER_REJECT, now, agent_id, contact_id, 0, 0, 0);
}

int ccenter_offer_missed(ccenter_engine *e, const char *agent_id, const char *contact_id,
                         int64_t now)
{
  return run(e, CC_OP_OFFER_MISSED, now, agent_id, contact_id, 0, 0, 0);
}

void ccenter_contact_params_init(ccenter_contact_params *p)
{
  if (!p)
    return;
  memset(p, 0, sizeof *p);
  p->size = sizeof *p;
  p->channel = CCENTER_CHANNEL_VOICE;
  p->preferred_timeout_ms = -1;
}

/* The fields of ccenter_contact_params in 0.1: callers built against it keep working. */
#define CONTACT_PARAMS_MIN offsetof(ccenter_contact_params, user_data)

int ccenter_contact_enqueue(ccenter_engine *e, const char *contact_id, const char *queue_id,
                            const ccenter_contact_params *params, int64_t now)
{
  ccenter_contact_params p;
  ccenter_contact_params_init(&p);
  if (params && cc_struct_in(&p, sizeof p, params, CONTACT_PARAMS_MIN))
    return CCENTER_EINVAL;
  cc_jrec r = {.op = CC_OP_CONTACT_ENQUEUE, .now = now, .s = {contact_id, queue_id, NULL},
               .params = &p};
  return cc_engine_exec(e, &r);
}

int ccenter_contact_abandon(ccenter_engine *e, const char *contact_id, int64_t now)
{
  return run(e, CC_OP_CONTACT_ABANDON, now, contact_id, NULL, 0, 0, 0);
}

int ccenter_contact_remove(ccenter_engine *e, const char *contact_id, int64_t now)
{
  return run(e, CC_OP_CONTACT_REMOVE, now, contact_id, NULL, 0, 0, 0);
}

int ccenter_contact_end(ccenter_engine *e, const char *contact_id, ccenter_party by,
                        int64_t now)
{
  return run(e, CC_OP_CONTACT_END, now, contact_id, NULL, (int64_t)by, 0, 0);
}

int ccenter_queue_set_thresholds(ccenter_engine *e, const char *queue_id, const int64_t *ms,
                                 size_t n, int64_t now)
{
  cc_jrec r = {.op = CC_OP_QUEUE_SET_THRESHOLDS, .now = now, .s = {queue_id, NULL, NULL},
               .arr = ms, .n_arr = n};
  return cc_engine_exec(e, &r);
}

int ccenter_contact_hold(ccenter_engine *e, const char *contact_id, int64_t now)
{
  return run(e, CC_OP_CONTACT_HOLD, now, contact_id, NULL, 0, 0, 0);
}

int ccenter_contact_resume(ccenter_engine *e, const char *contact_id, int64_t now)
{
  return run(e, CC_OP_CONTACT_RESUME, now, contact_id, NULL, 0, 0, 0);
}

int ccenter_contact_disposition(ccenter_engine *e, const char *contact_id, const char *code,
                                int64_t now)
{
  return run(e, CC_OP_CONTACT_DISPOSITION, now, contact_id, code, 0, 0, 0);
}

int ccenter_contact_survey(ccenter_engine *e, const char *contact_id, int score, int64_t now)
{
  return run(e, CC_OP_CONTACT_SURVEY, now, contact_id, NULL, score, 0, 0);
}

int ccenter_contact_transfer_queue(ccenter_engine *e, const char *contact_id,
                                   const char *queue_id, int64_t now)
{
  return run(e, CC_OP_CONTACT_TRANSFER_QUEUE, now, contact_id, queue_id, 0, 0, 0);
}

int ccenter_contact_transfer_agent(ccenter_engine *e, const char *contact_id,
                                   const char *agent_id, int64_t now)
{
  return run(e, CC_OP_CONTACT_TRANSFER_AGENT, now, contact_id, agent_id, 0, 0, 0);
}

int ccenter_contact_requeue(ccenter_engine *e, const char *contact_id, int64_t now)
{
  return run(e, CC_OP_CONTACT_REQUEUE, now, contact_id, NULL, 0, 0, 0);
}

int ccenter_contact_consult_start(ccenter_engine *e, const char *contact_id,
                                  const char *agent_id, int64_t now)
{
  return run(e, CC_OP_CONTACT_CONSULT_START, now, contact_id, agent_id, 0, 0, 0);
}

int ccenter_contact_consult_complete(ccenter_engine *e, const char *contact_id, int64_t now)
{
  return run(e, CC_OP_CONTACT_CONSULT_COMPLETE, now, contact_id, NULL, 0, 0, 0);
}

int ccenter_contact_consult_cancel(ccenter_engine *e, const char *contact_id, int64_t now)
{
  return run(e, CC_OP_CONTACT_CONSULT_CANCEL, now, contact_id, NULL, 0, 0, 0);
}

int ccenter_contact_callback(ccenter_engine *e, const char *contact_id, int64_t now)
{
  return run(e, CC_OP_CONTACT_CALLBACK, now, contact_id, NULL, 0, 0, 0);
}

/* Fills the caller's struct by the ABI's size rule (core/util.h). */
static int fill_sized(void *dst, const void *src, size_t min_size)
{
  return cc_struct_out(dst, src, min_size) ? CCENTER_EINVAL : 0;
}

int ccenter_queue_get(const ccenter_engine *e, const char *queue_id, ccenter_queue_option opt,
                      int64_t *value)
{
  if (!e || !queue_id || !value)
    return CCENTER_EINVAL;
  queue *q = cc_map_get(&e->queues, queue_id);
  if (!q)
    return CCENTER_ENOENT;
  int64_t v;
  int rc = cc_queue_get(q, opt, &v);
  if (rc == 0)
    *value = v;
  return rc;
}

int ccenter_queue_info_get(const ccenter_engine *e, const char *queue_id, int64_t now,
                           ccenter_queue_info *info)
{
  if (!e || !queue_id || !info)
    return CCENTER_EINVAL;
  queue *q = cc_map_get(&e->queues, queue_id);
  if (!q)
    return CCENTER_ENOENT;
  ccenter_queue_info v;
  memset(&v, 0, sizeof v);
  v.size = sizeof v;
  v.waiting = q->n_waiting;
  v.offered = q->n_offered;
  v.members = (unsigned)q->n_members;
  v.members_logged_in = q->n_logged_in;
  v.members_ready = q->n_ready;
  int64_t oldest = INT64_MAX;
  const contact *oc = NULL;
  /* The head of the tree is the best-priority contact, not necessarily the oldest, and
   * offered contacts are not in the tree: the longest wait needs a walk. */
  for (cc_tnode *n = cc_treap_first(&q->waiting); n; n = cc_treap_next(n))
    if (node_contact(n)->enq_at < oldest) {
      oc = node_contact(n);
      oldest = oc->enq_at;
    }
  for (size_t i = 0; i < q->n_members; i++)
    for (work *w = q->members[i]->a->works; w; w = w->next)
      if (w->state == W_RINGING && !w->consult && w->c->q == q && w->c->enq_at < oldest) {
        oc = w->c;
        oldest = oc->enq_at;
      }
  v.oldest = oc ? oc->id : NULL;
  v.longest_wait_ms = oldest == INT64_MAX ? 0 : (now > oldest ? now - oldest : 0);
  const rclass *first = q->steps ? q->steps->s[0].k : q->classes[0];
  v.ewt_ms = first->agents.root ? 0 : cc_queue_ewt(e, q, q->n_waiting + 1);
  return fill_sized(info, &v, offsetof(ccenter_queue_info, ewt_ms) + sizeof(int64_t));
}

int ccenter_agent_info_get(const ccenter_engine *e, const char *agent_id, int64_t now,
                           ccenter_agent_info *info)
{
  if (!e || !agent_id || !info)
    return CCENTER_EINVAL;
  agent *a = cc_map_get(&e->agents, agent_id);
  if (!a)
    return CCENTER_ENOENT;
  ccenter_agent_info v;
  memset(&v, 0, sizeof v);
  v.size = sizeof v;
  v.state = a->state;
  v.reason = a->reason;
  v.pending = a->pending;
  v.cause = (ccenter_cause)a->cause;
  v.pending_state = a->pending_logout ? CCENTER_AGENT_LOGGED_OUT
                    : a->pending_nr   ? CCENTER_AGENT_NOT_READY
                                      : CCENTER_AGENT_READY;
  v.pending_cause = (ccenter_cause)a->pending_cause;
  v.state_ms = now > a->state_since ? now - a->state_since : 0;
  v.state_since = a->state_since;
  v.idle_since = a->idle_since;
  v.offered = a->n_offered;
  v.connected = a->n_connected;
  v.wrap_up = a->n_wrap;
  for (int i = 0; i < NCH; i++)
    v.in_channel[i] = a->n[i];
  v.missed_in_row = a->missed_in_row;
  v.handled = a->handled;
  return fill_sized(info, &v, offsetof(ccenter_agent_info, cause));
}

int ccenter_contact_info_get(const ccenter_engine *e, const char *contact_id, int64_t now,
                             ccenter_contact_info *info)
{
  if (!e || !contact_id || !info)
    return CCENTER_EINVAL;
  contact *c = cc_map_get(&e->contacts, contact_id);
  if (!c)
    return CCENTER_ENOENT;
  ccenter_contact_info v;
  memset(&v, 0, sizeof v);
  v.size = sizeof v;
  if (c->in_queue)
    v.state = CCENTER_CONTACT_WAITING;
  else if (c->n_offers)
    v.state = CCENTER_CONTACT_OFFERED;
  else if (c->primary)
    v.state = CCENTER_CONTACT_CONNECTED;
  else if (c->n_wrap)
    v.state = CCENTER_CONTACT_WRAP_UP;
  else
    v.state = CCENTER_CONTACT_ENDED;
  v.channel = c->channel;
  v.priority = c->priority;
  v.is_callback = c->is_callback;
  v.on_hold = c->on_hold;
  v.queue = c->q ? c->q->id : NULL;
  v.agent = c->primary ? c->primary->a->id : c->offers ? c->offers->a->id : NULL;
  v.customer = c->customer;
  v.position = c->in_queue ? (unsigned)cc_treap_rank(&c->q->waiting, &c->node) : 0;
  v.enqueued_at = c->enq_at;
  int waiting = c->in_queue || c->n_offers;
  v.wait_ms = waiting && now > c->enq_at ? now - c->enq_at : 0;
  v.ewt_ms = c->in_queue ? cc_queue_ewt(e, c->q, v.position) : (waiting ? 0 : -1);
  return fill_sized(info, &v, offsetof(ccenter_contact_info, ewt_ms) + sizeof v.ewt_ms);
}

int ccenter_skill_info_get(const ccenter_engine *e, const char *skill, int64_t now,
                           ccenter_skill_info *info)
{
  if (!e || !info || !cc_valid_id(skill))
    return CCENTER_EINVAL;
  ccenter_skill_info v;
  memset(&v, 0, sizeof v);
  v.size = sizeof v;
  /* Skill names are interned: a name never interned is a skill nobody has or needs. */
  const char *k = cc_map_get(&e->strings, skill);
  if (k) {
    unsigned level_sum = 0;
    size_t it = 0;
    agent *a;
    while ((a = cc_map_next(&e->agents, &it))) {
      int level = 0;
      for (size_t i = 0; i < a->n_skills; i++)
        if (a->skills[i].name == k)
          level = a->skills[i].level;
      if (!level)
        continue;
      v.agents++;
      if (a->state == CCENTER_AGENT_LOGGED_OUT)
        continue;
      v.logged_in++;
      level_sum += (unsigned)level;
      v.ready += a->state == CCENTER_AGENT_READY;
      v.available += cc_agent_routable(a);
      v.busy += cc_agent_work(a) > 0;
    }
    if (v.logged_in)
      v.mean_level = (double)level_sum / v.logged_in;
    it = 0;
    queue *q;
    while ((q = cc_map_next(&e->queues, &it)))
      for (cc_tnode *t = cc_treap_first(&q->waiting); t; t = cc_treap_next(t)) {
        contact *c = node_contact(t);
        if (!cc_route_requires_skill(c, k))
          continue;
        v.waiting++;
        if (now - c->enq_at > v.longest_wait_ms)
          v.longest_wait_ms = now - c->enq_at;
      }
  }
  return fill_sized(info, &v, offsetof(ccenter_skill_info, mean_level) + sizeof v.mean_level);
}

const char *ccenter_contact_attr(const ccenter_engine *e, const char *contact_id,
                                 const char *key)
{
  if (!e || !contact_id || !key)
    return NULL;
  contact *c = cc_map_get(&e->contacts, contact_id);
  if (!c)
    return NULL;
  for (size_t i = 0; i < c->n_attrs; i++)
    if (strcmp(c->attrs[i].key, key) == 0)
      return c->attrs[i].value;
  return NULL;
}

size_t cc_engine_memory(const ccenter_engine *e)
{
  size_t n = sizeof *e + e->bytes + cc_timers_memory(&e->timers);
  n += cc_map_memory(&e->agents) + cc_map_memory(&e->queues) + cc_map_memory(&e->contacts) +
       cc_map_memory(&e->strings);
  n += e->cap_events * sizeof *e->events + e->cap_graves * sizeof(grave);
  size_t it = 0;
  agent *a;
  while ((a = cc_map_next(&e->agents, &it)))
    n += strlen(a->id) + 1 + (a->mem != a->mem_in ? a->cap_mem * sizeof(membership *) : 0);
  it = 0;
  queue *q;
  while ((q = cc_map_next(&e->queues, &it)))
    n += strlen(q->id) + 1 + q->cap_members * sizeof(membership *);
  return n;
}

const char *cc_engine_check(const ccenter_engine *e)
{
  size_t it = 0;
  agent *a;
  while ((a = cc_map_next(&e->agents, &it))) {
    unsigned n[NCH] = {0}, off = 0, con = 0, wr = 0;
    for (work *w = a->works; w; w = w->next) {
      n[w->channel]++;
      if (w->state == W_RINGING)
        off++;
      else if (w->state == W_CONNECTED)
        con++;
      else
        wr++;
      if (w->state != W_WRAP && cc_map_get(&e->contacts, w->c->id) != w->c)
        return "a ringing or connected work refers to a contact that has ended";
      if (w->state == W_WRAP && w->c->dead && w->c->outcome == CCENTER_OUTCOME_HANDLED)
        return "a handled contact ended before its wrap-ups";
      if (w->state == W_CONNECTED && w->c->primary != w && w->c->consult != w)
        return "a connected work is not its contact's current leg";
      if (w->state == W_RINGING && w->c->consult != w) {
        int found = 0;
        for (work *o = w->c->offers; o; o = o->onext)
          found += o == w;
        if (found != 1)
          return "a ringing work is not among its contact's offers";
      }
      if (w->state == W_WRAP && w->wrap_deadline >= 0 && !w->timer)
        return "a timed wrap-up has no timer";
    }
    for (int ch = 0; ch < NCH; ch++)
      if (n[ch] != a->n[ch])
        return "agent channel counts disagree with its works";
    if (off != a->n_offered || con != a->n_connected || wr != a->n_wrap)
      return "agent work counts disagree with its works";
    if (a->state == CCENTER_AGENT_LOGGED_OUT && (off || con || wr))
      return "a logged-out agent holds work";
    if (!cc_agent_work(a) && (a->pending_nr || a->pending_logout))
      return "an idle agent has a pending state change";
  }
  it = 0;
  contact *c;
  while ((c = cc_map_next(&e->contacts, &it))) {
    unsigned k = 0;
    for (work *o = c->offers; o; o = o->onext)
      k++;
    if (k != c->n_offers)
      return "a contact's offer count disagrees with its offers";
    int states = c->in_queue + (c->primary != NULL) + (c->n_offers > 0);
    if (states > 1)
      return "a contact is both waiting and with an agent";
    if (c->outcome != CCENTER_OUTCOME_NONE && (c->in_queue || c->primary || c->n_offers))
      return "a contact with an outcome is still waiting or with an agent";
    if (!states && !c->n_wrap && !c->consult)
      return "a contact is in no state";
    if (c->consult && !connected(c))
      return "a consultation without a connected contact";
    if (c->primary_agent != (c->primary ? c->primary->a : NULL))
      return "a contact's connected agent is not its leg's";
  }
  it = 0;
  queue *q;
  while ((q = cc_map_next(&e->queues, &it))) {
    if (cc_treap_size(&q->waiting) != q->n_waiting)
      return "queue waiting count disagrees with its tree";
    unsigned met = 0;
    for (unsigned i = 0; i < q->sl_n; i++)
      met += (q->sl_bits[i / 64] >> (i % 64)) & 1u;
    if (met != q->sl_met || q->sl_n > SL_WINDOW || q->sl_pos >= SL_WINDOW)
      return "a queue's recent service level disagrees with its outcomes";
    unsigned li = 0, rd = 0;
    for (size_t i = 0; i < q->n_members; i++) {
      li += q->members[i]->a->state != CCENTER_AGENT_LOGGED_OUT;
      rd += q->members[i]->a->state == CCENTER_AGENT_READY;
    }
    if (li != q->n_logged_in || rd != q->n_ready)
      return "queue member counts out of date";
  }
  return cc_route_check(e);
}
