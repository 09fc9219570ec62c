#include "engine/call_log.hpp"

#include <time.h>

#include <fmt/format.h>

#include "engine/describe.hpp"

namespace sysvisor {

void CallLog::warn(std::string_view line) {
  std::lock_guard lock(warn_mutex_);
  if (options_.warn) options_.warn(line);
}

void CallLog::warn_unreadable(pid_t tid) {
  if (warned_memory_.exchange(true)) return;
  warn(fmt::format("cannot read the memory of thread {} (not dumpable?): its calls go through unredirected", tid));
}

void CallLog::warn_internal(std::string_view what) {
  if (warned_internal_.exchange(true)) return;
  warn(fmt::format("serving a call failed ({}): it fails with ENOMEM; later such failures are not reported", what));
}

void CallLog::record(const Syscall& call, std::string_view action, std::string detail, std::optional<int64_t> result,
                     std::optional<std::string_view> path, std::optional<std::string_view> path2) {
  if (!options_.log && !options_.keep_log) return;
  LogEntry e;
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  e.time_ns = static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
  e.tid = call.tid;
  e.pid = thread_group(call.tid);
  e.arch = call.arch == Arch::kX86_64 ? "x86_64" : "i386";
  e.syscall = syscall_name(call);
  e.args = describe_args(call, path, path2);
  e.action = action;
  e.detail = std::move(detail);
  e.result = result;
  std::lock_guard lock(log_mutex_);
  if (options_.log) options_.log(e);
  if (options_.keep_log) kept_.push_back(std::move(e));
}

std::vector<LogEntry> CallLog::take_kept() {
  std::lock_guard lock(log_mutex_);
  return std::move(kept_);
}

}  // namespace sysvisor
