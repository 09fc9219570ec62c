// sysvisor's inject keys beyond strace: argN tests and their constants, path globs, prob=/seed=,
// short= (src/inject/inject_extensions.cpp, src/policy/inject_match.cpp).
//
// Mutants this kills: negative values not sign-extended to 64 bits, `|` joins dropped, N 6
// accepted, prob=0 accepted, `*` crossing '/', `**` not crossing it, a character class ignoring
// '!', the coin ignoring the thread or the seed, short= accepted on a call that moves no bytes.
#include <doctest/doctest.h>
#include <fcntl.h>

#include <string>

#include "inject/inject_extensions.hpp"
#include "policy/inject_match.hpp"
#include "sysvisor/inject.hpp"

using namespace sysvisor;

namespace {

std::string err(const std::string& option) {
  auto r = parse_inject_option(option);
  REQUIRE_FALSE(r);
  return r.error().message;
}

}  // namespace

TEST_CASE("argument values: numbers, negative registers and constants joined with |") {
  CHECK(parse_arg_value("42") == 42u);
  CHECK(parse_arg_value("0x41") == 0x41u);
  CHECK(parse_arg_value("-100") == static_cast<uint64_t>(-100));
  CHECK(parse_arg_value("AT_FDCWD") == static_cast<uint64_t>(-100));
  CHECK(parse_arg_value("O_CREAT|O_EXCL") == static_cast<uint64_t>(O_CREAT | O_EXCL));
  CHECK(parse_arg_value("O_CREAT|0x1") == static_cast<uint64_t>(O_CREAT | 1));
  CHECK(parse_arg_value("O_LARGEFILE") == 0100000u);
  CHECK_FALSE(parse_arg_value("O_BOGUS"));
  CHECK_FALSE(parse_arg_value("O_CREAT|"));
  CHECK(parse_arg_value("-0x10") == static_cast<uint64_t>(-16));  // as -k reads it: C's bases, negated
  CHECK(parse_arg_value("010") == 8u);
  CHECK_FALSE(parse_arg_value("12abc"));
}

TEST_CASE("argN tests parse into the operator and operands, and match registers as the kernel sees them") {
  auto rule = parse_inject_option("inject=openat:error=EACCES:arg2&O_CREAT:arg0==-100:arg3&S_IFMT==S_IFREG");
  REQUIRE(rule);
  REQUIRE(rule->args.size() == 3);
  CHECK(rule->args[0] == ArgPredicate{2, ArgPredicate::Op::kAnyBit, 0, O_CREAT});
  CHECK(rule->args[1] == ArgPredicate{0, ArgPredicate::Op::kEq, static_cast<uint64_t>(-100), 0});
  CHECK(rule->args[2] == ArgPredicate{3, ArgPredicate::Op::kMaskedEq, S_IFREG, S_IFMT});
  CHECK(rule->args[1].matches(0xffffffffffffff9cULL, false));
  CHECK(rule->args[1].matches(0xffffff9cULL, false));  // the int with the register's upper half zero
  CHECK_FALSE(rule->args[1].matches(0x1ffffff9cULL, false));
  CHECK(rule->args[1].matches(0xffffff9cULL, true));  // i386: 32-bit registers
  CHECK(rule->errno_only_always());                   // the filter may answer it
  for (const char* op : {"arg1!=3", "arg1<3", "arg1<=3", "arg1>3", "arg1>=3"}) CHECK(parse_inject_option(std::string("inject=read:error=EIO:") + op));
  const ArgPredicate lt{1, ArgPredicate::Op::kLt, 3, 0}, ge{1, ArgPredicate::Op::kGe, 3, 0};
  CHECK(lt.matches(2, false));
  CHECK_FALSE(lt.matches(3, false));
  CHECK(ge.matches(3, false));
  CHECK(ge.matches(static_cast<uint64_t>(-1), false));  // unsigned, as in the filter
}

TEST_CASE("bad extension input is one line naming the rule") {
  CHECK(err("inject=read:error=EIO:arg6==1") ==
        "inject rule 'inject=read:error=EIO:arg6==1': invalid argument test 'arg6==1': N is 0..5 (x86 syscalls have six arguments)");
  CHECK(err("inject=read:error=EIO:arg0~1").find("invalid argument test 'arg0~1'") != std::string::npos);
  CHECK(err("inject=read:error=EIO:arg0==O_BOGUS").find("invalid value 'O_BOGUS'") != std::string::npos);
  CHECK(err("inject=read:error=EIO:prob=0") ==
        "inject rule 'inject=read:error=EIO:prob=0': invalid probability '0' (in (0, 1]: 0.05 or 5%)");
  CHECK(err("inject=read:error=EIO:prob=150%").find("invalid probability '150%'") != std::string::npos);
  CHECK(err("inject=read:error=EIO:prob=x").find("invalid probability 'x'") != std::string::npos);
  CHECK(err("inject=read:error=EIO:seed=3") == "inject rule 'inject=read:error=EIO:seed=3': seed= needs prob=");
  CHECK(err("inject=getpid:short=3").find("short= on getpid, which moves no bytes") != std::string::npos);
  CHECK(err("inject=read:short=0").find("invalid short= '0'") != std::string::npos);
  CHECK(err("inject=read:short=3:error=EIO") == "inject rule 'inject=read:short=3:error=EIO': short= answers the call itself: not with error= or retval=");
  CHECK(err("fault=read:short=3").find("'short=' is not valid in fault=") != std::string::npos);
  CHECK(err("inject=getpid:error=EIO:path=/x") == "inject rule 'inject=getpid:error=EIO:path=/x': path= on syscalls that take no path");
  CHECK(err("inject=openat:error=EIO:path2=/x").find("path2= on syscalls that take no second path") != std::string::npos);
  CHECK(err("inject=openat:error=EIO:path=x*").find("path= takes an absolute glob") != std::string::npos);
  auto ok = parse_inject_option("inject=read,write:short=1:prob=5%:seed=7");
  REQUIRE(ok);
  CHECK(*ok->probability == doctest::Approx(0.05));
  CHECK(ok->seed == 7u);
  CHECK(ok->short_len == 1u);
  CHECK_FALSE(ok->errno_only_always());
}

TEST_CASE("path globs: * and ? stay in a component, ** crosses them") {
  CHECK(glob_match("/etc/*.conf", "/etc/app.conf"));
  CHECK_FALSE(glob_match("/etc/*.conf", "/etc/app/x.conf"));
  CHECK(glob_match("/etc/**.conf", "/etc/app/x.conf"));
  CHECK(glob_match("/var/lib/app/**", "/var/lib/app/a/b/c"));
  CHECK_FALSE(glob_match("/var/lib/app/**", "/var/lib/other"));
  CHECK(glob_match("/a/**/x*", "/a/b/c/xy"));
  CHECK_FALSE(glob_match("/a/**/x*", "/a/b/c/xy/z"));
  CHECK(glob_match("/a/**/x*/z", "/a/b/xq/c/xy/z"));
  CHECK(glob_match("/tmp/f?", "/tmp/f1"));
  CHECK_FALSE(glob_match("/tmp/f?", "/tmp/f/"));
  CHECK(glob_match("/tmp/[a-c]x", "/tmp/bx"));
  CHECK_FALSE(glob_match("/tmp/[!a-c]x", "/tmp/bx"));
  CHECK(glob_match("/tmp/\\*", "/tmp/*"));
  CHECK_FALSE(glob_match("/tmp/\\*", "/tmp/a"));
  CHECK(glob_match("/*", "/"));
  CHECK_FALSE(glob_match("/tmp/[ab", "/tmp/a"));
}

TEST_CASE("prob=: a pure function of seed, thread, syscall and count, close to P") {
  int fired = 0, differ_seed = 0, differ_thread = 0;
  for (uint64_t call = 1; call <= 10000; ++call) {
    const bool a = chance_fires(1, 0, Personality::kX86_64, 0, call, 0.3);
    CHECK(a == chance_fires(1, 0, Personality::kX86_64, 0, call, 0.3));
    fired += a;
    differ_seed += a != chance_fires(2, 0, Personality::kX86_64, 0, call, 0.3);
    differ_thread += a != chance_fires(1, 1, Personality::kX86_64, 0, call, 0.3);
  }
  CHECK(fired > 2800);
  CHECK(fired < 3200);
  CHECK(differ_seed > 3000);
  CHECK(differ_thread > 3000);
  CHECK(chance_fires(5, 0, Personality::kI386, 3, 1, 1.0));
}
