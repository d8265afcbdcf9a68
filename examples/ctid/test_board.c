/*
 * Suite ctid_board: the wallboard's agent tally (board.c) against a full count. An engine
 * made from a configuration is driven by random sequences of the calls a switch, desks
 * and supervisors make (logins, presence, offers answered, rejected, missed and timed out,
 * conversations, holds, transfers, consultations, wrap-ups, abandons, time passing). Every
 * event marks its agent and agent_to in the tally, as ctid does; after every call the
 * tally's counts per queue must equal those counted from every agent's view. This is what
 * the tally relies on: no agent's activity changes without an event naming it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board.h"
#include "conf.h"
#include "harness.h"

static const char conf_text[] =
  "[server]\nstore = /tmp/x.db\n[listen l]\nunix = /tmp/s\n"
  "[engine]\nmax_no_answer = 2\nreject_delay = 5s\n"
  "[queue sales]\nstrategy = longest-idle\nring_timeout = 8s\nwrap_up = 10s\n"
  "step = 20s sales >= 5\n"
  "[queue all]\nstrategy = ring-all\nring_timeout = 6s\nwrap_up = unlimited\n"
  "[queue chat]\nstrategy = ring-progressive\nwrap_up = 3s\n"
  "[agent a0]\nskill.sales = 8\nqueues = sales, all\n"
  "[agent a1]\nskill.sales = 3\nqueues = sales, all, chat\ncapacity.chat = 2\n"
  "[agent a2]\nqueues = all, chat\ncapacity.chat = 3\nwrap_up = 4s\n"
  "[agent a3]\nskill.sales = 6\nqueues = sales\n"
  "[agent a4]\nqueues = chat\ncapacity.chat = 2\n"
  "[agent a5]\nskill.sales = 9\nqueues = sales, chat\n"
  "[agent a6]\n"
  "[agent a7]\nqueues = all\nwrap_up = 0s\n";

#define N_AGENTS 8
#define N_CONTACTS 12

static uint64_t rng_state;

static unsigned rnd(unsigned n)
{
  rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (unsigned)((rng_state >> 33) % n);
}

static void on_event(ccenter_engine *e, const ccenter_event *ev, void *ud)
{
  (void)e;
  ctid_board_tally_mark(ud, ev->agent);
  ctid_board_tally_mark(ud, ev->agent_to);
}

/* The counts from every agent's own view (the board without a tally) against the tally's. */
static void check_counts(const ccenter_engine *e, const ctid_config *cfg, ctid_board_tally *t,
                         int64_t now, unsigned seed, int step)
{
  ck_assert_int_eq(ctid_board_tally_update(t, e, cfg, now), 0);
  ctid_board_light l;
  ck_assert_int_eq(ctid_board_light_make(e, NULL, cfg, 1, NULL, 0, now, 0, &l), 0);
  ctid_board_src full = {.engine = e, .cfg = cfg, .snap = &l.snap};
  ctid_board_src kept = full;
  kept.tally = t;
  ctid_board_counts *a = ctid_board_count_agents(&full), *b = ctid_board_count_agents(&kept);
  ck_assert(a && b);
  for (size_t q = 0; q < l.snap.n_queues; q++)
    ck_assert_msg(memcmp(&a[q], &b[q], sizeof a[q]) == 0,
                  "seed %u step %d queue %s: counted %u/%u/%u/%u/%u, tally %u/%u/%u/%u/%u", seed,
                  step, l.snap.queues[q]->queue, a[q].logged_in, a[q].ready, a[q].busy,
                  a[q].wrap_up, a[q].not_ready, b[q].logged_in, b[q].ready, b[q].busy,
                  b[q].wrap_up, b[q].not_ready);
  free(a);
  free(b);
  ctid_board_light_free(&l);
}

static void run_seed(unsigned seed, int steps)
{
  rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;
  ctid_config *cfg = NULL;
  ctid_conf_error err;
  ck_assert_msg(ctid_config_parse(conf_text, sizeof conf_text - 1, "t.conf", &cfg, &err) == 0,
                "%s", err.message);
  ctid_board_tally *t = ctid_board_tally_new();
  ck_assert_ptr_nonnull(t);
  ccenter_options *o = ccenter_options_new();
  ck_assert_int_eq(ccenter_options_set_event_callback(o, on_event, t), 0);
  int64_t now = 1767225600000; /* 2026-01-01 */
  ccenter_engine *e = NULL;
  ck_assert_int_eq(ccenter_engine_new(o, now, &e), 0);
  ck_assert_int_eq(ctid_config_apply(e, NULL, cfg, now, &err), 0);
  static const char *const queues[] = {"sales", "all", "chat"};
  static const ccenter_channel channels[] = {CCENTER_CHANNEL_VOICE, CCENTER_CHANNEL_CHAT};
  check_counts(e, cfg, t, now, seed, -1);
  for (int step = 0; step < steps; step++) {
    char agent[8], contact[8], other[8];
    snprintf(agent, sizeof agent, "a%u", rnd(N_AGENTS));
    snprintf(other, sizeof other, "a%u", rnd(N_AGENTS));
    snprintf(contact, sizeof contact, "c%u", rnd(N_CONTACTS));
    /* Most calls are refused in the state they meet (ESTATE, ENOENT): that is fine, a
       refused call changes nothing and raises nothing. */
    switch (rnd(24)) {
    case 0: ccenter_agent_login(e, agent, now); break;
    case 1: case 2: ccenter_agent_ready(e, agent, now); break;
    case 3: ccenter_agent_not_ready(e, agent, rnd(2) ? "break" : NULL, now); break;
    case 4: ccenter_agent_logout(e, agent, now); break;
    case 5: case 6: {
      ccenter_contact_params p;
      ccenter_contact_params_init(&p);
      p.channel = channels[rnd(2)];
      ccenter_contact_enqueue(e, contact, queues[rnd(3)], &p, now);
      break;
    }
    case 7: case 8: ccenter_offer_accept(e, agent, contact, now); break;
    case 9: ccenter_offer_reject(e, agent, contact, now); break;
    case 10: ccenter_offer_missed(e, agent, contact, now); break;
    case 11: ccenter_contact_abandon(e, contact, now); break;
    case 12: ccenter_contact_end(e, contact, CCENTER_PARTY_CUSTOMER, now); break;
    case 13: ccenter_agent_wrap_up_end(e, agent, contact, now); break;
    case 14: ccenter_contact_hold(e, contact, now); break;
    case 15: ccenter_contact_resume(e, contact, now); break;
    case 16: ccenter_contact_transfer_queue(e, contact, queues[rnd(3)], now); break;
    case 17: ccenter_contact_transfer_agent(e, contact, other, now); break;
    case 18: ccenter_contact_consult_start(e, contact, other, now); break;
    case 19: ccenter_contact_consult_complete(e, contact, now); break;
    case 20: ccenter_contact_consult_cancel(e, contact, now); break;
    case 21: ccenter_contact_requeue(e, contact, now); break;
    case 22: ccenter_contact_remove(e, contact, now); break;
    default:
      /* Time passes: ring timeouts, wrap-ups ending, steps expiring. */
      now += 1 + rnd(rnd(4) ? 3000 : 30000);
      ck_assert_int_eq(ccenter_engine_advance(e, now), 0);
      break;
    }
    if (rnd(97) == 0) /* a reload: everything read again */
      ctid_board_tally_reset(t);
    check_counts(e, cfg, t, now, seed, step);
  }
  ccenter_engine_free(e);
  ccenter_options_free(o);
  ctid_board_tally_free(t);
  ctid_config_free(cfg);
}

START_TEST(tally_equals_full_count)
{
  /* 40 seeds of 1,500 calls: about 1.5 s without sanitizers. */
  for (unsigned seed = 1; seed <= 40; seed++)
    run_seed(seed, 1500);
}
END_TEST

/* An agent not configured, NULL and "" are ignored; a queue not configured has no counts. */
START_TEST(tally_ignores_unknown)
{
  ctid_config *cfg = NULL;
  ctid_conf_error err;
  ck_assert_int_eq(ctid_config_parse(conf_text, sizeof conf_text - 1, "t.conf", &cfg, &err), 0);
  ccenter_engine *e = NULL;
  ck_assert_int_eq(ccenter_engine_new(NULL, 0, &e), 0);
  ck_assert_int_eq(ctid_config_apply(e, NULL, cfg, 0, &err), 0);
  ctid_board_tally *t = ctid_board_tally_new();
  ck_assert_ptr_null(ctid_board_tally_queue(t, "sales")); /* not updated yet */
  ctid_board_tally_mark(t, "a0");                         /* before the first update */
  ck_assert_int_eq(ctid_board_tally_update(t, e, cfg, 0), 0);
  ctid_board_tally_mark(t, NULL);
  ctid_board_tally_mark(t, "");
  ctid_board_tally_mark(t, "nobody");
  ck_assert_int_eq(ccenter_agent_login(e, "a0", 0), 0);
  ck_assert_int_eq(ccenter_agent_ready(e, "a0", 0), 0);
  ctid_board_tally_mark(t, "a0");
  ck_assert_int_eq(ctid_board_tally_update(t, e, cfg, 0), 0);
  const ctid_board_counts *s = ctid_board_tally_queue(t, "sales");
  ck_assert_ptr_nonnull(s);
  ck_assert_uint_eq(s->logged_in, 1);
  ck_assert_uint_eq(s->ready, 1);
  ck_assert_ptr_null(ctid_board_tally_queue(t, "nowhere"));
  ccenter_engine_free(e);
  ctid_board_tally_free(t);
  ctid_config_free(cfg);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("ctid_board");
  TCase *tc = tcase_create("tally");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, tally_equals_full_count);
  tcase_add_test(tc, tally_ignores_unknown);
  suite_add_tcase(s, tc);
  return s;
}

CC_TEST_MAIN()
