/* held_open: one open that the kernel (or the supervisor) may hold, and what became of it.
 *
 *   held_open PATH MODE [ALARM]
 *
 * MODE: norestart  SIGALRM handler without SA_RESTART, alarm(ALARM) before the open
 *       restart    the same handler with SA_RESTART
 *       usr1       a SIGUSR1 handler with SA_RESTART, no alarm (the test sends SIGUSR1)
 *       lease      PATH is a regular file: take a read lease on it (F_SETLEASE) through a
 *                  read-only descriptor, with a SIGIO handler that drops the lease; then open PATH
 *                  for writing, which must break the lease first
 * It prints "pid N" first (flushed), then e.g. "open: ok after 2.0 s, 1 signal(s)" or
 * "open: EINTR after 1.0 s, 1 signal(s)" (tenths of a second), and exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t g_signals;
static int g_lease_fd = -1;

static void on_signal(int sig) {
  (void)sig;
  ++g_signals;
}

static void on_sigio(int sig) {
  (void)sig;
  ++g_signals;
  if (g_lease_fd >= 0) fcntl(g_lease_fd, F_SETLEASE, F_UNLCK);
}

static void handle(int sig, void (*fn)(int), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = fn;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, NULL);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: held_open PATH norestart|restart|usr1|lease [ALARM]\n");
    return 2;
  }
  const char* path = argv[1];
  const char* mode = argv[2];
  int flags = O_RDONLY;
  printf("pid %d\n", (int)getpid());
  fflush(stdout);
  if (strcmp(mode, "norestart") == 0 || strcmp(mode, "restart") == 0) {
    handle(SIGALRM, on_signal, strcmp(mode, "restart") == 0 ? SA_RESTART : 0);
    alarm(argc > 3 ? (unsigned)atoi(argv[3]) : 1);
  } else if (strcmp(mode, "usr1") == 0) {
    handle(SIGUSR1, on_signal, SA_RESTART);
  } else if (strcmp(mode, "lease") == 0) {
    handle(SIGIO, on_sigio, SA_RESTART);
    g_lease_fd = open(path, O_RDONLY);
    if (g_lease_fd < 0 || fcntl(g_lease_fd, F_SETLEASE, F_RDLCK) != 0) {
      printf("lease: %s\n", strerror(errno));
      return 1;
    }
    flags = O_WRONLY;
  } else {
    return 2;
  }
  const double t0 = now();
  const int fd = open(path, flags);
  const int err = errno;
  const double dt = now() - t0;
  if (fd >= 0) printf("open: ok after %.1f s, %d signal(s)\n", dt, (int)g_signals);
  else printf("open: %s after %.1f s, %d signal(s)\n", strerrorname_np(err), dt, (int)g_signals);
  return 0;
}
