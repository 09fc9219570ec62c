#include "policy/compiled_policy.hpp"

#include <fcntl.h>
#include <linux/limits.h>

#include <cerrno>

#include "sysvisor/path.hpp"

namespace sysvisor {

Result<CompiledPolicy> CompiledPolicy::compile(const Policy& policy) {
  CompiledPolicy out;
  for (const Redirect& r : policy.redirects) out.redirects_.add(r);
  for (const InjectRule& rule : policy.injects) out.injects_.add(rule);
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
    if (Verdict i = decide_inject(call, state, memory, v); i.kind != Verdict::Kind::kContinue) return i;
  }
  if (io_uring_blocked_ && is_io_uring(call.sysno)) {
    v.kind = Verdict::Kind::kRefuse;
    v.error = ENOSYS;
    return v;
  }
  if (!redirects_.empty() && redirect_covers(call.sysno)) return decide_redirect(call, memory, scratch, v);
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

// A rule fires when the call matches -P (a call that does not is not counted, as under strace)
// and strace's per-thread count says so.
Verdict CompiledPolicy::decide_inject(const Syscall& call, ThreadState& state, CallerMemory& memory,
                                      Verdict v) const {
  const InjectRule* rule = injects_.rule_for(v.key.personality, v.key.nr);
  if (rule == nullptr) return v;
  if (!traced_.empty() && !traced_.matches_call(call, v.key, memory)) return v;
  if (!state.count(call.tid, v.key, rule->when)) return v;
  v.kind = Verdict::Kind::kInject;
  v.inject = rule;
  v.rule = inject_index(rule);
  return v;
}

// Reads the path, makes it absolute against the thread's cwd or the dirfd, normalises it and looks
// it up. Nothing to redirect when no rule matches, or when the kernel should report the argument
// error itself (a bad pointer or dirfd, a path without NUL within PATH_MAX).
Verdict CompiledPolicy::decide_redirect(const Syscall& call, CallerMemory& memory, PathScratch& scratch,
                                        Verdict v) const {
  const ArgShape* shape = SyscallTable::instance().entry(personality_of(call.arch), call.nr)->shape;
  const ArgShape::PathSlot where = shape->paths()[0];
  std::string& path = scratch.path;
  if (int e = memory.read_string(call.ptr_arg(static_cast<size_t>(where.path)), PATH_MAX, path); e != 0) {
    v.memory_errno = e;  // EFAULT, ENAMETOOLONG: the kernel reads the path again and says so itself
    return v;
  }
  v.path = path;
  if (path.empty()) return v;  // ENOENT, or AT_EMPTY_PATH on the dirfd: not a path
  if (path.front() == '/') {
    normalise_path(path, scratch.absolute);
  } else {
    // A relative path no rule can match needs no look-up of the thread's cwd or dirfd.
    if (!redirects_.could_match_relative(path)) return v;
    std::string& base = scratch.base;
    const int dirfd = where.dirfd < 0 ? AT_FDCWD : call.int_arg(static_cast<size_t>(where.dirfd));
    const int e = dirfd == AT_FDCWD ? memory.cwd(base) : memory.fd_path(dirfd, base);
    // A bad dirfd (EBADF, ENOTDIR) is the kernel's to report; a dirfd that names no path (a pipe,
    // an anonymous inode) cannot match any rule.
    if (e != 0 || base.empty() || base.front() != '/') return v;
    base += '/';
    base += path;
    normalise_path(base, scratch.absolute);
  }
  if (auto m = redirects_.match(scratch.absolute)) {
    v.kind = Verdict::Kind::kRedirect;
    v.rule = m->rule;
    v.redirection = Redirection{scratch.absolute, std::move(m->target), m->rule};
  }
  return v;
}

}  // namespace sysvisor
