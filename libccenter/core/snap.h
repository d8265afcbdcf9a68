/*
 * Internal: the byte codec of engine snapshots (acd/snapshot.c, sla/ statistics,
 * workflow/ case engine). A snapshot is the whole state of an engine in one blob, so that
 * a store can bring an engine back without replaying its history. The blob is read
 * strictly: a reader that finds anything not exactly as a writer put it fails with
 * CCENTER_ECORRUPT, never reads outside the blob, and never guesses.
 *
 * Field types (the same varints as the store's `extra` column):
 *   u64   unsigned LEB128: 7 bits a byte, least significant group first, the high bit
 *         set on every byte but the last; at most 10 bytes, and the shortest form only
 *         (a last byte of 0 after others is an overlong form: corrupt)
 *   i64   zigzag ((n << 1) ^ (n >> 63)) then u64
 *   str   u64 L: 0 is NULL; else L - 1 bytes with no NUL among them, then one 0 byte (so a
 *         reader hands out pointers into the blob)
 *   bytes u64 L, then L bytes
 *   tag   u64: a section marker, checked by the reader, so a reader that has gone out of
 *         step with the writer stops at the next section instead of reading garbage
 *
 * Writers accumulate the first error (CCENTER_ENOMEM) in w->err and do nothing after it,
 * readers theirs (CCENTER_ECORRUPT) in r->err and return zeros / NULL after it: a codec
 * writes its fields straight on and checks the error once at the end.
 */
#ifndef CC_CORE_SNAP_H
#define CC_CORE_SNAP_H

#include <stddef.h>
#include <stdint.h>

#include "core/options.h"

typedef struct cc_snap_w {
  const cc_alloc *alloc;
  uint8_t *p;
  size_t len, cap;
  int err;
} cc_snap_w;

typedef struct cc_snap_r {
  const uint8_t *p;
  size_t len, off;
  int err;
} cc_snap_r;

void cc_sw_init(cc_snap_w *w, const cc_alloc *a);
void cc_sw_free(cc_snap_w *w);
void cc_sw_u64(cc_snap_w *w, uint64_t v);
void cc_sw_i64(cc_snap_w *w, int64_t v);
void cc_sw_str(cc_snap_w *w, const char *s);
void cc_sw_bytes(cc_snap_w *w, const void *p, size_t n);
void cc_sw_tag(cc_snap_w *w, uint64_t tag);

void cc_sr_init(cc_snap_r *r, const void *p, size_t len);
uint64_t cc_sr_u64(cc_snap_r *r);
int64_t cc_sr_i64(cc_snap_r *r);
/* An i64 that must lie in [lo, hi]; outside it the blob is corrupt (returns lo). */
int64_t cc_sr_range(cc_snap_r *r, int64_t lo, int64_t hi);
/* A pointer into the blob (NUL-terminated there), or NULL for a NULL string or an error:
 * tell them apart with r->err. *len (may be NULL) gets its length. */
const char *cc_sr_str(cc_snap_r *r, size_t *len);
/* Like cc_sr_str, but a NULL string is corrupt. */
const char *cc_sr_str_nn(cc_snap_r *r, size_t *len);
/* A pointer to n bytes in the blob, or NULL (error or n = 0). */
const void *cc_sr_bytes(cc_snap_r *r, size_t *n);
void cc_sr_tag(cc_snap_r *r, uint64_t tag);
/* Marks the blob corrupt (a value the reader's own checks refuse). */
void cc_sr_fail(cc_snap_r *r);
/* Values written in increasing order (a map's slots): marks the blob corrupt unless
 * v >= *next, then sets *next to v + 1. *next starts at 0. */
void cc_sr_ascending(cc_snap_r *r, uint64_t v, uint64_t *next);
/* Every byte read and no error: the end of a well-formed blob. */
int cc_sr_done(const cc_snap_r *r);

#endif
