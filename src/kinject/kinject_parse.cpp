// -k SPEC: parsing (sysvisor/kinject.hpp, where the grammar is documented) and the load plan
// (kinject/kinject_plan.hpp). Pure. error=, retval= and when= are read as -e inject= reads them
// (policy/option_grammar.hpp).
#include "sysvisor/kinject.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "kinject/kinject_plan.hpp"
#include "policy/one_line.hpp"
#include "policy/option_grammar.hpp"
#include "policy/rule_name.hpp"

namespace sysvisor {
namespace {

bool is_ident(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    if (!ok) return false;
  }
  return !(s[0] >= '0' && s[0] <= '9');
}

struct OpName {
  std::string_view text;
  KOp op;
};
// Longest first, so that "<=" is not read as "<".
constexpr OpName kOps[] = {{"==", KOp::kEq}, {"!=", KOp::kNe}, {"<=", KOp::kLe}, {">=", KOp::kGe},
                           {"<", KOp::kLt},  {">", KOp::kGt},  {"&", KOp::kAnd}};

// "argN OP VALUE"; the error is a clause.
Result<KArgTest> parse_test(std::string_view item) {
  const auto bad = [&](std::string why) { return make_error(EINVAL, "'" + std::string(item) + "': " + why); };
  if (!item.starts_with("arg")) return bad("expected argN OP VALUE");
  size_t i = 3;
  while (i < item.size() && item[i] >= '0' && item[i] <= '9') ++i;
  const std::string_view num = item.substr(3, i - 3);
  if (num.empty() || num.size() > 2) return bad("expected argN OP VALUE");
  KArgTest t;
  t.arg = std::atoi(std::string(num).c_str());
  if (t.arg < 1 || t.arg > kKinjectMaxArg) return bad("argument number out of range 1..12");
  const std::string_view rest = item.substr(i);
  for (const OpName& o : kOps) {
    if (!rest.starts_with(o.text)) continue;
    const auto v = parse_register_value(rest.substr(o.text.size()));
    if (!v) return bad("invalid value '" + std::string(rest.substr(o.text.size())) + "'");
    t.op = o.op;
    t.value = *v;
    return t;
  }
  return bad("expected one of == != < <= > >= & after arg" + std::string(num));
}

// chain=F1(TESTS)/F2/...
Result<std::vector<KFrame>> parse_chain(std::string_view value) {
  std::vector<KFrame> frames;
  size_t i = 0;
  while (true) {
    // A frame's tests may not contain '/', so the next '/' outside parentheses ends it.
    size_t depth = 0, j = i;
    for (; j < value.size(); ++j) {
      if (value[j] == '(') ++depth;
      if (value[j] == ')' && depth > 0) --depth;
      if (value[j] == '/' && depth == 0) break;
    }
    const std::string_view text = value.substr(i, j - i);
    KFrame frame;
    const size_t paren = text.find('(');
    frame.function = std::string(text.substr(0, paren));
    if (!is_ident(frame.function))
      return make_error(EINVAL, "chain=: invalid function name '" + frame.function + "'");
    if (paren != std::string_view::npos) {
      if (!text.ends_with(")")) return make_error(EINVAL, "chain=: missing ')' in '" + std::string(text) + "'");
      const std::string_view inside = text.substr(paren + 1, text.size() - paren - 2);
      size_t k = 0;
      while (k <= inside.size()) {
        const size_t comma = std::min(inside.find(',', k), inside.size());
        auto test = parse_test(inside.substr(k, comma - k));
        if (!test) return make_error(EINVAL, "chain=" + frame.function + ": " + test.error().message);
        frame.tests.push_back(*test);
        k = comma + 1;
      }
      if (frame.tests.size() > kKinjectMaxTests)
        return make_error(EINVAL, "chain=" + frame.function + ": at most 4 argument tests per frame");
    }
    frames.push_back(std::move(frame));
    if (j >= value.size()) break;
    i = j + 1;
  }
  if (frames.size() > kKinjectMaxFrames) return make_error(EINVAL, "chain=: at most 4 frames");
  return frames;
}

// Splits at ':' outside parentheses (chain frames' tests are free of ':' anyway).
std::vector<std::string_view> split_items(std::string_view spec) {
  std::vector<std::string_view> out;
  size_t depth = 0, start = 0;
  for (size_t i = 0; i <= spec.size(); ++i) {
    if (i < spec.size() && spec[i] == '(') ++depth;
    if (i < spec.size() && spec[i] == ')' && depth > 0) --depth;
    if (i == spec.size() || (spec[i] == ':' && depth == 0)) {
      out.push_back(spec.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// The first item: which kernel function the rule hooks. The error is a clause.
Result<void> parse_target(std::string_view target, KinjectRule& rule) {
  if (target.empty())
    return make_error(EINVAL, "missing target (kmalloc, alloc_page, bio, security_NAME, lsm/HOOK or a function)");
  if (target == "kmalloc") {
    rule.target = KTarget::kKmalloc;
    rule.function = "should_failslab";
  } else if (target == "alloc_page") {
    rule.target = KTarget::kAllocPage;
    rule.function = "should_fail_alloc_page";
  } else if (target == "bio") {
    rule.target = KTarget::kBio;
    rule.function = "should_fail_bio";
  } else if (target.starts_with("lsm/")) {
    rule.target = KTarget::kLsm;
    rule.function = std::string(target.substr(4));
    if (!is_ident(rule.function)) return make_error(EINVAL, "invalid LSM hook name '" + rule.function + "'");
  } else if (is_ident(target)) {
    rule.target = target.starts_with("security_") && target.size() > 9 ? KTarget::kSecurity : KTarget::kFunction;
    rule.function = std::string(target);
  } else {
    return make_error(EINVAL, "invalid target '" + std::string(target) + "'");
  }
  return {};
}

// The items that may appear once and leave no trace in the rule when absent.
struct Seen {
  bool when = false;
  bool seed = false;
  bool chain = false;
};

// error=, retval=, when=: the values as -e inject= reads them (option_grammar.hpp); each once,
// error= and retval= not both.
Result<void> apply_shared_item(std::string_view key, const std::string& val, KinjectRule& rule, Seen& seen) {
  if (key == "when=") {
    if (seen.when) return make_error(EINVAL, "when= given twice");
    Result<When> w = parse_when_value(val);
    if (!w) return std::move(w).error();
    rule.when = *w;
    seen.when = true;
    return {};
  }
  auto item = parse_answer_item(key, val, rule.error.has_value(), rule.retval.has_value());
  if (!item) return std::move(item).error();
  rule.error = item->error;
  // The function returns a long: the same 64 bits.
  if (item->retval) rule.retval = static_cast<int64_t>(*item->retval);
  return {};
}

// One item after the target. The error is a clause.
Result<void> apply_item(std::string_view item, KinjectRule& rule, Seen& seen) {
  const size_t eq = item.find('=');
  const std::string_view key = eq == std::string_view::npos ? item : item.substr(0, eq + 1);
  const std::string val = eq == std::string_view::npos ? "" : std::string(item.substr(eq + 1));
  if (item.starts_with("arg")) {
    auto test = parse_test(item);
    if (!test) return std::move(test).error();
    if (rule.tests.size() == kKinjectMaxTests) return make_error(EINVAL, "at most 4 argument tests on the target");
    rule.tests.push_back(*test);
  } else if (key == "error=" || key == "retval=" || key == "when=") {
    return apply_shared_item(key, val, rule, seen);
  } else if (key == "prob=") {
    if (rule.prob) return make_error(EINVAL, "prob= given twice");
    rule.prob = parse_probability_value(val);
    if (!rule.prob) return make_error(EINVAL, "invalid probability '" + val + "' (0..1, or 0%..100%)");
  } else if (key == "seed=") {
    if (seen.seed) return make_error(EINVAL, "seed= given twice");
    const auto v = parse_register_value(val);
    if (!v || val[0] == '-') return make_error(EINVAL, "invalid seed '" + val + "' (0..2^64-1)");
    rule.seed = *v;
    seen.seed = true;
  } else if (key == "via=") {
    if (rule.via) return make_error(EINVAL, "via= given twice");
    if (val == "kprobe") rule.via = KMechanism::kKprobeOverride;
    else if (val == "fmod_ret") rule.via = KMechanism::kFmodRetInjectable;
    else return make_error(EINVAL, "invalid via '" + val + "' (kprobe or fmod_ret)");
  } else if (key == "chain=") {
    if (seen.chain) return make_error(EINVAL, "chain= given twice");
    auto chain = parse_chain(val);
    if (!chain) return std::move(chain).error();
    rule.chain = std::move(chain).value();
    seen.chain = true;
  } else {
    return make_error(EINVAL, "unknown item '" + std::string(item) +
                                  "' (error=, retval=, when=, prob=, seed=, via=, chain=, argN OP VALUE)");
  }
  return {};
}

// What each target can return (filling in its default errno), and the items that need another.
Result<void> check_target(KinjectRule& rule, const Seen& seen) {
  switch (rule.target) {
    case KTarget::kAllocPage:
      if (rule.error || rule.retval)
        return make_error(EINVAL,
                          "alloc_page takes no error= or retval=: should_fail_alloc_page only says fail or not");
      break;
    case KTarget::kKmalloc:
      if (rule.retval)
        return make_error(EINVAL, "kmalloc takes error= (should_failslab returns an errno), not retval=");
      if (!rule.error) rule.error = ENOMEM;
      break;
    case KTarget::kBio:
      if (rule.retval) return make_error(EINVAL, "bio takes error= (should_fail_bio returns an errno), not retval=");
      if (!rule.error) rule.error = EIO;
      break;
    case KTarget::kLsm:
      if (rule.retval) return make_error(EINVAL, "lsm/ hooks take error= only (they return 0 or -errno)");
      if (!rule.error) rule.error = EPERM;
      break;
    case KTarget::kSecurity:
      if (!rule.error && !rule.retval) rule.error = EPERM;
      break;
    case KTarget::kFunction:
      if (!rule.error && !rule.retval) return make_error(EINVAL, "needs an action: error= or retval=");
      break;
  }
  if (rule.via && rule.target != KTarget::kFunction && rule.target != KTarget::kKmalloc &&
      rule.target != KTarget::kAllocPage && rule.target != KTarget::kBio)
    return make_error(EINVAL, "via= applies to error-injectable functions only");
  if (seen.seed && !rule.prob) return make_error(EINVAL, "seed= without prob=");
  return {};
}

}  // namespace

int64_t KinjectRule::return_value() const noexcept {
  if (target == KTarget::kAllocPage) return 1;
  if (retval) return *retval;
  if (error) return -static_cast<int64_t>(*error);
  return 0;
}

Result<KinjectRule> parse_kinject_reason(std::string_view spec) {
  KinjectRule rule;
  rule.text = std::string(spec);
  const auto fail = [](const Error& e) { return make_error(EINVAL, one_line(e.message)); };
  const std::vector<std::string_view> items = split_items(spec);
  if (const Result<void> r = parse_target(items[0], rule); !r) return fail(r.error());
  Seen seen;
  for (size_t i = 1; i < items.size(); ++i) {
    if (const Result<void> r = apply_item(items[i], rule, seen); !r) return fail(r.error());
  }
  if (const Result<void> r = check_target(rule, seen); !r) return fail(r.error());
  return rule;
}

Result<KinjectRule> parse_kinject_option(std::string_view spec) {
  return named(kinject_rule_name(spec), parse_kinject_reason(spec));
}

KMechanism kinject_mechanism(const KinjectRule& rule) {
  switch (rule.target) {
    case KTarget::kSecurity: return KMechanism::kFmodRetSecurity;
    case KTarget::kLsm: return KMechanism::kLsm;
    default: return rule.via.value_or(KMechanism::kKprobeOverride);
  }
}

std::string kinject_support_line(std::string_view name, const KSupport& s) {
  return std::string(name) + (s.ok ? ": yes" : ": no: " + s.why);
}

std::vector<std::string> kinject_probe_lines(const KernelSupport& k) {
  return {kinject_support_line("root", k.root),
          kinject_support_line("BTF", k.btf),
          kinject_support_line("kprobes", k.kprobes),
          kinject_support_line("bpf_override_return", k.override_return),
          kinject_support_line("fmod_ret security_*", k.fmod_ret_security),
          kinject_support_line("fmod_ret error-injectable", k.fmod_ret_injectable),
          kinject_support_line("BPF LSM", k.lsm)};
}

Result<KinjectPlan> plan_kinject(std::span<const KinjectRule> rules, const KernelSupport& support) {
  if (rules.size() > kKinjectMaxRules)
    return make_error(EINVAL, std::string(kKinjectRules) + ": at most " + std::to_string(kKinjectMaxRules) + " rules");
  KinjectPlan plan;
  for (size_t i = 0; i < rules.size(); ++i) {
    const KinjectRule& rule = rules[i];
    const KMechanism mech = kinject_mechanism(rule);
    const auto lacks = [&](std::string_view name, const KSupport& s) {
      return make_error(EOPNOTSUPP, one_line(kinject_rule_name(rule.text) + ": " + kinject_support_line(name, s)));
    };
    if (!support.root.ok) return lacks("root", support.root);
    if (!support.btf.ok) return lacks("BTF", support.btf);
    if ((mech == KMechanism::kKprobeOverride || !rule.chain.empty()) && !support.kprobes.ok)
      return lacks("kprobes", support.kprobes);
    switch (mech) {
      case KMechanism::kKprobeOverride:
        if (!support.override_return.ok) return lacks("bpf_override_return", support.override_return);
        break;
      case KMechanism::kFmodRetInjectable:
        if (!support.fmod_ret_injectable.ok) return lacks("fmod_ret error-injectable", support.fmod_ret_injectable);
        break;
      case KMechanism::kFmodRetSecurity:
        if (!support.fmod_ret_security.ok) return lacks("fmod_ret security_*", support.fmod_ret_security);
        break;
      case KMechanism::kLsm:
        if (!support.lsm.ok) return lacks("BPF LSM", support.lsm);
        break;
    }
    plan.targets.push_back({i, mech, rule.function, rule.return_value()});
    for (size_t f = 0; f < rule.chain.size(); ++f) plan.chain.push_back({i, f, rule.chain[f].function});
  }
  return plan;
}

}  // namespace sysvisor
