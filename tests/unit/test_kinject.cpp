// -k: the parser, the plan (which mechanism, what refusal line), and the decisions shared with
// the BPF programs (kinject_abi.h: when= against the -e inject counter, prob=/seed=).
#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <string>
#include <vector>

#include "inject/inject_counter.hpp"
#include "kinject/bpf/kinject_abi.h"
#include "cli/cli.hpp"
#include "kinject/kinject_plan.hpp"
#include "sysvisor/kinject.hpp"

using namespace sysvisor;

namespace {

KinjectRule parse_ok(std::string_view spec) {
  auto r = parse_kinject_option(spec);
  INFO(spec);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
  return *r;
}

// The message the command line prints for -k SPEC; the library's names the rule instead
// ("kinject rule 'SPEC': ", checked below).
std::string parse_err(std::string_view spec) {
  auto r = cli_kinject_rule(spec);
  INFO(spec);
  REQUIRE(!r.ok());
  auto lib = parse_kinject_option(spec);
  REQUIRE(!lib.ok());
  const std::string cli_prefix = "-k '" + std::string(spec) + "': ";
  const std::string lib_prefix = "kinject rule '" + std::string(spec) + "': ";
  REQUIRE(r.error().message.starts_with(cli_prefix));
  REQUIRE(lib.error().message.starts_with(lib_prefix));
  CHECK(r.error().message.substr(cli_prefix.size()) == lib.error().message.substr(lib_prefix.size()));
  return r.error().message;
}

KernelSupport all_yes() {
  KernelSupport k;
  for (KSupport* s : {&k.root, &k.btf, &k.kprobes, &k.override_return, &k.fmod_ret_security, &k.fmod_ret_injectable,
                      &k.lsm})
    *s = {true, ""};
  return k;
}

}  // namespace

TEST_CASE("kinject parse: targets and their default actions") {
  KinjectRule r = parse_ok("kmalloc");
  CHECK(r.target == KTarget::kKmalloc);
  CHECK(r.function == "should_failslab");
  CHECK(r.error == ENOMEM);
  CHECK(r.return_value() == -ENOMEM);

  r = parse_ok("alloc_page");
  CHECK(r.target == KTarget::kAllocPage);
  CHECK(r.function == "should_fail_alloc_page");
  CHECK(r.return_value() == 1);

  r = parse_ok("bio");
  CHECK(r.function == "should_fail_bio");
  CHECK(r.return_value() == -EIO);

  r = parse_ok("security_file_open");
  CHECK(r.target == KTarget::kSecurity);
  CHECK(r.return_value() == -EPERM);

  r = parse_ok("lsm/file_open:error=EACCES");
  CHECK(r.target == KTarget::kLsm);
  CHECK(r.function == "file_open");
  CHECK(r.return_value() == -EACCES);

  r = parse_ok("__x64_sys_openat:retval=-5");
  CHECK(r.target == KTarget::kFunction);
  CHECK(r.return_value() == -5);
  r = parse_ok("do_mmap:retval=0xfffffffffffffff4");
  CHECK(r.return_value() == -12);
  r = parse_ok("security_file_open:retval=7");
  CHECK(r.return_value() == 7);
  CHECK(parse_ok("kmalloc:error=12").error == 12);
  CHECK(parse_ok("kmalloc:error=eio").error == EIO);
  CHECK(parse_ok("kmalloc:error=4095").error == 4095);
}

TEST_CASE("kinject parse: error= and retval= read as -e inject= reads them (strace 6.1)") {
  // Changed with the shared option grammar (issue 12): -k used to read error= with base 0, so
  // "0x10" was 16 and "010" was 8, while -e (strace 6.1) refuses "0x10" and reads "010" as 10;
  // and -k refused a blank or '+' before a number that strace takes. -k now follows -e.
  CHECK(parse_err("kmalloc:error=0x10") ==
        "-k 'kmalloc:error=0x10': invalid errno '0x10' (1..4095 in decimal, or a name such as EPERM)");
  CHECK(parse_ok("kmalloc:error=010").error == 10);
  CHECK(parse_ok("kmalloc:error=+5").error == 5);
  CHECK(parse_ok("kmalloc:error= 5").error == 5);
  CHECK(parse_err("kmalloc:error=-1") == "-k 'kmalloc:error=-1': errno '-1' out of range 1..4095");
  CHECK(parse_ok("do_mmap:retval= 7").return_value() == 7);
  CHECK(parse_ok("do_mmap:retval=+7").return_value() == 7);
  CHECK(parse_ok("do_mmap:retval=-18446744073709551615").return_value() == 1);
  CHECK(parse_ok("do_mmap:retval=-9223372036854775809").return_value() == INT64_MAX);
  CHECK(parse_err("do_mmap:retval=08") ==
        "-k 'do_mmap:retval=08': invalid retval '08' (a number: decimal, 0x hex or 0 octal)");
}

TEST_CASE("kinject parse: selectors") {
  KinjectRule r = parse_ok("kmalloc:when=3..7+2:prob=0.25:seed=42");
  CHECK(r.when == When{3, 7, 2});
  REQUIRE(r.prob);
  CHECK(*r.prob == doctest::Approx(0.25));
  CHECK(r.seed == 42);
  CHECK(parse_ok("kmalloc:when=2").when == When{2, kWhenLastInf, 0});
  CHECK(parse_ok("kmalloc:when=2+").when == When{2, kWhenLastInf, 1});
  CHECK(*parse_ok("kmalloc:prob=50%").prob == doctest::Approx(0.5));
  CHECK(*parse_ok("kmalloc:prob=1").prob == doctest::Approx(1.0));
  CHECK(*parse_ok("kmalloc:prob=0").prob == doctest::Approx(0.0));

  r = parse_ok("do_mmap:error=ENOMEM:arg7==0x10:arg2>=4096:arg4&1:arg3!=-1");
  REQUIRE(r.tests.size() == 4);
  CHECK(r.tests[0] == KArgTest{7, KOp::kEq, 0x10});
  CHECK(r.tests[1] == KArgTest{2, KOp::kGe, 4096});
  CHECK(r.tests[2] == KArgTest{4, KOp::kAnd, 1});
  CHECK(r.tests[3] == KArgTest{3, KOp::kNe, ~0ULL});
  CHECK(parse_ok("f:error=1:arg12<5").tests[0] == KArgTest{12, KOp::kLt, 5});
  CHECK(parse_ok("f:error=1:arg1<=5").tests[0] == KArgTest{1, KOp::kLe, 5});
  CHECK(parse_ok("f:error=1:arg1>5").tests[0] == KArgTest{1, KOp::kGt, 5});

  r = parse_ok("kmalloc:chain=ksys_mmap_pgoff(arg2==4096,arg1==0)/__x64_sys_mmap:when=1");
  REQUIRE(r.chain.size() == 2);
  CHECK(r.chain[0].function == "ksys_mmap_pgoff");
  CHECK(r.chain[0].tests == std::vector<KArgTest>{{2, KOp::kEq, 4096}, {1, KOp::kEq, 0}});
  CHECK(r.chain[1].function == "__x64_sys_mmap");
  CHECK(r.chain[1].tests.empty());
  CHECK(r.when == When{1, kWhenLastInf, 0});

  CHECK(parse_ok("kmalloc:via=fmod_ret").via == KMechanism::kFmodRetInjectable);
  CHECK(parse_ok("f:error=1:via=kprobe").via == KMechanism::kKprobeOverride);
}

TEST_CASE("kinject parse: errors are one line naming the option") {
  CHECK(parse_err("") == "-k '': missing target (kmalloc, alloc_page, bio, security_NAME, lsm/HOOK or a function)");
  CHECK(parse_err("kmalloc:error=EFOO") == "-k 'kmalloc:error=EFOO': unknown errno 'EFOO'");
  CHECK(parse_err("kmalloc:error=0") == "-k 'kmalloc:error=0': errno '0' out of range 1..4095");
  CHECK(parse_err("kmalloc:error=4096") == "-k 'kmalloc:error=4096': errno '4096' out of range 1..4095");
  CHECK(parse_err("kmalloc:retval=1") ==
        "-k 'kmalloc:retval=1': kmalloc takes error= (should_failslab returns an errno), not retval=");
  CHECK(parse_err("alloc_page:error=ENOMEM") ==
        "-k 'alloc_page:error=ENOMEM': alloc_page takes no error= or retval=: should_fail_alloc_page only says "
        "fail or not");
  CHECK(parse_err("lsm/file_open:retval=0") ==
        "-k 'lsm/file_open:retval=0': lsm/ hooks take error= only (they return 0 or -errno)");
  CHECK(parse_err("do_mmap") == "-k 'do_mmap': needs an action: error= or retval=");
  CHECK(parse_err("kmalloc:when=0") ==
        "-k 'kmalloc:when=0': invalid when '0' (FIRST, FIRST+, FIRST+STEP, FIRST..LAST or FIRST..LAST+STEP with "
        "FIRST and STEP 1..65535, LAST FIRST..65534)");
  CHECK(parse_err("kmalloc:when=5..4").find("invalid when '5..4'") != std::string::npos);
  CHECK(parse_err("kmalloc:prob=1.5") == "-k 'kmalloc:prob=1.5': invalid probability '1.5' (0..1, or 0%..100%)");
  CHECK(parse_err("kmalloc:prob=-0.1").find("invalid probability") != std::string::npos);
  CHECK(parse_err("kmalloc:seed=3") == "-k 'kmalloc:seed=3': seed= without prob=");
  CHECK(parse_err("kmalloc:prob=1:seed=-3") == "-k 'kmalloc:prob=1:seed=-3': invalid seed '-3' (0..2^64-1)");
  CHECK(parse_err("kmalloc:arg0==1") == "-k 'kmalloc:arg0==1': 'arg0==1': argument number out of range 1..12");
  CHECK(parse_err("kmalloc:arg13==1") == "-k 'kmalloc:arg13==1': 'arg13==1': argument number out of range 1..12");
  CHECK(parse_err("kmalloc:arg1=1") ==
        "-k 'kmalloc:arg1=1': 'arg1=1': expected one of == != < <= > >= & after arg1");
  CHECK(parse_err("kmalloc:arg1==x") == "-k 'kmalloc:arg1==x': 'arg1==x': invalid value 'x'");
  CHECK(parse_err("kmalloc:arg1==1:arg1==1:arg1==1:arg1==1:arg1==1") ==
        "-k 'kmalloc:arg1==1:arg1==1:arg1==1:arg1==1:arg1==1': at most 4 argument tests on the target");
  CHECK(parse_err("kmalloc:chain=a/b/c/d/e") == "-k 'kmalloc:chain=a/b/c/d/e': chain=: at most 4 frames");
  CHECK(parse_err("kmalloc:chain=a(arg1==1") == "-k 'kmalloc:chain=a(arg1==1': chain=: missing ')' in 'a(arg1==1'");
  CHECK(parse_err("kmalloc:chain=a(arg1=1)") ==
        "-k 'kmalloc:chain=a(arg1=1)': chain=a: 'arg1=1': expected one of == != < <= > >= & after arg1");
  CHECK(parse_err("kmalloc:chain=/b") == "-k 'kmalloc:chain=/b': chain=: invalid function name ''");
  CHECK(parse_err("kmalloc:foo=1") ==
        "-k 'kmalloc:foo=1': unknown item 'foo=1' (error=, retval=, when=, prob=, seed=, via=, chain=, argN OP VALUE)");
  CHECK(parse_err("kmalloc:error=EIO:retval=1") == "-k 'kmalloc:error=EIO:retval=1': error= and retval= are exclusive");
  CHECK(parse_err("security_file_open:via=kprobe") ==
        "-k 'security_file_open:via=kprobe': via= applies to error-injectable functions only");
  CHECK(parse_err("lsm/") == "-k 'lsm/': invalid LSM hook name ''");
  CHECK(parse_err("a-b:error=1") == "-k 'a-b:error=1': invalid target 'a-b'");
  CHECK(parse_err("kmalloc:via=uprobe") == "-k 'kmalloc:via=uprobe': invalid via 'uprobe' (kprobe or fmod_ret)");
}

TEST_CASE("kinject plan: the mechanism each target needs") {
  std::vector<KinjectRule> rules{parse_ok("kmalloc"), parse_ok("security_file_open"), parse_ok("lsm/file_open"),
                                 parse_ok("__x64_sys_openat:error=EIO:via=fmod_ret"),
                                 parse_ok("alloc_page:chain=a/b")};
  auto plan = plan_kinject(rules, all_yes());
  REQUIRE(plan.ok());
  REQUIRE(plan->targets.size() == 5);
  CHECK(plan->targets[0].mechanism == KMechanism::kKprobeOverride);
  CHECK(plan->targets[0].attach_to == "should_failslab");
  CHECK(plan->targets[0].retval == -ENOMEM);
  CHECK(plan->targets[1].mechanism == KMechanism::kFmodRetSecurity);
  CHECK(plan->targets[2].mechanism == KMechanism::kLsm);
  CHECK(plan->targets[2].attach_to == "file_open");
  CHECK(plan->targets[3].mechanism == KMechanism::kFmodRetInjectable);
  CHECK(plan->targets[4].retval == 1);
  REQUIRE(plan->chain.size() == 2);
  CHECK(plan->chain[0].rule == 4);
  CHECK(plan->chain[0].frame == 0);
  CHECK(plan->chain[0].function == "a");
  CHECK(plan->chain[1].frame == 1);

  std::vector<KinjectRule> nine(9, parse_ok("kmalloc"));
  const std::string too_many = plan_kinject(nine, all_yes()).error().message;
  CHECK(too_many == "kinject: at most 8 rules");
  CHECK(cli_message(too_many, Policy{}) == "-k: at most 8 rules");
}

TEST_CASE("kinject plan: a rule the kernel cannot carry gets the probe's line") {
  const KinjectRule kmalloc = parse_ok("kmalloc:when=2");
  const KinjectRule lsm = parse_ok("lsm/file_open");
  const KinjectRule sec_chain = parse_ok("security_file_open:chain=do_sys_openat2");
  const KinjectRule fmod = parse_ok("kmalloc:via=fmod_ret");
  // The command line's line: run() names the rule ("kinject rule 'SPEC': "), the CLI its option.
  auto refusal = [](const KinjectRule& r, const KernelSupport& k) {
    auto plan = plan_kinject(std::span<const KinjectRule>(&r, 1), k);
    REQUIRE(!plan.ok());
    const std::string& lib = plan.error().message;
    CHECK(lib.starts_with("kinject rule '" + r.text + "': "));
    Policy policy;
    policy.kinjects.push_back(r);
    return cli_message(lib, policy);
  };
  KernelSupport k = all_yes();
  k.root = {false, "uid 65534: the eBPF path needs root"};
  CHECK(refusal(lsm, k) == "-k 'lsm/file_open': root: no: uid 65534: the eBPF path needs root");
  k = all_yes();
  k.btf = {false, "no kernel BTF"};
  CHECK(refusal(kmalloc, k) == "-k 'kmalloc:when=2': BTF: no: no kernel BTF");
  k = all_yes();
  k.kprobes = {false, "this kernel has no kprobes (CONFIG_KPROBES)"};
  CHECK(refusal(kmalloc, k) == "-k 'kmalloc:when=2': kprobes: no: this kernel has no kprobes (CONFIG_KPROBES)");
  CHECK(refusal(sec_chain, k) ==
        "-k 'security_file_open:chain=do_sys_openat2': kprobes: no: this kernel has no kprobes (CONFIG_KPROBES)");
  CHECK(plan_kinject(std::span<const KinjectRule>(&lsm, 1), k).ok());  // LSM needs no kprobes
  k = all_yes();
  k.override_return = {false, "WHY"};
  CHECK(refusal(kmalloc, k) == "-k 'kmalloc:when=2': bpf_override_return: no: WHY");
  CHECK(plan_kinject(std::span<const KinjectRule>(&fmod, 1), k).ok());  // via=fmod_ret avoids it
  k = all_yes();
  k.fmod_ret_injectable = {false, "WHY"};
  CHECK(refusal(fmod, k) == "-k 'kmalloc:via=fmod_ret': fmod_ret error-injectable: no: WHY");
  k = all_yes();
  k.fmod_ret_security = {false, "WHY"};
  CHECK(refusal(sec_chain, k) == "-k 'security_file_open:chain=do_sys_openat2': fmod_ret security_*: no: WHY");
  k = all_yes();
  k.lsm = {false, "BPF LSM not active"};
  CHECK(refusal(lsm, k) == "-k 'lsm/file_open': BPF LSM: no: BPF LSM not active");
}

TEST_CASE("kinject probe lines: one per mechanism, in order") {
  KernelSupport k = all_yes();
  k.lsm = {false, "BPF LSM not active"};
  CHECK(kinject_probe_lines(k) == std::vector<std::string>{"root: yes", "BTF: yes", "kprobes: yes",
                                                           "bpf_override_return: yes", "fmod_ret security_*: yes",
                                                           "fmod_ret error-injectable: yes",
                                                           "BPF LSM: no: BPF LSM not active"});
}

TEST_CASE("kinject when=: the BPF decision equals -e inject's counter for every boundary") {
  const uint16_t values[] = {1, 2, 3, 5, 7, 100, 65533, 65534};
  std::vector<When> whens{When{}};
  for (uint16_t first : values) {
    whens.push_back({first, kWhenLastInf, 0});
    whens.push_back({first, kWhenLastInf, 1});
    whens.push_back({first, kWhenLastInf, 3});
    for (uint16_t last : values) {
      if (last < first) continue;
      for (uint16_t step : {uint16_t{1}, uint16_t{2}, uint16_t{65535}}) whens.push_back({first, last, step});
    }
  }
  for (const When& w : whens) {
    uint32_t slot = 0;
    for (uint64_t n = 1; n <= 70000; ++n) {
      const bool user = when_hit(w, slot);
      const bool bpf = kinject_when_hit(w.first, w.last, w.step, n) != 0;
      if (user != bpf) {
        INFO("first=" << w.first << " last=" << w.last << " step=" << w.step << " n=" << n);
        REQUIRE(user == bpf);
      }
    }
  }
}

TEST_CASE("kinject prob=/seed=: deterministic, seed-dependent, and close to P") {
  auto sequence = [](double p, uint64_t seed, uint64_t calls) {
    const auto prob = static_cast<uint64_t>(p * static_cast<double>(KINJECT_PROB_ALWAYS));
    std::vector<bool> out;
    for (uint64_t n = 1; n <= calls; ++n) out.push_back(kinject_prob_hit(prob, seed, n) != 0);
    return out;
  };
  CHECK(sequence(0.3, 7, 1000) == sequence(0.3, 7, 1000));
  CHECK(sequence(0.3, 7, 1000) != sequence(0.3, 8, 1000));
  for (const double p : {0.0, 0.01, 0.25, 0.5, 0.9, 1.0}) {
    const auto s = sequence(p, 1, 100000);
    const double hits = static_cast<double>(std::count(s.begin(), s.end(), true));
    CHECK(std::abs(hits / 100000.0 - p) < 0.005);
  }
  CHECK(kinject_prob_hit(KINJECT_PROB_ALWAYS, 0, 1) == 1);
  CHECK(kinject_prob_hit(0, 0, 1) == 0);
  // The sequence the guest test asserts (tests/vm/guest/ebpf_cases.sh, prob=0.5:seed=1, calls 1..16).
  std::string bits;
  for (const bool b : sequence(0.5, 1, 16)) bits += b ? '1' : '0';
  MESSAGE("prob=0.5:seed=1 -> " << bits);
  CHECK(bits == "0001100010101011");
}

TEST_CASE("kinject argument tests: width mask and operators") {
  kinject_test t{1, KINJECT_OP_EQ, 0xffffffffULL, 0xffffffffULL};  // an int argument == -1
  CHECK(kinject_test_ok(&t, 0x12345678ffffffffULL) == 1);           // upper half is not the int's
  CHECK(kinject_test_ok(&t, 0xfffffffeULL) == 0);
  t = {1, KINJECT_OP_LT, 10, ~0ULL};
  CHECK(kinject_test_ok(&t, 9) == 1);
  CHECK(kinject_test_ok(&t, 10) == 0);
  CHECK(kinject_test_ok(&t, ~0ULL) == 0);  // unsigned
  t = {1, KINJECT_OP_LE, 10, ~0ULL};
  CHECK(kinject_test_ok(&t, 10) == 1);
  CHECK(kinject_test_ok(&t, 11) == 0);
  t = {1, KINJECT_OP_GT, 10, ~0ULL};
  CHECK(kinject_test_ok(&t, 11) == 1);
  CHECK(kinject_test_ok(&t, 10) == 0);
  t = {1, KINJECT_OP_GE, 10, ~0ULL};
  CHECK(kinject_test_ok(&t, 10) == 1);
  CHECK(kinject_test_ok(&t, 9) == 0);
  t = {1, KINJECT_OP_NE, 10, ~0ULL};
  CHECK(kinject_test_ok(&t, 9) == 1);
  CHECK(kinject_test_ok(&t, 10) == 0);
  t = {1, KINJECT_OP_AND, 6, ~0ULL};
  CHECK(kinject_test_ok(&t, 2) == 1);
  CHECK(kinject_test_ok(&t, 9) == 0);
}
