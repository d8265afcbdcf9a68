/*
 * Adapter: a whole file read into memory, for the loaders of the text formats (calendars,
 * workflows) and of TZif zones. The parsers themselves do no I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ccenter/common.h"
#include "files/files.h"
#include "time/calendar_int.h"

int cc_read_file(const cc_alloc *a, const char *path, size_t max, char **out, size_t *len,
                 const char **what)
{
  const char *stage = "cannot open";
  FILE *f = fopen(path, "rb");
  if (!f) {
    if (what)
      *what = stage;
    return CCENTER_EIO;
  }
  stage = "cannot read";
  char *buf = NULL;
  size_t cap = 0, n = 0;
  int rc = 0;
  for (;;) {
    if (n == cap) {
      if (cap >= max + 1) {
        errno = EFBIG;
        rc = CCENTER_EIO;
        break;
      }
      if (cc_grow(a, (void **)&buf, &cap, n + 4096, 1)) {
        rc = CCENTER_ENOMEM;
        break;
      }
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) {
      if (ferror(f)) {
        errno = errno ? errno : EIO;
        rc = CCENTER_EIO;
      }
      break;
    }
  }
  int saved = errno;
  fclose(f);
  errno = saved;
  if (rc == 0 && n > max) {
    errno = EFBIG;
    rc = CCENTER_EIO;
  }
  if (rc) {
    if (rc == CCENTER_EIO && what)
      *what = saved == EFBIG || errno == EFBIG ? "too large" : stage;
    cc_free(a, buf);
    return rc;
  }
  *out = buf;
  *len = n;
  return 0;
}

int cc_read_text(const ccenter_options *opts, const char *path, size_t max, int detail,
                 cc_alloc *a, char **text, size_t *len, ccenter_parse_error *err)
{
  const char *what = "cannot read";
  cc_alloc_of(opts, a);
  errno = 0;
  int rc = cc_read_file(a, path, max, text, len, detail ? &what : NULL);
  if (rc == CCENTER_EIO) {
    if (detail && errno == EFBIG)
      cc_parse_error_set(err, path, 0, "larger than %zu bytes", max);
    else
      cc_parse_error_set(err, path, 0, "%s: %s", what, strerror(errno ? errno : EIO));
  }
  return rc;
}
