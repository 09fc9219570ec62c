/* The benchmark's C micro-loop (issue 6).
 *
 *   workload MODE CALLS [THREADS [PATH]]
 *
 * MODE: getppid      getppid() CALLS times
 *       openclose    open(PATH, O_RDONLY) + close() of an existing file (PATH)
 *       openmissing  open(PATH, O_RDONLY) of a file that does not exist (PATH)
 *       openat2missing  the same with the openat2 system call, which neither the loader nor libc
 *                    uses (so a rule can fault every openat2 and the program still starts)
 * CALLS are split evenly across THREADS (1 by default) threads, which start together after a short
 * warm-up. Prints one line:
 *   ns_per_call=<wall time / CALLS> calls=<CALLS> threads=<THREADS> errors=<unexpected results>
 * so that with several threads the number is the inverse of the aggregate throughput.
 *
 * With WORKLOAD_PAUSE_AT=N1,N2,... (one thread only) the loop stops after N1, N2, ... calls, prints
 * "ready N" on stdout and waits for one byte on stdin before going on: the runner reads the
 * supervisor's /proc/PID/status meanwhile.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

enum mode { MODE_GETPPID, MODE_OPENCLOSE, MODE_OPENMISSING, MODE_OPENAT2MISSING };

static enum mode g_mode;
static const char* g_path = "/etc/hostname";
static long g_per_thread;
static pthread_barrier_t g_start;
static atomic_long g_errors;
static long g_pause_at[16];
static int g_pause_count;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One call of the mode; returns 1 when the result is not the expected one. */
static inline int one_call(void) {
  switch (g_mode) {
    case MODE_GETPPID:
      return getppid() <= 0;
    case MODE_OPENCLOSE: {
      const int fd = open(g_path, O_RDONLY);
      if (fd < 0) return 1;
      close(fd);
      return 0;
    }
    case MODE_OPENMISSING: {
      const int fd = open(g_path, O_RDONLY);
      if (fd >= 0) {
        close(fd);
        return 1;
      }
      return errno != ENOENT;
    }
    case MODE_OPENAT2MISSING: {
      struct open_how how = {.flags = O_RDONLY};
      const long fd = syscall(SYS_openat2, AT_FDCWD, g_path, &how, sizeof how);
      if (fd >= 0) {
        close((int)fd);
        return 1;
      }
      return errno != ENOENT;
    }
  }
  return 1;
}

static void pause_here(long done) {
  printf("ready %ld\n", done);
  fflush(stdout);
  char c;
  while (read(0, &c, 1) < 0 && errno == EINTR) {
  }
}

struct span {
  uint64_t start, end;
};

static void* run(void* arg) {
  struct span* s = arg;
  long errors = 0;
  /* Warm-up: the supervisor's first calls (page faults, lazy set-up) stay out of the timing. */
  const long warm = g_per_thread / 50 < 200 ? g_per_thread / 50 : 200;
  for (long i = 0; i < warm; ++i) errors += one_call();
  pthread_barrier_wait(&g_start);
  s->start = now_ns();
  long done = 0;
  for (int p = 0; p <= g_pause_count; ++p) {
    const long until = p < g_pause_count && g_pause_at[p] < g_per_thread ? g_pause_at[p] : g_per_thread;
    for (; done < until; ++done) errors += one_call();
    if (p < g_pause_count && g_pause_at[p] <= g_per_thread) pause_here(done);
  }
  s->end = now_ns();
  atomic_fetch_add(&g_errors, errors);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: workload getppid|openclose|openmissing|openat2missing CALLS [THREADS [PATH]]\n");
    return 2;
  }
  if (strcmp(argv[1], "getppid") == 0) g_mode = MODE_GETPPID;
  else if (strcmp(argv[1], "openclose") == 0) g_mode = MODE_OPENCLOSE;
  else if (strcmp(argv[1], "openmissing") == 0 || strcmp(argv[1], "openat2missing") == 0) {
    g_mode = argv[1][6] == '2' ? MODE_OPENAT2MISSING : MODE_OPENMISSING; /* "openat2..." */
    g_path = "/nonexistent-sysvisor-bench/missing";
  } else {
    fprintf(stderr, "workload: unknown mode '%s'\n", argv[1]);
    return 2;
  }
  const long calls = atol(argv[2]);
  const int threads = argc > 3 ? atoi(argv[3]) : 1;
  if (argc > 4) g_path = argv[4];
  if (calls <= 0 || threads < 1 || threads > 64) {
    fprintf(stderr, "workload: bad CALLS or THREADS\n");
    return 2;
  }
  const char* pause = getenv("WORKLOAD_PAUSE_AT");
  if (pause != NULL && *pause != '\0') {
    if (threads != 1) {
      fprintf(stderr, "workload: WORKLOAD_PAUSE_AT needs one thread\n");
      return 2;
    }
    for (char* p = (char*)pause; *p != '\0' && g_pause_count < 16;) {
      g_pause_at[g_pause_count++] = strtol(p, &p, 10);
      if (*p == ',') ++p;
    }
  }
  g_per_thread = calls / threads;
  pthread_barrier_init(&g_start, NULL, (unsigned)threads);
  pthread_t tid[64];
  struct span spans[64];
  for (int i = 1; i < threads; ++i) pthread_create(&tid[i], NULL, run, &spans[i]);
  run(&spans[0]);
  uint64_t start = spans[0].start, end = spans[0].end;
  for (int i = 1; i < threads; ++i) {
    pthread_join(tid[i], NULL);
    if (spans[i].start < start) start = spans[i].start;
    if (spans[i].end > end) end = spans[i].end;
  }
  const long total = g_per_thread * threads;
  printf("ns_per_call=%.1f calls=%ld threads=%d errors=%ld\n", (double)(end - start) / (double)total, total, threads,
         atomic_load(&g_errors));
  return 0;
}
