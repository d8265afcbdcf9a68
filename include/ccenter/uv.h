/*
 * libccenter — libuv adapter: drives an engine's timers from a caller's uv_loop_t.
 *
 * The adapter keeps one uv_timer_t armed at the engine's next deadline and calls
 * ccenter_engine_advance() when it fires. Every engine call made by the integrator should
 * pass ccenter_uv_now() as `now`, so that the engine and the loop share one clock.
 * The timer is re-armed automatically after every engine call that moves the deadline.
 *
 * Not thread-safe: use the adapter, the engine and the loop from the loop's thread.
 * Installed only when libccenter is built with the `uv` feature. A library built without it
 * exports the same functions; ccenter_uv_attach() then returns CCENTER_ENOTSUP.
 */
#ifndef CCENTER_UV_H
#define CCENTER_UV_H

#include <uv.h>

#include "ccenter/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An engine attached to a libuv loop. */
typedef struct ccenter_uv ccenter_uv;

/**
 * Attaches engine to loop. One adapter per engine. The adapter's memory comes from the C
 * library's malloc. It drives the engine through its deadline hook
 * (ccenter_engine_set_deadline_hook), which it owns while attached. Errors: CCENTER_EINVAL
 * (NULL argument), CCENTER_EBUSY (the engine is already attached, or has a deadline hook
 * of the integrator's), CCENTER_EIO (uv_timer_init failed), CCENTER_ENOMEM. Since 0.1.
 */
CCENTER_EXPORT int ccenter_uv_attach(uv_loop_t *loop, ccenter_engine *engine, ccenter_uv **out);

/**
 * The loop's time as engine time, in milliseconds: uv_now(loop) shifted so that it is never
 * behind the engine's own clock at attach time. Query. Since 0.1.
 */
CCENTER_EXPORT int64_t ccenter_uv_now(const ccenter_uv *h);

/**
 * The last error ccenter_engine_advance() returned from the timer callback (0 if none), and
 * clears it. An error there (CCENTER_ENOMEM) leaves the due timers armed; the adapter retries
 * at the next loop iteration. Since 0.1.
 */
CCENTER_EXPORT int ccenter_uv_last_error(ccenter_uv *h);

/**
 * Detaches: stops the timer and closes its handle; the adapter's memory is freed when libuv
 * has closed it (run the loop once more). Detach before freeing the engine. NULL does
 * nothing. Since 0.1.
 */
CCENTER_EXPORT void ccenter_uv_detach(ccenter_uv *h);

#ifdef __cplusplus
}
#endif
#endif /* CCENTER_UV_H */
