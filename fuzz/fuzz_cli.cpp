// libFuzzer target: parse_command_line (src/cli.hpp) on arbitrary argv and environment.
//
// Input: one mode byte, then words separated by NUL bytes. Mode bits 0-1 pick argv[0]: "sysvisor",
// "copycat", "/usr/local/bin/copycat", or the first word (no word: an empty argv, as execve allows).
// Bit 2: the next word is SYSVISOR_REDIRECT; bit 3: the next word is COPYCAT. The remaining words are
// the rest of argv. ASCII digits make readable seeds: '0' = sysvisor, '1' = copycat, '4' = sysvisor with
// SYSVISOR_REDIRECT, '9' = copycat with COPYCAT.
// Must hold: no exception escapes; an error is one non-empty line; a success names sysvisor or copycat,
// has a program (unless --help/--version) that is a tail of argv, --threads 0 (not given) or 1..64,
// and clean rules.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/cli.hpp"
#include "fuzz_check.hpp"
#include "sysvisor/path.hpp"

namespace {

using sysvisor::fuzz::quoted;

std::string show_args(const std::vector<std::string>& args, const std::optional<std::string>& redirect,
                      const std::optional<std::string>& copycat) {
  std::string out = "argv:";
  for (const std::string& a : args) out += " " + quoted(a);
  if (redirect) out += "\nSYSVISOR_REDIRECT=" + quoted(*redirect);
  if (copycat) out += "\nCOPYCAT=" + quoted(*copycat);
  return out;
}

bool clean_path(const std::string& p) {
  return !p.empty() && p.front() == '/' && sysvisor::normalise_path(p) == p && (p == "/" || p.back() != '/');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const unsigned mode = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (sysvisor::fuzz::may_blow_up_regcomp(rest)) return -1;  // -e inject=/REGEX: see fuzz_check.hpp
  std::vector<std::string> words;
  for (size_t i = 0; i <= rest.size();) {
    size_t j = rest.find('\0', i);
    if (j == std::string_view::npos) j = rest.size();
    words.emplace_back(rest.substr(i, j - i));
    i = j + 1;
  }
  if (rest.empty()) words.clear();
  size_t next = 0;
  std::optional<std::string> redirect;
  std::optional<std::string> copycat;
  if ((mode & 4) != 0 && next < words.size()) redirect = words[next++];
  if ((mode & 8) != 0 && next < words.size()) copycat = words[next++];
  std::vector<std::string> args;
  switch (mode & 3) {
    case 0: args.emplace_back("sysvisor"); break;
    case 1: args.emplace_back("copycat"); break;
    case 2: args.emplace_back("/usr/local/bin/copycat"); break;
    default: break;  // argv[0] is the first word
  }
  args.insert(args.end(), words.begin() + static_cast<long>(next), words.end());

  const sysvisor::CliEnv env{redirect ? redirect->c_str() : nullptr, copycat ? copycat->c_str() : nullptr};
  std::optional<sysvisor::Result<sysvisor::CliConfig>> parsed;
  try {
    parsed.emplace(sysvisor::parse_command_line(args, env, "/home/u"));
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, std::string("exception: ") + e.what() + "\n" + show_args(args, redirect, copycat));
  } catch (...) {
    FUZZ_CHECK(false, "exception of unknown type\n" + show_args(args, redirect, copycat));
  }
  const auto& result = *parsed;
  if (!result) {
    const std::string& message = result.error().message;
    FUZZ_CHECK(!message.empty(), show_args(args, redirect, copycat));
    FUZZ_CHECK(message.find('\n') == std::string::npos,
               "message " + quoted(message) + "\n" + show_args(args, redirect, copycat));
    return 0;
  }
  const sysvisor::CliConfig& config = *result;
  FUZZ_CHECK(config.prog_name == "sysvisor" || config.prog_name == "copycat",
             "prog_name " + quoted(config.prog_name) + "\n" + show_args(args, redirect, copycat));
  if (config.help || config.version) return 0;
  const auto& argv = config.command.argv;
  FUZZ_CHECK(!argv.empty() && argv.size() < args.size() &&
                 std::equal(argv.rbegin(), argv.rend(), args.rbegin()),
             "program argv is not a tail of argv\n" + show_args(args, redirect, copycat));
  FUZZ_CHECK(config.threads >= 0 && config.threads <= 64,
             "--threads " + std::to_string(config.threads) + "\n" + show_args(args, redirect, copycat));
  for (const sysvisor::Redirect& r : config.policy.redirects) {
    FUZZ_CHECK(clean_path(r.from) && clean_path(r.to),
               "rule " + quoted(r.from) + " -> " + quoted(r.to) + "\n" + show_args(args, redirect, copycat));
  }
  return 0;
}
