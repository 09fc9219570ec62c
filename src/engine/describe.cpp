#include "engine/describe.hpp"

#include <fcntl.h>
#include <linux/limits.h>
#include <seccomp.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "policy/syscall_table.hpp"
#include "sysvisor/unique_fd.hpp"

namespace sysvisor {

// The thread group of a thread ("Tgid:" in /proc/TID/status); the tid itself if unreadable.
pid_t thread_group(pid_t tid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/status", static_cast<int>(tid));
  UniqueFd fd(open(path, O_RDONLY | O_CLOEXEC));
  char buf[1024];
  const ssize_t n = fd ? read(fd.get(), buf, sizeof buf - 1) : -1;
  if (n <= 0) return tid;
  buf[n] = '\0';
  const char* line = std::strstr(buf, "\nTgid:\t");
  return line != nullptr ? static_cast<pid_t>(std::atoi(line + 7)) : tid;
}

std::string syscall_name(const Syscall& call) {
  if (call.sysno != Sysno::kOther) return std::string(sysno_name(call.sysno));
  char* name = seccomp_syscall_resolve_num_arch(static_cast<uint32_t>(call.arch), call.nr);
  std::string out = name != nullptr ? name : fmt::format("syscall_{}", call.nr);
  std::free(name);
  return out;
}

namespace {

// The path slots of the call's syscall (none for a syscall without a shape).
std::array<ArgShape::PathSlot, 2> path_slots(const Syscall& call) {
  const SyscallEntry* entry = SyscallTable::instance().entry(personality_of(call.arch), call.nr);
  if (entry == nullptr || entry->shape == nullptr) return {};
  return entry->shape->paths();
}

// A path as a C string literal; control bytes as \xNN.
std::string quoted(std::string_view path) {
  std::string out = "\"";
  for (char c : path) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    else out += c;
  }
  return out + "\"";
}

}  // namespace

PathStrings read_path_args(const Syscall& call, CallerMemory& memory) {
  PathStrings out;
  const std::array<ArgShape::PathSlot, 2> slots = path_slots(call);
  for (size_t k = 0; k < slots.size(); ++k) {
    if (slots[k].path < 0) continue;
    std::string text;
    if (memory.read_string(call.ptr_arg(static_cast<size_t>(slots[k].path)), PATH_MAX, text) == 0) out[k] = text;
  }
  return out;
}

std::vector<std::string> describe_args(const Syscall& call, std::optional<std::string_view> path,
                                       std::optional<std::string_view> path2) {
  std::vector<std::string> out;
  for (size_t i = 0; i < 6; ++i) out.push_back(fmt::format("{:#x}", call.args[i]));
  const std::array<ArgShape::PathSlot, 2> slots = path_slots(call);
  const std::array<std::optional<std::string_view>, 2> paths{path, path2};
  for (size_t k = 0; k < slots.size(); ++k) {
    if (!paths[k] || slots[k].path < 0) continue;
    if (slots[k].dirfd >= 0) {
      const int dirfd = call.int_arg(static_cast<size_t>(slots[k].dirfd));
      out[static_cast<size_t>(slots[k].dirfd)] = dirfd == AT_FDCWD ? "AT_FDCWD" : fmt::format("{}", dirfd);
    }
    out[static_cast<size_t>(slots[k].path)] = quoted(*paths[k]);
  }
  return out;
}

// The log's detail for an injection: "error=EIO", "retval=42", "signal=SIGUSR1", ...
std::string describe_injection(const InjectRule& rule) {
  std::vector<std::string> parts;
  if (rule.error) {
    const char* name = strerrorname_np(*rule.error);
    parts.push_back(name != nullptr ? fmt::format("error={}", name) : fmt::format("error={}", *rule.error));
  }
  if (rule.retval) parts.push_back(fmt::format("retval={}", static_cast<int64_t>(*rule.retval)));
  if (rule.signal != 0) {
    const char* name = sigabbrev_np(rule.signal);
    parts.push_back(name != nullptr ? fmt::format("signal=SIG{}", name) : fmt::format("signal={}", rule.signal));
  }
  if (rule.delay_enter) parts.push_back("delay_enter");
  if (rule.delay_exit) parts.push_back("delay_exit");
  if (rule.poke_enter) parts.push_back("poke_enter");
  if (rule.poke_exit) parts.push_back("poke_exit");
  if (rule.short_len) parts.push_back(fmt::format("short={}", *rule.short_len));
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : ":") + p;
  return out;
}

}  // namespace sysvisor
