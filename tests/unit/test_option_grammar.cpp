// The values -e inject= and -k share (src/policy/option_grammar.hpp): error=, retval=, when=,
// signal=. Expectations are strace 6.1's verdicts, measured with the binary
// (`strace -f -qq -o /dev/null -e inject=getppid:KEY=VALUE true`; the value read back from
// `strace -e trace=getppid -e inject=getppid:error=V bash -c :`), or computed independently of
// the parser (glibc's strerrorname_np/sigabbrev_np for names, arithmetic for numbers).
//
// Mutants these tests kill (each was checked to turn a CHECK red):
//   - error= read with base 0 (hex/octal accepted: "0x10" ok, "010" = 8): "error forms";
//   - the range check off by one at either end (0 or 4096 accepted, 1 or 4095 refused): "sweep";
//   - leading blanks or '+' refused (strace's strtoll takes them): "error forms";
//   - names compared case-sensitively, or an alias added: "names";
//   - when= LAST allowed to equal 65535 or to be below FIRST, STEP 0 accepted: "when=";
//   - signal= taking '+' or blanks, or 65: "signal=";
//   - -k given its own error= reading again (the drift of issue 12): "-e and -k agree".
#include <doctest/doctest.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "policy/option_grammar.hpp"
#include "sysvisor/inject.hpp"
#include "sysvisor/kinject.hpp"

using namespace sysvisor;

namespace {

std::optional<int> error_of(const std::string& text) {
  const Result<int> r = parse_error_value(text);
  if (!r) return std::nullopt;
  return *r;
}

std::string error_clause(const std::string& text) {
  const Result<int> r = parse_error_value(text);
  if (r) FAIL("accepted: '", text, "'");
  CHECK(r.error().code == EINVAL);
  return r.error().message;
}

std::optional<uint64_t> retval_of(const std::string& text) {
  const Result<uint64_t> r = parse_retval_value(text);
  if (!r) return std::nullopt;
  return *r;
}

std::optional<int> signal_of(const std::string& text) {
  const Result<int> r = parse_signal_value(text);
  if (!r) return std::nullopt;
  return *r;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

// "EnOsYs": every other letter lowered.
std::string mixed(std::string s) {
  for (size_t i = 1; i < s.size(); i += 2) s[i] = lower(std::string(1, s[i]))[0];
  return s;
}

}  // namespace

TEST_CASE("error= sweep: decimal 0..5000 is accepted exactly on 1..4095, as that number") {
  for (int n = 0; n <= 5000; ++n) {
    const auto e = error_of(std::to_string(n));
    CAPTURE(n);
    if (n >= 1 && n <= 4095) {
      CHECK(e == n);
    } else {
      CHECK_FALSE(e);
    }
  }
  CHECK(error_of("1") == 1);
  CHECK(error_of("4095") == 4095);
  CHECK_FALSE(error_of("0"));
  CHECK_FALSE(error_of("4096"));
}

TEST_CASE("error forms: what strace 6.1 accepts, and the number it injects") {
  // Decimal only: a leading 0 is not octal, and strtoll skips leading blanks and one sign.
  CHECK(error_of("010") == 10);
  CHECK(error_of("08") == 8);
  CHECK(error_of("0010") == 10);
  CHECK(error_of("04095") == 4095);
  CHECK(error_of("+5") == 5);
  CHECK(error_of("+010") == 10);
  CHECK(error_of(" 5") == 5);
  CHECK(error_of(" +5") == 5);
  CHECK(error_of("\t7") == 7);
  CHECK(error_of("\n5") == 5);
  for (const char* bad : {"0x10", "0X10", "0x1", "0x0", "0xfff", "00", "+0", "-0", "-1", " -1", "004096",
                          "+4096", "1e1", "5x", "5 ", "5\n", "0 ", "++5", "+-5", "", " ", "+", "4294967297",
                          "9223372036854775807", "9223372036854775808", "99999999999999999999",
                          "-99999999999999999999", "E", " EPERM", "EPERM ", "+EPERM", "EPERM\n"}) {
    CHECK_MESSAGE(!error_of(bad), "'", bad, "'");
  }
}

TEST_CASE("error= names: strace 6.1's list, in any case; numbers and names agree") {
  // glibc names every errno 1..133 but 41 and 58 as the kernel does, which is strace's list.
  for (int e = 1; e <= 133; ++e) {
    const char* name = strerrorname_np(e);
    CAPTURE(e);
    if (name == nullptr) {
      CHECK((e == 41 || e == 58));
      continue;
    }
    CHECK(error_of(name) == e);
    CHECK(error_of(lower(name)) == e);
    CHECK(error_of(mixed(name)) == e);
  }
  CHECK(error_of("ERESTARTSYS") == 512);
  CHECK(error_of("erestart_restartblock") == 516);
  CHECK(error_of("EnOtSuPp") == 524);
  CHECK(error_of("ERECALLCONFLICT") == 530);
  // Aliases and names strace 6.1 does not know (measured), and near misses.
  for (const char* bad : {"EWOULDBLOCK", "EDEADLOCK", "ENOTSUP", "ENOPARAM", "ENOGRACE", "EPERMX", "PERM",
                          "EPER", "E", "EFOO", "ERESTART_", "E2BIG2"}) {
    CHECK_MESSAGE(!error_of(bad), bad);
  }
}

TEST_CASE("error= clauses") {
  CHECK(error_clause("EFOO") == "unknown errno 'EFOO'");
  CHECK(error_clause("0") == "errno '0' out of range 1..4095");
  CHECK(error_clause("4096") == "errno '4096' out of range 1..4095");
  CHECK(error_clause("-1") == "errno '-1' out of range 1..4095");
  CHECK(error_clause("99999999999999999999") == "errno '99999999999999999999' out of range 1..4095");
  CHECK(error_clause("0x10") == "invalid errno '0x10' (1..4095 in decimal, or a name such as EPERM)");
  CHECK(error_clause(" 5x") == "invalid errno ' 5x' (1..4095 in decimal, or a name such as EPERM)");
  CHECK(error_clause("") == "missing errno (1..4095 in decimal, or a name such as EPERM)");
}

TEST_CASE("retval=: strtoull base 0 over the whole string, as strace 6.1") {
  CHECK(retval_of("0") == 0u);
  CHECK(retval_of("1") == 1u);
  CHECK(retval_of(" 1") == 1u);
  CHECK(retval_of("+1") == 1u);
  CHECK(retval_of("0x10") == 16u);
  CHECK(retval_of("0X10") == 16u);
  CHECK(retval_of("077") == 63u);
  CHECK(retval_of("-1") == UINT64_MAX);
  CHECK(retval_of("-0x10") == UINT64_MAX - 15);
  CHECK(retval_of("18446744073709551615") == UINT64_MAX);
  CHECK(retval_of("-18446744073709551615") == 1u);
  CHECK(retval_of("-9223372036854775809") == (uint64_t{1} << 63) - 1);
  for (const char* bad : {"08", "09", "1x", "1 ", "", " ", "x", "0x", "-", "+", "18446744073709551616",
                          "-18446744073709551616", "1e3", "0x1g"}) {
    CHECK_MESSAGE(!retval_of(bad), "'", bad, "'");
  }
  const Result<uint64_t> r = parse_retval_value("08");
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "invalid retval '08' (a number: decimal, 0x hex or 0 octal)");
}

TEST_CASE("when=: FIRST, LAST and STEP at their bounds") {
  CHECK_FALSE(parse_when_expr("0"));
  CHECK(parse_when_expr("1") == When{1, kWhenLastInf, 0});
  CHECK(parse_when_expr("65535") == When{65535, kWhenLastInf, 0});
  CHECK_FALSE(parse_when_expr("65536"));
  CHECK(parse_when_expr("010") == When{10, kWhenLastInf, 0});  // decimal, as error=
  CHECK(parse_when_expr(" 3") == When{3, kWhenLastInf, 0});
  CHECK(parse_when_expr("4..4") == When{4, 4, 1});
  CHECK(parse_when_expr("1..65534") == When{1, 65534, 1});
  CHECK(parse_when_expr("65534..65534") == When{65534, 65534, 1});
  CHECK_FALSE(parse_when_expr("1..65535"));    // 65535 is "no end"
  CHECK_FALSE(parse_when_expr("65535..65535"));
  CHECK_FALSE(parse_when_expr("5..4"));
  CHECK_FALSE(parse_when_expr("1..0"));
  CHECK(parse_when_expr("1+1") == When{1, kWhenLastInf, 1});
  CHECK(parse_when_expr("1+65535") == When{1, kWhenLastInf, 65535});
  CHECK_FALSE(parse_when_expr("1+0"));
  CHECK_FALSE(parse_when_expr("1+65536"));
  CHECK(parse_when_expr("2..9+3") == When{2, 9, 3});
  CHECK_FALSE(parse_when_expr("2..9+0"));
  for (const char* bad : {"", " ", "0x10", "-1", "+", "..", "1..", "..5", "1.5", "1...5", "1 ", "1+2+", "1++", "x"}) {
    CHECK_MESSAGE(!parse_when_expr(bad), "'", bad, "'");
  }
  // FIRST..LAST over a grid: accepted exactly when FIRST <= LAST <= 65534, FIRST >= 1.
  const unsigned points[] = {0, 1, 2, 100, 65533, 65534, 65535, 65536};
  for (const unsigned first : points) {
    for (const unsigned last : points) {
      const auto w = parse_when_expr(std::to_string(first) + ".." + std::to_string(last));
      CAPTURE(first);
      CAPTURE(last);
      if (first >= 1 && first <= last && last <= 65534) {
        CHECK(w == When{static_cast<uint16_t>(first), static_cast<uint16_t>(last), 1});
      } else {
        CHECK_FALSE(w);
      }
    }
  }
  const Result<When> r = parse_when_value("5..4");
  REQUIRE_FALSE(r);
  CHECK(r.error().message ==
        "invalid when '5..4' (FIRST, FIRST+, FIRST+STEP, FIRST..LAST or FIRST..LAST+STEP with FIRST and STEP "
        "1..65535, LAST FIRST..65534)");
}

TEST_CASE("signal=: numbers 1..64 and names in any case") {
  for (int n = 0; n <= 300; ++n) {
    CAPTURE(n);
    CHECK(signal_of(std::to_string(n)) == (n >= 1 && n <= 64 ? std::optional<int>(n) : std::nullopt));
  }
  CHECK(signal_of("010") == 10);  // decimal
  for (const char* bad : {"0x10", "+10", " 10", "10 ", "", "SIG", "sig", "RTMAX", "RT_0", "RT_01", "RT_33",
                          "SIGRT_33", "POLL", "SIGPOLL", "SIGIOT", "SIGCLD", "SIGUNUSED", "SIGLOST", "FOO"}) {
    CHECK_MESSAGE(!signal_of(bad), "'", bad, "'");
  }
  // glibc's abbreviations are strace's for 1..31, except 29, which strace calls IO (glibc POLL).
  for (int s = 1; s <= 31; ++s) {
    const std::string name = s == 29 ? "IO" : sigabbrev_np(s);
    CAPTURE(name);
    CHECK(signal_of(name) == s);
    CHECK(signal_of("SIG" + name) == s);
    CHECK(signal_of(lower("SIG" + name)) == s);
    CHECK(signal_of(mixed("Sig" + name)) == s);
  }
  CHECK(signal_of("RTMIN") == 32);
  CHECK(signal_of("sigrtmin") == 32);
  for (int i = 1; i <= 32; ++i) {
    CHECK(signal_of("RT_" + std::to_string(i)) == 32 + i);
    CHECK(signal_of("sigrt_" + std::to_string(i)) == 32 + i);
  }
  const Result<int> r = parse_signal_value("65");
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "unknown signal '65' (a name such as USR1 or SIGUSR1, or 1..64)");
}

TEST_CASE("string_to_uint: strace's string_to_uint_ex") {
  CHECK(string_to_uint("0", 10).value == 0);
  CHECK(string_to_uint("10", 10).value == 10);
  CHECK(string_to_uint("11", 10).value == -1);
  CHECK(string_to_uint("", 10).value == -1);
  CHECK(string_to_uint("-1", 10).value == -1);
  CHECK(string_to_uint("0x1", 10).value == -1);
  const UintParse p = string_to_uint("3..5", 100, ".");
  CHECK(p.value == 3);
  CHECK(p.end == 1);
  CHECK(string_to_uint("3+", 100, ".").value == -1);
  CHECK(string_to_uint("9223372036854775807", UINT64_MAX).value == INT64_MAX);
  CHECK(string_to_uint("9223372036854775808", UINT64_MAX).value == -1);
}

TEST_CASE("-e and -k give the same verdict, value and clause for the same error= text") {
  std::vector<std::string> values;
  for (int n = -5; n <= 4100; ++n) values.push_back(std::to_string(n));
  for (const int n : {0, 1, 8, 10, 16, 4095, 4096}) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%x", static_cast<unsigned>(n));
    values.emplace_back(buf);
    std::snprintf(buf, sizeof buf, "0%o", static_cast<unsigned>(n));
    values.emplace_back(buf);
    values.push_back("+" + std::to_string(n));
    values.push_back(" " + std::to_string(n));
    values.push_back(std::to_string(n) + " ");
  }
  for (const char* v : {"", "EPERM", "eperm", "EnOmEm", "ENOTSUPP", "ERESTARTSYS", "EWOULDBLOCK", "EFOO", "1e1",
                        "-0", "00", "99999999999999999999"}) {
    values.emplace_back(v);
  }
  for (const std::string& v : values) {
    CAPTURE(v);
    const Result<InjectRule> e = parse_inject_option("inject=getppid:error=" + v);
    const Result<KinjectRule> k = parse_kinject_option("kmalloc:error=" + v);
    REQUIRE(e.ok() == k.ok());
    if (e) {
      CHECK(e->error == k->error);
      continue;
    }
    const std::string e_prefix = "inject rule 'inject=getppid:error=" + v + "': ";
    const std::string k_prefix = "kinject rule 'kmalloc:error=" + v + "': ";
    REQUIRE(e.error().message.rfind(e_prefix, 0) == 0);
    REQUIRE(k.error().message.rfind(k_prefix, 0) == 0);
    CHECK(e.error().message.substr(e_prefix.size()) == k.error().message.substr(k_prefix.size()));
  }
}

TEST_CASE("-e and -k read when= and retval= alike") {
  for (const char* w : {"0", "1", "2+", "3+2", "65535", "65536", "5..4", "4..4", "1..65535", "010", "0x10", ""}) {
    CAPTURE(w);
    const Result<InjectRule> e = parse_inject_option(std::string("inject=getppid:error=1:when=") + w);
    const Result<KinjectRule> k = parse_kinject_option(std::string("kmalloc:when=") + w);
    REQUIRE(e.ok() == k.ok());
    if (e) CHECK(e->when == k->when);
  }
  for (const char* v : {"0", "-1", " 1", "+1", "0x10", "077", "08", "1x", "18446744073709551616",
                        "-18446744073709551615", ""}) {
    CAPTURE(v);
    const Result<InjectRule> e = parse_inject_option(std::string("inject=getppid:retval=") + v);
    const Result<KinjectRule> k = parse_kinject_option(std::string("do_mmap:retval=") + v);
    REQUIRE(e.ok() == k.ok());
    if (e) CHECK(static_cast<int64_t>(*e->retval) == *k->retval);
  }
}
