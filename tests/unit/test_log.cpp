// The -o log: one line per entry, whatever bytes a path holds (issue 15: a redirect target with a
// newline forged a second line in the text log).
#include <doctest/doctest.h>

#include <string>

#include "sysvisor/log.hpp"

using namespace sysvisor;

TEST_CASE("text log lines escape the detail as strace escapes strings") {
  LogEntry e;
  e.pid = 10;
  e.tid = 11;
  e.arch = "x86_64";
  e.syscall = "openat";
  e.args = {"AT_FDCWD", "\"/etc/app.conf\""};
  e.action = "redirect";
  e.result = 3;
  for (unsigned c = 0; c < 256; ++c) {
    e.detail = std::string("/tmp/a") + static_cast<char>(c) + "b\n00:00:00.000000 1/1 openat() continue";
    const std::string line = format_log_entry(e, LogFormat::kText);
    CAPTURE(c);
    CHECK(line.find('\n') == std::string::npos);
    CHECK(line.find('\r') == std::string::npos);
    for (const char ch : line) CHECK(static_cast<unsigned char>(ch) >= 0x20);
    CHECK(line.ends_with(" = 3"));
  }
  e.detail = "/tmp/a\\nb";  // a backslash stays distinguishable from an escape
  CHECK(format_log_entry(e, LogFormat::kText).find("/tmp/a\\\\nb") != std::string::npos);
  e.detail = "/tmp/x\ny";
  CHECK(format_log_entry(e, LogFormat::kText).find("/tmp/x\\ny") != std::string::npos);
  CHECK(format_log_entry(e, LogFormat::kJson).find('\n') == std::string::npos);
}
