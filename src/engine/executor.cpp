#include "engine/executor.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <system_error>
#include <vector>

#include "kernel/proc_info.hpp"
#include "sysvisor/unique_fd.hpp"

namespace sysvisor {
namespace {

// The kernel's "restart this call" (include/linux/errno.h): with a signal pending and
// WAIT_KILLABLE_RECV, the caller then handles the signal and sees EINTR or a restart, as natively.
constexpr int kErestartsys = 512;
// How often the watcher looks at a held call: well under what a person or a test notices.
constexpr auto kWatchPeriod = std::chrono::milliseconds(5);

}  // namespace

void Executor::reap_done() {
  std::erase_if(jobs_, [](Job& j) {
    if (!j.done.load()) return false;
    j.thread.join();
    return true;
  });
}

bool Executor::run(std::shared_ptr<HeldCall> held, std::function<void(HeldCall&)> work) {
  std::lock_guard lock(mutex_);
  reap_done();
  if (stopping_ || jobs_.size() >= kMaxJobs) return false;
  try {
    if (!watcher_.joinable()) watcher_ = std::thread([this] { watch(); });
    Job& job = jobs_.emplace_back();
    job.held = std::move(held);
    job.thread = std::thread([&job, work = std::move(work)] {
      work(*job.held);
      job.done.store(true);
    });
  } catch (const std::exception&) {  // std::system_error (no thread), std::bad_alloc
    if (!jobs_.empty() && !jobs_.back().thread.joinable()) jobs_.pop_back();
    return false;
  }
  cv_.notify_all();  // the watcher has a call to look at
  return true;
}

bool Executor::sleep_for(const Delay& delay, const HeldCall& held) {
  std::unique_lock lock(mutex_);
  const auto duration = std::chrono::seconds(delay.sec) + std::chrono::nanoseconds(delay.nsec);
  return !cv_.wait_for(lock, duration, [&] { return stopping_ || held.cancelled.load(); });
}

void Executor::watch() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    reap_done();
    std::vector<std::shared_ptr<HeldCall>> held;
    std::vector<std::shared_ptr<HeldCall>> cancelled;
    for (const Job& job : jobs_)
      if (!job.done.load()) (job.held->cancelled.load() ? cancelled : held).push_back(job.held);
    if (held.empty() && cancelled.empty()) {
      // Nothing to watch (what jobs_ still holds has just finished): sleep until a job comes.
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      continue;
    }
    lock.unlock();
    // Cancelled work may have started its open helper after the first kill: kill it again. The
    // watcher never waits for cancelled work to end, so that a thousand calls gone at once do
    // not delay the signals of the calls still held.
    for (const auto& h : cancelled) cancel_open(h->open_helper);
    for (const auto& h : held) check(*h);
    lock.lock();
    cv_.wait_for(lock, kWatchPeriod, [this] { return stopping_; });
  }
}

void Executor::check(HeldCall& held) {
  bool gone = notify_.id_valid(held.id) != 0;
  if (!gone && held.interruptible) {
    bool pending = false;
    if (thread_signal_pending(held.tid, pending) == 0 && pending && held.claim()) {
      // ENOENT: the call ended meanwhile; either way the work is for nothing now.
      (void)notify_.send_result(held.id, 0, kErestartsys);
      gone = true;
    }
  }
  if (!gone) return;
  held.cancelled.store(true);
  {
    std::lock_guard lock(mutex_);
    cv_.notify_all();  // a sleeping delay wakes
  }
  cancel_open(held.open_helper);  // an open in a killable helper (a FIFO's peer, a lease break) ends
}

// At shutdown no task uses the filter: every held call is gone; sleeping work wakes, and an open
// in a killable helper is killed (all of them at once, again until each job has ended: a job may
// start its helper after the first kill).
void Executor::cancel_all() {
  std::unique_lock lock(mutex_);
  stopping_ = true;
  for (Job& job : jobs_) job.held->cancelled.store(true);
  cv_.notify_all();
  std::thread watcher = std::move(watcher_);
  lock.unlock();
  if (watcher.joinable()) watcher.join();
  lock.lock();
  while (true) {
    reap_done();
    if (jobs_.empty()) return;
    for (Job& job : jobs_)
      if (!job.done.load()) cancel_open(job.held->open_helper);
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    lock.lock();
  }
}

}  // namespace sysvisor
