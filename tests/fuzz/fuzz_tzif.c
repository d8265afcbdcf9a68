/*
 * libFuzzer harness for the TZif reader (libccenter/files/calendar_file.c, RFC 8536
 * versions 1-3 with their POSIX TZ footer).
 *
 * Each input is written to a file in a private temporary directory and loaded with
 * ccenter_calendar_load_tzif() by its path, into a calendar that already has offsets of
 * its own. Besides the sanitizers' checks, the harness asserts what
 * include/ccenter/calendar.h promises:
 *   - the result is 0, CCENTER_ECORRUPT or CCENTER_EFULL (no allocation fails here);
 *   - a failed load leaves the calendar as it was (its canonical text unchanged);
 *   - a successful one gives offsets within CCENTER_CALENDAR_MAX_OFFSET_S, and a
 *     calendar whose canonical text parses back to the same text.
 * Build: meson setup with -Dfuzz=true and CC=clang (tests/fuzz/run.sh).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ccenter/calendar.h"
#include "ccenter/common.h"

#define FUZZ_NAME "fuzz_tzif"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static char dir[64];
static char tz_path[128];

static void remove_dir(void)
{
  unlink(tz_path);
  rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  fuzz_tmpdir(dir, sizeof dir, "ccfuzz-tz");
  snprintf(tz_path, sizeof tz_path, "%s/zone", dir);
  atexit(remove_dir);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  FILE *f = fopen(tz_path, "wb");
  CHECK(f != NULL);
  CHECK(fwrite(data, 1, size, f) == size);
  CHECK(fclose(f) == 0);
  ccenter_calendar *cal = NULL;
  CHECK(ccenter_calendar_new(NULL, "fuzz", &cal) == 0);
  CHECK(ccenter_calendar_set_offset(cal, 5 * 3600 + 45 * 60) == 0);
  CHECK(ccenter_calendar_add_transition(cal, INT64_C(1800000000000), -3600) == 0);
  char *before = fuzz_calendar_text(cal);
  /* From 1960 to 2050: the footer's rule runs for the years past the last transition. */
  const int64_t from = INT64_C(-315619200000), to = INT64_C(2524608000000);
  int rc = ccenter_calendar_load_tzif(cal, tz_path, from, to);
  CHECK(rc == 0 || rc == CCENTER_ECORRUPT || rc == CCENTER_EFULL);
  char *after = fuzz_calendar_text(cal);
  if (rc) {
    CHECK(strcmp(before, after) == 0);
  } else {
    for (int64_t t = from; t < to; t += INT64_C(86400000) * 365 / 3) {
      int32_t off = INT32_MIN;
      CHECK(ccenter_calendar_offset_at(cal, t, &off) == 0);
      CHECK(off >= -CCENTER_CALENDAR_MAX_OFFSET_S && off <= CCENTER_CALENDAR_MAX_OFFSET_S);
    }
    fuzz_calendar_reads_back(after);
  }
  free(after);
  free(before);
  ccenter_calendar_free(cal);
  return 0;
}
