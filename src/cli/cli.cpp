#include "cli/cli.hpp"

#include "policy/one_line.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace sysvisor {
namespace {

constexpr std::string_view kSysvisorFooter = R"(
Redirection:
  -r /etc/app.conf=./my.conf     the program reads ./my.conf when it opens /etc/app.conf
  -r /opt/legacy/=/home/me/legacy/   a trailing '/' maps a whole directory tree
  SYSVISOR_REDIRECT="FROM TO [FROM TO ...]" adds pairs from the environment.

Exit status: the program's own; if it dies of signal N, sysvisor dies of signal N too;
125 sysvisor failed (bad option or rule), 126 program not executable, 127 program not found.
See sysvisor(1).)";

constexpr std::string_view kCopycatFooter = R"(
COPYCAT="FROM TO [FROM TO ...]" names the pairs: the program sees TO whenever it uses FROM.
A FROM ending in '/' maps a whole directory tree. Relative TO paths are taken from the current directory.

Exit status: the program's own; 125 copycat failed, 126 not executable, 127 not found. See copycat(1).)";

std::string base_name(std::string_view path) {
  const size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// Index of the first argument that belongs to the program: CLI11 2.1's prefix_command lets unknown
// options through as program words, so the split is made here, asking CLI11 which options take a
// value.
size_t find_program_start(const CLI::App& app, std::span<const std::string> args, bool& saw_dashdash,
                          std::string& unknown) {
  saw_dashdash = false;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      saw_dashdash = true;
      return i;
    }
    if (a.size() < 2 || a[0] != '-') return i;
    std::string name = a.starts_with("--") ? a.substr(0, a.find('=')) : a.substr(0, 2);
    const CLI::Option* opt = app.get_option_no_throw(name);
    if (opt == nullptr) {
      if (unknown.empty()) unknown = name;
      continue;
    }
    if (a.starts_with("--") && a.find('=') != std::string::npos) continue;  // --opt=value
    if (opt->get_expected_max() == 0) continue;                              // a flag
    if (!a.starts_with("--") && a.size() > 2) continue;           // -rVALUE
    ++i;                                                          // the value is the next word
  }
  return args.size();
}

}  // namespace

std::string program_name(std::string_view argv0) {
  return base_name(argv0) == "copycat" ? "copycat" : "sysvisor";
}

namespace {
Result<CliConfig> parse_command_line_impl(std::span<const std::string> args, const CliEnv& env, std::string_view cwd);
}  // namespace

Result<CliConfig> parse_command_line(std::span<const std::string> args, const CliEnv& env, std::string_view cwd) {
  return one_line(parse_command_line_impl(args, env, cwd));
}

namespace {
Result<CliConfig> parse_command_line_impl(std::span<const std::string> args, const CliEnv& env, std::string_view cwd) {
  CliConfig config;
  config.prog_name = program_name(args.empty() ? "" : args[0]);
  const bool copycat = config.prog_name == "copycat";

  CLI::App app(copycat ? "copycat: run a program that sees other files in place of the paths it hard-codes"
                       : "sysvisor: run a program under a seccomp user-notification supervisor",
               config.prog_name);
  app.set_help_flag();  // -h/--help handled below so that parsing never prints or exits
  bool help = false;
  bool version = false;
  std::vector<std::string> redirects;
  std::string log_format = "text";
  std::vector<std::string> qualifiers;
  std::vector<std::string> inject_long;
  std::vector<std::string> fault_long;
  std::vector<std::string> kinjects;
  app.add_flag("-h,--help", help, "Print this help and exit");
  app.add_flag("--version", version, "Print the version and exit");
  if (!copycat) {
    app.add_option("-r,--redirect", redirects, "Redirect FROM to TO (repeatable)")
        ->type_name("FROM=TO")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_option("-e", qualifiers, "Fault injection: inject=SET:... or fault=SET:... (strace's syntax)")
        ->type_name("EXPR")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_option("--inject", inject_long, "Same as -e inject=SPEC")
        ->type_name("SPEC")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_option("--fault", fault_long, "Same as -e fault=SPEC")
        ->type_name("SPEC")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_option("-P,--trace-path", config.policy.trace_paths,
                   "Inject only into calls that refer to PATH (strace's path tracing; repeatable)")
        ->type_name("PATH")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_option("-o,--output", config.log_path, "Write one line per intercepted call to FILE")->type_name("FILE");
    app.add_option("--log-format", log_format, "Log lines as text or json (JSON lines)")
        ->type_name("text|json");
    app.add_option("--threads", config.threads, "Threads that serve the program's calls (1..64, default 1)")
        ->type_name("N")
        ->check(CLI::Range(1, 64).description(""));
    app.add_flag("--allow-io-uring", config.policy.allow_io_uring,
                 "Let io_uring_setup succeed although io_uring bypasses file rules");
    app.add_option("-k,--kinject", kinjects,
                   "Kernel-function fault (eBPF, root): TARGET[:error=E|:retval=V][:when=][:prob=][:seed=]"
                   "[:chain=F/G][:argN OP V] (repeatable)")
        ->type_name("SPEC")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_flag("--kinject-probe", config.kinject_probe,
                 "Say, one line per mechanism, which kernel fault injection this kernel allows, and exit");
  }
  app.footer(std::string(copycat ? kCopycatFooter : kSysvisorFooter));
  config.help_text = app.help();
  // CLI11 2.1 prints "Usage: NAME [OPTIONS]"; say where the program goes.
  const std::string usage = fmt::format("Usage: {} [OPTIONS]", config.prog_name);
  if (const size_t at = config.help_text.find(usage); at != std::string::npos)
    config.help_text.insert(at + usage.size(), " [--] PROGRAM [ARG...]");

  bool dashdash = false;
  std::string unknown;
  const size_t start = find_program_start(app, args, dashdash, unknown);
  if (!unknown.empty()) return make_error(EINVAL, fmt::format("unknown option '{}' (see --help)", unknown));
  std::vector<std::string> options(args.begin() + (args.empty() ? 0 : 1), args.begin() + static_cast<long>(start));
  std::reverse(options.begin(), options.end());  // CLI11 parses a reversed vector
  try {
    app.parse(options);
  } catch (const CLI::ParseError& e) {
    return make_error(EINVAL, fmt::format("{} (see --help)", e.what()));
  }
  if (help) {
    config.help = true;
    return config;
  }
  if (version) {
    config.version = true;
    return config;
  }

  if (log_format != "text" && log_format != "json")
    return make_error(EINVAL, fmt::format("--log-format '{}': expected text or json", log_format));
  config.log_format = log_format == "json" ? LogFormat::kJson : LogFormat::kText;

  // Environment first, then -r: a later rule for the same FROM replaces an earlier one.
  const char* list = copycat ? env.copycat : env.sysvisor_redirect;
  if (list != nullptr) {
    auto rules = parse_redirect_list(list, cwd, copycat ? "COPYCAT" : "SYSVISOR_REDIRECT");
    if (!rules) return std::move(rules).error();
    for (Redirect& r : *rules) config.policy.redirects.push_back(std::move(r));
  }
  for (const std::string& spec : redirects) {
    auto rule = parse_redirect_option(spec, cwd);
    if (!rule) return std::move(rule).error();
    config.policy.redirects.push_back(std::move(rule).value());
  }

  // -e, --inject and --fault in the order given: a later rule replaces an earlier one.
  std::vector<std::pair<size_t, std::string>> ordered;
  {
    size_t e = 0, i = 0, f = 0;
    for (size_t k = 1; k < start; ++k) {
      const std::string& a = args[k];
      auto take = [&](std::vector<std::string>& from, size_t& n, std::string_view prefix) {
        if (n < from.size()) ordered.emplace_back(k, std::string(prefix) + from[n++]);
      };
      if (a == "-e" || (a.starts_with("-e") && a.size() > 2)) take(qualifiers, e, "");
      else if (a.starts_with("--inject")) take(inject_long, i, "inject=");
      else if (a.starts_with("--fault")) take(fault_long, f, "fault=");
    }
  }
  for (const auto& [position, value] : ordered) {
    auto rule = parse_inject_option(value);
    if (!rule) return std::move(rule).error();
    config.policy.injects.push_back(std::move(rule).value());
  }
  for (const std::string& p : config.policy.trace_paths)
    if (p.empty()) return make_error(EINVAL, "-P '': empty path");
  for (const std::string& spec : kinjects) {
    auto rule = parse_kinject_option(spec);
    if (!rule) return std::move(rule).error();
    config.policy.kinjects.push_back(std::move(rule).value());
  }
  if (config.policy.kinjects.size() > kKinjectMaxRules)
    return make_error(EINVAL, fmt::format("-k: at most {} rules", kKinjectMaxRules));
  if (config.kinject_probe) return config;  // needs no program

  const size_t program = start + (dashdash ? 1 : 0);
  if (program >= args.size()) return make_error(EINVAL, "no program given (see --help)");
  config.command.argv.assign(args.begin() + static_cast<long>(program), args.end());
  return config;
}
}  // namespace

}  // namespace sysvisor
