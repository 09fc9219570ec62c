// Builds the classic-BPF seccomp program with libseccomp. The one place the filter is made:
// libseccomp emits the arch checks (x86_64 and i386; anything else, including x32 syscall numbers
// on x86_64, fails with ENOSYS) and resolves names per architecture.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <vector>

#include "sysvisor/result.hpp"
#include "policy/syscall_table.hpp"

namespace sysvisor {

// What the filter does with one syscall of one architecture; everything not listed is ALLOW.
struct FilterRule {
  Arch arch;
  int nr;           // the architecture's own syscall number
  uint32_t action;  // SCMP_ACT_NOTIFY or SCMP_ACT_ERRNO(e)
  // Only when (arg0 & arg0_mask) == arg0_value (an i386 socketcall/ipc subcall); 0 mask: always.
  uint32_t arg0_mask = 0;
  uint32_t arg0_value = 0;
};

// The exported program. Errors name the libseccomp call that failed.
Result<std::vector<sock_filter>> build_filter(const std::vector<FilterRule>& rules);

}  // namespace sysvisor
