/* Internal: small arithmetic and copying helpers shared by the domain modules. */
#ifndef CC_CORE_UTIL_H
#define CC_CORE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

#endif
