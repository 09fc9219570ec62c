// The library from a test author's side: runs of commands and of functions, handlers, hit counts,
// log entries, concurrency, and good manners towards the host process.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "sysvisor/supervisor.hpp"

using namespace sysvisor;

TEST_CASE("a command with an inject rule: status, hit counts and decoded log entries") {
  Policy policy;
  REQUIRE(policy.inject("openat:error=EACCES:when=1..65534"));
  REQUIRE(policy.inject("fault=getppid"));
  RunOptions options;
  options.keep_log = true;
  auto result = run(policy, {.argv = {"/bin/cat", "/etc/hostname"}}, options);
  REQUIRE(result);
  CHECK(result->exit_code == 127);  // the dynamic loader cannot open libc
  REQUIRE(result->inject_hits.size() == 2);
  CHECK(result->inject_hits[0] >= 1);
  CHECK_FALSE(result->inject_hits[1].has_value());  // answered in the kernel: never seen, not counted
  REQUIRE(result->log.size() >= 2);
  CHECK(result->log.front().syscall == "execve");  // the one that starts the program: let through
  CHECK(result->log.front().detail == "(starts the program)");
  const LogEntry& first = result->log[1];
  CHECK(first.syscall == "openat");
  CHECK(first.action == "inject");
  CHECK(first.detail == "error=EACCES");
  CHECK(first.result == -EACCES);
  CHECK(first.pid > 0);
  CHECK(first.args.at(0) == "AT_FDCWD");  // the path the loader opens, not its pointer
  CHECK(first.args.at(1).starts_with("\"/"));
}

TEST_CASE("run_function: counting starts in the function; its return value is the exit code") {
  Policy policy;
  REQUIRE(policy.inject("getppid:error=EPERM:when=2"));
  auto result = run_function(policy, [] {
    const long a = syscall(SYS_getppid);
    const long b = syscall(SYS_getppid);
    const int e = errno;
    const long c = syscall(SYS_getppid);
    return (a > 0 && b == -1 && e == EPERM && c > 0) ? 7 : 1;
  });
  REQUIRE(result);
  CHECK(result->exit_code == 7);
  REQUIRE(result->inject_hits.size() == 1);
  CHECK(result->inject_hits[0] == 1);

  auto thrown = run_function({}, []() -> int { throw std::runtime_error("boom"); });
  REQUIRE(thrown);
  CHECK(thrown->exit_code == 70);
}

// Kills: a fast-path rule reported as 0 hits (or as counted), a rule whose calls are answered
// partly in the kernel reported as counted, and countable ignored by the filter (nullopt, or 0).
TEST_CASE("inject_hits: a rule the filter answers in the kernel is not counted, unless countable") {
  Policy policy;
  REQUIRE(policy.inject("fault=getppid"));                     // the fast path
  REQUIRE(policy.inject("getpgrp,execve:error=EPERM"));        // getpgrp in the kernel, execve not
  REQUIRE(policy.inject("getuid:error=EACCES", {.countable = true}));
  REQUIRE(policy.inject("getgid:error=EACCES:when=1+"));       // the same as no when=: fast
  REQUIRE(policy.inject("getegid:error=EACCES:when=2"));       // counted by the supervisor
  CHECK(policy.injects[2].countable);
  auto result = run_function(policy, [] {
    for (int k = 0; k < 3; ++k) {
      if (syscall(SYS_getppid) != -1 || errno != ENOSYS) return 1;
      if (syscall(SYS_getpgrp) != -1 || errno != EPERM) return 2;
      if (syscall(SYS_getuid) != -1 || errno != EACCES) return 3;
      if (syscall(SYS_getgid) != -1 || errno != EACCES) return 4;
      (void)syscall(SYS_getegid);
    }
    return 0;
  });
  REQUIRE(result);
  CHECK(result->exit_code == 0);
  REQUIRE(result->inject_hits.size() == 5);
  CHECK_FALSE(result->inject_hits[0].has_value());
  CHECK_FALSE(result->inject_hits[1].has_value());
  CHECK(result->inject_hits[2] == 3);
  CHECK_FALSE(result->inject_hits[3].has_value());
  CHECK(result->inject_hits[4] == 1);
  CHECK(result->inject_hits[0] != 0);  // the README's idiom cannot mistake "not counted" for 0
}

TEST_CASE("run_function: the caller's unflushed stdio is not written twice") {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  FILE* out = fdopen(fds[1], "w");
  REQUIRE(out != nullptr);
  setvbuf(out, nullptr, _IOFBF, 4096);
  std::fputs("parent\n", out);  // still in the buffer at the fork
  auto result = run_function({}, [&] {
    std::fputs("child\n", out);
    return 0;
  });
  REQUIRE(result);
  std::fclose(out);
  char buf[64] = {};
  const ssize_t n = read(fds[0], buf, sizeof buf - 1);
  close(fds[0]);
  CHECK(std::string(buf, static_cast<size_t>(n > 0 ? n : 0)) == "parent\nchild\n");
}

// The write end of the pipe the crash handler below marks (a handler has only globals).
int crash_marker_fd = -1;

void crash_handler(int sig) {
  (void)!write(crash_marker_fd, "H", 1);
  signal(sig, SIG_DFL);  // the faulting instruction runs again and kills with the default action
}

// Kills: the child keeping the caller's crash handlers (doctest's report would come twice; here
// the marker is written), and a crash not reported as term_signal.
TEST_CASE("run_function: a crash in the function is reported once, by the caller, as term_signal") {
  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
  crash_marker_fd = fds[1];
  struct sigaction mine {}, framework {};
  mine.sa_handler = crash_handler;
  sigemptyset(&mine.sa_mask);
  REQUIRE(sigaction(SIGSEGV, &mine, &framework) == 0);  // doctest's own handler, put back below
  auto result = run_function({}, [] {
    const rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    // An unmapped page, not null: UBSan would catch a null store itself and exit instead.
    static volatile uintptr_t unmapped = 16;
    *reinterpret_cast<volatile int*>(unmapped) = 1;
    return 0;
  });
  sigaction(SIGSEGV, &framework, nullptr);
  char marker = 0;
  const ssize_t n = read(fds[0], &marker, 1);
  close(fds[0]);
  close(fds[1]);
  REQUIRE(result);
  CHECK(result->term_signal == SIGSEGV);
  CHECK(result->exit_code == 0);
  CHECK(n == -1);  // nothing written: the caller's handler did not run in the child
}

TEST_CASE("a handler reads and writes the caller's memory and counts its answers") {
  Policy policy;
  std::atomic<int> seen{0};
  auto uname = [&](const Call& call) {
    ++seen;
    CHECK(call.name == "uname");
    char release[] = "sysvisor-test";
    // struct utsname: six 65-byte fields; release is the third.
    auto ok = call.write(call.ptr_arg(0) + 2 * 65, std::as_bytes(std::span(release)));
    return ok ? Reply::val(0) : Reply::err(ok.error().code);
  };
  REQUIRE(policy.on("uname", uname));
  REQUIRE(policy.on("getppid", [](const Call&) { return Reply::cont(); }));  // lets the call go on
  auto result = run_function(policy, [] {
    struct utsname {
      char f[6][65];
    } u{};
    if (syscall(SYS_uname, &u) != 0) return 1;
    if (std::string(u.f[2]) != "sysvisor-test") return 2;
    return syscall(SYS_getppid) > 0 ? 0 : 3;
  });
  REQUIRE(result);
  CHECK(result->exit_code == 0);
  CHECK(seen == 1);
  CHECK(result->handler_hits == std::vector<uint64_t>{1, 0});
}

// Kills: Reply made move-only again (does not compile: the handlers below copy a kept Reply), and
// an injected descriptor that the first answer consumes (the second dup gets EBADF).
TEST_CASE("a Reply is copyable: a handler keeps one and answers every call with it") {
  static_assert(std::is_copy_constructible_v<Reply> && std::is_copy_assignable_v<Reply>);
  char path[] = "/tmp/sysvisor-reply-XXXXXX";
  const int file = mkstemp(path);
  REQUIRE(file >= 0);
  unlink(path);
  REQUIRE(write(file, "shared", 6) == 6);
  const Reply kept = Reply::inject(UniqueFd(file), O_CLOEXEC);
  Policy policy;
  auto busy = [](const Call&) {
    static const Reply kBusy = Reply::err(EBUSY);
    return kBusy;
  };
  REQUIRE(policy.on("getppid", busy));
  REQUIRE(policy.on("dup", [kept](const Call&) { return kept; }));
  auto result = run_function(policy, [] {
    for (int k = 0; k < 3; ++k)
      if (syscall(SYS_getppid) != -1 || errno != EBUSY) return 1;
    for (int k = 0; k < 2; ++k) {
      const long fd = syscall(SYS_dup, -1);
      char buf[8] = {};
      if (fd < 0 || pread(static_cast<int>(fd), buf, sizeof buf, 0) != 6) return 2 + k;
      if (std::string(buf) != "shared" || (fcntl(static_cast<int>(fd), F_GETFD) & FD_CLOEXEC) == 0) return 4;
    }
    return 0;
  });
  REQUIRE(result);
  CHECK(result->exit_code == 0);
  CHECK(result->handler_hits == std::vector<uint64_t>{3, 2});
  CHECK(kept.fd->get() == file);  // still open: copies share it, the last one closes it
  CHECK(fcntl(file, F_GETFD) >= 0);
}

// Kills: a command-line prefix ("-e", "-r", "-k") back in a library message, a message that does
// not quote the rule as the caller wrote it, and redirect() splitting FROM at a '=' it holds.
TEST_CASE("errors are values: one line naming the rule as written, the policy unchanged") {
  Policy policy;
  auto bad = policy.inject("nosuchcall:error=EIO");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == EINVAL);
  CHECK(bad.error().message == "inject rule 'nosuchcall:error=EIO': invalid system call 'nosuchcall'");
  CHECK(policy.inject("openat:error=EFOO").error().message == "inject rule 'openat:error=EFOO': unknown errno 'EFOO'");
  CHECK(policy.inject("fault=open:retval=1").error().message ==
        "inject rule 'fault=open:retval=1': 'retval=' is not valid in fault= (it takes error=, when=, argN tests, path=, "
        "path2=, prob=, seed=)");
  CHECK(policy.inject("openat:error=E\nFOO").error().message ==
        "inject rule 'openat:error=E\\nFOO': unknown errno 'E\\nFOO'");
  CHECK(policy.redirect("etc/app.conf", "fixtures/app.conf").error().message ==
        "redirect rule 'etc/app.conf' -> 'fixtures/app.conf': FROM 'etc/app.conf' is not an absolute path");
  CHECK(policy.redirect("/etc/app.conf", "").error().message ==
        "redirect rule '/etc/app.conf' -> '': empty TO path for '/etc/app.conf'");
  CHECK(policy.kinject("kmalloc:error=EFOO").error().message == "kinject rule 'kmalloc:error=EFOO': unknown errno 'EFOO'");
  CHECK(policy.injects.empty());
  CHECK(policy.redirects.empty());
  CHECK(policy.kinjects.empty());
  REQUIRE(policy.redirect("/etc/a=b.conf", "/tmp/x=y"));
  CHECK(policy.redirects.at(0).from == "/etc/a=b.conf");
  CHECK(policy.redirects.at(0).to == "/tmp/x=y");
  auto missing = run({}, {.argv = {"sysvisor-no-such-program"}});
  REQUIRE(missing);
  CHECK(missing->exec_errno == ENOENT);
}

// Kills: on() accepting any name again (the error would come only from run()), and on() adding
// the rule it refuses.
TEST_CASE("on() refuses an unknown syscall or an empty handler at once; run() checks handlers filled directly") {
  Policy policy;
  const Handler cont = [](const Call&) { return Reply::cont(); };
  auto unknown = policy.on("nosuchcall", cont);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == EINVAL);
  CHECK(unknown.error().message == "handler: unknown syscall 'nosuchcall'");
  auto empty = policy.on("getppid", nullptr);
  REQUIRE_FALSE(empty);
  CHECK(empty.error().message == "handler for 'getppid' is empty");
  CHECK(policy.handlers.empty());
  CHECK(policy.on("socketcall", cont));  // an i386 syscall only: covers i386 code
  CHECK(policy.handlers.size() == 1);
  policy.handlers.push_back({"nosuchcall", cont});
  auto result = run(policy, {.argv = {"true"}});
  REQUIRE_FALSE(result);
  CHECK(result.error().message == "handler: unknown syscall 'nosuchcall'");
}

TEST_CASE("several supervised runs at once from different threads") {
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      Policy policy;
      REQUIRE(policy.inject(i % 2 == 0 ? "getppid:error=EPERM:when=1..65534" : "getppid:error=ENOENT"));
      const int want = i % 2 == 0 ? EPERM : ENOENT;
      auto result = run_function(policy, [want] {
        for (int k = 0; k < 200; ++k)
          if (syscall(SYS_getppid) != -1 || errno != want) return 1;
        return 0;
      });
      if (result && result->exit_code == 0) ++good;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(good == 6);
}

TEST_CASE("the host's own children and SIGCHLD disposition are left alone") {
  struct sigaction before{};
  sigaction(SIGCHLD, nullptr, &before);
  const pid_t mine = fork();
  if (mine == 0) {
    usleep(200000);
    _exit(33);
  }
  REQUIRE(mine > 0);
  auto result = run({}, {.argv = {"true"}});
  REQUIRE(result);
  int status = 0;
  REQUIRE(waitpid(mine, &status, 0) == mine);  // not reaped by the library
  CHECK(WEXITSTATUS(status) == 33);
  struct sigaction after{};
  sigaction(SIGCHLD, nullptr, &after);
  CHECK((after.sa_handler == before.sa_handler));
}
