#include "engine/receiver.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace sysvisor {

void Receiver::run() {
  const NotifyFd::Sizes sizes = NotifyFd::kernel_sizes();
  std::vector<std::byte> buffer(std::max(sizes.notif, sizeof(seccomp_notif)));
  PathScratch scratch;
  if (blocking_recv_) return run_blocking(buffer, scratch);
  run_polling(buffer, scratch);
}

// ENOENT with the filter alive is a caller that died or was interrupted before we took its call.
void Receiver::run_blocking(std::vector<std::byte>& buffer, PathScratch& scratch) {
  auto* notif = reinterpret_cast<seccomp_notif*>(buffer.data());
  while (true) {
    std::memset(buffer.data(), 0, buffer.size());
    const int rc = notify_.recv(*notif);
    if (rc == 0) {
      dispatcher_.dispatch(*notif, scratch);
    } else if (rc != ENOENT) {
      log_.warn(fmt::format("SECCOMP_IOCTL_NOTIF_RECV: {}", std::strerror(rc)));
      return;
    } else if (notify_.filter_gone()) {
      return;
    }
  }
}

void Receiver::run_polling(std::vector<std::byte>& buffer, PathScratch& scratch) {
  while (true) {
    pollfd p{notify_.get(), POLLIN, 0};
    if (poll(&p, 1, -1) < 0) {
      if (errno == EINTR) continue;
      log_.warn(fmt::format("poll: {}", std::strerror(errno)));
      return;
    }
    if ((p.revents & POLLIN) != 0) {
      if (receive(buffer)) dispatcher_.dispatch(*reinterpret_cast<seccomp_notif*>(buffer.data()), scratch);
    } else if ((p.revents & (POLLHUP | POLLERR)) != 0) {
      return;  // no task uses the filter any more
    }
  }
}

bool Receiver::receive(std::vector<std::byte>& buffer) {
  std::unique_lock lock(recv_mutex_, std::defer_lock);
  if (shared_) {
    lock.lock();
    pollfd p{notify_.get(), POLLIN, 0};
    if (poll(&p, 1, 0) != 1 || (p.revents & POLLIN) == 0) return false;
  }
  std::memset(buffer.data(), 0, buffer.size());
  const int rc = notify_.recv(*reinterpret_cast<seccomp_notif*>(buffer.data()));
  if (rc == 0) return true;
  if (rc != ENOENT) log_.warn(fmt::format("SECCOMP_IOCTL_NOTIF_RECV: {}", std::strerror(rc)));
  return false;
}

}  // namespace sysvisor
