// Executor: work that may block for long (a redirected FIFO open waiting for its peer, an open
// waiting for a lease break, a delay_enter/delay_exit) runs on a thread of its own, so that the
// receivers keep serving the other calls. While such work holds a call, a watcher thread looks at
// the caller every few milliseconds:
//   - the call is gone (the caller was killed, or, without WAIT_KILLABLE_RECV, interrupted): the
//     work is cancelled at once (a sleep wakes, an open in a killable helper is killed);
//   - the call is interruptible and the caller has a signal it would take: the call is answered
//     -ERESTARTSYS, which with WAIT_KILLABLE_RECV gives native semantics (EINTR without
//     SA_RESTART, a transparent restart with it, a stop, death), and the work is cancelled.
// The answer is claimed once (HeldCall::claim): the work's answer, or the watcher's interruption.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "kernel/killable_open.hpp"
#include "kernel/notify_fd.hpp"
#include "sysvisor/inject.hpp"

namespace sysvisor {

// One call held while work for it runs on the executor.
struct HeldCall {
  uint64_t id = 0;
  pid_t tid = 0;
  // A signal the caller would take ends the wait (-ERESTARTSYS). The work may turn it on once its
  // delay has passed (short= after delay_enter=).
  std::atomic<bool> interruptible{false};
  OpenHelperSlot open_helper;  // an open the work may be blocked in: SIGKILL to it releases the work
  std::atomic<bool> answered{false};
  std::atomic<bool> cancelled{false};
  // True for the one party (the work or the watcher) that may answer the call.
  bool claim() noexcept { return !answered.exchange(true); }
  // Gives the claim back: only by the work, after claim() said true and nothing was answered or
  // changed (a non-blocking attempt that would have blocked). The watcher looks again next period.
  void unclaim() noexcept { answered.store(false); }
};

class Executor {
 public:
  explicit Executor(const NotifyFd& notify) : notify_(notify) {}
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;
  ~Executor() { cancel_all(); }

  // Runs work(*held) on a thread of its own, watched as above. False, and nothing runs, when no
  // thread can be had: kMaxJobs are held already, or the system refuses one (RLIMIT_NPROC,
  // memory); the caller then fails the call as the kernel would (EAGAIN).
  bool run(std::shared_ptr<HeldCall> held, std::function<void(HeldCall&)> work);
  // At most this many calls held at once.
  static constexpr size_t kMaxJobs = 1024;
  // Sleeps unless the call is cancelled or the run is ending; false when cut short.
  bool sleep_for(const Delay& delay, const HeldCall& held);
  // Wakes sleepers, releases FIFO openers, joins every job and the watcher.
  void cancel_all();

 private:
  struct Job {
    std::shared_ptr<HeldCall> held;
    std::thread thread;
    std::atomic<bool> done{false};
  };
  void reap_done();           // caller holds mutex_
  void watch();               // the watcher thread's loop
  void check(HeldCall& held);  // one look at a held call; caller holds no lock

  const NotifyFd& notify_;
  std::mutex mutex_;
  std::list<Job> jobs_;
  std::condition_variable cv_;  // wakes sleepers and the watcher
  bool stopping_ = false;       // guarded by mutex_
  std::thread watcher_;         // started with the first job
};

}  // namespace sysvisor
