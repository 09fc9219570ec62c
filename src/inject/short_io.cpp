#include "inject/short_io.hpp"

#include <fcntl.h>
#include <linux/fs.h>  // RWF_NOWAIT
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <span>

#include "kernel/thread_memory.hpp"
#include "policy/syscall_table.hpp"

namespace sysvisor {
namespace {

// The most a read or write moves in one call (MAX_RW_COUNT: INT_MAX rounded down to a page).
constexpr uint64_t kMaxRwCount = 0x7ffff000;

// The registers the call's arguments are in; for an i386 socketcall, the words its second
// argument points to (six for recvfrom and sendto, three for recvmsg and sendmsg, as the kernel
// copies them). False if unreadable: the kernel then fails the call with EFAULT.
bool call_registers(const Syscall& call, RuleKey key, ShortKind kind, CallerMemory& memory,
                    std::array<uint64_t, 6>& regs) {
  regs = call.args;
  if (key.personality != Personality::kI386 || key.nr < kI386SocketSubcallBase) return true;
  std::array<uint32_t, 6> words{};
  const size_t count = kind == ShortKind::kRecvmsg || kind == ShortKind::kSendmsg ? 3 : 6;
  if (memory.read(call.ptr_arg(1), std::as_writable_bytes(std::span(words)).first(count * 4)) != 0) return false;
  for (size_t i = 0; i < regs.size(); ++i) regs[i] = words[i];
  return true;
}

// Blocks SIGPIPE in this thread while sysvisor writes for the program, so that a broken pipe
// does not kill sysvisor (the kernel sends it to the writer, send_sig(SIGPIPE, current)); caught()
// takes the one the kernel raised, if any. The process's disposition is left alone.
class SigpipeCatcher {
 public:
  SigpipeCatcher() noexcept {
    sigemptyset(&set_);
    sigaddset(&set_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  ~SigpipeCatcher() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  SigpipeCatcher(const SigpipeCatcher&) = delete;
  SigpipeCatcher& operator=(const SigpipeCatcher&) = delete;
  bool caught() noexcept {
    const timespec now{};
    return sigtimedwait(&set_, nullptr, &now) == SIGPIPE;
  }

 private:
  sigset_t set_{};
  sigset_t old_{};
};

template <class T>
std::span<const std::byte> bytes_of(const T& v) noexcept {
  return std::as_bytes(std::span(&v, 1));
}

}  // namespace

std::optional<ShortIo> ShortIo::prepare(const Syscall& call, RuleKey key, uint64_t limit) {
  const SyscallEntry* entry = SyscallTable::instance().entry(key.personality, key.nr);
  const std::optional<ShortKind> kind = entry != nullptr ? short_kind(entry->name) : std::nullopt;
  if (!kind) return std::nullopt;
  ThreadMemory memory(call.tid);
  std::array<uint64_t, 6> regs{};
  if (!call_registers(call, key, *kind, memory, regs)) return std::nullopt;
  std::optional<ShortCall> decoded = decode_short_call(*kind, call.arch, regs, limit, memory);
  if (!decoded) return std::nullopt;
  ShortIo io;
  io.call_ = std::move(*decoded);
  io.tid_ = call.tid;
  io.count_ = std::min({limit, io.call_.total, kMaxRwCount});
  if (!io.take_descriptor() || io.runs_whole_for_file()) return std::nullopt;
  if (!(io.call_.writes ? io.prepare_write() : io.prepare_read())) return std::nullopt;
  return io;
}

// The program's descriptor (pidfd_getfd: a bad number is EBADF, which the kernel reports itself).
bool ShortIo::take_descriptor() {
  pidfd_ = thread_pidfd(tid_);
  if (!pidfd_) return false;
  fd_.reset(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd_.get(), call_.fd, 0)));
  return static_cast<bool>(fd_);
}

// Descriptors a short transfer could not leave as natively (short_io.hpp); notes whether
// attempts must not wait, and a socket's timeout.
bool ShortIo::runs_whole_for_file() {
  struct stat st{};
  const int flags = fcntl(fd_.get(), F_GETFL);
  if (fstat(fd_.get(), &st) != 0 || flags < 0 || (flags & O_DIRECT) != 0) return true;
  waits_ = !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode);
  is_fifo_ = S_ISFIFO(st.st_mode);
  if (S_ISSOCK(st.st_mode)) {
    timeval tv{};
    socklen_t len = sizeof tv;
    if (getsockopt(fd_.get(), SOL_SOCKET, call_.writes ? SO_SNDTIMEO : SO_RCVTIMEO, &tv, &len) == 0 &&
        (tv.tv_sec != 0 || tv.tv_usec != 0))
      deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(tv.tv_sec) +
                  std::chrono::microseconds(tv.tv_usec);
  }
  if (!call_.writes || !S_ISREG(st.st_mode)) return false;
  // should_remove_suid(): a write clears S_ISUID, and S_ISGID with S_IXGRP, unless CAP_FSETID.
  if ((st.st_mode & S_ISUID) != 0 || (st.st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP)) return true;
  rlimit limit{};
  return prlimit(tid_, RLIMIT_FSIZE, nullptr, &limit) != 0 || limit.rlim_cur != RLIM_INFINITY;
}

// The caller's buffers take at most count_ bytes, up to the first byte it cannot write (where
// copy_to_user stops). Not even one: the kernel fails the call with EFAULT itself.
bool ShortIo::prepare_read() {
  if (image_.open(tid_) != 0) return false;
  uint64_t room = 0;
  for (const IoSegment& s : call_.segments) {
    if (room == count_) break;
    const uint64_t want = std::min(s.len, count_ - room);
    uint64_t ok = 0;
    if (image_.writable_prefix(s.addr, want, ok) != 0) return false;
    room += ok;
    if (ok < want) break;
  }
  count_ = room;
  return count_ != 0;
}

// The first count_ bytes of the caller's buffers, up to the first byte it cannot read (where
// copy_from_user stops). Not even one: the kernel fails the call with EFAULT itself.
bool ShortIo::prepare_write() {
  bytes_.resize(static_cast<size_t>(count_));
  size_t got = 0;
  for (const IoSegment& s : call_.segments) {
    if (got == bytes_.size()) break;
    const auto want = static_cast<size_t>(std::min<uint64_t>(s.len, bytes_.size() - got));
    size_t n = 0;
    const int e = read_memory_prefix(tid_, s.addr, std::span(bytes_).subspan(got, want), n);
    got += n;
    if (e != 0) break;
  }
  bytes_.resize(got);
  count_ = got;
  return got != 0;
}

std::optional<Reply> ShortIo::try_now() { return call_.writes ? try_write() : try_read(); }

std::optional<Reply> ShortIo::try_read() {
  bytes_.resize(static_cast<size_t>(count_));
  const ssize_t n = read_once();
  if (n < 0) return failed(errno);
  if (deliver(static_cast<size_t>(n)) != 0) return Reply::err(EFAULT);
  if (const int e = deliver_source(); e != 0) return Reply::err(e);
  return Reply::val(n);
}

std::optional<Reply> ShortIo::try_write() {
  ssize_t n = 0;
  int error = 0;
  bool raised = false;
  {
    SigpipeCatcher catcher;
    n = write_once();
    error = errno;
    raised = catcher.caught();
  }
  // The kernel raised SIGPIPE in the writer (EPIPE, no MSG_NOSIGNAL): the calling thread gets it,
  // pending before the answer, as when it wrote itself.
  if (raised) (void)syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGPIPE, nullptr, 0);
  if (n < 0) return failed(error);
  return Reply::val(n);
}

// An error of the I/O. EAGAIN from our RWF_NOWAIT or MSG_DONTWAIT is the program's only when it
// asked not to wait (O_NONBLOCK, MSG_DONTWAIT, RWF_NOWAIT); else it waits. EOPNOTSUPP from our
// RWF_NOWAIT: this file cannot say (a terminal), so the kernel runs the call whole.
std::optional<Reply> ShortIo::failed(int error) const {
  if (error == EAGAIN && waits_) {
    const int flags = fcntl(fd_.get(), F_GETFL);
    const bool nonblocking = (flags >= 0 && (flags & O_NONBLOCK) != 0) || (call_.rw_flags & RWF_NOWAIT) != 0 ||
                             (call_.msg_flags & MSG_DONTWAIT) != 0;
    if (!nonblocking) return std::nullopt;
  }
  if (error == EOPNOTSUPP && waits_ && !call_.socket && (call_.rw_flags & RWF_NOWAIT) == 0) return Reply::cont();
  return Reply::err(error);
}

// preadv2/pwritev2 at the call's position. A FIFO that cannot do RWF_NOWAIT (a named FIFO, a pipe
// reopened through /proc) is reached through a description of the same pipe of our own, opened
// once with O_NONBLOCK: the program's description and its flags are left alone.
ssize_t ShortIo::file_io(iovec& v) {
  const int fd = fifo_ ? fifo_.get() : fd_.get();
  const int flags = call_.rw_flags | (waits_ && !fifo_ ? RWF_NOWAIT : 0);
  const ssize_t n = call_.writes ? pwritev2(fd, &v, 1, call_.offset, flags) : preadv2(fd, &v, 1, call_.offset, flags);
  if (n >= 0 || errno != EOPNOTSUPP || !is_fifo_ || fifo_) return n;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/fd/%d", fd_.get());
  fifo_.reset(open(path, (call_.writes ? O_WRONLY : O_RDONLY) | O_NONBLOCK | O_CLOEXEC));
  if (!fifo_) {
    errno = EOPNOTSUPP;  // e.g. ENXIO, a writer without a reader: the kernel runs the call whole
    return -1;
  }
  return file_io(v);
}

ssize_t ShortIo::read_once() {
  iovec v{bytes_.data(), bytes_.size()};
  if (!call_.socket) return file_io(v);
  // As the kernel does, the protocol is given an address buffer only when the caller has one.
  sockaddr_storage from{};
  msghdr m{};
  m.msg_name = call_.name != 0 ? &from : nullptr;
  m.msg_namelen = call_.name != 0 ? sizeof from : 0;
  m.msg_iov = &v;
  m.msg_iovlen = 1;
  const int flags = call_.msg_flags | MSG_DONTWAIT;
  ssize_t n = 0;
  if (call_.kind == ShortKind::kRecvfrom) {
    n = recvfrom(fd_.get(), v.iov_base, v.iov_len, flags, static_cast<sockaddr*>(m.msg_name),
                 m.msg_name != nullptr ? &m.msg_namelen : nullptr);
  } else {
    n = recvmsg(fd_.get(), &m, flags);
  }
  if (n < 0) return n;
  const auto* begin = reinterpret_cast<const std::byte*>(&from);
  source_.assign(begin, begin + std::min<size_t>(m.msg_namelen, sizeof from));
  out_flags_ = m.msg_flags;
  return n;
}

ssize_t ShortIo::write_once() {
  iovec v{bytes_.data(), bytes_.size()};
  if (!call_.socket) return file_io(v);
  // An address pointer with length 0 is not the same as none (UDP: EINVAL): keep it non-null.
  sockaddr_storage to{};
  msghdr m{};
  if (call_.dest) {
    if (!call_.dest->empty()) std::memcpy(&to, call_.dest->data(), call_.dest->size());
    m.msg_name = &to;
    m.msg_namelen = static_cast<socklen_t>(call_.dest->size());
  }
  m.msg_iov = &v;
  m.msg_iovlen = 1;
  const int flags = call_.msg_flags | MSG_DONTWAIT;
  if (call_.kind == ShortKind::kSendto)
    return sendto(fd_.get(), v.iov_base, v.iov_len, flags, static_cast<sockaddr*>(m.msg_name), m.msg_namelen);
  return sendmsg(fd_.get(), &m, flags);
}

// The bytes read, into the caller's buffers in order (where copy_to_user would have put them).
int ShortIo::deliver(size_t count) const {
  size_t done = 0;
  for (const IoSegment& s : call_.segments) {
    if (done == count) break;
    const auto n = static_cast<size_t>(std::min<uint64_t>(s.len, count - done));
    if (const int e = image_.write(s.addr, std::span(bytes_).subspan(done, n)); e != 0) return e;
    done += n;
  }
  return 0;
}

// What the kernel writes after the data, in its order: the source address (move_addr_to_user:
// the caller's length is read now, the address cut to it, the full length written back), then
// for recvmsg msg_flags and msg_controllen. A failure is the call's errno; the data stay read.
int ShortIo::deliver_source() const {
  if (call_.name != 0) {
    int32_t ulen = 0;
    if (read_memory(tid_, call_.name_len_at, std::as_writable_bytes(std::span(&ulen, 1))) != 0) return EFAULT;
    const auto klen = static_cast<int32_t>(source_.size());
    const int32_t len = std::min(ulen, klen);
    if (len < 0) return EINVAL;
    if (len > 0 && image_.write(call_.name, std::span(source_).first(static_cast<size_t>(len))) != 0) return EFAULT;
    if (image_.write(call_.name_len_at, bytes_of(klen)) != 0) return EFAULT;
  }
  if (call_.kind != ShortKind::kRecvmsg) return 0;
  const int32_t flags = out_flags_;
  const uint64_t no_control = 0;
  if (image_.write(call_.msg_flags_at, bytes_of(flags)) != 0) return EFAULT;
  if (image_.write(call_.controllen_at, bytes_of(no_control).first(call_.controllen_size)) != 0) return EFAULT;
  return 0;
}

bool ShortIo::wait_ready(std::chrono::milliseconds timeout) const {
  pollfd p{fifo_ ? fifo_.get() : fd_.get(), static_cast<short>(call_.writes ? POLLOUT : POLLIN), 0};
  return poll(&p, 1, static_cast<int>(timeout.count())) > 0;
}

bool ShortIo::timed_out() const noexcept { return deadline_ && std::chrono::steady_clock::now() >= *deadline_; }

}  // namespace sysvisor
