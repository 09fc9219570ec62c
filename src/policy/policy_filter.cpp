// From rules to filter: which syscalls the filter answers itself (SECCOMP_RET_ERRNO), which it
// notifies, and which it allows. The same tables drive decide() (compiled_policy.cpp), and
// tests/unit/test_policy_agreement.cpp checks the two against each other.
#include <seccomp.h>

#include <map>

#include "policy/compiled_policy.hpp"

namespace sysvisor {
namespace {

bool is_exec_nr(Personality p, int nr) {
  const SyscallEntry* e = SyscallTable::instance().entry(p, nr);
  return e != nullptr && !e->pseudo && is_exec(e->sysno);
}

// (personality, real number, arg0 mask, arg0 value) -> action.
struct Key {
  Personality p;
  int nr;
  uint32_t mask = 0;
  uint32_t value = 0;
  auto operator<=>(const Key&) const = default;
};
using Actions = std::map<Key, uint32_t>;

// Notifies the i386 socketcall/ipc subcall at pseudo number `nr` through its multiplexer, with
// its call number as the arg0 test. A subcall that also has a number of its own (connect: 362)
// needs nothing: libseccomp adds the multiplexed form to every rule on the direct number.
void notify_subcall(Actions& actions, int nr) {
  const SyscallTable& table = SyscallTable::instance();
  for (const int own : table.numbers_named(Personality::kI386, table.entry(Personality::kI386, nr)->name))
    if (!table.entry(Personality::kI386, own)->pseudo) return;
  if (nr >= kI386IpcSubcallBase) {
    actions[{Personality::kI386, kI386Ipc, 0xffff, static_cast<uint32_t>(nr - kI386IpcSubcallBase)}] = SCMP_ACT_NOTIFY;
  } else {
    actions[{Personality::kI386, kI386Socketcall, 0xffffffff, static_cast<uint32_t>(nr - kI386SocketSubcallBase)}] =
        SCMP_ACT_NOTIFY;
  }
}

void notify_all(Actions& actions, Personality p, Sysno s) {
  for (const int nr : SyscallTable::instance().numbers_of(p, s)) actions[{p, nr}] = SCMP_ACT_NOTIFY;
}

// An i386 socket or SysV IPC call with a number of its own (connect: 362) that is also a
// socketcall/ipc subcall: libseccomp adds the multiplexed form to any rule on it.
bool has_multiplexed_twin(Personality p, int nr) {
  if (p != Personality::kI386) return false;
  const SyscallTable& table = SyscallTable::instance();
  for (const int other : table.numbers_named(p, table.entry(p, nr)->name))
    if (table.entry(p, other)->pseudo) return true;
  return false;
}

}  // namespace

bool CompiledPolicy::takes_fast_path(const InjectRule& rule, Personality p, int nr) const {
  // i386 socketcall/ipc: strace keys the subcalls it can decode under their own names, so a rule
  // on the multiplexer itself must not catch them in the filter; and a rule on a subcall's own
  // number must not either, since libseccomp would extend it to the multiplexed form, which strace
  // keys as the subcall only when its argument array is readable.
  const bool mux = p == Personality::kI386 && (nr == kI386Socketcall || nr == kI386Ipc || has_multiplexed_twin(p, nr));
  // libseccomp 2.5 refuses SCMP_ACT_ERRNO(4095) (it keeps 4095 out of its valid range): notify.
  return rule.errno_only_always() && *rule.error < 4095 && traced_.empty() && !is_exec_nr(p, nr) && !mux;
}

bool CompiledPolicy::inject_counted(size_t rule) const {
  const InjectRule& r = injects_.rules()[rule];
  const SyscallTable& table = SyscallTable::instance();
  for (const Personality p : {Personality::kX86_64, Personality::kI386}) {
    for (const int nr : table.numbers(p))
      if (injects_.rule_for(p, nr) == &r && !table.entry(p, nr)->pseudo && takes_fast_path(r, p, nr)) return false;
  }
  return true;
}

// io_uring performs opens and reads without syscalls, bypassing redirections and file-related
// inject rules. Refusing io_uring_enter and io_uring_register too stops a ring the program
// inherited, unless it was made with IORING_SETUP_SQPOLL: its kernel thread takes submissions
// without any syscall, which no filter sees (man/sysvisor.1, BUGS).
bool CompiledPolicy::io_uring_needed() const {
  if (!redirects_.empty()) return true;
  const SyscallTable& table = SyscallTable::instance();
  for (const Personality p : {Personality::kX86_64, Personality::kI386}) {
    for (const int nr : table.numbers(p)) {
      const SyscallEntry* entry = table.entry(p, nr);
      if ((entry->flags & (syscall_class::kFile | syscall_class::kDesc)) != 0 && injects_.rule_for(p, nr) != nullptr)
        return true;
    }
  }
  return false;
}

std::vector<FilterRule> CompiledPolicy::filter_rules() const {
  // (arch, nr) -> action; an inject rule's decision overrides a redirect's NOTIFY (it decides first).
  Actions actions;
  const SyscallTable& table = SyscallTable::instance();
  for (const Personality p : {Personality::kX86_64, Personality::kI386}) {
    if (!redirects_.empty()) {
      for (auto s = static_cast<uint8_t>(Sysno::kOpen); s < static_cast<uint8_t>(Sysno::kCount); ++s)
        if (redirect_covers(static_cast<Sysno>(s))) notify_all(actions, p, static_cast<Sysno>(s));
    }
    if (io_uring_blocked_) {
      // All three calls: refusing setup alone leaves a ring the caller inherited working.
      for (const Sysno s : {Sysno::kIoUringSetup, Sysno::kIoUringEnter, Sysno::kIoUringRegister})
        for (const int nr : table.numbers_of(p, s)) actions[{p, nr}] = SCMP_ACT_ERRNO(ENOSYS);
    }
    if (injects_.empty()) continue;
    // Every execve is seen while inject rules exist: a non-leader thread's exec hands its counts
    // over to the leader's id (ThreadState::on_exec).
    notify_all(actions, p, Sysno::kExecve);
    notify_all(actions, p, Sysno::kExecveat);
    for (const int nr : table.numbers(p)) {
      const InjectRule* rule = injects_.rule_for(p, nr);
      if (rule == nullptr) continue;
      // With -P only calls that have a path or descriptor argument can match.
      if (!traced_.empty() && path_args(p, nr).shape == PathShape::kNever) continue;
      if (table.entry(p, nr)->pseudo) {
        notify_subcall(actions, nr);  // demultiplexed by us
        continue;
      }
      actions[{p, nr}] = takes_fast_path(*rule, p, nr) ? SCMP_ACT_ERRNO(static_cast<uint32_t>(*rule->error))
                                                       : SCMP_ACT_NOTIFY;
    }
  }
  for (const RuleKey& key : handlers_.keys()) {
    if (table.entry(key.personality, key.nr)->pseudo) notify_subcall(actions, key.nr);
    else actions[{key.personality, key.nr}] = SCMP_ACT_NOTIFY;
  }
  std::vector<FilterRule> rules;
  for (const auto& [key, action] : actions) rules.push_back({arch_of(key.p), key.nr, action, key.mask, key.value});
  return rules;
}

}  // namespace sysvisor
