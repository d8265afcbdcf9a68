/*
 * libccenter — engine options: allocator, log and event callback.
 *
 * An options object is filled in by the caller and read once by ccenter_engine_new();
 * the engine keeps a copy, so the options object may be freed or reused right after.
 * Not thread-safe: one thread at a time per options object.
 */
#ifndef CCENTER_OPTIONS_H
#define CCENTER_OPTIONS_H

#include "ccenter/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An opaque set of engine options. */
typedef struct ccenter_options ccenter_options;
/** An opaque engine (see ccenter/engine.h). */
typedef struct ccenter_engine ccenter_engine;
/** An event delivered by the engine (see ccenter/engine.h). */
typedef struct ccenter_event ccenter_event;

/**
 * Allocator hooks. All three are called with the user data given to
 * ccenter_options_set_allocator(). realloc_fn(ud, NULL, n) must behave as malloc_fn and
 * free_fn(ud, NULL) must do nothing. Returning NULL makes the call that needed memory
 * fail with CCENTER_ENOMEM and change nothing.
 */
typedef void *(*ccenter_malloc_fn)(void *ud, size_t size);
typedef void *(*ccenter_realloc_fn)(void *ud, void *ptr, size_t size);
typedef void (*ccenter_free_fn)(void *ud, void *ptr);

/** Log levels, most severe first. */
typedef enum ccenter_log_level {
  CCENTER_LOG_ERROR = 0,
  CCENTER_LOG_WARN = 1,
  CCENTER_LOG_INFO = 2,
  CCENTER_LOG_DEBUG = 3
} ccenter_log_level;

/**
 * Log callback. msg is a NUL-terminated line without a trailing newline, valid only during
 * the call. The callback must not call back into the engine.
 */
typedef void (*ccenter_log_fn)(void *ud, ccenter_log_level level, const char *msg);

/**
 * Event callback: everything the engine decides reaches the integrator here.
 * ev and every string it points to are valid only during the call. What the callback may
 * do is described in ccenter/engine.h ("Re-entrancy").
 */
typedef void (*ccenter_event_fn)(ccenter_engine *engine, const ccenter_event *ev, void *ud);

/**
 * Creates an options object with the defaults: the C library's malloc/realloc/free, no log,
 * no event callback. Uses the C library's malloc for itself.
 * Returns NULL when out of memory. Since 0.1.
 */
CCENTER_EXPORT ccenter_options *ccenter_options_new(void);

/** Frees an options object. NULL is allowed and does nothing. Since 0.1. */
CCENTER_EXPORT void ccenter_options_free(ccenter_options *opts);

/**
 * Sets the allocator the engine uses for everything it allocates.
 * Errors: CCENTER_EINVAL if opts is NULL, or if some but not all of the three functions
 * are NULL (all three NULL restores the C library's). Since 0.1.
 */
CCENTER_EXPORT int ccenter_options_set_allocator(ccenter_options *opts,
                                                 ccenter_malloc_fn malloc_fn,
                                                 ccenter_realloc_fn realloc_fn,
                                                 ccenter_free_fn free_fn, void *ud);

/**
 * Sets the log callback and the most verbose level passed to it. fn NULL turns logging off.
 * Errors: CCENTER_EINVAL if opts is NULL or level is not a ccenter_log_level. Since 0.1.
 */
CCENTER_EXPORT int ccenter_options_set_log(ccenter_options *opts, ccenter_log_fn fn,
                                           ccenter_log_level level, void *ud);

/**
 * Sets the event callback: events are pushed to it at the end of the call that raised
 * them. fn NULL (the default) means no callback. Errors: CCENTER_EINVAL if opts is NULL.
 * Since 0.1.
 */
CCENTER_EXPORT int ccenter_options_set_event_callback(ccenter_options *opts,
                                                      ccenter_event_fn fn, void *ud);

/**
 * Turns the engine's event queue on or off (off by default). On, events are kept in the
 * engine until the integrator pulls them with ccenter_engine_next_event(), and every
 * engine function may be called between pulls. An engine has either a callback or the
 * queue: ccenter_engine_new() refuses options with both. With neither, events are
 * dropped (queries and statistics still work). Errors: CCENTER_EINVAL if opts is NULL.
 * Since 0.2.
 */
CCENTER_EXPORT int ccenter_options_set_event_queue(ccenter_options *opts, int enabled);

/** Every event type (the default mask). Event type numbers stay below 64. */
#define CCENTER_EVENTS_ALL UINT64_MAX
/** The mask bit of one event type (a ccenter_event_type). */
#define CCENTER_EVENT_BIT(type) (UINT64_C(1) << (type))

/**
 * Says which event types the integrator receives, callback or queue: bit
 * CCENTER_EVENT_BIT(type) set for each wanted type (CCENTER_EVENTS_ALL by default). The
 * engine decides exactly as before; it only leaves out the other events, and when nothing
 * else reads events (statistics off, no queue_log sink) it does not build them at all,
 * which saves most of an event's cost. A program that acts on offers and withdrawals
 * only: CCENTER_EVENT_BIT(CCENTER_EV_CONTACT_OFFERED) |
 * CCENTER_EVENT_BIT(CCENTER_EV_OFFER_WITHDRAWN) | ... Bits of types this version does
 * not have are kept for the types a later version adds. Errors: CCENTER_EINVAL if opts is
 * NULL. Since 0.2.
 */
CCENTER_EXPORT int ccenter_options_set_event_mask(ccenter_options *opts, uint64_t mask);

/**
 * Turns the engine's interval statistics (ccenter/stats.h) on (the default) or off. An
 * integrator who keeps its own reports from the events can turn them off: the engine then
 * does about half the work per event, and the ccenter_stats_* queries fail with
 * CCENTER_ENOTSUP. Real-time views (ccenter_queue_info_get and the like) are not affected.
 * Errors: CCENTER_EINVAL if opts is NULL. Since 0.1.
 */
CCENTER_EXPORT int ccenter_options_set_statistics(ccenter_options *opts, int enabled);

#ifdef __cplusplus
}
#endif
#endif /* CCENTER_OPTIONS_H */
