/*
 * Asterisk queue_log export (docs/statistics.md has the mapping), after the ast_queue_log()
 * calls of Asterisk's apps/app_queue.c. The formatter is a pure function of one event,
 * one line; the attached sink adds what one event cannot say from small records kept in
 * the objects' observer slots: per contact (until CONTACT_ENDED) the wait of a finished
 * conversation, whether a transfer completed a consultation, and its queue visits (the
 * exit line before the ENTERQUEUE of a requeue or a drain, nothing once a transfer to an
 * agent took it out of the queue); per agent (while it is a member of a queue) its queues,
 * for a PAUSE / UNPAUSE line in each. Lines go to the integrator's function: the library
 * writes no file.
 */
#include <string.h>

#include "acd/engine_int.h"
#include "ccenter/stats.h"
#include "core/options.h"
#include "core/util.h"
#include "sla/stats.h"

#define QL_LINE 4096

/* A bounded writer: never writes at or past len - 1 (room for the NUL). */
typedef struct wr {
  char *buf;
  size_t len, n;
  int over;
} wr;

static void put_ch(wr *w, char ch)
{
  if (w->n + 1 < w->len)
    w->buf[w->n] = ch;
  else
    w->over = 1;
  w->n++;
}

static void put_raw(wr *w, const char *s)
{
  while (*s)
    put_ch(w, *s++);
}

/* An identifier: NULL is NONE; the separator and line breaks become '_'. */
static void put_id(wr *w, const char *s)
{
  if (!s) {
    put_raw(w, "NONE");
    return;
  }
  for (; *s; s++)
    put_ch(w, (*s == '|' || *s == '\n' || *s == '\r') ? '_' : *s);
}

static void put_i64(wr *w, int64_t v)
{
  char tmp[24];
  size_t k = 0;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    tmp[k++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0)
    put_ch(w, '-');
  while (k)
    put_ch(w, tmp[--k]);
}

/* Whole seconds of a duration in ms (truncated). */
static int64_t secs(int64_t ms)
{
  return cc_fdiv(ms, 1000);
}

static void head(wr *w, const ccenter_event *ev, int64_t off, const char *queue,
                 const char *agent, const char *name)
{
  put_i64(w, cc_fdiv(ev->time + off, 1000));
  put_ch(w, '|');
  put_id(w, ev->contact);
  put_ch(w, '|');
  put_id(w, queue);
  put_ch(w, '|');
  put_id(w, agent);
  put_ch(w, '|');
  put_raw(w, name);
}

static void field_i64(wr *w, int64_t v)
{
  put_ch(w, '|');
  put_i64(w, v);
}

static void field_id(wr *w, const char *s)
{
  put_ch(w, '|');
  put_id(w, s);
}

/* A text field that is empty when unknown (app_queue's caller id, reasons). */
static void field_text(wr *w, const char *s)
{
  put_ch(w, '|');
  if (s)
    put_id(w, s);
}

/* position, original position, wait time (s) */
static void exit_fields(wr *w, const ccenter_event *ev)
{
  field_i64(w, ev->position);
  field_i64(w, ev->orig_position);
  field_i64(w, secs(ev->wait_ms));
}

/* A presence change between READY and NOT_READY: app_queue's pause of a member in every
 * queue (not a login or a logout). */
static int is_pause(const ccenter_event *ev)
{
  return ev->type == CCENTER_EV_AGENT_STATE && ev->prev_state != CCENTER_AGENT_LOGGED_OUT &&
         (ev->state == CCENTER_AGENT_NOT_READY || ev->state == CCENTER_AGENT_READY);
}

/* Writes the line; 0 if the event has no queue_log equivalent. */
static int build(wr *w, const ccenter_event *ev, int64_t off, int attended)
{
  switch (ev->type) {
  case CCENTER_EV_CONTACT_QUEUED:
  case CCENTER_EV_CONTACT_REQUEUED:
  case CCENTER_EV_QUEUE_MOVED:
    /* url|callerid|original position; a drain's arrival is in queue_to */
    head(w, ev, off, ev->queue_to ? ev->queue_to : ev->queue, NULL, "ENTERQUEUE");
    put_ch(w, '|'); /* url: none */
    field_text(w, ev->customer);
    field_i64(w, ev->position);
    return 1;
  case CCENTER_EV_CONTACT_CONNECTED:
    head(w, ev, off, ev->queue, ev->agent, "CONNECT");
    field_i64(w, secs(ev->wait_ms));
    field_id(w, ev->contact);
    field_i64(w, secs(ev->duration_ms));
    return 1;
  case CCENTER_EV_CONVERSATION_ENDED:
    head(w, ev, off, ev->queue, ev->agent,
         ev->party == CCENTER_PARTY_AGENT ? "COMPLETEAGENT" : "COMPLETECALLER");
    field_i64(w, secs(ev->wait_ms));
    field_i64(w, secs(ev->duration_ms));
    field_i64(w, ev->orig_position);
    return 1;
  case CCENTER_EV_CONTACT_OVERFLOWED:
    /* A Queue() that timed out before the dialplan sent the call to the next queue; the
     * CONTACT_QUEUED that follows writes the ENTERQUEUE there. */
    head(w, ev, off, ev->queue, NULL, "EXITWITHTIMEOUT");
    exit_fields(w, ev);
    return 1;
  case CCENTER_EV_CONTACT_ENDED:
    switch (ev->outcome) {
    case CCENTER_OUTCOME_ABANDONED:
      head(w, ev, off, ev->queue, NULL, "ABANDON");
      break;
    case CCENTER_OUTCOME_TIMED_OUT:
      head(w, ev, off, ev->queue, NULL, "EXITWITHTIMEOUT");
      break;
    case CCENTER_OUTCOME_EXIT_EMPTY:
      head(w, ev, off, ev->queue, NULL, "EXITEMPTY");
      break;
    case CCENTER_OUTCOME_REMOVED:
      head(w, ev, off, ev->queue, NULL, "EXITWITHKEY");
      put_ch(w, '|'); /* key: the engine does not know it */
      break;
    default:
      return 0;
    }
    exit_fields(w, ev);
    return 1;
  case CCENTER_EV_OFFER_WITHDRAWN:
    switch (ev->cause) {
    case CCENTER_CAUSE_RING_TIMEOUT: /* app_queue's rna(): no answer, busy, declined */
    case CCENTER_CAUSE_MISSED:
    case CCENTER_CAUSE_REJECTED:
    case CCENTER_CAUSE_AGENT_LOGOUT:
      head(w, ev, off, ev->queue, ev->agent, "RINGNOANSWER");
      break;
    case CCENTER_CAUSE_ABANDONED: /* the caller's side ended the ring */
    case CCENTER_CAUSE_REMOVED:
    case CCENTER_CAUSE_QUEUE_REMOVED:
      head(w, ev, off, ev->queue, ev->agent, "RINGCANCELED");
      break;
    default: /* ANSWERED_ELSEWHERE: app_queue hangs the others up without a line */
      return 0;
    }
    field_i64(w, ev->duration_ms);
    return 1;
  case CCENTER_EV_CONTACT_TRANSFERRED:
    if (ev->queue_to) {
      head(w, ev, off, ev->queue, ev->agent, "BLINDTRANSFER");
      field_id(w, ev->queue_to);
      put_raw(w, "|queue");
    } else if (ev->agent_to && attended) {
      head(w, ev, off, ev->queue, ev->agent, "ATTENDEDTRANSFER");
      put_raw(w, "|BRIDGE");
      field_id(w, ev->agent_to);
    } else if (ev->agent_to) {
      head(w, ev, off, ev->queue, ev->agent, "BLINDTRANSFER");
      field_id(w, ev->agent_to);
      put_raw(w, "|agent");
    } else {
      return 0;
    }
    field_i64(w, secs(ev->wait_ms));
    field_i64(w, secs(ev->duration_ms));
    field_i64(w, ev->orig_position);
    return 1;
  case CCENTER_EV_AGENT_SERVE:
    head(w, ev, off, ev->queue, ev->agent, ev->serving ? "ADDMEMBER" : "REMOVEMEMBER");
    put_ch(w, '|');
    return 1;
  case CCENTER_EV_AGENT_STATE:
    if (ev->prev_state == CCENTER_AGENT_LOGGED_OUT && ev->state != CCENTER_AGENT_LOGGED_OUT) {
      head(w, ev, off, NULL, ev->agent, "AGENTLOGIN");
      field_id(w, NULL); /* channel: none */
    } else if (ev->state == CCENTER_AGENT_LOGGED_OUT) {
      head(w, ev, off, NULL, ev->agent, "AGENTLOGOFF");
      field_id(w, NULL);
      field_i64(w, secs(ev->session_ms));
    } else if (is_pause(ev)) {
      /* The engine's presence is the member's in every queue: PAUSEALL / UNPAUSEALL
       * (queue NONE); the sink adds one PAUSE / UNPAUSE per queue (ev->queue set). */
      int pause = ev->state == CCENTER_AGENT_NOT_READY;
      head(w, ev, off, ev->queue, ev->agent,
           ev->queue ? (pause ? "PAUSE" : "UNPAUSE") : (pause ? "PAUSEALL" : "UNPAUSEALL"));
      put_ch(w, '|');
      if (pause && ev->reason)
        put_id(w, ev->reason);
      else if (pause && ev->cause)
        put_raw(w, ccenter_cause_name(ev->cause));
    } else {
      return 0;
    }
    return 1;
  default:
    return 0;
  }
}

int cc_queue_log_format(const ccenter_event *ev, int64_t epoch_offset_ms, int attended,
                        char *buf, size_t len)
{
  if (!ev || !buf)
    return CCENTER_EINVAL;
  int64_t epoch_ms;
  if (__builtin_add_overflow(ev->time, epoch_offset_ms, &epoch_ms)) {
    if (len)
      buf[0] = '\0';
    return CCENTER_ERANGE; /* no epoch to write */
  }
  wr w = {buf, len, 0, 0};
  if (!build(&w, ev, epoch_offset_ms, attended))
    return 0;
  if (w.over || w.n > (size_t)INT32_MAX) {
    if (len)
      buf[0] = '\0';
    return CCENTER_ERANGE;
  }
  buf[w.n] = '\0';
  return (int)w.n;
}

int ccenter_queue_log_format(const ccenter_event *ev, int64_t epoch_offset_ms, char *buf,
                             size_t len)
{
  return cc_queue_log_format(ev, epoch_offset_ms, 0, buf, len);
}

/* ---------------------------------------------------------------------------------- */
/* The attached sink                                                                   */

/* A record of the sink's in an object's slot; all of them are listed so that a detach
 * finds them. */
typedef struct qlr {
  cc_obj *obj;      /* the engine's object: its slot points back here */
  cc_obj_kind kind; /* CC_OBJ_AGENT (a qla) or CC_OBJ_CONTACT (a qlc) */
  struct qlr *prev, *next;
} qlr;

/* A contact, from the event that first names it (its ENTERQUEUE, usually) to its
 * CONTACT_ENDED. A "visit" is one stay in one queue, from its ENTERQUEUE to its last line
 * (COMPLETE*, a transfer, an exit): lines of a contact outside a visit (after a transfer
 * to an agent) are not written, as app_queue writes none once the caller left Queue(). */
typedef struct qlc {
  qlr h;
  int in_visit;
  int opos;             /* the visit's original position (its ENTERQUEUE's) */
  int64_t wait_ms;      /* wait of the last CONNECTED */
  int64_t connected_at; /* time of the last CONNECTED, or -1 */
  char *consultee;      /* agent of a connected consultation, or NULL */
} qlc;

/* An agent that is a member of at least one queue: those queues, in joining order. */
typedef struct qla {
  qlr h;
  char **queues;
  size_t n, cap;
} qla;

struct ccenter_queue_log {
  ccenter_engine *e;
  const cc_alloc *al;
  int64_t off;
  ccenter_queue_log_fn fn;
  void *ud;
  uint64_t dropped;
  int slot;
  qlr *records;
  /* The run of QUEUE_MOVED events of one drain: its queue and how many so far. */
  const cc_obj *drain_q;
  int drain_n;
};

static void qlr_link(ccenter_queue_log *ql, qlr *r, cc_obj_kind kind, cc_obj *o)
{
  r->obj = o;
  r->kind = kind;
  r->next = ql->records;
  if (r->next)
    r->next->prev = r;
  ql->records = r;
  *cc_obj_slot(o, ql->slot) = r;
}

static void qlr_free(ccenter_queue_log *ql, qlr *r)
{
  if (r->obj && *cc_obj_slot(r->obj, ql->slot) == r)
    *cc_obj_slot(r->obj, ql->slot) = NULL;
  if (r->prev)
    r->prev->next = r->next;
  else
    ql->records = r->next;
  if (r->next)
    r->next->prev = r->prev;
  if (r->kind == CC_OBJ_AGENT) {
    qla *a = (qla *)r;
    for (size_t i = 0; i < a->n; i++)
      cc_free(ql->al, a->queues[i]);
    cc_free(ql->al, a->queues);
  } else {
    cc_free(ql->al, ((qlc *)r)->consultee);
  }
  cc_free(ql->al, r);
}

/* The sink's record in o's slot; with create, a new zeroed one of `size` bytes when there
 * is none (*fresh set), linked and put in the slot. NULL if none or out of memory. */
static qlr *qlr_get(ccenter_queue_log *ql, cc_obj *o, int create, size_t size,
                    cc_obj_kind kind, int *fresh)
{
  *fresh = 0;
  if (!o)
    return NULL;
  qlr *r = *cc_obj_slot(o, ql->slot);
  if (r || !create)
    return r;
  if (!(r = cc_calloc(ql->al, 1, size))) {
    ql->dropped++;
    return NULL;
  }
  qlr_link(ql, r, kind, o);
  *fresh = 1;
  return r;
}

static qlc *qlc_get(ccenter_queue_log *ql, cc_obj *o, int create)
{
  int fresh;
  qlc *c = (qlc *)qlr_get(ql, o, create, sizeof(qlc), CC_OBJ_CONTACT, &fresh);
  if (fresh) {
    /* Named for the first time: a contact that was waiting when the sink was attached is
     * taken to be in a visit. */
    c->in_visit = 1;
    c->connected_at = -1;
  }
  return c;
}

static qla *qla_get(ccenter_queue_log *ql, cc_obj *o, int create)
{
  int fresh;
  return (qla *)qlr_get(ql, o, create, sizeof(qla), CC_OBJ_AGENT, &fresh);
}

/* AGENT_SERVE: the agent's queues follow; the record goes with the last one. */
static void qla_serve(ccenter_queue_log *ql, const cc_obs_event *oe)
{
  const ccenter_event *ev = &oe->pub;
  if (!ev->queue)
    return;
  qla *a = qla_get(ql, oe->agent, ev->serving);
  if (!a)
    return;
  size_t i = 0;
  while (i < a->n && strcmp(a->queues[i], ev->queue))
    i++;
  if (ev->serving && i == a->n) {
    char *name = cc_strdup(ql->al, ev->queue);
    if (!name || cc_grow(ql->al, (void **)&a->queues, &a->cap, a->n + 1, sizeof *a->queues)) {
      cc_free(ql->al, name);
      ql->dropped++;
    } else {
      a->queues[a->n++] = name;
    }
  } else if (!ev->serving && i < a->n) {
    cc_free(ql->al, a->queues[i]);
    memmove(&a->queues[i], &a->queues[i + 1], (a->n - i - 1) * sizeof *a->queues);
    a->n--;
  }
  if (!a->n)
    qlr_free(ql, &a->h);
}

static void emit(ccenter_queue_log *ql, const ccenter_event *ev, int attended)
{
  char line[QL_LINE];
  int n = cc_queue_log_format(ev, ql->off, attended, line, sizeof line);
  if (n > 0)
    ql->fn(ql->ud, line, (size_t)n);
  else if (n < 0)
    ql->dropped++;
}

/* Lines of a contact are written inside a visit, or when the sink knows nothing of it. */
static int visiting(const qlc *c)
{
  return !c || c->in_visit;
}

/* The visit's own original position in its lines (a drained contact keeps the engine's
 * from the queue it first joined). */
static void visit_fields(ccenter_event *copy, const qlc *c)
{
  if (c)
    copy->orig_position = c->opos;
}

static void enter(qlc *c, const ccenter_event *ev)
{
  if (c) {
    c->in_visit = 1;
    c->opos = ev->position;
    c->connected_at = -1;
  }
}

static void ql_observe(void *ud, ccenter_engine *e, const cc_obs_event *oe)
{
  (void)e;
  ccenter_queue_log *ql = ud;
  const ccenter_event *ev = &oe->pub;
  qlc *c;
  ccenter_event copy;
  memcpy(&copy, ev, sizeof copy);
  if (ev->type != CCENTER_EV_QUEUE_MOVED)
    ql->drain_q = NULL;
  switch (ev->type) {
  case CCENTER_EV_CONTACT_QUEUED:
    enter(qlc_get(ql, oe->contact, 1), ev);
    emit(ql, ev, 0);
    break;
  case CCENTER_EV_CONTACT_REQUEUED:
    /* The agent sent the caller back: BLINDTRANSFER to the queue ends the visit. */
    c = qlc_get(ql, oe->contact, 1);
    if (visiting(c)) {
      copy.type = CCENTER_EV_CONTACT_TRANSFERRED;
      copy.queue_to = ev->queue;
      copy.agent_to = NULL;
      copy.wait_ms = c && c->connected_at >= 0 ? c->wait_ms : 0;
      copy.duration_ms = c && c->connected_at >= 0 ? ev->time - c->connected_at : 0;
      visit_fields(&copy, c);
      emit(ql, &copy, 0);
    }
    enter(c, ev);
    emit(ql, ev, 0);
    break;
  case CCENTER_EV_QUEUE_MOVED:
    /* The drained queue has no members left: EXITEMPTY there, at the place the contact
     * held when the removal began (the drain moves them in order), then ENTERQUEUE. */
    if (ql->drain_q != oe->queue) {
      ql->drain_q = oe->queue;
      ql->drain_n = 0;
    }
    ql->drain_n++;
    c = qlc_get(ql, oe->contact, 1);
    if (visiting(c)) {
      copy.type = CCENTER_EV_CONTACT_ENDED;
      copy.outcome = CCENTER_OUTCOME_EXIT_EMPTY;
      copy.queue_to = NULL;
      copy.position = ql->drain_n;
      visit_fields(&copy, c);
      emit(ql, &copy, 0);
    }
    enter(c, ev);
    emit(ql, ev, 0);
    break;
  case CCENTER_EV_CONTACT_OVERFLOWED:
    c = qlc_get(ql, oe->contact, 0);
    if (visiting(c)) {
      visit_fields(&copy, c);
      emit(ql, &copy, 0);
    }
    if (c)
      c->in_visit = 0;
    break;
  case CCENTER_EV_CONTACT_CONNECTED:
    if ((c = qlc_get(ql, oe->contact, 1))) {
      c->wait_ms = ev->wait_ms;
      c->connected_at = ev->time;
    }
    if (visiting(c))
      emit(ql, ev, 0);
    break;
  case CCENTER_EV_OFFER_WITHDRAWN:
    if (visiting(qlc_get(ql, oe->contact, 0)))
      emit(ql, ev, 0);
    break;
  case CCENTER_EV_CONSULT_CONNECTED:
    if ((c = qlc_get(ql, oe->contact, 1)) && ev->agent_to) {
      cc_free(ql->al, c->consultee);
      if (!(c->consultee = cc_strdup(ql->al, ev->agent_to)))
        ql->dropped++;
    }
    break;
  case CCENTER_EV_CONSULT_ENDED:
    if ((c = qlc_get(ql, oe->contact, 0))) {
      cc_free(ql->al, c->consultee);
      c->consultee = NULL;
    }
    break;
  case CCENTER_EV_CONVERSATION_ENDED:
  case CCENTER_EV_CONTACT_TRANSFERRED: {
    c = qlc_get(ql, oe->contact, 0);
    int attended = c && c->consultee && ev->agent_to && !strcmp(c->consultee, ev->agent_to);
    if (visiting(c)) {
      if (c && c->connected_at >= 0)
        copy.wait_ms = c->wait_ms;
      visit_fields(&copy, c);
      emit(ql, &copy, attended);
    }
    if (c) {
      c->in_visit = 0; /* the visit's last line; a transfer to a queue starts the next */
      if (ev->type == CCENTER_EV_CONTACT_TRANSFERRED) {
        cc_free(ql->al, c->consultee);
        c->consultee = NULL;
      }
    }
    break;
  }
  case CCENTER_EV_CONTACT_ENDED:
    c = qlc_get(ql, oe->contact, 0);
    if (visiting(c)) {
      visit_fields(&copy, c);
      emit(ql, &copy, 0);
    }
    if (c)
      qlr_free(ql, &c->h);
    break;
  case CCENTER_EV_AGENT_SERVE:
    emit(ql, ev, 0);
    qla_serve(ql, oe);
    break;
  case CCENTER_EV_AGENT_STATE:
    if (is_pause(ev)) {
      /* app_queue's pause in every queue (an empty queue name): PAUSEALL, then PAUSE in
       * each queue the member is in; nothing for a member of no queue. */
      qla *a = qla_get(ql, oe->agent, 0);
      if (!a)
        break;
      emit(ql, ev, 0);
      for (size_t i = 0; i < a->n; i++) {
        copy.queue = a->queues[i];
        emit(ql, &copy, 0);
      }
      break;
    }
    emit(ql, ev, 0);
    break;
  default:
    emit(ql, ev, 0);
    break;
  }
}

/* The engine frees an object that still holds one of our records (the engine is freed
 * first, or the object's last event was lost). */
static void ql_on_free(void *ud, cc_obj_kind kind, void *value)
{
  (void)kind;
  ccenter_queue_log *ql = ud;
  qlr *r = value;
  r->obj = NULL; /* the object is going: its slot is not ours to clear */
  qlr_free(ql, r);
}

static const cc_observer ql_observer = {.on_event = ql_observe, .on_free = ql_on_free};

int ccenter_queue_log_attach(ccenter_engine *engine, int64_t epoch_offset_ms,
                             ccenter_queue_log_fn line_fn, void *ud, ccenter_queue_log **out)
{
  if (!engine || !line_fn || !out)
    return CCENTER_EINVAL;
  /* With engine times in the same range, their sum cannot overflow. */
  if (epoch_offset_ms < CCENTER_TIME_MIN || epoch_offset_ms > CCENTER_TIME_MAX)
    return CCENTER_ERANGE;
  if (cc_engine_in_callback(engine))
    return CCENTER_ECALLBACK;
  const cc_alloc *al = cc_engine_alloc(engine);
  ccenter_queue_log *ql = cc_calloc(al, 1, sizeof *ql);
  if (!ql)
    return CCENTER_ENOMEM;
  ql->e = engine;
  ql->al = al;
  ql->off = epoch_offset_ms;
  ql->fn = line_fn;
  ql->ud = ud;
  int rc = cc_engine_add_observer(engine, &ql_observer, ql, 1, &ql->slot);
  if (rc) {
    cc_free(al, ql);
    return rc;
  }
  *out = ql;
  return 0;
}

void ccenter_queue_log_detach(ccenter_queue_log *ql)
{
  if (!ql)
    return;
  while (ql->records)
    qlr_free(ql, ql->records);
  cc_engine_remove_observer(ql->e, &ql_observer, ql);
  cc_free(ql->al, ql);
}

uint64_t ccenter_queue_log_dropped(const ccenter_queue_log *ql)
{
  return ql ? ql->dropped : 0;
}
