/*
 * The engine's objects and ids: how agents, queues and contacts are allocated (one block,
 * the id in front of the struct), what counts as a valid id, the interned strings and the
 * engine's deterministic random numbers.
 *
 * Separate because every other file allocates through it and none of it is a decision of
 * the state machine.
 */
#include "acd/engine_priv.h"

void *cc_eng_alloc(ccenter_engine *e, size_t n)
{
  void *p = cc_calloc(&e->alloc, 1, n);
  if (p)
    e->bytes += n;
  return p;
}

/* An agent, queue or contact comes in one block with its id string in front of it, padded
 * to 8 bytes: looking an object up by id compares the string next to the fields read
 * right after. Only the struct is counted here; the id is counted with the object's other
 * strings. */
static size_t id_pad(size_t len)
{
  return (len + 1 + 7) & ~(size_t)7; /* the structs need 8-byte alignment */
}

/* A zeroed block of pad + n bytes made an object: its id in front, its head filled in. The
 * block's pad bytes leave the engine's count (the id is counted with the strings). */
static cc_obj *obj_place(ccenter_engine *e, char *p, size_t pad, const char *id, size_t len,
                         void *user_data)
{
  e->bytes -= pad;
  memcpy(p, id, len + 1);
  cc_obj *o = (cc_obj *)(void *)(p + pad);
  o->id = p;
  o->user = user_data;
  return o;
}

/* The object (zeroed, head filled in), its id copied in front of it. */
void *cc_obj_new(ccenter_engine *e, size_t n, const char *id, void *user_data)
{
  size_t len = strlen(id), pad = id_pad(len);
  char *p = cc_eng_alloc(e, pad + n);
  return p ? obj_place(e, p, pad, id, len, user_data) : NULL;
}

/* Frees an object of struct size n by its id, the start of its block. */
void cc_obj_free(ccenter_engine *e, const char *id, size_t n)
{
  e->bytes -= n;
  cc_free(&e->alloc, (void *)(uintptr_t)id);
}

/* A contact: as cc_obj_new, but from the blocks freed contacts left when one of the id's
 * padding is kept (no allocator call, no page of fresh memory). */
void *cc_contact_obj_new(ccenter_engine *e, size_t n, const char *id, void *user_data)
{
  size_t len = strlen(id), pad = id_pad(len), k = pad / 8 - 1;
  if (k >= CC_CONTACT_SPARE_CLASSES || !e->spare_contacts[k])
    return cc_obj_new(e, n, id, user_data);
  char *p = e->spare_contacts[k];
  e->spare_contacts[k] = *(void **)(void *)p;
  e->n_spare_contacts[k]--;
  /* The block was counted whole, as cc_eng_alloc counts a new one. */
  memset(p + pad, 0, n);
  return obj_place(e, p, pad, id, len, user_data);
}

/* Frees a contact of struct size n by its id, or keeps its block for the next one. */
void cc_contact_obj_free(ccenter_engine *e, const char *id, size_t n)
{
  size_t pad = id_pad(strlen(id)), k = pad / 8 - 1;
  if (k >= CC_CONTACT_SPARE_CLASSES || e->n_spare_contacts[k] >= CC_CONTACT_SPARE_MAX) {
    cc_obj_free(e, id, n);
    return;
  }
  void *p = (void *)(uintptr_t)id;
  *(void **)p = e->spare_contacts[k];
  e->spare_contacts[k] = p;
  e->n_spare_contacts[k]++;
  e->bytes += pad;
}

void cc_contact_spares_free(ccenter_engine *e, size_t n)
{
  for (size_t k = 0; k < CC_CONTACT_SPARE_CLASSES; k++) {
    while (e->spare_contacts[k]) {
      void *p = e->spare_contacts[k];
      e->spare_contacts[k] = *(void **)p;
      e->bytes -= (k + 1) * 8 + n;
      cc_free(&e->alloc, p);
    }
    e->n_spare_contacts[k] = 0;
  }
}

void cc_eng_free(ccenter_engine *e, void *p, size_t n)
{
  if (p) {
    e->bytes -= n;
    cc_free(&e->alloc, p);
  }
}

int cc_valid_id(const char *s)
{
  return s && cc_id_len_ok(strnlen(s, CCENTER_MAX_ID + 1));
}

/* Interned strings (reasons, codes) live as long as the engine: events can point at them
 * without copies, and a reason set in one call stays valid while events of later calls
 * still name an older one. */
const char *cc_eng_intern(ccenter_engine *e, const char *s)
{
  const char *p = cc_map_get(&e->strings, s);
  if (p)
    return p;
  char *d = cc_strdup(&e->alloc, s);
  if (!d)
    return NULL;
  if (cc_map_put(&e->strings, &e->alloc, d, d)) {
    cc_free(&e->alloc, d);
    return NULL;
  }
  return d;
}

uint64_t cc_eng_random(ccenter_engine *e)
{
  /* xorshift64*: deterministic, so a journal replay makes the same random choices. */
  uint64_t x = e->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  e->rng = x;
  return x * 0x2545F4914F6CDD1Dull;
}
