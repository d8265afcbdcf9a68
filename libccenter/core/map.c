#include "core/map.h"

#include <string.h>

/* FNV-1a with a final avalanche so that linear probing sees well-spread low bits. */
#define FNV_OFFSET 1469598103934665603ull
#define FNV_PRIME 1099511628211ull

static uint64_t avalanche(uint64_t h)
{
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

uint64_t cc_hash_strn(const char *s, size_t max, size_t *len)
{
  uint64_t h = FNV_OFFSET;
  size_t n = 0;
  for (; n <= max && s[n]; n++)
    h = (h ^ (unsigned char)s[n]) * FNV_PRIME;
  *len = n;
  return avalanche(h);
}

uint64_t cc_hash_str(const char *s)
{
  size_t n;
  return cc_hash_strn(s, SIZE_MAX - 1, &n); /* no bound: a string ends before that */
}

void cc_map_init_key(cc_map *m, size_t off, int ptr)
{
  memset(m, 0, sizeof *m);
  m->key_off = (uint32_t)off;
  m->key_ptr = ptr != 0;
}

void cc_map_init(cc_map *m)
{
  cc_map_init_key(m, 0, 1);
}

/* Empty, of the same kind of values. */
static void map_empty(cc_map *m)
{
  m->slots = NULL;
  m->cap = m->len = 0;
}

void cc_map_destroy(cc_map *m, const cc_alloc *a)
{
  cc_free(a, m->slots);
  map_empty(m);
}

/* Ids are short ("c1234", an agent's name): compared in line, since the call to strcmp
 * cost more than the compare (5 % of ccenter-sim's time on M/M/50 was strcmp from here). */
static inline int key_eq(const char *a, const char *b)
{
  while (*a == *b) {
    if (!*a)
      return 1;
    a++;
    b++;
  }
  return 0;
}

static size_t find_slot(const cc_map *m, const char *key, uint64_t h)
{
  size_t mask = m->cap - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const cc_map_slot *s = &m->slots[i];
    if (!s->value || (s->hash == h && key_eq(cc_map_key(m, s->value), key)))
      return i;
  }
}

void *cc_map_get_h(const cc_map *m, const char *key, uint64_t h)
{
  if (!m->len)
    return NULL;
  return m->slots[find_slot(m, key, h)].value;
}

void *cc_map_get(const cc_map *m, const char *key)
{
  return m->len ? cc_map_get_h(m, key, cc_hash_str(key)) : NULL;
}

static int rehash(cc_map *m, const cc_alloc *a, size_t ncap)
{
  cc_map_slot *ns = cc_calloc(a, ncap, sizeof *ns);
  if (!ns)
    return CCENTER_ENOMEM;
  for (size_t i = 0; i < m->cap; i++) {
    cc_map_slot *s = &m->slots[i];
    if (!s->value)
      continue;
    size_t j = s->hash & (ncap - 1);
    while (ns[j].value)
      j = (j + 1) & (ncap - 1);
    ns[j] = *s;
  }
  cc_free(a, m->slots);
  m->slots = ns;
  m->cap = ncap;
  return 0;
}

int cc_map_reserve(cc_map *m, const cc_alloc *a, size_t extra)
{
  size_t need = m->len + extra;
  /* Keep the load factor at or under 1/2: probes stay short. */
  if (need * 2 <= m->cap)
    return 0;
  size_t ncap = m->cap ? m->cap : 16;
  while (need * 2 > ncap)
    ncap *= 2;
  return rehash(m, a, ncap);
}

int cc_map_put(cc_map *m, const cc_alloc *a, const char *key, void *value)
{
  return cc_map_put_h(m, a, key, cc_hash_str(key), value);
}

int cc_map_put_h(cc_map *m, const cc_alloc *a, const char *key, uint64_t h, void *value)
{
  int rc = cc_map_reserve(m, a, 1);
  if (rc)
    return rc;
  size_t i = find_slot(m, key, h);
  m->slots[i].value = value;
  m->slots[i].hash = h;
  m->len++;
  return 0;
}

void *cc_map_del(cc_map *m, const char *key)
{
  if (!m->len)
    return NULL;
  uint64_t h = cc_hash_str(key);
  size_t mask = m->cap - 1;
  size_t i = find_slot(m, key, h);
  void *v = m->slots[i].value;
  if (!v)
    return NULL;
  /* Backward-shift: pull later entries of the probe run into the hole. */
  size_t j = i;
  for (;;) {
    j = (j + 1) & mask;
    if (!m->slots[j].value)
      break;
    size_t home = m->slots[j].hash & mask;
    int between = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
    if (between)
      continue;
    m->slots[i] = m->slots[j];
    i = j;
  }
  m->slots[i].value = NULL;
  m->len--;
  return v;
}

void *cc_map_next(const cc_map *m, size_t *i)
{
  while (*i < m->cap) {
    const cc_map_slot *s = &m->slots[(*i)++];
    if (s->value)
      return s->value;
  }
  return NULL;
}

size_t cc_map_memory(const cc_map *m)
{
  return m->cap * sizeof(cc_map_slot);
}

int cc_map_init_cap(cc_map *m, const cc_alloc *a, size_t cap)
{
  map_empty(m);
  if (cap == 0)
    return 0;
  if (cap < 16 || (cap & (cap - 1)) || cap > ((size_t)1 << 40))
    return CCENTER_ECORRUPT;
  m->slots = cc_calloc(a, cap, sizeof *m->slots);
  if (!m->slots)
    return CCENTER_ENOMEM;
  m->cap = cap;
  return 0;
}

int cc_map_place(cc_map *m, size_t idx, const char *key, void *value)
{
  if (idx >= m->cap || m->slots[idx].value || !key || !value || (m->len + 1) * 2 > m->cap)
    return CCENTER_ECORRUPT;
  m->slots[idx].value = value;
  m->slots[idx].hash = cc_hash_str(key);
  m->len++;
  return 0;
}

int cc_map_placed_ok(const cc_map *m)
{
  for (size_t i = 0; i < m->cap; i++) {
    const cc_map_slot *s = &m->slots[i];
    if (s->value && find_slot(m, cc_map_key(m, s->value), s->hash) != i)
      return CCENTER_ECORRUPT;
  }
  return 0;
}
