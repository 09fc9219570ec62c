"""io_uring while file rules are in force: a ring the program inherited cannot open FROM.

The parent (this process, not supervised) makes a ring with io_uring_setup and passes its
descriptor to a supervised python child, which maps the ring with the offsets the parent got and
submits one IORING_OP_OPENAT of FROM through io_uring_enter. The open runs in the kernel without
any openat the filter could see: only failing io_uring_enter (and io_uring_register) stops it.

Controls: the same child without sysvisor, with sysvisor and --allow-io-uring, and with sysvisor
but no file rule, opens FROM through the ring and reads "real". So the test fails on code that
refuses io_uring_setup alone (the child would print "open real" under the rule too), on code that
refuses the calls without file rules, and on code that ignores --allow-io-uring.

When this kernel has no io_uring (io_uring_setup fails with ENOSYS or EPERM in the parent, or
kernel.io_uring_disabled is 2), the suite exits 77 and ctest reports it skipped.
"""
import ctypes
import errno
import json
import os
import re
import subprocess
import sys
import unittest

from common import SYSVISOR, TempDirTest

SOURCE_DIR = os.environ.get("SOURCE_DIR", "")
NR_IO_URING_SETUP = 425  # x86_64 (and i386): asm-generic numbers since 5.1
IORING_SETUP_CLAMP = 1 << 4

# The child: argv = ring fd, the io_uring_params offsets as JSON, FROM. Prints one line per step:
#   setup  io_uring_setup of a ring of its own: "ok" or the errno name
#   plain  an ordinary open of FROM: what it reads (the redirect rule is in force)
#   register  IORING_REGISTER_PROBE on the inherited ring
#   enter  io_uring_enter submitting one IORING_OP_OPENAT of FROM, waiting for it
#   open   the completion: what the descriptor it opened reads, or the errno name
CHILD = r"""
import ctypes, errno, json, mmap, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def call(*args):
    r = libc.syscall(*[ctypes.c_long(a) for a in args])
    return r if r >= 0 else -ctypes.get_errno()
def show(step, r, ok=None):
    print(step, errno.errorcode[-r] if r < 0 else (ok if ok is not None else r), flush=True)
fd, p, frm = int(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3].encode()
params = (ctypes.c_ubyte * 120)()
r = call(425, 4, ctypes.addressof(params))
show("setup", r, "ok")
if r >= 0: os.close(r)
with open(frm) as f: print("plain", f.read().strip(), flush=True)
probe = (ctypes.c_ubyte * (16 + 256 * 8))()
show("register", call(427, fd, 8, ctypes.addressof(probe), 256), "ok")  # IORING_REGISTER_PROBE
sq, cq = p["sq_off"], p["cq_off"]
sq_ring = mmap.mmap(fd, sq["array"] + p["sq_entries"] * 4, offset=0)
cq_ring = mmap.mmap(fd, cq["cqes"] + p["cq_entries"] * 16, offset=0x8000000)
sqes = mmap.mmap(fd, p["sq_entries"] * 64, offset=0x10000000)
u32 = lambda m, at: struct.unpack_from("I", m, at)[0]
path = ctypes.create_string_buffer(frm)
tail = u32(sq_ring, sq["tail"])
index = tail & u32(sq_ring, sq["ring_mask"])
# struct io_uring_sqe: opcode, flags, ioprio, fd (the dirfd), off, addr (the path), len (mode),
# open_flags, user_data; the rest zero.
sqes[index * 64:index * 64 + 64] = bytes(64)
struct.pack_into("BBHiQQIIQ", sqes, index * 64, 18, 0, 0, -100, 0, ctypes.addressof(path), 0, os.O_RDONLY, 7)
struct.pack_into("I", sq_ring, sq["array"] + index * 4, index)
struct.pack_into("I", sq_ring, sq["tail"], tail + 1)
r = call(426, fd, 1, 1, 1, 0, 0)  # io_uring_enter(fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0)
show("enter", r)
if r < 0: sys.exit(0)
head = u32(cq_ring, cq["head"])
assert u32(cq_ring, cq["tail"]) != head, "no completion"
user_data, res = struct.unpack_from("Qi", cq_ring, cq["cqes"] + (head & u32(cq_ring, cq["ring_mask"])) * 16)
struct.pack_into("I", cq_ring, cq["head"], head + 1)
assert user_data == 7, user_data
show("open", res, os.read(res, 100).decode().strip() if res >= 0 else None)
"""


class IoUringParams(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint32) for name in
                ("sq_entries", "cq_entries", "flags", "sq_thread_cpu", "sq_thread_idle", "features", "wq_fd",
                 "resv0", "resv1", "resv2")] + \
               [("sq_" + name, ctypes.c_uint32) for name in
                ("head", "tail", "ring_mask", "ring_entries", "flags", "dropped", "array", "resv1")] + \
               [("sq_user_addr", ctypes.c_uint64)] + \
               [("cq_" + name, ctypes.c_uint32) for name in
                ("head", "tail", "ring_mask", "ring_entries", "overflow", "cqes", "flags", "resv1")] + \
               [("cq_user_addr", ctypes.c_uint64)]


assert ctypes.sizeof(IoUringParams) == 120


def make_ring():
    """(fd, offsets as a dict) of a new ring, or (None, why) when this kernel has none."""
    try:
        with open("/proc/sys/kernel/io_uring_disabled") as f:
            if f.read().strip() == "2":
                return None, "io_uring is disabled (kernel.io_uring_disabled = 2)"
    except FileNotFoundError:
        pass
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    params = IoUringParams()
    params.flags = IORING_SETUP_CLAMP
    fd = libc.syscall(ctypes.c_long(NR_IO_URING_SETUP), ctypes.c_long(4), ctypes.byref(params))
    if fd < 0:
        e = ctypes.get_errno()
        if e in (errno.ENOSYS, errno.EPERM):
            return None, f"io_uring_setup fails with {errno.errorcode[e]}: no io_uring here"
        raise OSError(e, f"io_uring_setup: {os.strerror(e)}")
    p = {"sq_entries": params.sq_entries, "cq_entries": params.cq_entries,
         "sq_off": {k: getattr(params, "sq_" + k) for k in ("head", "tail", "ring_mask", "array")},
         "cq_off": {k: getattr(params, "cq_" + k) for k in ("head", "tail", "ring_mask", "cqes")}}
    return fd, p


_probe_fd, UNAVAILABLE = make_ring()
if _probe_fd is not None:
    os.close(_probe_fd)
    UNAVAILABLE = None

RING_WORKS = "setup ok\nplain {plain}\nregister ok\nenter 1\nopen real\n"


@unittest.skipIf(UNAVAILABLE, UNAVAILABLE or "")
class InheritedRing(TempDirTest):
    def setUp(self):
        super().setUp()
        self.frm = self.write("from", "real\n")
        self.to = self.write("to", "redirected\n")
        self.ring, params = make_ring()
        self.addCleanup(os.close, self.ring)
        self.child = [sys.executable, "-c", CHILD, str(self.ring), json.dumps(params), self.frm]

    def run_child(self, *sysvisor_args, supervised=True):
        """The child with the ring descriptor passed, under `sysvisor SYSVISOR_ARGS --` unless not supervised."""
        argv = [SYSVISOR, *sysvisor_args, "--", *self.child] if supervised else self.child
        return subprocess.run(argv, capture_output=True, text=True, timeout=60, pass_fds=(self.ring,))

    def test_control_without_sysvisor_the_ring_opens_from(self):
        # Proves the child would catch a bypass: the inherited ring opens the real FROM.
        self.assertRun(self.run_child(supervised=False), stdout=RING_WORKS.format(plain="real"))

    def test_a_redirect_fails_all_three_calls_with_enosys(self):
        self.assertRun(self.run_child("-r", f"{self.frm}={self.to}"),
                       stdout="setup ENOSYS\nplain redirected\nregister ENOSYS\nenter ENOSYS\n")

    def test_an_inject_rule_on_a_file_call_fails_them_too(self):
        # A fault on %file calls that never fires (when=1000) still makes io_uring a bypass.
        self.assertRun(self.run_child("-e", "inject=openat:error=EIO:when=1000"),
                       stdout="setup ENOSYS\nplain real\nregister ENOSYS\nenter ENOSYS\n")

    def test_an_inject_rule_on_io_uring_enter_decides_first(self):
        self.assertRun(self.run_child("-r", f"{self.frm}={self.to}", "-e", "inject=io_uring_enter:error=EBUSY"),
                       stdout="setup ENOSYS\nplain redirected\nregister ENOSYS\nenter EBUSY\n")

    def test_control_allow_io_uring_lets_the_ring_work(self):
        # The documented cost of --allow-io-uring: the ring reaches the original FROM.
        self.assertRun(self.run_child("--allow-io-uring", "-r", f"{self.frm}={self.to}"),
                       stdout=RING_WORKS.format(plain="redirected"))

    def test_control_no_file_rule_leaves_io_uring_alone(self):
        self.assertRun(self.run_child("-e", "inject=getppid:error=EPERM"), stdout=RING_WORKS.format(plain="real"))


@unittest.skipUnless(SOURCE_DIR, "SOURCE_DIR is not set")
class Documented(unittest.TestCase):
    """SQPOLL is a limit no filter can close: the man page must say so rather than claim io_uring is covered."""

    def setUp(self):
        with open(os.path.join(SOURCE_DIR, "man", "sysvisor.1")) as f:
            self.man = f.read()

    def section(self, start, end):
        m = re.search(rf"^{start}$(.*?)^{end}", self.man, re.M | re.S)
        self.assertIsNotNone(m, start)
        return m.group(1)

    def test_allow_io_uring_names_all_three_calls(self):
        option = self.section(r"\.B \\-\\-allow\\-io\\-uring", r"\.(SS|TP)")
        for name in ("io_uring_setup", "io_uring_enter", "io_uring_register"):
            self.assertIn(f".BR {name} (2)", option)
        self.assertIn("SQPOLL", option)

    def test_bugs_names_the_sqpoll_limit(self):
        self.assertIn("IORING_SETUP_SQPOLL", self.section(r"\.SH BUGS", r"\.SH "))


def main():
    result = unittest.main(verbosity=2, exit=False).result
    if not result.wasSuccessful():
        sys.exit(1)
    if UNAVAILABLE:
        print(f"skipped: {UNAVAILABLE}", file=sys.stderr)
        sys.exit(77)  # a missing kernel feature is a skip, never a pass
    sys.exit(0)


if __name__ == "__main__":
    main()
