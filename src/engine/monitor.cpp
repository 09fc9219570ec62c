#include "engine/monitor.hpp"

#include <poll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace sysvisor {

void Monitor::on_child_exit(const siginfo_t& info) {
  child_reaped_ = true;
  if (info.si_code == CLD_EXITED) {
    status_.exit_code = info.si_status;
  } else {
    status_.term_signal = info.si_status;
    status_.core_dumped = info.si_code == CLD_DUMPED;
  }
  status_.exec_errno = child_.exec_errno();
}

void Monitor::reap_orphans() {
  while (true) {
    siginfo_t info{};
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG) != 0 || info.si_pid == 0) return;
    if (info.si_pid == child_.pid()) on_child_exit(info);
  }
}

void Monitor::on_signal() {
  signalfd_siginfo si{};
  while (read(process_.signal_fd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
    if (si.ssi_signo == SIGCHLD) {
      if (process_.subreaper) reap_orphans();
      continue;
    }
    // Signals from the terminal (SI_KERNEL) already reached the program, which shares our process
    // group; forward only what a process sent with kill/sigqueue/tgkill, once.
    const auto code = static_cast<int>(si.ssi_code);
    if (code != SI_USER && code != SI_QUEUE && code != SI_TKILL) continue;
    if (!child_reaped_) syscall(SYS_pidfd_send_signal, child_.pidfd(), si.ssi_signo, nullptr, 0);
  }
}

void Monitor::run() {
  while (true) {
    pollfd fds[4];
    nfds_t count = 0;
    fds[count++] = {notify_.get(), 0, 0};
    const bool watch_threads = counts_ != nullptr && counts_->exit_fd() >= 0;
    if (watch_threads) fds[count++] = {counts_->exit_fd(), POLLIN, 0};
    const bool watch_child = !process_.subreaper && !child_reaped_;
    if (watch_child) fds[count++] = {child_.pidfd(), POLLIN, 0};
    const bool watch_signals = process_.signal_fd >= 0;
    if (watch_signals) fds[count++] = {process_.signal_fd, POLLIN, 0};
    if (poll(fds, count, -1) < 0) {
      if (errno == EINTR) continue;
      log_.warn(fmt::format("poll: {}", std::strerror(errno)));
      return;
    }
    if ((fds[0].revents & (POLLHUP | POLLERR)) != 0) return;
    nfds_t i = 1;
    if (watch_threads && (fds[i++].revents & POLLIN) != 0) counts_->forget_exited();
    if (watch_child && (fds[i++].revents & POLLIN) != 0) {
      siginfo_t info{};
      if (waitid(P_PIDFD, static_cast<id_t>(child_.pidfd()), &info, WEXITED | WNOHANG) == 0 && info.si_pid != 0)
        on_child_exit(info);
    }
    if (watch_signals && (fds[i].revents & POLLIN) != 0) on_signal();
  }
}

ExitStatus Monitor::finish() {
  if (process_.subreaper) reap_orphans();
  if (!child_reaped_) {
    siginfo_t info{};
    if (waitid(P_PIDFD, static_cast<id_t>(child_.pidfd()), &info, WEXITED) == 0) on_child_exit(info);
  }
  return status_;
}

}  // namespace sysvisor
