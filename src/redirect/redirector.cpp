#include "redirect/redirector.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

#include "kernel/process_memory.hpp"
#include "kernel/proc_info.hpp"
#include "redirect/stat_layout.hpp"
#include "sysvisor/path.hpp"

namespace sysvisor {
namespace {

// O_LARGEFILE as the kernel defines it: glibc defines it as 0 for x86_64 programs.
constexpr int kKernelOLargefile = 0100000;
constexpr int64_t kMaxNonLfs = 0x7fffffff;

// Where the dirfd and the path are in each covered call.
struct PathArgs {
  int dirfd = -1;  // -1: AT_FDCWD
  int path = 0;
};

PathArgs path_args(Sysno s) {
  switch (s) {
    case Sysno::kOpenat:
    case Sysno::kOpenat2:
    case Sysno::kNewfstatat:
    case Sysno::kFstatat64:
    case Sysno::kStatx:
    case Sysno::kFaccessat:
    case Sysno::kFaccessat2:
    case Sysno::kReadlinkat:
      return {0, 1};
    default:
      return {-1, 0};
  }
}

struct OpenArgs {
  int flags = 0;
  mode_t mode = 0;
  uint64_t resolve = 0;
};

// The open flags, mode and resolve flags of an open-family call; nothing when the kernel should
// judge the arguments itself (bad open_how).
std::optional<OpenArgs> open_args(const Syscall& c) {
  switch (c.sysno) {
    case Sysno::kOpen: return OpenArgs{c.int_arg(1), static_cast<mode_t>(c.args[2]), 0};
    case Sysno::kOpenat: return OpenArgs{c.int_arg(2), static_cast<mode_t>(c.args[3]), 0};
    case Sysno::kCreat: return OpenArgs{O_CREAT | O_WRONLY | O_TRUNC, static_cast<mode_t>(c.args[1]), 0};
    case Sysno::kOpenat2: {
      if (c.args[3] != sizeof(open_how)) return std::nullopt;  // other sizes: let the kernel decide
      open_how how{};
      if (read_memory(c.tid, c.ptr_arg(2), {reinterpret_cast<std::byte*>(&how), sizeof how}) != 0)
        return std::nullopt;
      if (how.flags > UINT32_MAX || how.mode > 07777) return std::nullopt;
      return OpenArgs{static_cast<int>(how.flags), static_cast<mode_t>(how.mode), how.resolve};
    }
    default: return std::nullopt;
  }
}

bool is_open(Sysno s) {
  return s == Sysno::kOpen || s == Sysno::kOpenat || s == Sysno::kOpenat2 || s == Sysno::kCreat;
}

Reply act_open(const Syscall& c, const Redirection& r) {
  const std::string& target = r.target;
  auto args = open_args(c);
  if (!args) return Reply::cont();
  int flags = args->flags;
  mode_t mode = args->mode & 07777;
  if ((flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE) {
    // We open with umask 0 (this thread has its own fs struct) and apply the program's umask.
    mode_t umask_value = 022;
    if (int e = thread_umask(c.tid, umask_value); e != 0) return Reply::err(e == ENOENT ? ESRCH : e);
    mode &= ~umask_value;
  } else {
    mode = 0;
  }
  const uint32_t fd_flags = (flags & O_CLOEXEC) != 0 ? O_CLOEXEC : 0;
  // Our copy is close-on-exec and never becomes our controlling terminal; a character device (a
  // serial tty waiting for carrier) must not make us wait: O_NONBLOCK, cleared once open.
  int our_flags = flags | O_CLOEXEC | O_NOCTTY;
  bool clear_nonblock = false;
  if ((flags & (O_NONBLOCK | O_PATH | O_CREAT)) == 0) {
    mode_t type = r.target_type;
    if (!r.type_known) {
      struct stat st {};
      type = stat(target.c_str(), &st) == 0 ? (st.st_mode & S_IFMT) : 0;
    }
    if (S_ISCHR(type)) {
      our_flags |= O_NONBLOCK;
      clear_nonblock = true;
    }
  }
  int fd;
  if (c.sysno == Sysno::kOpenat2) {
    // RESOLVE_BENEATH / RESOLVE_IN_ROOT are relative to the program's dirfd, meaningless for the
    // absolute target; the path-independent resolve flags are kept.
    open_how how{};
    how.flags = static_cast<uint64_t>(static_cast<uint32_t>(our_flags));
    how.mode = mode;
    how.resolve = args->resolve & ~static_cast<uint64_t>(RESOLVE_BENEATH | RESOLVE_IN_ROOT);
    fd = static_cast<int>(syscall(SYS_openat2, AT_FDCWD, target.c_str(), &how, sizeof how));
  } else {
    fd = open(target.c_str(), our_flags, mode);
  }
  if (fd < 0) return Reply::err(errno);
  UniqueFd file(fd);
  if (clear_nonblock) fcntl(file.get(), F_SETFL, fcntl(file.get(), F_GETFL) & ~O_NONBLOCK);
  if (c.arch == Arch::kI386 && (flags & kKernelOLargefile) == 0) {
    // A 32-bit open without O_LARGEFILE of a file over 2 GiB fails in the kernel (generic_file_open).
    struct stat st {};
    if (fstat(file.get(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > kMaxNonLfs) return Reply::err(EOVERFLOW);
  }
  return Reply::inject(std::move(file), fd_flags);
}

Reply write_reply(const Syscall& c, uint64_t addr, std::span<const std::byte> bytes, int64_t value) {
  if (int e = write_memory(c.tid, addr, bytes); e != 0) return Reply::err(e == EPERM || e == ESRCH ? EFAULT : e);
  return Reply::val(value);
}

Reply act_stat(const Syscall& c, const std::string& target) {
  int flags = 0;
  uint64_t buf = 0;
  StatLayout layout = StatLayout::kX86_64Stat;
  const bool i386 = c.arch == Arch::kI386;
  switch (c.sysno) {
    case Sysno::kStat: buf = c.ptr_arg(1); layout = i386 ? StatLayout::kI386Stat : StatLayout::kX86_64Stat; break;
    case Sysno::kLstat:
      buf = c.ptr_arg(1);
      flags = AT_SYMLINK_NOFOLLOW;
      layout = i386 ? StatLayout::kI386Stat : StatLayout::kX86_64Stat;
      break;
    case Sysno::kStat64: buf = c.ptr_arg(1); layout = StatLayout::kI386Stat64; break;
    case Sysno::kLstat64: buf = c.ptr_arg(1); flags = AT_SYMLINK_NOFOLLOW; layout = StatLayout::kI386Stat64; break;
    case Sysno::kNewfstatat:
    case Sysno::kFstatat64:
      buf = c.ptr_arg(2);
      flags = c.int_arg(3);
      layout = c.sysno == Sysno::kNewfstatat ? StatLayout::kX86_64Stat : StatLayout::kI386Stat64;
      if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH)) != 0) return Reply::cont();
      flags &= AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT;
      break;
    default: return Reply::cont();
  }
  struct statx stx {};
  if (statx(AT_FDCWD, target.c_str(), flags, STATX_BASIC_STATS, &stx) != 0) return Reply::err(errno);
  auto bytes = encode_stat(stx, layout);
  if (!bytes) return Reply::err(bytes.error().code);
  // Only the bytes the kernel stores: i386's stat64 leaves its padding untouched.
  for (const ByteRange& range : stat_layout_written_ranges(layout)) {
    Reply r = write_reply(c, buf + range.offset, std::span<const std::byte>(*bytes).subspan(range.offset, range.size), 0);
    if (r.kind != Reply::Kind::kValue) return r;
  }
  return Reply::val(0);
}

Reply act_statx(const Syscall& c, const std::string& target) {
  const int flags = c.int_arg(2);
  const auto mask = static_cast<unsigned>(c.args[3]);
  struct statx stx {};
  if (statx(AT_FDCWD, target.c_str(), flags & ~AT_EMPTY_PATH, mask, &stx) != 0) return Reply::err(errno);
  return write_reply(c, c.ptr_arg(4), {reinterpret_cast<const std::byte*>(&stx), sizeof stx}, 0);
}

Reply act_access(const Syscall& c, const std::string& target) {
  int mode = 0;
  int flags = 0;
  switch (c.sysno) {
    case Sysno::kAccess: mode = c.int_arg(1); break;
    case Sysno::kFaccessat: mode = c.int_arg(2); break;
    case Sysno::kFaccessat2:
      mode = c.int_arg(2);
      flags = c.int_arg(3);
      if ((flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) != 0) return Reply::cont();
      flags &= ~AT_EMPTY_PATH;
      break;
    default: return Reply::cont();
  }
  if ((mode & ~(R_OK | W_OK | X_OK)) != 0) return Reply::cont();  // the kernel says EINVAL
  if (syscall(SYS_faccessat2, AT_FDCWD, target.c_str(), mode, flags) != 0) return Reply::err(errno);
  return Reply::val(0);
}

Reply act_readlink(const Syscall& c, const std::string& target) {
  const bool at = c.sysno == Sysno::kReadlinkat;
  const uint64_t buf = c.ptr_arg(at ? 2 : 1);
  const int size = c.int_arg(at ? 3 : 2);
  if (size <= 0) return Reply::err(EINVAL);
  char link[PATH_MAX];
  const ssize_t n = readlink(target.c_str(), link, std::min<size_t>(sizeof link, static_cast<size_t>(size)));
  if (n < 0) return Reply::err(errno);
  return write_reply(c, buf, {reinterpret_cast<const std::byte*>(link), static_cast<size_t>(n)}, n);
}

// getxattr/lgetxattr(path, name, value, size), listxattr/llistxattr(path, list, size).
Reply act_xattr(const Syscall& c, const std::string& target) {
  const bool get = c.sysno == Sysno::kGetxattr || c.sysno == Sysno::kLgetxattr;
  const bool nofollow = c.sysno == Sysno::kLgetxattr || c.sysno == Sysno::kLlistxattr;
  const uint64_t buf = c.ptr_arg(get ? 2 : 1);
  const size_t size = static_cast<size_t>(c.arch == Arch::kI386 ? static_cast<uint32_t>(c.args[get ? 3 : 2])
                                                                 : c.args[get ? 3 : 2]);
  constexpr size_t kMax = 65536;  // XATTR_SIZE_MAX / XATTR_LIST_MAX
  std::string name;
  if (get) {
    const int e = read_c_string(c.tid, c.ptr_arg(1), 256, name);
    if (e != 0) return Reply::err(e == ENAMETOOLONG ? ERANGE : EFAULT);
  }
  std::vector<char> data(std::min(size, kMax));
  ssize_t n;
  if (get) {
    n = nofollow ? lgetxattr(target.c_str(), name.c_str(), data.data(), data.size())
                 : getxattr(target.c_str(), name.c_str(), data.data(), data.size());
  } else {
    n = nofollow ? llistxattr(target.c_str(), data.data(), data.size())
                 : listxattr(target.c_str(), data.data(), data.size());
  }
  if (n < 0) return Reply::err(errno);
  if (size == 0) return Reply::val(n);  // the size the caller needs
  return write_reply(c, buf, {reinterpret_cast<const std::byte*>(data.data()), static_cast<size_t>(n)}, n);
}

}  // namespace

size_t redirect_path_arg(Sysno s) { return static_cast<size_t>(path_args(s).path); }

Redirector::Lookup Redirector::match(const Syscall& call, PathScratch& scratch) const {
  Lookup out;
  if (call.sysno < Sysno::kOpen || call.sysno > Sysno::kLlistxattr) return out;
  const PathArgs where = path_args(call.sysno);
  std::string& path = scratch.path;
  if (int e = read_c_string(call.tid, call.ptr_arg(static_cast<size_t>(where.path)), PATH_MAX, path); e != 0) {
    // EFAULT, ENAMETOOLONG: the kernel reads the path again and reports the same error itself.
    out.memory_errno = e;
    return out;
  }
  out.path = path;
  if (path.empty()) return out;  // ENOENT, or AT_EMPTY_PATH on the dirfd: not a path
  if (path.front() == '/') {
    normalise_path(path, scratch.absolute);
  } else {
    // A relative path no rule can match needs no look-up of the thread's cwd or dirfd.
    if (!table_.could_match_relative(path)) return out;
    std::string& base = scratch.base;
    const int dirfd = where.dirfd < 0 ? AT_FDCWD : call.int_arg(static_cast<size_t>(where.dirfd));
    const int e = dirfd == AT_FDCWD ? thread_cwd(call.tid, base) : thread_fd_path(call.tid, dirfd, base);
    // A bad dirfd (EBADF, ENOTDIR) is the kernel's to report; a dirfd that names no path (a pipe,
    // an anonymous inode) cannot match any rule.
    if (e != 0 || base.empty() || base.front() != '/') return out;
    base += '/';
    base += path;
    normalise_path(base, scratch.absolute);
  }
  if (auto m = table_.match(scratch.absolute))
    out.redirection = Redirection{scratch.absolute, std::move(m->target), m->rule};
  return out;
}

std::optional<int> Redirector::may_block(const Syscall& call, Redirection& r) const {
  if (!is_open(call.sysno)) return std::nullopt;
  const auto args = open_args(call);
  if (!args || (args->flags & (O_NONBLOCK | O_PATH)) != 0) return std::nullopt;
  struct stat st {};
  r.type_known = true;
  r.target_type = stat(r.target.c_str(), &st) == 0 ? (st.st_mode & S_IFMT) : 0;
  const int accmode = args->flags & O_ACCMODE;
  if (accmode == O_RDWR || !S_ISFIFO(r.target_type)) return std::nullopt;  // O_RDWR never blocks on a FIFO
  return accmode;
}

Reply Redirector::act(const Syscall& call, const Redirection& r) const {
  switch (call.sysno) {
    case Sysno::kOpen:
    case Sysno::kOpenat:
    case Sysno::kOpenat2:
    case Sysno::kCreat: return act_open(call, r);
    case Sysno::kStat:
    case Sysno::kLstat:
    case Sysno::kStat64:
    case Sysno::kLstat64:
    case Sysno::kNewfstatat:
    case Sysno::kFstatat64: return act_stat(call, r.target);
    case Sysno::kStatx: return act_statx(call, r.target);
    case Sysno::kAccess:
    case Sysno::kFaccessat:
    case Sysno::kFaccessat2: return act_access(call, r.target);
    case Sysno::kReadlink:
    case Sysno::kReadlinkat: return act_readlink(call, r.target);
    case Sysno::kGetxattr:
    case Sysno::kLgetxattr:
    case Sysno::kListxattr:
    case Sysno::kLlistxattr: return act_xattr(call, r.target);
    default: return Reply::cont();
  }
}

}  // namespace sysvisor
