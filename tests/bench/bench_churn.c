/*
 * churn: full contact lifecycles through the public engine API, on virtual time.
 *
 * 1,000 agents serve 50 queues (each agent 2 to 4 of them), all logged in and READY.
 * Contacts arrive at random (about 90% of the agents' capacity); the driver plays the
 * integrator: the event callback only writes down what happened, and after each engine
 * call returns the driver decides what the people do and when — an agent answers 1–4 s
 * after the offer starts ringing (or rejects it, or lets it ring until the engine's ring
 * timeout), talks 20–120 s (sometimes with a hold, sometimes ending in a blind transfer
 * to a queue or to an agent), then wrap-up runs on the queue's timer (0, 3 or 8 s; now and
 * then ended early). A few callers hang up while waiting or ringing; some queues have a
 * 120 s max wait; now and then an agent takes a break after a call. Like a real event loop,
 * the driver calls ccenter_engine_advance() at ccenter_engine_next_deadline() whenever that
 * comes before its own next action, so wrap-up, ring and max-wait timers fire at their
 * deadline.
 *
 * Figures: engine events (the events delivered to the callback) per second of wall time
 * (ops_per_s), state-changing API calls per second, contacts per second, the latency of one
 * API call in SAMPLE_EVERY (callback included, clock overhead subtracted), and the engine's
 * own memory (cc_engine_memory) per agent and per waiting contact, measured in phases of
 * their own outside the timed loop, and the minor page faults in the timed loop
 * (minflt_timed: the driver's tables are written before it, so these are the engine's).
 * The wall time includes the driver (a binary heap of pending actions and a few lines per
 * event); `api_share` estimates the part spent inside the engine.
 *
 * Checks (any failure makes the scenario fail): every call the driver makes succeeds, except
 * transfers to an agent refused with CCENTER_ECAPACITY (then the contact goes to a queue);
 * events arrive in time order; every enqueued contact ends exactly once (CONTACT_ENDED count
 * equals enqueue count); afterwards no timer is left and cc_engine_check() finds nothing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acd/engine_int.h"
#include "bench.h"
#include "ccenter/engine.h"

#define N_AGENTS 1000
#define N_QUEUES 50
#define SAMPLE_EVERY 16 /* power of two */
#define SEC INT64_C(1000)
#define T0 (INT64_C(1) << 32) /* virtual start time; any value works */

/* The load model. Mean time an agent spends per contact: ~2.5 s ringing, 70 s talk,
 * 3.7 s wrap-up on average, plus the few second legs of transfers. */
#define MEAN_HANDLE_MS 78000.0
#define LOAD 0.90

/* Per mille probabilities. */
#define P_IMPATIENT 20   /* caller hangs up after 0.5–5 s if still waiting or ringing */
#define P_NO_ANSWER 10   /* offer rings until the engine's ring timeout (15 s) */
#define P_REJECT 15      /* agent declines the offer */
#define P_XFER_QUEUE 20  /* connected contact is blind-transferred to a random queue */
#define P_XFER_AGENT 10  /* ... or to a random agent (ECAPACITY -> to a queue instead) */
#define P_HOLD 50        /* customer put on hold 5 s in, resumed at 15 s */
#define P_BREAK 5        /* agent goes NOT_READY "break" after the conversation */
#define P_WRAP_EARLY 50  /* agent ends a timed wrap-up after 1 s */

/* > 0: cc_engine_check() every N calls (debugging, slow: -DCHURN_CHECK_EVERY=1000). */
#ifndef CHURN_CHECK_EVERY
#define CHURN_CHECK_EVERY 0
#endif

enum { ST_NEW = 0, ST_WAITING, ST_OFFERED, ST_CONNECTED, ST_AFTER, ST_ENDED };
enum { F_TRANSFERRED = 1, F_HELD = 2 };

enum {
  A_ACCEPT = 1,
  A_REJECT,
  A_ABANDON,
  A_END,
  A_XFER_QUEUE,
  A_XFER_AGENT,
  A_HOLD,
  A_RESUME,
  A_WRAP_END,
  A_BREAK,
  A_READY
};

/* What the callback writes down: just enough to act on after the call returns. */
/* aux: AGENT_STATE: new state | reason<<2; WITHDRAWN: reason; ENDED: outcome. */
typedef bench_ev rec;

enum { WR_OTHER = 0, WR_RING_TIMEOUT, WR_REJECTED, WR_GONE };
enum { RS_NONE = 0, RS_LOGIN, RS_NO_ANSWER, RS_BREAK, RS_OTHER };

typedef struct cstate {
  uint32_t seq; /* bumped at every lifecycle step; actions carry the seq they were made at */
  int32_t agent;
  uint8_t state;
  uint8_t flags;
} cstate;

typedef struct action {
  int64_t at;
  uint64_t order; /* ties in scheduling order: deterministic */
  int32_t contact;
  int32_t agent;
  uint32_t seq;
  uint8_t kind;
} action;

typedef struct churn {
  ccenter_engine *e;
  uint64_t rng;
  /* callback output */
  bench_evlog log;
  int oom;
  uint64_t events;
  int64_t last_ev_time;
  uint64_t order_errors;
  /* driver */
  action *heap;
  size_t n_heap, cap_heap;
  uint64_t order;
  cstate *cs;
  size_t n_cs;
  uint8_t astate[N_AGENTS];
  uint8_t apending[N_AGENTS];
  int64_t wrap_ms[N_QUEUES];
  char aid[N_AGENTS][8];
  char qid[N_QUEUES][8];
  int64_t now;
  int rc;
  const char *failed_call;
  uint64_t calls, refused, queries; /* queries: ccenter_engine_next_deadline() */
  bench_samples lat;
  /* tallies */
  uint64_t enqueued, ended, dup_ended, outcome[8];
  uint64_t ring_timeouts, rejects, abandons, xfer_q, xfer_a, holds, breaks, no_answer_nr;
  uint64_t wrap_early, live, live_peak;
} churn;

/* ---------------------------------------------------------------------------------- */
/* Small helpers                                                                       */

static uint64_t rnd(churn *s, uint64_t n)
{
  return bench_rand(&s->rng) % n;
}


/* ---------------------------------------------------------------------------------- */
/* The event callback: write down, never call a state-changing function                */

static uint8_t reason_code(const char *r, ccenter_cause cause)
{
  if (cause == CCENTER_CAUSE_LOGIN)
    return RS_LOGIN;
  if (cause == CCENTER_CAUSE_NO_ANSWER)
    return RS_NO_ANSWER;
  if (!r)
    return RS_NONE;
  if (strcmp(r, "break") == 0)
    return RS_BREAK;
  return RS_OTHER;
}

static void on_event(ccenter_engine *e, const ccenter_event *ev, void *ud)
{
  churn *s = ud;
  (void)e;
  s->events++;
  if (ev->time < s->last_ev_time)
    s->order_errors++;
  s->last_ev_time = ev->time;
  switch (ev->type) {
  case CCENTER_EV_ANNOUNCE:
  case CCENTER_EV_DISPOSITION:
  case CCENTER_EV_WRAP_UP_ENDED:
    return; /* nothing to act on */
  default:
    break;
  }
  rec *r = bench_evlog_push(&s->log, ev);
  if (!r) {
    s->oom = 1;
    return;
  }
  switch (ev->type) {
  case CCENTER_EV_AGENT_STATE:
  case CCENTER_EV_AGENT_PENDING:
    r->aux = (uint8_t)((unsigned)ev->state | (unsigned)reason_code(ev->reason, ev->cause) << 2);
    break;
  case CCENTER_EV_OFFER_WITHDRAWN:
    if (ev->cause == CCENTER_CAUSE_RING_TIMEOUT)
      r->aux = WR_RING_TIMEOUT;
    else if (ev->cause == CCENTER_CAUSE_REJECTED)
      r->aux = WR_REJECTED;
    else if (ev->cause == CCENTER_CAUSE_ABANDONED || ev->cause == CCENTER_CAUSE_REMOVED)
      r->aux = WR_GONE;
    else
      r->aux = WR_OTHER;
    break;
  case CCENTER_EV_CONTACT_ENDED:
    r->aux = (uint8_t)ev->outcome;
    break;
  default:
    break;
  }
}

/* ---------------------------------------------------------------------------------- */
/* Pending actions: a binary heap by (time, order)                                      */

static int act_less(const action *a, const action *b)
{
  return a->at < b->at || (a->at == b->at && a->order < b->order);
}

static void schedule(churn *s, int64_t at, uint8_t kind, int32_t contact, int32_t agent)
{
  if (s->n_heap == s->cap_heap) {
    size_t cap = s->cap_heap * 2;
    action *h = realloc(s->heap, cap * sizeof *h);
    if (!h) {
      s->oom = 1;
      return;
    }
    s->heap = h;
    s->cap_heap = cap;
  }
  action a = {at < s->now ? s->now : at, s->order++, contact, agent,
              contact >= 0 ? s->cs[contact].seq : 0, kind};
  size_t i = s->n_heap++;
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!act_less(&a, &s->heap[p]))
      break;
    s->heap[i] = s->heap[p];
    i = p;
  }
  s->heap[i] = a;
}

static action pop_action(churn *s)
{
  action top = s->heap[0];
  action last = s->heap[--s->n_heap];
  size_t i = 0, n = s->n_heap;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n)
      break;
    if (c + 1 < n && act_less(&s->heap[c + 1], &s->heap[c]))
      c++;
    if (!act_less(&s->heap[c], &last))
      break;
    s->heap[i] = s->heap[c];
    i = c;
  }
  if (n)
    s->heap[i] = last;
  return top;
}

/* ---------------------------------------------------------------------------------- */
/* The integrator's side: react to what the engine said                                 */

static void on_connected(churn *s, int32_t c, int64_t t)
{
  cstate *x = &s->cs[c];
  int64_t talk = bench_range(&s->rng, 20 * SEC, 120 * SEC);
  uint64_t r = rnd(s, 1000);
  if (!(x->flags & F_TRANSFERRED) && r < P_XFER_QUEUE)
    schedule(s, t + talk / 2, A_XFER_QUEUE, c, -1);
  else if (!(x->flags & F_TRANSFERRED) && r < P_XFER_QUEUE + P_XFER_AGENT)
    schedule(s, t + talk / 2, A_XFER_AGENT, c, -1);
  else
    schedule(s, t + talk, A_END, c, -1);
  if (rnd(s, 1000) < P_HOLD) {
    schedule(s, t + 5 * SEC, A_HOLD, c, -1);
    schedule(s, t + 15 * SEC, A_RESUME, c, -1);
  }
}

static void react(churn *s, const rec *r)
{
  cstate *x = r->contact >= 0 ? &s->cs[r->contact] : NULL;
  int64_t t = r->time;
  switch ((ccenter_event_type)r->type) {
  case CCENTER_EV_AGENT_STATE: {
    unsigned st = r->aux & 3u, why = r->aux >> 2;
    s->astate[r->agent] = (uint8_t)st;
    s->apending[r->agent] = 0;
    if (st == CCENTER_AGENT_NOT_READY && why == RS_NO_ANSWER) {
      s->no_answer_nr++;
      schedule(s, t + 30 * SEC, A_READY, -1, r->agent); /* a supervisor puts it back */
    } else if (st == CCENTER_AGENT_NOT_READY && why == RS_BREAK) {
      schedule(s, t + bench_range(&s->rng, 60 * SEC, 300 * SEC), A_READY, -1, r->agent);
    }
    break;
  }
  case CCENTER_EV_AGENT_PENDING:
    s->apending[r->agent] = (r->aux & 3u) != CCENTER_AGENT_READY;
    break;
  case CCENTER_EV_CONTACT_QUEUED:
  case CCENTER_EV_CONTACT_REQUEUED:
  case CCENTER_EV_CONTACT_OVERFLOWED:
  case CCENTER_EV_QUEUE_MOVED:
  case CCENTER_EV_CONTACT_CALLBACK_QUEUED:
    x->state = ST_WAITING;
    x->seq++;
    break;
  case CCENTER_EV_CONTACT_OFFERED: {
    x->state = ST_OFFERED;
    x->seq++;
    x->agent = r->agent;
    uint64_t p = rnd(s, 1000);
    if (p < P_NO_ANSWER)
      ; /* let it ring: the engine withdraws it at the ring timeout */
    else if (p < P_NO_ANSWER + P_REJECT)
      schedule(s, t + bench_range(&s->rng, 1 * SEC, 3 * SEC), A_REJECT, r->contact, r->agent);
    else
      schedule(s, t + bench_range(&s->rng, 1 * SEC, 4 * SEC), A_ACCEPT, r->contact, r->agent);
    break;
  }
  case CCENTER_EV_OFFER_WITHDRAWN:
    /* Back at its place (no QUEUED event for that), or about to end. */
    x->state = r->aux == WR_GONE ? ST_AFTER : ST_WAITING;
    x->seq++;
    x->agent = -1;
    if (r->aux == WR_RING_TIMEOUT)
      s->ring_timeouts++;
    break;
  case CCENTER_EV_CONTACT_CONNECTED:
    x->state = ST_CONNECTED;
    x->seq++;
    on_connected(s, r->contact, t);
    break;
  case CCENTER_EV_CONTACT_HELD:
    x->flags |= F_HELD;
    break;
  case CCENTER_EV_CONTACT_RESUMED:
    x->flags &= (uint8_t)~F_HELD;
    break;
  case CCENTER_EV_CONVERSATION_ENDED: {
    int32_t a = x->agent;
    x->state = ST_AFTER;
    x->seq++;
    if (rnd(s, 1000) < P_WRAP_EARLY)
      schedule(s, t + 1 * SEC, A_WRAP_END, r->contact, a);
    if (rnd(s, 1000) < P_BREAK)
      schedule(s, t, A_BREAK, -1, a);
    break;
  }
  case CCENTER_EV_CONTACT_TRANSFERRED:
    x->state = ST_AFTER;
    x->seq++;
    x->flags |= F_TRANSFERRED;
    x->flags &= (uint8_t)~F_HELD;
    break;
  case CCENTER_EV_CONTACT_ENDED:
    if (x->state == ST_ENDED)
      s->dup_ended++;
    x->state = ST_ENDED;
    x->seq++;
    s->ended++;
    s->live--;
    s->outcome[r->aux & 7u]++;
    break;
  default:
    break;
  }
}

static void drain_recs(churn *s)
{
  /* react() may schedule, never call the engine: the records stay valid. */
  for (size_t i = 0; i < s->log.n; i++)
    react(s, &s->log.v[i]);
  s->log.n = 0;
}

/* ---------------------------------------------------------------------------------- */
/* Calling the engine                                                                   */

/* One state-changing call; one call in SAMPLE_EVERY is timed. */
#define API(s, name, expr)                                     \
  do {                                                         \
    if ((++(s)->calls & (SAMPLE_EVERY - 1)) == 0) {            \
      uint64_t t0_ = bench_now_ns();                           \
      (s)->rc = (expr);                                        \
      bench_samples_add(&(s)->lat, t0_, bench_now_ns());       \
    } else {                                                   \
      (s)->rc = (expr);                                        \
    }                                                          \
    if ((s)->rc != 0 && !(s)->failed_call)                     \
      (s)->failed_call = (name);                               \
  } while (0)

/* timed: 1 in the timed loop (counted and sampled), 0 in the memory phase. */
static void enqueue(churn *s, uint32_t n, int timed)
{
  char id[16];
  bench_id(id, 'c', n);
  s->cs[n].seq = 0;
  s->cs[n].agent = -1;
  s->cs[n].state = ST_NEW;
  s->cs[n].flags = 0;
  const char *q = s->qid[rnd(s, N_QUEUES)];
  if (timed)
    API(s, "contact_enqueue", ccenter_contact_enqueue(s->e, id, q, NULL, s->now));
  else
    s->rc = ccenter_contact_enqueue(s->e, id, q, NULL, s->now);
  if (s->rc == 0) {
    s->enqueued++;
    if (++s->live > s->live_peak && timed)
      s->live_peak = s->live;
  }
}

static int32_t other_queue(churn *s)
{
  return (int32_t)rnd(s, N_QUEUES);
}

static void perform(churn *s, const action *a)
{
  char id[16];
  cstate *x = a->contact >= 0 ? &s->cs[a->contact] : NULL;
  int fresh = x && x->seq == a->seq;
  if (x)
    bench_id(id, 'c', (uint32_t)a->contact);
  switch (a->kind) {
  case A_ACCEPT:
    if (fresh && x->state == ST_OFFERED)
      API(s, "offer_accept", ccenter_offer_accept(s->e, s->aid[a->agent], id, s->now));
    break;
  case A_REJECT:
    if (fresh && x->state == ST_OFFERED) {
      API(s, "offer_reject", ccenter_offer_reject(s->e, s->aid[a->agent], id, s->now));
      s->rejects++;
    }
    break;
  case A_ABANDON: /* the caller's patience: valid whenever not yet answered */
    if (x->state == ST_WAITING || x->state == ST_OFFERED) {
      API(s, "contact_abandon", ccenter_contact_abandon(s->e, id, s->now));
      s->abandons++;
    }
    break;
  case A_END:
    if (fresh && x->state == ST_CONNECTED)
      API(s, "contact_end", ccenter_contact_end(s->e, id, CCENTER_PARTY_UNKNOWN, s->now));
    break;
  case A_XFER_AGENT:
    if (fresh && x->state == ST_CONNECTED) {
      int32_t b = (int32_t)rnd(s, N_AGENTS);
      if (b == x->agent)
        b = (b + 1) % N_AGENTS;
      API(s, "contact_transfer_agent",
          ccenter_contact_transfer_agent(s->e, id, s->aid[b], s->now));
      if (s->rc == CCENTER_ECAPACITY) {
        /* Busy: refused, and by the error rule nothing changed. Send it to a queue. */
        s->failed_call = NULL; /* the loop stops at the first failure: this was it */
        s->refused++;
        s->rc = 0;
      } else {
        if (s->rc == 0)
          s->xfer_a++;
        break;
      }
    } else {
      break;
    }
    /* fall through */
  case A_XFER_QUEUE:
    if (fresh && x->state == ST_CONNECTED) {
      API(s, "contact_transfer_queue",
          ccenter_contact_transfer_queue(s->e, id, s->qid[other_queue(s)], s->now));
      s->xfer_q++;
    }
    break;
  case A_HOLD:
    if (fresh && x->state == ST_CONNECTED && !(x->flags & F_HELD)) {
      API(s, "contact_hold", ccenter_contact_hold(s->e, id, s->now));
      s->holds++;
    }
    break;
  case A_RESUME:
    if (fresh && x->state == ST_CONNECTED && (x->flags & F_HELD))
      API(s, "contact_resume", ccenter_contact_resume(s->e, id, s->now));
    break;
  case A_WRAP_END:
    if (fresh && x->state == ST_AFTER) {
      API(s, "agent_wrap_up_end", ccenter_agent_wrap_up_end(s->e, s->aid[a->agent], id, s->now));
      s->wrap_early++;
    }
    break;
  case A_BREAK:
    if (s->astate[a->agent] == CCENTER_AGENT_READY && !s->apending[a->agent]) {
      API(s, "agent_not_ready", ccenter_agent_not_ready(s->e, s->aid[a->agent], "break", s->now));
      s->breaks++;
    }
    break;
  case A_READY:
    if (s->astate[a->agent] == CCENTER_AGENT_NOT_READY)
      API(s, "agent_ready", ccenter_agent_ready(s->e, s->aid[a->agent], s->now));
    break;
  default:
    break;
  }
}

/* ---------------------------------------------------------------------------------- */
/* Setup and the phases                                                                 */

static int setup(churn *s)
{
  ccenter_engine *e = s->e;
  int64_t t = s->now;
  int rc = 0;
  for (int q = 0; q < N_QUEUES; q++) {
    snprintf(s->qid[q], sizeof s->qid[q], "q%02d", q);
    s->wrap_ms[q] = q % 3 == 0 ? 0 : q % 3 == 1 ? 3 * SEC : 8 * SEC;
    rc |= ccenter_queue_add(e, s->qid[q], NULL, t);
    rc |= ccenter_queue_set(e, s->qid[q], CCENTER_QUEUE_WRAP_UP, s->wrap_ms[q], t);
    if (q % 5 == 0)
      rc |= ccenter_queue_set(e, s->qid[q], CCENTER_QUEUE_MAX_WAIT, 120 * SEC, t);
  }
  return rc;
}

static int add_agents(churn *s)
{
  ccenter_engine *e = s->e;
  int64_t t = s->now;
  int rc = 0;
  for (int a = 0; a < N_AGENTS; a++) {
    snprintf(s->aid[a], sizeof s->aid[a], "a%04d", a);
    rc |= ccenter_agent_add(e, s->aid[a], NULL, t);
    int n = 2 + (int)rnd(s, 3), served[4];
    for (int k = 0; k < n; k++) {
      int q, dup;
      do {
        q = (int)rnd(s, N_QUEUES);
        dup = 0;
        for (int j = 0; j < k; j++)
          dup |= served[j] == q;
      } while (dup);
      served[k] = q;
      rc |= ccenter_agent_serve(e, s->aid[a], s->qid[q], NULL, t);
    }
    rc |= ccenter_agent_login(e, s->aid[a], t);
    rc |= ccenter_agent_ready(e, s->aid[a], t);
  }
  drain_recs(s);
  return rc;
}

/* CPU time of the process: on a shared machine wall time also counts other programs. */
static uint64_t cpu_now_ns(void)
{
  struct timespec ts;
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
    return 0;
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int fail(const char *what)
{
  fprintf(stderr, "churn: %s\n", what);
  return 1;
}

static int run(const bench_ctx *ctx)
{
  const uint32_t n_contacts = ctx->quick ? 20000 : 1000000;
  const uint32_t n_parked = ctx->quick ? 2000 : 20000; /* waiting contacts, memory phase */
  churn *s = calloc(1, sizeof *s);
  if (!s)
    return fail("out of memory");
  int result = 1;
  s->rng = ctx->seed;
  s->now = T0;
  s->n_cs = (size_t)n_contacts + n_parked;
  s->cs = calloc(s->n_cs, sizeof *s->cs);
  s->cap_heap = 16384; /* pending actions: a few per live contact (at most ~1,010 live) */
  s->heap = malloc(s->cap_heap * sizeof *s->heap);
  ccenter_options *o = bench_options(ctx);
  if (!s->cs || bench_evlog_init(&s->log, 1024) || !s->heap || !o ||
      bench_samples_init(&s->lat, (size_t)n_contacts * 6 / SAMPLE_EVERY + 1024) ||
      ccenter_options_set_event_callback(o, on_event, s) ||
      ccenter_engine_new(o, s->now, &s->e)) {
    ccenter_options_free(o);
    fail("out of memory");
    goto out;
  }
  ccenter_options_free(o);
  s->last_ev_time = s->now;
  /* The driver's own tables written once before the timed loop (the samples and the event
   * log are by their init): no page fault of the benchmark's own in minflt_timed. */
  bench_touch(s->cs, s->n_cs * sizeof *s->cs);
  bench_touch(s->heap, s->cap_heap * sizeof *s->heap);

  /* Memory per agent: the engine with its queues, then with the agents added, serving,
   * logged in and READY. */
  if (setup(s)) {
    fail("setup failed");
    goto out;
  }
  size_t mem_queues = cc_engine_memory(s->e);
  if (add_agents(s)) {
    fail("adding agents failed");
    goto out;
  }
  size_t mem_agents = cc_engine_memory(s->e);
  for (int a = 0; a < N_AGENTS; a++)
    if (s->astate[a] != CCENTER_AGENT_READY) {
      fail("an agent is not READY after setup");
      goto out;
    }
  s->events = 0;

  /* The timed loop. */
  const double mean_gap_ms = MEAN_HANDLE_MS / (LOAD * N_AGENTS);
  uint32_t next_contact = 0;
  int64_t next_arrival = s->now;
  size_t mem_peak = 0;
  uint64_t flt0 = bench_minflt();
  uint64_t t0 = bench_now_ns(), c0 = cpu_now_ns();
  for (;;) {
    int64_t ta = s->n_heap ? s->heap[0].at : INT64_MAX;
    int64_t tn = next_contact < n_contacts ? next_arrival : INT64_MAX;
    int64_t td = ccenter_engine_next_deadline(s->e);
    s->queries++;
    if (ta == INT64_MAX && tn == INT64_MAX && td == CCENTER_NO_DEADLINE)
      break;
    if (td < ta && td < tn) {
      s->now = td;
      API(s, "engine_advance", ccenter_engine_advance(s->e, s->now));
    } else if (tn <= ta) {
      s->now = tn;
      uint32_t n = next_contact++;
      enqueue(s, n, 1);
      if (rnd(s, 1000) < P_IMPATIENT)
        schedule(s, s->now + bench_range(&s->rng, 500, 5 * SEC), A_ABANDON, (int32_t)n, -1);
      double u = ((double)(bench_rand(&s->rng) >> 11) + 0.5) / 9007199254740992.0;
      next_arrival = s->now + (int64_t)(-log(u) * mean_gap_ms);
    } else {
      action a = pop_action(s);
      s->now = a.at;
      perform(s, &a);
    }
    if (s->failed_call || s->oom)
      break;
    drain_recs(s);
    if ((s->calls & 65535) == 0) {
      size_t m = cc_engine_memory(s->e);
      if (m > mem_peak)
        mem_peak = m;
    }
#if CHURN_CHECK_EVERY > 0
    if (s->calls % CHURN_CHECK_EVERY == 0 && cc_engine_check(s->e)) {
      fprintf(stderr, "churn: %s\n", cc_engine_check(s->e));
      goto out;
    }
#endif
  }
  uint64_t wall_ns = bench_now_ns() - t0, cpu_ns = cpu_now_ns() - c0;
  uint64_t flt_timed = bench_minflt() - flt0;
  int64_t virtual_ms = s->now - T0;
  size_t rss = bench_rss_bytes();
  uint64_t events = s->events, calls = s->calls;

  if (s->oom) {
    fail("out of memory in the driver");
    goto out;
  }
  if (s->failed_call) {
    fprintf(stderr, "churn: %s failed at t=%lld: %s\n", s->failed_call,
            (long long)(s->now - T0), ccenter_err_name(s->rc));
    goto out;
  }

  /* Memory per waiting contact: every agent NOT_READY, park contacts, measure, remove. */
  for (int a = 0; a < N_AGENTS; a++)
    if (ccenter_agent_not_ready(s->e, s->aid[a], "memory-phase", s->now)) {
      fail("agent_not_ready failed in the memory phase");
      goto out;
    }
  drain_recs(s);
  size_t mem_before = cc_engine_memory(s->e);
  for (uint32_t k = 0; k < n_parked; k++) {
    enqueue(s, n_contacts + k, 0);
    if (s->rc) {
      fail("contact_enqueue failed in the memory phase");
      goto out;
    }
  }
  drain_recs(s);
  size_t mem_parked = cc_engine_memory(s->e);
  const char *bad = cc_engine_check(s->e);
  for (uint32_t k = 0; k < n_parked && !bad; k++) {
    char id[16];
    bench_id(id, 'c', n_contacts + k);
    if (ccenter_contact_remove(s->e, id, s->now))
      bad = "contact_remove failed in the memory phase";
  }
  drain_recs(s);
  if (!bad)
    bad = cc_engine_check(s->e);
  if (bad) {
    fail(bad);
    goto out;
  }

  /* Conservation. */
  if (s->ended != s->enqueued || s->dup_ended || s->live != 0) {
    fprintf(stderr, "churn: conservation broken: enqueued %llu, ended %llu (%llu twice)\n",
            (unsigned long long)s->enqueued, (unsigned long long)s->ended,
            (unsigned long long)s->dup_ended);
    goto out;
  }
  if (s->enqueued != (uint64_t)n_contacts + n_parked) {
    fail("not every contact was enqueued");
    goto out;
  }
  if (s->order_errors) {
    fail("events out of time order");
    goto out;
  }
  if (ccenter_engine_next_deadline(s->e) != CCENTER_NO_DEADLINE) {
    fail("timers left armed after every contact ended");
    goto out;
  }

  double secs = (double)wall_ns / 1e9, cpu_secs = (double)cpu_ns / 1e9;
  /* cc_engine_memory() is a size_t sum; an accounting error that makes it wrap must not
   * print as a figure. */
  double peak = mem_peak > SIZE_MAX / 2 ? NAN : (double)mem_peak;
  if (mem_peak > SIZE_MAX / 2)
    fprintf(stderr, "churn: cc_engine_memory() wrapped during the run (accounting drift in "
                    "the engine); engine_bytes_peak not reported\n");
  double lat_mean = 0;
  for (size_t i = 0; i < s->lat.n; i++)
    lat_mean += (double)s->lat.v[i];
  lat_mean = s->lat.n ? lat_mean / (double)s->lat.n : 0;
  bench_json j;
  bench_json_begin(&j, "churn");
  bench_json_bool(&j, "statistics", !ctx->no_stats);
  bench_json_uint(&j, "agents", N_AGENTS);
  bench_json_uint(&j, "queues", N_QUEUES);
  bench_json_uint(&j, "contacts", n_contacts);
  bench_json_double(&j, "ops_per_s", (double)events / secs);
  bench_json_double(&j, "calls_per_s", (double)calls / secs);
  bench_json_double(&j, "contacts_per_s", (double)n_contacts / secs);
  bench_json_uint(&j, "p50_ns", bench_percentile(&s->lat, 50));
  bench_json_uint(&j, "p99_ns", bench_percentile(&s->lat, 99));
  bench_json_uint(&j, "p999_ns", bench_percentile(&s->lat, 99.9));
  bench_json_uint(&j, "rss_bytes", rss);
  bench_json_uint(&j, "minflt_timed", flt_timed);
  bench_json_uint(&j, "events", events);
  bench_json_uint(&j, "calls", calls);
  bench_json_uint(&j, "queries", s->queries);
  bench_json_double(&j, "seconds", secs);
  bench_json_double(&j, "cpu_seconds", cpu_secs);
  bench_json_double(&j, "ops_per_cpu_s", (double)events / cpu_secs);
  bench_json_double(&j, "api_share", lat_mean * (double)calls / (double)wall_ns);
  bench_json_double(&j, "virtual_hours", (double)virtual_ms / 3.6e6);
  bench_json_double(&j, "engine_bytes_per_agent",
                    (double)(mem_agents - mem_queues) / N_AGENTS);
  bench_json_double(&j, "engine_bytes_per_waiting",
                    (double)(mem_parked - mem_before) / (double)n_parked);
  bench_json_double(&j, "engine_bytes_peak", peak);
  bench_json_uint(&j, "live_peak", s->live_peak);
  bench_json_uint(&j, "handled", s->outcome[CCENTER_OUTCOME_HANDLED]);
  bench_json_uint(&j, "abandoned", s->outcome[CCENTER_OUTCOME_ABANDONED]);
  bench_json_uint(&j, "timed_out", s->outcome[CCENTER_OUTCOME_TIMED_OUT]);
  bench_json_uint(&j, "removed", s->outcome[CCENTER_OUTCOME_REMOVED]);
  bench_json_uint(&j, "ring_timeouts", s->ring_timeouts);
  bench_json_uint(&j, "rejects", s->rejects);
  bench_json_uint(&j, "transfers_queue", s->xfer_q);
  bench_json_uint(&j, "transfers_agent", s->xfer_a);
  bench_json_uint(&j, "transfers_refused", s->refused);
  bench_json_uint(&j, "holds", s->holds);
  bench_json_uint(&j, "wrap_ups_ended_early", s->wrap_early);
  bench_json_uint(&j, "breaks", s->breaks);
  bench_json_uint(&j, "no_answer_not_ready", s->no_answer_nr);
  bench_json_uint(&j, "peak_rss_bytes", bench_peak_rss_bytes());
  bench_json_uint(&j, "clock_ns", bench_clock_overhead_ns());
  bench_json_end(&j);
  result = 0;
out:
  ccenter_engine_free(s->e);
  bench_samples_free(&s->lat);
  free(s->cs);
  bench_evlog_free(&s->log);
  free(s->heap);
  free(s);
  return result;
}

BENCH_SCENARIO(churn, "1,000 agents, 50 queues: full contact lifecycles on virtual time", run);
