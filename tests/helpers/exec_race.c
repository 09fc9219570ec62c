// exec_race FROM GENERATIONS: the leader stats FROM into a fixed buffer in a loop while a sibling
// thread execs the next generation. Built non-PIE, so the buffers sit at the same address in
// every image: a supervisor that writes a stat answer after the exec (into the pid, which the
// sibling's exec hands to the new image) writes into the next generation's buffer of the other
// parity, which no call of that generation ever targets. Each generation checks that buffer
// before it execs the next; exit 0 and "N generations: clean" when none was ever written, exit 1
// naming the generation otherwise. Issue 15.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static struct stat bufs[2];  // generation g stats into bufs[g & 1]
static atomic_long stats_done;
static const char* from;
static long generations, generation;

static int untouched(const struct stat* st) {
  static const struct stat zero;
  return memcmp(st, &zero, sizeof zero) == 0;
}

static void check_other_buffer(void) {
  if (!untouched(&bufs[(generation + 1) & 1])) {
    printf("generation %ld: a stat answer of generation %ld landed in this image\n", generation, generation - 1);
    fflush(stdout);
    _exit(1);
  }
}

static void* next_generation(void* unused) {
  (void)unused;
  while (atomic_load(&stats_done) < 3) sched_yield();
  check_other_buffer();
  char gens[32], next[32];
  snprintf(gens, sizeof gens, "%ld", generations);
  snprintf(next, sizeof next, "%ld", generation + 1);
  char* argv[] = {"exec_race", (char*)from, gens, next, NULL};
  execv("/proc/self/exe", argv);
  perror("execv");
  _exit(2);
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: exec_race FROM GENERATIONS\n");
    return 2;
  }
  from = argv[1];
  generations = atol(argv[2]);
  generation = argc > 3 ? atol(argv[3]) : 0;
  if (generation >= generations) {
    usleep(100 * 1000);  // a late write of the previous generation has landed by now
    check_other_buffer();
    printf("%ld generations: clean\n", generations);
    return 0;
  }
  pthread_t sibling;
  if (pthread_create(&sibling, NULL, next_generation, NULL) != 0) return 2;
  for (;;) {
    if (syscall(SYS_newfstatat, AT_FDCWD, from, &bufs[generation & 1], 0) != 0) {
      perror("newfstatat");
      _exit(2);
    }
    atomic_fetch_add(&stats_done, 1);
  }
}
