"""short=N (issue 16): the call really happens, on the program's own descriptor, but moves at most N
bytes; file offsets, socket state and the program's buffers end as if the kernel had returned a
short count. strace cannot shorten real I/O, so the ground truth is the kernel itself: the same
program run natively (a whole read loop must give the same bytes, a retrying writer the same file),
and what is left in the file, pipe or socket after the call. The helper short_io prints each call's
result and side effects (tests/helpers/short_io.c); it is static, for x86_64 and for i386.

Mutants these tests kill (each checked by breaking the code): the call let through whole (counts,
offsets and leftovers differ; the log says "runs whole"); the offset of a plain read not moved, or a
pread's moved; iovecs filled out of order or the i386 compat layout read as 64-bit; the source
address, its length or msg_flags not written back; a blocking read answered EAGAIN, or not
interruptible (EINTR test), or consuming data before a signal interrupts it; EAGAIN not answered
for an O_NONBLOCK descriptor; SIGPIPE killing sysvisor or not reaching the program; a FIFO without
RWF_NOWAIT run whole."""
import os
import re
import subprocess
import threading
import time

from common import SYSVISOR, TempDirTest, helper, main

SHORT = helper("short_io")
SHORT_I386 = helper("short_io_i386")
BOTH = (SHORT, SHORT_I386)
TEXT = b"hello world, this is a file\n"


def parse(stdout):
    """'ret=3\\ndata=68656c\\n' -> {'ret': '3', 'data': b'hel'} (hex fields decoded)."""
    out = {}
    for line in stdout.splitlines():
        key, _, value = line.partition("=")
        hexed = key in ("data", "rest", "next", "received") or key.startswith("iov")
        out[key] = bytes.fromhex(value) if hexed else value
    return out


class Short(TempDirTest):
    def supervised(self, spec, *argv, log=None, code=0, timeout=60):
        extra = ["-o", log] if log else []
        proc = subprocess.run([SYSVISOR, *extra, "-e", f"inject={spec}", *argv], capture_output=True,
                              timeout=timeout)
        self.assertEqual(proc.returncode, code, proc.stderr)
        return proc

    def call(self, spec, *argv, log=None, timeout=60):
        """The helper's printout under sysvisor; the control run (no rule) is checked by the caller."""
        return parse(self.supervised(spec, *argv, log=log, timeout=timeout).stdout.decode())

    def native(self, *argv):
        proc = subprocess.run(list(argv), capture_output=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return parse(proc.stdout.decode())

    def file(self, name, data=TEXT):
        path = self.path(name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def injected(self, log, syscall):
        """The log's inject lines for `syscall`: [(detail, result or None), ...]."""
        pattern = re.compile(rf" {syscall}\(.*\) inject (short=\d+(?: \(runs whole\))?)(?: = (-?\d+))?(?: \[i386\])?$")
        with open(log) as f:
            found = [pattern.search(line.rstrip("\n")) for line in f]
        return [(m.group(1), m.group(2)) for m in found if m]

    def contents(self, path):
        with open(path, "rb") as f:
            return f.read()


class ReadLoops(Short):
    def test_a_read_loop_still_reads_the_whole_file(self):
        data = bytes(range(256)) * 12 + b"tail"
        path = self.file("data.bin", data)
        programs = {
            "cat": ["cat", path],
            "python3": ["python3", "-c", f"import sys; sys.stdout.buffer.write(open({path!r}, 'rb').read())"],
            "static": [SHORT, "readall", path],
            "i386": [SHORT_I386, "readall", path],
        }
        for name, argv in programs.items():
            with self.subTest(program=name):
                native = subprocess.run(argv, capture_output=True, timeout=60).stdout
                self.assertEqual(native, data)
                log = self.path(f"{name}.log")
                # -P: only the reads of this file (a dynamic loader's reads of libraries stay whole).
                proc = subprocess.run([SYSVISOR, "-o", log, "-P", path, "-e", "inject=read:short=1", *argv],
                                      capture_output=True, timeout=120)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertEqual(proc.stdout, native)
                self.assertEqual(self.injected(log, "read").count(("short=1", "1")), len(data))
                if name in ("static", "i386"):
                    self.assertEqual(proc.stderr.decode(), f"reads={len(data)}\n")

    def test_a_retrying_writer_writes_the_same_file(self):
        data = os.urandom(3000)
        src = self.file("src.bin", data)
        script = (f"import shutil\nwith open({src!r}, 'rb') as a, open(OUT, 'wb') as b: shutil.copyfileobj(a, b)")
        native_out, out = self.path("native.bin"), self.path("out.bin")
        subprocess.run(["python3", "-c", script.replace("OUT", repr(native_out))], check=True, timeout=60)
        log = self.path("log")
        proc = subprocess.run([SYSVISOR, "-o", log, "-P", out, "-e", "inject=write:short=7", "python3", "-c",
                               script.replace("OUT", repr(out))], capture_output=True, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.contents(out), self.contents(native_out))
        self.assertEqual(self.injected(log, "write").count(("short=7", "7")), len(data) // 7)


class Files(Short):
    def test_read_moves_the_offset_by_what_it_returned(self):
        path = self.file("f")
        for prog in BOTH:
            with self.subTest(prog=prog):
                self.assertEqual(self.native(prog, "read", path, "10"), {"ret": "10", "data": TEXT[:10], "pos": "10"})
                self.assertEqual(self.call("read:short=3", prog, "read", path, "10"),
                                 {"ret": "3", "data": TEXT[:3], "pos": "3"})

    def test_a_single_write_leaves_exactly_n_bytes(self):
        for prog in BOTH:
            with self.subTest(prog=prog):
                path = self.file("w")
                self.assertEqual(self.native(prog, "write", path, "abcdefgh"), {"ret": "8", "pos": "8"})
                self.assertEqual(self.call("write:short=3", prog, "write", path, "abcdefgh"), {"ret": "3", "pos": "3"})
                self.assertEqual(self.contents(path), b"abc")
        path = self.file("py")
        proc = self.supervised("write:short=3", "python3", "-c",
                               f"import os\nfd = os.open({path!r}, os.O_WRONLY | os.O_TRUNC)\n"
                               "print(os.write(fd, b'abcdefgh'))")
        self.assertEqual(proc.stdout, b"3\n")
        self.assertEqual(self.contents(path), b"abc")

    def test_pread_and_pwrite_leave_the_offset_alone(self):
        for prog in BOTH:
            with self.subTest(prog=prog):
                path = self.file("p")
                self.assertEqual(self.call("pread64:short=3", prog, "pread", path, "10", "6"),
                                 {"ret": "3", "data": TEXT[6:9], "pos": "0"})
                self.assertEqual(self.call("pwrite64:short=3", prog, "pwrite", path, "XYZWV", "4"),
                                 {"ret": "3", "pos": "0"})
                self.assertEqual(self.contents(path), TEXT[:4] + b"XYZ" + TEXT[7:])
                # Past 4 GiB: an i386 caller's position comes in two registers.
                with open(path, "r+b") as f:
                    f.seek((1 << 32) + 4)
                    f.write(b"far away")
                self.assertEqual(self.call("pread64:short=3", prog, "pread", path, "8", str((1 << 32) + 4)),
                                 {"ret": "3", "data": b"far", "pos": "0"})

    def test_vectors_fill_and_drain_iovecs_in_order(self):
        for prog in BOTH:
            with self.subTest(prog=prog):
                path = self.file("v")
                self.assertEqual(self.call("readv:short=5", prog, "readv", path, "2,3,4"),
                                 {"ret": "5", "iov0": b"he", "iov1": b"llo", "iov2": b"\0" * 4, "pos": "5"})
                self.assertEqual(self.call("preadv:short=5", prog, "preadv", path, "6", "2,3,4"),
                                 {"ret": "5", "iov0": b"wo", "iov1": b"rld", "iov2": b"\0" * 4, "pos": "0"})
                self.assertEqual(self.call("preadv2:short=3", prog, "preadv2", path, "-1", "2,3"),
                                 {"ret": "3", "iov0": b"he", "iov1": b"l\0\0", "pos": "3"})
                self.assertEqual(self.call("writev:short=3", prog, "writev", path, "ab,cd,ef"), {"ret": "3", "pos": "3"})
                self.assertEqual(self.contents(path), b"abc")
                self.assertEqual(self.call("pwritev:short=4", prog, "pwritev", path, "1", "XY,ZW,VU"),
                                 {"ret": "4", "pos": "0"})
                self.assertEqual(self.contents(path), b"aXYZW")

    def test_a_call_asking_n_bytes_or_fewer_runs_whole(self):
        path = self.file("small")
        log = self.path("log")
        self.assertEqual(self.call("read:short=5", SHORT, "read", path, "5", log=log),
                         {"ret": "5", "data": TEXT[:5], "pos": "5"})
        self.assertIn(("short=5 (runs whole)", None), self.injected(log, "read"))


class Sockets(Short):
    def test_stream_sockets(self):
        for prog in BOTH:
            with self.subTest(prog=prog):
                self.assertEqual(self.native(prog, "stream_recvfrom", "8"),
                                 {"ret": "8", "data": b"hello wo", "rest": b"rld"})
                self.assertEqual(self.call("recvfrom:short=3", prog, "stream_recvfrom", "8"),
                                 {"ret": "3", "data": b"hel", "rest": b"lo world"})
                self.assertEqual(self.call("sendto:short=3", prog, "stream_sendto", "abcdefg"),
                                 {"ret": "3", "received": b"abc"})

    def test_datagrams_with_addresses(self):
        for prog in BOTH:
            with self.subTest(prog=prog):
                whole = b"hello world"
                self.assertEqual(self.native(prog, "udp_recvfrom", "8"),
                                 {"ret": "8", "data": b"hello wo", "namelen": "16", "same_peer": "1", "next": whole})
                self.assertEqual(self.call("recvfrom:short=3", prog, "udp_recvfrom", "8"),
                                 {"ret": "3", "data": b"hel", "namelen": "16", "same_peer": "1", "next": whole})
                # The rest of a datagram is discarded and msg_flags says MSG_TRUNC, as for a short buffer.
                self.assertEqual(self.call("recvmsg:short=3", prog, "udp_recvmsg", "8"),
                                 {"ret": "3", "iov0": b"hel\0", "iov1": b"\0" * 4, "namelen": "16",
                                  "same_peer": "1", "msg_flags": "0x20", "next": whole})
                for op, call in (("udp_sendto", "sendto"), ("udp_sendmsg", "sendmsg")):
                    self.assertEqual(self.call(f"{call}:short=3", prog, op, "abcdefg"),
                                     {"ret": "3", "received": b"abc"})
        self.assertEqual(self.call("recvfrom:short=3", SHORT_I386, "socketcall_recvfrom", "8"),
                         {"ret": "3", "data": b"hel", "namelen": "16", "same_peer": "1"})


class Pipes(Short):
    def test_a_blocking_read_is_held_until_the_writer_comes(self):
        for prog in BOTH:
            with self.subTest(prog=prog):
                got = self.call("read:short=2", prog, "pipe_read", "6", "300")
                self.assertEqual({k: got[k] for k in ("ret", "data", "alarms", "rest")},
                                 {"ret": "2", "data": b"ab", "alarms": "0", "rest": b"cdef"})
                self.assertGreater(float(got["waited"]), 0.25)

    def test_a_signal_interrupts_a_held_read_as_natively(self):
        for prog in BOTH:
            with self.subTest(prog=prog):
                native = self.native(prog, "pipe_alarm", "6", "norestart")
                got = self.call("read:short=2", prog, "pipe_alarm", "6", "norestart")
                for result in (native, got):
                    self.assertEqual((result["ret"], result["errno"], result["alarms"], result["rest"]),
                                     ("-1", "EINTR", "1", b"abcdef"))  # nothing was consumed
                    self.assertLess(float(result["waited"]), 0.7)
                # With SA_RESTART the read starts again and waits for the writer.
                got = self.call("read:short=2", prog, "pipe_alarm", "6", "restart")
                self.assertEqual((got["ret"], got["data"], got["alarms"], got["rest"]), ("2", b"ab", "1", b"cdef"))

    def test_an_o_nonblock_descriptor_gets_eagain(self):
        log = self.path("log")
        for prog in BOTH:
            with self.subTest(prog=prog):
                self.assertEqual(self.call("read:short=2", prog, "pipe_nonblock", "6", log=log, timeout=10),
                                 {"ret": "-1", "errno": "EAGAIN"})
                self.assertEqual(self.injected(log, "read"), [("short=2", "-11")])

    def test_a_broken_pipe_raises_sigpipe_in_the_program(self):
        log = self.path("log")
        for prog in BOTH:
            with self.subTest(prog=prog):
                self.assertEqual(self.call("write:short=2", prog, "pipe_broken", "abcdef", "handler", log=log),
                                 {"ret": "-1", "errno": "EPIPE", "sigpipe": "1"})
                self.assertEqual(self.injected(log, "write")[0], ("short=2", "-32"))
                # Default disposition: the program dies of it, and sysvisor dies of the same signal.
                native = subprocess.run([prog, "pipe_broken", "abcdef", "default"], capture_output=True)
                self.assertEqual(native.returncode, -13)
                self.supervised("write:short=2", prog, "pipe_broken", "abcdef", "default", code=-13)

    def test_a_named_fifo(self):
        fifo = self.path("fifo")
        os.mkfifo(fifo)

        def writer():
            with open(fifo, "wb") as f:
                time.sleep(0.3)
                f.write(b"abcdef")
        for prog in BOTH:
            with self.subTest(prog=prog):
                peer = threading.Thread(target=writer)
                peer.start()
                got = self.call("read:short=2", prog, "read", fifo, "6")
                peer.join()
                self.assertEqual((got["ret"], got["data"]), ("2", b"ab"))


if __name__ == "__main__":
    main()
