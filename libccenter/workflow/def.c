/*
 * Workflow definitions: the builder, the completeness check, lookups, deep copies.
 *
 * Every step validates all of its arguments and allocates everything it needs before it
 * changes the definition, so that a failing call leaves it exactly as it was (arrays may
 * have grown, which nothing can observe).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccenter/workflow.h"
#include "core/options.h"
#include "core/util.h"
#include "time/calendar_int.h"
#include "workflow/def_int.h"
#include "workflow/wf_int.h"

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(char *why, int code, const char *fmt, ...)
{
  if (why) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, CC_WF_WHY, fmt, ap);
    va_end(ap);
  }
  return code;
}

/* Shows a caller's string in a message without trusting its length or presence. */
#define SHOW(s) (s) ? 64 : 6, (s) ? (s) : "(null)"

static int name_char(unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '.' || c == ':' || c == '-';
}

int cc_wf_name_ok(const char *s)
{
  if (!s)
    return 0;
  size_t n = 0;
  while (s[n] && name_char((unsigned char)s[n]))
    if (++n > CCENTER_WF_MAX_NAME)
      return 0;
  return n > 0 && s[n] == '\0';
}

int cc_wf_calendar_name_ok(const char *s)
{
  if (!s)
    return 0;
  size_t n = 0;
  for (; s[n]; n++) {
    unsigned char c = (unsigned char)s[n];
    /* '#' would start a comment in the text form. */
    if (c <= 0x20 || c >= 0x7f || c == '#' || n >= CCENTER_WF_MAX_NAME)
      return 0;
  }
  return n > 0;
}

/* Grows an array held with a uint32_t capacity, doubling. */
static int grow(const cc_alloc *a, void *arr, uint32_t *cap, size_t need, size_t elem)
{
  if (need <= *cap)
    return 0;
  size_t ncap = *cap ? (size_t)*cap * 2 : 8;
  while (ncap < need)
    ncap *= 2;
  return cc_grow_exact(a, (void **)arr, cap, ncap, elem);
}

/* Grows a small per-transition or per-timer array to exactly n + 1 items, so that its
 * memory is exact without a capacity field. */
static int grow_one(const cc_alloc *a, void *arr, uint32_t n, size_t elem)
{
  void *p = cc_realloc(a, *(void **)arr, ((size_t)n + 1) * elem);
  if (!p)
    return CCENTER_ENOMEM;
  *(void **)arr = p;
  return 0;
}

/* ---- lookups -------------------------------------------------------------------- */

/* Fields, states, transition names and timers all begin with their name, so one search
 * serves the four tables. */
static int find_named(const void *arr, uint32_t n, size_t stride, const char *name)
{
  for (uint32_t i = 0; name && i < n; i++) {
    const char *const *item = (const char *const *)((const char *)arr + i * stride);
    if (strcmp(*item, name) == 0)
      return (int)i;
  }
  return -1;
}

int cc_wf_find_field(const ccenter_workflow *wf, const char *name)
{
  return find_named(wf->fields, wf->n_fields, sizeof *wf->fields, name);
}

int cc_wf_find_state(const ccenter_workflow *wf, const char *name)
{
  return find_named(wf->states, wf->n_states, sizeof *wf->states, name);
}

int cc_wf_find_tname(const ccenter_workflow *wf, const char *name)
{
  return find_named(wf->tnames, wf->n_tnames, sizeof *wf->tnames, name);
}

int cc_wf_find_timer(const ccenter_workflow *wf, const char *name)
{
  return find_named(wf->timers, wf->n_timers, sizeof *wf->timers, name);
}

/* The first edge not ordered before (from, tname). */
static uint32_t edge_lower_bound(const ccenter_workflow *wf, uint32_t from, uint32_t tname)
{
  uint32_t lo = 0, hi = wf->n_edges;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    const cc_wf_edge *e = &wf->edges[mid];
    if (e->from < from || (e->from == from && e->tname < tname))
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

const cc_wf_edge *cc_wf_find_edge(const ccenter_workflow *wf, uint32_t from, uint32_t tname)
{
  uint32_t i = edge_lower_bound(wf, from, tname);
  if (i < wf->n_edges && wf->edges[i].from == from && wf->edges[i].tname == tname)
    return &wf->edges[i];
  return NULL;
}

uint32_t cc_wf_initial(const ccenter_workflow *wf)
{
  for (uint32_t i = 0; i < wf->n_states; i++)
    if (wf->states[i].flags & CCENTER_STATE_INITIAL)
      return i;
  return 0;
}

/* ---- creation and destruction ---------------------------------------------------- */

static void tname_destroy(const cc_alloc *a, cc_wf_tname *t)
{
  cc_free(a, t->name);
  for (uint32_t g = 0; g < t->n_guards; g++) {
    cc_free(a, t->guards[g].word);
    cc_free(a, t->guards[g].expr);
  }
  cc_free(a, t->guards);
  for (uint32_t k = 0; k < t->n_evidence; k++)
    cc_free(a, t->evidence[k]);
  cc_free(a, t->evidence);
  for (uint32_t k = 0; k < t->n_actions; k++)
    cc_free(a, t->actions[k].name);
  cc_free(a, t->actions);
  cc_free(a, t->approver_role);
}

void ccenter_workflow_free(ccenter_workflow *wf)
{
  if (!wf)
    return;
  const cc_alloc a = wf->alloc;
  for (uint32_t i = 0; i < wf->n_fields; i++)
    cc_free(&a, wf->fields[i].name);
  for (uint32_t i = 0; i < wf->n_states; i++) {
    cc_free(&a, wf->states[i].name);
    cc_free(&a, wf->states[i].outcome);
  }
  for (uint32_t i = 0; i < wf->n_tnames; i++)
    tname_destroy(&a, &wf->tnames[i]);
  for (uint32_t i = 0; i < wf->n_edges; i++)
    cc_free(&a, wf->edges[i].role);
  for (uint32_t i = 0; i < wf->n_timers; i++) {
    cc_free(&a, wf->timers[i].name);
    cc_free(&a, wf->timers[i].target);
    cc_free(&a, wf->timers[i].pause);
  }
  cc_free(&a, wf->fields);
  cc_free(&a, wf->states);
  cc_free(&a, wf->tnames);
  cc_free(&a, wf->edges);
  cc_free(&a, wf->timers);
  cc_free(&a, wf->name);
  cc_free(&a, wf->calendar);
  cc_free(&a, wf);
}

int cc_wf_new(const cc_alloc *a, const char *name, ccenter_workflow **out, char *why)
{
  if (!cc_wf_name_ok(name))
    return fail(why, CCENTER_EINVAL, "bad workflow name '%.*s'", SHOW(name));
  ccenter_workflow *wf = cc_calloc(a, 1, sizeof *wf);
  if (!wf)
    return CCENTER_ENOMEM;
  wf->alloc = *a;
  wf->name = cc_strdup(a, name);
  if (!wf->name) {
    cc_free(a, wf);
    return CCENTER_ENOMEM;
  }
  *out = wf;
  return 0;
}

int ccenter_workflow_new(const ccenter_options *opts, const char *name, ccenter_workflow **out)
{
  if (!out)
    return CCENTER_EINVAL;
  cc_alloc a;
  cc_alloc_of(opts, &a);
  return cc_wf_new(&a, name, out, NULL);
}

const char *ccenter_workflow_name(const ccenter_workflow *wf)
{
  return wf ? wf->name : NULL;
}

/* ---- workflow-wide settings ------------------------------------------------------- */

int cc_wf_set_calendar(ccenter_workflow *wf, const char *calendar, char *why)
{
  if (!cc_wf_calendar_name_ok(calendar))
    return fail(why, CCENTER_EINVAL, "bad calendar name '%.*s'", SHOW(calendar));
  char *c = cc_strdup(&wf->alloc, calendar);
  if (!c)
    return CCENTER_ENOMEM;
  cc_free(&wf->alloc, wf->calendar);
  wf->calendar = c;
  return 0;
}

int cc_wf_set_golden(ccenter_workflow *wf, int64_t ms, char *why)
{
  if (ms < 0 || ms > CC_WF_MAX_MS)
    return fail(why, CCENTER_ERANGE, "golden window out of range");
  wf->golden_ms = ms;
  return 0;
}

int cc_wf_add_field(ccenter_workflow *wf, const char *name, ccenter_field_type type,
                    char *why)
{
  if (!cc_wf_name_ok(name))
    return fail(why, CCENTER_EINVAL, "bad field name '%.*s'", SHOW(name));
  if (type < CCENTER_FIELD_TEXT || type > CCENTER_FIELD_ACCOUNT)
    return fail(why, CCENTER_EINVAL, "bad field type %d", (int)type);
  if (cc_wf_find_field(wf, name) >= 0)
    return fail(why, CCENTER_EEXIST, "field '%s' already exists", name);
  if (wf->n_fields >= CCENTER_WF_MAX_FIELDS)
    return fail(why, CCENTER_EFULL, "more than %d fields", CCENTER_WF_MAX_FIELDS);
  if (grow(&wf->alloc, &wf->fields, &wf->cap_fields, wf->n_fields + 1, sizeof *wf->fields))
    return CCENTER_ENOMEM;
  char *n = cc_strdup(&wf->alloc, name);
  if (!n)
    return CCENTER_ENOMEM;
  wf->fields[wf->n_fields++] = (cc_wf_field){n, type};
  return 0;
}

int cc_wf_add_state(ccenter_workflow *wf, const char *name, unsigned flags,
                    const char *outcome, char *why)
{
  const unsigned all = CCENTER_STATE_INITIAL | CCENTER_STATE_FINAL | CCENTER_STATE_CONTAINED;
  if (!cc_wf_name_ok(name))
    return fail(why, CCENTER_EINVAL, "bad state name '%.*s'", SHOW(name));
  if (flags & ~all)
    return fail(why, CCENTER_EINVAL, "unknown state flags 0x%x", flags & ~all);
  if ((flags & CCENTER_STATE_INITIAL) && (flags & CCENTER_STATE_FINAL))
    return fail(why, CCENTER_EINVAL, "state '%s' cannot be both initial and final", name);
  if ((flags & CCENTER_STATE_FINAL) && !cc_wf_name_ok(outcome))
    return fail(why, CCENTER_EINVAL, "final state '%s' needs an outcome (a name)", name);
  if (!(flags & CCENTER_STATE_FINAL) && outcome)
    return fail(why, CCENTER_EINVAL, "only a final state has an outcome");
  if (cc_wf_find_state(wf, name) >= 0)
    return fail(why, CCENTER_EEXIST, "state '%s' already exists", name);
  if (wf->n_states >= CCENTER_WF_MAX_STATES)
    return fail(why, CCENTER_EFULL, "more than %d states", CCENTER_WF_MAX_STATES);
  if (grow(&wf->alloc, &wf->states, &wf->cap_states, wf->n_states + 1, sizeof *wf->states))
    return CCENTER_ENOMEM;
  char *n = cc_strdup(&wf->alloc, name);
  char *o = outcome ? cc_strdup(&wf->alloc, outcome) : NULL;
  if (!n || (outcome && !o)) {
    cc_free(&wf->alloc, n);
    cc_free(&wf->alloc, o);
    return CCENTER_ENOMEM;
  }
  wf->states[wf->n_states++] = (cc_wf_state){n, flags, o};
  return 0;
}

/* ---- transitions ------------------------------------------------------------------ */

/* Resolves a source list ("A,B" or "*") into state indices; 0 or CCENTER_EINVAL. */
static int parse_sources(const ccenter_workflow *wf, const char *from, uint32_t *src,
                         uint32_t *n_src, char *why)
{
  uint32_t n = 0;
  if (strcmp(from, "*") == 0) {
    for (uint32_t s = 0; s < wf->n_states; s++)
      if (!(wf->states[s].flags & CCENTER_STATE_FINAL))
        src[n++] = s;
    if (!n)
      return fail(why, CCENTER_EINVAL, "'*' names no state: every state is final");
    *n_src = n;
    return 0;
  }
  uint8_t seen[CCENTER_WF_MAX_STATES] = {0};
  const char *p = from;
  for (;;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    char tok[CCENTER_WF_MAX_NAME + 1];
    if (len == 0 || len > CCENTER_WF_MAX_NAME)
      return fail(why, CCENTER_EINVAL, "bad source state list '%.*s'", SHOW(from));
    memcpy(tok, p, len);
    tok[len] = '\0';
    int s = cc_wf_find_state(wf, tok);
    if (s < 0)
      return fail(why, CCENTER_EINVAL, "unknown state '%s'", tok);
    if (wf->states[s].flags & CCENTER_STATE_FINAL)
      return fail(why, CCENTER_EINVAL, "final state '%s' cannot be left", tok);
    if (seen[s])
      return fail(why, CCENTER_EINVAL, "state '%s' repeats in the source list", tok);
    seen[s] = 1;
    src[n++] = (uint32_t)s;
    if (!comma)
      break;
    p = comma + 1;
  }
  *n_src = n;
  return 0;
}

int cc_wf_add_transition(ccenter_workflow *wf, const char *name, const char *from,
                         const char *to, const char *role, char *why)
{
  if (!cc_wf_name_ok(name))
    return fail(why, CCENTER_EINVAL, "bad transition name '%.*s'", SHOW(name));
  if (role && !cc_wf_name_ok(role))
    return fail(why, CCENTER_EINVAL, "bad role '%.*s'", SHOW(role));
  if (!from)
    return fail(why, CCENTER_EINVAL, "transition '%s' has no source state", name);
  int dst = cc_wf_find_state(wf, to);
  if (dst < 0)
    return fail(why, CCENTER_EINVAL, "unknown state '%.*s'", SHOW(to));
  uint32_t src[CCENTER_WF_MAX_STATES], n = 0;
  int rc = parse_sources(wf, from, src, &n, why);
  if (rc)
    return rc;
  int tn = cc_wf_find_tname(wf, name);
  for (uint32_t k = 0; tn >= 0 && k < n; k++)
    if (cc_wf_find_edge(wf, src[k], (uint32_t)tn))
      return fail(why, CCENTER_EEXIST, "transition '%s' already leaves state '%s'", name,
                  wf->states[src[k]].name);
  if (wf->n_edges + n > CCENTER_WF_MAX_TRANSITIONS)
    return fail(why, CCENTER_EFULL, "more than %d transitions (counted per source state)",
                CCENTER_WF_MAX_TRANSITIONS);
  const cc_alloc *a = &wf->alloc;
  if (grow(a, &wf->edges, &wf->cap_edges, (size_t)wf->n_edges + n, sizeof *wf->edges) ||
      (tn < 0 && grow(a, &wf->tnames, &wf->cap_tnames, wf->n_tnames + 1, sizeof *wf->tnames)))
    return CCENTER_ENOMEM;
  char *roles[CCENTER_WF_MAX_STATES] = {NULL};
  char *tname = tn < 0 ? cc_strdup(a, name) : NULL;
  int oom = tn < 0 && !tname;
  for (uint32_t k = 0; role && !oom && k < n; k++)
    oom = !(roles[k] = cc_strdup(a, role));
  if (oom) {
    for (uint32_t k = 0; k < n; k++)
      cc_free(a, roles[k]);
    cc_free(a, tname);
    return CCENTER_ENOMEM;
  }
  if (tn < 0) {
    memset(&wf->tnames[wf->n_tnames], 0, sizeof *wf->tnames);
    wf->tnames[wf->n_tnames].name = tname;
    tn = (int)wf->n_tnames++;
  }
  for (uint32_t k = 0; k < n; k++) {
    uint32_t at = edge_lower_bound(wf, src[k], (uint32_t)tn);
    memmove(&wf->edges[at + 1], &wf->edges[at], (wf->n_edges - at) * sizeof *wf->edges);
    wf->edges[at] = (cc_wf_edge){(uint32_t)tn, src[k], (uint32_t)dst, roles[k]};
    wf->n_edges++;
  }
  return 0;
}

static cc_wf_tname *tname_of(ccenter_workflow *wf, const char *transition, char *why)
{
  int tn = cc_wf_find_tname(wf, transition);
  if (tn < 0) {
    fail(why, CCENTER_EINVAL, "unknown transition '%.*s'", SHOW(transition));
    return NULL;
  }
  return &wf->tnames[tn];
}

int cc_wf_set_dual(ccenter_workflow *wf, const char *transition, const char *approver_role,
                   int64_t expires_ms, char *why)
{
  cc_wf_tname *t = tname_of(wf, transition, why);
  if (!t)
    return CCENTER_EINVAL;
  if (!cc_wf_name_ok(approver_role))
    return fail(why, CCENTER_EINVAL, "bad approver role '%.*s'", SHOW(approver_role));
  if (expires_ms < 0 || expires_ms > CC_WF_MAX_MS)
    return fail(why, CCENTER_ERANGE, "proposal expiry out of range");
  char *r = cc_strdup(&wf->alloc, approver_role);
  if (!r)
    return CCENTER_ENOMEM;
  cc_free(&wf->alloc, t->approver_role);
  t->approver_role = r;
  t->dual = 1;
  t->expires_ms = expires_ms;
  return 0;
}

/* ---- guards ----------------------------------------------------------------------- */

static const char *const op_text[] = {
  [CC_G_EQ] = "==", [CC_G_NE] = "!=", [CC_G_LT] = "<",
  [CC_G_LE] = "<=", [CC_G_GT] = ">",  [CC_G_GE] = ">=",
};

static const char *skip_space(const char *p)
{
  while (*p == ' ' || *p == '\t')
    p++;
  return p;
}

/* A name at p: its length, 0 when none. */
static size_t name_len(const char *p)
{
  size_t n = 0;
  while (name_char((unsigned char)p[n]))
    n++;
  return n;
}

int cc_wf_parse_int(const char *p, size_t n, int64_t *out)
{
  size_t i = 0;
  int neg = 0;
  if (i < n && (p[i] == '+' || p[i] == '-'))
    neg = p[i++] == '-';
  if (i == n)
    return -1;
  uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (; i < n; i++) {
    if (p[i] < '0' || p[i] > '9')
      return -1;
    unsigned d = (unsigned)(p[i] - '0');
    if (v > (lim - d) / 10)
      return -1;
    v = v * 10 + d;
  }
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return 0;
}

/* Parses a guard into g (expr and word set to borrowed NULL; the caller allocates) and
 * its normalised text into norm. 0 or CCENTER_ESYNTAX. */
static int parse_guard(const ccenter_workflow *wf, const char *expr, cc_wf_guard *g,
                       char *norm, size_t norm_size, const char **word, size_t *word_n,
                       char *why)
{
  const char *p = skip_space(expr);
  int neg = *p == '!';
  if (neg)
    p = skip_space(p + 1);
  size_t fn = name_len(p);
  char field[CCENTER_WF_MAX_NAME + 1];
  if (fn == 0 || fn > CCENTER_WF_MAX_NAME)
    return fail(why, CCENTER_ESYNTAX, "guard '%.60s': expected a field name", expr);
  memcpy(field, p, fn);
  field[fn] = '\0';
  int f = cc_wf_find_field(wf, field);
  if (f < 0)
    return fail(why, CCENTER_ESYNTAX, "guard '%.60s': unknown field '%s'", expr, field);
  g->field = (uint32_t)f;
  p = skip_space(p + fn);
  *word = NULL;
  if (*p == '\0') {
    g->op = neg ? CC_G_UNSET : CC_G_SET;
    snprintf(norm, norm_size, "%s%s", neg ? "!" : "", field);
    return 0;
  }
  if (neg)
    return fail(why, CCENTER_ESYNTAX, "guard '%.60s': '!' takes a field alone", expr);
  static const struct { const char *s; cc_wf_guard_op op; } ops[] = {
    {"==", CC_G_EQ}, {"!=", CC_G_NE}, {"<=", CC_G_LE},
    {">=", CC_G_GE}, {"<", CC_G_LT},  {">", CC_G_GT},
  };
  size_t k = 0;
  while (k < sizeof ops / sizeof ops[0] && strncmp(p, ops[k].s, strlen(ops[k].s)) != 0)
    k++;
  if (k == sizeof ops / sizeof ops[0])
    return fail(why, CCENTER_ESYNTAX, "guard '%.60s': expected one of == != < <= > >=", expr);
  g->op = ops[k].op;
  p = skip_space(p + strlen(ops[k].s));
  size_t vn = 0;
  while (p[vn] && p[vn] != ' ' && p[vn] != '\t')
    vn++;
  if (vn == 0)
    return fail(why, CCENTER_ESYNTAX, "guard '%.60s': expected a value", expr);
  if (*skip_space(p + vn) != '\0')
    return fail(why, CCENTER_ESYNTAX, "guard '%.60s': unexpected text after the value",
                expr);
  ccenter_field_type type = wf->fields[f].type;
  if (type == CCENTER_FIELD_TEXT || type == CCENTER_FIELD_ACCOUNT) {
    if (g->op != CC_G_EQ && g->op != CC_G_NE)
      return fail(why, CCENTER_ESYNTAX, "guard '%.60s': a text field takes == or != only",
                  expr);
    if (name_len(p) != vn || vn > CCENTER_WF_MAX_NAME)
      return fail(why, CCENTER_ESYNTAX,
                  "guard '%.60s': the value must be a word of [A-Za-z0-9_.:-]", expr);
    *word = p;
    *word_n = vn;
    g->num = 0;
    snprintf(norm, norm_size, "%s %s %.*s", field, op_text[g->op], (int)vn, p);
    return 0;
  }
  if (cc_wf_parse_int(p, vn, &g->num))
    return fail(why, CCENTER_ESYNTAX, "guard '%.60s': the value must be an integer", expr);
  snprintf(norm, norm_size, "%s %s %lld", field, op_text[g->op], (long long)g->num);
  return 0;
}

int cc_wf_add_guard(ccenter_workflow *wf, const char *transition, const char *expr,
                    char *why)
{
  cc_wf_tname *t = tname_of(wf, transition, why);
  if (!t)
    return CCENTER_EINVAL;
  if (!expr)
    return fail(why, CCENTER_ESYNTAX, "empty guard");
  cc_wf_guard g = {0};
  char norm[3 * CCENTER_WF_MAX_NAME + 8];
  const char *word;
  size_t word_n = 0;
  int rc = parse_guard(wf, expr, &g, norm, sizeof norm, &word, &word_n, why);
  if (rc)
    return rc;
  if (t->n_guards >= CCENTER_WF_MAX_GUARDS)
    return fail(why, CCENTER_EFULL, "more than %d guards on '%s'", CCENTER_WF_MAX_GUARDS,
                t->name);
  const cc_alloc *a = &wf->alloc;
  if (grow_one(a, &t->guards, t->n_guards, sizeof *t->guards))
    return CCENTER_ENOMEM;
  g.expr = cc_strdup(a, norm);
  if (word && g.expr && (g.word = cc_malloc(a, word_n + 1)) != NULL) {
    memcpy(g.word, word, word_n);
    g.word[word_n] = '\0';
  }
  if (!g.expr || (word && !g.word)) {
    cc_free(a, g.expr);
    return CCENTER_ENOMEM;
  }
  t->guards[t->n_guards++] = g;
  return 0;
}

/* ---- evidence, actions, limits ------------------------------------------------------ */

int cc_wf_require_evidence(ccenter_workflow *wf, const char *transition,
                           const char *evidence, char *why)
{
  cc_wf_tname *t = tname_of(wf, transition, why);
  if (!t)
    return CCENTER_EINVAL;
  if (!cc_wf_name_ok(evidence))
    return fail(why, CCENTER_EINVAL, "bad evidence name '%.*s'", SHOW(evidence));
  for (uint32_t k = 0; k < t->n_evidence; k++)
    if (strcmp(t->evidence[k], evidence) == 0)
      return fail(why, CCENTER_EEXIST, "'%s' already requires evidence '%s'", t->name,
                  evidence);
  if (t->n_evidence >= CCENTER_WF_MAX_EVIDENCE)
    return fail(why, CCENTER_EFULL, "more than %d evidence names on '%s'",
                CCENTER_WF_MAX_EVIDENCE, t->name);
  if (grow_one(&wf->alloc, &t->evidence, t->n_evidence, sizeof *t->evidence))
    return CCENTER_ENOMEM;
  char *e = cc_strdup(&wf->alloc, evidence);
  if (!e)
    return CCENTER_ENOMEM;
  t->evidence[t->n_evidence++] = e;
  return 0;
}

int cc_wf_add_action(ccenter_workflow *wf, const char *transition, const char *action,
                     int64_t within_ms, char *why)
{
  cc_wf_tname *t = tname_of(wf, transition, why);
  if (!t)
    return CCENTER_EINVAL;
  if (!cc_wf_name_ok(action))
    return fail(why, CCENTER_EINVAL, "bad action name '%.*s'", SHOW(action));
  if (within_ms < 0 || within_ms > CC_WF_MAX_MS)
    return fail(why, CCENTER_ERANGE, "action deadline out of range");
  if (t->n_actions >= CCENTER_WF_MAX_ACTIONS)
    return fail(why, CCENTER_EFULL, "more than %d actions on '%s'", CCENTER_WF_MAX_ACTIONS,
                t->name);
  if (grow_one(&wf->alloc, &t->actions, t->n_actions, sizeof *t->actions))
    return CCENTER_ENOMEM;
  char *n = cc_strdup(&wf->alloc, action);
  if (!n)
    return CCENTER_ENOMEM;
  t->actions[t->n_actions++] = (cc_wf_action){n, within_ms};
  return 0;
}

int cc_wf_add_limit(ccenter_workflow *wf, const char *transition, const char *key_field,
                    uint32_t max, char *why)
{
  cc_wf_tname *t = tname_of(wf, transition, why);
  if (!t)
    return CCENTER_EINVAL;
  int f = cc_wf_find_field(wf, key_field);
  if (f < 0)
    return fail(why, CCENTER_EINVAL, "unknown field '%.*s'", SHOW(key_field));
  if (wf->fields[f].type != CCENTER_FIELD_ACCOUNT && wf->fields[f].type != CCENTER_FIELD_TEXT)
    return fail(why, CCENTER_EINVAL, "a limit counts by an account or text field, not '%s'",
                key_field);
  if (max < 1)
    return fail(why, CCENTER_ERANGE, "a limit must allow at least 1");
  if (t->has_limit)
    return fail(why, CCENTER_EEXIST, "'%s' already has a limit", t->name);
  t->has_limit = 1;
  t->limit_field = (uint32_t)f;
  t->limit_max = max;
  return 0;
}

/* ---- timers ------------------------------------------------------------------------ */

static cc_wf_timer *timer_of(ccenter_workflow *wf, const char *timer, char *why)
{
  int i = cc_wf_find_timer(wf, timer);
  if (i < 0) {
    fail(why, CCENTER_EINVAL, "unknown timer '%.*s'", SHOW(timer));
    return NULL;
  }
  return &wf->timers[i];
}

static int64_t clock_max(ccenter_timer_clock clock)
{
  switch (clock) {
  case CCENTER_CLOCK_DAYS:
  case CCENTER_CLOCK_BUSINESS_DAYS:
  case CCENTER_CLOCK_BUSINESS_DAYS_SAME_TIME:
    return CC_WF_MAX_DAYS;
  case CCENTER_CLOCK_MONTHS:
    return CC_WF_MAX_MONTHS;
  default:
    return CC_WF_MAX_MS;
  }
}

int cc_wf_add_timer(ccenter_workflow *wf, const char *name, const char *start_state,
                    ccenter_timer_clock clock, int64_t amount, ccenter_timer_expiry on_expiry,
                    const char *target, unsigned flags, char *why)
{
  if (!cc_wf_name_ok(name))
    return fail(why, CCENTER_EINVAL, "bad timer name '%.*s'", SHOW(name));
  int start = -1;
  if (start_state && (start = cc_wf_find_state(wf, start_state)) < 0)
    return fail(why, CCENTER_EINVAL, "unknown state '%s'", start_state);
  if (start >= 0 && (wf->states[start].flags & CCENTER_STATE_FINAL))
    return fail(why, CCENTER_EINVAL, "a timer cannot start in final state '%s'", start_state);
  if ((unsigned)clock > CCENTER_CLOCK_BUSINESS_TIME)
    return fail(why, CCENTER_EINVAL, "bad timer clock %d", (int)clock);
  if ((unsigned)on_expiry > CCENTER_EXPIRY_ESCALATE)
    return fail(why, CCENTER_EINVAL, "bad timer expiry %d", (int)on_expiry);
  if (flags & ~(CCENTER_TIMER_DEADLINE | CCENTER_TIMER_KEEP))
    return fail(why, CCENTER_EINVAL, "unknown timer flags 0x%x", flags);
  int target_tname = -1;
  if (on_expiry == CCENTER_EXPIRY_ALERT && target)
    return fail(why, CCENTER_EINVAL, "an alert timer has no target");
  if (on_expiry == CCENTER_EXPIRY_TRANSITION &&
      (target_tname = cc_wf_find_tname(wf, target)) < 0)
    return fail(why, CCENTER_EINVAL, "timer '%s': unknown transition '%.*s'", name,
                SHOW(target));
  if (on_expiry == CCENTER_EXPIRY_ESCALATE && !cc_wf_name_ok(target))
    return fail(why, CCENTER_EINVAL, "timer '%s': bad escalation role '%.*s'", name,
                SHOW(target));
  if (amount < 0 || amount > clock_max(clock))
    return fail(why, CCENTER_ERANGE, "timer '%s': length out of range", name);
  if (cc_wf_find_timer(wf, name) >= 0)
    return fail(why, CCENTER_EEXIST, "timer '%s' already exists", name);
  if (wf->n_timers >= CCENTER_WF_MAX_TIMERS)
    return fail(why, CCENTER_EFULL, "more than %d timers", CCENTER_WF_MAX_TIMERS);
  const cc_alloc *a = &wf->alloc;
  if (grow(a, &wf->timers, &wf->cap_timers, wf->n_timers + 1, sizeof *wf->timers))
    return CCENTER_ENOMEM;
  char *n = cc_strdup(a, name);
  char *tg = target ? cc_strdup(a, target) : NULL;
  if (!n || (target && !tg)) {
    cc_free(a, n);
    cc_free(a, tg);
    return CCENTER_ENOMEM;
  }
  cc_wf_timer *t = &wf->timers[wf->n_timers++];
  memset(t, 0, sizeof *t);
  t->name = n;
  t->start_state = start;
  t->start_field = -1;
  t->clock = clock;
  t->amount = amount;
  t->on_expiry = on_expiry;
  t->target = tg;
  t->target_tname = target_tname;
  t->flags = flags;
  return 0;
}

int cc_wf_timer_start_field(ccenter_workflow *wf, const char *timer, const char *field,
                            char *why)
{
  cc_wf_timer *t = timer_of(wf, timer, why);
  if (!t)
    return CCENTER_EINVAL;
  int f = cc_wf_find_field(wf, field);
  if (f < 0)
    return fail(why, CCENTER_EINVAL, "unknown field '%.*s'", SHOW(field));
  if (wf->fields[f].type != CCENTER_FIELD_TIME)
    return fail(why, CCENTER_EINVAL, "timer '%s' starts from a time field, not '%s'",
                t->name, field);
  if (t->start_state >= 0)
    return fail(why, CCENTER_EINVAL, "timer '%s' already starts in state '%s'", t->name,
                wf->states[t->start_state].name);
  t->start_field = f;
  return 0;
}

int cc_wf_timer_warn(ccenter_workflow *wf, const char *timer, int64_t before_ms, char *why)
{
  cc_wf_timer *t = timer_of(wf, timer, why);
  if (!t)
    return CCENTER_EINVAL;
  if (before_ms <= 0 || before_ms > CC_WF_MAX_MS)
    return fail(why, CCENTER_ERANGE, "timer '%s': warning time out of range", t->name);
  uint32_t at = 0;
  while (at < t->n_warn && t->warn[at] > before_ms)
    at++;
  if (at < t->n_warn && t->warn[at] == before_ms)
    return fail(why, CCENTER_EEXIST, "timer '%s' already warns then", t->name);
  if (t->n_warn >= CCENTER_WF_MAX_WARNINGS)
    return fail(why, CCENTER_EFULL, "more than %d warnings on timer '%s'",
                CCENTER_WF_MAX_WARNINGS, t->name);
  memmove(&t->warn[at + 1], &t->warn[at], (t->n_warn - at) * sizeof t->warn[0]);
  t->warn[at] = before_ms;
  t->n_warn++;
  return 0;
}

int cc_wf_timer_pause_in(ccenter_workflow *wf, const char *timer, const char *state,
                         char *why)
{
  cc_wf_timer *t = timer_of(wf, timer, why);
  if (!t)
    return CCENTER_EINVAL;
  int s = cc_wf_find_state(wf, state);
  if (s < 0)
    return fail(why, CCENTER_EINVAL, "unknown state '%.*s'", SHOW(state));
  for (uint32_t k = 0; k < t->n_pause; k++)
    if (t->pause[k] == (uint32_t)s)
      return fail(why, CCENTER_EEXIST, "timer '%s' already pauses in '%s'", t->name, state);
  if (grow_one(&wf->alloc, &t->pause, t->n_pause, sizeof *t->pause))
    return CCENTER_ENOMEM;
  t->pause[t->n_pause++] = (uint32_t)s;
  return 0;
}

/* ---- the public builder ------------------------------------------------------------ */

int ccenter_workflow_set_calendar(ccenter_workflow *wf, const char *calendar)
{
  return wf ? cc_wf_set_calendar(wf, calendar, NULL) : CCENTER_EINVAL;
}

int ccenter_workflow_set_golden(ccenter_workflow *wf, int64_t ms)
{
  return wf ? cc_wf_set_golden(wf, ms, NULL) : CCENTER_EINVAL;
}

int ccenter_workflow_add_field(ccenter_workflow *wf, const char *name, ccenter_field_type type)
{
  return wf ? cc_wf_add_field(wf, name, type, NULL) : CCENTER_EINVAL;
}

int ccenter_workflow_add_state(ccenter_workflow *wf, const char *name, unsigned flags,
                               const char *outcome)
{
  return wf ? cc_wf_add_state(wf, name, flags, outcome, NULL) : CCENTER_EINVAL;
}

int ccenter_workflow_add_transition(ccenter_workflow *wf, const char *name, const char *from,
                                    const char *to, const char *role)
{
  return wf ? cc_wf_add_transition(wf, name, from, to, role, NULL) : CCENTER_EINVAL;
}

int ccenter_workflow_set_dual(ccenter_workflow *wf, const char *transition,
                              const char *approver_role, int64_t expires_ms)
{
  return wf ? cc_wf_set_dual(wf, transition, approver_role, expires_ms, NULL) : CCENTER_EINVAL;
}

int ccenter_workflow_add_guard(ccenter_workflow *wf, const char *transition, const char *expr)
{
  return wf ? cc_wf_add_guard(wf, transition, expr, NULL) : CCENTER_EINVAL;
}

int ccenter_workflow_require_evidence(ccenter_workflow *wf, const char *transition,
                                      const char *evidence)
{
  return wf ? cc_wf_require_evidence(wf, transition, evidence, NULL) : CCENTER_EINVAL;
}

int ccenter_workflow_add_action(ccenter_workflow *wf, const char *transition,
                                const char *action, int64_t within_ms)
{
  return wf ? cc_wf_add_action(wf, transition, action, within_ms, NULL) : CCENTER_EINVAL;
}

int ccenter_workflow_add_limit(ccenter_workflow *wf, const char *transition,
                               const char *key_field, uint32_t max)
{
  return wf ? cc_wf_add_limit(wf, transition, key_field, max, NULL) : CCENTER_EINVAL;
}

int ccenter_workflow_add_timer(ccenter_workflow *wf, const char *name, const char *start_state,
                               ccenter_timer_clock clock, int64_t amount,
                               ccenter_timer_expiry on_expiry, const char *target,
                               unsigned flags)
{
  return wf ? cc_wf_add_timer(wf, name, start_state, clock, amount, on_expiry, target, flags,
                              NULL)
            : CCENTER_EINVAL;
}

int ccenter_workflow_timer_start_field(ccenter_workflow *wf, const char *timer,
                                       const char *field)
{
  return wf ? cc_wf_timer_start_field(wf, timer, field, NULL) : CCENTER_EINVAL;
}

int ccenter_workflow_timer_warn(ccenter_workflow *wf, const char *timer, int64_t before_ms)
{
  return wf ? cc_wf_timer_warn(wf, timer, before_ms, NULL) : CCENTER_EINVAL;
}

int ccenter_workflow_timer_pause_in(ccenter_workflow *wf, const char *timer,
                                    const char *state)
{
  return wf ? cc_wf_timer_pause_in(wf, timer, state, NULL) : CCENTER_EINVAL;
}

/* ---- the completeness check ---------------------------------------------------------- */

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int check_fail(const ccenter_workflow *wf, ccenter_parse_error *err, const char *fmt,
                      ...)
{
  char msg[CC_WF_WHY];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  cc_parse_error_set(err, wf->name, 0, "%s", msg);
  return CCENTER_ESYNTAX;
}

int ccenter_workflow_check(const ccenter_workflow *wf, ccenter_parse_error *err)
{
  if (!wf)
    return CCENTER_EINVAL;
  uint32_t initial = 0, contained = 0;
  for (uint32_t s = 0; s < wf->n_states; s++) {
    initial += (wf->states[s].flags & CCENTER_STATE_INITIAL) != 0;
    contained += (wf->states[s].flags & CCENTER_STATE_CONTAINED) != 0;
  }
  if (initial == 0)
    return check_fail(wf, err, "no initial state");
  if (initial > 1)
    return check_fail(wf, err, "%u initial states (want exactly one)", (unsigned)initial);
  if (wf->golden_ms > 0 && !contained)
    return check_fail(wf, err, "a golden window needs at least one contained state");
  /* The builder refuses these; a definition copied in by other means is checked anyway. */
  for (uint32_t e = 0; e < wf->n_edges; e++)
    if (wf->states[wf->edges[e].from].flags & CCENTER_STATE_FINAL)
      return check_fail(wf, err, "transition '%s' leaves final state '%s'",
                        wf->tnames[wf->edges[e].tname].name, wf->states[wf->edges[e].from].name);
  for (uint32_t s = 0; s < wf->n_states; s++)
    if ((wf->states[s].flags & CCENTER_STATE_FINAL) && !wf->states[s].outcome)
      return check_fail(wf, err, "final state '%s' has no outcome", wf->states[s].name);
  for (uint32_t i = 0; i < wf->n_timers; i++) {
    const cc_wf_timer *t = &wf->timers[i];
    if (t->start_state < 0 && t->start_field < 0)
      return check_fail(wf, err, "timer '%s' has neither a start state nor a start field",
                        t->name);
    if (t->on_expiry != CCENTER_EXPIRY_TRANSITION)
      continue;
    if (t->target_tname < 0 || (uint32_t)t->target_tname >= wf->n_tnames)
      return check_fail(wf, err, "timer '%s': unknown transition", t->name);
    /* A timer that stops when the case leaves its start state can only fire there. */
    if (t->start_state >= 0 && !(t->flags & CCENTER_TIMER_KEEP) &&
        !cc_wf_find_edge(wf, (uint32_t)t->start_state, (uint32_t)t->target_tname))
      return check_fail(wf, err, "timer '%s': transition '%s' does not leave state '%s'",
                        t->name, wf->tnames[t->target_tname].name,
                        wf->states[t->start_state].name);
  }
  uint8_t reach[CCENTER_WF_MAX_STATES];
  for (uint32_t s = 0; s < wf->n_states; s++)
    reach[s] = (wf->states[s].flags & CCENTER_STATE_FINAL) != 0;
  for (int changed = 1; changed;) {
    changed = 0;
    for (uint32_t e = 0; e < wf->n_edges; e++)
      if (reach[wf->edges[e].to] && !reach[wf->edges[e].from])
        changed = reach[wf->edges[e].from] = 1;
  }
  for (uint32_t s = 0; s < wf->n_states; s++)
    if (!reach[s])
      return check_fail(wf, err, "state '%s' cannot reach a final state", wf->states[s].name);
  return 0;
}

/* ---- copies and memory -------------------------------------------------------------- */

static size_t str_bytes(const char *s)
{
  return s ? strlen(s) + 1 : 0;
}

size_t cc_wf_memory(const ccenter_workflow *wf)
{
  if (!wf)
    return 0;
  size_t n = sizeof *wf + str_bytes(wf->name) + str_bytes(wf->calendar);
  n += wf->cap_fields * sizeof *wf->fields + wf->cap_states * sizeof *wf->states +
       wf->cap_tnames * sizeof *wf->tnames + wf->cap_edges * sizeof *wf->edges +
       wf->cap_timers * sizeof *wf->timers;
  for (uint32_t i = 0; i < wf->n_fields; i++)
    n += str_bytes(wf->fields[i].name);
  for (uint32_t i = 0; i < wf->n_states; i++)
    n += str_bytes(wf->states[i].name) + str_bytes(wf->states[i].outcome);
  for (uint32_t i = 0; i < wf->n_tnames; i++) {
    const cc_wf_tname *t = &wf->tnames[i];
    n += str_bytes(t->name) + str_bytes(t->approver_role);
    n += t->n_guards * sizeof *t->guards + t->n_evidence * sizeof *t->evidence +
         t->n_actions * sizeof *t->actions;
    for (uint32_t k = 0; k < t->n_guards; k++)
      n += str_bytes(t->guards[k].word) + str_bytes(t->guards[k].expr);
    for (uint32_t k = 0; k < t->n_evidence; k++)
      n += str_bytes(t->evidence[k]);
    for (uint32_t k = 0; k < t->n_actions; k++)
      n += str_bytes(t->actions[k].name);
  }
  for (uint32_t i = 0; i < wf->n_edges; i++)
    n += str_bytes(wf->edges[i].role);
  for (uint32_t i = 0; i < wf->n_timers; i++)
    n += str_bytes(wf->timers[i].name) + str_bytes(wf->timers[i].target) +
         wf->timers[i].n_pause * sizeof *wf->timers[i].pause;
  return n;
}

/* Copies a string that may be NULL; sets *oom when a non-NULL one cannot be copied. */
static char *dup_or_null(const cc_alloc *a, const char *s, int *oom)
{
  if (!s)
    return NULL;
  char *d = cc_strdup(a, s);
  if (!d)
    *oom = 1;
  return d;
}

/* Copies n items of an array that may be empty; sets *oom on failure. */
static void *dup_array(const cc_alloc *a, const void *src, size_t n, size_t elem, int *oom)
{
  if (!n)
    return NULL;
  void *d = cc_malloc(a, n * elem);
  if (!d)
    *oom = 1;
  else
    memcpy(d, src, n * elem);
  return d;
}

/* The copy's arrays are exactly as long as the source's contents; every pointer in them
 * is replaced by its own copy, or NULL when the allocator fails, so that the partial copy
 * can be freed by ccenter_workflow_free(). */
int cc_wf_clone(const ccenter_workflow *src, const cc_alloc *a, ccenter_workflow **out)
{
  int oom = 0;
  ccenter_workflow *wf = cc_calloc(a, 1, sizeof *wf);
  if (!wf)
    return CCENTER_ENOMEM;
  wf->alloc = *a;
  wf->golden_ms = src->golden_ms;
  wf->name = dup_or_null(a, src->name, &oom);
  wf->calendar = dup_or_null(a, src->calendar, &oom);
#define COPY_ARRAY(arr, n, cap)                                                     \
  do {                                                                              \
    wf->arr = dup_array(a, src->arr, src->n, sizeof *src->arr, &oom);               \
    if (wf->arr || !src->n)                                                         \
      wf->n = wf->cap = src->n;                                                     \
  } while (0)
  COPY_ARRAY(fields, n_fields, cap_fields);
  COPY_ARRAY(states, n_states, cap_states);
  COPY_ARRAY(tnames, n_tnames, cap_tnames);
  COPY_ARRAY(edges, n_edges, cap_edges);
  COPY_ARRAY(timers, n_timers, cap_timers);
#undef COPY_ARRAY
  for (uint32_t i = 0; i < wf->n_fields; i++)
    wf->fields[i].name = dup_or_null(a, src->fields[i].name, &oom);
  for (uint32_t i = 0; i < wf->n_states; i++) {
    wf->states[i].name = dup_or_null(a, src->states[i].name, &oom);
    wf->states[i].outcome = dup_or_null(a, src->states[i].outcome, &oom);
  }
  for (uint32_t i = 0; i < wf->n_edges; i++)
    wf->edges[i].role = dup_or_null(a, src->edges[i].role, &oom);
  for (uint32_t i = 0; i < wf->n_tnames; i++) {
    cc_wf_tname *t = &wf->tnames[i];
    const cc_wf_tname *s = &src->tnames[i];
    t->name = dup_or_null(a, s->name, &oom);
    t->approver_role = dup_or_null(a, s->approver_role, &oom);
    t->guards = dup_array(a, s->guards, s->n_guards, sizeof *s->guards, &oom);
    t->n_guards = t->guards ? s->n_guards : 0;
    for (uint32_t k = 0; k < t->n_guards; k++) {
      t->guards[k].word = dup_or_null(a, s->guards[k].word, &oom);
      t->guards[k].expr = dup_or_null(a, s->guards[k].expr, &oom);
    }
    t->evidence = dup_array(a, s->evidence, s->n_evidence, sizeof *s->evidence, &oom);
    t->n_evidence = t->evidence ? s->n_evidence : 0;
    for (uint32_t k = 0; k < t->n_evidence; k++)
      t->evidence[k] = dup_or_null(a, s->evidence[k], &oom);
    t->actions = dup_array(a, s->actions, s->n_actions, sizeof *s->actions, &oom);
    t->n_actions = t->actions ? s->n_actions : 0;
    for (uint32_t k = 0; k < t->n_actions; k++)
      t->actions[k].name = dup_or_null(a, s->actions[k].name, &oom);
  }
  for (uint32_t i = 0; i < wf->n_timers; i++) {
    cc_wf_timer *t = &wf->timers[i];
    const cc_wf_timer *s = &src->timers[i];
    t->name = dup_or_null(a, s->name, &oom);
    t->target = dup_or_null(a, s->target, &oom);
    t->pause = dup_array(a, s->pause, s->n_pause, sizeof *s->pause, &oom);
    t->n_pause = t->pause ? s->n_pause : 0;
  }
  if (oom) {
    ccenter_workflow_free(wf);
    return CCENTER_ENOMEM;
  }
  *out = wf;
  return 0;
}
