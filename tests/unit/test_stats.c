/* Statistics, KPIs and the queue_log export, through the real engine on virtual time. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acd/engine_int.h"
#include "ccenter/ccenter.h"
#include "harness.h"
#include "sla/stats.h"

#define OK(x) ck_assert_int_eq((x), 0)
#define SEC 1000
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define ALL_FROM INT64_MIN
#define ALL_TO INT64_MAX
#define NEAR(a, b) ck_assert_msg(fabs((a) - (b)) < 1e-3, "%f != %f", (double)(a), (double)(b))

static ccenter_engine *eng;

static void setup(void)
{
  OK(ccenter_engine_new(NULL, 0, &eng));
}

static void teardown(void)
{
  ccenter_engine_free(eng);
  eng = NULL;
}

static ccenter_queue_stats qstats(const char *q, int64_t from, int64_t to)
{
  ccenter_queue_stats s = {.size = sizeof s};
  OK(ccenter_stats_queue(eng, q, from, to, &s));
  return s;
}

static ccenter_queue_stats qstats_of(ccenter_engine *e, const char *q)
{
  ccenter_queue_stats s = {.size = sizeof s};
  OK(ccenter_stats_queue(e, q, ALL_FROM, ALL_TO, &s));
  return s;
}

static ccenter_agent_stats astats(const char *a, int64_t from, int64_t to, int64_t now)
{
  ccenter_agent_stats s = {.size = sizeof s};
  OK(ccenter_stats_agent(eng, a, from, to, now, &s));
  return s;
}

static void check_identity(const ccenter_queue_stats *s)
{
  ck_assert_uint_eq(s->offered, s->answered + s->abandoned + s->timed_out + s->exit_empty +
                                    s->removed + s->overflowed_out + s->moved_out + s->waiting);
}

static void add_agent(const char *a, const char *q, int64_t t)
{
  OK(ccenter_agent_add(eng, a, NULL, t));
  if (q)
    OK(ccenter_agent_serve(eng, a, q, NULL, t));
  OK(ccenter_agent_login(eng, a, t));
}

/* A contact that waits `wait`, is answered by agent a (made ready then) and talks `talk`. */
static void serve_one(const char *c, const char *q, const char *a, int64_t t, int64_t wait,
                      int64_t talk)
{
  OK(ccenter_contact_enqueue(eng, c, q, NULL, t));
  OK(ccenter_agent_ready(eng, a, t + wait));
  OK(ccenter_offer_accept(eng, a, c, t + wait));
  OK(ccenter_contact_end(eng, c, CCENTER_PARTY_UNKNOWN, t + wait + talk));
  OK(ccenter_agent_not_ready(eng, a, "break", t + wait + talk));
}

static void abandon_one(const char *c, const char *q, int64_t t, int64_t wait)
{
  OK(ccenter_contact_enqueue(eng, c, q, NULL, t));
  OK(ccenter_contact_abandon(eng, c, t + wait));
}

/* ---------------------------------------------------------------------------------- */

START_TEST(reference_worked_example)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  add_agent("a", "q", 0);
  int64_t t = 1000;
  char id[16];
  for (int i = 0; i < 100; i++, t += 2 * MIN) {
    snprintf(id, sizeof id, "c%d", i);
    if (i < 70)
      serve_one(id, "q", "a", t, 10 * SEC, MIN);
    else if (i < 90)
      serve_one(id, "q", "a", t, 25 * SEC, MIN);
    else
      abandon_one(id, "q", t, 12 * SEC);
  }
  ccenter_queue_stats s = qstats("q", ALL_FROM, ALL_TO);
  check_identity(&s);
  ck_assert_uint_eq(s.offered, 100);
  ck_assert_uint_eq(s.contacts, 100);
  ck_assert_uint_eq(s.answered, 90);
  ck_assert_uint_eq(s.answered_within, 70);
  ck_assert_uint_eq(s.abandoned, 10);
  ck_assert_uint_eq(s.abandoned_within, 10);
  ck_assert_uint_eq(s.short_abandoned, 0);
  ck_assert_uint_eq(s.waiting, 0);
  ck_assert_uint_eq(s.handled, 90);
  ck_assert_int_eq(s.threshold_ms, 20000);
  ck_assert_int_eq(s.max_wait_answered_ms, 25 * SEC);
  ck_assert_int_eq(s.max_wait_abandoned_ms, 12 * SEC);
  double v;
  OK(ccenter_kpi_service_level(&s, CCENTER_SL_ABANDONS_IGNORED, &v));
  NEAR(v, 70.0 / 90.0); /* 77.8 % */
  OK(ccenter_kpi_service_level(&s, CCENTER_SL_ABANDONS_AGAINST, &v));
  NEAR(v, 0.70);
  OK(ccenter_kpi_service_level(&s, CCENTER_SL_ABANDONS_FOR, &v));
  NEAR(v, 0.80);
  OK(ccenter_kpi_service_level(&s, CCENTER_SL_ASTERISK, &v));
  NEAR(v, 70.0 / 90.0);
  OK(ccenter_kpi_service_level(&s, CCENTER_SL_ASTERISK_2, &v));
  NEAR(v, 80.0 / 100.0);
  OK(ccenter_kpi_asa(&s, &v));
  NEAR(v, (70 * 10000.0 + 20 * 25000.0) / 90);
  OK(ccenter_kpi_aht(&s, &v));
  NEAR(v, 60000.0);
  OK(ccenter_kpi_abandon_rate(&s, 0, &v));
  NEAR(v, 0.10);
  ck_assert_uint_eq(ccenter_stats_dropped(eng), 0);
  ck_assert_uint_eq(cc_stats_tracked_contacts(eng), 0);
}
END_TEST

START_TEST(interval_boundaries)
{
  const int64_t t1445 = (14 * 60 + 45) * (int64_t)MIN, t1500 = 15 * (int64_t)HOUR;
  const int64_t I = 15 * MIN;
  OK(ccenter_engine_advance(eng, 14 * HOUR));
  OK(ccenter_queue_add(eng, "q", NULL, 14 * HOUR));
  add_agent("a", "q", 14 * HOUR);
  /* b serves nothing: its READY time is idle. Logged in 14:40, ready 14:50-15:10. */
  add_agent("b", NULL, t1445 - 5 * MIN);
  OK(ccenter_agent_ready(eng, "b", t1445 + 5 * MIN));
  OK(ccenter_contact_enqueue(eng, "c", "q", NULL, t1500 - MIN));   /* 14:59 */
  OK(ccenter_agent_ready(eng, "a", t1500 + MIN));                  /* 15:01 */
  OK(ccenter_offer_accept(eng, "a", "c", t1500 + MIN));
  OK(ccenter_contact_end(eng, "c", CCENTER_PARTY_UNKNOWN, t1500 + 3 * MIN));
  OK(ccenter_agent_not_ready(eng, "b", "break", t1500 + 10 * MIN)); /* 15:10 */
  ck_assert_int_eq(ccenter_stats_interval_start(eng, t1500 - MIN), t1445);
  ck_assert_int_eq(ccenter_stats_interval_start(eng, t1500), t1500);
  ck_assert_int_eq(ccenter_stats_interval_start(eng, -1), -I);

  ccenter_queue_stats s = qstats("q", t1445, t1500);
  ck_assert_uint_eq(s.intervals, 1);
  ck_assert_int_eq(s.from, t1445);
  ck_assert_int_eq(s.to, t1500);
  ck_assert_uint_eq(s.offered, 1);
  ck_assert_uint_eq(s.answered, 1);
  ck_assert_int_eq(s.wait_answered_ms, 2 * MIN);
  ck_assert_int_eq(s.talk_ms, 2 * MIN);
  s = qstats("q", t1500, t1500 + I);
  ck_assert_uint_eq(s.offered, 0);
  ck_assert_uint_eq(s.answered, 0);
  /* A query inside an interval covers the whole interval. */
  s = qstats("q", t1500 - 1, t1500);
  ck_assert_uint_eq(s.answered, 1);

  /* b: 14:30 interval: 5 min not ready (login). */
  ccenter_agent_stats b = astats("b", t1445 - I, t1445, t1500 + 12 * MIN);
  ck_assert_int_eq(b.logged_in_ms, 5 * MIN);
  ck_assert_int_eq(b.not_ready_ms, 5 * MIN);
  b = astats("b", t1445, t1500, t1500 + 12 * MIN);
  ck_assert_int_eq(b.logged_in_ms, 15 * MIN);
  ck_assert_int_eq(b.ready_ms, 10 * MIN);
  ck_assert_int_eq(b.ready_idle_ms, 10 * MIN);
  ck_assert_int_eq(b.not_ready_ms, 5 * MIN);
  /* 15:00 interval at 15:12: 10 min ready, 2 min of a break still going on. */
  b = astats("b", t1500, t1500 + I, t1500 + 12 * MIN);
  ck_assert_int_eq(b.ready_ms, 10 * MIN);
  ck_assert_int_eq(b.not_ready_ms, 2 * MIN);
  ck_assert_int_eq(b.logged_in_ms, 12 * MIN);
  OK(ccenter_agent_logout(eng, "b", t1500 + 20 * MIN));
  b = astats("b", t1500, t1500 + I, t1500 + 30 * MIN);
  ck_assert_int_eq(b.not_ready_ms, 5 * MIN);
  ck_assert_int_eq(b.logged_in_ms, 15 * MIN);
  b = astats("b", t1500 + I, t1500 + 2 * I, t1500 + 30 * MIN);
  ck_assert_int_eq(b.not_ready_ms, 5 * MIN);
  ck_assert_uint_eq(b.logouts, 1);
  b = astats("b", ALL_FROM, ALL_TO, t1500 + 30 * MIN);
  ck_assert_int_eq(b.logged_in_ms, 40 * MIN);
  ck_assert_uint_eq(b.logins, 1);
  /* a: READY 15:01 then at once talking 15:01-15:03. */
  ccenter_agent_stats a = astats("a", t1500, t1500 + I, t1500 + 30 * MIN);
  ck_assert_int_eq(a.talk_ms, 2 * MIN);
  ck_assert_uint_eq(a.handled, 1);
  ck_assert_uint_eq(a.answered, 1);
  ck_assert_uint_eq(a.offered, 1);
  ck_assert_int_eq(a.ready_idle_ms, 12 * MIN); /* 15:03-15:15 */
  double v;
  OK(ccenter_kpi_occupancy(&a, &v));
  NEAR(v, 2.0 / 14.0);
}
END_TEST

START_TEST(short_abandons)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  add_agent("a", "q", 0);
  abandon_one("s1", "q", 1000, 3000);
  abandon_one("s2", "q", 10000, 4999);
  abandon_one("l1", "q", 20000, 5000);
  abandon_one("l2", "q", 30000, 30000);
  serve_one("ok", "q", "a", 70000, 2000, 10000);
  ccenter_queue_stats s = qstats("q", ALL_FROM, ALL_TO);
  check_identity(&s);
  ck_assert_uint_eq(s.abandoned, 4);
  ck_assert_uint_eq(s.short_abandoned, 2);
  ck_assert_uint_eq(s.abandoned_within, 1);
  ck_assert_int_eq(s.wait_abandoned_ms, 3000 + 4999 + 5000 + 30000);
  ck_assert_int_eq(s.max_wait_abandoned_ms, 30000);
  double v;
  OK(ccenter_kpi_abandon_rate(&s, 0, &v));
  NEAR(v, 4.0 / 5.0);
  OK(ccenter_kpi_abandon_rate(&s, 1, &v));
  NEAR(v, 2.0 / 3.0);
  OK(ccenter_kpi_service_level(&s, CCENTER_SL_ABANDONS_AGAINST, &v));
  NEAR(v, 1.0 / 3.0);
  OK(ccenter_kpi_service_level(&s, CCENTER_SL_ABANDONS_IGNORED, &v));
  NEAR(v, 1.0 / 2.0);
  OK(ccenter_kpi_service_level(&s, CCENTER_SL_ABANDONS_FOR, &v));
  NEAR(v, 2.0 / 3.0);
  OK(ccenter_kpi_service_level(&s, CCENTER_SL_ASTERISK_2, &v));
  NEAR(v, 2.0 / 3.0);
  /* Short abandons off: Asterisk's own figures. */
  OK(ccenter_engine_set(eng, CCENTER_ENGINE_SHORT_ABANDON, 0, 100000));
  abandon_one("s3", "q", 100000, 1000);
  s = qstats("q", ALL_FROM, ALL_TO);
  ck_assert_uint_eq(s.short_abandoned, 2);
  ck_assert_uint_eq(s.abandoned_within, 2);
}
END_TEST

START_TEST(extra_thresholds_and_config_reset)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  add_agent("a", "q", 0);
  const int64_t th[] = {10000, 30000, 60000};
  OK(ccenter_queue_set_thresholds(eng, "q", th, 3, 0));
  serve_one("c1", "q", "a", 1000, 5000, 1000);
  serve_one("c2", "q", "a", 10000, 15000, 1000);
  serve_one("c3", "q", "a", 30000, 45000, 1000);
  abandon_one("c4", "q", 80000, 20000);
  abandon_one("c5", "q", 110000, 70000);
  ccenter_queue_stats s = qstats("q", ALL_FROM, ALL_TO);
  check_identity(&s);
  ck_assert_uint_eq(s.n_extra, 3);
  ck_assert_int_eq(s.extra_ms[2], 60000);
  ck_assert_uint_eq(s.answered_within, 2);
  ck_assert_uint_eq(s.abandoned_within, 1);
  ck_assert_uint_eq(s.answered_within_extra[0], 1);
  ck_assert_uint_eq(s.answered_within_extra[1], 2);
  ck_assert_uint_eq(s.answered_within_extra[2], 3);
  ck_assert_uint_eq(s.abandoned_within_extra[0], 0);
  ck_assert_uint_eq(s.abandoned_within_extra[1], 1);
  ck_assert_uint_eq(s.abandoned_within_extra[2], 1);
  double v = -1;
  OK(ccenter_kpi_service_level_extra(&s, CCENTER_SL_ABANDONS_AGAINST, 1, &v));
  NEAR(v, 2.0 / 5.0);
  OK(ccenter_kpi_service_level_extra(&s, CCENTER_SL_ABANDONS_FOR, 2, &v));
  NEAR(v, 4.0 / 5.0);
  ck_assert_int_eq(ccenter_kpi_service_level_extra(&s, CCENTER_SL_ABANDONS_FOR, 3, &v),
                   CCENTER_EINVAL);
  /* A threshold change resets the queue's history at its next event. */
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_SL_THRESHOLD, 15000, 200000));
  OK(ccenter_contact_enqueue(eng, "c6", "q", NULL, 200000));
  s = qstats("q", ALL_FROM, ALL_TO);
  check_identity(&s);
  ck_assert_uint_eq(s.offered, 1);
  ck_assert_uint_eq(s.waiting, 1);
  ck_assert_int_eq(s.threshold_ms, 15000);
  /* A new interval length resets everything, and a contact from before is not counted. */
  OK(ccenter_engine_set(eng, CCENTER_ENGINE_STATS_INTERVAL, 60000, 210000));
  OK(ccenter_contact_enqueue(eng, "c7", "q", NULL, 210000));
  OK(ccenter_contact_abandon(eng, "c6", 220000));
  s = qstats("q", ALL_FROM, ALL_TO);
  check_identity(&s);
  ck_assert_uint_eq(s.offered, 1);
  ck_assert_uint_eq(s.abandoned, 0);
  ck_assert_int_eq(ccenter_stats_interval_start(eng, 250000), 240000);
}
END_TEST

typedef struct codes {
  char code[8][32];
  int64_t n[8];
  int len;
} codes;

static void take_code(void *ud, const char *code, uint64_t n)
{
  codes *c = ud;
  snprintf(c->code[c->len], sizeof c->code[0], "%s", code);
  c->n[c->len++] = (int64_t)n;
}

static void take_reason(void *ud, const char *code, int64_t ms)
{
  codes *c = ud;
  snprintf(c->code[c->len], sizeof c->code[0], "%s", code);
  c->n[c->len++] = ms;
}

START_TEST(dispositions_and_surveys)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_WRAP_UP, 10000, 0));
  add_agent("a", "q", 0);
  OK(ccenter_agent_ready(eng, "a", 0));
  OK(ccenter_contact_enqueue(eng, "c1", "q", NULL, 1000));
  OK(ccenter_offer_accept(eng, "a", "c1", 1000));
  OK(ccenter_contact_disposition(eng, "c1", "billing", 2000));
  OK(ccenter_contact_survey(eng, "c1", 90, 2000));
  OK(ccenter_contact_end(eng, "c1", CCENTER_PARTY_UNKNOWN, 3000));
  OK(ccenter_contact_disposition(eng, "c1", "upsell", 4000)); /* in wrap-up */
  OK(ccenter_contact_survey(eng, "c1", 40, 4000));             /* the last score wins */
  OK(ccenter_engine_advance(eng, 20000));
  OK(ccenter_contact_enqueue(eng, "c2", "q", NULL, 20000));
  OK(ccenter_offer_accept(eng, "a", "c2", 20000));
  OK(ccenter_contact_disposition(eng, "c2", "billing", 21000));
  OK(ccenter_contact_survey(eng, "c2", 100, 21000));
  OK(ccenter_contact_end(eng, "c2", CCENTER_PARTY_UNKNOWN, 22000));
  OK(ccenter_engine_advance(eng, 40000));
  ccenter_queue_stats s = qstats("q", ALL_FROM, ALL_TO);
  ck_assert_uint_eq(s.dispositions, 3);
  ck_assert_uint_eq(s.surveys, 2);
  ck_assert_int_eq(s.survey_sum, 140);
  ck_assert_uint_eq(s.survey_hist[4], 1);
  ck_assert_uint_eq(s.survey_hist[9], 0);
  ck_assert_uint_eq(s.survey_hist[10], 1);
  ck_assert_int_eq(s.wrap_ms, 20000);
  codes c = {.len = 0};
  ck_assert_int_eq(ccenter_stats_queue_dispositions(eng, "q", ALL_FROM, ALL_TO, take_code, &c), 2);
  ck_assert_str_eq(c.code[0], "billing");
  ck_assert_int_eq(c.n[0], 2);
  ck_assert_str_eq(c.code[1], "upsell");
  ck_assert_int_eq(c.n[1], 1);
  ck_assert_int_eq(ccenter_stats_queue_dispositions(eng, "nope", 0, 1, take_code, &c),
                   CCENTER_ENOENT);
  ck_assert_int_eq(ccenter_stats_queue_dispositions(eng, "q", 1, 1, take_code, &c),
                   CCENTER_EINVAL);
}
END_TEST

START_TEST(repeat_contacts)
{
  OK(ccenter_engine_set(eng, CCENTER_ENGINE_REPEAT_WINDOW, HOUR, 0));
  OK(ccenter_engine_set(eng, CCENTER_ENGINE_STATS_INTERVAL, 4 * HOUR, 0));
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_add(eng, "q2", NULL, 0));
  add_agent("a", "q", 0);
  ccenter_contact_params p;
  ccenter_contact_params_init(&p);
  p.customer = "alice";
  OK(ccenter_contact_enqueue(eng, "c1", "q", &p, 0));
  OK(ccenter_contact_abandon(eng, "c1", 1000));
  OK(ccenter_contact_enqueue(eng, "c2", "q", &p, 30 * MIN)); /* repeat */
  OK(ccenter_agent_ready(eng, "a", 31 * MIN));
  OK(ccenter_offer_accept(eng, "a", "c2", 31 * MIN));
  OK(ccenter_contact_transfer_queue(eng, "c2", "q2", 32 * MIN)); /* not a new contact */
  OK(ccenter_contact_remove(eng, "c2", 33 * MIN));
  OK(ccenter_contact_enqueue(eng, "c3", "q", &p, 91 * MIN)); /* 61 min after c2: not */
  p.customer = "bob";
  OK(ccenter_contact_enqueue(eng, "c4", "q", &p, 91 * MIN));
  ccenter_queue_stats s = qstats("q", ALL_FROM, ALL_TO);
  ck_assert_uint_eq(s.contacts, 4);
  ck_assert_uint_eq(s.repeat_contacts, 1);
  ck_assert_uint_eq(s.transferred_out, 1);
  double v;
  OK(ccenter_kpi_repeat_rate(&s, &v));
  NEAR(v, 0.25);
  s = qstats("q2", ALL_FROM, ALL_TO);
  check_identity(&s);
  ck_assert_uint_eq(s.contacts, 0);
  ck_assert_uint_eq(s.offered, 1);
  ck_assert_uint_eq(s.transferred_in, 1);
  ck_assert_uint_eq(s.removed, 1);

  /* Memory: contacts are forgotten when they end, customers when the window has passed. */
  OK(ccenter_contact_abandon(eng, "c3", 92 * MIN));
  OK(ccenter_contact_abandon(eng, "c4", 92 * MIN));
  ck_assert_uint_eq(cc_stats_tracked_contacts(eng), 0);
  char id[32], cu[32];
  int64_t t = 2 * HOUR;
  for (int round = 0; round < 4; round++, t += 2 * HOUR)
    for (int i = 0; i < 3000; i++) {
      snprintf(id, sizeof id, "r%d-%d", round, i);
      snprintf(cu, sizeof cu, "cust%d-%d", round, i);
      p.customer = cu;
      OK(ccenter_contact_enqueue(eng, id, "q2", &p, t));
      OK(ccenter_contact_abandon(eng, id, t));
    }
  ck_assert_uint_eq(cc_stats_tracked_contacts(eng), 0);
  ck_assert_uint_le(cc_stats_tracked_customers(eng), 6000);
  ck_assert_uint_eq(ccenter_stats_dropped(eng), 0);
}
END_TEST

START_TEST(agent_not_ready_by_reason)
{
  add_agent("a", NULL, 0);                                      /* login 0-60 s */
  OK(ccenter_agent_ready(eng, "a", 60 * SEC));                  /* ready 60-120 s */
  OK(ccenter_agent_not_ready(eng, "a", "break", 120 * SEC));    /* 120-300 s */
  OK(ccenter_agent_not_ready(eng, "a", "lunch", 300 * SEC));    /* 300-600 s */
  OK(ccenter_agent_ready(eng, "a", 600 * SEC));                 /* 600-700 s */
  OK(ccenter_agent_not_ready(eng, "a", NULL, 700 * SEC));       /* 700-... */
  codes c = {.len = 0};
  ck_assert_int_eq(
      ccenter_stats_agent_not_ready(eng, "a", ALL_FROM, ALL_TO, 800 * SEC, take_reason, &c), 4);
  ck_assert_str_eq(c.code[0], "break");
  ck_assert_int_eq(c.n[0], 180 * SEC);
  ck_assert_str_eq(c.code[1], "login");
  ck_assert_int_eq(c.n[1], 60 * SEC);
  ck_assert_str_eq(c.code[2], "lunch");
  ck_assert_int_eq(c.n[2], 300 * SEC);
  ck_assert_str_eq(c.code[3], "unspecified");
  ck_assert_int_eq(c.n[3], 100 * SEC);
  ccenter_agent_stats s = astats("a", ALL_FROM, ALL_TO, 800 * SEC);
  ck_assert_int_eq(s.not_ready_ms, 640 * SEC);
  ck_assert_int_eq(s.ready_ms, 160 * SEC);
  ck_assert_int_eq(s.logged_in_ms, 800 * SEC);
  ck_assert_int_eq(s.ready_idle_ms, 160 * SEC);
  ck_assert_int_eq(ccenter_stats_agent(eng, "a", 0, 1, 699 * SEC, &s), CCENTER_ETIME);
  ck_assert_int_eq(ccenter_stats_agent(eng, "zz", 0, 1, 800 * SEC, &s), CCENTER_ENOENT);
  ccenter_agent_stats small = {.size = 8};
  ck_assert_int_eq(ccenter_stats_agent(eng, "a", 0, 1, 800 * SEC, &small), CCENTER_EINVAL);
}
END_TEST

START_TEST(handle_time_hold_and_occupancy)
{
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_WRAP_UP, 30 * SEC, 0));
  add_agent("a", "q", 0);
  OK(ccenter_agent_ready(eng, "a", 0));
  OK(ccenter_contact_enqueue(eng, "c", "q", NULL, 50 * SEC)); /* idle 0-50 s */
  OK(ccenter_offer_accept(eng, "a", "c", 50 * SEC));
  OK(ccenter_contact_hold(eng, "c", 100 * SEC));
  /* mid-call query: 50 s talk, 10 s on hold so far */
  ccenter_agent_stats s = astats("a", ALL_FROM, ALL_TO, 110 * SEC);
  ck_assert_int_eq(s.talk_ms, 50 * SEC);
  ck_assert_int_eq(s.hold_ms, 10 * SEC);
  OK(ccenter_contact_resume(eng, "c", 120 * SEC));
  OK(ccenter_contact_end(eng, "c", CCENTER_PARTY_UNKNOWN, 150 * SEC));
  OK(ccenter_engine_advance(eng, 200 * SEC));
  ccenter_queue_stats q = qstats("q", ALL_FROM, ALL_TO);
  ck_assert_int_eq(q.talk_ms, 80 * SEC);
  ck_assert_int_eq(q.hold_ms, 20 * SEC);
  ck_assert_int_eq(q.wrap_ms, 30 * SEC);
  ck_assert_uint_eq(q.handled, 1);
  double v;
  OK(ccenter_kpi_aht(&q, &v));
  NEAR(v, 130000.0);
  s = astats("a", ALL_FROM, ALL_TO, 200 * SEC);
  ck_assert_int_eq(s.talk_ms, 80 * SEC);
  ck_assert_int_eq(s.hold_ms, 20 * SEC);
  ck_assert_int_eq(s.wrap_ms, 30 * SEC);
  ck_assert_int_eq(s.ready_idle_ms, 70 * SEC); /* 0-50 and 180-200 */
  ck_assert_int_eq(s.logged_in_ms, 200 * SEC);
  OK(ccenter_kpi_occupancy(&s, &v));
  NEAR(v, 130.0 / 200.0);
  OK(ccenter_kpi_utilisation(&s, &v));
  NEAR(v, 130.0 / 200.0);
}
END_TEST

START_TEST(kpis_and_zero_denominators)
{
  ccenter_queue_stats s = {.size = sizeof s};
  double v = -7;
  ck_assert_int_eq(ccenter_kpi_service_level(&s, CCENTER_SL_ABANDONS_IGNORED, &v), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_kpi_service_level(&s, CCENTER_SL_ABANDONS_AGAINST, &v), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_kpi_service_level(&s, CCENTER_SL_ABANDONS_FOR, &v), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_kpi_service_level(&s, CCENTER_SL_ASTERISK, &v), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_kpi_service_level(&s, CCENTER_SL_ASTERISK_2, &v), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_kpi_asa(&s, &v), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_kpi_aht(&s, &v), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_kpi_abandon_rate(&s, 0, &v), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_kpi_abandon_rate(&s, 1, &v), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_kpi_transfer_rate(&s, &v), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_kpi_repeat_rate(&s, &v), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_kpi_service_level(&s, (ccenter_sl_variant)9, &v), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_kpi_asa(NULL, &v), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_kpi_asa(&s, NULL), CCENTER_EINVAL);
  ccenter_agent_stats a = {.size = sizeof a};
  ck_assert_int_eq(ccenter_kpi_occupancy(&a, &v), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_kpi_utilisation(&a, &v), CCENTER_ERANGE);
  ck_assert(v == -7); /* untouched */
  s.size = 16;
  ck_assert_int_eq(ccenter_kpi_asa(&s, &v), CCENTER_EINVAL);
  s.size = sizeof s;
  /* offered 10 = all abandoned within: "abandons ignored" has nothing left. */
  s.offered = 10;
  s.abandoned = 10;
  s.abandoned_within = 10;
  ck_assert_int_eq(ccenter_kpi_service_level(&s, CCENTER_SL_ABANDONS_IGNORED, &v), CCENTER_ERANGE);
  OK(ccenter_kpi_service_level(&s, CCENTER_SL_ABANDONS_FOR, &v));
  NEAR(v, 1.0);
  OK(ccenter_kpi_service_level(&s, CCENTER_SL_ABANDONS_AGAINST, &v));
  NEAR(v, 0.0);
  ck_assert_int_eq(ccenter_kpi_service_level(&s, CCENTER_SL_ASTERISK, &v), CCENTER_ERANGE);
  OK(ccenter_kpi_service_level(&s, CCENTER_SL_ASTERISK_2, &v));
  NEAR(v, 1.0);
  /* Every KPI with values. */
  ccenter_queue_stats k = {.size = sizeof k};
  k.offered = 200;
  k.contacts = 180;
  k.answered = 150;
  k.answered_within = 120;
  k.abandoned = 40;
  k.short_abandoned = 10;
  k.abandoned_within = 20;
  k.waiting = 10;
  k.wait_answered_ms = 150 * 12000;
  k.talk_ms = 100 * 200000;
  k.hold_ms = 100 * 10000;
  k.wrap_ms = 100 * 30000;
  k.handled = 100;
  k.transferred_out = 15;
  k.repeat_contacts = 27;
  OK(ccenter_kpi_service_level(&k, CCENTER_SL_ABANDONS_IGNORED, &v));
  NEAR(v, 120.0 / (190 - 20));
  OK(ccenter_kpi_service_level(&k, CCENTER_SL_ABANDONS_AGAINST, &v));
  NEAR(v, 120.0 / 190);
  OK(ccenter_kpi_service_level(&k, CCENTER_SL_ABANDONS_FOR, &v));
  NEAR(v, 140.0 / 190);
  OK(ccenter_kpi_service_level(&k, CCENTER_SL_ASTERISK, &v));
  NEAR(v, 120.0 / 150);
  OK(ccenter_kpi_service_level(&k, CCENTER_SL_ASTERISK_2, &v));
  NEAR(v, 140.0 / 180);
  OK(ccenter_kpi_asa(&k, &v));
  NEAR(v, 12000.0);
  OK(ccenter_kpi_aht(&k, &v));
  NEAR(v, 240000.0);
  OK(ccenter_kpi_abandon_rate(&k, 0, &v));
  NEAR(v, 40.0 / 200);
  OK(ccenter_kpi_abandon_rate(&k, 1, &v));
  NEAR(v, 30.0 / 190);
  OK(ccenter_kpi_transfer_rate(&k, &v));
  NEAR(v, 0.15);
  OK(ccenter_kpi_repeat_rate(&k, &v));
  NEAR(v, 0.15);
  a.talk_ms = 600;
  a.hold_ms = 100;
  a.wrap_ms = 100;
  a.ready_idle_ms = 200;
  a.logged_in_ms = 1600;
  OK(ccenter_kpi_occupancy(&a, &v));
  NEAR(v, 0.8);
  OK(ccenter_kpi_utilisation(&a, &v));
  NEAR(v, 0.5);
  /* Query argument checks. */
  ccenter_queue_stats out = {.size = sizeof out};
  ck_assert_int_eq(ccenter_stats_queue(eng, "q", 0, 1, &out), CCENTER_ENOENT);
  ck_assert_int_eq(ccenter_stats_queue(eng, "q", 1, 0, &out), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_stats_queue(NULL, "q", 0, 1, &out), CCENTER_EINVAL);
  ck_assert_uint_eq(ccenter_stats_dropped(NULL), 0);
}
END_TEST

/* ---------------------------------------------------------------------------------- */
/* queue_log                                                                           */

#define QL_OFF 1700000000000LL

typedef struct lines {
  char l[64][256];
  int n, seen;
} lines;

static lines L;

static void take_line(void *ud, const char *line, size_t len)
{
  lines *x = ud;
  ck_assert_uint_eq(strlen(line), len);
  ck_assert_int_lt(x->n, 64);
  snprintf(x->l[x->n++], sizeof x->l[0], "%s", line);
}

/* The next lines since the last call are exactly `want` (NULL-terminated list). */
static void expect_lines(const char *const *want)
{
  int k = 0;
  for (; want[k]; k++) {
    ck_assert_msg(L.seen + k < L.n, "missing line %s", want[k]);
    ck_assert_str_eq(L.l[L.seen + k], want[k]);
  }
  ck_assert_msg(L.seen + k == L.n, "extra line %s", L.l[L.seen + k < L.n ? L.seen + k : 0]);
  L.seen = L.n;
}

#define EXPECT(...)                                  \
  do {                                               \
    const char *const w_[] = {__VA_ARGS__, NULL};    \
    expect_lines(w_);                                \
  } while (0)

START_TEST(queue_log_lines)
{
  memset(&L, 0, sizeof L);
  ccenter_queue_log *ql = NULL;
  OK(ccenter_queue_log_attach(eng, QL_OFF, take_line, &L, &ql));
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  OK(ccenter_queue_add(eng, "q2", NULL, 0));
  OK(ccenter_agent_add(eng, "a", NULL, 0));
  OK(ccenter_agent_serve(eng, "a", "q", NULL, 0));
  OK(ccenter_agent_login(eng, "a", 0));
  OK(ccenter_agent_ready(eng, "a", 0));
  EXPECT("1700000000|NONE|q|a|ADDMEMBER|", "1700000000|NONE|NONE|a|AGENTLOGIN|NONE",
         "1700000000|NONE|NONE|a|UNPAUSEALL|", "1700000000|NONE|q|a|UNPAUSE|");
  ccenter_contact_params p;
  ccenter_contact_params_init(&p);
  p.customer = "555";
  OK(ccenter_contact_enqueue(eng, "c1", "q", &p, 1000));
  EXPECT("1700000001|c1|q|NONE|ENTERQUEUE||555|1");
  OK(ccenter_offer_missed(eng, "a", "c1", 3500));
  EXPECT("1700000003|c1|q|a|RINGNOANSWER|2500");
  OK(ccenter_agent_add(eng, "b", NULL, 5000));
  OK(ccenter_agent_serve(eng, "b", "q", NULL, 5000));
  OK(ccenter_agent_login(eng, "b", 5000));
  OK(ccenter_agent_ready(eng, "b", 5000));
  EXPECT("1700000005|NONE|q|b|ADDMEMBER|", "1700000005|NONE|NONE|b|AGENTLOGIN|NONE",
         "1700000005|NONE|NONE|b|UNPAUSEALL|", "1700000005|NONE|q|b|UNPAUSE|");
  OK(ccenter_offer_accept(eng, "b", "c1", 7000));
  EXPECT("1700000007|c1|q|b|CONNECT|6|c1|2");
  OK(ccenter_contact_end(eng, "c1", CCENTER_PARTY_AGENT, 67000));
  EXPECT("1700000067|c1|q|b|COMPLETEAGENT|6|60|1");
  /* Blind transfer to a queue, then an exit with key there. */
  OK(ccenter_contact_enqueue(eng, "c2", "q", NULL, 70000)); /* a has idled longest */
  OK(ccenter_offer_accept(eng, "a", "c2", 71000));
  OK(ccenter_contact_transfer_queue(eng, "c2", "q2", 80000));
  OK(ccenter_contact_remove(eng, "c2", 85000));
  EXPECT("1700000070|c2|q|NONE|ENTERQUEUE|||1", "1700000071|c2|q|a|CONNECT|1|c2|1",
         "1700000080|c2|q|a|BLINDTRANSFER|q2|queue|1|9|1",
         "1700000080|c2|q2|NONE|ENTERQUEUE|||1", "1700000085|c2|q2|NONE|EXITWITHKEY||1|1|5");
  /* Consultation completed: an attended transfer, the caller's last line in the queue. */
  OK(ccenter_contact_enqueue(eng, "c3", "q", NULL, 90000)); /* b idle since 67 s */
  OK(ccenter_offer_accept(eng, "b", "c3", 91000));
  OK(ccenter_contact_consult_start(eng, "c3", "a", 92000));
  OK(ccenter_offer_accept(eng, "a", "c3", 93000));
  OK(ccenter_contact_consult_complete(eng, "c3", 95000));
  OK(ccenter_contact_end(eng, "c3", CCENTER_PARTY_CUSTOMER, 100000));
  EXPECT("1700000090|c3|q|NONE|ENTERQUEUE|||1", "1700000091|c3|q|b|CONNECT|1|c3|1",
         "1700000095|c3|q|b|ATTENDEDTRANSFER|BRIDGE|a|1|4|1");
  /* Blind transfer to an agent: likewise the last line. */
  OK(ccenter_contact_enqueue(eng, "c4", "q", NULL, 110000)); /* b idle since 95 s */
  OK(ccenter_offer_accept(eng, "b", "c4", 111000));
  OK(ccenter_contact_transfer_agent(eng, "c4", "a", 120000));
  OK(ccenter_offer_accept(eng, "a", "c4", 121000));
  OK(ccenter_contact_end(eng, "c4", CCENTER_PARTY_UNKNOWN, 130000));
  EXPECT("1700000110|c4|q|NONE|ENTERQUEUE|||1", "1700000111|c4|q|b|CONNECT|1|c4|1",
         "1700000120|c4|q|b|BLINDTRANSFER|a|agent|1|9|1");
  /* Abandoned while ringing, then while waiting. */
  OK(ccenter_contact_enqueue(eng, "c5", "q", NULL, 140000)); /* b idle since 120 s */
  OK(ccenter_contact_abandon(eng, "c5", 142000));
  EXPECT("1700000140|c5|q|NONE|ENTERQUEUE|||1", "1700000142|c5|q|b|RINGCANCELED|2000",
         "1700000142|c5|q|NONE|ABANDON|0|1|2");
  OK(ccenter_agent_not_ready(eng, "a", "lunch", 149000));
  OK(ccenter_agent_not_ready(eng, "b", NULL, 149000));
  OK(ccenter_contact_enqueue(eng, "c6", "q", NULL, 150000));
  OK(ccenter_contact_abandon(eng, "c6", 160000));
  EXPECT("1700000149|NONE|NONE|a|PAUSEALL|lunch", "1700000149|NONE|q|a|PAUSE|lunch",
         "1700000149|NONE|NONE|b|PAUSEALL|", "1700000149|NONE|q|b|PAUSE|",
         "1700000150|c6|q|NONE|ENTERQUEUE|||1", "1700000160|c6|q|NONE|ABANDON|1|1|10");
  /* Timeout. */
  OK(ccenter_queue_set(eng, "q", CCENTER_QUEUE_MAX_WAIT, 5000, 170000));
  OK(ccenter_contact_enqueue(eng, "c7", "q", NULL, 170000));
  OK(ccenter_engine_advance(eng, 175000));
  EXPECT("1700000170|c7|q|NONE|ENTERQUEUE|||1", "1700000175|c7|q|NONE|EXITWITHTIMEOUT|1|1|5");
  /* Exit empty: q2's last logged-in member logs off. */
  OK(ccenter_queue_set(eng, "q2", CCENTER_QUEUE_LEAVE_EMPTY, CCENTER_EMPTY_LOGGED_OUT, 180000));
  OK(ccenter_agent_serve(eng, "b", "q2", NULL, 180000));
  OK(ccenter_contact_enqueue(eng, "c8", "q2", NULL, 180000));
  OK(ccenter_agent_logout(eng, "b", 185000));
  OK(ccenter_agent_unserve(eng, "a", "q", 186000));
  EXPECT("1700000180|NONE|q2|b|ADDMEMBER|", "1700000180|c8|q2|NONE|ENTERQUEUE|||1",
         "1700000185|NONE|NONE|b|AGENTLOGOFF|NONE|180", "1700000185|c8|q2|NONE|EXITEMPTY|1|1|5",
         "1700000186|NONE|q|a|REMOVEMEMBER|");
  ck_assert_uint_eq(ccenter_queue_log_dropped(ql), 0);
  ccenter_queue_log_detach(ql);
  OK(ccenter_contact_enqueue(eng, "c9", "q", NULL, 190000));
  ck_assert_int_eq(L.n, L.seen); /* detached: no more lines */
}
END_TEST

START_TEST(queue_log_formatter)
{
  ccenter_event ev;
  memset(&ev, 0, sizeof ev);
  ev.size = sizeof ev;
  ev.type = CCENTER_EV_CONVERSATION_ENDED;
  ev.time = 61999;
  ev.contact = "c|1";
  ev.queue = "sales";
  ev.agent = "ag\n7";
  ev.duration_ms = 42999;
  ev.orig_position = 3;
  char buf[128];
  /* The pure formatter has no wait for a finished conversation: holdtime 0. */
  ck_assert_int_eq(ccenter_queue_log_format(&ev, 0, buf, sizeof buf), 39);
  ck_assert_str_eq(buf, "61|c_1|sales|ag_7|COMPLETECALLER|0|42|3");
  ev.party = CCENTER_PARTY_AGENT;
  ev.wait_ms = 5000;
  ck_assert_int_eq(ccenter_queue_log_format(&ev, -62000, buf, sizeof buf), 38);
  ck_assert_str_eq(buf, "-1|c_1|sales|ag_7|COMPLETEAGENT|5|42|3");
  /* Too small: ERANGE, nothing written past len. */
  memset(buf, 'x', sizeof buf);
  ck_assert_int_eq(ccenter_queue_log_format(&ev, -62000, buf, 38), CCENTER_ERANGE);
  ck_assert_int_eq(buf[0], '\0');
  ck_assert_int_eq(buf[38], 'x');
  ck_assert_int_eq(ccenter_queue_log_format(&ev, -62000, buf, 39), 38);
  ck_assert_int_eq(buf[39], 'x');
  ck_assert_int_eq(ccenter_queue_log_format(&ev, 0, buf, 0), CCENTER_ERANGE);
  /* A transfer to an agent is blind for the pure formatter. */
  ev.type = CCENTER_EV_CONTACT_TRANSFERRED;
  ev.agent_to = "b";
  ev.wait_ms = 0;
  ck_assert_int_gt(ccenter_queue_log_format(&ev, 0, buf, sizeof buf), 0);
  ck_assert_str_eq(buf, "61|c_1|sales|ag_7|BLINDTRANSFER|b|agent|0|42|3");
  /* No equivalent. */
  ev.type = CCENTER_EV_ANNOUNCE;
  ck_assert_int_eq(ccenter_queue_log_format(&ev, 0, buf, sizeof buf), 0);
  ev.type = CCENTER_EV_OFFER_WITHDRAWN;
  ev.cause = CCENTER_CAUSE_ANSWERED_ELSEWHERE;
  ck_assert_int_eq(ccenter_queue_log_format(&ev, 0, buf, sizeof buf), 0);
  ev.type = CCENTER_EV_CONTACT_ENDED;
  ev.outcome = CCENTER_OUTCOME_HANDLED;
  ck_assert_int_eq(ccenter_queue_log_format(&ev, 0, buf, sizeof buf), 0);
  ck_assert_int_eq(ccenter_queue_log_format(NULL, 0, buf, sizeof buf), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_queue_log_format(&ev, 0, NULL, 0), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_queue_log_attach(eng, 0, NULL, NULL, NULL), CCENTER_EINVAL);
  /* An epoch past int64: refused, not wrapped (UBSan). */
  ev.type = CCENTER_EV_CONTACT_QUEUED;
  ev.time = INT64_MAX - 10;
  ck_assert_int_eq(ccenter_queue_log_format(&ev, 11, buf, sizeof buf), CCENTER_ERANGE);
  ck_assert_str_eq(buf, "");
  ev.time = INT64_MIN + 10;
  ck_assert_int_eq(ccenter_queue_log_format(&ev, -11, buf, sizeof buf), CCENTER_ERANGE);
  ccenter_queue_log *ql = NULL;
  ck_assert_int_eq(ccenter_queue_log_attach(eng, INT64_MAX, take_line, NULL, &ql), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_queue_log_attach(eng, CCENTER_TIME_MIN - 1, take_line, NULL, &ql),
                   CCENTER_ERANGE);
  ck_assert_ptr_null(ql);
}
END_TEST

/* ---------------------------------------------------------------------------------- */
/* Out of memory: counted, never fatal                                                 */

typedef struct failing {
  long n, fail_at, every;
} failing;

static int should_fail(failing *f)
{
  f->n++;
  return (f->fail_at && f->n == f->fail_at) || (f->every && f->n % f->every == 0);
}

static void *f_malloc(void *ud, size_t n)
{
  return should_fail(ud) ? NULL : malloc(n);
}

static void *f_realloc(void *ud, void *p, size_t n)
{
  return should_fail(ud) ? NULL : realloc(p, n);
}

static void f_free(void *ud, void *p)
{
  (void)ud;
  free(p);
}

START_TEST(out_of_memory)
{
  ccenter_engine_free(eng);
  eng = NULL;
  /* Creation fails cleanly at every allocation (the statistics' included). */
  for (long k = 1; k < 40; k++) {
    failing f = {0, k, 0};
    ccenter_options *o = ccenter_options_new();
    OK(ccenter_options_set_allocator(o, f_malloc, f_realloc, f_free, &f));
    ccenter_engine *e = NULL;
    int rc = ccenter_engine_new(o, 0, &e);
    ccenter_options_free(o);
    ck_assert(rc == 0 || rc == CCENTER_ENOMEM);
    ccenter_engine_free(e);
  }
  /* Allocations failing now and then while events are recorded. */
  failing f = {0, 0, 0};
  ccenter_options *o = ccenter_options_new();
  OK(ccenter_options_set_allocator(o, f_malloc, f_realloc, f_free, &f));
  OK(ccenter_engine_new(o, 0, &eng));
  ccenter_options_free(o);
  OK(ccenter_queue_add(eng, "q", NULL, 0));
  add_agent("a", "q", 0);
  f.every = 5;
  char id[16];
  int64_t t = 0;
  for (int i = 0; i < 300; i++, t += 7 * SEC) {
    snprintf(id, sizeof id, "c%d", i);
    ccenter_contact_params p;
    ccenter_contact_params_init(&p);
    char cu[16];
    snprintf(cu, sizeof cu, "u%d", i % 13);
    p.customer = cu;
    ccenter_contact_enqueue(eng, id, "q", &p, t);
    ccenter_agent_ready(eng, "a", t + 1000);
    ccenter_offer_accept(eng, "a", id, t + 1000);
    ccenter_contact_disposition(eng, id, i % 2 ? "x" : "y", t + 2000);
    ccenter_contact_end(eng, id, CCENTER_PARTY_UNKNOWN, t + 3000);
    ccenter_agent_not_ready(eng, "a", i % 3 ? "break" : "lunch", t + 3000);
    ccenter_contact_abandon(eng, id, t + 4000);
  }
  f.every = 0;
  ck_assert_uint_gt(ccenter_stats_dropped(eng), 0);
  ccenter_queue_stats s = qstats("q", ALL_FROM, ALL_TO);
  check_identity(&s);
}
END_TEST

/* ---------------------------------------------------------------------------------- */
/* Property test: random operations; the identity in every queue and interval, and     */
/* totals equal to what the test counts from the events.                              */

#define PQ 4      /* q0 q1 q2 and qx (added and removed with a drain) */
#define PA 6
#define PC 4096
#define PIV 512   /* intervals of 5 min */
#define PI (5 * MIN)

typedef struct pcontact {
  int live, open, q;
  int64_t arr;
  int consultee; /* agent index + 1 of a ringing or connected consultation */
  int consult_up; /* ... connected */
} pcontact;

typedef struct pmodel {
  pcontact c[PC];
  /* per queue and interval: offered, answered, abandoned, timed out, exit empty, removed,
   * overflowed out, moved out, waiting */
  int64_t n[PQ][PIV][9];
  int64_t requeued[PQ], moved_in[PQ], overflowed_in[PQ], transferred_in[PQ];
  int64_t transfers[PQ], handled, wrap_ms, hold_ms, offers, missed, rejected, answered_ag;
  int64_t talk_hold; /* conversation time of primary legs */
  int64_t prim_at[PC], consult_at[PC];
  int64_t logged_in[PA], since[PA];
  int ringing[PA], talking[PA]; /* contact index + 1 */
  int state[PA];
  int live[PC], live_pos[PC], n_live;
} pmodel;

static pmodel *M;

static int qidx(const char *q)
{
  return q[1] == 'x' ? 3 : q[1] - '0';
}

static int aidx(const char *a)
{
  return a[1] - '0';
}

static int cidx(const char *c)
{
  return atoi(c + 1);
}

static int64_t ividx(int64_t t)
{
  ck_assert_int_ge(t, 0);
  ck_assert_int_lt(t / PI, PIV);
  return t / PI;
}

static void m_open(pcontact *c, int q, int64_t arr)
{
  c->open = 1;
  c->q = q;
  c->arr = arr;
  M->n[q][ividx(arr)][0]++;
  M->n[q][ividx(arr)][8]++;
}

static void m_close(pcontact *c, int kind)
{
  if (!c->open)
    return;
  c->open = 0;
  M->n[c->q][ividx(c->arr)][8]--;
  M->n[c->q][ividx(c->arr)][kind]++;
}

static void model_event(ccenter_engine *e, const ccenter_event *ev, void *ud)
{
  (void)e;
  (void)ud;
  pcontact *c = ev->contact ? &M->c[cidx(ev->contact)] : NULL;
  int64_t t = ev->time;
  switch (ev->type) {
  case CCENTER_EV_CONTACT_QUEUED:
    m_open(c, qidx(ev->queue), t - ev->wait_ms);
    break;
  case CCENTER_EV_CONTACT_REQUEUED:
    M->talk_hold += t - M->prim_at[cidx(ev->contact)];
    M->talking[aidx(ev->agent)] = 0;
    m_open(c, qidx(ev->queue), t - ev->wait_ms);
    M->requeued[qidx(ev->queue)]++;
    break;
  case CCENTER_EV_QUEUE_MOVED:
    m_close(c, 7);
    m_open(c, qidx(ev->queue_to), t - ev->wait_ms);
    M->moved_in[qidx(ev->queue_to)]++;
    break;
  case CCENTER_EV_CONTACT_OVERFLOWED:
    m_close(c, 6);
    M->overflowed_in[qidx(ev->queue_to)]++;
    break;
  case CCENTER_EV_CONTACT_CONNECTED:
    m_close(c, 1);
    M->ringing[aidx(ev->agent)] = 0;
    M->talking[aidx(ev->agent)] = cidx(ev->contact) + 1;
    M->prim_at[cidx(ev->contact)] = t;
    M->answered_ag++;
    break;
  case CCENTER_EV_CONTACT_ENDED:
    m_close(c, ev->outcome == CCENTER_OUTCOME_ABANDONED   ? 2
               : ev->outcome == CCENTER_OUTCOME_TIMED_OUT ? 3
               : ev->outcome == CCENTER_OUTCOME_EXIT_EMPTY ? 4
                                                          : 5);
    c->live = 0;
    c->consultee = 0;
    {
      int i = cidx(ev->contact), k = M->live_pos[i];
      M->live[k] = M->live[--M->n_live];
      M->live_pos[M->live[k]] = k;
    }
    break;
  case CCENTER_EV_CONTACT_TRANSFERRED:
    M->transfers[qidx(ev->queue)]++;
    M->talk_hold += ev->duration_ms;
    M->talking[aidx(ev->agent)] = 0;
    if (ev->queue_to)
      M->transferred_in[qidx(ev->queue_to)]++;
    break;
  case CCENTER_EV_CONSULT_OFFERED:
    c->consultee = aidx(ev->agent_to) + 1;
    break;
  case CCENTER_EV_CONSULT_CONNECTED:
    /* the consulted agent's leg starts now; if completed it becomes the primary leg */
    M->consult_at[cidx(ev->contact)] = t;
    c->consult_up = 1;
    break;
  case CCENTER_EV_CONSULT_ENDED:
    c->consultee = 0;
    c->consult_up = 0;
    break;
  case CCENTER_EV_CONVERSATION_ENDED:
    M->talk_hold += ev->duration_ms;
    M->talking[aidx(ev->agent)] = 0;
    break;
  case CCENTER_EV_CONTACT_RESUMED:
    M->hold_ms += ev->duration_ms;
    break;
  case CCENTER_EV_WRAP_UP_ENDED:
    M->handled++;
    M->wrap_ms += ev->duration_ms;
    break;
  case CCENTER_EV_CONTACT_OFFERED:
    M->offers++;
    M->ringing[aidx(ev->agent)] = cidx(ev->contact) + 1;
    break;
  case CCENTER_EV_OFFER_WITHDRAWN:
    if (M->ringing[aidx(ev->agent)] == cidx(ev->contact) + 1)
      M->ringing[aidx(ev->agent)] = 0;
    if (ev->cause == CCENTER_CAUSE_RING_TIMEOUT || ev->cause == CCENTER_CAUSE_MISSED)
      M->missed++;
    else if (ev->cause == CCENTER_CAUSE_REJECTED)
      M->rejected++;
    break;
  case CCENTER_EV_AGENT_STATE: {
    int a = aidx(ev->agent);
    if (M->state[a] != CCENTER_AGENT_LOGGED_OUT)
      M->logged_in[a] += t - M->since[a];
    M->state[a] = ev->state;
    M->since[a] = t;
    break;
  }
  default:
    break;
  }
  /* A consultation completed: the consulted agent's leg (started at CONSULT_CONNECTED)
   * is now the primary one. */
  if (ev->type == CCENTER_EV_CONTACT_TRANSFERRED && ev->agent_to && c->consultee &&
      c->consultee == aidx(ev->agent_to) + 1) {
    M->prim_at[cidx(ev->contact)] = M->consult_at[cidx(ev->contact)];
    M->talking[aidx(ev->agent_to)] = cidx(ev->contact) + 1;
    c->consultee = 0;
    c->consult_up = 0;
  }
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
  uint64_t x = rng_state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rng_state = x;
  return x * 0x2545F4914F6CDD1DULL;
}

static unsigned rn(unsigned n)
{
  return (unsigned)(rnd() % n);
}

static const char *QN[PQ] = {"q0", "q1", "q2", "qx"};
static const char *AN[PA] = {"a0", "a1", "a2", "a3", "a4", "a5"};

/* A random live contact, or -1. */
static int pick_contact(void)
{
  return M->n_live ? M->live[rn((unsigned)M->n_live)] : -1;
}

START_TEST(property_identity_and_totals)
{
  static pmodel model;
  memset(&model, 0, sizeof model);
  M = &model;
  /* ST_SEED=N runs the session with another seed, 0 being CI's (docs/building.md). */
  const char *seed = getenv("ST_SEED");
  rng_state = 0x243F6A8885A308D3ULL * (2 * (seed ? strtoull(seed, NULL, 0) : 0) + 1);
  ccenter_engine_free(eng);
  ccenter_options *o = ccenter_options_new();
  OK(ccenter_options_set_event_callback(o, model_event, NULL));
  OK(ccenter_engine_new(o, 0, &eng));
  ccenter_options_free(o);
  OK(ccenter_engine_set(eng, CCENTER_ENGINE_STATS_INTERVAL, PI, 0));
  OK(ccenter_engine_set(eng, CCENTER_ENGINE_STATS_KEEP, PIV, 0));
  for (int q = 0; q < 3; q++)
    OK(ccenter_queue_add(eng, QN[q], NULL, 0));
  OK(ccenter_queue_set(eng, "q0", CCENTER_QUEUE_MAX_WAIT, 60 * SEC, 0));
  OK(ccenter_queue_set(eng, "q0", CCENTER_QUEUE_MAX_WAIT_ACTION, CCENTER_MAX_WAIT_OVERFLOW, 0));
  OK(ccenter_queue_set_overflow(eng, "q0", "q1", 0));
  OK(ccenter_queue_set(eng, "q0", CCENTER_QUEUE_WRAP_UP, 5 * SEC, 0));
  OK(ccenter_queue_set(eng, "q1", CCENTER_QUEUE_LEAVE_EMPTY, CCENTER_EMPTY_LOGGED_OUT, 0));
  OK(ccenter_queue_set(eng, "q2", CCENTER_QUEUE_MAX_WAIT, 90 * SEC, 0));
  OK(ccenter_queue_set(eng, "q2", CCENTER_QUEUE_RING_TIMEOUT, 8 * SEC, 0));
  const int64_t th[] = {10 * SEC, 40 * SEC};
  OK(ccenter_queue_set_thresholds(eng, "q2", th, 2, 0));
  for (int a = 0; a < PA; a++) {
    OK(ccenter_agent_add(eng, AN[a], NULL, 0));
    for (int q = 0; q < 3; q++)
      if ((a + q) % 3 != 0 || a == 0)
        OK(ccenter_agent_serve(eng, AN[a], QN[q], NULL, 0));
  }
  int64_t t = 0;
  int next = 0, qx = 0;
  static const char *codes_[] = {"billing", "sales", "tech"};
  char id[16];
  for (int op = 0; op < 30000 && next < PC - 2; op++) {
    unsigned r = rn(100);
    int ai = (int)rn(PA);
    const char *ag = AN[ai];
    /* A contact to act on: the agent's ringing or talking one, else any live one. */
    int ci = pick_contact();
    const char *cid = NULL;
    if (ci >= 0) {
      snprintf(id, sizeof id, "c%d", ci);
      cid = id;
    }
    char tid[16];
    const char *talking = NULL;
    if (M->talking[ai]) {
      snprintf(tid, sizeof tid, "c%d", M->talking[ai] - 1);
      talking = tid;
    }
    if (r < 14) {
      t += rn(6000);
      OK(ccenter_engine_advance(eng, t));
    } else if (r < 22) {
      char nid[16];
      snprintf(nid, sizeof nid, "c%d", next);
      ccenter_contact_params p;
      ccenter_contact_params_init(&p);
      char cu[16];
      snprintf(cu, sizeof cu, "u%u", rn(40));
      p.customer = rn(4) ? cu : NULL;
      p.priority = (int)rn(3);
      int q = (int)rn(qx ? 4 : 3);
      M->c[next].live = 1; /* before the call: its events may end it at once */
      M->live_pos[next] = M->n_live;
      M->live[M->n_live++] = next;
      if (ccenter_contact_enqueue(eng, nid, QN[q], &p, t) != 0) {
        M->c[next].live = 0;
        M->live[--M->n_live] = 0;
      }
      next++;
    } else if (r < 25) {
      if (cid)
        ccenter_contact_abandon(eng, cid, t);
    } else if (r < 45) {
      if (M->ringing[ai]) {
        char rid[16];
        snprintf(rid, sizeof rid, "c%d", M->ringing[ai] - 1);
        unsigned k = rn(25);
        if (k < 21)
          ccenter_offer_accept(eng, ag, rid, t);
        else if (k < 23)
          ccenter_offer_missed(eng, ag, rid, t);
        else
          ccenter_offer_reject(eng, ag, rid, t);
      } else if (talking && M->c[M->talking[ai] - 1].consultee) {
        ccenter_offer_accept(eng, AN[M->c[M->talking[ai] - 1].consultee - 1], talking, t);
      }
    } else if (r < 53) {
      if (talking)
        ccenter_contact_end(eng, talking, (ccenter_party)rn(3), t);
    } else if (r < 56) {
      if (talking)
        ccenter_contact_transfer_queue(eng, talking, QN[rn(qx ? 4 : 3)], t);
    } else if (r < 58) {
      if (talking)
        ccenter_contact_transfer_agent(eng, talking, AN[rn(PA)], t);
    } else if (r < 60) {
      if (talking)
        ccenter_contact_requeue(eng, talking, t);
    } else if (r < 64) {
      if (talking) {
        const pcontact *tc = &M->c[M->talking[ai] - 1];
        if (tc->consult_up && rn(4))
          ccenter_contact_consult_complete(eng, talking, t);
        else if (tc->consultee)
          ccenter_contact_consult_cancel(eng, talking, t);
        else
          ccenter_contact_consult_start(eng, talking, AN[rn(PA)], t);
      }
    } else if (r < 68) {
      if (talking && ccenter_contact_hold(eng, talking, t) != 0)
        ccenter_contact_resume(eng, talking, t);
    } else if (r < 69) {
      if (cid)
        ccenter_contact_remove(eng, cid, t);
    } else if (r < 70) {
      if (cid)
        ccenter_contact_callback(eng, cid, t);
    } else if (r < 86) {
      unsigned k = rn(20);
      if (k < 3)
        ccenter_agent_login(eng, ag, t);
      else if (k < 4)
        ccenter_agent_logout(eng, ag, t);
      else if (k < 15)
        ccenter_agent_ready(eng, ag, t);
      else
        ccenter_agent_not_ready(eng, ag, codes_[rn(3)], t);
    } else if (r < 93) {
      const char *x = talking ? talking : cid;
      if (x) {
        if (rn(2))
          ccenter_contact_disposition(eng, x, codes_[rn(3)], t);
        else
          ccenter_contact_survey(eng, x, (int)rn(101), t);
      }
    } else if (r < 94) {
      if (!qx && ccenter_queue_add(eng, "qx", NULL, t) == 0) {
        qx = 1;
        ccenter_agent_serve(eng, "a1", "qx", NULL, t);
        ccenter_agent_serve(eng, "a4", "qx", NULL, t);
      } else if (qx && rn(4) == 0 && ccenter_queue_remove(eng, "qx", "q0", t) == 0) {
        qx = 0;
      }
    } else if (op % 100 == 0) {
      ck_assert_ptr_null(cc_engine_check(eng));
    }
  }
  /* The conversations still going end first: a hold counts when it is resumed, the rest
   * of a leg's talk when the leg ends, and the model counts both at the leg's end. */
  for (int a = 0; a < PA; a++)
    if (M->talking[a]) {
      snprintf(id, sizeof id, "c%d", M->talking[a] - 1);
      OK(ccenter_contact_end(eng, id, CCENTER_PARTY_AGENT, t));
    }
  ck_assert_uint_eq(ccenter_stats_dropped(eng), 0);

  /* The identity and the counts, per queue and interval. */
  int64_t tot_transfers = 0, tot_handled = 0, tot_wrap = 0, tot_hold = 0, tot_talk = 0;
  int64_t offered_all = 0, waiting_all = 0;
  for (int q = 0; q < PQ; q++) {
    ccenter_queue_stats s;
    ccenter_queue_stats tot = {.size = sizeof tot};
    if (ccenter_stats_queue(eng, QN[q], ALL_FROM, ALL_TO, &tot) != 0)
      continue;
    check_identity(&tot);
    for (int64_t iv = 0; iv <= t / PI; iv++) {
      s = qstats(QN[q], iv * PI, (iv + 1) * PI);
      check_identity(&s);
      const int64_t *n = M->n[q][iv];
      ck_assert_int_eq((int64_t)s.offered, n[0]);
      ck_assert_int_eq((int64_t)s.answered, n[1]);
      ck_assert_int_eq((int64_t)s.abandoned, n[2]);
      ck_assert_int_eq((int64_t)s.timed_out, n[3]);
      ck_assert_int_eq((int64_t)s.exit_empty, n[4]);
      ck_assert_int_eq((int64_t)s.removed, n[5]);
      ck_assert_int_eq((int64_t)s.overflowed_out, n[6]);
      ck_assert_int_eq((int64_t)s.moved_out, n[7]);
      ck_assert_int_eq((int64_t)s.waiting, n[8]);
      ck_assert_uint_ge(s.answered, s.answered_within);
      ck_assert_uint_ge(s.answered_within, s.answered_within_extra[0]);
    }
    ck_assert_int_eq((int64_t)tot.requeued, M->requeued[q]);
    ck_assert_int_eq((int64_t)tot.moved_in, M->moved_in[q]);
    ck_assert_int_eq((int64_t)tot.overflowed_in, M->overflowed_in[q]);
    ck_assert_int_eq((int64_t)tot.transferred_in, M->transferred_in[q]);
    ck_assert_int_eq((int64_t)tot.transferred_out, M->transfers[q]);
    ck_assert_uint_ge(tot.transferred_out,
                      tot.transferred_out_agent + tot.transferred_out_consult);
    tot_transfers += (int64_t)tot.transferred_out;
    tot_handled += (int64_t)tot.handled;
    tot_wrap += tot.wrap_ms;
    tot_hold += tot.hold_ms;
    tot_talk += tot.talk_ms;
    offered_all += (int64_t)tot.offered;
    waiting_all += (int64_t)tot.waiting;
  }
  ck_assert_int_gt(offered_all, 2000);
  ck_assert_int_eq(tot_handled, M->handled);
  ck_assert_int_eq(tot_wrap, M->wrap_ms);
  ck_assert_int_eq(tot_hold, M->hold_ms);
  ck_assert_int_eq(tot_talk + tot_hold, M->talk_hold);
  /* The waiting figure against the engine: contacts waiting or ringing in a visit. */
  int64_t engine_waiting = 0;
  for (int i = 0; i < next; i++) {
    if (!M->c[i].live)
      continue;
    ccenter_contact_info ci_ = {.size = sizeof ci_};
    snprintf(id, sizeof id, "c%d", i);
    OK(ccenter_contact_info_get(eng, id, t, &ci_));
    if (M->c[i].open) {
      ck_assert(ci_.state == CCENTER_CONTACT_WAITING || ci_.state == CCENTER_CONTACT_OFFERED);
      engine_waiting++;
    }
    if (ci_.state == CCENTER_CONTACT_WAITING)
      ck_assert(M->c[i].open);
  }
  ck_assert_int_eq(waiting_all, engine_waiting);
  /* Agents. */
  int64_t offers = 0, missed = 0, rejected = 0, handled = 0, wrap = 0, hold = 0, xfers = 0;
  int64_t answered = 0;
  for (int a = 0; a < PA; a++) {
    ccenter_agent_stats s = astats(AN[a], ALL_FROM, ALL_TO, t);
    int64_t li = M->logged_in[a] + (M->state[a] != CCENTER_AGENT_LOGGED_OUT ? t - M->since[a] : 0);
    ck_assert_int_eq(s.logged_in_ms, li);
    ck_assert_int_eq(s.logged_in_ms, s.ready_ms + s.not_ready_ms);
    ck_assert_int_le(s.ready_idle_ms, s.ready_ms);
    ck_assert_int_ge(s.talk_ms, 0);
    offers += (int64_t)s.offered;
    missed += (int64_t)s.missed;
    rejected += (int64_t)s.rejected;
    handled += (int64_t)s.handled;
    answered += (int64_t)s.answered;
    wrap += s.wrap_ms;
    hold += s.hold_ms;
    xfers += (int64_t)s.transfers;
  }
  ck_assert_int_eq(offers, M->offers);
  ck_assert_int_eq(missed, M->missed);
  ck_assert_int_eq(rejected, M->rejected);
  ck_assert_int_eq(handled, M->handled);
  ck_assert_int_eq(answered, M->answered_ag);
  ck_assert_int_eq(xfers, tot_transfers);
  ck_assert_int_ge(wrap, M->wrap_ms); /* plus wrap-ups still going on */
  ck_assert_int_ge(hold, M->hold_ms);
  ck_assert_uint_eq(ccenter_stats_dropped(eng), 0);
}
END_TEST

/* An allocator that counts reallocations of blocks that already existed: each one may copy
 * the block, so a list that grows by one element per interval costs quadratic time. */
typedef struct counting {
  long regrows;
} counting;

static void *c_malloc(void *ud, size_t n)
{
  (void)ud;
  return malloc(n);
}

static void *c_realloc(void *ud, void *p, size_t n)
{
  if (p)
    ((counting *)ud)->regrows++;
  return realloc(p, n);
}

START_TEST(interval_lists_grow_geometrically)
{
  counting cnt = {0};
  ccenter_options *o = ccenter_options_new();
  OK(ccenter_options_set_allocator(o, c_malloc, c_realloc, f_free, &cnt));
  ccenter_engine *e;
  OK(ccenter_engine_new(o, 0, &e));
  ccenter_options_free(o);
  OK(ccenter_engine_set(e, CCENTER_ENGINE_STATS_INTERVAL, 1000, 0));
  OK(ccenter_engine_set(e, CCENTER_ENGINE_STATS_KEEP, 100000, 0));
  OK(ccenter_queue_add(e, "q", NULL, 0));
  OK(ccenter_agent_add(e, "a", NULL, 0));
  OK(ccenter_agent_serve(e, "a", "q", NULL, 0));
  OK(ccenter_agent_login(e, "a", 0));
  OK(ccenter_agent_ready(e, "a", 0));
  long before = cnt.regrows;
  /* 20,000 one-second intervals, each with a contact answered and an agent state change:
   * every queue and agent list gains one interval each time. */
  for (int i = 0; i < 20000; i++) {
    int64_t t = 1000 * (int64_t)(i + 1);
    char id[16];
    snprintf(id, sizeof id, "c%d", i);
    OK(ccenter_contact_enqueue(e, id, "q", NULL, t));
    OK(ccenter_offer_accept(e, "a", id, t + 1));
    OK(ccenter_contact_end(e, id, CCENTER_PARTY_CUSTOMER, t + 2));
  }
  /* Geometric growth: a few dozen regrowths per list, not one per interval. */
  ck_assert_msg(cnt.regrows - before < 500, "%ld reallocations for 20,000 intervals",
                cnt.regrows - before);
  ccenter_queue_stats qs = qstats_of(e, "q");
  ck_assert_uint_eq(qs.answered, 20000);
  ccenter_engine_free(e);
}
END_TEST

/* The statistics' records take memory only while they say something: a waiting contact's
 * record is its visit alone; the visit of its last answer takes more only once it differs
 * from the current one (answered, then sent to another queue) or with a survey score, and
 * the agent's conversation legs only while it has some (up to 64 freed leg blocks are kept
 * for the next legs, and counted). Every step below is in one
 * interval, after a first contact made the queues' and the agent's interval records. */
START_TEST(records_grow_only_while_needed)
{
  OK(ccenter_queue_add(eng, "q1", NULL, 0));
  OK(ccenter_queue_add(eng, "q2", NULL, 0));
  add_agent("a", "q1", 0);
  OK(ccenter_agent_serve(eng, "a", "q2", NULL, 0));
  OK(ccenter_agent_ready(eng, "a", 0));
  OK(ccenter_contact_enqueue(eng, "w", "q1", NULL, 1000));
  OK(ccenter_offer_accept(eng, "a", "w", 1000));
  OK(ccenter_contact_transfer_queue(eng, "w", "q2", 2000));
  OK(ccenter_offer_accept(eng, "a", "w", 2000));
  OK(ccenter_contact_survey(eng, "w", 50, 2500));
  OK(ccenter_contact_end(eng, "w", CCENTER_PARTY_UNKNOWN, 3000));
  /* Not ready for a "break" once before, so the agent's interval has that reason listed. */
  OK(ccenter_agent_not_ready(eng, "a", "break", 3000));
  OK(ccenter_agent_ready(eng, "a", 3500));
  OK(ccenter_agent_not_ready(eng, "a", "break", 3600));
  size_t idle = cc_stats_memory(eng);

  OK(ccenter_contact_enqueue(eng, "c", "q1", NULL, 4000));
  size_t waiting = cc_stats_memory(eng);
  /* The small block w's record left when it grew is kept for reuse: it is c's now. */
  ck_assert_uint_eq(waiting, idle);
  OK(ccenter_agent_ready(eng, "a", 5000));
  OK(ccenter_offer_accept(eng, "a", "c", 5000));
  /* Answered in its visit: only the agent's leg, in the block w's leg left (kept for
   * reuse, counted while kept: test_stats_snap, spare_legs_at_most_64). */
  size_t talking = cc_stats_memory(eng);
  ck_assert_uint_eq(talking, waiting);
  OK(ccenter_contact_transfer_queue(eng, "c", "q2", 6000));
  size_t moved = cc_stats_memory(eng); /* the leg is gone, the answer's visit is kept */
  ck_assert_uint_gt(moved, waiting);
  ck_assert_uint_ne(moved, talking);
  OK(ccenter_offer_accept(eng, "a", "c", 7000)); /* offered again as it arrived in q2 */
  ck_assert_uint_eq(cc_stats_memory(eng), talking); /* answered in its visit again */
  OK(ccenter_contact_survey(eng, "c", 80, 7500));
  ck_assert_uint_eq(cc_stats_memory(eng), talking + (moved - waiting));
  OK(ccenter_contact_end(eng, "c", CCENTER_PARTY_UNKNOWN, 8000));
  ck_assert_uint_eq(cc_stats_memory(eng), idle); /* a large record is not kept for reuse */
  ccenter_queue_stats s = qstats("q2", ALL_FROM, ALL_TO);
  ck_assert_uint_eq(s.surveys, 2);
  ck_assert_int_eq(s.survey_sum, 130);
}
END_TEST

START_TEST(statistics_can_be_turned_off)
{
  ccenter_options *o = ccenter_options_new();
  ck_assert_int_eq(ccenter_options_set_statistics(NULL, 0), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_options_set_statistics(o, 0), 0);
  ccenter_engine *e2;
  ck_assert_int_eq(ccenter_engine_new(o, 0, &e2), 0);
  ccenter_options_free(o);
  ck_assert_int_eq(ccenter_queue_add(e2, "q", NULL, 0), 0);
  ck_assert_int_eq(ccenter_contact_enqueue(e2, "c", "q", NULL, 0), 0);
  ccenter_queue_stats qs = {.size = sizeof qs};
  ck_assert_int_eq(ccenter_stats_queue(e2, "q", 0, 900000, &qs), CCENTER_ENOTSUP);
  ccenter_queue_info qi = {.size = sizeof qi};
  ck_assert_int_eq(ccenter_queue_info_get(e2, "q", 1000, &qi), 0);
  ck_assert_uint_eq(qi.waiting, 1);
  ccenter_engine_free(e2);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("stats");
  TCase *tc = tcase_create("stats");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, reference_worked_example);
  tcase_add_test(tc, statistics_can_be_turned_off);
  tcase_add_test(tc, interval_boundaries);
  tcase_add_test(tc, short_abandons);
  tcase_add_test(tc, extra_thresholds_and_config_reset);
  tcase_add_test(tc, dispositions_and_surveys);
  tcase_add_test(tc, repeat_contacts);
  tcase_add_test(tc, agent_not_ready_by_reason);
  tcase_add_test(tc, handle_time_hold_and_occupancy);
  tcase_add_test(tc, kpis_and_zero_denominators);
  tcase_add_test(tc, queue_log_lines);
  tcase_add_test(tc, queue_log_formatter);
  tcase_add_test(tc, out_of_memory);
  tcase_add_test(tc, interval_lists_grow_geometrically);
  tcase_add_test(tc, records_grow_only_while_needed);
  tcase_add_test(tc, property_identity_and_totals);
  suite_add_tcase(s, tc);
  return s;
}

CC_TEST_MAIN()
