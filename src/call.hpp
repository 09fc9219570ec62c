// Call: one decoded notification, a plain value. Reply: what the supervisor answers.
#pragma once

#include <linux/seccomp.h>
#include <sys/types.h>

#include <array>
#include <cstdint>

#include "sysvisor/unique_fd.hpp"
#include "syscalls.hpp"

namespace sysvisor {

struct Call {
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

inline Call decode_call(const seccomp_notif& n, const SyscallMap& map) {
  Call call;
  call.id = n.id;
  call.tid = static_cast<pid_t>(n.pid);
  call.arch = static_cast<Arch>(n.data.arch);
  call.nr = n.data.nr;
  call.sysno = map.lookup(call.arch, call.nr);
  for (size_t i = 0; i < 6; ++i) call.args[i] = n.data.args[i];
  return call;
}

// The answer to one call.
struct Reply {
  enum class Kind : uint8_t { kContinue, kValue, kError, kInjectFd };
  Kind kind = Kind::kContinue;
  int64_t value = 0;     // kValue
  int error = 0;         // kError: positive errno
  UniqueFd fd;           // kInjectFd: installed in the caller, its number returned
  uint32_t fd_flags = 0; // kInjectFd: O_CLOEXEC or 0

  static Reply cont() { return {}; }
  static Reply val(int64_t v) { Reply r; r.kind = Kind::kValue; r.value = v; return r; }
  static Reply err(int e) { Reply r; r.kind = Kind::kError; r.error = e; return r; }
  static Reply inject(UniqueFd fd, uint32_t flags) {
    Reply r; r.kind = Kind::kInjectFd; r.fd = std::move(fd); r.fd_flags = flags; return r;
  }
};

}  // namespace sysvisor
