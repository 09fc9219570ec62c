// The pending-signal test the executor's watcher makes on /proc/TID/status (kernel/proc_info).
//
// Mutants this kills: ignoring ShdPnd (a signal sent to the process, not the thread), ignoring
// SigBlk (a blocked signal would turn a held call into EINTR), reading the masks as decimal.
#include <doctest/doctest.h>

#include <string>

#include "kernel/proc_info.hpp"

using sysvisor::unblocked_signal_pending;

namespace {

std::string status(const char* thread, const char* shared, const char* blocked) {
  return std::string("Name:\tprog\nUmask:\t0022\nState:\tS (sleeping)\nSigQ:\t1/63372\nSigPnd:\t") + thread +
         "\nShdPnd:\t" + shared + "\nSigBlk:\t" + blocked + "\nSigIgn:\t0000000000001000\nSigCgt:\t0000000000002a02\n";
}

}  // namespace

TEST_CASE("a pending signal counts only when the thread does not block it") {
  CHECK(unblocked_signal_pending(status("0000000000000000", "0000000000000000", "0000000000000000")) == false);
  CHECK(unblocked_signal_pending(status("0000000000002000", "0000000000000000", "0000000000000000")) == true);
  CHECK(unblocked_signal_pending(status("0000000000000000", "0000000000002000", "0000000000000000")) == true);
  CHECK(unblocked_signal_pending(status("0000000000002000", "0000000000000000", "0000000000002000")) == false);
  CHECK(unblocked_signal_pending(status("0000000000000000", "0000000000002000", "0000000000002000")) == false);
  CHECK(unblocked_signal_pending(status("0000000000000000", "0000000000002200", "0000000000002000")) == true);
  CHECK(unblocked_signal_pending(status("8000000000000000", "0000000000000000", "7fffffffffffffff")) == true);
  CHECK(unblocked_signal_pending(status("000000000000000a", "0000000000000000", "0000000000000008")) == true);
  for (int sig = 1; sig <= 64; ++sig) {
    char mask[17];
    std::snprintf(mask, sizeof mask, "%016llx", 1ULL << (sig - 1));
    CAPTURE(sig);
    CHECK(unblocked_signal_pending(status(mask, "0000000000000000", "0000000000000000")) == true);
    CHECK(unblocked_signal_pending(status(mask, "0000000000000000", mask)) == false);
  }
  CHECK_FALSE(unblocked_signal_pending("Name:\tprog\nSigPnd:\t0000000000000000\n").has_value());
  CHECK_FALSE(unblocked_signal_pending("").has_value());
}
