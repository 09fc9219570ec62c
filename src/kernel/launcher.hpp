// Launcher: fork + exec of the supervised program with the filter installed, and hand-over of the
// notification listener to the supervisor.
//
// Between loading the filter and execve the child must make no syscall a rule could cover (a rule
// on %desc or %network would notify its close or sendmsg, and nobody serves the listener yet:
// deadlock). So the child publishes the listener's number in a shared page and spins without
// syscalls; the parent takes the listener with pidfd_getfd and then releases it. The listener is
// close-on-exec: the program never sees it.
#pragma once

#include <linux/filter.h>
#include <signal.h>
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "sysvisor/result.hpp"
#include "sysvisor/unique_fd.hpp"

namespace sysvisor {

struct LaunchSpec {
  std::string path;               // resolved executable (see resolve_program)
  std::vector<std::string> argv;  // argv[0] included
  std::vector<std::string> env;
  std::string cwd;                // empty: inherit
  std::vector<sock_filter> filter;
  sigset_t child_sigmask;         // signal mask the program starts with
  // Instead of exec: run this in the child (its return value is the exit code; stdio flushed,
  // then _exit). `path`, `argv` and `env` are then unused.
  std::function<int()> body;
  // Runs on the listener before the program may exec; an error kills the child (nothing ran).
  std::function<Result<void>(int listener)> check_listener;
  // Runs on the child's pidfd after check_listener, before the program may exec (-k seeds its
  // scope here); an error kills the child.
  std::function<Result<void>(int pidfd)> before_go;
};

// Shared with the child until the supervised run ends: the exec outcome arrives here.
struct Handshake;

class Launched {
 public:
  Launched(pid_t pid, UniqueFd pidfd, UniqueFd listener, Handshake* page) noexcept;
  Launched(Launched&& other) noexcept;
  Launched& operator=(Launched&&) = delete;
  Launched(const Launched&) = delete;
  ~Launched();

  pid_t pid() const noexcept { return pid_; }
  int pidfd() const noexcept { return pidfd_.get(); }
  UniqueFd take_listener() noexcept { return std::move(listener_); }
  // True once per execve the child makes to start the program (set just before each attempt);
  // a notified execve from the child's pid for which this is true is that execve.
  bool take_own_exec() noexcept;
  // True when the filter waits killable only (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, Linux 5.19):
  // once a call is received, nothing but a fatal signal ends its wait.
  bool killable_wait() const noexcept;
  // errno of a failed execve in the child, 0 if exec succeeded or has not happened yet.
  int exec_errno() const noexcept;
  // Kills the child and reaps it: for a run that could not start serving the listener (the
  // child then waits in its first call and nothing else would end it).
  void kill_unserved() noexcept;

 private:
  pid_t pid_;
  UniqueFd pidfd_;
  UniqueFd listener_;
  Handshake* page_;
};

// Searches PATH like execvp. Error code ENOENT: not found (exit 127); EACCES: found, not
// executable (exit 126).
Result<std::string> resolve_program(const std::string& name, const char* path_env);

// Forks and starts the program. Must be called from the thread whose death should kill the program
// (PR_SET_PDEATHSIG fires when the forking thread exits). Errors: fork/pidfd failures, and the
// kernel refusing the filter (EBUSY: another seccomp listener is already active on this process).
Result<Launched> launch(const LaunchSpec& spec);

}  // namespace sysvisor
