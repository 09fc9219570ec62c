#include "kinject/kinject_engine.hpp"

#include <time.h>

#include <fmt/format.h>

namespace sysvisor {

Result<void> Policy::kinject(std::string_view spec) {
  auto rule = parse_kinject_option(spec);
  if (!rule) return std::move(rule).error();
  kinjects.push_back(std::move(rule).value());
  return {};
}

void report_kinject(const KinjectSession& session, const Policy& policy, const RunOptions& options, pid_t pid,
                    RunResult& result) {
  const std::vector<KinjectCounts> counts = session.counts();
  for (size_t i = 0; i < policy.kinjects.size(); ++i) {
    const KinjectCounts c = i < counts.size() ? counts[i] : KinjectCounts{};
    result.kinject_hits.push_back(c.injected);
    result.kinject_matched.push_back(c.matched);
    if (!options.log && !options.keep_log) continue;
    LogEntry e;
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    e.time_ns = static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
    e.pid = e.tid = pid;
    e.arch = "x86_64";
    e.syscall = policy.kinjects[i].function;
    e.action = "kinject";
    e.detail = fmt::format("{}: {} injected, {} counted", policy.kinjects[i].text, c.injected, c.matched);
    if (options.log) options.log(e);
    if (options.keep_log) result.log.push_back(std::move(e));
  }
}

}  // namespace sysvisor
