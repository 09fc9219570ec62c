// Writes into the caller's memory (kernel/process_memory): the protection check that stands in for
// copy_to_user's, through the maps text on kernels without PROCMAP_QUERY and through the pinned
// image itself on this one.
//
// Mutants this kills: a gap between two writable mappings taken as writable, the permission column
// misread (reading 'r' for 'w'), a write stopping one mapping early, /proc/TID/mem writing through a
// read-only page unchecked; a writable or readable prefix counted past the page that ends it, or
// read_memory_prefix reporting success or the wrong count when it stopped early.
#include <doctest/doctest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include "kernel/process_memory.hpp"

using sysvisor::CallerImage;
using sysvisor::writable_end_in_maps;

TEST_CASE("the writable run in a maps text") {
  const char* maps =
      "00400000-00401000 r--p 00000000 08:01 1 /bin/x\n"
      "00401000-00403000 rw-p 00001000 08:01 1 /bin/x\n"
      "00403000-00404000 rw-p 00000000 00:00 0 \n"
      "00405000-00406000 rw-p 00000000 00:00 0 [heap]\n"
      "7ffd0000-7ffd1000 r-xp 00000000 00:00 0 [vdso]\n";
  CHECK(writable_end_in_maps(maps, 0x400010, 0x400020) == 0x400010);  // read-only: nothing
  CHECK(writable_end_in_maps(maps, 0x401000, 0x401090) == 0x401090);  // all of it
  CHECK(writable_end_in_maps(maps, 0x402ff0, 0x403010) == 0x403010);  // across two writable mappings
  CHECK(writable_end_in_maps(maps, 0x403ff0, 0x405010) == 0x404000);  // up to the gap
  CHECK(writable_end_in_maps(maps, 0x404800, 0x404900) == 0x404800);  // unmapped
  CHECK(writable_end_in_maps(maps, 0x7ffd0000, 0x7ffd0010) == 0x7ffd0000);
  CHECK(writable_end_in_maps(maps, 0x900000, 0x900010) == 0x900000);  // past the last mapping
}

TEST_CASE("a write into a pinned image stops where the caller could not write") {
  const long page = sysconf(_SC_PAGESIZE);
  auto* map = static_cast<std::byte*>(mmap(nullptr, static_cast<size_t>(page) * 2, PROT_READ | PROT_WRITE,
                                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  REQUIRE(map != MAP_FAILED);
  std::memset(map, 0, static_cast<size_t>(page) * 2);
  REQUIRE(mprotect(map + page, static_cast<size_t>(page), PROT_READ) == 0);
  CallerImage image;
  REQUIRE(image.open(getpid()) == 0);
  const std::array<std::byte, 16> ones = [] {
    std::array<std::byte, 16> a{};
    a.fill(std::byte{1});
    return a;
  }();
  const auto addr = [&](long offset) { return reinterpret_cast<uint64_t>(map + offset); };
  CHECK(image.write(addr(0), ones) == 0);
  CHECK(map[15] == std::byte{1});
  CHECK(image.write(addr(page - 4), ones) == EFAULT);  // four bytes, then the read-only page
  CHECK(map[page - 1] == std::byte{1});
  CHECK(map[page] == std::byte{0});
  CHECK(image.write(addr(page + 8), ones) == EFAULT);
  CHECK(map[page + 8] == std::byte{0});
  munmap(map, static_cast<size_t>(page) * 2);
}

TEST_CASE("how much of a range the caller could write, and could read") {
  const long page = sysconf(_SC_PAGESIZE);
  auto* map = static_cast<std::byte*>(mmap(nullptr, static_cast<size_t>(page) * 2, PROT_READ | PROT_WRITE,
                                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  REQUIRE(map != MAP_FAILED);
  const auto addr = [&](long offset) { return reinterpret_cast<uint64_t>(map + offset); };
  CallerImage image;
  REQUIRE(image.open(getpid()) == 0);
  REQUIRE(mprotect(map + page, static_cast<size_t>(page), PROT_READ) == 0);
  uint64_t room = 99;
  CHECK(image.writable_prefix(addr(0), 16, room) == 0);
  CHECK(room == 16);
  CHECK(image.writable_prefix(addr(page - 4), 16, room) == 0);
  CHECK(room == 4);
  CHECK(image.writable_prefix(addr(page + 8), 16, room) == 0);
  CHECK(room == 0);
  CHECK(image.writable_prefix(addr(0), 0, room) == 0);
  CHECK(room == 0);

  REQUIRE(mprotect(map + page, static_cast<size_t>(page), PROT_NONE) == 0);
  std::array<std::byte, 16> out{};
  size_t got = 99;
  CHECK(sysvisor::read_memory_prefix(getpid(), addr(page - 6), out, got) == EFAULT);
  CHECK(got == 6);
  CHECK(sysvisor::read_memory_prefix(getpid(), addr(0), out, got) == 0);
  CHECK(got == 16);
  CHECK(sysvisor::read_memory_prefix(getpid(), addr(page), out, got) == EFAULT);
  CHECK(got == 0);
  munmap(map, static_cast<size_t>(page) * 2);
}
