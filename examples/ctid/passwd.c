/*
 * ccenter-passwd: prints the stored form of a secret for ctid's configuration
 * (`secret = ...` in a [principal] section; docs/ctid.md, "Credentials").
 *
 *   ccenter-passwd [--iterations N] < file-with-the-secret
 *
 * The secret is the first line of standard input (without its line end). On a terminal
 * the echo is turned off while it is typed. Exit status 0, or 2 on a usage error, 1 when
 * the secret cannot be read or hashed.
 */
#include "auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

static int usage(void)
{
  fprintf(stderr, "usage: ccenter-passwd [--iterations N] < secret\n"
                  "  prints pbkdf2-sha256$N$SALT$HASH for the first line of standard input\n"
                  "  N: %u..%u, default %u\n",
          CTID_PBKDF2_MIN_ITER, CTID_PBKDF2_MAX_ITER, CTID_PBKDF2_DEFAULT_ITER);
  return 2;
}

/* Reads the first line of stdin into buf (at most CTID_SECRET_MAX bytes). Length or -1. */
static long read_secret(char *buf, size_t size)
{
  struct termios saved;
  int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
  if (tty) {
    struct termios quiet = saved;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    fputs("secret: ", stderr);
    (void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  long n = -1;
  if (fgets(buf, (int)size, stdin)) {
    size_t len = strlen(buf);
    int whole = len > 0 && buf[len - 1] == '\n';
    if (whole)
      buf[--len] = '\0';
    if (len > 0 && buf[len - 1] == '\r')
      buf[--len] = '\0';
    /* A line longer than the limit is refused rather than cut: a cut secret would not be
       the one the user meant. */
    if ((whole || feof(stdin)) && len <= CTID_SECRET_MAX)
      n = (long)len;
  }
  if (tty) {
    (void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    fputc('\n', stderr);
  }
  return n;
}

int main(int argc, char **argv)
{
  unsigned long iter = CTID_PBKDF2_DEFAULT_ITER;
  for (int i = 1; i < argc; i++) {
    if ((strcmp(argv[i], "--iterations") == 0 || strcmp(argv[i], "-i") == 0) && i + 1 < argc) {
      char *end;
      errno = 0;
      iter = strtoul(argv[++i], &end, 10);
      if (errno || *end || argv[i][0] < '0' || argv[i][0] > '9' ||
          iter < CTID_PBKDF2_MIN_ITER || iter > CTID_PBKDF2_MAX_ITER)
        return usage();
    } else {
      return usage();
    }
  }
  char secret[CTID_SECRET_MAX + 3];
  long len = read_secret(secret, sizeof secret);
  if (len < 0) {
    fprintf(stderr, "ccenter-passwd: no secret read (one line of at most %d bytes)\n",
            CTID_SECRET_MAX);
    return 1;
  }
  if (len == 0) {
    fputs("ccenter-passwd: the secret is empty\n", stderr);
    return 1;
  }
  char out[CTID_STORED_MAX];
  int rc = ctid_hash_secret(secret, (size_t)len, (uint32_t)iter, out, sizeof out);
  OPENSSL_cleanse(secret, sizeof secret);
  if (rc) {
    fputs("ccenter-passwd: hashing failed\n", stderr);
    return 1;
  }
  puts(out);
  return 0;
}
