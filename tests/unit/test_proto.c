/*
 * The wire protocol (ccenter/proto.h): framing, every command kind through encode ->
 * reader -> dispatcher -> engine against the same calls made directly, every event field,
 * strict decoding, authorisation, resume.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccenter/ccenter.h"
#include "ccenter/proto.h"
#include "harness.h"
#include "proto/ccenter.pb-c.h"

#define OK(x) ck_assert_int_eq((x), 0)
#define MIN_MS INT64_C(60000)
#define HOUR_MS (60 * MIN_MS)

/* ---------------------------------------------------------------------------------- */
/* Byte buffers and frames                                                              */

typedef struct buf {
  uint8_t *b;
  size_t n, cap;
} buf;

static void buf_add(buf *o, const void *p, size_t n)
{
  if (o->n + n > o->cap) {
    o->cap = (o->n + n) * 2 + 64;
    o->b = realloc(o->b, o->cap);
    ck_assert_ptr_nonnull(o->b);
  }
  memcpy(o->b + o->n, p, n);
  o->n += n;
}

/* A client frame behind its prefix, appended to o. */
static void put_frame(buf *o, const Ccenter__V1__ClientFrame *f)
{
  size_t len = ccenter__v1__client_frame__get_packed_size(f);
  uint8_t pre[CCENTER_PROTO_PREFIX_MAX];
  buf_add(o, pre, ccenter_proto_prefix(len, pre));
  uint8_t *body = malloc(len + 1);
  ccenter__v1__client_frame__pack(f, body);
  buf_add(o, body, len);
  free(body);
}

static void put_command(buf *o, uint64_t rid, Ccenter__V1__Command *cmd)
{
  Ccenter__V1__ClientFrame f = CCENTER__V1__CLIENT_FRAME__INIT;
  f.request_id = rid;
  f.body_case = CCENTER__V1__CLIENT_FRAME__BODY_COMMAND;
  f.command = cmd;
  put_frame(o, &f);
}

/* The server frames in a buffer of prefixed frames. */
typedef struct frames {
  Ccenter__V1__ServerFrame **f;
  size_t n;
} frames;

static frames parse(const buf *o)
{
  frames fs = {0};
  ccenter_proto_reader *r;
  OK(ccenter_proto_reader_new(CCENTER_PROTO_MAX_FRAME_LIMIT, &r));
  OK(ccenter_proto_reader_push(r, o->b, o->n));
  const uint8_t *p;
  size_t len;
  while (ccenter_proto_reader_next(r, &p, &len) == 1) {
    fs.f = realloc(fs.f, (fs.n + 1) * sizeof *fs.f);
    fs.f[fs.n] = ccenter__v1__server_frame__unpack(NULL, len, p);
    ck_assert_ptr_nonnull(fs.f[fs.n]);
    fs.n++;
  }
  ck_assert_uint_eq(ccenter_proto_reader_buffered(r), 0);
  ccenter_proto_reader_free(r);
  return fs;
}

static void frames_free(frames *fs)
{
  for (size_t k = 0; k < fs->n; k++)
    ccenter__v1__server_frame__free_unpacked(fs->f[k], NULL);
  free(fs->f);
  fs->f = NULL;
  fs->n = 0;
}

/* ---------------------------------------------------------------------------------- */
/* A dispatcher on a routing engine and a case engine, and its output                  */

typedef struct rig {
  ccenter_engine *e;
  ccenter_cases *ce;
  ccenter_proto_dispatcher *d;
  ccenter_proto_session *s;
  buf to_session; /* frames for the session */
  buf events;     /* event frames (broadcast) */
  int refuse_other_agent; /* the hook lets an agent act only as itself */
  int hook_calls;
} rig;

static void output(void *ud, ccenter_proto_session *s, void *sd, const uint8_t *p, size_t n)
{
  rig *g = ud;
  if (s) {
    ck_assert_ptr_eq(sd, g);
    buf_add(&g->to_session, p, n);
  } else {
    ck_assert_ptr_null(sd);
    buf_add(&g->events, p, n);
  }
}

static int authorize(void *ud, const ccenter_proto_request *req)
{
  rig *g = ud;
  g->hook_calls++;
  ck_assert_uint_eq(req->size, sizeof *req);
  ck_assert_ptr_eq(req->session_data, g);
  if (req->kind == CCENTER_PROTO_HELLO)
    return req->credential_len == 6 && memcmp(req->credential, "secret", 6) == 0 ? 0 : -1;
  if (g->refuse_other_agent && req->role == CCENTER_PROTO_ROLE_AGENT && req->agent &&
      strcmp(req->agent, req->principal) != 0)
    return -1;
  return 0;
}

static ccenter_workflow *fraud_wf(void)
{
  ccenter_workflow *wf = NULL;
  OK(ccenter_workflow_new(NULL, "fraud", &wf));
  OK(ccenter_workflow_set_golden(wf, 30 * MIN_MS));
  OK(ccenter_workflow_add_field(wf, "payee", CCENTER_FIELD_ACCOUNT));
  OK(ccenter_workflow_add_field(wf, "amount", CCENTER_FIELD_MONEY));
  OK(ccenter_workflow_add_field(wf, "score", CCENTER_FIELD_INT));
  OK(ccenter_workflow_add_state(wf, "NEW", CCENTER_STATE_INITIAL, NULL));
  OK(ccenter_workflow_add_state(wf, "STOPPED", CCENTER_STATE_CONTAINED, NULL));
  OK(ccenter_workflow_add_state(wf, "REFUNDED", CCENTER_STATE_FINAL, "REIMBURSED"));
  OK(ccenter_workflow_add_state(wf, "CLOSED", CCENTER_STATE_FINAL, "NO_LOSS"));
  OK(ccenter_workflow_add_transition(wf, "stop", "NEW", "STOPPED", "agent"));
  OK(ccenter_workflow_add_action(wf, "stop", "place_stop", MIN_MS));
  OK(ccenter_workflow_add_limit(wf, "stop", "payee", 2));
  OK(ccenter_workflow_add_transition(wf, "refund", "STOPPED", "REFUNDED", "agent"));
  OK(ccenter_workflow_set_dual(wf, "refund", "supervisor", HOUR_MS));
  OK(ccenter_workflow_require_evidence(wf, "refund", "police"));
  OK(ccenter_workflow_add_transition(wf, "close", "*", "CLOSED", "supervisor"));
  OK(ccenter_workflow_add_timer(wf, "stop_sla", "NEW", CCENTER_CLOCK_ELAPSED, 10 * MIN_MS,
                                CCENTER_EXPIRY_ALERT, NULL, CCENTER_TIMER_DEADLINE));
  OK(ccenter_workflow_timer_warn(wf, "stop_sla", 5 * MIN_MS));
  return wf;
}

/* A routing engine with queued events and a case engine with the fraud workflow. */
static void engines(ccenter_engine **e, ccenter_cases **ce)
{
  ccenter_options *o = ccenter_options_new();
  OK(ccenter_options_set_event_queue(o, 1));
  OK(ccenter_engine_new(o, 0, e));
  ccenter_options_free(o);
  OK(ccenter_cases_new(NULL, 0, ce));
  ccenter_workflow *wf = fraud_wf();
  OK(ccenter_cases_add_workflow(*ce, wf, 0));
  ccenter_workflow_free(wf);
}

/* A dispatcher with no session yet (preload comes before any). */
static void rig_bare(rig *g, size_t history, uint64_t first_seq)
{
  memset(g, 0, sizeof *g);
  engines(&g->e, &g->ce);
  ccenter_proto_config cfg;
  ccenter_proto_config_init(&cfg);
  cfg.engine = g->e;
  cfg.cases = g->ce;
  cfg.history = history;
  cfg.first_seq = first_seq;
  cfg.output = output;
  cfg.authorize = authorize;
  cfg.ud = g;
  OK(ccenter_proto_dispatcher_new(&cfg, &g->d));
}

static void rig_init_from(rig *g, size_t history, uint64_t first_seq)
{
  rig_bare(g, history, first_seq);
  OK(ccenter_proto_session_new(g->d, g, &g->s));
}

static void rig_init(rig *g, size_t history)
{
  rig_init_from(g, history, 0);
}

static void rig_free(rig *g)
{
  ccenter_proto_session_free(g->s);
  ccenter_proto_dispatcher_free(g->d);
  ccenter_engine_free(g->e);
  ccenter_cases_free(g->ce);
  free(g->to_session.b);
  free(g->events.b);
}

/* Pushes the bytes of o through a reader into the dispatcher, frame by frame. */
static void feed(rig *g, const buf *o, int64_t now)
{
  ccenter_proto_reader *r;
  OK(ccenter_proto_reader_new(0, &r));
  OK(ccenter_proto_reader_push(r, o->b, o->n));
  const uint8_t *p;
  size_t len;
  while (ccenter_proto_reader_next(r, &p, &len) == 1)
    OK(ccenter_proto_dispatch(g->d, g->s, p, len, now));
  ccenter_proto_reader_free(r);
}

static void hello(rig *g, ccenter_proto_role role, const char *principal, const char *cred)
{
  Ccenter__V1__Hello h = CCENTER__V1__HELLO__INIT;
  h.protocol_version = CCENTER_PROTO_VERSION;
  h.role = (Ccenter__V1__Role)role;
  h.principal = (char *)principal;
  h.credential.data = (uint8_t *)cred;
  h.credential.len = strlen(cred);
  Ccenter__V1__ClientFrame f = CCENTER__V1__CLIENT_FRAME__INIT;
  f.request_id = 1;
  f.body_case = CCENTER__V1__CLIENT_FRAME__BODY_HELLO;
  f.hello = &h;
  buf o = {0};
  put_frame(&o, &f);
  feed(g, &o, ccenter_engine_now(g->e));
  free(o.b);
}

/* The last response sent to the session; the session's buffer is emptied. */
static int last_code(rig *g, char *name, size_t name_len)
{
  frames fs = parse(&g->to_session);
  g->to_session.n = 0;
  int code = 99;
  for (size_t k = 0; k < fs.n; k++)
    if (fs.f[k]->body_case == CCENTER__V1__SERVER_FRAME__BODY_RESPONSE) {
      code = fs.f[k]->response->code;
      if (name)
        snprintf(name, name_len, "%s", fs.f[k]->response->code_name);
    } else if (fs.f[k]->body_case == CCENTER__V1__SERVER_FRAME__BODY_WELCOME) {
      code = 0;
    }
  frames_free(&fs);
  return code;
}

/* ---------------------------------------------------------------------------------- */
/* The script: one step per call, encoded as a frame and made directly                 */

typedef struct step {
  ccenter_proto_kind k;
  const char *a, *b, *c;
  int64_t i1, i2, i3;
  int64_t now;
} step;

#define S(x) ((char *)(x))

/* Builds the Command of a step (sub-messages in *m, which must outlive the packing). */
typedef union submsg {
  Ccenter__V1__EngineSet engine_set;
  Ccenter__V1__Advance advance;
  Ccenter__V1__QueueRef queue;
  Ccenter__V1__AgentRef agent;
  Ccenter__V1__ContactRef contact;
  Ccenter__V1__CaseRef case_ref;
  Ccenter__V1__AgentQueue agent_queue;
  Ccenter__V1__AgentContact agent_contact;
  Ccenter__V1__ContactQueue contact_queue;
  Ccenter__V1__ContactAgent contact_agent;
  Ccenter__V1__QueueRemove queue_remove;
  Ccenter__V1__QueueSet queue_set;
  Ccenter__V1__QueueSetOverflow overflow;
  Ccenter__V1__QueueSetThresholds thresholds;
  Ccenter__V1__QueueAddStep add_step;
  Ccenter__V1__AgentNotReady not_ready;
  Ccenter__V1__AgentServe serve;
  Ccenter__V1__AgentSetSkill skill;
  Ccenter__V1__AgentSetAttr attr;
  Ccenter__V1__AgentSetCapacity capacity;
  Ccenter__V1__AgentSetOverlap overlap;
  Ccenter__V1__AgentSetWrapUp wrap_up;
  Ccenter__V1__WrapUpExtend extend;
  Ccenter__V1__ContactEnqueue enqueue;
  Ccenter__V1__ContactEnd end;
  Ccenter__V1__ContactDisposition disposition;
  Ccenter__V1__ContactSurvey survey;
  Ccenter__V1__CaseOpen case_open;
  Ccenter__V1__CaseSetField set_field;
  Ccenter__V1__CaseLinkContact link;
  Ccenter__V1__CaseTransition transition;
  Ccenter__V1__CaseDecision decision;
  Ccenter__V1__CaseSetActor set_actor;
} submsg;

typedef struct extras {
  int64_t ms[2];
  Ccenter__V1__Attr attr;
  Ccenter__V1__Attr *attrs[1];
  Ccenter__V1__Step st;
  Ccenter__V1__Step *steps[1];
  char *preferred[1];
  Ccenter__V1__Int64Value pto;
  Ccenter__V1__Money money;
  Ccenter__V1__Evidence ev;
  Ccenter__V1__Evidence *evs[1];
} extras;

static void command_of(const step *s, Ccenter__V1__Command *cmd, submsg *m, extras *x)
{
  ccenter__v1__command__init(cmd);
  memset(m, 0, sizeof *m);
  cmd->cmd_case = (Ccenter__V1__Command__CmdCase)s->k;
  /* Every member of the union is a pointer: one assignment serves every kind. */
  cmd->engine_set = (Ccenter__V1__EngineSet *)m;
  switch (s->k) {
  case CCENTER_PROTO_ENGINE_SET:
    ccenter__v1__engine_set__init(&m->engine_set);
    m->engine_set.option = (Ccenter__V1__EngineOption)s->i1;
    m->engine_set.value = s->i2;
    break;
  case CCENTER_PROTO_ADVANCE:
  case CCENTER_PROTO_CASE_ADVANCE:
    ccenter__v1__advance__init(&m->advance);
    break;
  case CCENTER_PROTO_QUEUE_ADD:
  case CCENTER_PROTO_QUEUE_CLEAR_STEPS:
  case CCENTER_PROTO_QUEUE_INFO:
    ccenter__v1__queue_ref__init(&m->queue);
    m->queue.queue = S(s->a);
    break;
  case CCENTER_PROTO_QUEUE_REMOVE:
    ccenter__v1__queue_remove__init(&m->queue_remove);
    m->queue_remove.queue = S(s->a);
    m->queue_remove.drain_to = S(s->b ? s->b : "");
    break;
  case CCENTER_PROTO_QUEUE_SET:
    ccenter__v1__queue_set__init(&m->queue_set);
    m->queue_set.queue = S(s->a);
    m->queue_set.option = (Ccenter__V1__QueueOption)s->i1;
    m->queue_set.value = s->i2;
    break;
  case CCENTER_PROTO_QUEUE_SET_OVERFLOW:
    ccenter__v1__queue_set_overflow__init(&m->overflow);
    m->overflow.queue = S(s->a);
    m->overflow.target = S(s->b ? s->b : "");
    break;
  case CCENTER_PROTO_QUEUE_SET_THRESHOLDS:
    ccenter__v1__queue_set_thresholds__init(&m->thresholds);
    m->thresholds.queue = S(s->a);
    x->ms[0] = s->i1;
    x->ms[1] = s->i2;
    m->thresholds.ms = x->ms;
    m->thresholds.n_ms = 2;
    break;
  case CCENTER_PROTO_QUEUE_ADD_STEP:
    ccenter__v1__queue_add_step__init(&m->add_step);
    m->add_step.queue = S(s->a);
    m->add_step.requirement = S(s->b);
    m->add_step.duration_ms = s->i1;
    break;
  case CCENTER_PROTO_AGENT_ADD:
  case CCENTER_PROTO_AGENT_REMOVE:
  case CCENTER_PROTO_AGENT_LOGIN:
  case CCENTER_PROTO_AGENT_LOGOUT:
  case CCENTER_PROTO_AGENT_READY:
  case CCENTER_PROTO_AGENT_INFO:
    ccenter__v1__agent_ref__init(&m->agent);
    m->agent.agent = S(s->a);
    break;
  case CCENTER_PROTO_AGENT_NOT_READY:
    ccenter__v1__agent_not_ready__init(&m->not_ready);
    m->not_ready.agent = S(s->a);
    m->not_ready.reason = S(s->b ? s->b : "");
    break;
  case CCENTER_PROTO_AGENT_SERVE:
    ccenter__v1__agent_serve__init(&m->serve);
    m->serve.agent = S(s->a);
    m->serve.queue = S(s->b);
    m->serve.priority = (int32_t)s->i1;
    m->serve.delay_ms = s->i2;
    m->serve.reserve = s->i3 != 0;
    break;
  case CCENTER_PROTO_AGENT_UNSERVE:
    ccenter__v1__agent_queue__init(&m->agent_queue);
    m->agent_queue.agent = S(s->a);
    m->agent_queue.queue = S(s->b);
    break;
  case CCENTER_PROTO_AGENT_SET_SKILL:
    ccenter__v1__agent_set_skill__init(&m->skill);
    m->skill.agent = S(s->a);
    m->skill.skill = S(s->b);
    m->skill.level = (int32_t)s->i1;
    break;
  case CCENTER_PROTO_AGENT_SET_ATTR:
    ccenter__v1__agent_set_attr__init(&m->attr);
    m->attr.agent = S(s->a);
    m->attr.key = S(s->b);
    m->attr.value = S(s->c ? s->c : "");
    break;
  case CCENTER_PROTO_AGENT_SET_CAPACITY:
    ccenter__v1__agent_set_capacity__init(&m->capacity);
    m->capacity.agent = S(s->a);
    m->capacity.channel = (Ccenter__V1__Channel)s->i1;
    m->capacity.capacity = (uint32_t)s->i2;
    break;
  case CCENTER_PROTO_AGENT_SET_OVERLAP:
    ccenter__v1__agent_set_overlap__init(&m->overlap);
    m->overlap.agent = S(s->a);
    m->overlap.busy = (Ccenter__V1__Channel)s->i1;
    m->overlap.incoming = (Ccenter__V1__Channel)s->i2;
    m->overlap.allowed = s->i3 != 0;
    break;
  case CCENTER_PROTO_AGENT_SET_WRAP_UP:
    ccenter__v1__agent_set_wrap_up__init(&m->wrap_up);
    m->wrap_up.agent = S(s->a);
    m->wrap_up.wrap_up_ms = s->i1;
    break;
  case CCENTER_PROTO_OFFER_ACCEPT:
  case CCENTER_PROTO_OFFER_REJECT:
  case CCENTER_PROTO_OFFER_MISSED:
  case CCENTER_PROTO_WRAP_UP_END:
    ccenter__v1__agent_contact__init(&m->agent_contact);
    m->agent_contact.agent = S(s->a);
    m->agent_contact.contact = S(s->b);
    break;
  case CCENTER_PROTO_WRAP_UP_EXTEND:
    ccenter__v1__wrap_up_extend__init(&m->extend);
    m->extend.agent = S(s->a);
    m->extend.contact = S(s->b);
    m->extend.extra_ms = s->i1;
    break;
  case CCENTER_PROTO_CONTACT_ENQUEUE:
    ccenter__v1__contact_enqueue__init(&m->enqueue);
    m->enqueue.contact = S(s->a);
    m->enqueue.queue = S(s->b);
    m->enqueue.customer = S(s->c ? s->c : "");
    m->enqueue.priority = (int32_t)s->i1;
    m->enqueue.channel = (Ccenter__V1__Channel)s->i2;
    if (s->i3) {
      ccenter__v1__attr__init(&x->attr);
      x->attr.key = S("lang");
      x->attr.value = S("en");
      x->attrs[0] = &x->attr;
      m->enqueue.attrs = x->attrs;
      m->enqueue.n_attrs = 1;
      ccenter__v1__step__init(&x->st);
      x->st.requirement = S("");
      x->st.duration_ms = 2000;
      x->steps[0] = &x->st;
      m->enqueue.steps = x->steps;
      m->enqueue.n_steps = 1;
      x->preferred[0] = S("a2");
      m->enqueue.preferred = x->preferred;
      m->enqueue.n_preferred = 1;
      ccenter__v1__int64_value__init(&x->pto);
      x->pto.value = 1000;
      m->enqueue.preferred_timeout_ms = &x->pto;
      m->enqueue.emergency = 1;
    }
    break;
  case CCENTER_PROTO_CONTACT_ABANDON:
  case CCENTER_PROTO_CONTACT_REMOVE:
  case CCENTER_PROTO_CONTACT_HOLD:
  case CCENTER_PROTO_CONTACT_RESUME:
  case CCENTER_PROTO_CONTACT_REQUEUE:
  case CCENTER_PROTO_CONSULT_COMPLETE:
  case CCENTER_PROTO_CONSULT_CANCEL:
  case CCENTER_PROTO_CONTACT_CALLBACK:
  case CCENTER_PROTO_CONTACT_INFO:
    ccenter__v1__contact_ref__init(&m->contact);
    m->contact.contact = S(s->a);
    break;
  case CCENTER_PROTO_CONTACT_END:
    ccenter__v1__contact_end__init(&m->end);
    m->end.contact = S(s->a);
    m->end.by = (Ccenter__V1__Party)s->i1;
    break;
  case CCENTER_PROTO_CONTACT_DISPOSITION:
    ccenter__v1__contact_disposition__init(&m->disposition);
    m->disposition.contact = S(s->a);
    m->disposition.code = S(s->b);
    break;
  case CCENTER_PROTO_CONTACT_SURVEY:
    ccenter__v1__contact_survey__init(&m->survey);
    m->survey.contact = S(s->a);
    m->survey.score = (int32_t)s->i1;
    break;
  case CCENTER_PROTO_TRANSFER_QUEUE:
    ccenter__v1__contact_queue__init(&m->contact_queue);
    m->contact_queue.contact = S(s->a);
    m->contact_queue.queue = S(s->b);
    break;
  case CCENTER_PROTO_TRANSFER_AGENT:
  case CCENTER_PROTO_CONSULT_START:
    ccenter__v1__contact_agent__init(&m->contact_agent);
    m->contact_agent.contact = S(s->a);
    m->contact_agent.agent = S(s->b);
    break;
  case CCENTER_PROTO_CASE_OPEN:
    ccenter__v1__case_open__init(&m->case_open);
    m->case_open.case_id = S(s->a);
    m->case_open.workflow = S(s->b);
    m->case_open.actor = S(s->c);
    break;
  case CCENTER_PROTO_CASE_SET_FIELD:
    ccenter__v1__case_set_field__init(&m->set_field);
    m->set_field.case_id = S(s->a);
    m->set_field.field = S(s->b);
    m->set_field.actor = S("maker");
    if (s->i3 == 0) {
      m->set_field.value_case = CCENTER__V1__CASE_SET_FIELD__VALUE_INT_VALUE;
      m->set_field.int_value = s->i1;
    } else if (s->i3 == 1) {
      m->set_field.value_case = CCENTER__V1__CASE_SET_FIELD__VALUE_TEXT_VALUE;
      m->set_field.text_value = S(s->c);
    } else {
      ccenter__v1__money__init(&x->money);
      x->money.minor_units = s->i1;
      x->money.currency = S(s->c);
      m->set_field.value_case = CCENTER__V1__CASE_SET_FIELD__VALUE_MONEY;
      m->set_field.money = &x->money;
    }
    break;
  case CCENTER_PROTO_CASE_LINK_CONTACT:
    ccenter__v1__case_link_contact__init(&m->link);
    m->link.case_id = S(s->a);
    m->link.contact = S(s->b);
    m->link.actor = S(s->c);
    break;
  case CCENTER_PROTO_CASE_TRANSITION:
    ccenter__v1__case_transition__init(&m->transition);
    m->transition.case_id = S(s->a);
    m->transition.transition = S(s->b);
    m->transition.actor = S(s->c);
    m->transition.reason = S("why");
    if (s->i1) {
      ccenter__v1__evidence__init(&x->ev);
      x->ev.name = S("police");
      x->ev.ref = S("PR-1");
      x->evs[0] = &x->ev;
      m->transition.evidence = x->evs;
      m->transition.n_evidence = 1;
    }
    break;
  case CCENTER_PROTO_CASE_APPROVE:
  case CCENTER_PROTO_CASE_REJECT:
    ccenter__v1__case_decision__init(&m->decision);
    m->decision.case_id = S(s->a);
    m->decision.actor = S(s->b);
    m->decision.reason = S(s->c ? s->c : "");
    break;
  case CCENTER_PROTO_CASE_FORGET:
  case CCENTER_PROTO_CASE_INFO:
    ccenter__v1__case_ref__init(&m->case_ref);
    m->case_ref.case_id = S(s->a);
    break;
  case CCENTER_PROTO_CASE_SET_ACTOR:
    ccenter__v1__case_set_actor__init(&m->set_actor);
    m->set_actor.actor = S(s->a);
    m->set_actor.roles = S(s->b);
    break;
  default:
    ck_abort_msg("no frame for kind %d", s->k);
  }
}

/* The same step as a direct call. */
static int direct(const step *s, ccenter_engine *e, ccenter_cases *ce)
{
  int64_t now = s->now;
  switch (s->k) {
  case CCENTER_PROTO_ENGINE_SET:
    return ccenter_engine_set(e, (ccenter_engine_option)s->i1, s->i2, now);
  case CCENTER_PROTO_ADVANCE:
    return ccenter_engine_advance(e, now);
  case CCENTER_PROTO_QUEUE_ADD:
    return ccenter_queue_add(e, s->a, NULL, now);
  case CCENTER_PROTO_QUEUE_REMOVE:
    return ccenter_queue_remove(e, s->a, s->b, now);
  case CCENTER_PROTO_QUEUE_SET:
    return ccenter_queue_set(e, s->a, (ccenter_queue_option)s->i1, s->i2, now);
  case CCENTER_PROTO_QUEUE_SET_OVERFLOW:
    return ccenter_queue_set_overflow(e, s->a, s->b, now);
  case CCENTER_PROTO_QUEUE_SET_THRESHOLDS: {
    int64_t ms[2] = {s->i1, s->i2};
    return ccenter_queue_set_thresholds(e, s->a, ms, 2, now);
  }
  case CCENTER_PROTO_QUEUE_ADD_STEP:
    return ccenter_queue_add_step(e, s->a, s->b, s->i1, now);
  case CCENTER_PROTO_QUEUE_CLEAR_STEPS:
    return ccenter_queue_clear_steps(e, s->a, now);
  case CCENTER_PROTO_AGENT_ADD:
    return ccenter_agent_add(e, s->a, NULL, now);
  case CCENTER_PROTO_AGENT_REMOVE:
    return ccenter_agent_remove(e, s->a, now);
  case CCENTER_PROTO_AGENT_LOGIN:
    return ccenter_agent_login(e, s->a, now);
  case CCENTER_PROTO_AGENT_LOGOUT:
    return ccenter_agent_logout(e, s->a, now);
  case CCENTER_PROTO_AGENT_READY:
    return ccenter_agent_ready(e, s->a, now);
  case CCENTER_PROTO_AGENT_NOT_READY:
    return ccenter_agent_not_ready(e, s->a, s->b, now);
  case CCENTER_PROTO_AGENT_SERVE: {
    ccenter_serve_params p;
    ccenter_serve_params_init(&p);
    p.priority = (int)s->i1;
    p.delay_ms = s->i2;
    p.reserve = (int)s->i3;
    return ccenter_agent_serve(e, s->a, s->b, &p, now);
  }
  case CCENTER_PROTO_AGENT_UNSERVE:
    return ccenter_agent_unserve(e, s->a, s->b, now);
  case CCENTER_PROTO_AGENT_SET_SKILL:
    return ccenter_agent_set_skill(e, s->a, s->b, (int)s->i1, now);
  case CCENTER_PROTO_AGENT_SET_ATTR:
    return ccenter_agent_set_attr(e, s->a, s->b, s->c, now);
  case CCENTER_PROTO_AGENT_SET_CAPACITY:
    return ccenter_agent_set_capacity(e, s->a, (ccenter_channel)s->i1, (unsigned)s->i2, now);
  case CCENTER_PROTO_AGENT_SET_OVERLAP:
    return ccenter_agent_set_overlap(e, s->a, (ccenter_channel)s->i1, (ccenter_channel)s->i2,
                                     (int)s->i3, now);
  case CCENTER_PROTO_AGENT_SET_WRAP_UP:
    return ccenter_agent_set_wrap_up(e, s->a, s->i1, now);
  case CCENTER_PROTO_OFFER_ACCEPT:
    return ccenter_offer_accept(e, s->a, s->b, now);
  case CCENTER_PROTO_OFFER_REJECT:
    return ccenter_offer_reject(e, s->a, s->b, now);
  case CCENTER_PROTO_OFFER_MISSED:
    return ccenter_offer_missed(e, s->a, s->b, now);
  case CCENTER_PROTO_WRAP_UP_END:
    return ccenter_agent_wrap_up_end(e, s->a, s->b, now);
  case CCENTER_PROTO_WRAP_UP_EXTEND:
    return ccenter_agent_wrap_up_extend(e, s->a, s->b, s->i1, now);
  case CCENTER_PROTO_CONTACT_ENQUEUE: {
    ccenter_contact_params p;
    ccenter_contact_params_init(&p);
    p.customer = s->c;
    p.priority = (int)s->i1;
    p.channel = (ccenter_channel)s->i2;
    ccenter_attr attr = {"lang", "en"};
    ccenter_step st = {"", 2000};
    const char *pref[1] = {"a2"};
    if (s->i3) {
      p.attrs = &attr;
      p.n_attrs = 1;
      p.steps = &st;
      p.n_steps = 1;
      p.preferred = pref;
      p.n_preferred = 1;
      p.preferred_timeout_ms = 1000;
      p.emergency = 1;
    }
    return ccenter_contact_enqueue(e, s->a, s->b, &p, now);
  }
  case CCENTER_PROTO_CONTACT_ABANDON:
    return ccenter_contact_abandon(e, s->a, now);
  case CCENTER_PROTO_CONTACT_REMOVE:
    return ccenter_contact_remove(e, s->a, now);
  case CCENTER_PROTO_CONTACT_END:
    return ccenter_contact_end(e, s->a, (ccenter_party)s->i1, now);
  case CCENTER_PROTO_CONTACT_HOLD:
    return ccenter_contact_hold(e, s->a, now);
  case CCENTER_PROTO_CONTACT_RESUME:
    return ccenter_contact_resume(e, s->a, now);
  case CCENTER_PROTO_CONTACT_DISPOSITION:
    return ccenter_contact_disposition(e, s->a, s->b, now);
  case CCENTER_PROTO_CONTACT_SURVEY:
    return ccenter_contact_survey(e, s->a, (int)s->i1, now);
  case CCENTER_PROTO_TRANSFER_QUEUE:
    return ccenter_contact_transfer_queue(e, s->a, s->b, now);
  case CCENTER_PROTO_TRANSFER_AGENT:
    return ccenter_contact_transfer_agent(e, s->a, s->b, now);
  case CCENTER_PROTO_CONTACT_REQUEUE:
    return ccenter_contact_requeue(e, s->a, now);
  case CCENTER_PROTO_CONSULT_START:
    return ccenter_contact_consult_start(e, s->a, s->b, now);
  case CCENTER_PROTO_CONSULT_COMPLETE:
    return ccenter_contact_consult_complete(e, s->a, now);
  case CCENTER_PROTO_CONSULT_CANCEL:
    return ccenter_contact_consult_cancel(e, s->a, now);
  case CCENTER_PROTO_CONTACT_CALLBACK:
    return ccenter_contact_callback(e, s->a, now);
  case CCENTER_PROTO_CASE_OPEN:
    return ccenter_case_open(ce, s->a, s->b, s->c, NULL, now);
  case CCENTER_PROTO_CASE_SET_FIELD:
    if (s->i3 == 0)
      return ccenter_case_set_int(ce, s->a, "maker", s->b, s->i1, now);
    if (s->i3 == 1)
      return ccenter_case_set_text(ce, s->a, "maker", s->b, s->c, now);
    return ccenter_case_set_money(ce, s->a, "maker", s->b, s->i1, s->c, now);
  case CCENTER_PROTO_CASE_LINK_CONTACT:
    return ccenter_case_link_contact(ce, s->a, s->b, s->c, now);
  case CCENTER_PROTO_CASE_TRANSITION: {
    ccenter_case_evidence ev = {"police", "PR-1"};
    ccenter_case_input in;
    ccenter_case_input_init(&in);
    in.reason = "why";
    if (s->i1) {
      in.evidence = &ev;
      in.n_evidence = 1;
    }
    return ccenter_case_transition(ce, s->a, s->b, s->c, &in, now);
  }
  case CCENTER_PROTO_CASE_APPROVE:
    return ccenter_case_approve(ce, s->a, s->b, s->c, now);
  case CCENTER_PROTO_CASE_REJECT:
    return ccenter_case_reject(ce, s->a, s->b, s->c, now);
  case CCENTER_PROTO_CASE_FORGET:
    return ccenter_case_forget(ce, s->a, now);
  case CCENTER_PROTO_CASE_SET_ACTOR:
    return ccenter_cases_set_actor(ce, s->a, s->b, now);
  case CCENTER_PROTO_CASE_ADVANCE:
    return ccenter_cases_advance(ce, now);
  case CCENTER_PROTO_QUEUE_INFO: {
    ccenter_queue_info i = {.size = sizeof i};
    return ccenter_queue_info_get(e, s->a, now, &i);
  }
  case CCENTER_PROTO_AGENT_INFO: {
    ccenter_agent_info i = {.size = sizeof i};
    return ccenter_agent_info_get(e, s->a, now, &i);
  }
  case CCENTER_PROTO_CONTACT_INFO: {
    ccenter_contact_info i = {.size = sizeof i};
    return ccenter_contact_info_get(e, s->a, now, &i);
  }
  case CCENTER_PROTO_CASE_INFO: {
    ccenter_case_info i = {.size = sizeof i};
    return ccenter_case_info_get(ce, s->a, &i);
  }
  default:
    ck_abort_msg("no call for kind %d", s->k);
    return 0;
  }
}

/* Every command kind at least once; most succeed, some fail on purpose (the same way
 * on both sides). */
static const step script[] = {
  {CCENTER_PROTO_ENGINE_SET, 0, 0, 0, CCENTER_ENGINE_REJECT_DELAY, 1000, 0, 0},
  {CCENTER_PROTO_QUEUE_ADD, "q1", 0, 0, 0, 0, 0, 0},
  {CCENTER_PROTO_QUEUE_ADD, "q2", 0, 0, 0, 0, 0, 0},
  {CCENTER_PROTO_QUEUE_ADD, "q3", 0, 0, 0, 0, 0, 0},
  {CCENTER_PROTO_QUEUE_SET, "q1", 0, 0, CCENTER_QUEUE_RING_TIMEOUT, 10000, 0, 0},
  {CCENTER_PROTO_QUEUE_SET, "q1", 0, 0, CCENTER_QUEUE_ANNOUNCE_EVERY, 30000, 0, 0},
  {CCENTER_PROTO_QUEUE_SET, "q1", 0, 0, CCENTER_QUEUE_SL_THRESHOLD, 20000, 0, 0},
  {CCENTER_PROTO_QUEUE_SET_OVERFLOW, "q1", "q2", 0, 0, 0, 0, 0},
  {CCENTER_PROTO_QUEUE_SET_OVERFLOW, "q1", 0, 0, 0, 0, 0, 0},
  {CCENTER_PROTO_QUEUE_SET_THRESHOLDS, "q1", 0, 0, 10000, 30000, 0, 0},
  {CCENTER_PROTO_QUEUE_ADD_STEP, "q2", "english >= 3", 0, 5000, 0, 0, 0},
  {CCENTER_PROTO_QUEUE_ADD_STEP, "q2", "english >=", 0, 5000, 0, 0, 0}, /* ESYNTAX */
  {CCENTER_PROTO_QUEUE_CLEAR_STEPS, "q2", 0, 0, 0, 0, 0, 0},
  {CCENTER_PROTO_AGENT_ADD, "a1", 0, 0, 0, 0, 0, 0},
  {CCENTER_PROTO_AGENT_ADD, "a2", 0, 0, 0, 0, 0, 0},
  {CCENTER_PROTO_AGENT_ADD, "a3", 0, 0, 0, 0, 0, 0},
  {CCENTER_PROTO_AGENT_ADD, "a4", 0, 0, 0, 0, 0, 0},
  {CCENTER_PROTO_AGENT_ADD, "a1", 0, 0, 0, 0, 0, 0}, /* EEXIST */
  {CCENTER_PROTO_AGENT_REMOVE, "a4", 0, 0, 0, 0, 0, 0},
  {CCENTER_PROTO_AGENT_SET_SKILL, "a1", "english", 0, 5, 0, 0, 0},
  {CCENTER_PROTO_AGENT_SET_ATTR, "a1", "site", "paris", 0, 0, 0, 0},
  {CCENTER_PROTO_AGENT_SET_ATTR, "a1", "site", 0, 0, 0, 0, 0},
  {CCENTER_PROTO_AGENT_SET_CAPACITY, "a1", 0, 0, CCENTER_CHANNEL_CHAT, 2, 0, 0},
  {CCENTER_PROTO_AGENT_SET_OVERLAP, "a1", 0, 0, CCENTER_CHANNEL_CHAT, CCENTER_CHANNEL_EMAIL, 0, 0},
  {CCENTER_PROTO_AGENT_SET_WRAP_UP, "a3", 0, 0, -1, 0, 0, 0},
  {CCENTER_PROTO_AGENT_SERVE, "a1", "q1", 0, 0, 0, 0, 0},
  {CCENTER_PROTO_AGENT_SERVE, "a2", "q1", 0, 1, 0, 0, 0},
  {CCENTER_PROTO_AGENT_SERVE, "a3", "q1", 0, 0, 0, 0, 0},
  {CCENTER_PROTO_AGENT_SERVE, "a2", "q2", 0, 0, 0, 0, 0},
  {CCENTER_PROTO_AGENT_SERVE, "a3", "q3", 0, 0, 500, 1, 0},
  {CCENTER_PROTO_AGENT_UNSERVE, "a3", "q3", 0, 0, 0, 0, 0},
  {CCENTER_PROTO_AGENT_LOGIN, "a1", 0, 0, 0, 0, 0, 1000},
  {CCENTER_PROTO_AGENT_LOGIN, "a2", 0, 0, 0, 0, 0, 1000},
  {CCENTER_PROTO_AGENT_LOGIN, "a3", 0, 0, 0, 0, 0, 1000},
  {CCENTER_PROTO_AGENT_READY, "a1", 0, 0, 0, 0, 0, 1000},
  {CCENTER_PROTO_CONTACT_ENQUEUE, "c1", "q1", "cust1", 5, CCENTER_CHANNEL_VOICE, 0, 2000},
  {CCENTER_PROTO_OFFER_REJECT, "a1", "c1", 0, 0, 0, 0, 3000},
  {CCENTER_PROTO_AGENT_READY, "a2", 0, 0, 0, 0, 0, 3000},
  {CCENTER_PROTO_OFFER_MISSED, "a2", "c1", 0, 0, 0, 0, 4000},
  {CCENTER_PROTO_ADVANCE, 0, 0, 0, 0, 0, 0, 6000},
  {CCENTER_PROTO_AGENT_READY, "a2", 0, 0, 0, 0, 0, 6000},
  {CCENTER_PROTO_OFFER_ACCEPT, "a1", "c1", 0, 0, 0, 0, 7000},
  {CCENTER_PROTO_OFFER_ACCEPT, "a2", "c1", 0, 0, 0, 0, 7000},
  {CCENTER_PROTO_CONTACT_HOLD, "c1", 0, 0, 0, 0, 0, 8000},
  {CCENTER_PROTO_CONTACT_RESUME, "c1", 0, 0, 0, 0, 0, 9000},
  {CCENTER_PROTO_CONTACT_DISPOSITION, "c1", "sale", 0, 0, 0, 0, 9500},
  {CCENTER_PROTO_CONTACT_SURVEY, "c1", 0, 0, 90, 0, 0, 9500},
  {CCENTER_PROTO_CONTACT_INFO, "c1", 0, 0, 0, 0, 0, 9500},
  {CCENTER_PROTO_AGENT_INFO, "a1", 0, 0, 0, 0, 0, 9500},
  {CCENTER_PROTO_QUEUE_INFO, "q1", 0, 0, 0, 0, 0, 9500},
  {CCENTER_PROTO_AGENT_READY, "a3", 0, 0, 0, 0, 0, 9600},
  {CCENTER_PROTO_CONSULT_START, "c1", "a3", 0, 0, 0, 0, 10000},
  {CCENTER_PROTO_OFFER_ACCEPT, "a3", "c1", 0, 0, 0, 0, 11000},
  {CCENTER_PROTO_CONSULT_CANCEL, "c1", 0, 0, 0, 0, 0, 12000},
  {CCENTER_PROTO_CONSULT_START, "c1", "a3", 0, 0, 0, 0, 13000},
  {CCENTER_PROTO_OFFER_ACCEPT, "a3", "c1", 0, 0, 0, 0, 14000},
  {CCENTER_PROTO_CONSULT_COMPLETE, "c1", 0, 0, 0, 0, 0, 15000},
  {CCENTER_PROTO_CONTACT_END, "c1", 0, 0, CCENTER_PARTY_CUSTOMER, 0, 0, 20000},
  {CCENTER_PROTO_WRAP_UP_EXTEND, "a3", "c1", 0, 5000, 0, 0, 20500},
  {CCENTER_PROTO_WRAP_UP_END, "a3", "c1", 0, 0, 0, 0, 21000},
  {CCENTER_PROTO_AGENT_READY, "a3", 0, 0, 0, 0, 0, 21000},
  {CCENTER_PROTO_CONTACT_ENQUEUE, "c2", "q1", 0, 0, CCENTER_CHANNEL_VOICE, 1, 22000},
  {CCENTER_PROTO_OFFER_ACCEPT, "a2", "c2", 0, 0, 0, 0, 23000},
  {CCENTER_PROTO_TRANSFER_QUEUE, "c2", "q2", 0, 0, 0, 0, 24000},
  {CCENTER_PROTO_ADVANCE, 0, 0, 0, 0, 0, 0, 40000},
  {CCENTER_PROTO_CONTACT_ENQUEUE, "c3", "q2", 0, 0, CCENTER_CHANNEL_VOICE, 0, 41000},
  {CCENTER_PROTO_CONTACT_CALLBACK, "c3", 0, 0, 0, 0, 0, 42000},
  {CCENTER_PROTO_CONTACT_ENQUEUE, "c4", "q3", 0, 0, CCENTER_CHANNEL_CHAT, 0, 43000},
  {CCENTER_PROTO_CONTACT_ENQUEUE, "c5", "q3", 0, 0, CCENTER_CHANNEL_CHAT, 0, 43000},
  {CCENTER_PROTO_CONTACT_ABANDON, "c4", 0, 0, 0, 0, 0, 44000},
  {CCENTER_PROTO_CONTACT_REMOVE, "c5", 0, 0, 0, 0, 0, 44000},
  {CCENTER_PROTO_AGENT_NOT_READY, "a1", "lunch", 0, 0, 0, 0, 45000},
  {CCENTER_PROTO_ADVANCE, 0, 0, 0, 0, 0, 0, 90000},
  {CCENTER_PROTO_CONTACT_ENQUEUE, "c6", "q1", 0, 0, CCENTER_CHANNEL_VOICE, 0, 91000},
  {CCENTER_PROTO_OFFER_ACCEPT, "a3", "c6", 0, 0, 0, 0, 92000},
  {CCENTER_PROTO_OFFER_ACCEPT, "a2", "c6", 0, 0, 0, 0, 92000},
  {CCENTER_PROTO_CONTACT_REQUEUE, "c6", 0, 0, 0, 0, 0, 93000},
  {CCENTER_PROTO_ADVANCE, 0, 0, 0, 0, 0, 0, 94000},
  {CCENTER_PROTO_CONTACT_ENQUEUE, "c7", "q1", 0, 0, CCENTER_CHANNEL_VOICE, 0, 95000},
  {CCENTER_PROTO_TRANSFER_AGENT, "c6", "a1", 0, 0, 0, 0, 96000},
  {CCENTER_PROTO_QUEUE_REMOVE, "q3", 0, 0, 0, 0, 0, 97000},
  {CCENTER_PROTO_QUEUE_REMOVE, "q1", "q2", 0, 0, 0, 0, 98000},
  {CCENTER_PROTO_AGENT_LOGOUT, "a1", 0, 0, 0, 0, 0, 99000},
  {CCENTER_PROTO_ADVANCE, 0, 0, 0, 0, 0, 0, 200000},
  /* The case engine. */
  {CCENTER_PROTO_CASE_SET_ACTOR, "maker", "agent", 0, 0, 0, 0, 300000},
  {CCENTER_PROTO_CASE_SET_ACTOR, "checker", "supervisor", 0, 0, 0, 0, 300000},
  {CCENTER_PROTO_CASE_OPEN, "k1", "fraud", "maker", 0, 0, 0, 300000},
  {CCENTER_PROTO_CASE_OPEN, "k2", "fraud", "maker", 0, 0, 0, 300000},
  {CCENTER_PROTO_CASE_OPEN, "k3", "nope", "maker", 0, 0, 0, 300000}, /* ENOENT */
  {CCENTER_PROTO_CASE_SET_FIELD, "k1", "score", 0, 7, 0, 0, 301000},
  {CCENTER_PROTO_CASE_SET_FIELD, "k1", "payee", "FR76-1", 0, 0, 1, 301000},
  {CCENTER_PROTO_CASE_SET_FIELD, "k1", "amount", "EUR", 12345, 0, 2, 301000},
  {CCENTER_PROTO_CASE_LINK_CONTACT, "k1", "c1", "maker", 0, 0, 0, 302000},
  {CCENTER_PROTO_CASE_TRANSITION, "k1", "stop", "maker", 0, 0, 0, 303000},
  {CCENTER_PROTO_CASE_TRANSITION, "k1", "refund", "maker", 0, 0, 0, 304000}, /* ECONDITION */
  {CCENTER_PROTO_CASE_TRANSITION, "k1", "refund", "maker", 1, 0, 0, 304000}, /* PROPOSED */
  {CCENTER_PROTO_CASE_APPROVE, "k1", "maker", 0, 0, 0, 0, 305000},           /* EPERM */
  {CCENTER_PROTO_CASE_REJECT, "k1", "checker", "not yet", 0, 0, 0, 305000},
  {CCENTER_PROTO_CASE_TRANSITION, "k1", "refund", "maker", 1, 0, 0, 306000},
  {CCENTER_PROTO_CASE_INFO, "k1", 0, 0, 0, 0, 0, 306000},
  {CCENTER_PROTO_CASE_APPROVE, "k1", "checker", "ok", 0, 0, 0, 307000},
  {CCENTER_PROTO_CASE_ADVANCE, 0, 0, 0, 0, 0, 0, 300000 + 20 * MIN_MS},
  {CCENTER_PROTO_CASE_TRANSITION, "k2", "close", "checker", 0, 0, 0, 300000 + 21 * MIN_MS},
  {CCENTER_PROTO_CASE_FORGET, "k1", 0, 0, 0, 0, 0, 300000 + 22 * MIN_MS},
  {CCENTER_PROTO_CASE_INFO, "k1", 0, 0, 0, 0, 0, 300000 + 22 * MIN_MS},
};
#define N_SCRIPT (sizeof script / sizeof script[0])

static void ck_str(const char *wire, const char *c)
{
  ck_assert_str_eq(wire, c ? c : "");
}

/* Every field of the event, wire against C. */
static void same_event(const Ccenter__V1__Event *w, const ccenter_event *ev)
{
  ck_assert_int_eq(w->type, ev->type);
  ck_assert_int_eq(w->cause, ev->cause);
  ck_assert_int_eq(w->time, ev->time);
  ck_str(w->agent, ev->agent);
  ck_str(w->contact, ev->contact);
  ck_str(w->queue, ev->queue);
  ck_str(w->queue_to, ev->queue_to);
  ck_str(w->agent_to, ev->agent_to);
  ck_str(w->reason, ev->reason);
  ck_str(w->customer, ev->customer);
  ck_assert_int_eq(w->channel, ev->channel);
  ck_assert_int_eq(w->state, ev->state);
  ck_assert_int_eq(w->prev_state, ev->prev_state);
  ck_assert_int_eq(w->outcome, ev->outcome);
  ck_assert_int_eq(w->party, ev->party);
  ck_assert_int_eq(w->priority, ev->priority);
  ck_assert_int_eq(w->position, ev->position);
  ck_assert_int_eq(w->orig_position, ev->orig_position);
  ck_assert_int_eq(w->step, ev->step);
  ck_assert_int_eq(w->score, ev->score);
  ck_assert_int_eq(w->serving, ev->serving);
  ck_assert_int_eq(w->wait_ms, ev->wait_ms);
  ck_assert_int_eq(w->duration_ms, ev->duration_ms);
  ck_assert_int_eq(w->ewt_ms, ev->ewt_ms);
  ck_assert_int_eq(w->ring_timeout_ms, ev->ring_timeout_ms);
  ck_assert_int_eq(w->threshold_ms, ev->threshold_ms);
  ck_assert_int_eq(w->session_ms, ev->session_ms);
}

static void same_case_event(const Ccenter__V1__CaseEvent *w, const ccenter_case_event *ev)
{
  ck_assert_int_eq(w->type, ev->type);
  ck_assert_uint_eq(w->case_seq, ev->seq);
  ck_assert_int_eq(w->time, ev->time);
  ck_str(w->case_id, ev->case_id);
  ck_str(w->workflow, ev->workflow);
  ck_str(w->from, ev->from);
  ck_str(w->to, ev->to);
  ck_str(w->transition, ev->transition);
  ck_str(w->timer, ev->timer);
  ck_str(w->action, ev->action);
  ck_str(w->actor, ev->actor);
  ck_str(w->role, ev->role);
  ck_str(w->reason, ev->reason);
  ck_str(w->outcome, ev->outcome);
  ck_str(w->field, ev->field);
  ck_str(w->contact, ev->contact);
  ck_assert_int_eq(w->deadline, ev->deadline);
  ck_assert_int_eq(w->elapsed_ms, ev->elapsed_ms);
  ck_assert_uint_eq(w->count, ev->count);
}

/* The query answers, wire against C. */
static void same_answer(const Ccenter__V1__Response *r, const step *s, ccenter_engine *e,
                        ccenter_cases *ce)
{
  switch (s->k) {
  case CCENTER_PROTO_QUEUE_INFO: {
    ccenter_queue_info i = {.size = sizeof i};
    OK(ccenter_queue_info_get(e, s->a, s->now, &i));
    ck_assert_int_eq(r->result_case, CCENTER__V1__RESPONSE__RESULT_QUEUE_INFO);
    ck_assert_uint_eq(r->queue_info->waiting, i.waiting);
    ck_assert_uint_eq(r->queue_info->members_ready, i.members_ready);
    ck_assert_int_eq(r->queue_info->ewt_ms, i.ewt_ms);
    ck_str(r->queue_info->oldest, i.oldest);
    break;
  }
  case CCENTER_PROTO_AGENT_INFO: {
    ccenter_agent_info i = {.size = sizeof i};
    OK(ccenter_agent_info_get(e, s->a, s->now, &i));
    ck_assert_int_eq(r->result_case, CCENTER__V1__RESPONSE__RESULT_AGENT_INFO);
    ck_assert_int_eq(r->agent_info->state, i.state);
    ck_assert_uint_eq(r->agent_info->connected, i.connected);
    ck_assert_uint_eq(r->agent_info->n_in_channel, CCENTER_CHANNEL_COUNT_);
    ck_assert_uint_eq(r->agent_info->in_channel[0], i.in_channel[0]);
    ck_assert_int_eq(r->agent_info->state_ms, i.state_ms);
    break;
  }
  case CCENTER_PROTO_CONTACT_INFO: {
    ccenter_contact_info i = {.size = sizeof i};
    OK(ccenter_contact_info_get(e, s->a, s->now, &i));
    ck_assert_int_eq(r->result_case, CCENTER__V1__RESPONSE__RESULT_CONTACT_INFO);
    ck_assert_int_eq(r->contact_info->state, i.state);
    ck_str(r->contact_info->agent, i.agent);
    ck_str(r->contact_info->customer, i.customer);
    ck_assert_int_eq(r->contact_info->wait_ms, i.wait_ms);
    break;
  }
  case CCENTER_PROTO_CASE_INFO: {
    ccenter_case_info i = {.size = sizeof i};
    if (ccenter_case_info_get(ce, s->a, &i) != 0)
      break;
    ck_assert_int_eq(r->result_case, CCENTER__V1__RESPONSE__RESULT_CASE_INFO);
    ck_str(r->case_info->state, i.state);
    ck_str(r->case_info->proposal, i.proposal);
    ck_assert_uint_eq(r->case_info->n_contacts, i.contacts);
    if (i.contacts)
      ck_str(r->case_info->contacts[0], ccenter_case_contact(ce, s->a, 0));
    break;
  }
  default:
    ck_assert_int_eq(r->result_case, CCENTER__V1__RESPONSE__RESULT__NOT_SET);
  }
}

START_TEST(every_command_kind)
{
  rig g;
  rig_init(&g, 1024);
  ccenter_engine *e;
  ccenter_cases *ce;
  engines(&e, &ce);
  hello(&g, CCENTER_PROTO_ROLE_SUPERVISOR, "boss", "secret");
  ck_assert_int_eq(last_code(&g, NULL, 0), 0);
  int seen[128] = {0};
  int ok = 0;
  uint64_t seq = 0;
  for (size_t n = 0; n < N_SCRIPT; n++) {
    const step *s = &script[n];
    seen[s->k] = 1;
    Ccenter__V1__Command cmd;
    submsg m;
    extras x;
    command_of(s, &cmd, &m, &x);
    buf o = {0};
    put_command(&o, 100 + n, &cmd);
    feed(&g, &o, s->now);
    free(o.b);
    int rc = direct(s, e, ce);
    ok += rc >= 0;
    frames fs = parse(&g.to_session);
    g.to_session.n = 0;
    ck_assert_uint_eq(fs.n, 1);
    ck_assert_uint_eq(fs.f[0]->request_id, 100 + n);
    ck_assert_int_eq(fs.f[0]->body_case, CCENTER__V1__SERVER_FRAME__BODY_RESPONSE);
    ck_assert_msg(fs.f[0]->response->code == rc, "step %zu (%s): wire %d, direct %d", n,
                  ccenter_proto_kind_name(s->k), fs.f[0]->response->code, rc);
    if (rc == 0)
      same_answer(fs.f[0]->response, s, e, ce);
    frames_free(&fs);
    fs = parse(&g.events);
    g.events.n = 0;
    for (size_t k = 0; k < fs.n; k++) {
      const Ccenter__V1__ServerFrame *f = fs.f[k];
      ck_assert_uint_eq(f->request_id, 0);
      if (f->body_case == CCENTER__V1__SERVER_FRAME__BODY_EVENT) {
        const ccenter_event *ev = ccenter_engine_next_event(e);
        ck_assert_ptr_nonnull(ev);
        ck_assert_uint_eq(f->event->seq, ++seq);
        same_event(f->event, ev);
      } else {
        ck_assert_int_eq(f->body_case, CCENTER__V1__SERVER_FRAME__BODY_CASE_EVENT);
        const ccenter_case_event *ev = ccenter_cases_next_event(ce);
        ck_assert_ptr_nonnull(ev);
        ck_assert_uint_eq(f->case_event->seq, ++seq);
        same_case_event(f->case_event, ev);
      }
    }
    ck_assert_ptr_null(ccenter_engine_next_event(e));
    ck_assert_ptr_null(ccenter_cases_next_event(ce));
    frames_free(&fs);
  }
  ck_assert_uint_eq(ccenter_proto_dispatcher_last_seq(g.d), seq);
  ck_assert_int_gt(seq, 80);
  ck_assert_int_ge(ok, (int)N_SCRIPT * 3 / 4);
  for (int k = CCENTER_PROTO_ENGINE_SET; k <= CCENTER_PROTO_CASE_INFO; k++)
    if (strcmp(ccenter_proto_kind_name((ccenter_proto_kind)k), "unknown") != 0)
      ck_assert_msg(seen[k], "kind %s not in the script",
                    ccenter_proto_kind_name((ccenter_proto_kind)k));
  ccenter_engine_free(e);
  ccenter_cases_free(ce);
  rig_free(&g);
}
END_TEST

/* ---------------------------------------------------------------------------------- */
/* Framing                                                                              */

START_TEST(prefix_like_google)
{
  uint8_t b[CCENTER_PROTO_PREFIX_MAX];
  ck_assert_uint_eq(ccenter_proto_prefix(0, b), 1);
  ck_assert_uint_eq(b[0], 0);
  ck_assert_uint_eq(ccenter_proto_prefix(127, b), 1);
  ck_assert_uint_eq(ccenter_proto_prefix(300, b), 2);
  ck_assert_uint_eq(b[0], 0xac);
  ck_assert_uint_eq(b[1], 0x02);
  ck_assert_uint_eq(ccenter_proto_prefix(UINT64_MAX, b), 10);
  ck_assert_uint_eq(b[9], 1);
  ck_assert_uint_eq(ccenter_proto_prefix(1, NULL), 0);
}
END_TEST

/* A stream of frames of lengths 0, 1, 127, 128, 300 and max. */
static void stream_of(buf *o, size_t max, size_t *lens, size_t *n)
{
  size_t want[] = {0, 1, 127, 128, 150, max};
  *n = sizeof want / sizeof want[0];
  for (size_t k = 0; k < *n; k++) {
    uint8_t pre[CCENTER_PROTO_PREFIX_MAX];
    lens[k] = want[k];
    buf_add(o, pre, ccenter_proto_prefix(want[k], pre));
    for (size_t i = 0; i < want[k]; i++) {
      uint8_t c = (uint8_t)(k * 31 + i);
      buf_add(o, &c, 1);
    }
  }
}

static void check_frame(const uint8_t *p, size_t len, size_t k, const size_t *lens)
{
  ck_assert_uint_eq(len, lens[k]);
  for (size_t i = 0; i < len; i++)
    ck_assert_uint_eq(p[i], (uint8_t)(k * 31 + i));
}

START_TEST(split_at_every_byte)
{
  const size_t max = 200;
  buf o = {0};
  size_t lens[8], n;
  stream_of(&o, max, lens, &n);
  for (size_t cut = 0; cut <= o.n; cut++) {
    ccenter_proto_reader *r;
    OK(ccenter_proto_reader_new(max, &r));
    size_t got = 0;
    const uint8_t *p;
    size_t len;
    OK(ccenter_proto_reader_push(r, o.b, cut));
    while (ccenter_proto_reader_next(r, &p, &len) == 1)
      check_frame(p, len, got++, lens);
    /* Byte by byte after the cut. */
    for (size_t i = cut; i < o.n; i++) {
      OK(ccenter_proto_reader_push(r, o.b + i, 1));
      while (ccenter_proto_reader_next(r, &p, &len) == 1)
        check_frame(p, len, got++, lens);
    }
    ck_assert_uint_eq(got, n);
    ck_assert_uint_eq(ccenter_proto_reader_buffered(r), 0);
    ccenter_proto_reader_free(r);
  }
  free(o.b);
}
END_TEST

START_TEST(several_frames_in_one_push)
{
  buf o = {0};
  size_t lens[8], n;
  stream_of(&o, CCENTER_PROTO_DEFAULT_MAX_FRAME, lens, &n);
  ccenter_proto_reader *r;
  OK(ccenter_proto_reader_new(0, &r));
  OK(ccenter_proto_reader_push(r, o.b, o.n));
  ck_assert_uint_eq(ccenter_proto_reader_buffered(r), o.n);
  const uint8_t *p;
  size_t len;
  for (size_t k = 0; k < n; k++) {
    ck_assert_int_eq(ccenter_proto_reader_next(r, &p, &len), 1);
    check_frame(p, len, k, lens);
  }
  ck_assert_int_eq(ccenter_proto_reader_next(r, &p, &len), 0);
  ck_assert_int_eq(ccenter_proto_reader_next(r, NULL, &len), CCENTER_EINVAL);
  ccenter_proto_reader_free(r);
  free(o.b);
}
END_TEST

START_TEST(oversized_and_broken_prefixes)
{
  ccenter_proto_reader *r;
  const uint8_t *p;
  size_t len;
  ck_assert_int_eq(ccenter_proto_reader_new(CCENTER_PROTO_MAX_FRAME_LIMIT + 1, &r),
                   CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_proto_reader_new(0, NULL), CCENTER_EINVAL);
  /* One frame at the limit, then a length one over it: refused before its body. */
  OK(ccenter_proto_reader_new(100, &r));
  uint8_t good[101] = {100};
  OK(ccenter_proto_reader_push(r, good, sizeof good));
  uint8_t big[2] = {101, 'x'};
  ck_assert_int_eq(ccenter_proto_reader_push(r, big, 2), CCENTER_EFULL);
  ck_assert_int_eq(ccenter_proto_reader_push(r, "x", 1), CCENTER_EFULL); /* final */
  ck_assert_int_eq(ccenter_proto_reader_next(r, &p, &len), 1);
  ck_assert_uint_eq(len, 100);
  ck_assert_int_eq(ccenter_proto_reader_next(r, &p, &len), 0);
  ccenter_proto_reader_free(r);
  /* A huge length is refused at once, nothing buffered for it. */
  OK(ccenter_proto_reader_new(0, &r));
  uint8_t huge[5] = {0xff, 0xff, 0xff, 0xff, 0x0f};
  ck_assert_int_eq(ccenter_proto_reader_push(r, huge, 5), CCENTER_EFULL);
  ck_assert_uint_le(ccenter_proto_reader_buffered(r), 5);
  ccenter_proto_reader_free(r);
  /* A truncated varint waits for more. */
  OK(ccenter_proto_reader_new(0, &r));
  uint8_t trunc[1] = {0x81};
  OK(ccenter_proto_reader_push(r, trunc, 1));
  ck_assert_int_eq(ccenter_proto_reader_next(r, &p, &len), 0);
  ck_assert_uint_eq(ccenter_proto_reader_buffered(r), 1);
  uint8_t rest[2] = {0x00, 'z'}; /* 0x81 0x00: a 2-byte (non-minimal) 1 */
  OK(ccenter_proto_reader_push(r, rest, 2));
  ck_assert_int_eq(ccenter_proto_reader_next(r, &p, &len), 1);
  ck_assert_uint_eq(len, 1);
  ck_assert_uint_eq(p[0], 'z');
  ccenter_proto_reader_free(r);
  /* Ten bytes: valid while the last is 0 or 1 (and then over any limit); more is corrupt. */
  uint8_t ten[10] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
  OK(ccenter_proto_reader_new(0, &r));
  OK(ccenter_proto_reader_push(r, ten, 10));
  ck_assert_int_eq(ccenter_proto_reader_next(r, &p, &len), 1);
  ck_assert_uint_eq(len, 0);
  ccenter_proto_reader_free(r);
  ten[9] = 0x02;
  OK(ccenter_proto_reader_new(0, &r));
  ck_assert_int_eq(ccenter_proto_reader_push(r, ten, 10), CCENTER_ECORRUPT);
  ccenter_proto_reader_free(r);
  uint8_t eleven[11] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x81, 0x00};
  OK(ccenter_proto_reader_new(0, &r));
  ck_assert_int_eq(ccenter_proto_reader_push(r, eleven, 11), CCENTER_ECORRUPT);
  ccenter_proto_reader_free(r);
}
END_TEST

/* ---------------------------------------------------------------------------------- */
/* Strict decoding and authorisation                                                    */

/* The engines' state as a number that any change moves: memory and clocks. */
static size_t state_of(rig *g)
{
  ccenter_queue_info qi = {.size = sizeof qi};
  size_t h = ccenter_cases_memory(g->ce) * 31 + ccenter_cases_count(g->ce);
  if (ccenter_queue_info_get(g->e, "q1", ccenter_engine_now(g->e), &qi) == 0)
    h = h * 31 + qi.waiting * 7 + qi.members;
  ccenter_agent_info ai = {.size = sizeof ai};
  if (ccenter_agent_info_get(g->e, "a1", ccenter_engine_now(g->e), &ai) == 0)
    h = h * 31 + ai.state;
  return h * 31 + (size_t)ccenter_engine_now(g->e);
}

/* A small centre: q1 served by a1 (READY), by way of the dispatcher. */
static void centre(rig *g)
{
  static const step setup[] = {
    {CCENTER_PROTO_QUEUE_ADD, "q1", 0, 0, 0, 0, 0, 0},
    {CCENTER_PROTO_AGENT_ADD, "a1", 0, 0, 0, 0, 0, 0},
    {CCENTER_PROTO_AGENT_ADD, "a2", 0, 0, 0, 0, 0, 0},
    {CCENTER_PROTO_AGENT_SERVE, "a1", "q1", 0, 0, 0, 0, 0},
    {CCENTER_PROTO_AGENT_LOGIN, "a1", 0, 0, 0, 0, 0, 0},
    {CCENTER_PROTO_AGENT_READY, "a1", 0, 0, 0, 0, 0, 0},
  };
  for (size_t n = 0; n < sizeof setup / sizeof setup[0]; n++) {
    Ccenter__V1__Command cmd;
    submsg m;
    extras x;
    command_of(&setup[n], &cmd, &m, &x);
    buf o = {0};
    put_command(&o, 1, &cmd);
    feed(g, &o, 0);
    free(o.b);
    ck_assert_int_eq(last_code(g, NULL, 0), 0);
  }
}

/* Dispatches one frame's bytes; returns the response code (99: none) and checks the
 * state did not change when it is an error. */
static int refused(rig *g, const buf *o)
{
  size_t before = state_of(g);
  uint64_t seq = ccenter_proto_dispatcher_last_seq(g->d);
  feed(g, o, ccenter_engine_now(g->e));
  int code = last_code(g, NULL, 0);
  if (code < 0) {
    ck_assert_uint_eq(state_of(g), before);
    ck_assert_uint_eq(ccenter_proto_dispatcher_last_seq(g->d), seq);
  }
  return code;
}

START_TEST(strict_decoding)
{
  rig g;
  rig_init(&g, 64);
  hello(&g, CCENTER_PROTO_ROLE_SUPERVISOR, "boss", "secret");
  ck_assert_int_eq(last_code(&g, NULL, 0), 0);
  centre(&g);
  g.events.n = 0;
  Ccenter__V1__Command cmd;
  submsg m;
  extras x;
  buf o = {0};
  /* Unknown enum values. */
  step s = {CCENTER_PROTO_CONTACT_ENQUEUE, "c1", "q1", 0, 0, 99, 0, 0};
  command_of(&s, &cmd, &m, &x);
  put_command(&o, 1, &cmd);
  ck_assert_int_eq(refused(&g, &o), CCENTER_EINVAL);
  o.n = 0;
  s = (step){CCENTER_PROTO_QUEUE_SET, "q1", 0, 0, 21, 5, 0, 0};
  command_of(&s, &cmd, &m, &x);
  put_command(&o, 1, &cmd);
  ck_assert_int_eq(refused(&g, &o), CCENTER_EINVAL);
  o.n = 0;
  s = (step){CCENTER_PROTO_CONTACT_END, "c1", 0, 0, -1, 0, 0, 0};
  command_of(&s, &cmd, &m, &x);
  put_command(&o, 1, &cmd);
  ck_assert_int_eq(refused(&g, &o), CCENTER_EINVAL);
  o.n = 0;
  /* An id one byte too long, and one at the limit (which the engine takes). */
  char longid[CCENTER_MAX_ID + 2];
  memset(longid, 'x', sizeof longid - 1);
  longid[sizeof longid - 1] = 0;
  s = (step){CCENTER_PROTO_QUEUE_ADD, longid, 0, 0, 0, 0, 0, 0};
  command_of(&s, &cmd, &m, &x);
  put_command(&o, 1, &cmd);
  ck_assert_int_eq(refused(&g, &o), CCENTER_EINVAL);
  o.n = 0;
  longid[CCENTER_MAX_ID] = 0;
  command_of(&s, &cmd, &m, &x);
  put_command(&o, 1, &cmd);
  ck_assert_int_eq(refused(&g, &o), 0);
  o.n = 0;
  /* Strings that are not UTF-8: a stray continuation byte, an overlong '/', a
   * surrogate; and one that is. */
  static const char *const bad_utf8[] = {"q\x80", "q\xc0\xaf", "q\xed\xa0\x80",
                                         "q\xf4\x90\x80\x80"};
  for (size_t k = 0; k < sizeof bad_utf8 / sizeof bad_utf8[0]; k++) {
    s = (step){CCENTER_PROTO_QUEUE_ADD, bad_utf8[k], 0, 0, 0, 0, 0, 0};
    command_of(&s, &cmd, &m, &x);
    put_command(&o, 1, &cmd);
    ck_assert_int_eq(refused(&g, &o), CCENTER_EINVAL);
    o.n = 0;
  }
  s = (step){CCENTER_PROTO_QUEUE_ADD, "file d\xe2\x80\x99"
                                      "attente \xf0\x9f\x93\x9e", 0, 0, 0, 0, 0, 0};
  command_of(&s, &cmd, &m, &x);
  put_command(&o, 1, &cmd);
  ck_assert_int_eq(refused(&g, &o), 0);
  o.n = 0;
  /* Missing required fields: an empty id, a command without its oneof, a frame without
   * a body, a set_field without a value. */
  s = (step){CCENTER_PROTO_AGENT_LOGIN, "", 0, 0, 0, 0, 0, 0};
  command_of(&s, &cmd, &m, &x);
  put_command(&o, 1, &cmd);
  ck_assert_int_eq(refused(&g, &o), CCENTER_EINVAL);
  o.n = 0;
  Ccenter__V1__Command empty = CCENTER__V1__COMMAND__INIT;
  put_command(&o, 1, &empty);
  ck_assert_int_eq(refused(&g, &o), CCENTER_EINVAL);
  o.n = 0;
  Ccenter__V1__ClientFrame nobody = CCENTER__V1__CLIENT_FRAME__INIT;
  put_frame(&o, &nobody);
  ck_assert_int_eq(refused(&g, &o), CCENTER_EINVAL);
  o.n = 0;
  s = (step){CCENTER_PROTO_CASE_SET_FIELD, "k1", "score", 0, 0, 0, 0, 0};
  command_of(&s, &cmd, &m, &x);
  m.set_field.value_case = CCENTER__V1__CASE_SET_FIELD__VALUE__NOT_SET;
  put_command(&o, 1, &cmd);
  ck_assert_int_eq(refused(&g, &o), CCENTER_EINVAL);
  o.n = 0;
  /* A currency of four letters. */
  s = (step){CCENTER_PROTO_CASE_SET_FIELD, "k1", "amount", "EURO", 1, 0, 2, 0};
  command_of(&s, &cmd, &m, &x);
  put_command(&o, 1, &cmd);
  ck_assert_int_eq(refused(&g, &o), CCENTER_EINVAL);
  o.n = 0;
  /* Garbage: a Goodbye and the verdict to close. */
  size_t before = state_of(&g);
  const uint8_t garbage[] = {0xff, 0xff, 0xff, 0x01, 0x02};
  ck_assert_int_eq(ccenter_proto_dispatch(g.d, g.s, garbage, sizeof garbage, 0),
                   CCENTER_ECORRUPT);
  frames fs = parse(&g.to_session);
  g.to_session.n = 0;
  ck_assert_uint_eq(fs.n, 1);
  ck_assert_int_eq(fs.f[0]->body_case, CCENTER__V1__SERVER_FRAME__BODY_GOODBYE);
  ck_assert_int_eq(fs.f[0]->goodbye->code, CCENTER_ECORRUPT);
  frames_free(&fs);
  uint8_t over[CCENTER_PROTO_DEFAULT_MAX_FRAME + 1] = {0};
  ck_assert_int_eq(ccenter_proto_dispatch(g.d, g.s, over, sizeof over, 0), CCENTER_EFULL);
  g.to_session.n = 0;
  ck_assert_uint_eq(state_of(&g), before);
  ck_assert_uint_eq(g.events.n, 0);
  ck_assert_int_eq(ccenter_proto_dispatch(NULL, g.s, garbage, 1, 0), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_proto_dispatch(g.d, g.s, NULL, 1, 0), CCENTER_EINVAL);
  free(o.b);
  rig_free(&g);
}
END_TEST

/* Every valid frame of the script, truncated at every length and with every byte
 * changed in turn: no crash, no leak, a response or the close verdict. */
START_TEST(mutated_frames)
{
  rig g;
  rig_init(&g, 16);
  hello(&g, CCENTER_PROTO_ROLE_SUPERVISOR, "boss", "secret");
  centre(&g);
  for (size_t n = 0; n < N_SCRIPT; n += 5) {
    Ccenter__V1__Command cmd;
    submsg m;
    extras x;
    command_of(&script[n], &cmd, &m, &x);
    Ccenter__V1__ClientFrame f = CCENTER__V1__CLIENT_FRAME__INIT;
    f.request_id = 7;
    f.body_case = CCENTER__V1__CLIENT_FRAME__BODY_COMMAND;
    f.command = &cmd;
    size_t len = ccenter__v1__client_frame__get_packed_size(&f);
    uint8_t *b = malloc(len), *t = malloc(len);
    ccenter__v1__client_frame__pack(&f, b);
    int64_t now = ccenter_engine_now(g.e);
    for (size_t cut = 0; cut < len; cut++) {
      int rc = ccenter_proto_dispatch(g.d, g.s, b, cut, now);
      ck_assert(rc == 0 || rc == CCENTER_ECORRUPT);
    }
    for (size_t i = 0; i < len; i++)
      for (unsigned v = 0; v < 256; v += 51) {
        memcpy(t, b, len);
        t[i] = (uint8_t)(t[i] ^ (v | 1));
        int rc = ccenter_proto_dispatch(g.d, g.s, t, len, now);
        ck_assert(rc == 0 || rc == CCENTER_ECORRUPT);
      }
    free(b);
    free(t);
    g.to_session.n = 0;
    g.events.n = 0;
  }
  rig_free(&g);
}
END_TEST

START_TEST(authorisation)
{
  rig g;
  rig_init(&g, 64);
  /* Before the handshake: refused. */
  buf o = {0};
  Ccenter__V1__Command cmd;
  submsg m;
  extras x;
  step s = {CCENTER_PROTO_QUEUE_ADD, "qx", 0, 0, 0, 0, 0, 0};
  command_of(&s, &cmd, &m, &x);
  put_command(&o, 1, &cmd);
  ck_assert_int_eq(refused(&g, &o), CCENTER_EPERM);
  ck_assert_int_eq(g.hook_calls, 0);
  /* A wrong credential, then the right one, then a replayed handshake. */
  hello(&g, CCENTER_PROTO_ROLE_AGENT, "a1", "guess");
  char name[64];
  ck_assert_int_eq(last_code(&g, name, sizeof name), CCENTER_EPERM);
  ck_assert_str_eq(name, "CCENTER_EPERM");
  ck_assert_ptr_null(ccenter_proto_session_principal(g.s));
  hello(&g, CCENTER_PROTO_ROLE_AGENT, "a1", "secret");
  ck_assert_int_eq(last_code(&g, NULL, 0), 0);
  ck_assert_str_eq(ccenter_proto_session_principal(g.s), "a1");
  ck_assert_int_eq(ccenter_proto_session_role(g.s), CCENTER_PROTO_ROLE_AGENT);
  hello(&g, CCENTER_PROTO_ROLE_SUPERVISOR, "boss", "secret");
  ck_assert_int_eq(last_code(&g, NULL, 0), CCENTER_ESTATE);
  ck_assert_int_eq(ccenter_proto_session_role(g.s), CCENTER_PROTO_ROLE_AGENT);
  centre(&g);
  /* An agent acting as another: refused by the hook, nothing changes. */
  g.refuse_other_agent = 1;
  o.n = 0;
  s = (step){CCENTER_PROTO_AGENT_LOGIN, "a2", 0, 0, 0, 0, 0, 0};
  command_of(&s, &cmd, &m, &x);
  put_command(&o, 1, &cmd);
  ck_assert_int_eq(refused(&g, &o), CCENTER_EPERM);
  o.n = 0;
  s = (step){CCENTER_PROTO_AGENT_NOT_READY, "a1", "break", 0, 0, 0, 0, 0};
  command_of(&s, &cmd, &m, &x);
  put_command(&o, 1, &cmd);
  ck_assert_int_eq(refused(&g, &o), 0);
  free(o.b);
  rig_free(&g);
  /* A wrong protocol version. */
  rig_init(&g, 64);
  Ccenter__V1__Hello h = CCENTER__V1__HELLO__INIT;
  h.protocol_version = 2;
  h.role = CCENTER__V1__ROLE__ROLE_AGENT;
  h.principal = S("a1");
  Ccenter__V1__ClientFrame f = CCENTER__V1__CLIENT_FRAME__INIT;
  f.body_case = CCENTER__V1__CLIENT_FRAME__BODY_HELLO;
  f.hello = &h;
  buf b = {0};
  put_frame(&b, &f);
  feed(&g, &b, 0);
  ck_assert_int_eq(last_code(&g, NULL, 0), CCENTER_ENOTSUP);
  free(b.b);
  rig_free(&g);
}
END_TEST

/* ---------------------------------------------------------------------------------- */
/* Resume                                                                               */

/* Sends Resume{after}; the answer is left in the session's buffer. */
static void send_resume(rig *g, uint64_t after)
{
  Ccenter__V1__Resume r = CCENTER__V1__RESUME__INIT;
  r.after_seq = after;
  Ccenter__V1__ClientFrame f = CCENTER__V1__CLIENT_FRAME__INIT;
  f.request_id = 9;
  f.body_case = CCENTER__V1__CLIENT_FRAME__BODY_RESUME;
  f.resume = &r;
  buf o = {0};
  put_frame(&o, &f);
  feed(g, &o, ccenter_engine_now(g->e));
  free(o.b);
}

static frames resume(rig *g, uint64_t after)
{
  send_resume(g, after);
  frames fs = parse(&g->to_session);
  g->to_session.n = 0;
  return fs;
}

START_TEST(resume_within_and_past_the_window)
{
  rig g;
  rig_init(&g, 4);
  hello(&g, CCENTER_PROTO_ROLE_SUPERVISOR, "boss", "secret");
  last_code(&g, NULL, 0);
  centre(&g);
  /* Calls made beside the dispatcher: flush sends their events. */
  ccenter_contact_params p;
  ccenter_contact_params_init(&p);
  OK(ccenter_contact_enqueue(g.e, "c0", "q1", &p, 1));
  OK(ccenter_contact_abandon(g.e, "c0", 2));
  OK(ccenter_proto_dispatcher_flush(g.d));
  uint64_t last = ccenter_proto_dispatcher_last_seq(g.d);
  ck_assert_uint_ge(last, 6);
  frames all = parse(&g.events);
  ck_assert_uint_eq(all.n, last);
  /* Within the window: the missed frames, byte for byte as sent. */
  frames fs = resume(&g, last - 3);
  ck_assert_uint_eq(fs.n, 4);
  ck_assert_int_eq(fs.f[0]->response->code, 0);
  ck_assert(!fs.f[0]->response->resume->too_old);
  ck_assert_uint_eq(fs.f[0]->response->resume->last_seq, last);
  ck_assert_uint_eq(fs.f[0]->response->resume->first_kept, last - 3);
  for (size_t k = 1; k < 4; k++) {
    ck_assert_int_eq(fs.f[k]->body_case, CCENTER__V1__SERVER_FRAME__BODY_EVENT);
    ck_assert_uint_eq(fs.f[k]->event->seq, last - 3 + k);
    ck_assert_int_eq(fs.f[k]->event->type, all.f[last - 4 + k]->event->type);
  }
  frames_free(&fs);
  /* Nothing missed. */
  fs = resume(&g, last);
  ck_assert_uint_eq(fs.n, 1);
  ck_assert(!fs.f[0]->response->resume->too_old);
  frames_free(&fs);
  /* Ahead of the stream. */
  fs = resume(&g, last + 1);
  ck_assert_int_eq(fs.f[0]->response->code, CCENTER_ERANGE);
  frames_free(&fs);
  /* Past the window: "too old", then a snapshot. */
  OK(ccenter_contact_enqueue(g.e, "c9", "q1", &p, 5));
  OK(ccenter_contact_enqueue(g.e, "c8", "q1", &p, 5));
  OK(ccenter_cases_set_actor(g.ce, "boss", "agent", 5));
  OK(ccenter_case_open(g.ce, "k1", "fraud", "boss", NULL, 5));
  OK(ccenter_proto_dispatcher_flush(g.d));
  fs = resume(&g, 1);
  ck_assert_uint_eq(fs.n, 2);
  ck_assert(fs.f[0]->response->resume->too_old);
  ck_assert_int_eq(fs.f[1]->body_case, CCENTER__V1__SERVER_FRAME__BODY_SNAPSHOT);
  const Ccenter__V1__Snapshot *sn = fs.f[1]->snapshot;
  ck_assert_uint_eq(sn->last_seq, ccenter_proto_dispatcher_last_seq(g.d));
  ck_assert_uint_eq(sn->n_queues, 1);
  ck_assert_str_eq(sn->queues[0]->queue, "q1");
  ck_assert_uint_eq(sn->queues[0]->waiting, 1);
  ck_assert_uint_eq(sn->n_agents, 2);
  ck_assert_str_eq(sn->agents[0]->agent, "a1");
  ck_assert_int_eq(sn->agents[0]->state, CCENTER__V1__AGENT_STATE__AGENT_READY);
  ck_assert_uint_eq(sn->n_contacts, 2);
  ck_assert_str_eq(sn->contacts[0]->contact, "c8");
  ck_assert_str_eq(sn->contacts[1]->contact, "c9");
  ck_assert_int_eq(sn->contacts[1]->state, CCENTER__V1__CONTACT_STATE__CONTACT_OFFERED);
  ck_assert_uint_eq(sn->n_cases, 1);
  ck_assert_str_eq(sn->cases[0]->state, "NEW");
  frames_free(&fs);
  frames_free(&all);
  rig_free(&g);
}
END_TEST

/* A server that restarts goes on after first_seq: its events are numbered after it, and a
 * client resuming from a number of the old run (at or below first_seq) gets "too old" and
 * a snapshot, never other events under old numbers. */
START_TEST(resume_after_a_restart)
{
  rig g;
  rig_init_from(&g, 16, 1000);
  ck_assert_uint_eq(ccenter_proto_dispatcher_last_seq(g.d), 1000);
  hello(&g, CCENTER_PROTO_ROLE_SUPERVISOR, "boss", "secret");
  last_code(&g, NULL, 0);
  centre(&g);
  OK(ccenter_proto_dispatcher_flush(g.d));
  frames all = parse(&g.events);
  ck_assert_uint_ge(all.n, 1);
  ck_assert_uint_eq(all.f[0]->event->seq, 1001);
  frames fs = resume(&g, 17);
  ck_assert_uint_eq(fs.n, 2);
  ck_assert(fs.f[0]->response->resume->too_old);
  ck_assert_int_eq(fs.f[1]->body_case, CCENTER__V1__SERVER_FRAME__BODY_SNAPSHOT);
  frames_free(&fs);
  frames_free(&all);
  rig_free(&g);
}
END_TEST

/* The prefixed frames of a buffer, each as its own byte range (what the output callback
 * got for it). */
typedef struct raw {
  const uint8_t *p[256];
  size_t len[256];
  size_t n;
} raw;

static void split_raw(const buf *o, raw *out)
{
  out->n = 0;
  size_t at = 0;
  while (at < o->n) {
    uint64_t body = 0;
    size_t i = at;
    for (unsigned shift = 0;; shift += 7) {
      body |= (uint64_t)(o->b[i] & 0x7f) << shift;
      if (!(o->b[i++] & 0x80))
        break;
    }
    ck_assert_uint_lt(out->n, 256);
    out->p[out->n] = o->b + at;
    out->len[out->n++] = i - at + (size_t)body;
    at = i + (size_t)body;
  }
  ck_assert_uint_eq(at, o->n);
}

/* The frames after a resume's response: their numbers, each checked byte for byte
 * against the frame first sent under it (old run) or the current run's own. */
static void expect_frames(const buf *session, const raw *old, const raw *now_, uint64_t old_first,
                          const uint64_t *want, size_t n_want)
{
  raw got;
  split_raw(session, &got);
  ck_assert_uint_eq(got.n, n_want + 1); /* the response, then the frames */
  for (size_t k = 0; k < n_want; k++) {
    const raw *from = want[k] < 1000 ? old : now_;
    size_t idx = want[k] < 1000 ? (size_t)(want[k] - old_first) : (size_t)(want[k] - 1001);
    ck_assert_uint_lt(idx, from->n);
    ck_assert_uint_eq(got.len[k + 1], from->len[idx]);
    ck_assert(memcmp(got.p[k + 1], from->p[idx], from->len[idx]) == 0);
  }
}

/* An earlier run's event frames preloaded: a resume after any of them (or just before the
 * oldest) gets exactly the rest and then the new events, byte for byte; a number in the
 * gap between the last preloaded frame and first_seq + 1, or below the window, gets a
 * snapshot; a refused preload changes nothing. */
START_TEST(resume_after_a_preload)
{
  /* The earlier run: numbers 1..N. */
  rig a;
  rig_init(&a, 0);
  hello(&a, CCENTER_PROTO_ROLE_SUPERVISOR, "boss", "secret");
  last_code(&a, NULL, 0);
  centre(&a);
  ccenter_contact_params p;
  ccenter_contact_params_init(&p);
  for (int k = 0; k < 8; k++) {
    char id[16];
    snprintf(id, sizeof id, "c%d", k);
    OK(ccenter_contact_enqueue(a.e, id, "q1", &p, 10 + k));
    OK(ccenter_contact_abandon(a.e, id, 10 + k));
  }
  OK(ccenter_proto_dispatcher_flush(a.d));
  raw old;
  split_raw(&a.events, &old);
  uint64_t n = ccenter_proto_dispatcher_last_seq(a.d);
  ck_assert_uint_eq(old.n, n);
  ck_assert_uint_ge(n, 24);

  /* The restart: first_seq 1000, a window of 16, filled with N-16..N-1 (N is refused). */
  rig g;
  rig_bare(&g, 16, 1000);
  const uint8_t garbage[] = {3, 0xff, 0xff, 0xff};
  ck_assert_int_eq(ccenter_proto_dispatcher_preload(NULL, 1, old.p[0], old.len[0]),
                   CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_proto_dispatcher_preload(g.d, 0, old.p[0], old.len[0]),
                   CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_proto_dispatcher_preload(g.d, 1, NULL, 4), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_proto_dispatcher_preload(g.d, 1, old.p[0], 0), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_proto_dispatcher_preload(g.d, 2, old.p[0], old.len[0]),
                   CCENTER_ECORRUPT); /* frame 1 under number 2 */
  ck_assert_int_eq(ccenter_proto_dispatcher_preload(g.d, 1, old.p[0], old.len[0] - 1),
                   CCENTER_ECORRUPT); /* cut short */
  ck_assert_int_eq(ccenter_proto_dispatcher_preload(g.d, 1, garbage, sizeof garbage),
                   CCENTER_ECORRUPT);
  /* A whole ServerFrame that is not an event (a Pong). */
  Ccenter__V1__Pong pong = CCENTER__V1__PONG__INIT;
  pong.token = 1;
  Ccenter__V1__ServerFrame sf = CCENTER__V1__SERVER_FRAME__INIT;
  sf.body_case = CCENTER__V1__SERVER_FRAME__BODY_PONG;
  sf.pong = &pong;
  uint8_t pf[64];
  size_t pl = ccenter__v1__server_frame__get_packed_size(&sf);
  size_t pp = ccenter_proto_prefix(pl, pf);
  ccenter__v1__server_frame__pack(&sf, pf + pp);
  ck_assert_int_eq(ccenter_proto_dispatcher_preload(g.d, 1, pf, pp + pl), CCENTER_ECORRUPT);
  ck_assert_int_eq(ccenter_proto_dispatcher_preload(g.d, 1001, old.p[0], old.len[0]),
                   CCENTER_ERANGE);
  uint64_t first = n - 16;
  for (uint64_t s = first; s < n; s++) {
    OK(ccenter_proto_dispatcher_preload(g.d, s, old.p[s - 1], old.len[s - 1]));
    if (s == first + 3) /* out of order, then the same number again */
      ck_assert_int_eq(ccenter_proto_dispatcher_preload(g.d, s - 1, old.p[s - 2], old.len[s - 2]),
                       CCENTER_ERANGE);
    if (s == first + 3)
      ck_assert_int_eq(ccenter_proto_dispatcher_preload(g.d, s, old.p[s - 1], old.len[s - 1]),
                       CCENTER_ERANGE);
  }
  ck_assert_int_eq(ccenter_proto_dispatcher_preload(g.d, n, old.p[n - 1], old.len[n - 1]),
                   CCENTER_EFULL);
  ck_assert_uint_eq(ccenter_proto_dispatcher_last_seq(g.d), 1000);
  ck_assert_uint_eq(g.events.n, 0); /* preloading sends nothing */
  OK(ccenter_proto_session_new(g.d, &g, &g.s));
  ck_assert_int_eq(ccenter_proto_dispatcher_preload(g.d, n, old.p[n - 1], old.len[n - 1]),
                   CCENTER_ESTATE);
  hello(&g, CCENTER_PROTO_ROLE_SUPERVISOR, "boss", "secret");
  last_code(&g, NULL, 0);

  raw none = {.n = 0};
  /* After one of them: the rest, byte for byte. */
  frames fs = resume(&g, n - 4);
  ck_assert(!fs.f[0]->response->resume->too_old);
  ck_assert_uint_eq(fs.f[0]->response->resume->first_kept, first);
  ck_assert_uint_eq(fs.f[0]->response->resume->last_seq, 1000);
  ck_assert_uint_eq(fs.n, 4);
  frames_free(&fs);
  /* Just before the oldest: all 16, byte for byte. */
  {
    send_resume(&g, first - 1);
    uint64_t want[16];
    for (size_t k = 0; k < 16; k++)
      want[k] = first + k;
    expect_frames(&g.to_session, &old, &none, 1, want, 16);
    g.to_session.n = 0;
  }
  /* After the last preloaded: nothing missed. */
  fs = resume(&g, n - 1);
  ck_assert_uint_eq(fs.n, 1);
  ck_assert(!fs.f[0]->response->resume->too_old);
  frames_free(&fs);
  /* The gap (N .. first_seq) and below the window: too old, a snapshot. */
  uint64_t gap[] = {n, 999, 1000, first - 2, 1};
  for (size_t k = 0; k < sizeof gap / sizeof gap[0]; k++) {
    fs = resume(&g, gap[k]);
    ck_assert_uint_eq(fs.n, 2);
    ck_assert(fs.f[0]->response->resume->too_old);
    ck_assert_int_eq(fs.f[1]->body_case, CCENTER__V1__SERVER_FRAME__BODY_SNAPSHOT);
    frames_free(&fs);
  }

  /* New events (1001..) follow the preloaded ones; they push the oldest out. */
  OK(ccenter_queue_add(g.e, "q1", NULL, 20));
  OK(ccenter_contact_enqueue(g.e, "d1", "q1", &p, 20));
  OK(ccenter_contact_abandon(g.e, "d1", 21));
  OK(ccenter_proto_dispatcher_flush(g.d));
  raw fresh;
  split_raw(&g.events, &fresh);
  uint64_t last = ccenter_proto_dispatcher_last_seq(g.d);
  ck_assert_uint_ge(fresh.n, 2);
  ck_assert_uint_le(fresh.n, 16);
  ck_assert_uint_eq(last, 1000 + fresh.n);
  fs = resume(&g, 1000); /* still in the gap */
  ck_assert(fs.f[0]->response->resume->too_old);
  frames_free(&fs);
  send_resume(&g, n - 3);
  uint64_t want[2 + 16];
  size_t nw = 0;
  want[nw++] = n - 2;
  want[nw++] = n - 1;
  for (uint64_t s = 1001; s <= last; s++)
    want[nw++] = s;
  expect_frames(&g.to_session, &old, &fresh, 1, want, nw);
  g.to_session.n = 0;
  /* The oldest preloaded frames left the window: before it is too old now. */
  fs = resume(&g, first);
  ck_assert(fs.f[0]->response->resume->too_old);
  frames_free(&fs);
  rig_free(&g);
  rig_free(&a);
}
END_TEST

/* ---------------------------------------------------------------------------------- */
/* The schema's numbers are the C library's                                             */

/* "ring-timeout" -> "RING_TIMEOUT". */
static void upper(char *out, size_t n, const char *prefix, const char *name)
{
  size_t k = (size_t)snprintf(out, n, "%s", prefix);
  for (; *name && k + 1 < n; name++)
    out[k++] = *name == '-' ? '_' : (char)(*name >= 'a' && *name <= 'z' ? *name - 32 : *name);
  out[k] = 0;
}

START_TEST(enums_match_c)
{
  char want[96];
  const ProtobufCEnumDescriptor *et = &ccenter__v1__event_type__descriptor;
  ck_assert_uint_eq(et->n_values, CCENTER_EV_STEP + 1);
  for (unsigned v = 1; v <= CCENTER_EV_STEP; v++) {
    upper(want, sizeof want, "EV_", ccenter_event_name((ccenter_event_type)v));
    ck_assert_str_eq(protobuf_c_enum_descriptor_get_value(et, (int)v)->name, want);
  }
  const ProtobufCEnumDescriptor *ct = &ccenter__v1__case_event_type__descriptor;
  ck_assert_uint_eq(ct->n_values, CCENTER_CASE_CONTACT_LINKED + 1);
  for (unsigned v = 1; v <= CCENTER_CASE_CONTACT_LINKED; v++) {
    upper(want, sizeof want, "CASE_", ccenter_case_event_name((ccenter_case_event_type)v));
    ck_assert_str_eq(protobuf_c_enum_descriptor_get_value(ct, (int)v)->name, want);
  }
  const ProtobufCEnumDescriptor *cause = &ccenter__v1__cause__descriptor;
  ck_assert_uint_eq(cause->n_values, CCENTER_CAUSE_COUNT_);
  for (unsigned v = 0; v < CCENTER_CAUSE_COUNT_; v++) {
    upper(want, sizeof want, "CAUSE_", ccenter_cause_name((ccenter_cause)v));
    ck_assert_str_eq(protobuf_c_enum_descriptor_get_value(cause, (int)v)->name, want);
  }
  /* The enums without C names: their sizes and last values. */
  ck_assert_uint_eq(ccenter__v1__channel__descriptor.n_values, CCENTER_CHANNEL_COUNT_);
  ck_assert_int_eq(CCENTER__V1__CHANNEL__CHANNEL_TASK, CCENTER_CHANNEL_TASK);
  ck_assert_int_eq(CCENTER__V1__AGENT_STATE__AGENT_READY, CCENTER_AGENT_READY);
  ck_assert_int_eq(CCENTER__V1__CONTACT_STATE__CONTACT_ENDED, CCENTER_CONTACT_ENDED);
  ck_assert_int_eq(CCENTER__V1__OUTCOME__OUTCOME_REMOVED, CCENTER_OUTCOME_REMOVED);
  ck_assert_int_eq(CCENTER__V1__PARTY__PARTY_AGENT, CCENTER_PARTY_AGENT);
  ck_assert_int_eq(CCENTER__V1__QUEUE_OPTION__QUEUE_RESERVE_SL, CCENTER_QUEUE_RESERVE_SL);
  ck_assert_int_eq(CCENTER__V1__QUEUE_OPTION__QUEUE_STRATEGY, CCENTER_QUEUE_STRATEGY);
  ck_assert_int_eq(CCENTER__V1__ENGINE_OPTION__ENGINE_SEED, CCENTER_ENGINE_SEED);
  ck_assert_int_eq(CCENTER__V1__ROLE__ROLE_WALLBOARD, CCENTER_PROTO_ROLE_WALLBOARD);
  /* Every Command field is a request kind of the same number and name, and back. */
  const ProtobufCMessageDescriptor *cmd = &ccenter__v1__command__descriptor;
  unsigned kinds = 0;
  for (int k = 0; k < 128; k++)
    kinds += strcmp(ccenter_proto_kind_name((ccenter_proto_kind)k), "unknown") != 0;
  ck_assert_uint_eq(cmd->n_fields + 3, kinds); /* + hello, resume, snapshot */
  for (unsigned f = 0; f < cmd->n_fields; f++)
    ck_assert_str_eq(ccenter_proto_kind_name((ccenter_proto_kind)cmd->fields[f].id),
                     cmd->fields[f].name);
  const ProtobufCMessageDescriptor *cf = &ccenter__v1__client_frame__descriptor;
  static const ccenter_proto_kind bodies[] = {CCENTER_PROTO_HELLO, CCENTER_PROTO_RESUME,
                                              CCENTER_PROTO_SNAPSHOT};
  for (size_t k = 0; k < 3; k++)
    ck_assert_str_eq(protobuf_c_message_descriptor_get_field(cf, bodies[k])->name,
                     ccenter_proto_kind_name(bodies[k]));
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("proto");
  TCase *tc = tcase_create("proto");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, enums_match_c);
  tcase_add_test(tc, prefix_like_google);
  tcase_add_test(tc, split_at_every_byte);
  tcase_add_test(tc, several_frames_in_one_push);
  tcase_add_test(tc, oversized_and_broken_prefixes);
  tcase_add_test(tc, every_command_kind);
  tcase_add_test(tc, strict_decoding);
  tcase_add_test(tc, mutated_frames);
  tcase_add_test(tc, authorisation);
  tcase_add_test(tc, resume_within_and_past_the_window);
  tcase_add_test(tc, resume_after_a_restart);
  tcase_add_test(tc, resume_after_a_preload);
  suite_add_tcase(s, tc);
  return s;
}

CC_TEST_MAIN()
