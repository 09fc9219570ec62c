#include "kernel/process_memory.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

namespace sysvisor {
namespace {
constexpr uint64_t kPage = 4096;

// PROCMAP_QUERY (Linux 6.11, <linux/fs.h> of later kernels): one mapping of a pinned maps file.
struct ProcmapQuery {
  uint64_t size = sizeof(ProcmapQuery);
  uint64_t query_flags = 0;
  uint64_t query_addr = 0;
  uint64_t vma_start = 0, vma_end = 0, vma_flags = 0, vma_page_size = 0, vma_offset = 0, inode = 0;
  uint32_t dev_major = 0, dev_minor = 0, vma_name_size = 0, build_id_size = 0;
  uint64_t vma_name_addr = 0, build_id_addr = 0;
};
constexpr unsigned long kProcmapQuery = _IOWR('f', 17, ProcmapQuery);
constexpr uint64_t kVmaWritable = 0x02;

// A thread of the caller's is gone (ESRCH), or the caller hides its memory (EPERM, EACCES): the
// pointer is as good as bad for it.
int open_proc(pid_t tid, const char* what, int flags, UniqueFd& out) noexcept {
  char path[64];
  *fmt::format_to_n(path, sizeof path - 1, "/proc/{}/{}", tid, what).out = '\0';
  out.reset(::open(path, flags | O_CLOEXEC));
  if (out) return 0;
  return errno == ENOENT ? ESRCH : errno;
}

uint64_t hex(std::string_view text) {
  uint64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v, 16);
  return v;
}

}  // namespace

int read_memory(pid_t tid, uint64_t addr, std::span<std::byte> out) noexcept {
  size_t got = 0;
  return read_memory_prefix(tid, addr, out, got);
}

int read_memory_prefix(pid_t tid, uint64_t addr, std::span<std::byte> out, size_t& got) noexcept {
  // process_vm_readv may read less than asked (a range crossing into an unmapped page).
  got = 0;
  while (got < out.size()) {
    iovec local{out.data() + got, out.size() - got};
    iovec remote{reinterpret_cast<void*>(addr + got), out.size() - got};
    const ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
    if (n < 0) return errno;
    if (n == 0) return EFAULT;
    got += static_cast<size_t>(n);
  }
  return 0;
}

int CallerImage::open(pid_t tid) noexcept {
  if (int e = open_proc(tid, "mem", O_RDWR, mem_); e != 0) return e;
  return open_proc(tid, "maps", O_RDONLY, maps_);
}

int CallerImage::write(uint64_t addr, std::span<const std::byte> data) const noexcept {
  if (data.empty()) return 0;
  const uint64_t end = addr + data.size();
  if (end < addr || end > static_cast<uint64_t>(INT64_MAX)) return EFAULT;
  uint64_t stop = addr;
  if (int e = writable_end(addr, end, stop); e != 0) return e;
  // As copy_to_user: the bytes before the first one the caller cannot write are written.
  const size_t size = static_cast<size_t>(stop - addr);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = pwrite(mem_.get(), data.data() + done, size - done, static_cast<off_t>(addr + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno == EIO ? EFAULT : errno;
    if (n == 0) return EFAULT;
    done += static_cast<size_t>(n);
  }
  return stop < end ? EFAULT : 0;
}

int CallerImage::writable_prefix(uint64_t addr, uint64_t size, uint64_t& out) const noexcept {
  out = 0;
  const uint64_t end = addr + size;
  if (size == 0) return 0;
  if (end < addr) return EFAULT;
  uint64_t stop = addr;
  if (int e = writable_end(addr, end, stop); e != 0) return e;
  out = stop - addr;
  return 0;
}

// Where the run of writable mappings from `addr` ends (at most `end`): one PROCMAP_QUERY per
// mapping crossed, or the text of the maps file where the kernel has no PROCMAP_QUERY.
int CallerImage::writable_end(uint64_t addr, uint64_t end, uint64_t& stop) const noexcept {
  stop = addr;
  while (stop < end) {
    ProcmapQuery q;
    q.query_addr = stop;
    if (ioctl(maps_.get(), kProcmapQuery, &q) != 0) {
      if (errno == ENOTTY || errno == EINVAL) return writable_end_from_text(addr, end, stop);
      return errno == ENOENT ? 0 : errno;
    }
    if ((q.vma_flags & kVmaWritable) == 0 || q.vma_start > stop) return 0;
    stop = std::min(end, q.vma_end);
  }
  return 0;
}

int CallerImage::writable_end_from_text(uint64_t addr, uint64_t end, uint64_t& stop) const noexcept {
  std::string text;
  char chunk[4096];
  for (off_t at = 0;;) {
    const ssize_t n = pread(maps_.get(), chunk, sizeof chunk, at);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) break;
    try {
      text.append(chunk, static_cast<size_t>(n));
    } catch (...) {
      return ENOMEM;
    }
    at += n;
  }
  stop = writable_end_in_maps(text, addr, end);
  return 0;
}

uint64_t writable_end_in_maps(std::string_view maps, uint64_t addr, uint64_t end) noexcept {
  // "start-end perms offset dev inode path", one mapping per line, in address order.
  for (size_t line = 0; line < maps.size() && addr < end;) {
    const size_t eol = std::min(maps.find('\n', line), maps.size());
    const std::string_view row = maps.substr(line, eol - line);
    line = eol + 1;
    const size_t dash = row.find('-'), space = row.find(' ');
    if (dash == std::string_view::npos || space == std::string_view::npos || space + 2 >= row.size()) continue;
    const uint64_t start = hex(row.substr(0, dash)), last = hex(row.substr(dash + 1, space - dash - 1));
    if (last <= addr) continue;
    if (start > addr || row[space + 2] != 'w') break;
    addr = std::min(end, last);
  }
  return addr;
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
