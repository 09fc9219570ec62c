/* threaded_open THREADS ROUNDS PATH EXPECTED: every thread opens PATH (relative to the cwd of the
 * thread, see below) ROUNDS times and checks that the first bytes read equal EXPECTED.
 * One extra thread chdirs into its own directory (unshare(CLONE_FS)) first when CHDIR is set in the
 * environment, proving that look-ups use the calling thread's cwd. Exit 0 when every read matched,
 * 1 on a mismatch (printed), errno of a failed open. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *path, *expected;
static int rounds;
static volatile int failures;

static void *worker(void *arg) {
  const char *chdir_to = arg;
  if (chdir_to) {
    if (unshare(CLONE_FS) != 0 || chdir(chdir_to) != 0) { perror("chdir thread"); failures++; return NULL; }
  }
  size_t len = strlen(expected);
  char buf[256];
  for (int i = 0; i < rounds; i++) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { fprintf(stderr, "open %s: %s\n", path, strerror(errno)); failures++; return NULL; }
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n < (ssize_t)len || memcmp(buf, expected, len) != 0) {
      fprintf(stderr, "mismatch: got '%.*s'\n", (int)(n < 0 ? 0 : n), buf);
      failures++;
      return NULL;
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 5) { fprintf(stderr, "usage: threaded_open THREADS ROUNDS PATH EXPECTED\n"); return 2; }
  int threads = atoi(argv[1]);
  rounds = atoi(argv[2]);
  path = argv[3];
  expected = argv[4];
  pthread_t t[256];
  const char *chdir_to = getenv("CHDIR");
  for (int i = 0; i < threads && i < 256; i++) pthread_create(&t[i], NULL, worker, (i == 0 && chdir_to) ? (void *)chdir_to : NULL);
  for (int i = 0; i < threads && i < 256; i++) pthread_join(t[i], NULL);
  printf("%d threads x %d opens: %s\n", threads, rounds, failures ? "FAIL" : "ok");
  return failures ? 1 : 0;
}
