#include "sysvisor/call.hpp"

#include <linux/seccomp.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

#include "engine/call_context.hpp"
#include "kernel/process_memory.hpp"

namespace sysvisor {

Result<std::vector<std::byte>> Call::read(uint64_t addr, size_t size) const {
  std::vector<std::byte> out(size);
  if (int e = read_memory(tid, addr, out); e != 0) return make_error(e, std::strerror(e));
  return out;
}

Result<std::string> Call::read_string(uint64_t addr, size_t max) const {
  std::string out;
  if (int e = read_c_string(tid, addr, max, out); e != 0) return make_error(e, std::strerror(e));
  return out;
}

// Into the image that made the call or nowhere: the image is pinned before the call is re-checked.
Result<void> Call::write(uint64_t addr, std::span<const std::byte> data) const {
  CallerImage image;
  if (int e = image.open(tid); e != 0) return make_error(e, std::strerror(e));
  if (!still_pending()) return make_error(ENOENT, "the call is no longer pending");
  if (int e = image.write(addr, data); e != 0) return make_error(e, std::strerror(e));
  return {};
}

bool Call::still_pending() const noexcept {
  const detail::CallContext* context = detail::CallAccess::context(*this);
  return context != nullptr && context->pending(id);
}

}  // namespace sysvisor
