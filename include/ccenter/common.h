/*
 * libccenter — common definitions: export macro, error codes, version.
 *
 * Thread safety: nothing in libccenter is thread-safe except where stated. One engine is
 * used from one thread at a time; several engines may live in one process and do not
 * interact. The functions in this header are safe from any thread.
 */
#ifndef CCENTER_COMMON_H
#define CCENTER_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "ccenter/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Marks a function that is part of the ABI. Everything else is hidden. */
#if defined(_WIN32)
#  define CCENTER_EXPORT
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define CCENTER_EXPORT __attribute__((visibility("default")))
#else
#  define CCENTER_EXPORT
#endif

/**
 * The error table. Every failing libccenter function returns one of these negative codes
 * (or NULL, documented per function), and a function that fails changes nothing: the
 * engine, the object and every output argument are as they were before the call.
 *
 * Codes are stable: a code is never renumbered or reused; new codes are appended.
 */
#define CCENTER_ERRNO_MAP(XX)                                                      \
  XX(EINVAL, -1, "invalid argument")                                               \
  XX(ENOMEM, -2, "out of memory")                                                  \
  XX(ENOENT, -3, "no such object")                                                 \
  XX(EEXIST, -4, "an object with that id already exists")                          \
  XX(ESTATE, -5, "not allowed in the current state")                               \
  XX(ETIME, -6, "time went backwards")                                             \
  XX(EFULL, -7, "a limit was reached")                                            \
  XX(ECAPACITY, -8, "no free capacity on that channel")                            \
  XX(EBUSY, -9, "object is in use")                                                \
  XX(ECALLBACK, -10, "not allowed from inside the event callback")                 \
  XX(ERANGE, -11, "value out of range")                                            \
  XX(ESYNTAX, -12, "syntax error")                                                 \
  XX(ENOTSUP, -13, "not supported by this build")                                  \
  XX(EIO, -14, "input/output error")                                               \
  XX(ECORRUPT, -15, "data is corrupt")                                             \
  XX(ENOAGENTS, -16, "the queue has no agent who could serve it")                  \
  XX(ENOSOLUTION, -17, "no value satisfies the constraints")                      \
  XX(EPERM, -18, "the actor is not allowed to do this")                            \
  XX(ECONDITION, -19, "a condition of the transition is not met")                 \
  XX(ENEWER, -20, "written by a newer version of libccenter")                      \
  XX(ENOSPC, -21, "no space left on the device")

/** Error codes. 0 is success; every error is negative. */
typedef enum ccenter_errno {
  CCENTER_OK = 0,
#define CCENTER_ERR_ENUM_(name, code, text) CCENTER_##name = (code),
  CCENTER_ERRNO_MAP(CCENTER_ERR_ENUM_)
#undef CCENTER_ERR_ENUM_
  CCENTER_ERRNO_END_ = -22 /* one past the last code; not an error */
} ccenter_errno;

/**
 * A human-readable description of an error code, for example "a limit was reached".
 * Returns "success" for 0 and "unknown error" for a code not in the table.
 * The string is static. Never fails. Since 0.1.
 */
CCENTER_EXPORT const char *ccenter_strerror(int err);

/**
 * The symbolic name of an error code, for example "CCENTER_EFULL".
 * Returns "CCENTER_OK" for 0 and "CCENTER_EUNKNOWN" for a code not in the table.
 * The string is static. Never fails. Since 0.1.
 */
CCENTER_EXPORT const char *ccenter_err_name(int err);

/**
 * The run-time library version as CCENTER_VERSION_HEX (0xMMmmpp). Compare it with the
 * compile-time CCENTER_VERSION_HEX to detect a different shared library. Since 0.1.
 */
CCENTER_EXPORT unsigned ccenter_version(void);

/** The run-time library version as text, for example "0.1.0". Static. Since 0.1. */
CCENTER_EXPORT const char *ccenter_version_string(void);

#ifdef __cplusplus
}
#endif
#endif /* CCENTER_COMMON_H */
