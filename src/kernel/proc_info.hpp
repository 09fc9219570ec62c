// Look-ups in /proc/TID/ for a notified thread: its cwd, what one of its descriptors names, its
// umask. Functions return 0 or a positive errno.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "sysvisor/unique_fd.hpp"

namespace sysvisor {

// The calling thread's pidfd. With PIDFD_THREAD (Linux 6.9), pidfd_getfd reads that thread's
// descriptor table (it may have unshared it) and a signal sent through it goes to that thread;
// before, only a thread-group leader has a pidfd (an invalid UniqueFd for another thread).
UniqueFd thread_pidfd(pid_t tid);

// The thread's current directory (readlink of /proc/TID/cwd).
int thread_cwd(pid_t tid, std::string& out);
// What descriptor `fd` of the thread names (readlink of /proc/TID/fd/FD).
int thread_fd_path(pid_t tid, int fd, std::string& out);
// Whether every descriptor number below the process's RLIMIT_NOFILE is in use in the thread's
// table (an open would fail with EMFILE before anything else). 0 or errno.
int thread_fd_table_full(pid_t tid, pid_t tgid, bool& out);
// The thread's umask (the "Umask:" line of /proc/TID/status).
int thread_umask(pid_t tid, mode_t& out);
// Whether a signal the thread does not block is pending for it or its process (SigPnd and ShdPnd
// against SigBlk in /proc/TID/status): the thread would take it were it not held in a call.
int thread_signal_pending(pid_t tid, bool& out);
// The same test on the text of a /proc/TID/status file; nullopt when a line is missing. Pure.
std::optional<bool> unblocked_signal_pending(std::string_view status);

}  // namespace sysvisor
