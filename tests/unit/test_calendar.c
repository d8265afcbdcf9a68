/* Business calendars: the model and its setters, civil time across DST gaps and overlaps,
   the business-day and business-time arithmetic (the worked examples of the shipped China,
   England and Wales and US calendars), the text format and its errors, the TZif loader on
   real and broken zone files, allocation failure, a property test of business time, and
   random calendars against a plain model of the documented rules. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ccenter/calendar.h"
#include "ccenter/options.h"
#include "harness.h"
#include "time/calendar_int.h"

#define H (INT64_C(3600000))
#define MIN (INT64_C(60000))

/* An instant from a UTC date and time. */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
  return cc_days_from_civil(y, mo, d) * CC_DAY_MS + h * H + mi * MIN;
}

static char *text_of(const ccenter_calendar *cal)
{
  size_t n = 0;
  ck_assert_int_eq(ccenter_calendar_write(cal, NULL, 0, &n), CCENTER_ERANGE);
  char *buf = malloc(n + 1);
  ck_assert_ptr_nonnull(buf);
  ck_assert_int_eq(ccenter_calendar_write(cal, buf, n + 1, NULL), 0);
  ck_assert_uint_eq(strlen(buf), n);
  return buf;
}

/* Asserts that a failing call left the calendar as `before` says it was. */
static void same_as(const ccenter_calendar *cal, const char *before)
{
  char *now = text_of(cal);
  ck_assert_str_eq(now, before);
  free(now);
}

static ccenter_calendar *new_cal(const char *name)
{
  ccenter_calendar *cal = NULL;
  ck_assert_int_eq(ccenter_calendar_new(NULL, name, &cal), 0);
  return cal;
}

static ccenter_calendar *load_data(const char *file)
{
  const char *dir = getenv("CCENTER_DATA_DIR");
  ck_assert_ptr_nonnull(dir);
  char path[1024];
  snprintf(path, sizeof path, "%s/calendars/%s", dir, file);
  ccenter_parse_error err = {.size = sizeof err};
  ccenter_calendar *cal = NULL;
  int rc = ccenter_calendar_load_file(NULL, path, &cal, &err);
  if (rc)
    ck_abort_msg("%s: %s", path, err.message);
  return cal;
}

static ccenter_civil civil(int y, int mo, int d, int h, int mi)
{
  ccenter_civil c;
  memset(&c, 0, sizeof c);
  c.size = sizeof c;
  c.year = y;
  c.month = mo;
  c.day = d;
  c.hour = h;
  c.minute = mi;
  return c;
}

static int64_t local(const ccenter_calendar *cal, int y, int mo, int d, int h, int mi)
{
  ccenter_civil c = civil(y, mo, d, h, mi);
  int64_t t = 0;
  ck_assert_int_eq(ccenter_calendar_from_civil(cal, &c, &t), 0);
  return t;
}

static int32_t offset_of(const ccenter_calendar *cal, int64_t t)
{
  int32_t off = INT32_MIN;
  ck_assert_int_eq(ccenter_calendar_offset_at(cal, t, &off), 0);
  return off;
}

/* Opening time between local midnights of two dates of 2026. */
static int64_t open_ms(const ccenter_calendar *cal, int mo0, int d0, int mo1, int d1)
{
  int64_t ms = -1;
  ck_assert_int_eq(ccenter_calendar_business_time_between(cal, local(cal, 2026, mo0, d0, 0, 0),
                                                          local(cal, 2026, mo1, d1, 0, 0), &ms),
                   0);
  return ms;
}

/* ---- the object and its setters ------------------------------------------------- */

START_TEST(new_defaults_and_names)
{
  ccenter_calendar *cal = new_cal("CN-2026");
  ck_assert_str_eq(ccenter_calendar_name(cal), "CN-2026");
  ck_assert_ptr_null(ccenter_calendar_name(NULL));
  /* Monday to Friday all day, the weekend closed, UTC. 2026-01-05 is a Monday. */
  for (int d = 5; d <= 11; d++)
    ck_assert_int_eq(ccenter_calendar_is_business_day(cal, 2026, 1, d), d <= 9);
  ck_assert_int_eq(ccenter_calendar_is_open(cal, utc(2026, 1, 5, 0, 0)), 1);
  ck_assert_int_eq(ccenter_calendar_is_open(cal, utc(2026, 1, 9, 23, 59)), 1);
  ck_assert_int_eq(ccenter_calendar_is_open(cal, utc(2026, 1, 10, 0, 0)), 0);
  char *text = text_of(cal);
  ck_assert_str_eq(text, "calendar CN-2026\noffset +00:00\n"
                         "hours mon 00:00-24:00\nhours tue 00:00-24:00\nhours wed 00:00-24:00\n"
                         "hours thu 00:00-24:00\nhours fri 00:00-24:00\nhours sat closed\n"
                         "hours sun closed\n");
  free(text);

  ccenter_calendar *out = (ccenter_calendar *)&out;
  char long_name[66];
  memset(long_name, 'x', 65);
  long_name[65] = '\0';
  const char *bad[] = {"", "a b", "tab\there", "#x", "a#b", long_name, "caf\xc3\xa9"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ck_assert_int_eq(ccenter_calendar_new(NULL, bad[i], &out), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_new(NULL, NULL, &out), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_new(NULL, "x", NULL), CCENTER_EINVAL);
  ck_assert_ptr_eq(out, (ccenter_calendar *)&out);
  long_name[64] = '\0';
  ccenter_calendar *c64 = new_cal(long_name);
  ccenter_calendar_free(c64);
  ccenter_calendar_free(cal);
  ccenter_calendar_free(NULL);
}
END_TEST

START_TEST(setters_validate_and_change_nothing_on_error)
{
  ccenter_calendar *cal = new_cal("t");
  ck_assert_int_eq(ccenter_calendar_add_transition(cal, utc(2026, 3, 29, 1, 0), 3600), 0);
  ck_assert_int_eq(ccenter_calendar_add_holiday(cal, 2026, 1, 1), 0);
  char *before = text_of(cal);

  ck_assert_int_eq(ccenter_calendar_set_offset(NULL, 0), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_set_offset(cal, 18 * 3600 + 1), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_calendar_set_offset(cal, -18 * 3600 - 1), CCENTER_ERANGE);

  ck_assert_int_eq(ccenter_calendar_add_transition(NULL, 0, 0), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_add_transition(cal, 0, 19 * 3600), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_calendar_add_transition(cal, utc(1899, 12, 31, 23, 59), 0),
                   CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_calendar_add_transition(cal, cc_calendar_max_t(), 0), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_calendar_add_transition(cal, utc(2026, 3, 29, 1, 0), 0),
                   CCENTER_EEXIST);

  ck_assert_int_eq(ccenter_calendar_add_hours(NULL, 1, 0, 1), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_add_hours(cal, 0, 0, 1), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_add_hours(cal, 8, 0, 1), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_add_hours(cal, 6, -1, 1), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_calendar_add_hours(cal, 6, 0, 86400001), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_calendar_add_hours(cal, 6, 5, 5), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_add_hours(cal, 6, 6, 5), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_add_hours(cal, 1, 3600000, 7200000), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_clear_hours(cal, 0), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_clear_hours(NULL, 1), CCENTER_EINVAL);

  ck_assert_int_eq(ccenter_calendar_add_holiday(NULL, 2026, 1, 2), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_add_holiday(cal, 2026, 2, 29), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_add_holiday(cal, 2026, 13, 1), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_add_holiday(cal, 2026, 4, 31), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_add_holiday(cal, 1899, 12, 31), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_calendar_add_holiday(cal, 10000, 1, 1), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_calendar_add_holiday(cal, 2026, 1, 1), CCENTER_EEXIST);
  ck_assert_int_eq(ccenter_calendar_add_working_day(cal, 2026, 1, 1, 1), CCENTER_EEXIST);
  ck_assert_int_eq(ccenter_calendar_add_working_day(cal, 2026, 1, 3, 0), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_add_working_day(cal, 2026, 1, 3, 8), CCENTER_EINVAL);
  same_as(cal, before);

  /* Intervals: sorted on insertion, touching is not overlapping, at most eight. */
  ck_assert_int_eq(ccenter_calendar_clear_hours(cal, 6), 0);
  for (int i = 7; i >= 0; i--)
    ck_assert_int_eq(ccenter_calendar_add_hours(cal, 6, i * 3600000, (i + 1) * 3600000), 0);
  char *eight = text_of(cal);
  ck_assert_ptr_nonnull(strstr(eight, "hours sat 00:00-01:00 01:00-02:00 02:00-03:00"));
  ck_assert_int_eq(ccenter_calendar_add_hours(cal, 6, 9 * 3600000, 10 * 3600000), CCENTER_EFULL);
  same_as(cal, eight);
  free(eight);
  free(before);
  ccenter_calendar_free(cal);
}
END_TEST

START_TEST(limits_give_efull)
{
  ccenter_calendar *cal = new_cal("full");
  int64_t day = cc_days_from_civil(1900, 1, 1);
  for (int i = 0; i < CCENTER_CALENDAR_MAX_DATES; i++) {
    int64_t y;
    int m, d;
    cc_civil_from_days(day + i, &y, &m, &d);
    ck_assert_int_eq(i % 2 ? ccenter_calendar_add_holiday(cal, (int)y, m, d)
                           : ccenter_calendar_add_working_day(cal, (int)y, m, d, 3), 0);
  }
  ck_assert_int_eq(ccenter_calendar_add_holiday(cal, 2200, 1, 1), CCENTER_EFULL);
  for (int i = 0; i < CCENTER_CALENDAR_MAX_TRANSITIONS; i++)
    ck_assert_int_eq(ccenter_calendar_add_transition(cal, utc(2000, 1, 1, 0, 0) + i * H, 0), 0);
  ck_assert_int_eq(ccenter_calendar_add_transition(cal, utc(1990, 1, 1, 0, 0), 0), CCENTER_EFULL);
  /* The largest calendar still writes and parses back. */
  char *text = text_of(cal);
  ccenter_calendar *back = NULL;
  ck_assert_int_eq(ccenter_calendar_parse(NULL, text, strlen(text), NULL, &back, NULL), 0);
  same_as(back, text);
  free(text);
  ccenter_calendar_free(back);
  ccenter_calendar_free(cal);
}
END_TEST

START_TEST(clone_is_deep)
{
  ccenter_calendar *cal = load_data("gb-eaw-2026.cal");
  ccenter_calendar *copy = NULL;
  ck_assert_int_eq(ccenter_calendar_clone(NULL, &copy), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_clone(cal, NULL), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_clone(cal, &copy), 0);
  char *a = text_of(cal);
  same_as(copy, a);
  ck_assert_int_eq(ccenter_calendar_add_holiday(copy, 2026, 7, 1), 0);
  same_as(cal, a);
  ccenter_calendar_free(cal);
  ck_assert_int_eq(ccenter_calendar_is_business_day(copy, 2026, 12, 25), 0);
  ccenter_calendar_free(copy);
  free(a);
}
END_TEST

/* ---- civil time ----------------------------------------------------------------- */

START_TEST(days_from_civil_matches_known_dates)
{
  ck_assert_int_eq(cc_days_from_civil(1970, 1, 1), 0);
  ck_assert_int_eq(cc_days_from_civil(1900, 1, 1), -25567);
  ck_assert_int_eq(cc_days_from_civil(2000, 3, 1), 11017);
  ck_assert_int_eq(cc_days_from_civil(10000, 1, 1), 2932897);
  ck_assert_int_eq(cc_calendar_min_t(), INT64_C(-25567) * CC_DAY_MS);
  ck_assert_int_eq(cc_calendar_max_t(), INT64_C(2932897) * CC_DAY_MS);
  ck_assert_int_eq(cc_weekday_of_days(0), CCENTER_THURSDAY);
  ck_assert_int_eq(cc_weekday_of_days(cc_days_from_civil(2026, 9, 30)), CCENTER_WEDNESDAY);
  ck_assert_int_eq(cc_weekday_of_days(cc_days_from_civil(1900, 1, 1)), CCENTER_MONDAY);
  /* Every day of the range round-trips and follows the one before; every Monday is one.
     (Plain checks: Check's assertions are too slow for 3 million days.) */
  int64_t bad = 0, py = 1899;
  int pm = 12, pd = 31;
  for (int64_t d = cc_days_from_civil(1900, 1, 1); d <= cc_days_from_civil(9999, 12, 31); d++) {
    int64_t y;
    int m, dd;
    cc_civil_from_days(d, &y, &m, &dd);
    int next = (y == py && m == pm && dd == pd + 1) || (y == py && m == pm + 1 && dd == 1 &&
                                                        pd == cc_days_in_month(py, pm)) ||
               (y == py + 1 && m == 1 && dd == 1 && pm == 12 && pd == 31);
    if (!next || cc_days_from_civil(y, m, dd) != d ||
        (cc_weekday_of_days(d) == CCENTER_MONDAY) != ((d - cc_days_from_civil(1900, 1, 1)) % 7 == 0))
      bad++;
    py = y;
    pm = m;
    pd = dd;
  }
  ck_assert_int_eq(bad, 0);
  ck_assert_int_eq(py, 9999);
}
END_TEST

START_TEST(civil_conversions_and_errors)
{
  ccenter_calendar *cal = load_data("cn-2026.cal");
  ccenter_civil c;
  memset(&c, 0, sizeof c);
  c.size = sizeof c;
  int64_t t = utc(2026, 9, 30, 6, 0) + 1234;
  ck_assert_int_eq(ccenter_calendar_to_civil(cal, t, &c), 0);
  ck_assert_int_eq(c.year, 2026);
  ck_assert_int_eq(c.month, 9);
  ck_assert_int_eq(c.day, 30);
  ck_assert_int_eq(c.hour, 14);
  ck_assert_int_eq(c.minute, 0);
  ck_assert_int_eq(c.second, 1);
  ck_assert_int_eq(c.ms, 234);
  ck_assert_int_eq(c.weekday, CCENTER_WEDNESDAY);
  ck_assert_int_eq(c.offset_s, 8 * 3600);
  int64_t back = 0;
  ck_assert_int_eq(ccenter_calendar_from_civil(cal, &c, &back), 0);
  ck_assert_int_eq(back, t);
  int32_t off = 0;
  ck_assert_int_eq(ccenter_calendar_offset_at(cal, t, &off), 0);
  ck_assert_int_eq(off, 8 * 3600);

  /* Errors leave the outputs alone. */
  ccenter_civil keep = c;
  ck_assert_int_eq(ccenter_calendar_to_civil(NULL, t, &c), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_to_civil(cal, t, NULL), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_to_civil(cal, cc_calendar_max_t(), &c), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_calendar_to_civil(cal, cc_calendar_min_t() - 1, &c), CCENTER_ERANGE);
  c.size = offsetof(ccenter_civil, offset_s);
  ck_assert_int_eq(ccenter_calendar_to_civil(cal, t, &c), CCENTER_EINVAL);
  c.size = sizeof c;
  ck_assert_mem_eq(&c, &keep, sizeof c);
  /* A larger caller struct gets its unknown tail zeroed. */
  struct {
    ccenter_civil c;
    int extra;
  } big;
  memset(&big, 0xff, sizeof big);
  big.c.size = sizeof big;
  ck_assert_int_eq(ccenter_calendar_to_civil(cal, t, &big.c), 0);
  ck_assert_int_eq(big.extra, 0);
  ck_assert_int_eq(big.c.size, sizeof big);

  int64_t out = 42;
  /* 1900-01-01 00:00 at UTC+8 is before the first supported instant. */
  static const struct {
    int y, mo, d, h, mi, s, ms, rc;
  } bad_civil[] = {
      {2026, 2, 29, 0, 0, 0, 0, CCENTER_EINVAL}, {2026, 1, 1, 24, 0, 0, 0, CCENTER_EINVAL},
      {2026, 1, 1, 0, 60, 0, 0, CCENTER_EINVAL}, {2026, 1, 1, 0, 0, 60, 0, CCENTER_EINVAL},
      {2026, 1, 1, 0, 0, 0, 1000, CCENTER_EINVAL}, {2026, 1, 1, -1, 0, 0, 0, CCENTER_EINVAL},
      {1899, 12, 31, 0, 0, 0, 0, CCENTER_ERANGE}, {1900, 1, 1, 0, 0, 0, 0, CCENTER_ERANGE},
  };
  for (size_t i = 0; i < sizeof bad_civil / sizeof bad_civil[0]; i++) {
    ccenter_civil bad = civil(bad_civil[i].y, bad_civil[i].mo, bad_civil[i].d, bad_civil[i].h,
                              bad_civil[i].mi);
    bad.second = bad_civil[i].s;
    bad.ms = bad_civil[i].ms;
    ck_assert_int_eq(ccenter_calendar_from_civil(cal, &bad, &out), bad_civil[i].rc);
  }
  ccenter_civil bad = civil(2026, 1, 1, 0, 0);
  bad.size = 4;
  ck_assert_int_eq(ccenter_calendar_from_civil(cal, &bad, &out), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_from_civil(NULL, &c, &out), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_offset_at(cal, t, NULL), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_offset_at(cal, cc_calendar_max_t(), &off), CCENTER_ERANGE);
  ck_assert_int_eq(out, 42);
  ck_assert_int_eq(off, 8 * 3600);
  ccenter_calendar_free(cal);
}
END_TEST

START_TEST(dst_gap_and_overlap_london)
{
  ccenter_calendar *cal = load_data("gb-eaw-2026.cal");
  ck_assert_int_eq(offset_of(cal, utc(2026, 3, 29, 0, 59)), 0);
  ck_assert_int_eq(offset_of(cal, utc(2026, 3, 29, 1, 0)), 3600);
  ck_assert_int_eq(offset_of(cal, utc(2026, 10, 25, 1, 0)), 0);
  /* 01:30 on 29 March does not exist: the skip ends at 01:00 UTC (02:00 BST). */
  ck_assert_int_eq(local(cal, 2026, 3, 29, 1, 30), utc(2026, 3, 29, 1, 0));
  ck_assert_int_eq(local(cal, 2026, 3, 29, 0, 59), utc(2026, 3, 29, 0, 59));
  ck_assert_int_eq(local(cal, 2026, 3, 29, 2, 0), utc(2026, 3, 29, 1, 0));
  /* 01:30 on 25 October happens twice: BST first (00:30 UTC). */
  ck_assert_int_eq(local(cal, 2026, 10, 25, 1, 30), utc(2026, 10, 25, 0, 30));
  ck_assert_int_eq(local(cal, 2026, 10, 25, 2, 0), utc(2026, 10, 25, 2, 0));
  ccenter_civil c = {.size = sizeof c};
  ck_assert_int_eq(ccenter_calendar_to_civil(cal, utc(2026, 10, 25, 1, 30), &c), 0);
  ck_assert_int_eq(c.hour, 1);
  ck_assert_int_eq(c.minute, 30);
  ck_assert_int_eq(c.offset_s, 0);
  ck_assert_int_eq(c.weekday, CCENTER_SUNDAY);
  ccenter_calendar_free(cal);
}
END_TEST

START_TEST(dst_gap_and_overlap_new_york)
{
  ccenter_calendar *cal = load_data("us-frb-2026.cal");
  ck_assert_int_eq(local(cal, 2026, 3, 8, 1, 59), utc(2026, 3, 8, 6, 59));
  ck_assert_int_eq(local(cal, 2026, 3, 8, 2, 30), utc(2026, 3, 8, 7, 0));
  ck_assert_int_eq(local(cal, 2026, 3, 8, 3, 0), utc(2026, 3, 8, 7, 0));
  ck_assert_int_eq(local(cal, 2026, 11, 1, 1, 30), utc(2026, 11, 1, 5, 30));
  ck_assert_int_eq(local(cal, 2026, 11, 1, 2, 0), utc(2026, 11, 1, 7, 0));
  ck_assert_int_eq(local(cal, 2026, 7, 1, 9, 0), utc(2026, 7, 1, 13, 0));
  ck_assert_int_eq(local(cal, 2026, 12, 1, 9, 0), utc(2026, 12, 1, 14, 0));
  ccenter_calendar_free(cal);
}
END_TEST

/* ---- business days -------------------------------------------------------------- */

START_TEST(china_worked_example)
{
  ccenter_calendar *cal = load_data("cn-2026.cal");
  /* Received Wed 30 Sep 2026 14:00 (UTC+8); three working days after it are Thu 8 Oct,
     Fri 9 Oct and Sat 10 Oct (an extra working day). */
  int64_t t = local(cal, 2026, 9, 30, 14, 0);
  int64_t out = 0;
  ck_assert_int_eq(ccenter_calendar_add_business_days(cal, t, 3, CCENTER_BDAY_END_OF_DAY, &out), 0);
  ck_assert_int_eq(out, local(cal, 2026, 10, 10, 17, 0));
  ck_assert_int_eq(ccenter_calendar_add_business_days(cal, t, 3, CCENTER_BDAY_SAME_TIME, &out), 0);
  ck_assert_int_eq(out, local(cal, 2026, 10, 10, 14, 0));
  ck_assert_int_eq(ccenter_calendar_add_business_days(cal, t, 1, CCENTER_BDAY_END_OF_DAY, &out), 0);
  ck_assert_int_eq(out, local(cal, 2026, 10, 8, 17, 0));
  ck_assert_int_eq(ccenter_calendar_add_business_days(cal, t, 0, CCENTER_BDAY_END_OF_DAY, &out), 0);
  ck_assert_int_eq(out, local(cal, 2026, 9, 30, 17, 0));
  /* From inside the holiday, day 0 is the next business day. */
  t = local(cal, 2026, 10, 3, 10, 0);
  ck_assert_int_eq(ccenter_calendar_add_business_days(cal, t, 0, CCENTER_BDAY_SAME_TIME, &out), 0);
  ck_assert_int_eq(out, local(cal, 2026, 10, 8, 10, 0));
  ck_assert_int_eq(ccenter_calendar_is_business_day(cal, 2026, 10, 10), 1);
  ck_assert_int_eq(ccenter_calendar_is_business_day(cal, 2026, 10, 7), 0);
  ck_assert_int_eq(ccenter_calendar_is_business_day(cal, 2026, 9, 20), 1);
  ck_assert_int_eq(ccenter_calendar_is_business_day(cal, 2026, 10, 11), 0);

  /* Spring Festival: Fri 13 Feb + 1 = Sat 14 Feb (extra working day); + 2 = Tue 24 Feb. */
  t = local(cal, 2026, 2, 13, 11, 0);
  ck_assert_int_eq(ccenter_calendar_add_business_days(cal, t, 1, CCENTER_BDAY_SAME_TIME, &out), 0);
  ck_assert_int_eq(out, local(cal, 2026, 2, 14, 11, 0));
  ck_assert_int_eq(ccenter_calendar_add_business_days(cal, t, 2, CCENTER_BDAY_END_OF_DAY, &out), 0);
  ck_assert_int_eq(out, local(cal, 2026, 2, 24, 17, 0));
  /* Each fact of the notice, as business days. */
  static const int off_days[][2] = {{1, 1}, {1, 2}, {1, 3}, {2, 15}, {2, 16}, {2, 17}, {2, 18},
                                    {2, 19}, {2, 20}, {2, 21}, {2, 22}, {2, 23}, {4, 4},
                                    {4, 5}, {4, 6}, {5, 1}, {5, 2}, {5, 3}, {5, 4}, {5, 5},
                                    {6, 19}, {6, 20}, {6, 21}, {9, 25}, {9, 26}, {9, 27},
                                    {10, 1}, {10, 2}, {10, 3}, {10, 4}, {10, 5}, {10, 6},
                                    {10, 7}};
  for (size_t i = 0; i < sizeof off_days / sizeof off_days[0]; i++)
    ck_assert_int_eq(ccenter_calendar_is_business_day(cal, 2026, off_days[i][0], off_days[i][1]),
                     0);
  static const int extra[][2] = {{1, 4}, {2, 14}, {2, 28}, {5, 9}, {9, 20}, {10, 10}};
  for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
    ck_assert_int_eq(ccenter_calendar_is_business_day(cal, 2026, extra[i][0], extra[i][1]), 1);
  /* 248 business days in 2026 under this notice. */
  int count = 0;
  for (int64_t d = cc_days_from_civil(2026, 1, 1); d < cc_days_from_civil(2027, 1, 1); d++) {
    int64_t y;
    int m, dd;
    cc_civil_from_days(d, &y, &m, &dd);
    count += ccenter_calendar_is_business_day(cal, (int)y, m, dd);
  }
  ck_assert_int_eq(count, 248);
  ccenter_calendar_free(cal);
}
END_TEST

START_TEST(business_days_errors)
{
  ccenter_calendar *cal = new_cal("closed");
  for (int wd = 1; wd <= 7; wd++)
    ck_assert_int_eq(ccenter_calendar_clear_hours(cal, wd), 0);
  int64_t out = 7, t = utc(2026, 1, 1, 0, 0);
  ck_assert_int_eq(ccenter_calendar_add_business_days(cal, t, 1, CCENTER_BDAY_END_OF_DAY, &out),
                   CCENTER_ENOENT);
  /* An extra working day on a weekday without hours opens nothing. */
  ck_assert_int_eq(ccenter_calendar_add_working_day(cal, 2026, 1, 2, CCENTER_MONDAY), 0);
  ck_assert_int_eq(ccenter_calendar_is_business_day(cal, 2026, 1, 2), 0);
  ck_assert_int_eq(ccenter_calendar_add_hours(cal, CCENTER_MONDAY, 0, 3600000), 0);
  ck_assert_int_eq(ccenter_calendar_is_business_day(cal, 2026, 1, 2), 1);
  ck_assert_int_eq(ccenter_calendar_add_business_days(cal, t, 1, CCENTER_BDAY_END_OF_DAY, &out), 0);
  ck_assert_int_eq(out, utc(2026, 1, 2, 1, 0));
  ck_assert_int_eq(ccenter_calendar_add_business_days(cal, t, -1, CCENTER_BDAY_END_OF_DAY, &out),
                   CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_add_business_days(cal, t, 1, (ccenter_bday_mode)2, &out),
                   CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_add_business_days(NULL, t, 1, CCENTER_BDAY_END_OF_DAY, &out),
                   CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_add_business_days(cal, t, 1, CCENTER_BDAY_END_OF_DAY, NULL),
                   CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_add_business_days(cal, cc_calendar_max_t(), 1,
                                                      CCENTER_BDAY_END_OF_DAY, &out),
                   CCENTER_ERANGE);
  ck_assert_int_eq(out, utc(2026, 1, 2, 1, 0));
  /* Past the last supported date. */
  ccenter_calendar *open = new_cal("open");
  ck_assert_int_eq(ccenter_calendar_add_business_days(open, utc(9999, 12, 30, 0, 0), 5,
                                                      CCENTER_BDAY_END_OF_DAY, &out),
                   CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_calendar_add_business_days(open, t, INT32_MAX, CCENTER_BDAY_END_OF_DAY,
                                                      &out),
                   CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_calendar_is_business_day(NULL, 2026, 1, 1), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_is_business_day(open, 2026, 2, 30), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_is_business_day(open, 1800, 1, 1), CCENTER_ERANGE);
  ccenter_calendar_free(open);
  ccenter_calendar_free(cal);
}
END_TEST

START_TEST(business_days_keep_local_time_across_dst)
{
  ccenter_calendar *cal = load_data("us-frb-2026.cal");
  /* Fri 6 Mar 10:00 EST + 1 business day = Mon 9 Mar 10:00 EDT. */
  int64_t out = 0;
  ck_assert_int_eq(ccenter_calendar_add_business_days(cal, local(cal, 2026, 3, 6, 10, 0), 1,
                                                      CCENTER_BDAY_SAME_TIME, &out),
                   0);
  ck_assert_int_eq(out, utc(2026, 3, 9, 14, 0));
  /* Fri 3 Jul is a business day; Thanksgiving is not. */
  ck_assert_int_eq(ccenter_calendar_is_business_day(cal, 2026, 7, 3), 1);
  ck_assert_int_eq(ccenter_calendar_add_business_days(cal, local(cal, 2026, 11, 25, 9, 0), 1,
                                                      CCENTER_BDAY_END_OF_DAY, &out),
                   0);
  ck_assert_int_eq(out, local(cal, 2026, 11, 27, 17, 0));
  /* SAME_TIME onto a day where that local time is skipped moves forward. */
  ccenter_calendar *gb = load_data("gb-eaw-2026.cal");
  ck_assert_int_eq(ccenter_calendar_add_hours(gb, CCENTER_SUNDAY, 0, 86400000), 0);
  ck_assert_int_eq(ccenter_calendar_add_business_days(gb, utc(2026, 3, 27, 1, 30), 1,
                                                      CCENTER_BDAY_SAME_TIME, &out),
                   0);
  ck_assert_int_eq(out, utc(2026, 3, 29, 1, 0));
  ccenter_calendar_free(gb);
  ccenter_calendar_free(cal);
}
END_TEST

/* ---- business time -------------------------------------------------------------- */

START_TEST(business_time_across_nights_weekends_holidays)
{
  ccenter_calendar *cal = load_data("gb-eaw-2026.cal");
  /* Thu 2 Apr 16:00 BST + 2 h: one hour on Thursday; Good Friday and Easter Monday are
     holidays; the second hour ends Tue 7 Apr 10:00 BST. */
  int64_t t = local(cal, 2026, 4, 2, 16, 0), out = 0, ms = 0;
  ck_assert_int_eq(ccenter_calendar_add_business_time(cal, t, 2 * H, &out), 0);
  ck_assert_int_eq(out, local(cal, 2026, 4, 7, 10, 0));
  ck_assert_int_eq(ccenter_calendar_business_time_between(cal, t, out, &ms), 0);
  ck_assert_int_eq(ms, 2 * H);
  /* Exactly to the close, then over a night. */
  ck_assert_int_eq(ccenter_calendar_add_business_time(cal, t, H, &out), 0);
  ck_assert_int_eq(out, local(cal, 2026, 4, 2, 17, 0));
  ck_assert_int_eq(ccenter_calendar_add_business_time(cal, local(cal, 2026, 4, 8, 16, 30), 8 * H,
                                                      &out), 0);
  ck_assert_int_eq(out, local(cal, 2026, 4, 9, 16, 30));
  /* Time before the opening does not count; ms = 0 is the next opening. */
  ck_assert_int_eq(ccenter_calendar_add_business_time(cal, local(cal, 2026, 4, 4, 12, 0), 0, &out),
                   0);
  ck_assert_int_eq(out, local(cal, 2026, 4, 7, 9, 0));
  ck_assert_int_eq(ccenter_calendar_add_business_time(cal, local(cal, 2026, 4, 4, 12, 0), 1, &out),
                   0);
  ck_assert_int_eq(out, local(cal, 2026, 4, 7, 9, 0) + 1);
  /* A whole working week of 2026 in England: 5 x 8 h, the week of 13 April. */
  ck_assert_int_eq(open_ms(cal, 4, 12, 4, 19), 40 * H);
  /* Christmas week: Mon 21 to Thu 24 open, Fri 25 and Mon 28 closed. */
  ck_assert_int_eq(open_ms(cal, 12, 21, 12, 29), 4 * 8 * H);
  ck_assert_int_eq(ccenter_calendar_business_time_between(cal, t, t, &ms), 0);
  ck_assert_int_eq(ms, 0);

  int64_t keep = out;
  ck_assert_int_eq(ccenter_calendar_add_business_time(cal, t, -1, &out), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_add_business_time(NULL, t, 1, &out), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_add_business_time(cal, t, 1, NULL), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_add_business_time(cal, cc_calendar_min_t() - 1, 1, &out),
                   CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_calendar_add_business_time(cal, t, INT64_MAX, &out), CCENTER_ERANGE);
  ck_assert_int_eq(out, keep);
  ck_assert_int_eq(ccenter_calendar_business_time_between(cal, t + 1, t, &ms), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_business_time_between(NULL, t, t, &ms), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_business_time_between(cal, t, t, NULL), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_business_time_between(cal, t, cc_calendar_max_t(), &ms),
                   CCENTER_ERANGE);
  ck_assert_int_eq(ms, 0);

  ccenter_calendar *closed = new_cal("closed");
  for (int wd = 1; wd <= 7; wd++)
    ccenter_calendar_clear_hours(closed, wd);
  ck_assert_int_eq(ccenter_calendar_add_business_time(closed, t, 1, &out), CCENTER_ENOENT);
  ck_assert_int_eq(ccenter_calendar_business_time_between(closed, t, t + 1000 * H, &ms), 0);
  ck_assert_int_eq(ms, 0);
  ccenter_calendar_free(closed);
  ccenter_calendar_free(cal);
}
END_TEST

START_TEST(business_time_over_dst_changes)
{
  /* Open all day every day in London: the spring Sunday has 23 h, the autumn one 25 h. */
  ccenter_calendar *cal = load_data("gb-eaw-2026.cal");
  for (int wd = 1; wd <= 7; wd++) {
    ccenter_calendar_clear_hours(cal, wd);
    ck_assert_int_eq(ccenter_calendar_add_hours(cal, wd, 0, 86400000), 0);
  }
  ck_assert_int_eq(open_ms(cal, 3, 29, 3, 30), 23 * H);
  ck_assert_int_eq(open_ms(cal, 10, 25, 10, 26), 25 * H);
  /* An interval that lies in the skipped hour opens nothing that day. */
  ccenter_calendar_clear_hours(cal, CCENTER_SUNDAY);
  ck_assert_int_eq(ccenter_calendar_add_hours(cal, CCENTER_SUNDAY, 3600000, 7200000), 0);
  ck_assert_int_eq(open_ms(cal, 3, 29, 3, 30), 0);
  ck_assert_int_eq(open_ms(cal, 10, 25, 10, 26), 2 * H); /* 01:00-02:00 BST, then 01:00-02:00 GMT */
  ccenter_calendar_free(cal);
}
END_TEST

START_TEST(next_open_and_is_open)
{
  ccenter_calendar *cal = load_data("gb-eaw-2026.cal");
  int64_t out = 0;
  int64_t sat = local(cal, 2026, 5, 2, 12, 0);
  ck_assert_int_eq(ccenter_calendar_is_open(cal, sat), 0);
  /* Saturday, then Early May bank holiday Monday: Tuesday 09:00 BST. */
  ck_assert_int_eq(ccenter_calendar_next_open(cal, sat, &out), 0);
  ck_assert_int_eq(out, local(cal, 2026, 5, 5, 9, 0));
  ck_assert_int_eq(ccenter_calendar_is_open(cal, out), 1);
  ck_assert_int_eq(ccenter_calendar_is_open(cal, out - 1), 0);
  ck_assert_int_eq(ccenter_calendar_is_open(cal, local(cal, 2026, 5, 5, 17, 0)), 0);
  ck_assert_int_eq(ccenter_calendar_is_open(cal, local(cal, 2026, 5, 5, 17, 0) - 1), 1);
  int64_t open = local(cal, 2026, 5, 6, 10, 0);
  ck_assert_int_eq(ccenter_calendar_next_open(cal, open, &out), 0);
  ck_assert_int_eq(out, open);
  ck_assert_int_eq(ccenter_calendar_next_open(cal, local(cal, 2026, 5, 6, 17, 0), &out), 0);
  ck_assert_int_eq(out, local(cal, 2026, 5, 7, 9, 0));
  ck_assert_int_eq(ccenter_calendar_next_open(NULL, open, &out), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_next_open(cal, open, NULL), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_next_open(cal, cc_calendar_max_t(), &out), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_calendar_is_open(NULL, open), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_is_open(cal, cc_calendar_max_t()), CCENTER_ERANGE);
  ck_assert_int_eq(out, local(cal, 2026, 5, 7, 9, 0));
  for (int wd = 1; wd <= 7; wd++)
    ccenter_calendar_clear_hours(cal, wd);
  ck_assert_int_eq(ccenter_calendar_next_open(cal, open, &out), CCENTER_ENOENT);
  ck_assert_int_eq(out, local(cal, 2026, 5, 7, 9, 0));
  ccenter_calendar_free(cal);
}
END_TEST

/* ---- calendar days and months --------------------------------------------------- */

START_TEST(add_days_across_dst)
{
  ccenter_calendar *cal = load_data("gb-eaw-2026.cal");
  int64_t out = 0;
  ck_assert_int_eq(ccenter_calendar_add_days(cal, utc(2026, 3, 28, 12, 0), 1, &out), 0);
  ck_assert_int_eq(out, utc(2026, 3, 29, 11, 0));
  ck_assert_int_eq(ccenter_calendar_add_days(cal, utc(2026, 3, 29, 11, 0), -1, &out), 0);
  ck_assert_int_eq(out, utc(2026, 3, 28, 12, 0));
  /* Into the gap: 01:30 does not exist on 29 March. */
  ck_assert_int_eq(ccenter_calendar_add_days(cal, utc(2026, 3, 28, 1, 30), 1, &out), 0);
  ck_assert_int_eq(out, utc(2026, 3, 29, 1, 0));
  /* Into the overlap: the earlier 01:30. */
  ck_assert_int_eq(ccenter_calendar_add_days(cal, utc(2026, 10, 24, 0, 30), 1, &out), 0);
  ck_assert_int_eq(out, utc(2026, 10, 25, 0, 30));
  ck_assert_int_eq(ccenter_calendar_add_days(cal, utc(2026, 10, 26, 1, 30), -1, &out), 0);
  ck_assert_int_eq(out, utc(2026, 10, 25, 0, 30));
  ck_assert_int_eq(ccenter_calendar_add_days(cal, utc(2026, 1, 1, 0, 0), 365, &out), 0);
  ck_assert_int_eq(out, utc(2027, 1, 1, 0, 0));
  ck_assert_int_eq(ccenter_calendar_add_days(cal, utc(2026, 1, 1, 0, 0), INT32_MAX, &out),
                   CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_calendar_add_days(cal, utc(2026, 1, 1, 0, 0), INT32_MIN, &out),
                   CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_calendar_add_days(NULL, 0, 1, &out), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_add_days(cal, 0, 1, NULL), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_add_days(cal, cc_calendar_max_t(), 0, &out), CCENTER_ERANGE);
  ck_assert_int_eq(out, utc(2027, 1, 1, 0, 0));
  ccenter_calendar_free(cal);
}
END_TEST

START_TEST(add_months_clamps)
{
  ccenter_calendar *cal = load_data("us-frb-2026.cal");
  int64_t out = 0;
  ck_assert_int_eq(ccenter_calendar_add_months(cal, local(cal, 2026, 1, 31, 9, 0), 1, &out), 0);
  ck_assert_int_eq(out, local(cal, 2026, 2, 28, 9, 0));
  ck_assert_int_eq(ccenter_calendar_add_months(cal, local(cal, 2026, 8, 31, 9, 0), 6, &out), 0);
  ck_assert_int_eq(out, local(cal, 2027, 2, 28, 9, 0));
  ck_assert_int_eq(ccenter_calendar_add_months(cal, local(cal, 2026, 3, 31, 9, 0), -1, &out), 0);
  ck_assert_int_eq(out, local(cal, 2026, 2, 28, 9, 0));
  ck_assert_int_eq(ccenter_calendar_add_months(cal, local(cal, 2026, 1, 15, 9, 0), -13, &out), 0);
  ck_assert_int_eq(out, local(cal, 2024, 12, 15, 9, 0));
  ck_assert_int_eq(ccenter_calendar_add_months(cal, local(cal, 2026, 1, 31, 9, 0), 25, &out), 0);
  ck_assert_int_eq(out, local(cal, 2028, 2, 29, 9, 0));
  /* Same local time across the DST change: 9:00 EST to 9:00 EDT. */
  ck_assert_int_eq(ccenter_calendar_add_months(cal, local(cal, 2026, 2, 10, 9, 0), 1, &out), 0);
  ck_assert_int_eq(out, utc(2026, 3, 10, 13, 0));
  ck_assert_int_eq(ccenter_calendar_add_months(cal, utc(2026, 1, 1, 12, 0), 12 * 8000, &out),
                   CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_calendar_add_months(cal, utc(2026, 1, 1, 12, 0), INT32_MIN, &out),
                   CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_calendar_add_months(NULL, 0, 1, &out), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_add_months(cal, 0, 1, NULL), CCENTER_EINVAL);
  ck_assert_int_eq(out, utc(2026, 3, 10, 13, 0));
  ccenter_calendar_free(cal);
}
END_TEST

/* ---- the text format ------------------------------------------------------------ */

START_TEST(shipped_files_round_trip)
{
  const char *files[] = {"cn-2026.cal", "gb-eaw-2026.cal", "us-frb-2026.cal"};
  const char *names[] = {"CN-2026", "GB-EAW-2026", "US-FRB-2026"};
  const size_t ntr[] = {0, 2, 2};
  for (size_t i = 0; i < 3; i++) {
    ccenter_calendar *cal = load_data(files[i]);
    ck_assert_str_eq(ccenter_calendar_name(cal), names[i]);
    char *a = text_of(cal);
    size_t lines = 0;
    for (const char *p = a; (p = strstr(p, "transition ")) != NULL; p++)
      lines++;
    ck_assert_uint_eq(lines, ntr[i]);
    ccenter_calendar *back = NULL;
    ck_assert_int_eq(ccenter_calendar_parse(NULL, a, strlen(a), "w", &back, NULL), 0);
    same_as(back, a);
    free(a);
    ccenter_calendar_free(back);
    ccenter_calendar_free(cal);
  }
  ccenter_calendar *gb = load_data("gb-eaw-2026.cal");
  static const int gb_off[][2] = {{1, 1}, {4, 3}, {4, 6}, {5, 4}, {5, 25}, {8, 31}, {12, 25}, {12, 28}};
  for (size_t i = 0; i < 8; i++)
    ck_assert_int_eq(ccenter_calendar_is_business_day(gb, 2026, gb_off[i][0], gb_off[i][1]), 0);
  ck_assert_int_eq(ccenter_calendar_is_business_day(gb, 2026, 12, 24), 1);
  ccenter_calendar_free(gb);
  ccenter_calendar *us = load_data("us-frb-2026.cal");
  static const int us_off[][2] = {{1, 1}, {1, 19}, {2, 16}, {5, 25}, {6, 19}, {9, 7}, {10, 12},
                                  {11, 11}, {11, 26}, {12, 25}};
  for (size_t i = 0; i < 10; i++)
    ck_assert_int_eq(ccenter_calendar_is_business_day(us, 2026, us_off[i][0], us_off[i][1]), 0);
  ccenter_calendar_free(us);
}
END_TEST

START_TEST(write_parse_round_trip_of_odd_values)
{
  ccenter_calendar *cal = new_cal("odd.name-1");
  ck_assert_int_eq(ccenter_calendar_set_offset(cal, 5 * 3600 + 45 * 60 + 7), 0);
  ck_assert_int_eq(ccenter_calendar_add_transition(cal, utc(2030, 1, 1, 0, 0) + 1, -18 * 3600), 0);
  ck_assert_int_eq(ccenter_calendar_add_transition(cal, utc(1900, 1, 1, 0, 0), 0), 0);
  ccenter_calendar_clear_hours(cal, CCENTER_TUESDAY);
  ck_assert_int_eq(ccenter_calendar_add_hours(cal, CCENTER_TUESDAY, 1, 1001), 0);
  ck_assert_int_eq(ccenter_calendar_add_hours(cal, CCENTER_TUESDAY, 60000, 86400000), 0);
  ck_assert_int_eq(ccenter_calendar_add_hours(cal, CCENTER_SUNDAY, 3723004, 3723005), 0);
  ck_assert_int_eq(ccenter_calendar_add_working_day(cal, 9999, 12, 31, CCENTER_SUNDAY), 0);
  ck_assert_int_eq(ccenter_calendar_add_holiday(cal, 1900, 1, 1), 0);
  char *a = text_of(cal);
  ck_assert_str_eq(a, "calendar odd.name-1\noffset +05:45:07\n"
                      "transition 1900-01-01T00:00:00Z +00:00\n"
                      "transition 2030-01-01T00:00:00.001Z -18:00\n"
                      "hours mon 00:00-24:00\nhours tue 00:00:00.001-00:00:01.001 00:01-24:00\n"
                      "hours wed 00:00-24:00\nhours thu 00:00-24:00\nhours fri 00:00-24:00\n"
                      "hours sat closed\nhours sun 01:02:03.004-01:02:03.005\n"
                      "holiday 1900-01-01\nworking 9999-12-31 as sun\n");
  ccenter_calendar *back = NULL;
  ck_assert_int_eq(ccenter_calendar_parse(NULL, a, strlen(a), NULL, &back, NULL), 0);
  same_as(back, a);
  /* ERANGE leaves a too-small buffer untouched and says the size. */
  char small[16];
  memset(small, 'z', sizeof small);
  size_t need = 0;
  ck_assert_int_eq(ccenter_calendar_write(cal, small, sizeof small, &need), CCENTER_ERANGE);
  ck_assert_uint_eq(need, strlen(a));
  ck_assert_int_eq(small[0], 'z');
  char *exact = malloc(need);
  ck_assert_int_eq(ccenter_calendar_write(cal, exact, need, NULL), CCENTER_ERANGE);
  free(exact);
  ck_assert_int_eq(ccenter_calendar_write(NULL, small, sizeof small, &need), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_write(cal, NULL, 10, &need), CCENTER_EINVAL);
  free(a);
  ccenter_calendar_free(back);
  ccenter_calendar_free(cal);
}
END_TEST

START_TEST(parse_accepts_comments_crlf_labels_and_lists)
{
  const char *text = "# a comment\r\n"
                     "\n"
                     "   calendar  X   # trailing comment\r\n"
                     "hours mon,wed-thu 08:00-12:00 13:00:30-24:00\n"
                     "hours mon 12:00-12:30\n"
                     "hours sat closed\n"
                     "hours fri closed\n"
                     "holiday 2026-01-01 New Year's Day #1 (label)\n"
                     "working 2026-01-03\tas  tue  any label at all, even 2026-01-04\n"
                     "transition 2026-06-01T12:00Z -03:30\n";
  ccenter_calendar *cal = NULL;
  ck_assert_int_eq(ccenter_calendar_parse(NULL, text, strlen(text), NULL, &cal, NULL), 0);
  char *a = text_of(cal);
  ck_assert_str_eq(a, "calendar X\noffset +00:00\ntransition 2026-06-01T12:00:00Z -03:30\n"
                      "hours mon 08:00-12:00 12:00-12:30 13:00:30-24:00\n"
                      "hours tue 00:00-24:00\nhours wed 08:00-12:00 13:00:30-24:00\n"
                      "hours thu 08:00-12:00 13:00:30-24:00\nhours fri closed\n"
                      "hours sat closed\nhours sun closed\n"
                      "holiday 2026-01-01\nworking 2026-01-03 as tue\n");
  free(a);
  ccenter_calendar_free(cal);
  /* The length bounds the text: what follows is not read. */
  const char *two = "calendar A\ncalendar B\n";
  ck_assert_int_eq(ccenter_calendar_parse(NULL, two, 11, NULL, &cal, NULL), 0);
  ck_assert_str_eq(ccenter_calendar_name(cal), "A");
  ccenter_calendar_free(cal);
}
END_TEST

START_TEST(parse_errors_name_their_line)
{
  static const struct {
    const char *text;
    int line;
    const char *what;
  } cases[] = {
      {"calendar A\nfrobnicate 1\n", 2, "src:2: unknown keyword 'frobnicate'"},
      {"hours mon closed\n", 1, "must come first"},
      {"calendar A\ncalendar B\n", 2, "duplicate 'calendar'"},
      {"calendar\n", 1, "want 'calendar NAME'"},
      {"calendar a#b\n", 1, "bad calendar name"},
      {"calendar A\noffset +8\n", 2, "bad offset"},
      {"calendar A\noffset +19:00\n", 2, "out of range"},
      {"calendar A\noffset +01:00\n\noffset +02:00\n", 4, "duplicate 'offset' line (first on line 2)"},
      {"calendar A\nholiday 2026-02-30\n", 2, "no such date '2026-02-30'"},
      {"calendar A\nholiday 26-01-01\n", 2, "bad date"},
      {"calendar A\nholiday 1899-12-31\n", 2, "out of range"},
      {"calendar A\nholiday 2026-01-01\nworking 2026-01-01 as mon\n", 3, "duplicate date"},
      {"calendar A\nworking 2026-01-03 mon\n", 2, "want 'working"},
      {"calendar A\nworking 2026-01-03 as funday\n", 2, "bad weekday 'funday'"},
      {"calendar A\nhours mon 09:00-17:00 16:00-18:00\n", 2, "overlaps"},
      {"calendar A\nhours mon 17:00-09:00\n", 2, "closes before it opens"},
      {"calendar A\nhours mon 09:00-24:01\n", 2, "out of range"},
      {"calendar A\nhours mon 24:00-24:00\n", 2, "out of range"},
      {"calendar A\nhours mon 9:00-17:00\n", 2, "bad interval"},
      {"calendar A\nhours fri-mon 09:00-17:00\n", 2, "runs backwards"},
      {"calendar A\nhours mon, 09:00-17:00\n", 2, "bad weekday list"},
      {"calendar A\nhours mon\n", 2, "want 'hours"},
      {"calendar A\nhours sat closed\nhours sat 09:00-10:00\n", 3, "has hours and 'closed'"},
      {"calendar A\nhours mon closed 09:00-10:00\n", 2, "'closed' takes no intervals"},
      {"calendar A\nhours mon 1:0-2:0 2:0-3:0 3:0-4:0 4:0-5:0 5:0-6:0 6:0-7:0 7:0-8:0 8:0-9:0 "
       "9:0-10:0\n", 2, "more than 8 intervals"},
      {"calendar A\ntransition 2026-03-29T01:00:00Z +01:00\ntransition 2026-03-29T01:00Z +02:00\n",
       3, "duplicate transition"},
      {"calendar A\ntransition 2026-03-29 +01:00\n", 2, "bad instant"},
      {"calendar A\ntransition 2026-03-29T24:00:00Z +01:00\n", 2, "bad instant"},
      {"calendar A\ntransition 2026-03-29T01:00:00Z\n", 2, "want 'transition"},
      {"calendar A\nholiday 2026-01-01 a\x01 b\n", 2, "control character"},
      /* A CR not before the LF: the parser once looped on it without end. */
      {"calendar A\nhours mon 09:00\r-17:00\n", 2, "control character"},
      {"calendar A\r\r\n", 1, "control character"},
      {"# nothing\n", 0, "src: no 'calendar NAME' line"},
      {"", 0, "no 'calendar NAME' line"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ccenter_parse_error err;
    memset(&err, 0, sizeof err);
    err.size = sizeof err;
    ccenter_calendar *cal = (ccenter_calendar *)&err;
    int rc = ccenter_calendar_parse(NULL, cases[i].text, strlen(cases[i].text), "src", &cal, &err);
    ck_assert_msg(rc == CCENTER_ESYNTAX, "case %zu: rc %d", i, rc);
    ck_assert_msg(err.line == cases[i].line, "case %zu: line %d: %s", i, err.line, err.message);
    ck_assert_msg(strstr(err.message, cases[i].what) != NULL, "case %zu: %s", i, err.message);
    char prefix[32];
    snprintf(prefix, sizeof prefix, cases[i].line ? "src:%d: " : "src: ", cases[i].line);
    ck_assert_msg(strncmp(err.message, prefix, strlen(prefix)) == 0, "case %zu: %s", i,
                  err.message);
    ck_assert_ptr_eq(cal, (ccenter_calendar *)&err);
    /* err may be NULL; a NUL inside the length is an error, not an end. */
    ck_assert_int_eq(ccenter_calendar_parse(NULL, cases[i].text, strlen(cases[i].text), NULL,
                                            &cal, NULL), CCENTER_ESYNTAX);
  }
  ccenter_parse_error err = {.size = sizeof err};
  ccenter_calendar *cal = NULL;
  ck_assert_int_eq(ccenter_calendar_parse(NULL, "calendar A\0x\n", 12, NULL, &cal, &err),
                   CCENTER_ESYNTAX);
  ck_assert_str_eq(err.message, "<text>:1: control character in the text");
  ck_assert_int_eq(ccenter_calendar_parse(NULL, NULL, 0, NULL, &cal, &err), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_parse(NULL, "calendar A", 10, NULL, NULL, &err),
                   CCENTER_EINVAL);
}
END_TEST

START_TEST(load_file_errors)
{
  ccenter_parse_error err = {.size = sizeof err};
  ccenter_calendar *cal = NULL;
  ck_assert_int_eq(ccenter_calendar_load_file(NULL, "/nonexistent/x.cal", &cal, &err),
                   CCENTER_EIO);
  ck_assert_int_eq(err.line, 0);
  ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent/x.cal: cannot read: "));
  ck_assert_ptr_null(cal);
  ck_assert_int_eq(ccenter_calendar_load_file(NULL, NULL, &cal, &err), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_load_file(NULL, "/x", NULL, &err), CCENTER_EINVAL);
  /* A directory opens but does not read. */
  ck_assert_int_eq(ccenter_calendar_load_file(NULL, "/", &cal, &err), CCENTER_EIO);
  char dir[] = "/tmp/cc-cal-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char path[64];
  snprintf(path, sizeof path, "%s/bad.cal", dir);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs("calendar A\nhours mon 09:00-17:00\nholiday 2026-13-01\n", f);
  fclose(f);
  ck_assert_int_eq(ccenter_calendar_load_file(NULL, path, &cal, &err), CCENTER_ESYNTAX);
  ck_assert_int_eq(err.line, 3);
  char want[128];
  snprintf(want, sizeof want, "%s:3: no such date '2026-13-01'", path);
  ck_assert_str_eq(err.message, want);
  ck_assert_ptr_null(cal);
  unlink(path);
  rmdir(dir);
}
END_TEST

/* ---- TZif ----------------------------------------------------------------------- */

static int have_zone(const char *name)
{
  char path[256];
  snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", name);
  return access(path, R_OK) == 0;
}

START_TEST(tzif_matches_shipped_transitions)
{
  static const struct {
    const char *zone, *file;
  } z[] = {{"Europe/London", "gb-eaw-2026.cal"}, {"America/New_York", "us-frb-2026.cal"}};
  for (size_t i = 0; i < 2; i++) {
    if (!have_zone(z[i].zone)) {
      fprintf(stderr, "# skipped: no /usr/share/zoneinfo/%s (package tzdata)\n", z[i].zone);
      continue;
    }
    ccenter_calendar *cal = load_data(z[i].file);
    ccenter_calendar *copy = NULL;
    ck_assert_int_eq(ccenter_calendar_clone(cal, &copy), 0);
    /* Different offsets first, so that the load has something to replace. */
    ck_assert_int_eq(ccenter_calendar_set_offset(copy, 7200), 0);
    ck_assert_int_eq(ccenter_calendar_add_transition(copy, utc(2026, 5, 1, 0, 0), 60), 0);
    ck_assert_int_eq(ccenter_calendar_load_tzif(copy, z[i].zone, utc(2026, 1, 1, 0, 0),
                                                utc(2027, 1, 1, 0, 0)), 0);
    char *want = text_of(cal);
    same_as(copy, want);
    free(want);
    /* The same by path. */
    char path[256];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", z[i].zone);
    ck_assert_int_eq(ccenter_calendar_load_tzif(copy, path, utc(2026, 1, 1, 0, 0),
                                                utc(2027, 1, 1, 0, 0)), 0);
    ccenter_calendar_free(copy);
    ccenter_calendar_free(cal);
  }
  if (!have_zone("Europe/London"))
    return;
  /* 2040 is past the last transition many zone files list: the footer's rule gives it. */
  ccenter_calendar *cal = new_cal("L");
  ck_assert_int_eq(ccenter_calendar_load_tzif(cal, "Europe/London", utc(2040, 1, 1, 0, 0),
                                              utc(2041, 1, 1, 0, 0)), 0);
  char *t = text_of(cal);
  ck_assert_ptr_nonnull(strstr(t, "offset +00:00\ntransition 2040-03-25T01:00:00Z +01:00\n"
                                  "transition 2040-10-28T01:00:00Z +00:00\nhours"));
  free(t);
  /* From inside summer time: the base is BST; the whole range to 2100. */
  ck_assert_int_eq(ccenter_calendar_load_tzif(cal, "Europe/London", utc(2026, 7, 1, 0, 0),
                                              utc(2100, 1, 1, 0, 0)), 0);
  ck_assert_int_eq(offset_of(cal, utc(2026, 7, 1, 0, 0)), 3600);
  ck_assert_int_eq(offset_of(cal, utc(2099, 7, 1, 0, 0)), 3600);
  ck_assert_int_eq(offset_of(cal, utc(2099, 12, 1, 0, 0)), 0);
  ck_assert_int_eq(offset_of(cal, utc(2030, 1, 1, 0, 0)), 0);
  /* The whole supported range loads. */
  ck_assert_int_eq(ccenter_calendar_load_tzif(cal, "Europe/London", cc_calendar_min_t(),
                                              cc_calendar_max_t()), 0);
  ck_assert_int_eq(offset_of(cal, utc(1900, 1, 1, 0, 0)), 0);
  ck_assert_int_eq(offset_of(cal, utc(1941, 6, 1, 0, 0)), 7200); /* British Double Summer Time */
  ck_assert_int_eq(offset_of(cal, utc(9999, 7, 1, 0, 0)), 3600);
  ccenter_calendar_free(cal);
}
END_TEST

static void put32(unsigned char *p, uint32_t v)
{
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

static void write_file(const char *path, const void *data, size_t n)
{
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(data, 1, n, f), n);
  fclose(f);
}

/* A header of `version` with timecnt, typecnt and charcnt (no leap seconds, no
   indicators). */
static size_t header(unsigned char *p, char version, uint32_t timecnt, uint32_t typecnt,
                     uint32_t charcnt)
{
  memset(p, 0, 44);
  memcpy(p, "TZif", 4);
  p[4] = (unsigned char)version;
  put32(p + 32, timecnt);
  put32(p + 36, typecnt);
  put32(p + 40, charcnt);
  return 44;
}

static size_t ttinfo(unsigned char *p, int32_t utoff, int isdst, int idx)
{
  put32(p, (uint32_t)utoff);
  p[4] = (unsigned char)isdst;
  p[5] = (unsigned char)idx;
  return 6;
}

START_TEST(tzif_hand_made_versions)
{
  char dir[] = "/tmp/cc-tzif-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char path[64];
  snprintf(path, sizeof path, "%s/zone", dir);
  unsigned char buf[512];
  ccenter_calendar *cal = new_cal("z");

  /* Version 1: two 32-bit transitions, UTC+2 then UTC+3 then UTC+2. */
  size_t n = header(buf, 0, 2, 2, 8);
  put32(buf + n, (uint32_t)(utc(2026, 4, 1, 0, 0) / 1000));
  put32(buf + n + 4, (uint32_t)(utc(2026, 10, 1, 0, 0) / 1000));
  n += 8;
  buf[n++] = 1;
  buf[n++] = 0;
  n += ttinfo(buf + n, 7200, 0, 0);
  n += ttinfo(buf + n, 10800, 1, 4);
  memcpy(buf + n, "AAA\0BBB\0", 8);
  n += 8;
  write_file(path, buf, n);
  ck_assert_int_eq(ccenter_calendar_load_tzif(cal, path, utc(2026, 1, 1, 0, 0),
                                              utc(2027, 1, 1, 0, 0)), 0);
  char *t = text_of(cal);
  ck_assert_ptr_nonnull(strstr(t, "offset +02:00\ntransition 2026-04-01T00:00:00Z +03:00\n"
                                  "transition 2026-10-01T00:00:00Z +02:00\n"));
  free(t);
  /* [from, to) keeps only what falls inside; the offset at `from` is the base. */
  ck_assert_int_eq(ccenter_calendar_load_tzif(cal, path, utc(2026, 4, 1, 0, 0),
                                              utc(2026, 10, 1, 0, 0)), 0);
  t = text_of(cal);
  ck_assert_ptr_nonnull(strstr(t, "offset +03:00\nhours"));
  free(t);

  /* Version 3 with no transitions at all: the footer's rule makes New York's 2026. */
  n = header(buf, '3', 0, 1, 4);
  n += ttinfo(buf + n, -18000, 0, 0);
  memcpy(buf + n, "EST\0", 4);
  n += 4;
  n += header(buf + n, '3', 0, 1, 4);
  n += ttinfo(buf + n, -18000, 0, 0);
  memcpy(buf + n, "EST\0", 4);
  n += 4;
  const char *footer = "\nEST5EDT,M3.2.0,M11.1.0\n";
  memcpy(buf + n, footer, strlen(footer));
  n += strlen(footer);
  write_file(path, buf, n);
  ck_assert_int_eq(ccenter_calendar_load_tzif(cal, path, utc(2026, 1, 1, 0, 0),
                                              utc(2027, 1, 1, 0, 0)), 0);
  t = text_of(cal);
  ck_assert_ptr_nonnull(strstr(t, "offset -05:00\ntransition 2026-03-08T07:00:00Z -04:00\n"
                                  "transition 2026-11-01T06:00:00Z -05:00\n"));
  free(t);
  /* Southern hemisphere with quoted names and explicit times: Chile-like, DST over the new
     year (<-04>4<-03>,M9.1.6/24,M4.1.6/24). */
  n -= strlen(footer);
  footer = "\n<-04>4<-03>,M9.1.6/24,M4.1.6/24\n";
  memcpy(buf + n, footer, strlen(footer));
  n += strlen(footer);
  write_file(path, buf, n);
  ck_assert_int_eq(ccenter_calendar_load_tzif(cal, path, utc(2026, 1, 1, 0, 0),
                                              utc(2027, 1, 1, 0, 0)), 0);
  t = text_of(cal);
  /* In force on 1 Jan 2026: -03; it ends Sun 5 Apr 00:00 local -03 = 03:00Z and starts
     again Sun 6 Sep 00:00 local -04 = 04:00Z. With no transitions in the file the rule
     governs every year. */
  ck_assert_ptr_nonnull(strstr(t, "offset -03:00\ntransition 2026-04-05T03:00:00Z -04:00\n"
                                  "transition 2026-09-06T04:00:00Z -03:00\n"));
  free(t);
  unlink(path);
  rmdir(dir);
  ccenter_calendar_free(cal);
}
END_TEST

START_TEST(tzif_broken_files_are_corrupt)
{
  if (!have_zone("Europe/London")) {
    fprintf(stderr, "# skipped: no /usr/share/zoneinfo/Europe/London (package tzdata)\n");
    return;
  }
  FILE *f = fopen("/usr/share/zoneinfo/Europe/London", "rb");
  ck_assert_ptr_nonnull(f);
  static unsigned char data[1 << 16];
  size_t len = fread(data, 1, sizeof data, f);
  fclose(f);
  ck_assert_uint_gt(len, 100);
  char dir[] = "/tmp/cc-tzif-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char path[64];
  snprintf(path, sizeof path, "%s/zone", dir);
  ccenter_calendar *cal = load_data("gb-eaw-2026.cal");
  char *before = text_of(cal);
  int64_t from = utc(2026, 1, 1, 0, 0), to = utc(2027, 1, 1, 0, 0);
  /* Every truncation. */
  for (size_t n = 0; n < len; n++) {
    write_file(path, data, n);
    ck_assert_msg(ccenter_calendar_load_tzif(cal, path, from, to) == CCENTER_ECORRUPT,
                  "length %zu", n);
  }
  same_as(cal, before);
  /* Every byte of the headers and of the first bytes after them, changed: corrupt or
     (for bytes that do not matter) fine, never a crash. */
  unsigned char copy[1 << 16];
  uint32_t seed = 12345;
  for (size_t i = 0; i < len; i += (i < 200 ? 1 : 7)) {
    for (int k = 0; k < 3; k++) {
      memcpy(copy, data, len);
      seed = seed * 1103515245u + 12345u;
      copy[i] = (unsigned char)(k == 0 ? 0xff : k == 1 ? 0x00 : seed >> 16);
      write_file(path, copy, len);
      int rc = ccenter_calendar_load_tzif(cal, path, from, to);
      ck_assert_msg(rc == 0 || rc == CCENTER_ECORRUPT || rc == CCENTER_EFULL, "byte %zu: %d", i,
                    rc);
      ck_assert_int_eq(ccenter_calendar_load_tzif(cal, "Europe/London", from, to), 0);
    }
  }
  same_as(cal, before);
  /* Not a TZif file; a huge count; a bad version. */
  write_file(path, "calendar A\n", 11);
  ck_assert_int_eq(ccenter_calendar_load_tzif(cal, path, from, to), CCENTER_ECORRUPT);
  memcpy(copy, data, len);
  put32(copy + 32, 0xffffffffu);
  write_file(path, copy, len);
  ck_assert_int_eq(ccenter_calendar_load_tzif(cal, path, from, to), CCENTER_ECORRUPT);
  memcpy(copy, data, len);
  copy[4] = '1';
  write_file(path, copy, len);
  ck_assert_int_eq(ccenter_calendar_load_tzif(cal, path, from, to), CCENTER_ECORRUPT);
  same_as(cal, before);
  /* Argument errors and unreadable zones. */
  ck_assert_int_eq(ccenter_calendar_load_tzif(cal, "No/Such_Zone", from, to), CCENTER_EIO);
  ck_assert_int_eq(ccenter_calendar_load_tzif(cal, "Europe/../../../etc/passwd", from, to),
                   CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_load_tzif(cal, "", from, to), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_load_tzif(cal, NULL, from, to), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_load_tzif(NULL, "Europe/London", from, to), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_load_tzif(cal, "Europe/London", to, from), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_calendar_load_tzif(cal, "Europe/London", cc_calendar_min_t() - 1, to),
                   CCENTER_EINVAL);
  same_as(cal, before);
  unlink(path);
  rmdir(dir);
  free(before);
  ccenter_calendar_free(cal);
}
END_TEST

/* ---- allocation failure --------------------------------------------------------- */

static int allow; /* allocations left before failing */
static void *fail_malloc(void *ud, size_t n)
{
  (void)ud;
  return allow-- > 0 ? malloc(n) : NULL;
}
static void *fail_realloc(void *ud, void *p, size_t n)
{
  (void)ud;
  return allow-- > 0 ? realloc(p, n) : NULL;
}
static void fail_free(void *ud, void *p)
{
  (void)ud;
  free(p);
}

START_TEST(out_of_memory_changes_nothing)
{
  ccenter_options *o = ccenter_options_new();
  ck_assert_int_eq(ccenter_options_set_allocator(o, fail_malloc, fail_realloc, fail_free, NULL), 0);
  ccenter_calendar *cal = NULL;
  allow = 0;
  ck_assert_int_eq(ccenter_calendar_new(o, "x", &cal), CCENTER_ENOMEM);
  ck_assert_ptr_null(cal);
  allow = 1;
  ck_assert_int_eq(ccenter_calendar_new(o, "x", &cal), 0);
  char *before = text_of(cal);
  allow = 0;
  ck_assert_int_eq(ccenter_calendar_add_holiday(cal, 2026, 1, 1), CCENTER_ENOMEM);
  ck_assert_int_eq(ccenter_calendar_add_working_day(cal, 2026, 1, 3, 1), CCENTER_ENOMEM);
  ck_assert_int_eq(ccenter_calendar_add_transition(cal, 0, 3600), CCENTER_ENOMEM);
  same_as(cal, before);
  free(before);
  allow = 100;
  ck_assert_int_eq(ccenter_calendar_add_holiday(cal, 2026, 1, 1), 0);
  ck_assert_int_eq(ccenter_calendar_add_transition(cal, 0, 3600), 0);
  ccenter_calendar *copy = NULL;
  for (int k = 0; k < 3; k++) {
    allow = k;
    int rc = ccenter_calendar_clone(cal, &copy);
    ck_assert_int_eq(rc, k < 3 ? CCENTER_ENOMEM : 0);
  }
  ck_assert_ptr_null(copy);
  allow = 3;
  ck_assert_int_eq(ccenter_calendar_clone(cal, &copy), 0);
  ccenter_calendar_free(copy);
  /* Parsing: every allocation of a parse, failed in turn. */
  const char *text = "calendar A\ntransition 2026-03-29T01:00:00Z +01:00\nholiday 2026-01-01\n";
  int ok = 0;
  for (int k = 0; k < 10 && !ok; k++) {
    allow = k;
    ccenter_calendar *p = NULL;
    int rc = ccenter_calendar_parse(o, text, strlen(text), NULL, &p, NULL);
    ck_assert(rc == 0 || rc == CCENTER_ENOMEM);
    ok = rc == 0;
    if (ok)
      ccenter_calendar_free(p);
    else
      ck_assert_ptr_null(p);
  }
  ck_assert(ok);
  if (have_zone("Europe/London")) {
    /* Each allocation of a load, failed in turn: the offsets stay as they were. */
    before = text_of(cal);
    int rc = CCENTER_ENOMEM;
    for (int k = 0; rc == CCENTER_ENOMEM; k++) {
      ck_assert_int_lt(k, 100);
      allow = k;
      rc = ccenter_calendar_load_tzif(cal, "Europe/London", utc(2026, 1, 1, 0, 0),
                                      utc(2027, 1, 1, 0, 0));
      if (rc == CCENTER_ENOMEM)
        same_as(cal, before);
    }
    ck_assert_int_eq(rc, 0);
    free(before);
  }
  allow = 1000000;
  ccenter_calendar_free(cal);
  ccenter_options_free(o);
}
END_TEST

/* ---- property ------------------------------------------------------------------- */

static uint64_t rng_state;
static uint64_t rnd(void)
{
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

START_TEST(property_business_time_consistent)
{
  /* London with split hours and a day that opens over midnight on the DST Sundays, plus
     the shipped China calendar. */
  ccenter_calendar *cals[2];
  cals[0] = load_data("gb-eaw-2026.cal");
  ck_assert_int_eq(ccenter_calendar_add_hours(cals[0], CCENTER_SATURDAY, 22 * 3600000, 86400000),
                   0);
  ck_assert_int_eq(ccenter_calendar_add_hours(cals[0], CCENTER_SUNDAY, 0, 2 * 3600000 + 30 * 60000),
                   0);
  ck_assert_int_eq(ccenter_calendar_add_hours(cals[0], CCENTER_SUNDAY, 3 * 3600000, 4 * 3600000),
                   0);
  cals[1] = load_data("cn-2026.cal");
  const char *sample = getenv("CC_PROP_SAMPLE");
  int rounds = sample && atoi(sample) > 0 ? 300 : 3000;
  rng_state = 0x9e3779b97f4a7c15u;
  int64_t lo = utc(2025, 12, 1, 0, 0), span = 400 * CC_DAY_MS;
  for (int c = 0; c < 2; c++) {
    const ccenter_calendar *cal = cals[c];
    for (int r = 0; r < rounds; r++) {
      int64_t t = lo + (int64_t)(rnd() % (uint64_t)span);
      if (r % 4 == 0)
        t -= t % (15 * MIN); /* land on the edges of intervals too */
      int64_t ms = (int64_t)(rnd() % (uint64_t)(20 * CC_DAY_MS)) / (r % 3 ? 1 : 600000);
      int64_t u = 0, back = 0, u2 = 0, open = 0;
      ck_assert_int_eq(ccenter_calendar_add_business_time(cal, t, ms, &u), 0);
      ck_assert_int_ge(u, t);
      ck_assert_int_eq(ccenter_calendar_business_time_between(cal, t, u, &back), 0);
      ck_assert_int_eq(back, ms);
      /* Monotone in the amount and in the start. */
      ck_assert_int_eq(ccenter_calendar_add_business_time(cal, t, ms + 1, &u2), 0);
      ck_assert_int_gt(u2, u);
      ck_assert_int_eq(ccenter_calendar_add_business_time(cal, t + 1, ms, &u2), 0);
      ck_assert_int_ge(u2, u);
      /* Additive, and consistent with is_open and next_open. */
      int64_t mid = t + (u - t) / 2, a = 0, b = 0;
      ck_assert_int_eq(ccenter_calendar_business_time_between(cal, t, mid, &a), 0);
      ck_assert_int_eq(ccenter_calendar_business_time_between(cal, mid, u, &b), 0);
      ck_assert_int_eq(a + b, ms);
      int is = ccenter_calendar_is_open(cal, t);
      ck_assert_int_eq(ccenter_calendar_business_time_between(cal, t, t + 1, &a), 0);
      ck_assert_int_eq(a, is);
      ck_assert_int_eq(ccenter_calendar_next_open(cal, t, &open), 0);
      ck_assert(is ? open == t : open > t);
      ck_assert_int_eq(ccenter_calendar_is_open(cal, open), 1);
      ck_assert_int_eq(ccenter_calendar_business_time_between(cal, t, open, &a), 0);
      ck_assert_int_eq(a, 0);
      /* Business days: day n + 1 ends after day n, except that days 0 and 1 are the same
         day when t's own date is not a business day. */
      int n = (int)(rnd() % 30);
      ccenter_civil tc = {.size = sizeof tc};
      ck_assert_int_eq(ccenter_calendar_to_civil(cal, t, &tc), 0);
      int bday = ccenter_calendar_is_business_day(cal, tc.year, tc.month, tc.day);
      ck_assert_int_eq(ccenter_calendar_add_business_days(cal, t, n, CCENTER_BDAY_END_OF_DAY, &a),
                       0);
      ck_assert_int_eq(
          ccenter_calendar_add_business_days(cal, t, n + 1, CCENTER_BDAY_END_OF_DAY, &b), 0);
      if (n == 0 && !bday)
        ck_assert_int_eq(b, a);
      else
        ck_assert_int_gt(b, a);
      ck_assert_int_eq(ccenter_calendar_is_open(cal, a - 1), 1);
    }
  }
  ccenter_calendar_free(cals[0]);
  ccenter_calendar_free(cals[1]);
}
END_TEST

/* ---- random calendars against a reference --------------------------------------- */

/* A second, plain model of the calendar (what docs/calendars.md says, computed the slow
 * way: every offset segment tried, dates from the C library's gmtime, opening time
 * counted a minute at a time) for random calendars: odd offsets, transitions close
 * together, split and midnight-touching hours, holidays and extra working days. The
 * calendars' every boundary falls on a whole minute, so whether a calendar is open is the
 * same for all of a minute, and a table of minutes answers for any millisecond. */
#define RC_TRS 8
#define RC_DATES 12
#define RC_DAYS 70 /* the window of instants: RC_DAYS days from ref_cal.lo */

/* ck_assert_int_eq without its cost: in a forked test Check writes to a pipe at every
 * assertion, and this test makes millions. */
#define RC_EQ(a, b)                                                                      \
  do {                                                                                   \
    int64_t rc_a_ = (a), rc_b_ = (b);                                                    \
    if (rc_a_ != rc_b_)                                                                  \
      ck_abort_msg("%s:%d: %s == %lld, %s == %lld (CAL_SEED=%llu)", __FILE__, __LINE__,  \
                   #a, (long long)rc_a_, #b, (long long)rc_b_, rc_seed);                \
  } while (0)

static unsigned long long rc_seed;

typedef struct ref_cal {
  int32_t base;          /* s */
  int ntr;               /* sorted by at */
  int64_t tr_at[RC_TRS]; /* ms */
  int32_t tr_off[RC_TRS];
  int nh[8];
  int32_t hours[8][CCENTER_CALENDAR_MAX_INTERVALS][2];
  int nd;
  int64_t day[RC_DATES]; /* local day numbers */
  int as[RC_DATES];      /* 0: holiday */
  int64_t lo;            /* the window's start (a UTC midnight) */
  int64_t *cum;          /* open minutes before minute i of the window, RC_DAYS * 1440 + 1 */
} ref_cal;

static int64_t rc_rand(int64_t n)
{
  return (int64_t)(rnd() % (uint64_t)n);
}

static int32_t rc_offset(const ref_cal *r, int64_t t)
{
  int32_t off = r->base;
  for (int i = 0; i < r->ntr && r->tr_at[i] <= t; i++)
    off = r->tr_off[i];
  return off;
}

static int64_t rc_local(const ref_cal *r, int64_t t)
{
  return t + (int64_t)rc_offset(r, t) * 1000;
}

/* The first instant whose local time is >= L: in each offset segment local time is the
 * instant plus that segment's offset, so the segment's first such instant is the later of
 * its start and L - offset, if the segment lasts that long; the earliest over all. */
static int64_t rc_from_local(const ref_cal *r, int64_t L)
{
  int64_t best = INT64_MAX;
  for (int k = 0; k <= r->ntr; k++) {
    int32_t off = k ? r->tr_off[k - 1] : r->base;
    int64_t t = L - (int64_t)off * 1000;
    if (k && t < r->tr_at[k - 1])
      t = r->tr_at[k - 1];
    if ((k == r->ntr || t < r->tr_at[k]) && t < best)
      best = t;
  }
  return best;
}

static int64_t rc_floor_div(int64_t a, int64_t b)
{
  return a / b - (a % b < 0);
}

static struct tm rc_tm_of_day(int64_t day)
{
  time_t s = (time_t)(day * 86400);
  struct tm tm;
  RC_EQ(gmtime_r(&s, &tm) != NULL, 1);
  return tm;
}

/* The day number of a date (1970 on), found by counting up with gmtime from a day that
 * is never after it. */
static int64_t rc_day_of(int y, int m, int d)
{
  int64_t g = (int64_t)(y - 1970) * 365 + (y - 1970) / 4 - 2 + (m - 1) * 28;
  for (;; g++) {
    struct tm tm = rc_tm_of_day(g);
    if (tm.tm_year + 1900 == y && tm.tm_mon + 1 == m && tm.tm_mday == d)
      return g;
    RC_EQ(tm.tm_year + 1900 <= y, 1);
  }
}

/* The weekday whose hours a local date has; 0 for a holiday. */
static int rc_hours_wd(const ref_cal *r, int64_t day)
{
  for (int i = 0; i < r->nd; i++)
    if (r->day[i] == day)
      return r->as[i];
  int w = rc_tm_of_day(day).tm_wday;
  return w ? w : 7;
}

static int rc_bday(const ref_cal *r, int64_t day)
{
  int wd = rc_hours_wd(r, day);
  return wd && r->nh[wd] > 0;
}

static int rc_open(const ref_cal *r, int64_t t)
{
  int64_t d0 = rc_floor_div(rc_local(r, t), CC_DAY_MS);
  for (int64_t d = d0 - 3; d <= d0 + 3; d++) {
    int wd = rc_hours_wd(r, d);
    for (int i = 0; wd && i < r->nh[wd]; i++)
      if (rc_from_local(r, d * CC_DAY_MS + r->hours[wd][i][0]) <= t &&
          t < rc_from_local(r, d * CC_DAY_MS + r->hours[wd][i][1]))
        return 1;
  }
  return 0;
}

/* Opening time from the window's start to t (inside the window). */
static int64_t rc_cum(const ref_cal *r, int64_t t)
{
  int64_t m = (t - r->lo) / MIN;
  return r->cum[m] * MIN + (r->cum[m + 1] - r->cum[m]) * ((t - r->lo) % MIN);
}

/* The first instant u >= t with rc_cum(u) >= want, or INT64_MAX past the window. */
static int64_t rc_reach(const ref_cal *r, int64_t t, int64_t want)
{
  int64_t n = RC_DAYS * 1440;
  if (r->cum[n] * MIN < want)
    return INT64_MAX;
  int64_t m = (t - r->lo) / MIN;
  if (rc_cum(r, t) >= want)
    return t;
  while (r->cum[m + 1] * MIN < want)
    m++;
  /* want is reached inside minute m, which is open. */
  return r->lo + m * MIN + (want - r->cum[m] * MIN);
}

static void rc_make(ref_cal *r, ccenter_calendar *cal)
{
  memset(r->nh, 0, sizeof r->nh);
  r->lo = utc(2026, 1, 1, 0, 0);
  r->base = (int32_t)(rc_rand(14 * 60 * 2 + 1) - 14 * 60) * 60;
  RC_EQ(ccenter_calendar_set_offset(cal, r->base), 0);
  /* Transitions in the window, some an hour or less apart. */
  r->ntr = (int)rc_rand(RC_TRS + 1);
  for (int i = 0; i < r->ntr; i++) {
    int64_t at;
    int dup;
    do {
      at = i && rc_rand(3) == 0 ? r->tr_at[rc_rand(i)] + (rc_rand(121) - 60) * MIN
                                : r->lo + rc_rand(RC_DAYS * 1440) * MIN;
      dup = 0;
      for (int j = 0; j < i; j++)
        dup |= r->tr_at[j] == at;
    } while (dup);
    int32_t off = rc_rand(2) ? r->base + (int32_t)(rc_rand(9) - 4) * 30 * 60
                             : (int32_t)(rc_rand(14 * 60 * 2 + 1) - 14 * 60) * 60;
    if (off > 14 * 3600 || off < -14 * 3600)
      off = 0;
    RC_EQ(ccenter_calendar_add_transition(cal, at, off), 0);
    int j = i;
    while (j > 0 && r->tr_at[j - 1] > at) {
      r->tr_at[j] = r->tr_at[j - 1];
      r->tr_off[j] = r->tr_off[j - 1];
      j--;
    }
    r->tr_at[j] = at;
    r->tr_off[j] = off;
  }
  /* Hours: up to three intervals a day, cut at random minutes, some from 00:00 or to
     24:00; a day closed now and then. */
  for (int wd = 1; wd <= 7; wd++) {
    RC_EQ(ccenter_calendar_clear_hours(cal, wd), 0);
    int n = (int)rc_rand(4);
    int32_t cut[6];
    for (int i = 0; i < 2 * n; i++) {
      int x = (int)rc_rand(8);
      cut[i] = x == 0 ? 0 : x == 1 ? 1440 : (int32_t)rc_rand(1441);
    }
    for (int i = 1; i < 2 * n; i++) /* sort */
      for (int j = i; j > 0 && cut[j - 1] > cut[j]; j--) {
        int32_t s = cut[j];
        cut[j] = cut[j - 1];
        cut[j - 1] = s;
      }
    for (int i = 0; i < n; i++) {
      int32_t a = cut[2 * i] * 60000, b = cut[2 * i + 1] * 60000;
      if (a >= b || (r->nh[wd] && r->hours[wd][r->nh[wd] - 1][1] > a))
        continue;
      RC_EQ(ccenter_calendar_add_hours(cal, wd, a, b), 0);
      r->hours[wd][r->nh[wd]][0] = a;
      r->hours[wd][r->nh[wd]][1] = b;
      r->nh[wd]++;
    }
  }
  /* Holidays and extra working days inside the window and a little around it. */
  r->nd = 0;
  int nd = (int)rc_rand(RC_DATES + 1);
  for (int i = 0; i < nd; i++) {
    int64_t day = r->lo / CC_DAY_MS - 3 + rc_rand(RC_DAYS + 6);
    int dup = 0;
    for (int j = 0; j < r->nd; j++)
      dup |= r->day[j] == day;
    if (dup)
      continue;
    struct tm tm = rc_tm_of_day(day);
    int as = rc_rand(2) ? 0 : 1 + (int)rc_rand(7);
    if (as)
      RC_EQ(ccenter_calendar_add_working_day(cal, tm.tm_year + 1900, tm.tm_mon + 1,
                                                        tm.tm_mday, as),
                       0);
    else
      RC_EQ(
          ccenter_calendar_add_holiday(cal, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday), 0);
    r->day[r->nd] = day;
    r->as[r->nd] = as;
    r->nd++;
  }
  int64_t n = RC_DAYS * 1440;
  r->cum[0] = 0;
  for (int64_t m = 0; m < n; m++)
    r->cum[m + 1] = r->cum[m] + rc_open(r, r->lo + m * MIN);
}

/* One random instant of the window's first 60 days: half of them on an edge (a
 * transition, a local midnight, an opening or a closing; the edge itself or a millisecond
 * either side), a quarter on a minute. */
static int64_t rc_instant(const ref_cal *r)
{
  int64_t t = r->lo + rc_rand(60 * CC_DAY_MS);
  int kind = (int)rc_rand(4);
  if (kind == 0)
    return t - (t - r->lo) % MIN;
  if (kind == 1)
    return t;
  int64_t day = rc_floor_div(rc_local(r, t), CC_DAY_MS), e = day * CC_DAY_MS;
  int wd = (int)(1 + rc_rand(7));
  if (r->ntr && rc_rand(3) == 0)
    e = r->tr_at[rc_rand(r->ntr)];
  else if (r->nh[wd] && rc_rand(2))
    e = rc_from_local(r, e + r->hours[wd][rc_rand(r->nh[wd])][rc_rand(2)]);
  else
    e = rc_from_local(r, e);
  e += rc_rand(3) - 1;
  return e >= r->lo && e < r->lo + 60 * CC_DAY_MS ? e : t;
}

static void rc_check(const ref_cal *r, const ccenter_calendar *cal)
{
  int64_t t = rc_instant(r), u = 0, x;
  /* Local time. */
  ccenter_civil c = {.size = sizeof c};
  RC_EQ(ccenter_calendar_to_civil(cal, t, &c), 0);
  int64_t L = rc_local(r, t), day = rc_floor_div(L, CC_DAY_MS), tod = L - day * CC_DAY_MS;
  struct tm tm = rc_tm_of_day(day);
  RC_EQ(c.offset_s, rc_offset(r, t));
  RC_EQ(c.year, tm.tm_year + 1900);
  RC_EQ(c.month, tm.tm_mon + 1);
  RC_EQ(c.day, tm.tm_mday);
  RC_EQ(c.weekday, tm.tm_wday ? tm.tm_wday : 7);
  RC_EQ((int64_t)c.hour * H + c.minute * MIN + c.second * 1000 + c.ms, tod);
  /* from_civil of a random local time near t's date. */
  int64_t L2 = (day - 1) * CC_DAY_MS + rc_rand(3 * 1440) * MIN + rc_rand(3) * 1000;
  int64_t d2 = rc_floor_div(L2, CC_DAY_MS), tod2 = L2 - d2 * CC_DAY_MS;
  struct tm tm2 = rc_tm_of_day(d2);
  ccenter_civil in = civil(tm2.tm_year + 1900, tm2.tm_mon + 1, tm2.tm_mday, (int)(tod2 / H),
                           (int)(tod2 % H / MIN));
  in.second = (int)(tod2 % MIN / 1000);
  RC_EQ(ccenter_calendar_from_civil(cal, &in, &u), 0);
  RC_EQ(u, rc_from_local(r, L2));
  /* Open, the time open between two instants, the next opening. */
  int open = rc_open(r, t);
  RC_EQ(ccenter_calendar_is_open(cal, t), open);
  int64_t t0 = rc_instant(r), t1 = rc_rand(2) ? t0 + rc_rand(3 * H) : rc_instant(r);
  if (t1 < t0) {
    int64_t s = t0;
    t0 = t1;
    t1 = s;
  }
  RC_EQ(ccenter_calendar_business_time_between(cal, t0, t1, &x), 0);
  RC_EQ(x, rc_cum(r, t1) - rc_cum(r, t0));
  int64_t want = rc_reach(r, t, rc_cum(r, t) + 1);
  if (want != INT64_MAX) {
    int64_t next = open ? t : want - 1;
    RC_EQ(ccenter_calendar_next_open(cal, t, &x), 0);
    RC_EQ(x, next);
  }
  int64_t ms = rc_rand(rc_rand(2) ? 2 * CC_DAY_MS : 2 * H) + 1;
  want = rc_reach(r, t, rc_cum(r, t) + ms);
  if (want != INT64_MAX) {
    RC_EQ(ccenter_calendar_add_business_time(cal, t, ms, &x), 0);
    RC_EQ(x, want);
  }
  /* Business days and calendar days. */
  RC_EQ(ccenter_calendar_is_business_day(cal, tm.tm_year + 1900, tm.tm_mon + 1,
                                                    tm.tm_mday),
                   rc_bday(r, day));
  /* Day 0 is t's date when it is a business day, else the next; day k the first business
     day after day k - 1, day 1 the first after t's date. A calendar with no business day
     in 400 days has none at all. */
  int n = (int)rc_rand(6), mode = (int)rc_rand(2);
  int64_t bd = day, stop = day + 400 * (n + 1);
  for (int k = 0; k < (n ? n : 1) && bd < stop; k++) {
    if (n)
      bd++;
    while (bd < stop && !rc_bday(r, bd))
      bd++;
  }
  if (bd < stop) {
    int wd = rc_hours_wd(r, bd);
    int64_t at = mode == CCENTER_BDAY_SAME_TIME ? tod : r->hours[wd][r->nh[wd] - 1][1];
    RC_EQ(ccenter_calendar_add_business_days(cal, t, n, mode, &x), 0);
    RC_EQ(x, rc_from_local(r, bd * CC_DAY_MS + at));
  } else {
    RC_EQ(ccenter_calendar_add_business_days(cal, t, n, mode, &x), CCENTER_ENOENT);
  }
  int dn = (int)rc_rand(41) - 20;
  RC_EQ(ccenter_calendar_add_days(cal, t, dn, &x), 0);
  RC_EQ(x, rc_from_local(r, (day + dn) * CC_DAY_MS + tod));
  int mn = (int)rc_rand(7) - 3;
  int mi = tm.tm_year * 12 + tm.tm_mon + mn, ty = mi / 12 + 1900, tmo = mi % 12 + 1;
  int dim = (int)(rc_day_of(ty + (tmo == 12), tmo == 12 ? 1 : tmo + 1, 1) - rc_day_of(ty, tmo, 1));
  RC_EQ(ccenter_calendar_add_months(cal, t, mn, &x), 0);
  RC_EQ(x, rc_from_local(r, rc_day_of(ty, tmo, tm.tm_mday < dim ? tm.tm_mday : dim) *
                                           CC_DAY_MS + tod));
}

START_TEST(reference_random_calendars)
{
  const char *env = getenv("CAL_SEED");
  rc_seed = env ? strtoull(env, NULL, 10) : 0;
  rng_state = 0x5DEECE66Dull + rc_seed * 0x9E3779B97F4A7C15ull;
  if (!rng_state)
    rng_state = 1;
  ref_cal r;
  r.cum = malloc((RC_DAYS * 1440 + 1) * sizeof *r.cum);
  ck_assert_ptr_nonnull(r.cum);
  for (int k = 0; k < 30; k++) {
    ccenter_calendar *cal = new_cal("random");
    rc_make(&r, cal);
    /* Its text form holds all of it: half the checks ask the calendar read back. */
    char *text = text_of(cal);
    ccenter_calendar *back = NULL;
    ccenter_parse_error err = {.size = sizeof err};
    int rc = ccenter_calendar_parse(NULL, text, strlen(text), "random", &back, &err);
    ck_assert_msg(rc == 0, "%s\n%s", err.message, text);
    same_as(back, text);
    for (int q = 0; q < 300; q++)
      rc_check(&r, q % 2 ? back : cal);
    free(text);
    ccenter_calendar_free(back);
    ccenter_calendar_free(cal);
  }
  free(r.cum);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("calendar");
  TCase *model = tcase_create("model");
  tcase_add_test(model, new_defaults_and_names);
  tcase_add_test(model, setters_validate_and_change_nothing_on_error);
  tcase_add_test(model, limits_give_efull);
  tcase_add_test(model, clone_is_deep);
  tcase_add_test(model, out_of_memory_changes_nothing);
  tcase_set_timeout(model, 60);
  suite_add_tcase(s, model);
  TCase *civil_tc = tcase_create("civil");
  tcase_add_test(civil_tc, days_from_civil_matches_known_dates);
  tcase_add_test(civil_tc, civil_conversions_and_errors);
  tcase_add_test(civil_tc, dst_gap_and_overlap_london);
  tcase_add_test(civil_tc, dst_gap_and_overlap_new_york);
  tcase_add_test(civil_tc, add_days_across_dst);
  tcase_add_test(civil_tc, add_months_clamps);
  tcase_set_timeout(civil_tc, 60);
  suite_add_tcase(s, civil_tc);
  TCase *biz = tcase_create("business");
  tcase_add_test(biz, china_worked_example);
  tcase_add_test(biz, business_days_errors);
  tcase_add_test(biz, business_days_keep_local_time_across_dst);
  tcase_add_test(biz, business_time_across_nights_weekends_holidays);
  tcase_add_test(biz, business_time_over_dst_changes);
  tcase_add_test(biz, next_open_and_is_open);
  tcase_add_test(biz, property_business_time_consistent);
  tcase_add_test(biz, reference_random_calendars);
  tcase_set_timeout(biz, 120);
  suite_add_tcase(s, biz);
  TCase *text = tcase_create("text");
  tcase_add_test(text, shipped_files_round_trip);
  tcase_add_test(text, write_parse_round_trip_of_odd_values);
  tcase_add_test(text, parse_accepts_comments_crlf_labels_and_lists);
  tcase_add_test(text, parse_errors_name_their_line);
  tcase_add_test(text, load_file_errors);
  tcase_set_timeout(text, 60);
  suite_add_tcase(s, text);
  TCase *tz = tcase_create("tzif");
  tcase_add_test(tz, tzif_matches_shipped_transitions);
  tcase_add_test(tz, tzif_hand_made_versions);
  tcase_add_test(tz, tzif_broken_files_are_corrupt);
  tcase_set_timeout(tz, 120);
  suite_add_tcase(s, tz);
  return s;
}

CC_TEST_MAIN()
