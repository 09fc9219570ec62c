/* try_syscall: makes one raw syscall named on the command line and prints what the program sees,
 * so that a run under sysvisor can be compared byte for byte with an unsupervised control run.
 * Exit status: 0 on success, else the errno of the failed call (2 for usage errors... and also
 * ENOENT: compare the printed line, not only the status).
 *
 *   open PATH [FLAGS [MODE]]        open(2); prints "fd N" and the file's first 4 KiB
 *   openat DIR PATH [FLAGS [MODE]]  DIR '-' = AT_FDCWD, else opened O_PATH|O_DIRECTORY first
 *   openat2 DIR PATH [FLAGS [MODE]]
 *   creat PATH MODE
 *   stat|lstat|stat64|lstat64 PATH  raw buffer as hex (the architecture's own layout)
 *   fstatat DIR PATH [FLAGS]        newfstatat (x86_64) / fstatat64 (i386)
 *   statx DIR PATH [FLAGS]          selected struct statx fields
 *   access PATH MODE | faccessat DIR PATH MODE | faccessat2 DIR PATH MODE FLAGS
 *   readlink PATH [SIZE] | readlinkat DIR PATH [SIZE]
 *   ls DIR                          sorted directory entries (open + getdents64)
 *   fds                             the open descriptors and what they name
 *   umask MASK OP ...               set the umask, then run OP
 *   chdir DIR OP ...                chdir, then run OP
 *   badptr OP                       OP with an invalid path pointer (expects EFAULT)
 *   robuf stat|readlink N PATH      the call's buffer starts N bytes before a read-only page: prints
 *                                   the result and the N writable bytes plus 8 of the page after it
 *   x32 NR                          syscall NR with the x32 bit set (x86_64 only)
 *   sleep SECONDS OP ...            prints "sleeping", nanosleeps (no rule covers it), runs OP
 * FLAGS: comma-separated names (rdonly,wronly,rdwr,creat,excl,trunc,append,directory,cloexec,
 * nofollow,nonblock,path,tmpfile,largefile) or a number; MODE is octal.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char *bad_path = (const char *)16; /* never mapped */
static int use_bad_ptr;

static const char *P(const char *p) { return use_bad_ptr ? bad_path : p; }

/* A buffer running into a read-only page: what the kernel wrote before the fault, if anything. */
static int read_only_buffer(const char *what, int writable, const char *path) {
  long page = sysconf(_SC_PAGESIZE);
  unsigned char *map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED || writable < 0 || writable > page) return 2;
  memset(map, 0xa5, (size_t)page * 2);
  mprotect(map + page, (size_t)page, PROT_READ);
  unsigned char *buf = map + page - writable;
  long rc = !strcmp(what, "stat") ? syscall(SYS_stat, path, buf) : syscall(SYS_readlink, path, buf, 256);
  int err = errno;
  printf("robuf %s: %ld %s ", what, rc, rc < 0 ? strerror(err) : "ok");
  for (int i = 0; i < writable + 8; i++) printf("%02x", buf[i]);
  printf("\n");
  return rc < 0 ? err : 0;
}

static int fail(const char *op, int err) {
  printf("%s: ERR %s\n", op, strerrorname_np(err) ? strerrorname_np(err) : "?");
  return err;
}

static int parse_flags(const char *s) {
  static const struct { const char *name; int flag; } names[] = {
      {"rdonly", O_RDONLY}, {"wronly", O_WRONLY}, {"rdwr", O_RDWR}, {"creat", O_CREAT},
      {"excl", O_EXCL}, {"trunc", O_TRUNC}, {"append", O_APPEND}, {"directory", O_DIRECTORY},
      {"cloexec", O_CLOEXEC}, {"nofollow", O_NOFOLLOW}, {"nonblock", O_NONBLOCK}, {"path", O_PATH},
      {"tmpfile", O_TMPFILE}, {"largefile", 0100000}, {"symlink_nofollow", AT_SYMLINK_NOFOLLOW},
      {"empty_path", AT_EMPTY_PATH}, {"eaccess", AT_EACCESS}};
  if (s[0] >= '0' && s[0] <= '9') return (int)strtol(s, NULL, 0);
  int flags = 0;
  char *copy = strdup(s), *save = NULL;
  for (char *t = strtok_r(copy, ",|", &save); t; t = strtok_r(NULL, ",|", &save)) {
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
      if (strcmp(t, names[i].name) == 0) break;
    if (i == sizeof names / sizeof names[0]) {
      fprintf(stderr, "unknown flag %s\n", t);
      exit(2);
    }
    flags |= names[i].flag;
  }
  free(copy);
  return flags;
}

static int dir_fd(const char *dir) {
  if (strcmp(dir, "-") == 0) return AT_FDCWD;
  int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    fail("dirfd", errno);
    exit(errno);
  }
  return fd;
}

static int show_fd(const char *op, long fd) {
  if (fd < 0) return fail(op, errno);
  printf("%s: fd %ld cloexec=%d\n", op, fd, (fcntl((int)fd, F_GETFD) & FD_CLOEXEC) != 0);
  int acc = fcntl((int)fd, F_GETFL) & O_ACCMODE;
  if (acc != O_WRONLY) {
    char buf[4096];
    ssize_t n = read((int)fd, buf, sizeof buf);
    if (n > 0) fwrite(buf, 1, (size_t)n, stdout);
    else if (n < 0) printf("read: ERR %s\n", strerrorname_np(errno));
  }
  return 0;
}

static int hexdump(const char *op, long rc, const unsigned char *buf, size_t size) {
  if (rc < 0) return fail(op, errno);
  printf("%s: ok ", op);
  for (size_t i = 0; i < size; i++) printf("%02x", buf[i]);
  printf("\n");
  return 0;
}

static int run(int argc, char **argv);

static int do_ls(const char *dir) {
  int fd = (int)syscall(SYS_open, P(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail("ls", errno);
  char buf[8192];
  char *names[1024];
  int count = 0;
  long n;
  while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
    for (long off = 0; off < n;) {
      struct { uint64_t ino; int64_t off; unsigned short reclen; unsigned char type; char name[]; } *d = (void *)(buf + off);
      if (strcmp(d->name, ".") && strcmp(d->name, "..") && count < 1024) names[count++] = strdup(d->name);
      off += d->reclen;
    }
  }
  for (int i = 0; i < count; i++)
    for (int j = i + 1; j < count; j++)
      if (strcmp(names[i], names[j]) > 0) { char *t = names[i]; names[i] = names[j]; names[j] = t; }
  printf("ls:");
  for (int i = 0; i < count; i++) printf(" %s", names[i]);
  printf("\n");
  return 0;
}

static int do_fds(void) {
  for (int fd = 0; fd < 1024; fd++) {
    char link[64], target[4096];
    if (fcntl(fd, F_GETFD) < 0) continue;
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    target[n < 0 ? 0 : n] = 0;
    printf("fd %d %s\n", fd, target);
  }
  return 0;
}

static int run(int argc, char **argv) {
  if (argc < 1) return 2;
  const char *op = argv[0];
  const char *a1 = argc > 1 ? argv[1] : NULL, *a2 = argc > 2 ? argv[2] : NULL;
  const char *a3 = argc > 3 ? argv[3] : NULL, *a4 = argc > 4 ? argv[4] : NULL;
  if (!strcmp(op, "open") && a1) {
#ifdef SYS_open
    return show_fd(op, syscall(SYS_open, P(a1), a2 ? parse_flags(a2) : O_RDONLY, a3 ? strtol(a3, NULL, 8) : 0));
#endif
  } else if (!strcmp(op, "openat") && a2) {
    return show_fd(op, syscall(SYS_openat, dir_fd(a1), P(a2), a3 ? parse_flags(a3) : O_RDONLY, a4 ? strtol(a4, NULL, 8) : 0));
  } else if (!strcmp(op, "openat2") && a2) {
    struct open_how how = {0};
    how.flags = (uint64_t)(unsigned)(a3 ? parse_flags(a3) : O_RDONLY);
    how.mode = a4 ? (uint64_t)strtol(a4, NULL, 8) : 0;
    return show_fd(op, syscall(SYS_openat2, dir_fd(a1), P(a2), &how, sizeof how));
  } else if (!strcmp(op, "creat") && a2) {
#ifdef SYS_creat
    return show_fd(op, syscall(SYS_creat, P(a1), strtol(a2, NULL, 8)));
#endif
  } else if ((!strcmp(op, "stat") || !strcmp(op, "lstat")) && a1) {
    unsigned char buf[256];
    memset(buf, 0xa5, sizeof buf);
#if defined(__x86_64__)
    long nr = !strcmp(op, "stat") ? SYS_stat : SYS_lstat;
    size_t size = 144;
#else
    long nr = !strcmp(op, "stat") ? SYS_stat : SYS_lstat;
    size_t size = 64;
#endif
    return hexdump(op, syscall(nr, P(a1), buf), buf, size);
  } else if ((!strcmp(op, "stat64") || !strcmp(op, "lstat64")) && a1) {
#if defined(__i386__)
    unsigned char buf[256];
    memset(buf, 0xa5, sizeof buf);
    return hexdump(op, syscall(!strcmp(op, "stat64") ? SYS_stat64 : SYS_lstat64, P(a1), buf), buf, 96);
#else
    return fail(op, ENOSYS);
#endif
  } else if (!strcmp(op, "fstatat") && a2) {
    unsigned char buf[256];
    memset(buf, 0xa5, sizeof buf);
#if defined(__x86_64__)
    return hexdump(op, syscall(SYS_newfstatat, dir_fd(a1), P(a2), buf, a3 ? parse_flags(a3) : 0), buf, 144);
#else
    return hexdump(op, syscall(SYS_fstatat64, dir_fd(a1), P(a2), buf, a3 ? parse_flags(a3) : 0), buf, 96);
#endif
  } else if (!strcmp(op, "statx") && a2) {
    struct statx stx;
    memset(&stx, 0, sizeof stx);
    long rc = syscall(SYS_statx, dir_fd(a1), P(a2), a3 ? parse_flags(a3) : 0, STATX_BASIC_STATS, &stx);
    if (rc < 0) return fail(op, errno);
    printf("statx: mode=%o size=%llu ino=%llu nlink=%u uid=%u gid=%u dev=%u:%u rdev=%u:%u mtime=%lld.%u\n",
           stx.stx_mode, (unsigned long long)stx.stx_size, (unsigned long long)stx.stx_ino, stx.stx_nlink,
           stx.stx_uid, stx.stx_gid, stx.stx_dev_major, stx.stx_dev_minor, stx.stx_rdev_major,
           stx.stx_rdev_minor, (long long)stx.stx_mtime.tv_sec, stx.stx_mtime.tv_nsec);
    return 0;
  } else if (!strcmp(op, "access") && a2) {
#ifdef SYS_access
    return syscall(SYS_access, P(a1), atoi(a2)) < 0 ? fail(op, errno) : (printf("access: ok\n"), 0);
#endif
  } else if (!strcmp(op, "faccessat") && a3) {
    return syscall(SYS_faccessat, dir_fd(a1), P(a2), atoi(a3)) < 0 ? fail(op, errno) : (printf("faccessat: ok\n"), 0);
  } else if (!strcmp(op, "faccessat2") && a4) {
    return syscall(SYS_faccessat2, dir_fd(a1), P(a2), atoi(a3), parse_flags(a4)) < 0 ? fail(op, errno)
                                                                                      : (printf("faccessat2: ok\n"), 0);
  } else if (!strcmp(op, "readlink") && a1) {
    char buf[4096];
    long size = a2 ? strtol(a2, NULL, 0) : (long)sizeof buf;
    long n = syscall(SYS_readlink, P(a1), buf, size);
    if (n < 0) return fail(op, errno);
    printf("readlink: %ld %.*s\n", n, (int)n, buf);
    return 0;
  } else if (!strcmp(op, "readlinkat") && a2) {
    char buf[4096];
    long size = a3 ? strtol(a3, NULL, 0) : (long)sizeof buf;
    long n = syscall(SYS_readlinkat, dir_fd(a1), P(a2), buf, size);
    if (n < 0) return fail(op, errno);
    printf("readlinkat: %ld %.*s\n", n, (int)n, buf);
    return 0;
  } else if (!strcmp(op, "ls") && a1) {
    return do_ls(a1);
  } else if (!strcmp(op, "fds")) {
    return do_fds();
  } else if (!strcmp(op, "umask") && a2) {
    umask((mode_t)strtol(a1, NULL, 8));
    return run(argc - 2, argv + 2);
  } else if (!strcmp(op, "chdir") && a2) {
    if (chdir(a1) != 0) return fail("chdir", errno);
    return run(argc - 2, argv + 2);
  } else if (!strcmp(op, "x32") && a1) {
#if defined(__x86_64__)
    long rc = syscall(0x40000000L | strtol(a1, NULL, 0), (long)bad_path, 0, 0);
    return rc < 0 ? fail(op, errno) : (printf("x32: %ld\n", rc), 0);
#else
    return fail(op, ENOSYS);
#endif
  } else if (!strcmp(op, "sleep") && a2) {
    double secs = atof(a1);
    printf("sleeping\n");
    struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
    return run(argc - 2, argv + 2);
  } else if (!strcmp(op, "robuf") && a3) {
    return read_only_buffer(a1, atoi(a2), a3);
  } else if (!strcmp(op, "badptr") && a1) {
    use_bad_ptr = 1;
    return run(argc - 1, argv + 1);
  }
  fprintf(stderr, "try_syscall: bad usage or operation not available here: %s\n", op);
  return 2;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  return run(argc - 1, argv + 1);
}
