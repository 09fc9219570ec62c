#include "policy/compiled_policy.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <linux/limits.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <span>

#include "policy/inject_match.hpp"
#include "sysvisor/path.hpp"

namespace sysvisor {

Result<CompiledPolicy> CompiledPolicy::compile(const Policy& policy) {
  CompiledPolicy out;
  for (const Redirect& r : policy.redirects) out.redirects_.add(r);
  for (const InjectRule& rule : policy.injects) {
    out.injects_.add(rule);
    out.seeds_.push_back(rule.seed ? *rule.seed : rule.probability ? draw_seed() : 0);
  }
  for (const std::string& p : policy.trace_paths) out.traced_.add(p);
  if (auto ok = out.handlers_.build(policy.handlers); !ok) return std::move(ok).error();
  out.allow_io_uring_ = policy.allow_io_uring;
  out.io_uring_blocked_ = !out.allow_io_uring_ && out.io_uring_needed();
  return out;
}

Verdict CompiledPolicy::decide(const Syscall& call, Stage from, ThreadState& state, CallerMemory& memory,
                               PathScratch& scratch) const {
  Verdict v;
  if (from == Stage::kHandler && is_exec(call.sysno)) {
    // The execve by which we start the program is neither counted, handled nor injected.
    if (state.starts_program(call)) {
      v.kind = Verdict::Kind::kStartsProgram;
      return v;
    }
    if (!injects_.empty()) state.on_exec(call);
  }
  // strace's key for the call, once (for an i386 socketcall it reads the caller's memory).
  if (!handlers_.empty() || !injects_.empty()) v.key = rule_key(call, memory);
  if (from == Stage::kHandler && !handlers_.empty()) {
    if (Verdict h = decide_handler(call, v); h.kind != Verdict::Kind::kContinue) return h;
  }
  if (from != Stage::kRedirect && !injects_.empty()) {
    Verdict i = decide_inject(call, state, memory, scratch, v);
    if (i.kind != Verdict::Kind::kContinue) return i;
    v.matched_inject = i.matched_inject;
  }
  if (io_uring_blocked_ && is_io_uring(call.sysno)) {
    v.kind = Verdict::Kind::kRefuse;
    v.error = ENOSYS;
    return v;
  }
  if (!redirects_.empty() && redirect_covers(personality_of(call.arch), call.sysno))
    return decide_redirect(call, memory, scratch, v);
  if (from == Stage::kHandler && is_exec(call.sysno) && !injects_.empty()) v.kind = Verdict::Kind::kObserve;
  return v;
}

Verdict CompiledPolicy::decide_handler(const Syscall&, Verdict v) const {
  if (const int h = handlers_.index(v.key); h >= 0) {
    v.kind = Verdict::Kind::kHandler;
    v.rule = static_cast<size_t>(h);
  }
  return v;
}

// A rule fires when the call passes -P and the rule's selectors (a call that does not is not
// counted, as under strace), when= selects it, and prob='s coin says so.
Verdict CompiledPolicy::decide_inject(const Syscall& call, ThreadState& state, CallerMemory& memory,
                                      PathScratch& scratch, Verdict v) const {
  const InjectRule* rule = injects_.rule_for(v.key.personality, v.key.nr);
  if (rule == nullptr) return v;
  if (!traced_.empty() && !traced_.matches_call(call, v.key, memory)) return v;
  if (!selectors_pass(*rule, call, v.key, memory, scratch)) return v;
  const size_t index = inject_index(rule);
  v.matched_inject = index;
  const CallCount c = state.count(call.tid, v.key, rule->when);
  if (!c.selected) return v;
  if (rule->probability &&
      !chance_fires(seeds_[index], c.thread, v.key.personality, v.key.nr, c.nth, *rule->probability))
    return v;
  v.kind = Verdict::Kind::kInject;
  v.inject = rule;
  v.rule = index;
  return v;
}

namespace {

// The registers argN tests compare: the call's own, or for an i386 socketcall/ipc subcall the
// subcall's arguments (socketcall: the array its second argument points to). False if unreadable.
bool subcall_registers(const Syscall& call, RuleKey key, CallerMemory& memory, std::array<uint64_t, 6>& regs) {
  regs = call.args;
  if (key.personality != Personality::kI386 || key.nr < kI386SocketSubcallBase) return true;
  if (key.nr >= kI386IpcSubcallBase) {
    regs = {call.args[1], call.args[2], call.args[3], call.args[4], call.args[5], 0};
    return true;
  }
  std::array<uint32_t, 6> words{};
  if (memory.read(call.ptr_arg(1), std::as_writable_bytes(std::span(words))) != 0) return false;
  for (size_t i = 0; i < regs.size(); ++i) regs[i] = words[i];
  return true;
}

// Reads path argument `where`, makes it absolute against the thread's cwd or the dirfd and
// normalises it into scratch.absolute. 0, an errno of reading the path (the kernel reports it),
// or -1 when there is nothing to look up: an empty path (ENOENT, or AT_EMPTY_PATH on the dirfd), a
// relative path `relative_may_match` rejects, a bad dirfd or one that names no path.
template <class RelativeFilter>
int absolute_path(const Syscall& call, ArgShape::PathSlot where, CallerMemory& memory, PathScratch& scratch,
                  RelativeFilter relative_may_match) {
  std::string& path = scratch.path;
  if (int e = memory.read_string(call.ptr_arg(static_cast<size_t>(where.path)), PATH_MAX, path); e != 0) return e;
  if (path.empty()) return -1;
  if (path.front() == '/') {
    normalise_path(path, scratch.absolute);
    return 0;
  }
  if (!relative_may_match(path)) return -1;
  std::string& base = scratch.base;
  const int dirfd = where.dirfd < 0 ? AT_FDCWD : call.int_arg(static_cast<size_t>(where.dirfd));
  const int e = dirfd == AT_FDCWD ? memory.cwd(base) : memory.fd_path(dirfd, base);
  if (e != 0 || base.empty() || base.front() != '/') return -1;
  base += '/';
  base += path;
  normalise_path(base, scratch.absolute);
  return 0;
}

}  // namespace

bool CompiledPolicy::selectors_pass(const InjectRule& rule, const Syscall& call, RuleKey key, CallerMemory& memory,
                                    PathScratch& scratch) const {
  if (!rule.args.empty()) {
    std::array<uint64_t, 6> regs{};
    if (!subcall_registers(call, key, memory, regs)) return false;
    const bool bits32 = call.arch == Arch::kI386;
    for (const ArgPredicate& p : rule.args)
      if (!p.matches(regs[static_cast<size_t>(p.arg)], bits32)) return false;
  }
  if (rule.path.empty() && rule.path2.empty()) return true;
  const SyscallEntry* entry = SyscallTable::instance().entry(personality_of(call.arch), call.nr);
  if (entry == nullptr || entry->shape == nullptr) return false;
  const auto slots = entry->shape->paths();
  for (size_t i = 0; i < 2; ++i) {
    const std::string& glob = i == 0 ? rule.path : rule.path2;
    if (glob.empty()) continue;
    if (slots[i].path < 0) return false;
    if (absolute_path(call, slots[i], memory, scratch, [](std::string_view) { return true; }) != 0) return false;
    if (!glob_match(glob, scratch.absolute)) return false;
  }
  return true;
}

// Reads the path, makes it absolute against the thread's cwd or the dirfd, normalises it and looks
// it up. Nothing to redirect when no rule matches, or when the kernel should report the argument
// error itself (a bad pointer or dirfd, a path without NUL within PATH_MAX).
namespace {

// A one-path call whose absolute path `from` rule match `m` maps (nothing to do without one).
Verdict redirect_to(Verdict v, const std::string& from, std::optional<RedirectTable::Match> m) {
  if (!m) return v;
  v.kind = Verdict::Kind::kRedirect;
  v.rule = m->rule;
  Redirection r;
  r.from = from;
  r.target = std::move(m->target);
  r.rule = m->rule;
  r.mount_point = m->mount_point;
  v.redirection = std::move(r);
  return v;
}

}  // namespace

// bind/connect: the path of an AF_UNIX address (not an abstract one), resolved against the cwd.
Verdict CompiledPolicy::decide_socket(const Syscall& call, CallerMemory& memory, PathScratch& scratch,
                                      Verdict v) const {
  const ArgShape& shape = *SyscallTable::instance().entry(personality_of(call.arch), call.nr)->shape;
  const auto len = static_cast<size_t>(call.ptr_arg(static_cast<size_t>(shape.find(ArgRole::kSize))));
  std::array<char, 110> addr{};  // sizeof(struct sockaddr_un)
  if (len <= 2 || len > addr.size()) return v;
  if (memory.read(call.ptr_arg(static_cast<size_t>(shape.find(ArgRole::kSockaddr))),
                  std::as_writable_bytes(std::span(addr).first(len))) != 0)
    return v;
  if (addr[0] != AF_UNIX || addr[1] != 0 || addr[2] == '\0') return v;  // sa_family (little-endian); abstract
  std::string& path = scratch.path;
  path.assign(addr.data() + 2, strnlen(addr.data() + 2, len - 2));
  v.path = path;
  if (path.front() == '/') {
    normalise_path(path, scratch.absolute);
  } else {
    if (!redirects_.could_match_relative(path) || memory.cwd(scratch.base) != 0 || scratch.base.empty()) return v;
    scratch.base += '/';
    scratch.base += path;
    normalise_path(scratch.base, scratch.absolute);
  }
  return redirect_to(std::move(v), scratch.absolute, redirects_.match(scratch.absolute));
}

Verdict CompiledPolicy::decide_redirect(const Syscall& call, CallerMemory& memory, PathScratch& scratch,
                                        Verdict v) const {
  if (is_socket_call(call.sysno)) return decide_socket(call, memory, scratch, v);
  const auto slots = SyscallTable::instance().entry(personality_of(call.arch), call.nr)->shape->paths();
  const bool two = slots[1].path >= 0;
  // A relative path no rule can match needs no look-up of the thread's cwd or dirfd (but the
  // first side of a two-path call is needed whole when the second maps).
  auto could_match = [this, two](std::string_view path) { return two || redirects_.could_match_relative(path); };
  const int e = absolute_path(call, slots[0], memory, scratch, could_match);
  if (e > 0) {
    v.memory_errno = e;  // EFAULT, ENAMETOOLONG: the kernel reads the path again and says so itself
    return v;
  }
  v.path = scratch.path;
  if (e < 0 && !two) return v;
  auto m = e == 0 ? redirects_.match(scratch.absolute) : std::nullopt;
  if (!two) return redirect_to(std::move(v), scratch.absolute, std::move(m));
  return decide_second_path(call, slots[1], memory, scratch, e == 0, std::move(m), v);
}

// The second path of rename, link: each side maps on its own. Nothing to do when neither maps,
// or when one cannot be looked up (the kernel then reports its own error).
Verdict CompiledPolicy::decide_second_path(const Syscall& call, ArgShape::PathSlot slot, CallerMemory& memory,
                                           PathScratch& scratch, bool first_ok,
                                           std::optional<RedirectTable::Match> m1, Verdict v) const {
  scratch.first = first_ok ? scratch.absolute : std::string();
  const int e = absolute_path(call, slot, memory, scratch, [](std::string_view) { return true; });
  if (e != 0 || !first_ok) return v;
  auto m2 = redirects_.match(scratch.absolute);
  if (!m1 && !m2) return v;
  v.kind = Verdict::Kind::kRedirect;
  v.rule = m1 ? m1->rule : m2->rule;
  Redirection r;
  r.from = scratch.first;
  r.target = m1 ? std::move(m1->target) : scratch.first;
  r.rule = v.rule;
  r.from2 = scratch.absolute;
  r.target2 = m2 ? std::move(m2->target) : scratch.absolute;
  r.cross_mount = !m1 || !m2 || m1->rule != m2->rule;
  r.mount_point = (m1 && m1->mount_point) || (m2 && m2->mount_point);
  v.redirection = std::move(r);
  return v;
}

}  // namespace sysvisor
