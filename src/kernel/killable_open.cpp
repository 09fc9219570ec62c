#include "kernel/killable_open.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <memory>

namespace sysvisor {
namespace {

struct OpenJob {
  const std::function<int()>* open;
  int result;  // the descriptor or -errno
};

// The helper: shares our memory (so it writes `result`) and descriptor table (so the descriptor
// is ours); dies with the thread that started it.
int open_in_helper(void* arg) {
  auto* job = static_cast<OpenJob*>(arg);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  const int fd = (*job->open)();
  job->result = fd >= 0 ? fd : -errno;
  return 0;
}

constexpr size_t kStackSize = 64 * 1024;

}  // namespace

int killable_open(const std::function<int()>& open, OpenHelperSlot& slot) noexcept {
  std::unique_ptr<std::byte[]> stack(new (std::nothrow) std::byte[kStackSize]);
  if (!stack) return -ENOMEM;
  OpenJob job{&open, -EINTR};  // stays -EINTR when the helper is killed
  // CLONE_VFORK: we resume once the helper has exited. No exit signal: it is reaped by id below
  // (__WALL), never by a waitpid(-1) of the program's tree.
  const pid_t tid = clone(open_in_helper, stack.get() + kStackSize, CLONE_VM | CLONE_FILES | CLONE_VFORK |
                          CLONE_PARENT_SETTID, &job, &slot.tid);
  if (tid < 0) return -errno;
  {
    std::lock_guard hold(slot.lock);  // a zombie until reaped: no cancel_open() kills it after this
    __atomic_store_n(&slot.tid, 0, __ATOMIC_SEQ_CST);
  }
  while (waitpid(tid, nullptr, __WALL) < 0 && errno == EINTR) {
  }
  return job.result;
}

void cancel_open(OpenHelperSlot& slot) noexcept {
  std::lock_guard hold(slot.lock);
  const pid_t tid = __atomic_load_n(&slot.tid, __ATOMIC_SEQ_CST);
  if (tid > 0) kill(tid, SIGKILL);
}

}  // namespace sysvisor
