// From rules to filter: which syscalls the filter answers itself (SECCOMP_RET_ERRNO), which it
// notifies, and which it allows. Pure: the same rule objects drive the filter and the user-space
// decision, and tests/unit/test_policy_filter.cpp checks that they agree.
#pragma once

#include <vector>

#include "policy/filter.hpp"
#include "inject/injector.hpp"
#include "sysvisor/inject.hpp"
#include "sysvisor/redirect.hpp"

namespace sysvisor {

struct FilterInputs {
  const RedirectTable& redirects;
  const InjectTable& injects;
  const TracedPaths& traced;
  bool allow_io_uring = false;
  std::vector<RuleKey> handled = {};  // syscalls a user handler serves: always notified
};

// True when the inject rule can be answered by the filter alone for syscall (p, nr): an errno on
// every call, no -P, and never execve/execveat (the filter cannot tell the execve that starts the
// program from later ones).
bool takes_fast_path(const InjectRule& rule, Personality p, int nr, bool traced_paths);

// True when io_uring_setup must fail with ENOSYS: io_uring performs opens and reads without
// syscalls, bypassing redirections and file-related inject rules (unless allowed).
bool io_uring_blocked(const FilterInputs& in);

// The filter rules for a policy: only the syscalls some rule needs leave the kernel.
std::vector<FilterRule> policy_filter_rules(const FilterInputs& in);

}  // namespace sysvisor
