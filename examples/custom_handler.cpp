// A handler that makes getrandom(2) deterministic: the bytes a program gets are a counter, the
// same on every run. The handler writes into the caller's buffer through the Call.
#include <sys/random.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <vector>

#include <sysvisor/supervisor.hpp>

namespace {

sysvisor::Reply deterministic_getrandom(const sysvisor::Call& call) {
  const size_t len = std::min<size_t>(call.args[1], 256);
  std::vector<std::byte> bytes(len);
  for (size_t i = 0; i < len; ++i) bytes[i] = static_cast<std::byte>(i);
  if (auto ok = call.write(call.ptr_arg(0), bytes); !ok) return sysvisor::Reply::err(ok.error().code);
  return sysvisor::Reply::val(static_cast<int64_t>(len));
}

// Runs a function that asks getrandom for 16 bytes and sends them back through a pipe.
std::array<unsigned char, 16> random_bytes_under(const sysvisor::Policy& policy) {
  int fds[2];
  if (pipe(fds) != 0) std::abort();
  auto result = sysvisor::run_function(policy, [&] {
    unsigned char buf[16] = {};
    if (getrandom(buf, sizeof buf, 0) != static_cast<ssize_t>(sizeof buf)) return 1;
    return write(fds[1], buf, sizeof buf) == static_cast<ssize_t>(sizeof buf) ? 0 : 2;
  });
  close(fds[1]);
  std::array<unsigned char, 16> out{};
  if (!result || result->exit_code != 0 || read(fds[0], out.data(), out.size()) != 16) {
    std::fprintf(stderr, "custom_handler: run failed: %s\n", result ? "bad exit" : result.error().message.c_str());
    std::exit(1);
  }
  close(fds[0]);
  return out;
}

}  // namespace

int main() {
  sysvisor::Policy policy;
  if (auto ok = policy.on("getrandom", deterministic_getrandom); !ok) {
    std::fprintf(stderr, "custom_handler: %s\n", ok.error().message.c_str());
    return 1;
  }
  const auto first = random_bytes_under(policy);
  const auto second = random_bytes_under(policy);
  const auto control = random_bytes_under({});  // no handler: the kernel's random bytes
  for (size_t i = 0; i < first.size(); ++i) {
    if (first[i] != i || second[i] != i) {
      std::fprintf(stderr, "custom_handler: byte %zu is %u, expected %zu\n", i, first[i], i);
      return 1;
    }
  }
  if (control == first) {
    std::fprintf(stderr, "custom_handler: the control run got the handler's bytes\n");
    return 1;
  }
  std::printf("custom_handler: getrandom gave 00 01 02 .. 0f twice; the control got other bytes\n");
  return 0;
}
