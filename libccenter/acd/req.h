/*
 * Internal: routing requirements — the compiled form of a requirement expression such as
 * `cards >= 5 and language in ("en", "fr") and not trainee` (docs/routing-expressions.md).
 *
 * A requirement is a conjunction of terms on skills (proficiency 0..10, 0 = the agent
 * lacks the skill) and attributes (a string value, or none). The compiler normalises it:
 * every skill is reduced to the set of levels it accepts and every attribute key to one
 * "value in set" or "value not in set", so two requirements that accept the same agents by
 * construction have the same canonical text, hash and equality. The engine uses the
 * canonical text as the key of a requirement class.
 *
 * Names and values are interned through the engine's callback, so matching compares
 * pointers: cc_req_match() is a merge-walk of the requirement's terms against the agent's
 * skills and attributes, both sorted by pointer, with no allocation and no strcmp.
 *
 * A cc_req is immutable once compiled; any number of readers may use it at once.
 */
#ifndef CC_ACD_REQ_H
#define CC_ACD_REQ_H

#include <stddef.h>
#include <stdint.h>

#include "core/options.h"

/* Limits of one requirement (the parser's; the canonical form never exceeds them). */
#define CC_REQ_MAX_TERMS 32   /* terms in the text */
#define CC_REQ_MAX_VALUES 64  /* strings in one set, and values of a key after combining */
#define CC_REQ_MAX_NAME 64    /* bytes in a skill name or attribute key */
#define CC_REQ_MAX_VALUE 255  /* bytes in an attribute value (after unescaping) */
#define CC_REQ_MAX_LEVEL 10   /* proficiency levels are 1..10 */

/*
 * Interning callback: returns a pointer to a string equal to s that stays valid (and
 * unchanged) as long as any requirement compiled with it, and the same pointer for every
 * equal string; NULL when out of memory. s is a temporary.
 */
typedef const char *(*cc_intern_fn)(void *ud, const char *s);

/*
 * Where and why a text was refused. offset is the byte offset of the offending token (the
 * text's length for "at the end"); msg is "LINE:COLUMN: message" (1-based; the column
 * counts bytes), NUL-terminated, e.g. "1:13: expected a string after '=='".
 * unsat is 1 when the text is well-formed but no agent can match it ("never matches").
 */
typedef struct cc_req_error {
  size_t offset;
  char msg[96];
  int unsat;
} cc_req_error;

/* An agent's skill: interned name, proficiency 1..10 (0 counts as not having it, above 10
 * as 10). A view keeps names and levels apart (cc_agent_view); this pair is for building
 * and sorting them. */
typedef struct cc_skill {
  const char *name;
  uint8_t level;
} cc_skill;

/* An agent's attribute: interned key and value. */
typedef struct cc_attr_kv {
  const char *key;
  const char *value;
} cc_attr_kv;

/*
 * What matching reads of an agent. skills (names) sorted by pointer ((uintptr_t)
 * ascending, names unique), levels[i] skills[i]'s proficiency: two arrays rather than one
 * of cc_skill, whose padding would take 7 bytes a skill in every agent; attrs sorted by
 * key pointer (keys unique). All pointers come from the intern function the requirement
 * was compiled with.
 */
typedef struct cc_agent_view {
  const char *const *skills;
  const uint8_t *levels;
  size_t n_skills;
  const cc_attr_kv *attrs;
  size_t n_attrs;
} cc_agent_view;

/* names[i] and levels[i] from s[i], for i < n: a view's two arrays from pairs. */
void cc_skills_split(const cc_skill *s, size_t n, const char **names, uint8_t *levels);

typedef struct cc_req cc_req;

/* The normalised constraint on one skill or one attribute key. */
typedef enum cc_req_kind {
  CC_REQ_SKILL = 1,      /* the agent's level must be in `levels` */
  CC_REQ_ATTR_IN = 2,    /* the agent has the key and its value is one of `values` */
  CC_REQ_ATTR_NOT_IN = 3 /* the agent lacks the key or its value is none of `values` */
} cc_req_kind;

typedef struct cc_req_term {
  cc_req_kind kind;
  /* SKILL: bit L set = level L accepted (L = 0: the agent lacks the skill). Never 0, never
   * all of bits 0..10. */
  uint16_t levels;
  uint16_t n_values;         /* ATTR_*: 1..CC_REQ_MAX_VALUES */
  const char *name;          /* interned skill name or attribute key */
  const char *const *values; /* ATTR_*: interned, in byte order of their text */
} cc_req_term;

/*
 * Parses and compiles text (NUL-terminated; "" or blanks only = matches every agent).
 * On success *out receives the requirement (free it with cc_req_free). On failure *out is
 * untouched and, if err is not NULL, *err says where and why.
 * Returns 0, CCENTER_EINVAL (text or out NULL), CCENTER_ESYNTAX (bad expression, including
 * "never matches"), CCENTER_ERANGE (a limit above), CCENTER_ENOMEM (allocation or intern
 * failed; strings interned before the failure stay interned).
 * Names and values are interned only once the text is known to be valid.
 */
int cc_req_compile(const cc_alloc *a, const char *text, cc_intern_fn intern, void *intern_ud,
                   cc_req **out, cc_req_error *err);

/* 0 when `name` can be written in a requirement as a skill name or attribute key (a
 * letter first, name characters, not a reserved word, at most CC_REQ_MAX_NAME bytes);
 * CCENTER_EINVAL otherwise. */
int cc_req_check_name(const char *name);

/* Frees a requirement (one block). NULL does nothing. */
void cc_req_free(const cc_alloc *a, cc_req *r);

/*
 * Writes the canonical text like snprintf: at most len - 1 bytes and a NUL (when len > 0);
 * returns the canonical text's length. "" for the empty requirement (and NULL).
 */
size_t cc_req_format(const cc_req *r, char *buf, size_t len);

/* The canonical text itself, NUL-terminated, owned by r ("" for NULL). */
const char *cc_req_text(const cc_req *r);

/* Hash and equality of the canonical text: equal requirements accept the same agents. */
uint64_t cc_req_hash(const cc_req *r);
int cc_req_equal(const cc_req *a, const cc_req *b);

/* 1 when the agent satisfies every term, else 0. NULL r matches everyone. No allocation. */
int cc_req_match(const cc_req *r, const cc_agent_view *v);

/*
 * The primary skill: the first skill, in canonical order (names in byte order), that the
 * requirement demands (whose accepted levels exclude 0); NULL if none. Its level drives
 * the best-skill and weighted-random strategies.
 */
const char *cc_req_primary_skill(const cc_req *r);

/* The agent's level (1..10) in the primary skill; 0 if it lacks it or there is none. */
int cc_req_level(const cc_req *r, const cc_agent_view *v);

/* 1 when the requirement has no term (matches every agent; also for NULL). */
int cc_req_is_empty(const cc_req *r);

/* The normalised terms in canonical order (one per skill or attribute key). */
const cc_req_term *cc_req_terms(const cc_req *r, size_t *n);

/* Bytes held by r (for memory accounting). */
size_t cc_req_memory(const cc_req *r);

#endif
