#include "engine/server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>

#include <fmt/format.h>

#include "engine/describe.hpp"
#include "kernel/process_memory.hpp"

namespace sysvisor {


void Server::warn(std::string_view line) {
  std::lock_guard lock(warn_mutex_);
  if (options_.warn) options_.warn(line);
}

void Server::on_child_exit(const siginfo_t& info) {
  child_reaped_ = true;
  if (info.si_code == CLD_EXITED) {
    result_.exit_code = info.si_status;
  } else {
    result_.term_signal = info.si_status;
    result_.core_dumped = info.si_code == CLD_DUMPED;
  }
  result_.exec_errno = child_.exec_errno();
}

void Server::reap_orphans() {
  while (true) {
    siginfo_t info{};
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG) != 0 || info.si_pid == 0) return;
    if (info.si_pid == child_.pid()) on_child_exit(info);
  }
}

void Server::on_signal() {
  signalfd_siginfo si{};
  while (read(options_.signal_fd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
    if (si.ssi_signo == SIGCHLD) {
      if (options_.subreaper) reap_orphans();
      continue;
    }
    // Signals from the terminal (SI_KERNEL) already reached the program, which shares our process
    // group; forward only what a process sent with kill/sigqueue/tgkill, once.
    const auto code = static_cast<int>(si.ssi_code);
    if (code != SI_USER && code != SI_QUEUE && code != SI_TKILL) continue;
    if (!child_reaped_) syscall(SYS_pidfd_send_signal, child_.pidfd(), si.ssi_signo, nullptr, 0);
  }
}

std::optional<int64_t> Server::respond(const Syscall& call, Reply reply) {
  int rc = 0;
  std::optional<int64_t> result;
  switch (reply.kind) {
    case Reply::Kind::kContinue: rc = notify_.send_continue(call.id); break;
    case Reply::Kind::kValue:
      rc = notify_.send_result(call.id, reply.value, 0);
      result = reply.value;
      break;
    case Reply::Kind::kError:
      rc = notify_.send_result(call.id, 0, reply.error);
      result = -reply.error;
      break;
    case Reply::Kind::kInjectFd: {
      const int fd = notify_.addfd_send(call.id, reply.fd.get(), reply.fd_flags);
      result = fd;
      // On failure (EMFILE: the program's RLIMIT_NOFILE) the call is still pending: answer it.
      if (fd < 0 && fd != -ENOENT) rc = notify_.send_result(call.id, 0, -fd);
      break;
    }
  }
  // ENOENT: the caller died or was interrupted meanwhile, an ordinary event.
  if (rc == ENOENT) return std::nullopt;
  if (rc != 0) warn(fmt::format("answering {} of thread {}: {}", sysno_name(call.sysno), call.tid, std::strerror(rc)));
  return result;
}

void Server::log(const Syscall& call, std::string_view action, std::string detail, std::optional<int64_t> result,
                 std::optional<std::string_view> path) {
  if (!options_.log && !options_.keep_log) return;
  LogEntry e;
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  e.time_ns = static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
  e.tid = call.tid;
  e.pid = thread_group(call.tid);
  e.arch = call.arch == Arch::kX86_64 ? "x86_64" : "i386";
  e.syscall = syscall_name(call);
  e.args = describe_args(call, path);
  e.action = action;
  e.detail = std::move(detail);
  e.result = result;
  std::lock_guard lock(log_mutex_);
  if (options_.log) options_.log(e);
  if (options_.keep_log) kept_log_.push_back(std::move(e));
}

void Server::handle(const seccomp_notif& n, PathScratch& scratch) {
  const Syscall call = decode_call(n, map_);
  // The execve by which we start the program is neither counted nor injected.
  if ((call.sysno == Sysno::kExecve || call.sysno == Sysno::kExecveat) && call.tid == child_.pid() &&
      child_.take_own_exec()) {
    respond(call, Reply::cont());
    log(call, "continue", "(starts the program)", std::nullopt, std::nullopt);
    return;
  }
  if (injector_ && (call.sysno == Sysno::kExecve || call.sysno == Sysno::kExecveat)) injector_->on_exec(call);
  // A user handler decides first, then an inject rule; a call neither answers is then redirected.
  // strace's key for the call, once (for an i386 socketcall it reads the caller's memory).
  const RuleKey key = (!handlers_.empty() || injector_) ? rule_key(call) : RuleKey{};
  if (!handlers_.empty()) {
    if (const int h = handlers_.index(key); h >= 0) {
      Call view{call.id, call.tid, call.arch, call.nr, handlers_.name(key), call.args, notify_.get()};
      Reply reply = Reply::cont();
      try {
        reply = policy_.handlers[static_cast<size_t>(h)].handler(view);
      } catch (const std::exception& e) {
        warn(fmt::format("handler for {} threw: {}", view.name, e.what()));
      } catch (...) {
        warn(fmt::format("handler for {} threw", view.name));
      }
      if (reply.kind != Reply::Kind::kContinue) {
        handler_hits_[static_cast<size_t>(h)].fetch_add(1, std::memory_order_relaxed);
        log(call, "handler", "", respond(call, std::move(reply)), std::nullopt);
        return;
      }
    }
  }
  if (injector_) {
    if (const InjectRule* rule = injector_->rule_for(key); rule != nullptr && injector_->fires(call, key, *rule)) {
      if (notify_.id_valid(call.id) != 0) return;  // -P read the caller's memory: is it still there?
      inject_hits_[static_cast<size_t>(rule - first_rule_)].fetch_add(1, std::memory_order_relaxed);
      if (rule->delay_enter || rule->delay_exit) {
        return run_async([this, call, rule] {
          PathScratch own;
          inject(call, *rule, own);
        });
      }
      return inject(call, *rule, scratch);
    }
  }
  finish(call, scratch);
}

// The call goes on: redirected when a rule matches its path, else let through.
void Server::finish(const Syscall& call, PathScratch& scratch) {
  if (call.sysno == Sysno::kIoUringSetup && io_uring_off_) {
    log(call, "refuse", "io_uring bypasses file rules (--allow-io-uring)", respond(call, Reply::err(ENOSYS)), std::nullopt);
    return;
  }
  if (redirects_empty_) {
    respond(call, Reply::cont());
    log(call, "continue", "", std::nullopt, std::nullopt);
    return;
  }
  Redirector::Lookup found = redirector_.match(call, scratch);
  if (found.memory_errno == EPERM && !warned_memory_.exchange(true)) {
    warn(fmt::format("cannot read the memory of thread {} (not dumpable?): its calls go through unredirected",
                     call.tid));
  }
  std::optional<Redirection>& r = found.redirection;
  if (!r) {
    respond(call, Reply::cont());
    log(call, "continue", "", std::nullopt,
        found.memory_errno == 0 && !found.path.empty() ? std::optional(found.path) : std::nullopt);
    return;
  }
  // What we read may belong to a caller that has gone (and whose id was reused): act only while the
  // notification is still pending.
  if (notify_.id_valid(call.id) != 0) return;
  if (r->rule < redirect_hits_.size()) redirect_hits_[r->rule].fetch_add(1, std::memory_order_relaxed);
  if (auto accmode = redirector_.may_block(call, *r)) {
    const std::string fifo = r->target;
    return run_async(
        [this, call, r = std::move(*r)] {
          const auto result = respond(call, redirector_.act(call, r));
          log(call, "redirect", r.target, result, r.from);  // the absolute path: the program's is gone
        },
        fifo, *accmode);
  }
  const auto result = respond(call, redirector_.act(call, *r));
  log(call, "redirect", r->target, result, found.path);
}

// strace's order: the signal is queued at syscall entry, then delay_enter, poke_enter; a call that
// is answered gets poke_exit and delay_exit before the answer; otherwise it goes on (finish).
void Server::inject(const Syscall& call, const InjectRule& rule, PathScratch& scratch) {
  if (rule.signal != 0) syscall(SYS_tgkill, thread_group(call.tid), call.tid, rule.signal);
  if (rule.delay_enter && !sleep_for(*rule.delay_enter)) return;
  if (rule.poke_enter) poke(call, *rule.poke_enter);
  if (!rule.answers()) {
    log(call, "inject", describe_injection(rule), std::nullopt, std::nullopt);
    return finish(call, scratch);
  }
  if (rule.poke_exit) poke(call, *rule.poke_exit);
  if (rule.delay_exit && !sleep_for(*rule.delay_exit)) return;
  Reply reply = rule.error ? Reply::err(*rule.error) : Reply::val(static_cast<int64_t>(*rule.retval));
  log(call, "inject", describe_injection(rule), respond(call, std::move(reply)), std::nullopt);
}

// poke=@argN=HEX: the bytes go where argument N points, through page protections as the kernel
// would see them (a read-only or bad pointer is skipped).
void Server::poke(const Syscall& call, const std::vector<Poke>& pokes) {
  for (const Poke& p : pokes) {
    if (p.arg < 1 || p.arg > 6) continue;  // x86 syscalls have six arguments
    const uint64_t addr = call.ptr_arg(static_cast<size_t>(p.arg - 1));
    (void)write_memory(call.tid, addr, {reinterpret_cast<const std::byte*>(p.bytes.data()), p.bytes.size()});
  }
}

// Sleeps unless the run is ending; false when cut short.
bool Server::sleep_for(const Delay& delay) {
  std::unique_lock lock(async_mutex_);
  const auto duration = std::chrono::seconds(delay.sec) + std::chrono::nanoseconds(delay.nsec);
  return !stop_cv_.wait_for(lock, duration, [this] { return stopping_; });
}

void Server::run_async(std::function<void()> work, std::string fifo, int accmode) {
  std::lock_guard lock(async_mutex_);
  std::erase_if(async_, [](Async& a) {
    if (!a.done.load()) return false;
    a.thread.join();
    return true;
  });
  Async& a = async_.emplace_back();
  a.fifo = std::move(fifo);
  a.accmode = accmode;
  a.thread = std::thread([&a, work = std::move(work)] {
    work();
    a.done.store(true);
  });
}

// At shutdown no task uses the filter: sleeping work wakes, and work blocked opening a FIFO for a
// caller that has gone is released by opening the other end (its answer then fails with ENOENT).
void Server::cancel_async() {
  std::unique_lock lock(async_mutex_);
  stopping_ = true;
  stop_cv_.notify_all();
  for (Async& a : async_) {
    while (!a.done.load() && !a.fifo.empty()) {
      const int other = a.accmode == O_RDONLY ? O_WRONLY : O_RDONLY;
      UniqueFd end(open(a.fifo.c_str(), other | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      lock.lock();
    }
    lock.unlock();
    a.thread.join();
    lock.lock();
  }
  async_.clear();
}

// Takes one notification. Older kernels: with several receivers they serialise here and look
// again (poll with no timeout) under the lock, since RECV blocks when nothing is pending and two
// receivers woken by the same readiness must not both block in it (a blocked RECV does not return
// when the last task exits). A single receiver, woken by POLLIN, receives at once.
bool Server::receive(std::vector<std::byte>& buffer, bool shared) {
  std::unique_lock lock(recv_mutex_, std::defer_lock);
  if (shared) {
    lock.lock();
    pollfd p{notify_.get(), POLLIN, 0};
    if (poll(&p, 1, 0) != 1 || (p.revents & POLLIN) == 0) return false;
  }
  std::memset(buffer.data(), 0, buffer.size());
  const int rc = notify_.recv(*reinterpret_cast<seccomp_notif*>(buffer.data()));
  if (rc == 0) return true;
  if (rc != ENOENT) warn(fmt::format("SECCOMP_IOCTL_NOTIF_RECV: {}", std::strerror(rc)));
  return false;
}

void Server::receive_loop(bool shared) {
  const NotifyFd::Sizes sizes = NotifyFd::kernel_sizes();
  std::vector<std::byte> buffer(std::max(sizes.notif, sizeof(seccomp_notif)));
  auto* notif = reinterpret_cast<seccomp_notif*>(buffer.data());
  PathScratch scratch;
  if (blocking_recv_) {
    // Every receiver waits in RECV itself: the kernel hands each notification to one of them, and
    // ends their wait with ENOENT once no task uses the filter. ENOENT with the filter alive is a
    // caller that died or was interrupted before we took its call.
    while (true) {
      std::memset(buffer.data(), 0, buffer.size());
      const int rc = notify_.recv(*notif);
      if (rc == 0) {
        handle(*notif, scratch);
      } else if (rc != ENOENT) {
        warn(fmt::format("SECCOMP_IOCTL_NOTIF_RECV: {}", std::strerror(rc)));
        return;
      } else if (notify_.filter_gone()) {
        return;
      }
    }
  }
  // Older kernels: wait in poll, which sees POLLHUP.
  while (true) {
    pollfd p{notify_.get(), POLLIN, 0};
    if (poll(&p, 1, -1) < 0) {
      if (errno == EINTR) continue;
      warn(fmt::format("poll: {}", std::strerror(errno)));
      return;
    }
    if ((p.revents & POLLIN) != 0) {
      if (receive(buffer, shared)) handle(*notif, scratch);
    } else if ((p.revents & (POLLHUP | POLLERR)) != 0) {
      return;  // no task uses the filter any more
    }
  }
}

// Everything that is not a notification: the program's exit (pidfd), signals to forward and
// orphans to reap (signalfd). It watches the listener for POLLHUP only (events = 0), so the
// kernel's POLLIN wake-ups for notifications go to the receivers alone.
void Server::monitor() {
  while (true) {
    pollfd fds[4];
    nfds_t count = 0;
    fds[count++] = {notify_.get(), 0, 0};
    const bool watch_threads = injector_ && injector_->exit_fd() >= 0;
    if (watch_threads) fds[count++] = {injector_->exit_fd(), POLLIN, 0};
    const bool watch_child = !options_.subreaper && !child_reaped_;
    if (watch_child) fds[count++] = {child_.pidfd(), POLLIN, 0};
    const bool watch_signals = options_.signal_fd >= 0;
    if (watch_signals) fds[count++] = {options_.signal_fd, POLLIN, 0};
    if (poll(fds, count, -1) < 0) {
      if (errno == EINTR) continue;
      warn(fmt::format("poll: {}", std::strerror(errno)));
      return;
    }
    if ((fds[0].revents & (POLLHUP | POLLERR)) != 0) return;
    nfds_t i = 1;
    if (watch_threads && (fds[i++].revents & POLLIN) != 0) injector_->forget_exited();
    if (watch_child && (fds[i++].revents & POLLIN) != 0) {
      siginfo_t info{};
      if (waitid(P_PIDFD, static_cast<id_t>(child_.pidfd()), &info, WEXITED | WNOHANG) == 0 && info.si_pid != 0)
        on_child_exit(info);
    }
    if (watch_signals && (fds[i].revents & POLLIN) != 0) on_signal();
  }
}

void Server::serve(int threads) {
  // The program's umask is applied by hand to files we create: this thread (and the receivers and
  // workers it starts, which share its fs struct) gets its own so that umask(0) leaves the rest of
  // the process alone.
  if (unshare(CLONE_FS) == 0) umask(0);
  // Kernels before 6.6 lack SYNC_WAKE_UP: plain wake-ups then, nothing else changes.
  (void)notify_.set_sync_wake_up();

  std::vector<std::thread> receivers;
  for (int i = 0; i < threads; ++i) receivers.emplace_back([this, threads] { receive_loop(threads > 1); });
  monitor();
  for (std::thread& t : receivers) t.join();

  cancel_async();
  if (options_.subreaper) reap_orphans();
  if (!child_reaped_) {
    siginfo_t info{};
    if (waitid(P_PIDFD, static_cast<id_t>(child_.pidfd()), &info, WEXITED) == 0) on_child_exit(info);
  }
}

}  // namespace sysvisor
