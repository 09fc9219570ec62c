// Redirector: decode -> decide -> act for the path calls a redirect rule covers.
//   match(): reads the path from the caller's memory, makes it absolute against the thread's cwd or
//            the dirfd, normalises it and looks it up (no side effects);
//   act():   performs the call on the target and returns the Reply (opens, stats, ...).
// The caller checks SECCOMP_IOCTL_NOTIF_ID_VALID between the two.
#pragma once

#include <optional>
#include <string>

#include "call.hpp"
#include "sysvisor/redirect.hpp"

namespace sysvisor {

struct Redirection {
  std::string from;    // absolute, normalised path the program asked for
  std::string target;  // where it goes
};

class Redirector {
 public:
  explicit Redirector(const RedirectTable& table) : table_(table) {}

  // Nothing: the call goes on unchanged (no rule matches, or the kernel should report the
  // argument error itself). `memory_errno` receives the errno of a failed memory read (EPERM for a
  // non-dumpable program), 0 otherwise.
  std::optional<Redirection> match(const Call& call, int& memory_errno) const;

  // When act() may block for long (a FIFO opened without O_NONBLOCK, waiting for its other end):
  // the access mode of the open (O_RDONLY or O_WRONLY); nothing otherwise. Character devices are
  // opened with O_NONBLOCK, which is then cleared, so that act() never waits for a carrier.
  std::optional<int> may_block(const Call& call, const Redirection& r) const;

  Reply act(const Call& call, const Redirection& r) const;

 private:
  const RedirectTable& table_;
};

}  // namespace sysvisor
