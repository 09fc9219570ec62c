// CallLog: the -o log and RunResult::log (one entry per intercepted call), and sysvisor's own
// warnings. Thread-safe; building an entry costs nothing when nobody reads the log.
#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/syscall.hpp"
#include "sysvisor/log.hpp"
#include "sysvisor/supervisor.hpp"

namespace sysvisor {

class CallLog {
 public:
  explicit CallLog(const RunOptions& options) : options_(options) {}

  // One warning line (no prefix): RunOptions::warn, serialised.
  void warn(std::string_view line);
  // The memory of `tid` could not be read (not dumpable): warned about once per run.
  void warn_unreadable(pid_t tid);
  // An internal failure while serving a call (out of memory): warned about once per run.
  void warn_internal(std::string_view what);
  // One entry: `action` ("continue", "redirect", ...), `detail`, what the program got when we
  // answered (value or -errno), and the first and second path arguments when they were read.
  void record(const Syscall& call, std::string_view action, std::string detail, std::optional<int64_t> result,
              std::optional<std::string_view> path, std::optional<std::string_view> path2 = std::nullopt);
  // Held across answering a call and recording it, so that lines follow the calls' order; an
  // empty lock (no cost) when nobody reads the log.
  std::unique_lock<std::mutex> hold_order() {
    return enabled() ? std::unique_lock(order_mutex_) : std::unique_lock<std::mutex>();
  }
  bool enabled() const noexcept { return static_cast<bool>(options_.log) || options_.keep_log; }
  // The kept entries (RunOptions::keep_log), moved out.
  std::vector<LogEntry> take_kept();

 private:
  const RunOptions& options_;
  std::atomic<bool> warned_memory_{false};
  std::atomic<bool> warned_internal_{false};
  std::mutex warn_mutex_;
  std::mutex log_mutex_;
  std::mutex order_mutex_;
  std::vector<LogEntry> kept_;  // guarded by log_mutex_
};

}  // namespace sysvisor
