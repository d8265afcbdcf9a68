/*
 * ctid's credentials: per-principal secrets stored as salted PBKDF2-HMAC-SHA256 hashes,
 * verified in constant time, and a lockout after repeated failures (docs/ctid.md,
 * "Credentials").
 *
 * The stored form is one line of printable ASCII:
 *
 *   pbkdf2-sha256$ITERATIONS$SALT$HASH
 *
 * with SALT and HASH in standard base64 (RFC 4648 section 4) without padding. The
 * hashing is OpenSSL's (PKCS5_PBKDF2_HMAC, RAND_bytes, CRYPTO_memcmp); nothing here is
 * hand-written crypto.
 *
 * The lockout logic takes the time as an argument and reads no clock. An internal library
 * of the ctid example, not part of libccenter's ABI. Not thread-safe.
 */
#ifndef CTID_AUTH_H
#define CTID_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define CTID_HASH_SCHEME "pbkdf2-sha256"
/* OWASP's 2023 advice for PBKDF2-HMAC-SHA256. */
#define CTID_PBKDF2_DEFAULT_ITER 600000u
/* Stored strings with fewer are refused: a typo must not make a secret cheap to guess. */
#define CTID_PBKDF2_MIN_ITER 1000u
#define CTID_PBKDF2_MAX_ITER 100000000u
#define CTID_SALT_LEN 16
#define CTID_HASH_LEN 32
#define CTID_SALT_MIN 8
#define CTID_SALT_MAX 64
#define CTID_HASH_MIN 16
#define CTID_HASH_MAX 64
/* Longest stored string (with its NUL): scheme, iterations, 64-byte salt and hash. */
#define CTID_STORED_MAX 208
/* Longest secret accepted (bytes). */
#define CTID_SECRET_MAX 1024

/* PBKDF2-HMAC-SHA256 of secret and salt into out (out_len bytes). 0 or -1. */
int ctid_pbkdf2_sha256(const void *secret, size_t secret_len, const uint8_t *salt,
                       size_t salt_len, uint32_t iterations, uint8_t *out, size_t out_len);

/* Hashes a secret with a fresh random salt of CTID_SALT_LEN bytes into its stored form
   (out_size >= CTID_STORED_MAX). 0, or -1 (bad arguments, RAND_bytes failed). */
int ctid_hash_secret(const void *secret, size_t secret_len, uint32_t iterations, char *out,
                     size_t out_size);

/* The same with a given salt (tests, known vectors). */
int ctid_hash_secret_salt(const void *secret, size_t secret_len, uint32_t iterations,
                          const uint8_t *salt, size_t salt_len, char *out, size_t out_size);

/* Whether stored is a well-formed stored hash: 0 when it is, else -1 and, when why is not
   NULL, a static string saying what is wrong. */
int ctid_hash_check(const char *stored, const char **why);

/* 1 when secret matches stored, 0 when it does not, -1 when stored is malformed. The
   comparison takes the same time wherever the hashes differ (CRYPTO_memcmp). */
int ctid_verify_secret(const char *stored, const void *secret, size_t secret_len);

/* ---------------------------------------------------------------------------------- */
/* Lockout                                                                             */

/* `failures` failed attempts within `window_ms` lock a principal for `lock_ms`.
   failures 0 turns the lockout off. */
typedef struct ctid_lockout_policy {
  unsigned failures; /* 0..CTID_LOCKOUT_MAX_FAILURES */
  int64_t window_ms;
  int64_t lock_ms;
} ctid_lockout_policy;

#define CTID_LOCKOUT_MAX_FAILURES 100

typedef enum ctid_auth_result {
  CTID_AUTH_OK = 0,     /* the secret matches */
  CTID_AUTH_BAD = 1,    /* wrong secret, unknown principal or malformed stored hash */
  CTID_AUTH_LOCKED = 2  /* refused without looking at the secret: locked out */
} ctid_auth_result;

typedef struct ctid_guard ctid_guard;

/* A guard keeps the recent failures of each principal. NULL on bad policy or no memory. */
ctid_guard *ctid_guard_new(const ctid_lockout_policy *policy);
void ctid_guard_free(ctid_guard *g);
/* Takes a new policy (a reload); the failures recorded so far are kept, those beyond the
   new count forgotten. -1 on a bad policy (the old one stays). */
int ctid_guard_set_policy(ctid_guard *g, const ctid_lockout_policy *policy);

/* Whether principal is locked at now; *until (may be NULL) receives the end of the lock. */
int ctid_guard_locked(const ctid_guard *g, const char *principal, int64_t now,
                      int64_t *until);

/* Records the outcome of an attempt. A success clears the principal's failures; the
   failure that makes `failures` within the window locks it. Returns 1 when the principal
   is locked after the call, 0 when not, -1 on no memory. */
int ctid_guard_record(ctid_guard *g, const char *principal, int ok, int64_t now);

/* What the server calls on each handshake: refuses a locked principal without hashing;
   otherwise verifies (stored NULL: the principal is unknown, and a hash of the same cost
   is computed anyway so that the time taken does not tell which names exist) and records
   the outcome for a known principal. *until (may be NULL) receives the end of the lock
   when the result is CTID_AUTH_LOCKED, or when this failure caused one. */
ctid_auth_result ctid_guard_attempt(ctid_guard *g, const char *principal, const char *stored,
                                    const void *secret, size_t secret_len, int64_t now,
                                    int64_t *until);

#endif
