// Messages quote what the user wrote; a newline or other control character in it must not break
// the contract's "one line on stderr". Escapes them C-style (\n, \t, \xNN).
#pragma once

#include <string>
#include <string_view>

#include "sysvisor/result.hpp"

namespace sysvisor {

inline std::string one_line(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\r') out += "\\r";
    else if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

// The same result, its error message (if any) prefixed with `what` and ": ", made one line: how
// a parser's reason ("unknown errno 'EFOO'") names the rule or the option it came from.
template <class T>
Result<T> named(std::string_view what, Result<T> result) {
  if (result) return result;
  Error e = std::move(result).error();
  e.message = one_line(std::string(what) + ": " + e.message);
  return e;
}

// The same result, with its error message (if any) made one line.
template <class T>
Result<T> one_line(Result<T> result) {
  if (result) return result;
  Error e = std::move(result).error();
  e.message = one_line(e.message);
  return e;
}

}  // namespace sysvisor
