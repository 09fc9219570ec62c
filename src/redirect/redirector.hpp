// Redirector: decode -> decide -> act for the path calls a redirect rule covers.
//   match(): reads the path from the caller's memory, makes it absolute against the thread's cwd or
//            the dirfd, normalises it and looks it up (no side effects);
//   act():   performs the call on the target and returns the Reply (opens, stats, ...).
// The caller checks SECCOMP_IOCTL_NOTIF_ID_VALID between the two.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "engine/call.hpp"
#include "sysvisor/redirect.hpp"

namespace sysvisor {

// Index of the path argument of a redirect-covered call.
size_t redirect_path_arg(Sysno s);

struct Redirection {
  std::string from;    // absolute, normalised path the program asked for
  std::string target;  // where it goes
  size_t rule = 0;     // index of the redirect rule (order added)
  bool type_known = false;  // may_block() stat'ed the target: its S_IFMT bits are in target_type
  mode_t target_type = 0;
};

// Buffers match() works in, one set per receiver thread and reused from call to call: looking up
// a path that no rule matches then allocates nothing.
struct PathScratch {
  std::string path;      // as the program passed it
  std::string base;      // its cwd or dirfd, then base + "/" + path
  std::string absolute;  // absolute and normalised
};

class Redirector {
 public:
  explicit Redirector(const RedirectTable& table) : table_(table) {}

  // What match() found out about the call's path.
  struct Lookup {
    std::optional<Redirection> redirection;  // nothing: the call goes on unchanged
    std::string_view path;                   // the path as the program passed it (for the log),
                                             // in the scratch: valid until its next match()
    int memory_errno = 0;                    // a failed read of the path (EPERM: not dumpable)
  };
  // Nothing to redirect when no rule matches, or when the kernel should report the argument error
  // itself (a bad pointer or dirfd, a path without NUL within PATH_MAX).
  Lookup match(const Syscall& call, PathScratch& scratch) const;

  // When act() may block for long (a FIFO opened without O_NONBLOCK, waiting for its other end):
  // the access mode of the open (O_RDONLY or O_WRONLY); nothing otherwise. Character devices are
  // opened with O_NONBLOCK, which is then cleared, so that act() never waits for a carrier.
  // Records the target's file type in `r` for act() (one stat per open).
  std::optional<int> may_block(const Syscall& call, Redirection& r) const;

  Reply act(const Syscall& call, const Redirection& r) const;

 private:
  const RedirectTable& table_;
};

}  // namespace sysvisor
