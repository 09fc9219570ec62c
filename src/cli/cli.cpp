#include "cli/cli.hpp"

#include "inject/inject_parse.hpp"
#include "kinject/kinject_plan.hpp"
#include "policy/one_line.hpp"
#include "policy/redirect_table.hpp"
#include "policy/rule_name.hpp"

#include <array>
#include <vector>

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

// Hints for the two likely slips between the two redirection syntaxes: `-r FROM=TO` is one word,
// SYSVISOR_REDIRECT and COPYCAT take "FROM TO" pairs.

std::vector<std::string_view> split_words(std::string_view text) {
  constexpr std::string_view kSpace = " \t\n\r\v\f";  // as parse_redirect_list splits
  std::vector<std::string_view> words;
  size_t i = text.find_first_not_of(kSpace);
  while (i != std::string_view::npos) {
    const size_t j = text.find_first_of(kSpace, i);
    words.push_back(text.substr(i, j == std::string_view::npos ? j : j - i));
    i = j == std::string_view::npos ? j : text.find_first_not_of(kSpace, j);
  }
  return words;
}

// A word written as `-r`'s FROM=TO: an absolute FROM, '=', a non-empty TO.
bool looks_like_from_eq_to(std::string_view word) {
  const size_t eq = word.find('=');
  return eq != std::string_view::npos && word.front() == '/' && eq + 1 < word.size();
}

// The same, with a TO that starts like a path (/, ., ~): a real file name with '=' in it, such as a
// partition directory `/data/year=2024/`, does not.
bool surely_from_eq_to(std::string_view word) {
  if (!looks_like_from_eq_to(word)) return false;
  const char c = word[word.find('=') + 1];
  return c == '/' || c == '.' || c == '~';
}

// "; separate FROM and TO with a space, not '=': VAR="FROM TO ..."" with each FROM=TO word split at
// its first '=' (as -r splits), when that gives pairs; else naming the first word with a '='. Empty
// when no word has a '='.
std::string list_hint(std::span<const std::string_view> words, std::string_view var) {
  std::string fixed;
  size_t count = 0;
  auto add = [&](std::string_view word) {
    if (!fixed.empty()) fixed += ' ';
    fixed += word;
    ++count;
  };
  std::string_view first_eq;
  for (const std::string_view w : words) {
    const size_t eq = w.find('=');
    if (eq != std::string_view::npos && first_eq.empty()) first_eq = w;
    if (looks_like_from_eq_to(w)) {
      add(w.substr(0, eq));
      add(w.substr(eq + 1));
    } else {
      add(w);
    }
  }
  if (first_eq.empty()) return {};
  if (count % 2 == 0)
    return fmt::format("; separate FROM and TO with a space, not '=': {}=\"{}\"", var, fixed);
  return fmt::format("; separate FROM and TO with a space, not '=' ('{}')", first_eq);
}

// A SYSVISOR_REDIRECT or COPYCAT value that parses but is surely FROM=TO words (a pair of them) is
// refused, so that the program does not run with a redirection of a path named "/a=/b".
Result<void> check_redirect_list(std::string_view value, std::string_view var) {
  const std::vector<std::string_view> words = split_words(value);
  for (size_t k = 0; k + 1 < words.size(); k += 2)
    if (surely_from_eq_to(words[k]) && surely_from_eq_to(words[k + 1]))
      return make_error(EINVAL, fmt::format("{}: '{}' '{}' is two FROM=TO words, not a FROM TO pair{}", var,
                                            words[k], words[k + 1], list_hint(words, var)));
  return {};
}

// `-r FROM TO`: the hint for the error of the -r at args[k], when its value has no '=' and the word
// after it looks like a path (it has a '/'). Empty otherwise.
std::string redirect_option_hint(std::span<const std::string> args, size_t k) {
  const std::string& a = args[k];
  std::string option, value;
  size_t next = k + 1;
  if (a == "-r" || a == "--redirect") {
    if (k + 1 >= args.size()) return {};
    option = a;
    value = args[k + 1];
    next = k + 2;
  } else if (a.starts_with("--redirect=")) {
    option = "--redirect";
    value = a.substr(std::string_view("--redirect=").size());
  } else if (a.starts_with("-r")) {
    option = "-r";
    value = a.substr(2);
  } else {
    return {};
  }
  if (value.empty() || value.find('=') != std::string::npos || next >= args.size()) return {};
  const std::string& to = args[next];
  if (to.starts_with("-") || to.find('/') == std::string::npos) return {};
  return fmt::format("; write {0} {1}={2} (one word), not {0} {1} {2}", option, value, to);
}

// SYSVISOR_REDIRECT or COPYCAT (`var`): the pairs of `list`, appended to `out`; the errors with the
// FROM=TO hint.
Result<void> add_list_redirects(std::string_view list, std::string_view var, std::string_view cwd,
                                std::vector<Redirect>& out) {
  auto rules = parse_redirect_list(list, cwd, var);
  if (!rules) {
    Error e = std::move(rules).error();
    const std::vector<std::string_view> words = split_words(list);
    if (words.size() % 2 != 0) e.message += list_hint(words, var);
    return e;
  }
  if (auto checked = check_redirect_list(list, var); !checked) return checked;
  for (Redirect& r : *rules) out.push_back(std::move(r));
  return {};
}

// The -r values CLI11 collected (in order), appended to `out`; the errors with the `-r FROM TO` hint,
// for which the n-th value is matched with the n-th -r word of args[1, start), walked as
// find_program_start walks them.
Result<void> add_option_redirects(const CLI::App& app, std::span<const std::string> args, size_t start,
                                  std::span<const std::string> values, std::string_view cwd,
                                  std::vector<Redirect>& out) {
  std::vector<size_t> redirect_at;
  for (size_t k = 1; k < start; ++k) {
    const std::string& a = args[k];
    const bool long_form = a.starts_with("--");
    const std::string name = long_form ? a.substr(0, a.find('=')) : a.substr(0, 2);
    if (name == "-r" || name == "--redirect") redirect_at.push_back(k);
    const CLI::Option* opt = app.get_option_no_throw(name);
    const bool value_attached = long_form ? a.find('=') != std::string::npos : a.size() > 2;
    if (opt != nullptr && opt->get_expected_max() != 0 && !value_attached) ++k;  // the value is the next word
  }
  for (size_t n = 0; n < values.size(); ++n) {
    auto rule = cli_redirect_rule(values[n], cwd);
    if (!rule) {
      Error e = std::move(rule).error();
      if (n < redirect_at.size()) e.message += redirect_option_hint(args, redirect_at[n]);
      return e;
    }
    out.push_back(std::move(rule).value());
  }
  return {};
}

}  // namespace

Result<InjectRule> cli_inject_rule(std::string_view value) {
  return named("-e " + std::string(value), parse_inject_reason(value));
}

Result<KinjectRule> cli_kinject_rule(std::string_view spec) {
  return named("-k '" + std::string(spec) + "'", parse_kinject_reason(spec));
}

Result<Redirect> cli_redirect_rule(std::string_view spec, std::string_view cwd) {
  return named("-r '" + std::string(spec) + "'", parse_redirect_reason(spec, cwd));
}

std::string cli_message(std::string_view message, const Policy& policy) {
  const std::string line = one_line(message);
  for (const KinjectRule& r : policy.kinjects) {
    const std::string named_rule = one_line(kinject_rule_name(r.text)) + ":";
    if (line.starts_with(named_rule)) return one_line("-k '" + r.text + "':") + line.substr(named_rule.size());
  }
  const std::string all_rules = std::string(kKinjectRules) + ":";
  if (line.starts_with(all_rules)) return "-k:" + line.substr(all_rules.size());
  return line;
}

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
// What CLI11 fills in before the values are checked.
struct RawOptions {
  bool help = false;
  bool version = false;
  std::vector<std::string> redirects;
  std::string log_format = "text";
  std::vector<std::string> qualifiers;
  std::vector<std::string> inject_long;
  std::vector<std::string> fault_long;
  std::vector<std::string> kinjects;
};

// A repeatable option that takes one value each time.
CLI::Option* add_repeatable(CLI::App& app, const char* names, std::vector<std::string>& into, const char* what,
                            const char* type) {
  return app.add_option(names, into, what)
      ->type_name(type)
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

// sysvisor's options (copycat has only -h and --version).
void define_sysvisor_options(CLI::App& app, CliConfig& config, RawOptions& raw) {
  add_repeatable(app, "-r,--redirect", raw.redirects, "Redirect FROM to TO (repeatable)", "FROM=TO");
  add_repeatable(app, "-e", raw.qualifiers, "Fault injection: inject=SET:... or fault=SET:... (strace's syntax)",
                 "EXPR");
  add_repeatable(app, "--inject", raw.inject_long, "Same as -e inject=SPEC", "SPEC");
  add_repeatable(app, "--fault", raw.fault_long, "Same as -e fault=SPEC", "SPEC");
  add_repeatable(app, "-P,--trace-path", config.policy.trace_paths,
                 "Inject only into calls that refer to PATH (strace's path tracing; repeatable)", "PATH");
  app.add_option("-o,--output", config.log_path, "Write one line per intercepted call to FILE")->type_name("FILE");
  app.add_option("--log-format", raw.log_format, "Log lines as text or json (JSON lines)")->type_name("text|json");
  app.add_option("--threads", config.threads,
                 "Threads that receive the program's calls (1..64; default: one per CPU, at most 8, where the "
                 "kernel hands each call to one waiting receiver (Linux 6.11+), else 1)")
      ->type_name("N")
      ->check(CLI::Range(1, 64).description(""));
  app.add_flag("--allow-io-uring", config.policy.allow_io_uring,
               "Let io_uring_setup, io_uring_enter and io_uring_register work although io_uring bypasses "
               "file rules");
  add_repeatable(app, "-k,--kinject", raw.kinjects,
                 "Kernel-function fault (eBPF, root): TARGET[:error=E|:retval=V][:when=][:prob=][:seed=]"
                 "[:chain=F/G][:argN OP V] (repeatable)",
                 "SPEC");
  app.add_flag("--summary", config.summary,
               "At exit, one line per -e and -k rule: calls it matched and injected, 'never matched', or 'in "
               "kernel, not counted' (to the -o file if there is one, else to standard error)");
  app.add_flag("--kinject-probe", config.kinject_probe,
               "Say, one line per mechanism, which kernel fault injection this kernel allows, and exit");
}

// --help's text; CLI11 2.1 prints "Usage: NAME [OPTIONS]": say where the program goes.
std::string help_text(const CLI::App& app, const std::string& prog_name) {
  std::string text = app.help();
  const std::string usage = fmt::format("Usage: {} [OPTIONS]", prog_name);
  if (const size_t at = text.find(usage); at != std::string::npos) text.insert(at + usage.size(), " [--] PROGRAM [ARG...]");
  return text;
}

// -e, --inject and --fault in the order given (a later rule replaces an earlier one), then -P
// and -k.
Result<void> add_fault_rules(std::span<const std::string> args, size_t start, RawOptions& raw, CliConfig& config) {
  std::vector<std::string> ordered;
  size_t e = 0, i = 0, f = 0;
  for (size_t k = 1; k < start; ++k) {
    const std::string& a = args[k];
    auto take = [&](std::vector<std::string>& from, size_t& n, std::string_view prefix) {
      if (n < from.size()) ordered.push_back(std::string(prefix) + from[n++]);
    };
    if (a == "-e" || (a.starts_with("-e") && a.size() > 2)) take(raw.qualifiers, e, "");
    else if (a.starts_with("--inject")) take(raw.inject_long, i, "inject=");
    else if (a.starts_with("--fault")) take(raw.fault_long, f, "fault=");
  }
  for (const std::string& value : ordered) {
    auto rule = cli_inject_rule(value);
    if (!rule) return std::move(rule).error();
    config.policy.injects.push_back(std::move(rule).value());
  }
  for (const std::string& p : config.policy.trace_paths)
    if (p.empty()) return make_error(EINVAL, "-P '': empty path");
  for (const std::string& spec : raw.kinjects) {
    auto rule = cli_kinject_rule(spec);
    if (!rule) return std::move(rule).error();
    config.policy.kinjects.push_back(std::move(rule).value());
  }
  if (config.policy.kinjects.size() > kKinjectMaxRules)
    return make_error(EINVAL, fmt::format("-k: at most {} rules", kKinjectMaxRules));
  return {};
}

// The values, once CLI11 has parsed the options before `start`: log format, redirections
// (environment first, then -r: a later rule for the same FROM replaces an earlier one), rules.
Result<void> check_values(const CLI::App& app, std::span<const std::string> args, size_t start, const CliEnv& env,
                          std::string_view cwd, RawOptions& raw, CliConfig& config) {
  if (raw.log_format != "text" && raw.log_format != "json")
    return make_error(EINVAL, fmt::format("--log-format '{}': expected text or json", raw.log_format));
  config.log_format = raw.log_format == "json" ? LogFormat::kJson : LogFormat::kText;
  const bool copycat = config.prog_name == "copycat";
  if (const char* list = copycat ? env.copycat : env.sysvisor_redirect; list != nullptr) {
    auto added = add_list_redirects(list, copycat ? "COPYCAT" : "SYSVISOR_REDIRECT", cwd, config.policy.redirects);
    if (!added) return std::move(added).error();
  }
  if (auto added = add_option_redirects(app, args, start, raw.redirects, cwd, config.policy.redirects); !added)
    return std::move(added).error();
  return add_fault_rules(args, start, raw, config);
}

Result<CliConfig> parse_command_line_impl(std::span<const std::string> args, const CliEnv& env, std::string_view cwd) {
  CliConfig config;
  config.prog_name = program_name(args.empty() ? "" : args[0]);
  const bool copycat = config.prog_name == "copycat";
  CLI::App app(copycat ? "copycat: run a program that sees other files in place of the paths it hard-codes"
                       : "sysvisor: run a program under a seccomp user-notification supervisor",
               config.prog_name);
  app.set_help_flag();  // -h/--help handled below so that parsing never prints or exits
  RawOptions raw;
  app.add_flag("-h,--help", raw.help, "Print this help and exit");
  app.add_flag("--version", raw.version, "Print the version and exit");
  if (!copycat) define_sysvisor_options(app, config, raw);
  app.footer(std::string(copycat ? kCopycatFooter : kSysvisorFooter));
  config.help_text = help_text(app, config.prog_name);

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
  config.help = raw.help;
  config.version = raw.version && !raw.help;
  if (config.help || config.version) return config;
  if (auto ok = check_values(app, args, start, env, cwd, raw, config); !ok) return std::move(ok).error();
  if (config.kinject_probe) return config;  // needs no program

  const size_t program = start + (dashdash ? 1 : 0);
  if (program >= args.size()) return make_error(EINVAL, "no program given (see --help)");
  config.command.argv.assign(args.begin() + static_cast<long>(program), args.end());
  return config;
}
}  // namespace

}  // namespace sysvisor
