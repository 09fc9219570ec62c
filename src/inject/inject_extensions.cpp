// The keys sysvisor adds to strace's inject language: argN predicates with symbolic constants,
// path=/path2= globs, prob=, seed= and short=. Pure parsing: no kernel, no I/O.
#include "inject/inject_extensions.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>

#include "policy/option_grammar.hpp"

namespace sysvisor {
namespace {

struct Constant {
  std::string_view name;
  uint64_t value;
};

// The constants an argument value may name, as the kernel's x86 ABI defines them (O_LARGEFILE as
// the kernel sees it: glibc's x86_64 header says 0).
constexpr Constant kConstants[] = {
    {"O_RDONLY", O_RDONLY}, {"O_WRONLY", O_WRONLY}, {"O_RDWR", O_RDWR}, {"O_ACCMODE", O_ACCMODE},
    {"O_CREAT", O_CREAT}, {"O_EXCL", O_EXCL}, {"O_NOCTTY", O_NOCTTY}, {"O_TRUNC", O_TRUNC},
    {"O_APPEND", O_APPEND}, {"O_NONBLOCK", O_NONBLOCK}, {"O_NDELAY", O_NDELAY}, {"O_DSYNC", O_DSYNC},
    {"O_SYNC", O_SYNC}, {"O_RSYNC", O_RSYNC}, {"O_ASYNC", O_ASYNC}, {"O_DIRECT", O_DIRECT},
    {"O_LARGEFILE", 0100000}, {"O_DIRECTORY", O_DIRECTORY}, {"O_NOFOLLOW", O_NOFOLLOW},
    {"O_NOATIME", O_NOATIME}, {"O_CLOEXEC", O_CLOEXEC}, {"O_PATH", O_PATH}, {"O_TMPFILE", O_TMPFILE},
    {"AT_FDCWD", static_cast<uint64_t>(static_cast<int64_t>(AT_FDCWD))},
    {"AT_SYMLINK_NOFOLLOW", AT_SYMLINK_NOFOLLOW}, {"AT_REMOVEDIR", AT_REMOVEDIR},
    {"AT_SYMLINK_FOLLOW", AT_SYMLINK_FOLLOW}, {"AT_NO_AUTOMOUNT", AT_NO_AUTOMOUNT},
    {"AT_EMPTY_PATH", AT_EMPTY_PATH}, {"AT_EACCESS", AT_EACCESS},
    {"AF_UNSPEC", AF_UNSPEC}, {"AF_UNIX", AF_UNIX}, {"AF_LOCAL", AF_LOCAL}, {"AF_INET", AF_INET},
    {"AF_INET6", AF_INET6}, {"AF_NETLINK", AF_NETLINK}, {"AF_PACKET", AF_PACKET},
    {"SOCK_STREAM", SOCK_STREAM}, {"SOCK_DGRAM", SOCK_DGRAM}, {"SOCK_RAW", SOCK_RAW},
    {"SOCK_SEQPACKET", SOCK_SEQPACKET}, {"SOCK_NONBLOCK", SOCK_NONBLOCK}, {"SOCK_CLOEXEC", SOCK_CLOEXEC},
    {"MSG_OOB", MSG_OOB}, {"MSG_PEEK", MSG_PEEK}, {"MSG_DONTROUTE", MSG_DONTROUTE}, {"MSG_TRUNC", MSG_TRUNC},
    {"MSG_DONTWAIT", MSG_DONTWAIT}, {"MSG_EOR", MSG_EOR}, {"MSG_WAITALL", MSG_WAITALL},
    {"MSG_NOSIGNAL", MSG_NOSIGNAL}, {"MSG_MORE", MSG_MORE}, {"MSG_CMSG_CLOEXEC", MSG_CMSG_CLOEXEC},
    {"MAP_SHARED", MAP_SHARED}, {"MAP_PRIVATE", MAP_PRIVATE}, {"MAP_SHARED_VALIDATE", MAP_SHARED_VALIDATE},
    {"MAP_FIXED", MAP_FIXED}, {"MAP_ANONYMOUS", MAP_ANONYMOUS}, {"MAP_ANON", MAP_ANON},
    {"MAP_GROWSDOWN", MAP_GROWSDOWN}, {"MAP_DENYWRITE", MAP_DENYWRITE}, {"MAP_EXECUTABLE", MAP_EXECUTABLE},
    {"MAP_LOCKED", MAP_LOCKED}, {"MAP_NORESERVE", MAP_NORESERVE}, {"MAP_POPULATE", MAP_POPULATE},
    {"MAP_NONBLOCK", MAP_NONBLOCK}, {"MAP_STACK", MAP_STACK}, {"MAP_HUGETLB", MAP_HUGETLB},
    {"MAP_FIXED_NOREPLACE", MAP_FIXED_NOREPLACE}, {"MAP_32BIT", MAP_32BIT},
    {"PROT_NONE", PROT_NONE}, {"PROT_READ", PROT_READ}, {"PROT_WRITE", PROT_WRITE}, {"PROT_EXEC", PROT_EXEC},
    {"CLONE_VM", CLONE_VM}, {"CLONE_FS", CLONE_FS}, {"CLONE_FILES", CLONE_FILES},
    {"CLONE_SIGHAND", CLONE_SIGHAND}, {"CLONE_PIDFD", CLONE_PIDFD}, {"CLONE_PTRACE", CLONE_PTRACE},
    {"CLONE_VFORK", CLONE_VFORK}, {"CLONE_PARENT", CLONE_PARENT}, {"CLONE_THREAD", CLONE_THREAD},
    {"CLONE_NEWNS", CLONE_NEWNS}, {"CLONE_SYSVSEM", CLONE_SYSVSEM}, {"CLONE_SETTLS", CLONE_SETTLS},
    {"CLONE_PARENT_SETTID", CLONE_PARENT_SETTID}, {"CLONE_CHILD_CLEARTID", CLONE_CHILD_CLEARTID},
    {"CLONE_CHILD_SETTID", CLONE_CHILD_SETTID}, {"CLONE_NEWCGROUP", CLONE_NEWCGROUP},
    {"CLONE_NEWUTS", CLONE_NEWUTS}, {"CLONE_NEWIPC", CLONE_NEWIPC}, {"CLONE_NEWUSER", CLONE_NEWUSER},
    {"CLONE_NEWPID", CLONE_NEWPID}, {"CLONE_NEWNET", CLONE_NEWNET}, {"CLONE_IO", CLONE_IO},
    {"S_IFMT", S_IFMT}, {"S_IFSOCK", S_IFSOCK}, {"S_IFLNK", S_IFLNK}, {"S_IFREG", S_IFREG},
    {"S_IFBLK", S_IFBLK}, {"S_IFDIR", S_IFDIR}, {"S_IFCHR", S_IFCHR}, {"S_IFIFO", S_IFIFO},
    {"SEEK_SET", SEEK_SET}, {"SEEK_CUR", SEEK_CUR}, {"SEEK_END", SEEK_END}, {"SEEK_DATA", SEEK_DATA},
    {"SEEK_HOLE", SEEK_HOLE},
};

// Splits "argN<op>rest" into N, the operator and its operands.
struct PredicateParts {
  int arg = -1;
  ArgPredicate::Op op = ArgPredicate::Op::kEq;
  std::string_view left;   // kMaskedEq: M; kAnyBit: M; else V
  std::string_view right;  // kMaskedEq: V
};

std::optional<PredicateParts> split_predicate(std::string_view token) {
  if (token.size() < 5 || token.substr(0, 3) != "arg" || token[3] < '0' || token[3] > '9') return std::nullopt;
  PredicateParts p;
  p.arg = token[3] - '0';
  std::string_view rest = token.substr(4);
  using Op = ArgPredicate::Op;
  static constexpr std::pair<std::string_view, Op> kOps[] = {
      {"==", Op::kEq}, {"!=", Op::kNe}, {"<=", Op::kLe}, {">=", Op::kGe}, {"<", Op::kLt}, {">", Op::kGt}, {"&", Op::kAnyBit}};
  for (const auto& [text, op] : kOps) {
    if (rest.substr(0, text.size()) != text) continue;
    p.op = op;
    p.left = rest.substr(text.size());
    if (op == Op::kAnyBit) {
      if (const size_t eq = p.left.find("=="); eq != std::string_view::npos) {
        p.op = Op::kMaskedEq;
        p.right = p.left.substr(eq + 2);
        p.left = p.left.substr(0, eq);
      }
    }
    return p;
  }
  return std::nullopt;
}

}  // namespace

std::optional<uint64_t> parse_arg_value(std::string_view text) {
  if (auto v = parse_register_value(text)) return v;
  uint64_t out = 0;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t bar = std::min(text.find('|', start), text.size());
    const std::string_view name = text.substr(start, bar - start);
    const auto* c = std::find_if(std::begin(kConstants), std::end(kConstants),
                                 [name](const Constant& k) { return k.name == name; });
    if (c == std::end(kConstants)) {
      auto v = parse_register_value(name);
      if (!v || name.empty()) return std::nullopt;
      out |= *v;
    } else {
      out |= c->value;
    }
    start = bar + 1;
  }
  return out;
}

bool is_arg_predicate(std::string_view token) {
  return token.size() > 3 && token.substr(0, 3) == "arg" && token[3] >= '0' && token[3] <= '9';
}

Result<ArgPredicate> parse_arg_predicate(std::string_view token) {
  const std::string t(token);
  auto parts = split_predicate(token);
  if (!parts) {
    return make_error(EINVAL, "invalid argument test '" + t + "' (argN==V, argN!=V, argN<V, argN<=V, argN>V, " +
                                  "argN>=V, argN&M or argN&M==V)");
  }
  if (parts->arg > 5 || (token.size() > 4 && token[4] >= '0' && token[4] <= '9')) {
    return make_error(EINVAL, "invalid argument test '" + t + "': N is 0..5 (x86 syscalls have six arguments)");
  }
  ArgPredicate p;
  p.arg = parts->arg;
  p.op = parts->op;
  const bool masked = p.op == ArgPredicate::Op::kAnyBit || p.op == ArgPredicate::Op::kMaskedEq;
  const auto left = parse_arg_value(parts->left);
  if (!left) {
    return make_error(EINVAL, "invalid value '" + std::string(parts->left) + "' in '" + t +
                                  "' (a number, or constants such as O_CREAT|O_EXCL joined with |)");
  }
  (masked ? p.mask : p.value) = *left;
  if (p.op == ArgPredicate::Op::kMaskedEq) {
    const auto right = parse_arg_value(parts->right);
    if (!right) return make_error(EINVAL, "invalid value '" + std::string(parts->right) + "' in '" + t + "'");
    p.value = *right;
  }
  return p;
}

Result<double> parse_probability(std::string_view text) {
  const std::string t(text);
  const auto v = parse_probability_value(text);
  if (!v || *v == 0) return make_error(EINVAL, "invalid probability '" + t + "' (in (0, 1]: 0.05 or 5%)");
  return *v;
}

Result<uint64_t> parse_seed(std::string_view text) {
  auto v = parse_register_value(text);
  if (!v || text.front() == '-') return make_error(EINVAL, "invalid seed '" + std::string(text) + "' (a number)");
  return *v;
}

Result<uint64_t> parse_short_len(std::string_view text) {
  auto v = parse_register_value(text);
  if (!v || text.front() == '-' || *v == 0)
    return make_error(EINVAL, "invalid short= '" + std::string(text) + "' (a byte count of 1 or more)");
  return *v;
}

Result<void> check_path_glob(std::string_view key, std::string_view glob) {
  if (glob.empty() || glob.front() != '/')
    return make_error(EINVAL, std::string(key) + " takes an absolute glob ('" + std::string(glob) + "' is not)");
  return {};
}

}  // namespace sysvisor
