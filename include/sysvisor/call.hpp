// What a user-supplied handler sees and answers: Call, one intercepted syscall, and Reply.
//
// Handlers run on the supervisor's receiver threads, possibly several at once (RunOptions::threads),
// while the calling thread of the program waits for the Reply.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sysvisor/api.hpp"
#include "sysvisor/result.hpp"
#include "sysvisor/unique_fd.hpp"

namespace sysvisor {

namespace detail {
class CallContext;  // the engine's side of a Call (the listener it came from)
struct CallAccess;
}  // namespace detail

// Architectures a call can come from (the AUDIT_ARCH_* values).
enum class Arch : uint32_t {
  kX86_64 = 0xc000003e,  // AUDIT_ARCH_X86_64
  kI386 = 0x40000003,    // AUDIT_ARCH_I386 (int 0x80 from a 32-bit program)
};

// One intercepted syscall, waiting for its Reply. Copyable; valid only during the handler.
struct SYSVISOR_API Call {
  uint64_t id = 0;                 // the kernel's notification id
  pid_t tid = 0;                   // the calling thread
  Arch arch = Arch::kX86_64;       // the calling convention used
  int nr = -1;                     // the syscall number in that architecture
  std::string_view name;           // the syscall's name ("getrandom"), static storage
  std::array<uint64_t, 6> args{};  // raw argument registers (32-bit values for i386)

  // Argument i as the kernel reads an int (fd, flags): the low 32 bits, sign-extended.
  int int_arg(size_t i) const noexcept { return static_cast<int>(static_cast<uint32_t>(args[i])); }
  // Argument i as a pointer in the caller's address space.
  uint64_t ptr_arg(size_t i) const noexcept {
    return arch == Arch::kI386 ? static_cast<uint32_t>(args[i]) : args[i];
  }

  // Reads `size` bytes at `addr` in the caller (page protections respected: EFAULT as the kernel).
  Result<std::vector<std::byte>> read(uint64_t addr, size_t size) const;
  // Reads a NUL-terminated string of at most `max` bytes (ENAMETOOLONG if longer).
  Result<std::string> read_string(uint64_t addr, size_t max = 4096) const;
  // Writes `data` at `addr` into the program image that made this call, and only while the call is
  // pending (ENOENT otherwise): the image is pinned before the call is re-checked, so a sibling
  // thread's execve cannot redirect the bytes into its new image. Memory the caller could not write
  // (read-only, unmapped) gives EFAULT, as the kernel would; nothing is written then.
  Result<void> write(uint64_t addr, std::span<const std::byte> data) const;
  // True while the caller still waits for this call (check after reading, before acting on it:
  // the thread may have died and its id been reused).
  bool still_pending() const noexcept;

 private:
  friend struct detail::CallAccess;
  const detail::CallContext* context_ = nullptr;
};

// The answer to one call. Copyable and cheap to copy, so that a handler may keep one and return
// it on every call (`static const Reply kBusy = Reply::err(EBUSY); return kBusy;`).
struct Reply {
  enum class Kind : uint8_t { kContinue, kValue, kError, kInjectFd };
  Kind kind = Kind::kContinue;
  int64_t value = 0;      // kValue: the return value
  int error = 0;          // kError: positive errno
  // kInjectFd: the descriptor installed in the caller (the call returns the new number). Copies
  // share it, and the last one to go closes it: installing does not consume it (the caller gets
  // its own descriptor of the same open file description, as dup gives), so one descriptor can
  // answer any number of calls. Shared rather than dup'ed on copy: a copy then cannot fail.
  std::shared_ptr<const UniqueFd> fd;
  uint32_t fd_flags = 0;  // kInjectFd: O_CLOEXEC or 0

  // Let the call run in the kernel as if never intercepted.
  static Reply cont() { return {}; }
  // The call returns `v` without running.
  static Reply val(int64_t v) {
    Reply r;
    r.kind = Kind::kValue;
    r.value = v;
    return r;
  }
  // The call fails with errno `e` (positive) without running.
  static Reply err(int e) {
    Reply r;
    r.kind = Kind::kError;
    r.error = e;
    return r;
  }
  // The call returns a new descriptor of the caller's that refers to what `fd` refers to.
  static Reply inject(UniqueFd fd, uint32_t flags) {
    Reply r;
    r.kind = Kind::kInjectFd;
    r.fd = std::make_shared<const UniqueFd>(std::move(fd));
    r.fd_flags = flags;
    return r;
  }
};

}  // namespace sysvisor
