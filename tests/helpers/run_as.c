/* run_as: drops to UID/GID (no supplementary groups) and execs PROGRAM, for the guest tests of
 * tests/vm/guest/ (busybox has no setpriv). Statically linked so that it runs in any initramfs.
 *
 *   run_as UID GID PROGRAM [ARG...]
 * Exit status: PROGRAM's; 127 if it cannot be executed; 2 on usage or credential errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_id(const char *s, unsigned long *out) {
  char *end = NULL;
  errno = 0;
  *out = strtoul(s, &end, 10);
  return errno == 0 && end != s && *end == '\0';
}

int main(int argc, char **argv) {
  unsigned long uid, gid;
  if (argc < 4 || !parse_id(argv[1], &uid) || !parse_id(argv[2], &gid)) {
    fprintf(stderr, "usage: run_as UID GID PROGRAM [ARG...]\n");
    return 2;
  }
  if (setgroups(0, NULL) != 0 || setgid((gid_t)gid) != 0 || setuid((uid_t)uid) != 0) {
    fprintf(stderr, "run_as: cannot become %lu:%lu: %s\n", uid, gid, strerror(errno));
    return 2;
  }
  execvp(argv[3], argv + 3);
  fprintf(stderr, "run_as: %s: %s\n", argv[3], strerror(errno));
  return 127;
}
