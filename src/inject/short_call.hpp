// short=N (issue 16), first half: what a read/write-family call asks the kernel to move, decoded
// from its registers and the caller's memory — the descriptor, the caller's buffers, the file
// position, the flags and the socket address, in the layouts of the caller's architecture (i386:
// 32-bit pointers, compat_iovec, compat_msghdr, a position split over two registers). Pure over
// CallerMemory (tests fake it): no descriptor, no I/O. short_io.hpp performs what this decodes.
//
// Where the kernel would refuse the arguments before moving a byte (an unreadable iovec array or
// msghdr, more than UIO_MAXIOV iovecs, a negative length, position or address length, a range
// past the user address space) or where there is nothing to shorten (the call asks for N bytes or
// fewer), decode_short_call() says nullopt: the call then runs whole in the kernel, which
// reports its own errno. So do a msghdr with ancillary data (msg_controllen != 0), MSG_OOB and
// MSG_ERRQUEUE (the kernel never waits for them, and urgent data is one byte), and a destination
// that is an AF_UNIX path (the kernel resolves it against the caller's cwd and root, not ours).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "policy/caller_memory.hpp"
#include "sysvisor/call.hpp"  // Arch

namespace sysvisor {

// The calls short= shortens, by strace's names (an i386 socketcall subcall is keyed under its own).
enum class ShortKind : uint8_t {
  kRead, kPread64, kReadv, kPreadv, kPreadv2, kRecvfrom, kRecvmsg,
  kWrite, kPwrite64, kWritev, kPwritev, kPwritev2, kSendto, kSendmsg,
};

// The kind strace names `name`; nullopt for every other syscall.
std::optional<ShortKind> short_kind(std::string_view name) noexcept;

// One of the caller's buffers.
struct IoSegment {
  uint64_t addr = 0;
  uint64_t len = 0;
};

// What one call asks for.
struct ShortCall {
  ShortKind kind = ShortKind::kRead;
  bool writes = false;              // bytes go from the caller to the descriptor
  bool socket = false;              // recvfrom, sendto, recvmsg, sendmsg (else preadv2/pwritev2 do it)
  int fd = -1;                      // the caller's descriptor number
  std::vector<IoSegment> segments;  // the caller's buffers, in order (zero-length ones left out)
  uint64_t total = 0;               // their length, saturated at UINT64_MAX
  int64_t offset = -1;              // the position a p-variant names; -1: the descriptor's own
  int rw_flags = 0;                 // preadv2/pwritev2: RWF_*
  int msg_flags = 0;                // recvfrom, sendto, recvmsg, sendmsg: MSG_*
  // recvfrom, recvmsg: where the source address goes (0: nowhere) and where its length is read
  // from and written to (socklen_t *, or &msg->msg_namelen).
  uint64_t name = 0;
  uint64_t name_len_at = 0;
  // recvmsg: where the kernel writes msg_flags and msg_controllen back (controllen: 8 bytes on
  // x86_64, 4 on i386).
  uint64_t msg_flags_at = 0;
  uint64_t controllen_at = 0;
  size_t controllen_size = 0;
  // sendto, sendmsg: the destination address as the caller passed it (nullopt: none). Present
  // and empty is possible: sendto with an address pointer and length 0.
  std::optional<std::vector<std::byte>> dest;
};

// Decodes a call of `kind` from `regs` (the call's registers, or for an i386 socketcall the
// subcall's argument words). nullopt: let the kernel run it whole (see above). `limit`: N.
std::optional<ShortCall> decode_short_call(ShortKind kind, Arch arch, const std::array<uint64_t, 6>& regs,
                                           uint64_t limit, CallerMemory& memory);

}  // namespace sysvisor
