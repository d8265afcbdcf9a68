/*
 * The C side of the Python bindings' differential test (test_differential.py): reads a
 * script of engine calls on stdin, one per line, makes them through the C API, and prints
 * every call's result and every event the engine raised, one line each, in the same text
 * form the test builds from the bindings' events. The same script through both must print
 * the same lines.
 *
 * Script lines: NOW OP ARGS..., ops
 *   queue Q | agent A | serve A Q PRIO | login A | ready A | notready A REASON|-
 *   enqueue C Q PRIORITY CUSTOMER|- | accept A C | reject A C | end C | abandon C
 *   wrapend A C | hold C | resume C | transfer C Q | advance
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccenter/ccenter.h"

#define S(x) ((x) ? (x) : "-")

static void on_event(ccenter_engine *e, const ccenter_event *ev, void *ud)
{
  (void)e;
  (void)ud;
  printf("ev %s %" PRId64 " %s a=%s c=%s q=%s qt=%s at=%s r=%s cu=%s ch=%d st=%d ps=%d o=%d "
         "p=%d pr=%d pos=%d op=%d step=%d sc=%d sv=%d w=%" PRId64 " d=%" PRId64 " ewt=%" PRId64
         " rt=%" PRId64 " th=%" PRId64 " se=%" PRId64 "\n",
         ccenter_event_name(ev->type), ev->time, ccenter_cause_name(ev->cause), S(ev->agent),
         S(ev->contact), S(ev->queue), S(ev->queue_to), S(ev->agent_to), S(ev->reason),
         S(ev->customer), (int)ev->channel, (int)ev->state, (int)ev->prev_state,
         (int)ev->outcome, (int)ev->party, ev->priority, ev->position, ev->orig_position,
         ev->step, ev->score, ev->serving, ev->wait_ms, ev->duration_ms, ev->ewt_ms,
         ev->ring_timeout_ms, ev->threshold_ms, ev->session_ms);
}

static const char *arg(char **save)
{
  const char *t = strtok_r(NULL, " \n", save);
  return t && strcmp(t, "-") ? t : NULL;
}

int main(void)
{
  ccenter_options *o = ccenter_options_new();
  if (!o || ccenter_options_set_event_callback(o, on_event, NULL))
    return 2;
  ccenter_engine *e = NULL;
  char line[512];
  while (fgets(line, sizeof line, stdin)) {
    char *save = NULL;
    const char *ts = strtok_r(line, " \n", &save);
    const char *op = strtok_r(NULL, " \n", &save);
    if (!ts || !op)
      continue;
    int64_t now = strtoll(ts, NULL, 10);
    if (!e && ccenter_engine_new(o, now, &e))
      return 2;
    const char *a1 = arg(&save), *a2 = arg(&save), *a3 = arg(&save), *a4 = arg(&save);
    int rc;
    if (!strcmp(op, "queue")) {
      rc = ccenter_queue_add(e, a1, NULL, now);
    } else if (!strcmp(op, "agent")) {
      rc = ccenter_agent_add(e, a1, NULL, now);
    } else if (!strcmp(op, "serve")) {
      ccenter_serve_params p;
      ccenter_serve_params_init(&p);
      p.priority = atoi(a3);
      rc = ccenter_agent_serve(e, a1, a2, &p, now);
    } else if (!strcmp(op, "login")) {
      rc = ccenter_agent_login(e, a1, now);
    } else if (!strcmp(op, "ready")) {
      rc = ccenter_agent_ready(e, a1, now);
    } else if (!strcmp(op, "notready")) {
      rc = ccenter_agent_not_ready(e, a1, a2, now);
    } else if (!strcmp(op, "enqueue")) {
      ccenter_contact_params p;
      ccenter_contact_params_init(&p);
      p.priority = atoi(a3);
      p.customer = a4;
      rc = ccenter_contact_enqueue(e, a1, a2, &p, now);
    } else if (!strcmp(op, "accept")) {
      rc = ccenter_offer_accept(e, a1, a2, now);
    } else if (!strcmp(op, "reject")) {
      rc = ccenter_offer_reject(e, a1, a2, now);
    } else if (!strcmp(op, "end")) {
      rc = ccenter_contact_end(e, a1, CCENTER_PARTY_CUSTOMER, now);
    } else if (!strcmp(op, "abandon")) {
      rc = ccenter_contact_abandon(e, a1, now);
    } else if (!strcmp(op, "wrapend")) {
      rc = ccenter_agent_wrap_up_end(e, a1, a2, now);
    } else if (!strcmp(op, "hold")) {
      rc = ccenter_contact_hold(e, a1, now);
    } else if (!strcmp(op, "resume")) {
      rc = ccenter_contact_resume(e, a1, now);
    } else if (!strcmp(op, "transfer")) {
      rc = ccenter_contact_transfer_queue(e, a1, a2, now);
    } else if (!strcmp(op, "advance")) {
      rc = ccenter_engine_advance(e, now);
    } else {
      fprintf(stderr, "diff_driver: unknown op %s\n", op);
      return 2;
    }
    printf("rc %s %d\n", op, rc);
  }
  ccenter_engine_free(e);
  ccenter_options_free(o);
  return 0;
}
