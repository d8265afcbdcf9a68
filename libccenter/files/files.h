/* Internal: what the file loaders (files/) share. The only part of the library besides the
 * uv and store adapters that does I/O; the domain modules never include it. */
#ifndef CC_FILES_FILES_H
#define CC_FILES_FILES_H

#include <stddef.h>

#include "ccenter/calendar.h"
#include "core/options.h"

/* Reads a whole file with stdio into memory from `a`. 0; CCENTER_EIO with errno saying
 * why (EFBIG for a file larger than max) and *what (may be NULL) "cannot open",
 * "cannot read" or "too large"; or CCENTER_ENOMEM. */
int cc_read_file(const cc_alloc *a, const char *path, size_t max, char **out, size_t *len,
                 const char **what);

/* A text file read whole with the allocator of opts, for a parser: 0 with *text (free it
 * with *a) and *len; CCENTER_EIO with err saying why at `path:0` ("cannot read: " and the
 * system's reason; with detail, "cannot open" apart and "larger than max bytes"), or
 * CCENTER_ENOMEM. */
int cc_read_text(const ccenter_options *opts, const char *path, size_t max, int detail,
                 cc_alloc *a, char **text, size_t *len, ccenter_parse_error *err);

#endif
