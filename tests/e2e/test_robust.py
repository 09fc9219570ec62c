"""Threads, races and hostile memory: the supervisor never hangs, never answers the wrong thread,
and reads the program's memory exactly as the kernel would."""
import os
import re
import subprocess
import unittest

from common import SYSVISOR, TempDirTest, helper, main, run, sv

STRESS = helper("stress")
TRY = helper("try_syscall")
MALLOC_COUNT = os.environ.get("MALLOC_COUNT", "")
WORKLOAD = os.environ.get("WORKLOAD", "")


class Robust(TempDirTest):
    def setUp(self):
        super().setUp()
        self.conf = self.write("my.conf", "redirected\n")
        self.fake = "/etc/sysvisor-test-app.conf"

    def test_path_flipped_by_another_thread(self):
        # FROM and OTHER differ in one byte, so that every read of the buffer (ours or the kernel's)
        # sees one of the two, never a torn mix.
        frm = self.write("a", "original\n")
        other = self.write("b", "other\n")
        proc = sv("-r", f"{frm}={self.conf}", STRESS, "race", frm, other, "3000")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        lines = proc.stdout.splitlines()
        self.assertEqual(lines[-1], "errors 0", proc.stdout)
        seen = {l.split(" ", 1)[1] for l in lines[:-1]}
        self.assertLessEqual(seen, {"redirected", "other", "original"}, proc.stdout)
        self.assertIn("redirected", seen)

    def test_path_max_and_mapping_end(self):
        fake = self.fake
        self.assertEqual(len(fake) % 2, 1)  # stress pads with "/." pairs up to PATH_MAX-1
        control = run([STRESS, "pathmax", fake])
        self.assertEqual(control.stdout, "len 4095 ERR ENOENT\nlen 4096 ERR ENAMETOOLONG\n")
        self.assertRun(sv("-r", f"{fake}={self.conf}", STRESS, "pathmax", fake),
                       stdout="len 4095 ok\nlen 4096 ERR ENAMETOOLONG\n")
        self.assertRun(run([STRESS, "mapend", self.fake]), stdout="end ERR ENOENT\nunterminated ERR EFAULT\n")
        self.assertRun(sv("-r", f"{self.fake}={self.conf}", STRESS, "mapend", self.fake),
                       stdout="end ok\nunterminated ERR EFAULT\n")

    def test_exec_and_chdir_from_a_non_main_thread(self):
        # The thread chdirs to / in its own fs struct, then execs: the relative path is resolved
        # against that thread's cwd, and after exec the thread id is the process id.
        rule = ["-r", f"/etc/sysvisor-rel={self.conf}"]
        self.assertRun(sv(*rule, STRESS, "threadexec", TRY, "open", "etc/sysvisor-rel", cwd=self.dir),
                       stdout="open: fd 3 cloexec=0\nredirected\n")

    def test_exit_group_with_calls_pending(self):
        fifo = self.path("fifo")
        os.mkfifo(fifo)
        self.assertRun(sv("-r", f"{self.fake}={fifo}", STRESS, "exitpending", self.fake, "8", timeout=30),
                       code=3, stdout="exiting\n")

    def test_no_answer_lands_in_a_later_image(self):
        # The leader stats a redirected path into a fixed (non-PIE) buffer while a sibling execs the
        # next generation; an answer written after the exec would land in the new image. sysvisor
        # runs at SCHED_IDLE (the program at SCHED_OTHER) to widen the window: with answers written
        # through process_vm_writev this failed in 10 runs of 10, each within 420 generations.
        self.assertRun(run(["chrt", "--idle", "0", SYSVISOR, "-r", f"{self.fake}={self.conf}", "--",
                            "chrt", "--other", "0", helper("exec_race"), self.fake, "10000"], timeout=240),
                       stdout="10000 generations: clean\n")

    def test_64_threads_at_once(self):
        for threads in ("1", "2"):
            self.assertRun(sv("--threads", threads, "-r", f"{self.fake}={self.conf}", helper("threaded_open"), "64",
                              "100", self.fake, "redirected"), stdout="64 threads x 100 opens: ok\n")

    def test_every_receiver_ends_with_the_last_task(self):
        # 64 receivers wait, most of them idle, in RECV itself (Linux 6.11+) or in poll: all of them
        # must end once the program and an orphan it left behind have exited.
        for threads in ("1", "8", "64"):
            self.assertRun(sv("--threads", threads, "-r", f"{self.fake}={self.conf}", "sh", "-c",
                              f"(sleep 0.2; cat {self.fake} > {self.path('orphan')}) & cat {self.fake}", timeout=20),
                           stdout="redirected\n")
            with open(self.path("orphan")) as f:
                self.assertEqual(f.read(), "redirected\n")
            os.unlink(self.path("orphan"))

    @unittest.skipUnless(MALLOC_COUNT and WORKLOAD, "bench/ not built")
    def test_no_allocation_per_call_on_the_hot_path(self):
        # A call that no rule changes costs the supervisor no allocation: the counts at exit are the
        # same whether the program made 100 or 2,100 such calls.
        # One receiver: each receiver's path buffers grow once, when it first serves a long path,
        # and with several which of them served the first calls varies from run to run.
        if any(lib in run(["ldd", SYSVISOR]).stdout for lib in ("libasan", "libtsan")):
            self.skipTest("a sanitizer's allocator must come first")
        cases = [(["-r", f"/nonexistent-sysvisor-test/x={self.conf}"], "openclose", [self.conf]),
                 (["-r", f"/nonexistent-sysvisor-test/dir/={self.path('to')}/"], "openmissing", []),
                 (["-e", "inject=getppid:error=EIO:when=65535"], "getppid", [])]
        for rules, mode, path in cases:
            counts = []
            for calls in ("100", "2100"):
                p = subprocess.Popen([SYSVISOR, "--threads", "1", *rules, "--", WORKLOAD, mode, calls, "1", *path],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=dict(os.environ, LD_PRELOAD=MALLOC_COUNT))
                _, err = p.communicate(timeout=60)
                self.assertEqual(p.returncode, 0, err)
                m = re.search(rf"malloc_count pid={p.pid} calls=(\d+)", err)
                self.assertIsNotNone(m, err)
                counts.append(int(m.group(1)))
            self.assertEqual(counts[0], counts[1], f"{rules} {mode}: allocations grow with the calls")

    def test_go_program_under_constant_preemption(self):
        # Go preempts goroutines with SIGURG, interrupting syscalls all the time.
        import shutil
        go = shutil.which("go")
        if go is None:
            self.skipTest("go (Debian's golang-go) is not installed")
        source = os.path.join(os.environ["SOURCE_DIR"], "tests", "helpers", "gofileio.go")
        binary = self.path("gofileio")
        built = run([go, "build", "-o", binary, source],
                    env={"GOCACHE": self.path("gocache"), "HOME": self.dir, "GOFLAGS": "-mod=mod", "GO111MODULE": "off"},
                    timeout=300)
        self.assertEqual(built.returncode, 0, built.stderr)
        control = run([binary, self.conf])
        self.assertRun(control, stdout="redirected\nbad reads: 0\n")
        for _ in range(3):
            self.assertRun(sv("-r", f"{self.fake}={self.conf}", binary, self.fake), stdout=control.stdout)
        self.assertRun(sv("--threads", "2", "-r", f"{self.fake}={self.conf}", binary, self.fake), stdout=control.stdout)

    def test_dash_pipelines_complete(self):
        # dash's SIGCHLD handler must never turn a served call into EINTR (WAIT_KILLABLE_RECV).
        script = f"cat {self.fake} | tr a-z A-Z | wc -c"
        for _ in range(20):
            self.assertRun(sv("-r", f"{self.fake}={self.conf}", "dash", "-c", script), stdout="11\n")


if __name__ == "__main__":
    main()
