#include "engine/dispatcher.hpp"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>

#include <fmt/format.h>

#include "engine/describe.hpp"
#include "inject/short_io.hpp"
#include "kernel/credentials.hpp"
#include "kernel/process_memory.hpp"
#include "kernel/thread_memory.hpp"
#include "redirect/redirector.hpp"

namespace sysvisor {

// sysvisor never dies of its own failure: a call that could not be served for want of memory
// (or any other internal error) fails with ENOMEM, as a kernel short of memory would fail it,
// and the next call is served as usual.
void Dispatcher::dispatch(const seccomp_notif& n, PathScratch& scratch) {
  const Syscall call = decode_call(n);
  try {
    decide_and_act(call, Stage::kHandler, scratch);
  } catch (const std::exception& e) {
    log_.warn_internal(e.what());
    (void)notify_.send_result(call.id, 0, ENOMEM);  // ENOENT if it was answered already
  }
}

void Dispatcher::decide_and_act(const Syscall& call, Stage from, PathScratch& scratch) {
  ThreadMemory memory(call.tid);
  Verdict v = policy_.decide(call, from, state_, memory, scratch);
  if (v.matched_inject) RuleHits::add(hits_.inject_matched, *v.matched_inject);
  switch (v.kind) {
    case Verdict::Kind::kStartsProgram: return let_run(call, v, "(starts the program)");
    case Verdict::Kind::kContinue:
    case Verdict::Kind::kObserve: return let_run(call, v, "");
    case Verdict::Kind::kHandler: return act_handler(call, v, scratch);
    case Verdict::Kind::kInject: return act_inject(call, v, scratch);
    case Verdict::Kind::kRefuse:
      answer(call, Reply::err(v.error), "refuse", "io_uring bypasses file rules (--allow-io-uring)", std::nullopt);
      return;
    case Verdict::Kind::kRedirect: return act_redirect(call, std::move(v));
  }
}

void Dispatcher::let_run(const Syscall& call, const Verdict& v, std::string_view detail) {
  if (v.memory_errno == EPERM) log_.warn_unreadable(call.tid);
  const bool path_known = v.memory_errno == 0 && !v.path.empty();
  answer(call, Reply::cont(), "continue", std::string(detail), path_known ? std::optional(v.path) : std::nullopt);
}

// A user handler answers, or lets the call go on to the inject and redirect rules.
void Dispatcher::act_handler(const Syscall& call, const Verdict& v, PathScratch& scratch) {
  Call view;
  view.id = call.id;
  view.tid = call.tid;
  view.arch = call.arch;
  view.nr = call.nr;
  view.name = policy_.handlers().name(v.key);
  view.args = call.args;
  detail::CallAccess::bind(view, &context_);
  Reply reply = Reply::cont();
  try {
    reply = handlers_[v.rule].handler(view);
  } catch (const std::exception& e) {
    log_.warn(fmt::format("handler for {} threw: {}", view.name, e.what()));
  } catch (...) {
    log_.warn(fmt::format("handler for {} threw", view.name));
  }
  if (reply.kind == Reply::Kind::kContinue) return decide_and_act(call, Stage::kInject, scratch);
  RuleHits::add(hits_.handlers, v.rule);
  answer(call, std::move(reply), "handler", "", std::nullopt);
}

// strace's order: the signal is queued at syscall entry, then delay_enter, poke_enter; a call that
// is answered gets poke_exit and delay_exit before the answer; otherwise it goes on to the
// redirect rules. Delays run on the executor.
void Dispatcher::act_inject(const Syscall& call, const Verdict& v, PathScratch& scratch) {
  // The log shows the paths as strace does: read before anything lets the caller change them.
  ThreadMemory memory(call.tid);
  const PathStrings paths = log_.enabled() ? read_path_args(call, memory) : PathStrings{};
  if (notify_.id_valid(call.id) != 0) return;  // -P or the log read the caller's memory: still there?
  RuleHits::add(hits_.injects, v.rule);
  const InjectRule& rule = *v.inject;
  auto work = [this, call, &rule, paths, key = v.key](PathScratch& own, HeldCall* held) {
    if (rule.signal != 0) syscall(SYS_tgkill, thread_group(call.tid), call.tid, rule.signal);
    if (rule.delay_enter && !executor_.sleep_for(*rule.delay_enter, *held)) return;
    if (rule.poke_enter) poke(call, *rule.poke_enter);
    if (rule.short_len) return act_short(call, key, rule, held);
    if (!rule.answers()) {
      log_.record(call, "inject", describe_injection(rule), std::nullopt, paths[0], paths[1]);
      return decide_and_act(call, Stage::kRedirect, own);
    }
    if (rule.poke_exit) poke(call, *rule.poke_exit);
    if (rule.delay_exit && !executor_.sleep_for(*rule.delay_exit, *held)) return;
    if (held != nullptr && !held->claim()) return;
    Reply reply = rule.error ? Reply::err(*rule.error) : Reply::val(static_cast<int64_t>(*rule.retval));
    answer(call, std::move(reply), "inject", describe_injection(rule), paths[0], paths[1]);
  };
  if (!rule.delay_enter && !rule.delay_exit) return work(scratch, nullptr);
  // A delay is held as strace holds it: a signal waits until it has passed (not interruptible),
  // but a call whose caller is gone stops at once.
  auto held = std::make_shared<HeldCall>();
  held->id = call.id;
  held->tid = call.tid;
  if (!executor_.run(held, [work](HeldCall& h) {
        PathScratch own;
        work(own, &h);
      })) {
    respond(call, Reply::err(EAGAIN));  // no thread to hold the call on: as a kernel out of threads
  }
}

// short=N: the call really happens, on the program's own descriptor, but moves at most N bytes
// (inject/short_io.hpp). One that would block waits on the executor, where a signal the caller
// would take interrupts it as natively; `held`: the call is already held there (delay_enter=).
void Dispatcher::act_short(const Syscall& call, RuleKey key, const InjectRule& rule, HeldCall* held) {
  std::optional<ShortIo> io = ShortIo::prepare(call, key, *rule.short_len);
  // The descriptor and the bytes prepare() took may belong to a caller that has gone.
  if (notify_.id_valid(call.id) != 0) return;
  std::string detail = describe_injection(rule);
  if (held != nullptr && !held->claim()) return;
  if (!io) return answer(call, Reply::cont(), "inject", detail + " (runs whole)", std::nullopt);
  if (std::optional<Reply> reply = io->try_now())
    return answer(call, std::move(*reply), "inject", std::move(detail), std::nullopt);
  if (held != nullptr) {
    held->unclaim();
    held->interruptible = true;
    return wait_short(call, *io, *held, detail);
  }
  auto shared = std::make_shared<ShortIo>(std::move(*io));
  auto own = std::make_shared<HeldCall>();
  own->id = call.id;
  own->tid = call.tid;
  own->interruptible = true;
  if (!executor_.run(own, [this, call, shared, detail](HeldCall& h) { wait_short(call, *shared, h, detail); }))
    answer(call, Reply::err(EAGAIN), "inject", detail, std::nullopt);  // no thread: as a kernel out of threads
}

// Waits in slices until the descriptor is ready, then moves the bytes under the claim: the
// watcher's interruption (-ERESTARTSYS) and the answer exclude each other, so a signal ends the
// wait before a byte moved, never after.
void Dispatcher::wait_short(const Syscall& call, ShortIo& io, HeldCall& held, const std::string& detail) {
  constexpr auto kSlice = std::chrono::milliseconds(5);
  while (!held.cancelled.load()) {
    const bool ready = io.wait_ready(kSlice);
    if (!ready && !io.timed_out()) continue;
    if (!held.claim()) return;
    std::optional<Reply> reply = ready ? io.try_now() : std::optional<Reply>(Reply::err(EAGAIN));
    if (reply) return answer(call, std::move(*reply), "inject", detail, std::nullopt);
    held.unclaim();
    // Ready, yet the attempt would block (another reader was first): look again a slice later.
    (void)executor_.sleep_for(Delay{0, std::chrono::nanoseconds(kSlice).count()}, held);
  }
}

// poke=@argN=HEX: the bytes go where argument N points, into the image that made the call, through
// page protections as the kernel would see them (a read-only or bad pointer is skipped).
void Dispatcher::poke(const Syscall& call, const std::vector<Poke>& pokes) {
  CallerImage image;
  if (pokes.empty() || image.open(call.tid) != 0 || notify_.id_valid(call.id) != 0) return;
  for (const Poke& p : pokes) {
    if (p.arg < 1 || p.arg > 6) continue;  // x86 syscalls have six arguments
    const uint64_t addr = call.ptr_arg(static_cast<size_t>(p.arg - 1));
    (void)image.write(addr, {reinterpret_cast<const std::byte*>(p.bytes.data()), p.bytes.size()});
  }
}

// Everything a redirected call needs of the caller is read first: its memory (a link body, an
// attribute name), its image for the answer (pinned), its rights. Then the call is re-checked:
// what was read belongs to the caller that is still waiting, and nothing is done for one that has
// gone (whose id may have been reused).
void Dispatcher::act_redirect(const Syscall& call, Verdict v) {
  CallerImage image;
  if (redirect_writes_memory(call)) (void)image.open(call.tid);  // failing: EFAULT, as unreadable memory
  const CallInputs inputs = read_call_inputs(call);
  // A privileged supervisor acts with the caller's rights, never its own (kernel/credentials.hpp).
  std::optional<Credentials> creds;
  RealIds real;
  const int creds_error = supervisor_privileged() ? thread_credentials(call.tid, creds.emplace(), &real) : 0;
  // access(2) without AT_EACCESS checks the real IDs: the check is then made as those, with AT_EACCESS.
  if (creds && creds_error == 0 && checks_real_ids(call)) creds = for_access(*creds, real);
  if (notify_.id_valid(call.id) != 0) return;
  RuleHits::add(hits_.redirects, v.rule);
  Redirection& r = *v.redirection;
  if (creds_error != 0) {
    // Out of descriptors or memory: the program's call fails as it would for want of them; else
    // the caller's rights are unknown and nothing is done with ours.
    const bool short_of = creds_error == EMFILE || creds_error == ENFILE || creds_error == ENOMEM;
    return answer(call, Reply::err(short_of ? creds_error : EACCES), "redirect", r.target, v.path);
  }
  {
    const std::optional<AssumedCredentials> as = assume(creds);
    if (as && as->error() != 0) return answer(call, Reply::err(EACCES), "redirect", r.target, v.path);
    if (!redirect_may_block(call, r, inputs)) {
      RedirectAct act{.wait = OpenWait::kMustNotBlock, .image = &image, .inputs = &inputs, .rights = as.has_value(),
                      .ids = as ? std::optional(real) : std::nullopt};
      Reply reply = perform_redirect(call, r, act);
      if (!act.would_block) return answer(call, std::move(reply), "redirect", r.target, v.path);
    }
  }
  hold_redirect(call, std::move(v), std::move(creds), inputs);
}

std::optional<AssumedCredentials> Dispatcher::assume(const std::optional<Credentials>& creds) {
  if (!creds) return std::nullopt;
  return std::optional<AssumedCredentials>(std::in_place, *creds);
}

// A FIFO waiting for its peer, or an open waiting for a lease break: on the executor, where a
// signal the caller would take interrupts the wait as natively. (Opens read nothing more of the
// caller.)
void Dispatcher::hold_redirect(const Syscall& call, Verdict v, std::optional<Credentials> creds,
                               const CallInputs& inputs) {
  const Redirection& r = *v.redirection;
  // The kernel takes the descriptor slot before it waits for a FIFO's peer: a full table is EMFILE
  // at once, never a wait.
  if (bool full = false; thread_fd_table_full(call.tid, thread_group(call.tid), full) == 0 && full)
    return answer(call, Reply::err(EMFILE), "redirect", r.target, v.path);
  auto held = std::make_shared<HeldCall>();
  held->id = call.id;
  held->tid = call.tid;
  held->interruptible = true;
  const bool started = executor_.run(held, [this, call, r, creds, inputs](HeldCall& h) {
    if (h.cancelled.load()) return;
    RedirectAct act{.wait = OpenWait::kMayBlock, .helper = &h.open_helper, .inputs = &inputs, .rights = false,
                    .ids = std::nullopt};
    Reply reply = Reply::err(EACCES);
    {
      const std::optional<AssumedCredentials> as = assume(creds);
      if (!as || as->error() == 0) reply = perform_redirect(call, r, act);
    }
    if (!h.claim()) return;  // interrupted or gone meanwhile: the descriptor is closed here
    answer(call, std::move(reply), "redirect", r.target, r.from);  // the program's path is gone
  });
  if (!started) answer(call, Reply::err(EAGAIN), "redirect", r.target, v.path);
}

// ADDFD with SECCOMP_ADDFD_FLAG_SEND wakes the caller with a plain complete(), which ignores
// SYNC_WAKE_UP: the caller then runs on the other CPU. Installing the descriptor first and then
// answering with SECCOMP_IOCTL_NOTIF_SEND keeps the wake-up on this CPU, which pays with one
// receiver (Session::two_step_addfd; bench/RESULTS.md). Safe only where the caller cannot leave its wait between the two
// ioctls: with WAIT_KILLABLE_RECV only a fatal signal ends it, and the process's descriptor table
// dies with it. (A table shared with another process through CLONE_FILES without CLONE_THREAD
// would keep the descriptor: see sysvisor(1), BUGS.)
int Dispatcher::send_fd(const Syscall& call, const Reply& reply, int& rc) {
  const int mine = reply.fd ? reply.fd->get() : -1;  // none: ADDFD fails with EBADF, which answers the call
  if (!two_step_addfd_) {
    const int fd = notify_.addfd_send(call.id, mine, reply.fd_flags);
    // On failure (EMFILE: the program's RLIMIT_NOFILE) the call is still pending: answer it.
    if (fd < 0 && fd != -ENOENT) rc = notify_.send_result(call.id, 0, -fd);
    return fd;
  }
  const int fd = notify_.addfd(call.id, mine, reply.fd_flags);
  if (fd == -ENOENT) return fd;
  rc = fd < 0 ? notify_.send_result(call.id, 0, -fd) : notify_.send_result(call.id, fd, 0);
  return fd;
}

// The log's lines come in the order of the calls: a call answered here happened before any call
// its answer let the program make, which another receiver may be logging meanwhile.
void Dispatcher::answer(const Syscall& call, Reply reply, std::string_view action, std::string detail,
                        std::optional<std::string_view> path, std::optional<std::string_view> path2) {
  auto order = log_.hold_order();
  const auto result = respond(call, std::move(reply));
  log_.record(call, action, std::move(detail), result, path, path2);
}

std::optional<int64_t> Dispatcher::respond(const Syscall& call, Reply reply) {
  int rc = 0;
  std::optional<int64_t> result;
  switch (reply.kind) {
    case Reply::Kind::kContinue: rc = notify_.send_continue(call.id); break;
    case Reply::Kind::kValue:
      rc = notify_.send_result(call.id, reply.value, 0);
      result = reply.value;
      break;
    case Reply::Kind::kError:
      rc = notify_.send_result(call.id, 0, reply.error);
      result = -reply.error;
      break;
    case Reply::Kind::kInjectFd: result = send_fd(call, reply, rc); break;
  }
  // ENOENT: the caller died or was interrupted meanwhile, an ordinary event.
  if (rc == ENOENT) return std::nullopt;
  if (rc != 0) log_.warn(fmt::format("answering {} of thread {}: {}", syscall_name(call), call.tid, std::strerror(rc)));
  return result;
}

}  // namespace sysvisor
