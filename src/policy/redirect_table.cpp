#include "policy/redirect_table.hpp"

#include <fmt/format.h>

#include "policy/one_line.hpp"
#include "policy/rule_name.hpp"
#include "sysvisor/path.hpp"

namespace sysvisor {
namespace {

std::string strip_trailing_slash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

Result<Redirect> make_redirect(std::string_view from, std::string_view to, std::string_view cwd) {
  if (from.empty()) return make_error(EINVAL, "empty FROM path");
  if (from.front() != '/') return make_error(EINVAL, one_line(fmt::format("FROM '{}' is not an absolute path", from)));
  if (to.empty()) return make_error(EINVAL, one_line(fmt::format("empty TO path for '{}'", from)));
  Redirect rule;
  rule.prefix = from.back() == '/';
  rule.from = strip_trailing_slash(normalise_path(from));
  rule.to = strip_trailing_slash(absolute_path(cwd, to));
  return rule;
}

Result<Redirect> parse_redirect_reason(std::string_view spec, std::string_view cwd) {
  const size_t eq = spec.find('=');
  if (eq == std::string_view::npos) return make_error(EINVAL, "expected FROM=TO");
  return make_redirect(spec.substr(0, eq), spec.substr(eq + 1), cwd);
}

static Result<std::vector<Redirect>> parse_redirect_list_impl(std::string_view words, std::string_view cwd,
                                                       std::string_view source) {
  std::vector<std::string_view> parts;
  constexpr std::string_view kSpace = " \t\n\r\v\f";
  size_t i = words.find_first_not_of(kSpace);
  while (i != std::string_view::npos) {
    size_t j = words.find_first_of(kSpace, i);
    parts.push_back(words.substr(i, j == std::string_view::npos ? j : j - i));
    i = j == std::string_view::npos ? j : words.find_first_not_of(kSpace, j);
  }
  if (parts.size() % 2 != 0)
    return make_error(EINVAL, fmt::format("{}: odd number of words ({}): expected FROM TO pairs",
                                          source, parts.size()));
  std::vector<Redirect> rules;
  for (size_t k = 0; k < parts.size(); k += 2) {
    auto rule = named(source, make_redirect(parts[k], parts[k + 1], cwd));
    if (!rule) return std::move(rule).error();
    rules.push_back(std::move(rule).value());
  }
  return rules;
}

Result<Redirect> parse_redirect_option(std::string_view spec, std::string_view cwd) {
  return named(redirect_rule_name(spec), parse_redirect_reason(spec, cwd));
}

Result<std::vector<Redirect>> parse_redirect_list(std::string_view words, std::string_view cwd,
                                                  std::string_view source) {
  return one_line(parse_redirect_list_impl(words, cwd, source));
}

void RedirectTable::add(const Redirect& rule) {
  auto& map = rule.prefix ? prefix_ : exact_;
  const bool fresh = map.insert_or_assign(rule.from, Target{rule.to, added_++}).second;
  if (!rule.prefix && fresh) ++exact_names_[rule.from.substr(rule.from.rfind('/') + 1)];
}

bool RedirectTable::could_match_relative(std::string_view relative) const {
  if (!prefix_.empty()) return true;
  while (relative.size() > 1 && relative.back() == '/') relative.remove_suffix(1);
  const size_t slash = relative.rfind('/');
  const std::string_view last = slash == std::string_view::npos ? relative : relative.substr(slash + 1);
  if (last.empty() || last == "." || last == "..") return true;  // names a directory further up
  return exact_names_.find(last) != exact_names_.end();
}

std::optional<std::string> RedirectTable::lookup(std::string_view path) const {
  auto m = match(path);
  if (!m) return std::nullopt;
  return std::move(m->target);
}

std::optional<RedirectTable::Match> RedirectTable::match(std::string_view path) const {
  const bool trailing = path.size() > 1 && path.back() == '/';
  if (trailing) path.remove_suffix(1);
  auto finish = [trailing](std::string out, size_t rule, bool mount_point) {
    if (trailing && out.back() != '/') out += '/';
    return Match{std::move(out), rule, mount_point};
  };
  if (!exact_.empty()) {
    if (auto it = exact_.find(path); it != exact_.end()) return finish(it->second.to, it->second.rule, true);
  }
  if (prefix_.empty()) return std::nullopt;
  // Walk up the ancestors: the longest matching prefix wins.
  std::string_view head = path;
  while (true) {
    if (auto it = prefix_.find(head); it != prefix_.end()) {
      std::string_view rest = path.substr(head.size());  // "" or "/..."
      if (head == "/") rest = path == "/" ? std::string_view() : path;  // FROM "/": whole path
      std::string out = it->second.to;
      if (out == "/" && !rest.empty()) out.clear();
      out += rest;
      return finish(std::move(out), it->second.rule, rest.empty());
    }
    if (head == "/") return std::nullopt;
    const size_t slash = head.rfind('/');
    head = slash == 0 ? std::string_view("/") : head.substr(0, slash);
  }
}

std::vector<Redirect> RedirectTable::rules() const {
  std::vector<Redirect> out;
  for (const auto& [from, t] : exact_) out.push_back({from, t.to, false});
  for (const auto& [from, t] : prefix_) out.push_back({from, t.to, true});
  return out;
}

}  // namespace sysvisor
