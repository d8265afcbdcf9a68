/*
 * libFuzzer harness for the calendar text format (libccenter/time/calendar.c).
 *
 * Each input is a calendar text. Besides the sanitizers' checks, the harness asserts what
 * include/ccenter/calendar.h promises:
 *   - the result is 0 or CCENTER_ESYNTAX (no allocation fails here); on CCENTER_ESYNTAX
 *     the message is NUL-terminated and the line is within the text;
 *   - on success, the canonical text parses again to a calendar that writes the same text;
 *   - the arithmetic on instants drawn from the input keeps its own identities: opening
 *     time added and measured back gives the same amount, the next opening is open, and
 *     local time goes to civil time and back.
 * Build: meson setup with -Dfuzz=true and CC=clang (tests/fuzz/run.sh).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccenter/calendar.h"
#include "ccenter/common.h"

#define FUZZ_NAME "fuzz_calendar"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Instants of 2024-2028 and amounts of up to 40 days, from the input's bytes. */
static uint64_t mix(uint64_t h, uint64_t x)
{
  h ^= x + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  return h;
}

static void arithmetic(const ccenter_calendar *cal, const uint8_t *data, size_t size)
{
  uint64_t h = 0;
  for (size_t i = 0; i < size; i++)
    h = mix(h, data[i]);
  const int64_t lo = INT64_C(1704067200000); /* 2024-01-01 */
  const int64_t span = INT64_C(5) * 366 * 86400000;
  for (int k = 0; k < 4; k++) {
    h = mix(h, (uint64_t)k);
    int64_t t = lo + (int64_t)(h % (uint64_t)span);
    int64_t ms = (int64_t)((h >> 20) % (UINT64_C(40) * 86400000));
    int open = ccenter_calendar_is_open(cal, t);
    CHECK(open == 0 || open == 1);
    int64_t u = 0, back = -1, next = 0;
    int rc = ccenter_calendar_add_business_time(cal, t, ms, &u);
    CHECK(rc == 0 || rc == CCENTER_ENOENT || rc == CCENTER_ERANGE);
    if (rc == 0) {
      CHECK(u >= t);
      CHECK(ccenter_calendar_business_time_between(cal, t, u, &back) == 0);
      CHECK(back == ms);
    }
    rc = ccenter_calendar_next_open(cal, t, &next);
    CHECK(rc == 0 || rc == CCENTER_ENOENT || rc == CCENTER_ERANGE);
    if (rc == 0) {
      CHECK(next >= t);
      CHECK(ccenter_calendar_is_open(cal, next) == 1);
      CHECK(open ? next == t : next > t);
    }
    ccenter_civil c = {.size = sizeof c};
    CHECK(ccenter_calendar_to_civil(cal, t, &c) == 0);
    int64_t first = 0;
    CHECK(ccenter_calendar_from_civil(cal, &c, &first) == 0);
    CHECK(first <= t); /* the earlier of two occurrences, or t itself */
    int64_t out = 0;
    rc = ccenter_calendar_add_business_days(cal, t, (int)(h % 12), (ccenter_bday_mode)(h >> 63),
                                            &out);
    CHECK(rc == 0 || rc == CCENTER_ENOENT || rc == CCENTER_ERANGE);
    rc = ccenter_calendar_add_months(cal, t, (int)(h % 25) - 12, &out);
    CHECK(rc == 0 || rc == CCENTER_ERANGE);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  ccenter_calendar *cal = NULL;
  ccenter_parse_error err = {.size = sizeof err};
  int rc = ccenter_calendar_parse(NULL, (const char *)data, size, "fuzz", &cal, &err);
  if (rc) {
    fuzz_parse_refused(rc, cal, &err, data, size);
    return 0;
  }
  char *text = fuzz_calendar_text(cal);
  fuzz_calendar_reads_back(text);
  arithmetic(cal, data, size);
  free(text);
  ccenter_calendar_free(cal);
  return 0;
}
