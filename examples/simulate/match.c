/*
 * ccenter-sim — a plain evaluator of routing requirements (docs/routing-expressions.md).
 *
 * The simulator uses it to check the engine from the outside (--check-routing): after
 * every step of the run no contact may be waiting while an idle agent who qualifies for it
 * is READY, and every offer must go to an agent who qualifies. It is deliberately naive
 * (one pass over the written terms, string comparisons, no normal form), so that it shares
 * nothing with the engine's compiled matcher. Texts are checked with ccenter_req_parse()
 * before they get here; this parser only has to understand valid requirements.
 */
#include "sim.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { OP_NONE = 0, OP_GE, OP_GT, OP_EQ, OP_LE, OP_LT, OP_NE, OP_IN };

typedef struct term {
  char *name;
  int attr;     /* attribute term (else skill) */
  int neg;      /* a leading 'not', or 'not in' */
  int op;       /* OP_*; skills: OP_NONE = has the skill at all */
  int level;    /* skills */
  char **vals;  /* attributes: == / != take one value, in / not in a set */
  size_t n_vals;
} term;

struct sim_req {
  term *t;
  size_t n;
};

typedef struct lexer {
  const char *p;
} lexer;

static void skip_blanks(lexer *lx)
{
  while (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r' || *lx->p == '\n' ||
         *lx->p == '\f' || *lx->p == '\v')
    lx->p++;
}

static int name_char(char c)
{
  return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

/* Reads a name (or keyword) into a new string; NULL if there is none. */
static char *read_name(lexer *lx)
{
  skip_blanks(lx);
  if (!isalpha((unsigned char)*lx->p))
    return NULL;
  const char *s = lx->p;
  while (name_char(*lx->p))
    lx->p++;
  size_t n = (size_t)(lx->p - s);
  char *out = sim_xmalloc(n + 1);
  memcpy(out, s, n);
  out[n] = '\0';
  return out;
}

static int is_kw(const char *name, const char *kw)
{
  return strcasecmp(name, kw) == 0;
}

/* Reads a quoted string ("\"" and "\\" are the escapes). */
static char *read_string(lexer *lx)
{
  skip_blanks(lx);
  if (*lx->p != '"')
    return NULL;
  lx->p++;
  size_t cap = 16, n = 0;
  char *out = sim_xmalloc(cap);
  while (*lx->p && *lx->p != '"') {
    char c = *lx->p++;
    if (c == '\\' && (*lx->p == '"' || *lx->p == '\\'))
      c = *lx->p++;
    if (n + 1 >= cap)
      out = sim_xrealloc(out, cap *= 2);
    out[n++] = c;
  }
  if (*lx->p != '"') {
    free(out);
    return NULL;
  }
  lx->p++;
  out[n] = '\0';
  return out;
}

/* Peeks the next keyword without consuming it. */
static int next_is_kw(lexer *lx, const char *kw)
{
  lexer save = *lx;
  char *n = read_name(lx);
  int yes = n && is_kw(n, kw);
  free(n);
  if (!yes)
    *lx = save;
  return yes;
}

static void term_free(term *t)
{
  free(t->name);
  for (size_t i = 0; i < t->n_vals; i++)
    free(t->vals[i]);
  free(t->vals);
}

static void add_val(term *t, char *v)
{
  t->vals = sim_xrealloc(t->vals, (t->n_vals + 1) * sizeof *t->vals);
  t->vals[t->n_vals++] = v;
}

static int read_cmp(lexer *lx)
{
  skip_blanks(lx);
  const char *p = lx->p;
  int op = OP_NONE;
  size_t len = 0;
  if (p[0] == '>' && p[1] == '=')
    op = OP_GE, len = 2;
  else if (p[0] == '<' && p[1] == '=')
    op = OP_LE, len = 2;
  else if (p[0] == '=' && p[1] == '=')
    op = OP_EQ, len = 2;
  else if (p[0] == '!' && p[1] == '=')
    op = OP_NE, len = 2;
  else if (p[0] == '>')
    op = OP_GT, len = 1;
  else if (p[0] == '<')
    op = OP_LT, len = 1;
  lx->p += len;
  return op;
}

static int parse_term(lexer *lx, term *t)
{
  memset(t, 0, sizeof *t);
  char *name = read_name(lx);
  if (!name)
    return -1;
  if (is_kw(name, "not")) {
    t->neg = 1;
    free(name);
    name = read_name(lx);
    if (!name)
      return -1;
  }
  t->name = name;
  if (next_is_kw(lx, "not")) {
    if (!next_is_kw(lx, "in"))
      return -1;
    t->neg = !t->neg;
    t->attr = 1;
    t->op = OP_IN;
  } else if (next_is_kw(lx, "in")) {
    t->attr = 1;
    t->op = OP_IN;
  }
  if (t->op == OP_IN) {
    skip_blanks(lx);
    if (*lx->p != '(')
      return -1;
    lx->p++;
    for (;;) {
      char *v = read_string(lx);
      if (!v)
        return -1;
      add_val(t, v);
      skip_blanks(lx);
      if (*lx->p == ',') {
        lx->p++;
        continue;
      }
      if (*lx->p == ')') {
        lx->p++;
        return 0;
      }
      return -1;
    }
  }
  int op = read_cmp(lx);
  if (op == OP_NONE)
    return 0; /* "name": has the skill */
  skip_blanks(lx);
  if (*lx->p == '"') {
    if (op != OP_EQ && op != OP_NE)
      return -1;
    char *v = read_string(lx);
    if (!v)
      return -1;
    add_val(t, v);
    t->attr = 1;
    t->op = OP_EQ;
    if (op == OP_NE)
      t->neg = !t->neg;
    return 0;
  }
  if (op == OP_NE || !isdigit((unsigned char)*lx->p))
    return -1;
  long lvl = 0;
  while (isdigit((unsigned char)*lx->p)) {
    lvl = lvl * 10 + (*lx->p++ - '0');
    if (lvl > 100)
      return -1;
  }
  t->op = op;
  t->level = (int)lvl;
  return 0;
}

void sim_req_free(sim_req *r)
{
  if (!r)
    return;
  for (size_t i = 0; i < r->n; i++)
    term_free(&r->t[i]);
  free(r->t);
  free(r);
}

sim_req *sim_req_compile(const char *text)
{
  sim_req *r = sim_xcalloc(1, sizeof *r);
  lexer lx = {text};
  skip_blanks(&lx);
  if (!*lx.p)
    return r; /* empty: every agent */
  for (;;) {
    term t;
    int rc = parse_term(&lx, &t);
    if (rc == 0) {
      r->t = sim_xrealloc(r->t, (r->n + 1) * sizeof *r->t);
      r->t[r->n++] = t;
    } else {
      term_free(&t);
      sim_req_free(r);
      return NULL;
    }
    skip_blanks(&lx);
    if (!*lx.p)
      return r;
    if (!next_is_kw(&lx, "and")) {
      sim_req_free(r);
      return NULL;
    }
  }
}

static int term_holds(const term *t, const sc_skill *skills, size_t n_skills,
                      const sc_attr *attrs, size_t n_attrs)
{
  int holds = 0;
  if (!t->attr) {
    int lvl = 0;
    for (size_t i = 0; i < n_skills; i++)
      if (strcmp(skills[i].name, t->name) == 0)
        lvl = skills[i].level;
    if (lvl > 0) {
      switch (t->op) {
      case OP_NONE: holds = 1; break;
      case OP_GE: holds = lvl >= t->level; break;
      case OP_GT: holds = lvl > t->level; break;
      case OP_EQ: holds = lvl == t->level; break;
      case OP_LE: holds = lvl <= t->level; break;
      case OP_LT: holds = lvl < t->level; break;
      default: holds = 0; break;
      }
    }
  } else {
    const char *v = NULL;
    for (size_t i = 0; i < n_attrs; i++)
      if (strcmp(attrs[i].key, t->name) == 0)
        v = attrs[i].value;
    if (v)
      for (size_t i = 0; i < t->n_vals && !holds; i++)
        holds = strcmp(v, t->vals[i]) == 0;
  }
  return t->neg ? !holds : holds;
}

int sim_req_match(const sim_req *r, const sc_skill *skills, size_t n_skills,
                  const sc_attr *attrs, size_t n_attrs)
{
  for (size_t i = 0; i < r->n; i++)
    if (!term_holds(&r->t[i], skills, n_skills, attrs, n_attrs))
      return 0;
  return 1;
}
