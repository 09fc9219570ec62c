// libFuzzer target: the strace `-e inject=` / `-e fault=` parser (include/sysvisor/inject.hpp).
//
// Input: one mode byte, then the option value. Mode (byte % 3): 0 the value as is, 1 "inject=" + value,
// 2 "fault=" + value; ASCII '0', '1', '2' make readable seeds. The value also goes to
// parse_syscall_set, errno_by_name and signal_by_spec.
// Must hold: no exception escapes; an error is one non-empty line naming the rule ("inject rule '");
// a rule keeps the header's ranges (errno 1..4095, signal 0..64, when=, delays, pokes), never has
// both error= and retval=, has an exit action only when it answers the call, and decides every call
// of its set once added to an InjectTable.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "policy/inject_table.hpp"

namespace {

using sysvisor::kWhenLastInf;
using sysvisor::Personality;
using sysvisor::fuzz::quoted;

bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == std::string::npos; }

bool delay_ok(const std::optional<sysvisor::Delay>& d) {
  return !d || (d->sec >= 0 && d->nsec >= 0 && d->nsec <= 999'999'999);
}

bool pokes_ok(const std::optional<std::vector<sysvisor::Poke>>& pokes) {
  if (!pokes) return true;
  for (const sysvisor::Poke& p : *pokes) {
    if (p.arg < 1 || p.arg > 7 || p.bytes.empty() || p.bytes.size() > 1024) return false;
  }
  return true;
}

void check(const std::string& value) {
  const std::string shown = "-e " + quoted(value);
  const auto parsed = sysvisor::parse_inject_option(value);
  if (!parsed) {
    const std::string& message = parsed.error().message;
    FUZZ_CHECK(one_line(message) && message.starts_with("inject rule '"), shown + ": message " + quoted(message));
    return;
  }
  const sysvisor::InjectRule& rule = *parsed;
  FUZZ_CHECK(value.starts_with(rule.is_fault ? "fault=" : "inject="), shown);
  FUZZ_CHECK(rule.text == value, shown + ": text " + quoted(rule.text));
  FUZZ_CHECK(!rule.error || (*rule.error >= 1 && *rule.error <= 4095), shown + ": error " + std::to_string(*rule.error));
  FUZZ_CHECK(!(rule.error && rule.retval), shown + ": both error= and retval=");
  FUZZ_CHECK(rule.signal >= 0 && rule.signal <= 64, shown + ": signal " + std::to_string(rule.signal));
  const sysvisor::When& w = rule.when;
  FUZZ_CHECK(w.first >= 1 && (w.last == kWhenLastInf || (w.last >= w.first && w.last <= 65534)),
             shown + ": when " + std::to_string(w.first) + ".." + std::to_string(w.last) + "+" + std::to_string(w.step));
  FUZZ_CHECK(delay_ok(rule.delay_enter) && delay_ok(rule.delay_exit), shown + ": delay out of range");
  FUZZ_CHECK(pokes_ok(rule.poke_enter) && pokes_ok(rule.poke_exit), shown + ": poke out of range");
  FUZZ_CHECK(rule.answers() || (!rule.delay_exit && !rule.poke_exit), shown + ": exit action on a call let through");
  FUZZ_CHECK(rule.is_fault || rule.answers() || rule.signal != 0 || rule.delay_enter || rule.poke_enter ||
                 rule.delay_exit || rule.poke_exit,
             shown + ": inject= without an action");
  for (const std::string& warning : rule.warnings) FUZZ_CHECK(one_line(warning), shown + ": warning " + quoted(warning));
  if (rule.errno_only_always()) FUZZ_CHECK(rule.error.has_value(), shown);

  // Added to a table, the rule decides every call of its set (it is the latest rule).
  sysvisor::InjectTable table;
  table.add(rule);
  for (const Personality p : {Personality::kX86_64, Personality::kI386}) {
    for (int nr = -1; nr <= sysvisor::kSyscallNrLimit; ++nr) {
      const sysvisor::InjectRule* got = table.rule_for(p, nr);
      FUZZ_CHECK((got != nullptr) == rule.set.test(p, nr),
                 shown + ": rule_for(" + std::to_string(static_cast<int>(p)) + ", " + std::to_string(nr) + ")");
      if (got != nullptr) FUZZ_CHECK(got == &table.rules().back(), shown);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr std::string_view kPrefix[] = {"", "inject=", "fault="};
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (sysvisor::fuzz::may_blow_up_regcomp(rest)) return -1;  // see fuzz_check.hpp; not added to the corpus
  const std::string value = std::string(kPrefix[data[0] % 3]) + std::string(rest);
  try {
    check(value);
    if (auto set = sysvisor::parse_syscall_set(rest); !set) {
      FUZZ_CHECK(one_line(set.error().message), "SET " + quoted(rest) + ": message " + quoted(set.error().message));
    }
    if (const auto e = sysvisor::errno_by_name(rest)) FUZZ_CHECK(*e >= 1 && *e <= 4095, quoted(rest));
    if (const auto s = sysvisor::signal_by_spec(rest)) FUZZ_CHECK(*s >= 1 && *s <= 64, quoted(rest));
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, std::string("exception: ") + e.what() + " for " + quoted(value));
  } catch (...) {
    FUZZ_CHECK(false, "exception of unknown type for " + quoted(value));
  }
  return 0;
}
