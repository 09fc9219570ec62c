// short=N (issue 16), second half: performs a read/write-family call on the program's own
// descriptor, moving at most N bytes, so that file offsets, socket state and the program's
// buffers end up as if the kernel had returned a short count. short_call.hpp decodes the call.
//
// Order, as seccomp_unotify(2) asks: prepare() takes the descriptor (pidfd_getfd), pins the
// caller's image (a read's bytes land only in the image that made the call) and, for a write,
// copies the caller's bytes; the engine then re-checks the notification; try_now() moves the bytes
// and says what the call returns. The bytes move through the same open file description the
// program uses: preadv2/pwritev2 at the call's position (-1: the description's own offset, which
// moves as natively), recvfrom/recvmsg/sendto/sendmsg with the caller's flags and address.
//
// Never blocking a receiver: regular files and block devices are read and written as the kernel
// would (a disk finishes); anything else with RWF_NOWAIT or MSG_DONTWAIT (a FIFO that cannot do
// RWF_NOWAIT through an O_NONBLOCK description of the same pipe of our own). When that would block
// and the program's descriptor blocks, try_now() says so (nullopt) and the engine waits on the
// executor (wait_ready() in slices, then try_now() again); a descriptor that is O_NONBLOCK, or a
// call that asked MSG_DONTWAIT or RWF_NOWAIT, gets EAGAIN as natively.
//
// The call runs whole (prepare() says nullopt, or try_now() answers CONTINUE) where shortening it
// could not end as natively: nothing to shorten, an argument the kernel rejects (it reports its
// own errno), ancillary data, MSG_OOB or MSG_ERRQUEUE (they never wait), an AF_UNIX path
// destination (short_call.hpp), an O_DIRECT descriptor (a short O_DIRECT transfer must be
// block-aligned), a descriptor without per-call non-blocking I/O (a terminal: reading it from
// sysvisor would also bring job control onto sysvisor), a write to a regular file that is
// set-user-ID or set-group-ID (root's write would not clear those bits) or under a finite
// RLIMIT_FSIZE of the caller's (sysvisor's own limit would apply).
//
// Errors of the I/O itself are the program's: answered as they come (EPIPE after delivering the
// SIGPIPE the kernel raised, to the calling thread). Bytes read that the program's buffer can no
// longer take (it was unmapped meanwhile by another thread) are lost: EFAULT.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "inject/short_call.hpp"
#include "kernel/process_memory.hpp"
#include "policy/syscall.hpp"
#include "policy/traced_paths.hpp"  // RuleKey
#include "sysvisor/call.hpp"
#include "sysvisor/unique_fd.hpp"

namespace sysvisor {

class ShortIo {
 public:
  // Decodes the call (`key`: strace's key, which names an i386 socketcall subcall), takes the
  // program's descriptor and prepares the bytes. nullopt: let the call run whole.
  static std::optional<ShortIo> prepare(const Syscall& call, RuleKey key, uint64_t limit);

  // Moves the bytes without waiting: the answer (a count, an errno, or CONTINUE), or nullopt
  // when the program's descriptor is not ready and blocks. Call it only while the notification
  // is pending and no one else may answer it.
  std::optional<Reply> try_now();
  // Waits up to `timeout` for the descriptor to become ready for this call (poll(2)).
  bool wait_ready(std::chrono::milliseconds timeout) const;
  // True once the socket's SO_RCVTIMEO/SO_SNDTIMEO has passed (the call then fails EAGAIN).
  bool timed_out() const noexcept;

 private:
  ShortIo() = default;
  bool take_descriptor();
  bool runs_whole_for_file();
  bool prepare_read();
  bool prepare_write();
  std::optional<Reply> try_read();
  std::optional<Reply> try_write();
  std::optional<Reply> failed(int error) const;
  ssize_t file_io(iovec& v);
  ssize_t read_once();
  ssize_t write_once();
  int deliver(size_t count) const;
  int deliver_source() const;

  ShortCall call_;
  pid_t tid_ = 0;
  uint64_t count_ = 0;  // the bytes this call moves at most: N, cut where the caller's buffer ends
  UniqueFd pidfd_;      // the calling thread (PIDFD_THREAD where the kernel has it)
  UniqueFd fd_;         // the program's descriptor: the same open file description
  CallerImage image_;   // reads: the image the bytes go to, pinned before the re-check
  std::vector<std::byte> bytes_;
  bool waits_ = false;  // neither a regular file nor a block device: non-blocking attempts
  bool is_fifo_ = false;
  UniqueFd fifo_;       // a FIFO's own non-blocking description, where RWF_NOWAIT is not supported
  // recvfrom, recvmsg: the source address and msg_flags as the kernel gave them to us.
  std::vector<std::byte> source_;
  int out_flags_ = 0;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
};

}  // namespace sysvisor
