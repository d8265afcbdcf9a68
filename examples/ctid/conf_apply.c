/* ctid's configuration: loading calendars and workflows, applying a configuration to the
   engines, and reloading (conf.h). */
#include "conf.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"

#ifndef CTID_DATA_DIR
#define CTID_DATA_DIR "/usr/local/share/ccenter"
#endif

/* Calendar and workflow files are small; a bigger one is a mistake. */
#define MAX_ASSET (16u * 1024 * 1024)

/* ---------------------------------------------------------------------------------- */
/* Loading                                                                             */

static int read_whole(const char *path, char **text, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return -1;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    if (n == cap) {
      char *nb = cap < MAX_ASSET ? realloc(buf, cap * 2) : NULL;
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0)
      break;
  }
  int bad = ferror(f);
  fclose(f);
  if (!buf || bad) {
    free(buf);
    return -1;
  }
  *text = buf;
  *len = n;
  return 0;
}

static char *join(const char *a, const char *b, const char *c, const char *d)
{
  size_t n = strlen(a) + strlen(b) + strlen(c) + strlen(d) + 1;
  char *s = malloc(n);
  if (s)
    snprintf(s, n, "%s%s%s%s", a, b, c, d);
  return s;
}

static int load_asset(ctid_config *cfg, ctid_asset *a, const char *dir, int workflow,
                      ctid_conf_error *err)
{
  const char *what = workflow ? "workflow" : "calendar";
  if (a->obj)
    return 0;
  free(a->path);
  if (strchr(a->ref, '/'))
    a->path = a->ref[0] == '/' || !cfg->base_dir ? join(a->ref, "", "", "")
                                                 : join(cfg->base_dir, "/", a->ref, "");
  else
    a->path = join(dir, workflow ? "/workflows/" : "/calendars/", a->ref,
                   workflow ? ".wf" : ".cal");
  if (!a->path)
    return ctid_err(err, cfg->source, a->line, "out of memory"), -1;
  char *text;
  size_t len;
  if (read_whole(a->path, &text, &len))
    return ctid_err(err, cfg->source, a->line, "%s '%s': cannot read %s", what, a->ref,
                    a->path), -1;
  ccenter_sha256(text, len, a->digest);
  ccenter_parse_error perr = {.size = sizeof perr};
  int rc = workflow ? ccenter_workflow_parse(NULL, text, len, a->path,
                                             (ccenter_workflow **)&a->obj, &perr)
                    : ccenter_calendar_parse(NULL, text, len, a->path,
                                             (ccenter_calendar **)&a->obj, &perr);
  free(text);
  if (rc)
    return ctid_err(err, cfg->source, a->line, "%s '%s': %s", what, a->ref,
                    rc == CCENTER_ESYNTAX ? perr.message : ccenter_strerror(rc)), -1;
  return 0;
}

int ctid_config_load_assets(ctid_config *cfg, const char *data_dir, ctid_conf_error *err)
{
  if (!cfg)
    return -1;
  const char *dir = cfg->data_dir ? cfg->data_dir : data_dir ? data_dir : CTID_DATA_DIR;
  for (size_t i = 0; i < cfg->n_calendars; i++)
    if (load_asset(cfg, &cfg->calendars[i], dir, 0, err))
      return -1;
  for (size_t i = 0; i < cfg->n_workflows; i++)
    if (load_asset(cfg, &cfg->workflows[i], dir, 1, err))
      return -1;
  return 0;
}

int ctid_config_load_file(const char *path, const char *data_dir, ctid_config **out,
                          ctid_conf_error *err)
{
  char *text;
  size_t len;
  if (!path || !out)
    return -1;
  if (read_whole(path, &text, &len))
    return ctid_err(err, path, 0, "cannot read the file"), -1;
  int rc = ctid_config_parse(text, len, path, out, err);
  free(text);
  if (rc)
    return -1;
  const char *slash = strrchr(path, '/');
  if (slash && !((*out)->base_dir = strndup(path, slash == path ? 1 : (size_t)(slash - path))))
    rc = -1, ctid_err(err, path, 0, "out of memory");
  if (!rc)
    rc = ctid_config_load_assets(*out, data_dir, err);
  if (rc) {
    ctid_config_free(*out);
    *out = NULL;
  }
  return rc;
}

/* ---------------------------------------------------------------------------------- */
/* Applying                                                                            */

/* The library's defaults, for a setting that a reload no longer finds in the file. */
typedef struct defaults {
  int64_t queue[CTID_QUEUE_OPTS];
} defaults;

static const int64_t engine_default[CTID_ENGINE_OPTS + 1] = {
  [CCENTER_ENGINE_MAX_NO_ANSWER] = 3,       [CCENTER_ENGINE_REJECT_DELAY] = 30000,
  [CCENTER_ENGINE_EWT_SAMPLES] = 20,        [CCENTER_ENGINE_STATS_INTERVAL] = 900000,
  [CCENTER_ENGINE_STATS_KEEP] = 96,         [CCENTER_ENGINE_SHORT_ABANDON] = 5000,
  [CCENTER_ENGINE_REPEAT_WINDOW] = 7 * 86400000LL, [CCENTER_ENGINE_SEED] = 1,
};
/* The capacities of a new agent (engine.h, ccenter_agent_add). */
static const unsigned capacity_default[CCENTER_CHANNEL_COUNT_] = {1, 3, 5, 5, 1, 1};

/* Queue defaults are read from a scratch engine, so they are the library's own. */
static int get_defaults(defaults *d)
{
  ccenter_engine *e = NULL;
  int rc = ccenter_engine_new(NULL, 0, &e);
  if (!rc)
    rc = ccenter_queue_add(e, "q", NULL, 0);
  for (int o = 1; !rc && o < CTID_QUEUE_OPTS; o++)
    rc = ccenter_queue_get(e, "q", (ccenter_queue_option)o, &d->queue[o]);
  ccenter_engine_free(e);
  return rc;
}

/* Reports a failed library call against the configuration line that asked for it. */
static int fail_at(int rc, ctid_conf_error *err, const ctid_config *cfg, int line,
                   const char *what, const char *name)
{
  ctid_err(err, cfg->source, line, "%s %s: %s (%s)", what, name, ccenter_strerror(rc),
           ccenter_err_name(rc));
  return rc;
}

static int64_t engine_want(const ctid_config *c, int o)
{
  return c->engine_opt_line[o] ? c->engine_opt[o] : engine_default[o];
}

static int apply_engine(ccenter_engine *e, const ctid_config *cfg, const ctid_config *old,
                        int64_t now, ctid_conf_error *err)
{
  for (int o = 1; o <= CTID_ENGINE_OPTS - 1; o++) {
    int64_t want = engine_want(cfg, o);
    /* Only what is written or changed: setting the statistics interval clears its
       history, even to the same value. */
    if (old ? want == engine_want(old, o) : !cfg->engine_opt_line[o])
      continue;
    int rc = ccenter_engine_set(e, (ccenter_engine_option)o, want, now);
    if (rc)
      return fail_at(rc, err, cfg, cfg->engine_opt_line[o], "engine option",
                     ctid_engine_opt_key(o));
  }
  return 0;
}

static int steps_equal(const ctid_queue *a, const ctid_queue *b)
{
  if (a->n_steps != b->n_steps)
    return 0;
  for (size_t i = 0; i < a->n_steps; i++)
    if (a->steps[i].duration_ms != b->steps[i].duration_ms ||
        strcmp(a->steps[i].requirement, b->steps[i].requirement) != 0)
      return 0;
  return 1;
}

static int thresholds_equal(const ctid_queue *a, const ctid_queue *b)
{
  return a->n_thresholds == b->n_thresholds &&
         memcmp(a->thresholds, b->thresholds, a->n_thresholds * sizeof *a->thresholds) == 0;
}

/* Adds (unless it exists) and sets up a queue; old is its previous configuration or
   NULL. The overflow target is set apart, once every queue exists. */
static int apply_queue(ccenter_engine *e, const ctid_config *cfg, const ctid_queue *q,
                       const ctid_queue *old, const defaults *d, int64_t now,
                       ctid_conf_error *err)
{
  int rc = ccenter_queue_add(e, q->name, NULL, now);
  if (rc && rc != CCENTER_EEXIST)
    return fail_at(rc, err, cfg, q->line, "queue", q->name);
  for (int o = 1; o < CTID_QUEUE_OPTS; o++) {
    int64_t want = q->opt_line[o] ? q->opt[o] : d->queue[o], have;
    rc = ccenter_queue_get(e, q->name, (ccenter_queue_option)o, &have);
    if (!rc && have != want)
      rc = ccenter_queue_set(e, q->name, (ccenter_queue_option)o, want, now);
    if (rc)
      return fail_at(rc, err, cfg, q->opt_line[o] ? q->opt_line[o] : q->line,
                     ctid_queue_opt_key(o), q->name);
  }
  if (!old || !thresholds_equal(q, old)) {
    rc = ccenter_queue_set_thresholds(e, q->name, q->thresholds, q->n_thresholds, now);
    if (rc)
      return fail_at(rc, err, cfg, q->thresholds_line ? q->thresholds_line : q->line,
                     "thresholds of queue", q->name);
  }
  if (!old || !steps_equal(q, old)) {
    rc = ccenter_queue_clear_steps(e, q->name, now);
    if (rc)
      return fail_at(rc, err, cfg, q->line, "steps of queue", q->name);
    for (size_t i = 0; i < q->n_steps; i++) {
      rc = ccenter_queue_add_step(e, q->name, q->steps[i].requirement,
                                  q->steps[i].duration_ms, now);
      if (rc)
        return fail_at(rc, err, cfg, q->steps[i].line, "step of queue", q->name);
    }
  }
  return 0;
}

static int apply_overflow(ccenter_engine *e, const ctid_config *cfg, const ctid_queue *q,
                          int64_t now, ctid_conf_error *err)
{
  int rc = ccenter_queue_set_overflow(e, q->name, q->overflow, now);
  return rc ? fail_at(rc, err, cfg, q->overflow_line ? q->overflow_line : q->line,
                      "overflow of queue", q->name)
            : 0;
}

static const ctid_skill *find_skill(const ctid_agent *a, const char *name)
{
  for (size_t i = 0; i < a->n_skills; i++)
    if (strcmp(a->skills[i].name, name) == 0)
      return &a->skills[i];
  return NULL;
}

static const ctid_attr *find_attr(const ctid_agent *a, const char *key)
{
  for (size_t i = 0; i < a->n_attrs; i++)
    if (strcmp(a->attrs[i].key, key) == 0)
      return &a->attrs[i];
  return NULL;
}

static const ctid_serve *find_serve(const ctid_agent *a, const char *queue)
{
  for (size_t i = 0; i < a->n_serves; i++)
    if (strcmp(a->serves[i].queue, queue) == 0)
      return &a->serves[i];
  return NULL;
}

static unsigned capacity_want(const ctid_agent *a, int ch)
{
  return a->capacity_line[ch] ? a->capacity[ch] : capacity_default[ch];
}

static int apply_agent(ccenter_engine *e, const ctid_config *cfg, const ctid_agent *a,
                       const ctid_agent *old, int64_t now, ctid_conf_error *err)
{
  int rc = ccenter_agent_add(e, a->id, NULL, now);
  if (rc && rc != CCENTER_EEXIST)
    return fail_at(rc, err, cfg, a->line, "agent", a->id);
  for (size_t i = 0; old && i < old->n_skills; i++)
    if (!find_skill(a, old->skills[i].name) &&
        (rc = ccenter_agent_set_skill(e, a->id, old->skills[i].name, 0, now)))
      return fail_at(rc, err, cfg, a->line, "skill removal of agent", a->id);
  for (size_t i = 0; i < a->n_skills; i++) {
    const ctid_skill *was = old ? find_skill(old, a->skills[i].name) : NULL;
    if ((!was || was->level != a->skills[i].level) &&
        (rc = ccenter_agent_set_skill(e, a->id, a->skills[i].name, a->skills[i].level, now)))
      return fail_at(rc, err, cfg, a->skills[i].line, "skill of agent", a->id);
  }
  for (size_t i = 0; old && i < old->n_attrs; i++)
    if (!find_attr(a, old->attrs[i].key) &&
        (rc = ccenter_agent_set_attr(e, a->id, old->attrs[i].key, NULL, now)))
      return fail_at(rc, err, cfg, a->line, "attribute removal of agent", a->id);
  for (size_t i = 0; i < a->n_attrs; i++) {
    const ctid_attr *was = old ? find_attr(old, a->attrs[i].key) : NULL;
    if ((!was || strcmp(was->value, a->attrs[i].value) != 0) &&
        (rc = ccenter_agent_set_attr(e, a->id, a->attrs[i].key, a->attrs[i].value, now)))
      return fail_at(rc, err, cfg, a->attrs[i].line, "attribute of agent", a->id);
  }
  for (int ch = 0; ch < CCENTER_CHANNEL_COUNT_; ch++) {
    unsigned want = capacity_want(a, ch);
    if ((old ? want != capacity_want(old, ch) : a->capacity_line[ch] != 0) &&
        (rc = ccenter_agent_set_capacity(e, a->id, (ccenter_channel)ch, want, now)))
      return fail_at(rc, err, cfg, a->capacity_line[ch] ? a->capacity_line[ch] : a->line,
                     "capacity of agent", a->id);
  }
  /* -2 (not written) gives -1: the queues' wrap-up. */
  int64_t wrap = a->wrap_up_ms == -2 ? -1 : a->wrap_up_ms;
  if ((old ? wrap != (old->wrap_up_ms == -2 ? -1 : old->wrap_up_ms) : a->wrap_up_line != 0) &&
      (rc = ccenter_agent_set_wrap_up(e, a->id, wrap, now)))
    return fail_at(rc, err, cfg, a->wrap_up_line ? a->wrap_up_line : a->line,
                   "wrap_up of agent", a->id);
  for (size_t i = 0; old && i < old->n_serves; i++) {
    if (find_serve(a, old->serves[i].queue))
      continue;
    rc = ccenter_agent_unserve(e, a->id, old->serves[i].queue, now);
    if (rc && rc != CCENTER_ENOENT) /* the queue may be gone with this reload */
      return fail_at(rc, err, cfg, a->line, "queue removal of agent", a->id);
  }
  for (size_t i = 0; i < a->n_serves; i++) {
    const ctid_serve *s = &a->serves[i], *was = old ? find_serve(old, s->queue) : NULL;
    if (was && was->priority == s->priority && was->delay_ms == s->delay_ms &&
        was->reserve == s->reserve)
      continue;
    ccenter_serve_params sp;
    ccenter_serve_params_init(&sp);
    sp.priority = s->priority;
    sp.delay_ms = s->delay_ms;
    sp.reserve = s->reserve;
    if ((rc = ccenter_agent_serve(e, a->id, s->queue, &sp, now)))
      return fail_at(rc, err, cfg, s->line, "queue of agent", a->id);
  }
  return 0;
}

static int add_asset(ccenter_cases *cases, const ctid_config *cfg, const ctid_asset *a,
                     int workflow, int64_t now, ctid_conf_error *err)
{
  if (!a->obj)
    return ctid_err(err, cfg->source, a->line, "%s '%s' is not loaded",
                    workflow ? "workflow" : "calendar", a->ref), CCENTER_EINVAL;
  int rc = workflow ? ccenter_cases_add_workflow(cases, a->obj, now)
                    : ccenter_cases_add_calendar(cases, a->obj, now);
  return rc && rc != CCENTER_EEXIST
           ? fail_at(rc, err, cfg, a->line, workflow ? "workflow" : "calendar", a->ref)
           : 0;
}

static int set_actor(ccenter_cases *cases, const ctid_config *cfg, const ctid_principal *p,
                     int64_t now, ctid_conf_error *err)
{
  int rc = ccenter_cases_set_actor(cases, p->id, p->case_roles, now);
  return rc ? fail_at(rc, err, cfg, p->case_roles_line ? p->case_roles_line : p->line,
                      "case roles of principal", p->id)
            : 0;
}

int ctid_config_apply(ccenter_engine *e, ccenter_cases *cases, const ctid_config *cfg,
                      int64_t now, ctid_conf_error *err)
{
  if (!e || !cfg)
    return CCENTER_EINVAL;
  defaults d;
  int rc = get_defaults(&d);
  if (rc)
    return ctid_err(err, cfg->source, 0, "reading the library's defaults: %s",
                    ccenter_strerror(rc)), rc;
  if ((rc = apply_engine(e, cfg, NULL, now, err)))
    return rc;
  for (size_t i = 0; i < cfg->n_queues; i++)
    if ((rc = apply_queue(e, cfg, &cfg->queues[i], NULL, &d, now, err)))
      return rc;
  for (size_t i = 0; i < cfg->n_queues; i++)
    if ((rc = apply_overflow(e, cfg, &cfg->queues[i], now, err)))
      return rc;
  for (size_t i = 0; i < cfg->n_agents; i++)
    if ((rc = apply_agent(e, cfg, &cfg->agents[i], NULL, now, err)))
      return rc;
  if (!cases)
    return 0;
  for (size_t i = 0; i < cfg->n_calendars; i++)
    if ((rc = add_asset(cases, cfg, &cfg->calendars[i], 0, now, err)))
      return rc;
  for (size_t i = 0; i < cfg->n_workflows; i++)
    if ((rc = add_asset(cases, cfg, &cfg->workflows[i], 1, now, err)))
      return rc;
  for (size_t i = 0; i < cfg->n_principals; i++)
    if (cfg->principals[i].case_roles &&
        (rc = set_actor(cases, cfg, &cfg->principals[i], now, err)))
      return rc;
  return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Differences                                                                         */

const char *ctid_object_name(ctid_object o)
{
  static const char *const n[] = {"server", "engine", "limits", "listen", "queue",
                                  "agent", "principal", "calendar", "workflow"};
  return (unsigned)o < sizeof n / sizeof n[0] ? n[o] : "?";
}

const char *ctid_change_kind_name(ctid_change_kind k)
{
  static const char *const n[] = {"added", "changed", "removed"};
  return (unsigned)k < 3 ? n[k] : "?";
}

const char *ctid_outcome_name(ctid_outcome o)
{
  static const char *const n[] = {"applied", "deferred", "server", "restart"};
  return (unsigned)o < 4 ? n[o] : "?";
}

static int str_eq(const char *a, const char *b)
{
  return a == b || (a && b && strcmp(a, b) == 0);
}

static int queue_eq(const ctid_queue *a, const ctid_queue *b)
{
  for (int o = 1; o < CTID_QUEUE_OPTS; o++)
    if (!a->opt_line[o] != !b->opt_line[o] || (a->opt_line[o] && a->opt[o] != b->opt[o]))
      return 0;
  return str_eq(a->overflow, b->overflow) && thresholds_equal(a, b) && steps_equal(a, b);
}

static int agent_eq(const ctid_agent *a, const ctid_agent *b)
{
  if (a->n_skills != b->n_skills || a->n_attrs != b->n_attrs || a->n_serves != b->n_serves ||
      a->wrap_up_ms != b->wrap_up_ms)
    return 0;
  for (size_t i = 0; i < a->n_skills; i++) {
    const ctid_skill *s = find_skill(b, a->skills[i].name);
    if (!s || s->level != a->skills[i].level)
      return 0;
  }
  for (size_t i = 0; i < a->n_attrs; i++) {
    const ctid_attr *t = find_attr(b, a->attrs[i].key);
    if (!t || strcmp(t->value, a->attrs[i].value) != 0)
      return 0;
  }
  for (size_t i = 0; i < a->n_serves; i++) {
    const ctid_serve *s = find_serve(b, a->serves[i].queue);
    if (!s || s->priority != a->serves[i].priority || s->delay_ms != a->serves[i].delay_ms ||
        s->reserve != a->serves[i].reserve)
      return 0;
  }
  for (int ch = 0; ch < CCENTER_CHANNEL_COUNT_; ch++)
    if (capacity_want(a, ch) != capacity_want(b, ch))
      return 0;
  return 1;
}

static int principal_eq(const ctid_principal *a, const ctid_principal *b)
{
  return a->role == b->role && str_eq(a->agent, b->agent) && str_eq(a->secret, b->secret) &&
         str_eq(a->case_roles, b->case_roles);
}

static int listener_eq(const ctid_listener *a, const ctid_listener *b)
{
  return str_eq(a->host, b->host) && a->port == b->port && str_eq(a->path, b->path) &&
         str_eq(a->tls_cert, b->tls_cert) && str_eq(a->tls_key, b->tls_key) &&
         a->allow_plain_remote == b->allow_plain_remote;
}

static int asset_eq(const ctid_asset *a, const ctid_asset *b)
{
  /* Loaded: the same bytes; not loaded (parsed only): the same name. */
  if (a->obj && b->obj)
    return memcmp(a->digest, b->digest, sizeof a->digest) == 0;
  return strcmp(a->ref, b->ref) == 0;
}

typedef struct dbuf {
  ctid_diff *d;
  size_t cap;
  int oom;
} dbuf;

static void push(dbuf *b, ctid_change_kind k, ctid_object o, const char *name, int line,
                 ctid_outcome out)
{
  if (b->oom || ctid_grow((void **)&b->d->changes, &b->cap, b->d->n, sizeof *b->d->changes)) {
    b->oom = 1;
    return;
  }
  b->d->changes[b->d->n++] = (ctid_change){k, o, name, line, out};
}

/* The named objects of one kind, as a table of (name, element) for a generic diff. */
typedef struct kind_view {
  ctid_object obj;
  const void *arr;
  size_t n, elem;
  size_t name_off, line_off;
} kind_view;

#define VIEW(O, C, ARR, N, T, NAME)                                                      \
  ((kind_view){O, (C)->ARR, (C)->N, sizeof(T), offsetof(T, NAME), offsetof(T, line)})

static const char *v_name(const kind_view *v, size_t i)
{
  return *(char *const *)((const char *)v->arr + i * v->elem + v->name_off);
}

static int v_line(const kind_view *v, size_t i)
{
  return *(const int *)((const char *)v->arr + i * v->elem + v->line_off);
}

static const void *v_find(const kind_view *v, const char *name, size_t *at)
{
  for (size_t i = 0; i < v->n; i++)
    if (strcmp(v_name(v, i), name) == 0) {
      *at = i;
      return (const char *)v->arr + i * v->elem;
    }
  return NULL;
}

static int elem_eq(ctid_object o, const void *a, const void *b)
{
  switch (o) {
  case CTID_OBJ_QUEUE: return queue_eq(a, b);
  case CTID_OBJ_AGENT: return agent_eq(a, b);
  case CTID_OBJ_PRINCIPAL: return principal_eq(a, b);
  case CTID_OBJ_LISTENER: return listener_eq(a, b);
  default: return asset_eq(a, b);
  }
}

/* Where a change of this kind of object lands (docs/ctid.md, "Reload"). */
static ctid_outcome outcome_of(ctid_object o, ctid_change_kind k)
{
  switch (o) {
  case CTID_OBJ_QUEUE:
  case CTID_OBJ_AGENT:
    return CTID_APPLIED;
  case CTID_OBJ_CALENDAR:
  case CTID_OBJ_WORKFLOW:
    return k == CTID_CHANGE_ADDED ? CTID_APPLIED : CTID_RESTART;
  default:
    return CTID_SERVER;
  }
}

static void diff_kind(dbuf *b, const kind_view *ov, const kind_view *nv, int removals)
{
  size_t at;
  if (removals) {
    for (size_t i = 0; i < ov->n; i++)
      if (!v_find(nv, v_name(ov, i), &at))
        push(b, CTID_CHANGE_REMOVED, ov->obj, v_name(ov, i), v_line(ov, i),
             outcome_of(ov->obj, CTID_CHANGE_REMOVED));
    return;
  }
  for (size_t i = 0; i < nv->n; i++) {
    const void *was = v_find(ov, v_name(nv, i), &at);
    const void *now = (const char *)nv->arr + i * nv->elem;
    ctid_change_kind k = was ? CTID_CHANGE_CHANGED : CTID_CHANGE_ADDED;
    if (!was || !elem_eq(nv->obj, was, now))
      push(b, k, nv->obj, v_name(nv, i), v_line(nv, i), outcome_of(nv->obj, k));
  }
}

static int limits_eq(const ctid_limits *a, const ctid_limits *b)
{
  return a->frame_max == b->frame_max && a->commands_per_second == b->commands_per_second &&
         a->idle_timeout_ms == b->idle_timeout_ms &&
         memcmp(a->output_max, b->output_max, sizeof a->output_max) == 0 &&
         a->lockout.failures == b->lockout.failures &&
         a->lockout.window_ms == b->lockout.window_ms &&
         a->lockout.lock_ms == b->lockout.lock_ms;
}

int ctid_config_diff(const ctid_config *o, const ctid_config *n, ctid_diff *out)
{
  if (!o || !n || !out)
    return -1;
  *out = (ctid_diff){0};
  dbuf b = {.d = out};
  if (!str_eq(o->store_path, n->store_path) || !str_eq(o->data_dir, n->data_dir))
    push(&b, CTID_CHANGE_CHANGED, CTID_OBJ_SERVER, "", 0, CTID_RESTART);
  else if (o->durability != n->durability || o->group_ms != n->group_ms ||
           o->group_records != n->group_records)
    push(&b, CTID_CHANGE_CHANGED, CTID_OBJ_SERVER, "", 0, CTID_SERVER);
  for (int i = 1; i <= CTID_ENGINE_OPTS - 1; i++)
    if (engine_want(o, i) != engine_want(n, i)) {
      push(&b, CTID_CHANGE_CHANGED, CTID_OBJ_ENGINE, "", 0, CTID_APPLIED);
      break;
    }
  if (!limits_eq(&o->limits, &n->limits))
    push(&b, CTID_CHANGE_CHANGED, CTID_OBJ_LIMITS, "", 0, CTID_SERVER);
  kind_view views[2][6] = {
    {VIEW(CTID_OBJ_LISTENER, o, listeners, n_listeners, ctid_listener, name),
     VIEW(CTID_OBJ_CALENDAR, o, calendars, n_calendars, ctid_asset, ref),
     VIEW(CTID_OBJ_WORKFLOW, o, workflows, n_workflows, ctid_asset, ref),
     VIEW(CTID_OBJ_QUEUE, o, queues, n_queues, ctid_queue, name),
     VIEW(CTID_OBJ_AGENT, o, agents, n_agents, ctid_agent, id),
     VIEW(CTID_OBJ_PRINCIPAL, o, principals, n_principals, ctid_principal, id)},
    {VIEW(CTID_OBJ_LISTENER, n, listeners, n_listeners, ctid_listener, name),
     VIEW(CTID_OBJ_CALENDAR, n, calendars, n_calendars, ctid_asset, ref),
     VIEW(CTID_OBJ_WORKFLOW, n, workflows, n_workflows, ctid_asset, ref),
     VIEW(CTID_OBJ_QUEUE, n, queues, n_queues, ctid_queue, name),
     VIEW(CTID_OBJ_AGENT, n, agents, n_agents, ctid_agent, id),
     VIEW(CTID_OBJ_PRINCIPAL, n, principals, n_principals, ctid_principal, id)}};
  for (int k = 0; k < 6; k++)
    diff_kind(&b, &views[0][k], &views[1][k], 0);
  /* Removals after everything else, principals and agents before the queues they use. */
  for (int k = 5; k >= 0; k--)
    diff_kind(&b, &views[0][k], &views[1][k], 1);
  if (b.oom) {
    ctid_diff_free(out);
    return -1;
  }
  return 0;
}

void ctid_diff_free(ctid_diff *d)
{
  if (!d)
    return;
  free(d->changes);
  d->changes = NULL;
  d->n = 0;
}

/* ---------------------------------------------------------------------------------- */
/* Reload                                                                              */

static const ctid_asset *find_asset(const ctid_asset *a, size_t n, const char *ref)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp(a[i].ref, ref) == 0)
      return &a[i];
  return NULL;
}

/* Tries to remove a removed agent or queue; 1 when it is still there (deferred). */
static int try_remove(ccenter_engine *e, const ctid_change *c, int64_t now)
{
  int rc;
  if (c->object == CTID_OBJ_QUEUE) {
    rc = ccenter_queue_remove(e, c->name, NULL, now);
  } else {
    ccenter_agent_info info = {.size = sizeof info};
    rc = ccenter_agent_info_get(e, c->name, now, &info);
    if (!rc && info.state != CCENTER_AGENT_LOGGED_OUT) {
      /* Logging out withdraws only ringing offers (back to their places): connected
         contacts and wrap-up finish first, so no call is dropped. */
      if (info.pending_state != CCENTER_AGENT_LOGGED_OUT)
        rc = ccenter_agent_logout(e, c->name, now);
      if (!rc && ccenter_agent_info_get(e, c->name, now, &info) == 0 &&
          info.state != CCENTER_AGENT_LOGGED_OUT)
        return 1;
    }
    if (!rc)
      rc = ccenter_agent_remove(e, c->name, now);
  }
  if (rc == CCENTER_EBUSY)
    return 1;
  return rc == 0 || rc == CCENTER_ENOENT ? 0 : rc;
}

int ctid_config_reload(ccenter_engine *e, ccenter_cases *cases, const ctid_config *o,
                       const ctid_config *n, ctid_diff *diff, int64_t now,
                       ctid_conf_error *err)
{
  if (!e || !o || !n || !diff)
    return CCENTER_EINVAL;
  defaults d;
  int rc = get_defaults(&d);
  if (rc)
    return ctid_err(err, n->source, 0, "reading the library's defaults: %s",
                    ccenter_strerror(rc)), rc;
  /* Additions and changes first (calendars before workflows, queues before agents, as
     the diff orders them); overflow targets once every queue exists; removals last. */
  for (size_t i = 0; i < diff->n; i++) {
    ctid_change *c = &diff->changes[i];
    if (c->kind == CTID_CHANGE_REMOVED)
      continue;
    switch (c->object) {
    case CTID_OBJ_ENGINE:
      rc = apply_engine(e, n, o, now, err);
      break;
    case CTID_OBJ_QUEUE:
      rc = apply_queue(e, n, ctid_config_queue(n, c->name), ctid_config_queue(o, c->name),
                       &d, now, err);
      break;
    case CTID_OBJ_AGENT:
      rc = apply_agent(e, n, ctid_config_agent(n, c->name), ctid_config_agent(o, c->name),
                       now, err);
      break;
    case CTID_OBJ_CALENDAR:
    case CTID_OBJ_WORKFLOW:
      if (cases && c->kind == CTID_CHANGE_ADDED) {
        int wf = c->object == CTID_OBJ_WORKFLOW;
        rc = add_asset(cases, n,
                       wf ? find_asset(n->workflows, n->n_workflows, c->name)
                          : find_asset(n->calendars, n->n_calendars, c->name),
                       wf, now, err);
      }
      break;
    case CTID_OBJ_PRINCIPAL: {
      const ctid_principal *was = ctid_config_principal(o, c->name),
                           *p = ctid_config_principal(n, c->name);
      if (cases && (!was || !str_eq(was->case_roles, p->case_roles)) &&
          (p->case_roles || (was && was->case_roles)))
        rc = set_actor(cases, n, p, now, err);
      break;
    }
    default:
      break;
    }
    if (rc)
      return rc;
  }
  for (size_t i = 0; i < diff->n; i++) {
    const ctid_change *c = &diff->changes[i];
    if (c->object == CTID_OBJ_QUEUE && c->kind != CTID_CHANGE_REMOVED) {
      const ctid_queue *q = ctid_config_queue(n, c->name), *was = ctid_config_queue(o, c->name);
      if ((!was || !str_eq(was->overflow, q->overflow)) &&
          (rc = apply_overflow(e, n, q, now, err)))
        return rc;
    }
  }
  for (size_t i = 0; i < diff->n; i++) {
    ctid_change *c = &diff->changes[i];
    if (c->kind != CTID_CHANGE_REMOVED)
      continue;
    if (c->object == CTID_OBJ_PRINCIPAL && cases) {
      const ctid_principal *was = ctid_config_principal(o, c->name);
      if (was->case_roles && (rc = ccenter_cases_set_actor(cases, c->name, NULL, now)))
        return fail_at(rc, err, o, was->line, "case roles of principal", c->name);
    }
    if (c->object != CTID_OBJ_QUEUE && c->object != CTID_OBJ_AGENT)
      continue;
    rc = try_remove(e, c, now);
    if (rc < 0)
      return fail_at(rc, err, o, c->line, ctid_object_name(c->object), c->name);
    c->outcome = rc ? CTID_DEFERRED : CTID_APPLIED;
  }
  return 0;
}

int ctid_reload_retry(ccenter_engine *e, ctid_diff *diff, int64_t now)
{
  if (!e || !diff)
    return CCENTER_EINVAL;
  int left = 0;
  /* Agents before queues (the diff's order): a removed agent may be the last member. */
  for (size_t i = 0; i < diff->n; i++) {
    ctid_change *c = &diff->changes[i];
    if (c->outcome != CTID_DEFERRED)
      continue;
    int rc = try_remove(e, c, now);
    if (rc < 0)
      return rc;
    if (rc)
      left++;
    else
      c->outcome = CTID_APPLIED;
  }
  return left;
}
