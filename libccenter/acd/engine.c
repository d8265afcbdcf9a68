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

/* The range of each engine option: checked before anything happens (check_args). */
static int engine_opt_check(int64_t opt, int64_t v)
{
  int64_t lo, hi;
  switch (opt) {
  case CCENTER_ENGINE_MAX_NO_ANSWER:
    lo = 0, hi = 1000;
    break;
  case CCENTER_ENGINE_REJECT_DELAY:
  case CCENTER_ENGINE_SHORT_ABANDON:
    lo = 0, hi = DAY_MS;
    break;
  case CCENTER_ENGINE_EWT_SAMPLES:
    lo = 2, hi = EWT_MAX_SAMPLES;
    break;
  case CCENTER_ENGINE_STATS_INTERVAL:
    lo = 1000, hi = DAY_MS;
    break;
  case CCENTER_ENGINE_STATS_KEEP:
    lo = 1, hi = 100000;
    break;
  case CCENTER_ENGINE_SEED:
    lo = 0, hi = INT64_MAX;
    break;
  case CCENTER_ENGINE_REPEAT_WINDOW:
    lo = 0, hi = 365 * DAY_MS;
    break;
  default:
    return CCENTER_EINVAL;
  }
  return v < lo || v > hi ? CCENTER_ERANGE : 0;
}

static int op_engine_set(ccenter_engine *e, int64_t opt, int64_t v)
{
  switch (opt) {
  case CCENTER_ENGINE_MAX_NO_ANSWER:
    e->max_no_answer = v;
    break;
  case CCENTER_ENGINE_REJECT_DELAY:
    e->reject_delay = v;
    break;
  case CCENTER_ENGINE_EWT_SAMPLES: {
    e->ewt_samples = v;
    size_t it = 0;
    queue *q;
    while ((q = cc_map_next(&e->queues, &it)))
      q->ewt_n = q->ewt_pos = q->deq_n = q->deq_pos = 0;
    break;
  }
  case CCENTER_ENGINE_STATS_INTERVAL:
    e->stats_cfg.interval_ms = v;
    break;
  case CCENTER_ENGINE_STATS_KEEP:
    e->stats_cfg.keep = v;
    break;
  case CCENTER_ENGINE_SHORT_ABANDON:
    e->stats_cfg.short_abandon_ms = v;
    break;
  case CCENTER_ENGINE_SEED:
    e->rng = v ? (uint64_t)v : 0x9E3779B97F4A7C15ull;
    break;
  case CCENTER_ENGINE_REPEAT_WINDOW:
    e->stats_cfg.repeat_window_ms = v;
    break;
  }
  return 0;
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

/* cc_valid_id(s), and s's hash in *h on the way (prelook reuses it). */
static int id_ok(const char *s, uint64_t *h)
{
  size_t n = 0;
  if (s)
    *h = cc_hash_strn(s, CCENTER_MAX_ID, &n);
  return cc_id_len_ok(n);
}

/* Everything that depends only on the arguments, before any timer fires: a malformed call
 * changes nothing, not even the clock (engine.h, "Errors"). Sets bit j of *hashed when
 * e->call_h[j] is the hash of r->s[j]. */
static int check_args(ccenter_engine *e, const cc_jrec *r, unsigned *hashed)
{
  *hashed = 0;
  if ((int)r->op <= 0 || r->op >= CC_OP_COUNT_ || !op_info[r->op].name)
    return CCENTER_EINVAL;
  unsigned m = op_info[r->op].strs;
  if (m & S0) {
    if (!id_ok(r->s[0], &e->call_h[0]))
      return CCENTER_EINVAL;
    *hashed |= 1;
  }
  if ((m & S1) || ((m & S1_OPT) && r->s[1])) {
    if (!id_ok(r->s[1], &e->call_h[1]))
      return CCENTER_EINVAL;
    *hashed |= 2;
  }
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
    /* A skill a requirement could not name could never be routed on. */
    if (cc_req_check_name(r->s[1]))
      return CCENTER_EINVAL;
    break;
  case CC_OP_ENGINE_SET:
    return engine_opt_check(r->i[0], r->i[1]);
  case CC_OP_QUEUE_SET:
    return cc_queue_opt_check(r->i[0], r->i[1]);
  case CC_OP_QUEUE_REMOVE:
  case CC_OP_QUEUE_SET_OVERFLOW:
    if (r->s[1] && strcmp(r->s[0], r->s[1]) == 0)
      return CCENTER_EINVAL; /* drained or overflowing into itself */
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
    if (!r->s[1] || strnlen(r->s[1], CCENTER_MAX_REQUIREMENT + 1) > CCENTER_MAX_REQUIREMENT)
      return CCENTER_EINVAL;
    if (r->i[0] < 1 || r->i[0] > DAY_MS)
      return CCENTER_ERANGE;
    return cc_requirement_check(e, r->s[1]);
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
    for (size_t i = 0; r->params && i < r->params->n_steps; i++) {
      int rc = cc_requirement_check(e, r->params->steps[i].requirement);
      if (rc)
        return rc;
    }
    break;
  default:
    break;
  }
  return 0;
}

/* The map the op looks its id argument s[j] up in, or NULL (not an id, or rare). */
static const cc_map *arg_map(const ccenter_engine *e, cc_op op, int j)
{
  switch (op) {
  case CC_OP_AGENT_LOGIN:
  case CC_OP_AGENT_LOGOUT:
  case CC_OP_AGENT_READY:
  case CC_OP_AGENT_NOT_READY:
    return j ? NULL : &e->agents;
  case CC_OP_OFFER_ACCEPT:
  case CC_OP_OFFER_REJECT:
  case CC_OP_OFFER_MISSED:
  case CC_OP_AGENT_WRAP_UP_END:
  case CC_OP_AGENT_WRAP_UP_EXTEND:
    return j ? &e->contacts : &e->agents;
  case CC_OP_CONTACT_ENQUEUE:
  case CC_OP_CONTACT_TRANSFER_QUEUE:
    return j ? &e->queues : &e->contacts;
  case CC_OP_CONTACT_TRANSFER_AGENT:
  case CC_OP_CONTACT_CONSULT_START:
    return j ? &e->agents : &e->contacts;
  case CC_OP_CONTACT_ABANDON:
  case CC_OP_CONTACT_REMOVE:
  case CC_OP_CONTACT_END:
  case CC_OP_CONTACT_HOLD:
  case CC_OP_CONTACT_RESUME:
  case CC_OP_CONTACT_REQUEUE:
  case CC_OP_CONTACT_CONSULT_COMPLETE:
  case CC_OP_CONTACT_CONSULT_CANCEL:
    return j ? NULL : &e->contacts;
  default:
    return NULL;
  }
}

/* At scale each lookup's first cache miss is the map slot: hash the call's ids now and
 * start fetching their slots, so that those misses overlap the reserves and the due
 * timers before the op; the op's lookups reuse the hashes (id_hash). */
static void prelook(ccenter_engine *e, const cc_jrec *r, unsigned hashed)
{
  for (int j = 0; j < 2; j++) {
    const cc_map *m = arg_map(e, r->op, j);
    e->call_key[j] = m ? r->s[j] : NULL;
    if (m) {
      if (!(hashed >> j & 1))
        e->call_h[j] = cc_hash_str(r->s[j]);
      cc_map_prefetch(m, e->call_h[j]);
    }
  }
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
  if (r->now < CCENTER_TIME_MIN || r->now > CCENTER_TIME_MAX)
    return CCENTER_ERANGE;
  if (r->now < e->now)
    return CCENTER_ETIME;
  unsigned hashed;
  int rc = check_args(e, r, &hashed);
  if (rc)
    return rc;
  prelook(e, r, hashed);
  cc_ev_compact(e);
  /* Room for what an ordinary call creates — events, graves, timers, offers — so that it
   * cannot fail halfway: a call that would run out fails here, before anything happens. */
  if (ev_reserve(e, 4 * RING_ALL_LIMIT) ||
      cc_grow(&e->alloc, (void **)&e->graves, &e->cap_graves, e->n_graves + 16,
              sizeof *e->graves) ||
      cc_timers_reserve(&e->timers, 4 * RING_ALL_LIMIT) || cc_reserve_works(e) ||
      cc_grow(&e->alloc, (void **)&e->kicks, &e->cap_kicks, e->n_kicks + 8, sizeof *e->kicks))
    rc = CCENTER_ENOMEM;
  /* Write-ahead: the store keeps the input before anything happens, so that a failed
   * write leaves the engine as the journal has it. */
  else if (e->wal_fn)
    rc = e->wal_fn(e->wal_ud, r);
  if (rc) {
    e->call_key[0] = e->call_key[1] = NULL;
    return rc;
  }
  e->in_exec = 1;
  int fired = cc_fire_due(e, r->now);
  rc = dispatch(e, r);
  e->call_key[0] = e->call_key[1] = NULL;
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

void cc_engine_set_wal(ccenter_engine *e, cc_wal_fn fn, void *ud)
{
  e->wal_fn = fn;
  e->wal_ud = ud;
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
  if (now < CCENTER_TIME_MIN || now > CCENTER_TIME_MAX)
    return CCENTER_ERANGE;
  cc_alloc al;
  cc_alloc_of(opts, &al);
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
  e->event_mask = opts ? opts->event_mask : CCENTER_EVENTS_ALL;
  cc_ev_want_update(e);
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
  cc_map_init_key(&e->strings, 0, 0);
  cc_map_init_key(&e->customers, offsetof(sticky, customer), 1);
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
  cc_contact_spares_free(e, sizeof(contact));
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
