/*
 * The text form of a workflow definition (parser and canonical writer) and its Graphviz
 * picture.
 *
 * A workflow file is read line by line. `#` starts a comment at the start of a line or
 * after a space or tab; blank lines are ignored; words are separated by spaces or tabs.
 * Indentation is for the reader only: the attribute lines (dual, guard, evidence, action,
 * limit) apply to the transition on the closest `transition` line above them, and warn
 * and pause to the closest `timer` line. Everything is built through the same steps as
 * the builder functions, so a name, limit or reference refused there is refused here,
 * reported as "source:line: message". Names must be defined before they are used: fields
 * before the guards and limits that test them, states before transitions and timers,
 * transitions before the timers that take them.
 *
 *   workflow NAME                      first line (after comments), once
 *   calendar CALENDAR                  the calendar business and day timers use
 *   golden DURATION                    the golden window (elapsed)
 *   field NAME TYPE                    TYPE: text int money flag time account
 *   state NAME [initial] [contained] [final OUTCOME]
 *   transition NAME FROM[,FROM...] -> TO [role ROLE]
 *                                      FROM may be `*`: every state not final; without a
 *                                      role only the system actor (a timer) takes it
 *     dual approver ROLE [expires DURATION]
 *     guard EXPRESSION                 `field`, `!field` or `field OP value`
 *     evidence NAME
 *     action NAME [within DURATION]
 *     limit FIELD MAX                  at most MAX times per value of FIELD
 *   timer NAME on STATE LENGTH -> EXPIRY [deadline] [keep]
 *   timer NAME from FIELD LENGTH -> EXPIRY [deadline] [keep]
 *                                      EXPIRY: `transition NAME`, `escalate ROLE`, `alert`;
 *                                      `from FIELD` runs from a time field's value
 *     warn DURATION                    an early warning that long before expiry
 *     pause STATE                      the clock stops while the case is in STATE
 *
 * A DURATION (elapsed time) is a whole number and a unit: ms, s, m, h, or d (24 hours):
 * `30m`, `2h`, `15d`. A timer's LENGTH also says what it counts:
 *   30m, 48h, 500ms, 10s    elapsed time (there is no elapsed `d` here: see below)
 *   10d                     calendar days, same local time (CCENTER_CLOCK_DAYS)
 *   6mo                     civil months, clamped at month end (CCENTER_CLOCK_MONTHS)
 *   5bd                     business days, to the end of the last one
 *   3bd-same                business days, same local time
 *   8bh, 30bm, 10bs, 1bms   business time: `b` before an elapsed unit counts only the
 *                           calendar's opening hours
 * The writer uses the largest unit that gives a whole number.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ccenter/workflow.h"
#include "core/options.h"
#include "time/calendar_int.h"
#include "workflow/def_int.h"
#include "workflow/wf_int.h"

#define LINE_MAX_BYTES 1024
#define MAX_WORDS 32
#define MS_S INT64_C(1000)
#define MS_M (60 * MS_S)
#define MS_H (60 * MS_M)
#define MS_D (24 * MS_H)

static const char *const field_types[] = {
  [CCENTER_FIELD_TEXT] = "text",   [CCENTER_FIELD_INT] = "int",
  [CCENTER_FIELD_MONEY] = "money", [CCENTER_FIELD_FLAG] = "flag",
  [CCENTER_FIELD_TIME] = "time",   [CCENTER_FIELD_ACCOUNT] = "account",
};

/* Elapsed units, largest first: the writer takes the first that divides. */
static const struct { const char *unit; int64_t ms; } elapsed_units[] = {
  {"d", MS_D}, {"h", MS_H}, {"m", MS_M}, {"s", MS_S}, {"ms", 1},
};
#define N_ELAPSED (sizeof elapsed_units / sizeof elapsed_units[0])

/* The suffixes of the lengths counted in days or months. */
static const char *const count_units[] = {
  [CCENTER_CLOCK_DAYS] = "d",
  [CCENTER_CLOCK_MONTHS] = "mo",
  [CCENTER_CLOCK_BUSINESS_DAYS] = "bd",
  [CCENTER_CLOCK_BUSINESS_DAYS_SAME_TIME] = "bd-same",
};

/* ---- durations ---------------------------------------------------------------------- */

/* A parsed length: what it counts and how many (ms for elapsed and business time). */
typedef struct duration {
  ccenter_timer_clock clock;
  int64_t amount;
} duration;

/* Splits "48h" into 48 and "h". 0, or -1 when there are no digits or they overflow. */
static int split_number(const char *s, int64_t *n, const char **unit)
{
  size_t d = 0;
  while (s[d] >= '0' && s[d] <= '9')
    d++;
  if (d == 0 || cc_wf_parse_int(s, d, n))
    return -1;
  *unit = s + d;
  return 0;
}

/* An elapsed unit's ms, 0 when unknown; `with_days` admits d. */
static int64_t elapsed_unit(const char *u, int with_days)
{
  for (size_t i = with_days ? 0 : 1; i < N_ELAPSED; i++)
    if (strcmp(u, elapsed_units[i].unit) == 0)
      return elapsed_units[i].ms;
  return 0;
}

/* Parses a DURATION (timer 0) or a timer's LENGTH (timer 1). 0, or -1 (what is wrong in
 * msg). */
static int parse_duration(const char *s, int timer, duration *out, const char **msg)
{
  int64_t n;
  const char *u;
  *msg = timer ? "bad length (e.g. 30m, 48h, 10d, 6mo, 5bd, 3bd-same, 8bh)"
               : "bad duration (e.g. 500ms, 30s, 30m, 2h, 15d)";
  if (split_number(s, &n, &u))
    return -1;
  int64_t ms = elapsed_unit(u, !timer);
  ccenter_timer_clock clock = CCENTER_CLOCK_ELAPSED;
  if (!ms && timer) {
    for (int c = CCENTER_CLOCK_DAYS; c <= CCENTER_CLOCK_BUSINESS_DAYS_SAME_TIME; c++)
      if (strcmp(u, count_units[c]) == 0) {
        out->clock = (ccenter_timer_clock)c;
        out->amount = n;
        return 0;
      }
    if (u[0] == 'b' && (ms = elapsed_unit(u + 1, 0)) != 0)
      clock = CCENTER_CLOCK_BUSINESS_TIME;
  }
  if (!ms)
    return -1;
  if (n > INT64_MAX / ms) {
    *msg = "duration out of range";
    return -1;
  }
  out->clock = clock;
  out->amount = n * ms;
  return 0;
}

/* ---- writing -------------------------------------------------------------------------- */

/* Measures (buf NULL) or writes text; the caller measured first, so writing always fits. */
typedef struct wout {
  char *buf;
  size_t len;
} wout;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void wputf(wout *o, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  /* The measuring pass proved that the room after len holds this text and its NUL. */
  int n = o->buf ? vsprintf(o->buf + o->len, fmt, ap) : vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n > 0)
    o->len += (size_t)n;
}

/* An elapsed time in the largest unit that divides it; `with_days` admits d. */
static void write_elapsed(wout *o, int64_t ms, const char *prefix, int with_days)
{
  if (ms == 0) {
    wputf(o, "0%ss", prefix);
    return;
  }
  size_t i = with_days ? 0 : 1;
  while (ms % elapsed_units[i].ms)
    i++;
  wputf(o, "%lld%s%s", (long long)(ms / elapsed_units[i].ms), prefix, elapsed_units[i].unit);
}

static void write_length(wout *o, ccenter_timer_clock clock, int64_t amount)
{
  if (clock == CCENTER_CLOCK_ELAPSED || clock == CCENTER_CLOCK_BUSINESS_TIME)
    write_elapsed(o, amount, clock == CCENTER_CLOCK_BUSINESS_TIME ? "b" : "", 0);
  else
    wputf(o, "%lld%s", (long long)amount, count_units[clock]);
}

/* Calls fn for each group of transition t's edges that share a target and a role, in the
 * order of their first source state, with the group's edge indices. */
typedef void (*group_fn)(const ccenter_workflow *wf, wout *o, const uint32_t *edges, uint32_t n,
                         int first);

static void each_group(const ccenter_workflow *wf, uint32_t t, wout *o, group_fn fn)
{
  uint8_t done[CCENTER_WF_MAX_TRANSITIONS] = {0};
  uint32_t group[CCENTER_WF_MAX_STATES];
  int first = 1;
  for (uint32_t e = 0; e < wf->n_edges; e++) {
    const cc_wf_edge *x = &wf->edges[e];
    if (x->tname != t || done[e])
      continue;
    uint32_t n = 0;
    for (uint32_t f = e; f < wf->n_edges; f++) {
      const cc_wf_edge *y = &wf->edges[f];
      if (y->tname == t && !done[f] && y->to == x->to &&
          (x->role ? y->role && strcmp(x->role, y->role) == 0 : !y->role)) {
        done[f] = 1;
        group[n++] = f;
      }
    }
    fn(wf, o, group, n, first);
    first = 0;
  }
}

static void write_attributes(const ccenter_workflow *wf, wout *o, const cc_wf_tname *t)
{
  if (t->dual) {
    wputf(o, "  dual approver %s", t->approver_role);
    if (t->expires_ms) {
      wputf(o, " expires ");
      write_elapsed(o, t->expires_ms, "", 1);
    }
    wputf(o, "\n");
  }
  for (uint32_t k = 0; k < t->n_guards; k++)
    wputf(o, "  guard %s\n", t->guards[k].expr);
  for (uint32_t k = 0; k < t->n_evidence; k++)
    wputf(o, "  evidence %s\n", t->evidence[k]);
  for (uint32_t k = 0; k < t->n_actions; k++) {
    wputf(o, "  action %s", t->actions[k].name);
    if (t->actions[k].within_ms) {
      wputf(o, " within ");
      write_elapsed(o, t->actions[k].within_ms, "", 1);
    }
    wputf(o, "\n");
  }
  if (t->has_limit)
    wputf(o, "  limit %s %u\n", wf->fields[t->limit_field].name, (unsigned)t->limit_max);
}

static void write_group(const ccenter_workflow *wf, wout *o, const uint32_t *edges, uint32_t n,
                        int first)
{
  const cc_wf_edge *e = &wf->edges[edges[0]];
  wputf(o, "transition %s ", wf->tnames[e->tname].name);
  for (uint32_t k = 0; k < n; k++)
    wputf(o, "%s%s", k ? "," : "", wf->states[wf->edges[edges[k]].from].name);
  wputf(o, " -> %s", wf->states[e->to].name);
  if (e->role)
    wputf(o, " role %s", e->role);
  wputf(o, "\n");
  if (first)
    write_attributes(wf, o, &wf->tnames[e->tname]);
}

static void write_timer(const ccenter_workflow *wf, wout *o, const cc_wf_timer *t)
{
  wputf(o, "timer %s ", t->name);
  if (t->start_state >= 0)
    wputf(o, "on %s ", wf->states[t->start_state].name);
  else if (t->start_field >= 0)
    wputf(o, "from %s ", wf->fields[t->start_field].name);
  write_length(o, t->clock, t->amount);
  if (t->on_expiry == CCENTER_EXPIRY_TRANSITION)
    wputf(o, " -> transition %s", t->target);
  else if (t->on_expiry == CCENTER_EXPIRY_ESCALATE)
    wputf(o, " -> escalate %s", t->target);
  else
    wputf(o, " -> alert");
  if (t->flags & CCENTER_TIMER_DEADLINE)
    wputf(o, " deadline");
  if (t->flags & CCENTER_TIMER_KEEP)
    wputf(o, " keep");
  wputf(o, "\n");
  for (uint32_t k = 0; k < t->n_warn; k++) {
    wputf(o, "  warn ");
    write_elapsed(o, t->warn[k], "", 1);
    wputf(o, "\n");
  }
  for (uint32_t k = 0; k < t->n_pause; k++)
    wputf(o, "  pause %s\n", wf->states[t->pause[k]].name);
}

static void write_text(const ccenter_workflow *wf, wout *o)
{
  wputf(o, "workflow %s\n", wf->name);
  if (wf->calendar)
    wputf(o, "calendar %s\n", wf->calendar);
  if (wf->golden_ms) {
    wputf(o, "golden ");
    write_elapsed(o, wf->golden_ms, "", 1);
    wputf(o, "\n");
  }
  if (wf->n_fields)
    wputf(o, "\n");
  for (uint32_t i = 0; i < wf->n_fields; i++)
    wputf(o, "field %s %s\n", wf->fields[i].name, field_types[wf->fields[i].type]);
  if (wf->n_states)
    wputf(o, "\n");
  for (uint32_t i = 0; i < wf->n_states; i++) {
    const cc_wf_state *s = &wf->states[i];
    wputf(o, "state %s%s%s", s->name, s->flags & CCENTER_STATE_INITIAL ? " initial" : "",
          s->flags & CCENTER_STATE_CONTAINED ? " contained" : "");
    if (s->flags & CCENTER_STATE_FINAL)
      wputf(o, " final %s", s->outcome);
    wputf(o, "\n");
  }
  for (uint32_t t = 0; t < wf->n_tnames; t++) {
    wputf(o, "\n");
    each_group(wf, t, o, write_group);
  }
  if (wf->n_timers)
    wputf(o, "\n");
  for (uint32_t i = 0; i < wf->n_timers; i++)
    write_timer(wf, o, &wf->timers[i]);
}

/* The buffer contract of ccenter_calendar_write(): measure, and write only when it fits. */
static int write_into(const ccenter_workflow *wf, char *buf, size_t size, size_t *needed,
                      void (*fn)(const ccenter_workflow *, wout *))
{
  if (!wf || (!buf && size))
    return CCENTER_EINVAL;
  wout o = {NULL, 0};
  fn(wf, &o);
  if (needed)
    *needed = o.len;
  if (o.len >= size)
    return CCENTER_ERANGE;
  o.buf = buf;
  o.len = 0;
  buf[0] = '\0';
  fn(wf, &o);
  return 0;
}

int ccenter_workflow_write(const ccenter_workflow *wf, char *buf, size_t size, size_t *needed)
{
  return write_into(wf, buf, size, needed, write_text);
}

/* ---- the Graphviz picture -------------------------------------------------------------- */

static void dot_edge_label(const ccenter_workflow *wf, wout *o, const cc_wf_edge *e)
{
  const cc_wf_tname *t = &wf->tnames[e->tname];
  wputf(o, "%s\\n%s%s", t->name, e->role ? "role " : "system", e->role ? e->role : "");
  if (t->dual)
    wputf(o, "\\n[dual: %s]", t->approver_role);
  for (uint32_t k = 0; k < t->n_guards; k++)
    wputf(o, "\\nif %s", t->guards[k].expr);
  for (uint32_t k = 0; k < t->n_evidence; k++)
    wputf(o, "\\nneeds %s", t->evidence[k]);
  for (uint32_t k = 0; k < t->n_actions; k++)
    wputf(o, "\\ndo %s", t->actions[k].name);
  if (t->has_limit)
    wputf(o, "\\nmax %u per %s", (unsigned)t->limit_max, wf->fields[t->limit_field].name);
}

static void dot_timer_label(const ccenter_workflow *wf, wout *o, const cc_wf_timer *t)
{
  wputf(o, "timer %s: ", t->name);
  write_length(o, t->clock, t->amount);
  if (t->start_field >= 0)
    wputf(o, " from %s", wf->fields[t->start_field].name);
  for (uint32_t k = 0; k < t->n_warn; k++) {
    wputf(o, "\\nwarn ");
    write_elapsed(o, t->warn[k], "", 1);
    wputf(o, " before");
  }
  for (uint32_t k = 0; k < t->n_pause; k++)
    wputf(o, "\\npaused in %s", wf->states[t->pause[k]].name);
  if (t->flags & CCENTER_TIMER_DEADLINE)
    wputf(o, "\\n(deadline)");
}

static void write_dot(const ccenter_workflow *wf, wout *o)
{
  /* Names are [A-Za-z0-9_.:-] only, so they need no escaping inside dot's quotes. */
  wputf(o, "digraph \"%s\" {\n  rankdir=LR;\n", wf->name);
  wputf(o, "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=10];\n");
  wputf(o, "  edge [fontname=\"Helvetica\", fontsize=9];\n");
  for (uint32_t i = 0; i < wf->n_states; i++) {
    const cc_wf_state *s = &wf->states[i];
    wputf(o, "  \"%s\" [label=\"%s", s->name, s->name);
    if (s->flags & CCENTER_STATE_FINAL)
      wputf(o, "\\n%s", s->outcome);
    if (s->flags & CCENTER_STATE_CONTAINED)
      wputf(o, "\\n(contained)");
    wputf(o, "\"");
    if (s->flags & CCENTER_STATE_FINAL)
      wputf(o, ", shape=doublecircle");
    if (s->flags & (CCENTER_STATE_INITIAL | CCENTER_STATE_CONTAINED)) {
      /* Setting style replaces the default's "rounded", so boxes say it again. */
      const char *sep = "";
      wputf(o, ", style=\"");
      if (!(s->flags & CCENTER_STATE_FINAL)) {
        wputf(o, "rounded");
        sep = ",";
      }
      if (s->flags & CCENTER_STATE_INITIAL) {
        wputf(o, "%sbold", sep);
        sep = ",";
      }
      if (s->flags & CCENTER_STATE_CONTAINED)
        wputf(o, "%sfilled", sep);
      wputf(o, "\"");
    }
    if (s->flags & CCENTER_STATE_INITIAL)
      wputf(o, ", penwidth=2");
    if (s->flags & CCENTER_STATE_CONTAINED)
      wputf(o, ", fillcolor=\"#d8efd8\"");
    wputf(o, "];\n");
  }
  for (uint32_t e = 0; e < wf->n_edges; e++) {
    const cc_wf_edge *x = &wf->edges[e];
    wputf(o, "  \"%s\" -> \"%s\" [label=\"", wf->states[x->from].name, wf->states[x->to].name);
    dot_edge_label(wf, o, x);
    wputf(o, "\"%s];\n", x->role ? "" : ", color=gray40");
  }
  for (uint32_t i = 0; i < wf->n_timers; i++) {
    const cc_wf_timer *t = &wf->timers[i];
    /* A timer that fires a transition from its own start state is drawn as a dashed edge
     * to where that transition goes; any other timer as a note. */
    const cc_wf_edge *x = NULL;
    if (t->on_expiry == CCENTER_EXPIRY_TRANSITION && t->start_state >= 0)
      x = cc_wf_find_edge(wf, (uint32_t)t->start_state, (uint32_t)t->target_tname);
    if (x) {
      wputf(o, "  \"%s\" -> \"%s\" [style=dashed, color=firebrick, label=\"",
            wf->states[x->from].name, wf->states[x->to].name);
      dot_timer_label(wf, o, t);
      wputf(o, "\\n-> %s\"];\n", t->target);
      continue;
    }
    /* Notes get ids with a space, which no state name has. */
    wputf(o, "  \"timer %s\" [shape=note, style=dashed, color=firebrick, label=\"", t->name);
    dot_timer_label(wf, o, t);
    if (t->on_expiry == CCENTER_EXPIRY_TRANSITION)
      wputf(o, "\\n-> transition %s", t->target);
    else if (t->on_expiry == CCENTER_EXPIRY_ESCALATE)
      wputf(o, "\\n-> escalate to %s", t->target);
    else
      wputf(o, "\\n-> alert");
    wputf(o, "%s\"];\n", t->flags & CCENTER_TIMER_KEEP ? "\\n(keeps running)" : "");
    if (t->start_state >= 0)
      wputf(o, "  \"%s\" -> \"timer %s\" [style=dashed, color=firebrick, arrowhead=none];\n",
            wf->states[t->start_state].name, t->name);
  }
  wputf(o, "}\n");
}

int ccenter_workflow_write_dot(const ccenter_workflow *wf, char *buf, size_t size,
                               size_t *needed)
{
  return write_into(wf, buf, size, needed, write_dot);
}

/* ---- parsing ------------------------------------------------------------------------------ */

typedef struct parser {
  const char *source;
  int line;
  ccenter_parse_error *err;
  cc_alloc alloc;
  ccenter_workflow *wf;
  int block;                             /* what attribute lines apply to: one of below */
  char cur[CCENTER_WF_MAX_NAME + 1];     /* that transition or timer */
  char *w[MAX_WORDS];
  int n;
} parser;

enum { BLOCK_NONE, BLOCK_TRANSITION, BLOCK_TIMER };

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int perr(parser *ps, const char *fmt, ...)
{
  char msg[CC_WF_WHY + 64];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  cc_parse_error_set(ps->err, ps->source, ps->line, "%s", msg);
  return CCENTER_ESYNTAX;
}

/* A builder step's result: its reason becomes the line's error. */
static int built(parser *ps, int rc, const char *why)
{
  if (rc == 0)
    return 0;
  if (rc == CCENTER_ENOMEM) {
    cc_parse_error_set(ps->err, ps->source, ps->line, "out of memory");
    return rc;
  }
  return perr(ps, "%s", why);
}

static int want_words(parser *ps, int min, int max)
{
  if (ps->n < min)
    return perr(ps, "'%s' needs more words", ps->w[0]);
  if (ps->n > max)
    return perr(ps, "unexpected '%.64s' after '%s'", ps->w[max], ps->w[0]);
  return 0;
}

static int get_duration(parser *ps, const char *s, int timer, duration *d)
{
  const char *msg;
  if (parse_duration(s, timer, d, &msg))
    return perr(ps, "%s: '%.64s'", msg, s);
  return 0;
}

/* An elapsed DURATION as ms. */
static int get_ms(parser *ps, const char *s, int64_t *ms)
{
  duration d;
  int rc = get_duration(ps, s, 0, &d);
  *ms = d.amount;
  return rc;
}

static int parse_state(parser *ps, char *why)
{
  int rc = want_words(ps, 2, 6);
  unsigned flags = 0;
  const char *outcome = NULL;
  for (int i = 2; !rc && i < ps->n; i++) {
    const char *w = ps->w[i];
    unsigned f = strcmp(w, "initial") == 0     ? CCENTER_STATE_INITIAL
                 : strcmp(w, "contained") == 0 ? CCENTER_STATE_CONTAINED
                 : strcmp(w, "final") == 0     ? CCENTER_STATE_FINAL
                                               : 0;
    if (!f)
      return perr(ps, "unknown state flag '%.64s' (initial, contained, final OUTCOME)", w);
    if (flags & f)
      return perr(ps, "'%s' repeats", w);
    flags |= f;
    if (f == CCENTER_STATE_FINAL) {
      if (i + 1 >= ps->n)
        return perr(ps, "'final' needs an outcome");
      outcome = ps->w[++i];
    }
  }
  return rc ? rc : built(ps, cc_wf_add_state(ps->wf, ps->w[1], flags, outcome, why), why);
}

static int parse_transition(parser *ps, char *why)
{
  if (ps->n != 5 && ps->n != 7)
    return perr(ps, "want: transition NAME FROM[,FROM...] -> TO [role ROLE]");
  if (strcmp(ps->w[3], "->") != 0)
    return perr(ps, "expected '->' after the source states");
  if (ps->n == 7 && strcmp(ps->w[5], "role") != 0)
    return perr(ps, "expected 'role' after the target state");
  int rc = built(ps, cc_wf_add_transition(ps->wf, ps->w[1], ps->w[2], ps->w[4],
                                          ps->n == 7 ? ps->w[6] : NULL, why),
                 why);
  if (!rc) {
    ps->block = BLOCK_TRANSITION;
    strcpy(ps->cur, ps->w[1]);
  }
  return rc;
}

static int parse_timer(parser *ps, char *why)
{
  if (ps->n < 6)
    return perr(ps, "want: timer NAME on STATE|from FIELD LENGTH -> EXPIRY [deadline] [keep]");
  int on = strcmp(ps->w[2], "on") == 0;
  if (!on && strcmp(ps->w[2], "from") != 0)
    return perr(ps, "expected 'on STATE' or 'from FIELD' after the timer's name");
  duration d;
  int rc = get_duration(ps, ps->w[4], 1, &d);
  if (rc)
    return rc;
  if (strcmp(ps->w[5], "->") != 0)
    return perr(ps, "expected '->' after the timer's length");
  int i = 6;
  if (i >= ps->n)
    return perr(ps, "expected 'transition NAME', 'escalate ROLE' or 'alert' after '->'");
  ccenter_timer_expiry ex;
  const char *target = NULL;
  if (strcmp(ps->w[i], "alert") == 0) {
    ex = CCENTER_EXPIRY_ALERT;
    i++;
  } else if (strcmp(ps->w[i], "transition") == 0 || strcmp(ps->w[i], "escalate") == 0) {
    ex = ps->w[i][0] == 't' ? CCENTER_EXPIRY_TRANSITION : CCENTER_EXPIRY_ESCALATE;
    if (i + 1 >= ps->n)
      return perr(ps, "'%s' needs a name", ps->w[i]);
    target = ps->w[i + 1];
    i += 2;
  } else {
    return perr(ps, "unknown expiry '%.64s' (transition NAME, escalate ROLE, alert)", ps->w[i]);
  }
  unsigned flags = 0;
  for (; i < ps->n; i++) {
    unsigned f = strcmp(ps->w[i], "deadline") == 0 ? CCENTER_TIMER_DEADLINE
                 : strcmp(ps->w[i], "keep") == 0   ? CCENTER_TIMER_KEEP
                                                   : 0;
    if (!f || (flags & f))
      return perr(ps, "unexpected '%.64s' (deadline, keep, once each)", ps->w[i]);
    flags |= f;
  }
  rc = built(ps, cc_wf_add_timer(ps->wf, ps->w[1], on ? ps->w[3] : NULL, d.clock, d.amount, ex,
                                 target, flags, why),
             why);
  if (!rc && !on)
    rc = built(ps, cc_wf_timer_start_field(ps->wf, ps->w[1], ps->w[3], why), why);
  if (!rc) {
    ps->block = BLOCK_TIMER;
    strcpy(ps->cur, ps->w[1]);
  }
  return rc;
}

/* Lines that add to the transition or timer above them. */
static int parse_attribute(parser *ps, int block, char *why)
{
  const char *kw = ps->w[0];
  if (ps->block != block)
    return perr(ps, "'%s' must follow a %s line", kw,
                block == BLOCK_TRANSITION ? "transition" : "timer");
  ccenter_workflow *wf = ps->wf;
  const char *cur = ps->cur;
  int64_t ms = 0;
  int rc;
  if (strcmp(kw, "guard") == 0) {
    if (ps->n < 2)
      return perr(ps, "'guard' needs an expression");
    char expr[LINE_MAX_BYTES];
    size_t len = 0;
    for (int i = 1; i < ps->n; i++) {
      size_t wl = strlen(ps->w[i]);
      memcpy(expr + len, ps->w[i], wl);
      len += wl;
      expr[len++] = ' ';
    }
    expr[len - 1] = '\0';
    return built(ps, cc_wf_add_guard(wf, cur, expr, why), why);
  }
  if (strcmp(kw, "dual") == 0) {
    if (ps->n != 3 && ps->n != 5)
      return perr(ps, "want: dual approver ROLE [expires DURATION]");
    if (strcmp(ps->w[1], "approver") != 0 || (ps->n == 5 && strcmp(ps->w[3], "expires") != 0))
      return perr(ps, "want: dual approver ROLE [expires DURATION]");
    if (ps->n == 5 && (rc = get_ms(ps, ps->w[4], &ms)) != 0)
      return rc;
    return built(ps, cc_wf_set_dual(wf, cur, ps->w[2], ms, why), why);
  }
  if (strcmp(kw, "evidence") == 0)
    return (rc = want_words(ps, 2, 2)) ? rc
                                       : built(ps, cc_wf_require_evidence(wf, cur, ps->w[1], why),
                                               why);
  if (strcmp(kw, "action") == 0) {
    if (ps->n != 2 && (ps->n != 4 || strcmp(ps->w[2], "within") != 0))
      return perr(ps, "want: action NAME [within DURATION]");
    if (ps->n == 4 && (rc = get_ms(ps, ps->w[3], &ms)) != 0)
      return rc;
    return built(ps, cc_wf_add_action(wf, cur, ps->w[1], ms, why), why);
  }
  if (strcmp(kw, "limit") == 0) {
    int64_t max;
    if ((rc = want_words(ps, 3, 3)) != 0)
      return rc;
    if (cc_wf_parse_int(ps->w[2], strlen(ps->w[2]), &max) || max < 1 || max > UINT32_MAX)
      return perr(ps, "bad limit '%.64s' (a whole number from 1)", ps->w[2]);
    return built(ps, cc_wf_add_limit(wf, cur, ps->w[1], (uint32_t)max, why), why);
  }
  if (strcmp(kw, "warn") == 0) {
    if ((rc = want_words(ps, 2, 2)) != 0 || (rc = get_ms(ps, ps->w[1], &ms)) != 0)
      return rc;
    return built(ps, cc_wf_timer_warn(wf, cur, ms, why), why);
  }
  /* pause */
  return (rc = want_words(ps, 2, 2)) ? rc
                                     : built(ps, cc_wf_timer_pause_in(wf, cur, ps->w[1], why),
                                             why);
}

static int parse_line(parser *ps)
{
  char why[CC_WF_WHY] = "";
  const char *kw = ps->w[0];
  int rc;
  if (!ps->wf) {
    if (strcmp(kw, "workflow") != 0)
      return perr(ps, "the first line must be 'workflow NAME'");
    if ((rc = want_words(ps, 2, 2)) != 0)
      return rc;
    return built(ps, cc_wf_new(&ps->alloc, ps->w[1], &ps->wf, why), why);
  }
  static const char *const attrs[] = {"dual", "guard", "evidence", "action", "limit"};
  for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
    if (strcmp(kw, attrs[i]) == 0)
      return parse_attribute(ps, BLOCK_TRANSITION, why);
  if (strcmp(kw, "warn") == 0 || strcmp(kw, "pause") == 0)
    return parse_attribute(ps, BLOCK_TIMER, why);
  if (strcmp(kw, "transition") == 0)
    return parse_transition(ps, why);
  if (strcmp(kw, "timer") == 0)
    return parse_timer(ps, why);
  ps->block = BLOCK_NONE;
  if (strcmp(kw, "workflow") == 0)
    return perr(ps, "a second 'workflow' line");
  if (strcmp(kw, "calendar") == 0)
    return (rc = want_words(ps, 2, 2)) ? rc
                                       : built(ps, cc_wf_set_calendar(ps->wf, ps->w[1], why),
                                               why);
  if (strcmp(kw, "golden") == 0) {
    int64_t ms;
    if ((rc = want_words(ps, 2, 2)) != 0 || (rc = get_ms(ps, ps->w[1], &ms)) != 0)
      return rc;
    return built(ps, cc_wf_set_golden(ps->wf, ms, why), why);
  }
  if (strcmp(kw, "field") == 0) {
    if ((rc = want_words(ps, 3, 3)) != 0)
      return rc;
    int type = 0;
    for (int t = CCENTER_FIELD_TEXT; t <= CCENTER_FIELD_ACCOUNT; t++)
      if (strcmp(ps->w[2], field_types[t]) == 0)
        type = t;
    if (!type)
      return perr(ps, "unknown field type '%.64s' (text, int, money, flag, time, account)",
                  ps->w[2]);
    return built(ps, cc_wf_add_field(ps->wf, ps->w[1], (ccenter_field_type)type, why), why);
  }
  if (strcmp(kw, "state") == 0)
    return parse_state(ps, why);
  return perr(ps, "unknown keyword '%.64s'", kw);
}

/* Splits a line (copied into buf, NUL-terminated) into words, cutting its comment. */
static int split_line(parser *ps, char *buf)
{
  ps->n = 0;
  char *p = buf;
  for (;;) {
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p == '\0' || *p == '#')
      return 0;
    if (ps->n == MAX_WORDS)
      return perr(ps, "more than %d words on a line", MAX_WORDS);
    ps->w[ps->n++] = p;
    while (*p && *p != ' ' && *p != '\t')
      p++;
    if (*p)
      *p++ = '\0';
  }
}

int ccenter_workflow_parse(const ccenter_options *opts, const char *text, size_t len,
                           const char *source, ccenter_workflow **out,
                           ccenter_parse_error *err)
{
  if (!out || (!text && len))
    return CCENTER_EINVAL;
  parser ps;
  memset(&ps, 0, sizeof ps);
  ps.source = source;
  ps.err = err;
  cc_alloc_of(opts, &ps.alloc);
  int rc = 0;
  size_t pos = 0;
  char buf[LINE_MAX_BYTES + 1];
  while (!rc && pos < len) {
    ps.line++;
    size_t end = pos;
    while (end < len && text[end] != '\n')
      end++;
    size_t n = end - pos;
    if (n && text[end - 1] == '\r')
      n--;
    if (n > LINE_MAX_BYTES)
      rc = perr(&ps, "line longer than %d bytes", LINE_MAX_BYTES);
    else if (memchr(text + pos, '\0', n))
      rc = perr(&ps, "NUL byte in the text");
    if (!rc) {
      memcpy(buf, text + pos, n);
      buf[n] = '\0';
      rc = split_line(&ps, buf);
    }
    if (!rc && ps.n)
      rc = parse_line(&ps);
    pos = end + 1;
  }
  if (!rc && !ps.wf) {
    ps.line = 0;
    rc = perr(&ps, "no 'workflow NAME' line");
  }
  if (rc) {
    ccenter_workflow_free(ps.wf);
    return rc;
  }
  *out = ps.wf;
  return 0;
}
