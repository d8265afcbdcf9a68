/*
 * libFuzzer harness for the requirement-expression compiler (libccenter/acd/req.c).
 *
 * Each input is a requirement text (up to the first NUL byte). Besides the sanitizers'
 * checks, the harness asserts what acd/req.h promises:
 *   - the result is 0, CCENTER_ESYNTAX or CCENTER_ERANGE (no allocation fails here);
 *   - on failure, err.msg is NUL-terminated and err.offset is within the text;
 *   - on success, cc_req_format agrees with cc_req_text, and the canonical text compiles
 *     again to an equal requirement (same text, same hash) that matches the same agents;
 *   - matching an agent made from the requirement's own names gives the same answer for
 *     both, and cc_req_level is 0..10.
 * Build: meson setup with -Dfuzz=true and CC=clang (tests/fuzz/run.sh).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acd/req.h"
#include "ccenter/ccenter.h"
#include "core/options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A small intern table, emptied after each input. */
typedef struct strtab {
  char **s;
  size_t n, cap;
} strtab;

static const char *intern(void *ud, const char *s)
{
  strtab *t = ud;
  for (size_t i = 0; i < t->n; i++)
    if (strcmp(t->s[i], s) == 0)
      return t->s[i];
  if (t->n == t->cap) {
    size_t cap = t->cap ? 2 * t->cap : 16;
    char **ns = realloc(t->s, cap * sizeof *ns);
    if (!ns)
      abort();
    t->s = ns;
    t->cap = cap;
  }
  size_t len = strlen(s);
  char *d = malloc(len + 1);
  if (!d)
    abort();
  memcpy(d, s, len + 1);
  t->s[t->n++] = d;
  return d;
}

static void strtab_free(strtab *t)
{
  for (size_t i = 0; i < t->n; i++)
    free(t->s[i]);
  free(t->s);
}

#define CHECK(cond)                                                                  \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      fprintf(stderr, "fuzz_req: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                       \
    }                                                                                \
  } while (0)

static int cmp_skill(const void *a, const void *b)
{
  uintptr_t x = (uintptr_t)((const cc_skill *)a)->name;
  uintptr_t y = (uintptr_t)((const cc_skill *)b)->name;
  return (x > y) - (x < y);
}

static int cmp_attr(const void *a, const void *b)
{
  uintptr_t x = (uintptr_t)((const cc_attr_kv *)a)->key;
  uintptr_t y = (uintptr_t)((const cc_attr_kv *)b)->key;
  return (x > y) - (x < y);
}

/* An agent built from r's names: skill levels and attribute choices come from the input
 * bytes, so that the fuzzer steers matching too. Skills and attribute keys are separate
 * name spaces, so one name may appear in both arrays. */
static void check_match(const cc_req *r, const cc_req *r2, const uint8_t *data, size_t size)
{
  size_t n;
  const cc_req_term *t = cc_req_terms(r, &n);
  cc_skill skills[CC_REQ_MAX_TERMS];
  cc_attr_kv attrs[CC_REQ_MAX_TERMS];
  size_t ns = 0, na = 0;
  for (size_t i = 0; i < n && i < CC_REQ_MAX_TERMS; i++) {
    uint8_t b = size ? data[i % size] : 0;
    if (t[i].kind == CC_REQ_SKILL) {
      CHECK(t[i].levels != 0 && (t[i].levels & 0x7ff) != 0x7ff);
      if (b % 12 != 11) /* else the agent lacks the skill */
        skills[ns++] = (cc_skill){t[i].name, (uint8_t)(b % 12)};
    } else {
      CHECK(t[i].kind == CC_REQ_ATTR_IN || t[i].kind == CC_REQ_ATTR_NOT_IN);
      CHECK(t[i].n_values >= 1 && t[i].n_values <= CC_REQ_MAX_VALUES);
      if (b % 3 == 0)
        continue; /* the agent lacks the key */
      attrs[na++] = (cc_attr_kv){t[i].name, b % 3 == 1 ? t[i].values[b % t[i].n_values]
                                                     : t[i].name};
    }
  }
  qsort(skills, ns, sizeof *skills, cmp_skill);
  qsort(attrs, na, sizeof *attrs, cmp_attr);
  const char *names[CC_REQ_MAX_TERMS];
  uint8_t levels[CC_REQ_MAX_TERMS];
  cc_skills_split(skills, ns, names, levels);
  cc_agent_view v = {names, levels, ns, attrs, na};
  int m = cc_req_match(r, &v);
  CHECK(m == 0 || m == 1);
  CHECK(m == cc_req_match(r2, &v));
  int level = cc_req_level(r, &v);
  CHECK(level >= 0 && level <= CC_REQ_MAX_LEVEL);
  CHECK(level == cc_req_level(r2, &v));
  CHECK(cc_req_primary_skill(r) == cc_req_primary_skill(r2));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *text = malloc(size + 1);
  if (!text)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  size_t len = strlen(text);

  cc_alloc a;
  cc_alloc_default(&a);
  strtab tab = {0};
  cc_req *r = NULL;
  cc_req_error err;
  memset(&err, 0x5a, sizeof err);
  int rc = cc_req_compile(&a, text, intern, &tab, &r, &err);
  if (rc != 0) {
    CHECK(rc == CCENTER_ESYNTAX || rc == CCENTER_ERANGE);
    CHECK(r == NULL);
    CHECK(memchr(err.msg, '\0', sizeof err.msg) != NULL);
    CHECK(err.offset <= len);
    CHECK(err.unsat == 0 || err.unsat == 1);
  } else {
    CHECK(r != NULL);
    const char *canon = cc_req_text(r);
    size_t clen = strlen(canon);
    CHECK(cc_req_format(r, NULL, 0) == clen);
    char buf[64];
    CHECK(cc_req_format(r, buf, sizeof buf) == clen);
    CHECK(strncmp(buf, canon, sizeof buf - 1) == 0);
    CHECK(cc_req_is_empty(r) == (clen == 0));
    CHECK(cc_req_memory(r) > 0);

    cc_req *r2 = NULL;
    int rc2 = cc_req_compile(&a, canon, intern, &tab, &r2, &err);
    if (rc2 != 0)
      fprintf(stderr, "fuzz_req: canonical text \"%s\" of \"%s\" refused: %s\n", canon, text,
              err.msg);
    CHECK(rc2 == 0);
    CHECK(strcmp(cc_req_text(r2), canon) == 0);
    CHECK(cc_req_equal(r, r2));
    CHECK(cc_req_hash(r) == cc_req_hash(r2));
    check_match(r, r2, data, size);
    cc_req_free(&a, r2);
    cc_req_free(&a, r);
  }
  strtab_free(&tab);
  free(text);
  return 0;
}
