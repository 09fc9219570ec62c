// Syscall: one decoded notification, a plain value (the engine's own view; handlers get a
// sysvisor::Call). Decoding is pure: the number is looked up in the syscall table.
#pragma once

#include <linux/seccomp.h>
#include <sys/types.h>

#include <array>
#include <cstdint>

#include "policy/syscall_table.hpp"
#include "sysvisor/call.hpp"

namespace sysvisor {

struct Syscall {
  uint64_t id = 0;
  pid_t tid = 0;  // the calling thread (memory, cwd and fd look-ups use /proc/TID)
  Arch arch = Arch::kX86_64;
  int nr = -1;
  Sysno sysno = Sysno::kOther;
  std::array<uint64_t, 6> args{};

  // An int argument (fd, dirfd, flags): the kernel reads the low 32 bits on both architectures.
  int int_arg(size_t i) const noexcept { return static_cast<int>(static_cast<uint32_t>(args[i])); }
  // A pointer argument: 32 bits wide for i386 callers.
  uint64_t ptr_arg(size_t i) const noexcept {
    return arch == Arch::kI386 ? static_cast<uint32_t>(args[i]) : args[i];
  }
};

inline Syscall decode_call(const seccomp_notif& n) {
  Syscall call;
  call.id = n.id;
  call.tid = static_cast<pid_t>(n.pid);
  call.arch = static_cast<Arch>(n.data.arch);
  call.nr = n.data.nr;
  call.sysno = SyscallTable::instance().sysno(call.arch, call.nr);
  for (size_t i = 0; i < 6; ++i) call.args[i] = n.data.args[i];
  return call;
}

}  // namespace sysvisor
