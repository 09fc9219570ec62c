// How the log describes a call: its process, name, arguments and what an inject rule did.
#pragma once

#include <sys/types.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/caller_memory.hpp"
#include "policy/syscall.hpp"
#include "sysvisor/inject.hpp"

namespace sysvisor {

// The thread group of a thread ("Tgid:" in /proc/TID/status); the tid itself if unreadable.
pid_t thread_group(pid_t tid);
// The syscall's name in its architecture, or "syscall_N".
std::string syscall_name(const Syscall& call);
// The strings the call's path arguments point to (the first and the second path, as
// ArgShape::paths() finds them), read through `memory`: nullopt where the call has no such
// argument or its memory cannot be read (the log then shows the pointer).
using PathStrings = std::array<std::optional<std::string>, 2>;
PathStrings read_path_args(const Syscall& call, CallerMemory& memory);
// The six arguments in hex; the first and second path arguments, when given, as C string literals
// with their dirfds (AT_FDCWD or the number), as strace shows them.
std::vector<std::string> describe_args(const Syscall& call, std::optional<std::string_view> path,
                                       std::optional<std::string_view> path2 = std::nullopt);
// "error=EIO", "retval=42", "signal=SIGUSR1", ... joined with ':'.
std::string describe_injection(const InjectRule& rule);

}  // namespace sysvisor
