"""Fault injection beyond the strace differential suite: the in-kernel fast path, the execve that
starts the program, inject-before-redirect, unprivileged use, and refusals."""
import json
import os

from common import TempDirTest, can_run_as_nobody, helper, main, run, sv

TRY = helper("try_syscall_static")      # static: no dynamic loader opens to count or fail
TRY_I386 = helper("try_syscall_i386")   # static too


class Inject(TempDirTest):
    def test_fast_path_and_notified_path_agree(self):
        target = self.write("f", "data\n")
        for prog in (TRY, TRY_I386):
            with self.subTest(prog=prog):
                fast = sv("-e", "inject=openat:error=EACCES", prog, "openat", "-", target)
                slow = sv("-e", "inject=openat:error=EACCES:when=1..65534", prog, "openat", "-", target)
                self.assertRun(fast, code=13, stdout="openat: ERR EACCES\n")
                self.assertRun(slow, code=13, stdout="openat: ERR EACCES\n")

    def test_fast_path_never_leaves_the_kernel(self):
        log = self.path("log.json")
        self.assertRun(sv("-o", log, "--log-format", "json", "-e", "inject=getppid:error=EPERM",
                          "-e", "inject=uname:error=EPERM:when=1..65534", "python3", "-c",
                          "import os\ntry: os.uname()\nexcept OSError as e: print(e.errno)\nprint(os.getppid())"),
                       stdout="1\n-1\n")
        entries = [json.loads(l) for l in open(log)]
        self.assertEqual([e["syscall"] for e in entries if e["action"] == "inject"], ["uname"])
        self.assertFalse([e for e in entries if e["syscall"] == "getppid"])

    def test_the_starting_execve_is_neither_counted_nor_injected(self):
        # Every execve fails, yet the program starts; the execs it makes itself fail (as under strace).
        for spec, script in (("inject=execve:error=EPERM", "/bin/true; echo status $?"),
                             ("inject=execve:error=EPERM:when=1", f"{TRY} fds >/dev/null; echo ran $?; "
                                                                  f"{TRY} fds >/dev/null; echo ran $?"),
                             ("inject=execve:error=EPERM:when=2", f"{TRY} fds >/dev/null; echo ran $?; "
                                                                  f"{TRY} fds >/dev/null; echo ran $?")):
            with self.subTest(spec=spec):
                proc = sv("-e", spec, "sh", "-c", script)
                strace = run(["strace", "-f", "-qq", "-o", "/dev/null", "-e", spec, "sh", "-c", script])
                self.assertEqual((proc.returncode, proc.stdout), (strace.returncode, strace.stdout))
                # Each forked child counts from zero: its own first execve is call 1, never call 2.
                self.assertEqual("126" in proc.stdout, not spec.endswith("when=2"), proc.stdout)
        proc = sv("-e", "inject=execve:error=EPERM", "sh", "-c", "/bin/true; echo status $?")
        self.assertEqual(proc.stdout, "status 126\n")

    def test_inject_decides_before_redirect(self):
        conf = self.write("my.conf", "redirected\n")
        fake = "/etc/sysvisor-test-app.conf"
        rule = ["-r", f"{fake}={conf}"]
        # The helper's first openat is this one: when=2 does not fire, so it is redirected.
        self.assertRun(sv(*rule, "-e", "inject=openat:error=EIO:when=2", TRY, "openat", "-", fake, "rdonly", "0"),
                       stdout="openat: fd 3 cloexec=0\nredirected\n")
        # A fault replaces the call: no redirection, the fault's errno.
        self.assertRun(sv(*rule, "-e", f"inject=openat:error=EIO", "-P", fake, TRY, "openat", "-", fake),
                       code=5, stdout="openat: ERR EIO\n")
        # A signal-only rule lets the call go on, and it is then redirected.
        self.assertRun(sv(*rule, "-e", "inject=openat:signal=SIGCHLD:when=1+", "-P", fake, TRY, "openat", "-", fake),
                       stdout="openat: fd 3 cloexec=0\nredirected\n")

    def test_refusals_leave_the_program_unstarted(self):
        marker = self.path("started")
        cases = [
            ("inject=openat:delay_exit=10", "delay_exit"),
            ("inject=openat:poke_exit=@arg2=00", "poke_exit"),
            ("inject=openat:error=EFOO", "unknown errno 'EFOO'"),
            ("inject=nosuchcall:error=EIO", "nosuchcall"),
            ("inject=openat:error=EIO:when=0", "when"),
        ]
        for spec, word in cases:
            with self.subTest(spec=spec):
                proc = sv("-e", spec, "sh", "-c", f"touch {marker}")
                self.assertEqual(proc.returncode, 125)
                self.assertEqual(len(proc.stderr.splitlines()), 1, proc.stderr)
                self.assertTrue(proc.stderr.startswith(f"sysvisor: -e {spec}: "), proc.stderr)
                self.assertIn(word, proc.stderr)
                self.assertFalse(os.path.exists(marker))

    def test_as_nobody(self):
        if not can_run_as_nobody():
            self.skipTest("needs root to switch to uid 65534")
        target = self.write("f", "data\n")
        self.assertRun(sv("-e", "inject=openat:error=ENOSPC:when=1..65534", TRY, "openat", "-", target, user="nobody"),
                       code=28, stdout="openat: ERR ENOSPC\n")
        self.assertRun(sv("-e", "inject=openat:error=ENOSPC", TRY, "openat", "-", target, user="nobody"),
                       code=28, stdout="openat: ERR ENOSPC\n")


if __name__ == "__main__":
    main()
