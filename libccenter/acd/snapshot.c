/*
 * Snapshots of the routing engine (acd/engine_int.h has the contract): the whole state in
 * one blob (core/snap.h's codec) and an engine built back from it.
 *
 * Objects are written sorted by their sequence numbers (queues, agents, contacts), which
 * are unique, so a reader checks uniqueness by checking order and finds an object by a
 * binary search; works are named by (agent, position in the agent's list), stepsets by
 * their position in the snapshot. The maps are brought back slot for slot, apart from the
 * order the objects are written in, so that iteration and probing go as in the saved
 * engine. Whatever depends on addresses (skills and attributes sorted by interned
 * pointer, treap shapes) is written in a canonical order and rebuilt, never copied.
 *
 * Restoring builds the objects one by one, each linked as far as its own fields go, so
 * that ccenter_engine_free can take apart a half-restored engine: removed queues and
 * ended contacts (reachable only through contacts and works) are held by the restore
 * until the end, and reference counts are counted as the references are rebuilt, then
 * compared with the saved ones.
 *
 * Memory: e->bytes and the maps come back exactly. The event buffer, the graveyard, the
 * reserve-kick list and the timer pool are working buffers whose capacity only reflects
 * the largest call so far: they are given the room an ordinary call reserves (as
 * cc_engine_exec does), so cc_engine_memory() of a restored engine can be smaller than
 * the saved engine's by those capacities and no more.
 */
#include <stdlib.h>

#include "acd/engine_priv.h"

#define SNAP_MAGIC UINT64_C(0x63636e6170) /* "ccnap" */
#define SNAP_FORMAT 1

enum {
  TG_ENGINE = 0x101,
  TG_STRINGS,
  TG_OBS,
  TG_QUEUES,
  TG_STEPS,
  TG_QLINKS,
  TG_AGENTS,
  TG_CONTACTS,
  TG_WORKS,
  TG_LINKS,
  TG_STICKY,
  TG_TIMERS,
  TG_SPARES,
  TG_END
};

/* Spare works the engine keeps at most (work.c: a ring-all's worth, eight more, and a
 * slack of 32): a bound on what a snapshot may ask for. */
#define SPARE_WORKS_BOUND (RING_ALL_LIMIT + 8 + 32)

/* The queue options, in a fixed order (the format). */
#define QUEUE_OPTS(X)                                                                    \
  X(max_length, CCENTER_QUEUE_MAX_LENGTH)                                                 \
  X(join_empty, CCENTER_QUEUE_JOIN_EMPTY)                                                 \
  X(leave_empty, CCENTER_QUEUE_LEAVE_EMPTY)                                               \
  X(max_wait, CCENTER_QUEUE_MAX_WAIT)                                                     \
  X(max_wait_action, CCENTER_QUEUE_MAX_WAIT_ACTION)                                       \
  X(ring_timeout, CCENTER_QUEUE_RING_TIMEOUT)                                             \
  X(wrap_up, CCENTER_QUEUE_WRAP_UP)                                                       \
  X(announce_every, CCENTER_QUEUE_ANNOUNCE_EVERY)                                         \
  X(sl_threshold, CCENTER_QUEUE_SL_THRESHOLD)                                             \
  X(sl_target, CCENTER_QUEUE_SL_TARGET)                                                   \
  X(sl_warning, CCENTER_QUEUE_SL_WARNING)                                                 \
  X(callback_ewt, CCENTER_QUEUE_CALLBACK_EWT)                                             \
  X(strategy, CCENTER_QUEUE_STRATEGY)                                                     \
  X(progressive_every, CCENTER_QUEUE_RING_EVERY)                                          \
  X(preferred_timeout, CCENTER_QUEUE_PREFERRED_TIMEOUT)                                   \
  X(sticky_window, CCENTER_QUEUE_STICKY_WINDOW)                                           \
  X(ageing, CCENTER_QUEUE_AGEING)                                                         \
  X(reserve_wait, CCENTER_QUEUE_RESERVE_WAIT)                                             \
  X(reserve_ewt, CCENTER_QUEUE_RESERVE_EWT)                                               \
  X(reserve_sl, CCENTER_QUEUE_RESERVE_SL)

/* ---------------------------------------------------------------------------------- */
/* Saving                                                                              */

typedef struct ss_ref {
  stepset *ss;
  const queue *owner;
  size_t order;
} ss_ref;


/* qsort with nothing to sort is a no-op, but passing it a NULL array is undefined. */
static void sort_n(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
  if (n > 1)
    qsort(base, n, size, cmp);
}
static int ss_by_ptr(const void *x, const void *y)
{
  const ss_ref *a = x, *b = y;
  if (a->ss != b->ss)
    return (uintptr_t)a->ss < (uintptr_t)b->ss ? -1 : 1;
  return a->order < b->order ? -1 : a->order > b->order;
}

static int ss_ptr_only(const void *x, const void *y)
{
  const ss_ref *a = x, *b = y;
  return a->ss == b->ss ? 0 : (uintptr_t)a->ss < (uintptr_t)b->ss ? -1 : 1;
}

static int ss_by_order(const void *x, const void *y)
{
  const ss_ref *a = x, *b = y;
  return a->order < b->order ? -1 : a->order > b->order;
}

typedef struct saver {
  const ccenter_engine *e;
  cc_snap_w *w;
  cc_snap_w blob; /* an observer's output, before it goes in as bytes */
  queue **q;
  size_t nq;
  agent **a;
  size_t na;
  contact **c;
  size_t nc;
  ss_ref *ss;        /* in the snapshot's order */
  ss_ref *ss_sorted; /* by address, for ss_index */
  size_t nss;
  int err;
} saver;

static int by_seq_q(const void *x, const void *y)
{
  uint32_t a = (*(queue *const *)x)->seq, b = (*(queue *const *)y)->seq;
  return a < b ? -1 : a > b;
}

static int by_seq_a(const void *x, const void *y)
{
  uint32_t a = (*(agent *const *)x)->seq, b = (*(agent *const *)y)->seq;
  return a < b ? -1 : a > b;
}

static int by_seq_c(const void *x, const void *y)
{
  uint64_t a = (*(contact *const *)x)->seq, b = (*(contact *const *)y)->seq;
  return a < b ? -1 : a > b;
}

static int by_ptr(const void *x, const void *y)
{
  uintptr_t a = (uintptr_t) * (void *const *)x, b = (uintptr_t) * (void *const *)y;
  return a < b ? -1 : a > b;
}

/* Appends p to a growing array (duplicates allowed: uniq() removes them). */
static int push(saver *s, void ***v, size_t *n, size_t *cap, void *p)
{
  if (cc_grow(&s->e->alloc, (void **)v, cap, *n + 1, sizeof **v)) {
    s->err = CCENTER_ENOMEM;
    return -1;
  }
  (*v)[(*n)++] = p;
  return 0;
}

/* Sorts and removes duplicates (by address). */
static size_t uniq(void **v, size_t n)
{
  if (!n)
    return 0;
  sort_n(v, n, sizeof *v, by_ptr);
  size_t k = 1;
  for (size_t i = 1; i < n; i++)
    if (v[i] != v[k - 1])
      v[k++] = v[i];
  return k;
}

/* Every queue, agent and contact the snapshot holds, each kind sorted by seq; stepsets in
 * the order of their first user (queues by seq, then contacts by seq). */
static int collect(saver *s)
{
  const ccenter_engine *e = s->e;
  size_t cq = 0, ca = 0, cc = 0, i;
  void *p;
  for (i = 0; (p = cc_map_next(&e->queues, &i));)
    push(s, (void ***)&s->q, &s->nq, &cq, p);
  for (i = 0; (p = cc_map_next(&e->agents, &i));) {
    push(s, (void ***)&s->a, &s->na, &ca, p);
    for (work *w = ((agent *)p)->works; w; w = w->next) {
      if (w->c->dead)
        push(s, (void ***)&s->c, &s->nc, &cc, w->c);
      if (w->q && w->q->removed)
        push(s, (void ***)&s->q, &s->nq, &cq, w->q);
    }
  }
  for (i = 0; (p = cc_map_next(&e->contacts, &i));)
    push(s, (void ***)&s->c, &s->nc, &cc, p);
  if (s->err)
    return s->err;
  s->nc = uniq((void **)s->c, s->nc);
  for (i = 0; i < s->nc; i++)
    if (s->c[i]->q->removed && push(s, (void ***)&s->q, &s->nq, &cq, s->c[i]->q))
      return s->err;
  s->nq = uniq((void **)s->q, s->nq);
  if (s->nq)
    sort_n(s->q, s->nq, sizeof *s->q, by_seq_q);
  if (s->na)
    sort_n(s->a, s->na, sizeof *s->a, by_seq_a);
  if (s->nc)
    sort_n(s->c, s->nc, sizeof *s->c, by_seq_c);
  /* Stepsets: in their first users' order, each once. */
  size_t cs = 0;
  for (i = 0; i < s->nq + s->nc; i++) {
    const queue *q = i < s->nq ? s->q[i] : s->c[i - s->nq]->q;
    stepset *ss = i < s->nq ? q->steps : s->c[i - s->nq]->steps;
    if (!ss)
      continue;
    if (cc_grow(&e->alloc, (void **)&s->ss, &cs, s->nss + 1, sizeof *s->ss))
      return CCENTER_ENOMEM;
    s->ss[s->nss] = (ss_ref){ss, q, s->nss};
    s->nss++;
  }
  if (!s->nss)
    return 0;
  sort_n(s->ss, s->nss, sizeof *s->ss, ss_by_ptr);
  size_t k = 1;
  for (i = 1; i < s->nss; i++)
    if (s->ss[i].ss != s->ss[k - 1].ss)
      s->ss[k++] = s->ss[i];
  s->nss = k;
  sort_n(s->ss, s->nss, sizeof *s->ss, ss_by_order);
  for (i = 0; i < s->nss; i++)
    s->ss[i].order = i; /* from now on: the stepset's number in the snapshot */
  s->ss_sorted = cc_malloc(&e->alloc, s->nss * sizeof *s->ss_sorted);
  if (!s->ss_sorted)
    return CCENTER_ENOMEM;
  memcpy(s->ss_sorted, s->ss, s->nss * sizeof *s->ss);
  sort_n(s->ss_sorted, s->nss, sizeof *s->ss, ss_ptr_only);
  return 0;
}

/* 1 + the stepset's number, 0 for none. */
static size_t ss_index(const saver *s, const stepset *ss)
{
  if (!ss)
    return 0;
  ss_ref key = {(stepset *)(uintptr_t)ss, NULL, 0};
  const ss_ref *hit = bsearch(&key, s->ss_sorted, s->nss, sizeof key, ss_ptr_only);
  return hit ? hit->order + 1 : 0;
}

static void w_map_slot(cc_snap_w *w, const cc_map *m, const char *key)
{
  /* The slot of key: the map probes from its hash; the saved map is left untouched. */
  size_t i = 0;
  while (cc_map_next(m, &i) && cc_map_key(m, m->slots[i - 1].value) != key)
    ;
  cc_sw_u64(w, i - 1);
}

static void w_obs_obj(saver *s, cc_obj_kind kind, const cc_obj *o)
{
  const ccenter_engine *e = s->e;
  for (size_t i = 0; i < e->n_obs; i++) {
    const obs_entry *ob = &e->obs[i];
    if (!ob->vt->name)
      continue;
    s->blob.len = 0;
    if (ob->vt->save_obj)
      ob->vt->save_obj(ob->ud, kind, o, ob->slot >= 0 ? o->slot[ob->slot] : NULL, &s->blob);
    if (s->blob.err && !s->w->err)
      s->w->err = s->blob.err;
    cc_sw_bytes(s->w, s->blob.p, s->blob.len);
  }
}

static void w_queue(saver *s, const queue *q)
{
  cc_snap_w *w = s->w;
  cc_sw_u64(w, q->seq);
  cc_sw_i64(w, q->removed);
  if (!q->removed)
    w_map_slot(w, &s->e->queues, q->id);
  cc_sw_str(w, q->id);
  cc_sw_i64(w, q->refs);
#define W_OPT(f, id) cc_sw_i64(w, q->f);
  QUEUE_OPTS(W_OPT)
#undef W_OPT
  cc_sw_i64(w, (int64_t)q->n_thresholds);
  for (size_t i = 0; i < q->n_thresholds; i++)
    cc_sw_i64(w, q->thresholds[i]);
  cc_sw_i64(w, q->n_waiting);
  cc_sw_i64(w, q->n_offered);
  cc_sw_i64(w, q->n_emergency);
  cc_sw_i64(w, (int64_t)q->n_class_slots);
  for (size_t i = 0; i < q->n_class_slots; i++) {
    const rclass *k = q->classes[i];
    cc_sw_i64(w, k != NULL);
    if (!k)
      continue;
    if (i)
      cc_sw_str(w, cc_req_text(k->req));
    cc_sw_i64(w, k->refs);
  }
  cc_sw_i64(w, q->reserve_open);
  cc_sw_i64(w, q->n_logged_in);
  cc_sw_i64(w, q->n_ready);
  cc_sw_i64(w, q->next_ordinal);
  cc_sw_i64(w, q->rr_last);
  cc_sw_u64(w, q->n_delays);
  for (size_t i = 0; i < q->n_delays; i++) {
    cc_sw_i64(w, q->delays[i].delay);
    cc_sw_i64(w, q->delays[i].n);
  }
  cc_sw_i64(w, q->ewt_n);
  cc_sw_i64(w, q->ewt_pos);
  for (unsigned i = 0; i < q->ewt_n; i++)
    cc_sw_i64(w, q->ewt_samples[i]);
  cc_sw_i64(w, q->deq_n);
  cc_sw_i64(w, q->deq_pos);
  for (unsigned i = 0; i < q->deq_n; i++)
    cc_sw_i64(w, q->deq_gap[i]);
  cc_sw_i64(w, q->last_deq);
  cc_sw_i64(w, q->backlog);
  for (size_t i = 0; i < sizeof q->sl_bits / sizeof q->sl_bits[0]; i++)
    cc_sw_u64(w, q->sl_bits[i]);
  cc_sw_i64(w, q->sl_n);
  cc_sw_i64(w, q->sl_pos);
  cc_sw_i64(w, q->sl_met);
  cc_sw_u64(w, q->cap_members);
  w_obs_obj(s, CC_OBJ_QUEUE, (const cc_obj *)q);
}

static int cmp_skill_name(const void *x, const void *y)
{
  return strcmp(((const cc_skill *)x)->name, ((const cc_skill *)y)->name);
}

static int cmp_attr_key(const void *x, const void *y)
{
  return strcmp(((const cc_attr_kv *)x)->key, ((const cc_attr_kv *)y)->key);
}

static void w_agent(saver *s, const agent *a)
{
  cc_snap_w *w = s->w;
  cc_sw_u64(w, a->seq);
  w_map_slot(w, &s->e->agents, a->id);
  cc_sw_str(w, a->id);
  cc_sw_str(w, a->reason);
  cc_sw_str(w, a->pending);
  cc_sw_i64(w, a->state_since);
  cc_sw_i64(w, a->idle_since);
  cc_sw_i64(w, a->login_at);
  cc_sw_i64(w, a->talk_since_login);
  cc_sw_i64(w, a->wrap_override);
  cc_sw_i64(w, a->missed_in_row);
  cc_sw_i64(w, a->handled);
  cc_sw_i64(w, a->handled_since_login);
  cc_sw_i64(w, a->n_offered);
  cc_sw_i64(w, a->n_connected);
  cc_sw_i64(w, a->n_wrap);
  for (int ch = 0; ch < NCH; ch++) {
    cc_sw_i64(w, a->n[ch]);
    cc_sw_i64(w, a->cap[ch]);
    cc_sw_i64(w, a->overlap[ch]);
  }
  cc_sw_i64(w, a->pending_logout);
  cc_sw_i64(w, a->pending_nr);
  cc_sw_i64(w, a->state);
  cc_sw_i64(w, a->cause);
  cc_sw_i64(w, a->pending_cause);
  /* Sorted by name, not by the interned addresses the engine sorts them by. */
  cc_skill sk[64];
  cc_attr_kv at[32];
  size_t ns = a->n_skills <= 64 ? a->n_skills : 64, nt = a->n_attrs <= 32 ? a->n_attrs : 32;
  for (size_t i = 0; i < ns; i++)
    sk[i] = (cc_skill){a->skills[i], agent_levels(a)[i]};
  if (nt)
    memcpy(at, a->attrs, nt * sizeof *at);
  sort_n(sk, ns, sizeof *sk, cmp_skill_name);
  sort_n(at, nt, sizeof *at, cmp_attr_key);
  cc_sw_i64(w, a->cap_skills);
  cc_sw_i64(w, (int64_t)ns);
  for (size_t i = 0; i < ns; i++) {
    cc_sw_str(w, sk[i].name);
    cc_sw_i64(w, sk[i].level);
  }
  cc_sw_i64(w, a->cap_attrs);
  cc_sw_i64(w, (int64_t)nt);
  for (size_t i = 0; i < nt; i++) {
    cc_sw_str(w, at[i].key);
    cc_sw_str(w, at[i].value);
  }
  cc_sw_u64(w, a->cap_mem);
  cc_sw_i64(w, a->n_mem);
  for (size_t i = 0; i < a->n_mem; i++) {
    const membership *m = a->mem[i];
    cc_sw_u64(w, m->q->seq);
    cc_sw_i64(w, m->delay);
    cc_sw_i64(w, m->ordinal);
    cc_sw_i64(w, m->priority);
    cc_sw_i64(w, m->reserve);
    cc_sw_i64(w, m->cap_nodes);
    cc_sw_i64(w, m->n_nodes);
    for (size_t j = 0; j < m->n_nodes; j++) {
      const cnode *n = &m->nodes[j];
      cc_sw_i64(w, n->slot);
      cc_sw_i64(w, n->in_tree);
      cc_sw_i64(w, n->node.aux); /* key1 */
      cc_sw_i64(w, n->key2);
    }
  }
  w_obs_obj(s, CC_OBJ_AGENT, (const cc_obj *)a);
}

static void w_contact(saver *s, const contact *c)
{
  cc_snap_w *w = s->w;
  cc_sw_u64(w, c->seq);
  cc_sw_i64(w, c->dead);
  if (!c->dead)
    w_map_slot(w, &s->e->contacts, c->id);
  cc_sw_str(w, c->id);
  cc_sw_u64(w, c->q->seq);
  cc_sw_str(w, c->customer);
  cc_sw_i64(w, c->order_key);
  cc_sw_i64(w, c->enq_at);
  cc_sw_i64(w, c->priority);
  cc_sw_i64(w, c->orig_position);
  cc_sw_i64(w, c->channel);
  cc_sw_i64(w, c->outcome);
  cc_sw_i64(w, c->sla_stage);
  unsigned flags = c->emergency | c->in_queue << 1 | c->pref_phase << 2 | c->is_callback << 3 |
                   c->callback_offered << 4 | c->callback_due_sent << 5 |
                   c->max_wait_due << 6 | c->on_hold << 7 | c->answered << 8;
  cc_sw_i64(w, flags);
  cc_sw_i64(w, c->exit_position);
  cc_sw_i64(w, c->step);
  cc_sw_i64(w, c->n_attrs);
  for (size_t i = 0; i < c->n_attrs; i++) {
    cc_sw_str(w, c->attrs[i].key);
    cc_sw_str(w, c->attrs[i].value);
  }
  cc_sw_i64(w, c->cls ? c->cls->slot + 1 : 0);
  cc_sw_i64(w, (int64_t)ss_index(s, c->steps));
  cc_sw_i64(w, c->n_preferred);
  for (size_t i = 0; i < c->n_preferred; i++)
    cc_sw_str(w, c->preferred[i]);
  cc_sw_u64(w, c->cap_rej);
  cc_sw_i64(w, c->n_rej);
  for (size_t i = 0; i < c->n_rej; i++) {
    cc_sw_i64(w, c->rej[i].agent_seq);
    cc_sw_i64(w, c->rej[i].until);
  }
  cc_sw_i64(w, c->step_started);
  cc_sw_i64(w, c->preferred_until);
  cc_sw_i64(w, c->answered_wait);
  cc_sw_i64(w, c->hold_since);
  /* The contact's max-wait deadline, -1 without one: what 0.2 kept in the contact, which
   * only snapshots read (the timer, saved with the others, is what acts). */
  int64_t mw = cc_timers_deadline(&s->e->timers, c->max_wait_timer); /* 0: INT64_MIN */
  cc_sw_i64(w, mw == INT64_MIN ? -1 : mw);
  cc_sw_i64(w, c->route_at);
  cc_sw_i64(w, c->n_wrap);
  cc_sw_i64(w, c->n_offers);
  cc_sw_i64(w, c->survey);
  w_obs_obj(s, CC_OBJ_CONTACT, (const cc_obj *)c);
}

static size_t work_pos(const work *x)
{
  size_t i = 0;
  for (const work *w = x->a->works; w != x; w = w->next)
    i++;
  return i;
}

/* A work as (agent seq, position in its list); (0, 0) for none. */
static void w_work_ref(cc_snap_w *w, const work *x)
{
  cc_sw_u64(w, x ? x->a->seq : 0);
  cc_sw_u64(w, x ? work_pos(x) : 0);
}

static void w_map_head(cc_snap_w *w, const cc_map *m)
{
  cc_sw_u64(w, m->cap);
}

static void w_timers(saver *s)
{
  const ccenter_engine *e = s->e;
  cc_timer_fired *t;
  size_t n;
  if (cc_timers_in_order(&e->timers, &e->alloc, &t, &n)) {
    s->err = CCENTER_ENOMEM;
    return;
  }
  cc_sw_tag(s->w, TG_TIMERS);
  cc_sw_u64(s->w, n);
  for (size_t i = 0; i < n; i++) {
    cc_sw_i64(s->w, t[i].kind);
    cc_sw_i64(s->w, t[i].deadline);
    void *obj = (void *)(uintptr_t)t[i].payload;
    if (t[i].kind == T_RING || t[i].kind == T_WRAP) {
      w_work_ref(s->w, obj);
      continue;
    }
    const contact *c = obj;
    cc_sw_u64(s->w, c->seq);
    if (t[i].kind == T_REJECT) {
      size_t k = 0;
      while (k < c->n_rej && c->rej[k].timer != t[i].id)
        k++;
      cc_sw_u64(s->w, k);
    }
  }
  cc_free(&e->alloc, t);
}

int cc_engine_snapshot(const ccenter_engine *e, cc_snap_w *w)
{
  if (!e || !w)
    return CCENTER_EINVAL;
  if (e->in_callback || e->in_exec)
    return CCENTER_EBUSY;
  saver s = {.e = e, .w = w};
  cc_sw_init(&s.blob, &e->alloc);
  int rc = collect(&s);
  if (rc)
    goto out;
  cc_sw_tag(w, SNAP_MAGIC);
  cc_sw_u64(w, SNAP_FORMAT);
  cc_sw_tag(w, TG_ENGINE);
  cc_sw_i64(w, e->now);
  cc_sw_i64(w, e->call_now);
  cc_sw_i64(w, e->agent_seq);
  cc_sw_i64(w, e->queue_seq);
  cc_sw_u64(w, e->contact_seq);
  cc_sw_u64(w, e->rng);
  cc_sw_u64(w, e->sla_version);
  cc_sw_i64(w, e->sticky_max);
  cc_sw_i64(w, (int64_t)e->sticky_prune_at);
  cc_sw_i64(w, e->max_no_answer);
  cc_sw_i64(w, e->reject_delay);
  cc_sw_i64(w, e->ewt_samples);
  cc_sw_i64(w, e->stats_cfg.interval_ms);
  cc_sw_i64(w, e->stats_cfg.keep);
  cc_sw_i64(w, e->stats_cfg.short_abandon_ms);
  cc_sw_i64(w, e->stats_cfg.repeat_window_ms);

  cc_sw_tag(w, TG_STRINGS);
  w_map_head(w, &e->strings);
  cc_sw_u64(w, e->strings.len);
  size_t it = 0;
  const char *str;
  while ((str = cc_map_next(&e->strings, &it))) {
    cc_sw_u64(w, it - 1);
    cc_sw_str(w, str);
  }

  cc_sw_tag(w, TG_OBS);
  size_t named = 0;
  for (size_t i = 0; i < e->n_obs; i++)
    named += e->obs[i].vt->name != NULL;
  cc_sw_u64(w, named);
  for (size_t i = 0; i < e->n_obs; i++) {
    const obs_entry *ob = &e->obs[i];
    if (!ob->vt->name)
      continue;
    cc_sw_str(w, ob->vt->name);
    s.blob.len = 0;
    if (ob->vt->save)
      ob->vt->save(ob->ud, e, &s.blob);
    if (s.blob.err && !w->err)
      w->err = s.blob.err;
    cc_sw_bytes(w, s.blob.p, s.blob.len);
  }

  cc_sw_tag(w, TG_QUEUES);
  w_map_head(w, &e->queues);
  cc_sw_u64(w, s.nq);
  for (size_t i = 0; i < s.nq; i++)
    w_queue(&s, s.q[i]);

  cc_sw_tag(w, TG_STEPS);
  cc_sw_u64(w, s.nss);
  for (size_t i = 0; i < s.nss; i++) {
    const stepset *ss = s.ss[i].ss;
    cc_sw_u64(w, s.ss[i].owner->seq);
    cc_sw_i64(w, ss->refs);
    cc_sw_i64(w, ss->cap);
    cc_sw_i64(w, (int64_t)ss->n);
    for (size_t j = 0; j < ss->n; j++) {
      cc_sw_i64(w, ss->s[j].k->slot);
      cc_sw_i64(w, ss->s[j].duration);
    }
  }

  cc_sw_tag(w, TG_QLINKS);
  for (size_t i = 0; i < s.nq; i++) {
    cc_sw_i64(w, (int64_t)ss_index(&s, s.q[i]->steps));
    /* A removed queue's overflow is never read again (and may be gone). */
    const queue *o = s.q[i]->removed ? NULL : s.q[i]->overflow;
    cc_sw_u64(w, o ? o->seq : 0);
  }

  cc_sw_tag(w, TG_AGENTS);
  w_map_head(w, &e->agents);
  cc_sw_u64(w, s.na);
  for (size_t i = 0; i < s.na; i++)
    w_agent(&s, s.a[i]);

  cc_sw_tag(w, TG_CONTACTS);
  w_map_head(w, &e->contacts);
  cc_sw_u64(w, s.nc);
  for (size_t i = 0; i < s.nc; i++)
    w_contact(&s, s.c[i]);

  cc_sw_tag(w, TG_WORKS);
  for (size_t i = 0; i < s.na; i++) {
    size_t n = 0;
    for (const work *x = s.a[i]->works; x; x = x->next)
      n++;
    cc_sw_u64(w, n);
    for (const work *x = s.a[i]->works; x; x = x->next) {
      cc_sw_u64(w, x->c->seq);
      cc_sw_u64(w, x->q ? x->q->seq : 0);
      cc_sw_i64(w, x->state);
      cc_sw_i64(w, x->consult);
      cc_sw_i64(w, x->direct);
      cc_sw_i64(w, x->channel);
      cc_sw_i64(w, x->since);
      cc_sw_i64(w, x->connected_at);
      cc_sw_i64(w, x->wrap_deadline);
    }
  }

  cc_sw_tag(w, TG_LINKS);
  for (size_t i = 0; i < s.nc; i++) {
    const contact *c = s.c[i];
    cc_sw_u64(w, c->n_offers);
    for (const work *x = c->offers; x; x = x->onext)
      w_work_ref(w, x);
    w_work_ref(w, c->primary);
    w_work_ref(w, c->consult);
  }
  for (size_t i = 0; i < s.na; i++) {
    const agent *a = s.a[i];
    cc_sw_u64(w, a->cap_preferring);
    cc_sw_i64(w, a->n_preferring);
    for (size_t j = 0; j < a->n_preferring; j++)
      cc_sw_u64(w, a->preferring[j]->seq);
  }
  for (size_t i = 0; i < s.nq; i++) {
    const queue *q = s.q[i];
    cc_sw_u64(w, q->n_members);
    for (size_t j = 0; j < q->n_members; j++)
      cc_sw_u64(w, q->members[j]->a->seq);
  }

  cc_sw_tag(w, TG_STICKY);
  w_map_head(w, &e->customers);
  cc_sw_u64(w, e->customers.len);
  it = 0;
  const sticky *st;
  while ((st = cc_map_next(&e->customers, &it))) {
    cc_sw_u64(w, it - 1);
    cc_sw_str(w, st->customer);
    cc_sw_str(w, st->agent);
    cc_sw_i64(w, st->at);
  }

  w_timers(&s);

  cc_sw_tag(w, TG_SPARES);
  cc_sw_i64(w, (int64_t)e->n_spare_works);
  for (size_t k = 0; k < CC_CONTACT_SPARE_CLASSES; k++)
    cc_sw_i64(w, e->n_spare_contacts[k]);
  cc_sw_tag(w, TG_END);
  rc = s.err ? s.err : w->err;
out:
  cc_sw_free(&s.blob);
  cc_free(&e->alloc, s.q);
  cc_free(&e->alloc, s.a);
  cc_free(&e->alloc, s.c);
  cc_free(&e->alloc, s.ss);
  cc_free(&e->alloc, s.ss_sorted);
  return rc;
}

/* ---------------------------------------------------------------------------------- */
/* Restoring                                                                           */

typedef struct rst {
  ccenter_engine *e;
  cc_snap_r *r;
  int rc; /* the first error that is not the blob's (ENOMEM, a loader's) */
  queue **q;
  int64_t *q_refs;  /* saved */
  int64_t *k_refs;  /* saved, MAX_CLASSES per queue */
  size_t nq, n_removed;
  agent **a;
  size_t na;
  size_t *wofs; /* each agent's first work in w */
  contact **c;
  int64_t *c_wrap, *c_offers; /* saved */
  size_t nc, n_dead;
  work **w;
  size_t nw, cap_w;
  stepset **ss;
  queue **ss_q;
  int64_t *ss_refs; /* saved */
  size_t nss;
  int sec_obs[CC_MAX_OBSERVERS]; /* each observer section's observer (index in e->obs) */
  size_t n_sec;
} rst;

static int failed(const rst *x)
{
  return x->rc || x->r->err;
}

static void bad(rst *x)
{
  cc_sr_fail(x->r);
}

static void nomem(rst *x)
{
  if (!x->rc)
    x->rc = CCENTER_ENOMEM;
}

static int64_t rd(rst *x, int64_t lo, int64_t hi)
{
  return cc_sr_range(x->r, lo, hi);
}

/* A count of things that each take at least one byte of what is left. */
static size_t rcount(rst *x)
{
  uint64_t n = cc_sr_u64(x->r);
  if (n > x->r->len - x->r->off) {
    bad(x);
    return 0;
  }
  return (size_t)n;
}

/* A capacity the engine had: kept when it is plausible (at least n, at most bound), else
 * the smallest that holds n (memory then differs from the saved engine's, nothing else). */
static size_t rcap(rst *x, size_t n, size_t bound)
{
  uint64_t cap = cc_sr_u64(x->r);
  return cap >= n && cap <= bound ? (size_t)cap : n;
}

static void *ralloc(rst *x, size_t n)
{
  void *p = n ? cc_calloc(&x->e->alloc, 1, n) : NULL;
  if (n && !p)
    nomem(x);
  return p;
}

static const char *interned(rst *x, const char *s)
{
  const char *k = s ? cc_map_get(&x->e->strings, s) : NULL;
  if (s && !k)
    bad(x);
  return k;
}

static const char *rid(rst *x)
{
  const char *s = cc_sr_str_nn(x->r, NULL);
  if (s && !cc_valid_id(s))
    bad(x);
  return failed(x) ? NULL : s;
}

/* The objects are in seq order (checked as they are read): the one with `seq`, by its
 * index, or SIZE_MAX (the blob is corrupt). */
static size_t find_seq(rst *x, void *const *v, size_t n, uint64_t seq,
                       uint64_t (*seq_of)(const void *))
{
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    uint64_t s = seq_of(v[mid]);
    if (s == seq)
      return mid;
    if (s < seq)
      lo = mid + 1;
    else
      hi = mid;
  }
  bad(x);
  return SIZE_MAX;
}

static uint64_t q_seq(const void *p)
{
  return ((const queue *)p)->seq;
}

static uint64_t a_seq(const void *p)
{
  return ((const agent *)p)->seq;
}

static uint64_t c_seq(const void *p)
{
  return ((const contact *)p)->seq;
}

static queue *find_q(rst *x, uint64_t seq)
{
  size_t i = find_seq(x, (void *const *)x->q, x->nq, seq, q_seq);
  return i == SIZE_MAX ? NULL : x->q[i];
}

static size_t find_a(rst *x, uint64_t seq)
{
  return find_seq(x, (void *const *)x->a, x->na, seq, a_seq);
}

static contact *find_c(rst *x, uint64_t seq)
{
  size_t i = find_seq(x, (void *const *)x->c, x->nc, seq, c_seq);
  return i == SIZE_MAX ? NULL : x->c[i];
}

/* (agent seq, position) as written by w_work_ref; NULL for none or on error. */
static work *r_work_ref(rst *x)
{
  uint64_t seq = cc_sr_u64(x->r), pos = cc_sr_u64(x->r);
  if (!seq && pos)
    bad(x); /* none is (0, 0) */
  if (failed(x) || !seq)
    return NULL;
  size_t i = find_a(x, seq);
  if (i == SIZE_MAX || pos >= x->wofs[i + 1] - x->wofs[i]) {
    bad(x);
    return NULL;
  }
  return x->w[x->wofs[i] + pos];
}

static void r_map_init(rst *x, cc_map *m)
{
  uint64_t cap = cc_sr_u64(x->r);
  if (failed(x))
    return;
  int rc = cc_map_init_cap(m, &x->e->alloc, (size_t)cap);
  if (rc == CCENTER_ENOMEM)
    nomem(x);
  else if (rc)
    bad(x);
}

static void r_map_done(rst *x, const cc_map *m)
{
  if (!failed(x) && cc_map_placed_ok(m))
    bad(x);
}

static void r_obs_obj(rst *x, cc_obj_kind kind, cc_obj *o)
{
  for (size_t i = 0; i < x->n_sec; i++) {
    size_t len = 0;
    const void *p = cc_sr_bytes(x->r, &len);
    if (failed(x) || x->sec_obs[i] < 0)
      continue;
    const obs_entry *ob = &x->e->obs[x->sec_obs[i]];
    if (!ob->vt->load_obj)
      continue;
    cc_snap_r sub;
    cc_sr_init(&sub, p, len);
    void *val = NULL;
    int rc = ob->vt->load_obj(ob->ud, x->e, kind, o, &sub, &val);
    if (val && ob->slot >= 0)
      o->slot[ob->slot] = val;
    if (rc == CCENTER_ECORRUPT || (!rc && !cc_sr_done(&sub)))
      bad(x);
    else if (rc && !x->rc)
      x->rc = rc;
  }
}

static void r_engine(rst *x)
{
  ccenter_engine *e = x->e;
  cc_sr_tag(x->r, TG_ENGINE);
  e->now = rd(x, CCENTER_TIME_MIN, CCENTER_TIME_MAX);
  e->call_now = rd(x, INT64_MIN, e->now);
  e->agent_seq = (uint32_t)rd(x, 0, UINT32_MAX);
  e->queue_seq = (uint32_t)rd(x, 0, UINT32_MAX);
  e->contact_seq = cc_sr_u64(x->r);
  e->rng = cc_sr_u64(x->r);
  e->sla_version = cc_sr_u64(x->r);
  e->sticky_max = rd(x, 0, INT64_MAX);
  e->sticky_prune_at = (size_t)rd(x, 0, INT64_MAX);
  e->max_no_answer = rd(x, 0, 1000);
  e->reject_delay = rd(x, 0, DAY_MS);
  e->ewt_samples = rd(x, 2, EWT_MAX_SAMPLES);
  e->stats_cfg.interval_ms = rd(x, 1000, DAY_MS);
  e->stats_cfg.keep = rd(x, 1, 100000);
  e->stats_cfg.short_abandon_ms = rd(x, 0, DAY_MS);
  e->stats_cfg.repeat_window_ms = rd(x, 0, 365 * DAY_MS);
  if (!e->rng)
    bad(x); /* xorshift stays at 0 forever: never a seeded state */
}

static void r_strings(rst *x)
{
  ccenter_engine *e = x->e;
  cc_sr_tag(x->r, TG_STRINGS);
  r_map_init(x, &e->strings);
  size_t n = rcount(x);
  uint64_t next = 0;
  for (size_t i = 0; i < n && !failed(x); i++) {
    uint64_t slot = cc_sr_u64(x->r);
    const char *s = cc_sr_str_nn(x->r, NULL);
    cc_sr_ascending(x->r, slot, &next); /* written in slot order */
    if (failed(x))
      break;
    char *d = cc_strdup(&e->alloc, s);
    if (!d) {
      nomem(x);
      break;
    }
    if (cc_map_place(&e->strings, (size_t)slot, d, d)) {
      cc_free(&e->alloc, d);
      bad(x);
    }
  }
  r_map_done(x, &e->strings);
}

static void r_observers(rst *x)
{
  ccenter_engine *e = x->e;
  cc_sr_tag(x->r, TG_OBS);
  size_t n = rcount(x);
  if (n > CC_MAX_OBSERVERS)
    bad(x);
  int seen[CC_MAX_OBSERVERS] = {0};
  for (size_t i = 0; i < n && !failed(x); i++) {
    const char *name = cc_sr_str_nn(x->r, NULL);
    size_t len = 0;
    const void *p = cc_sr_bytes(x->r, &len);
    x->sec_obs[i] = -1;
    x->n_sec = i + 1;
    for (size_t k = 0; k < e->n_obs && !failed(x); k++)
      if (e->obs[k].vt->name && strcmp(e->obs[k].vt->name, name) == 0) {
        if (seen[k]++)
          bad(x); /* two sections of one name */
        x->sec_obs[i] = (int)k;
        if (!e->obs[k].vt->load)
          continue;
        cc_snap_r sub;
        cc_sr_init(&sub, p, len);
        int rc = e->obs[k].vt->load(e->obs[k].ud, e, &sub);
        if (rc == CCENTER_ECORRUPT || (!rc && !cc_sr_done(&sub)))
          bad(x);
        else if (rc)
          x->rc = rc;
      }
  }
  for (size_t k = 0; k < e->n_obs && !failed(x); k++)
    if (e->obs[k].vt->name && !seen[k])
      x->rc = CCENTER_ECONDITION; /* its state was not saved (it was off) */
}

/* The queue's classes: compiled again from their texts (cc_class_get, with no member yet,
 * fills the slots in order), then moved to their saved slots. */
static void r_classes(rst *x, queue *q, int64_t *krefs)
{
  size_t n = (size_t)rd(x, 1, MAX_CLASSES);
  rclass *made[MAX_CLASSES];
  size_t slot_of[MAX_CLASSES], nm = 0;
  for (size_t s = 0; s < n && !failed(x); s++) {
    if (!rd(x, 0, 1)) {
      if (!s)
        bad(x);
      continue;
    }
    if (s) {
      const char *text = cc_sr_str_nn(x->r, NULL);
      if (failed(x))
        return;
      rclass *k;
      cc_req_error err;
      int rc = cc_class_get(x->e, q, text, &k, &err);
      if (rc == CCENTER_ENOMEM) {
        nomem(x);
        return;
      }
      if (rc || k->refs != 1) {
        if (!rc)
          cc_class_put(x->e, q, k);
        bad(x); /* not a requirement, the empty one, or one already there */
        return;
      }
      slot_of[nm] = s;
      made[nm++] = k;
    }
    krefs[s] = rd(x, 1, INT32_MAX);
  }
  if (failed(x))
    return;
  for (size_t i = 1; i < q->n_class_slots; i++)
    q->classes[i] = NULL;
  for (size_t i = 0; i < nm; i++) {
    q->classes[slot_of[i]] = made[i];
    made[i]->slot = (int)slot_of[i];
    made[i]->refs = 0; /* counted again as the stepsets come back */
  }
  q->n_class_slots = n;
}

static void r_queue(rst *x, uint64_t prev)
{
  ccenter_engine *e = x->e;
  cc_snap_r *r = x->r;
  uint64_t seq = cc_sr_u64(r);
  int removed = (int)rd(x, 0, 1);
  uint64_t slot = removed ? 0 : cc_sr_u64(r);
  const char *id = rid(x);
  if (seq <= prev || seq > e->queue_seq)
    bad(x);
  if (failed(x))
    return;
  queue *q = cc_obj_new(e, sizeof *q, id, NULL);
  if (!q) {
    nomem(x);
    return;
  }
  if (!removed && cc_map_place(&e->queues, (size_t)slot, q->id, q)) {
    cc_obj_free(e, q->id, sizeof *q);
    bad(x);
    return;
  }
  size_t qi = x->nq++;
  x->q[qi] = q;
  q->seq = (uint32_t)seq;
  q->removed = removed;
  if (removed) {
    q->refs = 1; /* the restore's, until the end */
    x->n_removed++;
  }
  cc_treap_init(&q->waiting, cc_cmp_contact, CC_TREAP_SIZES);
  if (cc_queue_init_classes(e, q)) {
    nomem(x);
    return;
  }
  x->q_refs[qi] = rd(x, removed, INT32_MAX);
  int opt_bad = 0;
#define R_OPT(f, id)                                  \
  q->f = rd(x, INT64_MIN, INT64_MAX);                \
  opt_bad |= cc_queue_opt_check((id), q->f) != 0;
  QUEUE_OPTS(R_OPT)
#undef R_OPT
  if (opt_bad)
    bad(x);
  cc_route_strategy_set(q);
  q->n_thresholds = (size_t)rd(x, 0, MAX_THRESHOLDS);
  for (size_t i = 0; i < q->n_thresholds; i++)
    q->thresholds[i] = rd(x, i ? q->thresholds[i - 1] + 1 : 1, DAY_MS);
  q->n_waiting = (unsigned)rd(x, 0, UINT32_MAX);
  q->n_offered = (unsigned)rd(x, 0, UINT32_MAX);
  q->n_emergency = (unsigned)rd(x, 0, UINT32_MAX);
  r_classes(x, q, &x->k_refs[qi * MAX_CLASSES]);
  q->reserve_open = (int)rd(x, 0, 1);
  q->n_logged_in = (unsigned)rd(x, 0, UINT32_MAX);
  q->n_ready = (unsigned)rd(x, 0, UINT32_MAX);
  q->next_ordinal = (uint32_t)rd(x, 0, UINT32_MAX);
  q->rr_last = (uint32_t)rd(x, 0, UINT32_MAX);
  size_t nd = rcount(x);
  if (!failed(x) && nd &&
      cc_grow(&e->alloc, (void **)&q->delays, &q->cap_delays, nd, sizeof *q->delays)) {
    nomem(x);
    return;
  }
  for (size_t i = 0; i < nd && !failed(x); i++) {
    q->delays[i].delay = rd(x, i ? q->delays[i - 1].delay + 1 : 1, DAY_MS);
    q->delays[i].n = (unsigned)rd(x, 1, UINT32_MAX);
    q->n_delays = i + 1;
  }
  q->ewt_n = (unsigned)rd(x, 0, EWT_MAX_SAMPLES);
  q->ewt_pos = (unsigned)rd(x, 0, EWT_MAX_SAMPLES);
  for (unsigned i = 0; i < q->ewt_n; i++)
    q->ewt_samples[i] = (int32_t)rd(x, INT32_MIN, INT32_MAX);
  q->deq_n = (unsigned)rd(x, 0, EWT_MAX_SAMPLES);
  q->deq_pos = (unsigned)rd(x, 0, EWT_MAX_SAMPLES);
  for (unsigned i = 0; i < q->deq_n; i++)
    q->deq_gap[i] = (int32_t)rd(x, INT32_MIN, INT32_MAX);
  q->last_deq = rd(x, INT64_MIN, INT64_MAX);
  q->backlog = (int)rd(x, 0, 1);
  for (size_t i = 0; i < sizeof q->sl_bits / sizeof q->sl_bits[0]; i++)
    q->sl_bits[i] = cc_sr_u64(r);
  q->sl_n = (unsigned)rd(x, 0, SL_WINDOW);
  q->sl_pos = (unsigned)rd(x, 0, SL_WINDOW - 1);
  q->sl_met = (unsigned)rd(x, 0, SL_WINDOW);
  size_t cap = rcap(x, 0, (size_t)1 << 24);
  if (failed(x))
    return;
  if (cap) {
    if (!(q->members = ralloc(x, cap * sizeof *q->members)))
      return;
    q->cap_members = cap;
  }
  r_obs_obj(x, CC_OBJ_QUEUE, (cc_obj *)q);
}

static void r_queues(rst *x)
{
  ccenter_engine *e = x->e;
  cc_sr_tag(x->r, TG_QUEUES);
  r_map_init(x, &e->queues);
  size_t n = rcount(x);
  if (failed(x))
    return;
  x->q = ralloc(x, n * sizeof *x->q);
  x->q_refs = ralloc(x, n * sizeof *x->q_refs);
  x->k_refs = ralloc(x, n * MAX_CLASSES * sizeof *x->k_refs);
  for (size_t i = 0; i < n && !failed(x); i++)
    r_queue(x, i ? x->q[i - 1]->seq : 0);
  r_map_done(x, &e->queues);
  /* The graveyard's room for what freeing a half-restored engine may bury. */
  if (!failed(x) && cc_grow(&e->alloc, (void **)&e->graves, &e->cap_graves, x->n_removed + 16,
                            sizeof *e->graves))
    nomem(x);
}

static void r_steps(rst *x)
{
  ccenter_engine *e = x->e;
  cc_sr_tag(x->r, TG_STEPS);
  size_t n = rcount(x);
  if (failed(x))
    return;
  x->ss = ralloc(x, n * sizeof *x->ss);
  x->ss_q = ralloc(x, n * sizeof *x->ss_q);
  x->ss_refs = ralloc(x, n * sizeof *x->ss_refs);
  for (size_t i = 0; i < n && !failed(x); i++) {
    queue *q = find_q(x, cc_sr_u64(x->r));
    int64_t refs = rd(x, 1, INT32_MAX);
    size_t cap = (size_t)rd(x, 1, MAX_STEPS);
    size_t ns = (size_t)rd(x, 1, (int64_t)cap);
    if (failed(x))
      return;
    stepset *ss = cc_eng_alloc(e, sizeof *ss + cap * sizeof(step));
    if (!ss) {
      nomem(x);
      return;
    }
    x->ss[i] = ss;
    x->ss_q[i] = q;
    x->ss_refs[i] = refs;
    x->nss = i + 1;
    ss->cap = (uint32_t)cap;
    for (size_t j = 0; j < ns && !failed(x); j++) {
      size_t slot = (size_t)rd(x, 0, (int64_t)q->n_class_slots - 1);
      int64_t d = rd(x, 1, DAY_MS);
      if (failed(x) || !q->classes[slot]) {
        bad(x);
        return;
      }
      ss->s[j].k = q->classes[slot];
      ss->s[j].k->refs++;
      ss->s[j].duration = d;
      ss->n = j + 1;
    }
  }
}

static stepset *r_stepset(rst *x, const queue *q)
{
  size_t i = (size_t)rd(x, 0, (int64_t)x->nss);
  if (failed(x) || !i)
    return NULL;
  if (x->ss_q[i - 1] != q) {
    bad(x);
    return NULL;
  }
  x->ss[i - 1]->refs++;
  return x->ss[i - 1];
}

static void r_qlinks(rst *x)
{
  cc_sr_tag(x->r, TG_QLINKS);
  for (size_t i = 0; i < x->nq && !failed(x); i++) {
    queue *q = x->q[i];
    q->steps = r_stepset(x, q);
    uint64_t o = cc_sr_u64(x->r);
    if (o && !failed(x)) {
      q->overflow = find_q(x, o);
      if (q->overflow && (q->overflow == q || q->overflow->removed || q->removed))
        bad(x);
    }
  }
}

static int by_name_ptr(const void *x, const void *y)
{
  uintptr_t a = (uintptr_t)((const cc_skill *)x)->name, b = (uintptr_t)((const cc_skill *)y)->name;
  return a < b ? -1 : a > b;
}

static int by_key_ptr(const void *x, const void *y)
{
  uintptr_t a = (uintptr_t)((const cc_attr_kv *)x)->key, b = (uintptr_t)((const cc_attr_kv *)y)->key;
  return a < b ? -1 : a > b;
}

static void r_membership(rst *x, agent *a)
{
  ccenter_engine *e = x->e;
  queue *q = find_q(x, cc_sr_u64(x->r));
  int64_t delay = rd(x, 0, DAY_MS);
  int64_t ordinal = rd(x, 0, UINT32_MAX);
  int64_t prio = rd(x, -CCENTER_MAX_PROFILE_PRIORITY, CCENTER_MAX_PROFILE_PRIORITY);
  int64_t reserve = rd(x, 0, 1);
  size_t cap = (size_t)rd(x, 0, MAX_CLASSES);
  size_t n = (size_t)rd(x, 0, (int64_t)cap);
  if (failed(x))
    return;
  if (q->removed)
    bad(x);
  for (size_t i = 0; i < a->n_mem; i++)
    if (a->mem[i]->q == q)
      bad(x);
  if (failed(x))
    return;
  membership *m = cc_eng_alloc(e, sizeof *m + cap * sizeof(cnode));
  if (!m) {
    nomem(x);
    return;
  }
  m->a = a;
  m->q = q;
  m->delay = (int32_t)delay;
  m->ordinal = (uint32_t)ordinal;
  m->priority = (int16_t)prio;
  m->reserve = reserve != 0;
  m->cap_nodes = (uint8_t)cap;
  m->q_index = UINT32_MAX; /* set with the queue's members */
  a->mem[a->n_mem++] = m;
  uint64_t used[(MAX_CLASSES + 63) / 64] = {0};
  for (size_t j = 0; j < n && !failed(x); j++) {
    size_t slot = (size_t)rd(x, 0, (int64_t)q->n_class_slots - 1);
    int in_tree = (int)rd(x, 0, 1);
    int64_t k1 = rd(x, INT32_MIN, INT32_MAX), k2 = rd(x, INT64_MIN, INT64_MAX);
    if (failed(x) || !q->classes[slot] || (used[slot / 64] >> (slot % 64) & 1)) {
      bad(x);
      return;
    }
    used[slot / 64] |= UINT64_C(1) << (slot % 64);
    cnode *cn = &m->nodes[j];
    cn->slot = (uint8_t)slot;
    cn->idx = (uint8_t)j;
    cn->node.aux = (int32_t)k1; /* key1 */
    cn->key2 = cnode_key2(k2); /* written in 64 bits before cnode kept 51 */
    m->n_nodes = (uint16_t)(j + 1);
    if (in_tree) {
      cc_ktreap_insert(&q->classes[slot]->agents, &cn->node);
      cn->in_tree = 1;
      a->n_indexed++;
    }
  }
}

static void r_agent(rst *x, uint64_t prev)
{
  ccenter_engine *e = x->e;
  uint64_t seq = cc_sr_u64(x->r), slot = cc_sr_u64(x->r);
  const char *id = rid(x);
  if (seq <= prev || seq > e->agent_seq)
    bad(x);
  if (failed(x))
    return;
  agent *a = cc_obj_new(e, sizeof *a, id, NULL);
  if (!a) {
    nomem(x);
    return;
  }
  a->mem = a->mem_in;
  a->cap_mem = AGENT_MEM_INLINE;
  if (cc_map_place(&e->agents, (size_t)slot, a->id, a)) {
    cc_obj_free(e, a->id, sizeof *a);
    bad(x);
    return;
  }
  x->a[x->na++] = a;
  a->seq = (uint32_t)seq;
  a->reason = interned(x, cc_sr_str(x->r, NULL));
  a->pending = interned(x, cc_sr_str(x->r, NULL));
  a->state_since = rd(x, INT64_MIN, INT64_MAX);
  a->idle_since = rd(x, INT64_MIN, INT64_MAX);
  a->login_at = rd(x, INT64_MIN, INT64_MAX);
  a->talk_since_login = rd(x, INT64_MIN, INT64_MAX);
  a->wrap_override = (int32_t)rd(x, -2, DAY_MS);
  a->missed_in_row = (unsigned)rd(x, 0, UINT32_MAX);
  a->handled = (unsigned)rd(x, 0, UINT32_MAX);
  a->handled_since_login = (unsigned)rd(x, 0, UINT32_MAX);
  a->n_offered = (unsigned)rd(x, 0, UINT32_MAX);
  a->n_connected = (unsigned)rd(x, 0, UINT32_MAX);
  a->n_wrap = (unsigned)rd(x, 0, UINT32_MAX);
  for (int ch = 0; ch < NCH; ch++) {
    a->n[ch] = (uint16_t)rd(x, 0, UINT16_MAX);
    a->cap[ch] = (uint8_t)rd(x, 0, MAX_CAPACITY);
    a->overlap[ch] = (uint8_t)rd(x, 0, UINT8_MAX);
  }
  a->pending_logout = (uint8_t)rd(x, 0, 1);
  a->pending_nr = (uint8_t)rd(x, 0, 1);
  a->state = (uint8_t)rd(x, CCENTER_AGENT_LOGGED_OUT, CCENTER_AGENT_READY);
  a->cause = (uint8_t)rd(x, 0, CCENTER_CAUSE_COUNT_ - 1);
  a->pending_cause = (uint8_t)rd(x, 0, CCENTER_CAUSE_COUNT_ - 1);
  size_t cap = (size_t)rd(x, 0, 64), n = (size_t)rd(x, 0, (int64_t)cap);
  if (failed(x) || (cap && !(a->skills = ralloc(x, cap * SKILL_BYTES))))
    return;
  a->cap_skills = (uint8_t)cap;
  e->bytes += cap * SKILL_BYTES;
  cc_skill sk[64];
  size_t ns = 0;
  for (; ns < n && !failed(x); ns++) {
    const char *name = interned(x, cc_sr_str_nn(x->r, NULL));
    int64_t level = rd(x, 1, 10);
    for (size_t j = 0; j < ns && !failed(x); j++)
      if (sk[j].name == name)
        bad(x);
    sk[ns] = (cc_skill){name, (uint8_t)level};
  }
  if (failed(x))
    return;
  sort_n(sk, ns, sizeof *sk, by_name_ptr);
  cc_skills_split(sk, ns, a->skills, agent_levels(a));
  a->n_skills = (uint8_t)ns;
  cap = (size_t)rd(x, 0, 32), n = (size_t)rd(x, 0, (int64_t)cap);
  if (failed(x) || (cap && !(a->attrs = ralloc(x, cap * sizeof *a->attrs))))
    return;
  a->cap_attrs = (uint8_t)cap;
  e->bytes += cap * sizeof *a->attrs;
  for (size_t i = 0; i < n && !failed(x); i++) {
    const char *k = interned(x, cc_sr_str_nn(x->r, NULL));
    const char *v = interned(x, cc_sr_str_nn(x->r, NULL));
    for (size_t j = 0; j < i && !failed(x); j++)
      if (a->attrs[j].key == k)
        bad(x);
    a->attrs[i].key = k;
    a->attrs[i].value = v;
    a->n_attrs = (uint8_t)(i + 1);
  }
  sort_n(a->attrs, a->n_attrs, sizeof *a->attrs, by_key_ptr);
  cap = rcap(x, AGENT_MEM_INLINE, (size_t)1 << 20);
  n = (size_t)rd(x, 0, (int64_t)cap);
  if (failed(x))
    return;
  if (cap > AGENT_MEM_INLINE) {
    if (!(a->mem = ralloc(x, cap * sizeof *a->mem))) {
      a->mem = a->mem_in;
      return;
    }
    a->cap_mem = (uint32_t)cap;
  }
  for (size_t i = 0; i < n && !failed(x); i++)
    r_membership(x, a);
  if (!failed(x))
    r_obs_obj(x, CC_OBJ_AGENT, (cc_obj *)a);
}

static void r_agents(rst *x)
{
  ccenter_engine *e = x->e;
  cc_sr_tag(x->r, TG_AGENTS);
  r_map_init(x, &e->agents);
  size_t n = rcount(x);
  if (failed(x))
    return;
  x->a = ralloc(x, n * sizeof *x->a);
  x->wofs = ralloc(x, (n + 1) * sizeof *x->wofs);
  for (size_t i = 0; i < n && !failed(x); i++)
    r_agent(x, i ? x->a[i - 1]->seq : 0);
  r_map_done(x, &e->agents);
}

static void r_contact(rst *x, uint64_t prev)
{
  ccenter_engine *e = x->e;
  uint64_t seq = cc_sr_u64(x->r);
  int dead = (int)rd(x, 0, 1);
  uint64_t slot = dead ? 0 : cc_sr_u64(x->r);
  const char *id = rid(x);
  queue *q = find_q(x, cc_sr_u64(x->r));
  if (seq <= prev || seq > e->contact_seq)
    bad(x);
  if (failed(x))
    return;
  contact *c = cc_obj_new(e, sizeof *c, id, NULL);
  if (!c) {
    nomem(x);
    return;
  }
  if (!dead && cc_map_place(&e->contacts, (size_t)slot, c->id, c)) {
    cc_obj_free(e, c->id, sizeof *c);
    bad(x);
    return;
  }
  size_t ci = x->nc++;
  x->c[ci] = c;
  x->n_dead += dead;
  c->seq = seq;
  c->dead = (unsigned)dead;
  c->q = q;
  q_ref(q);
  const char *cust = cc_sr_str(x->r, NULL);
  if (cust && !cc_valid_id(cust))
    bad(x);
  if (failed(x))
    return;
  if (cust && !(c->customer = cc_strdup(&e->alloc, cust))) {
    nomem(x);
    return;
  }
  c->order_key = rd(x, INT64_MIN, INT64_MAX);
  c->enq_at = rd(x, INT64_MIN, INT64_MAX);
  c->priority = (int)rd(x, -PRIORITY_LIMIT, PRIORITY_LIMIT);
  c->orig_position = (int)rd(x, 0, INT32_MAX);
  c->channel = (uint8_t)rd(x, 0, NCH - 1);
  c->outcome = (uint8_t)rd(x, CCENTER_OUTCOME_NONE, CCENTER_OUTCOME_REMOVED);
  c->sla_stage = (uint8_t)rd(x, 0, 2);
  unsigned f = (unsigned)rd(x, 0, 511);
  c->emergency = f & 1;
  c->in_queue = f >> 1 & 1;
  c->pref_phase = f >> 2 & 1;
  c->is_callback = f >> 3 & 1;
  c->callback_offered = f >> 4 & 1;
  c->callback_due_sent = f >> 5 & 1;
  c->max_wait_due = f >> 6 & 1;
  c->on_hold = f >> 7 & 1;
  c->answered = f >> 8 & 1;
  c->exit_position = (int)rd(x, 0, INT32_MAX);
  c->step = (uint32_t)rd(x, 0, MAX_STEPS);
  size_t na = (size_t)rd(x, 0, 64), block = 0;
  const char *kv[2 * 64];
  for (size_t i = 0; i < 2 * na && !failed(x); i++) {
    kv[i] = cc_sr_str_nn(x->r, NULL);
    if (kv[i])
      block += strlen(kv[i]) + 1;
  }
  if (failed(x))
    return;
  if (na) {
    if (!(c->attrs = cc_malloc(&e->alloc, na * sizeof(ccenter_attr) + block))) {
      nomem(x);
      return;
    }
    char *sp = (char *)(c->attrs + na);
    for (size_t i = 0; i < na; i++) {
      size_t kl = strlen(kv[2 * i]) + 1, vl = strlen(kv[2 * i + 1]) + 1;
      c->attrs[i].key = memcpy(sp, kv[2 * i], kl);
      c->attrs[i].value = memcpy(sp + kl, kv[2 * i + 1], vl);
      sp += kl + vl;
    }
    c->n_attrs = (uint32_t)na;
  }
  size_t cls = (size_t)rd(x, 0, (int64_t)q->n_class_slots);
  if (cls && !failed(x) && !(c->cls = q->classes[cls - 1]))
    bad(x);
  c->steps = r_stepset(x, q);
  if (c->step > (c->steps ? c->steps->n : 0))
    bad(x);
  size_t np = (size_t)rd(x, 0, MAX_PREFERRED);
  if (failed(x) || (np && !(c->preferred = ralloc(x, np * sizeof *c->preferred))))
    return;
  for (size_t i = 0; i < np && !failed(x); i++) {
    const char *p = rid(x);
    if (p && !(c->preferred[i] = cc_strdup(&e->alloc, p)))
      nomem(x);
    c->n_preferred = (uint8_t)(i + 1);
  }
  size_t cap = rcap(x, 0, (size_t)1 << 20);
  size_t nr = (size_t)rd(x, 0, (int64_t)cap);
  if (failed(x) || (cap && !(c->rej = ralloc(x, cap * sizeof *c->rej))))
    return;
  c->cap_rej = (uint32_t)cap;
  for (size_t i = 0; i < nr && !failed(x); i++) {
    c->rej[i].agent_seq = (uint32_t)rd(x, 0, UINT32_MAX);
    c->rej[i].until = rd(x, INT64_MIN, INT64_MAX);
    c->n_rej = (uint32_t)(i + 1);
  }
  c->step_started = rd(x, INT64_MIN, INT64_MAX);
  c->preferred_until = rd(x, INT64_MIN, INT64_MAX);
  c->answered_wait = rd(x, INT64_MIN, INT64_MAX);
  c->hold_since = rd(x, INT64_MIN, INT64_MAX);
  /* The max-wait deadline: its timer is restored. Not checked against it: snapshots of
   * earlier 0.2 builds hold a field of the contact here, which could differ. */
  (void)rd(x, INT64_MIN, INT64_MAX);
  c->route_at = rd(x, INT64_MIN, INT64_MAX);
  x->c_wrap[ci] = rd(x, dead, UINT32_MAX);
  x->c_offers[ci] = rd(x, 0, UINT32_MAX);
  c->survey = (int16_t)rd(x, -1, 100);
  e->bytes += cc_contact_extra(c);
  if (c->in_queue && (dead || !c->cls || q->removed || c->outcome))
    bad(x);
  if (!failed(x))
    r_obs_obj(x, CC_OBJ_CONTACT, (cc_obj *)c);
}

static void r_contacts(rst *x)
{
  ccenter_engine *e = x->e;
  cc_sr_tag(x->r, TG_CONTACTS);
  r_map_init(x, &e->contacts);
  size_t n = rcount(x);
  if (failed(x))
    return;
  x->c = ralloc(x, n * sizeof *x->c);
  x->c_wrap = ralloc(x, n * sizeof *x->c_wrap);
  x->c_offers = ralloc(x, n * sizeof *x->c_offers);
  for (size_t i = 0; i < n && !failed(x); i++)
    r_contact(x, i ? x->c[i - 1]->seq : 0);
  r_map_done(x, &e->contacts);
  if (!failed(x) && cc_grow(&e->alloc, (void **)&e->graves, &e->cap_graves,
                            x->n_removed + x->n_dead + 16, sizeof *e->graves))
    nomem(x);
  /* Into the waiting lines (seqs are unique now, so the trees' keys are). */
  for (size_t i = 0; i < x->nc && !failed(x); i++) {
    contact *c = x->c[i];
    if (!c->in_queue)
      continue;
    cc_treap_insert(&c->q->waiting, &c->node.n);
    if (!c->pref_phase)
      cc_route_cls_link(c, 1);
  }
}

static void r_works(rst *x)
{
  ccenter_engine *e = x->e;
  cc_sr_tag(x->r, TG_WORKS);
  for (size_t i = 0; i < x->na && !failed(x); i++) {
    agent *a = x->a[i];
    x->wofs[i] = x->nw;
    size_t n = rcount(x);
    work *tail = NULL;
    for (size_t j = 0; j < n && !failed(x); j++) {
      contact *c = find_c(x, cc_sr_u64(x->r));
      uint64_t qs = cc_sr_u64(x->r);
      queue *q = qs ? find_q(x, qs) : NULL;
      int state = (int)rd(x, W_RINGING, W_WRAP);
      int consult = (int)rd(x, 0, 1), direct = (int)rd(x, 0, 1);
      int ch = (int)rd(x, 0, NCH - 1);
      int64_t since = rd(x, INT64_MIN, INT64_MAX), conn = rd(x, INT64_MIN, INT64_MAX);
      int64_t wd = rd(x, -1, INT64_MAX);
      if (failed(x))
        return;
      if (c->dead && state != W_WRAP)
        bad(x);
      if (cc_grow(&e->alloc, (void **)&x->w, &x->cap_w, x->nw + 1, sizeof *x->w)) {
        nomem(x);
        return;
      }
      work *w = cc_eng_alloc(e, sizeof *w);
      if (!w) {
        nomem(x);
        return;
      }
      w->a = a;
      w->c = c;
      w->q = q;
      q_ref(q);
      w->state = state;
      w->consult = consult;
      w->direct = direct;
      w->channel = (ccenter_channel)ch;
      w->since = since;
      w->connected_at = conn;
      w->wrap_deadline = wd;
      w->prev = tail;
      if (tail)
        tail->next = w;
      else
        a->works = w;
      tail = w;
      c->n_wrap += state == W_WRAP;
      x->w[x->nw++] = w;
    }
  }
  x->wofs[x->na] = x->nw;
}

static void r_links(rst *x)
{
  ccenter_engine *e = x->e;
  cc_sr_tag(x->r, TG_LINKS);
  for (size_t i = 0; i < x->nc && !failed(x); i++) {
    contact *c = x->c[i];
    size_t n = rcount(x);
    work **tail = &c->offers;
    for (size_t j = 0; j < n && !failed(x); j++) {
      work *w = r_work_ref(x);
      if (failed(x) || !w || w->c != c || w->state != W_RINGING || w->consult) {
        bad(x);
        return;
      }
      for (work *o = c->offers; o; o = o->onext)
        if (o == w)
          bad(x);
      *tail = w;
      tail = &w->onext;
      c->n_offers++;
    }
    work *p = r_work_ref(x), *k = r_work_ref(x);
    if (p && (p->c != c || p->state != W_CONNECTED || p->consult))
      bad(x);
    if (k && (k->c != c || !k->consult || k->state == W_WRAP))
      bad(x);
    if (failed(x))
      return;
    set_primary(c, p);
    c->consult = k;
    if (c->n_offers != x->c_offers[i])
      bad(x);
  }
  for (size_t i = 0; i < x->na && !failed(x); i++) {
    agent *a = x->a[i];
    size_t cap = rcap(x, 0, (size_t)1 << 20);
    size_t n = (size_t)rd(x, 0, (int64_t)cap);
    if (failed(x) || (cap && !(a->preferring = ralloc(x, cap * sizeof *a->preferring))))
      return;
    a->cap_preferring = (uint32_t)cap;
    for (size_t j = 0; j < n && !failed(x); j++) {
      contact *c = find_c(x, cc_sr_u64(x->r));
      if (c && (!c->in_queue || !c->pref_phase))
        bad(x);
      a->preferring[j] = c;
      a->n_preferring = (uint32_t)(j + 1);
    }
  }
  for (size_t i = 0; i < x->nq && !failed(x); i++) {
    queue *q = x->q[i];
    size_t n = rcount(x);
    if (n > q->cap_members)
      bad(x);
    for (size_t j = 0; j < n && !failed(x); j++) {
      size_t ai = find_a(x, cc_sr_u64(x->r));
      if (failed(x))
        return;
      agent *a = x->a[ai];
      membership *m = NULL;
      for (size_t k = 0; k < a->n_mem; k++)
        if (a->mem[k]->q == q)
          m = a->mem[k];
      if (!m || m->q_index != UINT32_MAX) {
        bad(x);
        return;
      }
      m->q_index = (uint32_t)q->n_members;
      q->members[q->n_members++] = m;
    }
  }
  for (size_t i = 0; i < x->na && !failed(x); i++)
    for (size_t k = 0; k < x->a[i]->n_mem; k++)
      if (x->a[i]->mem[k]->q_index == UINT32_MAX)
        bad(x);
  (void)e;
}

static void r_sticky(rst *x)
{
  ccenter_engine *e = x->e;
  cc_sr_tag(x->r, TG_STICKY);
  r_map_init(x, &e->customers);
  size_t n = rcount(x);
  for (size_t i = 0; i < n && !failed(x); i++) {
    uint64_t slot = cc_sr_u64(x->r);
    const char *cu = rid(x), *ag = rid(x);
    int64_t at = rd(x, INT64_MIN, INT64_MAX);
    if (failed(x))
      return;
    sticky *st = cc_calloc(&e->alloc, 1, sizeof *st);
    char *dc = st ? cc_strdup(&e->alloc, cu) : NULL;
    char *da = dc ? cc_strdup(&e->alloc, ag) : NULL;
    if (!da || cc_map_place(&e->customers, (size_t)slot, dc, st)) {
      if (da)
        bad(x);
      else
        nomem(x);
      cc_free(&e->alloc, da);
      cc_free(&e->alloc, dc);
      cc_free(&e->alloc, st);
      return;
    }
    st->customer = dc;
    st->agent = da;
    st->at = at;
  }
  r_map_done(x, &e->customers);
}

static void r_timers(rst *x)
{
  ccenter_engine *e = x->e;
  cc_sr_tag(x->r, TG_TIMERS);
  size_t n = rcount(x);
  int64_t prev = INT64_MIN;
  for (size_t i = 0; i < n && !failed(x); i++) {
    int kind = (int)rd(x, T_RING, T_PROGRESS);
    /* In firing order, as written: arming them in it keeps the order of equal deadlines. */
    int64_t at = rd(x, prev, INT64_MAX);
    prev = at;
    void *obj = NULL;
    cc_timer_id *field = NULL;
    if (kind == T_RING || kind == T_WRAP) {
      work *w = r_work_ref(x);
      if (w && w->state == (kind == T_RING ? W_RINGING : W_WRAP)) {
        obj = w;
        field = &w->timer;
      }
    } else {
      contact *c = find_c(x, cc_sr_u64(x->r));
      size_t k = kind == T_REJECT ? (size_t)cc_sr_u64(x->r) : 0;
      if (c && !c->dead) {
        obj = c;
        field = kind == T_MAXWAIT    ? &c->max_wait_timer
                : kind == T_ANNOUNCE ? &c->announce_timer
                : kind == T_SLA      ? &c->sla_timer
                : kind == T_ROUTE    ? &c->route_timer
                : kind == T_PROGRESS ? &c->progress_timer
                : k < c->n_rej       ? &c->rej[k].timer
                                     : NULL;
      }
    }
    if (failed(x))
      return;
    if (!field || *field) {
      bad(x);
      return;
    }
    if (cc_timers_arm(&e->timers, at, (uint32_t)kind, (uint64_t)(uintptr_t)obj, field)) {
      nomem(x);
      return;
    }
  }
}

static void r_spares(rst *x)
{
  ccenter_engine *e = x->e;
  cc_sr_tag(x->r, TG_SPARES);
  size_t n = (size_t)rd(x, 0, SPARE_WORKS_BOUND);
  for (size_t i = 0; i < n && !failed(x); i++) {
    work *w = cc_eng_alloc(e, sizeof *w);
    if (!w) {
      nomem(x);
      return;
    }
    w->next = e->spare_works;
    e->spare_works = w;
    e->n_spare_works++;
  }
  for (size_t k = 0; k < CC_CONTACT_SPARE_CLASSES && !failed(x); k++) {
    n = (size_t)rd(x, 0, CC_CONTACT_SPARE_MAX);
    for (size_t i = 0; i < n && !failed(x); i++) {
      void *p = cc_eng_alloc(e, (k + 1) * 8 + sizeof(contact));
      if (!p) {
        nomem(x);
        return;
      }
      *(void **)p = e->spare_contacts[k];
      e->spare_contacts[k] = p;
      e->n_spare_contacts[k]++;
    }
  }
  cc_sr_tag(x->r, TG_END);
}

/* The saved counts against the references rebuilt; then the restore lets go of the
 * removed queues it held. */
static void r_verify(rst *x)
{
  for (size_t i = 0; i < x->nq && !failed(x); i++) {
    queue *q = x->q[i];
    if (q->refs - q->removed != x->q_refs[i] || (q->removed && q->n_members))
      bad(x);
    for (size_t s = 0; s < q->n_class_slots; s++)
      if (q->classes[s] && q->classes[s]->refs != x->k_refs[i * MAX_CLASSES + s])
        bad(x);
    unsigned waiting = 0, offered = 0;
    for (size_t j = 0; j < x->nc; j++)
      if (x->c[j]->q == q) {
        waiting += x->c[j]->in_queue;
        offered += x->c[j]->n_offers > 0;
      }
    if (waiting != q->n_waiting || offered != q->n_offered)
      bad(x);
  }
  for (size_t i = 0; i < x->nss && !failed(x); i++)
    if (x->ss[i]->refs != x->ss_refs[i])
      bad(x);
  for (size_t i = 0; i < x->nc && !failed(x); i++)
    if (x->c[i]->n_wrap != x->c_wrap[i])
      bad(x);
  if (failed(x))
    return;
  for (size_t i = 0; i < x->nq; i++)
    if (x->q[i]->removed)
      x->q[i]->refs--;
  x->n_removed = 0;
}

/* Frees what only the restore holds, for ccenter_engine_free to take the rest. */
static void r_abandon(rst *x)
{
  ccenter_engine *e = x->e;
  for (size_t i = 0; i < x->nss; i++)
    if (!x->ss[i]->refs)
      cc_eng_free(e, x->ss[i], sizeof *x->ss[i] + x->ss[i]->cap * sizeof(step));
  for (size_t i = 0; i < x->nc; i++)
    if (x->c[i]->dead && !x->c[i]->n_wrap)
      cc_free_contact(e, x->c[i]);
  for (size_t i = 0; x->n_removed && i < x->nq; i++)
    if (x->q[i]->removed && --x->q[i]->refs == 0)
      cc_free_queue(e, x->q[i]);
}

int cc_engine_restore(const ccenter_options *opts, cc_snap_r *r,
                      int (*attach)(void *ud, ccenter_engine *e), void *ud,
                      ccenter_engine **out)
{
  if (!r || !out)
    return CCENTER_EINVAL;
  ccenter_engine *e;
  int rc = cc_engine_create(opts, CCENTER_TIME_MIN, &e);
  if (rc)
    return rc;
  if (attach && (rc = attach(ud, e)) != 0) {
    ccenter_engine_free(e);
    return rc;
  }
  rst x = {.e = e, .r = r};
  cc_sr_tag(r, SNAP_MAGIC);
  if (cc_sr_u64(r) != SNAP_FORMAT)
    bad(&x);
  r_engine(&x);
  if (!failed(&x)) {
    /* The wheel starts at the saved time, as the saved engine's never went back. */
    cc_timers_destroy(&e->timers);
    if (cc_timers_init(&e->timers, &e->alloc, e->now))
      nomem(&x);
  }
  if (!failed(&x))
    r_strings(&x);
  if (!failed(&x))
    r_observers(&x);
  if (!failed(&x))
    r_queues(&x);
  if (!failed(&x))
    r_steps(&x);
  if (!failed(&x))
    r_qlinks(&x);
  if (!failed(&x))
    r_agents(&x);
  if (!failed(&x))
    r_contacts(&x);
  if (!failed(&x))
    r_works(&x);
  if (!failed(&x))
    r_links(&x);
  if (!failed(&x))
    r_sticky(&x);
  if (!failed(&x))
    r_timers(&x);
  if (!failed(&x))
    r_spares(&x);
  if (!failed(&x) && !cc_sr_done(r))
    bad(&x); /* trailing bytes */
  if (!failed(&x))
    r_verify(&x);
  if (!failed(&x) && cc_engine_check(e))
    bad(&x);
  /* The room an ordinary call reserves first (cc_engine_exec), so that the next call
   * cannot fail for memory where the saved engine's would not. */
  if (!failed(&x) &&
      (ev_reserve(e, 4 * RING_ALL_LIMIT) ||
       cc_grow(&e->alloc, (void **)&e->graves, &e->cap_graves, 16, sizeof *e->graves) ||
       cc_timers_reserve(&e->timers, 4 * RING_ALL_LIMIT) ||
       cc_grow(&e->alloc, (void **)&e->kicks, &e->cap_kicks, 8, sizeof *e->kicks)))
    nomem(&x);
  rc = x.rc ? x.rc : r->err ? CCENTER_ECORRUPT : 0;
  cc_alloc al = e->alloc;
  if (rc) {
    r_abandon(&x);
    ccenter_engine_free(e);
  } else {
    *out = e;
  }
  void *tmp[] = {x.q, x.q_refs, x.k_refs, x.a, x.wofs, x.c, x.c_wrap, x.c_offers, x.w, x.ss,
                 x.ss_q, x.ss_refs};
  for (size_t i = 0; i < sizeof tmp / sizeof tmp[0]; i++)
    cc_free(&al, tmp[i]);
  return rc;
}
