#include "engine/session.hpp"

#include <sched.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <fmt/format.h>

namespace sysvisor {

bool Session::two_step_addfd(const Launched& child, int receivers) {
  if (!child.killable_wait()) return false;
  const char* mode = std::getenv("SYSVISOR_ADDFD");
  if (mode != nullptr && std::string_view(mode) == "send") return false;
  if (mode != nullptr && std::string_view(mode) == "two-step") return true;
  return receivers == 1;
}

Error thread_start_error(const std::system_error& e) {
  const int err = e.code().value();
  return make_error(err, fmt::format("cannot start a thread to serve the program: {}{}", std::strerror(err),
                                     err == EAGAIN ? " (the process limit, RLIMIT_NPROC?)" : ""));
}

Result<void> Session::serve(int threads) {
  // The program's umask is applied by hand to files we create: this thread (and the receivers and
  // workers it starts, which share its fs struct) gets its own so that umask(0) leaves the rest of
  // the process alone.
  if (unshare(CLONE_FS) == 0) umask(0);
  // Kernels before 6.6 lack SYNC_WAKE_UP: plain wake-ups then, nothing else changes.
  (void)notify_.set_sync_wake_up();

  Receiver receiver(notify_, dispatcher_, log_, threads > 1);
  std::vector<std::thread> receivers;
  for (int i = 0; i < threads; ++i) {
    try {
      receivers.emplace_back([this, &receiver] {
        try {
          receiver.run();
        } catch (const std::exception& e) {  // its buffers: the other receivers go on
          log_.warn(fmt::format("a receiver stopped: {}", e.what()));
        }
      });
    } catch (const std::system_error& e) {
      // With none, nothing would serve the program's first call (its starting execve): it never ran.
      if (receivers.empty()) return thread_start_error(e);
      log_.warn(fmt::format("starting receiver {} of {}: {}", i + 1, threads, e.what()));
      break;
    }
  }
  monitor_.run();
  for (std::thread& t : receivers) t.join();
  executor_.cancel_all();
  status_ = monitor_.finish();
  return {};
}

RunResult Session::result() {
  auto counts = [](const std::vector<std::atomic<uint64_t>>& from) {
    std::vector<uint64_t> out;
    for (const auto& c : from) out.push_back(c.load());
    return out;
  };
  RunResult r;
  r.exit_code = status_.exit_code;
  r.term_signal = status_.term_signal;
  r.core_dumped = status_.core_dumped;
  r.exec_errno = status_.exec_errno;
  for (size_t i = 0; i < hits_.injects.size(); ++i) {
    const bool counted = compiled_.inject_counted(i);  // else some calls are answered in the kernel, unseen
    r.inject_hits.push_back(counted ? std::optional(hits_.injects[i].load()) : std::nullopt);
    r.inject_matched.push_back(counted ? std::optional(hits_.inject_matched[i].load()) : std::nullopt);
    r.inject_seeds.push_back(policy_.injects[i].probability ? std::optional(compiled_.seed(i)) : std::nullopt);
  }
  r.redirect_hits = counts(hits_.redirects);
  r.handler_hits = counts(hits_.handlers);
  r.log = log_.take_kept();
  return r;
}

}  // namespace sysvisor
