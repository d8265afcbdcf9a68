/*
 * Routing: who takes which contact.
 *
 * Indexes. Every queue has requirement classes (slot 0 matches every member; the others
 * are the distinct requirements of the steps in use). Each class keeps two ordered sets:
 * the available members who meet it, in the order of the queue's strategy, and the waiting
 * contacts whose current step needs it, in queue order. A decision therefore looks only at
 * agents who meet the requirement and contacts an agent could meet — what does not match
 * is never visited (docs/routing.md, "Scale").
 *
 * The two routing moments keep the invariant that no waiting contact could be offered to
 * an available agent: route_contact when a contact becomes routable (arrival, return, a
 * step or delay expiring), route_agent when an agent becomes able to take work.
 *
 * The reference router (engine->reference_routing, tests only) decides the same things by
 * walking every agent and every contact, as app_queue does; tests run both on the same
 * streams and compare.
 */
#include <string.h>

#include "acd/engine_priv.h"

/* ---------------------------------------------------------------------------------- */
/* Orders                                                                              */

static contact *of_node(const cc_tnode *n)
{
  return (contact *)((const char *)n - offsetof(contact, node));
}

static contact *of_cls(const cc_tnode *n)
{
  return n ? (contact *)((const char *)n - offsetof(contact, cls_node)) : NULL;
}

static cnode *of_cnode(const cc_knode *n)
{
  return n ? (cnode *)((const char *)n - offsetof(cnode, node)) : NULL;
}

/* A node lives in its membership's block, at position idx. */
static membership *member_of(const cnode *n)
{
  return (membership *)((char *)(uintptr_t)(n - n->idx) - offsetof(membership, nodes));
}

int64_t cc_contact_order_key(const queue *q, const contact *c)
{
  /* With ageing, priority p after waiting w counts as p + w/ageing. Comparing two contacts
   * at the same moment, the "now" cancels: p*ageing - enqueued is a fixed key. */
  if (q->ageing > 0)
    return (int64_t)c->priority * q->ageing - c->enq_at;
  return c->priority;
}

/* <0 when a should be served before b. */
static int cmp_c(const contact *a, const contact *b)
{
  if (a->emergency != b->emergency)
    return a->emergency ? -1 : 1;
  if (a->order_key != b->order_key)
    return a->order_key > b->order_key ? -1 : 1;
  if (a->enq_at != b->enq_at)
    return a->enq_at < b->enq_at ? -1 : 1;
  return a->seq < b->seq ? -1 : (a->seq > b->seq);
}

int cc_cmp_contact(const cc_tnode *x, const cc_tnode *y)
{
  return cmp_c(of_node(x), of_node(y));
}

static int cmp_cls(const cc_tnode *x, const cc_tnode *y)
{
  return cmp_c(of_cls(x), of_cls(y));
}

static int cmp_cnode(const cc_knode *x, const cc_knode *y)
{
  const cnode *a = of_cnode(x), *b = of_cnode(y);
  if (a->node.aux != b->node.aux)
    return a->node.aux < b->node.aux ? -1 : 1;
  if (a->key2 != b->key2)
    return a->key2 < b->key2 ? -1 : 1;
  uint32_t sa = member_of(a)->a->seq, sb = member_of(b)->a->seq;
  return sa < sb ? -1 : (sa > sb);
}

static cc_agent_view view_of(const agent *a)
{
  cc_agent_view v = {a->skills, agent_levels(a), a->n_skills, a->attrs, a->n_attrs};
  return v;
}

static int class_level(const rclass *k, const agent *a)
{
  if (!k->req)
    return 0;
  cc_agent_view v = view_of(a);
  return cc_req_level(k->req, &v);
}

/* key1 is kept in 32 bits (cnode): counts and ordinals beyond 2^31, and talk time beyond
 * 24.8 days in one login, compare as equal and fall to key2 and the agent's order (key2
 * likewise: cnode_key2). */
static int64_t key1_clamp(int64_t k)
{
  return k > INT32_MAX ? INT32_MAX : k < INT32_MIN ? INT32_MIN : k;
}

static void strategy_key(const queue *q, const rclass *k, const membership *m, int64_t *k1,
                         int64_t *k2)
{
  const agent *a = m->a;
  *k1 = cc_agent_work(a);
  *k2 = a->idle_since;
  switch (q->strategy) {
  case CCENTER_STRATEGY_LEAST_OCCUPIED: {
    unsigned cap = 0;
    for (int ch = 0; ch < NCH; ch++)
      cap += a->cap[ch];
    *k1 = cap ? (int64_t)cc_agent_work(a) * 1000000 / cap : 0;
    break;
  }
  case CCENTER_STRATEGY_FEWEST_CONTACTS:
    *k1 = a->handled_since_login;
    break;
  case CCENTER_STRATEGY_LEAST_TALK_TIME:
    *k1 = a->talk_since_login;
    break;
  case CCENTER_STRATEGY_ROUND_ROBIN:
  case CCENTER_STRATEGY_LINEAR:
  case CCENTER_STRATEGY_RANDOM:
  case CCENTER_STRATEGY_WEIGHTED_RANDOM:
    *k1 = m->ordinal;
    *k2 = 0;
    break;
  case CCENTER_STRATEGY_BEST_SKILL:
    *k1 = -class_level(k, a);
    break;
  default:
    break;
  }
  *k1 = key1_clamp(*k1);
  *k2 = cnode_key2(*k2);
}

/* ---------------------------------------------------------------------------------- */
/* Classes                                                                             */

static const char *intern_cb(void *ud, const char *s)
{
  return cc_eng_intern(ud, s);
}

int cc_requirement_check(ccenter_engine *e, const char *text)
{
  cc_req *req = NULL;
  cc_req_error err;
  int rc = cc_req_compile(&e->alloc, text, intern_cb, e, &req, &err);
  cc_req_free(&e->alloc, req);
  /* The call is refused here, before anything happens: this is where the integrator
   * learns what is wrong with the text (the headers promise the log says where). */
  if (rc == CCENTER_ESYNTAX)
    cc_logf(&e->log, CCENTER_LOG_WARN, "requirement \"%s\": at %zu: %s", text, err.offset,
            err.msg);
  return rc;
}

static int agent_meets(const rclass *k, const agent *a)
{
  if (!k->req)
    return 1;
  cc_agent_view v = view_of(a);
  return cc_req_match(k->req, &v);
}

static void cnode_unlink(rclass *k, cnode *n)
{
  if (n->in_tree) {
    cc_ktreap_remove(&k->agents, &n->node);
    n->in_tree = 0;
    member_of(n)->a->n_indexed--;
  }
}

/* Ordinals (round-robin, linear, the random draws) come back in any order, and the draws
 * select by rank; the other strategies' keys mostly grow with time: a run (core/ktreap.h). */
static int runs_suit(const queue *q)
{
  switch (q->strategy) {
  case CCENTER_STRATEGY_ROUND_ROBIN:
  case CCENTER_STRATEGY_LINEAR:
  case CCENTER_STRATEGY_RANDOM:
  case CCENTER_STRATEGY_WEIGHTED_RANDOM:
    return 0;
  default:
    return 1;
  }
}

void cc_route_strategy_set(queue *q)
{
  for (size_t i = 0; i < q->n_class_slots; i++)
    if (q->classes[i])
      cc_ktreap_set_runs(&q->classes[i]->agents, runs_suit(q));
}

static rclass *class_new(ccenter_engine *e, const queue *q, cc_req *req, int slot)
{
  rclass *k = cc_eng_alloc(e, sizeof *k);
  if (!k)
    return NULL;
  k->req = req;
  k->slot = slot;
  cc_ktreap_init(&k->agents, cmp_cnode);
  cc_ktreap_set_runs(&k->agents, runs_suit(q));
  /* Walked in order from the first, never ranked. */
  cc_treap_init(&k->contacts, cmp_cls, 0);
  return k;
}

static void class_free(ccenter_engine *e, rclass *k)
{
  if (k->req)
    cc_req_free(&e->alloc, k->req);
  cc_eng_free(e, k, sizeof *k);
}

int cc_queue_init_classes(ccenter_engine *e, queue *q)
{
  rclass *k = class_new(e, q, NULL, 0);
  if (!k)
    return CCENTER_ENOMEM;
  k->refs = 1;
  q->classes[0] = k;
  q->n_class_slots = 1;
  return 0;
}

void cc_queue_free_classes(ccenter_engine *e, queue *q)
{
  for (size_t i = 0; i < q->n_class_slots; i++)
    if (q->classes[i])
      class_free(e, q->classes[i]);
}

static size_t member_bytes(size_t cap)
{
  return sizeof(membership) + cap * sizeof(cnode);
}

static cnode *node_at(const membership *m, size_t slot)
{
  for (size_t i = 0; i < m->n_nodes; i++)
    if (m->nodes[i].slot == slot)
      return (cnode *)&m->nodes[i];
  return NULL;
}

/* The nodes move with the block: out of the trees first (the agent's next refresh puts
 * them back), and the agent's and the queue's pointers follow the block. */
static int member_reserve(ccenter_engine *e, membership **mp, size_t cap)
{
  membership *m = *mp;
  if (m->cap_nodes >= cap)
    return 0;
  if (cap > MAX_CLASSES)
    return CCENTER_ERANGE;
  for (size_t i = 0; i < m->n_nodes; i++)
    cnode_unlink(m->q->classes[m->nodes[i].slot], &m->nodes[i]);
  size_t ai = 0;
  while (ai < m->a->n_mem && m->a->mem[ai] != m)
    ai++;
  int in_q = m->q_index < m->q->n_members && m->q->members[m->q_index] == m;
  membership *nm = cc_realloc(&e->alloc, m, member_bytes(cap));
  if (!nm)
    return CCENTER_ENOMEM;
  e->bytes += (cap - nm->cap_nodes) * sizeof(cnode);
  nm->cap_nodes = (uint8_t)cap;
  if (ai < nm->a->n_mem)
    nm->a->mem[ai] = nm;
  if (in_q)
    nm->q->members[nm->q_index] = nm;
  *mp = nm;
  return 0;
}

static void node_add(membership *m, size_t slot)
{
  cnode *n = &m->nodes[m->n_nodes];
  memset(n, 0, sizeof *n);
  n->slot = (uint8_t)slot;
  n->idx = (uint8_t)m->n_nodes++;
}

/* Removes the node of a slot; the last node takes its place (both out of the trees). */
static void node_del(membership *m, cnode *n)
{
  queue *q = m->q;
  cnode *last = &m->nodes[m->n_nodes - 1];
  cnode_unlink(q->classes[n->slot], n);
  if (n != last) {
    cnode_unlink(q->classes[last->slot], last);
    n->slot = last->slot;
  }
  m->n_nodes--;
}

int cc_class_get(ccenter_engine *e, queue *q, const char *text, rclass **out, cc_req_error *err)
{
  cc_req *req = NULL;
  int rc = cc_req_compile(&e->alloc, text, intern_cb, e, &req, err);
  if (rc)
    return rc;
  if (cc_req_is_empty(req)) {
    cc_req_free(&e->alloc, req);
    q->classes[0]->refs++;
    *out = q->classes[0];
    return 0;
  }
  size_t free_slot = 0;
  for (size_t i = 1; i < q->n_class_slots; i++) {
    rclass *k = q->classes[i];
    if (k && cc_req_equal(k->req, req)) { /* same canonical text, however long */
      cc_req_free(&e->alloc, req);
      k->refs++;
      *out = k;
      return 0;
    }
    if (!k && !free_slot)
      free_slot = i;
  }
  if (!free_slot) {
    if (q->n_class_slots == MAX_CLASSES) {
      cc_req_free(&e->alloc, req);
      return CCENTER_EFULL;
    }
    free_slot = q->n_class_slots;
  }
  /* Room first, for every member who meets it: a failure then changes nothing (blocks
   * that moved had their nodes taken out of the trees; the refresh puts them back). */
  rclass *k = class_new(e, q, req, (int)free_slot);
  if (!k) {
    cc_req_free(&e->alloc, req);
    return CCENTER_ENOMEM;
  }
  for (size_t i = 0; i < q->n_members && !rc; i++) {
    membership *m = q->members[i];
    if (agent_meets(k, m->a))
      rc = member_reserve(e, &q->members[i], (size_t)m->n_nodes + 1);
  }
  if (rc) {
    for (size_t i = 0; i < q->n_members; i++)
      cc_route_refresh(e, q->members[i]->a);
    class_free(e, k);
    return rc;
  }
  q->classes[free_slot] = k;
  if (free_slot == q->n_class_slots)
    q->n_class_slots++;
  k->refs = 1;
  for (size_t i = 0; i < q->n_members; i++)
    if (agent_meets(k, q->members[i]->a))
      node_add(q->members[i], free_slot);
  for (size_t i = 0; i < q->n_members; i++)
    cc_route_refresh(e, q->members[i]->a);
  *out = k;
  return 0;
}

void cc_class_put(ccenter_engine *e, queue *q, rclass *k)
{
  if (--k->refs > 0 || k->slot == 0)
    return;
  for (size_t i = 0; i < q->n_members; i++) {
    membership *m = q->members[i];
    cnode *n = node_at(m, (size_t)k->slot);
    if (n) {
      node_del(m, n);
      cc_route_refresh(e, m->a);
    }
  }
  q->classes[k->slot] = NULL;
  class_free(e, k);
}

/* ---------------------------------------------------------------------------------- */
/* Members                                                                             */

static size_t classes_met(const queue *q, const agent *a)
{
  size_t n = 0;
  for (size_t i = 0; i < q->n_class_slots; i++)
    n += q->classes[i] && agent_meets(q->classes[i], a);
  return n;
}

membership *cc_member_new(ccenter_engine *e, agent *a, queue *q)
{
  size_t cap = classes_met(q, a);
  membership *m = cc_eng_alloc(e, member_bytes(cap));
  if (!m)
    return NULL;
  m->a = a;
  m->q = q;
  m->cap_nodes = (uint8_t)cap;
  for (size_t i = 0; i < q->n_class_slots; i++)
    if (q->classes[i] && agent_meets(q->classes[i], a))
      node_add(m, i);
  return m;
}

void cc_member_free(ccenter_engine *e, membership *m)
{
  for (size_t i = 0; i < m->n_nodes; i++)
    cnode_unlink(m->q->classes[m->nodes[i].slot], &m->nodes[i]);
  cc_eng_free(e, m, member_bytes(m->cap_nodes));
}

int cc_queue_delay_add(ccenter_engine *e, queue *q, int64_t delay)
{
  if (delay <= 0)
    return 0;
  for (size_t i = 0; i < q->n_delays; i++)
    if (q->delays[i].delay == delay) {
      q->delays[i].n++;
      return 0;
    }
  if (cc_grow(&e->alloc, (void **)&q->delays, &q->cap_delays, q->n_delays + 1,
              sizeof *q->delays))
    return CCENTER_ENOMEM;
  size_t i = q->n_delays++;
  while (i > 0 && q->delays[i - 1].delay > delay) {
    q->delays[i] = q->delays[i - 1];
    i--;
  }
  q->delays[i].delay = delay;
  q->delays[i].n = 1;
  return 0;
}

void cc_queue_delay_del(queue *q, int64_t delay)
{
  for (size_t i = 0; i < q->n_delays; i++)
    if (q->delays[i].delay == delay) {
      if (--q->delays[i].n == 0) {
        memmove(&q->delays[i], &q->delays[i + 1], (q->n_delays - i - 1) * sizeof *q->delays);
        q->n_delays--;
      }
      return;
    }
}

void cc_route_refresh(ccenter_engine *e, agent *a)
{
  (void)e;
  int want = cc_agent_routable(a);
  if (!want && !a->n_indexed)
    return; /* the common case for a busy agent: its nodes are not touched at all */
  for (size_t i = 0; i < a->n_mem; i++) {
    membership *m = a->mem[i];
    queue *q = m->q;
    /* Only best-skill's key depends on the class; the others are the same in all. */
    int by_class = q->strategy == CCENTER_STRATEGY_BEST_SKILL;
    int64_t k1 = 0, k2 = 0;
    if (want && !by_class && m->n_nodes)
      strategy_key(q, NULL, m, &k1, &k2);
    for (size_t j = 0; j < m->n_nodes; j++) {
      cnode *n = &m->nodes[j];
      rclass *k = q->classes[n->slot];
      if (want && by_class)
        strategy_key(q, k, m, &k1, &k2);
      if (n->in_tree && (!want || k1 != n->node.aux || k2 != n->key2))
        cnode_unlink(k, n);
      if (want && !n->in_tree) {
        n->node.aux = (int32_t)k1;
        n->key2 = k2;
        cc_ktreap_insert(&k->agents, &n->node);
        n->in_tree = 1;
        a->n_indexed++;
      }
    }
  }
}

int cc_route_rematch(ccenter_engine *e, agent *a)
{
  /* Room first: on failure only capacities changed (and blocks that moved are out of the
   * trees until the caller's refresh). */
  for (size_t i = 0; i < a->n_mem; i++) {
    int rc = member_reserve(e, &a->mem[i], classes_met(a->mem[i]->q, a));
    if (rc)
      return rc;
  }
  for (size_t i = 0; i < a->n_mem; i++) {
    membership *m = a->mem[i];
    queue *q = m->q;
    for (size_t j = m->n_nodes; j-- > 0;)
      if (!agent_meets(q->classes[m->nodes[j].slot], a))
        node_del(m, &m->nodes[j]);
    for (size_t s = 0; s < q->n_class_slots; s++)
      if (q->classes[s] && agent_meets(q->classes[s], a) && !node_at(m, s))
        node_add(m, s);
  }
  cc_route_refresh(e, a);
  return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Contacts in the indexes                                                             */

static void prefer_link(ccenter_engine *e, contact *c, int link)
{
  for (size_t i = 0; i < c->n_preferred; i++) {
    agent *a = cc_map_get(&e->agents, c->preferred[i]);
    if (!a)
      continue;
    if (link) {
      if (cc_grow_exact(&e->alloc, (void **)&a->preferring, &a->cap_preferring,
                  a->n_preferring + 1, sizeof *a->preferring))
        continue; /* route_contact still finds the agent by id */
      a->preferring[a->n_preferring++] = c;
    } else {
      for (size_t j = 0; j < a->n_preferring; j++)
        if (a->preferring[j] == c) {
          a->preferring[j] = a->preferring[--a->n_preferring];
          break;
        }
    }
  }
}

void cc_route_cls_link(contact *c, int in)
{
  rclass *k = c->cls;
  if (in)
    cc_treap_insert(&k->contacts, &c->cls_node);
  else
    cc_treap_remove(&k->contacts, &c->cls_node);
  if (k->slot < QUEUE_HEADS)
    c->q->heads[k->slot] = cc_treap_first(&k->contacts);
}

void cc_route_enter(ccenter_engine *e, contact *c)
{
  c->order_key = cc_contact_order_key(c->q, c);
  cc_treap_insert(&c->q->waiting, &c->node.n);
  c->q->n_emergency += c->emergency;
  if (!c->cls)
    c->cls = c->q->classes[0];
  if (!c->pref_phase)
    cc_route_cls_link(c, 1);
  else
    prefer_link(e, c, 1);
}

void cc_route_leave(ccenter_engine *e, contact *c)
{
  cc_treap_remove(&c->q->waiting, &c->node.n);
  c->q->n_emergency -= c->emergency;
  if (!c->pref_phase)
    cc_route_cls_link(c, 0);
  else
    prefer_link(e, c, 0);
}

static int64_t step_end(const contact *c)
{
  if (!c->steps || c->step >= c->steps->n)
    return -1;
  return c->step_started + c->steps->s[c->step].duration;
}

/* The next moment the set of agents who may take c changes by time alone. */
static int64_t next_route_time(const ccenter_engine *e, const contact *c)
{
  int64_t best = INT64_MAX, t;
  const queue *q = c->q;
  if ((t = step_end(c)) > e->now && t < best)
    best = t;
  for (size_t i = 0; i < q->n_delays; i++)
    if ((t = c->enq_at + q->delays[i].delay) > e->now) {
      if (t < best)
        best = t;
      break;
    }
  if (q->reserve_wait > 0 && (t = c->enq_at + q->reserve_wait) > e->now && t < best)
    best = t;
  if (c->pref_phase && c->preferred_until > e->now && c->preferred_until < best)
    best = c->preferred_until;
  return best;
}

void cc_route_rearm(ccenter_engine *e, contact *c)
{
  int64_t t = next_route_time(e, c);
  if (t == c->route_at && c->route_timer)
    return;
  cc_eng_disarm(e, &c->route_timer);
  c->route_at = t;
  if (t != INT64_MAX)
    c->route_timer = cc_eng_arm(e, t, T_ROUTE, c);
}

static void set_class(ccenter_engine *e, contact *c, rclass *k)
{
  if (c->cls == k)
    return;
  int indexed = c->in_queue && !c->pref_phase;
  if (indexed)
    cc_route_cls_link(c, 0);
  c->cls = k;
  if (indexed)
    cc_route_cls_link(c, 1);
}

static rclass *class_of_step(const contact *c)
{
  if (c->steps && c->step < c->steps->n)
    return c->steps->s[c->step].k;
  return c->q->classes[0];
}

void cc_route_start(ccenter_engine *e, contact *c, int64_t enq_at)
{
  /* Called before the contact enters the waiting line, so the flag and the indexes agree. */
  c->pref_phase = c->n_preferred && c->preferred_until > e->now;
  c->step = 0;
  c->step_started = enq_at;
  /* A contact that keeps an earlier enqueue time (drained, requeued) starts at the step
   * its wait has reached; steps already over are not announced. */
  int64_t t;
  while ((t = step_end(c)) >= 0 && t <= e->now) {
    c->step++;
    c->step_started = t;
  }
  c->cls = class_of_step(c);
  cc_route_rearm(e, c);
}

void cc_route_rearm_queue(ccenter_engine *e, queue *q)
{
  for (cc_tnode *n = cc_treap_first(&q->waiting); n; n = cc_treap_next(&q->waiting, n))
    cc_route_rearm(e, node_contact(n));
}

void cc_route_stop(ccenter_engine *e, contact *c)
{
  cc_eng_disarm(e, &c->route_timer);
  cc_eng_disarm(e, &c->progress_timer);
  c->route_at = 0;
}

/* ---------------------------------------------------------------------------------- */
/* Eligibility                                                                         */

static int reserve_open(const queue *q, const contact *c, int64_t now)
{
  if (q->reserve_wait > 0 && now - c->enq_at >= q->reserve_wait)
    return 1;
  return q->reserve_open;
}

static int ringing_for(const contact *c, const agent *a)
{
  for (const work *w = c->offers; w; w = w->onext)
    if (w->a == a)
      return 1;
  return 0;
}

/* m may be NULL for a preferred agent who does not serve the queue. */
static int eligible_at(const ccenter_engine *e, const contact *c, const membership *m,
                       const agent *a, int64_t now)
{
  /* A queue being removed has lost its members, but an agent freed by one of its withdrawn
   * offers can still reach its contacts by name (preferred, sticky): they are about to move
   * to the drain queue, and an offer from here would bring them back to a removed queue. */
  if (c->q->removing)
    return 0;
  if (!cc_can_take(a, c->channel) || cc_excluded(e, c, a) || ringing_for(c, a))
    return 0;
  if (m && now - c->enq_at < m->delay)
    return 0;
  if (m && m->reserve && !reserve_open(m->q, c, now))
    return 0;
  return 1;
}

static int eligible(const ccenter_engine *e, const contact *c, const membership *m,
                    const agent *a)
{
  return eligible_at(e, c, m, a, e->now);
}

/* eligible() for the agent behind an index node. */
static int node_eligible(const ccenter_engine *e, const contact *c, const cnode *cn)
{
  const membership *m = member_of(cn);
  return eligible(e, c, m, m->a);
}

/* Index nodes of the first step's class looked at by cc_route_offers_at_once: the answer
 * must stay cheap in queues with thousands of idle members. */
#define AT_ONCE_PROBE 8

int cc_route_offers_at_once(const ccenter_engine *e, const queue *q, int64_t now)
{
  const rclass *first = q->steps ? q->steps->s[0].k : q->classes[0];
  const contact *head = of_cls(cc_treap_first(&first->contacts));
  unsigned n = 0;
  for (const cc_knode *t = cc_ktreap_first(&first->agents); t && n < AT_ONCE_PROBE;
       t = cc_ktreap_next(&first->agents, t), n++) {
    const membership *m = member_of(of_cnode(t));
    if (m->delay > 0 || (m->reserve && !q->reserve_open) ||
        !cc_can_take(m->a, CCENTER_CHANNEL_VOICE))
      continue;
    if (head && eligible_at(e, head, m, m->a, now))
      continue; /* due to the best waiting contact instead */
    return 1;
  }
  return 0;
}

static membership *membership_of(const agent *a, const queue *q)
{
  for (size_t i = 0; i < a->n_mem; i++)
    if (a->mem[i]->q == q)
      return a->mem[i];
  return NULL;
}

/* ---------------------------------------------------------------------------------- */
/* Choosing an agent for a contact                                                     */

/* Round-robin remembers whom q offered to last (only it needs the membership). */
static void note_offer(queue *q, const agent *a)
{
  if (q->strategy != CCENTER_STRATEGY_ROUND_ROBIN)
    return;
  const membership *m = membership_of(a, q);
  if (m)
    q->rr_last = m->ordinal;
}

static agent *pick_preferred(ccenter_engine *e, contact *c)
{
  agent *best = NULL;
  for (size_t i = 0; i < c->n_preferred; i++) {
    agent *a = cc_map_get(&e->agents, c->preferred[i]);
    if (!a || !cc_agent_routable(a))
      continue;
    membership *m = membership_of(a, c->q);
    if (!eligible(e, c, m, a))
      continue;
    if (!best || cc_agent_work(a) < cc_agent_work(best) ||
        (cc_agent_work(a) == cc_agent_work(best) && a->idle_since < best->idle_since))
      best = a;
  }
  return best;
}

static cnode *first_eligible_from(ccenter_engine *e, contact *c, rclass *k, cc_knode *start,
                                  int wrap)
{
  /* From start to the end, then (wrap) from the first back to start. */
  for (cc_knode *n = start; n;) {
    cnode *cn = of_cnode(n);
    if (node_eligible(e, c, cn))
      return cn;
    n = cc_ktreap_next(&k->agents, n);
    if (!n && wrap) {
      n = cc_ktreap_first(&k->agents);
      wrap = 0;
    }
    if (n == start)
      break;
  }
  return NULL;
}

static int ordinal_after(const cc_knode *n, uint64_t after)
{
  return n->aux > (int64_t)after;
}

/* First node whose ordinal is greater than `after` (round-robin). */
static cc_knode *after_ordinal(const rclass *k, uint32_t after)
{
  return cc_ktreap_first_after(&k->agents, ordinal_after, after);
}

/* An index node's weight in the exact draw: its level (10 without a primary skill level),
 * 0 when the agent may not take c. */
static uint64_t exact_weight(const ccenter_engine *e, const contact *c, const rclass *k,
                             const cnode *cn)
{
  if (!node_eligible(e, c, cn))
    return 0;
  int w = class_level(k, member_of(cn)->a);
  return w > 0 ? (uint64_t)w : 10;
}

static cnode *pick_weighted(ccenter_engine *e, contact *c, rclass *k)
{
  size_t size = cc_ktreap_size(&k->agents);
  if (!size)
    return NULL;
  /* Rejection sampling: a uniform draw accepted with probability level/10 is a draw
   * proportional to level, and needs no weight sums in the tree. */
  for (int tries = 0; tries < 64; tries++) {
    cnode *cn = of_cnode(cc_ktreap_select(&k->agents, cc_eng_random(e) % size));
    if (!node_eligible(e, c, cn))
      continue;
    int w = class_level(k, member_of(cn)->a);
    if (w <= 0 || (int)(cc_eng_random(e) % 10) < w)
      return cn;
  }
  /* Few eligible among many: draw exactly over the eligible ones. */
  uint64_t total = 0;
  for (cc_knode *n = cc_ktreap_first(&k->agents); n; n = cc_ktreap_next(&k->agents, n))
    total += exact_weight(e, c, k, of_cnode(n));
  if (!total)
    return NULL;
  uint64_t r = cc_eng_random(e) % total;
  for (cc_knode *n = cc_ktreap_first(&k->agents); n; n = cc_ktreap_next(&k->agents, n)) {
    uint64_t wt = exact_weight(e, c, k, of_cnode(n));
    if (r < wt)
      return of_cnode(n);
    r -= wt;
  }
  return NULL;
}

static cnode *pick_indexed(ccenter_engine *e, contact *c)
{
  rclass *k = c->cls;
  queue *q = c->q;
  switch (q->strategy) {
  case CCENTER_STRATEGY_ROUND_ROBIN: {
    cc_knode *start = after_ordinal(k, q->rr_last);
    return first_eligible_from(e, c, k, start ? start : cc_ktreap_first(&k->agents), 1);
  }
  case CCENTER_STRATEGY_RANDOM: {
    size_t size = cc_ktreap_size(&k->agents);
    if (!size)
      return NULL;
    return first_eligible_from(e, c, k, cc_ktreap_select(&k->agents, cc_eng_random(e) % size),
                               1);
  }
  case CCENTER_STRATEGY_WEIGHTED_RANDOM:
    return pick_weighted(e, c, k);
  default:
    return first_eligible_from(e, c, k, cc_ktreap_first(&k->agents), 0);
  }
}

/* The reference router: every agent, every time. Same order as the indexes. */
static int better_ref(const queue *q, const rclass *k, const membership *x, const membership *y)
{
  int64_t x1, x2, y1, y2;
  strategy_key(q, k, x, &x1, &x2);
  strategy_key(q, k, y, &y1, &y2);
  if (x1 != y1)
    return x1 < y1;
  if (x2 != y2)
    return x2 < y2;
  return x->a->seq < y->a->seq;
}

static membership *pick_reference(ccenter_engine *e, contact *c, uint32_t rr_after)
{
  membership *best = NULL, *best_after = NULL;
  size_t it = 0;
  agent *a;
  while ((a = cc_map_next(&e->agents, &it))) {
    if (!cc_agent_routable(a))
      continue;
    membership *m = membership_of(a, c->q);
    if (!m || !agent_meets(c->cls, a) || !eligible(e, c, m, a))
      continue;
    if (!best || better_ref(c->q, c->cls, m, best))
      best = m;
    if (m->ordinal > rr_after && (!best_after || better_ref(c->q, c->cls, m, best_after)))
      best_after = m;
  }
  if (c->q->strategy == CCENTER_STRATEGY_ROUND_ROBIN && best_after)
    return best_after;
  return best;
}

static int deterministic(int64_t strategy)
{
  return strategy != CCENTER_STRATEGY_RANDOM && strategy != CCENTER_STRATEGY_WEIGHTED_RANDOM;
}

static membership *pick_one(ccenter_engine *e, contact *c)
{
  if (e->reference_routing && deterministic(c->q->strategy))
    return pick_reference(e, c, c->q->rr_last);
  cnode *cn = pick_indexed(e, c);
  return cn ? member_of(cn) : NULL;
}

void cc_route_contact(ccenter_engine *e, contact *c)
{
  if (!c->in_queue)
    return;
  queue *q = c->q;
  if (c->pref_phase) {
    agent *a = pick_preferred(e, c);
    if (a) {
      note_offer(q, a);
      cc_offer(e, c, a, 0);
    }
    return;
  }
  if (q->strategy == CCENTER_STRATEGY_RING_ALL) {
    agent *ring[RING_ALL_LIMIT];
    size_t n = 0;
    for (cc_knode *t = cc_ktreap_first(&c->cls->agents); t && n < RING_ALL_LIMIT;
         t = cc_ktreap_next(&c->cls->agents, t)) {
      cnode *cn = of_cnode(t);
      if (node_eligible(e, c, cn))
        ring[n++] = member_of(cn)->a;
    }
    /* Offers change the agents' keys (and so the tree): collect first, then offer. */
    for (size_t i = 0; i < n; i++)
      cc_offer(e, c, ring[i], 0);
    return;
  }
  membership *m = pick_one(e, c);
  if (!m)
    return;
  note_offer(q, m->a);
  cc_offer(e, c, m->a, 0);
  if (q->strategy == CCENTER_STRATEGY_RING_PROGRESSIVE && q->progressive_every > 0 &&
      c->n_offers && !c->progress_timer)
    c->progress_timer = cc_eng_arm(e, e->now + q->progressive_every, T_PROGRESS, c);
}

/* ---------------------------------------------------------------------------------- */
/* Choosing a contact for an agent                                                     */

/* Is (c, mc) served before (b, mb)? Emergencies first, then the agent's priority for the
 * queue, then queue order. */
static int before(const contact *c, int pc, const contact *b, int pb)
{
  if (c->emergency != b->emergency)
    return c->emergency;
  if (pc != pb)
    return pc > pb;
  return cmp_c(c, b) < 0;
}

/* The first waiting contact of the queue's class in slot s. */
static cc_tnode *class_head(const queue *q, size_t s)
{
  return s < QUEUE_HEADS ? q->heads[s] : cc_treap_first(&q->classes[s]->contacts);
}

/* What best_indexed reads of each membership is a chain of cache misses at scale: the
 * membership, its queue, each of its classes' first waiting contact (from the queue's
 * heads, or through the class beyond them). The chains of an agent's memberships do not
 * depend on one another, so they are fetched level by level across all of them first,
 * and the misses of one level overlap. */
static void prefetch_choices(const agent *a)
{
  uint32_t n = a->n_mem;
  for (uint32_t i = 0; i < n; i++)
    PREFETCH(a->mem[i]);
  for (uint32_t i = 0; i < n; i++) {
    const queue *q = a->mem[i]->q;
    PREFETCH(&q->n_waiting);
    PREFETCH(&q->heads[QUEUE_HEADS - 1]);
  }
  for (uint32_t i = 0; i < n; i++) {
    const membership *m = a->mem[i];
    if (m->q->n_waiting)
      for (size_t j = 0; j < m->n_nodes; j++)
        PREFETCH(m->nodes[j].slot < QUEUE_HEADS ? (const void *)m->q->heads[m->nodes[j].slot]
                                                : m->q->classes[m->nodes[j].slot]);
  }
}

static contact *best_indexed(ccenter_engine *e, agent *a, int *best_prio)
{
  contact *best = NULL;
  if (a->n_mem > 1)
    prefetch_choices(a);
  for (size_t i = 0; i < a->n_mem; i++) {
    membership *m = a->mem[i];
    queue *q = m->q;
    if (!q->n_waiting)
      continue;
    /* A queue of lower priority for this agent can only offer an emergency over a
     * non-emergency best (before()); memberships come by descending priority. */
    if (best && m->priority < *best_prio && (best->emergency || !q->n_emergency))
      continue;
    for (size_t j = 0; j < m->n_nodes; j++) {
      size_t s = m->nodes[j].slot;
      for (cc_tnode *n = class_head(q, s); n; n = cc_treap_next(&q->classes[s]->contacts, n)) {
        contact *c = of_cls(n);
        if (best && !before(c, m->priority, best, *best_prio))
          break;
        if (eligible(e, c, m, a)) {
          best = c;
          *best_prio = m->priority;
          break;
        }
      }
    }
  }
  return best;
}

static contact *best_reference(ccenter_engine *e, agent *a, int *best_prio)
{
  contact *best = NULL;
  size_t it = 0;
  contact *c;
  while ((c = cc_map_next(&e->contacts, &it))) {
    if (!c->in_queue || c->pref_phase)
      continue;
    membership *m = membership_of(a, c->q);
    if (!m || !agent_meets(c->cls, a) || !eligible(e, c, m, a))
      continue;
    if (!best || before(c, m->priority, best, *best_prio)) {
      best = c;
      *best_prio = m->priority;
    }
  }
  return best;
}

void cc_route_agent(ccenter_engine *e, agent *a)
{
  /* Contacts first, the agent's index nodes after: an agent freed while contacts wait
   * takes one at once, and its nodes would only go into the indexes to come out again.
   * Nothing below reads this agent's nodes; cc_offer refreshes them after each offer. */
  while (cc_agent_routable(a)) {
    int prio = 0;
    contact *best = e->reference_routing ? best_reference(e, a, &prio) : best_indexed(e, a, &prio);
    /* Contacts waiting for this agent by name (preferred or sticky). */
    for (size_t i = 0; i < a->n_preferring; i++) {
      contact *c = a->preferring[i];
      if (!c->in_queue || !c->pref_phase)
        continue;
      membership *m = membership_of(a, c->q);
      int p = m ? m->priority : 0;
      if (eligible(e, c, m, a) && (!best || before(c, p, best, prio))) {
        best = c;
        prio = p;
      }
    }
    if (!best)
      break;
    /* The call has named the agent in events already (the end or wrap-up that freed it),
     * and will again (the offer): its observers' records of it have had the time of the
     * choice to arrive, so what they lead to can be fetched now, during the offer. */
    cc_obs_warm(e, CC_OBJ_AGENT, (const cc_obj *)a);
    unsigned before_work = cc_agent_work(a);
    note_offer(best->q, a);
    cc_offer(e, best, a, 0);
    if (cc_agent_work(a) == before_work)
      break; /* the offer failed (out of memory): do not spin */
  }
  cc_route_refresh(e, a);
}

/* ---------------------------------------------------------------------------------- */
/* Time                                                                                */

static void end_preferred_phase(ccenter_engine *e, contact *c)
{
  /* The contact leaves its preferred agents' lists and joins its class index. */
  if (c->in_queue) {
    prefer_link(e, c, 0);
    cc_route_cls_link(c, 1);
  }
  c->pref_phase = 0;
}

void cc_route_timer(ccenter_engine *e, contact *c, int kind)
{
  if (kind == T_PROGRESS) {
    c->progress_timer = 0;
    queue *q = c->q;
    if (!c->n_offers || c->primary)
      return;
    membership *m = pick_one(e, c);
    if (m) {
      note_offer(q, m->a);
      cc_offer(e, c, m->a, 0);
    }
    /* Periodic: the next step a period after the call that fired this one, not after
     * the deadline it may have missed (a stall rings one more agent, not all of them). */
    int64_t base = cc_call_time(e);
    if (q->progressive_every > 0)
      c->progress_timer = cc_eng_arm(e, base + q->progressive_every, T_PROGRESS, c);
    return;
  }
  c->route_timer = 0;
  if (c->pref_phase && c->preferred_until <= e->now)
    end_preferred_phase(e, c);
  int64_t t;
  while ((t = step_end(c)) >= 0 && t <= e->now) {
    c->step++;
    c->step_started = t;
    set_class(e, c, class_of_step(c));
    cc_eng_step_event(e, c);
  }
  cc_route_rearm(e, c);
  cc_route_contact(e, c);
}

int cc_route_requires_skill(const contact *c, const char *skill)
{
  if (!c->cls || !c->cls->req)
    return 0;
  size_t n;
  const cc_req_term *t = cc_req_terms(c->cls->req, &n);
  for (size_t i = 0; i < n; i++)
    if (t[i].kind == CC_REQ_SKILL && t[i].name == skill)
      return !(t[i].levels & 1u); /* bit 0: an agent without the skill would do */
  return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Invariants                                                                          */

/* A class's index of agents: in the form its strategy suits, in order, each node once and
 * its own, keyed by the agent's figures as they are now (a stale key routes by an old
 * order). */
static const char *class_index_check(const queue *q, const rclass *k)
{
  if (k->agents.runs != runs_suit(q))
    return "a class index's form does not suit its queue's strategy";
  size_t walked = 0;
  const cc_knode *prev = NULL;
  for (const cc_knode *u = cc_ktreap_first(&k->agents); u; u = cc_ktreap_next(&k->agents, u)) {
    if (walked++ == cc_ktreap_size(&k->agents))
      return "a class index holds more agents than it counts";
    if (prev && cmp_cnode(prev, u) >= 0)
      return "a class index is out of order";
    prev = u;
    const cnode *cn = of_cnode(u);
    const membership *m = member_of(cn);
    if (!cn->in_tree || m->q != q || q->classes[cn->slot] != k)
      return "a class index holds a node that is not its own";
    int64_t k1, k2;
    strategy_key(q, k, m, &k1, &k2);
    if (k1 != cn->node.aux || k2 != cn->key2)
      return "a class index keys an agent by stale figures";
  }
  if (walked != cc_ktreap_size(&k->agents))
    return "a class index holds fewer agents than it counts";
  if (cc_ktreap_last(&k->agents) != prev)
    return "a class index's last agent is not its last";
  return NULL;
}

const char *cc_route_check(const ccenter_engine *e)
{
  ccenter_engine *me = (ccenter_engine *)e; /* pick_preferred() takes a non-const engine */
  size_t it = 0;
  queue *q;
  agent *a;
  while ((a = cc_map_next(&e->agents, &it))) {
    for (size_t i = 1; i < a->n_mem; i++)
      if (a->mem[i - 1]->priority < a->mem[i]->priority)
        return "an agent's memberships are not by descending priority";
    unsigned n_in = 0;
    for (size_t i = 0; i < a->n_mem; i++)
      for (size_t j = 0; j < a->mem[i]->n_nodes; j++)
        n_in += a->mem[i]->nodes[j].in_tree;
    if (n_in != a->n_indexed)
      return "an agent's count of indexed nodes is wrong";
  }
  it = 0;
  while ((q = cc_map_next(&e->queues, &it))) {
    size_t indexed = 0;
    for (size_t s = 0; s < q->n_class_slots; s++) {
      rclass *k = q->classes[s];
      if (s < QUEUE_HEADS && q->heads[s] != (k ? cc_treap_first(&k->contacts) : NULL))
        return "a queue's copy of a class's first contact is out of date";
      if (!k)
        continue;
      for (size_t i = 0; i < q->n_members; i++) {
        membership *m = q->members[i];
        cnode *n = node_at(m, s);
        int meets = agent_meets(k, m->a);
        if (meets != (n != NULL))
          return "a member's class nodes disagree with its skills";
        if (n && n->in_tree != cc_agent_routable(m->a))
          return "a class index disagrees with agent availability";
      }
      const char *why = class_index_check(q, k);
      if (why)
        return why;
      for (cc_tnode *t = cc_treap_first(&k->contacts); t; t = cc_treap_next(&k->contacts, t)) {
        contact *c = of_cls(t);
        if (!c->in_queue || c->cls != k || c->q != q || c->pref_phase)
          return "a class index holds a contact that does not belong there";
        indexed++;
        for (cc_knode *u = cc_ktreap_first(&k->agents); u; u = cc_ktreap_next(&k->agents, u)) {
          cnode *cn = of_cnode(u);
          if (node_eligible(e, c, cn))
            return "a waiting contact could be offered to an available agent";
        }
      }
    }
    size_t preferring = 0;
    unsigned n_emergency = 0;
    for (cc_tnode *t = cc_treap_first(&q->waiting); t; t = cc_treap_next(&q->waiting, t)) {
      contact *c = of_node(t);
      n_emergency += c->emergency;
      if (c->pref_phase) {
        preferring++;
        if (c->n_offers == 0 && pick_preferred(me, c))
          return "a contact waits for a preferred agent who is available";
      }
      if (c->cls != class_of_step(c))
        return "a contact's class is not its current step's";
    }
    if (indexed + preferring != q->n_waiting)
      return "class indexes do not hold every waiting contact exactly once";
    if (n_emergency != q->n_emergency)
      return "a queue's count of waiting emergencies is wrong";
  }
  return NULL;
}
