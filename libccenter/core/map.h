/* Internal: a string-keyed hash map (open addressing, linear probing, backward-shift
 * deletion). The key is found from the value: a map holds values that carry their key
 * (an object and its id), at an offset in the value given when the map is set up,
 * either as a pointer there or as the characters themselves (a string is its own key).
 * A slot is the value and the key's hash, 16 bytes: with the load at most 1/2, the maps
 * of ids are a large share of the memory per agent and per contact (docs/performance.md,
 * "Memory"). Keys are borrowed: each lives as long as its value is in the map. */
#ifndef CC_CORE_MAP_H
#define CC_CORE_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "core/options.h"

typedef struct cc_map_slot {
  void *value; /* NULL = empty */
  uint64_t hash;
} cc_map_slot;

typedef struct cc_map {
  cc_map_slot *slots;
  size_t cap; /* power of two, or 0 */
  size_t len;
  uint32_t key_off; /* where a value's key is (cc_map_init_key) */
  uint32_t key_ptr; /* 1: a pointer to it is there; 0: it is there */
} cc_map;

uint64_t cc_hash_str(const char *s);
/* The same hash, reading at most max + 1 characters: *len is strnlen(s, max + 1), and the
 * result is cc_hash_str(s) when *len <= max. A length check and the hash in one pass. */
uint64_t cc_hash_strn(const char *s, size_t max, size_t *len);
/* An empty map whose values hold a pointer to their key in their first member (agents,
 * queues and contacts: CC_OBJ_HEAD). */
void cc_map_init(cc_map *m);
/* An empty map whose values hold their key at byte off: a pointer to it (ptr = 1) or its
 * characters (ptr = 0; a map of strings is off 0, ptr 0). */
void cc_map_init_key(cc_map *m, size_t off, int ptr);
/* Frees the slots; the map stays set up for the same kind of values, empty. */
void cc_map_destroy(cc_map *m, const cc_alloc *a);
/* The key of a value of m. */
static inline const char *cc_map_key(const cc_map *m, const void *value)
{
  const char *p = (const char *)value + m->key_off;
  return m->key_ptr ? *(const char *const *)(const void *)p : p;
}
void *cc_map_get(const cc_map *m, const char *key);
/* The same with key's cc_hash_str already known (h). */
void *cc_map_get_h(const cc_map *m, const char *key, uint64_t h);
/* Starts fetching the slot a lookup of hash h begins at: a caller that knows a key early
 * lets that cache miss overlap its other work. */
static inline void cc_map_prefetch(const cc_map *m, uint64_t h)
{
#if defined(__GNUC__)
  if (m->cap)
    __builtin_prefetch(&m->slots[h & (m->cap - 1)]);
#else
  (void)m, (void)h;
#endif
}
/* Makes room for one more entry, so that the following cc_map_put cannot fail. */
int cc_map_reserve(cc_map *m, const cc_alloc *a, size_t extra);
/* Inserts value under key (must be absent; key must be cc_map_key of value). 0 or
 * CCENTER_ENOMEM (map unchanged). */
int cc_map_put(cc_map *m, const cc_alloc *a, const char *key, void *value);
/* The same with key's cc_hash_str already known (h). */
int cc_map_put_h(cc_map *m, const cc_alloc *a, const char *key, uint64_t h, void *value);
/* Removes key; returns its value or NULL. */
void *cc_map_del(cc_map *m, const char *key);
/* Iteration: *i starts at 0; returns the next value or NULL at the end. */
void *cc_map_next(const cc_map *m, size_t *i);
size_t cc_map_memory(const cc_map *m);

/* Snapshots (core/snap.h) bring a map back slot for slot, so that iteration and later
 * probing go exactly as in the map that was saved: the writer records cap and, for each
 * value cc_map_next returns, its slot (*i - 1 after the call). cc_map_init_cap sets up an
 * empty map of that capacity (0, or a power of two from 16), cc_map_place puts a key in
 * its slot, cc_map_placed_ok checks the result is a map lookups can use (every key found
 * in its own slot, the load at most 1/2). Each returns CCENTER_ECORRUPT for what a saved
 * map cannot be (cc_map_init_cap also CCENTER_ENOMEM). cc_map_init_cap keeps the map's
 * kind of values (cc_map_init_key). */
int cc_map_init_cap(cc_map *m, const cc_alloc *a, size_t cap);
int cc_map_place(cc_map *m, size_t idx, const char *key, void *value);
int cc_map_placed_ok(const cc_map *m);

#endif
