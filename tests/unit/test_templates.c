/* The four shipped workflow templates (data/workflows/) on the shipped 2026 calendars
   (data/calendars/), end to end through the case engine:
   - every path of every template from the initial state to each final state (no state
     repeated, except that each self-loop and each cycle is gone round once), walked on a
     fresh case: guards satisfied from the
     definition's guard operators, evidence supplied, dual control with two actors, timer
     edges taken at exactly their deadline; the statistics add up over all paths, and every
     transition and every timer is exercised;
   - deadlines across the 2026 holidays of China, England and Wales and the US Federal
     Reserve, worked out by hand in the comments;
   - the refusals a template's rules imply (limit across cases, maker-checker, roles,
     evidence), each leaving the case and the audit chain unchanged;
   - the audit chain of every test verified against the engine's head. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccenter/calendar.h"
#include "ccenter/workflow.h"
#include "harness.h"
#include "workflow/wf_int.h"

#define OK(x) ck_assert_int_eq((x), 0)
#define MIN_MS INT64_C(60000)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)

/* An instant in UTC. The expected instants below are written as UTC civil times worked
   out by hand from the local dates in their comments, never with the calendar code under
   test; this only turns a UTC date into milliseconds. */
static int is_leap(int y)
{
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int64_t utc(int y, int mo, int d, int h, int mi)
{
  static const int mlen[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int64_t days = 0;
  for (int yy = 1970; yy < y; yy++)
    days += 365 + is_leap(yy);
  for (int m = 1; m < mo; m++)
    days += mlen[m - 1] + (m == 2 && is_leap(y));
  days += d - 1;
  return days * DAY_MS + h * HOUR_MS + mi * MIN_MS;
}

/* ---- the environment: one engine, one template, every event and audit line kept ------ */

enum { XS_CASE, XS_FROM, XS_TO, XS_TRANS, XS_TIMER, XS_ACTION, XS_ACTOR, XS_ROLE, XS_OUTCOME,
       XS_FIELD, XS_N };

typedef struct xev {
  ccenter_case_event_type type;
  int64_t time, deadline;
  uint32_t count;
  char *s[XS_N];
} xev;

typedef struct tenv {
  ccenter_cases *ce;
  ccenter_workflow *wf; /* the loaded definition, read through wf_int.h */
  const char *name;
  const char *currency;
  int64_t now;
  xev *ev;
  size_t n_ev, cap_ev;
  char **line;
  size_t *len;
  size_t n_line, cap_line;
  /* What the path walk expects the statistics to say. */
  uint64_t *x_tname, *x_timer, *x_state;
  uint64_t x_paths, x_dual, x_warn, x_deadline;
  uint8_t *done_timer; /* expiry checked at its exact instant */
} tenv;

static char *dup_or_null(const char *s)
{
  if (!s)
    return NULL;
  char *p = strdup(s);
  ck_assert_ptr_nonnull(p);
  return p;
}

static void on_event(ccenter_cases *ce, const ccenter_case_event *e, void *ud)
{
  (void)ce;
  tenv *E = ud;
  if (E->n_ev == E->cap_ev) {
    E->cap_ev = E->cap_ev ? 2 * E->cap_ev : 256;
    E->ev = realloc(E->ev, E->cap_ev * sizeof *E->ev);
    ck_assert_ptr_nonnull(E->ev);
  }
  xev *x = &E->ev[E->n_ev++];
  x->type = e->type;
  x->time = e->time;
  x->deadline = e->deadline;
  x->count = e->count;
  const char *s[XS_N] = {e->case_id, e->from,   e->to,      e->transition, e->timer,
                         e->action,  e->actor,  e->role,    e->outcome,    e->field};
  for (int i = 0; i < XS_N; i++)
    x->s[i] = dup_or_null(s[i]);
}

static void on_audit(void *ud, const ccenter_audit_record *r)
{
  tenv *E = ud;
  if (E->n_line == E->cap_line) {
    E->cap_line = E->cap_line ? 2 * E->cap_line : 256;
    E->line = realloc(E->line, E->cap_line * sizeof *E->line);
    E->len = realloc(E->len, E->cap_line * sizeof *E->len);
    ck_assert_ptr_nonnull(E->line);
    ck_assert_ptr_nonnull(E->len);
  }
  E->line[E->n_line] = malloc(r->len + 1);
  ck_assert_ptr_nonnull(E->line[E->n_line]);
  memcpy(E->line[E->n_line], r->line, r->len);
  E->line[E->n_line][r->len] = 0;
  E->len[E->n_line++] = r->len;
}

static char *data_path(char *buf, size_t n, const char *dir, const char *file)
{
  const char *root = getenv("CCENTER_DATA_DIR");
  ck_assert_msg(root != NULL, "CCENTER_DATA_DIR is not set");
  snprintf(buf, n, "%s/%s/%s", root, dir, file);
  return buf;
}

/* Each role of the workflow (transition roles and approver roles) gets two actors,
   "ROLE-1" and "ROLE-2", holding that role alone. */
static void add_role_actors(tenv *E, const char *role)
{
  char id[CCENTER_WF_MAX_NAME + 8];
  for (int i = 1; i <= 2; i++) {
    snprintf(id, sizeof id, "%s-%d", role, i);
    OK(ccenter_cases_set_actor(E->ce, id, role, E->now));
  }
}

/* A new engine at t0 holding the three shipped calendars and the template `name`. */
static void env_new(tenv *E, const char *name, int64_t t0)
{
  static const char *const cals[] = {"cn-2026.cal", "gb-eaw-2026.cal", "us-frb-2026.cal"};
  memset(E, 0, sizeof *E);
  E->now = t0;
  E->name = name;
  OK(ccenter_cases_new(NULL, t0, &E->ce));
  OK(ccenter_cases_set_event_callback(E->ce, on_event, E));
  OK(ccenter_cases_set_audit_sink(E->ce, on_audit, E));
  char path[1024], file[128];
  ccenter_parse_error err = {.size = sizeof err};
  for (size_t i = 0; i < sizeof cals / sizeof cals[0]; i++) {
    ccenter_calendar *cal = NULL;
    int rc = ccenter_calendar_load_file(NULL, data_path(path, sizeof path, "calendars", cals[i]),
                                        &cal, &err);
    ck_assert_msg(rc == 0, "%s: %s", path, err.message);
    OK(ccenter_cases_add_calendar(E->ce, cal, t0));
    ccenter_calendar_free(cal);
  }
  snprintf(file, sizeof file, "%s.wf", name);
  int rc = ccenter_workflow_load_file(NULL, data_path(path, sizeof path, "workflows", file),
                                      &E->wf, &err);
  ck_assert_msg(rc == 0, "%s: %s", path, err.message);
  ck_assert_str_eq(ccenter_workflow_name(E->wf), name);
  OK(ccenter_cases_add_workflow(E->ce, E->wf, t0));
  /* The templates' money is in the currency of their calendar's country. */
  ck_assert_ptr_nonnull(E->wf->calendar);
  E->currency = !strncmp(E->wf->calendar, "CN-", 3)   ? "CNY"
                : !strncmp(E->wf->calendar, "GB-", 3) ? "GBP"
                                                      : "USD";
  for (uint32_t i = 0; i < E->wf->n_edges; i++)
    if (E->wf->edges[i].role)
      add_role_actors(E, E->wf->edges[i].role);
  for (uint32_t i = 0; i < E->wf->n_tnames; i++)
    if (E->wf->tnames[i].dual)
      add_role_actors(E, E->wf->tnames[i].approver_role);
  E->x_tname = calloc(E->wf->n_tnames, sizeof *E->x_tname);
  E->x_timer = calloc(E->wf->n_timers + 1, sizeof *E->x_timer);
  E->x_state = calloc(E->wf->n_states, sizeof *E->x_state);
  E->done_timer = calloc(E->wf->n_timers + 1, 1);
  ck_assert(E->x_tname && E->x_timer && E->x_state && E->done_timer);
}

/* Verifies the audit chain the sink collected against the engine's head, then frees. */
static void env_end(tenv *E)
{
  ccenter_audit_head head;
  OK(ccenter_cases_audit_head(E->ce, &head));
  ck_assert_uint_eq(head.seq, E->n_line);
  ck_assert_uint_gt(E->n_line, 0);
  size_t bad = SIZE_MAX;
  OK(ccenter_audit_verify((const char *const *)E->line, E->len, E->n_line, NULL, 0, NULL, &head,
                          &bad));
  ccenter_cases_free(E->ce);
  ccenter_workflow_free(E->wf);
  for (size_t i = 0; i < E->n_ev; i++)
    for (int k = 0; k < XS_N; k++)
      free(E->ev[i].s[k]);
  for (size_t i = 0; i < E->n_line; i++)
    free(E->line[i]);
  free(E->ev);
  free(E->line);
  free(E->len);
  free(E->x_tname);
  free(E->x_timer);
  free(E->x_state);
  free(E->done_timer);
}

static void advance(tenv *E, int64_t t)
{
  ck_assert_int_ge(t, E->now);
  OK(ccenter_cases_advance(E->ce, t));
  E->now = t;
}

/* The first event at or after index `from` of `type` for case `id` whose string `k` is
   `want` (k < 0: any), or NULL. */
static const xev *find_ev(const tenv *E, size_t from, ccenter_case_event_type type,
                          const char *id, int k, const char *want)
{
  for (size_t i = from; i < E->n_ev; i++) {
    const xev *x = &E->ev[i];
    if (x->type == type && x->s[XS_CASE] && !strcmp(x->s[XS_CASE], id) &&
        (k < 0 || (x->s[k] && !strcmp(x->s[k], want))))
      return x;
  }
  return NULL;
}

static size_t count_ev(const tenv *E, size_t from, ccenter_case_event_type type)
{
  size_t n = 0;
  for (size_t i = from; i < E->n_ev; i++)
    n += E->ev[i].type == type;
  return n;
}

static ccenter_case_info info_of(const tenv *E, const char *id)
{
  ccenter_case_info i;
  memset(&i, 0, sizeof i);
  i.size = sizeof i;
  OK(ccenter_case_info_get(E->ce, id, &i));
  return i;
}

static int64_t deadline_of(const tenv *E, const char *id, const char *timer)
{
  int64_t d = 0;
  OK(ccenter_case_timer_deadline(E->ce, id, timer, &d));
  return d;
}

/* A running timer's deadline, or CCENTER_NO_DEADLINE when it is not armed or paused. */
static int64_t running_deadline(const tenv *E, const char *id, uint32_t k)
{
  int64_t d;
  if (ccenter_case_timer_deadline(E->ce, id, E->wf->timers[k].name, &d))
    return CCENTER_NO_DEADLINE;
  return d;
}

static const char *role_actor(char *buf, size_t n, const char *role, int which)
{
  snprintf(buf, n, "%s-%d", role, which);
  return buf;
}

/* ---- guards ------------------------------------------------------------------------- */

/* Whether every guard of tn on field f holds for the case as it is now, by the documented
   semantics: `field` is true of a flag at 1 and of any other field once set; comparisons
   need the field set; text compares for (in)equality only. */
static int field_guards_hold(const tenv *E, const char *id, const cc_wf_tname *tn, uint32_t f)
{
  ccenter_field_type ty = E->wf->fields[f].type;
  const char *fname = E->wf->fields[f].name;
  int64_t num = 0;
  const char *text = NULL;
  char cur[4];
  int set;
  if (ty == CCENTER_FIELD_TEXT || ty == CCENTER_FIELD_ACCOUNT)
    set = ccenter_case_get_text(E->ce, id, fname, &text) == 0;
  else if (ty == CCENTER_FIELD_MONEY)
    set = ccenter_case_get_money(E->ce, id, fname, &num, cur) == 0;
  else
    set = ccenter_case_get_int(E->ce, id, fname, &num) == 0;
  int truthy = set && (ty != CCENTER_FIELD_FLAG || num == 1);
  for (uint32_t i = 0; i < tn->n_guards; i++) {
    const cc_wf_guard *g = &tn->guards[i];
    if (g->field != f)
      continue;
    int ok;
    if (g->op == CC_G_SET)
      ok = truthy;
    else if (g->op == CC_G_UNSET)
      ok = !truthy;
    else if (!set)
      ok = 0;
    else if (text)
      ok = g->op == CC_G_EQ   ? !strcmp(text, g->word)
           : g->op == CC_G_NE ? strcmp(text, g->word) != 0
                              : 0;
    else
      ok = g->op == CC_G_EQ   ? num == g->num
           : g->op == CC_G_NE ? num != g->num
           : g->op == CC_G_LT ? num < g->num
           : g->op == CC_G_LE ? num <= g->num
           : g->op == CC_G_GT ? num > g->num
                              : num >= g->num;
    if (!ok)
      return 0;
  }
  return 1;
}

static int ne_excludes(const cc_wf_tname *tn, uint32_t f, int64_t v)
{
  for (uint32_t i = 0; i < tn->n_guards; i++)
    if (tn->guards[i].field == f && tn->guards[i].op == CC_G_NE && tn->guards[i].num == v)
      return 1;
  return 0;
}

/* Sets field f to a value every guard of tn on it accepts: the bounds of the comparisons
   meet in an interval, and the value is its lower end (or upper, or 1; a time field
   without bounds takes now), stepped past values `!=` excludes. A text takes the value
   `==` names, else one unique to the case (limits count by it). */
static void satisfy_field(tenv *E, const char *id, const cc_wf_tname *tn, uint32_t f,
                          const char *actor)
{
  const cc_wf_field *fd = &E->wf->fields[f];
  if (fd->type == CCENTER_FIELD_TEXT || fd->type == CCENTER_FIELD_ACCOUNT) {
    const char *want = NULL;
    char buf[CCENTER_WF_MAX_CASE_ID + CCENTER_WF_MAX_NAME + 2];
    for (uint32_t i = 0; i < tn->n_guards; i++)
      if (tn->guards[i].field == f && tn->guards[i].op == CC_G_EQ)
        want = tn->guards[i].word;
      else if (tn->guards[i].field == f)
        ck_assert_msg(tn->guards[i].op != CC_G_UNSET, "cannot unset %s", fd->name);
    if (!want) {
      snprintf(buf, sizeof buf, "%s-%s", fd->name, id);
      want = buf;
    }
    OK(ccenter_case_set_text(E->ce, id, actor, fd->name, want, E->now));
    return;
  }
  int64_t lo = INT64_MIN, hi = INT64_MAX;
  if (fd->type == CCENTER_FIELD_FLAG)
    lo = 0, hi = 1;
  for (uint32_t i = 0; i < tn->n_guards; i++) {
    const cc_wf_guard *g = &tn->guards[i];
    if (g->field != f)
      continue;
    int64_t l = INT64_MIN, h = INT64_MAX;
    switch (g->op) {
    case CC_G_SET:
      l = fd->type == CCENTER_FIELD_FLAG ? 1 : l;
      break;
    case CC_G_UNSET:
      ck_assert_msg(fd->type == CCENTER_FIELD_FLAG, "cannot unset %s", fd->name);
      h = 0;
      break;
    case CC_G_EQ:
      l = h = g->num;
      break;
    case CC_G_LT:
      h = g->num - 1;
      break;
    case CC_G_LE:
      h = g->num;
      break;
    case CC_G_GT:
      l = g->num + 1;
      break;
    case CC_G_GE:
      l = g->num;
      break;
    default:
      break;
    }
    lo = l > lo ? l : lo;
    hi = h < hi ? h : hi;
  }
  int64_t v = lo != INT64_MIN ? lo : hi != INT64_MAX ? hi : 1;
  if (fd->type == CCENTER_FIELD_TIME && lo == INT64_MIN && hi == INT64_MAX)
    v = E->now;
  while (ne_excludes(tn, f, v))
    v++;
  ck_assert_msg(v >= lo && v <= hi, "no value of %s meets the guards of %s", fd->name,
                tn->name);
  if (fd->type == CCENTER_FIELD_MONEY)
    OK(ccenter_case_set_money(E->ce, id, actor, fd->name, v, E->currency, E->now));
  else
    OK(ccenter_case_set_int(E->ce, id, actor, fd->name, v, E->now));
}

/* Sets the fields tn's guards (and its limit) need, only those whose guards fail now. */
static void satisfy(tenv *E, const char *id, const cc_wf_tname *tn, const char *actor)
{
  for (uint32_t f = 0; f < E->wf->n_fields; f++) {
    int tested = 0;
    for (uint32_t i = 0; i < tn->n_guards; i++)
      tested |= tn->guards[i].field == f;
    const char *text;
    if (tn->has_limit && tn->limit_field == f &&
        ccenter_case_get_text(E->ce, id, E->wf->fields[f].name, &text))
      tested = 1; /* a limit counts by the field, so it must be set */
    if (tested && !field_guards_hold(E, id, tn, f))
      satisfy_field(E, id, tn, f, actor);
  }
}

/* ---- taking transitions -------------------------------------------------------------- */

static void tick(tenv *E)
{
  advance(E, E->now + MIN_MS);
}

/* Takes edge e as an actor with the edge's role: guards satisfied, evidence given, and
   under dual control proposed by that actor and approved by another with the approver
   role. */
static void take_actor(tenv *E, const char *id, const cc_wf_edge *e)
{
  const cc_wf_tname *tn = &E->wf->tnames[e->tname];
  char maker[CCENTER_WF_MAX_NAME + 8], checker[CCENTER_WF_MAX_NAME + 8];
  ck_assert_ptr_nonnull(e->role);
  role_actor(maker, sizeof maker, e->role, 1);
  satisfy(E, id, tn, maker);
  ccenter_case_evidence ev[CCENTER_WF_MAX_EVIDENCE];
  char refs[CCENTER_WF_MAX_EVIDENCE][CCENTER_WF_MAX_NAME + 8];
  for (uint32_t i = 0; i < tn->n_evidence; i++) {
    snprintf(refs[i], sizeof refs[i], "doc:%s", tn->evidence[i]);
    ev[i].name = tn->evidence[i];
    ev[i].ref = refs[i];
  }
  ccenter_case_input in;
  ccenter_case_input_init(&in);
  in.evidence = ev;
  in.n_evidence = tn->n_evidence;
  tick(E);
  size_t e0 = E->n_ev;
  int rc = ccenter_case_transition(E->ce, id, tn->name, maker, &in, E->now);
  if (tn->dual) {
    ck_assert_int_eq(rc, CCENTER_PROPOSED);
    ck_assert_ptr_nonnull(find_ev(E, e0, CCENTER_CASE_APPROVAL_NEEDED, id, XS_ROLE,
                                  tn->approver_role));
    role_actor(checker, sizeof checker, tn->approver_role, 2);
    tick(E);
    OK(ccenter_case_approve(E->ce, id, checker, "checked", E->now));
    ck_assert_ptr_nonnull(find_ev(E, e0, CCENTER_CASE_APPROVED, id, XS_ACTOR, checker));
    E->x_dual++;
  } else {
    ck_assert_int_eq(rc, 0);
  }
  const xev *x = find_ev(E, e0, CCENTER_CASE_STATE_CHANGED, id, XS_TRANS, tn->name);
  ck_assert_ptr_nonnull(x);
  ck_assert_str_eq(x->s[XS_ACTOR], maker);
  ck_assert_str_eq(x->s[XS_TO], E->wf->states[e->to].name);
  ck_assert_int_eq(x->time, E->now);
}

/* Takes the transition named `tname` from the case's current state by an actor. */
static void act(tenv *E, const char *id, const char *tname)
{
  ccenter_case_info i = info_of(E, id);
  int s = cc_wf_find_state(E->wf, i.state), t = cc_wf_find_tname(E->wf, tname);
  ck_assert_int_ge(t, 0);
  const cc_wf_edge *e = cc_wf_find_edge(E->wf, (uint32_t)s, (uint32_t)t);
  ck_assert_msg(e != NULL, "%s does not leave %s", tname, i.state);
  take_actor(E, id, e);
  E->x_tname[e->tname]++;
}

/* Whether timer k's expiry would take a transition that leaves state s. */
static int moves_from(const ccenter_workflow *wf, uint32_t k, uint32_t s)
{
  const cc_wf_timer *t = &wf->timers[k];
  return t->on_expiry == CCENTER_EXPIRY_TRANSITION && t->target_tname >= 0 &&
         cc_wf_find_edge(wf, s, (uint32_t)t->target_tname) != NULL;
}

/* Advances the engine to exactly timer k's deadline d: nothing of it at d - 1 ms, its
   expiry (and escalation, alert or transition) at d, and its warnings each at its instant.
   What every running timer of the case does in (now, d] is added to the expected
   statistics; no other timer may move the case meanwhile. */
static void wait_timer(tenv *E, const char *id, uint32_t k, int64_t d)
{
  const ccenter_workflow *wf = E->wf;
  const cc_wf_timer *t = &wf->timers[k];
  ccenter_case_info i0 = info_of(E, id);
  int s = cc_wf_find_state(wf, i0.state);
  int64_t start = E->now;
  ck_assert_int_gt(d, start);
  for (uint32_t j = 0; j < wf->n_timers; j++) {
    int64_t dj = running_deadline(E, id, j);
    if (dj == CCENTER_NO_DEADLINE)
      continue;
    for (uint32_t w = 0; w < wf->timers[j].n_warn; w++)
      if (dj - wf->timers[j].warn[w] > start && dj - wf->timers[j].warn[w] <= d)
        E->x_warn++;
    if (dj > d)
      continue;
    ck_assert_msg(j == k || !moves_from(wf, j, (uint32_t)s), "%s would move the case first",
                  wf->timers[j].name);
    E->x_timer[j]++;
    E->x_deadline += (wf->timers[j].flags & CCENTER_TIMER_DEADLINE) != 0;
  }
  size_t e0 = E->n_ev;
  advance(E, d - 1);
  ck_assert_ptr_null(find_ev(E, e0, CCENTER_CASE_TIMER_EXPIRED, id, XS_TIMER, t->name));
  ck_assert_str_eq(info_of(E, id).state, i0.state);
  ck_assert_int_eq(deadline_of(E, id, t->name), d);
  advance(E, d);
  const xev *x = find_ev(E, e0, CCENTER_CASE_TIMER_EXPIRED, id, XS_TIMER, t->name);
  ck_assert_msg(x != NULL, "%s did not expire at its deadline", t->name);
  ck_assert_int_eq(x->time, d);
  ck_assert_int_eq(x->deadline, d);
  for (uint32_t w = 0; w < t->n_warn; w++) {
    if (d - t->warn[w] <= start)
      continue;
    int seen = 0;
    for (size_t j = e0; j < E->n_ev; j++)
      seen |= E->ev[j].type == CCENTER_CASE_TIMER_WARNING && !strcmp(E->ev[j].s[XS_CASE], id) &&
              !strcmp(E->ev[j].s[XS_TIMER], t->name) && E->ev[j].time == d - t->warn[w] &&
              E->ev[j].deadline == d;
    ck_assert_msg(seen, "%s: no warning %lld ms before", t->name, (long long)t->warn[w]);
  }
  if (t->flags & CCENTER_TIMER_DEADLINE) {
    x = find_ev(E, e0, CCENTER_CASE_DEADLINE_MISSED, id, XS_TIMER, t->name);
    ck_assert_ptr_nonnull(x);
    ck_assert_int_eq(x->time, d);
  }
  if (moves_from(wf, k, (uint32_t)s)) {
    x = find_ev(E, e0, CCENTER_CASE_STATE_CHANGED, id, XS_TRANS, t->target);
    ck_assert_ptr_nonnull(x);
    ck_assert_str_eq(x->s[XS_ACTOR], CCENTER_WF_SYSTEM_ACTOR);
    ck_assert_int_eq(x->time, d);
  } else if (t->on_expiry == CCENTER_EXPIRY_ESCALATE) {
    x = find_ev(E, e0, CCENTER_CASE_ESCALATION, id, XS_TIMER, t->name);
    ck_assert_ptr_nonnull(x);
    ck_assert_str_eq(x->s[XS_ROLE], t->target);
    ck_assert_int_eq(x->time, d);
  } else {
    x = find_ev(E, e0, CCENTER_CASE_ALERT, id, XS_TIMER, t->name);
    ck_assert_ptr_nonnull(x);
    ck_assert_int_eq(x->time, d);
  }
  E->done_timer[k] = 1;
}

/* ---- paths ---------------------------------------------------------------------------- */

/* A step: an edge, taken by an actor (timer -1) or by timer `timer`'s expiry. */
typedef struct pstep {
  uint32_t edge;
  int32_t timer;
} pstep;

#define MAX_STEPS 64

typedef struct wpath {
  pstep s[MAX_STEPS];
  uint32_t n;
} wpath;

typedef struct pathset {
  wpath *p;
  size_t n, cap;
} pathset;

typedef struct dfs {
  const ccenter_workflow *wf;
  uint8_t visited[CCENTER_WF_MAX_STATES]; /* times the path entered each state */
  uint8_t *edge_used;
  uint8_t timer_used[CCENTER_WF_MAX_TIMERS];
  wpath cur;
  pathset *out;
} dfs;

static int paused_in(const cc_wf_timer *t, uint32_t s)
{
  for (uint32_t i = 0; i < t->n_pause; i++)
    if (t->pause[i] == s)
      return 1;
  return 0;
}

/* Whether timer k can be running when the path is in state s: started by s, or kept from a
   start state the path went through; not fired yet and not stopped in s. */
static int runs_in(const dfs *D, uint32_t k, uint32_t s)
{
  const cc_wf_timer *t = &D->wf->timers[k];
  if (t->start_state < 0 || D->timer_used[k] || paused_in(t, s))
    return 0;
  return (uint32_t)t->start_state == s ||
         ((t->flags & CCENTER_TIMER_KEEP) && D->visited[t->start_state]);
}

static void dfs_push(dfs *D, uint32_t edge, int32_t timer);

/* The paths are the trails from the initial state to a final one: no edge taken twice.
   Without cycles these are the simple paths; a self-loop (a second stop, a renewal) or a
   cycle (asking for information and getting it) is gone round once. */
static void dfs_from(dfs *D, uint32_t s)
{
  const ccenter_workflow *wf = D->wf;
  if (wf->states[s].flags & CCENTER_STATE_FINAL) {
    pathset *o = D->out;
    if (o->n == o->cap) {
      o->cap = o->cap ? 2 * o->cap : 64;
      o->p = realloc(o->p, o->cap * sizeof *o->p);
      ck_assert_ptr_nonnull(o->p);
    }
    o->p[o->n++] = D->cur;
    return;
  }
  for (uint32_t i = 0; i < wf->n_edges; i++) {
    const cc_wf_edge *e = &wf->edges[i];
    if (e->from != s || D->edge_used[i])
      continue;
    if (e->role)
      dfs_push(D, i, -1);
    /* A timer restarted by its own state's self-loop never takes that loop. */
    for (uint32_t k = 0; k < wf->n_timers && e->to != e->from; k++)
      if (wf->timers[k].on_expiry == CCENTER_EXPIRY_TRANSITION &&
          wf->timers[k].target_tname == (int32_t)e->tname && runs_in(D, k, s))
        dfs_push(D, i, (int32_t)k);
  }
}

static void dfs_push(dfs *D, uint32_t edge, int32_t timer)
{
  const cc_wf_edge *e = &D->wf->edges[edge];
  ck_assert_uint_lt(D->cur.n, MAX_STEPS);
  D->cur.s[D->cur.n++] = (pstep){edge, timer};
  D->edge_used[edge] = 1;
  D->visited[e->to]++;
  if (timer >= 0)
    D->timer_used[timer] = 1;
  dfs_from(D, e->to);
  if (timer >= 0)
    D->timer_used[timer] = 0;
  D->visited[e->to]--;
  D->edge_used[edge] = 0;
  D->cur.n--;
}

static void enumerate(const ccenter_workflow *wf, pathset *out)
{
  dfs *D = calloc(1, sizeof *D);
  ck_assert_ptr_nonnull(D);
  D->edge_used = calloc(wf->n_edges + 1, 1);
  ck_assert_ptr_nonnull(D->edge_used);
  D->wf = wf;
  D->out = out;
  uint32_t init = cc_wf_initial(wf);
  D->visited[init] = 1;
  dfs_from(D, init);
  free(D->edge_used);
  free(D);
}

/* Lets each running timer not yet checked expire at its exact deadline, earliest first,
   while the case waits in its state; timers that would move the case are left to the
   path's own timer steps, and a wait that would cross one is not made. */
static void exercise_timers(tenv *E, const char *id)
{
  const ccenter_workflow *wf = E->wf;
  for (;;) {
    uint32_t s = (uint32_t)cc_wf_find_state(wf, info_of(E, id).state);
    int64_t best = CCENTER_NO_DEADLINE, moving = CCENTER_NO_DEADLINE;
    int32_t k = -1;
    for (uint32_t j = 0; j < wf->n_timers; j++) {
      int64_t d = running_deadline(E, id, j);
      if (d == CCENTER_NO_DEADLINE)
        continue;
      if (moves_from(wf, j, s))
        moving = d < moving ? d : moving;
      else if (!E->done_timer[j] && d < best)
        best = d, k = (int32_t)j;
    }
    if (k < 0 || best >= moving)
      return;
    wait_timer(E, id, (uint32_t)k, best);
  }
}

/* Opens a fresh case and walks path p on it, checking each state and the outcome. */
static void walk(tenv *E, const wpath *p, const char *id)
{
  const ccenter_workflow *wf = E->wf;
  char opener[CCENTER_WF_MAX_NAME + 8];
  role_actor(opener, sizeof opener, wf->edges[p->s[0].edge].role ? wf->edges[p->s[0].edge].role
                                                                 : "agent",
             1);
  tick(E);
  OK(ccenter_case_open(E->ce, id, wf->name, opener, NULL, E->now));
  /* A time field that starts a timer and that no guard tests is intake data (the time of
     an oral notice): given at opening, so that its timer runs. */
  for (uint32_t f = 0; f < wf->n_fields; f++) {
    int starts = 0, tested = 0;
    for (uint32_t k = 0; k < wf->n_timers; k++)
      starts |= wf->timers[k].start_field == (int32_t)f;
    for (uint32_t t = 0; t < wf->n_tnames; t++)
      for (uint32_t g = 0; g < wf->tnames[t].n_guards; g++)
        tested |= wf->tnames[t].guards[g].field == f;
    if (starts && !tested)
      OK(ccenter_case_set_int(E->ce, id, opener, wf->fields[f].name, E->now, E->now));
  }
  exercise_timers(E, id);
  for (uint32_t i = 0; i < p->n; i++) {
    const cc_wf_edge *e = &wf->edges[p->s[i].edge];
    ck_assert_str_eq(info_of(E, id).state, wf->states[e->from].name);
    if (p->s[i].timer < 0) {
      take_actor(E, id, e);
    } else {
      uint32_t k = (uint32_t)p->s[i].timer;
      int64_t d = running_deadline(E, id, k);
      ck_assert_msg(d != CCENTER_NO_DEADLINE, "%s is not running", wf->timers[k].name);
      wait_timer(E, id, k, d);
    }
    E->x_tname[e->tname]++;
    ccenter_case_info ci = info_of(E, id);
    ck_assert_str_eq(ci.state, wf->states[e->to].name);
    if (!(wf->states[e->to].flags & CCENTER_STATE_FINAL))
      exercise_timers(E, id);
  }
  uint32_t last = wf->edges[p->s[p->n - 1].edge].to;
  const cc_wf_state *fs = &wf->states[last];
  ck_assert(fs->flags & CCENTER_STATE_FINAL);
  ccenter_case_info ci = info_of(E, id);
  ck_assert_int_eq(ci.closed, 1);
  ck_assert_str_eq(ci.outcome, fs->outcome);
  const xev *x = find_ev(E, 0, CCENTER_CASE_CLOSED, id, -1, NULL);
  ck_assert_ptr_nonnull(x);
  ck_assert_str_eq(x->s[XS_TO], fs->name);
  ck_assert_str_eq(x->s[XS_OUTCOME], fs->outcome);
  ck_assert_int_eq(x->time, E->now);
  ck_assert_int_eq(ccenter_cases_next_deadline(E->ce), CCENTER_NO_DEADLINE);
  E->x_state[last]++;
  E->x_paths++;
}

static uint64_t stat_of(const tenv *E, ccenter_wf_count kind, const char *name)
{
  uint64_t v = UINT64_MAX;
  OK(ccenter_workflow_stat_count(E->ce, E->wf->name, kind, name, &v));
  return v;
}

/* The engine's statistics against what the walk did. */
static void check_stats(const tenv *E)
{
  const ccenter_workflow *wf = E->wf;
  ccenter_workflow_stats st;
  memset(&st, 0, sizeof st);
  st.size = sizeof st;
  OK(ccenter_workflow_stats_get(E->ce, wf->name, &st));
  ck_assert_uint_eq(st.opened, E->x_paths);
  ck_assert_uint_eq(st.closed, E->x_paths);
  ck_assert_uint_eq(st.open, 0);
  ck_assert_uint_eq(st.proposals, E->x_dual);
  ck_assert_uint_eq(st.approved, E->x_dual);
  ck_assert_uint_eq(st.rejected, 0);
  ck_assert_uint_eq(st.expired, 0);
  ck_assert_uint_eq(st.warnings, E->x_warn);
  ck_assert_uint_eq(st.deadlines_missed, E->x_deadline);
  ck_assert_uint_eq(st.golden_met + st.golden_missed, wf->golden_ms > 0 ? E->x_paths : 0);
  ck_assert_uint_eq(st.golden_met, count_ev(E, 0, CCENTER_CASE_GOLDEN_MET));
  ck_assert_uint_eq(st.warnings, count_ev(E, 0, CCENTER_CASE_TIMER_WARNING));
  uint64_t actions = 0;
  for (uint32_t t = 0; t < wf->n_tnames; t++) {
    ck_assert_uint_eq(stat_of(E, CCENTER_COUNT_TRANSITION, wf->tnames[t].name), E->x_tname[t]);
    actions += E->x_tname[t] * wf->tnames[t].n_actions;
    for (uint32_t a = 0; a < wf->tnames[t].n_actions; a++) {
      /* An action named by several transitions counts them all. */
      const char *an = wf->tnames[t].actions[a].name;
      uint64_t want = 0;
      for (uint32_t u = 0; u < wf->n_tnames; u++)
        for (uint32_t b = 0; b < wf->tnames[u].n_actions; b++)
          want += !strcmp(wf->tnames[u].actions[b].name, an) ? E->x_tname[u] : 0;
      ck_assert_uint_eq(stat_of(E, CCENTER_COUNT_ACTION, an), want);
    }
  }
  ck_assert_uint_eq(st.actions, actions);
  ck_assert_uint_eq(st.actions, count_ev(E, 0, CCENTER_CASE_ACTION));
  uint64_t timers = 0;
  for (uint32_t k = 0; k < wf->n_timers; k++) {
    ck_assert_uint_eq(stat_of(E, CCENTER_COUNT_TIMER, wf->timers[k].name), E->x_timer[k]);
    timers += E->x_timer[k];
  }
  ck_assert_uint_eq(timers, count_ev(E, 0, CCENTER_CASE_TIMER_EXPIRED));
  for (uint32_t s = 0; s < wf->n_states; s++) {
    const char *out = wf->states[s].outcome;
    if (!out)
      continue;
    uint64_t want = 0;
    for (uint32_t u = 0; u < wf->n_states; u++)
      want += wf->states[u].outcome && !strcmp(wf->states[u].outcome, out) ? E->x_state[u] : 0;
    ck_assert_uint_eq(stat_of(E, CCENTER_COUNT_OUTCOME, out), want);
  }
  ck_assert_uint_eq(count_ev(E, 0, CCENTER_CASE_CLOSED), E->x_paths);
}

static const char *const templates[] = {"cn-telecom-fraud", "cn-loss-report", "uk-app-scam",
                                        "us-reg-e"};

/* Every path of template _i, each on a fresh case of one engine from Monday 5 January
   2026. Each state a path reaches with a timer not yet checked waits for it. */
START_TEST(every_path_of_every_template)
{
  tenv E;
  env_new(&E, templates[_i], utc(2026, 1, 5, 1, 0));
  pathset ps = {0};
  enumerate(E.wf, &ps);
  ck_assert_uint_gt(ps.n, 0);
  /* Each path reaches a final state; every final state is reached by some path. */
  uint8_t reached[CCENTER_WF_MAX_STATES] = {0};
  for (size_t i = 0; i < ps.n; i++)
    reached[E.wf->edges[ps.p[i].s[ps.p[i].n - 1].edge].to] = 1;
  for (uint32_t s = 0; s < E.wf->n_states; s++)
    if (E.wf->states[s].flags & CCENTER_STATE_FINAL)
      ck_assert_msg(reached[s], "%s: no path ends in %s", E.name, E.wf->states[s].name);
  char id[32];
  for (size_t i = 0; i < ps.n; i++) {
    snprintf(id, sizeof id, "P%zu", i + 1);
    walk(&E, &ps.p[i], id);
  }
  check_stats(&E);
  /* Nothing of the template is left out: a transition or timer no path exercised is a bug
     in the template or in this walk. */
  for (uint32_t t = 0; t < E.wf->n_tnames; t++)
    ck_assert_msg(E.x_tname[t] > 0, "%s: transition %s never taken", E.name,
                  E.wf->tnames[t].name);
  for (uint32_t k = 0; k < E.wf->n_timers; k++)
    ck_assert_msg(E.done_timer[k] && E.x_timer[k] > 0, "%s: timer %s never expired", E.name,
                  E.wf->timers[k].name);
  free(ps.p);
  env_end(&E);
}
END_TEST

/* The number of paths is that of the templates as shipped (counted by hand from their
   state graphs), so that a walk that silently drops paths fails. */
START_TEST(path_counts)
{
  /* cn-telecom-fraud: from FROZEN, freeze_lapsed (timer), unfreeze, reimburse, and
     return_decided to RETURN_PENDING's three exits: 6, doubled by renew_freeze once: 12.
     STOP_ACTIVE: lapse (timer) + 12 = 13, doubled by the second stop: 26.
     AWAIT_INSTRUCTION: reimburse, decline + 26 = 28. POLICE_REFERRAL: 28.
     TRIAGE: no_fraud 1, refer 28, contain to CONTAIN_OWN (release_hold 1 + refer 28): 58.
     cn-loss-report: unverified 1; TEMP_SUSPENDED: lapse (timer), revoke, FORMAL_LOSS
     (revoke, replace): 4; 5.
     uk-app-scam: ineligible 1; ASSESSING's three exits (reimburse, reimburse_vulnerable,
     decline), directly or after going once round request_info and info_received: 6; 7.
     us-reg-e: untimely 1; INVESTIGATING (and INVESTIGATING_EXT alike): error_found (1),
     no_error (1), provisional_credit then error_found or no_error (2): 4 each; 9. */
  static const size_t want[] = {58, 5, 7, 9};
  tenv E;
  env_new(&E, templates[_i], utc(2026, 1, 5, 1, 0));
  pathset ps = {0};
  enumerate(E.wf, &ps);
  ck_assert_uint_eq(ps.n, want[_i]);
  free(ps.p);
  env_end(&E);
}
END_TEST

/* ---- exact deadlines ------------------------------------------------------------------ */

/* Takes transitions by name at the engine's current time plus one minute each. */
static void walk_names(tenv *E, const char *id, const char *const *names)
{
  for (; *names; names++)
    act(E, id, *names);
}

/* Checks that timer `timer` of case `id` (running, deadline d) does nothing at d - 1 ms and
   expires at d: returns the index of the first event at d. */
static size_t expires_at(tenv *E, const char *id, const char *timer, int64_t d)
{
  ck_assert_int_eq(deadline_of(E, id, timer), d);
  size_t e0 = E->n_ev;
  advance(E, d - 1);
  ck_assert_ptr_null(find_ev(E, e0, CCENTER_CASE_TIMER_EXPIRED, id, XS_TIMER, timer));
  size_t e1 = E->n_ev;
  advance(E, d);
  const xev *x = find_ev(E, e1, CCENTER_CASE_TIMER_EXPIRED, id, XS_TIMER, timer);
  ck_assert_msg(x != NULL, "%s did not expire at %lld", timer, (long long)d);
  ck_assert_int_eq(x->time, d);
  return e1;
}

/* Checks that timer `timer`'s warning comes at exactly w and not 1 ms before. */
static void warns_at(tenv *E, const char *id, const char *timer, int64_t w)
{
  size_t e0 = E->n_ev;
  advance(E, w - 1);
  ck_assert_ptr_null(find_ev(E, e0, CCENTER_CASE_TIMER_WARNING, id, XS_TIMER, timer));
  advance(E, w);
  const xev *x = find_ev(E, e0, CCENTER_CASE_TIMER_WARNING, id, XS_TIMER, timer);
  ck_assert_msg(x != NULL, "%s: no warning at %lld", timer, (long long)w);
  ck_assert_int_eq(x->time, w);
}

static void escalated(const tenv *E, size_t from, const char *id, const char *timer,
                      const char *role, int64_t d)
{
  const xev *x = find_ev(E, from, CCENTER_CASE_ESCALATION, id, XS_TIMER, timer);
  ck_assert_ptr_nonnull(x);
  ck_assert_str_eq(x->s[XS_ROLE], role);
  ck_assert_int_eq(x->time, d);
  x = find_ev(E, from, CCENTER_CASE_DEADLINE_MISSED, id, XS_TIMER, timer);
  ck_assert_ptr_nonnull(x);
  ck_assert_int_eq(x->time, d);
}

/* cn-telecom-fraud, return_due: 3 business days of CN-2026 (09:00-17:00, UTC+8) from the
   field police_decision_at, to the close of the last one. */
START_TEST(cn_return_due_across_national_day_and_spring_festival)
{
  tenv E;
  /* A decision on Wednesday 30 September 2026 14:00 +08:00 (06:00 UTC). 1-7 October are
     the National Day holiday (and Thu 1 Oct anyway), Saturday 10 October an extra working
     day: Thu 8 Oct (1), Fri 9 Oct (2), Sat 10 Oct (3), due at its close, 17:00 +08:00 =
     09:00 UTC on 10 October. */
  env_new(&E, "cn-telecom-fraud", utc(2026, 9, 30, 5, 0));
  OK(ccenter_case_open(E.ce, "R1", "cn-telecom-fraud", "agent-1", NULL, E.now));
  advance(&E, utc(2026, 9, 30, 6, 0));
  OK(ccenter_case_set_int(E.ce, "R1", "agent-1", "police_decision_at", E.now, E.now));
  int64_t due = utc(2026, 10, 10, 9, 0);
  size_t e = expires_at(&E, "R1", "return_due", due);
  escalated(&E, e, "R1", "return_due", "supervisor", due);
  env_end(&E);

  /* A decision on Friday 13 February 2026 10:00 +08:00 (02:00 UTC): Sat 14 Feb is an
     extra working day (1), 15-23 February the Spring Festival, Tue 24 Feb (2),
     Wed 25 Feb (3): due 25 February 17:00 +08:00 = 09:00 UTC.
     A decision on that working Saturday, 14 February 11:00 +08:00 (03:00 UTC), counts from
     the next business day: Tue 24 (1), Wed 25 (2), Thu 26 (3): 26 February 09:00 UTC. */
  env_new(&E, "cn-telecom-fraud", utc(2026, 2, 13, 1, 0));
  OK(ccenter_case_open(E.ce, "R2", "cn-telecom-fraud", "agent-1", NULL, E.now));
  OK(ccenter_case_open(E.ce, "R3", "cn-telecom-fraud", "agent-1", NULL, E.now));
  advance(&E, utc(2026, 2, 13, 2, 0));
  OK(ccenter_case_set_int(E.ce, "R2", "agent-1", "police_decision_at", E.now, E.now));
  advance(&E, utc(2026, 2, 14, 3, 0));
  OK(ccenter_case_set_int(E.ce, "R3", "agent-1", "police_decision_at", E.now, E.now));
  ck_assert_int_eq(deadline_of(&E, "R3", "return_due"), utc(2026, 2, 26, 9, 0));
  due = utc(2026, 2, 25, 9, 0);
  e = expires_at(&E, "R2", "return_due", due);
  escalated(&E, e, "R2", "return_due", "supervisor", due);
  due = utc(2026, 2, 26, 9, 0);
  e = expires_at(&E, "R3", "return_due", due);
  escalated(&E, e, "R3", "return_due", "supervisor", due);
  env_end(&E);
}
END_TEST

static const char *const to_await[] = {"triage", "refer", "police_reference", NULL};

/* cn-telecom-fraud: the escalation without a police reference, the stop's 48 hours and
   its renewal, the freeze's 6 months (clamped at month end) and its renewal. */
START_TEST(cn_stop_and_freeze_lapse)
{
  tenv E;
  /* Opened Tuesday 31 March 2026 09:50 +08:00 (01:50 UTC); each step takes a minute. */
  env_new(&E, "cn-telecom-fraud", utc(2026, 3, 31, 1, 50));
  OK(ccenter_case_open(E.ce, "S1", "cn-telecom-fraud", "agent-1", NULL, E.now));
  act(&E, "S1", "triage");
  act(&E, "S1", "refer"); /* POLICE_REFERRAL at 01:52 UTC */
  int64_t p = E.now;
  ck_assert_int_eq(p, utc(2026, 3, 31, 1, 52));
  /* no_police_ref: 30 minutes in POLICE_REFERRAL, 02:22 UTC. */
  size_t e = expires_at(&E, "S1", "no_police_ref", p + 30 * MIN_MS);
  escalated(&E, e, "S1", "no_police_ref", "supervisor", p + 30 * MIN_MS);
  act(&E, "S1", "police_reference");
  act(&E, "S1", "stop"); /* STOP_ACTIVE at 02:24 UTC */
  int64_t s = E.now;
  ck_assert_int_eq(s, utc(2026, 3, 31, 2, 24));
  /* stop_lapse: 48 hours, its warning 2 hours before: 46 hours after the stop. */
  ck_assert_int_eq(deadline_of(&E, "S1", "stop_lapse"), s + 48 * HOUR_MS);
  warns_at(&E, "S1", "stop_lapse", s + 46 * HOUR_MS);
  /* The second stop (the account's last) places a new 48-hour stop: from 47 hours after
     the first, the stop lapses at 95 hours, with its warning at 93. */
  advance(&E, s + 47 * HOUR_MS - MIN_MS);
  act(&E, "S1", "stop");
  int64_t s2 = E.now;
  ck_assert_int_eq(s2, s + 47 * HOUR_MS);
  ck_assert_int_eq(deadline_of(&E, "S1", "stop_lapse"), s2 + 48 * HOUR_MS);
  warns_at(&E, "S1", "stop_lapse", s2 + 46 * HOUR_MS);
  e = expires_at(&E, "S1", "stop_lapse", s2 + 48 * HOUR_MS);
  const xev *x = find_ev(&E, e, CCENTER_CASE_STATE_CHANGED, "S1", XS_TRANS, "lapse");
  ck_assert_ptr_nonnull(x);
  ck_assert_str_eq(x->s[XS_TO], "CLOSED_LAPSED");
  ck_assert_int_eq(x->time, s2 + 48 * HOUR_MS);
  ck_assert_str_eq(info_of(&E, "S1").outcome, "LAPSED");
  env_end(&E);

  /* A freeze lasts 6 months, clamped at the month's end, and a renewal starts 6 months
     again: frozen on Tuesday 31 March 2026 10:01 +08:00. */
  env_new(&E, "cn-telecom-fraud", utc(2026, 3, 31, 1, 55));
  OK(ccenter_case_open(E.ce, "F2", "cn-telecom-fraud", "agent-1", NULL, E.now));
  walk_names(&E, "F2", to_await); /* 01:58 UTC */
  act(&E, "F2", "stop");          /* 01:59 */
  act(&E, "F2", "freeze");        /* proposed at 02:00, approved at 02:01 */
  ck_assert_int_eq(E.now, utc(2026, 3, 31, 2, 1));
  /* 31 March 10:01 +08:00 + 6 months: 30 September 10:01 +08:00 = 02:01 UTC. */
  ck_assert_int_eq(deadline_of(&E, "F2", "freeze_lapse"), utc(2026, 9, 30, 2, 1));
  /* Renewed on Monday 31 August 2026 10:00 +08:00 (approved 02:01 UTC): 6 months is
     28 February 2027 (no 31st, not a leap year) 10:01 +08:00 = 02:01 UTC, warned 15 days
     before, 13 February 2027 02:01 UTC. The first freeze's warning (15 September) and
     expiry (30 September) no longer come. */
  advance(&E, utc(2026, 8, 31, 1, 59));
  size_t e0 = E.n_ev;
  act(&E, "F2", "renew_freeze");
  ck_assert_int_eq(E.now, utc(2026, 8, 31, 2, 1));
  ck_assert_int_eq(deadline_of(&E, "F2", "freeze_lapse"), utc(2027, 2, 28, 2, 1));
  advance(&E, utc(2026, 10, 1, 0, 0));
  ck_assert_ptr_null(find_ev(&E, e0, CCENTER_CASE_TIMER_WARNING, "F2", -1, NULL));
  ck_assert_str_eq(info_of(&E, "F2").state, "FROZEN");
  warns_at(&E, "F2", "freeze_lapse", utc(2027, 2, 13, 2, 1));
  e = expires_at(&E, "F2", "freeze_lapse", utc(2027, 2, 28, 2, 1));
  x = find_ev(&E, e, CCENTER_CASE_STATE_CHANGED, "F2", XS_TRANS, "freeze_lapsed");
  ck_assert_ptr_nonnull(x);
  ck_assert_str_eq(x->s[XS_ACTOR], CCENTER_WF_SYSTEM_ACTOR);
  ck_assert_str_eq(info_of(&E, "F2").outcome, "LAPSED");
  env_end(&E);
}
END_TEST

/* cn-loss-report: a telephone loss report lapses 5 calendar days after the suspension,
   at the same local time, if no written report follows. */
START_TEST(cn_loss_report_lapses_after_5_days)
{
  tenv E;
  /* Reported on Saturday 26 September 2026 23:29 +08:00 (15:29 UTC) on the 24-hour line;
     suspended a minute later, 23:30 +08:00 = 15:30 UTC. 5 days later (across the
     Mid-Autumn and National Day holidays, which do not matter to calendar days):
     Thursday 1 October 23:30 +08:00 = 15:30 UTC; warned 24 hours before. */
  env_new(&E, "cn-loss-report", utc(2026, 9, 26, 15, 29));
  OK(ccenter_case_open(E.ce, "L1", "cn-loss-report", "agent-1", NULL, E.now));
  act(&E, "L1", "suspend");
  ck_assert_int_eq(E.now, utc(2026, 9, 26, 15, 30));
  int64_t due = utc(2026, 10, 1, 15, 30);
  warns_at(&E, "L1", "written_due", due - 24 * HOUR_MS);
  size_t e = expires_at(&E, "L1", "written_due", due);
  const xev *x = find_ev(&E, e, CCENTER_CASE_STATE_CHANGED, "L1", XS_TRANS, "lapse");
  ck_assert_ptr_nonnull(x);
  ck_assert_int_eq(x->time, due);
  x = find_ev(&E, e, CCENTER_CASE_ACTION, "L1", XS_ACTION, "lift_suspension");
  ck_assert_ptr_nonnull(x);
  ck_assert_int_eq(x->deadline, due + HOUR_MS);
  x = find_ev(&E, e, CCENTER_CASE_CLOSED, "L1", -1, NULL);
  ck_assert_ptr_nonnull(x);
  ck_assert_str_eq(x->s[XS_OUTCOME], "LAPSED");
  env_end(&E);
}
END_TEST

/* uk-app-scam: 5 business days of GB-EAW-2026 (09:00-17:00 London time) to decide, the
   clock stopped while waiting for information, and the 35-business-day outer limit. */
START_TEST(uk_five_days_stop_the_clock_and_outer_limit)
{
  tenv E;
  /* Claim received on Wednesday 1 April 2026 10:00 BST (09:00 UTC).
     reimburse_due: the business days after 1 April are Thu 2 (1), [Good Friday 3 April,
     the weekend, Easter Monday 6 April], Tue 7 (2), Wed 8 (3), Thu 9 (4), Fri 10 (5):
     due Friday 10 April 17:00 BST = 16:00 UTC.
     outer_limit: Thu 2 Apr (1), 7-10 Apr (2-5), 13-17 (6-10), 20-24 (11-15), 27-30
     (16-19), Fri 1 May (20), [early May bank holiday Mon 4 May], 5-8 May (21-24), 11-15
     (25-29), 18-22 (30-34), [spring bank holiday Mon 25 May], Tue 26 May (35): due
     26 May 17:00 BST = 16:00 UTC. */
  env_new(&E, "uk-app-scam", utc(2026, 4, 1, 9, 0));
  OK(ccenter_case_open(E.ce, "U1", "uk-app-scam", "agent-1", NULL, E.now));
  ck_assert_int_eq(deadline_of(&E, "U1", "reimburse_due"), utc(2026, 4, 10, 16, 0));
  ck_assert_int_eq(deadline_of(&E, "U1", "outer_limit"), utc(2026, 5, 26, 16, 0));
  act(&E, "U1", "accept"); /* ASSESSING: both timers keep running */
  ck_assert_int_eq(deadline_of(&E, "U1", "reimburse_due"), utc(2026, 4, 10, 16, 0));
  /* Information requested on Thursday 2 April 15:00 BST (14:00 UTC): the clock stops with
     Thu 15:00-17:00 (2 h) and Tue 7 - Fri 10 April (4 x 8 h) left: 34 business hours. */
  advance(&E, utc(2026, 4, 2, 13, 59));
  act(&E, "U1", "request_info");
  ck_assert_int_eq(E.now, utc(2026, 4, 2, 14, 0));
  ck_assert_str_eq(info_of(&E, "U1").state, "AWAIT_INFO");
  ck_assert_int_eq(deadline_of(&E, "U1", "reimburse_due"), CCENTER_NO_DEADLINE);
  ck_assert_int_eq(deadline_of(&E, "U1", "outer_limit"), utc(2026, 5, 26, 16, 0));
  /* Nothing of reimburse_due while paused, across Easter and the old deadline. */
  size_t e0 = E.n_ev;
  advance(&E, utc(2026, 5, 21, 12, 59));
  ck_assert_ptr_null(find_ev(&E, e0, CCENTER_CASE_TIMER_WARNING, "U1", -1, NULL));
  ck_assert_ptr_null(find_ev(&E, e0, CCENTER_CASE_TIMER_EXPIRED, "U1", -1, NULL));
  /* Information received on Thursday 21 May 14:00 BST (13:00 UTC): the 34 hours resume,
     Thu 14:00-17:00 (3, 31 left), Fri 22 (8, 23 left), [spring bank holiday Mon 25 May],
     Tue 26 (8, 15 left), Wed 27 (8, 7 left), Thu 28 May 09:00 + 7 h = 16:00 BST =
     15:00 UTC; warned 24 hours before, 27 May 15:00 UTC. */
  act(&E, "U1", "info_received");
  ck_assert_int_eq(E.now, utc(2026, 5, 21, 13, 0));
  ck_assert_int_eq(deadline_of(&E, "U1", "reimburse_due"), utc(2026, 5, 28, 15, 0));
  /* The outer limit came first: warned Monday 25 May 16:00 UTC, expired Tuesday 26 May
     16:00 UTC. */
  warns_at(&E, "U1", "outer_limit", utc(2026, 5, 25, 16, 0));
  size_t e = expires_at(&E, "U1", "outer_limit", utc(2026, 5, 26, 16, 0));
  escalated(&E, e, "U1", "outer_limit", "supervisor", utc(2026, 5, 26, 16, 0));
  warns_at(&E, "U1", "reimburse_due", utc(2026, 5, 27, 15, 0));
  e = expires_at(&E, "U1", "reimburse_due", utc(2026, 5, 28, 15, 0));
  escalated(&E, e, "U1", "reimburse_due", "supervisor", utc(2026, 5, 28, 15, 0));
  ck_assert_str_eq(info_of(&E, "U1").state, "ASSESSING");
  env_end(&E);
}
END_TEST

/* us-reg-e: 10 business days of US-FRB-2026 (09:00-17:00 New York time) to decide, 45
   calendar days to resolve, 1 business day to correct, and the written confirmation of
   an oral notice. */
START_TEST(us_reg_e_across_columbus_day_and_dst)
{
  tenv E;
  /* A notice on Wednesday 7 October 2026 10:00 EDT (14:00 UTC), investigated at once.
     decide_10bd: Thu 8 (1), Fri 9 (2), [Columbus Day Mon 12 Oct], Tue 13 (3) ... Fri 16
     (6), Mon 19 (7) ... Thu 22 (10): 22 October 17:00 EDT = 21:00 UTC, warned 24 hours
     before. resolve_45d: 7 October + 24 days = 31 October, + 21 = 21 November, same local
     time 10:00, now EST (daylight saving ended on 1 November): 15:00 UTC; warned 5 days
     (120 hours) before, 16 November 15:00 UTC. */
  env_new(&E, "us-reg-e", utc(2026, 10, 7, 13, 59));
  OK(ccenter_case_open(E.ce, "A1", "us-reg-e", "agent-1", NULL, E.now));
  act(&E, "A1", "investigate");
  ck_assert_int_eq(E.now, utc(2026, 10, 7, 14, 0));
  warns_at(&E, "A1", "decide_10bd", utc(2026, 10, 21, 21, 0));
  size_t e = expires_at(&E, "A1", "decide_10bd", utc(2026, 10, 22, 21, 0));
  escalated(&E, e, "A1", "decide_10bd", "supervisor", utc(2026, 10, 22, 21, 0));
  act(&E, "A1", "provisional_credit"); /* resolve_45d keeps running */
  warns_at(&E, "A1", "resolve_45d", utc(2026, 11, 16, 15, 0));
  e = expires_at(&E, "A1", "resolve_45d", utc(2026, 11, 21, 15, 0));
  escalated(&E, e, "A1", "resolve_45d", "supervisor", utc(2026, 11, 21, 15, 0));
  env_end(&E);
}
END_TEST

START_TEST(us_reg_e_across_veterans_day_and_thanksgiving)
{
  tenv E;
  /* An oral notice on Tuesday 10 November 2026 16:00 EST (21:00 UTC), investigated at
     once. [Veterans Day Wed 11 Nov], Thu 12 (1), Fri 13 (2), 16-20 (3-7), Mon 23 (8),
     Tue 24 (9), Wed 25 (10): decide_10bd and written_confirmation are due 25 November
     17:00 EST = 22:00 UTC. resolve_45d: 10 November + 20 days = 30 November, + 25 =
     25 December 16:00 EST = 21:00 UTC (calendar days: Christmas does not matter). */
  env_new(&E, "us-reg-e", utc(2026, 11, 10, 20, 59));
  OK(ccenter_case_open(E.ce, "B1", "us-reg-e", "agent-1", NULL, E.now));
  OK(ccenter_case_set_int(E.ce, "B1", "agent-1", "oral_notice_at", utc(2026, 11, 10, 21, 0),
                          E.now));
  act(&E, "B1", "investigate");
  ck_assert_int_eq(E.now, utc(2026, 11, 10, 21, 0));
  ck_assert_int_eq(deadline_of(&E, "B1", "decide_10bd"), utc(2026, 11, 25, 22, 0));
  ck_assert_int_eq(deadline_of(&E, "B1", "written_confirmation"), utc(2026, 11, 25, 22, 0));
  ck_assert_int_eq(deadline_of(&E, "B1", "resolve_45d"), utc(2026, 12, 25, 21, 0));
  /* The error is found on Wednesday 25 November 12:00 EST (17:00 UTC): correct_1bd is the
     next business day after [Thanksgiving Thu 26 Nov]: Friday 27 November 17:00 EST =
     22:00 UTC. decide_10bd stops with the state; the written confirmation's alert still
     comes at 22:00 UTC on the 25th. */
  advance(&E, utc(2026, 11, 25, 16, 59));
  act(&E, "B1", "error_found");
  ck_assert_int_eq(E.now, utc(2026, 11, 25, 17, 0));
  ck_assert_int_eq(ccenter_case_timer_deadline(E.ce, "B1", "decide_10bd", &(int64_t){0}),
                   CCENTER_ENOENT);
  size_t e = expires_at(&E, "B1", "written_confirmation", utc(2026, 11, 25, 22, 0));
  const xev *x = find_ev(&E, e, CCENTER_CASE_ALERT, "B1", XS_TIMER, "written_confirmation");
  ck_assert_ptr_nonnull(x);
  ck_assert_int_eq(x->time, utc(2026, 11, 25, 22, 0));
  ck_assert_ptr_null(find_ev(&E, e, CCENTER_CASE_DEADLINE_MISSED, "B1", -1, NULL));
  e = expires_at(&E, "B1", "correct_1bd", utc(2026, 11, 27, 22, 0));
  escalated(&E, e, "B1", "correct_1bd", "supervisor", utc(2026, 11, 27, 22, 0));
  e = expires_at(&E, "B1", "resolve_45d", utc(2026, 12, 25, 21, 0));
  escalated(&E, e, "B1", "resolve_45d", "supervisor", utc(2026, 12, 25, 21, 0));
  env_end(&E);
}
END_TEST

/* ---- refusals ------------------------------------------------------------------------- */

typedef struct snap {
  ccenter_audit_head head;
  size_t events;
  char info[1024];
} snap;

static void take_snap(const tenv *E, const char *id, snap *s)
{
  memset(s, 0, sizeof *s);
  OK(ccenter_cases_audit_head(E->ce, &s->head));
  s->events = E->n_ev;
  ccenter_case_info i = info_of(E, id);
  snprintf(s->info, sizeof s->info, "%s|%s|%s|%d|%lld|%lld|%lld|%s|%s|%lld|%lld|%zu",
           i.workflow, i.state, i.outcome ? i.outcome : "-", i.closed, (long long)i.opened_at,
           (long long)i.state_since, (long long)i.contained_at, i.proposal ? i.proposal : "-",
           i.proposed_by ? i.proposed_by : "-", (long long)i.proposal_expires,
           (long long)i.next_deadline, i.contacts);
}

/* A call that must fail with `want` and leave the case, the events and the audit chain
   as they were. */
#define REFUSED(E, id, want, call)                       \
  do {                                                   \
    snap a_, b_;                                         \
    take_snap((E), (id), &a_);                           \
    ck_assert_int_eq((call), (want));                    \
    take_snap((E), (id), &b_);                           \
    ck_assert_uint_eq(a_.head.seq, b_.head.seq);         \
    ck_assert_mem_eq(a_.head.hash, b_.head.hash, 32);    \
    ck_assert_uint_eq(a_.events, b_.events);             \
    ck_assert_str_eq(a_.info, b_.info);                  \
  } while (0)

static ccenter_case_input with_evidence(ccenter_case_evidence *ev, size_t n)
{
  ccenter_case_input in;
  ccenter_case_input_init(&in);
  in.evidence = ev;
  in.n_evidence = n;
  return in;
}

START_TEST(refusals_on_cn_telecom_fraud)
{
  tenv E;
  env_new(&E, "cn-telecom-fraud", utc(2026, 6, 1, 1, 0));
  OK(ccenter_cases_set_actor(E.ce, "both", "agent,supervisor", E.now));
  ccenter_case_evidence stop_ev[] = {{"platform_msg", "EP-1"}, {"four_field_check", "FF-1"}};
  ccenter_case_input stop_in = with_evidence(stop_ev, 2);
  const char *acct = "6222020200112233445";

  /* Two cases on one receiving account: the first stop and its renewal take the limit
     (2); LIMIT_REACHED comes with the second. */
  OK(ccenter_case_open(E.ce, "X1", "cn-telecom-fraud", "agent-1", NULL, E.now));
  OK(ccenter_case_open(E.ce, "X2", "cn-telecom-fraud", "agent-1", NULL, E.now));
  walk_names(&E, "X1", to_await);
  walk_names(&E, "X2", to_await);
  const char *ids[] = {"X1", "X2"};
  for (int i = 0; i < 2; i++) {
    OK(ccenter_case_set_text(E.ce, ids[i], "agent-1", "receiving_account", acct, E.now));
    OK(ccenter_case_set_money(E.ce, ids[i], "agent-1", "amount", 5000000, "CNY", E.now));
  }
  tick(&E);
  size_t e0 = E.n_ev;
  OK(ccenter_case_transition(E.ce, "X1", "stop", "agent-1", &stop_in, E.now));
  ck_assert_ptr_null(find_ev(&E, e0, CCENTER_CASE_LIMIT_REACHED, "X1", -1, NULL));
  tick(&E);
  OK(ccenter_case_transition(E.ce, "X1", "stop", "agent-2", &stop_in, E.now));
  const xev *x = find_ev(&E, e0, CCENTER_CASE_LIMIT_REACHED, "X1", XS_TRANS, "stop");
  ck_assert_ptr_nonnull(x);
  ck_assert_str_eq(x->s[XS_FIELD], "receiving_account");
  ck_assert_uint_eq(x->count, 2);
  ck_assert_int_eq(x->time, E.now);
  uint64_t stops = 0;
  OK(ccenter_workflow_stat_count(E.ce, "cn-telecom-fraud", CCENTER_COUNT_TRANSITION, "stop",
                                 &stops));
  ck_assert_uint_eq(stops, 2);
  /* The third stop on that account, from the other case. */
  tick(&E);
  REFUSED(&E, "X2", CCENTER_EFULL,
          ccenter_case_transition(E.ce, "X2", "stop", "agent-1", &stop_in, E.now));
  ck_assert_str_eq(info_of(&E, "X2").state, "AWAIT_INSTRUCTION");
  /* Missing evidence: the four-field check not given. */
  ccenter_case_input one = with_evidence(stop_ev, 1);
  REFUSED(&E, "X2", CCENTER_ECONDITION,
          ccenter_case_transition(E.ce, "X2", "stop", "agent-1", &one, E.now));
  /* ... and a decline without its reason. */
  REFUSED(&E, "X2", CCENTER_ECONDITION,
          ccenter_case_transition(E.ce, "X2", "decline", "agent-1", NULL, E.now));
  /* A wrong role: a supervisor is not an agent and cannot take an agent's transition. */
  REFUSED(&E, "X2", CCENTER_EPERM,
          ccenter_case_transition(E.ce, "X2", "decline", "supervisor-1", NULL, E.now));

  /* Maker and checker on the freeze. */
  ccenter_case_evidence fr_ev[] = {{"freeze_notice", "FN-1"}};
  ccenter_case_input fr_in = with_evidence(fr_ev, 1);
  tick(&E);
  ck_assert_int_eq(ccenter_case_transition(E.ce, "X1", "freeze", "both", &fr_in, E.now),
                   CCENTER_PROPOSED);
  tick(&E);
  REFUSED(&E, "X1", CCENTER_EPERM, ccenter_case_approve(E.ce, "X1", "both", NULL, E.now));
  /* An agent without the supervisor role. */
  REFUSED(&E, "X1", CCENTER_EPERM, ccenter_case_approve(E.ce, "X1", "agent-2", NULL, E.now));
  ck_assert_str_eq(info_of(&E, "X1").proposal, "freeze");
  OK(ccenter_case_approve(E.ce, "X1", "supervisor-1", NULL, E.now));
  ck_assert_str_eq(info_of(&E, "X1").state, "FROZEN");
  x = find_ev(&E, e0, CCENTER_CASE_STATE_CHANGED, "X1", XS_TRANS, "freeze");
  ck_assert_ptr_nonnull(x);
  ck_assert_str_eq(x->s[XS_ACTOR], "both");
  /* Renewal needs its notice. */
  REFUSED(&E, "X1", CCENTER_ECONDITION,
          ccenter_case_transition(E.ce, "X1", "renew_freeze", "agent-1", &fr_in, E.now));
  env_end(&E);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("templates");
  TCase *tc = tcase_create("templates");
  /* Measured alone under ASan+UBSan: see tests/unit/meson.build. */
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, path_counts, 0, 4);
  tcase_add_loop_test(tc, every_path_of_every_template, 0, 4);
  tcase_add_test(tc, cn_return_due_across_national_day_and_spring_festival);
  tcase_add_test(tc, cn_stop_and_freeze_lapse);
  tcase_add_test(tc, cn_loss_report_lapses_after_5_days);
  tcase_add_test(tc, uk_five_days_stop_the_clock_and_outer_limit);
  tcase_add_test(tc, us_reg_e_across_columbus_day_and_dst);
  tcase_add_test(tc, us_reg_e_across_veterans_day_and_thanksgiving);
  tcase_add_test(tc, refusals_on_cn_telecom_fraud);
  suite_add_tcase(s, tc);
  return s;
}

CC_TEST_MAIN()
