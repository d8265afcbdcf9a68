/*
 * What harnesses share: a check that aborts with the harness's name (FUZZ_NAME, defined
 * before the include), a private temporary directory, the count of an input's lines, and
 * an object's text through a writer with the buffer contract of ccenter_calendar_write().
 */
#ifndef CC_FUZZ_UTIL_H
#define CC_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static inline int fuzz_lines(const uint8_t *data, size_t size)
{
  int n = 1;
  for (size_t i = 0; i < size; i++)
    n += data[i] == '\n';
  return n;
}

#endif
