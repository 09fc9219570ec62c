// The engine's side of a sysvisor::Call: what still_pending() asks. Kept out of the public header.
#pragma once

#include <cstdint>

#include "kernel/notify_fd.hpp"
#include "sysvisor/call.hpp"

namespace sysvisor::detail {

class CallContext {
 public:
  explicit CallContext(const NotifyFd& notify) noexcept : notify_(notify) {}
  bool pending(uint64_t id) const noexcept { return notify_.id_valid(id) == 0; }

 private:
  const NotifyFd& notify_;
};

struct CallAccess {
  static void bind(Call& call, const CallContext* context) noexcept { call.context_ = context; }
  static const CallContext* context(const Call& call) noexcept { return call.context_; }
};

}  // namespace sysvisor::detail
