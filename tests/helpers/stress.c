/* stress: the hard cases of reading a program's memory and of threads, one per sub-command.
 *
 *   race FROM OTHER ROUNDS   one thread flips a shared path buffer between FROM and OTHER while
 *                            another opens it ROUNDS times; prints how many opens read each
 *                            content line ("count CONTENT") and "errors N"
 *   pathmax PATH             opens PATH padded with "/./" to exactly PATH_MAX-1 bytes (fits), then
 *                            one byte longer (ENAMETOOLONG); prints both results
 *   mapend PATH              opens PATH whose NUL is the last byte of a mapping followed by an
 *                            unmapped page; then a string running into the unmapped page (EFAULT)
 *   threadexec PROG ARG...   a non-main thread chdirs to / (own fs struct) and execs PROG
 *   exitpending PATH N       N threads block opening PATH (a FIFO nobody writes), then exit_group(3)
 * Results are printed on stdout, one line each, so that supervised and unsupervised runs compare.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static char shared_path[PATH_MAX];
static volatile int stop;
static const char *from_path, *other_path;

static const char *result(long rc) {
  static char buf[64];
  if (rc >= 0) return "ok";
  snprintf(buf, sizeof buf, "ERR %s", strerrorname_np(errno));
  return buf;
}

static void *flipper(void *arg) {
  (void)arg;
  size_t a = strlen(from_path), b = strlen(other_path);
  while (!stop) {
    memcpy(shared_path, from_path, a + 1);
    memcpy(shared_path, other_path, b + 1);
  }
  return NULL;
}

static int race(int rounds) {
  memcpy(shared_path, from_path, strlen(from_path) + 1);
  pthread_t t;
  pthread_create(&t, NULL, flipper, NULL);
  char seen[16][128];
  int counts[16] = {0}, kinds = 0, errors = 0;
  for (int i = 0; i < rounds; i++) {
    int fd = open(shared_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errors++ < 5) printf("error %s\n", strerrorname_np(errno));
      continue;
    }
    char buf[128] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0) n = 0;
    buf[n] = 0;
    char *nl = strchr(buf, '\n');
    if (nl) *nl = 0;
    int k;
    for (k = 0; k < kinds; k++)
      if (!strcmp(seen[k], buf)) break;
    if (k == kinds && kinds < 16) strcpy(seen[kinds++], buf);
    counts[k]++;
  }
  stop = 1;
  pthread_join(t, NULL);
  for (int k = 0; k < kinds; k++) printf("%d %s\n", counts[k], seen[k]);
  printf("errors %d\n", errors);
  return 0;
}

static int pathmax(const char *path) {
  static char buf[PATH_MAX + 8];
  size_t len = strlen(path);
  /* "/./././...PATH": prefix of "/." pairs so that the total is exactly PATH_MAX-1 bytes. */
  size_t pad = PATH_MAX - 1 - len;
  if (path[0] != '/' || pad % 2 != 0) { /* make the parity work with one extra '/' */
    fprintf(stderr, "pathmax: PATH must be absolute with odd length\n");
    return 2;
  }
  for (size_t i = 0; i < pad; i += 2) memcpy(buf + i, "/.", 2);
  memcpy(buf + pad, path, len + 1);
  printf("len %zu %s\n", strlen(buf), result(syscall(SYS_openat, AT_FDCWD, buf, O_RDONLY)));
  memmove(buf + 1, buf, strlen(buf) + 1);
  buf[0] = '/';
  printf("len %zu %s\n", strlen(buf), result(syscall(SYS_openat, AT_FDCWD, buf, O_RDONLY)));
  return 0;
}

static int mapend(const char *path) {
  long page = sysconf(_SC_PAGESIZE);
  char *map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(map + page, (size_t)page);
  size_t len = strlen(path) + 1;
  char *s = map + page - len;
  memcpy(s, path, len);
  printf("end %s\n", result(syscall(SYS_openat, AT_FDCWD, s, O_RDONLY)));
  memcpy(s, path, len - 1);
  s[len - 1] = 'x'; /* no NUL before the unmapped page */
  printf("unterminated %s\n", result(syscall(SYS_openat, AT_FDCWD, s, O_RDONLY)));
  return 0;
}

static char **exec_argv;
static void *exec_thread(void *arg) {
  (void)arg;
  if (unshare(CLONE_FS) != 0 || chdir("/") != 0) { perror("chdir"); exit(1); }
  execvp(exec_argv[0], exec_argv);
  perror("exec");
  exit(127);
}

static const char *fifo_path;
static void *fifo_opener(void *arg) {
  (void)arg;
  open(fifo_path, O_RDONLY);
  return NULL;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc >= 5 && !strcmp(argv[1], "race")) {
    from_path = argv[2];
    other_path = argv[3];
    return race(atoi(argv[4]));
  }
  if (argc == 3 && !strcmp(argv[1], "pathmax")) return pathmax(argv[2]);
  if (argc == 3 && !strcmp(argv[1], "mapend")) return mapend(argv[2]);
  if (argc >= 3 && !strcmp(argv[1], "threadexec")) {
    exec_argv = argv + 2;
    pthread_t t;
    pthread_create(&t, NULL, exec_thread, NULL);
    pthread_join(t, NULL);
    return 1;
  }
  if (argc == 4 && !strcmp(argv[1], "exitpending")) {
    fifo_path = argv[2];
    int n = atoi(argv[3]);
    for (int i = 0; i < n; i++) {
      pthread_t t;
      pthread_create(&t, NULL, fifo_opener, NULL);
    }
    usleep(300000);
    printf("exiting\n");
    syscall(SYS_exit_group, 3);
  }
  fprintf(stderr, "stress: bad usage\n");
  return 2;
}
