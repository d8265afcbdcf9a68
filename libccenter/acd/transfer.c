/*
 * Transfers: blind transfers to a queue or to an agent, requeue, and consultation
 * (start, complete, cancel) — every way a connected contact changes hands.
 *
 * Separate because each moves a contact between the work and contact state machines.
 */
#include "acd/engine_priv.h"

/* A blind transfer starts: a consultation in progress ends, and TRANSFERRED tells the talk
 * of the connected leg; the caller names the target. keep: the target agent, which the
 * consultation's end must not route (see cc_end_consult). */
static ccenter_event *transferred(ccenter_engine *e, contact *c, const agent *keep)
{
  cc_end_consult(e, c, CCENTER_CAUSE_TRANSFERRED, keep);
  work *w = c->primary;
  ccenter_event *ev = ev_contact(e, CCENTER_EV_CONTACT_TRANSFERRED, c, w->a);
  if (ev)
    ev->duration_ms = e->now - w->connected_at;
  return ev;
}

int cc_op_transfer_queue(ccenter_engine *e, contact *c, queue *t)
{
  if (!connected(c))
    return CCENTER_ESTATE;
  if (t->max_length && t->n_waiting >= (uint64_t)t->max_length)
    return CCENTER_EFULL;
  if (cc_empty_by_rule(t, t->join_empty))
    return CCENTER_ENOAGENTS;
  ccenter_event *ev = transferred(e, c, NULL);
  if (ev)
    ev_set_queue_to(ev, t);
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
  /* The agent being consulted about this contact takes it in place of the consultation,
   * which the transfer ends: that leg's room counts as free. */
  int consulted = c->consult && c->consult->a == b;
  b->n[c->channel] -= consulted;
  int room = cc_can_take(b, c->channel);
  b->n[c->channel] += consulted;
  if (!room)
    return CCENTER_ECAPACITY;
  ccenter_event *ev = transferred(e, c, b);
  if (ev)
    ev_set_agent_to(ev, b);
  cc_leg_to_wrap(e, c);
  c->enq_at = e->now;
  cc_offer(e, c, b, 1);
  /* Held back from routing while its consultation ended: whatever room the offer left. */
  if (consulted)
    cc_route_agent(e, b);
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
  cc_end_consult(e, c, CCENTER_CAUSE_REQUEUED, NULL);
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
  if (c->q->max_wait > 0 && !c->is_callback)
    c->max_wait_timer = cc_eng_arm(e, e->now + c->q->max_wait, T_MAXWAIT, c);
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
  int64_t rt = cc_arm_ring(e, w);
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
  cc_end_consult(e, c, CCENTER_CAUSE_CANCELLED, NULL);
  return 0;
}
