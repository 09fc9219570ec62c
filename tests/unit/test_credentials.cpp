// The credentials a privileged supervisor assumes for a call (kernel/credentials): read from
// /proc/TID/status. Mutants this kills: the real uid taken for the fs uid (the fourth column),
// CapEff read as decimal, an empty Groups line failing the parse.
#include <doctest/doctest.h>
#include <unistd.h>

#include <string>

#include "kernel/credentials.hpp"

using sysvisor::Credentials;
using sysvisor::parse_credentials;

TEST_CASE("the fs ids, groups and effective capabilities of a status text") {
  const std::string status =
      "Name:\tsh\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t0\t65534\t65534\t1000\nGid:\t0\t65534\t65534\t1001\n"
      "FDSize:\t64\nGroups:\t4 27 100 \nNStgid:\t1\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\n"
      "CapEff:\t0000000000000022\n";
  sysvisor::RealIds real;
  const auto c = parse_credentials(status, &real);
  REQUIRE(c);
  CHECK(real.ruid == 0u);
  CHECK(real.rgid == 0u);
  CHECK(real.cap_permitted == 0x1ffffffffffULL);
  const Credentials access = sysvisor::for_access(*c, real);  // a real root: its permitted capabilities
  CHECK((access.fsuid == 0u && access.fsgid == 0u && access.cap_effective == 0x1ffffffffffULL));
  CHECK(sysvisor::for_access(*c, {65534, 65534, 0x1ff}).cap_effective == 0u);
  CHECK(c->fsuid == 1000u);
  CHECK(c->fsgid == 1001u);
  CHECK(c->groups == std::vector<gid_t>{4, 27, 100});
  CHECK(c->cap_effective == 0x22u);
  const auto none = parse_credentials("Uid:\t1\t1\t1\t1\nGid:\t2\t2\t2\t2\nGroups:\t\nCapPrm:\t0\nCapEff:\t0000000000000000\n");
  // The first line has no leading newline in this fake: the parser looks for "\nKEY:".
  CHECK_FALSE(none);
  const auto empty = parse_credentials("x\nUid:\t1\t1\t1\t1\nGid:\t2\t2\t2\t2\nGroups:\t\nCapPrm:\t0\nCapEff:\t0000000000000000\n");
  REQUIRE(empty);
  CHECK(empty->groups.empty());
  CHECK_FALSE(parse_credentials("x\nUid:\t1\t1\t1\nGid:\t2\t2\t2\t2\nGroups:\t\nCapPrm:\t0\nCapEff:\t0\n"));
  CHECK_FALSE(parse_credentials("x\nUid:\t1\t1\t1\t1\nGid:\t2\t2\t2\t2\nGroups:\t\nCapEff:\t0\n"));  // no CapPrm
}

TEST_CASE("a thread's own credentials read back as the kernel has them") {
  Credentials c;
  REQUIRE(sysvisor::thread_credentials(static_cast<pid_t>(gettid()), c) == 0);
  CHECK(c.fsuid == geteuid());
  CHECK(c.fsgid == getegid());
}
