/* The floor (issue 6): a minimal seccomp user-notification supervisor. No policy, no allocation,
 * no logging on the hot path: what this kernel costs per notified call and nothing more.
 *
 *   raw_loop [-m continue|inspect|redirect|redirect2] [-s] [-t N] [-b] [-k] [-n SYSCALL]... [-x EXTRA]...
 *            [-f FROM -T TO] -- PROG [ARG...]
 *
 *   -m continue   RECV + CONTINUE
 *   -m inspect    RECV + read the path (process_vm_readv, page-bounded) + ID_VALID + CONTINUE
 *   -m redirect   RECV + path read + ID_VALID + open(TO) + ADDFD with SECCOMP_ADDFD_FLAG_SEND + close,
 *                 for calls whose path is FROM (-f, -T); other paths as inspect
 *   -m redirect2  as redirect, answered in two steps: ADDFD without SEND (the descriptor is installed),
 *                 then SECCOMP_IOCTL_NOTIF_SEND with val = its number; SEND honours SYNC_WAKE_UP where
 *                 ADDFD|SEND wakes the caller with a plain complete()
 *   -s            SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP on the listener
 *   -t N          N receiver threads (default 1)
 *   -b            wait in a blocking RECV instead of poll + RECV
 *   -k            install the filter with SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (as sysvisor does)
 *   -n SYSCALL    notify this syscall (a name of the table below or a number; repeatable). Default:
 *                 getppid for continue, open and openat otherwise. -n redirect-set: every call that
 *                 sysvisor notifies while a redirect rule is active (open ... llistxattr).
 *   -x EXTRA      add one of the syscalls sysvisor makes per notification on top of the floor, to
 *                 measure what each costs (repeatable; not part of the floor):
 *                   recheck  poll(listener, 0) before each RECV      (Server::receive)
 *                   sigfd    wait in poll on the listener and a signalfd (Server::receive_loop)
 *                   pidfd    poll(pidfd of the calling thread, 0)    (Injector::check_thread)
 *                   stat2    stat(TO) twice before open(TO)          (Redirector::may_block, act_open)
 *                   dirfd    readlink /proc/TID/cwd or /proc/TID/fd/N for a relative path
 *                            (Redirector::match: thread_cwd, thread_fd_path)
 *                   mutex    a mutex around recheck + RECV           (Server::receive)
 *
 * The child sets NO_NEW_PRIVS, installs a BPF filter that notifies exactly those syscalls of
 * x86_64 (arch check first, x32 numbers allowed), passes the listener to the parent over a
 * socketpair (SCM_RIGHTS), closes it and execs PROG. The parent serves until PROG exits and exits
 * with its status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

enum mode { MODE_CONTINUE, MODE_INSPECT, MODE_REDIRECT };

static enum mode g_mode = MODE_CONTINUE;
static int g_listener = -1;
static int g_blocking;
static int g_two_step; /* -m redirect2 */
static const char* g_from;
static size_t g_from_len;
static const char* g_to;
static size_t g_notif_size, g_resp_size;

enum {
  X_RECHECK = 1 << 0,
  X_SIGFD = 1 << 1,
  X_PIDFD = 1 << 2,
  X_STAT2 = 1 << 3,
  X_DIRFD = 1 << 4,
  X_MUTEX = 1 << 5,
};
static unsigned g_extra;
static int g_sigfd = -1;
static pthread_mutex_t g_recv_mutex = PTHREAD_MUTEX_INITIALIZER;

/* The calls this loop knows by name, and where their path argument is. */
static const struct {
  const char* name;
  int nr;
  int path_arg;
} kSyscalls[] = {
    {"getppid", SYS_getppid, -1},       {"open", SYS_open, 0},
    {"openat", SYS_openat, 1},          {"openat2", SYS_openat2, 1},
    {"creat", SYS_creat, 0},            {"stat", SYS_stat, 0},
    {"lstat", SYS_lstat, 0},            {"newfstatat", SYS_newfstatat, 1},
    {"statx", SYS_statx, 1},            {"access", SYS_access, 0},
    {"faccessat", SYS_faccessat, 1},    {"faccessat2", SYS_faccessat2, 1},
    {"readlink", SYS_readlink, 0},      {"readlinkat", SYS_readlinkat, 1},
    {"getxattr", SYS_getxattr, 0},      {"lgetxattr", SYS_lgetxattr, 0},
    {"listxattr", SYS_listxattr, 0},    {"llistxattr", SYS_llistxattr, 0},
};
#define N_SYSCALLS ((int)(sizeof kSyscalls / sizeof kSyscalls[0]))

static int path_arg(int nr) {
  for (int i = 0; i < N_SYSCALLS; ++i)
    if (kSyscalls[i].nr == nr) return kSyscalls[i].path_arg;
  return -1;
}

static void die(const char* what) {
  fprintf(stderr, "raw_loop: %s: %s\n", what, strerror(errno));
  exit(125);
}

static int syscall_number(const char* name) {
  for (int i = 0; i < N_SYSCALLS; ++i)
    if (strcmp(name, kSyscalls[i].name) == 0) return kSyscalls[i].nr;
  char* end;
  const long nr = strtol(name, &end, 10);
  if (*end != '\0' || nr < 0) {
    fprintf(stderr, "raw_loop: unknown syscall '%s'\n", name);
    exit(125);
  }
  return (int)nr;
}

static unsigned extra_flag(const char* name) {
  static const struct {
    const char* name;
    unsigned flag;
  } names[] = {{"recheck", X_RECHECK}, {"sigfd", X_SIGFD}, {"pidfd", X_PIDFD},
               {"stat2", X_STAT2},     {"dirfd", X_DIRFD}, {"mutex", X_MUTEX}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i)
    if (strcmp(name, names[i].name) == 0) return names[i].flag;
  fprintf(stderr, "raw_loop: unknown extra '%s'\n", name);
  exit(125);
}

/* Reads the NUL-terminated path at `addr` of `tid` into buf (PATH_MAX bytes), one page at a time:
 * never past the page that holds the NUL. Returns its length, or -1. */
static long read_path(pid_t tid, uint64_t addr, char* buf, size_t cap) {
  size_t done = 0;
  while (done < cap) {
    size_t want = 4096 - ((addr + done) & 4095);
    if (want > cap - done) want = cap - done;
    struct iovec local = {buf + done, want};
    struct iovec remote = {(void*)(uintptr_t)(addr + done), want};
    const ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
    if (n <= 0) return -1;
    const char* nul = memchr(buf + done, '\0', (size_t)n);
    if (nul != NULL) return nul - buf;
    done += (size_t)n;
  }
  return -1;
}

static void send_continue(struct seccomp_notif_resp* resp, uint64_t id) {
  memset(resp, 0, g_resp_size);
  resp->id = id;
  resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  ioctl(g_listener, SECCOMP_IOCTL_NOTIF_SEND, resp);
}

static void send_value(struct seccomp_notif_resp* resp, uint64_t id, int64_t val) {
  memset(resp, 0, g_resp_size);
  resp->id = id;
  resp->val = val;
  ioctl(g_listener, SECCOMP_IOCTL_NOTIF_SEND, resp);
}

static void send_error(struct seccomp_notif_resp* resp, uint64_t id, int error) {
  memset(resp, 0, g_resp_size);
  resp->id = id;
  resp->error = -error;
  ioctl(g_listener, SECCOMP_IOCTL_NOTIF_SEND, resp);
}

/* -x pidfd: one pidfd per receiver for the last calling thread, polled on every call. */
static __thread int t_pidfd = -1;
static __thread pid_t t_pidfd_tid;

static void extra_pidfd(pid_t tid) {
  if (t_pidfd < 0 || t_pidfd_tid != tid) {
    if (t_pidfd >= 0) close(t_pidfd);
    t_pidfd = (int)syscall(SYS_pidfd_open, tid, O_EXCL /* PIDFD_THREAD */);
    t_pidfd_tid = tid;
  }
  struct pollfd p = {t_pidfd, POLLIN, 0};
  poll(&p, 1, 0);
}

static void extra_dirfd(const struct seccomp_notif* req, int parg, const char* path, long len) {
  if (len <= 0 || path[0] == '/') return;
  char link[64], target[4096];
  const int dirfd = parg == 1 ? (int)req->data.args[0] : AT_FDCWD;
  if (dirfd == AT_FDCWD) snprintf(link, sizeof link, "/proc/%d/cwd", (int)req->pid);
  else snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)req->pid, dirfd);
  (void)!readlink(link, target, sizeof target);
}

static void handle(const struct seccomp_notif* req, struct seccomp_notif_resp* resp, char* path) {
  if (g_extra & X_PIDFD) extra_pidfd((pid_t)req->pid);
  const int parg = path_arg(req->data.nr);
  if (g_mode == MODE_CONTINUE || parg < 0) {
    send_continue(resp, req->id);
    return;
  }
  const long len = read_path((pid_t)req->pid, req->data.args[parg], path, 4096);
  if (g_extra & X_DIRFD) extra_dirfd(req, parg, path, len);
  uint64_t id = req->id;
  if (ioctl(g_listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) != 0) return; /* the caller is gone */
  const int is_open = req->data.nr == SYS_openat || req->data.nr == SYS_open;
  if (g_mode == MODE_INSPECT || !is_open || len < 0 || (size_t)len != g_from_len ||
      memcmp(path, g_from, g_from_len) != 0) {
    send_continue(resp, req->id);
    return;
  }
  const int at = req->data.nr == SYS_openat;
  const int flags = (int)req->data.args[at ? 2 : 1];
  const mode_t mode = (mode_t)req->data.args[at ? 3 : 2];
  if (g_extra & X_STAT2) {
    struct stat st;
    stat(g_to, &st);
    stat(g_to, &st);
  }
  const int fd = open(g_to, flags | O_CLOEXEC | O_NOCTTY, mode);
  if (fd < 0) {
    send_error(resp, req->id, errno);
    return;
  }
  struct seccomp_notif_addfd addfd = {
      .id = req->id,
      .flags = g_two_step ? 0 : SECCOMP_ADDFD_FLAG_SEND,
      .srcfd = (uint32_t)fd,
      .newfd = 0,
      .newfd_flags = (uint32_t)(flags & O_CLOEXEC),
  };
  const int rc = ioctl(g_listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
  if (rc < 0 && errno != ENOENT) send_error(resp, req->id, errno);
  if (rc >= 0 && g_two_step) send_value(resp, req->id, rc);
  close(fd);
}

static void* receiver(void* unused) {
  (void)unused;
  /* All buffers are set up once, here. */
  _Alignas(16) unsigned char req_buf[512];
  _Alignas(16) unsigned char resp_buf[512];
  static __thread char path[4096];
  struct seccomp_notif* req = (struct seccomp_notif*)req_buf;
  struct seccomp_notif_resp* resp = (struct seccomp_notif_resp*)resp_buf;
  for (;;) {
    if (!g_blocking) {
      struct pollfd p[2] = {{g_listener, POLLIN, 0}, {g_sigfd, POLLIN, 0}};
      if (poll(p, (g_extra & X_SIGFD) ? 2 : 1, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if ((p[0].revents & POLLIN) == 0) {
        if (p[0].revents & (POLLHUP | POLLERR)) break; /* no task uses the filter any more */
        continue;
      }
    }
    if (g_extra & X_MUTEX) pthread_mutex_lock(&g_recv_mutex);
    if (g_extra & X_RECHECK) {
      struct pollfd p = {g_listener, POLLIN, 0};
      if (poll(&p, 1, 0) != 1 || (p.revents & POLLIN) == 0) {
        if (g_extra & X_MUTEX) pthread_mutex_unlock(&g_recv_mutex);
        if (p.revents & (POLLHUP | POLLERR)) break;
        continue;
      }
    }
    memset(req, 0, g_notif_size);
    const int rc = ioctl(g_listener, SECCOMP_IOCTL_NOTIF_RECV, req);
    const int err = errno;
    if (g_extra & X_MUTEX) pthread_mutex_unlock(&g_recv_mutex);
    if (rc != 0) {
      if (err == EINTR) continue;
      struct pollfd p = {g_listener, POLLIN, 0};
      if (err == ENOENT && !(poll(&p, 1, 0) == 1 && (p.revents & POLLHUP))) continue;
      break;
    }
    handle(req, resp, path);
  }
  return NULL;
}

struct options {
  int threads, sync_wake, killable;
  int nrs[32], count;
};

/* Parses the options into `o` and the globals; 0, or 125 after a message. */
static int parse_options(int argc, char** argv, struct options* o) {
  int opt;
  while ((opt = getopt(argc, argv, "+m:st:bkn:f:T:x:")) != -1) {
    switch (opt) {
      case 'm':
        if (strcmp(optarg, "continue") == 0) g_mode = MODE_CONTINUE;
        else if (strcmp(optarg, "inspect") == 0) g_mode = MODE_INSPECT;
        else if (strcmp(optarg, "redirect") == 0) g_mode = MODE_REDIRECT;
        else if (strcmp(optarg, "redirect2") == 0) {
          g_mode = MODE_REDIRECT;
          g_two_step = 1;
        }
        else {
          fprintf(stderr, "raw_loop: unknown mode '%s'\n", optarg);
          return 125;
        }
        break;
      case 's': o->sync_wake = 1; break;
      case 't': o->threads = atoi(optarg); break;
      case 'b': g_blocking = 1; break;
      case 'k': o->killable = 1; break;
      case 'n':
        if (strcmp(optarg, "redirect-set") == 0) {
          for (int i = 0; i < N_SYSCALLS; ++i)
            if (kSyscalls[i].path_arg >= 0 && o->count < 32) o->nrs[o->count++] = kSyscalls[i].nr;
        } else if (o->count < 32) {
          o->nrs[o->count++] = syscall_number(optarg);
        }
        break;
      case 'x': g_extra |= extra_flag(optarg); break;
      case 'f': g_from = optarg; break;
      case 'T': g_to = optarg; break;
      default: return 125;
    }
  }
  if (optind >= argc || o->threads < 1 || o->threads > 64 ||
      (g_mode == MODE_REDIRECT && (g_from == NULL || g_to == NULL))) {
    fprintf(stderr, "usage: raw_loop [-m continue|inspect|redirect|redirect2] [-s] [-t N] [-b] [-k] [-n SYSCALL]... "
                    "[-x EXTRA]... [-f FROM -T TO] -- PROG [ARG...]\n");
    return 125;
  }
  if (g_from != NULL) g_from_len = strlen(g_from);
  if (o->count == 0) {
    if (g_mode == MODE_CONTINUE) o->nrs[o->count++] = SYS_getppid;
    else {
      o->nrs[o->count++] = SYS_open;
      o->nrs[o->count++] = SYS_openat;
    }
  }
  return 0;
}

/* The kernel's notification sizes into the globals; 0, or 125 after a message. */
static int size_buffers(void) {
  struct seccomp_notif_sizes sizes;
  if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) die("SECCOMP_GET_NOTIF_SIZES");
  g_notif_size = sizes.seccomp_notif > sizeof(struct seccomp_notif) ? sizes.seccomp_notif : sizeof(struct seccomp_notif);
  g_resp_size = sizes.seccomp_notif_resp > sizeof(struct seccomp_notif_resp) ? sizes.seccomp_notif_resp
                                                                              : sizeof(struct seccomp_notif_resp);
  if (g_notif_size > 512 || g_resp_size > 512) {
    fprintf(stderr, "raw_loop: kernel notification structures too large\n");
    return 125;
  }
  return 0;
}

/* Arch check, x32 allowed, then one comparison per notified syscall; returns the length. */
static int build_program(const struct options* o, struct sock_filter* insns) {
  int n = 0;
  insns[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
  insns[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
  insns[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  insns[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
  for (int i = 0; i < o->count; ++i) {
    /* match: jump to the USER_NOTIF return after the ALLOW that ends the list */
    insns[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)o->nrs[i], (uint8_t)(o->count - i), 0);
    ++n;
  }
  insns[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  insns[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
  return n;
}

/* In the child: installs the filter, sends the listener over `sock`, runs the program. */
static void child_main(const struct options* o, struct sock_fprog* prog, int sock, char** argv) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("PR_SET_NO_NEW_PRIVS");
  const unsigned long flags = SECCOMP_FILTER_FLAG_NEW_LISTENER | (o->killable ? SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV : 0);
  const int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
  if (fd < 0) die("seccomp(SECCOMP_SET_MODE_FILTER)");
  char ctrl[CMSG_SPACE(sizeof(int))];
  memset(ctrl, 0, sizeof ctrl);
  char byte = 0;
  struct iovec iov = {&byte, 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof ctrl};
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  if (sendmsg(sock, &msg, 0) != 1) die("sendmsg");
  close(fd);
  close(sock);
  execvp(argv[0], argv);
  fprintf(stderr, "raw_loop: cannot run '%s': %s\n", argv[0], strerror(errno));
  _exit(errno == ENOENT ? 127 : 126);
}

/* In the parent: the listener the child sent over `sock`. */
static int receive_listener(int sock) {
  char ctrl[CMSG_SPACE(sizeof(int))];
  char byte;
  struct iovec iov = {&byte, 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof ctrl};
  if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1) die("recvmsg (the child failed to set up)");
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (c == NULL || c->cmsg_type != SCM_RIGHTS) die("no listener received");
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

/* Waits for the program and ends as it ended. */
static int wait_program(pid_t child) {
  int status;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) die("waitpid");
  }
  if (WIFSIGNALED(status)) {
    signal(WTERMSIG(status), SIG_DFL);
    raise(WTERMSIG(status));
    return 128 + WTERMSIG(status);
  }
  _exit(WEXITSTATUS(status));
}

int main(int argc, char** argv) {
  struct options o = {.threads = 1};
  int rc = parse_options(argc, argv, &o);
  if (rc == 0) rc = size_buffers();
  if (rc != 0) return rc;
  struct sock_filter insns[8 + 32];
  struct sock_fprog prog = {(unsigned short)build_program(&o, insns), insns};

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) die("socketpair");
  const pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    close(sv[0]);
    child_main(&o, &prog, sv[1], argv + optind);
  }
  close(sv[1]);
  g_listener = receive_listener(sv[0]);
  close(sv[0]);
  if (o.sync_wake && ioctl(g_listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) != 0)
    die("SECCOMP_IOCTL_NOTIF_SET_FLAGS(SYNC_WAKE_UP)");
  if (g_extra & X_SIGFD) {
    sigset_t none; /* a signalfd that never fires: only its place in the poll set costs */
    sigemptyset(&none);
    sigaddset(&none, SIGURG);
    g_sigfd = signalfd(-1, &none, SFD_CLOEXEC | SFD_NONBLOCK);
  }
  /* Receivers are detached: the process ends when the program does. */
  for (int i = 0; i < o.threads; ++i) {
    pthread_t t;
    if (pthread_create(&t, NULL, receiver, NULL) != 0) die("pthread_create");
    pthread_detach(t);
  }
  return wait_program(child);
}
