/*
 * route: skill-based routing decisions at 100,000 agents, 1,000 queues, 64 skills.
 *
 * Population. 64 skills s0..s63. Each of the 1,000 queues requires one skill sA (half of
 * them) or two, sA and sB, with a two-step expansion:
 *   step 1, 10 s: `sA >= 7 [and sB >= 5]`;  step 2, 20 s: `sA >= 3 [and sB >= 1]`;
 * then any member. Every agent serves 3 to 5 queues (4 on average; the first with routing
 * priority 1, the others 0, through ccenter_agent_serve_2), chosen at random among the
 * queues whose required skills fit in 8; it gets those skills, padded with other random
 * skills up to 4..8 in all, each at a proficiency of 1..10 — so every agent has the skills
 * of the queues it serves, though not always the levels of their first steps. Strategy:
 * longest idle (the default). Half of the queues have no wrap-up; the others a 60 s
 * wrap-up timer that the agent ends early, after 2–8 s, with ccenter_agent_wrap_up_end().
 *
 * Load. Contacts arrive at random (Poisson), each in a queue picked in proportion to its
 * members. Arrivals run at 1.2 x the agents' service rate until 50,000 contacts wait (the
 * agents are all busy by then), then a proportional controller balances arrivals with
 * service around 50,000 waiting. An agent answers 1–3 s after an offer starts ringing and
 * talks 30–90 s. The event callback only writes down what happened; the driver acts after
 * each call returns and calls ccenter_engine_advance() at ccenter_engine_next_deadline()
 * when that comes first or in the same millisecond (step expiry, service-level, ring and
 * wrap-up timers), so a person's call never also runs other contacts' timers.
 *
 * Figures. Every API call is timed with CLOCK_MONOTONIC (its own median cost, clock_ns,
 * subtracted). A routing decision is a call that made an offer (CONTACT_OFFERED events):
 * in steady state that is a ccenter_contact_end() (no wrap-up) or wrap-up end after which
 * the agent takes its next contact, an enqueue matched at once, or an advance whose step
 * expiry let a free agent take a contact. In steady state no agent is free when a contact
 * arrives, so enqueues matched at once are measured separately (fill_enqueue_*), while the
 * backlog builds up from 100,000 free agents. p50/p99 are over the steady-state calls;
 * decisions_per_s is decisions per second of time spent in them, ops_per_s API calls per
 * second of time spent in the engine (the driver excluded; wall_* fields include it;
 * cpu_share, the process's CPU time / wall time while measuring, shows whether other
 * programs took the core). minflt_timed: the minor page faults while measuring the main
 * run (fill_minflt while its backlog builds, ref_minflt during its reference decisions);
 * the driver's tables are sized up front and written before each measured phase, so
 * these are the engine's (and the allocator's) own.
 * Memory: cc_engine_memory() per agent (queues only, then the agents added, serving,
 * logged in and READY, no contacts), and per waiting contact (at steady state, before and
 * after removing every waiting contact, so the maps' spare capacity is not counted:
 * `memory` measures growth).
 *
 * Reference router. The same workload at 1,000, 10,000 and 100,000 agents (10, 100, 1,000
 * queues; 500, 5,000, 50,000 waiting): once in steady state, decisions are measured with
 * the indexed router, then cc_engine_set_reference_routing(e, 1) and the run continues
 * with the reference router, which walks every agent or every contact per decision. The
 * decisions measured: indexed 50,000, 100,000 and 300,000; reference 5,000, 1,000 and
 * REF_DECISIONS_100K (200). ratio_N = mean latency of a reference decision / mean latency
 * of an indexed decision; ratio_p50_N the same with medians, which a busy machine (a
 * preempted call counts milliseconds) disturbs less. The 100,000 run is the main run.
 *
 * Equivalence (fails the scenario). Two engines in lockstep, one indexed and one reference,
 * are given the identical stream (2,000 agents, 20 queues, 20,000 calls: the first half at
 * 70 % load, where contacts choose among free agents, then arrivals at 4 x service until
 * 1,000 wait, where agents choose among contacts). After every call the events of
 * both — every offer (contact, agent) among them — and the return codes must be identical,
 * and cc_engine_check() must pass on both every 2,000 calls; the first difference is
 * printed on stderr. cc_engine_check() also runs on the main engine after each phase.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acd/engine_int.h"
#include "bench.h"
#include "ccenter/engine.h"

#define N_SKILLS 64
#define MAX_SKILLS 8
#define SEC INT64_C(1000)
#define T0 (INT64_C(1) << 32) /* virtual start time; any value works */

#define RING_MIN (1 * SEC)
#define RING_MAX (3 * SEC)
#define TALK_MIN (30 * SEC)
#define TALK_MAX (90 * SEC)
#define WRAP_MIN (2 * SEC)
#define WRAP_MAX (8 * SEC)
#define WRAP_TIMER (60 * SEC)
#define STEP1_MS (10 * SEC)
#define STEP2_MS (20 * SEC)
/* Mean time an agent spends per contact: 2 s ringing, 60 s talk, 5 s wrap-up on half. */
#define MEAN_HANDLE_MS 64500.0
#define RAMP 1.2          /* arrivals / service rate until the backlog is reached */
#define GAIN 0.5          /* then: rate x (1 + GAIN x (target - waiting) / target) */
#define SETTLE_MS (60 * SEC) /* steady state before measuring: contacts age through steps */

#define REF_DECISIONS_100K 200

enum { K_ENQUEUE = 0, K_ACCEPT, K_END, K_WRAP_END, K_ADVANCE, K_REMOVE, K_SETUP, K_COUNT };
enum { ST_FREE = 0, ST_WAITING, ST_OFFERED, ST_CONNECTED, ST_AFTER };
enum { A_ACCEPT = 1, A_END, A_WRAP_END };

/* What the callback writes down. */
typedef bench_ev rec;

typedef struct eng {
  ccenter_engine *e;
  bench_evlog log;
  int all; /* record every event (lockstep), not only those the driver acts on */
  int oom;
} eng;

typedef struct slot {
  uint32_t seq; /* bumped at every lifecycle step; actions carry the seq they were made at */
  int32_t agent;
  int32_t queue;
  uint8_t state;
} slot;

typedef struct action {
  int64_t at;
  uint64_t order; /* ties in scheduling order: deterministic */
  int32_t contact;
  int32_t agent;
  uint32_t seq;
  uint8_t kind;
} action;

typedef struct qdef {
  int8_t a, b; /* required skills; b = -1 for one */
  uint8_t wrap;
} qdef;

/* What one measured phase collects. */
typedef struct meas {
  bench_samples lat;            /* calls that made an offer */
  bench_samples kind[K_COUNT];  /* the same, per kind of call (when kinds) */
  int kinds;
  uint64_t calls, engine_ns;    /* every call */
  uint64_t decisions, dec_calls, dec_ns, multi;
  uint64_t dec_by_kind[K_COUNT];
  uint64_t minflt;              /* minor page faults while measuring */
} meas;

typedef struct sim {
  uint32_t n_agents, n_queues, target;
  double ramp;
  eng eng[2];
  int n_eng;
  uint64_t rng;
  char (*aid)[12];
  char (*qid)[12];
  qdef *q;
  uint32_t *mem_q; /* one entry per (agent, queue served): arrivals pick from it */
  size_t n_mem_q;
  slot *cs;
  uint32_t n_cs, cap_cs;
  uint32_t *free_cs;
  uint32_t n_free;
  action *heap;
  size_t n_heap, cap_heap;
  uint64_t order;
  int64_t now, next_arrival;
  double arrival_ms; /* next arrival, fractional: several may share a millisecond */
  int filled;
  uint32_t waiting;
  uint64_t calls, offers, withdrawn, stale;
  int rc;
  const char *failed;
  meas *m; /* NULL: not measuring */
  char diff[320]; /* lockstep: the first difference */
} sim;

/* ---------------------------------------------------------------------------------- */
/* Small helpers                                                                       */

static uint64_t rnd(sim *s, uint64_t n)
{
  return bench_rand(&s->rng) % n;
}


static int wanted(int type)
{
  return type == CCENTER_EV_CONTACT_OFFERED || type == CCENTER_EV_CONTACT_CONNECTED ||
         type == CCENTER_EV_CONVERSATION_ENDED || type == CCENTER_EV_OFFER_WITHDRAWN ||
         type == CCENTER_EV_CONTACT_ENDED;
}

/* The event callback: write down, never call a state-changing function. */
static void on_event(ccenter_engine *e, const ccenter_event *ev, void *ud)
{
  eng *g = ud;
  (void)e;
  if (!g->all && !wanted((int)ev->type))
    return;
  if (!bench_evlog_push(&g->log, ev))
    g->oom = 1;
}

/* ---------------------------------------------------------------------------------- */
/* Pending actions: a binary heap on (at, order)                                        */

static int act_less(const action *a, const action *b)
{
  return a->at < b->at || (a->at == b->at && a->order < b->order);
}

static void schedule(sim *s, int64_t at, uint8_t kind, int32_t contact, int32_t agent)
{
  if (s->n_heap == s->cap_heap) {
    size_t cap = s->cap_heap * 2;
    action *h = realloc(s->heap, cap * sizeof *h);
    if (!h) {
      s->eng[0].oom = 1;
      return;
    }
    s->heap = h;
    s->cap_heap = cap;
  }
  action x = {at, s->order++, contact, agent, s->cs[contact].seq, kind};
  size_t i = s->n_heap++;
  while (i > 0 && act_less(&x, &s->heap[(i - 1) / 2])) {
    s->heap[i] = s->heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  s->heap[i] = x;
}

static action pop_action(sim *s)
{
  action top = s->heap[0], last = s->heap[--s->n_heap];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= s->n_heap)
      break;
    if (c + 1 < s->n_heap && act_less(&s->heap[c + 1], &s->heap[c]))
      c++;
    if (!act_less(&s->heap[c], &last))
      break;
    s->heap[i] = s->heap[c];
    i = c;
  }
  if (s->n_heap)
    s->heap[i] = last;
  return top;
}

/* ---------------------------------------------------------------------------------- */
/* Calling the engine                                                                   */

/* After a call on the driving engine: note failures, time it, count its offers. */
static void after_call(sim *s, int kind, const char *name, int rc, uint64_t t0, uint64_t t1)
{
  s->rc = rc;
  if (rc != 0 && !s->failed)
    s->failed = name;
  if (kind != K_SETUP)
    s->calls++;
  meas *m = s->m;
  if (!m)
    return;
  uint64_t d = t1 - t0, o = bench_clock_overhead_ns();
  d = d > o ? d - o : 0;
  m->calls++;
  m->engine_ns += d;
  uint64_t offers = 0;
  const eng *g = &s->eng[0];
  for (size_t i = 0; i < g->log.n; i++)
    offers += g->log.v[i].type == CCENTER_EV_CONTACT_OFFERED;
  if (!offers)
    return;
  m->decisions += offers;
  m->dec_calls++;
  m->dec_ns += d;
  m->multi += offers > 1;
  m->dec_by_kind[kind] += offers;
  bench_samples_add(&m->lat, t0, t1);
  if (m->kinds)
    bench_samples_add(&m->kind[kind], t0, t1);
}

/* Lockstep: the second engine must answer and tell exactly what the first did. */
static void compare(sim *s, const char *name, int rc)
{
  const eng *a = &s->eng[0], *b = &s->eng[1];
  if (s->diff[0])
    return;
  if (rc != s->rc) {
    snprintf(s->diff, sizeof s->diff, "%s returned %s (indexed) but %s (reference)", name,
             ccenter_err_name(s->rc), ccenter_err_name(rc));
    return;
  }
  size_t n = a->log.n < b->log.n ? a->log.n : b->log.n;
  for (size_t i = 0; i <= n; i++) {
    const rec *x = i < a->log.n ? &a->log.v[i] : NULL, *y = i < b->log.n ? &b->log.v[i] : NULL;
    if (!x && !y)
      break;
    if (x && y && x->type == y->type && x->agent == y->agent && x->contact == y->contact &&
        x->time == y->time)
      continue;
    snprintf(s->diff, sizeof s->diff,
             "after %s at t=%lld ms (call %llu), event %zu: indexed %s contact c%d agent "
             "a%d, reference %s contact c%d agent a%d",
             name, (long long)(s->now - T0), (unsigned long long)s->calls, i,
             x ? ccenter_event_name((ccenter_event_type)x->type) : "(none)",
             x ? x->contact : -1, x ? x->agent : -1,
             y ? ccenter_event_name((ccenter_event_type)y->type) : "(none)",
             y ? y->contact : -1, y ? y->agent : -1);
    return;
  }
}

/* One state-changing call, on every engine; `expr` names the engine E. Only the first
 * (driving) engine's call is timed. */
#define API(s, kind, name, expr)                      \
  do {                                                \
    ccenter_engine *E = (s)->eng[0].e;                \
    uint64_t t0_ = bench_now_ns();                    \
    int rc_ = (expr);                                 \
    uint64_t t1_ = bench_now_ns();                    \
    after_call((s), (kind), (name), rc_, t0_, t1_);   \
    if ((s)->n_eng > 1) {                             \
      E = (s)->eng[1].e;                              \
      rc_ = (expr);                                   \
      compare((s), (name), rc_);                      \
    }                                                 \
  } while (0)

/* React to what the driving engine said; clear every engine's records. */
static void react(sim *s, const rec *r)
{
  slot *x = r->contact >= 0 && (uint32_t)r->contact < s->n_cs ? &s->cs[r->contact] : NULL;
  if (!x)
    return;
  switch (r->type) {
  case CCENTER_EV_CONTACT_OFFERED:
    if (x->state == ST_WAITING)
      s->waiting--;
    x->state = ST_OFFERED;
    x->agent = r->agent;
    x->seq++;
    s->offers++;
    schedule(s, r->time + bench_range(&s->rng, RING_MIN, RING_MAX), A_ACCEPT, r->contact, r->agent);
    break;
  case CCENTER_EV_OFFER_WITHDRAWN: /* not expected: every offer is answered in time */
    if (x->state == ST_OFFERED) {
      x->state = ST_WAITING;
      s->waiting++;
    }
    x->seq++;
    s->withdrawn++;
    break;
  case CCENTER_EV_CONTACT_CONNECTED:
    x->state = ST_CONNECTED;
    x->seq++;
    schedule(s, r->time + bench_range(&s->rng, TALK_MIN, TALK_MAX), A_END, r->contact, x->agent);
    break;
  case CCENTER_EV_CONVERSATION_ENDED:
    x->state = ST_AFTER;
    x->seq++;
    if (s->q[x->queue].wrap)
      schedule(s, r->time + bench_range(&s->rng, WRAP_MIN, WRAP_MAX), A_WRAP_END, r->contact,
               x->agent);
    break;
  case CCENTER_EV_CONTACT_ENDED:
    if (x->state == ST_FREE)
      break;
    if (x->state == ST_WAITING)
      s->waiting--;
    x->state = ST_FREE;
    x->seq++;
    s->free_cs[s->n_free++] = (uint32_t)r->contact;
    break;
  default:
    break;
  }
}

static void drain(sim *s)
{
  eng *g = &s->eng[0];
  for (size_t i = 0; i < g->log.n; i++)
    react(s, &g->log.v[i]);
  for (int i = 0; i < s->n_eng; i++)
    s->eng[i].log.n = 0;
}

static int grow_slots(sim *s, uint32_t want)
{
  uint32_t cap = s->cap_cs ? s->cap_cs * 2 : 1024;
  while (cap < want)
    cap *= 2;
  slot *cs = realloc(s->cs, cap * sizeof *cs);
  if (!cs)
    return -1;
  s->cs = cs;
  uint32_t *fr = realloc(s->free_cs, cap * sizeof *fr);
  if (!fr)
    return -1;
  s->free_cs = fr;
  s->cap_cs = cap;
  return 0;
}

static void enqueue(sim *s)
{
  uint32_t n;
  if (s->n_free) {
    n = s->free_cs[--s->n_free];
  } else {
    if (s->n_cs == s->cap_cs && grow_slots(s, 0)) {
      s->eng[0].oom = 1;
      return;
    }
    n = s->n_cs++;
    s->cs[n].seq = 0;
  }
  slot *x = &s->cs[n];
  x->queue = (int32_t)s->mem_q[rnd(s, s->n_mem_q)];
  x->agent = -1;
  x->state = ST_WAITING;
  x->seq++;
  s->waiting++;
  char id[16];
  bench_id(id, 'c', n);
  API(s, K_ENQUEUE, "contact_enqueue",
      ccenter_contact_enqueue(E, id, s->qid[x->queue], NULL, s->now));
}

static void next_arrival(sim *s)
{
  double mu = (double)s->n_agents / MEAN_HANDLE_MS; /* contacts per ms, all agents busy */
  double f = s->ramp;
  if (s->filled) {
    f = 1.0 + GAIN * ((double)s->target - (double)s->waiting) / (double)s->target;
    f = f < 0.5 ? 0.5 : f > 1.5 ? 1.5 : f;
  }
  double u = ((double)(bench_rand(&s->rng) >> 11) + 0.5) / 9007199254740992.0;
  s->arrival_ms += -log(u) / (mu * f);
  s->next_arrival = (int64_t)s->arrival_ms;
}

static void perform(sim *s, const action *a)
{
  slot *x = &s->cs[a->contact];
  if (x->seq != a->seq) {
    s->stale++;
    return;
  }
  char id[16];
  bench_id(id, 'c', (uint32_t)a->contact);
  switch (a->kind) {
  case A_ACCEPT:
    if (x->state == ST_OFFERED)
      API(s, K_ACCEPT, "offer_accept", ccenter_offer_accept(E, s->aid[a->agent], id, s->now));
    break;
  case A_END:
    if (x->state == ST_CONNECTED)
      API(s, K_END, "contact_end", ccenter_contact_end(E, id, CCENTER_PARTY_UNKNOWN, s->now));
    break;
  case A_WRAP_END:
    if (x->state == ST_AFTER)
      API(s, K_WRAP_END, "agent_wrap_up_end",
          ccenter_agent_wrap_up_end(E, s->aid[a->agent], id, s->now));
    break;
  default:
    break;
  }
}

/* The next thing that happens: the engine's deadline, an arrival or a person's action. */
static int step(sim *s)
{
  int64_t ta = s->n_heap ? s->heap[0].at : INT64_MAX;
  int64_t tn = s->next_arrival;
  int64_t td = ccenter_engine_next_deadline(s->eng[0].e);
  if (s->n_eng > 1 && !s->diff[0] && ccenter_engine_next_deadline(s->eng[1].e) != td)
    snprintf(s->diff, sizeof s->diff, "next deadlines differ at t=%lld ms (call %llu)",
             (long long)(s->now - T0), (unsigned long long)s->calls);
  /* Timers due first, so that a person's call does not also run timers of other contacts
   * that fell due at the same millisecond (it would if its `now` had passed them). */
  if (td <= ta && td <= tn) {
    s->now = td;
    API(s, K_ADVANCE, "engine_advance", ccenter_engine_advance(E, s->now));
  } else if (tn <= ta) {
    s->now = tn;
    enqueue(s);
    next_arrival(s);
  } else {
    action a = pop_action(s);
    s->now = a.at;
    perform(s, &a);
  }
  drain(s);
  if (!s->filled && s->waiting >= s->target)
    s->filled = 1;
  if (s->eng[0].oom || (s->n_eng > 1 && s->eng[1].oom)) {
    fprintf(stderr, "route: out of memory in the driver\n");
    return -1;
  }
  if (s->failed) {
    fprintf(stderr, "route: %s failed at t=%lld ms: %s\n", s->failed,
            (long long)(s->now - T0), ccenter_err_name(s->rc));
    return -1;
  }
  if (s->diff[0]) {
    fprintf(stderr, "route: the routers disagree: %s\n", s->diff);
    return -1;
  }
  return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Setup                                                                               */

static void sim_free(sim *s)
{
  for (int i = 0; i < 2; i++) {
    ccenter_engine_free(s->eng[i].e);
    bench_evlog_free(&s->eng[i].log);
  }
  free(s->aid);
  free(s->qid);
  free(s->q);
  free(s->mem_q);
  free(s->cs);
  free(s->free_cs);
  free(s->heap);
  memset(s, 0, sizeof *s);
}

static int sim_init(sim *s, const bench_ctx *ctx, uint32_t agents, uint32_t queues,
                    uint32_t target, double ramp, int lockstep, uint64_t seed)
{
  memset(s, 0, sizeof *s);
  s->n_agents = agents;
  s->n_queues = queues;
  s->target = target;
  s->ramp = ramp;
  s->n_eng = lockstep ? 2 : 1;
  s->rng = seed;
  s->now = T0;
  s->arrival_ms = (double)T0;
  s->aid = calloc(agents, sizeof *s->aid);
  s->qid = calloc(queues, sizeof *s->qid);
  s->q = calloc(queues, sizeof *s->q);
  s->mem_q = malloc((size_t)agents * 5 * sizeof *s->mem_q);
  /* The driver's tables sized for the population up front (contacts: one per busy agent
   * plus the backlog; pending actions: about one per agent), so that they seldom grow
   * while measuring; touch_spare() writes them before each measured phase. */
  s->cap_heap = 4096 + (size_t)agents + agents / 4;
  s->heap = malloc(s->cap_heap * sizeof *s->heap);
  if (!s->aid || !s->qid || !s->q || !s->mem_q || !s->heap ||
      grow_slots(s, agents + target + (agents + target) / 4))
    return -1;
  for (int i = 0; i < s->n_eng; i++) {
    eng *g = &s->eng[i];
    g->all = lockstep;
    ccenter_options *o = bench_options(ctx);
    int bad = bench_evlog_init(&g->log, 1024) || !o || ccenter_options_set_event_callback(o, on_event, g) ||
              ccenter_engine_new(o, s->now, &g->e);
    ccenter_options_free(o);
    if (bad)
      return -1;
  }
  if (lockstep)
    cc_engine_set_reference_routing(s->eng[1].e, 1);
  return 0;
}

static int add_queues(sim *s)
{
  char r1[48], r2[48];
  for (uint32_t i = 0; i < s->n_queues; i++) {
    qdef *q = &s->q[i];
    snprintf(s->qid[i], sizeof s->qid[i], "q%u", i);
    q->a = (int8_t)rnd(s, N_SKILLS);
    q->b = -1;
    if (rnd(s, 2)) {
      do
        q->b = (int8_t)rnd(s, N_SKILLS);
      while (q->b == q->a);
    }
    q->wrap = (uint8_t)(i & 1);
    if (q->b < 0) {
      snprintf(r1, sizeof r1, "s%d >= 7", q->a);
      snprintf(r2, sizeof r2, "s%d >= 3", q->a);
    } else {
      snprintf(r1, sizeof r1, "s%d >= 7 and s%d >= 5", q->a, q->b);
      snprintf(r2, sizeof r2, "s%d >= 3 and s%d >= 1", q->a, q->b);
    }
    const char *id = s->qid[i];
    API(s, K_SETUP, "queue_add", ccenter_queue_add(E, id, NULL, s->now));
    API(s, K_SETUP, "queue_set", ccenter_queue_set(E, id, CCENTER_QUEUE_STRATEGY,
                                                   CCENTER_STRATEGY_LONGEST_IDLE, s->now));
    if (q->wrap)
      API(s, K_SETUP, "queue_set", ccenter_queue_set(E, id, CCENTER_QUEUE_WRAP_UP, WRAP_TIMER,
                                                     s->now));
    API(s, K_SETUP, "queue_add_step", ccenter_queue_add_step(E, id, r1, STEP1_MS, s->now));
    API(s, K_SETUP, "queue_add_step", ccenter_queue_add_step(E, id, r2, STEP2_MS, s->now));
    if (s->failed)
      return -1;
  }
  return 0;
}

static int has(const int *set, int n, int x)
{
  for (int i = 0; i < n; i++)
    if (set[i] == x)
      return 1;
  return 0;
}

static int add_agents(sim *s)
{
  for (uint32_t i = 0; i < s->n_agents; i++) {
    snprintf(s->aid[i], sizeof s->aid[i], "a%u", i);
    int want = 3 + (int)rnd(s, 3), served[5], n_served = 0, sk[MAX_SKILLS], n_sk = 0;
    if ((uint32_t)want > s->n_queues)
      want = (int)s->n_queues;
    for (int tries = 0, restarts = 0; n_served < want; tries++) {
      if (tries == 200) { /* no queue fits the skills picked so far: start again */
        tries = 0;
        n_served = n_sk = 0;
        if (++restarts % 10 == 0 && want > 1)
          want--; /* only with very few queues */
      }
      int q = (int)rnd(s, s->n_queues);
      if (has(served, n_served, q))
        continue;
      int add[2], n_add = 0;
      if (!has(sk, n_sk, s->q[q].a))
        add[n_add++] = s->q[q].a;
      if (s->q[q].b >= 0 && !has(sk, n_sk, s->q[q].b))
        add[n_add++] = s->q[q].b;
      if (n_sk + n_add > MAX_SKILLS)
        continue;
      for (int k = 0; k < n_add; k++)
        sk[n_sk++] = add[k];
      served[n_served++] = q;
    }
    int total = 4 + (int)rnd(s, 5);
    while (n_sk < total) {
      int x = (int)rnd(s, N_SKILLS);
      if (!has(sk, n_sk, x))
        sk[n_sk++] = x;
    }
    const char *id = s->aid[i];
    API(s, K_SETUP, "agent_add", ccenter_agent_add(E, id, NULL, s->now));
    for (int k = 0; k < n_sk; k++) {
      char name[8];
      int level = 1 + (int)rnd(s, 10);
      snprintf(name, sizeof name, "s%d", sk[k]);
      API(s, K_SETUP, "agent_set_skill", ccenter_agent_set_skill(E, id, name, level, s->now));
    }
    for (int k = 0; k < n_served; k++) {
      API(s, K_SETUP, "agent_serve_2",
          ccenter_agent_serve(E, id, s->qid[served[k]], &(ccenter_serve_params){.size = sizeof(ccenter_serve_params), .priority = k == 0, .delay_ms = 0, .reserve = 0}, s->now));
      s->mem_q[s->n_mem_q++] = (uint32_t)served[k];
    }
    API(s, K_SETUP, "agent_login", ccenter_agent_login(E, id, s->now));
    API(s, K_SETUP, "agent_ready", ccenter_agent_ready(E, id, s->now));
    if (s->failed)
      return -1;
    drain(s);
  }
  return 0;
}

static const char *check_all(const sim *s)
{
  for (int i = 0; i < s->n_eng; i++) {
    const char *bad = cc_engine_check(s->eng[i].e);
    if (bad)
      return bad;
  }
  return NULL;
}

/* ---------------------------------------------------------------------------------- */
/* Phases                                                                               */

static int meas_init(meas *m, size_t cap, int kinds)
{
  memset(m, 0, sizeof *m);
  m->kinds = kinds;
  if (bench_samples_init(&m->lat, cap))
    return -1;
  for (int k = 0; kinds && k < K_COUNT; k++)
    if (bench_samples_init(&m->kind[k], k == K_END || k == K_WRAP_END || k == K_ENQUEUE
                                             ? cap : cap / 16 + 64))
      return -1;
  return 0;
}

static void meas_free(meas *m)
{
  bench_samples_free(&m->lat);
  for (int k = 0; k < K_COUNT; k++)
    bench_samples_free(&m->kind[k]);
}

static double meas_mean(const meas *m)
{
  return m->dec_calls ? (double)m->dec_ns / (double)m->dec_calls : 0;
}

/* Writes the unused part of the driver's tables (contact slots, free list, pending
 * actions, event logs), so that a measured phase takes no page fault of the benchmark's
 * own unless a table outgrows its capacity there. */
static void touch_spare(sim *s)
{
  bench_touch(s->cs + s->n_cs, (size_t)(s->cap_cs - s->n_cs) * sizeof *s->cs);
  bench_touch(s->free_cs + s->n_free, (size_t)(s->cap_cs - s->n_free) * sizeof *s->free_cs);
  bench_touch(s->heap + s->n_heap, (s->cap_heap - s->n_heap) * sizeof *s->heap);
  for (int i = 0; i < s->n_eng; i++) {
    bench_evlog *l = &s->eng[i].log;
    bench_touch(l->v + l->n, (l->cap - l->n) * sizeof *l->v);
  }
}

/* Fill to the backlog (measured into fill, when not NULL), then run SETTLE_MS of virtual
 * time balanced. */
static int warm_up(sim *s, meas *fill)
{
  int64_t limit = s->now + 3600 * SEC;
  touch_spare(s);
  s->m = fill; /* may be NULL */
  uint64_t f0 = bench_minflt();
  while (!s->filled) {
    if (step(s)) {
      s->m = NULL;
      return -1;
    }
    if (s->now > limit) {
      fprintf(stderr, "route: %u agents: the backlog did not reach %u within an hour of "
              "virtual time (%u waiting)\n", s->n_agents, s->target, s->waiting);
      s->m = NULL;
      return -1;
    }
  }
  if (fill)
    fill->minflt += bench_minflt() - f0;
  s->m = NULL;
  int64_t until = s->now + SETTLE_MS;
  while (s->now < until)
    if (step(s))
      return -1;
  return 0;
}

/* CPU time of the process: on a shared machine, wall time also counts other programs. */
static uint64_t cpu_now_ns(void)
{
  struct timespec ts;
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
    return 0;
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Runs until m has seen `decisions` decisions. */
static int measure(sim *s, meas *m, uint64_t decisions, uint64_t *wall_ns, uint64_t *cpu_ns)
{
  touch_spare(s);
  s->m = m;
  uint64_t f0 = bench_minflt();
  uint64_t t0 = bench_now_ns(), c0 = cpu_now_ns();
  int rc = 0;
  while (m->decisions < decisions)
    if (step(s)) {
      rc = -1;
      break;
    }
  *wall_ns = bench_now_ns() - t0;
  *cpu_ns = cpu_now_ns() - c0;
  m->minflt += bench_minflt() - f0;
  s->m = NULL;
  return rc;
}

/* ---------------------------------------------------------------------------------- */
/* The three parts                                                                      */

typedef struct scale {
  uint32_t agents, queues, waiting;
  uint64_t decisions, ref_decisions;
} scale;

typedef struct main_result {
  meas ix, ref, fill; /* fill: while the backlog builds (the agents free at first) */
  uint64_t ix_wall_ns, ix_cpu_ns;
  size_t mem_queues, mem_agents, mem_with, mem_without, rss;
  uint32_t waiting_at_mem;
  uint64_t offers, withdrawn;
  int64_t virtual_ms;
} main_result;

static void ratio_key(char *buf, size_t len, const char *prefix, uint32_t agents)
{
  if (agents % 1000 == 0)
    snprintf(buf, len, "%s_%uk", prefix, agents / 1000);
  else
    snprintf(buf, len, "%s_%u", prefix, agents);
}

/* One scale: warm up, indexed decisions, reference decisions. With res (the main run):
 * memory and the other figures too. */
static int run_scale(const bench_ctx *ctx, const scale *sc, double ratio[3], main_result *res)
{
  sim s;
  meas ix_local, ref_local;
  meas *ix = res ? &res->ix : &ix_local, *ref = res ? &res->ref : &ref_local;
  int rc = -1;
  uint64_t wall = 0, cpu = 0;
  const char *bad = NULL;
  int ok_meas = !meas_init(ix, (size_t)sc->decisions + 1024, res != NULL) &&
                !meas_init(ref, (size_t)sc->ref_decisions + 64, 0) &&
                (!res || !meas_init(&res->fill, (size_t)sc->agents * 4 + 1024, 1));
  if (sim_init(&s, ctx, sc->agents, sc->queues, sc->waiting, RAMP, 0, ctx->seed ^ sc->agents) ||
      !ok_meas) {
    fprintf(stderr, "route: out of memory\n");
    goto out;
  }
  if (add_queues(&s))
    goto out;
  next_arrival(&s);
  size_t mem_queues = cc_engine_memory(s.eng[0].e);
  if (add_agents(&s))
    goto out;
  size_t mem_agents = cc_engine_memory(s.eng[0].e);
  if (warm_up(&s, res ? &res->fill : NULL) || measure(&s, ix, sc->decisions, &wall, &cpu))
    goto out;
  if ((bad = check_all(&s)))
    goto bad;
  ratio[2] = (double)bench_percentile(&ix->lat, 50);
  if (!ctx->main_only) {
    cc_engine_set_reference_routing(s.eng[0].e, 1);
    uint64_t ref_wall = 0, ref_cpu = 0;
    if (measure(&s, ref, sc->ref_decisions, &ref_wall, &ref_cpu))
      goto out;
    cc_engine_set_reference_routing(s.eng[0].e, 0);
    if ((bad = check_all(&s)))
      goto bad;
    ratio[0] = meas_mean(ref) / meas_mean(ix);
    ratio[1] = (double)bench_percentile(&ref->lat, 50) / (double)bench_percentile(&ix->lat, 50);
  }
  if (res) {
    res->ix_wall_ns = wall;
    res->ix_cpu_ns = cpu;
    res->mem_queues = mem_queues;
    res->mem_agents = mem_agents;
    res->rss = bench_rss_bytes();
    res->offers = s.offers;
    res->withdrawn = s.withdrawn;
    res->virtual_ms = s.now - T0;
    /* Memory per waiting contact: remove every waiting contact (no time passes). */
    res->mem_with = cc_engine_memory(s.eng[0].e);
    res->waiting_at_mem = s.waiting;
    for (uint32_t i = 0; i < s.n_cs; i++) {
      if (s.cs[i].state != ST_WAITING)
        continue;
      char id[16];
      bench_id(id, 'c', i);
      API(&s, K_REMOVE, "contact_remove", ccenter_contact_remove(E, id, s.now));
      drain(&s);
      if (s.failed) {
        fprintf(stderr, "route: contact_remove failed: %s\n", ccenter_err_name(s.rc));
        goto out;
      }
    }
    res->mem_without = cc_engine_memory(s.eng[0].e);
    if (s.waiting != 0) {
      fprintf(stderr, "route: %u contacts still waiting after removing all\n", s.waiting);
      goto out;
    }
    if ((bad = check_all(&s)))
      goto bad;
  }
  rc = 0;
  goto out;
bad:
  fprintf(stderr, "route: cc_engine_check at %u agents: %s\n", sc->agents, bad);
out:
  if (!res) {
    meas_free(ix);
    meas_free(ref);
  } else if (rc) {
    meas_free(ix);
    meas_free(ref);
    meas_free(&res->fill);
  }
  sim_free(&s);
  return rc;
}

/* Both routers on one stream, in lockstep. */
static int equivalence(const bench_ctx *ctx, uint32_t agents, uint64_t calls, uint64_t *offers)
{
  sim s;
  int rc = -1;
  const char *bad = NULL;
  if (sim_init(&s, ctx, agents, agents / 100, agents / 2, 4.0, 1, ctx->seed ^ 0x5eedu)) {
    fprintf(stderr, "route: out of memory\n");
    goto out;
  }
  if (add_queues(&s) || add_agents(&s))
    goto out;
  next_arrival(&s);
  s.calls = 0;
  while (s.calls < calls) {
    /* First half: 70 % load, so most contacts find several free agents with different idle
     * times (the strategy's choice); second half: a backlog (the agents' choice). */
    s.ramp = s.calls < calls / 2 ? 0.7 : 4.0;
    if (step(&s))
      goto out;
    if (s.calls % 2000 == 0 && (bad = check_all(&s)))
      break;
  }
  if (bad || (bad = check_all(&s))) {
    fprintf(stderr, "route: cc_engine_check in the equivalence run (call %llu): %s\n",
            (unsigned long long)s.calls, bad);
    goto out;
  }
  if (!s.filled) {
    fprintf(stderr, "route: the equivalence stream never built its backlog\n");
    goto out;
  }
  *offers = s.offers;
  rc = 0;
out:
  sim_free(&s);
  return rc;
}

static int run(const bench_ctx *ctx)
{
  /* {agents, queues, waiting, indexed decisions, reference decisions}; the last is the
   * main run. */
  static const scale full[3] = {
    {1000, 10, 500, 50000, 5000},
    {10000, 100, 5000, 100000, 1000},
    {100000, 1000, 50000, 300000, REF_DECISIONS_100K},
  };
  static const scale quick[3] = {
    {500, 5, 250, 5000, 500},
    {1000, 10, 500, 5000, 200},
    {2000, 20, 1000, 5000, 100},
  };
  const scale *sc = ctx->quick ? quick : full;
  const uint32_t eq_agents = ctx->quick ? 500 : 2000;
  const uint64_t eq_calls = ctx->quick ? 5000 : 20000;
  double ratio[3][3] = {{0}}; /* per scale: mean ratio, median ratio, indexed p50 */
  main_result r;
  memset(&r, 0, sizeof r);

  uint64_t eq_offers = 0;
  if (!ctx->main_only && equivalence(ctx, eq_agents, eq_calls, &eq_offers))
    return 1;
  for (int i = 0; i < 2 && !ctx->main_only; i++)
    if (run_scale(ctx, &sc[i], ratio[i], NULL))
      return 1;
  if (run_scale(ctx, &sc[2], ratio[2], &r))
    return 1;

  meas *m = &r.ix;
  bench_json j;
  char key[32];
  bench_json_begin(&j, "route");
  bench_json_bool(&j, "statistics", !ctx->no_stats);
  bench_json_uint(&j, "agents", sc[2].agents);
  bench_json_uint(&j, "queues", sc[2].queues);
  bench_json_uint(&j, "waiting_target", sc[2].waiting);
  bench_json_double(&j, "decisions_per_s", (double)m->decisions / ((double)m->dec_ns / 1e9));
  bench_json_uint(&j, "p50_ns", bench_percentile(&m->lat, 50));
  bench_json_uint(&j, "p99_ns", bench_percentile(&m->lat, 99));
  bench_json_uint(&j, "p999_ns", bench_percentile(&m->lat, 99.9));
  bench_json_uint(&j, "max_ns", bench_percentile(&m->lat, 100));
  bench_json_double(&j, "mean_ns", meas_mean(m));
  bench_json_double(&j, "ops_per_s", (double)m->calls / ((double)m->engine_ns / 1e9));
  bench_json_uint(&j, "rss_bytes", r.rss);
  bench_json_uint(&j, "minflt_timed", m->minflt);
  bench_json_double(&j, "bytes_per_agent",
                    (double)(r.mem_agents - r.mem_queues) / (double)sc[2].agents);
  bench_json_double(&j, "bytes_per_waiting_contact",
                    (double)((double)r.mem_with - (double)r.mem_without) /
                        (double)r.waiting_at_mem);
  bench_json_uint(&j, "waiting_at_memory", r.waiting_at_mem);
  for (int i = 0; i < 3 && !ctx->main_only; i++) {
    ratio_key(key, sizeof key, "ratio", sc[i].agents);
    bench_json_double(&j, key, ratio[i][0]);
  }
  for (int i = 0; i < 3 && !ctx->main_only; i++) {
    ratio_key(key, sizeof key, "ratio_p50", sc[i].agents);
    bench_json_double(&j, key, ratio[i][1]);
  }
  for (int i = 0; i < 2 && !ctx->main_only; i++) { /* the indexed router's p50 at the smaller scales */
    ratio_key(key, sizeof key, "p50_ns", sc[i].agents);
    bench_json_double(&j, key, ratio[i][2]);
  }
  if (!ctx->main_only) {
    bench_json_double(&j, "ref_mean_ns", meas_mean(&r.ref));
    bench_json_uint(&j, "ref_decisions", r.ref.decisions);
  }
  bench_json_uint(&j, "decisions", m->decisions);
  bench_json_uint(&j, "decision_calls", m->dec_calls);
  bench_json_uint(&j, "calls", m->calls);
  bench_json_uint(&j, "dec_end", m->dec_by_kind[K_END]);
  bench_json_uint(&j, "dec_wrap_end", m->dec_by_kind[K_WRAP_END]);
  bench_json_uint(&j, "dec_enqueue", m->dec_by_kind[K_ENQUEUE]);
  bench_json_uint(&j, "dec_advance", m->dec_by_kind[K_ADVANCE]);
  bench_json_uint(&j, "end_p50_ns", bench_percentile(&m->kind[K_END], 50));
  bench_json_uint(&j, "end_p99_ns", bench_percentile(&m->kind[K_END], 99));
  bench_json_uint(&j, "wrap_end_p50_ns", bench_percentile(&m->kind[K_WRAP_END], 50));
  bench_json_uint(&j, "wrap_end_p99_ns", bench_percentile(&m->kind[K_WRAP_END], 99));
  bench_json_uint(&j, "enqueue_p99_ns", bench_percentile(&m->kind[K_ENQUEUE], 99));
  bench_json_uint(&j, "fill_enqueue_decisions", r.fill.dec_by_kind[K_ENQUEUE]);
  bench_json_uint(&j, "fill_enqueue_p50_ns", bench_percentile(&r.fill.kind[K_ENQUEUE], 50));
  bench_json_uint(&j, "fill_enqueue_p99_ns", bench_percentile(&r.fill.kind[K_ENQUEUE], 99));
  bench_json_uint(&j, "advance_p99_ns", bench_percentile(&m->kind[K_ADVANCE], 99));
  bench_json_uint(&j, "fill_minflt", r.fill.minflt);
  if (!ctx->main_only)
    bench_json_uint(&j, "ref_minflt", r.ref.minflt);
  bench_json_double(&j, "wall_decisions_per_s",
                    (double)m->decisions / ((double)r.ix_wall_ns / 1e9));
  bench_json_double(&j, "wall_s", (double)r.ix_wall_ns / 1e9);
  bench_json_double(&j, "cpu_share", (double)r.ix_cpu_ns / (double)r.ix_wall_ns);
  bench_json_double(&j, "virtual_s", (double)r.virtual_ms / 1e3);
  bench_json_uint(&j, "withdrawn", r.withdrawn);
  if (!ctx->main_only) {
    bench_json_bool(&j, "routers_agree", 1);
    bench_json_uint(&j, "agree_agents", eq_agents);
    bench_json_uint(&j, "agree_calls", eq_calls);
    bench_json_uint(&j, "agree_offers", eq_offers);
  }
  bench_json_uint(&j, "peak_rss_bytes", bench_peak_rss_bytes());
  bench_json_uint(&j, "clock_ns", bench_clock_overhead_ns());
  bench_json_end(&j);
  meas_free(&r.ix);
  meas_free(&r.ref);
  meas_free(&r.fill);
  return 0;
}

BENCH_SCENARIO(route, "100,000 agents, 1,000 queues, 64 skills: routing decisions, both routers",
               run);
