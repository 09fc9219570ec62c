// The same rule objects drive the filter and the user-space decision: for every syscall strace
// knows, in both personalities, the generated filter's verdict must agree with what the engine
// would decide after a notification.
#include <doctest/doctest.h>

#include <linux/audit.h>
#include <seccomp.h>

#include <cerrno>
#include <string>
#include <vector>

#include "bpf_emulator.hpp"
#include "policy/policy_filter.hpp"

using namespace sysvisor;
using sysvisor::testing::run_bpf;

namespace {

struct Setup {
  RedirectTable redirects;
  InjectTable injects;
  TracedPaths traced;
};

uint32_t verdict(const std::vector<sock_filter>& prog, Personality p, int nr) {
  seccomp_data d{};
  d.arch = p == Personality::kX86_64 ? AUDIT_ARCH_X86_64 : AUDIT_ARCH_I386;
  d.nr = nr;
  return run_bpf(prog, d);
}

void check_agreement(Setup& s, bool allow_io_uring = false) {
  const FilterInputs in{s.redirects, s.injects, s.traced, allow_io_uring};
  auto prog = build_filter(policy_filter_rules(in));
  REQUIRE(prog);
  const SyscallTable& table = SyscallTable::instance();
  for (const Personality p : {Personality::kX86_64, Personality::kI386}) {
    for (const int nr : table.numbers(p)) {
      const SyscallEntry* entry = table.entry(p, nr);
      if (entry == nullptr || entry->pseudo) continue;  // pseudo numbers reach us as socketcall/ipc
      const uint32_t v = verdict(*prog, p, nr);
      const InjectRule* rule = s.injects.rule_for(p, nr);
      const bool pathless = !s.traced.empty() && path_args(p, nr).shape == PathShape::kNever;
      const std::string name(entry->name);
      CAPTURE(name);
      CAPTURE(nr);
      CAPTURE(static_cast<int>(p));
      if ((v & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO) {
        const int e = static_cast<int>(v & SECCOMP_RET_DATA);
        if (name == "io_uring_setup" && io_uring_blocked(in) && (rule == nullptr || !takes_fast_path(*rule, p, nr, !s.traced.empty()))) {
          CHECK(e == ENOSYS);
        } else {
          REQUIRE(rule != nullptr);
          CHECK(takes_fast_path(*rule, p, nr, !s.traced.empty()));
          CHECK(rule->error == e);
        }
      } else if (v == SECCOMP_RET_USER_NOTIF) {
        const bool mux = p == Personality::kI386 && (nr == kI386Socketcall || nr == kI386Ipc);
        // Every execve is notified while inject rules exist (a thread's exec hands its counts over).
        const bool exec = (name == "execve" || name == "execveat") && !s.injects.empty();
        CHECK((mux || exec || (rule != nullptr && !pathless && !takes_fast_path(*rule, p, nr, !s.traced.empty())) ||
               !s.redirects.empty()));
      } else {
        CHECK(v == SECCOMP_RET_ALLOW);
        CHECK((rule == nullptr || pathless));
      }
    }
  }
}

InjectRule rule(const char* text) {
  auto r = parse_inject_option(text);
  REQUIRE_MESSAGE(r, text);
  return std::move(r).value();
}

}  // namespace

TEST_CASE("an errno on every call is answered by the filter; anything else is notified") {
  Setup s;
  s.injects.add(rule("inject=openat,getppid:error=EACCES"));
  s.injects.add(rule("inject=read:error=EIO:when=3"));
  s.injects.add(rule("fault=uname"));
  s.injects.add(rule("inject=getpid:retval=42"));
  s.injects.add(rule("inject=execve:error=EPERM"));  // never the fast path
  check_agreement(s);
  auto prog = build_filter(policy_filter_rules({s.redirects, s.injects, s.traced, false}));
  REQUIRE(prog);
  const int openat = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, "openat");
  const int read64 = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, "read");
  const int uname32 = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, "uname");
  const int execve = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, "execve");
  CHECK(verdict(*prog, Personality::kX86_64, openat) == (SECCOMP_RET_ERRNO | EACCES));
  CHECK(verdict(*prog, Personality::kX86_64, read64) == SECCOMP_RET_USER_NOTIF);
  CHECK(verdict(*prog, Personality::kI386, uname32) == (SECCOMP_RET_ERRNO | ENOSYS));
  CHECK(verdict(*prog, Personality::kX86_64, execve) == SECCOMP_RET_USER_NOTIF);
}

TEST_CASE("a later rule replaces an earlier one in the filter too") {
  Setup s;
  s.injects.add(rule("inject=%file:error=EPERM"));
  s.injects.add(rule("inject=openat:error=EIO:when=2"));
  check_agreement(s);
  auto prog = build_filter(policy_filter_rules({s.redirects, s.injects, s.traced, false}));
  const int openat = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, "openat");
  const int stat64 = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, "stat");
  CHECK(verdict(*prog, Personality::kX86_64, openat) == SECCOMP_RET_USER_NOTIF);
  CHECK(verdict(*prog, Personality::kX86_64, stat64) == (SECCOMP_RET_ERRNO | EPERM));
}

TEST_CASE("-P notifies only calls with a path or descriptor argument, and never takes the fast path") {
  Setup s;
  s.injects.add(rule("inject=all:error=EIO"));
  s.traced.add("/etc/hostname");
  check_agreement(s);
  auto prog = build_filter(policy_filter_rules({s.redirects, s.injects, s.traced, false}));
  CHECK(verdict(*prog, Personality::kX86_64, seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, "getppid")) ==
        SECCOMP_RET_ALLOW);
  CHECK(verdict(*prog, Personality::kX86_64, seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, "read")) ==
        SECCOMP_RET_USER_NOTIF);
}

TEST_CASE("redirects, io_uring and inject rules together") {
  Setup s;
  s.redirects.add({"/etc/app.conf", "/tmp/x", false});
  s.injects.add(rule("inject=stat:error=EACCES"));
  s.injects.add(rule("inject=%network:error=ENETDOWN"));
  check_agreement(s);
  check_agreement(s, true);
  Setup only_inject;
  only_inject.injects.add(rule("inject=openat:error=EPERM:when=5"));
  CHECK(io_uring_blocked({only_inject.redirects, only_inject.injects, only_inject.traced, false}));
  Setup unrelated;
  unrelated.injects.add(rule("inject=getppid:error=EPERM"));
  CHECK_FALSE(io_uring_blocked({unrelated.redirects, unrelated.injects, unrelated.traced, false}));
  check_agreement(unrelated);
}
