#include "kernel/notify_fd.hpp"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

// Kernel headers of Debian 12 (6.1) predate these; the values are the kernel's ABI.
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

namespace sysvisor {
namespace {

int ioctl_errno(int fd, unsigned long request, void* arg) noexcept {
  while (true) {
    if (::ioctl(fd, request, arg) >= 0) return 0;
    if (errno != EINTR) return errno;
  }
}

}  // namespace

NotifyFd::Sizes NotifyFd::kernel_sizes() {
  seccomp_notif_sizes sizes{};
  Sizes out;
  if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) == 0) {
    out.notif = sizes.seccomp_notif;
    out.resp = sizes.seccomp_notif_resp;
  }
  return out;
}

int NotifyFd::recv(seccomp_notif& out) const noexcept {
  return ioctl_errno(fd_.get(), SECCOMP_IOCTL_NOTIF_RECV, &out);
}

int NotifyFd::send(const seccomp_notif_resp& resp) const noexcept {
  return ioctl_errno(fd_.get(), SECCOMP_IOCTL_NOTIF_SEND, const_cast<seccomp_notif_resp*>(&resp));
}

int NotifyFd::send_continue(uint64_t id) const noexcept {
  seccomp_notif_resp resp{};
  resp.id = id;
  resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  return send(resp);
}

int NotifyFd::send_result(uint64_t id, int64_t val, int error) const noexcept {
  seccomp_notif_resp resp{};
  resp.id = id;
  resp.val = error != 0 ? 0 : val;
  resp.error = error != 0 ? -error : 0;
  return send(resp);
}

int NotifyFd::id_valid(uint64_t id) const noexcept {
  return ioctl_errno(fd_.get(), SECCOMP_IOCTL_NOTIF_ID_VALID, &id);
}

int NotifyFd::addfd(uint64_t id, int srcfd, uint32_t newfd_flags, uint32_t flags) const noexcept {
  seccomp_notif_addfd addfd{};
  addfd.id = id;
  addfd.flags = flags;
  addfd.srcfd = static_cast<uint32_t>(srcfd);
  addfd.newfd_flags = newfd_flags;
  while (true) {
    const int rc = ::ioctl(fd_.get(), SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
    if (rc >= 0) return rc;
    if (errno != EINTR) return -errno;
  }
}

int NotifyFd::addfd(uint64_t id, int srcfd, uint32_t newfd_flags) const noexcept {
  return addfd(id, srcfd, newfd_flags, 0);
}

int NotifyFd::addfd_send(uint64_t id, int srcfd, uint32_t newfd_flags) const noexcept {
  return addfd(id, srcfd, newfd_flags, SECCOMP_ADDFD_FLAG_SEND);
}

bool kernel_release_at_least(std::string_view release, int major, int minor) noexcept {
  int parts[2] = {0, 0};
  const char* p = release.data();
  const char* end = release.data() + release.size();
  for (int& part : parts) {
    const auto [next, ec] = std::from_chars(p, end, part);
    if (ec != std::errc{}) return false;
    p = next;
    if (&part == &parts[0]) {
      if (p == end || *p != '.') return false;
      ++p;
    }
  }
  return parts[0] > major || (parts[0] == major && parts[1] >= minor);
}

bool NotifyFd::blocked_recv_ends() noexcept {
  if (const char* how = std::getenv("SYSVISOR_RECV"); how != nullptr && std::strcmp(how, "poll") == 0) return false;
  utsname u{};
  return uname(&u) == 0 && kernel_release_at_least(u.release, 6, 11);
}

bool NotifyFd::filter_gone() const noexcept {
  pollfd p{fd_.get(), POLLIN, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR)) != 0;
}

bool NotifyFd::supports_addfd_send() const noexcept {
  seccomp_notif_addfd addfd{};
  addfd.id = ~0ULL;
  addfd.flags = SECCOMP_ADDFD_FLAG_SEND;
  addfd.srcfd = 0;
  return ::ioctl(fd_.get(), SECCOMP_IOCTL_NOTIF_ADDFD, &addfd) < 0 && errno == ENOENT;
}

int NotifyFd::set_sync_wake_up() const noexcept {
  uint64_t flags = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
  return ioctl_errno(fd_.get(), SECCOMP_IOCTL_NOTIF_SET_FLAGS, reinterpret_cast<void*>(flags));
}

}  // namespace sysvisor
