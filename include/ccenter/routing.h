/*
 * libccenter — routing requirements: what an agent must have to be offered a contact or to
 * serve a queue step, e.g. `cards >= 5 and language in ("en", "fr") and not trainee`.
 *
 * The engine takes requirements as text; the grammar, the meaning of every term, the
 * canonical form and the error messages are in docs/routing-expressions.md. This header
 * lets a program build a requirement in code (ccenter_req_skill(), ccenter_req_attr_eq(),
 * ...) or check a text (ccenter_req_parse()), and turn either into the canonical text
 * (ccenter_req_format()) that the engine accepts. The builder and the parser meet in one
 * representation: a requirement built term by term formats exactly as the parsed text of
 * the same requirement.
 *
 * A requirement is a conjunction (AND) of terms; there is no OR. Terms on the same skill
 * or attribute key are combined (`cards >= 3 and cards >= 5` is `cards >= 5`); a
 * combination that no agent can satisfy is refused.
 *
 * Memory: a ccenter_req uses the C library's malloc and free (not the engine allocator);
 * it owns copies of every name and value given to it.
 *
 * Errors: every function returns 0 or a negative code from ccenter/common.h and, when it
 * fails, changes nothing: the requirement still holds exactly the terms it had.
 *
 * Thread safety: none per object; different ccenter_req objects are independent.
 */
#ifndef CCENTER_ROUTING_H
#define CCENTER_ROUTING_H

#include "ccenter/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most terms in one requirement (in text, and in the canonical form of a built one). */
#define CCENTER_REQ_MAX_TERMS 32
/** Most strings in one set, and values of one attribute key after combining terms. */
#define CCENTER_REQ_MAX_VALUES 64
/** Longest skill name or attribute key, in bytes. */
#define CCENTER_REQ_MAX_NAME 64
/** Longest attribute value, in bytes. */
#define CCENTER_REQ_MAX_VALUE 255

/** An opaque routing requirement under construction (see the header comment). */
typedef struct ccenter_req ccenter_req;

/** Comparison of a skill's proficiency with a level. */
typedef enum ccenter_cmp {
  CCENTER_CMP_EQ = 1, /**< level == n, n in 1..10 */
  CCENTER_CMP_GE = 2, /**< level >= n, n in 1..10 */
  CCENTER_CMP_GT = 3, /**< level > n, n in 1..9 */
  CCENTER_CMP_LE = 4, /**< level <= n (and the skill present), n in 1..10 */
  CCENTER_CMP_LT = 5  /**< level < n (and the skill present), n in 2..10 */
} ccenter_cmp;

/**
 * Creates an empty requirement (it matches every agent) in *out.
 * Errors: CCENTER_EINVAL (out NULL), CCENTER_ENOMEM. Since 0.1.
 */
CCENTER_EXPORT int ccenter_req_new(ccenter_req **out);

/** Frees a requirement and everything it owns. NULL does nothing. Since 0.1. */
CCENTER_EXPORT void ccenter_req_free(ccenter_req *req);

/**
 * Parses a requirement text into a new requirement in *out. On failure *out is untouched
 * and, when given, *err_offset receives the byte offset of the error in text and err_msg
 * (err_len bytes, truncated, NUL-terminated) a message such as
 * "1:13: expected a string after '=='" (line:column, 1-based, the column in bytes).
 * err_offset and err_msg may be NULL; they are written only when the call fails.
 * Errors: CCENTER_EINVAL (text or out NULL), CCENTER_ESYNTAX (the text is not a valid
 * requirement, or no agent can match it: "never matches"), CCENTER_ERANGE (more than
 * CCENTER_REQ_MAX_TERMS terms, CCENTER_REQ_MAX_VALUES values in a set, a name or value too
 * long), CCENTER_ENOMEM. Since 0.1.
 */
CCENTER_EXPORT int ccenter_req_parse(const char *text, ccenter_req **out, size_t *err_offset,
                                     char *err_msg, size_t err_len);

/**
 * Adds `name >= min_level`: the agent has skill name with proficiency at least min_level
 * (1..10; 1 means just "has the skill").
 * Errors: CCENTER_EINVAL (req or name NULL, name not a valid name or a reserved word,
 * min_level out of range), CCENTER_ERANGE (name longer than CCENTER_REQ_MAX_NAME, or the
 * requirement would exceed CCENTER_REQ_MAX_TERMS), CCENTER_ENOSOLUTION (no agent could
 * satisfy the requirement with this term), CCENTER_ENOMEM. Since 0.1.
 */
CCENTER_EXPORT int ccenter_req_skill(ccenter_req *req, const char *name, int min_level);

/**
 * Adds `name OP level`: the agent has skill name and its proficiency compares so
 * (ccenter_cmp gives the levels each operator accepts).
 * Errors: as ccenter_req_skill(); CCENTER_EINVAL also for an unknown op. Since 0.1.
 */
CCENTER_EXPORT int ccenter_req_skill_cmp(ccenter_req *req, const char *name, ccenter_cmp op,
                                         int level);

/**
 * Adds `not name OP level`: the agent lacks skill name or its proficiency does not compare
 * so. For example CCENTER_CMP_GE, 5 accepts agents below 5 and agents without the skill.
 * Errors: as ccenter_req_skill_cmp(). Since 0.1.
 */
CCENTER_EXPORT int ccenter_req_not_skill_cmp(ccenter_req *req, const char *name,
                                             ccenter_cmp op, int level);

/**
 * Adds `not name`: the agent must not have skill name.
 * Errors: as ccenter_req_skill() (no level). Since 0.1.
 */
CCENTER_EXPORT int ccenter_req_no_skill(ccenter_req *req, const char *name);

/**
 * Adds `key == "value"`: the agent has attribute key with exactly this value (bytes
 * compared; an agent without the attribute does not match).
 * Errors: CCENTER_EINVAL (NULL argument, key not a valid name, value with a control
 * character), CCENTER_ERANGE (key or value too long, too many terms), CCENTER_ENOSOLUTION,
 * CCENTER_ENOMEM. Since 0.1.
 */
CCENTER_EXPORT int ccenter_req_attr_eq(ccenter_req *req, const char *key, const char *value);

/**
 * Adds `key != "value"`: the agent lacks attribute key or has another value.
 * Errors: as ccenter_req_attr_eq(). Since 0.1.
 */
CCENTER_EXPORT int ccenter_req_attr_ne(ccenter_req *req, const char *key, const char *value);

/**
 * Adds `key in ("v1", ...)`: the agent has attribute key with one of the n values
 * (1..CCENTER_REQ_MAX_VALUES; duplicates are ignored). The array is only read.
 * Errors: as ccenter_req_attr_eq(); CCENTER_EINVAL also for values NULL or n 0,
 * CCENTER_ERANGE for n too large. Since 0.1.
 */
CCENTER_EXPORT int ccenter_req_attr_in(ccenter_req *req, const char *key,
                                       const char *const *values, size_t n);

/**
 * Adds `key not in ("v1", ...)`: the agent lacks attribute key or its value is none of
 * the n values.
 * Errors: as ccenter_req_attr_in(); CCENTER_ERANGE also when the values excluded for key
 * would exceed CCENTER_REQ_MAX_VALUES. Since 0.1.
 */
CCENTER_EXPORT int ccenter_req_attr_not_in(ccenter_req *req, const char *key,
                                           const char *const *values, size_t n);

/**
 * Writes the requirement's canonical text like snprintf: at most len - 1 bytes and a NUL
 * when len > 0 (buf may be NULL when len is 0), and returns the full text's length without
 * the NUL, so a return >= len means the text was truncated. The empty requirement is ""
 * (matches every agent). The text parses back to the same requirement and is what the
 * engine's functions that take a requirement expect.
 * Errors: CCENTER_EINVAL (req NULL, or buf NULL with len > 0). Since 0.1.
 */
CCENTER_EXPORT int ccenter_req_format(const ccenter_req *req, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* CCENTER_ROUTING_H */
