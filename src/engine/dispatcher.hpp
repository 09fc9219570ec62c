// Dispatcher: one notification, one way — decode, decide (CompiledPolicy::decide), act, respond.
// Called by the receivers, several at once; work that may block goes to the Executor.
#pragma once

#include <linux/seccomp.h>

#include <atomic>
#include <memory>
#include <cstdint>
#include <optional>
#include <vector>

#include "engine/call_context.hpp"
#include "engine/call_log.hpp"
#include "engine/executor.hpp"
#include "kernel/credentials.hpp"
#include "kernel/notify_fd.hpp"
#include "policy/compiled_policy.hpp"
#include "redirect/path_calls.hpp"
#include "sysvisor/supervisor.hpp"

namespace sysvisor {

class ShortIo;

// How often each rule acted, per Policy entry.
struct RuleHits {
  explicit RuleHits(const Policy& policy)
      : injects(policy.injects.size()), inject_matched(policy.injects.size()), redirects(policy.redirects.size()),
        handlers(policy.handlers.size()) {}
  std::vector<std::atomic<uint64_t>> injects;
  std::vector<std::atomic<uint64_t>> inject_matched;  // calls that passed the rule's selectors
  std::vector<std::atomic<uint64_t>> redirects;
  std::vector<std::atomic<uint64_t>> handlers;
  static void add(std::vector<std::atomic<uint64_t>>& v, size_t i) {
    if (i < v.size()) v[i].fetch_add(1, std::memory_order_relaxed);
  }
};

class Dispatcher {
 public:
  // `handlers`: the Policy's handlers, by the index decide() returns. `two_step_addfd`: answer an
  // injected descriptor with ADDFD, then SEND (only where the caller waits killable only; see
  // respond()).
  Dispatcher(const CompiledPolicy& policy, const std::vector<HandlerRule>& handlers, const NotifyFd& notify,
             ThreadState& state, Executor& executor, CallLog& log, RuleHits& hits, bool two_step_addfd)
      : policy_(policy), handlers_(handlers), notify_(notify), context_(notify), state_(state),
        executor_(executor), log_(log), hits_(hits), two_step_addfd_(two_step_addfd) {}

  // Handles one notification. `scratch`: the receiver's own path buffers.
  void dispatch(const seccomp_notif& n, PathScratch& scratch);

 private:
  // Decides from `from` on and acts.
  void decide_and_act(const Syscall& call, Stage from, PathScratch& scratch);
  void act_handler(const Syscall& call, const Verdict& v, PathScratch& scratch);
  void act_inject(const Syscall& call, const Verdict& v, PathScratch& scratch);
  void act_redirect(const Syscall& call, Verdict v);
  void hold_redirect(const Syscall& call, Verdict v, std::optional<Credentials> creds, const CallInputs& inputs);
  static std::optional<AssumedCredentials> assume(const std::optional<Credentials>& creds);
  void act_short(const Syscall& call, RuleKey key, const InjectRule& rule, HeldCall* held);
  void wait_short(const Syscall& call, ShortIo& io, HeldCall& held, const std::string& detail);
  void poke(const Syscall& call, const std::vector<Poke>& pokes);
  // Answers the call and logs it, in call order.
  void answer(const Syscall& call, Reply reply, std::string_view action, std::string detail,
              std::optional<std::string_view> path, std::optional<std::string_view> path2 = std::nullopt);
  // Answers the call; returns what the program got when we answered (value, fd or -errno).
  std::optional<int64_t> respond(const Syscall& call, Reply reply);
  void let_run(const Syscall& call, const Verdict& v, std::string_view detail);
  // Installs the descriptor and answers with its number: the fd (>= 0) or -errno.
  int send_fd(const Syscall& call, const Reply& reply, int& rc);

  const CompiledPolicy& policy_;
  const std::vector<HandlerRule>& handlers_;
  const NotifyFd& notify_;
  const detail::CallContext context_;
  ThreadState& state_;
  Executor& executor_;
  CallLog& log_;
  RuleHits& hits_;
  const bool two_step_addfd_;
};

}  // namespace sysvisor
