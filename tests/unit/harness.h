/*
 * Shared by every Check suite: TAP output on stdout, one executable per module.
 * A suite file defines `Suite *make_suite(void)` and ends with CC_TEST_MAIN().
 */
#ifndef CC_TEST_HARNESS_H
#define CC_TEST_HARNESS_H

#include <check.h>
#include <stdlib.h>

#define CC_TEST_MAIN()                                       \
  int main(void)                                             \
  {                                                          \
    SRunner *sr = srunner_create(make_suite());              \
    srunner_set_tap(sr, "-");                                \
    srunner_run_all(sr, CK_SILENT);                          \
    int failed = srunner_ntests_failed(sr);                  \
    srunner_free(sr);                                        \
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;             \
  }

Suite *make_suite(void);

#endif
