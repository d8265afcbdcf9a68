/*
 * Timers: arming and cancelling the engine's timers, and what each kind does when it
 * fires (ring timeout, wrap-up end, max wait, announcements, SLA warning and breach,
 * reject delay; routing timers are handed to route.c), each at its own deadline.
 *
 * Periodic timers (announcements here, the ring-progressive step in route.c) re-arm a
 * period after the call that fired them (cc_call_time), not after the deadline they
 * missed: a call after a stall fires each of them once, as libuv's repeating timers do,
 * instead of once per missed period. With the minimum periods (queue.c) that bounds the
 * events one call can raise.
 *
 * Separate because it is the one place where time alone, not a call, changes state.
 */
#include "acd/engine_priv.h"

static uint64_t ptr_payload(const void *p)
{
  return (uint64_t)(uintptr_t)p;
}

static void *payload_ptr(uint64_t v)
{
  return (void *)(uintptr_t)v;
}

cc_timer_id cc_eng_arm(ccenter_engine *e, int64_t at, int kind, void *obj)
{
  cc_timer_id id = 0;
  if (cc_timers_arm(&e->timers, at, (uint32_t)kind, ptr_payload(obj), &id)) {
    cc_logf(&e->log, CCENTER_LOG_ERROR, "timer not armed: out of memory");
    return 0;
  }
  return id;
}

static void fire(ccenter_engine *e, const cc_timer_fired *f)
{
  void *obj = payload_ptr(f->payload);
  switch (f->kind) {
  case T_RING: {
    work *w = obj;
    w->timer = 0;
    contact *c = w->c;
    if (w->consult) {
      c->consult = w;
      cc_end_consult(e, c, CCENTER_CAUSE_RING_TIMEOUT, NULL);
    } else {
      cc_withdraw(e, w, CCENTER_CAUSE_RING_TIMEOUT, 1, 1);
    }
    break;
  }
  case T_WRAP: {
    work *w = obj;
    w->timer = 0;
    cc_finish_work(e, w);
    break;
  }
  case T_MAXWAIT: {
    contact *c = obj;
    c->max_wait_timer = 0;
    if (c->in_queue)
      cc_apply_max_wait(e, c);
    else if (c->n_offers)
      c->max_wait_due = 1;
    break;
  }
  case T_ANNOUNCE: {
    contact *c = obj;
    c->announce_timer = 0;
    if (c->in_queue) {
      ccenter_event *ev = cc_emit_queued(e, c, CCENTER_EV_ANNOUNCE, NULL);
      if (ev)
        cc_maybe_offer_callback(e, c, ev->ewt_ms);
    }
    if ((c->in_queue || c->n_offers) && c->q->announce_every > 0)
      c->announce_timer =
          cc_eng_arm(e, cc_call_time(e) + c->q->announce_every, T_ANNOUNCE, c);
    break;
  }
  case T_SLA: {
    contact *c = obj;
    c->sla_timer = 0;
    if (!(c->in_queue || (c->n_offers && !c->answered)))
      break;
    int stage = c->sla_stage;
    ccenter_event *ev = ev_contact(e, stage == 1 ? CCENTER_EV_SLA_WARNING : CCENTER_EV_SLA_BREACH,
                                   c, c->offers ? c->offers->a : NULL);
    if (ev) {
      ev->wait_ms = e->now - c->enq_at;
      ev->threshold_ms = c->q->sl_threshold;
    }
    c->sla_stage = 0;
    if (stage == 1 && c->enq_at + c->q->sl_threshold > e->now) {
      c->sla_stage = 2;
      c->sla_timer = cc_eng_arm(e, c->enq_at + c->q->sl_threshold, T_SLA, c);
    }
    break;
  }
  case T_ROUTE:
  case T_PROGRESS:
    cc_route_timer(e, obj, (int)f->kind);
    break;
  case T_REJECT: {
    contact *c = obj;
    size_t k = 0;
    for (size_t i = 0; i < c->n_rej; i++) {
      if (c->rej[i].timer == f->id)
        continue;
      c->rej[k++] = c->rej[i];
    }
    c->n_rej = k;
    cc_route_contact(e, c);
    break;
  }
  default:
    break;
  }
}

/* cc_fire_due's loop: the caller sets call_now before and the clock after. */
int cc_fire_due_out(ccenter_engine *e, int64_t now)
{
  int fired = 0;
  cc_timer_fired f;
  while (cc_timers_pop(&e->timers, now, &f)) {
    /* Each handler runs at its own deadline: events carry the time things happened. */
    if (f.deadline > e->now)
      e->now = f.deadline;
    ev_reserve(e, 16);
    fire(e, &f);
    fired = 1;
  }
  return fired;
}
