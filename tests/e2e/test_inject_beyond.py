"""Inject rules beyond strace (issue 16): argN tests, path= globs, prob= with seed=, --summary, with
real programs (python3, coreutils, sh) and static x86_64 and i386 helpers. strace 6.1 has none of
these keys, so each case checks the program's own view against the native run's."""
import os
import re

from common import TempDirTest, helper, main, run, sv

TRY = helper("try_syscall_static")
TRY_I386 = helper("try_syscall_i386")

# Reads or writes each of the files named, one line per file: "ok" or the errno name.
PY_OPEN = ("import errno, sys\n"
           "for mode_path in sys.argv[1:]:\n"
           "    mode, path = mode_path.split(':', 1)\n"
           "    try:\n"
           "        with open(path, mode) as f: pass\n"
           "        print(mode, 'ok')\n"
           "    except OSError as e:\n"
           "        print(mode, errno.errorcode[e.errno])\n")

# stat()s PATH N times and prints the 1-based numbers of the calls that failed.
PY_STAT_LOOP = ("import os, sys\n"
                "failed = []\n"
                "for i in range(1, int(sys.argv[2]) + 1):\n"
                "    try: os.stat(sys.argv[1])\n"
                "    except OSError: failed.append(i)\n"
                "print(len(failed), ' '.join(map(str, failed)))\n")


class Beyond(TempDirTest):
    def test_python_opening_for_reading_and_for_writing_under_arg2_o_creat(self):
        target = self.write("data", "x\n")
        argv = ["python3", "-c", PY_OPEN, f"r:{target}", f"w:{self.path('new')}", f"a:{target}"]
        self.assertRun(run(argv), stdout="r ok\nw ok\na ok\n")
        os.unlink(self.path("new"))
        self.assertRun(sv("-e", "inject=openat:error=EACCES:arg2&O_CREAT", *argv),
                       stdout="r ok\nw EACCES\na EACCES\n")
        self.assertFalse(os.path.exists(self.path("new")))  # the call never ran
        # Masked equality: only opens for writing without O_TRUNC.
        self.assertRun(sv("-e", "inject=openat:error=EPERM:arg2&O_ACCMODE|O_TRUNC==O_WRONLY", *argv),
                       stdout="r ok\nw ok\na EPERM\n")

    def test_write_fails_only_on_fd_1(self):
        code = ("import os\n"
                "for fd in (1, 2, 1):\n"
                "    try: os.write(fd, b'x\\n'); os.write(2, f'{fd} ok\\n'.encode())\n"
                "    except OSError as e: os.write(2, f'{fd} {e.strerror}\\n'.encode())\n")
        self.assertRun(run(["python3", "-c", code]), stdout="x\nx\n", stderr="1 ok\nx\n2 ok\n1 ok\n")
        self.assertRun(sv("-e", "inject=write:error=EIO:arg0==1", "python3", "-c", code), stdout="",
                       stderr="1 Input/output error\nx\n2 ok\n1 Input/output error\n")

    def test_path_globs_under_a_directory(self):
        for name in ("top.conf", "sub/inner.conf", "sub/deeper/x.conf", "other.txt"):
            self.write(f"tree/{name}", name + "\n")
        outside = self.write("outside.conf", "outside\n")
        files = [self.path("tree", n) for n in ("top.conf", "sub/inner.conf", "sub/deeper/x.conf", "other.txt")]
        argv = ["python3", "-c", PY_OPEN] + [f"r:{f}" for f in files + [outside]]
        one = sv("-e", f"inject=openat:error=ENOENT:path={self.path('tree')}/*.conf", *argv)
        self.assertRun(one, stdout="r ENOENT\nr ok\nr ok\nr ok\nr ok\n")
        deep = sv("-e", f"inject=openat:error=ENOENT:path={self.path('tree')}/**.conf", *argv)
        self.assertRun(deep, stdout="r ENOENT\nr ENOENT\nr ENOENT\nr ok\nr ok\n")
        # Relative paths are made absolute against the cwd first, as redirection does.
        rel = sv("-e", f"inject=openat:error=EACCES:path={self.path('tree')}/sub/*", "cat", "sub/inner.conf",
                 cwd=self.path("tree"))
        self.assertEqual(rel.returncode, 1)
        self.assertIn("Permission denied", rel.stderr)

    def failing_calls(self, rule, calls="400"):
        rule = ["-e", f"{rule}:path={self.conf}"]  # python's own stats at start-up stay untouched
        proc = sv(*rule, "python3", "-c", PY_STAT_LOOP, self.conf, calls)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        count, *numbers = proc.stdout.split()
        return int(count), numbers

    def test_the_same_seed_injects_the_same_calls(self):
        self.conf = self.write("f", "x\n")
        first = self.failing_calls("inject=newfstatat,stat:error=EIO:prob=0.2:seed=42")
        second = self.failing_calls("inject=newfstatat,stat:error=EIO:prob=0.2:seed=42")
        other = self.failing_calls("inject=newfstatat,stat:error=EIO:prob=0.2:seed=43")
        self.assertEqual(first, second)
        self.assertNotEqual(first[1], other[1])
        self.assertTrue(40 <= first[0] <= 120, first[0])

    def test_prob_one_half_over_1000_calls(self):
        self.conf = self.write("f", "x\n")
        count, _ = self.failing_calls("inject=newfstatat,stat:error=EIO:prob=50%", calls="1000")
        self.assertTrue(400 <= count <= 600, count)

    def test_i386_predicates_on_32_bit_arguments(self):
        target = self.write("f", "data\n")
        for prog in (TRY, TRY_I386):
            with self.subTest(prog=prog):
                rule = ["-e", "inject=open,openat:error=EACCES:arg1&O_CREAT"]
                self.assertRun(sv(*rule, prog, "open", target, "rdonly"), stdout="open: fd 3 cloexec=0\ndata\n")
                self.assertRun(sv(*rule, prog, "open", target, "wronly,creat", "644"), code=13,
                               stdout="open: ERR EACCES\n")
                # AT_FDCWD is -100 in a 32-bit register for i386, a 64-bit one for x86_64.
                cwd_rule = ["-e", f"inject=openat:error=EPERM:arg0==AT_FDCWD:path={target}"]
                self.assertRun(sv(*cwd_rule, prog, "openat", "-", target), code=1, stdout="openat: ERR EPERM\n")
                self.assertRun(sv(*cwd_rule, prog, "openat", self.dir, "f"), stdout="openat: fd 4 cloexec=0\ndata\n")

    def test_summary_shows_matched_injected_dead_and_in_kernel_rules(self):
        self.conf = self.write("f", "x\n")
        rules = ["-e", f"inject=newfstatat,stat:error=EIO:when=3+3:path={self.conf}",
                 "-e", "inject=getppid:error=EPERM",                       # the filter answers it
                 "-e", f"inject=unlink:error=EIO:path={self.conf}",        # never called
                 "-e", f"inject=openat:error=EIO:prob=0.5:path={self.conf}"]
        proc = sv("--summary", *rules, "python3", "-c", PY_STAT_LOOP + "import os; os.getppid()\n", self.conf, "10")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, "3 3 6 9\n")
        lines = proc.stderr.splitlines()
        self.assertEqual(lines[:3], [
            f"sysvisor: summary: -e inject=newfstatat,stat:error=EIO:when=3+3:path={self.conf}: 10 matched, 3 injected",
            "sysvisor: summary: -e inject=getppid:error=EPERM: in kernel, not counted",
            f"sysvisor: summary: -e inject=unlink:error=EIO:path={self.conf}: never matched"])
        seed = re.fullmatch(r"sysvisor: summary: -e inject=openat:.*: never matched \(seed (\d+)\)", lines[3])
        self.assertIsNotNone(seed, lines[3])
        # Into the -o file, as log lines, when there is one.
        log = self.path("log")
        proc = sv("--summary", "-o", log, *rules[:4], "python3", "-c", PY_STAT_LOOP, self.conf, "4")
        self.assertEqual((proc.returncode, proc.stderr), (0, ""))
        with open(log) as f:
            summary = [l for l in f.read().splitlines() if l.startswith("summary: ")]
        self.assertEqual(summary, [
            f"summary: -e inject=newfstatat,stat:error=EIO:when=3+3:path={self.conf}: 4 matched, 1 injected",
            "summary: -e inject=getppid:error=EPERM: in kernel, not counted"])

    def test_a_printed_seed_replays_the_run(self):
        self.conf = self.write("f", "x\n")
        rule = f"inject=newfstatat,stat:error=EIO:prob=0.3:path={self.conf}"
        proc = sv("--summary", "-e", rule, "python3", "-c", PY_STAT_LOOP, self.conf, "200")
        seed = re.search(r"\(seed (\d+)\)", proc.stderr).group(1)
        replay = sv("-e", f"{rule}:seed={seed}", "python3", "-c", PY_STAT_LOOP, self.conf, "200")
        self.assertEqual(replay.stdout, proc.stdout)

    def test_bad_extension_input_is_one_line_and_the_program_never_starts(self):
        marker = self.path("started")
        for spec, why in (("inject=read:error=EIO:arg7==1", "N is 0..5"),
                          ("inject=read:error=EIO:arg0==O_NOPE", "invalid value 'O_NOPE'"),
                          ("inject=read:error=EIO:prob=1.5", "invalid probability '1.5' (in (0, 1]"),
                          ("inject=getpid:short=2", "moves no bytes"),
                          ("inject=read:error=EIO:path=/x", "take no path")):
            with self.subTest(spec=spec):
                proc = sv("-e", spec, "touch", marker)
                self.assertEqual(proc.returncode, 125)
                self.assertEqual(len(proc.stderr.splitlines()), 1, proc.stderr)
                self.assertTrue(proc.stderr.startswith("sysvisor: ") and why in proc.stderr, proc.stderr)
                self.assertFalse(os.path.exists(marker))


if __name__ == "__main__":
    main()
