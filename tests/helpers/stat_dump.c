/* stat_dump MODE PATH: make one raw stat-family syscall of the i386 ABI and print the bytes the
 * kernel wrote, so that tests can compare them with sysvisor's encoders (src/stat_layout.hpp).
 *
 * MODE is one of
 *   stat, lstat, fstat            struct stat (old 32-bit layout, 64 bytes): nr 106, 107, 108
 *   stat64, lstat64, fstat64      struct stat64 (96 bytes): nr 195, 196, 197
 *   fstatat64                     struct stat64 via fstatat64(AT_FDCWD, PATH, buf, 0): nr 300
 * The f* modes open PATH with O_PATH (devices and FIFOs are not really opened; symlinks are
 * followed) and stat the fd.
 *
 * Output on success: one line, the buffer as lowercase hex, exit 0. The buffer is filled with 0xa5
 * before the call, so bytes the kernel leaves alone show up as "a5".
 * Output on failure: "E <errno>", exit status errno (8 bits). Usage error: exit 2.
 * The native (x86_64) build of this file cannot make i386 calls: it prints "E 38" (ENOSYS).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FILL 0xa5

static int fail(int err) {
  printf("E %d\n", err);
  return err & 0xff;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s stat|lstat|fstat|stat64|lstat64|fstat64|fstatat64 PATH\n", argv[0]);
    return 2;
  }
  const char *mode = argv[1];
  const char *path = argv[2];
  unsigned char buf[128];
  memset(buf, FILL, sizeof buf);
#ifdef __i386__
  size_t size = 0;
  long rc = -1;
  if (strcmp(mode, "stat") == 0 || strcmp(mode, "lstat") == 0 || strcmp(mode, "fstat") == 0) {
    size = 64;
  } else if (strcmp(mode, "stat64") == 0 || strcmp(mode, "lstat64") == 0 ||
             strcmp(mode, "fstat64") == 0 || strcmp(mode, "fstatat64") == 0) {
    size = 96;
  } else {
    fprintf(stderr, "stat_dump: unknown mode '%s'\n", mode);
    return 2;
  }
  int fd = -1;
  if (mode[0] == 'f' && strcmp(mode, "fstatat64") != 0) {
    fd = open(path, O_PATH);
    if (fd < 0) return fail(errno);
  }
  if (strcmp(mode, "stat") == 0) rc = syscall(SYS_stat, path, buf);
  else if (strcmp(mode, "lstat") == 0) rc = syscall(SYS_lstat, path, buf);
  else if (strcmp(mode, "fstat") == 0) rc = syscall(SYS_fstat, fd, buf);
  else if (strcmp(mode, "stat64") == 0) rc = syscall(SYS_stat64, path, buf);
  else if (strcmp(mode, "lstat64") == 0) rc = syscall(SYS_lstat64, path, buf);
  else if (strcmp(mode, "fstat64") == 0) rc = syscall(SYS_fstat64, fd, buf);
  else rc = syscall(SYS_fstatat64, AT_FDCWD, path, buf, 0);
  if (rc != 0) return fail(errno);
  for (size_t i = 0; i < size; ++i) printf("%02x", buf[i]);
  printf("\n");
  return 0;
#else
  (void)mode;
  (void)path;
  return fail(ENOSYS);
#endif
}
