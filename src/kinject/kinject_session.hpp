// The kernel side of -k: probing what the kernel allows, and one run's loaded and attached
// programs. Implemented with libbpf (kinject_session.cpp) when built with SYSVISOR_EBPF; a build
// without it (SYSVISOR_EBPF=OFF) links kinject_unavailable.cpp, which refuses every -k rule and
// --kinject-probe with one line naming that build option.
//
// Threads: a KinjectSession is used by the thread that runs the supervised program; probing
// serialises on a process-wide lock (libbpf's print callback, which carries the verifier's
// messages, is process-wide).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "kinject/kinject_plan.hpp"
#include "sysvisor/kinject.hpp"
#include "sysvisor/result.hpp"

namespace sysvisor {

// Which mechanisms to check (the others are reported "not checked").
struct KProbeWanted {
  bool kprobes = true, override_return = true, fmod_ret_security = true, fmod_ret_injectable = true, lsm = true;
};

// Loads (and attaches, then detaches) the real programs to find what this kernel allows. Never
// leaves anything attached. Error only when built without the eBPF path.
Result<KernelSupport> probe_kernel_support(const KProbeWanted& wanted = {});

// Per rule: what it counted and injected.
struct KinjectCounts {
  uint64_t matched = 0;
  uint64_t injected = 0;
};

class KinjectSession {
 public:
  virtual ~KinjectSession() = default;
  // Puts the task of `pidfd` in scope. arm_on_exec: the rules arm when it completes its next
  // execve; else they are armed now.
  virtual Result<void> seed(int pidfd, bool arm_on_exec) = 0;
  // The counts so far, one per rule.
  virtual std::vector<KinjectCounts> counts() const = 0;
};

// Probes what `rules` need, plans, loads and attaches; nothing fires until seed(). Errors are
// the one-line refusals of plan_kinject, or a load/attach failure naming the rule.
Result<std::unique_ptr<KinjectSession>> start_kinject(std::span<const KinjectRule> rules);

}  // namespace sysvisor
