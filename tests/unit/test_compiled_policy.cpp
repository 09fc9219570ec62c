// CompiledPolicy::decide() without a kernel: rule precedence (starting execve, handler, inject,
// io_uring refusal, redirect), strace's keying and -P, and the path look-up against the cwd or a
// dirfd, with a fake caller.
//
// Mutants this file kills: swapping the handler and inject stages; letting Stage::kInject or
// kRedirect run an earlier stage again; counting a call that fails -P; refusing io_uring before an
// inject rule on it, or refusing only io_uring_setup (an inherited ring needs only io_uring_enter
// and io_uring_register); resolving a relative path against the cwd when a dirfd is given; keying an
// i386 socketcall as its subcall when the argument array is unreadable; redirecting after a failed
// path read.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <linux/audit.h>

#include <cerrno>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "policy/compiled_policy.hpp"

using namespace sysvisor;
using Kind = Verdict::Kind;

namespace {

// A caller: strings by address, descriptors by number, a cwd; other reads succeed (zeros) unless
// `readable` is false.
class Caller final : public CallerMemory {
 public:
  std::map<uint64_t, std::string> strings;
  std::map<int, std::string> fds;
  std::string cwd_path = "/";
  bool readable = true;
  int reads = 0;
  int read(uint64_t, std::span<std::byte> out) override {
    ++reads;
    if (!readable) return EFAULT;
    for (auto& b : out) b = std::byte{0};
    return 0;
  }
  int read_string(uint64_t addr, size_t max, std::string& out) override {
    ++reads;
    auto it = strings.find(addr);
    if (!readable || it == strings.end()) return EFAULT;
    if (it->second.size() >= max) return ENAMETOOLONG;
    out = it->second;
    return 0;
  }
  int cwd(std::string& out) override {
    out = cwd_path;
    return 0;
  }
  int fd_path(int fd, std::string& out) override {
    auto it = fds.find(fd);
    if (it == fds.end()) return EBADF;
    out = it->second;
    return 0;
  }
};

class State final : public ThreadState {
 public:
  bool starts = false;
  bool fires = true;
  int counted = 0;
  int execs = 0;
  bool starts_program(const Syscall&) override { return starts; }
  void on_exec(const Syscall&) override { ++execs; }
  CallCount count(pid_t, RuleKey, const When&) override {
    ++counted;
    return {fires, 0, static_cast<uint64_t>(counted)};
  }
};

Syscall make_call(Arch arch, const char* name, std::array<uint64_t, 6> args = {}) {
  Syscall c;
  c.id = 7;
  c.tid = 1234;
  c.arch = arch;
  // libseccomp names i386 socket calls by a negative multiplexer number: take the kernel's own.
  c.nr = -1;
  for (const int nr : SyscallTable::instance().numbers_named(personality_of(arch), name))
    if (!SyscallTable::instance().entry(personality_of(arch), nr)->pseudo) c.nr = nr;
  REQUIRE(c.nr >= 0);
  c.sysno = SyscallTable::instance().sysno(arch, c.nr);
  c.args = args;
  return c;
}

CompiledPolicy compile(const Policy& p) {
  auto c = CompiledPolicy::compile(p);
  REQUIRE(c);
  return std::move(c).value();
}

Reply zero(const Call&) { return Reply::val(0); }

struct Fixture {
  Caller caller;
  State state;
  PathScratch scratch;
  Verdict decide(const CompiledPolicy& policy, const Syscall& call, Stage from = Stage::kHandler) {
    return policy.decide(call, from, state, caller, scratch);
  }
  // A verdict points into its policy (Verdict::inject): a policy compiled for one call is kept.
  Verdict decide(CompiledPolicy&& policy, const Syscall& call, Stage from = Stage::kHandler) {
    kept.push_back(std::make_unique<CompiledPolicy>(std::move(policy)));
    return decide(*kept.back(), call, from);
  }
  std::vector<std::unique_ptr<CompiledPolicy>> kept;
};

constexpr uint64_t kPathAddr = 0x5000;
constexpr uint64_t kAtFdcwd = static_cast<uint32_t>(AT_FDCWD);

}  // namespace

TEST_CASE("precedence: handler, then inject, then redirect; each stage resumes where it is told") {
  Policy p;
  REQUIRE(p.on("openat", zero));
  REQUIRE(p.inject("openat:error=EIO:when=2"));
  REQUIRE(p.redirect("/etc/app.conf", "/tmp/mine.conf"));
  const CompiledPolicy policy = compile(p);
  Fixture f;
  f.caller.strings[kPathAddr] = "/etc/app.conf";
  const Syscall call = make_call(Arch::kX86_64, "openat", {kAtFdcwd, kPathAddr, O_RDONLY});

  Verdict v = f.decide(policy, call);
  CHECK(v.kind == Kind::kHandler);
  CHECK(v.rule == 0);
  CHECK(f.state.counted == 0);  // the handler decides before anything is counted

  v = f.decide(policy, call, Stage::kInject);  // the handler let the call go on
  CHECK(v.kind == Kind::kInject);
  CHECK(*v.inject->error == EIO);
  CHECK(f.state.counted == 1);

  f.state.fires = false;  // not the call when= names: on to the redirect
  v = f.decide(policy, call, Stage::kInject);
  CHECK(v.kind == Kind::kRedirect);
  REQUIRE(v.redirection);
  CHECK(v.redirection->from == "/etc/app.conf");
  CHECK(v.redirection->target == "/tmp/mine.conf");

  const int counted = f.state.counted;
  v = f.decide(policy, call, Stage::kRedirect);  // after a signal-only inject: nothing counted again
  CHECK(v.kind == Kind::kRedirect);
  CHECK(f.state.counted == counted);
}

TEST_CASE("the starting execve is let run before any rule looks at it; later ones are observed") {
  Policy p;
  REQUIRE(p.on("execve", zero));
  REQUIRE(p.inject("execve:error=EPERM"));
  const CompiledPolicy policy = compile(p);
  Fixture f;
  const Syscall call = make_call(Arch::kX86_64, "execve", {kPathAddr});
  f.state.starts = true;
  CHECK(f.decide(policy, call).kind == Kind::kStartsProgram);
  CHECK(f.state.counted == 0);
  CHECK(f.state.execs == 0);
  f.state.starts = false;
  CHECK(f.decide(policy, call).kind == Kind::kHandler);
  CHECK(f.state.execs == 1);  // a later execve hands a thread's counts over

  Policy counting;
  REQUIRE(counting.inject("getpid:error=EPERM:when=3"));
  Fixture g;
  CHECK(g.decide(compile(counting), call).kind == Kind::kObserve);
  CHECK(g.state.execs == 1);
  CHECK(g.decide(compile(Policy{}), call).kind == Kind::kContinue);
}

TEST_CASE("io_uring_setup: an inject rule on it decides first, else it is refused while file rules exist") {
  Policy p;
  REQUIRE(p.redirect("/etc/app.conf", "/tmp/x"));
  Fixture f;
  const Syscall call = make_call(Arch::kX86_64, "io_uring_setup", {8, 0x1000});
  Verdict v = f.decide(compile(p), call);
  CHECK(v.kind == Kind::kRefuse);
  CHECK(v.error == ENOSYS);
  REQUIRE(p.inject("io_uring_setup:error=EPERM"));
  v = f.decide(compile(p), call);
  CHECK(v.kind == Kind::kInject);
  CHECK(*v.inject->error == EPERM);
  p.allow_io_uring = true;
  p.injects.clear();
  CHECK(f.decide(compile(p), call).kind == Kind::kContinue);
}

TEST_CASE("io_uring_enter and io_uring_register: refused like io_uring_setup, after handlers and inject rules") {
  Policy p;
  REQUIRE(p.redirect("/etc/app.conf", "/tmp/x"));
  Fixture f;
  for (const Arch arch : {Arch::kX86_64, Arch::kI386}) {
    const Syscall enter = make_call(arch, "io_uring_enter", {3, 1, 1, 1});
    const Syscall reg = make_call(arch, "io_uring_register", {3, 8 /* IORING_REGISTER_PROBE */, 0x1000, 256});
    CHECK(enter.sysno == Sysno::kIoUringEnter);
    CHECK(reg.sysno == Sysno::kIoUringRegister);
    for (const Syscall& call : {enter, reg}) {
      const Verdict v = f.decide(compile(p), call);
      CHECK(v.kind == Kind::kRefuse);
      CHECK(v.error == ENOSYS);
      // A signal-only rule lets the call go on from kRedirect: the refusal still holds there.
      CHECK(f.decide(compile(p), call, Stage::kRedirect).kind == Kind::kRefuse);
    }
  }
  const Syscall enter = make_call(Arch::kX86_64, "io_uring_enter", {3, 1, 1, 1});
  const Syscall reg = make_call(Arch::kX86_64, "io_uring_register", {3, 8, 0x1000, 256});

  // An inject rule on io_uring_enter fires first; when it does not fire, the refusal follows.
  Policy injected = p;
  REQUIRE(injected.inject("io_uring_enter:error=EBUSY:when=2"));
  f.state.fires = true;
  Verdict v = f.decide(compile(injected), enter);
  CHECK(v.kind == Kind::kInject);
  CHECK(*v.inject->error == EBUSY);
  f.state.fires = false;
  v = f.decide(compile(injected), enter);
  CHECK(v.kind == Kind::kRefuse);
  CHECK(v.error == ENOSYS);
  f.state.fires = true;
  CHECK(f.decide(compile(injected), reg).kind == Kind::kRefuse);  // the rule names enter only

  // A handler decides before both.
  Policy handled = p;
  REQUIRE(handled.on("io_uring_register", zero));
  CHECK(f.decide(compile(handled), reg).kind == Kind::kHandler);
  CHECK(f.decide(compile(handled), reg, Stage::kInject).kind == Kind::kRefuse);

  // --allow-io-uring, or no file rule at all: the calls run.
  Policy allowed = p;
  allowed.allow_io_uring = true;
  CHECK(f.decide(compile(allowed), enter).kind == Kind::kContinue);
  CHECK(f.decide(compile(allowed), reg).kind == Kind::kContinue);
  Policy unrelated;
  REQUIRE(unrelated.inject("getppid:error=EPERM"));
  CHECK(f.decide(compile(unrelated), enter).kind == Kind::kContinue);
  // An inject rule on a %desc call is a file rule: io_uring_enter itself is one.
  Policy desc;
  REQUIRE(desc.inject("read:error=EIO"));
  CHECK(f.decide(compile(desc), reg).kind == Kind::kRefuse);
}

TEST_CASE("-P: a call that refers to no traced path is neither counted nor injected") {
  Policy p;
  REQUIRE(p.inject("read,openat:error=EIO:when=2"));
  p.trace_paths.push_back("/tmp/traced.bin");
  const CompiledPolicy policy = compile(p);
  Fixture f;
  f.caller.fds[3] = "/tmp/other";
  f.caller.fds[4] = "/tmp/traced.bin";
  CHECK(f.decide(policy, make_call(Arch::kX86_64, "read", {3, 0x1000, 10})).kind == Kind::kContinue);
  CHECK(f.state.counted == 0);
  CHECK(f.decide(policy, make_call(Arch::kX86_64, "read", {4, 0x1000, 10})).kind == Kind::kInject);
  CHECK(f.state.counted == 1);
  f.caller.strings[kPathAddr] = "/tmp/traced.bin";
  CHECK(f.decide(policy, make_call(Arch::kX86_64, "openat", {kAtFdcwd, kPathAddr})).kind == Kind::kInject);
  f.caller.strings[kPathAddr] = "/tmp/./traced.bin";  // strace compares the raw string
  CHECK(f.decide(policy, make_call(Arch::kX86_64, "openat", {kAtFdcwd, kPathAddr})).kind == Kind::kContinue);
}

TEST_CASE("redirect look-up: absolute, relative to the cwd, relative to a dirfd, and the kernel's errors") {
  Policy p;
  REQUIRE(p.redirect("/etc/app/", "/tmp/app"));
  const CompiledPolicy policy = compile(p);
  Fixture f;
  f.caller.cwd_path = "/etc";
  f.caller.fds[5] = "/etc/app";
  f.caller.fds[6] = "pipe:[1234]";
  f.caller.strings[kPathAddr] = "app/conf";
  Verdict v = f.decide(policy, make_call(Arch::kX86_64, "open", {kPathAddr}));
  REQUIRE(v.kind == Kind::kRedirect);
  CHECK(v.redirection->target == "/tmp/app/conf");
  CHECK(v.path == "app/conf");

  f.caller.strings[kPathAddr] = "conf";  // from the dirfd, not the cwd
  v = f.decide(policy, make_call(Arch::kX86_64, "openat", {5, kPathAddr}));
  REQUIRE(v.kind == Kind::kRedirect);
  CHECK(v.redirection->from == "/etc/app/conf");
  CHECK(f.decide(policy, make_call(Arch::kX86_64, "openat", {kAtFdcwd, kPathAddr})).kind == Kind::kContinue);
  CHECK(f.decide(policy, make_call(Arch::kX86_64, "openat", {6, kPathAddr})).kind == Kind::kContinue);
  CHECK(f.decide(policy, make_call(Arch::kX86_64, "openat", {9, kPathAddr})).kind == Kind::kContinue);  // EBADF

  f.caller.strings[kPathAddr] = "/etc/app/../app/./x";  // normalised
  v = f.decide(policy, make_call(Arch::kI386, "stat64", {kPathAddr, 0x1000}));
  REQUIRE(v.kind == Kind::kRedirect);
  CHECK(v.redirection->target == "/tmp/app/x");

  f.caller.strings[kPathAddr] = "";
  CHECK(f.decide(policy, make_call(Arch::kX86_64, "newfstatat", {5, kPathAddr, 0x1000, AT_EMPTY_PATH})).kind ==
        Kind::kContinue);
  f.caller.readable = false;
  v = f.decide(policy, make_call(Arch::kX86_64, "open", {kPathAddr}));
  CHECK(v.kind == Kind::kContinue);
  CHECK(v.memory_errno == EFAULT);
  CHECK(f.decide(policy, make_call(Arch::kX86_64, "unlink", {kPathAddr})).kind == Kind::kContinue);
}

TEST_CASE("i386 socketcall is keyed as its subcall only when strace could decode it") {
  Policy p;
  REQUIRE(p.on("connect", zero));
  const CompiledPolicy policy = compile(p);
  Fixture f;
  const Syscall call = make_call(Arch::kI386, "socketcall", {3 /* SYS_CONNECT */, 0x1000});
  Verdict v = f.decide(policy, call);
  CHECK(v.kind == Kind::kHandler);
  CHECK(v.key.nr == kI386SocketSubcallBase + 3);
  f.caller.readable = false;
  CHECK(f.decide(policy, call).kind == Kind::kContinue);
  f.caller.readable = true;
  CHECK(f.decide(policy, make_call(Arch::kI386, "socketcall", {1 /* SYS_SOCKET */, 0x1000})).kind ==
        Kind::kContinue);
  CHECK(f.decide(policy, make_call(Arch::kI386, "connect", {3, 0x1000, 16})).kind == Kind::kHandler);
}
