// An open(2) that can be abandoned: it runs in a helper task that shares our memory and
// descriptor table (clone with CLONE_VM | CLONE_FILES | CLONE_VFORK), so the descriptor it opens
// is ours, and SIGKILL to the helper ends a wait the kernel would not end otherwise (a FIFO
// waiting for its peer, an open waiting for a lease break) without leaving a descriptor behind or
// touching the file's other users. Signals stay out of the supervisor's own threads.
#pragma once

#include <sys/types.h>

#include <functional>
#include <mutex>

namespace sysvisor {

// Where the helper's id is published while it runs (CLONE_PARENT_SETTID), for cancel_open().
struct OpenHelperSlot {
  pid_t tid = 0;  // read and written with __atomic builtins (the kernel writes it at clone)
  // Held by cancel_open() from reading `tid` to its kill, and by killable_open() to clear it
  // before the helper is reaped: a kill never reaches a reaped helper's id, which may be reused.
  std::mutex lock;
};

// Runs `open` (an open(2) or openat2(2) returning a descriptor, or -1 with errno) in a killable
// helper; the descriptor, or -errno (-EINTR when cancelled). `open` must only make system calls
// (it runs in a task that shares our memory). Blocks the calling thread until the helper is done.
int killable_open(const std::function<int()>& open, OpenHelperSlot& slot) noexcept;

// Ends a killable_open() in progress (no effect when none is); may be called any number of times.
void cancel_open(OpenHelperSlot& slot) noexcept;

}  // namespace sysvisor
