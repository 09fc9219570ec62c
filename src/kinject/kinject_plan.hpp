// The plan of what -k loads, and the kernel support it is checked against: which mechanism each
// rule needs, which one-line refusal a kernel without it gets. Pure values: no kernel, no I/O.
// Private to the engine and the CLI (--kinject-probe); a test author only writes KinjectRules
// (sysvisor/kinject.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sysvisor/kinject.hpp"
#include "sysvisor/result.hpp"

namespace sysvisor {

// What the running kernel allows, as --kinject-probe found it (by loading the real programs).
struct KSupport {
  bool ok = false;
  std::string why;  // when !ok: one clause, e.g. "kernel lockdown (integrity)"
};
struct KernelSupport {
  KSupport root, btf, kprobes, override_return, fmod_ret_security, fmod_ret_injectable, lsm;
};

// The probe's line for a mechanism: "bpf_override_return: yes" / "bpf_override_return: no: WHY".
std::string kinject_support_line(std::string_view name, const KSupport& s);
// The names and lines of every mechanism in --kinject-probe's order (root, BTF, kprobes,
// bpf_override_return, fmod_ret security_*, fmod_ret error-injectable, BPF LSM).
std::vector<std::string> kinject_probe_lines(const KernelSupport& k);

// One program to load and attach for a rule's target.
struct KTargetPlan {
  size_t rule = 0;          // index into the rules
  KMechanism mechanism = KMechanism::kKprobeOverride;
  std::string attach_to;    // kernel function (kprobe, fmod_ret) or LSM hook name
  int64_t retval = 0;       // what it returns when injected
};

// One kprobe/kretprobe pair for a chain frame.
struct KChainPlan {
  size_t rule = 0;
  size_t frame = 0;         // 0 = innermost
  std::string function;
};

struct KinjectPlan {
  std::vector<KTargetPlan> targets;  // one per rule, in rule order
  std::vector<KChainPlan> chain;
};

// As parse_kinject_option (sysvisor/kinject.hpp), the message without a prefix ("unknown errno
// 'EFOO'"): the command line adds its own ("-k 'SPEC': ", src/cli/cli.cpp).
Result<KinjectRule> parse_kinject_reason(std::string_view spec);

// The mechanism a rule needs (via=, or the target's natural one).
KMechanism kinject_mechanism(const KinjectRule& rule);

// Decides what to load for `rules` on a kernel with `support`. A rule the kernel cannot carry is
// an error whose message is exactly: "kinject rule 'SPEC': " followed by the probe line of the
// first mechanism it lacks (root, BTF, then kprobes for chain=/kprobe targets, then its own
// mechanism); the command line says "-k 'SPEC': " instead.
Result<KinjectPlan> plan_kinject(std::span<const KinjectRule> rules, const KernelSupport& support);

}  // namespace sysvisor
