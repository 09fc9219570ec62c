// The syscalls the engine decodes itself, and the (arch, nr) -> Sysno map built from libseccomp's
// per-arch tables at start-up (so no syscall number is hard-coded here).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "sysvisor/call.hpp"  // Arch

namespace sysvisor {


// Path-taking calls that a redirect rule covers, plus the calls the engine refuses on its own.
enum class Sysno : uint8_t {
  kOther = 0,
  kOpen, kOpenat, kOpenat2, kCreat,
  kStat, kLstat, kNewfstatat, kStat64, kLstat64, kFstatat64, kStatx,
  kAccess, kFaccessat, kFaccessat2,
  kReadlink, kReadlinkat,
  kGetxattr, kLgetxattr, kListxattr, kLlistxattr,
  kExecve, kExecveat,
  kIoUringSetup,
  kCount,
};

std::string_view sysno_name(Sysno s);

// Every redirect-covered Sysno (open .. llistxattr).
std::vector<Sysno> redirect_syscalls();

// O(1) map from (arch, nr) to Sysno.
class SyscallMap {
 public:
  SyscallMap();
  Sysno lookup(Arch arch, int nr) const noexcept {
    const auto& table = arch == Arch::kX86_64 ? x86_64_ : i386_;
    return nr >= 0 && static_cast<size_t>(nr) < table.size() ? table[static_cast<size_t>(nr)] : Sysno::kOther;
  }
  static const SyscallMap& instance();

 private:
  std::vector<Sysno> x86_64_;
  std::vector<Sysno> i386_;
};

}  // namespace sysvisor
