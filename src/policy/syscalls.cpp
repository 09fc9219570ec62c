#include "policy/syscalls.hpp"

#include <seccomp.h>

#include <array>
#include <string>

namespace sysvisor {
namespace {

constexpr std::array<std::string_view, static_cast<size_t>(Sysno::kCount)> kNames = {
    "?",         "open",     "openat",     "openat2",    "creat",      "stat",      "lstat",
    "newfstatat", "stat64",  "lstat64",    "fstatat64",  "statx",      "access",    "faccessat",
    "faccessat2", "readlink", "readlinkat", "getxattr",  "lgetxattr",  "listxattr", "llistxattr",
    "execve",     "execveat", "io_uring_setup",
};

std::vector<Sysno> build(uint32_t arch) {
  std::vector<Sysno> table(1024, Sysno::kOther);
  for (size_t i = 1; i < kNames.size(); ++i) {
    const int nr = seccomp_syscall_resolve_name_arch(arch, std::string(kNames[i]).c_str());
    if (nr >= 0 && static_cast<size_t>(nr) < table.size()) table[static_cast<size_t>(nr)] = static_cast<Sysno>(i);
  }
  return table;
}

}  // namespace

std::string_view sysno_name(Sysno s) { return kNames[static_cast<size_t>(s)]; }

std::vector<Sysno> redirect_syscalls() {
  std::vector<Sysno> out;
  for (auto s = static_cast<uint8_t>(Sysno::kOpen); s <= static_cast<uint8_t>(Sysno::kLlistxattr); ++s)
    out.push_back(static_cast<Sysno>(s));
  return out;
}

SyscallMap::SyscallMap() : x86_64_(build(SCMP_ARCH_X86_64)), i386_(build(SCMP_ARCH_X86)) {}

const SyscallMap& SyscallMap::instance() {
  static const SyscallMap map;
  return map;
}

}  // namespace sysvisor
