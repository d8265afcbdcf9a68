/* Internal: an order-statistics treap without parent links, for nodes that must be small:
 * routing keeps one per class an agent meets in each queue it serves (acd/types.h,
 * cnode), the largest share of an agent's memory. Keys are unique, as in core/treap.h, so
 * a node is found from the root by its key: removing it and stepping to the next one are
 * a descent, O(log n) expected, where core/treap.h walks up. Priorities are hashed from
 * the nodes' addresses (cc_treap_prio). Sizes are kept as in core/treap.h: a node counts
 * itself and its right subtree, so taking out the first node changes no count. */
#ifndef CC_CORE_KTREAP_H
#define CC_CORE_KTREAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct cc_knode {
  struct cc_knode *left, *right;
  uint32_t size; /* this node and its right subtree */
  int32_t aux;   /* the owner's, never touched by the treap (cnode: key1) */
} cc_knode;

/* <0, 0, >0 as a orders before, equal to, after b. */
typedef int (*cc_kcmp)(const cc_knode *a, const cc_knode *b);

typedef struct cc_ktreap {
  cc_knode *root;
  cc_knode *first;
  /* The last node: a key after it (a longest-idle agent freed now, whose idle time is the
   * latest) goes in along the right spine with no key compared but this one. */
  cc_knode *last;
  size_t count;
  cc_kcmp cmp;
} cc_ktreap;

void cc_ktreap_init(cc_ktreap *t, cc_kcmp cmp);
void cc_ktreap_insert(cc_ktreap *t, cc_knode *n);
/* n must be in t. */
void cc_ktreap_remove(cc_ktreap *t, cc_knode *n);
/* The node after n, which must be in t, or NULL. */
cc_knode *cc_ktreap_next(const cc_ktreap *t, const cc_knode *n);
/* The node at 0-based rank, or NULL. */
cc_knode *cc_ktreap_select(const cc_ktreap *t, size_t rank);

static inline cc_knode *cc_ktreap_first(const cc_ktreap *t)
{
  return t->first;
}

static inline cc_knode *cc_ktreap_last(const cc_ktreap *t)
{
  return t->last;
}

static inline size_t cc_ktreap_size(const cc_ktreap *t)
{
  return t->count;
}

#endif
