/*
 * ccenter-fraud-line: one scam victim's call, from the IVR to the callback, with the
 * routing engine and the case engine wired together through public calls only.
 *
 * Friday 9 October 2026, 09:00 in Shanghai. Mrs Li calls the bank's general line: she
 * has just transferred money to a "police officer" who is still on the phone with her.
 * The IVR hears "transfer" and "police", so the integrator opens a fraud case. From then
 * on the case decides and the integrator carries out what it asks (ACTION events):
 *
 *   route_emergency       the waiting call leaves the general queue and joins the fraud
 *                         queue in the emergency class (routed before every other caller)
 *   lock_channel ...      the agent's desktop does these; here they are printed
 *   call_back_customer    a callback to the customer in the fraud queue before the
 *                         action's deadline: its own routing steps ask for the fraud
 *                         skill first and widen to every member (supervisors too) 30
 *                         minutes before the deadline
 *   follow_up             the callback goes to the agent who took the first call
 *                         (preferred agent) when that agent is free in time
 *
 * Both engines run on the same virtual clock (ms since the epoch, UTC), so the output is
 * the same on every run and the story takes no time. Events are pulled from both queues
 * and handled one at a time; the desk's and the phones' own delays (an agent answers 3 s
 * after the ring, a call lasts so long) are kept in a small agenda the main loop runs in
 * time order together with the engines' deadlines.
 */
#include <ccenter/engine.h>
#include <ccenter/workflow.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC INT64_C(1000)
#define MIN (60 * SEC)
/* Fri 9 Oct 2026 09:00 UTC+8. */
#define T0 INT64_C(1791507600000)
#define NEVER CCENTER_NO_DEADLINE
/* Everything is set up, and g1 takes another call, a minute before Mrs Li calls. */
#define T_SETUP (T0 - MIN)

static ccenter_engine *eng;
static ccenter_cases *ce;

static void check(int rc, const char *what)
{
  if (rc < 0) {
    fprintf(stderr, "ccenter-fraud-line: %s: %s (%s)\n", what, ccenter_strerror(rc),
            ccenter_err_name(rc));
    exit(EXIT_FAILURE);
  }
}

static void stamp(int64_t t)
{
  int64_t s = (t - T0) / SEC + 9 * 3600; /* local time of day; the story is all on 9 Oct */
  printf("%02" PRId64 ":%02" PRId64 ":%02" PRId64 "  ", s / 3600, s / 60 % 60, s % 60);
}

/* ---------------------------------------------------------------------------------- */
/* The agenda: what the phones and the desks do, at their times                         */

typedef enum { DO_CALL, DO_IVR, DO_ACCEPT, DO_HANG_UP, DO_CASE } todo_kind;

typedef struct todo {
  int64_t at;
  todo_kind kind;
  char agent[32];
  char contact[32];
  char transition[32];
  const char *evidence_name;
  const char *evidence_ref;
} todo;

static todo agenda[64];
static size_t n_agenda;

static todo *plan(int64_t at, todo_kind kind)
{
  if (n_agenda == sizeof agenda / sizeof agenda[0]) {
    fprintf(stderr, "ccenter-fraud-line: agenda full\n");
    exit(EXIT_FAILURE);
  }
  todo *t = &agenda[n_agenda++];
  memset(t, 0, sizeof *t);
  t->at = at;
  t->kind = kind;
  return t;
}

static size_t next_todo(void)
{
  size_t best = n_agenda;
  for (size_t i = 0; i < n_agenda; i++)
    if (best == n_agenda || agenda[i].at < agenda[best].at)
      best = i;
  return best;
}

/* ---------------------------------------------------------------------------------- */
/* The case's workflow, built through the API                                           */

static void define_workflow(void)
{
  ccenter_workflow *wf;
  check(ccenter_workflow_new(NULL, "fraud-line", &wf), "workflow");
  /* Police enter the victim's details within 30 minutes of the report: the bank's
   * golden window to contain what it can. */
  check(ccenter_workflow_set_golden(wf, 30 * MIN), "golden");
  check(ccenter_workflow_add_field(wf, "funds_in_flight", CCENTER_FIELD_FLAG), "field");
  check(ccenter_workflow_add_field(wf, "agent", CCENTER_FIELD_TEXT), "field");
  check(ccenter_workflow_add_state(wf, "INTAKE", CCENTER_STATE_INITIAL, NULL), "state");
  check(ccenter_workflow_add_state(wf, "TRIAGE", 0, NULL), "state");
  check(ccenter_workflow_add_state(wf, "CONTAINED", CCENTER_STATE_CONTAINED, NULL), "state");
  check(ccenter_workflow_add_state(wf, "POLICE_REFERRAL", 0, NULL), "state");
  check(ccenter_workflow_add_state(wf, "CLOSED", CCENTER_STATE_FINAL, "RECOVERED"), "state");
  check(ccenter_workflow_add_transition(wf, "urgent", "INTAKE", "TRIAGE", "ivr"), "urgent");
  check(ccenter_workflow_add_guard(wf, "urgent", "funds_in_flight"), "guard");
  check(ccenter_workflow_add_action(wf, "urgent", "route_emergency", 0), "action");
  check(ccenter_workflow_add_transition(wf, "contain", "TRIAGE", "CONTAINED", "agent"),
        "contain");
  check(ccenter_workflow_add_action(wf, "contain", "lock_channel", 0), "action");
  check(ccenter_workflow_add_action(wf, "contain", "cancel_delayed_transfer", 0), "action");
  check(ccenter_workflow_add_transition(wf, "refer", "CONTAINED", "POLICE_REFERRAL", "agent"),
        "refer");
  check(ccenter_workflow_require_evidence(wf, "refer", "police_ref"), "evidence");
  check(ccenter_workflow_add_action(wf, "refer", "call_back_customer", 2 * 60 * MIN),
        "action");
  check(ccenter_workflow_add_action(wf, "refer", "follow_up", 0), "action");
  check(ccenter_workflow_add_transition(wf, "close", "POLICE_REFERRAL", "CLOSED", "agent"),
        "close");
  /* Without a police reference 30 minutes after containment, a supervisor steps in. */
  check(ccenter_workflow_add_timer(wf, "no_police_ref", "CONTAINED", CCENTER_CLOCK_ELAPSED,
                                   30 * MIN, CCENTER_EXPIRY_ESCALATE, "supervisor",
                                   CCENTER_TIMER_DEADLINE),
        "timer");
  check(ccenter_cases_add_workflow(ce, wf, T_SETUP), "add workflow");
  ccenter_workflow_free(wf);
}

/* ---------------------------------------------------------------------------------- */
/* Routing set-up                                                                       */

static void setup_routing(void)
{
  check(ccenter_queue_add(eng, "general", NULL, T_SETUP), "queue");
  check(ccenter_queue_add(eng, "fraud", NULL, T_SETUP), "queue");
  /* g1 is on another call; e1 and e2 are the emergency team; s1 supervises. */
  const char *agents[] = {"g1", "e1", "e2", "s1"};
  for (size_t i = 0; i < 4; i++) {
    check(ccenter_agent_add(eng, agents[i], NULL, T_SETUP), "agent");
    check(ccenter_agent_login(eng, agents[i], T_SETUP), "login");
    check(ccenter_agent_set_wrap_up(eng, agents[i], 30 * SEC, T_SETUP), "wrap-up");
  }
  check(ccenter_agent_serve(eng, "g1", "general", NULL, T_SETUP), "serve");
  check(ccenter_agent_set_skill(eng, "e1", "fraud", 8, T_SETUP), "skill");
  check(ccenter_agent_set_skill(eng, "e2", "fraud", 6, T_SETUP), "skill");
  for (size_t i = 1; i < 4; i++)
    check(ccenter_agent_serve(eng, agents[i], "fraud", NULL, T_SETUP), "serve");
  check(ccenter_agent_not_ready(eng, "s1", "coaching", T_SETUP), "not ready");
  check(ccenter_agent_not_ready(eng, "e2", "lunch", T_SETUP), "not ready");
  check(ccenter_agent_ready(eng, "e1", T_SETUP), "ready");
  check(ccenter_agent_ready(eng, "g1", T_SETUP), "ready");
  /* g1 takes another customer's call. */
  check(ccenter_contact_enqueue(eng, "c099", "general", NULL, T_SETUP), "enqueue");

  check(ccenter_cases_set_actor(ce, "ivr", "ivr", T_SETUP), "actor");
  check(ccenter_cases_set_actor(ce, "e1", "agent", T_SETUP), "actor");
  check(ccenter_cases_set_actor(ce, "e2", "agent", T_SETUP), "actor");
  check(ccenter_cases_set_actor(ce, "s1", "agent,supervisor", T_SETUP), "actor");
}

/* ---------------------------------------------------------------------------------- */
/* What the case asks for, carried out through the routing engine's public calls        */

static void carry_out(const ccenter_case_event *ev, int64_t now)
{
  if (strcmp(ev->action, "route_emergency") == 0) {
    /* The call leaves the general queue and comes back in the emergency class on the
     * fraud line, as a new leg of the same customer, linked to the case. */
    const char *first = ccenter_case_contact(ce, ev->case_id, 0);
    check(ccenter_contact_remove(eng, first, now), "remove");
    ccenter_contact_params p;
    ccenter_contact_params_init(&p);
    p.customer = "li";
    p.emergency = 1;
    check(ccenter_contact_enqueue(eng, "c100-em", "fraud", &p, now), "emergency enqueue");
    check(ccenter_case_link_contact(ce, ev->case_id, "c100-em", "ivr", now), "link");
  } else if (strcmp(ev->action, "call_back_customer") == 0) {
    /* A callback in the fraud queue before the deadline: fraud skill first, everyone
     * (supervisors included) for the last 30 minutes. The follow_up action of the same
     * transition names the preferred agent, so both are carried out here at once. */
    const char *agent = NULL;
    check(ccenter_case_get_text(ce, ev->case_id, "agent", &agent), "agent field");
    const char *preferred[1] = {agent};
    int64_t first_step = ev->deadline - now - 30 * MIN;
    ccenter_step steps[1] = {{"fraud >= 5", first_step}};
    ccenter_contact_params p;
    ccenter_contact_params_init(&p);
    p.channel = CCENTER_CHANNEL_CALLBACK;
    p.customer = "li";
    p.priority = 100;
    p.steps = steps;
    p.n_steps = 1;
    p.preferred = preferred;
    p.n_preferred = 1;
    p.preferred_timeout_ms = 20 * MIN;
    check(ccenter_contact_enqueue(eng, "c100-cb", "fraud", &p, now), "callback enqueue");
    check(ccenter_case_link_contact(ce, ev->case_id, "c100-cb", agent, now), "link");
    stamp(now);
    printf("  callback c100-cb: %s first for 20 min, the fraud skill until 30 min "
           "before the deadline, then anyone\n", agent);
  } else if (strcmp(ev->action, "follow_up") == 0) {
    /* Carried out with call_back_customer above: the callback prefers the first agent. */
  } else {
    stamp(now);
    printf("  desk: %s done\n", ev->action);
  }
}

static void on_case_event(const ccenter_case_event *ev, int64_t now)
{
  stamp(ev->time);
  printf("case %-8s %-15s", ev->case_id, ccenter_case_event_name(ev->type));
  switch (ev->type) {
  case CCENTER_CASE_OPENED:
    printf(" in %s", ev->to);
    break;
  case CCENTER_CASE_STATE_CHANGED:
    printf(" %s -> %s by %s (%s)", ev->from, ev->to, ev->transition, ev->actor);
    break;
  case CCENTER_CASE_FIELD_SET:
    printf(" %s", ev->field);
    break;
  case CCENTER_CASE_CONTACT_LINKED:
    printf(" %s", ev->contact);
    break;
  case CCENTER_CASE_ACTION:
    printf(" %s (%s)", ev->action, ev->transition);
    if (ev->deadline != NEVER)
      printf(" due within %" PRId64 " min", (ev->deadline - ev->time) / MIN);
    break;
  case CCENTER_CASE_GOLDEN_MET:
    printf(" contained after %" PRId64 " s", ev->elapsed_ms / SEC);
    break;
  case CCENTER_CASE_CLOSED:
    printf(" outcome %s", ev->outcome);
    break;
  case CCENTER_CASE_ESCALATION:
    printf(" %s to %s", ev->timer, ev->role);
    break;
  default:
    break;
  }
  printf("\n");
  if (ev->type == CCENTER_CASE_ACTION)
    carry_out(ev, now);
}

static void on_route_event(const ccenter_event *ev)
{
  switch (ev->type) {
  case CCENTER_EV_CONTACT_QUEUED:
  case CCENTER_EV_CONTACT_OFFERED:
  case CCENTER_EV_CONTACT_CONNECTED:
  case CCENTER_EV_CONTACT_ENDED:
  case CCENTER_EV_STEP:
    break;
  default:
    return;
  }
  stamp(ev->time);
  printf("call %-8s %-17s", ev->contact, ccenter_event_name(ev->type));
  if (ev->queue)
    printf(" queue %s", ev->queue);
  if (ev->agent)
    printf(" agent %s", ev->agent);
  if (ev->type == CCENTER_EV_CONTACT_QUEUED && ev->priority)
    printf(" priority %d", ev->priority);
  printf("\n");

  if (ev->type == CCENTER_EV_CONTACT_OFFERED) {
    todo *t = plan(ev->time + 3 * SEC, DO_ACCEPT);
    snprintf(t->agent, sizeof t->agent, "%s", ev->agent);
    snprintf(t->contact, sizeof t->contact, "%s", ev->contact);
  } else if (ev->type == CCENTER_EV_CONTACT_CONNECTED) {
    const char *c = ev->contact;
    if (strcmp(c, "c099") == 0) {
      todo *t = plan(ev->time + 20 * MIN, DO_HANG_UP);
      snprintf(t->contact, sizeof t->contact, "c099");
    } else if (strcmp(c, "c100-em") == 0) {
      /* The emergency agent takes the case over and contains it within two minutes:
       * card and online channels locked, the delayed ATM transfer cancelled. Then the
       * police reference arrives (96110 / 110 filing) and the call ends. */
      check(ccenter_case_set_text(ce, "K1", ev->agent, "agent", ev->agent, ev->time),
            "set agent");
      todo *t = plan(ev->time + 2 * MIN, DO_CASE);
      snprintf(t->agent, sizeof t->agent, "%s", ev->agent);
      snprintf(t->transition, sizeof t->transition, "contain");
      t = plan(ev->time + 6 * MIN, DO_CASE);
      snprintf(t->agent, sizeof t->agent, "%s", ev->agent);
      snprintf(t->transition, sizeof t->transition, "refer");
      t->evidence_name = "police_ref";
      t->evidence_ref = "110-SH-20261009-0042";
      t = plan(ev->time + 7 * MIN, DO_HANG_UP);
      snprintf(t->contact, sizeof t->contact, "c100-em");
    } else if (strcmp(c, "c100-cb") == 0) {
      todo *t = plan(ev->time + 4 * MIN, DO_CASE);
      snprintf(t->agent, sizeof t->agent, "%s", ev->agent);
      snprintf(t->transition, sizeof t->transition, "close");
      t = plan(ev->time + 5 * MIN, DO_HANG_UP);
      snprintf(t->contact, sizeof t->contact, "c100-cb");
    }
  }
}

/* Handles every queued event of both engines; handling one may queue more. */
static void drain(int64_t now)
{
  for (;;) {
    const ccenter_event *rev = ccenter_engine_next_event(eng);
    if (rev) {
      on_route_event(rev);
      continue;
    }
    const ccenter_case_event *cev = ccenter_cases_next_event(ce);
    if (cev) {
      on_case_event(cev, now);
      continue;
    }
    return;
  }
}

static void do_todo(const todo *t)
{
  switch (t->kind) {
  case DO_CALL:
    check(ccenter_contact_enqueue(eng, t->contact, "general", NULL, t->at), "enqueue");
    break;
  case DO_IVR:
    /* The IVR has heard enough: a fraud case, funds in flight. */
    check(ccenter_case_open(ce, "K1", "fraud-line", "ivr", NULL, t->at), "open");
    check(ccenter_case_link_contact(ce, "K1", t->contact, "ivr", t->at), "link");
    check(ccenter_case_set_int(ce, "K1", "ivr", "funds_in_flight", 1, t->at), "flag");
    check(ccenter_case_transition(ce, "K1", "urgent", "ivr", NULL, t->at), "urgent");
    break;
  case DO_ACCEPT:
    check(ccenter_offer_accept(eng, t->agent, t->contact, t->at), "accept");
    break;
  case DO_HANG_UP:
    check(ccenter_contact_end(eng, t->contact, CCENTER_PARTY_CUSTOMER, t->at), "end");
    break;
  case DO_CASE: {
    ccenter_case_input in;
    ccenter_case_input_init(&in);
    ccenter_case_evidence evd = {t->evidence_name, t->evidence_ref};
    if (t->evidence_name) {
      in.evidence = &evd;
      in.n_evidence = 1;
    }
    check(ccenter_case_transition(ce, "K1", t->transition, t->agent, &in, t->at),
          t->transition);
    break;
  }
  }
}

/* The audit chain, as a store would keep it: every line, in order. */
static char *audit_lines[256];
static size_t audit_lens[256], n_audit;

static void on_audit(void *ud, const ccenter_audit_record *rec)
{
  (void)ud;
  if (n_audit < 256) {
    audit_lines[n_audit] = malloc(rec->len + 1);
    if (!audit_lines[n_audit])
      exit(EXIT_FAILURE);
    memcpy(audit_lines[n_audit], rec->line, rec->len);
    audit_lines[n_audit][rec->len] = 0;
    audit_lens[n_audit++] = rec->len;
  }
}

int main(void)
{
  ccenter_options *opts = ccenter_options_new();
  if (!opts)
    return EXIT_FAILURE;
  check(ccenter_options_set_event_queue(opts, 1), "event queue");
  check(ccenter_engine_new(opts, T_SETUP, &eng), "engine");
  check(ccenter_cases_new(NULL, T_SETUP, &ce), "case engine");
  ccenter_options_free(opts);
  check(ccenter_cases_set_audit_sink(ce, on_audit, NULL), "audit sink");
  define_workflow();
  setup_routing();
  drain(T_SETUP);

  /* 09:00:00 Mrs Li calls the general line; g1 is busy, so she waits. At 09:00:20 the
   * IVR opens the case. */
  snprintf(plan(T0, DO_CALL)->contact, sizeof agenda[0].contact, "c100");
  snprintf(plan(T0 + 20 * SEC, DO_IVR)->contact, sizeof agenda[0].contact, "c100");

  /* Run the agenda and both engines' timers in time order until nothing is left. */
  const int64_t end = T0 + 3 * 60 * MIN;
  for (;;) {
    size_t k = next_todo();
    int64_t t_todo = k < n_agenda ? agenda[k].at : NEVER;
    int64_t t_eng = ccenter_engine_next_deadline(eng);
    int64_t t_ce = ccenter_cases_next_deadline(ce);
    int64_t t = t_todo;
    if (t_eng < t)
      t = t_eng;
    if (t_ce < t)
      t = t_ce;
    if (t == NEVER || t > end)
      break;
    if (t == t_todo) {
      todo item = agenda[k];
      agenda[k] = agenda[--n_agenda];
      check(ccenter_engine_advance(eng, item.at), "advance");
      check(ccenter_cases_advance(ce, item.at), "advance cases");
      drain(item.at);
      do_todo(&item);
    } else {
      check(ccenter_engine_advance(eng, t), "advance");
      check(ccenter_cases_advance(ce, t), "advance cases");
    }
    drain(t);
  }

  ccenter_workflow_stats st = {.size = sizeof st};
  check(ccenter_workflow_stats_get(ce, "fraud-line", &st), "stats");
  printf("\nfraud-line: %" PRIu64 " opened, %" PRIu64 " closed, golden window met %" PRIu64
         " of %" PRIu64 ", %" PRIu64 " actions\n",
         st.opened, st.closed, st.golden_met, st.golden_met + st.golden_missed, st.actions);
  ccenter_audit_head head;
  check(ccenter_cases_audit_head(ce, &head), "audit head");
  size_t bad = 0;
  int v = ccenter_audit_verify((const char *const *)audit_lines, audit_lens, n_audit, NULL, 0,
                               NULL, &head, &bad);
  printf("audit: %zu records, chain %s; head seq %" PRIu64 " hash ", n_audit,
         v == 0 ? "verified" : "BROKEN", head.seq);
  for (int i = 0; i < 8; i++)
    printf("%02x", head.hash[i]);
  printf("...\n");
  for (size_t i = 0; i < n_audit; i++)
    free(audit_lines[i]);
  ccenter_cases_free(ce);
  ccenter_engine_free(eng);
  return v == 0 && st.golden_met == 1 ? EXIT_SUCCESS : EXIT_FAILURE;
}
