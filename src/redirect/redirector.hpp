// Acting on a redirect verdict: performs the call on the target, with the caller's arguments, and
// says what to answer. The decision (which path, which rule) is CompiledPolicy::decide()'s.
#pragma once

#include <optional>

#include "kernel/killable_open.hpp"
#include "policy/compiled_policy.hpp"
#include "policy/syscall.hpp"
#include "sysvisor/call.hpp"

namespace sysvisor {

// When perform_redirect() will block for long (a FIFO opened without O_NONBLOCK, waiting for its
// other end): the access mode of the open (O_RDONLY or O_WRONLY); nothing otherwise (one stat).
std::optional<int> redirect_may_block(const Syscall& call, const Redirection& r);

// Whether an open may wait (on the executor) or must not (on a receiver).
enum class OpenWait : uint8_t { kMayBlock, kMustNotBlock };

// Opens, stats, checks, reads the link or the attributes of `r.target` for the call; writes what
// the kernel would have written into the caller's memory; returns the answer. With kMustNotBlock
// an open that would wait (a lease to break) sets `would_block` instead and answers nothing.
// With kMayBlock, the open runs in a killable helper published in `helper` (see killable_open).
Reply perform_redirect(const Syscall& call, const Redirection& r, OpenWait wait, bool& would_block,
                       OpenHelperSlot* helper = nullptr);

}  // namespace sysvisor
