// short=N decoding (inject/short_call): the registers and the caller's memory in both
// architectures' layouts, through a fake caller. The expectations are the kernel's layouts
// (struct iovec / compat_iovec, struct msghdr / compat_msghdr, pos_from_hilo) written out by hand.
//
// Mutants this kills: i386 pointers or counts read 64 bits wide; the i386 position's halves
// swapped or the high half dropped; compat_iovec read as struct iovec; a negative compat length
// taken as a large one; zero-length iovecs kept; "already short enough" off by one (count == N
// shortened); msghdr offsets of the other architecture; ancillary data, MSG_OOB, an AF_UNIX path
// destination or an oversized address length let through; sendmsg's address length not clamped;
// preadv's -1 taken as "the current position" (only preadv2 has it).
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <vector>

#include "inject/short_call.hpp"

using sysvisor::Arch;
using sysvisor::CallerMemory;
using sysvisor::decode_short_call;
using sysvisor::short_kind;
using sysvisor::ShortCall;
using sysvisor::ShortKind;

namespace {

// Memory made of regions; a read succeeds only within one region.
class Caller final : public CallerMemory {
 public:
  std::map<uint64_t, std::vector<std::byte>> regions;
  template <class T>
  void put(uint64_t addr, const T& value) {
    auto& r = regions[addr];
    r.resize(sizeof value);
    std::memcpy(r.data(), &value, sizeof value);
  }
  int read(uint64_t addr, std::span<std::byte> out) override {
    for (const auto& [start, bytes] : regions) {
      if (addr >= start && addr + out.size() <= start + bytes.size()) {
        std::memcpy(out.data(), bytes.data() + (addr - start), out.size());
        return 0;
      }
    }
    return EFAULT;
  }
  int read_string(uint64_t, size_t, std::string&) override { return EFAULT; }
  int cwd(std::string&) override { return EFAULT; }
  int fd_path(int, std::string&) override { return EBADF; }
};

using Regs = std::array<uint64_t, 6>;

std::optional<ShortCall> decode(ShortKind k, Arch a, Regs r, uint64_t limit, Caller& m) {
  return decode_short_call(k, a, r, limit, m);
}

}  // namespace

TEST_CASE("short= knows the fourteen calls by strace's names") {
  const char* names[] = {"read",  "pread64", "readv",   "preadv",   "preadv2",  "recvfrom", "recvmsg",
                         "write", "pwrite64", "writev", "pwritev",  "pwritev2", "sendto",   "sendmsg"};
  for (const char* n : names) CHECK_MESSAGE(short_kind(n).has_value(), n);
  CHECK(short_kind("pread64") == ShortKind::kPread64);
  CHECK(short_kind("sendmsg") == ShortKind::kSendmsg);
  CHECK_FALSE(short_kind("recv").has_value());
  CHECK_FALSE(short_kind("readlink").has_value());
}

TEST_CASE("a call is shortened only when it asks for more than N bytes") {
  Caller m;
  for (uint64_t count : {0, 1, 4, 5, 6, 4096}) {
    auto c = decode(ShortKind::kRead, Arch::kX86_64, {3, 0x10000, count, 0, 0, 0}, 5, m);
    CHECK_MESSAGE(c.has_value() == (count > 5), count);
  }
  auto c = decode(ShortKind::kWrite, Arch::kX86_64, {7, 0x10000, 6, 0, 0, 0}, 5, m);
  REQUIRE(c);
  CHECK(c->writes);
  CHECK_FALSE(c->socket);
  CHECK(c->fd == 7);
  CHECK(c->offset == -1);
  REQUIRE(c->segments.size() == 1);
  CHECK((c->segments[0].addr == 0x10000 && c->segments[0].len == 6));
  // Past the top of the user address space: the kernel's EFAULT, so the call runs whole.
  CHECK_FALSE(decode(ShortKind::kRead, Arch::kX86_64, {3, 0x7ffffffff000 - 8, 16, 0, 0, 0}, 5, m));
  CHECK_FALSE(decode(ShortKind::kRead, Arch::kX86_64, {3, ~0ULL - 4, 16, 0, 0, 0}, 5, m));
}

TEST_CASE("i386 registers are 32 bits wide and positions come in two halves") {
  Caller m;
  const uint64_t junk = 0xdead'0000'0000'0000;
  auto c = decode(ShortKind::kPread64, Arch::kI386, {junk | 3, junk | 0x8000, junk | 100, 0x10, 0x1, 0}, 5, m);
  REQUIRE(c);
  CHECK(c->fd == 3);
  CHECK((c->segments[0].addr == 0x8000 && c->segments[0].len == 100));
  CHECK(c->offset == 0x1'0000'0010);
  // x86_64: one register; preadv's pos_h is shifted out of a 64-bit position.
  auto d = decode(ShortKind::kPread64, Arch::kX86_64, {3, 0x8000, 100, 0x1'0000'0010, 0x7, 0}, 5, m);
  REQUIRE(d);
  CHECK(d->offset == 0x1'0000'0010);
  CHECK_FALSE(decode(ShortKind::kPread64, Arch::kX86_64, {3, 0x8000, 100, ~0ULL, 0, 0}, 5, m));
  CHECK_FALSE(decode(ShortKind::kPwrite64, Arch::kI386, {3, 0x8000, 100, 0, 0x80000000, 0}, 5, m));
}

TEST_CASE("iovec arrays in both layouts") {
  Caller m;
  struct Iov64 {
    uint64_t base, len;
  };
  struct Iov32 {
    uint32_t base, len;
  };
  m.put(0x1000, std::array<Iov64, 3>{{{0x2000, 2}, {0x3000, 0}, {0x4000, 4}}});
  m.put(0x5000, std::array<Iov32, 3>{{{0x2000, 2}, {0x3000, 0}, {0x4000, 4}}});
  for (auto [arch, at] : {std::pair{Arch::kX86_64, 0x1000}, std::pair{Arch::kI386, 0x5000}}) {
    auto c = decode(ShortKind::kReadv, arch, {3, static_cast<uint64_t>(at), 3, 0, 0, 0}, 5, m);
    REQUIRE(c);
    REQUIRE(c->segments.size() == 2);  // the empty one is left out
    CHECK((c->segments[0].addr == 0x2000 && c->segments[0].len == 2));
    CHECK((c->segments[1].addr == 0x4000 && c->segments[1].len == 4));
    CHECK(c->total == 6);
    CHECK_FALSE(decode(ShortKind::kReadv, arch, {3, static_cast<uint64_t>(at), 3, 0, 0, 0}, 6, m));
    CHECK_FALSE(decode(ShortKind::kReadv, arch, {3, static_cast<uint64_t>(at), 4, 0, 0, 0}, 1, m));  // unreadable
    CHECK_FALSE(decode(ShortKind::kWritev, arch, {3, static_cast<uint64_t>(at), 1025, 0, 0, 0}, 1, m));
  }
  m.put(0x6000, std::array<Iov32, 1>{{{0x2000, 0x80000000u}}});  // compat_ssize_t: negative, EINVAL
  CHECK_FALSE(decode(ShortKind::kReadv, Arch::kI386, {3, 0x6000, 1, 0, 0, 0}, 1, m));
  m.put(0x7000, std::array<Iov64, 1>{{{0x2000, 0x80000000u}}});  // 2 GiB is fine on x86_64
  CHECK(decode(ShortKind::kReadv, Arch::kX86_64, {3, 0x7000, 1, 0, 0, 0}, 1, m));
}

TEST_CASE("preadv2's -1 is the current position; preadv's is EINVAL") {
  Caller m;
  struct Iov64 {
    uint64_t base, len;
  };
  m.put(0x1000, std::array<Iov64, 1>{{{0x2000, 8}}});
  auto c = decode(ShortKind::kPreadv2, Arch::kX86_64, {3, 0x1000, 1, ~0ULL, ~0ULL, 0x8}, 5, m);
  REQUIRE(c);
  CHECK(c->offset == -1);
  CHECK(c->rw_flags == 0x8);
  CHECK_FALSE(decode(ShortKind::kPreadv, Arch::kX86_64, {3, 0x1000, 1, ~0ULL, 0, 0}, 5, m));
  CHECK_FALSE(decode(ShortKind::kPwritev2, Arch::kX86_64, {3, 0x1000, 1, ~0ULL - 1, 0, 0}, 5, m));
  m.put(0x1800, std::array<uint32_t, 2>{0x2000, 8});  // one compat_iovec
  auto i = decode(ShortKind::kPwritev2, Arch::kI386, {3, 0x1800, 1, 0xffffffff, 0xffffffff, 0}, 5, m);
  REQUIRE(i);
  CHECK(i->offset == -1);
}

TEST_CASE("recvfrom and sendto addresses") {
  Caller m;
  auto r = decode(ShortKind::kRecvfrom, Arch::kI386, {3, 0x8000, 64, MSG_PEEK, 0x9000, 0x9100}, 5, m);
  REQUIRE(r);
  CHECK(r->socket);
  CHECK(r->msg_flags == MSG_PEEK);
  CHECK((r->name == 0x9000 && r->name_len_at == 0x9100));
  CHECK_FALSE(decode(ShortKind::kRecvfrom, Arch::kX86_64, {3, 0x8000, 64, MSG_OOB, 0, 0}, 5, m));
  CHECK_FALSE(decode(ShortKind::kRecvfrom, Arch::kX86_64, {3, 0x8000, 64, MSG_ERRQUEUE, 0, 0}, 5, m));

  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = 0x3412;
  m.put(0xa000, in);
  auto s = decode(ShortKind::kSendto, Arch::kX86_64, {3, 0x8000, 64, 0, 0xa000, sizeof in}, 5, m);
  REQUIRE((s && s->dest));
  REQUIRE(s->dest->size() == sizeof in);
  CHECK(std::memcmp(s->dest->data(), &in, sizeof in) == 0);
  auto none = decode(ShortKind::kSendto, Arch::kX86_64, {3, 0x8000, 64, 0, 0, 99}, 5, m);
  REQUIRE(none);
  CHECK_FALSE(none->dest);
  auto empty = decode(ShortKind::kSendto, Arch::kX86_64, {3, 0x8000, 64, 0, 0xa000, 0}, 5, m);
  REQUIRE((empty && empty->dest));
  CHECK(empty->dest->empty());  // a pointer with length 0 is not "no address"
  CHECK_FALSE(decode(ShortKind::kSendto, Arch::kX86_64, {3, 0x8000, 64, 0, 0xa000, 129}, 5, m));
  CHECK_FALSE(decode(ShortKind::kSendto, Arch::kX86_64, {3, 0x8000, 64, 0, 0xa000, 0xffffffff}, 5, m));
  CHECK_FALSE(decode(ShortKind::kSendto, Arch::kX86_64, {3, 0x8000, 64, 0, 0xb000, sizeof in}, 5, m));

  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  std::strcpy(un.sun_path, "sock");
  m.put(0xc000, un);
  CHECK_FALSE(decode(ShortKind::kSendto, Arch::kX86_64, {3, 0x8000, 64, 0, 0xc000, sizeof un}, 5, m));
  un.sun_path[0] = '\0';  // abstract: no path to resolve
  m.put(0xd000, un);
  CHECK(decode(ShortKind::kSendto, Arch::kX86_64, {3, 0x8000, 64, 0, 0xd000, sizeof un}, 5, m));
}

TEST_CASE("msghdr in both layouts") {
  struct Msg64 {
    uint64_t name;
    int32_t namelen, pad;
    uint64_t iov, iovlen, control, controllen;
    int32_t flags, pad2;
  };
  struct Msg32 {
    uint32_t name;
    int32_t namelen;
    uint32_t iov, iovlen, control, controllen;
    int32_t flags;
  };
  static_assert(sizeof(Msg64) == 56 && sizeof(Msg32) == 28);
  Caller m;
  m.put(0x1000, std::array<uint64_t, 2>{0x2000, 10});
  m.put(0x1100, std::array<uint32_t, 2>{0x2000, 10});
  m.put(0x3000, Msg64{0x4000, 16, 0, 0x1000, 1, 0, 0, 0, 0});
  m.put(0x3100, Msg32{0x4000, 16, 0x1100, 1, 0, 0, 0});
  auto a = decode(ShortKind::kRecvmsg, Arch::kX86_64, {3, 0x3000, MSG_WAITALL, 0, 0, 0}, 5, m);
  REQUIRE(a);
  CHECK((a->name == 0x4000 && a->name_len_at == 0x3008 && a->msg_flags_at == 0x3030));
  CHECK((a->controllen_at == 0x3028 && a->controllen_size == 8));
  CHECK(a->msg_flags == MSG_WAITALL);
  CHECK(a->total == 10);
  auto b = decode(ShortKind::kRecvmsg, Arch::kI386, {3, 0x3100, 0, 0, 0, 0}, 5, m);
  REQUIRE(b);
  CHECK((b->name == 0x4000 && b->name_len_at == 0x3104 && b->msg_flags_at == 0x3118));
  CHECK((b->controllen_at == 0x3114 && b->controllen_size == 4));
  CHECK(b->total == 10);

  m.put(0x5000, Msg64{0x4000, 16, 0, 0x1000, 1, 0x6000, 24, 0, 0});  // ancillary data: runs whole
  CHECK_FALSE(decode(ShortKind::kRecvmsg, Arch::kX86_64, {3, 0x5000, 0, 0, 0, 0}, 5, m));
  CHECK_FALSE(decode(ShortKind::kSendmsg, Arch::kX86_64, {3, 0x5000, 0, 0, 0, 0}, 5, m));
  m.put(0x5100, Msg64{0x4000, -1, 0, 0x1000, 1, 0, 0, 0, 0});  // negative namelen: EINVAL
  CHECK_FALSE(decode(ShortKind::kRecvmsg, Arch::kX86_64, {3, 0x5100, 0, 0, 0, 0}, 5, m));
  m.put(0x5200, Msg64{0, -1, 0, 0x1000, 1, 0, 0, 0, 0});  // no name: its length is not looked at
  CHECK(decode(ShortKind::kRecvmsg, Arch::kX86_64, {3, 0x5200, 0, 0, 0, 0}, 5, m));
  m.put(0x5300, Msg64{0x7000, 200, 0, 0x1000, 1, 0, 0, 0, 0});  // sendmsg clamps the length to 128
  m.put(0x7000, std::array<std::byte, 128>{});
  auto s = decode(ShortKind::kSendmsg, Arch::kX86_64, {3, 0x5300, 0, 0, 0, 0}, 5, m);
  REQUIRE((s && s->dest));
  CHECK(s->dest->size() == 128);
  CHECK_FALSE(decode(ShortKind::kRecvmsg, Arch::kX86_64, {3, 0x9000, 0, 0, 0, 0}, 5, m));  // unreadable
}
