// UniqueFd: sole owner of one file descriptor. Move-only; closes on destruction.
// Taking ownership = a UniqueFd parameter by value; borrowing = a plain int.
#pragma once

#include <unistd.h>

#include <utility>

#include "sysvisor/api.hpp"

namespace sysvisor {

class UniqueFd {
 public:
  // Holds nothing.
  UniqueFd() noexcept = default;
  // Takes ownership of `fd` (negative: nothing).
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  // The descriptor, still owned (-1 if none).
  int get() const noexcept { return fd_; }
  // True when a descriptor is held.
  explicit operator bool() const noexcept { return fd_ >= 0; }

  // Gives up ownership without closing.
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }

  // Closes the held descriptor (EINTR from close is not retried: Linux has already released it).
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace sysvisor
