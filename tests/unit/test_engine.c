/* The engine's behaviour, one scenario per test, checked through its events. */
#include <stdio.h>
#include <string.h>

#include "scenario.h"

#define agent_ready sc_agent_ready
#define cstate sc_cstate

START_TEST(basic_lifecycle)
{
  OK(ccenter_queue_add(eng, "cards", NULL, 0));
  OK(ccenter_queue_set(eng, "cards", CCENTER_QUEUE_WRAP_UP, 5000, 0));
  agent_ready("1001", "cards", 0);
  OK(ccenter_contact_enqueue(eng, "c1", "cards", NULL, 1000));
  SEEN("1000 OFFERED a=1001 c=c1");
  ck_assert_int_eq(cstate("c1"), CCENTER_CONTACT_OFFERED);
  OK(ccenter_offer_accept(eng, "1001", "c1", 3000));
  SEEN("3000 CONNECTED a=1001 c=c1");
  OK(ccenter_contact_hold(eng, "c1", 4000));
  ck_assert_int_eq(ccenter_contact_hold(eng, "c1", 4000), CCENTER_ESTATE);
  OK(ccenter_contact_resume(eng, "c1", 5000));
  OK(ccenter_contact_end(eng, "c1", CCENTER_PARTY_UNKNOWN, 60000));
  SEEN("60000 CONVERSATION_ENDED a=1001 c=c1");
  ck_assert_int_eq(cstate("c1"), CCENTER_CONTACT_WRAP_UP);
  OK(ccenter_contact_disposition(eng, "c1", "card-lost", 61000));
  OK(ccenter_contact_survey(eng, "c1", 90, 61000));
  ck_assert_int_eq(ccenter_contact_survey(eng, "c1", 101, 61000), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_engine_next_deadline(eng), 65000);
  OK(ccenter_engine_advance(eng, 70000));
  SEEN("65000 WRAP_UP_ENDED a=1001 c=c1");
  SEEN("65000 ENDED c=c1 out=1");
  ck_assert_int_eq(cstate("c1"), CCENTER_ENOENT);
  ccenter_agent_info ai = {.size = sizeof ai};
  OK(ccenter_agent_info_get(eng, "1001", ccenter_engine_now(eng), &ai));
  ck_assert_int_eq(ai.handled, 1);
  ck_assert_int_eq(ai.idle_since, 65000);
  ck_assert_int_eq(ccenter_engine_next_deadline(eng), CCENTER_NO_DEADLINE);
}
END_TEST

START_TEST(longest_idle_wins_and_priority_orders_queue)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  agent_ready("a1", "q", 0);
  agent_ready("a3", "q", 5);
  agent_ready("a2", "q", 10);
  OK(ccenter_contact_enqueue(eng, "x", "q", NULL, 100));
  SEEN("OFFERED a=a1 c=x");
  OK(ccenter_contact_enqueue(eng, "y", "q", NULL, 100));
  SEEN("OFFERED a=a3 c=y");
  OK(ccenter_contact_enqueue(eng, "z", "q", NULL, 100));
  SEEN("OFFERED a=a2 c=z");
  /* Nobody free: a low and a high priority contact wait; the high one goes first. */
  ccenter_contact_params p;
  ccenter_contact_params_init(&p);
  OK(ccenter_contact_enqueue(eng, "low", "q", NULL, 200));
  p.priority = 5;
  OK(ccenter_contact_enqueue(eng, "high", "q", &p, 300));
  ccenter_contact_info ci = {.size = sizeof ci};
  OK(ccenter_contact_info_get(eng, "high", 300, &ci));
  ck_assert_uint_eq(ci.position, 1);
  OK(ccenter_contact_info_get(eng, "low", 300, &ci));
  ck_assert_uint_eq(ci.position, 2);
  ck_assert_int_eq(ci.wait_ms, 100);
  OK(ccenter_offer_accept(eng, "a1", "x", 400));
  OK(ccenter_contact_end(eng, "x", CCENTER_PARTY_UNKNOWN, 500));
  SEEN("500 OFFERED a=a1 c=high");
}
END_TEST

START_TEST(ring_timeout_misses_and_no_answer)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_RING_TIMEOUT, 10000, 0));
  OK(ccenter_engine_set(eng, CCENTER_ENGINE_REJECT_DELAY, 0, 0));
  agent_ready("a", "q", 0);
  OK(ccenter_contact_enqueue(eng, "c", "q", NULL, 0));
  OK(ccenter_engine_advance(eng, 10000));
  SEEN("10000 WITHDRAWN a=a c=c cause=ring-timeout");
  /* No reject delay: offered again at once; two more misses make the agent NOT_READY.
   * Called at each deadline: an offer made while a late call catches up would ring from
   * that call's time (test_timing.c). */
  OK(ccenter_engine_advance(eng, 20000));
  OK(ccenter_engine_advance(eng, 30000));
  SEEN("30000 STATE a=a 2->1 cause=no-answer");
  ck_assert_int_eq(cstate("c"), CCENTER_CONTACT_WAITING);
  ccenter_agent_info ai = {.size = sizeof ai};
  OK(ccenter_agent_info_get(eng, "a", ccenter_engine_now(eng), &ai));
  ck_assert_int_eq(ai.state, CCENTER_AGENT_NOT_READY);
  ck_assert_ptr_null(ai.reason);
  ck_assert_int_eq(ai.cause, CCENTER_CAUSE_NO_ANSWER);
  ck_assert_uint_eq(ai.missed_in_row, 3);
  OK(ccenter_agent_ready(eng, "a", 31000));
  SEEN("31000 OFFERED a=a c=c");
}
END_TEST

START_TEST(reject_delay_skips_agent_then_returns)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  agent_ready("a", "q", 0);
  agent_ready("b", "q", 1);
  OK(ccenter_contact_enqueue(eng, "c", "q", NULL, 100));
  SEEN("OFFERED a=a c=c");
  OK(ccenter_offer_reject(eng, "a", "c", 200));
  SEEN("200 WITHDRAWN a=a c=c cause=rejected");
  SEEN("200 OFFERED a=b c=c");
  OK(ccenter_offer_reject(eng, "b", "c", 300));
  ck_assert_int_eq(cstate("c"), CCENTER_CONTACT_WAITING);
  /* Default reject delay 30 s: a may have it again at 30.2 s, not before. */
  OK(ccenter_engine_advance(eng, 30199));
  NOT_SEEN("30199 OFFERED");
  OK(ccenter_engine_advance(eng, 30200));
  SEEN("30200 OFFERED a=a c=c");
  ccenter_agent_info ai = {.size = sizeof ai};
  OK(ccenter_agent_info_get(eng, "a", ccenter_engine_now(eng), &ai));
  ck_assert_uint_eq(ai.missed_in_row, 0);
}
END_TEST

START_TEST(pending_not_ready_applies_after_wrap_up)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_WRAP_UP, 1000, 0));
  agent_ready("a", "q", 0);
  OK(ccenter_contact_enqueue(eng, "c", "q", NULL, 0));
  OK(ccenter_offer_accept(eng, "a", "c", 10));
  OK(ccenter_agent_not_ready(eng, "a", "lunch", 20));
  SEEN("20 PENDING a=a r=lunch");
  OK(ccenter_contact_enqueue(eng, "d", "q", NULL, 30));
  OK(ccenter_contact_end(eng, "c", CCENTER_PARTY_UNKNOWN, 40));
  OK(ccenter_engine_advance(eng, 2000));
  SEEN("1040 STATE a=a 2->1 r=lunch");
  NOT_SEEN("OFFERED a=a c=d");
  OK(ccenter_agent_ready(eng, "a", 3000));
  SEEN("3000 OFFERED a=a c=d");
}
END_TEST

START_TEST(logout_withdraws_ringing_and_waits_for_work)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_WRAP_UP, -1, 0));
  agent_ready("a", "q", 0);
  OK(ccenter_agent_set_capacity(eng, "a", CCENTER_CHANNEL_CHAT, 2, 0));
  ccenter_contact_params p;
  ccenter_contact_params_init(&p);
  p.channel = CCENTER_CHANNEL_CHAT;
  OK(ccenter_contact_enqueue(eng, "c1", "q", &p, 0));
  OK(ccenter_contact_enqueue(eng, "c2", "q", &p, 0));
  OK(ccenter_offer_accept(eng, "a", "c1", 5));
  OK(ccenter_agent_logout(eng, "a", 10));
  SEEN("10 WITHDRAWN a=a c=c2 cause=agent-logout");
  SEEN("10 PENDING a=a to=0"); /* LOGGED_OUT */
  ck_assert_int_eq(cstate("c2"), CCENTER_CONTACT_WAITING);
  ck_assert_int_eq(ccenter_agent_ready(eng, "a", 11), CCENTER_ESTATE);
  ck_assert_int_eq(ccenter_agent_remove(eng, "a", 11), CCENTER_EBUSY);
  OK(ccenter_contact_end(eng, "c1", CCENTER_PARTY_UNKNOWN, 20));
  /* Unlimited wrap-up: only the agent ends it. */
  ck_assert_int_eq(ccenter_agent_wrap_up_extend(eng, "a", "c1", 1000, 21), CCENTER_ESTATE);
  OK(ccenter_agent_wrap_up_end(eng, "a", "c1", 30));
  SEEN("30 STATE a=a 2->0");
  OK(ccenter_agent_remove(eng, "a", 31));
}
END_TEST

START_TEST(capacity_and_overlap)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  agent_ready("a", "q", 0);
  ccenter_contact_params chat;
  ccenter_contact_params_init(&chat);
  chat.channel = CCENTER_CHANNEL_CHAT;
  for (int i = 0; i < 4; i++) {
    char id[8];
    snprintf(id, sizeof id, "ch%d", i);
    OK(ccenter_contact_enqueue(eng, id, "q", &chat, 10 + i));
  }
  /* Default chat capacity 3. */
  SEEN("OFFERED a=a c=ch2");
  NOT_SEEN("OFFERED a=a c=ch3");
  OK(ccenter_contact_enqueue(eng, "v", "q", NULL, 20));
  NOT_SEEN("OFFERED a=a c=v"); /* chats block voice by default */
  OK(ccenter_agent_set_overlap(eng, "a", CCENTER_CHANNEL_CHAT, CCENTER_CHANNEL_VOICE, 1, 30));
  SEEN("30 OFFERED a=a c=v");
  ccenter_agent_info ai = {.size = sizeof ai};
  OK(ccenter_agent_info_get(eng, "a", ccenter_engine_now(eng), &ai));
  ck_assert_uint_eq(ai.in_channel[CCENTER_CHANNEL_CHAT], 3);
  ck_assert_uint_eq(ai.in_channel[CCENTER_CHANNEL_VOICE], 1);
  ck_assert_int_eq(ccenter_agent_set_capacity(eng, "a", CCENTER_CHANNEL_CHAT, 65, 40),
                   CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_agent_set_capacity(eng, "a", (ccenter_channel)9, 1, 40),
                   CCENTER_EINVAL);
}
END_TEST

START_TEST(abandon_and_remove)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_contact_enqueue(eng, "c", "q", NULL, 0));
  OK(ccenter_contact_abandon(eng, "c", 7000));
  SEEN("7000 ENDED c=c out=2");
  agent_ready("a", "q", 8000);
  OK(ccenter_contact_enqueue(eng, "d", "q", NULL, 9000));
  OK(ccenter_contact_abandon(eng, "d", 9500));
  SEEN("9500 WITHDRAWN a=a c=d cause=abandoned");
  SEEN("9500 ENDED c=d out=2");
  OK(ccenter_contact_enqueue(eng, "e", "q", NULL, 9600));
  OK(ccenter_offer_accept(eng, "a", "e", 9700));
  ck_assert_int_eq(ccenter_contact_abandon(eng, "e", 9800), CCENTER_ESTATE);
  OK(ccenter_contact_enqueue(eng, "f", "q", NULL, 9900));
  OK(ccenter_contact_remove(eng, "f", 9950));
  SEEN("9950 ENDED c=f out=5");
}
END_TEST

START_TEST(max_wait_timeout_overflow_callback)
{
  OK(ccenter_queue_add(eng, "q1", NULL, 0));
  OK(ccenter_queue_add(eng, "q2", NULL, 0));
  OK(ccenter_queue_add(eng, "q3", NULL, 0));
  OK(ccenter_queue_set(eng, "q1", CCENTER_QUEUE_MAX_WAIT, 60000, 0));
  OK(ccenter_queue_set(eng, "q1", CCENTER_QUEUE_MAX_WAIT_ACTION, CCENTER_MAX_WAIT_OVERFLOW, 0));
  OK(ccenter_queue_set_overflow(eng, "q1", "q2", 0));
  ck_assert_int_eq(ccenter_queue_set_overflow(eng, "q1", "q1", 0), CCENTER_EINVAL);
  OK(ccenter_queue_set(eng, "q2", CCENTER_QUEUE_MAX_WAIT, 30000, 0));
  OK(ccenter_queue_set(eng, "q3", CCENTER_QUEUE_MAX_WAIT, 10000, 0));
  OK(ccenter_queue_set(eng, "q3", CCENTER_QUEUE_MAX_WAIT_ACTION, CCENTER_MAX_WAIT_CALLBACK, 0));
  OK(ccenter_contact_enqueue(eng, "c", "q1", NULL, 1000));
  OK(ccenter_contact_enqueue(eng, "k", "q3", NULL, 1000));
  OK(ccenter_engine_advance(eng, 11000));
  SEEN("11000 CALLBACK_OFFER c=k");
  OK(ccenter_contact_callback(eng, "k", 12000));
  SEEN("12000 CALLBACK_QUEUED c=k");
  ck_assert_int_eq(ccenter_contact_callback(eng, "k", 12000), CCENTER_ESTATE);
  OK(ccenter_engine_advance(eng, 61000));
  SEEN("61000 OVERFLOWED c=c to=q2");
  OK(ccenter_engine_advance(eng, 91000));
  SEEN("91000 ENDED c=c out=3");
  /* The callback waits without timing out; an agent with callback capacity takes it. */
  ck_assert_int_eq(cstate("k"), CCENTER_CONTACT_WAITING);
  agent_ready("a", "q3", 100000);
  SEEN("100000 CALLBACK_DUE c=k a=a");
  SEEN("100000 OFFERED a=a c=k");
}
END_TEST

START_TEST(join_and_leave_empty)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_JOIN_EMPTY, CCENTER_EMPTY_LOGGED_OUT, 0));
  ck_assert_int_eq(ccenter_contact_enqueue(eng, "c", "q", NULL, 0), CCENTER_ENOAGENTS);
  ck_assert_int_eq(cstate("c"), CCENTER_ENOENT);
  OK(ccenter_agent_add(eng, "a", NULL, 0));
  OK(ccenter_agent_serve(eng, "a", "q", NULL, 0));
  OK(ccenter_agent_login(eng, "a", 0));
  OK(ccenter_contact_enqueue(eng, "c", "q", NULL, 10));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_LEAVE_EMPTY, CCENTER_EMPTY_LOGGED_OUT, 20));
  ck_assert_int_eq(cstate("c"), CCENTER_CONTACT_WAITING);
  OK(ccenter_agent_logout(eng, "a", 30));
  SEEN("30 ENDED c=c out=4");
}
END_TEST

START_TEST(max_length)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_MAX_LENGTH, 1, 0));
  OK(ccenter_contact_enqueue(eng, "a", "q", NULL, 0));
  ck_assert_int_eq(ccenter_contact_enqueue(eng, "b", "q", NULL, 0), CCENTER_EFULL);
  ck_assert_int_eq(ccenter_contact_enqueue(eng, "a", "q", NULL, 0), CCENTER_EEXIST);
  ck_assert_int_eq(ccenter_queue_set(eng, "q", CCENTER_QUEUE_MAX_LENGTH, -1, 0), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_queue_set(eng, "q", (ccenter_queue_option)99, 1, 0), CCENTER_EINVAL);
  int64_t v = 0;
  OK(ccenter_queue_get(eng, "q", CCENTER_QUEUE_MAX_LENGTH, &v));
  ck_assert_int_eq(v, 1);
}
END_TEST

START_TEST(transfers_and_requeue)
{
  OK(ccenter_queue_add(eng, "q1", NULL, 0));
  OK(ccenter_queue_add(eng, "q2", NULL, 0));
  OK(ccenter_queue_set(eng, "q1", CCENTER_QUEUE_WRAP_UP, 2000, 0));
  agent_ready("a", "q1", 0);
  agent_ready("b", "q2", 0);
  OK(ccenter_agent_add(eng, "c", NULL, 0));
  OK(ccenter_agent_login(eng, "c", 0));
  ccenter_contact_params p;
  ccenter_contact_params_init(&p);
  p.customer = "cust-9";
  OK(ccenter_contact_enqueue(eng, "k", "q1", &p, 100));
  OK(ccenter_offer_accept(eng, "a", "k", 200));
  OK(ccenter_contact_transfer_queue(eng, "k", "q2", 1000));
  SEEN("1000 TRANSFERRED a=a c=k to=q2");
  SEEN("1000 OFFERED a=b c=k");
  OK(ccenter_offer_accept(eng, "b", "k", 1100));
  ccenter_contact_info ci = {.size = sizeof ci};
  OK(ccenter_contact_info_get(eng, "k", 1100, &ci));
  ck_assert_str_eq(ci.customer, "cust-9");
  ck_assert_str_eq(ci.queue, "q2");
  /* Blind transfer to an agent who is NOT_READY but has capacity. */
  OK(ccenter_contact_transfer_agent(eng, "k", "c", 1500));
  SEEN("1500 OFFERED a=c c=k");
  ck_assert_int_eq(ccenter_contact_transfer_agent(eng, "k", "c", 1500), CCENTER_ESTATE);
  /* It rings out: back to q2 as a new arrival, where b is free again. */
  OK(ccenter_offer_reject(eng, "c", "k", 1600));
  SEEN("1600 QUEUED c=k");
  SEEN("1600 OFFERED a=b c=k");
  OK(ccenter_offer_accept(eng, "b", "k", 1700));
  OK(ccenter_contact_requeue(eng, "k", 1800));
  SEEN("1800 REQUEUED a=b c=k");
  OK(ccenter_engine_advance(eng, 3000));
  /* a's wrap-up from the first leg ended at 3000 without ending the contact. */
  SEEN("3000 WRAP_UP_ENDED a=a c=k");
  NOT_SEEN("CONTACT_ENDED c=k");
}
END_TEST

START_TEST(consult_transfer)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  agent_ready("a", "q", 0);
  OK(ccenter_agent_add(eng, "sup", NULL, 0));
  OK(ccenter_agent_login(eng, "sup", 0));
  OK(ccenter_contact_enqueue(eng, "k", "q", NULL, 0));
  OK(ccenter_offer_accept(eng, "a", "k", 10));
  ck_assert_int_eq(ccenter_contact_consult_complete(eng, "k", 15), CCENTER_ESTATE);
  OK(ccenter_contact_hold(eng, "k", 15));
  OK(ccenter_contact_consult_start(eng, "k", "sup", 20));
  SEEN("20 CONSULT_OFFERED a=a c=k ato=sup");
  ck_assert_int_eq(ccenter_contact_consult_start(eng, "k", "sup", 21), CCENTER_ESTATE);
  ck_assert_int_eq(ccenter_contact_consult_complete(eng, "k", 21), CCENTER_ESTATE);
  OK(ccenter_offer_accept(eng, "sup", "k", 30));
  SEEN("30 CONSULT_CONNECTED a=a c=k ato=sup");
  OK(ccenter_contact_consult_complete(eng, "k", 40));
  SEEN("40 TRANSFERRED a=a c=k ato=sup");
  SEEN("40 RESUMED a=a c=k");
  ccenter_contact_info ci = {.size = sizeof ci};
  OK(ccenter_contact_info_get(eng, "k", 40, &ci));
  ck_assert_str_eq(ci.agent, "sup");
  OK(ccenter_contact_end(eng, "k", CCENTER_PARTY_UNKNOWN, 50));
  SEEN("50 ENDED c=k out=1");
}
END_TEST

START_TEST(consult_cancel_and_timeout)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_RING_TIMEOUT, 5000, 0));
  agent_ready("a", "q", 0);
  OK(ccenter_agent_add(eng, "sup", NULL, 0));
  OK(ccenter_agent_login(eng, "sup", 0));
  OK(ccenter_contact_enqueue(eng, "k", "q", NULL, 0));
  OK(ccenter_offer_accept(eng, "a", "k", 10));
  OK(ccenter_contact_consult_start(eng, "k", "sup", 20));
  OK(ccenter_engine_advance(eng, 5020));
  SEEN("5020 CONSULT_ENDED c=k ato=sup cause=ring-timeout");
  OK(ccenter_contact_consult_start(eng, "k", "sup", 6000));
  OK(ccenter_offer_accept(eng, "sup", "k", 6100));
  OK(ccenter_contact_consult_cancel(eng, "k", 6200));
  SEEN("6200 CONSULT_ENDED c=k ato=sup cause=cancelled");
  ccenter_agent_info ai = {.size = sizeof ai};
  OK(ccenter_agent_info_get(eng, "sup", ccenter_engine_now(eng), &ai));
  ck_assert_uint_eq(ai.connected, 0);
  ck_assert_uint_eq(ai.in_channel[CCENTER_CHANNEL_VOICE], 0);
}
END_TEST

START_TEST(queue_remove_drains_in_order)
{
  OK(ccenter_queue_add(eng, "old", NULL, 0));
  OK(ccenter_queue_add(eng, "new", NULL, 0));
  OK(ccenter_contact_enqueue(eng, "c1", "old", NULL, 100));
  OK(ccenter_contact_enqueue(eng, "n1", "new", NULL, 150));
  OK(ccenter_contact_enqueue(eng, "c2", "old", NULL, 200));
  ck_assert_int_eq(ccenter_queue_remove(eng, "old", NULL, 300), CCENTER_EBUSY);
  ck_assert_int_eq(ccenter_queue_remove(eng, "old", "old", 300), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_queue_remove(eng, "old", "nope", 300), CCENTER_ENOENT);
  OK(ccenter_queue_remove(eng, "old", "new", 300));
  SEEN("300 MOVED c=c1 to=new");
  ccenter_contact_info ci = {.size = sizeof ci};
  OK(ccenter_contact_info_get(eng, "c1", 300, &ci));
  ck_assert_uint_eq(ci.position, 1); /* original enqueue time kept: 100 < 150 */
  OK(ccenter_contact_info_get(eng, "c2", 300, &ci));
  ck_assert_uint_eq(ci.position, 3);
  ck_assert_int_eq(ccenter_queue_info_get(eng, "old", 300, &(ccenter_queue_info){.size = sizeof(ccenter_queue_info)}),
                   CCENTER_ENOENT);
}
END_TEST

START_TEST(queue_removed_while_contact_connected)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_WRAP_UP, 1000, 0));
  agent_ready("a", "q", 0);
  OK(ccenter_contact_enqueue(eng, "k", "q", NULL, 0));
  OK(ccenter_offer_accept(eng, "a", "k", 10));
  OK(ccenter_queue_remove(eng, "q", NULL, 20));
  ck_assert_int_eq(ccenter_contact_requeue(eng, "k", 30), CCENTER_ENOENT);
  OK(ccenter_contact_end(eng, "k", CCENTER_PARTY_UNKNOWN, 40));
  OK(ccenter_engine_advance(eng, 2000));
  SEEN("1040 ENDED c=k out=1");
}
END_TEST

START_TEST(announcements_and_ewt)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_ANNOUNCE_EVERY, 30000, 0));
  agent_ready("a", "q", 0);
  /* One handled contact of 100 s gives the estimator its first sample. */
  OK(ccenter_contact_enqueue(eng, "h", "q", NULL, 0));
  OK(ccenter_offer_accept(eng, "a", "h", 0));
  OK(ccenter_contact_enqueue(eng, "w1", "q", NULL, 1000));
  OK(ccenter_contact_enqueue(eng, "w2", "q", NULL, 2000));
  /* Called at each deadline (a call after a stall fires a periodic timer once). */
  for (int64_t t = 32000; t <= 92000; t += 30000)
    OK(ccenter_engine_advance(eng, t));
  OK(ccenter_contact_end(eng, "h", CCENTER_PARTY_UNKNOWN, 100000));
  /* w1 was offered at 100000; w2 announced at 32000, 62000, 92000 with position 2. */
  SEEN("32000 ANNOUNCE c=w2 pos=2");
  SEEN("92000 ANNOUNCE c=w2 pos=2");
  ccenter_queue_info qi = {.size = sizeof qi};
  OK(ccenter_queue_info_get(eng, "q", 100000, &qi));
  ck_assert_uint_eq(qi.waiting, 1);
  ck_assert_uint_eq(qi.offered, 1);
  ck_assert_int_eq(qi.longest_wait_ms, 99000);
  ck_assert_str_eq(qi.oldest, "w1"); /* ringing at a since 100 s, waiting since 1 s */
  ck_assert_int_eq(qi.ewt_ms, 200000); /* AHT 100 s x position 2 / 1 agent logged in */
}
END_TEST

START_TEST(time_backwards_and_bad_args_change_nothing)
{
  OK(ccenter_queue_add(eng, "q", NULL, 1000));
  int n = R.n;
  ck_assert_int_eq(ccenter_queue_add(eng, "r", NULL, 999), CCENTER_ETIME);
  ck_assert_int_eq(ccenter_queue_add(eng, "", NULL, 1000), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_queue_add(eng, NULL, NULL, 1000), CCENTER_EINVAL);
  char big[300];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = 0;
  ck_assert_int_eq(ccenter_agent_add(eng, big, NULL, 1000), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_agent_login(eng, "ghost", 1000), CCENTER_ENOENT);
  ccenter_contact_params p;
  ccenter_contact_params_init(&p);
  p.priority = 2000000;
  ck_assert_int_eq(ccenter_contact_enqueue(eng, "c", "q", &p, 1000), CCENTER_EINVAL);
  ccenter_attr dup[2] = {{"lang", "en"}, {"lang", "fr"}};
  ccenter_contact_params_init(&p);
  p.attrs = dup;
  p.n_attrs = 2;
  ck_assert_int_eq(ccenter_contact_enqueue(eng, "c", "q", &p, 1000), CCENTER_EINVAL);
  p.n_attrs = 1;
  OK(ccenter_contact_enqueue(eng, "c", "q", &p, 1000));
  ck_assert_str_eq(ccenter_contact_attr(eng, "c", "lang"), "en");
  ck_assert_ptr_null(ccenter_contact_attr(eng, "c", "site"));
  ck_assert_int_eq(R.n, n + 1); /* only the QUEUED of the good call */
  ck_assert_int_eq(ccenter_engine_now(eng), 1000);
  ck_assert_int_eq(ccenter_engine_advance(NULL, 0), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_engine_set(eng, CCENTER_ENGINE_MAX_NO_ANSWER, -1, 1000),
                   CCENTER_ERANGE);
  ccenter_queue_info small = {.size = sizeof(size_t)};
  ck_assert_int_eq(ccenter_queue_info_get(eng, "q", 1000, &small), CCENTER_EINVAL);
}
END_TEST

START_TEST(callback_may_query_but_not_change)
{
  R.try_reentry = 1;
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_contact_enqueue(eng, "c", "q", NULL, 0));
  ck_assert_int_eq(R.reentry_rc, CCENTER_ECALLBACK);
  ccenter_agent_info ai = {.size = sizeof ai};
  ck_assert_int_eq(ccenter_agent_info_get(eng, "intruder", ccenter_engine_now(eng), &ai), CCENTER_ENOENT);
}
END_TEST

static int journal_n;
static void count_journal(void *ud, const cc_jrec *r)
{
  (void)ud;
  (void)r;
  journal_n++;
}

START_TEST(journal_sees_successes_and_due_timers)
{
  journal_n = 0;
  cc_engine_set_journal(eng, count_journal, NULL);
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  ck_assert_int_eq(journal_n, 1);
  ck_assert_int_eq(ccenter_queue_add(eng, "q", NULL, 0), CCENTER_EEXIST);
  ck_assert_int_eq(journal_n, 1);
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_MAX_WAIT, 100, 0));
  OK(ccenter_contact_enqueue(eng, "c", "q", NULL, 0));
  ck_assert_int_eq(journal_n, 3);
  /* Fails, but the max-wait timer due at 100 fired: an ADVANCE is journaled. */
  ck_assert_int_eq(ccenter_contact_abandon(eng, "c", 200), CCENTER_ENOENT);
  ck_assert_int_eq(journal_n, 4);
  SEEN("100 ENDED c=c out=3");
}
END_TEST

START_TEST(sla_warning_and_breach_at_exact_times)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_SL_THRESHOLD, 20000, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_SL_WARNING, 75, 0));
  OK(ccenter_contact_enqueue(eng, "c", "q", NULL, 1000));
  OK(ccenter_contact_enqueue(eng, "d", "q", NULL, 2000));
  ck_assert_int_eq(ccenter_engine_next_deadline(eng), 16000);
  OK(ccenter_engine_advance(eng, 16000));
  SEEN("16000 SLA_WARNING c=c");
  NOT_SEEN("SLA_WARNING c=d");
  agent_ready("a", "q", 20000);
  OK(ccenter_offer_accept(eng, "a", "c", 20500));
  OK(ccenter_engine_advance(eng, 30000));
  NOT_SEEN("SLA_BREACH c=c"); /* answered at 19.5 s */
  SEEN("17000 SLA_WARNING c=d");
  SEEN("22000 SLA_BREACH c=d"); /* still waiting (a is busy) at 20 s */
  ck_assert_int_eq(ccenter_queue_set(eng, "q", CCENTER_QUEUE_SL_TARGET, 10001, 30000),
                   CCENTER_ERANGE);
  int64_t th[3] = {5000, 10000, 30000};
  OK(ccenter_queue_set_thresholds(eng, "q", th, 3, 30000));
  int64_t bad[2] = {10000, 5000};
  ck_assert_int_eq(ccenter_queue_set_thresholds(eng, "q", bad, 2, 30000), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_queue_set_thresholds(eng, "q", th, 9, 30000), CCENTER_EFULL);
  cc_sla_cfg cfg;
  OK(cc_engine_queue_sla(eng, "q", &cfg));
  ck_assert_uint_eq(cfg.n_extra, 3);
  ck_assert_int_eq(cfg.extra_ms[2], 30000);
}
END_TEST

START_TEST(end_by_and_serve_events)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  agent_ready("a", "q", 0);
  SEEN("0 AGENT_SERVE a=a");
  OK(ccenter_contact_enqueue(eng, "c", "q", NULL, 0));
  OK(ccenter_offer_accept(eng, "a", "c", 0));
  ck_assert_int_eq(ccenter_contact_end(eng, "c", (ccenter_party)7, 10), CCENTER_EINVAL);
  OK(ccenter_contact_end(eng, "c", CCENTER_PARTY_AGENT, 10));
  SEEN("10 CONVERSATION_ENDED a=a c=c by=agent");
  OK(ccenter_agent_unserve(eng, "a", "q", 20));
  ck_assert_int_eq(ccenter_agent_unserve(eng, "a", "q", 20), CCENTER_ENOENT);
  ck_assert_str_eq(ccenter_event_name(CCENTER_EV_AGENT_SERVE), "AGENT_SERVE");
  ck_assert_str_eq(ccenter_event_name((ccenter_event_type)999), "UNKNOWN");
}
END_TEST

START_TEST(ewt_from_backlogged_dequeues_and_callback_offer)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_CALLBACK_EWT, 100000, 0));
  agent_ready("a", "q", 0);
  /* A backlog of 10; the agent takes one every 60 s. */
  for (int i = 0; i < 10; i++) {
    char id[8];
    snprintf(id, sizeof id, "c%d", i);
    OK(ccenter_contact_enqueue(eng, id, "q", NULL, 0));
  }
  int64_t t = 0;
  for (int i = 0; i < 5; i++) {
    char id[8];
    snprintf(id, sizeof id, "c%d", i);
    OK(ccenter_offer_accept(eng, "a", id, t));
    t += 60000;
    OK(ccenter_contact_end(eng, id, CCENTER_PARTY_UNKNOWN, t));
  }
  /* Four backlogged gaps of 60 s: the contact at position 2 expects about 2 minutes. */
  ccenter_contact_info ci = {.size = sizeof ci};
  OK(ccenter_contact_info_get(eng, "c6", t, &ci));
  ck_assert_uint_eq(ci.position, 1);
  ck_assert_int_eq(ci.ewt_ms, 60000);
  OK(ccenter_contact_info_get(eng, "c9", t, &ci));
  ck_assert_int_eq(ci.ewt_ms, 4 * 60000);
  /* A newcomer at position 5 expects 300 s > 100 s: it is offered a callback. */
  OK(ccenter_contact_enqueue(eng, "late", "q", NULL, t));
  SEEN("CONTACT_CALLBACK_OFFER c=late");
  NOT_SEEN("CONTACT_CALLBACK_OFFER c=c9");
}
END_TEST

START_TEST(not_ready_reason_change_starts_a_new_stretch)
{
  OK(ccenter_agent_add(eng, "a", NULL, 0));
  OK(ccenter_agent_login(eng, "a", 0));
  OK(ccenter_agent_not_ready(eng, "a", "break", 60000));
  OK(ccenter_agent_not_ready(eng, "a", "lunch", 120000));
  OK(ccenter_agent_ready(eng, "a", 180000));
  /* login -> NOT_READY "login" 60 s, "break" 60 s, "lunch" 60 s. */
  ck_assert_int_eq(sc_count("AGENT_STATE a=a"), 4);
  ccenter_agent_info ai = {.size = sizeof ai};
  OK(ccenter_agent_info_get(eng, "a", ccenter_engine_now(eng), &ai));
  ck_assert_int_eq(ai.state_since, 180000);
}
END_TEST

/* A call's lookups reuse the hashes of its id arguments, which the engine takes by the
 * argument's address (engine.c, prelook): one buffer holding another id in the next call
 * must name that id, whichever op the call is (also the ops whose ids are not hashed
 * ahead, such as agent_add's check that the id is free). */
START_TEST(a_reused_id_buffer_names_the_id_it_holds_now)
{
  char buf[16];
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  agent_ready("a", "q", 0);
  OK(ccenter_agent_not_ready(eng, "a", NULL, 0));
  strcpy(buf, "c1");
  OK(ccenter_contact_enqueue(eng, buf, "q", NULL, 100));
  strcpy(buf, "c2");
  OK(ccenter_contact_enqueue(eng, buf, "q", NULL, 200));
  strcpy(buf, "a");
  ck_assert_int_eq(ccenter_agent_add(eng, buf, NULL, 250), CCENTER_EEXIST);
  strcpy(buf, "c2");
  ck_assert_int_eq(ccenter_contact_enqueue(eng, buf, "q", NULL, 260), CCENTER_EEXIST);
  strcpy(buf, "b");
  ck_assert_int_eq(ccenter_agent_ready(eng, buf, 270), CCENTER_ENOENT);
  strcpy(buf, "a");
  OK(ccenter_agent_ready(eng, buf, 300));
  SEEN("300 OFFERED a=a c=c1");
  strcpy(buf, "c1");
  OK(ccenter_offer_accept(eng, "a", buf, 400));
  SEEN("400 CONNECTED a=a c=c1");
  strcpy(buf, "c2");
  ck_assert_int_eq(ccenter_contact_end(eng, buf, CCENTER_PARTY_UNKNOWN, 500), CCENTER_ESTATE);
  OK(ccenter_contact_remove(eng, buf, 600));
  SEEN("600 ENDED c=c2 out=5");
  ck_assert_int_eq(cstate("c2"), CCENTER_ENOENT);
  strcpy(buf, "c1");
  OK(ccenter_contact_end(eng, buf, CCENTER_PARTY_UNKNOWN, 700));
  SEEN("700 CONVERSATION_ENDED a=a c=c1");
}
END_TEST

static int64_t last_duration;
static void keep_duration(ccenter_engine *e, const ccenter_event *ev, void *ud)
{
  (void)e;
  (void)ud;
  if (ev->type == CCENTER_EV_AGENT_STATE)
    last_duration = ev->duration_ms;
}

START_TEST(state_durations_add_up)
{
  ccenter_options *o = ccenter_options_new();
  ccenter_options_set_event_callback(o, keep_duration, NULL);
  ccenter_engine *e2;
  OK(ccenter_engine_new(o, 0, &e2));
  ccenter_options_free(o);
  OK(ccenter_agent_add(e2, "a", NULL, 0));
  OK(ccenter_agent_login(e2, "a", 0));
  int64_t total = 0;
  OK(ccenter_agent_not_ready(e2, "a", "break", 60000));
  total += last_duration;
  OK(ccenter_agent_not_ready(e2, "a", "lunch", 120000));
  total += last_duration;
  OK(ccenter_agent_ready(e2, "a", 180000));
  total += last_duration;
  ck_assert_int_eq(total, 180000);
  ccenter_engine_free(e2);
}
END_TEST

START_TEST(ewt_ignores_idle_members_who_cannot_take_it)
{
  /* The novice serves the queue but never meets its step: an idle novice must not make
   * the expected wait look like 0. */
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_add_step(eng, "q", "s", 86400000, 0));
  OK(ccenter_agent_add(eng, "expert", NULL, 0));
  OK(ccenter_agent_set_skill(eng, "expert", "s", 5, 0));
  OK(ccenter_agent_serve(eng, "expert", "q", NULL, 0));
  OK(ccenter_agent_login(eng, "expert", 0));
  OK(ccenter_agent_ready(eng, "expert", 0));
  sc_agent_ready("novice", "q", 0);
  int64_t t = 0;
  for (int i = 0; i < 6; i++) {
    char id[8];
    snprintf(id, sizeof id, "c%d", i);
    OK(ccenter_contact_enqueue(eng, id, "q", NULL, 0));
  }
  for (int i = 0; i < 4; i++) {
    char id[8];
    snprintf(id, sizeof id, "c%d", i);
    OK(ccenter_offer_accept(eng, "expert", id, t));
    t += 300000;
    OK(ccenter_contact_end(eng, id, CCENTER_PARTY_UNKNOWN, t));
  }
  ccenter_contact_info ci = {.size = sizeof ci};
  OK(ccenter_contact_info_get(eng, "c5", t, &ci));
  ck_assert_uint_eq(ci.position, 1);
  ck_assert_int_eq(ci.ewt_ms, 300000);
  /* A newcomer: QUEUED says it will wait (position 2), though the novice is idle. */
  R.n = 0;
  OK(ccenter_contact_enqueue(eng, "late", "q", NULL, t));
  ck_assert_int_eq(R.n, 1);
  ck_assert_msg(strstr(R.line[0], "CONTACT_QUEUED") != NULL, "%s", R.line[0]);
  ck_assert_int_eq(ccenter_contact_info_get(eng, "late", t, &ci), 0);
  ck_assert_int_eq(ci.ewt_ms, 600000);
}
END_TEST

START_TEST(timeout_while_earlier_agent_wraps_up_is_reported_at_once)
{
  OK(ccenter_queue_add(eng, "q1", NULL, 0));
  OK(ccenter_queue_add(eng, "q2", NULL, 0));
  OK(ccenter_queue_set(eng, "q1", CCENTER_QUEUE_WRAP_UP, -1, 0));
  OK(ccenter_queue_set(eng, "q2", CCENTER_QUEUE_MAX_WAIT, 5000, 0));
  agent_ready("a", "q1", 0);
  OK(ccenter_contact_enqueue(eng, "c", "q1", NULL, 0));
  OK(ccenter_offer_accept(eng, "a", "c", 0));
  OK(ccenter_contact_transfer_queue(eng, "c", "q2", 2000));
  /* Nobody serves q2: the caller times out at 7 s while a still wraps up (unlimited). */
  OK(ccenter_engine_advance(eng, 7000));
  SEEN("7000 CONTACT_ENDED c=c out=3");
  ck_assert_int_eq(cstate("c"), CCENTER_ENOENT);
  /* The id is free again, and a can still end its wrap-up of the first leg. */
  OK(ccenter_contact_enqueue(eng, "c", "q1", NULL, 8000));
  OK(ccenter_agent_wrap_up_end(eng, "a", "c", 9000));
  SEEN("9000 WRAP_UP_ENDED a=a c=c");
  SEEN("9000 OFFERED a=a c=c");
  ck_assert_int_eq(sc_count("CONTACT_ENDED c=c"), 1);
}
END_TEST

START_TEST(requeue_reports_before_wrap_up_and_skips_the_agent)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  agent_ready("a", "q", 0);
  OK(ccenter_contact_enqueue(eng, "c", "q", NULL, 0));
  OK(ccenter_offer_accept(eng, "a", "c", 0));
  int from = R.n;
  OK(ccenter_contact_requeue(eng, "c", 1000));
  ck_assert_msg(sc_seen_from(from, "CONTACT_REQUEUED c=c"), "no REQUEUED");
  ck_assert_msg(strstr(R.line[from], "CONTACT_REQUEUED") != NULL, "first: %s", R.line[from]);
  NOT_SEEN("1000 OFFERED a=a c=c"); /* not straight back to the agent who sent it back */
  OK(ccenter_engine_advance(eng, 31000));
  SEEN("31000 OFFERED a=a c=c");
}
END_TEST

/* Back in the queue after a requeue, a call is announced again and gets a fresh max wait
 * from the requeue (not from its first arrival); a callback, as when it first waited,
 * gets neither: it holds no line to announce to or to time out. */
START_TEST(requeue_restarts_announcements_and_max_wait_but_not_for_callbacks)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_ANNOUNCE_EVERY, 30000, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_MAX_WAIT, 60000, 0));
  OK(ccenter_contact_enqueue(eng, "k", "q", NULL, 0));
  OK(ccenter_contact_callback(eng, "k", 1000));
  SEEN("1000 CALLBACK_QUEUED c=k");
  agent_ready("a", "q", 2000);
  SEEN("2000 OFFERED a=a c=k");
  OK(ccenter_offer_accept(eng, "a", "k", 2500));
  OK(ccenter_contact_requeue(eng, "k", 3000));
  SEEN("3000 REQUEUED a=a c=k");
  OK(ccenter_agent_not_ready(eng, "a", "break", 3000));
  OK(ccenter_contact_enqueue(eng, "c", "q", NULL, 4000));
  agent_ready("b", "q", 5000);
  /* b takes k (first in line: its original place), then c once k is done. */
  SEEN("5000 OFFERED a=b c=k");
  OK(ccenter_offer_reject(eng, "b", "k", 5100));
  OK(ccenter_agent_not_ready(eng, "b", "break", 5100));
  OK(ccenter_engine_advance(eng, 200000));
  NOT_SEEN("ANNOUNCE c=k");
  NOT_SEEN("CONTACT_ENDED c=k");
  SEEN("34000 ANNOUNCE c=c");
  SEEN("64000 ENDED c=c out=3");
  /* A call: answered, requeued, announced and timed out from the requeue on. */
  OK(ccenter_queue_add(eng, "q2", NULL, 300000));
  OK(ccenter_queue_set(eng, "q2", CCENTER_QUEUE_ANNOUNCE_EVERY, 30000, 300000));
  OK(ccenter_queue_set(eng, "q2", CCENTER_QUEUE_MAX_WAIT, 60000, 300000));
  OK(ccenter_contact_enqueue(eng, "d", "q2", NULL, 300000));
  agent_ready("e", "q2", 300500);
  SEEN("300500 OFFERED a=e c=d");
  OK(ccenter_offer_accept(eng, "e", "d", 300600));
  OK(ccenter_contact_requeue(eng, "d", 310000));
  OK(ccenter_agent_not_ready(eng, "e", "break", 310000));
  OK(ccenter_engine_advance(eng, 500000));
  SEEN("340000 ANNOUNCE c=d");
  NOT_SEEN("360000 CONTACT_ENDED c=d");
  SEEN("370000 ENDED c=d out=3");
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("engine");
  TCase *tc = tcase_create("scenarios");
  tcase_add_checked_fixture(tc, sc_setup, sc_teardown);
  tcase_add_test(tc, basic_lifecycle);
  tcase_add_test(tc, longest_idle_wins_and_priority_orders_queue);
  tcase_add_test(tc, ring_timeout_misses_and_no_answer);
  tcase_add_test(tc, reject_delay_skips_agent_then_returns);
  tcase_add_test(tc, pending_not_ready_applies_after_wrap_up);
  tcase_add_test(tc, logout_withdraws_ringing_and_waits_for_work);
  tcase_add_test(tc, capacity_and_overlap);
  tcase_add_test(tc, abandon_and_remove);
  tcase_add_test(tc, max_wait_timeout_overflow_callback);
  tcase_add_test(tc, join_and_leave_empty);
  tcase_add_test(tc, max_length);
  tcase_add_test(tc, transfers_and_requeue);
  tcase_add_test(tc, consult_transfer);
  tcase_add_test(tc, consult_cancel_and_timeout);
  tcase_add_test(tc, queue_remove_drains_in_order);
  tcase_add_test(tc, queue_removed_while_contact_connected);
  tcase_add_test(tc, announcements_and_ewt);
  tcase_add_test(tc, time_backwards_and_bad_args_change_nothing);
  tcase_add_test(tc, callback_may_query_but_not_change);
  tcase_add_test(tc, journal_sees_successes_and_due_timers);
  tcase_add_test(tc, sla_warning_and_breach_at_exact_times);
  tcase_add_test(tc, end_by_and_serve_events);
  tcase_add_test(tc, ewt_from_backlogged_dequeues_and_callback_offer);
  tcase_add_test(tc, not_ready_reason_change_starts_a_new_stretch);
  tcase_add_test(tc, state_durations_add_up);
  tcase_add_test(tc, a_reused_id_buffer_names_the_id_it_holds_now);
  tcase_add_test(tc, ewt_ignores_idle_members_who_cannot_take_it);
  tcase_add_test(tc, timeout_while_earlier_agent_wraps_up_is_reported_at_once);
  tcase_add_test(tc, requeue_reports_before_wrap_up_and_skips_the_agent);
  tcase_add_test(tc, requeue_restarts_announcements_and_max_wait_but_not_for_callbacks);
  suite_add_tcase(s, tc);
  return s;
}

CC_TEST_MAIN()
