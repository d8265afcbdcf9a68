/*
 * ccenter-wf-dot: reads a workflow file and prints its Graphviz digraph, after the same
 * completeness check the case engine runs, so a picture is never drawn of a workflow the
 * engine would refuse.
 *
 *   ccenter-wf-dot [--text] FILE    --text prints the canonical text form instead
 *
 * Render with: ccenter-wf-dot cn-telecom-fraud.wf | dot -Tsvg > cn-telecom-fraud.svg
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccenter/workflow.h"

int main(int argc, char **argv)
{
  int text = argc == 3 && strcmp(argv[1], "--text") == 0;
  if (argc != 2 + text || argv[1 + text][0] == '-') {
    fprintf(stderr, "usage: %s [--text] FILE\n", argv[0]);
    return 2;
  }
  ccenter_parse_error err = {.size = sizeof err};
  ccenter_workflow *wf = NULL;
  int rc = ccenter_workflow_load_file(NULL, argv[1 + text], &wf, &err);
  if (rc == 0 && (rc = ccenter_workflow_check(wf, &err)) != 0)
    ccenter_workflow_free(wf);
  if (rc) {
    fprintf(stderr, "%s: %s\n", argv[0],
            rc == CCENTER_ESYNTAX || rc == CCENTER_EIO ? err.message : ccenter_strerror(rc));
    return 1;
  }
  size_t need = 0;
  int (*write)(const ccenter_workflow *, char *, size_t, size_t *) =
      text ? ccenter_workflow_write : ccenter_workflow_write_dot;
  write(wf, NULL, 0, &need);
  char *buf = malloc(need + 1);
  if (!buf || write(wf, buf, need + 1, NULL) != 0) {
    fprintf(stderr, "%s: out of memory\n", argv[0]);
    free(buf);
    ccenter_workflow_free(wf);
    return 1;
  }
  int bad = fputs(buf, stdout) == EOF || fflush(stdout) != 0;
  if (bad)
    fprintf(stderr, "%s: cannot write the output\n", argv[0]);
  free(buf);
  ccenter_workflow_free(wf);
  return bad;
}
