/* calls: makes the syscalls named on the command line, one after the other, and prints per call what it
 * returned ("open -> 3", "open -> -1 ENOENT", "getpid -> ok"), so that two runs of the same command line
 * (one under strace -e inject=..., one under sysvisor -e inject=...) compare byte for byte.
 * Built native dynamic, native static and i386 (-m32): every call is a raw syscall(2), so the call the
 * program makes is the one named (glibc's open() would be openat, its stat() newfstatat...).
 *
 * Output is collected in a buffer and written with ONE writev(2) when the process ends (or before it
 * forks/execs): so injecting into write(2), even in fd 1, never loses the report, and a rule must name
 * writev (or be `all`/%desc with a when= that reaches it) to touch it.
 *
 * Values that differ from run to run are not printed: getpid/getppid print "ok" when the value is the
 * real one (looked up lazily in /proc, once per process: a readlinkat or an openat+read+close), else
 * the value; addresses print "ok". Signals that arrived during an op are appended: "getppid -> ok [USR1]".
 *
 * OPS (fd arguments are numbers; fd numbers are deterministic):
 *   getpid | getppid | getuid | gettid | sched_yield | uname | clock_gettime | kill (kill(0,0)) |
 *   sigprocmask | msgget (no such queue: ENOENT) | mmap (anonymous page, then munmap) | mmapfd FD |
 *   pipe | socket (AF_UNIX) | connect FD PATH | nanosleep MS |
 *   open PATH | openat DIRFD|- PATH | creat PATH | read FD | write FD TEXT | close FD | fstat FD |
 *   stat PATH | lstat PATH | newfstatat DIRFD|- PATH | statx DIRFD|- PATH | statfs PATH | fstatfs FD |
 *   dup FD | dup2 OLD NEW | dup3 OLD NEW | chdir DIR | mkdir PATH | rmdir PATH | unlink PATH |
 *   pokewrite TEXT     write(pipe, buf, len): prints what went through the pipe and buf afterwards
 *                      (poke_enter=@arg2=HEX changes buf before the write runs)
 *   pokeopen PATH      open(buf) with buf a copy of PATH: prints the result and buf (poke_enter=@arg1)
 *   pokerename OLD NEW rename(buf1, buf2) (x86_64/i386 rename): prints the result and both buffers
 *                      (poke_enter=@arg1=...,@arg2=... changes both)
 *   marker PATH        creates PATH (proves the program started)
 *   as NAME            prefix the following lines with "NAME: "
 *   exit N             flush and exit_group(N)
 *   exitlast           flush and exit_group(errno of the last op that failed, 0 if none)
 *   rep N G            run group G N times
 *   timed MS G         run G, then print whether it took at least MS milliseconds
 *   fork G             fork; the child runs G (lines prefixed "child: ") and exits; the parent waits,
 *                      prints how the child ended and goes on (lines prefixed "parent: ")
 *   threads T N OP..   T threads each run OP N times; per thread: how many calls failed, first errno, signals
 *   exec G             execve(/proc/self/exe, [argv0, G...]): the new image runs G
 *   texec P G          a second thread runs group P, then makes that execve (a non-leader exec);
 *                      the leader waits (P's own lines are not printed)
 * A group G is one op with its arguments, or "{ OP ... }".
 * Signal handlers (no SA_RESTART) are installed at start for USR1, USR2 and ALRM.
 * Exit status: 0, or what "exit N" / "exitlast" says; 2 on a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/stat.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- output: a buffer per thread, flushed with one writev ---- */
#define OUT_CAP (1 << 16)
static char main_out[OUT_CAP];
static __thread char *out_buf;
static __thread size_t out_len;
static char prefix[64];
static char *self_argv0;

static void out(const char *fmt, ...) {
  if (!out_buf) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(out_buf + out_len, OUT_CAP - out_len, fmt, ap);
  va_end(ap);
  if (n > 0) out_len += (size_t)n < OUT_CAP - out_len ? (size_t)n : OUT_CAP - out_len - 1;
}

static void flush_out(void) {
  size_t off = 0;
  while (off < out_len) {
    struct iovec iov = {out_buf + off, out_len - off};
    long n = syscall(SYS_writev, 1, &iov, 1);
    if (n <= 0) break;
    off += (size_t)n;
  }
  out_len = 0;
}

/* ---- signals: recorded per thread, printed after the op that received them ---- */
static __thread int sigs[16];
static __thread volatile int nsigs;

static void on_signal(int sig) {
  if (nsigs < 16) sigs[nsigs] = sig;
  nsigs++;
}

static const char *errname(int e) {
  static __thread char buf[16];
  const char *n = strerrorname_np(e);
  if (n) return n;
  snprintf(buf, sizeof buf, "E%d", e);
  return buf;
}

/* ---- real values, looked up lazily so that only ops that need them make these calls ---- */
static long real_pid_v = -1, real_ppid_v = -1;

static long real_pid(void) {
  if (real_pid_v < 0) {
    char b[32] = {0};
    if (syscall(SYS_readlinkat, AT_FDCWD, "/proc/self", b, sizeof b - 1) > 0) real_pid_v = atol(b);
  }
  return real_pid_v;
}

static long real_ppid(void) {
  if (real_ppid_v < 0) {
    char b[512] = {0};
    long fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      long n = syscall(SYS_read, fd, b, sizeof b - 1);
      syscall(SYS_close, fd);
      char *p = n > 0 ? strrchr(b, ')') : NULL;
      int ppid;
      char st;
      if (p && sscanf(p + 1, " %c %d", &st, &ppid) == 2) real_ppid_v = ppid;
    }
  }
  return real_ppid_v;
}

/* ---- ops ---- */
enum { SHOW_NUM, SHOW_PID, SHOW_PPID, SHOW_ADDR };

struct result {
  long rc;
  int err;
  int show;
  char extra[2048];
};

static int parse_dirfd(const char *s) { return strcmp(s, "-") == 0 ? AT_FDCWD : atoi(s); }

static void escape(char *dst, size_t cap, const char *src, size_t n) {
  size_t j = 0;
  for (size_t i = 0; i < n && j + 5 < cap; i++) {
    unsigned char c = (unsigned char)src[i];
    if (c == '\n') { dst[j++] = '\\'; dst[j++] = 'n'; }
    else if (c < 32 || c > 126 || c == '\'' || c == '\\') j += (size_t)snprintf(dst + j, cap - j, "\\x%02x", c);
    else dst[j++] = (char)c;
  }
  dst[j] = 0;
}

#define RAW(...) (r.rc = syscall(__VA_ARGS__), r.err = r.rc < 0 ? errno : 0)

/* Runs one simple op; returns the number of words it used (0: not a simple op). */
static int simple_op(char **av, int ac, struct result *res) {
  struct result r = {0, 0, SHOW_NUM, ""};
  const char *op = av[0];
  const char *a1 = ac > 1 ? av[1] : NULL, *a2 = ac > 2 ? av[2] : NULL;
  int used = 1;
#define NEED(n) do { if (ac < (n) + 1) { fprintf(stderr, "calls: %s needs %d arguments\n", op, n); exit(2); } used = (n) + 1; } while (0)
  if (!strcmp(op, "getpid")) { RAW(SYS_getpid); r.show = SHOW_PID; }
  else if (!strcmp(op, "getppid")) { RAW(SYS_getppid); r.show = SHOW_PPID; }
  else if (!strcmp(op, "getuid")) { RAW(SYS_getuid); }
  else if (!strcmp(op, "gettid")) { RAW(SYS_gettid); r.show = SHOW_ADDR; }
  else if (!strcmp(op, "sched_yield")) { RAW(SYS_sched_yield); }
  else if (!strcmp(op, "uname")) {
    struct utsname u;
    memset(&u, 0, sizeof u);
    RAW(SYS_uname, &u);
    char s[sizeof u.sysname * 4 + 8];
    escape(s, sizeof s, u.sysname, strnlen(u.sysname, sizeof u.sysname));
    snprintf(r.extra, sizeof r.extra, " sysname='%s'", s);
  } else if (!strcmp(op, "clock_gettime")) {
    struct timespec ts;
    RAW(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
  } else if (!strcmp(op, "kill")) { RAW(SYS_kill, 0, 0); }
  else if (!strcmp(op, "sigprocmask")) {
    uint64_t set = 0;
    RAW(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &set, 8);
  } else if (!strcmp(op, "msgget")) {
#ifdef SYS_msgget
    RAW(SYS_msgget, 0x5eed1e55, 0);
#else
    r.rc = -1; r.err = ENOSYS;
#endif
  } else if (!strcmp(op, "mmap") || !strcmp(op, "mmapfd")) {
    int fd = -1, flags = MAP_PRIVATE | MAP_ANONYMOUS;
    if (!strcmp(op, "mmapfd")) { NEED(1); fd = atoi(a1); flags = MAP_PRIVATE; }
#ifdef SYS_mmap2
    RAW(SYS_mmap2, NULL, 4096, PROT_READ, flags, fd, 0);
#else
    RAW(SYS_mmap, NULL, 4096, PROT_READ, flags, fd, 0);
#endif
    r.show = SHOW_ADDR;
    if (r.rc != -1) syscall(SYS_munmap, (void *)r.rc, 4096);
  } else if (!strcmp(op, "pipe")) {
    int fds[2] = {-1, -1};
    RAW(SYS_pipe2, fds, 0);
    if (r.rc == 0) snprintf(r.extra, sizeof r.extra, " [%d,%d]", fds[0], fds[1]);
  } else if (!strcmp(op, "socket")) { RAW(SYS_socket, AF_UNIX, SOCK_STREAM, 0); }
  else if (!strcmp(op, "connect")) {
    NEED(2);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strncpy(sa.sun_path, a2, sizeof sa.sun_path - 1);
    RAW(SYS_connect, atoi(a1), &sa, sizeof sa);
  } else if (!strcmp(op, "nanosleep")) {
    NEED(1);
    long ms = atol(a1);
    struct { long s, ns; } ts = {ms / 1000, (ms % 1000) * 1000000}; /* the ABI's own long: i386 time32 */
    RAW(SYS_nanosleep, &ts, NULL);
  }
#ifdef SYS_open
  else if (!strcmp(op, "open")) { NEED(1); RAW(SYS_open, a1, O_RDONLY); }
  else if (!strcmp(op, "creat")) { NEED(1); RAW(SYS_creat, a1, 0644); }
  else if (!strcmp(op, "mkdir")) { NEED(1); RAW(SYS_mkdir, a1, 0755); }
  else if (!strcmp(op, "rmdir")) { NEED(1); RAW(SYS_rmdir, a1); }
  else if (!strcmp(op, "unlink")) { NEED(1); RAW(SYS_unlink, a1); }
  else if (!strcmp(op, "dup2")) { NEED(2); RAW(SYS_dup2, atoi(a1), atoi(a2)); }
#endif
  else if (!strcmp(op, "openat")) { NEED(2); RAW(SYS_openat, parse_dirfd(a1), a2, O_RDONLY); }
  else if (!strcmp(op, "read")) {
    NEED(1);
    char b[128], e[512];
    RAW(SYS_read, atoi(a1), b, sizeof b);
    if (r.rc > 0) { escape(e, sizeof e, b, (size_t)r.rc); snprintf(r.extra, sizeof r.extra, " '%s'", e); }
  } else if (!strcmp(op, "write")) { NEED(2); RAW(SYS_write, atoi(a1), a2, strlen(a2)); }
  else if (!strcmp(op, "close")) { NEED(1); RAW(SYS_close, atoi(a1)); }
  else if (!strcmp(op, "stat") || !strcmp(op, "lstat") || !strcmp(op, "fstat")) {
    NEED(1);
    char b[256];
#ifdef SYS_stat64
    long nr = op[0] == 's' ? SYS_stat64 : op[0] == 'l' ? SYS_lstat64 : SYS_fstat64;
#else
    long nr = op[0] == 's' ? SYS_stat : op[0] == 'l' ? SYS_lstat : SYS_fstat;
#endif
    if (op[0] == 'f') RAW(nr, atoi(a1), b);
    else RAW(nr, a1, b);
  } else if (!strcmp(op, "newfstatat")) {
    NEED(2);
    char b[256];
#ifdef SYS_fstatat64
    RAW(SYS_fstatat64, parse_dirfd(a1), a2, b, 0);
#else
    RAW(SYS_newfstatat, parse_dirfd(a1), a2, b, 0);
#endif
  } else if (!strcmp(op, "statx")) {
    NEED(2);
    char b[512];
    RAW(SYS_statx, parse_dirfd(a1), a2, 0, STATX_BASIC_STATS, b);
  } else if (!strcmp(op, "statfs") || !strcmp(op, "fstatfs")) {
    NEED(1);
    char b[256];
#ifdef SYS_statfs64
    if (op[0] == 'f') RAW(SYS_fstatfs64, atoi(a1), 84, b);
    else RAW(SYS_statfs64, a1, 84, b);
#else
    if (op[0] == 'f') RAW(SYS_fstatfs, atoi(a1), b);
    else RAW(SYS_statfs, a1, b);
#endif
  } else if (!strcmp(op, "dup")) { NEED(1); RAW(SYS_dup, atoi(a1)); }
  else if (!strcmp(op, "dup3")) { NEED(2); RAW(SYS_dup3, atoi(a1), atoi(a2), 0); }
  else if (!strcmp(op, "chdir")) { NEED(1); RAW(SYS_chdir, a1); }
  else if (!strcmp(op, "pokewrite")) {
    NEED(1);
    int fds[2];
    if (syscall(SYS_pipe2, fds, O_CLOEXEC) != 0) { r.rc = -1; r.err = errno; goto done; }
    char buf[128], got[128], e1[512], e2[512];
    size_t n = strlen(a1) < sizeof buf ? strlen(a1) : sizeof buf - 1;
    memcpy(buf, a1, n);
    buf[n] = 0;
    RAW(SYS_write, fds[1], buf, n);
    long g = r.rc > 0 ? syscall(SYS_read, fds[0], got, sizeof got) : 0;
    syscall(SYS_close, fds[0]);
    syscall(SYS_close, fds[1]);
    escape(e1, sizeof e1, got, g > 0 ? (size_t)g : 0);
    escape(e2, sizeof e2, buf, n);
    snprintf(r.extra, sizeof r.extra, " pipe='%s' buf='%s'", e1, e2);
  } else if (!strcmp(op, "pokeopen")) {
    NEED(1);
    char buf[256], e[1024];
    snprintf(buf, sizeof buf, "%s", a1);
#ifdef SYS_open
    RAW(SYS_open, buf, O_RDONLY);
#else
    RAW(SYS_openat, AT_FDCWD, buf, O_RDONLY);
#endif
    escape(e, sizeof e, buf, strlen(buf));
    snprintf(r.extra, sizeof r.extra, " path='%s'", e);
  } else if (!strcmp(op, "pokerename")) {
    NEED(2);
    char b1[128], b2[128], e1[512], e2[512];
    snprintf(b1, sizeof b1, "%s", a1);
    snprintf(b2, sizeof b2, "%s", a2);
#ifdef SYS_rename
    RAW(SYS_rename, b1, b2);
#else
    RAW(SYS_renameat, AT_FDCWD, b1, AT_FDCWD, b2);
#endif
    escape(e1, sizeof e1, b1, strlen(b1));
    escape(e2, sizeof e2, b2, strlen(b2));
    snprintf(r.extra, sizeof r.extra, " old='%s' new='%s'", e1, e2);
  } else {
    return 0;
  }
done:
  *res = r;
  return used;
}

static int last_err;

static void print_result(const char *op, struct result *r) {
  if (r->rc == -1) last_err = r->err;
  out("%s%s -> ", prefix, op);
  if (r->rc == -1) out("-1 %s", errname(r->err));
  else if (r->show == SHOW_PID && r->rc == real_pid()) out("ok");
  else if (r->show == SHOW_PPID && r->rc == real_ppid()) out("ok");
  else if (r->show == SHOW_ADDR) out("ok");
  else out("%ld", r->rc);
  out("%s", r->extra);
  int n = nsigs;
  for (int i = 0; i < n && i < 16; i++) out(" [%s]", sigabbrev_np(sigs[i]) ? sigabbrev_np(sigs[i]) : "?");
  nsigs = 0;
  out("\n");
}

/* group at av[0]: returns its length in words; sets inner and inner_n to the ops inside. */
static int group(char **av, int ac, char ***inner, int *inner_n) {
  if (ac < 1) { fprintf(stderr, "calls: missing group\n"); exit(2); }
  if (strcmp(av[0], "{") == 0) {
    int depth = 0;
    for (int i = 0; i < ac; i++) {
      if (!strcmp(av[i], "{")) depth++;
      else if (!strcmp(av[i], "}") && --depth == 0) { *inner = av + 1; *inner_n = i - 1; return i + 1; }
    }
    fprintf(stderr, "calls: unbalanced {\n");
    exit(2);
  }
  /* a single op: its length is what the op consumes; find it without running it */
  static const struct { const char *name; int args; } arity[] = {
      {"connect", 2}, {"nanosleep", 1}, {"open", 1}, {"creat", 1}, {"mkdir", 1}, {"rmdir", 1},
      {"unlink", 1}, {"dup2", 2}, {"openat", 2}, {"read", 1}, {"write", 2}, {"close", 1}, {"stat", 1},
      {"lstat", 1}, {"fstat", 1}, {"newfstatat", 2}, {"statx", 2}, {"statfs", 1}, {"fstatfs", 1},
      {"dup", 1}, {"dup3", 2}, {"chdir", 1}, {"pokewrite", 1}, {"pokeopen", 1}, {"mmapfd", 1}, {"pokerename", 2},
      {"marker", 1}, {"as", 1}, {"exit", 1}};
  int n = 1;
  for (size_t i = 0; i < sizeof arity / sizeof arity[0]; i++)
    if (!strcmp(av[0], arity[i].name)) n = 1 + arity[i].args;
  if (n > ac) { fprintf(stderr, "calls: %s needs arguments\n", av[0]); exit(2); }
  *inner = av;
  *inner_n = n;
  return n;
}

static void run_ops(char **av, int ac);

struct thread_arg {
  char **ops;
  int n_ops, rounds, index;
  int failed, first_err, signals;
};

static void *thread_main(void *p) {
  struct thread_arg *t = p;
  for (int i = 0; i < t->rounds; i++) {
    struct result r;
    if (!simple_op(t->ops, t->n_ops, &r)) { fprintf(stderr, "calls: threads: %s is not a simple op\n", t->ops[0]); exit(2); }
    if (r.rc == -1) {
      if (!t->failed) t->first_err = r.err;
      t->failed++;
    }
  }
  t->signals = nsigs;
  return NULL;
}

static char **exec_argv(char **g, int gn) {
  char **argv = calloc((size_t)gn + 2, sizeof *argv);
  argv[0] = self_argv0;
  for (int i = 0; i < gn; i++) argv[i + 1] = g[i];
  return argv;
}

extern char **environ;

struct texec_arg { char **argv, **pre; int pre_n; };

static void *texec_main(void *p) {
  struct texec_arg *t = p;
  run_ops(t->pre, t->pre_n); /* lines go nowhere: this thread has no buffer */
  long rc = syscall(SYS_execve, "/proc/self/exe", t->argv, environ);
  out_buf = main_out; /* the leader waits in pthread_join: report in its buffer, it flushes */
  struct result r = {rc, errno, SHOW_NUM, ""};
  print_result("execve(thread)", &r);
  return NULL;
}

static void run_ops(char **av, int ac) {
  for (int i = 0; i < ac;) {
    const char *op = av[i];
    char **g;
    int gn, used;
    struct result r;
    if (!strcmp(op, "as") && i + 1 < ac) {
      snprintf(prefix, sizeof prefix, "%s: ", av[i + 1]);
      i += 2;
    } else if (!strcmp(op, "marker") && i + 1 < ac) {
      long fd = syscall(SYS_openat, AT_FDCWD, av[i + 1], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd >= 0) syscall(SYS_close, fd);
      i += 2;
    } else if (!strcmp(op, "exitlast")) {
      flush_out();
      syscall(SYS_exit_group, last_err);
    } else if (!strcmp(op, "exit") && i + 1 < ac) {
      flush_out();
      syscall(SYS_exit_group, atoi(av[i + 1]));
    } else if (!strcmp(op, "rep") && i + 1 < ac) {
      int n = atoi(av[i + 1]);
      used = group(av + i + 2, ac - i - 2, &g, &gn);
      for (int k = 0; k < n; k++) run_ops(g, gn);
      i += 2 + used;
    } else if (!strcmp(op, "timed") && i + 1 < ac) {
      long ms = atol(av[i + 1]);
      used = group(av + i + 2, ac - i - 2, &g, &gn);
      struct timespec t0, t1;
      clock_gettime(CLOCK_MONOTONIC, &t0);
      run_ops(g, gn);
      clock_gettime(CLOCK_MONOTONIC, &t1);
      long took = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
      out("%stook %s%ldms\n", prefix, took >= ms ? ">=" : "<", ms);
      i += 2 + used;
    } else if (!strcmp(op, "fork")) {
      used = group(av + i + 1, ac - i - 1, &g, &gn);
      long pid = syscall(SYS_fork);
      if (pid == 0) {
        out_len = 0; /* the parent's lines are the parent's to print */
        real_pid_v = real_ppid_v = -1;
        snprintf(prefix, sizeof prefix, "child: ");
        run_ops(g, gn);
        flush_out();
        syscall(SYS_exit_group, 0);
      }
      if (pid < 0) {
        r = (struct result){pid, errno, SHOW_NUM, ""};
        print_result("fork", &r);
      } else {
        int status = 0;
        long w = syscall(SYS_wait4, pid, &status, 0, NULL);
        snprintf(prefix, sizeof prefix, "parent: ");
        if (w != pid) out("%swait4 -> -1 %s\n", prefix, errname(errno));
        else if (WIFEXITED(status)) out("%schild exited %d\n", prefix, WEXITSTATUS(status));
        else out("%schild killed by %s\n", prefix, sigabbrev_np(WTERMSIG(status)));
      }
      i += 1 + used;
    } else if (!strcmp(op, "threads") && i + 2 < ac) {
      int nt = atoi(av[i + 1]), rounds = atoi(av[i + 2]);
      used = group(av + i + 3, ac - i - 3, &g, &gn);
      struct thread_arg ta[64];
      pthread_t th[64];
      for (int k = 0; k < nt && k < 64; k++) {
        ta[k] = (struct thread_arg){g, gn, rounds, k, 0, 0, 0};
        pthread_create(&th[k], NULL, thread_main, &ta[k]);
      }
      for (int k = 0; k < nt && k < 64; k++) {
        pthread_join(th[k], NULL);
        out("%sthread %d: %s x%d: %d failed", prefix, k, g[0], rounds, ta[k].failed);
        if (ta[k].failed) out(" (first %s)", errname(ta[k].first_err));
        out(", %d signals\n", ta[k].signals);
      }
      i += 3 + used;
    } else if (!strcmp(op, "exec")) {
      used = group(av + i + 1, ac - i - 1, &g, &gn);
      flush_out();
      long rc = syscall(SYS_execve, "/proc/self/exe", exec_argv(g, gn), environ);
      r = (struct result){rc, errno, SHOW_NUM, ""};
      print_result("execve", &r);
      i += 1 + used;
    } else if (!strcmp(op, "texec")) {
      char **pre;
      int pre_n, pre_used = group(av + i + 1, ac - i - 1, &pre, &pre_n);
      used = pre_used + group(av + i + 1 + pre_used, ac - i - 1 - pre_used, &g, &gn);
      flush_out();
      struct texec_arg ta = {exec_argv(g, gn), pre, pre_n};
      pthread_t th;
      pthread_create(&th, NULL, texec_main, &ta);
      pthread_join(th, NULL);
      i += 1 + used;
    } else {
      int n = simple_op(av + i, ac - i, &r);
      if (!n) { fprintf(stderr, "calls: unknown op %s\n", op); exit(2); }
      print_result(op, &r);
      i += n;
    }
  }
}

int main(int argc, char **argv) {
  out_buf = main_out;
  self_argv0 = argv[0];
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal; /* no SA_RESTART: an interrupted call shows EINTR */
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGUSR2, &sa, NULL);
  sigaction(SIGALRM, &sa, NULL);
  run_ops(argv + 1, argc - 1);
  flush_out();
  syscall(SYS_exit_group, 0);
  return 0;
}
