/*
 * libccenter — business calendars: local time, opening hours, holidays and the deadline
 * arithmetic of bank workflows ("within 3 working days", "5 business days").
 *
 * A calendar maps instants to local civil time and says which local days are business
 * days and when on them it is open. All instants are int64 milliseconds since the Unix
 * epoch, UTC (a wall clock, not the routing engine's monotonic clock). Every computation
 * is exact to the millisecond; nothing here reads a clock or does I/O, except the two
 * loader functions marked "adapter" below.
 *
 * The model:
 * - Local time is UTC plus an offset: a base offset, changed at given instants by
 *   transitions (daylight saving). ccenter_calendar_load_tzif() fills transitions from the
 *   system's zoneinfo.
 * - A local date is a business day when its weekday has opening hours and it is not a
 *   holiday, or when it was added as an extra working day (China moves working days onto
 *   weekends around its holidays). An extra working day keeps the hours of the weekday
 *   named when it was added (so it is a business day while that weekday has hours).
 * - Opening hours are up to CCENTER_CALENDAR_MAX_INTERVALS intervals per weekday, in local
 *   milliseconds of the day (0 to 86,400,000). A new calendar has UTC, Monday to Friday
 *   open all day (00:00-24:00), Saturday and Sunday closed, no holidays.
 *
 * Not thread-safe: one thread at a time per calendar; concurrent reads of a calendar no
 * call is changing are safe.
 */
#ifndef CCENTER_CALENDAR_H
#define CCENTER_CALENDAR_H

#include "ccenter/common.h"
#include "ccenter/options.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An opaque business calendar. */
typedef struct ccenter_calendar ccenter_calendar;

/** Limits. Going past one of the first three gives CCENTER_EFULL; an offset beyond
 * CCENTER_CALENDAR_MAX_OFFSET_S gives CCENTER_ERANGE. */
#define CCENTER_CALENDAR_MAX_INTERVALS 8      /**< opening intervals per weekday */
#define CCENTER_CALENDAR_MAX_DATES 100000     /**< holidays plus extra working days */
#define CCENTER_CALENDAR_MAX_TRANSITIONS 100000 /**< offset transitions */
#define CCENTER_CALENDAR_MAX_OFFSET_S (18 * 3600) /**< |offset| in seconds */
/** Searches for a business day or an opening give up after this many local days
 * (CCENTER_ENOENT): a calendar that is never open has no next opening. */
#define CCENTER_CALENDAR_SEARCH_DAYS 3660
/** The calendar arithmetic accepts years 1900..9999 (CCENTER_ERANGE outside). */
#define CCENTER_CALENDAR_MIN_YEAR 1900
#define CCENTER_CALENDAR_MAX_YEAR 9999

/** Weekdays as ISO 8601 numbers. */
typedef enum ccenter_weekday {
  CCENTER_MONDAY = 1,
  CCENTER_TUESDAY = 2,
  CCENTER_WEDNESDAY = 3,
  CCENTER_THURSDAY = 4,
  CCENTER_FRIDAY = 5,
  CCENTER_SATURDAY = 6,
  CCENTER_SUNDAY = 7
} ccenter_weekday;

/** How ccenter_calendar_add_business_days() places its result on the last day. */
typedef enum ccenter_bday_mode {
  /** The close of that business day's last opening interval. */
  CCENTER_BDAY_END_OF_DAY = 0,
  /** The same local time of day as the start, on that business day (moved forward to
   * the first valid instant when the local time does not exist that day). */
  CCENTER_BDAY_SAME_TIME = 1
} ccenter_bday_mode;

/**
 * Local civil time. The caller allocates it and sets `size` to sizeof(ccenter_civil)
 * (the struct may grow; the library writes and reads only what `size` covers).
 */
typedef struct ccenter_civil {
  size_t size;
  int year;     /**< 1900..9999 */
  int month;    /**< 1..12 */
  int day;      /**< 1..31 */
  int hour;     /**< 0..23 */
  int minute;   /**< 0..59 */
  int second;   /**< 0..59 */
  int ms;       /**< 0..999 */
  int weekday;  /**< output only: ccenter_weekday */
  int32_t offset_s; /**< output only: the UTC offset in force, in seconds */
} ccenter_civil;

/**
 * A parse error, for the text formats of calendars and workflows. The caller allocates it
 * and sets `size` to sizeof(ccenter_parse_error). On CCENTER_ESYNTAX, `line` (1-based; 0
 * when the error is not on one line) and `message` ("source:line: what is wrong") are set.
 */
typedef struct ccenter_parse_error {
  size_t size;
  int line;
  char message[256];
} ccenter_parse_error;

/**
 * Creates a calendar with the defaults above. `name` (1..64 bytes of printable ASCII, no
 * space, no '#') names it for workflows. opts may be NULL (the C library's allocator);
 * only its allocator is used.
 * Errors: CCENTER_EINVAL (name or out NULL, bad name), CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_calendar_new(const ccenter_options *opts, const char *name,
                                        ccenter_calendar **out);

/** Frees a calendar. NULL does nothing. Since 0.2. */
CCENTER_EXPORT void ccenter_calendar_free(ccenter_calendar *cal);

/**
 * A deep copy with the same allocator. Errors: CCENTER_EINVAL, CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_calendar_clone(const ccenter_calendar *cal, ccenter_calendar **out);

/** The calendar's name; NULL for NULL. Since 0.2. */
CCENTER_EXPORT const char *ccenter_calendar_name(const ccenter_calendar *cal);

/**
 * Sets the base UTC offset (before the first transition), in seconds east of UTC.
 * Errors: CCENTER_EINVAL, CCENTER_ERANGE (|offset_s| > CCENTER_CALENDAR_MAX_OFFSET_S).
 * Since 0.2.
 */
CCENTER_EXPORT int ccenter_calendar_set_offset(ccenter_calendar *cal, int32_t offset_s);

/**
 * From instant `at` on, the UTC offset is offset_s. Transitions may be added in any order.
 * Errors: CCENTER_EINVAL, CCENTER_ERANGE (offset or instant out of range), CCENTER_EEXIST
 * (a transition at that instant), CCENTER_EFULL, CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_calendar_add_transition(ccenter_calendar *cal, int64_t at,
                                                   int32_t offset_s);

/**
 * Adds an opening interval [open_ms, close_ms) of local time to a weekday.
 * Errors: CCENTER_EINVAL (bad weekday; open_ms >= close_ms; overlaps an interval of that
 * day), CCENTER_ERANGE (outside 0..86,400,000), CCENTER_EFULL. Since 0.2.
 */
CCENTER_EXPORT int ccenter_calendar_add_hours(ccenter_calendar *cal, int weekday,
                                              int32_t open_ms, int32_t close_ms);

/** Removes every opening interval of a weekday: it is closed. Errors: CCENTER_EINVAL.
 * Since 0.2. */
CCENTER_EXPORT int ccenter_calendar_clear_hours(ccenter_calendar *cal, int weekday);

/**
 * Makes a local date a holiday (closed all day).
 * Errors: CCENTER_EINVAL (no such date), CCENTER_ERANGE (year), CCENTER_EEXIST (already a
 * holiday or an extra working day), CCENTER_EFULL, CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_calendar_add_holiday(ccenter_calendar *cal, int year, int month,
                                                int day);

/**
 * Makes a local date an extra working day, open with the hours of `as_weekday`.
 * Errors: as ccenter_calendar_add_holiday(); CCENTER_EINVAL also for a bad weekday.
 * Since 0.2.
 */
CCENTER_EXPORT int ccenter_calendar_add_working_day(ccenter_calendar *cal, int year,
                                                    int month, int day, int as_weekday);

/* ---------------------------------------------------------------------------------- */
/* Arithmetic. Every function leaves the calendar unchanged; *out is written only on   */
/* success. Common errors: CCENTER_EINVAL (NULL argument), CCENTER_ERANGE (an instant  */
/* or result outside the supported years).                                             */

/** The UTC offset in force at instant t. Since 0.2. */
CCENTER_EXPORT int ccenter_calendar_offset_at(const ccenter_calendar *cal, int64_t t,
                                              int32_t *offset_s);

/** Instant t as local civil time (out->size set by the caller; CCENTER_EINVAL when it is
 * smaller than sizeof(ccenter_civil) of 0.2). Since 0.2. */
CCENTER_EXPORT int ccenter_calendar_to_civil(const ccenter_calendar *cal, int64_t t,
                                             ccenter_civil *out);

/**
 * The instant of a local civil time (weekday and offset_s are ignored). A local time that
 * does not exist (skipped by a transition) maps to the instant the skip ends; a local time
 * that occurs twice maps to the earlier one. Errors: also CCENTER_EINVAL for an invalid
 * date or time. Since 0.2.
 */
CCENTER_EXPORT int ccenter_calendar_from_civil(const ccenter_calendar *cal,
                                               const ccenter_civil *in, int64_t *out);

/** 1 when the local date is a business day, 0 when not; or a negative error: also
 * CCENTER_EINVAL for a date that does not exist. Since 0.2. */
CCENTER_EXPORT int ccenter_calendar_is_business_day(const ccenter_calendar *cal, int year,
                                                    int month, int day);

/** 1 when the calendar is open at instant t, 0 when not; or a negative error. Since 0.2. */
CCENTER_EXPORT int ccenter_calendar_is_open(const ccenter_calendar *cal, int64_t t);

/**
 * The first instant >= t at which the calendar is open (t itself when open).
 * Errors: also CCENTER_ENOENT (no opening within CCENTER_CALENDAR_SEARCH_DAYS). Since 0.2.
 */
CCENTER_EXPORT int ccenter_calendar_next_open(const ccenter_calendar *cal, int64_t t,
                                              int64_t *out);

/**
 * n business days after t (n >= 0). Day 1 is the first business day after t's local
 * date; with n = 0 the result is on t's own date when that is a business day, otherwise
 * on the next one. `mode` places the result on that day. Errors: also CCENTER_EINVAL
 * (n < 0, bad mode), CCENTER_ENOENT (no business day found). Since 0.2.
 */
CCENTER_EXPORT int ccenter_calendar_add_business_days(const ccenter_calendar *cal, int64_t t,
                                                      int n, ccenter_bday_mode mode,
                                                      int64_t *out);

/**
 * The instant at which `ms` milliseconds of opening time have passed since t (ms >= 0).
 * Time before t's next opening does not count. With ms = 0 the result is
 * ccenter_calendar_next_open(t). Errors: also CCENTER_EINVAL (ms < 0), CCENTER_ENOENT.
 * Since 0.2.
 */
CCENTER_EXPORT int ccenter_calendar_add_business_time(const ccenter_calendar *cal,
                                                      int64_t t, int64_t ms, int64_t *out);

/**
 * The opening time, in milliseconds, between t0 and t1 (t0 <= t1).
 * Errors: also CCENTER_EINVAL (t0 > t1). Since 0.2.
 */
CCENTER_EXPORT int ccenter_calendar_business_time_between(const ccenter_calendar *cal,
                                                          int64_t t0, int64_t t1,
                                                          int64_t *ms);

/** The same local time n calendar days later (n may be negative). Since 0.2. */
CCENTER_EXPORT int ccenter_calendar_add_days(const ccenter_calendar *cal, int64_t t, int n,
                                             int64_t *out);

/**
 * The same local time n civil months later (n may be negative); a day past the end of the
 * target month is clamped to its last day (31 Aug + 6 months = 28 Feb). Since 0.2.
 */
CCENTER_EXPORT int ccenter_calendar_add_months(const ccenter_calendar *cal, int64_t t, int n,
                                               int64_t *out);

/* ---------------------------------------------------------------------------------- */
/* The text format (docs/calendars.md, "The text format").                            */

/**
 * Builds a calendar from its text form. `source` names the text in error messages (a
 * file name; NULL gives "<text>"). opts may be NULL. On CCENTER_ESYNTAX, err (may be
 * NULL) says where and what. Errors: CCENTER_EINVAL, CCENTER_ESYNTAX (including values
 * out of range and duplicates, reported at their line), CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_calendar_parse(const ccenter_options *opts, const char *text,
                                          size_t len, const char *source,
                                          ccenter_calendar **out, ccenter_parse_error *err);

/**
 * Writes the calendar's canonical text form into buf (NUL-terminated); parsing it gives an
 * equal calendar. *needed (may be NULL) receives the length without the NUL.
 * Errors: CCENTER_EINVAL, CCENTER_ERANGE (buf too small: buf is untouched, *needed says
 * how much is needed without the NUL). buf may be NULL with size 0 to ask for the size
 * (that call returns CCENTER_ERANGE). Since 0.2.
 */
CCENTER_EXPORT int ccenter_calendar_write(const ccenter_calendar *cal, char *buf, size_t size,
                                          size_t *needed);

/**
 * Adapter (does file I/O): reads and parses a calendar file. Errors: as
 * ccenter_calendar_parse(), and CCENTER_EIO (the file cannot be read; err says why).
 * Since 0.2.
 */
CCENTER_EXPORT int ccenter_calendar_load_file(const ccenter_options *opts, const char *path,
                                              ccenter_calendar **out,
                                              ccenter_parse_error *err);

/**
 * Adapter (does file I/O): sets the calendar's base offset and transitions from a TZif
 * file (RFC 8536, versions 1-3): `zone` is a path, or a name such as "Europe/London"
 * looked up under /usr/share/zoneinfo. Transitions in [from, to) are kept; the offset in
 * force at `from` becomes the base offset. Past the file's last transition the rule of its
 * footer (a POSIX TZ string, versions 2+) supplies them. Replaces the calendar's offsets
 * only when the whole file was read. Errors: CCENTER_EINVAL (also from > to, either
 * outside the supported years, or a zone name with ".."), CCENTER_EIO (cannot read),
 * CCENTER_ECORRUPT (not a valid TZif file, or an offset beyond
 * CCENTER_CALENDAR_MAX_OFFSET_S), CCENTER_EFULL, CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_calendar_load_tzif(ccenter_calendar *cal, const char *zone,
                                              int64_t from, int64_t to);

#ifdef __cplusplus
}
#endif
#endif /* CCENTER_CALENDAR_H */
