// Kernel-function fault injection (-k, --kinject; Policy::kinject): the rule model and its parser.
// Pure values: no kernel, no I/O (the plan and the loader live in src/kinject/).
//
// Grammar (one -k option; items separated by ':'; the first item is the target):
//
//   SPEC    := TARGET { ':' ITEM }
//   TARGET  := 'kmalloc'              should_failslab: slab allocations fail (default error=ENOMEM)
//            | 'alloc_page'           should_fail_alloc_page: page allocations fail (no error=/retval=:
//                                     the function only says yes or no; the caller decides the errno)
//            | 'bio'                  should_fail_bio: block I/O submitted by the tree fails (default EIO)
//            | 'security_' NAME       that LSM entry point, fmod_ret (default error=EPERM)
//            | 'lsm/' HOOK            that BPF LSM hook (default error=EPERM; error= only: LSM hooks
//                                     return 0 or -errno)
//            | FUNCTION               any function on the kernel's error-injection list (needs an action)
//   ITEM    := 'error=' ERRNO         the function returns -ERRNO (names as in -e inject, or 1..4095)
//            | 'retval=' VALUE        the function returns VALUE (integer, base 0, may be negative)
//            | 'when=' EXPR           -e inject's when= grammar (FIRST, FIRST+, FIRST+STEP, FIRST..LAST,
//                                     FIRST..LAST+STEP), counted per rule over the supervised tree
//            | 'prob=' P              inject a matching call with probability P (0..1, or N%)
//            | 'seed=' S              the prob= sequence (default 0); same seed, same calls, same decisions
//            | 'via=' ('kprobe' | 'fmod_ret')   mechanism for an error-injectable FUNCTION target
//            | 'chain=' FRAME { '/' FRAME }   only under FRAME1 (the innermost caller), itself under FRAME2, ...
//            | TEST                   a test on the target's own arguments
//   FRAME   := NAME [ '(' TEST { ',' TEST } ')' ]
//   TEST    := 'arg' N OP VALUE       N 1..12 (7 and up are read from the stack at function entry);
//                                     OP one of == != < <= > >= & (unsigned; & means (arg & VALUE) != 0)
//
// A call is counted (and when= / prob= applied) when it is made by a task of the supervised tree,
// after the program's execve completed, with every chain frame active on the task's stack and
// every argument test true. Counting and when= are per rule (not per thread, unlike -e inject:
// a kernel function has no per-thread syscall identity to count against).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sysvisor/api.hpp"
#include "sysvisor/inject.hpp"
#include "sysvisor/result.hpp"

namespace sysvisor {

// What a -k rule targets.
enum class KTarget : uint8_t {
  kKmalloc,    // should_failslab
  kAllocPage,  // should_fail_alloc_page
  kBio,        // should_fail_bio
  kFunction,   // an error-injectable function
  kSecurity,   // security_NAME (fmod_ret)
  kLsm,        // lsm/HOOK
};

// How a rule gets into the kernel.
enum class KMechanism : uint8_t {
  kKprobeOverride,    // kprobe + bpf_override_return (error-injectable functions)
  kFmodRetInjectable, // fmod_ret on an error-injectable function
  kFmodRetSecurity,   // fmod_ret on security_*
  kLsm,               // BPF LSM
};

enum class KOp : uint8_t { kEq = 1, kNe, kLt, kLe, kGt, kGe, kAnd };  // values of enum kinject_op

// argN OP VALUE.
struct KArgTest {
  int arg = 1;  // 1..12
  KOp op = KOp::kEq;
  uint64_t value = 0;
  bool operator==(const KArgTest&) const = default;
};

// One frame of chain=.
struct KFrame {
  std::string function;
  std::vector<KArgTest> tests;
  bool operator==(const KFrame&) const = default;
};

// Limits shared with the BPF rule table (src/kinject/bpf/kinject_abi.h).
inline constexpr size_t kKinjectMaxRules = 8;
inline constexpr size_t kKinjectMaxFrames = 4;
inline constexpr size_t kKinjectMaxTests = 4;
inline constexpr int kKinjectMaxArg = 12;

// One -k option.
struct SYSVISOR_API KinjectRule {
  std::string text;        // the option as written
  KTarget target = KTarget::kFunction;
  std::string function;    // the kernel function (or LSM hook name for kLsm) the target hooks
  std::optional<int> error;        // error=
  std::optional<int64_t> retval;   // retval=
  When when;                       // when=
  std::optional<double> prob;      // prob= (0..1)
  uint64_t seed = 0;               // seed=
  std::optional<KMechanism> via;   // via=
  std::vector<KFrame> chain;       // chain=, innermost first
  std::vector<KArgTest> tests;     // tests on the target
  // What the function returns when injected (error: -errno; alloc_page: 1 = "fail").
  int64_t return_value() const noexcept;
};

// Parses one -k SPEC. Errors (EINVAL) are one line naming the rule: "kinject rule
// 'kmalloc:error=EFOO': unknown errno 'EFOO'" (sysvisor(1) says "-k 'kmalloc:error=EFOO': …").
SYSVISOR_API Result<KinjectRule> parse_kinject_option(std::string_view spec);

}  // namespace sysvisor
