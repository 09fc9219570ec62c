// The parser behind sysvisor/inject.hpp's parse_inject_option, whose errors say only what is
// wrong: parse_inject_option names the rule ("inject rule '…': …"), the command line its option
// ("-e …: …", src/cli/cli.cpp).
#pragma once

#include <string_view>

#include "sysvisor/inject.hpp"
#include "sysvisor/result.hpp"

namespace sysvisor {

// As parse_inject_option, the message without a prefix: "unknown errno 'EFOO'".
Result<InjectRule> parse_inject_reason(std::string_view value);

}  // namespace sysvisor
