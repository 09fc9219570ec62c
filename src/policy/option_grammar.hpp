// The values -e inject=/fault= and -k share: error=, retval=, when=, signal=. One reading for both
// options, strace 6.1's, so that the same text means the same thing (and is refused with the same
// words) wherever it is written. Pure: no I/O, no state; thread-safe.
//
// Each parse_*_value returns the value or an EINVAL Error whose message is a clause naming the
// value and why, without the option: "unknown errno 'EFOO'". The caller prefixes the rule or its
// option ("inject rule 'open:error=EFOO': …", "-k 'kmalloc:error=EFOO': …"; policy/rule_name.hpp).
//
// Reference: strace 6.1 filter_qualify.c (parse_inject_token), util.c (string_to_uint_ex),
// signal.c (sigstr_to_uint); the acceptance rules were measured on the strace 6.1 binary (see
// option_grammar.cpp and tests/unit/test_option_grammar.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "sysvisor/inject.hpp"  // When, kWhenLastInf, and the public lookups declared again below
#include "sysvisor/result.hpp"

namespace sysvisor {

// Largest errno error= takes (strace's MAX_ERRNO_VALUE; the kernel's MAX_ERRNO).
inline constexpr int kMaxErrnoValue = 4095;
// Largest signal number signal= takes (strace's NSIG_BYTES * 8 on x86).
inline constexpr int kMaxSignalValue = 64;

// A number as strace's string_to_uint_ex reads it: strtoll base 10 (leading blanks and one sign
// allowed; no hex, and a leading 0 is not octal), non-negative, at most `max`, then the end of
// the string or one character of `ending`.
struct UintParse {
  long long value = -1;  // -1: rejected
  size_t end = 0;        // index of the first unread character (valid when value >= 0)
};
UintParse string_to_uint(std::string_view text, unsigned long long max, std::string_view ending = {});

// error=ERRNO: decimal 1..4095 as string_to_uint reads it ("010" is 10, "+5" and " 5" are 5;
// "0x10", "0", "4096", "-1" are refused), else a name errno_by_name knows. Clauses:
// "errno '4096' out of range 1..4095", "invalid errno '0x10' (…)", "unknown errno 'EFOO'".
Result<int> parse_error_value(std::string_view text);

// retval=VALUE: strtoull base 0 over the whole string (blanks and a sign before it, 0x hex,
// 0 octal; a negative number wraps modulo 2^64, "-1" is 2^64-1). Clause: "invalid retval '08'
// (…)". The caller decides what the bits mean (-k reads them as a signed long).
Result<uint64_t> parse_retval_value(std::string_view text);

// One error= or retval= item (key with its '=') of a rule that may have one of them already: each
// once, and not both. Exactly one of the two is set in the result.
struct AnswerItem {
  std::optional<int> error;
  std::optional<uint64_t> retval;
};
Result<AnswerItem> parse_answer_item(std::string_view key, std::string_view value, bool has_error, bool has_retval);

// when=EXPR (FIRST, FIRST+, FIRST+STEP, FIRST..LAST, FIRST..LAST+STEP; FIRST and STEP 1..65535,
// LAST FIRST..65534). Clause: "invalid when '0' (…)".
Result<When> parse_when_value(std::string_view text);

// signal=SIG: decimal 1..64 (first character a digit), or a name with or without SIG in any
// case (HUP..SYS, RTMIN, RT_1..RT_32). Clause: "unknown signal 'X' (…)".
Result<int> parse_signal_value(std::string_view text);

// The lookups under the parsers, also public API (sysvisor/inject.hpp) and defined with them.
// sysvisor's own keys, shared by -e and -k:
// An argument test's value or a seed: a whole-string integer as C reads it (0x hex, a leading 0
// octal, else decimal), optionally negative (the two's-complement register); nothing otherwise.
std::optional<uint64_t> parse_register_value(std::string_view text);
// prob=: "0.05" or "5%", in [0, 1]; nothing otherwise (each option says which range it takes).
std::optional<double> parse_probability_value(std::string_view text);

std::optional<When> parse_when_expr(std::string_view text);
std::optional<int> errno_by_name(std::string_view name);
std::optional<int> signal_by_spec(std::string_view spec);

}  // namespace sysvisor
