#include "inject/injector.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

#include "kernel/process_memory.hpp"
#include "engine/describe.hpp"
#include "kernel/proc_info.hpp"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL  // linux/pidfd.h, Linux 6.9
#endif

namespace sysvisor {
namespace {

// Field `field` (1-based, >= 3) of /proc/TID/stat, 0 if unreadable.
uint64_t stat_field(pid_t tid, int wanted) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(tid));
  UniqueFd fd(open(path, O_RDONLY | O_CLOEXEC));
  char buf[1024];
  const ssize_t n = fd ? read(fd.get(), buf, sizeof buf - 1) : -1;
  if (n <= 0) return 0;
  buf[n] = '\0';
  const char* p = std::strrchr(buf, ')');  // the name may contain spaces and parentheses
  if (p == nullptr) return 0;
  for (int field = 2; field < wanted && p != nullptr; ++field) p = std::strchr(p + 1, ' ');
  return p != nullptr ? std::strtoull(p + 1, nullptr, 10) : 0;
}

uint64_t thread_start_time(pid_t tid) { return stat_field(tid, 22); }
// arg_start (field 48): the address of the argv strings, on a stack every execve lays anew.
uint64_t arg_start(pid_t tid) { return stat_field(tid, 48); }

// One word of the caller's ABI (4 bytes for i386, 8 for x86_64) at `addr`.
std::optional<uint64_t> read_word(const Syscall& c, uint64_t addr) {
  if (c.arch == Arch::kI386) {
    uint32_t w = 0;
    if (read_memory(c.tid, addr, {reinterpret_cast<std::byte*>(&w), sizeof w}) != 0) return std::nullopt;
    return w;
  }
  uint64_t w = 0;
  if (read_memory(c.tid, addr, {reinterpret_cast<std::byte*>(&w), sizeof w}) != 0) return std::nullopt;
  return w;
}

}  // namespace

RuleKey rule_key(const Syscall& call) {
  if (call.arch == Arch::kX86_64) return {Personality::kX86_64, call.nr};
  RuleKey key{Personality::kI386, call.nr};
  if (auto sub = i386_subcall(call.nr, call.args[0])) {
    // strace decodes a socketcall subcall only when its argument array is readable.
    std::vector<std::byte> probe(sub->args_in_memory);
    if (sub->args_in_memory == 0 || read_memory(call.tid, call.ptr_arg(1), probe) == 0) key.nr = sub->nr;
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

bool Injector::matches_traced_paths(const Syscall& call, RuleKey key) const {
  const PathArgs shape = path_args(key.personality, key.nr);
  auto path_at = [&](uint64_t addr) {
    std::string s;
    return read_c_string(call.tid, addr, PATH_MAX, s) == 0 && traced_.matches(s);
  };
  auto fd_is = [&](int64_t fd) {
    if (fd < 0 || fd > INT_MAX) return false;
    std::string s;
    return thread_fd_path(call.tid, static_cast<int>(fd), s) == 0 && traced_.matches(s);
  };
  // The words the arguments are taken from: the registers, or for i386 socketcall subcalls the
  // array arg1 points to.
  std::array<uint64_t, 6> args = call.args;
  if (call.arch == Arch::kI386) {
    for (auto& a : args) a = static_cast<uint32_t>(a);
    if (key.nr != call.nr && call.nr == kI386Socketcall) {
      for (size_t i = 0; i < 6; ++i) args[i] = read_word(call, call.ptr_arg(1) + 4 * i).value_or(0);
    }
  }
  auto as_int = [](uint64_t v) { return static_cast<int64_t>(static_cast<int32_t>(static_cast<uint32_t>(v))); };
  switch (shape.shape) {
    case PathShape::kNever: return false;
    case PathShape::kArgs:
      for (size_t i = 0; i < 6; ++i) {
        if (shape.args[i] == ArgKind::kPath && args[i] != 0 && path_at(args[i])) return true;
        if (shape.args[i] == ArgKind::kFd && fd_is(as_int(args[i]))) return true;
      }
      return false;
    case PathShape::kFsconfig: {
      const int64_t cmd = as_int(args[1]);
      if ((cmd == 3 || cmd == 4) && (path_at(args[3]) || fd_is(as_int(args[4])))) return true;
      return cmd == 5 && fd_is(as_int(args[4]));
    }
    case PathShape::kOldMmap: {
      auto fd = read_word(call, call.ptr_arg(0) + 4 * 4);
      return fd && fd_is(as_int(*fd));
    }
    case PathShape::kPoll: {
      const uint64_t count = std::min<uint64_t>(args[1], 1048576);
      for (uint64_t i = 0; i < count; ++i) {
        int32_t fd = -1;
        if (read_memory(call.tid, args[0] + 8 * i, {reinterpret_cast<std::byte*>(&fd), sizeof fd}) != 0) return false;
        if (fd_is(fd)) return true;
      }
      return false;
    }
    case PathShape::kSelect:
    case PathShape::kOldSelect: {
      std::array<uint64_t, 4> words{args[0], args[1], args[2], args[3]};
      if (shape.shape == PathShape::kOldSelect) {
        for (size_t i = 0; i < 4; ++i) {
          auto w = read_word(call, call.ptr_arg(0) + 4 * i);
          if (!w) return false;
          words[i] = *w;
        }
      }
      const int64_t nfds = std::min<int64_t>(as_int(words[0]), 1024 * 1024);
      if (nfds <= 0) return false;
      std::vector<std::byte> set(static_cast<size_t>((nfds + 7) / 8));
      for (size_t s = 1; s <= 3; ++s) {
        if (words[s] == 0 || read_memory(call.tid, words[s], set) != 0) continue;
        for (int64_t fd = 0; fd < nfds; ++fd)
          if ((static_cast<unsigned>(set[static_cast<size_t>(fd / 8)]) >> (fd % 8)) & 1U)
            if (fd_is(fd)) return true;
      }
      return false;
    }
  }
  return false;
}

// First sight of a thread: a PIDFD_THREAD pidfd goes into our epoll set, and the monitor thread
// calls forget_exited() when it becomes readable (the thread exited): no syscall per call. Where
// PIDFD_THREAD is missing (before Linux 6.9) the start time is compared on every call instead.
void Injector::check_thread(pid_t tid) {
  auto [it, fresh] = threads_.try_emplace(tid);
  ThreadSlot& slot = it->second;
  if (!fresh) {
    if (slot.pidfd || thread_start_time(tid) == slot.start_time) return;
    counter_.forget_thread(tid);  // the id was reused: a new thread starts from zero
  }
  slot.pidfd.reset(static_cast<int>(syscall(SYS_pidfd_open, tid, PIDFD_THREAD)));
  if (slot.pidfd && epoll_) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = static_cast<uint64_t>(tid);
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, slot.pidfd.get(), &ev) == 0) return;
    slot.pidfd.reset();
  }
  slot.start_time = thread_start_time(tid);
}

void Injector::forget_exited() {
  epoll_event events[64];
  std::lock_guard lock(mutex_);
  while (true) {
    const int n = epoll_wait(epoll_.get(), events, 64, 0);
    if (n <= 0) return;
    for (int i = 0; i < n; ++i) {
      const auto tid = static_cast<pid_t>(events[i].data.u64);
      // A thread that called execve "exits" under its own id when the exec succeeds: its counts
      // are handed to the leader's id at the next call (take_over_exec), not dropped.
      const bool execing = std::any_of(pending_execs_.begin(), pending_execs_.end(),
                                       [tid](const auto& p) { return p.second.tid == tid; });
      if (!execing) counter_.forget_thread(tid);
      threads_.erase(tid);  // closes the pidfd, which leaves the epoll set
    }
  }
}

void Injector::on_exec(const Syscall& call) {
  const pid_t group = thread_group(call.tid);
  if (group == call.tid) return;  // the leader keeps its own id and counts
  const uint64_t args = arg_start(group);
  std::lock_guard lock(mutex_);
  pending_execs_[group] = PendingExec{call.tid, args};
}

// After a successful exec the exec'ing thread's id is gone (it now has the leader's) and the
// process has a new image (a new stack: arg_start moved). The kernel even copies the leader's
// start time to it, so that cannot tell.
void Injector::take_over_exec(pid_t tid) {
  auto it = pending_execs_.find(tid);
  if (it == pending_execs_.end()) return;
  const PendingExec exec = it->second;
  const bool thread_gone = syscall(SYS_tgkill, tid, exec.tid, 0) != 0 && errno == ESRCH;
  if (thread_gone && arg_start(tid) != exec.arg_start) {
    counter_.move_thread(exec.tid, tid);
    threads_.erase(tid);  // the leader's pidfd is about a task that has gone
    threads_.erase(exec.tid);
    pending_execs_.erase(it);
  } else if (kill(exec.tid, 0) != 0 && errno == ESRCH) {
    pending_execs_.erase(it);  // the exec failed and the thread has since exited
  }
}

bool Injector::fires(const Syscall& call, RuleKey key, const InjectRule& rule) {
  if (!traced_.empty() && !matches_traced_paths(call, key)) return false;
  std::lock_guard lock(mutex_);
  if (!pending_execs_.empty()) take_over_exec(call.tid);
  check_thread(call.tid);
  return counter_.hit(call.tid, key.personality, key.nr, rule.when);
}

}  // namespace sysvisor
