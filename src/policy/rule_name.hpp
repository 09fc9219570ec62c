// How messages name a rule. The library names it as a rule ("inject rule 'openat:error=EFOO':
// unknown errno 'EFOO'"); the command line names the option that wrote it instead ("-e
// inject=openat:error=EFOO: ..."): it parses with the reason-only parsers and adds its own
// prefix, and puts its option names in place of these in run()'s messages (src/cli/cli.cpp).
#pragma once

#include <string>
#include <string_view>

namespace sysvisor {

// "inject rule 'SPEC'" (SPEC as Policy::inject or parse_inject_option got it).
inline std::string inject_rule_name(std::string_view spec) { return "inject rule '" + std::string(spec) + "'"; }
// "kinject rule 'SPEC'".
inline std::string kinject_rule_name(std::string_view spec) { return "kinject rule '" + std::string(spec) + "'"; }
// "redirect rule 'FROM=TO'" (parse_redirect_option's one word).
inline std::string redirect_rule_name(std::string_view spec) { return "redirect rule '" + std::string(spec) + "'"; }
// "redirect rule 'FROM' -> 'TO'" (Policy::redirect's two).
inline std::string redirect_rule_name(std::string_view from, std::string_view to) {
  return "redirect rule '" + std::string(from) + "' -> '" + std::string(to) + "'";
}
// What a message about the kernel-function rules as a whole starts with ("kinject: at most 8 rules").
inline constexpr std::string_view kKinjectRules = "kinject";

}  // namespace sysvisor
