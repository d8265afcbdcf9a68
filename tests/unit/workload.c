/*
 * The store tests' workload (workload.h). Each step draws from its own generator seeded by
 * (seed, step), so a world can start at any step (wl_seek) and still make the calls an
 * uninterrupted one would.
 */
#include "workload.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ccenter/store.h"

#include "acd/engine_int.h"

#define N_QUEUES 2
#define N_AGENTS 6
#define N_CONTACTS 24
#define N_CASES 8

static const char *const queues[N_QUEUES] = {"q0", "q1"};
static const char *const agents[N_AGENTS] = {"a0", "a1", "a2", "a3", "a4", "a5"};
static const char *const cases_ids[N_CASES] = {"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"};
static const char *const wf_name = "uk-app-scam";

/* ---- text logs ---- */

int wl_lines_add(wl_lines *l, const char *s)
{
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 256;
    char **v = realloc(l->v, cap * sizeof *v);
    if (!v) {
      l->oom = 1;
      return CCENTER_ENOMEM;
    }
    l->v = v;
    l->cap = cap;
  }
  char *c = strdup(s);
  if (!c) {
    l->oom = 1;
    return CCENTER_ENOMEM;
  }
  l->v[l->n++] = c;
  return 0;
}

void wl_lines_free(wl_lines *l)
{
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i]);
  free(l->v);
  memset(l, 0, sizeof *l);
}

/* A growing string. */
typedef struct sbuf {
  char *p;
  size_t len, cap;
  int oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
  if (b->oom)
    return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
      b->oom = 1;
      return;
    }
    if (b->p && b->len + (size_t)n < b->cap) {
      b->len += (size_t)n;
      return;
    }
    size_t cap = (b->cap ? b->cap : 1024);
    while (cap <= b->len + (size_t)n)
      cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
      b->oom = 1;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
}

#define S(x) ((x) ? (x) : "-")

static void on_event(ccenter_engine *e, const ccenter_event *ev, void *ud)
{
  (void)e;
  wl_world *w = ud;
  char buf[1024];
  snprintf(buf, sizeof buf,
           "%s %s t=%lld a=%s c=%s q=%s qt=%s at=%s r=%s cu=%s ch=%d st=%d ps=%d o=%d p=%d "
           "pr=%d pos=%d op=%d step=%d sc=%d sv=%d w=%lld d=%lld ewt=%lld rt=%lld th=%lld "
           "se=%lld",
           ccenter_event_name(ev->type), ccenter_cause_name(ev->cause), (long long)ev->time,
           S(ev->agent), S(ev->contact), S(ev->queue), S(ev->queue_to), S(ev->agent_to),
           S(ev->reason), S(ev->customer), (int)ev->channel, (int)ev->state,
           (int)ev->prev_state, (int)ev->outcome, (int)ev->party, ev->priority, ev->position,
           ev->orig_position, ev->step, ev->score, ev->serving, (long long)ev->wait_ms,
           (long long)ev->duration_ms, (long long)ev->ewt_ms, (long long)ev->ring_timeout_ms,
           (long long)ev->threshold_ms, (long long)ev->session_ms);
  (void)wl_lines_add(&w->rev, buf);
}

static void on_case_event(ccenter_cases *ce, const ccenter_case_event *e, void *ud)
{
  (void)ce;
  wl_world *w = ud;
  char buf[1024];
  snprintf(buf, sizeof buf,
           "%llu %s t=%lld %s wf=%s %s>%s tr=%s tm=%s ac=%s by=%s ro=%s re=%s out=%s f=%s "
           "c=%s dl=%lld el=%lld n=%u",
           (unsigned long long)e->seq, ccenter_case_event_name(e->type), (long long)e->time,
           S(e->case_id), S(e->workflow), S(e->from), S(e->to), S(e->transition), S(e->timer),
           S(e->action), S(e->actor), S(e->role), S(e->reason), S(e->outcome), S(e->field),
           S(e->contact), (long long)e->deadline, (long long)e->elapsed_ms, e->count);
  (void)wl_lines_add(&w->cev, buf);
}

/* ---- world ---- */

/* The GB-EAW-2026 calendar and the uk-app-scam workflow, read once from the shipped
 * files ($CCENTER_DATA_DIR, as the other suites), so that a missing file is told apart
 * from the store's CCENTER_EIO. */
static ccenter_calendar *the_cal;
static ccenter_workflow *the_wf;

static int load_data(void)
{
  if (the_cal && the_wf)
    return 0;
  const char *dir = getenv("CCENTER_DATA_DIR");
  char path[1024];
  ccenter_parse_error err = {.size = sizeof err};
  snprintf(path, sizeof path, "%s/calendars/gb-eaw-2026.cal", dir ? dir : "data");
  int rc = the_cal ? 0 : ccenter_calendar_load_file(NULL, path, &the_cal, &err);
  if (rc) {
    fprintf(stderr, "workload: %s: %s\n", path, err.message);
    return rc;
  }
  snprintf(path, sizeof path, "%s/workflows/uk-app-scam.wf", dir ? dir : "data");
  rc = ccenter_workflow_load_file(NULL, path, &the_wf, &err);
  if (rc)
    fprintf(stderr, "workload: %s: %s\n", path, err.message);
  return rc;
}

void wl_init(wl_world *w, uint64_t seed)
{
  memset(w, 0, sizeof *w);
  w->seed = seed;
  w->now = WL_T0;
}

void wl_free(wl_world *w)
{
  ccenter_engine_free(w->e);
  ccenter_cases_free(w->ce);
  wl_lines_free(&w->rev);
  wl_lines_free(&w->cev);
  w->e = NULL;
  w->ce = NULL;
}

ccenter_options *wl_options(wl_world *w)
{
  ccenter_options *o = ccenter_options_new();
  if (o && ccenter_options_set_event_callback(o, on_event, w) != 0) {
    ccenter_options_free(o);
    return NULL;
  }
  return o;
}

int wl_attach_cases(wl_world *w, ccenter_cases *ce)
{
  const ccenter_case_event *e;
  while ((e = ccenter_cases_next_event(ce)) != NULL)
    on_case_event(ce, e, w);
  w->ce = ce;
  return ccenter_cases_set_event_callback(ce, on_case_event, w);
}

int wl_create_plain(wl_world *w)
{
  int rc = load_data();
  if (rc)
    return rc;
  ccenter_options *o = wl_options(w);
  if (!o)
    return CCENTER_ENOMEM;
  rc = ccenter_engine_new(o, WL_T0, &w->e);
  ccenter_options_free(o);
  if (rc)
    return rc;
  ccenter_cases *ce = NULL;
  rc = ccenter_cases_new(NULL, WL_T0, &ce);
  if (rc)
    return rc;
  rc = ccenter_cases_set_audit_key(ce, WL_KEY, WL_KEY_LEN);
  if (rc == 0)
    rc = wl_attach_cases(w, ce);
  if (rc)
    ccenter_cases_free(ce);
  return rc;
}

/* ---- the steps ---- */

static uint64_t mix(uint64_t *x)
{
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Step k's generator, and the time it adds: mostly under 1.5 s (offers ring 15 s), one step
 * in 40 up to 3 h later (wrap-ups, SLA and case timers expire, business days pass). */
static uint64_t gen_for(uint64_t seed, uint64_t k)
{
  uint64_t x = seed ^ (k * 0xD6E8FEB86659FD93ull);
  (void)mix(&x);
  return x;
}

static int64_t dt_of(uint64_t *x)
{
  int64_t d = (int64_t)(mix(x) % 1500);
  if (mix(x) % 40 == 0)
    d += (int64_t)(mix(x) % (3 * 3600 * 1000));
  return d;
}

void wl_seek(wl_world *w, uint64_t k)
{
  w->now = WL_T0;
  for (uint64_t i = 0; i < k; i++) {
    uint64_t x = gen_for(w->seed, i);
    w->now += dt_of(&x);
  }
  w->step = k;
}

static int setup_step(wl_world *w, uint64_t k, int64_t t)
{
  ccenter_engine *e = w->e;
  w->last_cases = k <= 4;
  switch (k) {
  case 0: return ccenter_cases_add_calendar(w->ce, the_cal, t);
  case 1: return ccenter_cases_add_workflow(w->ce, the_wf, t);
  case 2: return ccenter_cases_set_actor(w->ce, "alice", "agent", t);
  case 3: return ccenter_cases_set_actor(w->ce, "bob", "agent,supervisor", t);
  case 4: return ccenter_cases_set_actor(w->ce, "carol", "supervisor", t);
  case 5: case 6: return ccenter_queue_add(e, queues[k - 5], NULL, t);
  case 7: return ccenter_engine_set(e, CCENTER_ENGINE_REJECT_DELAY, 4000, t);
  default: break;
  }
  if (k < 8 + N_AGENTS)
    return ccenter_agent_add(e, agents[k - 8], NULL, t);
  if (k < 8 + 2 * N_AGENTS) {
    size_t a = k - 8 - N_AGENTS;
    return ccenter_agent_serve(e, agents[a], queues[a % N_QUEUES], NULL, t);
  }
  return ccenter_agent_login(e, agents[k - 8 - 2 * N_AGENTS], t);
}

static int agent_step(wl_world *w, uint64_t *x, int64_t t)
{
  ccenter_engine *e = w->e;
  const char *a = agents[mix(x) % N_AGENTS];
  ccenter_agent_info ai = {.size = sizeof ai};
  int rc = ccenter_agent_info_get(e, a, t, &ai);
  if (rc)
    return ccenter_agent_login(e, a, t);
  unsigned u = (unsigned)(mix(x) % 100);
  switch (ai.state) {
  case CCENTER_AGENT_LOGGED_OUT:
    return u < 80 ? ccenter_agent_login(e, a, t) : ccenter_agent_set_wrap_up(e, a, 2000, t);
  case CCENTER_AGENT_NOT_READY:
    return u < 85 ? ccenter_agent_ready(e, a, t) : ccenter_agent_logout(e, a, t);
  default:
    if (u < 25)
      return ccenter_agent_not_ready(e, a, u & 1 ? "break" : NULL, t);
    if (u < 45) {
      ccenter_serve_params sp;
      ccenter_serve_params_init(&sp);
      sp.priority = (int)(mix(x) % 3);
      return ccenter_agent_serve(e, a, queues[mix(x) % N_QUEUES], u & 1 ? &sp : NULL, t);
    }
    if (u < 52)
      return ccenter_agent_unserve(e, a, queues[mix(x) % N_QUEUES], t);
    if (u < 60)
      return ccenter_agent_set_capacity(e, a, CCENTER_CHANNEL_CHAT, (unsigned)(mix(x) % 4),
                                        t);
    if (u < 66)
      return ccenter_agent_logout(e, a, t);
    if (u < 72)
      return ccenter_agent_set_skill(e, a, "english", (int)(mix(x) % 10), t);
    return ccenter_engine_advance(e, t);
  }
}

static int enqueue(wl_world *w, uint64_t *x, const char *c, int64_t t)
{
  static const char *const langs[] = {"en", "fr", ""};
  char cust[16];
  ccenter_contact_params p;
  ccenter_contact_params_init(&p);
  p.channel = mix(x) % 5 == 0 ? CCENTER_CHANNEL_CHAT : CCENTER_CHANNEL_VOICE;
  p.priority = (int)(mix(x) % 3);
  snprintf(cust, sizeof cust, "cust%u", (unsigned)(mix(x) % 10));
  if (mix(x) % 4)
    p.customer = cust;
  ccenter_attr attrs[2] = {{"lang", langs[mix(x) % 3]}, {"vip", "1"}};
  if (mix(x) % 3 == 0) {
    p.attrs = attrs;
    p.n_attrs = 1 + mix(x) % 2;
  }
  const char *pref[1] = {agents[mix(x) % N_AGENTS]};
  if (mix(x) % 6 == 0) {
    p.preferred = pref;
    p.n_preferred = 1;
    p.preferred_timeout_ms = 5000;
  }
  ccenter_step steps[2] = {{"english >= 3", 10000}, {"", 5000}};
  if (mix(x) % 8 == 0) {
    p.steps = steps;
    p.n_steps = 2;
  }
  p.emergency = mix(x) % 25 == 0;
  return ccenter_contact_enqueue(w->e, c, queues[mix(x) % N_QUEUES], &p, t);
}

static int contact_step(wl_world *w, uint64_t *x, int64_t t)
{
  ccenter_engine *e = w->e;
  char c[8];
  snprintf(c, sizeof c, "c%u", (unsigned)(mix(x) % N_CONTACTS));
  ccenter_contact_info ci = {.size = sizeof ci};
  if (ccenter_contact_info_get(e, c, t, &ci) != 0)
    return enqueue(w, x, c, t);
  unsigned u = (unsigned)(mix(x) % 100);
  const char *other = agents[mix(x) % N_AGENTS];
  /* The info's strings live until the next state-changing call: copy the agent. */
  char agent[8] = "";
  if (ci.agent)
    snprintf(agent, sizeof agent, "%s", ci.agent);
  switch (ci.state) {
  case CCENTER_CONTACT_WAITING:
    if (u < 25)
      return ccenter_contact_abandon(e, c, t);
    if (u < 35)
      return ccenter_contact_callback(e, c, t);
    if (u < 40)
      return ccenter_contact_remove(e, c, t);
    return agent_step(w, x, t);
  case CCENTER_CONTACT_OFFERED:
    if (u < 70)
      return ccenter_offer_accept(e, agent, c, t);
    if (u < 85)
      return ccenter_offer_reject(e, agent, c, t);
    return ccenter_offer_missed(e, agent, c, t);
  case CCENTER_CONTACT_CONNECTED:
    if (u < 35)
      return ccenter_contact_end(e, c, u & 1 ? CCENTER_PARTY_CUSTOMER : CCENTER_PARTY_AGENT, t);
    if (u < 45)
      return ccenter_contact_hold(e, c, t);
    if (u < 55)
      return ccenter_contact_resume(e, c, t);
    if (u < 62)
      return ccenter_contact_transfer_queue(e, c, queues[mix(x) % N_QUEUES], t);
    if (u < 69)
      return ccenter_contact_transfer_agent(e, c, other, t);
    if (u < 73)
      return ccenter_contact_requeue(e, c, t);
    if (u < 82)
      return ccenter_contact_consult_start(e, c, other, t);
    if (u < 88)
      return ccenter_offer_accept(e, other, c, t); /* answers a consultation */
    if (u < 94)
      return ccenter_contact_consult_complete(e, c, t);
    return ccenter_contact_consult_cancel(e, c, t);
  default: /* WRAP_UP */
    if (u < 30)
      return ccenter_contact_disposition(e, c, u & 1 ? "sale" : "no-sale", t);
    if (u < 45)
      return ccenter_contact_survey(e, c, (int)(mix(x) % 101), t);
    if (u < 55)
      return ccenter_agent_wrap_up_extend(e, agent, c, 1000, t);
    return ccenter_agent_wrap_up_end(e, agent, c, t);
  }
}

static int misc_step(wl_world *w, uint64_t *x, int64_t t)
{
  ccenter_engine *e = w->e;
  const char *q = queues[mix(x) % N_QUEUES];
  switch (mix(x) % 6) {
  case 0: {
    int64_t th[3] = {10000, 20000, 30000 + (int64_t)(mix(x) % 1000)};
    return ccenter_queue_set_thresholds(e, q, th, 1 + mix(x) % 3, t);
  }
  case 1: return ccenter_queue_set(e, q, CCENTER_QUEUE_WRAP_UP, (int64_t)(mix(x) % 3) * 3000, t);
  case 2: return ccenter_queue_set(e, q, CCENTER_QUEUE_MAX_WAIT, (int64_t)(mix(x) % 2) * 90000, t);
  case 3: return ccenter_queue_set_overflow(e, q, mix(x) & 1 ? NULL : queues[q == queues[0]], t);
  case 4: return ccenter_engine_set(e, CCENTER_ENGINE_SEED, (int64_t)(mix(x) % 1000), t);
  default: return ccenter_engine_advance(e, t);
  }
}

static int case_step(wl_world *w, uint64_t *x, int64_t t)
{
  ccenter_cases *ce = w->ce;
  const char *k = cases_ids[mix(x) % N_CASES];
  const char *maker = mix(x) & 1 ? "alice" : "bob";
  const char *checker = mix(x) & 1 ? "carol" : "bob";
  unsigned u = (unsigned)(mix(x) % 100);
  ccenter_case_info ci = {.size = sizeof ci};
  if (ccenter_case_info_get(ce, k, &ci) != 0)
    return u < 80 ? ccenter_case_open(ce, k, wf_name, maker, NULL, t)
                  : ccenter_cases_advance(ce, t);
  if (ci.closed)
    return u < 50 ? ccenter_case_forget(ce, k, t) : ccenter_cases_advance(ce, t);
  if (ci.proposal) {
    if (u < 50)
      return ccenter_case_approve(ce, k, checker, "ok", t);
    if (u < 75)
      return ccenter_case_reject(ce, k, checker, u & 1 ? "no" : NULL, t);
    return ccenter_cases_advance(ce, t);
  }
  ccenter_case_input in;
  ccenter_case_input_init(&in);
  ccenter_case_evidence ev[2] = {{"claim_statement", "doc-1"}, {"decline_reason", "r\t2"}};
  if (mix(x) % 4) {
    in.evidence = ev;
    in.n_evidence = 1 + mix(x) % 2;
  }
  if (mix(x) % 3 == 0)
    in.reason = u & 1 ? "customer called" : "";
  char cn[8];
  snprintf(cn, sizeof cn, "c%u", (unsigned)(mix(x) % N_CONTACTS));
  if (!strcmp(ci.state, "CLAIM_RECEIVED")) {
    if (u < 25)
      return ccenter_case_set_int(ce, k, maker, "in_time", (int64_t)(mix(x) % 4 != 0), t);
    if (u < 45)
      return ccenter_case_set_int(ce, k, maker, "payment_at",
                                  t - (int64_t)(mix(x) % (20ull * 86400000)), t);
    if (u < 85)
      return ccenter_case_transition(ce, k, "accept", maker, &in, t);
    if (u < 90)
      return ccenter_case_link_contact(ce, k, cn, maker, t);
    return ccenter_case_transition(ce, k, "ineligible", maker, &in, t);
  }
  if (!strcmp(ci.state, "ASSESSING")) {
    if (u < 20)
      return ccenter_case_set_money(ce, k, maker, "refund", (int64_t)(mix(x) % 5) * 100000,
                                    "GBP", t);
    if (u < 30)
      return ccenter_case_set_money(ce, k, maker, "excess", (int64_t)(mix(x) % 3) * 5000,
                                    "GBP", t);
    if (u < 38)
      return ccenter_case_set_int(ce, k, maker, "vulnerable", (int64_t)(mix(x) & 1), t);
    if (u < 52)
      return ccenter_case_transition(ce, k, "request_info", maker, &in, t);
    if (u < 75)
      return ccenter_case_transition(ce, k, u & 1 ? "reimburse" : "reimburse_vulnerable",
                                     maker, &in, t);
    if (u < 85)
      return ccenter_case_transition(ce, k, "decline", maker, &in, t);
    if (u < 90)
      return ccenter_case_link_contact(ce, k, cn, maker, t);
    return ccenter_cases_advance(ce, t);
  }
  /* AWAIT_INFO */
  if (u < 60)
    return ccenter_case_transition(ce, k, "info_received", maker, &in, t);
  return ccenter_cases_advance(ce, t);
}

int wl_step(wl_world *w)
{
  uint64_t k = w->step++;
  uint64_t x = gen_for(w->seed, k);
  int64_t t = (w->now += dt_of(&x));
  if (k < WL_SETUP)
    return setup_step(w, k, t);
  unsigned u = (unsigned)(mix(&x) % 100);
  w->last_cases = u < 22;
  if (u < 22)
    return case_step(w, &x, t);
  if (u < 32)
    return agent_step(w, &x, t);
  if (u < 36)
    return misc_step(w, &x, t);
  return contact_step(w, &x, t);
}

/* ---- comparing worlds ---- */

static void dump_routing(sbuf *b, const ccenter_engine *e, int64_t t)
{
  const char *bad = cc_engine_check(e);
  sb_printf(b, "routing now=%lld next=%lld check=%s\n", (long long)ccenter_engine_now(e),
            (long long)ccenter_engine_next_deadline(e), S(bad));
  for (size_t i = 0; i < N_QUEUES; i++) {
    ccenter_queue_info qi = {.size = sizeof qi};
    int rc = ccenter_queue_info_get(e, queues[i], t, &qi);
    sb_printf(b, "%s rc=%d w=%u o=%u m=%u li=%u r=%u lw=%lld ewt=%lld old=%s\n", queues[i], rc,
              qi.waiting, qi.offered, qi.members, qi.members_logged_in, qi.members_ready,
              (long long)qi.longest_wait_ms, (long long)qi.ewt_ms, S(qi.oldest));
  }
  for (size_t i = 0; i < N_AGENTS; i++) {
    ccenter_agent_info ai = {.size = sizeof ai};
    int rc = ccenter_agent_info_get(e, agents[i], t, &ai);
    sb_printf(b, "%s rc=%d st=%d r=%s p=%s ss=%lld is=%lld o=%u c=%u wu=%u ch=%u,%u m=%u h=%u "
                 "ca=%d ps=%d pc=%d ms=%lld\n",
              agents[i], rc, (int)ai.state, S(ai.reason), S(ai.pending),
              (long long)ai.state_since, (long long)ai.idle_since, ai.offered, ai.connected,
              ai.wrap_up, ai.in_channel[CCENTER_CHANNEL_VOICE], ai.in_channel[CCENTER_CHANNEL_CHAT],
              ai.missed_in_row, ai.handled, (int)ai.cause, (int)ai.pending_state,
              (int)ai.pending_cause, (long long)ai.state_ms);
  }
  for (unsigned i = 0; i < N_CONTACTS; i++) {
    char c[8];
    snprintf(c, sizeof c, "c%u", i);
    ccenter_contact_info ci = {.size = sizeof ci};
    if (ccenter_contact_info_get(e, c, t, &ci) != 0) {
      sb_printf(b, "%s -\n", c);
      continue;
    }
    sb_printf(b, "%s st=%d ch=%d p=%d cb=%d h=%d q=%s a=%s cu=%s pos=%u at=%lld w=%lld ewt=%lld "
                 "lang=%s\n",
              c, (int)ci.state, (int)ci.channel, ci.priority, ci.is_callback, ci.on_hold,
              S(ci.queue), S(ci.agent), S(ci.customer), ci.position, (long long)ci.enqueued_at,
              (long long)ci.wait_ms, (long long)ci.ewt_ms, S(ccenter_contact_attr(e, c, "lang")));
  }
}

static void dump_cases(sbuf *b, const ccenter_cases *ce)
{
  ccenter_audit_head h;
  memset(&h, 0, sizeof h);
  int hrc = ccenter_cases_audit_head(ce, &h);
  sb_printf(b, "cases now=%lld next=%lld open=%zu count=%zu head=%d:%llu:",
            (long long)ccenter_cases_now(ce), (long long)ccenter_cases_next_deadline(ce),
            ccenter_cases_open_count(ce), ccenter_cases_count(ce), hrc,
            (unsigned long long)h.seq);
  for (size_t i = 0; i < sizeof h.hash; i++)
    sb_printf(b, "%02x", h.hash[i]);
  sb_printf(b, "\n");
  ccenter_workflow_stats ws = {.size = sizeof ws};
  int src = ccenter_workflow_stats_get(ce, wf_name, &ws);
  sb_printf(b, "stats rc=%d %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu\n", src,
            (unsigned long long)ws.opened, (unsigned long long)ws.closed,
            (unsigned long long)ws.open, (unsigned long long)ws.golden_met,
            (unsigned long long)ws.golden_missed, (unsigned long long)ws.warnings,
            (unsigned long long)ws.deadlines_missed, (unsigned long long)ws.proposals,
            (unsigned long long)ws.approved, (unsigned long long)ws.rejected,
            (unsigned long long)ws.expired, (unsigned long long)ws.actions);
  for (size_t i = 0; i < N_CASES; i++) {
    const char *k = cases_ids[i];
    ccenter_case_info ci = {.size = sizeof ci};
    if (ccenter_case_info_get(ce, k, &ci) != 0) {
      sb_printf(b, "%s -\n", k);
      continue;
    }
    int64_t v1 = -1, v2 = -1, m = -1, dl = -1;
    char cur[4] = "";
    (void)ccenter_case_get_int(ce, k, "in_time", &v1);
    (void)ccenter_case_get_int(ce, k, "payment_at", &v2);
    (void)ccenter_case_get_money(ce, k, "refund", &m, cur);
    (void)ccenter_case_timer_deadline(ce, k, "reimburse_due", &dl);
    sb_printf(b, "%s %s %s %s %d %lld %lld %lld %s %s %lld %lld %zu c0=%s f=%lld,%lld,%lld%s "
                 "dl=%lld\n",
              k, S(ci.workflow), S(ci.state), S(ci.outcome), ci.closed, (long long)ci.opened_at,
              (long long)ci.state_since, (long long)ci.contained_at, S(ci.proposal),
              S(ci.proposed_by), (long long)ci.proposal_expires, (long long)ci.next_deadline,
              ci.contacts, S(ccenter_case_contact(ce, k, 0)), (long long)v1, (long long)v2,
              (long long)m, cur, (long long)dl);
  }
}

static char *dump(const wl_world *w, int counts)
{
  sbuf b = {0};
  int64_t t = w->now;
  if (w->e) {
    if (ccenter_engine_now(w->e) > t)
      t = ccenter_engine_now(w->e);
    dump_routing(&b, w->e, t);
  }
  if (w->ce)
    dump_cases(&b, w->ce);
  if (counts)
    sb_printf(&b, "events %zu %zu\n", w->rev.n, w->cev.n);
  if (b.oom) {
    free(b.p);
    return NULL;
  }
  return b.p;
}

char *wl_dump(const wl_world *w)
{
  return dump(w, 1);
}

/* With tail, b's events are the last b->n of a's (b started from a snapshot). */
static int lines_diff(const char *what, const wl_lines *a, const wl_lines *b, int tail,
                      char *msg, size_t size)
{
  size_t n = a->n < b->n ? a->n : b->n;
  size_t off = tail && a->n >= b->n ? a->n - b->n : 0;
  for (size_t i = 0; i < n; i++)
    if (strcmp(a->v[off + i], b->v[i])) {
      snprintf(msg, size, "%s event %zu of %zu/%zu:\n  %s\n  %s", what, off + i, a->n, b->n,
               a->v[off + i], b->v[i]);
      return 1;
    }
  if ((!tail && a->n != b->n) || (tail && b->n > a->n) || a->oom || b->oom) {
    snprintf(msg, size, "%s events: %zu against %zu%s", what, a->n, b->n,
             a->oom || b->oom ? " (out of memory)" : "");
    return 1;
  }
  return 0;
}

static const char *diff(const wl_world *a, const wl_world *b, int tail)
{
  static char msg[4096];
  if (lines_diff("routing", &a->rev, &b->rev, tail, msg, sizeof msg) ||
      lines_diff("case", &a->cev, &b->cev, tail, msg, sizeof msg))
    return msg;
  char *da = dump(a, !tail), *db = dump(b, !tail);
  const char *r = NULL;
  if (!da || !db) {
    r = "out of memory";
  } else if (strcmp(da, db)) {
    /* Show the first line that differs. */
    size_t i = 0, ls = 0;
    while (da[i] && da[i] == db[i]) {
      if (da[i] == '\n')
        ls = i + 1;
      i++;
    }
    const char *ea = strchr(da + ls, '\n'), *eb = strchr(db + ls, '\n');
    snprintf(msg, sizeof msg, "state differs:\n  %.*s\n  %.*s",
             (int)(ea ? ea - (da + ls) : 200), da + ls, (int)(eb ? eb - (db + ls) : 200),
             db + ls);
    r = msg;
  }
  free(da);
  free(db);
  return r;
}

/* ---- with a store ---- */

int wl_store_engines(wl_world *w, ccenter_store *st, uint64_t k)
{
  int rc = load_data();
  if (rc)
    return rc;
  if (!w->e) {
    ccenter_options *o = wl_options(w);
    if (!o)
      return CCENTER_ENOMEM;
    rc = ccenter_store_engine_recover(st, "routing", o, &w->e);
    if (rc == CCENTER_ENOENT)
      rc = ccenter_store_engine_new(st, "routing", o, WL_T0, &w->e);
    ccenter_options_free(o);
    if (rc)
      return rc;
  }
  if (!w->ce) {
    ccenter_cases *ce = NULL;
    rc = ccenter_store_cases_recover(st, "cases", NULL, WL_KEY, WL_KEY_LEN, &ce);
    if (rc == CCENTER_ENOENT)
      rc = ccenter_store_cases_new(st, "cases", NULL, WL_T0, WL_KEY, WL_KEY_LEN, &ce);
    if (rc)
      return rc;
    rc = wl_attach_cases(w, ce);
    if (rc)
      return rc;
  }
  wl_seek(w, k);
  return 0;
}

int wl_tmpdir(char *dir, size_t size)
{
  const char *base = getenv("CC_STORE_TEST_DIR");
  if (!base || !*base)
    base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
  if (!base || !*base)
    base = "/tmp";
  if ((size_t)snprintf(dir, size, "%s/ccstore-XXXXXX", base) >= size)
    return -1;
  return mkdtemp(dir) ? 0 : -1;
}

int wl_rmdir(const char *dir)
{
  DIR *d = opendir(dir);
  if (!d)
    return -1;
  struct dirent *de;
  char p[1024];
  while ((de = readdir(d)) != NULL) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
    (void)unlink(p);
  }
  closedir(d);
  return rmdir(dir);
}

const char *wl_diff(const wl_world *a, const wl_world *b)
{
  return diff(a, b, 0);
}

const char *wl_diff_tail(const wl_world *a, const wl_world *b)
{
  return diff(a, b, 1);
}
