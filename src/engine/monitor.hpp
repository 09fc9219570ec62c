// Monitor: everything about the supervised processes that is not a notification — the program's
// exit (pidfd), signals to forward and orphans to reap (signalfd), threads that exited (their
// counts are dropped). It watches the listener for POLLHUP only (events = 0), so the kernel's
// POLLIN wake-ups for notifications go to the receivers alone.
#pragma once

#include <signal.h>

#include "engine/call_log.hpp"
#include "engine/thread_counts.hpp"
#include "kernel/launcher.hpp"
#include "kernel/notify_fd.hpp"

namespace sysvisor {

// Process-wide choices only a command-line tool makes (never the library's default).
struct ProcessOptions {
  bool subreaper = false;  // PR_SET_CHILD_SUBREAPER and reap every orphan (waitid(P_ALL))
  int signal_fd = -1;      // borrowed signalfd: SIGINT/SIGTERM/SIGHUP/SIGQUIT sent by a process are
                           // forwarded to the program; SIGCHLD wakes orphan reaping
};

// How the program ended.
struct ExitStatus {
  int exit_code = 0;
  int term_signal = 0;
  bool core_dumped = false;
  int exec_errno = 0;
};

class Monitor {
 public:
  Monitor(const NotifyFd& notify, Launched& child, ThreadCounts* counts, const ProcessOptions& process, CallLog& log)
      : notify_(notify), child_(child), counts_(counts), process_(process), log_(log) {}

  // Watches until no task uses the filter.
  void run();
  // After the receivers ended: reaps orphans and waits for the program. Returns how it ended.
  ExitStatus finish();

 private:
  void on_child_exit(const siginfo_t& info);
  void reap_orphans();
  void on_signal();

  const NotifyFd& notify_;
  Launched& child_;
  ThreadCounts* counts_;  // nullptr: no inject rule counts threads
  const ProcessOptions& process_;
  CallLog& log_;
  ExitStatus status_;
  bool child_reaped_ = false;
};

}  // namespace sysvisor
