#include "policy/policy_filter.hpp"

#include <seccomp.h>

#include <map>
#include <string>

#include "policy/syscalls.hpp"

namespace sysvisor {
namespace {

Arch arch_of(Personality p) { return p == Personality::kX86_64 ? Arch::kX86_64 : Arch::kI386; }
uint32_t token_of(Personality p) { return static_cast<uint32_t>(arch_of(p)); }

bool is_exec(Personality p, int nr) {
  const Sysno s = SyscallMap::instance().lookup(arch_of(p), nr);
  return s == Sysno::kExecve || s == Sysno::kExecveat;
}

}  // namespace

bool takes_fast_path(const InjectRule& rule, Personality p, int nr, bool traced_paths) {
  // i386 socketcall/ipc: strace keys the subcalls it can decode under their own names, so a rule
  // on the multiplexer itself must not catch them in the filter.
  const bool mux = p == Personality::kI386 && (nr == kI386Socketcall || nr == kI386Ipc);
  // libseccomp 2.5 refuses SCMP_ACT_ERRNO(4095) (it keeps 4095 out of its valid range): notify.
  return rule.errno_only_always() && *rule.error < 4095 && !traced_paths && !is_exec(p, nr) && !mux;
}

bool io_uring_blocked(const FilterInputs& in) {
  if (in.allow_io_uring) return false;
  if (!in.redirects.empty()) return true;
  const SyscallTable& table = SyscallTable::instance();
  for (const Personality p : {Personality::kX86_64, Personality::kI386}) {
    for (const int nr : table.numbers(p)) {
      const SyscallEntry* entry = table.entry(p, nr);
      if (entry != nullptr && (entry->flags & (syscall_class::kFile | syscall_class::kDesc)) != 0 &&
          in.injects.rule_for(p, nr) != nullptr)
        return true;
    }
  }
  return false;
}

std::vector<FilterRule> policy_filter_rules(const FilterInputs& in) {
  // (arch, nr) -> action; an inject rule's decision overrides a redirect's NOTIFY (it decides first).
  std::map<std::pair<Personality, int>, uint32_t> actions;
  const bool io_uring_off = io_uring_blocked(in);
  for (const Personality p : {Personality::kX86_64, Personality::kI386}) {
    if (!in.redirects.empty()) {
      for (Sysno s : redirect_syscalls()) {
        const int nr = seccomp_syscall_resolve_name_arch(token_of(p), std::string(sysno_name(s)).c_str());
        if (nr >= 0) actions[{p, nr}] = SCMP_ACT_NOTIFY;
      }
    }
    if (io_uring_off) {
      const int nr = seccomp_syscall_resolve_name_arch(token_of(p), "io_uring_setup");
      if (nr >= 0) actions[{p, nr}] = SCMP_ACT_ERRNO(ENOSYS);
    }
    if (in.injects.empty()) continue;
    // Every execve is seen while inject rules exist: a non-leader thread's exec hands its counts
    // over to the leader's id (see Injector::on_exec).
    for (const char* name : {"execve", "execveat"}) {
      const int nr = seccomp_syscall_resolve_name_arch(token_of(p), name);
      if (nr >= 0) actions[{p, nr}] = SCMP_ACT_NOTIFY;
    }
    for (const int nr : SyscallTable::instance().numbers(p)) {
      const InjectRule* rule = in.injects.rule_for(p, nr);
      if (rule == nullptr) continue;
      // With -P only calls that have a path or descriptor argument can match.
      if (!in.traced.empty() && path_args(p, nr).shape == PathShape::kNever) continue;
      const SyscallEntry* entry = SyscallTable::instance().entry(p, nr);
      if (entry != nullptr && entry->pseudo) {
        // An i386 socketcall/ipc subcall: the multiplexer is notified and demultiplexed by us.
        actions[{p, nr >= kI386IpcSubcallBase ? kI386Ipc : kI386Socketcall}] = SCMP_ACT_NOTIFY;
        continue;
      }
      actions[{p, nr}] = takes_fast_path(*rule, p, nr, !in.traced.empty())
                             ? SCMP_ACT_ERRNO(static_cast<uint32_t>(*rule->error))
                             : SCMP_ACT_NOTIFY;
    }
  }
  for (const RuleKey& key : in.handled) {
    const SyscallEntry* entry = SyscallTable::instance().entry(key.personality, key.nr);
    const int nr = entry != nullptr && entry->pseudo ? (key.nr >= kI386IpcSubcallBase ? kI386Ipc : kI386Socketcall)
                                                     : key.nr;
    actions[{key.personality, nr}] = SCMP_ACT_NOTIFY;
  }
  std::vector<FilterRule> rules;
  for (const auto& [key, action] : actions) rules.push_back({arch_of(key.first), key.second, action});
  return rules;
}

}  // namespace sysvisor
