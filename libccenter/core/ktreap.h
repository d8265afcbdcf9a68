/* Internal: an order-statistics treap without parent links, for nodes that must be small:
 * routing keeps one per class an agent meets in each queue it serves (acd/types.h,
 * cnode), the largest share of an agent's memory. Keys are unique, as in core/treap.h, so
 * a node is found from the root by its key: removing it and stepping to the next one are
 * a descent, O(log n) expected, where core/treap.h walks up. Priorities are hashed from
 * the nodes' addresses (cc_treap_prio). Sizes are kept as in core/treap.h: a node counts
 * itself and its right subtree, so taking out the first node changes no count.
 *
 * The run (cc_ktreap_set_runs): routing's usual keys grow with time (an agent freed now
 * is idle since now, after every other), so most nodes go in after the last one, and come
 * out again from anywhere when the agent takes a contact. With runs on, such nodes are
 * appended to a sorted list after the tree instead (left: previous, right: next, size 0),
 * where going in and coming out take no descent and no compare but one. A node whose key
 * falls inside the run goes in near the run's end when it is close to it, or else the run
 * is moved into the tree first (each of its nodes along the tree's right spine): the
 * order, the walk and select are the same as without the run. */
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
  cc_knode *first; /* of the whole: the tree's first, or the run's when the tree is empty */
  /* The tree's last node: a key after it (a longest-idle agent freed now, whose idle time
   * is the latest) goes in along the right spine with no key compared but this one. */
  cc_knode *tlast;
  cc_knode *run_head, *run_tail; /* the run: every key after the tree's */
  uint32_t count;                /* in the tree */
  uint32_t n_run;
  cc_kcmp cmp;
  int runs;
} cc_ktreap;

void cc_ktreap_init(cc_ktreap *t, cc_kcmp cmp);
/* Runs on or off (off: the run, if any, goes into the tree). Off by default; on suits keys
 * that mostly arrive in order, off keys that select and the tree's descent serve
 * (round-robin's ordinals, the random draws). */
void cc_ktreap_set_runs(cc_ktreap *t, int on);
void cc_ktreap_insert(cc_ktreap *t, cc_knode *n);
/* n must be in t. */
void cc_ktreap_remove(cc_ktreap *t, cc_knode *n);
/* The node after n, which must be in t, or NULL. */
cc_knode *cc_ktreap_next(const cc_ktreap *t, const cc_knode *n);
/* The node at 0-based rank, or NULL (O(log n) in the tree, a walk in the run). */
cc_knode *cc_ktreap_select(const cc_ktreap *t, size_t rank);
/* The first node for which after(n, arg) holds, where after() holds for a suffix of the
 * order, or NULL. */
cc_knode *cc_ktreap_first_after(const cc_ktreap *t, int (*after)(const cc_knode *, uint64_t),
                                uint64_t arg);

static inline cc_knode *cc_ktreap_first(const cc_ktreap *t)
{
  return t->first;
}

static inline cc_knode *cc_ktreap_last(const cc_ktreap *t)
{
  return t->run_tail ? t->run_tail : t->tlast;
}

static inline size_t cc_ktreap_size(const cc_ktreap *t)
{
  return (size_t)t->count + t->n_run;
}

#endif
