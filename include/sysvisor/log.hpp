// The record of one intercepted call, as the -o log writes it and as the library returns it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sysvisor/api.hpp"

namespace sysvisor {

struct LogEntry {
  int64_t time_ns = 0;        // CLOCK_REALTIME when the notification was handled
  pid_t pid = 0;              // the calling process (thread group)
  pid_t tid = 0;              // the calling thread
  std::string arch;           // "x86_64" or "i386"
  std::string syscall;        // name, or "syscall_N" when unknown
  std::vector<std::string> args;  // decoded arguments: paths as C string literals, others in hex
  std::string action;         // "continue", "redirect", "inject", "handler" or "refuse"
  std::string detail;         // what the action did ("/home/me/my.conf", "error=EIO", ...)
  std::optional<int64_t> result;  // what the program got when sysvisor answered: value or -errno
};

// How format_log_entry writes an entry: one text line, or one JSON object per line.
enum class LogFormat : uint8_t { kText, kJson };

// One line of the -o log, without the newline.
SYSVISOR_API std::string format_log_entry(const LogEntry& entry, LogFormat format);

}  // namespace sysvisor
