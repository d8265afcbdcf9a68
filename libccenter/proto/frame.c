/*
 * Framing: the varint length prefix of Google's writeDelimitedTo / parseDelimitedFrom,
 * and a reader that cuts a byte stream into frames.
 *
 * The reader keeps complete and partial frames in one buffer, each behind a 4-byte
 * native length (a frame is at most 16 MiB), never the wire prefix: a prefix is decoded
 * byte by byte as it arrives, so an oversized length is refused before a byte of its
 * frame is copied, however the stream was split. Plain C: built with or without
 * protobuf-c.
 */
#include <stdlib.h>
#include <string.h>

#include "ccenter/proto.h"

struct ccenter_proto_reader {
  uint8_t *buf;
  size_t cap, len;  /* bytes in buf */
  size_t rpos;      /* start of the next complete frame to hand out */
  size_t done;      /* end of the complete frames */
  size_t max_frame;
  uint64_t hdr;     /* the prefix being decoded */
  unsigned hdr_n;   /* its bytes so far */
  size_t need;      /* body bytes still missing of the frame being read */
  int in_body;
  int err;          /* sticky: the stream is broken */
};

size_t ccenter_proto_prefix(uint64_t len, uint8_t *out)
{
  if (!out)
    return 0;
  size_t n = 0;
  while (len >= 0x80) {
    out[n++] = (uint8_t)(len | 0x80);
    len >>= 7;
  }
  out[n++] = (uint8_t)len;
  return n;
}

int ccenter_proto_reader_new(size_t max_frame, ccenter_proto_reader **out)
{
  if (!out)
    return CCENTER_EINVAL;
  if (max_frame > CCENTER_PROTO_MAX_FRAME_LIMIT)
    return CCENTER_ERANGE;
  ccenter_proto_reader *r = calloc(1, sizeof *r);
  if (!r)
    return CCENTER_ENOMEM;
  r->max_frame = max_frame ? max_frame : CCENTER_PROTO_DEFAULT_MAX_FRAME;
  *out = r;
  return 0;
}

void ccenter_proto_reader_free(ccenter_proto_reader *r)
{
  if (!r)
    return;
  free(r->buf);
  free(r);
}

static int reserve(ccenter_proto_reader *r, size_t extra)
{
  if (r->cap - r->len >= extra)
    return 0;
  size_t cap = r->cap ? r->cap : 256;
  while (cap - r->len < extra)
    cap *= 2;
  uint8_t *nb = realloc(r->buf, cap);
  if (!nb)
    return CCENTER_ENOMEM;
  r->buf = nb;
  r->cap = cap;
  return 0;
}

static void frame_done(ccenter_proto_reader *r)
{
  r->done = r->len;
  r->in_body = 0;
  r->hdr = 0;
  r->hdr_n = 0;
}

int ccenter_proto_reader_push(ccenter_proto_reader *r, const void *data, size_t len)
{
  if (!r || (!data && len))
    return CCENTER_EINVAL;
  if (r->err)
    return r->err;
  if (r->rpos) {
    memmove(r->buf, r->buf + r->rpos, r->len - r->rpos);
    r->len -= r->rpos;
    r->done -= r->rpos;
    r->rpos = 0;
  }
  const uint8_t *p = data;
  size_t i = 0;
  while (i < len) {
    if (r->in_body) {
      size_t n = len - i < r->need ? len - i : r->need;
      memcpy(r->buf + r->len, p + i, n);
      r->len += n;
      r->need -= n;
      i += n;
      if (!r->need)
        frame_done(r);
      continue;
    }
    uint8_t b = p[i++];
    /* The tenth byte holds bit 63 only: anything more does not fit in 64 bits. */
    if (r->hdr_n == 9 && b > 1)
      return r->err = CCENTER_ECORRUPT;
    r->hdr |= (uint64_t)(b & 0x7f) << (7 * r->hdr_n);
    r->hdr_n++;
    if (b & 0x80)
      continue;
    if (r->hdr > r->max_frame)
      return r->err = CCENTER_EFULL;
    int rc = reserve(r, 4 + (size_t)r->hdr);
    if (rc)
      return r->err = rc;
    uint32_t flen = (uint32_t)r->hdr;
    memcpy(r->buf + r->len, &flen, 4);
    r->len += 4;
    r->need = flen;
    r->in_body = 1;
    r->hdr = 0;
    r->hdr_n = 0;
    if (!flen)
      frame_done(r);
  }
  return 0;
}

int ccenter_proto_reader_next(ccenter_proto_reader *r, const uint8_t **frame, size_t *len)
{
  if (!r || !frame || !len)
    return CCENTER_EINVAL;
  if (r->rpos >= r->done)
    return 0;
  uint32_t flen;
  memcpy(&flen, r->buf + r->rpos, 4);
  *frame = r->buf + r->rpos + 4;
  *len = flen;
  r->rpos += 4 + (size_t)flen;
  return 1;
}

size_t ccenter_proto_reader_buffered(const ccenter_proto_reader *r)
{
  if (!r)
    return 0;
  /* Complete frames are stored behind 4 bytes; count them with their real prefix. */
  size_t n = r->hdr_n, pos = r->rpos;
  uint8_t pre[CCENTER_PROTO_PREFIX_MAX];
  while (pos < r->done) {
    uint32_t flen;
    memcpy(&flen, r->buf + pos, 4);
    n += ccenter_proto_prefix(flen, pre) + flen;
    pos += 4 + (size_t)flen;
  }
  if (r->in_body) {
    uint32_t flen;
    memcpy(&flen, r->buf + pos, 4);
    n += ccenter_proto_prefix(flen, pre) + (flen - r->need);
  }
  return n;
}
