#include "kernel/process_memory.hpp"

#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace sysvisor {
namespace {
constexpr uint64_t kPage = 4096;

// One direction of transfer; process_vm_readv and process_vm_writev have the same shape and may
// transfer less than asked (a range crossing into an unmapped page).
template <class Byte, class Transfer>
int transfer_all(pid_t tid, uint64_t addr, std::span<Byte> local_bytes, Transfer transfer) noexcept {
  size_t done = 0;
  while (done < local_bytes.size()) {
    iovec local{const_cast<std::byte*>(local_bytes.data()) + done, local_bytes.size() - done};
    iovec remote{reinterpret_cast<void*>(addr + done), local_bytes.size() - done};
    const ssize_t n = transfer(tid, &local, 1, &remote, 1, 0);
    if (n < 0) return errno;
    if (n == 0) return EFAULT;
    done += static_cast<size_t>(n);
  }
  return 0;
}

}  // namespace

int read_memory(pid_t tid, uint64_t addr, std::span<std::byte> out) noexcept {
  return transfer_all(tid, addr, out, process_vm_readv);
}

int write_memory(pid_t tid, uint64_t addr, std::span<const std::byte> data) noexcept {
  return transfer_all(tid, addr, data, process_vm_writev);
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
