// The redirect rules of a run and their matching. Pure: no file system access. Engine-side: the
// library's users write rules (sysvisor/redirect.hpp); the compiled policy indexes them here.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sysvisor/redirect.hpp"

namespace sysvisor {

// One rule FROM -> TO (parse_redirect_option without the '=' split: FROM may hold one). Errors
// say only what is wrong ("FROM 'etc/a' is not an absolute path"): the caller names the rule.
Result<Redirect> make_redirect(std::string_view from, std::string_view to, std::string_view cwd);
// As parse_redirect_option (sysvisor/redirect.hpp), the message without a prefix ("expected
// FROM=TO"): the command line adds its own ("-r 'FROM=TO': ", src/cli/cli.cpp).
Result<Redirect> parse_redirect_reason(std::string_view spec, std::string_view cwd);

// The rule set. Lookup cost grows with the depth of the path, not with the number of rules:
// exact rules first, then the longest matching prefix rule.
class RedirectTable {
 public:
  // A later rule for the same FROM replaces the earlier one.
  void add(const Redirect& rule);
  // True when no rule was added.
  bool empty() const noexcept { return exact_.empty() && prefix_.empty(); }
  // Number of distinct FROMs.
  size_t size() const noexcept { return exact_.size() + prefix_.size(); }

  // `path` is absolute and normalised (see normalise_path); a trailing '/' is carried over to
  // the result. Returns the target path, or nothing when no rule matches.
  std::optional<std::string> lookup(std::string_view path) const;

  // The target and the index (order of add()) of the rule that matched.
  struct Match {
    std::string target;  // where the path goes
    size_t rule = 0;     // index of the rule, in the order add() was called
    bool mount_point = false;  // the path is FROM itself: where the bind mount would be mounted
  };
  std::optional<Match> match(std::string_view path) const;

  // False when no rule can match any absolute form of the relative path `relative`: there are
  // only exact rules and none ends with its last component. Lets callers skip finding the base.
  bool could_match_relative(std::string_view relative) const;

  // The rules in force (one per FROM), in no particular order.
  std::vector<Redirect> rules() const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  struct Target {
    std::string to;
    size_t rule = 0;
  };
  std::unordered_map<std::string, Target, Hash, std::equal_to<>> exact_;
  std::unordered_map<std::string, Target, Hash, std::equal_to<>> prefix_;
  size_t added_ = 0;
  std::unordered_map<std::string, size_t, Hash, std::equal_to<>> exact_names_;  // last components
};

}  // namespace sysvisor
