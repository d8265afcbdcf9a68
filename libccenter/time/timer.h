/*
 * Internal: a pop-based timer structure for millions of deadlines (1 ms resolution).
 *
 * A hierarchical timing wheel: 11 levels of 64 slots over the 64-bit deadline. A timer
 * sits at the level of the highest 6-bit digit in which its deadline differs from the
 * wheel's time, so every timer on a lower level is due before every timer on a higher
 * one and, within a level, slot order is time order (no wrap-around). Each slot is an
 * intrusive doubly linked list of pool indices; per-level occupancy bitmaps find the
 * earliest slot in a few instructions.
 *
 * Slot lists stay in arming order on their own: arms append at the tail, and a slot is
 * only ever cascaded into lower levels that are empty at that moment. So ties need no
 * sequence number in the node, which keeps a node at 32 bytes. The one exception is a
 * deadline earlier than the wheel's time (the wheel may already have moved past it):
 * those few go to a small binary heap ordered by (deadline, arming order).
 *
 * Not thread-safe. The domain passes `now`; nothing here reads a clock.
 */
#ifndef CC_TIME_TIMER_H
#define CC_TIME_TIMER_H

#include <stddef.h>
#include <stdint.h>

#include "core/options.h"

/* 0 is never a valid id: the low 32 bits are the pool index, the high 32 bits the slot's
   generation, which is odd while the timer is armed. */
typedef uint64_t cc_timer_id;

typedef struct cc_timer_fired {
  cc_timer_id id;
  int64_t deadline;
  uint32_t kind;
  uint64_t payload;
} cc_timer_fired;

typedef struct cc_timer_node {
  int64_t deadline;
  uint64_t payload;
  uint32_t kind;
  uint32_t gen;  /* odd while armed, even while free */
  uint32_t next; /* node index, or CC_TIMER_END | bucket at a list's tail; free-list link */
  uint32_t prev; /* node index, CC_TIMER_END | bucket at a list's head, CC_TIMER_HEAP | pos */
} cc_timer_node;

typedef struct cc_timer_bucket {
  uint32_t head;
  uint32_t tail;
} cc_timer_bucket;

typedef struct cc_timer_late {
  uint64_t seq;
  uint32_t node;
  uint32_t pad_;
} cc_timer_late;

#define CC_TIMER_LEVELS 11
#define CC_TIMER_SLOTS 64
/* Wheel buckets, then one bucket for the batch of timers due exactly at the wheel's time. */
#define CC_TIMER_BUCKETS (CC_TIMER_LEVELS * CC_TIMER_SLOTS + 1)

typedef struct cc_timers {
  cc_alloc alloc;
  cc_timer_node *nodes;
  size_t cap;             /* nodes allocated */
  uint32_t used;          /* nodes ever handed out (high-water mark) */
  uint32_t free_head;     /* free list through node.next */
  size_t count;           /* armed timers */
  cc_timer_bucket *buckets;
  uint64_t occ[CC_TIMER_LEVELS]; /* bit s of occ[l]: bucket l*64+s is not empty */
  uint32_t levels;        /* bit l: occ[l] != 0 */
  uint64_t wheel_key;     /* the wheel's time as an order-preserving unsigned key */
  int64_t latest;         /* the latest `now` seen; the wheel's time never passes it */
  cc_timer_late *late;    /* min-heap of timers armed before the wheel's time */
  size_t late_n, late_cap;
  uint64_t late_seq;
  int64_t next_cache;     /* cc_timers_next, while next_valid */
  int next_valid;
  /* The earliest deadline in bucket nb (a level above 0), and how many armed timers have
     it, while nb_valid: so cc_timers_next walks a large far bucket once, not after every
     cancel of its earliest timer. A deadline lives in one bucket only (slot order is time
     order), so a timer with deadline nb_min is in nb. */
  uint32_t nb;
  uint32_t nb_cnt;
  int64_t nb_min;
  int nb_valid;
} cc_timers;

/* 0 or CCENTER_ENOMEM. `now` is the starting time. */
int cc_timers_init(cc_timers *t, const cc_alloc *a, int64_t now);
void cc_timers_destroy(cc_timers *t);
/* Arm a timer. A deadline <= the current time is allowed (due at the next pop).
   0 or CCENTER_ENOMEM (then nothing changed). *out receives a generation-tagged id. */
int cc_timers_arm(cc_timers *t, int64_t deadline, uint32_t kind, uint64_t payload,
                  cc_timer_id *out);
/* 0, or CCENTER_ENOENT for an id that already fired, was cancelled or never existed. */
int cc_timers_cancel(cc_timers *t, cc_timer_id id);
/* The deadline of an armed timer; INT64_MIN for an id that already fired, was cancelled
   or never existed. */
int64_t cc_timers_deadline(const cc_timers *t, cc_timer_id id);
/* The earliest armed deadline, exactly, or INT64_MAX when empty. */
int64_t cc_timers_next(cc_timers *t);
/* Pops the one due timer with the earliest deadline <= now, ties in arming order.
   Returns 1 and fills *out, or 0 when nothing is due. The id is dead afterwards. */
int cc_timers_pop_out(cc_timers *t, int64_t now, cc_timer_fired *out);
/* Moves the timers' notion of the latest time to now, as every pop does; then 1 when
   nothing is due at now, known without a search (before the cached next deadline), 0
   when cc_timers_pop must look. Nearly every call of an engine finds nothing due: in
   line. */
static inline int cc_timers_none_due(cc_timers *t, int64_t now)
{
  if (now > t->latest)
    t->latest = now;
  return t->next_valid && t->next_cache > now;
}
static inline int cc_timers_pop(cc_timers *t, int64_t now, cc_timer_fired *out)
{
  return cc_timers_none_due(t, now) ? 0 : cc_timers_pop_out(t, now, out);
}
size_t cc_timers_count(const cc_timers *t);
int cc_timers_reserve_out(cc_timers *t, size_t n);
/* Makes room so that the next n arms cannot fail for memory. 0 or CCENTER_ENOMEM. Every
   engine call reserves, nearly always finding the room there: that test is in line. */
static inline int cc_timers_reserve(cc_timers *t, size_t n)
{
  if (t->cap - t->count >= n && t->late_cap - t->late_n >= n)
    return 0;
  return cc_timers_reserve_out(t, n);
}
/* Every armed timer, in the order cc_timers_pop would hand them out if time jumped past
   them all (deadline, ties in arming order), without disturbing t: for snapshots, which
   arm them again in this order so that a restored wheel breaks ties as the saved one.
   *out (n entries, allocated from a; NULL when none are armed) is the caller's to free.
   0 or CCENTER_ENOMEM. */
int cc_timers_in_order(const cc_timers *t, const cc_alloc *a, cc_timer_fired **out,
                       size_t *n);
/* Bytes allocated (not counting the cc_timers struct itself). */
size_t cc_timers_memory(const cc_timers *t);

#endif
