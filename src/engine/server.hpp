// Server: serves one listener until no task uses the filter any more.
// One notification flows one way: receive -> decode -> decide (handler, inject rule, redirect
// rule) -> act -> respond. Receivers may run on several threads at once.
#pragma once

#include <linux/seccomp.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/call.hpp"
#include "policy/handler_table.hpp"
#include "inject/injector.hpp"
#include "kernel/launcher.hpp"
#include "kernel/notify_fd.hpp"
#include "policy/policy_filter.hpp"
#include "redirect/redirector.hpp"
#include "sysvisor/supervisor.hpp"

namespace sysvisor {

class Server {
 public:
  Server(const FilterInputs& rules, const Policy& policy, const HandlerTable& handlers, const RunOptions& options,
         Launched& child, NotifyFd listener)
      : options_(options), policy_(policy), handlers_(handlers), child_(child), notify_(std::move(listener)),
        redirector_(rules.redirects), redirects_empty_(rules.redirects.empty()), io_uring_off_(io_uring_blocked(rules)),
        inject_hits_(policy.injects.size()), redirect_hits_(policy.redirects.size()),
        handler_hits_(policy.handlers.size()) {
    if (!rules.injects.empty()) {
      injector_.emplace(rules.injects, rules.traced);
      first_rule_ = rules.injects.rules().data();
    }
  }

  // Serves until no task uses the filter. `threads` receivers share the listener.
  void serve(int threads);
  RunResult result() {
    auto counts = [](const std::vector<std::atomic<uint64_t>>& from) {
      std::vector<uint64_t> out;
      for (const auto& c : from) out.push_back(c.load());
      return out;
    };
    result_.inject_hits = counts(inject_hits_);
    result_.redirect_hits = counts(redirect_hits_);
    result_.handler_hits = counts(handler_hits_);
    result_.log = std::move(kept_log_);
    return std::move(result_);
  }

 private:
  void receive_loop(bool shared);
  bool receive(std::vector<std::byte>& buffer, bool shared);
  void monitor();
  // `scratch`: the receiver's own buffers for the path look-up.
  void handle(const seccomp_notif& n, PathScratch& scratch);
  // Answers the call; returns what the program got when we answered (value, fd or -errno).
  std::optional<int64_t> respond(const Syscall& call, Reply reply);
  void log(const Syscall& call, std::string_view action, std::string detail, std::optional<int64_t> result,
           std::optional<std::string_view> path);
  void finish(const Syscall& call, PathScratch& scratch);
  void inject(const Syscall& call, const InjectRule& rule, PathScratch& scratch);
  void poke(const Syscall& call, const std::vector<Poke>& pokes);
  bool sleep_for(const Delay& delay);
  // Runs `work` on a thread of its own. `fifo`/`accmode`: the work may be blocked opening that
  // FIFO, and opening its other end lets it return at shutdown.
  void run_async(std::function<void()> work, std::string fifo = {}, int accmode = 0);
  void cancel_async();
  void on_child_exit(const siginfo_t& info);
  void reap_orphans();
  void on_signal();
  void warn(std::string_view line);

  struct Async {
    std::thread thread;
    std::string fifo;
    int accmode = 0;
    std::atomic<bool> done{false};
  };

  const RunOptions& options_;
  const Policy& policy_;
  const HandlerTable& handlers_;
  Launched& child_;
  NotifyFd notify_;
  Redirector redirector_;
  std::optional<Injector> injector_;
  const bool redirects_empty_;
  const bool io_uring_off_;
  const bool blocking_recv_ = NotifyFd::blocked_recv_ends();
  const InjectRule* first_rule_ = nullptr;
  std::vector<std::atomic<uint64_t>> inject_hits_;
  std::vector<std::atomic<uint64_t>> redirect_hits_;
  std::vector<std::atomic<uint64_t>> handler_hits_;
  std::vector<LogEntry> kept_log_;  // guarded by log_mutex_
  const SyscallMap& map_ = SyscallMap::instance();
  RunResult result_;
  bool child_reaped_ = false;
  std::atomic<bool> warned_memory_{false};
  std::mutex warn_mutex_;
  std::mutex log_mutex_;
  std::mutex recv_mutex_;
  std::mutex async_mutex_;
  std::list<Async> async_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by async_mutex_
};

}  // namespace sysvisor
