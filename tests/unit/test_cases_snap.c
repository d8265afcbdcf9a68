/* The case engine's snapshot (workflow/cases_snap.c): a restored engine answers every
   query as the saved one and goes on with the same events and audit records; snapshot,
   restore, snapshot is byte-identical; every damaged blob is CCENTER_ECORRUPT; every
   failed allocation is CCENTER_ENOMEM with nothing leaked. Run on the store tests'
   workload (workload.c) and on a random walk over the shipped workflows that have golden
   windows, expiring proposals, limits, text fields and timers run from fields. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccenter/workflow.h"
#include "harness.h"
#include "talloc.h"
#include "workflow/cases_int.h"
#include "workload.h"

#define OK(x) ck_assert_int_eq((x), 0)
#define HOUR_MS INT64_C(3600000)

/* ---- blobs -------------------------------------------------------------------------- */

typedef struct blob {
  uint8_t *p;
  size_t len;
} blob;

static int take(const ccenter_cases *ce, const cc_alloc *a, blob *out)
{
  cc_snap_w w;
  cc_sw_init(&w, a);
  int rc = cc_cases_snapshot(ce, &w);
  if (rc == 0) {
    out->p = malloc(w.len ? w.len : 1);
    ck_assert_ptr_nonnull(out->p);
    memcpy(out->p, w.p, w.len);
    out->len = w.len;
  }
  cc_sw_free(&w);
  return rc;
}

static blob snap_of(const ccenter_cases *ce)
{
  cc_alloc a;
  cc_alloc_of(NULL, &a);
  blob b = {0};
  OK(take(ce, &a, &b));
  return b;
}

static int restore_from(const void *p, size_t len, const ccenter_options *o, const char *key,
                        ccenter_cases **out)
{
  cc_snap_r r;
  cc_sr_init(&r, p, len);
  return cc_cases_restore(o, key, key ? strlen(key) : 0, &r, out);
}

/* ---- everything the engine answers, as text ----------------------------------------- */

typedef struct sbuf {
  char *p;
  size_t len, cap;
} sbuf;

static void sb(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb(sbuf *b, const char *fmt, ...)
{
  char tmp[8192];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  ck_assert_int_ge(n, 0);
  if (b->len + (size_t)n + 1 > b->cap) {
    b->cap = (b->len + (size_t)n + 1) * 2;
    b->p = realloc(b->p, b->cap);
    ck_assert_ptr_nonnull(b->p);
  }
  memcpy(b->p + b->len, tmp, (size_t)n + 1);
  b->len += (size_t)n;
}

#define S(x) ((x) ? (x) : "-")

static void dump_counts(sbuf *b, const ccenter_cases *ce, const ccenter_workflow *d)
{
  const char *w = d->name;
  ccenter_workflow_stats st = {.size = sizeof st};
  OK(ccenter_workflow_stats_get(ce, w, &st));
  sb(b, "wf %s %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu\n", w,
     (unsigned long long)st.opened, (unsigned long long)st.closed,
     (unsigned long long)st.open, (unsigned long long)st.golden_met,
     (unsigned long long)st.golden_missed, (unsigned long long)st.warnings,
     (unsigned long long)st.deadlines_missed, (unsigned long long)st.proposals,
     (unsigned long long)st.approved, (unsigned long long)st.rejected,
     (unsigned long long)st.expired, (unsigned long long)st.actions);
  uint64_t n;
  for (uint32_t i = 0; i < d->n_states; i++)
    if (d->states[i].outcome) {
      OK(ccenter_workflow_stat_count(ce, w, CCENTER_COUNT_OUTCOME, d->states[i].outcome, &n));
      sb(b, " o:%s=%llu", d->states[i].outcome, (unsigned long long)n);
    }
  for (uint32_t i = 0; i < d->n_tnames; i++) {
    OK(ccenter_workflow_stat_count(ce, w, CCENTER_COUNT_TRANSITION, d->tnames[i].name, &n));
    sb(b, " t:%s=%llu", d->tnames[i].name, (unsigned long long)n);
    for (uint32_t a = 0; a < d->tnames[i].n_actions; a++) {
      OK(ccenter_workflow_stat_count(ce, w, CCENTER_COUNT_ACTION, d->tnames[i].actions[a].name,
                                     &n));
      sb(b, " a:%s=%llu", d->tnames[i].actions[a].name, (unsigned long long)n);
    }
  }
  for (uint32_t i = 0; i < d->n_timers; i++) {
    OK(ccenter_workflow_stat_count(ce, w, CCENTER_COUNT_TIMER, d->timers[i].name, &n));
    sb(b, " x:%s=%llu", d->timers[i].name, (unsigned long long)n);
  }
  sb(b, "\n");
}

static void dump_case(sbuf *b, const ccenter_cases *ce, const cc_case *c)
{
  const char *k = c->id;
  const ccenter_workflow *d = c->wf->def;
  ccenter_case_info ci = {.size = sizeof ci};
  OK(ccenter_case_info_get(ce, k, &ci));
  sb(b, "case %s %s %s %s %d %lld %lld %lld %s %s %lld %lld %zu\n", k, ci.workflow, ci.state,
     S(ci.outcome), ci.closed, (long long)ci.opened_at, (long long)ci.state_since,
     (long long)ci.contained_at, S(ci.proposal), S(ci.proposed_by),
     (long long)ci.proposal_expires, (long long)ci.next_deadline, ci.contacts);
  for (size_t i = 0; i < ci.contacts; i++)
    sb(b, " contact %s", ccenter_case_contact(ce, k, i));
  for (uint32_t i = 0; i < d->n_fields; i++) {
    const char *f = d->fields[i].name;
    int64_t v = 0;
    const char *text = NULL;
    char cur[4] = "";
    int rc = ccenter_case_get_int(ce, k, f, &v);
    if (rc == CCENTER_EINVAL)
      rc = ccenter_case_get_text(ce, k, f, &text);
    if (rc == CCENTER_EINVAL)
      rc = ccenter_case_get_money(ce, k, f, &v, cur);
    sb(b, " %s=%d:%lld:%s:%s", f, rc, (long long)v, S(text), cur);
  }
  for (uint32_t i = 0; i < d->n_timers; i++) {
    int64_t dl = 0;
    int rc = ccenter_case_timer_deadline(ce, k, d->timers[i].name, &dl);
    sb(b, " %s@%d:%lld", d->timers[i].name, rc, (long long)dl);
  }
  /* What no query shows but later events depend on: warnings passed, paused time left,
     the proposal's evidence and reason. */
  for (uint16_t i = 0; i < c->n_armed; i++)
    sb(b, " armed %u %lld %lld %u %u", c->armed[i].timer, (long long)c->armed[i].deadline,
       (long long)c->armed[i].remain, c->armed[i].n_warned, c->armed[i].paused);
  if (c->prop) {
    sb(b, " prop %s", S(c->prop->reason));
    for (uint32_t i = 0; i < c->prop->n_ev; i++)
      sb(b, " %s=%s", c->prop->ev[i].name, c->prop->ev[i].ref);
  }
  sb(b, " golden=%d\n", c->golden != 0);
}

/* The engine through its queries, and the maps in iteration order (a restore places every
   entry in its slot, so the order is part of what must be equal). */
static char *dump(const ccenter_cases *ce)
{
  sbuf b = {0};
  ccenter_audit_head h;
  OK(ccenter_cases_audit_head(ce, &h));
  sb(&b, "now=%lld next=%lld open=%zu count=%zu timers=%zu seq=%llu head=%llu:",
     (long long)ccenter_cases_now(ce), (long long)ccenter_cases_next_deadline(ce),
     ccenter_cases_open_count(ce), ccenter_cases_count(ce), cc_timers_count(&ce->timers),
     (unsigned long long)ce->ev_seq, (unsigned long long)h.seq);
  for (int i = 0; i < 32; i++)
    sb(&b, "%02x", h.hash[i]);
  sb(&b, "\n");
  size_t it = 0;
  const void *v;
  while ((v = cc_map_next(&ce->calendars, &it)))
    sb(&b, "cal %zu %s\n", it, ccenter_calendar_name(((const cc_calent *)v)->cal));
  for (it = 0; (v = cc_map_next(&ce->workflows, &it));) {
    sb(&b, "slot %zu\n", it);
    dump_counts(&b, ce, ((const cc_wfrt *)v)->def);
  }
  for (it = 0; (v = cc_map_next(&ce->actors, &it));)
    sb(&b, "actor %zu %s %s\n", it, ((const cc_actor *)v)->id, ((const cc_actor *)v)->roles);
  for (it = 0; (v = cc_map_next(&ce->limits, &it));)
    sb(&b, "limit %zu %s %u\n", it, ((const cc_limit *)v)->key, ((const cc_limit *)v)->count);
  for (it = 0; (v = cc_map_next(&ce->cases, &it));) {
    sb(&b, "slot %zu ", it);
    dump_case(&b, ce, v);
  }
  return b.p;
}

static void same_dump(const ccenter_cases *a, const ccenter_cases *b)
{
  char *da = dump(a), *db = dump(b);
  ck_assert_str_eq(da, db);
  free(da);
  free(db);
}

/* ---- two engines kept alike --------------------------------------------------------- */

static void on_audit(void *ud, const ccenter_audit_record *rec)
{
  char line[16384];
  snprintf(line, sizeof line, "%.*s", (int)rec->len, rec->line);
  (void)wl_lines_add(ud, line);
}

static void same_lines(const wl_lines *a, const wl_lines *b)
{
  ck_assert(!a->oom && !b->oom);
  ck_assert_uint_eq(a->n, b->n);
  for (size_t i = 0; i < a->n; i++)
    ck_assert_str_eq(a->v[i], b->v[i]);
}

/* Replaces w's case engine by one restored from a snapshot of ref's, checks that they
   answer alike and that a snapshot of the restored one is the same bytes. */
static void swap_in_restored(const ccenter_cases *ref, wl_world *w, wl_lines *aud,
                             const char *key)
{
  blob s1 = snap_of(ref);
  ccenter_cases *ce = NULL;
  OK(restore_from(s1.p, s1.len, NULL, key, &ce));
  blob s2 = snap_of(ce);
  ck_assert_uint_eq(s1.len, s2.len);
  ck_assert(!memcmp(s1.p, s2.p, s1.len));
  free(s1.p);
  free(s2.p);
  same_dump(ref, ce);
  ccenter_cases_free(w->ce);
  OK(wl_attach_cases(w, ce));
  OK(ccenter_cases_set_audit_sink(ce, on_audit, aud));
}

static uint64_t mix(uint64_t *x)
{
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* The store tests' workload: both worlds take the same steps; at random steps world b's
   case engine is replaced by a restore of a's. 4 seeds x 30 restores. */
START_TEST(workload_restores_go_on_alike)
{
  uint64_t x = 77 + (uint64_t)_i;
  for (uint64_t seed = 1 + 4 * (uint64_t)_i; seed <= 4 + 4 * (uint64_t)_i; seed++) {
    wl_world a, b;
    wl_lines aud_a = {0}, aud_b = {0};
    wl_init(&a, seed);
    wl_init(&b, seed);
    OK(wl_create_plain(&a));
    OK(wl_create_plain(&b));
    OK(ccenter_cases_set_audit_sink(a.ce, on_audit, &aud_a));
    OK(ccenter_cases_set_audit_sink(b.ce, on_audit, &aud_b));
    int restores = 0;
    for (int k = 0; k < 1500 || restores < 30; k++) {
      ck_assert_int_eq(wl_step(&a), wl_step(&b));
      if (k >= WL_SETUP && (mix(&x) % 40 == 0 || (k >= 1500 && a.last_cases))) {
        swap_in_restored(a.ce, &b, &aud_b, WL_KEY);
        restores++;
        const char *d = wl_diff(&a, &b);
        ck_assert_msg(d == NULL, "seed %llu step %d: %s", (unsigned long long)seed, k, d);
      }
    }
    const char *d = wl_diff(&a, &b);
    ck_assert_msg(d == NULL, "seed %llu: %s", (unsigned long long)seed, d);
    same_dump(a.ce, b.ce);
    same_lines(&aud_a, &aud_b);
    ck_assert_uint_gt(aud_a.n, 100);
    wl_free(&a);
    wl_free(&b);
    wl_lines_free(&aud_a);
    wl_lines_free(&aud_b);
  }
}
END_TEST

/* ---- a random walk over the shipped workflows --------------------------------------- */

/* A shipped file of data/ (kind "calendars" or "workflows"). */
static const char *data_path(const char *kind, const char *name, char *buf, size_t size)
{
  const char *dir = getenv("CCENTER_DATA_DIR");
  snprintf(buf, size, "%s/%s/%s", dir ? dir : "data", kind, name);
  return buf;
}

/* An engine with the China and US calendars, three workflows and four actors. */
static void walk_setup(ccenter_cases *ce, int64_t t)
{
  static const char *const cals[] = {"cn-2026.cal", "us-frb-2026.cal"};
  static const char *const wfs[] = {"cn-telecom-fraud.wf", "cn-loss-report.wf", "us-reg-e.wf"};
  char path[1024];
  for (size_t i = 0; i < 2; i++) {
    ccenter_calendar *cal = NULL;
    OK(ccenter_calendar_load_file(NULL, data_path("calendars", cals[i], path, sizeof path), &cal,
                                  NULL));
    OK(ccenter_cases_add_calendar(ce, cal, t));
    ccenter_calendar_free(cal);
  }
  for (size_t i = 0; i < 3; i++) {
    ccenter_workflow *wf = NULL;
    OK(ccenter_workflow_load_file(NULL, data_path("workflows", wfs[i], path, sizeof path), &wf,
                                  NULL));
    OK(ccenter_cases_add_workflow(ce, wf, t));
    ccenter_workflow_free(wf);
  }
  OK(ccenter_cases_set_actor(ce, "alice", "agent", t));
  OK(ccenter_cases_set_actor(ce, "bob", "agent,supervisor", t));
  OK(ccenter_cases_set_actor(ce, "carol", "supervisor", t));
  OK(ccenter_cases_set_actor(ce, "dave", "agent", t));
}

static const ccenter_workflow *wf_at(const ccenter_cases *ce, uint64_t r)
{
  size_t it = 0, n = r % ce->workflows.len;
  const cc_wfrt *w;
  while ((w = cc_map_next(&ce->workflows, &it)) && n--)
    ;
  return w->def;
}

/* One random call, chosen from what the engine holds (both engines hold the same). */
static int walk_step(ccenter_cases *ce, uint64_t *x, int64_t t)
{
  static const char *const actors[] = {"alice", "bob", "carol", "dave"};
  static const char *const accounts[] = {"6222-1", "6222-2", "6222-3"};
  char id[16];
  snprintf(id, sizeof id, "K%u", (unsigned)(mix(x) % 12));
  const char *actor = actors[mix(x) % 4];
  unsigned u = (unsigned)(mix(x) % 100);
  const cc_case *c = cc_cases_find(ce, id);
  if (!c)
    return u < 85 ? ccenter_case_open(ce, id, wf_at(ce, mix(x))->name, actor, NULL, t)
                  : ccenter_cases_set_actor(ce, "erin", u & 1 ? "agent" : NULL, t);
  if (c->closed)
    return u < 40 ? ccenter_case_forget(ce, id, t) : ccenter_cases_advance(ce, t);
  const ccenter_workflow *d = c->wf->def;
  if (c->prop && u < 60)
    return u < 40 ? ccenter_case_approve(ce, id, actor, u & 1 ? "ok" : NULL, t)
                  : ccenter_case_reject(ce, id, actor, "no", t);
  if (u < 40 && d->n_fields) {
    const cc_wf_field *f = &d->fields[mix(x) % d->n_fields];
    switch (f->type) {
    case CCENTER_FIELD_MONEY:
      return ccenter_case_set_money(ce, id, actor, f->name, (int64_t)(mix(x) % 3) * 5000,
                                    "CNY", t);
    case CCENTER_FIELD_TEXT:
    case CCENTER_FIELD_ACCOUNT:
      return ccenter_case_set_text(ce, id, actor, f->name, accounts[mix(x) % 3], t);
    case CCENTER_FIELD_TIME:
      return ccenter_case_set_int(ce, id, actor, f->name, t - (int64_t)(mix(x) % 72) * HOUR_MS,
                                  t);
    default:
      return ccenter_case_set_int(ce, id, actor, f->name, (int64_t)(mix(x) % 4 != 0), t);
    }
  }
  if (u < 45)
    return ccenter_case_link_contact(ce, id, accounts[mix(x) % 3], actor, t);
  /* A transition, with all the evidence it needs most of the time. */
  const cc_wf_tname *tn = &d->tnames[mix(x) % d->n_tnames];
  ccenter_case_evidence ev[CCENTER_WF_MAX_EVIDENCE];
  ccenter_case_input in;
  ccenter_case_input_init(&in);
  size_t n = mix(x) % 5 ? tn->n_evidence : 0;
  for (size_t i = 0; i < n; i++) {
    ev[i].name = tn->evidence[i];
    ev[i].ref = i & 1 ? "doc;2=\\x" : "doc-1";
  }
  in.evidence = ev;
  in.n_evidence = n;
  in.reason = mix(x) % 3 ? NULL : "customer\tcalled";
  return ccenter_case_transition(ce, id, tn->name, actor, &in, t);
}

/* Mostly seconds apart, now and then hours or days, so that warnings, golden windows,
   proposal expiries and business-day timers fire. */
static int64_t walk_dt(uint64_t *x)
{
  uint64_t r = mix(x) % 100;
  if (r < 80)
    return (int64_t)(mix(x) % 120000);
  if (r < 97)
    return (int64_t)(mix(x) % (6 * HOUR_MS));
  return (int64_t)(mix(x) % (20 * 24 * HOUR_MS));
}

/* World b (events, audit) restored from a at random steps; a with a key or without. */
static void walk(uint64_t seed, int steps, int restores, const char *key)
{
  int64_t t = INT64_C(1772409600000);
  uint64_t x = seed;
  wl_world a, b;
  wl_lines aud_a = {0}, aud_b = {0};
  wl_init(&a, seed);
  wl_init(&b, seed);
  ccenter_cases *ca = NULL, *cb = NULL;
  OK(ccenter_cases_new(NULL, t, &ca));
  OK(ccenter_cases_new(NULL, t, &cb));
  if (key) {
    OK(ccenter_cases_set_audit_key(ca, key, strlen(key)));
    OK(ccenter_cases_set_audit_key(cb, key, strlen(key)));
  }
  OK(wl_attach_cases(&a, ca));
  OK(wl_attach_cases(&b, cb));
  OK(ccenter_cases_set_audit_sink(ca, on_audit, &aud_a));
  OK(ccenter_cases_set_audit_sink(cb, on_audit, &aud_b));
  walk_setup(ca, t);
  walk_setup(cb, t);
  int done = 0;
  for (int k = 0; k < steps || done < restores; k++) {
    t += walk_dt(&x);
    uint64_t y = x;
    int ra = walk_step(a.ce, &x, t);
    ck_assert_int_eq(ra, walk_step(b.ce, &y, t));
    if (mix(&x) % (uint64_t)(steps / restores) == 0 || k >= steps) {
      swap_in_restored(a.ce, &b, &aud_b, key);
      done++;
    }
  }
  const char *d = wl_diff(&a, &b);
  ck_assert_msg(d == NULL, "seed %llu: %s", (unsigned long long)seed, d);
  same_dump(a.ce, b.ce);
  same_lines(&aud_a, &aud_b);
  /* The walk reached what it is for. */
  size_t it = 0;
  const cc_wfrt *w;
  uint64_t golden = 0, expired = 0, warnings = 0;
  while ((w = cc_map_next(&a.ce->workflows, &it))) {
    golden += w->st.golden_met + w->st.golden_missed;
    expired += w->st.expired;
    warnings += w->st.warnings;
  }
  ck_assert_uint_gt(golden, 0);
  ck_assert_uint_gt(expired, 0);
  ck_assert_uint_gt(warnings, 0);
  ck_assert_uint_gt(a.ce->limits.len, 0);
  wl_free(&a);
  wl_free(&b);
  wl_lines_free(&aud_a);
  wl_lines_free(&aud_b);
}

START_TEST(walk_restores_go_on_alike)
{
  walk(1000 + (uint64_t)_i, 3000, 40, _i & 1 ? NULL : "walk-key");
}
END_TEST

/* ---- errors ------------------------------------------------------------------------- */

/* A walked engine with something of everything, and its snapshot. */
static ccenter_cases *rich_engine(const ccenter_options *o, int64_t *tp)
{
  int64_t t = INT64_C(1772409600000);
  uint64_t x = 5;
  ccenter_cases *ce = NULL;
  OK(ccenter_cases_new(o, t, &ce));
  OK(ccenter_cases_set_audit_key(ce, "k", 1));
  walk_setup(ce, t);
  for (int k = 0; k < 400; k++) {
    t += walk_dt(&x);
    (void)walk_step(ce, &x, t);
  }
  *tp = t;
  return ce;
}

static int busy_rc = 1;

static void busy_event(ccenter_cases *ce, const ccenter_case_event *e, void *ud)
{
  (void)e;
  (void)ud;
  cc_alloc a;
  cc_alloc_of(NULL, &a);
  blob b = {0};
  busy_rc = take(ce, &a, &b);
  free(b.p);
}

static void busy_audit(void *ud, const ccenter_audit_record *rec)
{
  (void)rec;
  busy_event(ud, NULL, NULL);
}

START_TEST(busy_inside_callbacks)
{
  int64_t t;
  ccenter_cases *ce = rich_engine(NULL, &t);
  while (ccenter_cases_next_event(ce))
    ;
  OK(ccenter_cases_set_event_callback(ce, busy_event, NULL));
  busy_rc = 1;
  OK(ccenter_case_open(ce, "Z1", "cn-loss-report", "alice", NULL, t));
  ck_assert_int_eq(busy_rc, CCENTER_EBUSY);
  OK(ccenter_cases_set_event_callback(ce, NULL, NULL));
  OK(ccenter_cases_set_audit_sink(ce, busy_audit, ce));
  busy_rc = 1;
  OK(ccenter_cases_set_actor(ce, "zed", "agent", t));
  ck_assert_int_eq(busy_rc, CCENTER_EBUSY);
  /* Outside: fine. */
  busy_event(ce, NULL, NULL);
  OK(busy_rc);
  ccenter_cases_free(ce);
}
END_TEST

static void expect_corrupt(const uint8_t *p, size_t len)
{
  ccenter_cases *ce = NULL;
  ck_assert_int_eq(restore_from(p, len, NULL, "k", &ce), CCENTER_ECORRUPT);
  ck_assert_ptr_null(ce);
}

START_TEST(damaged_blobs_are_corrupt)
{
  int64_t t;
  ccenter_cases *ce = rich_engine(NULL, &t);
  blob s = snap_of(ce);
  ccenter_cases_free(ce);
  ck_assert_uint_gt(s.len, 1000);
  /* Whole: fine; every shorter length, one byte more, every byte flipped: corrupt. */
  OK(restore_from(s.p, s.len, NULL, "k", &ce));
  ccenter_cases_free(ce);
  for (size_t n = 0; n < s.len; n++)
    expect_corrupt(s.p, n);
  uint8_t *p = malloc(s.len + 1);
  memcpy(p, s.p, s.len);
  p[s.len] = 0;
  expect_corrupt(p, s.len + 1);
  for (size_t i = 0; i < s.len; i++) {
    for (unsigned m = 1; m < 256; m <<= 3) {
      p[i] ^= (uint8_t)m;
      expect_corrupt(p, s.len);
      p[i] ^= (uint8_t)m;
    }
  }
  /* Magic and version. */
  p[0] ^= 0x40;
  expect_corrupt(p, s.len);
  p[0] ^= 0x40;
  size_t v = 0;
  while (p[v] & 0x80)
    v++;
  ck_assert_uint_eq(p[v + 1], 1);
  p[v + 1] = 2;
  expect_corrupt(p, s.len);
  free(p);
  free(s.p);
}
END_TEST

/* The body inside a blob (after magic and version), and its length. */
static const uint8_t *body_of(const blob *s, size_t *blen)
{
  cc_snap_r r;
  cc_sr_init(&r, s->p, s->len);
  (void)cc_sr_u64(&r);
  (void)cc_sr_u64(&r);
  const uint8_t *body = cc_sr_bytes(&r, blen);
  ck_assert_ptr_nonnull(body);
  return body;
}

/* A blob of `body` framed and sealed as the writer does (magic, version, body, SHA-256). */
static void seal(const uint8_t *body, size_t blen, const cc_alloc *a, cc_snap_w *w)
{
  uint8_t h[32];
  ccenter_sha256(body, blen, h);
  cc_sw_init(w, a);
  cc_sw_tag(w, UINT64_C(0x63637361736573));
  cc_sw_u64(w, 1);
  cc_sw_bytes(w, body, blen);
  cc_sw_bytes(w, h, 32);
  OK(w->err);
}

/* Bodies changed under a valid digest: what the restore's own checks stand for. Each
   byte of the body changed in turn (a sample under the time limit): ECORRUPT, or an engine
   that parses (a changed time or counter), never a crash or a leak (ASan). */
START_TEST(bodies_under_valid_digest)
{
  int64_t t;
  ccenter_cases *ce = rich_engine(NULL, &t);
  blob s = snap_of(ce);
  ccenter_cases_free(ce);
  size_t blen;
  const uint8_t *body = body_of(&s, &blen);
  uint8_t *bd = malloc(blen);
  memcpy(bd, body, blen);
  cc_alloc a;
  cc_alloc_of(NULL, &a);
  size_t corrupt = 0, parsed = 0;
  uint64_t x = 9;
  for (size_t i = 0; i < blen; i += 1 + mix(&x) % 7) {
    uint8_t m = (uint8_t)(1u << (mix(&x) % 8));
    bd[i] ^= m;
    cc_snap_w w;
    seal(bd, blen, &a, &w);
    int rc = restore_from(w.p, w.len, NULL, "k", &ce);
    if (rc == 0) {
      parsed++;
      ccenter_cases_free(ce);
    } else {
      ck_assert_int_eq(rc, CCENTER_ECORRUPT);
      corrupt++;
    }
    cc_sw_free(&w);
    bd[i] ^= m;
  }
  ck_assert_uint_gt(corrupt, parsed);
  free(bd);
  free(s.p);
}
END_TEST

/* Maps are written in slot order: a body with the calendars' two entries swapped, sealed
   with a valid digest, is damaged (it would read as the same engine otherwise). */
START_TEST(maps_in_slot_order)
{
  ccenter_cases *ce = NULL;
  OK(ccenter_cases_new(NULL, WL_T0, &ce));
  for (int i = 0; i < 2; i++) {
    ccenter_calendar *cal = NULL;
    OK(ccenter_calendar_new(NULL, i ? "B" : "A", &cal));
    OK(ccenter_cases_add_calendar(ce, cal, WL_T0));
    ccenter_calendar_free(cal);
  }
  blob s = snap_of(ce);
  ccenter_cases_free(ce);
  size_t blen;
  const uint8_t *body = body_of(&s, &blen);
  /* The body's head: now, ev_seq, n_open, audit seq, audit hash; then the calendars' map:
     tag, capacity, length 2, and each entry's slot and text. */
  cc_snap_r b;
  cc_sr_init(&b, body, blen);
  size_t hl;
  for (int i = 0; i < 4; i++)
    (void)cc_sr_u64(&b);
  (void)cc_sr_bytes(&b, &hl);
  (void)cc_sr_u64(&b);
  (void)cc_sr_u64(&b);
  ck_assert_uint_eq(cc_sr_u64(&b), 2);
  size_t first = b.off;
  (void)cc_sr_u64(&b);
  (void)cc_sr_str_nn(&b, NULL);
  size_t second = b.off;
  (void)cc_sr_u64(&b);
  (void)cc_sr_str_nn(&b, NULL);
  size_t end = b.off;
  OK(b.err);
  uint8_t *bd = malloc(blen);
  ck_assert_ptr_nonnull(bd);
  memcpy(bd, body, blen);
  memcpy(bd + first, body + second, end - second);
  memcpy(bd + first + (end - second), body + first, second - first);
  cc_alloc a;
  cc_alloc_of(NULL, &a);
  cc_snap_w w;
  seal(body, blen, &a, &w);
  OK(restore_from(w.p, w.len, NULL, NULL, &ce)); /* as written: loads */
  ccenter_cases_free(ce);
  cc_sw_free(&w);
  seal(bd, blen, &a, &w);
  ck_assert_int_eq(restore_from(w.p, w.len, NULL, NULL, &ce), CCENTER_ECORRUPT);
  cc_sw_free(&w);
  free(bd);
  free(s.p);
}
END_TEST

START_TEST(enomem_at_every_allocation)
{
  talloc ta = {0, -1};
  ccenter_options *o = ccenter_options_new();
  OK(ccenter_options_set_allocator(o, t_malloc, t_realloc, t_free, &ta));
  cc_alloc a = {t_malloc, t_realloc, t_free, &ta};
  int64_t t;
  ccenter_cases *ce = rich_engine(o, &t);
  size_t mem = ccenter_cases_memory(ce);
  blob s = {0};
  /* The snapshot, its writer and the engine on the same failing allocator. */
  long k;
  for (k = 0;; k++) {
    size_t live = ta.live;
    ta.fail_in = k;
    int rc = take(ce, &a, &s);
    ta.fail_in = -1;
    if (rc == 0)
      break;
    ck_assert_int_eq(rc, CCENTER_ENOMEM);
    ck_assert_uint_eq(ta.live, live);
    ck_assert_uint_eq(ccenter_cases_memory(ce), mem);
  }
  ck_assert_int_gt(k, 2);
  blob s2 = snap_of(ce);
  ck_assert_uint_eq(s.len, s2.len);
  ck_assert(!memcmp(s.p, s2.p, s.len));
  free(s2.p);
  ccenter_cases_free(ce);
  ck_assert_uint_eq(ta.live, 0);
  for (k = 0;; k++) {
    ta.fail_in = k;
    ce = NULL;
    int rc = restore_from(s.p, s.len, o, "k", &ce);
    ta.fail_in = -1;
    if (rc == 0)
      break;
    ck_assert_int_eq(rc, CCENTER_ENOMEM);
    ck_assert_ptr_null(ce);
    ck_assert_uint_eq(ta.live, 0);
  }
  ck_assert_int_gt(k, 100);
  ck_assert_uint_eq(ccenter_cases_memory(ce), ta.live);
  blob s3 = snap_of(ce);
  ck_assert_uint_eq(s.len, s3.len);
  ck_assert(!memcmp(s.p, s3.p, s.len));
  free(s3.p);
  free(s.p);
  ccenter_cases_free(ce);
  ck_assert_uint_eq(ta.live, 0);
  ccenter_options_free(o);
}
END_TEST

START_TEST(arguments)
{
  int64_t t;
  ccenter_cases *ce = rich_engine(NULL, &t);
  blob s = snap_of(ce);
  ccenter_cases *out = NULL;
  cc_snap_r r;
  cc_sr_init(&r, s.p, s.len);
  ck_assert_int_eq(cc_cases_restore(NULL, NULL, 3, &r, &out), CCENTER_EINVAL);
  ck_assert_int_eq(cc_cases_restore(NULL, "k", 1025, &r, &out), CCENTER_EINVAL);
  ck_assert_int_eq(cc_cases_restore(NULL, "k", 1, NULL, &out), CCENTER_EINVAL);
  ck_assert_int_eq(cc_cases_restore(NULL, "k", 1, &r, NULL), CCENTER_EINVAL);
  ck_assert_ptr_null(out);
  /* The key is the caller's: another one goes on with another chain (the verifier tells). */
  OK(restore_from(s.p, s.len, NULL, "k", &out));
  ccenter_audit_head h1, h2;
  OK(ccenter_cases_audit_head(ce, &h1));
  OK(ccenter_cases_audit_head(out, &h2));
  ck_assert_uint_eq(h1.seq, h2.seq);
  ck_assert(!memcmp(h1.hash, h2.hash, 32));
  ck_assert_int_eq(ccenter_cases_set_audit_key(out, "x", 1), CCENTER_ESTATE);
  ccenter_cases_free(out);
  free(s.p);
  ccenter_cases_free(ce);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("cases_snap");
  TCase *tc = tcase_create("cases_snap");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, workload_restores_go_on_alike, 0, 1);
  tcase_add_loop_test(tc, walk_restores_go_on_alike, 0, 4);
  tcase_add_test(tc, busy_inside_callbacks);
  tcase_add_test(tc, damaged_blobs_are_corrupt);
  tcase_add_test(tc, bodies_under_valid_digest);
  tcase_add_test(tc, maps_in_slot_order);
  tcase_add_test(tc, enomem_at_every_allocation);
  tcase_add_test(tc, arguments);
  suite_add_tcase(s, tc);
  return s;
}

CC_TEST_MAIN()
