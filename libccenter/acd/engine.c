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
