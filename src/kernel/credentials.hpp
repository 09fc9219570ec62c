// Acting with the program's rights: what the kernel checks a file operation against (the fsuid,
// fsgid, supplementary groups and effective capabilities of the calling thread), read from
// /proc/TID/status, and a scoped switch of the current thread to them.
//
// A supervisor that is not privileged needs none of this: the program cannot hold more rights than
// the supervisor that started it (NO_NEW_PRIVS), and a thread's fs rights are what its uid gives.
// A privileged one (root, or any effective capability) must never lend its rights: a program that
// dropped to nobody must not read a 0600 root file through a redirect rule, nor follow a symlink
// planted in TO to one.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace sysvisor {

struct Credentials {
  uid_t fsuid = 0;
  gid_t fsgid = 0;
  std::vector<gid_t> groups;
  uint64_t cap_effective = 0;
  bool operator==(const Credentials&) const = default;
};

// What the kernel checks access(2) and faccessat(2) without AT_EACCESS against: the real IDs,
// and the permitted capabilities only for a real root (access_override_creds).
struct RealIds {
  uid_t ruid = 0;
  gid_t rgid = 0;
  uint64_t cap_permitted = 0;
  uid_t euid = 0;  // and the effective IDs, which a unix socket's peer credentials show
  gid_t egid = 0;
};
Credentials for_access(const Credentials& c, const RealIds& real);

// The credentials in the text of a /proc/TID/status file; nothing when a line is missing. Pure.
std::optional<Credentials> parse_credentials(std::string_view status, RealIds* real = nullptr);

// The calling thread's (0 or errno), and its real IDs if asked.
int thread_credentials(pid_t tid, Credentials& out, RealIds* real = nullptr);

// True when this process holds rights a program might not: euid 0 or an effective capability.
// Decided once.
bool supervisor_privileged() noexcept;

// Switches the current thread to `c` for its lifetime and back at the end (thread-local: raw
// setgroups, setfsgid, setfsuid, capset, never glibc's process-wide wrappers). Only capabilities
// we hold can be kept; a switch that fails leaves the thread as it was and ok() false.
class AssumedCredentials {
 public:
  explicit AssumedCredentials(const Credentials& c) noexcept;
  ~AssumedCredentials();
  AssumedCredentials(const AssumedCredentials&) = delete;
  AssumedCredentials& operator=(const AssumedCredentials&) = delete;
  // 0, or the errno of the switch that failed (the caller should then refuse to act).
  int error() const noexcept { return error_; }

 private:
  Credentials saved_;
  uint64_t saved_permitted_ = 0;
  bool switched_ = false;
  int error_ = 0;
};

// Within an AssumedCredentials scope, also takes on the caller's effective user and group IDs
// (what a unix socket's peer credentials show), thread-locally; the real and saved IDs stay ours,
// so the switch back needs no capability. The effective capabilities stay the caller's.
class AssumedEffectiveIds {
 public:
  explicit AssumedEffectiveIds(const std::optional<RealIds>& ids) noexcept;
  ~AssumedEffectiveIds();
  AssumedEffectiveIds(const AssumedEffectiveIds&) = delete;
  AssumedEffectiveIds& operator=(const AssumedEffectiveIds&) = delete;
  // False when the switch failed (nothing should be done then).
  bool ok() const noexcept { return ok_; }

 private:
  bool switched_ = false;
  bool ok_ = true;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

}  // namespace sysvisor
