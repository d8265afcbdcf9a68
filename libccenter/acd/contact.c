/*
 * Contacts: entering a queue (new, moved, requeued, overflowed), its timers, leaving for
 * good and when a contact ends, its routing parameters (own steps, preferred and sticky
 * agents), the reject delay, callbacks, hold and dispositions, and freeing its memory.
 *
 * Separate because a contact's life outside a work's legs has its own rules: when it
 * ends, what it keeps, and what a queue change resets.
 */
#include "acd/engine_priv.h"

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
    if (q->max_wait > 0 && !c->is_callback)
      c->max_wait_timer = cc_eng_arm(e, enq_at + q->max_wait, T_MAXWAIT, c);
    if (q->announce_every > 0 && !c->is_callback)
      c->announce_timer = cc_eng_arm(e, e->now + q->announce_every, T_ANNOUNCE, c);
    c->orig_position = (int)cc_treap_rank(&q->waiting, &c->node.n);
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
    c->exit_position = (int)cc_treap_rank(&c->q->waiting, &c->node.n);
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
  ev->position = (int)cc_treap_rank(&c->q->waiting, &c->node.n);
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
                   : cc_queue_ewt(e, c->q, (unsigned)cc_treap_rank(&c->q->waiting, &c->node.n));
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
  size_t old_cap = c->cap_rej, cap = old_cap;
  if (cc_grow(&e->alloc, (void **)&c->rej, &cap, (size_t)c->n_rej + 1, sizeof *c->rej))
    return CCENTER_ENOMEM;
  c->cap_rej = (uint32_t)cap; /* n_rej is a uint32_t: doubling stays under 2^32 */
  e->bytes += (cap - old_cap) * sizeof *c->rej;
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

size_t cc_contact_extra(const contact *c)
{
  size_t n = strlen(c->id) + 1 + (c->customer ? strlen(c->customer) + 1 : 0);
  n += c->n_attrs * sizeof(ccenter_attr);
  for (size_t i = 0; i < c->n_attrs; i++)
    n += strlen(c->attrs[i].key) + strlen(c->attrs[i].value) + 2;
  return n + c->cap_rej * sizeof(rejection);
}

/* Frees what a contact owns apart from its queue and steps. */
static void free_contact_memory(ccenter_engine *e, contact *c)
{
  cc_obs_gone(e, CC_OBJ_CONTACT, (cc_obj *)c);
  prefer_clear(e, c);
  cc_free(&e->alloc, c->rej);
  cc_free(&e->alloc, c->attrs);
  cc_free(&e->alloc, c->customer);
  cc_contact_obj_free(e, c->id, sizeof *c);
}

void cc_free_contact(ccenter_engine *e, contact *c)
{
  queue *q = c->q;
  e->bytes -= cc_contact_extra(c);
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
  contact *c = cc_contact_obj_new(e, sizeof *c, id, p->user_data);
  if (!c)
    return CCENTER_ENOMEM;
  c->customer = p->customer ? cc_strdup(&e->alloc, p->customer) : NULL;
  size_t ablock = p->n_attrs * sizeof(ccenter_attr);
  for (size_t i = 0; i < p->n_attrs; i++)
    ablock += strlen(p->attrs[i].key) + strlen(p->attrs[i].value) + 2;
  c->attrs = p->n_attrs ? cc_malloc(&e->alloc, ablock) : NULL;
  if ((p->customer && !c->customer) || (p->n_attrs && !c->attrs)) {
    free_contact_memory(e, c);
    return CCENTER_ENOMEM;
  }
  /* NULL + 0 is undefined behaviour: no attributes, no block to write into. */
  char *sp = c->attrs ? (char *)(c->attrs + p->n_attrs) : NULL;
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
  c->preferred_until = -1;
  int rc = contact_routing_params(e, c, q, p);
  if (rc) {
    free_contact_memory(e, c);
    return rc;
  }
  e->bytes += cc_contact_extra(c);
  cc_map_put_h(&e->contacts, &e->alloc, c->id, id_hash(e, id), c); /* room reserved above */
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
  cc_emit_queued(e, c, CCENTER_EV_CONTACT_CALLBACK_QUEUED, NULL);
  cc_route_contact(e, c);
  return 0;
}
