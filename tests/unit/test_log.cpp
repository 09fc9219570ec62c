// The -o log: one line per entry, whatever bytes a path holds (issue 15: a redirect target with a
// newline forged a second line in the text log).
#include <doctest/doctest.h>

#include <fcntl.h>

#include <cerrno>
#include <map>
#include <string>
#include <vector>

#include "engine/describe.hpp"
#include "policy/syscall_table.hpp"
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

namespace {

// A caller whose memory holds one string per address (anything else: EFAULT).
class StringMemory final : public CallerMemory {
 public:
  std::map<uint64_t, std::string> strings;
  int reads = 0;
  int read(uint64_t, std::span<std::byte>) override { return EFAULT; }
  int read_string(uint64_t addr, size_t max, std::string& out) override {
    ++reads;
    auto it = strings.find(addr);
    if (it == strings.end()) return EFAULT;
    if (it->second.size() >= max) return ENAMETOOLONG;
    out = it->second;
    return 0;
  }
  int cwd(std::string&) override { return ESRCH; }
  int fd_path(int, std::string&) override { return EBADF; }
};

Syscall call_of(Arch arch, const char* name, std::array<uint64_t, 6> args) {
  Syscall c;
  c.arch = arch;
  const Personality p = arch == Arch::kX86_64 ? Personality::kX86_64 : Personality::kI386;
  c.nr = SyscallTable::instance().numbers_named(p, name).at(0);
  c.sysno = SyscallTable::instance().sysno(arch, c.nr);
  c.args = args;
  return c;
}

std::vector<std::string> logged_args(const Syscall& c, StringMemory& memory) {
  const PathStrings paths = read_path_args(c, memory);
  return describe_args(c, paths[0], paths[1]);
}

}  // namespace

// What an inject line shows (Dispatcher::act_inject reads the paths this way when a log is kept).
// Kills: the path left as a pointer, the second path of a two-path call left as one, a dirfd not
// decoded, a 32-bit caller's pointer read with its high bits, and an unreadable path shown as "".
TEST_CASE("inject log lines show the path arguments as strace does") {
  StringMemory memory;
  memory.strings = {{0x1000, "/etc/x"}, {0x2000, "new name"}, {0x3000, "a\"b\n"}};
  const uint64_t at_fdcwd = static_cast<uint64_t>(static_cast<int64_t>(AT_FDCWD));
  CHECK(logged_args(call_of(Arch::kX86_64, "openat", {at_fdcwd, 0x1000, 0, 0, 0, 0}), memory) ==
        std::vector<std::string>{"AT_FDCWD", "\"/etc/x\"", "0x0", "0x0", "0x0", "0x0"});
  CHECK(logged_args(call_of(Arch::kX86_64, "open", {0x1000, 0x241, 0644, 0, 0, 0}), memory) ==
        std::vector<std::string>{"\"/etc/x\"", "0x241", "0x1a4", "0x0", "0x0", "0x0"});
  CHECK(logged_args(call_of(Arch::kX86_64, "renameat2", {at_fdcwd, 0x1000, 7, 0x2000, 1, 0}), memory) ==
        std::vector<std::string>{"AT_FDCWD", "\"/etc/x\"", "7", "\"new name\"", "0x1", "0x0"});
  CHECK(logged_args(call_of(Arch::kX86_64, "rename", {0x3000, 0x2000, 0, 0, 0, 0}), memory) ==
        std::vector<std::string>{"\"a\\\"b\\x0a\"", "\"new name\"", "0x0", "0x0", "0x0", "0x0"});
  CHECK(logged_args(call_of(Arch::kI386, "openat", {0xffffff9c, 0xdead000000001000, 0, 0, 0, 0}), memory) ==
        std::vector<std::string>{"AT_FDCWD", "\"/etc/x\"", "0x0", "0x0", "0x0", "0x0"});
  // Unreadable: the pointer stays, as strace shows a bad address.
  CHECK(logged_args(call_of(Arch::kX86_64, "openat", {at_fdcwd, 0x9000, 0, 0, 0, 0}), memory) ==
        std::vector<std::string>{"0xffffffffffffff9c", "0x9000", "0x0", "0x0", "0x0", "0x0"});
  // No path argument: nothing is read.
  memory.reads = 0;
  CHECK(logged_args(call_of(Arch::kX86_64, "getppid", {0x1000, 0, 0, 0, 0, 0}), memory) ==
        std::vector<std::string>{"0x1000", "0x0", "0x0", "0x0", "0x0", "0x0"});
  CHECK(memory.reads == 0);
}
