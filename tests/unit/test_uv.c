/*
 * The libuv adapter on a real loop: a ring timeout fires from the loop at (or after) its
 * deadline, the loop exits by itself once nothing is scheduled, detach releases
 * everything, and attach refuses NULLs and a second adapter.
 */
#include <stdio.h>
#include <string.h>

#include "ccenter/uv.h"
#include "harness.h"

typedef struct flow {
  uv_loop_t *loop;
  ccenter_engine *e;
  ccenter_uv *h;
  uv_idle_t act;
  uv_timer_t watchdog;
  int64_t offered_at, offered_loop;     /* engine time / loop time of the offer */
  int64_t withdrawn_at, withdrawn_loop; /* ... of the ring-timeout withdrawal */
  int offers, withdrawals, other_withdrawals, ended;
  int acted, watchdog_fired;
  int reentry_rc;
  int after_rc[2];
} flow;

static void on_event(ccenter_engine *e, const ccenter_event *ev, void *ud);

static void on_watchdog(uv_timer_t *t)
{
  flow *f = t->data;
  f->watchdog_fired = 1;
  uv_stop(f->loop);
}

static void on_closed(uv_handle_t *h)
{
  (void)h;
}

/* Acts after the callback returned (state changes are refused inside it): the agent goes
 * NOT_READY and the caller hangs up, so nothing is left to schedule. */
static void on_act(uv_idle_t *idle)
{
  flow *f = idle->data;
  int64_t now = ccenter_uv_now(f->h);
  f->after_rc[0] = ccenter_agent_not_ready(f->e, "a1", "break", now);
  f->after_rc[1] = ccenter_contact_abandon(f->e, "c1", now);
  f->acted = 1;
  uv_idle_stop(idle);
  uv_close((uv_handle_t *)idle, on_closed);
}

static void on_event(ccenter_engine *e, const ccenter_event *ev, void *ud)
{
  flow *f = ud;
  switch (ev->type) {
  case CCENTER_EV_CONTACT_OFFERED:
    f->offers++;
    f->offered_at = ev->time;
    f->offered_loop = (int64_t)uv_now(f->loop);
    break;
  case CCENTER_EV_OFFER_WITHDRAWN:
    if (ev->cause == CCENTER_CAUSE_RING_TIMEOUT) {
      f->withdrawals++;
      f->withdrawn_at = ev->time;
      f->withdrawn_loop = (int64_t)uv_now(f->loop);
      f->reentry_rc = ccenter_agent_not_ready(e, "a1", "break", ev->time);
      uv_idle_start(&f->act, on_act);
    } else {
      f->other_withdrawals++;
    }
    break;
  case CCENTER_EV_CONTACT_ENDED:
    f->ended++;
    break;
  default:
    break;
  }
}

START_TEST(ring_timeout_fires_from_the_loop_and_loop_exits)
{
  uv_loop_t loop;
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  flow f;
  memset(&f, 0, sizeof f);
  f.loop = &loop;
  ck_assert_int_eq(uv_idle_init(&loop, &f.act), 0);
  f.act.data = &f;
  ck_assert_int_eq(uv_timer_init(&loop, &f.watchdog), 0);
  f.watchdog.data = &f;
  /* Generous: the ring timeout is 50 ms. Unref'd, so it cannot keep the loop alive. */
  ck_assert_int_eq(uv_timer_start(&f.watchdog, on_watchdog, 20000, 0), 0);
  uv_unref((uv_handle_t *)&f.watchdog);

  ccenter_options *o = ccenter_options_new();
  ccenter_options_set_event_callback(o, on_event, &f);
  ck_assert_int_eq(ccenter_engine_new(o, (int64_t)uv_now(&loop), &f.e), 0);
  ccenter_options_free(o);
  ck_assert_int_eq(ccenter_uv_attach(&loop, f.e, &f.h), 0);
  ck_assert_ptr_nonnull(f.h);
  ck_assert_int_ge(ccenter_uv_now(f.h), ccenter_engine_now(f.e));

  int64_t now = ccenter_uv_now(f.h);
  ck_assert_int_eq(ccenter_queue_add(f.e, "q", NULL, now), 0);
  ck_assert_int_eq(ccenter_queue_set(f.e, "q", CCENTER_QUEUE_RING_TIMEOUT, 50, now), 0);
  ck_assert_int_eq(ccenter_agent_add(f.e, "a1", NULL, now), 0);
  ck_assert_int_eq(ccenter_agent_serve(f.e, "a1", "q", NULL, now), 0);
  ck_assert_int_eq(ccenter_agent_login(f.e, "a1", now), 0);
  ck_assert_int_eq(ccenter_agent_ready(f.e, "a1", now), 0);
  ck_assert_int_eq(ccenter_contact_enqueue(f.e, "c1", "q", NULL, now), 0);
  ck_assert_int_eq(f.offers, 1);
  ck_assert_int_eq(ccenter_engine_next_deadline(f.e), f.offered_at + 50);

  /* Runs until nothing is active: the adapter's timer fires the ring timeout, the idle
   * handle acts, and with nothing scheduled the adapter's timer stops. */
  uv_run(&loop, UV_RUN_DEFAULT);
  ck_assert_msg(!f.watchdog_fired, "the loop did not exit on its own (next deadline %lld)",
                (long long)ccenter_engine_next_deadline(f.e));
  ck_assert_int_eq(f.withdrawals, 1);
  ck_assert_int_eq(f.other_withdrawals, 0);
  ck_assert_int_ge(f.withdrawn_at - f.offered_at, 50);
  ck_assert_int_ge(f.withdrawn_loop - f.offered_loop, 50);
  ck_assert_int_lt(f.withdrawn_loop - f.offered_loop, 10000);
  ck_assert_int_eq(f.reentry_rc, CCENTER_ECALLBACK);
  ck_assert_int_eq(f.acted, 1);
  ck_assert_int_eq(f.after_rc[0], 0);
  ck_assert_int_eq(f.after_rc[1], 0);
  ck_assert_int_eq(f.ended, 1);
  ck_assert_int_eq(ccenter_engine_next_deadline(f.e), CCENTER_NO_DEADLINE);
  ck_assert_int_eq(ccenter_uv_last_error(f.h), 0);
  ccenter_agent_info ai = {.size = sizeof ai};
  ck_assert_int_eq(ccenter_agent_info_get(f.e, "a1", ccenter_engine_now(f.e), &ai), 0);
  ck_assert_int_eq(ai.state, CCENTER_AGENT_NOT_READY);
  ck_assert_int_eq(ai.missed_in_row, 1);

  ccenter_uv_detach(f.h);
  uv_timer_stop(&f.watchdog);
  uv_close((uv_handle_t *)&f.watchdog, on_closed);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
  ccenter_engine_free(f.e);
}
END_TEST

START_TEST(attach_refuses_null_and_second_adapter)
{
  uv_loop_t loop;
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ccenter_engine *e = NULL;
  ck_assert_int_eq(ccenter_engine_new(NULL, 5000, &e), 0);
  ccenter_uv *h = NULL, *h2 = NULL;
  ck_assert_int_eq(ccenter_uv_attach(NULL, e, &h), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_uv_attach(&loop, NULL, &h), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_uv_attach(&loop, e, NULL), CCENTER_EINVAL);
  ck_assert_ptr_null(h);
  ccenter_uv_detach(NULL); /* does nothing */

  ck_assert_int_eq(ccenter_uv_attach(&loop, e, &h), 0);
  ck_assert_int_eq(ccenter_uv_attach(&loop, e, &h2), CCENTER_EBUSY);
  ck_assert_ptr_null(h2);
  /* The engine started ahead of the loop's clock: engine time never goes back. */
  ck_assert_int_ge(ccenter_uv_now(h), 5000);
  /* The first adapter still drives the engine. */
  int64_t now = ccenter_uv_now(h);
  ck_assert_int_eq(ccenter_queue_add(e, "q", NULL, now), 0);
  ck_assert_int_eq(ccenter_queue_set(e, "q", CCENTER_QUEUE_ANNOUNCE_EVERY, 1000, now), 0);
  ck_assert_int_eq(ccenter_contact_enqueue(e, "c1", "q", NULL, now), 0);
  ck_assert_int_ne(uv_run(&loop, UV_RUN_ONCE), 0);
  ck_assert_int_eq(ccenter_contact_abandon(e, "c1", ccenter_uv_now(h)), 0);
  ck_assert_int_eq(ccenter_engine_next_deadline(e), CCENTER_NO_DEADLINE);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0); /* nothing scheduled: returns */
  ccenter_uv_detach(h);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
  /* Detached: another adapter may attach. */
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(ccenter_uv_attach(&loop, e, &h), 0);
  ccenter_uv_detach(h);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
  ccenter_engine_free(e);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("uv");
  TCase *tc = tcase_create("adapter");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, ring_timeout_fires_from_the_loop_and_loop_exits);
  tcase_add_test(tc, attach_refuses_null_and_second_adapter);
  suite_add_tcase(s, tc);
  return s;
}

CC_TEST_MAIN()
