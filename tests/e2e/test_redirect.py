"""Redirection end to end: real programs (coreutils, python3, static and i386 C helpers, a threaded
helper) open, stat, access and readlink FROM and get TO. Every case also runs its control."""
import os
import stat
import subprocess

from common import (SYSVISOR, COPYCAT, TempDirTest, can_run_as_nobody, helper, main, run, sv)

TRY = helper("try_syscall")
TRY_STATIC = helper("try_syscall_static")
TRY_I386 = helper("try_syscall_i386")
ALL_TRY = [TRY, TRY_STATIC, TRY_I386]


class Redirect(TempDirTest):
    def setUp(self):
        super().setUp()
        self.conf = self.write("my.conf", "hello from my.conf\n")
        self.fake = "/etc/sysvisor-test-app.conf"  # never exists on the host
        self.assertFalse(os.path.exists(self.fake))

    def rule(self, frm=None, to=None):
        return ["-r", f"{frm or self.fake}={to or self.conf}"]

    def test_cat_python_static_i386_threaded(self):
        self.assertRun(run(["cat", self.fake]), code=1, stdout="", stderr=None)  # control
        self.assertRun(sv(*self.rule(), "--", "cat", self.fake), stdout="hello from my.conf\n")
        self.assertRun(sv(*self.rule(), "python3", "-c", f"print(open('{self.fake}').read(), end='')"),
                       stdout="hello from my.conf\n")
        for prog in ALL_TRY:
            with self.subTest(prog=prog):
                self.assertRun(run([prog, "open", self.fake]), code=2, stdout="open: ERR ENOENT\n")
                self.assertRun(sv(*self.rule(), prog, "open", self.fake),
                               stdout="open: fd 3 cloexec=0\nhello from my.conf\n")
                self.assertRun(sv(*self.rule(), prog, "openat", "-", self.fake, "rdonly,cloexec"),
                               stdout="openat: fd 3 cloexec=1\nhello from my.conf\n")
                self.assertRun(sv(*self.rule(), prog, "openat2", "-", self.fake),
                               stdout="openat2: fd 3 cloexec=0\nhello from my.conf\n")
        for threads in ("1", "2", "4"):
            self.assertRun(sv("--threads", threads, *self.rule(), helper("threaded_open"), "16", "200", self.fake,
                              "hello from my.conf"), stdout="16 threads x 200 opens: ok\n")
        # A character device as TO: opened without waiting, the program's flags kept (no O_NONBLOCK).
        self.assertRun(sv("-r", f"{self.fake}=/dev/null", "sh", "-c", f"cat {self.fake}; echo x > {self.fake}"),
                       stdout="")

    def test_copycat_and_environment(self):
        env = {"COPYCAT": f"{self.fake} ./my.conf"}
        self.assertRun(run([COPYCAT, "--", "cat", self.fake], env=env, cwd=self.dir), stdout="hello from my.conf\n")
        self.assertRun(run([COPYCAT, "cat", self.fake], env=env, cwd=self.dir), stdout="hello from my.conf\n")
        env = {"SYSVISOR_REDIRECT": f"{self.fake} my.conf"}
        self.assertRun(run([SYSVISOR, "cat", self.fake], env=env, cwd=self.dir), stdout="hello from my.conf\n")

    def test_relative_paths_cwd_dirfd_and_dotdot(self):
        os.makedirs(self.path("etc"))
        frm = self.path("etc", "app.conf")  # does not exist: only the rule makes it readable
        rule = ["-r", f"{frm}={self.conf}"]
        for prog in (TRY, TRY_I386):
            with self.subTest(prog=prog):
                self.assertRun(sv(*rule, prog, "chdir", self.path("etc"), "open", "app.conf"),
                               stdout="open: fd 3 cloexec=0\nhello from my.conf\n")
                self.assertRun(sv(*rule, prog, "chdir", self.dir, "open", "./etc//x/../app.conf"),
                               stdout="open: fd 3 cloexec=0\nhello from my.conf\n")
                self.assertRun(sv(*rule, prog, "openat", self.path("etc"), "app.conf"), stdout=None)
                self.assertIn("hello from my.conf", sv(*rule, prog, "openat", self.path("etc"), "app.conf").stdout)
                self.assertRun(sv(*rule, prog, "openat", self.dir, "etc/app.conf/"), code=20,
                               stdout="openat: ERR ENOTDIR\n")
        # The thread's own cwd is used: one thread chdirs (unshare(CLONE_FS)) and opens relatively.
        self.assertRun(sv(*rule, helper("threaded_open"), "4", "50", "app.conf", "hello from my.conf",
                          env={"CHDIR": self.path("etc")}), code=1, stdout=None, stderr=None)
        self.assertRun(sv(*rule, helper("threaded_open"), "1", "50", "app.conf", "hello from my.conf",
                          env={"CHDIR": self.path("etc")}), stdout="1 threads x 50 opens: ok\n")

    def test_directory_prefix(self):
        legacy = self.path("legacy")
        os.makedirs(os.path.join(legacy, "sub"))
        self.write("legacy/a.txt", "A\n")
        self.write("legacy/sub/b.txt", "B\n")
        rule = ["-r", "/opt/sysvisor-legacy/=" + legacy + "/"]
        self.assertRun(sv(*rule, "cat", "/opt/sysvisor-legacy/a.txt", "/opt/sysvisor-legacy/sub/b.txt"),
                       stdout="A\nB\n")
        self.assertRun(sv(*rule, "ls", "/opt/sysvisor-legacy"), stdout="a.txt\nsub\n")
        self.assertRun(sv(*rule, "ls", "/opt/sysvisor-legacy/"), stdout="a.txt\nsub\n")
        self.assertRun(sv(*rule, TRY, "ls", "/opt/sysvisor-legacy/sub"), stdout="ls: b.txt\n")
        self.assertRun(sv(*rule, TRY_I386, "ls", "/opt/sysvisor-legacy"), stdout="ls: a.txt sub\n")
        # find descends with openat on directory descriptors: those name the real directory.
        found = sv(*rule, "find", "/opt/sysvisor-legacy/", "-type", "f")
        self.assertRun(found, stdout=None)
        self.assertEqual(sorted(found.stdout.split()), ["/opt/sysvisor-legacy/a.txt", "/opt/sysvisor-legacy/sub/b.txt"])
        self.assertRun(sv(*rule, "cat", "/opt/sysvisor-legacyx/a.txt"), code=1, stdout="", stderr=None)

    def test_open_flags_and_umask(self):
        target = self.path("created")
        rule = ["-r", f"/tmp/sysvisor-nonexistent/new={target}"]
        # TO does not exist yet: one warning, and the program runs (it may create it).
        self.assertRun(sv(*rule, TRY, "umask", "077", "open", "/tmp/sysvisor-nonexistent/new",
                          "wronly,creat,excl", "666"), stdout="open: fd 3 cloexec=0\n",
                       stderr=f"sysvisor: redirect rule '/tmp/sysvisor-nonexistent/new' -> '{target}': TO does not "
                              "exist (No such file or directory)\n")
        self.assertEqual(stat.S_IMODE(os.stat(target).st_mode), 0o600)
        self.assertRun(sv(*rule, TRY, "open", "/tmp/sysvisor-nonexistent/new", "wronly,creat,excl", "666"),
                       code=17, stdout="open: ERR EEXIST\n")
        os.unlink(target)
        self.assertRun(sv(*rule, TRY_I386, "umask", "027", "creat", "/tmp/sysvisor-nonexistent/new", "777"),
                       stdout="creat: fd 3 cloexec=0\n", stderr=None)
        self.assertEqual(stat.S_IMODE(os.stat(target).st_mode), 0o750)
        with open(target, "w") as f:
            f.write("old contents")
        self.assertRun(sv(*rule, TRY, "open", "/tmp/sysvisor-nonexistent/new", "wronly,trunc"),
                       stdout="open: fd 3 cloexec=0\n")
        self.assertEqual(os.path.getsize(target), 0)
        self.assertRun(sv(*rule, "sh", "-c", "echo one >> /tmp/sysvisor-nonexistent/new; "
                                              "echo two >> /tmp/sysvisor-nonexistent/new"))
        self.assertEqual(open(target).read(), "one\ntwo\n")
        self.assertRun(sv(*rule, TRY, "open", "/tmp/sysvisor-nonexistent/new", "rdonly,directory"), code=20,
                       stdout="open: ERR ENOTDIR\n")
        # An open of TO that fails gives the program that errno.
        missing = ["-r", f"{self.fake}={self.path('missing')}"]
        self.assertRun(sv(*missing, TRY, "open", self.fake), code=2, stdout="open: ERR ENOENT\n", stderr=None)
        os.chmod(self.conf, 0o200)
        if os.geteuid() != 0:
            self.assertRun(sv(*self.rule(), TRY, "open", self.fake), code=13, stdout="open: ERR EACCES\n")

    def test_stat_family_is_byte_exact(self):
        link = self.path("link")
        os.symlink(self.conf, link)
        rule_file = self.rule()
        rule_link = ["-r", f"{self.fake}={link}"]
        cases = [(TRY, ["stat"]), (TRY, ["lstat"]), (TRY, ["fstatat", "-"]), (TRY, ["fstatat", "-", "X", "symlink_nofollow"]),
                 (TRY, ["statx", "-"]), (TRY, ["statx", "-", "X", "symlink_nofollow"]),
                 (TRY_I386, ["stat"]), (TRY_I386, ["lstat"]), (TRY_I386, ["stat64"]), (TRY_I386, ["lstat64"]),
                 (TRY_I386, ["fstatat", "-"]), (TRY_I386, ["statx", "-"]), (TRY_STATIC, ["stat"])]
        for prog, op in cases:
            for rule, target in ((rule_file, self.conf), (rule_link, link)):
                with self.subTest(prog=prog, op=op, target=target):
                    def argv(path):
                        a = [prog] + op[:1] + op[1:2] + [path] + op[3:]
                        return [x for x in a if x != "X"] if "X" not in op else [prog, op[0], op[1], path, op[3]]
                    control = run(argv(target))
                    self.assertEqual(control.returncode, 0, control.stdout + control.stderr)
                    self.assertRun(sv(*rule, *argv(self.fake)), stdout=control.stdout.replace(target, self.fake))
        # Errors are the target's.
        self.assertRun(sv("-r", f"{self.fake}={self.path('nope')}", TRY, "stat", self.fake), code=2,
                       stdout="stat: ERR ENOENT\n", stderr=None)
        self.assertRun(sv(*rule_file, "stat", "-c", "%s %F", self.fake), stdout="19 regular file\n")
        # ls -l asks for the ACL (lgetxattr): answered for TO too, so no error line.
        listing = sv(*rule_file, "ls", "-l", self.fake)
        self.assertRun(listing, stdout=None, stderr="")
        self.assertRegex(listing.stdout, r"^-rw-r--r-- 1 \S+ \S+ 19 .* /etc/sysvisor-test-app.conf\n$")

    def test_access_and_readlink(self):
        link = self.path("link")
        os.symlink("/some/where/else", link)
        for prog in (TRY, TRY_I386):
            with self.subTest(prog=prog):
                self.assertRun(sv(*self.rule(), prog, "access", self.fake, "4"), stdout="access: ok\n")
                self.assertRun(sv(*self.rule(), prog, "faccessat", "-", self.fake, "4"), stdout="faccessat: ok\n")
                self.assertRun(sv(*self.rule(), prog, "faccessat2", "-", self.fake, "4", "eaccess"),
                               stdout="faccessat2: ok\n")
                self.assertRun(sv(*self.rule(), prog, "access", self.fake, "1"), code=13, stdout="access: ERR EACCES\n")
                self.assertRun(sv("-r", f"{self.fake}={link}", prog, "readlink", self.fake),
                               stdout="readlink: 16 /some/where/else\n")
                self.assertRun(sv("-r", f"{self.fake}={link}", prog, "readlinkat", "-", self.fake, "5"),
                               stdout="readlinkat: 5 /some\n")
                self.assertRun(sv("-r", f"{self.fake}={link}", prog, "readlink", self.fake, "0"), code=22,
                               stdout="readlink: ERR EINVAL\n")
                self.assertRun(sv(*self.rule(), prog, "readlink", self.fake), code=22, stdout="readlink: ERR EINVAL\n")

    def test_xattrs(self):
        os.setxattr(self.conf, "user.sysvisor", b"value")
        code = ("import os\n"
                f"print(os.getxattr('{self.fake}', 'user.sysvisor'), os.listxattr('{self.fake}'))\n"
                f"print(os.getxattr('{self.fake}', 'user.sysvisor', follow_symlinks=False))\n"
                f"try: os.getxattr('{self.fake}', 'user.none')\nexcept OSError as e: print(e.strerror)\n")
        self.assertRun(sv(*self.rule(), "python3", "-c", code),
                       stdout="b'value' ['user.sysvisor']\nb'value'\nNo data available\n")

    def test_bad_pointers_behave_as_natively(self):
        for prog in (TRY, TRY_I386):
            for op in (["open"], ["stat"], ["access", "X", "4"], ["readlink"]):
                with self.subTest(prog=prog, op=op):
                    argv = [prog, "badptr", op[0], self.fake] + [a for a in op[2:]]
                    control = run(argv)
                    self.assertEqual(control.stdout, f"{op[0]}: ERR EFAULT\n")
                    self.assertRun(sv(*self.rule(), *argv), code=control.returncode, stdout=control.stdout)
        # A stat buffer that is not writable gives EFAULT, as the kernel would.
        code = "import ctypes,os; libc=ctypes.CDLL(None,use_errno=True); " \
               f"r=libc.syscall(4, b'{self.fake}', ctypes.c_void_p(16)); print(r, os.strerror(ctypes.get_errno()))"
        self.assertRun(sv(*self.rule(), "python3", "-c", code), stdout="-1 Bad address\n")

    def test_answers_into_read_only_memory_stop_where_the_kernel_stops(self):
        # The buffer runs into a read-only page N bytes after its start: the kernel writes the N
        # bytes and fails with EFAULT; so must the supervisor, which writes through /proc/TID/mem.
        link = self.path("link")
        os.symlink(self.conf, link)
        for prog in (TRY, TRY_I386):
            for what, target in (("stat", self.conf), ("readlink", link)):
                for writable in ("0", "3", "16"):
                    with self.subTest(prog=prog, what=what, writable=writable):
                        control = run([prog, "robuf", what, writable, target])
                        self.assertIn("Bad address", control.stdout)
                        self.assertRun(sv(*self.rule(to=target), prog, "robuf", what, writable, self.fake),
                                       code=control.returncode, stdout=control.stdout)

    def test_unmatched_calls_and_io_uring(self):
        self.assertRun(sv(*self.rule(), "cat", "/etc/hostname"), stdout=open("/etc/hostname").read())
        code = "import ctypes,os; libc=ctypes.CDLL(None,use_errno=True); " \
               "p=ctypes.create_string_buffer(120); r=libc.syscall(425, 4, p); print(r, ctypes.get_errno())"
        self.assertRun(sv(*self.rule(), "python3", "-c", code), stdout="-1 38\n")
        allowed = sv(*self.rule(), "--allow-io-uring", "python3", "-c", code)
        self.assertNotEqual(allowed.stdout, "-1 38\n")

    def test_x32_calls_fail_with_enosys(self):
        # x32 open (2) and openat (257) with the x32 bit: never let through unchecked.
        for nr in ("2", "257", "39"):
            with self.subTest(nr=nr):
                self.assertRun(sv(*self.rule(), TRY, "x32", nr), code=38, stdout="x32: ERR ENOSYS\n")
                self.assertRun(sv(TRY, "x32", nr), code=38, stdout="x32: ERR ENOSYS\n")  # no rules: same filter shape

    def test_emfile_when_descriptors_are_exhausted(self):
        self.assertRun(sv(*self.rule(), "sh", "-c", f"ulimit -n 3; exec {TRY_STATIC} open {self.fake}"), code=24,
                       stdout="open: ERR EMFILE\n")

    def test_fifo_open_does_not_stall_other_calls(self):
        fifo = self.path("fifo")
        os.mkfifo(fifo)
        script = (f"cat /opt/sysvisor-fifo > {self.path('out')} & "
                  f"sleep 0.3; cat {self.fake}; echo data > {fifo}; wait")
        self.assertRun(sv(*self.rule(), "-r", f"/opt/sysvisor-fifo={fifo}", "sh", "-c", script, timeout=20),
                       stdout="hello from my.conf\n")
        self.assertEqual(open(self.path("out")).read(), "data\n")

    def test_as_nobody(self):
        if not can_run_as_nobody():
            self.skipTest("needs root to switch to uid 65534")
        for prog in ALL_TRY:
            with self.subTest(prog=prog):
                self.assertRun(sv(*self.rule(), prog, "open", self.fake, user="nobody"),
                               stdout="open: fd 3 cloexec=0\nhello from my.conf\n")
        self.assertRun(sv(*self.rule(), "cat", self.fake, user="nobody"), stdout="hello from my.conf\n")
        self.assertRun(sv(*self.rule(), "python3", "-c", f"print(open('{self.fake}').read(), end='')", user="nobody"),
                       stdout="hello from my.conf\n")
        os.chmod(self.conf, 0o600)  # root's file: nobody may not read it, through the rule either
        self.assertRun(sv(*self.rule(), TRY, "open", self.fake, user="nobody"), code=13, stdout="open: ERR EACCES\n")


if __name__ == "__main__":
    main()
