/*
 * Events and observers: when buffered events are delivered (to the observers, then the
 * integrator), when pulled events are released, when buried objects are finally freed
 * (the graveyard), and the observer contract (acd/observer.h): registration, slots, and
 * the settings the engine keeps for its observers. Also the names of events and causes.
 *
 * Separate because it decides the lifetime of what the integrator sees, apart from what
 * happened; building an event is on the hot path and lives in acd/engine_priv.h.
 */
#include "acd/engine_priv.h"

void cc_bury(ccenter_engine *e, void *p, int kind)
{
  if (cc_grow(&e->alloc, (void **)&e->graves, &e->cap_graves, e->n_graves + 1,
              sizeof *e->graves)) {
    /* Unreachable in practice: room is reserved per call. Leaking beats a dangling
     * pointer in an event. */
    cc_logf(&e->log, CCENTER_LOG_ERROR, "graveyard full: object leaked");
    return;
  }
  e->graves[e->n_graves].p = p;
  e->graves[e->n_graves].kind = kind;
  e->graves[e->n_graves].seq = ev_seq(e);
  e->n_graves++;
}

/* Frees the buried objects that no event still to be read names: those buried before
 * event number `upto` (every event before it has been delivered, or pulled and released). */
static void free_graves(ccenter_engine *e, uint64_t upto)
{
  size_t k = 0;
  for (size_t i = 0; i < e->n_graves; i++) {
    grave *g = &e->graves[i];
    if (g->seq > upto) {
      e->graves[k++] = *g;
      continue;
    }
    if (g->kind == CC_OBJ_AGENT)
      cc_free_agent(e, g->p);
    else if (g->kind == CC_OBJ_CONTACT)
      cc_free_contact(e, g->p);
    else
      cc_free_queue(e, g->p);
  }
  e->n_graves = k;
}

/* The event queue: events before ev_head were pulled. Called before a call buffers new
 * events, so that the buffer holds only what is still to be pulled. */
void cc_ev_compact(ccenter_engine *e)
{
  if (!e->ev_head)
    return;
  memmove(e->events, e->events + e->ev_head, (e->n_events - e->ev_head) * sizeof *e->events);
  e->ev_base += e->ev_head;
  e->n_events -= e->ev_head;
  e->n_delivered -= e->ev_head;
  e->ev_head = 0;
}

/* The oldest event a pulled or queued event may still need: the one pulled last is valid
 * until the next pull. */
static uint64_t ev_released(const ccenter_engine *e)
{
  uint64_t head = e->ev_base + e->ev_head;
  return e->have_pulled ? head - 1 : head;
}

void cc_deliver(ccenter_engine *e)
{
  /* Events raised while delivering are impossible: the callback cannot change state. */
  e->in_callback = 1;
  for (size_t i = e->n_delivered; i < e->n_events; i++) {
    for (size_t k = 0; k < e->n_obs; k++)
      e->obs[k].vt->on_event(e->obs[k].ud, e, &e->events[i]);
    if (!((e->event_mask >> e->events[i].pub.type) & 1))
      continue; /* built for the observers only */
    if (e->event_fn)
      e->event_fn(e, &e->events[i].pub, e->event_ud);
    else if (e->event_queue)
      e->n_pending++;
  }
  e->in_callback = 0;
  if (e->event_queue) {
    e->n_delivered = e->n_events;
    if (e->n_graves)
      free_graves(e, ev_released(e));
  } else {
    e->n_events = e->n_delivered = 0;
    e->ev_base = 0;
    if (e->n_graves)
      free_graves(e, UINT64_MAX);
  }
}

void cc_ev_want_update(ccenter_engine *e)
{
  if (e->n_obs)
    e->ev_want = CCENTER_EVENTS_ALL;
  else if (e->event_fn || e->event_queue)
    e->ev_want = e->event_mask;
  else
    e->ev_want = 0;
}

int cc_engine_add_observer(ccenter_engine *e, const cc_observer *vt, void *ud, int want_slot,
                           int *slot)
{
  int k = -1;
  if (want_slot) {
    unsigned used = 0;
    for (size_t i = 0; i < e->n_obs; i++)
      if (e->obs[i].slot >= 0)
        used |= 1u << e->obs[i].slot;
    for (int i = 0; i < CC_OBS_SLOTS && k < 0; i++)
      if (!(used & (1u << i)))
        k = i;
  }
  if (e->n_obs == CC_MAX_OBSERVERS || (want_slot && k < 0))
    return CCENTER_EFULL;
  if (want_slot)
    *slot = k;
  e->obs[e->n_obs].vt = vt;
  e->obs[e->n_obs].ud = ud;
  e->obs[e->n_obs].slot = k;
  e->n_obs++;
  cc_ev_want_update(e);
  return 0;
}

/* The observer's slot is free again: it must have set every value it kept there back to
 * NULL (the queue_log sink does when it is detached). */
void cc_engine_remove_observer(ccenter_engine *e, const cc_observer *vt, void *ud)
{
  for (size_t i = 0; i < e->n_obs; i++)
    if (e->obs[i].vt == vt && e->obs[i].ud == ud) {
      memmove(&e->obs[i], &e->obs[i + 1], (e->n_obs - i - 1) * sizeof e->obs[0]);
      e->n_obs--;
      cc_ev_want_update(e);
      return;
    }
}

void cc_obs_warm(const ccenter_engine *e, cc_obj_kind kind, const cc_obj *o)
{
  for (size_t i = 0; i < e->n_obs; i++) {
    const obs_entry *ob = &e->obs[i];
    if (ob->vt->warm && ob->slot >= 0 && o->slot[ob->slot])
      ob->vt->warm(ob->ud, kind, o->slot[ob->slot]);
  }
}

void *cc_engine_observer(const ccenter_engine *e, const cc_observer *vt)
{
  for (size_t i = 0; e && i < e->n_obs; i++)
    if (e->obs[i].vt == vt)
      return e->obs[i].ud;
  return NULL;
}

const cc_stats_cfg *cc_engine_stats_cfg(const ccenter_engine *e)
{
  return &e->stats_cfg;
}

const uint64_t *cc_engine_sla_version(const ccenter_engine *e)
{
  return &e->sla_version;
}

int cc_engine_queue_sla(const ccenter_engine *e, const char *queue_id, cc_sla_cfg *out)
{
  queue *q = cc_map_get(&e->queues, queue_id);
  if (!q)
    return CCENTER_ENOENT;
  out->threshold_ms = q->sl_threshold;
  out->target_bp = q->sl_target;
  out->warning_pct = q->sl_warning;
  out->n_extra = q->n_thresholds;
  for (size_t i = 0; i < q->n_thresholds; i++)
    out->extra_ms[i] = q->thresholds[i];
  return 0;
}

const cc_alloc *cc_engine_alloc(const ccenter_engine *e)
{
  return &e->alloc;
}

const cc_log *cc_engine_log(const ccenter_engine *e)
{
  return &e->log;
}

int cc_engine_in_callback(const ccenter_engine *e)
{
  return e->in_callback;
}

const ccenter_event *ccenter_engine_next_event(ccenter_engine *e)
{
  if (!e || !e->event_queue || e->in_exec)
    return NULL;
  /* Events outside the integrator's mask were built for the observers: step over them. */
  while (e->ev_head < e->n_delivered &&
         !((e->event_mask >> e->events[e->ev_head].pub.type) & 1))
    e->ev_head++;
  if (e->ev_head == e->n_delivered) {
    e->have_pulled = 0;
    free_graves(e, ev_released(e));
    return NULL;
  }
  e->pulled = e->events[e->ev_head++];
  e->n_pending--;
  e->have_pulled = 1;
  free_graves(e, ev_released(e));
  return &e->pulled.pub;
}

size_t ccenter_engine_pending_events(const ccenter_engine *e)
{
  return e && e->event_queue ? e->n_pending : 0;
}

static const char *const event_names[] = {
  [CCENTER_EV_AGENT_STATE] = "AGENT_STATE",
  [CCENTER_EV_AGENT_PENDING] = "AGENT_PENDING",
  [CCENTER_EV_CONTACT_QUEUED] = "CONTACT_QUEUED",
  [CCENTER_EV_CONTACT_OFFERED] = "CONTACT_OFFERED",
  [CCENTER_EV_OFFER_WITHDRAWN] = "OFFER_WITHDRAWN",
  [CCENTER_EV_CONTACT_CONNECTED] = "CONTACT_CONNECTED",
  [CCENTER_EV_CONTACT_HELD] = "CONTACT_HELD",
  [CCENTER_EV_CONTACT_RESUMED] = "CONTACT_RESUMED",
  [CCENTER_EV_CONTACT_TRANSFERRED] = "CONTACT_TRANSFERRED",
  [CCENTER_EV_CONTACT_REQUEUED] = "CONTACT_REQUEUED",
  [CCENTER_EV_CONTACT_OVERFLOWED] = "CONTACT_OVERFLOWED",
  [CCENTER_EV_CONTACT_CALLBACK_OFFER] = "CONTACT_CALLBACK_OFFER",
  [CCENTER_EV_CONTACT_CALLBACK_QUEUED] = "CONTACT_CALLBACK_QUEUED",
  [CCENTER_EV_CALLBACK_DUE] = "CALLBACK_DUE",
  [CCENTER_EV_ANNOUNCE] = "ANNOUNCE",
  [CCENTER_EV_CONVERSATION_ENDED] = "CONVERSATION_ENDED",
  [CCENTER_EV_WRAP_UP_ENDED] = "WRAP_UP_ENDED",
  [CCENTER_EV_CONTACT_ENDED] = "CONTACT_ENDED",
  [CCENTER_EV_CONSULT_OFFERED] = "CONSULT_OFFERED",
  [CCENTER_EV_CONSULT_CONNECTED] = "CONSULT_CONNECTED",
  [CCENTER_EV_CONSULT_ENDED] = "CONSULT_ENDED",
  [CCENTER_EV_DISPOSITION] = "DISPOSITION",
  [CCENTER_EV_QUEUE_MOVED] = "QUEUE_MOVED",
  [CCENTER_EV_SLA_WARNING] = "SLA_WARNING",
  [CCENTER_EV_SLA_BREACH] = "SLA_BREACH",
  [CCENTER_EV_AGENT_SERVE] = "AGENT_SERVE",
  [CCENTER_EV_STEP] = "STEP",
};

static const char *const cause_names[CCENTER_CAUSE_COUNT_] = {
  [CCENTER_CAUSE_NONE] = "none",
  [CCENTER_CAUSE_RING_TIMEOUT] = "ring-timeout",
  [CCENTER_CAUSE_REJECTED] = "rejected",
  [CCENTER_CAUSE_MISSED] = "missed",
  [CCENTER_CAUSE_ABANDONED] = "abandoned",
  [CCENTER_CAUSE_REMOVED] = "removed",
  [CCENTER_CAUSE_AGENT_LOGOUT] = "agent-logout",
  [CCENTER_CAUSE_QUEUE_REMOVED] = "queue-removed",
  [CCENTER_CAUSE_ANSWERED_ELSEWHERE] = "answered-elsewhere",
  [CCENTER_CAUSE_NO_ANSWER] = "no-answer",
  [CCENTER_CAUSE_LOGIN] = "login",
  [CCENTER_CAUSE_CONVERSATION_ENDED] = "conversation-ended",
  [CCENTER_CAUSE_TRANSFERRED] = "transferred",
  [CCENTER_CAUSE_REQUEUED] = "requeued",
  [CCENTER_CAUSE_CANCELLED] = "cancelled",
};

const char *ccenter_cause_name(ccenter_cause cause)
{
  if ((int)cause < 0 || cause >= CCENTER_CAUSE_COUNT_)
    return "unknown";
  return cause_names[cause];
}

const char *ccenter_event_name(ccenter_event_type type)
{
  if ((int)type <= 0 || (size_t)type >= sizeof event_names / sizeof event_names[0] ||
      !event_names[type])
    return "UNKNOWN";
  return event_names[type];
}

/* An object freed while an observer still holds a record in its slot: the object's end
 * was never delivered (the engine is being freed, or an event was lost to memory), or the
 * observer keeps records the engine knows nothing of (queue_log's per-agent queues). */
void cc_obs_gone(ccenter_engine *e, cc_obj_kind kind, cc_obj *o)
{
  for (size_t i = 0; i < e->n_obs; i++)
    if (e->obs[i].vt->on_free && e->obs[i].slot >= 0 && o->slot[e->obs[i].slot])
      e->obs[i].vt->on_free(e->obs[i].ud, kind, o->slot[e->obs[i].slot]);
}
