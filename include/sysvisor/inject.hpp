// Fault injection rules in strace 6.1's `-e inject=` / `-e fault=` language: parsing, syscall
// sets, and the rule table the engine consults per call. Pure values: no kernel, no I/O.
//
// Reference: strace 6.1 (filter_qualify.c, basic_filters.c, syscall.c). Every behaviour below
// was checked against the strace 6.1 binary; tests/unit/test_inject_parse.cpp pins them.
#pragma once

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sysvisor/api.hpp"
#include "sysvisor/result.hpp"

namespace sysvisor {

// The syscall tables a call is looked up in. x32 names are accepted in rules (as strace accepts
// names valid in any personality) but never match: x32 calls fail with ENOSYS in our filter.
enum class Personality : uint8_t { kX86_64 = 0, kI386 = 1 };

// Number of personalities a SyscallSet covers.
inline constexpr size_t kPersonalityCount = 2;

// Syscall numbers (and strace's i386 socketcall/ipc pseudo numbers, 500..545) are below this.
inline constexpr int kSyscallNrLimit = 1024;

// A set of syscall numbers per personality (strace's number_set array).
class SyscallSet {
 public:
  // True if `nr` of personality `p` is in the set; false for out-of-range numbers.
  bool test(Personality p, int nr) const noexcept {
    return nr >= 0 && nr < kSyscallNrLimit && bits_[index(p)].test(static_cast<size_t>(nr));
  }
  // Adds `nr` of `p` (ignored when out of range).
  void set(Personality p, int nr) noexcept {
    if (nr >= 0 && nr < kSyscallNrLimit) bits_[index(p)].set(static_cast<size_t>(nr));
  }
  // Removes `nr` of `p`.
  void reset(Personality p, int nr) noexcept {
    if (nr >= 0 && nr < kSyscallNrLimit) bits_[index(p)].reset(static_cast<size_t>(nr));
  }
  // Number of members in personality `p`.
  size_t count(Personality p) const noexcept { return bits_[index(p)].count(); }
  // True if personality `p` has no member.
  bool empty(Personality p) const noexcept { return bits_[index(p)].none(); }
  // True if no personality has a member.
  bool empty() const noexcept { return bits_[0].none() && bits_[1].none(); }
  // Set equality.
  bool operator==(const SyscallSet&) const = default;

 private:
  friend SYSVISOR_API SyscallSet complement(const SyscallSet&);
  static size_t index(Personality p) noexcept { return static_cast<size_t>(p); }
  std::array<std::bitset<kSyscallNrLimit>, kPersonalityCount> bits_{};
};

// Every syscall strace 6.1 knows minus `set`, per personality (strace's `!SET`).
SYSVISOR_API SyscallSet complement(const SyscallSet& set);

// Parses a strace SET (`open,%file,/^stat`, `!…`, `all`, `none`, `?name`, `name@32`, numbers).
// Errors name the offending token, e.g. "invalid system call 'foo'".
SYSVISOR_API Result<SyscallSet> parse_syscall_set(std::string_view spec);

// Value of When::last meaning "no upper bound" (strace's INJECT_LAST_INF).
inline constexpr uint16_t kWhenLastInf = 0xffff;

// when=FIRST[..LAST][+[STEP]]: inject on calls FIRST, FIRST+STEP, … up to LAST, counting each
// call of this syscall in this thread (1-based). step 0 = only call FIRST (strace's `when=F`).
// Defaults are strace's: every call (1..inf+1).
struct When {
  uint16_t first = 1;             // 1..65535
  uint16_t last = kWhenLastInf;   // FIRST..65534, or kWhenLastInf
  uint16_t step = 1;              // 0..65535
  // Equality of all three fields.
  bool operator==(const When&) const = default;
};

// A delay as strace keeps it (struct timespec: whole seconds plus nanoseconds).
struct Delay {
  int64_t sec = 0;   // seconds
  int64_t nsec = 0;  // 0..999999999
  // Equality.
  bool operator==(const Delay&) const = default;
};

// poke_enter=/poke_exit=@argN=HEX: bytes written to the memory argument N points to.
struct Poke {
  int arg = 1;                 // 1..7 (strace's @arg1..@arg7)
  std::vector<uint8_t> bytes;  // 1..1024 bytes
  // Equality.
  bool operator==(const Poke&) const = default;
};

// argN==V, argN!=V, argN<V, argN<=V, argN>V, argN>=V, argN&M, argN&M==V: a test of one argument
// register as the kernel sees it (64 bits for x86_64 calls, 32 for i386 calls: V and M are then
// taken modulo 2^32). Comparisons are unsigned, as in the seccomp filter they compile into; only
// argN==V with a negative int V also accepts that int with the register's upper half zero.
struct ArgPredicate {
  enum class Op : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe, kAnyBit, kMaskedEq };
  int arg = 0;         // 0..5
  Op op = Op::kEq;
  uint64_t value = 0;  // V (kAnyBit: unused)
  uint64_t mask = 0;   // M for kAnyBit and kMaskedEq
  // True when the register value `reg` passes; `bits32` for an i386 call.
  bool matches(uint64_t reg, bool bits32) const noexcept {
    const uint64_t width = bits32 ? 0xffffffffULL : ~0ULL;
    const uint64_t r = reg & width, v = value & width, m = mask & width;
    switch (op) {
      case Op::kEq: return r == v || (!bits32 && r == int_register(v));
      case Op::kNe: return r != v;
      case Op::kLt: return r < v;
      case Op::kLe: return r <= v;
      case Op::kGt: return r > v;
      case Op::kGe: return r >= v;
      case Op::kAnyBit: return (r & m) != 0;
      case Op::kMaskedEq: return (r & m) == v;
    }
    return false;
  }
  // Equality.
  bool operator==(const ArgPredicate&) const = default;
  // argN==V with V a negative int (-100: AT_FDCWD) also matches the int in a register whose upper
  // half is zero, as a caller may leave it (the kernel reads int arguments from the lower half):
  // that register's value, else V itself.
  static uint64_t int_register(uint64_t v) noexcept {
    const auto s = static_cast<int64_t>(v);
    return s < 0 && s >= INT32_MIN ? (v & 0xffffffffULL) : v;
  }
};

// One `-e inject=…` or `-e fault=…` option.
struct SYSVISOR_API InjectRule {
  SyscallSet set;                    // the calls it covers
  bool is_fault = false;             // written as fault= (error defaults to ENOSYS)
  std::optional<int> error;          // error=: positive errno 1..4095
  std::optional<uint64_t> retval;    // retval=: the value as strace parsed it (strtoull base 0)
  int signal = 0;                    // signal=: 1..64, 0 = none
  std::optional<Delay> delay_enter;  // delay_enter=: sleep before the call proceeds / is answered
  std::optional<Delay> delay_exit;   // delay_exit=: sleep before the answer (needs error/retval)
  // Pokes in the order strace applies them (it keeps them in a list it prepends to, so the
  // last one written is applied first). Present-but-empty is possible (`poke_enter=,`).
  std::optional<std::vector<Poke>> poke_enter;
  std::optional<std::vector<Poke>> poke_exit;  // needs error/retval (we answer the call)
  When when;                         // when= (the last one written wins)
  // Beyond strace (all optional, ANDed; when= counts only the calls that pass them):
  std::vector<ArgPredicate> args;    // argN…: tests of argument registers
  std::string path;                  // path=GLOB: the call's first path, absolute and normalised
  std::string path2;                 // path2=GLOB: the second path of a two-path call
  std::optional<double> probability; // prob=: each call when= selects is injected with this chance
  std::optional<uint64_t> seed;      // seed=: makes prob= decisions repeatable (else one is drawn)
  std::optional<uint64_t> short_len; // short=N: the I/O call really happens but moves at most N bytes
  std::string text;                  // the option as written, e.g. "inject=open:error=EPERM"
  std::vector<std::string> warnings; // strace's retval warnings, one line each, no prefix
  // Never answered by the filter alone: every call it covers reaches the supervisor (one round
  // trip each), so RunResult::inject_hits counts it. Not part of the strace language.
  bool countable = false;

  // The fast path: an errno on every call (no when= or when=1+) that passes the argN tests,
  // nothing else, and not countable, so the filter can answer it with SECCOMP_RET_ERRNO and no
  // round trip.
  bool errno_only_always() const noexcept;
  // True if the supervisor answers the call itself (error= or retval=); else it is let through.
  bool answers() const noexcept { return error.has_value() || retval.has_value(); }
};

// Parses the value of one -e option: "inject=…" or "fault=…". Any other qualifier (trace=,
// signal=, a bare SET, …) is an error naming it as unsupported. Errors (EINVAL) are one line
// naming the rule: "inject rule 'inject=open:error=EFOO': unknown errno 'EFOO'" (sysvisor(1)
// says "-e inject=open:error=EFOO: unknown errno 'EFOO'").
SYSVISOR_API Result<InjectRule> parse_inject_option(std::string_view value);

// Parses the value of when= as strace 6.1 does (FIRST, FIRST+, FIRST+STEP, FIRST..LAST,
// FIRST..LAST+STEP); nullopt if invalid. Shared with -k (kinject.hpp).
SYSVISOR_API std::optional<When> parse_when_expr(std::string_view text);

// Looks up an errno name as strace 6.1 does (case-insensitive, kernel-internal names included,
// no aliases such as EWOULDBLOCK); nullopt if strace does not know it.
SYSVISOR_API std::optional<int> errno_by_name(std::string_view name);

// Looks up a signal as strace 6.1 does: decimal 1..64, or a name with or without SIG in any
// case (HUP..SYS, RTMIN, RT_1..RT_32); nullopt otherwise.
SYSVISOR_API std::optional<int> signal_by_spec(std::string_view spec);


}  // namespace sysvisor
