/*
 * test-store-make FILE [hold]: writes a store for test-store.py, the ccenter-store tool's
 * test: a routing engine "main" and a case engine "fraud" whose records use every column
 * and every kind of `extra` blob (contact params with attributes, steps, preferred agents
 * and a customer that is not UTF-8; thresholds; evidence), NULL and "" arguments, and an
 * audit chain kept with the key "k3y". With `hold` it then keeps the store open until its
 * standard input closes, so the test can see the tool meet a store in use.
 */
#include <stdio.h>
#include <string.h>

#include "ccenter/ccenter.h"
#include "ccenter/store.h"

#define T0 INT64_C(1772442000000)

static int check(int rc, const char *what)
{
  if (rc != 0)
    fprintf(stderr, "test-store-make: %s: %s\n", what, ccenter_strerror(rc));
  return rc != 0;
}

int main(int argc, char **argv)
{
  if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "hold") != 0)) {
    fprintf(stderr, "usage: test-store-make FILE [hold]\n");
    return 2;
  }
  ccenter_store *st = NULL;
  ccenter_engine *e = NULL;
  ccenter_cases *ce = NULL;
  ccenter_workflow *wf = NULL;
  int bad = check(ccenter_store_open(argv[1], NULL, &st), "open");
  bad = bad || check(ccenter_store_engine_new(st, "main", NULL, T0, &e), "engine_new");
  if (!bad) {
    int64_t thr[] = {20000, 30000};
    ccenter_attr attrs[] = {{"lang", "fr"}, {"tier", ""}};
    ccenter_step steps[] = {{"", 5000}};
    const char *pref[] = {"a1"};
    ccenter_contact_params p;
    ccenter_contact_params_init(&p);
    p.priority = 7;
    p.customer = "cust\xff\xfe";
    p.attrs = attrs;
    p.n_attrs = 2;
    p.steps = steps;
    p.n_steps = 1;
    p.preferred = pref;
    p.n_preferred = 1;
    p.emergency = 1;
    bad |= check(ccenter_queue_add(e, "q1", NULL, T0), "queue_add");
    bad |= check(ccenter_queue_set_thresholds(e, "q1", thr, 2, T0), "thresholds");
    bad |= check(ccenter_agent_add(e, "a1", NULL, T0), "agent_add");
    bad |= check(ccenter_agent_set_attr(e, "a1", "site", "", T0 + 1), "attr ''");
    bad |= check(ccenter_agent_set_attr(e, "a1", "site", NULL, T0 + 2), "attr NULL");
    bad |= check(ccenter_contact_enqueue(e, "c1", "q1", &p, T0 + 3), "enqueue");
    bad |= check(ccenter_contact_enqueue(e, "c2", "q1", NULL, T0 + 4), "enqueue NULL");
  }
  bad = bad || check(ccenter_store_cases_new(st, "fraud", NULL, T0, "k3y", 3, &ce), "cases_new");
  if (!bad) {
    bad |= check(ccenter_workflow_new(NULL, "w", &wf), "workflow_new");
    bad = bad || check(ccenter_workflow_add_state(wf, "OPEN", CCENTER_STATE_INITIAL, NULL), "s");
    bad = bad || check(ccenter_workflow_add_state(wf, "DONE", CCENTER_STATE_FINAL, "OK"), "s");
    bad = bad || check(ccenter_workflow_add_transition(wf, "close", "OPEN", "DONE", "agent"), "t");
    bad = bad || check(ccenter_cases_add_workflow(ce, wf, T0), "add_workflow");
    bad = bad || check(ccenter_cases_set_actor(ce, "u1", "agent", T0), "set_actor");
    bad = bad || check(ccenter_case_open(ce, "k1", "w", "u1", NULL, T0 + 10), "case_open");
    ccenter_case_evidence ev[] = {{"police", "PR-1"}, {"call", "rec\t7"}};
    ccenter_case_input in;
    ccenter_case_input_init(&in);
    in.reason = "confirmed";
    in.evidence = ev;
    in.n_evidence = 2;
    bad = bad || check(ccenter_case_transition(ce, "k1", "close", "u1", &in, T0 + 20), "close");
  }
  if (!bad && argc == 3) {
    bad = check(ccenter_store_flush(st), "flush");
    printf("ready\n");
    fflush(stdout);
    while (getchar() != EOF)
      ;
  }
  ccenter_workflow_free(wf);
  int crc = ccenter_store_close(st);
  ccenter_engine_free(e);
  ccenter_cases_free(ce);
  return bad || check(crc, "close");
}
