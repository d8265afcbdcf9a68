/*
 * Adapter: reads a workflow file and hands its text to the parser, which does no I/O
 * itself.
 */
#include <errno.h>
#include <string.h>

#include "ccenter/workflow.h"
#include "core/options.h"
#include "files/files.h"
#include "time/calendar_int.h"

/* Workflow files are small; anything larger is not one. */
#define WF_FILE_MAX (4u << 20)

int ccenter_workflow_load_file(const ccenter_options *opts, const char *path,
                               ccenter_workflow **out, ccenter_parse_error *err)
{
  if (!path || !out)
    return CCENTER_EINVAL;
  cc_alloc a;
  char *text = NULL;
  size_t len = 0;
  int rc = cc_read_text(opts, path, WF_FILE_MAX, 1, &a, &text, &len, err);
  if (rc)
    return rc;
  rc = ccenter_workflow_parse(opts, text, len, path, out, err);
  cc_free(&a, text);
  return rc;
}
