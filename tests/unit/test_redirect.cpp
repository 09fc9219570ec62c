#include <doctest/doctest.h>

#include <fmt/format.h>

#include "cli/cli.hpp"
#include "policy/redirect_table.hpp"

using namespace sysvisor;

namespace {
RedirectTable table_of(std::initializer_list<Redirect> rules) {
  RedirectTable t;
  for (const auto& r : rules) t.add(r);
  return t;
}
}  // namespace

TEST_CASE("parse_redirect_option") {
  auto r = parse_redirect_option("/etc/app.conf=./my.conf", "/home/me");
  REQUIRE(r);
  CHECK(r->from == "/etc/app.conf");
  CHECK(r->to == "/home/me/my.conf");
  CHECK_FALSE(r->prefix);

  r = parse_redirect_option("/opt/legacy/=/home/me/legacy/", "/x");
  REQUIRE(r);
  CHECK(r->from == "/opt/legacy");
  CHECK(r->to == "/home/me/legacy");
  CHECK(r->prefix);

  r = parse_redirect_option("//etc//./a/../b=c=d", "/w");  // split at the first '='
  REQUIRE(r);
  CHECK(r->from == "/etc/b");
  CHECK(r->to == "/w/c=d");

  // The library names the rule; the command line (cli_redirect_rule) its option, with the same reason.
  auto bad = parse_redirect_option("/etc/app.conf", "/");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "redirect rule '/etc/app.conf': expected FROM=TO");
  CHECK(cli_redirect_rule("/etc/app.conf", "/").error().message == "-r '/etc/app.conf': expected FROM=TO");
  bad = parse_redirect_option("=x", "/");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "redirect rule '=x': empty FROM path");
  CHECK(cli_redirect_rule("=x", "/").error().message == "-r '=x': empty FROM path");
  bad = parse_redirect_option("etc/a=x", "/");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "redirect rule 'etc/a=x': FROM 'etc/a' is not an absolute path");
  CHECK(cli_redirect_rule("etc/a=x", "/").error().message == "-r 'etc/a=x': FROM 'etc/a' is not an absolute path");
  bad = parse_redirect_option("/etc/a=", "/");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "redirect rule '/etc/a=': empty TO path for '/etc/a'");
  CHECK(cli_redirect_rule("/etc/a=", "/").error().message == "-r '/etc/a=': empty TO path for '/etc/a'");
  bad = parse_redirect_option("/etc/a\n=", "/");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "redirect rule '/etc/a\\n=': empty TO path for '/etc/a\\n'");  // one line
}

TEST_CASE("parse_redirect_list") {
  auto r = parse_redirect_list("  /a ./b\t/c/ /d/\n", "/cwd", "COPYCAT");
  REQUIRE(r);
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].from == "/a");
  CHECK((*r)[0].to == "/cwd/b");
  CHECK((*r)[1].prefix);
  CHECK((*r)[1].to == "/d");
  CHECK(parse_redirect_list("", "/", "COPYCAT")->empty());
  CHECK(parse_redirect_list("   ", "/", "COPYCAT")->empty());

  auto bad = parse_redirect_list("/a /b /c", "/", "COPYCAT");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "COPYCAT: odd number of words (3): expected FROM TO pairs");
  bad = parse_redirect_list("rel /b", "/", "SYSVISOR_REDIRECT");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "SYSVISOR_REDIRECT: FROM 'rel' is not an absolute path");
}

TEST_CASE("exact rules match only their own path") {
  const auto t = table_of({{"/etc/app.conf", "/home/me/my.conf", false}});
  CHECK(t.lookup("/etc/app.conf") == "/home/me/my.conf");
  CHECK_FALSE(t.lookup("/etc/app.conf2"));
  CHECK_FALSE(t.lookup("/etc/app.con"));
  CHECK_FALSE(t.lookup("/etc/app.conf/x"));
  CHECK_FALSE(t.lookup("/etc"));
  CHECK(t.lookup("/etc/app.conf/") == "/home/me/my.conf/");  // the kernel then says ENOTDIR
}

TEST_CASE("prefix rules map the directory and everything below it") {
  const auto t = table_of({{"/opt/legacy", "/home/me/legacy", true}});
  CHECK(t.lookup("/opt/legacy") == "/home/me/legacy");
  CHECK(t.lookup("/opt/legacy/") == "/home/me/legacy/");
  CHECK(t.lookup("/opt/legacy/a") == "/home/me/legacy/a");
  CHECK(t.lookup("/opt/legacy/a/b/c") == "/home/me/legacy/a/b/c");
  CHECK_FALSE(t.lookup("/opt/legacyx"));
  CHECK_FALSE(t.lookup("/opt/legacyx/a"));
  CHECK_FALSE(t.lookup("/opt"));
  CHECK_FALSE(t.lookup("/"));
}

TEST_CASE("longest prefix wins; exact beats prefix; later rule replaces earlier") {
  auto t = table_of({{"/a", "/one", true}, {"/a/b", "/two", true}, {"/a/b/c", "/exact", false}});
  CHECK(t.lookup("/a/x") == "/one/x");
  CHECK(t.lookup("/a/b/x") == "/two/x");
  CHECK(t.lookup("/a/b/c") == "/exact");
  CHECK(t.lookup("/a/b/c/d") == "/two/c/d");
  t.add({"/a", "/three", true});
  CHECK(t.lookup("/a/x") == "/three/x");
  CHECK(t.size() == 3);
}

TEST_CASE("root as FROM or TO") {
  auto t = table_of({{"/", "/jail", true}});
  CHECK(t.lookup("/") == "/jail");
  CHECK(t.lookup("/etc/passwd") == "/jail/etc/passwd");
  auto u = table_of({{"/jail", "/", true}});
  CHECK(u.lookup("/jail") == "/");
  CHECK(u.lookup("/jail/etc") == "/etc");
}

TEST_CASE("lookup cost does not depend on the number of rules") {
  RedirectTable t;
  for (int i = 0; i < 10000; ++i) t.add({fmt::format("/r/{}", i), fmt::format("/t/{}", i), i % 2 == 0});
  CHECK(t.size() == 10000);
  CHECK(t.lookup("/r/9999") == "/t/9999");
  CHECK(t.lookup("/r/4242/sub") == "/t/4242/sub");
  CHECK_FALSE(t.lookup("/r/4243/sub"));
  CHECK_FALSE(t.lookup("/r/10000"));
}

TEST_CASE("could_match_relative lets relative paths skip the base look-up only when safe") {
  auto t = table_of({{"/etc/app.conf", "/x", false}, {"/var/lib/data.db", "/y", false}});
  CHECK(t.could_match_relative("app.conf"));
  CHECK(t.could_match_relative("etc/app.conf"));
  CHECK(t.could_match_relative("../etc/app.conf/"));
  CHECK(t.could_match_relative("data.db"));
  CHECK_FALSE(t.could_match_relative("app.conf2"));
  CHECK_FALSE(t.could_match_relative("etc/passwd"));
  CHECK_FALSE(t.could_match_relative("lib"));
  CHECK(t.could_match_relative("etc/app.conf/.."));  // ends in "..": could be anything
  CHECK(t.could_match_relative("."));
  t.add({"/opt", "/z", true});
  CHECK(t.could_match_relative("anything"));
}
