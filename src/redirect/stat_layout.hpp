// Encoders for the stat-family result structs: given what statx(2) says about a file, produce the
// bytes the kernel would have written for stat/lstat/fstat/newfstatat (x86_64) or
// stat/lstat/fstat and stat64/lstat64/fstat64/fstatat64 (i386 task on an x86_64 kernel).
//
// Pure functions: no I/O, thread-safe. The statx must come from
// statx(dirfd, path, flags, STATX_BASIC_STATS, &stx) with AT_STATX_SYNC_AS_STAT (the default): that
// is the request vfs_fstatat() makes for the stat family, so the kernel's struct kstat and the
// statx answer hold the same values (cp_statx in fs/stat.c copies kstat field by field; dev/rdev
// are split with MAJOR()/MINOR() and are rebuilt here with MKDEV()).
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "sysvisor/result.hpp"

namespace sysvisor {

enum class StatLayout : uint8_t {
  // struct stat of x86_64 (arch/x86/include/uapi/asm/stat.h), 144 bytes: stat, lstat, fstat,
  // newfstatat. Written by cp_new_stat (fs/stat.c); never EOVERFLOW on a 64-bit kernel.
  kX86_64Stat,
  // struct compat_stat of i386 (arch/x86/include/asm/compat.h), 64 bytes: stat (106), lstat (107),
  // fstat (108). Written by cp_compat_stat (fs/stat.c): EOVERFLOW when st_ino >= 2^32,
  // st_nlink > 65535 or st_size > 2^31-1; uid/gid above 65535 become the overflow ids.
  kI386Stat,
  // struct stat64 of i386 (arch/x86/include/asm/ia32.h, packed), 96 bytes: stat64, lstat64,
  // fstat64, fstatat64. Written by cp_stat64 (arch/x86/kernel/sys_ia32.c) field by field, which
  // leaves the padding bytes of the caller's buffer untouched (see stat_layout_written_ranges).
  kI386Stat64,
};

// The uid/gid the kernel reports in 16-bit fields for ids above 65535: /proc/sys/kernel/overflowuid
// and overflowgid (include/linux/highuid.h, high2lowuid). Only kI386Stat uses them.
struct OverflowIds {
  static constexpr uint16_t kDefault = 65534;  // DEFAULT_OVERFLOWUID, DEFAULT_OVERFLOWGID
  uint16_t uid = kDefault;
  uint16_t gid = kDefault;
};

// A run of bytes of the result struct, relative to its start.
struct ByteRange {
  size_t offset;
  size_t size;
};

// Size in bytes of the struct for `layout`.
size_t stat_layout_size(StatLayout layout);

// The byte ranges of the caller's buffer that the kernel stores to, ascending and disjoint. All of
// the struct, except for kI386Stat64 whose padding (__pad0 at 8..12, __pad3 at 40..44) cp_stat64
// does not write. To be byte-exact, copy only these ranges of encode_stat()'s result.
std::span<const ByteRange> stat_layout_written_ranges(StatLayout layout);

// The stat_layout_size(layout) bytes the kernel would produce from `stx` (little endian; padding
// is zero), or an Error with code EOVERFLOW where the kernel returns it (only kI386Stat).
Result<std::vector<std::byte>> encode_stat(const struct statx& stx, StatLayout layout,
                                           OverflowIds overflow = {});

}  // namespace sysvisor
