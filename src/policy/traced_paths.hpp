// strace's key for a call, and its path tracing (-P): which calls refer to a traced path. Pure:
// the caller's memory and descriptors are read through CallerMemory.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "policy/caller_memory.hpp"
#include "policy/syscall.hpp"

namespace sysvisor {

// strace's key for a call: personality and number, with i386 socketcall/ipc subcalls at their
// pseudo numbers.
struct RuleKey {
  Personality personality = Personality::kX86_64;
  int nr = -1;
};
// For an i386 socketcall it reads the caller's argument array (strace keys the subcall only when
// that array is readable).
RuleKey rule_key(const Syscall& call, CallerMemory& memory);

// The -P paths, each with its realpath taken once at start (strace's path tracing).
class TracedPaths {
 public:
  // Adds `path` and, when it differs, its realpath (the one file system access, at start).
  void add(const std::string& path);
  bool empty() const noexcept { return paths_.empty(); }
  bool matches(std::string_view path) const;
  const std::vector<std::string>& paths() const noexcept { return paths_; }
  // strace's path-tracing test for one call: a path argument equal to a traced path, or a
  // descriptor argument (dirfds included) that names one.
  bool matches_call(const Syscall& call, RuleKey key, CallerMemory& memory) const;

 private:
  std::vector<std::string> paths_;  // as given, then realpaths
};

}  // namespace sysvisor
