/* SHA-256 and HMAC-SHA-256 against the published vectors (both compression functions where
   the CPU has SHA instructions), and the audit chain: the line format and its escaping,
   the writer's error contract and memory, and ccenter_audit_verify() naming the first bad
   line for every kind of tampering (exhaustively on small chains, and a property test). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccenter/workflow.h"
#include "core/options.h"
#include "harness.h"
#include "workflow/wf_int.h"

static uint64_t xorshift(uint64_t *s)
{
  uint64_t x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return *s = x;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
  for (size_t i = 0; i < n; i++)
    snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void check_digest(const uint8_t *got, size_t n, const char *want)
{
  char h[65];
  hex(got, n, h);
  ck_assert_str_eq(h, want);
}

/* ------------------------------------------------------------------------------------ */
/* An allocator that counts live bytes and can fail                                      */

typedef struct counting {
  size_t live;
  long calls;
  long fail_at; /* -1: never; else the call with this number (from 0) and later fail */
} counting;

static void *c_malloc(void *ud, size_t n)
{
  counting *c = ud;
  if (c->fail_at >= 0 && c->calls >= c->fail_at)
    return NULL;
  c->calls++;
  size_t *p = malloc(sizeof(size_t) + n);
  if (!p)
    return NULL;
  *p = n;
  c->live += n;
  return p + 1;
}

static void c_free(void *ud, void *q)
{
  counting *c = ud;
  if (!q)
    return;
  size_t *p = (size_t *)q - 1;
  c->live -= *p;
  free(p);
}

static void *c_realloc(void *ud, void *q, size_t n)
{
  counting *c = ud;
  if (c->fail_at >= 0 && c->calls >= c->fail_at)
    return NULL;
  if (!q)
    return c_malloc(ud, n);
  c->calls++;
  size_t *p = (size_t *)q - 1;
  size_t old = *p;
  size_t *np = realloc(p, sizeof(size_t) + n);
  if (!np)
    return NULL;
  *np = n;
  c->live = c->live - old + n;
  return np + 1;
}

static cc_alloc counting_alloc(counting *c)
{
  memset(c, 0, sizeof *c);
  c->fail_at = -1;
  cc_alloc a = {c_malloc, c_realloc, c_free, c};
  return a;
}

/* ------------------------------------------------------------------------------------ */
/* SHA-256 and HMAC                                                                     */

/* Runs body once with the portable compression and once with the CPU's (when it has it). */
#define BOTH_IMPLS(body)                                                                  \
  do {                                                                                    \
    for (int impl_ = 0; impl_ < 2; impl_++) {                                            \
      cc_sha256_accel(impl_);                                                             \
      body;                                                                               \
    }                                                                                     \
    cc_sha256_accel(1);                                                                   \
  } while (0)

static void sha_vectors(void)
{
  uint8_t d[32];
  ccenter_sha256(NULL, 0, d);
  check_digest(d, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  ccenter_sha256("abc", 3, d);
  check_digest(d, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  ccenter_sha256(m448, strlen(m448), d);
  check_digest(d, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnop"
                     "jklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
  ccenter_sha256(m896, strlen(m896), d);
  check_digest(d, 32, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  /* One million 'a', fed in uneven pieces so the buffered path is crossed too. */
  char a[1024];
  memset(a, 'a', sizeof a);
  cc_sha256 c;
  cc_sha256_init(&c);
  size_t left = 1000000, piece = 1;
  while (left) {
    size_t n = piece < left ? piece : left;
    cc_sha256_update(&c, a, n);
    left -= n;
    piece = piece % 997 + 13;
  }
  cc_sha256_final(&c, d);
  check_digest(d, 32, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

START_TEST(sha256_fips_vectors)
{
  BOTH_IMPLS(sha_vectors());
}
END_TEST

START_TEST(sha256_chunked_equals_one_shot)
{
  uint64_t rng = 0x9e3779b97f4a7c15u;
  uint8_t msg[1100];
  for (size_t i = 0; i < sizeof msg; i++)
    msg[i] = (uint8_t)xorshift(&rng);
  for (size_t len = 0; len <= sizeof msg; len += (len < 200 ? 1 : 37)) {
    uint8_t one[32], other[32], chunked[32];
    cc_sha256_accel(0);
    ccenter_sha256(msg, len, one);
    cc_sha256_accel(1);
    ccenter_sha256(msg, len, other);
    ck_assert_mem_eq(one, other, 32);
    for (int round = 0; round < 4; round++) {
      cc_sha256 c;
      cc_sha256_init(&c);
      size_t at = 0;
      while (at < len) {
        size_t n = (size_t)(xorshift(&rng) % 150);
        if (n > len - at)
          n = len - at;
        cc_sha256_update(&c, msg + at, n); /* n may be 0 */
        at += n;
      }
      cc_sha256_final(&c, chunked);
      ck_assert_mem_eq(one, chunked, 32);
    }
  }
}
END_TEST

static void hmac_vectors(void)
{
  uint8_t k[131], d[200], out[32];
  /* RFC 4231 test cases 1 to 7. */
  memset(k, 0x0b, 20);
  ccenter_hmac_sha256(k, 20, "Hi There", 8, out);
  check_digest(out, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  ccenter_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, out);
  check_digest(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  memset(k, 0xaa, 20);
  memset(d, 0xdd, 50);
  ccenter_hmac_sha256(k, 20, d, 50, out);
  check_digest(out, 32, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  for (int i = 0; i < 25; i++)
    k[i] = (uint8_t)(i + 1);
  memset(d, 0xcd, 50);
  ccenter_hmac_sha256(k, 25, d, 50, out);
  check_digest(out, 32, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  memset(k, 0x0c, 20);
  ccenter_hmac_sha256(k, 20, "Test With Truncation", 20, out);
  check_digest(out, 16, "a3b6167473100ee06e0c796c2955552b");
  memset(k, 0xaa, 131);
  const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
  ccenter_hmac_sha256(k, 131, m6, strlen(m6), out);
  check_digest(out, 32, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  const char *m7 = "This is a test using a larger than block-size key and a larger than "
                   "block-size data. The key needs to be hashed before being used by the "
                   "HMAC algorithm.";
  ccenter_hmac_sha256(k, 131, m7, strlen(m7), out);
  check_digest(out, 32, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
  /* A key of exactly one block is used as is, one byte more is hashed first. */
  uint8_t h[32], out2[32];
  ccenter_hmac_sha256(k, 65, "x", 1, out);
  ccenter_sha256(k, 65, h);
  ccenter_hmac_sha256(h, 32, "x", 1, out2);
  ck_assert_mem_eq(out, out2, 32);
  ccenter_hmac_sha256(k, 64, "x", 1, out);
  ck_assert_mem_ne(out, out2, 32);
}

START_TEST(hmac_rfc4231_vectors)
{
  BOTH_IMPLS(hmac_vectors());
}
END_TEST

/* ------------------------------------------------------------------------------------ */
/* Chains                                                                               */

typedef struct chain {
  char **lines;
  size_t *lens;
  size_t n;
  ccenter_audit_head head;
} chain;

static void chain_free(chain *c)
{
  for (size_t i = 0; i < c->n; i++)
    free(c->lines[i]);
  free(c->lines);
  free(c->lens);
  memset(c, 0, sizeof *c);
}

static void chain_push(chain *c, const char *line, size_t len)
{
  c->lines = realloc(c->lines, (c->n + 1) * sizeof *c->lines);
  c->lens = realloc(c->lens, (c->n + 1) * sizeof *c->lens);
  ck_assert_ptr_nonnull(c->lines);
  ck_assert_ptr_nonnull(c->lens);
  c->lines[c->n] = malloc(len + 1);
  ck_assert_ptr_nonnull(c->lines[c->n]);
  memcpy(c->lines[c->n], line, len);
  c->lines[c->n][len] = '\0';
  c->lens[c->n] = len;
  c->n++;
}

static void chain_copy(chain *dst, const chain *src)
{
  memset(dst, 0, sizeof *dst);
  for (size_t i = 0; i < src->n; i++)
    chain_push(dst, src->lines[i], src->lens[i]);
  dst->head = src->head;
}

static void chain_remove(chain *c, size_t i)
{
  free(c->lines[i]);
  memmove(c->lines + i, c->lines + i + 1, (c->n - i - 1) * sizeof *c->lines);
  memmove(c->lens + i, c->lens + i + 1, (c->n - i - 1) * sizeof *c->lens);
  c->n--;
}

/* Inserts a copy of line `from` at position `at`. */
static void chain_dup(chain *c, size_t from, size_t at)
{
  chain_push(c, c->lines[from], c->lens[from]);
  char *l = c->lines[c->n - 1];
  size_t n = c->lens[c->n - 1];
  memmove(c->lines + at + 1, c->lines + at, (c->n - 1 - at) * sizeof *c->lines);
  memmove(c->lens + at + 1, c->lens + at, (c->n - 1 - at) * sizeof *c->lens);
  c->lines[at] = l;
  c->lens[at] = n;
}

static void chain_swap(chain *c, size_t i, size_t j)
{
  char *l = c->lines[i];
  size_t n = c->lens[i];
  c->lines[i] = c->lines[j];
  c->lens[i] = c->lens[j];
  c->lines[j] = l;
  c->lens[j] = n;
}

/* Texts that exercise the escaping: every byte class, plus ordinary words. */
static const char *const SAMPLES[] = {
  "", "CASE-2024-000123", "agent.smith", "tab\there", "line\nbreak\r\n", "back\\slash\\",
  "semi;colon=equals", "\x01\x1f\x7f ctl", "Zürich €5", "\\t not a tab", "x", "a=b;c=d",
};
#define N_SAMPLES (sizeof SAMPLES / sizeof SAMPLES[0])

static const char *pick(uint64_t *rng)
{
  uint64_t r = xorshift(rng) % (N_SAMPLES + 1);
  return r == N_SAMPLES ? NULL : SAMPLES[r];
}

/* Appends n records with contents from rng to the chain kept by a. */
static void grow_chain(cc_audit *a, chain *c, size_t n, uint64_t *rng)
{
  for (size_t i = 0; i < n; i++) {
    ccenter_case_evidence ev[3];
    size_t n_ev = (size_t)(xorshift(rng) % 4);
    for (size_t k = 0; k < n_ev; k++) {
      ev[k].name = pick(rng);
      ev[k].ref = pick(rng);
    }
    cc_audit_fields f = {(int64_t)(xorshift(rng) % 4000000000000u) - 1000, pick(rng),
                         pick(rng), pick(rng), pick(rng), pick(rng), pick(rng), pick(rng),
                         pick(rng), ev, n_ev};
    ck_assert_int_eq(cc_audit_prepare(a, &f), 0);
    ccenter_audit_record r;
    cc_audit_commit(a, &r);
    ck_assert_uint_eq(r.seq, a->head.seq);
    ck_assert_int_eq(r.time, f.time);
    ck_assert_uint_eq(strlen(r.line), r.len);
    ck_assert_mem_eq(r.hash, a->head.hash, 32);
    chain_push(c, r.line, r.len);
  }
  c->head = a->head;
}

static void make_chain(chain *c, size_t n, const void *key, size_t key_len, uint64_t seed)
{
  cc_alloc al;
  cc_alloc_default(&al);
  cc_audit a;
  cc_audit_init(&a, &al);
  if (key_len)
    ck_assert_int_eq(cc_audit_set_key(&a, key, key_len), 0);
  memset(c, 0, sizeof *c);
  uint64_t rng = seed | 1;
  grow_chain(&a, c, n, &rng);
  cc_audit_destroy(&a);
}

/* ccenter_audit_verify on a chain: 0, or the first bad index (and CCENTER_ECORRUPT). */
static long verify(const chain *c, const void *key, size_t key_len,
                   const ccenter_audit_head *start, const ccenter_audit_head *head)
{
  size_t bad = 777777;
  int rc = ccenter_audit_verify((const char *const *)c->lines, c->lens, c->n, key, key_len,
                                start, head, &bad);
  if (rc == 0) {
    ck_assert_uint_eq(bad, 777777); /* untouched on success */
    return -1;
  }
  ck_assert_int_eq(rc, CCENTER_ECORRUPT);
  return (long)bad;
}

static const char KEY[] = "integrator-secret";
#define KEYLEN (sizeof KEY - 1)

START_TEST(line_format_is_as_documented)
{
  cc_alloc al;
  cc_alloc_default(&al);
  cc_audit a;
  cc_audit_init(&a, &al);
  ccenter_case_evidence ev[2] = {{"police", "PR;1=2"}, {"msg", NULL}};
  cc_audit_fields f = {-42,      "C1",    "ann",   "transition", "stop", "new",
                       "stopped", NULL,   "a\tb\\c\nd\re\x01", ev,  2};
  ck_assert_int_eq(cc_audit_prepare(&a, &f), 0);
  ccenter_audit_record r;
  cc_audit_commit(&a, &r);
  const char *want_prefix = "1\t-42\tC1\tann\ttransition\tstop\tnew\tstopped\t\t"
                            "a\\tb\\\\c\\nd\\re\\x01\tpolice=PR\\x3b1\\x3d2;msg=\t"
                            "0000000000000000000000000000000000000000000000000000000000000000\t";
  size_t plen = strlen(want_prefix);
  ck_assert_uint_eq(r.len, plen + 64);
  ck_assert_int_eq(memcmp(r.line, want_prefix, plen), 0);
  /* hash = SHA-256(prev bytes || the line up to and including the tab before the hash). */
  uint8_t msg[600], h[32];
  char hx[65];
  memset(msg, 0, 32);
  memcpy(msg + 32, r.line, plen);
  ccenter_sha256(msg, 32 + plen, h);
  ck_assert_mem_eq(h, r.hash, 32);
  hex(h, 32, hx);
  ck_assert_int_eq(memcmp(r.line + plen, hx, 64), 0);
  ck_assert_uint_eq(r.seq, 1);
  ck_assert_int_eq(r.time, -42);

  /* The second record chains on the first: its prev field and prefix bytes. */
  uint8_t prev[32];
  memcpy(prev, h, 32);
  f.time = INT64_MIN;
  f.n_evidence = 0;
  ck_assert_int_eq(cc_audit_prepare(&a, &f), 0);
  cc_audit_commit(&a, &r);
  ck_assert_uint_eq(r.seq, 2);
  ck_assert_int_eq(r.time, INT64_MIN);
  ck_assert_int_eq(strncmp(r.line, "2\t-9223372036854775808\t", 23), 0);
  plen = r.len - 64;
  ck_assert_int_eq(memcmp(r.line + plen - 65, hx, 64), 0);
  memcpy(msg, prev, 32);
  memcpy(msg + 32, r.line, plen);
  ccenter_sha256(msg, 32 + plen, h);
  ck_assert_mem_eq(h, r.hash, 32);
  cc_audit_destroy(&a);

  /* Keyed: HMAC over the same bytes. */
  cc_audit_init(&a, &al);
  ck_assert_int_eq(cc_audit_set_key(&a, KEY, KEYLEN), 0);
  f.time = INT64_MAX;
  ck_assert_int_eq(cc_audit_prepare(&a, &f), 0);
  cc_audit_commit(&a, &r);
  ck_assert_int_eq(strncmp(r.line, "1\t9223372036854775807\t", 22), 0);
  plen = r.len - 64;
  memset(msg, 0, 32);
  memcpy(msg + 32, r.line, plen);
  ccenter_hmac_sha256(KEY, KEYLEN, msg, 32 + plen, h);
  ck_assert_mem_eq(h, r.hash, 32);
  cc_audit_destroy(&a);
}
END_TEST

/* Decodes a line's fields back: texts and evidence pairs. */
START_TEST(escaping_round_trips)
{
  cc_alloc al;
  cc_alloc_default(&al);
  cc_audit a;
  cc_audit_init(&a, &al);
  /* Every byte value 1..255 in one text and in one evidence reference. */
  char all[256];
  for (int i = 1; i < 256; i++)
    all[i - 1] = (char)i;
  all[255] = '\0';
  for (size_t s = 0; s <= N_SAMPLES; s++) {
    const char *t = s < N_SAMPLES ? SAMPLES[s] : all;
    ccenter_case_evidence ev[2] = {{t, "r"}, {"n", t}};
    cc_audit_fields f = {7, t, t, t, t, t, t, t, t, ev, 2};
    ck_assert_int_eq(cc_audit_prepare(&a, &f), 0);
    ccenter_audit_record r;
    cc_audit_commit(&a, &r);
    for (size_t i = 0; i < r.len; i++)
      ck_assert((unsigned char)r.line[i] >= 0x20 || r.line[i] == '\t');
    cc_audit_span sp[CC_AUDIT_NFIELDS];
    ck_assert_int_eq(cc_audit_split(r.line, r.len, sp), 0);
    char out[2048];
    for (int k = CC_AUDIT_CASE; k <= CC_AUDIT_REASON; k++) {
      ck_assert_uint_eq(cc_audit_unescape(sp[k].p, sp[k].len, out), strlen(t));
      ck_assert_str_eq(out, t);
    }
    /* Evidence: raw ";" and "=" are only separators. */
    const char *p = sp[CC_AUDIT_EVIDENCE].p;
    const char *end = p + sp[CC_AUDIT_EVIDENCE].len;
    const char *semi = memchr(p, ';', (size_t)(end - p));
    ck_assert_ptr_nonnull(semi);
    ck_assert_ptr_null(memchr(semi + 1, ';', (size_t)(end - semi - 1)));
    const char *eq1 = memchr(p, '=', (size_t)(semi - p));
    const char *eq2 = memchr(semi + 1, '=', (size_t)(end - semi - 1));
    ck_assert_ptr_nonnull(eq1);
    ck_assert_ptr_nonnull(eq2);
    cc_audit_unescape(p, (size_t)(eq1 - p), out);
    ck_assert_str_eq(out, t);
    cc_audit_unescape(eq1 + 1, (size_t)(semi - eq1 - 1), out);
    ck_assert_str_eq(out, "r");
    cc_audit_unescape(semi + 1, (size_t)(eq2 - semi - 1), out);
    ck_assert_str_eq(out, "n");
    cc_audit_unescape(eq2 + 1, (size_t)(end - eq2 - 1), out);
    ck_assert_str_eq(out, t);
  }
  /* NULL texts and no evidence are empty fields; an empty evidence pair is "=". */
  ccenter_case_evidence empty = {NULL, NULL};
  cc_audit_fields f = {0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, &empty, 1};
  ck_assert_int_eq(cc_audit_prepare(&a, &f), 0);
  ccenter_audit_record r;
  cc_audit_commit(&a, &r);
  const char *want = "\t0\t\t\t\t\t\t\t\t\t=\t";
  const char *tab = strchr(r.line, '\t');
  ck_assert_int_eq(strncmp(tab, want, strlen(want)), 0);
  cc_audit_destroy(&a);
}
END_TEST

/* A line built by hand: fields from the caller, valid hex for prev and hash. */
static int split_of(const char *seq, const char *time, const char *text, const char *ev)
{
  char line[600];
  const char *z = "0000000000000000000000000000000000000000000000000000000000000000";
  snprintf(line, sizeof line, "%s\t%s\t%s\ta\tb\tc\td\te\tf\tg\t%s\t%s\t%s", seq, time, text,
           ev, z, z);
  cc_audit_span sp[CC_AUDIT_NFIELDS];
  return cc_audit_split(line, strlen(line), sp);
}

START_TEST(parser_accepts_only_canonical_lines)
{
  ck_assert_int_eq(split_of("1", "0", "ok \\\\ \\t \\n \\r \\x01 \\x7f", "a=b;c=\\x3b\\x3d"), 0);
  ck_assert_int_eq(split_of("18446744073709551615", "-9223372036854775808", "", ""), 0);
  const char *bad_seq[] = {"0", "01", "", "-1", "1a", "18446744073709551616", " 1"};
  for (size_t i = 0; i < sizeof bad_seq / sizeof *bad_seq; i++)
    ck_assert_int_eq(split_of(bad_seq[i], "0", "", ""), CCENTER_ECORRUPT);
  const char *bad_time[] = {"", "-", "-0", "00", "+1", "9223372036854775808",
                            "-9223372036854775809", "1.5"};
  for (size_t i = 0; i < sizeof bad_time / sizeof *bad_time; i++)
    ck_assert_int_eq(split_of("1", bad_time[i], "", ""), CCENTER_ECORRUPT);
  const char *bad_text[] = {"\\", "a\\", "\\q", "\\x41", "\\x3b", "\\x0", "\\x0g",
                            "\\X01", "\\x1F", "\x01", "\x7f", "a\rb", "a\nb"};
  for (size_t i = 0; i < sizeof bad_text / sizeof *bad_text; i++)
    ck_assert_int_eq(split_of("1", "0", bad_text[i], ""), CCENTER_ECORRUPT);
  const char *bad_ev[] = {"a", "a=b;", ";a=b", "a=b=c", "a=b;;c=d", "\\x41=b", "a=\\"};
  for (size_t i = 0; i < sizeof bad_ev / sizeof *bad_ev; i++)
    ck_assert_int_eq(split_of("1", "0", "", bad_ev[i]), CCENTER_ECORRUPT);
  /* Tabs: one more or one fewer field. */
  ck_assert_int_eq(split_of("1", "0", "a\tb", ""), CCENTER_ECORRUPT);
  cc_audit_span sp[CC_AUDIT_NFIELDS];
  ck_assert_int_eq(cc_audit_split("1\t0", 3, sp), CCENTER_ECORRUPT);
  ck_assert_int_eq(cc_audit_split("", 0, sp), CCENTER_ECORRUPT);
}
END_TEST

START_TEST(intact_chains_verify)
{
  for (int keyed = 0; keyed < 2; keyed++) {
    const void *key = keyed ? KEY : NULL;
    size_t klen = keyed ? KEYLEN : 0;
    chain c;
    make_chain(&c, 20, key, klen, 11);
    ck_assert_int_eq(verify(&c, key, klen, NULL, NULL), -1);
    ck_assert_int_eq(verify(&c, key, klen, NULL, &c.head), -1);
    /* lens may be NULL: NUL-terminated lines. */
    size_t bad = 5;
    ck_assert_int_eq(ccenter_audit_verify((const char *const *)c.lines, NULL, c.n, key, klen,
                                          NULL, &c.head, &bad),
                     0);
    /* A head kept earlier is a checkpoint: the chain may have grown since. */
    ccenter_audit_head mid = {5, {0}};
    cc_audit_span sp[CC_AUDIT_NFIELDS];
    ck_assert_int_eq(cc_audit_split(c.lines[4], c.lens[4], sp), 0);
    for (int i = 0; i < 32; i++)
      sscanf(sp[CC_AUDIT_HASH].p + 2 * i, "%2hhx", &mid.hash[i]);
    ck_assert_int_eq(verify(&c, key, klen, NULL, &mid), -1);
    /* Retention: the last 15 lines with the head before them as start. */
    chain tail = {c.lines + 5, c.lens + 5, 15, c.head};
    ck_assert_int_eq(verify(&tail, key, klen, &mid, NULL), -1);
    ck_assert_int_eq(verify(&tail, key, klen, &mid, &c.head), -1);
    ck_assert_int_eq(verify(&tail, key, klen, &mid, &mid), -1);
    chain_free(&c);
  }
  /* An empty chain: intact, unless a head says records exist. */
  chain none = {NULL, NULL, 0, {0, {0}}};
  ck_assert_int_eq(verify(&none, NULL, 0, NULL, NULL), -1);
  ck_assert_int_eq(verify(&none, NULL, 0, NULL, &none.head), -1);
  ccenter_audit_head h = {3, {1}};
  ck_assert_int_eq(verify(&none, NULL, 0, NULL, &h), 0);
  ck_assert_int_eq(verify(&none, NULL, 0, &h, &h), -1);
}
END_TEST

START_TEST(every_changed_byte_is_found_at_its_line)
{
  for (int keyed = 0; keyed < 2; keyed++) {
    const void *key = keyed ? KEY : NULL;
    size_t klen = keyed ? KEYLEN : 0;
    chain c;
    make_chain(&c, 6, key, klen, 29 + (uint64_t)keyed);
    for (size_t i = 0; i < c.n; i++) {
      for (size_t b = 0; b < c.lens[i]; b++) {
        char was = c.lines[i][b];
        /* Two substitutes: one that keeps the byte's class (a digit for a digit, a letter
         * for a letter) so the line still parses, and one that does not. */
        char subs[2] = {was == '0' ? '1' : (was >= '0' && was <= '9') ? '0'
                                 : was == 'a' ? 'b' : 'a',
                        was == '\t' ? 'x' : '\t'};
        for (int s = 0; s < 2; s++) {
          c.lines[i][b] = subs[s];
          ck_assert_int_eq(verify(&c, key, klen, NULL, NULL), (long)i);
          ck_assert_int_eq(verify(&c, key, klen, NULL, &c.head), (long)i);
        }
        c.lines[i][b] = was;
      }
      /* A byte more or less. */
      c.lens[i]--;
      ck_assert_int_eq(verify(&c, key, klen, NULL, NULL), (long)i);
      c.lens[i]++;
    }
    ck_assert_int_eq(verify(&c, key, klen, NULL, &c.head), -1);
    chain_free(&c);
  }
}
END_TEST

START_TEST(removed_reordered_duplicated_truncated)
{
  for (int keyed = 0; keyed < 2; keyed++) {
    const void *key = keyed ? KEY : NULL;
    size_t klen = keyed ? KEYLEN : 0;
    chain c, t;
    make_chain(&c, 10, key, klen, 5);
    /* Removed: first, middle; the last only shows with the head. */
    size_t rm[] = {0, 4};
    for (size_t k = 0; k < 2; k++) {
      chain_copy(&t, &c);
      chain_remove(&t, rm[k]);
      ck_assert_int_eq(verify(&t, key, klen, NULL, NULL), (long)rm[k]);
      chain_free(&t);
    }
    chain_copy(&t, &c);
    chain_remove(&t, 9);
    ck_assert_int_eq(verify(&t, key, klen, NULL, NULL), -1);
    ck_assert_int_eq(verify(&t, key, klen, NULL, &c.head), 9);
    /* Truncated further. */
    chain_remove(&t, 8);
    chain_remove(&t, 7);
    ck_assert_int_eq(verify(&t, key, klen, NULL, NULL), -1);
    ck_assert_int_eq(verify(&t, key, klen, NULL, &c.head), 7);
    chain_free(&t);
    /* Swapped neighbours and distant records. */
    chain_copy(&t, &c);
    chain_swap(&t, 3, 4);
    ck_assert_int_eq(verify(&t, key, klen, NULL, &c.head), 3);
    chain_swap(&t, 3, 4);
    chain_swap(&t, 1, 8);
    ck_assert_int_eq(verify(&t, key, klen, NULL, &c.head), 1);
    chain_free(&t);
    /* Duplicated: right after itself, and at the end. */
    chain_copy(&t, &c);
    chain_dup(&t, 2, 3);
    ck_assert_int_eq(verify(&t, key, klen, NULL, &c.head), 3);
    chain_free(&t);
    chain_copy(&t, &c);
    chain_dup(&t, 9, 10);
    ck_assert_int_eq(verify(&t, key, klen, NULL, NULL), 10);
    chain_free(&t);
    /* A head that does not match: another hash at its seq. */
    ccenter_audit_head h = c.head;
    h.hash[7] ^= 1;
    ck_assert_int_eq(verify(&c, key, klen, NULL, &h), 9);
    h.seq = 4;
    ck_assert_int_eq(verify(&c, key, klen, NULL, &h), 3);
    /* start: the lines must continue it. */
    chain tail = {c.lines + 5, c.lens + 5, 5, c.head};
    ccenter_audit_head st = {5, {0}};
    ck_assert_int_eq(verify(&tail, key, klen, &st, NULL), 0); /* wrong hash */
    st.seq = 4;
    ck_assert_int_eq(verify(&tail, key, klen, &st, NULL), 0); /* wrong seq */
    ck_assert_int_eq(verify(&c, key, klen, &st, NULL), 0);
    /* A head at the start's seq must equal the start. */
    ccenter_audit_head h2 = st;
    h2.hash[0] = 1;
    ck_assert_int_eq(verify(&tail, key, klen, &st, &h2), 0);
    chain_free(&c);
  }
}
END_TEST

START_TEST(wrong_key_is_found_at_the_first_line)
{
  chain c;
  make_chain(&c, 4, KEY, KEYLEN, 3);
  ck_assert_int_eq(verify(&c, "integrator-secreT", KEYLEN, NULL, NULL), 0);
  ck_assert_int_eq(verify(&c, KEY, KEYLEN - 1, NULL, NULL), 0);
  ck_assert_int_eq(verify(&c, NULL, 0, NULL, NULL), 0);
  chain_free(&c);
  make_chain(&c, 4, NULL, 0, 3);
  ck_assert_int_eq(verify(&c, KEY, KEYLEN, NULL, NULL), 0);
  ck_assert_int_eq(verify(&c, KEY, 0, NULL, NULL), -1); /* key_len 0: plain SHA-256 */
  chain_free(&c);
}
END_TEST

START_TEST(verify_rejects_bad_arguments)
{
  chain c;
  make_chain(&c, 3, NULL, 0, 9);
  const char *const *l = (const char *const *)c.lines;
  size_t bad = 99;
  ck_assert_int_eq(ccenter_audit_verify(l, c.lens, c.n, NULL, 0, NULL, NULL, NULL),
                   CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_audit_verify(NULL, c.lens, c.n, NULL, 0, NULL, NULL, &bad),
                   CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_audit_verify(l, c.lens, c.n, NULL, 4, NULL, NULL, &bad),
                   CCENTER_EINVAL);
  char *saved = c.lines[1];
  c.lines[1] = NULL;
  ck_assert_int_eq(ccenter_audit_verify(l, c.lens, c.n, NULL, 0, NULL, NULL, &bad),
                   CCENTER_EINVAL);
  c.lines[1] = saved;
  ccenter_audit_head st = {2, {0}}, h = {1, {0}};
  ck_assert_int_eq(ccenter_audit_verify(l, c.lens, c.n, NULL, 0, &st, &h, &bad),
                   CCENTER_EINVAL);
  ck_assert_uint_eq(bad, 99);
  ck_assert_int_eq(ccenter_audit_verify(NULL, NULL, 0, NULL, 0, NULL, NULL, &bad), 0);
  chain_free(&c);
}
END_TEST

START_TEST(writer_contract_and_memory)
{
  counting cnt;
  cc_alloc al = counting_alloc(&cnt);
  cc_audit a;
  cc_audit_init(&a, &al);
  ck_assert_uint_eq(cc_audit_memory(&a), 0);
  /* Keys: 1..1024 bytes. */
  char big[1025];
  memset(big, 'k', sizeof big);
  ck_assert_int_eq(cc_audit_set_key(&a, NULL, 4), CCENTER_EINVAL);
  ck_assert_int_eq(cc_audit_set_key(&a, KEY, 0), CCENTER_EINVAL);
  ck_assert_int_eq(cc_audit_set_key(&a, big, 1025), CCENTER_EINVAL);
  cnt.fail_at = cnt.calls;
  ck_assert_int_eq(cc_audit_set_key(&a, KEY, KEYLEN), CCENTER_ENOMEM);
  ck_assert_ptr_null(a.key);
  cnt.fail_at = -1;
  ck_assert_int_eq(cc_audit_set_key(&a, big, 1024), 0);
  ck_assert_int_eq(cc_audit_set_key(&a, KEY, KEYLEN), 0); /* replaced before any record */
  ck_assert_uint_eq(cc_audit_memory(&a), KEYLEN);
  ck_assert_uint_eq(cnt.live, KEYLEN);

  /* A failed prepare changes nothing, not even a record prepared before it. */
  cc_audit_fields small = {1, "c", "x", "open", NULL, NULL, "new", NULL, NULL, NULL, 0};
  ck_assert_int_eq(cc_audit_prepare(&a, &small), 0);
  ck_assert_uint_eq(cc_audit_memory(&a), cnt.live);
  char longtext[CCENTER_WF_MAX_TEXT + 1];
  memset(longtext, 'r', CCENTER_WF_MAX_TEXT);
  longtext[CCENTER_WF_MAX_TEXT] = '\0';
  cc_audit_fields large = small;
  large.reason = longtext;
  cnt.fail_at = cnt.calls;
  ck_assert_int_eq(cc_audit_prepare(&a, &large), CCENTER_ENOMEM);
  cnt.fail_at = -1;
  ck_assert_uint_eq(a.head.seq, 0);
  ccenter_audit_record r;
  cc_audit_commit(&a, &r);
  ck_assert_uint_eq(r.seq, 1);
  ck_assert_int_eq(strncmp(r.line, "1\t1\tc\tx\topen\t\t\tnew\t\t\t\t", 22), 0);
  chain c = {NULL, NULL, 0, {0, {0}}};
  chain_push(&c, r.line, r.len);
  /* The key is fixed once records exist. */
  ck_assert_int_eq(cc_audit_set_key(&a, "other", 5), CCENTER_ESTATE);
  ck_assert_int_eq(cc_audit_prepare(&a, &large), 0);
  cc_audit_commit(&a, &r);
  chain_push(&c, r.line, r.len);
  c.head = a.head;
  ck_assert_int_eq(verify(&c, KEY, KEYLEN, NULL, &c.head), -1);
  /* Memory is exact: what the allocator holds for it. */
  ck_assert_uint_eq(cc_audit_memory(&a), cnt.live);
  ck_assert_uint_ge(cc_audit_memory(&a), KEYLEN + r.len + 1);
  /* commit with no output still advances the head. */
  ck_assert_int_eq(cc_audit_prepare(&a, &small), 0);
  cc_audit_commit(&a, NULL);
  ck_assert_uint_eq(a.head.seq, 3);
  cc_audit_destroy(&a);
  ck_assert_uint_eq(cnt.live, 0);
  chain_free(&c);
}
END_TEST

/* Random chains, one random tampering each: verify names the tampered index. */
START_TEST(property_single_tampering_is_located)
{
  uint64_t rng = 0x243f6a8885a308d3u;
  cc_alloc al;
  cc_alloc_default(&al);
  for (int iter = 0; iter < 400; iter++) {
    int keyed = (int)(xorshift(&rng) % 2);
    const void *key = keyed ? KEY : NULL;
    size_t klen = keyed ? KEYLEN : 0;
    size_t n = 2 + (size_t)(xorshift(&rng) % 20);
    cc_audit a;
    cc_audit_init(&a, &al);
    if (keyed)
      ck_assert_int_eq(cc_audit_set_key(&a, KEY, KEYLEN), 0);
    chain c = {NULL, NULL, 0, {0, {0}}};
    grow_chain(&a, &c, n, &rng);
    cc_audit_destroy(&a);
    size_t i = (size_t)(xorshift(&rng) % n);
    long want;
    int with_head = 1;
    switch (xorshift(&rng) % 6) {
    case 0: { /* a byte changed to any other value */
      size_t b = (size_t)(xorshift(&rng) % c.lens[i]);
      c.lines[i][b] = (char)(c.lines[i][b] + 1 + (int)(xorshift(&rng) % 255));
      want = (long)i;
      with_head = (int)(xorshift(&rng) % 2);
      break;
    }
    case 1: /* a record removed */
      chain_remove(&c, i);
      want = (long)i;
      break;
    case 2: /* neighbours swapped */
      if (i == n - 1)
        i--;
      chain_swap(&c, i, i + 1);
      want = (long)i;
      break;
    case 3: /* a record duplicated somewhere after itself */
    {
      size_t at = i + 1 + (size_t)(xorshift(&rng) % (n - i));
      chain_dup(&c, i, at);
      want = (long)at;
      break;
    }
    case 4: /* truncated */
      while (c.n > i)
        chain_remove(&c, c.n - 1);
      want = (long)i;
      break;
    default: /* a byte inserted */
    {
      size_t b = (size_t)(xorshift(&rng) % (c.lens[i] + 1));
      char *l = malloc(c.lens[i] + 2);
      ck_assert_ptr_nonnull(l);
      memcpy(l, c.lines[i], b);
      l[b] = (char)(1 + xorshift(&rng) % 255);
      memcpy(l + b + 1, c.lines[i] + b, c.lens[i] - b + 1);
      free(c.lines[i]);
      c.lines[i] = l;
      c.lens[i]++;
      want = (long)i;
      with_head = (int)(xorshift(&rng) % 2);
      break;
    }
    }
    ck_assert_int_eq(verify(&c, key, klen, NULL, with_head ? &c.head : NULL), want);
    chain_free(&c);
  }
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("audit");
  TCase *tc = tcase_create("audit");
  /* Per test; the slowest under ASan+UBSan (every_changed_byte_is_found_at_its_line)
   * takes about a second alone. */
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, sha256_fips_vectors);
  tcase_add_test(tc, sha256_chunked_equals_one_shot);
  tcase_add_test(tc, hmac_rfc4231_vectors);
  tcase_add_test(tc, line_format_is_as_documented);
  tcase_add_test(tc, escaping_round_trips);
  tcase_add_test(tc, parser_accepts_only_canonical_lines);
  tcase_add_test(tc, intact_chains_verify);
  tcase_add_test(tc, every_changed_byte_is_found_at_its_line);
  tcase_add_test(tc, removed_reordered_duplicated_truncated);
  tcase_add_test(tc, wrong_key_is_found_at_the_first_line);
  tcase_add_test(tc, verify_rejects_bad_arguments);
  tcase_add_test(tc, writer_contract_and_memory);
  tcase_add_test(tc, property_single_tampering_is_located);
  suite_add_tcase(s, tc);
  return s;
}

CC_TEST_MAIN()
