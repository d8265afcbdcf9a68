/*
 * Internal: what the engine's files share with each other and with route.c (engine.c
 * lists the files). Out-of-line functions are declared here by the file that defines
 * them; the small helpers called on every event or every routing decision (building
 * events, availability, queue order, lookups) are static inline here, so that splitting
 * the engine into files costs no calls on the hot path. The objects are in acd/types.h,
 * route.c's side in acd/route.h; adapters and tests use acd/engine_int.h only.
 */
#ifndef CC_ACD_ENGINE_PRIV_H
#define CC_ACD_ENGINE_PRIV_H

#include "acd/route.h"
#include "core/util.h"

#include <limits.h>
#include <string.h>

/* ---- services used by route.c ---- */
void *cc_eng_alloc(ccenter_engine *e, size_t n);
void cc_eng_free(ccenter_engine *e, void *p, size_t n);
const char *cc_eng_intern(ccenter_engine *e, const char *s);
cc_timer_id cc_eng_arm(ccenter_engine *e, int64_t at, int kind, void *obj);
/* Cancels *id if armed and clears it. In line: most of the timer fields a call clears
 * (an answer clears four) are not armed. */
static inline void cc_eng_disarm(ccenter_engine *e, cc_timer_id *id)
{
  if (*id) {
    cc_timers_cancel(&e->timers, *id);
    *id = 0;
  }
}
void cc_offer(ccenter_engine *e, contact *c, agent *a, int direct);
/* work.c: starts a ringing work's ring timer (from the call's time); its timeout, 0: none. */
int64_t cc_arm_ring(ccenter_engine *e, work *w);
int64_t cc_queue_ewt(const ccenter_engine *e, const queue *q, unsigned position);
uint64_t cc_eng_random(ccenter_engine *e);
void cc_eng_step_event(ccenter_engine *e, contact *c);

/* ---- objects.c ---- */
/* A zeroed object of struct size n (which begins with CC_OBJ_HEAD), its id copied in front
 * of it and its head filled in. NULL when out of memory. */
void *cc_obj_new(ccenter_engine *e, size_t n, const char *id, void *user_data);
void cc_obj_free(ccenter_engine *e, const char *id, size_t n);
void *cc_contact_obj_new(ccenter_engine *e, size_t n, const char *id, void *user_data);
void cc_contact_obj_free(ccenter_engine *e, const char *id, size_t n);
void cc_contact_spares_free(ccenter_engine *e, size_t n);
/* What a valid id's length is, in characters: 1 to CCENTER_MAX_ID. */
static inline int cc_id_len_ok(size_t n)
{
  return n >= 1 && n <= CCENTER_MAX_ID;
}
int cc_valid_id(const char *s);

/* ---- events.c ---- */
void cc_bury(ccenter_engine *e, void *p, int kind);
void cc_ev_compact(ccenter_engine *e);
/* Recomputes e->ev_want after the receivers of events changed. */
void cc_ev_want_update(ccenter_engine *e);
void cc_deliver(ccenter_engine *e);
/* The observers' warm hooks for o (cc_observer.warm), where the call has raised events
 * naming o some time ago and will raise more. */
void cc_obs_warm(const ccenter_engine *e, cc_obj_kind kind, const cc_obj *o);

/* ---- timers.c ---- */
int cc_fire_due_out(ccenter_engine *e, int64_t now);
/* Fires the timers due at now, each at its own deadline, then sets the clock to now; 1 if
 * any fired. Nearly every call has none due: that is known in line. */
static inline int cc_fire_due(ccenter_engine *e, int64_t now)
{
  e->call_now = now;
  int fired = cc_timers_none_due(&e->timers, now) ? 0 : cc_fire_due_out(e, now);
  e->now = now;
  return fired;
}

/* ---- ewt.c ---- */
void cc_ewt_sample(ccenter_engine *e, queue *q, int64_t handle_ms);
void cc_sl_sample(ccenter_engine *e, queue *q, int met);
void cc_dequeue_sample(ccenter_engine *e, queue *q);
void cc_kick_reserve(ccenter_engine *e, queue *q);
void cc_update_reserve(ccenter_engine *e, queue *q);
void cc_run_kicks_out(ccenter_engine *e);
/* Routes the agents of the queues whose reserve changed in this call (usually none). */
static inline void cc_run_kicks(ccenter_engine *e)
{
  if (e->n_kicks)
    cc_run_kicks_out(e);
}

/* ---- work.c ---- */
int cc_reserve_works(ccenter_engine *e);
work *cc_work_new(ccenter_engine *e, agent *a, contact *c, queue *q, int consult);
void cc_start_wrap(ccenter_engine *e, work *w);
void cc_finish_work(ccenter_engine *e, work *w);
work *cc_leg_detach(ccenter_engine *e, contact *c);
void cc_leg_to_wrap(ccenter_engine *e, contact *c);
void cc_end_consult(ccenter_engine *e, contact *c, ccenter_cause cause, const agent *keep);
void cc_withdraw(ccenter_engine *e, work *w, ccenter_cause cause, int miss, int reroute);
int cc_op_accept(ccenter_engine *e, agent *a, contact *c);
int cc_op_reject_or_miss(ccenter_engine *e, agent *a, contact *c, int miss);
int cc_op_end(ccenter_engine *e, contact *c, int64_t party);
int cc_op_wrap(ccenter_engine *e, agent *a, const contact *live, const char *contact_id,
               int64_t extra);

/* ---- contact.c ---- */
void cc_contact_enter_queue(ccenter_engine *e, contact *c, queue *q, int64_t enq_at, int fresh);
void cc_maybe_offer_callback(ccenter_engine *e, contact *c, int64_t ewt);
void cc_contact_leave_for_good(ccenter_engine *e, contact *c, ccenter_outcome outcome);
void cc_contact_maybe_done(ccenter_engine *e, contact *c);
ccenter_event *cc_emit_queued(ccenter_engine *e, contact *c, ccenter_event_type type, queue *from);
int64_t cc_queued_then_route(ccenter_engine *e, contact *c);
int cc_reserve_exclusion(ccenter_engine *e, contact *c);
void cc_exclude_agent(ccenter_engine *e, contact *c, const agent *a);
void cc_apply_max_wait(ccenter_engine *e, contact *c);
int cc_params_valid(const ccenter_contact_params *p);
/* The bytes a contact counts in e->bytes beyond its struct (id, customer, attributes,
 * rejections). */
size_t cc_contact_extra(const contact *c);
void cc_free_contact(ccenter_engine *e, contact *c);
void cc_remember_sticky(ccenter_engine *e, contact *c, agent *a);
int cc_op_enqueue(ccenter_engine *e, const cc_jrec *r);
int cc_op_abandon(ccenter_engine *e, contact *c, ccenter_outcome outcome);
int cc_op_hold(ccenter_engine *e, contact *c, int hold);
int cc_op_disposition(ccenter_engine *e, contact *c, const char *code, int64_t score);
int cc_op_callback(ccenter_engine *e, contact *c);

/* ---- transfer.c ---- */
int cc_op_transfer_queue(ccenter_engine *e, contact *c, queue *t);
int cc_op_transfer_agent(ccenter_engine *e, contact *c, agent *b);
int cc_op_requeue(ccenter_engine *e, contact *c);
int cc_op_consult_start(ccenter_engine *e, contact *c, agent *b);
int cc_op_consult_complete(ccenter_engine *e, contact *c);
int cc_op_consult_cancel(ccenter_engine *e, contact *c);

/* ---- presence.c ---- */
void cc_pend_not_ready(ccenter_engine *e, agent *a, const char *r, ccenter_cause cause);
void cc_set_presence(ccenter_engine *e, agent *a, ccenter_agent_state st, const char *reason,
                     ccenter_cause cause);
int cc_op_login(ccenter_engine *e, agent *a);
int cc_op_logout(ccenter_engine *e, agent *a);
int cc_op_ready(ccenter_engine *e, agent *a);
int cc_op_not_ready(ccenter_engine *e, agent *a, const char *reason);

/* ---- agent.c ---- */
int cc_op_agent_add(ccenter_engine *e, const cc_jrec *r);
void cc_free_agent(ccenter_engine *e, agent *a);
/* events.c: tells the observers that hold a record in the object's slots that it goes. */
void cc_obs_gone(ccenter_engine *e, cc_obj_kind kind, cc_obj *o);
void cc_unserve(ccenter_engine *e, membership *m);
int cc_op_agent_remove(ccenter_engine *e, agent *a);
int cc_op_serve(ccenter_engine *e, agent *a, queue *q, int64_t prio, int64_t delay,
                int64_t reserve);
int cc_op_unserve(ccenter_engine *e, agent *a, queue *q);
int cc_op_set_skill(ccenter_engine *e, agent *a, const char *name, int64_t level);
int cc_op_set_attr(ccenter_engine *e, agent *a, const char *key, const char *value);

/* ---- queue.c ---- */
void cc_stepset_put(ccenter_engine *e, queue *q, stepset *ss);
int cc_empty_by_rule(const queue *q, int64_t rule);
void cc_check_leave_empty(ccenter_engine *e, queue *q);
int cc_op_add_step(ccenter_engine *e, queue *q, const char *text, int64_t duration);
int cc_op_queue_add(ccenter_engine *e, const char *id, void *user_data);
void cc_free_queue(ccenter_engine *e, queue *q);
int cc_op_queue_remove(ccenter_engine *e, queue *q, queue *drain);
int cc_op_queue_set(ccenter_engine *e, queue *q, int64_t opt, int64_t v);
/* 0, CCENTER_EINVAL (unknown option) or CCENTER_ERANGE: checked before anything happens. */
int cc_queue_opt_check(int64_t opt, int64_t v);
int cc_queue_get(const queue *q, int64_t opt, int64_t *v);

/* ---- hot helpers, inline in every file that calls them ---- */

#define PREFETCH(p) CC_PREFETCH(p)

/* The time of the call being made. While a late call catches up on its due timers,
 * e->now is each timer's own deadline; what starts then and is meant to last from the
 * moment the integrator hears of it (a ring, a period) starts at the call's time, so a
 * stall ends one late timer, not a chain of them (timers.c). */
static inline int64_t cc_call_time(const ccenter_engine *e)
{
  return e->call_now > e->now ? e->call_now : e->now;
}

static inline int ev_reserve(ccenter_engine *e, size_t extra)
{
  return cc_grow(&e->alloc, (void **)&e->events, &e->cap_events, e->n_events + extra,
                 sizeof *e->events);
}

/* Events are built as the public struct, the first member of the observers' view; these
 * set an id, its user data and the object behind it together. */
#define OBS_EV(ev) ((cc_obs_event *)(void *)(ev))

static inline void ev_name(cc_obj **obj, const char **id, void **data, cc_obj *o)
{
  *obj = o;
  *id = o ? o->id : NULL;
  *data = o ? o->user : NULL;
}

static inline void ev_set_agent(ccenter_event *ev, agent *a)
{
  ev_name(&OBS_EV(ev)->agent, &ev->agent, &ev->agent_data, (cc_obj *)a);
}

static inline void ev_set_agent_to(ccenter_event *ev, agent *a)
{
  ev_name(&OBS_EV(ev)->agent_to, &ev->agent_to, &ev->agent_to_data, (cc_obj *)a);
}

static inline void ev_set_queue(ccenter_event *ev, queue *q)
{
  ev_name(&OBS_EV(ev)->queue, &ev->queue, &ev->queue_data, (cc_obj *)q);
}

static inline void ev_set_queue_to(ccenter_event *ev, queue *q)
{
  ev_name(&OBS_EV(ev)->queue_to, &ev->queue_to, &ev->queue_to_data, (cc_obj *)q);
}

/* Room was reserved before the operation started mutating; growing here is a fallback. */
static inline ccenter_event *ev_push(ccenter_engine *e, ccenter_event_type type)
{
  /* Nobody wants it: not built at all. Every caller already copes with no event. */
  if (!((e->ev_want >> type) & 1))
    return NULL;
  if (e->n_events == e->cap_events && ev_reserve(e, 1)) {
    cc_logf(&e->log, CCENTER_LOG_ERROR, "event dropped: out of memory (type %d)", (int)type);
    return NULL;
  }
  cc_obs_event *oe = &e->events[e->n_events++];
  memset(oe, 0, sizeof *oe);
  ccenter_event *ev = &oe->pub;
  ev->size = sizeof *ev;
  ev->type = type;
  ev->time = e->now;
  ev->ewt_ms = -1;
  ev->score = -1;
  return ev;
}

static inline ccenter_event *ev_agent(ccenter_engine *e, ccenter_event_type type, agent *a)
{
  ccenter_event *ev = ev_push(e, type);
  if (ev)
    ev_set_agent(ev, a);
  return ev;
}

static inline ccenter_event *ev_contact(ccenter_engine *e, ccenter_event_type type, contact *c,
                                        agent *a)
{
  ccenter_event *ev = ev_push(e, type);
  if (!ev)
    return NULL;
  /* The observers' records of the contact, the agent and the queue are read when the
   * event is delivered, at the end of the call: start fetching them now, while the engine
   * works on. */
  PREFETCH(c->slot[0]);
  if (a)
    PREFETCH(a->slot[0]);
  if (c->q)
    PREFETCH(c->q->slot[0]);
  OBS_EV(ev)->contact = (cc_obj *)c;
  ev->contact = c->id;
  ev->contact_data = c->user;
  ev_set_queue(ev, c->q);
  ev->customer = c->customer;
  ev->channel = c->channel;
  ev->priority = c->priority;
  ev_set_agent(ev, a);
  ev->orig_position = c->orig_position;
  return ev;
}

/* Events the engine has raised so far: a buried object is named by none after this. */
static inline uint64_t ev_seq(const ccenter_engine *e)
{
  return e->ev_base + e->n_events;
}

static inline contact *node_contact(cc_tnode *n)
{
  return n ? (contact *)((char *)n - offsetof(contact, node)) : NULL;
}

static inline unsigned cc_agent_work(const agent *a)
{
  return a->n_offered + a->n_connected + a->n_wrap;
}

static inline int cc_can_take(const agent *a, ccenter_channel ch)
{
  if (a->n[ch] >= a->cap[ch])
    return 0;
  for (int b = 0; b < NCH; b++)
    if (b != (int)ch && a->n[b] && !(a->overlap[b] & (1u << ch)))
      return 0;
  return 1;
}

static inline int cc_agent_routable(const agent *a)
{
  if (a->state != CCENTER_AGENT_READY || a->pending_nr || a->pending_logout)
    return 0;
  for (int ch = 0; ch < NCH; ch++)
    if (cc_can_take(a, (ccenter_channel)ch))
      return 1;
  return 0;
}

static inline void q_ref(queue *q)
{
  if (q)
    q->refs++;
}

static inline void q_unref(ccenter_engine *e, queue *q)
{
  if (q && --q->refs == 0 && q->removed)
    cc_bury(e, q, 2);
}

static inline void queue_insert(ccenter_engine *e, contact *c)
{
  cc_route_enter(e, c);
  c->in_queue = 1;
  c->q->n_waiting++;
}

static inline void queue_take(ccenter_engine *e, contact *c)
{
  cc_route_leave(e, c);
  c->in_queue = 0;
  if (--c->q->n_waiting == 0)
    c->q->backlog = 0;
}

static inline int cc_excluded(const ccenter_engine *e, const contact *c, const agent *a)
{
  for (size_t i = 0; i < c->n_rej; i++)
    if (c->rej[i].agent_seq == a->seq && c->rej[i].until > e->now)
      return 1;
  return 0;
}

static inline int64_t ring_timeout_of(const queue *q)
{
  return q ? q->ring_timeout : 15000;
}

/* The contact's connected leg, and its agent beside it. */
static inline void set_primary(contact *c, work *w)
{
  c->primary = w;
  c->primary_agent = w ? w->a : NULL;
}

/* An id's hash, from the call's arguments when it is one of them (one hash per id). */
static inline uint64_t id_hash(const ccenter_engine *e, const char *id)
{
  if (id == e->call_key[0])
    return e->call_h[0];
  if (id == e->call_key[1])
    return e->call_h[1];
  return cc_hash_str(id);
}

static inline agent *find_agent(ccenter_engine *e, const char *id)
{
  return e->agents.len ? cc_map_get_h(&e->agents, id, id_hash(e, id)) : NULL;
}

static inline queue *find_queue(ccenter_engine *e, const char *id)
{
  return e->queues.len ? cc_map_get_h(&e->queues, id, id_hash(e, id)) : NULL;
}

static inline contact *find_contact(ccenter_engine *e, const char *id)
{
  return e->contacts.len ? cc_map_get_h(&e->contacts, id, id_hash(e, id)) : NULL;
}

static inline int connected(const contact *c)
{
  return c->primary && c->primary->state == W_CONNECTED;
}

#endif
