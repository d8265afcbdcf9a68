/*
 * Internal: the engine's statistics (stats.c) and the queue_log export (queue_log.c).
 * Both are observers of the engine's events (acd/engine_int.h); the public side is
 * ccenter/stats.h.
 */
#ifndef CC_SLA_STATS_H
#define CC_SLA_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "ccenter/engine.h"

/* Creates the statistics of a new engine and attaches them (observer, owner slot).
 * 0 or CCENTER_ENOMEM / CCENTER_EBUSY, with nothing attached on failure. */
int cc_stats_attach(ccenter_engine *e);

/* For tests: contacts and customers the statistics are tracking, and agent work legs. */
size_t cc_stats_tracked_contacts(const ccenter_engine *e);
size_t cc_stats_tracked_customers(const ccenter_engine *e);
/* Bytes the statistics hold (records, their strings, maps), as cc_engine_memory() counts
 * the engine's: without the allocator's overhead. 0 without statistics. For benchmarks. */
size_t cc_stats_memory(const ccenter_engine *e);
/* For tests of the statistics' own part of a snapshot, apart from the engine's: their
 * observer (acd/observer.h), whose save and load members a test calls directly. */
struct cc_observer;
const struct cc_observer *cc_stats_observer(void);

/* The formatter behind ccenter_queue_log_format(); attended = 1 writes a transfer to an
 * agent as ATTENDEDTRANSFER. */
int cc_queue_log_format(const ccenter_event *ev, int64_t epoch_offset_ms, int attended,
                        char *buf, size_t len);

#endif
