// sysvisor / copycat: parse the command line, run, and turn the outcome into an exit status.
// Only this file picks exit codes (contract: the program's own, 125, 126, 127, or its signal).
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/cli.hpp"
#include "cli/summary.hpp"
#include "engine/run_program.hpp"
#include "kinject/kinject_plan.hpp"
#include "kinject/kinject_session.hpp"
#include "sysvisor/supervisor.hpp"
#include "sysvisor/unique_fd.hpp"

namespace {

constexpr int kExitFailure = 125;
constexpr int kExitNotExecutable = 126;
constexpr int kExitNotFound = 127;

// Dies of `sig` as the program did, so a shell sees the same wait status; no core of our own.
[[noreturn]] void die_of(int sig) {
  rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
  raise(sig);
  _exit(128 + sig);  // a signal whose default action does not kill
}

// --help, --version, --kinject-probe: what to print instead of running; nothing otherwise.
std::optional<int> answer_without_running(const sysvisor::CliConfig& config, const std::string& prog) {
  if (config.help) {
    fmt::print("{}", config.help_text);
    return 0;
  }
  if (config.version) {
    fmt::print("{} {}\n", prog, SYSVISOR_VERSION);
    return 0;
  }
  if (!config.kinject_probe) return std::nullopt;
  auto support = sysvisor::probe_kernel_support();
  if (!support) {
    fmt::print(stderr, "{}: {}\n", prog, support.error().message);
    return kExitFailure;
  }
  for (const std::string& line : sysvisor::kinject_probe_lines(*support)) fmt::print("{}\n", line);
  return 0;
}

// Signals are taken through a signalfd in the supervisor's loop: never a handler. Blocked before
// any thread exists, so that every thread inherits the mask.
sysvisor::UniqueFd block_signals() {
  sigset_t sigs;
  sigemptyset(&sigs);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) sigaddset(&sigs, s);
  sigprocmask(SIG_BLOCK, &sigs, nullptr);
  return sysvisor::UniqueFd(signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK));
}

// -o FILE: one write per line; a failure (a full disk) is said once and supervision goes on.
std::function<void(const sysvisor::LogEntry&)> log_writer(int fd, const sysvisor::CliConfig& config,
                                                          const std::string& prog) {
  auto failed = std::make_shared<bool>(false);
  return [fd, &config, &prog, failed](const sysvisor::LogEntry& entry) {
    std::string line = sysvisor::format_log_entry(entry, config.log_format);
    line += '\n';
    if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()) && !*failed) {
      *failed = true;
      fmt::print(stderr, "{}: writing the log '{}' failed ({}): later lines are lost\n", prog, config.log_path,
                 errno != 0 ? std::strerror(errno) : "short write");
    }
  };
}

// --summary: into the -o file (as log lines) if there is one, else to standard error.
void print_summary(const sysvisor::RunResult& result, const sysvisor::CliConfig& config, const std::string& prog,
                   int log_fd) {
  for (const sysvisor::SummaryLine& line : sysvisor::summarise(result, config.policy)) {
    if (log_fd < 0) {
      fmt::print(stderr, "{}: summary: {}\n", prog, sysvisor::format_summary_line(line, sysvisor::LogFormat::kText));
      continue;
    }
    std::string text = sysvisor::format_summary_line(line, config.log_format);
    text = (config.log_format == sysvisor::LogFormat::kText ? "summary: " : "") + text + "\n";
    if (write(log_fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) return;  // said by the log writer
  }
}

// The exit status for a run's outcome (a program killed by a signal: the same death).
int exit_status(const sysvisor::RunResult& result, const sysvisor::CliConfig& config, const std::string& prog,
                sysvisor::UniqueFd& sigfd) {
  if (result.exec_errno != 0) {
    fmt::print(stderr, "{}: cannot run '{}': {}\n", prog, config.command.argv[0], std::strerror(result.exec_errno));
    return result.exec_errno == ENOENT ? kExitNotFound : kExitNotExecutable;
  }
  for (size_t i = 0; i < result.kinject_hits.size() && !config.summary; ++i)
    fmt::print(stderr, "{}: -k '{}': {} injected, {} counted\n", prog, config.policy.kinjects[i].text,
               result.kinject_hits[i], result.kinject_matched[i]);
  if (result.term_signal != 0) {
    sigfd.reset();
    die_of(result.term_signal);
  }
  return result.exit_code;
}

}  // namespace

namespace {

int run_main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  char cwd_buf[PATH_MAX];
  const std::string cwd = getcwd(cwd_buf, sizeof cwd_buf) != nullptr ? cwd_buf : "/";
  const sysvisor::CliEnv env{getenv("SYSVISOR_REDIRECT"), getenv("COPYCAT")};
  auto config = sysvisor::parse_command_line(args, env, cwd);
  const std::string prog = config ? config->prog_name : sysvisor::program_name(args.empty() ? "" : args[0]);
  if (!config) {
    fmt::print(stderr, "{}: {}\n", prog, config.error().message);
    return kExitFailure;
  }
  if (auto status = answer_without_running(*config, prog)) return *status;

  sysvisor::UniqueFd sigfd = block_signals();
  if (!sigfd) {
    fmt::print(stderr, "{}: signalfd: {}\n", prog, std::strerror(errno));
    return kExitFailure;
  }
  // The log is opened only once everything else parsed: a bad rule leaves the user's file alone.
  sysvisor::UniqueFd log_fd;
  if (!config->log_path.empty()) {
    log_fd.reset(open(config->log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
    if (!log_fd) {
      fmt::print(stderr, "{}: -o '{}': {}\n", prog, config->log_path, std::strerror(errno));
      return kExitFailure;
    }
  }
  sysvisor::RunOptions options;
  if (log_fd) options.log = log_writer(log_fd.get(), *config, prog);
  options.threads = config->threads;
  options.warn = [&prog](std::string_view line) { fmt::print(stderr, "{}: {}\n", prog, line); };
  const sysvisor::ProcessOptions process{.subreaper = true, .signal_fd = sigfd.get()};
  auto result = sysvisor::run_program(config->policy, config->command, options, process);
  if (!result) {
    fmt::print(stderr, "{}: {}\n", prog, sysvisor::cli_message(result.error().message, config->policy));
    return kExitFailure;
  }
  if (config->summary) print_summary(*result, *config, prog, log_fd ? log_fd.get() : -1);
  return exit_status(*result, *config, prog, sigfd);
}

}  // namespace

// sysvisor never dies of an exception: an internal failure (out of memory) is one line, exit 125
// (the program, if it was started, dies with us: PR_SET_PDEATHSIG).
int main(int argc, char** argv) {
  try {
    return run_main(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: internal error: {}\n", sysvisor::program_name(argc > 0 ? argv[0] : ""), e.what());
  } catch (...) {
    fmt::print(stderr, "{}: internal error\n", sysvisor::program_name(argc > 0 ? argv[0] : ""));
  }
  return kExitFailure;
}
