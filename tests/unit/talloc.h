/*
 * A counting allocator for the suites that fail allocations on purpose: the n-th
 * allocation from now fails (fail_in), and live says how many bytes are handed out and
 * not freed, so that a test sees both the out-of-memory paths and their leaks.
 */
#ifndef CC_TEST_TALLOC_H
#define CC_TEST_TALLOC_H

#include <stdlib.h>

typedef struct talloc {
  size_t live;    /* bytes handed out and not freed */
  long fail_in;   /* fail the allocation when it reaches 0; negative: never */
} talloc;

static inline void *t_malloc(void *ud, size_t n)
{
  talloc *a = ud;
  if (a->fail_in >= 0 && a->fail_in-- == 0)
    return NULL;
  size_t *p = malloc(n + 16);
  if (!p)
    return NULL;
  *p = n;
  a->live += n;
  return (char *)p + 16;
}

static inline void *t_realloc(void *ud, void *ptr, size_t n)
{
  talloc *a = ud;
  if (!ptr)
    return t_malloc(ud, n);
  if (a->fail_in >= 0 && a->fail_in-- == 0)
    return NULL;
  size_t *p = (size_t *)((char *)ptr - 16);
  size_t old = *p;
  p = realloc(p, n + 16);
  if (!p)
    return NULL;
  *p = n;
  a->live = a->live - old + n;
  return (char *)p + 16;
}

static inline void t_free(void *ud, void *ptr)
{
  talloc *a = ud;
  if (!ptr)
    return;
  size_t *p = (size_t *)((char *)ptr - 16);
  a->live -= *p;
  free(p);
}

#endif
