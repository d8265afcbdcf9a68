#include "scenario.h"

#include <stdio.h>
#include <string.h>

ccenter_engine *eng;
sc_rec R;

static void on_event(ccenter_engine *e, const ccenter_event *ev, void *ud)
{
  sc_rec *r = ud;
  if (r->try_reentry)
    r->reentry_rc = ccenter_agent_add(e, "intruder", NULL, ev->time);
  if (r->n >= SC_MAXEV)
    return;
  char *l = r->line[r->n++];
  size_t cap = SC_LINE;
  int k = snprintf(l, cap, "%lld %s", (long long)ev->time, ccenter_event_name(ev->type));
#define ADD(...) k += snprintf(l + k, cap - (size_t)k, __VA_ARGS__)
  if (ev->agent)
    ADD(" a=%s", ev->agent);
  if (ev->contact)
    ADD(" c=%s", ev->contact);
  if (ev->queue)
    ADD(" q=%s", ev->queue);
  if (ev->type == CCENTER_EV_AGENT_STATE)
    ADD(" %d->%d", ev->prev_state, ev->state);
  if (ev->type == CCENTER_EV_AGENT_PENDING)
    ADD(" to=%d", ev->state);
  if (ev->reason)
    ADD(" r=%s", ev->reason);
  if (ev->cause)
    ADD(" cause=%s", ccenter_cause_name(ev->cause));
  if (ev->party)
    ADD(" by=%s", ev->party == CCENTER_PARTY_AGENT ? "agent" : "customer");
  if (ev->queue_to)
    ADD(" to=%s", ev->queue_to);
  if (ev->agent_to)
    ADD(" ato=%s", ev->agent_to);
  if (ev->type == CCENTER_EV_CONTACT_ENDED)
    ADD(" out=%d", ev->outcome);
  if (ev->type == CCENTER_EV_STEP)
    ADD(" step=%d", ev->step);
  if (ev->type == CCENTER_EV_CONTACT_QUEUED || ev->type == CCENTER_EV_ANNOUNCE)
    ADD(" pos=%d", ev->position);
#undef ADD
}

void sc_setup(void)
{
  memset(&R, 0, sizeof R);
  ccenter_options *o = ccenter_options_new();
  ccenter_options_set_event_callback(o, on_event, &R);
  ck_assert_int_eq(ccenter_engine_new(o, 0, &eng), 0);
  ccenter_options_free(o);
}

void sc_teardown(void)
{
  const char *bad = cc_engine_check(eng);
  ck_assert_msg(bad == NULL, "invariant: %s", bad ? bad : "");
  ccenter_engine_free(eng);
  eng = NULL;
}

static int word_in(const char *line, const char *w)
{
  size_t wl = strlen(w);
  for (const char *p = line; *p;) {
    const char *end = strchr(p, ' ');
    size_t tl = end ? (size_t)(end - p) : strlen(p);
    if (tl == wl && memcmp(p, w, wl) == 0)
      return 1;
    if (tl > wl && p[tl - wl - 1] == '_' && memcmp(p + tl - wl, w, wl) == 0)
      return 1;
    p += tl;
    while (*p == ' ')
      p++;
  }
  return 0;
}

static int line_has(const char *line, const char *want)
{
  char buf[SC_LINE];
  snprintf(buf, sizeof buf, "%s", want);
  char *save = NULL;
  for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
    if (!word_in(line, w))
      return 0;
  return 1;
}

int sc_seen_from(int from, const char *want)
{
  for (int i = from; i < R.n; i++)
    if (line_has(R.line[i], want))
      return 1;
  return 0;
}

int sc_count(const char *want)
{
  int n = 0;
  for (int i = 0; i < R.n; i++)
    n += line_has(R.line[i], want);
  return n;
}

void sc_agent_skilled(const char *a, const char *q, const char *skill, int level, int64_t t)
{
  OK(ccenter_agent_add(eng, a, NULL, t));
  OK(ccenter_agent_serve(eng, a, q, NULL, t));
  if (skill)
    OK(ccenter_agent_set_skill(eng, a, skill, level, t));
  OK(ccenter_agent_login(eng, a, t));
  OK(ccenter_agent_ready(eng, a, t));
}

void sc_agent_ready(const char *a, const char *q, int64_t t)
{
  sc_agent_skilled(a, q, NULL, 0, t);
}

int sc_cstate(const char *c)
{
  ccenter_contact_info ci = {.size = sizeof ci};
  int rc = ccenter_contact_info_get(eng, c, ccenter_engine_now(eng), &ci);
  return rc ? rc : (int)ci.state;
}
