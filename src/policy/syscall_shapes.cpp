// Argument shapes of every syscall that takes a path, a sockaddr or a message header, for x86_64
// and i386. Written from the kernel's SYSCALL_DEFINE lines (fs/open.c, fs/stat.c, fs/namei.c,
// fs/xattr.c, fs/utimes.c, fs/statfs.c, fs/exec.c, fs/fhandle.c, fs/notify/, net/socket.c) and
// arch/x86/entry/syscalls/syscall_{32,64}.tbl; tests/unit/test_syscall_table.cpp checks the path
// and descriptor positions against what strace 6.1's path tracing tests, which was probed
// independently.
#include <algorithm>
#include <array>

#include "policy/syscall_shape.hpp"

namespace sysvisor {
namespace {

using enum ArgRole;

constexpr uint8_t k64 = 1;
constexpr uint8_t k32 = 2;
constexpr uint8_t kBoth = k64 | k32;

struct Row {
  std::string_view name;
  uint8_t personalities;
  ArgShape shape;
};

// Sorted by name, then personality, for binary search.
constexpr Row kRows[] = {
    {"access", kBoth, {{kPath, kAccessMode}, Follow::kYes}},
    {"acct", kBoth, {{kPath}, Follow::kYes}},
    {"bind", kBoth, {{kFd, kSockaddr, kSize}, Follow::kNo}},
    {"chdir", kBoth, {{kPath}, Follow::kYes}},
    {"chmod", kBoth, {{kPath, kMode}, Follow::kYes}},
    {"chown", kBoth, {{kPath, kOwner, kOwner}, Follow::kYes}},
    {"chown32", k32, {{kPath, kOwner, kOwner}, Follow::kYes}},
    {"chroot", kBoth, {{kPath}, Follow::kYes}},
    {"connect", kBoth, {{kFd, kSockaddr, kSize}, Follow::kYes}},
    {"creat", kBoth, {{kPath, kMode}, Follow::kYes}},
    {"execve", kBoth, {{kPath, kArgv, kEnvp}, Follow::kYes}},
    {"execveat", kBoth, {{kDirfd, kPath, kArgv, kEnvp, kAtFlags}, Follow::kUnlessAtFlag}},
    {"faccessat", kBoth, {{kDirfd, kPath, kAccessMode}, Follow::kYes}},
    {"faccessat2", kBoth, {{kDirfd, kPath, kAccessMode, kAtFlags}, Follow::kUnlessAtFlag}},
    {"fanotify_mark", k32, {{kFd, kMarkFlags, kWatchMask, kWatchMaskHigh, kDirfd, kPath}, Follow::kUnlessAtFlag}},
    {"fanotify_mark", k64, {{kFd, kMarkFlags, kWatchMask, kDirfd, kPath}, Follow::kUnlessAtFlag}},
    {"fchmodat", kBoth, {{kDirfd, kPath, kMode}, Follow::kYes}},
    {"fchownat", kBoth, {{kDirfd, kPath, kOwner, kOwner, kAtFlags}, Follow::kUnlessAtFlag}},
    {"fspick", kBoth, {{kDirfd, kPath, kAtFlags}, Follow::kUnlessAtFlag}},
    {"fstatat64", k32, {{kDirfd, kPath, kStatBuf, kAtFlags}, Follow::kUnlessAtFlag}},
    {"futimesat", kBoth, {{kDirfd, kPath, kTimes}, Follow::kYes}},
    {"getcwd", kBoth, {{kOutBuf, kSize}, Follow::kYes}},
    {"getxattr", kBoth, {{kPath, kXattrName, kOutBuf, kSize}, Follow::kYes}},
    {"inotify_add_watch", kBoth, {{kFd, kPath, kWatchMask}, Follow::kYes}},
    {"lchown", kBoth, {{kPath, kOwner, kOwner}, Follow::kNo}},
    {"lchown32", k32, {{kPath, kOwner, kOwner}, Follow::kNo}},
    {"lgetxattr", kBoth, {{kPath, kXattrName, kOutBuf, kSize}, Follow::kNo}},
    {"link", kBoth, {{kPath, kPath}, Follow::kNo}},
    {"linkat", kBoth, {{kDirfd, kPath, kDirfd, kPath, kAtFlags}, Follow::kIfAtFlag}},
    {"listxattr", kBoth, {{kPath, kOutBuf, kSize}, Follow::kYes}},
    {"llistxattr", kBoth, {{kPath, kOutBuf, kSize}, Follow::kNo}},
    {"lremovexattr", kBoth, {{kPath, kXattrName}, Follow::kNo}},
    {"lsetxattr", kBoth, {{kPath, kXattrName, kInBuf, kSize, kXattrFlags}, Follow::kNo}},
    {"lstat", kBoth, {{kPath, kStatBuf}, Follow::kNo}},
    {"lstat64", k32, {{kPath, kStatBuf}, Follow::kNo}},
    {"mkdir", kBoth, {{kPath, kMode}, Follow::kNo}},
    {"mkdirat", kBoth, {{kDirfd, kPath, kMode}, Follow::kNo}},
    {"mknod", kBoth, {{kPath, kMode, kDev}, Follow::kNo}},
    {"mknodat", kBoth, {{kDirfd, kPath, kMode, kDev}, Follow::kNo}},
    {"mount", kBoth, {{kPath, kPath, kNone, kNone, kNone}, Follow::kYes}},
    {"mount_setattr", kBoth, {{kDirfd, kPath, kAtFlags, kNone, kSize}, Follow::kUnlessAtFlag}},
    {"move_mount", kBoth, {{kDirfd, kPath, kDirfd, kPath, kNone}, Follow::kYes}},
    {"name_to_handle_at", kBoth, {{kDirfd, kPath, kHandle, kMountId, kAtFlags}, Follow::kIfAtFlag}},
    {"newfstatat", k64, {{kDirfd, kPath, kStatBuf, kAtFlags}, Follow::kUnlessAtFlag}},
    {"oldlstat", k32, {{kPath, kStatBuf}, Follow::kNo}},
    {"oldstat", k32, {{kPath, kStatBuf}, Follow::kYes}},
    {"open", kBoth, {{kPath, kOpenFlags, kMode}, Follow::kUnlessONofollow}},
    {"open_tree", kBoth, {{kDirfd, kPath, kAtFlags}, Follow::kUnlessAtFlag}},
    {"openat", kBoth, {{kDirfd, kPath, kOpenFlags, kMode}, Follow::kUnlessONofollow}},
    {"openat2", kBoth, {{kDirfd, kPath, kOpenHow, kSize}, Follow::kUnlessONofollow}},
    {"pivot_root", kBoth, {{kPath, kPath}, Follow::kYes}},
    {"quotactl", kBoth, {{kNone, kPath, kNone, kNone}, Follow::kYes}},
    {"readlink", kBoth, {{kPath, kOutBuf, kSize}, Follow::kNo}},
    {"readlinkat", kBoth, {{kDirfd, kPath, kOutBuf, kSize}, Follow::kNo}},
    {"removexattr", kBoth, {{kPath, kXattrName}, Follow::kYes}},
    {"rename", kBoth, {{kPath, kPath}, Follow::kNo}},
    {"renameat", kBoth, {{kDirfd, kPath, kDirfd, kPath}, Follow::kNo}},
    {"renameat2", kBoth, {{kDirfd, kPath, kDirfd, kPath, kRenameFlags}, Follow::kNo}},
    {"rmdir", kBoth, {{kPath}, Follow::kNo}},
    {"sendmsg", kBoth, {{kFd, kMsghdr, kMsgFlags}, Follow::kYes}},
    {"sendto", kBoth, {{kFd, kInBuf, kSize, kMsgFlags, kSockaddr, kSize}, Follow::kYes}},
    {"setxattr", kBoth, {{kPath, kXattrName, kInBuf, kSize, kXattrFlags}, Follow::kYes}},
    {"stat", kBoth, {{kPath, kStatBuf}, Follow::kYes}},
    {"stat64", k32, {{kPath, kStatBuf}, Follow::kYes}},
    {"statfs", kBoth, {{kPath, kStatfsBuf}, Follow::kYes}},
    {"statfs64", k32, {{kPath, kSize, kStatfsBuf}, Follow::kYes}},
    {"statx", kBoth, {{kDirfd, kPath, kAtFlags, kStatxMask, kStatxBuf}, Follow::kUnlessAtFlag}},
    {"swapoff", kBoth, {{kPath}, Follow::kYes}},
    {"swapon", kBoth, {{kPath, kNone}, Follow::kYes}},
    {"symlink", kBoth, {{kLinkBody, kPath}, Follow::kNo}},
    {"symlinkat", kBoth, {{kLinkBody, kDirfd, kPath}, Follow::kNo}},
    {"truncate", kBoth, {{kPath, kLength}, Follow::kYes}},
    {"truncate64", k32, {{kPath, kLength, kLengthHigh}, Follow::kYes}},
    {"umount", k32, {{kPath}, Follow::kYes}},
    {"umount2", kBoth, {{kPath, kNone}, Follow::kYes}},
    {"unlink", kBoth, {{kPath}, Follow::kNo}},
    {"unlinkat", kBoth, {{kDirfd, kPath, kAtFlags}, Follow::kNo}},
    {"uselib", kBoth, {{kPath}, Follow::kYes}},
    {"utime", kBoth, {{kPath, kTimes}, Follow::kYes}},
    {"utimensat", kBoth, {{kDirfd, kPath, kTimes, kAtFlags}, Follow::kUnlessAtFlag}},
    {"utimensat_time64", k32, {{kDirfd, kPath, kTimes, kAtFlags}, Follow::kUnlessAtFlag}},
    {"utimes", kBoth, {{kPath, kTimes}, Follow::kYes}},
};

constexpr bool sorted() {
  for (size_t i = 1; i < std::size(kRows); ++i)
    if (kRows[i - 1].name > kRows[i].name) return false;
  return true;
}
static_assert(sorted(), "kRows must be sorted by name");

struct SysnoName {
  Sysno sysno;
  std::string_view name;
};
constexpr std::array<SysnoName, static_cast<size_t>(Sysno::kCount)> kSysnoNames = {{
    {Sysno::kOther, "?"},          {Sysno::kOpen, "open"},           {Sysno::kOpenat, "openat"},
    {Sysno::kOpenat2, "openat2"},  {Sysno::kCreat, "creat"},         {Sysno::kStat, "stat"},
    {Sysno::kLstat, "lstat"},      {Sysno::kNewfstatat, "newfstatat"}, {Sysno::kStat64, "stat64"},
    {Sysno::kLstat64, "lstat64"},  {Sysno::kFstatat64, "fstatat64"}, {Sysno::kStatx, "statx"},
    {Sysno::kAccess, "access"},    {Sysno::kFaccessat, "faccessat"}, {Sysno::kFaccessat2, "faccessat2"},
    {Sysno::kReadlink, "readlink"}, {Sysno::kReadlinkat, "readlinkat"}, {Sysno::kGetxattr, "getxattr"},
    {Sysno::kLgetxattr, "lgetxattr"}, {Sysno::kListxattr, "listxattr"}, {Sysno::kLlistxattr, "llistxattr"},
    {Sysno::kStatfs, "statfs"}, {Sysno::kStatfs64, "statfs64"},
    {Sysno::kMkdir, "mkdir"}, {Sysno::kMkdirat, "mkdirat"}, {Sysno::kMknod, "mknod"}, {Sysno::kMknodat, "mknodat"},
    {Sysno::kUnlink, "unlink"}, {Sysno::kUnlinkat, "unlinkat"}, {Sysno::kRmdir, "rmdir"},
    {Sysno::kRename, "rename"}, {Sysno::kRenameat, "renameat"}, {Sysno::kRenameat2, "renameat2"},
    {Sysno::kLink, "link"}, {Sysno::kLinkat, "linkat"}, {Sysno::kSymlink, "symlink"},
    {Sysno::kSymlinkat, "symlinkat"}, {Sysno::kChmod, "chmod"}, {Sysno::kFchmodat, "fchmodat"},
    {Sysno::kChown, "chown"}, {Sysno::kLchown, "lchown"}, {Sysno::kChown32, "chown32"},
    {Sysno::kLchown32, "lchown32"}, {Sysno::kFchownat, "fchownat"}, {Sysno::kTruncate, "truncate"},
    {Sysno::kTruncate64, "truncate64"}, {Sysno::kUtime, "utime"}, {Sysno::kUtimes, "utimes"},
    {Sysno::kFutimesat, "futimesat"}, {Sysno::kUtimensat, "utimensat"},
    {Sysno::kUtimensatTime64, "utimensat_time64"}, {Sysno::kSetxattr, "setxattr"},
    {Sysno::kLsetxattr, "lsetxattr"}, {Sysno::kRemovexattr, "removexattr"},
    {Sysno::kLremovexattr, "lremovexattr"}, {Sysno::kInotifyAddWatch, "inotify_add_watch"},
    {Sysno::kBind, "bind"}, {Sysno::kConnect, "connect"},
    {Sysno::kExecve, "execve"},    {Sysno::kExecveat, "execveat"},   {Sysno::kIoUringSetup, "io_uring_setup"},
    {Sysno::kIoUringEnter, "io_uring_enter"}, {Sysno::kIoUringRegister, "io_uring_register"},
}};

constexpr bool sysno_names_in_order() {
  for (size_t i = 0; i < kSysnoNames.size(); ++i)
    if (static_cast<size_t>(kSysnoNames[i].sysno) != i) return false;
  return true;
}
static_assert(sysno_names_in_order(), "kSysnoNames must follow the Sysno order");

}  // namespace

std::string_view sysno_name(Sysno s) noexcept { return kSysnoNames[static_cast<size_t>(s)].name; }

Sysno sysno_by_name(std::string_view name) noexcept {
  for (const SysnoName& s : kSysnoNames)
    if (s.sysno != Sysno::kOther && s.name == name) return s.sysno;
  return Sysno::kOther;
}

const ArgShape* syscall_shape(Personality p, std::string_view name) noexcept {
  const uint8_t bit = p == Personality::kX86_64 ? k64 : k32;
  auto it = std::lower_bound(std::begin(kRows), std::end(kRows), name,
                             [](const Row& r, std::string_view n) { return r.name < n; });
  for (; it != std::end(kRows) && it->name == name; ++it)
    if ((it->personalities & bit) != 0) return &it->shape;
  return nullptr;
}

}  // namespace sysvisor
