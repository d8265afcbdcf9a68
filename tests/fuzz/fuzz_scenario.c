/*
 * libFuzzer harness for ccenter-sim's scenario parser (examples/simulate/scenario.c).
 *
 * Each input is written to a scenario file in a private temporary directory, then loaded
 * with scenario_load and, when that succeeds, checked with scenario_finish, as ccenter-sim
 * does before a run; everything is freed with scenario_free (leaks are findings too).
 * The directory holds times.txt, so "dist=empirical:times.txt" loads a real file. Inputs
 * that name an empirical file with a '/' in it are skipped: they could reach /dev/zero or
 * a FIFO and hang the fuzzer without saying anything about the parser.
 * Build: meson setup with -Dfuzz=true and CC=clang (tests/fuzz/run.sh).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim.h"

#define FUZZ_NAME "fuzz_scenario"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static char scn_path[128];
static FILE *devnull;

static void remove_dir(void)
{
  char p[160];
  snprintf(p, sizeof p, "%s/times.txt", dir);
  unlink(p);
  unlink(scn_path);
  rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  fuzz_tmpdir(dir, sizeof dir, "ccfuzz-scn");
  snprintf(scn_path, sizeof scn_path, "%s/input.scn", dir);
  char p[160];
  snprintf(p, sizeof p, "%s/times.txt", dir);
  FILE *f = fopen(p, "w");
  if (!f) {
    perror("fuzz_scenario: times.txt");
    abort();
  }
  fputs("# handle times, seconds\n30\n95.5\n180\n\n600 # long\n", f);
  fclose(f);
  atexit(remove_dir);
  /* Set FUZZ_SCENARIO_VERBOSE=1 to see the parser's messages. */
  devnull = getenv("FUZZ_SCENARIO_VERBOSE") ? stderr : fopen("/dev/null", "w");
  if (!devnull)
    abort();
  return 0;
}

/* "empirical" somewhere and a '/' somewhere: skipped (see above). */
static int names_outside_file(const uint8_t *data, size_t size)
{
  static const char word[] = "empirical";
  if (!memchr(data, '/', size))
    return 0;
  for (size_t i = 0; i + sizeof word - 1 <= size; i++)
    if (memcmp(data + i, word, sizeof word - 1) == 0)
      return 1;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (names_outside_file(data, size))
    return 0;
  FILE *f = fopen(scn_path, "wb");
  if (!f)
    abort();
  if (size && fwrite(data, 1, size, f) != size)
    abort();
  fclose(f);

  scenario sc;
  scenario_init(&sc);
  if (scenario_load(&sc, scn_path, devnull) == 0)
    (void)scenario_finish(&sc, devnull);
  scenario_free(&sc);
  return 0;
}
