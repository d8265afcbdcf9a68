/*
 * The dispatcher: a ClientFrame in, the public C call it names, a ServerFrame answer and
 * the events out.
 *
 * A command goes through three steps, each a switch over its kind: extract (read the
 * decoded message into a pcall, checking every string and enum the engines would have to
 * trust), authorise (the caller's hook sees the pcall's names), apply (one public call).
 * Nothing touches an engine before the third step, so a frame refused by a check or by
 * the hook changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto_int.h"

struct ccenter_proto_session {
  ccenter_proto_dispatcher *d;
  void *data;
  ccenter_proto_role role;
  char *principal;
};

/* An encoded event frame kept for resume. */
typedef struct kept {
  uint64_t seq;
  uint8_t *bytes;
  size_t len;
} kept;

struct ccenter_proto_dispatcher {
  ccenter_proto_config cfg;
  uint64_t seq;      /* last event sent */
  int started;       /* a session or an event exists: no more preloading */
  kept *ring;        /* cfg.history slots, seq ascending */
  size_t ring_head;  /* slot of the oldest */
  size_t ring_n;
  uint8_t *out;      /* the frame being written */
  size_t out_cap;
  char msg[256];     /* the current response's message */
};

/* What a command names and its arguments, read from the message. */
typedef struct pcall {
  ccenter_proto_kind kind;
  const char *agent, *contact, *queue, *case_id, *actor;
  const char *s2, *s3;
  int64_t i1, i2, i3;
  const Ccenter__V1__Command *cmd;
} pcall;

int ccenter_proto_dispatcher_new(const ccenter_proto_config *cfg, ccenter_proto_dispatcher **out)
{
  if (!cfg || !out || cfg->size < sizeof *cfg || !cfg->output || (!cfg->engine && !cfg->cases))
    return CCENTER_EINVAL;
  if (cfg->max_frame > CCENTER_PROTO_MAX_FRAME_LIMIT || cfg->history > 1048576)
    return CCENTER_ERANGE;
  ccenter_proto_dispatcher *d = calloc(1, sizeof *d);
  if (!d)
    return CCENTER_ENOMEM;
  d->cfg = *cfg;
  d->seq = cfg->first_seq;
  if (!d->cfg.max_frame)
    d->cfg.max_frame = CCENTER_PROTO_DEFAULT_MAX_FRAME;
  if (d->cfg.history && !(d->ring = calloc(d->cfg.history, sizeof *d->ring))) {
    free(d);
    return CCENTER_ENOMEM;
  }
  *out = d;
  return 0;
}

void ccenter_proto_dispatcher_free(ccenter_proto_dispatcher *d)
{
  if (!d)
    return;
  for (size_t k = 0; k < d->cfg.history; k++)
    free(d->ring[k].bytes);
  free(d->ring);
  free(d->out);
  free(d);
}

int ccenter_proto_session_new(ccenter_proto_dispatcher *d, void *session_data,
                              ccenter_proto_session **out)
{
  if (!d || !out)
    return CCENTER_EINVAL;
  ccenter_proto_session *s = calloc(1, sizeof *s);
  if (!s)
    return CCENTER_ENOMEM;
  s->d = d;
  s->data = session_data;
  d->started = 1;
  *out = s;
  return 0;
}

void ccenter_proto_session_free(ccenter_proto_session *s)
{
  if (!s)
    return;
  free(s->principal);
  free(s);
}

ccenter_proto_role ccenter_proto_session_role(const ccenter_proto_session *s)
{
  return s ? s->role : CCENTER_PROTO_ROLE_UNSPECIFIED;
}

const char *ccenter_proto_session_principal(const ccenter_proto_session *s)
{
  return s ? s->principal : NULL;
}

uint64_t ccenter_proto_dispatcher_last_seq(const ccenter_proto_dispatcher *d)
{
  return d ? d->seq : 0;
}

/* ---------------------------------------------------------------------------------- */
/* Output                                                                              */

/* Packs sf behind its prefix into d->out; *len its size. */
static int pack(ccenter_proto_dispatcher *d, const Ccenter__V1__ServerFrame *sf, size_t *len)
{
  size_t body = ccenter__v1__server_frame__get_packed_size(sf);
  size_t need = CCENTER_PROTO_PREFIX_MAX + body;
  if (need > d->out_cap) {
    uint8_t *nb = realloc(d->out, need);
    if (!nb)
      return CCENTER_ENOMEM;
    d->out = nb;
    d->out_cap = need;
  }
  size_t n = ccenter_proto_prefix(body, d->out);
  n += ccenter__v1__server_frame__pack(sf, d->out + n);
  *len = n;
  return 0;
}

static int send_to(ccenter_proto_dispatcher *d, ccenter_proto_session *s,
                   const Ccenter__V1__ServerFrame *sf)
{
  size_t len;
  int rc = pack(d, sf, &len);
  if (rc)
    return rc;
  d->cfg.output(d->cfg.ud, s, s ? s->data : NULL, d->out, len);
  return 0;
}

static const kept *kept_at(const ccenter_proto_dispatcher *d, size_t k)
{
  return &d->ring[(d->ring_head + k) % d->cfg.history];
}

/* Appends a copy of an event frame to the window, dropping the oldest when it is full. */
static int keep(ccenter_proto_dispatcher *d, uint64_t seq, const uint8_t *bytes, size_t len)
{
  uint8_t *copy = malloc(len);
  if (!copy)
    return CCENTER_ENOMEM;
  memcpy(copy, bytes, len);
  kept *k;
  if (d->ring_n == d->cfg.history) {
    k = &d->ring[d->ring_head];
    free(k->bytes);
    d->ring_head = (d->ring_head + 1) % d->cfg.history;
  } else {
    k = &d->ring[(d->ring_head + d->ring_n) % d->cfg.history];
    d->ring_n++;
  }
  k->seq = seq;
  k->bytes = copy;
  k->len = len;
  return 0;
}

/* Numbers an event frame, keeps it for resume and sends it to everyone. The sequence
 * number is taken only once the frame could be kept, so a failure leaves no gap. */
static int send_event(ccenter_proto_dispatcher *d, Ccenter__V1__ServerFrame *sf,
                      uint64_t *seq_field)
{
  *seq_field = d->seq + 1;
  size_t len;
  int rc = pack(d, sf, &len);
  if (rc)
    return rc;
  if (d->cfg.history && (rc = keep(d, *seq_field, d->out, len)))
    return rc;
  d->seq++;
  d->started = 1;
  d->cfg.output(d->cfg.ud, NULL, NULL, d->out, len);
  return 0;
}

/* The event number of a whole event frame (its prefix included, as the output callback
 * got it), or 0 when the bytes are not exactly one ServerFrame carrying an Event or a
 * CaseEvent. */
static uint64_t event_frame_seq(const uint8_t *frame, size_t len)
{
  uint64_t body = 0;
  size_t i = 0;
  for (unsigned shift = 0; i < len && i < CCENTER_PROTO_PREFIX_MAX; shift += 7) {
    body |= (uint64_t)(frame[i] & 0x7f) << shift;
    if (!(frame[i++] & 0x80))
      break;
  }
  if (i == 0 || (frame[i - 1] & 0x80) || body != len - i)
    return 0;
  Ccenter__V1__ServerFrame *sf = ccenter__v1__server_frame__unpack(NULL, (size_t)body, frame + i);
  if (!sf)
    return 0;
  uint64_t seq = 0;
  if (sf->body_case == CCENTER__V1__SERVER_FRAME__BODY_EVENT && sf->event)
    seq = sf->event->seq;
  else if (sf->body_case == CCENTER__V1__SERVER_FRAME__BODY_CASE_EVENT && sf->case_event)
    seq = sf->case_event->seq;
  ccenter__v1__server_frame__free_unpacked(sf, NULL);
  return seq;
}

int ccenter_proto_dispatcher_preload(ccenter_proto_dispatcher *d, uint64_t seq,
                                     const void *frame, size_t len)
{
  if (!d || !frame || !len || !seq)
    return CCENTER_EINVAL;
  if (d->started)
    return CCENTER_ESTATE;
  if (seq > d->cfg.first_seq || (d->ring_n && seq <= kept_at(d, d->ring_n - 1)->seq))
    return CCENTER_ERANGE;
  if (d->ring_n == d->cfg.history)
    return CCENTER_EFULL;
  if (event_frame_seq(frame, len) != seq)
    return CCENTER_ECORRUPT;
  return keep(d, seq, frame, len);
}

static int send_routing_event(ccenter_proto_dispatcher *d, const ccenter_event *ev)
{
  Ccenter__V1__Event m = CCENTER__V1__EVENT__INIT;
  m.type = (Ccenter__V1__EventType)ev->type;
  m.cause = (Ccenter__V1__Cause)ev->cause;
  m.time = ev->time;
  m.agent = cc_pb_str(ev->agent);
  m.contact = cc_pb_str(ev->contact);
  m.queue = cc_pb_str(ev->queue);
  m.queue_to = cc_pb_str(ev->queue_to);
  m.agent_to = cc_pb_str(ev->agent_to);
  m.reason = cc_pb_str(ev->reason);
  m.customer = cc_pb_str(ev->customer);
  m.channel = (Ccenter__V1__Channel)ev->channel;
  m.state = (Ccenter__V1__AgentState)ev->state;
  m.prev_state = (Ccenter__V1__AgentState)ev->prev_state;
  m.outcome = (Ccenter__V1__Outcome)ev->outcome;
  m.party = (Ccenter__V1__Party)ev->party;
  m.priority = ev->priority;
  m.position = ev->position;
  m.orig_position = ev->orig_position;
  m.step = ev->step;
  m.score = ev->score;
  m.serving = ev->serving;
  m.wait_ms = ev->wait_ms;
  m.duration_ms = ev->duration_ms;
  m.ewt_ms = ev->ewt_ms;
  m.ring_timeout_ms = ev->ring_timeout_ms;
  m.threshold_ms = ev->threshold_ms;
  m.session_ms = ev->session_ms;
  Ccenter__V1__ServerFrame sf = CCENTER__V1__SERVER_FRAME__INIT;
  sf.body_case = CCENTER__V1__SERVER_FRAME__BODY_EVENT;
  sf.event = &m;
  return send_event(d, &sf, &m.seq);
}

static int send_case_event(ccenter_proto_dispatcher *d, const ccenter_case_event *ev)
{
  Ccenter__V1__CaseEvent m = CCENTER__V1__CASE_EVENT__INIT;
  m.type = (Ccenter__V1__CaseEventType)ev->type;
  m.case_seq = ev->seq;
  m.time = ev->time;
  m.case_id = cc_pb_str(ev->case_id);
  m.workflow = cc_pb_str(ev->workflow);
  m.from = cc_pb_str(ev->from);
  m.to = cc_pb_str(ev->to);
  m.transition = cc_pb_str(ev->transition);
  m.timer = cc_pb_str(ev->timer);
  m.action = cc_pb_str(ev->action);
  m.actor = cc_pb_str(ev->actor);
  m.role = cc_pb_str(ev->role);
  m.reason = cc_pb_str(ev->reason);
  m.outcome = cc_pb_str(ev->outcome);
  m.field = cc_pb_str(ev->field);
  m.contact = cc_pb_str(ev->contact);
  m.deadline = ev->deadline;
  m.elapsed_ms = ev->elapsed_ms;
  m.count = ev->count;
  Ccenter__V1__ServerFrame sf = CCENTER__V1__SERVER_FRAME__INIT;
  sf.body_case = CCENTER__V1__SERVER_FRAME__BODY_CASE_EVENT;
  sf.case_event = &m;
  return send_event(d, &sf, &m.seq);
}

/* Pulls what the engines queued and sends it, routing events first (one call touches
 * one engine, so this is the order things happened). An event that could not be sent
 * (ENOMEM) is lost to the stream: pulling it cannot be undone. */
int ccenter_proto_dispatcher_flush(ccenter_proto_dispatcher *d)
{
  if (!d)
    return CCENTER_EINVAL;
  int rc = 0, r;
  const ccenter_event *ev;
  while (d->cfg.engine && (ev = ccenter_engine_next_event(d->cfg.engine)))
    if ((r = send_routing_event(d, ev)) && !rc)
      rc = r;
  const ccenter_case_event *cev;
  while (d->cfg.cases && (cev = ccenter_cases_next_event(d->cfg.cases)))
    if ((r = send_case_event(d, cev)) && !rc)
      rc = r;
  return rc;
}

int ccenter_proto_dispatcher_advance(ccenter_proto_dispatcher *d, int64_t now)
{
  if (!d)
    return CCENTER_EINVAL;
  int rc = 0, r;
  if (d->cfg.engine)
    rc = ccenter_engine_advance(d->cfg.engine, now);
  if (d->cfg.cases && (r = ccenter_cases_advance(d->cfg.cases, now)) && !rc)
    rc = r;
  if ((r = ccenter_proto_dispatcher_flush(d)) && !rc)
    rc = r;
  return rc;
}

static int send_response(ccenter_proto_dispatcher *d, ccenter_proto_session *s, uint64_t rid,
                         Ccenter__V1__Response *resp, int code)
{
  resp->code = code;
  resp->code_name = cc_pb_str(code == CCENTER_PROPOSED ? "CCENTER_PROPOSED"
                                                       : ccenter_err_name(code));
  if (code && !d->msg[0])
    snprintf(d->msg, sizeof d->msg, "%s",
             code == CCENTER_PROPOSED ? "proposed: awaits approval" : ccenter_strerror(code));
  resp->message = d->msg;
  Ccenter__V1__ServerFrame sf = CCENTER__V1__SERVER_FRAME__INIT;
  sf.request_id = rid;
  sf.body_case = CCENTER__V1__SERVER_FRAME__BODY_RESPONSE;
  sf.response = resp;
  return send_to(d, s, &sf);
}

static int send_error(ccenter_proto_dispatcher *d, ccenter_proto_session *s, uint64_t rid,
                      int code)
{
  Ccenter__V1__Response resp = CCENTER__V1__RESPONSE__INIT;
  return send_response(d, s, rid, &resp, code);
}

static int send_goodbye(ccenter_proto_dispatcher *d, ccenter_proto_session *s, int code,
                        const char *reason)
{
  Ccenter__V1__Goodbye g = CCENTER__V1__GOODBYE__INIT;
  g.code = code;
  g.reason = cc_pb_str(reason);
  Ccenter__V1__ServerFrame sf = CCENTER__V1__SERVER_FRAME__INIT;
  sf.body_case = CCENTER__V1__SERVER_FRAME__BODY_GOODBYE;
  sf.goodbye = &g;
  return send_to(d, s, &sf);
}

/* Sets the response's message; returns code for `return fail(...)`. */
static int fail(ccenter_proto_dispatcher *d, int code, const char *what, const char *field)
{
  snprintf(d->msg, sizeof d->msg, "%s%s%s", what, field ? ": " : "", field ? field : "");
  return code;
}

/* ---------------------------------------------------------------------------------- */
/* Extract: the checks                                                                  */

/* Whether s is well-formed UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF). protobuf-c does not check what proto3 requires of strings, and a string
 * that is not UTF-8 would come back in events that Google's runtimes refuse to parse. */
static int utf8_ok(const char *s)
{
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    unsigned c = *p++, n;
    uint32_t cp;
    if (c < 0x80)
      continue;
    if (c >= 0xc2 && c <= 0xdf)
      n = 1, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
      n = 2, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
      n = 3, cp = c & 0x07;
    else
      return 0;
    for (unsigned i = 0; i < n; i++, p++) {
      if ((*p & 0xc0) != 0x80)
        return 0;
      cp = cp << 6 | (*p & 0x3f);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return 0;
  }
  return 1;
}

/* An optional string of at most max bytes of UTF-8: empty is none (NULL). */
static int opt_str(ccenter_proto_dispatcher *d, const char *s, size_t max, const char *name,
                   const char **out)
{
  if (s && strlen(s) > max)
    return fail(d, CCENTER_EINVAL, "too long", name);
  if (s && !utf8_ok(s))
    return fail(d, CCENTER_EINVAL, "not UTF-8", name);
  *out = s && *s ? s : NULL;
  return 0;
}

/* A required string of 1..max bytes of UTF-8. */
static int need_str(ccenter_proto_dispatcher *d, const char *s, size_t max, const char *name,
                    const char **out)
{
  if (!s || !*s)
    return fail(d, CCENTER_EINVAL, "missing field", name);
  return opt_str(d, s, max, name, out);
}

static int enum_in(ccenter_proto_dispatcher *d, int v, int lo, int hi, const char *name)
{
  if (v < lo || v > hi)
    return fail(d, CCENTER_EINVAL, "enum value out of range", name);
  return 0;
}

#define ID CCENTER_MAX_ID
/* A contact's attributes as ccenter_contact_enqueue() takes them (acd/contact.c): at most
 * 64, values shorter than 4096 bytes. */
#define CC_PROTO_CONTACT_ATTRS 64
#define CC_PROTO_CONTACT_ATTR_VALUE 4095
#define CID CCENTER_WF_MAX_CASE_ID
#define TRY(x)       \
  do {               \
    int rc_ = (x);   \
    if (rc_)         \
      return rc_;    \
  } while (0)
#define NEED(msg) \
  if (!(msg))     \
  return fail(d, CCENTER_EINVAL, "missing message", NULL)

static int extract_enqueue(ccenter_proto_dispatcher *d, const Ccenter__V1__ContactEnqueue *m,
                           pcall *c)
{
  TRY(need_str(d, m->contact, ID, "contact", &c->contact));
  TRY(need_str(d, m->queue, ID, "queue", &c->queue));
  TRY(enum_in(d, m->channel, 0, CCENTER_CHANNEL_COUNT_ - 1, "channel"));
  const char *unused;
  TRY(opt_str(d, m->customer, ID, "customer", &unused));
  if (m->n_attrs > CC_PROTO_CONTACT_ATTRS)
    return fail(d, CCENTER_EINVAL, "too many", "attrs");
  for (size_t k = 0; k < m->n_attrs; k++) {
    NEED(m->attrs[k]);
    TRY(need_str(d, m->attrs[k]->key, ID, "attrs.key", &unused));
    TRY(opt_str(d, m->attrs[k]->value, CC_PROTO_CONTACT_ATTR_VALUE, "attrs.value", &unused));
  }
  if (m->n_steps > CCENTER_MAX_STEPS)
    return fail(d, CCENTER_EINVAL, "too many", "steps");
  for (size_t k = 0; k < m->n_steps; k++) {
    NEED(m->steps[k]);
    TRY(opt_str(d, m->steps[k]->requirement, CCENTER_MAX_REQUIREMENT, "steps.requirement",
                &unused));
  }
  if (m->n_preferred > CCENTER_MAX_PREFERRED)
    return fail(d, CCENTER_EINVAL, "too many", "preferred");
  for (size_t k = 0; k < m->n_preferred; k++)
    TRY(need_str(d, m->preferred[k], ID, "preferred", &unused));
  return 0;
}

static int extract_transition(ccenter_proto_dispatcher *d, const Ccenter__V1__CaseTransition *m,
                              pcall *c)
{
  TRY(need_str(d, m->case_id, CID, "case_id", &c->case_id));
  TRY(need_str(d, m->transition, CCENTER_WF_MAX_NAME, "transition", &c->s2));
  TRY(need_str(d, m->actor, CID, "actor", &c->actor));
  TRY(opt_str(d, m->reason, CCENTER_WF_MAX_TEXT, "reason", &c->s3));
  if (m->n_evidence > CCENTER_WF_MAX_EVIDENCE)
    return fail(d, CCENTER_EINVAL, "too many", "evidence");
  const char *unused;
  for (size_t k = 0; k < m->n_evidence; k++) {
    NEED(m->evidence[k]);
    TRY(need_str(d, m->evidence[k]->name, CCENTER_WF_MAX_NAME, "evidence.name", &unused));
    TRY(need_str(d, m->evidence[k]->ref, CCENTER_WF_MAX_TEXT, "evidence.ref", &unused));
  }
  return 0;
}

static int extract_set_field(ccenter_proto_dispatcher *d, const Ccenter__V1__CaseSetField *m,
                             pcall *c)
{
  TRY(need_str(d, m->case_id, CID, "case_id", &c->case_id));
  TRY(need_str(d, m->actor, CID, "actor", &c->actor));
  TRY(need_str(d, m->field, CCENTER_WF_MAX_NAME, "field", &c->s2));
  switch (m->value_case) {
  case CCENTER__V1__CASE_SET_FIELD__VALUE_INT_VALUE:
    c->i1 = m->int_value;
    return 0;
  case CCENTER__V1__CASE_SET_FIELD__VALUE_TEXT_VALUE:
    return need_str(d, m->text_value, CCENTER_WF_MAX_TEXT, "text_value", &c->s3);
  case CCENTER__V1__CASE_SET_FIELD__VALUE_MONEY:
    NEED(m->money);
    c->i1 = m->money->minor_units;
    TRY(need_str(d, m->money->currency, 3, "money.currency", &c->s3));
    if (strlen(c->s3) != 3)
      return fail(d, CCENTER_EINVAL, "three letters", "money.currency");
    return 0;
  default:
    return fail(d, CCENTER_EINVAL, "missing field", "value");
  }
}

/* Reads cmd into c: 0, or an error code with d->msg saying what is wrong. */
static int extract(ccenter_proto_dispatcher *d, const Ccenter__V1__Command *cmd, pcall *c)
{
  memset(c, 0, sizeof *c);
  c->cmd = cmd;
  c->kind = (ccenter_proto_kind)cmd->cmd_case;
  switch (cmd->cmd_case) {
  case CCENTER__V1__COMMAND__CMD_ENGINE_SET:
    NEED(cmd->engine_set);
    TRY(enum_in(d, cmd->engine_set->option, CCENTER_ENGINE_MAX_NO_ANSWER, CCENTER_ENGINE_SEED,
                "option"));
    c->i1 = cmd->engine_set->option;
    c->i2 = cmd->engine_set->value;
    return 0;
  case CCENTER__V1__COMMAND__CMD_ADVANCE:
  case CCENTER__V1__COMMAND__CMD_CASE_ADVANCE:
    return 0;
  case CCENTER__V1__COMMAND__CMD_QUEUE_ADD:
    NEED(cmd->queue_add);
    return need_str(d, cmd->queue_add->queue, ID, "queue", &c->queue);
  case CCENTER__V1__COMMAND__CMD_QUEUE_CLEAR_STEPS:
    NEED(cmd->queue_clear_steps);
    return need_str(d, cmd->queue_clear_steps->queue, ID, "queue", &c->queue);
  case CCENTER__V1__COMMAND__CMD_QUEUE_INFO:
    NEED(cmd->queue_info);
    return need_str(d, cmd->queue_info->queue, ID, "queue", &c->queue);
  case CCENTER__V1__COMMAND__CMD_QUEUE_REMOVE:
    NEED(cmd->queue_remove);
    TRY(need_str(d, cmd->queue_remove->queue, ID, "queue", &c->queue));
    return opt_str(d, cmd->queue_remove->drain_to, ID, "drain_to", &c->s2);
  case CCENTER__V1__COMMAND__CMD_QUEUE_SET:
    NEED(cmd->queue_set);
    TRY(need_str(d, cmd->queue_set->queue, ID, "queue", &c->queue));
    TRY(enum_in(d, cmd->queue_set->option, CCENTER_QUEUE_MAX_LENGTH, CCENTER_QUEUE_RESERVE_SL,
                "option"));
    c->i1 = cmd->queue_set->option;
    c->i2 = cmd->queue_set->value;
    return 0;
  case CCENTER__V1__COMMAND__CMD_QUEUE_SET_OVERFLOW:
    NEED(cmd->queue_set_overflow);
    TRY(need_str(d, cmd->queue_set_overflow->queue, ID, "queue", &c->queue));
    return opt_str(d, cmd->queue_set_overflow->target, ID, "target", &c->s2);
  case CCENTER__V1__COMMAND__CMD_QUEUE_SET_THRESHOLDS:
    NEED(cmd->queue_set_thresholds);
    if (cmd->queue_set_thresholds->n_ms > CCENTER_MAX_THRESHOLDS)
      return fail(d, CCENTER_EFULL, "too many", "ms");
    return need_str(d, cmd->queue_set_thresholds->queue, ID, "queue", &c->queue);
  case CCENTER__V1__COMMAND__CMD_QUEUE_ADD_STEP:
    NEED(cmd->queue_add_step);
    TRY(need_str(d, cmd->queue_add_step->queue, ID, "queue", &c->queue));
    TRY(opt_str(d, cmd->queue_add_step->requirement, CCENTER_MAX_REQUIREMENT, "requirement",
                &c->s2));
    c->s2 = cmd->queue_add_step->requirement; /* "" is a requirement: every member */
    c->i1 = cmd->queue_add_step->duration_ms;
    return 0;
  case CCENTER__V1__COMMAND__CMD_AGENT_ADD:
  case CCENTER__V1__COMMAND__CMD_AGENT_REMOVE:
  case CCENTER__V1__COMMAND__CMD_AGENT_LOGIN:
  case CCENTER__V1__COMMAND__CMD_AGENT_LOGOUT:
  case CCENTER__V1__COMMAND__CMD_AGENT_READY:
  case CCENTER__V1__COMMAND__CMD_AGENT_INFO: {
    /* All six carry an AgentRef in the same union. */
    const Ccenter__V1__AgentRef *m = cmd->agent_add;
    NEED(m);
    return need_str(d, m->agent, ID, "agent", &c->agent);
  }
  case CCENTER__V1__COMMAND__CMD_AGENT_NOT_READY:
    NEED(cmd->agent_not_ready);
    TRY(need_str(d, cmd->agent_not_ready->agent, ID, "agent", &c->agent));
    return opt_str(d, cmd->agent_not_ready->reason, ID, "reason", &c->s2);
  case CCENTER__V1__COMMAND__CMD_AGENT_SERVE:
    NEED(cmd->agent_serve);
    TRY(need_str(d, cmd->agent_serve->agent, ID, "agent", &c->agent));
    TRY(need_str(d, cmd->agent_serve->queue, ID, "queue", &c->queue));
    c->i1 = cmd->agent_serve->priority;
    c->i2 = cmd->agent_serve->delay_ms;
    c->i3 = cmd->agent_serve->reserve;
    return 0;
  case CCENTER__V1__COMMAND__CMD_AGENT_UNSERVE:
    NEED(cmd->agent_unserve);
    TRY(need_str(d, cmd->agent_unserve->agent, ID, "agent", &c->agent));
    return need_str(d, cmd->agent_unserve->queue, ID, "queue", &c->queue);
  case CCENTER__V1__COMMAND__CMD_AGENT_SET_SKILL:
    NEED(cmd->agent_set_skill);
    TRY(need_str(d, cmd->agent_set_skill->agent, ID, "agent", &c->agent));
    TRY(need_str(d, cmd->agent_set_skill->skill, CCENTER_MAX_NAME, "skill", &c->s2));
    c->i1 = cmd->agent_set_skill->level;
    return 0;
  case CCENTER__V1__COMMAND__CMD_AGENT_SET_ATTR:
    NEED(cmd->agent_set_attr);
    TRY(need_str(d, cmd->agent_set_attr->agent, ID, "agent", &c->agent));
    TRY(need_str(d, cmd->agent_set_attr->key, CCENTER_MAX_NAME, "key", &c->s2));
    return opt_str(d, cmd->agent_set_attr->value, CCENTER_MAX_VALUE, "value", &c->s3);
  case CCENTER__V1__COMMAND__CMD_AGENT_SET_CAPACITY:
    NEED(cmd->agent_set_capacity);
    TRY(need_str(d, cmd->agent_set_capacity->agent, ID, "agent", &c->agent));
    TRY(enum_in(d, cmd->agent_set_capacity->channel, 0, CCENTER_CHANNEL_COUNT_ - 1, "channel"));
    c->i1 = cmd->agent_set_capacity->channel;
    c->i2 = cmd->agent_set_capacity->capacity;
    return 0;
  case CCENTER__V1__COMMAND__CMD_AGENT_SET_OVERLAP:
    NEED(cmd->agent_set_overlap);
    TRY(need_str(d, cmd->agent_set_overlap->agent, ID, "agent", &c->agent));
    TRY(enum_in(d, cmd->agent_set_overlap->busy, 0, CCENTER_CHANNEL_COUNT_ - 1, "busy"));
    TRY(enum_in(d, cmd->agent_set_overlap->incoming, 0, CCENTER_CHANNEL_COUNT_ - 1, "incoming"));
    c->i1 = cmd->agent_set_overlap->busy;
    c->i2 = cmd->agent_set_overlap->incoming;
    c->i3 = cmd->agent_set_overlap->allowed;
    return 0;
  case CCENTER__V1__COMMAND__CMD_AGENT_SET_WRAP_UP:
    NEED(cmd->agent_set_wrap_up);
    TRY(need_str(d, cmd->agent_set_wrap_up->agent, ID, "agent", &c->agent));
    c->i1 = cmd->agent_set_wrap_up->wrap_up_ms;
    return 0;
  case CCENTER__V1__COMMAND__CMD_OFFER_ACCEPT:
  case CCENTER__V1__COMMAND__CMD_OFFER_REJECT:
  case CCENTER__V1__COMMAND__CMD_OFFER_MISSED:
  case CCENTER__V1__COMMAND__CMD_WRAP_UP_END: {
    const Ccenter__V1__AgentContact *m = cmd->offer_accept;
    NEED(m);
    TRY(need_str(d, m->agent, ID, "agent", &c->agent));
    return need_str(d, m->contact, ID, "contact", &c->contact);
  }
  case CCENTER__V1__COMMAND__CMD_WRAP_UP_EXTEND:
    NEED(cmd->wrap_up_extend);
    TRY(need_str(d, cmd->wrap_up_extend->agent, ID, "agent", &c->agent));
    TRY(need_str(d, cmd->wrap_up_extend->contact, ID, "contact", &c->contact));
    c->i1 = cmd->wrap_up_extend->extra_ms;
    return 0;
  case CCENTER__V1__COMMAND__CMD_CONTACT_ENQUEUE:
    NEED(cmd->contact_enqueue);
    return extract_enqueue(d, cmd->contact_enqueue, c);
  case CCENTER__V1__COMMAND__CMD_CONTACT_ABANDON:
  case CCENTER__V1__COMMAND__CMD_CONTACT_REMOVE:
  case CCENTER__V1__COMMAND__CMD_CONTACT_HOLD:
  case CCENTER__V1__COMMAND__CMD_CONTACT_RESUME:
  case CCENTER__V1__COMMAND__CMD_CONTACT_REQUEUE:
  case CCENTER__V1__COMMAND__CMD_CONSULT_COMPLETE:
  case CCENTER__V1__COMMAND__CMD_CONSULT_CANCEL:
  case CCENTER__V1__COMMAND__CMD_CONTACT_CALLBACK:
  case CCENTER__V1__COMMAND__CMD_CONTACT_INFO: {
    const Ccenter__V1__ContactRef *m = cmd->contact_abandon;
    NEED(m);
    return need_str(d, m->contact, ID, "contact", &c->contact);
  }
  case CCENTER__V1__COMMAND__CMD_CONTACT_END:
    NEED(cmd->contact_end);
    TRY(need_str(d, cmd->contact_end->contact, ID, "contact", &c->contact));
    TRY(enum_in(d, cmd->contact_end->by, CCENTER_PARTY_UNKNOWN, CCENTER_PARTY_AGENT, "by"));
    c->i1 = cmd->contact_end->by;
    return 0;
  case CCENTER__V1__COMMAND__CMD_CONTACT_DISPOSITION:
    NEED(cmd->contact_disposition);
    TRY(need_str(d, cmd->contact_disposition->contact, ID, "contact", &c->contact));
    return need_str(d, cmd->contact_disposition->code, ID, "code", &c->s2);
  case CCENTER__V1__COMMAND__CMD_CONTACT_SURVEY:
    NEED(cmd->contact_survey);
    TRY(need_str(d, cmd->contact_survey->contact, ID, "contact", &c->contact));
    c->i1 = cmd->contact_survey->score;
    return 0;
  case CCENTER__V1__COMMAND__CMD_TRANSFER_QUEUE:
    NEED(cmd->transfer_queue);
    TRY(need_str(d, cmd->transfer_queue->contact, ID, "contact", &c->contact));
    return need_str(d, cmd->transfer_queue->queue, ID, "queue", &c->queue);
  case CCENTER__V1__COMMAND__CMD_TRANSFER_AGENT:
  case CCENTER__V1__COMMAND__CMD_CONSULT_START: {
    const Ccenter__V1__ContactAgent *m = cmd->transfer_agent;
    NEED(m);
    TRY(need_str(d, m->contact, ID, "contact", &c->contact));
    return need_str(d, m->agent, ID, "agent", &c->agent);
  }
  case CCENTER__V1__COMMAND__CMD_CASE_OPEN:
    NEED(cmd->case_open);
    TRY(need_str(d, cmd->case_open->case_id, CID, "case_id", &c->case_id));
    TRY(need_str(d, cmd->case_open->workflow, CCENTER_WF_MAX_NAME, "workflow", &c->s2));
    return need_str(d, cmd->case_open->actor, CID, "actor", &c->actor);
  case CCENTER__V1__COMMAND__CMD_CASE_SET_FIELD:
    NEED(cmd->case_set_field);
    return extract_set_field(d, cmd->case_set_field, c);
  case CCENTER__V1__COMMAND__CMD_CASE_LINK_CONTACT:
    NEED(cmd->case_link_contact);
    TRY(need_str(d, cmd->case_link_contact->case_id, CID, "case_id", &c->case_id));
    TRY(need_str(d, cmd->case_link_contact->contact, CID, "contact", &c->contact));
    return need_str(d, cmd->case_link_contact->actor, CID, "actor", &c->actor);
  case CCENTER__V1__COMMAND__CMD_CASE_TRANSITION:
    NEED(cmd->case_transition);
    return extract_transition(d, cmd->case_transition, c);
  case CCENTER__V1__COMMAND__CMD_CASE_APPROVE:
  case CCENTER__V1__COMMAND__CMD_CASE_REJECT: {
    const Ccenter__V1__CaseDecision *m = cmd->case_approve;
    NEED(m);
    TRY(need_str(d, m->case_id, CID, "case_id", &c->case_id));
    TRY(need_str(d, m->actor, CID, "actor", &c->actor));
    return opt_str(d, m->reason, CCENTER_WF_MAX_TEXT, "reason", &c->s2);
  }
  case CCENTER__V1__COMMAND__CMD_CASE_FORGET:
  case CCENTER__V1__COMMAND__CMD_CASE_INFO: {
    const Ccenter__V1__CaseRef *m = cmd->case_forget;
    NEED(m);
    return need_str(d, m->case_id, CID, "case_id", &c->case_id);
  }
  case CCENTER__V1__COMMAND__CMD_CASE_SET_ACTOR:
    NEED(cmd->case_set_actor);
    TRY(need_str(d, cmd->case_set_actor->actor, CID, "actor", &c->actor));
    return opt_str(d, cmd->case_set_actor->roles, CCENTER_WF_MAX_TEXT, "roles", &c->s2);
  default:
    return fail(d, CCENTER_EINVAL, "missing field", "cmd");
  }
}

/* ---------------------------------------------------------------------------------- */
/* Apply                                                                                */

static int is_case_kind(ccenter_proto_kind k)
{
  return (k >= CCENTER_PROTO_CASE_OPEN && k <= CCENTER_PROTO_CASE_ADVANCE) ||
         k == CCENTER_PROTO_CASE_INFO;
}

static int apply_enqueue(ccenter_engine *e, const Ccenter__V1__ContactEnqueue *m, int64_t now)
{
  ccenter_attr attrs[CCENTER_MAX_ATTRS];
  ccenter_step steps[CCENTER_MAX_STEPS];
  const char *preferred[CCENTER_MAX_PREFERRED];
  for (size_t k = 0; k < m->n_attrs; k++)
    attrs[k] = (ccenter_attr){m->attrs[k]->key, m->attrs[k]->value};
  for (size_t k = 0; k < m->n_steps; k++)
    steps[k] = (ccenter_step){m->steps[k]->requirement, m->steps[k]->duration_ms};
  for (size_t k = 0; k < m->n_preferred; k++)
    preferred[k] = m->preferred[k];
  ccenter_contact_params p;
  ccenter_contact_params_init(&p);
  p.channel = (ccenter_channel)m->channel;
  p.priority = m->priority;
  p.customer = m->customer && *m->customer ? m->customer : NULL;
  p.attrs = m->n_attrs ? attrs : NULL;
  p.n_attrs = m->n_attrs;
  p.steps = m->n_steps ? steps : NULL;
  p.n_steps = m->n_steps;
  p.preferred = m->n_preferred ? preferred : NULL;
  p.n_preferred = m->n_preferred;
  if (m->preferred_timeout_ms)
    p.preferred_timeout_ms = m->preferred_timeout_ms->value;
  p.emergency = m->emergency;
  return ccenter_contact_enqueue(e, m->contact, m->queue, &p, now);
}

static int apply_transition(ccenter_cases *ce, const pcall *c, int64_t now)
{
  const Ccenter__V1__CaseTransition *m = c->cmd->case_transition;
  ccenter_case_evidence ev[CCENTER_WF_MAX_EVIDENCE];
  for (size_t k = 0; k < m->n_evidence; k++)
    ev[k] = (ccenter_case_evidence){m->evidence[k]->name, m->evidence[k]->ref};
  ccenter_case_input in;
  ccenter_case_input_init(&in);
  in.reason = c->s3;
  in.evidence = m->n_evidence ? ev : NULL;
  in.n_evidence = m->n_evidence;
  return ccenter_case_transition(ce, c->case_id, c->s2, c->actor, &in, now);
}

/* The query answers, filled by apply and packed by the caller. */
typedef struct answer {
  Ccenter__V1__QueueInfo q;
  Ccenter__V1__AgentInfo a;
  uint32_t in_channel[CCENTER_CHANNEL_COUNT_];
  Ccenter__V1__ContactInfo c;
  Ccenter__V1__CaseInfo k;
} answer;

static int apply(ccenter_proto_dispatcher *d, const pcall *c, int64_t now,
                 Ccenter__V1__Response *resp, answer *ans)
{
  ccenter_engine *e = d->cfg.engine;
  ccenter_cases *ce = d->cfg.cases;
  if (is_case_kind(c->kind) ? !ce : !e)
    return fail(d, CCENTER_ENOTSUP, "this server has no such engine", NULL);
  const Ccenter__V1__Command *cmd = c->cmd;
  int rc;
  switch (c->kind) {
  case CCENTER_PROTO_ENGINE_SET:
    return ccenter_engine_set(e, (ccenter_engine_option)c->i1, c->i2, now);
  case CCENTER_PROTO_ADVANCE:
    return ccenter_engine_advance(e, now);
  case CCENTER_PROTO_QUEUE_ADD:
    return ccenter_queue_add(e, c->queue, NULL, now);
  case CCENTER_PROTO_QUEUE_REMOVE:
    return ccenter_queue_remove(e, c->queue, c->s2, now);
  case CCENTER_PROTO_QUEUE_SET:
    return ccenter_queue_set(e, c->queue, (ccenter_queue_option)c->i1, c->i2, now);
  case CCENTER_PROTO_QUEUE_SET_OVERFLOW:
    return ccenter_queue_set_overflow(e, c->queue, c->s2, now);
  case CCENTER_PROTO_QUEUE_SET_THRESHOLDS:
    return ccenter_queue_set_thresholds(e, c->queue, cmd->queue_set_thresholds->ms,
                                        cmd->queue_set_thresholds->n_ms, now);
  case CCENTER_PROTO_QUEUE_ADD_STEP:
    return ccenter_queue_add_step(e, c->queue, c->s2, c->i1, now);
  case CCENTER_PROTO_QUEUE_CLEAR_STEPS:
    return ccenter_queue_clear_steps(e, c->queue, now);
  case CCENTER_PROTO_AGENT_ADD:
    return ccenter_agent_add(e, c->agent, NULL, now);
  case CCENTER_PROTO_AGENT_REMOVE:
    return ccenter_agent_remove(e, c->agent, now);
  case CCENTER_PROTO_AGENT_LOGIN:
    return ccenter_agent_login(e, c->agent, now);
  case CCENTER_PROTO_AGENT_LOGOUT:
    return ccenter_agent_logout(e, c->agent, now);
  case CCENTER_PROTO_AGENT_READY:
    return ccenter_agent_ready(e, c->agent, now);
  case CCENTER_PROTO_AGENT_NOT_READY:
    return ccenter_agent_not_ready(e, c->agent, c->s2, now);
  case CCENTER_PROTO_AGENT_SERVE: {
    if (c->i1 < INT32_MIN || c->i1 > INT32_MAX)
      return CCENTER_ERANGE;
    ccenter_serve_params p;
    ccenter_serve_params_init(&p);
    p.priority = (int)c->i1;
    p.delay_ms = c->i2;
    p.reserve = (int)c->i3;
    return ccenter_agent_serve(e, c->agent, c->queue, &p, now);
  }
  case CCENTER_PROTO_AGENT_UNSERVE:
    return ccenter_agent_unserve(e, c->agent, c->queue, now);
  case CCENTER_PROTO_AGENT_SET_SKILL:
    return ccenter_agent_set_skill(e, c->agent, c->s2, (int)c->i1, now);
  case CCENTER_PROTO_AGENT_SET_ATTR:
    return ccenter_agent_set_attr(e, c->agent, c->s2, c->s3, now);
  case CCENTER_PROTO_AGENT_SET_CAPACITY:
    return ccenter_agent_set_capacity(e, c->agent, (ccenter_channel)c->i1, (unsigned)c->i2, now);
  case CCENTER_PROTO_AGENT_SET_OVERLAP:
    return ccenter_agent_set_overlap(e, c->agent, (ccenter_channel)c->i1,
                                     (ccenter_channel)c->i2, (int)c->i3, now);
  case CCENTER_PROTO_AGENT_SET_WRAP_UP:
    return ccenter_agent_set_wrap_up(e, c->agent, c->i1, now);
  case CCENTER_PROTO_OFFER_ACCEPT:
    return ccenter_offer_accept(e, c->agent, c->contact, now);
  case CCENTER_PROTO_OFFER_REJECT:
    return ccenter_offer_reject(e, c->agent, c->contact, now);
  case CCENTER_PROTO_OFFER_MISSED:
    return ccenter_offer_missed(e, c->agent, c->contact, now);
  case CCENTER_PROTO_WRAP_UP_END:
    return ccenter_agent_wrap_up_end(e, c->agent, c->contact, now);
  case CCENTER_PROTO_WRAP_UP_EXTEND:
    return ccenter_agent_wrap_up_extend(e, c->agent, c->contact, c->i1, now);
  case CCENTER_PROTO_CONTACT_ENQUEUE:
    return apply_enqueue(e, cmd->contact_enqueue, now);
  case CCENTER_PROTO_CONTACT_ABANDON:
    return ccenter_contact_abandon(e, c->contact, now);
  case CCENTER_PROTO_CONTACT_REMOVE:
    return ccenter_contact_remove(e, c->contact, now);
  case CCENTER_PROTO_CONTACT_END:
    return ccenter_contact_end(e, c->contact, (ccenter_party)c->i1, now);
  case CCENTER_PROTO_CONTACT_HOLD:
    return ccenter_contact_hold(e, c->contact, now);
  case CCENTER_PROTO_CONTACT_RESUME:
    return ccenter_contact_resume(e, c->contact, now);
  case CCENTER_PROTO_CONTACT_DISPOSITION:
    return ccenter_contact_disposition(e, c->contact, c->s2, now);
  case CCENTER_PROTO_CONTACT_SURVEY:
    return ccenter_contact_survey(e, c->contact, (int)c->i1, now);
  case CCENTER_PROTO_TRANSFER_QUEUE:
    return ccenter_contact_transfer_queue(e, c->contact, c->queue, now);
  case CCENTER_PROTO_TRANSFER_AGENT:
    return ccenter_contact_transfer_agent(e, c->contact, c->agent, now);
  case CCENTER_PROTO_CONTACT_REQUEUE:
    return ccenter_contact_requeue(e, c->contact, now);
  case CCENTER_PROTO_CONSULT_START:
    return ccenter_contact_consult_start(e, c->contact, c->agent, now);
  case CCENTER_PROTO_CONSULT_COMPLETE:
    return ccenter_contact_consult_complete(e, c->contact, now);
  case CCENTER_PROTO_CONSULT_CANCEL:
    return ccenter_contact_consult_cancel(e, c->contact, now);
  case CCENTER_PROTO_CONTACT_CALLBACK:
    return ccenter_contact_callback(e, c->contact, now);
  case CCENTER_PROTO_CASE_OPEN:
    return ccenter_case_open(ce, c->case_id, c->s2, c->actor, NULL, now);
  case CCENTER_PROTO_CASE_SET_FIELD:
    switch (cmd->case_set_field->value_case) {
    case CCENTER__V1__CASE_SET_FIELD__VALUE_INT_VALUE:
      return ccenter_case_set_int(ce, c->case_id, c->actor, c->s2, c->i1, now);
    case CCENTER__V1__CASE_SET_FIELD__VALUE_TEXT_VALUE:
      return ccenter_case_set_text(ce, c->case_id, c->actor, c->s2, c->s3, now);
    default:
      return ccenter_case_set_money(ce, c->case_id, c->actor, c->s2, c->i1, c->s3, now);
    }
  case CCENTER_PROTO_CASE_LINK_CONTACT:
    return ccenter_case_link_contact(ce, c->case_id, c->contact, c->actor, now);
  case CCENTER_PROTO_CASE_TRANSITION:
    return apply_transition(ce, c, now);
  case CCENTER_PROTO_CASE_APPROVE:
    return ccenter_case_approve(ce, c->case_id, c->actor, c->s2, now);
  case CCENTER_PROTO_CASE_REJECT:
    return ccenter_case_reject(ce, c->case_id, c->actor, c->s2, now);
  case CCENTER_PROTO_CASE_FORGET:
    return ccenter_case_forget(ce, c->case_id, now);
  case CCENTER_PROTO_CASE_SET_ACTOR:
    return ccenter_cases_set_actor(ce, c->actor, c->s2, now);
  case CCENTER_PROTO_CASE_ADVANCE:
    return ccenter_cases_advance(ce, now);
  case CCENTER_PROTO_QUEUE_INFO:
    if (!(rc = cc_pb_queue_info(e, c->queue, now, &ans->q))) {
      resp->result_case = CCENTER__V1__RESPONSE__RESULT_QUEUE_INFO;
      resp->queue_info = &ans->q;
    }
    return rc;
  case CCENTER_PROTO_AGENT_INFO:
    if (!(rc = cc_pb_agent_info(e, c->agent, now, &ans->a, ans->in_channel))) {
      resp->result_case = CCENTER__V1__RESPONSE__RESULT_AGENT_INFO;
      resp->agent_info = &ans->a;
    }
    return rc;
  case CCENTER_PROTO_CONTACT_INFO:
    if (!(rc = cc_pb_contact_info(e, c->contact, now, &ans->c))) {
      resp->result_case = CCENTER__V1__RESPONSE__RESULT_CONTACT_INFO;
      resp->contact_info = &ans->c;
    }
    return rc;
  case CCENTER_PROTO_CASE_INFO:
    if (!(rc = cc_pb_case_info(ce, c->case_id, &ans->k))) {
      resp->result_case = CCENTER__V1__RESPONSE__RESULT_CASE_INFO;
      resp->case_info = &ans->k;
    }
    return rc;
  default:
    return fail(d, CCENTER_EINVAL, "missing field", "cmd");
  }
}

/* ---------------------------------------------------------------------------------- */
/* Frames                                                                               */

static int authorised(ccenter_proto_dispatcher *d, ccenter_proto_session *s,
                      ccenter_proto_request *req)
{
  req->size = sizeof *req;
  req->session_data = s->data;
  if (!req->principal) {
    req->role = s->role;
    req->principal = s->principal;
  }
  if (d->cfg.authorize && d->cfg.authorize(d->cfg.ud, req) != 0) {
    fail(d, CCENTER_EPERM, "refused by the server's authorisation",
         ccenter_proto_kind_name(req->kind));
    return 0;
  }
  return 1;
}

static int on_hello(ccenter_proto_dispatcher *d, ccenter_proto_session *s, uint64_t rid,
                    const Ccenter__V1__Hello *h)
{
  int rc = 0;
  const char *principal = NULL;
  if (s->principal)
    rc = fail(d, CCENTER_ESTATE, "the session is authenticated already", NULL);
  else if (!h)
    rc = fail(d, CCENTER_EINVAL, "missing message", "hello");
  else if (h->protocol_version != CCENTER_PROTO_VERSION)
    rc = fail(d, CCENTER_ENOTSUP, "unsupported protocol version", NULL);
  else if (!(rc = enum_in(d, h->role, CCENTER_PROTO_ROLE_SWITCH, CCENTER_PROTO_ROLE_WALLBOARD,
                          "role")))
    rc = need_str(d, h->principal, CCENTER_WF_MAX_CASE_ID, "principal", &principal);
  if (!rc) {
    ccenter_proto_request req = {.kind = CCENTER_PROTO_HELLO,
                                 .role = (ccenter_proto_role)h->role,
                                 .principal = principal,
                                 .credential = h->credential.data,
                                 .credential_len = h->credential.len};
    if (!authorised(d, s, &req))
      rc = CCENTER_EPERM;
  }
  if (rc)
    return send_error(d, s, rid, rc);
  size_t n = strlen(principal) + 1;
  if (!(s->principal = malloc(n)))
    return CCENTER_ENOMEM;
  memcpy(s->principal, principal, n);
  s->role = (ccenter_proto_role)h->role;
  Ccenter__V1__Welcome w = CCENTER__V1__WELCOME__INIT;
  w.protocol_version = CCENTER_PROTO_VERSION;
  w.last_seq = d->seq;
  w.role = (Ccenter__V1__Role)s->role;
  w.principal = s->principal;
  Ccenter__V1__ServerFrame sf = CCENTER__V1__SERVER_FRAME__INIT;
  sf.request_id = rid;
  sf.body_case = CCENTER__V1__SERVER_FRAME__BODY_WELCOME;
  sf.welcome = &w;
  return send_to(d, s, &sf);
}

static int send_snapshot(ccenter_proto_dispatcher *d, ccenter_proto_session *s, uint64_t rid,
                         int64_t now)
{
  Ccenter__V1__Snapshot snap = CCENTER__V1__SNAPSHOT__INIT;
  snap.last_seq = d->seq;
  snap.time = now;
  int rc = cc_pb_snapshot_fill(d->cfg.engine, d->cfg.cases, now, &snap);
  if (rc)
    return send_error(d, s, rid, rc);
  Ccenter__V1__ServerFrame sf = CCENTER__V1__SERVER_FRAME__INIT;
  sf.request_id = rid;
  sf.body_case = CCENTER__V1__SERVER_FRAME__BODY_SNAPSHOT;
  sf.snapshot = &snap;
  rc = send_to(d, s, &sf);
  cc_pb_snapshot_free(&snap);
  return rc;
}

/* Whether a client that saw `after` last has missed nothing the window lacks. The window
 * is one unbroken stream: the frames sent here, after those preloaded from an earlier
 * run (whose caller vouches that the earlier run sent nothing after the last of them).
 * So `after` must be a number the window holds, the one just before it, or the last sent
 * with nothing kept. Any other number (below the window, or one the window skips, such as
 * those between an earlier run's last frame and first_seq + 1) may hide events: a
 * snapshot instead. */
static int resumable(const ccenter_proto_dispatcher *d, uint64_t after)
{
  if (!d->ring_n)
    return after == d->seq;
  if (after + 1 == kept_at(d, 0)->seq)
    return 1;
  size_t lo = 0, hi = d->ring_n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    uint64_t s = kept_at(d, mid)->seq;
    if (s == after)
      return 1;
    if (s < after)
      lo = mid + 1;
    else
      hi = mid;
  }
  return 0;
}

static int on_resume(ccenter_proto_dispatcher *d, ccenter_proto_session *s, uint64_t rid,
                     const Ccenter__V1__Resume *r, int64_t now)
{
  if (!r)
    return send_error(d, s, rid, fail(d, CCENTER_EINVAL, "missing message", "resume"));
  if (r->after_seq > d->seq)
    return send_error(d, s, rid, fail(d, CCENTER_ERANGE, "after_seq is ahead of the stream",
                                      NULL));
  uint64_t first_kept = d->ring_n ? d->ring[d->ring_head].seq : 0;
  Ccenter__V1__ResumeResult rr = CCENTER__V1__RESUME_RESULT__INIT;
  rr.last_seq = d->seq;
  rr.first_kept = first_kept;
  rr.too_old = !resumable(d, r->after_seq);
  Ccenter__V1__Response resp = CCENTER__V1__RESPONSE__INIT;
  resp.result_case = CCENTER__V1__RESPONSE__RESULT_RESUME;
  resp.resume = &rr;
  if (rr.too_old)
    snprintf(d->msg, sizeof d->msg, "too old: snapshot follows");
  int rc = send_response(d, s, rid, &resp, 0);
  if (rc || rr.too_old)
    return rc ? rc : send_snapshot(d, s, rid, now);
  for (size_t k = 0; k < d->ring_n; k++) {
    const kept *e = kept_at(d, k);
    if (e->seq > r->after_seq)
      d->cfg.output(d->cfg.ud, s, s->data, e->bytes, e->len);
  }
  return 0;
}

static int on_command(ccenter_proto_dispatcher *d, ccenter_proto_session *s, uint64_t rid,
                      const Ccenter__V1__Command *cmd, int64_t now)
{
  pcall c;
  int rc = cmd ? extract(d, cmd, &c) : fail(d, CCENTER_EINVAL, "missing message", "command");
  if (!rc) {
    ccenter_proto_request req = {.kind = c.kind,
                                 .agent = c.agent,
                                 .contact = c.contact,
                                 .queue = c.queue,
                                 .case_id = c.case_id,
                                 .actor = c.actor};
    if (!authorised(d, s, &req))
      rc = CCENTER_EPERM;
  }
  Ccenter__V1__Response resp = CCENTER__V1__RESPONSE__INIT;
  answer ans;
  memset(&ans, 0, sizeof ans);
  if (!rc)
    rc = apply(d, &c, now, &resp, &ans);
  int r = send_response(d, s, rid, &resp, rc);
  cc_pb_case_info_free(&ans.k);
  /* A failed call may still have fired timers due by now: their events go out too. */
  int f = ccenter_proto_dispatcher_flush(d);
  return r ? r : f;
}

int ccenter_proto_dispatch(ccenter_proto_dispatcher *d, ccenter_proto_session *s,
                           const void *data, size_t len, int64_t now)
{
  if (!d || !s || (!data && len))
    return CCENTER_EINVAL;
  d->msg[0] = 0;
  if (len > d->cfg.max_frame) {
    send_goodbye(d, s, CCENTER_EFULL, "frame over the size limit");
    return CCENTER_EFULL;
  }
  /* Events the caller's own calls queued go out before this frame's. */
  int rc = ccenter_proto_dispatcher_flush(d);
  if (rc)
    return rc;
  Ccenter__V1__ClientFrame *f = ccenter__v1__client_frame__unpack(NULL, len, data);
  if (!f) {
    send_goodbye(d, s, CCENTER_ECORRUPT, "undecodable frame");
    return CCENTER_ECORRUPT;
  }
  uint64_t rid = f->request_id;
  ccenter_proto_request req = {0};
  switch (f->body_case) {
  case CCENTER__V1__CLIENT_FRAME__BODY_HELLO:
    rc = on_hello(d, s, rid, f->hello);
    break;
  case CCENTER__V1__CLIENT_FRAME__BODY_PING: {
    Ccenter__V1__Pong p = CCENTER__V1__PONG__INIT;
    p.token = f->ping ? f->ping->token : 0;
    Ccenter__V1__ServerFrame sf = CCENTER__V1__SERVER_FRAME__INIT;
    sf.request_id = rid;
    sf.body_case = CCENTER__V1__SERVER_FRAME__BODY_PONG;
    sf.pong = &p;
    rc = send_to(d, s, &sf);
    break;
  }
  case CCENTER__V1__CLIENT_FRAME__BODY_COMMAND:
  case CCENTER__V1__CLIENT_FRAME__BODY_RESUME:
  case CCENTER__V1__CLIENT_FRAME__BODY_SNAPSHOT:
    if (!s->principal) {
      rc = send_error(d, s, rid, fail(d, CCENTER_EPERM, "no handshake yet", NULL));
      break;
    }
    if (f->body_case == CCENTER__V1__CLIENT_FRAME__BODY_COMMAND) {
      rc = on_command(d, s, rid, f->command, now);
      break;
    }
    req.kind = f->body_case == CCENTER__V1__CLIENT_FRAME__BODY_RESUME ? CCENTER_PROTO_RESUME
                                                                       : CCENTER_PROTO_SNAPSHOT;
    if (!authorised(d, s, &req))
      rc = send_error(d, s, rid, CCENTER_EPERM);
    else if (req.kind == CCENTER_PROTO_RESUME)
      rc = on_resume(d, s, rid, f->resume, now);
    else
      rc = send_snapshot(d, s, rid, now);
    break;
  default:
    rc = send_error(d, s, rid, fail(d, CCENTER_EINVAL, "missing field", "body"));
    break;
  }
  ccenter__v1__client_frame__free_unpacked(f, NULL);
  return rc;
}
