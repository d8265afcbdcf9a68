/*
 * Internal: the observer contract. The statistics and the queue_log sink (sla/) see the
 * engine only through it; acd/ knows nothing of them. They are plugged in from one
 * composition root (libccenter/ccenter.c).
 *
 * An observer sees every event at the end of the call that raised it, before the
 * integrator (callback or queue), while the engine refuses state changes. Each event comes
 * with the engine's objects it names, so an observer reaches its own record for an object
 * through the object's slot, handed out at registration, without a lookup by id.
 */
#ifndef CC_ACD_OBSERVER_H
#define CC_ACD_OBSERVER_H

#include "ccenter/engine.h"
#include "core/options.h"
#include "core/snap.h"

/* Slots per object: one for each observer that keeps records per object. */
#define CC_OBS_SLOTS 2

/* What every agent, queue and contact begins with: its id (a copy owned by the engine),
 * the integrator's user data, and the observers' slots (NULL until an observer sets its
 * own; the engine never reads them). */
#define CC_OBJ_HEAD \
  char *id;         \
  void *user;       \
  void *slot[CC_OBS_SLOTS]

typedef struct cc_obj {
  CC_OBJ_HEAD;
} cc_obj;

typedef enum cc_obj_kind { CC_OBJ_AGENT = 0, CC_OBJ_CONTACT = 1, CC_OBJ_QUEUE = 2 } cc_obj_kind;

/* An event as observers see it: the public event and the objects it names (NULL where the
 * event names none). The objects live at least until the end of the delivery. */
typedef struct cc_obs_event {
  ccenter_event pub;
  cc_obj *agent, *contact, *queue, *queue_to, *agent_to;
} cc_obs_event;

typedef struct cc_observer {
  void (*on_event)(void *ud, ccenter_engine *e, const cc_obs_event *ev);
  /* The engine frees an object whose slot `value` (this observer's) is still set: the
   * object's end was never delivered (the engine is being freed). May be NULL. */
  void (*on_free)(void *ud, cc_obj_kind kind, void *value);
  /* The engine is freed: after every object. May be NULL. */
  void (*destroy)(void *ud);
  /* Events naming the object whose slot `value` (this observer's, not NULL) is will be
   * delivered at the end of this call, and the engine started fetching `value` earlier in
   * it (when it raised one: ev_contact, ev_agent): the observer may start fetching what
   * its on_event will reach through its record, so that those cache misses overlap the
   * engine's remaining work instead of waiting at delivery. Prefetches only: it changes
   * nothing. Called by cc_obs_warm; may be NULL. */
  void (*warm)(void *ud, cc_obj_kind kind, const void *value);
  /* Snapshots (acd/snapshot.c, cc_engine_snapshot). An observer with a name has its state
   * saved with the engine's, under that name; NULL: it keeps nothing worth saving and the
   * members below are NULL too.
   *   save      its own state, apart from its records of objects (may be NULL);
   *   save_obj  its record of one object (the object's slot value, which may be NULL);
   *   load      reads what save wrote, into an observer attached to a restored engine
   *             before its objects are read back;
   *   load_obj  reads what save_obj wrote for object o (its id, user data NULL, and the
   *             engine's own fields already restored; the observer's state loaded) and
   *             gives the slot value to set in *value.
   * Loaders return 0, CCENTER_ECORRUPT (what they read is not what a saver writes) or
   * CCENTER_ENOMEM; a failed load is followed by the engine's destruction, through
   * on_free and destroy as usual, so whatever a loader has set must be freeable. */
  const char *name;
  void (*save)(void *ud, const ccenter_engine *e, cc_snap_w *w);
  void (*save_obj)(void *ud, cc_obj_kind kind, const cc_obj *o, const void *value,
                   cc_snap_w *w);
  int (*load)(void *ud, ccenter_engine *e, cc_snap_r *r);
  int (*load_obj)(void *ud, ccenter_engine *e, cc_obj_kind kind, cc_obj *o, cc_snap_r *r,
                  void **value);
} cc_observer;

/* Registers an observer (at most CC_MAX_OBSERVERS). want_slot: hand it one of the objects'
 * slots, whose index goes to *slot. CCENTER_EFULL when no observer or slot is left. */
#define CC_MAX_OBSERVERS 4
int cc_engine_add_observer(ccenter_engine *e, const cc_observer *vt, void *ud, int want_slot,
                           int *slot);
void cc_engine_remove_observer(ccenter_engine *e, const cc_observer *vt, void *ud);
/* The user data of the (first) observer registered with vt, or NULL. */
void *cc_engine_observer(const ccenter_engine *e, const cc_observer *vt);

static inline void **cc_obj_slot(cc_obj *o, int slot)
{
  return &o->slot[slot];
}

/* Settings the engine keeps for its observers (ccenter_engine_set STATS_*, SHORT_ABANDON,
 * REPEAT_WINDOW): the engine validates and stores them, the statistics read them. */
typedef struct cc_stats_cfg {
  int64_t interval_ms;
  int64_t keep;
  int64_t short_abandon_ms;
  int64_t repeat_window_ms;
} cc_stats_cfg;

/* A queue's service-level settings. */
typedef struct cc_sla_cfg {
  int64_t threshold_ms;
  int64_t target_bp;
  int64_t warning_pct;
  size_t n_extra;
  int64_t extra_ms[CCENTER_MAX_THRESHOLDS];
} cc_sla_cfg;

/* The engine's statistics settings, where it keeps them: the pointer stays valid, and
 * what it points at current, for the engine's life (an observer keeps it rather than
 * calling for it at every event). */
const cc_stats_cfg *cc_engine_stats_cfg(const ccenter_engine *e);
/* CCENTER_ENOENT for an unknown (or removed) queue. */
int cc_engine_queue_sla(const ccenter_engine *e, const char *queue, cc_sla_cfg *out);
/* Where the engine keeps a number that changes whenever any queue's service-level
 * settings change (or a queue is added), so an observer can keep copies and refresh them
 * only then. Valid, and current, for the engine's life, as cc_engine_stats_cfg's. */
const uint64_t *cc_engine_sla_version(const ccenter_engine *e);
/* The allocator the engine was created with. */
const cc_alloc *cc_engine_alloc(const ccenter_engine *e);
/* The engine's log. */
const cc_log *cc_engine_log(const ccenter_engine *e);
/* Is the engine inside a delivery (observers or the integrator's callback running)? */
int cc_engine_in_callback(const ccenter_engine *e);

#endif
