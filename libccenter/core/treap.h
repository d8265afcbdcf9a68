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
    struct cc_tnode *next; /* without: the node after it in order, or NULL */
  };
} cc_tnode;

/* A node of a treap with CC_TREAP_SIZES: the link to the next node follows the node. */
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
  cc_tnode *first;
  cc_tnode *last;
  size_t count;
  cc_tcmp cmp;
  unsigned what; /* 0 or CC_TREAP_SIZES */
} cc_treap;

/* Every treap keeps its first node, and each node a link to the node after it: first and
 * next read no other node, and taking out the first node (what routing does most) finds
 * its successor without a descent through the tree (at scale every node is a cache miss).
 * Removing another node finds its predecessor (a descent or a climb). It keeps its last
 * node too: a node that goes after every other (a contact joining a waiting line or a
 * step's class, nearly always the youngest) is compared with the last node only and hung
 * under it, then rotated up as its priority says, instead of being compared with every
 * node down the right spine (with SIZES the spine's counts are still walked, upwards).
 * SIZES: subtree sizes too, for cc_treap_rank (otherwise it must not be called); removing
 *        a node other than the first then walks up to the root. The link then follows the
 *        node: such a treap's nodes are cc_tnode_sn. cc_treap_size works without. (Selecting
 *        by rank: core/ktreap.h.) */
#define CC_TREAP_SIZES 1u

/* what: 0 or CC_TREAP_SIZES. */
void cc_treap_init(cc_treap *t, cc_tcmp cmp, unsigned what);
void cc_treap_insert(cc_treap *t, cc_tnode *n);
void cc_treap_remove(cc_treap *t, cc_tnode *n);
cc_tnode *cc_treap_first(const cc_treap *t);
cc_tnode *cc_treap_last(const cc_treap *t);
cc_tnode *cc_treap_next(const cc_treap *t, const cc_tnode *n);
/* 1-based position of n, which must be in t. */
size_t cc_treap_rank(const cc_treap *t, const cc_tnode *n);
size_t cc_treap_size(const cc_treap *t);

#endif
