/* ctid's credentials and lockout (auth.h). */
#include "auth.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

int ctid_pbkdf2_sha256(const void *secret, size_t secret_len, const uint8_t *salt,
                       size_t salt_len, uint32_t iterations, uint8_t *out, size_t out_len)
{
  if ((!secret && secret_len) || !salt || !out || iterations == 0 ||
      secret_len > INT_MAX || salt_len > INT_MAX || out_len == 0 || out_len > INT_MAX ||
      iterations > INT_MAX)
    return -1;
  /* OpenSSL wants a non-NULL pointer even for an empty secret. */
  const char *pass = secret ? secret : "";
  return PKCS5_PBKDF2_HMAC(pass, (int)secret_len, salt, (int)salt_len, (int)iterations,
                           EVP_sha256(), (int)out_len, out) == 1
           ? 0
           : -1;
}

/* Base64 without padding: OpenSSL's encoder, with the '=' taken off. */
static size_t b64_encode(const uint8_t *in, size_t n, char *out)
{
  int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
  while (len > 0 && out[len - 1] == '=')
    out[--len] = '\0';
  return (size_t)len;
}

/* Decodes unpadded base64 of exactly `len` chars into out (at most max bytes). Only the
   canonical encoding is accepted (re-encoding gives the same text), so one secret has
   one stored form and stray bits cannot hide in the last character. -1 if bad. */
static int b64_decode(const char *in, size_t len, uint8_t *out, size_t max, size_t *n)
{
  if (len == 0 || len % 4 == 1 || len > (max + 2) / 3 * 4)
    return -1;
  for (size_t i = 0; i < len; i++) {
    char c = in[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
          c == '+' || c == '/'))
      return -1;
  }
  char padded[(CTID_SALT_MAX > CTID_HASH_MAX ? CTID_SALT_MAX : CTID_HASH_MAX) / 3 * 4 + 8];
  size_t pad = (4 - len % 4) % 4;
  if (len + pad + 1 > sizeof padded)
    return -1;
  memcpy(padded, in, len);
  memset(padded + len, '=', pad);
  padded[len + pad] = '\0';
  uint8_t buf[sizeof padded];
  int got = EVP_DecodeBlock(buf, (const unsigned char *)padded, (int)(len + pad));
  if (got < 0 || (size_t)got < pad)
    return -1;
  size_t bytes = (size_t)got - pad;
  if (bytes > max)
    return -1;
  char again[sizeof padded + 4];
  if (b64_encode(buf, bytes, again) != len || memcmp(again, in, len) != 0)
    return -1;
  memcpy(out, buf, bytes);
  *n = bytes;
  return 0;
}

int ctid_hash_secret_salt(const void *secret, size_t secret_len, uint32_t iterations,
                          const uint8_t *salt, size_t salt_len, char *out, size_t out_size)
{
  if (!out || out_size < CTID_STORED_MAX || secret_len > CTID_SECRET_MAX ||
      iterations < CTID_PBKDF2_MIN_ITER || iterations > CTID_PBKDF2_MAX_ITER ||
      salt_len < CTID_SALT_MIN || salt_len > CTID_SALT_MAX)
    return -1;
  uint8_t hash[CTID_HASH_LEN];
  if (ctid_pbkdf2_sha256(secret, secret_len, salt, salt_len, iterations, hash, sizeof hash))
    return -1;
  char salt64[CTID_SALT_MAX / 3 * 4 + 8], hash64[CTID_HASH_LEN / 3 * 4 + 8];
  b64_encode(salt, salt_len, salt64);
  b64_encode(hash, sizeof hash, hash64);
  OPENSSL_cleanse(hash, sizeof hash);
  int w = snprintf(out, out_size, CTID_HASH_SCHEME "$%u$%s$%s", (unsigned)iterations, salt64,
                   hash64);
  return w > 0 && (size_t)w < out_size ? 0 : -1;
}

int ctid_hash_secret(const void *secret, size_t secret_len, uint32_t iterations, char *out,
                     size_t out_size)
{
  uint8_t salt[CTID_SALT_LEN];
  if (RAND_bytes(salt, sizeof salt) != 1)
    return -1;
  return ctid_hash_secret_salt(secret, secret_len, iterations, salt, sizeof salt, out,
                               out_size);
}

typedef struct stored_hash {
  uint32_t iterations;
  uint8_t salt[CTID_SALT_MAX];
  size_t salt_len;
  uint8_t hash[CTID_HASH_MAX];
  size_t hash_len;
} stored_hash;

static int parse_stored(const char *s, stored_hash *h, const char **why)
{
  static const char prefix[] = CTID_HASH_SCHEME "$";
  const char *dummy;
  if (!why)
    why = &dummy;
  if (!s || strncmp(s, prefix, sizeof prefix - 1) != 0) {
    *why = "not a " CTID_HASH_SCHEME "$ITERATIONS$SALT$HASH string";
    return -1;
  }
  const char *p = s + sizeof prefix - 1;
  uint64_t iter = 0;
  const char *digits = p;
  while (*p >= '0' && *p <= '9' && p - digits < 10)
    iter = iter * 10 + (uint64_t)(*p++ - '0');
  if (p == digits || *p != '$' || *digits == '0') {
    *why = "bad iteration count";
    return -1;
  }
  if (iter < CTID_PBKDF2_MIN_ITER || iter > CTID_PBKDF2_MAX_ITER) {
    *why = "iteration count out of range (1000..100000000)";
    return -1;
  }
  h->iterations = (uint32_t)iter;
  const char *salt = ++p;
  const char *sep = strchr(salt, '$');
  if (!sep) {
    *why = "missing hash";
    return -1;
  }
  if (b64_decode(salt, (size_t)(sep - salt), h->salt, CTID_SALT_MAX, &h->salt_len) ||
      h->salt_len < CTID_SALT_MIN) {
    *why = "bad salt (8..64 bytes in unpadded base64)";
    return -1;
  }
  const char *hash = sep + 1;
  if (b64_decode(hash, strlen(hash), h->hash, CTID_HASH_MAX, &h->hash_len) ||
      h->hash_len < CTID_HASH_MIN) {
    *why = "bad hash (16..64 bytes in unpadded base64)";
    return -1;
  }
  return 0;
}

int ctid_hash_check(const char *stored, const char **why)
{
  stored_hash h;
  return parse_stored(stored, &h, why);
}

int ctid_verify_secret(const char *stored, const void *secret, size_t secret_len)
{
  stored_hash h;
  if (parse_stored(stored, &h, NULL) || secret_len > CTID_SECRET_MAX)
    return -1;
  uint8_t got[CTID_HASH_MAX];
  if (ctid_pbkdf2_sha256(secret, secret_len, h.salt, h.salt_len, h.iterations, got,
                         h.hash_len))
    return -1;
  int same = CRYPTO_memcmp(got, h.hash, h.hash_len) == 0;
  OPENSSL_cleanse(got, sizeof got);
  return same;
}

/* ---------------------------------------------------------------------------------- */
/* Lockout                                                                             */

/* One principal's recent failures: a ring of their times, oldest at `head`. */
typedef struct guard_entry {
  char *principal;
  int64_t *fails;
  unsigned n, head;
  int64_t locked_until; /* INT64_MIN: not locked */
} guard_entry;

struct ctid_guard {
  ctid_lockout_policy policy;
  guard_entry *e;
  size_t n, cap;
};

static int policy_ok(const ctid_lockout_policy *p)
{
  return p && p->failures <= CTID_LOCKOUT_MAX_FAILURES && p->window_ms >= 0 &&
         p->lock_ms >= 0;
}

ctid_guard *ctid_guard_new(const ctid_lockout_policy *policy)
{
  if (!policy_ok(policy))
    return NULL;
  ctid_guard *g = calloc(1, sizeof *g);
  if (g)
    g->policy = *policy;
  return g;
}

void ctid_guard_free(ctid_guard *g)
{
  if (!g)
    return;
  for (size_t i = 0; i < g->n; i++) {
    free(g->e[i].principal);
    free(g->e[i].fails);
  }
  free(g->e);
  free(g);
}

/* The failures in time order, oldest first, copied into a ring of `cap` from index 0. */
static void entry_compact(guard_entry *e, unsigned old_cap, int64_t *to, unsigned cap)
{
  unsigned keep = e->n < cap ? e->n : cap;
  for (unsigned i = 0; i < keep; i++)
    to[i] = e->fails[(e->head + e->n - keep + i) % old_cap];
  e->n = keep;
  e->head = 0;
}

int ctid_guard_set_policy(ctid_guard *g, const ctid_lockout_policy *policy)
{
  if (!g || !policy_ok(policy))
    return -1;
  unsigned old_cap = g->policy.failures, cap = policy->failures;
  for (size_t i = 0; i < g->n && old_cap != cap; i++) {
    guard_entry *e = &g->e[i];
    int64_t *to = cap ? malloc(cap * sizeof *to) : NULL;
    if (cap && !to)
      return -1;
    if (e->fails)
      entry_compact(e, old_cap, to ? to : e->fails, cap);
    else
      e->n = e->head = 0;
    free(e->fails);
    e->fails = to;
  }
  g->policy = *policy;
  return 0;
}

/* Principals are a configuration's, a few thousand at most: a linear search costs less
   than the PBKDF2 that every attempt pays anyway. */
static guard_entry *guard_find(const ctid_guard *g, const char *principal)
{
  for (size_t i = 0; i < g->n; i++)
    if (strcmp(g->e[i].principal, principal) == 0)
      return &g->e[i];
  return NULL;
}

static guard_entry *guard_get(ctid_guard *g, const char *principal)
{
  guard_entry *e = guard_find(g, principal);
  if (e)
    return e;
  if (g->n == g->cap) {
    size_t cap = g->cap ? g->cap * 2 : 16;
    guard_entry *ne = realloc(g->e, cap * sizeof *ne);
    if (!ne)
      return NULL;
    g->e = ne;
    g->cap = cap;
  }
  e = &g->e[g->n];
  memset(e, 0, sizeof *e);
  e->locked_until = INT64_MIN;
  e->principal = strdup(principal);
  e->fails = g->policy.failures ? malloc(g->policy.failures * sizeof *e->fails) : NULL;
  if (!e->principal || (g->policy.failures && !e->fails)) {
    free(e->principal);
    free(e->fails);
    return NULL;
  }
  g->n++;
  return e;
}

int ctid_guard_locked(const ctid_guard *g, const char *principal, int64_t now,
                      int64_t *until)
{
  const guard_entry *e = g && principal ? guard_find(g, principal) : NULL;
  if (!e || e->locked_until == INT64_MIN || now >= e->locked_until)
    return 0;
  if (until)
    *until = e->locked_until;
  return 1;
}

int ctid_guard_record(ctid_guard *g, const char *principal, int ok, int64_t now)
{
  if (!g || !principal)
    return -1;
  if (ok) {
    guard_entry *e = guard_find(g, principal);
    if (e)
      e->n = e->head = 0;
    return ctid_guard_locked(g, principal, now, NULL);
  }
  unsigned cap = g->policy.failures;
  if (cap == 0)
    return 0;
  guard_entry *e = guard_get(g, principal);
  if (!e)
    return -1;
  if (e->n == cap) { /* drop the oldest */
    e->head = (e->head + 1) % cap;
    e->n--;
  }
  e->fails[(e->head + e->n) % cap] = now;
  e->n++;
  /* Locked when the oldest of the last `failures` failures is within the window. */
  if (e->n == cap && now - e->fails[e->head] < g->policy.window_ms) {
    e->locked_until = now > INT64_MAX - g->policy.lock_ms ? INT64_MAX : now + g->policy.lock_ms;
    e->n = e->head = 0;
  }
  return ctid_guard_locked(g, principal, now, NULL);
}

ctid_auth_result ctid_guard_attempt(ctid_guard *g, const char *principal, const char *stored,
                                    const void *secret, size_t secret_len, int64_t now,
                                    int64_t *until)
{
  if (!g || !principal)
    return CTID_AUTH_BAD;
  if (ctid_guard_locked(g, principal, now, until))
    return CTID_AUTH_LOCKED;
  int ok;
  if (stored) {
    ok = ctid_verify_secret(stored, secret, secret_len) == 1;
  } else {
    static const uint8_t salt[CTID_SALT_LEN] = {0};
    uint8_t sink[CTID_HASH_LEN];
    (void)ctid_pbkdf2_sha256(secret, secret_len > CTID_SECRET_MAX ? 0 : secret_len, salt,
                             sizeof salt, CTID_PBKDF2_DEFAULT_ITER, sink, sizeof sink);
    OPENSSL_cleanse(sink, sizeof sink);
    return CTID_AUTH_BAD;
  }
  if (ctid_guard_record(g, principal, ok, now) == 1 && until)
    (void)ctid_guard_locked(g, principal, now, until);
  return ok ? CTID_AUTH_OK : CTID_AUTH_BAD;
}
