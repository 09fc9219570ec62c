// Command-line parsing: argv + environment -> what to run. Pure: no process is started, nothing
// is printed; errors are one-line messages for main() to print with the program-name prefix.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "sysvisor/log.hpp"
#include "sysvisor/result.hpp"
#include "sysvisor/supervisor.hpp"

namespace sysvisor {

struct CliConfig {
  std::string prog_name;   // "sysvisor" or "copycat" (chosen by argv[0])
  Policy policy;
  Command command;
  int threads = 0;         // --threads (0: chosen by the library, RunOptions::threads)
  std::string log_path;    // -o
  LogFormat log_format = LogFormat::kText;
  bool help = false;       // print help_text and exit 0
  bool version = false;
  bool kinject_probe = false;  // --kinject-probe: print what this kernel allows and exit
  bool summary = false;        // --summary: one line per -e and -k rule at exit
  std::string help_text;
};

// The environment variables the CLI reads.
struct CliEnv {
  const char* sysvisor_redirect = nullptr;  // SYSVISOR_REDIRECT
  const char* copycat = nullptr;            // COPYCAT
};

// "copycat" when argv[0]'s base name is copycat, else "sysvisor".
std::string program_name(std::string_view argv0);

// One rule of the command line, through the library's reason-only parsers, the message naming
// the option: "-e inject=open:error=EFOO: unknown errno 'EFOO'" (the library would say "inject
// rule 'inject=open:error=EFOO': ..."), "-k 'kmalloc:error=EFOO': ...", "-r 'etc/a=b': ...".
Result<InjectRule> cli_inject_rule(std::string_view value);
Result<KinjectRule> cli_kinject_rule(std::string_view spec);
Result<Redirect> cli_redirect_rule(std::string_view spec, std::string_view cwd);

// A message of run() as the command line says it: a -k rule named by its option ("-k 'SPEC'",
// "-k:") where the library names it as a rule ("kinject rule 'SPEC'", "kinject:"). One line.
std::string cli_message(std::string_view message, const Policy& policy);

// `args` is the whole argv (args[0] selects sysvisor or copycat). The first word that is not an
// option (or an option's value) ends option parsing, as does "--". `cwd` anchors relative TO paths.
Result<CliConfig> parse_command_line(std::span<const std::string> args, const CliEnv& env, std::string_view cwd);

}  // namespace sysvisor
