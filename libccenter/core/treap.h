/* Internal: an intrusive order-statistics treap. Nodes are embedded in the objects they
 * order; keys are unique (callers break ties with a sequence number), so every operation
 * is O(log n) expected, including the rank used for queue positions. A node's heap
 * priority is a hash of its address, computed when needed rather than stored: the tree's
 * shape then depends on where nodes live, which nothing observes (orders, ranks and
 * selections depend on the keys only). */
#ifndef CC_CORE_TREAP_H
#define CC_CORE_TREAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct cc_tnode {
  struct cc_tnode *left, *right, *parent;
  union {
    uint32_t size;         /* with CC_TREAP_SIZES: this node and its right subtree (treap.c) */
    struct cc_tnode *next; /* with CC_TREAP_NEXT: the node after it in order, or NULL */
  };
} cc_tnode;

/* A node of a treap that keeps both SIZES and NEXT: the link follows the node. */
typedef struct cc_tnode_sn {
  cc_tnode n;
  struct cc_tnode *next;
} cc_tnode_sn;

/* The heap priority of the node at n: its address mixed (the finaliser of MurmurHash3),
 * so that nodes laid out at a regular stride still get independent-looking priorities.
 * core/ktreap.h uses it too. */
static inline uint32_t cc_treap_prio(const void *n)
{
  uint64_t x = (uint64_t)(uintptr_t)n;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return (uint32_t)x;
}

/* <0, 0, >0 as a orders before, equal to, after b. */
typedef int (*cc_tcmp)(const cc_tnode *a, const cc_tnode *b);

typedef struct cc_treap {
  cc_tnode *root;
  cc_tnode *first; /* with CC_TREAP_FIRST */
  size_t count;
  cc_tcmp cmp;
  unsigned what; /* CC_TREAP_* */
} cc_treap;

/* What a treap maintains beyond the order. Each costs touching nodes that are often cache
 * misses, so a treap keeps only what its user asks of it:
 * SIZES: subtree sizes, for cc_treap_rank (otherwise it must not be called); removing a
 *        node walks up to the root, except the first node when FIRST is kept too.
 *        cc_treap_size works without. (Selecting by rank: core/ktreap.h.)
 * FIRST: the first node cached, so cc_treap_first is O(1) (otherwise a descent); removing
 *        the first node finds its successor. */
#define CC_TREAP_SIZES 1u
#define CC_TREAP_FIRST 2u
/* NEXT: each node links the node after it, so cc_treap_next reads no other node and
 *        removing the first node finds its successor without a descent through the tree
 *        (at scale every node is a cache miss). Removing another node finds its
 *        predecessor instead (a descent or a climb). Implies FIRST. Without SIZES the
 *        link is the node's last field; with SIZES the nodes are cc_tnode_sn. */
#define CC_TREAP_NEXT 4u

/* With SIZES and FIRST. */
void cc_treap_init(cc_treap *t, cc_tcmp cmp);
/* With what: any combination of SIZES, FIRST and NEXT (NEXT implies FIRST). */
void cc_treap_init_2(cc_treap *t, cc_tcmp cmp, unsigned what);
void cc_treap_insert(cc_treap *t, cc_tnode *n);
void cc_treap_remove(cc_treap *t, cc_tnode *n);
cc_tnode *cc_treap_first(const cc_treap *t);
cc_tnode *cc_treap_next(const cc_treap *t, const cc_tnode *n);
/* 1-based position of n, which must be in t. */
size_t cc_treap_rank(const cc_treap *t, const cc_tnode *n);
size_t cc_treap_size(const cc_treap *t);

#endif
