/*
 * The journal's `extra` column: what a record holds that does not fit its columns. The
 * only file format of the store's own (everything else is SQLite's), so it is small and
 * read strictly: a blob that is not exactly as written here is corrupt, never guessed at.
 *
 * Format, version 1. A blob is
 *
 *     version  1 byte, 1
 *     kind     1 byte: 1 contact params, 2 thresholds, 3 evidence
 *     body     the kind's fields, in the order below, and nothing after them
 *
 * with these field types:
 *
 *     uint     unsigned LEB128 varint: 7 bits a byte, least significant group first, the
 *              high bit set on every byte but the last; at most 10 bytes
 *     int      a signed 64-bit value as a zigzag-encoded uint ((n << 1) ^ (n >> 63): 0, -1,
 *              1, -2 ... become 0, 1, 2, 3 ...)
 *     str      uint L, then L - 1 bytes when L > 0 (no NUL among them); L = 0 is NULL, so
 *              NULL and "" (L = 1) differ
 *
 * Bodies:
 *
 *     1 params      int channel, int priority, str customer,
 *                   uint n_attrs (<= 64), n_attrs x (str key, str value),
 *                   uint n_steps (<= 8), n_steps x (str requirement, int duration_ms),
 *                   uint n_preferred (<= 8), n_preferred x str id,
 *                   int preferred_timeout_ms, int emergency
 *                   (CONTACT_ENQUEUE; every field of ccenter_contact_params but size and
 *                   user_data, docs/journal.md; a NULL params is written as the defaults)
 *     2 thresholds  uint n (<= 8), n x int ms            (QUEUE_SET_THRESHOLDS)
 *     3 evidence    uint n (<= 16), n x (str name, str ref)   (a case TRANSITION)
 *
 * channel, priority and emergency are C ints: a value outside int's range is corrupt. A
 * record whose op carries no blob has extra NULL. The limits are the engines' own (their
 * argument checks refuse longer lists), so a longer list can only be damage.
 */
#include <limits.h>
#include <string.h>

#include "store/store_int.h"

/* A buffer's or decoder's allocator, or the C library's when it was left NULL (tools and
 * tests that need no accounting). */
static const cc_alloc *alloc_or_default(const cc_alloc *a, cc_alloc *def)
{
  if (a)
    return a;
  cc_alloc_default(def);
  return def;
}

/* ---- encoding ------------------------------------------------------------------------- */

static int xreserve(cc_xbuf *b, size_t more)
{
  if (b->len + more <= b->cap)
    return 0;
  cc_alloc def;
  return cc_grow(alloc_or_default(b->alloc, &def), (void **)&b->p, &b->cap, b->len + more, 1);
}

static void put_uint(cc_xbuf *b, uint64_t v)
{
  while (v >= 0x80) {
    b->p[b->len++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  b->p[b->len++] = (uint8_t)v;
}

static void put_int(cc_xbuf *b, int64_t v)
{
  put_uint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

/* Room for one varint and a string's bytes. */
static int put_str(cc_xbuf *b, const char *s)
{
  size_t n = s ? strlen(s) : 0;
  if (xreserve(b, 10 + n))
    return CCENTER_ENOMEM;
  put_uint(b, s ? (uint64_t)n + 1 : 0);
  if (n)
    memcpy(b->p + b->len, s, n);
  b->len += n;
  return 0;
}

/* Most bytes a header and `fixed` varints take. */
static int head(cc_xbuf *b, cc_xkind kind, size_t fixed)
{
  if (xreserve(b, 2 + 10 * fixed))
    return CCENTER_ENOMEM;
  b->p[b->len++] = CC_XFMT_VERSION;
  b->p[b->len++] = (uint8_t)kind;
  return 0;
}

int cc_rec_put_params(cc_xbuf *b, const ccenter_contact_params *p)
{
  ccenter_contact_params def;
  if (!p) {
    ccenter_contact_params_init(&def);
    p = &def;
  }
  if (head(b, CC_X_PARAMS, 2) != 0)
    return CCENTER_ENOMEM;
  /* As the C int the reader returns: the enum's own type may be unsigned. */
  put_int(b, (int)p->channel);
  put_int(b, p->priority);
  if (put_str(b, p->customer) || xreserve(b, 10))
    return CCENTER_ENOMEM;
  put_uint(b, p->n_attrs);
  for (size_t i = 0; i < p->n_attrs; i++)
    if (put_str(b, p->attrs[i].key) || put_str(b, p->attrs[i].value))
      return CCENTER_ENOMEM;
  if (xreserve(b, 10))
    return CCENTER_ENOMEM;
  put_uint(b, p->n_steps);
  for (size_t i = 0; i < p->n_steps; i++) {
    if (put_str(b, p->steps[i].requirement) || xreserve(b, 10))
      return CCENTER_ENOMEM;
    put_int(b, p->steps[i].duration_ms);
  }
  if (xreserve(b, 10))
    return CCENTER_ENOMEM;
  put_uint(b, p->n_preferred);
  for (size_t i = 0; i < p->n_preferred; i++)
    if (put_str(b, p->preferred[i]))
      return CCENTER_ENOMEM;
  if (xreserve(b, 20))
    return CCENTER_ENOMEM;
  put_int(b, p->preferred_timeout_ms);
  put_int(b, p->emergency);
  return 0;
}

int cc_rec_put_thresholds(cc_xbuf *b, const int64_t *arr, size_t n)
{
  if (head(b, CC_X_THRESHOLDS, 1 + n) != 0)
    return CCENTER_ENOMEM;
  put_uint(b, n);
  for (size_t i = 0; i < n; i++)
    put_int(b, arr[i]);
  return 0;
}

int cc_rec_put_evidence(cc_xbuf *b, const ccenter_case_evidence *ev, size_t n)
{
  if (head(b, CC_X_EVIDENCE, 1) != 0)
    return CCENTER_ENOMEM;
  put_uint(b, n);
  for (size_t i = 0; i < n; i++)
    if (put_str(b, ev[i].name) || put_str(b, ev[i].ref))
      return CCENTER_ENOMEM;
  return 0;
}

cc_xkind cc_rec_extra_kind(int cases, int op)
{
  if (cases)
    return op == CC_COP_TRANSITION ? CC_X_EVIDENCE : (cc_xkind)0;
  if (op == CC_OP_CONTACT_ENQUEUE)
    return CC_X_PARAMS;
  if (op == CC_OP_QUEUE_SET_THRESHOLDS)
    return CC_X_THRESHOLDS;
  return (cc_xkind)0;
}

/* ---- decoding ------------------------------------------------------------------------- */

typedef struct rd {
  const uint8_t *p, *end;
  char *out; /* where the next string is copied (d->text) */
  int bad;
} rd;

static uint64_t get_uint(rd *r)
{
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (r->p >= r->end) {
      r->bad = 1;
      return 0;
    }
    uint8_t c = *r->p++;
    /* The tenth byte holds bit 63 only. */
    if (shift == 63 && c > 1) {
      r->bad = 1;
      return 0;
    }
    v |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) {
      if (c == 0 && shift) /* an overlong form: one value, one encoding */
        r->bad = 1;
      return v;
    }
  }
  r->bad = 1;
  return 0;
}

static int64_t get_int(rd *r)
{
  uint64_t u = get_uint(r);
  return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static int get_cint(rd *r)
{
  int64_t v = get_int(r);
  if (v < INT_MIN || v > INT_MAX) {
    r->bad = 1;
    return 0;
  }
  return (int)v;
}

static size_t get_count(rd *r, size_t max)
{
  uint64_t n = get_uint(r);
  if (n > max) {
    r->bad = 1;
    return 0;
  }
  return (size_t)n;
}

static const char *get_str(rd *r)
{
  uint64_t l = get_uint(r);
  if (r->bad || l == 0)
    return NULL;
  if (l - 1 > (uint64_t)(r->end - r->p)) {
    r->bad = 1;
    return NULL;
  }
  size_t n = (size_t)(l - 1);
  if (memchr(r->p, 0, n)) {
    r->bad = 1;
    return NULL;
  }
  char *s = r->out;
  memcpy(s, r->p, n);
  s[n] = '\0';
  r->out += n + 1;
  r->p += n;
  return s;
}

int cc_rec_decode(cc_xdec *d, const void *blob, size_t len)
{
  if (!blob || len < 2)
    return CCENTER_ECORRUPT;
  /* Every string takes at least one byte of length before its bytes, and its copy one
   * NUL after them: the copies never need more than the blob's length. */
  if (d->text_cap < len) {
    cc_alloc def;
    char *t = cc_realloc(alloc_or_default(d->alloc, &def), d->text, len);
    if (!t)
      return CCENTER_ENOMEM;
    d->text = t;
    d->text_cap = len;
  }
  const uint8_t *p = blob;
  rd r = {p + 2, p + len, d->text, 0};
  if (p[0] != CC_XFMT_VERSION)
    return CCENTER_ECORRUPT;
  d->kind = (cc_xkind)p[1];
  switch (d->kind) {
  case CC_X_PARAMS: {
    ccenter_contact_params *q = &d->params;
    ccenter_contact_params_init(q);
    q->channel = (ccenter_channel)get_cint(&r);
    q->priority = get_cint(&r);
    q->customer = get_str(&r);
    q->n_attrs = get_count(&r, CC_X_MAX_ATTRS);
    for (size_t i = 0; i < q->n_attrs && !r.bad; i++) {
      d->attrs[i].key = get_str(&r);
      d->attrs[i].value = get_str(&r);
    }
    q->attrs = q->n_attrs ? d->attrs : NULL;
    q->n_steps = get_count(&r, CC_X_MAX_STEPS);
    for (size_t i = 0; i < q->n_steps && !r.bad; i++) {
      d->steps[i].requirement = get_str(&r);
      d->steps[i].duration_ms = get_int(&r);
    }
    q->steps = q->n_steps ? d->steps : NULL;
    q->n_preferred = get_count(&r, CC_X_MAX_PREFERRED);
    for (size_t i = 0; i < q->n_preferred && !r.bad; i++)
      d->preferred[i] = get_str(&r);
    q->preferred = q->n_preferred ? d->preferred : NULL;
    q->preferred_timeout_ms = get_int(&r);
    q->emergency = get_cint(&r);
    break;
  }
  case CC_X_THRESHOLDS:
    d->n_arr = get_count(&r, CC_X_MAX_THRESHOLDS);
    for (size_t i = 0; i < d->n_arr && !r.bad; i++)
      d->arr[i] = get_int(&r);
    break;
  case CC_X_EVIDENCE:
    d->n_ev = get_count(&r, CC_X_MAX_EVIDENCE);
    for (size_t i = 0; i < d->n_ev && !r.bad; i++) {
      d->ev[i].name = get_str(&r);
      d->ev[i].ref = get_str(&r);
    }
    break;
  default:
    return CCENTER_ECORRUPT;
  }
  return r.bad || r.p != r.end ? CCENTER_ECORRUPT : 0;
}

void cc_rec_xdec_free(cc_xdec *d)
{
  if (!d)
    return;
  cc_alloc def;
  cc_free(alloc_or_default(d->alloc, &def), d->text);
  d->text = NULL;
  d->text_cap = 0;
}
