/* Internal: small arithmetic and copying helpers shared by the domain modules. */
#ifndef CC_CORE_UTIL_H
#define CC_CORE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Starts fetching the cache line at p (a hint: p need not be valid, nothing is read). */
#if defined(__GNUC__)
#define CC_PREFETCH(p) __builtin_prefetch(p)
#else
#define CC_PREFETCH(p) ((void)(p))
#endif

/* A function's rare path kept out of line, so that the common path inlined into its
 * callers does not pay for the registers the rare one needs. */
#if defined(__GNUC__)
#define CC_NOINLINE __attribute__((noinline))
#else
#define CC_NOINLINE
#endif

/* The end of an array of n elements at p, where p may be NULL when n is 0: NULL + 0 is
 * undefined in C (clang's UBSan reports it), so an empty array ends where it starts. */
#define CC_END(p, n) ((n) ? (p) + (n) : (p))

/* a / b rounded towards minus infinity (b != 0). */
static inline int64_t cc_fdiv(int64_t a, int64_t b)
{
  int64_t q = a / b;
  if ((a % b) != 0 && ((a < 0) != (b < 0)))
    q--;
  return q;
}

/* Copies a public struct that begins with its size_t `size` (the ABI's extension rule):
 * the fields both versions have, after the size field; dst keeps its own size. */
static inline void cc_copy_sized(void *dst, size_t dst_size, const void *src, size_t src_size)
{
  size_t n = dst_size < src_size ? dst_size : src_size;
  memcpy((char *)dst + sizeof(size_t), (const char *)src + sizeof(size_t), n - sizeof(size_t));
}

/* The end of a struct's member: a struct's first version ends at its last member then. */
#define CC_END_OF(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))

/* The one place that applies docs/ABI.md's rule for structs that begin with their size.
 *
 * Out (info structs): the library filled `src` (its own sizeof in src->size); the caller's
 * struct `dst` says its size in its first field. A caller built against an older, smaller
 * struct gets the fields it knows; one built against a newer, larger one gets its unknown
 * tail zeroed. Sizes below min_size (the struct's first version) are refused. */
static inline int cc_struct_out(void *dst, const void *src, size_t min_size)
{
  size_t have, ours;
  memcpy(&have, dst, sizeof have);
  memcpy(&ours, src, sizeof ours);
  if (have < min_size)
    return -1;
  cc_copy_sized(dst, have, src, ours);
  if (have > ours)
    memset((char *)dst + ours, 0, have - ours);
  return 0;
}

/* In (params structs): `dst` holds the library's defaults (dst_size its sizeof); the
 * caller's `src` overrides the fields its version has. Accepted sizes: min_size (the
 * struct's first version), dst_size, or larger with an all-zero unknown tail (a newer
 * caller asking for nothing this library lacks); anything else is malformed. */
static inline int cc_struct_in(void *dst, size_t dst_size, const void *src, size_t min_size)
{
  size_t have;
  memcpy(&have, src, sizeof have);
  if (have != min_size && have < dst_size)
    return -1;
  for (size_t i = dst_size; i < have; i++)
    if (((const unsigned char *)src)[i])
      return -1;
  cc_copy_sized(dst, dst_size, src, have);
  return 0;
}

/* Back in (a struct the library filled and the caller hands back, as statistics to a KPI
 * function): the fields the caller's version has, zeros for the rest, a newer caller's
 * extra fields ignored. `dst` gets its own size. Sizes below min_size are refused. */
static inline int cc_struct_read(void *dst, size_t dst_size, const void *src, size_t min_size)
{
  size_t have;
  memcpy(&have, src, sizeof have);
  if (have < min_size)
    return -1;
  memset(dst, 0, dst_size);
  memcpy(dst, &dst_size, sizeof dst_size);
  cc_copy_sized(dst, dst_size, src, have);
  return 0;
}

#endif
