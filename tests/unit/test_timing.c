/*
 * Time-driven behaviour (project issue 12): periodic timers after a stall and their
 * minimum periods, the queue's expected wait while members are idle but cannot take a
 * new contact, and the reject delay after a requeue. Scenario harness (scenario.c).
 */
#include <stdio.h>
#include <string.h>

#include "scenario.h"

#define HOUR_MS 3600000

/* ---- periodic timers ---- */

START_TEST(periodic_minimums)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  ck_assert_int_eq(ccenter_queue_set(eng, "q", CCENTER_QUEUE_ANNOUNCE_EVERY, 1, 0),
                   CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_queue_set(eng, "q", CCENTER_QUEUE_ANNOUNCE_EVERY, 999, 0),
                   CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_queue_set(eng, "q", CCENTER_QUEUE_ANNOUNCE_EVERY, -1, 0),
                   CCENTER_ERANGE);
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_ANNOUNCE_EVERY, 1000, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_ANNOUNCE_EVERY, 0, 0)); /* off */
  int64_t v = -1;
  OK(ccenter_queue_get(eng, "q", CCENTER_QUEUE_ANNOUNCE_EVERY, &v));
  ck_assert_int_eq(v, 0);
  ck_assert_int_eq(ccenter_queue_set(eng, "q", CCENTER_QUEUE_RING_EVERY, 0, 0), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_queue_set(eng, "q", CCENTER_QUEUE_RING_EVERY, 1, 0), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_queue_set(eng, "q", CCENTER_QUEUE_RING_EVERY, 99, 0), CCENTER_ERANGE);
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_RING_EVERY, 100, 0));
  OK(ccenter_queue_get(eng, "q", CCENTER_QUEUE_RING_EVERY, &v));
  ck_assert_int_eq(v, 100);
}
END_TEST

/* One waiting contact, announcements every second, and an hour without a call: the next
 * call raises the missed announcement once, not 3,600 times, and the one after comes a
 * period after that call. */
START_TEST(announce_after_stall_fires_once)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_ANNOUNCE_EVERY, 1000, 0));
  OK(ccenter_contact_enqueue(eng, "c", "q", NULL, 0));
  /* Called on time: each at its deadline, a period apart. */
  OK(ccenter_engine_advance(eng, 1000));
  OK(ccenter_engine_advance(eng, 2000));
  SEEN("1000 ANNOUNCE c=c pos=1");
  SEEN("2000 ANNOUNCE c=c pos=1");
  ck_assert_int_eq(ccenter_engine_next_deadline(eng), 3000);
  int before = sc_count("ANNOUNCE");
  ck_assert_int_eq(before, 2);
  OK(ccenter_engine_advance(eng, 2000 + HOUR_MS));
  int n = sc_count("ANNOUNCE") - before;
  ck_assert_msg(n >= 1 && n <= 3, "%d announcements after a stall of an hour", n);
  SEEN("3000 ANNOUNCE c=c pos=1"); /* the missed one, at its own deadline */
  /* The next one is a period after the call that caught up. */
  ck_assert_int_eq(ccenter_engine_next_deadline(eng), 3000 + HOUR_MS);
  OK(ccenter_engine_advance(eng, 3000 + HOUR_MS));
  SEEN("3603000 ANNOUNCE c=c pos=1");
  ck_assert_int_eq(ccenter_engine_next_deadline(eng), 4000 + HOUR_MS);
  ck_assert_int_eq(sc_cstate("c"), CCENTER_CONTACT_WAITING);
}
END_TEST

/* Ring-progressive: one more agent per RING_EVERY. After a stall the step fires once and
 * the next is a period after the call, instead of ringing every agent at once. */
START_TEST(progressive_after_stall_adds_one_agent)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_STRATEGY, CCENTER_STRATEGY_RING_PROGRESSIVE, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_RING_EVERY, 1000, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_RING_TIMEOUT, 0, 0)); /* ring forever */
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_SL_WARNING, 0, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_SL_THRESHOLD, 1000, 0));
  sc_agent_ready("a1", "q", 0);
  sc_agent_ready("a2", "q", 0);
  sc_agent_ready("a3", "q", 0);
  sc_agent_ready("a4", "q", 0);
  sc_agent_ready("a5", "q", 0);
  OK(ccenter_contact_enqueue(eng, "c", "q", NULL, 0));
  ck_assert_int_eq(sc_count("OFFERED c=c"), 1);
  ck_assert_int_eq(ccenter_engine_next_deadline(eng), 1000);
  OK(ccenter_engine_advance(eng, HOUR_MS));
  ck_assert_int_eq(sc_count("OFFERED c=c"), 2);
  SEEN("1000 OFFERED c=c");
  ck_assert_int_eq(ccenter_engine_next_deadline(eng), HOUR_MS + 1000);
  OK(ccenter_engine_advance(eng, HOUR_MS + 1000));
  ck_assert_int_eq(sc_count("OFFERED c=c"), 3);
  SEEN("3601000 OFFERED c=c");
  ck_assert_int_eq(ccenter_engine_next_deadline(eng), HOUR_MS + 2000);
}
END_TEST

/* ---- expected wait of a queue with idle members ---- */

static void member_with(const char *id, const ccenter_serve_params *p, int64_t t)
{
  OK(ccenter_agent_add(eng, id, NULL, t));
  OK(ccenter_agent_serve(eng, id, "q", p, t));
  OK(ccenter_agent_login(eng, id, t));
  OK(ccenter_agent_ready(eng, id, t));
}

/* Agent a in q: one handled contact of 100 s (the estimator's sample), then a busy with x
 * from 100 s on; `before_w` (may be NULL) runs at 101 s, then w joins and waits. */
static void busy_queue_with_sample(void (*before_w)(void))
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  sc_agent_ready("a", "q", 0);
  OK(ccenter_contact_enqueue(eng, "h", "q", NULL, 0));
  OK(ccenter_offer_accept(eng, "a", "h", 0));
  OK(ccenter_contact_end(eng, "h", CCENTER_PARTY_UNKNOWN, 100000));
  OK(ccenter_contact_enqueue(eng, "x", "q", NULL, 100000));
  OK(ccenter_offer_accept(eng, "a", "x", 100000));
  if (before_w)
    before_w();
  OK(ccenter_contact_enqueue(eng, "w", "q", NULL, 101000));
  ck_assert_int_eq(sc_cstate("w"), CCENTER_CONTACT_WAITING);
}

static int64_t queue_ewt(int64_t now)
{
  ccenter_queue_info qi = {.size = sizeof qi};
  OK(ccenter_queue_info_get(eng, "q", now, &qi));
  return qi.ewt_ms;
}

static void add_reserve_member(void)
{
  ccenter_serve_params p;
  ccenter_serve_params_init(&p);
  p.reserve = 1;
  member_with("r", &p, 101000);
  /* The reserve opens for contacts that waited 10 s: not for one joining now. */
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_RESERVE_WAIT, 10000, 101000));
}

START_TEST(ewt_not_zero_for_idle_reserve_member)
{
  busy_queue_with_sample(add_reserve_member);
  ck_assert_int_eq(sc_cstate("w"), CCENTER_CONTACT_WAITING);
  /* AHT 100 s x position 2 / 2 agents logged in. */
  ck_assert_int_eq(queue_ewt(101000), 100000);
  OK(ccenter_engine_advance(eng, 111000));
  SEEN("111000 OFFERED a=r c=w");
}
END_TEST

static void add_delayed_member(void)
{
  ccenter_serve_params p;
  ccenter_serve_params_init(&p);
  p.delay_ms = 30000;
  member_with("d", &p, 101000);
}

START_TEST(ewt_not_zero_for_idle_delayed_member)
{
  busy_queue_with_sample(add_delayed_member);
  ck_assert_int_eq(sc_cstate("w"), CCENTER_CONTACT_WAITING);
  ck_assert_int_eq(queue_ewt(101000), 100000);
  OK(ccenter_engine_advance(eng, 131000));
  SEEN("131000 OFFERED a=d c=w");
  /* d rings for w: nobody idle, the estimate still. */
  ck_assert_int_ne(queue_ewt(131000), 0);
}
END_TEST

START_TEST(ewt_not_zero_for_member_blocked_on_voice)
{
  busy_queue_with_sample(NULL);
  OK(ccenter_agent_add(eng, "b", NULL, 101000));
  OK(ccenter_agent_serve(eng, "b", "q", NULL, 101000));
  /* A chat keeps b from voice; b still has chat capacity, so stays in the index. */
  OK(ccenter_agent_set_overlap(eng, "b", CCENTER_CHANNEL_CHAT, CCENTER_CHANNEL_VOICE, 0, 101000));
  OK(ccenter_agent_login(eng, "b", 101000));
  OK(ccenter_agent_ready(eng, "b", 101000));
  SEEN("101000 OFFERED a=b c=w"); /* b was free: w goes to b */
  OK(ccenter_offer_accept(eng, "b", "w", 101000));
  OK(ccenter_contact_end(eng, "w", CCENTER_PARTY_UNKNOWN, 201000));
  ccenter_contact_params cp;
  ccenter_contact_params_init(&cp);
  cp.channel = CCENTER_CHANNEL_CHAT;
  OK(ccenter_contact_enqueue(eng, "chat", "q", &cp, 201000));
  OK(ccenter_offer_accept(eng, "b", "chat", 201000));
  OK(ccenter_contact_enqueue(eng, "v", "q", NULL, 202000));
  ck_assert_int_eq(sc_cstate("v"), CCENTER_CONTACT_WAITING);
  ccenter_agent_info ai = {.size = sizeof ai};
  OK(ccenter_agent_info_get(eng, "b", 202000, &ai));
  ck_assert_int_eq(ai.state, CCENTER_AGENT_READY);
  /* AHT 100 s (two samples of 100 s) x position 2 / 2 logged in. */
  ck_assert_int_eq(queue_ewt(202000), 100000);
}
END_TEST

/* The estimate stays 0 when a contact joining now would be offered at once. */
START_TEST(ewt_zero_when_a_new_contact_would_ring_at_once)
{
  busy_queue_with_sample(NULL);
  sc_agent_ready("f", "q", 101000); /* takes w */
  SEEN("101000 OFFERED a=f c=w");
  sc_agent_ready("g", "q", 101000);
  ck_assert_int_eq(queue_ewt(101000), 0);
  /* An idle reserve member (the reserve is closed) does not count; g back does. */
  OK(ccenter_agent_not_ready(eng, "g", NULL, 101000));
  ccenter_serve_params p;
  ccenter_serve_params_init(&p);
  p.reserve = 1;
  member_with("r", &p, 101000);
  ck_assert_int_eq(queue_ewt(101000), 25000); /* AHT 100 s x position 1 / 4 logged in */
  OK(ccenter_agent_ready(eng, "g", 101000));
  ck_assert_int_eq(queue_ewt(101000), 0);
}
END_TEST

/* ---- requeue ---- */

/* The agent who requeued a contact does not get it back for the reject delay. */
START_TEST(requeue_keeps_sender_off_for_reject_delay)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  sc_agent_ready("a1", "q", 0);
  OK(ccenter_contact_enqueue(eng, "c", "q", NULL, 1000));
  SEEN("1000 OFFERED a=a1 c=c");
  OK(ccenter_offer_accept(eng, "a1", "c", 1000));
  OK(ccenter_contact_requeue(eng, "c", 5000));
  SEEN("5000 REQUEUED a=a1 c=c");
  /* a1 is idle again at once (no wrap-up) but is not offered c. */
  ccenter_agent_info ai = {.size = sizeof ai};
  OK(ccenter_agent_info_get(eng, "a1", 5000, &ai));
  ck_assert_int_eq(ai.state, CCENTER_AGENT_READY);
  ck_assert_uint_eq(ai.offered + ai.connected + ai.wrap_up, 0);
  ck_assert_int_eq(sc_cstate("c"), CCENTER_CONTACT_WAITING);
  ck_assert_int_eq(ccenter_engine_next_deadline(eng), 35000); /* the default 30 s delay */
  OK(ccenter_engine_advance(eng, 34999));
  ck_assert_int_eq(sc_count("OFFERED a=a1 c=c"), 1);
  OK(ccenter_engine_advance(eng, 35000));
  SEEN("35000 OFFERED a=a1 c=c");
}
END_TEST

START_TEST(requeue_goes_to_another_agent)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  sc_agent_ready("a1", "q", 0);
  OK(ccenter_contact_enqueue(eng, "c", "q", NULL, 1000));
  OK(ccenter_offer_accept(eng, "a1", "c", 1000));
  sc_agent_ready("a2", "q", 2000);
  OK(ccenter_contact_requeue(eng, "c", 5000));
  SEEN("5000 OFFERED a=a2 c=c");
  ck_assert_int_eq(sc_count("OFFERED a=a1 c=c"), 1);
  /* a2 rejects: it is now kept off as well, and a1's delay still runs. */
  OK(ccenter_offer_reject(eng, "a2", "c", 6000));
  ck_assert_int_eq(sc_cstate("c"), CCENTER_CONTACT_WAITING);
  OK(ccenter_engine_advance(eng, 35000));
  SEEN("35000 OFFERED a=a1 c=c");
}
END_TEST

/* A ring timeout of 1 ms, no reject delay, no no-answer limit, and ten seconds without a
 * call: the offer rang out at its deadline and was made again; made while the call
 * catches up, it rings from the call's time, so the chain stops there instead of raising
 * 10,000 offers. */
START_TEST(ring_timeout_chain_after_stall_stops_at_the_call)
{
  OK(ccenter_engine_set(eng, CCENTER_ENGINE_REJECT_DELAY, 0, 0));
  OK(ccenter_engine_set(eng, CCENTER_ENGINE_MAX_NO_ANSWER, 0, 0));
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_RING_TIMEOUT, 1, 0));
  sc_agent_ready("a", "q", 0);
  OK(ccenter_contact_enqueue(eng, "c", "q", NULL, 0));
  SEEN("0 OFFERED a=a c=c");
  OK(ccenter_engine_advance(eng, 10000));
  int n = sc_count("OFFERED a=a c=c");
  ck_assert_msg(n <= 3, "%d offers after a stall of 10 s with a 1 ms ring timeout", n);
  ck_assert_int_eq(ccenter_engine_next_deadline(eng), 10001);
  OK(ccenter_engine_advance(eng, 10001));
  SEEN("10001 WITHDRAWN a=a c=c cause=ring-timeout");
}
END_TEST

/* A member with a routing-profile delay who joins after the contact started waiting gets
 * it when the wait reaches the delay: the contact's routing timer follows the queue's new
 * delay. Likewise a reserve member when RESERVE_WAIT is set while the contact waits. */
START_TEST(delayed_member_joining_later_gets_the_waiting_contact)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_contact_enqueue(eng, "c", "q", NULL, 0));
  OK(ccenter_agent_add(eng, "late", NULL, 100));
  ccenter_serve_params sp;
  ccenter_serve_params_init(&sp);
  sp.delay_ms = 5000;
  OK(ccenter_agent_serve(eng, "late", "q", &sp, 100));
  OK(ccenter_agent_login(eng, "late", 100));
  OK(ccenter_agent_ready(eng, "late", 100));
  NOT_SEEN("OFFERED a=late c=c");
  ck_assert_int_eq(ccenter_engine_next_deadline(eng), 5000);
  OK(ccenter_engine_advance(eng, 6000));
  SEEN("5000 OFFERED a=late c=c");
}
END_TEST

START_TEST(reserve_wait_set_while_a_contact_waits)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_agent_add(eng, "r", NULL, 0));
  ccenter_serve_params sp;
  ccenter_serve_params_init(&sp);
  sp.reserve = 1;
  OK(ccenter_agent_serve(eng, "r", "q", &sp, 0));
  OK(ccenter_agent_login(eng, "r", 0));
  OK(ccenter_agent_ready(eng, "r", 0));
  OK(ccenter_contact_enqueue(eng, "c", "q", NULL, 0));
  NOT_SEEN("OFFERED a=r c=c");
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_RESERVE_WAIT, 3000, 100));
  OK(ccenter_engine_advance(eng, 4000));
  SEEN("3000 OFFERED a=r c=c");
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("timing");
  TCase *tc = tcase_create("timing");
  tcase_add_checked_fixture(tc, sc_setup, sc_teardown);
  tcase_set_timeout(tc, 20);
  tcase_add_test(tc, periodic_minimums);
  tcase_add_test(tc, announce_after_stall_fires_once);
  tcase_add_test(tc, progressive_after_stall_adds_one_agent);
  tcase_add_test(tc, ewt_not_zero_for_idle_reserve_member);
  tcase_add_test(tc, ewt_not_zero_for_idle_delayed_member);
  tcase_add_test(tc, ewt_not_zero_for_member_blocked_on_voice);
  tcase_add_test(tc, ewt_zero_when_a_new_contact_would_ring_at_once);
  tcase_add_test(tc, requeue_keeps_sender_off_for_reject_delay);
  tcase_add_test(tc, requeue_goes_to_another_agent);
  tcase_add_test(tc, ring_timeout_chain_after_stall_stops_at_the_call);
  tcase_add_test(tc, delayed_member_joining_later_gets_the_waiting_contact);
  tcase_add_test(tc, reserve_wait_set_while_a_contact_waits);
  suite_add_tcase(s, tc);
  return s;
}

CC_TEST_MAIN()
