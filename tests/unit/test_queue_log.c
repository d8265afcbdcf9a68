/*
 * The Asterisk queue_log export against app_queue's own lines: the fields each event has
 * (ENTERQUEUE's original position, an empty caller id, EXITWITHKEY's key), the lines a
 * contact leaves when it moves between queues (overflow, drain, requeue, transfers), PAUSE
 * per queue with PAUSEALL, rejected offers; and a long random session whose every queue
 * visit must have one ENTERQUEUE and one final line, and every line the fields of the
 * conformance table below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccenter/ccenter.h"
#include "harness.h"

#define OK(x) ck_assert_int_eq((x), 0)
#define OFF 1700000000000LL

/* ---------------------------------------------------------------------------------- */
/* Lines                                                                               */

typedef struct lines {
  char **l;
  int n, cap, seen;
} lines;

static lines L;
static ccenter_engine *eng;
static ccenter_queue_log *ql;

static void take_line(void *ud, const char *line, size_t len)
{
  lines *x = ud;
  ck_assert_uint_eq(strlen(line), len);
  if (x->n == x->cap) {
    x->cap = x->cap ? 2 * x->cap : 256;
    x->l = realloc(x->l, sizeof *x->l * (size_t)x->cap);
    ck_assert_ptr_nonnull(x->l);
  }
  x->l[x->n] = malloc(len + 1);
  ck_assert_ptr_nonnull(x->l[x->n]);
  memcpy(x->l[x->n], line, len + 1);
  x->n++;
}

static void setup(void)
{
  memset(&L, 0, sizeof L);
  OK(ccenter_engine_new(NULL, 0, &eng));
  OK(ccenter_queue_log_attach(eng, OFF, take_line, &L, &ql));
}

static void teardown(void)
{
  if (ql) {
    ck_assert_uint_eq(ccenter_queue_log_dropped(ql), 0);
    ccenter_queue_log_detach(ql);
  }
  ql = NULL;
  ccenter_engine_free(eng);
  eng = NULL;
  for (int i = 0; i < L.n; i++)
    free(L.l[i]);
  free(L.l);
  memset(&L, 0, sizeof L);
}

/* The lines since the last call are exactly `want` (NULL-terminated). */
static void expect_lines(const char *const *want)
{
  int k = 0;
  for (; want[k]; k++) {
    ck_assert_msg(L.seen + k < L.n, "missing line %s", want[k]);
    ck_assert_str_eq(L.l[L.seen + k], want[k]);
  }
  ck_assert_msg(L.seen + k == L.n, "extra line %s", L.seen + k < L.n ? L.l[L.seen + k] : "");
  L.seen = L.n;
}

#define EXPECT(...)                               \
  do {                                            \
    const char *const w_[] = {__VA_ARGS__, NULL}; \
    expect_lines(w_);                             \
  } while (0)

static void skip_lines(void)
{
  L.seen = L.n;
}


/* A new agent, logged in and READY, serving q (or nothing). */
static void agent_in(const char *a, const char *q, int64_t t)
{
  OK(ccenter_agent_add(eng, a, NULL, t));
  if (q)
    OK(ccenter_agent_serve(eng, a, q, NULL, t));
  OK(ccenter_agent_login(eng, a, t));
  OK(ccenter_agent_ready(eng, a, t));
}

/* ---------------------------------------------------------------------------------- */
/* One fix, one test                                                                   */

/* app_queue: ENTERQUEUE url|callerid|opos, the caller id empty when unknown. */
START_TEST(enterqueue_has_original_position_and_empty_caller_id)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  ccenter_contact_params p;
  ccenter_contact_params_init(&p);
  p.customer = "555";
  OK(ccenter_contact_enqueue(eng, "c1", "q", &p, 1000));
  OK(ccenter_contact_enqueue(eng, "c2", "q", NULL, 2000));
  p.customer = "a|b";
  OK(ccenter_contact_enqueue(eng, "c3", "q", &p, 3000));
  EXPECT("1700000001|c1|q|NONE|ENTERQUEUE||555|1", "1700000002|c2|q|NONE|ENTERQUEUE|||2",
         "1700000003|c3|q|NONE|ENTERQUEUE||a_b|3");
}
END_TEST

/* app_queue: EXITWITHKEY key|position|origposition|waittime. The engine does not know the
 * key: the field is there, empty. */
START_TEST(exitwithkey_has_an_empty_key_field)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_contact_enqueue(eng, "c1", "q", NULL, 0));
  OK(ccenter_contact_enqueue(eng, "c2", "q", NULL, 1000));
  OK(ccenter_contact_remove(eng, "c2", 4000));
  EXPECT("1700000000|c1|q|NONE|ENTERQUEUE|||1", "1700000001|c2|q|NONE|ENTERQUEUE|||2",
         "1700000004|c2|q|NONE|EXITWITHKEY||2|2|3");
}
END_TEST

/* Overflow at max wait: the contact leaves the first queue (EXITWITHTIMEOUT, as a Queue()
 * timing out before the dialplan sends the call on) and enters the second. */
START_TEST(overflow_exits_the_first_queue)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_add(eng, "q2", NULL, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_MAX_WAIT, 10000, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_MAX_WAIT_ACTION, CCENTER_MAX_WAIT_OVERFLOW, 0));
  OK(ccenter_queue_set_overflow(eng, "q", "q2", 0));
  OK(ccenter_contact_enqueue(eng, "w", "q2", NULL, 0));
  OK(ccenter_contact_enqueue(eng, "c1", "q", NULL, 1000));
  OK(ccenter_engine_advance(eng, 11000));
  EXPECT("1700000000|w|q2|NONE|ENTERQUEUE|||1", "1700000001|c1|q|NONE|ENTERQUEUE|||1",
         "1700000011|c1|q|NONE|EXITWITHTIMEOUT|0|1|10", "1700000011|c1|q2|NONE|ENTERQUEUE|||2");
  agent_in("a", "q2", 12000);
  skip_lines();
  OK(ccenter_offer_accept(eng, "a", "w", 12000));
  OK(ccenter_contact_end(eng, "w", CCENTER_PARTY_CUSTOMER, 13000));
  OK(ccenter_offer_accept(eng, "a", "c1", 14000));
  OK(ccenter_contact_end(eng, "c1", CCENTER_PARTY_AGENT, 20000));
  EXPECT("1700000012|w|q2|a|CONNECT|12|w|0", "1700000013|w|q2|a|COMPLETECALLER|12|1|1",
         "1700000014|c1|q2|a|CONNECT|3|c1|1", "1700000020|c1|q2|a|COMPLETEAGENT|3|6|2");
}
END_TEST

/* A queue removed with drain_to: each contact leaves it (EXITEMPTY: the queue has no
 * members left) at the place it held, then enters the new one; a ringing offer is
 * cancelled first. */
START_TEST(drain_exits_the_removed_queue)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_add(eng, "q2", NULL, 0));
  OK(ccenter_contact_enqueue(eng, "w", "q2", NULL, 0));
  OK(ccenter_contact_enqueue(eng, "c1", "q", NULL, 1000));
  OK(ccenter_contact_enqueue(eng, "c2", "q", NULL, 2000));
  agent_in("a", "q", 3000); /* c1 rings at a */
  OK(ccenter_agent_add(eng, "b", NULL, 3000));
  OK(ccenter_agent_serve(eng, "b", "q2", NULL, 3000));
  OK(ccenter_agent_login(eng, "b", 3000));
  skip_lines();
  OK(ccenter_queue_remove(eng, "q", "q2", 5000));
  EXPECT("1700000005|NONE|q|a|REMOVEMEMBER|", "1700000005|c1|q|a|RINGCANCELED|2000",
         "1700000005|c1|q|NONE|EXITEMPTY|1|1|4", "1700000005|c1|q2|NONE|ENTERQUEUE|||2",
         "1700000005|c2|q|NONE|EXITEMPTY|2|2|3", "1700000005|c2|q2|NONE|ENTERQUEUE|||3");
  OK(ccenter_agent_ready(eng, "b", 6000));
  OK(ccenter_offer_accept(eng, "b", "w", 6000));
  OK(ccenter_contact_end(eng, "w", CCENTER_PARTY_CUSTOMER, 7000));
  OK(ccenter_offer_accept(eng, "b", "c1", 8000));
  OK(ccenter_contact_end(eng, "c1", CCENTER_PARTY_CUSTOMER, 9000));
  skip_lines();
  /* A later drain counts its own places from 1 again (c2 rings at b: not in the line). */
  OK(ccenter_queue_add(eng, "q3", NULL, 10000));
  OK(ccenter_contact_enqueue(eng, "c4", "q3", NULL, 10000));
  OK(ccenter_queue_remove(eng, "q3", "q2", 10000));
  EXPECT("1700000010|c4|q3|NONE|ENTERQUEUE|||1", "1700000010|c4|q3|NONE|EXITEMPTY|1|1|0",
         "1700000010|c4|q2|NONE|ENTERQUEUE|||1");
}
END_TEST

/* A requeue is the agent sending the caller back to its queue: BLINDTRANSFER to the queue
 * (the first visit's last line), then ENTERQUEUE; one CONNECT and one final line each. */
START_TEST(requeue_closes_the_first_visit)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_engine_set(eng, CCENTER_ENGINE_REJECT_DELAY, 0, 0));
  agent_in("a", "q", 0);
  skip_lines();
  OK(ccenter_contact_enqueue(eng, "c1", "q", NULL, 1000));
  OK(ccenter_offer_accept(eng, "a", "c1", 3000));
  OK(ccenter_contact_requeue(eng, "c1", 10000));
  OK(ccenter_offer_accept(eng, "a", "c1", 12000));
  OK(ccenter_contact_end(eng, "c1", CCENTER_PARTY_CUSTOMER, 20000));
  EXPECT("1700000001|c1|q|NONE|ENTERQUEUE|||1", "1700000003|c1|q|a|CONNECT|2|c1|2",
         "1700000010|c1|q|a|BLINDTRANSFER|q|queue|2|7|1", "1700000010|c1|q|NONE|ENTERQUEUE|||1",
         "1700000012|c1|q|a|CONNECT|11|c1|2", "1700000020|c1|q|a|COMPLETECALLER|11|8|1");
}
END_TEST

/* After ATTENDEDTRANSFER (or a BLINDTRANSFER to an agent) the caller has left the queue:
 * app_queue writes nothing more for it, neither the consulted agent's COMPLETECALLER nor
 * the transfer target's CONNECT. An offer the target rejects brings the contact back:
 * a new visit. */
START_TEST(nothing_after_a_transfer_to_an_agent)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  agent_in("a", "q", 0);
  agent_in("b", NULL, 0);
  skip_lines();
  OK(ccenter_contact_enqueue(eng, "c1", "q", NULL, 1000));
  OK(ccenter_offer_accept(eng, "a", "c1", 2000));
  OK(ccenter_contact_consult_start(eng, "c1", "b", 3000));
  OK(ccenter_offer_accept(eng, "b", "c1", 4000));
  OK(ccenter_contact_consult_complete(eng, "c1", 5000));
  OK(ccenter_contact_end(eng, "c1", CCENTER_PARTY_CUSTOMER, 9000));
  EXPECT("1700000001|c1|q|NONE|ENTERQUEUE|||1", "1700000002|c1|q|a|CONNECT|1|c1|1",
         "1700000005|c1|q|a|ATTENDEDTRANSFER|BRIDGE|b|1|3|1");
  OK(ccenter_contact_enqueue(eng, "c2", "q", NULL, 10000));
  OK(ccenter_offer_accept(eng, "a", "c2", 11000));
  OK(ccenter_contact_transfer_agent(eng, "c2", "b", 12000));
  OK(ccenter_offer_accept(eng, "b", "c2", 13000));
  OK(ccenter_contact_end(eng, "c2", CCENTER_PARTY_AGENT, 15000));
  EXPECT("1700000010|c2|q|NONE|ENTERQUEUE|||1", "1700000011|c2|q|a|CONNECT|1|c2|1",
         "1700000012|c2|q|a|BLINDTRANSFER|b|agent|1|1|1");
  OK(ccenter_agent_not_ready(eng, "a", "x", 15000));
  skip_lines();
  OK(ccenter_contact_enqueue(eng, "c3", "q", NULL, 16000));
  OK(ccenter_agent_ready(eng, "a", 17000));
  OK(ccenter_offer_accept(eng, "a", "c3", 17000));
  OK(ccenter_contact_transfer_agent(eng, "c3", "b", 18000));
  OK(ccenter_offer_reject(eng, "b", "c3", 19000));
  EXPECT("1700000016|c3|q|NONE|ENTERQUEUE|||1", "1700000017|NONE|NONE|a|UNPAUSEALL|",
         "1700000017|NONE|q|a|UNPAUSE|", "1700000017|c3|q|a|CONNECT|1|c3|0",
         "1700000018|c3|q|a|BLINDTRANSFER|b|agent|1|1|1", "1700000019|c3|q|NONE|ENTERQUEUE|||1");
  OK(ccenter_contact_abandon(eng, "c3", 20000)); /* ringing at a again */
  EXPECT("1700000020|c3|q|a|RINGCANCELED|1000", "1700000020|c3|q|NONE|ABANDON|0|1|1");
}
END_TEST

/* app_queue pauses a member in every queue: PAUSEALL (queue NONE) and then one PAUSE per
 * queue; the same for UNPAUSEALL / UNPAUSE. A member of no queue gets no line. */
START_TEST(pause_is_written_per_queue)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_add(eng, "q2", NULL, 0));
  OK(ccenter_agent_add(eng, "a", NULL, 0));
  OK(ccenter_agent_login(eng, "a", 0));
  OK(ccenter_agent_ready(eng, "a", 0));
  OK(ccenter_agent_not_ready(eng, "a", "lunch", 1000));
  EXPECT("1700000000|NONE|NONE|a|AGENTLOGIN|NONE");
  OK(ccenter_agent_serve(eng, "a", "q", NULL, 2000));
  OK(ccenter_agent_serve(eng, "a", "q2", NULL, 2000));
  OK(ccenter_agent_ready(eng, "a", 3000));
  OK(ccenter_agent_not_ready(eng, "a", "lunch", 4000));
  EXPECT("1700000002|NONE|q|a|ADDMEMBER|", "1700000002|NONE|q2|a|ADDMEMBER|",
         "1700000003|NONE|NONE|a|UNPAUSEALL|", "1700000003|NONE|q|a|UNPAUSE|",
         "1700000003|NONE|q2|a|UNPAUSE|", "1700000004|NONE|NONE|a|PAUSEALL|lunch",
         "1700000004|NONE|q|a|PAUSE|lunch", "1700000004|NONE|q2|a|PAUSE|lunch");
  OK(ccenter_agent_unserve(eng, "a", "q", 5000));
  OK(ccenter_engine_set(eng, CCENTER_ENGINE_MAX_NO_ANSWER, 1, 5000));
  OK(ccenter_agent_ready(eng, "a", 6000));
  OK(ccenter_contact_enqueue(eng, "c1", "q2", NULL, 7000));
  OK(ccenter_offer_missed(eng, "a", "c1", 8000));
  EXPECT("1700000005|NONE|q|a|REMOVEMEMBER|", "1700000006|NONE|NONE|a|UNPAUSEALL|",
         "1700000006|NONE|q2|a|UNPAUSE|", "1700000007|c1|q2|NONE|ENTERQUEUE|||1",
         "1700000008|c1|q2|a|RINGNOANSWER|1000", "1700000008|NONE|NONE|a|PAUSEALL|no-answer",
         "1700000008|NONE|q2|a|PAUSE|no-answer");
  /* The queue is removed: the agent is a member of none. */
  OK(ccenter_contact_abandon(eng, "c1", 9000));
  OK(ccenter_queue_remove(eng, "q2", NULL, 9000));
  OK(ccenter_agent_ready(eng, "a", 10000));
  OK(ccenter_agent_logout(eng, "a", 11000));
  EXPECT("1700000009|c1|q2|NONE|ABANDON|1|1|2", "1700000009|NONE|q2|a|REMOVEMEMBER|",
         "1700000011|NONE|NONE|a|AGENTLOGOFF|NONE|11");
}
END_TEST

/* app_queue writes RINGNOANSWER whenever a rung member did not take the call: no answer,
 * busy or declined (rna()). A ring ended by another member answering first has no line. */
START_TEST(rejected_offer_is_ringnoanswer)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  agent_in("a", "q", 0);
  skip_lines();
  OK(ccenter_contact_enqueue(eng, "c1", "q", NULL, 1000));
  OK(ccenter_offer_reject(eng, "a", "c1", 2500));
  EXPECT("1700000001|c1|q|NONE|ENTERQUEUE|||1", "1700000002|c1|q|a|RINGNOANSWER|1500");
  OK(ccenter_contact_abandon(eng, "c1", 3000));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_STRATEGY, CCENTER_STRATEGY_RING_ALL, 3000));
  agent_in("b", "q", 3000);
  agent_in("d", "q", 3000);
  skip_lines();
  OK(ccenter_contact_enqueue(eng, "c2", "q", NULL, 4000));
  OK(ccenter_offer_accept(eng, "b", "c2", 5000));
  EXPECT("1700000004|c2|q|NONE|ENTERQUEUE|||1", "1700000005|c2|q|b|CONNECT|1|c2|1");
}
END_TEST

/* The sink's records (per contact, per agent) go with a detach; the engine goes on. */
START_TEST(detach_frees_records_mid_session)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  agent_in("a", "q", 0);
  agent_in("b", "q", 0);
  OK(ccenter_contact_enqueue(eng, "c1", "q", NULL, 0));
  OK(ccenter_contact_enqueue(eng, "c2", "q", NULL, 0));
  OK(ccenter_contact_enqueue(eng, "c3", "q", NULL, 0));
  OK(ccenter_offer_accept(eng, "a", "c1", 1000));
  ccenter_queue_log_detach(ql);
  ql = NULL;
  int n = L.n;
  OK(ccenter_contact_end(eng, "c1", CCENTER_PARTY_AGENT, 2000));
  OK(ccenter_contact_abandon(eng, "c3", 2000));
  OK(ccenter_agent_unserve(eng, "b", "q", 2000));
  OK(ccenter_agent_not_ready(eng, "a", NULL, 2000));
  ck_assert_int_eq(L.n, n);
  /* Attached again: new records from here. */
  OK(ccenter_queue_log_attach(eng, OFF, take_line, &L, &ql));
  OK(ccenter_agent_serve(eng, "b", "q", NULL, 3000));
  OK(ccenter_agent_not_ready(eng, "b", "x", 3000));
  OK(ccenter_contact_abandon(eng, "c2", 4000));
  /* b's NOT_READY waits for c2's ring to end. c2 was named before: its lines as ever. */
  L.seen = n;
  EXPECT("1700000003|NONE|q|b|ADDMEMBER|", "1700000004|c2|q|b|RINGCANCELED|4000",
         "1700000004|NONE|NONE|b|PAUSEALL|x", "1700000004|NONE|q|b|PAUSE|x",
         "1700000004|c2|q|NONE|ABANDON|0|1|4");
}
END_TEST

/* The pure formatter writes one line per event: the ENTERQUEUE of a requeue and a drain,
 * the exit of an overflow, PAUSEALL for a presence change (the sink adds the rest). */
START_TEST(pure_formatter_lines)
{
  ccenter_event ev;
  memset(&ev, 0, sizeof ev);
  ev.size = sizeof ev;
  ev.time = 5000;
  ev.contact = "c";
  ev.queue = "q";
  ev.queue_to = "q2";
  ev.agent = "a";
  ev.position = 3;
  ev.orig_position = 2;
  ev.wait_ms = 7000;
  char buf[256];
  ev.type = CCENTER_EV_QUEUE_MOVED;
  ck_assert_int_gt(ccenter_queue_log_format(&ev, 0, buf, sizeof buf), 0);
  ck_assert_str_eq(buf, "5|c|q2|NONE|ENTERQUEUE|||3");
  ev.type = CCENTER_EV_CONTACT_OVERFLOWED;
  ev.position = 0;
  ck_assert_int_gt(ccenter_queue_log_format(&ev, 0, buf, sizeof buf), 0);
  ck_assert_str_eq(buf, "5|c|q|NONE|EXITWITHTIMEOUT|0|2|7");
  ev.type = CCENTER_EV_CONTACT_REQUEUED;
  ev.queue_to = NULL;
  ev.position = 1;
  ev.customer = "555";
  ck_assert_int_gt(ccenter_queue_log_format(&ev, 0, buf, sizeof buf), 0);
  ck_assert_str_eq(buf, "5|c|q|NONE|ENTERQUEUE||555|1");
  ev.type = CCENTER_EV_OFFER_WITHDRAWN;
  ev.duration_ms = 1200;
  ev.cause = CCENTER_CAUSE_REJECTED;
  ck_assert_int_gt(ccenter_queue_log_format(&ev, 0, buf, sizeof buf), 0);
  ck_assert_str_eq(buf, "5|c|q|a|RINGNOANSWER|1200");
  ev.cause = CCENTER_CAUSE_ANSWERED_ELSEWHERE;
  ck_assert_int_eq(ccenter_queue_log_format(&ev, 0, buf, sizeof buf), 0);
  memset(&ev, 0, sizeof ev);
  ev.size = sizeof ev;
  ev.type = CCENTER_EV_AGENT_STATE;
  ev.time = 5000;
  ev.agent = "a";
  ev.prev_state = CCENTER_AGENT_READY;
  ev.state = CCENTER_AGENT_NOT_READY;
  ev.reason = "lunch";
  ck_assert_int_gt(ccenter_queue_log_format(&ev, 0, buf, sizeof buf), 0);
  ck_assert_str_eq(buf, "5|NONE|NONE|a|PAUSEALL|lunch");
  ev.prev_state = CCENTER_AGENT_NOT_READY;
  ev.state = CCENTER_AGENT_READY;
  ev.reason = NULL;
  ck_assert_int_gt(ccenter_queue_log_format(&ev, 0, buf, sizeof buf), 0);
  ck_assert_str_eq(buf, "5|NONE|NONE|a|UNPAUSEALL|");
}
END_TEST

/* ---------------------------------------------------------------------------------- */
/* Conformance: a long random session                                                  */

/*
 * Data fields of each line, from the ast_queue_log() calls of Asterisk's apps/app_queue.c:
 * 'i' an integer, 's' text (may be empty). The header (epoch|callid|queue|agent|EVENT) is
 * checked apart. scope: 'c' a caller's line (callid and queue set), 'm' a member's line in
 * one queue (callid NONE, queue set), 'a' an agent's line for all queues (callid and queue
 * NONE).
 */
typedef struct spec {
  const char *event;
  const char *fields;
  char scope;
} spec;

static const spec TABLE[] = {
    {"ENTERQUEUE", "ssi", 'c'},         /* url|callerid|opos */
    {"CONNECT", "isi", 'c'},            /* holdtime|bridged uniqueid|ringtime */
    {"COMPLETECALLER", "iii", 'c'},     /* holdtime|calltime|opos */
    {"COMPLETEAGENT", "iii", 'c'},      /* holdtime|calltime|opos */
    {"ABANDON", "iii", 'c'},            /* position|opos|waittime */
    {"EXITWITHTIMEOUT", "iii", 'c'},    /* position|opos|waittime */
    {"EXITEMPTY", "iii", 'c'},          /* position|opos|waittime */
    {"EXITWITHKEY", "siii", 'c'},       /* key|position|opos|waittime */
    {"RINGNOANSWER", "i", 'c'},         /* ring ms */
    {"RINGCANCELED", "i", 'c'},         /* ring ms */
    {"BLINDTRANSFER", "ssiii", 'c'},    /* exten|context|holdtime|calltime|opos */
    {"ATTENDEDTRANSFER", "ssiii", 'c'}, /* BRIDGE|bridge|holdtime|calltime|opos */
    {"ADDMEMBER", "s", 'm'},            /* "" or PAUSED */
    {"REMOVEMEMBER", "s", 'm'},         /* "" */
    {"PAUSE", "s", 'm'},                /* reason */
    {"UNPAUSE", "s", 'm'},              /* reason */
    {"PAUSEALL", "s", 'a'},             /* reason */
    {"UNPAUSEALL", "s", 'a'},           /* reason */
    {"AGENTLOGIN", "s", 'a'},           /* channel */
    {"AGENTLOGOFF", "si", 'a'},         /* channel|logintime */
};
#define NTABLE (sizeof TABLE / sizeof TABLE[0])

static int is_int(const char *s)
{
  if (*s == '-')
    s++;
  if (!*s)
    return 0;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return 0;
  return 1;
}

/* Splits a copy of line at '|' into f[] (at most max); returns the count. */
static int split(char *line, char **f, int max)
{
  int n = 0;
  f[n++] = line;
  for (char *p = line; *p; p++)
    if (*p == '|') {
      *p = '\0';
      ck_assert_int_lt(n, max);
      f[n++] = p + 1;
    }
  return n;
}

/* Per contact id: the visit open (queue, whether connected, its ENTERQUEUE's opos). */
#define MAXC 8192
typedef struct visit {
  char queue[16];
  int open, connected, opos;
} visit;

/* Per agent: queues it is a member of (by ADDMEMBER / REMOVEMEMBER). */
#define NQ 4
#define NA 6
static const char *const QN[NQ] = {"q0", "q1", "q2", "q3"};
static const char *const AN[NA] = {"a0", "a1", "a2", "a3", "a4", "a5"};

static int qindex(const char *q)
{
  for (int i = 0; i < NQ; i++)
    if (!strcmp(q, QN[i]))
      return i;
  ck_abort_msg("unknown queue %s", q);
  return -1;
}

static int aindex(const char *a)
{
  for (int i = 0; i < NA; i++)
    if (!strcmp(a, AN[i]))
      return i;
  ck_abort_msg("unknown agent %s", a);
  return -1;
}

typedef struct checker {
  visit v[MAXC];
  int member[NA][NQ];
  long count[NTABLE];
  long visits;
  /* members still to be paused/unpaused after a PAUSEALL/UNPAUSEALL */
  int pending_agent, pending_left[NQ], pending_pause;
  char pending_reason[64];
  long epoch;
} checker;

static checker K;

static int cindex(const char *c)
{
  ck_assert_msg(c[0] == 'c', "callid %s", c);
  int i = atoi(c + 1);
  ck_assert_int_ge(i, 0);
  ck_assert_int_lt(i, MAXC);
  return i;
}

static void check_line(const char *line)
{
  char copy[512];
  ck_assert_uint_lt(strlen(line), sizeof copy);
  strcpy(copy, line);
  char *f[16];
  int n = split(copy, f, 16);
  ck_assert_msg(n >= 5, "short line %s", line);
  ck_assert_msg(is_int(f[0]), "epoch: %s", line);
  long epoch = atol(f[0]);
  ck_assert_msg(epoch >= K.epoch, "time went back: %s", line);
  K.epoch = epoch;
  size_t t = 0;
  while (t < NTABLE && strcmp(TABLE[t].event, f[4]))
    t++;
  ck_assert_msg(t < NTABLE, "event not in the table: %s", line);
  K.count[t]++;
  const spec *s = &TABLE[t];
  int nf = (int)strlen(s->fields);
  ck_assert_msg(n - 5 == nf, "%d data fields, %s has %d: %s", n - 5, s->event, nf, line);
  for (int k = 0; k < nf; k++)
    if (s->fields[k] == 'i')
      ck_assert_msg(is_int(f[5 + k]), "field %d not an integer: %s", k + 1, line);
  const char *callid = f[1], *queue = f[2], *agent = f[3], *ev = f[4];
  if (s->scope == 'a') {
    ck_assert_msg(!strcmp(callid, "NONE") && !strcmp(queue, "NONE"), "scope: %s", line);
  } else if (s->scope == 'm') {
    ck_assert_msg(!strcmp(callid, "NONE") && strcmp(queue, "NONE"), "scope: %s", line);
  } else {
    ck_assert_msg(strcmp(callid, "NONE") && strcmp(queue, "NONE"), "scope: %s", line);
  }
  /* PAUSEALL / UNPAUSEALL: then exactly one PAUSE / UNPAUSE per queue of the member. */
  if (K.pending_agent >= 0) {
    int left = 0;
    for (int q = 0; q < NQ; q++)
      left += K.pending_left[q];
    if (left) {
      ck_assert_msg(!strcmp(ev, K.pending_pause ? "PAUSE" : "UNPAUSE"), "expected a %s: %s",
                    K.pending_pause ? "PAUSE" : "UNPAUSE", line);
      ck_assert_int_eq(aindex(agent), K.pending_agent);
      int q = qindex(queue);
      ck_assert_msg(K.pending_left[q], "twice or not a member: %s", line);
      K.pending_left[q] = 0;
      ck_assert_str_eq(f[5], K.pending_reason);
      return;
    }
    K.pending_agent = -1;
  }
  if (!strcmp(ev, "PAUSE") || !strcmp(ev, "UNPAUSE"))
    ck_abort_msg("PAUSE without PAUSEALL: %s", line);
  if (!strcmp(ev, "PAUSEALL") || !strcmp(ev, "UNPAUSEALL")) {
    int a = aindex(agent), any = 0;
    K.pending_agent = a;
    K.pending_pause = !strcmp(ev, "PAUSEALL");
    snprintf(K.pending_reason, sizeof K.pending_reason, "%s", f[5]);
    for (int q = 0; q < NQ; q++)
      any |= (K.pending_left[q] = K.member[a][q]);
    ck_assert_msg(any, "PAUSEALL of a member of no queue: %s", line);
    return;
  }
  if (!strcmp(ev, "ADDMEMBER") || !strcmp(ev, "REMOVEMEMBER")) {
    int a = aindex(agent), q = qindex(queue), add = ev[0] == 'A';
    ck_assert_msg(K.member[a][q] != add, "member twice or never: %s", line);
    K.member[a][q] = add;
    return;
  }
  if (s->scope != 'c')
    return;
  /* A caller's line: inside one visit of that queue. */
  visit *v = &K.v[cindex(callid)];
  if (!strcmp(ev, "ENTERQUEUE")) {
    ck_assert_msg(!v->open, "ENTERQUEUE in a visit of %s: %s", v->queue, line);
    ck_assert_msg(!strcmp(agent, "NONE"), "agent: %s", line);
    v->open = 1;
    v->connected = 0;
    v->opos = atoi(f[7]);
    ck_assert_msg(v->opos >= 1, "opos: %s", line);
    snprintf(v->queue, sizeof v->queue, "%s", queue);
    K.visits++;
    return;
  }
  ck_assert_msg(v->open, "outside a visit: %s", line);
  ck_assert_msg(!strcmp(v->queue, queue), "visit of %s: %s", v->queue, line);
  if (!strcmp(ev, "RINGNOANSWER") || !strcmp(ev, "RINGCANCELED")) {
    ck_assert_msg(!v->connected, "ring after CONNECT: %s", line);
    ck_assert_msg(strcmp(agent, "NONE"), "agent: %s", line);
    return;
  }
  if (!strcmp(ev, "CONNECT")) {
    ck_assert_msg(!v->connected, "CONNECT twice: %s", line);
    ck_assert_str_eq(f[6], callid);
    v->connected = 1;
    return;
  }
  /* The visit's final line. */
  int after_connect = !strcmp(ev, "COMPLETECALLER") || !strcmp(ev, "COMPLETEAGENT") ||
                      !strcmp(ev, "BLINDTRANSFER") || !strcmp(ev, "ATTENDEDTRANSFER");
  ck_assert_msg(v->connected == after_connect, "%s %s CONNECT: %s", ev,
                after_connect ? "without" : "after", line);
  int opos = atoi(f[5 + nf - (after_connect ? 1 : 2)]);
  ck_assert_msg(opos == v->opos, "opos %d, ENTERQUEUE said %d: %s", opos, v->opos, line);
  if (!after_connect)
    ck_assert_msg(!strcmp(agent, "NONE"), "agent: %s", line);
  v->open = 0;
}

/* A deterministic generator (xorshift64*). */
static uint64_t rng_state;
static unsigned rnd(unsigned n)
{
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (unsigned)((rng_state * 2685821657736338717ULL) >> 33) % n;
}

static int queue_exists(int i, int64_t t)
{
  ccenter_queue_info qi = {.size = sizeof qi};
  return ccenter_queue_info_get(eng, QN[i], t, &qi) == 0;
}

static void conf_queue(int i, int64_t t)
{
  const char *q = QN[i];
  OK(ccenter_queue_set(eng, q, CCENTER_QUEUE_RING_TIMEOUT, 8000, t));
  switch (i) {
  case 0: /* overflows to q1 */
    OK(ccenter_queue_set(eng, q, CCENTER_QUEUE_MAX_WAIT, 20000, t));
    OK(ccenter_queue_set(eng, q, CCENTER_QUEUE_MAX_WAIT_ACTION, CCENTER_MAX_WAIT_OVERFLOW, t));
    if (queue_exists(1, t))
      OK(ccenter_queue_set_overflow(eng, q, "q1", t));
    break;
  case 1: /* times out; wrap-up */
    OK(ccenter_queue_set(eng, q, CCENTER_QUEUE_MAX_WAIT, 45000, t));
    OK(ccenter_queue_set(eng, q, CCENTER_QUEUE_WRAP_UP, 3000, t));
    break;
  case 2: /* ring-all; leaves when nobody is READY */
    OK(ccenter_queue_set(eng, q, CCENTER_QUEUE_STRATEGY, CCENTER_STRATEGY_RING_ALL, t));
    OK(ccenter_queue_set(eng, q, CCENTER_QUEUE_LEAVE_EMPTY, CCENTER_EMPTY_NOT_READY, t));
    break;
  default: /* overflows to q0 */
    OK(ccenter_queue_set(eng, q, CCENTER_QUEUE_MAX_WAIT, 30000, t));
    OK(ccenter_queue_set(eng, q, CCENTER_QUEUE_MAX_WAIT_ACTION, CCENTER_MAX_WAIT_OVERFLOW, t));
    if (queue_exists(0, t))
      OK(ccenter_queue_set_overflow(eng, q, "q0", t));
    break;
  }
}

static ccenter_contact_info cinfo(const char *c, int64_t t, int *alive)
{
  ccenter_contact_info ci = {.size = sizeof ci};
  *alive = ccenter_contact_info_get(eng, c, t, &ci) == 0;
  return ci;
}

START_TEST(random_session_conforms)
{
  memset(&K, 0, sizeof K);
  K.pending_agent = -1;
  /* QL_SEED=N runs the session with another seed, 0 being CI's (docs/building.md). */
  const char *seed = getenv("QL_SEED");
  rng_state = 0x9E3779B97F4A7C15ULL * (2 * (seed ? strtoull(seed, NULL, 0) : 0) + 1);
  int64_t t = 0;
  for (int i = 0; i < NQ; i++)
    OK(ccenter_queue_add(eng, QN[i], NULL, t));
  for (int i = 0; i < NQ; i++)
    conf_queue(i, t);
  for (int i = 0; i < NA; i++) {
    OK(ccenter_agent_add(eng, AN[i], NULL, t));
    for (int q = 0; q < NQ; q++)
      if (rnd(2))
        OK(ccenter_agent_serve(eng, AN[i], QN[q], NULL, t));
    OK(ccenter_agent_login(eng, AN[i], t));
    OK(ccenter_agent_ready(eng, AN[i], t));
  }
  int alive[MAXC], n_alive = 0, next_c = 0;
  static int consultee[MAXC]; /* agent index + 1 of the last consultation started */
  memset(consultee, 0, sizeof consultee);
  char id[16];
  const int OPS = 5000;
  for (int op = 0; op < OPS; op++) {
    t += rnd(2500);
    const char *a = AN[rnd(NA)];
    const char *q = QN[rnd(NQ)];
    /* A contact, preferring one in the state the operation wants. */
    unsigned r = rnd(100);
    ccenter_contact_state want = r < 38   ? CCENTER_CONTACT_OFFERED
                                 : r < 48 ? CCENTER_CONTACT_CONNECTED
                                 : r < 54 ? CCENTER_CONTACT_WAITING
                                          : CCENTER_CONTACT_CONNECTED;
    const char *c = NULL;
    int ci_alive = 0;
    ccenter_contact_info ci = {0};
    for (int k = 0, from = n_alive ? (int)rnd((unsigned)n_alive) : 0; k < n_alive; k++) {
      snprintf(id, sizeof id, "c%d", alive[(from + k) % n_alive]);
      c = id;
      ci = cinfo(c, t, &ci_alive);
      if (ci_alive && ci.state == want)
        break;
    }
    if (r < 18) {
      if (n_alive < 40 && next_c < MAXC) {
        char nid[16];
        snprintf(nid, sizeof nid, "c%d", next_c);
        ccenter_contact_params p;
        ccenter_contact_params_init(&p);
        p.customer = rnd(2) ? "5551234" : NULL;
        if (ccenter_contact_enqueue(eng, nid, q, &p, t) == 0)
          alive[n_alive++] = next_c;
        next_c++;
      }
    } else if (r < 38) { /* answer, reject or miss a ringing offer */
      if (ci_alive && ci.state == CCENTER_CONTACT_OFFERED && ci.agent) {
        char ag[CCENTER_MAX_ID + 1];
        snprintf(ag, sizeof ag, "%s", ci.agent);
        unsigned k = rnd(10);
        if (k < 6)
          (void)ccenter_offer_accept(eng, ag, c, t);
        else if (k < 8)
          (void)ccenter_offer_reject(eng, ag, c, t);
        else
          (void)ccenter_offer_missed(eng, ag, c, t);
      } else if (c && consultee[atoi(c + 1)]) { /* a consultation ringing, maybe */
        (void)ccenter_offer_accept(eng, AN[consultee[atoi(c + 1)] - 1], c, t);
      }
    } else if (r < 48) {
      if (c)
        (void)ccenter_contact_end(eng, c, (ccenter_party)rnd(3), t);
    } else if (r < 52) {
      if (c)
        (void)ccenter_contact_abandon(eng, c, t);
    } else if (r < 54) {
      if (c)
        (void)ccenter_contact_remove(eng, c, t);
    } else if (r < 57) {
      if (c)
        (void)ccenter_contact_transfer_queue(eng, c, q, t);
    } else if (r < 59) {
      if (c)
        (void)ccenter_contact_transfer_agent(eng, c, a, t);
    } else if (r < 62) {
      if (c)
        (void)ccenter_contact_requeue(eng, c, t);
    } else if (r < 65) {
      if (c && ccenter_contact_consult_start(eng, c, a, t) == 0) {
        consultee[atoi(c + 1)] = aindex(a) + 1;
        unsigned k = rnd(4); /* answered at once, and completed, or later or never */
        if (k && ccenter_offer_accept(eng, a, c, t) == 0 && k > 1)
          OK(ccenter_contact_consult_complete(eng, c, t));
      }
    } else if (r < 67) {
      if (c)
        (void)ccenter_contact_consult_complete(eng, c, t);
    } else if (r < 68) {
      if (c)
        (void)ccenter_contact_consult_cancel(eng, c, t);
    } else if (r < 70) { /* remove a queue, draining it elsewhere; or add it back */
      int qi = qindex(q);
      if (queue_exists(qi, t)) {
        if (rnd(4))
          continue;
        int to = (qi + 1 + (int)rnd(NQ - 1)) % NQ;
        (void)ccenter_queue_remove(eng, q, queue_exists(to, t) ? QN[to] : NULL, t);
      } else {
        OK(ccenter_queue_add(eng, q, NULL, t));
        conf_queue(qi, t);
        for (int k = 0; k < NQ; k++) /* whoever overflows to it */
          if (k != qi && queue_exists(k, t))
            conf_queue(k, t);
        for (int k = 0; k < 3; k++)
          (void)ccenter_agent_serve(eng, AN[rnd(NA)], q, NULL, t);
      }
    } else if (r < 78) {
      if (!rnd(3))
        (void)ccenter_agent_not_ready(eng, a, rnd(2) ? "break" : NULL, t);
      else
        (void)ccenter_agent_ready(eng, a, t);
    } else if (r < 82) {
      if (!rnd(3))
        (void)ccenter_agent_logout(eng, a, t);
      else if (ccenter_agent_login(eng, a, t) == 0 && rnd(4))
        (void)ccenter_agent_ready(eng, a, t);
    } else if (r < 86) {
      if (rnd(3))
        (void)ccenter_agent_serve(eng, a, q, NULL, t);
      else
        (void)ccenter_agent_unserve(eng, a, q, t);
    } else if (r < 90) {
      if (c)
        (void)ccenter_contact_hold(eng, c, t);
    } else {
      t += rnd(20000);
      OK(ccenter_engine_advance(eng, t));
    }
    /* Forget the ended. */
    for (int k = 0; k < n_alive;) {
      char x[16];
      snprintf(x, sizeof x, "c%d", alive[k]);
      int al;
      (void)cinfo(x, t, &al);
      if (al)
        k++;
      else
        alive[k] = alive[--n_alive];
    }
  }
  /* Wind down: every contact ends, so every visit must be closed. */
  for (int round = 0; round < 10 && n_alive; round++) {
    t += 1000;
    /* The timers due by t first: a query does not fire them, and a contact seen waiting
     * that times out at t would be gone by the time it is abandoned. */
    OK(ccenter_engine_advance(eng, t));
    for (int k = 0; k < n_alive; k++) {
      char x[16];
      snprintf(x, sizeof x, "c%d", alive[k]);
      int al;
      ccenter_contact_info ci2 = cinfo(x, t, &al);
      if (!al)
        continue;
      if (ci2.state == CCENTER_CONTACT_CONNECTED)
        OK(ccenter_contact_end(eng, x, CCENTER_PARTY_CUSTOMER, t));
      else if (ci2.state == CCENTER_CONTACT_WAITING || ci2.state == CCENTER_CONTACT_OFFERED)
        OK(ccenter_contact_abandon(eng, x, t));
    }
    t += 3600000;
    OK(ccenter_engine_advance(eng, t));
    for (int k = 0; k < n_alive;) {
      char x[16];
      snprintf(x, sizeof x, "c%d", alive[k]);
      int al;
      (void)cinfo(x, t, &al);
      if (al)
        k++;
      else
        alive[k] = alive[--n_alive];
    }
  }
  ck_assert_int_eq(n_alive, 0);
  ck_assert_uint_eq(ccenter_queue_log_dropped(ql), 0);

  for (int i = 0; i < L.n; i++)
    check_line(L.l[i]);
  for (int i = 0; i < MAXC; i++)
    ck_assert_msg(!K.v[i].open, "c%d: visit of %s never closed", i, K.v[i].queue);
  /* The session reached every kind of line (ATTENDEDTRANSFER and EXITWITHKEY included). */
  for (size_t k = 0; k < NTABLE; k++)
    ck_assert_msg(K.count[k] > 0, "no %s line in the session", TABLE[k].event);
  ck_assert_int_gt(K.visits, 500);
  if (getenv("QL_VERBOSE"))
    for (size_t k = 0; k < NTABLE; k++)
      fprintf(stderr, "%s %ld\n", TABLE[k].event, K.count[k]);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("queue_log");
  TCase *tc = tcase_create("queue_log");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, enterqueue_has_original_position_and_empty_caller_id);
  tcase_add_test(tc, exitwithkey_has_an_empty_key_field);
  tcase_add_test(tc, overflow_exits_the_first_queue);
  tcase_add_test(tc, drain_exits_the_removed_queue);
  tcase_add_test(tc, requeue_closes_the_first_visit);
  tcase_add_test(tc, nothing_after_a_transfer_to_an_agent);
  tcase_add_test(tc, pause_is_written_per_queue);
  tcase_add_test(tc, rejected_offer_is_ringnoanswer);
  tcase_add_test(tc, detach_frees_records_mid_session);
  tcase_add_test(tc, pure_formatter_lines);
  tcase_add_test(tc, random_session_conforms);
  suite_add_tcase(s, tc);
  return s;
}

CC_TEST_MAIN()
