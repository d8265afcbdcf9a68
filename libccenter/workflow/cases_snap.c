/*
 * The case engine's snapshot (cases_int.h has the contract).
 *
 * The blob: tag MAGIC, u64 VERSION, bytes BODY, bytes SHA-256(BODY). The digest is there
 * so that a changed byte is CCENTER_ECORRUPT rather than another engine that still parses
 * (a flipped bit in a time or a counter would), and so that nothing in a damaged body is
 * acted on (a capacity read from it is allocated) before it is known to be what a writer
 * wrote. The body, in this order (every map as its capacity, its length, then each entry's
 * slot and fields in slot order):
 *   i64 now, u64 ev_seq, u64 n_open, u64 audit seq, bytes audit hash (32)
 *   TAG_CAL   map of calendars: str canonical text
 *   TAG_WF    map of workflows: str canonical text, 12 u64 statistics, u64 n and n counters
 *   TAG_ACTOR map of actors: str id, str roles
 *   TAG_LIMIT map of limits: str key, u64 count
 *   TAG_CASE  map of cases: str id, u64 workflow slot, the case's fields (save_case)
 *   TAG_TIMER u64 n, then the wheel's entries in pop order: str case id, u64 kind, i64 due
 *   TAG_END
 * The workflows' counters are written as the definition lays them out; the definition is
 * parsed again from its text, which gives the same layout (the journal relies on it too),
 * and the counts are checked against it.
 */
#include <string.h>

#include "workflow/cases_int.h"

#define MAGIC UINT64_C(0x63637361736573) /* "cccases" */
#define VERSION 1
#define TAG_CAL 0xc1
#define TAG_WF 0xc2
#define TAG_ACTOR 0xc3
#define TAG_LIMIT 0xc4
#define TAG_CASE 0xc5
#define TAG_TIMER 0xc6
#define TAG_END 0xcf
#define N_STATS 12

/* The statistics in their saved order (size is not saved: a restore sets its own). */
static uint64_t *stat_at(ccenter_workflow_stats *st, int i)
{
  uint64_t *const f[N_STATS] = {
      &st->opened,           &st->closed,    &st->open,     &st->golden_met,
      &st->golden_missed,    &st->warnings,  &st->deadlines_missed, &st->proposals,
      &st->approved,         &st->rejected,  &st->expired,  &st->actions};
  return f[i];
}

/* ---- writing ------------------------------------------------------------------------ */

typedef void (*save_fn)(const ccenter_cases *ce, const void *value, cc_snap_w *w);

static void save_map(const ccenter_cases *ce, const cc_map *m, uint64_t tag, save_fn fn,
                     cc_snap_w *w)
{
  cc_sw_tag(w, tag);
  cc_sw_u64(w, m->cap);
  cc_sw_u64(w, m->len);
  size_t it = 0;
  const void *v;
  while ((v = cc_map_next(m, &it))) {
    cc_sw_u64(w, it - 1);
    fn(ce, v, w);
  }
}

/* The text goes through a buffer of the integrator's allocator: the engine is not
 * changed, not even its memory count. */
static void save_text(const ccenter_cases *ce, const void *obj, int is_wf, cc_snap_w *w)
{
  char *text = NULL;
  int rc = cc_cases_canonical_text(&ce->user, obj, is_wf, &text);
  if (rc) {
    if (!w->err)
      w->err = rc;
    return;
  }
  cc_sw_str(w, text);
  cc_free(&ce->user, text);
}

static void save_cal(const ccenter_cases *ce, const void *v, cc_snap_w *w)
{
  save_text(ce, ((const cc_calent *)v)->cal, 0, w);
}

static void save_wf(const ccenter_cases *ce, const void *v, cc_snap_w *w)
{
  const cc_wfrt *rt = v;
  save_text(ce, rt->def, 1, w);
  ccenter_workflow_stats st = rt->st;
  for (int i = 0; i < N_STATS; i++)
    cc_sw_u64(w, *stat_at(&st, i));
  size_t n = cc_cases_wfrt_counters(rt->def);
  cc_sw_u64(w, n);
  for (size_t i = 0; i < n; i++)
    cc_sw_u64(w, rt->n_state[i]);
}

static void save_actor(const ccenter_cases *ce, const void *v, cc_snap_w *w)
{
  (void)ce;
  const cc_actor *a = v;
  cc_sw_str(w, a->id);
  cc_sw_str(w, a->roles);
}

static void save_limit(const ccenter_cases *ce, const void *v, cc_snap_w *w)
{
  (void)ce;
  const cc_limit *l = v;
  cc_sw_str(w, l->key);
  cc_sw_u64(w, l->count);
}

/* The slot of a map's value (it is there). */
static size_t slot_of(const cc_map *m, const void *value)
{
  size_t it = 0;
  const void *v;
  while ((v = cc_map_next(m, &it)) && v != value)
    ;
  return it - 1;
}

static void save_case(const ccenter_cases *ce, const void *v, cc_snap_w *w)
{
  const cc_case *c = v;
  const ccenter_workflow *d = c->wf->def;
  cc_sw_str(w, c->id);
  cc_sw_u64(w, slot_of(&ce->workflows, c->wf));
  cc_sw_u64(w, c->state);
  cc_sw_u64(w, c->closed);
  cc_sw_i64(w, c->opened_at);
  cc_sw_i64(w, c->state_since);
  cc_sw_i64(w, c->contained_at);
  cc_sw_u64(w, c->golden != 0);
  cc_sw_u64(w, c->vals != NULL);
  for (uint32_t i = 0; c->vals && i < d->n_fields; i++) {
    const cc_cval *x = &c->vals[i];
    cc_sw_u64(w, x->set);
    cc_sw_i64(w, x->num);
    cc_sw_str(w, x->text);
    cc_sw_str(w, x->cur[0] ? x->cur : NULL);
  }
  cc_sw_u64(w, c->n_contacts);
  cc_sw_u64(w, c->cap_contacts);
  for (uint8_t i = 0; i < c->n_contacts; i++)
    cc_sw_str(w, c->contacts[i]);
  cc_sw_u64(w, c->n_armed);
  cc_sw_u64(w, c->cap_armed);
  for (uint16_t i = 0; i < c->n_armed; i++) {
    const cc_armed *a = &c->armed[i];
    cc_sw_u64(w, a->timer);
    cc_sw_i64(w, a->deadline);
    cc_sw_i64(w, a->remain);
    cc_sw_u64(w, a->n_warned);
    cc_sw_u64(w, a->paused);
  }
  const cc_prop *p = c->prop;
  cc_sw_u64(w, p != NULL);
  if (!p)
    return;
  cc_sw_u64(w, p->tname);
  cc_sw_i64(w, p->expires);
  cc_sw_str(w, p->maker);
  cc_sw_str(w, p->reason);
  cc_sw_u64(w, p->n_ev);
  for (uint32_t i = 0; i < p->n_ev; i++) {
    cc_sw_str(w, p->ev[i].name);
    cc_sw_str(w, p->ev[i].ref);
  }
}

/* The wheel in pop order, so that a restore arming in this order breaks ties among equal
 * deadlines as the saved wheel would. */
static void save_timers(const ccenter_cases *ce, cc_snap_w *w)
{
  cc_timer_fired *list;
  size_t n;
  if (cc_timers_in_order(&ce->timers, &ce->user, &list, &n)) {
    if (!w->err)
      w->err = CCENTER_ENOMEM;
    return;
  }
  cc_sw_tag(w, TAG_TIMER);
  cc_sw_u64(w, n);
  for (size_t i = 0; i < n; i++) {
    const cc_case *c = (const cc_case *)(uintptr_t)list[i].payload;
    cc_sw_str(w, c->id);
    cc_sw_u64(w, list[i].kind);
    cc_sw_i64(w, list[i].deadline);
  }
  cc_free(&ce->user, list);
}

int cc_cases_snapshot(const ccenter_cases *ce, cc_snap_w *w)
{
  if (!ce || !w)
    return CCENTER_EINVAL;
  if (ce->in_callback || ce->in_exec)
    return CCENTER_EBUSY;
  if (w->err)
    return w->err;
  cc_snap_w b;
  cc_sw_init(&b, w->alloc);
  cc_sw_i64(&b, ce->now);
  cc_sw_u64(&b, ce->ev_seq);
  cc_sw_u64(&b, ce->n_open);
  cc_sw_u64(&b, ce->audit.head.seq);
  cc_sw_bytes(&b, ce->audit.head.hash, sizeof ce->audit.head.hash);
  save_map(ce, &ce->calendars, TAG_CAL, save_cal, &b);
  save_map(ce, &ce->workflows, TAG_WF, save_wf, &b);
  save_map(ce, &ce->actors, TAG_ACTOR, save_actor, &b);
  save_map(ce, &ce->limits, TAG_LIMIT, save_limit, &b);
  save_map(ce, &ce->cases, TAG_CASE, save_case, &b);
  save_timers(ce, &b);
  cc_sw_tag(&b, TAG_END);
  int rc = b.err;
  if (rc == 0) {
    uint8_t h[32];
    ccenter_sha256(b.p, b.len, h);
    size_t start = w->len;
    cc_sw_tag(w, MAGIC);
    cc_sw_u64(w, VERSION);
    cc_sw_bytes(w, b.p, b.len);
    cc_sw_bytes(w, h, sizeof h);
    /* A failed append leaves w as it was, its error kept. */
    if ((rc = w->err) != 0)
      w->len = start;
  }
  cc_sw_free(&b);
  return rc;
}

/* ---- reading ------------------------------------------------------------------------ */

/* Loads one map entry (its slot is placed by the caller): *value and *key (inside it). */
typedef int (*load_fn)(ccenter_cases *ce, cc_snap_r *r, void **value, const char **key);

/* Reads a map saved by save_map into m, slot for slot. Entries that fail to load are freed
 * by fn; those placed are freed with the engine. */
static int load_map(ccenter_cases *ce, cc_map *m, uint64_t tag, load_fn fn, cc_snap_r *r)
{
  cc_sr_tag(r, tag);
  uint64_t cap = cc_sr_u64(r), len = cc_sr_u64(r);
  if (r->err || len > cap / 2)
    return CCENTER_ECORRUPT;
  int rc = cc_map_init_cap(m, &ce->alloc, (size_t)cap);
  uint64_t next = 0;
  for (uint64_t i = 0; rc == 0 && i < len; i++) {
    uint64_t slot = cc_sr_u64(r);
    void *v = NULL;
    const char *key = NULL;
    cc_sr_ascending(r, slot, &next); /* in slot order, as written; each slot once */
    if (r->err || slot >= cap)
      return CCENTER_ECORRUPT;
    if ((rc = fn(ce, r, &v, &key)) == 0)
      rc = cc_map_place(m, (size_t)slot, key, v);
  }
  if (rc == 0 && r->err)
    rc = CCENTER_ECORRUPT;
  return rc ? rc : cc_map_placed_ok(m);
}

/* A saved canonical text parsed again as the engine's own (counted) object. */
static int parse_saved(ccenter_cases *ce, cc_snap_r *r, int is_wf, void **obj)
{
  size_t len;
  const char *text = cc_sr_str_nn(r, &len);
  if (!text)
    return CCENTER_ECORRUPT;
  ccenter_options o = cc_cases_counting_opts(ce);
  ccenter_workflow *wf = NULL;
  ccenter_calendar *cal = NULL;
  int rc = is_wf ? ccenter_workflow_parse(&o, text, len, "snapshot", &wf, NULL)
                 : ccenter_calendar_parse(&o, text, len, "snapshot", &cal, NULL);
  *obj = is_wf ? (void *)wf : (void *)cal;
  /* Failing other than for memory: the text is not what was saved. */
  return rc == 0 || rc == CCENTER_ENOMEM ? rc : CCENTER_ECORRUPT;
}

static int load_cal(ccenter_cases *ce, cc_snap_r *r, void **value, const char **key)
{
  void *obj;
  int rc = parse_saved(ce, r, 0, &obj);
  if (rc)
    return rc;
  ccenter_calendar *cal = obj;
  cc_calent *ent = cc_malloc(&ce->alloc, sizeof *ent);
  if (!ent) {
    ccenter_calendar_free(cal);
    return CCENTER_ENOMEM;
  }
  ent->cal = cal;
  ent->name = ccenter_calendar_name(cal);
  *value = ent;
  *key = ccenter_calendar_name(cal);
  return 0;
}

/* A failed load frees the runtime (and its definition). */
static int load_wf_fail(ccenter_cases *ce, cc_wfrt *w, int rc)
{
  cc_cases_wfrt_free(ce, w);
  return rc;
}

static int load_wf(ccenter_cases *ce, cc_snap_r *r, void **value, const char **key)
{
  void *obj;
  int rc = parse_saved(ce, r, 1, &obj);
  if (rc)
    return rc;
  ccenter_workflow *d = obj;
  if (ccenter_workflow_check(d, NULL) ||
      (d->calendar && !cc_map_get(&ce->calendars, d->calendar))) {
    ccenter_workflow_free(d);
    return CCENTER_ECORRUPT;
  }
  cc_wfrt *w = cc_cases_wfrt_new(ce, d);
  if (!w) {
    ccenter_workflow_free(d);
    return CCENTER_ENOMEM;
  }
  for (int i = 0; i < N_STATS; i++)
    *stat_at(&w->st, i) = cc_sr_u64(r);
  size_t n = cc_cases_wfrt_counters(d);
  if (cc_sr_u64(r) != n || r->err)
    return load_wf_fail(ce, w, CCENTER_ECORRUPT);
  for (size_t i = 0; i < n; i++)
    w->n_state[i] = cc_sr_u64(r);
  if (r->err)
    return load_wf_fail(ce, w, CCENTER_ECORRUPT);
  *value = w;
  *key = d->name;
  return 0;
}

static int load_actor(ccenter_cases *ce, cc_snap_r *r, void **value, const char **key)
{
  size_t n, rn;
  const char *id = cc_sr_str_nn(r, &n);
  const char *roles = cc_sr_str_nn(r, &rn);
  if (!id || !roles || !cc_cases_id_ok(id) || !strcmp(id, CCENTER_WF_SYSTEM_ACTOR) || !rn ||
      rn > (size_t)(CCENTER_WF_MAX_NAME + 1) * CCENTER_WF_MAX_ROLES)
    return CCENTER_ECORRUPT;
  cc_actor *a = cc_malloc(&ce->alloc, sizeof *a + n + 1);
  if (!a)
    return CCENTER_ENOMEM;
  memcpy(a->id, id, n + 1);
  if (!(a->roles = cc_strdup(&ce->alloc, roles))) {
    cc_free(&ce->alloc, a);
    return CCENTER_ENOMEM;
  }
  *value = a;
  *key = a->id;
  return 0;
}

static int load_limit(ccenter_cases *ce, cc_snap_r *r, void **value, const char **key)
{
  size_t n;
  const char *k = cc_sr_str_nn(r, &n);
  uint64_t count = cc_sr_u64(r);
  if (r->err || !memchr(k, 0x1f, n) || n > CCENTER_WF_MAX_NAME + 1 + CCENTER_WF_MAX_TEXT ||
      count == 0 || count > UINT32_MAX)
    return CCENTER_ECORRUPT;
  cc_limit *l = cc_malloc(&ce->alloc, sizeof *l + n + 1);
  if (!l)
    return CCENTER_ENOMEM;
  l->count = (uint32_t)count;
  memcpy(l->key, k, n + 1);
  *value = l;
  *key = l->key;
  return 0;
}

static int time_ok(int64_t t)
{
  return t >= CCENTER_TIME_MIN && t <= CCENTER_TIME_MAX;
}

static int text_ok(const char *s, size_t len, int nullable)
{
  return s ? len <= CCENTER_WF_MAX_TEXT : nullable;
}

/* One field's value as op_set leaves it (or unset: all zero). */
static int load_val(ccenter_cases *ce, cc_snap_r *r, ccenter_field_type ty, cc_cval *v)
{
  uint64_t set = cc_sr_u64(r);
  int64_t num = cc_sr_i64(r);
  size_t tl;
  const char *text = cc_sr_str(r, &tl);
  const char *cur = cc_sr_str(r, NULL);
  if (r->err || set > 1)
    return CCENTER_ECORRUPT;
  int is_text = ty == CCENTER_FIELD_TEXT || ty == CCENTER_FIELD_ACCOUNT;
  int ok;
  if (!set)
    ok = !num && !text && !cur;
  else if (is_text)
    ok = !num && text && tl <= CCENTER_WF_MAX_TEXT && !cur;
  else
    ok = !text && (ty == CCENTER_FIELD_MONEY ? cc_cases_currency_ok(cur) : !cur) &&
         (ty != CCENTER_FIELD_FLAG || num == 0 || num == 1) &&
         (ty != CCENTER_FIELD_TIME || time_ok(num));
  if (!ok)
    return CCENTER_ECORRUPT;
  if (text && !(v->text = cc_strdup(&ce->alloc, text)))
    return CCENTER_ENOMEM;
  v->set = (uint8_t)set;
  v->num = num;
  if (cur)
    memcpy(v->cur, cur, 4);
  return 0;
}

static int load_contacts(ccenter_cases *ce, cc_snap_r *r, cc_case *c)
{
  uint64_t n = cc_sr_u64(r), cap = cc_sr_u64(r);
  if (r->err || n > cap || cap > 2 * CCENTER_WF_MAX_CONTACTS || n > CCENTER_WF_MAX_CONTACTS)
    return CCENTER_ECORRUPT;
  if (cap && !(c->contacts = cc_calloc(&ce->alloc, (size_t)cap, sizeof *c->contacts)))
    return CCENTER_ENOMEM;
  c->cap_contacts = (uint8_t)cap;
  for (uint64_t i = 0; i < n; i++) {
    const char *s = cc_sr_str_nn(r, NULL);
    if (!s || !cc_cases_id_ok(s))
      return CCENTER_ECORRUPT;
    for (uint8_t k = 0; k < c->n_contacts; k++)
      if (!strcmp(c->contacts[k], s))
        return CCENTER_ECORRUPT;
    if (!(c->contacts[c->n_contacts] = cc_strdup(&ce->alloc, s)))
      return CCENTER_ENOMEM;
    c->n_contacts++;
  }
  return 0;
}

static int load_armed(ccenter_cases *ce, cc_snap_r *r, cc_case *c)
{
  const ccenter_workflow *d = c->wf->def;
  uint64_t n = cc_sr_u64(r), cap = cc_sr_u64(r);
  if (r->err || n > cap || n > d->n_timers || cap > UINT16_MAX || (c->closed && cap))
    return CCENTER_ECORRUPT;
  if (cap && !(c->armed = cc_calloc(&ce->alloc, (size_t)cap, sizeof *c->armed)))
    return CCENTER_ENOMEM;
  c->cap_armed = (uint16_t)cap;
  for (uint64_t i = 0; i < n; i++) {
    uint64_t k = cc_sr_u64(r);
    int64_t deadline = cc_sr_i64(r), remain = cc_sr_i64(r);
    uint64_t warned = cc_sr_u64(r), paused = cc_sr_u64(r);
    if (r->err || k >= d->n_timers || !time_ok(deadline) || remain < 0 ||
        warned > d->timers[k].n_warn || paused > 1 || (!paused && remain))
      return CCENTER_ECORRUPT;
    for (uint16_t j = 0; j < c->n_armed; j++)
      if (c->armed[j].timer == k)
        return CCENTER_ECORRUPT;
    cc_armed *a = &c->armed[c->n_armed++];
    a->timer = (uint16_t)k;
    a->deadline = deadline;
    a->remain = remain;
    a->n_warned = (uint8_t)warned;
    a->paused = (uint8_t)paused;
  }
  return 0;
}

/* A proposal in one block, laid out as op_propose lays it out. */
static int load_prop(ccenter_cases *ce, cc_snap_r *r, cc_case *c)
{
  uint64_t has = cc_sr_u64(r);
  if (r->err || has > 1 || (has && c->closed))
    return CCENTER_ECORRUPT;
  if (!has)
    return 0;
  const ccenter_workflow *d = c->wf->def;
  uint64_t tn = cc_sr_u64(r);
  int64_t expires = cc_sr_i64(r);
  size_t ml, rl;
  const char *maker = cc_sr_str_nn(r, &ml);
  const char *reason = cc_sr_str(r, &rl);
  uint64_t n_ev = cc_sr_u64(r);
  if (r->err || tn >= d->n_tnames || !d->tnames[tn].dual ||
      !cc_wf_find_edge(d, c->state, (uint32_t)tn) ||
      (expires != CCENTER_NO_DEADLINE && !time_ok(expires)) || !cc_cases_id_ok(maker) ||
      !text_ok(reason, rl, 1) || n_ev > CCENTER_WF_MAX_EVIDENCE)
    return CCENTER_ECORRUPT;
  ccenter_case_evidence ev[CCENTER_WF_MAX_EVIDENCE];
  size_t bytes = sizeof(cc_prop) + n_ev * sizeof *ev + ml + 1 + (reason ? rl + 1 : 0);
  for (uint64_t i = 0; i < n_ev; i++) {
    size_t nl, fl;
    ev[i].name = cc_sr_str_nn(r, &nl);
    ev[i].ref = cc_sr_str_nn(r, &fl);
    if (r->err || !cc_wf_name_ok(ev[i].name) || !fl || !text_ok(ev[i].ref, fl, 0))
      return CCENTER_ECORRUPT;
    bytes += nl + fl + 2;
  }
  cc_prop *p = cc_malloc(&ce->alloc, bytes);
  if (!p)
    return CCENTER_ENOMEM;
  p->tname = (uint32_t)tn;
  p->n_ev = (uint32_t)n_ev;
  p->expires = expires;
  p->wid = 0;
  p->ev = (ccenter_case_evidence *)(p + 1);
  char *s = (char *)(p->ev + n_ev);
  for (uint64_t i = 0; i < n_ev; i++) {
    size_t a = strlen(ev[i].name) + 1, b = strlen(ev[i].ref) + 1;
    p->ev[i].name = memcpy(s, ev[i].name, a);
    s += a;
    p->ev[i].ref = memcpy(s, ev[i].ref, b);
    s += b;
  }
  p->maker = memcpy(s, maker, ml + 1);
  s += ml + 1;
  p->reason = reason ? memcpy(s, reason, rl + 1) : NULL;
  c->prop = p;
  return 0;
}

/* The case's fields after its id and workflow (the case is allocated and c->wf set, so
 * that cc_cases_case_free can free whatever is loaded). */
static int load_case_body(ccenter_cases *ce, cc_snap_r *r, cc_case *c)
{
  const ccenter_workflow *d = c->wf->def;
  uint64_t state = cc_sr_u64(r), closed = cc_sr_u64(r);
  c->opened_at = cc_sr_i64(r);
  c->state_since = cc_sr_i64(r);
  c->contained_at = cc_sr_i64(r);
  uint64_t golden = cc_sr_u64(r), has_vals = cc_sr_u64(r);
  if (r->err || state >= d->n_states || closed > 1 || golden > 1 || has_vals > 1 ||
      closed != !!(d->states[state].flags & CCENTER_STATE_FINAL) ||
      !time_ok(c->opened_at) || !time_ok(c->state_since) ||
      (c->contained_at != CCENTER_NO_DEADLINE && !time_ok(c->contained_at)) ||
      (golden && (closed || d->golden_ms <= 0)))
    return CCENTER_ECORRUPT;
  c->state = (uint16_t)state;
  c->closed = (uint8_t)closed;
  /* Marks a window pending until the wheel's entry gives it its id. */
  c->golden = golden ? (cc_timer_id)-1 : 0;
  if (has_vals && !(c->vals = cc_calloc(&ce->alloc, d->n_fields ? d->n_fields : 1,
                                        sizeof *c->vals)))
    return CCENTER_ENOMEM;
  int rc = 0;
  for (uint32_t i = 0; rc == 0 && has_vals && i < d->n_fields; i++)
    rc = load_val(ce, r, d->fields[i].type, &c->vals[i]);
  if (rc == 0)
    rc = load_contacts(ce, r, c);
  if (rc == 0)
    rc = load_armed(ce, r, c);
  if (rc == 0)
    rc = load_prop(ce, r, c);
  return rc;
}

static int load_case(ccenter_cases *ce, cc_snap_r *r, void **value, const char **key)
{
  size_t n;
  const char *id = cc_sr_str_nn(r, &n);
  uint64_t ws = cc_sr_u64(r);
  if (r->err || !cc_cases_id_ok(id) || ws >= ce->workflows.cap ||
      !ce->workflows.slots[ws].value)
    return CCENTER_ECORRUPT;
  cc_case *c = cc_calloc(&ce->alloc, 1, sizeof *c + n + 1);
  if (!c)
    return CCENTER_ENOMEM;
  memcpy(c->id, id, n + 1);
  c->wf = ce->workflows.slots[ws].value;
  int rc = load_case_body(ce, r, c);
  if (rc) {
    if (c->golden == (cc_timer_id)-1)
      c->golden = 0;
    cc_cases_case_free(ce, c);
    return rc;
  }
  *value = c;
  *key = c->id;
  return 0;
}

/* Where the wheel's entry of this kind belongs in case c, or NULL when c has no such entry
 * waiting for its id. */
static cc_timer_id *timer_slot(cc_case *c, uint64_t kind)
{
  if (kind == CC_K_GOLDEN)
    return c->golden == (cc_timer_id)-1 ? &c->golden : NULL;
  if (kind == CC_K_PROPOSAL)
    return c->prop && !c->prop->wid && c->prop->expires != CCENTER_NO_DEADLINE
               ? &c->prop->wid
               : NULL;
  for (uint16_t i = 0; i < c->n_armed; i++)
    if (c->armed[i].timer == kind && !c->armed[i].paused && !c->armed[i].wid)
      return &c->armed[i].wid;
  return NULL;
}

/* Whether every entry the cases expect got one from the wheel's list. */
static int timers_complete(const ccenter_cases *ce)
{
  size_t it = 0;
  const cc_case *c;
  while ((c = cc_map_next(&ce->cases, &it))) {
    if (c->golden == (cc_timer_id)-1 || (c->prop && !c->prop->wid &&
                                         c->prop->expires != CCENTER_NO_DEADLINE))
      return 0;
    for (uint16_t i = 0; i < c->n_armed; i++)
      if (!c->armed[i].paused && !c->armed[i].wid)
        return 0;
  }
  return 1;
}

static int load_timers(ccenter_cases *ce, cc_snap_r *r)
{
  cc_sr_tag(r, TAG_TIMER);
  uint64_t n = cc_sr_u64(r);
  /* Each entry takes at least 4 bytes: a bound before reserving for them. */
  if (r->err || n > (r->len - r->off) / 4)
    return CCENTER_ECORRUPT;
  if (cc_timers_reserve(&ce->timers, (size_t)n))
    return CCENTER_ENOMEM;
  for (uint64_t i = 0; i < n; i++) {
    const char *id = cc_sr_str_nn(r, NULL);
    uint64_t kind = cc_sr_u64(r);
    int64_t due = cc_sr_i64(r);
    cc_case *c = r->err ? NULL : cc_cases_find(ce, id);
    cc_timer_id *slot = c ? timer_slot(c, kind) : NULL;
    if (!slot)
      return CCENTER_ECORRUPT;
    *slot = 0; /* a pending golden window's mark, until the arm sets the id */
    (void)cc_timers_arm(&ce->timers, due, (uint32_t)kind, (uint64_t)(uintptr_t)c, slot);
  }
  return timers_complete(ce) ? 0 : CCENTER_ECORRUPT;
}

/* Golden marks left without a wheel entry must not reach cc_timers_cancel when the engine
 * is freed after a failure. */
static void clear_marks(ccenter_cases *ce)
{
  size_t it = 0;
  cc_case *c;
  while ((c = cc_map_next(&ce->cases, &it)))
    if (c->golden == (cc_timer_id)-1)
      c->golden = 0;
}

/* The counts the cases imply agree with the saved ones. */
static int counts_ok(const ccenter_cases *ce, uint64_t n_open)
{
  size_t it = 0, open = 0;
  const cc_case *c;
  while ((c = cc_map_next(&ce->cases, &it)))
    open += !c->closed;
  return open == n_open;
}

static int load_body(ccenter_cases *ce, cc_snap_r *r)
{
  uint64_t ev_seq = cc_sr_u64(r), n_open = cc_sr_u64(r), seq = cc_sr_u64(r);
  size_t hl;
  const void *hash = cc_sr_bytes(r, &hl);
  if (r->err || hl != sizeof ce->audit.head.hash)
    return CCENTER_ECORRUPT;
  int rc = load_map(ce, &ce->calendars, TAG_CAL, load_cal, r);
  if (rc == 0)
    rc = load_map(ce, &ce->workflows, TAG_WF, load_wf, r);
  if (rc == 0)
    rc = load_map(ce, &ce->actors, TAG_ACTOR, load_actor, r);
  if (rc == 0)
    rc = load_map(ce, &ce->limits, TAG_LIMIT, load_limit, r);
  if (rc == 0)
    rc = load_map(ce, &ce->cases, TAG_CASE, load_case, r);
  if (rc == 0)
    rc = load_timers(ce, r);
  clear_marks(ce);
  if (rc)
    return rc;
  cc_sr_tag(r, TAG_END);
  if (!cc_sr_done(r) || !counts_ok(ce, n_open))
    return CCENTER_ECORRUPT;
  ce->ev_seq = ev_seq;
  ce->n_open = (size_t)n_open;
  /* The chain goes on from the saved head: the key was set while the head was empty. */
  ce->audit.head.seq = seq;
  memcpy(ce->audit.head.hash, hash, hl);
  return 0;
}

int cc_cases_restore(const ccenter_options *opts, const void *key, size_t key_len,
                     cc_snap_r *r, ccenter_cases **out)
{
  if (!r || !out || key_len > 1024 || (key_len && !key))
    return CCENTER_EINVAL;
  cc_sr_tag(r, MAGIC);
  uint64_t version = cc_sr_u64(r);
  size_t blen, hl;
  const void *body = cc_sr_bytes(r, &blen);
  const void *hash = cc_sr_bytes(r, &hl);
  uint8_t h[32];
  if (!r->err && hl == sizeof h)
    ccenter_sha256(body, blen, h);
  if (r->err || version != VERSION || hl != sizeof h || memcmp(h, hash, sizeof h) ||
      !cc_sr_done(r)) {
    cc_sr_fail(r);
    return CCENTER_ECORRUPT;
  }
  cc_snap_r br;
  cc_sr_init(&br, body, blen);
  int64_t now = cc_sr_i64(&br);
  if (br.err || !time_ok(now))
    return CCENTER_ECORRUPT;
  ccenter_cases *ce = NULL;
  int rc = ccenter_cases_new(opts, now, &ce);
  if (rc == 0 && key_len)
    rc = ccenter_cases_set_audit_key(ce, key, key_len);
  if (rc == 0)
    rc = load_body(ce, &br);
  if (rc) {
    ccenter_cases_free(ce);
    return rc == CCENTER_ENOMEM ? rc : CCENTER_ECORRUPT;
  }
  *out = ce;
  return 0;
}
