/*
 * Internal: what the calendar's file loader (files/calendar_file.c) and the workflow module share with
 * calendar.c beyond the public API: civil-date arithmetic, the parse-error helper of the
 * text formats, and an all-or-nothing replacement of a calendar's offsets.
 */
#ifndef CC_TIME_CALENDAR_INT_H
#define CC_TIME_CALENDAR_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "ccenter/calendar.h"
#include "core/options.h"

#define CC_DAY_MS INT64_C(86400000)

/* One offset change: from instant `at` (ms, UTC) on, the offset is offset_s. */
typedef struct cc_cal_transition {
  int64_t at;
  int32_t offset_s;
} cc_cal_transition;

/* Days since 1970-01-01 of a proleptic Gregorian date, and back; any year that fits. */
int64_t cc_days_from_civil(int64_t y, int m, int d);
void cc_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
/* ISO weekday (1 = Monday) of a day number. */
int cc_weekday_of_days(int64_t days);
int cc_days_in_month(int64_t y, int m);

/* The instants the arithmetic accepts: [min, max), the years 1900..9999 in UTC. */
int64_t cc_calendar_min_t(void);
int64_t cc_calendar_max_t(void);

/* The allocator the calendar was made with. */
const cc_alloc *cc_calendar_alloc(const ccenter_calendar *cal);

/* Replaces the base offset and every transition at once. `tr` is sorted by `at`, strictly
 * increasing, each at in range and each offset within the limit; the caller checked.
 * Errors: CCENTER_EFULL, CCENTER_ENOMEM (the calendar is unchanged). */
int cc_calendar_replace_offsets(ccenter_calendar *cal, int32_t base_offset_s,
                                const cc_cal_transition *tr, size_t n);

/* Fills a parse error (err may be NULL): line, and "source:line: message" ("source:
 * message" for line 0). source NULL reads "<text>". */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
void cc_parse_error_set(ccenter_parse_error *err, const char *source, int line,
                        const char *fmt, ...);
void cc_parse_error_vset(ccenter_parse_error *err, const char *source, int line,
                         const char *fmt, va_list ap);

#endif
