/*
 * The case engine's core: the counting allocator, events, the audit glue, the workflow
 * timers and every state-changing operation, reached only through cc_cases_replay() (the
 * public calls in cases_query.c pack their input into a journal record first, so a
 * replayed journal runs exactly the code the original calls ran).
 *
 * Every operation is a "unit": it checks (nothing changes), reserves everything it may
 * need (event room, string room, wheel nodes, map slots, new objects, the audit record),
 * and only then applies, which cannot fail. A fired timer is a unit of its own.
 * The engine's setup and its counting allocator are in cases_setup.c.
 */
#include "workflow/cases_int.h"

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>


/* The most events one unit raises: APPROVED, STATE_CHANGED, a withdrawn proposal,
 * LIMIT_REACHED, 16 actions, GOLDEN_MET, GOLDEN_MISSED, CLOSED, and a timer's EXPIRED,
 * DEADLINE_MISSED and ALERT ahead of them. */
#define EV_UNIT 32
#define CHUNK_MIN 16384

/* ---- small helpers ------------------------------------------------------------------ */

int cc_cases_id_ok(const char *s)
{
  if (!s || !*s)
    return 0;
  size_t n = 0;
  for (; s[n]; n++)
    if ((unsigned char)s[n] < 0x20 || s[n] == 0x7f || n >= CCENTER_WF_MAX_CASE_ID - 1)
      return 0;
  return 1;
}

cc_case *cc_cases_find(const ccenter_cases *ce, const char *id)
{
  return id ? cc_map_get(&ce->cases, id) : NULL;
}

static int text_ok(const char *s)
{
  return !s || strlen(s) <= CCENTER_WF_MAX_TEXT;
}

/* 1 when `role` is in the comma-separated list. */
static int has_role(const cc_actor *a, const char *role)
{
  if (!a || !a->roles || !role)
    return 0;
  size_t n = strlen(role);
  for (const char *p = a->roles; *p;) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == n && !memcmp(p, role, n))
      return 1;
    if (!e)
      break;
    p = e + 1;
  }
  return 0;
}

/* Checks a role list; 0, CCENTER_EINVAL or CCENTER_EFULL. "" and NULL are the empty list. */
static int roles_check(const char *roles)
{
  if (!roles || !*roles)
    return 0;
  char buf[CCENTER_WF_MAX_NAME + 1];
  unsigned n = 0;
  for (const char *p = roles;;) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == 0 || len > CCENTER_WF_MAX_NAME)
      return CCENTER_EINVAL;
    memcpy(buf, p, len);
    buf[len] = 0;
    if (!cc_wf_name_ok(buf))
      return CCENTER_EINVAL;
    n++;
    if (!e)
      break;
    p = e + 1;
  }
  return n > CCENTER_WF_MAX_ROLES ? CCENTER_EFULL : 0;
}

static int in_pause(const cc_wf_timer *t, uint32_t state)
{
  for (uint32_t i = 0; i < t->n_pause; i++)
    if (t->pause[i] == state)
      return 1;
  return 0;
}

static int is_business(ccenter_timer_clock k)
{
  return k == CCENTER_CLOCK_BUSINESS_DAYS || k == CCENTER_CLOCK_BUSINESS_DAYS_SAME_TIME ||
         k == CCENTER_CLOCK_BUSINESS_TIME;
}

static int64_t add_ms(int64_t t, int64_t ms)
{
  if (ms > 0 && t > CCENTER_TIME_MAX - ms)
    return CCENTER_TIME_MAX;
  return t + ms;
}

static cc_armed *find_armed(cc_case *c, uint32_t timer)
{
  for (uint16_t i = 0; i < c->n_armed; i++)
    if (c->armed[i].timer == timer)
      return &c->armed[i];
  return NULL;
}

int64_t cc_case_next_deadline(const ccenter_cases *ce, const cc_case *c)
{
  (void)ce;
  int64_t best = CCENTER_NO_DEADLINE;
  for (uint16_t i = 0; i < c->n_armed; i++)
    if (!c->armed[i].paused && c->armed[i].deadline < best)
      best = c->armed[i].deadline;
  return best;
}

/* ---- events ------------------------------------------------------------------------- */

void cc_cases_chunk_unref(ccenter_cases *ce, cc_chunk *k)
{
  if (k && --k->refs == 0 && k != ce->chunk)
    cc_free(&ce->alloc, k);
}

/* Room for EV_UNIT events and `bytes` of strings in the current chunk. */
static int ev_reserve(ccenter_cases *ce, size_t bytes)
{
  if (cc_grow(&ce->alloc, (void **)&ce->ev, &ce->cap_ev, ce->n_ev + EV_UNIT, sizeof *ce->ev))
    return CCENTER_ENOMEM;
  cc_chunk *k = ce->chunk;
  if (k && k->refs == 0)
    k->used = 0;
  if (k && k->cap - k->used >= bytes)
    return 0;
  size_t cap = bytes > CHUNK_MIN ? bytes : CHUNK_MIN;
  cc_chunk *n = cc_malloc(&ce->alloc, sizeof *n + cap);
  if (!n)
    return CCENTER_ENOMEM;
  n->used = 0;
  n->cap = cap;
  n->refs = 0;
  if (k && k->refs == 0)
    cc_free(&ce->alloc, k);
  ce->chunk = n;
  return 0;
}

/* Starts a unit: reserves its events and copies the strings its events name (case id,
 * actor, reasons, contact...) into ce->u[], where they outlive the objects they came from
 * until the events are delivered or pulled. */
static int unit_begin(ccenter_cases *ce, const char *const *s, size_t n)
{
  size_t bytes = 0;
  for (size_t i = 0; i < n; i++)
    if (s[i])
      bytes += strlen(s[i]) + 1;
  int rc = ev_reserve(ce, bytes);
  if (rc)
    return rc;
  for (size_t i = 0; i < 6; i++) {
    ce->u[i] = NULL;
    if (i < n && s[i]) {
      size_t len = strlen(s[i]) + 1;
      char *d = ce->chunk->data + ce->chunk->used;
      memcpy(d, s[i], len);
      ce->chunk->used += len;
      ce->u[i] = d;
    }
  }
  return 0;
}

static ccenter_case_event *emit(ccenter_cases *ce, ccenter_case_event_type type,
                                const cc_case *c)
{
  cc_cev *e = &ce->ev[ce->n_ev++];
  memset(e, 0, sizeof *e);
  e->chunk = ce->chunk;
  ce->chunk->refs++;
  e->pub.type = type;
  e->pub.seq = ++ce->ev_seq;
  e->pub.time = ce->now;
  e->pub.case_id = ce->u[0];
  e->pub.case_data = c->user_data;
  e->pub.workflow = c->wf->def->name;
  e->pub.deadline = CCENTER_NO_DEADLINE;
  return &e->pub;
}

/* Drops pulled events from the front so that the buffer holds only what is to come. */
static void ev_compact(ccenter_cases *ce)
{
  if (!ce->ev_head)
    return;
  memmove(ce->ev, ce->ev + ce->ev_head, (ce->n_ev - ce->ev_head) * sizeof *ce->ev);
  ce->n_ev -= ce->ev_head;
  ce->ev_head = 0;
}

static void deliver(ccenter_cases *ce)
{
  if (!ce->ev_fn)
    return;
  ce->in_callback = 1;
  for (size_t i = 0; i < ce->n_ev; i++)
    ce->ev_fn(ce, &ce->ev[i].pub, ce->ev_ud);
  ce->in_callback = 0;
  for (size_t i = 0; i < ce->n_ev; i++)
    cc_cases_chunk_unref(ce, ce->ev[i].chunk);
  ce->n_ev = 0;
}

const ccenter_case_event *ccenter_cases_next_event(ccenter_cases *ce)
{
  if (!ce || ce->in_callback)
    return NULL;
  if (ce->have_last) {
    ce->have_last = 0;
    cc_cases_chunk_unref(ce, ce->last.chunk);
  }
  if (ce->ev_head >= ce->n_ev)
    return NULL;
  ce->last = ce->ev[ce->ev_head++];
  ce->have_last = 1;
  if (ce->ev_head == ce->n_ev)
    ce->ev_head = ce->n_ev = 0;
  return &ce->last.pub;
}

size_t ccenter_cases_pending_events(const ccenter_cases *ce)
{
  return ce ? ce->n_ev - ce->ev_head : 0;
}

/* ---- audit -------------------------------------------------------------------------- */

void cc_cases_audit_commit(ccenter_cases *ce)
{
  ccenter_audit_record rec;
  cc_audit_commit(&ce->audit, &rec);
  ce->in_callback = 1;
  if (ce->tap && ce->tap->audit)
    ce->tap->audit(ce->tap_ud, &rec);
  if (ce->sink)
    ce->sink(ce->sink_ud, &rec);
  ce->in_callback = 0;
}

int cc_cases_audit_prep(ccenter_cases *ce, const char *case_id, const char *actor,
                      const char *what, const char *name, const char *from, const char *to,
                      const char *value, const char *reason,
                      const ccenter_case_evidence *ev, size_t n_ev)
{
  cc_audit_fields f = {
    .time = ce->now, .case_id = case_id, .actor = actor, .what = what, .name = name,
    .from = from, .to = to, .value = value, .reason = reason, .evidence = ev,
    .n_evidence = n_ev};
  return cc_audit_prepare(&ce->audit, &f);
}

/* ---- timers ------------------------------------------------------------------------- */

static const ccenter_calendar *wf_cal(const cc_case *c)
{
  return c->wf->cal;
}

/* When timer t started at `from` expires; 0 or the calendar's error. */
static int timer_due(const cc_case *c, const cc_wf_timer *t, int64_t from, int64_t *out)
{
  const ccenter_calendar *cal = wf_cal(c);
  if (t->clock == CCENTER_CLOCK_ELAPSED) {
    if (from > CCENTER_TIME_MAX - t->amount)
      return CCENTER_ERANGE;
    *out = from + t->amount;
    return 0;
  }
  if (t->clock == CCENTER_CLOCK_BUSINESS_TIME)
    return ccenter_calendar_add_business_time(cal, from, t->amount, out);
  if (t->amount > INT_MAX)
    return CCENTER_ERANGE;
  int n = (int)t->amount;
  switch (t->clock) {
  case CCENTER_CLOCK_DAYS:
    return ccenter_calendar_add_days(cal, from, n, out);
  case CCENTER_CLOCK_MONTHS:
    return ccenter_calendar_add_months(cal, from, n, out);
  case CCENTER_CLOCK_BUSINESS_DAYS:
    return ccenter_calendar_add_business_days(cal, from, n, CCENTER_BDAY_END_OF_DAY, out);
  case CCENTER_CLOCK_BUSINESS_DAYS_SAME_TIME:
    return ccenter_calendar_add_business_days(cal, from, n, CCENTER_BDAY_SAME_TIME, out);
  default:
    return CCENTER_EINVAL;
  }
}

/* Arms the wheel for the armed timer's next moment: its first warning not yet passed,
 * else its expiry. Room was reserved. */
static void arm_next(ccenter_cases *ce, cc_case *c, cc_armed *a)
{
  const cc_wf_timer *t = &c->wf->def->timers[a->timer];
  /* A warning already in the past when the timer is (re)armed is not worth raising. */
  while (a->n_warned < t->n_warn && a->deadline - t->warn[a->n_warned] < ce->now)
    a->n_warned++;
  int64_t due = a->n_warned < t->n_warn ? a->deadline - t->warn[a->n_warned] : a->deadline;
  (void)cc_timers_arm(&ce->timers, due, a->timer, (uint64_t)(uintptr_t)c, &a->wid);
}

static void pause_timer(ccenter_cases *ce, cc_case *c, cc_armed *a)
{
  const cc_wf_timer *t = &c->wf->def->timers[a->timer];
  int64_t rem = a->deadline > ce->now ? a->deadline - ce->now : 0;
  if (is_business(t->clock) && rem > 0 &&
      ccenter_calendar_business_time_between(wf_cal(c), ce->now, a->deadline, &rem))
    rem = a->deadline - ce->now;
  if (a->wid)
    (void)cc_timers_cancel(&ce->timers, a->wid);
  a->wid = 0;
  a->remain = rem;
  a->paused = 1;
}

static void resume_timer(ccenter_cases *ce, cc_case *c, cc_armed *a)
{
  const cc_wf_timer *t = &c->wf->def->timers[a->timer];
  int64_t d;
  if (!is_business(t->clock) ||
      ccenter_calendar_add_business_time(wf_cal(c), ce->now, a->remain, &d))
    d = add_ms(ce->now, a->remain);
  a->deadline = d;
  a->paused = 0;
  a->remain = 0;
  arm_next(ce, c, a);
}

static void disarm(ccenter_cases *ce, cc_case *c, uint16_t i)
{
  if (c->armed[i].wid)
    (void)cc_timers_cancel(&ce->timers, c->armed[i].wid);
  memmove(&c->armed[i], &c->armed[i + 1], (size_t)(c->n_armed - i - 1) * sizeof *c->armed);
  c->n_armed--;
}

/* Starts timer k from instant `from` (a slot was reserved). A deadline the calendar cannot
 * compute (a calendar never open, a year out of range) leaves the timer unarmed. */
static void start_timer(ccenter_cases *ce, cc_case *c, uint32_t k, int64_t from)
{
  const cc_wf_timer *t = &c->wf->def->timers[k];
  int64_t d;
  if (timer_due(c, t, from, &d) || d > CCENTER_TIME_MAX) {
    cc_logf(&ce->log, CCENTER_LOG_WARN, "case %s: timer %s cannot be computed, not armed",
            c->id, t->name);
    return;
  }
  cc_armed *a = &c->armed[c->n_armed++];
  memset(a, 0, sizeof *a);
  a->timer = (uint16_t)k;
  a->deadline = d;
  if (in_pause(t, c->state))
    pause_timer(ce, c, a);
  else
    arm_next(ce, c, a);
}

/* Slots a case needs after entering `to` (an upper bound), then room for them. */
static int reserve_enter(ccenter_cases *ce, cc_case *c, uint32_t to, size_t extra)
{
  const ccenter_workflow *d = c->wf->def;
  size_t need = (size_t)c->n_armed + extra;
  for (uint32_t k = 0; k < d->n_timers; k++)
    if (d->timers[k].start_state == (int32_t)to && !find_armed(c, k))
      need++;
  if (need > c->cap_armed) {
    cc_armed *p = cc_realloc(&ce->alloc, c->armed, need * sizeof *p);
    if (!p)
      return CCENTER_ENOMEM;
    c->armed = p;
    c->cap_armed = (uint16_t)need;
  }
  return cc_timers_reserve(&ce->timers, need + 2);
}

static void free_prop(ccenter_cases *ce, cc_case *c)
{
  if (!c->prop)
    return;
  if (c->prop->wid)
    (void)cc_timers_cancel(&ce->timers, c->prop->wid);
  cc_free(&ce->alloc, c->prop);
  c->prop = NULL;
}

static void close_case(ccenter_cases *ce, cc_case *c)
{
  cc_wfrt *w = c->wf;
  const cc_wf_state *s = &w->def->states[c->state];
  while (c->n_armed)
    disarm(ce, c, (uint16_t)(c->n_armed - 1));
  cc_free(&ce->alloc, c->armed);
  c->armed = NULL;
  c->cap_armed = 0;
  free_prop(ce, c);
  if (c->golden) {
    /* Closed uncontained before the window's end: the window can no longer be met. */
    (void)cc_timers_cancel(&ce->timers, c->golden);
    c->golden = 0;
    emit(ce, CCENTER_CASE_GOLDEN_MISSED, c);
    w->st.golden_missed++;
  }
  c->closed = 1;
  ccenter_case_event *ev = emit(ce, CCENTER_CASE_CLOSED, c);
  ev->to = s->name;
  ev->outcome = s->outcome;
  w->st.closed++;
  w->st.open--;
  w->n_state[c->state]++;
  ce->n_open--;
}

/* The case enters state `to` (also on opening, from == to): timers stop, pause, resume
 * and start; containment and closing. A transition from `to` to itself renews what the
 * state stands for (a second stop-payment, a renewed freeze), so the timers `to` starts
 * start again. */
static void enter_state(ccenter_cases *ce, cc_case *c, uint32_t to, int opening)
{
  const ccenter_workflow *d = c->wf->def;
  int renew = !opening && c->state == to;
  c->state = (uint16_t)to;
  c->state_since = ce->now;
  const cc_wf_state *s = &d->states[to];
  if ((s->flags & CCENTER_STATE_CONTAINED) && c->contained_at == CCENTER_NO_DEADLINE) {
    c->contained_at = ce->now;
    if (c->golden) {
      (void)cc_timers_cancel(&ce->timers, c->golden);
      c->golden = 0;
      ccenter_case_event *ev = emit(ce, CCENTER_CASE_GOLDEN_MET, c);
      ev->elapsed_ms = ce->now - c->opened_at;
      c->wf->st.golden_met++;
    }
  }
  if (s->flags & CCENTER_STATE_FINAL) {
    close_case(ce, c);
    return;
  }
  if (!opening) {
    for (uint16_t i = 0; i < c->n_armed;) {
      cc_armed *a = &c->armed[i];
      const cc_wf_timer *t = &d->timers[a->timer];
      if (renew && t->start_state == (int32_t)to) {
        disarm(ce, c, i);
        continue;
      }
      if (in_pause(t, to)) {
        if (!a->paused)
          pause_timer(ce, c, a);
      } else if (t->start_state < 0 || t->start_state == (int32_t)to ||
                 (t->flags & CCENTER_TIMER_KEEP)) {
        if (a->paused)
          resume_timer(ce, c, a);
      } else {
        disarm(ce, c, i);
        continue;
      }
      i++;
    }
  }
  for (uint32_t k = 0; k < d->n_timers; k++)
    if (d->timers[k].start_state == (int32_t)to && !find_armed(c, k))
      start_timer(ce, c, k, ce->now);
}

/* ---- guards, limits ----------------------------------------------------------------- */

static int guard_holds(const cc_case *c, const cc_wf_guard *g)
{
  const cc_wf_field *f = &c->wf->def->fields[g->field];
  const cc_cval *v = c->vals ? &c->vals[g->field] : NULL;
  int set = v && v->set;
  int truthy = set && (f->type != CCENTER_FIELD_FLAG || v->num == 1);
  if (g->op == CC_G_SET)
    return truthy;
  if (g->op == CC_G_UNSET)
    return !truthy;
  if (!set)
    return 0;
  if (f->type == CCENTER_FIELD_TEXT || f->type == CCENTER_FIELD_ACCOUNT) {
    int eq = v->text && g->word && !strcmp(v->text, g->word);
    return g->op == CC_G_EQ ? eq : g->op == CC_G_NE ? !eq : 0;
  }
  switch (g->op) {
  case CC_G_EQ:
    return v->num == g->num;
  case CC_G_NE:
    return v->num != g->num;
  case CC_G_LT:
    return v->num < g->num;
  case CC_G_LE:
    return v->num <= g->num;
  case CC_G_GT:
    return v->num > g->num;
  case CC_G_GE:
    return v->num >= g->num;
  default:
    return 0;
  }
}

/* Guards and required evidence: 0 or CCENTER_ECONDITION. */
static int conditions(const cc_case *c, const cc_wf_tname *tn,
                      const ccenter_case_evidence *ev, size_t n_ev)
{
  for (uint32_t i = 0; i < tn->n_guards; i++)
    if (!guard_holds(c, &tn->guards[i]))
      return CCENTER_ECONDITION;
  for (uint32_t i = 0; i < tn->n_evidence; i++) {
    size_t k = 0;
    while (k < n_ev && strcmp(ev[k].name, tn->evidence[i]))
      k++;
    if (k == n_ev)
      return CCENTER_ECONDITION;
  }
  if (tn->has_limit) {
    const cc_cval *v = c->vals ? &c->vals[tn->limit_field] : NULL;
    if (!v || !v->set || !v->text)
      return CCENTER_ECONDITION; /* nothing to count the limit by */
  }
  return 0;
}

/* The limit's key: transition name, 0x1f, key value. buf holds both maxima. */
#define LIMIT_KEY_MAX (CCENTER_WF_MAX_NAME + 2 + CCENTER_WF_MAX_TEXT)
static void limit_key(const cc_case *c, const cc_wf_tname *tn, char *buf)
{
  snprintf(buf, LIMIT_KEY_MAX, "%s\x1f%s", tn->name, c->vals[tn->limit_field].text);
}

/* 0, or CCENTER_EFULL when the limit is reached already. */
static int limit_ok(const ccenter_cases *ce, const cc_case *c, const cc_wf_tname *tn)
{
  if (!tn->has_limit)
    return 0;
  char key[LIMIT_KEY_MAX];
  limit_key(c, tn, key);
  const cc_limit *l = cc_map_get(&ce->limits, key);
  return l && l->count >= tn->limit_max ? CCENTER_EFULL : 0;
}

/* ---- taking a transition ------------------------------------------------------------ */

typedef struct take {
  const cc_wf_edge *e;
  cc_limit *lim_new; /* a new counter, allocated ahead */
} take;

/* Reserves what take_apply needs. On failure nothing is left allocated. */
static int take_reserve(ccenter_cases *ce, cc_case *c, const cc_wf_edge *e, take *tk)
{
  const cc_wf_tname *tn = &c->wf->def->tnames[e->tname];
  tk->e = e;
  tk->lim_new = NULL;
  int rc = reserve_enter(ce, c, e->to, 0);
  if (rc)
    return rc;
  if (tn->has_limit) {
    char key[LIMIT_KEY_MAX];
    limit_key(c, tn, key);
    if (!cc_map_get(&ce->limits, key)) {
      size_t n = strlen(key) + 1;
      tk->lim_new = cc_malloc(&ce->alloc, sizeof *tk->lim_new + n);
      if (!tk->lim_new || cc_map_reserve(&ce->limits, &ce->alloc, 1)) {
        cc_free(&ce->alloc, tk->lim_new);
        tk->lim_new = NULL;
        return CCENTER_ENOMEM;
      }
      tk->lim_new->count = 0;
      memcpy(tk->lim_new->key, key, n);
    }
  }
  return 0;
}

/* The transition takes effect, as `actor` with `reason` (unit copies). */
static void take_apply(ccenter_cases *ce, cc_case *c, take *tk, const char *actor,
                       const char *reason)
{
  cc_wfrt *w = c->wf;
  const ccenter_workflow *d = w->def;
  const cc_wf_edge *e = tk->e;
  const cc_wf_tname *tn = &d->tnames[e->tname];
  uint32_t from = c->state;
  ccenter_case_event *ev = emit(ce, CCENTER_CASE_STATE_CHANGED, c);
  ev->from = d->states[from].name;
  ev->to = d->states[e->to].name;
  ev->transition = tn->name;
  ev->actor = actor;
  ev->reason = reason;
  w->n_tname[e->tname]++;
  if (tn->has_limit) {
    cc_limit *l;
    if (tk->lim_new) {
      l = tk->lim_new;
      (void)cc_map_put(&ce->limits, &ce->alloc, l->key, l);
      tk->lim_new = NULL;
    } else {
      char key[LIMIT_KEY_MAX];
      limit_key(c, tn, key);
      l = cc_map_get(&ce->limits, key);
    }
    if (++l->count == tn->limit_max) {
      ev = emit(ce, CCENTER_CASE_LIMIT_REACHED, c);
      ev->transition = tn->name;
      ev->field = d->fields[tn->limit_field].name;
      ev->count = tn->limit_max;
    }
  }
  for (uint32_t i = 0; i < tn->n_actions; i++) {
    ev = emit(ce, CCENTER_CASE_ACTION, c);
    ev->action = tn->actions[i].name;
    ev->transition = tn->name;
    if (tn->actions[i].within_ms > 0)
      ev->deadline = add_ms(ce->now, tn->actions[i].within_ms);
    w->n_action[w->act_base[e->tname] + i]++;
    w->st.actions++;
  }
  enter_state(ce, c, e->to, 0);
}

/* ---- operations --------------------------------------------------------------------- */

static cc_actor *find_actor(const ccenter_cases *ce, const char *id)
{
  return cc_map_get(&ce->actors, id);
}

void cc_cases_case_free(ccenter_cases *ce, cc_case *c)
{
  while (c->n_armed)
    disarm(ce, c, (uint16_t)(c->n_armed - 1));
  if (c->golden)
    (void)cc_timers_cancel(&ce->timers, c->golden);
  free_prop(ce, c);
  if (c->vals)
    for (uint32_t i = 0; i < c->wf->def->n_fields; i++)
      cc_free(&ce->alloc, c->vals[i].text);
  for (uint8_t i = 0; i < c->n_contacts; i++)
    cc_free(&ce->alloc, c->contacts[i]);
  cc_free(&ce->alloc, c->contacts);
  cc_free(&ce->alloc, c->vals);
  cc_free(&ce->alloc, c->armed);
  cc_free(&ce->alloc, c);
}

static int op_open(ccenter_cases *ce, const cc_case_jrec *r)
{
  cc_wfrt *w = cc_map_get(&ce->workflows, r->s[1]);
  if (!w || !find_actor(ce, r->s[2]))
    return CCENTER_ENOENT;
  if (cc_cases_find(ce, r->s[0]))
    return CCENTER_EEXIST;
  const ccenter_workflow *d = w->def;
  uint32_t init = cc_wf_initial(d);
  const char *us[] = {r->s[0], r->s[2]};
  size_t idlen = strlen(r->s[0]) + 1;
  int rc = unit_begin(ce, us, 2);
  if (rc || cc_map_reserve(&ce->cases, &ce->alloc, 1))
    return CCENTER_ENOMEM;
  cc_case *c = cc_calloc(&ce->alloc, 1, sizeof *c + idlen);
  if (!c)
    return CCENTER_ENOMEM;
  memcpy(c->id, r->s[0], idlen);
  c->wf = w;
  c->state = (uint16_t)init;
  c->contained_at = CCENTER_NO_DEADLINE;
  if (reserve_enter(ce, c, init, 0) ||
      cc_cases_audit_prep(ce, c->id, r->s[2], "open", d->name, NULL, d->states[init].name, NULL,
                 NULL, NULL, 0)) {
    cc_free(&ce->alloc, c->armed);
    cc_free(&ce->alloc, c);
    return CCENTER_ENOMEM;
  }
  (void)cc_map_put(&ce->cases, &ce->alloc, c->id, c);
  c->user_data = r->user_data;
  c->opened_at = ce->now;
  ce->n_open++;
  w->st.opened++;
  w->st.open++;
  ccenter_case_event *ev = emit(ce, CCENTER_CASE_OPENED, c);
  ev->to = d->states[init].name;
  ev->actor = ce->u[1];
  if (d->golden_ms > 0)
    (void)cc_timers_arm(&ce->timers, add_ms(ce->now, d->golden_ms), CC_K_GOLDEN,
                        (uint64_t)(uintptr_t)c, &c->golden);
  enter_state(ce, c, init, 1);
  cc_cases_audit_commit(ce);
  return 0;
}

/* Finds an open case for an input by `actor`: ENOENT (case, actor) or ESTATE (closed). */
static int open_case(ccenter_cases *ce, const char *id, const char *actor, cc_case **out)
{
  cc_case *c = cc_cases_find(ce, id);
  if (!c || (actor && !find_actor(ce, actor)))
    return CCENTER_ENOENT;
  if (c->closed)
    return CCENTER_ESTATE;
  *out = c;
  return 0;
}

static int op_set(ccenter_cases *ce, const cc_case_jrec *r)
{
  cc_case *c = cc_cases_find(ce, r->s[0]);
  if (!c || !find_actor(ce, r->s[1]))
    return CCENTER_ENOENT;
  const ccenter_workflow *d = c->wf->def;
  int fi = cc_wf_find_field(d, r->s[2]);
  if (fi < 0)
    return CCENTER_ENOENT;
  ccenter_field_type ty = d->fields[fi].type;
  int ok;
  if (r->op == CC_COP_SET_INT)
    ok = ty == CCENTER_FIELD_INT || ty == CCENTER_FIELD_TIME ||
         (ty == CCENTER_FIELD_FLAG && (r->i == 0 || r->i == 1));
  else if (r->op == CC_COP_SET_TEXT)
    ok = ty == CCENTER_FIELD_TEXT || ty == CCENTER_FIELD_ACCOUNT;
  else
    ok = ty == CCENTER_FIELD_MONEY;
  if (ty == CCENTER_FIELD_TIME && (r->i < CCENTER_TIME_MIN || r->i > CCENTER_TIME_MAX))
    ok = 0;
  if (!ok)
    return CCENTER_EINVAL;
  if (c->closed)
    return CCENTER_ESTATE;
  char vbuf[48];
  const char *value = vbuf;
  if (r->op == CC_COP_SET_INT)
    snprintf(vbuf, sizeof vbuf, "%lld", (long long)r->i);
  else if (r->op == CC_COP_SET_MONEY)
    snprintf(vbuf, sizeof vbuf, "%lld %s", (long long)r->i, r->s[3]);
  else
    value = r->s[3];
  /* Timers that run from this field restart from its new value. */
  size_t restart = 0;
  for (uint32_t k = 0; k < d->n_timers; k++)
    if (d->timers[k].start_field == fi)
      restart++;
  const char *us[] = {c->id, r->s[1]};
  if (unit_begin(ce, us, 2))
    return CCENTER_ENOMEM;
  if (!c->vals && !(c->vals = cc_calloc(&ce->alloc, d->n_fields, sizeof *c->vals)))
    return CCENTER_ENOMEM;
  char *text = NULL;
  if (r->op == CC_COP_SET_TEXT && !(text = cc_strdup(&ce->alloc, r->s[3])))
    return CCENTER_ENOMEM;
  if ((restart && reserve_enter(ce, c, c->state, restart)) ||
      cc_cases_audit_prep(ce, c->id, r->s[1], "set", d->fields[fi].name, NULL, NULL, value, NULL,
                 NULL, 0)) {
    cc_free(&ce->alloc, text);
    return CCENTER_ENOMEM;
  }
  cc_cval *v = &c->vals[fi];
  cc_free(&ce->alloc, v->text);
  v->text = text;
  v->num = r->op == CC_COP_SET_TEXT ? 0 : r->i;
  memset(v->cur, 0, sizeof v->cur);
  if (r->op == CC_COP_SET_MONEY)
    memcpy(v->cur, r->s[3], 3);
  v->set = 1;
  ccenter_case_event *ev = emit(ce, CCENTER_CASE_FIELD_SET, c);
  ev->field = d->fields[fi].name;
  ev->actor = ce->u[1];
  for (uint32_t k = 0; k < d->n_timers && restart; k++) {
    if (d->timers[k].start_field != fi)
      continue;
    for (uint16_t i = 0; i < c->n_armed; i++)
      if (c->armed[i].timer == k) {
        disarm(ce, c, i);
        break;
      }
    start_timer(ce, c, k, r->i);
  }
  cc_cases_audit_commit(ce);
  return 0;
}

static int op_link(ccenter_cases *ce, const cc_case_jrec *r)
{
  cc_case *c;
  int rc = open_case(ce, r->s[0], r->s[2], &c);
  if (rc)
    return rc;
  for (uint8_t i = 0; i < c->n_contacts; i++)
    if (!strcmp(c->contacts[i], r->s[1]))
      return CCENTER_EEXIST;
  if (c->n_contacts >= CCENTER_WF_MAX_CONTACTS)
    return CCENTER_EFULL;
  const char *us[] = {c->id, r->s[2], r->s[1]};
  if (unit_begin(ce, us, 3))
    return CCENTER_ENOMEM;
  if (c->n_contacts == c->cap_contacts) {
    uint8_t ncap = (uint8_t)(c->cap_contacts ? c->cap_contacts * 2 : 2);
    char **p = cc_realloc(&ce->alloc, c->contacts, ncap * sizeof *p);
    if (!p)
      return CCENTER_ENOMEM;
    c->contacts = p;
    c->cap_contacts = ncap;
  }
  char *s = cc_strdup(&ce->alloc, r->s[1]);
  if (!s || cc_cases_audit_prep(ce, c->id, r->s[2], "link", r->s[1], NULL, NULL, NULL, NULL, NULL, 0)) {
    cc_free(&ce->alloc, s);
    return CCENTER_ENOMEM;
  }
  c->contacts[c->n_contacts++] = s;
  ccenter_case_event *ev = emit(ce, CCENTER_CASE_CONTACT_LINKED, c);
  ev->contact = ce->u[2];
  ev->actor = ce->u[1];
  cc_cases_audit_commit(ce);
  return 0;
}

static int op_propose(ccenter_cases *ce, cc_case *c, const cc_wf_edge *e, const cc_case_jrec *r)
{
  const ccenter_workflow *d = c->wf->def;
  const cc_wf_tname *tn = &d->tnames[e->tname];
  const char *us[] = {c->id, r->s[2], r->s[3]};
  if (unit_begin(ce, us, 3))
    return CCENTER_ENOMEM;
  size_t bytes = sizeof(cc_prop) + r->n_evidence * sizeof(ccenter_case_evidence);
  bytes += strlen(r->s[2]) + 1 + (r->s[3] ? strlen(r->s[3]) + 1 : 0);
  for (size_t i = 0; i < r->n_evidence; i++)
    bytes += strlen(r->evidence[i].name) + strlen(r->evidence[i].ref) + 2;
  cc_prop *p = cc_malloc(&ce->alloc, bytes);
  if (!p)
    return CCENTER_ENOMEM;
  if (cc_timers_reserve(&ce->timers, 1) ||
      cc_cases_audit_prep(ce, c->id, r->s[2], "propose", tn->name, d->states[c->state].name,
                 d->states[e->to].name, NULL, r->s[3], r->evidence, r->n_evidence)) {
    cc_free(&ce->alloc, p);
    return CCENTER_ENOMEM;
  }
  p->tname = e->tname;
  p->n_ev = (uint32_t)r->n_evidence;
  p->ev = (ccenter_case_evidence *)(p + 1);
  char *s = (char *)(p->ev + r->n_evidence);
  for (size_t i = 0; i < r->n_evidence; i++) {
    size_t a = strlen(r->evidence[i].name) + 1, b = strlen(r->evidence[i].ref) + 1;
    memcpy(s, r->evidence[i].name, a);
    p->ev[i].name = s;
    s += a;
    memcpy(s, r->evidence[i].ref, b);
    p->ev[i].ref = s;
    s += b;
  }
  p->maker = s;
  memcpy(s, r->s[2], strlen(r->s[2]) + 1);
  s += strlen(r->s[2]) + 1;
  p->reason = NULL;
  if (r->s[3]) {
    p->reason = s;
    memcpy(s, r->s[3], strlen(r->s[3]) + 1);
  }
  p->wid = 0;
  p->expires = CCENTER_NO_DEADLINE;
  if (tn->expires_ms > 0) {
    p->expires = add_ms(ce->now, tn->expires_ms);
    (void)cc_timers_arm(&ce->timers, p->expires, CC_K_PROPOSAL, (uint64_t)(uintptr_t)c, &p->wid);
  }
  c->prop = p;
  c->wf->st.proposals++;
  ccenter_case_event *ev = emit(ce, CCENTER_CASE_APPROVAL_NEEDED, c);
  ev->transition = tn->name;
  ev->actor = ce->u[1];
  ev->role = tn->approver_role;
  ev->reason = ce->u[2];
  ev->deadline = p->expires;
  cc_cases_audit_commit(ce);
  return CCENTER_PROPOSED;
}

static int op_transition(ccenter_cases *ce, const cc_case_jrec *r)
{
  cc_case *c = cc_cases_find(ce, r->s[0]);
  if (!c)
    return CCENTER_ENOENT;
  const ccenter_workflow *d = c->wf->def;
  int ti = cc_wf_find_tname(d, r->s[1]);
  cc_actor *a = find_actor(ce, r->s[2]);
  if (ti < 0 || !a)
    return CCENTER_ENOENT;
  if (c->closed || c->prop)
    return CCENTER_ESTATE;
  const cc_wf_edge *e = cc_wf_find_edge(d, c->state, (uint32_t)ti);
  if (!e)
    return CCENTER_ESTATE;
  if (!e->role || !has_role(a, e->role))
    return CCENTER_EPERM;
  const cc_wf_tname *tn = &d->tnames[ti];
  int rc = conditions(c, tn, r->evidence, r->n_evidence);
  if (!rc)
    rc = limit_ok(ce, c, tn);
  if (rc)
    return rc;
  if (tn->dual)
    return op_propose(ce, c, e, r);
  const char *us[] = {c->id, r->s[2], r->s[3]};
  take tk;
  if (unit_begin(ce, us, 3) || take_reserve(ce, c, e, &tk))
    return CCENTER_ENOMEM;
  if (cc_cases_audit_prep(ce, c->id, r->s[2], "transition", tn->name, d->states[c->state].name,
                 d->states[e->to].name, NULL, r->s[3], r->evidence, r->n_evidence)) {
    cc_free(&ce->alloc, tk.lim_new);
    return CCENTER_ENOMEM;
  }
  take_apply(ce, c, &tk, ce->u[1], ce->u[2]);
  cc_cases_audit_commit(ce);
  return 0;
}

static int op_decide(ccenter_cases *ce, const cc_case_jrec *r)
{
  int approve = r->op == CC_COP_APPROVE;
  cc_case *c = cc_cases_find(ce, r->s[0]);
  cc_actor *a = find_actor(ce, r->s[1]);
  if (!c || !a || !c->prop)
    return CCENTER_ENOENT;
  cc_prop *p = c->prop;
  const ccenter_workflow *d = c->wf->def;
  const cc_wf_tname *tn = &d->tnames[p->tname];
  if (!strcmp(p->maker, r->s[1]) || !has_role(a, tn->approver_role))
    return CCENTER_EPERM;
  const cc_wf_edge *e = cc_wf_find_edge(d, c->state, p->tname);
  if (!e)
    return CCENTER_ESTATE; /* cannot happen: a state change withdraws the proposal */
  if (approve) {
    int rc = conditions(c, tn, p->ev, p->n_ev);
    if (!rc)
      rc = limit_ok(ce, c, tn);
    if (rc)
      return rc;
  }
  const char *us[] = {c->id, r->s[1], r->s[2], p->maker, p->reason};
  take tk = {0};
  if (unit_begin(ce, us, 5) || (approve && take_reserve(ce, c, e, &tk)))
    return CCENTER_ENOMEM;
  if (cc_cases_audit_prep(ce, c->id, r->s[1], approve ? "approve" : "reject", tn->name,
                 d->states[c->state].name, approve ? d->states[e->to].name : NULL, p->maker,
                 r->s[2], approve ? p->ev : NULL, approve ? p->n_ev : 0)) {
    cc_free(&ce->alloc, tk.lim_new);
    return CCENTER_ENOMEM;
  }
  ccenter_case_event *ev =
      emit(ce, approve ? CCENTER_CASE_APPROVED : CCENTER_CASE_REJECTED, c);
  ev->transition = tn->name;
  ev->actor = ce->u[1];
  ev->reason = ce->u[2];
  free_prop(ce, c);
  if (approve) {
    c->wf->st.approved++;
    take_apply(ce, c, &tk, ce->u[3], ce->u[4]);
  } else {
    c->wf->st.rejected++;
  }
  cc_cases_audit_commit(ce);
  return 0;
}

static int op_forget(ccenter_cases *ce, const cc_case_jrec *r)
{
  cc_case *c = cc_cases_find(ce, r->s[0]);
  if (!c)
    return CCENTER_ENOENT;
  if (!c->closed)
    return CCENTER_ESTATE;
  if (cc_cases_audit_prep(ce, c->id, NULL, "forget", NULL, NULL, NULL, NULL, NULL, NULL, 0))
    return CCENTER_ENOMEM;
  cc_map_del(&ce->cases, c->id);
  cc_cases_audit_commit(ce);
  cc_cases_case_free(ce, c);
  return 0;
}

static int op_set_actor(ccenter_cases *ce, const cc_case_jrec *r)
{
  const char *roles = r->s[1] && *r->s[1] ? r->s[1] : NULL;
  cc_actor *old = find_actor(ce, r->s[0]);
  cc_actor *a = NULL;
  char *rs = NULL;
  if (roles) {
    size_t n = strlen(r->s[0]) + 1;
    rs = cc_strdup(&ce->alloc, roles);
    if (!rs)
      return CCENTER_ENOMEM;
    if (!old) {
      a = cc_malloc(&ce->alloc, sizeof *a + n);
      if (!a || cc_map_reserve(&ce->actors, &ce->alloc, 1)) {
        cc_free(&ce->alloc, a);
        cc_free(&ce->alloc, rs);
        return CCENTER_ENOMEM;
      }
      memcpy(a->id, r->s[0], n);
    }
  }
  if (cc_cases_audit_prep(ce, NULL, r->s[0], "actor", NULL, NULL, NULL, roles, NULL, NULL, 0)) {
    cc_free(&ce->alloc, a);
    cc_free(&ce->alloc, rs);
    return CCENTER_ENOMEM;
  }
  if (!roles) {
    if (old) {
      cc_map_del(&ce->actors, old->id);
      cc_free(&ce->alloc, old->roles);
      cc_free(&ce->alloc, old);
    }
  } else if (old) {
    cc_free(&ce->alloc, old->roles);
    old->roles = rs;
  } else {
    a->roles = rs;
    (void)cc_map_put(&ce->actors, &ce->alloc, a->id, a);
  }
  cc_cases_audit_commit(ce);
  return 0;
}

/* The canonical text of a calendar or workflow, allocated; and its SHA-256 in hex. */
/* ---- timers firing ------------------------------------------------------------------ */

/* A timer's expiry. A TRANSITION that does not leave the current state, or whose guards,
 * evidence or limit fail, raises an ALERT instead; the system actor bypasses roles and
 * dual control, and a pending proposal is withdrawn (REJECTED by the system actor). */
static int fire_expiry(ccenter_cases *ce, cc_case *c, uint16_t slot)
{
  cc_wfrt *w = c->wf;
  const ccenter_workflow *d = w->def;
  uint32_t k = c->armed[slot].timer;
  const cc_wf_timer *t = &d->timers[k];
  const cc_wf_edge *e = NULL;
  if (t->on_expiry == CCENTER_EXPIRY_TRANSITION && t->target_tname >= 0) {
    e = cc_wf_find_edge(d, c->state, (uint32_t)t->target_tname);
    const cc_wf_tname *tn = e ? &d->tnames[e->tname] : NULL;
    if (e && (conditions(c, tn, NULL, 0) || limit_ok(ce, c, tn)))
      e = NULL;
  }
  const char *us[] = {c->id, CCENTER_WF_SYSTEM_ACTOR};
  take tk = {0};
  if (unit_begin(ce, us, 2) || (e && take_reserve(ce, c, e, &tk)))
    return CCENTER_ENOMEM;
  if (cc_cases_audit_prep(ce, c->id, CCENTER_WF_SYSTEM_ACTOR, "timer", t->name,
                 d->states[c->state].name, e ? d->states[e->to].name : NULL, NULL, NULL, NULL,
                 0)) {
    cc_free(&ce->alloc, tk.lim_new);
    return CCENTER_ENOMEM;
  }
  int64_t deadline = c->armed[slot].deadline;
  c->armed[slot].wid = 0; /* fired: the wheel holds it no more */
  disarm(ce, c, slot);
  w->n_timer[k]++;
  ccenter_case_event *ev = emit(ce, CCENTER_CASE_TIMER_EXPIRED, c);
  ev->timer = t->name;
  ev->deadline = deadline;
  if (t->flags & CCENTER_TIMER_DEADLINE) {
    ev = emit(ce, CCENTER_CASE_DEADLINE_MISSED, c);
    ev->timer = t->name;
    ev->deadline = deadline;
    w->st.deadlines_missed++;
  }
  if (e) {
    if (c->prop) {
      ev = emit(ce, CCENTER_CASE_REJECTED, c);
      ev->transition = d->tnames[c->prop->tname].name;
      ev->actor = ce->u[1];
      w->st.rejected++;
      free_prop(ce, c);
    }
    take_apply(ce, c, &tk, ce->u[1], NULL);
  } else if (t->on_expiry == CCENTER_EXPIRY_ESCALATE) {
    ev = emit(ce, CCENTER_CASE_ESCALATION, c);
    ev->timer = t->name;
    ev->role = t->target;
  } else {
    ev = emit(ce, CCENTER_CASE_ALERT, c);
    ev->timer = t->name;
  }
  cc_cases_audit_commit(ce);
  return 0;
}

static int fire_one(ccenter_cases *ce, const cc_timer_fired *f)
{
  cc_case *c = (cc_case *)(uintptr_t)f->payload;
  cc_wfrt *w = c->wf;
  const ccenter_workflow *d = w->def;
  if (f->kind == CC_K_GOLDEN) {
    const char *us[] = {c->id};
    if (unit_begin(ce, us, 1) ||
        cc_cases_audit_prep(ce, c->id, CCENTER_WF_SYSTEM_ACTOR, "golden-missed", NULL, NULL, NULL,
                   NULL, NULL, NULL, 0))
      return CCENTER_ENOMEM;
    c->golden = 0;
    emit(ce, CCENTER_CASE_GOLDEN_MISSED, c);
    w->st.golden_missed++;
    cc_cases_audit_commit(ce);
    return 0;
  }
  if (f->kind == CC_K_PROPOSAL) {
    cc_prop *p = c->prop;
    const char *us[] = {c->id, p->maker};
    const char *tname = d->tnames[p->tname].name;
    if (unit_begin(ce, us, 2) ||
        cc_cases_audit_prep(ce, c->id, CCENTER_WF_SYSTEM_ACTOR, "expire", tname, NULL, NULL, p->maker,
                   NULL, NULL, 0))
      return CCENTER_ENOMEM;
    p->wid = 0;
    free_prop(ce, c);
    ccenter_case_event *ev = emit(ce, CCENTER_CASE_PROPOSAL_EXPIRED, c);
    ev->transition = tname;
    ev->actor = ce->u[1];
    w->st.expired++;
    cc_cases_audit_commit(ce);
    return 0;
  }
  uint16_t slot = 0;
  while (slot < c->n_armed && c->armed[slot].timer != f->kind)
    slot++;
  cc_armed *a = &c->armed[slot];
  const cc_wf_timer *t = &d->timers[a->timer];
  if (a->n_warned >= t->n_warn)
    return fire_expiry(ce, c, slot);
  const char *us[] = {c->id};
  if (unit_begin(ce, us, 1))
    return CCENTER_ENOMEM;
  a->n_warned++;
  ccenter_case_event *ev = emit(ce, CCENTER_CASE_TIMER_WARNING, c);
  ev->timer = t->name;
  ev->deadline = a->deadline;
  w->st.warnings++;
  arm_next(ce, c, a);
  return 0;
}

/* After a failed unit: the popped entry goes back where its owner expects it. */
static void rearm(ccenter_cases *ce, const cc_timer_fired *f)
{
  cc_case *c = (cc_case *)(uintptr_t)f->payload;
  cc_timer_id *slot;
  if (f->kind == CC_K_GOLDEN)
    slot = &c->golden;
  else if (f->kind == CC_K_PROPOSAL)
    slot = &c->prop->wid;
  else
    slot = &find_armed(c, f->kind)->wid;
  (void)cc_timers_arm(&ce->timers, f->deadline, f->kind, f->payload, slot);
}

static int fire_due(ccenter_cases *ce, int64_t now, size_t *fired)
{
  for (;;) {
    int64_t d = cc_timers_next(&ce->timers);
    if (d > now)
      return 0;
    if (cc_timers_reserve(&ce->timers, CCENTER_WF_MAX_TIMERS + 2))
      return CCENTER_ENOMEM;
    cc_timer_fired f;
    if (!cc_timers_pop(&ce->timers, now, &f))
      return 0;
    int64_t before = ce->now;
    if (f.deadline > ce->now)
      ce->now = f.deadline;
    int rc = fire_one(ce, &f);
    if (rc) {
      ce->now = before;
      rearm(ce, &f);
      return rc;
    }
    (*fired)++;
  }
}

/* ---- the record: checks, dispatch, journal ------------------------------------------ */

int cc_cases_currency_ok(const char *s)
{
  if (!s || strlen(s) != 3)
    return 0;
  for (int i = 0; i < 3; i++)
    if (s[i] < 'A' || s[i] > 'Z')
      return 0;
  return 1;
}

/* What can be refused before any timer fires. */
static int check_args(const cc_case_jrec *r)
{
  const char *const *s = r->s;
  switch (r->op) {
  case CC_COP_ADVANCE:
    return 0;
  case CC_COP_OPEN:
    return cc_cases_id_ok(s[0]) && s[1] && cc_cases_id_ok(s[2]) ? 0 : CCENTER_EINVAL;
  case CC_COP_SET_INT:
  case CC_COP_SET_TEXT:
  case CC_COP_SET_MONEY:
    if (!cc_cases_id_ok(s[0]) || !cc_cases_id_ok(s[1]) || !s[2])
      return CCENTER_EINVAL;
    if (r->op == CC_COP_SET_TEXT && (!s[3] || !text_ok(s[3])))
      return CCENTER_EINVAL;
    if (r->op == CC_COP_SET_MONEY && !cc_cases_currency_ok(s[3]))
      return CCENTER_EINVAL;
    return 0;
  case CC_COP_LINK:
    return cc_cases_id_ok(s[0]) && cc_cases_id_ok(s[1]) && cc_cases_id_ok(s[2])
               ? 0
               : CCENTER_EINVAL;
  case CC_COP_TRANSITION:
    if (!cc_cases_id_ok(s[0]) || !s[1] || !cc_cases_id_ok(s[2]) || !text_ok(s[3]) ||
        r->n_evidence > CCENTER_WF_MAX_EVIDENCE || (r->n_evidence && !r->evidence))
      return CCENTER_EINVAL;
    for (size_t i = 0; i < r->n_evidence; i++)
      if (!r->evidence[i].name || !cc_wf_name_ok(r->evidence[i].name) ||
          !r->evidence[i].ref || !*r->evidence[i].ref || !text_ok(r->evidence[i].ref))
        return CCENTER_EINVAL;
    return 0;
  case CC_COP_APPROVE:
  case CC_COP_REJECT:
    return cc_cases_id_ok(s[0]) && cc_cases_id_ok(s[1]) && text_ok(s[2]) ? 0 : CCENTER_EINVAL;
  case CC_COP_FORGET:
    return cc_cases_id_ok(s[0]) ? 0 : CCENTER_EINVAL;
  case CC_COP_SET_ACTOR:
    if (!cc_cases_id_ok(s[0]) || !strcmp(s[0], CCENTER_WF_SYSTEM_ACTOR))
      return CCENTER_EINVAL;
    return roles_check(s[1]);
  case CC_COP_ADD_CALENDAR:
  case CC_COP_ADD_WORKFLOW:
    return r->obj || s[0] ? 0 : CCENTER_EINVAL;
  default:
    return CCENTER_EINVAL;
  }
}

static int dispatch(ccenter_cases *ce, const cc_case_jrec *r)
{
  switch (r->op) {
  case CC_COP_ADVANCE:
    return 0;
  case CC_COP_OPEN:
    return op_open(ce, r);
  case CC_COP_SET_INT:
  case CC_COP_SET_TEXT:
  case CC_COP_SET_MONEY:
    return op_set(ce, r);
  case CC_COP_LINK:
    return op_link(ce, r);
  case CC_COP_TRANSITION:
    return op_transition(ce, r);
  case CC_COP_APPROVE:
  case CC_COP_REJECT:
    return op_decide(ce, r);
  case CC_COP_FORGET:
    return op_forget(ce, r);
  case CC_COP_SET_ACTOR:
    return op_set_actor(ce, r);
  case CC_COP_ADD_CALENDAR:
    return cc_cases_op_add_calendar(ce, r);
  case CC_COP_ADD_WORKFLOW:
    return cc_cases_op_add_workflow(ce, r);
  default:
    return CCENTER_EINVAL;
  }
}

void cc_cases_notify_deadline(ccenter_cases *ce)
{
  if (!ce->dl_fn)
    return;
  int64_t d = cc_timers_next(&ce->timers);
  if (d == INT64_MAX)
    d = CCENTER_NO_DEADLINE;
  if (d != ce->last_dl) {
    ce->last_dl = d;
    ce->in_callback = 1;
    ce->dl_fn(ce->dl_ud, d);
    ce->in_callback = 0;
  }
}

int cc_cases_replay(ccenter_cases *ce, const cc_case_jrec *r)
{
  if (!ce || !r)
    return CCENTER_EINVAL;
  if (ce->in_callback)
    return CCENTER_ECALLBACK;
  if (ce->in_exec)
    return CCENTER_EBUSY;
  if (r->now < CCENTER_TIME_MIN || r->now > CCENTER_TIME_MAX)
    return CCENTER_ERANGE;
  if (r->now < ce->now)
    return CCENTER_ETIME;
  int rc = check_args(r);
  if (rc)
    return rc;
  /* Write-ahead: the store keeps the input before anything happens (event compaction
   * included), so that a failed write leaves the engine as the journal has it. */
  if (ce->wal_fn) {
    cc_case_jrec w = *r;
    char *text = NULL;
    if (r->obj) {
      rc = cc_cases_canonical_text(&ce->alloc, r->obj, r->op == CC_COP_ADD_WORKFLOW, &text);
      if (rc)
        return rc;
      w.obj = NULL;
      w.s[0] = text;
    }
    ce->in_callback = 1;
    rc = ce->wal_fn(ce->wal_ud, &w);
    ce->in_callback = 0;
    cc_free(&ce->alloc, text);
    if (rc)
      return rc;
  }
  ev_compact(ce);
  ce->in_exec = 1;
  int64_t before = ce->now;
  size_t fired = 0;
  rc = fire_due(ce, r->now, &fired);
  if (rc == 0) {
    ce->now = r->now;
    rc = dispatch(ce, r);
    /* What the call armed already due (a timer run from a past TIME value) fires now;
     * failing for memory here leaves it for the next call. */
    if (rc >= 0)
      (void)fire_due(ce, r->now, &fired);
  }
  if (rc < 0 && !fired)
    ce->now = before;
  ce->in_exec = 0;
  if (ce->j_fn && (rc >= 0 || fired)) {
    cc_case_jrec adv = {.op = CC_COP_ADVANCE, .now = ce->now};
    cc_case_jrec copy = *r;
    const cc_case_jrec *out = rc >= 0 ? r : &adv;
    if (rc >= 0 && r->obj) {
      copy.obj = NULL;
      copy.s[0] = ce->jtext;
      out = &copy;
    }
    ce->in_callback = 1;
    ce->j_fn(ce->j_ud, out);
    ce->in_callback = 0;
  }
  cc_free(&ce->alloc, ce->jtext);
  ce->jtext = NULL;
  if (ce->wal_fn && ce->tap && ce->tap->done) {
    ce->in_callback = 1;
    ce->tap->done(ce->tap_ud, rc);
    ce->in_callback = 0;
  }
  deliver(ce);
  cc_cases_notify_deadline(ce);
  return rc;
}

void cc_cases_set_journal(ccenter_cases *ce, cc_cases_journal_fn fn, void *ud)
{
  ce->j_fn = fn;
  ce->j_ud = ud;
}

void cc_cases_set_wal(ccenter_cases *ce, cc_cases_wal_fn fn, void *ud)
{
  ce->wal_fn = fn;
  ce->wal_ud = ud;
}

void cc_cases_set_tap(ccenter_cases *ce, const cc_cases_tap *tap, void *ud)
{
  ce->tap = tap;
  ce->tap_ud = ud;
}

const char *cc_case_op_name(cc_case_op op)
{
  static const char *const names[] = {
      NULL,        "advance",  "open",   "set_int",   "set_text",     "set_money",   "link",
      "transition", "approve", "reject", "forget",    "set_actor",    "add_calendar",
      "add_workflow"};
  if (op <= 0 || op >= CC_COP_COUNT_)
    return "unknown";
  return names[op];
}
