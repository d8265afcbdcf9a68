/* The snapshot codec (core/snap.h). */
#include <string.h>

#include "core/snap.h"

void cc_sw_init(cc_snap_w *w, const cc_alloc *a)
{
  memset(w, 0, sizeof *w);
  w->alloc = a;
}

void cc_sw_free(cc_snap_w *w)
{
  cc_free(w->alloc, w->p);
  w->p = NULL;
  w->len = w->cap = 0;
}

static int room(cc_snap_w *w, size_t more)
{
  if (w->err)
    return 0;
  if (w->len + more > w->cap &&
      cc_grow(w->alloc, (void **)&w->p, &w->cap, w->len + more, 1) != 0) {
    w->err = CCENTER_ENOMEM;
    return 0;
  }
  return 1;
}

static void put_u64(cc_snap_w *w, uint64_t v)
{
  while (v >= 0x80) {
    w->p[w->len++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  w->p[w->len++] = (uint8_t)v;
}

void cc_sw_u64(cc_snap_w *w, uint64_t v)
{
  if (room(w, 10))
    put_u64(w, v);
}

void cc_sw_i64(cc_snap_w *w, int64_t v)
{
  cc_sw_u64(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void cc_sw_str(cc_snap_w *w, const char *s)
{
  size_t n = s ? strlen(s) : 0;
  if (!room(w, 11 + n))
    return;
  put_u64(w, s ? (uint64_t)n + 1 : 0);
  if (!s)
    return;
  memcpy(w->p + w->len, s, n);
  w->len += n;
  w->p[w->len++] = 0;
}

void cc_sw_bytes(cc_snap_w *w, const void *p, size_t n)
{
  if (!room(w, 10 + n))
    return;
  put_u64(w, n);
  if (n)
    memcpy(w->p + w->len, p, n);
  w->len += n;
}

void cc_sw_tag(cc_snap_w *w, uint64_t tag)
{
  cc_sw_u64(w, tag);
}

void cc_sr_init(cc_snap_r *r, const void *p, size_t len)
{
  r->p = p;
  r->len = len;
  r->off = 0;
  r->err = 0;
}

void cc_sr_fail(cc_snap_r *r)
{
  if (!r->err)
    r->err = CCENTER_ECORRUPT;
}

void cc_sr_ascending(cc_snap_r *r, uint64_t v, uint64_t *next)
{
  if (v < *next || v == UINT64_MAX)
    cc_sr_fail(r);
  else
    *next = v + 1;
}

uint64_t cc_sr_u64(cc_snap_r *r)
{
  uint64_t v = 0;
  for (unsigned shift = 0; !r->err; shift += 7) {
    if (r->off >= r->len || shift > 63) {
      cc_sr_fail(r);
      break;
    }
    uint8_t b = r->p[r->off++];
    /* The tenth byte holds one bit; anything more overflows 64 bits. */
    if (shift == 63 && b > 1) {
      cc_sr_fail(r);
      break;
    }
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      if (b == 0 && shift) { /* an overlong form: one value, one encoding */
        cc_sr_fail(r);
        break;
      }
      return v;
    }
  }
  return 0;
}

int64_t cc_sr_i64(cc_snap_r *r)
{
  uint64_t u = cc_sr_u64(r);
  return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

int64_t cc_sr_range(cc_snap_r *r, int64_t lo, int64_t hi)
{
  int64_t v = cc_sr_i64(r);
  if (r->err || v < lo || v > hi) {
    cc_sr_fail(r);
    return lo;
  }
  return v;
}

const char *cc_sr_str(cc_snap_r *r, size_t *len)
{
  if (len)
    *len = 0;
  uint64_t l = cc_sr_u64(r);
  if (r->err || l == 0)
    return NULL;
  if (l > r->len - r->off) {
    cc_sr_fail(r);
    return NULL;
  }
  const char *s = (const char *)r->p + r->off;
  size_t n = (size_t)l - 1;
  if (s[n] != 0 || memchr(s, 0, n)) {
    cc_sr_fail(r);
    return NULL;
  }
  r->off += (size_t)l;
  if (len)
    *len = n;
  return s;
}

const char *cc_sr_str_nn(cc_snap_r *r, size_t *len)
{
  const char *s = cc_sr_str(r, len);
  if (!s)
    cc_sr_fail(r);
  return s;
}

const void *cc_sr_bytes(cc_snap_r *r, size_t *n)
{
  *n = 0;
  uint64_t l = cc_sr_u64(r);
  if (r->err)
    return NULL;
  if (l > r->len - r->off) {
    cc_sr_fail(r);
    return NULL;
  }
  const void *p = r->p + r->off;
  r->off += (size_t)l;
  *n = (size_t)l;
  return l ? p : NULL;
}

void cc_sr_tag(cc_snap_r *r, uint64_t tag)
{
  if (cc_sr_u64(r) != tag)
    cc_sr_fail(r);
}

int cc_sr_done(const cc_snap_r *r)
{
  return !r->err && r->off == r->len;
}
