// Look-ups in /proc/TID/ for a notified thread: its cwd, what one of its descriptors names, its
// umask. Functions return 0 or a positive errno.
#pragma once

#include <sys/types.h>

#include <string>

namespace sysvisor {

// The thread's current directory (readlink of /proc/TID/cwd).
int thread_cwd(pid_t tid, std::string& out);
// What descriptor `fd` of the thread names (readlink of /proc/TID/fd/FD).
int thread_fd_path(pid_t tid, int fd, std::string& out);
// The thread's umask (the "Umask:" line of /proc/TID/status).
int thread_umask(pid_t tid, mode_t& out);

}  // namespace sysvisor
