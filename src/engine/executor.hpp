// Executor: work that may block for long (a delay_enter/delay_exit, a redirected FIFO open waiting
// for its peer) runs on a thread of its own, so that the receivers keep serving the other calls.
// At shutdown every sleeping job wakes and every job blocked opening a FIFO is released.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <thread>

#include "sysvisor/inject.hpp"

namespace sysvisor {

class Executor {
 public:
  Executor() = default;
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;
  ~Executor() { cancel_all(); }

  // Runs `work` on a thread of its own (inline when no thread can be made: sysvisor keeps
  // running). `fifo`/`accmode`: the work may be blocked opening that FIFO, and opening its other
  // end lets it return at shutdown.
  void run(std::function<void()> work, std::string fifo = {}, int accmode = 0);
  // Sleeps unless the run is ending; false when cut short.
  bool sleep_for(const Delay& delay);
  // Wakes sleepers, releases FIFO openers, joins every job. Further sleeps return at once.
  void cancel_all();

 private:
  struct Job {
    std::thread thread;
    std::string fifo;
    int accmode = 0;
    std::atomic<bool> done{false};
  };
  void reap_done();  // caller holds mutex_

  std::mutex mutex_;
  std::list<Job> jobs_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by mutex_
};

}  // namespace sysvisor
