#include "engine/executor.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
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
    for (const Job& job : jobs_)
      if (!job.done.load() && !job.held->cancelled.load()) held.push_back(job.held);
    if (held.empty()) {
      // Nothing to watch: sleep until a job comes (or, while cancelled work finishes, look again).
      if (jobs_.empty()) cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      else cv_.wait_for(lock, kWatchPeriod);
      continue;
    }
    lock.unlock();
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
  release(held);
}

// An open in a killable helper (a FIFO waiting for its peer, a lease break): kill the helper until
// the work has returned (it may not have started the helper yet). The job thread is joined by
// reap_done() or cancel_all().
void Executor::release(HeldCall& held) {
  for (int tries = 0; tries < 200; ++tries) {
    {
      std::lock_guard lock(mutex_);
      const bool running = std::any_of(jobs_.begin(), jobs_.end(),
                                       [&](const Job& j) { return j.held.get() == &held && !j.done.load(); });
      if (!running) return;
    }
    cancel_open(held.open_helper);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// At shutdown no task uses the filter: every held call is gone; sleeping work wakes, and an open
// in a killable helper is killed.
void Executor::cancel_all() {
  std::unique_lock lock(mutex_);
  stopping_ = true;
  for (Job& job : jobs_) job.held->cancelled.store(true);
  cv_.notify_all();
  std::thread watcher = std::move(watcher_);
  lock.unlock();
  if (watcher.joinable()) watcher.join();
  lock.lock();
  while (!jobs_.empty()) {
    Job& job = jobs_.front();
    lock.unlock();
    while (!job.done.load()) {
      release(*job.held);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    job.thread.join();
    lock.lock();
    jobs_.pop_front();
  }
}

}  // namespace sysvisor
