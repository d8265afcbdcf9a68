#include "core/ktreap.h"

#include "core/treap.h"

void cc_ktreap_init(cc_ktreap *t, cc_kcmp cmp)
{
  t->root = t->first = t->tlast = t->run_head = t->run_tail = NULL;
  t->count = t->n_run = 0;
  t->cmp = cmp;
  t->runs = 0;
}

/* Splits s around n's key into *l (before n) and *r (after n); returns how many nodes went
 * to *r. A node that stays on the left loses from its count what its right subtree gave
 * to *r; one that goes right keeps its count (its right subtree goes with it). */
static uint32_t split(cc_kcmp cmp, cc_knode *s, const cc_knode *n, cc_knode **l, cc_knode **r)
{
  if (!s) {
    *l = *r = NULL;
    return 0;
  }
  if (cmp(s, n) < 0) {
    *l = s;
    uint32_t moved = split(cmp, s->right, n, &s->right, r);
    s->size -= moved;
    return moved;
  }
  *r = s;
  return s->size + split(cmp, s->left, n, l, &s->left);
}

/* Joins a and b (every key of a before every key of b; nb nodes in b). */
static cc_knode *merge(cc_knode *a, cc_knode *b, uint32_t nb)
{
  if (!a)
    return b;
  if (!b)
    return a;
  if (cc_treap_prio(a) > cc_treap_prio(b)) {
    a->size += nb; /* b joins a's right subtree */
    a->right = merge(a->right, b, nb);
    return a;
  }
  b->left = merge(a, b->left, nb - b->size);
  return b;
}

/* The first node of the subtree at n (not NULL). */
static cc_knode *lowest(cc_knode *n)
{
  while (n->left)
    n = n->left;
  return n;
}

/* The last node of the subtree at n (not NULL). */
static cc_knode *highest(cc_knode *n)
{
  while (n->right)
    n = n->right;
  return n;
}

/* Into the tree, whose keys are all before the run's. */
static void tree_insert(cc_ktreap *t, cc_knode *n)
{
  uint32_t pn = cc_treap_prio(n);
  cc_knode **link = &t->root;
  if (t->tlast && t->cmp(n, t->tlast) > 0) {
    /* After every node: down the right spine, each node on it gaining n in its right
     * subtree, to where n's priority places it; what hangs there is all before n. */
    while (*link && cc_treap_prio(*link) >= pn) {
      (*link)->size++;
      link = &(*link)->right;
    }
    n->left = *link;
    n->right = NULL;
    n->size = 1;
    *link = n;
    t->count++;
    t->tlast = n;
    return;
  }
  int leftmost = 1, rightmost = 1;
  while (*link && cc_treap_prio(*link) >= pn) {
    cc_knode *p = *link;
    if (t->cmp(n, p) < 0) {
      link = &p->left;
      rightmost = 0;
    } else {
      link = &p->right;
      p->size++;
      leftmost = 0;
    }
  }
  n->size = 1 + split(t->cmp, *link, n, &n->left, &n->right);
  *link = n;
  t->count++;
  if (leftmost && !n->left)
    t->first = n;
  if (rightmost && !n->right)
    t->tlast = n;
}

/* The run's nodes, in order, into the tree (each goes in after its last node). */
static void run_to_tree(cc_ktreap *t)
{
  cc_knode *n = t->run_head;
  t->run_head = t->run_tail = NULL;
  t->n_run = 0;
  while (n) {
    cc_knode *next = n->right;
    tree_insert(t, n);
    n = next;
  }
}

void cc_ktreap_set_runs(cc_ktreap *t, int on)
{
  if (!on)
    run_to_tree(t);
  t->runs = on != 0;
}

/* How far back from the run's end a key is looked for before the run goes into the tree:
 * far enough for agents freed in the same millisecond, whose order is their sequence. */
#define RUN_WALK 8

/* n after p in the run (p NULL: first in the run). */
static void run_link(cc_ktreap *t, cc_knode *p, cc_knode *n)
{
  cc_knode *next = p ? p->right : t->run_head;
  n->left = p;
  n->right = next;
  n->size = 0;
  if (p)
    p->right = n;
  else
    t->run_head = n;
  if (next)
    next->left = n;
  else
    t->run_tail = n;
  if (!t->count && !p)
    t->first = n;
  t->n_run++;
}

void cc_ktreap_insert(cc_ktreap *t, cc_knode *n)
{
  if (t->runs) {
    cc_knode *last = cc_ktreap_last(t);
    if (!last || t->cmp(n, last) > 0) {
      run_link(t, t->run_tail, n);
      return;
    }
    if (t->run_head && t->cmp(n, t->run_head) > 0) {
      cc_knode *p = last->left; /* n is before the last: look further back */
      for (int i = 0; i < RUN_WALK && p; i++, p = p->left)
        if (t->cmp(n, p) > 0) {
          run_link(t, p, n);
          return;
        }
      run_to_tree(t);
    }
  }
  tree_insert(t, n);
}

void cc_ktreap_remove(cc_ktreap *t, cc_knode *n)
{
  if (!n->size) { /* in the run */
    cc_knode *prev = n->left, *next = n->right;
    if (prev)
      prev->right = next;
    else
      t->run_head = next;
    if (next)
      next->left = prev;
    else
      t->run_tail = prev;
    if (t->first == n)
      t->first = next;
    t->n_run--;
    n->left = n->right = NULL;
    return;
  }
  cc_knode **link = &t->root, *succ = NULL, *pred = NULL;
  /* The first node is at the end of the left spine, the last at the end of the right one:
   * no key to compare on the way (a tie of the strategy's keys would read both agents'
   * records). */
  int leftmost = t->first == n, rightmost = t->tlast == n;
  while (*link != n) {
    cc_knode *p = *link;
    if (leftmost || (!rightmost && t->cmp(n, p) < 0)) {
      succ = p;
      link = &p->left;
    } else {
      pred = p;
      p->size--;
      link = &p->right;
    }
  }
  if (leftmost)
    t->first = n->right ? lowest(n->right) : succ ? succ : t->run_head;
  if (rightmost)
    t->tlast = n->left ? highest(n->left) : pred;
  *link = merge(n->left, n->right, n->size - 1);
  t->count--;
  n->left = n->right = NULL;
  n->size = 0;
}

cc_knode *cc_ktreap_next(const cc_ktreap *t, const cc_knode *n)
{
  if (!n->size)
    return n->right;
  if (n->right)
    return lowest(n->right);
  cc_knode *p = t->root, *succ = NULL;
  int leftmost = t->first == n; /* as in cc_ktreap_remove */
  while (p != n) {
    if (leftmost || t->cmp(n, p) < 0) {
      succ = p;
      p = p->left;
    } else {
      p = p->right;
    }
  }
  return succ ? succ : t->run_head;
}

cc_knode *cc_ktreap_select(const cc_ktreap *t, size_t rank)
{
  if (rank >= t->count) {
    cc_knode *r = t->run_head;
    for (rank -= t->count; r && rank; rank--)
      r = r->right;
    return r;
  }
  size_t k = t->count - 1 - rank; /* nodes after the one sought */
  cc_knode *n = t->root;
  while (n) {
    size_t r = n->size - 1;
    if (k < r) {
      n = n->right;
    } else if (k == r) {
      return n;
    } else {
      k -= r + 1;
      n = n->left;
    }
  }
  return NULL;
}

cc_knode *cc_ktreap_first_after(const cc_ktreap *t, int (*after)(const cc_knode *, uint64_t),
                                uint64_t arg)
{
  cc_knode *n = t->root, *best = NULL;
  while (n) {
    if (after(n, arg)) {
      best = n;
      n = n->left;
    } else {
      n = n->right;
    }
  }
  for (cc_knode *r = t->run_head; r && !best; r = r->right)
    if (after(r, arg))
      best = r;
  return best;
}
