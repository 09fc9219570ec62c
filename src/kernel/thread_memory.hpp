// ThreadMemory: CallerMemory for a real thread, through process_vm_readv and /proc/TID.
#pragma once

#include <sys/types.h>

#include "kernel/proc_info.hpp"
#include "kernel/process_memory.hpp"
#include "policy/caller_memory.hpp"

namespace sysvisor {

class ThreadMemory final : public CallerMemory {
 public:
  explicit ThreadMemory(pid_t tid) noexcept : tid_(tid) {}
  int read(uint64_t addr, std::span<std::byte> out) override { return read_memory(tid_, addr, out); }
  int read_string(uint64_t addr, size_t max, std::string& out) override {
    return read_c_string(tid_, addr, max, out);
  }
  int cwd(std::string& out) override { return thread_cwd(tid_, out); }
  int fd_path(int fd, std::string& out) override { return thread_fd_path(tid_, fd, out); }

 private:
  pid_t tid_;
};

}  // namespace sysvisor
