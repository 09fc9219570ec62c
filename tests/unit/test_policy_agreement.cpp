// The filter and the decision must agree. For every syscall number of both architectures, the
// emitted filter is run in a BPF emulator with argument values that exercise each scalar test it
// contains, and its action is compared with what CompiledPolicy::decide() answers for that call
// under every input a fake caller can give (each path the policy names or none, unreadable
// memory, descriptors naming a traced path or not, the starting execve or a later one, a counter
// that fires or not):
//   ALLOW       <=> decide() lets the call run untouched for every input;
//   NOTIFY      <=> some input makes decide() do something else;
//   ERRNO(e)    <=> decide() answers errno e for every input.
// The expectation comes from decide() alone, never from the generator's helpers.
//
// Mutants this file kills (each checked by hand by editing src/policy/policy_filter.cpp):
//   - the redirect notify set misses one syscall (e.g. openat): ALLOW where decide() redirects;
//   - a handler's syscall is never notified: ALLOW where decide() calls the handler;
//   - a syscall no rule needs is notified (e.g. getpid with a redirect rule): NOTIFY where every
//     decision is "let it run";
//   - an errno-on-every-call rule is notified instead of answered in the filter, or answered in
//     the filter although -P or when= make decide() vary;
//   - a countable rule (InjectRule::countable) answered in the filter: ERRNO for a rule whose
//     calls must all reach the supervisor (and inject_counted() true for it);
//   - io_uring_enter or io_uring_register left out of the ENOSYS set (in the filter: ALLOW where
//     decide() refuses; in decide() too: the explicit verdicts below), or refused without file rules.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <string>
#include <vector>

#include "bpf_emulator.hpp"
#include "policy/compiled_policy.hpp"

using namespace sysvisor;
using sysvisor::testing::run_bpf;

namespace {

// A caller whose every pointer argument points at `path` (or at nothing readable), whose every
// descriptor names `fd_names`, and whose cwd is `cwd`.
class FakeMemory final : public CallerMemory {
 public:
  bool readable = true;
  std::byte fill{0};  // every byte read (0x01: fd_set bits, pollfd and socketcall words)
  std::string path;
  std::string fd_names = "/dev/pts/0";
  std::string cwd_path = "/";
  bool sockaddr = false;  // every read is a sockaddr_un of `path`
  int read(uint64_t, std::span<std::byte> out) override {
    if (!readable) return EFAULT;
    for (auto& b : out) b = fill;
    if (sockaddr && out.size() > 2) {
      out[0] = std::byte{AF_UNIX};
      out[1] = std::byte{0};
      for (size_t i = 0; i + 2 < out.size(); ++i) out[i + 2] = i < path.size() ? std::byte(path[i]) : std::byte{0};
    }
    return 0;
  }
  int read_string(uint64_t, size_t max, std::string& out) override {
    if (!readable) return EFAULT;
    if (path.size() >= max) return ENAMETOOLONG;
    out = path;
    return 0;
  }
  int cwd(std::string& out) override {
    out = cwd_path;
    return 0;
  }
  int fd_path(int fd, std::string& out) override {
    if (fd < 0) return EBADF;
    out = fd_names;
    return 0;
  }
};

// The real counter fires on every call for the default when= (1+); for any other when= a call
// may or may not be the one.
class FakeState final : public ThreadState {
 public:
  bool starts = false;
  bool fires = true;
  bool starts_program(const Syscall&) override { return starts; }
  void on_exec(const Syscall&) override {}
  CallCount count(pid_t, RuleKey, const When& when) override { return {when == When{} || fires, 0, 1}; }
};

using Kind = Verdict::Kind;

// The errno decide() answers without running the call, or 0. A countable rule's calls must reach
// the supervisor whatever it answers: 0 (said here, not only by errno_only_always()).
int answered_errno(const Verdict& v) {
  if (v.kind == Kind::kRefuse) return v.error;
  if (v.kind == Kind::kInject && v.inject->errno_only_always() && !v.inject->countable) return *v.inject->error;
  return 0;
}

// Constants the filter compares each argument with, and their neighbours (libseccomp emits such
// tests for i386 socketcall/ipc).
std::array<std::set<uint64_t>, 6> filter_constants(const std::vector<sock_filter>& prog) {
  std::array<std::set<uint64_t>, 6> out;
  const size_t args_at = offsetof(seccomp_data, args);
  size_t loaded = 0;
  for (const sock_filter& in : prog) {
    if (in.code == (BPF_LD | BPF_W | BPF_ABS)) loaded = in.k;
    if (BPF_CLASS(in.code) != BPF_JMP || BPF_OP(in.code) == BPF_JA || loaded < args_at) continue;
    const size_t arg = (loaded - args_at) / 8;
    if (arg >= 6) continue;
    const bool high = (loaded - args_at) % 8 == 4;
    for (const int64_t d : {-1, 0, 1}) {
      const uint64_t v = static_cast<uint64_t>(static_cast<int64_t>(in.k) + d) & 0xffffffff;
      out[arg].insert(high ? v << 32 : v);
    }
  }
  return out;
}

// Every path a rule of `policy` can react to, and some that none does.
std::vector<std::string> interesting_paths(const Policy& policy) {
  std::vector<std::string> out{"/nonexistent/elsewhere", "", "relative/name"};
  for (const Redirect& r : policy.redirects) {
    out.push_back(r.from);
    out.push_back(r.from + "/below");
  }
  for (const std::string& p : policy.trace_paths) out.push_back(p);
  return out;
}

// Every verdict decide() can give for `call` over the fake inputs.
std::vector<Verdict> all_verdicts(const CompiledPolicy& compiled, const Policy& policy, const Syscall& call) {
  std::vector<Verdict> out;
  FakeMemory memory;
  FakeState state;
  PathScratch scratch;
  memory.cwd_path = policy.redirects.empty() ? "/" : policy.redirects.front().from;
  for (const int fill : {-1, 0, 1, 2}) {  // -1: unreadable; 2: a sockaddr_un of the path
    memory.readable = fill >= 0;
    memory.sockaddr = fill == 2;
    memory.fill = static_cast<std::byte>(fill == 1 ? 1 : 0);
    for (const std::string& path : interesting_paths(policy)) {
      memory.path = path;
      memory.fd_names = path.empty() || path[0] != '/' ? "/dev/pts/0" : path;
      for (const bool starts : {false, true}) {
        for (const bool fires : {false, true}) {
          state.starts = starts;
          state.fires = fires;
          out.push_back(compiled.decide(call, Stage::kHandler, state, memory, scratch));
        }
      }
    }
  }
  return out;
}

// What the filter and decide() say about one call, over every fake input.
struct Observation {
  uint32_t action = 0;
  bool all_continue = true;  // decide() lets it run untouched, whatever the input
  std::set<int> errnos;      // the errno decide() answers for each input (0: none)
};

Observation observe(const CompiledPolicy& compiled, const Policy& policy, const std::vector<sock_filter>& prog,
                    const Syscall& call) {
  seccomp_data d{};
  d.arch = static_cast<uint32_t>(call.arch);
  d.nr = call.nr;
  for (size_t i = 0; i < 6; ++i) d.args[i] = call.args[i];
  Observation o;
  o.action = run_bpf(prog, d);
  for (const Verdict& v : all_verdicts(compiled, policy, call)) {
    // The starting execve runs untouched too; only its notification would tell it apart.
    o.all_continue = o.all_continue && (v.kind == Kind::kContinue || v.kind == Kind::kStartsProgram);
    o.errnos.insert(answered_errno(v));
  }
  return o;
}

// ALLOW and ERRNO are judged per call; NOTIFY over a group of calls the filter cannot tell apart
// (the same number, and the same value of any argument the filter tests): some call of the group
// must make decide() act. A null path or an unused command is not worth a filter test.
struct NotifyGroup {
  bool notified = false;
  bool acted = false;
  std::set<int> errnos;
};

void judge(const Observation& o, NotifyGroup& group) {
  if (o.action == SECCOMP_RET_ALLOW) {
    CHECK_MESSAGE(o.all_continue, "the filter lets through a call decide() would act on");
  } else if (o.action == SECCOMP_RET_USER_NOTIF) {
    group.notified = true;
    group.acted = group.acted || !o.all_continue;
    group.errnos.insert(o.errnos.begin(), o.errnos.end());
  } else {
    REQUIRE((o.action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO);
    CHECK_MESSAGE(o.errnos == std::set<int>{static_cast<int>(o.action & SECCOMP_RET_DATA)},
                  "the filter answers an errno decide() would not always answer");
  }
}

// An i386 call with a number of its own that is also a socketcall/ipc subcall (connect: 362):
// libseccomp extends any rule on it to the multiplexed form, which strace keys as the subcall only
// when the argument array is readable, so its errno cannot be answered in the filter.
bool multiplexed_twin(Arch arch, int nr) {
  if (arch != Arch::kI386) return false;
  const SyscallTable& table = SyscallTable::instance();
  const SyscallEntry* e = table.entry(Personality::kI386, nr);
  if (e == nullptr || e->pseudo) return false;
  const auto numbers = table.numbers_named(Personality::kI386, e->name);
  return std::any_of(numbers.begin(), numbers.end(),
                     [&](int n) { return table.entry(Personality::kI386, n)->pseudo; });
}

void judge_group(const NotifyGroup& g, bool errno_may_stay = false) {
  if (!g.notified) return;
  CHECK_MESSAGE(g.acted, "the filter notifies a call decide() always lets run");
  // libseccomp 2.5 cannot emit SCMP_ACT_ERRNO(4095): that one errno stays in user space.
  const bool constant = !errno_may_stay && g.errnos.size() == 1 && *g.errnos.begin() != 0 &&
                        *g.errnos.begin() != 4095;
  CHECK_MESSAGE(!constant, "decide() answers one errno for every input: the filter should");
}

// Runs the agreement over every number of both architectures. Each argument in turn takes a
// plausible pointer or descriptor (0x1000), the small commands decide() tests (fsconfig's 3, 4,
// 5), null, and every constant the filter tests it against; the others stay 0x1000.
void check_agreement(const Policy& policy) {
  auto compiled = CompiledPolicy::compile(policy);
  REQUIRE(compiled);
  auto prog = build_filter(compiled->filter_rules());
  REQUIRE(prog);
  const auto constants = filter_constants(*prog);
  for (const Arch arch : {Arch::kX86_64, Arch::kI386}) {
    for (int nr = 0; nr < 600; ++nr) {
      Syscall call;
      call.id = 1;
      call.tid = 100;
      call.arch = arch;
      call.nr = nr;
      call.sysno = SyscallTable::instance().sysno(arch, nr);
      const SyscallEntry* entry = SyscallTable::instance().entry(personality_of(arch), nr);
      CAPTURE(std::string(entry != nullptr ? entry->name : "?"));
      CAPTURE(nr);
      CAPTURE(std::string(arch == Arch::kX86_64 ? "x86_64" : "i386"));
      NotifyGroup plain;
      for (size_t i = 0; i < 6; ++i) {
        std::set<uint64_t> values = constants[i];
        values.insert(0x1000);
        if (i < 3) values.insert({0, 3, 4, 5});
        for (const uint64_t v : values) {
          call.args.fill(0x1000);
          // bind/connect read an address of the length their third argument gives: a plausible
          // sockaddr_un's, unless that is the argument being varied.
          if (is_socket_call(call.sysno)) call.args[2] = 110;
          call.args[i] = v;
          CAPTURE(i);
          CAPTURE(v);
          NotifyGroup own;
          judge(observe(*compiled, policy, *prog, call), constants[i].contains(v) ? own : plain);
          judge_group(own, multiplexed_twin(arch, nr));
        }
      }
      judge_group(plain, multiplexed_twin(arch, nr));
    }
  }
}

uint32_t verdict_args(const Policy& policy, Personality p, const char* name, std::array<uint64_t, 6> args) {
  auto compiled = CompiledPolicy::compile(policy);
  REQUIRE(compiled);
  auto prog = build_filter(compiled->filter_rules());
  REQUIRE(prog);
  seccomp_data d{};
  d.arch = p == Personality::kX86_64 ? AUDIT_ARCH_X86_64 : AUDIT_ARCH_I386;
  d.nr = seccomp_syscall_resolve_name_arch(p == Personality::kX86_64 ? SCMP_ARCH_X86_64 : SCMP_ARCH_X86, name);
  for (size_t i = 0; i < 6; ++i) d.args[i] = args[i];
  REQUIRE(d.nr >= 0);
  return run_bpf(*prog, d);
}

uint32_t verdict(const Policy& policy, Personality p, const char* name, uint64_t arg0 = 0) {
  return verdict_args(policy, p, name, {arg0});
}

Policy with_injects(std::initializer_list<const char*> specs) {
  Policy p;
  for (const char* s : specs) REQUIRE_MESSAGE(p.inject(s), s);
  return p;
}

Reply answer_zero(const Call&) { return Reply::val(0); }

}  // namespace

TEST_CASE("no rule: every call is allowed and decide() lets everything run") {
  check_agreement(Policy{});
  CHECK(verdict(Policy{}, Personality::kX86_64, "openat") == SECCOMP_RET_ALLOW);
}

TEST_CASE("an errno on every call is answered by the filter; anything else is notified") {
  Policy p = with_injects({"inject=openat,getppid:error=EACCES", "inject=read:error=EIO:when=3", "fault=uname",
                           "inject=getpid:retval=42", "inject=execve:error=EPERM"});  // execve: never the fast path
  check_agreement(p);
  CHECK(verdict(p, Personality::kX86_64, "openat") == (SECCOMP_RET_ERRNO | EACCES));
  CHECK(verdict(p, Personality::kX86_64, "read") == SECCOMP_RET_USER_NOTIF);
  CHECK(verdict(p, Personality::kI386, "uname") == (SECCOMP_RET_ERRNO | ENOSYS));
  CHECK(verdict(p, Personality::kX86_64, "execve") == SECCOMP_RET_USER_NOTIF);
  CHECK(verdict(p, Personality::kX86_64, "getppid") == (SECCOMP_RET_ERRNO | EACCES));
  CHECK(verdict(p, Personality::kX86_64, "getuid") == SECCOMP_RET_ALLOW);
}

TEST_CASE("a countable rule stays out of the filter's fast path; inject_counted() says which rules count") {
  Policy p = with_injects({"inject=getppid:error=EPERM", "inject=getpgrp,execve:error=EIO", "inject=read:error=EIO:when=2"});
  REQUIRE(p.inject("openat:error=EACCES", {.countable = true}));
  check_agreement(p);
  CHECK(verdict(p, Personality::kX86_64, "getppid") == (SECCOMP_RET_ERRNO | EPERM));
  CHECK(verdict(p, Personality::kX86_64, "getpgrp") == (SECCOMP_RET_ERRNO | EIO));
  CHECK(verdict(p, Personality::kX86_64, "openat") == SECCOMP_RET_USER_NOTIF);
  CHECK(verdict(p, Personality::kI386, "openat") == SECCOMP_RET_USER_NOTIF);
  auto compiled = CompiledPolicy::compile(p);
  REQUIRE(compiled);
  CHECK_FALSE(compiled->inject_counted(0));  // getppid: in the kernel
  CHECK_FALSE(compiled->inject_counted(1));  // getpgrp in the kernel, execve notified: partly unseen
  CHECK(compiled->inject_counted(2));        // when=2: every call counted
  CHECK(compiled->inject_counted(3));        // countable
  // A rule replaced everywhere by later ones decides nothing: its 0 is a true count.
  Policy replaced = with_injects({"inject=getppid:error=EPERM", "inject=getppid:error=EIO:when=3"});
  CHECK(CompiledPolicy::compile(replaced)->inject_counted(0));
  // -P keeps every rule in user space.
  p.trace_paths.push_back("/etc/hostname");
  check_agreement(p);
  CHECK(CompiledPolicy::compile(p)->inject_counted(0));
}

TEST_CASE("a later rule replaces an earlier one in the filter too") {
  Policy p = with_injects({"inject=%file:error=EPERM", "inject=openat:error=EIO:when=2"});
  check_agreement(p);
  CHECK(verdict(p, Personality::kX86_64, "openat") == SECCOMP_RET_USER_NOTIF);
  CHECK(verdict(p, Personality::kX86_64, "stat") == (SECCOMP_RET_ERRNO | EPERM));
}

TEST_CASE("-P notifies only calls with a path or descriptor argument, and never takes the fast path") {
  Policy p = with_injects({"inject=all:error=EIO"});
  p.trace_paths.push_back("/etc/hostname");
  check_agreement(p);
  CHECK(verdict(p, Personality::kX86_64, "getppid") == SECCOMP_RET_ALLOW);
  CHECK(verdict(p, Personality::kX86_64, "read") == SECCOMP_RET_USER_NOTIF);
}

TEST_CASE("redirects, io_uring and inject rules together") {
  Policy p = with_injects({"inject=stat:error=EACCES", "inject=%network:error=ENETDOWN"});
  REQUIRE(p.redirect("/etc/app.conf", "/tmp/x"));
  check_agreement(p);
  CHECK(verdict(p, Personality::kX86_64, "openat") == SECCOMP_RET_USER_NOTIF);
  CHECK(verdict(p, Personality::kX86_64, "io_uring_setup") == (SECCOMP_RET_ERRNO | ENOSYS));
  p.allow_io_uring = true;
  check_agreement(p);
  CHECK(verdict(p, Personality::kX86_64, "io_uring_setup") == SECCOMP_RET_ALLOW);

  Policy only_inject = with_injects({"inject=openat:error=EPERM:when=5"});
  CHECK(CompiledPolicy::compile(only_inject)->io_uring_blocked());
  Policy unrelated = with_injects({"inject=getppid:error=EPERM"});
  CHECK_FALSE(CompiledPolicy::compile(unrelated)->io_uring_blocked());
  check_agreement(unrelated);
}

// A ring the program inherited needs no io_uring_setup: io_uring_enter submits on it and
// io_uring_register installs files on it, so all three fail while file rules are active.
TEST_CASE("a redirect refuses all three io_uring calls in the filter, on both architectures") {
  Policy p;
  REQUIRE(p.redirect("/etc/app.conf", "/tmp/x"));
  check_agreement(p);
  for (const Personality pers : {Personality::kX86_64, Personality::kI386}) {
    for (const char* name : {"io_uring_setup", "io_uring_enter", "io_uring_register"}) {
      CAPTURE(name);
      CAPTURE(pers == Personality::kX86_64 ? "x86_64" : "i386");
      CHECK(verdict(p, pers, name) == (SECCOMP_RET_ERRNO | ENOSYS));
    }
  }
  // An inject rule on one of them decides first, in the filter as in decide().
  REQUIRE(p.inject("inject=io_uring_enter:error=EBUSY"));
  REQUIRE(p.inject("inject=io_uring_register:error=EIO:when=2"));
  check_agreement(p);
  CHECK(verdict(p, Personality::kX86_64, "io_uring_enter") == (SECCOMP_RET_ERRNO | EBUSY));
  CHECK(verdict(p, Personality::kI386, "io_uring_register") == SECCOMP_RET_USER_NOTIF);
  CHECK(verdict(p, Personality::kI386, "io_uring_setup") == (SECCOMP_RET_ERRNO | ENOSYS));

  p.injects.clear();
  p.allow_io_uring = true;
  check_agreement(p);
  for (const Personality pers : {Personality::kX86_64, Personality::kI386})
    for (const char* name : {"io_uring_setup", "io_uring_enter", "io_uring_register"})
      CHECK(verdict(p, pers, name) == SECCOMP_RET_ALLOW);
  // No file rule, nothing to protect: the ring works.
  Policy unrelated = with_injects({"inject=getppid:error=EPERM"});
  CHECK(verdict(unrelated, Personality::kX86_64, "io_uring_enter") == SECCOMP_RET_ALLOW);
  CHECK(verdict(unrelated, Personality::kI386, "io_uring_register") == SECCOMP_RET_ALLOW);
}

TEST_CASE("a directory redirect notifies exactly the covered path calls of both architectures") {
  Policy p;
  REQUIRE(p.redirect("/opt/app/", "/tmp/app"));
  check_agreement(p);
  for (const char* name : {"open", "openat", "openat2", "creat", "stat", "lstat", "access", "faccessat2",
                           "readlink", "getxattr", "llistxattr", "statx"}) {
    CAPTURE(name);
    CHECK(verdict(p, Personality::kX86_64, name) == SECCOMP_RET_USER_NOTIF);
    CHECK(verdict(p, Personality::kI386, name) == SECCOMP_RET_USER_NOTIF);
  }
  CHECK(verdict(p, Personality::kI386, "stat64") == SECCOMP_RET_USER_NOTIF);
  CHECK(verdict(p, Personality::kI386, "fstatat64") == SECCOMP_RET_USER_NOTIF);
  CHECK(verdict(p, Personality::kX86_64, "getpid") == SECCOMP_RET_ALLOW);
  CHECK(verdict(p, Personality::kX86_64, "write") == SECCOMP_RET_ALLOW);
}

TEST_CASE("handlers are notified on both architectures, i386 socket calls through socketcall") {
  Policy p;
  REQUIRE(p.on("getrandom", answer_zero));
  REQUIRE(p.on("connect", answer_zero));
  check_agreement(p);
  CHECK(verdict(p, Personality::kX86_64, "getrandom") == SECCOMP_RET_USER_NOTIF);
  CHECK(verdict(p, Personality::kI386, "getrandom") == SECCOMP_RET_USER_NOTIF);
  CHECK(verdict(p, Personality::kX86_64, "connect") == SECCOMP_RET_USER_NOTIF);
  CHECK(verdict(p, Personality::kI386, "socketcall", 3 /* SYS_CONNECT */) == SECCOMP_RET_USER_NOTIF);
}

TEST_CASE("everything at once") {
  Policy p = with_injects({"inject=openat:error=EIO:when=2+3", "inject=getppid:error=EPERM",
                           "inject=sendmsg,recvfrom:signal=USR1", "inject=%ipc:retval=0", "inject=write:error=4095"});
  REQUIRE(p.redirect("/etc/app.conf", "/tmp/x"));
  REQUIRE(p.redirect("/var/lib/app/", "/tmp/data"));
  REQUIRE(p.on("getrandom", answer_zero));
  REQUIRE(p.on("socket", answer_zero));
  check_agreement(p);
}


// Mutants this kills (checked by editing policy_filter.cpp): argN tests dropped from the filter
// (ALLOW expected for a failing call, ERRNO seen), a multi-bit argN&M compiled as "all bits", i386
// values not taken modulo 2^32, a filter test kept while a redirect needs the whole syscall.
TEST_CASE("argN tests are compiled into the filter; calls that fail them never leave the kernel") {
  const auto O_CREAT_ = static_cast<uint64_t>(O_CREAT), O_TRUNC_ = static_cast<uint64_t>(O_TRUNC);
  Policy p = with_injects({"inject=openat:error=EACCES:arg2&O_CREAT|O_TRUNC", "inject=write:error=EIO:when=2:arg0==1",
                           "inject=close:error=EBADF:arg0==-100"});
  check_agreement(p);
  const auto k64 = Personality::kX86_64;
  CHECK(verdict_args(p, k64, "openat", {0, 0, O_CREAT_}) == (SECCOMP_RET_ERRNO | EACCES));
  CHECK(verdict_args(p, k64, "openat", {0, 0, O_TRUNC_}) == (SECCOMP_RET_ERRNO | EACCES));
  CHECK(verdict_args(p, k64, "openat", {0, 0, O_RDWR}) == SECCOMP_RET_ALLOW);
  CHECK(verdict_args(p, k64, "write", {1}) == SECCOMP_RET_USER_NOTIF);  // when=2: counted in user space
  CHECK(verdict_args(p, k64, "write", {2}) == SECCOMP_RET_ALLOW);
  CHECK(verdict_args(p, k64, "close", {static_cast<uint64_t>(-100)}) == (SECCOMP_RET_ERRNO | EBADF));
  CHECK(verdict_args(p, k64, "close", {0xffffff9c}) == (SECCOMP_RET_ERRNO | EBADF));  // the int, upper half 0
  CHECK(verdict_args(p, k64, "close", {0x1ffffff9c}) == SECCOMP_RET_ALLOW);
  CHECK(verdict_args(p, Personality::kI386, "close", {0xffffff9c}) == (SECCOMP_RET_ERRNO | EBADF));
  p.redirects.push_back({"/etc/app.conf", "/tmp/app.conf"});
  check_agreement(p);
  CHECK(verdict_args(p, k64, "openat", {0, 0, O_RDWR}) == SECCOMP_RET_USER_NOTIF);  // the redirect needs it
  CHECK(verdict_args(p, k64, "close", {0}) == SECCOMP_RET_ALLOW);
  // Two tests of one argument: libseccomp cannot say it, so every read is notified and decide()
  // applies them (the agreement check judges one argument at a time and cannot follow this one).
  const Policy two = with_injects({"inject=read:error=EPERM:arg2>=1:arg2<=5"});
  CHECK(verdict_args(two, k64, "read", {0, 0, 9}) == SECCOMP_RET_USER_NOTIF);
  CHECK(verdict_args(two, k64, "write", {0, 0, 3}) == SECCOMP_RET_ALLOW);
}
