#include "kernel/proc_info.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "sysvisor/unique_fd.hpp"

namespace sysvisor {
namespace {

int read_link(const char* link, std::string& out) {
  char buf[PATH_MAX + 1];
  const ssize_t n = readlink(link, buf, sizeof buf);
  if (n < 0) return errno;
  if (static_cast<size_t>(n) >= sizeof buf) return ENAMETOOLONG;
  out.assign(buf, static_cast<size_t>(n));
  return 0;
}

// Reads /proc/TID/status into `buf` (NUL-terminated); its length, or -errno.
ssize_t read_status(pid_t tid, char* buf, size_t size) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/status", static_cast<int>(tid));
  UniqueFd fd(open(path, O_RDONLY | O_CLOEXEC));
  if (!fd) return -errno;
  const ssize_t n = read(fd.get(), buf, size - 1);
  if (n < 0) return -errno;
  buf[n] = '\0';
  return n;
}

}  // namespace

UniqueFd thread_pidfd(pid_t tid) {
  constexpr unsigned kPidfdThread = O_EXCL;  // PIDFD_THREAD, <linux/pidfd.h> of Linux 6.9
  long fd = syscall(SYS_pidfd_open, tid, kPidfdThread);
  if (fd < 0 && errno == EINVAL) fd = syscall(SYS_pidfd_open, tid, 0);
  return UniqueFd(static_cast<int>(fd));
}

int thread_fd_table_full(pid_t tid, pid_t tgid, bool& out) {
  rlimit limit{};
  if (prlimit(tgid, RLIMIT_NOFILE, nullptr, &limit) != 0) return errno;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/fd", static_cast<int>(tid));
  DIR* dir = opendir(path);
  if (dir == nullptr) return errno;
  rlim_t below = 0;
  while (const dirent* e = readdir(dir)) {
    char* end = nullptr;
    const unsigned long fd = std::strtoul(e->d_name, &end, 10);
    if (e->d_name[0] != '.' && *end == '\0' && fd < limit.rlim_cur) ++below;
  }
  closedir(dir);
  out = below >= limit.rlim_cur;
  return 0;
}

int thread_cwd(pid_t tid, std::string& out) {
  char link[64];
  std::snprintf(link, sizeof link, "/proc/%d/cwd", static_cast<int>(tid));
  return read_link(link, out);
}

int thread_fd_path(pid_t tid, int fd, std::string& out) {
  char link[80];
  std::snprintf(link, sizeof link, "/proc/%d/fd/%d", static_cast<int>(tid), fd);
  return read_link(link, out);
}

int thread_umask(pid_t tid, mode_t& out) {
  char buf[4096];
  if (const ssize_t n = read_status(tid, buf, sizeof buf); n < 0) return static_cast<int>(-n);
  // "Umask:" comes early in the file (line 2 on every kernel since 4.7).
  const char* line = std::strstr(buf, "\nUmask:\t");
  if (line == nullptr) return ENODATA;
  out = static_cast<mode_t>(std::strtoul(line + 8, nullptr, 8));
  return 0;
}

std::optional<bool> unblocked_signal_pending(std::string_view status) {
  auto mask = [&](std::string_view key) -> std::optional<uint64_t> {
    const size_t at = status.find(key);
    if (at == std::string_view::npos) return std::nullopt;
    const std::string hex(status.substr(at + key.size(), 16));
    char* end = nullptr;
    const uint64_t v = std::strtoull(hex.c_str(), &end, 16);
    if (end == hex.c_str()) return std::nullopt;
    return v;
  };
  const auto thread = mask("\nSigPnd:\t"), shared = mask("\nShdPnd:\t"), blocked = mask("\nSigBlk:\t");
  if (!thread || !shared || !blocked) return std::nullopt;
  return ((*thread | *shared) & ~*blocked) != 0;
}

int thread_signal_pending(pid_t tid, bool& out) {
  char buf[8192];
  const ssize_t n = read_status(tid, buf, sizeof buf);
  if (n < 0) return static_cast<int>(-n);
  const auto pending = unblocked_signal_pending(std::string_view(buf, static_cast<size_t>(n)));
  if (!pending) return ENODATA;
  out = *pending;
  return 0;
}

}  // namespace sysvisor
