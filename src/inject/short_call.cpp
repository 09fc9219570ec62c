#include "inject/short_call.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <span>
#include <utility>

namespace sysvisor {
namespace {

constexpr uint64_t kUioMaxIov = 1024;     // UIO_MAXIOV: more iovecs is EINVAL (EMSGSIZE in a msghdr)
constexpr int64_t kSockaddrMax = 128;     // sizeof(struct sockaddr_storage)
// access_ok(): a user range ends below TASK_SIZE_MAX (47-bit address space; 32-bit callers are
// always below it). Past it the kernel fails with EFAULT before moving a byte.
constexpr uint64_t kUserTop = 0x7ffffffff000ULL;

constexpr std::pair<std::string_view, ShortKind> kNames[] = {
    {"read", ShortKind::kRead},         {"pread64", ShortKind::kPread64},   {"readv", ShortKind::kReadv},
    {"preadv", ShortKind::kPreadv},     {"preadv2", ShortKind::kPreadv2},   {"recvfrom", ShortKind::kRecvfrom},
    {"recvmsg", ShortKind::kRecvmsg},   {"write", ShortKind::kWrite},       {"pwrite64", ShortKind::kPwrite64},
    {"writev", ShortKind::kWritev},     {"pwritev", ShortKind::kPwritev},   {"pwritev2", ShortKind::kPwritev2},
    {"sendto", ShortKind::kSendto},     {"sendmsg", ShortKind::kSendmsg},
};

// The registers as the kernel reads them for the caller's architecture.
struct Regs {
  Arch arch;
  const std::array<uint64_t, 6>& r;
  bool i386() const noexcept { return arch == Arch::kI386; }
  // A pointer, size_t or unsigned long: 32 bits wide for i386 callers.
  uint64_t word(size_t i) const noexcept { return i386() ? static_cast<uint32_t>(r[i]) : r[i]; }
  // An int (descriptor, flags, socklen_t by value): the low 32 bits on both.
  int int32(size_t i) const noexcept { return static_cast<int>(static_cast<uint32_t>(r[i])); }
  // A 64-bit file position: one register on x86_64 (preadv's pos_h is shifted out there), the
  // low and high halves in registers i and i+1 on i386.
  int64_t position(size_t i) const noexcept {
    if (!i386()) return static_cast<int64_t>(r[i]);
    return static_cast<int64_t>((static_cast<uint64_t>(static_cast<uint32_t>(r[i + 1])) << 32) |
                                static_cast<uint32_t>(r[i]));
  }
};

bool user_range(uint64_t addr, uint64_t len) noexcept { return addr + len >= addr && addr + len <= kUserTop; }

void add_segment(ShortCall& c, uint64_t addr, uint64_t len) {
  if (len == 0) return;
  c.segments.push_back({addr, len});
  c.total = c.total + len < c.total ? UINT64_MAX : c.total + len;
}

// One buffer (read, write, pread64, pwrite64, recvfrom, sendto): the kernel's access_ok().
bool one_buffer(uint64_t addr, uint64_t len, ShortCall& c) {
  if (!user_range(addr, len)) return false;
  add_segment(c, addr, len);
  return true;
}

// `count` iovecs at `at` (struct iovec, or compat_iovec for i386), checked as import_iovec checks
// them: a negative length is EINVAL, a range past the user address space EFAULT.
bool read_iovecs(Arch arch, uint64_t at, uint64_t count, CallerMemory& memory, ShortCall& c) {
  if (count > kUioMaxIov) return false;
  const bool i386 = arch == Arch::kI386;
  const size_t each = i386 ? 8 : 16;
  std::vector<std::byte> raw(static_cast<size_t>(count) * each);
  if (count != 0 && memory.read(at, raw) != 0) return false;
  for (size_t i = 0; i < count; ++i) {
    uint64_t base = 0, len = 0;
    int64_t signed_len = 0;
    if (i386) {
      uint32_t pair[2];
      std::memcpy(pair, raw.data() + i * each, sizeof pair);
      base = pair[0];
      len = pair[1];
      signed_len = static_cast<int32_t>(pair[1]);
    } else {
      std::memcpy(&base, raw.data() + i * each, 8);
      std::memcpy(&len, raw.data() + i * each + 8, 8);
      signed_len = static_cast<int64_t>(len);
    }
    if (signed_len < 0 || !user_range(base, len)) return false;
    add_segment(c, base, len);
  }
  return true;
}

// A destination address (move_addr_to_kernel): a length outside 0..128 is EINVAL, an unreadable
// one EFAULT. An AF_UNIX path would be resolved against the caller's cwd and root, not ours.
bool read_dest(uint64_t addr, int64_t len, CallerMemory& memory, ShortCall& c) {
  if (len < 0 || len > kSockaddrMax) return false;
  std::vector<std::byte> bytes(static_cast<size_t>(len));
  if (len != 0 && memory.read(addr, bytes) != 0) return false;
  sa_family_t family = 0;
  if (bytes.size() >= sizeof family) std::memcpy(&family, bytes.data(), sizeof family);
  if (family == AF_UNIX && bytes.size() > sizeof family && bytes[sizeof family] != std::byte{0}) return false;
  c.dest = std::move(bytes);
  return true;
}

// recvfrom(fd, buf, len, flags, src_addr, addrlen) and sendto(fd, buf, len, flags, dest, addrlen).
bool decode_from_to(const Regs& r, CallerMemory& memory, ShortCall& c) {
  c.socket = true;
  c.msg_flags = r.int32(3);
  if ((c.msg_flags & (MSG_OOB | MSG_ERRQUEUE)) != 0) return false;
  if (!one_buffer(r.word(1), r.word(2), c)) return false;
  if (!c.writes) {
    c.name = r.word(4);
    c.name_len_at = r.word(5);
    return true;
  }
  return r.word(4) == 0 || read_dest(r.word(4), r.int32(5), memory, c);
}

// recvmsg(fd, msg, flags) and sendmsg(fd, msg, flags): struct msghdr, or compat_msghdr for i386.
bool decode_msghdr(const Regs& r, CallerMemory& memory, ShortCall& c) {
  c.socket = true;
  c.msg_flags = r.int32(2);
  if ((c.msg_flags & (MSG_OOB | MSG_ERRQUEUE)) != 0) return false;
  const uint64_t at = r.word(1);
  // name, namelen, iov, iovlen, control, controllen, flags: their offsets and widths.
  const bool i386 = r.i386();
  const size_t word = i386 ? 4 : 8;
  const size_t off_namelen = word, off_iov = i386 ? 8 : 16, off_iovlen = off_iov + word;
  const size_t off_controllen = off_iovlen + 2 * word, off_flags = off_controllen + word;
  std::array<std::byte, 56> raw{};
  if (memory.read(at, std::span(raw).first(off_flags + 4)) != 0) return false;
  auto field = [&](size_t off, size_t width) {
    uint64_t v = 0;
    std::memcpy(&v, raw.data() + off, width);  // little-endian
    return v;
  };
  const uint64_t name = field(0, word), iov = field(off_iov, word), iovlen = field(off_iovlen, word);
  const int namelen = static_cast<int>(static_cast<uint32_t>(field(off_namelen, 4)));
  // A null msg_name makes the length 0 before the kernel checks it (__copy_msghdr).
  if (field(off_controllen, word) != 0 || (name != 0 && namelen < 0) || iovlen > kUioMaxIov) return false;
  if (!read_iovecs(r.arch, iov, iovlen, memory, c)) return false;
  if (c.writes) return name == 0 || namelen == 0 || read_dest(name, std::min<int64_t>(namelen, kSockaddrMax), memory, c);
  c.name = name;
  c.name_len_at = at + off_namelen;
  c.msg_flags_at = at + off_flags;
  c.controllen_at = at + off_controllen;
  c.controllen_size = word;
  return true;
}

bool writes(ShortKind k) noexcept { return k >= ShortKind::kWrite; }

}  // namespace

std::optional<ShortKind> short_kind(std::string_view name) noexcept {
  for (const auto& [n, k] : kNames)
    if (n == name) return k;
  return std::nullopt;
}

std::optional<ShortCall> decode_short_call(ShortKind kind, Arch arch, const std::array<uint64_t, 6>& regs,
                                           uint64_t limit, CallerMemory& memory) {
  const Regs r{arch, regs};
  ShortCall c;
  c.kind = kind;
  c.writes = writes(kind);
  c.fd = r.int32(0);
  bool ok = false;
  switch (kind) {
    case ShortKind::kRead: case ShortKind::kWrite: ok = one_buffer(r.word(1), r.word(2), c); break;
    case ShortKind::kPread64: case ShortKind::kPwrite64:
      c.offset = r.position(3);
      ok = c.offset >= 0 && one_buffer(r.word(1), r.word(2), c);
      break;
    case ShortKind::kReadv: case ShortKind::kWritev: ok = read_iovecs(arch, r.word(1), r.word(2), memory, c); break;
    case ShortKind::kPreadv: case ShortKind::kPwritev: case ShortKind::kPreadv2: case ShortKind::kPwritev2: {
      const bool v2 = kind == ShortKind::kPreadv2 || kind == ShortKind::kPwritev2;
      c.offset = r.position(3);
      c.rw_flags = v2 ? r.int32(5) : 0;
      ok = c.offset >= (v2 ? -1 : 0) && read_iovecs(arch, r.word(1), r.word(2), memory, c);
      break;
    }
    case ShortKind::kRecvfrom: case ShortKind::kSendto: ok = decode_from_to(r, memory, c); break;
    case ShortKind::kRecvmsg: case ShortKind::kSendmsg: ok = decode_msghdr(r, memory, c); break;
  }
  if (!ok || c.total <= limit) return std::nullopt;
  return c;
}

}  // namespace sysvisor
