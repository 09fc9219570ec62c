// bind(2) and connect(2) of an AF_UNIX socket to a path under a rule: performed on the program's
// own socket (pidfd_getfd) with the TO path, as on a bind mount of TO at FROM.
#pragma once

#include <sys/types.h>

#include <optional>

#include "kernel/credentials.hpp"
#include "policy/compiled_policy.hpp"
#include "policy/syscall.hpp"
#include "redirect/path_calls.hpp"
#include "sysvisor/call.hpp"

namespace sysvisor {

// `ids`: with a privileged supervisor, the caller's effective IDs, taken on for a connect so that
// the server's SO_PEERCRED shows the program's user and group (its pid shows sysvisor's).
Reply perform_socket_call(const Syscall& call, const Redirection& r, const CallInputs& in,
                          const std::optional<RealIds>& ids);

}  // namespace sysvisor
