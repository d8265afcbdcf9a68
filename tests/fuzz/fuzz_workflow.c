/*
 * libFuzzer harness for the workflow text format (libccenter/workflow/def_text.c).
 *
 * Each input is a workflow text. Besides the sanitizers' checks, the harness asserts what
 * include/ccenter/workflow.h promises:
 *   - the result is 0 or CCENTER_ESYNTAX (no allocation fails here); on CCENTER_ESYNTAX
 *     the message is NUL-terminated and the line is within the text;
 *   - on success ccenter_workflow_check() answers 0 or CCENTER_ESYNTAX (a text may
 *     describe an incomplete workflow) with the same answer for the workflow read back
 *     from the canonical text, which writes the same text; the Graphviz form is written
 *     within the size asked for.
 * Build: meson setup with -Dfuzz=true and CC=clang (tests/fuzz/run.sh).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccenter/common.h"
#include "ccenter/workflow.h"

#define FUZZ_NAME "fuzz_workflow"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int write_text(const void *wf, char *buf, size_t size, size_t *needed)
{
  return ccenter_workflow_write(wf, buf, size, needed);
}

static int write_dot(const void *wf, char *buf, size_t size, size_t *needed)
{
  return ccenter_workflow_write_dot(wf, buf, size, needed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  ccenter_workflow *wf = NULL;
  ccenter_parse_error err = {.size = sizeof err};
  int rc = ccenter_workflow_parse(NULL, (const char *)data, size, "fuzz", &wf, &err);
  if (rc) {
    fuzz_parse_refused(rc, wf, &err, data, size);
    return 0;
  }
  int complete = ccenter_workflow_check(wf, &err);
  CHECK(complete == 0 || complete == CCENTER_ESYNTAX);
  char *text = fuzz_text(write_text, wf);
  ccenter_workflow *again = NULL;
  rc = ccenter_workflow_parse(NULL, text, strlen(text), "canonical", &again, &err);
  if (rc)
    fprintf(stderr, "fuzz_workflow: canonical text does not parse: %s\n%s\n", err.message,
            text);
  CHECK(rc == 0);
  char *text2 = fuzz_text(write_text, again);
  CHECK(strcmp(text, text2) == 0);
  CHECK(ccenter_workflow_check(again, NULL) == complete);
  char *dot = fuzz_text(write_dot, wf);
  free(dot);
  free(text2);
  free(text);
  ccenter_workflow_free(again);
  ccenter_workflow_free(wf);
  return 0;
}
