/* The routing model: skills, steps, profiles, strategies, reserve, preferred and sticky
 * agents, emergencies — and the indexed router against the reference router. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

#define agent_skilled sc_agent_skilled

static void handle(const char *a, const char *c, int64_t t)
{
  OK(ccenter_offer_accept(eng, a, c, t));
  OK(ccenter_contact_end(eng, c, CCENTER_PARTY_UNKNOWN, t));
}

START_TEST(steps_expand_at_exact_deadlines)
{
  OK(ccenter_queue_add(eng, "cards", NULL, 0));
  OK(ccenter_queue_add_step(eng, "cards", "cards >= 7", 10000, 0));
  OK(ccenter_queue_add_step(eng, "cards", "cards >= 3", 20000, 0));
  agent_skilled("expert", "cards", "cards", 8, 0);
  agent_skilled("mid", "cards", "cards", 5, 0);
  agent_skilled("novice", "cards", NULL, 0, 0);
  OK(ccenter_agent_not_ready(eng, "expert", "break", 0));
  OK(ccenter_contact_enqueue(eng, "c", "cards", NULL, 0));
  NOT_SEEN("OFFERED c=c");
  OK(ccenter_engine_advance(eng, 9999));
  NOT_SEEN("OFFERED c=c");
  ck_assert_int_eq(ccenter_engine_next_deadline(eng), 10000);
  OK(ccenter_engine_advance(eng, 10000));
  SEEN("10000 STEP c=c step=1");
  SEEN("10000 OFFERED a=mid c=c");
  OK(ccenter_offer_accept(eng, "mid", "c", 10000));
  /* A second contact: mid is busy, so only after both steps (10 s + 20 s) may anyone. */
  OK(ccenter_contact_enqueue(eng, "d", "cards", NULL, 10000));
  OK(ccenter_engine_advance(eng, 39999));
  SEEN("20000 STEP c=d step=1");
  NOT_SEEN("OFFERED c=d");
  OK(ccenter_engine_advance(eng, 40000));
  SEEN("40000 STEP c=d step=2");
  SEEN("40000 OFFERED a=novice c=d");
}
END_TEST

START_TEST(skill_and_attribute_changes_reroute)
{
  OK(ccenter_queue_add(eng, "fr", NULL, 0));
  OK(ccenter_queue_add_step(eng, "fr", "language == \"fr\" and cards", 600000, 0));
  agent_skilled("a", "fr", "cards", 4, 0);
  OK(ccenter_contact_enqueue(eng, "c", "fr", NULL, 0));
  NOT_SEEN("OFFERED c=c");
  OK(ccenter_agent_set_attr(eng, "a", "language", "fr", 100));
  SEEN("100 OFFERED a=a c=c");
  OK(ccenter_offer_reject(eng, "a", "c", 200));
  OK(ccenter_agent_set_skill(eng, "a", "cards", 0, 300));
  OK(ccenter_engine_advance(eng, 40000));
  ck_assert_int_eq(sc_count("OFFERED a=a c=c"), 1); /* no longer qualifies */
  ck_assert_int_eq(ccenter_agent_set_skill(eng, "a", "cards", 11, 40000), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_queue_add_step(eng, "fr", "cards >=", 1000, 40000), CCENTER_ESYNTAX);
  ck_assert_int_eq(ccenter_queue_add_step(eng, "fr", "cards", 0, 40000), CCENTER_ERANGE);
}
END_TEST

static void keep_log(void *ud, ccenter_log_level level, const char *msg)
{
  (void)level;
  snprintf(ud, 256, "%s", msg);
}

/* A requirement refused before anything happens still says in the log what is wrong and
 * where (the header's promise), for a queue's step and a contact's own step alike. */
START_TEST(a_bad_requirement_is_logged_with_its_place)
{
  char msg[256] = "";
  ccenter_options *o = ccenter_options_new();
  ck_assert_ptr_nonnull(o);
  OK(ccenter_options_set_log(o, keep_log, CCENTER_LOG_WARN, msg));
  ccenter_engine *e;
  OK(ccenter_engine_new(o, 0, &e));
  ccenter_options_free(o);
  OK(ccenter_queue_add(e, "q", NULL, 0));
  ck_assert_int_eq(ccenter_queue_add_step(e, "q", "cards >=", 1000, 0), CCENTER_ESYNTAX);
  ck_assert_msg(strstr(msg, "\"cards >=\"") && strstr(msg, "at 8"), "log: %s", msg);
  msg[0] = 0;
  ccenter_contact_params p;
  ccenter_contact_params_init(&p);
  ccenter_step st = {"skill(", 1000};
  p.steps = &st;
  p.n_steps = 1;
  ck_assert_int_eq(ccenter_contact_enqueue(e, "c", "q", &p, 0), CCENTER_ESYNTAX);
  ck_assert_msg(strstr(msg, "\"skill(\""), "log: %s", msg);
  ccenter_engine_free(e);
}
END_TEST

START_TEST(contact_steps_emergency_widening)
{
  OK(ccenter_queue_add(eng, "fraud", NULL, 0));
  OK(ccenter_queue_add(eng, "general", NULL, 0));
  agent_skilled("sup", "fraud", "supervisor", 5, 0);
  OK(ccenter_agent_serve(eng, "sup", "general", &(ccenter_serve_params){.size = sizeof(ccenter_serve_params), .priority = 10, .delay_ms = 0, .reserve = 0}, 0));
  agent_skilled("fx", "fraud", "fraud-emergency", 9, 0);
  OK(ccenter_agent_not_ready(eng, "fx", "break", 0));
  OK(ccenter_agent_not_ready(eng, "sup", "meeting", 0));
  /* An older ordinary contact in a queue sup prefers (priority 10 in its profile). */
  OK(ccenter_contact_enqueue(eng, "ordinary", "general", NULL, 0));
  ccenter_step steps[2] = {{"fraud-emergency", 20000}, {"supervisor", 600000}};
  ccenter_contact_params p;
  ccenter_contact_params_init(&p);
  p.emergency = 1;
  p.steps = steps;
  p.n_steps = 2;
  OK(ccenter_contact_enqueue(eng, "victim", "fraud", &p, 1000));
  OK(ccenter_agent_ready(eng, "sup", 2000));
  /* sup does not qualify for the first step: it takes the ordinary contact. */
  SEEN("2000 OFFERED a=sup c=ordinary");
  handle("sup", "ordinary", 3000);
  /* Nobody with fraud-emergency within 20 s: widened to supervisors at 21 s. */
  OK(ccenter_engine_advance(eng, 21000));
  SEEN("21000 STEP c=victim step=1");
  SEEN("21000 OFFERED a=sup c=victim");
}
END_TEST

/* A contact whose later step does not compile is refused and leaves nothing behind: not
 * even in the engine's count of its memory (the steps block was once returned with the
 * size of the steps compiled so far, not the size allocated). */
START_TEST(bad_contact_step_changes_nothing)
{
  OK(ccenter_queue_add(eng, "cards", NULL, 0));
  ccenter_step steps[3] = {{"cards >= 5", 10000}, {"language in (\"en\"", 10000}, {"cards", 10000}};
  ccenter_contact_params p;
  ccenter_contact_params_init(&p);
  p.steps = steps;
  p.n_steps = 3;
  /* The first attempt interns the names it read, which stay; the others add nothing. */
  ck_assert_int_eq(ccenter_contact_enqueue(eng, "c1", "cards", &p, 0), CCENTER_ESYNTAX);
  size_t before = cc_engine_memory(eng);
  for (int i = 0; i < 3; i++) {
    ck_assert_int_eq(ccenter_contact_enqueue(eng, "c1", "cards", &p, 0), CCENTER_ESYNTAX);
    ck_assert_uint_eq(cc_engine_memory(eng), before);
  }
  ck_assert_ptr_null(cc_engine_check(eng));
  p.n_steps = 1;
  OK(ccenter_contact_enqueue(eng, "c1", "cards", &p, 0));
  SEEN("0 QUEUED c=c1");
}
END_TEST

START_TEST(emergency_preempts_profile_priority)
{
  OK(ccenter_queue_add(eng, "vip", NULL, 0));
  OK(ccenter_queue_add(eng, "fraud", NULL, 0));
  OK(ccenter_agent_add(eng, "a", NULL, 0));
  OK(ccenter_agent_serve(eng, "a", "vip", &(ccenter_serve_params){.size = sizeof(ccenter_serve_params), .priority = 100, .delay_ms = 0, .reserve = 0}, 0));
  OK(ccenter_agent_serve(eng, "a", "fraud", &(ccenter_serve_params){.size = sizeof(ccenter_serve_params), .priority = 0, .delay_ms = 0, .reserve = 0}, 0));
  OK(ccenter_agent_login(eng, "a", 0));
  ccenter_contact_params p;
  ccenter_contact_params_init(&p);
  p.priority = 50;
  OK(ccenter_contact_enqueue(eng, "vip1", "vip", &p, 0));
  ccenter_contact_params_init(&p);
  p.emergency = 1;
  OK(ccenter_contact_enqueue(eng, "sos", "fraud", &p, 5000));
  OK(ccenter_agent_ready(eng, "a", 6000));
  SEEN("6000 OFFERED a=a c=sos");
  NOT_SEEN("OFFERED a=a c=vip1");
}
END_TEST

START_TEST(profile_priority_then_contact_order)
{
  OK(ccenter_queue_add(eng, "q1", NULL, 0));
  OK(ccenter_queue_add(eng, "q2", NULL, 0));
  OK(ccenter_agent_add(eng, "a", NULL, 0));
  OK(ccenter_agent_serve(eng, "a", "q1", &(ccenter_serve_params){.size = sizeof(ccenter_serve_params), .priority = 5, .delay_ms = 0, .reserve = 0}, 0));
  OK(ccenter_agent_serve(eng, "a", "q2", &(ccenter_serve_params){.size = sizeof(ccenter_serve_params), .priority = 1, .delay_ms = 0, .reserve = 0}, 0));
  OK(ccenter_agent_login(eng, "a", 0));
  OK(ccenter_contact_enqueue(eng, "old2", "q2", NULL, 0));
  OK(ccenter_contact_enqueue(eng, "new1", "q1", NULL, 1000));
  OK(ccenter_agent_ready(eng, "a", 2000));
  SEEN("2000 OFFERED a=a c=new1");
  handle("a", "new1", 2100);
  SEEN("2100 OFFERED a=a c=old2");
  ck_assert_int_eq(ccenter_agent_serve(eng, "a", "q1", &(ccenter_serve_params){.size = sizeof(ccenter_serve_params), .priority = 5000, .delay_ms = 0, .reserve = 0}, 3000), CCENTER_ERANGE);
}
END_TEST

START_TEST(member_delay_holds_until_waited)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_agent_add(eng, "backup", NULL, 0));
  OK(ccenter_agent_serve(eng, "backup", "q", &(ccenter_serve_params){.size = sizeof(ccenter_serve_params), .priority = 0, .delay_ms = 30000, .reserve = 0}, 0));
  OK(ccenter_agent_login(eng, "backup", 0));
  OK(ccenter_agent_ready(eng, "backup", 0));
  OK(ccenter_contact_enqueue(eng, "c", "q", NULL, 1000));
  OK(ccenter_engine_advance(eng, 30999));
  NOT_SEEN("OFFERED c=c");
  OK(ccenter_engine_advance(eng, 31000));
  SEEN("31000 OFFERED a=backup c=c");
}
END_TEST

START_TEST(reserve_joins_past_threshold)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_RESERVE_WAIT, 60000, 0));
  OK(ccenter_agent_add(eng, "r", NULL, 0));
  OK(ccenter_agent_serve(eng, "r", "q", &(ccenter_serve_params){.size = sizeof(ccenter_serve_params), .priority = 0, .delay_ms = 0, .reserve = 1}, 0));
  OK(ccenter_agent_login(eng, "r", 0));
  OK(ccenter_agent_ready(eng, "r", 0));
  OK(ccenter_contact_enqueue(eng, "c", "q", NULL, 0));
  OK(ccenter_engine_advance(eng, 59999));
  NOT_SEEN("OFFERED c=c");
  OK(ccenter_engine_advance(eng, 60000));
  SEEN("60000 OFFERED a=r c=c");
}
END_TEST

/* Reserve members join while the queue's recent service level (last 100 outcomes, at least
 * 10) is below RESERVE_SL, and leave when it is back. */
START_TEST(reserve_joins_below_service_level)
{
  char c[16];
  int64_t t = 0;
  OK(ccenter_queue_add(eng, "q", NULL, t));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_SL_THRESHOLD, 20000, t));
  ck_assert_int_eq(ccenter_queue_set(eng, "q", CCENTER_QUEUE_RESERVE_SL, 10001, t),
                   CCENTER_ERANGE);
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_RESERVE_SL, 8000, t));
  int64_t v = 0;
  OK(ccenter_queue_get(eng, "q", CCENTER_QUEUE_RESERVE_SL, &v));
  ck_assert_int_eq(v, 8000);
  sc_agent_ready("m", "q", t);
  OK(ccenter_agent_add(eng, "r", NULL, t));
  OK(ccenter_agent_serve(eng, "r", "q", &(ccenter_serve_params){.size = sizeof(ccenter_serve_params), .priority = 0, .delay_ms = 0, .reserve = 1}, t));
  OK(ccenter_agent_login(eng, "r", t));
  OK(ccenter_agent_ready(eng, "r", t));
  /* Ten contacts answered after the threshold: 0 % over 10 outcomes. The reserve member
   * takes none of them: below 10 outcomes the rule does not count. */
  for (int i = 0; i < 10; i++) {
    snprintf(c, sizeof c, "late%d", i);
    OK(ccenter_agent_not_ready(eng, "m", "busy", t));
    OK(ccenter_contact_enqueue(eng, c, "q", NULL, t));
    t += 25000;
    OK(ccenter_engine_advance(eng, t));
    if (i < 9)
      NOT_SEEN("OFFERED a=r");
    OK(ccenter_agent_ready(eng, "m", t));
    handle("m", c, t);
  }
  NOT_SEEN("OFFERED a=r");
  /* Now the reserve member takes a contact nobody else can. */
  OK(ccenter_agent_not_ready(eng, "m", "busy", t));
  OK(ccenter_contact_enqueue(eng, "x", "q", NULL, t));
  SEEN("OFFERED a=r c=x");
  handle("r", "x", t);
  OK(ccenter_agent_ready(eng, "m", t));
  /* 39 more answered at once: 40 of 50 within the threshold, 80 % — not below 80 %. */
  for (int i = 0; i < 39; i++) {
    snprintf(c, sizeof c, "fast%d", i);
    OK(ccenter_agent_not_ready(eng, "r", "off", t));
    OK(ccenter_contact_enqueue(eng, c, "q", NULL, t));
    handle("m", c, t);
    OK(ccenter_agent_ready(eng, "r", t));
    t += 1000;
  }
  OK(ccenter_agent_not_ready(eng, "m", "busy", t));
  OK(ccenter_contact_enqueue(eng, "y", "q", NULL, t));
  OK(ccenter_engine_advance(eng, t + 19000));
  NOT_SEEN("OFFERED a=r c=y");
}
END_TEST

/* Two requirements whose canonical texts are longer than 2 KiB and differ only at the end
 * are two classes: a contact whose own step wants "fr" is not given to an "en" agent who
 * meets the queue's step. */
START_TEST(long_requirements_are_distinct_classes)
{
  char en[4096], fr[4096], pad[256];
  memset(pad, 'a', 250);
  pad[250] = 0;
  size_t n = (size_t)snprintf(en, sizeof en, "lang in (");
  for (int i = 0; i < 9; i++)
    n += (size_t)snprintf(en + n, sizeof en - n, "\"%s%d\", ", pad, i);
  memcpy(fr, en, n);
  snprintf(en + n, sizeof en - n, "\"en\")");
  snprintf(fr + n, sizeof fr - n, "\"fr\")");
  ck_assert_uint_gt(strlen(en), 2300);
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_add_step(eng, "q", en, 60000, 0));
  OK(ccenter_agent_add(eng, "a", NULL, 0));
  OK(ccenter_agent_set_attr(eng, "a", "lang", "en", 0));
  OK(ccenter_agent_serve(eng, "a", "q", NULL, 0));
  OK(ccenter_agent_login(eng, "a", 0));
  OK(ccenter_agent_ready(eng, "a", 0));
  ccenter_step own[1] = {{fr, 60000}};
  ccenter_contact_params p;
  ccenter_contact_params_init(&p);
  p.steps = own;
  p.n_steps = 1;
  OK(ccenter_contact_enqueue(eng, "c", "q", &p, 1000));
  OK(ccenter_engine_advance(eng, 60999));
  NOT_SEEN("OFFERED a=a c=c");
  OK(ccenter_engine_advance(eng, 61000)); /* after its only step: any member */
  SEEN("61000 OFFERED a=a c=c");
}
END_TEST

START_TEST(preferred_then_fallback)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  sc_agent_ready("known", "q", 0);
  sc_agent_ready("other", "q", 0);
  OK(ccenter_agent_not_ready(eng, "known", "break", 0));
  const char *pref[1] = {"known"};
  ccenter_contact_params p;
  ccenter_contact_params_init(&p);
  p.preferred = pref;
  p.n_preferred = 1;
  p.preferred_timeout_ms = 20000;
  OK(ccenter_contact_enqueue(eng, "c1", "q", &p, 1000));
  NOT_SEEN("OFFERED c=c1");
  OK(ccenter_agent_ready(eng, "known", 5000));
  SEEN("5000 OFFERED a=known c=c1");
  handle("known", "c1", 6000);
  OK(ccenter_agent_not_ready(eng, "known", "break", 7000));
  OK(ccenter_contact_enqueue(eng, "c2", "q", &p, 8000));
  OK(ccenter_engine_advance(eng, 27999));
  NOT_SEEN("OFFERED c=c2");
  OK(ccenter_engine_advance(eng, 28000));
  SEEN("28000 OFFERED a=other c=c2");
}
END_TEST

START_TEST(sticky_agent_by_customer)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_STICKY_WINDOW, 86400000, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_PREFERRED_TIMEOUT, 30000, 0));
  sc_agent_ready("x", "q", 0);
  sc_agent_ready("y", "q", 1);
  ccenter_contact_params p;
  ccenter_contact_params_init(&p);
  p.customer = "cust-1";
  OK(ccenter_contact_enqueue(eng, "first", "q", &p, 100));
  SEEN("100 OFFERED a=x c=first");
  handle("x", "first", 200);
  OK(ccenter_agent_not_ready(eng, "x", "break", 300));
  /* Next day-part: y is idle longest, but the customer's agent x gets 30 s. */
  OK(ccenter_contact_enqueue(eng, "second", "q", &p, 1000));
  NOT_SEEN("OFFERED c=second");
  OK(ccenter_agent_ready(eng, "x", 2000));
  SEEN("2000 OFFERED a=x c=second");
}
END_TEST

START_TEST(ageing_lets_old_low_priority_pass)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_AGEING, 1000, 0));
  ccenter_contact_params p;
  ccenter_contact_params_init(&p);
  OK(ccenter_contact_enqueue(eng, "old", "q", &p, 0));
  p.priority = 5;
  OK(ccenter_contact_enqueue(eng, "vip", "q", &p, 8000));
  /* At 10 s: old is worth 0 + 10, vip 5 + 2. */
  sc_agent_ready("a", "q", 10000);
  SEEN("10000 OFFERED a=a c=old");
}
END_TEST

START_TEST(skill_real_time_view)
{
  OK(ccenter_queue_add(eng, "cards", NULL, 0));
  OK(ccenter_queue_add_step(eng, "cards", "cards >= 5", 60000, 0));
  agent_skilled("x", "cards", "cards", 8, 0);
  agent_skilled("y", "cards", "cards", 4, 0);
  OK(ccenter_agent_add(eng, "z", NULL, 0));
  OK(ccenter_agent_set_skill(eng, "z", "cards", 9, 0)); /* logged out */
  OK(ccenter_contact_enqueue(eng, "c1", "cards", NULL, 1000)); /* to x */
  OK(ccenter_contact_enqueue(eng, "c2", "cards", NULL, 2000)); /* waits: y is below 5 */
  ccenter_skill_info si = {.size = sizeof si};
  OK(ccenter_skill_info_get(eng, "cards", 10000, &si));
  ck_assert_uint_eq(si.agents, 3);
  ck_assert_uint_eq(si.logged_in, 2);
  ck_assert_uint_eq(si.ready, 2);
  ck_assert_uint_eq(si.available, 1); /* y; x is ringing for c1 */
  ck_assert_uint_eq(si.busy, 1);
  ck_assert_uint_eq(si.waiting, 1);
  ck_assert_int_eq(si.longest_wait_ms, 8000);
  ck_assert_double_eq_tol(si.mean_level, 6.0, 1e-9);
  OK(ccenter_skill_info_get(eng, "nobody-has-this", 10000, &si));
  ck_assert_uint_eq(si.agents, 0);
  ck_assert_int_eq(ccenter_skill_info_get(eng, "", 10000, &si), CCENTER_EINVAL);
}
END_TEST

static void strategy_queue(int64_t strategy)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_STRATEGY, strategy, 0));
}

START_TEST(round_robin_rotates_and_remembers)
{
  strategy_queue(CCENTER_STRATEGY_ROUND_ROBIN);
  sc_agent_ready("a1", "q", 0);
  sc_agent_ready("a2", "q", 0);
  sc_agent_ready("a3", "q", 0);
  const char *expect[] = {"a1", "a2", "a3", "a1", "a2"};
  for (int i = 0; i < 5; i++) {
    char c[8], want[64];
    snprintf(c, sizeof c, "c%d", i);
    int64_t t = 1000 * (i + 1);
    OK(ccenter_contact_enqueue(eng, c, "q", NULL, t));
    snprintf(want, sizeof want, "%lld OFFERED a=%s c=%s", (long long)t, expect[i], c);
    SEEN(want);
    handle(expect[i], c, t);
  }
  /* a3 leaves; the rotation continues after a2 with a1. */
  OK(ccenter_agent_not_ready(eng, "a3", "break", 9000));
  OK(ccenter_contact_enqueue(eng, "c5", "q", NULL, 10000));
  SEEN("10000 OFFERED a=a1 c=c5");
}
END_TEST

START_TEST(linear_always_first_free)
{
  strategy_queue(CCENTER_STRATEGY_LINEAR);
  sc_agent_ready("first", "q", 0);
  sc_agent_ready("second", "q", 0);
  for (int i = 0; i < 3; i++) {
    char c[8];
    snprintf(c, sizeof c, "c%d", i);
    OK(ccenter_contact_enqueue(eng, c, "q", NULL, 100 * (i + 1)));
    handle("first", c, 100 * (i + 1));
  }
  ck_assert_int_eq(sc_count("OFFERED a=first"), 3);
  ck_assert_int_eq(sc_count("OFFERED a=second"), 0);
}
END_TEST

START_TEST(fewest_and_least_talk)
{
  strategy_queue(CCENTER_STRATEGY_FEWEST_CONTACTS);
  sc_agent_ready("busy", "q", 0);
  sc_agent_ready("calm", "q", 1);
  OK(ccenter_agent_not_ready(eng, "calm", "x", 1));
  for (int i = 0; i < 2; i++) {
    char c[8];
    snprintf(c, sizeof c, "b%d", i);
    OK(ccenter_contact_enqueue(eng, c, "q", NULL, 10 + i));
    handle("busy", c, 10 + i);
  }
  OK(ccenter_agent_ready(eng, "calm", 20));
  OK(ccenter_contact_enqueue(eng, "t1", "q", NULL, 30));
  handle("calm", "t1", 30);
  /* busy has handled 2, calm 1: calm again, though busy has been idle longer. */
  OK(ccenter_contact_enqueue(eng, "t2", "q", NULL, 40));
  SEEN("40 OFFERED a=calm c=t2");
  handle("calm", "t2", 40);
  /* Least talk time: busy talked 0 s, calm 100 s on the next one. */
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_STRATEGY, CCENTER_STRATEGY_LEAST_TALK_TIME, 50));
  OK(ccenter_contact_enqueue(eng, "long", "q", NULL, 100));
  SEEN("100 OFFERED a=busy c=long");
  OK(ccenter_offer_accept(eng, "busy", "long", 100));
  OK(ccenter_contact_end(eng, "long", CCENTER_PARTY_UNKNOWN, 100100));
  OK(ccenter_contact_enqueue(eng, "next", "q", NULL, 100200));
  SEEN("100200 OFFERED a=calm c=next");
}
END_TEST

START_TEST(least_occupied_multichannel)
{
  strategy_queue(CCENTER_STRATEGY_LEAST_OCCUPIED);
  sc_agent_ready("a", "q", 0);
  sc_agent_ready("b", "q", 1);
  ccenter_contact_params chat;
  ccenter_contact_params_init(&chat);
  chat.channel = CCENTER_CHANNEL_CHAT;
  OK(ccenter_contact_enqueue(eng, "c1", "q", &chat, 10));
  SEEN("10 OFFERED a=a c=c1");
  OK(ccenter_offer_accept(eng, "a", "c1", 11));
  OK(ccenter_contact_enqueue(eng, "c2", "q", &chat, 20));
  SEEN("20 OFFERED a=b c=c2");
  OK(ccenter_offer_accept(eng, "b", "c2", 21));
  OK(ccenter_contact_enqueue(eng, "c3", "q", &chat, 30));
  OK(ccenter_offer_accept(eng, "a", "c3", 31));
  /* a has 2 of its capacity in use, b 1: b. */
  OK(ccenter_contact_enqueue(eng, "c4", "q", &chat, 40));
  SEEN("40 OFFERED a=b c=c4");
}
END_TEST

START_TEST(best_skill_picks_highest)
{
  strategy_queue(CCENTER_STRATEGY_BEST_SKILL);
  OK(ccenter_queue_add_step(eng, "q", "cards >= 1", 60000, 0));
  agent_skilled("low", "q", "cards", 3, 0);
  agent_skilled("mid", "q", "cards", 6, 1);
  agent_skilled("top", "q", "cards", 9, 5);
  OK(ccenter_contact_enqueue(eng, "c", "q", NULL, 100));
  SEEN("100 OFFERED a=top c=c");
}
END_TEST

START_TEST(ring_all_first_answer_wins)
{
  strategy_queue(CCENTER_STRATEGY_RING_ALL);
  sc_agent_ready("a", "q", 0);
  sc_agent_ready("b", "q", 0);
  sc_agent_ready("c", "q", 0);
  OK(ccenter_contact_enqueue(eng, "k", "q", NULL, 100));
  ck_assert_int_eq(sc_count("100 OFFERED c=k"), 3);
  OK(ccenter_offer_accept(eng, "b", "k", 200));
  SEEN("200 WITHDRAWN a=a c=k cause=answered-elsewhere");
  SEEN("200 WITHDRAWN a=c c=k cause=answered-elsewhere");
  SEEN("200 CONNECTED a=b c=k");
  ck_assert_int_eq(ccenter_offer_accept(eng, "a", "k", 200), CCENTER_ESTATE);
  /* Both free agents reject: the contact goes back to waiting (reject delay 30 s). */
  OK(ccenter_contact_enqueue(eng, "m", "q", NULL, 300));
  OK(ccenter_offer_reject(eng, "a", "m", 400));
  OK(ccenter_offer_reject(eng, "c", "m", 400));
  ck_assert_int_eq(sc_cstate("m"), CCENTER_CONTACT_WAITING);
}
END_TEST

START_TEST(ring_progressive_adds_one_at_a_time)
{
  strategy_queue(CCENTER_STRATEGY_RING_PROGRESSIVE);
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_RING_EVERY, 5000, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_RING_TIMEOUT, 60000, 0));
  sc_agent_ready("a", "q", 0);
  sc_agent_ready("b", "q", 1);
  sc_agent_ready("c", "q", 2);
  OK(ccenter_contact_enqueue(eng, "k", "q", NULL, 100));
  SEEN("100 OFFERED a=a c=k");
  OK(ccenter_engine_advance(eng, 5100));
  SEEN("5100 OFFERED a=b c=k");
  NOT_SEEN("OFFERED a=c c=k");
  OK(ccenter_engine_advance(eng, 10100));
  SEEN("10100 OFFERED a=c c=k");
  OK(ccenter_offer_accept(eng, "b", "k", 11000));
  ck_assert_int_eq(sc_count("11000 WITHDRAWN c=k cause=answered-elsewhere"), 2);
}
END_TEST

static void distribution(int64_t strategy, const int *levels, int n, int draws, double *share)
{
  strategy_queue(strategy);
  OK(ccenter_engine_set(eng, CCENTER_ENGINE_SEED, 12345, 0));
  OK(ccenter_queue_add_step(eng, "q", "cards", 86400000, 0));
  char name[16];
  for (int i = 0; i < n; i++) {
    snprintf(name, sizeof name, "w%d", i);
    agent_skilled(name, "q", "cards", levels[i], 0);
  }
  int *count = calloc((size_t)n, sizeof *count);
  for (int d = 0; d < draws; d++) {
    char c[16];
    snprintf(c, sizeof c, "k%d", d);
    R.n = 0;
    OK(ccenter_contact_enqueue(eng, c, "q", NULL, 1 + d));
    int found = 0;
    for (int i = 0; i < n && !found; i++) {
      snprintf(name, sizeof name, "a=w%d", i);
      if (sc_seen_from(0, name)) {
        count[i]++;
        found = 1;
        snprintf(name, sizeof name, "w%d", i);
        handle(name, c, 1 + d);
      }
    }
    ck_assert(found);
  }
  for (int i = 0; i < n; i++)
    share[i] = (double)count[i] / draws;
  free(count);
}

START_TEST(weighted_random_follows_proficiency)
{
  /* 100,000 draws with seed 12345. The standard error of a share near 0.5 is 0.0016:
   * a tolerance of 0.01 is six of them, so a correct weighting cannot miss it by chance
   * and a wrong one (uniform, or by rank) misses it by far. */
  int levels[3] = {2, 4, 8};
  double share[3];
  distribution(CCENTER_STRATEGY_WEIGHTED_RANDOM, levels, 3, 100000, share);
  ck_assert_double_eq_tol(share[0], 2.0 / 14, 0.01);
  ck_assert_double_eq_tol(share[1], 4.0 / 14, 0.01);
  ck_assert_double_eq_tol(share[2], 8.0 / 14, 0.01);
}
END_TEST

START_TEST(random_is_uniform)
{
  int levels[4] = {1, 5, 9, 3};
  double share[4];
  distribution(CCENTER_STRATEGY_RANDOM, levels, 4, 40000, share);
  for (int i = 0; i < 4; i++)
    ck_assert_double_eq_tol(share[i], 0.25, 0.015);
}
END_TEST

/* ---------------------------------------------------------------------------------- */
/* The indexed router against the reference router                                    */

typedef struct stream {
  char (*lines)[160];
  size_t n, cap;
  char offers[512][2][16]; /* pending (agent, contact) from OFFERED events */
  int n_offers;
} stream;

static void stream_event(ccenter_engine *e, const ccenter_event *ev, void *ud)
{
  (void)e;
  stream *s = ud;
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 1024;
    s->lines = realloc(s->lines, s->cap * sizeof *s->lines);
  }
  snprintf(s->lines[s->n++], 160, "%lld %s %s %s %s %s %d %lld", (long long)ev->time,
           ccenter_event_name(ev->type), ev->agent ? ev->agent : "-",
           ev->contact ? ev->contact : "-", ev->reason ? ev->reason : "-",
           ccenter_cause_name(ev->cause), ev->step, (long long)ev->ring_timeout_ms);
  if (ev->type == CCENTER_EV_CONTACT_OFFERED && s->n_offers < 512) {
    snprintf(s->offers[s->n_offers][0], 16, "%s", ev->agent);
    snprintf(s->offers[s->n_offers][1], 16, "%s", ev->contact);
    s->n_offers++;
  }
}

static uint64_t rng_next(uint64_t *x)
{
  *x ^= *x << 13;
  *x ^= *x >> 7;
  *x ^= *x << 17;
  return *x;
}

static void both(ccenter_engine **e, int (*call)(ccenter_engine *, void *), void *arg,
                 stream *s)
{
  int r0 = call(e[0], arg), r1 = call(e[1], arg);
  int same = r0 == r1 && s[0].n == s[1].n;
  for (size_t i = 0; same && i < s[0].n; i++)
    same = strcmp(s[0].lines[i], s[1].lines[i]) == 0;
  if (!same) {
    fprintf(stderr, "# routers disagree (return %d vs %d)\n", r0, r1);
    for (int k = 0; k < 2; k++)
      for (size_t i = 0; i < s[k].n; i++)
        fprintf(stderr, "# %s: %s\n", k ? "reference" : "indexed", s[k].lines[i]);
  }
  ck_assert_msg(same, "indexed and reference routers disagree");
  const char *bad = cc_engine_check(e[0]);
  ck_assert_msg(!bad, "indexed: %s", bad ? bad : "");
  bad = cc_engine_check(e[1]);
  ck_assert_msg(!bad, "reference: %s", bad ? bad : "");
}

typedef struct op {
  int kind;
  char a[16], c[16], q[16], skill[8];
  int level;
  int64_t now;
  ccenter_contact_params p;
} op;

static int apply(ccenter_engine *e, void *arg)
{
  op *o = arg;
  switch (o->kind) {
  case 0: return ccenter_contact_enqueue(e, o->c, o->q, &o->p, o->now);
  case 1: return ccenter_offer_accept(e, o->a, o->c, o->now);
  case 2: return ccenter_contact_end(e, o->c, CCENTER_PARTY_UNKNOWN, o->now);
  case 3: return ccenter_agent_set_skill(e, o->a, o->skill, o->level, o->now);
  case 4: return ccenter_agent_not_ready(e, o->a, "break", o->now);
  case 5: return ccenter_agent_ready(e, o->a, o->now);
  case 6: return ccenter_contact_abandon(e, o->c, o->now);
  case 7: return ccenter_offer_reject(e, o->a, o->c, o->now);
  default: return ccenter_engine_advance(e, o->now);
  }
}

/* RT_SEED=N moves every differential run to other seeds, 0 being CI's (docs/building.md). */
static uint64_t seed_shift(void)
{
  const char *s = getenv("RT_SEED");
  return s ? 977 * strtoull(s, NULL, 0) : 0;
}

static void differential(int64_t strategy, uint64_t seed, int ops)
{
  seed += seed_shift();
  ccenter_engine *e[2];
  stream s[2];
  memset(s, 0, sizeof s);
  for (int k = 0; k < 2; k++) {
    ccenter_options *o = ccenter_options_new();
    ccenter_options_set_event_callback(o, stream_event, &s[k]);
    OK(ccenter_engine_new(o, 0, &e[k]));
    ccenter_options_free(o);
  }
  cc_engine_set_reference_routing(e[1], 1);
  static const char *reqs[] = {"s0 >= 6", "s1 and s2 >= 3", "s3 >= 2 and not s4", "s5"};
  const char *chans[] = {"voice", "chat"};
  (void)chans;
  for (int k = 0; k < 2; k++) {
    for (int qi = 0; qi < 6; qi++) {
      char q[8];
      snprintf(q, sizeof q, "q%d", qi);
      OK(ccenter_queue_add(e[k], q, NULL, 0));
      OK(ccenter_queue_set(e[k], q, CCENTER_QUEUE_STRATEGY, strategy, 0));
      OK(ccenter_queue_set(e[k], q, CCENTER_QUEUE_RING_TIMEOUT, 7000, 0));
      OK(ccenter_queue_set(e[k], q, CCENTER_QUEUE_WRAP_UP, qi % 2 ? 2000 : 0, 0));
      OK(ccenter_queue_add_step(e[k], q, reqs[qi % 4], 4000, 0));
      OK(ccenter_queue_add_step(e[k], q, reqs[(qi + 1) % 4], 3000, 0));
    }
  }
  uint64_t x = seed;
  for (int ai = 0; ai < 40; ai++) {
    char a[8];
    snprintf(a, sizeof a, "a%d", ai);
    for (int k = 0; k < 2; k++) {
      OK(ccenter_agent_add(e[k], a, NULL, 0));
      OK(ccenter_agent_login(e[k], a, 0));
    }
    uint64_t y = x + (uint64_t)ai * 7919;
    int nq = 1 + (int)(rng_next(&y) % 3);
    for (int j = 0; j < nq; j++) {
      char q[8];
      snprintf(q, sizeof q, "q%d", (int)(rng_next(&y) % 6));
      int prio = (int)(rng_next(&y) % 3);
      int64_t delay = rng_next(&y) % 4 == 0 ? 2000 : 0;
      for (int k = 0; k < 2; k++)
        ccenter_agent_serve(e[k], a, q, &(ccenter_serve_params){.size = sizeof(ccenter_serve_params), .priority = prio, .delay_ms = delay, .reserve = 0}, 0);
    }
    for (int j = 0; j < 3; j++) {
      char sk[8];
      snprintf(sk, sizeof sk, "s%d", (int)(rng_next(&y) % 6));
      int lv = 1 + (int)(rng_next(&y) % 10);
      for (int k = 0; k < 2; k++)
        OK(ccenter_agent_set_skill(e[k], a, sk, lv, 0));
    }
  }
  int64_t now = 0;
  int next_contact = 0;
  op o;
  for (int i = 0; i < ops; i++) {
    memset(&o, 0, sizeof o);
    ccenter_contact_params_init(&o.p);
    now += (int64_t)(rng_next(&x) % 700);
    o.now = now;
    int r = (int)(rng_next(&x) % 100);
    snprintf(o.a, sizeof o.a, "a%d", (int)(rng_next(&x) % 40));
    if (r < 30) {
      o.kind = 0;
      snprintf(o.c, sizeof o.c, "c%d", next_contact++);
      snprintf(o.q, sizeof o.q, "q%d", (int)(rng_next(&x) % 6));
      o.p.priority = (int)(rng_next(&x) % 3);
      o.p.channel = rng_next(&x) % 4 == 0 ? CCENTER_CHANNEL_CHAT : CCENTER_CHANNEL_VOICE;
      o.p.emergency = rng_next(&x) % 12 == 0; /* pre-empts the agents' queue priorities */
    } else if (r < 55 && s[0].n_offers) {
      int k = (int)(rng_next(&x) % (uint64_t)s[0].n_offers);
      o.kind = rng_next(&x) % 10 == 0 ? 7 : 1;
      snprintf(o.a, sizeof o.a, "%s", s[0].offers[k][0]);
      snprintf(o.c, sizeof o.c, "%s", s[0].offers[k][1]);
      s[0].offers[k][0][0] = 0;
      memmove(s[0].offers[k], s[0].offers[--s[0].n_offers], sizeof s[0].offers[k]);
    } else if (r < 75 && next_contact) {
      o.kind = rng_next(&x) % 8 == 0 ? 6 : 2;
      snprintf(o.c, sizeof o.c, "c%d", (int)(rng_next(&x) % (uint64_t)next_contact));
    } else if (r < 80) {
      o.kind = 3;
      snprintf(o.skill, sizeof o.skill, "s%d", (int)(rng_next(&x) % 6));
      o.level = (int)(rng_next(&x) % 11);
    } else if (r < 85) {
      o.kind = 4;
    } else if (r < 92) {
      o.kind = 5;
    } else {
      o.kind = 8;
    }
    s[0].n = s[1].n = 0;
    s[1].n_offers = 0;
    both(e, apply, &o, s);
  }
  for (int k = 0; k < 2; k++) {
    ccenter_engine_free(e[k]);
    free(s[k].lines);
  }
}

START_TEST(indexed_equals_reference_longest_idle)
{
  differential(CCENTER_STRATEGY_LONGEST_IDLE, 0x1234567ull, 20000);
}
END_TEST

START_TEST(indexed_equals_reference_other_strategies)
{
  static const int64_t strategies[] = {
      CCENTER_STRATEGY_LEAST_OCCUPIED, CCENTER_STRATEGY_FEWEST_CONTACTS,
      CCENTER_STRATEGY_LEAST_TALK_TIME, CCENTER_STRATEGY_ROUND_ROBIN, CCENTER_STRATEGY_LINEAR,
      CCENTER_STRATEGY_BEST_SKILL};
  for (size_t i = 0; i < sizeof strategies / sizeof strategies[0]; i++)
    differential(strategies[i], 0xABCDEFull + i, 6000);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("routing");
  TCase *tc = tcase_create("model");
  tcase_add_checked_fixture(tc, sc_setup, sc_teardown);
  /* Per test. Slowest under ASan+UBSan on a loaded 2-core machine:
   * weighted_random_follows_proficiency, 12.1 s; about 20x room. */
  tcase_set_timeout(tc, 240);
  tcase_add_test(tc, steps_expand_at_exact_deadlines);
  tcase_add_test(tc, skill_and_attribute_changes_reroute);
  tcase_add_test(tc, a_bad_requirement_is_logged_with_its_place);
  tcase_add_test(tc, contact_steps_emergency_widening);
  tcase_add_test(tc, bad_contact_step_changes_nothing);
  tcase_add_test(tc, emergency_preempts_profile_priority);
  tcase_add_test(tc, profile_priority_then_contact_order);
  tcase_add_test(tc, member_delay_holds_until_waited);
  tcase_add_test(tc, reserve_joins_past_threshold);
  tcase_add_test(tc, reserve_joins_below_service_level);
  tcase_add_test(tc, long_requirements_are_distinct_classes);
  tcase_add_test(tc, preferred_then_fallback);
  tcase_add_test(tc, sticky_agent_by_customer);
  tcase_add_test(tc, ageing_lets_old_low_priority_pass);
  tcase_add_test(tc, round_robin_rotates_and_remembers);
  tcase_add_test(tc, linear_always_first_free);
  tcase_add_test(tc, fewest_and_least_talk);
  tcase_add_test(tc, least_occupied_multichannel);
  tcase_add_test(tc, best_skill_picks_highest);
  tcase_add_test(tc, ring_all_first_answer_wins);
  tcase_add_test(tc, ring_progressive_adds_one_at_a_time);
  tcase_add_test(tc, weighted_random_follows_proficiency);
  tcase_add_test(tc, random_is_uniform);
  tcase_add_test(tc, skill_real_time_view);
  suite_add_tcase(s, tc);
  TCase *diff = tcase_create("reference");
  /* indexed_equals_reference_longest_idle took 98.9 s under ASan+UBSan on a loaded 2-core
   * machine (the other 20.9 s): 300 s left only 3x; about 12x room. */
  tcase_set_timeout(diff, 1200);
  tcase_add_test(diff, indexed_equals_reference_longest_idle);
  tcase_add_test(diff, indexed_equals_reference_other_strategies);
  suite_add_tcase(s, diff);
  return s;
}

CC_TEST_MAIN()
