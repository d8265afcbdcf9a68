#include "core/treap.h"

#include <stddef.h>

/* With SIZES, a node's size counts it and its right subtree, not its left one: every
 * ancestor of the first node holds it on its left, so removing the first node (what
 * routing does to a waiting line) changes no other node's count and walks up nowhere.
 * Ranks are counted from the end and turned around with t->count. */

void cc_treap_init(cc_treap *t, cc_tcmp cmp, unsigned what)
{
  t->root = NULL;
  t->first = t->last = NULL;
  t->count = 0;
  t->cmp = cmp;
  t->what = what;
}

/* n's link to the node after it. */
static cc_tnode **next_link(const cc_treap *t, cc_tnode *n)
{
  if (t->what & CC_TREAP_SIZES)
    return &((cc_tnode_sn *)(void *)n)->next;
  return &n->next;
}

static void replace_child(cc_treap *t, cc_tnode *parent, cc_tnode *old, cc_tnode *nw)
{
  if (!parent)
    t->root = nw;
  else if (parent->left == old)
    parent->left = nw;
  else
    parent->right = nw;
  if (nw)
    nw->parent = parent;
}

/* Rotates n above its parent p. */
static void rotate_up(cc_treap *t, cc_tnode *n)
{
  cc_tnode *p = n->parent;
  cc_tnode *g = p->parent;
  if (p->left == n) {
    p->left = n->right;
    if (n->right)
      n->right->parent = p;
    n->right = p;
  } else {
    p->right = n->left;
    if (n->left)
      n->left->parent = p;
    n->left = p;
  }
  p->parent = n;
  replace_child(t, g, p, n);
  if (t->what & CC_TREAP_SIZES) {
    if (n->right == p) /* p (with its right subtree) went under n, on its right */
      n->size += p->size;
    else /* n and its right subtree left p's right side */
      p->size -= n->size;
  }
}

void cc_treap_insert(cc_treap *t, cc_tnode *n)
{
  n->left = n->right = NULL;
  if (t->what & CC_TREAP_SIZES)
    n->size = 1;
  /* The last nodes the descent passed on the right and on the left are n's neighbours in
   * order. */
  cc_tnode *p = NULL, **link = &t->root, *pred = NULL, *succ = NULL;
  if (t->last && t->cmp(n, t->last) > 0) {
    /* After every node: the last has no right child, n goes there. With SIZES, the last
     * node and all its ancestors (the right spine) hold n on their right: counted on the
     * way up, which reads each node's links but not its key (in a contact, another cache
     * line). */
    p = pred = t->last;
    link = &p->right;
    if (t->what & CC_TREAP_SIZES)
      for (cc_tnode *x = p; x; x = x->parent)
        x->size++;
  } else {
    while (*link) {
      p = *link;
      if (t->cmp(n, p) < 0) {
        succ = p;
        link = &p->left;
      } else {
        pred = p;
        link = &p->right;
        if (t->what & CC_TREAP_SIZES)
          p->size++;
      }
    }
  }
  t->count++;
  *link = n;
  if (pred)
    *next_link(t, pred) = n;
  else
    t->first = n;
  *next_link(t, n) = succ;
  if (!succ)
    t->last = n;
  n->parent = p;
  uint32_t pn = cc_treap_prio(n);
  while (n->parent && cc_treap_prio(n->parent) < pn)
    rotate_up(t, n);
}

/* The node before n, which is not the first. */
static cc_tnode *prev_of(cc_tnode *n)
{
  if (n->left) {
    n = n->left;
    while (n->right)
      n = n->right;
    return n;
  }
  while (n->parent->left == n)
    n = n->parent;
  return n->parent;
}

void cc_treap_remove(cc_treap *t, cc_tnode *n)
{
  if (t->first == n) {
    t->first = *next_link(t, n);
    if (t->last == n) /* the only node */
      t->last = NULL;
    /* The first node has no left child and is its parent's left child: splicing it out
     * only writes to its parent and right child. Reading either would wait for a cache
     * miss (they are other contacts, at scale); stores do not. */
    cc_tnode *p = n->parent, *child = n->right;
    if (p)
      p->left = child;
    else
      t->root = child;
    if (child)
      child->parent = p;
    t->count--;
    n->right = n->parent = NULL;
    return;
  }
  cc_tnode *pred = prev_of(n);
  *next_link(t, pred) = *next_link(t, n);
  if (t->last == n)
    t->last = pred;
  /* Rotate n down until it has at most one child, then splice it out. */
  while (n->left && n->right) {
    cc_tnode *c = cc_treap_prio(n->left) > cc_treap_prio(n->right) ? n->left : n->right;
    rotate_up(t, c);
  }
  cc_tnode *child = n->left ? n->left : n->right;
  cc_tnode *p = n->parent;
  int from_right = p && p->right == n;
  replace_child(t, p, n, child);
  t->count--;
  /* The ancestors that held n on their right count one less. */
  if (t->what & CC_TREAP_SIZES) {
    for (; p; p = p->parent) {
      if (from_right)
        p->size--;
      from_right = p->parent && p->parent->right == p;
    }
  }
  n->left = n->right = n->parent = NULL;
}

cc_tnode *cc_treap_first(const cc_treap *t)
{
  return t->first;
}

cc_tnode *cc_treap_last(const cc_treap *t)
{
  return t->last;
}

cc_tnode *cc_treap_next(const cc_treap *t, const cc_tnode *n)
{
  return *next_link(t, (cc_tnode *)(uintptr_t)n);
}

size_t cc_treap_rank(const cc_treap *t, const cc_tnode *n)
{
  size_t after = n->size - 1; /* n's right subtree */
  for (; n->parent; n = n->parent)
    if (n->parent->left == n)
      after += n->parent->size;
  return t->count - after;
}

size_t cc_treap_size(const cc_treap *t)
{
  return t->count;
}
