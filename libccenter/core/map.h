/* Internal: a string-keyed hash map (open addressing, linear probing, backward-shift
 * deletion). Keys are borrowed: the caller keeps each key alive while it is in the map
 * (normally the key is the id string inside the value object). */
#ifndef CC_CORE_MAP_H
#define CC_CORE_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "core/options.h"

typedef struct cc_map_slot {
  const char *key; /* NULL = empty */
  void *value;
  uint64_t hash;
} cc_map_slot;

typedef struct cc_map {
  cc_map_slot *slots;
  size_t cap; /* power of two, or 0 */
  size_t len;
} cc_map;

uint64_t cc_hash_str(const char *s);
void cc_map_init(cc_map *m);
void cc_map_destroy(cc_map *m, const cc_alloc *a);
void *cc_map_get(const cc_map *m, const char *key);
/* Makes room for one more entry, so that the following cc_map_put cannot fail. */
int cc_map_reserve(cc_map *m, const cc_alloc *a, size_t extra);
/* Inserts key (must be absent). 0 or CCENTER_ENOMEM (map unchanged). */
int cc_map_put(cc_map *m, const cc_alloc *a, const char *key, void *value);
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
 * map cannot be (cc_map_init_cap also CCENTER_ENOMEM). */
int cc_map_init_cap(cc_map *m, const cc_alloc *a, size_t cap);
int cc_map_place(cc_map *m, size_t idx, const char *key, void *value);
int cc_map_placed_ok(const cc_map *m);

#endif
