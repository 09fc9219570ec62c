// CompiledPolicy: a Policy made ready to run, built once and immutable. It answers the two
// questions every call asks, from the same rule objects:
//   filter_rules(): what the seccomp filter does with each syscall (ALLOW, ERRNO, NOTIFY);
//   decide():       for a notified call, what the supervisor does with it.
// Rule precedence is written once, in decide(): the starting execve, then a user handler, then an
// inject rule, then the io_uring refusal, then a redirect rule. decide() opens no descriptor and
// makes no ioctl: it reads the caller through CallerMemory and keeps per-thread state through
// ThreadState, both of which tests fake. tests/unit/test_policy_agreement.cpp runs the emitted
// filter against decide() for every syscall of both architectures.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/caller_memory.hpp"
#include "policy/filter.hpp"
#include "policy/handler_table.hpp"
#include "policy/inject_table.hpp"
#include "policy/redirect_table.hpp"
#include "policy/syscall.hpp"
#include "policy/traced_paths.hpp"
#include "sysvisor/inject.hpp"
#include "sysvisor/redirect.hpp"
#include "sysvisor/result.hpp"
#include "sysvisor/supervisor.hpp"

namespace sysvisor {

// A path a redirect rule maps.
struct Redirection {
  std::string from;         // absolute, normalised path the program asked for
  std::string target;       // where it goes (from itself when only the second path maps)
  size_t rule = 0;          // index of the redirect rule (Policy order)
  // Two-path calls (rename, link): each side maps on its own. `from2` is the second path, absolute
  // and normalised; `target2` where it goes (from2 itself when no rule maps it).
  std::optional<std::string> from2;
  std::string target2;
  // The two sides lie on different mounts of the bind-mount picture (one mapped and the other not,
  // or mapped by two rules): the kernel would say EXDEV once it has looked the parents up.
  bool cross_mount = false;
  // A path is FROM itself, the mount point of the bind mount: it cannot be removed or renamed.
  bool mount_point = false;
};

// Buffers decide() reads paths into, one set per receiver thread and reused from call to call:
// looking up a path that no rule matches then allocates nothing.
struct PathScratch {
  std::string path;      // as the program passed it
  std::string base;      // its cwd or dirfd, then base + "/" + path
  std::string absolute;  // absolute and normalised
  std::string first;     // a two-path call's first path, absolute, while the second is read
};

// Where decide() starts: a call a handler let go on is decided again from kInject, one a
// signal- or delay-only inject rule let go on from kRedirect.
enum class Stage : uint8_t { kHandler, kInject, kRedirect };

// What the supervisor does with one call.
struct Verdict {
  enum class Kind : uint8_t {
    kContinue,       // let it run, nothing to do
    kObserve,        // let it run; the engine had to see it (an execve while inject rules count)
    kStartsProgram,  // the execve by which sysvisor starts the program: let it run, never counted
    kHandler,        // call user handler `rule`
    kInject,         // inject rule `rule` fires (signal, delay, poke, answer)
    kRefuse,         // fail with `error` (io_uring while file rules are active)
    kRedirect,       // perform the call on `redirection->target`
  };
  Kind kind = Kind::kContinue;
  RuleKey key;                             // strace's key for the call
  size_t rule = 0;                         // index in the Policy's handlers, injects or redirects
  int error = 0;                           // kRefuse
  const InjectRule* inject = nullptr;      // kInject; points into the policy, valid while it lives
  std::optional<Redirection> redirection;  // kRedirect
  std::string_view path;  // the path argument as read (in the scratch), for the log
  // The inject rule whose selectors (-P, argN, path=) this call passed, counted by when= whether or
  // not it fired: the summary's "matched".
  std::optional<size_t> matched_inject;
  int memory_errno = 0;   // reading the path failed (EPERM: the thread is not dumpable)
};

// One counted call of a syscall by a thread.
struct CallCount {
  bool selected = false;  // when= selects this call
  uint32_t thread = 0;    // the thread's number in the tree, in the order threads were first counted
  uint64_t nth = 0;       // 1-based number of this call among the thread's counted calls of the syscall
};

// The state decide() keeps per thread; the engine's implementation tracks thread lifetimes.
class ThreadState {
 public:
  virtual ~ThreadState() = default;
  // True once for the execve by which sysvisor starts the program.
  virtual bool starts_program(const Syscall& call) = 0;
  // An execve is about to run (strace keeps a non-leader exec'ing thread's counts).
  virtual void on_exec(const Syscall& call) = 0;
  // Counts this call of `key` by `tid` under `when` (strace's per-thread counting).
  virtual CallCount count(pid_t tid, RuleKey key, const When& when) = 0;
};

class CompiledPolicy {
 public:
  // Builds the tables. Errors: an unknown handler syscall or an empty handler (EINVAL).
  static Result<CompiledPolicy> compile(const Policy& policy);

  // The filter: only the syscalls some rule needs leave the kernel (policy_filter.cpp).
  std::vector<FilterRule> filter_rules() const;
  // True when io_uring_setup, io_uring_enter and io_uring_register fail with ENOSYS: io_uring
  // would bypass file rules, through a new ring or one the caller inherited.
  bool io_uring_blocked() const noexcept { return io_uring_blocked_; }
  // True when the inject rule can be answered by the filter alone for (p, nr): an errno on
  // every call, no -P, never execve/execveat, never the i386 multiplexers.
  bool takes_fast_path(const InjectRule& rule, Personality p, int nr) const;
  // True when every call inject rule `rule` (Policy order) decides reaches the supervisor, so that
  // its hits can be counted: none of them takes the fast path.
  bool inject_counted(size_t rule) const;

  // The decision for one notified call, from stage `from` on.
  Verdict decide(const Syscall& call, Stage from, ThreadState& state, CallerMemory& memory,
                 PathScratch& scratch) const;

  const RedirectTable& redirects() const noexcept { return redirects_; }
  const InjectTable& injects() const noexcept { return injects_; }
  const HandlerTable& handlers() const noexcept { return handlers_; }
  const TracedPaths& traced() const noexcept { return traced_; }
  // The seed prob= decisions of inject rule `rule` use (seed=, or one drawn at compile time).
  uint64_t seed(size_t rule) const noexcept { return rule < seeds_.size() ? seeds_[rule] : 0; }
  // The index of `rule` among the Policy's inject rules.
  size_t inject_index(const InjectRule* rule) const noexcept {
    return static_cast<size_t>(rule - injects_.rules().data());
  }

 private:
  Verdict decide_handler(const Syscall& call, Verdict v) const;
  Verdict decide_inject(const Syscall& call, ThreadState& state, CallerMemory& memory, PathScratch& scratch,
                        Verdict v) const;
  bool selectors_pass(const InjectRule& rule, const Syscall& call, RuleKey key, CallerMemory& memory,
                      PathScratch& scratch) const;
  Verdict decide_redirect(const Syscall& call, CallerMemory& memory, PathScratch& scratch, Verdict v) const;
  Verdict decide_socket(const Syscall& call, CallerMemory& memory, PathScratch& scratch, Verdict v) const;
  Verdict decide_second_path(const Syscall& call, ArgShape::PathSlot slot, CallerMemory& memory, PathScratch& scratch,
                             bool first_ok, std::optional<RedirectTable::Match> m1, Verdict v) const;
  bool io_uring_needed() const;

  RedirectTable redirects_;
  InjectTable injects_;
  TracedPaths traced_;
  HandlerTable handlers_;
  std::vector<uint64_t> seeds_;  // per inject rule
  bool allow_io_uring_ = false;
  bool io_uring_blocked_ = false;
};

}  // namespace sysvisor
