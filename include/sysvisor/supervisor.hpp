// Running a program under supervision: the policy, the command, and the outcome.
//
// Usage:
//   sysvisor::Policy policy;
//   policy.redirects.push_back({"/etc/app.conf", "/tmp/my.conf", false});
//   auto result = sysvisor::run(policy, {.argv = {"cat", "/etc/app.conf"}});
//   if (!result) report(result.error().message);
//
// Threads: run() may be called from several threads at once; each call supervises its own program.
// It blocks until every process of the supervised tree has exited.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sysvisor/inject.hpp"
#include "sysvisor/log.hpp"
#include "sysvisor/redirect.hpp"
#include "sysvisor/result.hpp"

namespace sysvisor {

// What the supervisor does to the program's calls.
struct Policy {
  std::vector<Redirect> redirects;  // later rules for the same FROM win
  std::vector<InjectRule> injects;  // -e inject=/fault=; a later rule replaces an earlier one per syscall
  std::vector<std::string> trace_paths;  // -P: inject only into calls that refer to these paths
  bool allow_io_uring = false;      // otherwise io_uring_setup fails with ENOSYS while file rules are active
};

// The program to run.
struct Command {
  std::vector<std::string> argv;                 // argv[0] is looked up in PATH like execvp
  std::optional<std::vector<std::string>> env;   // nothing: the caller's environment
  std::string cwd;                               // empty: the caller's cwd
};

// How the run behaves towards the calling process.
struct RunOptions {
  // Process-wide choices only a command-line tool should make:
  bool subreaper = false;        // PR_SET_CHILD_SUBREAPER and reap every orphan (waitid(P_ALL))
  int signal_fd = -1;            // borrowed signalfd: SIGINT/SIGTERM/SIGHUP/SIGQUIT sent by a process are
                                 // forwarded to the program; SIGCHLD wakes orphan reaping
  // Threads receiving and answering notifications (1..64). One is enough for a single-threaded
  // program; more let calls of a multi-threaded program be served in parallel.
  int threads = 1;
  // Called once per intercepted call (serialised: never twice at once); default: no log, and no
  // cost for building entries.
  std::function<void(const LogEntry&)> log;
  // One line per warning (no prefix, no newline); default: dropped.
  std::function<void(std::string_view)> warn;
};

// The outcome of a run whose program was started.
struct RunResult {
  int exit_code = 0;      // when the program exited
  int term_signal = 0;    // when the program was killed by a signal (exit_code is then 0)
  bool core_dumped = false;
  int exec_errno = 0;     // execve of the program failed with this errno (nothing ran)
};

// Runs `command` under `policy`. Errors: a bad policy (EINVAL), the program not found (ENOENT) or
// not executable (EACCES) before fork, and kernel refusals (e.g. EBUSY: already under a listener).
Result<RunResult> run(const Policy& policy, const Command& command, const RunOptions& options = {});

}  // namespace sysvisor
