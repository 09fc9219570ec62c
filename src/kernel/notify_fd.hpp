// NotifyFd: the seccomp user-notification listener, one raw ioctl per method, no policy.
//
// Why raw ioctls and not libseccomp's seccomp_notify_*: Debian 12's libseccomp 2.5.4 has no ADDFD
// wrapper and no WAIT_KILLABLE_RECV, and turns every ioctl failure into -ECANCELED, which hides the
// ENOENT that tells us the caller died or was interrupted (an ordinary event, not an error).
//
// Methods return 0 or a positive errno. ENOENT: the notification is gone (caller died or was
// interrupted by a signal). All methods are safe to call from several threads at once.
#pragma once

#include <linux/seccomp.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "sysvisor/unique_fd.hpp"

namespace sysvisor {

class NotifyFd {
 public:
  explicit NotifyFd(UniqueFd fd) : fd_(std::move(fd)) {}
  int get() const noexcept { return fd_.get(); }

  // Sizes the kernel uses for the notification structures (SECCOMP_GET_NOTIF_SIZES).
  struct Sizes {
    size_t notif = sizeof(seccomp_notif);
    size_t resp = sizeof(seccomp_notif_resp);
  };
  static Sizes kernel_sizes();

  // Blocks until a notification arrives (RECV ignores O_NONBLOCK: poll first). `out` must be zeroed.
  int recv(seccomp_notif& out) const noexcept;
  // Whether a RECV blocked in the kernel returns (ENOENT) once no task uses the filter, so that
  // receivers may wait in RECV itself: Linux 6.11 and later wake them with the filter's EPOLLHUP.
  // Before, a blocked RECV sleeps on after the last task exits and only poll sees POLLHUP.
  // SYSVISOR_RECV=poll in the environment chooses the older kernels' way on any kernel.
  static bool blocked_recv_ends() noexcept;
  // True when the pending POLLHUP says no task uses the filter any more (never blocks).
  bool filter_gone() const noexcept;
  int send(const seccomp_notif_resp& resp) const noexcept;
  // Answers: let the call run in the kernel as if never intercepted.
  int send_continue(uint64_t id) const noexcept;
  // Answers: the call returns `val` (error == 0) or fails with -error.
  int send_result(uint64_t id, int64_t val, int error) const noexcept;
  // 0 while the notification `id` is still pending (the caller alive and waiting).
  int id_valid(uint64_t id) const noexcept;
  // Installs `srcfd` in the caller (lowest free number) and answers the call with that number
  // (SECCOMP_ADDFD_FLAG_SEND). Returns the new fd number (>= 0) or -errno.
  int addfd_send(uint64_t id, int srcfd, uint32_t newfd_flags) const noexcept;
  // Installs `srcfd` in the caller (lowest free number) without answering: the number, or -errno.
  // The caller still waits; answer it with send_result(id, number, 0).
  int addfd(uint64_t id, int srcfd, uint32_t newfd_flags) const noexcept;
  // Whether the kernel knows SECCOMP_IOCTL_NOTIF_ADDFD with SECCOMP_ADDFD_FLAG_SEND (Linux 5.14):
  // asked with an id no notification has, so a kernel that knows both answers ENOENT.
  bool supports_addfd_send() const noexcept;
  // SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: wake the receiver on the same CPU (kernel >= 6.6).
  int set_sync_wake_up() const noexcept;

 private:
  int addfd(uint64_t id, int srcfd, uint32_t newfd_flags, uint32_t flags) const noexcept;
  UniqueFd fd_;
};

// "6.18.44-fc-v657" -> true for (6, 11). Pure, for the unit tests.
bool kernel_release_at_least(std::string_view release, int major, int minor) noexcept;

}  // namespace sysvisor
