// A doctest case that proves a file-copy function handles ENOSPC on its 2nd write and EINTR on a
// read: the function runs in a supervised child (sysvisor::run_function), where the faults are
// injected exactly as `strace -e inject=` would inject them. Counting starts when the function
// starts: "write:when=2" is the function's own second write.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <sysvisor/supervisor.hpp>

// The code under test: copies `from` to `to` in 4 KiB chunks; returns 0 or the errno that stopped
// it. Interrupted reads and writes are retried.
int copy_file(const char* from, const char* to) {
  const int in = open(from, O_RDONLY | O_CLOEXEC);
  if (in < 0) return errno;
  const int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    const int e = errno;
    close(in);
    return e;
  }
  char buf[4096];
  int error = 0;
  while (error == 0) {
    const ssize_t n = read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = n < 0 ? errno : 0;
      break;
    }
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = write(out, buf + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        error = errno;
        break;
      }
      done += w;
    }
  }
  close(in);
  close(out);
  return error;
}

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

struct Files {
  std::string dir;
  std::string src;
  std::string dst;
  Files() {
    char tmpl[] = "/tmp/sysvisor-example-XXXXXX";
    dir = mkdtemp(tmpl);
    src = dir + "/src";
    dst = dir + "/dst";
    std::ofstream(src) << std::string(3 * 4096, 'x');  // three chunks: three reads, three writes
  }
  ~Files() {
    unlink(src.c_str());
    unlink(dst.c_str());
    rmdir(dir.c_str());
  }
};

}  // namespace

TEST_CASE("copy_file reports ENOSPC on the second write") {
  Files f;
  sysvisor::Policy policy;
  REQUIRE(policy.inject("write:error=ENOSPC:when=2"));
  auto result = sysvisor::run_function(policy, [&] { return copy_file(f.src.c_str(), f.dst.c_str()); });
  REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
  CHECK(result->exit_code == ENOSPC);
  CHECK(result->inject_hits[0] == 1);
  CHECK(slurp(f.dst).size() == 4096);  // the first chunk made it
}

TEST_CASE("copy_file retries a read interrupted by a signal") {
  Files f;
  sysvisor::Policy policy;
  REQUIRE(policy.inject("read:error=EINTR:when=1"));
  auto result = sysvisor::run_function(policy, [&] { return copy_file(f.src.c_str(), f.dst.c_str()); });
  REQUIRE(result);
  CHECK(result->exit_code == 0);
  CHECK(result->inject_hits[0] == 1);
  CHECK(slurp(f.dst) == slurp(f.src));
}

// An errno on every call is answered in the kernel, unseen, so its hits are "not counted"
// (nullopt); countable keeps such a rule in the supervisor, where every call is counted.
TEST_CASE("copy_file stops at the first failing write") {
  Files f;
  sysvisor::Policy policy;
  REQUIRE(policy.inject("write:error=EIO", {.countable = true}));
  auto result = sysvisor::run_function(policy, [&] { return copy_file(f.src.c_str(), f.dst.c_str()); });
  REQUIRE(result);
  CHECK(result->exit_code == EIO);
  CHECK(result->inject_hits[0] == 1);  // one write, not one per chunk
}

TEST_CASE("without faults the copy is complete (the control)") {
  Files f;
  auto result = sysvisor::run_function({}, [&] { return copy_file(f.src.c_str(), f.dst.c_str()); });
  REQUIRE(result);
  CHECK(result->exit_code == 0);
  CHECK(slurp(f.dst) == slurp(f.src));
}
