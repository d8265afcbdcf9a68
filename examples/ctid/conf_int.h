/* Shared between conf.c and conf_apply.c; not for ctid's other parts. */
#ifndef CTID_CONF_INT_H
#define CTID_CONF_INT_H

#include <stddef.h>

#include "conf.h"

/* Fills *err with "source:line: message" (or "source: message" when line is 0). */
void ctid_err(ctid_conf_error *err, const char *source, int line, const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));
/* Makes room for one more element in a growing array (new room zeroed). 0 or -1. */
int ctid_grow(void **arr, size_t *cap, size_t n, size_t elem);
/* The configuration key of a queue or engine option ("max_wait", ...). */
const char *ctid_queue_opt_key(int opt);
const char *ctid_engine_opt_key(int opt);

#endif
