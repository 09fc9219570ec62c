/* path_calls DIR: the calls that change a tree, made raw (the architecture's own numbers and
 * layouts: i386's 16-bit chown, truncate64, 32-bit utime/utimes/utimensat and utimensat_time64),
 * one line each: "NAME: ok" or "NAME: ERR ENAME", then what they left on DIR/a. Run on a bind
 * mount and under sysvisor, the output must be the same (tests/e2e/test_bind_mount.py). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static char buf[8][512];

static const char *at(int slot, const char *dir, const char *name) {
  snprintf(buf[slot], sizeof buf[slot], "%s/%s", dir, name);
  return buf[slot];
}

static void say(const char *name, long rc) {
  if (rc >= 0) printf("%s: ok\n", name);
  else printf("%s: ERR %s\n", name, strerrorname_np(errno));
}

static void times_calls(const char *a) {
#if defined(__i386__)
  int32_t utimbuf[2] = {1000, 2000};
  say("utime", syscall(SYS_utime, a, utimbuf));
  int32_t tv[4] = {3000, 5, 4000, 6};
  say("utimes", syscall(SYS_utimes, a, tv));
  int32_t ts32[4] = {5000, 7, 6000, 8};
  say("utimensat", syscall(SYS_utimensat, AT_FDCWD, a, ts32, 0));
  int64_t ts64[4] = {7000, 9, 8000, 10};
  say("utimensat_time64", syscall(412, AT_FDCWD, a, ts64, 0));
  int32_t bad[4] = {1, 1000000, 2, 0};
  say("utimes_bad_usec", syscall(SYS_utimes, a, bad));
#else
  int64_t utimbuf[2] = {1000, 2000};
  say("utime", syscall(SYS_utime, a, utimbuf));
  int64_t tv[4] = {3000, 5, 4000, 6};
  say("utimes", syscall(SYS_utimes, a, tv));
  int64_t ts[4] = {7000, 9, 8000, 10};
  say("utimensat", syscall(SYS_utimensat, AT_FDCWD, a, ts, 0));
  int64_t bad[4] = {1, 1000000, 2, 0};
  say("utimes_bad_usec", syscall(SYS_utimes, a, bad));
#endif
}

static void owner_calls(const char *a, const char *l) {
#if defined(__i386__)
  say("chown16", syscall(SYS_chown, a, 0xffff, 0xffff));  /* 16-bit: -1 is 0xffff */
  say("lchown16", syscall(SYS_lchown, l, 0xffff, 0xffff));
  say("chown32", syscall(SYS_chown32, a, -1, -1));
  say("truncate64", syscall(SYS_truncate64, a, 3, 0));
#else
  say("chown", syscall(SYS_chown, a, -1, -1));
  say("lchown", syscall(SYS_lchown, l, -1, -1));
#endif
  say("fchownat", syscall(SYS_fchownat, AT_FDCWD, a, -1, -1, AT_SYMLINK_NOFOLLOW));
  say("truncate", syscall(SYS_truncate, a, 2));
}

/* openat2 with a larger struct (zero-padded: taken; not: E2BIG) and a mode without O_CREAT. */
static void openat2_calls(const char *a) {
  struct { struct open_how how; uint64_t pad; } big = {{O_RDONLY, 0, 0}, 0};
  long fd = syscall(SYS_openat2, AT_FDCWD, a, &big, sizeof big);
  say("openat2_padded", fd);
  if (fd >= 0) {
    char c[8] = {0};
    printf("openat2 read: %zd %s", read((int)fd, c, sizeof c - 1), c);
    close((int)fd);
  }
  big.pad = 1;
  say("openat2_dirty_pad", syscall(SYS_openat2, AT_FDCWD, a, &big, sizeof big));
  struct open_how mode_only = {O_RDONLY, 0644, 0};
  say("openat2_mode_without_creat", syscall(SYS_openat2, AT_FDCWD, a, &mode_only, sizeof mode_only));
}

/* statfs as the architecture's library makes it (i386: statfs64 with its 84-byte struct). */
static void statfs_call(const char *d) {
#if defined(__i386__)
  uint32_t st[21] = {0};
  long rc = syscall(SYS_statfs64, d, 84, st);
  say("statfs64", rc);
  say("statfs64_bad_size", syscall(SYS_statfs64, d, 88, st));
  if (rc == 0) printf("statfs: type %x namelen %u flags %x\n", st[0], st[14], st[16]);
#else
  uint64_t st[15] = {0};
  long rc = syscall(SYS_statfs, d, st);
  say("statfs", rc);
  if (rc == 0) printf("statfs: type %llx namelen %llu\n", (unsigned long long)st[0], (unsigned long long)st[8]);
#endif
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  const char *d = argv[1], *a = at(0, d, "a"), *l = at(1, d, "l"), *h = at(2, d, "h"), *h2 = at(3, d, "h2");
  setvbuf(stdout, NULL, _IOLBF, 0);
  openat2_calls(a);
  statfs_call(d);
  say("mkdir", syscall(SYS_mkdir, at(4, d, "m"), 0750));
  say("mknod_fifo", syscall(SYS_mknod, at(5, d, "fifo"), S_IFIFO | 0640, 0));
  say("symlink", syscall(SYS_symlink, "body/as/given", l));
  char link[64] = {0};
  say("readlink", syscall(SYS_readlink, l, link, sizeof link - 1));
  printf("link text: %s\n", link);
  say("link", syscall(SYS_link, a, h));
  say("rename", syscall(SYS_rename, h, h2));
  say("renameat2_noreplace", syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, h2, 1));
  say("chmod", syscall(SYS_chmod, a, 0600));
  owner_calls(a, l);
  times_calls(a);
  say("setxattr", syscall(SYS_setxattr, a, "user.k", "v", 1, 0));
  say("removexattr", syscall(SYS_removexattr, a, "user.k"));
  say("removexattr_again", syscall(SYS_removexattr, a, "user.k"));
  say("unlink", syscall(SYS_unlink, l));
  say("rmdir", syscall(SYS_rmdir, at(4, d, "m")));
  say("rmdir_from", syscall(SYS_rmdir, d));
  say("unlinkat_dir", syscall(SYS_unlinkat, AT_FDCWD, at(6, d, "dir"), AT_REMOVEDIR));
  struct stat st;
  if (stat(a, &st) == 0)
    printf("a: mode %o size %lld atime %lld mtime %lld\n", st.st_mode & 07777, (long long)st.st_size,
           (long long)st.st_atime, (long long)st.st_mtime);
  return 0;
}
