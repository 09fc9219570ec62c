/* limits: a program that runs into the kernel's limits, or makes many calls the supervisor holds.
 *
 *   limits openers PATH N   prints "ready" and waits for a line on stdin; forks N children that
 *                           each open PATH for reading (a FIFO nobody writes: each open is held);
 *                           prints "forked N" and waits for a line; kills the children (SIGKILL),
 *                           reaps them and prints "killed K, exited E" (K died of SIGKILL, E
 *                           returned from their open, followed by "(the last: ERRNO)" when E > 0);
 *                           opens PATH itself as nproc does below and prints the result; waits
 *                           for a line; exits 0
 *   limits nofile PATH      opens PATH for reading, keeping every descriptor, until an open fails;
 *                           prints "opened K, then ERRNO"; exits 23
 *   limits nproc PATH       opens PATH (a FIFO nobody writes) for reading with a SIGALRM handler
 *                           without SA_RESTART and a 0.3 s timer, and prints "open: ERRNO after
 *                           S s"; then forks children that wait (pause) until a fork fails and
 *                           prints "forked K, then ERRNO"; opens PATH the same way; kills one
 *                           child, opens PATH again; kills the others, opens PATH again; exits 23
 * The results are printed one line each, so that native and supervised runs compare; exit 23
 * (not 0) says that the status seen is the program's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { kStatus = 23, kMaxChildren = 100000 };

static pid_t g_children[kMaxChildren];
static int g_count;
static int g_exit_errno; /* the last exited child's status: the errno of its open, 0 if it opened */

static void on_alarm(int sig) { (void)sig; }

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const char* err_name(int err) { return err == 0 ? "ok" : strerrorname_np(err); }

static void wait_for_line(void) {
  char line[64];
  if (!fgets(line, sizeof line, stdin)) exit(1);
}

/* Kills every child and reaps it; counts those that died of SIGKILL. */
static int kill_children(int* exited) {
  int killed = 0;
  *exited = 0;
  for (int i = 0; i < g_count; ++i) kill(g_children[i], SIGKILL);
  for (int i = 0; i < g_count; ++i) {
    int status = 0;
    if (waitpid(g_children[i], &status, 0) < 0) continue;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
      ++killed;
    } else {
      ++*exited;
      g_exit_errno = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    }
  }
  g_count = 0;
  return killed;
}

static void timed_open(const char* path);

static int openers(const char* path, int n) {
  printf("ready\n");
  fflush(stdout);
  wait_for_line();
  for (; g_count < n; ++g_count) {
    const pid_t pid = fork();
    if (pid < 0) {
      printf("fork: %s\n", err_name(errno));
      int exited = 0;
      kill_children(&exited);
      return 1;
    }
    if (pid == 0) _exit(open(path, O_RDONLY) < 0 ? errno : 0);
    g_children[g_count] = pid;
  }
  printf("forked %d\n", n);
  fflush(stdout);
  wait_for_line();
  int exited = 0;
  const int killed = kill_children(&exited);
  if (exited > 0) printf("killed %d, exited %d (the last: %s)\n", killed, exited, err_name(g_exit_errno));
  else printf("killed %d, exited 0\n", killed);
  fflush(stdout);
  timed_open(path);
  wait_for_line();
  return 0;
}

static int nofile(const char* path) {
  int opened = 0;
  while (open(path, O_RDONLY) >= 0) ++opened;
  printf("opened %d, then %s\n", opened, err_name(errno));
  return kStatus;
}

static void set_timer(long usec) {
  struct itimerval t;
  memset(&t, 0, sizeof t);
  t.it_value.tv_usec = usec;
  setitimer(ITIMER_REAL, &t, NULL);
}

/* One open of the FIFO that a SIGALRM 0.3 s later interrupts (no SA_RESTART). */
static void timed_open(const char* path) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  set_timer(300000);
  const double t0 = now();
  const int fd = open(path, O_RDONLY);
  const int err = fd < 0 ? errno : 0;
  set_timer(0);
  printf("open: %s after %.1f s\n", err_name(err), now() - t0);
  fflush(stdout);
  if (fd >= 0) close(fd);
}

static int nproc(const char* path) {
  timed_open(path);
  for (;;) {
    if (g_count == kMaxChildren) return 1;
    const pid_t pid = fork();
    if (pid < 0) break;
    if (pid == 0) {
      pause();
      _exit(0);
    }
    g_children[g_count++] = pid;
  }
  printf("forked %d, then %s\n", g_count, err_name(errno));
  fflush(stdout);
  timed_open(path);
  if (g_count > 0) {
    --g_count;
    kill(g_children[g_count], SIGKILL);
    waitpid(g_children[g_count], NULL, 0);
  }
  timed_open(path);
  int exited = 0;
  kill_children(&exited);
  timed_open(path);
  return kStatus;
}

int main(int argc, char** argv) {
  if (argc == 4 && strcmp(argv[1], "openers") == 0) return openers(argv[2], atoi(argv[3]));
  if (argc == 3 && strcmp(argv[1], "nofile") == 0) return nofile(argv[2]);
  if (argc == 3 && strcmp(argv[1], "nproc") == 0) return nproc(argv[2]);
  fprintf(stderr, "usage: limits openers PATH N | nofile PATH | nproc PATH\n");
  return 2;
}
