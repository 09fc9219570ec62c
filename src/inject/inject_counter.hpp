// when= counting as strace 6.1 does it: per thread, per personality, per syscall.
//
// strace copies the rule's {first, last, step} into each thread's own table the first time the
// thread makes an injectable call, then counts down (syscall.c, tamper_with_syscall_entering):
// every call of that syscall that reaches the injection check counts, whether or not it is
// injected; past LAST nothing is counted or injected again; a new thread starts from zero;
// counts live in the thread's tcb, so they survive execve. The engine reproduces this with
//     inject = counter.hit(tid, personality, nr, rule.when);
// for each call the rule covers (after -P matching, and never for the execve that starts the
// program: strace does not inject before the first exec).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <unordered_map>

#include "sysvisor/inject.hpp"

namespace sysvisor {

// Counts one call into `slot` (zero for a thread's first call of the syscall) and tells whether
// this call is injected. The slot holds the calls counted so far, kept from wrapping: it stops
// at LAST (finite LAST), stays at FIRST once FIRST is passed (step 0), and falls back from
// FIRST+STEP to FIRST (infinite LAST), which changes no later answer.
bool when_hit(const When& when, uint32_t& slot) noexcept;

// The counts of every (thread, personality, syscall). Not synchronised: one owner, or a lock.
class InjectCounter {
 public:
  // One counted call: whether when= selects it, and its 1-based number among the thread's
  // counted calls of the syscall (never folded, unlike the when= slot).
  struct Hit {
    bool selected = false;
    uint64_t nth = 0;
  };
  // Counts a call of (p, nr) by thread `tid` under `when`.
  Hit hit(pid_t tid, Personality p, int nr, const When& when);
  // The normalised count of (tid, p, nr) (0 if never counted); for logs and tests.
  uint32_t count(pid_t tid, Personality p, int nr) const noexcept;
  // A thread is gone: drop its counts (a later thread with the same id starts from zero).
  void forget_thread(pid_t tid);
  // A non-leader thread called execve and took over the leader's id: its counts become the
  // leader's and the leader's are dropped (strace swaps the tcbs the same way).
  void move_thread(pid_t from, pid_t to);
  // Number of threads with counts.
  size_t threads() const noexcept { return counts_.size(); }

 private:
  static uint32_t key(Personality p, int nr) noexcept {
    return (static_cast<uint32_t>(p) << 16) | static_cast<uint32_t>(nr & 0xffff);
  }
  struct Slot {
    uint32_t when = 0;  // when_hit()'s slot
    uint64_t calls = 0;
  };
  std::unordered_map<pid_t, std::unordered_map<uint32_t, Slot>> counts_;
};

}  // namespace sysvisor
