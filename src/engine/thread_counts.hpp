// ThreadCounts: the engine's ThreadState — strace's per-thread when= counting over real threads,
// whose ids the kernel reuses: a thread's counts die with it (a PIDFD_THREAD pidfd in an epoll set
// the monitor watches), and a non-leader thread's execve hands its counts to the leader's id.
// Thread-safe: receivers call it at once.
#pragma once

#include <sys/epoll.h>
#include <sys/types.h>

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "kernel/launcher.hpp"
#include "policy/compiled_policy.hpp"
#include "inject/inject_counter.hpp"
#include "sysvisor/inject.hpp"
#include "sysvisor/unique_fd.hpp"

namespace sysvisor {

class ThreadCounts final : public ThreadState {
 public:
  // `launched`: the program, whose first execve (the one sysvisor makes) is never counted.
  explicit ThreadCounts(Launched& launched) : launched_(launched), epoll_(epoll_create1(EPOLL_CLOEXEC)) {}

  // Readable when a thread we count for has exited: then call forget_exited() (from the
  // supervisor's monitor thread, off the notification path).
  int exit_fd() const noexcept { return epoll_.get(); }
  void forget_exited();

  bool starts_program(const Syscall& call) override;
  CallCount count(pid_t tid, RuleKey key, const When& when) override;
  // An execve/execveat is about to run (every one is notified while inject rules exist). When a
  // thread other than the leader execs, it takes over the leader's thread id; strace then keeps
  // the exec'ing thread's own counts, so we hand them over once the exec has happened.
  void on_exec(const Syscall& call) override;

 private:
  struct ThreadSlot {
    UniqueFd pidfd;  // PIDFD_THREAD: readable once the thread has exited
    uint64_t start_time = 0;  // fallback where PIDFD_THREAD is missing (before Linux 6.9)
    uint32_t number = 0;      // in the order threads were first counted (prob=)
  };
  void check_thread(pid_t tid);  // resets the counts of a reused thread id; caller holds mutex_

  struct PendingExec {
    pid_t tid = 0;           // the non-leader thread that called execve
    uint64_t arg_start = 0;  // where the process's argv lived: a new image has a new stack
  };
  void take_over_exec(pid_t tid);  // caller holds mutex_

  Launched& launched_;
  std::mutex mutex_;
  std::unordered_map<pid_t, PendingExec> pending_execs_;  // by thread group id
  InjectCounter counter_;
  std::unordered_map<pid_t, ThreadSlot> threads_;
  uint32_t threads_seen_ = 0;
  UniqueFd epoll_;  // the pidfds of threads_
};

}  // namespace sysvisor
