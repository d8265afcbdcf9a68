/*
 * The 0.2 contract an integrator holds: user data in every event, pulled events with calls
 * between pulls, causes apart from reasons, the public deadline hook, serve with settings,
 * the one "limit reached" code, and the observer slots behind the statistics and queue_log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acd/engine_int.h"

#include "ccenter/ccenter.h"
#include "harness.h"

#define OK(x) ck_assert_int_eq((x), 0)

typedef struct thing {
  const char *name;
} thing;

static thing Q = {"queue q"}, A = {"agent a"}, B = {"agent b"}, C = {"call c"}, Q2 = {"queue q2"};

static ccenter_engine *pull_engine(void)
{
  ccenter_options *o = ccenter_options_new();
  ck_assert_ptr_nonnull(o);
  OK(ccenter_options_set_event_queue(o, 1));
  ccenter_engine *e = NULL;
  OK(ccenter_engine_new(o, 0, &e));
  ccenter_options_free(o);
  return e;
}

/* Pulls every queued event; returns how many. */
static int drain(ccenter_engine *e)
{
  int n = 0;
  while (ccenter_engine_next_event(e))
    n++;
  return n;
}

static const ccenter_event *next_of(ccenter_engine *e, ccenter_event_type type)
{
  const ccenter_event *ev;
  while ((ev = ccenter_engine_next_event(e)))
    if (ev->type == type)
      return ev;
  return NULL;
}

START_TEST(pulled_events_carry_user_data_and_allow_calls_between_pulls)
{
  ccenter_engine *e = pull_engine();
  OK(ccenter_queue_add(e, "q", &Q, 0));
  OK(ccenter_agent_add(e, "a", &A, 0));
  OK(ccenter_agent_serve(e, "a", "q", NULL, 0));
  OK(ccenter_agent_login(e, "a", 0));
  OK(ccenter_agent_ready(e, "a", 0));
  ck_assert_uint_gt(ccenter_engine_pending_events(e), 0);
  drain(e);
  ck_assert_uint_eq(ccenter_engine_pending_events(e), 0);
  ck_assert_ptr_null(ccenter_engine_next_event(e));

  ccenter_contact_params p;
  ccenter_contact_params_init(&p);
  p.user_data = &C;
  OK(ccenter_contact_enqueue(e, "c", "q", &p, 1000));
  const ccenter_event *ev = next_of(e, CCENTER_EV_CONTACT_OFFERED);
  ck_assert_ptr_nonnull(ev);
  ck_assert_ptr_eq(ev->agent_data, &A);
  ck_assert_ptr_eq(ev->contact_data, &C);
  ck_assert_ptr_eq(ev->queue_data, &Q);
  ck_assert_int_eq(ev->ring_timeout_ms, 15000);
  /* Act on the pulled event at once, with its own strings, and keep reading it. */
  OK(ccenter_offer_accept(e, ev->agent, ev->contact, 2000));
  OK(ccenter_contact_end(e, ev->contact, CCENTER_PARTY_AGENT, 3000));
  ck_assert_str_eq(ev->contact, "c");
  ck_assert_str_eq(ev->agent, "a");
  /* The events those calls raised queue behind the rest. */
  ev = next_of(e, CCENTER_EV_CONTACT_CONNECTED);
  ck_assert_ptr_nonnull(ev);
  ck_assert_int_eq(ev->time, 2000);
  ev = next_of(e, CCENTER_EV_CONVERSATION_ENDED);
  ck_assert_ptr_nonnull(ev);
  ck_assert_int_eq(ev->party, CCENTER_PARTY_AGENT);
  ev = next_of(e, CCENTER_EV_CONTACT_ENDED);
  ck_assert_ptr_nonnull(ev);
  ck_assert_int_eq(ev->outcome, CCENTER_OUTCOME_HANDLED);
  /* The contact is gone from the engine, its id free again; the pulled event still names
   * it, with the user data it had, until the next pull. */
  ck_assert_ptr_null(ccenter_contact_user_data(e, "c"));
  OK(ccenter_contact_enqueue(e, "c", "q", NULL, 4000));
  ck_assert_str_eq(ev->contact, "c");
  ck_assert_ptr_eq(ev->contact_data, &C);
  ccenter_engine_free(e);
}
END_TEST

START_TEST(queue_removal_keeps_pulled_strings_until_the_next_pull)
{
  ccenter_engine *e = pull_engine();
  OK(ccenter_queue_add(e, "temporary", &Q, 0));
  OK(ccenter_queue_add(e, "q2", &Q2, 0));
  OK(ccenter_contact_enqueue(e, "c", "temporary", NULL, 0));
  OK(ccenter_queue_remove(e, "temporary", "q2", 10));
  const ccenter_event *ev = next_of(e, CCENTER_EV_QUEUE_MOVED);
  ck_assert_ptr_nonnull(ev);
  ck_assert_ptr_eq(ev->queue_data, &Q);
  ck_assert_ptr_eq(ev->queue_to_data, &Q2);
  /* More calls, and a new queue under the old name: the removed one's id stays readable. */
  OK(ccenter_queue_add(e, "temporary", NULL, 20));
  OK(ccenter_engine_advance(e, 30));
  ck_assert_str_eq(ev->queue, "temporary");
  ck_assert_str_eq(ev->queue_to, "q2");
  drain(e);
  ccenter_engine_free(e); /* events never pulled are freed with the engine */
}
END_TEST

/* ---- pushed and pulled: the same events ---------------------------------------- */

/* One event as a line: everything but the pointers. */
static void ev_text(char *buf, size_t cap, const ccenter_event *ev)
{
#define S_(x) ((x) ? (x) : "-")
  snprintf(buf, cap,
           "%lld %s a=%s c=%s q=%s qt=%s at=%s r=%s cause=%d party=%d st=%d ps=%d out=%d pos=%d "
           "opos=%d w=%lld d=%lld ewt=%lld rt=%lld step=%d score=%d serving=%d",
           (long long)ev->time, ccenter_event_name(ev->type), S_(ev->agent), S_(ev->contact),
           S_(ev->queue), S_(ev->queue_to), S_(ev->agent_to), S_(ev->reason), (int)ev->cause,
           (int)ev->party, (int)ev->state, (int)ev->prev_state, (int)ev->outcome, ev->position,
           ev->orig_position, (long long)ev->wait_ms, (long long)ev->duration_ms,
           (long long)ev->ewt_ms, (long long)ev->ring_timeout_ms, ev->step, ev->score,
           ev->serving);
#undef S_
}

#define MAXLINES 200000
typedef struct evlines {
  char (*l)[200];
  int n;
} evlines;

static void push_line(evlines *ls, const ccenter_event *ev)
{
  ck_assert_int_lt(ls->n, MAXLINES);
  ev_text(ls->l[ls->n++], sizeof ls->l[0], ev);
}

/* The latest offers seen, for the session to answer or decline. */
static char offer_agent[16][16], offer_contact[16][16];
static unsigned n_offers_seen;

static void on_push_only(ccenter_engine *e, const ccenter_event *ev, void *ud)
{
  (void)e;
  push_line(ud, ev);
}

static void on_push(ccenter_engine *e, const ccenter_event *ev, void *ud)
{
  on_push_only(e, ev, ud);
  if (ev->type == CCENTER_EV_CONTACT_OFFERED) {
    unsigned k = n_offers_seen++ % 16;
    snprintf(offer_agent[k], sizeof offer_agent[k], "%s", ev->agent);
    snprintf(offer_contact[k], sizeof offer_contact[k], "%s", ev->contact);
  }
}

static uint64_t rnd(uint64_t *x)
{
  *x ^= *x << 13;
  *x ^= *x >> 7;
  *x ^= *x << 17;
  return *x;
}

/* The event types the masked engines deliver: those an integrator acting on offers would
 * keep, among them ENDED, whose contact is buried right after it. */
static const uint64_t test_mask =
  CCENTER_EVENT_BIT(CCENTER_EV_CONTACT_OFFERED) | CCENTER_EVENT_BIT(CCENTER_EV_OFFER_WITHDRAWN) |
  CCENTER_EVENT_BIT(CCENTER_EV_CONTACT_CONNECTED) | CCENTER_EVENT_BIT(CCENTER_EV_CONTACT_ENDED) |
  CCENTER_EVENT_BIT(CCENTER_EV_AGENT_STATE);

/* The same random session on an engine that pushes and on one that queues: the pulled
 * events are the pushed ones, in the same order. The puller falls behind on purpose
 * (pulls only now and then), acts on some events between pulls, and re-reads the event it
 * holds after later calls (ASan checks that its strings are still alive).
 * Two more engines take an event mask (test_mask): one pushes with its statistics off
 * (nothing else reads events, so the others are never built), one queues with its
 * statistics on (they are built for the statistics and skipped when pulled). Both get the
 * full engines' events of those types, in the same order, and make the same decisions. */
START_TEST(pulled_events_equal_pushed_events)
{
  evlines pushed = {malloc(MAXLINES * sizeof *pushed.l), 0};
  evlines pulled = {malloc(MAXLINES * sizeof *pulled.l), 0};
  evlines masked_push = {malloc(MAXLINES * sizeof *pushed.l), 0};
  evlines masked_pull = {malloc(MAXLINES * sizeof *pushed.l), 0};
  ck_assert_ptr_nonnull(pushed.l);
  ck_assert_ptr_nonnull(pulled.l);
  ck_assert_ptr_nonnull(masked_push.l);
  ck_assert_ptr_nonnull(masked_pull.l);
  ccenter_options *o = ccenter_options_new();
  OK(ccenter_options_set_event_callback(o, on_push, &pushed));
  ccenter_engine *ep = NULL, *eq = NULL, *em = NULL, *en = NULL;
  OK(ccenter_engine_new(o, 0, &ep));
  OK(ccenter_options_set_event_callback(o, NULL, NULL));
  OK(ccenter_options_set_event_queue(o, 1));
  OK(ccenter_engine_new(o, 0, &eq));
  OK(ccenter_options_set_event_mask(o, test_mask));
  OK(ccenter_engine_new(o, 0, &en));
  OK(ccenter_options_set_event_queue(o, 0));
  OK(ccenter_options_set_event_callback(o, on_push_only, &masked_push));
  OK(ccenter_options_set_statistics(o, 0));
  OK(ccenter_engine_new(o, 0, &em));
  ccenter_options_free(o);
  ccenter_engine *both[4] = {ep, eq, em, en};
  enum { NQ = 3, NA = 6, NC = 40 };
  char id[32];
  for (int k = 0; k < 4; k++) {
    ccenter_engine *e = both[k];
    OK(ccenter_engine_set(e, CCENTER_ENGINE_REJECT_DELAY, 2000, 0));
    for (int q = 0; q < NQ; q++) {
      snprintf(id, sizeof id, "q%d", q);
      OK(ccenter_queue_add(e, id, NULL, 0));
      OK(ccenter_queue_set(e, id, CCENTER_QUEUE_RING_TIMEOUT, 3000, 0));
      OK(ccenter_queue_set(e, id, CCENTER_QUEUE_WRAP_UP, 500 * q, 0));
      OK(ccenter_queue_set(e, id, CCENTER_QUEUE_MAX_WAIT, 20000, 0));
      OK(ccenter_queue_set(e, id, CCENTER_QUEUE_ANNOUNCE_EVERY, 5000, 0));
    }
    OK(ccenter_queue_set(e, "q0", CCENTER_QUEUE_MAX_WAIT_ACTION, CCENTER_MAX_WAIT_OVERFLOW, 0));
    OK(ccenter_queue_set_overflow(e, "q0", "q1", 0));
    for (int a = 0; a < NA; a++) {
      snprintf(id, sizeof id, "a%d", a);
      OK(ccenter_agent_add(e, id, NULL, 0));
      for (int q = 0; q < NQ; q++)
        if ((a + q) % 2 == 0) {
          char qid[8];
          snprintf(qid, sizeof qid, "q%d", q);
          OK(ccenter_agent_serve(e, id, qid, NULL, 0));
        }
    }
  }
  uint64_t x = 0x9e3779b97f4a7c15ull;
  int64_t now = 0;
  const ccenter_event *held = NULL, *mev;
  char held_text[200] = "";
  for (int step = 0; step < 20000; step++) {
    now += (int64_t)(rnd(&x) % 700);
    /* Weighted towards what moves contacts along: answers, ends, agents made ready. */
    static const int ops[20] = {0, 0, 0, 1, 1, 1, 1, 2, 3, 3, 3, 4, 5, 6, 6, 7, 8, 9, 10, 11};
    int op = ops[rnd(&x) % 20];
    char a[16], c[16], q[16];
    snprintf(a, sizeof a, "a%d", (int)(rnd(&x) % NA));
    snprintf(c, sizeof c, "c%d", (int)(rnd(&x) % NC));
    snprintf(q, sizeof q, "q%d", (int)(rnd(&x) % NQ));
    if ((op == 1 || op == 2) && n_offers_seen) { /* answer or decline a recent offer */
      unsigned k = (unsigned)(rnd(&x) % (n_offers_seen < 16 ? n_offers_seen : 16));
      snprintf(a, sizeof a, "%s", offer_agent[k]);
      snprintf(c, sizeof c, "%s", offer_contact[k]);
    }
    int rc[4];
    for (int k = 0; k < 4; k++) {
      ccenter_engine *e = both[k];
      switch (op) {
      case 0: rc[k] = ccenter_contact_enqueue(e, c, q, NULL, now); break;
      case 1: rc[k] = ccenter_offer_accept(e, a, c, now); break;
      case 2: rc[k] = ccenter_offer_reject(e, a, c, now); break;
      case 3: rc[k] = ccenter_contact_end(e, c, CCENTER_PARTY_CUSTOMER, now); break;
      case 4: rc[k] = ccenter_contact_abandon(e, c, now); break;
      case 5: rc[k] = ccenter_agent_login(e, a, now); break;
      case 6: rc[k] = ccenter_agent_ready(e, a, now); break;
      case 7: rc[k] = ccenter_agent_not_ready(e, a, "break", now); break;
      case 8: rc[k] = ccenter_agent_logout(e, a, now); break;
      case 9: rc[k] = ccenter_contact_transfer_queue(e, c, q, now); break;
      case 10: rc[k] = ccenter_contact_requeue(e, c, now); break;
      default: rc[k] = ccenter_engine_advance(e, now); break;
      }
    }
    ck_assert_msg(rc[0] == rc[1] && rc[0] == rc[2] && rc[0] == rc[3],
                  "step %d op %d: pushed %s, pulled %s, masked %s and %s", step, op,
                  ccenter_err_name(rc[0]), ccenter_err_name(rc[1]), ccenter_err_name(rc[2]),
                  ccenter_err_name(rc[3]));
    if (rnd(&x) % 16 == 0) {
      while ((mev = ccenter_engine_next_event(en)))
        push_line(&masked_pull, mev);
    }
    /* The event held since the last pull is intact after the calls above. */
    if (held) {
      char again[200];
      ev_text(again, sizeof again, held);
      ck_assert_str_eq(again, held_text);
    }
    /* Pull now and then, sometimes only part of the queue. */
    if (rnd(&x) % 4 == 0) {
      int want = (int)(rnd(&x) % 8);
      for (int i = 0; i < want || rnd(&x) % 8 == 0; i++) {
        const ccenter_event *ev = ccenter_engine_next_event(eq);
        held = ev;
        if (!ev)
          break;
        push_line(&pulled, ev);
        ev_text(held_text, sizeof held_text, ev);
      }
    }
  }
  while ((held = ccenter_engine_next_event(eq)))
    push_line(&pulled, held);
  ck_assert_uint_gt(ccenter_engine_pending_events(en), 0);
  while ((mev = ccenter_engine_next_event(en)))
    push_line(&masked_pull, mev);
  ck_assert_uint_eq(ccenter_engine_pending_events(en), 0);
  ck_assert_int_gt(pushed.n, 10000);
  int connected = 0, transferred = 0, requeued = 0, overflowed = 0;
  for (int i = 0; i < pushed.n; i++) {
    connected += strstr(pushed.l[i], " CONTACT_CONNECTED ") != NULL;
    transferred += strstr(pushed.l[i], " CONTACT_TRANSFERRED ") != NULL;
    requeued += strstr(pushed.l[i], " CONTACT_REQUEUED ") != NULL;
    overflowed += strstr(pushed.l[i], " CONTACT_OVERFLOWED ") != NULL;
  }
  ck_assert_msg(connected > 100 && transferred > 20 && requeued > 20 && overflowed > 5,
                "a thin session: %d connected, %d transferred, %d requeued, %d overflowed",
                connected, transferred, requeued, overflowed);
  ck_assert_int_eq(pulled.n, pushed.n);
  for (int i = 0; i < pushed.n; i++)
    ck_assert_msg(strcmp(pushed.l[i], pulled.l[i]) == 0, "event %d: pushed '%s', pulled '%s'",
                  i, pushed.l[i], pulled.l[i]);
  int k = 0;
  for (int i = 0; i < pushed.n; i++) {
    static const char *const kept[] = {" CONTACT_OFFERED ", " OFFER_WITHDRAWN ",
                                       " CONTACT_CONNECTED ", " CONTACT_ENDED ", " AGENT_STATE "};
    int keep = 0;
    for (size_t t = 0; t < sizeof kept / sizeof kept[0]; t++)
      keep |= strstr(pushed.l[i], kept[t]) != NULL;
    if (!keep)
      continue;
    ck_assert_int_lt(k, masked_push.n);
    ck_assert_msg(strcmp(pushed.l[i], masked_push.l[k]) == 0 &&
                    strcmp(pushed.l[i], masked_pull.l[k]) == 0,
                  "kept event %d: '%s', masked pushed '%s', masked pulled '%s'", k,
                  pushed.l[i], masked_push.l[k], masked_pull.l[k]);
    k++;
  }
  ck_assert_int_eq(k, masked_push.n);
  ck_assert_int_eq(k, masked_pull.n);
  for (int i = 0; i < 4; i++) {
    ck_assert_str_eq(cc_engine_check(both[i]) ? cc_engine_check(both[i]) : "ok", "ok");
    ccenter_engine_free(both[i]);
  }
  free(pushed.l);
  free(pulled.l);
  free(masked_push.l);
  free(masked_pull.l);
}
END_TEST

/* ---- the write-ahead hook ------------------------------------------------------- */

/* A write-ahead log as the store keeps one: each input copied (the session below uses
 * ops whose records have strings and numbers only), and a failure now and then, as a
 * full disk would give. */
typedef struct wal_rec {
  cc_jrec r;
  char s[3][32];
  int has[3];
  ccenter_contact_params params;
} wal_rec;

typedef struct wal_log {
  wal_rec *v;
  size_t n, cap;
  uint64_t x;   /* decides the failures */
  int refused;
} wal_log;

static int wal_hook(void *ud, const cc_jrec *r)
{
  wal_log *w = ud;
  if (rnd(&w->x) % 10 == 0) {
    w->refused++;
    return CCENTER_EIO;
  }
  ck_assert_uint_lt(w->n, w->cap);
  wal_rec *c = &w->v[w->n++];
  c->r = *r;
  if (r->params) { /* the defaults: nothing behind a pointer to copy */
    ck_assert(!r->params->customer && !r->params->n_attrs && !r->params->n_steps &&
              !r->params->n_preferred);
    c->params = *r->params;
  }
  for (int k = 0; k < 3; k++) {
    c->has[k] = r->s[k] != NULL;
    if (r->s[k]) {
      ck_assert_uint_lt(strlen(r->s[k]), sizeof c->s[k]);
      strcpy(c->s[k], r->s[k]);
    }
  }
  return 0;
}

static void wal_fix(wal_rec *c)
{
  if (c->r.params)
    c->r.params = &c->params;
  for (int k = 0; k < 3; k++)
    c->r.s[k] = c->has[k] ? c->s[k] : NULL;
}

/* Engine A writes ahead and its hook refuses one call in ten (CCENTER_EIO); engine B gets
 * only the calls A's hook accepted. A refused call must change nothing: A and B raise the
 * same events. Then A's log, replayed into a fresh engine C, raises them again. */
START_TEST(write_ahead_refusal_changes_nothing_and_the_log_replays)
{
  static evlines la, lb, lc;
  la.l = malloc(MAXLINES * sizeof *la.l);
  lb.l = malloc(MAXLINES * sizeof *lb.l);
  lc.l = malloc(MAXLINES * sizeof *lc.l);
  ck_assert(la.l && lb.l && lc.l);
  la.n = lb.n = lc.n = 0;
  wal_log w = {malloc(40000 * sizeof(wal_rec)), 0, 40000, 0x1234567u, 0};
  ck_assert_ptr_nonnull(w.v);
  ccenter_engine *ea, *eb, *ec;
  ccenter_options *o = ccenter_options_new();
  OK(ccenter_options_set_event_callback(o, on_push_only, &la));
  OK(ccenter_engine_new(o, 0, &ea));
  OK(ccenter_options_set_event_callback(o, on_push_only, &lb));
  OK(ccenter_engine_new(o, 0, &eb));
  OK(ccenter_options_set_event_callback(o, on_push_only, &lc));
  OK(ccenter_engine_new(o, 0, &ec));
  ccenter_options_free(o);
  cc_engine_set_wal(ea, wal_hook, &w);
  uint64_t x = 0xabcdef12345ull;
  int64_t now = 0;
  char a[16], c[16], q[16];
  for (int step = 0; step < 20000; step++) {
    now += (int64_t)(rnd(&x) % 900);
    int op = (int)(rnd(&x) % 12);
    snprintf(a, sizeof a, "a%d", (int)(rnd(&x) % 5));
    snprintf(c, sizeof c, "c%d", (int)(rnd(&x) % 30));
    snprintf(q, sizeof q, "q%d", (int)(rnd(&x) % 2));
    int rc[2];
    for (int k = 0; k < 2; k++) {
      ccenter_engine *e = k ? eb : ea;
      switch (op) {
      case 0: rc[k] = ccenter_queue_add(e, q, NULL, now); break;
      case 1: rc[k] = ccenter_agent_add(e, a, NULL, now); break;
      case 2: rc[k] = ccenter_agent_serve(e, a, q, NULL, now); break;
      case 3: rc[k] = ccenter_agent_ready(e, a, now); break;
      case 4: case 5: rc[k] = ccenter_contact_enqueue(e, c, q, NULL, now); break;
      case 6: rc[k] = ccenter_offer_accept(e, a, c, now); break;
      case 7: rc[k] = ccenter_contact_end(e, c, CCENTER_PARTY_AGENT, now); break;
      case 8: rc[k] = ccenter_contact_abandon(e, c, now); break;
      case 9: rc[k] = ccenter_agent_not_ready(e, a, "lunch", now); break;
      case 10: rc[k] = ccenter_agent_login(e, a, now); break;
      default: rc[k] = ccenter_engine_advance(e, now); break;
      }
      if (k == 0 && rc[0] == CCENTER_EIO)
        break; /* refused before anything happened: B never hears of it */
    }
    if (rc[0] != CCENTER_EIO)
      ck_assert_msg(rc[0] == rc[1], "step %d op %d: %s against %s", step, op,
                    ccenter_err_name(rc[0]), ccenter_err_name(rc[1]));
  }
  ck_assert_int_gt(w.refused, 1000);
  ck_assert_int_gt(la.n, 5000);
  ck_assert_int_eq(la.n, lb.n);
  for (int i = 0; i < la.n; i++)
    ck_assert_str_eq(la.l[i], lb.l[i]);
  for (size_t i = 0; i < w.n; i++) {
    wal_fix(&w.v[i]);
    (void)cc_engine_exec(ec, &w.v[i].r);
  }
  ck_assert_int_eq(lc.n, la.n);
  for (int i = 0; i < la.n; i++)
    ck_assert_str_eq(la.l[i], lc.l[i]);
  ck_assert_int_eq(ccenter_engine_now(ec), ccenter_engine_now(ea));
  ck_assert_int_eq(ccenter_engine_next_deadline(ec), ccenter_engine_next_deadline(ea));
  ccenter_engine_free(ea);
  ccenter_engine_free(eb);
  ccenter_engine_free(ec);
  free(w.v);
  free(la.l);
  free(lb.l);
  free(lc.l);
}
END_TEST

START_TEST(unpulled_events_are_freed_with_the_engine)
{
  ccenter_engine *e = pull_engine();
  OK(ccenter_queue_add(e, "q", NULL, 0));
  for (int i = 0; i < 50; i++) {
    char id[16];
    snprintf(id, sizeof id, "c%d", i);
    OK(ccenter_contact_enqueue(e, id, "q", NULL, i));
    OK(ccenter_contact_abandon(e, id, i));
  }
  ck_assert_uint_eq(ccenter_engine_pending_events(e), 2 * 50); /* QUEUED, ENDED */
  ck_assert_ptr_nonnull(ccenter_engine_next_event(e));
  ccenter_engine_free(e);
}
END_TEST

static void line_sink(void *ud, const char *line, size_t len)
{
  (void)line;
  (void)len;
  (*(int *)ud)++;
}

static int pushed;
static void count_event(ccenter_engine *e, const ccenter_event *ev, void *ud)
{
  (void)ev;
  (void)ud;
  pushed++;
  /* User data may change inside the callback; state may not. */
  ck_assert_int_eq(ccenter_agent_set_user_data(e, "a", &B), 0);
  ck_assert_int_eq(ccenter_agent_login(e, "a", 0), CCENTER_ECALLBACK);
  ccenter_queue_log *ql = NULL;
  ck_assert_int_eq(ccenter_queue_log_attach(e, 0, line_sink, &pushed, &ql),
                   CCENTER_ECALLBACK);
}

START_TEST(callback_and_queue_are_one_or_the_other)
{
  ccenter_options *o = ccenter_options_new();
  OK(ccenter_options_set_event_queue(o, 1));
  OK(ccenter_options_set_event_callback(o, count_event, NULL));
  ccenter_engine *e = NULL;
  ck_assert_int_eq(ccenter_engine_new(o, 0, &e), CCENTER_EINVAL);
  ck_assert_ptr_null(e);
  OK(ccenter_options_set_event_queue(o, 0));
  OK(ccenter_engine_new(o, 0, &e));
  ccenter_options_free(o);
  ck_assert_ptr_null(ccenter_engine_next_event(e)); /* pushed, not queued */
  ck_assert_uint_eq(ccenter_engine_pending_events(e), 0);
  OK(ccenter_agent_add(e, "a", &A, 0));
  pushed = 0;
  OK(ccenter_agent_login(e, "a", 10));
  ck_assert_int_eq(pushed, 1);
  ck_assert_ptr_eq(ccenter_agent_user_data(e, "a"), &B);
  ccenter_engine_free(e);
}
END_TEST

START_TEST(user_data_setters_and_getters)
{
  ccenter_engine *e = pull_engine();
  OK(ccenter_queue_add(e, "q", &Q, 0));
  OK(ccenter_agent_add(e, "a", NULL, 0));
  OK(ccenter_contact_enqueue(e, "c", "q", NULL, 0));
  ck_assert_ptr_eq(ccenter_queue_user_data(e, "q"), &Q);
  ck_assert_ptr_null(ccenter_agent_user_data(e, "a"));
  ck_assert_ptr_null(ccenter_contact_user_data(e, "c"));
  OK(ccenter_agent_set_user_data(e, "a", &A));
  OK(ccenter_contact_set_user_data(e, "c", &C));
  OK(ccenter_queue_set_user_data(e, "q", &Q2));
  ck_assert_ptr_eq(ccenter_agent_user_data(e, "a"), &A);
  ck_assert_ptr_eq(ccenter_contact_user_data(e, "c"), &C);
  ck_assert_ptr_eq(ccenter_queue_user_data(e, "q"), &Q2);
  ck_assert_int_eq(ccenter_agent_set_user_data(e, "nobody", &A), CCENTER_ENOENT);
  ck_assert_int_eq(ccenter_contact_set_user_data(e, "", &C), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_queue_set_user_data(NULL, "q", &Q), CCENTER_EINVAL);
  ck_assert_ptr_null(ccenter_queue_user_data(e, NULL));
  ck_assert_ptr_null(ccenter_agent_user_data(NULL, "a"));
  /* Not a state change: nothing queued, nothing journaled, the clock untouched. */
  drain(e);
  OK(ccenter_agent_set_user_data(e, "a", &B));
  ck_assert_uint_eq(ccenter_engine_pending_events(e), 0);
  ck_assert_int_eq(ccenter_engine_now(e), 0);
  /* An abandoned contact's event carries the user data set last. */
  OK(ccenter_contact_abandon(e, "c", 5));
  const ccenter_event *ev = next_of(e, CCENTER_EV_CONTACT_ENDED);
  ck_assert_ptr_nonnull(ev);
  ck_assert_ptr_eq(ev->contact_data, &C);
  ck_assert_ptr_eq(ev->queue_data, &Q2);
  ccenter_engine_free(e);
}
END_TEST

START_TEST(causes_are_apart_from_reasons)
{
  ccenter_engine *e = pull_engine();
  OK(ccenter_engine_set(e, CCENTER_ENGINE_MAX_NO_ANSWER, 1, 0));
  OK(ccenter_queue_add(e, "q", NULL, 0));
  OK(ccenter_queue_set(e, "q", CCENTER_QUEUE_RING_TIMEOUT, 1000, 0));
  OK(ccenter_agent_add(e, "a", NULL, 0));
  OK(ccenter_agent_serve(e, "a", "q", NULL, 0));
  OK(ccenter_agent_login(e, "a", 0));
  const ccenter_event *ev = next_of(e, CCENTER_EV_AGENT_STATE);
  ck_assert_ptr_nonnull(ev);
  ck_assert_int_eq(ev->cause, CCENTER_CAUSE_LOGIN);
  ck_assert_ptr_null(ev->reason);
  OK(ccenter_agent_ready(e, "a", 0));
  OK(ccenter_contact_enqueue(e, "c", "q", NULL, 0));
  OK(ccenter_engine_advance(e, 1000));
  ev = next_of(e, CCENTER_EV_OFFER_WITHDRAWN);
  ck_assert_ptr_nonnull(ev);
  ck_assert_int_eq(ev->cause, CCENTER_CAUSE_RING_TIMEOUT);
  ck_assert_ptr_null(ev->reason);
  ev = next_of(e, CCENTER_EV_AGENT_STATE);
  ck_assert_ptr_nonnull(ev);
  ck_assert_int_eq(ev->state, CCENTER_AGENT_NOT_READY);
  ck_assert_int_eq(ev->cause, CCENTER_CAUSE_NO_ANSWER);
  ccenter_agent_info ai = {.size = sizeof ai};
  OK(ccenter_agent_info_get(e, "a", 1500, &ai));
  ck_assert_int_eq(ai.cause, CCENTER_CAUSE_NO_ANSWER);
  ck_assert_ptr_null(ai.reason);
  ck_assert_int_eq(ai.state_ms, 500);
  ck_assert_int_eq(ai.pending_state, CCENTER_AGENT_READY);
  /* The integrator's reason, and no cause. */
  OK(ccenter_agent_not_ready(e, "a", "lunch", 2000));
  ev = next_of(e, CCENTER_EV_AGENT_STATE);
  ck_assert_ptr_nonnull(ev);
  ck_assert_str_eq(ev->reason, "lunch");
  ck_assert_int_eq(ev->cause, CCENTER_CAUSE_NONE);
  ck_assert_str_eq(ccenter_cause_name(CCENTER_CAUSE_ANSWERED_ELSEWHERE), "answered-elsewhere");
  ck_assert_str_eq(ccenter_cause_name(CCENTER_CAUSE_NONE), "none");
  ck_assert_str_eq(ccenter_cause_name((ccenter_cause)999), "unknown");
  ck_assert_str_eq(ccenter_cause_name((ccenter_cause)-1), "unknown");
  ccenter_engine_free(e);
}
END_TEST

static int64_t hook_seen[16];
static int hook_n;
static void on_deadline(void *ud, int64_t d)
{
  (void)ud;
  if (hook_n < 16)
    hook_seen[hook_n++] = d;
}

START_TEST(deadline_hook_reports_each_change)
{
  ccenter_engine *e = pull_engine();
  hook_n = 0;
  OK(ccenter_engine_set_deadline_hook(e, on_deadline, NULL));
  ck_assert_int_eq(hook_n, 1);
  ck_assert_int_eq(hook_seen[0], CCENTER_NO_DEADLINE);
  ck_assert_int_eq(ccenter_engine_set_deadline_hook(e, on_deadline, NULL), CCENTER_EBUSY);
  ck_assert_int_eq(ccenter_engine_set_deadline_hook(NULL, on_deadline, NULL), CCENTER_EINVAL);
  OK(ccenter_queue_add(e, "q", NULL, 0));
  ck_assert_int_eq(hook_n, 1); /* no timer: no change, no call */
  OK(ccenter_queue_set(e, "q", CCENTER_QUEUE_MAX_WAIT, 5000, 0));
  OK(ccenter_queue_set(e, "q", CCENTER_QUEUE_SL_THRESHOLD, 60000, 0));
  OK(ccenter_queue_set(e, "q", CCENTER_QUEUE_SL_WARNING, 0, 0));
  OK(ccenter_contact_enqueue(e, "c", "q", NULL, 100));
  ck_assert_int_eq(hook_n, 2);
  ck_assert_int_eq(hook_seen[1], 5100);
  ck_assert_int_eq(ccenter_engine_next_deadline(e), 5100);
  /* Any loop: advance when the hook's deadline comes. */
  OK(ccenter_engine_advance(e, hook_seen[1]));
  ck_assert_int_eq(hook_n, 3);
  ck_assert_int_eq(hook_seen[2], CCENTER_NO_DEADLINE);
  ck_assert_ptr_nonnull(next_of(e, CCENTER_EV_CONTACT_ENDED));
  OK(ccenter_engine_set_deadline_hook(e, NULL, NULL));
  OK(ccenter_contact_enqueue(e, "d", "q", NULL, 6000));
  ck_assert_int_eq(hook_n, 3);
  ccenter_engine_free(e);
}
END_TEST

START_TEST(serve_sets_or_changes_the_profile)
{
  ccenter_engine *e = pull_engine();
  OK(ccenter_queue_add(e, "q", NULL, 0));
  OK(ccenter_agent_add(e, "a", NULL, 0));
  ccenter_serve_params sp;
  ccenter_serve_params_init(&sp);
  ck_assert_uint_eq(sp.size, sizeof sp);
  sp.priority = 5;
  sp.delay_ms = 2000;
  OK(ccenter_agent_serve(e, "a", "q", &sp, 0));
  const ccenter_event *ev = next_of(e, CCENTER_EV_AGENT_SERVE);
  ck_assert_ptr_nonnull(ev);
  ck_assert_int_eq(ev->serving, 1);
  /* Again: the settings change, no second AGENT_SERVE. */
  sp.delay_ms = 0;
  OK(ccenter_agent_serve(e, "a", "q", &sp, 0));
  ck_assert_ptr_null(next_of(e, CCENTER_EV_AGENT_SERVE));
  OK(ccenter_agent_login(e, "a", 0));
  OK(ccenter_agent_ready(e, "a", 0));
  OK(ccenter_contact_enqueue(e, "c", "q", NULL, 10));
  ev = next_of(e, CCENTER_EV_CONTACT_OFFERED);
  ck_assert_ptr_nonnull(ev);
  ck_assert_int_eq(ev->time, 10); /* no 2 s delay any more */
  sp.priority = CCENTER_MAX_PROFILE_PRIORITY + 1;
  ck_assert_int_eq(ccenter_agent_serve(e, "a", "q", &sp, 20), CCENTER_ERANGE);
  sp.priority = 0;
  sp.size = sizeof sp - 1;
  ck_assert_int_eq(ccenter_agent_serve(e, "a", "q", &sp, 20), CCENTER_EINVAL);
  OK(ccenter_agent_unserve(e, "a", "q", 30));
  ev = next_of(e, CCENTER_EV_AGENT_SERVE);
  ck_assert_ptr_nonnull(ev);
  ck_assert_int_eq(ev->serving, 0);
  ck_assert_int_eq(ccenter_agent_unserve(e, "a", "q", 30), CCENTER_ENOENT);
  ccenter_engine_free(e);
}
END_TEST

START_TEST(every_limit_is_efull)
{
  ccenter_engine *e = pull_engine();
  OK(ccenter_queue_add(e, "q", NULL, 0));
  for (int i = 0; i < CCENTER_MAX_STEPS; i++)
    OK(ccenter_queue_add_step(e, "q", "", 1000, 0));
  ck_assert_int_eq(ccenter_queue_add_step(e, "q", "", 1000, 0), CCENTER_EFULL);
  int64_t th[CCENTER_MAX_THRESHOLDS + 1];
  for (int i = 0; i <= CCENTER_MAX_THRESHOLDS; i++)
    th[i] = 1000 * (i + 1);
  ck_assert_int_eq(ccenter_queue_set_thresholds(e, "q", th, CCENTER_MAX_THRESHOLDS + 1, 0),
                   CCENTER_EFULL);
  OK(ccenter_queue_set_thresholds(e, "q", th, CCENTER_MAX_THRESHOLDS, 0));
  OK(ccenter_agent_add(e, "a", NULL, 0));
  char name[32];
  for (int i = 0; i < CCENTER_MAX_SKILLS; i++) {
    snprintf(name, sizeof name, "s%d", i);
    OK(ccenter_agent_set_skill(e, "a", name, 5, 0));
  }
  ck_assert_int_eq(ccenter_agent_set_skill(e, "a", "one_more", 5, 0), CCENTER_EFULL);
  for (int i = 0; i < CCENTER_MAX_ATTRS; i++) {
    snprintf(name, sizeof name, "k%d", i);
    OK(ccenter_agent_set_attr(e, "a", name, "v", 0));
  }
  ck_assert_int_eq(ccenter_agent_set_attr(e, "a", "one_more", "v", 0), CCENTER_EFULL);
  OK(ccenter_queue_set(e, "q", CCENTER_QUEUE_MAX_LENGTH, 1, 0));
  OK(ccenter_contact_enqueue(e, "c1", "q", NULL, 0));
  ck_assert_int_eq(ccenter_contact_enqueue(e, "c2", "q", NULL, 0), CCENTER_EFULL);
  ck_assert_str_eq(ccenter_strerror(CCENTER_EFULL), "a limit was reached");
  ccenter_engine_free(e);
}
END_TEST

START_TEST(observer_slots_are_handed_back)
{
  /* The statistics hold one slot; queue_log sinks take the other one after another. */
  ccenter_engine *e = pull_engine();
  OK(ccenter_queue_add(e, "q", NULL, 0));
  OK(ccenter_agent_add(e, "a", NULL, 0));
  OK(ccenter_agent_serve(e, "a", "q", NULL, 0));
  OK(ccenter_agent_login(e, "a", 0));
  OK(ccenter_agent_ready(e, "a", 0));
  int lines = 0;
  for (int round = 0; round < 5; round++) {
    ccenter_queue_log *ql = NULL, *second = NULL;
    OK(ccenter_queue_log_attach(e, 0, line_sink, &lines, &ql));
    ck_assert_int_eq(ccenter_queue_log_attach(e, 0, line_sink, &lines, &second), CCENTER_EFULL);
    char id[16];
    snprintf(id, sizeof id, "c%d", round);
    int64_t t = 1000 * (round + 1);
    OK(ccenter_contact_enqueue(e, id, "q", NULL, t));
    OK(ccenter_offer_accept(e, "a", id, t));
    /* Detached with a contact connected: its record goes, the slot is free again. */
    ccenter_queue_log_detach(ql);
    OK(ccenter_contact_end(e, id, CCENTER_PARTY_CUSTOMER, t + 1));
    drain(e);
  }
  ck_assert_int_eq(lines, 5 * 2); /* ENTERQUEUE and CONNECT of each round */
  ccenter_queue_stats qs = {.size = sizeof qs};
  OK(ccenter_stats_queue(e, "q", 0, 10000, &qs));
  ck_assert_uint_eq(qs.answered, 5);
  ccenter_engine_free(e);
}
END_TEST

/* Each malformed call is refused before the timers due by its `now` fire: the clock and
 * the contact waiting with a due max wait stay as they were. */
START_TEST(malformed_calls_are_refused_before_timers_fire)
{
  ccenter_engine *e = pull_engine();
  OK(ccenter_queue_add(e, "q", NULL, 0));
  OK(ccenter_queue_add(e, "q2", NULL, 0));
  OK(ccenter_queue_set(e, "q", CCENTER_QUEUE_MAX_WAIT, 1000, 0));
  OK(ccenter_contact_enqueue(e, "c", "q", NULL, 0));
  OK(ccenter_agent_add(e, "a", NULL, 0));
  drain(e);
  const int64_t late = 5000; /* the max wait was due at 1000 */
  ccenter_contact_params bad_step;
  ccenter_contact_params_init(&bad_step);
  ccenter_step st = {"skill(", 1000};
  bad_step.steps = &st;
  bad_step.n_steps = 1;
  struct {
    const char *what;
    int rc, want;
  } cases[] = {
    {"queue_set out of range",
     ccenter_queue_set(e, "q", CCENTER_QUEUE_SL_TARGET, 10001, late), CCENTER_ERANGE},
    {"queue_set unknown option", ccenter_queue_set(e, "q", (ccenter_queue_option)999, 1, late),
     CCENTER_EINVAL},
    {"engine_set out of range", ccenter_engine_set(e, CCENTER_ENGINE_EWT_SAMPLES, 1, late),
     CCENTER_ERANGE},
    {"engine_set unknown option", ccenter_engine_set(e, (ccenter_engine_option)999, 1, late),
     CCENTER_EINVAL},
    {"engine_set negative seed", ccenter_engine_set(e, CCENTER_ENGINE_SEED, -1, late),
     CCENTER_ERANGE},
    {"add_step bad requirement", ccenter_queue_add_step(e, "q", "skill(", 1000, late),
     CCENTER_ESYNTAX},
    {"enqueue bad step", ccenter_contact_enqueue(e, "d", "q", &bad_step, late), CCENTER_ESYNTAX},
    {"queue_remove into itself", ccenter_queue_remove(e, "q", "q", late), CCENTER_EINVAL},
    {"set_overflow to itself", ccenter_queue_set_overflow(e, "q", "q", late), CCENTER_EINVAL},
    {"set_skill reserved word", ccenter_agent_set_skill(e, "a", "and", 5, late), CCENTER_EINVAL},
    {"set_skill digit first", ccenter_agent_set_skill(e, "a", "9lives", 5, late),
     CCENTER_EINVAL},
    {"set_skill blank", ccenter_agent_set_skill(e, "a", "a b", 5, late), CCENTER_EINVAL},
    {"now past the range", ccenter_engine_advance(e, CCENTER_TIME_MAX + 1), CCENTER_ERANGE},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    ck_assert_msg(cases[i].rc == cases[i].want, "%s: %s, want %s", cases[i].what,
                  ccenter_err_name(cases[i].rc), ccenter_err_name(cases[i].want));
  ck_assert_int_eq(ccenter_engine_now(e), 0);
  ck_assert_uint_eq(ccenter_engine_pending_events(e), 0);
  ck_assert_int_eq(ccenter_engine_next_deadline(e), 1000);
  /* Well-formed, the same kind of call fires the due timer first. */
  OK(ccenter_agent_set_skill(e, "a", "billing", 5, late));
  ck_assert_ptr_nonnull(next_of(e, CCENTER_EV_CONTACT_ENDED));
  ck_assert_int_eq(ccenter_engine_now(e), late);
  ccenter_engine_free(e);
}
END_TEST

START_TEST(wrap_up_of_an_unknown_contact_is_enoent)
{
  ccenter_engine *e = pull_engine();
  OK(ccenter_queue_add(e, "q", NULL, 0));
  OK(ccenter_queue_set(e, "q", CCENTER_QUEUE_WRAP_UP, 60000, 0));
  OK(ccenter_agent_add(e, "a", NULL, 0));
  OK(ccenter_agent_serve(e, "a", "q", NULL, 0));
  OK(ccenter_agent_login(e, "a", 0));
  OK(ccenter_agent_ready(e, "a", 0));
  ck_assert_int_eq(ccenter_agent_wrap_up_end(e, "a", "ghost", 0), CCENTER_ENOENT);
  ck_assert_int_eq(ccenter_agent_wrap_up_extend(e, "a", "ghost", 1000, 0), CCENTER_ENOENT);
  OK(ccenter_contact_enqueue(e, "c", "q", NULL, 0));
  /* Known but not in wrap-up: a state error. */
  ck_assert_int_eq(ccenter_agent_wrap_up_end(e, "a", "c", 0), CCENTER_ESTATE);
  OK(ccenter_offer_accept(e, "a", "c", 0));
  OK(ccenter_contact_end(e, "c", CCENTER_PARTY_CUSTOMER, 10));
  /* Handled and ended for the engine, still in this agent's wrap-up: found by id. */
  OK(ccenter_agent_wrap_up_extend(e, "a", "c", 1000, 20));
  OK(ccenter_agent_wrap_up_end(e, "a", "c", 30));
  ck_assert_int_eq(ccenter_agent_wrap_up_end(e, "a", "c", 40), CCENTER_ENOENT);
  ccenter_engine_free(e);
}
END_TEST

/* Both ends of the accepted time range, with every kind of timer armed near the top:
 * nothing overflows (UBSan would say) and advance returns. */
static void run_near(int64_t start)
{
  ccenter_options *o = ccenter_options_new();
  OK(ccenter_options_set_event_queue(o, 1));
  ccenter_engine *e = NULL;
  OK(ccenter_engine_new(o, start, &e));
  ccenter_options_free(o);
  const int64_t year = 365 * (int64_t)CCENTER_MAX_DURATION_MS;
  OK(ccenter_queue_add(e, "q", NULL, start));
  OK(ccenter_queue_set(e, "q", CCENTER_QUEUE_MAX_WAIT, year, start));
  OK(ccenter_queue_set(e, "q", CCENTER_QUEUE_ANNOUNCE_EVERY, year, start));
  OK(ccenter_queue_set(e, "q", CCENTER_QUEUE_RING_TIMEOUT, year, start));
  OK(ccenter_queue_set(e, "q", CCENTER_QUEUE_WRAP_UP, year, start));
  OK(ccenter_queue_set(e, "q", CCENTER_QUEUE_SL_THRESHOLD, CCENTER_MAX_DURATION_MS, start));
  OK(ccenter_agent_add(e, "a", NULL, start));
  OK(ccenter_agent_serve(e, "a", "q", NULL, start));
  OK(ccenter_agent_login(e, "a", start));
  OK(ccenter_agent_ready(e, "a", start));
  OK(ccenter_contact_enqueue(e, "c1", "q", NULL, start));
  OK(ccenter_contact_enqueue(e, "c2", "q", NULL, start + 1));
  OK(ccenter_offer_accept(e, "a", "c1", start + 2));
  OK(ccenter_contact_end(e, "c1", CCENTER_PARTY_AGENT, start + 3));
  ccenter_agent_info ai = {.size = sizeof ai};
  OK(ccenter_agent_info_get(e, "a", start + 3, &ai));
  ck_assert_int_eq(ccenter_agent_info_get(e, "a", INT64_MAX, &ai), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_agent_info_get(e, "a", INT64_MIN, &ai), CCENTER_ERANGE);
  ccenter_queue_info qi = {.size = sizeof qi};
  OK(ccenter_queue_info_get(e, "q", start + 3, &qi));
  ccenter_queue_stats qs = {.size = sizeof qs};
  OK(ccenter_stats_queue(e, "q", INT64_MIN, INT64_MAX, &qs));
  ck_assert_uint_eq(qs.answered, 1);
  ccenter_agent_stats as = {.size = sizeof as};
  OK(ccenter_stats_agent(e, "a", INT64_MIN, INT64_MAX, start + 3, &as));
  OK(ccenter_stats_agent(e, "a", INT64_MIN, INT64_MAX, CCENTER_TIME_MAX, &as));
  ck_assert_int_eq(ccenter_stats_agent(e, "a", INT64_MIN, INT64_MAX, INT64_MAX, &as),
                   CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_stats_interval_start(e, INT64_MIN) <= INT64_MIN + 900000, 1);
  int64_t end = start + 3 * year > CCENTER_TIME_MAX ? CCENTER_TIME_MAX : start + 3 * year;
  OK(ccenter_engine_advance(e, end));
  ck_assert_int_le(drain(e), 100); /* a few announcements, not a storm */
  OK(ccenter_engine_advance(e, CCENTER_TIME_MAX));
  ck_assert_int_eq(ccenter_engine_advance(e, CCENTER_TIME_MAX + 1), CCENTER_ERANGE);
  ccenter_engine_free(e);
}

START_TEST(time_range_both_ends)
{
  ccenter_engine *e = NULL;
  ck_assert_int_eq(ccenter_engine_new(NULL, CCENTER_TIME_MAX + 1, &e), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_engine_new(NULL, INT64_MIN, &e), CCENTER_ERANGE);
  ck_assert_ptr_null(e);
  run_near(CCENTER_TIME_MIN);
  run_near(CCENTER_TIME_MAX - 2 * 365 * (int64_t)CCENTER_MAX_DURATION_MS);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("contract");
  TCase *tc = tcase_create("contract");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, pulled_events_carry_user_data_and_allow_calls_between_pulls);
  tcase_add_test(tc, queue_removal_keeps_pulled_strings_until_the_next_pull);
  tcase_add_test(tc, unpulled_events_are_freed_with_the_engine);
  tcase_add_test(tc, write_ahead_refusal_changes_nothing_and_the_log_replays);
  tcase_add_test(tc, pulled_events_equal_pushed_events);
  tcase_add_test(tc, callback_and_queue_are_one_or_the_other);
  tcase_add_test(tc, user_data_setters_and_getters);
  tcase_add_test(tc, causes_are_apart_from_reasons);
  tcase_add_test(tc, deadline_hook_reports_each_change);
  tcase_add_test(tc, serve_sets_or_changes_the_profile);
  tcase_add_test(tc, every_limit_is_efull);
  tcase_add_test(tc, observer_slots_are_handed_back);
  suite_add_tcase(s, tc);
  TCase *hard = tcase_create("hardening");
  tcase_set_timeout(hard, 60);
  tcase_add_test(hard, malformed_calls_are_refused_before_timers_fire);
  tcase_add_test(hard, wrap_up_of_an_unknown_contact_is_enoent);
  tcase_add_test(hard, time_range_both_ends);
  suite_add_tcase(s, hard);
  return s;
}

CC_TEST_MAIN()
