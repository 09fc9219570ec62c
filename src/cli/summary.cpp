#include "cli/summary.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sysvisor {

std::vector<SummaryLine> summarise(const RunResult& result, const Policy& policy) {
  std::vector<SummaryLine> out;
  for (size_t i = 0; i < policy.injects.size() && i < result.inject_hits.size(); ++i) {
    SummaryLine line;
    line.option = "-e " + policy.injects[i].text;
    line.counted = result.inject_hits[i].has_value();
    line.injected = result.inject_hits[i].value_or(0);
    line.matched = i < result.inject_matched.size() ? result.inject_matched[i].value_or(0) : 0;
    if (i < result.inject_seeds.size()) line.seed = result.inject_seeds[i];
    out.push_back(std::move(line));
  }
  for (size_t i = 0; i < policy.kinjects.size() && i < result.kinject_hits.size(); ++i) {
    SummaryLine line;
    line.option = "-k '" + policy.kinjects[i].text + "'";
    line.injected = result.kinject_hits[i];
    line.matched = i < result.kinject_matched.size() ? result.kinject_matched[i] : 0;
    line.seed = policy.kinjects[i].prob ? std::optional(policy.kinjects[i].seed) : std::nullopt;
    out.push_back(std::move(line));
  }
  return out;
}

std::string format_summary_line(const SummaryLine& line, LogFormat format) {
  if (format == LogFormat::kJson) {
    nlohmann::json j = {{"summary", line.option}, {"counted", line.counted}};
    if (line.counted) {
      j["matched"] = line.matched;
      j["injected"] = line.injected;
    }
    if (line.seed) j["seed"] = *line.seed;
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string what;
  if (!line.counted) what = "in kernel, not counted";
  else if (line.matched == 0 && line.injected == 0) what = "never matched";
  else what = fmt::format("{} matched, {} injected", line.matched, line.injected);
  if (line.seed) what += fmt::format(" (seed {})", *line.seed);
  return fmt::format("{}: {}", line.option, what);
}

}  // namespace sysvisor
