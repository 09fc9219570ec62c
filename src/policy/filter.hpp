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

// One comparison of an argument register (libseccomp's struct scmp_arg_cmp, kept as plain values).
struct ArgCmp {
  uint8_t arg = 0;    // 0..5
  uint8_t op = 0;     // enum scmp_compare
  uint64_t a = 0;     // the value, or the mask for SCMP_CMP_MASKED_EQ
  uint64_t b = 0;     // the value for SCMP_CMP_MASKED_EQ
  auto operator<=>(const ArgCmp&) const = default;
};

// What the filter does with one syscall of one architecture; everything not listed is ALLOW.
struct FilterRule {
  Arch arch;
  int nr;           // the architecture's own syscall number
  uint32_t action;  // SCMP_ACT_NOTIFY or SCMP_ACT_ERRNO(e)
  // Only when every comparison holds (at most one per argument); none: always. An i386
  // socketcall/ipc subcall is an arg0 test; an inject rule's argN tests are compiled here too.
  std::vector<ArgCmp> cmps;
};

// The exported program. Errors name the libseccomp call that failed.
Result<std::vector<sock_filter>> build_filter(const std::vector<FilterRule>& rules);

}  // namespace sysvisor
