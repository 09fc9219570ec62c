// How the log describes a call: its process, name, arguments and what an inject rule did.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/syscall.hpp"
#include "sysvisor/inject.hpp"

namespace sysvisor {

// The thread group of a thread ("Tgid:" in /proc/TID/status); the tid itself if unreadable.
pid_t thread_group(pid_t tid);
// The syscall's name in its architecture, or "syscall_N".
std::string syscall_name(const Syscall& call);
// The six arguments in hex; the path argument, when one was read, as a C string literal.
std::vector<std::string> describe_args(const Syscall& call, std::optional<std::string_view> path);
// "error=EIO", "retval=42", "signal=SIGUSR1", ... joined with ':'.
std::string describe_injection(const InjectRule& rule);

}  // namespace sysvisor
