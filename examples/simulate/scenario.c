/*
 * ccenter-sim — scenario files.
 *
 * A scenario is a text file of lines; '#' starts a comment that runs to the end of the
 * line. Each line is a keyword, its positional arguments and key=value settings:
 *
 *   sim       start=07:00 end=19:00 seed=7 threshold=20 interval=15m
 *   queue     cards wrap_up=30 max_wait=10m on_max_wait=overflow:general
 *   agent     1001 queues=cards,vip shift=08:00-17:00 break=12:00-12:30/lunch
 *   group     cards count=12 queues=cards shift=08:00-17:00
 *   arrivals  cards 08:00-12:00 rate=120/h aht=240 patience=180 dist=exp
 *
 * and the routing model (skills, attributes, routing-profile settings, strategies,
 * steps, reserve, sticky agents, ageing, emergencies):
 *
 *   queue     cards strategy=best-skill step='cards >= 5 and language == "zh"':20s
 *   group     senior count=6 queues=cards:10,vip:0:reserve skills=cards:8 attrs=language:zh
 *   arrivals  fraud 08:00-20:00 rate=12 aht=8m emergency=1 steps=fraud-emergency:20s;supervisor:10m
 *
 * and fraud cases (each contact of the queue opens a case; the agent contains it):
 *
 *   cases     fraud golden=30m contain=2m/exp
 *
 * A value may be quoted, '...' (taken as is) or "..." (\" and \\ are escapes), so that it
 * can hold blanks and '#'. docs/simulator.md describes every keyword. The parser reports
 * the first error as "file:line: what was expected" and stops.
 */
#include "sim.h"

#include <ccenter/engine.h>
#include <ccenter/routing.h>
#include <ccenter/workflow.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKENS 64

/* ---------------------------------------------------------------------------------- */
/* Helpers                                                                            */

void *sim_xmalloc(size_t n)
{
  void *p = malloc(n ? n : 1);
  if (!p) {
    fprintf(stderr, "ccenter-sim: out of memory\n");
    exit(EXIT_FAILURE);
  }
  return p;
}

void *sim_xcalloc(size_t n, size_t size)
{
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) {
    fprintf(stderr, "ccenter-sim: out of memory\n");
    exit(EXIT_FAILURE);
  }
  return p;
}

void *sim_xrealloc(void *p, size_t n)
{
  void *q = realloc(p, n ? n : 1);
  if (!q) {
    fprintf(stderr, "ccenter-sim: out of memory\n");
    exit(EXIT_FAILURE);
  }
  return q;
}

char *sim_xstrdup(const char *s)
{
  size_t n = strlen(s) + 1;
  char *p = sim_xmalloc(n);
  memcpy(p, s, n);
  return p;
}

const char *sim_clock_str(int64_t ms, char *buf, size_t n)
{
  int64_t min = ms / 60000;
  int64_t sec = (ms / 1000) % 60;
  if (sec)
    snprintf(buf, n, "%02lld:%02lld:%02lld", (long long)(min / 60), (long long)(min % 60),
             (long long)sec);
  else
    snprintf(buf, n, "%02lld:%02lld", (long long)(min / 60), (long long)(min % 60));
  return buf;
}

/* Appends one element to a growable array (elements are value-initialised to zero). */
static void *grow(void *arr, size_t *n, size_t size)
{
  arr = sim_xrealloc(arr, (*n + 1) * size);
  memset((char *)arr + *n * size, 0, size);
  (*n)++;
  return arr;
}

/* ---------------------------------------------------------------------------------- */
/* Value parsers                                                                      */

static int parse_double(const char *s, const char **end, double *v)
{
  char *e;
  errno = 0;
  double x = strtod(s, &e);
  if (e == s || errno || !isfinite(x))
    return -1;
  *v = x;
  *end = e;
  return 0;
}

int sim_parse_duration_ms(const char *s, int64_t *ms)
{
  const char *e;
  double x;
  if (!s || parse_double(s, &e, &x) || x < 0)
    return -1;
  double scale;
  if (!*e || strcmp(e, "s") == 0)
    scale = 1000.0;
  else if (strcmp(e, "ms") == 0)
    scale = 1.0;
  else if (strcmp(e, "m") == 0 || strcmp(e, "min") == 0)
    scale = 60000.0;
  else if (strcmp(e, "h") == 0)
    scale = 3600000.0;
  else if (strcmp(e, "d") == 0)
    scale = 86400000.0;
  else
    return -1;
  double v = x * scale;
  if (v > 1e15)
    return -1;
  *ms = llround(v);
  return 0;
}

int sim_parse_clock_ms(const char *s, int64_t *ms)
{
  int h = 0, m = 0, sec = 0, n = 0;
  if (!s || !isdigit((unsigned char)s[0]))
    return -1;
  if (sscanf(s, "%4d:%2d:%2d%n", &h, &m, &sec, &n) == 3 && s[n] == '\0') {
    /* HH:MM:SS */
  } else {
    sec = 0;
    n = 0;
    if (sscanf(s, "%4d:%2d%n", &h, &m, &n) != 2 || s[n] != '\0')
      return -1;
  }
  if (h < 0 || m < 0 || m > 59 || sec < 0 || sec > 59)
    return -1;
  *ms = ((int64_t)h * 3600 + m * 60 + sec) * 1000;
  return 0;
}

/* "/h", "/m", "/min", "/s" or nothing (per hour) → divisor to per second. */
static int rate_unit(const char *e, double *per)
{
  if (!*e || strcmp(e, "/h") == 0)
    *per = 3600.0;
  else if (strcmp(e, "/m") == 0 || strcmp(e, "/min") == 0)
    *per = 60.0;
  else if (strcmp(e, "/s") == 0)
    *per = 1.0;
  else
    return -1;
  return 0;
}

int sim_parse_rate(const char *s, double *per_s)
{
  const char *e;
  double x, per;
  if (!s || parse_double(s, &e, &x) || x < 0 || rate_unit(e, &per))
    return -1;
  *per_s = x / per;
  return 0;
}

/* "08:00-17:00" */
static int parse_span(const char *s, int64_t *from, int64_t *to)
{
  const char *dash = strchr(s, '-');
  char a[32];
  if (!dash || (size_t)(dash - s) >= sizeof a)
    return -1;
  memcpy(a, s, (size_t)(dash - s));
  a[dash - s] = '\0';
  if (sim_parse_clock_ms(a, from) || sim_parse_clock_ms(dash + 1, to))
    return -1;
  return *to > *from ? 0 : -1;
}

/* On failure *f is left empty (path and values NULL, n 0), whatever it held before. */
static int load_values_failed(sc_file *f, FILE *fp)
{
  if (fp)
    fclose(fp);
  free(f->path);
  free(f->values);
  f->path = NULL;
  f->values = NULL;
  f->n = 0;
  return -1;
}

int sim_load_values(sc_file *f, const char *path, FILE *err)
{
  f->path = NULL;
  f->values = NULL;
  f->n = 0;
  FILE *fp = fopen(path, "r");
  if (!fp) {
    fprintf(err, "%s: cannot open: %s\n", path, strerror(errno));
    return load_values_failed(f, NULL);
  }
  char line[256];
  int lineno = 0;
  size_t cap = 0;
  f->path = sim_xstrdup(path);
  while (fgets(line, sizeof line, fp)) {
    lineno++;
    char *hash = strchr(line, '#');
    if (hash)
      *hash = '\0';
    char *p = line;
    while (isspace((unsigned char)*p))
      p++;
    if (!*p)
      continue;
    const char *e;
    double v;
    if (parse_double(p, &e, &v) || v < 0) {
      fprintf(err, "%s:%d: expected a duration in seconds (a number >= 0)\n", path, lineno);
      return load_values_failed(f, fp);
    }
    while (isspace((unsigned char)*e))
      e++;
    if (*e) {
      fprintf(err, "%s:%d: expected one number per line, found \"%s\" after it\n", path,
              lineno, e);
      return load_values_failed(f, fp);
    }
    if (f->n == cap) {
      cap = cap ? 2 * cap : 256;
      f->values = sim_xrealloc(f->values, cap * sizeof *f->values);
    }
    f->values[f->n++] = v;
  }
  fclose(fp);
  if (!f->n) {
    fprintf(err, "%s: no values (expected durations in seconds, one per line)\n", path);
    return load_values_failed(f, NULL);
  }
  return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Scenario lifetime                                                                  */

void scenario_init(scenario *sc)
{
  memset(sc, 0, sizeof *sc);
  sc->start_ms = 0;
  sc->end_ms = -1;
  sc->warmup_ms = 0;
  sc->drain_ms = 2 * 3600 * 1000;
  sc->seed = 1;
  sc->threshold_s = 20.0;
  sc->short_abandon_s = 5.0;
  sc->interval_ms = 15 * 60 * 1000;
  sc->ring_delay_ms = 0;
}

static void free_steps(sc_step *steps, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(steps[i].req);
  free(steps);
}

static void free_agent_fields(sc_agent *a)
{
  free(a->name);
  free(a->queues);
  free(a->profile);
  for (size_t k = 0; k < a->n_breaks; k++)
    free(a->breaks[k].reason);
  free(a->breaks);
  free(a->shifts);
  for (size_t k = 0; k < a->n_skills; k++)
    free(a->skills[k].name);
  free(a->skills);
  for (size_t k = 0; k < a->n_attrs; k++) {
    free(a->attrs[k].key);
    free(a->attrs[k].value);
  }
  free(a->attrs);
}

static void free_stream_fields(sc_stream *st)
{
  free(st->seg);
  free_steps(st->steps, st->n_steps);
  for (size_t k = 0; k < st->n_preferred; k++)
    free(st->preferred[k]);
  free(st->preferred);
}

static void free_cases_fields(sc_cases *cs)
{
  free(cs->name);
  free(cs->wf_path);
  ccenter_workflow_free(cs->wf);
  ccenter_calendar_free(cs->cal);
  for (size_t k = 0; k < cs->n_transitions; k++)
    free(cs->transitions[k]);
  free(cs->transitions);
  for (size_t k = 0; k < cs->n_fields; k++) {
    free(cs->fields[k].key);
    free(cs->fields[k].value);
  }
  free(cs->fields);
  free(cs->close);
  free(cs->role);
  for (size_t k = 0; k < cs->n_evidence; k++)
    free(cs->evidence[k]);
  free(cs->evidence);
}

void scenario_free(scenario *sc)
{
  free(sc->path);
  for (size_t i = 0; i < sc->n_queues; i++) {
    free(sc->queues[i].name);
    free(sc->queues[i].overflow);
    free_steps(sc->queues[i].steps, sc->queues[i].n_steps);
  }
  free(sc->queues);
  for (size_t i = 0; i < sc->n_agents; i++)
    free_agent_fields(&sc->agents[i]);
  free(sc->agents);
  free(sc->agent_index);
  for (size_t i = 0; i < sc->n_streams; i++)
    free_stream_fields(&sc->streams[i]);
  free(sc->streams);
  for (size_t i = 0; i < sc->n_reqs; i++)
    free(sc->reqs[i]);
  free(sc->reqs);
  for (size_t i = 0; i < sc->n_files; i++) {
    free(sc->files[i].path);
    free(sc->files[i].values);
  }
  free(sc->files);
  for (size_t i = 0; i < sc->n_cases; i++)
    free_cases_fields(&sc->cases[i]);
  free(sc->cases);
  memset(sc, 0, sizeof *sc);
}

void scenario_queue_init(sc_queue *q, const char *name)
{
  memset(q, 0, sizeof *q);
  q->name = sim_xstrdup(name);
  q->wrap_up_ms = -1;
  q->max_wait_ms = -1;
  q->max_wait_action = CCENTER_MAX_WAIT_TIMEOUT;
  q->ring_timeout_ms = -1;
  q->max_length = -1;
  q->threshold_s = -1;
  q->strategy = -1;
  q->ring_every_ms = -1;
  q->reserve_wait_ms = -1;
  q->reserve_ewt_ms = -1;
  q->reserve_sl_bp = -1;
  q->sticky_ms = -1;
  q->ageing_ms = -1;
  q->preferred_timeout_ms = -1;
}

/* ---------------------------------------------------------------------------------- */
/* The parser                                                                          */

typedef struct parser {
  scenario *sc;
  const char *path;
  int line;
  FILE *err;
  int has_end, has_hours;
  int64_t hours_ms;
} parser;

static int fail(parser *p, const char *fmt, ...)
{
  va_list ap;
  fprintf(p->err, "%s:%d: ", p->path, p->line);
  va_start(ap, fmt);
  vfprintf(p->err, fmt, ap);
  va_end(ap);
  fputc('\n', p->err);
  return -1;
}

/* Splits "key=value" in place. Returns the value, or NULL if there is no '='. */
static char *split_kv(char *tok)
{
  char *eq = strchr(tok, '=');
  if (!eq)
    return NULL;
  *eq = '\0';
  return eq + 1;
}

static int find_queue(const scenario *sc, const char *name, size_t *idx)
{
  for (size_t i = 0; i < sc->n_queues; i++)
    if (strcmp(sc->queues[i].name, name) == 0) {
      *idx = i;
      return 0;
    }
  return -1;
}

static int valid_name(const char *s)
{
  size_t n = strlen(s);
  if (n == 0 || n > 200)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!isgraph((unsigned char)s[i]) || s[i] == ',' || s[i] == '=')
      return 0;
  return 1;
}

static int want_duration(parser *p, const char *key, const char *v, int64_t *ms)
{
  if (sim_parse_duration_ms(v, ms))
    return fail(p, "%s=%s: expected a duration such as 20, 20s, 500ms, 15m or 2h", key, v);
  return 0;
}

static int want_clock(parser *p, const char *key, const char *v, int64_t *ms)
{
  if (sim_parse_clock_ms(v, ms))
    return fail(p, "%s=%s: expected a time of day HH:MM or HH:MM:SS", key, v);
  return 0;
}

static int want_int(parser *p, const char *key, const char *v, long long lo, long long hi,
                    long long *out)
{
  char *e;
  errno = 0;
  long long x = strtoll(v, &e, 10);
  if (e == v || *e || errno || x < lo || x > hi)
    return fail(p, "%s=%s: expected a whole number from %lld to %lld", key, v, lo, hi);
  *out = x;
  return 0;
}

/* ---------------------------------------------------------------------------------- */
/* The routing model: requirements, steps, strategies, skills, attributes, profiles     */

#define MAX_STEPS 8       /* the engine's limit per queue and per contact */
#define MAX_SKILLS 64     /* the engine's limits per agent */
#define MAX_ATTRS 32

/* The index of a requirement text in sc->reqs, adding it if new. */
static int add_req(scenario *sc, const char *text)
{
  for (size_t i = 0; i < sc->n_reqs; i++)
    if (strcmp(sc->reqs[i], text) == 0)
      return (int)i;
  sc->reqs = grow(sc->reqs, &sc->n_reqs, sizeof *sc->reqs);
  sc->reqs[sc->n_reqs - 1] = sim_xstrdup(text);
  return (int)sc->n_reqs - 1;
}

/* Checks a requirement with the library's own parser; on error cites the offset and
 * shows where, under the text. */
static int check_req(parser *p, const char *what, size_t step, const char *text)
{
  ccenter_req *req = NULL;
  size_t at = 0;
  char msg[160];
  int rc = ccenter_req_parse(text, &req, &at, msg, sizeof msg);
  if (rc == 0) {
    ccenter_req_free(req);
    return 0;
  }
  if (rc != CCENTER_ESYNTAX && rc != CCENTER_ERANGE)
    snprintf(msg, sizeof msg, "%s", ccenter_strerror(rc));
  fail(p, "%s: step %zu: bad requirement \"%s\" at offset %zu: %s", what, step, text, at, msg);
  /* The text again with a caret under the offending byte (single-line texts only). */
  if (!strchr(text, '\n'))
    fprintf(p->err, "    %s\n    %*s^\n", text, (int)at, "");
  return -1;
}

/* The position of the last ':' of s outside the requirement's "strings", or NULL. Also
 * finds (if sep) the first `sep` outside strings. */
static char *scan_outside_strings(char *s, char sep, char **first_sep)
{
  char *last_colon = NULL;
  int in_str = 0;
  if (first_sep)
    *first_sep = NULL;
  for (char *c = s; *c; c++) {
    if (in_str) {
      if (*c == '\\' && c[1])
        c++;
      else if (*c == '"')
        in_str = 0;
    } else if (*c == '"') {
      in_str = 1;
    } else if (*c == ':') {
      last_colon = c;
    } else if (sep && *c == sep && first_sep && !*first_sep) {
      *first_sep = c;
    }
  }
  return last_colon;
}

/* step=REQUIREMENT:DURATION (one), or steps=REQ:DURATION;REQ:DURATION... (a list);
 * appends to *steps. */
static int parse_steps(parser *p, const char *what, const char *key, char *v, int list,
                       sc_step **steps, size_t *n)
{
  char *piece = v;
  for (;;) {
    char *semi = NULL;
    if (list)
      scan_outside_strings(piece, ';', &semi);
    if (semi)
      *semi = '\0';
    char *colon = scan_outside_strings(piece, 0, NULL);
    if (!colon)
      return fail(p, "%s: %s=%s: expected REQUIREMENT:DURATION, e.g. %s='cards >= 5':20s", what,
                  key, piece, key);
    *colon = '\0';
    int64_t ms;
    if (sim_parse_duration_ms(colon + 1, &ms) || ms < 1 || ms > 86400000)
      return fail(p, "%s: %s duration \"%s\": expected a duration from 1ms to 1d", what, key,
                  colon + 1);
    if (*n >= MAX_STEPS)
      return fail(p, "%s: more than %d routing steps", what, MAX_STEPS);
    if (check_req(p, what, *n + 1, piece))
      return -1;
    *steps = grow(*steps, n, sizeof **steps);
    (*steps)[*n - 1] = (sc_step){sim_xstrdup(piece), ms, add_req(p->sc, piece)};
    if (!semi)
      return 0;
    piece = semi + 1;
  }
}

static const char *const strategy_names[] = {
  [CCENTER_STRATEGY_LONGEST_IDLE] = "longest-idle",
  [CCENTER_STRATEGY_LEAST_OCCUPIED] = "least-occupied",
  [CCENTER_STRATEGY_FEWEST_CONTACTS] = "fewest-contacts",
  [CCENTER_STRATEGY_LEAST_TALK_TIME] = "least-talk-time",
  [CCENTER_STRATEGY_ROUND_ROBIN] = "round-robin",
  [CCENTER_STRATEGY_LINEAR] = "linear",
  [CCENTER_STRATEGY_RANDOM] = "random",
  [CCENTER_STRATEGY_WEIGHTED_RANDOM] = "weighted-random",
  [CCENTER_STRATEGY_BEST_SKILL] = "best-skill",
  [CCENTER_STRATEGY_RING_ALL] = "ring-all",
  [CCENTER_STRATEGY_RING_PROGRESSIVE] = "ring-progressive",
};

const char *sim_strategy_name(int strategy)
{
  if (strategy < 0 || (size_t)strategy >= sizeof strategy_names / sizeof *strategy_names)
    return "longest-idle";
  return strategy_names[strategy];
}

/* "best-skill" or "best_skill" (any case). */
static int parse_strategy(const char *v)
{
  for (size_t i = 0; i < sizeof strategy_names / sizeof *strategy_names; i++) {
    const char *a = strategy_names[i], *b = v;
    while (*a && *b && (tolower((unsigned char)*b) == *a || (*b == '_' && *a == '-'))) {
      a++;
      b++;
    }
    if (!*a && !*b)
      return (int)i;
  }
  return -1;
}

/* A name the requirement language accepts as a skill name or attribute key. */
static int check_name(parser *p, const char *what, const char *kind, const char *name,
                      const char *value)
{
  ccenter_req *req;
  if (ccenter_req_new(&req))
    return fail(p, "out of memory");
  int rc = value ? ccenter_req_attr_eq(req, name, value) : ccenter_req_skill(req, name, 1);
  ccenter_req_free(req);
  if (rc == 0)
    return 0;
  if (value && rc == CCENTER_ERANGE)
    return fail(p, "%s: %s \"%s:%s\": name longer than %d bytes or value longer than %d", what,
                kind, name, value, CCENTER_REQ_MAX_NAME, CCENTER_REQ_MAX_VALUE);
  if (value)
    return fail(p, "%s: %s \"%s:%s\": expected KEY:VALUE with a key that starts with a letter "
                   "(letters, digits, _ - .), not and/not/in, and a value without control "
                   "characters",
                what, kind, name, value);
  return fail(p, "%s: %s \"%s\": expected a name that starts with a letter (letters, digits, "
                 "_ - ., at most %d bytes), not and/not/in",
              what, kind, name, CCENTER_REQ_MAX_NAME);
}

/* skills=cards:7,vip:9 */
static int parse_skills(parser *p, sc_agent *a, const char *what, char *v)
{
  char *save = NULL;
  for (char *it = strtok_r(v, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
    char *colon = strchr(it, ':');
    long long lvl = 0;
    if (!colon)
      return fail(p, "%s: skills: \"%s\": expected NAME:LEVEL with a level 1..10", what, it);
    *colon = '\0';
    if (check_name(p, what, "skill", it, NULL))
      return -1;
    char *e;
    errno = 0;
    lvl = strtoll(colon + 1, &e, 10);
    if (e == colon + 1 || *e || errno || lvl < 1 || lvl > 10)
      return fail(p, "%s: skill %s:%s: expected a level 1..10", what, it, colon + 1);
    for (size_t k = 0; k < a->n_skills; k++)
      if (strcmp(a->skills[k].name, it) == 0)
        return fail(p, "%s: skill \"%s\" given twice", what, it);
    if (a->n_skills >= MAX_SKILLS)
      return fail(p, "%s: more than %d skills", what, MAX_SKILLS);
    a->skills = grow(a->skills, &a->n_skills, sizeof *a->skills);
    a->skills[a->n_skills - 1] = (sc_skill){sim_xstrdup(it), (int)lvl};
  }
  return 0;
}

/* attrs=language:en,site:lisbon */
static int parse_attrs(parser *p, sc_agent *a, const char *what, char *v)
{
  char *save = NULL;
  for (char *it = strtok_r(v, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
    char *colon = strchr(it, ':');
    if (!colon || !colon[1])
      return fail(p, "%s: attrs: \"%s\": expected KEY:VALUE", what, it);
    *colon = '\0';
    if (check_name(p, what, "attribute", it, colon + 1))
      return -1;
    for (size_t k = 0; k < a->n_attrs; k++)
      if (strcmp(a->attrs[k].key, it) == 0)
        return fail(p, "%s: attribute \"%s\" given twice", what, it);
    if (a->n_attrs >= MAX_ATTRS)
      return fail(p, "%s: more than %d attributes", what, MAX_ATTRS);
    a->attrs = grow(a->attrs, &a->n_attrs, sizeof *a->attrs);
    a->attrs[a->n_attrs - 1] = (sc_attr){sim_xstrdup(it), sim_xstrdup(colon + 1)};
  }
  return 0;
}

/* queues=cards:10,english:5:delay=30,vip:0:reserve — NAME[:PRIORITY][:delay=D][:reserve] */
static int parse_queue_list(parser *p, sc_agent *a, const char *what, char *v)
{
  scenario *sc = p->sc;
  char *save = NULL;
  for (char *it = strtok_r(v, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
    char *rest = strchr(it, ':');
    if (rest)
      *rest++ = '\0';
    size_t idx;
    if (find_queue(sc, it, &idx))
      return fail(p, "%s: unknown queue \"%s\" (define it with a \"queue\" line first)", what,
                  it);
    for (size_t j = 0; j < a->n_queues; j++)
      if (a->queues[j] == idx)
        return fail(p, "%s: queue \"%s\" listed twice", what, it);
    sc_profile prof = {0, 0, 0};
    int have_prio = 0;
    while (rest) {
      char *opt = rest;
      rest = strchr(rest, ':');
      if (rest)
        *rest++ = '\0';
      char *e;
      if (strcmp(opt, "reserve") == 0) {
        prof.reserve = 1;
      } else if (strncmp(opt, "delay=", 6) == 0) {
        if (sim_parse_duration_ms(opt + 6, &prof.delay_ms) || prof.delay_ms > 86400000)
          return fail(p, "%s: queue %s: delay=%s: expected a duration from 0 to 1d", what, it,
                      opt + 6);
      } else {
        errno = 0;
        long long x = strtoll(opt, &e, 10);
        if (have_prio || e == opt || *e || errno || x < -1000 || x > 1000)
          return fail(p, "%s: queue %s: \"%s\": expected QUEUE[:PRIORITY][:delay=DURATION]"
                         "[:reserve] with a priority from -1000 to 1000",
                      what, it, opt);
        prof.priority = (int)x;
        have_prio = 1;
      }
    }
    a->queues = grow(a->queues, &a->n_queues, sizeof *a->queues);
    a->queues[a->n_queues - 1] = idx;
    size_t np = a->n_queues - 1;
    a->profile = grow(a->profile, &np, sizeof *a->profile);
    a->profile[np - 1] = prof;
  }
  return 0;
}

/* A queue option given as a duration with an upper bound (the engine's). */
static int want_duration_max(parser *p, const char *key, const char *v, int64_t max_ms,
                             int64_t *ms)
{
  if (sim_parse_duration_ms(v, ms) || *ms > max_ms)
    return fail(p, "%s=%s: expected a duration from 0 to %s", key, v,
                max_ms == 86400000 ? "1d" : "365d");
  return 0;
}

static int parse_sim(parser *p, char **tok, int n)
{
  scenario *sc = p->sc;
  for (int i = 1; i < n; i++) {
    char *k = tok[i], *v = split_kv(tok[i]);
    long long x = 0;
    if (!v)
      return fail(p, "sim: expected key=value, found \"%s\"", k);
    if (strcmp(k, "start") == 0) {
      if (want_clock(p, k, v, &sc->start_ms))
        return -1;
    } else if (strcmp(k, "end") == 0) {
      if (want_clock(p, k, v, &sc->end_ms))
        return -1;
      p->has_end = 1;
    } else if (strcmp(k, "hours") == 0) {
      const char *e;
      double h;
      if (parse_double(v, &e, &h) || *e || !(h > 0) || h > 1e6)
        return fail(p, "hours=%s: expected a number of hours > 0", v);
      p->hours_ms = llround(h * 3600000.0);
      p->has_hours = 1;
    } else if (strcmp(k, "seed") == 0) {
      char *e;
      errno = 0;
      unsigned long long s = strtoull(v, &e, 10);
      if (e == v || *e || errno || v[0] == '-')
        return fail(p, "seed=%s: expected a whole number >= 0", v);
      sc->seed = s;
    } else if (strcmp(k, "threshold") == 0) {
      int64_t ms;
      if (want_duration(p, k, v, &ms))
        return -1;
      sc->threshold_s = (double)ms / SIM_MS_PER_S;
    } else if (strcmp(k, "short_abandon") == 0) {
      int64_t ms;
      if (want_duration(p, k, v, &ms))
        return -1;
      sc->short_abandon_s = (double)ms / SIM_MS_PER_S;
    } else if (strcmp(k, "interval") == 0) {
      if (want_duration(p, k, v, &sc->interval_ms))
        return -1;
      if (sc->interval_ms < 1000)
        return fail(p, "interval=%s: expected at least 1s", v);
    } else if (strcmp(k, "warmup") == 0) {
      if (want_duration(p, k, v, &sc->warmup_ms))
        return -1;
    } else if (strcmp(k, "drain") == 0) {
      if (want_duration(p, k, v, &sc->drain_ms))
        return -1;
    } else if (strcmp(k, "ring_delay") == 0) {
      if (want_duration(p, k, v, &sc->ring_delay_ms))
        return -1;
    } else if (strcmp(k, "batches") == 0) {
      if (want_int(p, k, v, 0, 10000, &x))
        return -1;
      sc->batches = (unsigned)x;
    } else {
      return fail(p, "sim: unknown setting \"%s\" (expected start, end, hours, seed, "
                     "threshold, short_abandon, interval, warmup, drain, ring_delay, batches)",
                  k);
    }
  }
  if (p->has_end && p->has_hours)
    return fail(p, "sim: give end= or hours=, not both");
  return 0;
}

static int parse_queue(parser *p, char **tok, int n)
{
  scenario *sc = p->sc;
  size_t dup;
  if (n < 2 || strchr(tok[1], '='))
    return fail(p, "queue: expected a queue name after \"queue\"");
  if (!valid_name(tok[1]) || strchr(tok[1], ':'))
    return fail(p, "queue \"%s\": expected a name without spaces, ',', ':' or '='", tok[1]);
  if (find_queue(sc, tok[1], &dup) == 0)
    return fail(p, "queue \"%s\" is already defined on line %d", tok[1], sc->queues[dup].line);
  sc->queues = grow(sc->queues, &sc->n_queues, sizeof *sc->queues);
  sc_queue *q = &sc->queues[sc->n_queues - 1];
  scenario_queue_init(q, tok[1]);
  q->line = p->line;
  char what[300];
  snprintf(what, sizeof what, "queue %s", q->name);
  for (int i = 2; i < n; i++) {
    char *k = tok[i], *v = split_kv(tok[i]);
    long long x = 0;
    if (!v)
      return fail(p, "queue %s: expected key=value, found \"%s\"", q->name, k);
    if (strcmp(k, "wrap_up") == 0) {
      if (want_duration(p, k, v, &q->wrap_up_ms))
        return -1;
    } else if (strcmp(k, "max_wait") == 0) {
      if (want_duration(p, k, v, &q->max_wait_ms))
        return -1;
    } else if (strcmp(k, "on_max_wait") == 0) {
      if (strcmp(v, "timeout") == 0) {
        q->max_wait_action = CCENTER_MAX_WAIT_TIMEOUT;
      } else if (strncmp(v, "overflow:", 9) == 0 && v[9]) {
        q->max_wait_action = CCENTER_MAX_WAIT_OVERFLOW;
        free(q->overflow);
        q->overflow = sim_xstrdup(v + 9);
      } else {
        return fail(p, "on_max_wait=%s: expected timeout or overflow:QUEUE", v);
      }
    } else if (strcmp(k, "ring_timeout") == 0) {
      if (want_duration(p, k, v, &q->ring_timeout_ms))
        return -1;
    } else if (strcmp(k, "max_length") == 0) {
      if (want_int(p, k, v, 0, 100000000, &x))
        return -1;
      q->max_length = x;
    } else if (strcmp(k, "threshold") == 0) {
      int64_t ms;
      if (want_duration(p, k, v, &ms))
        return -1;
      q->threshold_s = (double)ms / SIM_MS_PER_S;
    } else if (strcmp(k, "priority") == 0) {
      if (want_int(p, k, v, -1000000, 1000000, &x))
        return -1;
      q->priority = (int)x;
      q->has_priority = 1;
    } else if (strcmp(k, "strategy") == 0) {
      q->strategy = parse_strategy(v);
      if (q->strategy < 0)
        return fail(p, "strategy=%s: expected longest-idle, least-occupied, fewest-contacts, "
                       "least-talk-time, round-robin, linear, random, weighted-random, "
                       "best-skill, ring-all or ring-progressive",
                    v);
    } else if (strcmp(k, "ring_every") == 0) {
      if (want_duration_max(p, k, v, 86400000, &q->ring_every_ms))
        return -1;
      if (q->ring_every_ms < 100)
        return fail(p, "ring_every=%s: expected a duration of at least 100ms (the engine's minimum)", v);
    } else if (strcmp(k, "step") == 0 || strcmp(k, "steps") == 0) {
      if (parse_steps(p, what, k, v, k[4] == 's', &q->steps, &q->n_steps))
        return -1;
    } else if (strcmp(k, "reserve_wait") == 0) {
      if (want_duration_max(p, k, v, 86400000, &q->reserve_wait_ms))
        return -1;
    } else if (strcmp(k, "reserve_ewt") == 0) {
      if (want_duration_max(p, k, v, 86400000, &q->reserve_ewt_ms))
        return -1;
    } else if (strcmp(k, "reserve_sl") == 0) {
      long long pct;
      if (want_int(p, k, v, 1, 100, &pct))
        return -1;
      q->reserve_sl_bp = pct * 100;
    } else if (strcmp(k, "sticky") == 0) {
      if (want_duration_max(p, k, v, 365 * INT64_C(86400000), &q->sticky_ms))
        return -1;
    } else if (strcmp(k, "ageing") == 0 || strcmp(k, "aging") == 0) {
      if (want_duration_max(p, k, v, 86400000, &q->ageing_ms))
        return -1;
    } else if (strcmp(k, "preferred_timeout") == 0) {
      if (want_duration_max(p, k, v, 86400000, &q->preferred_timeout_ms))
        return -1;
    } else {
      return fail(p, "queue %s: unknown setting \"%s\" (expected wrap_up, max_wait, "
                     "on_max_wait, ring_timeout, max_length, threshold, priority, strategy, "
                     "ring_every, step, steps, reserve_wait, reserve_ewt, reserve_sl, sticky, "
                     "ageing, preferred_timeout)",
                  q->name, k);
    }
  }
  if (q->max_wait_action == CCENTER_MAX_WAIT_OVERFLOW && q->max_wait_ms <= 0)
    return fail(p, "queue %s: on_max_wait=overflow needs max_wait=DURATION > 0", q->name);
  return 0;
}

/* Settings shared by "agent" and "group"; fills a template agent. */
static int parse_agent_settings(parser *p, sc_agent *a, const char *what, char **tok, int from,
                                int n, long long *count, int64_t *stagger_ms, long long *stagger_n)
{
  for (int i = from; i < n; i++) {
    char *k = tok[i], *v = split_kv(tok[i]);
    if (!v)
      return fail(p, "%s: expected key=value, found \"%s\"", what, k);
    if (strcmp(k, "queues") == 0) {
      if (parse_queue_list(p, a, what, v))
        return -1;
    } else if (strcmp(k, "skills") == 0) {
      if (parse_skills(p, a, what, v))
        return -1;
    } else if (strcmp(k, "attrs") == 0) {
      if (parse_attrs(p, a, what, v))
        return -1;
    } else if (strcmp(k, "shift") == 0) {
      int64_t f, t;
      if (parse_span(v, &f, &t))
        return fail(p, "shift=%s: expected HH:MM-HH:MM with the end after the start", v);
      a->shifts = grow(a->shifts, &a->n_shifts, sizeof *a->shifts);
      a->shifts[a->n_shifts - 1] = (sc_span){f, t, NULL};
    } else if (strcmp(k, "break") == 0) {
      int64_t f, t;
      char *slash = strchr(v, '/');
      const char *reason = "break";
      if (slash) {
        *slash = '\0';
        reason = slash + 1;
        if (!valid_name(reason))
          return fail(p, "break=%s/%s: expected a reason without spaces after '/'", v, reason);
      }
      if (parse_span(v, &f, &t))
        return fail(p, "break=%s: expected HH:MM-HH:MM[/reason] with the end after the start",
                    v);
      a->breaks = grow(a->breaks, &a->n_breaks, sizeof *a->breaks);
      a->breaks[a->n_breaks - 1] = (sc_span){f, t, sim_xstrdup(reason)};
    } else if (strcmp(k, "ring_delay") == 0) {
      if (want_duration(p, k, v, &a->ring_delay_ms))
        return -1;
    } else if (strcmp(k, "wrap_up") == 0) {
      if (want_duration(p, k, v, &a->wrap_up_ms))
        return -1;
    } else if (count && strcmp(k, "count") == 0) {
      if (want_int(p, k, v, 1, 100000, count))
        return -1;
    } else if (count && strcmp(k, "stagger") == 0) {
      char *slash = strchr(v, '/');
      *stagger_n = 0;
      if (slash) {
        *slash = '\0';
        if (want_int(p, "stagger", slash + 1, 1, 100000, stagger_n))
          return -1;
      }
      if (want_duration(p, k, v, stagger_ms))
        return -1;
    } else {
      return fail(p, "%s: unknown setting \"%s\" (expected %squeues, skills, attrs, shift, "
                     "break, ring_delay, wrap_up)",
                  what, k, count ? "count, stagger, " : "");
    }
  }
  if (!a->n_queues)
    return fail(p, "%s: expected queues=NAME[,NAME...]", what);
  return 0;
}

/* Shifts must not overlap; breaks must lie inside a shift and not overlap each other. */
static int validate_agent(parser *p, const sc_agent *a, const char *what)
{
  for (size_t i = 0; i < a->n_shifts; i++)
    for (size_t j = i + 1; j < a->n_shifts; j++)
      if (a->shifts[i].from < a->shifts[j].to && a->shifts[j].from < a->shifts[i].to)
        return fail(p, "%s: shifts overlap", what);
  for (size_t b = 0; b < a->n_breaks; b++) {
    int inside = a->n_shifts == 0;
    for (size_t s = 0; s < a->n_shifts; s++)
      if (a->breaks[b].from >= a->shifts[s].from && a->breaks[b].to <= a->shifts[s].to)
        inside = 1;
    char f[32], t[32];
    sim_clock_str(a->breaks[b].from, f, sizeof f);
    sim_clock_str(a->breaks[b].to, t, sizeof t);
    if (!inside)
      return fail(p, "%s: break %s-%s is not inside one of the agent's shifts", what, f, t);
    for (size_t c = b + 1; c < a->n_breaks; c++)
      if (a->breaks[b].from < a->breaks[c].to && a->breaks[c].from < a->breaks[b].to)
        return fail(p, "%s: break %s-%s overlaps another break", what, f, t);
  }
  return 0;
}

/* The agents' name index (sc->agent_index, see sim.h). A group line defines up to 100,000
 * agents, each checked against every agent defined before it: a scan of the array made
 * that quadratic (minutes for one "group a count=100000" line). */
static size_t name_hash(const char *s)
{
  uint64_t h = 14695981039346656037u; /* FNV-1a */
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211u;
  return (size_t)(h ^ (h >> 32));
}

static void index_put(size_t *slots, size_t cap, const sc_agent *agents, size_t i)
{
  size_t k = name_hash(agents[i].name) & (cap - 1);
  while (slots[k])
    k = (k + 1) & (cap - 1);
  slots[k] = i + 1;
}

/* Adds sc->agents[i] (the agent just pushed) to the index, doubling it when half full. */
static void index_agent(scenario *sc, size_t i)
{
  if ((sc->agent_index_n + 1) * 2 > sc->agent_index_cap) {
    size_t cap = sc->agent_index_cap ? sc->agent_index_cap * 2 : 64;
    size_t *slots = sim_xcalloc(cap, sizeof *slots);
    for (size_t k = 0; k < sc->agent_index_cap; k++)
      if (sc->agent_index[k])
        index_put(slots, cap, sc->agents, sc->agent_index[k] - 1);
    free(sc->agent_index);
    sc->agent_index = slots;
    sc->agent_index_cap = cap;
  }
  index_put(sc->agent_index, sc->agent_index_cap, sc->agents, i);
  sc->agent_index_n++;
}

/* The agent called `name`, or NULL if there is none. */
static const sc_agent *find_agent(const scenario *sc, const char *name)
{
  if (sc->agent_index_n != sc->n_agents) { /* agents not added by push_agent: scan */
    for (size_t i = 0; i < sc->n_agents; i++)
      if (strcmp(sc->agents[i].name, name) == 0)
        return &sc->agents[i];
    return NULL;
  }
  if (!sc->agent_index_cap)
    return NULL;
  size_t mask = sc->agent_index_cap - 1;
  for (size_t k = name_hash(name) & mask; sc->agent_index[k]; k = (k + 1) & mask) {
    const sc_agent *a = &sc->agents[sc->agent_index[k] - 1];
    if (strcmp(a->name, name) == 0)
      return a;
  }
  return NULL;
}

/* The line that defined agent `name`, or 0 if there is none. */
static int agent_exists(const scenario *sc, const char *name)
{
  const sc_agent *a = find_agent(sc, name);
  return a ? a->line : 0;
}

static sc_agent *push_agent(scenario *sc, const sc_agent *tpl, const char *name, int64_t shift_ms)
{
  /* Doubling, not grow()'s one more: ASan's realloc always moves the block, so one realloc
   * per agent copied the whole array each time, quadratic again for a large group. */
  if (sc->n_agents >= sc->agents_cap) {
    size_t cap = sc->n_agents >= 8 ? sc->n_agents * 2 : 16;
    sc->agents = sim_xrealloc(sc->agents, cap * sizeof *sc->agents);
    sc->agents_cap = cap;
  }
  sc_agent *a = &sc->agents[sc->n_agents++];
  *a = *tpl;
  a->name = sim_xstrdup(name);
  index_agent(sc, sc->n_agents - 1);
  a->queues = sim_xmalloc(tpl->n_queues * sizeof *a->queues);
  a->profile = sim_xmalloc(tpl->n_queues * sizeof *a->profile);
  if (tpl->n_queues) {
    memcpy(a->queues, tpl->queues, tpl->n_queues * sizeof *a->queues);
    memcpy(a->profile, tpl->profile, tpl->n_queues * sizeof *a->profile);
  }
  a->skills = sim_xmalloc(tpl->n_skills * sizeof *a->skills);
  for (size_t k = 0; k < tpl->n_skills; k++)
    a->skills[k] = (sc_skill){sim_xstrdup(tpl->skills[k].name), tpl->skills[k].level};
  a->attrs = sim_xmalloc(tpl->n_attrs * sizeof *a->attrs);
  for (size_t k = 0; k < tpl->n_attrs; k++)
    a->attrs[k] = (sc_attr){sim_xstrdup(tpl->attrs[k].key), sim_xstrdup(tpl->attrs[k].value)};
  a->shifts = sim_xmalloc(tpl->n_shifts * sizeof *a->shifts);
  if (tpl->n_shifts) /* tpl->shifts is NULL without shifts */
    memcpy(a->shifts, tpl->shifts, tpl->n_shifts * sizeof *a->shifts);
  a->breaks = sim_xmalloc(tpl->n_breaks * sizeof *a->breaks);
  for (size_t k = 0; k < tpl->n_breaks; k++) {
    a->breaks[k] = tpl->breaks[k];
    a->breaks[k].from += shift_ms;
    a->breaks[k].to += shift_ms;
    a->breaks[k].reason = sim_xstrdup(tpl->breaks[k].reason);
  }
  return a;
}

static int parse_agent(parser *p, char **tok, int n, int group)
{
  scenario *sc = p->sc;
  const char *kw = group ? "group" : "agent";
  if (n < 2 || strchr(tok[1], '='))
    return fail(p, "%s: expected %s after \"%s\"", kw, group ? "a group name" : "an agent id",
                kw);
  if (!valid_name(tok[1]) || strlen(tok[1]) > (group ? 200 : CCENTER_MAX_ID))
    return fail(p, "%s \"%s\": expected a name without spaces, ',' or '='", kw, tok[1]);
  char what[300];
  snprintf(what, sizeof what, "%s %s", kw, tok[1]);
  sc_agent tpl;
  memset(&tpl, 0, sizeof tpl);
  tpl.line = p->line;
  tpl.ring_delay_ms = -1;
  tpl.wrap_up_ms = -1;
  long long count = 0, stagger_n = 0;
  int64_t stagger_ms = 0;
  int rc = parse_agent_settings(p, &tpl, what, tok, 2, n, group ? &count : NULL, &stagger_ms,
                                &stagger_n);
  if (rc == 0 && group && sc->count_group && strcmp(tok[1], sc->count_group) == 0) {
    count = sc->count_value;
    sc->count_group_seen = 1;
  }
  if (rc == 0 && group && count == 0)
    rc = fail(p, "%s: expected count=N", what);
  if (rc == 0) {
    if (!group) {
      int l = agent_exists(sc, tok[1]);
      if (l)
        rc = fail(p, "agent \"%s\" is already defined on line %d", tok[1], l);
      else
        rc = validate_agent(p, push_agent(sc, &tpl, tok[1], 0), what);
    } else {
      int width = count >= 100000 ? 6 : count >= 10000 ? 5 : count >= 1000 ? 4
                : count >= 100 ? 3 : 2;
      for (long long i = 1; i <= count && rc == 0; i++) {
        char name[300];
        snprintf(name, sizeof name, "%s-%0*lld", tok[1], width, i);
        int l = agent_exists(sc, name);
        long long slot = stagger_n > 0 ? (i - 1) % stagger_n : i - 1;
        if (l) {
          rc = fail(p, "group %s: agent \"%s\" is already defined on line %d", tok[1], name, l);
        } else {
          char w2[700];
          snprintf(w2, sizeof w2, "%s (agent %s, breaks moved by stagger)", what, name);
          rc = validate_agent(p, push_agent(sc, &tpl, name, stagger_ms * slot),
                              stagger_ms && slot ? w2 : what);
        }
      }
    }
  }
  tpl.name = NULL;
  free_agent_fields(&tpl);
  return rc;
}

/* Relative paths in a scenario are relative to the scenario file's directory. */
static int scenario_relative(parser *p, const char *key, const char *file, char *full,
                             size_t size)
{
  const char *slash = strrchr(p->path, '/');
  int len;
  if (file[0] != '/' && slash)
    len = snprintf(full, size, "%.*s/%s", (int)(slash - p->path), p->path, file);
  else
    len = snprintf(full, size, "%s", file);
  if (len < 0 || (size_t)len >= size)
    return fail(p, "%s%s: path too long", key, file);
  return 0;
}

static int load_file(parser *p, const char *file, sim_dist *d)
{
  scenario *sc = p->sc;
  char full[4096];
  if (scenario_relative(p, "dist=empirical:", file, full, sizeof full))
    return -1;
  sc_file *f = NULL;
  for (size_t i = 0; i < sc->n_files; i++)
    if (strcmp(sc->files[i].path, full) == 0)
      f = &sc->files[i];
  if (!f) {
    sc_file nf;
    if (sim_load_values(&nf, full, p->err))
      return fail(p, "dist=empirical:%s: the file could not be used", file);
    sc->files = grow(sc->files, &sc->n_files, sizeof *sc->files);
    sc->files[sc->n_files - 1] = nf;
    f = &sc->files[sc->n_files - 1];
  }
  double sum = 0;
  for (size_t i = 0; i < f->n; i++)
    sum += f->values[i];
  d->kind = SIM_DIST_EMPIRICAL;
  d->values = f->values;
  d->n_values = f->n;
  d->mean = sum / (double)f->n;
  return 0;
}

static int arrivals_body(parser *p, char **tok, int n, sc_stream *sp)
{
  scenario *sc = p->sc;
  size_t qi;
  if (n < 3 || strchr(tok[1], '=') || strchr(tok[2], '='))
    return fail(p, "arrivals: expected \"arrivals QUEUE HH:MM-HH:MM rate=R aht=DURATION ...\"");
  if (find_queue(sc, tok[1], &qi))
    return fail(p, "arrivals: unknown queue \"%s\" (define it with a \"queue\" line first)",
                tok[1]);
  int64_t from, to;
  if (parse_span(tok[2], &from, &to))
    return fail(p, "arrivals %s: expected the window HH:MM-HH:MM (end after start), found \"%s\"",
                tok[1], tok[2]);
  char what[300];
  snprintf(what, sizeof what, "arrivals %s", tok[1]);
  sp->queue = qi;
  sp->line = p->line;
  sp->priority = sc->queues[qi].priority;
  const char *rate = NULL, *rates = NULL, *dist = "exp";
  int64_t aht_ms = -1, sd_ms = -1, patience_ms = -1, step_ms = -1;
  int patience_fixed = 0;
  for (int i = 3; i < n; i++) {
    char *k = tok[i], *v = split_kv(tok[i]);
    long long x = 0;
    if (!v)
      return fail(p, "arrivals %s: expected key=value, found \"%s\"", tok[1], k);
    if (strcmp(k, "rate") == 0) {
      rate = v;
    } else if (strcmp(k, "rates") == 0) {
      rates = v;
    } else if (strcmp(k, "step") == 0) {
      if (want_duration(p, k, v, &step_ms))
        return -1;
      if (step_ms < 1000)
        return fail(p, "step=%s: expected at least 1s", v);
    } else if (strcmp(k, "aht") == 0) {
      if (want_duration(p, k, v, &aht_ms))
        return -1;
      if (aht_ms <= 0)
        return fail(p, "aht=%s: expected a duration > 0", v);
    } else if (strcmp(k, "sd") == 0) {
      if (want_duration(p, k, v, &sd_ms))
        return -1;
    } else if (strcmp(k, "dist") == 0) {
      dist = v;
    } else if (strcmp(k, "patience") == 0) {
      if (strcmp(v, "none") == 0) {
        patience_ms = -1;
      } else {
        if (want_duration(p, k, v, &patience_ms))
          return -1;
        if (patience_ms <= 0)
          return fail(p, "patience=%s: expected a duration > 0 or none", v);
      }
    } else if (strcmp(k, "patience_dist") == 0) {
      if (strcmp(v, "exp") == 0)
        patience_fixed = 0;
      else if (strcmp(v, "fixed") == 0)
        patience_fixed = 1;
      else
        return fail(p, "patience_dist=%s: expected exp or fixed", v);
    } else if (strcmp(k, "priority") == 0) {
      if (want_int(p, k, v, -1000000, 1000000, &x))
        return -1;
      sp->priority = (int)x;
    } else if (strcmp(k, "emergency") == 0) {
      if (want_int(p, k, v, 0, 1, &x))
        return -1;
      sp->emergency = (int)x;
    } else if (strcmp(k, "steps") == 0) {
      /* (step= is the length of a rate step here; routing steps are steps=, a list) */
      if (parse_steps(p, what, k, v, 1, &sp->steps, &sp->n_steps))
        return -1;
    } else if (strcmp(k, "customers") == 0) {
      if (want_int(p, k, v, 1, 1000000000, &x))
        return -1;
      sp->customers = (uint64_t)x;
    } else if (strcmp(k, "preferred") == 0) {
      char *save = NULL;
      for (char *a = strtok_r(v, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
        if (sp->n_preferred >= 8)
          return fail(p, "%s: more than 8 preferred agents", what);
        sp->preferred = grow(sp->preferred, &sp->n_preferred, sizeof *sp->preferred);
        sp->preferred[sp->n_preferred - 1] = sim_xstrdup(a);
      }
    } else if (strcmp(k, "preferred_timeout") == 0) {
      if (want_duration_max(p, k, v, 86400000, &sp->preferred_timeout_ms))
        return -1;
    } else {
      return fail(p, "arrivals %s: unknown setting \"%s\" (expected rate, rates, step, aht, "
                     "dist, sd, patience, patience_dist, priority, emergency, steps, customers, "
                     "preferred, preferred_timeout)",
                  tok[1], k);
    }
  }
  /* Ratesp-> */
  if (!!rate == !!rates)
    return fail(p, "arrivals %s: expected rate=R (per hour; R/h, R/m, R/s) or "
                   "rates=R1,R2,...[/unit] with step=DURATION",
                tok[1]);
  if (rate) {
    double r;
    if (sim_parse_rate(rate, &r))
      return fail(p, "rate=%s: expected a rate such as 120, 120/h, 2/m or 0.5/s", rate);
    sp->seg = sim_xmalloc(sizeof *sp->seg);
    sp->seg[0] = (sc_segment){from, to, r};
    sp->n_seg = 1;
    if (step_ms >= 0)
      return fail(p, "arrivals %s: step= goes with rates=, not rate=", tok[1]);
  } else {
    if (step_ms < 0)
      step_ms = sc->interval_ms;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", rates);
    double per = 3600.0;
    char *slash = strchr(buf, '/');
    if (slash) {
      if (rate_unit(slash, &per))
        return fail(p, "rates=%s: expected a unit /h, /m or /s at the end", rates);
      *slash = '\0';
    }
    char *save = NULL;
    int64_t t = from;
    for (char *r = strtok_r(buf, ",", &save); r; r = strtok_r(NULL, ",", &save)) {
      const char *e;
      double x;
      if (parse_double(r, &e, &x) || *e || x < 0) {
        return fail(p, "rates=%s: expected numbers >= 0 separated by ',', found \"%s\"", rates,
                    r);
      }
      sp->seg = grow(sp->seg, &sp->n_seg, sizeof *sp->seg);
      sp->seg[sp->n_seg - 1] = (sc_segment){t, t + step_ms, x / per};
      t += step_ms;
    }
    if (t != to) {
      char b1[32], b2[32], b3[32];
      size_t nr = sp->n_seg;
      return fail(p, "arrivals %s: %zu rates of step %s cover %s-%s, not the window %s "
                     "(give one rate per step)",
                  tok[1], nr, sim_clock_str(step_ms, b1, sizeof b1),
                  sim_clock_str(from, b2, sizeof b2), sim_clock_str(t, b3, sizeof b3), tok[2]);
    }
  }
  /* Handle time. */
  if (strncmp(dist, "empirical:", 10) == 0) {
    if (aht_ms >= 0 || sd_ms >= 0) {
      return fail(p, "arrivals %s: dist=empirical takes its mean from the file: drop aht= "
                     "and sd=",
                  tok[1]);
    }
    if (load_file(p, dist + 10, &sp->handle)) {
      return -1;
    }
  } else {
    if (aht_ms < 0) {
      return fail(p, "arrivals %s: expected aht=DURATION (mean handle time)", tok[1]);
    }
    double aht = (double)aht_ms / SIM_MS_PER_S;
    if (strcmp(dist, "exp") == 0) {
      sp->handle.kind = SIM_DIST_EXP;
      sp->handle.mean = aht;
    } else if (strcmp(dist, "fixed") == 0) {
      sp->handle.kind = SIM_DIST_FIXED;
      sp->handle.mean = aht;
    } else if (strcmp(dist, "lognormal") == 0) {
      if (sd_ms < 0) {
        return fail(p, "arrivals %s: dist=lognormal needs sd=DURATION", tok[1]);
      }
      sim_dist_lognormal(&sp->handle, aht, (double)sd_ms / SIM_MS_PER_S);
    } else {
      return fail(p, "dist=%s: expected exp, lognormal, fixed or empirical:FILE", dist);
    }
    if (sd_ms >= 0 && sp->handle.kind != SIM_DIST_LOGNORMAL) {
      return fail(p, "arrivals %s: sd= goes with dist=lognormal", tok[1]);
    }
  }
  if (patience_ms > 0) {
    sp->patience.kind = patience_fixed ? SIM_DIST_FIXED : SIM_DIST_EXP;
    sp->patience.mean = (double)patience_ms / SIM_MS_PER_S;
  }
  return 0;
}

static int parse_arrivals(parser *p, char **tok, int n)
{
  sc_stream s;
  memset(&s, 0, sizeof s);
  s.preferred_timeout_ms = -1;
  if (arrivals_body(p, tok, n, &s)) {
    free_stream_fields(&s);
    return -1;
  }
  p->sc->streams = grow(p->sc->streams, &p->sc->n_streams, sizeof *p->sc->streams);
  p->sc->streams[p->sc->n_streams - 1] = s;
  return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Fraud cases: "cases QUEUE ..." (the case engine itself is driven by cases.c)          */

/* The library's rule for workflow names: 1..64 bytes of [A-Za-z0-9_.:-]. */
static int workflow_name_ok(const char *s)
{
  size_t n = strlen(s);
  if (n == 0 || n > CCENTER_WF_MAX_NAME)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)s[i]) && !strchr("_.:-", s[i]))
      return 0;
  return 1;
}

/* contain=2m (fixed), 2m/exp, 2m/fixed, or 30% (of the contact's handle time). */
static int parse_contain(parser *p, const char *what, char *v, sc_cases *cs)
{
  size_t len = strlen(v);
  if (len > 1 && v[len - 1] == '%') {
    const char *e;
    double pct;
    v[len - 1] = '\0';
    if (parse_double(v, &e, &pct) || *e || !(pct > 0) || pct > 100)
      return fail(p, "%s: contain=%s%%: expected a share of the handle time above 0 and at "
                     "most 100%%",
                  what, v);
    cs->contain_share = pct / 100.0;
    return 0;
  }
  char *slash = strchr(v, '/');
  cs->contain.kind = SIM_DIST_FIXED;
  if (slash) {
    *slash = '\0';
    if (strcmp(slash + 1, "exp") == 0)
      cs->contain.kind = SIM_DIST_EXP;
    else if (strcmp(slash + 1, "fixed") != 0)
      return fail(p, "%s: contain=%s/%s: expected /exp or /fixed after the duration", what, v,
                  slash + 1);
  }
  int64_t ms;
  if (sim_parse_duration_ms(v, &ms))
    return fail(p, "%s: contain=%s: expected DURATION[/exp] (after the answer) or N%% (of "
                   "the handle time)",
                what, v);
  cs->contain.mean = (double)ms / SIM_MS_PER_S;
  return 0;
}

static int load_case_files(parser *p, const char *what, const char *workflow,
                           const char *calendar, sc_cases *cs)
{
  char full[4096];
  ccenter_parse_error pe;
  if (calendar) {
    memset(&pe, 0, sizeof pe);
    pe.size = sizeof pe;
    if (scenario_relative(p, "calendar=", calendar, full, sizeof full))
      return -1;
    int rc = ccenter_calendar_load_file(NULL, full, &cs->cal, &pe);
    if (rc)
      return fail(p, "%s: calendar=%s: %s", what, calendar,
                  rc == CCENTER_ESYNTAX || rc == CCENTER_EIO ? pe.message : ccenter_strerror(rc));
  }
  if (workflow) {
    memset(&pe, 0, sizeof pe);
    pe.size = sizeof pe;
    if (scenario_relative(p, "workflow=", workflow, full, sizeof full))
      return -1;
    int rc = ccenter_workflow_load_file(NULL, full, &cs->wf, &pe);
    if (rc)
      return fail(p, "%s: workflow=%s: %s", what, workflow,
                  rc == CCENTER_ESYNTAX || rc == CCENTER_EIO ? pe.message : ccenter_strerror(rc));
    cs->wf_path = sim_xstrdup(workflow);
    cs->name = sim_xstrdup(ccenter_workflow_name(cs->wf));
    if (cs->golden_ms >= 0 && ccenter_workflow_set_golden(cs->wf, cs->golden_ms))
      return fail(p, "%s: golden=: the workflow refused it", what);
  }
  return 0;
}

static int cases_body(parser *p, char **tok, int n, sc_cases *cs)
{
  scenario *sc = p->sc;
  if (n < 2 || strchr(tok[1], '='))
    return fail(p, "cases: expected \"cases QUEUE [workflow=FILE] [golden=DURATION] "
                   "[contain=DURATION[/exp]|N%%] ...\"");
  if (find_queue(sc, tok[1], &cs->queue))
    return fail(p, "cases: unknown queue \"%s\" (define it with a \"queue\" line first)",
                tok[1]);
  for (size_t i = 0; i < sc->n_cases; i++)
    if (sc->cases[i].queue == cs->queue)
      return fail(p, "cases %s: the queue already has a cases line (line %d)", tok[1],
                  sc->cases[i].line);
  char what[300];
  snprintf(what, sizeof what, "cases %s", tok[1]);
  cs->line = p->line;
  cs->golden_ms = -1;
  cs->contain.kind = SIM_DIST_FIXED;
  cs->contain.mean = 120.0;
  const char *workflow = NULL, *calendar = NULL, *name = tok[1], *close = NULL;
  const char *role = "agent";
  for (int i = 2; i < n; i++) {
    char *k = tok[i], *v = split_kv(tok[i]);
    if (!v)
      return fail(p, "%s: expected key=value, found \"%s\"", what, k);
    if (strcmp(k, "workflow") == 0) {
      workflow = v;
    } else if (strcmp(k, "calendar") == 0) {
      calendar = v;
    } else if (strcmp(k, "name") == 0) {
      name = v;
    } else if (strcmp(k, "golden") == 0) {
      if (want_duration(p, k, v, &cs->golden_ms))
        return -1;
      if (cs->golden_ms <= 0)
        return fail(p, "%s: golden=%s: expected a window longer than 0", what, v);
    } else if (strcmp(k, "contain") == 0) {
      if (parse_contain(p, what, v, cs))
        return -1;
    } else if (strcmp(k, "transition") == 0 || strcmp(k, "transitions") == 0) {
      char *save = NULL;
      for (char *t = strtok_r(v, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        cs->transitions = grow(cs->transitions, &cs->n_transitions, sizeof *cs->transitions);
        cs->transitions[cs->n_transitions - 1] = sim_xstrdup(t);
      }
    } else if (strcmp(k, "set") == 0) {
      char *save = NULL;
      for (char *f = strtok_r(v, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(f, ':');
        if (!colon || colon == f || !colon[1])
          return fail(p, "%s: set: \"%s\": expected FIELD:VALUE", what, f);
        *colon = '\0';
        cs->fields = grow(cs->fields, &cs->n_fields, sizeof *cs->fields);
        cs->fields[cs->n_fields - 1] = (sc_attr){sim_xstrdup(f), sim_xstrdup(colon + 1)};
      }
    } else if (strcmp(k, "close") == 0) {
      close = v;
    } else if (strcmp(k, "role") == 0) {
      role = v;
    } else if (strcmp(k, "evidence") == 0) {
      char *save = NULL;
      for (char *e = strtok_r(v, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
        if (cs->n_evidence >= CCENTER_WF_MAX_EVIDENCE)
          return fail(p, "%s: more than %d evidence names", what, CCENTER_WF_MAX_EVIDENCE);
        cs->evidence = grow(cs->evidence, &cs->n_evidence, sizeof *cs->evidence);
        cs->evidence[cs->n_evidence - 1] = sim_xstrdup(e);
      }
    } else {
      return fail(p, "%s: unknown setting \"%s\" (expected workflow, calendar, name, golden, "
                     "contain, transition, set, close, role, evidence)",
                  what, k);
    }
  }
  if (workflow && name != tok[1])
    return fail(p, "%s: name= names the built-in workflow; a workflow file has its own name",
                what);
  if (!workflow && calendar)
    return fail(p, "%s: calendar= goes with workflow=FILE (the built-in workflow has no "
                   "calendar timers)",
                what);
  if (!workflow && !workflow_name_ok(name))
    return fail(p, "%s: \"%s\" cannot name a workflow (1..%d of A-Z a-z 0-9 _ . : -): give "
                   "name=NAME",
                what, name, CCENTER_WF_MAX_NAME);
  if (load_case_files(p, what, workflow, calendar, cs))
    return -1;
  if (!cs->name)
    cs->name = sim_xstrdup(name);
  for (size_t i = 0; i < sc->n_cases; i++)
    if (strcmp(sc->cases[i].name, cs->name) == 0)
      return fail(p, "%s: workflow \"%s\" is already used by the cases line on line %d%s",
                  what, cs->name, sc->cases[i].line, workflow ? "" : " (give name=NAME)");
  /* The built-in workflow closes its cases; a file's closing transition must be named. */
  if (close && strcmp(close, "none") != 0)
    cs->close = sim_xstrdup(close);
  else if (!close && !workflow)
    cs->close = sim_xstrdup("close");
  if (!cs->n_transitions) {
    cs->transitions = grow(cs->transitions, &cs->n_transitions, sizeof *cs->transitions);
    cs->transitions[0] = sim_xstrdup("contain");
  }
  if (!workflow && cs->n_transitions > 1)
    return fail(p, "%s: the built-in workflow contains with one transition", what);
  cs->role = sim_xstrdup(role);
  return 0;
}

static int parse_cases(parser *p, char **tok, int n)
{
  sc_cases cs;
  memset(&cs, 0, sizeof cs);
  if (cases_body(p, tok, n, &cs)) {
    free_cases_fields(&cs);
    return -1;
  }
  p->sc->cases = grow(p->sc->cases, &p->sc->n_cases, sizeof *p->sc->cases);
  p->sc->cases[p->sc->n_cases - 1] = cs;
  return 0;
}

/*
 * Splits a line into words, in place. Blanks separate words and '#' starts a comment,
 * except inside quotes: '...' is taken as is, "..." has the escapes \" and \\ (any other
 * backslash is kept). Quotes may start anywhere in a word (step='a b':20s) and are removed.
 */
static int tokenize(parser *p, char *line, char **tok, int *n)
{
  char *r = line, *w = line;
  *n = 0;
  for (;;) {
    while (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n')
      r++;
    if (!*r || *r == '#')
      return 0;
    if (*n == MAX_TOKENS)
      return fail(p, "too many words on one line (at most %d)", MAX_TOKENS);
    char *start = w;
    while (*r && *r != ' ' && *r != '\t' && *r != '\r' && *r != '\n' && *r != '#') {
      if (*r == '\'' || *r == '"') {
        char q = *r++;
        for (;;) {
          if (!*r || *r == '\n' || *r == '\r')
            return fail(p, "unterminated %s quote: expected a closing %c on the same line",
                        q == '"' ? "double" : "single", q);
          if (*r == q) {
            r++;
            break;
          }
          if (q == '"' && *r == '\\' && (r[1] == '"' || r[1] == '\\'))
            r++;
          *w++ = *r++;
        }
      } else {
        *w++ = *r++;
      }
    }
    int end = !*r || *r == '#';
    if (!end)
      r++; /* the blank after the word; w <= r - 1 here, so the '\0' below is safe */
    *w++ = '\0';
    tok[(*n)++] = start;
    if (end)
      return 0;
  }
}

static int parse_line(parser *p, char *line)
{
  char *tok[MAX_TOKENS];
  int n = 0;
  if (tokenize(p, line, tok, &n))
    return -1;
  if (!n)
    return 0;
  if (strcmp(tok[0], "sim") == 0)
    return parse_sim(p, tok, n);
  if (strcmp(tok[0], "queue") == 0)
    return parse_queue(p, tok, n);
  if (strcmp(tok[0], "agent") == 0)
    return parse_agent(p, tok, n, 0);
  if (strcmp(tok[0], "group") == 0)
    return parse_agent(p, tok, n, 1);
  if (strcmp(tok[0], "arrivals") == 0)
    return parse_arrivals(p, tok, n);
  if (strcmp(tok[0], "cases") == 0)
    return parse_cases(p, tok, n);
  return fail(p, "unknown keyword \"%s\" (expected sim, queue, agent, group, arrivals or "
                 "cases)",
              tok[0]);
}

int scenario_load(scenario *sc, const char *path, FILE *err)
{
  FILE *fp = fopen(path, "r");
  if (!fp) {
    fprintf(err, "%s: cannot open: %s\n", path, strerror(errno));
    return -1;
  }
  parser p = {.sc = sc, .path = path, .err = err};
  sc->path = sim_xstrdup(path);
  char line[8192];
  int rc = 0;
  while (rc == 0 && fgets(line, sizeof line, fp)) {
    p.line++;
    size_t len = strlen(line);
    if (len == sizeof line - 1 && line[len - 1] != '\n') {
      rc = fail(&p, "line too long (at most %zu characters)", sizeof line - 2);
      break;
    }
    rc = parse_line(&p, line);
  }
  fclose(fp);
  if (rc)
    return -1;
  if (sc->count_group && !sc->count_group_seen) {
    fprintf(err, "%s: no group \"%s\" to give %lld agents (expected a line \"group %s "
                 "count=N ...\")\n",
            path, sc->count_group, sc->count_value, sc->count_group);
    return -1;
  }
  if (p.has_hours)
    sc->end_ms = sc->start_ms + p.hours_ms;
  if (p.has_end && sc->end_ms <= sc->start_ms) {
    p.line = 0;
    fprintf(err, "%s: sim end= must be after start=\n", path);
    return -1;
  }
  return 0;
}

int scenario_finish(scenario *sc, FILE *err)
{
  const char *name = sc->path ? sc->path : "ccenter-sim";
  if (!sc->n_queues) {
    fprintf(err, "%s: no queue defined (expected a line \"queue NAME ...\")\n", name);
    return -1;
  }
  if (!sc->n_streams) {
    fprintf(err, "%s: no arrivals defined (expected a line \"arrivals QUEUE HH:MM-HH:MM "
                 "rate=R aht=DURATION\")\n",
            name);
    return -1;
  }
  if (sc->end_ms < 0) {
    /* The end of the last arrival window or shift. */
    int64_t end = -1;
    for (size_t i = 0; i < sc->n_streams; i++)
      for (size_t k = 0; k < sc->streams[i].n_seg; k++)
        if (sc->streams[i].seg[k].to > end)
          end = sc->streams[i].seg[k].to;
    for (size_t i = 0; i < sc->n_agents; i++)
      for (size_t k = 0; k < sc->agents[i].n_shifts; k++)
        if (sc->agents[i].shifts[k].to > end)
          end = sc->agents[i].shifts[k].to;
    sc->end_ms = end;
  }
  if (sc->end_ms <= sc->start_ms) {
    fprintf(err, "%s: the simulated period is empty (set end= or hours= on the sim line)\n",
            name);
    return -1;
  }
  if (sc->warmup_ms >= sc->end_ms - sc->start_ms) {
    fprintf(err, "%s: the warm-up covers the whole simulated period\n", name);
    return -1;
  }
  for (size_t i = 0; i < sc->n_queues; i++) {
    sc_queue *q = &sc->queues[i];
    size_t t;
    if (q->overflow) {
      if (find_queue(sc, q->overflow, &t)) {
        fprintf(err, "%s:%d: queue %s: overflow target \"%s\" is not a queue\n", name, q->line,
                q->name, q->overflow);
        return -1;
      }
      if (t == i) {
        fprintf(err, "%s:%d: queue %s: cannot overflow to itself\n", name, q->line, q->name);
        return -1;
      }
    }
  }
  /* Preferred agents must exist; reserve members need a reserve rule on the queue. */
  for (size_t i = 0; i < sc->n_streams; i++) {
    const sc_stream *st = &sc->streams[i];
    for (size_t k = 0; k < st->n_preferred; k++) {
      if (!find_agent(sc, st->preferred[k])) {
        fprintf(err, "%s:%d: arrivals %s: preferred agent \"%s\" is not defined\n", name,
                st->line, sc->queues[st->queue].name, st->preferred[k]);
        return -1;
      }
    }
  }
  for (size_t i = 0; i < sc->n_agents; i++) {
    const sc_agent *a = &sc->agents[i];
    for (size_t k = 0; k < a->n_queues; k++) {
      const sc_queue *q = &sc->queues[a->queues[k]];
      if (a->profile[k].reserve && q->reserve_wait_ms <= 0 && q->reserve_ewt_ms <= 0 &&
          q->reserve_sl_bp <= 0) {
        fprintf(err, "%s:%d: agent %s is a reserve member of queue %s, which has no "
                     "reserve_wait=, reserve_ewt= or reserve_sl= (the agent would never take "
                     "its contacts)\n",
                name, a->line, a->name, q->name);
        return -1;
      }
    }
  }
  /* Agents without a shift work the whole simulated period. */
  for (size_t i = 0; i < sc->n_agents; i++) {
    sc_agent *a = &sc->agents[i];
    if (!a->n_shifts) {
      a->shifts = grow(a->shifts, &a->n_shifts, sizeof *a->shifts);
      a->shifts[0] = (sc_span){sc->start_ms, sc->end_ms + sc->drain_ms, NULL};
    }
  }
  for (size_t i = 0; i < sc->n_queues; i++) {
    int served = 0;
    for (size_t a = 0; a < sc->n_agents && !served; a++)
      for (size_t k = 0; k < sc->agents[a].n_queues; k++)
        if (sc->agents[a].queues[k] == i)
          served = 1;
    if (!served)
      fprintf(err, "%s:%d: warning: no agent serves queue %s\n", name, sc->queues[i].line,
              sc->queues[i].name);
  }
  return 0;
}
