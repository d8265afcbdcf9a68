/*
 * ccenter-sim — fraud cases on the simulator's clock.
 *
 * A `cases QUEUE` line makes every contact that arrives on QUEUE in the measured period
 * open a case in a case engine (<ccenter/workflow.h>), driven through the public API like
 * the routing engine. The agent who answers contains the case a drawn time later (the
 * first part of the handling) by taking the containment transition as an actor with the
 * line's role, and closes it when the call ends; a caller who abandons leaves the case
 * uncontained, so its golden window runs out. Warm-up arrivals open no case, as they
 * count in no other statistic.
 *
 * The case engine needs wall time (calendars), so its clock is the simulator's ms plus
 * SIM_CASES_EPOCH_MS. Its deadlines (the golden windows, a workflow file's timers) are
 * merged into sim.c's event loop like the routing engine's.
 *
 * Unless the workflow comes from a file, it is built here: INTAKE (initial) --contain-->
 * CONTAINED (counts as contained) --close--> CLOSED (final, outcome CONTAINED), both
 * transitions the agents' role's, the golden window 30 minutes unless golden= says.
 */
#include "sim.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define INTAKE_ACTOR "ivr"
#define INTAKE_ROLE "intake"
#define GOLDEN_DEFAULT_MS (30 * 60 * INT64_C(1000))

typedef struct case_line {
  const sc_cases *sc;
  sim_case_results *res;
  sim_rng rng; /* containment delays: a stream of its own, so other draws stay the same */
} case_line;

struct sim_cases {
  const scenario *sc;
  ccenter_cases *ce;
  case_line *lines;
  size_t n_lines;
  uint32_t n_cases;  /* case numbers handed out: F1, F2, ... */
  int64_t *opened;   /* [case number - 1]: when the simulator opened it */
  size_t opened_cap;
  char id[16];
};

static int cmust(int rc, const char *what, const char *arg, int64_t now)
{
  if (rc < 0)
    sim_call_failed(what, arg, now, rc);
  return rc < 0 ? -1 : 0;
}

static const char *case_id(sim_cases *cs, uint32_t no)
{
  snprintf(cs->id, sizeof cs->id, "F%u", (unsigned)no);
  return cs->id;
}

/* The golden-window events, by the arrival batch the case carries as its user data. */
static void on_case_event(ccenter_cases *ce, const ccenter_case_event *ev, void *ud)
{
  sim_cases *cs = ud;
  (void)ce;
  if (ev->type != CCENTER_CASE_GOLDEN_MET && ev->type != CCENTER_CASE_GOLDEN_MISSED)
    return;
  for (size_t i = 0; i < cs->n_lines; i++) {
    sim_case_results *r = cs->lines[i].res;
    if (!ev->workflow || strcmp(ev->workflow, cs->lines[i].sc->name) != 0)
      continue;
    uintptr_t batch = (uintptr_t)ev->case_data; /* batch + 1; 0: none */
    int met = ev->type == CCENTER_CASE_GOLDEN_MET;
    if (met)
      r->ev_met++;
    else
      r->ev_missed++;
    if (batch)
      (met ? r->b_met : r->b_missed)[batch - 1]++;
    return;
  }
}

static int64_t golden_of(const sc_cases *c)
{
  if (c->golden_ms >= 0)
    return c->golden_ms;
  return c->wf ? -1 : GOLDEN_DEFAULT_MS;
}

static int build_workflow(const sc_cases *c, int64_t now, ccenter_workflow **out)
{
  ccenter_workflow *wf = NULL;
  const char *close = c->close ? c->close : "close";
  int rc = cmust(ccenter_workflow_new(NULL, c->name, &wf), "ccenter_workflow_new",
                 c->name, now);
  if (!rc)
    rc = cmust(ccenter_workflow_set_golden(wf, golden_of(c)), "ccenter_workflow_set_golden",
               c->name, now);
  if (!rc)
    rc = cmust(ccenter_workflow_add_state(wf, "INTAKE", CCENTER_STATE_INITIAL, NULL),
               "ccenter_workflow_add_state", "INTAKE", now);
  if (!rc)
    rc = cmust(ccenter_workflow_add_state(wf, "CONTAINED", CCENTER_STATE_CONTAINED, NULL),
               "ccenter_workflow_add_state", "CONTAINED", now);
  if (!rc)
    rc = cmust(ccenter_workflow_add_state(wf, "CLOSED", CCENTER_STATE_FINAL, "CONTAINED"),
               "ccenter_workflow_add_state", "CLOSED", now);
  if (!rc)
    rc = cmust(ccenter_workflow_add_transition(wf, c->transitions[0], "INTAKE", "CONTAINED",
                                               c->role),
               "ccenter_workflow_add_transition", c->transitions[0], now);
  /* Kept with close=none too: every state must lead to a final one. */
  if (!rc)
    rc = cmust(ccenter_workflow_add_transition(wf, close, "CONTAINED", "CLOSED", c->role),
               "ccenter_workflow_add_transition", close, now);
  for (size_t k = 0; k < c->n_evidence && !rc; k++)
    rc = cmust(ccenter_workflow_require_evidence(wf, c->transitions[0], c->evidence[k]),
               "ccenter_workflow_require_evidence", c->evidence[k], now);
  if (rc) {
    ccenter_workflow_free(wf);
    return -1;
  }
  *out = wf;
  return 0;
}

/* The roles every agent gets: the distinct roles of the cases lines, comma-separated. Any
 * agent may answer a case's contact (after an overflow, one who does not serve its queue). */
static char *agent_roles(const scenario *sc)
{
  size_t len = 1;
  for (size_t i = 0; i < sc->n_cases; i++)
    len += strlen(sc->cases[i].role) + 1;
  char *roles = sim_xcalloc(len, 1);
  for (size_t i = 0; i < sc->n_cases; i++) {
    int seen = 0;
    for (size_t j = 0; j < i && !seen; j++)
      seen = strcmp(sc->cases[j].role, sc->cases[i].role) == 0;
    if (seen)
      continue;
    if (*roles)
      strcat(roles, ",");
    strcat(roles, sc->cases[i].role);
  }
  return roles;
}

static int setup(sim_cases *cs, sim_results *res, int64_t now)
{
  const scenario *sc = cs->sc;
  int64_t t = SIM_CASES_EPOCH_MS + now;
  if (cmust(ccenter_cases_new(NULL, t, &cs->ce), "ccenter_cases_new", NULL, now) ||
      cmust(ccenter_cases_set_event_callback(cs->ce, on_case_event, cs),
            "ccenter_cases_set_event_callback", NULL, now))
    return -1;
  for (size_t i = 0; i < sc->n_cases; i++) {
    const sc_cases *c = &sc->cases[i];
    case_line *l = &cs->lines[i];
    l->sc = c;
    l->res = &res->cases[i];
    l->res->workflow = c->name;
    l->res->golden_ms = golden_of(c);
    sim_rng_seed(&l->rng, sc->seed, UINT64_C(2000000) + i);
    if (c->cal && cmust(ccenter_cases_add_calendar(cs->ce, c->cal, t),
                        "ccenter_cases_add_calendar", ccenter_calendar_name(c->cal), now))
      return -1;
    ccenter_workflow *built = NULL;
    if (!c->wf && build_workflow(c, now, &built))
      return -1;
    int rc = ccenter_cases_add_workflow(cs->ce, c->wf ? c->wf : built, t);
    ccenter_workflow_free(built);
    if (cmust(rc, "ccenter_cases_add_workflow", c->name, now))
      return -1;
  }
  if (cmust(ccenter_cases_set_actor(cs->ce, INTAKE_ACTOR, INTAKE_ROLE, t),
            "ccenter_cases_set_actor", INTAKE_ACTOR, now))
    return -1;
  char *roles = agent_roles(sc);
  int rc = 0;
  for (size_t i = 0; i < sc->n_agents && !rc; i++)
    rc = cmust(ccenter_cases_set_actor(cs->ce, sc->agents[i].name, roles, t),
               "ccenter_cases_set_actor", sc->agents[i].name, now);
  free(roles);
  return rc;
}

sim_cases *sim_cases_new(const scenario *sc, sim_results *res, int64_t now)
{
  sim_cases *cs = sim_xcalloc(1, sizeof *cs);
  cs->sc = sc;
  cs->n_lines = sc->n_cases;
  cs->lines = sim_xcalloc(sc->n_cases, sizeof *cs->lines);
  if (setup(cs, res, now)) {
    sim_cases_free(cs);
    return NULL;
  }
  return cs;
}

void sim_cases_free(sim_cases *cs)
{
  if (!cs)
    return;
  ccenter_cases_free(cs->ce);
  free(cs->lines);
  free(cs->opened);
  free(cs);
}

int64_t sim_cases_next(const sim_cases *cs)
{
  int64_t d = ccenter_cases_next_deadline(cs->ce);
  return d == CCENTER_NO_DEADLINE ? SIM_INF_TIME : d - SIM_CASES_EPOCH_MS;
}

int sim_cases_advance(sim_cases *cs, int64_t now)
{
  return cmust(ccenter_cases_advance(cs->ce, SIM_CASES_EPOCH_MS + now),
               "ccenter_cases_advance", NULL, now);
}

int sim_cases_open(sim_cases *cs, size_t line, int32_t batch, double handle_s, int64_t now,
                   uint32_t *case_no, double *contain_s)
{
  case_line *l = &cs->lines[line];
  if (cs->n_cases == UINT32_MAX) {
    sim_call_failed("ccenter_case_open", "(more than 2^32 cases)", now, CCENTER_EFULL);
    return -1;
  }
  uint32_t no = cs->n_cases + 1;
  const char *id = case_id(cs, no);
  void *ud = (void *)(uintptr_t)(batch >= 0 ? (uintptr_t)batch + 1 : 0);
  if (cmust(ccenter_case_open(cs->ce, id, l->sc->name, INTAKE_ACTOR, ud,
                                  SIM_CASES_EPOCH_MS + now),
            "ccenter_case_open", id, now))
    return -1;
  if (cs->n_cases == cs->opened_cap) {
    cs->opened_cap = cs->opened_cap ? 2 * cs->opened_cap : 1024;
    cs->opened = sim_xrealloc(cs->opened, cs->opened_cap * sizeof *cs->opened);
  }
  cs->opened[cs->n_cases++] = now;
  l->res->opened++;
  *case_no = no;
  *contain_s = l->sc->contain_share > 0 ? handle_s * l->sc->contain_share
                                        : sim_dist_draw(&l->sc->contain, &l->rng);
  return 0;
}

/* FIELD:VALUE of a cases line's set=: a whole number goes to an integer-like field. */
static int set_field(sim_cases *cs, const char *id, const sc_attr *f, const char *agent,
                     int64_t now)
{
  char *end;
  errno = 0;
  long long v = strtoll(f->value, &end, 10);
  int64_t t = SIM_CASES_EPOCH_MS + now;
  int rc = end != f->value && !*end && !errno
             ? ccenter_case_set_int(cs->ce, id, agent, f->key, v, t)
             : ccenter_case_set_text(cs->ce, id, agent, f->key, f->value, t);
  return cmust(rc, "ccenter_case_set", f->key, now);
}

int sim_cases_contain(sim_cases *cs, size_t line, uint32_t case_no, const char *agent,
                      int64_t now)
{
  case_line *l = &cs->lines[line];
  const sc_cases *c = l->sc;
  /* One reference per evidence name the line lists (a recording of the call, say). */
  ccenter_case_evidence ev[CCENTER_WF_MAX_EVIDENCE];
  char ref[32];
  snprintf(ref, sizeof ref, "rec-F%u", (unsigned)case_no);
  for (size_t k = 0; k < c->n_evidence; k++)
    ev[k] = (ccenter_case_evidence){c->evidence[k], ref};
  ccenter_case_input in;
  ccenter_case_input_init(&in);
  in.evidence = ev;
  in.n_evidence = c->n_evidence;
  char id[16];
  snprintf(id, sizeof id, "%s", case_id(cs, case_no));
  for (size_t k = 0; k < c->n_fields; k++)
    if (set_field(cs, id, &c->fields[k], agent, now))
      return -1;
  int rc = 0;
  for (size_t k = 0; k < c->n_transitions && rc == 0; k++) {
    rc = ccenter_case_transition(cs->ce, id, c->transitions[k], agent, &in,
                                 SIM_CASES_EPOCH_MS + now);
    char what[CCENTER_WF_MAX_NAME + 32];
    snprintf(what, sizeof what, "%s, %s, %s", id, c->transitions[k], agent);
    if (cmust(rc, "ccenter_case_transition", what, now))
      return -1;
  }
  /* CCENTER_PROPOSED (dual control in a workflow file): nobody approves in the simulator. */
  if (rc == 0) {
    l->res->contained++;
    /* The case engine's timers at t fire before the calls at t (sim.c), so a containment
     * at exactly the end of the window misses it. */
    if (l->res->golden_ms > 0 && now - cs->opened[case_no - 1] < l->res->golden_ms)
      l->res->contained_within++;
  }
  return 0;
}

int sim_cases_close(sim_cases *cs, size_t line, uint32_t case_no, const char *agent,
                    int64_t now)
{
  case_line *l = &cs->lines[line];
  if (!l->sc->close)
    return 0;
  const char *id = case_id(cs, case_no);
  int64_t t = SIM_CASES_EPOCH_MS + now;
  int rc = ccenter_case_transition(cs->ce, id, l->sc->close, agent, NULL, t);
  /* A case not contained (dual control pending in a workflow file) cannot be closed. */
  if (rc == CCENTER_ESTATE)
    return 0;
  if (cmust(rc, "ccenter_case_transition", id, now))
    return -1;
  l->res->closed++;
  /* A closed case keeps nothing the simulator reads (its statistics stay): free it. */
  ccenter_case_info info;
  memset(&info, 0, sizeof info);
  info.size = sizeof info;
  if (ccenter_case_info_get(cs->ce, id, &info) == 0 && info.closed)
    return cmust(ccenter_case_forget(cs->ce, id, t), "ccenter_case_forget", id, now);
  return 0;
}

/* Cases whose golden window has not ended, over every line; -1 on failure. */
static int64_t read_stats(sim_cases *cs, int64_t now)
{
  int64_t pending = 0;
  for (size_t i = 0; i < cs->n_lines; i++) {
    sim_case_results *r = cs->lines[i].res;
    memset(&r->st, 0, sizeof r->st);
    r->st.size = sizeof r->st;
    if (cmust(ccenter_workflow_stats_get(cs->ce, r->workflow, &r->st),
              "ccenter_workflow_stats_get", r->workflow, now))
      return -1;
    uint64_t ended = r->st.golden_met + r->st.golden_missed;
    r->windows_ended = ended >= r->opened;
    pending += ended < r->opened ? (int64_t)(r->opened - ended) : 0;
  }
  return pending;
}

int sim_cases_finish(sim_cases *cs, int64_t now, int settled)
{
  int64_t pending = read_stats(cs, now);
  /* Nothing can contain a case any more: the windows still open will be missed. Run the
   * case engine's clock on, deadline by deadline, until they have ended. */
  while (settled && pending > 0) {
    int64_t next = sim_cases_next(cs);
    if (next >= SIM_INF_TIME)
      break;
    if (next < now)
      next = now;
    if (sim_cases_advance(cs, next))
      return -1;
    if (sim_cases_next(cs) == next) {
      fprintf(stderr, "ccenter-sim: the case engine's deadline stays at %lld after "
                      "ccenter_cases_advance\n",
              (long long)(SIM_CASES_EPOCH_MS + next));
      return -1;
    }
    now = next;
    pending = read_stats(cs, now);
  }
  return pending < 0 ? -1 : 0;
}
