// The inject rules of a run, by (personality, strace number). Engine-side: the library's users
// write rules (sysvisor/inject.hpp); the compiled policy indexes them here.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "sysvisor/inject.hpp"

namespace sysvisor {

// The rules in command-line order; a later rule replaces an earlier one for the syscalls it
// names (strace overwrites its per-syscall inject_vec entry). Lookup is O(1).
class InjectTable {
 public:
  // Appends a rule; it takes over every (personality, nr) in its set.
  void add(InjectRule rule);
  // The rule deciding (p, nr), or nullptr. Stable until the next add().
  const InjectRule* rule_for(Personality p, int nr) const noexcept;
  // All rules in the order added (some may no longer decide any call).
  const std::vector<InjectRule>& rules() const noexcept { return rules_; }
  // True if no rule was added.
  bool empty() const noexcept { return rules_.empty(); }

 private:
  static constexpr uint16_t kNoRule = 0xffff;
  std::vector<InjectRule> rules_;
  std::array<std::array<uint16_t, kSyscallNrLimit>, kPersonalityCount> index_ = make_empty_index();
  static std::array<std::array<uint16_t, kSyscallNrLimit>, kPersonalityCount> make_empty_index();
};

}  // namespace sysvisor
