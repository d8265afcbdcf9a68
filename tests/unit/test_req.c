/* Routing requirements: parser, canonical form, matching, builder (acd/req.h, ccenter/routing.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acd/req.h"
#include "ccenter/ccenter.h"
#include "core/map.h"
#include "core/options.h"
#include "harness.h"

/* ------------------------------------------------------------------------------------ */
/* Fixture: an allocator and an intern table (each test runs in a fresh one)            */

typedef struct itab {
  cc_alloc a;
  cc_map m;
  long calls;
  long fail_at; /* -1: never; else calls after this many return NULL */
} itab;

static cc_alloc A;
static itab T;

static const char *tintern(void *ud, const char *s)
{
  itab *t = ud;
  if (t->fail_at >= 0 && t->calls >= t->fail_at)
    return NULL;
  t->calls++;
  const char *hit = cc_map_get(&t->m, s);
  if (hit)
    return hit;
  char *d = cc_strdup(&t->a, s);
  ck_assert_ptr_nonnull(d);
  ck_assert_int_eq(cc_map_put(&t->m, &t->a, d, d), 0);
  return d;
}

static void setup(void)
{
  cc_alloc_default(&A);
  cc_alloc_default(&T.a);
  cc_map_init_key(&T.m, 0, 0);
  T.calls = 0;
  T.fail_at = -1;
}

static void teardown(void)
{
  size_t i = 0;
  char *s;
  while ((s = cc_map_next(&T.m, &i)))
    cc_free(&T.a, s);
  cc_map_destroy(&T.m, &T.a);
}

static const char *I(const char *s)
{
  return tintern(&T, s);
}

static int compile_s(const char *text, cc_req **out, cc_req_error *e)
{
  return cc_req_compile(&A, text, tintern, &T, out, e);
}

static char fmtbuf[8192];

/* The canonical text of text (which must compile). */
static const char *canon_of(const char *text)
{
  cc_req *r = NULL;
  cc_req_error e;
  memset(&e, 0, sizeof e);
  int rc = compile_s(text, &r, &e);
  ck_assert_msg(rc == 0, "'%s' -> %d %s", text, rc, e.msg);
  size_t n = cc_req_format(r, fmtbuf, sizeof fmtbuf);
  ck_assert_uint_lt(n, sizeof fmtbuf);
  ck_assert_uint_eq(n, strlen(fmtbuf));
  ck_assert_str_eq(fmtbuf, cc_req_text(r));
  cc_req_free(&A, r);
  return fmtbuf;
}

static void expect_canon(const char *text, const char *canon)
{
  ck_assert_msg(strcmp(canon_of(text), canon) == 0, "'%s' -> '%s', want '%s'", text, fmtbuf,
                canon);
  ck_assert_msg(strcmp(canon_of(canon), canon) == 0, "canonical '%s' not a fixed point", canon);
}

static void expect_err(const char *text, int code, size_t offset, const char *msg)
{
  cc_req *r = (cc_req *)&r; /* must stay untouched */
  cc_req *before = r;
  cc_req_error e;
  memset(&e, 0, sizeof e);
  int rc = compile_s(text, &r, &e);
  ck_assert_msg(rc == code, "'%s' -> %d (%s), want %d", text, rc, e.msg, code);
  ck_assert_ptr_eq(r, before);
  ck_assert_msg(e.offset == offset, "'%s' offset %zu, want %zu (%s)", text, e.offset, offset,
                e.msg);
  ck_assert_msg(strcmp(e.msg, msg) == 0, "'%s': '%s', want '%s'", text, e.msg, msg);
  /* No error pointer is fine too. */
  ck_assert_int_eq(compile_s(text, &r, NULL), code);
}

/* ------------------------------------------------------------------------------------ */
/* Agents: "cards:5 loans:3" and "language=en site=lisbon"                              */

typedef struct tagent {
  cc_skill sk[64];
  const char *names[64]; /* sk split (view_sort) */
  uint8_t levels[64];
  cc_attr_kv at[32];
  char buf[512];
  cc_agent_view v;
} tagent;

static int cmp_sk(const void *a, const void *b)
{
  uintptr_t x = (uintptr_t)((const cc_skill *)a)->name, y = (uintptr_t)((const cc_skill *)b)->name;
  return x < y ? -1 : x > y;
}

static int cmp_at(const void *a, const void *b)
{
  uintptr_t x = (uintptr_t)((const cc_attr_kv *)a)->key, y = (uintptr_t)((const cc_attr_kv *)b)->key;
  return x < y ? -1 : x > y;
}

static void view_sort(tagent *ag)
{
  qsort(ag->sk, ag->v.n_skills, sizeof ag->sk[0], cmp_sk);
  qsort(ag->at, ag->v.n_attrs, sizeof ag->at[0], cmp_at);
  cc_skills_split(ag->sk, ag->v.n_skills, ag->names, ag->levels);
  ag->v.skills = ag->names;
  ag->v.levels = ag->levels;
  ag->v.attrs = ag->at;
}

static void agent_of(tagent *ag, const char *skills, const char *attrs)
{
  memset(ag, 0, sizeof *ag);
  snprintf(ag->buf, sizeof ag->buf, "%s", skills);
  for (char *tok = strtok(ag->buf, " "); tok; tok = strtok(NULL, " ")) {
    char *c = strchr(tok, ':');
    ck_assert_ptr_nonnull(c);
    *c = 0;
    ag->sk[ag->v.n_skills].name = I(tok);
    ag->sk[ag->v.n_skills++].level = (uint8_t)atoi(c + 1);
  }
  snprintf(ag->buf, sizeof ag->buf, "%s", attrs);
  for (char *tok = strtok(ag->buf, " "); tok; tok = strtok(NULL, " ")) {
    char *c = strchr(tok, '=');
    ck_assert_ptr_nonnull(c);
    *c = 0;
    ag->at[ag->v.n_attrs].key = I(tok);
    ag->at[ag->v.n_attrs++].value = I(c + 1);
  }
  view_sort(ag);
}

static int matches(const char *req, const char *skills, const char *attrs)
{
  cc_req *r = NULL;
  ck_assert_int_eq(compile_s(req, &r, NULL), 0);
  tagent ag;
  agent_of(&ag, skills, attrs);
  int m = cc_req_match(r, &ag.v);
  cc_req_free(&A, r);
  return m;
}

/* ------------------------------------------------------------------------------------ */
/* Canonical forms                                                                      */

START_TEST(canonical_skill_forms)
{
  static const char *const cases[][2] = {
    {"", ""},
    {" \t\r\n ", ""},
    {"cards", "cards"},
    {"cards >= 1", "cards"},
    {"cards <= 10", "cards"},
    {"cards >= 5", "cards >= 5"},
    {"cards > 4", "cards >= 5"},
    {"cards >= 3 and cards >= 5", "cards >= 5"},
    {"cards >= 5 and cards >= 3 and cards", "cards >= 5"},
    {"cards == 10", "cards == 10"},
    {"cards >= 10", "cards == 10"},
    {"cards > 9", "cards == 10"},
    {"cards <= 1", "cards == 1"},
    {"cards < 5", "cards <= 4"},
    {"cards >= 3 and cards <= 7", "cards >= 3 and cards <= 7"},
    {"cards <= 7 and cards >= 3", "cards >= 3 and cards <= 7"},
    {"cards >= 3 and cards <= 3", "cards == 3"},
    {"cards == 4 and cards >= 2", "cards == 4"},
    {"cards and not cards == 5", "cards and not cards == 5"},
    {"not cards == 5 and cards", "cards and not cards == 5"},
    {"cards >= 2 and cards < 10 and not cards == 6 and not cards == 4",
     "cards >= 2 and cards <= 9 and not cards == 4 and not cards == 6"},
    {"cards and not cards == 1", "cards >= 2"},
    {"cards and not cards == 10 and not cards == 9", "cards <= 8"},
    {"not cards", "not cards"},
    {"not cards >= 1", "not cards"},
    {"not cards >= 5", "not cards >= 5"},
    {"not cards > 4", "not cards >= 5"},
    {"not cards <= 3", "not cards <= 3"},
    {"not cards < 2", "not cards == 1"},
    {"not cards <= 1", "not cards == 1"},
    {"not cards == 10", "not cards == 10"},
    {"not cards >= 10", "not cards == 10"},
    {"not cards == 5", "not cards == 5"},
    {"not cards >= 8 and not cards == 5 and not cards <= 3",
     "not cards <= 3 and not cards == 5 and not cards >= 8"},
    {"not cards == 4 and not cards == 3", "not cards == 3 and not cards == 4"},
    {"not cards == 3 and not cards == 2 and not cards == 1", "not cards <= 3"},
    {"not cards >= 5 and cards", "cards <= 4"},
    {"not cards <= 3 and cards", "cards >= 4"},
    {"not cards <= 9 and not cards == 10", "not cards"},
    {"not cards and not cards >= 3", "not cards"},
    {"not cards > 5 and not cards < 5", "not cards <= 4 and not cards >= 6"},
    {"not cards > 5 and not cards < 5 and not cards == 5", "not cards"},
    {"cards-vip.2 >= 2 and a_b", "a_b and cards-vip.2 >= 2"},
    {"Cards >= 5 AND NOT trainee anD cards", "Cards >= 5 and cards and not trainee"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    expect_canon(cases[i][0], cases[i][1]);
}
END_TEST

START_TEST(canonical_attribute_forms)
{
  static const char *const cases[][2] = {
    {"language == \"en\"", "language == \"en\""},
    {"language in (\"en\")", "language == \"en\""},
    {"language in (\"fr\", \"en\", \"fr\")", "language in (\"en\", \"fr\")"},
    {"language IN(\"fr\",\"en\")", "language in (\"en\", \"fr\")"},
    {"not language in (\"en\")", "language != \"en\""},
    {"not language == \"en\"", "language != \"en\""},
    {"language not in (\"b\", \"a\")", "language not in (\"a\", \"b\")"},
    {"language Not In (\"a\")", "language != \"a\""},
    {"not language != \"en\"", "language == \"en\""},
    {"not language not in (\"fr\", \"en\")", "language in (\"en\", \"fr\")"},
    {"language in (\"en\", \"fr\", \"de\") and language != \"fr\"",
     "language in (\"de\", \"en\")"},
    {"language != \"fr\" and language in (\"en\", \"fr\")", "language == \"en\""},
    {"language in (\"en\", \"fr\", \"de\") and language in (\"fr\", \"de\", \"pt\")",
     "language in (\"de\", \"fr\")"},
    {"site != \"porto\" and site != \"lisbon\" and site != \"porto\"",
     "site not in (\"lisbon\", \"porto\")"},
    {"site not in (\"a\") and site not in (\"b\", \"a\")", "site not in (\"a\", \"b\")"},
    {"vip >= 8 and site != \"lisbon\" and not trainee",
     "site != \"lisbon\" and not trainee and vip >= 8"},
    {"cards >= 5 and language in (\"en\", \"fr\")", "cards >= 5 and language in (\"en\", \"fr\")"},
    {"language in (\"en\", \"fr\") and cards >= 5", "cards >= 5 and language in (\"en\", \"fr\")"},
    /* a skill and an attribute may share a name; the skill comes first */
    {"tier == \"gold\" and tier >= 2", "tier >= 2 and tier == \"gold\""},
    {"x == \"\"", "x == \"\""},
    {"city == \"Z\xc3\xbcrich\"", "city == \"Z\xc3\xbcrich\""},
    {"note == \"say \\\"hi\\\" \\\\ bye\"", "note == \"say \\\"hi\\\" \\\\ bye\""},
    {"b in (\"and\", \"not in\", \"x and y\")", "b in (\"and\", \"not in\", \"x and y\")"},
    /* byte order of values: uppercase before lowercase */
    {"k in (\"b\", \"B\", \"a\")", "k in (\"B\", \"a\", \"b\")"},
    {"\tcards>=5\nand\r\nlanguage==\"en\"  ", "cards >= 5 and language == \"en\""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    expect_canon(cases[i][0], cases[i][1]);

  /* escapes are decoded into the interned value */
  cc_req *r;
  ck_assert_int_eq(compile_s("note == \"say \\\"hi\\\" \\\\ bye\"", &r, NULL), 0);
  size_t n;
  const cc_req_term *t = cc_req_terms(r, &n);
  ck_assert_uint_eq(n, 1);
  ck_assert_int_eq(t[0].kind, CC_REQ_ATTR_IN);
  ck_assert_uint_eq(t[0].n_values, 1);
  ck_assert_str_eq(t[0].values[0], "say \"hi\" \\ bye");
  ck_assert_ptr_eq(t[0].values[0], I("say \"hi\" \\ bye"));
  ck_assert_ptr_eq(t[0].name, I("note"));
  cc_req_free(&A, r);
}
END_TEST

START_TEST(terms_hash_equal_and_format)
{
  cc_req *a, *b, *c, *e;
  ck_assert_int_eq(compile_s("loans and cards >= 5 and not trainee", &a, NULL), 0);
  ck_assert_int_eq(compile_s("not trainee and cards > 4 and loans >= 1", &b, NULL), 0);
  ck_assert_int_eq(compile_s("loans and cards >= 6", &c, NULL), 0);
  ck_assert_int_eq(compile_s("", &e, NULL), 0);
  ck_assert(cc_req_equal(a, b));
  ck_assert_uint_eq(cc_req_hash(a), cc_req_hash(b));
  ck_assert(!cc_req_equal(a, c));
  ck_assert(cc_req_hash(a) != cc_req_hash(c));
  ck_assert(cc_req_is_empty(e));
  ck_assert(cc_req_is_empty(NULL));
  ck_assert(!cc_req_is_empty(a));
  ck_assert(cc_req_equal(e, NULL));
  ck_assert_uint_eq(cc_req_hash(e), cc_req_hash(NULL));
  ck_assert_uint_gt(cc_req_memory(a), 0);

  size_t n;
  const cc_req_term *t = cc_req_terms(a, &n);
  ck_assert_uint_eq(n, 3);
  ck_assert_str_eq(t[0].name, "cards");
  ck_assert_int_eq(t[0].kind, CC_REQ_SKILL);
  ck_assert_uint_eq(t[0].levels, 0x7E0); /* 5..10 */
  ck_assert_str_eq(t[1].name, "loans");
  ck_assert_uint_eq(t[1].levels, 0x7FE);
  ck_assert_str_eq(t[2].name, "trainee");
  ck_assert_uint_eq(t[2].levels, 0x001);
  cc_req_terms(e, &n);
  ck_assert_uint_eq(n, 0);

  /* snprintf-style format */
  char buf[8];
  memset(buf, 'x', sizeof buf);
  size_t full = strlen("cards >= 5 and loans and not trainee");
  ck_assert_uint_eq(cc_req_format(a, buf, 6), full);
  ck_assert_str_eq(buf, "cards");
  ck_assert_uint_eq(cc_req_format(a, NULL, 0), full);
  ck_assert_uint_eq(cc_req_format(a, buf, 1), full);
  ck_assert_str_eq(buf, "");
  ck_assert_uint_eq(cc_req_format(e, buf, sizeof buf), 0);
  ck_assert_str_eq(buf, "");
  ck_assert_str_eq(cc_req_text(NULL), "");
  cc_req_free(&A, a);
  cc_req_free(&A, b);
  cc_req_free(&A, c);
  cc_req_free(&A, e);
  cc_req_free(&A, NULL);
}
END_TEST

/* ------------------------------------------------------------------------------------ */
/* Errors                                                                               */

START_TEST(syntax_errors_with_offsets)
{
  const int S = CCENTER_ESYNTAX;
  expect_err("cards >=", S, 8, "1:9: expected a level 1..10 after '>='");
  expect_err("cards >= \"5\"", S, 9, "1:10: expected a level 1..10 after '>='");
  expect_err("cards < x", S, 8, "1:9: expected a level 1..10 after '<'");
  expect_err("language == en", S, 12, "1:13: expected a string after '=='");
  expect_err("language == (", S, 12, "1:13: expected a level or a string after '=='");
  expect_err("language ==", S, 11, "1:12: expected a level or a string after '=='");
  expect_err("cards >= 0", S, 9, "1:10: level must be 1..10");
  expect_err("cards >= 11", S, 9, "1:10: level must be 1..10");
  expect_err("cards == 99999999999999999999", S, 9, "1:10: level must be 1..10");
  expect_err("cards <= 0", S, 9, "1:10: level must be 1..10");
  expect_err("cards > 10", S, 8, "1:9: level must be 1..9 after '>'");
  expect_err("cards > 0", S, 8, "1:9: level must be 1..9 after '>'");
  expect_err("cards < 1", S, 8, "1:9: level must be 2..10 after '<'");
  expect_err("cards < 11", S, 8, "1:9: level must be 2..10 after '<'");
  expect_err("cards >= 5x", S, 9, "1:10: level must be a whole number 1..10");
  expect_err("cards >= 5.5", S, 9, "1:10: level must be a whole number 1..10");
  expect_err("cards >= -1", S, 9, "1:10: unexpected character '-'");
  expect_err("language != 5", S, 12, "1:13: expected a string after '!='");
  expect_err("language in \"en\"", S, 12, "1:13: expected '(' after 'in'");
  expect_err("language in ()", S, 13, "1:14: empty set: expected a string");
  expect_err("language in (en)", S, 13, "1:14: expected a string");
  expect_err("language in (\"en\",)", S, 18, "1:19: expected a string after ','");
  expect_err("language in (\"en\" \"fr\")", S, 18, "1:19: expected ',' or ')'");
  expect_err("language in (\"en\"", S, 17, "1:18: expected ',' or ')'");
  expect_err("language not (\"en\")", S, 13, "1:14: expected 'in' after 'not'");
  expect_err("language == \"en", S, 12, "1:13: unterminated string");
  expect_err("language == \"en\\", S, 12, "1:13: unterminated string");
  expect_err("x == \"a\\nb\"", S, 7, "1:8: invalid escape in a string (only \\\" and \\\\)");
  expect_err("x == \"a\tb\"", S, 7, "1:8: control character in a string");
  expect_err("x == \"a\x7f\"", S, 7, "1:8: control character in a string");
  expect_err("cards or loans", S, 6, "1:7: 'or' is not supported: join terms with 'and'");
  expect_err("cards OR loans", S, 6, "1:7: 'or' is not supported: join terms with 'and'");
  expect_err("cards loans", S, 6, "1:7: expected 'and' or the end of the text");
  expect_err("cards >= 5 6", S, 11, "1:12: expected 'and' or the end of the text");
  expect_err("cards and", S, 9, "1:10: expected a name after 'and'");
  expect_err("cards and >= 5", S, 10, "1:11: expected a name after 'and'");
  expect_err("not", S, 3, "1:4: expected a name after 'not'");
  expect_err("not 5", S, 4, "1:5: expected a name after 'not'");
  expect_err("and cards", S, 0, "1:1: 'and' is a reserved word, not a name");
  expect_err("cards and in", S, 10, "1:11: 'in' is a reserved word, not a name");
  expect_err("not NOT cards", S, 4, "1:5: 'not' is a reserved word, not a name");
  expect_err(">= 5", S, 0, "1:1: expected a name");
  expect_err("5", S, 0, "1:1: expected a name");
  expect_err("_cards", S, 0, "1:1: unexpected character '_'");
  expect_err("\"x\"", S, 0, "1:1: expected a name");
  expect_err("cards = 5", S, 6, "1:7: unexpected '=' (use '==')");
  expect_err("! cards", S, 0, "1:1: unexpected '!' (use '!=' or 'not')");
  expect_err("cards & loans", S, 6, "1:7: unexpected character '&'");
  expect_err("cards\x01", S, 5, "1:6: unexpected byte 0x01");
  expect_err("caf\xc3\xa9", S, 3, "1:4: unexpected byte 0xc3");
  expect_err("cards >= 5\nand language == en", S, 27, "2:17: expected a string after '=='");
  expect_err("a\n\nb", S, 3, "3:1: expected 'and' or the end of the text");
  /* never matches: the term that empties the set is reported */
  expect_err("cards >= 7 and cards < 5", S, 15, "1:16: never matches: conflicting terms on 'cards'");
  expect_err("not cards and cards", S, 14, "1:15: never matches: conflicting terms on 'cards'");
  expect_err("cards == 3 and not cards <= 4", S, 15,
             "1:16: never matches: conflicting terms on 'cards'");
  expect_err("site == \"a\" and x and site == \"b\"", S, 22,
             "1:23: never matches: conflicting terms on 'site'");
  expect_err("site in (\"a\", \"b\") and site not in (\"b\", \"a\")", S, 23,
             "1:24: never matches: conflicting terms on 'site'");
  expect_err("site != \"a\" and site == \"a\"", S, 16,
             "1:17: never matches: conflicting terms on 'site'");
  expect_err("site != \"a\" and site in (\"a\")", S, 16,
             "1:17: never matches: conflicting terms on 'site'");

  cc_req_error e;
  cc_req *r;
  ck_assert_int_eq(compile_s("cards >= 7 and cards < 5", &r, &e), S);
  ck_assert_int_eq(e.unsat, 1);
  ck_assert_int_eq(compile_s("cards >= 7 and", &r, &e), S);
  ck_assert_int_eq(e.unsat, 0);
  ck_assert_int_eq(cc_req_compile(&A, NULL, tintern, &T, &r, &e), CCENTER_EINVAL);
  ck_assert_int_eq(cc_req_compile(&A, "x", tintern, &T, NULL, NULL), CCENTER_EINVAL);
  ck_assert_int_eq(cc_req_compile(&A, "x", NULL, &T, &r, NULL), CCENTER_EINVAL);
  /* an invalid text interns nothing */
  ck_assert_int_eq(compile_s("fresh-name >= 7 and fresh-name < 5", &r, NULL), S);
  ck_assert_ptr_null(cc_map_get(&T.m, "fresh-name"));
}
END_TEST

static void repeat(char *buf, const char *piece, int n, const char *sep)
{
  buf[0] = 0;
  for (int i = 0; i < n; i++) {
    if (i)
      strcat(buf, sep);
    strcat(buf, piece);
  }
}

START_TEST(limits)
{
  static char text[70000], exp[70000], msg[96];
  /* 32 terms: fine; the 33rd is refused where it starts */
  text[0] = 0;
  for (int i = 0; i < 33; i++)
    sprintf(text + strlen(text), "%ss%02d", i ? " and " : "", i);
  size_t at33 = strlen(text) - 3;
  snprintf(msg, sizeof msg, "1:%zu: more than 32 terms", at33 + 1);
  expect_err(text, CCENTER_ERANGE, at33, msg);
  text[at33 - 5] = 0;
  ck_assert_str_eq(canon_of(text), text);
  /* repeated terms count as written */
  repeat(text, "cards", 33, " and ");
  expect_err(text, CCENTER_ERANGE, 32 * 10, "1:321: more than 32 terms");
  repeat(text, "cards", 32, " and ");
  expect_canon(text, "cards");

  /* names: 64 bytes, not 65 */
  char name[80];
  memset(name, 'n', 65);
  name[65] = 0;
  expect_err(name, CCENTER_ERANGE, 0, "1:1: name longer than 64 bytes");
  snprintf(text, sizeof text, "x and %s == \"v\"", name);
  expect_err(text, CCENTER_ERANGE, 6, "1:7: name longer than 64 bytes");
  name[64] = 0;
  expect_canon(name, name);

  /* values: 255 bytes (after unescaping), not 256 */
  char val[600];
  memset(val, 'v', 255);
  val[255] = 0;
  snprintf(text, sizeof text, "k == \"%s\"", val);
  expect_canon(text, text);
  snprintf(text, sizeof text, "k == \"%s\\\\\"", val);
  expect_err(text, CCENTER_ERANGE, 5, "1:6: value longer than 255 bytes");
  val[0] = 0;
  for (int i = 0; i < 255; i++)
    strcat(val, "\\\"");
  snprintf(text, sizeof text, "k == \"%s\"", val);
  expect_canon(text, text);

  /* sets: 64 values, not 65 */
  strcpy(text, "k in (");
  for (int i = 0; i < 64; i++)
    sprintf(text + strlen(text), "%s\"v%02d\"", i ? ", " : "", i);
  strcpy(exp, text);
  strcat(exp, ")");
  size_t at65 = strlen(text) + 2;
  strcat(text, ", \"v64\")");
  snprintf(msg, sizeof msg, "1:%zu: more than 64 values in a set", at65 + 1);
  expect_err(text, CCENTER_ERANGE, at65, msg);
  expect_canon(exp, exp);

  /* excluded values of one key, after combining: 64 at most */
  strcpy(text, "k not in ");
  strcat(text, exp + 5);
  strcpy(exp, text);
  strcat(text, " and k != \"v07\"");
  expect_canon(text, exp);
  size_t at_zz = strlen(text) + 5;
  strcat(text, " and k != \"zz\"");
  snprintf(msg, sizeof msg, "1:%zu: more than 64 values excluded for 'k'", at_zz + 1);
  expect_err(text, CCENTER_ERANGE, at_zz, msg);
  /* long texts (blanks are free) */
  memset(text, ' ', 60000);
  strcpy(text + 60000, "cards >= 5");
  expect_canon(text, "cards >= 5");
  strcpy(text + 60000, "cards >= 5 and");
  expect_err(text, CCENTER_ESYNTAX, 60014, "1:60015: expected a name after 'and'");
  strcpy(text, "k not in ");
  strcat(text, exp + 9);
  strcat(text, " and k != \"zz\"");
  /* ... but an "in" set absorbs any number of exclusions */
  strcat(text, " and k in (\"v03\", \"zy\")");
  expect_canon(text, "k == \"zy\"");
}
END_TEST

START_TEST(out_of_memory_changes_nothing)
{
  const char *text = "cards >= 5 and language in (\"en\", \"fr\") and not trainee and site != \"x\"";
  /* the intern callback failing at every possible point */
  for (long k = 0;; k++) {
    T.fail_at = T.calls + k;
    cc_req *r = NULL;
    cc_req_error e;
    int rc = compile_s(text, &r, &e);
    if (rc == 0) {
      ck_assert_int_ge(k, 7);
      T.fail_at = -1;
      ck_assert_str_eq(cc_req_text(r), canon_of(text));
      cc_req_free(&A, r);
      break;
    }
    ck_assert_int_eq(rc, CCENTER_ENOMEM);
    ck_assert_ptr_null(r);
    ck_assert_str_eq(e.msg, "out of memory");
  }
}
END_TEST

static long alloc_budget;
static void *budget_malloc(void *ud, size_t n)
{
  (void)ud;
  if (alloc_budget == 0)
    return NULL;
  alloc_budget--;
  return malloc(n);
}

START_TEST(allocation_failure_changes_nothing)
{
  cc_alloc fa = A;
  fa.malloc_fn = budget_malloc;
  for (long k = 0;; k++) {
    alloc_budget = k;
    cc_req *r = NULL;
    int rc = cc_req_compile(&fa, "vip >= 8 and language == \"pt\"", tintern, &T, &r, NULL);
    if (!rc) {
      ck_assert_int_eq(k, 2);
      ck_assert_str_eq(cc_req_text(r), "language == \"pt\" and vip >= 8");
      cc_req_free(&fa, r);
      break;
    }
    ck_assert_int_eq(rc, CCENTER_ENOMEM);
    ck_assert_ptr_null(r);
  }
}
END_TEST

/* ------------------------------------------------------------------------------------ */
/* Matching                                                                             */

START_TEST(skill_truth_table)
{
  /* requirement on "cards" -> levels accepted, bit L (0 = no skill) */
  static const struct {
    const char *req;
    unsigned levels;
  } cases[] = {
    {"cards", 0x7FE},           {"cards >= 5", 0x7E0},     {"cards > 5", 0x7C0},
    {"cards == 5", 0x020},      {"cards <= 5", 0x03E},     {"cards < 5", 0x01E},
    {"cards >= 1", 0x7FE},      {"cards >= 10", 0x400},    {"cards <= 1", 0x002},
    {"not cards", 0x001},       {"not cards >= 5", 0x01F}, {"not cards == 5", 0x7DF},
    {"not cards <= 5", 0x7C1},  {"not cards < 5", 0x7E1},  {"not cards > 5", 0x03F},
    {"cards >= 3 and cards <= 7 and not cards == 5", 0x0D8},
  };
  tagent ag;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cc_req *r;
    ck_assert_int_eq(compile_s(cases[i].req, &r, NULL), 0);
    for (int lv = 0; lv <= 10; lv++) {
      char sk[64];
      if (lv)
        snprintf(sk, sizeof sk, "aaa:3 cards:%d zzz:9", lv);
      else
        snprintf(sk, sizeof sk, "aaa:3 zzz:9");
      agent_of(&ag, sk, "cards=10");
      int want = (cases[i].levels >> lv) & 1;
      ck_assert_msg(cc_req_match(r, &ag.v) == want, "'%s' at level %d", cases[i].req, lv);
    }
    /* an agent with nothing at all */
    memset(&ag, 0, sizeof ag);
    ck_assert_int_eq(cc_req_match(r, &ag.v), (int)(cases[i].levels & 1));
    cc_req_free(&A, r);
  }
  /* several skills: every one must hold */
  ck_assert(matches("cards >= 5 and loans >= 3", "cards:5 loans:3", ""));
  ck_assert(!matches("cards >= 5 and loans >= 3", "cards:5 loans:2", ""));
  ck_assert(!matches("cards >= 5 and loans >= 3", "loans:9", ""));
  ck_assert(matches("cards >= 5 and not trainee", "cards:7 vip:1", ""));
  ck_assert(!matches("cards >= 5 and not trainee", "cards:7 trainee:1", ""));
  ck_assert(matches("", "", ""));
  ck_assert(matches("", "cards:1", "site=x"));
  ck_assert(cc_req_match(NULL, &ag.v));
  /* a level of 0 in the view is "no skill"; above 10 counts as 10 */
  ck_assert(matches("not cards", "cards:0", ""));
  ck_assert(matches("cards == 10", "cards:200", ""));
}
END_TEST

START_TEST(attribute_truth_table)
{
  static const struct {
    const char *req;
    int absent, en, fr, de; /* agent's language */
  } cases[] = {
    {"language == \"en\"", 0, 1, 0, 0},
    {"language != \"en\"", 1, 0, 1, 1},
    {"not language == \"en\"", 1, 0, 1, 1},
    {"language in (\"en\", \"fr\")", 0, 1, 1, 0},
    {"language not in (\"en\", \"fr\")", 1, 0, 0, 1},
    {"not language not in (\"en\", \"fr\")", 0, 1, 1, 0},
    {"language in (\"en\", \"fr\") and language != \"fr\"", 0, 1, 0, 0},
    {"language != \"en\" and language != \"de\"", 1, 0, 1, 0},
    /* a skill of the same name is another thing */
    {"language", 0, 0, 0, 0},
    {"not language", 1, 1, 1, 1},
  };
  static const char *const who[4] = {"", "language=en", "language=fr", "language=de"};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const int want[4] = {cases[i].absent, cases[i].en, cases[i].fr, cases[i].de};
    for (int w = 0; w < 4; w++) {
      char attrs[64];
      snprintf(attrs, sizeof attrs, "aaa=1 %s zzz=2", who[w]);
      ck_assert_msg(matches(cases[i].req, "cards:3", attrs) == want[w], "'%s' for '%s'",
                    cases[i].req, who[w]);
    }
  }
  /* big sets use the binary search */
  char text[2048] = "site in (";
  for (int i = 0; i < 40; i++)
    sprintf(text + strlen(text), "%s\"s%02d\"", i ? ", " : "", i);
  strcat(text, ")");
  for (int i = 0; i < 45; i++) {
    char attrs[32];
    snprintf(attrs, sizeof attrs, "site=s%02d", i);
    ck_assert_int_eq(matches(text, "", attrs), i < 40);
  }
  ck_assert(!matches(text, "", ""));
  char neg[2048] = "site not in ";
  strcat(neg, strchr(text, '('));
  strcpy(text, neg);
  for (int i = 0; i < 45; i++) {
    char attrs[32];
    snprintf(attrs, sizeof attrs, "site=s%02d", i);
    ck_assert_int_eq(matches(text, "", attrs), i >= 40);
  }
  ck_assert(matches(text, "", ""));
}
END_TEST

START_TEST(primary_skill_and_level)
{
  static const struct {
    const char *req, *primary;
    int level; /* of the agent below */
  } cases[] = {
    {"vip >= 8", "vip", 9},
    {"vip >= 8 and cards >= 5", "cards", 6}, /* canonical order: by name */
    {"not cards and vip", "vip", 9},
    {"not trainee and loans", "loans", 0},
    {"not cards >= 7 and vip", "vip", 9},    /* "not cards >= 7" does not demand cards */
    {"not trainee", NULL, 0},
    {"language == \"en\"", NULL, 0},
    {"", NULL, 0},
  };
  tagent ag;
  agent_of(&ag, "vip:9 cards:6 trainee:1", "language=en");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cc_req *r;
    ck_assert_int_eq(compile_s(cases[i].req, &r, NULL), 0);
    if (cases[i].primary)
      ck_assert_ptr_eq(cc_req_primary_skill(r), I(cases[i].primary));
    else
      ck_assert_ptr_null(cc_req_primary_skill(r));
    ck_assert_int_eq(cc_req_level(r, &ag.v), cases[i].level);
    cc_req_free(&A, r);
  }
  ck_assert_ptr_null(cc_req_primary_skill(NULL));
  ck_assert_int_eq(cc_req_level(NULL, &ag.v), 0);
}
END_TEST

/* ------------------------------------------------------------------------------------ */
/* Public builder                                                                       */

static char pub[4096];
static const char *pub_fmt(const ccenter_req *q)
{
  int n = ccenter_req_format(q, pub, sizeof pub);
  ck_assert_int_ge(n, 0);
  ck_assert_int_lt(n, (int)sizeof pub);
  return pub;
}

START_TEST(builder_meets_parser)
{
  ccenter_req *q;
  ck_assert_int_eq(ccenter_req_new(&q), 0);
  ck_assert_str_eq(pub_fmt(q), "");
  ck_assert_int_eq(ccenter_req_skill(q, "vip", 8), 0);
  ck_assert_int_eq(ccenter_req_attr_ne(q, "site", "lisbon"), 0);
  ck_assert_int_eq(ccenter_req_no_skill(q, "trainee"), 0);
  ck_assert_str_eq(pub_fmt(q), canon_of("vip >= 8 and site != \"lisbon\" and not trainee"));
  ccenter_req_free(q);

  ck_assert_int_eq(ccenter_req_new(&q), 0);
  const char *langs[] = {"fr", "en", "fr"};
  ck_assert_int_eq(ccenter_req_attr_in(q, "language", langs, 3), 0);
  ck_assert_int_eq(ccenter_req_skill_cmp(q, "cards", CCENTER_CMP_GT, 4), 0);
  ck_assert_int_eq(ccenter_req_skill(q, "cards", 3), 0);
  ck_assert_int_eq(ccenter_req_skill_cmp(q, "cards", CCENTER_CMP_LT, 9), 0);
  ck_assert_int_eq(ccenter_req_not_skill_cmp(q, "cards", CCENTER_CMP_EQ, 6), 0);
  const char *bad[] = {"x and y", "q\"\\"};
  ck_assert_int_eq(ccenter_req_attr_not_in(q, "note", bad, 2), 0);
  ck_assert_int_eq(ccenter_req_attr_eq(q, "tier", "gold"), 0);
  ck_assert_int_eq(ccenter_req_skill(q, "loans", 1), 0);
  ck_assert_int_eq(ccenter_req_skill_cmp(q, "a", CCENTER_CMP_EQ, 10), 0);
  ck_assert_int_eq(ccenter_req_skill_cmp(q, "b", CCENTER_CMP_LE, 3), 0);
  ck_assert_int_eq(ccenter_req_skill_cmp(q, "c", CCENTER_CMP_GE, 2), 0);
  ck_assert_int_eq(ccenter_req_not_skill_cmp(q, "d", CCENTER_CMP_GE, 5), 0);
  ck_assert_int_eq(ccenter_req_not_skill_cmp(q, "e", CCENTER_CMP_GT, 5), 0);
  ck_assert_int_eq(ccenter_req_not_skill_cmp(q, "f", CCENTER_CMP_LE, 5), 0);
  ck_assert_int_eq(ccenter_req_not_skill_cmp(q, "g", CCENTER_CMP_LT, 5), 0);
  const char *want =
      "a == 10 and b <= 3 and c >= 2 and cards >= 5 and cards <= 8 and not cards == 6 and "
      "not d >= 5 and not e >= 6 and not f <= 5 and not g <= 4 and language in (\"en\", \"fr\") "
      "and loans and note not in (\"q\\\"\\\\\", \"x and y\") and tier == \"gold\"";
  ck_assert_str_eq(pub_fmt(q), want);
  ck_assert_str_eq(canon_of(want), want);
  ck_assert_str_eq(canon_of("cards > 4 and cards >= 3 and cards < 9 and not cards == 6 and a == 10 "
                            "and b <= 3 and c >= 2 and not d >= 5 and not e > 5 and not f <= 5 "
                            "and not g < 5 and language in (\"fr\", \"en\") and loans and "
                            "note != \"x and y\" and note != \"q\\\"\\\\\" and tier == \"gold\""),
                   want);

  /* snprintf-style, and the argument checks */
  char small[4];
  ck_assert_int_eq(ccenter_req_format(q, small, sizeof small), (int)strlen(want));
  ck_assert_str_eq(small, "a =");
  ck_assert_int_eq(ccenter_req_format(q, NULL, 0), (int)strlen(want));
  ck_assert_int_eq(ccenter_req_format(q, NULL, 5), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_req_format(NULL, small, sizeof small), CCENTER_EINVAL);
  ccenter_req_free(q);
  ccenter_req_free(NULL);
}
END_TEST

START_TEST(builder_errors_change_nothing)
{
  ccenter_req *q;
  ck_assert_int_eq(ccenter_req_new(NULL), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_req_new(&q), 0);
  ck_assert_int_eq(ccenter_req_skill(q, "cards", 5), 0);
  ck_assert_int_eq(ccenter_req_attr_eq(q, "site", "lisbon"), 0);
  char before[256];
  snprintf(before, sizeof before, "%s", pub_fmt(q));

  const int E = CCENTER_EINVAL;
  ck_assert_int_eq(ccenter_req_skill(NULL, "cards", 5), E);
  ck_assert_int_eq(ccenter_req_skill(q, NULL, 5), E);
  static const char *const bad_names[] = {"", "1a", "a b", "a\"", "_a", "and", "NOT", "In",
                                          "a,b", "caf\xc3\xa9", "cards >= 5"};
  for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
    ck_assert_int_eq(ccenter_req_skill(q, bad_names[i], 1), E);
    ck_assert_int_eq(ccenter_req_no_skill(q, bad_names[i]), E);
    ck_assert_int_eq(ccenter_req_attr_eq(q, bad_names[i], "v"), E);
  }
  ck_assert_int_eq(ccenter_req_skill(q, "x", 0), E);
  ck_assert_int_eq(ccenter_req_skill(q, "x", 11), E);
  ck_assert_int_eq(ccenter_req_skill_cmp(q, "x", CCENTER_CMP_GT, 10), E);
  ck_assert_int_eq(ccenter_req_skill_cmp(q, "x", CCENTER_CMP_LT, 1), E);
  ck_assert_int_eq(ccenter_req_skill_cmp(q, "x", CCENTER_CMP_EQ, 0), E);
  ck_assert_int_eq(ccenter_req_skill_cmp(q, "x", (ccenter_cmp)0, 3), E);
  ck_assert_int_eq(ccenter_req_skill_cmp(q, "x", (ccenter_cmp)6, 3), E);
  ck_assert_int_eq(ccenter_req_not_skill_cmp(q, "x", CCENTER_CMP_LE, 11), E);
  ck_assert_int_eq(ccenter_req_attr_eq(q, "k", NULL), E);
  ck_assert_int_eq(ccenter_req_attr_ne(q, "k", "a\nb"), E);
  ck_assert_int_eq(ccenter_req_attr_in(q, "k", NULL, 1), E);
  const char *vals[65] = {"a", NULL};
  ck_assert_int_eq(ccenter_req_attr_in(q, "k", vals, 0), E);
  ck_assert_int_eq(ccenter_req_attr_in(q, "k", vals, 2), E);
  /* limits */
  char longname[70];
  memset(longname, 'n', 65);
  longname[65] = 0;
  ck_assert_int_eq(ccenter_req_skill(q, longname, 1), CCENTER_ERANGE);
  char longval[300];
  memset(longval, 'v', 256);
  longval[256] = 0;
  ck_assert_int_eq(ccenter_req_attr_eq(q, "k", longval), CCENTER_ERANGE);
  for (int i = 0; i < 65; i++)
    vals[i] = "v";
  ck_assert_int_eq(ccenter_req_attr_in(q, "k", vals, 65), CCENTER_ERANGE);
  /* impossible combinations */
  ck_assert_int_eq(ccenter_req_skill_cmp(q, "cards", CCENTER_CMP_LT, 5), CCENTER_ENOSOLUTION);
  ck_assert_int_eq(ccenter_req_no_skill(q, "cards"), CCENTER_ENOSOLUTION);
  ck_assert_int_eq(ccenter_req_attr_eq(q, "site", "porto"), CCENTER_ENOSOLUTION);
  ck_assert_int_eq(ccenter_req_attr_ne(q, "site", "lisbon"), CCENTER_ENOSOLUTION);
  ck_assert_str_eq(pub_fmt(q), before);
  ck_assert_int_eq(ccenter_req_attr_ne(q, "site", "porto"), 0); /* absorbed by == "lisbon" */
  ck_assert_str_eq(pub_fmt(q), before);
  ccenter_req_free(q);

  /* term limit: on the canonical form, so a term that merges still fits */
  ck_assert_int_eq(ccenter_req_new(&q), 0);
  for (int i = 0; i < 32; i++) {
    char nm[8];
    snprintf(nm, sizeof nm, "s%02d", i);
    ck_assert_int_eq(ccenter_req_skill(q, nm, 2), 0);
  }
  snprintf(before, sizeof before, "%s", pub_fmt(q));
  ck_assert_int_eq(ccenter_req_skill(q, "s32", 1), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_req_skill(q, "s05", 3), 0);
  ck_assert_ptr_nonnull(strstr(pub_fmt(q), "s05 >= 3"));
  ck_assert_int_eq(ccenter_req_skill(q, "s05", 2), 0);
  ccenter_req_free(q);

  /* excluded values per key: 64 at most after combining */
  ck_assert_int_eq(ccenter_req_new(&q), 0);
  static char names[70][8];
  for (int i = 0; i < 64; i++) {
    snprintf(names[i], sizeof names[i], "v%02d", i);
    vals[i] = names[i];
  }
  ck_assert_int_eq(ccenter_req_attr_not_in(q, "k", vals, 64), 0);
  ck_assert_int_eq(ccenter_req_attr_ne(q, "k", "v07"), 0);
  ck_assert_int_eq(ccenter_req_attr_ne(q, "k", "zz"), CCENTER_ERANGE);
  ck_assert_int_eq(ccenter_req_attr_eq(q, "k", "zz"), 0);
  ck_assert_str_eq(pub_fmt(q), "k == \"zz\"");
  ccenter_req_free(q);
}
END_TEST

START_TEST(public_parse)
{
  ccenter_req *q = (ccenter_req *)&q, *keep = q;
  size_t off = 99;
  char msg[96];
  ck_assert_int_eq(ccenter_req_parse("language == en", &q, &off, msg, sizeof msg), CCENTER_ESYNTAX);
  ck_assert_ptr_eq(q, keep);
  ck_assert_uint_eq(off, 12);
  ck_assert_str_eq(msg, "1:13: expected a string after '=='");
  char tiny[8];
  ck_assert_int_eq(ccenter_req_parse("cards >= 7 and cards < 5", &q, NULL, tiny, sizeof tiny),
                   CCENTER_ESYNTAX);
  ck_assert_str_eq(tiny, "1:16: n");
  ck_assert_int_eq(ccenter_req_parse("cards >= 7 and cards < 5", &q, NULL, NULL, 0),
                   CCENTER_ESYNTAX);
  ck_assert_int_eq(ccenter_req_parse("s and s and s and s and s and s and s and s and s and s "
                                     "and s and s and s and s and s and s and s and s and s and s "
                                     "and s and s and s and s and s and s and s and s and s and s "
                                     "and s and s and s",
                                     &q, &off, msg, sizeof msg),
                   CCENTER_ERANGE);
  ck_assert_str_eq(msg, "1:193: more than 32 terms");
  ck_assert_uint_eq(off, 192);
  ck_assert_int_eq(ccenter_req_parse(NULL, &q, &off, msg, sizeof msg), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_req_parse("x", NULL, &off, msg, sizeof msg), CCENTER_EINVAL);
  ck_assert_ptr_eq(q, keep);

  ck_assert_int_eq(ccenter_req_parse("LANGUAGE in (\"en\") and cards>4", &q, &off, msg, sizeof msg), 0);
  ck_assert_str_eq(pub_fmt(q), "LANGUAGE == \"en\" and cards >= 5");
  /* a parsed requirement keeps building */
  ck_assert_int_eq(ccenter_req_skill(q, "cards", 7), 0);
  ck_assert_str_eq(pub_fmt(q), "LANGUAGE == \"en\" and cards >= 7");
  ccenter_req_free(q);
  ck_assert_int_eq(ccenter_req_parse("  ", &q, NULL, NULL, 0), 0);
  ck_assert_str_eq(pub_fmt(q), "");
  ccenter_req_free(q);
}
END_TEST

/* ------------------------------------------------------------------------------------ */
/* Property tests: random requirements and agents against a reference evaluator         */

static uint64_t rng_state;
static uint64_t rnd(void)
{
  uint64_t x = rng_state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rng_state = x;
  return x * 0x2545F4914F6CDD1Dull;
}
static int rn(int n)
{
  return (int)(rnd() % (uint64_t)n);
}

typedef struct vocab {
  const char *const *skills;
  int n_skills;
  const char *const *keys;
  int n_keys;
  const char *const *values; /* a requirement uses these; agents also OTHER */
  int n_values;
} vocab;

#define MAX_V 8
static const char OTHER[] = "other value";

enum { K_BARE, K_CMP, K_EQ, K_NE, K_IN, K_NOT_IN };
enum { OP_GE, OP_GT, OP_EQ, OP_LE, OP_LT };
static const char *const OPS[] = {">=", ">", "==", "<=", "<"};

typedef struct tterm {
  int neg, kind, name, op, level, nv;
  int vals[MAX_V]; /* indexes into vocab values */
} tterm;

typedef struct tag {
  int lv[MAX_V];  /* per vocab skill: 0 = none */
  int av[MAX_V];  /* per vocab key: -1 none, n_values = OTHER, else a value index */
  tagent view;
} tag;

static int ref_term(const vocab *vb, const tterm *t, const tag *ag)
{
  int r;
  if (t->kind == K_BARE || t->kind == K_CMP) {
    int l = ag->lv[t->name];
    if (t->kind == K_BARE || !l)
      r = l >= 1;
    else
      switch (t->op) {
      case OP_GE: r = l >= t->level; break;
      case OP_GT: r = l > t->level; break;
      case OP_EQ: r = l == t->level; break;
      case OP_LE: r = l <= t->level; break;
      default: r = l < t->level; break;
      }
  } else {
    int a = ag->av[t->name], in = 0;
    for (int i = 0; i < t->nv && a >= 0; i++)
      in |= a < vb->n_values && strcmp(vb->values[a], vb->values[t->vals[i]]) == 0;
    r = (t->kind == K_EQ || t->kind == K_IN) ? in : !in;
  }
  return t->neg ? !r : r;
}

static int ref_eval(const vocab *vb, const tterm *t, int n, const tag *ag)
{
  for (int i = 0; i < n; i++)
    if (!ref_term(vb, &t[i], ag))
      return 0;
  return 1;
}

static void gen_term(const vocab *vb, tterm *t)
{
  memset(t, 0, sizeof *t);
  t->neg = rn(3) == 0;
  if (rn(2)) {
    t->name = rn(vb->n_skills);
    t->kind = rn(3) ? K_CMP : K_BARE;
    t->op = rn(5);
    t->level = t->op == OP_GT ? 1 + rn(9) : t->op == OP_LT ? 2 + rn(9) : 1 + rn(10);
    return;
  }
  t->name = rn(vb->n_keys);
  t->kind = K_EQ + rn(4);
  t->nv = (t->kind == K_EQ || t->kind == K_NE) ? 1 : 1 + rn(4);
  for (int i = 0; i < t->nv; i++)
    t->vals[i] = rn(vb->n_values);
}

static void put_kw(char **w, const char *kw)
{
  for (; *kw; kw++)
    *(*w)++ = rn(2) ? *kw : (char)(*kw - 'a' + 'A');
}

static void put_ws(char **w, int may_be_empty)
{
  static const char ws[] = " \t\n\r";
  int n = may_be_empty ? rn(3) : 1 + rn(2);
  for (int i = 0; i < n; i++)
    *(*w)++ = rn(4) ? ' ' : ws[rn(4)];
}

static void put_s(char **w, const char *s)
{
  size_t n = strlen(s);
  memcpy(*w, s, n);
  *w += n;
}

static void put_q(char **w, const char *s)
{
  *(*w)++ = '"';
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      *(*w)++ = '\\';
    *(*w)++ = *s;
  }
  *(*w)++ = '"';
}

/* Writes the terms as text in a random but valid spelling. */
static void render(const vocab *vb, const tterm *t, int n, char *out)
{
  char *w = out;
  put_ws(&w, 1);
  for (int i = 0; i < n; i++) {
    if (i) {
      put_ws(&w, 0);
      put_kw(&w, "and");
      put_ws(&w, 0);
    }
    if (t[i].neg) {
      put_kw(&w, "not");
      put_ws(&w, 0);
    }
    if (t[i].kind == K_BARE || t[i].kind == K_CMP) {
      put_s(&w, vb->skills[t[i].name]);
      if (t[i].kind == K_CMP) {
        put_ws(&w, 1);
        put_s(&w, OPS[t[i].op]);
        put_ws(&w, 1);
        if (rn(8) == 0)
          *w++ = '0';
        w += sprintf(w, "%d", t[i].level);
      }
      continue;
    }
    put_s(&w, vb->keys[t[i].name]);
    int k = t[i].kind;
    if ((k == K_EQ || k == K_NE) && rn(3)) {
      put_ws(&w, 1);
      put_s(&w, k == K_EQ ? "==" : "!=");
      put_ws(&w, 1);
      put_q(&w, vb->values[t[i].vals[0]]);
      continue;
    }
    put_ws(&w, 0);
    if (k == K_NE || k == K_NOT_IN) {
      put_kw(&w, "not");
      put_ws(&w, 0);
    }
    put_kw(&w, "in");
    put_ws(&w, 1);
    *w++ = '(';
    for (int j = 0; j < t[i].nv; j++) {
      put_ws(&w, 1);
      if (j) {
        *w++ = ',';
        put_ws(&w, 1);
      }
      put_q(&w, vb->values[t[i].vals[j]]);
    }
    put_ws(&w, 1);
    *w++ = ')';
  }
  put_ws(&w, 1);
  *w = 0;
}

static int find_name(const char *const *names, int n, const char *s, size_t len)
{
  for (int i = 0; i < n; i++)
    if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
      return i;
  return -1;
}

/* Reads one quoted string of the canonical text; its vocab index or -1. */
static int canon_string(const vocab *vb, const char **s)
{
  char buf[300];
  size_t n = 0;
  if (**s != '"')
    return -1;
  for ((*s)++; **s != '"'; (*s)++) {
    if (!**s || n >= sizeof buf - 1)
      return -1;
    if (**s == '\\')
      (*s)++;
    buf[n++] = **s;
  }
  (*s)++;
  return find_name(vb->values, vb->n_values, buf, n);
}

/*
 * A strict reader of the canonical text, independent of the library's parser: exactly
 * one space around operators, " and " between terms, ", " between values. 0 if the text
 * is not in that form.
 */
static int canon_parse(const vocab *vb, const char *s, tterm *out, int *n)
{
  *n = 0;
  while (*s) {
    tterm *t = &out[(*n)++];
    memset(t, 0, sizeof *t);
    if (strncmp(s, "not ", 4) == 0) {
      t->neg = 1;
      s += 4;
    }
    const char *nm = s;
    while (*s && *s != ' ')
      s++;
    size_t nl = (size_t)(s - nm);
    if (!*s || strncmp(s, " and ", 5) == 0) {
      t->kind = K_BARE;
      t->name = find_name(vb->skills, vb->n_skills, nm, nl);
    } else if (s[1] == '!' || (s[1] == '=' && s[4] == '"')) {
      t->kind = s[1] == '!' ? K_NE : K_EQ;
      t->name = find_name(vb->keys, vb->n_keys, nm, nl);
      s += 4;
      t->nv = 1;
      if ((t->vals[0] = canon_string(vb, &s)) < 0 || t->neg)
        return 0;
    } else if (strncmp(s, " in (", 5) == 0 || strncmp(s, " not in (", 9) == 0) {
      t->kind = s[1] == 'n' ? K_NOT_IN : K_IN;
      t->name = find_name(vb->keys, vb->n_keys, nm, nl);
      s += t->kind == K_IN ? 5 : 9;
      for (;;) {
        if (t->nv == MAX_V || (t->vals[t->nv++] = canon_string(vb, &s)) < 0)
          return 0;
        if (*s == ')')
          break;
        if (strncmp(s, ", ", 2) != 0)
          return 0;
        s += 2;
      }
      s++;
      if (t->nv < 2 || t->neg)
        return 0;
    } else {
      t->kind = K_CMP;
      t->name = find_name(vb->skills, vb->n_skills, nm, nl);
      s++;
      t->op = -1;
      for (int o = 0; o < 5; o++)
        if (strncmp(s, OPS[o], strlen(OPS[o])) == 0 && s[strlen(OPS[o])] == ' ')
          t->op = o;
      if (t->op < 0 || t->op == OP_GT || t->op == OP_LT)
        return 0;
      s += strlen(OPS[t->op]) + 1;
      t->level = atoi(s);
      if (t->level < 1 || t->level > 10 || *s == '0')
        return 0;
      while (*s >= '0' && *s <= '9')
        s++;
    }
    if (t->name < 0)
      return 0;
    if (*s) {
      if (strncmp(s, " and ", 5) != 0)
        return 0;
      s += 5;
    }
  }
  return 1;
}

static void gen_agent(const vocab *vb, tag *ag)
{
  memset(ag, 0, sizeof *ag);
  for (int i = 0; i < vb->n_skills; i++) {
    ag->lv[i] = rn(3) ? rn(11) : 0;
    if (ag->lv[i])
      ag->view.sk[ag->view.v.n_skills++] = (cc_skill){I(vb->skills[i]), (uint8_t)ag->lv[i]};
  }
  for (int i = 0; i < vb->n_keys; i++) {
    ag->av[i] = rn(4) ? rn(vb->n_values + 1) : -1;
    if (ag->av[i] >= 0)
      ag->view.at[ag->view.v.n_attrs++] = (cc_attr_kv){
          I(vb->keys[i]), I(ag->av[i] == vb->n_values ? OTHER : vb->values[ag->av[i]])};
  }
  /* skills and attributes the requirements never mention */
  int extra = rn(2) ? rn(4) : rn(50); /* many skills: the matcher skips by halving */
  for (int i = 0; i < extra; i++) {
    char nm[16];
    snprintf(nm, sizeof nm, "other%d", i);
    ag->view.sk[ag->view.v.n_skills++] = (cc_skill){I(nm), (uint8_t)(1 + rn(10))};
    if (i < 20)
      ag->view.at[ag->view.v.n_attrs++] = (cc_attr_kv){I(nm), I("x")};
  }
  view_sort(&ag->view);
}

static const char *const P_SKILLS[] = {"cards", "loans", "vip", "fraud-emergency", "x.y_z", "Cards"};
static const char *const P_KEYS[] = {"language", "site", "vip"};
static const char *const P_VALUES[] = {"en", "fr", "de", "a\"b", "c\\d", "x and y", "", "Z\xc3\xbcrich"};

START_TEST(property_match_agrees_with_reference)
{
  const vocab vb = {P_SKILLS, 6, P_KEYS, 3, P_VALUES, 8};
  rng_state = 0x9E3779B97F4A7C15ull;
  enum { N_AGENTS = 64 };
  static tag agents[N_AGENTS];
  long checks = 0, compiled = 0, unsat = 0;
  static char text[8192], canon[8192], canon2[8192], rev[8192];
  for (int round = 0; round < 4000; round++) {
    if (round % 500 == 0)
      for (int i = 0; i < N_AGENTS; i++)
        gen_agent(&vb, &agents[i]);
    tterm src[12], back[40];
    int n = rn(9), nb;
    for (int i = 0; i < n; i++)
      gen_term(&vb, &src[i]);
    render(&vb, src, n, text);
    cc_req *r = NULL;
    cc_req_error e;
    int rc = compile_s(text, &r, &e);
    if (rc) {
      if (rc != CCENTER_ESYNTAX || !e.unsat)
        ck_abort_msg("'%s': %d %s", text, rc, e.msg);
      /* no generated agent may satisfy an unsatisfiable text */
      for (int a = 0; a < N_AGENTS; a++)
        if (ref_eval(&vb, src, n, &agents[a]))
          ck_abort_msg("'%s' said never matches, but agent %d does", text, a);
      unsat++;
      continue;
    }
    compiled++;
    cc_req_format(r, canon, sizeof canon);
    if (!canon_parse(&vb, canon, back, &nb))
      ck_abort_msg("'%s': canonical '%s' not in canonical form", text, canon);
    for (int a = 0; a < N_AGENTS; a++) {
      int m = cc_req_match(r, &agents[a].view.v);
      int want = ref_eval(&vb, src, n, &agents[a]);
      int back_says = ref_eval(&vb, back, nb, &agents[a]);
      if (m != want || back_says != want)
        ck_abort_msg("'%s' (canonical '%s'), agent %d: match %d, reference %d, canonical %d",
                     text, canon, a, m, want, back_says);
      checks++;
    }
    /* format(parse(format(r))) == format(r), equal and same hash */
    cc_req *r2 = NULL;
    if (compile_s(canon, &r2, &e))
      ck_abort_msg("canonical '%s' does not parse: %s", canon, e.msg);
    cc_req_format(r2, canon2, sizeof canon2);
    if (strcmp(canon, canon2) != 0 || !cc_req_equal(r, r2) || cc_req_hash(r) != cc_req_hash(r2))
      ck_abort_msg("'%s' -> '%s' -> '%s'", text, canon, canon2);
    cc_req_free(&A, r2);
    /* the order of the terms does not matter */
    for (int i = 0; i < n / 2; i++) {
      tterm x = src[i];
      src[i] = src[n - 1 - i];
      src[n - 1 - i] = x;
    }
    render(&vb, src, n, rev);
    if (compile_s(rev, &r2, &e))
      ck_abort_msg("reversed '%s' fails: %s", rev, e.msg);
    if (!cc_req_equal(r, r2))
      ck_abort_msg("'%s' and '%s' differ", text, rev);
    cc_req_free(&A, r2);
    cc_req_free(&A, r);
  }
  ck_assert_int_ge(checks, 100000);
  ck_assert_int_gt(unsat, 50);
  ck_assert_int_gt(compiled, 3000);
}
END_TEST

/* Over a small universe, enumerate every agent: two requirements accept the same agents
 * exactly when their canonical texts are equal, and "never matches" exactly when none. */
static const char *const U_SKILLS[] = {"a", "b"};
static const char *const U_KEYS[] = {"k"};
static const char *const U_VALUES[] = {"p", "q", "r"};
enum { U_AGENTS = 11 * 11 * 5, U_WORDS = (U_AGENTS + 63) / 64 };

typedef struct sig_entry {
  uint64_t sig[U_WORDS];
  char canon[160];
} sig_entry;

static int cmp_canon(const void *a, const void *b)
{
  return strcmp(((const sig_entry *)a)->canon, ((const sig_entry *)b)->canon);
}

static int cmp_sig(const void *a, const void *b)
{
  return memcmp(((const sig_entry *)a)->sig, ((const sig_entry *)b)->sig,
                sizeof(((const sig_entry *)a)->sig));
}

START_TEST(property_canonical_iff_same_agents)
{
  const vocab vb = {U_SKILLS, 2, U_KEYS, 1, U_VALUES, 3};
  static tag uni[U_AGENTS];
  int na = 0;
  for (int a = 0; a <= 10; a++)
    for (int b = 0; b <= 10; b++)
      for (int k = -1; k <= 3; k++) {
        tag *ag = &uni[na++];
        memset(ag, 0, sizeof *ag);
        ag->lv[0] = a;
        ag->lv[1] = b;
        ag->av[0] = k;
        if (a)
          ag->view.sk[ag->view.v.n_skills++] = (cc_skill){I("a"), (uint8_t)a};
        if (b)
          ag->view.sk[ag->view.v.n_skills++] = (cc_skill){I("b"), (uint8_t)b};
        if (k >= 0)
          ag->view.at[ag->view.v.n_attrs++] = (cc_attr_kv){I("k"), I(k == 3 ? OTHER : U_VALUES[k])};
        view_sort(&ag->view);
      }
  rng_state = 0xC0FFEE1234567ull;
  enum { N = 1500 };
  static sig_entry ent[N];
  int ne = 0;
  long checks = 0;
  char text[1024];
  for (int round = 0; round < N; round++) {
    tterm src[8];
    int n = 1 + rn(5);
    for (int i = 0; i < n; i++)
      gen_term(&vb, &src[i]);
    render(&vb, src, n, text);
    cc_req *r = NULL;
    cc_req_error e;
    int rc = compile_s(text, &r, &e);
    int any = 0;
    for (int a = 0; a < U_AGENTS; a++)
      any |= ref_eval(&vb, src, n, &uni[a]);
    if (rc) {
      if (rc != CCENTER_ESYNTAX || !e.unsat || any)
        ck_abort_msg("'%s': %d %s (satisfiable: %d)", text, rc, e.msg, any);
      continue;
    }
    if (!any)
      ck_abort_msg("'%s' accepted but no agent matches", text);
    sig_entry *s = &ent[ne++];
    memset(s, 0, sizeof *s);
    for (int a = 0; a < U_AGENTS; a++) {
      int m = cc_req_match(r, &uni[a].view.v);
      if (m != ref_eval(&vb, src, n, &uni[a]))
        ck_abort_msg("'%s' agent %d", text, a);
      if (m)
        s->sig[a / 64] |= 1ull << (a % 64);
      checks++;
    }
    cc_req_format(r, s->canon, sizeof s->canon);
    cc_req_free(&A, r);
  }
  qsort(ent, (size_t)ne, sizeof ent[0], cmp_canon);
  for (int i = 1; i < ne; i++)
    if (strcmp(ent[i - 1].canon, ent[i].canon) == 0 && cmp_sig(&ent[i - 1], &ent[i]) != 0)
      ck_abort_msg("'%s' accepts different agents", ent[i].canon);
  qsort(ent, (size_t)ne, sizeof ent[0], cmp_sig);
  int classes = 1;
  for (int i = 1; i < ne; i++) {
    if (cmp_sig(&ent[i - 1], &ent[i]) != 0) {
      classes++;
      continue;
    }
    if (strcmp(ent[i - 1].canon, ent[i].canon) != 0)
      ck_abort_msg("'%s' and '%s' accept the same agents", ent[i - 1].canon, ent[i].canon);
  }
  ck_assert_int_gt(ne, 1000);
  ck_assert_int_lt(classes, ne); /* some requirements did coincide */
  ck_assert_int_ge(checks, 100000);
}
END_TEST

/* Mutated texts: never a crash; an accepted text formats to a fixed point; an error
 * points inside the text and says where. */
START_TEST(property_mutations)
{
  const vocab vb = {P_SKILLS, 6, P_KEYS, 3, P_VALUES, 8};
  rng_state = 42;
  static const char pick[] = "\"\\(),=!<> a5\x01\xff\tnN";
  char text[4096], c1[4096], c2[4096];
  int ok = 0, bad = 0;
  for (int round = 0; round < 20000; round++) {
    tterm src[6];
    int n = 1 + rn(4);
    for (int i = 0; i < n; i++)
      gen_term(&vb, &src[i]);
    render(&vb, src, n, text);
    int muts = 1 + rn(3);
    for (int m = 0; m < muts; m++) {
      size_t len = strlen(text), at = (size_t)rn((int)len + 1);
      switch (rn(3)) {
      case 0:
        if (at < len)
          memmove(text + at, text + at + 1, len - at);
        break;
      case 1:
        memmove(text + at + 1, text + at, len - at + 1);
        text[at] = pick[rn((int)sizeof pick - 1)];
        break;
      default:
        text[at] = 0;
        break;
      }
    }
    cc_req *r = NULL;
    cc_req_error e;
    int rc = compile_s(text, &r, &e);
    if (rc) {
      unsigned line, col;
      if ((rc != CCENTER_ESYNTAX && rc != CCENTER_ERANGE) || e.offset > strlen(text) ||
          sscanf(e.msg, "%u:%u: ", &line, &col) != 2)
        ck_abort_msg("'%s': %d at %zu '%s'", text, rc, e.offset, e.msg);
      bad++;
      continue;
    }
    ok++;
    cc_req_format(r, c1, sizeof c1);
    cc_req_free(&A, r);
    if (compile_s(c1, &r, &e))
      ck_abort_msg("'%s' -> '%s' does not parse: %s", text, c1, e.msg);
    cc_req_format(r, c2, sizeof c2);
    cc_req_free(&A, r);
    if (strcmp(c1, c2) != 0)
      ck_abort_msg("'%s' -> '%s' -> '%s'", text, c1, c2);
  }
  ck_assert_int_gt(ok, 1000);
  ck_assert_int_gt(bad, 1000);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("req");
  TCase *tc = tcase_create("req");
  tcase_add_checked_fixture(tc, setup, teardown);
  /* Per test. Slowest under ASan+UBSan on a loaded 2-core machine: property_mutations,
   * 3.7 s; about 30x room. */
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, canonical_skill_forms);
  tcase_add_test(tc, canonical_attribute_forms);
  tcase_add_test(tc, terms_hash_equal_and_format);
  tcase_add_test(tc, syntax_errors_with_offsets);
  tcase_add_test(tc, limits);
  tcase_add_test(tc, out_of_memory_changes_nothing);
  tcase_add_test(tc, allocation_failure_changes_nothing);
  tcase_add_test(tc, skill_truth_table);
  tcase_add_test(tc, attribute_truth_table);
  tcase_add_test(tc, primary_skill_and_level);
  tcase_add_test(tc, builder_meets_parser);
  tcase_add_test(tc, builder_errors_change_nothing);
  tcase_add_test(tc, public_parse);
  tcase_add_test(tc, property_match_agrees_with_reference);
  tcase_add_test(tc, property_canonical_iff_same_agents);
  tcase_add_test(tc, property_mutations);
  suite_add_tcase(s, tc);
  return s;
}

CC_TEST_MAIN()
