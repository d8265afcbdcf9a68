/* ctid's configuration file: the parser (conf.h). Applying and reloading: conf_apply.c. */
#include "conf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"

/* Longest line accepted: a step's requirement (CCENTER_MAX_REQUIREMENT) and its key. */
#define MAX_LINE (CCENTER_MAX_REQUIREMENT + 256)
#define MAX_KEY 160

const char *ctid_role_name(ctid_role role)
{
  static const char *const names[] = {"switch", "agent", "supervisor", "wallboard"};
  return (unsigned)role < CTID_ROLE_COUNT_ ? names[role] : "?";
}

void ctid_err(ctid_conf_error *err, const char *source, int line, const char *fmt, ...)
{
  if (!err)
    return;
  char what[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  err->line = line;
  if (line > 0)
    snprintf(err->message, sizeof err->message, "%s:%d: %s", source, line, what);
  else
    snprintf(err->message, sizeof err->message, "%s: %s", source, what);
}

int ctid_grow(void **arr, size_t *cap, size_t n, size_t elem)
{
  if (n < *cap)
    return 0;
  size_t ncap = *cap ? *cap * 2 : 8;
  void *p = realloc(*arr, ncap * elem);
  if (!p)
    return -1;
  memset((char *)p + *cap * elem, 0, (ncap - *cap) * elem);
  *arr = p;
  *cap = ncap;
  return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Values                                                                              */

typedef struct name_value {
  const char *name;
  int64_t value;
} name_value;

static const name_value empty_rules[] = {
  {"never", CCENTER_EMPTY_NEVER}, {"no-members", CCENTER_EMPTY_NO_MEMBERS},
  {"logged-out", CCENTER_EMPTY_LOGGED_OUT}, {"not-ready", CCENTER_EMPTY_NOT_READY}, {0}};
static const name_value wait_actions[] = {
  {"timeout", CCENTER_MAX_WAIT_TIMEOUT}, {"overflow", CCENTER_MAX_WAIT_OVERFLOW},
  {"callback", CCENTER_MAX_WAIT_CALLBACK}, {0}};
static const name_value strategies[] = {
  {"longest-idle", CCENTER_STRATEGY_LONGEST_IDLE},
  {"least-occupied", CCENTER_STRATEGY_LEAST_OCCUPIED},
  {"fewest-contacts", CCENTER_STRATEGY_FEWEST_CONTACTS},
  {"least-talk-time", CCENTER_STRATEGY_LEAST_TALK_TIME},
  {"round-robin", CCENTER_STRATEGY_ROUND_ROBIN},
  {"linear", CCENTER_STRATEGY_LINEAR},
  {"random", CCENTER_STRATEGY_RANDOM},
  {"weighted-random", CCENTER_STRATEGY_WEIGHTED_RANDOM},
  {"best-skill", CCENTER_STRATEGY_BEST_SKILL},
  {"ring-all", CCENTER_STRATEGY_RING_ALL},
  {"ring-progressive", CCENTER_STRATEGY_RING_PROGRESSIVE},
  {0}};
static const name_value durabilities[] = {
  {"full", CCENTER_DURABILITY_FULL}, {"grouped", CCENTER_DURABILITY_GROUPED},
  {"memory", CCENTER_DURABILITY_MEMORY}, {"written", CCENTER_DURABILITY_WRITTEN}, {0}};
static const name_value roles[] = {
  {"switch", CTID_ROLE_SWITCH}, {"agent", CTID_ROLE_AGENT},
  {"supervisor", CTID_ROLE_SUPERVISOR}, {"wallboard", CTID_ROLE_WALLBOARD}, {0}};
static const name_value channels[] = {
  {"voice", CCENTER_CHANNEL_VOICE}, {"chat", CCENTER_CHANNEL_CHAT},
  {"email", CCENTER_CHANNEL_EMAIL}, {"sms", CCENTER_CHANNEL_SMS},
  {"callback", CCENTER_CHANNEL_CALLBACK}, {"task", CCENTER_CHANNEL_TASK}, {0}};
static const name_value bools[] = {
  {"yes", 1}, {"no", 0}, {"true", 1}, {"false", 0}, {"on", 1}, {"off", 0}, {0}};

/* Error texts of the value parsers; the caller adds the key. */
static const char *val_why;

static int parse_name(const name_value *t, const char *v, int64_t *out)
{
  for (; t->name; t++)
    if (strcmp(t->name, v) == 0) {
      *out = t->value;
      return 0;
    }
  val_why = "is not one of the allowed words (docs/ctid.md)";
  return -1;
}

/* A whole number: optional '-', digits, nothing else; *end gets the rest when end. */
static int parse_digits(const char *v, int64_t *out, const char **end)
{
  const char *p = v;
  int neg = *p == '-';
  if (neg)
    p++;
  if (*p < '0' || *p > '9') {
    val_why = "is not a number";
    return -1;
  }
  int64_t n = 0;
  for (; *p >= '0' && *p <= '9'; p++) {
    if (n > (INT64_MAX - 9) / 10) {
      val_why = "is too large";
      return -1;
    }
    n = n * 10 + (*p - '0');
  }
  if (!end && *p) {
    val_why = "is not a whole number";
    return -1;
  }
  if (end)
    *end = p;
  *out = neg ? -n : n;
  return 0;
}

static int parse_int(const char *v, int64_t min, int64_t max, int64_t *out)
{
  if (parse_digits(v, out, NULL))
    return -1;
  if (*out < min || *out > max) {
    static char why[80];
    snprintf(why, sizeof why, "is out of range (%lld..%lld)", (long long)min,
             (long long)max);
    val_why = why;
    return -1;
  }
  return 0;
}

/* 0, or a number with a unit: ms, s, m, h, d. At most a year. */
static int parse_duration(const char *v, int64_t *out)
{
  static const struct { const char *unit; int64_t ms; } units[] = {
    {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
  const char *u;
  int64_t n;
  if (*v == '-' || parse_digits(v, &n, &u)) {
    val_why = "is not a duration (a number and ms, s, m, h or d)";
    return -1;
  }
  if (!*u && n == 0) {
    *out = 0;
    return 0;
  }
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strcmp(u, units[i].unit) == 0) {
      if (n > INT64_C(366) * 86400000 / units[i].ms) {
        val_why = "is longer than a year";
        return -1;
      }
      *out = n * units[i].ms;
      return 0;
    }
  val_why = *u ? "has an unknown unit (ms, s, m, h or d)"
               : "needs a unit (ms, s, m, h or d)";
  return -1;
}

/* Bytes: a number, optionally K, M or G (powers of 1024). At most 1 TiB. */
static int parse_size(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
  const char *u;
  int64_t n;
  if (*v == '-' || parse_digits(v, &n, &u)) {
    val_why = "is not a size (a number of bytes, or with K, M or G)";
    return -1;
  }
  uint64_t mul = 1;
  if (*u) {
    if (u[1] || !strchr("KMG", *u)) {
      val_why = "has an unknown unit (K, M or G)";
      return -1;
    }
    mul = *u == 'K' ? 1024u : *u == 'M' ? 1024u * 1024u : 1024u * 1024u * 1024u;
  }
  if ((uint64_t)n > max / mul || (uint64_t)n * mul < min) {
    static char why[80];
    snprintf(why, sizeof why, "is out of range (%llu..%llu bytes)", (unsigned long long)min,
             (unsigned long long)max);
    val_why = why;
    return -1;
  }
  *out = (uint64_t)n * mul;
  return 0;
}

/* "80%" or "80.25%" in basis points (0..10000). */
static int parse_bp(const char *v, int64_t *out)
{
  const char *p;
  int64_t whole, frac = 0;
  if (*v == '-' || parse_digits(v, &whole, &p))
    goto bad;
  if (*p == '.') {
    p++;
    if (p[0] < '0' || p[0] > '9')
      goto bad;
    frac = (p[0] - '0') * 10;
    p++;
    if (*p >= '0' && *p <= '9')
      frac += *p++ - '0';
  }
  if (strcmp(p, "%") != 0 || whole > 100 || (whole == 100 && frac))
    goto bad;
  *out = whole * 100 + frac;
  return 0;
bad:
  val_why = "is not a percentage (0% .. 100%, at most two decimals)";
  return -1;
}

static int parse_percent(const char *v, int64_t *out)
{
  const char *p;
  if (*v == '-' || parse_digits(v, out, &p) || strcmp(p, "%") != 0 || *out > 100) {
    val_why = "is not a whole percentage (0% .. 100%)";
    return -1;
  }
  return 0;
}

/* An id for the engine: 1..CCENTER_MAX_ID bytes of printable ASCII without blanks. */
static int id_ok(const char *s, size_t max)
{
  size_t n = strlen(s);
  if (n == 0 || n > max)
    return 0;
  for (; *s; s++)
    if (*s <= ' ' || *s > '~')
      return 0;
  return 1;
}

/* ---------------------------------------------------------------------------------- */
/* The parser                                                                          */

typedef enum sect {
  S_NONE, S_SERVER, S_ENGINE, S_LIMITS, S_CASES, S_QUEUE, S_AGENT, S_PRINCIPAL, S_LISTEN
} sect;

static const struct {
  const char *name;
  int named; /* 1: [type NAME]; 0: [type] */
} sect_kinds[] = {
  [S_SERVER] = {"server", 0}, [S_ENGINE] = {"engine", 0}, [S_LIMITS] = {"limits", 0},
  [S_CASES] = {"cases", 0},   [S_QUEUE] = {"queue", 1},   [S_AGENT] = {"agent", 1},
  [S_PRINCIPAL] = {"principal", 1}, [S_LISTEN] = {"listen", 1},
};

typedef struct seen_key {
  char key[MAX_KEY];
  int line;
} seen_key;

typedef struct parser {
  ctid_config *cfg;
  ctid_conf_error *err;
  const char *src;
  int line;
  sect s;
  int sect_line;
  int sect_seen[S_LISTEN + 1]; /* line of the unnamed sections seen */
  seen_key *keys;
  size_t n_keys, cap_keys;
  size_t cap_queues, cap_agents, cap_principals, cap_listeners, cap_cal, cap_wf;
  size_t cap_skills, cap_attrs, cap_serves; /* of the current agent */
} parser;

#define FAIL(P, ...) (ctid_err((P)->err, (P)->src, (P)->line, __VA_ARGS__), -1)

static int bad_value(parser *p, const char *key, const char *v)
{
  return FAIL(p, "%s: '%.60s' %s", key, v, val_why);
}

static char *dup_or_fail(parser *p, const char *s)
{
  char *d = strdup(s);
  if (!d)
    (void)FAIL(p, "out of memory");
  return d;
}

/* The key of an entry of a numeric option table (queue and engine options). */
typedef enum vkind { V_INT, V_DUR, V_DUR_UNLIMITED, V_BP, V_PCT, V_EMPTY, V_ACTION,
                     V_STRATEGY } vkind;

typedef struct opt_def {
  const char *key;
  int opt;
  vkind kind;
  int64_t max; /* for V_INT */
} opt_def;

static const opt_def queue_opts[] = {
  {"max_length", CCENTER_QUEUE_MAX_LENGTH, V_INT, 1000000000},
  {"join_empty", CCENTER_QUEUE_JOIN_EMPTY, V_EMPTY, 0},
  {"leave_empty", CCENTER_QUEUE_LEAVE_EMPTY, V_EMPTY, 0},
  {"max_wait", CCENTER_QUEUE_MAX_WAIT, V_DUR, 0},
  {"max_wait_action", CCENTER_QUEUE_MAX_WAIT_ACTION, V_ACTION, 0},
  {"ring_timeout", CCENTER_QUEUE_RING_TIMEOUT, V_DUR, 0},
  {"wrap_up", CCENTER_QUEUE_WRAP_UP, V_DUR_UNLIMITED, 0},
  {"announce_every", CCENTER_QUEUE_ANNOUNCE_EVERY, V_DUR, 0},
  {"sl_threshold", CCENTER_QUEUE_SL_THRESHOLD, V_DUR, 0},
  {"sl_target", CCENTER_QUEUE_SL_TARGET, V_BP, 0},
  {"sl_warning", CCENTER_QUEUE_SL_WARNING, V_PCT, 0},
  {"callback_ewt", CCENTER_QUEUE_CALLBACK_EWT, V_DUR, 0},
  {"strategy", CCENTER_QUEUE_STRATEGY, V_STRATEGY, 0},
  {"ring_every", CCENTER_QUEUE_RING_EVERY, V_DUR, 0},
  {"preferred_timeout", CCENTER_QUEUE_PREFERRED_TIMEOUT, V_DUR, 0},
  {"sticky_window", CCENTER_QUEUE_STICKY_WINDOW, V_DUR, 0},
  {"ageing", CCENTER_QUEUE_AGEING, V_DUR, 0},
  {"reserve_wait", CCENTER_QUEUE_RESERVE_WAIT, V_DUR, 0},
  {"reserve_ewt", CCENTER_QUEUE_RESERVE_EWT, V_DUR, 0},
  {"reserve_sl", CCENTER_QUEUE_RESERVE_SL, V_BP, 0},
  {0}};

static const opt_def engine_opts[] = {
  {"max_no_answer", CCENTER_ENGINE_MAX_NO_ANSWER, V_INT, 1000},
  {"reject_delay", CCENTER_ENGINE_REJECT_DELAY, V_DUR, 0},
  {"ewt_samples", CCENTER_ENGINE_EWT_SAMPLES, V_INT, 256},
  {"stats_interval", CCENTER_ENGINE_STATS_INTERVAL, V_DUR, 0},
  {"stats_keep", CCENTER_ENGINE_STATS_KEEP, V_INT, 100000},
  {"short_abandon", CCENTER_ENGINE_SHORT_ABANDON, V_DUR, 0},
  {"repeat_window", CCENTER_ENGINE_REPEAT_WINDOW, V_DUR, 0},
  {"seed", CCENTER_ENGINE_SEED, V_INT, INT64_MAX},
  {0}};

const char *ctid_queue_opt_key(int opt)
{
  for (const opt_def *d = queue_opts; d->key; d++)
    if (d->opt == opt)
      return d->key;
  return "?";
}

const char *ctid_engine_opt_key(int opt)
{
  for (const opt_def *d = engine_opts; d->key; d++)
    if (d->opt == opt)
      return d->key;
  return "?";
}

/* Sets a numeric option from a table; 1 when key is not in the table. */
static int set_opt(parser *p, const opt_def *defs, const char *key, const char *v,
                   int64_t *vals, int *lines)
{
  const opt_def *d = defs;
  while (d->key && strcmp(d->key, key) != 0)
    d++;
  if (!d->key)
    return 1;
  int64_t x = 0;
  int rc;
  switch (d->kind) {
  case V_INT: rc = parse_int(v, 0, d->max, &x); break;
  case V_DUR: rc = parse_duration(v, &x); break;
  case V_DUR_UNLIMITED:
    x = -1;
    rc = strcmp(v, "unlimited") == 0 ? 0 : parse_duration(v, &x);
    break;
  case V_BP: rc = parse_bp(v, &x); break;
  case V_PCT: rc = parse_percent(v, &x); break;
  case V_EMPTY: rc = parse_name(empty_rules, v, &x); break;
  case V_ACTION: rc = parse_name(wait_actions, v, &x); break;
  default: rc = parse_name(strategies, v, &x); break;
  }
  if (rc)
    return bad_value(p, key, v);
  vals[d->opt] = x;
  lines[d->opt] = p->line;
  return 0;
}

/* Splits "a, b c" into words (commas and blanks separate); calls fn on each. */
static int each_word(parser *p, const char *v, int (*fn)(parser *, const char *, void *),
                     void *ud)
{
  char w[CCENTER_MAX_ID + 2];
  while (*v) {
    while (*v == ',' || *v == ' ' || *v == '\t')
      v++;
    size_t n = 0;
    while (v[n] && v[n] != ',' && v[n] != ' ' && v[n] != '\t')
      n++;
    if (!n)
      break;
    if (n >= sizeof w)
      return FAIL(p, "a name longer than %d bytes", CCENTER_MAX_ID);
    memcpy(w, v, n);
    w[n] = '\0';
    if (fn(p, w, ud))
      return -1;
    v += n;
  }
  return 0;
}

static ctid_queue *cur_queue(parser *p) { return &p->cfg->queues[p->cfg->n_queues - 1]; }
static ctid_agent *cur_agent(parser *p) { return &p->cfg->agents[p->cfg->n_agents - 1]; }
static ctid_principal *cur_principal(parser *p)
{
  return &p->cfg->principals[p->cfg->n_principals - 1];
}
static ctid_listener *cur_listener(parser *p)
{
  return &p->cfg->listeners[p->cfg->n_listeners - 1];
}

static int key_server(parser *p, const char *key, const char *v)
{
  ctid_config *c = p->cfg;
  int64_t x;
  if (strcmp(key, "store") == 0)
    return (c->store_path = dup_or_fail(p, v)) ? 0 : -1;
  if (strcmp(key, "data_dir") == 0)
    return (c->data_dir = dup_or_fail(p, v)) ? 0 : -1;
  if (strcmp(key, "www") == 0)
    return (c->www_dir = dup_or_fail(p, v)) ? 0 : -1;
  if (strcmp(key, "durability") == 0) {
    if (parse_name(durabilities, v, &x))
      return bad_value(p, key, v);
    c->durability = (ccenter_durability)x;
    return 0;
  }
  if (strcmp(key, "group_ms") == 0) {
    if (parse_int(v, 1, 60000, &x))
      return bad_value(p, key, v);
    c->group_ms = x;
    return 0;
  }
  if (strcmp(key, "group_records") == 0) {
    if (parse_int(v, 1, 1000000, &x))
      return bad_value(p, key, v);
    c->group_records = (uint32_t)x;
    return 0;
  }
  return 1;
}

static int key_limits(parser *p, const char *key, const char *v)
{
  ctid_limits *l = &p->cfg->limits;
  int64_t x;
  uint64_t sz;
  if (strcmp(key, "frame_max") == 0) {
    if (parse_size(v, 64, 64u * 1024 * 1024, &sz))
      return bad_value(p, key, v);
    l->frame_max = (uint32_t)sz;
    return 0;
  }
  if (strcmp(key, "commands_per_second") == 0) {
    if (parse_int(v, 0, 1000000, &x))
      return bad_value(p, key, v);
    l->commands_per_second = (uint32_t)x;
    return 0;
  }
  if (strcmp(key, "idle_timeout") == 0)
    return parse_duration(v, &l->idle_timeout_ms) ? bad_value(p, key, v) : 0;
  if (strncmp(key, "output_max.", 11) == 0) {
    if (parse_name(roles, key + 11, &x))
      return 1;
    if (parse_size(v, 4096, UINT64_C(1) << 40, &sz))
      return bad_value(p, key, v);
    l->output_max[x] = sz;
    return 0;
  }
  if (strcmp(key, "lockout_failures") == 0) {
    if (parse_int(v, 0, CTID_LOCKOUT_MAX_FAILURES, &x))
      return bad_value(p, key, v);
    l->lockout.failures = (unsigned)x;
    return 0;
  }
  if (strcmp(key, "lockout_window") == 0)
    return parse_duration(v, &l->lockout.window_ms) ? bad_value(p, key, v) : 0;
  if (strcmp(key, "lockout_time") == 0)
    return parse_duration(v, &l->lockout.lock_ms) ? bad_value(p, key, v) : 0;
  return 1;
}

static int add_asset(parser *p, ctid_asset **arr, size_t *n, size_t *cap, const char *v,
                     const char *what)
{
  for (size_t i = 0; i < *n; i++)
    if (strcmp((*arr)[i].ref, v) == 0)
      return FAIL(p, "%s '%s' is named already at line %d", what, v, (*arr)[i].line);
  if (ctid_grow((void **)arr, cap, *n, sizeof **arr))
    return FAIL(p, "out of memory");
  ctid_asset *a = &(*arr)[*n];
  if (!(a->ref = dup_or_fail(p, v)))
    return -1;
  a->line = p->line;
  (*n)++;
  return 0;
}

static int key_cases(parser *p, const char *key, const char *v)
{
  ctid_config *c = p->cfg;
  if (strcmp(key, "calendar") == 0)
    return add_asset(p, &c->calendars, &c->n_calendars, &p->cap_cal, v, "calendar");
  if (strcmp(key, "workflow") == 0)
    return add_asset(p, &c->workflows, &c->n_workflows, &p->cap_wf, v, "workflow");
  return 1;
}

static int add_threshold(parser *p, const char *w, void *ud)
{
  ctid_queue *q = ud;
  int64_t ms;
  if (parse_duration(w, &ms) || ms < 1)
    return FAIL(p, "thresholds: '%s' is not a positive duration", w);
  if (q->n_thresholds == CCENTER_MAX_THRESHOLDS)
    return FAIL(p, "thresholds: more than %d", CCENTER_MAX_THRESHOLDS);
  if (q->n_thresholds && ms <= q->thresholds[q->n_thresholds - 1])
    return FAIL(p, "thresholds: '%s' is not longer than the one before", w);
  q->thresholds[q->n_thresholds++] = ms;
  return 0;
}

static int key_queue(parser *p, const char *key, const char *v)
{
  ctid_queue *q = cur_queue(p);
  int rc = set_opt(p, queue_opts, key, v, q->opt, q->opt_line);
  if (rc != 1)
    return rc;
  if (strcmp(key, "overflow") == 0) {
    if (!id_ok(v, CCENTER_MAX_ID))
      return FAIL(p, "overflow: '%.60s' is not a queue name", v);
    q->overflow_line = p->line;
    return (q->overflow = dup_or_fail(p, v)) ? 0 : -1;
  }
  if (strcmp(key, "thresholds") == 0) {
    q->thresholds_line = p->line;
    return each_word(p, v, add_threshold, q);
  }
  if (strcmp(key, "step") == 0) {
    /* step = DURATION REQUIREMENT; the requirement may be empty (any member). */
    char dur[32];
    size_t n = strcspn(v, " \t");
    if (n >= sizeof dur)
      return FAIL(p, "step: expected a duration and a requirement");
    memcpy(dur, v, n);
    dur[n] = '\0';
    const char *req = v + n + strspn(v + n, " \t");
    int64_t ms;
    if (parse_duration(dur, &ms) || ms < 1 || ms > CCENTER_MAX_DURATION_MS)
      return FAIL(p, "step: '%s' is not a duration of 1 ms to 1 day", dur);
    if (q->n_steps == CCENTER_MAX_STEPS)
      return FAIL(p, "step: more than %d steps", CCENTER_MAX_STEPS);
    if (strlen(req) > CCENTER_MAX_REQUIREMENT)
      return FAIL(p, "step: requirement longer than %d bytes", CCENTER_MAX_REQUIREMENT);
    ccenter_req *r = NULL;
    char msg[160];
    int prc = ccenter_req_parse(req, &r, NULL, msg, sizeof msg);
    ccenter_req_free(r);
    if (prc == CCENTER_ENOMEM)
      return FAIL(p, "out of memory");
    if (prc)
      return FAIL(p, "step: bad requirement: %s", msg);
    ctid_step *s = &q->steps[q->n_steps];
    if (!(s->requirement = dup_or_fail(p, req)))
      return -1;
    s->duration_ms = ms;
    s->line = p->line;
    q->n_steps++;
    return 0;
  }
  return 1;
}

static int add_serve(parser *p, const char *queue, const char *params)
{
  ctid_agent *a = cur_agent(p);
  if (!id_ok(queue, CCENTER_MAX_ID))
    return FAIL(p, "'%.60s' is not a queue name", queue);
  for (size_t i = 0; i < a->n_serves; i++)
    if (strcmp(a->serves[i].queue, queue) == 0)
      return FAIL(p, "queue '%s' is listed already at line %d", queue, a->serves[i].line);
  if (ctid_grow((void **)&a->serves, &p->cap_serves, a->n_serves, sizeof *a->serves))
    return FAIL(p, "out of memory");
  ctid_serve *s = &a->serves[a->n_serves];
  s->line = p->line;
  /* serve.QUEUE = [priority N] [delay DURATION] [reserve] */
  char buf[128];
  if (strlen(params) >= sizeof buf)
    return FAIL(p, "serve.%s: value too long", queue);
  strcpy(buf, params);
  for (char *save = NULL, *w = strtok_r(buf, " \t,", &save); w;
       w = strtok_r(NULL, " \t,", &save)) {
    int64_t x;
    if (strcmp(w, "reserve") == 0) {
      s->reserve = 1;
    } else if (strcmp(w, "priority") == 0 || strcmp(w, "delay") == 0) {
      char *arg = strtok_r(NULL, " \t,", &save);
      if (!arg)
        return FAIL(p, "serve.%s: %s needs a value", queue, w);
      if (*w == 'p') {
        if (parse_int(arg, -CCENTER_MAX_PROFILE_PRIORITY, CCENTER_MAX_PROFILE_PRIORITY, &x))
          return FAIL(p, "serve.%s: priority '%s' %s", queue, arg, val_why);
        s->priority = (int)x;
      } else {
        if (parse_duration(arg, &x) || x > CCENTER_MAX_DURATION_MS)
          return FAIL(p, "serve.%s: delay '%s' is not a duration up to 1 day", queue, arg);
        s->delay_ms = x;
      }
    } else {
      return FAIL(p, "serve.%s: unknown word '%.40s' (priority N, delay D, reserve)", queue,
                  w);
    }
  }
  if (!(s->queue = dup_or_fail(p, queue)))
    return -1;
  a->n_serves++;
  return 0;
}

static int serve_word(parser *p, const char *w, void *ud)
{
  (void)ud;
  return add_serve(p, w, "");
}

static int key_agent(parser *p, const char *key, const char *v)
{
  ctid_agent *a = cur_agent(p);
  int64_t x;
  if (strcmp(key, "queues") == 0)
    return each_word(p, v, serve_word, NULL);
  if (strncmp(key, "serve.", 6) == 0)
    return add_serve(p, key + 6, v);
  if (strncmp(key, "skill.", 6) == 0) {
    const char *name = key + 6;
    if (!*name || strlen(name) > CCENTER_MAX_NAME)
      return FAIL(p, "%s: bad skill name", key);
    if (parse_int(v, 1, 10, &x))
      return bad_value(p, key, v);
    if (a->n_skills == CCENTER_MAX_SKILLS)
      return FAIL(p, "more than %d skills", CCENTER_MAX_SKILLS);
    if (ctid_grow((void **)&a->skills, &p->cap_skills, a->n_skills, sizeof *a->skills))
      return FAIL(p, "out of memory");
    ctid_skill *s = &a->skills[a->n_skills];
    if (!(s->name = dup_or_fail(p, name)))
      return -1;
    s->level = (int)x;
    s->line = p->line;
    a->n_skills++;
    return 0;
  }
  if (strncmp(key, "attr.", 5) == 0) {
    const char *k = key + 5;
    if (!*k || strlen(k) > CCENTER_MAX_NAME)
      return FAIL(p, "%s: bad attribute name", key);
    if (strlen(v) > CCENTER_MAX_VALUE)
      return FAIL(p, "%s: value longer than %d bytes", key, CCENTER_MAX_VALUE);
    if (a->n_attrs == CCENTER_MAX_ATTRS)
      return FAIL(p, "more than %d attributes", CCENTER_MAX_ATTRS);
    if (ctid_grow((void **)&a->attrs, &p->cap_attrs, a->n_attrs, sizeof *a->attrs))
      return FAIL(p, "out of memory");
    ctid_attr *at = &a->attrs[a->n_attrs];
    at->line = p->line;
    if (!(at->key = dup_or_fail(p, k)))
      return -1;
    if (!(at->value = dup_or_fail(p, v))) {
      free(at->key);
      at->key = NULL;
      return -1;
    }
    a->n_attrs++;
    return 0;
  }
  if (strncmp(key, "capacity.", 9) == 0) {
    if (parse_name(channels, key + 9, &x))
      return 1;
    int ch = (int)x;
    if (parse_int(v, 0, CCENTER_MAX_CAPACITY, &x))
      return bad_value(p, key, v);
    a->capacity[ch] = (unsigned)x;
    a->capacity_line[ch] = p->line;
    return 0;
  }
  if (strcmp(key, "wrap_up") == 0) {
    if (strcmp(v, "unlimited") == 0)
      x = -1;
    else if (parse_duration(v, &x) || x > CCENTER_MAX_DURATION_MS)
      return FAIL(p, "wrap_up: '%.60s' is not a duration up to 1 day or 'unlimited'", v);
    a->wrap_up_ms = x;
    a->wrap_up_line = p->line;
    return 0;
  }
  return 1;
}

static int key_principal(parser *p, const char *key, const char *v)
{
  ctid_principal *pr = cur_principal(p);
  int64_t x;
  if (strcmp(key, "role") == 0) {
    if (parse_name(roles, v, &x))
      return bad_value(p, key, v);
    pr->role = (ctid_role)x;
    return 0;
  }
  if (strcmp(key, "agent") == 0) {
    if (!id_ok(v, CCENTER_MAX_ID))
      return FAIL(p, "agent: '%.60s' is not an agent id", v);
    return (pr->agent = dup_or_fail(p, v)) ? 0 : -1;
  }
  if (strcmp(key, "secret") == 0) {
    const char *why;
    if (ctid_hash_check(v, &why))
      return FAIL(p, "secret: %s (make one with ccenter-passwd)", why);
    return (pr->secret = dup_or_fail(p, v)) ? 0 : -1;
  }
  if (strcmp(key, "case_roles") == 0) {
    pr->case_roles_line = p->line;
    return (pr->case_roles = dup_or_fail(p, v)) ? 0 : -1;
  }
  return 1;
}

static int is_loopback(const char *host)
{
  return strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
         strncmp(host, "127.", 4) == 0;
}

static int key_listen(parser *p, const char *key, const char *v)
{
  ctid_listener *l = cur_listener(p);
  int64_t x;
  if (strcmp(key, "tcp") == 0 || strcmp(key, "http") == 0) {
    /* HOST:PORT, or [IPV6]:PORT; http: the same, served by the HTTP side (http.c) */
    if (l->host)
      return FAIL(p, "[listen %s]: 'tcp' and 'http' exclude each other", l->name);
    l->http = key[0] == 'h';
    const char *colon = strrchr(v, ':');
    if (!colon || colon == v || parse_int(colon + 1, 0, 65535, &x))
      return FAIL(p, "tcp: '%.60s' is not HOST:PORT (port 0..65535)", v);
    const char *h = v;
    size_t hn = (size_t)(colon - v);
    if (*h == '[') {
      if (hn < 3 || h[hn - 1] != ']')
        return FAIL(p, "tcp: '%.60s': an IPv6 address goes in brackets", v);
      h++;
      hn -= 2;
    } else if (memchr(h, ':', hn)) {
      return FAIL(p, "tcp: '%.60s': an IPv6 address goes in brackets", v);
    }
    if (!(l->host = malloc(hn + 1)))
      return FAIL(p, "out of memory");
    memcpy(l->host, h, hn);
    l->host[hn] = '\0';
    l->port = (int)x;
    return 0;
  }
  if (strcmp(key, "unix") == 0)
    return (l->path = dup_or_fail(p, v)) ? 0 : -1;
  if (strcmp(key, "tls_cert") == 0)
    return (l->tls_cert = dup_or_fail(p, v)) ? 0 : -1;
  if (strcmp(key, "tls_key") == 0)
    return (l->tls_key = dup_or_fail(p, v)) ? 0 : -1;
  if (strcmp(key, "allow_plain_remote") == 0) {
    if (parse_name(bools, v, &x))
      return bad_value(p, key, v);
    l->allow_plain_remote = (int)x;
    return 0;
  }
  return 1;
}

/* The checks at the end of a section: keys that must be there, keys that go together. */
static int end_section(parser *p)
{
  int line = p->line;
  p->line = p->sect_line;
  int rc = 0;
  switch (p->s) {
  case S_SERVER:
    if (!p->cfg->store_path)
      rc = FAIL(p, "[server] needs 'store'");
    break;
  case S_PRINCIPAL: {
    ctid_principal *pr = cur_principal(p);
    if (!pr->secret)
      rc = FAIL(p, "[principal %s] needs 'secret'", pr->id);
    else if ((int)pr->role < 0)
      rc = FAIL(p, "[principal %s] needs 'role'", pr->id);
    else if (pr->role == CTID_ROLE_AGENT && !pr->agent)
      rc = FAIL(p, "[principal %s] has role agent: it needs 'agent'", pr->id);
    else if (pr->role != CTID_ROLE_AGENT && pr->agent)
      rc = FAIL(p, "[principal %s]: 'agent' is for role agent only", pr->id);
    break;
  }
  case S_LISTEN: {
    ctid_listener *l = cur_listener(p);
    if (!l->host == !l->path)
      rc = FAIL(p, "[listen %s] needs one of 'tcp', 'http' and 'unix'", l->name);
    else if (!l->tls_cert != !l->tls_key)
      rc = FAIL(p, "[listen %s]: 'tls_cert' and 'tls_key' go together", l->name);
    else if (l->path && l->tls_cert)
      rc = FAIL(p, "[listen %s]: TLS is for 'tcp' listeners", l->name);
    else if (l->host && !l->tls_cert && !l->allow_plain_remote && !is_loopback(l->host))
      rc = FAIL(p, "[listen %s]: plain TCP on '%s', not a loopback address: add "
                   "tls_cert and tls_key, or allow_plain_remote = yes", l->name, l->host);
    break;
  }
  default:
    break;
  }
  p->line = line;
  return rc;
}

static int find_named(const parser *p, sect s, const char *name)
{
  const ctid_config *c = p->cfg;
  switch (s) {
  case S_QUEUE:
    for (size_t i = 0; i < c->n_queues; i++)
      if (strcmp(c->queues[i].name, name) == 0)
        return c->queues[i].line;
    break;
  case S_AGENT:
    for (size_t i = 0; i < c->n_agents; i++)
      if (strcmp(c->agents[i].id, name) == 0)
        return c->agents[i].line;
    break;
  case S_PRINCIPAL:
    for (size_t i = 0; i < c->n_principals; i++)
      if (strcmp(c->principals[i].id, name) == 0)
        return c->principals[i].line;
    break;
  default:
    for (size_t i = 0; i < c->n_listeners; i++)
      if (strcmp(c->listeners[i].name, name) == 0)
        return c->listeners[i].line;
  }
  return 0;
}

static int begin_section(parser *p, char *head)
{
  /* head is what is between '[' and ']', trimmed */
  char *name = head + strcspn(head, " \t");
  if (*name) {
    *name++ = '\0';
    name += strspn(name, " \t");
  }
  sect s = S_NONE;
  for (int i = S_SERVER; i <= S_LISTEN; i++)
    if (strcmp(head, sect_kinds[i].name) == 0)
      s = (sect)i;
  if (s == S_NONE)
    return FAIL(p, "unknown section [%.40s] (server, engine, limits, cases, queue, agent, "
                   "principal, listen)", head);
  if (!sect_kinds[s].named) {
    if (*name)
      return FAIL(p, "[%s] takes no name", head);
    if (p->sect_seen[s])
      return FAIL(p, "duplicate section [%s] (first at line %d)", head, p->sect_seen[s]);
    p->sect_seen[s] = p->line;
  } else {
    if (!*name)
      return FAIL(p, "[%s] needs a name: [%s NAME]", head, head);
    if (!id_ok(name, s == S_LISTEN ? CCENTER_MAX_NAME : CCENTER_MAX_ID))
      return FAIL(p, "[%s %.60s]: bad name (printable, no blanks, at most %d bytes)", head,
                  name, s == S_LISTEN ? CCENTER_MAX_NAME : CCENTER_MAX_ID);
    int first = find_named(p, s, name);
    if (first)
      return FAIL(p, "duplicate section [%s %s] (first at line %d)", head, name, first);
  }
  ctid_config *c = p->cfg;
  char *copy = NULL;
  if (sect_kinds[s].named && !(copy = dup_or_fail(p, name)))
    return -1;
  int grown = 0;
  switch (s) {
  case S_QUEUE:
    grown = ctid_grow((void **)&c->queues, &p->cap_queues, c->n_queues, sizeof *c->queues);
    if (!grown) {
      c->queues[c->n_queues] = (ctid_queue){.name = copy, .line = p->line};
      c->n_queues++;
    }
    break;
  case S_AGENT:
    grown = ctid_grow((void **)&c->agents, &p->cap_agents, c->n_agents, sizeof *c->agents);
    if (!grown) {
      c->agents[c->n_agents] = (ctid_agent){.id = copy, .line = p->line, .wrap_up_ms = -2};
      c->n_agents++;
      p->cap_skills = p->cap_attrs = p->cap_serves = 0;
    }
    break;
  case S_PRINCIPAL:
    grown = ctid_grow((void **)&c->principals, &p->cap_principals, c->n_principals,
                      sizeof *c->principals);
    if (!grown) {
      c->principals[c->n_principals] =
        (ctid_principal){.id = copy, .line = p->line, .role = (ctid_role)-1};
      c->n_principals++;
    }
    break;
  case S_LISTEN:
    grown = ctid_grow((void **)&c->listeners, &p->cap_listeners, c->n_listeners,
                      sizeof *c->listeners);
    if (!grown) {
      c->listeners[c->n_listeners] = (ctid_listener){.name = copy, .line = p->line};
      c->n_listeners++;
    }
    break;
  default:
    break;
  }
  if (grown) {
    free(copy);
    return FAIL(p, "out of memory");
  }
  p->s = s;
  p->sect_line = p->line;
  p->n_keys = 0;
  return 0;
}

/* Keys that may appear more than once in a section. */
static int repeatable(sect s, const char *key)
{
  return (s == S_QUEUE && strcmp(key, "step") == 0) ||
         (s == S_CASES && (strcmp(key, "calendar") == 0 || strcmp(key, "workflow") == 0)) ||
         (s == S_AGENT && strcmp(key, "queues") == 0);
}

static int key_value(parser *p, const char *key, const char *v)
{
  if (p->s == S_NONE)
    return FAIL(p, "'%.40s' before the first [section]", key);
  if (!repeatable(p->s, key)) {
    for (size_t i = 0; i < p->n_keys; i++)
      if (strcmp(p->keys[i].key, key) == 0)
        return FAIL(p, "duplicate key '%s' (first at line %d)", key, p->keys[i].line);
    if (ctid_grow((void **)&p->keys, &p->cap_keys, p->n_keys, sizeof *p->keys))
      return FAIL(p, "out of memory");
    strcpy(p->keys[p->n_keys].key, key);
    p->keys[p->n_keys++].line = p->line;
  }
  int rc = 1;
  switch (p->s) {
  case S_SERVER: rc = key_server(p, key, v); break;
  case S_ENGINE:
    rc = set_opt(p, engine_opts, key, v, p->cfg->engine_opt, p->cfg->engine_opt_line);
    break;
  case S_LIMITS: rc = key_limits(p, key, v); break;
  case S_CASES: rc = key_cases(p, key, v); break;
  case S_QUEUE: rc = key_queue(p, key, v); break;
  case S_AGENT: rc = key_agent(p, key, v); break;
  case S_PRINCIPAL: rc = key_principal(p, key, v); break;
  case S_LISTEN: rc = key_listen(p, key, v); break;
  default: break;
  }
  if (rc == 1)
    return FAIL(p, "unknown key '%s' in [%s]", key, sect_kinds[p->s].name);
  return rc;
}

static int key_char(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '.' || c == '-';
}

static int parse_line(parser *p, char *s)
{
  for (const char *q = s; *q; q++)
    if ((unsigned char)*q < ' ' && *q != '\t')
      return FAIL(p, "control character 0x%02x", (unsigned)(unsigned char)*q);
    else if (*q == 0x7f)
      return FAIL(p, "control character 0x7f");
  s += strspn(s, " \t");
  size_t n = strlen(s);
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
    s[--n] = '\0';
  if (!n || *s == '#' || *s == ';')
    return 0;
  if (*s == '[') {
    if (s[n - 1] != ']')
      return FAIL(p, "a section header ends with ']'");
    s[n - 1] = '\0';
    s++;
    s += strspn(s, " \t");
    n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
      s[--n] = '\0';
    if (p->s != S_NONE && end_section(p))
      return -1;
    return begin_section(p, s);
  }
  char *eq = strchr(s, '=');
  if (!eq)
    return FAIL(p, "expected 'key = value' or '[section]'");
  char *v = eq + 1;
  v += strspn(v, " \t");
  char *k_end = eq;
  while (k_end > s && (k_end[-1] == ' ' || k_end[-1] == '\t'))
    k_end--;
  *k_end = '\0';
  if (!*s)
    return FAIL(p, "a key is missing before '='");
  if (strlen(s) >= MAX_KEY)
    return FAIL(p, "key longer than %d bytes", MAX_KEY - 1);
  for (const char *q = s; *q; q++)
    if (!key_char(*q))
      return FAIL(p, "bad character '%c' in key '%.40s'", *q, s);
  if (!*v)
    return FAIL(p, "'%s' has no value", s);
  return key_value(p, s, v);
}

/* The checks that need the whole file: references between sections. */
static int check_refs(parser *p)
{
  ctid_config *c = p->cfg;
  if (!p->sect_seen[S_SERVER])
    return ctid_err(p->err, p->src, 0, "no [server] section (it names the store)"), -1;
  if (!c->n_listeners)
    return ctid_err(p->err, p->src, 0, "no [listen NAME] section"), -1;
  for (size_t i = 0; i < c->n_queues; i++) {
    const ctid_queue *q = &c->queues[i];
    p->line = q->overflow_line;
    if (q->overflow && !ctid_config_queue(c, q->overflow))
      return FAIL(p, "overflow: no [queue %s]", q->overflow);
    if (q->overflow && strcmp(q->overflow, q->name) == 0)
      return FAIL(p, "overflow: a queue cannot overflow to itself");
  }
  for (size_t i = 0; i < c->n_agents; i++)
    for (size_t j = 0; j < c->agents[i].n_serves; j++) {
      const ctid_serve *s = &c->agents[i].serves[j];
      p->line = s->line;
      if (!ctid_config_queue(c, s->queue))
        return FAIL(p, "no [queue %s]", s->queue);
    }
  for (size_t i = 0; i < c->n_principals; i++) {
    const ctid_principal *pr = &c->principals[i];
    p->line = pr->line;
    if (pr->agent && !ctid_config_agent(c, pr->agent))
      return FAIL(p, "[principal %s]: no [agent %s]", pr->id, pr->agent);
  }
  return 0;
}

static void defaults(ctid_config *c)
{
  c->durability = CCENTER_DURABILITY_GROUPED;
  c->group_ms = 100;
  c->group_records = 10000;
  c->limits.frame_max = 64 * 1024;
  c->limits.commands_per_second = 200;
  c->limits.idle_timeout_ms = 120000;
  c->limits.output_max[CTID_ROLE_SWITCH] = 64u * 1024 * 1024;
  c->limits.output_max[CTID_ROLE_AGENT] = 1024u * 1024;
  c->limits.output_max[CTID_ROLE_SUPERVISOR] = 4u * 1024 * 1024;
  c->limits.output_max[CTID_ROLE_WALLBOARD] = 1024u * 1024;
  c->limits.lockout = (ctid_lockout_policy){5, 5 * 60000, 15 * 60000};
}

int ctid_config_parse(const char *text, size_t len, const char *source, ctid_config **out,
                      ctid_conf_error *err)
{
  if (!source)
    source = "<config>";
  if (err)
    err->line = 0, err->message[0] = '\0';
  if (!out || (!text && len))
    return ctid_err(err, source, 0, "no text"), -1;
  ctid_config *c = calloc(1, sizeof *c);
  char *buf = malloc(MAX_LINE + 2);
  if (!c || !buf || !(c->source = strdup(source))) {
    free(c);
    free(buf);
    return ctid_err(err, source, 0, "out of memory"), -1;
  }
  defaults(c);
  parser p = {.cfg = c, .err = err, .src = c->source};
  int rc = 0;
  size_t pos = 0;
  while (pos < len && !rc) {
    p.line++;
    const char *nl = memchr(text + pos, '\n', len - pos);
    size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
    if (n && text[pos + n - 1] == '\r')
      n--;
    if (n > MAX_LINE) {
      rc = FAIL(&p, "line longer than %d bytes", MAX_LINE);
      break;
    }
    if (memchr(text + pos, '\0', n)) {
      rc = FAIL(&p, "NUL byte");
      break;
    }
    memcpy(buf, text + pos, n);
    buf[n] = '\0';
    rc = parse_line(&p, buf);
    pos = nl ? (size_t)(nl - text) + 1 : len;
  }
  if (!rc && p.s != S_NONE)
    rc = end_section(&p);
  if (!rc)
    rc = check_refs(&p);
  free(buf);
  free(p.keys);
  if (rc) {
    ctid_config_free(c);
    return -1;
  }
  *out = c;
  return 0;
}

static void free_assets(ctid_asset *a, size_t n, int workflow)
{
  for (size_t i = 0; i < n; i++) {
    free(a[i].ref);
    free(a[i].path);
    if (workflow)
      ccenter_workflow_free(a[i].obj);
    else
      ccenter_calendar_free(a[i].obj);
  }
  free(a);
}

void ctid_config_free(ctid_config *c)
{
  if (!c)
    return;
  for (size_t i = 0; i < c->n_queues; i++) {
    free(c->queues[i].name);
    free(c->queues[i].overflow);
    for (size_t j = 0; j < c->queues[i].n_steps; j++)
      free(c->queues[i].steps[j].requirement);
  }
  for (size_t i = 0; i < c->n_agents; i++) {
    ctid_agent *a = &c->agents[i];
    free(a->id);
    for (size_t j = 0; j < a->n_skills; j++)
      free(a->skills[j].name);
    for (size_t j = 0; j < a->n_attrs; j++) {
      free(a->attrs[j].key);
      free(a->attrs[j].value);
    }
    for (size_t j = 0; j < a->n_serves; j++)
      free(a->serves[j].queue);
    free(a->skills);
    free(a->attrs);
    free(a->serves);
  }
  for (size_t i = 0; i < c->n_principals; i++) {
    free(c->principals[i].id);
    free(c->principals[i].agent);
    free(c->principals[i].secret);
    free(c->principals[i].case_roles);
  }
  for (size_t i = 0; i < c->n_listeners; i++) {
    free(c->listeners[i].name);
    free(c->listeners[i].host);
    free(c->listeners[i].path);
    free(c->listeners[i].tls_cert);
    free(c->listeners[i].tls_key);
  }
  free_assets(c->calendars, c->n_calendars, 0);
  free_assets(c->workflows, c->n_workflows, 1);
  free(c->queues);
  free(c->agents);
  free(c->principals);
  free(c->listeners);
  free(c->source);
  free(c->base_dir);
  free(c->store_path);
  free(c->data_dir);
  free(c->www_dir);
  free(c);
}

const ctid_principal *ctid_config_principal(const ctid_config *c, const char *id)
{
  for (size_t i = 0; c && id && i < c->n_principals; i++)
    if (strcmp(c->principals[i].id, id) == 0)
      return &c->principals[i];
  return NULL;
}

const ctid_agent *ctid_config_agent(const ctid_config *c, const char *id)
{
  for (size_t i = 0; c && id && i < c->n_agents; i++)
    if (strcmp(c->agents[i].id, id) == 0)
      return &c->agents[i];
  return NULL;
}

const ctid_queue *ctid_config_queue(const ctid_config *c, const char *name)
{
  for (size_t i = 0; c && name && i < c->n_queues; i++)
    if (strcmp(c->queues[i].name, name) == 0)
      return &c->queues[i];
  return NULL;
}
