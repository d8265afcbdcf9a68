/* Internal: the options object's layout and the allocation/log helpers every module uses. */
#ifndef CC_CORE_OPTIONS_H
#define CC_CORE_OPTIONS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "ccenter/options.h"

typedef struct cc_alloc {
  ccenter_malloc_fn malloc_fn;
  ccenter_realloc_fn realloc_fn;
  ccenter_free_fn free_fn;
  void *ud;
} cc_alloc;

typedef struct cc_log {
  ccenter_log_fn fn;
  ccenter_log_level level;
  void *ud;
} cc_log;

struct ccenter_options {
  cc_alloc alloc;
  cc_log log;
  ccenter_event_fn event_fn;
  void *event_ud;
  int event_queue;
  int no_statistics;
  uint64_t event_mask; /* bit n: event type n is delivered */
};

/* The C library's allocator wrapped in the hook signatures. */
void cc_alloc_default(cc_alloc *a);
/* The allocator of `opts`, or the C library's for NULL: the rule of every constructor that
 * takes options. */
void cc_alloc_of(const ccenter_options *opts, cc_alloc *a);

void *cc_malloc(const cc_alloc *a, size_t n);
void *cc_calloc(const cc_alloc *a, size_t count, size_t size);
void *cc_realloc(const cc_alloc *a, void *p, size_t n);
/* Grows an array of elem-size items to hold at least need items; doubles. 0 or ENOMEM.
 * The test for room is in line: every engine call reserves several arrays, nearly always
 * already large enough, and the call cost more than the test. */
int cc_grow_out(const cc_alloc *a, void **arr, size_t *cap, size_t need, size_t elem);
static inline int cc_grow(const cc_alloc *a, void **arr, size_t *cap, size_t need, size_t elem)
{
  return need <= *cap ? 0 : cc_grow_out(a, arr, cap, need, elem);
}
/* Like cc_grow, to exactly `need` elements: for the small per-agent arrays that change by
 * administration, where doubling would waste more than it saves. */
int cc_grow_exact(const cc_alloc *a, void **arr, uint32_t *cap, size_t need, size_t elem);
void cc_free(const cc_alloc *a, void *p);
char *cc_strdup(const cc_alloc *a, const char *s);

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void cc_logf(const cc_log *log, ccenter_log_level level, const char *fmt, ...);

#endif
