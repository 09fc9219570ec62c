// Reads and writes another process's memory with process_vm_readv/writev. Unlike /proc/PID/mem
// these respect page protections, so a bad or read-only pointer gives EFAULT exactly where the
// kernel would have. Functions return 0 or a positive errno (EPERM: the target is not dumpable
// or not ours; ESRCH: it is gone; EFAULT: the address is not mapped/accessible).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace sysvisor {

int read_memory(pid_t tid, uint64_t addr, std::span<std::byte> out) noexcept;
int write_memory(pid_t tid, uint64_t addr, std::span<const std::byte> data) noexcept;

// Reads a NUL-terminated string of at most `max` bytes including the NUL, one page-bounded chunk at
// a time (never touching a page past the terminator). ENAMETOOLONG when no NUL within `max`.
int read_c_string(pid_t tid, uint64_t addr, size_t max, std::string& out);

}  // namespace sysvisor
