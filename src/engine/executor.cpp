#include "engine/executor.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <system_error>

#include "sysvisor/unique_fd.hpp"

namespace sysvisor {

void Executor::reap_done() {
  std::erase_if(jobs_, [](Job& j) {
    if (!j.done.load()) return false;
    j.thread.join();
    return true;
  });
}

void Executor::run(std::function<void()> work, std::string fifo, int accmode) {
  std::unique_lock lock(mutex_);
  reap_done();
  Job& job = jobs_.emplace_back();
  job.fifo = std::move(fifo);
  job.accmode = accmode;
  try {
    job.thread = std::thread([&job, work] {
      work();
      job.done.store(true);
    });
  } catch (const std::system_error&) {
    // No thread to be had (RLIMIT_NPROC, memory): do the work here rather than die.
    jobs_.pop_back();
    lock.unlock();
    work();
  }
}

bool Executor::sleep_for(const Delay& delay) {
  std::unique_lock lock(mutex_);
  const auto duration = std::chrono::seconds(delay.sec) + std::chrono::nanoseconds(delay.nsec);
  return !stop_cv_.wait_for(lock, duration, [this] { return stopping_; });
}

// At shutdown no task uses the filter: sleeping work wakes, and work blocked opening a FIFO for a
// caller that has gone is released by opening the other end (its answer then fails with ENOENT).
void Executor::cancel_all() {
  std::unique_lock lock(mutex_);
  stopping_ = true;
  stop_cv_.notify_all();
  for (Job& job : jobs_) {
    while (!job.done.load() && !job.fifo.empty()) {
      const int other = job.accmode == O_RDONLY ? O_WRONLY : O_RDONLY;
      UniqueFd end(open(job.fifo.c_str(), other | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      lock.lock();
    }
    lock.unlock();
    job.thread.join();
    lock.lock();
  }
  jobs_.clear();
}

}  // namespace sysvisor
