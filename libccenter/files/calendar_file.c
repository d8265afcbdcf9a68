/*
 * The calendar's adapter: reading calendar files and TZif zone files (RFC 8536). It lives
 * in files/, with the other file loaders, because the time module does no I/O; it needs
 * nothing beyond stdio.
 *
 * A TZif file is untrusted input: every count is checked against the bytes that are
 * actually there before anything is read, and nothing of the calendar changes until the
 * whole file has been understood.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ccenter/calendar.h"
#include "core/options.h"
#include "core/util.h"
#include "files/files.h"
#include "time/calendar_int.h"

/* Zone files are a few KiB; calendar files a few MiB at the most (100,000 dates). */
#define TZIF_MAX_BYTES (4u << 20)
#define TEXT_MAX_BYTES (64u << 20)
#define ZONEINFO_DIR "/usr/share/zoneinfo/"

int ccenter_calendar_load_file(const ccenter_options *opts, const char *path,
                               ccenter_calendar **out, ccenter_parse_error *err)
{
  if (!path || !out)
    return CCENTER_EINVAL;
  cc_alloc a;
  char *text = NULL;
  size_t len = 0;
  int rc = cc_read_text(opts, path, TEXT_MAX_BYTES, 0, &a, &text, &len, err);
  if (rc)
    return rc;
  rc = ccenter_calendar_parse(opts, text, len, path, out, err);
  cc_free(&a, text);
  return rc;
}

/* ---- TZif ----------------------------------------------------------------------- */

typedef struct tzif_counts {
  uint32_t isut, isstd, leap, time, type, chars;
} tzif_counts;

static uint32_t be32(const unsigned char *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be_signed(const unsigned char *p, int width)
{
  uint64_t v = 0;
  for (int i = 0; i < width; i++)
    v = v << 8 | p[i];
  if (width == 4)
    return (int64_t)v - ((v & 0x80000000u) ? (INT64_C(1) << 32) : 0);
  int64_t s;
  memcpy(&s, &v, sizeof s); /* two's complement without an implementation-defined cast */
  return s;
}

/* Reads a header at p (44 bytes available checked by the caller). */
static int tzif_header(const unsigned char *p, int *version, tzif_counts *c)
{
  if (memcmp(p, "TZif", 4) != 0)
    return CCENTER_ECORRUPT;
  *version = p[4] == 0 ? 1 : (p[4] >= '2' && p[4] <= '9') ? p[4] - '0' : 0;
  if (!*version)
    return CCENTER_ECORRUPT;
  c->isut = be32(p + 20);
  c->isstd = be32(p + 24);
  c->leap = be32(p + 28);
  c->time = be32(p + 32);
  c->type = be32(p + 36);
  c->chars = be32(p + 40);
  if (c->type == 0 || c->type > 256 || c->chars == 0 || (c->isut && c->isut != c->type) ||
      (c->isstd && c->isstd != c->type))
    return CCENTER_ECORRUPT;
  return 0;
}

/* The data block's length for times `tw` bytes wide; 64-bit sums cannot overflow here. */
static uint64_t tzif_block_len(const tzif_counts *c, int tw)
{
  return (uint64_t)c->time * (uint64_t)(tw + 1) + (uint64_t)c->type * 6 + c->chars +
         (uint64_t)c->leap * (uint64_t)(tw + 4) + c->isstd + c->isut;
}

/* A POSIX TZ string's rule (RFC 8536 section 3.3.1): offsets in seconds east of UTC. */
typedef struct tz_rule_date {
  char kind; /* 'J', 'N' (zero-based day of year) or 'M' */
  int a, b, c; /* J: day; N: day; M: month, week, weekday */
  int32_t time; /* seconds after local midnight, -167h..167h */
} tz_rule_date;

typedef struct tz_rule {
  int has_dst;
  int32_t std_off, dst_off;
  tz_rule_date start, end;
} tz_rule;

static int tz_num(const char **s, const char *end, int max, int *v)
{
  const char *p = *s;
  int n = 0, any = 0;
  while (p < end && *p >= '0' && *p <= '9') {
    n = n * 10 + (*p++ - '0');
    any = 1;
    if (n > max)
      return 0;
  }
  *s = p;
  *v = n;
  return any;
}

/* [+-]hh[:mm[:ss]] with hh up to max_h. */
static int tz_hms(const char **s, const char *end, int max_h, int32_t *out)
{
  int sign = 1, h, m = 0, sec = 0;
  if (*s < end && (**s == '+' || **s == '-'))
    sign = *(*s)++ == '-' ? -1 : 1;
  if (!tz_num(s, end, max_h, &h))
    return 0;
  if (*s < end && **s == ':') {
    (*s)++;
    if (!tz_num(s, end, 59, &m))
      return 0;
    if (*s < end && **s == ':') {
      (*s)++;
      if (!tz_num(s, end, 59, &sec))
        return 0;
    }
  }
  *out = sign * ((h * 60 + m) * 60 + sec);
  return 1;
}

static int tz_name(const char **s, const char *end)
{
  const char *p = *s;
  if (p < end && *p == '<') {
    const char *q = memchr(p, '>', (size_t)(end - p));
    if (!q || q - p < 4)
      return 0;
    *s = q + 1;
    return 1;
  }
  while (p < end && ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
    p++;
  if (p - *s < 3)
    return 0;
  *s = p;
  return 1;
}

static int tz_date(const char **s, const char *end, tz_rule_date *d)
{
  if (*s < end && **s == 'M') {
    (*s)++;
    d->kind = 'M';
    if (!tz_num(s, end, 12, &d->a) || d->a < 1 || *s >= end || *(*s)++ != '.' ||
        !tz_num(s, end, 5, &d->b) || d->b < 1 || *s >= end || *(*s)++ != '.' ||
        !tz_num(s, end, 6, &d->c))
      return 0;
  } else if (*s < end && **s == 'J') {
    (*s)++;
    d->kind = 'J';
    if (!tz_num(s, end, 365, &d->a) || d->a < 1)
      return 0;
  } else {
    d->kind = 'N';
    if (!tz_num(s, end, 365, &d->a))
      return 0;
  }
  d->time = 7200;
  if (*s < end && **s == '/') {
    (*s)++;
    if (!tz_hms(s, end, 167, &d->time))
      return 0;
  }
  return 1;
}

/* Parses the footer's TZ string. 1 with a usable DST rule, 0 for none (no DST, or a form
 * that leaves its rules to the implementation), -1 when malformed. */
static int tz_parse(const char *s, const char *end, tz_rule *r)
{
  memset(r, 0, sizeof *r);
  if (s == end)
    return 0;
  int32_t off;
  if (!tz_name(&s, end) || !tz_hms(&s, end, 24, &off))
    return -1;
  r->std_off = -off; /* POSIX offsets count west of UTC */
  if (s == end)
    return 0;
  if (!tz_name(&s, end))
    return -1;
  r->dst_off = r->std_off + 3600;
  if (s < end && *s != ',') {
    if (!tz_hms(&s, end, 24, &off))
      return -1;
    r->dst_off = -off;
  }
  if (s == end)
    return 0;
  if (*s++ != ',' || !tz_date(&s, end, &r->start) || s >= end || *s++ != ',' ||
      !tz_date(&s, end, &r->end) || s != end)
    return -1;
  r->has_dst = 1;
  return 1;
}

/* The local day number a rule date falls on in year y. */
static int64_t tz_day(const tz_rule_date *d, int64_t y)
{
  int64_t jan1 = cc_days_from_civil(y, 1, 1);
  int leap = cc_days_in_month(y, 2) == 29;
  if (d->kind == 'J')
    return jan1 + d->a - 1 + (leap && d->a >= 60);
  if (d->kind == 'N')
    return jan1 + d->a;
  int64_t first = cc_days_from_civil(y, d->a, 1);
  int wd0 = cc_weekday_of_days(first) % 7; /* Sunday = 0 */
  int day = 1 + (d->c - wd0 + 7) % 7 + (d->b - 1) * 7;
  while (day > cc_days_in_month(y, d->a))
    day -= 7;
  return first + day - 1;
}

/* A transition in seconds (TZif time), before any clipping to the calendar's range. */
typedef struct tz_tr {
  int64_t at;
  int32_t off;
} tz_tr;

typedef struct tz_list {
  const cc_alloc *a;
  tz_tr *v;
  size_t n, cap;
} tz_list;

static int tz_push(tz_list *l, int64_t at, int32_t off)
{
  /* Equal instants: the later rule wins (all-year DST is written as touching rules). */
  if (l->n && l->v[l->n - 1].at >= at) {
    if (l->v[l->n - 1].at > at)
      return 0;
    l->n--;
  }
  if (l->n > 2 * (size_t)CCENTER_CALENDAR_MAX_TRANSITIONS)
    return CCENTER_EFULL;
  if (cc_grow(l->a, (void **)&l->v, &l->cap, l->n + 1, sizeof *l->v))
    return CCENTER_ENOMEM;
  l->v[l->n].at = at;
  l->v[l->n].off = off;
  l->n++;
  return 0;
}

static int offset_fits(int64_t off)
{
  return off >= -CCENTER_CALENDAR_MAX_OFFSET_S && off <= CCENTER_CALENDAR_MAX_OFFSET_S;
}

/* Extends the explicit transitions by the footer's rule for the years up to `to`. */
static int tz_extend(tz_list *l, const tz_rule *r, int64_t to_s)
{
  int64_t last = l->n ? l->v[l->n - 1].at : cc_calendar_min_t() / 1000;
  int64_t y0, y1;
  int m, d;
  cc_civil_from_days(cc_fdiv(last, 86400) - 1, &y0, &m, &d);
  cc_civil_from_days(cc_fdiv(to_s, 86400) + 1, &y1, &m, &d);
  if (y0 < CCENTER_CALENDAR_MIN_YEAR - 1)
    y0 = CCENTER_CALENDAR_MIN_YEAR - 1;
  for (int64_t y = y0; y <= y1; y++) {
    /* The start is read on the standard clock, the end on the daylight one. */
    int64_t s = tz_day(&r->start, y) * 86400 + r->start.time - r->std_off;
    int64_t e = tz_day(&r->end, y) * 86400 + r->end.time - r->dst_off;
    int64_t first = s < e ? s : e, second = s < e ? e : s;
    int32_t off1 = s < e ? r->dst_off : r->std_off, off2 = s < e ? r->std_off : r->dst_off;
    int rc = 0;
    if (first > last)
      rc = tz_push(l, first, off1);
    if (rc == 0 && second > last)
      rc = tz_push(l, second, off2);
    if (rc)
      return rc;
  }
  return 0;
}

/* Parses a whole TZif file into base offset and transitions of [from, to). */
static int tzif_parse(ccenter_calendar *cal, const unsigned char *p, size_t len, int64_t from,
                      int64_t to)
{
  int version;
  tzif_counts c;
  if (len < 44 || tzif_header(p, &version, &c))
    return CCENTER_ECORRUPT;
  size_t off = 44;
  int tw = 4;
  uint64_t block = tzif_block_len(&c, 4);
  if (version >= 2) {
    /* The 64-bit block follows the 32-bit one and supersedes it. */
    if (block > len - off || len - off - block < 44)
      return CCENTER_ECORRUPT;
    off += (size_t)block;
    int v2;
    if (tzif_header(p + off, &v2, &c) || v2 != version)
      return CCENTER_ECORRUPT;
    off += 44;
    tw = 8;
    block = tzif_block_len(&c, 8);
  }
  if (block > len - off)
    return CCENTER_ECORRUPT;
  const unsigned char *times = p + off;
  const unsigned char *idx = times + (size_t)c.time * (size_t)tw;
  const unsigned char *types = idx + c.time;
  for (uint32_t i = 0; i < c.type; i++) {
    int64_t ut = be_signed(types + 6 * i, 4);
    if (types[6 * i + 4] > 1 || types[6 * i + 5] >= c.chars || ut == INT32_MIN)
      return CCENTER_ECORRUPT;
    if (!offset_fits(ut))
      return CCENTER_ECORRUPT; /* beyond what a calendar can hold */
  }
  for (uint32_t i = 0; i < c.time; i++) {
    if (idx[i] >= c.type)
      return CCENTER_ECORRUPT;
    if (i && be_signed(times + (size_t)i * (size_t)tw, tw) <=
                 be_signed(times + (size_t)(i - 1) * (size_t)tw, tw))
      return CCENTER_ECORRUPT;
  }
  off += (size_t)block;

  tz_rule rule;
  memset(&rule, 0, sizeof rule);
  int has_rule = 0;
  if (version >= 2) {
    /* Footer: "\n" TZ-string "\n". */
    if (len - off < 2 || p[off] != '\n')
      return CCENTER_ECORRUPT;
    const char *s = (const char *)p + off + 1;
    const char *nl = memchr(s, '\n', len - off - 1);
    if (!nl)
      return CCENTER_ECORRUPT;
    has_rule = tz_parse(s, nl, &rule);
    if (has_rule < 0 || !offset_fits(rule.std_off) || !offset_fits(rule.dst_off))
      return CCENTER_ECORRUPT;
  }

  cc_alloc a = *cc_calendar_alloc(cal);
  tz_list l = {&a, NULL, 0, 0};
  int rc = 0;
  for (uint32_t i = 0; i < c.time && rc == 0; i++)
    rc = tz_push(&l, be_signed(times + (size_t)i * (size_t)tw, tw),
                 (int32_t)be_signed(types + 6 * (size_t)idx[i], 4));
  if (rc == 0 && has_rule > 0)
    rc = tz_extend(&l, &rule, cc_fdiv(to, 1000));
  /* Times outside the calendar's range clip to just beyond it: that keeps their order
   * against `from` and `to` and keeps the milliseconds from overflowing. */
  int64_t lo = cc_calendar_min_t() / 1000 - 1, hi = cc_calendar_max_t() / 1000 + 1;
  int32_t base = (int32_t)be_signed(types, 4);
  size_t kept = 0;
  for (size_t i = 0; i < l.n && rc == 0; i++) {
    int64_t at = l.v[i].at < lo ? lo : l.v[i].at > hi ? hi : l.v[i].at;
    at *= 1000;
    if (at <= from) {
      base = l.v[i].off;
      continue;
    }
    if (at >= to)
      break;
    int32_t before = kept ? l.v[kept - 1].off : base;
    if (l.v[i].off == before)
      continue; /* a change of name or of isdst only */
    /* Reuse the list in place: kept <= i. */
    l.v[kept].at = at;
    l.v[kept].off = l.v[i].off;
    kept++;
  }
  if (rc == 0) {
    cc_cal_transition *tr = NULL;
    size_t cap = 0;
    if (kept && cc_grow(&a, (void **)&tr, &cap, kept, sizeof *tr))
      rc = CCENTER_ENOMEM;
    for (size_t i = 0; i < kept && rc == 0; i++) {
      tr[i].at = l.v[i].at;
      tr[i].offset_s = l.v[i].off;
    }
    if (rc == 0)
      rc = cc_calendar_replace_offsets(cal, base, tr, kept);
    cc_free(&a, tr);
  }
  cc_free(&a, l.v);
  return rc;
}

int ccenter_calendar_load_tzif(ccenter_calendar *cal, const char *zone, int64_t from, int64_t to)
{
  if (!cal || !zone || !*zone || from > to || from < cc_calendar_min_t() ||
      to > cc_calendar_max_t())
    return CCENTER_EINVAL;
  char path[4096];
  if (zone[0] == '/' || strncmp(zone, "./", 2) == 0 || strncmp(zone, "../", 3) == 0) {
    if (strlen(zone) >= sizeof path)
      return CCENTER_EINVAL;
    memcpy(path, zone, strlen(zone) + 1);
  } else {
    /* A zone name stays under the zoneinfo directory. */
    if (strstr(zone, "..") || (size_t)snprintf(path, sizeof path, "%s%s", ZONEINFO_DIR, zone) >=
                                  sizeof path)
      return CCENTER_EINVAL;
  }
  cc_alloc a = *cc_calendar_alloc(cal);
  char *data = NULL;
  size_t len = 0;
  int rc = cc_read_file(&a, path, TZIF_MAX_BYTES, &data, &len, NULL);
  if (rc == CCENTER_EIO && errno == EFBIG)
    return CCENTER_ECORRUPT;
  if (rc)
    return rc;
  rc = tzif_parse(cal, (const unsigned char *)data, len, from, to);
  cc_free(&a, data);
  return rc;
}
