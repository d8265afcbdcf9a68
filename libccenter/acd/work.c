/*
 * Work: an agent's RINGING → CONNECTED → WRAP_UP on one contact. Offers (made by routing
 * or by a direct transfer), taking an offer back, answering, rejecting and missing, the
 * connected leg, the consultation's leg, wrap-up and what an agent does when its work is
 * over.
 *
 * Separate because it is the hot path of every routed contact: the helpers it calls most
 * are here or inline in acd/engine_priv.h.
 */
#include "acd/engine_priv.h"

/* Works a call may need without failing: a ring-all's offers and a few more. */
#define SPARE_WORKS (RING_ALL_LIMIT + 8)
/* Ended works kept past SPARE_WORKS, so that a work that ends and one offered in a later
 * call do not cost a free and a malloc each (counted in the engine's bytes). */
#define SPARE_WORKS_SLACK 32

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
  if (e->n_spare_works < SPARE_WORKS + SPARE_WORKS_SLACK) {
    w->next = e->spare_works;
    e->spare_works = w;
    e->n_spare_works++;
  } else {
    cc_eng_free(e, w, sizeof *w);
  }
}

/* After an agent's work ended: pending presence changes, availability, routing. */
static void agent_after_work(ccenter_engine *e, agent *a, int route)
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
  if (route)
    cc_route_agent(e, a);
}

/* Starts the ring of an offer (or a consultation) and returns its timeout (0: rings until
 * answered). An offer made while a late call catches up rings from the call's time: the
 * phone cannot ring before the integrator hears of it, and a ring timeout of its own
 * deadline would re-offer, ring out and re-offer all the way up to the call. */
int64_t cc_arm_ring(ccenter_engine *e, work *w)
{
  int64_t rt = ring_timeout_of(w->c->q);
  if (rt > 0)
    w->timer = cc_eng_arm(e, cc_call_time(e) + rt, T_RING, w);
  return rt;
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
  int64_t rt = cc_arm_ring(e, w);
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
  /* The talk time just grown is the least-talk-time strategy's key: an agent with room
   * left during its wrap-up stays in the indexes, under its new key. */
  cc_route_refresh(e, a);
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
  agent_after_work(e, a, 1);
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

/* keep: the consulted agent if the caller is about to offer it the contact itself; it is
 * not routed here (it could be given work that the offer would then not fit beside). */
void cc_end_consult(ccenter_engine *e, contact *c, ccenter_cause cause, const agent *keep)
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
  agent_after_work(e, b, b != keep);
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
      /* A member with a profile delay may have joined, or the reserve wait changed, while
       * it rang: those re-armed the waiting contacts only. */
      cc_route_rearm(e, c);
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
  agent_after_work(e, a, 1);
}

static work *work_of(agent *a, contact *c)
{
  for (work *w = a->works; w; w = w->next)
    if (w->c == c && w->state != W_WRAP)
      return w;
  return NULL;
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
    cc_end_consult(e, c, cause, NULL);
    return 0;
  }
  cc_withdraw(e, w, cause, miss, 1);
  return 0;
}

int cc_op_end(ccenter_engine *e, contact *c, int64_t party)
{
  if (!connected(c))
    return CCENTER_ESTATE;
  cc_end_consult(e, c, CCENTER_CAUSE_CONVERSATION_ENDED, NULL);
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
  if (!found) {
    /* The contact is known if it is live or this agent still has work on it. */
    for (work *w = a->works; w && !live; w = w->next)
      if (strcmp(w->c->id, contact_id) == 0)
        return CCENTER_ESTATE;
    return live ? CCENTER_ESTATE : CCENTER_ENOENT;
  }
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
