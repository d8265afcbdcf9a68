/* The libuv adapter. It uses the public deadline hook and nothing else: the engine never
 * learns that libuv exists, and any other loop can be driven the same way. */
#include "ccenter/uv.h"

#include <stdlib.h>

struct ccenter_uv {
  uv_timer_t timer;
  uv_loop_t *loop;
  ccenter_engine *engine;
  int64_t offset;
  int last_error;
};

int64_t ccenter_uv_now(const ccenter_uv *h)
{
  return h ? (int64_t)uv_now(h->loop) + h->offset : 0;
}

static void on_timer(uv_timer_t *t);
static void on_close(uv_handle_t *handle);

static void rearm(ccenter_uv *h, int64_t deadline)
{
  if (deadline == CCENTER_NO_DEADLINE) {
    uv_timer_stop(&h->timer);
    return;
  }
  int64_t delay = deadline - ccenter_uv_now(h);
  uv_timer_start(&h->timer, on_timer, delay > 0 ? (uint64_t)delay : 0, 0);
}

static void on_deadline(void *ud, int64_t deadline)
{
  rearm(ud, deadline);
}

static void on_timer(uv_timer_t *t)
{
  ccenter_uv *h = t->data;
  /* uv_now is the loop's cached time for this iteration: the deadline has been reached
   * by it, since libuv fires timers against the same clock. */
  int rc = ccenter_engine_advance(h->engine, ccenter_uv_now(h));
  if (rc) {
    h->last_error = rc;
    /* Retry soon rather than never: the timers stayed armed. */
    uv_timer_start(&h->timer, on_timer, 1, 0);
  }
}

int ccenter_uv_attach(uv_loop_t *loop, ccenter_engine *engine, ccenter_uv **out)
{
  if (!loop || !engine || !out)
    return CCENTER_EINVAL;
  ccenter_uv *h = calloc(1, sizeof *h);
  if (!h)
    return CCENTER_ENOMEM;
  if (uv_timer_init(loop, &h->timer)) {
    free(h);
    return CCENTER_EIO;
  }
  h->timer.data = h;
  h->loop = loop;
  h->engine = engine;
  int64_t lnow = (int64_t)uv_now(loop);
  int64_t enow = ccenter_engine_now(engine);
  h->offset = enow > lnow ? enow - lnow : 0;
  int rc = ccenter_engine_set_deadline_hook(engine, on_deadline, h);
  if (rc) {
    /* The handle is initialised: libuv must close it before the memory goes. */
    h->engine = NULL;
    uv_close((uv_handle_t *)&h->timer, on_close);
    return rc;
  }
  *out = h;
  return 0;
}

int ccenter_uv_last_error(ccenter_uv *h)
{
  if (!h)
    return CCENTER_EINVAL;
  int rc = h->last_error;
  h->last_error = 0;
  return rc;
}

static void on_close(uv_handle_t *handle)
{
  free(handle->data);
}

void ccenter_uv_detach(ccenter_uv *h)
{
  if (!h)
    return;
  ccenter_engine_set_deadline_hook(h->engine, NULL, NULL);
  uv_timer_stop(&h->timer);
  uv_close((uv_handle_t *)&h->timer, on_close);
}
