/*
 * SHA-256 (FIPS 180-4), HMAC-SHA-256 (RFC 2104) and the audit hash chain.
 *
 * The core library links libc and libm only, so the hash is implemented here.
 *
 * The audit line. One record is one line of 13 fields separated by a single TAB (0x09),
 * with no newline at the end, in this order:
 *
 *   seq time case actor what name from to value reason evidence prev hash
 *
 * - seq: the record's number, 1 for the first record of a chain, in decimal without
 *   leading zeros; each record's seq is the previous one's plus 1.
 * - time: the input's time, ms since the epoch, in decimal ("-" for negative values, no
 *   leading zeros, "0" for zero).
 * - case .. reason: texts, escaped (below); an absent value is the empty string.
 * - evidence: empty when there is none; otherwise each reference as `name=ref`, the
 *   references joined by ";", name and ref escaped as texts and in addition ";" written
 *   as \x3b and "=" as \x3d, so that a raw ";" and "=" in this field are always
 *   separators.
 * - prev: the previous record's hash, 64 lowercase hex digits (all zeros before seq 1).
 * - hash: this record's hash, 64 lowercase hex digits:
 *     hash = SHA-256(P || L), or HMAC-SHA-256(key, P || L) on a keyed chain,
 *   where P is the previous hash as 32 raw bytes and L the bytes of the line from its
 *   first byte up to and including the TAB before the hash field.
 *
 * Escaping of texts: "\" becomes "\\", TAB "\t", LF "\n", CR "\r", every other byte below
 * 0x20 and 0x7f becomes "\x" and two lowercase hex digits; every other byte (including
 * UTF-8 sequences) is written as is. A line therefore never holds a raw control byte.
 * Decoding reads "\\", "\t", "\n", "\r" and "\xHH" back. The verifier accepts only these
 * canonical forms (a "\x" escape only for a byte that must be escaped there), so each
 * record has exactly one text and a stray byte makes its line unparsable.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#  define CC_SHA_X86 1
#  include <cpuid.h>
#  include <immintrin.h>
#endif

#include "ccenter/common.h"
#include "ccenter/workflow.h"
#include "core/options.h"
#include "workflow/wf_int.h"

/* ---- SHA-256 ---------------------------------------------------------------------- */

static const uint32_t K[64] = {
  0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u,
  0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu,
  0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu,
  0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau, 0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u,
  0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu,
  0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
  0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u, 0x19a4c116u,
  0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
  0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u,
  0xc67178f2u};

static inline uint32_t ror(uint32_t x, unsigned n)
{
  return (x >> n) | (x << (32 - n));
}

static inline uint32_t load_be32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

#define BS0(x) (ror(x, 2) ^ ror(x, 13) ^ ror(x, 22))
#define BS1(x) (ror(x, 6) ^ ror(x, 11) ^ ror(x, 25))
#define SS0(x) (ror(x, 7) ^ ror(x, 18) ^ ((x) >> 3))
#define SS1(x) (ror(x, 17) ^ ror(x, 19) ^ ((x) >> 10))
#define CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MAJ(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))

/* The schedule is kept as a 16-word window, updated in place: W[i & 15] becomes W[i]. */
#define SCHED(i)                                                                        \
  (w[(i) & 15] += SS1(w[((i) - 2) & 15]) + w[((i) - 7) & 15] + SS0(w[((i) - 15) & 15]))

/* One round without rotating eight variables: the callers rename them instead. */
#define RND(a, b, c, d, e, f, g, h, k, wi)                                              \
  do {                                                                                  \
    uint32_t t1_ = (h) + BS1(e) + CH(e, f, g) + (k) + (wi);                             \
    (d) += t1_;                                                                         \
    (h) = t1_ + BS0(a) + MAJ(a, b, c);                                                  \
  } while (0)

#define RND8(i, W)                                                                      \
  RND(a, b, c, d, e, f, g, h, K[(i) + 0], W((i) + 0));                                  \
  RND(h, a, b, c, d, e, f, g, K[(i) + 1], W((i) + 1));                                  \
  RND(g, h, a, b, c, d, e, f, K[(i) + 2], W((i) + 2));                                  \
  RND(f, g, h, a, b, c, d, e, K[(i) + 3], W((i) + 3));                                  \
  RND(e, f, g, h, a, b, c, d, K[(i) + 4], W((i) + 4));                                  \
  RND(d, e, f, g, h, a, b, c, K[(i) + 5], W((i) + 5));                                  \
  RND(c, d, e, f, g, h, a, b, K[(i) + 6], W((i) + 6));                                  \
  RND(b, c, d, e, f, g, h, a, K[(i) + 7], W((i) + 7))

#define WLOAD(i) w[i]

static void compress_portable(uint32_t st[8], const uint8_t *p, size_t blocks)
{
  while (blocks--) {
    uint32_t w[16];
    for (int i = 0; i < 16; i++)
      w[i] = load_be32(p + 4 * i);
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
    uint32_t e = st[4], f = st[5], g = st[6], h = st[7];
    RND8(0, WLOAD);
    RND8(8, WLOAD);
    RND8(16, SCHED);
    RND8(24, SCHED);
    RND8(32, SCHED);
    RND8(40, SCHED);
    RND8(48, SCHED);
    RND8(56, SCHED);
    st[0] += a;
    st[1] += b;
    st[2] += c;
    st[3] += d;
    st[4] += e;
    st[5] += f;
    st[6] += g;
    st[7] += h;
    p += 64;
  }
}

#ifdef CC_SHA_X86
/* The x86 SHA extensions do a record in a fraction of the portable code's time, which
 * the case engine's rate needs (docs/performance.md). State words are kept as ABEF and
 * CDGH, the order sha256rnds2 works on. */
/* Four rounds on message vector m; then, while the schedule still needs them, next gets
 * its sha256msg2 step from m and prev its sha256msg1 step. */
#define QR(i, m, next, prev, do2, do1)                                                  \
  do {                                                                                  \
    __m128i k_ = _mm_add_epi32(m, _mm_loadu_si128((const __m128i *)&K[4 * (i)]));       \
    s1 = _mm_sha256rnds2_epu32(s1, s0, k_);                                             \
    if (do2) {                                                                          \
      next = _mm_add_epi32(next, _mm_alignr_epi8(m, prev, 4));                          \
      next = _mm_sha256msg2_epu32(next, m);                                             \
    }                                                                                   \
    s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(k_, 0x0e));                    \
    if (do1)                                                                            \
      prev = _mm_sha256msg1_epu32(prev, m);                                             \
  } while (0)

__attribute__((target("sha,sse4.1,ssse3"))) static void
compress_shani(uint32_t st[8], const uint8_t *p, size_t blocks)
{
  const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
  __m128i t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&st[0]), 0xb1);
  __m128i s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&st[4]), 0x1b);
  __m128i s0 = _mm_alignr_epi8(t, s1, 8);
  s1 = _mm_blend_epi16(s1, t, 0xf0);
  while (blocks--) {
    __m128i save0 = s0, save1 = s1;
    __m128i m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 0)), bswap);
    __m128i m1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), bswap);
    __m128i m2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), bswap);
    __m128i m3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), bswap);
    QR(0, m0, m1, m3, 0, 0);
    QR(1, m1, m2, m0, 0, 1);
    QR(2, m2, m3, m1, 0, 1);
    QR(3, m3, m0, m2, 1, 1);
    QR(4, m0, m1, m3, 1, 1);
    QR(5, m1, m2, m0, 1, 1);
    QR(6, m2, m3, m1, 1, 1);
    QR(7, m3, m0, m2, 1, 1);
    QR(8, m0, m1, m3, 1, 1);
    QR(9, m1, m2, m0, 1, 1);
    QR(10, m2, m3, m1, 1, 1);
    QR(11, m3, m0, m2, 1, 1);
    QR(12, m0, m1, m3, 1, 1);
    QR(13, m1, m2, m0, 1, 0);
    QR(14, m2, m3, m1, 1, 0);
    QR(15, m3, m0, m2, 0, 0);
    s0 = _mm_add_epi32(s0, save0);
    s1 = _mm_add_epi32(s1, save1);
    p += 64;
  }
  t = _mm_shuffle_epi32(s0, 0x1b);
  s1 = _mm_shuffle_epi32(s1, 0xb1);
  s0 = _mm_blend_epi16(t, s1, 0xf0);
  s1 = _mm_alignr_epi8(s1, t, 8);
  _mm_storeu_si128((__m128i *)&st[0], s0);
  _mm_storeu_si128((__m128i *)&st[4], s1);
}

static int cpu_has_sha(void)
{
  unsigned a, b, c, d;
  if (__get_cpuid_max(0, NULL) < 7 || !__get_cpuid(1, &a, &b, &c, &d))
    return 0;
  int sse = (c & bit_SSSE3) && (c & bit_SSE4_1);
  __cpuid_count(7, 0, a, b, c, d);
  return sse && (b & bit_SHA);
}
#endif

/* 0: not chosen yet, 1: portable, 2: SHA extensions. Atomic because engines in different
 * threads share it; every thread that races computes the same value. */
static atomic_int sha_impl;

static int sha_choose(int want)
{
  int impl = 1;
#ifdef CC_SHA_X86
  if (want && cpu_has_sha())
    impl = 2;
#else
  (void)want;
#endif
  atomic_store_explicit(&sha_impl, impl, memory_order_relaxed);
  return impl;
}

int cc_sha256_accel(int want)
{
  int impl = want >= 0 ? sha_choose(want)
                       : atomic_load_explicit(&sha_impl, memory_order_relaxed);
  if (!impl)
    impl = sha_choose(1);
  return impl == 2;
}

static void compress(uint32_t st[8], const uint8_t *p, size_t blocks)
{
  int impl = atomic_load_explicit(&sha_impl, memory_order_relaxed);
  if (!impl)
    impl = sha_choose(1);
#ifdef CC_SHA_X86
  if (impl == 2) {
    compress_shani(st, p, blocks);
    return;
  }
#endif
  compress_portable(st, p, blocks);
}

void cc_sha256_init(cc_sha256 *c)
{
  static const uint32_t iv[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
                                 0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u};
  memcpy(c->h, iv, sizeof iv);
  c->len = 0;
  c->n = 0;
}

void cc_sha256_update(cc_sha256 *c, const void *data, size_t len)
{
  const uint8_t *p = data;
  c->len += len;
  if (c->n) {
    size_t take = 64 - c->n < len ? 64 - c->n : len;
    memcpy(c->buf + c->n, p, take);
    c->n += take;
    p += take;
    len -= take;
    if (c->n < 64)
      return;
    compress(c->h, c->buf, 1);
    c->n = 0;
  }
  if (len >= 64) {
    compress(c->h, p, len / 64);
    p += len & ~(size_t)63;
    len &= 63;
  }
  if (len) {
    memcpy(c->buf, p, len);
    c->n = len;
  }
}

void cc_sha256_final(cc_sha256 *c, uint8_t out[32])
{
  uint64_t bits = c->len * 8;
  c->buf[c->n++] = 0x80;
  if (c->n > 56) {
    memset(c->buf + c->n, 0, 64 - c->n);
    compress(c->h, c->buf, 1);
    c->n = 0;
  }
  memset(c->buf + c->n, 0, 56 - c->n);
  store_be32(c->buf + 56, (uint32_t)(bits >> 32));
  store_be32(c->buf + 60, (uint32_t)bits);
  compress(c->h, c->buf, 1);
  for (int i = 0; i < 8; i++)
    store_be32(out + 4 * i, c->h[i]);
}

void ccenter_sha256(const void *data, size_t len, uint8_t out[32])
{
  cc_sha256 c;
  cc_sha256_init(&c);
  cc_sha256_update(&c, data, len);
  cc_sha256_final(&c, out);
}

/* The inner and outer states after absorbing key ^ ipad and key ^ opad (RFC 2104). */
static void hmac_pads(const void *key, size_t key_len, cc_sha256 *in, cc_sha256 *out)
{
  uint8_t k[64] = {0}, pad[64];
  if (key_len > 64)
    ccenter_sha256(key, key_len, k);
  else if (key_len)
    memcpy(k, key, key_len);
  for (int i = 0; i < 64; i++)
    pad[i] = k[i] ^ 0x36;
  cc_sha256_init(in);
  cc_sha256_update(in, pad, 64);
  for (int i = 0; i < 64; i++)
    pad[i] = k[i] ^ 0x5c;
  cc_sha256_init(out);
  cc_sha256_update(out, pad, 64);
}

static void hmac_finish(cc_sha256 *in, const cc_sha256 *out_state, uint8_t out[32])
{
  uint8_t inner[32];
  cc_sha256_final(in, inner);
  cc_sha256 o = *out_state;
  cc_sha256_update(&o, inner, 32);
  cc_sha256_final(&o, out);
}

void ccenter_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                         uint8_t out[32])
{
  cc_sha256 in, o;
  hmac_pads(key, key_len, &in, &o);
  cc_sha256_update(&in, data, len);
  hmac_finish(&in, &o, out);
}

/* A record's hash: over prev (raw) and the line's bytes before its hash field. pads NULL
 * for a plain chain. */
static void chain_hash(const cc_sha256 *pads, const uint8_t prev[32], const char *line,
                       size_t n, uint8_t out[32])
{
  cc_sha256 c;
  if (pads)
    c = pads[0];
  else
    cc_sha256_init(&c);
  cc_sha256_update(&c, prev, 32);
  cc_sha256_update(&c, line, n);
  if (pads)
    hmac_finish(&c, &pads[1], out);
  else
    cc_sha256_final(&c, out);
}

/* ---- escaping ---------------------------------------------------------------------- */

static const char HEX[] = "0123456789abcdef";

/* Bytes each ASCII byte takes escaped, as digits ('1' as is, '2' for \\ \t \n \r, '4' for
 * \xHH); bytes from 0x80 up are written as is. The second table is the evidence field's,
 * where ";" and "=" are escaped too. A table because escaping is most of the cost of a
 * record besides the hash. */
static const char WIDTH[2][129] = {
  "44444444422442444444444444444444" "11111111111111111111111111111111"
  "11111111111111111111111111112111" "11111111111111111111111111111114",
  "44444444422442444444444444444444" "11111111111111111111111111141411"
  "11111111111111111111111111112111" "11111111111111111111111111111114"};

static inline size_t esc_width(unsigned char ch, int evidence)
{
  return ch >= 0x80 ? 1 : (size_t)(WIDTH[evidence][ch] - '0');
}

static char *esc_write(char *o, const char *s, int evidence)
{
  if (!s)
    return o;
  const unsigned char *p = (const unsigned char *)s;
  for (;;) {
    const unsigned char *run = p;
    while (*p && esc_width(*p, evidence) == 1)
      p++;
    memcpy(o, run, (size_t)(p - run));
    o += p - run;
    unsigned char ch = *p++;
    if (!ch)
      return o;
    *o++ = '\\';
    if (esc_width(ch, evidence) == 2) {
      *o++ = ch == '\\' ? '\\' : ch == '\t' ? 't' : ch == '\n' ? 'n' : 'r';
    } else {
      *o++ = 'x';
      *o++ = HEX[ch >> 4];
      *o++ = HEX[ch & 15];
    }
  }
}

/* Decimal digits of v, written backwards from end; returns the first digit. */
static char *fmt_u64(char *end, uint64_t v)
{
  do {
    *--end = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  return end;
}

static char *fmt_i64(char *end, int64_t v)
{
  /* The magnitude in unsigned arithmetic, so INT64_MIN needs no special case. */
  uint64_t m = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  char *p = fmt_u64(end, m);
  if (v < 0)
    *--p = '-';
  return p;
}

/* Two hex digits per byte value: hex is a fifth of a record's formatting otherwise. */
static const char HEX2[513] =
  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
  "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
  "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
  "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
  "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
  "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
  "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

static char *hex_write(char *o, const uint8_t b[32])
{
  for (int i = 0; i < 32; i++)
    memcpy(o + 2 * i, HEX2 + 2 * b[i], 2);
  return o + 64;
}

/* ---- the chain (writer) ---------------------------------------------------------- */

void cc_audit_init(cc_audit *a, const cc_alloc *alloc)
{
  memset(a, 0, sizeof *a);
  a->alloc = *alloc;
}

void cc_audit_destroy(cc_audit *a)
{
  if (a->key) {
    /* The key is a secret: do not leave it in freed memory. */
    volatile uint8_t *k = a->key;
    for (size_t i = 0; i < a->key_len; i++)
      k[i] = 0;
  }
  cc_free(&a->alloc, a->key);
  cc_free(&a->alloc, a->line);
  memset(a, 0, sizeof *a);
}

int cc_audit_set_key(cc_audit *a, const void *key, size_t key_len)
{
  if (!key || key_len == 0 || key_len > 1024)
    return CCENTER_EINVAL;
  if (a->head.seq)
    return CCENTER_ESTATE;
  uint8_t *copy = cc_malloc(&a->alloc, key_len);
  if (!copy)
    return CCENTER_ENOMEM;
  memcpy(copy, key, key_len);
  if (a->key) {
    volatile uint8_t *k = a->key;
    for (size_t i = 0; i < a->key_len; i++)
      k[i] = 0;
    cc_free(&a->alloc, a->key);
  }
  a->key = copy;
  a->key_len = key_len;
  hmac_pads(copy, key_len, &a->hmac_in, &a->hmac_out);
  /* A record prepared under the old key would carry the wrong hash. */
  a->prepared = 0;
  return 0;
}

int cc_audit_prepare(cc_audit *a, const cc_audit_fields *f)
{
  char seqbuf[24], timebuf[24];
  char *seq = fmt_u64(seqbuf + sizeof seqbuf, a->head.seq + 1);
  char *tim = fmt_i64(timebuf + sizeof timebuf, f->time);
  size_t seq_len = (size_t)(seqbuf + sizeof seqbuf - seq);
  size_t tim_len = (size_t)(timebuf + sizeof timebuf - tim);
  const char *texts[8] = {f->case_id, f->actor, f->what, f->name,
                          f->from,    f->to,    f->value, f->reason};

  /* A bound (every byte escaped to 4) rather than the exact length: measuring would be a
   * second pass over the texts, and the buffer is reused for every record. */
  size_t need = seq_len + tim_len + 64 + 64 + (CC_AUDIT_NFIELDS - 1);
  for (int i = 0; i < 8; i++)
    need += texts[i] ? 4 * strlen(texts[i]) : 0;
  for (size_t i = 0; i < f->n_evidence; i++) {
    const ccenter_case_evidence *e = &f->evidence[i];
    need += 2 + (e->name ? 4 * strlen(e->name) : 0) + (e->ref ? 4 * strlen(e->ref) : 0);
  }

  if (need + 1 > a->cap) {
    size_t cap = a->cap;
    void *p = a->line;
    if (cc_grow(&a->alloc, &p, &cap, need + 1, 1) != 0)
      return CCENTER_ENOMEM;
    a->line = p;
    a->cap = cap;
  }

  char *o = a->line;
  memcpy(o, seq, seq_len);
  o += seq_len;
  *o++ = '\t';
  memcpy(o, tim, tim_len);
  o += tim_len;
  *o++ = '\t';
  for (int i = 0; i < 8; i++) {
    o = esc_write(o, texts[i], 0);
    *o++ = '\t';
  }
  for (size_t i = 0; i < f->n_evidence; i++) {
    if (i > 0)
      *o++ = ';';
    o = esc_write(o, f->evidence[i].name, 1);
    *o++ = '=';
    o = esc_write(o, f->evidence[i].ref, 1);
  }
  *o++ = '\t';
  o = hex_write(o, a->head.hash);
  *o++ = '\t';
  size_t covered = (size_t)(o - a->line);
  chain_hash(a->key ? &a->hmac_in : NULL, a->head.hash, a->line, covered, a->next_hash);
  o = hex_write(o, a->next_hash);
  *o = '\0';
  a->len = (size_t)(o - a->line);
  a->next_time = f->time;
  a->prepared = 1;
  return 0;
}

void cc_audit_commit(cc_audit *a, ccenter_audit_record *out)
{
  a->head.seq++;
  memcpy(a->head.hash, a->next_hash, 32);
  a->prepared = 0;
  if (out) {
    out->seq = a->head.seq;
    out->time = a->next_time;
    out->line = a->line;
    out->len = a->len;
    out->hash = a->next_hash;
  }
}

size_t cc_audit_memory(const cc_audit *a)
{
  return a->cap + (a->key ? a->key_len : 0);
}

/* ---- the chain (reader) ---------------------------------------------------------- */

static int hexval(char ch)
{
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  if (ch >= 'a' && ch <= 'f')
    return ch - 'a' + 10;
  return -1;
}

/* A text field: only canonical escapes, no raw control byte, no raw ";" or "=" when
 * evidence (the caller splits on those first). */
static int text_ok(const char *p, size_t len, int evidence)
{
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)p[i];
    if (ch != '\\') {
      if (esc_width(ch, evidence) != 1)
        return 0;
      continue;
    }
    if (++i == len)
      return 0;
    switch (p[i]) {
    case '\\':
    case 't':
    case 'n':
    case 'r':
      break;
    case 'x': {
      if (len - i < 3)
        return 0;
      int hi = hexval(p[i + 1]), lo = hexval(p[i + 2]);
      if (hi < 0 || lo < 0 || esc_width((unsigned char)(hi << 4 | lo), evidence) != 4)
        return 0;
      i += 2;
      break;
    }
    default:
      return 0;
    }
  }
  return 1;
}

static int evidence_ok(const char *p, size_t len)
{
  if (len == 0)
    return 1;
  const char *end = p + len;
  for (;;) {
    const char *semi = memchr(p, ';', (size_t)(end - p));
    const char *item_end = semi ? semi : end;
    const char *eq = memchr(p, '=', (size_t)(item_end - p));
    if (!eq || !text_ok(p, (size_t)(eq - p), 1) ||
        !text_ok(eq + 1, (size_t)(item_end - eq - 1), 1))
      return 0;
    if (!semi)
      return 1;
    p = semi + 1;
  }
}

/* Decimal without leading zeros (and no "-0"); fits the type. */
static int parse_u64(const char *p, size_t len, uint64_t *out)
{
  if (len == 0 || len > 20 || (p[0] == '0' && len > 1))
    return 0;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (p[i] < '0' || p[i] > '9')
      return 0;
    uint64_t d = (uint64_t)(p[i] - '0');
    if (v > (UINT64_MAX - d) / 10)
      return 0;
    v = v * 10 + d;
  }
  *out = v;
  return 1;
}

static int time_ok(const char *p, size_t len)
{
  uint64_t m;
  if (len && p[0] == '-')
    return parse_u64(p + 1, len - 1, &m) && m != 0 && m <= (uint64_t)INT64_MAX + 1;
  return parse_u64(p, len, &m) && m <= (uint64_t)INT64_MAX;
}

static int hash_parse(const char *p, size_t len, uint8_t out[32])
{
  if (len != 64)
    return 0;
  for (int i = 0; i < 32; i++) {
    int hi = hexval(p[2 * i]), lo = hexval(p[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return 0;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  return 1;
}

int cc_audit_split(const char *line, size_t len, cc_audit_span f[CC_AUDIT_NFIELDS])
{
  const char *p = line, *end = line + len;
  for (int i = 0; i < CC_AUDIT_NFIELDS; i++) {
    const char *tab = memchr(p, '\t', (size_t)(end - p));
    if ((tab == NULL) != (i == CC_AUDIT_NFIELDS - 1))
      return CCENTER_ECORRUPT;
    f[i].p = p;
    f[i].len = (size_t)((tab ? tab : end) - p);
    if (tab) /* NULL + 1 would be undefined, even unused */
      p = tab + 1;
  }
  uint64_t seq;
  uint8_t h[32];
  if (!parse_u64(f[CC_AUDIT_SEQ].p, f[CC_AUDIT_SEQ].len, &seq) || seq == 0 ||
      !time_ok(f[CC_AUDIT_TIME].p, f[CC_AUDIT_TIME].len) ||
      !evidence_ok(f[CC_AUDIT_EVIDENCE].p, f[CC_AUDIT_EVIDENCE].len) ||
      !hash_parse(f[CC_AUDIT_PREV].p, f[CC_AUDIT_PREV].len, h) ||
      !hash_parse(f[CC_AUDIT_HASH].p, f[CC_AUDIT_HASH].len, h))
    return CCENTER_ECORRUPT;
  for (int i = CC_AUDIT_CASE; i <= CC_AUDIT_REASON; i++)
    if (!text_ok(f[i].p, f[i].len, 0))
      return CCENTER_ECORRUPT;
  return 0;
}

size_t cc_audit_unescape(const char *p, size_t len, char *out)
{
  size_t n = 0;
  for (size_t i = 0; i < len; i++) {
    char ch = p[i];
    if (ch == '\\' && i + 1 < len) {
      char e = p[++i];
      if (e == 'x' && len - i > 2) {
        ch = (char)(hexval(p[i + 1]) << 4 | hexval(p[i + 2]));
        i += 2;
      } else {
        ch = e == 't' ? '\t' : e == 'n' ? '\n' : e == 'r' ? '\r' : e;
      }
    }
    out[n++] = ch;
  }
  out[n] = '\0';
  return n;
}

int ccenter_audit_verify(const char *const *lines, const size_t *lens, size_t n,
                         const void *key, size_t key_len, const ccenter_audit_head *start,
                         const ccenter_audit_head *head, size_t *first_bad)
{
  if (!first_bad || (n && !lines) || (key_len && !key))
    return CCENTER_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (!lines[i])
      return CCENTER_EINVAL;
  uint64_t seq = start ? start->seq : 0;
  if (head && head->seq < seq)
    return CCENTER_EINVAL;

  cc_sha256 pads[2];
  if (key_len)
    hmac_pads(key, key_len, &pads[0], &pads[1]);
  uint8_t prev[32] = {0};
  if (start)
    memcpy(prev, start->hash, 32);
  size_t bad = 0;
  if (head && head->seq == seq && memcmp(head->hash, prev, 32) != 0)
    goto corrupt;
  for (bad = 0; bad < n; bad++) {
    const char *line = lines[bad];
    size_t len = lens ? lens[bad] : strlen(line);
    cc_audit_span f[CC_AUDIT_NFIELDS];
    uint64_t s = 0; /* split checked the syntax; -O3 cannot see that parse_u64 sets it */
    uint8_t stated_prev[32], stated[32], computed[32];
    if (cc_audit_split(line, len, f) != 0)
      goto corrupt;
    (void)parse_u64(f[CC_AUDIT_SEQ].p, f[CC_AUDIT_SEQ].len, &s);
    (void)hash_parse(f[CC_AUDIT_PREV].p, 64, stated_prev);
    (void)hash_parse(f[CC_AUDIT_HASH].p, 64, stated);
    if (s != seq + 1 || memcmp(stated_prev, prev, 32) != 0)
      goto corrupt;
    chain_hash(key_len ? pads : NULL, prev, line, (size_t)(f[CC_AUDIT_HASH].p - line),
               computed);
    if (memcmp(computed, stated, 32) != 0)
      goto corrupt;
    /* The head names one record of the chain: it must be this one's exact hash. */
    if (head && head->seq == s && memcmp(head->hash, computed, 32) != 0)
      goto corrupt;
    seq = s;
    memcpy(prev, computed, 32);
  }
  if (head && head->seq > seq)
    goto corrupt; /* bad == n: records are missing at the end */
  return 0;
corrupt:
  *first_bad = bad;
  return CCENTER_ECORRUPT;
}
