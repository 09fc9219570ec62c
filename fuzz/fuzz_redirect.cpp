// libFuzzer target: the redirect parsers and RedirectTable (include/sysvisor/redirect.hpp).
//
// Input: SPEC, or SPEC '\0' CWD (the cwd is then "/" CWD, else "/home/u"). SPEC goes to both
// parse_redirect_option (as a -r value) and parse_redirect_list (as COPYCAT). Every rule parsed must
// keep the header's contract: FROM and TO absolute, normalised, without a trailing '/' (but "/").
// The rules then go into a RedirectTable in order; lookups of each rule's FROM, FROM + "/" and a child
// must give the winning rule's TO (later rule for the same FROM wins, exact beats prefix), and a lookup
// of any path made from the input's words must give an absolute, normalised path or nothing.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_check.hpp"
#include "sysvisor/path.hpp"
#include "policy/redirect_table.hpp"

namespace {

using sysvisor::normalise_path;
using sysvisor::Redirect;
using sysvisor::RedirectTable;
using sysvisor::fuzz::quoted;

std::string show(const Redirect& r) {
  return std::string(r.prefix ? "prefix " : "exact ") + quoted(r.from) + " -> " + quoted(r.to);
}

std::string show(const std::optional<std::string>& s) { return s ? quoted(*s) : std::string("nothing"); }

std::string strip_trailing_slash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

void check_clean(const std::string& path, const Redirect& rule, const char* which) {
  const std::string detail = std::string(which) + " of " + show(rule);
  FUZZ_CHECK(!path.empty() && path.front() == '/', detail);
  FUZZ_CHECK(normalise_path(path) == path, detail + ", normalised: " + quoted(normalise_path(path)));
  FUZZ_CHECK(path == "/" || path.back() != '/', detail);
}

void check_rule(const Redirect& rule) {
  check_clean(rule.from, rule, "FROM");
  check_clean(rule.to, rule, "TO");
}

// A path the table may be asked about (absolute, normalised).
std::string as_lookup_path(std::string_view word) {
  return normalise_path(!word.empty() && word.front() == '/' ? std::string(word) : "/" + std::string(word));
}

void check_found(const RedirectTable& table, const std::string& path) {
  const auto got = table.lookup(path);
  if (!got) return;
  FUZZ_CHECK(!got->empty() && got->front() == '/', "lookup(" + quoted(path) + ") = " + quoted(*got));
  FUZZ_CHECK(normalise_path(*got) == *got, "lookup(" + quoted(path) + ") = " + quoted(*got) + " is not normalised");
}

void check_table(const std::vector<Redirect>& rules, std::string_view spec) {
  RedirectTable table;
  std::map<std::string, std::string> exact;   // the winners, as the header defines them
  std::map<std::string, std::string> prefix;
  for (const Redirect& rule : rules) {
    table.add(rule);
    (rule.prefix ? prefix : exact)[rule.from] = rule.to;
  }
  FUZZ_CHECK(table.size() == exact.size() + prefix.size(), "size " + std::to_string(table.size()));
  FUZZ_CHECK(table.empty() == rules.empty(), "empty() with " + std::to_string(rules.size()) + " rules");

  const auto expect = [&](const std::string& path, const std::string& want) {
    const auto got = table.lookup(path);
    FUZZ_CHECK(got && *got == want, "lookup(" + quoted(path) + ") = " + show(got) + ", expected " + quoted(want));
  };
  const auto with_slash = [](const std::string& to) { return to == "/" ? to : to + "/"; };
  for (const auto& [from, to] : exact) {
    expect(from, to);
    if (from != "/") expect(from + "/", with_slash(to));
  }
  for (const auto& [from, to] : prefix) {
    if (exact.contains(from)) continue;
    expect(from, to);
    if (from != "/") expect(from + "/", with_slash(to));
    // A child no rule names: the longest prefix is this rule.
    const std::string child = (from == "/" ? "" : from) + "/zz";
    if (!exact.contains(child) && !prefix.contains(child)) expect(child, (to == "/" ? "" : to) + "/zz");
  }

  // Paths made from the input's words (split at blanks, '=' and NUL) and their parents.
  check_found(table, "/");
  size_t i = 0;
  size_t count = 0;
  while (i <= spec.size() && count < 16) {
    size_t j = spec.find_first_of(std::string_view(" \t\n\r\v\f=\0", 9), i);
    if (j == std::string_view::npos) j = spec.size();
    const std::string path = as_lookup_path(spec.substr(i, j - i));
    check_found(table, path);
    check_found(table, strip_trailing_slash(path));
    if (path != "/") check_found(table, strip_trailing_slash(path) + "/");
    i = j + 1;
    ++count;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t nul = in.find('\0');
  const std::string_view spec = in.substr(0, nul);
  const std::string cwd = nul == std::string_view::npos ? "/home/u" : "/" + std::string(in.substr(nul + 1));

  // -r FROM=TO: the header's contract, spelled out.
  if (auto rule = sysvisor::parse_redirect_option(spec, cwd)) {
    check_rule(*rule);
    const size_t eq = spec.find('=');
    FUZZ_CHECK(eq != std::string_view::npos && eq > 0, "-r " + quoted(spec) + " parsed: " + show(*rule));
    const std::string_view from = spec.substr(0, eq);
    const std::string_view to = spec.substr(eq + 1);
    FUZZ_CHECK(rule->prefix == (from.back() == '/'), "-r " + quoted(spec) + ": " + show(*rule));
    FUZZ_CHECK(rule->from == strip_trailing_slash(normalise_path(from)), "-r " + quoted(spec) + ": " + show(*rule));
    FUZZ_CHECK(rule->to == strip_trailing_slash(sysvisor::absolute_path(cwd, to)),
               "-r " + quoted(spec) + " in " + quoted(cwd) + ": " + show(*rule));
    check_table({*rule}, spec);
  } else {
    FUZZ_CHECK(!rule.error().message.empty(), "-r " + quoted(spec) + ": empty message");
  }

  // COPYCAT="FROM TO ...".
  if (auto rules = sysvisor::parse_redirect_list(spec, cwd, "COPYCAT")) {
    for (const Redirect& rule : *rules) check_rule(rule);
    check_table(*rules, spec);
  } else {
    FUZZ_CHECK(!rules.error().message.empty(), "COPYCAT=" + quoted(spec) + ": empty message");
  }
  return 0;
}
