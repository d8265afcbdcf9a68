#include "core/options.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *std_malloc(void *ud, size_t n)
{
  (void)ud;
  return malloc(n ? n : 1);
}

static void *std_realloc(void *ud, void *p, size_t n)
{
  (void)ud;
  return realloc(p, n ? n : 1);
}

static void std_free(void *ud, void *p)
{
  (void)ud;
  free(p);
}

void cc_alloc_default(cc_alloc *a)
{
  a->malloc_fn = std_malloc;
  a->realloc_fn = std_realloc;
  a->free_fn = std_free;
  a->ud = NULL;
}

void cc_alloc_of(const ccenter_options *opts, cc_alloc *a)
{
  if (opts)
    *a = opts->alloc;
  else
    cc_alloc_default(a);
}

void *cc_malloc(const cc_alloc *a, size_t n)
{
  return a->malloc_fn(a->ud, n);
}

void *cc_calloc(const cc_alloc *a, size_t count, size_t size)
{
  if (size && count > SIZE_MAX / size)
    return NULL;
  void *p = a->malloc_fn(a->ud, count * size);
  if (p)
    memset(p, 0, count * size);
  return p;
}

void *cc_realloc(const cc_alloc *a, void *p, size_t n)
{
  return a->realloc_fn(a->ud, p, n);
}

int cc_grow_out(const cc_alloc *a, void **arr, size_t *cap, size_t need, size_t elem)
{
  if (need <= *cap)
    return 0;
  size_t ncap = *cap ? *cap : 8;
  while (ncap < need) {
    if (ncap > SIZE_MAX / 2 / elem)
      return CCENTER_ENOMEM;
    ncap *= 2;
  }
  void *p = a->realloc_fn(a->ud, *arr, ncap * elem);
  if (!p)
    return CCENTER_ENOMEM;
  *arr = p;
  *cap = ncap;
  return 0;
}

int cc_grow_exact(const cc_alloc *a, void **arr, uint32_t *cap, size_t need, size_t elem)
{
  if (need <= *cap)
    return 0;
  if (need > UINT32_MAX || need > SIZE_MAX / elem)
    return CCENTER_ENOMEM;
  void *p = a->realloc_fn(a->ud, *arr, need * elem);
  if (!p)
    return CCENTER_ENOMEM;
  *arr = p;
  *cap = (uint32_t)need;
  return 0;
}

void cc_free(const cc_alloc *a, void *p)
{
  if (p)
    a->free_fn(a->ud, p);
}

char *cc_strdup(const cc_alloc *a, const char *s)
{
  size_t n = strlen(s) + 1;
  char *d = cc_malloc(a, n);
  if (d)
    memcpy(d, s, n);
  return d;
}

void cc_logf(const cc_log *log, ccenter_log_level level, const char *fmt, ...)
{
  if (!log->fn || level > log->level)
    return;
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  log->fn(log->ud, level, buf);
}

ccenter_options *ccenter_options_new(void)
{
  ccenter_options *o = calloc(1, sizeof *o);
  if (!o)
    return NULL;
  cc_alloc_default(&o->alloc);
  o->log.level = CCENTER_LOG_WARN;
  o->event_mask = CCENTER_EVENTS_ALL;
  return o;
}

void ccenter_options_free(ccenter_options *opts)
{
  free(opts);
}

int ccenter_options_set_allocator(ccenter_options *opts, ccenter_malloc_fn malloc_fn,
                                  ccenter_realloc_fn realloc_fn, ccenter_free_fn free_fn,
                                  void *ud)
{
  if (!opts)
    return CCENTER_EINVAL;
  int set = (malloc_fn != NULL) + (realloc_fn != NULL) + (free_fn != NULL);
  if (set == 0) {
    cc_alloc_default(&opts->alloc);
    return 0;
  }
  if (set != 3)
    return CCENTER_EINVAL;
  opts->alloc.malloc_fn = malloc_fn;
  opts->alloc.realloc_fn = realloc_fn;
  opts->alloc.free_fn = free_fn;
  opts->alloc.ud = ud;
  return 0;
}

int ccenter_options_set_log(ccenter_options *opts, ccenter_log_fn fn, ccenter_log_level level,
                            void *ud)
{
  if (!opts || (int)level < CCENTER_LOG_ERROR || (int)level > CCENTER_LOG_DEBUG)
    return CCENTER_EINVAL;
  opts->log.fn = fn;
  opts->log.level = level;
  opts->log.ud = ud;
  return 0;
}

int ccenter_options_set_statistics(ccenter_options *opts, int enabled)
{
  if (!opts)
    return CCENTER_EINVAL;
  opts->no_statistics = !enabled;
  return 0;
}

int ccenter_options_set_event_callback(ccenter_options *opts, ccenter_event_fn fn, void *ud)
{
  if (!opts)
    return CCENTER_EINVAL;
  opts->event_fn = fn;
  opts->event_ud = ud;
  return 0;
}

int ccenter_options_set_event_queue(ccenter_options *opts, int enabled)
{
  if (!opts)
    return CCENTER_EINVAL;
  opts->event_queue = enabled != 0;
  return 0;
}

int ccenter_options_set_event_mask(ccenter_options *opts, uint64_t mask)
{
  if (!opts)
    return CCENTER_EINVAL;
  opts->event_mask = mask;
  return 0;
}
