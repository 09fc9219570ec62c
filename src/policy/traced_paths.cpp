#include "policy/traced_paths.hpp"

#include <climits>
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <optional>

namespace sysvisor {
namespace {

// One word of the caller's ABI (4 bytes for i386, 8 for x86_64) at `addr`.
std::optional<uint64_t> read_word(const Syscall& c, CallerMemory& memory, uint64_t addr) {
  if (c.arch == Arch::kI386) {
    uint32_t w = 0;
    if (memory.read(addr, {reinterpret_cast<std::byte*>(&w), sizeof w}) != 0) return std::nullopt;
    return w;
  }
  uint64_t w = 0;
  if (memory.read(addr, {reinterpret_cast<std::byte*>(&w), sizeof w}) != 0) return std::nullopt;
  return w;
}

}  // namespace

RuleKey rule_key(const Syscall& call, CallerMemory& memory) {
  if (call.arch == Arch::kX86_64) return {Personality::kX86_64, call.nr};
  RuleKey key{Personality::kI386, call.nr};
  // A raw number in strace's pseudo range is no syscall of the kernel's (ENOSYS): no rule's.
  const SyscallEntry* entry = SyscallTable::instance().entry(Personality::kI386, call.nr);
  if (entry != nullptr && entry->pseudo) return {Personality::kI386, -1};
  if (auto sub = i386_subcall(call.nr, call.args[0])) {
    // strace decodes a socketcall subcall only when its argument array is readable.
    std::vector<std::byte> probe(sub->args_in_memory);
    if (sub->args_in_memory == 0 || memory.read(call.ptr_arg(1), probe) == 0) key.nr = sub->nr;
  }
  return key;
}

void TracedPaths::add(const std::string& path) {
  paths_.push_back(path);
  char resolved[PATH_MAX];
  if (realpath(path.c_str(), resolved) != nullptr && path != resolved) paths_.emplace_back(resolved);
}

bool TracedPaths::matches(std::string_view path) const {
  for (const std::string& p : paths_)
    if (p == path) return true;
  return false;
}

namespace {

int64_t as_int(uint64_t v) { return static_cast<int64_t>(static_cast<int32_t>(static_cast<uint32_t>(v))); }

// The two tests strace's path tracing makes, on one call.
struct Probe {
  const TracedPaths& traced;
  CallerMemory& memory;
  bool path_at(uint64_t addr) const {
    std::string s;
    return memory.read_string(addr, PATH_MAX, s) == 0 && traced.matches(s);
  }
  bool fd_is(int64_t fd) const {
    if (fd < 0 || fd > INT_MAX) return false;
    std::string s;
    return memory.fd_path(static_cast<int>(fd), s) == 0 && traced.matches(s);
  }
};

// poll/ppoll: struct pollfd array at arg0, count arg1 (capped as strace caps it).
bool poll_refers(const Probe& probe, const std::array<uint64_t, 6>& args) {
  const uint64_t count = std::min<uint64_t>(args[1], 1048576);
  for (uint64_t i = 0; i < count; ++i) {
    int32_t fd = -1;
    if (probe.memory.read(args[0] + 8 * i, {reinterpret_cast<std::byte*>(&fd), sizeof fd}) != 0) return false;
    if (probe.fd_is(fd)) return true;
  }
  return false;
}

// select/pselect6: nfds and three fd_set pointers; i386's old select(82) has them in an array.
bool select_refers(const Probe& probe, const Syscall& call, const std::array<uint64_t, 6>& args, bool old) {
  std::array<uint64_t, 4> words{args[0], args[1], args[2], args[3]};
  for (size_t i = 0; old && i < 4; ++i) {
    auto w = read_word(call, probe.memory, call.ptr_arg(0) + 4 * i);
    if (!w) return false;
    words[i] = *w;
  }
  const int64_t nfds = std::min<int64_t>(as_int(words[0]), 1024 * 1024);
  if (nfds <= 0) return false;
  std::vector<std::byte> set(static_cast<size_t>((nfds + 7) / 8));
  for (size_t s = 1; s <= 3; ++s) {
    if (words[s] == 0 || probe.memory.read(words[s], set) != 0) continue;
    for (int64_t fd = 0; fd < nfds; ++fd)
      if ((static_cast<unsigned>(set[static_cast<size_t>(fd / 8)]) >> (fd % 8)) & 1U)
        if (probe.fd_is(fd)) return true;
  }
  return false;
}

// The words the arguments are taken from: the registers, or for i386 socketcall subcalls the
// array arg1 points to.
std::array<uint64_t, 6> argument_words(const Syscall& call, RuleKey key, CallerMemory& memory) {
  std::array<uint64_t, 6> args = call.args;
  if (call.arch != Arch::kI386) return args;
  for (auto& a : args) a = static_cast<uint32_t>(a);
  if (key.nr != call.nr && call.nr == kI386Socketcall) {
    for (size_t i = 0; i < 6; ++i) args[i] = read_word(call, memory, call.ptr_arg(1) + 4 * i).value_or(0);
  }
  return args;
}

}  // namespace

bool TracedPaths::matches_call(const Syscall& call, RuleKey key, CallerMemory& memory) const {
  const PathArgs shape = path_args(key.personality, key.nr);
  const Probe probe{*this, memory};
  const std::array<uint64_t, 6> args = argument_words(call, key, memory);
  switch (shape.shape) {
    case PathShape::kNever: return false;
    case PathShape::kArgs:
      for (size_t i = 0; i < 6; ++i) {
        if (shape.args[i] == ArgKind::kPath && args[i] != 0 && probe.path_at(args[i])) return true;
        if (shape.args[i] == ArgKind::kFd && probe.fd_is(as_int(args[i]))) return true;
      }
      return false;
    case PathShape::kFsconfig: {
      const int64_t cmd = as_int(args[1]);
      if ((cmd == 3 || cmd == 4) && (probe.path_at(args[3]) || probe.fd_is(as_int(args[4])))) return true;
      return cmd == 5 && probe.fd_is(as_int(args[4]));
    }
    case PathShape::kOldMmap: {
      auto fd = read_word(call, memory, call.ptr_arg(0) + 4 * 4);
      return fd && probe.fd_is(as_int(*fd));
    }
    case PathShape::kPoll: return poll_refers(probe, args);
    case PathShape::kSelect: return select_refers(probe, call, args, false);
    case PathShape::kOldSelect: return select_refers(probe, call, args, true);
  }
  return false;
}

}  // namespace sysvisor
