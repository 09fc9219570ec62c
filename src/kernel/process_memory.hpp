// Reads and writes another process's memory.
//
// Reads go through process_vm_readv, which respects page protections (a bad pointer gives EFAULT
// exactly where the kernel would have); the caller re-checks SECCOMP_IOCTL_NOTIF_ID_VALID after
// reading, so what was read belongs to the image that made the call.
//
// Writes go through CallerImage: /proc/TID/mem names the image the thread runs when it is opened
// and keeps naming it, even after a sibling's execve hands the pid to a new image (which
// process_vm_writev would then write into). Open, re-check the call, then write: the order
// seccomp_unotify(2) gives. Functions return 0 or a positive errno (EPERM: the target is not
// dumpable or not ours; ESRCH: it is gone; EFAULT: the address is not mapped or not writable).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "sysvisor/unique_fd.hpp"

namespace sysvisor {

int read_memory(pid_t tid, uint64_t addr, std::span<std::byte> out) noexcept;

// Reads what it can of out.size() bytes at `addr`, as copy_from_user does: `got` bytes up to the
// first one the caller cannot read; 0 when all were read, else the errno (EFAULT) that stopped it.
int read_memory_prefix(pid_t tid, uint64_t addr, std::span<std::byte> out, size_t& got) noexcept;

// Reads a NUL-terminated string of at most `max` bytes including the NUL, one page-bounded chunk at
// a time (never touching a page past the terminator). ENAMETOOLONG when no NUL within `max`.
int read_c_string(pid_t tid, uint64_t addr, size_t max, std::string& out);

// Where the run of writable mappings that starts at `addr` ends (at most `end`; `addr` itself when
// it is not in a writable mapping), from the text of a /proc/PID/maps file.
uint64_t writable_end_in_maps(std::string_view maps, uint64_t addr, uint64_t end) noexcept;

// The memory of the image a thread runs, pinned from open() on.
class CallerImage {
 public:
  // Opens /proc/TID/mem and /proc/TID/maps (both pin the image): 0 or errno.
  int open(pid_t tid) noexcept;
  // True once open() succeeded.
  bool is_open() const noexcept { return static_cast<bool>(mem_); }
  // Writes `data` at `addr` into the pinned image where the caller could write it: the bytes up to
  // the first one not in a writable mapping are written and EFAULT is returned then, as the
  // kernel's copy_to_user does. (/proc/TID/mem itself writes through read-only pages.)
  int write(uint64_t addr, std::span<const std::byte> data) const noexcept;
  // How many of the `size` bytes at `addr` the caller could write, counted from `addr` up to the
  // first one outside its writable mappings, into `out`: 0 or errno.
  int writable_prefix(uint64_t addr, uint64_t size, uint64_t& out) const noexcept;

 private:
  int writable_end(uint64_t addr, uint64_t end, uint64_t& stop) const noexcept;
  int writable_end_from_text(uint64_t addr, uint64_t end, uint64_t& stop) const noexcept;
  UniqueFd mem_;
  UniqueFd maps_;
};

}  // namespace sysvisor
