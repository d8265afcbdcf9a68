/*
 * What harnesses share: a check that aborts with the harness's name (FUZZ_NAME, defined
 * before the include), a private temporary directory, an object's text through a writer
 * with the buffer contract of ccenter_calendar_write(), what a refused text must leave
 * (ccenter_parse_error), and a calendar's canonical text and its reading back.
 */
#ifndef CC_FUZZ_UTIL_H
#define CC_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ccenter/calendar.h"
#include "ccenter/common.h"

#define CHECK(cond)                                                                      \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      fprintf(stderr, "%s: %s:%d: check failed: %s\n", FUZZ_NAME, __FILE__, __LINE__,    \
              #cond);                                                                    \
      abort();                                                                           \
    }                                                                                    \
  } while (0)

/* Makes a private directory under $TMPDIR (or /tmp) into dir, "PREFIX-XXXXXX" filled in;
 * aborts when it cannot. */
static inline void fuzz_tmpdir(char *dir, size_t size, const char *prefix)
{
  const char *tmp = getenv("TMPDIR");
  snprintf(dir, size, "%s/%s-XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp", prefix);
  if (!mkdtemp(dir)) {
    fprintf(stderr, "%s: mkdtemp %s failed\n", FUZZ_NAME, dir);
    abort();
  }
}

/* An object's writer: 0, or CCENTER_ERANGE with *needed set when the buffer is short. */
typedef int (*fuzz_write_fn)(const void *obj, char *buf, size_t size, size_t *needed);

/* The text, malloc'd. A buffer one byte short is refused too. */
static inline char *fuzz_text(fuzz_write_fn write, const void *obj)
{
  size_t n = 0;
  CHECK(write(obj, NULL, 0, &n) == CCENTER_ERANGE);
  char *buf = malloc(n + 1);
  CHECK(buf != NULL);
  if (n > 0)
    CHECK(write(obj, buf, n, NULL) == CCENTER_ERANGE);
  CHECK(write(obj, buf, n + 1, NULL) == 0);
  CHECK(strlen(buf) == n);
  return buf;
}

/* A parser's refusal of data: CCENTER_ESYNTAX only (no allocation fails here), nothing
 * built, a NUL-terminated message and a line within the text. */
static inline void fuzz_parse_refused(int rc, const void *built, const ccenter_parse_error *err,
                                      const uint8_t *data, size_t size)
{
  int lines = 1;
  for (size_t i = 0; i < size; i++)
    lines += data[i] == '\n';
  CHECK(rc == CCENTER_ESYNTAX);
  CHECK(built == NULL);
  CHECK(memchr(err->message, 0, sizeof err->message) != NULL);
  CHECK(err->line >= 0 && err->line <= lines);
}

static inline int fuzz_write_calendar(const void *cal, char *buf, size_t size, size_t *needed)
{
  return ccenter_calendar_write(cal, buf, size, needed);
}

static inline char *fuzz_calendar_text(const ccenter_calendar *cal)
{
  return fuzz_text(fuzz_write_calendar, cal);
}

/* A calendar's canonical text parses again into a calendar that writes the same text. */
static inline void fuzz_calendar_reads_back(const char *text)
{
  ccenter_calendar *again = NULL;
  ccenter_parse_error err = {.size = sizeof err};
  int rc = ccenter_calendar_parse(NULL, text, strlen(text), "canonical", &again, &err);
  if (rc)
    fprintf(stderr, "%s: canonical text does not parse: %s\n%s\n", FUZZ_NAME, err.message,
            text);
  CHECK(rc == 0);
  char *text2 = fuzz_calendar_text(again);
  CHECK(strcmp(text, text2) == 0);
  free(text2);
  ccenter_calendar_free(again);
}

#endif
