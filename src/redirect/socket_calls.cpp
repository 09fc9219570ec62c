#include "redirect/socket_calls.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "kernel/proc_info.hpp"
#include "redirect/args_by_role.hpp"
#include "sysvisor/unique_fd.hpp"

namespace sysvisor {
namespace {

// A sockaddr_un for `path`; a path too long for sun_path goes through a descriptor of its
// directory (/proc/self/fd/N/NAME), which `dir` keeps open.
bool unix_address(const std::string& path, sockaddr_un& out, socklen_t& len, UniqueFd& dir) {
  out = {};
  out.sun_family = AF_UNIX;
  std::string name = path;
  if (name.size() >= sizeof out.sun_path) {
    const size_t slash = path.find_last_of('/');
    dir.reset(open(slash == 0 ? "/" : path.substr(0, slash).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return false;
    name = "/proc/self/fd/" + std::to_string(dir.get()) + path.substr(slash);
    if (name.size() >= sizeof out.sun_path) return false;
  }
  std::memcpy(out.sun_path, name.data(), name.size());
  len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + 1);
  return true;
}

}  // namespace

Reply perform_socket_call(const Syscall& c, const Redirection& r, const CallInputs& in,
                          const std::optional<RealIds>& ids) {
  if (!in.fd) return Reply::cont();  // not a descriptor we could take: the kernel says what it is
  const UniqueFd& sock = *in.fd;
  sockaddr_un addr{};
  socklen_t len = 0;
  UniqueFd dir;
  if (!unix_address(r.target, addr, len, dir)) return Reply::err(ENAMETOOLONG);
  if (c.sysno == Sysno::kBind) {
    if (bind(sock.get(), reinterpret_cast<const sockaddr*>(&addr), len) != 0) return Reply::err(errno);
    // The socket file gets the program's umask (the serving threads' is 0).
    mode_t mask = 022;
    if (thread_umask(c.tid, mask) == 0) (void)fchmodat(AT_FDCWD, r.target.c_str(), 0777 & ~mask, 0);
    return Reply::val(0);
  }
  // A connect that would wait (a full backlog) must not hold a receiver: tried without waiting.
  const int flags = fcntl(sock.get(), F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK) == 0) fcntl(sock.get(), F_SETFL, flags | O_NONBLOCK);
  int rc;
  {
    const AssumedEffectiveIds as(ids);
    if (!as.ok()) return Reply::err(EACCES);
    rc = connect(sock.get(), reinterpret_cast<const sockaddr*>(&addr), len);
  }
  const int e = errno;
  if (flags >= 0 && (flags & O_NONBLOCK) == 0) fcntl(sock.get(), F_SETFL, flags);
  return rc == 0 ? Reply::val(0) : Reply::err(e);
}

}  // namespace sysvisor
