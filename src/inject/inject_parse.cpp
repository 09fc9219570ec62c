// Parser for strace 6.1's -e inject= / -e fault= language and its syscall SETs.
//
// Each rule below states the strace 6.1 behaviour it reproduces; all were checked against the
// strace 6.1 binary (`strace -f -qq -o /dev/null -e … true`) and are pinned by
// tests/unit/test_inject_parse.cpp. Where sysvisor refuses what strace accepts, the refusal
// says why (user notification cannot do it). The values of error=, retval=, when= and signal=
// are read by src/policy/option_grammar.cpp, which -k shares.
#include <regex.h>

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "inject/inject_parse.hpp"
#include "policy/inject_table.hpp"
#include "policy/option_grammar.hpp"
#include "policy/syscall_table.hpp"
#include "sysvisor/inject.hpp"
#include "policy/one_line.hpp"
#include "inject/inject_extensions.hpp"
#include "policy/rule_name.hpp"

namespace sysvisor {
namespace {

constexpr size_t kMaxPokeHex = 2048;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Splits like strtok_r: empty pieces are skipped.
std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= s.size()) {
    const size_t j = std::min(s.find(sep, i), s.size());
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// SET parsing (strace's qualify_syscall_tokens).

enum class TokenResult { kFound, kNotFound };

struct Regex {
  regex_t re{};
  bool ok = false;
  ~Regex() {
    if (ok) regfree(&re);
  }
};

// Personalities a SET token can name: ours and x32 (accepted, never matching).
enum class SetPers : uint8_t { k64 = 0, k32 = 1, kX32 = 2 };

Personality to_personality(SetPers p) { return p == SetPers::k64 ? Personality::kX86_64 : Personality::kI386; }

// strace's qualify_syscall_pers for one personality: adds matches to `set`.
Result<bool> qualify_pers(std::string_view token, SetPers p, SyscallSet& set) {
  const SyscallTable& table = SyscallTable::instance();
  if (!token.empty() && token[0] >= '0' && token[0] <= '9') {
    const UintParse n = string_to_uint(std::string(token), INT_MAX);
    if (n.value < 0) return false;
    const int nr = static_cast<int>(n.value);
    if (p == SetPers::kX32) return SyscallTable::x32_has_number(nr);
    if (!table.number_valid(to_personality(p), nr)) return false;
    set.set(to_personality(p), nr);
    return true;
  }
  if (!token.empty() && token[0] == '/') {
    const std::string pattern(token.substr(1));
    Regex rx;
    if (const int rc = regcomp(&rx.re, pattern.c_str(), REG_EXTENDED | REG_NOSUB); rc != 0) {
      char buf[256];
      regerror(rc, &rx.re, buf, sizeof buf);
      return make_error(EINVAL, "invalid regular expression '" + pattern + "': " + buf);
    }
    rx.ok = true;
    bool found = false;
    if (p == SetPers::kX32) {
      for (const std::string_view name : SyscallTable::x32_names()) {
        found |= regexec(&rx.re, std::string(name).c_str(), 0, nullptr, 0) == 0;
      }
      return found;
    }
    const Personality pers = to_personality(p);
    for (const int nr : table.numbers(pers)) {
      if (regexec(&rx.re, std::string(table.entry(pers, nr)->name).c_str(), 0, nullptr, 0) == 0) {
        set.set(pers, nr);
        found = true;
      }
    }
    return found;
  }
  if (const auto cls = syscall_class_by_name(token)) {
    // A class is "found" even when it has no member in this personality.
    if (p == SetPers::kX32) return true;
    const Personality pers = to_personality(p);
    for (const int nr : table.numbers(pers)) {
      if ((table.entry(pers, nr)->flags & *cls) == *cls) set.set(pers, nr);
    }
    return true;
  }
  if (p == SetPers::kX32) return SyscallTable::x32_has_name(token);
  const Personality pers = to_personality(p);
  const std::vector<int> nrs = table.numbers_named(pers, token);
  for (const int nr : nrs) set.set(pers, nr);
  return !nrs.empty();
}

// strace's qualify_syscall: '?' prefixes, then an optional @64/@32/@x32 suffix.
Result<bool> qualify_token(std::string_view token, SyscallSet& set) {
  bool ok = false;
  while (!token.empty() && token[0] == '?') {
    token.remove_prefix(1);
    ok = true;
  }
  if (const size_t at = token.rfind('@'); at != std::string_view::npos) {
    const std::string_view suffix = token.substr(at + 1);
    SetPers p;
    if (suffix == "64") {
      p = SetPers::k64;
    } else if (suffix == "32") {
      p = SetPers::k32;
    } else if (suffix == "x32") {
      p = SetPers::kX32;
    } else {
      return make_error(EINVAL, "incorrect personality designator '" + std::string(suffix) +
                                    "' in qualification '" + std::string(token) + "'");
    }
    Result<bool> r = qualify_pers(token.substr(0, at), p, set);
    if (!r) return r;
    return ok || *r;
  }
  for (const SetPers p : {SetPers::k64, SetPers::k32, SetPers::kX32}) {
    Result<bool> r = qualify_pers(token, p, set);
    if (!r) return r;
    ok |= *r;
  }
  return ok;
}

SyscallSet full_set() {
  SyscallSet all;
  const SyscallTable& table = SyscallTable::instance();
  for (const Personality p : {Personality::kX86_64, Personality::kI386}) {
    for (const int nr : table.numbers(p)) all.set(p, nr);
  }
  return all;
}

// ---------------------------------------------------------------------------------------------
// Option values.

// strace's parse_ts: microseconds by default, or s/ms/us/ns (any case after a fraction).
std::optional<Delay> parse_delay(const std::string& s) {
  constexpr int64_t kNsInS = 1000000000;
  const size_t float_len = std::strspn(s.c_str(), "eE.-+0123456789");
  const size_t int_len = std::strspn(s.c_str(), "+0123456789");
  const bool is_float = float_len > int_len;
  double float_val = -1;
  long long int_val = -1;
  size_t end = 0;
  if (is_float) {
    errno = 0;
    char* e = nullptr;
    float_val = std::strtod(s.c_str(), &e);
    if (e == s.c_str() || errno != 0 || float_val < 0) return std::nullopt;
    end = static_cast<size_t>(e - s.c_str());
  } else {
    const UintParse n = string_to_uint(s, LLONG_MAX, "smun");
    if (n.value < 0) return std::nullopt;
    int_val = n.value;
    end = n.end;
  }
  const std::string_view suffix = std::string_view(s).substr(end);
  int64_t scale = 0;  // nanoseconds per unit
  if (suffix.empty() || iequals(suffix, "us")) {
    scale = 1000;
  } else if (iequals(suffix, "s")) {
    scale = kNsInS;
  } else if (iequals(suffix, "ms")) {
    scale = 1000000;
  } else if (iequals(suffix, "ns")) {
    scale = 1;
  } else {
    return std::nullopt;
  }
  const int64_t per_sec = kNsInS / scale;  // units per second
  Delay d;
  if (is_float) {
    const double secs = float_val / static_cast<double>(per_sec);
    // strace converts to time_t without a range check; saturate instead of overflowing.
    if (secs >= 9223372036854775807.0) return Delay{INT64_MAX, 0};
    d.sec = static_cast<int64_t>(secs);
    // As strace: the whole units are subtracted in integer arithmetic (wrapping, not UB here).
    const auto whole = static_cast<int64_t>(static_cast<uint64_t>(d.sec) * static_cast<uint64_t>(per_sec));
    const double rest = (float_val - static_cast<double>(whole)) * static_cast<double>(scale);
    // strace's (uint64_t)rest % 1e9 is undefined past 2^64: fmod gives its value where it is defined.
    d.nsec = rest > 0 ? static_cast<int64_t>(std::fmod(rest, static_cast<double>(kNsInS))) : 0;
  } else {
    d.sec = int_val / per_sec;
    d.nsec = (int_val % per_sec) * scale;
  }
  return d;
}

// strace's parse_poke_token body: "@argN=HEX[,@argN=HEX…]"; nullopt if invalid.
std::optional<std::vector<Poke>> parse_pokes(const std::string& value) {
  if (value.empty()) return std::nullopt;
  std::vector<Poke> pokes;
  for (const std::string& token : split(value, ',')) {
    if (!starts_with(token, "@arg") || token.size() < 6) return std::nullopt;
    const char digit = token[4];
    if (digit < '1' || digit > '7' || token[5] != '=') return std::nullopt;
    const std::string hex = token.substr(6);
    if (hex.empty() || hex.size() % 2 != 0 || hex.size() > kMaxPokeHex) return std::nullopt;
    Poke poke;
    poke.arg = digit - '0';
    for (size_t i = 0; i < hex.size() / 2; ++i) {
      // strace reads each byte with sscanf("%2hhx") from position 2*i to the token's end, so
      // it accepts what scanf accepts there (blanks, a sign, "0x"); reproduce it with scanf.
      unsigned char byte = 0;
      if (std::sscanf(hex.c_str() + 2 * i, "%2hhx", &byte) != 1) return std::nullopt;
      poke.bytes.push_back(byte);
    }
    for (const Poke& p : pokes) {
      if (p.arg == poke.arg) return std::nullopt;  // strace: duplicate argument
    }
    // strace prepends each payload to its list: the last written is applied first.
    pokes.insert(pokes.begin(), std::move(poke));
  }
  return pokes;
}

// strace's check_inadvertent_fault_injection for x86_64 (64-bit kernel long, i386 compat).
std::vector<std::string> retval_warnings(uint64_t v) {
  std::vector<std::string> out;
  bool inadvertent = false;
  const auto as64 = static_cast<int64_t>(v);
  const auto as32 = static_cast<int32_t>(static_cast<uint32_t>(v));
  if (as64 < 0 && as64 >= -kMaxErrnoValue) {
    inadvertent = true;
    out.push_back("Inadvertent injection of error " + std::to_string(-as64) +
                  " is possible for retval=" + std::to_string(v));
  } else if (as32 < 0 && as32 >= -kMaxErrnoValue) {
    inadvertent = true;
    out.push_back("Inadvertent injection of error " + std::to_string(-as32) +
                  " is possible in compat personality for retval=" + std::to_string(v));
  }
  if (!inadvertent && static_cast<uint32_t>(v) != v) {
    out.push_back("Injected return value " + std::to_string(v) + " will be clipped to " +
                  std::to_string(static_cast<uint32_t>(v)) + " in compat personality");
  }
  return out;
}

// Known -e qualifiers of strace 6.1 other than inject/fault, for a precise refusal.
constexpr std::string_view kOtherQualifiers[] = {
    "trace", "t",     "abbrev", "a",      "verbose", "v",      "raw",       "x",
    "signal", "signals", "status", "s",   "quiet",   "silent", "silence",   "q",
    "read",  "reads", "r",      "write",  "writes",  "w",      "kvm",       "decode-fd",
    "decode-fds", "decode-pid", "decode-pids", "secontext",
};

constexpr std::string_view kInjectKeys =
    "error=, retval=, signal=, delay_enter=, delay_exit=, poke_enter=, poke_exit=, when=, argN tests, "
    "path=, path2=, prob=, seed=, short=";
constexpr std::string_view kFaultKeys = "error=, when=, argN tests, path=, path2=, prob=, seed=";

}  // namespace

SyscallSet complement(const SyscallSet& set) {
  SyscallSet out = full_set();
  for (size_t p = 0; p < kPersonalityCount; ++p) out.bits_[p] &= ~set.bits_[p];
  return out;
}

namespace {

Result<SyscallSet> parse_syscall_set_impl(std::string_view spec) {
  std::string_view s = spec;
  bool negate = false;
  while (!s.empty() && s[0] == '!') {
    negate = !negate;
    s.remove_prefix(1);
  }
  SyscallSet set;
  if (s == "none") {
    // nothing
  } else if (s == "all") {
    set = full_set();
  } else {
    const std::vector<std::string> tokens = split(s, ',');
    if (tokens.empty()) return make_error(EINVAL, "invalid system call '" + std::string(spec) + "'");
    for (const std::string& token : tokens) {
      Result<bool> r = qualify_token(token, set);
      if (!r) return std::move(r).error();
      if (!*r) return make_error(EINVAL, "invalid system call '" + token + "'");
    }
  }
  return negate ? complement(set) : set;
}

// The body after "inject=" or "fault=" (which sets rule.is_fault); any other qualifier is
// refused by name. The error is a clause.
Result<std::string_view> strip_qualifier(std::string_view value, InjectRule& rule) {
  if (starts_with(value, "inject=")) return value.substr(7);
  if (starts_with(value, "fault=")) {
    rule.is_fault = true;
    return value.substr(6);
  }
  for (const std::string_view q : kOtherQualifiers) {
    if (starts_with(value, q) && value.size() > q.size() && value[q.size()] == '=') {
      return make_error(EINVAL, "unsupported qualifier '" + std::string(q) +
                                    "=' (sysvisor takes only inject= and fault=)");
    }
  }
  return make_error(EINVAL,
                    "unsupported: strace reads a bare SET as trace=SET; sysvisor takes only inject= and fault=");
}

// error= or retval= (option_grammar.hpp reads the values): each once, not both.
Result<void> apply_answer(const std::string& key, const std::string& val, InjectRule& rule) {
  auto item = parse_answer_item(key, val, rule.error.has_value(), rule.retval.has_value());
  if (!item) return std::move(item).error();
  rule.error = item->error;
  rule.retval = item->retval;
  if (rule.retval) rule.warnings = retval_warnings(*rule.retval);
  return {};
}

// delay_enter=, delay_exit=, poke_enter=, poke_exit=: each once.
Result<void> apply_delay_or_poke(const std::string& key, const std::string& val, InjectRule& rule) {
  if (key == "delay_enter=" || key == "delay_exit=") {
    auto& slot = key == "delay_enter=" ? rule.delay_enter : rule.delay_exit;
    if (slot) return make_error(EINVAL, key + " given twice");
    const auto d = parse_delay(val);
    if (!d) return make_error(EINVAL, "invalid delay '" + val + "' (microseconds, or a number with s, ms, us or ns)");
    slot = *d;
    return {};
  }
  auto& slot = key == "poke_enter=" ? rule.poke_enter : rule.poke_exit;
  if (slot) return make_error(EINVAL, key + " given twice");
  auto pokes = parse_pokes(val);
  if (!pokes) {
    return make_error(EINVAL, "invalid poke '" + val + "' (@arg1..@arg7=HEX, an even number of hex " +
                                  "digits up to 2048, each argument once, comma-separated)");
  }
  slot = std::move(*pokes);
  return {};
}

// sysvisor's selectors (argN tests, path=, path2=, prob=, seed=) and short=; false if `key` is
// none of them.
Result<bool> apply_extension(const std::string& token, const std::string& key, const std::string& val,
                             InjectRule& rule) {
  if (is_arg_predicate(token)) {
    auto p = parse_arg_predicate(token);
    if (!p) return std::move(p).error();
    rule.args.push_back(*p);
    return true;
  }
  if (key == "path=" || key == "path2=") {
    std::string& slot = key == "path=" ? rule.path : rule.path2;
    if (!slot.empty()) return make_error(EINVAL, key + " given twice");
    if (auto ok = check_path_glob(key, val); !ok) return std::move(ok).error();
    slot = val;
    return true;
  }
  if (key == "prob=" || key == "seed=" || key == "short=") {
    const bool given = key == "prob=" ? rule.probability.has_value()
                                      : key == "seed=" ? rule.seed.has_value() : rule.short_len.has_value();
    if (given) return make_error(EINVAL, key + " given twice");
    if (key == "prob=") {
      auto p = parse_probability(val);
      if (!p) return std::move(p).error();
      rule.probability = *p;
    } else {
      auto n = key == "seed=" ? parse_seed(val) : parse_short_len(val);
      if (!n) return std::move(n).error();
      (key == "seed=" ? rule.seed : rule.short_len) = *n;
    }
    return true;
  }
  return false;
}

// One KEY=VALUE token after the SET. The error is a clause.
Result<void> apply_token(const std::string& token, InjectRule& rule) {
  const size_t eq = token.find('=');
  const std::string key = eq == std::string::npos ? token : token.substr(0, eq + 1);
  const std::string val = eq == std::string::npos ? std::string() : token.substr(eq + 1);
  if (rule.is_fault && key == "short=") return make_error(EINVAL, "'short=' is not valid in fault= (it takes " +
                                                                      std::string(kFaultKeys) + ")");
  if (auto ext = apply_extension(token, key, val, rule); !ext) return std::move(ext).error();
  else if (*ext) return {};
  const bool fault_ok = key == "when=" || key == "error=" || key == "syscall=";
  if (rule.is_fault && !fault_ok && eq != std::string::npos && kInjectKeys.find(key) != std::string_view::npos) {
    return make_error(EINVAL, "'" + key + "' is not valid in fault= (it takes " + std::string(kFaultKeys) + ")");
  }
  if (key == "when=") {
    Result<When> w = parse_when_value(val);
    if (!w) return std::move(w).error();
    rule.when = *w;  // strace: the last when= wins
    return {};
  }
  if (key == "syscall=") {
    return make_error(EINVAL, "'syscall=" + val + "' is not supported: seccomp user notification cannot " +
                                  "run a different syscall in the caller's place");
  }
  if (key == "error=" || key == "retval=") return apply_answer(key, val, rule);
  if (key == "signal=") {
    if (rule.signal) return make_error(EINVAL, "signal= given twice");
    Result<int> sig = parse_signal_value(val);
    if (!sig) return std::move(sig).error();
    rule.signal = *sig;
    return {};
  }
  if (key == "delay_enter=" || key == "delay_exit=" || key == "poke_enter=" || key == "poke_exit=") {
    return apply_delay_or_poke(key, val, rule);
  }
  return make_error(EINVAL, "unknown key '" + token + "' (" + (rule.is_fault ? "fault=" : "inject=") + " takes " +
                                std::string(rule.is_fault ? kFaultKeys : kInjectKeys) + ")");
}

// A rule needs an action (fault= defaults to ENOSYS, as in strace). A call we let through goes
// to the kernel and is not seen again on its way out: only a call the supervisor answers
// (error=/retval=) has an exit we control.
Result<void> check_actions(InjectRule& rule) {
  const bool has_action = rule.error || rule.retval || rule.signal || rule.delay_enter ||
                          rule.delay_exit || rule.poke_enter || rule.poke_exit || rule.short_len;
  if (!has_action) {
    if (!rule.is_fault) {
      return make_error(EINVAL, "inject= needs an action: error=, retval=, signal=, delay_enter=, delay_exit=, "
                                "poke_enter=, poke_exit= or short=");
    }
    rule.error = ENOSYS;
  }
  if (!rule.answers()) {
    constexpr std::string_view kWhy = " needs error= or retval=: a call let through to the kernel is not "
                                      "stopped again on its way out under seccomp user notification";
    if (rule.delay_exit) return make_error(EINVAL, "delay_exit=" + std::string(kWhy));
    if (rule.poke_exit) return make_error(EINVAL, "poke_exit=" + std::string(kWhy));
  }
  return {};
}

// Syscalls that move bytes between a descriptor and the caller's buffers: what short= shortens.
constexpr std::string_view kShortCalls[] = {"read",  "write",   "pread64", "pwrite64", "readv",   "writev",
                                            "preadv", "preadv2", "pwritev", "pwritev2", "recvfrom", "sendto",
                                            "recvmsg", "sendmsg"};

// Checks that need the SET: short= only on I/O calls, path=/path2= only where a call takes such a
// path, seed= only with prob=.
Result<void> check_extensions(const InjectRule& rule) {
  const SyscallTable& table = SyscallTable::instance();
  bool one_path = false, two_paths = false;
  for (const Personality p : {Personality::kX86_64, Personality::kI386}) {
    for (const int nr : table.numbers(p)) {
      if (!rule.set.test(p, nr)) continue;
      const SyscallEntry* e = table.entry(p, nr);
      if (rule.short_len && std::find(std::begin(kShortCalls), std::end(kShortCalls), e->name) == std::end(kShortCalls))
        return make_error(EINVAL, "short= on " + std::string(e->name) + ", which moves no bytes (short= takes " +
                                      "read, write, pread64, pwrite64, readv, writev, preadv, preadv2, pwritev, " +
                                      "pwritev2, recvfrom, sendto, recvmsg, sendmsg)");
      if (e->shape != nullptr) {
        one_path = one_path || e->shape->paths()[0].path >= 0;
        two_paths = two_paths || e->shape->paths()[1].path >= 0;
      }
    }
  }
  if (rule.short_len && rule.answers()) return make_error(EINVAL, "short= answers the call itself: not with error= or retval=");
  if (!rule.path.empty() && !one_path) return make_error(EINVAL, "path= on syscalls that take no path");
  if (!rule.path2.empty() && !two_paths) return make_error(EINVAL, "path2= on syscalls that take no second path");
  if (rule.seed && !rule.probability) return make_error(EINVAL, "seed= needs prob=");
  return {};
}

// Errors say only what is wrong: the caller names the rule or the option (policy/rule_name.hpp).
Result<InjectRule> parse_inject_option_impl(std::string_view value) {
  auto fail = [](const std::string& why) { return make_error(EINVAL, why); };

  InjectRule rule;
  const Result<std::string_view> body = strip_qualifier(value, rule);
  if (!body) return fail(body.error().message);
  rule.text = std::string(value);

  // strace: an empty expression or one starting with ':' has an empty SET, and the rest of
  // it is not looked at.
  std::string set_spec;
  std::vector<std::string> tokens;
  if (!body->empty() && body->front() != ':') {
    tokens = split(*body, ':');
    set_spec = tokens.front();
    tokens.erase(tokens.begin());
  }
  for (const std::string& token : tokens) {
    if (const Result<void> r = apply_token(token, rule); !r) return fail(r.error().message);
  }

  Result<SyscallSet> set = parse_syscall_set(set_spec);
  if (!set) return fail(set.error().message);
  rule.set = std::move(*set);
  if (const Result<void> r = check_actions(rule); !r) return fail(r.error().message);
  if (const Result<void> r = check_extensions(rule); !r) return fail(r.error().message);
  return rule;
}

}  // namespace

Result<SyscallSet> parse_syscall_set(std::string_view spec) { return one_line(parse_syscall_set_impl(spec)); }

Result<InjectRule> parse_inject_option(std::string_view value) {
  return named(inject_rule_name(value), parse_inject_option_impl(value));
}

Result<InjectRule> parse_inject_reason(std::string_view value) { return one_line(parse_inject_option_impl(value)); }

bool InjectRule::errno_only_always() const noexcept {
  return error.has_value() && !retval && signal == 0 && !delay_enter && !delay_exit && !poke_enter &&
         !poke_exit && when == When{} && path.empty() && path2.empty() && !probability && !short_len && !countable;
}

std::array<std::array<uint16_t, kSyscallNrLimit>, kPersonalityCount> InjectTable::make_empty_index() {
  std::array<std::array<uint16_t, kSyscallNrLimit>, kPersonalityCount> index{};
  for (auto& per : index) per.fill(kNoRule);
  return index;
}

void InjectTable::add(InjectRule rule) {
  // More rules than fit the index is not a command line anyone writes; refuse loudly.
  assert(rules_.size() < kNoRule);
  const auto id = static_cast<uint16_t>(rules_.size());
  for (const Personality p : {Personality::kX86_64, Personality::kI386}) {
    for (int nr = 0; nr < kSyscallNrLimit; ++nr) {
      if (rule.set.test(p, nr)) index_[static_cast<size_t>(p)][static_cast<size_t>(nr)] = id;
    }
  }
  rules_.push_back(std::move(rule));
}

const InjectRule* InjectTable::rule_for(Personality p, int nr) const noexcept {
  if (nr < 0 || nr >= kSyscallNrLimit) return nullptr;
  const uint16_t id = index_[static_cast<size_t>(p)][static_cast<size_t>(nr)];
  return id == kNoRule ? nullptr : &rules_[id];
}

}  // namespace sysvisor
