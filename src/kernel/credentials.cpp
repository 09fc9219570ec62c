#include "kernel/credentials.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <string>

#include "sysvisor/unique_fd.hpp"

namespace sysvisor {
namespace {

// The text after "\nKEY:\t" up to the end of its line.
std::optional<std::string_view> field(std::string_view status, std::string_view key) {
  const std::string needle = "\n" + std::string(key) + ":\t";
  size_t at = status.find(needle);
  if (at == std::string_view::npos) return std::nullopt;
  at += needle.size();
  const size_t end = status.find('\n', at);
  return status.substr(at, (end == std::string_view::npos ? status.size() : end) - at);
}

// The numbers of a whitespace-separated field, in `base`.
std::vector<uint64_t> numbers(std::string_view text, int base) {
  std::vector<uint64_t> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data() + i, text.data() + text.size(), v, base);
    if (ec != std::errc()) break;
    out.push_back(v);
    i = static_cast<size_t>(end - text.data());
  }
  return out;
}

struct CapSets {
  uint64_t effective = 0, permitted = 0, inheritable = 0;
};

int get_caps(CapSets& out) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) != 0) return errno;
  out.effective = data[0].effective | (uint64_t{data[1].effective} << 32);
  out.permitted = data[0].permitted | (uint64_t{data[1].permitted} << 32);
  out.inheritable = data[0].inheritable | (uint64_t{data[1].inheritable} << 32);
  return 0;
}

int set_caps(const CapSets& c) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  data[0] = {static_cast<uint32_t>(c.effective), static_cast<uint32_t>(c.permitted),
             static_cast<uint32_t>(c.inheritable)};
  data[1] = {static_cast<uint32_t>(c.effective >> 32), static_cast<uint32_t>(c.permitted >> 32),
             static_cast<uint32_t>(c.inheritable >> 32)};
  return syscall(SYS_capset, &header, data) == 0 ? 0 : errno;
}

// Thread-local setters (the raw calls; glibc's wrappers apply setgroups to every thread).
int set_groups(const std::vector<gid_t>& groups) {
  return syscall(SYS_setgroups, groups.size(), groups.data()) == 0 ? 0 : errno;
}
// setfsuid/setfsgid report no error: the id read back tells.
bool set_fsuid(uid_t id) {
  syscall(SYS_setfsuid, id);
  return static_cast<uid_t>(syscall(SYS_setfsuid, static_cast<uid_t>(-1))) == id;
}
bool set_fsgid(gid_t id) {
  syscall(SYS_setfsgid, id);
  return static_cast<gid_t>(syscall(SYS_setfsgid, static_cast<gid_t>(-1))) == id;
}

Credentials read_own_credentials() {
  Credentials c;
  c.fsuid = static_cast<uid_t>(syscall(SYS_setfsuid, static_cast<uid_t>(-1)));
  c.fsgid = static_cast<gid_t>(syscall(SYS_setfsgid, static_cast<gid_t>(-1)));
  const int n = getgroups(0, nullptr);
  c.groups.resize(n > 0 ? static_cast<size_t>(n) : 0);
  if (n > 0 && getgroups(n, c.groups.data()) != n) c.groups.clear();
  CapSets caps;
  if (get_caps(caps) == 0) c.cap_effective = caps.effective;
  return c;
}

// Ours never change: read once, by a thread that is not switched (a switch reads them first).
const Credentials& own_credentials() {
  static const Credentials own = read_own_credentials();
  return own;
}

// A thread in a user namespace of its own holds its capabilities there, not here: they grant it
// nothing on our files that we could lend, so none are assumed.
bool same_user_namespace(pid_t tid) {
  static const std::string ours = [] {
    char link[64]{};
    return readlink("/proc/self/ns/user", link, sizeof link - 1) > 0 ? std::string(link) : std::string();
  }();
  char path[64], link[64]{};
  std::snprintf(path, sizeof path, "/proc/%d/ns/user", static_cast<int>(tid));
  return readlink(path, link, sizeof link - 1) > 0 && !ours.empty() && ours == link;
}

}  // namespace

std::optional<Credentials> parse_credentials(std::string_view status, RealIds* real) {
  const auto uid = field(status, "Uid"), gid = field(status, "Gid"), groups = field(status, "Groups"),
             caps = field(status, "CapEff"), permitted = field(status, "CapPrm");
  if (!uid || !gid || !groups || !caps || !permitted) return std::nullopt;
  const auto uids = numbers(*uid, 10), gids = numbers(*gid, 10), cap = numbers(*caps, 16),
             prm = numbers(*permitted, 16);
  if (uids.size() != 4 || gids.size() != 4 || cap.size() != 1 || prm.size() != 1) return std::nullopt;
  if (real != nullptr)
    *real = {static_cast<uid_t>(uids[0]), static_cast<gid_t>(gids[0]), prm[0], static_cast<uid_t>(uids[1]),
             static_cast<gid_t>(gids[1])};
  Credentials c;
  c.fsuid = static_cast<uid_t>(uids[3]);
  c.fsgid = static_cast<gid_t>(gids[3]);
  for (const uint64_t g : numbers(*groups, 10)) c.groups.push_back(static_cast<gid_t>(g));
  c.cap_effective = cap[0];
  return c;
}

Credentials for_access(const Credentials& c, const RealIds& real) {
  Credentials out = c;
  out.fsuid = real.ruid;
  out.fsgid = real.rgid;
  out.cap_effective = real.ruid == 0 ? real.cap_permitted : 0;
  return out;
}

int thread_credentials(pid_t tid, Credentials& out, RealIds* real) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/status", static_cast<int>(tid));
  UniqueFd fd(open(path, O_RDONLY | O_CLOEXEC));
  if (!fd) return errno == ENOENT ? ESRCH : errno;
  char buf[4096];
  const ssize_t n = read(fd.get(), buf, sizeof buf);
  if (n <= 0) return n < 0 ? errno : ESRCH;
  auto c = parse_credentials(std::string_view(buf, static_cast<size_t>(n)), real);
  if (!c) return EIO;
  if ((c->cap_effective != 0 || (real != nullptr && real->cap_permitted != 0)) && !same_user_namespace(tid)) {
    c->cap_effective = 0;
    if (real != nullptr) real->cap_permitted = 0;
  }
  out = std::move(*c);
  return 0;
}

bool supervisor_privileged() noexcept {
  static const bool privileged = [] {
    CapSets caps;
    return geteuid() == 0 || (get_caps(caps) == 0 && caps.effective != 0);
  }();
  return privileged;
}

AssumedCredentials::AssumedCredentials(const Credentials& c) noexcept {
  try {
    saved_ = own_credentials();
  } catch (...) {
    error_ = ENOMEM;
    return;
  }
  if (saved_ == c) return;  // a root program of a root supervisor: nothing to switch
  CapSets caps;
  if ((error_ = get_caps(caps)) != 0) return;
  saved_permitted_ = caps.permitted;
  switched_ = true;
  // Groups and ids first, while we still hold CAP_SETGID/CAP_SETUID; the capabilities last.
  if ((error_ = set_groups(c.groups)) != 0) return;
  if (!set_fsgid(c.fsgid) || !set_fsuid(c.fsuid)) {
    error_ = EPERM;
    return;
  }
  caps.effective = c.cap_effective & caps.permitted;
  error_ = set_caps(caps);
}

AssumedCredentials::~AssumedCredentials() {
  if (!switched_) return;
  CapSets caps;
  if (get_caps(caps) == 0) {
    caps.effective = saved_.cap_effective;
    caps.permitted = saved_permitted_;
    (void)set_caps(caps);
  }
  (void)set_fsuid(saved_.fsuid);
  (void)set_fsgid(saved_.fsgid);
  (void)set_groups(saved_.groups);
}

AssumedEffectiveIds::AssumedEffectiveIds(const std::optional<RealIds>& ids) noexcept {
  if (!ids) return;
  CapSets caps;
  if (get_caps(caps) != 0) {
    ok_ = false;
    return;
  }
  uid_ = static_cast<uid_t>(syscall(SYS_geteuid));
  gid_ = static_cast<gid_t>(syscall(SYS_getegid));
  switched_ = true;
  // setresuid/setresgid need CAP_SETUID/CAP_SETGID, which the assumed rights may lack: raised for
  // the switch, then back to the caller's (a switch to a non-zero euid clears them anyway).
  CapSets raised = caps;
  raised.effective = caps.permitted;
  ok_ = set_caps(raised) == 0 && syscall(SYS_setresgid, -1, ids->egid, -1) == 0 &&
        syscall(SYS_setresuid, -1, ids->euid, -1) == 0;
  CapSets now;
  if (get_caps(now) == 0) {
    now.effective = caps.effective & now.permitted;
    ok_ = set_caps(now) == 0 && ok_;
  } else {
    ok_ = false;
  }
}

AssumedEffectiveIds::~AssumedEffectiveIds() {
  if (!switched_) return;
  (void)syscall(SYS_setresuid, -1, uid_, -1);  // our real and saved IDs allow it
  (void)syscall(SYS_setresgid, -1, gid_, -1);
}

}  // namespace sysvisor
