// strace 6.1 syscall names, class flags, i386 subcall pseudo numbers and -P argument kinds.
// The data and how they were verified are described in syscall_table.hpp.
#include "policy/syscall_table.hpp"

#include <seccomp.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>

namespace sysvisor {
namespace {

using namespace syscall_class;  // NOLINT: the table below reads better with bare flag names

// Personalities a name is a real (numbered) syscall in, per strace 6.1's tables.
constexpr uint8_t k64 = 1;
constexpr uint8_t k32 = 2;
constexpr uint8_t kX32 = 4;

struct NameInfo {
  std::string_view name;
  uint32_t flags;
  uint8_t personalities;  // 0: only an i386 socketcall pseudo entry (send, recv)
};

// Sorted by name (byte order) for binary search.
constexpr NameInfo kNames[] = {
    {"_llseek", kDesc, k32},
    {"_newselect", kDesc, k32},
    {"_sysctl", 0, k64|k32},
    {"_sysctl#64", 0, kX32},
    {"accept", kNetwork, k64|kX32},
    {"accept4", kNetwork, k64|k32|kX32},
    {"access", kFile, k64|k32|kX32},
    {"acct", kFile, k64|k32|kX32},
    {"add_key", 0, k64|k32|kX32},
    {"adjtimex", kClock, k64|k32|kX32},
    {"afs_syscall", 0, k64|k32|kX32},
    {"alarm", 0, k64|k32|kX32},
    {"arch_prctl", 0, k64|k32|kX32},
    {"bdflush", 0, k32},
    {"bind", kNetwork, k64|k32|kX32},
    {"bpf", kDesc, k64|k32|kX32},
    {"break", kMemory, k32},
    {"brk", kMemory, k64|k32|kX32},
    {"capget", kCreds, k64|k32|kX32},
    {"capset", kCreds, k64|k32|kX32},
    {"chdir", kFile, k64|k32|kX32},
    {"chmod", kFile, k64|k32|kX32},
    {"chown", kFile, k64|k32|kX32},
    {"chown32", kFile, k32},
    {"chroot", kFile, k64|k32|kX32},
    {"clock_adjtime", kClock, k64|k32|kX32},
    {"clock_adjtime64", kClock, k32},
    {"clock_getres", kClock, k64|k32|kX32},
    {"clock_getres_time64", kClock, k32},
    {"clock_gettime", kClock, k64|k32|kX32},
    {"clock_gettime64", kClock, k32},
    {"clock_nanosleep", 0, k64|k32|kX32},
    {"clock_nanosleep_time64", 0, k32},
    {"clock_settime", kClock, k64|k32|kX32},
    {"clock_settime64", kClock, k32},
    {"clone", kProcess, k64|k32|kX32},
    {"clone3", kProcess, k64|k32|kX32},
    {"close", kDesc, k64|k32|kX32},
    {"close_range", 0, k64|k32|kX32},
    {"connect", kNetwork, k64|k32|kX32},
    {"copy_file_range", kDesc, k64|k32|kX32},
    {"creat", kDesc|kFile, k64|k32|kX32},
    {"create_module", 0, k64|k32},
    {"create_module#64", 0, kX32},
    {"delete_module", 0, k64|k32|kX32},
    {"dup", kDesc, k64|k32|kX32},
    {"dup2", kDesc, k64|k32|kX32},
    {"dup3", kDesc, k64|k32|kX32},
    {"epoll_create", kDesc, k64|k32|kX32},
    {"epoll_create1", kDesc, k64|k32|kX32},
    {"epoll_ctl", kDesc, k64|k32|kX32},
    {"epoll_ctl_old", 0, k64},
    {"epoll_ctl_old#64", 0, kX32},
    {"epoll_pwait", kDesc, k64|k32|kX32},
    {"epoll_pwait2", kDesc, k64|k32|kX32},
    {"epoll_wait", kDesc, k64|k32|kX32},
    {"epoll_wait_old", 0, k64},
    {"epoll_wait_old#64", 0, kX32},
    {"eventfd", kDesc, k64|k32|kX32},
    {"eventfd2", kDesc, k64|k32|kX32},
    {"execve", kFile|kProcess, k64|k32|kX32},
    {"execve#64", 0, kX32},
    {"execveat", kDesc|kFile|kProcess, k64|k32|kX32},
    {"execveat#64", 0, kX32},
    {"exit", kProcess, k64|k32|kX32},
    {"exit_group", kProcess, k64|k32|kX32},
    {"faccessat", kDesc|kFile, k64|k32|kX32},
    {"faccessat2", kDesc|kFile, k64|k32|kX32},
    {"fadvise64", kDesc, k64|k32|kX32},
    {"fadvise64_64", kDesc, k32},
    {"fallocate", kDesc, k64|k32|kX32},
    {"fanotify_init", kDesc, k64|k32|kX32},
    {"fanotify_mark", kDesc|kFile, k64|k32|kX32},
    {"fchdir", kDesc, k64|k32|kX32},
    {"fchmod", kDesc, k64|k32|kX32},
    {"fchmodat", kDesc|kFile, k64|k32|kX32},
    {"fchown", kDesc, k64|k32|kX32},
    {"fchown32", kDesc, k32},
    {"fchownat", kDesc|kFile, k64|k32|kX32},
    {"fcntl", kDesc, k64|k32|kX32},
    {"fcntl64", kDesc, k32},
    {"fdatasync", kDesc, k64|k32|kX32},
    {"fgetxattr", kDesc, k64|k32|kX32},
    {"finit_module", kDesc, k64|k32|kX32},
    {"flistxattr", kDesc, k64|k32|kX32},
    {"flock", kDesc, k64|k32|kX32},
    {"fork", kProcess, k64|k32|kX32},
    {"fremovexattr", kDesc, k64|k32|kX32},
    {"fsconfig", kDesc|kFile, k64|k32|kX32},
    {"fsetxattr", kDesc, k64|k32|kX32},
    {"fsmount", kDesc, k64|k32|kX32},
    {"fsopen", kDesc, k64|k32|kX32},
    {"fspick", kDesc|kFile, k64|k32|kX32},
    {"fstat", kDesc|kFstat|kStatLike, k64|k32|kX32},
    {"fstat64", kDesc|kFstat|kStatLike, k32},
    {"fstatat64", kDesc|kFile|kFstat|kStatLike, k32},
    {"fstatfs", kDesc|kFstatfs|kStatfsLike, k64|k32|kX32},
    {"fstatfs64", kDesc|kFstatfs|kStatfsLike, k32},
    {"fsync", kDesc, k64|k32|kX32},
    {"ftime", 0, k32},
    {"ftruncate", kDesc, k64|k32|kX32},
    {"ftruncate64", kDesc, k32},
    {"futex", 0, k64|k32|kX32},
    {"futex_time64", 0, k32},
    {"futex_waitv", 0, k64|k32|kX32},
    {"futimesat", kDesc|kFile, k64|k32|kX32},
    {"get_kernel_syms", 0, k64|k32},
    {"get_kernel_syms#64", 0, kX32},
    {"get_mempolicy", kMemory, k64|k32|kX32},
    {"get_robust_list", 0, k64|k32|kX32},
    {"get_robust_list#64", 0, kX32},
    {"get_thread_area", 0, k64|k32},
    {"get_thread_area#64", 0, kX32},
    {"getcpu", 0, k64|k32|kX32},
    {"getcwd", kFile, k64|k32|kX32},
    {"getdents", kDesc, k64|k32|kX32},
    {"getdents64", kDesc, k64|k32|kX32},
    {"getegid", kCreds|kPure, k64|k32|kX32},
    {"getegid32", kCreds|kPure, k32},
    {"geteuid", kCreds|kPure, k64|k32|kX32},
    {"geteuid32", kCreds|kPure, k32},
    {"getgid", kCreds|kPure, k64|k32|kX32},
    {"getgid32", kCreds|kPure, k32},
    {"getgroups", kCreds, k64|k32|kX32},
    {"getgroups32", kCreds, k32},
    {"getitimer", 0, k64|k32|kX32},
    {"getpeername", kNetwork, k64|k32|kX32},
    {"getpgid", 0, k64|k32|kX32},
    {"getpgrp", kPure, k64|k32|kX32},
    {"getpid", kPure, k64|k32|kX32},
    {"getpmsg", kNetwork, k64|k32|kX32},
    {"getppid", kPure, k64|k32|kX32},
    {"getpriority", 0, k64|k32|kX32},
    {"getrandom", 0, k64|k32|kX32},
    {"getresgid", kCreds, k64|k32|kX32},
    {"getresgid32", kCreds, k32},
    {"getresuid", kCreds, k64|k32|kX32},
    {"getresuid32", kCreds, k32},
    {"getrlimit", 0, k64|k32|kX32},
    {"getrusage", 0, k64|k32|kX32},
    {"getsid", 0, k64|k32|kX32},
    {"getsockname", kNetwork, k64|k32|kX32},
    {"getsockopt", kNetwork, k64|k32|kX32},
    {"getsockopt#64", 0, kX32},
    {"gettid", kPure, k64|k32|kX32},
    {"gettimeofday", kClock, k64|k32|kX32},
    {"getuid", kCreds|kPure, k64|k32|kX32},
    {"getuid32", kCreds|kPure, k32},
    {"getxattr", kFile, k64|k32|kX32},
    {"gtty", 0, k32},
    {"idle", 0, k32},
    {"init_module", 0, k64|k32|kX32},
    {"inotify_add_watch", kDesc|kFile, k64|k32|kX32},
    {"inotify_init", kDesc, k64|k32|kX32},
    {"inotify_init1", kDesc, k64|k32|kX32},
    {"inotify_rm_watch", kDesc, k64|k32|kX32},
    {"io_cancel", 0, k64|k32|kX32},
    {"io_destroy", kMemory, k64|k32|kX32},
    {"io_getevents", 0, k64|k32|kX32},
    {"io_pgetevents", 0, k64|k32|kX32},
    {"io_pgetevents_time64", 0, k32},
    {"io_setup", kMemory, k64|k32|kX32},
    {"io_setup#64", 0, kX32},
    {"io_submit", 0, k64|k32|kX32},
    {"io_submit#64", 0, kX32},
    {"io_uring_enter", kDesc|kSignal, k64|k32|kX32},
    {"io_uring_register", kDesc|kMemory, k64|k32|kX32},
    {"io_uring_setup", kDesc, k64|k32|kX32},
    {"ioctl", kDesc, k64|k32|kX32},
    {"ioctl#64", 0, kX32},
    {"ioperm", 0, k64|k32|kX32},
    {"iopl", 0, k64|k32|kX32},
    {"ioprio_get", 0, k64|k32|kX32},
    {"ioprio_set", 0, k64|k32|kX32},
    {"ipc", kIpc, k32|kX32},
    {"kcmp", 0, k64|k32|kX32},
    {"kexec_file_load", kDesc, k64|kX32},
    {"kexec_load", 0, k64|k32|kX32},
    {"kexec_load#64", 0, kX32},
    {"keyctl", 0, k64|k32|kX32},
    {"kill", kProcess|kSignal, k64|k32|kX32},
    {"landlock_add_rule", kDesc, k64|k32|kX32},
    {"landlock_create_ruleset", kDesc, k64|k32|kX32},
    {"landlock_restrict_self", kDesc, k64|k32|kX32},
    {"lchown", kFile, k64|k32|kX32},
    {"lchown32", kFile, k32},
    {"lgetxattr", kFile, k64|k32|kX32},
    {"link", kFile, k64|k32|kX32},
    {"linkat", kDesc|kFile, k64|k32|kX32},
    {"listen", kNetwork, k64|k32|kX32},
    {"listxattr", kFile, k64|k32|kX32},
    {"llistxattr", kFile, k64|k32|kX32},
    {"lock", 0, k32},
    {"lookup_dcookie", 0, k64|k32|kX32},
    {"lremovexattr", kFile, k64|k32|kX32},
    {"lseek", kDesc, k64|k32|kX32},
    {"lsetxattr", kFile, k64|k32|kX32},
    {"lstat", kFile|kLstat|kStatLike, k64|k32|kX32},
    {"lstat64", kFile|kLstat|kStatLike, k32},
    {"madvise", kMemory, k64|k32|kX32},
    {"mbind", kMemory, k64|k32|kX32},
    {"membarrier", 0, k64|k32|kX32},
    {"memfd_create", kDesc, k64|k32|kX32},
    {"memfd_secret", kDesc, k64|k32|kX32},
    {"migrate_pages", kMemory, k64|k32|kX32},
    {"mincore", kMemory, k64|k32|kX32},
    {"mkdir", kFile, k64|k32|kX32},
    {"mkdirat", kDesc|kFile, k64|k32|kX32},
    {"mknod", kFile, k64|k32|kX32},
    {"mknodat", kDesc|kFile, k64|k32|kX32},
    {"mlock", kMemory, k64|k32|kX32},
    {"mlock2", kMemory, k64|k32|kX32},
    {"mlockall", kMemory, k64|k32|kX32},
    {"mmap", kDesc|kMemory, k64|k32|kX32},
    {"mmap2", kDesc|kMemory, k32},
    {"modify_ldt", 0, k64|k32|kX32},
    {"mount", kFile, k64|k32|kX32},
    {"mount_setattr", kDesc|kFile, k64|k32|kX32},
    {"move_mount", kDesc|kFile, k64|k32|kX32},
    {"move_pages", kMemory, k64|k32|kX32},
    {"move_pages#64", 0, kX32},
    {"mprotect", kMemory, k64|k32|kX32},
    {"mpx", 0, k32},
    {"mq_getsetattr", kDesc, k64|k32|kX32},
    {"mq_notify", kDesc, k64|k32|kX32},
    {"mq_notify#64", 0, kX32},
    {"mq_open", kDesc, k64|k32|kX32},
    {"mq_timedreceive", kDesc, k64|k32|kX32},
    {"mq_timedreceive_time64", kDesc, k32},
    {"mq_timedsend", kDesc, k64|k32|kX32},
    {"mq_timedsend_time64", kDesc, k32},
    {"mq_unlink", 0, k64|k32|kX32},
    {"mremap", kMemory, k64|k32|kX32},
    {"msgctl", kIpc, k64|k32|kX32},
    {"msgget", kIpc, k64|k32|kX32},
    {"msgrcv", kIpc, k64|k32|kX32},
    {"msgsnd", kIpc, k64|k32|kX32},
    {"msync", kMemory, k64|k32|kX32},
    {"munlock", kMemory, k64|k32|kX32},
    {"munlockall", kMemory, k64|k32|kX32},
    {"munmap", kMemory, k64|k32|kX32},
    {"name_to_handle_at", kDesc|kFile, k64|k32|kX32},
    {"nanosleep", 0, k64|k32|kX32},
    {"newfstatat", kDesc|kFile|kFstat|kStatLike, k64|kX32},
    {"nfsservctl", 0, k64|k32},
    {"nfsservctl#64", 0, kX32},
    {"nice", 0, k32},
    {"oldfstat", kDesc|kFstat|kStatLike, k32},
    {"oldlstat", kFile|kLstat|kStatLike, k32},
    {"oldolduname", 0, k32},
    {"oldstat", kFile|kStat|kStatLike, k32},
    {"olduname", 0, k32},
    {"open", kDesc|kFile, k64|k32|kX32},
    {"open_by_handle_at", kDesc, k64|k32|kX32},
    {"open_tree", kDesc|kFile, k64|k32|kX32},
    {"openat", kDesc|kFile, k64|k32|kX32},
    {"openat2", kDesc|kFile, k64|k32|kX32},
    {"pause", kSignal, k64|k32|kX32},
    {"perf_event_open", kDesc, k64|k32|kX32},
    {"personality", 0, k64|k32|kX32},
    {"pidfd_getfd", kDesc, k64|k32|kX32},
    {"pidfd_open", kDesc, k64|k32|kX32},
    {"pidfd_send_signal", kDesc|kProcess|kSignal, k64|k32|kX32},
    {"pipe", kDesc, k64|k32|kX32},
    {"pipe2", kDesc, k64|k32|kX32},
    {"pivot_root", kFile, k64|k32|kX32},
    {"pkey_alloc", 0, k64|k32|kX32},
    {"pkey_free", 0, k64|k32|kX32},
    {"pkey_mprotect", kMemory, k64|k32|kX32},
    {"poll", kDesc, k64|k32|kX32},
    {"ppoll", kDesc, k64|k32|kX32},
    {"ppoll_time64", kDesc, k32},
    {"prctl", kCreds, k64|k32|kX32},
    {"pread64", kDesc, k64|k32|kX32},
    {"preadv", kDesc, k64|k32|kX32},
    {"preadv#64", 0, kX32},
    {"preadv2", kDesc, k64|k32|kX32},
    {"preadv2#64", 0, kX32},
    {"prlimit64", 0, k64|k32|kX32},
    {"process_madvise", kDesc, k64|k32|kX32},
    {"process_mrelease", kDesc, k64|k32|kX32},
    {"process_vm_readv", 0, k64|k32|kX32},
    {"process_vm_readv#64", 0, kX32},
    {"process_vm_writev", 0, k64|k32|kX32},
    {"process_vm_writev#64", 0, kX32},
    {"prof", 0, k32},
    {"profil", 0, k32},
    {"pselect6", kDesc, k64|k32|kX32},
    {"pselect6_time64", kDesc, k32},
    {"ptrace", 0, k64|k32|kX32},
    {"ptrace#64", 0, kX32},
    {"putpmsg", kNetwork, k64|k32|kX32},
    {"pwrite64", kDesc, k64|k32|kX32},
    {"pwritev", kDesc, k64|k32|kX32},
    {"pwritev#64", 0, kX32},
    {"pwritev2", kDesc, k64|k32|kX32},
    {"pwritev2#64", 0, kX32},
    {"query_module", 0, k64|k32},
    {"query_module#64", 0, kX32},
    {"quotactl", kFile, k64|k32|kX32},
    {"quotactl_fd", kDesc, k64|k32|kX32},
    {"read", kDesc, k64|k32|kX32},
    {"readahead", kDesc, k64|k32|kX32},
    {"readdir", kDesc, k32},
    {"readlink", kFile, k64|k32|kX32},
    {"readlinkat", kDesc|kFile, k64|k32|kX32},
    {"readv", kDesc, k64|k32|kX32},
    {"readv#64", 0, kX32},
    {"reboot", 0, k64|k32|kX32},
    {"recv", kNetwork, 0},
    {"recvfrom", kNetwork, k64|k32|kX32},
    {"recvfrom#64", 0, kX32},
    {"recvmmsg", kNetwork, k64|k32|kX32},
    {"recvmmsg#64", 0, kX32},
    {"recvmmsg_time64", kNetwork, k32},
    {"recvmsg", kNetwork, k64|k32|kX32},
    {"recvmsg#64", 0, kX32},
    {"remap_file_pages", kMemory, k64|k32|kX32},
    {"removexattr", kFile, k64|k32|kX32},
    {"rename", kFile, k64|k32|kX32},
    {"renameat", kDesc|kFile, k64|k32|kX32},
    {"renameat2", kDesc|kFile, k64|k32|kX32},
    {"request_key", 0, k64|k32|kX32},
    {"restart_syscall", 0, k64|k32|kX32},
    {"rmdir", kFile, k64|k32|kX32},
    {"rseq", 0, k64|k32|kX32},
    {"rt_sigaction", kSignal, k64|k32|kX32},
    {"rt_sigaction#64", 0, kX32},
    {"rt_sigpending", kSignal, k64|k32|kX32},
    {"rt_sigpending#64", 0, kX32},
    {"rt_sigprocmask", kSignal, k64|k32|kX32},
    {"rt_sigqueueinfo", kProcess|kSignal, k64|k32|kX32},
    {"rt_sigqueueinfo#64", 0, kX32},
    {"rt_sigreturn", kSignal, k64|k32|kX32},
    {"rt_sigreturn#64", 0, kX32},
    {"rt_sigsuspend", kSignal, k64|k32|kX32},
    {"rt_sigtimedwait", kSignal, k64|k32|kX32},
    {"rt_sigtimedwait#64", 0, kX32},
    {"rt_sigtimedwait_time64", kSignal, k32},
    {"rt_tgsigqueueinfo", kProcess|kSignal, k64|k32|kX32},
    {"rt_tgsigqueueinfo#64", 0, kX32},
    {"sched_get_priority_max", 0, k64|k32|kX32},
    {"sched_get_priority_min", 0, k64|k32|kX32},
    {"sched_getaffinity", 0, k64|k32|kX32},
    {"sched_getattr", 0, k64|k32|kX32},
    {"sched_getparam", 0, k64|k32|kX32},
    {"sched_getscheduler", 0, k64|k32|kX32},
    {"sched_rr_get_interval", 0, k64|k32|kX32},
    {"sched_rr_get_interval_time64", 0, k32},
    {"sched_setaffinity", 0, k64|k32|kX32},
    {"sched_setattr", 0, k64|k32|kX32},
    {"sched_setparam", 0, k64|k32|kX32},
    {"sched_setscheduler", 0, k64|k32|kX32},
    {"sched_yield", 0, k64|k32|kX32},
    {"seccomp", 0, k64|k32|kX32},
    {"security", 0, k64|kX32},
    {"select", kDesc, k64|k32|kX32},
    {"semctl", kIpc, k64|k32|kX32},
    {"semget", kIpc, k64|k32|kX32},
    {"semop", kIpc, k64|kX32},
    {"semtimedop", kIpc, k64|kX32},
    {"semtimedop_time64", kIpc, k32},
    {"send", kNetwork, 0},
    {"sendfile", kDesc|kNetwork, k64|k32|kX32},
    {"sendfile64", kDesc|kNetwork, k32},
    {"sendmmsg", kNetwork, k64|k32|kX32},
    {"sendmmsg#64", 0, kX32},
    {"sendmsg", kNetwork, k64|k32|kX32},
    {"sendmsg#64", 0, kX32},
    {"sendto", kNetwork, k64|k32|kX32},
    {"set_mempolicy", kMemory, k64|k32|kX32},
    {"set_mempolicy_home_node", kMemory, k64|k32|kX32},
    {"set_robust_list", 0, k64|k32|kX32},
    {"set_robust_list#64", 0, kX32},
    {"set_thread_area", 0, k64|k32},
    {"set_thread_area#64", 0, kX32},
    {"set_tid_address", 0, k64|k32|kX32},
    {"setdomainname", 0, k64|k32|kX32},
    {"setfsgid", kCreds, k64|k32|kX32},
    {"setfsgid32", kCreds, k32},
    {"setfsuid", kCreds, k64|k32|kX32},
    {"setfsuid32", kCreds, k32},
    {"setgid", kCreds, k64|k32|kX32},
    {"setgid32", kCreds, k32},
    {"setgroups", kCreds, k64|k32|kX32},
    {"setgroups32", kCreds, k32},
    {"sethostname", 0, k64|k32|kX32},
    {"setitimer", 0, k64|k32|kX32},
    {"setns", kDesc, k64|k32|kX32},
    {"setpgid", 0, k64|k32|kX32},
    {"setpriority", 0, k64|k32|kX32},
    {"setregid", kCreds, k64|k32|kX32},
    {"setregid32", kCreds, k32},
    {"setresgid", kCreds, k64|k32|kX32},
    {"setresgid32", kCreds, k32},
    {"setresuid", kCreds, k64|k32|kX32},
    {"setresuid32", kCreds, k32},
    {"setreuid", kCreds, k64|k32|kX32},
    {"setreuid32", kCreds, k32},
    {"setrlimit", 0, k64|k32|kX32},
    {"setsid", 0, k64|k32|kX32},
    {"setsockopt", kNetwork, k64|k32|kX32},
    {"setsockopt#64", 0, kX32},
    {"settimeofday", kClock, k64|k32|kX32},
    {"setuid", kCreds, k64|k32|kX32},
    {"setuid32", kCreds, k32},
    {"setxattr", kFile, k64|k32|kX32},
    {"sgetmask", kSignal, k32},
    {"shmat", kIpc|kMemory, k64|k32|kX32},
    {"shmctl", kIpc, k64|k32|kX32},
    {"shmdt", kIpc|kMemory, k64|k32|kX32},
    {"shmget", kIpc, k64|k32|kX32},
    {"shutdown", kNetwork, k64|k32|kX32},
    {"sigaction", kSignal, k32},
    {"sigaltstack", kSignal, k64|k32|kX32},
    {"sigaltstack#64", 0, kX32},
    {"signal", kSignal, k32|kX32},
    {"signalfd", kDesc|kSignal, k64|k32|kX32},
    {"signalfd4", kDesc|kSignal, k64|k32|kX32},
    {"sigpending", kSignal, k32},
    {"sigprocmask", kSignal, k32},
    {"sigreturn", kSignal, k32},
    {"sigsuspend", kSignal, k32},
    {"socket", kNetwork, k64|k32|kX32},
    {"socketcall", kDesc, k32},
    {"socketpair", kNetwork, k64|k32|kX32},
    {"splice", kDesc, k64|k32|kX32},
    {"ssetmask", kSignal, k32},
    {"stat", kFile|kStat|kStatLike, k64|k32|kX32},
    {"stat64", kFile|kStat|kStatLike, k32},
    {"statfs", kFile|kStatfs|kStatfsLike, k64|k32|kX32},
    {"statfs64", kFile|kStatfs|kStatfsLike, k32},
    {"statx", kDesc|kFile|kFstat|kStatLike, k64|k32|kX32},
    {"stime", 0, k32},
    {"stty", 0, k32},
    {"swapoff", kFile, k64|k32|kX32},
    {"swapon", kFile, k64|k32|kX32},
    {"symlink", kFile, k64|k32|kX32},
    {"symlinkat", kDesc|kFile, k64|k32|kX32},
    {"sync", 0, k64|k32|kX32},
    {"sync_file_range", kDesc, k64|k32|kX32},
    {"syncfs", kDesc, k64|k32|kX32},
    {"sysfs", 0, k64|k32|kX32},
    {"sysinfo", 0, k64|k32|kX32},
    {"syslog", 0, k64|k32|kX32},
    {"tee", kDesc, k64|k32|kX32},
    {"tgkill", kProcess|kSignal, k64|k32|kX32},
    {"time", kClock, k64|k32|kX32},
    {"timer_create", 0, k64|k32|kX32},
    {"timer_create#64", 0, kX32},
    {"timer_delete", 0, k64|k32|kX32},
    {"timer_getoverrun", 0, k64|k32|kX32},
    {"timer_gettime", 0, k64|k32|kX32},
    {"timer_gettime64", 0, k32},
    {"timer_settime", 0, k64|k32|kX32},
    {"timer_settime64", 0, k32},
    {"timerfd_create", kDesc, k64|k32|kX32},
    {"timerfd_gettime", kDesc, k64|k32|kX32},
    {"timerfd_gettime64", kDesc, k32},
    {"timerfd_settime", kDesc, k64|k32|kX32},
    {"timerfd_settime64", kDesc, k32},
    {"times", 0, k64|k32|kX32},
    {"tkill", kProcess|kSignal, k64|k32|kX32},
    {"truncate", kFile, k64|k32|kX32},
    {"truncate64", kFile, k32},
    {"tuxcall", 0, k64|kX32},
    {"ugetrlimit", 0, k32},
    {"ulimit", 0, k32},
    {"umask", 0, k64|k32|kX32},
    {"umount", kFile, k32},
    {"umount2", kFile, k64|k32|kX32},
    {"uname", 0, k64|k32|kX32},
    {"unlink", kFile, k64|k32|kX32},
    {"unlinkat", kDesc|kFile, k64|k32|kX32},
    {"unshare", 0, k64|k32|kX32},
    {"uselib", kFile, k64|k32},
    {"uselib#64", 0, kX32},
    {"userfaultfd", kDesc, k64|k32|kX32},
    {"ustat", kStatfsLike, k64|k32|kX32},
    {"utime", kFile, k64|k32|kX32},
    {"utimensat", kDesc|kFile, k64|k32|kX32},
    {"utimensat_time64", kDesc|kFile, k32},
    {"utimes", kFile, k64|k32|kX32},
    {"vfork", kProcess, k64|k32|kX32},
    {"vhangup", 0, k64|k32|kX32},
    {"vm86", 0, k32},
    {"vm86old", 0, k32},
    {"vmsplice", kDesc, k64|k32|kX32},
    {"vmsplice#64", 0, kX32},
    {"vserver", 0, k64|k32},
    {"vserver#64", 0, kX32},
    {"wait4", kProcess, k64|k32|kX32},
    {"waitid", kProcess, k64|k32|kX32},
    {"waitid#64", 0, kX32},
    {"waitpid", kProcess, k32},
    {"write", kDesc, k64|k32|kX32},
    {"writev", kDesc, k64|k32|kX32},
    {"writev#64", 0, kX32},
};

const NameInfo* find_name(std::string_view name) noexcept {
  const auto* it = std::lower_bound(std::begin(kNames), std::end(kNames), name,
                                    [](const NameInfo& n, std::string_view v) { return n.name < v; });
  return it != std::end(kNames) && it->name == name ? it : nullptr;
}

// i386 socketcall subcalls 1..20 (name, number of argument words strace reads from arg1).
struct SocketSubcall {
  std::string_view name;
  uint32_t nargs;
};
constexpr SocketSubcall kSocketSubcalls[21] = {
    {"", 0},           {"socket", 3},     {"bind", 3},       {"connect", 3},  {"listen", 2},
    {"accept", 3},     {"getsockname", 3}, {"getpeername", 3}, {"socketpair", 4}, {"send", 4},
    {"recv", 4},       {"sendto", 6},     {"recvfrom", 6},   {"shutdown", 2}, {"setsockopt", 5},
    {"getsockopt", 5}, {"sendmsg", 3},    {"recvmsg", 3},    {"accept4", 4},  {"recvmmsg", 5},
    {"sendmmsg", 4},
};

// i386 ipc subcalls strace decodes.
struct IpcSubcall {
  int call;
  std::string_view name;
};
constexpr IpcSubcall kIpcSubcalls[] = {
    {1, "semop"},   {2, "semget"},  {3, "semctl"},  {4, "semtimedop"},
    {11, "msgsnd"}, {12, "msgrcv"}, {13, "msgget"}, {14, "msgctl"},
    {21, "shmat"},  {22, "shmdt"},  {23, "shmget"}, {24, "shmctl"},
};

uint8_t personality_bit(Personality p) noexcept { return p == Personality::kX86_64 ? k64 : k32; }

uint32_t seccomp_arch(Personality p) noexcept {
  return p == Personality::kX86_64 ? SCMP_ARCH_X86_64 : SCMP_ARCH_X86;
}

}  // namespace

std::optional<uint32_t> syscall_class_by_name(std::string_view name) {
  // strace 6.1 accepts these exact spellings (lookup_class); "all" inside a list means every
  // named syscall. The legacy names without % exist only for the classes listed.
  static constexpr struct {
    std::string_view name;
    uint32_t flags;
  } kClasses[] = {
      {"%desc", kDesc},       {"%file", kFile},        {"%memory", kMemory},
      {"%process", kProcess}, {"%creds", kCreds},      {"%signal", kSignal},
      {"%ipc", kIpc},         {"%net", kNetwork},      {"%network", kNetwork},
      {"%stat", kStat},       {"%lstat", kLstat},      {"%fstat", kFstat},
      {"%%stat", kStatLike},  {"%statfs", kStatfs},    {"%fstatfs", kFstatfs},
      {"%%statfs", kStatfsLike}, {"%pure", kPure},     {"%clock", kClock},
      {"all", 0},             {"desc", kDesc},         {"file", kFile},
      {"memory", kMemory},    {"process", kProcess},   {"signal", kSignal},
      {"ipc", kIpc},          {"network", kNetwork},
  };
  for (const auto& c : kClasses) {
    if (c.name == name) return c.flags;
  }
  return std::nullopt;
}

std::optional<Subcall> i386_subcall(int nr, uint64_t arg0) noexcept {
  if (nr == kI386Socketcall) {
    // strace: const int call = u_arg[0]; decoded for 1 <= call < 21.
    const int call = static_cast<int>(static_cast<uint32_t>(arg0));
    if (call < 1 || call > 20) return std::nullopt;
    return Subcall{kI386SocketSubcallBase + call, kSocketSubcalls[call].nargs * 4};
  }
  if (nr == kI386Ipc) {
    uint32_t call = static_cast<uint32_t>(arg0);
    if (call >> 16) call &= 0xffff;  // a version in the high half is dropped
    for (const auto& s : kIpcSubcalls) {
      if (static_cast<uint32_t>(s.call) == call) return Subcall{kI386IpcSubcallBase + s.call, 0};
    }
  }
  return std::nullopt;
}

const SyscallTable& SyscallTable::instance() {
  static const SyscallTable table;
  return table;
}

SyscallTable::SyscallTable() {
  for (const Personality p : {Personality::kX86_64, Personality::kI386}) {
    const auto pi = static_cast<size_t>(p);
    for (int nr = 0; nr < kSyscallNrLimit; ++nr) {
      std::unique_ptr<char, decltype(&std::free)> name(
          seccomp_syscall_resolve_num_arch(seccomp_arch(p), nr), &std::free);
      if (!name) continue;
      const NameInfo* info = find_name(name.get());
      if (!info || !(info->personalities & personality_bit(p))) continue;  // not in strace 6.1
      entries_[pi][static_cast<size_t>(nr)] =
          SyscallEntry{info->name, info->flags, false, sysno_by_name(info->name), syscall_shape(p, info->name)};
      present_[pi][static_cast<size_t>(nr)] = true;
    }
    if (p == Personality::kI386) {
      for (int call = 1; call <= 20; ++call) {
        const NameInfo* info = find_name(kSocketSubcalls[call].name);
        const auto nr = static_cast<size_t>(kI386SocketSubcallBase + call);
        entries_[pi][nr] = SyscallEntry{info->name, info->flags, true, Sysno::kOther, syscall_shape(p, info->name)};
        present_[pi][nr] = true;
      }
      for (const auto& s : kIpcSubcalls) {
        const NameInfo* info = find_name(s.name);
        const auto nr = static_cast<size_t>(kI386IpcSubcallBase + s.call);
        entries_[pi][nr] = SyscallEntry{info->name, info->flags, true, Sysno::kOther, nullptr};
        present_[pi][nr] = true;
      }
    }
    for (int nr = 0; nr < kSyscallNrLimit; ++nr) {
      if (present_[pi][static_cast<size_t>(nr)]) numbers_[pi].push_back(nr);
    }
  }
}

const SyscallEntry* SyscallTable::entry(Personality p, int nr) const noexcept {
  if (nr < 0 || nr >= kSyscallNrLimit) return nullptr;
  const auto pi = static_cast<size_t>(p);
  return present_[pi][static_cast<size_t>(nr)] ? &entries_[pi][static_cast<size_t>(nr)] : nullptr;
}

std::span<const int> SyscallTable::numbers(Personality p) const noexcept {
  return numbers_[static_cast<size_t>(p)];
}

std::vector<int> SyscallTable::numbers_named(Personality p, std::string_view name) const {
  std::vector<int> out;
  for (const int nr : numbers(p)) {
    if (entry(p, nr)->name == name) out.push_back(nr);
  }
  return out;
}

std::vector<int> SyscallTable::numbers_of(Personality p, Sysno s) const {
  std::vector<int> out;
  for (const int nr : numbers(p)) {
    const SyscallEntry* e = entry(p, nr);
    if (!e->pseudo && e->sysno == s) out.push_back(nr);
  }
  return out;
}

bool SyscallTable::number_valid(Personality p, int nr) const noexcept {
  const SyscallEntry* e = entry(p, nr);
  return e && !e->pseudo;
}

bool SyscallTable::x32_has_name(std::string_view name) noexcept {
  const NameInfo* info = find_name(name);
  return info && (info->personalities & kX32);
}

bool SyscallTable::x32_has_number(int nr) noexcept {
  // strace 6.1 accepts NR@x32 for exactly these (checked for 0..600).
  return (nr >= 0 && nr <= 334) || (nr >= 424 && nr <= 450) || (nr >= 512 && nr <= 547);
}

std::span<const std::string_view> SyscallTable::x32_names() noexcept {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> v;
    for (const auto& n : kNames) {
      if (n.personalities & kX32) v.push_back(n.name);
    }
    return v;
  }();
  return names;
}

namespace {

PathArgs args_of(std::initializer_list<std::pair<int, ArgKind>> list) {
  PathArgs a;
  a.shape = PathShape::kArgs;
  for (const auto& [i, k] : list) a.args[static_cast<size_t>(i)] = k;
  return a;
}

bool is_one_of(std::string_view name, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

PathArgs path_args(Personality p, int nr) {
  const SyscallEntry* e = SyscallTable::instance().entry(p, nr);
  PathArgs never;
  if (!e || !(e->flags & (kFile | kDesc | kNetwork))) return never;
  const std::string_view n = e->name;
  constexpr ArgKind kF = ArgKind::kFd;
  constexpr ArgKind kP = ArgKind::kPath;
  const bool i386 = p == Personality::kI386;

  // i386 mmap(90) and select(82) take their arguments as an array in memory; x86_64's and
  // i386's mmap2 / _newselect take them in registers.
  if (n == "mmap") return i386 ? PathArgs{PathShape::kOldMmap, {}} : args_of({{4, kF}});
  if (n == "select") return i386 ? PathArgs{PathShape::kOldSelect, {}} : PathArgs{PathShape::kSelect, {}};
  if (n == "mmap2") return args_of({{4, kF}});
  if (is_one_of(n, {"_newselect", "pselect6", "pselect6_time64"})) return PathArgs{PathShape::kSelect, {}};
  if (is_one_of(n, {"poll", "ppoll", "ppoll_time64"})) return PathArgs{PathShape::kPoll, {}};
  if (n == "fsconfig") return PathArgs{PathShape::kFsconfig, {}};
  if (is_one_of(n, {"dup2", "dup3", "kexec_file_load", "sendfile", "sendfile64", "tee"})) {
    return args_of({{0, kF}, {1, kF}});
  }
  if (is_one_of(n, {"execveat", "faccessat", "faccessat2", "fchmodat", "fchownat", "fspick",
                    "fstatat64", "futimesat", "inotify_add_watch", "mkdirat", "mknodat",
                    "mount_setattr", "name_to_handle_at", "newfstatat", "open_tree", "openat",
                    "openat2", "readlinkat", "statx", "unlinkat", "utimensat",
                    "utimensat_time64"})) {
    return args_of({{0, kF}, {1, kP}});
  }
  if (is_one_of(n, {"link", "mount", "pivot_root"})) return args_of({{0, kP}, {1, kP}});
  if (is_one_of(n, {"quotactl", "symlink"})) return args_of({{1, kP}});
  if (is_one_of(n, {"linkat", "move_mount", "renameat", "renameat2"})) {
    return args_of({{0, kF}, {1, kP}, {2, kF}, {3, kP}});
  }
  if (n == "symlinkat") return args_of({{1, kF}, {2, kP}});
  if (is_one_of(n, {"copy_file_range", "splice"})) return args_of({{0, kF}, {2, kF}});
  if (n == "epoll_ctl") return args_of({{2, kF}});
  // The 64-bit mask takes two argument slots on i386.
  if (n == "fanotify_mark") return i386 ? args_of({{4, kF}, {5, kP}}) : args_of({{3, kF}, {4, kP}});
  // %file/%desc/%net calls strace 6.1 never selects with -P: those creating descriptors, and
  // those whose descriptor is not one a path names (message queues, timerfds, signalfds,
  // io_uring, landlock, fsmount). accept/accept4 too (checked: never selected, even on a
  // descriptor open on the path).
  if (is_one_of(n, {"accept", "accept4", "bpf", "epoll_create", "epoll_create1", "eventfd2",
                    "eventfd", "fanotify_init", "fsmount", "fsopen", "inotify_init",
                    "inotify_init1", "io_uring_enter", "io_uring_register", "io_uring_setup",
                    "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self",
                    "memfd_create", "memfd_secret", "mq_getsetattr", "mq_notify", "mq_open",
                    "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
                    "mq_timedsend_time64", "perf_event_open", "pidfd_open", "pipe", "pipe2",
                    "signalfd", "signalfd4", "socket", "socketpair", "timerfd_create",
                    "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
                    "timerfd_settime64", "userfaultfd"})) {
    return never;
  }
  // strace's fallback: a %file call's first argument is a path, else it is a descriptor.
  if (e->flags & kFile) return args_of({{0, kP}});
  return args_of({{0, kF}});
}

}  // namespace sysvisor
