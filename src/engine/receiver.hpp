// Receiver: takes notifications off the listener and hands each to the Dispatcher, on as many
// threads as Session starts (each calls run()). Ends when no task uses the filter any more.
//
// Linux 6.11 and later end a blocked SECCOMP_IOCTL_NOTIF_RECV (ENOENT) once no task uses the
// filter, so every receiver waits in RECV itself and the kernel hands each notification to one of
// them. Older kernels (or SYSVISOR_RECV=poll): receivers wait in poll, which sees POLLHUP, and
// with several of them RECV is serialised under a lock after a zero-timeout poll (two receivers
// woken by one readiness must not both block in RECV).
#pragma once

#include <linux/seccomp.h>

#include <cstddef>
#include <mutex>
#include <vector>

#include "engine/call_log.hpp"
#include "engine/dispatcher.hpp"
#include "kernel/notify_fd.hpp"

namespace sysvisor {

class Receiver {
 public:
  Receiver(const NotifyFd& notify, Dispatcher& dispatcher, CallLog& log, bool shared)
      : notify_(notify), dispatcher_(dispatcher), log_(log), shared_(shared) {}

  // Serves until no task uses the filter. Safe to call from several threads at once.
  void run();

 private:
  void run_blocking(std::vector<std::byte>& buffer, PathScratch& scratch);
  void run_polling(std::vector<std::byte>& buffer, PathScratch& scratch);
  // One RECV into `buffer` (zeroed first); false when there was nothing to take.
  bool receive(std::vector<std::byte>& buffer);

  const NotifyFd& notify_;
  Dispatcher& dispatcher_;
  CallLog& log_;
  const bool shared_;  // more than one receiver thread
  const bool blocking_recv_ = NotifyFd::blocked_recv_ends();
  std::mutex recv_mutex_;
};

}  // namespace sysvisor
