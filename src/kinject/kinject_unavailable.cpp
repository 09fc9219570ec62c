// The kernel side of -k when sysvisor is built without the eBPF path (SYSVISOR_EBPF=OFF): every
// request is refused with one line, before any program starts.
#include "kinject/kinject_session.hpp"

#include <cerrno>

#include "policy/rule_name.hpp"

namespace sysvisor {

Result<KernelSupport> probe_kernel_support(const KProbeWanted&) {
  return make_error(EOPNOTSUPP, "--kinject-probe: sysvisor was built without the eBPF path (SYSVISOR_EBPF=OFF)");
}

Result<std::unique_ptr<KinjectSession>> start_kinject(std::span<const KinjectRule> rules) {
  const std::string which = rules.empty() ? std::string(kKinjectRules) : kinject_rule_name(rules.front().text);
  return make_error(EOPNOTSUPP, which + ": sysvisor was built without the eBPF path (SYSVISOR_EBPF=OFF)");
}

}  // namespace sysvisor
