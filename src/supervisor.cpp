#include "sysvisor/supervisor.hpp"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <cerrno>
#include <cstring>
#include <list>
#include <mutex>
#include <thread>
#include <climits>
#include <exception>

#include "sysvisor/log.hpp"

#include <fmt/format.h>

#include "call.hpp"
#include "filter.hpp"
#include "launcher.hpp"
#include "notify_fd.hpp"
#include "injector.hpp"
#include "policy_filter.hpp"
#include "process_memory.hpp"
#include "redirector.hpp"

extern char** environ;

namespace sysvisor {
namespace {

// The thread group of a thread ("Tgid:" in /proc/TID/status); the tid itself if unreadable.
pid_t thread_group(pid_t tid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/status", static_cast<int>(tid));
  UniqueFd fd(open(path, O_RDONLY | O_CLOEXEC));
  char buf[1024];
  const ssize_t n = fd ? read(fd.get(), buf, sizeof buf - 1) : -1;
  if (n <= 0) return tid;
  buf[n] = '\0';
  const char* line = std::strstr(buf, "\nTgid:\t");
  return line != nullptr ? static_cast<pid_t>(std::atoi(line + 7)) : tid;
}

std::string syscall_name(const Syscall& call) {
  if (call.sysno != Sysno::kOther) return std::string(sysno_name(call.sysno));
  char* name = seccomp_syscall_resolve_num_arch(static_cast<uint32_t>(call.arch), call.nr);
  std::string out = name != nullptr ? name : fmt::format("syscall_{}", call.nr);
  std::free(name);
  return out;
}

// The six arguments in hex; the path argument, when one was read, as a C string literal.
std::vector<std::string> describe_args(const Syscall& call, const std::string* path) {
  std::vector<std::string> out;
  for (size_t i = 0; i < 6; ++i) out.push_back(fmt::format("{:#x}", call.args[i]));
  if (path != nullptr && redirect_path_arg(call.sysno) == 1) {
    const int dirfd = call.int_arg(0);
    out[0] = dirfd == AT_FDCWD ? "AT_FDCWD" : fmt::format("{}", dirfd);
  }
  if (path != nullptr) {
    const size_t index = redirect_path_arg(call.sysno);
    std::string quoted = "\"";
    for (char c : *path) {
      if (c == '"' || c == '\\') quoted += '\\';
      if (static_cast<unsigned char>(c) < 0x20) quoted += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
      else quoted += c;
    }
    out[index] = quoted + "\"";
  }
  return out;
}

// The log's detail for an injection: "error=EIO", "retval=42", "signal=SIGUSR1", ...
std::string describe_injection(const InjectRule& rule) {
  std::vector<std::string> parts;
  if (rule.error) {
    const char* name = strerrorname_np(*rule.error);
    parts.push_back(name != nullptr ? fmt::format("error={}", name) : fmt::format("error={}", *rule.error));
  }
  if (rule.retval) parts.push_back(fmt::format("retval={}", static_cast<int64_t>(*rule.retval)));
  if (rule.signal != 0) {
    const char* name = sigabbrev_np(rule.signal);
    parts.push_back(name != nullptr ? fmt::format("signal=SIG{}", name) : fmt::format("signal={}", rule.signal));
  }
  if (rule.delay_enter) parts.push_back("delay_enter");
  if (rule.delay_exit) parts.push_back("delay_exit");
  if (rule.poke_enter) parts.push_back("poke_enter");
  if (rule.poke_exit) parts.push_back("poke_exit");
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : ":") + p;
  return out;
}

// What privilege execve would have granted `path` that NO_NEW_PRIVS takes away ("" for none).
std::string lost_privileges(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return "";
  if ((st.st_mode & S_ISUID) != 0 && (st.st_mode & S_ISGID) != 0) return "setuid and setgid";
  if ((st.st_mode & S_ISUID) != 0) return "setuid";
  if ((st.st_mode & S_ISGID) != 0 && (st.st_mode & S_IXGRP) != 0) return "setgid";
  if (getxattr(path.c_str(), "security.capability", nullptr, 0) > 0) return "a program with file capabilities";
  return "";
}

// The handlers by (personality, strace number): O(1), the later handler for a name wins.
class HandlerTable {
 public:
  Result<void> build(const std::vector<HandlerRule>& rules) {
    const SyscallTable& table = SyscallTable::instance();
    for (size_t i = 0; i < rules.size(); ++i) {
      bool known = false;
      for (const Personality p : {Personality::kX86_64, Personality::kI386}) {
        for (const int nr : table.numbers_named(p, rules[i].syscall)) {
          index_[static_cast<size_t>(p)][static_cast<size_t>(nr)] = static_cast<int16_t>(i);
          keys_.push_back({p, nr});
          known = true;
        }
      }
      if (!known) return make_error(EINVAL, fmt::format("handler: unknown syscall '{}'", rules[i].syscall));
      if (!rules[i].handler) return make_error(EINVAL, fmt::format("handler for '{}' is empty", rules[i].syscall));
    }
    return {};
  }
  bool empty() const noexcept { return keys_.empty(); }
  int index(RuleKey key) const noexcept {
    if (key.nr < 0 || key.nr >= kSyscallNrLimit) return -1;
    return index_[static_cast<size_t>(key.personality)][static_cast<size_t>(key.nr)];
  }
  std::string_view name(RuleKey key) const noexcept {
    const SyscallEntry* e = SyscallTable::instance().entry(key.personality, key.nr);
    return e != nullptr ? e->name : std::string_view("?");
  }
  const std::vector<RuleKey>& keys() const noexcept { return keys_; }

 private:
  std::array<std::array<int16_t, kSyscallNrLimit>, kPersonalityCount> index_ = [] {
    std::array<std::array<int16_t, kSyscallNrLimit>, kPersonalityCount> a{};
    for (auto& row : a) row.fill(-1);
    return a;
  }();
  std::vector<RuleKey> keys_;
};

// Serves one listener until no task uses the filter any more.
class Server {
 public:
  Server(const FilterInputs& rules, const Policy& policy, const HandlerTable& handlers, const RunOptions& options,
         Launched& child, NotifyFd listener)
      : options_(options), policy_(policy), handlers_(handlers), child_(child), notify_(std::move(listener)),
        redirector_(rules.redirects), io_uring_off_(io_uring_blocked(rules)),
        inject_hits_(policy.injects.size()), redirect_hits_(policy.redirects.size()),
        handler_hits_(policy.handlers.size()) {
    if (!rules.injects.empty()) {
      injector_.emplace(rules.injects, rules.traced);
      first_rule_ = rules.injects.rules().data();
    }
  }

  // Serves until no task uses the filter. `threads` receivers share the listener.
  void serve(int threads);
  RunResult result() {
    auto counts = [](const std::vector<std::atomic<uint64_t>>& from) {
      std::vector<uint64_t> out;
      for (const auto& c : from) out.push_back(c.load());
      return out;
    };
    result_.inject_hits = counts(inject_hits_);
    result_.redirect_hits = counts(redirect_hits_);
    result_.handler_hits = counts(handler_hits_);
    result_.log = std::move(kept_log_);
    return std::move(result_);
  }

 private:
  void receive_loop(bool primary);
  bool receive(std::vector<std::byte>& buffer);
  void handle(const seccomp_notif& n);
  // Answers the call; returns what the program got when we answered (value, fd or -errno).
  std::optional<int64_t> respond(const Syscall& call, Reply reply);
  void log(const Syscall& call, std::string_view action, std::string detail, std::optional<int64_t> result,
           const std::string* path);
  void finish(const Syscall& call);
  void inject(const Syscall& call, const InjectRule& rule);
  void poke(const Syscall& call, const std::vector<Poke>& pokes);
  bool sleep_for(const Delay& delay);
  // Runs `work` on a thread of its own. `fifo`/`accmode`: the work may be blocked opening that
  // FIFO, and opening its other end lets it return at shutdown.
  void run_async(std::function<void()> work, std::string fifo = {}, int accmode = 0);
  void cancel_async();
  void on_child_exit(const siginfo_t& info);
  void reap_orphans();
  void on_signal();
  void warn(std::string_view line);

  struct Async {
    std::thread thread;
    std::string fifo;
    int accmode = 0;
    std::atomic<bool> done{false};
  };

  const RunOptions& options_;
  const Policy& policy_;
  const HandlerTable& handlers_;
  Launched& child_;
  NotifyFd notify_;
  Redirector redirector_;
  std::optional<Injector> injector_;
  const bool io_uring_off_;
  const InjectRule* first_rule_ = nullptr;
  std::vector<std::atomic<uint64_t>> inject_hits_;
  std::vector<std::atomic<uint64_t>> redirect_hits_;
  std::vector<std::atomic<uint64_t>> handler_hits_;
  std::vector<LogEntry> kept_log_;  // guarded by log_mutex_
  const SyscallMap& map_ = SyscallMap::instance();
  RunResult result_;
  bool child_reaped_ = false;
  std::atomic<bool> warned_memory_{false};
  std::mutex warn_mutex_;
  std::mutex log_mutex_;
  std::mutex recv_mutex_;
  std::mutex async_mutex_;
  std::list<Async> async_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by async_mutex_
};

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
                 const std::string* path) {
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

void Server::handle(const seccomp_notif& n) {
  const Syscall call = decode_call(n, map_);
  // The execve by which we start the program is neither counted nor injected.
  if ((call.sysno == Sysno::kExecve || call.sysno == Sysno::kExecveat) && call.tid == child_.pid() &&
      child_.take_own_exec()) {
    respond(call, Reply::cont());
    log(call, "continue", "(starts the program)", std::nullopt, nullptr);
    return;
  }
  // A user handler decides first, then an inject rule; a call neither answers is then redirected.
  if (!handlers_.empty()) {
    const RuleKey key = rule_key(call);
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
        log(call, "handler", "", respond(call, std::move(reply)), nullptr);
        return;
      }
    }
  }
  if (injector_) {
    if (const InjectRule* rule = injector_->rule_for(call); rule != nullptr && injector_->fires(call, *rule)) {
      if (notify_.id_valid(call.id) != 0) return;  // -P read the caller's memory: is it still there?
      inject_hits_[static_cast<size_t>(rule - first_rule_)].fetch_add(1, std::memory_order_relaxed);
      if (rule->delay_enter || rule->delay_exit) return run_async([this, call, rule] { inject(call, *rule); });
      return inject(call, *rule);
    }
  }
  finish(call);
}

// The call goes on: redirected when a rule matches its path, else let through.
void Server::finish(const Syscall& call) {
  if (call.sysno == Sysno::kIoUringSetup && io_uring_off_) {
    log(call, "refuse", "io_uring bypasses file rules (--allow-io-uring)", respond(call, Reply::err(ENOSYS)), nullptr);
    return;
  }
  Redirector::Lookup found = redirector_.match(call);
  if (found.memory_errno == EPERM && !warned_memory_.exchange(true)) {
    warn(fmt::format("cannot read the memory of thread {} (not dumpable?): its calls go through unredirected",
                     call.tid));
  }
  std::optional<Redirection>& r = found.redirection;
  if (!r) {
    respond(call, Reply::cont());
    log(call, "continue", "", std::nullopt, found.memory_errno == 0 && !found.path.empty() ? &found.path : nullptr);
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
          log(call, "redirect", r.target, result, &r.from);  // the absolute path: the program's is gone
        },
        fifo, *accmode);
  }
  const auto result = respond(call, redirector_.act(call, *r));
  log(call, "redirect", r->target, result, &found.path);
}

// strace's order: the signal is queued at syscall entry, then delay_enter, poke_enter; a call that
// is answered gets poke_exit and delay_exit before the answer; otherwise it goes on (finish).
void Server::inject(const Syscall& call, const InjectRule& rule) {
  if (rule.signal != 0) syscall(SYS_tgkill, thread_group(call.tid), call.tid, rule.signal);
  if (rule.delay_enter && !sleep_for(*rule.delay_enter)) return;
  if (rule.poke_enter) poke(call, *rule.poke_enter);
  if (!rule.answers()) {
    log(call, "inject", describe_injection(rule), std::nullopt, nullptr);
    return finish(call);
  }
  if (rule.poke_exit) poke(call, *rule.poke_exit);
  if (rule.delay_exit && !sleep_for(*rule.delay_exit)) return;
  Reply reply = rule.error ? Reply::err(*rule.error) : Reply::val(static_cast<int64_t>(*rule.retval));
  log(call, "inject", describe_injection(rule), respond(call, std::move(reply)), nullptr);
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

// Takes one notification if one is pending. Receivers serialise here and look again (poll with no
// timeout) under the lock: RECV blocks when nothing is pending, and two receivers woken by the same
// readiness must not both block in it (before 6.11 a blocked RECV does not return when the last
// task exits).
bool Server::receive(std::vector<std::byte>& buffer) {
  std::lock_guard lock(recv_mutex_);
  pollfd p{notify_.get(), POLLIN, 0};
  if (poll(&p, 1, 0) != 1 || (p.revents & POLLIN) == 0) return false;
  std::memset(buffer.data(), 0, buffer.size());
  const int rc = notify_.recv(*reinterpret_cast<seccomp_notif*>(buffer.data()));
  if (rc == 0) return true;
  if (rc != ENOENT) warn(fmt::format("SECCOMP_IOCTL_NOTIF_RECV: {}", std::strerror(rc)));
  return false;
}

// One receiver. The primary one also watches the program (pidfd) and the signalfd.
void Server::receive_loop(bool primary) {
  const NotifyFd::Sizes sizes = NotifyFd::kernel_sizes();
  std::vector<std::byte> buffer(std::max(sizes.notif, sizeof(seccomp_notif)));
  while (true) {
    pollfd fds[3];
    nfds_t count = 0;
    fds[count++] = {notify_.get(), POLLIN, 0};
    const bool watch_child = primary && !options_.subreaper && !child_reaped_;
    if (watch_child) fds[count++] = {child_.pidfd(), POLLIN, 0};
    const bool watch_signals = primary && options_.signal_fd >= 0;
    if (watch_signals) fds[count++] = {options_.signal_fd, POLLIN, 0};
    if (poll(fds, count, -1) < 0) {
      if (errno == EINTR) continue;
      warn(fmt::format("poll: {}", std::strerror(errno)));
      return;
    }
    if ((fds[0].revents & POLLIN) != 0) {
      if (receive(buffer)) handle(*reinterpret_cast<const seccomp_notif*>(buffer.data()));
    } else if ((fds[0].revents & (POLLHUP | POLLERR)) != 0) {
      return;  // no task uses the filter any more
    }
    nfds_t i = 1;
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

  std::vector<std::thread> extra;
  for (int i = 1; i < threads; ++i) extra.emplace_back([this] { receive_loop(false); });
  receive_loop(true);
  for (std::thread& t : extra) t.join();

  cancel_async();
  if (options_.subreaper) reap_orphans();
  if (!child_reaped_) {
    siginfo_t info{};
    if (waitid(P_PIDFD, static_cast<id_t>(child_.pidfd()), &info, WEXITED) == 0) on_child_exit(info);
  }
}

// Everything a run needs before the fork, built from the policy; lives until the run ends.
struct Prepared {
  RedirectTable redirects;
  InjectTable injects;
  TracedPaths traced;
  HandlerTable handlers;
  std::vector<sock_filter> filter;
  bool allow_io_uring = false;
  FilterInputs inputs() const { return {redirects, injects, traced, allow_io_uring, handlers.keys()}; }
};

Result<void> prepare(const Policy& policy, const RunOptions& options, Prepared& out) {
  for (const Redirect& r : policy.redirects) out.redirects.add(r);
  for (const InjectRule& rule : policy.injects) {
    for (const std::string& w : rule.warnings)
      if (options.warn) options.warn(w);
    out.injects.add(rule);
  }
  for (const std::string& p : policy.trace_paths) out.traced.add(p);
  if (auto ok = out.handlers.build(policy.handlers); !ok) return std::move(ok).error();
  out.allow_io_uring = policy.allow_io_uring;
  auto filter = build_filter(policy_filter_rules(out.inputs()));
  if (!filter) return std::move(filter).error();
  out.filter = std::move(filter).value();
  // User notification itself (Linux 5.0).
  uint32_t action = SECCOMP_RET_USER_NOTIF;
  if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) != 0)
    return make_error(ENOSYS, "this kernel lacks seccomp user notification (SECCOMP_RET_USER_NOTIF, Linux 5.0)");
  return {};
}

// Forks (exec or body), serves the listener until the tree has exited, and reports.
Result<RunResult> supervise(const Policy& policy, Prepared& prepared, LaunchSpec& spec, const RunOptions& options) {
  spec.filter = prepared.filter;
  sigemptyset(&spec.child_sigmask);
  pthread_sigmask(SIG_SETMASK, nullptr, &spec.child_sigmask);
  if (options.signal_fd >= 0) {
    // The caller blocked these for its signalfd; the program starts with them unblocked.
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) sigdelset(&spec.child_sigmask, s);
  }
  if (!prepared.redirects.empty()) {
    // ADDFD with SEND (Linux 5.14) is what redirection answers with.
    spec.check_listener = [](int fd) -> Result<void> {
      if (NotifyFd(UniqueFd(dup(fd))).supports_addfd_send()) return {};
      return make_error(ENOSYS, "this kernel lacks SECCOMP_IOCTL_NOTIF_ADDFD with SECCOMP_ADDFD_FLAG_SEND "
                                "(Linux 5.14), which redirection needs");
    };
  }
  if (options.subreaper && prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
    return make_error(errno, fmt::format("prctl(PR_SET_CHILD_SUBREAPER): {}", std::strerror(errno)));

  auto child = launch(spec);
  if (!child) return std::move(child).error();
  const FilterInputs inputs = prepared.inputs();
  Server server(inputs, policy, prepared.handlers, options, *child, NotifyFd(child->take_listener()));
  // Serve from a thread of our own: it unshares its fs struct (umask), which must not affect the
  // caller's thread; the caller's thread stays alive meanwhile, so PR_SET_PDEATHSIG holds.
  std::thread worker([&server, &options] { server.serve(std::clamp(options.threads, 1, 64)); });
  worker.join();
  return server.result();
}

}  // namespace

Result<void> Policy::inject(std::string_view spec) {
  std::string full(spec);
  if (!spec.starts_with("inject=") && !spec.starts_with("fault=")) full = "inject=" + full;
  auto rule = parse_inject_option(full);
  if (!rule) return std::move(rule).error();
  injects.push_back(std::move(rule).value());
  return {};
}

Result<void> Policy::redirect(std::string_view from, std::string_view to) {
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof cwd) == nullptr) return make_error(errno, "getcwd failed");
  auto rule = parse_redirect_option(fmt::format("{}={}", from, to), cwd);
  if (!rule) return std::move(rule).error();
  redirects.push_back(std::move(rule).value());
  return {};
}

Policy& Policy::on(std::string syscall, Handler handler) {
  handlers.push_back({std::move(syscall), std::move(handler)});
  return *this;
}

Result<RunResult> run(const Policy& policy, const Command& command, const RunOptions& options) {
  if (command.argv.empty()) return make_error(EINVAL, "no program to run");
  Prepared prepared;
  if (auto ok = prepare(policy, options, prepared); !ok) return std::move(ok).error();

  LaunchSpec spec;
  spec.argv = command.argv;
  if (command.env) {
    spec.env = *command.env;
  } else {
    for (char** e = environ; *e != nullptr; ++e) spec.env.emplace_back(*e);
  }
  const char* path_env = nullptr;
  for (const std::string& e : spec.env)
    if (e.starts_with("PATH=")) path_env = e.c_str() + 5;
  auto path = resolve_program(command.argv[0], path_env);
  if (!path) {
    RunResult failed;
    failed.exec_errno = path.error().code;
    return failed;
  }
  spec.path = std::move(path).value();
  if (auto why = lost_privileges(spec.path); !why.empty() && options.warn)
    options.warn(fmt::format("'{}' is {}: under sysvisor it runs without that privilege (PR_SET_NO_NEW_PRIVS)",
                             spec.path, why));
  spec.cwd = command.cwd;
  return supervise(policy, prepared, spec, options);
}

Result<RunResult> run_function(const Policy& policy, const std::function<int()>& body, const RunOptions& options) {
  if (!body) return make_error(EINVAL, "no function to run");
  Prepared prepared;
  if (auto ok = prepare(policy, options, prepared); !ok) return std::move(ok).error();
  LaunchSpec spec;
  spec.body = body;
  return supervise(policy, prepared, spec, options);
}

}  // namespace sysvisor
