// Path redirection rules (FROM -> TO) and their matching. Pure: no file system access.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sysvisor/api.hpp"
#include "sysvisor/result.hpp"

namespace sysvisor {

// One rule. `from` and `to` are absolute and lexically normalised, without a trailing '/'.
// A prefix rule (FROM written with a trailing '/') maps FROM itself and everything below it.
struct Redirect {
  std::string from;     // the path the program uses
  std::string to;       // the path it gets instead
  bool prefix = false;  // true: FROM and everything below it
};

// Parses "FROM=TO" (the -r option). A relative TO is made absolute against `cwd`.
// Errors (EINVAL, one line naming the rule: "redirect rule 'etc/a=b': FROM 'etc/a' is not an
// absolute path"): missing '=', empty or relative FROM, empty TO.
SYSVISOR_API Result<Redirect> parse_redirect_option(std::string_view spec, std::string_view cwd);

// Parses "FROM TO [FROM TO ...]" (SYSVISOR_REDIRECT / COPYCAT), whitespace separated.
// `source` names the variable in messages. Errors: odd number of words, empty or relative FROM.
SYSVISOR_API Result<std::vector<Redirect>> parse_redirect_list(std::string_view words, std::string_view cwd,
                                                               std::string_view source);

}  // namespace sysvisor
