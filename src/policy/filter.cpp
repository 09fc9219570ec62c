#include "policy/filter.hpp"

#include <fcntl.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "sysvisor/unique_fd.hpp"

namespace sysvisor {
namespace {

struct CtxDeleter {
  void operator()(void* ctx) const noexcept { seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

Result<Ctx> make_ctx(uint32_t arch) {
  Ctx ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) return make_error(ENOMEM, "seccomp_init failed");
  int rc = 0;
  if (arch != SCMP_ARCH_NATIVE) {
    if ((rc = seccomp_arch_remove(ctx.get(), SCMP_ARCH_NATIVE)) != 0 ||
        (rc = seccomp_arch_add(ctx.get(), arch)) != 0)
      return make_error(-rc, fmt::format("seccomp_arch_add: {}", std::strerror(-rc)));
  }
  // x32 syscall numbers on x86_64 count as a bad architecture: fail them with ENOSYS, as a kernel
  // built without x32 would, rather than killing or allowing them.
  if ((rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS))) != 0 ||
      // Binary search over syscall numbers: the cost stays flat with hundreds of rules.
      (rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2)) != 0)
    return make_error(-rc, fmt::format("seccomp_attr_set: {}", std::strerror(-rc)));
  return ctx;
}

Result<void> add_rule(void* ctx, uint32_t arch, const FilterRule& rule) {
  // libseccomp's rule API takes native numbers and translates by name per architecture.
  char* name = seccomp_syscall_resolve_num_arch(arch, rule.nr);
  if (name == nullptr) return make_error(EINVAL, fmt::format("no syscall {} on this architecture", rule.nr));
  std::unique_ptr<char, decltype(&std::free)> owned(name, &std::free);
  const int native = seccomp_syscall_resolve_name(name);
  std::vector<scmp_arg_cmp> cmps;
  for (const ArgCmp& c : rule.cmps) cmps.push_back({c.arg, static_cast<scmp_compare>(c.op), c.a, c.b});
  const int rc = seccomp_rule_add_array(ctx, rule.action, native, static_cast<unsigned>(cmps.size()), cmps.data());
  if (rc != 0) return make_error(-rc, fmt::format("seccomp_rule_add({}): {}", name, std::strerror(-rc)));
  return {};
}

}  // namespace

Result<std::vector<sock_filter>> build_filter(const std::vector<FilterRule>& rules) {
  auto native = make_ctx(SCMP_ARCH_NATIVE);
  if (!native) return std::move(native).error();
  auto compat = make_ctx(SCMP_ARCH_X86);
  if (!compat) return std::move(compat).error();
  for (const FilterRule& rule : rules) {
    const bool is64 = rule.arch == Arch::kX86_64;
    auto added = add_rule(is64 ? native->get() : compat->get(), is64 ? SCMP_ARCH_X86_64 : SCMP_ARCH_X86, rule);
    if (!added) return std::move(added).error();
  }
  // seccomp_merge consumes the second context on success.
  int rc = seccomp_merge(native->get(), compat->get());
  if (rc != 0) return make_error(-rc, fmt::format("seccomp_merge: {}", std::strerror(-rc)));
  (void)compat->release();

  // libseccomp 2.5 can only export to a descriptor.
  UniqueFd mem(memfd_create("sysvisor-filter", MFD_CLOEXEC));
  if (!mem) return make_error(errno, fmt::format("memfd_create: {}", std::strerror(errno)));
  if ((rc = seccomp_export_bpf(native->get(), mem.get())) != 0)
    return make_error(-rc, fmt::format("seccomp_export_bpf: {}", std::strerror(-rc)));
  struct stat st {};
  if (fstat(mem.get(), &st) != 0) return make_error(errno, "fstat of the exported filter failed");
  std::vector<sock_filter> program(static_cast<size_t>(st.st_size) / sizeof(sock_filter));
  const auto want = static_cast<ssize_t>(program.size() * sizeof(sock_filter));
  if (pread(mem.get(), program.data(), static_cast<size_t>(want), 0) != want)
    return make_error(EIO, "reading back the exported filter failed");
  return program;
}

}  // namespace sysvisor
