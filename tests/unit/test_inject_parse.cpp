// -e inject= / -e fault= parsing and syscall SETs.
//
// Accept/reject verdicts were taken from strace 6.1 itself: each option below was run as
// `strace -f -qq -o /dev/null -e OPTION true` and its "strace: invalid …" / "incorrect …"
// diagnostics recorded. SET memberships were compared with what `strace -e trace=SET` selects
// when a probe program calls every syscall number (see test_syscall_table.cpp).
#include <doctest/doctest.h>

#include <cerrno>
#include <string>

#include "cli/cli.hpp"
#include "policy/syscall_table.hpp"
#include "policy/inject_table.hpp"

using sysvisor::complement;
using sysvisor::Delay;
using sysvisor::errno_by_name;
using sysvisor::InjectRule;
using sysvisor::InjectTable;
using sysvisor::kWhenLastInf;
using sysvisor::parse_inject_option;
using sysvisor::parse_syscall_set;
using sysvisor::Personality;
using sysvisor::Poke;
using sysvisor::signal_by_spec;
using sysvisor::SyscallSet;
using sysvisor::When;

namespace {

constexpr Personality k64 = Personality::kX86_64;
constexpr Personality k32 = Personality::kI386;

InjectRule ok(const std::string& option) {
  auto r = parse_inject_option(option);
  if (!r) FAIL("rejected: ", option, ": ", r.error().message);
  return std::move(r).value();
}

// The message the command line prints (without "sysvisor: "); the library's differs only in
// naming the rule instead of the option (see the test below).
std::string err(const std::string& option) {
  auto r = sysvisor::cli_inject_rule(option);
  if (r) FAIL("accepted: ", option);
  CHECK(r.error().code == EINVAL);
  CHECK_FALSE(parse_inject_option(option));
  return r.error().message;
}

SyscallSet set_of(const std::string& spec) {
  auto r = parse_syscall_set(spec);
  if (!r) FAIL("rejected SET: ", spec, ": ", r.error().message);
  return std::move(r).value();
}

}  // namespace

TEST_CASE("parse_inject_option: strace 6.1 accepts these") {
  const char* accepted[] = {
      "inject=open:error=EPERM", "inject=open:error=eperm", "inject=open:error=1",
      "inject=open:error=4095", "inject=open:error=010", "inject=open:error=+5",
      "inject=open:error= 5", "inject=open:error=ERESTARTSYS", "inject=open:error=enotsupp",
      "inject=open:retval=-1", "inject=open:retval=0x10", "inject=open:retval= 1",
      "inject=open:retval=-18446744073709551615", "inject=open:retval=077",
      "fault=open", "fault=open:when=2", "fault=open:error=EPERM:when=3..4",
      "inject=open::error=EPERM:", "inject=open:error=EPERM:when=2:when=3",
      "inject=open:signal=USR1", "inject=open:signal=usr1", "inject=open:signal=SIGUSR1",
      "inject=open:signal=sigusr1", "inject=open:signal=10", "inject=open:signal=64",
      "inject=open:signal=RTMIN", "inject=open:signal=RT_1", "inject=open:signal=rt_32",
      "inject=open:signal=010", "inject=open:signal=USR1:error=EPERM",
      "inject=open:delay_enter=1", "inject=open:delay_enter=0", "inject=open:delay_enter=1s",
      "inject=open:delay_enter=1ms", "inject=open:delay_enter=1us", "inject=open:delay_enter=1ns",
      "inject=open:delay_enter=1.5s", "inject=open:delay_enter=1.5S", "inject=open:delay_enter=1mS",
      "inject=open:delay_enter=.5s", "inject=open:delay_enter=1e3", "inject=open:delay_enter= 1",
      "inject=open:delay_enter=+1", "inject=open:delay_enter=1.", "inject=open:delay_enter=1e-3s",
      "inject=open:delay_exit=2:error=EPERM", "inject=open:delay_exit=2:retval=0",
      "inject=open:poke_enter=@arg1=00", "inject=open:poke_enter=@arg7=00",
      "inject=open:poke_enter=@arg1=0g", "inject=open:poke_enter=@arg1=AbCd",
      "inject=open:poke_enter=@arg1=0x00", "inject=open:poke_enter=@arg1= 1",
      "inject=open:poke_enter=@arg1=+1", "inject=open:poke_enter=@arg1=00,@arg2=11",
      "inject=open:poke_enter=@arg1=00,,@arg2=11", "inject=open:poke_enter=,",
      "inject=open:poke_enter=@arg1=-1", "inject=open:poke_enter=@arg1=1-",
      "inject=open:poke_enter=@arg1=00:poke_exit=@arg2=00:error=EPERM",
      "inject=open:poke_exit=@arg2=00:retval=3", "inject=?foo:error=EPERM",
      "inject=open@64:error=EPERM", "inject=!open:error=EPERM", "inject=all:error=EPERM",
      "inject=none:error=EPERM", "inject=%file:error=EPERM", "inject=file:error=EPERM",
      "inject=/^open:error=EPERM", "inject=520:error=EPERM", "inject=send:error=EPERM",
      "inject=ioctl#64:error=EPERM",
  };
  for (const char* a : accepted) ok(a);
}

TEST_CASE("parse_inject_option: strace 6.1 rejects these") {
  const char* rejected[] = {
      "inject=open", "inject=open:error=0", "inject=open:error=4096", "inject=open:error=0x10",
      "inject=open:error=-5", "inject=open:error=ENOGRACE", "inject=open:error=ENOPARAM",
      "inject=open:error=EWOULDBLOCK", "inject=open:error=EFOO", "inject=open:error=",
      "inject=open:error=EPERM:error=EPERM", "inject=open:error=EPERM:retval=1",
      "inject=open:retval=1:error=EPERM", "inject=open:retval=1:retval=2",
      "inject=open:retval=18446744073709551616", "inject=open:retval=", "inject=open:retval=1x",
      "inject=open:retval=08", "fault=open:retval=1", "fault=open:signal=USR1",
      "fault=open:delay_enter=1", "inject=:error=EPERM", "inject=", "fault=", "inject=open:foo=1",
      "inject=open:foo", "inject=open:error=EPERM:when=2:when=0", "inject=open:signal=0",
      "inject=open:signal=65", "inject=open:signal=RT_33", "inject=open:signal=RT_0",
      "inject=open:signal=RT_01", "inject=open:signal=RTMAX", "inject=open:signal=SIGIOT",
      "inject=open:signal=SIG", "inject=open:signal=", "inject=open:signal=+10",
      "inject=open:signal=USR1:signal=USR2", "inject=open:delay_enter=1Ms",
      "inject=open:delay_enter=1m", "inject=open:delay_enter=1S", "inject=open:delay_enter=-1",
      "inject=open:delay_enter=0x10", "inject=open:delay_enter=", "inject=open:delay_enter=inf",
      "inject=open:delay_enter=1e400", "inject=open:delay_enter=1e-400",
      "inject=open:delay_enter=9223372036854775808", "inject=open:delay_enter=1:delay_enter=2",
      "inject=open:delay_enter=.", "inject=open:delay_enter=1+", "inject=open:delay_enter=1u",
      "inject=open:poke_enter=@arg1=0", "inject=open:poke_enter=@arg1=",
      "inject=open:poke_enter=@arg0=00", "inject=open:poke_enter=@arg8=00",
      "inject=open:poke_enter=@arg1=zz", "inject=open:poke_enter=@arg1=00,@arg1=11",
      "inject=open:poke_enter=@arg1=00:poke_enter=@arg2=00", "inject=open:poke_enter=",
      "inject=open:poke_enter=@ARG1=00", "inject=open:poke_enter=arg1=00",
      "inject=open:poke_enter=@arg1x=00", "inject=open:poke_enter=@arg10=00",
      "inject=open:poke_enter=@arg1=x1", "inject=open:poke_enter=@arg1=  ",
      "inject=foo:error=EPERM", "inject=foo:bar=1", "inject=open@x:error=EPERM",
      "inject=/(:error=EPERM", "inject=?/(:error=EPERM", "inject=1000:error=EPERM",
      "inject=send@64:error=EPERM", "inject=ioctl#64@64:error=EPERM",
  };
  for (const char* r : rejected) err(r);
}

TEST_CASE("parse_inject_option: poke hex up to 2048 digits") {
  std::string hex;
  for (int i = 0; i < 1024; ++i) hex += "ab";
  const auto rule = ok("inject=open:poke_enter=@arg1=" + hex);
  REQUIRE(rule.poke_enter);
  REQUIRE(rule.poke_enter->size() == 1);
  CHECK(rule.poke_enter->front().bytes.size() == 1024);
  CHECK(rule.poke_enter->front().bytes.back() == 0xab);
  err("inject=open:poke_enter=@arg1=" + hex + "ab");
}

TEST_CASE("parse_inject_option: one-line messages naming the option and the value") {
  CHECK(err("inject=open:error=EFOO") == "-e inject=open:error=EFOO: unknown errno 'EFOO'");
  CHECK(err("inject=open:error=4096") == "-e inject=open:error=4096: errno '4096' out of range 1..4095");
  CHECK(err("inject=open:error=EPERM:retval=1") ==
        "-e inject=open:error=EPERM:retval=1: error= and retval= are exclusive");
  CHECK(err("inject=open:error=1:error=2") == "-e inject=open:error=1:error=2: error= given twice");
  CHECK(err("inject=open:signal=USR1:signal=USR2") ==
        "-e inject=open:signal=USR1:signal=USR2: signal= given twice");
  CHECK(err("inject=foo:error=EPERM") == "-e inject=foo:error=EPERM: invalid system call 'foo'");
  CHECK(err("inject=open,foo,close:error=EPERM") ==
        "-e inject=open,foo,close:error=EPERM: invalid system call 'foo'");
  CHECK(err("inject=open@x:error=EPERM") ==
        "-e inject=open@x:error=EPERM: incorrect personality designator 'x' in qualification 'open@x'");
  CHECK(err("inject=open") ==
        "-e inject=open: inject= needs an action: error=, retval=, signal=, delay_enter=, "
        "delay_exit=, poke_enter=, poke_exit= or short=");
  CHECK(err("fault=open:retval=1") ==
        "-e fault=open:retval=1: 'retval=' is not valid in fault= (it takes error=, when=, argN tests, path=, "
        "path2=, prob=, seed=)");
  CHECK(err("inject=open:foo=1") ==
        "-e inject=open:foo=1: unknown key 'foo=1' (inject= takes error=, retval=, signal=, "
        "delay_enter=, delay_exit=, poke_enter=, poke_exit=, when=, argN tests, path=, path2=, prob=, seed=, "
        "short=)");
  CHECK(err("inject=open:error=1:when=0") ==
        "-e inject=open:error=1:when=0: invalid when '0' (FIRST, FIRST+, FIRST+STEP, FIRST..LAST "
        "or FIRST..LAST+STEP with FIRST and STEP 1..65535, LAST FIRST..65534)");
  CHECK(err("inject=") == "-e inject=: invalid system call ''");
  CHECK(err("inject=/(:error=1").rfind("-e inject=/(:error=1: invalid regular expression '(': ", 0) == 0);
}

// Kills: a library message carrying the command line's "-e" again, and the reason lost or changed
// between the library's message and the command line's.
TEST_CASE("parse_inject_option: the library's messages name the rule, the command line's the option") {
  for (const char* option : {"inject=open:error=EFOO", "fault=open:retval=1", "trace=open", "inject=foo:error=1",
                             "inject=open:error=E\nFOO"}) {
    CAPTURE(option);
    auto lib = parse_inject_option(option);
    auto cli = sysvisor::cli_inject_rule(option);
    REQUIRE_FALSE(lib);
    REQUIRE_FALSE(cli);
    const std::string lib_prefix = "inject rule '" + std::string(option) + "': ";
    const std::string cli_prefix = "-e " + std::string(option) + ": ";
    const std::string line = lib.error().message;
    CHECK(line.find('\n') == std::string::npos);
    if (std::string(option).find('\n') != std::string::npos) continue;  // escaped: checked by the line above
    REQUIRE(line.starts_with(lib_prefix));
    REQUIRE(cli.error().message.starts_with(cli_prefix));
    CHECK(line.substr(lib_prefix.size()) == cli.error().message.substr(cli_prefix.size()));
  }
  CHECK(parse_inject_option("inject=open:error=EFOO").error().message ==
        "inject rule 'inject=open:error=EFOO': unknown errno 'EFOO'");
}

TEST_CASE("parse_inject_option: what user notification cannot do is refused, saying why") {
  // strace 6.1 accepts all of these.
  CHECK(err("inject=open:syscall=getpid:error=EPERM") ==
        "-e inject=open:syscall=getpid:error=EPERM: 'syscall=getpid' is not supported: seccomp "
        "user notification cannot run a different syscall in the caller's place");
  err("fault=open:syscall=getpid");
  CHECK(err("inject=open:delay_exit=1") ==
        "-e inject=open:delay_exit=1: delay_exit= needs error= or retval=: a call let through to "
        "the kernel is not stopped again on its way out under seccomp user notification");
  CHECK(err("inject=open:signal=USR1:poke_exit=@arg1=00") ==
        "-e inject=open:signal=USR1:poke_exit=@arg1=00: poke_exit= needs error= or retval=: a "
        "call let through to the kernel is not stopped again on its way out under seccomp user "
        "notification");
  // With an answer the exit is ours, so both are fine.
  const auto r = ok("inject=open:retval=0:delay_exit=5:poke_exit=@arg2=ff");
  CHECK(r.delay_exit == Delay{0, 5000});
}

TEST_CASE("parse_inject_option: other qualifiers are unsupported") {
  CHECK(err("trace=open") ==
        "-e trace=open: unsupported qualifier 'trace=' (sysvisor takes only inject= and fault=)");
  CHECK(err("signal=SIGUSR1") ==
        "-e signal=SIGUSR1: unsupported qualifier 'signal=' (sysvisor takes only inject= and fault=)");
  CHECK(err("decode-fds=path").find("unsupported qualifier 'decode-fds='") != std::string::npos);
  CHECK(err("open") ==
        "-e open: unsupported: strace reads a bare SET as trace=SET; sysvisor takes only inject= "
        "and fault=");
  err("injection=open:error=1");
  err("Inject=open:error=1");
}

TEST_CASE("parse_inject_option: fields") {
  {
    const auto r = ok("inject=open,openat:error=ENOENT:when=3..7+2");
    CHECK_FALSE(r.is_fault);
    CHECK(r.error == ENOENT);
    CHECK_FALSE(r.retval);
    CHECK(r.signal == 0);
    CHECK(r.when == When{3, 7, 2});
    CHECK(r.text == "inject=open,openat:error=ENOENT:when=3..7+2");
    CHECK(r.set.test(k64, 2));
    CHECK(r.set.test(k64, 257));
    CHECK(r.set.test(k32, 5));
    CHECK(r.set.test(k32, 295));
    CHECK(r.set.count(k64) == 2);
    CHECK(r.set.count(k32) == 2);
    CHECK(r.answers());
    CHECK(r.warnings.empty());
  }
  {
    const auto r = ok("fault=read");
    CHECK(r.is_fault);
    CHECK(r.error == ENOSYS);
    CHECK(r.when == When{});
  }
  CHECK(ok("fault=read:error=EIO").error == EIO);
  CHECK(ok("inject=read:error=ERESTART_RESTARTBLOCK").error == 516);
  CHECK(ok("inject=read:error=erecallconflict").error == 530);
  CHECK(ok("inject=read:error=010").error == 10);
  CHECK(ok("inject=read:error=4095").error == 4095);
  CHECK(ok("inject=read:retval=42").retval == 42u);
  CHECK(ok("inject=read:retval=0x2a").retval == 42u);
  CHECK(ok("inject=read:retval=052").retval == 42u);
  CHECK(ok("inject=read:retval=18446744073709551615").retval == 18446744073709551615u);
  CHECK(ok("inject=read:signal=SIGSEGV").signal == 11);
  CHECK(ok("inject=read:signal=kill").signal == 9);
  CHECK(ok("inject=read:signal=STKFLT").signal == 16);
  CHECK(ok("inject=read:signal=SYS").signal == 31);
  CHECK(ok("inject=read:signal=RTMIN").signal == 32);
  CHECK(ok("inject=read:signal=SIGRT_32").signal == 64);
  // The last when= wins (strace does not treat it as a duplicate).
  CHECK(ok("inject=read:error=1:when=5:when=2+").when == When{2, kWhenLastInf, 1});
}

TEST_CASE("parse_inject_option: when= forms and bounds") {
  auto when = [](const std::string& w) { return ok("inject=read:error=1:when=" + w).when; };
  CHECK(when("1") == When{1, kWhenLastInf, 0});
  CHECK(when("65535") == When{65535, kWhenLastInf, 0});
  CHECK(when("2+") == When{2, kWhenLastInf, 1});
  CHECK(when("1+1") == When{1, kWhenLastInf, 1});
  CHECK(when("1+65535") == When{1, kWhenLastInf, 65535});
  CHECK(when("65535+65535") == When{65535, kWhenLastInf, 65535});
  CHECK(when("1..1") == When{1, 1, 1});
  CHECK(when("1..65534") == When{1, 65534, 1});
  CHECK(when("65534..65534") == When{65534, 65534, 1});
  CHECK(when("3..5+") == When{3, 5, 1});
  CHECK(when("3..5+2") == When{3, 5, 2});
  CHECK(when("01") == When{1, kWhenLastInf, 0});
  CHECK(when("+2") == When{2, kWhenLastInf, 0});
  CHECK(when(" 1") == When{1, kWhenLastInf, 0});
  CHECK(when("1+ 2") == When{1, kWhenLastInf, 2});
  CHECK(when("3.. 5") == When{3, 5, 1});
  CHECK(when("3..+5") == When{3, 5, 1});
  for (const char* bad : {"0", "65536", "1+0", "1+65536", "2..1", "1..65535", "65535..65535",
                          "3..5+0", "3.5", "3...", "3..+2", "..5", "", "1 ", "1++", "1+2+",
                          "1..2..3", "1..2+3+", "3..-5", "1e2", "-1", "x"}) {
    err(std::string("inject=read:error=1:when=") + bad);
  }
}

TEST_CASE("parse_inject_option: delays as strace's parse_ts reads them") {
  auto delay = [](const std::string& d) { return *ok("inject=read:delay_enter=" + d).delay_enter; };
  CHECK(delay("0") == Delay{0, 0});
  CHECK(delay("1") == Delay{0, 1000});  // microseconds by default
  CHECK(delay("1000000") == Delay{1, 0});
  CHECK(delay("1500000") == Delay{1, 500000000});
  CHECK(delay("1s") == Delay{1, 0});
  CHECK(delay("1ms") == Delay{0, 1000000});
  CHECK(delay("1mS") == Delay{0, 1000000});
  CHECK(delay("1us") == Delay{0, 1000});
  CHECK(delay("1ns") == Delay{0, 1});
  CHECK(delay("1.5s") == Delay{1, 500000000});
  CHECK(delay("1.5S") == Delay{1, 500000000});
  CHECK(delay(".5s") == Delay{0, 500000000});
  CHECK(delay("1e3") == Delay{0, 1000000});
  CHECK(delay("1e-3s") == Delay{0, 1000000});
  CHECK(delay("1.5ns") == Delay{0, 1});
  CHECK(delay("2500ms") == Delay{2, 500000000});
  CHECK(delay("9223372036854775807") == Delay{9223372036854, 775807000});
  CHECK(delay("9223372036854775807s") == Delay{9223372036854775807, 0});
  // strace's double-to-time_t conversion overflows here; we saturate.
  CHECK(delay("1e30").sec == INT64_MAX);
  CHECK(*ok("inject=read:retval=0:delay_exit=2s").delay_exit == Delay{2, 0});
}

TEST_CASE("parse_inject_option: pokes, applied in strace's order (last written first)") {
  const auto r = ok("inject=read:poke_enter=@arg2=00ff,@arg1=AbCd:poke_exit=@arg7=7f:retval=0");
  REQUIRE(r.poke_enter);
  REQUIRE(r.poke_enter->size() == 2);
  CHECK((*r.poke_enter)[0] == Poke{1, {0xab, 0xcd}});
  CHECK((*r.poke_enter)[1] == Poke{2, {0x00, 0xff}});
  REQUIRE(r.poke_exit);
  CHECK(*r.poke_exit == std::vector<Poke>{Poke{7, {0x7f}}});
  // scanf("%2hhx") semantics at each byte position.
  CHECK(ok("inject=read:poke_enter=@arg1=0g").poke_enter->front().bytes == std::vector<uint8_t>{0x00});
  CHECK(ok("inject=read:poke_enter=@arg1=-1").poke_enter->front().bytes == std::vector<uint8_t>{0xff});
  CHECK(ok("inject=read:poke_enter=@arg1=0x00").poke_enter->front().bytes == std::vector<uint8_t>{0x00, 0x00});
  // Present but empty: strace accepts it as an action that writes nothing.
  const auto empty = ok("inject=read:poke_enter=,");
  REQUIRE(empty.poke_enter);
  CHECK(empty.poke_enter->empty());
}

TEST_CASE("parse_inject_option: strace's retval warnings") {
  CHECK(ok("inject=read:retval=-1").warnings ==
        std::vector<std::string>{"Inadvertent injection of error 1 is possible for "
                                 "retval=18446744073709551615"});
  CHECK(ok("inject=read:retval=-4095").warnings ==
        std::vector<std::string>{"Inadvertent injection of error 4095 is possible for "
                                 "retval=18446744073709547521"});
  CHECK(ok("inject=read:retval=-4096").warnings ==
        std::vector<std::string>{"Injected return value 18446744073709547520 will be clipped to "
                                 "4294963200 in compat personality"});
  CHECK(ok("inject=read:retval=4294967295").warnings ==
        std::vector<std::string>{"Inadvertent injection of error 1 is possible in compat "
                                 "personality for retval=4294967295"});
  CHECK(ok("inject=read:retval=4294963201").warnings ==
        std::vector<std::string>{"Inadvertent injection of error 4095 is possible in compat "
                                 "personality for retval=4294963201"});
  CHECK(ok("inject=read:retval=4294963200").warnings.empty());
  CHECK(ok("inject=read:retval=4294967296").warnings ==
        std::vector<std::string>{"Injected return value 4294967296 will be clipped to 0 in "
                                 "compat personality"});
  CHECK(ok("inject=read:retval=0").warnings.empty());
  CHECK(ok("inject=read:retval=2147483647").warnings.empty());
}

TEST_CASE("errno_by_name: strace 6.1's names, any case, no aliases") {
  CHECK(errno_by_name("EPERM") == 1);
  CHECK(errno_by_name("eperm") == 1);
  CHECK(errno_by_name("EHWPOISON") == 133);
  CHECK(errno_by_name("ERESTARTSYS") == 512);
  CHECK(errno_by_name("ERESTARTNOINTR") == 513);
  CHECK(errno_by_name("ERESTARTNOHAND") == 514);
  CHECK(errno_by_name("ENOIOCTLCMD") == 515);
  CHECK(errno_by_name("ERESTART_RESTARTBLOCK") == 516);
  CHECK(errno_by_name("EPROBE_DEFER") == 517);
  CHECK(errno_by_name("EOPENSTALE") == 518);
  CHECK(errno_by_name("EBADHANDLE") == 521);
  CHECK(errno_by_name("ENOTSYNC") == 522);
  CHECK(errno_by_name("EBADCOOKIE") == 523);
  CHECK(errno_by_name("ENOTSUPP") == 524);
  CHECK(errno_by_name("ETOOSMALL") == 525);
  CHECK(errno_by_name("ESERVERFAULT") == 526);
  CHECK(errno_by_name("EBADTYPE") == 527);
  CHECK(errno_by_name("EJUKEBOX") == 528);
  CHECK(errno_by_name("EIOCBQUEUED") == 529);
  CHECK(errno_by_name("ERECALLCONFLICT") == 530);
  // strace 6.1 does not know these (checked with the binary).
  for (const char* n : {"ENOPARAM", "ENOGRACE", "EWOULDBLOCK", "EDEADLOCK", "ENOTSUP", "E", ""}) {
    CHECK_MESSAGE(!errno_by_name(n), n);
  }
  // Every number 1..133 except 41 and 58 has a name that maps back to it.
  int named = 0;
  for (int e = 1; e <= 4095; ++e) {
    const auto r = parse_inject_option("inject=read:error=" + std::to_string(e));
    CHECK(r);
    named += r && r->error == e ? 1 : 0;
  }
  CHECK(named == 4095);
}

TEST_CASE("signal_by_spec") {
  CHECK(signal_by_spec("1") == 1);
  CHECK(signal_by_spec("64") == 64);
  CHECK_FALSE(signal_by_spec("65"));
  CHECK_FALSE(signal_by_spec("0"));
  CHECK(signal_by_spec("HUP") == 1);
  CHECK(signal_by_spec("sigchld") == 17);
  CHECK(signal_by_spec("SigWinch") == 28);
  CHECK(signal_by_spec("RT_16") == 48);
  CHECK_FALSE(signal_by_spec("SIGPOLL"));
  CHECK_FALSE(signal_by_spec("SIGCLD"));
  CHECK_FALSE(signal_by_spec("SIGUNUSED"));
  CHECK_FALSE(signal_by_spec("SIGLOST"));
}

TEST_CASE("parse_syscall_set: names, numbers, personalities") {
  const auto open = set_of("open");
  CHECK(open.count(k64) == 1);
  CHECK(open.test(k64, 2));
  CHECK(open.test(k32, 5));
  CHECK_FALSE(open.test(k64, 5));
  // Numbers are per personality: 102 is getuid on x86_64 and socketcall on i386.
  const auto n102 = set_of("102");
  CHECK(n102.test(k64, 102));
  CHECK(n102.test(k32, 102));
  CHECK(n102.count(k64) + n102.count(k32) == 2);
  CHECK(set_of("102@32").count(k64) == 0);
  CHECK(set_of("117@64").test(k64, 117));
  CHECK(set_of("117@64").count(k32) == 0);
  CHECK(set_of("0").test(k64, 0));
  CHECK(set_of("0").test(k32, 0));
  CHECK(set_of("00").test(k64, 0));
  // A number valid only in x32 is accepted and matches nothing.
  CHECK(set_of("520").empty());
  CHECK(set_of("ioctl#64").empty());
  CHECK(set_of("ioctl@x32").empty());
  CHECK(set_of("%file@x32").empty());
  // i386 socket has a direct number and the socketcall pseudo number.
  const auto socket = set_of("socket");
  CHECK(socket.test(k64, 41));
  CHECK(socket.test(k32, 359));
  CHECK(socket.test(k32, 501));
  CHECK(set_of("socket@64").count(k32) == 0);
  CHECK(set_of("socket@32").count(k64) == 0);
  CHECK(set_of("send").count(k64) == 0);
  CHECK(set_of("send").test(k32, 509));
  CHECK(set_of("?zzz,read").count(k64) == 1);
  CHECK(set_of("?zzz").empty());
  CHECK(set_of("??zzz@64").empty());
  CHECK(set_of("open,,close").count(k64) == 2);
  CHECK(set_of("open,").count(k64) == 1);
  CHECK(set_of(",open").count(k64) == 1);
  for (const char* bad : {"foo", "1000", "460", "548", "500", "+0", "0x1", " 1", "1 ", "-1", "!",
                          "!!", ",", "", "@64", "open@@64", "%all", "%FILE", "FILE", "%%file",
                          "net", "creds", "clock", "pure", "old_mmap", "kexec_file_load@32",
                          "send@64", "recv@x32", "uselib@x32", "/^$", "open@", "oldstat@64"}) {
    CHECK_MESSAGE(!parse_syscall_set(bad), bad);
  }
}

TEST_CASE("parse_syscall_set: all, none, negation, classes, regex (counts as strace 6.1 selects)") {
  struct Case {
    const char* spec;
    size_t n64, n32;
  };
  // n32 includes i386 socketcall/ipc pseudo numbers.
  const Case cases[] = {
      {"all", 362, 472},      {"none", 0, 0},         {"!open", 361, 471},   {"!!open", 1, 1},
      {"!none", 362, 472},    {"!all", 0, 0},         {"open,all", 362, 472}, {"%file", 67, 77},
      {"file", 67, 77},       {"%desc", 123, 142},    {"desc", 123, 142},    {"%memory", 26, 30},
      {"%process", 16, 17},   {"%creds", 19, 35},     {"%signal", 17, 26},   {"%ipc", 12, 24},
      {"%net", 21, 42},       {"%network", 21, 42},   {"network", 21, 42},   {"%stat", 1, 3},
      {"%lstat", 1, 3},       {"%fstat", 3, 5},       {"%%stat", 5, 11},     {"%statfs", 1, 2},
      {"%fstatfs", 1, 2},     {"%%statfs", 3, 5},     {"%pure", 8, 12},      {"%clock", 8, 12},
      {"/^stat", 3, 5},       {"/64$", 5, 36},        {"/", 362, 472},       {"/sel", 4, 6},
      {"!%file", 295, 395},   {"!%net", 341, 430},    {"%net@32", 0, 42},    {"%ipc@32", 0, 24},
      {"mmap", 1, 1},         {"shmat", 1, 2},        {"semop", 1, 1},       {"stat,lstat", 2, 2},
  };
  for (const auto& c : cases) {
    const auto s = set_of(c.spec);
    CHECK_MESSAGE(s.count(k64) == c.n64, c.spec);
    CHECK_MESSAGE(s.count(k32) == c.n32, c.spec);
  }
  const auto stat_like = set_of("%%stat");
  for (const int nr : {4, 5, 6, 262, 332}) CHECK(stat_like.test(k64, nr));  // stat fstat lstat newfstatat statx
  CHECK(complement(set_of("none")) == set_of("all"));
  CHECK(complement(set_of("all")).empty());
}

TEST_CASE("InjectRule::errno_only_always") {
  CHECK(ok("inject=open:error=EPERM").errno_only_always());
  CHECK(ok("fault=open").errno_only_always());
  CHECK(ok("inject=open:error=EPERM:when=1+").errno_only_always());
  CHECK_FALSE(ok("inject=open:error=EPERM:when=1").errno_only_always());
  CHECK_FALSE(ok("inject=open:error=EPERM:when=2+").errno_only_always());
  CHECK_FALSE(ok("inject=open:error=EPERM:when=1..65534").errno_only_always());
  CHECK_FALSE(ok("inject=open:retval=0").errno_only_always());
  CHECK_FALSE(ok("inject=open:error=EPERM:signal=USR1").errno_only_always());
  CHECK_FALSE(ok("inject=open:error=EPERM:delay_enter=1").errno_only_always());
  CHECK_FALSE(ok("inject=open:error=EPERM:poke_enter=,").errno_only_always());
  CHECK_FALSE(ok("inject=open:signal=USR1").errno_only_always());
}

TEST_CASE("InjectTable: a later rule replaces an earlier one for the syscalls it names") {
  InjectTable t;
  CHECK(t.empty());
  CHECK(t.rule_for(k64, 2) == nullptr);
  t.add(ok("inject=%file:error=EACCES"));
  t.add(ok("inject=open,close:error=ENOENT"));
  t.add(ok("inject=none:error=EIO"));  // names nothing: changes nothing
  t.add(ok("fault=!%file,close@64"));
  CHECK(t.rules().size() == 4);
  REQUIRE(t.rule_for(k64, 2));           // open: second rule
  CHECK(t.rule_for(k64, 2)->error == ENOENT);
  REQUIRE(t.rule_for(k64, 257));         // openat: first rule
  CHECK(t.rule_for(k64, 257)->error == EACCES);
  REQUIRE(t.rule_for(k64, 3));           // close@64: `!` negates the whole list, so the
  CHECK(t.rule_for(k64, 3)->error == ENOENT);  // fault= rule excludes it; the second rule stays
  REQUIRE(t.rule_for(k32, 6));           // i386 close: !%file covers it
  CHECK(t.rule_for(k32, 6)->error == ENOSYS);
  REQUIRE(t.rule_for(k64, 0));           // read: !%file
  CHECK(t.rule_for(k64, 0)->is_fault);
  CHECK(t.rule_for(k64, 335) == nullptr);  // unknown to strace 6.1: never injected
  CHECK(t.rule_for(k64, -1) == nullptr);
  CHECK(t.rule_for(k64, 1 << 20) == nullptr);
  CHECK(t.rule_for(k32, 501)->is_fault);  // socket subcall pseudo number
}

TEST_CASE("huge float delays saturate without undefined behaviour") {
  for (const char* spec : {"inject=open:delay_enter=9e24", "inject=open:delay_enter=9e27ns", "inject=open:delay_enter=1e30s"}) {
    CAPTURE(spec);
    auto r = sysvisor::parse_inject_option(spec);
    REQUIRE(r);
    REQUIRE(r->delay_enter);
    CHECK(r->delay_enter->sec >= 0);
    CHECK(r->delay_enter->nsec >= 0);
    CHECK(r->delay_enter->nsec < 1000000000);
  }
}
