/*
 * Agent presence: LOGGED_OUT, NOT_READY, READY and the pending changes an agent with work
 * takes when its work is over (login, logout, ready, not ready, no-answer).
 *
 * Separate because presence decides routability and the queues' member counts.
 */
#include "acd/engine_priv.h"

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
        cc_end_consult(e, w->c, CCENTER_CAUSE_AGENT_LOGOUT, NULL);
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
