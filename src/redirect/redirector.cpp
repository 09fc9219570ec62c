#include "redirect/redirector.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <vector>

#include "kernel/killable_open.hpp"
#include "kernel/process_memory.hpp"
#include "kernel/proc_info.hpp"
#include "redirect/args_by_role.hpp"
#include "redirect/path_calls.hpp"
#include "redirect/socket_calls.hpp"
#include "redirect/stat_layout.hpp"
#include "sysvisor/path.hpp"

namespace sysvisor {
namespace {

// O_LARGEFILE as the kernel defines it: glibc defines it as 0 for x86_64 programs.
constexpr int kKernelOLargefile = 0100000;
constexpr int64_t kMaxNonLfs = 0x7fffffff;

struct OpenArgs {
  int flags = 0;
  mode_t mode = 0;
  uint64_t resolve = 0;
};

// The open flags, mode and resolve flags of an open-family call; nothing when the kernel should
// judge the arguments itself (bad open_how).
std::optional<OpenArgs> open_args(const Syscall& c, const CallInputs& in) {
  const ArgsByRole a(c);
  switch (c.sysno) {
    case Sysno::kOpen:
    case Sysno::kOpenat:
      return OpenArgs{a.as_int(ArgRole::kOpenFlags), static_cast<mode_t>(a.word(ArgRole::kMode)), 0};
    case Sysno::kCreat: return OpenArgs{O_CREAT | O_WRONLY | O_TRUNC, static_cast<mode_t>(a.word(ArgRole::kMode)), 0};
    case Sysno::kOpenat2: {
      if (!in.how) return std::nullopt;  // the kernel judges a struct it would refuse
      const open_how& how = *in.how;
      if (how.flags > UINT32_MAX || how.mode > 07777) return std::nullopt;
      return OpenArgs{static_cast<int>(how.flags), static_cast<mode_t>(how.mode), how.resolve};
    }
    default: return std::nullopt;
  }
}

bool is_open(Sysno s) {
  return s == Sysno::kOpen || s == Sysno::kOpenat || s == Sysno::kOpenat2 || s == Sysno::kCreat;
}

// The program's umask applies to what it creates: we open with umask 0 (the serving threads have
// their own fs struct) and apply it by hand.
std::optional<mode_t> creation_mode(const Syscall& c, const OpenArgs& args, int& error) {
  if ((args.flags & O_CREAT) == 0 && (args.flags & O_TMPFILE) != O_TMPFILE) return mode_t{0};
  mode_t umask_value = 022;
  if (int e = thread_umask(c.tid, umask_value); e != 0) {
    error = e == ENOENT ? ESRCH : e;
    return std::nullopt;
  }
  return (args.mode & 07777) & ~umask_value;
}

int open_target(const Syscall& c, const std::string& target, const OpenArgs& args, int flags, mode_t mode) {
  if (c.sysno != Sysno::kOpenat2) return open(target.c_str(), flags, mode);
  // RESOLVE_BENEATH / RESOLVE_IN_ROOT are relative to the program's dirfd, meaningless for the
  // absolute target; the path-independent resolve flags are kept.
  open_how how{};
  how.flags = static_cast<uint64_t>(static_cast<uint32_t>(flags));
  how.mode = mode;
  how.resolve = args.resolve & ~static_cast<uint64_t>(RESOLVE_BENEATH | RESOLVE_IN_ROOT);
  return static_cast<int>(syscall(SYS_openat2, AT_FDCWD, target.c_str(), &how, sizeof how));
}

// The kernel cannot inject an O_PATH descriptor (SECCOMP_IOCTL_NOTIF_ADDFD takes files with
// fget(), which refuses them). The target was opened O_PATH, with the kernel's own checks (search
// rights only, O_NOFOLLOW, O_DIRECTORY); a directory or a regular file then gets a read-only
// descriptor of the same file instead, which does all that an O_PATH one does (fstat, fchdir,
// *at() calls, /proc/self/fd) and a little more (sysvisor(1), BUGS). Anything else, or one we may
// not read, stays refused as the kernel refuses it: EBADF.
Reply path_descriptor(UniqueFd file, int flags) {
  struct stat st {};
  if (fstat(file.get(), &st) != 0) return Reply::err(errno);
  if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) return Reply::err(EBADF);
  char self[64];
  std::snprintf(self, sizeof self, "/proc/self/fd/%d", file.get());
  const int dir = S_ISDIR(st.st_mode) ? O_DIRECTORY : 0;
  UniqueFd readable(open(self, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | dir));
  if (!readable) return Reply::err(EBADF);
  if (dir == 0) fcntl(readable.get(), F_SETFL, 0);
  return Reply::inject(std::move(readable), (flags & O_CLOEXEC) != 0 ? O_CLOEXEC : 0);
}

Reply act_open(const Syscall& c, const Redirection& r, RedirectAct& act) {
  OpenHelperSlot* helper = act.wait == OpenWait::kMayBlock ? act.helper : nullptr;
  if (act.inputs != nullptr && act.inputs->error != 0) return Reply::err(act.inputs->error);  // E2BIG
  auto args = open_args(c, act.inputs ? *act.inputs : CallInputs{});
  if (!args) return Reply::cont();
  // openat2 refuses a mode without O_CREAT or O_TMPFILE (open and openat ignore it).
  if (c.sysno == Sysno::kOpenat2 && args->mode != 0 && (args->flags & O_CREAT) == 0 &&
      (args->flags & O_TMPFILE) != O_TMPFILE)
    return Reply::err(EINVAL);
  const int flags = args->flags;
  int error = 0;
  const auto mode = creation_mode(c, *args, error);
  if (!mode) return Reply::err(error);
  // Our copy is close-on-exec and never becomes our controlling terminal. Where we must not
  // block (a receiver), O_NONBLOCK, cleared once open: a character device waiting for carrier
  // opens at once, and a file under a lease the open would break fails with EWOULDBLOCK, which
  // sends the open to the executor (open(2)).
  int our_flags = flags | O_CLOEXEC | O_NOCTTY;
  const bool probe = act.wait == OpenWait::kMustNotBlock && (flags & (O_NONBLOCK | O_PATH)) == 0;
  if (probe) our_flags |= O_NONBLOCK;
  int fd;
  if (helper != nullptr) {
    // May wait for long (a FIFO's peer, a lease break): in a helper the executor can kill.
    fd = killable_open([&] { return open_target(c, r.target, *args, our_flags, *mode); }, *helper);
    if (fd < 0) return Reply::err(-fd);
  } else {
    fd = open_target(c, r.target, *args, our_flags, *mode);
  }
  if (fd < 0 && probe && errno == EWOULDBLOCK) {
    act.would_block = true;
    return Reply::cont();
  }
  if (fd < 0) return Reply::err(errno);
  UniqueFd file(fd);
  if (probe) fcntl(file.get(), F_SETFL, fcntl(file.get(), F_GETFL) & ~O_NONBLOCK);
  if (c.arch == Arch::kI386 && (flags & kKernelOLargefile) == 0) {
    // A 32-bit open without O_LARGEFILE of a file over 2 GiB fails in the kernel (generic_file_open).
    struct stat st {};
    if (fstat(file.get(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > kMaxNonLfs) return Reply::err(EOVERFLOW);
  }
  if ((flags & O_PATH) != 0) return path_descriptor(std::move(file), flags);
  return Reply::inject(std::move(file), (flags & O_CLOEXEC) != 0 ? O_CLOEXEC : 0);
}

// Into the image that made the call (pinned before the call was re-checked), or nowhere.
Reply write_reply(const CallerImage* image, uint64_t addr, std::span<const std::byte> bytes, int64_t value) {
  if (image == nullptr || !image->is_open()) return Reply::err(EFAULT);
  if (int e = image->write(addr, bytes); e != 0) return Reply::err(e == EPERM || e == ESRCH ? EFAULT : e);
  return Reply::val(value);
}

// The struct stat layout a stat-family call writes.
StatLayout stat_layout(const Syscall& c) {
  switch (c.sysno) {
    case Sysno::kStat64:
    case Sysno::kLstat64:
    case Sysno::kFstatat64: return StatLayout::kI386Stat64;
    default: return c.arch == Arch::kI386 ? StatLayout::kI386Stat : StatLayout::kX86_64Stat;
  }
}

Reply act_stat(const Syscall& c, const std::string& target, const CallerImage* image) {
  const ArgsByRole a(c);
  const uint64_t buf = a.ptr(ArgRole::kStatBuf);
  const StatLayout layout = stat_layout(c);
  int flags = a.follow() == Follow::kNo ? AT_SYMLINK_NOFOLLOW : 0;
  if (a.has(ArgRole::kAtFlags)) {
    flags = a.as_int(ArgRole::kAtFlags);
    if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH)) != 0) return Reply::cont();
    flags &= AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT;
  }
  struct statx stx {};
  if (statx(AT_FDCWD, target.c_str(), flags, STATX_BASIC_STATS, &stx) != 0) return Reply::err(errno);
  auto bytes = encode_stat(stx, layout);
  if (!bytes) return Reply::err(bytes.error().code);
  // Only the bytes the kernel stores: i386's stat64 leaves its padding untouched.
  for (const ByteRange& range : stat_layout_written_ranges(layout)) {
    Reply r = write_reply(image, buf + range.offset, std::span<const std::byte>(*bytes).subspan(range.offset, range.size), 0);
    if (r.kind != Reply::Kind::kValue) return r;
  }
  return Reply::val(0);
}

Reply act_statx(const Syscall& c, const std::string& target, const CallerImage* image) {
  const ArgsByRole a(c);
  const int flags = a.as_int(ArgRole::kAtFlags);
  const auto mask = static_cast<unsigned>(a.as_int(ArgRole::kStatxMask));
  struct statx stx {};
  if (statx(AT_FDCWD, target.c_str(), flags & ~AT_EMPTY_PATH, mask, &stx) != 0) return Reply::err(errno);
  return write_reply(image, a.ptr(ArgRole::kStatxBuf), {reinterpret_cast<const std::byte*>(&stx), sizeof stx}, 0);
}

Reply act_access(const Syscall& c, const std::string& target, bool rights) {
  const ArgsByRole a(c);
  const int mode = a.as_int(ArgRole::kAccessMode);
  int flags = 0;
  if (a.has(ArgRole::kAtFlags)) {
    flags = a.as_int(ArgRole::kAtFlags);
    if ((flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) != 0) return Reply::cont();
    flags &= ~AT_EMPTY_PATH;
  }
  if ((mode & ~(R_OK | W_OK | X_OK)) != 0) return Reply::cont();  // the kernel says EINVAL
  if (rights) flags |= AT_EACCESS;  // the assumed rights are already those the check wants
  if (syscall(SYS_faccessat2, AT_FDCWD, target.c_str(), mode, flags) != 0) return Reply::err(errno);
  return Reply::val(0);
}

Reply act_readlink(const Syscall& c, const std::string& target, const CallerImage* image) {
  const ArgsByRole a(c);
  const uint64_t buf = a.ptr(ArgRole::kOutBuf);
  const int size = a.as_int(ArgRole::kSize);
  if (size <= 0) return Reply::err(EINVAL);
  char link[PATH_MAX];
  const ssize_t n = readlink(target.c_str(), link, std::min<size_t>(sizeof link, static_cast<size_t>(size)));
  if (n < 0) return Reply::err(errno);
  return write_reply(image, buf, {reinterpret_cast<const std::byte*>(link), static_cast<size_t>(n)}, n);
}

// getxattr/lgetxattr(path, name, value, size), listxattr/llistxattr(path, list, size).
Reply act_xattr(const Syscall& c, const std::string& target, const CallerImage* image, const CallInputs& in) {
  const ArgsByRole a(c);
  const bool get = a.has(ArgRole::kXattrName);
  const bool nofollow = a.follow() == Follow::kNo;
  const uint64_t buf = a.ptr(ArgRole::kOutBuf);
  const auto size = static_cast<size_t>(a.word(ArgRole::kSize));
  constexpr size_t kMax = 65536;  // XATTR_SIZE_MAX / XATTR_LIST_MAX
  if (in.error != 0) return Reply::err(in.error);
  const char* name = in.text.c_str();
  std::vector<char> data(std::min(size, kMax));
  ssize_t n;
  if (get) {
    n = nofollow ? lgetxattr(target.c_str(), name, data.data(), data.size())
                 : getxattr(target.c_str(), name, data.data(), data.size());
  } else {
    n = nofollow ? llistxattr(target.c_str(), data.data(), data.size())
                 : listxattr(target.c_str(), data.data(), data.size());
  }
  if (n < 0) return Reply::err(errno);
  if (size == 0) return Reply::val(n);  // the size the caller needs
  return write_reply(image, buf, {reinterpret_cast<const std::byte*>(data.data()), static_cast<size_t>(n)}, n);
}

// i386's struct statfs64 (the kernel's compat_statfs64: 32-bit words, packed to 4 bytes).
#pragma pack(push, 4)
struct I386Statfs64 {
  uint32_t f_type, f_bsize;
  uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
  int32_t f_fsid[2];
  uint32_t f_namelen, f_frsize, f_flags, f_spare[4];
};
#pragma pack(pop)
static_assert(sizeof(I386Statfs64) == 84);

// statfs (x86_64: the kernel's struct statfs is glibc's) and i386's statfs64. i386's old statfs,
// with its 32-bit counts, is let through (sysvisor(1), Calls that are not redirected).
Reply act_statfs(const Syscall& c, const std::string& target, const CallerImage* image) {
  const ArgsByRole a(c);
  if (c.arch == Arch::kI386 && c.sysno == Sysno::kStatfs) return Reply::cont();
  if (c.sysno == Sysno::kStatfs64 && a.word(ArgRole::kSize) != sizeof(I386Statfs64)) return Reply::err(EINVAL);
  struct statfs st {};
  if (statfs(target.c_str(), &st) != 0) return Reply::err(errno);
  const uint64_t buf = a.ptr(ArgRole::kStatfsBuf);
  if (c.arch == Arch::kX86_64) return write_reply(image, buf, {reinterpret_cast<const std::byte*>(&st), sizeof st}, 0);
  if ((static_cast<uint64_t>(st.f_bsize) | static_cast<uint64_t>(st.f_frsize)) > UINT32_MAX) return Reply::err(EOVERFLOW);
  I386Statfs64 out{};
  out.f_type = static_cast<uint32_t>(st.f_type);
  out.f_bsize = static_cast<uint32_t>(st.f_bsize);
  out.f_blocks = st.f_blocks;
  out.f_bfree = st.f_bfree;
  out.f_bavail = st.f_bavail;
  out.f_files = st.f_files;
  out.f_ffree = st.f_ffree;
  std::memcpy(out.f_fsid, &st.f_fsid, sizeof out.f_fsid);
  out.f_namelen = static_cast<uint32_t>(st.f_namelen);
  out.f_frsize = static_cast<uint32_t>(st.f_frsize);
  out.f_flags = static_cast<uint32_t>(st.f_flags);
  return write_reply(image, buf, {reinterpret_cast<const std::byte*>(&out), sizeof out}, 0);
}

}  // namespace

std::optional<int> redirect_may_block(const Syscall& call, const Redirection& r, const CallInputs& in) {
  if (!is_open(call.sysno)) return std::nullopt;
  const auto args = open_args(call, in);
  if (!args || (args->flags & (O_NONBLOCK | O_PATH)) != 0) return std::nullopt;
  struct stat st {};
  const mode_t type = stat(r.target.c_str(), &st) == 0 ? (st.st_mode & S_IFMT) : 0;
  const int accmode = args->flags & O_ACCMODE;
  if (accmode == O_RDWR || !S_ISFIFO(type)) return std::nullopt;  // O_RDWR never blocks on a FIFO
  return accmode;
}

bool checks_real_ids(const Syscall& call) {
  if (call.sysno != Sysno::kAccess && call.sysno != Sysno::kFaccessat && call.sysno != Sysno::kFaccessat2) return false;
  const ArgsByRole a(call);
  return !a.has(ArgRole::kAtFlags) || (a.as_int(ArgRole::kAtFlags) & AT_EACCESS) == 0;
}

bool redirect_writes_memory(const Syscall& call) {
  const ArgShape& shape = *SyscallTable::instance().entry(personality_of(call.arch), call.nr)->shape;
  return shape.find(ArgRole::kStatBuf) >= 0 || shape.find(ArgRole::kStatxBuf) >= 0 ||
         shape.find(ArgRole::kOutBuf) >= 0 || shape.find(ArgRole::kStatfsBuf) >= 0;
}

Reply perform_redirect(const Syscall& call, const Redirection& r, RedirectAct& act) {
  switch (call.sysno) {
    case Sysno::kOpen:
    case Sysno::kOpenat:
    case Sysno::kOpenat2:
    case Sysno::kCreat: return act_open(call, r, act);
    case Sysno::kStat:
    case Sysno::kLstat:
    case Sysno::kStat64:
    case Sysno::kLstat64:
    case Sysno::kNewfstatat:
    case Sysno::kFstatat64: return act_stat(call, r.target, act.image);
    case Sysno::kStatx: return act_statx(call, r.target, act.image);
    case Sysno::kAccess:
    case Sysno::kFaccessat:
    case Sysno::kFaccessat2: return act_access(call, r.target, act.rights);
    case Sysno::kReadlink:
    case Sysno::kReadlinkat: return act_readlink(call, r.target, act.image);
    case Sysno::kGetxattr:
    case Sysno::kLgetxattr:
    case Sysno::kListxattr:
    case Sysno::kLlistxattr: return act_xattr(call, r.target, act.image, act.inputs ? *act.inputs : CallInputs{});
    case Sysno::kStatfs:
    case Sysno::kStatfs64: return act_statfs(call, r.target, act.image);
    case Sysno::kBind:
    case Sysno::kConnect: return perform_socket_call(call, r, act.inputs ? *act.inputs : CallInputs{}, act.ids);
    default: return is_path_call(call.sysno) ? perform_path_call(call, r, act.inputs ? *act.inputs : CallInputs{})
                                             : Reply::cont();
  }
}

}  // namespace sysvisor
