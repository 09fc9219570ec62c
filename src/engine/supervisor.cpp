#include "sysvisor/supervisor.hpp"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <system_error>
#include <thread>

#include <fmt/format.h>

#include "policy/filter.hpp"
#include "kinject/kinject_engine.hpp"
#include "kernel/launcher.hpp"
#include "kernel/notify_fd.hpp"
#include "engine/run_program.hpp"
#include "engine/session.hpp"
#include "policy/compiled_policy.hpp"
#include "policy/handler_table.hpp"
#include "inject/inject_parse.hpp"
#include "policy/one_line.hpp"
#include "policy/redirect_table.hpp"
#include "policy/rule_name.hpp"

extern char** environ;

namespace sysvisor {
namespace {

// What privilege execve would have granted `path` that NO_NEW_PRIVS takes away ("" for none).
std::string lost_privileges(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return "";
  if ((st.st_mode & S_ISUID) != 0 && (st.st_mode & S_ISGID) != 0) return "setuid and setgid";
  if ((st.st_mode & S_ISUID) != 0) return "setuid";
  if ((st.st_mode & S_ISGID) != 0 && (st.st_mode & S_IXGRP) != 0) return "setgid";
  if (getxattr(path.c_str(), "security.capability", nullptr, 0) > 0) return "a program with file capabilities";
  return "";
}

// Everything a run needs before the fork, built from the policy; lives until the run ends.
struct Prepared {
  CompiledPolicy compiled;
  std::vector<sock_filter> filter;
  std::unique_ptr<KinjectSession> kinject;  // -k: loaded and attached, armed by the program's execve
};

// As with a bind mount, a TO that is a directory maps the whole tree beneath FROM, whether or not
// FROM was written with a trailing '/'. A TO that does not exist gets one warning (the program
// may create it later; the rule then maps a file).
Policy with_redirect_facts(const Policy& policy, const RunOptions& options) {
  Policy out = policy;
  for (Redirect& r : out.redirects) {
    struct stat st {};
    if (lstat(r.to.c_str(), &st) != 0) {
      if (options.warn)
        options.warn(fmt::format("redirect rule '{}' -> '{}': TO does not exist ({})", r.from, r.to, std::strerror(errno)));
      continue;
    }
    if (S_ISDIR(st.st_mode) || (S_ISLNK(st.st_mode) && stat(r.to.c_str(), &st) == 0 && S_ISDIR(st.st_mode)))
      r.prefix = true;
  }
  return out;
}

Result<Prepared> prepare(const Policy& policy, const RunOptions& options) {
  for (const InjectRule& rule : policy.injects) {
    for (const std::string& w : rule.warnings)
      if (options.warn) options.warn(w);
  }
  auto compiled = CompiledPolicy::compile(with_redirect_facts(policy, options));
  if (!compiled) return std::move(compiled).error();
  auto filter = build_filter(compiled->filter_rules());
  if (!filter) return std::move(filter).error();
  Prepared out{std::move(compiled).value(), std::move(filter).value(), nullptr};
  // User notification itself (Linux 5.0).
  uint32_t action = SECCOMP_RET_USER_NOTIF;
  if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) != 0)
    return make_error(ENOSYS, "this kernel lacks seccomp user notification (SECCOMP_RET_USER_NOTIF, Linux 5.0)");
  if (!policy.kinjects.empty()) {
    auto session = start_kinject(policy.kinjects);  // refused here: the program is never started
    if (!session) return std::move(session).error();
    out.kinject = std::move(session).value();
  }
  return out;
}

// RunOptions::threads: 0 chooses one receiver per CPU (at most 8) where receivers wait in RECV
// itself (an idle one costs nothing: the kernel wakes exactly one per call), else one (with poll,
// several take turns under a lock and look again before each RECV).
int receiver_count(int asked) {
  if (asked > 0) return std::min(asked, 64);
  if (!NotifyFd::blocked_recv_ends()) return 1;
  return static_cast<int>(std::clamp<long>(sysconf(_SC_NPROCESSORS_ONLN), 1, 8));
}

// Forks (exec or body), serves the listener until the tree has exited, and reports.
Result<RunResult> supervise(const Policy& policy, Prepared& prepared, LaunchSpec& spec, const RunOptions& options,
                            const ProcessOptions& process) {
  spec.filter = prepared.filter;
  sigemptyset(&spec.child_sigmask);
  pthread_sigmask(SIG_SETMASK, nullptr, &spec.child_sigmask);
  if (process.signal_fd >= 0) {
    // The caller blocked these for its signalfd; the program starts with them unblocked.
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) sigdelset(&spec.child_sigmask, s);
  }
  if (!prepared.compiled.redirects().empty()) {
    // ADDFD with SEND (Linux 5.14) is what redirection answers with.
    spec.check_listener = [](int fd) -> Result<void> {
      UniqueFd copy(dup(fd));
      if (!copy) {
        const int err = errno;  // EMFILE: our own descriptors count against the program's RLIMIT_NOFILE
        return make_error(err, fmt::format("dup of the listener: {}", std::strerror(err)));
      }
      if (NotifyFd(std::move(copy)).supports_addfd_send()) return {};
      return make_error(ENOSYS, "this kernel lacks SECCOMP_IOCTL_NOTIF_ADDFD with SECCOMP_ADDFD_FLAG_SEND "
                                "(Linux 5.14), which redirection needs");
    };
  }
  if (process.subreaper && prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
    return make_error(errno, fmt::format("prctl(PR_SET_CHILD_SUBREAPER): {}", std::strerror(errno)));

  if (prepared.kinject) {
    // Scope the -k rules to the program's task before it may exec; they arm when its execve
    // completes (a function body has none: armed at once).
    spec.before_go = [&prepared, arm_on_exec = !spec.body](int pidfd) {
      return prepared.kinject->seed(pidfd, arm_on_exec);
    };
  }
  auto child = launch(spec);
  if (!child) return std::move(child).error();
  const int receivers = receiver_count(options.threads);
  Session session(prepared.compiled, policy, options, process, *child, NotifyFd(child->take_listener()), receivers);
  // Serve from a thread of our own: it unshares its fs struct (umask), which must not affect the
  // caller's thread; the caller's thread stays alive meanwhile, so PR_SET_PDEATHSIG holds.
  Result<void> served;
  try {
    std::thread worker([&session, &served, receivers] { served = session.serve(receivers); });
    worker.join();
  } catch (const std::system_error& e) {  // no thread (RLIMIT_NPROC): an error, never an exception
    served = thread_start_error(e);
  }
  if (!served) {
    child->kill_unserved();
    return std::move(served).error();
  }
  RunResult result = session.result();
  if (prepared.kinject) report_kinject(*prepared.kinject, policy, options, child->pid(), result);
  return result;
}

}  // namespace

Result<void> Policy::inject(std::string_view spec, InjectOptions options) {
  std::string full(spec);
  if (!spec.starts_with("inject=") && !spec.starts_with("fault=")) full = "inject=" + full;
  auto rule = named(inject_rule_name(spec), parse_inject_reason(full));  // the rule as the caller wrote it
  if (!rule) return std::move(rule).error();
  rule->countable = options.countable;
  injects.push_back(std::move(rule).value());
  return {};
}

Result<void> Policy::redirect(std::string_view from, std::string_view to) {
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof cwd) == nullptr)
    return make_error(errno, one_line(fmt::format("{}: getcwd: {}", redirect_rule_name(from, to), std::strerror(errno))));
  auto rule = named(redirect_rule_name(from, to), make_redirect(from, to, cwd));  // FROM may hold a '='
  if (!rule) return std::move(rule).error();
  redirects.push_back(std::move(rule).value());
  return {};
}

Result<void> Policy::on(std::string syscall, Handler handler) {
  HandlerRule rule{std::move(syscall), std::move(handler)};
  if (auto ok = HandlerTable::check(rule); !ok) return ok;
  handlers.push_back(std::move(rule));
  return {};
}

Result<RunResult> run(const Policy& policy, const Command& command, const RunOptions& options) {
  return run_program(policy, command, options, ProcessOptions{});
}

Result<RunResult> run_program(const Policy& policy, const Command& command, const RunOptions& options,
                              const ProcessOptions& process) {
  if (command.argv.empty()) return make_error(EINVAL, "no program to run");
  auto prepared = prepare(policy, options);
  if (!prepared) return std::move(prepared).error();

  LaunchSpec spec;
  spec.argv = command.argv;
  if (command.env) {
    spec.env = *command.env;
  } else {
    for (char** e = environ; *e != nullptr; ++e) spec.env.emplace_back(*e);
  }
  const char* path_env = nullptr;
  for (const std::string& e : spec.env)
    if (e.starts_with("PATH=")) path_env = e.c_str() + 5;
  auto path = resolve_program(command.argv[0], path_env);
  if (!path) {
    RunResult failed;
    failed.exec_errno = path.error().code;
    return failed;
  }
  spec.path = std::move(path).value();
  if (auto why = lost_privileges(spec.path); !why.empty() && options.warn)
    options.warn(fmt::format("'{}' is {}: under sysvisor it runs without that privilege (PR_SET_NO_NEW_PRIVS)",
                             spec.path, why));
  spec.cwd = command.cwd;
  return supervise(policy, *prepared, spec, options, process);
}

Result<RunResult> run_function(const Policy& policy, const std::function<int()>& body, const RunOptions& options) {
  if (!body) return make_error(EINVAL, "no function to run");
  auto prepared = prepare(policy, options);
  if (!prepared) return std::move(prepared).error();
  LaunchSpec spec;
  spec.body = body;
  return supervise(policy, *prepared, spec, options, ProcessOptions{});
}

}  // namespace sysvisor
