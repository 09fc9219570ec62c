// The generated filter, run on fake seccomp_data by a small classic-BPF interpreter.
#include <doctest/doctest.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <stdexcept>

#include "bpf_emulator.hpp"
#include "policy/filter.hpp"
#include "kernel/notify_fd.hpp"

using namespace sysvisor;
using sysvisor::testing::run_bpf;

namespace {

seccomp_data call(uint32_t arch, int nr, uint64_t a0 = 0) {
  seccomp_data d{};
  d.arch = arch;
  d.nr = nr;
  d.args[0] = a0;
  return d;
}

int nr_of(uint32_t arch, const char* name) { return seccomp_syscall_resolve_name_arch(arch, name); }

}  // namespace

TEST_CASE("empty policy: everything is allowed, x32 and foreign arches fail with ENOSYS") {
  auto prog = build_filter({});
  REQUIRE(prog);
  for (int nr = 0; nr < 500; ++nr) {
    CHECK(run_bpf(*prog, call(AUDIT_ARCH_X86_64, nr)) == SECCOMP_RET_ALLOW);
    CHECK(run_bpf(*prog, call(AUDIT_ARCH_I386, nr)) == SECCOMP_RET_ALLOW);
  }
  const uint32_t enosys = SECCOMP_RET_ERRNO | ENOSYS;
  CHECK(run_bpf(*prog, call(AUDIT_ARCH_X86_64, 0x40000000 + 2)) == enosys);   // x32 open
  CHECK(run_bpf(*prog, call(AUDIT_ARCH_X86_64, 0x40000000 + 257)) == enosys); // x32 openat
  CHECK(run_bpf(*prog, call(AUDIT_ARCH_AARCH64, 56)) == enosys);
}

TEST_CASE("rules apply per architecture, by each architecture's own numbers") {
  const int open64 = nr_of(SCMP_ARCH_X86_64, "open");
  const int openat64 = nr_of(SCMP_ARCH_X86_64, "openat");
  const int open32 = nr_of(SCMP_ARCH_X86, "open");
  const int stat64_32 = nr_of(SCMP_ARCH_X86, "stat64");
  REQUIRE(open64 == 2);
  REQUIRE(open32 == 5);
  auto prog = build_filter({{Arch::kX86_64, open64, SCMP_ACT_NOTIFY, {}},
                            {Arch::kX86_64, openat64, SCMP_ACT_ERRNO(EIO), {}},
                            {Arch::kI386, open32, SCMP_ACT_NOTIFY, {}},
                            {Arch::kI386, stat64_32, SCMP_ACT_ERRNO(EPERM), {}}});
  REQUIRE(prog);
  CHECK(run_bpf(*prog, call(AUDIT_ARCH_X86_64, open64)) == SECCOMP_RET_USER_NOTIF);
  CHECK(run_bpf(*prog, call(AUDIT_ARCH_X86_64, openat64)) == (SECCOMP_RET_ERRNO | EIO));
  CHECK(run_bpf(*prog, call(AUDIT_ARCH_I386, open32)) == SECCOMP_RET_USER_NOTIF);
  CHECK(run_bpf(*prog, call(AUDIT_ARCH_I386, stat64_32)) == (SECCOMP_RET_ERRNO | EPERM));
  // The same numbers on the other architecture are other syscalls: untouched.
  CHECK(run_bpf(*prog, call(AUDIT_ARCH_I386, open64)) == SECCOMP_RET_ALLOW);   // i386 2 = fork
  CHECK(run_bpf(*prog, call(AUDIT_ARCH_X86_64, open32)) == SECCOMP_RET_ALLOW); // x86_64 5 = fstat
  CHECK(run_bpf(*prog, call(AUDIT_ARCH_X86_64, stat64_32)) == SECCOMP_RET_ALLOW);
  // Every other number stays ALLOW on both.
  int notified = 0;
  for (int nr = 0; nr < 500; ++nr) {
    notified += run_bpf(*prog, call(AUDIT_ARCH_X86_64, nr)) != SECCOMP_RET_ALLOW;
    notified += run_bpf(*prog, call(AUDIT_ARCH_I386, nr)) != SECCOMP_RET_ALLOW;
  }
  CHECK(notified == 4);
}

TEST_CASE("i386 socket rules also cover socketcall with the matching call number") {
  // libseccomp resolves i386 socket calls to a negative multiplexer number; the kernel's is 362.
  const int connect32 = 362;
  REQUIRE(nr_of(SCMP_ARCH_X86, "connect") < 0);
  const int socketcall = nr_of(SCMP_ARCH_X86, "socketcall");
  auto prog = build_filter({{Arch::kI386, nr_of(SCMP_ARCH_X86, "connect"), SCMP_ACT_NOTIFY, {}}});
  REQUIRE(prog);
  CHECK(run_bpf(*prog, call(AUDIT_ARCH_I386, connect32)) == SECCOMP_RET_USER_NOTIF);
  CHECK(run_bpf(*prog, call(AUDIT_ARCH_I386, socketcall, 3 /* SYS_CONNECT */)) == SECCOMP_RET_USER_NOTIF);
  CHECK(run_bpf(*prog, call(AUDIT_ARCH_I386, socketcall, 1 /* SYS_SOCKET */)) == SECCOMP_RET_ALLOW);
}

TEST_CASE("a large rule set stays correct (binary-tree layout)") {
  std::vector<FilterRule> rules;
  for (int nr = 0; nr < 300; ++nr) {
    char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
    if (name == nullptr) continue;
    std::free(name);
    rules.push_back({Arch::kX86_64, nr, nr % 2 == 0 ? SCMP_ACT_NOTIFY : SCMP_ACT_ERRNO(static_cast<uint32_t>(nr % 100 + 1)), {}});
  }
  auto prog = build_filter(rules);
  REQUIRE(prog);
  for (const FilterRule& r : rules) {
    const uint32_t want = r.nr % 2 == 0 ? SECCOMP_RET_USER_NOTIF : (SECCOMP_RET_ERRNO | static_cast<uint32_t>(r.nr % 100 + 1));
    CHECK(run_bpf(*prog, call(AUDIT_ARCH_X86_64, r.nr)) == want);
  }
  CHECK(run_bpf(*prog, call(AUDIT_ARCH_X86_64, 400)) == SECCOMP_RET_ALLOW);
}

TEST_CASE("kernel release comparison (blocked RECV ends with the filter from 6.11)") {
  CHECK(kernel_release_at_least("6.18.44-fc-v657", 6, 11));
  CHECK(kernel_release_at_least("6.11.0", 6, 11));
  CHECK(kernel_release_at_least("7.0", 6, 11));
  CHECK(kernel_release_at_least("6.12.57+deb13-amd64", 6, 11));
  CHECK_FALSE(kernel_release_at_least("6.10.14", 6, 11));
  CHECK_FALSE(kernel_release_at_least("6.1.0-28-amd64", 6, 11));
  CHECK_FALSE(kernel_release_at_least("5.19", 6, 11));
  CHECK_FALSE(kernel_release_at_least("", 6, 11));
  CHECK_FALSE(kernel_release_at_least("6", 6, 11));
  CHECK_FALSE(kernel_release_at_least("six.eleven", 6, 11));
}
