/*
 * Asterisk queue_log export (docs/statistics.md has the mapping). The formatter is a pure
 * function of one event; the attached sink adds what one event cannot say (the wait of a
 * finished conversation, whether a transfer completed a consultation) from a small record
 * per contact, kept in the contact's observer slot and dropped at CONTACT_ENDED. Lines go to the integrator's function: the
 * library writes no file.
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
                 const char *name)
{
  put_i64(w, cc_fdiv(ev->time + off, 1000));
  put_ch(w, '|');
  put_id(w, ev->contact);
  put_ch(w, '|');
  put_id(w, queue);
  put_ch(w, '|');
  put_id(w, ev->agent);
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

/* position, original position, wait time (s) */
static void exit_fields(wr *w, const ccenter_event *ev)
{
  field_i64(w, ev->position);
  field_i64(w, ev->orig_position);
  field_i64(w, secs(ev->wait_ms));
}

/* Writes the line; 0 if the event has no queue_log equivalent. */
static int build(wr *w, const ccenter_event *ev, int64_t off, int attended)
{
  switch (ev->type) {
  case CCENTER_EV_CONTACT_QUEUED:
    head(w, ev, off, ev->queue, "ENTERQUEUE");
    put_ch(w, '|'); /* url: none */
    field_id(w, ev->customer);
    return 1;
  case CCENTER_EV_CONTACT_CONNECTED:
    head(w, ev, off, ev->queue, "CONNECT");
    field_i64(w, secs(ev->wait_ms));
    field_id(w, ev->contact);
    field_i64(w, secs(ev->duration_ms));
    return 1;
  case CCENTER_EV_CONVERSATION_ENDED:
    head(w, ev, off, ev->queue,
         ev->party == CCENTER_PARTY_AGENT ? "COMPLETEAGENT" : "COMPLETECALLER");
    field_i64(w, secs(ev->wait_ms));
    field_i64(w, secs(ev->duration_ms));
    field_i64(w, ev->orig_position);
    return 1;
  case CCENTER_EV_CONTACT_ENDED:
    switch (ev->outcome) {
    case CCENTER_OUTCOME_ABANDONED:
      head(w, ev, off, ev->queue, "ABANDON");
      break;
    case CCENTER_OUTCOME_TIMED_OUT:
      head(w, ev, off, ev->queue, "EXITWITHTIMEOUT");
      break;
    case CCENTER_OUTCOME_EXIT_EMPTY:
      head(w, ev, off, ev->queue, "EXITEMPTY");
      break;
    case CCENTER_OUTCOME_REMOVED:
      head(w, ev, off, ev->queue, "EXITWITHKEY");
      put_ch(w, '|'); /* key: the engine does not know it */
      break;
    default:
      return 0;
    }
    exit_fields(w, ev);
    return 1;
  case CCENTER_EV_OFFER_WITHDRAWN:
    if (ev->cause == CCENTER_CAUSE_RING_TIMEOUT || ev->cause == CCENTER_CAUSE_MISSED)
      head(w, ev, off, ev->queue, "RINGNOANSWER");
    else if (ev->cause == CCENTER_CAUSE_ABANDONED)
      head(w, ev, off, ev->queue, "RINGCANCELED");
    else
      return 0;
    field_i64(w, ev->duration_ms);
    return 1;
  case CCENTER_EV_CONTACT_TRANSFERRED:
    if (ev->queue_to) {
      head(w, ev, off, ev->queue, "BLINDTRANSFER");
      field_id(w, ev->queue_to);
      put_raw(w, "|queue");
    } else if (ev->agent_to && attended) {
      head(w, ev, off, ev->queue, "ATTENDEDTRANSFER");
      put_raw(w, "|BRIDGE");
      field_id(w, ev->agent_to);
    } else if (ev->agent_to) {
      head(w, ev, off, ev->queue, "BLINDTRANSFER");
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
    head(w, ev, off, ev->queue, ev->serving ? "ADDMEMBER" : "REMOVEMEMBER");
    put_ch(w, '|');
    return 1;
  case CCENTER_EV_AGENT_STATE:
    if (ev->prev_state == CCENTER_AGENT_LOGGED_OUT && ev->state != CCENTER_AGENT_LOGGED_OUT) {
      head(w, ev, off, NULL, "AGENTLOGIN");
      field_id(w, NULL); /* channel: none */
    } else if (ev->state == CCENTER_AGENT_LOGGED_OUT) {
      head(w, ev, off, NULL, "AGENTLOGOFF");
      field_id(w, NULL);
      field_i64(w, secs(ev->session_ms));
    } else if (ev->state == CCENTER_AGENT_NOT_READY) {
      head(w, ev, off, NULL, "PAUSE");
      put_ch(w, '|');
      if (ev->reason)
        put_id(w, ev->reason);
      else if (ev->cause)
        put_raw(w, ccenter_cause_name(ev->cause));
    } else if (ev->state == CCENTER_AGENT_READY) {
      head(w, ev, off, NULL, "UNPAUSE");
      put_ch(w, '|');
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

/* What the sink keeps of a contact between its events, in the contact's slot from its
 * first CONNECTED to its CONTACT_ENDED; listed so that a detach finds them all. */
typedef struct qlc {
  cc_obj *obj;      /* the engine's contact: its slot points back here */
  int64_t wait_ms;  /* wait of the last CONNECTED */
  char *consultee;  /* agent of a connected consultation, or NULL */
  struct qlc *prev, *next;
} qlc;

struct ccenter_queue_log {
  ccenter_engine *e;
  const cc_alloc *al;
  int64_t off;
  ccenter_queue_log_fn fn;
  void *ud;
  uint64_t dropped;
  int slot;
  qlc *records;
};

static void qlc_free(ccenter_queue_log *ql, qlc *c)
{
  *cc_obj_slot(c->obj, ql->slot) = NULL;
  if (c->prev)
    c->prev->next = c->next;
  else
    ql->records = c->next;
  if (c->next)
    c->next->prev = c->prev;
  cc_free(ql->al, c->consultee);
  cc_free(ql->al, c);
}

static qlc *qlc_get(ccenter_queue_log *ql, cc_obj *o, int create)
{
  if (!o)
    return NULL;
  qlc *c = *cc_obj_slot(o, ql->slot);
  if (c || !create)
    return c;
  if (!(c = cc_calloc(ql->al, 1, sizeof *c))) {
    ql->dropped++;
    return NULL;
  }
  c->obj = o;
  c->next = ql->records;
  if (c->next)
    c->next->prev = c;
  ql->records = c;
  *cc_obj_slot(o, ql->slot) = c;
  return c;
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

static void ql_observe(void *ud, ccenter_engine *e, const cc_obs_event *oe)
{
  (void)e;
  ccenter_queue_log *ql = ud;
  const ccenter_event *ev = &oe->pub;
  qlc *c;
  ccenter_event copy;
  switch (ev->type) {
  case CCENTER_EV_CONTACT_CONNECTED:
    if ((c = qlc_get(ql, oe->contact, 1)))
      c->wait_ms = ev->wait_ms;
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
    memcpy(&copy, ev, sizeof copy);
    if (c)
      copy.wait_ms = c->wait_ms;
    int attended = c && c->consultee && ev->agent_to && !strcmp(c->consultee, ev->agent_to);
    emit(ql, &copy, attended);
    if (c && ev->type == CCENTER_EV_CONTACT_TRANSFERRED) {
      cc_free(ql->al, c->consultee);
      c->consultee = NULL;
    }
    break;
  }
  case CCENTER_EV_CONTACT_ENDED:
    emit(ql, ev, 0);
    if ((c = qlc_get(ql, oe->contact, 0)))
      qlc_free(ql, c);
    break;
  default:
    emit(ql, ev, 0);
    break;
  }
}

static const cc_observer ql_observer = {ql_observe, NULL, NULL};

int ccenter_queue_log_attach(ccenter_engine *engine, int64_t epoch_offset_ms,
                             ccenter_queue_log_fn line_fn, void *ud, ccenter_queue_log **out)
{
  if (!engine || !line_fn || !out)
    return CCENTER_EINVAL;
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
    qlc_free(ql, ql->records);
  cc_engine_remove_observer(ql->e, &ql_observer, ql);
  cc_free(ql->al, ql);
}

uint64_t ccenter_queue_log_dropped(const ccenter_queue_log *ql)
{
  return ql ? ql->dropped : 0;
}
