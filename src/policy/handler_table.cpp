#include "policy/handler_table.hpp"

#include <cerrno>

#include <fmt/format.h>

#include "policy/one_line.hpp"

namespace sysvisor {

Result<void> HandlerTable::check(const HandlerRule& rule) {
  const SyscallTable& table = SyscallTable::instance();
  bool known = false;
  for (const Personality p : {Personality::kX86_64, Personality::kI386})
    known |= !table.numbers_named(p, rule.syscall).empty();
  if (!known) return make_error(EINVAL, fmt::format("handler: unknown syscall '{}'", one_line(rule.syscall)));
  if (!rule.handler) return make_error(EINVAL, fmt::format("handler for '{}' is empty", one_line(rule.syscall)));
  return {};
}

Result<void> HandlerTable::build(const std::vector<HandlerRule>& rules) {
  const SyscallTable& table = SyscallTable::instance();
  for (size_t i = 0; i < rules.size(); ++i) {
    if (auto ok = check(rules[i]); !ok) return ok;
    for (const Personality p : {Personality::kX86_64, Personality::kI386}) {
      for (const int nr : table.numbers_named(p, rules[i].syscall)) {
        index_[static_cast<size_t>(p)][static_cast<size_t>(nr)] = static_cast<int16_t>(i);
        keys_.push_back({p, nr});
      }
    }
  }
  return {};
}

}  // namespace sysvisor
