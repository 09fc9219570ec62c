// CallerMemory: what the decision may read of the calling thread — its memory, its cwd, what its
// descriptors name. The engine's implementation reads the real thread (kernel/thread_memory.hpp);
// tests fake it. Every method returns 0 or a positive errno (EFAULT, ENAMETOOLONG, EPERM, ESRCH,
// EBADF, ...), as the kernel would have reported it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace sysvisor {

class CallerMemory {
 public:
  virtual ~CallerMemory() = default;
  // Reads out.size() bytes at `addr` (page protections respected).
  virtual int read(uint64_t addr, std::span<std::byte> out) = 0;
  // Reads a NUL-terminated string of at most `max` bytes including the NUL (ENAMETOOLONG if none).
  virtual int read_string(uint64_t addr, size_t max, std::string& out) = 0;
  // The thread's current directory.
  virtual int cwd(std::string& out) = 0;
  // The path descriptor `fd` of the thread names.
  virtual int fd_path(int fd, std::string& out) = 0;
};

}  // namespace sysvisor
