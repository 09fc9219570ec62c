#include "redirect/path_calls.hpp"

#include <fcntl.h>
#include <linux/limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "kernel/proc_info.hpp"
#include "kernel/process_memory.hpp"
#include "redirect/args_by_role.hpp"
#include "sysvisor/unique_fd.hpp"

namespace sysvisor {
namespace {

Reply result(long rc) { return rc == 0 ? Reply::val(0) : Reply::err(errno); }

// What the caller creates gets its umask: ours is 0 on the serving threads (see Session::serve).
int with_umask(const Syscall& c, mode_t mode, mode_t& out) {
  mode_t mask = 022;
  if (int e = thread_umask(c.tid, mask); e != 0) return e == ENOENT ? ESRCH : e;
  out = (mode & 07777) & ~mask;
  return 0;
}

// The parent directory of an absolute path ("/" for "/x").
std::string parent_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == 0 || slash == std::string::npos ? std::string("/") : path.substr(0, slash);
}

// rename and link across mounts: the kernel looks the parents (link: the source itself) up first,
// then says EXDEV.
Reply across_mounts(const Redirection& r, bool link, int link_flags) {
  struct stat st {};
  if (link) {
    const int follow = (link_flags & AT_SYMLINK_FOLLOW) != 0 ? 0 : AT_SYMLINK_NOFOLLOW;
    if (fstatat(AT_FDCWD, r.target.c_str(), &st, follow) != 0) return Reply::err(errno);
  } else if (stat(parent_of(r.target).c_str(), &st) != 0) {
    return Reply::err(errno);
  }
  if (stat(parent_of(r.target2).c_str(), &st) != 0) return Reply::err(errno);
  return Reply::err(EXDEV);
}

Reply two_paths(const Syscall& c, const Redirection& r) {
  const ArgsByRole a(c);
  const bool link = c.sysno == Sysno::kLink || c.sysno == Sysno::kLinkat;
  const int flags = a.has(ArgRole::kAtFlags) ? a.as_int(ArgRole::kAtFlags)
                    : a.has(ArgRole::kRenameFlags) ? a.as_int(ArgRole::kRenameFlags) : 0;
  if (r.cross_mount) return across_mounts(r, link, flags);
  if (link) return result(linkat(AT_FDCWD, r.target.c_str(), AT_FDCWD, r.target2.c_str(), flags));
  return result(syscall(SYS_renameat2, AT_FDCWD, r.target.c_str(), AT_FDCWD, r.target2.c_str(), flags));
}

// An i386 chown/lchown takes 16-bit ids, where 0xffff means "unchanged".
uint32_t owner(const Syscall& c, uint64_t word) {
  const bool narrow = c.arch == Arch::kI386 && (c.sysno == Sysno::kChown || c.sysno == Sysno::kLchown);
  if (narrow) return static_cast<uint16_t>(word) == 0xffff ? static_cast<uint32_t>(-1) : static_cast<uint16_t>(word);
  return static_cast<uint32_t>(word);
}

Reply chown_call(const Syscall& c, const std::string& target) {
  const ArgsByRole a(c);
  int flags = a.has(ArgRole::kAtFlags) ? a.as_int(ArgRole::kAtFlags) : 0;
  if (c.sysno == Sysno::kLchown || c.sysno == Sysno::kLchown32) flags |= AT_SYMLINK_NOFOLLOW;
  const uint32_t uid = owner(c, a.word(ArgRole::kOwner)), gid = owner(c, a.second(ArgRole::kOwner));
  return result(fchownat(AT_FDCWD, target.c_str(), uid, gid, flags & ~AT_EMPTY_PATH));
}

Reply truncate_call(const Syscall& c, const std::string& target) {
  const ArgsByRole a(c);
  int64_t length = static_cast<int64_t>(a.word(ArgRole::kLength));
  if (c.sysno == Sysno::kTruncate64) {
    length = static_cast<int64_t>((a.word(ArgRole::kLengthHigh) << 32) | (a.word(ArgRole::kLength) & 0xffffffff));
  } else if (c.arch == Arch::kI386) {
    length = static_cast<int32_t>(a.word(ArgRole::kLength));  // a 32-bit long
  }
  return result(truncate(target.c_str(), length));
}

// The times argument in the native layout: nothing for a null pointer ("now").
int read_times(const Syscall& c, uint64_t ptr, std::array<timespec, 2>& out, bool& now) {
  now = ptr == 0;
  if (now) return 0;
  // The width of each field: i386's time_t and long are 32 bits, but for utimensat_time64.
  const size_t w = c.arch == Arch::kI386 && c.sysno != Sysno::kUtimensatTime64 ? 4 : 8;
  std::array<std::byte, 32> raw{};
  const bool pairs = c.sysno != Sysno::kUtime;  // utimbuf holds two seconds, the others two pairs
  if (int e = read_memory(c.tid, ptr, std::span(raw).first((pairs ? 4 : 2) * w)); e != 0) return e;
  auto at = [&](size_t i) -> int64_t {
    if (w == 4) {
      int32_t v;
      std::memcpy(&v, raw.data() + i * 4, 4);
      return v;
    }
    int64_t v;
    std::memcpy(&v, raw.data() + i * 8, 8);
    return v;
  };
  const bool micro = c.sysno == Sysno::kUtimes || c.sysno == Sysno::kFutimesat;
  for (size_t i = 0; i < 2; ++i) {
    out[i].tv_sec = pairs ? at(2 * i) : at(i);
    const int64_t frac = pairs ? at(2 * i + 1) : 0;
    if (micro && (frac < 0 || frac >= 1000000)) return EINVAL;
    out[i].tv_nsec = micro ? frac * 1000 : frac;
  }
  return 0;
}

Reply times_call(const Syscall& c, const std::string& target, const CallInputs& in) {
  const ArgsByRole a(c);
  const int flags = c.sysno == Sysno::kUtimensat || c.sysno == Sysno::kUtimensatTime64 ? a.as_int(ArgRole::kAtFlags) : 0;
  return result(utimensat(AT_FDCWD, target.c_str(), in.times_now ? nullptr : in.times.data(), flags & ~AT_EMPTY_PATH));
}

Reply xattr_call(const Syscall& c, const std::string& target, const CallInputs& in) {
  const ArgsByRole a(c);
  const char* name = in.text.c_str();
  const bool nofollow = a.follow() == Follow::kNo;
  if (c.sysno == Sysno::kRemovexattr || c.sysno == Sysno::kLremovexattr)
    return result(nofollow ? lremovexattr(target.c_str(), name) : removexattr(target.c_str(), name));
  const int flags = a.as_int(ArgRole::kXattrFlags);
  return result(nofollow ? lsetxattr(target.c_str(), name, in.value.data(), in.value.size(), flags)
                         : setxattr(target.c_str(), name, in.value.data(), in.value.size(), flags));
}

// The xattr calls' name (and setxattr's value).
void read_xattr_inputs(const Syscall& c, CallInputs& in) {
  const ArgsByRole a(c);
  if (int e = read_c_string(c.tid, a.ptr(ArgRole::kXattrName), 256, in.text); e != 0) {
    in.error = e == ENAMETOOLONG ? ERANGE : EFAULT;
    return;
  }
  if (!a.has(ArgRole::kInBuf)) return;
  const size_t size = static_cast<size_t>(a.word(ArgRole::kSize));
  if (size > 65536) {
    in.error = E2BIG;  // XATTR_SIZE_MAX
    return;
  }
  in.value.resize(size);
  if (size > 0 && read_memory(c.tid, a.ptr(ArgRole::kInBuf), in.value) != 0) in.error = EFAULT;
}

Reply create_call(const Syscall& c, const std::string& target) {
  const ArgsByRole a(c);
  mode_t mode = 0;
  const auto asked = static_cast<mode_t>(a.word(ArgRole::kMode));
  if (int e = with_umask(c, asked, mode); e != 0) return Reply::err(e);
  if (c.sysno == Sysno::kMkdir || c.sysno == Sysno::kMkdirat) return result(mkdirat(AT_FDCWD, target.c_str(), mode));
  const auto dev = static_cast<dev_t>(static_cast<uint32_t>(a.word(ArgRole::kDev)));
  return result(mknodat(AT_FDCWD, target.c_str(), (asked & S_IFMT) | mode, dev));
}

Reply symlink_call(const std::string& target, const CallInputs& in) {
  return result(symlinkat(in.text.c_str(), AT_FDCWD, target.c_str()));  // the body as given, never resolved
}

// inotify_add_watch: on the program's own instance (pidfd_getfd), so the watch is its; the
// descriptor number it returns is the program's.
Reply watch_call(const Syscall& c, const std::string& target, const CallInputs& in) {
  const ArgsByRole a(c);
  if (!in.fd) return Reply::cont();  // not a descriptor we could take: the kernel says what it is
  const long wd = syscall(SYS_inotify_add_watch, in.fd->get(), target.c_str(), static_cast<uint32_t>(a.word(ArgRole::kWatchMask)));
  return wd >= 0 ? Reply::val(wd) : Reply::err(errno);
}

// Removing or renaming FROM itself: the kernel refuses a mount point (EBUSY) once it has found it.
bool removes(Sysno s) {
  return s == Sysno::kUnlink || s == Sysno::kRmdir || s == Sysno::kUnlinkat || s == Sysno::kRename ||
         s == Sysno::kRenameat || s == Sysno::kRenameat2;
}

}  // namespace

namespace {

// openat2's struct: the kernel takes any size from 24 (OPEN_HOW_SIZE_VER0) to a page, if the bytes
// past the fields it knows are zero (else E2BIG).
void read_open_how(const Syscall& c, CallInputs& in) {
  const ArgsByRole a(c);
  const uint64_t size = a.word(ArgRole::kSize);
  if (size < sizeof(open_how) || size > 4096) return;
  std::vector<std::byte> raw(static_cast<size_t>(size));
  if (read_memory(c.tid, a.ptr(ArgRole::kOpenHow), raw) != 0) return;
  for (size_t i = sizeof(open_how); i < raw.size(); ++i) {
    if (raw[i] != std::byte{0}) {
      in.error = E2BIG;
      return;
    }
  }
  open_how how{};
  std::memcpy(&how, raw.data(), sizeof how);
  in.how = how;
}

// The program's descriptor argument, taken while we still have our own rights.
std::shared_ptr<const UniqueFd> program_fd(const Syscall& c) {
  const UniqueFd pidfd = thread_pidfd(c.tid);
  if (!pidfd) return nullptr;  // before Linux 6.9, another thread than the leader
  UniqueFd fd(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd.get(), ArgsByRole(c).as_int(ArgRole::kFd), 0)));
  return fd ? std::make_shared<const UniqueFd>(std::move(fd)) : nullptr;
}

}  // namespace

CallInputs read_call_inputs(const Syscall& c) {
  CallInputs in;
  const ArgsByRole a(c);
  switch (c.sysno) {
    case Sysno::kOpenat2: read_open_how(c, in); break;
    case Sysno::kBind:
    case Sysno::kConnect:
    case Sysno::kInotifyAddWatch: in.fd = program_fd(c); break;
    case Sysno::kSymlink:
    case Sysno::kSymlinkat:
      if (int e = read_c_string(c.tid, a.ptr(ArgRole::kLinkBody), PATH_MAX, in.text); e != 0)
        in.error = e == ENAMETOOLONG ? ENAMETOOLONG : EFAULT;
      break;
    case Sysno::kUtime:
    case Sysno::kUtimes:
    case Sysno::kFutimesat:
    case Sysno::kUtimensat:
    case Sysno::kUtimensatTime64: in.error = read_times(c, a.ptr(ArgRole::kTimes), in.times, in.times_now); break;
    case Sysno::kGetxattr:
    case Sysno::kLgetxattr:
    case Sysno::kSetxattr:
    case Sysno::kLsetxattr:
    case Sysno::kRemovexattr:
    case Sysno::kLremovexattr: read_xattr_inputs(c, in); break;
    default: break;
  }
  return in;
}

Reply perform_path_call(const Syscall& c, const Redirection& r, const CallInputs& in) {
  const ArgsByRole a(c);
  if (in.error != 0) return Reply::err(in.error);
  const char* t = r.target.c_str();
  if (r.mount_point && removes(c.sysno) && !r.cross_mount) {
    struct stat st {};
    return Reply::err(lstat(t, &st) != 0 ? errno : EBUSY);
  }
  switch (c.sysno) {
    case Sysno::kMkdir:
    case Sysno::kMkdirat:
    case Sysno::kMknod:
    case Sysno::kMknodat: return create_call(c, r.target);
    case Sysno::kUnlink: return result(unlinkat(AT_FDCWD, t, 0));
    case Sysno::kRmdir: return result(unlinkat(AT_FDCWD, t, AT_REMOVEDIR));
    case Sysno::kUnlinkat: return result(unlinkat(AT_FDCWD, t, a.as_int(ArgRole::kAtFlags)));
    case Sysno::kRename:
    case Sysno::kRenameat:
    case Sysno::kRenameat2:
    case Sysno::kLink:
    case Sysno::kLinkat: return two_paths(c, r);
    case Sysno::kSymlink:
    case Sysno::kSymlinkat: return symlink_call(r.target, in);
    case Sysno::kChmod:
    case Sysno::kFchmodat: return result(fchmodat(AT_FDCWD, t, static_cast<mode_t>(a.word(ArgRole::kMode)) & 07777, 0));
    case Sysno::kChown:
    case Sysno::kLchown:
    case Sysno::kChown32:
    case Sysno::kLchown32:
    case Sysno::kFchownat: return chown_call(c, r.target);
    case Sysno::kTruncate:
    case Sysno::kTruncate64: return truncate_call(c, r.target);
    case Sysno::kUtime:
    case Sysno::kUtimes:
    case Sysno::kFutimesat:
    case Sysno::kUtimensat:
    case Sysno::kUtimensatTime64: return times_call(c, r.target, in);
    case Sysno::kInotifyAddWatch: return watch_call(c, r.target, in);
    default: return xattr_call(c, r.target, in);
  }
}

}  // namespace sysvisor
