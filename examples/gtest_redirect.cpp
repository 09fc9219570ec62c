// A GoogleTest case that runs a program with a hard-coded configuration path
// (/etc/legacy-app/app.conf) against a fixture of the test's own.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include <sysvisor/supervisor.hpp>

class LegacyApp : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sysvisor-gtest-XXXXXX";
    dir_ = mkdtemp(tmpl);
    fixture_ = dir_ + "/app.conf";
    std::ofstream(fixture_) << "greeting = hello from the fixture\nexit = 42\n";
  }
  void TearDown() override {
    unlink(fixture_.c_str());
    rmdir(dir_.c_str());
  }
  std::string dir_;
  std::string fixture_;
};

TEST_F(LegacyApp, ReadsTheFixtureInsteadOfEtc) {
  sysvisor::Policy policy;
  ASSERT_TRUE(policy.redirect("/etc/legacy-app/app.conf", fixture_));
  sysvisor::RunOptions options;
  options.keep_log = true;
  auto result = sysvisor::run(policy, {.argv = {LEGACY_APP}}, options);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->exit_code, 42);  // the status the fixture names
  EXPECT_EQ(result->redirect_hits, std::vector<uint64_t>{1});
  bool seen = false;
  for (const sysvisor::LogEntry& e : result->log)
    if (e.action == "redirect") seen = e.detail == fixture_ && e.args.at(1) == "\"/etc/legacy-app/app.conf\"";
  EXPECT_TRUE(seen);
}

TEST_F(LegacyApp, WithoutTheRuleTheFileIsMissing) {
  auto result = sysvisor::run({}, {.argv = {LEGACY_APP}});
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->exit_code, 2);
}

TEST_F(LegacyApp, BadRulesAreValuesNamingTheRule) {
  sysvisor::Policy policy;
  auto bad = policy.redirect("etc/app.conf", fixture_);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "redirect rule 'etc/app.conf' -> '" + fixture_ + "': FROM 'etc/app.conf' is not an absolute path");
  auto bad_inject = policy.inject("openat:error=EFOO");
  ASSERT_FALSE(bad_inject);
  EXPECT_EQ(bad_inject.error().message, "inject rule 'openat:error=EFOO': unknown errno 'EFOO'");
  auto bad_handler = policy.on("getrandon", [](const sysvisor::Call&) { return sysvisor::Reply::cont(); });
  ASSERT_FALSE(bad_handler);
  EXPECT_EQ(bad_handler.error().message, "handler: unknown syscall 'getrandon'");
}
