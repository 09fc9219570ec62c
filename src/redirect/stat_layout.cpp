#include "redirect/stat_layout.hpp"

#include <array>
#include <bit>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <string>
#include <type_traits>

namespace sysvisor {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the encoders store host integers as x86 little-endian fields");

constexpr size_t kX86_64StatSize = 144;
constexpr size_t kI386StatSize = 64;
constexpr size_t kI386Stat64Size = 96;

// MAX_NON_LFS (include/linux/fs.h): the largest size the non-LFS i386 struct stat reports.
constexpr uint64_t kMaxNonLfs = (uint64_t{1} << 31) - 1;

// dev_t inside the kernel (include/linux/kdev_t.h): 12-bit major, 20-bit minor.
constexpr unsigned kMinorBits = 20;
constexpr uint32_t kMinorMask = (uint32_t{1} << kMinorBits) - 1;

// MKDEV(major, minor) on the kernel's 32-bit dev_t. cp_statx reported MAJOR(dev) and MINOR(dev),
// so for anything a kernel produced this is the original dev_t; other values wrap as MKDEV does.
uint32_t kernel_dev(uint32_t major, uint32_t minor) { return (major << kMinorBits) | minor; }

// new_encode_dev (include/linux/kdev_t.h): minor low byte, 12-bit major, then minor bits 8..19.
// huge_encode_dev is the same value widened to 64 bits.
uint32_t new_encode_dev(uint32_t dev) {
  const uint32_t major = dev >> kMinorBits;
  const uint32_t minor = dev & kMinorMask;
  return (minor & 0xffU) | (major << 8) | ((minor & ~0xffU) << 12);
}

// high2lowuid/high2lowgid (include/linux/highuid.h), applied by SET_UID/SET_GID to 16-bit fields.
uint16_t high2low(uint32_t id, uint16_t overflow) {
  return (id & ~uint32_t{0xffff}) != 0 ? overflow : static_cast<uint16_t>(id);
}

// Stores `value` truncated to the field type T at `offset`, as the kernel's C assignment does.
class StructWriter {
 public:
  explicit StructWriter(size_t size) : bytes_(size) {}

  template <class T, class V>
  void put(size_t offset, V value) {
    static_assert(std::is_unsigned_v<T> && std::is_integral_v<V>);
    const T field = static_cast<T>(value);
    std::memcpy(bytes_.data() + offset, &field, sizeof field);
  }

  std::vector<std::byte> take() && { return std::move(bytes_); }

 private:
  std::vector<std::byte> bytes_;
};

Error overflow(const char* field, uint64_t value, const char* limit) {
  return make_error(EOVERFLOW, std::string("i386 struct stat: ") + field + " " +
                                   std::to_string(value) + " does not fit (" + limit + ")");
}

// cp_new_stat (fs/stat.c) with BITS_PER_LONG == 64: encode_dev is new_encode_dev, valid_dev is
// always true, no size check; every field is 64 bits but mode/uid/gid. INIT_STRUCT_STAT_PADDING
// zeroes __pad0 and __unused[3], so all 144 bytes are written.
std::vector<std::byte> encode_x86_64(const struct statx& stx) {
  StructWriter w(kX86_64StatSize);
  w.put<uint64_t>(0, new_encode_dev(kernel_dev(stx.stx_dev_major, stx.stx_dev_minor)));  // st_dev
  w.put<uint64_t>(8, stx.stx_ino);
  w.put<uint64_t>(16, stx.stx_nlink);
  w.put<uint32_t>(24, stx.stx_mode);
  w.put<uint32_t>(28, stx.stx_uid);
  w.put<uint32_t>(32, stx.stx_gid);
  // 36: __pad0
  w.put<uint64_t>(40, new_encode_dev(kernel_dev(stx.stx_rdev_major, stx.stx_rdev_minor)));
  w.put<uint64_t>(48, stx.stx_size);
  w.put<uint64_t>(56, stx.stx_blksize);
  w.put<uint64_t>(64, stx.stx_blocks);
  w.put<uint64_t>(72, static_cast<uint64_t>(stx.stx_atime.tv_sec));
  w.put<uint64_t>(80, stx.stx_atime.tv_nsec);
  w.put<uint64_t>(88, static_cast<uint64_t>(stx.stx_mtime.tv_sec));
  w.put<uint64_t>(96, stx.stx_mtime.tv_nsec);
  w.put<uint64_t>(104, static_cast<uint64_t>(stx.stx_ctime.tv_sec));
  w.put<uint64_t>(112, stx.stx_ctime.tv_nsec);
  // 120: __unused[3]
  return std::move(w).take();
}

// cp_compat_stat (fs/stat.c, Linux >= 5.18 where x86's compat_stat has u32 st_dev/st_rdev: the
// old_valid_dev checks are compiled out since sizeof(st_dev) == 4 and devices use
// new_encode_dev). memset first, so all 64 bytes are written. Checks, as in the kernel: st_ino
// must survive the u32 store, st_nlink the u16 store, and (u64)size <= MAX_NON_LFS. Times,
// blocks and blksize are truncated to u32 without a check.
Result<std::vector<std::byte>> encode_i386(const struct statx& stx, OverflowIds ids) {
  if (stx.stx_ino > UINT32_MAX) return overflow("st_ino", stx.stx_ino, "32 bits");
  if (stx.stx_nlink > UINT16_MAX) return overflow("st_nlink", stx.stx_nlink, "16 bits");
  if (stx.stx_size > kMaxNonLfs) return overflow("st_size", stx.stx_size, "MAX_NON_LFS");
  StructWriter w(kI386StatSize);
  w.put<uint32_t>(0, new_encode_dev(kernel_dev(stx.stx_dev_major, stx.stx_dev_minor)));  // st_dev
  w.put<uint32_t>(4, stx.stx_ino);
  w.put<uint16_t>(8, stx.stx_mode);
  w.put<uint16_t>(10, stx.stx_nlink);
  w.put<uint16_t>(12, high2low(stx.stx_uid, ids.uid));
  w.put<uint16_t>(14, high2low(stx.stx_gid, ids.gid));
  w.put<uint32_t>(16, new_encode_dev(kernel_dev(stx.stx_rdev_major, stx.stx_rdev_minor)));
  w.put<uint32_t>(20, stx.stx_size);
  w.put<uint32_t>(24, stx.stx_blksize);
  w.put<uint32_t>(28, stx.stx_blocks);
  w.put<uint32_t>(32, static_cast<uint64_t>(stx.stx_atime.tv_sec));
  w.put<uint32_t>(36, stx.stx_atime.tv_nsec);
  w.put<uint32_t>(40, static_cast<uint64_t>(stx.stx_mtime.tv_sec));
  w.put<uint32_t>(44, stx.stx_mtime.tv_nsec);
  w.put<uint32_t>(48, static_cast<uint64_t>(stx.stx_ctime.tv_sec));
  w.put<uint32_t>(52, stx.stx_ctime.tv_nsec);
  // 56: __unused4, __unused5
  return std::move(w).take();
}

// cp_stat64 (arch/x86/kernel/sys_ia32.c) into the packed ia32 struct stat64: no EOVERFLOW at
// all; __st_ino gets the low 32 bits of the inode number, st_ino all 64; uid/gid are 32 bits
// (SET_UID does not munge); times are truncated to u32.
std::vector<std::byte> encode_i386_64(const struct statx& stx) {
  StructWriter w(kI386Stat64Size);
  w.put<uint64_t>(0, new_encode_dev(kernel_dev(stx.stx_dev_major, stx.stx_dev_minor)));  // st_dev
  // 8: __pad0[4], not written by the kernel
  w.put<uint32_t>(12, stx.stx_ino);  // __st_ino
  w.put<uint32_t>(16, stx.stx_mode);
  w.put<uint32_t>(20, stx.stx_nlink);
  w.put<uint32_t>(24, stx.stx_uid);
  w.put<uint32_t>(28, stx.stx_gid);
  w.put<uint64_t>(32, new_encode_dev(kernel_dev(stx.stx_rdev_major, stx.stx_rdev_minor)));
  // 40: __pad3[4], not written by the kernel
  w.put<uint64_t>(44, stx.stx_size);
  w.put<uint32_t>(52, stx.stx_blksize);
  w.put<uint64_t>(56, stx.stx_blocks);
  w.put<uint32_t>(64, static_cast<uint64_t>(stx.stx_atime.tv_sec));
  w.put<uint32_t>(68, stx.stx_atime.tv_nsec);
  w.put<uint32_t>(72, static_cast<uint64_t>(stx.stx_mtime.tv_sec));
  w.put<uint32_t>(76, stx.stx_mtime.tv_nsec);
  w.put<uint32_t>(80, static_cast<uint64_t>(stx.stx_ctime.tv_sec));
  w.put<uint32_t>(84, stx.stx_ctime.tv_nsec);
  w.put<uint64_t>(88, stx.stx_ino);  // st_ino
  return std::move(w).take();
}

constexpr std::array<ByteRange, 1> kWholeX86_64{{{0, kX86_64StatSize}}};
constexpr std::array<ByteRange, 1> kWholeI386{{{0, kI386StatSize}}};
constexpr std::array<ByteRange, 3> kI386Stat64Written{{{0, 8}, {12, 28}, {44, 52}}};

}  // namespace

size_t stat_layout_size(StatLayout layout) {
  switch (layout) {
    case StatLayout::kX86_64Stat: return kX86_64StatSize;
    case StatLayout::kI386Stat: return kI386StatSize;
    case StatLayout::kI386Stat64: return kI386Stat64Size;
  }
  assert(false && "unknown StatLayout");
  return 0;
}

std::span<const ByteRange> stat_layout_written_ranges(StatLayout layout) {
  switch (layout) {
    case StatLayout::kX86_64Stat: return kWholeX86_64;
    case StatLayout::kI386Stat: return kWholeI386;
    case StatLayout::kI386Stat64: return kI386Stat64Written;
  }
  assert(false && "unknown StatLayout");
  return {};
}

Result<std::vector<std::byte>> encode_stat(const struct statx& stx, StatLayout layout,
                                           OverflowIds overflow_ids) {
  switch (layout) {
    case StatLayout::kX86_64Stat: return encode_x86_64(stx);
    case StatLayout::kI386Stat: return encode_i386(stx, overflow_ids);
    case StatLayout::kI386Stat64: return encode_i386_64(stx);
  }
  assert(false && "unknown StatLayout");
  return make_error(EINVAL, "unknown stat layout");
}

}  // namespace sysvisor
