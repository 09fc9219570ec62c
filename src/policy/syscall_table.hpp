// The syscall table: the only place that maps (personality, number) to a syscall. Per entry:
// strace 6.1's name and class flags (%file, %desc, …), the Sysno the engine acts on, and the
// shape of its arguments (syscall_shape.hpp); strace's i386 socketcall/ipc pseudo numbers; and
// which arguments strace's path tracing (-P) tests. Numbers come from libseccomp; only names,
// flags and shapes are kept here.
//
// How the data were obtained (see tests/unit/test_syscall_table.cpp): a probe program called
// every syscall number 0..599 under a seccomp filter that fails them with ENOSYS, run under
// `strace -f -n -e raw=all -e trace=CLASS` for each class and personality (64 and -m32); the
// names strace printed and the classes that selected them make the table. x32 names are those
// strace 6.1 accepts as NAME@x32. Path arguments come from the same probe under -P PATH,
// passing PATH or a descriptor opened on it in each argument position in turn.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "policy/syscall_shape.hpp"
#include "sysvisor/call.hpp"  // Arch
#include "sysvisor/inject.hpp"

namespace sysvisor {

// Class flags (strace's TRACE_* bits as its syscallent shorthands TD, TF, … set them).
namespace syscall_class {
inline constexpr uint32_t kDesc = 1u << 0;         // TD  %desc
inline constexpr uint32_t kFile = 1u << 1;         // TF  %file
inline constexpr uint32_t kIpc = 1u << 2;          // TI  %ipc
inline constexpr uint32_t kNetwork = 1u << 3;      // TN  %network, %net
inline constexpr uint32_t kProcess = 1u << 4;      // TP  %process
inline constexpr uint32_t kSignal = 1u << 5;       // TS  %signal
inline constexpr uint32_t kMemory = 1u << 6;       // TM  %memory
inline constexpr uint32_t kCreds = 1u << 7;        // TC  %creds
inline constexpr uint32_t kClock = 1u << 8;        // TCL %clock
inline constexpr uint32_t kPure = 1u << 9;         // PU  %pure
inline constexpr uint32_t kStat = 1u << 10;        // TST %stat
inline constexpr uint32_t kLstat = 1u << 11;       // TLST %lstat
inline constexpr uint32_t kFstat = 1u << 12;       // TFST %fstat
inline constexpr uint32_t kStatLike = 1u << 13;    // TSTA %%stat
inline constexpr uint32_t kStatfs = 1u << 14;      // TSF %statfs
inline constexpr uint32_t kFstatfs = 1u << 15;     // TFSF %fstatfs
inline constexpr uint32_t kStatfsLike = 1u << 16;  // TSFA %%statfs
}  // namespace syscall_class

// Class name as written in a SET (with or without %, as strace 6.1 accepts) -> flags; "all"
// maps to 0 (every named syscall). nullopt if not a class name.
std::optional<uint32_t> syscall_class_by_name(std::string_view name);

// strace keeps i386 socketcall(2)/ipc(2) subcalls at these pseudo numbers: base + call.
inline constexpr int kI386SocketSubcallBase = 500;
inline constexpr int kI386IpcSubcallBase = 521;
// The two multiplexers' real i386 numbers.
inline constexpr int kI386Socketcall = 102;
inline constexpr int kI386Ipc = 117;

// The number strace 6.1 keys an i386 socketcall/ipc call under, when it decodes the subcall.
struct Subcall {
  int nr = -1;                 // pseudo number (kI386*SubcallBase + call)
  uint32_t args_in_memory = 0; // socketcall: strace only decodes (and so only matches the
                               // subcall) if this many bytes at arg1 are readable; 0 for ipc
};

// i386 socketcall(call, args) with 1 <= call <= 20, or ipc(call, …) with call (low 16 bits when
// a version is in the high ones) one of 1-4, 11-14, 21-24: the pseudo number; nullopt otherwise
// (strace then keys the call under socketcall/ipc itself).
std::optional<Subcall> i386_subcall(int nr, uint64_t arg0) noexcept;

// One syscall strace 6.1 knows in a personality.
struct SyscallEntry {
  std::string_view name;  // strace's name
  uint32_t flags = 0;     // syscall_class bits
  bool pseudo = false;    // an i386 socketcall/ipc pseudo number (not a number token)
  Sysno sysno = Sysno::kOther;      // what the engine knows it as
  const ArgShape* shape = nullptr;  // its arguments, where it takes a path, sockaddr or msghdr
};

inline Personality personality_of(Arch arch) noexcept {
  return arch == Arch::kX86_64 ? Personality::kX86_64 : Personality::kI386;
}
inline Arch arch_of(Personality p) noexcept { return p == Personality::kX86_64 ? Arch::kX86_64 : Arch::kI386; }

// Per-personality tables, built once from libseccomp's numbering. Thread-safe after instance().
class SyscallTable {
 public:
  // The process-wide table.
  static const SyscallTable& instance();

  // The entry at (p, nr), or nullptr where strace 6.1 has no syscall (never injected there).
  const SyscallEntry* entry(Personality p, int nr) const noexcept;
  // The Sysno of the real syscall (arch, nr): O(1), kOther for anything the engine does not act on.
  Sysno sysno(Arch arch, int nr) const noexcept {
    const SyscallEntry* e = entry(personality_of(arch), nr);
    return e != nullptr && !e->pseudo ? e->sysno : Sysno::kOther;
  }
  // The real numbers of `s` in `p` (one, or none where p lacks it).
  std::vector<int> numbers_of(Personality p, Sysno s) const;
  // Every number with an entry in p, ascending (pseudo numbers included).
  std::span<const int> numbers(Personality p) const noexcept;
  // Numbers in p named `name` (i386 "socket" -> 359 and its pseudo number 501).
  std::vector<int> numbers_named(Personality p, std::string_view name) const;
  // True if the bare number `nr` is a valid token for p (pseudo numbers are not).
  bool number_valid(Personality p, int nr) const noexcept;
  // True if strace 6.1's x32 table has `name` (such names are accepted but never match).
  static bool x32_has_name(std::string_view name) noexcept;
  // True if strace 6.1's x32 table has the number `nr`.
  static bool x32_has_number(int nr) noexcept;
  // Every syscall name strace 6.1 knows in x32 (for /REGEX over that personality).
  static std::span<const std::string_view> x32_names() noexcept;

 private:
  SyscallTable();
  std::array<std::array<SyscallEntry, kSyscallNrLimit>, kPersonalityCount> entries_{};
  std::array<std::array<bool, kSyscallNrLimit>, kPersonalityCount> present_{};
  std::array<std::vector<int>, kPersonalityCount> numbers_;
};

// What strace 6.1's path tracing (-P) tests for a call.
enum class ArgKind : uint8_t {
  kNone,  // not tested
  kPath,  // a pathname pointer: matched as a raw string against each -P path and its realpath
  kFd,    // a descriptor (dirfds too): matched by /proc/PID/fd/N; negative (AT_FDCWD) never
};

// The shape of the test.
enum class PathShape : uint8_t {
  kNever,     // not %file, %desc or %network, or no descriptor/path argument: never matches
  kArgs,      // the kinds in PathArgs::args
  kSelect,    // select/pselect6: nfds = arg0, fd_set pointers at args 1..3 (null skipped)
  kOldSelect, // i386 select(82): the five select arguments are an array at arg0
  kPoll,      // poll/ppoll: struct pollfd array at arg0, count arg1 (capped at 1048576)
  kOldMmap,   // i386 mmap(90): six-word array at arg0, descriptor is word 4
  kFsconfig,  // fsconfig: cmd = arg1; 3,4 (SET_PATH[_EMPTY]): path arg3, fd arg4; 5 (SET_FD): fd arg4
};

// Which arguments -P tests for one syscall (for i386 socketcall pseudo numbers: the words
// decoded from arg1's array).
struct PathArgs {
  PathShape shape = PathShape::kNever;
  std::array<ArgKind, 6> args{};  // for kArgs
  // Equality.
  bool operator==(const PathArgs&) const = default;
};

// Path-tracing description of syscall nr in personality p (kNever for unknown numbers).
PathArgs path_args(Personality p, int nr);

}  // namespace sysvisor
