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
#include <cerrno>
#include <cstring>
#include <list>
#include <mutex>
#include <thread>

#include "sysvisor/log.hpp"

#include <fmt/format.h>

#include "call.hpp"
#include "filter.hpp"
#include "launcher.hpp"
#include "notify_fd.hpp"
#include "redirector.hpp"

extern char** environ;

namespace sysvisor {
namespace {

// The filter rules a policy needs: only the syscalls some rule covers are notified.
Result<std::vector<FilterRule>> filter_rules(const Policy& policy, const RedirectTable& table) {
  std::vector<FilterRule> rules;
  const bool file_rules = !table.empty();
  for (const Arch arch : {Arch::kX86_64, Arch::kI386}) {
    const uint32_t token = static_cast<uint32_t>(arch);
    auto add = [&](std::string_view name, uint32_t action) {
      const int nr = seccomp_syscall_resolve_name_arch(token, std::string(name).c_str());
      if (nr >= 0) rules.push_back({arch, nr, action});
    };
    if (file_rules) {
      for (Sysno s : redirect_syscalls()) add(sysno_name(s), SCMP_ACT_NOTIFY);
      // io_uring performs opens without syscalls, bypassing every file rule.
      if (!policy.allow_io_uring) add("io_uring_setup", SCMP_ACT_ERRNO(ENOSYS));
    }
  }
  return rules;
}

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

std::string syscall_name(const Call& call) {
  if (call.sysno != Sysno::kOther) return std::string(sysno_name(call.sysno));
  char* name = seccomp_syscall_resolve_num_arch(static_cast<uint32_t>(call.arch), call.nr);
  std::string out = name != nullptr ? name : fmt::format("syscall_{}", call.nr);
  std::free(name);
  return out;
}

// The six arguments in hex; the path argument, when one was read, as a C string literal.
std::vector<std::string> describe_args(const Call& call, const std::string* path) {
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

// Serves one listener until no task uses the filter any more.
class Server {
 public:
  Server(const Policy& policy, const RedirectTable& table, const RunOptions& options, Launched& child,
         NotifyFd listener)
      : table_(table), options_(options), child_(child), notify_(std::move(listener)), redirector_(table) {
    (void)policy;
  }

  // Serves until no task uses the filter. `threads` receivers share the listener.
  void serve(int threads);
  RunResult result() const { return result_; }

 private:
  void receive_loop(bool primary);
  bool receive(std::vector<std::byte>& buffer);
  void handle(const seccomp_notif& n);
  // Answers the call; returns what the program got when we answered (value, fd or -errno).
  std::optional<int64_t> respond(const Call& call, Reply reply);
  void log(const Call& call, std::string_view action, std::string detail, std::optional<int64_t> result,
           const std::string* path);
  void run_blocking(Call call, Redirection r, int accmode);
  void cancel_blocking();
  void on_child_exit(const siginfo_t& info);
  void reap_orphans();
  void on_signal();
  void warn(std::string_view line);

  struct Blocking {
    std::thread thread;
    std::string target;
    int accmode = 0;
    std::atomic<bool> done{false};
  };

  const RedirectTable& table_;
  const RunOptions& options_;
  Launched& child_;
  NotifyFd notify_;
  Redirector redirector_;
  const SyscallMap& map_ = SyscallMap::instance();
  RunResult result_;
  bool child_reaped_ = false;
  std::atomic<bool> warned_memory_{false};
  std::mutex warn_mutex_;
  std::mutex log_mutex_;
  std::mutex recv_mutex_;
  std::mutex blocking_mutex_;
  std::list<Blocking> blocking_;
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

std::optional<int64_t> Server::respond(const Call& call, Reply reply) {
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

void Server::log(const Call& call, std::string_view action, std::string detail, std::optional<int64_t> result,
                 const std::string* path) {
  if (!options_.log) return;
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
  options_.log(e);
}

void Server::handle(const seccomp_notif& n) {
  const Call call = decode_call(n, map_);
  Redirector::Lookup found = redirector_.match(call);
  if (found.memory_errno == EPERM && !warned_memory_.exchange(true)) {
    warn(fmt::format("cannot read the memory of thread {} (not dumpable?): its calls go through unredirected",
                     call.tid));
  }
  std::optional<Redirection>& r = found.redirection;
  if (!r) {
    respond(call, Reply::cont());
    log(call, "continue", "", std::nullopt, found.memory_errno == 0 ? &found.path : nullptr);
    return;
  }
  // What we read may belong to a caller that has gone (and whose id was reused): act only while the
  // notification is still pending.
  if (notify_.id_valid(call.id) != 0) return;
  if (auto accmode = redirector_.may_block(call, *r)) return run_blocking(call, std::move(*r), *accmode);
  const auto result = respond(call, redirector_.act(call, *r));
  log(call, "redirect", r->target, result, &found.path);
}

void Server::run_blocking(Call call, Redirection r, int accmode) {
  std::lock_guard lock(blocking_mutex_);
  std::erase_if(blocking_, [](Blocking& b) {
    if (!b.done.load()) return false;
    b.thread.join();
    return true;
  });
  Blocking& b = blocking_.emplace_back();
  b.target = r.target;
  b.accmode = accmode;
  b.thread = std::thread([this, &b, call, r = std::move(r)] {
    const auto result = respond(call, redirector_.act(call, r));
    log(call, "redirect", r.target, result, &r.from);  // the absolute path: the program's is gone
    b.done.store(true);
  });
}

// A worker blocked opening a FIFO whose caller has gone: opening the other end lets its open
// return, after which its answer fails harmlessly with ENOENT.
void Server::cancel_blocking() {
  for (Blocking& b : blocking_) {
    while (!b.done.load()) {
      const int other = b.accmode == O_RDONLY ? O_WRONLY : O_RDONLY;
      UniqueFd end(open(b.target.c_str(), other | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
      if (b.done.load()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    b.thread.join();
  }
  blocking_.clear();
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

  cancel_blocking();
  if (options_.subreaper) reap_orphans();
  if (!child_reaped_) {
    siginfo_t info{};
    if (waitid(P_PIDFD, static_cast<id_t>(child_.pidfd()), &info, WEXITED) == 0) on_child_exit(info);
  }
}

}  // namespace

Result<RunResult> run(const Policy& policy, const Command& command, const RunOptions& options) {
  if (command.argv.empty()) return make_error(EINVAL, "no program to run");
  RedirectTable table;
  for (const Redirect& r : policy.redirects) table.add(r);
  auto rules = filter_rules(policy, table);
  if (!rules) return std::move(rules).error();
  auto filter = build_filter(*rules);
  if (!filter) return std::move(filter).error();

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
  spec.filter = std::move(filter).value();
  sigemptyset(&spec.child_sigmask);
  pthread_sigmask(SIG_SETMASK, nullptr, &spec.child_sigmask);
  if (options.signal_fd >= 0) {
    // The caller blocked these for its signalfd; the program starts with them unblocked.
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) sigdelset(&spec.child_sigmask, s);
  }

  // User notification itself (Linux 5.0); ADDFD with SEND (5.14) is needed by redirections.
  uint32_t action = SECCOMP_RET_USER_NOTIF;
  if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) != 0)
    return make_error(ENOSYS, "this kernel lacks seccomp user notification (SECCOMP_RET_USER_NOTIF, Linux 5.0)");
  if (!table.empty()) {
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
  Server server(policy, table, options, *child, NotifyFd(child->take_listener()));
  // Serve from a thread of our own: it unshares its fs struct (umask), which must not affect the
  // caller's thread; the caller's thread stays alive meanwhile, so PR_SET_PDEATHSIG holds.
  std::thread worker([&server, &options] { server.serve(std::clamp(options.threads, 1, 64)); });
  worker.join();
  return server.result();
}

}  // namespace sysvisor
