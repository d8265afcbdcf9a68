/*
 * Business calendars: the model, the arithmetic and the text format. Domain layer: no I/O,
 * no clock, and no libc time functions (they depend on the TZ environment variable).
 *
 * Every instant question reduces to two maps between UTC instants and "local
 * milliseconds" (the local wall clock read as if it were UTC): f(t) = t + offset_at(t),
 * and its inverse from_local(L) = the first instant t with f(t) >= L. from_local takes a
 * time skipped by a transition to the instant the skip ends and a repeated time to its
 * first occurrence, and it never decreases as L grows. So the opening intervals of all
 * local dates, mapped through it, form one sorted sequence of disjoint UTC spans, and the
 * business-time functions are walks over that sequence.
 */
#include "time/calendar_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ccenter/common.h"
#include "core/options.h"
#include "core/util.h"

#define NAME_MAX_LEN 64
#define MAX_OFFSET_MS ((int64_t)CCENTER_CALENDAR_MAX_OFFSET_S * 1000)
/* Day numbers of 1900-01-01 and 9999-12-31. */
#define MIN_DAY INT64_C(-25567)
#define MAX_DAY INT64_C(2932896)
#define MIN_T (MIN_DAY * CC_DAY_MS)
#define MAX_T ((MAX_DAY + 1) * CC_DAY_MS)

/* A holiday (as == 0) or an extra working day open with the hours of weekday `as`. */
typedef struct cal_date {
  int32_t day;
  int32_t as;
} cal_date;

struct ccenter_calendar {
  cc_alloc alloc;
  char name[NAME_MAX_LEN + 1];
  int32_t base_offset_s;
  cc_cal_transition *tr; /* sorted by at, strictly increasing */
  size_t ntr, cap_tr;
  cal_date *dates; /* sorted by day, unique */
  size_t ndates, cap_dates;
  int nhours[8]; /* indexed by ISO weekday; [0] unused */
  int32_t hours[8][CCENTER_CALENDAR_MAX_INTERVALS][2]; /* sorted, disjoint [open, close) */
};

static const char *const day_names[8] = {"", "mon", "tue", "wed", "thu", "fri", "sat", "sun"};

/* ---- civil dates ---------------------------------------------------------------- */

/* Counting years from March puts the leap day last, so a day of the year follows from the
 * month by one linear formula, and 400-year eras repeat exactly. */
int64_t cc_days_from_civil(int64_t y, int m, int d)
{
  y -= m <= 2;
  int64_t era = cc_fdiv(y, 400);
  int64_t yoe = y - era * 400;
  int64_t mp = (m + 9) % 12;
  int64_t doy = (153 * mp + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void cc_civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
  int64_t z = days + 719468;
  int64_t era = cc_fdiv(z, 146097);
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

int cc_weekday_of_days(int64_t days)
{
  /* 1970-01-01 was a Thursday. */
  return (int)(days - cc_fdiv(days + 3, 7) * 7 + 3) + 1;
}

int cc_days_in_month(int64_t y, int m)
{
  static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
    return 29;
  return dim[m - 1];
}

int64_t cc_calendar_min_t(void)
{
  return MIN_T;
}

int64_t cc_calendar_max_t(void)
{
  return MAX_T;
}

static int year_ok(int64_t y)
{
  return y >= CCENTER_CALENDAR_MIN_YEAR && y <= CCENTER_CALENDAR_MAX_YEAR;
}

static int date_ok(int y, int m, int d)
{
  return m >= 1 && m <= 12 && d >= 1 && d <= cc_days_in_month(y, m);
}

static int instant_ok(int64_t t)
{
  return t >= MIN_T && t < MAX_T;
}

static int weekday_ok(int wd)
{
  return wd >= CCENTER_MONDAY && wd <= CCENTER_SUNDAY;
}

/* ---- offsets and local time ----------------------------------------------------- */

/* How many transitions are at or before t: the index of t's offset segment. */
static size_t segment_of(const ccenter_calendar *cal, int64_t t)
{
  size_t lo = 0, hi = cal->ntr;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (cal->tr[mid].at <= t)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static int32_t segment_offset(const ccenter_calendar *cal, size_t k)
{
  return k ? cal->tr[k - 1].offset_s : cal->base_offset_s;
}

static int32_t offset_at(const ccenter_calendar *cal, int64_t t)
{
  return segment_offset(cal, segment_of(cal, t));
}

static int64_t to_local(const ccenter_calendar *cal, int64_t t)
{
  return t + (int64_t)offset_at(cal, t) * 1000;
}

/* The first instant whose local time is >= L. No instant before L - MAX_OFFSET can reach
 * L and L + MAX_OFFSET always does, so the loop starts at the segment holding the former
 * and ends, at the latest, at the one holding the latter. */
static int64_t from_local(const ccenter_calendar *cal, int64_t L)
{
  for (size_t k = segment_of(cal, L - MAX_OFFSET_MS);; k++) {
    int64_t t = L - (int64_t)segment_offset(cal, k) * 1000;
    if (k && t < cal->tr[k - 1].at)
      t = cal->tr[k - 1].at;
    if (k == cal->ntr || t < cal->tr[k].at)
      return t;
  }
}

static int64_t local_day(const ccenter_calendar *cal, int64_t t)
{
  return cc_fdiv(to_local(cal, t), CC_DAY_MS);
}

/* ---- opening hours -------------------------------------------------------------- */

static const cal_date *find_date(const ccenter_calendar *cal, int64_t day, size_t *pos)
{
  size_t lo = 0, hi = cal->ndates;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (cal->dates[mid].day < day)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (pos)
    *pos = lo;
  return lo < cal->ndates && cal->dates[lo].day == day ? &cal->dates[lo] : NULL;
}

/* The weekday whose hours a local date has; 0 for a holiday. */
static int hours_weekday(const ccenter_calendar *cal, int64_t day)
{
  const cal_date *x = find_date(cal, day, NULL);
  return x ? x->as : cc_weekday_of_days(day);
}

static int is_bday(const ccenter_calendar *cal, int64_t day)
{
  int wd = hours_weekday(cal, day);
  return wd && cal->nhours[wd] > 0;
}

/* The UTC spans of a local date's opening intervals; an interval wholly inside a skipped
 * hour has none. Returns the count. */
static int day_spans(const ccenter_calendar *cal, int64_t day, int64_t s[], int64_t e[])
{
  int wd = hours_weekday(cal, day), n = 0;
  if (!wd)
    return 0;
  int64_t base = day * CC_DAY_MS;
  for (int i = 0; i < cal->nhours[wd]; i++) {
    int64_t a = from_local(cal, base + cal->hours[wd][i][0]);
    int64_t b = from_local(cal, base + cal->hours[wd][i][1]);
    if (a < b) {
      s[n] = a;
      e[n] = b;
      n++;
    }
  }
  return n;
}

/* ---- the calendar object -------------------------------------------------------- */

static int name_ok(const char *name)
{
  size_t n = strlen(name);
  if (n < 1 || n > NAME_MAX_LEN)
    return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    /* '#' would start a comment in the text form. */
    if (c <= 0x20 || c >= 0x7f || c == '#')
      return 0;
  }
  return 1;
}

static void set_defaults(ccenter_calendar *cal)
{
  for (int wd = CCENTER_MONDAY; wd <= CCENTER_SUNDAY; wd++) {
    cal->nhours[wd] = wd <= CCENTER_FRIDAY;
    cal->hours[wd][0][0] = 0;
    cal->hours[wd][0][1] = (int32_t)CC_DAY_MS;
  }
}

static ccenter_calendar *cal_alloc(const cc_alloc *a, const char *name)
{
  ccenter_calendar *cal = cc_calloc(a, 1, sizeof *cal);
  if (!cal)
    return NULL;
  cal->alloc = *a;
  memcpy(cal->name, name, strlen(name) + 1);
  set_defaults(cal);
  return cal;
}

int ccenter_calendar_new(const ccenter_options *opts, const char *name, ccenter_calendar **out)
{
  if (!name || !out || !name_ok(name))
    return CCENTER_EINVAL;
  cc_alloc a;
  cc_alloc_of(opts, &a);
  ccenter_calendar *cal = cal_alloc(&a, name);
  if (!cal)
    return CCENTER_ENOMEM;
  *out = cal;
  return 0;
}

void ccenter_calendar_free(ccenter_calendar *cal)
{
  if (!cal)
    return;
  cc_alloc a = cal->alloc;
  cc_free(&a, cal->tr);
  cc_free(&a, cal->dates);
  cc_free(&a, cal);
}

int ccenter_calendar_clone(const ccenter_calendar *cal, ccenter_calendar **out)
{
  if (!cal || !out)
    return CCENTER_EINVAL;
  ccenter_calendar *c = cc_malloc(&cal->alloc, sizeof *c);
  if (!c)
    return CCENTER_ENOMEM;
  *c = *cal;
  c->tr = NULL;
  c->dates = NULL;
  c->cap_tr = c->cap_dates = 0;
  if ((cal->ntr && cc_grow(&c->alloc, (void **)&c->tr, &c->cap_tr, cal->ntr, sizeof *c->tr)) ||
      (cal->ndates &&
       cc_grow(&c->alloc, (void **)&c->dates, &c->cap_dates, cal->ndates, sizeof *c->dates))) {
    ccenter_calendar_free(c);
    return CCENTER_ENOMEM;
  }
  if (cal->ntr)
    memcpy(c->tr, cal->tr, cal->ntr * sizeof *c->tr);
  if (cal->ndates)
    memcpy(c->dates, cal->dates, cal->ndates * sizeof *c->dates);
  *out = c;
  return 0;
}

const char *ccenter_calendar_name(const ccenter_calendar *cal)
{
  return cal ? cal->name : NULL;
}

static int offset_ok(int32_t offset_s)
{
  return offset_s >= -CCENTER_CALENDAR_MAX_OFFSET_S && offset_s <= CCENTER_CALENDAR_MAX_OFFSET_S;
}

int ccenter_calendar_set_offset(ccenter_calendar *cal, int32_t offset_s)
{
  if (!cal)
    return CCENTER_EINVAL;
  if (!offset_ok(offset_s))
    return CCENTER_ERANGE;
  cal->base_offset_s = offset_s;
  return 0;
}

int ccenter_calendar_add_transition(ccenter_calendar *cal, int64_t at, int32_t offset_s)
{
  if (!cal)
    return CCENTER_EINVAL;
  if (!offset_ok(offset_s) || !instant_ok(at))
    return CCENTER_ERANGE;
  size_t k = segment_of(cal, at);
  if (k && cal->tr[k - 1].at == at)
    return CCENTER_EEXIST;
  if (cal->ntr >= CCENTER_CALENDAR_MAX_TRANSITIONS)
    return CCENTER_EFULL;
  if (cc_grow(&cal->alloc, (void **)&cal->tr, &cal->cap_tr, cal->ntr + 1, sizeof *cal->tr))
    return CCENTER_ENOMEM;
  memmove(&cal->tr[k + 1], &cal->tr[k], (cal->ntr - k) * sizeof *cal->tr);
  cal->tr[k].at = at;
  cal->tr[k].offset_s = offset_s;
  cal->ntr++;
  return 0;
}

const cc_alloc *cc_calendar_alloc(const ccenter_calendar *cal)
{
  return &cal->alloc;
}

int cc_calendar_replace_offsets(ccenter_calendar *cal, int32_t base_offset_s,
                                const cc_cal_transition *tr, size_t n)
{
  if (n > CCENTER_CALENDAR_MAX_TRANSITIONS)
    return CCENTER_EFULL;
  if (n > cal->cap_tr &&
      cc_grow(&cal->alloc, (void **)&cal->tr, &cal->cap_tr, n, sizeof *cal->tr))
    return CCENTER_ENOMEM;
  if (n)
    memcpy(cal->tr, tr, n * sizeof *tr);
  cal->ntr = n;
  cal->base_offset_s = base_offset_s;
  return 0;
}

int ccenter_calendar_add_hours(ccenter_calendar *cal, int weekday, int32_t open_ms,
                               int32_t close_ms)
{
  if (!cal || !weekday_ok(weekday))
    return CCENTER_EINVAL;
  if (open_ms < 0 || close_ms < 0 || open_ms > CC_DAY_MS || close_ms > CC_DAY_MS)
    return CCENTER_ERANGE;
  if (open_ms >= close_ms)
    return CCENTER_EINVAL;
  int n = cal->nhours[weekday], k = 0;
  int32_t(*iv)[2] = cal->hours[weekday];
  while (k < n && iv[k][0] < open_ms)
    k++;
  if ((k > 0 && iv[k - 1][1] > open_ms) || (k < n && iv[k][0] < close_ms))
    return CCENTER_EINVAL;
  if (n >= CCENTER_CALENDAR_MAX_INTERVALS)
    return CCENTER_EFULL;
  memmove(&iv[k + 1], &iv[k], (size_t)(n - k) * sizeof iv[0]);
  iv[k][0] = open_ms;
  iv[k][1] = close_ms;
  cal->nhours[weekday] = n + 1;
  return 0;
}

int ccenter_calendar_clear_hours(ccenter_calendar *cal, int weekday)
{
  if (!cal || !weekday_ok(weekday))
    return CCENTER_EINVAL;
  cal->nhours[weekday] = 0;
  return 0;
}

/* The checks of a function that takes a calendar and a local date. */
static int date_arg(const ccenter_calendar *cal, int year, int month, int day)
{
  if (!cal)
    return CCENTER_EINVAL;
  if (!year_ok(year))
    return CCENTER_ERANGE;
  return date_ok(year, month, day) ? 0 : CCENTER_EINVAL;
}

static int add_date(ccenter_calendar *cal, int year, int month, int day, int as)
{
  int rc = date_arg(cal, year, month, day);
  if (rc)
    return rc;
  int64_t d = cc_days_from_civil(year, month, day);
  size_t k;
  if (find_date(cal, d, &k))
    return CCENTER_EEXIST;
  if (cal->ndates >= CCENTER_CALENDAR_MAX_DATES)
    return CCENTER_EFULL;
  if (cc_grow(&cal->alloc, (void **)&cal->dates, &cal->cap_dates, cal->ndates + 1,
              sizeof *cal->dates))
    return CCENTER_ENOMEM;
  memmove(&cal->dates[k + 1], &cal->dates[k], (cal->ndates - k) * sizeof *cal->dates);
  cal->dates[k].day = (int32_t)d;
  cal->dates[k].as = as;
  cal->ndates++;
  return 0;
}

int ccenter_calendar_add_holiday(ccenter_calendar *cal, int year, int month, int day)
{
  return add_date(cal, year, month, day, 0);
}

int ccenter_calendar_add_working_day(ccenter_calendar *cal, int year, int month, int day,
                                     int as_weekday)
{
  if (!weekday_ok(as_weekday))
    return CCENTER_EINVAL;
  return add_date(cal, year, month, day, as_weekday);
}

/* ---- arithmetic ----------------------------------------------------------------- */

int ccenter_calendar_offset_at(const ccenter_calendar *cal, int64_t t, int32_t *offset_s)
{
  if (!cal || !offset_s)
    return CCENTER_EINVAL;
  if (!instant_ok(t))
    return CCENTER_ERANGE;
  *offset_s = offset_at(cal, t);
  return 0;
}

int ccenter_calendar_to_civil(const ccenter_calendar *cal, int64_t t, ccenter_civil *out)
{
  if (!cal || !out || out->size < CC_END_OF(ccenter_civil, offset_s))
    return CCENTER_EINVAL;
  if (!instant_ok(t))
    return CCENTER_ERANGE;
  int32_t off = offset_at(cal, t);
  int64_t L = t + (int64_t)off * 1000;
  int64_t day = cc_fdiv(L, CC_DAY_MS), y;
  int64_t ms = L - day * CC_DAY_MS;
  ccenter_civil c;
  memset(&c, 0, sizeof c);
  c.size = sizeof c;
  cc_civil_from_days(day, &y, &c.month, &c.day);
  if (!year_ok(y))
    return CCENTER_ERANGE;
  c.year = (int)y;
  c.hour = (int)(ms / 3600000);
  c.minute = (int)(ms / 60000 % 60);
  c.second = (int)(ms / 1000 % 60);
  c.ms = (int)(ms % 1000);
  c.weekday = cc_weekday_of_days(day);
  c.offset_s = off;
  cc_struct_out(out, &c, CC_END_OF(ccenter_civil, offset_s));
  return 0;
}

int ccenter_calendar_from_civil(const ccenter_calendar *cal, const ccenter_civil *in,
                                int64_t *out)
{
  ccenter_civil c;
  if (!cal || !in || !out || cc_struct_read(&c, sizeof c, in, CC_END_OF(ccenter_civil, offset_s)))
    return CCENTER_EINVAL;
  if (!year_ok(c.year))
    return CCENTER_ERANGE;
  if (!date_ok(c.year, c.month, c.day) || c.hour < 0 || c.hour > 23 || c.minute < 0 ||
      c.minute > 59 || c.second < 0 || c.second > 59 || c.ms < 0 || c.ms > 999)
    return CCENTER_EINVAL;
  int64_t L = cc_days_from_civil(c.year, c.month, c.day) * CC_DAY_MS +
              ((int64_t)(c.hour * 60 + c.minute) * 60 + c.second) * 1000 + c.ms;
  int64_t t = from_local(cal, L);
  if (!instant_ok(t))
    return CCENTER_ERANGE;
  *out = t;
  return 0;
}

int ccenter_calendar_is_business_day(const ccenter_calendar *cal, int year, int month, int day)
{
  int rc = date_arg(cal, year, month, day);
  if (rc)
    return rc;
  return is_bday(cal, cc_days_from_civil(year, month, day));
}

int ccenter_calendar_is_open(const ccenter_calendar *cal, int64_t t)
{
  if (!cal)
    return CCENTER_EINVAL;
  if (!instant_ok(t))
    return CCENTER_ERANGE;
  int64_t s[CCENTER_CALENDAR_MAX_INTERVALS], e[CCENTER_CALENDAR_MAX_INTERVALS];
  /* Only dates that have begun by t can hold a span containing it. */
  for (int64_t d = local_day(cal, t); from_local(cal, d * CC_DAY_MS) <= t; d++) {
    int n = day_spans(cal, d, s, e);
    for (int i = 0; i < n; i++)
      if (s[i] <= t && t < e[i])
        return 1;
  }
  return 0;
}

/* The instant at which ms of opening time have passed since t (the next opening for 0). */
static int walk_open(const ccenter_calendar *cal, int64_t t, int64_t ms, int64_t *out)
{
  int64_t s[CCENTER_CALENDAR_MAX_INTERVALS], e[CCENTER_CALENDAR_MAX_INTERVALS];
  int64_t idle = 0;
  for (int64_t d = local_day(cal, t);; d++) {
    if (d > MAX_DAY + 1)
      return CCENTER_ERANGE;
    int n = day_spans(cal, d, s, e), any = 0;
    for (int i = 0; i < n; i++) {
      if (e[i] <= t)
        continue;
      any = 1;
      int64_t from = s[i] > t ? s[i] : t;
      if (ms <= e[i] - from) {
        if (!instant_ok(from + ms))
          return CCENTER_ERANGE;
        *out = from + ms;
        return 0;
      }
      ms -= e[i] - from;
    }
    if (any)
      idle = 0;
    else if (++idle > CCENTER_CALENDAR_SEARCH_DAYS)
      return CCENTER_ENOENT;
  }
}

int ccenter_calendar_next_open(const ccenter_calendar *cal, int64_t t, int64_t *out)
{
  if (!cal || !out)
    return CCENTER_EINVAL;
  if (!instant_ok(t))
    return CCENTER_ERANGE;
  return walk_open(cal, t, 0, out);
}

int ccenter_calendar_add_business_time(const ccenter_calendar *cal, int64_t t, int64_t ms,
                                       int64_t *out)
{
  if (!cal || !out || ms < 0)
    return CCENTER_EINVAL;
  if (!instant_ok(t))
    return CCENTER_ERANGE;
  return walk_open(cal, t, ms, out);
}

int ccenter_calendar_business_time_between(const ccenter_calendar *cal, int64_t t0, int64_t t1,
                                           int64_t *ms)
{
  if (!cal || !ms || t0 > t1)
    return CCENTER_EINVAL;
  if (!instant_ok(t0) || !instant_ok(t1))
    return CCENTER_ERANGE;
  int64_t s[CCENTER_CALENDAR_MAX_INTERVALS], e[CCENTER_CALENDAR_MAX_INTERVALS], sum = 0;
  /* A date's spans begin no earlier than the date does, so dates begun at t1 are past. */
  for (int64_t d = local_day(cal, t0); from_local(cal, d * CC_DAY_MS) < t1; d++) {
    int n = day_spans(cal, d, s, e);
    for (int i = 0; i < n; i++) {
      int64_t lo = s[i] > t0 ? s[i] : t0, hi = e[i] < t1 ? e[i] : t1;
      if (hi > lo)
        sum += hi - lo;
    }
  }
  *ms = sum;
  return 0;
}

/* The instant of local time-of-day `tod` on local date `day`, or ERANGE. */
static int at_local(const ccenter_calendar *cal, int64_t day, int64_t tod, int64_t *out)
{
  if (day < MIN_DAY || day > MAX_DAY)
    return CCENTER_ERANGE;
  int64_t t = from_local(cal, day * CC_DAY_MS + tod);
  if (!instant_ok(t))
    return CCENTER_ERANGE;
  *out = t;
  return 0;
}

/* The next business day after `day` (or `day` itself when `inclusive`). */
static int next_bday(const ccenter_calendar *cal, int64_t *day, int inclusive)
{
  int64_t d = *day + !inclusive;
  for (int64_t k = 0; k <= CCENTER_CALENDAR_SEARCH_DAYS; k++, d++) {
    if (d > MAX_DAY)
      return CCENTER_ERANGE;
    if (is_bday(cal, d)) {
      *day = d;
      return 0;
    }
  }
  return CCENTER_ENOENT;
}

/* The checks shared by the local-time functions, then t's local date and time of day. */
static int split_local(const ccenter_calendar *cal, int64_t t, const int64_t *out, int64_t *day,
                       int64_t *tod)
{
  if (!cal || !out)
    return CCENTER_EINVAL;
  if (!instant_ok(t))
    return CCENTER_ERANGE;
  int64_t L = to_local(cal, t);
  *day = cc_fdiv(L, CC_DAY_MS);
  *tod = L - *day * CC_DAY_MS;
  return 0;
}

int ccenter_calendar_add_business_days(const ccenter_calendar *cal, int64_t t, int n,
                                       ccenter_bday_mode mode, int64_t *out)
{
  if (n < 0 || (mode != CCENTER_BDAY_END_OF_DAY && mode != CCENTER_BDAY_SAME_TIME))
    return CCENTER_EINVAL;
  int64_t day, tod;
  int rc = split_local(cal, t, out, &day, &tod);
  if (rc)
    return rc;
  rc = n == 0 ? next_bday(cal, &day, 1) : 0;
  for (int k = 0; k < n && rc == 0; k++)
    rc = next_bday(cal, &day, 0);
  if (rc)
    return rc;
  if (mode == CCENTER_BDAY_END_OF_DAY) {
    int wd = hours_weekday(cal, day);
    tod = cal->hours[wd][cal->nhours[wd] - 1][1];
  }
  return at_local(cal, day, tod, out);
}

int ccenter_calendar_add_days(const ccenter_calendar *cal, int64_t t, int n, int64_t *out)
{
  int64_t day, tod;
  int rc = split_local(cal, t, out, &day, &tod);
  return rc ? rc : at_local(cal, day + n, tod, out);
}

int ccenter_calendar_add_months(const ccenter_calendar *cal, int64_t t, int n, int64_t *out)
{
  int64_t day, tod, y;
  int rc = split_local(cal, t, out, &day, &tod);
  if (rc)
    return rc;
  int m, d;
  cc_civil_from_days(day, &y, &m, &d);
  int64_t months = y * 12 + (m - 1) + n;
  int64_t ny = cc_fdiv(months, 12);
  int nm = (int)(months - ny * 12) + 1;
  if (!year_ok(ny))
    return CCENTER_ERANGE;
  int dim = cc_days_in_month(ny, nm);
  return at_local(cal, cc_days_from_civil(ny, nm, d < dim ? d : dim), tod, out);
}

/* ---- parse errors --------------------------------------------------------------- */

void cc_parse_error_set(ccenter_parse_error *err, const char *source, int line,
                        const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  cc_parse_error_vset(err, source, line, fmt, ap);
  va_end(ap);
}

void cc_parse_error_vset(ccenter_parse_error *err, const char *source, int line,
                         const char *fmt, va_list ap)
{
  if (!err || err->size < CC_END_OF(ccenter_parse_error, message))
    return;
  ccenter_parse_error e;
  memset(&e, 0, sizeof e);
  e.size = sizeof e;
  e.line = line;
  if (!source)
    source = "<text>";
  int n = line ? snprintf(e.message, sizeof e.message, "%s:%d: ", source, line)
               : snprintf(e.message, sizeof e.message, "%s: ", source);
  if (n >= 0 && (size_t)n < sizeof e.message)
    vsnprintf(e.message + n, sizeof e.message - (size_t)n, fmt, ap);
  cc_struct_out(err, &e, CC_END_OF(ccenter_parse_error, message));
}

/* ---- the text format: writing --------------------------------------------------- */

typedef struct text_out {
  char *buf; /* NULL while measuring */
  size_t len;
} text_out;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void put(text_out *o, const char *fmt, ...)
{
  char tmp[128];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n <= 0)
    return;
  if (o->buf)
    memcpy(o->buf + o->len, tmp, (size_t)n);
  o->len += (size_t)n;
}

static void put_offset(text_out *o, int32_t off)
{
  int32_t a = off < 0 ? -off : off;
  put(o, "%c%02d:%02d", off < 0 ? '-' : '+', (int)(a / 3600), (int)(a / 60 % 60));
  if (a % 60)
    put(o, ":%02d", (int)(a % 60));
}

/* HH:MM, with :SS and .mmm only when they are not zero. */
static void put_tod(text_out *o, int64_t ms)
{
  put(o, "%02d:%02d", (int)(ms / 3600000), (int)(ms / 60000 % 60));
  if (ms % 60000)
    put(o, ":%02d", (int)(ms / 1000 % 60));
  if (ms % 1000)
    put(o, ".%03d", (int)(ms % 1000));
}

static void put_date(text_out *o, int64_t day)
{
  int64_t y;
  int m, d;
  cc_civil_from_days(day, &y, &m, &d);
  put(o, "%04d-%02d-%02d", (int)y, m, d);
}

static void write_text(const ccenter_calendar *cal, text_out *o)
{
  put(o, "calendar %s\noffset ", cal->name);
  put_offset(o, cal->base_offset_s);
  put(o, "\n");
  for (size_t i = 0; i < cal->ntr; i++) {
    int64_t day = cc_fdiv(cal->tr[i].at, CC_DAY_MS);
    put(o, "transition ");
    put_date(o, day);
    put(o, "T");
    int64_t tod = cal->tr[i].at - day * CC_DAY_MS;
    /* Instants always carry seconds: the usual ISO 8601 form. */
    put(o, "%02d:%02d:%02d", (int)(tod / 3600000), (int)(tod / 60000 % 60),
        (int)(tod / 1000 % 60));
    if (tod % 1000)
      put(o, ".%03d", (int)(tod % 1000));
    put(o, "Z ");
    put_offset(o, cal->tr[i].offset_s);
    put(o, "\n");
  }
  for (int wd = CCENTER_MONDAY; wd <= CCENTER_SUNDAY; wd++) {
    put(o, "hours %s", day_names[wd]);
    if (!cal->nhours[wd])
      put(o, " closed");
    for (int i = 0; i < cal->nhours[wd]; i++) {
      put(o, " ");
      put_tod(o, cal->hours[wd][i][0]);
      put(o, "-");
      put_tod(o, cal->hours[wd][i][1]);
    }
    put(o, "\n");
  }
  for (size_t i = 0; i < cal->ndates; i++) {
    put(o, cal->dates[i].as ? "working " : "holiday ");
    put_date(o, cal->dates[i].day);
    if (cal->dates[i].as)
      put(o, " as %s", day_names[cal->dates[i].as]);
    put(o, "\n");
  }
}

int ccenter_calendar_write(const ccenter_calendar *cal, char *buf, size_t size, size_t *needed)
{
  if (!cal || (!buf && size))
    return CCENTER_EINVAL;
  text_out o = {NULL, 0};
  write_text(cal, &o);
  if (needed)
    *needed = o.len;
  if (o.len >= size)
    return CCENTER_ERANGE;
  o.buf = buf;
  o.len = 0;
  write_text(cal, &o);
  buf[o.len] = '\0';
  return 0;
}

/* ---- the text format: parsing --------------------------------------------------- */

#define MAX_TOKENS 16

typedef struct token {
  const char *p;
  size_t n;
} token;

typedef struct parser {
  const char *source;
  int line;
  ccenter_parse_error *err;
  ccenter_calendar *cal;
  int hours_state[8]; /* 0 defaults, 1 intervals given, 2 closed */
  int offset_line;
} parser;

static int tok_is(const token *t, const char *s)
{
  return t->n == strlen(s) && memcmp(t->p, s, t->n) == 0;
}

/* Reads exactly `width` decimal digits. */
static int digits(const char *p, int width, int *v)
{
  *v = 0;
  for (int i = 0; i < width; i++) {
    if (p[i] < '0' || p[i] > '9')
      return 0;
    *v = *v * 10 + (p[i] - '0');
  }
  return 1;
}

/* HH:MM[:SS[.mmm]] into milliseconds of the day; 24:00 only when allow_24. Returns 0 on a
 * malformed text, -1 on a value out of range. */
static int parse_tod(const char *p, size_t n, int allow_24, int64_t *ms)
{
  int h, mi, s = 0, f = 0;
  if ((n != 5 && n != 8 && n != 12) || !digits(p, 2, &h) || p[2] != ':' || !digits(p + 3, 2, &mi))
    return 0;
  if (n >= 8 && (p[5] != ':' || !digits(p + 6, 2, &s)))
    return 0;
  if (n == 12 && (p[8] != '.' || !digits(p + 9, 3, &f)))
    return 0;
  if (mi > 59 || s > 59 || h > 24 || (h == 24 && (!allow_24 || mi || s || f)))
    return -1;
  *ms = ((int64_t)(h * 60 + mi) * 60 + s) * 1000 + f;
  return 1;
}

static int parse_date(const char *p, size_t n, int *y, int *m, int *d)
{
  if (n != 10 || !digits(p, 4, y) || p[4] != '-' || !digits(p + 5, 2, m) || p[7] != '-' ||
      !digits(p + 8, 2, d))
    return 0;
  return 1;
}

static int parse_weekday(const token *t)
{
  for (int wd = CCENTER_MONDAY; wd <= CCENTER_SUNDAY; wd++)
    if (tok_is(t, day_names[wd]))
      return wd;
  return 0;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int fail(parser *ps, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  cc_parse_error_vset(ps->err, ps->source, ps->line, fmt, ap);
  va_end(ap);
  return CCENTER_ESYNTAX;
}

/* Shows a token in a message, cut short. */
#define TOK(t) (int)((t)->n > 40 ? 40 : (t)->n), (t)->p

static int parse_offset(parser *ps, const token *t, int32_t *off)
{
  int h, m, s = 0;
  const char *p = t->p;
  if ((t->n != 6 && t->n != 9) || (p[0] != '+' && p[0] != '-') || !digits(p + 1, 2, &h) ||
      p[3] != ':' || !digits(p + 4, 2, &m) || (t->n == 9 && (p[6] != ':' || !digits(p + 7, 2, &s))))
    return fail(ps, "bad offset '%.*s' (want +HH:MM or +HH:MM:SS)", TOK(t));
  int32_t v = (h * 60 + m) * 60 + s;
  if (m > 59 || s > 59 || v > CCENTER_CALENDAR_MAX_OFFSET_S)
    return fail(ps, "offset '%.*s' out of range (at most 18:00)", TOK(t));
  *off = p[0] == '-' ? -v : v;
  return 0;
}

/* A date in the supported years, as a day number. */
static int parse_day(parser *ps, const token *t, int *y, int *m, int *d)
{
  if (!parse_date(t->p, t->n, y, m, d))
    return fail(ps, "bad date '%.*s' (want YYYY-MM-DD)", TOK(t));
  if (!year_ok(*y))
    return fail(ps, "date '%.*s' out of range (years %d..%d)", TOK(t), CCENTER_CALENDAR_MIN_YEAR,
                CCENTER_CALENDAR_MAX_YEAR);
  if (!date_ok(*y, *m, *d))
    return fail(ps, "no such date '%.*s'", TOK(t));
  return 0;
}

static int parse_transition(parser *ps, const token *tok, int ntok)
{
  if (ntok != 3)
    return fail(ps, "want 'transition YYYY-MM-DDTHH:MM:SSZ +HH:MM'");
  const token *t = &tok[1];
  int y, m, d;
  int64_t tod;
  if (t->n < 17 || t->p[10] != 'T' || t->p[t->n - 1] != 'Z' ||
      !parse_date(t->p, 10, &y, &m, &d) || parse_tod(t->p + 11, t->n - 12, 0, &tod) != 1)
    return fail(ps, "bad instant '%.*s' (want YYYY-MM-DDTHH:MM:SSZ)", TOK(t));
  if (!year_ok(y))
    return fail(ps, "instant '%.*s' out of range (years %d..%d)", TOK(t),
                CCENTER_CALENDAR_MIN_YEAR, CCENTER_CALENDAR_MAX_YEAR);
  if (!date_ok(y, m, d))
    return fail(ps, "no such date in '%.*s'", TOK(t));
  int32_t off;
  int rc = parse_offset(ps, &tok[2], &off);
  if (rc)
    return rc;
  rc = ccenter_calendar_add_transition(ps->cal, cc_days_from_civil(y, m, d) * CC_DAY_MS + tod, off);
  if (rc == CCENTER_EEXIST)
    return fail(ps, "duplicate transition at %.*s", TOK(t));
  if (rc == CCENTER_EFULL)
    return fail(ps, "more than %d transitions", CCENTER_CALENDAR_MAX_TRANSITIONS);
  return rc;
}

/* "mon-fri", "sat", "mon,wed,fri", "mon-wed,sat" into a set of weekdays (bit wd). */
static int parse_days(parser *ps, const token *t, unsigned *set)
{
  *set = 0;
  size_t i = 0;
  while (i < t->n) {
    size_t j = i;
    while (j < t->n && t->p[j] != ',')
      j++;
    token item = {t->p + i, j - i};
    const char *dash = memchr(item.p, '-', item.n);
    token a = item, b = item;
    if (dash) {
      a.n = (size_t)(dash - item.p);
      b.p = dash + 1;
      b.n = item.n - a.n - 1;
    }
    int wa = parse_weekday(&a), wb = parse_weekday(&b);
    if (!wa || !wb)
      return fail(ps, "bad weekday '%.*s' (want mon..sun, a range such as mon-fri, or a list)",
                  TOK(&item));
    if (wa > wb)
      return fail(ps, "weekday range '%.*s' runs backwards", TOK(&item));
    for (int wd = wa; wd <= wb; wd++)
      *set |= 1u << wd;
    i = j + 1;
    if (j + 1 == t->n)
      return fail(ps, "bad weekday list '%.*s'", TOK(t));
  }
  if (!*set)
    return fail(ps, "bad weekday list '%.*s'", TOK(t));
  return 0;
}

static int parse_hours(parser *ps, const token *tok, int ntok)
{
  if (ntok < 3)
    return fail(ps, "want 'hours DAYS HH:MM-HH:MM ...' or 'hours DAYS closed'");
  if (ntok > 2 + CCENTER_CALENDAR_MAX_INTERVALS)
    return fail(ps, "more than %d intervals on one line", CCENTER_CALENDAR_MAX_INTERVALS);
  unsigned set;
  int rc = parse_days(ps, &tok[1], &set);
  if (rc)
    return rc;
  int closed = tok_is(&tok[2], "closed");
  if (closed && ntok > 3)
    return fail(ps, "'closed' takes no intervals");
  int64_t iv[CCENTER_CALENDAR_MAX_INTERVALS][2];
  int niv = closed ? 0 : ntok - 2;
  for (int i = 0; i < niv; i++) {
    const token *t = &tok[2 + i];
    const char *dash = memchr(t->p, '-', t->n);
    int ra = dash ? parse_tod(t->p, (size_t)(dash - t->p), 0, &iv[i][0]) : 0;
    int rb = dash ? parse_tod(dash + 1, t->n - (size_t)(dash - t->p) - 1, 1, &iv[i][1]) : 0;
    if (ra == 0 || rb == 0)
      return fail(ps, "bad interval '%.*s' (want HH:MM-HH:MM or 'closed')", TOK(t));
    if (ra < 0 || rb < 0)
      return fail(ps, "time out of range in '%.*s' (00:00 to 24:00)", TOK(t));
    if (iv[i][0] >= iv[i][1])
      return fail(ps, "interval '%.*s' closes before it opens", TOK(t));
  }
  for (int wd = CCENTER_MONDAY; wd <= CCENTER_SUNDAY; wd++) {
    if (!(set & (1u << wd)))
      continue;
    if (ps->hours_state[wd] == 2 || (closed && ps->hours_state[wd]))
      return fail(ps, "%s has hours and 'closed'", day_names[wd]);
    /* The first line that names a weekday replaces its default hours. */
    if (!ps->hours_state[wd])
      ccenter_calendar_clear_hours(ps->cal, wd);
    ps->hours_state[wd] = closed ? 2 : 1;
    for (int i = 0; i < niv; i++) {
      rc = ccenter_calendar_add_hours(ps->cal, wd, (int32_t)iv[i][0], (int32_t)iv[i][1]);
      if (rc == CCENTER_EINVAL)
        return fail(ps, "interval '%.*s' overlaps another of %s", TOK(&tok[2 + i]),
                    day_names[wd]);
      if (rc == CCENTER_EFULL)
        return fail(ps, "more than %d intervals for %s", CCENTER_CALENDAR_MAX_INTERVALS,
                    day_names[wd]);
      if (rc)
        return rc;
    }
  }
  return 0;
}

/* holiday DATE [label...] / working DATE as DAY [label...]; labels are not kept. */
static int parse_date_line(parser *ps, const token *tok, int ntok, int working)
{
  if (ntok < 2 || (working && (ntok < 4 || !tok_is(&tok[2], "as"))))
    return fail(ps, working ? "want 'working YYYY-MM-DD as DAY [label]'"
                            : "want 'holiday YYYY-MM-DD [label]'");
  int y, m, d, rc = parse_day(ps, &tok[1], &y, &m, &d);
  if (rc)
    return rc;
  int as = 0;
  if (working && !(as = parse_weekday(&tok[3])))
    return fail(ps, "bad weekday '%.*s' (want mon..sun)", TOK(&tok[3]));
  rc = working ? ccenter_calendar_add_working_day(ps->cal, y, m, d, as)
               : ccenter_calendar_add_holiday(ps->cal, y, m, d);
  if (rc == CCENTER_EEXIST)
    return fail(ps, "duplicate date %.*s", TOK(&tok[1]));
  if (rc == CCENTER_EFULL)
    return fail(ps, "more than %d holidays and working days", CCENTER_CALENDAR_MAX_DATES);
  return rc;
}

static int parse_line(parser *ps, const ccenter_options *opts, const token *tok, int ntok)
{
  if (tok_is(&tok[0], "calendar")) {
    if (ps->cal)
      return fail(ps, "duplicate 'calendar' line");
    if (ntok != 2)
      return fail(ps, "want 'calendar NAME'");
    char name[NAME_MAX_LEN + 1];
    if (tok[1].n > NAME_MAX_LEN)
      return fail(ps, "calendar name longer than %d bytes", NAME_MAX_LEN);
    memcpy(name, tok[1].p, tok[1].n);
    name[tok[1].n] = '\0';
    if (!name_ok(name))
      return fail(ps, "bad calendar name '%.*s'", TOK(&tok[1]));
    return ccenter_calendar_new(opts, name, &ps->cal);
  }
  int kw = tok_is(&tok[0], "offset") ? 1 : tok_is(&tok[0], "transition") ? 2
           : tok_is(&tok[0], "hours") ? 3 : tok_is(&tok[0], "holiday") ? 4
           : tok_is(&tok[0], "working") ? 5 : 0;
  if (!kw)
    return fail(ps, "unknown keyword '%.*s'", TOK(&tok[0]));
  if (!ps->cal)
    return fail(ps, "'calendar NAME' must come first");
  switch (kw) {
  case 1: {
    if (ps->offset_line)
      return fail(ps, "duplicate 'offset' line (first on line %d)", ps->offset_line);
    if (ntok != 2)
      return fail(ps, "want 'offset +HH:MM'");
    int32_t off;
    int rc = parse_offset(ps, &tok[1], &off);
    if (rc)
      return rc;
    ps->offset_line = ps->line;
    return ccenter_calendar_set_offset(ps->cal, off);
  }
  case 2:
    return parse_transition(ps, tok, ntok);
  case 3:
    return parse_hours(ps, tok, ntok);
  default:
    return parse_date_line(ps, tok, ntok, kw == 5);
  }
}

int ccenter_calendar_parse(const ccenter_options *opts, const char *text, size_t len,
                           const char *source, ccenter_calendar **out, ccenter_parse_error *err)
{
  if (!text || !out)
    return CCENTER_EINVAL;
  parser ps;
  memset(&ps, 0, sizeof ps);
  ps.source = source;
  ps.err = err;
  int rc = 0;
  size_t i = 0;
  while (rc == 0 && i < len) {
    size_t j = i;
    while (j < len && text[j] != '\n')
      j++;
    ps.line++;
    token tok[MAX_TOKENS];
    int ntok = 0;
    for (size_t k = i; k < j && rc == 0;) {
      char c = text[k];
      if (c == ' ' || c == '\t' || (c == '\r' && k + 1 == j)) {
        k++;
        continue;
      }
      if (c == '#')
        break;
      size_t s = k;
      /* A CR ends a word only before the LF; elsewhere it is a control character in the
       * word (stopping at it would make no progress: the line never ended). */
      while (k < j && text[k] != ' ' && text[k] != '\t' && !(text[k] == '\r' && k + 1 == j))
        k++;
      for (size_t q = s; q < k; q++)
        if ((unsigned char)text[q] < 0x20 || text[q] == 0x7f)
          rc = fail(&ps, "control character in the text");
      /* Only a label can run past the limit; its words need not be kept. */
      if (ntok < MAX_TOKENS)
        tok[ntok] = (token){text + s, k - s};
      ntok++;
    }
    if (rc == 0 && ntok > MAX_TOKENS && !tok_is(&tok[0], "holiday") &&
        !tok_is(&tok[0], "working"))
      rc = fail(&ps, "too many words on the line");
    if (rc == 0 && ntok > 0)
      rc = parse_line(&ps, opts, tok, ntok > MAX_TOKENS ? MAX_TOKENS : ntok);
    i = j + 1;
  }
  if (rc == 0 && !ps.cal) {
    ps.line = 0;
    rc = fail(&ps, "no 'calendar NAME' line");
  }
  if (rc) {
    ccenter_calendar_free(ps.cal);
    return rc;
  }
  *out = ps.cal;
  return 0;
}
