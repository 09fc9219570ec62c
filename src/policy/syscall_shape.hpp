// The shape of a syscall's arguments, as the kernel reads them: which are paths, which dirfd goes
// with which path, which are flags of which kind, which are descriptors, which point at memory
// the kernel writes. One row per syscall name (per personality where the two differ); the rows
// live in syscall_shapes.cpp and are reached through SyscallTable (syscall_table.hpp), which is
// the only place that maps (personality, number) to a syscall.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "sysvisor/inject.hpp"  // Personality

namespace sysvisor {

// The syscalls the engine acts on by itself (decodes and performs); every other is kOther.
enum class Sysno : uint8_t {
  kOther = 0,
  kOpen, kOpenat, kOpenat2, kCreat,
  kStat, kLstat, kNewfstatat, kStat64, kLstat64, kFstatat64, kStatx,
  kAccess, kFaccessat, kFaccessat2,
  kReadlink, kReadlinkat,
  kGetxattr, kLgetxattr, kListxattr, kLlistxattr,
  kStatfs, kStatfs64,
  // Performed on the target with the caller's other arguments (redirect/path_calls.cpp).
  kMkdir, kMkdirat, kMknod, kMknodat, kUnlink, kUnlinkat, kRmdir,
  kRename, kRenameat, kRenameat2, kLink, kLinkat, kSymlink, kSymlinkat,
  kChmod, kFchmodat, kChown, kLchown, kChown32, kLchown32, kFchownat, kTruncate, kTruncate64,
  kUtime, kUtimes, kFutimesat, kUtimensat, kUtimensatTime64,
  kSetxattr, kLsetxattr, kRemovexattr, kLremovexattr, kInotifyAddWatch,
  kBind, kConnect,  // with an AF_UNIX path (redirect/socket_calls.cpp)
  kExecve, kExecveat,
  kIoUringSetup, kIoUringEnter, kIoUringRegister,
  kCount,
};

// The name of a Sysno ("openat"); "?" for kOther.
std::string_view sysno_name(Sysno s) noexcept;
// True for the Sysnos a redirect rule covers (open .. connect).
constexpr bool redirect_covers(Sysno s) noexcept { return s >= Sysno::kOpen && s <= Sysno::kConnect; }
// bind and connect: the path is in a struct sockaddr_un.
constexpr bool is_socket_call(Sysno s) noexcept { return s == Sysno::kBind || s == Sysno::kConnect; }
// The calls a redirect rule covers in personality `p`: i386 bind and connect stay unredirected,
// since libseccomp would extend a rule on their own numbers to socketcall(), whose address sits
// behind the argument array (sysvisor(1)).
constexpr bool redirect_covers(Personality p, Sysno s) noexcept {
  return redirect_covers(s) && !(p == Personality::kI386 && is_socket_call(s));
}
// The calls that change the tree or a file's attributes (and inotify_add_watch), performed by
// path_calls.cpp.
constexpr bool is_path_call(Sysno s) noexcept { return s >= Sysno::kMkdir && s <= Sysno::kInotifyAddWatch; }
constexpr bool is_exec(Sysno s) noexcept { return s == Sysno::kExecve || s == Sysno::kExecveat; }
// The three io_uring calls: setup makes a ring, enter submits (the ring then opens, reads and
// writes without further syscalls), register installs files and buffers. A ring inherited from
// the caller needs only the last two.
constexpr bool is_io_uring(Sysno s) noexcept { return s >= Sysno::kIoUringSetup && s <= Sysno::kIoUringRegister; }

// What one argument register holds.
enum class ArgRole : uint8_t {
  kNone,         // unused, or nothing the engine interprets
  kPath,         // a pathname the kernel resolves (relative to the dirfd just before it, else cwd)
  kDirfd,        // the directory descriptor for the kPath right after it (AT_FDCWD: the cwd)
  kLinkBody,     // symlink(2)'s target: a string stored as is, never resolved
  kFd,           // a descriptor the call acts on
  kAtFlags,      // AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH, AT_REMOVEDIR, AT_EACCESS, AT_SYMLINK_FOLLOW, ...
  kOpenFlags,    // O_*
  kOpenHow,      // struct open_how * (openat2), its size in the next kSize argument
  kRenameFlags,  // RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT
  kMode,         // permission bits (and S_IFMT for mknod)
  kAccessMode,   // R_OK, W_OK, X_OK
  kOwner,        // uid or gid
  kDev,          // mknod's device number
  kLength,       // truncate's length (i386 truncate64: low word, then kLengthHigh)
  kLengthHigh,
  kStatBuf,      // out: struct stat of the layout the syscall and personality use
  kStatxMask,    // STATX_* mask
  kStatxBuf,     // out: struct statx
  kStatfsBuf,    // out: struct statfs / statfs64
  kOutBuf,       // out: bytes (readlink, getxattr, listxattr), length in the next kSize
  kInBuf,        // in: bytes (setxattr's value, sendto's payload), length in the next kSize
  kSize,         // a byte count for the buffer argument before it
  kXattrName,    // a NUL-terminated attribute name
  kXattrFlags,   // XATTR_CREATE, XATTR_REPLACE
  kTimes,        // in: utime/utimes/utimensat times (null: now)
  kArgv,         // execve's argv / envp arrays
  kEnvp,
  kWatchMask,    // inotify / fanotify event mask (fanotify on i386: low word, then kWatchMaskHigh)
  kWatchMaskHigh,
  kMarkFlags,    // FAN_MARK_*
  kHandle,       // out: struct file_handle * (name_to_handle_at)
  kMountId,      // out: int * (name_to_handle_at)
  kSockaddr,     // in: struct sockaddr * (a sockaddr_un carries a path), its length in the next kSize
  kMsghdr,       // in: struct msghdr * (msg_name may be a sockaddr_un)
  kMsgFlags,     // MSG_*
};

// Whether the last component of a path is followed when it is a symlink.
enum class Follow : uint8_t {
  kYes,            // always (stat, open without O_NOFOLLOW, chdir, ...)
  kNo,             // never (lstat, unlink, rename, readlink, lchown, ...)
  kUnlessAtFlag,   // follows unless AT_SYMLINK_NOFOLLOW is set (fstatat, fchownat, utimensat, ...)
  kIfAtFlag,       // follows only with AT_SYMLINK_FOLLOW (linkat)
  kUnlessONofollow,// follows unless O_NOFOLLOW (open family; O_CREAT|O_EXCL never follows)
};

// One syscall's argument registers.
struct ArgShape {
  std::array<ArgRole, 6> args{};
  Follow follow = Follow::kYes;

  // Where the path arguments are: up to two (rename, link), each with its dirfd argument (-1:
  // none, the path is resolved from the cwd unless absolute).
  struct PathSlot {
    int8_t path = -1;
    int8_t dirfd = -1;
  };
  constexpr std::array<PathSlot, 2> paths() const noexcept {
    std::array<PathSlot, 2> out{};
    size_t n = 0;
    for (size_t i = 0; i < args.size() && n < out.size(); ++i) {
      if (args[i] != ArgRole::kPath) continue;
      out[n].path = static_cast<int8_t>(i);
      out[n].dirfd = i > 0 && args[i - 1] == ArgRole::kDirfd ? static_cast<int8_t>(i - 1) : int8_t{-1};
      ++n;
    }
    return out;
  }
  // The index of the first argument with `role`, or -1.
  constexpr int find(ArgRole role) const noexcept {
    for (size_t i = 0; i < args.size(); ++i)
      if (args[i] == role) return static_cast<int>(i);
    return -1;
  }
};

// The shape of syscall `name` in personality `p`, or nullptr for a syscall that takes no path,
// no sockaddr and no message header (the engine reads nothing of its arguments).
const ArgShape* syscall_shape(Personality p, std::string_view name) noexcept;
// The Sysno for `name` (kOther for syscalls the engine does not perform itself).
Sysno sysno_by_name(std::string_view name) noexcept;

}  // namespace sysvisor
