/*
 * Adapter: reads a workflow file with stdio and hands its text to the parser, which does
 * no I/O itself.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ccenter/workflow.h"
#include "core/options.h"
#include "time/calendar_int.h"
#include "workflow/def_int.h"

/* Workflow files are small; anything larger is not one. */
#define WF_FILE_MAX (4u << 20)

int ccenter_workflow_load_file(const ccenter_options *opts, const char *path,
                               ccenter_workflow **out, ccenter_parse_error *err)
{
  if (!path || !out)
    return CCENTER_EINVAL;
  cc_alloc a;
  cc_alloc_of(opts, &a);
  FILE *f = fopen(path, "rb");
  if (!f) {
    cc_parse_error_set(err, path, 0, "cannot open: %s", strerror(errno));
    return CCENTER_EIO;
  }
  size_t cap = 4096, len = 0;
  char *text = cc_malloc(&a, cap);
  int rc = text ? 0 : CCENTER_ENOMEM;
  while (!rc) {
    if (len == cap) {
      char *t = cap < WF_FILE_MAX ? cc_realloc(&a, text, cap * 2) : NULL;
      if (!t) {
        rc = cap < WF_FILE_MAX ? CCENTER_ENOMEM : CCENTER_EIO;
        if (rc == CCENTER_EIO)
          cc_parse_error_set(err, path, 0, "larger than %u bytes", WF_FILE_MAX);
        break;
      }
      text = t;
      cap *= 2;
    }
    size_t got = fread(text + len, 1, cap - len, f);
    len += got;
    if (got == 0) {
      if (ferror(f)) {
        cc_parse_error_set(err, path, 0, "cannot read: %s", strerror(errno));
        rc = CCENTER_EIO;
      }
      break;
    }
  }
  fclose(f);
  if (!rc)
    rc = ccenter_workflow_parse(opts, text, len, path, out, err);
  cc_free(&a, text);
  return rc;
}
