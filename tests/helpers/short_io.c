/* short_io: one read/write-family call, named in argv, whose result and side effects it prints as
 * key=value lines (bytes in hex), so that a run under `sysvisor -e inject=CALL:short=N` can be
 * compared with what the kernel does natively. Built for x86_64 and i386 (32-bit iovecs,
 * msghdr and split file positions). Exit status: 0, or 2 for bad usage.
 *
 *   read PATH COUNT                 read once; data, result, file position after
 *   readall PATH                    read() in 4096-byte calls to EOF; the bytes to stdout
 *   pread PATH COUNT OFFSET         pread64; data, result, position (untouched)
 *   readv PATH L1,L2,...            readv into buffers of those lengths
 *   preadv PATH OFFSET L1,L2,...    preadv; preadv2 PATH OFFSET L1,...: preadv2 with flags 0
 *   write PATH TEXT                 write once into PATH (created, truncated); result, position
 *   pwrite PATH TEXT OFFSET         pwrite64 into PATH (kept); result, position
 *   writev PATH A,B,...             writev of those pieces; pwritev PATH OFFSET A,B,...
 *   stream_recvfrom COUNT           socketpair: peer writes "hello world", recvfrom COUNT, then the rest
 *   stream_sendto TEXT              socketpair: sendto TEXT, then what the peer received
 *   udp_recvfrom COUNT              UDP on 127.0.0.1: a datagram "hello world", recvfrom with an address
 *   udp_recvmsg COUNT               the same through recvmsg into two iovecs: name, namelen, msg_flags
 *   udp_sendto TEXT                 unconnected UDP: sendto with an address; what the peer received
 *   udp_sendmsg TEXT                the same through sendmsg with msg_name
 *   pipe_read COUNT MS              a child writes "abcdef" into a pipe after MS ms; read COUNT
 *   pipe_alarm COUNT restart|norestart
 *                                   SIGALRM after 300 ms (with or without SA_RESTART) during a read
 *                                   of an empty pipe a child fills after 800 ms
 *   pipe_nonblock COUNT             read of an empty O_NONBLOCK pipe
 *   pipe_broken TEXT handler|default
 *                                   write into a pipe whose read end is closed
 *   socketcall_recvfrom COUNT       (i386 only) udp_recvfrom through socketcall(2)
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64  /* i386: pread64, preadv with both halves of the position */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_IOV 8

static void hex(const char *key, const void *p, long n) {
  printf("%s=", key);
  for (long i = 0; i < n; ++i) printf("%02x", ((const unsigned char *)p)[i]);
  printf("\n");
}

static void result(long ret) {
  if (ret < 0) printf("ret=-1\nerrno=%s\n", strerrorname_np(errno));
  else printf("ret=%ld\n", ret);
}

static void position(int fd) { printf("pos=%lld\n", (long long)lseek(fd, 0, SEEK_CUR)); }

static int open_or_die(const char *path, int flags) {
  int fd = open(path, flags, 0644);
  if (fd < 0) {
    perror(path);
    exit(2);
  }
  return fd;
}

/* "3,4,5" -> buffers of those lengths; "a,bc" -> pieces (text). Returns the count. */
static int iovecs(char *spec, struct iovec *iov, int text) {
  int n = 0;
  for (char *tok = strtok(spec, ","); tok && n < MAX_IOV; tok = strtok(NULL, ","), ++n) {
    iov[n].iov_len = text ? strlen(tok) : strtoul(tok, NULL, 0);
    iov[n].iov_base = text ? tok : calloc(1, iov[n].iov_len + 1);
  }
  return n;
}

static void show_iov(const struct iovec *iov, int n) {
  for (int i = 0; i < n; ++i) {
    char key[16];
    snprintf(key, sizeof key, "iov%d", i);
    hex(key, iov[i].iov_base, (long)iov[i].iov_len);
  }
}

static int file_op(int argc, char **argv) {
  const char *op = argv[1], *path = argv[2];
  char buf[65536];
  struct iovec iov[MAX_IOV];
  long ret;
  int fd, n;
  if (!strcmp(op, "read") && argc == 4) {
    fd = open_or_die(path, O_RDONLY);
    size_t count = strtoul(argv[3], NULL, 0);
    ret = read(fd, buf, count < sizeof buf ? count : sizeof buf);
    result(ret);
    hex("data", buf, ret > 0 ? ret : 0);
  } else if (!strcmp(op, "pread") && argc == 5) {
    fd = open_or_die(path, O_RDONLY);
    ret = pread(fd, buf, strtoul(argv[3], NULL, 0), strtoll(argv[4], NULL, 0));
    result(ret);
    hex("data", buf, ret > 0 ? ret : 0);
  } else if (!strcmp(op, "readv") && argc == 4) {
    fd = open_or_die(path, O_RDONLY);
    n = iovecs(argv[3], iov, 0);
    result(readv(fd, iov, n));
    show_iov(iov, n);
  } else if ((!strcmp(op, "preadv") || !strcmp(op, "preadv2")) && argc == 5) {
    fd = open_or_die(path, O_RDONLY);
    n = iovecs(argv[4], iov, 0);
    off_t at = strtoll(argv[3], NULL, 0);
    result(op[6] == '2' ? preadv2(fd, iov, n, at, 0) : preadv(fd, iov, n, at));
    show_iov(iov, n);
  } else if (!strcmp(op, "write") && argc == 4) {
    fd = open_or_die(path, O_WRONLY | O_CREAT | O_TRUNC);
    result(write(fd, argv[3], strlen(argv[3])));
  } else if (!strcmp(op, "pwrite") && argc == 5) {
    fd = open_or_die(path, O_WRONLY);
    result(pwrite(fd, argv[3], strlen(argv[3]), strtoll(argv[4], NULL, 0)));
  } else if (!strcmp(op, "writev") && argc == 4) {
    fd = open_or_die(path, O_WRONLY | O_CREAT | O_TRUNC);
    n = iovecs(argv[3], iov, 1);
    result(writev(fd, iov, n));
  } else if (!strcmp(op, "pwritev") && argc == 5) {
    fd = open_or_die(path, O_WRONLY);
    n = iovecs(argv[4], iov, 1);
    result(pwritev(fd, iov, n, strtoll(argv[3], NULL, 0)));
  } else {
    return -1;
  }
  position(fd);
  return 0;
}

static int readall(const char *path) {
  int fd = open_or_die(path, O_RDONLY);
  char buf[4096];
  long calls = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return perror("read"), 1;
    if (n == 0) break;
    ++calls;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(1, buf + done, (size_t)(n - done));
      if (w <= 0) return 1;
      done += w;
    }
  }
  fprintf(stderr, "reads=%ld\n", calls);
  return 0;
}

/* Two UDP sockets on 127.0.0.1: *rx bound, *tx bound (so that it has an address to report). */
static void udp_pair(int *rx, int *tx, struct sockaddr_in *rx_addr, struct sockaddr_in *tx_addr) {
  socklen_t len = sizeof *rx_addr;
  *rx = socket(AF_INET, SOCK_DGRAM, 0);
  *tx = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in any = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(*rx, (struct sockaddr *)&any, sizeof any) || bind(*tx, (struct sockaddr *)&any, sizeof any)) exit(2);
  getsockname(*rx, (struct sockaddr *)rx_addr, &len);
  len = sizeof *tx_addr;
  getsockname(*tx, (struct sockaddr *)tx_addr, &len);
}

static void udp_send_hello(int tx, const struct sockaddr_in *to) {
  if (sendto(tx, "hello world", 11, 0, (const struct sockaddr *)to, sizeof *to) != 11) exit(2);
}

static void show_peer(const struct sockaddr_in *got, socklen_t len, const struct sockaddr_in *want) {
  printf("namelen=%u\n", (unsigned)len);
  printf("same_peer=%d\n", got->sin_port == want->sin_port && got->sin_addr.s_addr == want->sin_addr.s_addr);
}

/* What is left to read (readv: a call none of the tests shortens while it drains). */
static void drain(int fd, const char *key) {
  char buf[256];
  struct iovec iov = {buf, sizeof buf};
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  ssize_t n = readv(fd, &iov, 1);
  hex(key, buf, n > 0 ? n : 0);
}

static int udp_receive(const char *op, size_t count) {
  int rx, tx;
  struct sockaddr_in rx_addr, tx_addr, from;
  char buf[256] = {0}, second[256] = {0};
  udp_pair(&rx, &tx, &rx_addr, &tx_addr);
  udp_send_hello(tx, &rx_addr);
  memset(&from, 0, sizeof from);
  if (!strcmp(op, "udp_recvfrom")) {
    socklen_t len = sizeof from;
    long ret = recvfrom(rx, buf, count, 0, (struct sockaddr *)&from, &len);
    result(ret);
    hex("data", buf, ret > 0 ? ret : 0);
    show_peer(&from, len, &tx_addr);
  } else {
    size_t first = count / 2;
    struct iovec iov[2] = {{buf, first}, {second, count - first}};
    struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = iov, .msg_iovlen = 2};
    m.msg_flags = 0x7fff0000;  /* the kernel overwrites it */
    long ret = recvmsg(rx, &m, 0);
    result(ret);
    show_iov(iov, 2);
    show_peer(&from, m.msg_namelen, &tx_addr);
    printf("msg_flags=%#x\n", (unsigned)m.msg_flags);
  }
  udp_send_hello(tx, &rx_addr);  /* the next datagram comes whole: the first one was consumed */
  drain(rx, "next");
  return 0;
}

static int udp_send(const char *op, const char *text) {
  int rx, tx;
  struct sockaddr_in rx_addr, tx_addr;
  udp_pair(&rx, &tx, &rx_addr, &tx_addr);
  if (!strcmp(op, "udp_sendto")) {
    result(sendto(tx, text, strlen(text), 0, (struct sockaddr *)&rx_addr, sizeof rx_addr));
  } else {
    struct iovec iov = {(void *)text, strlen(text)};
    struct msghdr m = {.msg_name = &rx_addr, .msg_namelen = sizeof rx_addr, .msg_iov = &iov, .msg_iovlen = 1};
    result(sendmsg(tx, &m, 0));
  }
  usleep(20000);
  drain(rx, "received");
  return 0;
}

static int stream_op(const char *op, const char *arg) {
  int sv[2];
  char buf[256] = {0};
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) return 2;
  if (!strcmp(op, "stream_recvfrom")) {
    if (write(sv[1], "hello world", 11) != 11) return 2;
    long ret = recvfrom(sv[0], buf, strtoul(arg, NULL, 0), 0, NULL, NULL);
    result(ret);
    hex("data", buf, ret > 0 ? ret : 0);
    drain(sv[0], "rest");
  } else {
    result(sendto(sv[0], arg, strlen(arg), 0, NULL, 0));
    drain(sv[1], "received");
  }
  return 0;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int alarms;
static void on_signal(int sig) {
  (void)sig;
  ++alarms;
}

/* A child that writes "abcdef" into fds[1] after `ms` milliseconds (it exits right after). */
static void late_writer(int fds[2], int ms) {
  if (fork() == 0) {
    close(fds[0]);
    usleep((useconds_t)ms * 1000);
    ssize_t w = write(fds[1], "abcdef", 6);
    _exit(w == 6 ? 0 : 1);
  }
  close(fds[1]);
}

static int pipe_op(const char *op, const char *arg, const char *mode) {
  int fds[2];
  char buf[64] = {0};
  if (pipe(fds)) return 2;
  if (!strcmp(op, "pipe_broken")) {
    if (!strcmp(mode, "handler")) signal(SIGPIPE, on_signal);
    close(fds[0]);
    result(write(fds[1], arg, strlen(arg)));
    printf("sigpipe=%d\n", alarms);
    return 0;
  }
  size_t count = strtoul(arg, NULL, 0);
  if (!strcmp(op, "pipe_nonblock")) {
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    result(read(fds[0], buf, count));
    return 0;
  }
  if (!strcmp(op, "pipe_alarm")) {
    struct sigaction sa = {.sa_handler = on_signal, .sa_flags = !strcmp(mode, "restart") ? SA_RESTART : 0};
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval t = {.it_value = {0, 300000}};
    setitimer(ITIMER_REAL, &t, NULL);
  }
  late_writer(fds, !strcmp(op, "pipe_alarm") ? 800 : atoi(mode));
  double start = now();
  long ret = read(fds[0], buf, count);
  result(ret);
  hex("data", buf, ret > 0 ? ret : 0);
  printf("alarms=%d\nwaited=%.2f\n", alarms, now() - start);
  wait(NULL);
  drain(fds[0], "rest");
  return 0;
}

#ifdef __i386__
/* recvfrom through socketcall(SYS_RECVFROM, args): strace keys it as recvfrom. */
static int socketcall_recvfrom(size_t count) {
  int rx, tx;
  struct sockaddr_in rx_addr, tx_addr, from;
  char buf[256] = {0};
  udp_pair(&rx, &tx, &rx_addr, &tx_addr);
  udp_send_hello(tx, &rx_addr);
  socklen_t len = sizeof from;
  unsigned long args[6] = {(unsigned long)rx, (unsigned long)buf, count, 0, (unsigned long)&from,
                           (unsigned long)&len};
  long ret = syscall(SYS_socketcall, 12 /* SYS_RECVFROM */, args);
  result(ret);
  hex("data", buf, ret > 0 ? ret : 0);
  show_peer(&from, len, &tx_addr);
  return 0;
}
#endif

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 3) return 2;
  const char *op = argv[1];
  if (!strcmp(op, "readall")) return readall(argv[2]);
  if (!strncmp(op, "udp_recv", 8)) return udp_receive(op, strtoul(argv[2], NULL, 0));
  if (!strncmp(op, "udp_send", 8)) return udp_send(op, argv[2]);
  if (!strncmp(op, "stream_", 7)) return stream_op(op, argv[2]);
  if (!strncmp(op, "pipe_", 5)) return pipe_op(op, argv[2], argc > 3 ? argv[3] : "");
#ifdef __i386__
  if (!strcmp(op, "socketcall_recvfrom")) return socketcall_recvfrom(strtoul(argv[2], NULL, 0));
#endif
  if (file_op(argc, argv) == 0) return 0;
  fprintf(stderr, "short_io: bad usage\n");
  return 2;
}
