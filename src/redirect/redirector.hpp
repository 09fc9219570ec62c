// Acting on a redirect verdict: performs the call on the target, with the caller's arguments, and
// says what to answer. The decision (which path, which rule) is CompiledPolicy::decide()'s.
#pragma once

#include <optional>

#include "policy/compiled_policy.hpp"
#include "policy/syscall.hpp"
#include "sysvisor/call.hpp"

namespace sysvisor {

// When perform_redirect() may block for long (a FIFO opened without O_NONBLOCK, waiting for its
// other end): the access mode of the open (O_RDONLY or O_WRONLY); nothing otherwise. Character
// devices are opened with O_NONBLOCK, which is then cleared, so that it never waits for a carrier.
// Records the target's file type in `r` (one stat per open).
std::optional<int> redirect_may_block(const Syscall& call, Redirection& r);

// Opens, stats, checks, reads the link or the attributes of `r.target` for the call; writes what
// the kernel would have written into the caller's memory; returns the answer.
Reply perform_redirect(const Syscall& call, const Redirection& r);

}  // namespace sysvisor
