/*
 * The C side of the protocol's interoperability test (proto_interop.py).
 *
 *   proto-driver serve   reads length-prefixed ClientFrames on stdin, applies each with a
 *                        dispatcher on a routing engine and a case engine at now = the
 *                        frame's request_id (ms), and writes every ServerFrame the
 *                        dispatcher sends, in order, to stdout. Hello needs the
 *                        credential "pw".
 *   proto-driver direct  makes the calls of the test's scenario directly through the C
 *                        API and prints each event the engine raises as a JSON object per
 *                        line, with the schema's field names.
 * Exit status 0, or 1 with a message on stderr.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccenter/ccenter.h"
#include "ccenter/proto.h"

static void out(void *ud, ccenter_proto_session *s, void *sd, const uint8_t *p, size_t n)
{
  (void)ud;
  (void)s;
  (void)sd;
  fwrite(p, 1, n, stdout);
}

static int authorize(void *ud, const ccenter_proto_request *req)
{
  (void)ud;
  if (req->kind == CCENTER_PROTO_HELLO)
    return req->credential_len == 2 && memcmp(req->credential, "pw", 2) == 0 ? 0 : -1;
  return 0;
}

/* The request id of a frame: field 1, a varint, first in the frame as every encoder
 * writes it; 0 when absent. */
static int64_t request_id(const uint8_t *p, size_t len)
{
  if (len < 2 || p[0] != 0x08)
    return 0;
  uint64_t v = 0;
  for (size_t i = 1, shift = 0; i < len && i < 11; i++, shift += 7) {
    v |= (uint64_t)(p[i] & 0x7f) << shift;
    if (!(p[i] & 0x80))
      break;
  }
  return (int64_t)v;
}

static int serve(ccenter_engine *e, ccenter_cases *ce)
{
  ccenter_proto_config cfg;
  ccenter_proto_config_init(&cfg);
  cfg.engine = e;
  cfg.cases = ce;
  cfg.output = out;
  cfg.authorize = authorize;
  ccenter_proto_dispatcher *d;
  ccenter_proto_session *s;
  ccenter_proto_reader *r;
  if (ccenter_proto_dispatcher_new(&cfg, &d) || ccenter_proto_session_new(d, NULL, &s) ||
      ccenter_proto_reader_new(0, &r)) {
    fprintf(stderr, "proto-driver: cannot set up the dispatcher\n");
    return 1;
  }
  uint8_t chunk[4096];
  size_t n;
  int rc = 0;
  while (!rc && (n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
    if ((rc = ccenter_proto_reader_push(r, chunk, n)))
      break;
    const uint8_t *p;
    size_t len;
    while (!rc && ccenter_proto_reader_next(r, &p, &len) == 1)
      rc = ccenter_proto_dispatch(d, s, p, len, request_id(p, len));
  }
  if (rc)
    fprintf(stderr, "proto-driver: %s\n", ccenter_err_name(rc));
  ccenter_proto_reader_free(r);
  ccenter_proto_session_free(s);
  ccenter_proto_dispatcher_free(d);
  return rc != 0;
}

static void str(const char *key, const char *v)
{
  printf(", \"%s\": \"%s\"", key, v ? v : "");
}

static void num(const char *key, int64_t v)
{
  printf(", \"%s\": %" PRId64, key, v);
}

static void print_events(ccenter_engine *e)
{
  const ccenter_event *ev;
  while ((ev = ccenter_engine_next_event(e))) {
    printf("{\"type\": %d", (int)ev->type);
    num("cause", ev->cause);
    num("time", ev->time);
    str("agent", ev->agent);
    str("contact", ev->contact);
    str("queue", ev->queue);
    str("queue_to", ev->queue_to);
    str("agent_to", ev->agent_to);
    str("reason", ev->reason);
    str("customer", ev->customer);
    num("channel", ev->channel);
    num("state", ev->state);
    num("prev_state", ev->prev_state);
    num("outcome", ev->outcome);
    num("party", ev->party);
    num("priority", ev->priority);
    num("position", ev->position);
    num("orig_position", ev->orig_position);
    num("step", ev->step);
    num("score", ev->score);
    num("serving", ev->serving);
    num("wait_ms", ev->wait_ms);
    num("duration_ms", ev->duration_ms);
    num("ewt_ms", ev->ewt_ms);
    num("ring_timeout_ms", ev->ring_timeout_ms);
    num("threshold_ms", ev->threshold_ms);
    num("session_ms", ev->session_ms);
    printf("}\n");
  }
}

/* The scenario of proto_interop.py, call for call at the same times. */
static int direct(ccenter_engine *e)
{
  ccenter_contact_params p;
  ccenter_contact_params_init(&p);
  p.customer = "cust-7";
  int rc = 0;
  rc |= ccenter_queue_add(e, "sales", NULL, 1000);
  rc |= ccenter_agent_add(e, "alice", NULL, 1001);
  rc |= ccenter_agent_serve(e, "alice", "sales", NULL, 1002);
  rc |= ccenter_agent_login(e, "alice", 2000);
  rc |= ccenter_agent_ready(e, "alice", 2001);
  rc |= ccenter_contact_enqueue(e, "call-1", "sales", &p, 3000);
  rc |= ccenter_offer_accept(e, "alice", "call-1", 4000);
  rc |= ccenter_contact_end(e, "call-1", CCENTER_PARTY_CUSTOMER, 9000);
  print_events(e);
  return rc != 0;
}

int main(int argc, char **argv)
{
  if (argc != 2 || (strcmp(argv[1], "serve") && strcmp(argv[1], "direct"))) {
    fprintf(stderr, "usage: proto-driver serve|direct\n");
    return 2;
  }
  ccenter_options *o = ccenter_options_new();
  ccenter_engine *e;
  ccenter_cases *ce;
  if (!o || ccenter_options_set_event_queue(o, 1) || ccenter_engine_new(o, 0, &e) ||
      ccenter_cases_new(NULL, 0, &ce)) {
    fprintf(stderr, "proto-driver: cannot create the engines\n");
    return 1;
  }
  ccenter_options_free(o);
  int rc = strcmp(argv[1], "serve") == 0 ? serve(e, ce) : direct(e);
  ccenter_engine_free(e);
  ccenter_cases_free(ce);
  return rc;
}
