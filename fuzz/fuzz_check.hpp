// Shared by the fuzz targets: a property that does not hold prints the property, where it is and the
// values involved, then aborts; libFuzzer reports the abort as a crash and saves the input.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace sysvisor::fuzz {

// Arbitrary bytes in a one-line, quoted, C-escaped form, so that a report shows NULs and newlines.
inline std::string quoted(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20 || u >= 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

// A strace SET token "/REGEX" goes to glibc's regcomp, which needs memory exponential in nested
// repetitions ("/a++++++++++++++++++++++" or "/a{300,}{300,}{300,}": gigabytes), as in strace. That is
// glibc's, not our parsers': the fuzzers reject such inputs so that a short run cannot fail on it by chance.
inline bool may_blow_up_regcomp(std::string_view input) {
  if (input.find('/') == std::string_view::npos) return false;
  if (input.find('{') != std::string_view::npos) return true;
  size_t repetitions = 0;
  for (const char c : input) repetitions += c == '+' || c == '*' || c == '?';
  return repetitions > 10;
}

[[noreturn]] inline void fail(const char* file, int line, const char* property, const std::string& detail) {
  std::fprintf(stderr, "%s:%d: property does not hold: %s\n%s\n", file, line, property, detail.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace sysvisor::fuzz

// `detail` (a std::string expression) is evaluated only when `cond` is false.
#define FUZZ_CHECK(cond, detail)                                             \
  do {                                                                       \
    if (!(cond)) ::sysvisor::fuzz::fail(__FILE__, __LINE__, #cond, (detail)); \
  } while (0)
