#include "engine/thread_counts.hpp"

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

}  // namespace

// First sight of a thread: a PIDFD_THREAD pidfd goes into our epoll set, and the monitor thread
// calls forget_exited() when it becomes readable (the thread exited): no syscall per call. Where
// PIDFD_THREAD is missing (before Linux 6.9) the start time is compared on every call instead.
void ThreadCounts::check_thread(pid_t tid) {
  auto [it, fresh] = threads_.try_emplace(tid);
  ThreadSlot& slot = it->second;
  if (!fresh) {
    if (slot.pidfd || thread_start_time(tid) == slot.start_time) return;
    counter_.forget_thread(tid);  // the id was reused: a new thread starts from zero
  }
  slot.number = threads_seen_++;
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

void ThreadCounts::forget_exited() {
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

void ThreadCounts::on_exec(const Syscall& call) {
  const pid_t group = thread_group(call.tid);
  if (group == call.tid) return;  // the leader keeps its own id and counts
  const uint64_t args = arg_start(group);
  std::lock_guard lock(mutex_);
  pending_execs_[group] = PendingExec{call.tid, args};
}

// After a successful exec the exec'ing thread's id is gone (it now has the leader's) and the
// process has a new image (a new stack: arg_start moved). The kernel even copies the leader's
// start time to it, so that cannot tell.
void ThreadCounts::take_over_exec(pid_t tid) {
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

bool ThreadCounts::starts_program(const Syscall& call) {
  return call.tid == launched_.pid() && launched_.take_own_exec();
}

CallCount ThreadCounts::count(pid_t tid, RuleKey key, const When& when) {
  std::lock_guard lock(mutex_);
  if (!pending_execs_.empty()) take_over_exec(tid);
  check_thread(tid);
  const InjectCounter::Hit hit = counter_.hit(tid, key.personality, key.nr, when);
  return {hit.selected, threads_[tid].number, hit.nth};
}

}  // namespace sysvisor
