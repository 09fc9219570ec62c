#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cli/cli.hpp"
#include "cli/summary.hpp"

using namespace sysvisor;

namespace {
Result<CliConfig> parse(std::vector<std::string> args, CliEnv env = {}) {
  return parse_command_line(args, env, "/cwd");
}
}  // namespace

TEST_CASE("the first non-option word ends option parsing") {
  auto c = parse({"sysvisor", "-r", "/a=b", "prog", "-r", "x"});
  REQUIRE(c);
  CHECK(c->prog_name == "sysvisor");
  CHECK(c->command.argv == std::vector<std::string>{"prog", "-r", "x"});
  REQUIRE(c->policy.redirects.size() == 1);
  CHECK(c->policy.redirects[0].to == "/cwd/b");

  c = parse({"/usr/bin/sysvisor", "--redirect=/a=/b", "--redirect", "/c=/d", "-r/e=/f", "--", "--prog", "-x"});
  REQUIRE(c);
  CHECK(c->command.argv == std::vector<std::string>{"--prog", "-x"});
  CHECK(c->policy.redirects.size() == 3);

  c = parse({"sysvisor", "--allow-io-uring", "ls"});
  REQUIRE(c);
  CHECK(c->policy.allow_io_uring);
}

TEST_CASE("bad command lines give one line") {
  auto c = parse({"sysvisor", "--bogus", "ls"});
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "unknown option '--bogus' (see --help)");
  c = parse({"sysvisor", "-r", "/a=b"});
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "no program given (see --help)");
  c = parse({"sysvisor", "-r", "a=b", "ls"});
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "-r 'a=b': FROM 'a' is not an absolute path");
  c = parse({"sysvisor", "-r"});
  REQUIRE_FALSE(c);
  CHECK(c.error().message.find("-r") != std::string::npos);
  CHECK(c.error().message.find('\n') == std::string::npos);
}

TEST_CASE("SYSVISOR_REDIRECT and COPYCAT") {
  auto c = parse({"sysvisor", "-r", "/a=/from-option", "prog"}, {"/a /from-env /b ./c", nullptr});
  REQUIRE(c);
  REQUIRE(c->policy.redirects.size() == 3);
  CHECK(c->policy.redirects[0].to == "/from-env");
  CHECK(c->policy.redirects[2].to == "/from-option");  // -r comes last: it wins

  c = parse({"/bin/copycat", "prog", "arg"}, {"/ignored /x", "/etc/app.conf ./my.conf"});
  REQUIRE(c);
  CHECK(c->prog_name == "copycat");
  REQUIRE(c->policy.redirects.size() == 1);
  CHECK(c->policy.redirects[0].to == "/cwd/my.conf");
  CHECK(c->command.argv == std::vector<std::string>{"prog", "arg"});

  c = parse({"copycat", "prog"}, {nullptr, "/a /b /c"});
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "COPYCAT: odd number of words (3): expected FROM TO pairs");
  c = parse({"copycat", "-r", "/a=/b", "prog"});  // copycat has no -r
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "unknown option '-r' (see --help)");
}

TEST_CASE("help and version") {
  auto c = parse({"sysvisor", "--help"});
  REQUIRE(c);
  CHECK(c->help);
  CHECK(c->help_text.find("--redirect") != std::string::npos);
  CHECK(c->help_text.find("PROGRAM [ARG...]") != std::string::npos);
  c = parse({"copycat", "-h"});
  REQUIRE(c);
  CHECK(c->help_text.find("COPYCAT=") != std::string::npos);
  c = parse({"sysvisor", "--version"});
  REQUIRE(c);
  CHECK(c->version);
}

TEST_CASE("messages stay on one line whatever the user typed") {
  auto c = parse({"sysvisor", "--a\nb", "ls"});
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "unknown option '--a\\nb' (see --help)");
  c = parse({"sysvisor", "-r", "a\nb", "ls"});
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "-r 'a\\nb': expected FROM=TO");
  c = parse({"sysvisor", "--threads", "x\ny", "ls"});
  REQUIRE_FALSE(c);
  CHECK(c.error().message.find('\n') == std::string::npos);
  c = parse({"sysvisor", "-e", "inject=open:error=E\nFOO", "ls"});
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "-e inject=open:error=E\\nFOO: unknown errno 'E\\nFOO'");
  c = parse({"copycat", "ls"}, {nullptr, "rel\x01 /x"});
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "COPYCAT: FROM 'rel\\x01' is not an absolute path");
}

// Hints for the slips between the two redirection syntaxes. Mutants killed: no hint (the base message
// alone), a hint on a -r whose next word is no path ("sh") or that has '=', FROM=TO words split
// wrongly (at the last '='), an even list of FROM=TO pairs let through, a partition-style path
// ("/data/year=2024/") refused.
TEST_CASE("COPYCAT and SYSVISOR_REDIRECT written as FROM=TO get a hint") {
  auto c = parse({"copycat", "prog"}, {nullptr, "/etc/app.conf=./my.conf"});
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "COPYCAT: odd number of words (1): expected FROM TO pairs; separate FROM and TO with a "
                             "space, not '=': COPYCAT=\"/etc/app.conf ./my.conf\"");
  c = parse({"sysvisor", "prog"}, {"/a=/b /c=/d=e /x=./y", nullptr});
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "SYSVISOR_REDIRECT: odd number of words (3): expected FROM TO pairs; separate FROM and "
                             "TO with a space, not '=': SYSVISOR_REDIRECT=\"/a /b /c /d=e /x ./y\"");
  c = parse({"copycat", "prog"}, {nullptr, "/a=/b /c /d=e"});  // splitting gives no pairs: the word is named
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "COPYCAT: odd number of words (3): expected FROM TO pairs; separate FROM and TO with a "
                             "space, not '=' ('/a=/b')");
  c = parse({"copycat", "prog"}, {nullptr, "rel=x /a /b"});  // odd with an '=' anywhere: the hint too
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "COPYCAT: odd number of words (3): expected FROM TO pairs; separate FROM and TO with a "
                             "space, not '=' ('rel=x')");
  // An even number of words that are all FROM=TO would "work" (a path named "/a=/b"): refused.
  c = parse({"copycat", "prog"}, {nullptr, "/etc/a.conf=/tmp/a.conf /etc/b.conf=~/b.conf"});
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "COPYCAT: '/etc/a.conf=/tmp/a.conf' '/etc/b.conf=~/b.conf' is two FROM=TO words, not a "
                             "FROM TO pair; separate FROM and TO with a space, not '=': "
                             "COPYCAT=\"/etc/a.conf /tmp/a.conf /etc/b.conf ~/b.conf\"");
  // Paths that merely contain '=' are paths.
  c = parse({"copycat", "prog"}, {nullptr, "/data/year=2024/ /tmp/year=2024/ /x=1 /y"});
  REQUIRE(c);
  REQUIRE(c->policy.redirects.size() == 2);
  CHECK(c->policy.redirects[0].from == "/data/year=2024");
  CHECK(c->policy.redirects[0].to == "/tmp/year=2024");
  CHECK(c->policy.redirects[1].from == "/x=1");
  // No '=' anywhere: the message as before.
  c = parse({"copycat", "prog"}, {nullptr, "/a /b /c"});
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "COPYCAT: odd number of words (3): expected FROM TO pairs");
}

TEST_CASE("-r FROM TO (two words) gets a hint") {
  auto c = parse({"sysvisor", "-r", "/etc/a", "/tmp/b", "--", "prog"});
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "-r '/etc/a': expected FROM=TO; write -r /etc/a=/tmp/b (one word), not -r /etc/a /tmp/b");
  c = parse({"sysvisor", "--redirect", "/etc/a", "./b", "prog"});
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "-r '/etc/a': expected FROM=TO; write --redirect /etc/a=./b (one word), not "
                             "--redirect /etc/a ./b");
  c = parse({"sysvisor", "-r/etc/a", "/tmp/b", "prog"});
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "-r '/etc/a': expected FROM=TO; write -r /etc/a=/tmp/b (one word), not -r /etc/a /tmp/b");
  c = parse({"sysvisor", "--redirect=/etc/a", "/tmp/b", "prog"});
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "-r '/etc/a': expected FROM=TO; write --redirect /etc/a=/tmp/b (one word), not "
                             "--redirect /etc/a /tmp/b");
  // The hint names the -r that failed, not an earlier good one or another option's value.
  c = parse({"sysvisor", "-r", "/x=/y", "-o", "/tmp/log", "-r", "/etc/a", "/tmp/b"});
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "-r '/etc/a': expected FROM=TO; write -r /etc/a=/tmp/b (one word), not -r /etc/a /tmp/b");
  // The next word is a program, not a path; or there is none: the message as before.
  c = parse({"sysvisor", "-r", "/etc/a", "sh"});
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "-r '/etc/a': expected FROM=TO");
  c = parse({"sysvisor", "-r", "/etc/a"});
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "-r '/etc/a': expected FROM=TO");
  c = parse({"sysvisor", "-r", "", "/tmp/b"});
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "-r '': expected FROM=TO");
  c = parse({"sysvisor", "-r", "/etc/a", "--", "/tmp/b"});
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "-r '/etc/a': expected FROM=TO");
}

TEST_CASE("--threads: not given leaves the choice to the library (0); given, 1..64") {
  auto c = parse({"sysvisor", "ls"});
  REQUIRE(c);
  CHECK(c->threads == 0);
  for (const char* n : {"1", "2", "64"}) {
    c = parse({"sysvisor", "--threads", n, "ls"});
    REQUIRE(c);
    CHECK(c->threads == std::stoi(n));
  }
  for (const char* n : {"0", "65", "-1"}) {
    CAPTURE(n);
    c = parse({"sysvisor", "--threads", n, "ls"});
    CHECK_FALSE(c);
  }
}

TEST_CASE("--summary lines: matched and injected, never matched, not counted, the seed; as text and JSON") {
  using sysvisor::SummaryLine;
  using sysvisor::LogFormat;
  using sysvisor::format_summary_line;
  sysvisor::Policy policy;
  REQUIRE(policy.inject("inject=read:error=EIO:when=2"));
  REQUIRE(policy.inject("inject=getppid:error=EPERM"));
  REQUIRE(policy.inject("inject=write:error=EIO:prob=0.5:seed=9"));
  sysvisor::RunResult result;
  result.inject_hits = {3, std::nullopt, 0};
  result.inject_matched = {7, std::nullopt, 0};
  result.inject_seeds = {std::nullopt, std::nullopt, 9};
  const auto lines = sysvisor::summarise(result, policy);
  REQUIRE(lines.size() == 3);
  CHECK(format_summary_line(lines[0], LogFormat::kText) == "-e inject=read:error=EIO:when=2: 7 matched, 3 injected");
  CHECK(format_summary_line(lines[1], LogFormat::kText) == "-e inject=getppid:error=EPERM: in kernel, not counted");
  CHECK(format_summary_line(lines[2], LogFormat::kText) ==
        "-e inject=write:error=EIO:prob=0.5:seed=9: never matched (seed 9)");
  CHECK(format_summary_line(lines[0], LogFormat::kJson) ==
        R"({"counted":true,"injected":3,"matched":7,"summary":"-e inject=read:error=EIO:when=2"})");
  CHECK(format_summary_line(lines[1], LogFormat::kJson) ==
        R"({"counted":false,"summary":"-e inject=getppid:error=EPERM"})");
}
