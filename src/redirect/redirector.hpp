// Acting on a redirect verdict: performs the call on the target, with the caller's arguments, and
// says what to answer. The decision (which path, which rule) is CompiledPolicy::decide()'s.
#pragma once

#include <optional>

#include "kernel/killable_open.hpp"
#include "kernel/credentials.hpp"
#include "kernel/process_memory.hpp"
#include "redirect/path_calls.hpp"
#include "policy/compiled_policy.hpp"
#include "policy/syscall.hpp"
#include "sysvisor/call.hpp"

namespace sysvisor {

// When perform_redirect() will block for long (a FIFO opened without O_NONBLOCK, waiting for its
// other end): the access mode of the open (O_RDONLY or O_WRONLY); nothing otherwise (one stat).
std::optional<int> redirect_may_block(const Syscall& call, const Redirection& r, const CallInputs& inputs);

// True for access(2), faccessat(2) and faccessat2(2) without AT_EACCESS: the kernel checks the
// caller's real IDs.
bool checks_real_ids(const Syscall& call);

// True when the redirected call answers through the caller's memory (a stat buffer, a link or
// attribute value): its CallerImage must be opened before the call is re-checked.
bool redirect_writes_memory(const Syscall& call);

// Whether an open may wait (on the executor) or must not (on a receiver).
enum class OpenWait : uint8_t { kMayBlock, kMustNotBlock };

// How perform_redirect() may act, and what it found.
struct RedirectAct {
  OpenWait wait = OpenWait::kMustNotBlock;
  // kMayBlock: the open runs in a killable helper published here (see killable_open).
  OpenHelperSlot* helper = nullptr;
  // The caller's image, opened before the call was re-checked; needed when
  // redirect_writes_memory() (without it such a call fails with EFAULT).
  const CallerImage* image = nullptr;
  // What the call passes by pointer besides its paths, read before acting (read_call_inputs).
  const CallInputs* inputs = nullptr;
  // The acting thread has taken on the caller's rights (for_access() ones for an access check
  // without AT_EACCESS, which is then made with AT_EACCESS).
  bool rights = false;
  // With `rights`: the caller's real and effective IDs (a connect takes on the effective ones).
  std::optional<RealIds> ids;
  // Out, with kMustNotBlock: the open would wait (a lease to break); nothing was answered.
  bool would_block = false;
};

// Opens, stats, checks, reads the link or the attributes of `r.target` for the call; writes what
// the kernel would have written into the caller's memory; returns the answer.
Reply perform_redirect(const Syscall& call, const Redirection& r, RedirectAct& act);

}  // namespace sysvisor
