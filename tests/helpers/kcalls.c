/* kcalls (vm_kcalls): makes calls that reach known kernel functions and prints one line per call, for
 * the -k guest suite (tests/vm/guest/ebpf_cases.sh). Statically linked: runs in any initramfs.
 *
 *   kcalls [-w FILE] OP...
 *   -w FILE          print "ready", then wait until FILE exists (so that a supervised and a control
 *                    process make their calls at the same moment, after start-up)
 *   open PATH N      openat(AT_FDCWD, PATH, O_RDONLY) N times     (security_file_open, lsm/file_open,
 *                                                                  do_sys_openat2, filp slab allocations)
 *   mprotect PROT N  mprotect a private RW page to PROT N times    (security_file_mprotect(vma, reqprot, prot))
 *   mmap PGOFF,...   mmap(NULL, 4096, RW, MAP_SHARED|MAP_ANONYMOUS, -1, PGOFF*4096), then munmap, per
 *                    PGOFF (do_mmap's 7th argument is PGOFF; vm_mmap_pgoff's 6th)
 *   pipe N           N fresh pipes, one byte written into each (pipe_write allocates a page)
 *   fork             the remaining ops run in a child process; the parent waits for it
 * Each call prints "OP ok" or "OP ERRNONAME" (e.g. "open EACCES"). Exit status 0; 2 on usage errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *op, int ok, int err) {
  if (ok) printf("%s ok\n", op);
  else printf("%s %s\n", op, strerrorname_np(err) ? strerrorname_np(err) : "E?");
  fflush(stdout);
}

static int usage(void) {
  fprintf(stderr, "usage: kcalls [-w FILE] {open PATH N | mprotect PROT N | mmap PGOFF,... | pipe N | fork}...\n");
  return 2;
}

static void do_open(const char *path, int n) {
  for (int k = 0; k < n; k++) {
    const int fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    report("open", fd >= 0, errno);
    if (fd >= 0) close(fd);
  }
}

static int do_mprotect(int prot, int n) {
  void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return -1;
  for (int k = 0; k < n; k++) {
    const int rc = mprotect(page, 4096, prot);  /* before errno is read: argument order is unspecified */
    report("mprotect", rc == 0, errno);
  }
  munmap(page, 4096);
  return 0;
}

static void do_mmap(const char *offsets) {
  char *list = strdup(offsets), *save = NULL;
  for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    const off_t off = (off_t)atol(t) * 4096;
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, off);
    report("mmap", p != MAP_FAILED, errno);
    if (p != MAP_FAILED) munmap(p, 4096);
  }
  free(list);
}

static void do_pipe(int n) {
  for (int k = 0; k < n; k++) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
      report("pipe2", 0, errno);
      continue;
    }
    const ssize_t rc = write(p[1], "x", 1);
    report("pipe", rc == 1, errno);
    close(p[0]);
    close(p[1]);
  }
}

int main(int argc, char **argv) {
  int i = 1;
  if (argc > 2 && strcmp(argv[1], "-w") == 0) {
    printf("ready\n");
    fflush(stdout);
    while (access(argv[2], F_OK) != 0) usleep(5000);
    i = 3;
  }
  for (; i < argc; i++) {
    const char *op = argv[i];
    if (strcmp(op, "open") == 0 && i + 2 < argc) {
      do_open(argv[i + 1], atoi(argv[i + 2]));
      i += 2;
    } else if (strcmp(op, "mprotect") == 0 && i + 2 < argc) {
      if (do_mprotect(atoi(argv[i + 1]), atoi(argv[i + 2])) != 0) return usage();
      i += 2;
    } else if (strcmp(op, "mmap") == 0 && i + 1 < argc) {
      do_mmap(argv[++i]);
    } else if (strcmp(op, "pipe") == 0 && i + 1 < argc) {
      do_pipe(atoi(argv[++i]));
    } else if (strcmp(op, "fork") == 0) {
      const pid_t pid = fork();
      if (pid < 0) return usage();
      if (pid > 0) {
        int status;
        waitpid(pid, &status, 0);
        return 0;
      }
    } else {
      return usage();
    }
  }
  return 0;
}
