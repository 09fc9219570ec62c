// Running a program, or a function, under supervision: the policy, the command, the outcome.
//
// Usage (a test):
//   sysvisor::Policy policy;
//   CHECK(policy.inject("openat:error=EIO:when=3"));          // strace's -e inject= syntax
//   CHECK(policy.redirect("/etc/app.conf", "fixtures/app.conf"));
//   CHECK(policy.on("getrandom", [](const sysvisor::Call& c) { return sysvisor::Reply::val(0); }));
//   auto result = sysvisor::run(policy, {.argv = {"my-program", "--flag"}});
//   REQUIRE(result);                 // errors are values: result.error().message is one line
//   CHECK(result->exit_code == 0);
//   CHECK(result->inject_hits[0] == 1);
//
// Threads: run() and run_function() may be called from several threads at once; each call
// supervises its own program and blocks until every process of that tree has exited. The library
// installs no signal handler and waits only for its own children (pidfds, never waitpid(-1)).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sysvisor/api.hpp"
#include "sysvisor/call.hpp"
#include "sysvisor/inject.hpp"
#include "sysvisor/kinject.hpp"
#include "sysvisor/log.hpp"
#include "sysvisor/redirect.hpp"
#include "sysvisor/result.hpp"

namespace sysvisor {

// A user-supplied handler: answers a call the built-in rules do not cover. It runs on a receiver
// thread of the supervisor (several may run at once with RunOptions::threads > 1); it may read
// and write the caller's memory through the Call.
using Handler = std::function<Reply(const Call&)>;

// A handler and the syscall it serves.
struct HandlerRule {
  std::string syscall;  // a name as strace spells it ("getrandom"); covers both architectures
  Handler handler;
};

// How Policy::inject adds a rule.
struct InjectOptions {
  bool countable = false;  // InjectRule::countable: never the filter's fast path, always counted
};

// What the supervisor does to the program's calls. Order of decisions for one call: handler,
// then inject rule, then redirect rule; a handler or inject rule that lets the call go on
// (Reply::cont(), a signal-only rule) hands it to the next.
struct SYSVISOR_API Policy {
  std::vector<Redirect> redirects;       // later rules for the same FROM win
  std::vector<InjectRule> injects;       // later rules replace earlier ones per syscall
  std::vector<std::string> trace_paths;  // -P: inject only into calls that refer to these paths
  std::vector<HandlerRule> handlers;     // later handlers for the same syscall win
  bool allow_io_uring = false;           // else io_uring_setup/_enter/_register fail (ENOSYS) while file rules are active
  std::vector<KinjectRule> kinjects;     // -k: kernel-function faults (eBPF path, root only)

  // Adds an inject rule in strace's syntax: "openat:error=EIO:when=3", "inject=…" or "fault=…".
  // Errors (EINVAL, the policy unchanged) are one line naming the rule as written: "inject rule
  // 'openat:error=EFOO': unknown errno 'EFOO'" (sysvisor(1) names its option, -e, instead).
  Result<void> inject(std::string_view spec, InjectOptions options = {});
  // Adds a kernel-function fault in -k's syntax ("kmalloc:when=3", see sysvisor/kinject.hpp).
  // Errors as inject()'s ("kinject rule 'kmalloc:error=EFOO': …"). The kernel's support is
  // checked when the run starts (a refusal is then run()'s error, naming the rule the same way).
  Result<void> kinject(std::string_view spec);
  // Adds FROM -> TO (a FROM ending in '/' maps a directory tree; a relative TO is taken from the
  // current directory). Errors as inject()'s ("redirect rule 'etc/a' -> '/b': FROM 'etc/a' is not
  // an absolute path").
  Result<void> redirect(std::string_view from, std::string_view to);
  // Adds a handler for `syscall`. Errors (EINVAL, the policy unchanged): a name that is no
  // syscall of x86_64 or i386 ("handler: unknown syscall 'getrandon'"), an empty handler.
  Result<void> on(std::string syscall, Handler handler);
};

// The program to run.
struct Command {
  std::vector<std::string> argv;                // argv[0] is looked up in PATH like execvp
  std::optional<std::vector<std::string>> env;  // nothing: the caller's environment
  std::string cwd;                              // empty: the caller's cwd
};

// How the run behaves towards the calling process.
struct RunOptions {
  // Threads receiving and answering notifications (1..64); 0: as many as the machine has CPUs (at
  // most 8) where receivers wait in SECCOMP_IOCTL_NOTIF_RECV itself (Linux 6.11+: an idle
  // receiver costs nothing and the kernel hands each call to one), else 1. Work that may block
  // runs on threads of its own whatever the number.
  int threads = 0;
  // Keep every log entry in RunResult::log.
  bool keep_log = false;
  // Called once per intercepted call (serialised: never twice at once); default: no log, and no
  // cost for building entries.
  std::function<void(const LogEntry&)> log;
  // One line per warning (no prefix, no newline); default: dropped.
  std::function<void(std::string_view)> warn;
};

// The outcome of a run whose program was started.
struct RunResult {
  int exit_code = 0;         // when the program exited (run_function: the callable's return & 0xff)
  int term_signal = 0;       // when the program was killed by a signal (exit_code is then 0)
  bool core_dumped = false;  // with term_signal
  int exec_errno = 0;        // execve of the program failed with this errno (nothing ran)
  // Per Policy::injects entry: calls it injected into; nullopt ("not counted") for a rule whose
  // calls the filter answers in the kernel, unseen (an errno on every call, without -P paths:
  // the fast path; InjectRule::countable keeps a rule counted). inject_hits[0] == 1 is false then.
  std::vector<std::optional<uint64_t>> inject_hits;
  // Per Policy::injects entry: calls that passed its selectors (-P, argN tests, path=), whether or
  // not when= or prob= then chose them; std::nullopt as for inject_hits.
  std::vector<std::optional<uint64_t>> inject_matched;
  // Per Policy::injects entry with prob=: the seed its decisions used (seed=, or the one drawn).
  std::vector<std::optional<uint64_t>> inject_seeds;
  std::vector<uint64_t> redirect_hits;  // per Policy::redirects entry: calls it redirected
  std::vector<uint64_t> handler_hits;   // per Policy::handlers entry: calls it answered
  std::vector<uint64_t> kinject_hits;     // per Policy::kinjects entry: kernel calls it failed
  std::vector<uint64_t> kinject_matched;  // per Policy::kinjects entry: kernel calls it counted (when=)
  std::vector<LogEntry> log;            // with RunOptions::keep_log
};

// Runs `command` under `policy`. Errors: a bad policy (EINVAL), kernel refusals (ENOSYS: no user
// notification; EBUSY: already under a seccomp listener). A program that cannot be executed is a
// RunResult with exec_errno (ENOENT: not found, else not executable).
SYSVISOR_API Result<RunResult> run(const Policy& policy, const Command& command,
                                    const RunOptions& options = {});

// Runs `body` in a forked child under `policy` and reports it like a program: its return value is
// the exit code; an exception escaping it exits with 70. Counting for when= starts on entry to
// `body`. The child is a fork of the caller: with other threads running in the caller only
// async-signal-safe work is strictly safe in it (glibc's malloc and stdio are fork-safe in
// practice; locks held by other threads of the caller stay held). The caller's stdio buffers are
// flushed before the fork; the child flushes its own at the end and leaves with _exit, so no
// atexit handler or static destructor of the caller runs in it. The child resets the handlers of
// SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS and SIGABRT to the default before calling
// `body`: a crash is reported once, by the caller, as RunResult::term_signal (not also by a test
// framework's crash handler inherited by the child).
SYSVISOR_API Result<RunResult> run_function(const Policy& policy, const std::function<int()>& body,
                                            const RunOptions& options = {});

}  // namespace sysvisor
