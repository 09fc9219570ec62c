// The user handlers of a policy, by (personality, strace number): O(1) look-up per call.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "policy/traced_paths.hpp"
#include "sysvisor/result.hpp"
#include "sysvisor/supervisor.hpp"

namespace sysvisor {

// The handlers by (personality, strace number): O(1), the later handler for a name wins.
class HandlerTable {
 public:
  // Indexes `rules`; an unknown syscall name or an empty handler is an error (EINVAL).
  Result<void> build(const std::vector<HandlerRule>& rules);
  // The error build() gives for `rule` on its own (Policy::on reports it at once).
  static Result<void> check(const HandlerRule& rule);
  bool empty() const noexcept { return keys_.empty(); }
  int index(RuleKey key) const noexcept {
    if (key.nr < 0 || key.nr >= kSyscallNrLimit) return -1;
    return index_[static_cast<size_t>(key.personality)][static_cast<size_t>(key.nr)];
  }
  std::string_view name(RuleKey key) const noexcept {
    const SyscallEntry* e = SyscallTable::instance().entry(key.personality, key.nr);
    return e != nullptr ? e->name : std::string_view("?");
  }
  const std::vector<RuleKey>& keys() const noexcept { return keys_; }

 private:
  std::array<std::array<int16_t, kSyscallNrLimit>, kPersonalityCount> index_ = [] {
    std::array<std::array<int16_t, kSyscallNrLimit>, kPersonalityCount> a{};
    for (auto& row : a) row.fill(-1);
    return a;
  }();
  std::vector<RuleKey> keys_;
};

}  // namespace sysvisor
