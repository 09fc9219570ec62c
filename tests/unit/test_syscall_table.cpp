// strace 6.1 syscall table: names, numbers, classes, i386 subcalls and -P argument kinds.
//
// Every expectation here was read off the strace 6.1 binary on x86_64 (not off its sources):
// a probe program called each syscall number 0..599 (and i386 socketcall/ipc with call numbers
// 0..29) under a seccomp filter failing them with ENOSYS, traced with
//   strace -f -n -e raw=all -e trace=CLASS PROBE          (64-bit and -m32 builds)
// and, for path arguments, with -P FILE while passing FILE's name or a descriptor open on it in
// each argument position in turn. Number validity: `strace -e trace=NR@64|32|x32 true`.
#include <doctest/doctest.h>

#include <map>
#include <sstream>
#include <string>

#include "policy/syscall_table.hpp"

using sysvisor::ArgKind;
using sysvisor::i386_subcall;
using sysvisor::path_args;
using sysvisor::PathShape;
using sysvisor::Personality;
using sysvisor::SyscallTable;
using sysvisor::ArgRole;
using sysvisor::ArgShape;
using sysvisor::Arch;
using sysvisor::PathArgs;
using sysvisor::Sysno;
using sysvisor::SyscallEntry;
using sysvisor::redirect_covers;
using sysvisor::sysno_name;
namespace cls = sysvisor::syscall_class;

namespace {

constexpr Personality k64 = Personality::kX86_64;
constexpr Personality k32 = Personality::kI386;

std::string name_at(Personality p, int nr) {
  const auto* e = SyscallTable::instance().entry(p, nr);
  return e ? std::string(e->name) : std::string("<none>");
}

uint32_t flags_of(Personality p, std::string_view name) {
  const auto nrs = SyscallTable::instance().numbers_named(p, name);
  REQUIRE_FALSE(nrs.empty());
  return SyscallTable::instance().entry(p, nrs.front())->flags;
}

}  // namespace

TEST_CASE("syscall table: strace 6.1 knows 362 x86_64 and 440 i386 numbers") {
  const auto& t = SyscallTable::instance();
  CHECK(t.numbers(k64).size() == 362);
  // 440 real numbers plus 20 socketcall and 12 ipc pseudo numbers.
  CHECK(t.numbers(k32).size() == 472);
  int real32 = 0;
  for (const int nr : t.numbers(k32)) real32 += t.number_valid(k32, nr) ? 1 : 0;
  CHECK(real32 == 440);
  // Valid ranges as `strace -e trace=NR@64` / `NR@32` accept them.
  for (int nr = 0; nr <= 600; ++nr) {
    const bool v64 = (nr <= 334) || (nr >= 424 && nr <= 450);
    const bool v32 = (nr <= 221) || (nr >= 224 && nr <= 250) || (nr >= 252 && nr <= 284) ||
                     (nr >= 286 && nr <= 386) || (nr >= 393 && nr <= 414) || (nr >= 416 && nr <= 450);
    CHECK_MESSAGE(t.number_valid(k64, nr) == v64, "x86_64 nr ", nr);
    CHECK_MESSAGE(t.number_valid(k32, nr) == v32, "i386 nr ", nr);
  }
}

TEST_CASE("syscall table: names per personality") {
  CHECK(name_at(k64, 0) == "read");
  CHECK(name_at(k64, 2) == "open");
  CHECK(name_at(k64, 4) == "stat");
  CHECK(name_at(k64, 102) == "getuid");
  CHECK(name_at(k64, 257) == "openat");
  CHECK(name_at(k64, 334) == "rseq");
  CHECK(name_at(k64, 335) == "<none>");  // uretprobe on newer kernels: unknown to strace 6.1
  CHECK(name_at(k64, 424) == "pidfd_send_signal");
  CHECK(name_at(k64, 450) == "set_mempolicy_home_node");
  CHECK(name_at(k64, 451) == "<none>");  // cachestat: newer than strace 6.1
  CHECK(name_at(k32, 0) == "restart_syscall");
  CHECK(name_at(k32, 5) == "open");
  CHECK(name_at(k32, 90) == "mmap");     // old_mmap, as strace names it
  CHECK(name_at(k32, 102) == "socketcall");
  CHECK(name_at(k32, 117) == "ipc");
  CHECK(name_at(k32, 192) == "mmap2");
  CHECK(name_at(k32, 195) == "stat64");
  CHECK(name_at(k32, 359) == "socket");
  CHECK(name_at(k32, 222) == "<none>");
  CHECK(name_at(k32, 415) == "<none>");
  // i386 pseudo numbers for decoded socketcall/ipc subcalls.
  CHECK(name_at(k32, 500) == "<none>");
  CHECK(name_at(k32, 501) == "socket");
  CHECK(name_at(k32, 509) == "send");
  CHECK(name_at(k32, 510) == "recv");
  CHECK(name_at(k32, 520) == "sendmmsg");
  CHECK(name_at(k32, 521) == "<none>");
  CHECK(name_at(k32, 522) == "semop");
  CHECK(name_at(k32, 525) == "semtimedop");
  CHECK(name_at(k32, 526) == "<none>");
  CHECK(name_at(k32, 532) == "msgsnd");
  CHECK(name_at(k32, 542) == "shmat");
  CHECK(name_at(k32, 545) == "shmctl");
  CHECK(name_at(k32, 546) == "<none>");
  CHECK_FALSE(SyscallTable::instance().number_valid(k32, 501));
  CHECK(SyscallTable::instance().numbers_named(k32, "socket") == std::vector<int>{359, 501});
  CHECK(SyscallTable::instance().numbers_named(k64, "send").empty());
  CHECK(SyscallTable::instance().numbers_named(k32, "accept") == std::vector<int>{505});
}

TEST_CASE("syscall table: class flags as strace 6.1 selects them") {
  CHECK(flags_of(k64, "open") == (cls::kDesc | cls::kFile));
  CHECK(flags_of(k64, "stat") == (cls::kFile | cls::kStat | cls::kStatLike));
  CHECK(flags_of(k64, "lstat") == (cls::kFile | cls::kLstat | cls::kStatLike));
  CHECK(flags_of(k64, "fstat") == (cls::kDesc | cls::kFstat | cls::kStatLike));
  CHECK(flags_of(k64, "newfstatat") == (cls::kDesc | cls::kFile | cls::kFstat | cls::kStatLike));
  CHECK(flags_of(k64, "statx") == (cls::kDesc | cls::kFile | cls::kFstat | cls::kStatLike));
  CHECK(flags_of(k32, "oldstat") == (cls::kFile | cls::kStat | cls::kStatLike));
  CHECK(flags_of(k32, "fstatat64") == (cls::kDesc | cls::kFile | cls::kFstat | cls::kStatLike));
  CHECK(flags_of(k64, "statfs") == (cls::kFile | cls::kStatfs | cls::kStatfsLike));
  CHECK(flags_of(k64, "fstatfs") == (cls::kDesc | cls::kFstatfs | cls::kStatfsLike));
  CHECK(flags_of(k64, "ustat") == cls::kStatfsLike);
  CHECK(flags_of(k64, "getpid") == cls::kPure);
  CHECK(flags_of(k64, "getuid") == (cls::kCreds | cls::kPure));
  CHECK(flags_of(k64, "gettid") == cls::kPure);
  CHECK(flags_of(k64, "prctl") == cls::kCreds);
  CHECK(flags_of(k64, "clock_gettime") == cls::kClock);
  CHECK(flags_of(k64, "time") == cls::kClock);
  CHECK(flags_of(k64, "nanosleep") == 0);
  CHECK(flags_of(k64, "kill") == (cls::kProcess | cls::kSignal));
  CHECK(flags_of(k64, "pidfd_send_signal") == (cls::kDesc | cls::kProcess | cls::kSignal));
  CHECK(flags_of(k64, "execve") == (cls::kFile | cls::kProcess));
  CHECK(flags_of(k64, "execveat") == (cls::kDesc | cls::kFile | cls::kProcess));
  CHECK(flags_of(k64, "mmap") == (cls::kDesc | cls::kMemory));
  CHECK(flags_of(k64, "shmat") == (cls::kIpc | cls::kMemory));
  CHECK(flags_of(k64, "io_uring_register") == (cls::kDesc | cls::kMemory));
  CHECK(flags_of(k64, "io_uring_enter") == (cls::kDesc | cls::kSignal));
  CHECK(flags_of(k64, "sendfile") == (cls::kDesc | cls::kNetwork));
  CHECK(flags_of(k64, "socket") == cls::kNetwork);
  CHECK(flags_of(k64, "rt_sigreturn") == cls::kSignal);
  CHECK(flags_of(k64, "ioctl") == cls::kDesc);
  CHECK(flags_of(k64, "getcwd") == cls::kFile);
  CHECK(flags_of(k64, "uname") == 0);
  CHECK(flags_of(k32, "socketcall") == cls::kDesc);
  CHECK(flags_of(k32, "ipc") == cls::kIpc);
  CHECK(flags_of(k32, "send") == cls::kNetwork);
  CHECK(flags_of(k32, "getuid32") == (cls::kCreds | cls::kPure));
  // A name's flags are the same in both personalities.
  for (const int nr : SyscallTable::instance().numbers(k64)) {
    const auto* e = SyscallTable::instance().entry(k64, nr);
    for (const int nr32 : SyscallTable::instance().numbers_named(k32, e->name)) {
      CHECK_MESSAGE(SyscallTable::instance().entry(k32, nr32)->flags == e->flags, e->name);
    }
  }
}

TEST_CASE("syscall table: class names strace 6.1 accepts") {
  using sysvisor::syscall_class_by_name;
  CHECK(syscall_class_by_name("%file") == cls::kFile);
  CHECK(syscall_class_by_name("file") == cls::kFile);
  CHECK(syscall_class_by_name("%net") == cls::kNetwork);
  CHECK(syscall_class_by_name("%network") == cls::kNetwork);
  CHECK(syscall_class_by_name("network") == cls::kNetwork);
  CHECK(syscall_class_by_name("%%stat") == cls::kStatLike);
  CHECK(syscall_class_by_name("%%statfs") == cls::kStatfsLike);
  CHECK(syscall_class_by_name("all") == 0u);
  // Not classes in strace 6.1: the legacy names exist only for desc..network.
  CHECK_FALSE(syscall_class_by_name("net"));
  CHECK_FALSE(syscall_class_by_name("creds"));
  CHECK_FALSE(syscall_class_by_name("clock"));
  CHECK_FALSE(syscall_class_by_name("pure"));
  CHECK_FALSE(syscall_class_by_name("stat"));
  CHECK_FALSE(syscall_class_by_name("%all"));
  CHECK_FALSE(syscall_class_by_name("%FILE"));
  CHECK_FALSE(syscall_class_by_name("%%file"));
}

TEST_CASE("syscall table: x32 names and numbers are known but separate") {
  CHECK(SyscallTable::x32_has_name("ioctl#64"));
  CHECK(SyscallTable::x32_has_name("rt_sigaction#64"));
  CHECK(SyscallTable::x32_has_name("rt_sigaction"));
  CHECK(SyscallTable::x32_has_name("kexec_load"));
  CHECK_FALSE(SyscallTable::x32_has_name("uselib"));
  CHECK_FALSE(SyscallTable::x32_has_name("vserver"));
  CHECK_FALSE(SyscallTable::x32_has_name("send"));
  CHECK(SyscallTable::x32_names().size() == 400);
  CHECK(SyscallTable::instance().numbers_named(k64, "ioctl#64").empty());
  CHECK(SyscallTable::x32_has_number(0));
  CHECK(SyscallTable::x32_has_number(334));
  CHECK_FALSE(SyscallTable::x32_has_number(335));
  CHECK_FALSE(SyscallTable::x32_has_number(423));
  CHECK(SyscallTable::x32_has_number(424));
  CHECK(SyscallTable::x32_has_number(450));
  CHECK_FALSE(SyscallTable::x32_has_number(451));
  CHECK_FALSE(SyscallTable::x32_has_number(511));
  CHECK(SyscallTable::x32_has_number(512));
  CHECK(SyscallTable::x32_has_number(547));
  CHECK_FALSE(SyscallTable::x32_has_number(548));
  CHECK_FALSE(SyscallTable::x32_has_number(-1));
}

TEST_CASE("i386_subcall: socketcall calls 1..20 and the ipc calls strace decodes") {
  // socketcall: argument word counts strace reads from arg1 (4 bytes each).
  const uint32_t words[21] = {0, 3, 3, 3, 2, 3, 3, 3, 4, 4, 4, 6, 6, 2, 5, 5, 3, 3, 4, 5, 4};
  for (int call = -2; call <= 25; ++call) {
    const auto s = i386_subcall(102, static_cast<uint64_t>(static_cast<uint32_t>(call)));
    if (call >= 1 && call <= 20) {
      REQUIRE(s);
      CHECK(s->nr == 500 + call);
      CHECK(s->args_in_memory == words[call] * 4);
    } else {
      CHECK_MESSAGE(!s, "call ", call);
    }
  }
  // The high half of arg0 is not part of a socketcall call number (it is an int).
  REQUIRE(i386_subcall(102, 0x100000001ull));
  CHECK(i386_subcall(102, 0x100000001ull)->nr == 501);
  for (uint32_t call = 0; call <= 30; ++call) {
    const bool known = (call >= 1 && call <= 4) || (call >= 11 && call <= 14) || (call >= 21 && call <= 24);
    const auto s = i386_subcall(117, call);
    CHECK_MESSAGE(s.has_value() == known, "ipc call ", call);
    if (s) {
      CHECK(s->nr == 521 + static_cast<int>(call));
      CHECK(s->args_in_memory == 0);
    }
    // A version in the high 16 bits is dropped (IPC_64 and friends).
    const auto v = i386_subcall(117, (1u << 16) | call);
    CHECK(v.has_value() == known);
  }
  CHECK_FALSE(i386_subcall(117, 0x10000u));  // version 1, call 0
  CHECK_FALSE(i386_subcall(101, 1));
  CHECK_FALSE(i386_subcall(359, 1));
}

namespace {

// strace 6.1's -P behaviour for every syscall whose arguments it tests in registers, observed
// as described at the top of this file: "name=0f1p" = arg0 a descriptor, arg1 a path.
const char* const kPathArgs64 =
    "access=0p acct=0p bind=0f chdir=0p chmod=0p chown=0p chroot=0p close=0f connect=0f "
    "copy_file_range=0f2f creat=0p dup=0f dup2=0f1f dup3=0f1f epoll_ctl=2f epoll_pwait=0f "
    "epoll_pwait2=0f epoll_wait=0f execve=0p execveat=0f1p faccessat=0f1p faccessat2=0f1p "
    "fadvise64=0f fallocate=0f fanotify_mark=3f4p fchdir=0f fchmod=0f fchmodat=0f1p fchown=0f "
    "fchownat=0f1p fcntl=0f fdatasync=0f fgetxattr=0f finit_module=0f flistxattr=0f flock=0f "
    "fremovexattr=0f fsetxattr=0f fspick=0f1p fstat=0f fstatfs=0f fsync=0f ftruncate=0f "
    "futimesat=0f1p getcwd=0p getdents=0f getdents64=0f getpeername=0f getpmsg=0f getsockname=0f "
    "getsockopt=0f getxattr=0p inotify_add_watch=0f1p inotify_rm_watch=0f ioctl=0f "
    "kexec_file_load=0f1f lchown=0p lgetxattr=0p link=0p1p linkat=0f1p2f3p listen=0f "
    "listxattr=0p llistxattr=0p lremovexattr=0p lseek=0f lsetxattr=0p lstat=0p mkdir=0p "
    "mkdirat=0f1p mknod=0p mknodat=0f1p mmap=4f mount=0p1p mount_setattr=0f1p "
    "move_mount=0f1p2f3p name_to_handle_at=0f1p newfstatat=0f1p open=0p open_by_handle_at=0f "
    "open_tree=0f1p openat=0f1p openat2=0f1p pidfd_getfd=0f pidfd_send_signal=0f pivot_root=0p1p "
    "pread64=0f preadv=0f preadv2=0f process_madvise=0f process_mrelease=0f putpmsg=0f "
    "pwrite64=0f pwritev=0f pwritev2=0f quotactl=1p quotactl_fd=0f read=0f readahead=0f "
    "readlink=0p readlinkat=0f1p readv=0f recvfrom=0f recvmmsg=0f recvmsg=0f removexattr=0p "
    "rename=0p renameat=0f1p2f3p renameat2=0f1p2f3p rmdir=0p sendfile=0f1f sendmmsg=0f "
    "sendmsg=0f sendto=0f setns=0f setsockopt=0f setxattr=0p shutdown=0f splice=0f2f stat=0p "
    "statfs=0p statx=0f1p swapoff=0p swapon=0p symlink=1p symlinkat=1f2p sync_file_range=0f "
    "syncfs=0f tee=0f1f truncate=0p umount2=0p unlink=0p unlinkat=0f1p uselib=0p utime=0p "
    "utimensat=0f1p utimes=0p vmsplice=0f write=0f writev=0f ";
const char* const kPathArgs32 =
    "_llseek=0f access=0p acct=0p bind=0f chdir=0p chmod=0p chown=0p chown32=0p chroot=0p "
    "close=0f connect=0f copy_file_range=0f2f creat=0p dup=0f dup2=0f1f dup3=0f1f epoll_ctl=2f "
    "epoll_pwait=0f epoll_pwait2=0f epoll_wait=0f execve=0p execveat=0f1p faccessat=0f1p "
    "faccessat2=0f1p fadvise64=0f fadvise64_64=0f fallocate=0f fanotify_mark=4f5p fchdir=0f "
    "fchmod=0f fchmodat=0f1p fchown=0f fchown32=0f fchownat=0f1p fcntl=0f fcntl64=0f "
    "fdatasync=0f fgetxattr=0f finit_module=0f flistxattr=0f flock=0f fremovexattr=0f "
    "fsetxattr=0f fspick=0f1p fstat=0f fstat64=0f fstatat64=0f1p fstatfs=0f fstatfs64=0f "
    "fsync=0f ftruncate=0f ftruncate64=0f futimesat=0f1p getcwd=0p getdents=0f getdents64=0f "
    "getpeername=0f getpmsg=0f getsockname=0f getsockopt=0f getxattr=0p inotify_add_watch=0f1p "
    "inotify_rm_watch=0f ioctl=0f lchown=0p lchown32=0p lgetxattr=0p link=0p1p linkat=0f1p2f3p "
    "listen=0f listxattr=0p llistxattr=0p lremovexattr=0p lseek=0f lsetxattr=0p lstat=0p "
    "lstat64=0p mkdir=0p mkdirat=0f1p mknod=0p mknodat=0f1p mmap2=4f mount=0p1p "
    "mount_setattr=0f1p move_mount=0f1p2f3p name_to_handle_at=0f1p oldfstat=0f oldlstat=0p "
    "oldstat=0p open=0p open_by_handle_at=0f open_tree=0f1p openat=0f1p openat2=0f1p "
    "pidfd_getfd=0f pidfd_send_signal=0f pivot_root=0p1p pread64=0f preadv=0f preadv2=0f "
    "process_madvise=0f process_mrelease=0f putpmsg=0f pwrite64=0f pwritev=0f pwritev2=0f "
    "quotactl=1p quotactl_fd=0f read=0f readahead=0f readdir=0f readlink=0p readlinkat=0f1p "
    "readv=0f recvfrom=0f recvmmsg=0f recvmmsg_time64=0f recvmsg=0f removexattr=0p rename=0p "
    "renameat=0f1p2f3p renameat2=0f1p2f3p rmdir=0p sendfile=0f1f sendfile64=0f1f sendmmsg=0f "
    "sendmsg=0f sendto=0f setns=0f setsockopt=0f setxattr=0p shutdown=0f socketcall=0f "
    "splice=0f2f stat=0p stat64=0p statfs=0p statfs64=0p statx=0f1p swapoff=0p swapon=0p "
    "symlink=1p symlinkat=1f2p sync_file_range=0f syncfs=0f tee=0f1f truncate=0p truncate64=0p "
    "umount=0p umount2=0p unlink=0p unlinkat=0f1p uselib=0p utime=0p utimensat=0f1p "
    "utimensat_time64=0f1p utimes=0p vmsplice=0f write=0f writev=0f ";

std::map<std::string, std::string> parse_expectations(const char* text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string item;
  while (in >> item) {
    const auto eq = item.find('=');
    out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

std::string encode(const sysvisor::PathArgs& a) {
  std::string s;
  for (size_t i = 0; i < a.args.size(); ++i) {
    if (a.args[i] == ArgKind::kPath) s += std::to_string(i) + "p";
    if (a.args[i] == ArgKind::kFd) s += std::to_string(i) + "f";
  }
  return s;
}

void check_path_args(Personality p, const char* text) {
  const auto expected = parse_expectations(text);
  int args_shapes = 0;
  for (const int nr : SyscallTable::instance().numbers(p)) {
    const auto* e = SyscallTable::instance().entry(p, nr);
    if (e->pseudo) continue;
    const auto a = path_args(p, nr);
    const std::string name(e->name);
    const auto it = expected.find(name);
    if (a.shape == PathShape::kArgs) {
      ++args_shapes;
      CHECK_MESSAGE(it != expected.end(), name, " tested by us, never matched by strace");
      if (it != expected.end()) CHECK_MESSAGE(encode(a) == it->second, name);
    } else {
      CHECK_MESSAGE(it == expected.end(), name, " matched by strace, not by us");
    }
  }
  CHECK(args_shapes == static_cast<int>(expected.size()));
}

}  // namespace

TEST_CASE("path_args: every register-argument syscall as strace 6.1 -P matches it") {
  check_path_args(k64, kPathArgs64);
  check_path_args(k32, kPathArgs32);
}

TEST_CASE("path_args: shapes that read memory, and calls never matched") {
  const auto& t = SyscallTable::instance();
  auto shape = [&](Personality p, std::string_view name) {
    return path_args(p, t.numbers_named(p, name).front()).shape;
  };
  CHECK(shape(k64, "select") == PathShape::kSelect);
  CHECK(shape(k64, "pselect6") == PathShape::kSelect);
  CHECK(shape(k32, "_newselect") == PathShape::kSelect);
  CHECK(shape(k32, "pselect6_time64") == PathShape::kSelect);
  CHECK(shape(k32, "select") == PathShape::kOldSelect);
  CHECK(shape(k64, "poll") == PathShape::kPoll);
  CHECK(shape(k64, "ppoll") == PathShape::kPoll);
  CHECK(shape(k32, "ppoll_time64") == PathShape::kPoll);
  CHECK(shape(k32, "mmap") == PathShape::kOldMmap);
  CHECK(shape(k64, "fsconfig") == PathShape::kFsconfig);
  for (const char* name : {"socket", "socketpair", "accept", "accept4", "pipe2", "eventfd2", "memfd_create", "getpid",
                           "nanosleep", "mq_unlink", "openat2"}) {
    const auto a = path_args(k64, t.numbers_named(k64, name).front());
    CHECK_MESSAGE((a.shape == PathShape::kNever) == (std::string_view(name) != "openat2"), name);
  }
  CHECK(path_args(k64, 9999).shape == PathShape::kNever);
  CHECK(path_args(k64, -1).shape == PathShape::kNever);
  // i386 socketcall pseudo numbers: decoded words; bind tests word 0, socket and accept
  // nothing, ipc never.
  CHECK(encode(path_args(k32, 502)) == "0f");
  CHECK(path_args(k32, 501).shape == PathShape::kNever);
  CHECK(path_args(k32, 505).shape == PathShape::kNever);
  CHECK(path_args(k32, 542).shape == PathShape::kNever);
}

// The argument shapes (policy/syscall_shapes.cpp, written from the kernel's SYSCALL_DEFINEs) and
// strace's path tracing (probed from the strace binary) were derived independently: where strace
// tests a path argument, the shape has one there; where the shape has a dirfd, strace tests a
// descriptor. And every syscall strace sees a path in has a shape. strace's own slips: it reads
// getcwd's out buffer as a path (its %file fallback), and tests only the first path of rename.
TEST_CASE("argument shapes agree with strace's path tracing and cover every path-taking syscall") {
  const SyscallTable& table = SyscallTable::instance();
  for (const Personality p : {Personality::kX86_64, Personality::kI386}) {
    for (const int nr : table.numbers(p)) {
      const SyscallEntry* e = table.entry(p, nr);
      const PathArgs trace = path_args(p, nr);
      CAPTURE(std::string(e->name));
      CAPTURE(static_cast<int>(p));
      bool strace_path = false;
      for (size_t i = 0; trace.shape == PathShape::kArgs && i < 6; ++i) strace_path |= trace.args[i] == ArgKind::kPath;
      if (e->shape == nullptr) {
        CHECK_MESSAGE(!strace_path, "strace sees a path in a syscall with no shape");
        continue;
      }
      if (trace.shape != PathShape::kArgs) continue;
      for (size_t i = 0; i < 6; ++i) {
        CAPTURE(i);
        const ArgRole role = e->shape->args[i];
        if (trace.args[i] == ArgKind::kPath && e->name != "getcwd") CHECK(role == ArgRole::kPath);
        if (role == ArgRole::kPath && e->name != "rename") CHECK(trace.args[i] == ArgKind::kPath);
        if (role == ArgRole::kDirfd) CHECK(trace.args[i] == ArgKind::kFd);
      }
    }
  }
}

TEST_CASE("every Sysno the engine acts on has one number per personality it exists in, and a shape") {
  const SyscallTable& table = SyscallTable::instance();
  for (auto s = static_cast<uint8_t>(Sysno::kOpen); s < static_cast<uint8_t>(Sysno::kCount); ++s) {
    const auto sysno = static_cast<Sysno>(s);
    CAPTURE(std::string(sysno_name(sysno)));
    const auto n64 = table.numbers_of(Personality::kX86_64, sysno);
    const auto n32 = table.numbers_of(Personality::kI386, sysno);
    CHECK(n64.size() + n32.size() >= 1);
    CHECK(n64.size() <= 1);
    CHECK(n32.size() <= 1);
    for (const int nr : n64) CHECK(table.sysno(Arch::kX86_64, nr) == sysno);
    for (const int nr : n32) CHECK(table.sysno(Arch::kI386, nr) == sysno);
    if (redirect_covers(sysno)) {
      for (const int nr : n64) CHECK(table.entry(Personality::kX86_64, nr)->shape != nullptr);
      for (const int nr : n32) CHECK(table.entry(Personality::kI386, nr)->shape != nullptr);
    }
  }
  // Both architectures' numbers differ and the table knows each by its own.
  CHECK(table.sysno(Arch::kX86_64, 257) == Sysno::kOpenat);
  CHECK(table.sysno(Arch::kI386, 295) == Sysno::kOpenat);
  CHECK(table.sysno(Arch::kI386, 257) == Sysno::kOther);  // i386 257 is remap_file_pages
  CHECK(table.sysno(Arch::kX86_64, 2) == Sysno::kOpen);
  CHECK(table.sysno(Arch::kI386, 2) == Sysno::kOther);  // i386 2 is fork
}

TEST_CASE("two-path calls name both paths with their dirfds") {
  const SyscallTable& table = SyscallTable::instance();
  auto shape = [&](Personality p, const char* name) {
    for (const int nr : table.numbers_named(p, name))
      if (!table.entry(p, nr)->pseudo) return table.entry(p, nr)->shape;
    return static_cast<const ArgShape*>(nullptr);
  };
  const ArgShape* renameat2 = shape(Personality::kX86_64, "renameat2");
  REQUIRE(renameat2 != nullptr);
  CHECK(renameat2->paths()[0].path == 1);
  CHECK(renameat2->paths()[0].dirfd == 0);
  CHECK(renameat2->paths()[1].path == 3);
  CHECK(renameat2->paths()[1].dirfd == 2);
  CHECK(renameat2->find(ArgRole::kRenameFlags) == 4);
  const ArgShape* symlinkat = shape(Personality::kI386, "symlinkat");
  REQUIRE(symlinkat != nullptr);
  CHECK(symlinkat->paths()[0].path == 2);
  CHECK(symlinkat->paths()[0].dirfd == 1);
  CHECK(symlinkat->paths()[1].path == -1);
  CHECK(symlinkat->args[0] == ArgRole::kLinkBody);
  const ArgShape* link = shape(Personality::kX86_64, "link");
  REQUIRE(link != nullptr);
  CHECK(link->paths()[1].path == 1);
  CHECK(link->paths()[1].dirfd == -1);
  // fanotify_mark's 64-bit mask takes two registers on i386.
  CHECK(shape(Personality::kI386, "fanotify_mark")->paths()[0].path == 5);
  CHECK(shape(Personality::kX86_64, "fanotify_mark")->paths()[0].path == 4);
}
