#include "policy/handler_table.hpp"

#include <cerrno>

#include <fmt/format.h>

namespace sysvisor {

Result<void> HandlerTable::build(const std::vector<HandlerRule>& rules) {
  const SyscallTable& table = SyscallTable::instance();
  for (size_t i = 0; i < rules.size(); ++i) {
    bool known = false;
    for (const Personality p : {Personality::kX86_64, Personality::kI386}) {
      for (const int nr : table.numbers_named(p, rules[i].syscall)) {
        index_[static_cast<size_t>(p)][static_cast<size_t>(nr)] = static_cast<int16_t>(i);
        keys_.push_back({p, nr});
        known = true;
      }
    }
    if (!known) return make_error(EINVAL, fmt::format("handler: unknown syscall '{}'", rules[i].syscall));
    if (!rules[i].handler) return make_error(EINVAL, fmt::format("handler for '{}' is empty", rules[i].syscall));
  }
  return {};
}

}  // namespace sysvisor
