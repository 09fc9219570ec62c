#include "kernel/launcher.hpp"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>

#include <fmt/format.h>

namespace sysvisor {

struct Handshake {
  std::atomic<int> listener{-1};  // child -> parent: the listener's number in the child
  std::atomic<int> go{0};         // parent -> child: listener taken, exec now
  std::atomic<int> setup_errno{0};
  std::atomic<int> setup_step{0};
  std::atomic<int> exec_errno{0};
  std::atomic<int> own_exec{0};  // child -> parent: the next execve is the one starting the program
  std::atomic<int> killable{0};  // child -> parent: the filter has SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
};
static_assert(std::atomic<int>::is_always_lock_free);

namespace {

enum SetupStep { kStepNone, kStepParent, kStepNoNewPrivs, kStepSeccomp, kStepCwd };

const char* step_name(int step) {
  switch (step) {
    case kStepParent: return "parent died";
    case kStepNoNewPrivs: return "prctl(PR_SET_NO_NEW_PRIVS)";
    case kStepSeccomp: return "seccomp(SECCOMP_SET_MODE_FILTER)";
    case kStepCwd: return "chdir";
    default: return "set-up";
  }
}

[[noreturn]] void child_fail(Handshake* page, int step, int err) {
  page->setup_errno.store(err, std::memory_order_relaxed);
  page->setup_step.store(step, std::memory_order_release);
  _exit(125);
}

// A function body runs in a fork of the caller, with the caller's signal handlers. A test
// framework's crash handlers (doctest's, GoogleTest's) would report a crash in the child, and the
// parent again from RunResult::term_signal: the child gets the default action for the signals a
// fault raises (execve resets them for a program). Only sigaction: async-signal-safe.
void reset_crash_handlers() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (const int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT}) sigaction(sig, &dfl, nullptr);
}

// Runs in the child between fork and exec: only async-signal-safe calls.
[[noreturn]] void child_main(const LaunchSpec& spec, Handshake* page, pid_t parent, char* const* argv,
                             char* const* sh_argv, char* const* envp, const sock_fprog* prog) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) child_fail(page, kStepParent, ESRCH);
  if (!spec.cwd.empty() && chdir(spec.cwd.c_str()) != 0) child_fail(page, kStepCwd, errno);
  sigprocmask(SIG_SETMASK, &spec.child_sigmask, nullptr);
  if (spec.body) reset_crash_handlers();  // before the filter: never seen by the rules
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) child_fail(page, kStepNoNewPrivs, errno);
  // WAIT_KILLABLE_RECV: once the supervisor has received a notification, only a fatal signal
  // interrupts the caller's wait, so a signal handler cannot turn a call it is serving into EINTR.
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                    SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, prog);
  if (fd >= 0) page->killable.store(1, std::memory_order_relaxed);
  if (fd < 0 && errno == EINVAL)  // kernels before 5.19 lack WAIT_KILLABLE_RECV
    fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, prog);
  if (fd < 0) child_fail(page, kStepSeccomp, errno);
  // From here on: no syscall until the supervisor holds the listener.
  page->listener.store(static_cast<int>(fd), std::memory_order_release);
  while (page->go.load(std::memory_order_acquire) == 0) __builtin_ia32_pause();
  if (spec.body) {
    int rc = 70;  // EX_SOFTWARE: an exception escaped
    try {
      rc = spec.body();
    } catch (...) {
    }
    std::fflush(nullptr);
    _exit(rc & 0xff);
  }
  page->own_exec.store(1, std::memory_order_release);
  execve(spec.path.c_str(), argv, envp);
  // Like execvp (and env, nohup, sudo): an executable without a #! line is a shell script.
  if (errno == ENOEXEC) {
    page->own_exec.store(1, std::memory_order_release);
    execve("/bin/sh", sh_argv, envp);
    errno = ENOEXEC;
  }
  page->exec_errno.store(errno, std::memory_order_release);
  _exit(errno == ENOENT ? 127 : 126);
}

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

Launched::Launched(pid_t pid, UniqueFd pidfd, UniqueFd listener, Handshake* page) noexcept
    : pid_(pid), pidfd_(std::move(pidfd)), listener_(std::move(listener)), page_(page) {}

Launched::Launched(Launched&& other) noexcept
    : pid_(other.pid_), pidfd_(std::move(other.pidfd_)), listener_(std::move(other.listener_)),
      page_(std::exchange(other.page_, nullptr)) {}

Launched::~Launched() {
  if (page_ != nullptr) munmap(page_, sizeof(Handshake));
}

bool Launched::take_own_exec() noexcept {
  return page_ != nullptr && page_->own_exec.exchange(0, std::memory_order_acq_rel) != 0;
}

bool Launched::killable_wait() const noexcept { return page_ != nullptr && page_->killable.load() != 0; }

int Launched::exec_errno() const noexcept { return page_->exec_errno.load(std::memory_order_acquire); }

Result<std::string> resolve_program(const std::string& name, const char* path_env) {
  if (name.empty()) return make_error(ENOENT, "empty program name");
  if (name.find('/') != std::string::npos) return name;
  std::string_view dirs = path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin";
  bool found_not_executable = false;
  while (true) {
    const size_t colon = dirs.find(':');
    std::string_view dir = dirs.substr(0, colon);
    std::string candidate = fmt::format("{}/{}", dir.empty() ? "." : dir, name);
    struct stat st {};
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
      found_not_executable = true;
    }
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return found_not_executable ? make_error(EACCES, "Permission denied") : make_error(ENOENT, "No such file or directory");
}

namespace {

// Kills the child that did not get to exec and waits for it.
void kill_child(int pidfd) {
  syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
  siginfo_t info{};
  waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED);
}

// The child published its listener number: take it, run the checks, and let the child go on.
Result<UniqueFd> take_listener(const LaunchSpec& spec, Handshake* page, int pidfd, int fd) {
  UniqueFd listener(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, fd, 0)));
  if (!listener) {
    const int err = errno;
    kill_child(pidfd);
    return make_error(err, fmt::format("pidfd_getfd: cannot take the listener from the child: {}{}",
                                       std::strerror(err),
                                       err == EPERM ? " (ptrace access denied: Yama ptrace_scope 2 or 3?)" : ""));
  }
  Result<void> ok = spec.check_listener ? spec.check_listener(listener.get()) : Result<void>{};
  if (ok && spec.before_go) ok = spec.before_go(pidfd);
  if (!ok) {
    kill_child(pidfd);
    return std::move(ok).error();
  }
  page->go.store(1, std::memory_order_release);
  return listener;
}

// Waits for the child to publish its listener, or to fail (its failed step) or die.
Result<UniqueFd> wait_for_listener(const LaunchSpec& spec, Handshake* page, int pidfd) {
  while (true) {
    const int fd = page->listener.load(std::memory_order_acquire);
    if (fd >= 0) return take_listener(spec, page, pidfd, fd);
    if (page->setup_step.load(std::memory_order_acquire) != kStepNone) {
      const int err = page->setup_errno.load(std::memory_order_relaxed);
      const int step = page->setup_step.load(std::memory_order_relaxed);
      siginfo_t info{};
      waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED);
      if (step == kStepSeccomp && err == EBUSY)
        return make_error(err, "cannot install the seccomp filter: another seccomp listener is already active "
                               "on this process (sysvisor under sysvisor, or another supervisor) (EBUSY)");
      return make_error(err, fmt::format("{}: {}", step_name(step), std::strerror(err)));
    }
    pollfd p{pidfd, POLLIN, 0};
    if (poll(&p, 1, 1) == 1 && page->listener.load() < 0 && page->setup_step.load() == kStepNone) {
      siginfo_t info{};
      waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED);
      return make_error(ECHILD, "the child died before installing the filter");
    }
  }
}

}  // namespace

void Launched::kill_unserved() noexcept { kill_child(pidfd_.get()); }

Result<Launched> launch(const LaunchSpec& spec) {
  void* mem = mmap(nullptr, sizeof(Handshake), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return make_error(errno, fmt::format("mmap: {}", std::strerror(errno)));
  auto* page = new (mem) Handshake();
  auto unmap = [&] { munmap(mem, sizeof(Handshake)); };

  const std::vector<char*> argv = c_strings(spec.argv);
  std::vector<std::string> sh_words{"sh", spec.path};
  sh_words.insert(sh_words.end(), spec.argv.begin() + (spec.argv.empty() ? 0 : 1), spec.argv.end());
  const std::vector<char*> sh_argv = c_strings(sh_words);
  const std::vector<char*> envp = c_strings(spec.env);
  sock_fprog prog{static_cast<unsigned short>(spec.filter.size()), const_cast<sock_filter*>(spec.filter.data())};
  const pid_t parent = getpid();
  if (spec.body) std::fflush(nullptr);  // the child must not write the caller's pending output again

  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    unmap();
    return make_error(err, fmt::format("fork: {}", std::strerror(err)));
  }
  if (pid == 0) child_main(spec, page, parent, argv.data(), sh_argv.data(), envp.data(), &prog);

  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) {
    const int err = errno;
    kill(pid, SIGKILL);
    unmap();
    return make_error(err, fmt::format("pidfd_open: {}", std::strerror(err)));
  }
  auto listener = wait_for_listener(spec, page, pidfd.get());
  if (!listener) {
    unmap();
    return std::move(listener).error();
  }
  return Launched(pid, std::move(pidfd), std::move(listener).value(), page);
}

}  // namespace sysvisor
