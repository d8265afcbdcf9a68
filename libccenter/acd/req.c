/*
 * Routing requirements: the parser, the normaliser, the canonical text and the matcher
 * (acd/req.h), and the public builder of ccenter/routing.h on top of them.
 *
 * Compiling goes in four steps, all but the last on one scratch block:
 *  1. parse the text into raw terms (names and unescaped values copied into scratch);
 *  2. fold the terms per skill (a set of accepted levels, bits 0..10) and per attribute
 *     key (one "in" or "not in" set), refusing combinations that never match;
 *  3. sort the groups canonically and measure, then write, the canonical text;
 *  4. allocate the requirement as one block, intern every name and value, and build the
 *     matching arrays sorted by pointer.
 */
#include "acd/req.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccenter/routing.h"
#include "core/map.h"
#include "core/util.h"

#define LEVELS_ALL 0x7FFu     /* levels 0..10: 0 = the agent lacks the skill */
#define LEVELS_PRESENT 0x7FEu /* levels 1..10 */

/* A skill constraint as matching reads it. */
typedef struct skill_m {
  const char *name;
  uint16_t levels;
} skill_m;

/* An attribute constraint as matching reads it: values sorted by pointer. */
typedef struct attr_m {
  const char *key;
  const char *const *values;
  uint16_t n;
  uint8_t neg; /* 1 = NOT_IN */
} attr_m;

struct cc_req {
  size_t size; /* bytes of this block */
  const cc_req_term *terms; /* canonical order */
  size_t n_terms;
  const skill_m *skills; /* sorted by name pointer */
  size_t n_skills;
  const attr_m *attrs; /* sorted by key pointer */
  size_t n_attrs;
  const char *primary;
  uint64_t hash;
  const char *text;
  size_t text_len;
  size_t n_text_terms; /* terms in the canonical text */
};

/* ------------------------------------------------------------------------------------ */
/* Compile: data                                                                        */

typedef struct raw_term {
  size_t off;        /* where the term starts (for errors) */
  const char *name;  /* in scratch */
  int attr;          /* 0 skill, 1 attribute */
  int neg;           /* attribute: 1 = "not in" (value excluded, absent allowed) */
  uint16_t levels;   /* skill: accepted levels */
  size_t v0, nv;     /* attribute: values pool[v0 .. v0 + nv) */
  size_t group;
} raw_term;

typedef struct group {
  const char *name;
  int attr;
  uint16_t levels; /* skill */
  int neg;         /* attribute: final kind */
  size_t v0, nv;   /* attribute: final values in byte order, unique, in out_pool */
} group;

enum {
  T_END, T_NAME, T_NUM, T_STR, T_AND, T_NOT, T_IN,
  T_GE, T_GT, T_EQ, T_LE, T_LT, T_NE, T_LP, T_RP, T_COMMA
};

typedef struct tok {
  int k;
  size_t off, len;
} tok;

typedef struct parser {
  const char *s;
  size_t len, pos;
  cc_req_error *err;
  char *str; /* scratch strings */
  size_t str_used;
  raw_term *terms;
  size_t n_terms, max_terms;
  const char **pool; /* values as parsed */
  size_t n_pool, pool_cap;
  const char **out_pool; /* values of the groups */
  size_t n_out;
  const char **tmp; /* pool_cap entries of work space */
  group *groups;
  size_t n_groups;
} parser;

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int fail(parser *p, int code, size_t off, const char *fmt, ...)
{
  if (p->err) {
    unsigned line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < off && i < p->len; i++)
      if (p->s[i] == '\n') {
        line++;
        line_start = i + 1;
      }
    char *m = p->err->msg;
    size_t cap = sizeof p->err->msg;
    int n = snprintf(m, cap, "%u:%zu: ", line, off - line_start + 1);
    if (n > 0 && (size_t)n < cap) {
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(m + n, cap - (size_t)n, fmt, ap);
      va_end(ap);
    }
    p->err->offset = off;
    p->err->unsat = 0;
  }
  return code;
}

/* ------------------------------------------------------------------------------------ */
/* Lexer                                                                                */

static int is_letter(unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(unsigned char c)
{
  return c >= '0' && c <= '9';
}

static int is_name_char(unsigned char c)
{
  return is_letter(c) || is_digit(c) || c == '_' || c == '-' || c == '.';
}

static int is_space(unsigned char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int ci_eq(const char *s, size_t n, const char *kw)
{
  size_t i = 0;
  for (; i < n && kw[i]; i++)
    if ((s[i] | 0x20) != kw[i])
      return 0;
  return i == n && !kw[i];
}

static int keyword(const char *s, size_t n)
{
  if (ci_eq(s, n, "and"))
    return T_AND;
  if (ci_eq(s, n, "not"))
    return T_NOT;
  if (ci_eq(s, n, "in"))
    return T_IN;
  return 0;
}

/* Reads the token at pos (after blanks) without consuming it. */
static int lex(parser *p, size_t pos, tok *t)
{
  const char *s = p->s;
  while (pos < p->len && is_space((unsigned char)s[pos]))
    pos++;
  t->off = pos;
  t->len = 1;
  if (pos >= p->len) {
    t->k = T_END;
    t->len = 0;
    return 0;
  }
  unsigned char c = (unsigned char)s[pos];
  unsigned char d = pos + 1 < p->len ? (unsigned char)s[pos + 1] : 0;
  size_t e = pos + 1;
  if (is_letter(c) || is_digit(c)) {
    while (e < p->len && is_name_char((unsigned char)s[e]))
      e++;
    t->len = e - pos;
    if (is_digit(c)) {
      t->k = T_NUM;
    } else {
      t->k = keyword(s + pos, t->len);
      if (!t->k)
        t->k = T_NAME;
    }
    return 0;
  }
  if (c == '"') {
    size_t n = 0;
    for (;;) {
      if (e >= p->len)
        return fail(p, CCENTER_ESYNTAX, pos, "unterminated string");
      unsigned char x = (unsigned char)s[e];
      if (x == '"')
        break;
      if (x == '\\') {
        if (e + 1 < p->len && (s[e + 1] == '"' || s[e + 1] == '\\')) {
          e += 2;
          n++;
          continue;
        }
        if (e + 1 >= p->len)
          return fail(p, CCENTER_ESYNTAX, pos, "unterminated string");
        return fail(p, CCENTER_ESYNTAX, e, "invalid escape in a string (only \\\" and \\\\)");
      }
      if (x < 0x20 || x == 0x7f)
        return fail(p, CCENTER_ESYNTAX, e, "control character in a string");
      e++;
      n++;
    }
    if (n > CC_REQ_MAX_VALUE)
      return fail(p, CCENTER_ERANGE, pos, "value longer than %d bytes", CC_REQ_MAX_VALUE);
    t->k = T_STR;
    t->len = e + 1 - pos;
    return 0;
  }
  t->len = 2;
  if (c == '>' && d == '=') {
    t->k = T_GE;
    return 0;
  }
  if (c == '<' && d == '=') {
    t->k = T_LE;
    return 0;
  }
  if (c == '=' && d == '=') {
    t->k = T_EQ;
    return 0;
  }
  if (c == '!' && d == '=') {
    t->k = T_NE;
    return 0;
  }
  t->len = 1;
  switch (c) {
  case '>': t->k = T_GT; return 0;
  case '<': t->k = T_LT; return 0;
  case '(': t->k = T_LP; return 0;
  case ')': t->k = T_RP; return 0;
  case ',': t->k = T_COMMA; return 0;
  case '=': return fail(p, CCENTER_ESYNTAX, pos, "unexpected '=' (use '==')");
  case '!': return fail(p, CCENTER_ESYNTAX, pos, "unexpected '!' (use '!=' or 'not')");
  default: break;
  }
  if (c > 0x20 && c < 0x7f)
    return fail(p, CCENTER_ESYNTAX, pos, "unexpected character '%c'", c);
  return fail(p, CCENTER_ESYNTAX, pos, "unexpected byte 0x%02x", c);
}

static void consume(parser *p, const tok *t)
{
  p->pos = t->off + t->len;
}

/* ------------------------------------------------------------------------------------ */
/* Parser                                                                               */

static const char *take_name(parser *p, const tok *t)
{
  char *d = p->str + p->str_used;
  memcpy(d, p->s + t->off, t->len);
  d[t->len] = 0;
  p->str_used += t->len + 1;
  return d;
}

/* Copies a string token's value, unescaped (the lexer has validated it). */
static const char *take_string(parser *p, const tok *t)
{
  char *d = p->str + p->str_used, *w = d;
  const char *s = p->s + t->off + 1, *e = p->s + t->off + t->len - 1;
  while (s < e) {
    if (*s == '\\')
      s++;
    *w++ = *s++;
  }
  *w = 0;
  p->str_used += (size_t)(w - d) + 1;
  return d;
}

static const char *tok_kw(int k)
{
  return k == T_AND ? "and" : k == T_NOT ? "not" : "in";
}

static int expected_name(parser *p, const tok *t, const char *after)
{
  if (t->k == T_AND || t->k == T_NOT || t->k == T_IN)
    return fail(p, CCENTER_ESYNTAX, t->off, "'%s' is a reserved word, not a name",
                tok_kw(t->k));
  if (after)
    return fail(p, CCENTER_ESYNTAX, t->off, "expected a name after %s", after);
  return fail(p, CCENTER_ESYNTAX, t->off, "expected a name");
}

/* A level token's value, or -1 if it is not all digits. Large values saturate at 1000. */
static int level_value(const parser *p, const tok *t)
{
  int v = 0;
  for (size_t i = 0; i < t->len; i++) {
    unsigned char c = (unsigned char)p->s[t->off + i];
    if (!is_digit(c))
      return -1;
    if (v < 1000)
      v = v * 10 + (c - '0');
  }
  return v;
}

static uint16_t levels_between(int lo, int hi)
{
  uint16_t m = 0;
  for (int l = lo; l <= hi; l++)
    m |= (uint16_t)(1u << l);
  return m;
}

/* The levels `name OP level` accepts (the skill present), or 0 if level is out of range. */
static uint16_t cmp_levels(int op, int level)
{
  switch (op) {
  case T_EQ: return level >= 1 && level <= 10 ? levels_between(level, level) : 0;
  case T_GE: return level >= 1 && level <= 10 ? levels_between(level, 10) : 0;
  case T_GT: return level >= 1 && level <= 9 ? levels_between(level + 1, 10) : 0;
  case T_LE: return level >= 1 && level <= 10 ? levels_between(1, level) : 0;
  case T_LT: return level >= 2 && level <= 10 ? levels_between(1, level - 1) : 0;
  default: return 0;
  }
}

static const char *op_text(int op)
{
  switch (op) {
  case T_EQ: return "==";
  case T_GE: return ">=";
  case T_GT: return ">";
  case T_LE: return "<=";
  case T_LT: return "<";
  default: return "!=";
  }
}

static int parse_set(parser *p, raw_term *rt)
{
  tok t;
  int rc = lex(p, p->pos, &t);
  if (rc)
    return rc;
  if (t.k != T_LP)
    return fail(p, CCENTER_ESYNTAX, t.off, "expected '(' after 'in'");
  consume(p, &t);
  rt->v0 = p->n_pool;
  for (;;) {
    if ((rc = lex(p, p->pos, &t)))
      return rc;
    if (t.k != T_STR) {
      if (rt->nv)
        return fail(p, CCENTER_ESYNTAX, t.off, "expected a string after ','");
      if (t.k == T_RP)
        return fail(p, CCENTER_ESYNTAX, t.off, "empty set: expected a string");
      return fail(p, CCENTER_ESYNTAX, t.off, "expected a string");
    }
    if (rt->nv == CC_REQ_MAX_VALUES)
      return fail(p, CCENTER_ERANGE, t.off, "more than %d values in a set", CC_REQ_MAX_VALUES);
    p->pool[p->n_pool++] = take_string(p, &t);
    rt->nv++;
    consume(p, &t);
    if ((rc = lex(p, p->pos, &t)))
      return rc;
    consume(p, &t);
    if (t.k == T_RP)
      return 0;
    if (t.k != T_COMMA)
      return fail(p, CCENTER_ESYNTAX, t.off, "expected ',' or ')'");
  }
}

/* Parses one term starting at token *t (not yet consumed). */
static int parse_term(parser *p, tok *t, const char *after)
{
  raw_term *rt = &p->terms[p->n_terms];
  memset(rt, 0, sizeof *rt);
  rt->off = t->off;
  int neg = 0, rc;
  if (t->k == T_NOT) {
    neg = 1;
    consume(p, t);
    if ((rc = lex(p, p->pos, t)))
      return rc;
    after = "'not'";
  }
  if (t->k != T_NAME)
    return expected_name(p, t, after);
  if (t->len > CC_REQ_MAX_NAME)
    return fail(p, CCENTER_ERANGE, t->off, "name longer than %d bytes", CC_REQ_MAX_NAME);
  rt->name = take_name(p, t);
  consume(p, t);

  tok op, v;
  if ((rc = lex(p, p->pos, &op)))
    return rc;
  switch (op.k) {
  case T_EQ:
  case T_GE:
  case T_GT:
  case T_LE:
  case T_LT: {
    consume(p, &op);
    if ((rc = lex(p, p->pos, &v)))
      return rc;
    if (op.k == T_EQ && v.k == T_STR) {
      rt->attr = 1;
      rt->neg = neg;
      rt->v0 = p->n_pool;
      rt->nv = 1;
      p->pool[p->n_pool++] = take_string(p, &v);
      consume(p, &v);
      break;
    }
    if (v.k != T_NUM) {
      if (op.k != T_EQ)
        return fail(p, CCENTER_ESYNTAX, v.off, "expected a level 1..10 after '%s'",
                    op_text(op.k));
      if (v.k == T_NAME)
        return fail(p, CCENTER_ESYNTAX, v.off, "expected a string after '=='");
      return fail(p, CCENTER_ESYNTAX, v.off, "expected a level or a string after '=='");
    }
    int level = level_value(p, &v);
    if (level < 0)
      return fail(p, CCENTER_ESYNTAX, v.off, "level must be a whole number 1..10");
    uint16_t m = cmp_levels(op.k, level);
    if (!m) {
      if (op.k == T_GT)
        return fail(p, CCENTER_ESYNTAX, v.off, "level must be 1..9 after '>'");
      if (op.k == T_LT)
        return fail(p, CCENTER_ESYNTAX, v.off, "level must be 2..10 after '<'");
      return fail(p, CCENTER_ESYNTAX, v.off, "level must be 1..10");
    }
    rt->levels = neg ? (uint16_t)(LEVELS_ALL & ~m) : m;
    consume(p, &v);
    break;
  }
  case T_NE:
    consume(p, &op);
    if ((rc = lex(p, p->pos, &v)))
      return rc;
    if (v.k != T_STR)
      return fail(p, CCENTER_ESYNTAX, v.off, "expected a string after '!='");
    rt->attr = 1;
    rt->neg = !neg;
    rt->v0 = p->n_pool;
    rt->nv = 1;
    p->pool[p->n_pool++] = take_string(p, &v);
    consume(p, &v);
    break;
  case T_NOT:
    consume(p, &op);
    if ((rc = lex(p, p->pos, &v)))
      return rc;
    if (v.k != T_IN)
      return fail(p, CCENTER_ESYNTAX, v.off, "expected 'in' after 'not'");
    consume(p, &v);
    rt->attr = 1;
    rt->neg = !neg;
    if ((rc = parse_set(p, rt)))
      return rc;
    break;
  case T_IN:
    consume(p, &op);
    rt->attr = 1;
    rt->neg = neg;
    if ((rc = parse_set(p, rt)))
      return rc;
    break;
  default: /* a bare skill */
    rt->levels = neg ? 1u : LEVELS_PRESENT;
    break;
  }
  p->n_terms++;
  return 0;
}

static int parse(parser *p)
{
  tok t;
  int rc = lex(p, 0, &t);
  if (rc || t.k == T_END)
    return rc;
  const char *after = NULL;
  for (;;) {
    if (p->n_terms == p->max_terms)
      return fail(p, CCENTER_ERANGE, t.off, "more than %d terms", CC_REQ_MAX_TERMS);
    if ((rc = parse_term(p, &t, after)))
      return rc;
    if ((rc = lex(p, p->pos, &t)))
      return rc;
    if (t.k == T_END)
      return 0;
    if (t.k != T_AND) {
      if (t.k == T_NAME && ci_eq(p->s + t.off, t.len, "or"))
        return fail(p, CCENTER_ESYNTAX, t.off, "'or' is not supported: join terms with 'and'");
      return fail(p, CCENTER_ESYNTAX, t.off, "expected 'and' or the end of the text");
    }
    consume(p, &t);
    if ((rc = lex(p, p->pos, &t)))
      return rc;
    after = "'and'";
  }
}

/* ------------------------------------------------------------------------------------ */
/* Normalisation                                                                        */

static int fail_unsat(parser *p, size_t off, const char *name)
{
  int rc = fail(p, CCENTER_ESYNTAX, off, "never matches: conflicting terms on '%.32s'", name);
  if (p->err)
    p->err->unsat = 1;
  return rc;
}

static int has_str(const char *const *set, size_t n, const char *s)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp(set[i], s) == 0)
      return 1;
  return 0;
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_group(const void *a, const void *b)
{
  const group *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  return c ? c : x->attr - y->attr;
}

static int fold_attr(parser *p, size_t gi)
{
  group *g = &p->groups[gi];
  const char **inc = p->tmp; /* at most one set literal: <= CC_REQ_MAX_VALUES */
  size_t ninc = 0, last = 0;
  int has_inc = 0;
  for (size_t i = 0; i < p->n_terms; i++) {
    const raw_term *t = &p->terms[i];
    if (t->group != gi)
      continue;
    last = i;
    const char *const *vals = p->pool + t->v0;
    if (!t->neg && !has_inc) {
      has_inc = 1;
      for (size_t k = 0; k < t->nv; k++) {
        if (has_str(inc, ninc, vals[k]))
          continue;
        int excluded = 0;
        for (size_t j = 0; j < i && !excluded; j++) {
          const raw_term *u = &p->terms[j];
          excluded = u->group == gi && u->neg && has_str(p->pool + u->v0, u->nv, vals[k]);
        }
        if (!excluded)
          inc[ninc++] = vals[k];
      }
    } else if (has_inc) {
      size_t w = 0;
      for (size_t k = 0; k < ninc; k++)
        if (has_str(vals, t->nv, inc[k]) != t->neg)
          inc[w++] = inc[k];
      ninc = w;
    }
    if (has_inc && !ninc)
      return fail_unsat(p, t->off, g->name);
  }
  const char **out = p->out_pool + p->n_out;
  size_t n = 0;
  if (has_inc) {
    memcpy(out, inc, ninc * sizeof *out);
    n = ninc;
  } else {
    for (size_t i = 0; i < p->n_terms; i++)
      if (p->terms[i].group == gi)
        for (size_t k = 0; k < p->terms[i].nv; k++)
          out[n++] = p->pool[p->terms[i].v0 + k];
  }
  qsort(out, n, sizeof *out, cmp_str);
  size_t w = 0;
  for (size_t k = 0; k < n; k++)
    if (!w || strcmp(out[w - 1], out[k]) != 0)
      out[w++] = out[k];
  if (w > CC_REQ_MAX_VALUES)
    return fail(p, CCENTER_ERANGE, p->terms[last].off,
                "more than %d values excluded for '%.32s'", CC_REQ_MAX_VALUES, g->name);
  g->neg = !has_inc;
  g->v0 = p->n_out;
  g->nv = w;
  p->n_out += w;
  return 0;
}

static int normalise(parser *p)
{
  for (size_t i = 0; i < p->n_terms; i++) {
    raw_term *t = &p->terms[i];
    size_t gi = 0;
    while (gi < p->n_groups &&
           (p->groups[gi].attr != t->attr || strcmp(p->groups[gi].name, t->name) != 0))
      gi++;
    if (gi == p->n_groups) {
      group *g = &p->groups[p->n_groups++];
      memset(g, 0, sizeof *g);
      g->name = t->name;
      g->attr = t->attr;
      g->levels = LEVELS_ALL;
    }
    t->group = gi;
    if (!t->attr) {
      p->groups[gi].levels &= t->levels;
      if (!p->groups[gi].levels)
        return fail_unsat(p, t->off, t->name);
    }
  }
  for (size_t gi = 0; gi < p->n_groups; gi++) {
    if (!p->groups[gi].attr)
      continue;
    int rc = fold_attr(p, gi);
    if (rc)
      return rc;
  }
  qsort(p->groups, p->n_groups, sizeof *p->groups, cmp_group);
  return 0;
}

/* ------------------------------------------------------------------------------------ */
/* Canonical text                                                                       */

typedef struct wbuf {
  char *buf; /* NULL: only count */
  size_t len;
  size_t terms;
} wbuf;

static void w_put(wbuf *w, const char *s, size_t n)
{
  if (w->buf)
    memcpy(w->buf + w->len, s, n);
  w->len += n;
}

static void w_str(wbuf *w, const char *s)
{
  w_put(w, s, strlen(s));
}

static void w_quoted(wbuf *w, const char *s)
{
  w_put(w, "\"", 1);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      w_put(w, "\\", 1);
    w_put(w, s, 1);
  }
  w_put(w, "\"", 1);
}

static void w_begin(wbuf *w, int neg, const char *name)
{
  if (w->terms++)
    w_str(w, " and ");
  if (neg)
    w_str(w, "not ");
  w_str(w, name);
}

static void w_level(wbuf *w, int neg, const char *name, const char *op, int level)
{
  char num[4];
  int n = snprintf(num, sizeof num, "%d", level);
  w_begin(w, neg, name);
  w_put(w, " ", 1);
  w_str(w, op);
  w_put(w, " ", 1);
  w_put(w, num, (size_t)n);
}

static int lowest(unsigned m)
{
  int l = 0;
  while (!((m >> l) & 1u))
    l++;
  return l;
}

static int highest(unsigned m)
{
  int l = 15;
  while (!((m >> l) & 1u))
    l--;
  return l;
}

/* One skill's accepted levels as the shortest conjunction in a fixed form (see the doc). */
static void w_skill(wbuf *w, const char *name, unsigned levels)
{
  if (!(levels & 1u)) { /* the skill is required */
    int lo = lowest(levels), hi = highest(levels);
    if (lo == hi) {
      w_level(w, 0, name, "==", lo);
      return;
    }
    if (lo == 1 && hi == 10)
      w_begin(w, 0, name);
    if (lo > 1)
      w_level(w, 0, name, ">=", lo);
    if (hi < 10)
      w_level(w, 0, name, "<=", hi);
    for (int h = lo + 1; h < hi; h++)
      if (!((levels >> h) & 1u))
        w_level(w, 1, name, "==", h);
    return;
  }
  unsigned ex = ~levels & LEVELS_PRESENT; /* the levels refused */
  if (ex == LEVELS_PRESENT) {
    w_begin(w, 1, name);
    return;
  }
  int b = 0, a = 11; /* refused prefix 1..b and suffix a..10 */
  while (b < 10 && ((ex >> (b + 1)) & 1u))
    b++;
  while (a > 1 && ((ex >> (a - 1)) & 1u))
    a--;
  if (b >= 2)
    w_level(w, 1, name, "<=", b);
  else if (b == 1)
    w_level(w, 1, name, "==", 1);
  for (int l = b + 1; l < a; l++)
    if ((ex >> l) & 1u)
      w_level(w, 1, name, "==", l);
  if (a <= 9)
    w_level(w, 1, name, ">=", a);
  else if (a == 10)
    w_level(w, 1, name, "==", 10);
}

static void w_attr(wbuf *w, const char *name, int neg, const char *const *v, size_t n)
{
  w_begin(w, 0, name);
  if (n == 1) {
    w_str(w, neg ? " != " : " == ");
    w_quoted(w, v[0]);
    return;
  }
  w_str(w, neg ? " not in (" : " in (");
  for (size_t i = 0; i < n; i++) {
    if (i)
      w_str(w, ", ");
    w_quoted(w, v[i]);
  }
  w_put(w, ")", 1);
}

static void w_all(wbuf *w, const parser *p)
{
  for (size_t i = 0; i < p->n_groups; i++) {
    const group *g = &p->groups[i];
    if (g->attr)
      w_attr(w, g->name, g->neg, p->out_pool + g->v0, g->nv);
    else
      w_skill(w, g->name, g->levels);
  }
}

/* ------------------------------------------------------------------------------------ */
/* Building the requirement                                                             */

static int cmp_ptr(const void *a, const void *b)
{
  uintptr_t x = (uintptr_t) * (const char *const *)a, y = (uintptr_t) * (const char *const *)b;
  return x < y ? -1 : x > y;
}

static int cmp_skill_m(const void *a, const void *b)
{
  return cmp_ptr(&((const skill_m *)a)->name, &((const skill_m *)b)->name);
}

static int cmp_attr_m(const void *a, const void *b)
{
  return cmp_ptr(&((const attr_m *)a)->key, &((const attr_m *)b)->key);
}

static size_t align_up(size_t n)
{
  const size_t al = sizeof(void *) > sizeof(uint64_t) ? sizeof(void *) : sizeof(uint64_t);
  return (n + al - 1) / al * al;
}

static int build(const cc_alloc *a, parser *p, cc_intern_fn intern, void *ud, cc_req **out)
{
  wbuf count = {NULL, 0, 0};
  w_all(&count, p);

  size_t n_sk = 0, n_at = 0;
  for (size_t i = 0; i < p->n_groups; i++)
    p->groups[i].attr ? n_at++ : n_sk++;
  size_t o_terms = align_up(sizeof(cc_req));
  size_t o_sk = o_terms + align_up(p->n_groups * sizeof(cc_req_term));
  size_t o_at = o_sk + align_up(n_sk * sizeof(skill_m));
  size_t o_vc = o_at + align_up(n_at * sizeof(attr_m));
  size_t o_vp = o_vc + align_up(p->n_out * sizeof(char *));
  size_t o_text = o_vp + align_up(p->n_out * sizeof(char *));
  size_t size = o_text + count.len + 1;
  char *block = cc_malloc(a, size);
  if (!block)
    return CCENTER_ENOMEM;
  memset(block, 0, o_text);
  cc_req *r = (cc_req *)(void *)block;
  cc_req_term *terms = (cc_req_term *)(void *)(block + o_terms);
  skill_m *sk = (skill_m *)(void *)(block + o_sk);
  attr_m *at = (attr_m *)(void *)(block + o_at);
  const char **vc = (const char **)(void *)(block + o_vc);
  const char **vp = (const char **)(void *)(block + o_vp);
  char *text = block + o_text;

  wbuf wr = {text, 0, 0};
  w_all(&wr, p);
  text[wr.len] = 0;

  size_t isk = 0, iat = 0;
  for (size_t i = 0; i < p->n_groups; i++) {
    const group *g = &p->groups[i];
    cc_req_term *t = &terms[i];
    t->name = intern(ud, g->name);
    if (!t->name)
      goto nomem;
    if (!g->attr) {
      t->kind = CC_REQ_SKILL;
      t->levels = g->levels;
      sk[isk].name = t->name;
      sk[isk].levels = g->levels;
      isk++;
      if (!r->primary && !(g->levels & 1u))
        r->primary = t->name;
      continue;
    }
    t->kind = g->neg ? CC_REQ_ATTR_NOT_IN : CC_REQ_ATTR_IN;
    t->n_values = (uint16_t)g->nv;
    t->values = vc + g->v0;
    for (size_t k = 0; k < g->nv; k++) {
      vc[g->v0 + k] = intern(ud, p->out_pool[g->v0 + k]);
      if (!vc[g->v0 + k])
        goto nomem;
      vp[g->v0 + k] = vc[g->v0 + k];
    }
    qsort(vp + g->v0, g->nv, sizeof *vp, cmp_ptr);
    at[iat].key = t->name;
    at[iat].values = vp + g->v0;
    at[iat].n = (uint16_t)g->nv;
    at[iat].neg = (uint8_t)g->neg;
    iat++;
  }
  qsort(sk, n_sk, sizeof *sk, cmp_skill_m);
  qsort(at, n_at, sizeof *at, cmp_attr_m);
  r->size = size;
  r->terms = terms;
  r->n_terms = p->n_groups;
  r->skills = sk;
  r->n_skills = n_sk;
  r->attrs = at;
  r->n_attrs = n_at;
  r->text = text;
  r->text_len = wr.len;
  r->n_text_terms = wr.terms;
  r->hash = cc_hash_str(text);
  *out = r;
  return 0;
nomem:
  cc_free(a, block);
  return CCENTER_ENOMEM;
}

static int compile(const cc_alloc *a, const char *text, cc_intern_fn intern, void *intern_ud,
                   size_t max_terms, cc_req **out, cc_req_error *err)
{
  parser p;
  memset(&p, 0, sizeof p);
  p.err = err;
  if (!a || !text || !intern || !out) {
    if (err) {
      err->offset = 0;
      err->unsat = 0;
      snprintf(err->msg, sizeof err->msg, "invalid argument");
    }
    return CCENTER_EINVAL;
  }
  p.s = text;
  p.len = strlen(text);
  p.max_terms = max_terms;
  /* Every value token is at least 2 bytes ("") and a set holds at most 64. */
  p.pool_cap = p.len / 2 + 1;
  if (p.pool_cap > max_terms * CC_REQ_MAX_VALUES)
    p.pool_cap = max_terms * CC_REQ_MAX_VALUES;
  /* Copies: each value takes at most its token's bytes, each name one byte more. */
  size_t str_cap = p.len + max_terms + 1;
  size_t o_terms = align_up(max_terms * sizeof(raw_term));
  size_t o_groups = o_terms + align_up(max_terms * sizeof(group));
  size_t o_pools = o_groups + 3 * align_up(p.pool_cap * sizeof(char *));
  if (p.len > SIZE_MAX / 2 - o_pools)
    return CCENTER_ENOMEM;
  char *scratch = cc_malloc(a, o_pools + str_cap);
  if (!scratch)
    return CCENTER_ENOMEM;
  p.terms = (raw_term *)(void *)scratch;
  p.groups = (group *)(void *)(scratch + o_terms);
  p.pool = (const char **)(void *)(scratch + o_groups);
  p.out_pool = p.pool + p.pool_cap;
  p.tmp = p.out_pool + p.pool_cap;
  p.str = scratch + o_pools;

  int rc = parse(&p);
  if (!rc)
    rc = normalise(&p);
  if (!rc) {
    rc = build(a, &p, intern, intern_ud, out);
    if (rc == CCENTER_ENOMEM && err) {
      err->offset = 0;
      err->unsat = 0;
      snprintf(err->msg, sizeof err->msg, "out of memory");
    }
  }
  cc_free(a, scratch);
  return rc;
}

int cc_req_compile(const cc_alloc *a, const char *text, cc_intern_fn intern, void *intern_ud,
                   cc_req **out, cc_req_error *err)
{
  return compile(a, text, intern, intern_ud, CC_REQ_MAX_TERMS, out, err);
}

void cc_req_free(const cc_alloc *a, cc_req *r)
{
  cc_free(a, r);
}

/* ------------------------------------------------------------------------------------ */
/* Queries and matching                                                                 */

size_t cc_req_format(const cc_req *r, char *buf, size_t len)
{
  const char *t = r ? r->text : "";
  size_t n = r ? r->text_len : 0;
  if (len) {
    size_t c = n < len ? n : len - 1;
    memcpy(buf, t, c);
    buf[c] = 0;
  }
  return n;
}

const char *cc_req_text(const cc_req *r)
{
  return r ? r->text : "";
}

uint64_t cc_req_hash(const cc_req *r)
{
  return r ? r->hash : cc_hash_str("");
}

int cc_req_equal(const cc_req *a, const cc_req *b)
{
  size_t la = a ? a->text_len : 0, lb = b ? b->text_len : 0;
  return la == lb && (!la || memcmp(a->text, b->text, la) == 0);
}

int cc_req_is_empty(const cc_req *r)
{
  return !r || !r->n_terms;
}

const cc_req_term *cc_req_terms(const cc_req *r, size_t *n)
{
  if (n)
    *n = r ? r->n_terms : 0;
  return r ? r->terms : NULL;
}

size_t cc_req_memory(const cc_req *r)
{
  return r ? r->size : 0;
}

const char *cc_req_primary_skill(const cc_req *r)
{
  return r ? r->primary : NULL;
}

static int has_ptr(const char *const *v, size_t n, const char *s)
{
  if (n <= 8) {
    for (size_t i = 0; i < n; i++)
      if (v[i] == s)
        return 1;
    return 0;
  }
  uintptr_t k = (uintptr_t)s;
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if ((uintptr_t)v[mid] < k)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && v[lo] == s;
}

void cc_skills_split(const cc_skill *s, size_t n, const char **names, uint8_t *levels)
{
  for (size_t i = 0; i < n; i++) {
    names[i] = s[i].name;
    levels[i] = s[i].level;
  }
}

/* The first skill name in [s, se) whose pointer is not below k. */
static const char *const *skill_seek(const char *const *s, const char *const *se, uintptr_t k)
{
  while (se - s > 8) { /* long runs: halve */
    const char *const *mid = s + (se - s) / 2;
    if ((uintptr_t)*mid < k)
      s = mid + 1;
    else
      se = mid + 1;
  }
  while (s < se && (uintptr_t)*s < k)
    s++;
  return s;
}

/* The level of the skill at s, a name in v. */
static unsigned skill_level(const cc_agent_view *v, const char *const *s)
{
  uint8_t lv = v->levels[s - v->skills];
  return lv > CC_REQ_MAX_LEVEL ? CC_REQ_MAX_LEVEL : lv;
}

int cc_req_match(const cc_req *r, const cc_agent_view *v)
{
  if (!r)
    return 1;
  /* A merge-walk: both sides sorted by pointer, so the cursor only moves forward; the
   * agent's side is skipped through by halving, agents having many more skills than a
   * requirement has terms. */
  const char *const *s = v->skills, *const *se = CC_END(s, v->n_skills);
  for (const skill_m *t = r->skills, *te = CC_END(t, r->n_skills); t < te; t++) {
    uintptr_t k = (uintptr_t)t->name;
    s = skill_seek(s, se, k);
    unsigned lv = 0;
    if (s < se && *s == t->name)
      lv = skill_level(v, s);
    if (!((t->levels >> lv) & 1u))
      return 0;
  }
  const cc_attr_kv *x = v->attrs, *xe = CC_END(x, v->n_attrs);
  for (const attr_m *t = r->attrs, *te = CC_END(t, r->n_attrs); t < te; t++) {
    uintptr_t k = (uintptr_t)t->key;
    while (x < xe && (uintptr_t)x->key < k)
      x++;
    int in = x < xe && x->key == t->key && has_ptr(t->values, t->n, x->value);
    if (in == t->neg)
      return 0;
  }
  return 1;
}

int cc_req_level(const cc_req *r, const cc_agent_view *v)
{
  if (!r || !r->primary)
    return 0;
  const char *const *se = CC_END(v->skills, v->n_skills);
  const char *const *s = skill_seek(v->skills, se, (uintptr_t)r->primary);
  if (s == se || *s != r->primary)
    return 0;
  return (int)skill_level(v, s);
}

/* ------------------------------------------------------------------------------------ */
/* Public builder (ccenter/routing.h)                                                   */

struct ccenter_req {
  cc_alloc alloc; /* the C library's */
  cc_map strings; /* interned names and values: key and value are the same owned copy */
  cc_req *req;    /* NULL = empty */
};

static const char *builder_intern(void *ud, const char *s)
{
  ccenter_req *b = ud;
  const char *hit = cc_map_get(&b->strings, s);
  if (hit)
    return hit;
  if (cc_map_reserve(&b->strings, &b->alloc, 1))
    return NULL;
  char *d = cc_strdup(&b->alloc, s);
  if (!d)
    return NULL;
  cc_map_put(&b->strings, &b->alloc, d, d);
  return d;
}

int ccenter_req_new(ccenter_req **out)
{
  if (!out)
    return CCENTER_EINVAL;
  ccenter_req *b = calloc(1, sizeof *b);
  if (!b)
    return CCENTER_ENOMEM;
  cc_alloc_default(&b->alloc);
  cc_map_init_key(&b->strings, 0, 0);
  *out = b;
  return 0;
}

void ccenter_req_free(ccenter_req *req)
{
  if (!req)
    return;
  cc_req_free(&req->alloc, req->req);
  size_t i = 0;
  char *s;
  while ((s = cc_map_next(&req->strings, &i)))
    free(s);
  cc_map_destroy(&req->strings, &req->alloc);
  free(req);
}

int ccenter_req_parse(const char *text, ccenter_req **out, size_t *err_offset, char *err_msg,
                      size_t err_len)
{
  cc_req_error e = {0, "invalid argument", 0};
  ccenter_req *b = NULL;
  int rc = CCENTER_EINVAL;
  if (text && out) {
    rc = ccenter_req_new(&b);
    if (rc) {
      snprintf(e.msg, sizeof e.msg, "out of memory");
    } else {
      rc = cc_req_compile(&b->alloc, text, builder_intern, b, &b->req, &e);
      if (!rc) {
        *out = b;
        return 0;
      }
      ccenter_req_free(b);
    }
  }
  if (err_offset)
    *err_offset = e.offset;
  if (err_msg && err_len)
    snprintf(err_msg, err_len, "%s", e.msg);
  return rc;
}

int ccenter_req_format(const ccenter_req *req, char *buf, size_t len)
{
  if (!req || (!buf && len))
    return CCENTER_EINVAL;
  return (int)cc_req_format(req->req, buf, len);
}

/* 0, CCENTER_EINVAL (not a name, or a reserved word) or CCENTER_ERANGE (too long). */
static int check_name(const char *name)
{
  if (!name || !is_letter((unsigned char)name[0]))
    return CCENTER_EINVAL;
  size_t n = 1;
  while (name[n] && is_name_char((unsigned char)name[n]))
    n++;
  if (name[n] || keyword(name, n))
    return CCENTER_EINVAL;
  return n > CC_REQ_MAX_NAME ? CCENTER_ERANGE : 0;
}

int cc_req_check_name(const char *name)
{
  return check_name(name) ? CCENTER_EINVAL : 0;
}

static int check_value(const char *v)
{
  if (!v)
    return CCENTER_EINVAL;
  size_t n = 0;
  for (; v[n]; n++)
    if ((unsigned char)v[n] < 0x20 || v[n] == 0x7f)
      return CCENTER_EINVAL;
  return n > CC_REQ_MAX_VALUE ? CCENTER_ERANGE : 0;
}

typedef struct term_spec {
  const char *name;
  int neg;
  int op; /* T_* of a skill comparison; 0 = bare skill; T_EQ/T_NE/T_IN with values */
  int level;
  int attr;
  const char *const *values;
  size_t n;
} term_spec;

static void w_spec(wbuf *w, const term_spec *t)
{
  if (!t->attr) {
    if (t->op)
      w_level(w, t->neg, t->name, op_text(t->op), t->level);
    else
      w_begin(w, t->neg, t->name);
    return;
  }
  w_begin(w, 0, t->name);
  w_str(w, t->neg ? " not in (" : " in (");
  for (size_t i = 0; i < t->n; i++) {
    if (i)
      w_str(w, ", ");
    w_quoted(w, t->values[i]);
  }
  w_put(w, ")", 1);
}

/* Adds one term: the current canonical text " and " the term, compiled afresh. */
static int builder_add(ccenter_req *b, const term_spec *t)
{
  const char *cur = cc_req_text(b->req);
  wbuf count = {NULL, 0, 0};
  w_str(&count, cur);
  count.terms = *cur != 0;
  w_spec(&count, t);
  char *text = malloc(count.len + 1);
  if (!text)
    return CCENTER_ENOMEM;
  wbuf wr = {text, 0, 0};
  w_str(&wr, cur);
  wr.terms = *cur != 0;
  w_spec(&wr, t);
  text[wr.len] = 0;

  cc_req *nr = NULL;
  cc_req_error e;
  /* One term more than the limit may still normalise to at most the limit. */
  int rc = compile(&b->alloc, text, builder_intern, b, CC_REQ_MAX_TERMS + 1, &nr, &e);
  free(text);
  if (!rc && nr->n_text_terms > CC_REQ_MAX_TERMS) {
    cc_req_free(&b->alloc, nr);
    rc = CCENTER_ERANGE;
  }
  if (rc == CCENTER_ESYNTAX)
    rc = e.unsat ? CCENTER_ENOSOLUTION : CCENTER_EINVAL;
  if (rc)
    return rc;
  cc_req_free(&b->alloc, b->req);
  b->req = nr;
  return 0;
}

static int skill_term(ccenter_req *req, const char *name, int neg, int op, int level)
{
  if (!req)
    return CCENTER_EINVAL;
  int rc = check_name(name);
  if (rc)
    return rc;
  if (op && !cmp_levels(op, level))
    return CCENTER_EINVAL;
  term_spec t = {name, neg, op, level, 0, NULL, 0};
  return builder_add(req, &t);
}

static int cmp_op(ccenter_cmp op)
{
  switch (op) {
  case CCENTER_CMP_EQ: return T_EQ;
  case CCENTER_CMP_GE: return T_GE;
  case CCENTER_CMP_GT: return T_GT;
  case CCENTER_CMP_LE: return T_LE;
  case CCENTER_CMP_LT: return T_LT;
  default: return -1;
  }
}

int ccenter_req_skill(ccenter_req *req, const char *name, int min_level)
{
  if (min_level < 1 || min_level > CC_REQ_MAX_LEVEL)
    return CCENTER_EINVAL;
  return skill_term(req, name, 0, min_level == 1 ? 0 : T_GE, min_level);
}

int ccenter_req_skill_cmp(ccenter_req *req, const char *name, ccenter_cmp op, int level)
{
  int k = cmp_op(op);
  return k < 0 ? CCENTER_EINVAL : skill_term(req, name, 0, k, level);
}

int ccenter_req_not_skill_cmp(ccenter_req *req, const char *name, ccenter_cmp op, int level)
{
  int k = cmp_op(op);
  return k < 0 ? CCENTER_EINVAL : skill_term(req, name, 1, k, level);
}

int ccenter_req_no_skill(ccenter_req *req, const char *name)
{
  return skill_term(req, name, 1, 0, 0);
}

static int attr_term(ccenter_req *req, const char *key, int neg, const char *const *values,
                     size_t n)
{
  if (!req || !values || !n)
    return CCENTER_EINVAL;
  int rc = check_name(key);
  if (rc)
    return rc;
  if (n > CC_REQ_MAX_VALUES)
    return CCENTER_ERANGE;
  for (size_t i = 0; i < n; i++)
    if ((rc = check_value(values[i])))
      return rc;
  term_spec t = {key, neg, 0, 0, 1, values, n};
  return builder_add(req, &t);
}

int ccenter_req_attr_eq(ccenter_req *req, const char *key, const char *value)
{
  return attr_term(req, key, 0, value ? &value : NULL, 1);
}

int ccenter_req_attr_ne(ccenter_req *req, const char *key, const char *value)
{
  return attr_term(req, key, 1, value ? &value : NULL, 1);
}

int ccenter_req_attr_in(ccenter_req *req, const char *key, const char *const *values, size_t n)
{
  return attr_term(req, key, 0, values, n);
}

int ccenter_req_attr_not_in(ccenter_req *req, const char *key, const char *const *values,
                            size_t n)
{
  return attr_term(req, key, 1, values, n);
}
