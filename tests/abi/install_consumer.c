/*
 * A program built the way an integrator builds one: installed headers, pkg-config flags,
 * the installed shared library. Prints the run-time library version.
 */
#include <ccenter/ccenter.h>
#include <stdio.h>

int main(void)
{
  if (ccenter_version() != CCENTER_VERSION_HEX) {
    fprintf(stderr, "headers are %s but the library is %s\n", CCENTER_VERSION_STRING,
            ccenter_version_string());
    return 1;
  }
  printf("libccenter %s\n", ccenter_version_string());
  return 0;
}
