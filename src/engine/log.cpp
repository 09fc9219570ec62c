#include "sysvisor/log.hpp"

#include <time.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sysvisor {
namespace {

// A free-text field (a redirect target is the user's path) as strace escapes strings: no byte of
// it can end the line or forge another one.
std::string escaped(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\\') out += "\\\\";
    else if (u < 0x20 || u == 0x7f) out += fmt::format("\\{:03o}", u);
    else out += c;
  }
  return out;
}

}  // namespace

std::string format_log_entry(const LogEntry& e, LogFormat format) {
  if (format == LogFormat::kJson) {
    nlohmann::json j = {{"time_ns", e.time_ns}, {"pid", e.pid},      {"tid", e.tid},       {"arch", e.arch},
                        {"syscall", e.syscall}, {"args", e.args},    {"action", e.action}, {"detail", e.detail}};
    j["result"] = e.result ? nlohmann::json(*e.result) : nlohmann::json(nullptr);
    // Paths are bytes, not always UTF-8: replace what is not, never throw.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  const time_t secs = static_cast<time_t>(e.time_ns / 1000000000);
  tm local{};
  localtime_r(&secs, &local);
  std::string line = fmt::format("{:02}:{:02}:{:02}.{:06} {}/{} {}(", local.tm_hour, local.tm_min, local.tm_sec,
                                 (e.time_ns % 1000000000) / 1000, e.pid, e.tid, e.syscall);
  for (size_t i = 0; i < e.args.size(); ++i) {
    if (i != 0) line += ", ";
    line += e.args[i];
  }
  line += fmt::format(") {}", e.action);
  if (!e.detail.empty()) line += fmt::format(" {}", escaped(e.detail));
  if (e.result) line += fmt::format(" = {}", *e.result);
  if (e.arch != "x86_64") line += fmt::format(" [{}]", e.arch);
  return line;
}

}  // namespace sysvisor
