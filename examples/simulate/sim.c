/*
 * ccenter-sim — the event loop.
 *
 * Two sources of "what happens next" are merged on one virtual clock:
 *   - the simulator's own heap: arrivals, agents answering after their ring delay,
 *     conversations ending, callers hanging up (patience), shift starts/ends and breaks;
 *   - the engine's own deadlines (ring timeouts, wrap-up ends, max wait), through
 *     ccenter_engine_next_deadline() and ccenter_engine_advance().
 * Whichever is earlier runs first (engine deadlines first on a tie, so every call at time
 * t sees an engine whose timers up to t have fired). A scenario with fraud cases adds a
 * third, the case engine's deadlines (cases.c), first of all on a tie for the same reason.
 *
 * The engine forbids state-changing calls inside its event callback, so the callback only
 * updates the simulator's mirror of contacts and agents, counts statistics and writes
 * down actions: an answer with ring delay 0 goes to the "immediate" list, carried out at
 * the same `now` right after the engine call returns; everything later goes on the heap.
 * Actions carry the contact's generation (answers: the agent's offer token) and are
 * dropped when the contact has moved on (answered, hung up, offer withdrawn).
 */
#include "sim.h"

#include <ccenter/engine.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A contact's state as far as the simulator needs it: CONNECTED lasts until its
 * CONTACT_ENDED (the conversation's end and the wrap-up are not followed: nothing reads
 * them, so the engine is not asked for CONVERSATION_ENDED). */
enum { C_FREE = 0, C_WAITING, C_OFFERED, C_CONNECTED };

typedef struct contact_rec {
  uint32_t gen;
  uint8_t state;
  uint8_t counted;   /* arrived in the measured period */
  uint8_t tracked;   /* arrived before the end: the run waits for it to finish */
  uint8_t moved;     /* overflowed to another queue: the engine's wait restarts there */
  uint8_t ewt_seen;  /* ewt_ms holds the EWT of its first CONTACT_QUEUED */
  uint8_t step;      /* current routing step (STEP events); n_steps = any member */
  uint8_t ring_timed_out; /* an offer rang out: the engine keeps it from that agent */
  uint8_t flagged;   /* the routing check found it waiting next to an idle agent */
  uint16_t offers;   /* offers ringing now (several with ring-all / ring-progressive) */
  uint32_t queue;    /* queue it arrived in (statistics stay with it) */
  uint32_t stream;   /* arrival stream */
  uint32_t agent;    /* agent connected with */
  int32_t interval;  /* interval of its arrival, -1 outside the interval table */
  int32_t batch;     /* batch of its arrival, -1 if none */
  int64_t arrival;
  int64_t offered_at; /* time the offer it answered started ringing */
  int64_t ewt_ms;     /* the engine's expected wait when it joined; -1 unknown */
  int64_t pref_until; /* preferred or sticky phase until then (the check leaves it alone) */
  double handle_s;
  double patience_s; /* < 0: never abandons */
  uint32_t case_no;  /* its fraud case (cases.c), 0: none */
  double contain_s;  /* from the answer to the containment of its case */
} contact_rec;

typedef struct agent_rec {
  const sc_agent *sc;
  int presence;     /* ccenter_agent_state, as the engine last said */
  unsigned work;    /* contacts ringing, connected or in wrap-up */
  int64_t last_t;   /* occupancy accounted up to here */
  int64_t ring_delay;
  /* The offer ringing at this agent (voice, capacity 1: at most one). An answer scheduled
   * for it carries offer_token and is dropped if the token has moved on. */
  int ringing;
  uint32_t offer_slot;
  uint32_t offer_token;
  int64_t offer_at;
} agent_rec;

typedef struct stream_state {
  sim_rng arr, handle, patience, customer;
  ccenter_step *steps; /* the contacts' own steps, for ccenter_contact_params */
  ccenter_contact_params params; /* what every arrival of the stream is enqueued with,
                                    but its user data and customer */
  double t; /* seconds: time of the last arrival drawn */
  size_t seg;
  int64_t stop_ms; /* no arrivals from here on */
} stream_state;

typedef struct imm_accept {
  uint32_t agent, token;
} imm_accept;

typedef struct sim_t {
  const scenario *sc;
  sim_results *res;
  ccenter_engine *e;
  contact_rec *c;
  size_t n_c, cap_c;
  uint32_t *free_slots;
  size_t n_free, cap_free;
  agent_rec *ag;
  stream_state *ss;
  imm_accept *imm;
  size_t imm_head, imm_n, imm_cap;
  sim_heap heap;
  sim_heap arr;       /* the streams' next arrivals, apart (one each: a tiny heap); ties
                         with the main heap are broken by the same insertion order */
  int64_t now;
  int64_t m0, m1;     /* measured period [m0, m1) */
  int64_t end;        /* arrivals tracked up to here; intervals cover [start, end) */
  int64_t hard_end;   /* the run never goes past this */
  int64_t short_ms;
  int64_t *thr_ms;    /* per queue */
  uint64_t in_progress; /* tracked contacts not yet ended */
  int failed;
  int check;            /* check the routing invariant */
  int ewt;              /* follow the EWT of CONTACT_QUEUED (an output reports it) */
  uint8_t *match;       /* [agent * n_reqs + req]: the agent meets the requirement */
  unsigned reported;    /* routing-check messages printed so far */
  sim_cases *cases;     /* the case engine, when the scenario has cases lines */
  int32_t *q_cases;     /* [queue]: its cases line, -1 none */
  /* The measured-period batch and the interval that account() found last, [lo, hi): a
   * span inside both needs no division (occ_span). */
  int64_t bc_lo, bc_hi, ic_lo, ic_hi;
  size_t bc_b, ic_i;
  char idbuf[32];
} sim_t;

/* ---------------------------------------------------------------------------------- */
/* Identifiers                                                                         */

static const char *contact_id(sim_t *s, uint32_t slot)
{
  char tmp[16];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + slot % 10);
    slot /= 10;
  } while (slot);
  s->idbuf[0] = 'c';
  for (int i = 0; i < n; i++)
    s->idbuf[1 + i] = tmp[n - 1 - i];
  s->idbuf[1 + n] = '\0';
  return s->idbuf;
}

/* Events find the simulator's records through the user data each was created with, not
 * by id: an agent's is its agent_rec (s->ag never moves); a contact's is its slot + 1
 * (s->c grows by realloc, so a pointer into it would not last). NULL: not one of ours. */
static void *slot_data(uint32_t slot)
{
  return (void *)(uintptr_t)(slot + 1);
}

static contact_rec *contact_of(sim_t *s, const ccenter_event *ev)
{
  uintptr_t v = (uintptr_t)ev->contact_data;
  return v && v <= s->n_c ? &s->c[v - 1] : NULL;
}

static agent_rec *agent_of(const ccenter_event *ev)
{
  return ev->agent_data;
}

/* ---------------------------------------------------------------------------------- */
/* Statistics                                                                          */

/* The counters a contact's outcome goes into: its queue's interval, and if it arrived in
 * the measured period its queue's total, the grand total and its batch. */
static int cells_of(sim_t *s, const contact_rec *c, sim_counts **out)
{
  sim_results *r = s->res;
  int n = 0;
  if (c->interval >= 0)
    out[n++] = &r->q_int[(size_t)c->queue * r->n_intervals + (size_t)c->interval];
  if (c->counted) {
    out[n++] = &r->q_total[c->queue];
    out[n++] = &r->total;
    if (c->batch >= 0)
      out[n++] = &r->b_counts[c->batch];
  }
  return n;
}

static void occ_add(sim_occ *o, int busy, int idle, double ms)
{
  if (busy)
    o->busy_ms += ms;
  if (busy || idle)
    o->avail_ms += ms;
  o->staffed_ms += ms;
}

/* Adds [from, to) of agent time in the given category to every table it belongs in. */
static void occ_span(sim_t *s, const agent_rec *a, int64_t from, int64_t to, int busy, int idle)
{
  sim_results *r = s->res;
  const sc_agent *sa = a->sc;
  /* Measured period: totals, per queue served, batches. */
  int64_t f = from > s->m0 ? from : s->m0, t = to < s->m1 ? to : s->m1;
  if (t > f) {
    occ_add(&r->occ, busy, idle, (double)(t - f));
    for (size_t k = 0; k < sa->n_queues; k++)
      occ_add(&r->q_occ[sa->queues[k]], busy, idle, (double)(t - f));
    if (r->n_batches && f >= s->bc_lo && t <= s->bc_hi) {
      /* Inside the batch found last: the loop below would add the same, in one piece. */
      occ_add(&r->b_occ[s->bc_b], busy, idle, (double)(t - f));
    } else if (r->n_batches) {
      int64_t len = s->m1 - s->m0;
      int64_t b = (f - s->m0) * (int64_t)r->n_batches / len;
      while (f < t && b < (int64_t)r->n_batches) {
        int64_t bstart = s->m0 + len * b / (int64_t)r->n_batches;
        int64_t bend = s->m0 + len * (b + 1) / (int64_t)r->n_batches;
        int64_t e = bend < t ? bend : t;
        if (e > f) {
          occ_add(&r->b_occ[b], busy, idle, (double)(e - f));
          s->bc_lo = bstart;
          s->bc_hi = bend;
          s->bc_b = (size_t)b;
        }
        f = e;
        b++;
      }
    }
  }
  /* Intervals. */
  int64_t o = r->interval_origin_ms, w = r->interval_ms;
  int64_t iend = o + w * (int64_t)r->n_intervals;
  f = from > o ? from : o;
  t = to < iend ? to : iend;
  if (f < t && f >= s->ic_lo && t <= s->ic_hi) {
    /* Inside the interval found last: one piece, as the loop below would add it. */
    for (size_t k = 0; k < sa->n_queues; k++)
      occ_add(&r->q_int_occ[sa->queues[k] * r->n_intervals + s->ic_i], busy, idle,
              (double)(t - f));
    return;
  }
  while (f < t) {
    int64_t i = (f - o) / w;
    int64_t e = o + w * (i + 1);
    s->ic_lo = o + w * i;
    s->ic_hi = e;
    s->ic_i = (size_t)i;
    if (e > t)
      e = t;
    for (size_t k = 0; k < sa->n_queues; k++)
      occ_add(&r->q_int_occ[sa->queues[k] * r->n_intervals + (size_t)i], busy, idle,
              (double)(e - f));
    f = e;
  }
}

/* Accounts the agent's time up to t in the category it has been in since last_t. */
static void account(sim_t *s, agent_rec *a, int64_t t)
{
  if (t <= a->last_t)
    return;
  if (a->presence != CCENTER_AGENT_LOGGED_OUT) {
    int busy = a->work > 0;
    int idle = !busy && a->presence == CCENTER_AGENT_READY;
    occ_span(s, a, a->last_t, t, busy, idle);
  }
  a->last_t = t;
}

/* ---------------------------------------------------------------------------------- */
/* Engine calls                                                                        */

void sim_call_failed(const char *what, const char *arg, int64_t now, int rc)
{
  char b[32];
  fprintf(stderr, "ccenter-sim: %s(%s) at %s (t=%lld ms) failed: %s (%s)\n", what,
          arg ? arg : "", sim_clock_str(now, b, sizeof b), (long long)now, ccenter_strerror(rc),
          ccenter_err_name(rc));
}

static int must(sim_t *s, int rc, const char *what, const char *arg)
{
  s->res->engine_calls++;
  if (rc < 0 && !s->failed) {
    sim_call_failed(what, arg, s->now, rc);
    s->failed = 1;
  }
  return rc;
}

/* ---------------------------------------------------------------------------------- */
/* The event callback: mirror, count, write down. No state-changing engine calls.       */

static void free_slot(sim_t *s, contact_rec *c)
{
  c->state = C_FREE;
  c->gen++;
  if (s->n_free == s->cap_free) {
    s->cap_free = s->cap_free ? 2 * s->cap_free : 1024;
    s->free_slots = sim_xrealloc(s->free_slots, s->cap_free * sizeof *s->free_slots);
  }
  s->free_slots[s->n_free++] = (uint32_t)(c - s->c);
}

static void push_imm(sim_t *s, uint32_t agent, uint32_t token)
{
  if (s->imm_head + s->imm_n == s->imm_cap) {
    if (s->imm_head) {
      memmove(s->imm, s->imm + s->imm_head, s->imm_n * sizeof *s->imm);
      s->imm_head = 0;
    } else {
      s->imm_cap = s->imm_cap ? 2 * s->imm_cap : 64;
      s->imm = sim_xrealloc(s->imm, s->imm_cap * sizeof *s->imm);
    }
  }
  s->imm[s->imm_head + s->imm_n++] = (imm_accept){agent, token};
}

/* ---------------------------------------------------------------------------------- */
/* The routing check (--check-routing): the engine's invariant, seen from outside       */

/* The routing steps that apply to the contact: its own, or its queue's. */
static const sc_step *steps_of(const sim_t *s, const contact_rec *c, size_t *n)
{
  const sc_stream *st = &s->sc->streams[c->stream];
  if (st->n_steps) {
    *n = st->n_steps;
    return st->steps;
  }
  *n = s->sc->queues[c->queue].n_steps;
  return s->sc->queues[c->queue].steps;
}

/*
 * Whether agent ai may take contact c at time t by the rules of docs/routing.md, as far as
 * the simulator can tell: 1 qualifies, 0 does not (*why says why), -1 cannot tell (an
 * overflowed contact, the preferred or sticky phase, a reject delay after a ring timeout,
 * a reserve member under the backlog rule). Presence and free capacity are the caller's.
 */
static int qualifies(const sim_t *s, const contact_rec *c, size_t ai, int64_t t,
                     const char **why)
{
  if (c->moved || t <= c->pref_until || c->ring_timed_out)
    return -1;
  const sc_agent *a = &s->sc->agents[ai];
  size_t k = 0;
  while (k < a->n_queues && a->queues[k] != c->queue)
    k++;
  if (k == a->n_queues) {
    *why = "does not serve the queue";
    return 0;
  }
  size_t n;
  const sc_step *st = steps_of(s, c, &n);
  if (c->step < n && !s->match[ai * s->sc->n_reqs + (size_t)st[c->step].req_index]) {
    *why = "does not meet the current step";
    return 0;
  }
  const sc_profile *pr = &a->profile[k];
  if (t - c->arrival < pr->delay_ms) {
    *why = "its delay for the queue has not passed";
    return 0;
  }
  if (pr->reserve) {
    const sc_queue *q = &s->sc->queues[c->queue];
    if (q->reserve_wait_ms > 0 && t - c->arrival >= q->reserve_wait_ms)
      return 1;
    if (q->reserve_ewt_ms > 0 || q->reserve_sl_bp > 0)
      return -1; /* the engine's estimate or recent service level: not checked here */
    *why = "reserve member before the reserve wait";
    return 0;
  }
  return 1;
}

static void describe_contact(const sim_t *s, const contact_rec *c, char *buf, size_t len)
{
  size_t n;
  const sc_step *st = steps_of(s, c, &n);
  char b[32];
  snprintf(buf, len, "contact c%u (queue %s, arrived %s, step %u of %zu: \"%s\")",
           (unsigned)(c - s->c), s->sc->queues[c->queue].name,
           sim_clock_str(c->arrival, b, sizeof b), (unsigned)c->step + 1, n + 1,
           c->step < n ? st[c->step].req : "any member");
}

/* An offer must go to an agent who qualifies. */
static void check_offer(sim_t *s, const contact_rec *c, const agent_rec *a, int64_t t)
{
  const char *why = "";
  size_t ai = (size_t)(a - s->ag);
  if (qualifies(s, c, ai, t, &why) != 0)
    return;
  s->res->offers_unqualified++;
  if (s->reported++ < 10) {
    char d[512], b[32];
    describe_contact(s, c, d, sizeof d);
    fprintf(stderr, "ccenter-sim: routing check: %s: %s offered to agent %s, who %s\n",
            sim_clock_str(t, b, sizeof b), d, a->sc->name, why);
  }
}

/* No contact may wait while an idle READY agent who qualifies for it could take it. */
static void check_waiting(sim_t *s)
{
  const size_t na = s->sc->n_agents;
  s->res->routing_checks++;
  int any_idle = 0;
  for (size_t i = 0; i < na && !any_idle; i++)
    any_idle = s->ag[i].presence == CCENTER_AGENT_READY && s->ag[i].work == 0;
  if (!any_idle)
    return;
  for (size_t slot = 0; slot < s->n_c; slot++) {
    contact_rec *c = &s->c[slot];
    if (c->state != C_WAITING || c->offers || c->flagged)
      continue;
    for (size_t i = 0; i < na; i++) {
      const agent_rec *a = &s->ag[i];
      const char *why = "";
      if (a->presence != CCENTER_AGENT_READY || a->work || qualifies(s, c, i, s->now, &why) != 1)
        continue;
      c->flagged = 1;
      s->res->idle_while_waiting++;
      if (s->reported++ < 10) {
        char d[512], b[32];
        describe_contact(s, c, d, sizeof d);
        fprintf(stderr, "ccenter-sim: routing check: %s: %s waits %.3f s while agent %s, who "
                        "qualifies, is READY and idle\n",
                sim_clock_str(s->now, b, sizeof b), d,
                (double)(s->now - c->arrival) / SIM_MS_PER_S, a->sc->name);
      }
      break;
    }
  }
}

static void ewt_add(sim_ewt *e, int64_t ewt_ms, int64_t wait_ms, int queued)
{
  if (ewt_ms < 0) {
    e->unknown++;
    return;
  }
  double err = (double)(ewt_ms - wait_ms) / SIM_MS_PER_S;
  double abs_err = fabs(err);
  int in30 = abs_err <= 30.0;
  int in20 = llabs(ewt_ms - wait_ms) * 5 <= wait_ms; /* |err| <= 20 % of the wait */
  e->n++;
  e->err_sum_s += err;
  e->abs_sum_s += abs_err;
  e->sq_sum_s += err * err;
  e->within_30s += (uint64_t)in30;
  e->within_20pct += (uint64_t)in20;
  if (queued) {
    e->q_n++;
    e->q_err_sum_s += err;
    e->q_abs_sum_s += abs_err;
    e->q_within_30s += (uint64_t)in30;
    e->q_within_20pct += (uint64_t)in20;
    e->q_zero += (uint64_t)(ewt_ms == 0);
  }
}

static void on_event(ccenter_engine *engine, const ccenter_event *ev, void *ud)
{
  sim_t *s = ud;
  sim_counts *cell[4];
  int n;
  (void)engine;
  s->res->engine_events++;
  switch (ev->type) {
  case CCENTER_EV_AGENT_STATE: {
    agent_rec *a = agent_of(ev);
    if (!a)
      break;
    account(s, a, ev->time);
    a->presence = (int)ev->state;
    if (ev->state == CCENTER_AGENT_NOT_READY && ev->cause == CCENTER_CAUSE_NO_ANSWER)
      s->res->no_answer_not_ready++;
    break;
  }
  case CCENTER_EV_CONTACT_QUEUED: {
    /* The EWT the engine gave when the contact joined its first queue (received only when
     * an output reports it). */
    contact_rec *c = contact_of(s, ev);
    if (c && !c->ewt_seen && !c->moved) {
      c->ewt_seen = 1;
      c->ewt_ms = ev->ewt_ms;
    }
    break;
  }
  case CCENTER_EV_STEP: {
    /* Only the routing check reads the step (received only with it). */
    contact_rec *c = contact_of(s, ev);
    if (c)
      c->step = (uint8_t)(ev->step < 0 ? 0 : ev->step > 255 ? 255 : ev->step);
    break;
  }
  case CCENTER_EV_CONTACT_OFFERED: {
    contact_rec *c = contact_of(s, ev);
    agent_rec *a = agent_of(ev);
    if (!c || !a)
      break;
    account(s, a, ev->time);
    a->work++;
    c->state = C_OFFERED;
    c->offers++;
    a->ringing = 1;
    a->offer_slot = (uint32_t)(c - s->c);
    a->offer_token++;
    a->offer_at = ev->time;
    if (s->check)
      check_offer(s, c, a, ev->time);
    uint32_t ai = (uint32_t)(a - s->ag);
    if (a->ring_delay == 0)
      push_imm(s, ai, a->offer_token);
    else
      sim_heap_push(&s->heap, ev->time + a->ring_delay, SEV_ACCEPT, ai, a->offer_token, 0);
    break;
  }
  case CCENTER_EV_OFFER_WITHDRAWN: {
    contact_rec *c = contact_of(s, ev);
    agent_rec *a = agent_of(ev);
    if (a) {
      account(s, a, ev->time);
      if (a->work)
        a->work--;
      a->ringing = 0;
      a->offer_token++;
    }
    if (c) {
      if (c->offers)
        c->offers--;
      if (c->state == C_OFFERED && !c->offers)
        c->state = C_WAITING;
    }
    if (ev->cause == CCENTER_CAUSE_RING_TIMEOUT) {
      s->res->ring_timeouts++;
      if (c)
        c->ring_timed_out = 1;
    }
    break;
  }
  case CCENTER_EV_CONTACT_CONNECTED: {
    contact_rec *c = contact_of(s, ev);
    agent_rec *a = agent_of(ev);
    if (!c)
      break;
    if (a) {
      c->agent = (uint32_t)(a - s->ag);
      c->offered_at = a->offer_at;
      a->ringing = 0;
      a->offer_token++;
    }
    if (c->offers)
      c->offers--;
    c->state = C_CONNECTED;
    /* The customer's wait runs from the arrival, across an overflow; the engine's wait_ms
     * is the wait in the current queue. Without an overflow the two must agree. */
    int64_t wait_ms = ev->time - c->arrival;
    if (!c->moved && wait_ms != ev->wait_ms)
      s->res->wait_mismatches++;
    double w = (double)wait_ms / SIM_MS_PER_S;
    n = cells_of(s, c, cell);
    for (int i = 0; i < n; i++) {
      cell[i]->answered++;
      cell[i]->wait_sum_s += w;
      if (wait_ms <= s->thr_ms[c->queue])
        cell[i]->answered_within++;
      if (c->offered_at > c->arrival) /* had to queue (ringing is not queueing) */
        cell[i]->waited++;
      if (w > cell[i]->wait_max_s)
        cell[i]->wait_max_s = w;
    }
    if (c->counted && !c->moved && c->ewt_seen) {
      sim_ewt *e[3] = {&s->res->q_ewt[c->queue], &s->res->ewt,
                       c->batch >= 0 ? &s->res->b_ewt[c->batch] : NULL};
      for (int i = 0; i < 3; i++)
        if (e[i])
          ewt_add(e[i], c->ewt_ms, wait_ms, c->offered_at > c->arrival);
    }
    if (c->case_no && a) {
      /* The agent contains the case during the call: after the drawn time, or when the
       * call ends if that comes first (pushed before the end, so it goes first on a tie). */
      double d = c->contain_s < c->handle_s ? c->contain_s : c->handle_s;
      sim_heap_push(&s->heap, ev->time + llround(d * SIM_MS_PER_S), SEV_CONTAIN, c->agent,
                    c->case_no, (uint32_t)s->q_cases[c->queue]);
    }
    sim_heap_push(&s->heap, ev->time + llround(c->handle_s * SIM_MS_PER_S), SEV_END,
                  (uint32_t)(c - s->c), c->gen, 0);
    break;
  }
  case CCENTER_EV_WRAP_UP_ENDED: {
    agent_rec *a = agent_of(ev);
    if (a) {
      account(s, a, ev->time);
      if (a->work)
        a->work--;
    }
    break;
  }
  case CCENTER_EV_CONTACT_OVERFLOWED: {
    contact_rec *c = contact_of(s, ev);
    if (!c)
      break;
    c->moved = 1;
    n = cells_of(s, c, cell);
    for (int i = 0; i < n; i++)
      cell[i]->overflowed++;
    break;
  }
  case CCENTER_EV_CONTACT_ENDED: {
    contact_rec *c = contact_of(s, ev);
    if (!c || c->state == C_FREE)
      break;
    /* The wait of a contact that never got an agent (the answered ones counted above). */
    int64_t wait_ms = ev->time - c->arrival;
    if (ev->outcome != CCENTER_OUTCOME_HANDLED && !c->moved && wait_ms != ev->wait_ms)
      s->res->wait_mismatches++;
    double w = (double)wait_ms / SIM_MS_PER_S;
    n = cells_of(s, c, cell);
    for (int i = 0; i < n; i++) {
      sim_counts *k = cell[i];
      switch (ev->outcome) {
      case CCENTER_OUTCOME_HANDLED:
        k->handled++;
        k->talk_sum_s += c->handle_s;
        break;
      case CCENTER_OUTCOME_ABANDONED:
        k->abandoned++;
        if (wait_ms < s->short_ms)
          k->short_abandoned++;
        if (wait_ms <= s->thr_ms[c->queue])
          k->abandoned_within++;
        if (w > k->wait_max_s)
          k->wait_max_s = w;
        break;
      case CCENTER_OUTCOME_TIMED_OUT:
        k->timed_out++;
        break;
      default:
        k->other_exit++;
        break;
      }
    }
    if (c->case_no && ev->outcome == CCENTER_OUTCOME_HANDLED)
      sim_heap_push(&s->heap, ev->time, SEV_CASE_CLOSE, c->agent, c->case_no,
                    (uint32_t)s->q_cases[c->queue]);
    if (c->tracked)
      s->in_progress--;
    free_slot(s, c);
    break;
  }
  default:
    break;
  }
}

/* ---------------------------------------------------------------------------------- */
/* Actions                                                                             */

/* The agent answers the offer ringing at it, if it is still the one with that token. */
static void answer(sim_t *s, uint32_t agent, uint32_t token)
{
  agent_rec *a = &s->ag[agent];
  if (!a->ringing || a->offer_token != token)
    return;
  contact_rec *c = &s->c[a->offer_slot];
  if (c->state != C_OFFERED)
    return;
  const char *id = contact_id(s, a->offer_slot);
  must(s, ccenter_offer_accept(s->e, a->sc->name, id, s->now), "ccenter_offer_accept", id);
}

static void run_immediate(sim_t *s)
{
  while (s->imm_n && !s->failed) {
    imm_accept a = s->imm[s->imm_head++];
    s->imm_n--;
    if (!s->imm_n)
      s->imm_head = 0;
    answer(s, a.agent, a.token);
  }
}

static void next_arrival(sim_t *s, size_t si)
{
  const sc_stream *st = &s->sc->streams[si];
  stream_state *ss = &s->ss[si];
  double t = ss->t;
  while (ss->seg < st->n_seg) {
    const sc_segment *g = &st->seg[ss->seg];
    int64_t to_ms = g->to < ss->stop_ms ? g->to : ss->stop_ms;
    double from = (double)g->from / SIM_MS_PER_S, to = (double)to_ms / SIM_MS_PER_S;
    if (t < from)
      t = from;
    if (g->rate_per_s > 0 && t < to) {
      /* Memoryless: a draw that crosses the segment's end is redrawn from there. */
      double cand = t + sim_rng_exp(&ss->arr, 1.0) / g->rate_per_s;
      if (cand < to) {
        ss->t = cand;
        sim_heap_push(&s->arr, llround(cand * SIM_MS_PER_S), SEV_ARRIVAL, (uint32_t)si, 0, 0);
        return;
      }
    }
    t = to;
    ss->seg++;
  }
  ss->t = t;
}

static uint32_t alloc_slot(sim_t *s)
{
  if (s->n_free)
    return s->free_slots[--s->n_free];
  if (s->n_c == s->cap_c) {
    s->cap_c = s->cap_c ? 2 * s->cap_c : 1024;
    s->c = sim_xrealloc(s->c, s->cap_c * sizeof *s->c);
  }
  memset(&s->c[s->n_c], 0, sizeof s->c[0]);
  return (uint32_t)s->n_c++;
}

static void arrival(sim_t *s, uint32_t si)
{
  const sc_stream *st = &s->sc->streams[si];
  stream_state *ss = &s->ss[si];
  sim_results *r = s->res;
  uint32_t slot = alloc_slot(s);
  contact_rec *c = &s->c[slot];
  int64_t t = s->now;
  uint32_t keep_gen = c->gen;
  memset(c, 0, sizeof *c); /* a reused slot starts clean */
  c->gen = keep_gen;
  c->state = C_WAITING;
  c->queue = (uint32_t)st->queue;
  c->stream = si;
  c->ewt_ms = -1;
  c->pref_until = -1;
  c->arrival = t;
  c->counted = t >= s->m0 && t < s->m1;
  c->tracked = t < s->end;
  c->interval = -1;
  if (t >= r->interval_origin_ms) {
    int64_t i = (t - r->interval_origin_ms) / r->interval_ms;
    if (i < (int64_t)r->n_intervals)
      c->interval = (int32_t)i;
  }
  c->batch = -1;
  if (c->counted && r->n_batches)
    c->batch = (int32_t)((t - s->m0) * (int64_t)r->n_batches / (s->m1 - s->m0));
  c->handle_s = sim_dist_draw(&st->handle, &ss->handle);
  c->patience_s = st->patience.kind == SIM_DIST_NONE ? -1.0
                                                     : sim_dist_draw(&st->patience, &ss->patience);
  r->contacts++;
  if (s->cases && c->counted && s->q_cases[c->queue] >= 0 &&
      sim_cases_open(s->cases, (size_t)s->q_cases[c->queue], c->batch, c->handle_s, t,
                     &c->case_no, &c->contain_s))
    s->failed = 1;

  sim_counts *cell[4];
  int n = cells_of(s, c, cell);
  for (int i = 0; i < n; i++)
    cell[i]->offered++;

  ccenter_contact_params p = ss->params;
  p.user_data = slot_data(slot);
  char customer[32];
  if (st->customers) {
    uint64_t k = sim_rng_next(&ss->customer) % st->customers + 1;
    snprintf(customer, sizeof customer, "k%llu", (unsigned long long)k);
    p.customer = customer;
  }
  /* The preferred (or possibly sticky) phase, which the routing check leaves alone. */
  const sc_queue *sq = &s->sc->queues[st->queue];
  if (st->n_preferred || (st->customers && sq->sticky_ms > 0)) {
    int64_t to = st->n_preferred && st->preferred_timeout_ms >= 0 ? st->preferred_timeout_ms
               : sq->preferred_timeout_ms >= 0 ? sq->preferred_timeout_ms : 20000;
    c->pref_until = t + to;
  }
  const char *id = contact_id(s, slot);
  uint32_t gen = c->gen;
  int rc = ccenter_contact_enqueue(s->e, id, s->sc->queues[st->queue].name, &p, t);
  r->engine_calls++;
  c = &s->c[slot];
  if (rc == CCENTER_EFULL || rc == CCENTER_ENOAGENTS) {
    for (int i = 0; i < n; i++)
      cell[i]->refused++;
    free_slot(s, c);
  } else if (must(s, rc, "ccenter_contact_enqueue", id) == 0) {
    if (c->tracked)
      s->in_progress++;
    run_immediate(s);
    c = &s->c[slot];
    if (c->gen == gen && (c->state == C_WAITING || c->state == C_OFFERED) && c->patience_s >= 0)
      sim_heap_push(&s->heap, t + llround(c->patience_s * SIM_MS_PER_S), SEV_ABANDON, slot, gen,
                    0);
  }
  next_arrival(s, si);
}

static void agent_action(sim_t *s, const sim_ev *ev)
{
  agent_rec *a = &s->ag[ev->a];
  const char *name = a->sc->name;
  int rc;
  switch (ev->kind) {
  case SEV_LOGIN:
    rc = ccenter_agent_login(s->e, name, s->now);
    s->res->engine_calls++;
    if (rc == CCENTER_ESTATE) {
      /* Still logged in: the previous shift's logout is pending (a long last call). */
      fprintf(stderr, "ccenter-sim: warning: agent %s starts a shift while still logged in\n",
              name);
      break;
    }
    if (must(s, rc, "ccenter_agent_login", name) == 0)
      must(s, ccenter_agent_ready(s->e, name, s->now), "ccenter_agent_ready", name);
    break;
  case SEV_LOGOUT:
    rc = ccenter_agent_logout(s->e, name, s->now);
    s->res->engine_calls++;
    if (rc != CCENTER_ESTATE)
      must(s, rc, "ccenter_agent_logout", name);
    break;
  case SEV_BREAK:
    rc = ccenter_agent_not_ready(s->e, name, a->sc->breaks[ev->b].reason, s->now);
    s->res->engine_calls++;
    if (rc != CCENTER_ESTATE)
      must(s, rc, "ccenter_agent_not_ready", name);
    break;
  case SEV_BACK:
    rc = ccenter_agent_ready(s->e, name, s->now);
    s->res->engine_calls++;
    if (rc != CCENTER_ESTATE)
      must(s, rc, "ccenter_agent_ready", name);
    break;
  default:
    break;
  }
}

static void case_action(sim_t *s, const sim_ev *ev)
{
  const char *agent = s->ag[ev->a].sc->name;
  int rc = ev->kind == SEV_CONTAIN ? sim_cases_contain(s->cases, ev->c, ev->b, agent, s->now)
                                   : sim_cases_close(s->cases, ev->c, ev->b, agent, s->now);
  if (rc)
    s->failed = 1;
}

static void contact_action(sim_t *s, const sim_ev *ev)
{
  contact_rec *c = &s->c[ev->a];
  if (c->gen != ev->b)
    return;
  const char *id = contact_id(s, ev->a);
  switch (ev->kind) {
  case SEV_END:
    if (c->state == C_CONNECTED)
      must(s, ccenter_contact_end(s->e, id, CCENTER_PARTY_UNKNOWN, s->now), "ccenter_contact_end", id);
    break;
  case SEV_ABANDON:
    if (c->state == C_WAITING || c->state == C_OFFERED)
      must(s, ccenter_contact_abandon(s->e, id, s->now), "ccenter_contact_abandon", id);
    break;
  default:
    break;
  }
}

/* ---------------------------------------------------------------------------------- */
/* Set-up                                                                              */

/* Sets a queue option given in the scenario (value >= 0; -1 = not given). */
static int set_opt(sim_t *s, const sc_queue *q, ccenter_queue_option opt, int64_t v,
                   const char *name)
{
  if (v < 0)
    return 0;
  char what[64];
  snprintf(what, sizeof what, "ccenter_queue_set(%s)", name);
  return must(s, ccenter_queue_set(s->e, q->name, opt, v, s->sc->start_ms), what, q->name) ? -1
                                                                                           : 0;
}

/* The event types on_event needs for this run. */
static uint64_t event_mask(const sim_t *s)
{
  uint64_t m = CCENTER_EVENT_BIT(CCENTER_EV_AGENT_STATE) |
               CCENTER_EVENT_BIT(CCENTER_EV_CONTACT_OFFERED) |
               CCENTER_EVENT_BIT(CCENTER_EV_OFFER_WITHDRAWN) |
               CCENTER_EVENT_BIT(CCENTER_EV_CONTACT_CONNECTED) |
               CCENTER_EVENT_BIT(CCENTER_EV_CONTACT_OVERFLOWED) |
               CCENTER_EVENT_BIT(CCENTER_EV_WRAP_UP_ENDED) |
               CCENTER_EVENT_BIT(CCENTER_EV_CONTACT_ENDED);
  if (s->ewt)
    m |= CCENTER_EVENT_BIT(CCENTER_EV_CONTACT_QUEUED);
  if (s->check)
    m |= CCENTER_EVENT_BIT(CCENTER_EV_STEP);
  return m;
}

static int setup_engine(sim_t *s)
{
  const scenario *sc = s->sc;
  ccenter_options *o = ccenter_options_new();
  if (!o) {
    fprintf(stderr, "ccenter-sim: out of memory\n");
    return -1;
  }
  ccenter_options_set_event_callback(o, on_event, s);
  /* No output of ccenter-sim reads the engine's statistics (ccenter_stats_*, the KPIs, the
   * queue_log export): its reports come from its own counters, kept from the events. So
   * the engine runs without them, which saves about a fifth of the CPU time (M/M/50). An
   * output that reads them would turn them on when it is asked for. */
  ccenter_options_set_statistics(o, 0);
  /* Nothing else reads the events either, so the engine builds only the types on_event
   * uses (docs/concepts.md, "Receiving only some event types"); CONTACT_QUEUED only when an
   * output reports the EWT, STEP only for the routing check. */
  ccenter_options_set_event_mask(o, event_mask(s));
  int rc = ccenter_engine_new(o, sc->start_ms, &s->e);
  ccenter_options_free(o);
  if (must(s, rc, "ccenter_engine_new", NULL))
    return -1;
  int64_t t = sc->start_ms;
  /* Off as they are, the engine's statistics are given the simulator's interval and
   * short-abandon rule (the engine checks their ranges), so that turning them on for an
   * output would count as the simulator does. */
  if (sc->interval_ms <= 86400000 &&
      must(s, ccenter_engine_set(s->e, CCENTER_ENGINE_STATS_INTERVAL, sc->interval_ms, t),
           "ccenter_engine_set(STATS_INTERVAL)", NULL))
    return -1;
  if (must(s, ccenter_engine_set(s->e, CCENTER_ENGINE_SHORT_ABANDON, s->short_ms, t),
           "ccenter_engine_set(SHORT_ABANDON)", NULL))
    return -1;
  /* The random strategies draw from the engine's generator: seed it from the run's seed. */
  if (must(s, ccenter_engine_set(s->e, CCENTER_ENGINE_SEED, (int64_t)(sc->seed & INT64_MAX), t),
           "ccenter_engine_set(SEED)", NULL))
    return -1;
  for (size_t i = 0; i < sc->n_queues; i++) {
    const sc_queue *q = &sc->queues[i];
    if (must(s, ccenter_queue_add(s->e, q->name, NULL, t), "ccenter_queue_add", q->name))
      return -1;
    if (s->thr_ms[i] >= 1 && s->thr_ms[i] <= 86400000 &&
        must(s, ccenter_queue_set(s->e, q->name, CCENTER_QUEUE_SL_THRESHOLD, s->thr_ms[i], t),
             "ccenter_queue_set(SL_THRESHOLD)", q->name))
      return -1;
    if (q->wrap_up_ms >= 0 &&
        must(s, ccenter_queue_set(s->e, q->name, CCENTER_QUEUE_WRAP_UP, q->wrap_up_ms, t),
             "ccenter_queue_set(WRAP_UP)", q->name))
      return -1;
    if (q->ring_timeout_ms >= 0 &&
        must(s, ccenter_queue_set(s->e, q->name, CCENTER_QUEUE_RING_TIMEOUT, q->ring_timeout_ms,
                                  t),
             "ccenter_queue_set(RING_TIMEOUT)", q->name))
      return -1;
    if (q->max_length >= 0 &&
        must(s, ccenter_queue_set(s->e, q->name, CCENTER_QUEUE_MAX_LENGTH, q->max_length, t),
             "ccenter_queue_set(MAX_LENGTH)", q->name))
      return -1;
    if (set_opt(s, q, CCENTER_QUEUE_STRATEGY, q->strategy, "STRATEGY") ||
        set_opt(s, q, CCENTER_QUEUE_RING_EVERY, q->ring_every_ms, "RING_EVERY") ||
        set_opt(s, q, CCENTER_QUEUE_RESERVE_WAIT, q->reserve_wait_ms, "RESERVE_WAIT") ||
        set_opt(s, q, CCENTER_QUEUE_RESERVE_EWT, q->reserve_ewt_ms, "RESERVE_EWT") ||
        set_opt(s, q, CCENTER_QUEUE_RESERVE_SL, q->reserve_sl_bp, "RESERVE_SL") ||
        set_opt(s, q, CCENTER_QUEUE_STICKY_WINDOW, q->sticky_ms, "STICKY_WINDOW") ||
        set_opt(s, q, CCENTER_QUEUE_AGEING, q->ageing_ms, "AGEING") ||
        set_opt(s, q, CCENTER_QUEUE_PREFERRED_TIMEOUT, q->preferred_timeout_ms,
                "PREFERRED_TIMEOUT"))
      return -1;
    for (size_t k = 0; k < q->n_steps; k++)
      if (must(s, ccenter_queue_add_step(s->e, q->name, q->steps[k].req, q->steps[k].duration_ms,
                                         t),
               "ccenter_queue_add_step", q->name))
        return -1;
    if (q->max_wait_ms > 0) {
      if (must(s, ccenter_queue_set(s->e, q->name, CCENTER_QUEUE_MAX_WAIT, q->max_wait_ms, t),
               "ccenter_queue_set(MAX_WAIT)", q->name) ||
          must(s, ccenter_queue_set(s->e, q->name, CCENTER_QUEUE_MAX_WAIT_ACTION,
                                    q->max_wait_action, t),
               "ccenter_queue_set(MAX_WAIT_ACTION)", q->name))
        return -1;
    }
  }
  for (size_t i = 0; i < sc->n_queues; i++) {
    const sc_queue *q = &sc->queues[i];
    if (q->overflow && must(s, ccenter_queue_set_overflow(s->e, q->name, q->overflow, t),
                            "ccenter_queue_set_overflow", q->name))
      return -1;
  }
  for (size_t i = 0; i < sc->n_agents; i++) {
    const sc_agent *a = &sc->agents[i];
    agent_rec *r = &s->ag[i];
    r->sc = a;
    r->presence = CCENTER_AGENT_LOGGED_OUT;
    r->last_t = t;
    r->ring_delay = a->ring_delay_ms >= 0 ? a->ring_delay_ms : sc->ring_delay_ms;
    if (must(s, ccenter_agent_add(s->e, a->name, r, t), "ccenter_agent_add", a->name))
      return -1;
    for (size_t k = 0; k < a->n_skills; k++)
      if (must(s, ccenter_agent_set_skill(s->e, a->name, a->skills[k].name, a->skills[k].level, t),
               "ccenter_agent_set_skill", a->name))
        return -1;
    for (size_t k = 0; k < a->n_attrs; k++)
      if (must(s, ccenter_agent_set_attr(s->e, a->name, a->attrs[k].key, a->attrs[k].value, t),
               "ccenter_agent_set_attr", a->name))
        return -1;
    for (size_t k = 0; k < a->n_queues; k++) {
      const sc_profile *pr = &a->profile[k];
      const char *qn = sc->queues[a->queues[k]].name;
      int src = pr->priority || pr->delay_ms || pr->reserve
                 ? ccenter_agent_serve(s->e, a->name, qn, &(ccenter_serve_params){.size = sizeof(ccenter_serve_params), .priority = pr->priority, .delay_ms = pr->delay_ms, .reserve =
                                         pr->reserve}, t)
                 : ccenter_agent_serve(s->e, a->name, qn, NULL, t);
      if (must(s, src, "ccenter_agent_serve", a->name))
        return -1;
    }
    if (a->wrap_up_ms >= 0 &&
        must(s, ccenter_agent_set_wrap_up(s->e, a->name, a->wrap_up_ms, t),
             "ccenter_agent_set_wrap_up", a->name))
      return -1;
    for (size_t k = 0; k < a->n_shifts; k++) {
      sim_heap_push(&s->heap, a->shifts[k].from, SEV_LOGIN, (uint32_t)i, 0, 0);
      sim_heap_push(&s->heap, a->shifts[k].to, SEV_LOGOUT, (uint32_t)i, 0, 0);
    }
    for (size_t k = 0; k < a->n_breaks; k++) {
      sim_heap_push(&s->heap, a->breaks[k].from, SEV_BREAK, (uint32_t)i, (uint32_t)k, 0);
      sim_heap_push(&s->heap, a->breaks[k].to, SEV_BACK, (uint32_t)i, 0, 0);
    }
  }
  return 0;
}

/* The routing check's table: which agent meets which requirement (skills are fixed for
 * the run). -1 if a requirement cannot be evaluated here (then no check). */
static int setup_check(sim_t *s)
{
  const scenario *sc = s->sc;
  s->match = sim_xcalloc(sc->n_agents * (sc->n_reqs ? sc->n_reqs : 1), 1);
  for (size_t r = 0; r < sc->n_reqs; r++) {
    sim_req *req = sim_req_compile(sc->reqs[r]);
    if (!req) {
      fprintf(stderr, "ccenter-sim: warning: the routing check cannot read the requirement "
                      "\"%s\"; no check\n",
              sc->reqs[r]);
      return -1;
    }
    for (size_t a = 0; a < sc->n_agents; a++) {
      const sc_agent *ag = &sc->agents[a];
      s->match[a * sc->n_reqs + r] =
        (uint8_t)sim_req_match(req, ag->skills, ag->n_skills, ag->attrs, ag->n_attrs);
    }
    sim_req_free(req);
  }
  return 0;
}

static void alloc_results(const scenario *sc, sim_results *r)
{
  memset(r, 0, sizeof *r);
  r->n_queues = sc->n_queues;
  r->interval_origin_ms = sc->start_ms;
  r->interval_ms = sc->interval_ms;
  r->n_intervals = (size_t)((sc->end_ms - sc->start_ms + sc->interval_ms - 1) / sc->interval_ms);
  size_t cells = r->n_queues * r->n_intervals;
  r->q_total = sim_xcalloc(r->n_queues, sizeof *r->q_total);
  r->q_occ = sim_xcalloc(r->n_queues, sizeof *r->q_occ);
  r->q_int = sim_xcalloc(cells, sizeof *r->q_int);
  r->q_int_occ = sim_xcalloc(cells, sizeof *r->q_int_occ);
  r->model = sim_xcalloc(cells, sizeof *r->model);
  r->n_batches = sc->batches;
  r->b_counts = sim_xcalloc(r->n_batches, sizeof *r->b_counts);
  r->b_occ = sim_xcalloc(r->n_batches, sizeof *r->b_occ);
  r->q_ewt = sim_xcalloc(r->n_queues, sizeof *r->q_ewt);
  r->b_ewt = sim_xcalloc(r->n_batches, sizeof *r->b_ewt);
  r->n_cases = sc->n_cases;
  r->cases = sim_xcalloc(r->n_cases, sizeof *r->cases);
  for (size_t i = 0; i < r->n_cases; i++) {
    r->cases[i].b_met = sim_xcalloc(r->n_batches, sizeof *r->cases[i].b_met);
    r->cases[i].b_missed = sim_xcalloc(r->n_batches, sizeof *r->cases[i].b_missed);
  }
}

void sim_results_free(sim_results *r)
{
  free(r->q_total);
  free(r->q_occ);
  free(r->q_int);
  free(r->q_int_occ);
  free(r->model);
  free(r->b_counts);
  free(r->b_occ);
  free(r->q_ewt);
  free(r->b_ewt);
  for (size_t i = 0; i < r->n_cases; i++) {
    free(r->cases[i].b_met);
    free(r->cases[i].b_missed);
  }
  free(r->cases);
  memset(r, 0, sizeof *r);
}

/* The heap whose earliest event comes first, by time and then insertion order; NULL when
 * both are empty. */
static sim_heap *next_heap(sim_t *s)
{
  const sim_ev *x = sim_heap_top(&s->heap), *y = sim_heap_top(&s->arr);
  if (!y)
    return x ? &s->heap : NULL;
  if (!x)
    return &s->arr;
  return y->t < x->t || (y->t == x->t && y->seq < x->seq) ? &s->arr : &s->heap;
}

static double wall_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void progress(sim_t *s, const sim_run_opts *o, double t0, int final)
{
  double el = wall_now() - t0;
  double total = (double)(s->end - s->sc->start_ms);
  double done = (double)(s->now - s->sc->start_ms) / total;
  char b[32];
  fprintf(stderr, "\r%s: %s %5.1f%%, %llu contacts, %.0f contacts/s%s",
          o->label ? o->label : "ccenter-sim", sim_clock_str(s->now, b, sizeof b),
          100.0 * (done > 1 ? 1 : done), (unsigned long long)s->res->contacts,
          el > 0 ? (double)s->res->contacts / el : 0.0, final ? "\n" : "   ");
  fflush(stderr);
}

int sim_run(const scenario *sc, const sim_run_opts *o, sim_results *res)
{
  sim_t s;
  memset(&s, 0, sizeof s);
  s.sc = sc;
  s.res = res;
  alloc_results(sc, res);
  s.m0 = sc->start_ms + sc->warmup_ms;
  s.m1 = sc->end_ms;
  s.end = sc->end_ms;
  s.hard_end = sc->end_ms + sc->drain_ms;
  s.now = sc->start_ms;
  s.arr.seq_from = &s.heap.seq;
  s.bc_hi = s.ic_hi = INT64_MIN; /* no batch or interval found yet */
  s.short_ms = llround(sc->short_abandon_s * SIM_MS_PER_S);
  s.thr_ms = sim_xcalloc(sc->n_queues, sizeof *s.thr_ms);
  for (size_t i = 0; i < sc->n_queues; i++) {
    double thr = sc->queues[i].threshold_s >= 0 ? sc->queues[i].threshold_s : sc->threshold_s;
    s.thr_ms[i] = llround(thr * SIM_MS_PER_S);
  }
  s.ag = sim_xcalloc(sc->n_agents, sizeof *s.ag);
  for (size_t i = 0; i < sc->n_agents; i++)
    s.ag[i].sc = &sc->agents[i];
  s.ss = sim_xcalloc(sc->n_streams, sizeof *s.ss);
  for (size_t i = 0; i < sc->n_streams; i++) {
    const sc_stream *st = &sc->streams[i];
    s.ss[i].steps = sim_xcalloc(st->n_steps, sizeof *s.ss[i].steps);
    for (size_t k = 0; k < st->n_steps; k++)
      s.ss[i].steps[k] = (ccenter_step){st->steps[k].req, st->steps[k].duration_ms};
    ccenter_contact_params *p = &s.ss[i].params;
    ccenter_contact_params_init(p);
    p->priority = st->priority;
    p->emergency = st->emergency;
    if (st->n_steps) {
      p->steps = s.ss[i].steps;
      p->n_steps = st->n_steps;
    }
    if (st->n_preferred) {
      p->preferred = (const char *const *)st->preferred;
      p->n_preferred = st->n_preferred;
      p->preferred_timeout_ms = st->preferred_timeout_ms;
    }
  }
  s.ewt = o && o->ewt;
  if (o && o->check_routing && setup_check(&s) == 0) {
    s.check = 1;
    res->routing_checked = 1;
  }

  s.q_cases = sim_xcalloc(sc->n_queues, sizeof *s.q_cases);
  for (size_t i = 0; i < sc->n_queues; i++)
    s.q_cases[i] = -1;
  for (size_t i = 0; i < sc->n_cases; i++)
    s.q_cases[sc->cases[i].queue] = (int32_t)i;

  double t0 = wall_now(), last = t0;
  int rc = setup_engine(&s);
  if (rc == 0 && sc->n_cases && !(s.cases = sim_cases_new(sc, res, sc->start_ms)))
    rc = -1;
  if (rc == 0) {
    for (size_t i = 0; i < sc->n_streams; i++) {
      stream_state *ss = &s.ss[i];
      sim_rng_seed(&ss->arr, sc->seed, 3 * i + 1);
      sim_rng_seed(&ss->handle, sc->seed, 3 * i + 2);
      sim_rng_seed(&ss->patience, sc->seed, 3 * i + 3);
      sim_rng_seed(&ss->customer, sc->seed, UINT64_C(1000000) + i);
      ss->t = (double)sc->start_ms / SIM_MS_PER_S;
      ss->stop_ms = sc->continue_arrivals ? s.hard_end : sc->end_ms;
      next_arrival(&s, i);
    }
    uint64_t iter = 0;
    while (!s.failed) {
      int64_t te = ccenter_engine_next_deadline(s.e);
      sim_heap *h = next_heap(&s);
      int64_t th = h ? sim_heap_top(h)->t : SIM_INF_TIME;
      int64_t tc = s.cases ? sim_cases_next(s.cases) : SIM_INF_TIME;
      int64_t t = te < th ? te : th;
      if (tc < t)
        t = tc;
      if (t >= SIM_INF_TIME || t > s.hard_end)
        break;
      if (t >= s.end && s.in_progress == 0)
        break;
      if (tc == t) {
        /* The case engine's timers up to t fire before anything else at t; they touch
         * neither the routing engine nor the simulator's contacts. */
        s.now = tc;
        if (sim_cases_advance(s.cases, tc))
          s.failed = 1;
        continue;
      }
      if (te <= th) {
        s.now = te;
        must(&s, ccenter_engine_advance(s.e, te), "ccenter_engine_advance", NULL);
        run_immediate(&s);
      } else {
        sim_ev ev;
        sim_heap_pop(h, &ev);
        s.now = ev.t;
        switch (ev.kind) {
        case SEV_ARRIVAL:
          arrival(&s, ev.a);
          break;
        case SEV_ACCEPT:
          answer(&s, ev.a, ev.b);
          break;
        case SEV_END:
        case SEV_ABANDON:
          contact_action(&s, &ev);
          break;
        case SEV_CONTAIN:
        case SEV_CASE_CLOSE:
          case_action(&s, &ev);
          break;
        default:
          agent_action(&s, &ev);
          break;
        }
        run_immediate(&s);
      }
      if (s.check)
        check_waiting(&s);
      if (o && o->progress && (++iter & 0xfff) == 0) {
        double w = wall_now();
        if (w - last >= 0.5) {
          last = w;
          progress(&s, o, t0, 0);
        }
      }
    }
    /* The last contact's end leaves its case's close on the heap at the time the run
     * stopped: take it (anything else due then no longer matters). */
    while (s.cases && !s.failed && sim_heap_top_time(&s.heap) <= s.now) {
      sim_ev ev;
      sim_heap_pop(&s.heap, &ev);
      if (ev.kind == SEV_CONTAIN || ev.kind == SEV_CASE_CLOSE)
        case_action(&s, &ev);
    }
    /* Close the occupancy books at the time the run stopped. */
    for (size_t i = 0; i < sc->n_agents; i++)
      account(&s, &s.ag[i], s.now);
    res->in_progress = s.in_progress;
    res->last_time_ms = s.now;
    if (s.cases && !s.failed && sim_cases_finish(s.cases, s.now, s.in_progress == 0))
      s.failed = 1;
    if (s.failed)
      rc = -1;
  }
  res->wall_s = wall_now() - t0;
  if (o && o->progress && rc == 0)
    progress(&s, o, t0, 1);

  ccenter_engine_free(s.e);
  sim_cases_free(s.cases);
  free(s.q_cases);
  sim_heap_free(&s.heap);
  sim_heap_free(&s.arr);
  free(s.c);
  free(s.free_slots);
  free(s.ag);
  for (size_t i = 0; i < sc->n_streams; i++)
    free(s.ss[i].steps);
  free(s.ss);
  free(s.match);
  free(s.imm);
  free(s.thr_ms);
  return rc;
}
