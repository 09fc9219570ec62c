// The call's arguments by role, where its shape (policy/syscall_shapes.cpp) places them: what the
// redirect acts read of a call.
#pragma once

#include <cassert>
#include <cstdint>

#include "policy/syscall.hpp"
#include "policy/syscall_table.hpp"

namespace sysvisor {

class ArgsByRole {
 public:
  explicit ArgsByRole(const Syscall& c)
      : c_(c), shape_(*SyscallTable::instance().entry(personality_of(c.arch), c.nr)->shape) {}
  bool has(ArgRole role) const noexcept { return shape_.find(role) >= 0; }
  int as_int(ArgRole role) const noexcept { return c_.int_arg(index(role)); }
  uint64_t ptr(ArgRole role) const noexcept { return c_.ptr_arg(index(role)); }
  // A word-sized argument (size_t, mode_t): 32 bits for i386 callers.
  uint64_t word(ArgRole role) const noexcept { return c_.ptr_arg(index(role)); }
  Follow follow() const noexcept { return shape_.follow; }
  // The second argument with `role` (chown's gid after its uid).
  uint64_t second(ArgRole role) const noexcept {
    const int first = shape_.find(role);
    for (size_t i = static_cast<size_t>(first) + 1; first >= 0 && i < shape_.args.size(); ++i)
      if (shape_.args[i] == role) return c_.ptr_arg(i);
    assert(false && "the shape has one such argument");
    return 0;
  }

 private:
  size_t index(ArgRole role) const noexcept {
    const int i = shape_.find(role);
    assert(i >= 0 && "perform_redirect() on a call whose shape lacks the argument");
    return static_cast<size_t>(i);
  }
  const Syscall& c_;
  const ArgShape& shape_;
};

}  // namespace sysvisor
