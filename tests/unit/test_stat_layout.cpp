// stat_layout: the encoders against the running kernel (real files, every stat-family entry point of
// both ABIs, byte for byte) and against our reading of the kernel source (synthetic boundaries that
// no real file here can reach).
#include "redirect/stat_layout.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#ifndef STAT_DUMP_I386
#error "STAT_DUMP_I386 must name the i386 stat_dump helper (tests/CMakeLists.txt)"
#endif

namespace sysvisor {
namespace {

constexpr uint8_t kFill = 0xa5;  // what the buffers hold before the call (stat_dump.c does the same)
constexpr long kTmpfsMagic = 0x01021994;

// What a stat-family call left in a buffer pre-filled with kFill, or its errno.
struct CallOutcome {
  int err = 0;
  std::string hex;  // the buffer, lowercase hex; empty when err != 0

  bool operator==(const CallOutcome&) const = default;
};

doctest::String to_outcome_string(const CallOutcome& o) {
  return o.err != 0 ? ("E " + std::to_string(o.err)).c_str() : o.hex.c_str();
}

}  // namespace
}  // namespace sysvisor

namespace doctest {
template <>
struct StringMaker<sysvisor::CallOutcome> {
  static String convert(const sysvisor::CallOutcome& o) { return sysvisor::to_outcome_string(o); }
};
}  // namespace doctest

namespace sysvisor {
namespace {

std::string to_hex(const void* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const auto* p = static_cast<const unsigned char*>(data);
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 0xf];
  }
  return out;
}

// What the kernel is expected to leave in a kFill-ed buffer: the encoding in the written ranges,
// kFill elsewhere; or the encoder's errno.
CallOutcome expected_outcome(const struct statx& stx, StatLayout layout) {
  auto encoded = encode_stat(stx, layout);
  if (!encoded) return {encoded.error().code, {}};
  REQUIRE(encoded->size() == stat_layout_size(layout));
  std::vector<unsigned char> buf(stat_layout_size(layout), kFill);
  for (const ByteRange& r : stat_layout_written_ranges(layout)) {
    std::memcpy(buf.data() + r.offset, encoded->data() + r.offset, r.size);
  }
  return {0, to_hex(buf.data(), buf.size())};
}

struct statx statx_of(const std::string& path, int flags) {
  struct statx stx {};
  REQUIRE_MESSAGE(statx(AT_FDCWD, path.c_str(), flags, STATX_BASIC_STATS, &stx) == 0,
                  path << ": " << std::strerror(errno));
  return stx;
}

// The x86_64 stat-family calls, made raw into a 144-byte buffer.
CallOutcome native_call(const std::string& mode, const std::string& path) {
  std::vector<unsigned char> buf(stat_layout_size(StatLayout::kX86_64Stat), kFill);
  long rc = -1;
  if (mode == "stat") {
    rc = syscall(SYS_stat, path.c_str(), buf.data());
  } else if (mode == "lstat") {
    rc = syscall(SYS_lstat, path.c_str(), buf.data());
  } else if (mode == "newfstatat") {
    rc = syscall(SYS_newfstatat, AT_FDCWD, path.c_str(), buf.data(), 0);
  } else if (mode == "newfstatat-nofollow") {
    rc = syscall(SYS_newfstatat, AT_FDCWD, path.c_str(), buf.data(), AT_SYMLINK_NOFOLLOW);
  } else if (mode == "fstat") {
    const int fd = open(path.c_str(), O_PATH | O_CLOEXEC);
    REQUIRE_MESSAGE(fd >= 0, path << ": " << std::strerror(errno));
    rc = syscall(SYS_fstat, fd, buf.data());
    close(fd);
  } else {
    FAIL("unknown native mode " << mode);
  }
  if (rc != 0) return {errno, {}};
  return {0, to_hex(buf.data(), buf.size())};
}

// The i386 calls, made by the -m32 helper (tests/helpers/stat_dump.c).
CallOutcome i386_call(const std::string& mode, const std::string& path) {
  REQUIRE(path.find('\'') == std::string::npos);
  const std::string cmd = std::string(STAT_DUMP_I386) + " " + mode + " '" + path + "'";
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char chunk[512];
  while (size_t n = std::fread(chunk, 1, sizeof chunk, pipe)) out.append(chunk, n);
  const int status = pclose(pipe);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  if (out.rfind("E ", 0) == 0) return {std::atoi(out.c_str() + 2), {}};
  REQUIRE_MESSAGE(status == 0, cmd << " -> " << out);
  return {0, out};
}

bool i386_helper_works() {
  const std::string cmd = std::string(STAT_DUMP_I386) + " stat64 / 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return false;
  char line[256] = {};
  const bool got = std::fgets(line, sizeof line, pipe) != nullptr;
  return pclose(pipe) == 0 && got && line[0] != 'E';
}

// A fresh directory, removed (recursively) at scope exit.
class TempDir {
 public:
  explicit TempDir(const char* parent = "/tmp") {
    std::string templ = std::string(parent) + "/sysvisor-stat-XXXXXX";
    REQUIRE(mkdtemp(templ.data()) != nullptr);
    path_ = templ;
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void make_file(const std::string& path, const std::string& content = {}) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  REQUIRE_MESSAGE(fd >= 0, path << ": " << std::strerror(errno));
  REQUIRE(write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
  close(fd);
}

void make_sparse(const std::string& path, off_t size) {
  make_file(path);
  REQUIRE(truncate(path.c_str(), size) == 0);
}

void set_times(const std::string& path, struct timespec atime, struct timespec mtime) {
  const struct timespec ts[2] = {atime, mtime};
  REQUIRE_MESSAGE(utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW) == 0,
                  path << ": " << std::strerror(errno));
}

// Every stat-family entry point of both ABIs on `path`, compared with the encoders fed by
// statx(path) made just before the call: following a symlink reads it, which may move the link's
// atime (relatime) between two calls.
void check_all_calls(const std::string& path, bool with_i386) {
  CAPTURE(path);
  struct Entry {
    bool i386;
    const char* mode;
    int statx_flags;
    StatLayout layout;
  };
  static constexpr Entry kEntries[] = {
      {false, "stat", 0, StatLayout::kX86_64Stat},
      {false, "fstat", 0, StatLayout::kX86_64Stat},
      {false, "newfstatat", 0, StatLayout::kX86_64Stat},
      {false, "lstat", AT_SYMLINK_NOFOLLOW, StatLayout::kX86_64Stat},
      {false, "newfstatat-nofollow", AT_SYMLINK_NOFOLLOW, StatLayout::kX86_64Stat},
      {true, "stat", 0, StatLayout::kI386Stat},
      {true, "fstat", 0, StatLayout::kI386Stat},
      {true, "lstat", AT_SYMLINK_NOFOLLOW, StatLayout::kI386Stat},
      {true, "stat64", 0, StatLayout::kI386Stat64},
      {true, "fstat64", 0, StatLayout::kI386Stat64},
      {true, "fstatat64", 0, StatLayout::kI386Stat64},
      {true, "lstat64", AT_SYMLINK_NOFOLLOW, StatLayout::kI386Stat64},
  };
  for (const Entry& e : kEntries) {
    if (e.i386 && !with_i386) continue;
    CAPTURE(e.i386);
    CAPTURE(e.mode);
    const CallOutcome want = expected_outcome(statx_of(path, e.statx_flags), e.layout);
    CHECK((e.i386 ? i386_call(e.mode, path) : native_call(e.mode, path)) == want);
  }
}

const bool kHaveI386 = i386_helper_works();

bool dev_shm_is_tmpfs() {
  struct statfs sfs {};
  return statfs("/dev/shm", &sfs) == 0 && sfs.f_type == kTmpfsMagic && access("/dev/shm", W_OK) == 0;
}

// mknod of a device node and chown to arbitrary ids need CAP_MKNOD and CAP_CHOWN in the initial
// user namespace; try them once.
bool can_mknod_and_chown() {
  char dir[] = "/tmp/sysvisor-cap-XXXXXX";
  if (mkdtemp(dir) == nullptr) return false;
  const std::string node = std::string(dir) + "/n";
  const bool ok = mknod(node.c_str(), S_IFCHR | 0600, makedev(300, 70000)) == 0 &&
                  lchown(node.c_str(), 70000, 70000) == 0;
  unlink(node.c_str());
  rmdir(dir);
  return ok;
}

// ---------------------------------------------------------------------------------------------
// Against the kernel.

TEST_CASE("stat_layout: x86_64 stat family matches the kernel on real files") {
  TempDir dir;
  make_file(dir / "file", "hello, stat\n");
  REQUIRE(mkdir((dir / "dir").c_str(), 0755) == 0);
  REQUIRE(symlink("file", (dir / "link").c_str()) == 0);
  REQUIRE(symlink("missing", (dir / "dangling").c_str()) == 0);
  REQUIRE(mkfifo((dir / "fifo").c_str(), 0600) == 0);
  make_file(dir / "nsec");
  set_times(dir / "nsec", {1'234'567'890, 123'456'789}, {1'700'000'000, 999'999'999});
  make_file(dir / "far-times");  // beyond u32 and before 1970: i386 fields truncate silently
  set_times(dir / "far-times", {-1, 1}, {5'000'000'000, 42});
  make_sparse(dir / "size-2g-1", (off_t{1} << 31) - 1);
  make_sparse(dir / "size-2g", off_t{1} << 31);
  make_sparse(dir / "size-5g", off_t{5} << 30);

  for (const char* name : {"file", "dir", "link", "fifo", "nsec", "far-times", "size-2g-1",
                           "size-2g", "size-5g"}) {
    check_all_calls(dir / name, false);
  }
  check_all_calls("/dev/null", false);
  // lstat of a dangling symlink works; stat does not (and is not ours to encode).
  CHECK(native_call("lstat", dir / "dangling") ==
        expected_outcome(statx_of(dir / "dangling", AT_SYMLINK_NOFOLLOW), StatLayout::kX86_64Stat));
}

TEST_CASE("stat_layout: i386 stat and stat64 match the kernel on real files" *
          doctest::skip(!kHaveI386)) {
  TempDir dir;
  make_file(dir / "file", "hello, stat\n");
  REQUIRE(mkdir((dir / "dir").c_str(), 0755) == 0);
  REQUIRE(symlink("file", (dir / "link").c_str()) == 0);
  REQUIRE(mkfifo((dir / "fifo").c_str(), 0600) == 0);
  make_file(dir / "nsec");
  set_times(dir / "nsec", {1'234'567'890, 123'456'789}, {1'700'000'000, 999'999'999});
  make_file(dir / "far-times");
  set_times(dir / "far-times", {-1, 1}, {5'000'000'000, 42});
  make_sparse(dir / "size-2g-1", (off_t{1} << 31) - 1);  // the largest size struct stat holds
  make_sparse(dir / "size-2g", off_t{1} << 31);          // EOVERFLOW for stat, fine for stat64
  make_sparse(dir / "size-4g", off_t{1} << 32);          // would wrap to 0 in a u32
  make_sparse(dir / "size-5g", off_t{5} << 30);

  for (const char* name : {"file", "dir", "link", "fifo", "nsec", "far-times", "size-2g-1",
                           "size-2g", "size-4g", "size-5g"}) {
    check_all_calls(dir / name, true);
  }
  check_all_calls("/dev/null", true);

  // The encoders must actually disagree with the kernel's success on these, not just match it.
  CHECK(i386_call("stat", dir / "size-2g").err == EOVERFLOW);
  CHECK(i386_call("stat", dir / "size-5g").err == EOVERFLOW);
  CHECK(i386_call("stat", dir / "size-2g-1").err == 0);
}

TEST_CASE("stat_layout: a char device with a minor above 255 (new_encode_dev) matches the kernel" *
          doctest::skip(access("/dev/cpu_dma_latency", F_OK) != 0)) {
  // misc device 10:259 on most kernels: old_encode_dev could not represent it.
  const struct statx stx = statx_of("/dev/cpu_dma_latency", 0);
  CHECK(stx.stx_rdev_minor > 255);
  check_all_calls("/dev/cpu_dma_latency", kHaveI386);
}

TEST_CASE("stat_layout: device numbers and 32-bit ids across the boundaries match the kernel" *
          doctest::skip(!can_mknod_and_chown())) {
  TempDir dir;
  struct Node {
    const char* name;
    unsigned major;
    unsigned minor;
  };
  // The kernel's dev_t has 12 major and 20 minor bits: (4095, 0xfffff) is the largest.
  const Node nodes[] = {{"d-255-255", 255, 255},   {"d-256-0", 256, 0},  {"d-0-256", 0, 256},
                        {"d-300-70000", 300, 70000}, {"d-4095-fffff", 4095, 0xfffff}};
  for (const Node& n : nodes) {
    const std::string path = dir / n.name;
    REQUIRE(mknod(path.c_str(), S_IFCHR | 0600, makedev(n.major, n.minor)) == 0);
    const struct statx stx = statx_of(path, 0);
    CHECK(stx.stx_rdev_major == n.major);
    CHECK(stx.stx_rdev_minor == n.minor);
    check_all_calls(path, kHaveI386);
  }
  struct Owner {
    const char* name;
    uid_t uid;
    gid_t gid;
  };
  // 16-bit fields of the i386 struct stat: 65535 fits, 65536 becomes overflowuid/gid.
  const Owner owners[] = {{"o-65534", 65534, 65534},
                          {"o-65535", 65535, 65535},
                          {"o-65536", 65536, 65536},
                          {"o-mixed", 70000, 100},
                          {"o-max", 0xfffffffe, 0xfffffffe}};
  for (const Owner& o : owners) {
    const std::string path = dir / o.name;
    make_file(path);
    REQUIRE(chown(path.c_str(), o.uid, o.gid) == 0);
    check_all_calls(path, kHaveI386);
  }
}

TEST_CASE("stat_layout: nlink 65535 and 65536 match the kernel (tmpfs hard links)" *
          doctest::skip(!dev_shm_is_tmpfs())) {
  TempDir dir("/dev/shm");
  const std::string target = dir / "target";
  make_file(target);
  // tmpfs has no link limit (ext4 stops at 65000): 65534 more names give nlink 65535.
  for (int i = 1; i < 65535; ++i) {
    REQUIRE(link(target.c_str(), (dir / std::to_string(i)).c_str()) == 0);
  }
  REQUIRE(statx_of(target, 0).stx_nlink == 65535);
  check_all_calls(target, kHaveI386);
  if (kHaveI386) CHECK(i386_call("stat", target).err == 0);

  REQUIRE(link(target.c_str(), (dir / "65535").c_str()) == 0);
  REQUIRE(statx_of(target, 0).stx_nlink == 65536);
  check_all_calls(target, kHaveI386);
  if (kHaveI386) CHECK(i386_call("stat", target).err == EOVERFLOW);
}

// ---------------------------------------------------------------------------------------------
// Against our reading of the kernel (synthetic statx values).

template <class T>
T field(const std::vector<std::byte>& bytes, size_t offset) {
  REQUIRE(offset + sizeof(T) <= bytes.size());
  T value{};
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

// A statx with every field distinct and in range for every layout.
struct statx sample_statx() {
  struct statx stx {};
  stx.stx_mask = STATX_BASIC_STATS;
  stx.stx_blksize = 4096;
  stx.stx_nlink = 3;
  stx.stx_uid = 1000;
  stx.stx_gid = 1001;
  stx.stx_mode = S_IFREG | 04755;
  stx.stx_ino = 0x1234567;
  stx.stx_size = 0x7654321;
  stx.stx_blocks = 0x3b2a;
  stx.stx_atime = {1'111'111'111, 111'111'111, 0};
  stx.stx_mtime = {1'222'222'222, 222'222'222, 0};
  stx.stx_ctime = {1'333'333'333, 333'333'333, 0};
  stx.stx_btime = {1'000'000'000, 1, 0};  // in no stat struct
  stx.stx_rdev_major = 8;
  stx.stx_rdev_minor = 17;
  stx.stx_dev_major = 0;
  stx.stx_dev_minor = 42;
  return stx;
}

std::vector<std::byte> encode_ok(const struct statx& stx, StatLayout layout) {
  auto r = encode_stat(stx, layout);
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  REQUIRE(r->size() == stat_layout_size(layout));
  return std::move(r).value();
}

void check_eoverflow(const struct statx& stx) {
  auto r = encode_stat(stx, StatLayout::kI386Stat);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == EOVERFLOW);
  CHECK(r.error().message.find("i386 struct stat") != std::string::npos);
}

TEST_CASE("stat_layout: sizes and written ranges") {
  CHECK(stat_layout_size(StatLayout::kX86_64Stat) == 144);
  CHECK(stat_layout_size(StatLayout::kX86_64Stat) == sizeof(struct stat));  // host = x86_64
  CHECK(stat_layout_size(StatLayout::kI386Stat) == 64);
  CHECK(stat_layout_size(StatLayout::kI386Stat64) == 96);
  for (StatLayout layout : {StatLayout::kX86_64Stat, StatLayout::kI386Stat, StatLayout::kI386Stat64}) {
    size_t next = 0;
    size_t covered = 0;
    for (const ByteRange& r : stat_layout_written_ranges(layout)) {
      CHECK(r.offset >= next);
      CHECK(r.size > 0);
      next = r.offset + r.size;
      covered += r.size;
    }
    CHECK(next <= stat_layout_size(layout));
    // cp_stat64 skips exactly __pad0[4] and __pad3[4]; the others memset the whole struct.
    CHECK(covered == stat_layout_size(layout) - (layout == StatLayout::kI386Stat64 ? 8 : 0));
  }
}

TEST_CASE("stat_layout: field placement of a sample (x86_64 checked against glibc's struct stat)") {
  const struct statx stx = sample_statx();
  const auto bytes = encode_ok(stx, StatLayout::kX86_64Stat);
  struct stat st {};
  std::memcpy(&st, bytes.data(), sizeof st);
  CHECK(st.st_dev == makedev(0, 42));
  CHECK(st.st_ino == 0x1234567);
  CHECK(st.st_nlink == 3);
  CHECK(st.st_mode == (S_IFREG | 04755));
  CHECK(st.st_uid == 1000);
  CHECK(st.st_gid == 1001);
  CHECK(st.st_rdev == makedev(8, 17));
  CHECK(st.st_size == 0x7654321);
  CHECK(st.st_blksize == 4096);
  CHECK(st.st_blocks == 0x3b2a);
  CHECK(st.st_atim.tv_sec == 1'111'111'111);
  CHECK(st.st_atim.tv_nsec == 111'111'111);
  CHECK(st.st_mtim.tv_sec == 1'222'222'222);
  CHECK(st.st_mtim.tv_nsec == 222'222'222);
  CHECK(st.st_ctim.tv_sec == 1'333'333'333);
  CHECK(st.st_ctim.tv_nsec == 333'333'333);

  // i386 struct stat: offsets of struct compat_stat (arch/x86/include/asm/compat.h).
  const auto old = encode_ok(stx, StatLayout::kI386Stat);
  CHECK(field<uint32_t>(old, 0) == 42);
  CHECK(field<uint32_t>(old, 4) == 0x1234567);
  CHECK(field<uint16_t>(old, 8) == (S_IFREG | 04755));
  CHECK(field<uint16_t>(old, 10) == 3);
  CHECK(field<uint16_t>(old, 12) == 1000);
  CHECK(field<uint16_t>(old, 14) == 1001);
  CHECK(field<uint32_t>(old, 16) == 0x811);
  CHECK(field<uint32_t>(old, 20) == 0x7654321);
  CHECK(field<uint32_t>(old, 24) == 4096);
  CHECK(field<uint32_t>(old, 28) == 0x3b2a);
  CHECK(field<uint32_t>(old, 32) == 1'111'111'111);
  CHECK(field<uint32_t>(old, 36) == 111'111'111);
  CHECK(field<uint32_t>(old, 40) == 1'222'222'222);
  CHECK(field<uint32_t>(old, 44) == 222'222'222);
  CHECK(field<uint32_t>(old, 48) == 1'333'333'333);
  CHECK(field<uint32_t>(old, 52) == 333'333'333);
  CHECK(field<uint64_t>(old, 56) == 0);

  // i386 struct stat64: offsets of the packed struct stat64 (arch/x86/include/asm/ia32.h).
  const auto s64 = encode_ok(stx, StatLayout::kI386Stat64);
  CHECK(field<uint64_t>(s64, 0) == 42);
  CHECK(field<uint32_t>(s64, 8) == 0);  // __pad0
  CHECK(field<uint32_t>(s64, 12) == 0x1234567);
  CHECK(field<uint32_t>(s64, 16) == (S_IFREG | 04755));
  CHECK(field<uint32_t>(s64, 20) == 3);
  CHECK(field<uint32_t>(s64, 24) == 1000);
  CHECK(field<uint32_t>(s64, 28) == 1001);
  CHECK(field<uint64_t>(s64, 32) == 0x811);
  CHECK(field<uint32_t>(s64, 40) == 0);  // __pad3
  CHECK(field<uint64_t>(s64, 44) == 0x7654321);
  CHECK(field<uint32_t>(s64, 52) == 4096);
  CHECK(field<uint64_t>(s64, 56) == 0x3b2a);
  CHECK(field<uint32_t>(s64, 64) == 1'111'111'111);
  CHECK(field<uint32_t>(s64, 68) == 111'111'111);
  CHECK(field<uint32_t>(s64, 72) == 1'222'222'222);
  CHECK(field<uint32_t>(s64, 76) == 222'222'222);
  CHECK(field<uint32_t>(s64, 80) == 1'333'333'333);
  CHECK(field<uint32_t>(s64, 84) == 333'333'333);
  CHECK(field<uint64_t>(s64, 88) == 0x1234567);
}

TEST_CASE("stat_layout: st_ino around 2^32") {
  // cp_compat_stat (fs/stat.c): "if (sizeof(tmp.st_ino) < sizeof(stat->ino) && tmp.st_ino !=
  // stat->ino) return -EOVERFLOW" with a u32 compat_ino_t. cp_stat64 (sys_ia32.c) stores ino into
  // the u32 __st_ino and the u64 st_ino without a check. cp_new_stat (x86_64): u64, no check.
  for (uint64_t ino : {uint64_t{1}, uint64_t{0xfffffffe}, uint64_t{0xffffffff}, uint64_t{1} << 32,
                       (uint64_t{1} << 32) + 1, uint64_t{0x123456789abcdef0}, UINT64_MAX}) {
    CAPTURE(ino);
    struct statx stx = sample_statx();
    stx.stx_ino = ino;
    CHECK(field<uint64_t>(encode_ok(stx, StatLayout::kX86_64Stat), 8) == ino);
    const auto s64 = encode_ok(stx, StatLayout::kI386Stat64);
    CHECK(field<uint32_t>(s64, 12) == static_cast<uint32_t>(ino));
    CHECK(field<uint64_t>(s64, 88) == ino);
    if (ino <= 0xffffffff) {
      CHECK(field<uint32_t>(encode_ok(stx, StatLayout::kI386Stat), 4) == ino);
    } else {
      check_eoverflow(stx);
    }
  }
}

TEST_CASE("stat_layout: st_nlink around 2^16") {
  // cp_compat_stat: u16 compat_nlink_t, "if (tmp.st_nlink != stat->nlink) return -EOVERFLOW".
  // cp_stat64: unsigned int st_nlink, no check (kstat.nlink is 32 bits too).
  for (uint32_t nlink : {0U, 1U, 65534U, 65535U, 65536U, 65537U, UINT32_MAX}) {
    CAPTURE(nlink);
    struct statx stx = sample_statx();
    stx.stx_nlink = nlink;
    CHECK(field<uint64_t>(encode_ok(stx, StatLayout::kX86_64Stat), 16) == nlink);
    CHECK(field<uint32_t>(encode_ok(stx, StatLayout::kI386Stat64), 20) == nlink);
    if (nlink <= 65535) {
      CHECK(field<uint16_t>(encode_ok(stx, StatLayout::kI386Stat), 10) == nlink);
    } else {
      check_eoverflow(stx);
    }
  }
}

TEST_CASE("stat_layout: st_size around MAX_NON_LFS") {
  // cp_compat_stat: "if ((u64) stat->size > MAX_NON_LFS) return -EOVERFLOW", MAX_NON_LFS =
  // 2^31-1; a negative loff_t is a huge u64 and overflows too. stat64 and x86_64: 64-bit size.
  const uint64_t kMax = (uint64_t{1} << 31) - 1;
  for (uint64_t size : {uint64_t{0}, kMax - 1, kMax, kMax + 1, uint64_t{0xffffffff},
                        uint64_t{1} << 32, uint64_t{INT64_MAX}, UINT64_MAX}) {
    CAPTURE(size);
    struct statx stx = sample_statx();
    stx.stx_size = size;
    CHECK(field<uint64_t>(encode_ok(stx, StatLayout::kX86_64Stat), 48) == size);
    CHECK(field<uint64_t>(encode_ok(stx, StatLayout::kI386Stat64), 44) == size);
    if (size <= kMax) {
      CHECK(field<uint32_t>(encode_ok(stx, StatLayout::kI386Stat), 20) == size);
    } else {
      check_eoverflow(stx);
    }
  }
}

TEST_CASE("stat_layout: device numbers use new_encode_dev in every layout, never EOVERFLOW") {
  // include/linux/kdev_t.h: new_encode_dev(dev) = (minor & 0xff) | (major << 8) |
  // ((minor & ~0xff) << 12); huge_encode_dev (cp_stat64) is the same value in a u64. Since Linux
  // 5.18 cp_compat_stat uses new_encode_dev into a u32 st_dev/st_rdev and its old_valid_dev()
  // checks ("sizeof(tmp.st_dev) < 4 && ...") are compiled out on x86; older kernels wrote
  // old_encode_dev into a u16 and returned EOVERFLOW for majors or minors above 255.
  struct Case {
    uint32_t major;
    uint32_t minor;
    uint32_t encoded;  // worked out by hand from the formula above
  };
  const Case cases[] = {{0, 0, 0x0},           {1, 3, 0x103},          {255, 255, 0xffff},
                        {256, 0, 0x10000},     {0, 256, 0x100000},     {10, 259, 0x100a03},
                        {0x123, 0x45678, 0x45612378}, {4095, 0xfffff, 0xffffffff}};
  for (const Case& c : cases) {
    CAPTURE(c.major);
    CAPTURE(c.minor);
    // glibc's makedev agrees with new_encode_dev for majors below 4096.
    CHECK(makedev(c.major, c.minor) == c.encoded);
    struct statx stx = sample_statx();
    stx.stx_dev_major = c.major;
    stx.stx_dev_minor = c.minor;
    stx.stx_rdev_major = c.major;
    stx.stx_rdev_minor = c.minor;
    const auto x64 = encode_ok(stx, StatLayout::kX86_64Stat);
    CHECK(field<uint64_t>(x64, 0) == c.encoded);
    CHECK(field<uint64_t>(x64, 40) == c.encoded);
    const auto old = encode_ok(stx, StatLayout::kI386Stat);
    CHECK(field<uint32_t>(old, 0) == c.encoded);
    CHECK(field<uint32_t>(old, 16) == c.encoded);
    const auto s64 = encode_ok(stx, StatLayout::kI386Stat64);
    CHECK(field<uint64_t>(s64, 0) == c.encoded);
    CHECK(field<uint64_t>(s64, 32) == c.encoded);
  }
}

TEST_CASE("stat_layout: uid and gid in the 16-bit fields of the i386 struct stat") {
  // SET_UID/SET_GID (include/linux/highuid.h, CONFIG_UID16): a u16 field gets high2lowuid(uid) =
  // uid & ~0xFFFF ? overflowuid : uid. stat64 and x86_64 have 32-bit fields: stored as is.
  struct Case {
    uint32_t id;
    uint16_t with_default;
    uint16_t with_custom;  // OverflowIds{4321, 8765}
  };
  const Case cases[] = {{0, 0, 0},
                        {65534, 65534, 65534},
                        {65535, 65535, 65535},
                        {65536, 65534, 4321},
                        {100000, 65534, 4321},
                        {0x7fffffff, 65534, 4321},
                        {0xffffffff, 65534, 4321}};
  for (const Case& c : cases) {
    CAPTURE(c.id);
    struct statx stx = sample_statx();
    stx.stx_uid = c.id;
    stx.stx_gid = c.id;
    const auto old = encode_ok(stx, StatLayout::kI386Stat);
    CHECK(field<uint16_t>(old, 12) == c.with_default);
    CHECK(field<uint16_t>(old, 14) == c.with_default);
    auto custom = encode_stat(stx, StatLayout::kI386Stat, OverflowIds{4321, 8765});
    REQUIRE(custom.ok());
    CHECK(field<uint16_t>(*custom, 12) == c.with_custom);
    CHECK(field<uint16_t>(*custom, 14) == (c.with_custom == 4321 ? 8765 : c.with_custom));
    const auto s64 = encode_ok(stx, StatLayout::kI386Stat64);
    CHECK(field<uint32_t>(s64, 24) == c.id);
    CHECK(field<uint32_t>(s64, 28) == c.id);
    const auto x64 = encode_ok(stx, StatLayout::kX86_64Stat);
    CHECK(field<uint32_t>(x64, 28) == c.id);
    CHECK(field<uint32_t>(x64, 32) == c.id);
  }
}

TEST_CASE("stat_layout: timestamps, blocks and blksize are truncated, not checked, on i386") {
  // cp_compat_stat and cp_stat64 assign the 64-bit tv_sec, blocks (compat_stat only) and blksize
  // to u32 fields with no overflow check; x86_64 keeps all 64 bits (two's complement tv_sec).
  for (int64_t sec : {int64_t{-1}, int64_t{0}, int64_t{INT32_MAX}, int64_t{1} << 31,
                      int64_t{0xffffffff}, int64_t{1} << 32, int64_t{5'000'000'000}, INT64_MIN}) {
    CAPTURE(sec);
    // sec - 1 for INT64_MIN is meant to wrap to INT64_MAX; computed unsigned, because signed
    // overflow is undefined behaviour (UBSan in `make test-asan` stops on it).
    const int64_t before = static_cast<int64_t>(static_cast<uint64_t>(sec) - 1);
    struct statx stx = sample_statx();
    stx.stx_atime = {sec, 999'999'999, 0};
    stx.stx_mtime = {sec + 1, 0, 0};
    stx.stx_ctime = {before, 1, 0};
    const auto x64 = encode_ok(stx, StatLayout::kX86_64Stat);
    CHECK(field<int64_t>(x64, 72) == sec);
    CHECK(field<uint64_t>(x64, 80) == 999'999'999);
    CHECK(field<int64_t>(x64, 88) == sec + 1);
    CHECK(field<int64_t>(x64, 104) == before);
    CHECK(field<uint64_t>(x64, 112) == 1);
    const auto old = encode_ok(stx, StatLayout::kI386Stat);
    CHECK(field<uint32_t>(old, 32) == static_cast<uint32_t>(sec));
    CHECK(field<uint32_t>(old, 36) == 999'999'999);
    CHECK(field<uint32_t>(old, 40) == static_cast<uint32_t>(sec + 1));
    CHECK(field<uint32_t>(old, 48) == static_cast<uint32_t>(before));
    const auto s64 = encode_ok(stx, StatLayout::kI386Stat64);
    CHECK(field<uint32_t>(s64, 64) == static_cast<uint32_t>(sec));
    CHECK(field<uint32_t>(s64, 72) == static_cast<uint32_t>(sec + 1));
    CHECK(field<uint32_t>(s64, 80) == static_cast<uint32_t>(before));
  }
  for (uint64_t blocks : {uint64_t{0xffffffff}, uint64_t{1} << 32, (uint64_t{1} << 40) + 7}) {
    CAPTURE(blocks);
    struct statx stx = sample_statx();
    stx.stx_blocks = blocks;
    stx.stx_blksize = 0x80000000;
    CHECK(field<uint32_t>(encode_ok(stx, StatLayout::kI386Stat), 28) ==
          static_cast<uint32_t>(blocks));
    CHECK(field<uint32_t>(encode_ok(stx, StatLayout::kI386Stat), 24) == 0x80000000);
    CHECK(field<uint64_t>(encode_ok(stx, StatLayout::kI386Stat64), 56) == blocks);
    CHECK(field<uint32_t>(encode_ok(stx, StatLayout::kI386Stat64), 52) == 0x80000000);
    CHECK(field<uint64_t>(encode_ok(stx, StatLayout::kX86_64Stat), 64) == blocks);
    CHECK(field<uint64_t>(encode_ok(stx, StatLayout::kX86_64Stat), 56) == 0x80000000);
  }
}

TEST_CASE("stat_layout: the first EOVERFLOW wins, and only the i386 struct stat has any") {
  struct statx stx = sample_statx();
  stx.stx_ino = uint64_t{1} << 40;
  stx.stx_nlink = 70000;
  stx.stx_size = uint64_t{1} << 40;
  stx.stx_uid = 0xffffffff;
  check_eoverflow(stx);
  CHECK(encode_stat(stx, StatLayout::kX86_64Stat).ok());
  CHECK(encode_stat(stx, StatLayout::kI386Stat64).ok());
}

}  // namespace
}  // namespace sysvisor
