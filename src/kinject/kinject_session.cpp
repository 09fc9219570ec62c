// The kernel side of -k with libbpf (Debian's libbpf 1.1) and the skeleton bpftool generated
// from bpf/kinject.bpf.c at build time.
#include "kinject/kinject_session.hpp"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "kinject.skel.h"
#include "kinject/bpf/kinject_abi.h"
#include "kinject/kinject_plan.hpp"
#include "policy/rule_name.hpp"

namespace sysvisor {
namespace {

// ---------------------------------------------------------------------------------------------
// Thin RAII over libbpf handles: one owner each, no policy.

struct SkelDeleter {
  void operator()(kinject* s) const noexcept { kinject__destroy(s); }
};
using Skel = std::unique_ptr<kinject, SkelDeleter>;

struct LinkDeleter {
  void operator()(bpf_link* l) const noexcept { bpf_link__destroy(l); }
};
using Link = std::unique_ptr<bpf_link, LinkDeleter>;

struct BtfDeleter {
  void operator()(btf* b) const noexcept { btf__free(b); }
};
using Btf = std::unique_ptr<btf, BtfDeleter>;

// libbpf reports through one process-wide print callback: the verifier's log and libbpf's own
// lines land in `captured` while a LibbpfLog is alive (one at a time).
std::mutex g_log_mutex;
std::string* g_captured = nullptr;

int capture_print(libbpf_print_level level, const char* format, va_list args) {
  if (g_captured == nullptr || level == LIBBPF_DEBUG) return 0;
  va_list copy;
  va_copy(copy, args);
  const int n = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  if (n <= 0) return 0;
  std::string text(static_cast<size_t>(n) + 1, '\0');
  std::vsnprintf(text.data(), text.size(), format, args);
  text.pop_back();
  g_captured->append(text);
  return 0;
}

class LibbpfLog {
 public:
  LibbpfLog() : lock_(g_log_mutex) {
    g_captured = &text_;
    previous_ = libbpf_set_print(capture_print);
  }
  ~LibbpfLog() {
    libbpf_set_print(previous_);
    g_captured = nullptr;
  }
  LibbpfLog(const LibbpfLog&) = delete;
  LibbpfLog& operator=(const LibbpfLog&) = delete;
  // The line that says why: the verifier's last line, else libbpf's last line.
  std::string reason() const {
    std::istringstream in(text_);
    std::string line, last_verifier, last_libbpf;
    bool in_log = false;
    while (std::getline(in, line)) {
      if (line.find("-- BEGIN PROG LOAD LOG --") != std::string::npos) {
        in_log = true;
      } else if (line.find("-- END PROG LOAD LOG --") != std::string::npos) {
        in_log = false;
      } else if (in_log) {
        if (!line.empty() && line.find("processed ") != 0 && line.find("verification time") != 0) last_verifier = line;
      } else if (last_libbpf.empty() && line.find("prog '") != std::string::npos &&
                 line.find("load failed") == std::string::npos && line.find("failed to load") == std::string::npos &&
                 line.find("ulimit") == std::string::npos) {
        last_libbpf = line.starts_with("libbpf: ") ? line.substr(8) : line;  // the first that says why
      }
    }
    return !last_verifier.empty() ? last_verifier : last_libbpf;
  }
  void clear() { text_.clear(); }

 private:
  std::lock_guard<std::mutex> lock_;
  std::string text_;
  libbpf_print_fn_t previous_ = nullptr;
};

std::string read_file(const char* path) {
  std::ifstream in(path);
  if (!in) return {};
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// Kernel symbols present, for the "why" of a refusal (root can read /proc/kallsyms).
bool has_symbol(const std::string& name) {
  std::ifstream in("/proc/kallsyms");
  std::string line;
  const std::string needle = " " + name;
  while (std::getline(in, line)) {
    if (line.size() >= needle.size() && line.compare(line.size() - needle.size(), needle.size(), needle) == 0)
      return true;
  }
  return false;
}

// "kernel lockdown (integrity)" when lockdown is on, "" when off, a guess when unreadable.
std::string lockdown_state() {
  const std::string text = read_file("/sys/kernel/security/lockdown");
  if (text.empty()) return "";
  const size_t open = text.find('['), close = text.find(']');
  if (open == std::string::npos || close == std::string::npos) return "";
  const std::string mode = text.substr(open + 1, close - open - 1);
  return mode == "none" ? "" : "kernel lockdown (" + mode + ")";
}

// Why a load or attach failed with `err`, with what the kernel said.
std::string explain(int err, const std::string& said, const std::string& hint = {}) {
  std::string why;
  if (!hint.empty()) why = hint + ": ";
  if (err == EPERM) {
    const std::string lock = lockdown_state();
    if (!lock.empty()) why += lock + ": ";
    else if (read_file("/sys/kernel/security/lockdown").empty())
      why += "kernel lockdown? (/sys/kernel/security/lockdown is not readable): ";
  }
  why += said.empty() ? std::string(std::strerror(err)) : fmt::format("{} ({})", std::strerror(err), said);
  return why;
}

KSupport yes() { return {true, ""}; }
KSupport no(std::string why) { return {false, std::move(why)}; }

bpf_program* fmod_prog(kinject* s, size_t i) {
  bpf_program* p[] = {s->progs.kinject_fmod0, s->progs.kinject_fmod1, s->progs.kinject_fmod2, s->progs.kinject_fmod3,
                      s->progs.kinject_fmod4, s->progs.kinject_fmod5, s->progs.kinject_fmod6, s->progs.kinject_fmod7};
  return p[i];
}
bpf_program* lsm_prog(kinject* s, size_t i) {
  bpf_program* p[] = {s->progs.kinject_lsm0, s->progs.kinject_lsm1, s->progs.kinject_lsm2, s->progs.kinject_lsm3,
                      s->progs.kinject_lsm4, s->progs.kinject_lsm5, s->progs.kinject_lsm6, s->progs.kinject_lsm7};
  return p[i];
}

// Opens the skeleton with every program off.
Result<Skel> open_skeleton() {
  Skel s(kinject__open());
  if (!s) return make_error(errno, fmt::format("opening the BPF object: {}", std::strerror(errno)));
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, s->obj) bpf_program__set_autoload(prog, false);
  return s;
}

// The probe's unit: load one program (with its attach target) and attach it; all is undone on
// return. The empty rule table and scope make the attached program a no-op meanwhile.
enum class Trial { kKprobe, kOverride, kFmodRet, kLsm };
KSupport trial(Trial kind, const char* target, const std::string& hint_missing) {
  LibbpfLog log;
  auto s = open_skeleton();
  if (!s) return no(s.error().message);
  bpf_program* prog = kind == Trial::kKprobe     ? (*s)->progs.kinject_frame_entry
                      : kind == Trial::kOverride ? (*s)->progs.kinject_override
                      : kind == Trial::kFmodRet  ? (*s)->progs.kinject_fmod0
                                                 : (*s)->progs.kinject_lsm0;
  bpf_program__set_autoload(prog, true);
  if (kind == Trial::kFmodRet || kind == Trial::kLsm) {
    if (const int rc = bpf_program__set_attach_target(prog, 0, target); rc != 0)
      return no(fmt::format("{}{} is not in this kernel's BTF ({})", kind == Trial::kLsm ? "LSM hook " : "",
                            target, std::strerror(-rc)));
  }
  if (const int rc = kinject__load(s->get()); rc != 0) return no(explain(-rc, log.reason(), hint_missing));
  log.clear();
  Link link;
  if (kind == Trial::kKprobe || kind == Trial::kOverride) {
    LIBBPF_OPTS(bpf_kprobe_opts, opts);
    link.reset(bpf_program__attach_kprobe_opts(prog, target, &opts));
  } else {
    link.reset(bpf_program__attach(prog));
  }
  if (!link) {
    const int err = errno;
    return no(explain(err, fmt::format("attaching to {}: {}", target, log.reason()), hint_missing));
  }
  return yes();
}

}  // namespace

namespace {

// Root and kernel BTF, which every mechanism needs; marks the mechanisms unchecked otherwise.
void probe_prerequisites(KernelSupport& k) {
  const KSupport not_checked = no("not checked");
  k.kprobes = k.override_return = k.fmod_ret_security = k.fmod_ret_injectable = k.lsm = not_checked;
  if (geteuid() != 0) {
    const std::string unpriv = read_file("/proc/sys/kernel/unprivileged_bpf_disabled");
    k.root = no(fmt::format("uid {}: the eBPF path needs root{}", geteuid(),
                            unpriv.empty() || unpriv == "0"
                                ? ""
                                : " (kernel.unprivileged_bpf_disabled=" + unpriv + ")"));
    const KSupport needs_root = no("needs root");
    k.kprobes = k.override_return = k.fmod_ret_security = k.fmod_ret_injectable = k.lsm = needs_root;
  } else {
    k.root = yes();
  }
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
    k.btf = no("no kernel BTF (/sys/kernel/btf/vmlinux is missing: CONFIG_DEBUG_INFO_BTF)");
  } else {
    Btf b(btf__load_vmlinux_btf());
    k.btf = b ? yes() : no(fmt::format("/sys/kernel/btf/vmlinux: {}", std::strerror(errno)));
  }
  if (!k.btf.ok && k.root.ok) k.kprobes = k.override_return = k.fmod_ret_security = k.fmod_ret_injectable = k.lsm =
      no("needs BTF");
}

// The BPF LSM: a program loads and attaches even where the bpf LSM is off; it just never runs.
KSupport probe_lsm() {
  const std::string lsms = read_file("/sys/kernel/security/lsm");
  std::string hint;
  bool active = false;
  if (lsms.empty()) {
    hint = "/sys/kernel/security/lsm is not readable (securityfs not mounted?)";
  } else {
    std::stringstream list(lsms);
    std::string name;
    while (std::getline(list, name, ','))
      if (name == "bpf") active = true;
    if (!active) hint = fmt::format("BPF LSM not active (/sys/kernel/security/lsm: {}; boot with lsm=...,bpf)", lsms);
  }
  KSupport s = trial(Trial::kLsm, "file_open", hint);
  return s.ok && !active ? no(hint) : s;
}

}  // namespace

Result<KernelSupport> probe_kernel_support(const KProbeWanted& wanted) {
  KernelSupport k;
  probe_prerequisites(k);
  if (!k.root.ok || !k.btf.ok) return k;

  const bool kprobes_built = has_symbol("register_kprobe");
  const bool fei_built = has_symbol("within_error_injection_list");
  const std::string no_kprobes = kprobes_built ? "" : "this kernel has no kprobes (CONFIG_KPROBES)";
  const std::string no_fei =
      fei_built ? "" : "this kernel has no FUNCTION_ERROR_INJECTION (CONFIG_FUNCTION_ERROR_INJECTION)";
  // __x64_sys_openat: in every x86-64 kernel and its BTF, and on the error-injection list when
  // there is one (SYSCALL_DEFINE marks every syscall ALLOW_ERROR_INJECTION). The trial programs
  // decide nothing: their rule table and scope are empty.
  if (wanted.kprobes) k.kprobes = trial(Trial::kKprobe, "__x64_sys_openat", no_kprobes);
  if (wanted.override_return) {
    std::string hint = !kprobes_built && !fei_built ? "this kernel has no kprobes (CONFIG_KPROBES) and no "
                                                      "FUNCTION_ERROR_INJECTION (CONFIG_FUNCTION_ERROR_INJECTION)"
                       : !kprobes_built ? no_kprobes
                                        : no_fei;
    k.override_return = trial(Trial::kOverride, "__x64_sys_openat", hint);
  }
  if (wanted.fmod_ret_security) k.fmod_ret_security = trial(Trial::kFmodRet, "security_file_open", "");
  if (wanted.fmod_ret_injectable) k.fmod_ret_injectable = trial(Trial::kFmodRet, "__x64_sys_openat", no_fei);
  if (wanted.lsm) k.lsm = probe_lsm();
  return k;
}

namespace {

// Masks each test to its argument's width and checks the argument exists, from the kernel's BTF
// (functions absent from BTF, e.g. kprobe-only targets, keep 64-bit tests).
Result<void> fill_tests(const btf* vmlinux, const std::string& function, const std::vector<KArgTest>& tests,
                        kinject_test* out, const std::string& what) {
  const btf_type* proto = nullptr;
  if (vmlinux != nullptr) {
    const int id = btf__find_by_name_kind(vmlinux, function.c_str(), BTF_KIND_FUNC);
    if (id > 0) proto = btf__type_by_id(vmlinux, btf__type_by_id(vmlinux, id)->type);
  }
  for (size_t i = 0; i < tests.size(); ++i) {
    const KArgTest& t = tests[i];
    uint64_t mask = ~0ULL;
    if (proto != nullptr) {
      const int nargs = btf_vlen(proto);
      if (t.arg > nargs)
        return make_error(EINVAL, fmt::format("{}: arg{}: {} has {} argument{}", what, t.arg, function, nargs,
                                              nargs == 1 ? "" : "s"));
      const btf_param* params = btf_params(proto);
      const long size = btf__resolve_size(vmlinux, params[t.arg - 1].type);
      if (size > 0 && size < 8) mask = (1ULL << (8 * size)) - 1;
    }
    out[i] = {static_cast<__u32>(t.arg), static_cast<__u32>(t.op), t.value & mask, mask};
  }
  return {};
}

class LoadedSession final : public KinjectSession {
 public:
  Skel skel;
  std::vector<Link> links;
  size_t rules = 0;

  Result<void> seed(int pidfd, bool arm_on_exec) override {
    kinject_task t{1, arm_on_exec ? 1u : 0u};
    if (bpf_map_update_elem(bpf_map__fd(skel->maps.scope), &pidfd, &t, BPF_ANY) != 0)
      return make_error(errno, fmt::format("{}: putting the program in scope: {}", kKinjectRules, std::strerror(errno)));
    if (!arm_on_exec) skel->bss->armed = 1;
    return {};
  }

  std::vector<KinjectCounts> counts() const override {
    std::vector<KinjectCounts> out(rules);
    for (size_t i = 0; i < rules; ++i) {
      const __u32 key = static_cast<__u32>(i);
      kinject_count c{};
      if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.counts), &key, &c) == 0) out[i] = {c.matched, c.injected};
    }
    return out;
  }
};

}  // namespace

namespace {

// The mechanisms the rules need: only those are probed.
KProbeWanted wanted_mechanisms(std::span<const KinjectRule> rules) {
  KProbeWanted wanted{false, false, false, false, false};
  for (const KinjectRule& r : rules) {
    const KMechanism m = kinject_mechanism(r);
    if (m == KMechanism::kKprobeOverride || !r.chain.empty()) wanted.kprobes = true;
    if (m == KMechanism::kKprobeOverride) wanted.override_return = true;
    if (m == KMechanism::kFmodRetSecurity) wanted.fmod_ret_security = true;
    if (m == KMechanism::kFmodRetInjectable) wanted.fmod_ret_injectable = true;
    if (m == KMechanism::kLsm) wanted.lsm = true;
  }
  return wanted;
}

// Chooses the programs the plan needs and their attach targets, then loads them.
Result<void> load_programs(kinject* s, const KinjectPlan& plan, std::span<const KinjectRule> rules, LibbpfLog& log) {
  bpf_program__set_autoload(s->progs.kinject_fork, true);
  bpf_program__set_autoload(s->progs.kinject_exec, true);
  for (const KTargetPlan& t : plan.targets) {
    bpf_program* prog = nullptr;
    switch (t.mechanism) {
      case KMechanism::kKprobeOverride: prog = s->progs.kinject_override; break;
      case KMechanism::kFmodRetInjectable:
      case KMechanism::kFmodRetSecurity: prog = fmod_prog(s, t.rule); break;
      case KMechanism::kLsm: prog = lsm_prog(s, t.rule); break;
    }
    bpf_program__set_autoload(prog, true);
    if (t.mechanism == KMechanism::kKprobeOverride) continue;
    if (const int rc = bpf_program__set_attach_target(prog, 0, t.attach_to.c_str()); rc != 0)
      return make_error(-rc, fmt::format("{}: {} '{}' is not in this kernel's BTF", kinject_rule_name(rules[t.rule].text),
                                         t.mechanism == KMechanism::kLsm ? "LSM hook" : "function", t.attach_to));
  }
  if (!plan.chain.empty()) {
    bpf_program__set_autoload(s->progs.kinject_frame_entry, true);
    bpf_program__set_autoload(s->progs.kinject_frame_exit, true);
  }
  if (const int rc = kinject__load(s); rc != 0) {
    // Name the rule whose program failed, when the log says which.
    std::string which(kKinjectRules);
    for (const KTargetPlan& t : plan.targets)
      if (log.reason().find(t.attach_to) != std::string::npos) which = kinject_rule_name(rules[t.rule].text);
    return make_error(-rc, fmt::format("{}: loading the BPF programs failed: {}", which, explain(-rc, log.reason())));
  }
  return {};
}

// The rule table, tests masked to each argument's width.
Result<void> fill_rule_table(kinject* s, std::span<const KinjectRule> rules) {
  Btf vmlinux(btf__load_vmlinux_btf());
  for (size_t i = 0; i < rules.size(); ++i) {
    const KinjectRule& r = rules[i];
    kinject_rule k{};
    k.retval = r.return_value();
    k.seed = r.seed;
    k.prob = r.prob ? static_cast<__u64>(*r.prob * static_cast<double>(KINJECT_PROB_ALWAYS)) : KINJECT_PROB_ALWAYS;
    k.when_first = r.when.first;
    k.when_last = r.when.last;
    k.when_step = r.when.step;
    k.nframes = static_cast<__u32>(r.chain.size());
    const std::string what = kinject_rule_name(r.text);
    const std::string fn = r.target == KTarget::kLsm ? "bpf_lsm_" + r.function : r.function;
    if (auto ok = fill_tests(vmlinux.get(), fn, r.tests, k.tests, what); !ok) return std::move(ok).error();
    for (size_t f = 0; f < r.chain.size(); ++f) {
      auto ok = fill_tests(vmlinux.get(), r.chain[f].function, r.chain[f].tests, k.frames[f].tests, what);
      if (!ok) return std::move(ok).error();
    }
    const __u32 key = static_cast<__u32>(i);
    if (bpf_map_update_elem(bpf_map__fd(s->maps.rules), &key, &k, BPF_ANY) != 0)
      return make_error(errno, fmt::format("{}: filling the rule table: {}", what, std::strerror(errno)));
  }
  return {};
}

// Attach: scope tracking first, then chain frames (outermost first), then the targets.
Result<void> attach_all(LoadedSession& session, const KinjectPlan& plan, std::span<const KinjectRule> rules,
                        LibbpfLog& log) {
  kinject* s = session.skel.get();
  log.clear();
  const auto attach_failed = [&](const std::string& what, const std::string& fn, int err) {
    std::string hint;
    if (err == ENOENT) hint = fmt::format("no function '{}' in this kernel", fn);
    if (err == EINVAL) hint = fmt::format("'{}' cannot be hooked this way (not on this kernel's error-injection list?)", fn);
    return make_error(err, fmt::format("{}: attaching to {} failed: {}", what, fn, explain(err, log.reason(), hint)));
  };
  for (bpf_program* p : {s->progs.kinject_fork, s->progs.kinject_exec}) {
    Link l(bpf_program__attach(p));
    if (!l) return attach_failed(std::string(kKinjectRules), bpf_program__section_name(p), errno);
    session.links.push_back(std::move(l));
  }
  for (auto c = plan.chain.rbegin(); c != plan.chain.rend(); ++c) {
    const std::string what = kinject_rule_name(rules[c->rule].text);
    for (const bool ret : {false, true}) {
      LIBBPF_OPTS(bpf_kprobe_opts, opts, .bpf_cookie = (c->rule << 8) | c->frame, .retprobe = ret);
      bpf_program* p = ret ? s->progs.kinject_frame_exit : s->progs.kinject_frame_entry;
      Link l(bpf_program__attach_kprobe_opts(p, c->function.c_str(), &opts));
      if (!l) return attach_failed(what + " chain=", c->function, errno);
      session.links.push_back(std::move(l));
    }
  }
  for (const KTargetPlan& t : plan.targets) {
    Link l;
    if (t.mechanism == KMechanism::kKprobeOverride) {
      LIBBPF_OPTS(bpf_kprobe_opts, opts, .bpf_cookie = t.rule);
      l.reset(bpf_program__attach_kprobe_opts(s->progs.kinject_override, t.attach_to.c_str(), &opts));
    } else {
      l.reset(bpf_program__attach(t.mechanism == KMechanism::kLsm ? lsm_prog(s, t.rule) : fmod_prog(s, t.rule)));
    }
    if (!l) return attach_failed(kinject_rule_name(rules[t.rule].text), t.attach_to, errno);
    session.links.push_back(std::move(l));
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<KinjectSession>> start_kinject(std::span<const KinjectRule> rules) {
  // Probe only what the rules need; the plan turns a missing mechanism into the probe's line.
  auto support = probe_kernel_support(wanted_mechanisms(rules));
  if (!support) return std::move(support).error();
  auto plan = plan_kinject(rules, *support);
  if (!plan) return std::move(plan).error();

  auto session = std::make_unique<LoadedSession>();
  session->rules = rules.size();
  LibbpfLog log;
  auto opened = open_skeleton();
  if (!opened) return std::move(opened).error();
  session->skel = std::move(opened).value();
  if (auto ok = load_programs(session->skel.get(), *plan, rules, log); !ok) return std::move(ok).error();
  if (auto ok = fill_rule_table(session->skel.get(), rules); !ok) return std::move(ok).error();
  if (auto ok = attach_all(*session, *plan, rules, log); !ok) return std::move(ok).error();
  return std::unique_ptr<KinjectSession>(std::move(session));
}

}  // namespace sysvisor
