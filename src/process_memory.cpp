#include "process_memory.hpp"

#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace sysvisor {
namespace {
constexpr uint64_t kPage = 4096;
}

int read_memory(pid_t tid, uint64_t addr, std::span<std::byte> out) noexcept {
  size_t done = 0;
  while (done < out.size()) {
    iovec local{out.data() + done, out.size() - done};
    iovec remote{reinterpret_cast<void*>(addr + done), out.size() - done};
    const ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
    if (n < 0) return errno;
    if (n == 0) return EFAULT;
    done += static_cast<size_t>(n);
  }
  return 0;
}

int write_memory(pid_t tid, uint64_t addr, std::span<const std::byte> data) noexcept {
  size_t done = 0;
  while (done < data.size()) {
    iovec local{const_cast<std::byte*>(data.data()) + done, data.size() - done};
    iovec remote{reinterpret_cast<void*>(addr + done), data.size() - done};
    const ssize_t n = process_vm_writev(tid, &local, 1, &remote, 1, 0);
    if (n < 0) return errno;
    if (n == 0) return EFAULT;
    done += static_cast<size_t>(n);
  }
  return 0;
}

int read_c_string(pid_t tid, uint64_t addr, size_t max, std::string& out) {
  out.clear();
  char chunk[kPage];
  while (out.size() < max) {
    const uint64_t page_left = kPage - (addr % kPage);
    const size_t want = static_cast<size_t>(std::min<uint64_t>(page_left, max - out.size()));
    iovec local{chunk, want};
    iovec remote{reinterpret_cast<void*>(addr), want};
    const ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
    if (n < 0) return errno;
    if (n == 0) return EFAULT;
    const auto got = static_cast<size_t>(n);
    if (const void* nul = std::memchr(chunk, '\0', got)) {
      out.append(chunk, static_cast<size_t>(static_cast<const char*>(nul) - chunk));
      return 0;
    }
    out.append(chunk, got);
    addr += got;
  }
  return ENAMETOOLONG;
}

}  // namespace sysvisor
