/*
 * The HTTP side's JSON (board.h, docs/wallboard.md "HTTP API").
 */
#include "board.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------- */
/* JSON text                                                                            */

void ctid_jb_free(ctid_jbuf *b)
{
  free(b->p);
  *b = (ctid_jbuf){0};
}

static int jb_grow(ctid_jbuf *b, size_t more)
{
  if (b->oom)
    return -1;
  if (b->len + more + 1 <= b->cap)
    return 0;
  size_t cap = b->cap ? b->cap : 1024;
  while (cap < b->len + more + 1)
    cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) {
    b->oom = 1;
    return -1;
  }
  b->p = p;
  b->cap = cap;
  return 0;
}

static void jb_mem(ctid_jbuf *b, const char *s, size_t n)
{
  if (jb_grow(b, n))
    return;
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}

void ctid_jb_raw(ctid_jbuf *b, const char *s)
{
  jb_mem(b, s, strlen(s));
}

void ctid_jb_fmt(ctid_jbuf *b, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || jb_grow(b, (size_t)n))
    return;
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void ctid_jb_str(ctid_jbuf *b, const char *s)
{
  if (!s) {
    ctid_jb_raw(b, "null");
    return;
  }
  jb_mem(b, "\"", 1);
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    if (*c == '"' || *c == '\\') {
      char e[2] = {'\\', (char)*c};
      jb_mem(b, e, 2);
    } else if (*c < 0x20) {
      ctid_jb_fmt(b, "\\u%04x", *c);
    } else {
      jb_mem(b, (const char *)c, 1);
    }
  }
  jb_mem(b, "\"", 1);
}

/* A number, or null when the library could not define it (rc != 0). */
static void jb_num(ctid_jbuf *b, int rc, double v)
{
  if (rc)
    ctid_jb_raw(b, "null");
  else
    ctid_jb_fmt(b, "%.6g", v);
}

/* A protobuf string: "" is absent. */
static const char *opt_str(const char *s)
{
  return s && *s ? s : NULL;
}

/* ---------------------------------------------------------------------------------- */
/* Wallboard                                                                            */

static int agent_key_cmp(const void *key, const void *elem)
{
  return strcmp(key, (*(Ccenter__V1__AgentInfo *const *)elem)->agent);
}

/* The snapshot's index of an agent (its lists are in strcmp order of the ids), or -1: a
   board of 10,000 agents must not compare every pair. */
static ptrdiff_t agent_index(const Ccenter__V1__Snapshot *sn, const char *agent)
{
  Ccenter__V1__AgentInfo **a =
      sn->n_agents ? bsearch(agent, sn->agents, sn->n_agents, sizeof *sn->agents, agent_key_cmp)
                   : NULL;
  return a ? a - sn->agents : -1;
}

static int queue_key_cmp(const void *key, const void *elem)
{
  return strcmp(key, (*(Ccenter__V1__QueueInfo *const *)elem)->queue);
}

/* An agent's activity as the wallboard counts it. */
enum { ACT_OUT, ACT_READY, ACT_BUSY, ACT_WRAP, ACT_NOT_READY };

static int activity(int logged_out, int ready, unsigned offered, unsigned connected,
                    unsigned wrap_up)
{
  if (logged_out)
    return ACT_OUT;
  if (connected || offered)
    return ACT_BUSY;
  if (wrap_up)
    return ACT_WRAP;
  return ready ? ACT_READY : ACT_NOT_READY;
}

static void count_add(ctid_board_counts *c, int act, int by)
{
  if (act == ACT_OUT)
    return;
  c->logged_in += (unsigned)by;
  unsigned *n = act == ACT_BUSY ? &c->busy : act == ACT_WRAP ? &c->wrap_up
                : act == ACT_READY ? &c->ready : &c->not_ready;
  *n += (unsigned)by;
}

ctid_board_counts *ctid_board_count_agents(const ctid_board_src *src)
{
  const Ccenter__V1__Snapshot *sn = src->snap;
  ctid_board_counts *out = calloc(sn->n_queues ? sn->n_queues : 1, sizeof *out);
  if (!out)
    return NULL;
  if (src->tally) {
    for (size_t i = 0; i < sn->n_queues; i++) {
      const ctid_board_counts *c = ctid_board_tally_queue(src->tally, sn->queues[i]->queue);
      if (c)
        out[i] = *c;
    }
    return out;
  }
  /* One pass over the agents, each found once: 10,000 agents in 20 queues cost 10,000
     look-ups, not 200,000. */
  for (size_t i = 0; i < src->cfg->n_agents; i++) {
    const ctid_agent *a = &src->cfg->agents[i];
    ptrdiff_t k = a->n_serves ? agent_index(sn, a->id) : -1;
    const Ccenter__V1__AgentInfo *ai = k >= 0 ? sn->agents[k] : NULL;
    if (!ai)
      continue;
    int act = activity(ai->state == CCENTER__V1__AGENT_STATE__AGENT_LOGGED_OUT,
                       ai->state == CCENTER__V1__AGENT_STATE__AGENT_READY, ai->offered,
                       ai->connected, ai->wrap_up);
    for (size_t j = 0; j < a->n_serves; j++) {
      Ccenter__V1__QueueInfo **q =
          sn->n_queues ? bsearch(a->serves[j].queue, sn->queues, sn->n_queues,
                                 sizeof *sn->queues, queue_key_cmp)
                       : NULL;
      if (q)
        count_add(&out[q - sn->queues], act, 1);
    }
  }
  return out;
}

/* ---------------------------------------------------------------------------------- */
/* The agent tally                                                                      */

struct ctid_board_tally {
  int made;                 /* the tables below are the configuration's (else: reset) */
  const ctid_config *cfg;   /* the one they were made from: names point into it */
  uint32_t *agent_by_id;    /* configured agents' indexes in strcmp order of their ids */
  uint32_t *queue_by_name;  /* configured queues' indexes in strcmp order of their names */
  uint32_t *serve_at;       /* agent i's queues: serve_q[serve_at[i] .. serve_at[i + 1]) */
  uint32_t *serve_q;
  uint8_t *act;             /* each agent's activity when last read */
  uint8_t *marked;
  uint32_t *marks;          /* agents marked since the last update */
  size_t n_marks;
  ctid_board_counts *counts; /* per configured queue */
};

ctid_board_tally *ctid_board_tally_new(void)
{
  return calloc(1, sizeof(ctid_board_tally));
}

static void tally_drop(ctid_board_tally *t)
{
  free(t->agent_by_id);
  free(t->queue_by_name);
  free(t->serve_at);
  free(t->serve_q);
  free(t->act);
  free(t->marked);
  free(t->marks);
  free(t->counts);
  *t = (ctid_board_tally){0};
}

void ctid_board_tally_free(ctid_board_tally *t)
{
  if (!t)
    return;
  tally_drop(t);
  free(t);
}

void ctid_board_tally_reset(ctid_board_tally *t)
{
  t->made = 0;
}

/* qsort has no context argument: the configuration being sorted. */
static const ctid_config *sort_cfg;

static int agent_ix_cmp(const void *a, const void *b)
{
  return strcmp(sort_cfg->agents[*(const uint32_t *)a].id,
                sort_cfg->agents[*(const uint32_t *)b].id);
}

static int queue_ix_cmp(const void *a, const void *b)
{
  return strcmp(sort_cfg->queues[*(const uint32_t *)a].name,
                sort_cfg->queues[*(const uint32_t *)b].name);
}

/* Index in the configuration of the agent (queue) with this id (name), or -1. */
static ptrdiff_t tally_find(const ctid_board_tally *t, const char *id, int queue)
{
  const uint32_t *by = queue ? t->queue_by_name : t->agent_by_id;
  size_t lo = 0, hi = queue ? t->cfg->n_queues : t->cfg->n_agents;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const char *at = queue ? t->cfg->queues[by[mid]].name : t->cfg->agents[by[mid]].id;
    int c = strcmp(at, id);
    if (c == 0)
      return by[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}

static int tally_make(ctid_board_tally *t, const ctid_config *cfg)
{
  tally_drop(t);
  t->cfg = cfg;
  size_t na = cfg->n_agents, nq = cfg->n_queues, ns = 0;
  for (size_t i = 0; i < na; i++)
    ns += cfg->agents[i].n_serves;
  t->agent_by_id = malloc((na + 1) * sizeof *t->agent_by_id);
  t->queue_by_name = malloc((nq + 1) * sizeof *t->queue_by_name);
  t->serve_at = malloc((na + 1) * sizeof *t->serve_at);
  t->serve_q = malloc((ns + 1) * sizeof *t->serve_q);
  t->act = calloc(na + 1, 1);
  t->marked = calloc(na + 1, 1);
  t->marks = malloc((na + 1) * sizeof *t->marks);
  t->counts = calloc(nq + 1, sizeof *t->counts);
  if (!t->agent_by_id || !t->queue_by_name || !t->serve_at || !t->serve_q || !t->act ||
      !t->marked || !t->marks || !t->counts) {
    tally_drop(t);
    return -1;
  }
  for (size_t i = 0; i < na; i++)
    t->agent_by_id[i] = (uint32_t)i;
  for (size_t i = 0; i < nq; i++)
    t->queue_by_name[i] = (uint32_t)i;
  sort_cfg = cfg;
  qsort(t->agent_by_id, na, sizeof *t->agent_by_id, agent_ix_cmp);
  qsort(t->queue_by_name, nq, sizeof *t->queue_by_name, queue_ix_cmp);
  size_t k = 0;
  for (size_t i = 0; i < na; i++) {
    t->serve_at[i] = (uint32_t)k;
    for (size_t j = 0; j < cfg->agents[i].n_serves; j++) {
      ptrdiff_t q = tally_find(t, cfg->agents[i].serves[j].queue, 1);
      if (q >= 0)
        t->serve_q[k++] = (uint32_t)q;
    }
  }
  t->serve_at[na] = (uint32_t)k;
  /* Every agent is read once now: all marked, all counted as logged out. */
  for (size_t i = 0; i < na; i++) {
    t->marked[i] = 1;
    t->marks[i] = (uint32_t)i;
  }
  t->n_marks = na;
  t->made = 1;
  return 0;
}

void ctid_board_tally_mark(ctid_board_tally *t, const char *agent)
{
  if (!t->made || !agent || !*agent)
    return;
  ptrdiff_t i = tally_find(t, agent, 0);
  if (i >= 0 && !t->marked[i]) {
    t->marked[i] = 1;
    t->marks[t->n_marks++] = (uint32_t)i;
  }
}

int ctid_board_tally_update(ctid_board_tally *t, const ccenter_engine *engine,
                            const ctid_config *cfg, int64_t now)
{
  if ((!t->made || t->cfg != cfg) && tally_make(t, cfg))
    return -1;
  for (size_t m = 0; m < t->n_marks; m++) {
    uint32_t i = t->marks[m];
    t->marked[i] = 0;
    ccenter_agent_info ai = {.size = sizeof ai};
    int act = ACT_OUT;
    if (ccenter_agent_info_get(engine, cfg->agents[i].id, now, &ai) == 0)
      act = activity(ai.state == CCENTER_AGENT_LOGGED_OUT, ai.state == CCENTER_AGENT_READY,
                     ai.offered, ai.connected, ai.wrap_up);
    if (act == t->act[i])
      continue;
    for (uint32_t k = t->serve_at[i]; k < t->serve_at[i + 1]; k++) {
      count_add(&t->counts[t->serve_q[k]], t->act[i], -1);
      count_add(&t->counts[t->serve_q[k]], act, 1);
    }
    t->act[i] = (uint8_t)act;
  }
  t->n_marks = 0;
  return 0;
}

const ctid_board_counts *ctid_board_tally_queue(const ctid_board_tally *t, const char *queue)
{
  if (!t->made)
    return NULL;
  ptrdiff_t q = tally_find(t, queue, 1);
  return q >= 0 ? &t->counts[q] : NULL;
}

static void stat_fields(ctid_jbuf *b, const ccenter_queue_stats *st, int have,
                        const char *prefix)
{
  double v = 0;
  int rc = have ? ccenter_kpi_service_level(st, CCENTER_SL_ABANDONS_IGNORED, &v) : -1;
  ctid_jb_fmt(b, ",\"%s\":", prefix);
  jb_num(b, rc, v * 100);
}

static void queue_json(const ctid_board_src *src, const Ccenter__V1__QueueInfo *q,
                       const ctid_board_counts *ag, ctid_jbuf *b)
{
  int64_t target = 0, threshold = 0;
  ccenter_queue_get(src->engine, q->queue, CCENTER_QUEUE_SL_TARGET, &target);
  ccenter_queue_get(src->engine, q->queue, CCENTER_QUEUE_SL_THRESHOLD, &threshold);
  int64_t now = src->snap->time;
  ccenter_queue_stats day = {.size = sizeof day}, iv = {.size = sizeof iv};
  int have_day = ccenter_stats_queue(src->engine, q->queue, src->day_start, now + 1, &day) == 0;
  int64_t iv_start = ccenter_stats_interval_start(src->engine, now);
  int have_iv = ccenter_stats_queue(src->engine, q->queue, iv_start, now + 1, &iv) == 0;
  ctid_jb_raw(b, "{\"id\":");
  ctid_jb_str(b, q->queue);
  ctid_jb_fmt(b, ",\"waiting\":%u,\"longest_wait_ms\":%lld,\"ewt_ms\":", q->waiting,
              (long long)q->longest_wait_ms);
  if (q->ewt_ms < 0)
    ctid_jb_raw(b, "null");
  else
    ctid_jb_fmt(b, "%lld", (long long)q->ewt_ms);
  ctid_jb_fmt(b, ",\"sl_target_pct\":%.6g,\"sl_threshold_ms\":%lld", (double)target / 100,
              (long long)threshold);
  stat_fields(b, &day, have_day, "sl_today_pct");
  stat_fields(b, &iv, have_iv, "sl_interval_pct");
  double asa = 0, ab = 0;
  int rc_asa = have_day ? ccenter_kpi_asa(&day, &asa) : -1;
  int rc_ab = have_day ? ccenter_kpi_abandon_rate(&day, 1, &ab) : -1;
  ctid_jb_raw(b, ",\"asa_ms\":");
  jb_num(b, rc_asa, asa);
  ctid_jb_raw(b, ",\"abandon_pct\":");
  jb_num(b, rc_ab, ab * 100);
  ctid_jb_fmt(b, ",\"offered_today\":%llu,\"answered_today\":%llu,\"abandoned_today\":%llu",
              (unsigned long long)(have_day ? day.offered : 0),
              (unsigned long long)(have_day ? day.answered : 0),
              (unsigned long long)(have_day ? day.abandoned : 0));
  ctid_jb_fmt(b,
              ",\"agents\":{\"logged_in\":%u,\"ready\":%u,\"busy\":%u,\"wrap_up\":%u,"
              "\"not_ready\":%u}}",
              ag->logged_in, ag->ready, ag->busy, ag->wrap_up, ag->not_ready);
}

/* A workflow's golden window and timer names, read from its canonical text (the library
   has no getter for them): "golden N<unit>" and "timer NAME ...". */
typedef struct wf_meta {
  int64_t golden_ms; /* 0: none */
  char timers[32][CCENTER_MAX_ID + 1];
  size_t n_timers;
} wf_meta;

static int64_t parse_elapsed(const char *s)
{
  static const struct { const char *unit; int64_t ms; } units[] = {
    {"ms", 1}, {"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}};
  char *end;
  long long n = strtoll(s, &end, 10);
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    size_t ul = strlen(units[i].unit);
    if (strncmp(end, units[i].unit, ul) == 0 && (end[ul] == '\n' || end[ul] == 0 || end[ul] == ' '))
      return n * units[i].ms;
  }
  return 0;
}

static void wf_meta_of(const ctid_config *cfg, const char *workflow, wf_meta *m)
{
  memset(m, 0, sizeof *m);
  const ccenter_workflow *wf = NULL;
  for (size_t i = 0; i < cfg->n_workflows && !wf; i++)
    if (cfg->workflows[i].obj &&
        strcmp(ccenter_workflow_name(cfg->workflows[i].obj), workflow) == 0)
      wf = cfg->workflows[i].obj;
  size_t need = 0;
  if (!wf || ccenter_workflow_write(wf, NULL, 0, &need) != CCENTER_ERANGE)
    return;
  char *text = malloc(need + 1);
  if (!text || ccenter_workflow_write(wf, text, need + 1, &need)) {
    free(text);
    return;
  }
  for (char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
    if (strncmp(line, "golden ", 7) == 0)
      m->golden_ms = parse_elapsed(line + 7);
    else if (strncmp(line, "timer ", 6) == 0 && m->n_timers < 32) {
      const char *n = line + 6;
      size_t len = strcspn(n, " \n");
      if (len <= CCENTER_MAX_ID) {
        memcpy(m->timers[m->n_timers], n, len);
        m->timers[m->n_timers++][len] = 0;
      }
    }
  }
  free(text);
}

typedef struct due {
  const char *name;
  int64_t at;
} due;

static int due_cmp(const void *a, const void *b)
{
  const due *x = a, *y = b;
  return x->at < y->at ? -1 : x->at > y->at;
}

/* The fields a case starts with in both lists: "case", "workflow", "state". */
static void case_head(ctid_jbuf *b, const Ccenter__V1__CaseInfo *c)
{
  ctid_jb_raw(b, "{\"case\":");
  ctid_jb_str(b, c->case_id);
  ctid_jb_raw(b, ",\"workflow\":");
  ctid_jb_str(b, c->workflow);
  ctid_jb_raw(b, ",\"state\":");
  ctid_jb_str(b, c->state);
}

static void case_json(const ctid_board_src *src, const Ccenter__V1__CaseInfo *c, ctid_jbuf *b)
{
  wf_meta m;
  wf_meta_of(src->cfg, c->workflow, &m);
  int64_t now = src->snap->time;
  case_head(b, c);
  ctid_jb_raw(b, ",\"golden_window_left_ms\":");
  if (!m.golden_ms || c->contained_at != CCENTER_NO_DEADLINE) {
    ctid_jb_raw(b, "null");
  } else {
    int64_t left = c->opened_at + m.golden_ms - now;
    ctid_jb_fmt(b, "%lld", (long long)(left > 0 ? left : 0));
  }
  due d[32];
  size_t n = 0;
  for (size_t i = 0; i < m.n_timers; i++) {
    int64_t at;
    if (ccenter_case_timer_deadline(src->cases, c->case_id, m.timers[i], &at) == 0 &&
        at != CCENTER_NO_DEADLINE && at < src->day_end)
      d[n++] = (due){m.timers[i], at};
  }
  qsort(d, n, sizeof d[0], due_cmp);
  ctid_jb_raw(b, ",\"deadlines_today\":[");
  for (size_t i = 0; i < n; i++) {
    ctid_jb_raw(b, i ? ",{\"name\":" : "{\"name\":");
    ctid_jb_str(b, d[i].name);
    ctid_jb_fmt(b, ",\"due\":%lld}", (long long)d[i].at);
  }
  ctid_jb_raw(b, "]}");
}

/* Sums b's counters into a (the fields the service level and volume read). */
static void stats_add(ccenter_queue_stats *a, const ccenter_queue_stats *b)
{
  a->offered += b->offered;
  a->answered += b->answered;
  a->answered_within += b->answered_within;
  a->abandoned += b->abandoned;
  a->short_abandoned += b->short_abandoned;
  a->abandoned_within += b->abandoned_within;
}

static void intervals_json(const ctid_board_src *src, ctid_jbuf *b)
{
  const Ccenter__V1__Snapshot *sn = src->snap;
  int64_t now = sn->time;
  int64_t cur = ccenter_stats_interval_start(src->engine, now);
  /* The interval's length: the engine has no getter, the previous interval's start tells. */
  int64_t len = cur - ccenter_stats_interval_start(src->engine, cur - 1);
  ctid_jb_raw(b, ",\"intervals\":[");
  int first = 1;
  if (len > 0) {
    int64_t start = ccenter_stats_interval_start(src->engine, src->day_start);
    if (start < src->day_start)
      start += len;
    /* Short intervals would make a board of thousands (10 s ones: 8,640 a day), built and
       pushed four times a second: the chart keeps the newest ones, a whole day at the
       default 15 minutes. */
    if ((cur - start) / len >= CTID_BOARD_MAX_INTERVALS)
      start = cur - (CTID_BOARD_MAX_INTERVALS - 1) * len;
    for (; start <= cur; start += len) {
      ccenter_queue_stats sum = {.size = sizeof sum};
      for (size_t i = 0; i < sn->n_queues; i++) {
        ccenter_queue_stats st = {.size = sizeof st};
        if (ccenter_stats_queue(src->engine, sn->queues[i]->queue, start, start + len, &st) == 0)
          stats_add(&sum, &st);
      }
      double sl = 0;
      int rc = ccenter_kpi_service_level(&sum, CCENTER_SL_ABANDONS_IGNORED, &sl);
      ctid_jb_fmt(b, "%s{\"start\":%lld,\"offered\":%llu,\"answered\":%llu,\"abandoned\":%llu,"
                     "\"sl_pct\":",
                  first ? "" : ",", (long long)start, (unsigned long long)sum.offered,
                  (unsigned long long)sum.answered, (unsigned long long)sum.abandoned);
      jb_num(b, rc, sl * 100);
      ctid_jb_raw(b, "}");
      first = 0;
    }
  }
  ctid_jb_raw(b, "]");
}

int ctid_board_wallboard(const ctid_board_src *src, ctid_jbuf *b)
{
  const Ccenter__V1__Snapshot *sn = src->snap;
  ctid_board_counts *ag = ctid_board_count_agents(src);
  if (!ag)
    return -1;
  ctid_jb_fmt(b, "{\"time\":%lld,\"seq\":%llu,\"queues\":[", (long long)sn->time,
              (unsigned long long)sn->last_seq);
  for (size_t i = 0; i < sn->n_queues; i++) {
    if (i)
      ctid_jb_raw(b, ",");
    queue_json(src, sn->queues[i], &ag[i], b);
  }
  free(ag);
  ctid_jb_raw(b, "],\"emergency\":[");
  for (size_t i = 0; i < sn->n_cases; i++) {
    if (i)
      ctid_jb_raw(b, ",");
    case_json(src, sn->cases[i], b);
  }
  ctid_jb_raw(b, "]");
  intervals_json(src, b);
  ctid_jb_raw(b, "}");
  return b->oom ? -1 : 0;
}

/* ---------------------------------------------------------------------------------- */
/* Supervisor                                                                           */

static const char *agent_state_name(Ccenter__V1__AgentState s)
{
  switch (s) {
  case CCENTER__V1__AGENT_STATE__AGENT_READY:
    return "ready";
  case CCENTER__V1__AGENT_STATE__AGENT_NOT_READY:
    return "not_ready";
  default:
    return "logged_out";
  }
}

/* Each agent's contact, by the snapshot's agent index: the one connected to it, else one
   ringing at it. One pass over the contacts. */
static const char **agent_contacts(const Ccenter__V1__Snapshot *sn)
{
  const char **with = calloc(sn->n_agents ? sn->n_agents : 1, sizeof *with);
  if (!with)
    return NULL;
  for (size_t i = 0; i < sn->n_contacts; i++) {
    const Ccenter__V1__ContactInfo *c = sn->contacts[i];
    ptrdiff_t k = c->agent && *c->agent ? agent_index(sn, c->agent) : -1;
    if (k < 0)
      continue;
    if (c->state == CCENTER__V1__CONTACT_STATE__CONTACT_CONNECTED)
      with[k] = c->contact; /* over a ringing one */
    else if (c->state == CCENTER__V1__CONTACT_STATE__CONTACT_OFFERED && !with[k])
      with[k] = c->contact;
  }
  return with;
}

int ctid_board_agents(const ctid_board_src *src, ctid_jbuf *b)
{
  const Ccenter__V1__Snapshot *sn = src->snap;
  const char **with = agent_contacts(sn);
  if (!with)
    return -1;
  ctid_jb_raw(b, "[");
  for (size_t i = 0; i < sn->n_agents; i++) {
    const Ccenter__V1__AgentInfo *a = sn->agents[i];
    ctid_jb_raw(b, i ? ",{\"id\":" : "{\"id\":");
    ctid_jb_str(b, a->agent);
    ctid_jb_fmt(b, ",\"state\":\"%s\",\"since\":%lld,\"state_ms\":%lld,\"reason\":",
                agent_state_name(a->state), (long long)a->state_since, (long long)a->state_ms);
    ctid_jb_str(b, opt_str(a->reason));
    ctid_jb_raw(b, ",\"contact\":");
    ctid_jb_str(b, with[i]);
    ctid_jb_raw(b, "}");
  }
  ctid_jb_raw(b, "]");
  free(with);
  return b->oom ? -1 : 0;
}

int ctid_board_proposals(const ctid_board_src *src, ctid_jbuf *b)
{
  const Ccenter__V1__Snapshot *sn = src->snap;
  ctid_jb_raw(b, "[");
  int first = 1;
  for (size_t i = 0; i < sn->n_cases; i++) {
    const Ccenter__V1__CaseInfo *c = sn->cases[i];
    if (!opt_str(c->proposal))
      continue;
    if (!first)
      ctid_jb_raw(b, ",");
    first = 0;
    case_head(b, c);
    ctid_jb_raw(b, ",\"proposal\":");
    ctid_jb_str(b, c->proposal);
    ctid_jb_raw(b, ",\"proposed_by\":");
    ctid_jb_str(b, opt_str(c->proposed_by));
    if (c->proposal_expires == CCENTER_NO_DEADLINE)
      ctid_jb_raw(b, ",\"expires\":null}");
    else
      ctid_jb_fmt(b, ",\"expires\":%lld}", (long long)c->proposal_expires);
  }
  ctid_jb_raw(b, "]");
  return b->oom ? -1 : 0;
}

const Ccenter__V1__CaseInfo *ctid_board_case(const Ccenter__V1__Snapshot *snap, const char *id)
{
  for (size_t i = 0; i < snap->n_cases; i++)
    if (strcmp(snap->cases[i]->case_id, id) == 0)
      return snap->cases[i];
  return NULL;
}

/* ---------------------------------------------------------------------------------- */
/* The light snapshot                                                                   */

static int name_cmp(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

void ctid_board_light_free(ctid_board_light *l)
{
  for (size_t i = 0; i < sizeof l->mem / sizeof l->mem[0]; i++)
    free(l->mem[i]);
  memset(l, 0, sizeof *l);
}

int ctid_board_light_make(const ccenter_engine *engine, const ccenter_cases *cases,
                          const ctid_config *cfg, int agents, char *const *case_ids,
                          size_t n_cases, int64_t now, uint64_t seq, ctid_board_light *out)
{
  memset(out, 0, sizeof *out);
  ccenter__v1__snapshot__init(&out->snap);
  out->snap.time = now;
  out->snap.last_seq = seq;
  size_t nq = cfg->n_queues, na = agents ? cfg->n_agents : 0;
  char **names = malloc((nq + na + 1) * sizeof *names);
  Ccenter__V1__QueueInfo *qs = calloc(nq + 1, sizeof *qs);
  Ccenter__V1__AgentInfo *as = calloc(na + 1, sizeof *as);
  Ccenter__V1__CaseInfo *cs = calloc(n_cases + 1, sizeof *cs);
  void **ptrs = calloc(nq + na + n_cases + 3, sizeof *ptrs);
  out->mem[0] = names;
  out->mem[1] = qs;
  out->mem[2] = as;
  out->mem[3] = cs;
  out->mem[4] = ptrs;
  if (!names || !qs || !as || !cs || !ptrs) {
    ctid_board_light_free(out);
    return -1;
  }
  for (size_t i = 0; i < nq; i++)
    names[i] = cfg->queues[i].name;
  for (size_t i = 0; i < na; i++)
    names[nq + i] = cfg->agents[i].id;
  qsort(names, nq, sizeof *names, name_cmp);
  qsort(names + nq, na, sizeof *names, name_cmp);
  out->snap.queues = (Ccenter__V1__QueueInfo **)ptrs;
  for (size_t i = 0; i < nq; i++) {
    ccenter_queue_info qi = {.size = sizeof qi};
    if (ccenter_queue_info_get(engine, names[i], now, &qi))
      continue;
    Ccenter__V1__QueueInfo *m = &qs[out->snap.n_queues];
    ccenter__v1__queue_info__init(m);
    m->queue = names[i];
    m->waiting = qi.waiting;
    m->offered = qi.offered;
    m->members = qi.members;
    m->members_logged_in = qi.members_logged_in;
    m->members_ready = qi.members_ready;
    m->longest_wait_ms = qi.longest_wait_ms;
    m->ewt_ms = qi.ewt_ms;
    out->snap.queues[out->snap.n_queues++] = m;
  }
  out->snap.agents = (Ccenter__V1__AgentInfo **)(ptrs + nq + 1);
  for (size_t i = 0; i < na; i++) {
    ccenter_agent_info ai = {.size = sizeof ai};
    if (ccenter_agent_info_get(engine, names[nq + i], now, &ai))
      continue;
    Ccenter__V1__AgentInfo *m = &as[out->snap.n_agents];
    ccenter__v1__agent_info__init(m);
    m->agent = names[nq + i];
    m->state = (Ccenter__V1__AgentState)ai.state;
    m->state_since = ai.state_since;
    m->offered = ai.offered;
    m->connected = ai.connected;
    m->wrap_up = ai.wrap_up;
    m->state_ms = ai.state_ms;
    out->snap.agents[out->snap.n_agents++] = m;
  }
  out->snap.cases = (Ccenter__V1__CaseInfo **)(ptrs + nq + na + 2);
  for (size_t i = 0; i < n_cases; i++) {
    ccenter_case_info ci = {.size = sizeof ci};
    if (ccenter_case_info_get(cases, case_ids[i], &ci) || ci.closed)
      continue;
    Ccenter__V1__CaseInfo *m = &cs[out->snap.n_cases];
    ccenter__v1__case_info__init(m);
    m->case_id = case_ids[i];
    m->workflow = (char *)ci.workflow;
    m->state = (char *)ci.state;
    m->opened_at = ci.opened_at;
    m->state_since = ci.state_since;
    m->contained_at = ci.contained_at;
    m->proposal = (char *)(ci.proposal ? ci.proposal : "");
    m->proposed_by = (char *)(ci.proposed_by ? ci.proposed_by : "");
    m->proposal_expires = ci.proposal_expires;
    m->next_deadline = ci.next_deadline;
    out->snap.cases[out->snap.n_cases++] = m;
  }
  return 0;
}
