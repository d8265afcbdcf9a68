/*
 * Queries: the read-only views of queues, agents, contacts and skills (info structs by the
 * ABI's size rule), contact attributes, and the engine's memory for benchmarks.
 *
 * Separate because nothing here changes state.
 */
#include "acd/engine_priv.h"

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
  if (now < CCENTER_TIME_MIN || now > CCENTER_TIME_MAX)
    return CCENTER_ERANGE;
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
  for (cc_tnode *n = cc_treap_first(&q->waiting); n; n = cc_treap_next(&q->waiting, n))
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
  v.ewt_ms = cc_route_offers_at_once(e, q, now) ? 0 : cc_queue_ewt(e, q, q->n_waiting + 1);
  return fill_sized(info, &v, offsetof(ccenter_queue_info, ewt_ms) + sizeof(int64_t));
}

int ccenter_agent_info_get(const ccenter_engine *e, const char *agent_id, int64_t now,
                           ccenter_agent_info *info)
{
  if (!e || !agent_id || !info)
    return CCENTER_EINVAL;
  if (now < CCENTER_TIME_MIN || now > CCENTER_TIME_MAX)
    return CCENTER_ERANGE;
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
  if (now < CCENTER_TIME_MIN || now > CCENTER_TIME_MAX)
    return CCENTER_ERANGE;
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
  v.position = c->in_queue ? (unsigned)cc_treap_rank(&c->q->waiting, &c->node.n) : 0;
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
  if (now < CCENTER_TIME_MIN || now > CCENTER_TIME_MAX)
    return CCENTER_ERANGE;
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
        if (a->skills[i] == k)
          level = agent_levels(a)[i];
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
      for (cc_tnode *t = cc_treap_first(&q->waiting); t; t = cc_treap_next(&q->waiting, t)) {
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
