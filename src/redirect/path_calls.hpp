// The calls that change the tree or a file's attributes under a redirect rule (mkdir, mknod,
// unlink, rmdir, rename, link, symlink, chmod, chown, truncate, the utime family, setxattr,
// removexattr), performed on the targets with the caller's other arguments, as the kernel would
// have performed them on a bind mount of TO at FROM. Rights are the caller's (the dispatcher
// assumes its credentials); its umask is applied to what is created.
#pragma once

#include <linux/openat2.h>
#include <time.h>

#include <array>
#include <memory>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "policy/compiled_policy.hpp"
#include "sysvisor/unique_fd.hpp"
#include "policy/syscall.hpp"
#include "sysvisor/call.hpp"

namespace sysvisor {

// What a call passes by pointer besides its paths (a link body, times, an attribute's name and
// value), read from the caller's memory before the call is performed with the caller's rights
// (which need not include reading the caller's memory).
struct CallInputs {
  int error = 0;                 // reading them failed: the call's answer (EFAULT, ERANGE, ...)
  std::string text;              // symlink's body, an xattr name
  std::vector<std::byte> value;  // setxattr's value
  bool times_now = true;         // the utime family: a null times pointer
  std::array<timespec, 2> times{};
  // openat2: the open_how (any size the kernel takes: a larger one zero-padded), or nothing when
  // the kernel should judge it itself (too small, too large, unreadable).
  std::optional<open_how> how;
  // bind, connect, inotify_add_watch: the program's descriptor they act on (pidfd_getfd, which
  // needs our rights, not the caller's); none when it could not be taken (the kernel then judges).
  std::shared_ptr<const UniqueFd> fd;
};

// Reads the inputs of a call that perform_redirect() will perform (nothing for most calls).
CallInputs read_call_inputs(const Syscall& call);

// The answer for a call with is_path_call(call.sysno) whose path(s) `r` maps.
Reply perform_path_call(const Syscall& call, const Redirection& r, const CallInputs& in);

}  // namespace sysvisor
