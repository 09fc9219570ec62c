// The keys sysvisor adds to strace's inject language (sysvisor(1), FAULT INJECTION): parsing of
// argN predicates and their constants, prob=, seed=, short= and path globs. Errors are clauses
// ("invalid probability '2' ..."); the caller names the option.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "sysvisor/inject.hpp"
#include "sysvisor/result.hpp"

namespace sysvisor {

// A value of an argument test: decimal, 0x hex, negative decimal (the register of a negative
// int or long: -100 is AT_FDCWD), or names and numbers joined with | (O_CREAT|O_EXCL).
std::optional<uint64_t> parse_arg_value(std::string_view text);
// True for a token that starts like an argument test ("arg" and a digit).
bool is_arg_predicate(std::string_view token);
Result<ArgPredicate> parse_arg_predicate(std::string_view token);
// prob=: 0.05 or 5%, in (0, 1].
Result<double> parse_probability(std::string_view text);
Result<uint64_t> parse_seed(std::string_view text);
// short=: a byte count, at least 1.
Result<uint64_t> parse_short_len(std::string_view text);
// path=/path2=: an absolute glob.
Result<void> check_path_glob(std::string_view key, std::string_view glob);

}  // namespace sysvisor
