// Injector: decides, for one notified call, whether an inject rule fires — the -P path test and
// strace's per-thread counting — and describes what it does. The caller then acts (signal, delay,
// poke, answer). Thread-safe: receivers may call decide() at once.
#pragma once

#include <sys/epoll.h>
#include <sys/types.h>

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/call.hpp"
#include "inject/inject_counter.hpp"
#include "policy/syscall_table.hpp"
#include "sysvisor/inject.hpp"
#include "sysvisor/unique_fd.hpp"

namespace sysvisor {

// strace's key for a call: personality and number, with i386 socketcall/ipc subcalls at their
// pseudo numbers; `args` are the subcall's own arguments where they live in memory.
struct RuleKey {
  Personality personality = Personality::kX86_64;
  int nr = -1;
};
RuleKey rule_key(const Syscall& call);

// The -P paths, each with its realpath taken once at start (strace's path tracing).
class TracedPaths {
 public:
  void add(const std::string& path);
  bool empty() const noexcept { return paths_.empty(); }
  bool matches(std::string_view path) const;
  const std::vector<std::string>& paths() const noexcept { return paths_; }

 private:
  std::vector<std::string> paths_;  // as given, then realpaths
};

class Injector {
 public:
  Injector(const InjectTable& table, const TracedPaths& traced)
      : table_(table), traced_(traced), epoll_(epoll_create1(EPOLL_CLOEXEC)) {}

  // Readable when a thread we count for has exited: then call forget_exited() (from the
  // supervisor's monitor thread, off the notification path).
  int exit_fd() const noexcept { return epoll_.get(); }
  void forget_exited();

  // The rule that covers the call, or nullptr.
  const InjectRule* rule_for(RuleKey key) const { return table_.rule_for(key.personality, key.nr); }

  // Whether `rule` fires on this call: -P matching (reads the caller's memory and /proc), then
  // counting. A call that does not match -P is not counted, as under strace.
  // `key` is rule_key(call), computed once per call by the caller (it reads memory for i386
  // socketcall).
  bool fires(const Syscall& call, RuleKey key, const InjectRule& rule);

  // strace's path-tracing test for one call.
  bool matches_traced_paths(const Syscall& call, RuleKey key) const;

  // An execve/execveat is about to run (every one is notified while inject rules exist). When a
  // thread other than the leader execs, it takes over the leader's thread id; strace then keeps
  // the exec'ing thread's own counts, so we hand them over once the exec has happened.
  void on_exec(const Syscall& call);

 private:
  struct ThreadSlot {
    UniqueFd pidfd;  // PIDFD_THREAD: readable once the thread has exited
    uint64_t start_time = 0;  // fallback where PIDFD_THREAD is missing (before Linux 6.9)
  };
  void check_thread(pid_t tid);  // resets the counts of a reused thread id; caller holds mutex_

  struct PendingExec {
    pid_t tid = 0;           // the non-leader thread that called execve
    uint64_t arg_start = 0;  // where the process's argv lived: a new image has a new stack
  };
  void take_over_exec(pid_t tid);  // caller holds mutex_

  const InjectTable& table_;
  const TracedPaths& traced_;
  std::mutex mutex_;
  std::unordered_map<pid_t, PendingExec> pending_execs_;  // by thread group id
  InjectCounter counter_;
  std::unordered_map<pid_t, ThreadSlot> threads_;
  UniqueFd epoll_;  // the pidfds of threads_
};

}  // namespace sysvisor
