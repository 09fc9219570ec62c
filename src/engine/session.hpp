// Session: one supervised run, wired together — the receivers, the dispatcher, the executor and
// the monitor around one listener — until no task uses the filter; then the result.
#pragma once

#include <system_error>

#include "engine/call_log.hpp"
#include "engine/dispatcher.hpp"
#include "engine/executor.hpp"
#include "engine/monitor.hpp"
#include "engine/receiver.hpp"
#include "engine/thread_counts.hpp"
#include "kernel/launcher.hpp"
#include "kernel/notify_fd.hpp"
#include "policy/compiled_policy.hpp"
#include "sysvisor/supervisor.hpp"

namespace sysvisor {

// The error for a thread sysvisor could not start (EAGAIN: the user's process limit, or memory).
Error thread_start_error(const std::system_error& e);

class Session {
 public:
  // `receivers`: how many threads will serve the listener (serve()).
  Session(const CompiledPolicy& compiled, const Policy& policy, const RunOptions& options,
          const ProcessOptions& process, Launched& child, NotifyFd listener, int receivers)
      : compiled_(compiled), policy_(policy), notify_(std::move(listener)), log_(options), counts_(child), hits_(policy), executor_(notify_),
        dispatcher_(compiled, policy.handlers, notify_, counts_, executor_, log_, hits_,
                    two_step_addfd(child, receivers)),
        monitor_(notify_, child, compiled.injects().empty() ? nullptr : &counts_, process, log_) {}

  // Serves until no task uses the filter; `threads` receivers share the listener. An error when
  // not one receiver could be started (nothing served the program: the caller kills it).
  Result<void> serve(int threads);
  // The outcome (once, after serve()).
  RunResult result();

 private:
  // Whether injected descriptors are answered in two steps (ADDFD, then SEND, which wakes the
  // caller on our CPU): only where the filter waits killable only, and by default only with one
  // receiver. With more, the other CPU is kept awake by a receiver and ADDFD|SEND's wake-up there
  // is the cheaper one (bench/RESULTS.md: find 1.94 x native against 2.85 x, tar 3.60 x against 4.91 x).
  // SYSVISOR_ADDFD=send or =two-step chooses.
  static bool two_step_addfd(const Launched& child, int receivers);

  const CompiledPolicy& compiled_;
  const Policy& policy_;
  NotifyFd notify_;
  CallLog log_;
  ThreadCounts counts_;
  RuleHits hits_;
  Executor executor_;
  Dispatcher dispatcher_;
  Monitor monitor_;
  ExitStatus status_;
};

}  // namespace sysvisor
