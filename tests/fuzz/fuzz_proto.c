/*
 * libFuzzer harness for the wire protocol: the frame reader and the dispatcher
 * (libccenter/proto/).
 *
 * Each input is a byte stream from one client. The harness opens a session with a
 * handshake of its own (so the fuzzer reaches the commands at once), pushes the input
 * through a reader into the dispatcher, frame by frame, at now = 1000 ms per frame, on
 * a routing engine with a queue and two agents and a case engine with one workflow. It
 * asserts what ccenter/proto.h promises:
 *   - the reader fails only with CCENTER_EFULL or CCENTER_ECORRUPT, and then for good;
 *   - ccenter_proto_dispatch returns 0, or CCENTER_ECORRUPT / CCENTER_EFULL (close), and
 *     after a close verdict the harness stops, as a server would;
 *   - every output is whole frames that decode as ServerFrames; event sequence numbers
 *     go up by one;
 *   - timers fired by a last advance still come out as valid frames.
 * Build: meson setup with -Dfuzz=true and CC=clang (tests/fuzz/run.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccenter/ccenter.h"
#include "ccenter/proto.h"
#include "proto/ccenter.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                      \
  do {                                                                \
    if (!(c)) {                                                       \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
      abort();                                                        \
    }                                                                 \
  } while (0)

typedef struct state {
  uint64_t seq;
} state;

static void output(void *ud, ccenter_proto_session *s, void *sd, const uint8_t *p, size_t n)
{
  state *st = ud;
  (void)sd;
  ccenter_proto_reader *r;
  CHECK(ccenter_proto_reader_new(CCENTER_PROTO_MAX_FRAME_LIMIT, &r) == 0);
  CHECK(ccenter_proto_reader_push(r, p, n) == 0);
  const uint8_t *f;
  size_t len;
  while (ccenter_proto_reader_next(r, &f, &len) == 1) {
    Ccenter__V1__ServerFrame *m = ccenter__v1__server_frame__unpack(NULL, len, f);
    CHECK(m);
    if (!s) {
      uint64_t seq = m->body_case == CCENTER__V1__SERVER_FRAME__BODY_EVENT
                         ? m->event->seq
                         : m->case_event->seq;
      CHECK(m->body_case == CCENTER__V1__SERVER_FRAME__BODY_EVENT ||
            m->body_case == CCENTER__V1__SERVER_FRAME__BODY_CASE_EVENT);
      CHECK(seq == st->seq + 1);
      st->seq = seq;
    }
    ccenter__v1__server_frame__free_unpacked(m, NULL);
  }
  CHECK(ccenter_proto_reader_buffered(r) == 0);
  ccenter_proto_reader_free(r);
}

static ccenter_workflow *workflow(void)
{
  ccenter_workflow *wf = NULL;
  CHECK(ccenter_workflow_new(NULL, "fraud", &wf) == 0);
  CHECK(ccenter_workflow_add_field(wf, "payee", CCENTER_FIELD_ACCOUNT) == 0);
  CHECK(ccenter_workflow_add_field(wf, "amount", CCENTER_FIELD_MONEY) == 0);
  CHECK(ccenter_workflow_add_state(wf, "NEW", CCENTER_STATE_INITIAL, NULL) == 0);
  CHECK(ccenter_workflow_add_state(wf, "STOPPED", 0, NULL) == 0);
  CHECK(ccenter_workflow_add_state(wf, "DONE", CCENTER_STATE_FINAL, "DONE") == 0);
  CHECK(ccenter_workflow_add_transition(wf, "stop", "NEW", "STOPPED", "agent") == 0);
  CHECK(ccenter_workflow_add_transition(wf, "done", "STOPPED", "DONE", "agent") == 0);
  CHECK(ccenter_workflow_set_dual(wf, "done", "supervisor", 60000) == 0);
  CHECK(ccenter_workflow_add_timer(wf, "sla", "NEW", CCENTER_CLOCK_ELAPSED, 5000,
                                   CCENTER_EXPIRY_ALERT, NULL, 0) == 0);
  return wf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  ccenter_options *o = ccenter_options_new();
  ccenter_engine *e;
  ccenter_cases *ce;
  CHECK(o && ccenter_options_set_event_queue(o, 1) == 0);
  CHECK(ccenter_engine_new(o, 0, &e) == 0);
  ccenter_options_free(o);
  CHECK(ccenter_queue_add(e, "q1", NULL, 0) == 0);
  CHECK(ccenter_queue_add(e, "q2", NULL, 0) == 0);
  static const char *const agents[] = {"a1", "a2"};
  for (int k = 0; k < 2; k++) {
    CHECK(ccenter_agent_add(e, agents[k], NULL, 0) == 0);
    CHECK(ccenter_agent_serve(e, agents[k], "q1", NULL, 0) == 0);
    CHECK(ccenter_agent_login(e, agents[k], 0) == 0);
  }
  CHECK(ccenter_cases_new(NULL, 0, &ce) == 0);
  ccenter_workflow *wf = workflow();
  CHECK(ccenter_cases_add_workflow(ce, wf, 0) == 0);
  ccenter_workflow_free(wf);
  CHECK(ccenter_cases_set_actor(ce, "m", "agent", 0) == 0);
  CHECK(ccenter_cases_set_actor(ce, "c", "agent,supervisor", 0) == 0);

  state st = {0};
  ccenter_proto_config cfg;
  ccenter_proto_config_init(&cfg);
  cfg.engine = e;
  cfg.cases = ce;
  cfg.history = 8;
  cfg.max_frame = 1024;
  cfg.output = output;
  cfg.ud = &st;
  ccenter_proto_dispatcher *d;
  ccenter_proto_session *s;
  ccenter_proto_reader *r;
  CHECK(ccenter_proto_dispatcher_new(&cfg, &d) == 0);
  CHECK(ccenter_proto_session_new(d, NULL, &s) == 0);
  CHECK(ccenter_proto_reader_new(1024, &r) == 0);
  /* ClientFrame{hello{protocol_version 1, role SUPERVISOR, principal "f"}} */
  static const uint8_t hello[] = {0x12, 0x07, 0x08, 0x01, 0x10, 0x03, 0x1a, 0x01, 'f'};
  CHECK(ccenter_proto_dispatch(d, s, hello, sizeof hello, 0) == 0);
  CHECK(ccenter_proto_session_role(s) == CCENTER_PROTO_ROLE_SUPERVISOR);

  int64_t now = 0;
  int closed = 0;
  /* Two pushes, split in the middle, as a socket might deliver them. */
  size_t half = size / 2;
  const uint8_t *parts[2] = {data, data + half};
  size_t lens[2] = {half, size - half};
  for (int k = 0; k < 2 && !closed; k++) {
    int rc = ccenter_proto_reader_push(r, parts[k], lens[k]);
    CHECK(rc == 0 || rc == CCENTER_EFULL || rc == CCENTER_ECORRUPT);
    if (rc)
      CHECK(ccenter_proto_reader_push(r, "", 0) == rc);
    const uint8_t *f;
    size_t len;
    while (!closed && ccenter_proto_reader_next(r, &f, &len) == 1) {
      now += 1000;
      int drc = ccenter_proto_dispatch(d, s, f, len, now);
      CHECK(drc == 0 || drc == CCENTER_ECORRUPT || drc == CCENTER_EFULL);
      closed = drc != 0;
    }
    closed |= rc != 0;
  }
  ccenter_proto_dispatcher_advance(d, now + 3600000);
  CHECK(ccenter_proto_dispatcher_last_seq(d) == st.seq);

  ccenter_proto_reader_free(r);
  ccenter_proto_session_free(s);
  ccenter_proto_dispatcher_free(d);
  ccenter_engine_free(e);
  ccenter_cases_free(ce);
  return 0;
}
