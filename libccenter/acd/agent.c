/*
 * Agents: adding and removing them, their defaults (capacity, channel overlap), their
 * memberships (serve and unserve, routing-profile priority and delay), and their skills
 * and attributes, with the indexes following or the change undone.
 *
 * Separate because these are the agent's configuration; presence and work are elsewhere.
 */
#include "acd/engine_priv.h"

static void default_agent(agent *a)
{
  static const uint8_t caps[NCH] = {1, 3, 5, 5, 1, 1};
  memcpy(a->cap, caps, sizeof caps);
  /* Voice and callback exclude every other channel; the rest mix. */
  uint8_t mixers = (1u << CCENTER_CHANNEL_CHAT) | (1u << CCENTER_CHANNEL_EMAIL) |
                   (1u << CCENTER_CHANNEL_SMS) | (1u << CCENTER_CHANNEL_TASK);
  for (int b = 0; b < NCH; b++)
    a->overlap[b] = (b == CCENTER_CHANNEL_VOICE || b == CCENTER_CHANNEL_CALLBACK) ? 0 : mixers;
  a->wrap_override = -2;
  a->mem = a->mem_in;
  a->cap_mem = AGENT_MEM_INLINE;
}

/* Room for need memberships in a->mem: past the agent's own slots, an array of exactly
 * that size. 0 or CCENTER_ENOMEM (nothing changed). */
static int mem_reserve(ccenter_engine *e, agent *a, size_t need)
{
  if (need <= a->cap_mem)
    return 0;
  if (need > UINT32_MAX)
    return CCENTER_ENOMEM;
  membership **v = a->mem == a->mem_in ? cc_malloc(&e->alloc, need * sizeof *v)
                                        : cc_realloc(&e->alloc, a->mem, need * sizeof *v);
  if (!v)
    return CCENTER_ENOMEM;
  if (a->mem == a->mem_in)
    memcpy(v, a->mem_in, a->n_mem * sizeof *v);
  a->mem = v;
  a->cap_mem = (uint32_t)need;
  return 0;
}

int cc_op_agent_add(ccenter_engine *e, const cc_jrec *r)
{
  if (find_agent(e, r->s[0]))
    return CCENTER_EEXIST;
  if (cc_map_reserve(&e->agents, &e->alloc, 1))
    return CCENTER_ENOMEM;
  agent *a = cc_obj_new(e, sizeof *a, r->s[0], r->user_data);
  if (!a)
    return CCENTER_ENOMEM;
  a->seq = ++e->agent_seq;
  a->state = CCENTER_AGENT_LOGGED_OUT;
  a->state_since = a->idle_since = e->now;
  default_agent(a);
  cc_map_put(&e->agents, &e->alloc, a->id, a);
  return 0;
}

void cc_free_agent(ccenter_engine *e, agent *a)
{
  cc_free(&e->alloc, a->skills);
  cc_free(&e->alloc, a->attrs);
  cc_free(&e->alloc, a->preferring);
  if (a->mem != a->mem_in)
    cc_free(&e->alloc, a->mem);
  cc_obs_gone(e, CC_OBJ_AGENT, (cc_obj *)a);
  cc_obj_free(e, a->id, sizeof *a);
}

void cc_unserve(ccenter_engine *e, membership *m)
{
  agent *a = m->a;
  queue *q = m->q;
  ccenter_event *ev = ev_agent(e, CCENTER_EV_AGENT_SERVE, a);
  if (ev) {
    ev_set_queue(ev, q);
    ev->serving = 0;
    ev->state = a->state;
  }
  cc_queue_delay_del(q, m->delay);
  q->members[m->q_index] = q->members[--q->n_members];
  q->members[m->q_index]->q_index = m->q_index;
  for (size_t i = 0; i < a->n_mem; i++)
    if (a->mem[i] == m) {
      memmove(&a->mem[i], &a->mem[i + 1], (a->n_mem - i - 1) * sizeof *a->mem);
      a->n_mem--;
      break;
    }
  if (a->state != CCENTER_AGENT_LOGGED_OUT)
    q->n_logged_in--;
  if (a->state == CCENTER_AGENT_READY)
    q->n_ready--;
  cc_member_free(e, m);
}

int cc_op_agent_remove(ccenter_engine *e, agent *a)
{
  if (a->state != CCENTER_AGENT_LOGGED_OUT || cc_agent_work(a))
    return CCENTER_EBUSY;
  while (a->n_mem) {
    queue *q = a->mem[0]->q;
    cc_unserve(e, a->mem[0]);
    cc_check_leave_empty(e, q);
  }
  cc_map_del(&e->agents, a->id);
  cc_bury(e, a, 0);
  return 0;
}

static membership *find_membership(agent *a, queue *q)
{
  for (size_t i = 0; i < a->n_mem; i++)
    if (a->mem[i]->q == q)
      return a->mem[i];
  return NULL;
}

/* Keeps a->mem in descending routing-profile priority after m's priority was set: an agent
 * looking for work can then pass over its lower-priority queues without reading them. */
static void mem_order(agent *a, membership *m)
{
  size_t i = 0;
  while (a->mem[i] != m)
    i++;
  while (i > 0 && a->mem[i - 1]->priority < m->priority) {
    a->mem[i] = a->mem[i - 1];
    a->mem[--i] = m;
  }
  while (i + 1 < a->n_mem && a->mem[i + 1]->priority > m->priority) {
    a->mem[i] = a->mem[i + 1];
    a->mem[++i] = m;
  }
}

int cc_op_serve(ccenter_engine *e, agent *a, queue *q, int64_t prio, int64_t delay,
                int64_t reserve)
{
  membership *m = find_membership(a, q);
  if (m) {
    if (delay != m->delay && cc_queue_delay_add(e, q, delay))
      return CCENTER_ENOMEM;
    if (delay != m->delay)
      cc_queue_delay_del(q, m->delay);
    m->priority = (int16_t)prio;
    int new_delay = delay != m->delay;
    m->delay = (int32_t)delay;
    m->reserve = reserve != 0;
    mem_order(a, m);
    if (new_delay && delay > 0)
      cc_route_rearm_queue(e, q);
    cc_route_agent(e, a);
    return 0;
  }
  if (mem_reserve(e, a, (size_t)a->n_mem + 1) ||
      cc_grow(&e->alloc, (void **)&q->members, &q->cap_members, q->n_members + 1,
              sizeof *q->members))
    return CCENTER_ENOMEM;
  m = cc_member_new(e, a, q);
  if (!m)
    return CCENTER_ENOMEM;
  m->priority = (int16_t)prio;
  m->delay = (int32_t)delay;
  m->reserve = reserve != 0;
  if (cc_queue_delay_add(e, q, delay)) {
    cc_member_free(e, m);
    return CCENTER_ENOMEM;
  }
  m->ordinal = ++q->next_ordinal;
  m->q_index = (uint32_t)q->n_members;
  q->members[q->n_members++] = m;
  a->mem[a->n_mem++] = m;
  mem_order(a, m);
  if (a->state != CCENTER_AGENT_LOGGED_OUT)
    q->n_logged_in++;
  if (a->state == CCENTER_AGENT_READY)
    q->n_ready++;
  ccenter_event *ev = ev_agent(e, CCENTER_EV_AGENT_SERVE, a);
  if (ev) {
    ev_set_queue(ev, q);
    ev->serving = 1;
    ev->state = a->state;
  }
  /* Contacts already waiting must be routed again when their wait reaches the delay. */
  if (delay > 0)
    cc_route_rearm_queue(e, q);
  cc_route_agent(e, a);
  return 0;
}

int cc_op_unserve(ccenter_engine *e, agent *a, queue *q)
{
  membership *m = find_membership(a, q);
  if (!m)
    return CCENTER_ENOENT;
  cc_unserve(e, m);
  cc_check_leave_empty(e, q);
  /* Contacts that wait for this agent by name may now be its: out of the queue, it no
   * longer waits out a member's delay or reserve there. */
  cc_route_agent(e, a);
  return 0;
}

/* The agent's skills or attributes (arr, and arr2 if not NULL; *n) just changed: its
 * indexes follow and it is routed, or — out of memory — arr is put back as it was
 * (before[n_before], elem bytes each; arr2 likewise from before2). */
static int rematch_or_restore(ccenter_engine *e, agent *a, uint8_t *n, size_t n_before,
                              void *arr, const void *before, size_t elem, void *arr2,
                              const void *before2, size_t elem2)
{
  int rc = cc_route_rematch(e, a);
  if (rc) {
    if (n_before)
      memcpy(arr, before, n_before * elem);
    if (n_before && arr2)
      memcpy(arr2, before2, n_before * elem2);
    *n = (uint8_t)n_before;
    cc_route_refresh(e, a);
    return rc;
  }
  cc_route_agent(e, a);
  return 0;
}

int cc_op_set_skill(ccenter_engine *e, agent *a, const char *name, int64_t level)
{
  const char *k = cc_eng_intern(e, name);
  if (!k)
    return CCENTER_ENOMEM;
  size_t i = 0, n = a->n_skills;
  while (i < n && (uintptr_t)a->skills[i] < (uintptr_t)k)
    i++;
  int present = i < n && a->skills[i] == k;
  /* to restore if the indexes cannot follow */
  const char *before[64];
  uint8_t before_lv[64];
  if (n) {
    memcpy(before, a->skills, n * sizeof *before);
    memcpy(before_lv, agent_levels(a), n);
  }
  if (level == 0) {
    if (!present)
      return 0;
    uint8_t *lv = agent_levels(a);
    memmove(&a->skills[i], &a->skills[i + 1], (n - i - 1) * sizeof *a->skills);
    memmove(&lv[i], &lv[i + 1], n - i - 1);
    a->n_skills--;
  } else if (present) {
    agent_levels(a)[i] = (uint8_t)level;
  } else {
    if (n == 64)
      return CCENTER_EFULL;
    uint32_t old = a->cap_skills, cap = old;
    if (cc_grow_exact(&e->alloc, (void **)&a->skills, &cap, n + 1, SKILL_BYTES))
      return CCENTER_ENOMEM;
    a->cap_skills = (uint8_t)cap;
    e->bytes += (cap - old) * SKILL_BYTES;
    uint8_t *lv = agent_levels(a);
    if (a->cap_skills != old) /* the levels follow the names, which grew */
      memmove(lv, a->skills + old, n);
    memmove(&a->skills[i + 1], &a->skills[i], (n - i) * sizeof *a->skills);
    memmove(&lv[i + 1], &lv[i], n - i);
    a->skills[i] = k;
    lv[i] = (uint8_t)level;
    a->n_skills++;
  }
  return rematch_or_restore(e, a, &a->n_skills, n, a->skills, before, sizeof *before,
                            agent_levels(a), before_lv, 1);
}

int cc_op_set_attr(ccenter_engine *e, agent *a, const char *key, const char *value)
{
  const char *k = cc_eng_intern(e, key);
  const char *v = value ? cc_eng_intern(e, value) : NULL;
  if (!k || (value && !v))
    return CCENTER_ENOMEM;
  size_t i = 0;
  while (i < a->n_attrs && (uintptr_t)a->attrs[i].key < (uintptr_t)k)
    i++;
  int present = i < a->n_attrs && a->attrs[i].key == k;
  cc_attr_kv before[32]; /* to restore if the indexes cannot follow */
  size_t n_before = a->n_attrs;
  if (n_before)
    memcpy(before, a->attrs, n_before * sizeof *before);
  if (!v) {
    if (!present)
      return 0;
    memmove(&a->attrs[i], &a->attrs[i + 1], (a->n_attrs - i - 1) * sizeof *a->attrs);
    a->n_attrs--;
  } else if (present) {
    a->attrs[i].value = v;
  } else {
    if (a->n_attrs == 32)
      return CCENTER_EFULL;
    uint32_t old = a->cap_attrs, cap = old;
    if (cc_grow_exact(&e->alloc, (void **)&a->attrs, &cap, a->n_attrs + 1, sizeof *a->attrs))
      return CCENTER_ENOMEM;
    a->cap_attrs = (uint8_t)cap;
    e->bytes += (cap - old) * sizeof *a->attrs;
    memmove(&a->attrs[i + 1], &a->attrs[i], (a->n_attrs - i) * sizeof *a->attrs);
    a->attrs[i].key = k;
    a->attrs[i].value = v;
    a->n_attrs++;
  }
  return rematch_or_restore(e, a, &a->n_attrs, n_before, a->attrs, before, sizeof *before,
                            NULL, NULL, 0);
}
