// From rules to filter: which syscalls the filter answers itself (SECCOMP_RET_ERRNO), which it
// notifies, and which it allows. The same tables drive decide() (compiled_policy.cpp), and
// tests/unit/test_policy_agreement.cpp checks the two against each other.
#include <seccomp.h>

#include <map>
#include <optional>

#include "policy/compiled_policy.hpp"

namespace sysvisor {
namespace {

bool is_exec_nr(Personality p, int nr) {
  const SyscallEntry* e = SyscallTable::instance().entry(p, nr);
  return e != nullptr && !e->pseudo && is_exec(e->sysno);
}

// (personality, real number, comparisons) -> action.
struct Key {
  Personality p;
  int nr;
  std::vector<ArgCmp> cmps;
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
    const ArgCmp call{0, SCMP_CMP_MASKED_EQ, 0xffff, static_cast<uint64_t>(nr - kI386IpcSubcallBase)};
    actions[{Personality::kI386, kI386Ipc, {call}}] = SCMP_ACT_NOTIFY;
  } else {
    const ArgCmp call{0, SCMP_CMP_MASKED_EQ, 0xffffffff, static_cast<uint64_t>(nr - kI386SocketSubcallBase)};
    actions[{Personality::kI386, kI386Socketcall, {call}}] = SCMP_ACT_NOTIFY;
  }
}

void notify_all(Actions& actions, Personality p, Sysno s) {
  for (const int nr : SyscallTable::instance().numbers_of(p, s)) actions[{p, nr, {}}] = SCMP_ACT_NOTIFY;
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

// An inject rule's argN tests as filter comparisons for personality `p`: one conjunction per
// entry, which the filter ORs (argN&M with several bits in M becomes one conjunction per bit).
// Nothing when the filter cannot say it: two tests of one argument (libseccomp refuses them), or
// more than 16 conjunctions. Values are taken modulo 2^32 for i386, whose registers are 32 bits.
std::optional<std::vector<std::vector<ArgCmp>>> filter_conjunctions(const InjectRule& rule, Personality p) {
  const uint64_t width = p == Personality::kI386 ? 0xffffffffULL : ~0ULL;
  std::vector<std::vector<ArgCmp>> out(1);
  uint8_t used = 0;
  for (const ArgPredicate& t : rule.args) {
    const auto arg = static_cast<uint8_t>(t.arg);
    if ((used & (1u << arg)) != 0) return std::nullopt;
    used = static_cast<uint8_t>(used | (1u << arg));
    std::vector<ArgCmp> alternatives;
    const uint64_t v = t.value & width, m = t.mask & width;
    switch (t.op) {
      case ArgPredicate::Op::kEq:
        alternatives = {{arg, SCMP_CMP_EQ, v, 0}};
        if (const uint64_t low = ArgPredicate::int_register(v); low != v && p == Personality::kX86_64)
          alternatives.push_back({arg, SCMP_CMP_EQ, low, 0});
        break;
      case ArgPredicate::Op::kNe: alternatives = {{arg, SCMP_CMP_NE, v, 0}}; break;
      case ArgPredicate::Op::kLt: alternatives = {{arg, SCMP_CMP_LT, v, 0}}; break;
      case ArgPredicate::Op::kLe: alternatives = {{arg, SCMP_CMP_LE, v, 0}}; break;
      case ArgPredicate::Op::kGt: alternatives = {{arg, SCMP_CMP_GT, v, 0}}; break;
      case ArgPredicate::Op::kGe: alternatives = {{arg, SCMP_CMP_GE, v, 0}}; break;
      case ArgPredicate::Op::kMaskedEq: alternatives = {{arg, SCMP_CMP_MASKED_EQ, m, v}}; break;
      case ArgPredicate::Op::kAnyBit:
        for (uint64_t bit = 1; bit != 0; bit <<= 1)
          if ((m & bit) != 0) alternatives.push_back({arg, SCMP_CMP_MASKED_EQ, bit, bit});
        break;
    }
    std::vector<std::vector<ArgCmp>> next;
    for (const auto& conj : out) {
      for (const ArgCmp& c : alternatives) {
        next.push_back(conj);
        next.back().push_back(c);
      }
    }
    if (next.size() > 16) return std::nullopt;
    out = std::move(next);  // argN&0 has no alternative: nothing can match, the filter allows all
  }
  return out;
}

// The filter's part of an inject rule on (p, nr). With argN tests the calls that fail them never
// leave the kernel, unless the syscall must be seen whole for another rule (a redirect, a handler,
// io_uring's refusal) or the tests cannot be compiled: then decide() applies them.
void add_inject_actions(const CompiledPolicy& policy, Actions& actions, const InjectRule& rule, Personality p, int nr) {
  const bool whole = actions.contains({p, nr, {}}) || policy.handlers().index(RuleKey{p, nr}) >= 0;
  const auto conjunctions = rule.args.empty() || whole || has_multiplexed_twin(p, nr)
                                ? std::nullopt : filter_conjunctions(rule, p);
  const bool fast = policy.takes_fast_path(rule, p, nr) && (rule.args.empty() || conjunctions);
  const uint32_t action = fast ? SCMP_ACT_ERRNO(static_cast<uint32_t>(*rule.error)) : SCMP_ACT_NOTIFY;
  if (!conjunctions) {
    actions[{p, nr, {}}] = action;
    return;
  }
  for (const auto& conj : *conjunctions) actions[{p, nr, conj}] = action;
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

// Read off the filter itself: a rule is counted unless the filter answers some call it decides.
bool CompiledPolicy::inject_counted(size_t rule) const {
  const InjectRule& r = injects_.rules()[rule];
  for (const FilterRule& f : filter_rules()) {
    const Personality p = f.arch == Arch::kX86_64 ? Personality::kX86_64 : Personality::kI386;
    if ((f.action & 0xffff0000U) == SCMP_ACT_ERRNO(0) && injects_.rule_for(p, f.nr) == &r) return false;
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
        if (redirect_covers(p, static_cast<Sysno>(s))) notify_all(actions, p, static_cast<Sysno>(s));
    }
    if (io_uring_blocked_) {
      // All three calls: refusing setup alone leaves a ring the caller inherited working.
      for (const Sysno s : {Sysno::kIoUringSetup, Sysno::kIoUringEnter, Sysno::kIoUringRegister})
        for (const int nr : table.numbers_of(p, s)) actions[{p, nr, {}}] = SCMP_ACT_ERRNO(ENOSYS);
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
      add_inject_actions(*this, actions, *rule, p, nr);
    }
  }
  for (const RuleKey& key : handlers_.keys()) {
    if (table.entry(key.personality, key.nr)->pseudo) notify_subcall(actions, key.nr);
    else actions[{key.personality, key.nr, {}}] = SCMP_ACT_NOTIFY;
  }
  std::vector<FilterRule> rules;
  for (const auto& [key, action] : actions) rules.push_back({arch_of(key.p), key.nr, action, key.cmps});
  return rules;
}

}  // namespace sysvisor
