"""The supervised tree as a whole: descriptors the program sees, signals forwarded to it, orphans
that outlive their parent, sysvisor killed with SIGKILL, sysvisor under sysvisor, non-dumpable
programs."""
import os
import signal
import subprocess
import time

from common import SYSVISOR, TempDirTest, can_run_as_nobody, helper, main, run, sv

TRY = helper("try_syscall")
TRY_STATIC = helper("try_syscall_static")


def wait_gone(pid, seconds=5.0):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(") ")[1].startswith("Z"):
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.02)
    return False


class Process(TempDirTest):
    def setUp(self):
        super().setUp()
        self.conf = self.write("my.conf", "hello from my.conf\n")
        self.fake = "/etc/sysvisor-test-app.conf"
        self.rule = ["-r", f"{self.fake}={self.conf}"]

    def test_program_sees_none_of_our_descriptors(self):
        def fds(proc):
            self.assertEqual(proc.returncode, 0, proc.stderr)
            return [(l.split()[1], l.split()[2].split(":")[0]) for l in proc.stdout.splitlines()]
        control = fds(run([TRY, "fds"], input=""))
        self.assertEqual(control, [("0", "pipe"), ("1", "pipe"), ("2", "pipe")])
        self.assertEqual(fds(sv(*self.rule, TRY, "fds", input="")), control)
        self.assertEqual(fds(sv(*self.rule, "sh", "-c", f"exec {TRY} fds", input="")), control)

    def test_log_file_is_not_the_programs(self):
        control = run([TRY, "fds"], input="")
        proc = sv("-o", self.path("log"), *self.rule, TRY, "fds", input="")
        self.assertEqual([l.split()[1] for l in proc.stdout.splitlines()],
                         [l.split()[1] for l in control.stdout.splitlines()])

    def test_every_way_of_making_a_process_is_covered(self):
        # vfork (subprocess), posix_spawn, fork, clone3 (threads), exec chains, nested shells.
        code = f"""
import os, subprocess, threading
fake = {self.fake!r}
print(subprocess.run(['cat', fake], capture_output=True, text=True).stdout, end='')
pid = os.posix_spawn('/bin/cat', ['cat', fake], os.environ)
os.waitpid(pid, 0)
pid = os.fork()
if pid == 0:
    print(open(fake).read(), end='', flush=True)
    os._exit(0)
os.waitpid(pid, 0)
t = threading.Thread(target=lambda: print(open(fake).read(), end='', flush=True))
t.start(); t.join()
"""
        self.assertRun(sv(*self.rule, "python3", "-c", code), stdout="hello from my.conf\n" * 4)
        self.assertRun(sv(*self.rule, "sh", "-c", f"sh -c 'sh -c \"exec cat {self.fake}\"'"),
                       stdout="hello from my.conf\n")

    def test_signals_sent_to_sysvisor_reach_the_program(self):
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
            with self.subTest(sig=sig):
                name = sig.name[3:]
                script = f'trap "echo got {name}; exit 7" {name}; echo ready; while :; do sleep 0.05; done'
                proc = subprocess.Popen([SYSVISOR, *self.rule, "sh", "-c", script], stdout=subprocess.PIPE, text=True)
                self.assertEqual(proc.stdout.readline(), "ready\n")
                proc.send_signal(sig)
                out, _ = proc.communicate(timeout=10)
                self.assertEqual(out, f"got {name}\n")
                self.assertEqual(proc.returncode, 7)

    def test_job_control_and_ctrl_c_in_a_terminal(self):
        import shutil
        if shutil.which("tmux") is None:
            self.skipTest("tmux is not installed")
        session = f"sysvisor-{os.getpid()}"
        sock = self.path("tmux.sock")

        def tmux(*args):
            return subprocess.run(["tmux", "-S", sock, *args], capture_output=True, text=True, timeout=10)

        def screen():
            return tmux("capture-pane", "-p", "-t", session).stdout

        def wait_for(text, seconds=10.0):
            deadline = time.time() + seconds
            while time.time() < deadline:
                if text in screen():
                    return True
                time.sleep(0.05)
            return False

        tmux("new-session", "-d", "-s", session, "-x", "150", "-y", "40", "env", "PS1=$ ", "bash", "--norc",
             "--noprofile", "-i")
        try:
            self.assertTrue(wait_for("$"), screen())
            tmux("send-keys", "-t", session,
                 f"{SYSVISOR} {' '.join(self.rule)} sh -c 'echo started; cat {self.fake}; sleep 30; echo end'",
                 "Enter")
            self.assertTrue(wait_for("hello from my.conf"), screen())
            tmux("send-keys", "-t", session, "C-z")  # SIGTSTP to the foreground group: both stop
            self.assertTrue(wait_for("Stopped"), screen())
            tmux("send-keys", "-t", session, "fg", "Enter")
            time.sleep(0.3)
            tmux("send-keys", "-t", session, "C-c")  # SIGINT from the terminal: not forwarded twice
            time.sleep(0.3)
            tmux("send-keys", "-t", session, "echo status=$?", "Enter")
            self.assertTrue(wait_for("status=130"), screen())
            self.assertNotIn("end", [line.strip() for line in screen().splitlines()])  # sh was killed
        finally:
            tmux("kill-server")

    def test_sigkill_of_sysvisor_kills_the_program_and_strands_nothing(self):
        # The grandchild is a static binary: once sysvisor is gone, every notified call (the dynamic
        # loader's opens included) fails, so it must need none before its own open.
        script = f'{TRY_STATIC} sleep 0.5 open {self.fake} & echo $$; wait'
        proc = subprocess.Popen([SYSVISOR, *self.rule, "sh", "-c", script], stdout=subprocess.PIPE, text=True)
        lines = [proc.stdout.readline(), proc.stdout.readline()]  # the pid, and "sleeping" once exec'd
        self.assertIn("sleeping\n", lines)
        child = int([l for l in lines if l != "sleeping\n"][0])
        proc.kill()
        proc.wait(timeout=5)
        self.assertTrue(wait_gone(child), "the program survived sysvisor's SIGKILL")
        # The left-over grandchild's notified open failed in the kernel: neither redirected silently
        # nor let through to the real path.
        self.assertEqual(proc.stdout.read(), "open: ERR ENOSYS\n")

    def test_orphans_are_served_until_the_last_one_exits(self):
        out = self.path("orphan-out")
        script = f"(sleep 0.5; cat {self.fake} > {out}) & exit 3"
        start = time.time()
        self.assertRun(sv(*self.rule, "sh", "-c", script), code=3)
        self.assertGreaterEqual(time.time() - start, 0.5)
        self.assertEqual(open(out).read(), "hello from my.conf\n")
        # A double-forking daemon, as well.
        script = f"sh -c '(sleep 0.3; cat {self.fake} > {out}2) &' ; exit 0"
        self.assertRun(sv(*self.rule, "sh", "-c", script))
        self.assertEqual(open(out + "2").read(), "hello from my.conf\n")

    def test_sysvisor_under_sysvisor_is_refused(self):
        proc = sv(*self.rule, SYSVISOR, "-r", f"/a={self.dir}", "sh", "-c", f"touch {self.path('started')}")
        self.assertEqual(proc.returncode, 125)
        self.assertEqual(proc.stderr, "sysvisor: cannot install the seccomp filter: another seccomp listener is "
                                      "already active on this process (sysvisor under sysvisor, or another "
                                      "supervisor) (EBUSY)\n")
        self.assertFalse(os.path.exists(self.path("started")))

    def test_non_dumpable_program_goes_through_unredirected(self):
        if not can_run_as_nobody():
            self.skipTest("root reads any memory: needs to run as uid 65534")
        code = ("import ctypes; ctypes.CDLL(None).prctl(4, 0)\n"
                f"try: print(open('{self.fake}').read(), end='')\nexcept OSError as e: print(e.strerror)\n"
                f"try: print(open('{self.fake}').read(), end='')\nexcept OSError as e: print(e.strerror)\n")
        proc = sv(*self.rule, "python3", "-c", code, user="nobody")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, "No such file or directory\nNo such file or directory\n")
        lines = proc.stderr.splitlines()
        self.assertEqual(len(lines), 1, proc.stderr)
        self.assertRegex(lines[0], r"^sysvisor: cannot read the memory of thread \d+ \(not dumpable\?\): "
                                   r"its calls go through unredirected$")


if __name__ == "__main__":
    main()
