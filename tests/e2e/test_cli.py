"""Command line and exit status: bad input is one line + exit 125 and the program never starts;
126/127; the program's own status; death by the program's signal."""
import json
import os
import signal

from common import SYSVISOR, COPYCAT, TempDirTest, helper, main, run, sv


class Cli(TempDirTest):
    def marker_cmd(self):
        """A program that leaves a marker file when it starts."""
        return ["sh", "-c", f"touch {self.path('started')}"]

    def assertNotStarted(self):
        self.assertFalse(os.path.exists(self.path("started")), "the program was started")

    def test_bad_rules_never_start_the_program(self):
        cases = [
            (["-r", "/etc/a"], "sysvisor: -r '/etc/a': expected FROM=TO\n"),
            (["-r", "=/x"], "sysvisor: -r '=/x': empty FROM path\n"),
            (["-r", "etc/a=/x"], "sysvisor: -r 'etc/a=/x': FROM 'etc/a' is not an absolute path\n"),
            (["-r", "/etc/a="], "sysvisor: -r '/etc/a=': empty TO path for '/etc/a'\n"),
            (["--bogus"], "sysvisor: unknown option '--bogus' (see --help)\n"),
            (["-x"], "sysvisor: unknown option '-x' (see --help)\n"),
        ]
        for args, err in cases:
            with self.subTest(args=args):
                self.assertRun(sv(*args, *self.marker_cmd()), code=125, stdout="", stderr=err)
                self.assertNotStarted()
        self.assertRun(sv(*self.marker_cmd(), env={"SYSVISOR_REDIRECT": "/a /b /c"}), code=125, stdout="",
                       stderr="sysvisor: SYSVISOR_REDIRECT: odd number of words (3): expected FROM TO pairs\n")
        self.assertRun(sv(*self.marker_cmd(), env={"SYSVISOR_REDIRECT": "rel /b"}), code=125, stdout="",
                       stderr="sysvisor: SYSVISOR_REDIRECT: FROM 'rel' is not an absolute path\n")
        self.assertRun(run([COPYCAT, *self.marker_cmd()], env={"COPYCAT": "/a"}), code=125, stdout="",
                       stderr="copycat: COPYCAT: odd number of words (1): expected FROM TO pairs\n")
        self.assertRun(run([COPYCAT, "-r", "/a=/b", *self.marker_cmd()]), code=125, stdout="",
                       stderr="copycat: unknown option '-r' (see --help)\n")
        self.assertRun(sv(), code=125, stdout="", stderr="sysvisor: no program given (see --help)\n")
        self.assertNotStarted()
        self.assertRun(sv(*self.marker_cmd()))  # control: the same command does start
        self.assertTrue(os.path.exists(self.path("started")))

    def test_syntax_slips_get_a_hint(self):
        """COPYCAT/SYSVISOR_REDIRECT written as FROM=TO and -r FROM TO: one line with the fix, exit 125,
        the program not started; the fixed forms run it (control)."""
        conf = self.write("my.conf", "mine\n")
        target = "/etc/sysvisor-hint-test.conf"
        self.assertRun(run([COPYCAT, *self.marker_cmd()], env={"COPYCAT": f"{target}={conf}"}), code=125, stdout="",
                       stderr=f"copycat: COPYCAT: odd number of words (1): expected FROM TO pairs; separate FROM and "
                              f"TO with a space, not '=': COPYCAT=\"{target} {conf}\"\n")
        self.assertNotStarted()
        self.assertRun(run([COPYCAT, *self.marker_cmd()], env={"COPYCAT": f"{target}={conf} /etc/b=/tmp/b"}),
                       code=125, stdout="",
                       stderr=f"copycat: COPYCAT: '{target}={conf}' '/etc/b=/tmp/b' is two FROM=TO words, not a "
                              f"FROM TO pair; separate FROM and TO with a space, not '=': "
                              f"COPYCAT=\"{target} {conf} /etc/b /tmp/b\"\n")
        self.assertNotStarted()
        self.assertRun(sv(*self.marker_cmd(), env={"SYSVISOR_REDIRECT": f"{target}={conf}"}), code=125, stdout="",
                       stderr=f"sysvisor: SYSVISOR_REDIRECT: odd number of words (1): expected FROM TO pairs; "
                              f"separate FROM and TO with a space, not '=': SYSVISOR_REDIRECT=\"{target} {conf}\"\n")
        self.assertNotStarted()
        self.assertRun(sv("-r", target, conf, *self.marker_cmd()), code=125, stdout="",
                       stderr=f"sysvisor: -r '{target}': expected FROM=TO; write -r {target}={conf} (one word), "
                              f"not -r {target} {conf}\n")
        self.assertNotStarted()
        # The forms the hints name work.
        self.assertRun(run([COPYCAT, "cat", target], env={"COPYCAT": f"{target} {conf}"}), stdout="mine\n")
        self.assertRun(sv("-r", f"{target}={conf}", "cat", target), stdout="mine\n")

    def test_exit_status(self):
        self.assertRun(sv("true"))
        self.assertRun(sv("false"), code=1)
        self.assertRun(sv("sh", "-c", "exit 42"), code=42)
        self.assertRun(sv("sysvisor-no-such-program"), code=127, stdout="",
                       stderr="sysvisor: cannot run 'sysvisor-no-such-program': No such file or directory\n")
        self.assertRun(sv("/nonexistent/prog"), code=127, stdout="",
                       stderr="sysvisor: cannot run '/nonexistent/prog': No such file or directory\n")
        script = self.write("noexec.sh", "#!/bin/sh\necho hi\n", mode=0o644)
        self.assertRun(sv(script), code=126, stdout="", stderr=f"sysvisor: cannot run '{script}': Permission denied\n")
        # An executable without #! runs under /bin/sh, as execvp and env(1) run it.
        script = self.write("nohashbang", "echo from sh $1\n", mode=0o755)
        self.assertRun(sv(script, "arg"), stdout="from sh arg\n")
        binary = self.write("garbage", "\x7fELF-but-not-really", mode=0o755)
        control = run(["env", binary])
        self.assertRun(sv(binary), code=control.returncode, stdout=control.stdout, stderr=None)
        self.assertRun(sv(self.dir), code=126, stdout="", stderr=f"sysvisor: cannot run '{self.dir}': Permission denied\n")
        # The program's own arguments are its own, options included.
        self.assertRun(sv("--", "echo", "-r", "--bogus"), stdout="-r --bogus\n")
        self.assertRun(sv("echo", "-r", "x"), stdout="-r x\n")

    def test_death_by_signal_is_passed_on(self):
        for sig in (signal.SIGTERM, signal.SIGKILL, signal.SIGSEGV, signal.SIGABRT, signal.SIGINT):
            with self.subTest(sig=sig):
                proc = sv("sh", "-c", f"kill -{sig.name[3:]} $$")
                self.assertEqual(proc.returncode, -sig, proc.stderr)
        # A shell sees 128+N.
        proc = run(["sh", "-c", f"{SYSVISOR} sh -c 'kill -TERM $$'; echo status=$?"])
        self.assertEqual(proc.stdout, "status=143\n")
        self.assertFalse(os.path.exists("core"))

    def test_message_prefix_follows_the_base_name(self):
        odd = self.path("copycat-dir")
        os.makedirs(odd)
        link = os.path.join(odd, "sysvisor")
        os.symlink(SYSVISOR, link)
        self.assertRun(run([link, "--bogus"]), code=125, stderr="sysvisor: unknown option '--bogus' (see --help)\n")
        link = os.path.join(odd, "copycat")
        os.symlink(SYSVISOR, link)
        self.assertRun(run([link, "--bogus"]), code=125, stderr="copycat: unknown option '--bogus' (see --help)\n")

    def test_setuid_program_is_announced(self):
        prog = self.path("suid-true")
        with open("/bin/true", "rb") as src, open(prog, "wb") as dst:
            dst.write(src.read())
        os.chmod(prog, 0o4755)
        self.assertRun(sv(prog), stderr=f"sysvisor: '{prog}' is setuid: under sysvisor it runs without that "
                                        "privilege (PR_SET_NO_NEW_PRIVS)\n")
        os.chmod(prog, 0o755)
        self.assertRun(sv(prog), stderr="")

    def test_log_text_and_json(self):
        import json
        conf = self.write("my.conf", "x\n")
        log = self.path("log.txt")
        self.assertRun(sv("-o", log, "-r", f"/etc/sysvisor-log-test={conf}", "cat", "/etc/sysvisor-log-test"),
                       stdout="x\n")
        lines = open(log).read().splitlines()
        redirected = [l for l in lines if " redirect " in l]
        self.assertEqual(len(redirected), 1, lines)
        self.assertRegex(redirected[0], r'^\d\d:\d\d:\d\d\.\d{6} (\d+)/\1 openat\(AT_FDCWD, "/etc/sysvisor-log-test", '
                                        rf'0x0, .*\) redirect {conf} = 3$')
        log = self.path("log.json")
        self.assertRun(sv("-o", log, "--log-format", "json", "-r", f"/etc/sysvisor-log-test={conf}",
                          "cat", "/etc/sysvisor-log-test"), stdout="x\n")
        entries = [json.loads(l) for l in open(log)]
        hit = [e for e in entries if e["action"] == "redirect"]
        self.assertEqual(len(hit), 1)
        self.assertEqual((hit[0]["syscall"], hit[0]["args"][1], hit[0]["detail"], hit[0]["result"], hit[0]["arch"]),
                         ("openat", '"/etc/sysvisor-log-test"', conf, 3, "x86_64"))
        self.assertEqual(hit[0]["pid"], hit[0]["tid"])
        self.assertTrue(all(e["action"] == "continue" and e["result"] is None for e in entries if e is not hit[0]))
        # A bad format is refused before anything is written or started.
        with open(log, "w") as f:
            f.write("keep me")
        self.assertRun(sv("-o", log, "--log-format", "xml", "true"), code=125,
                       stderr="sysvisor: --log-format 'xml': expected text or json\n")
        self.assertRun(sv("-o", log, "-r", "rel=x", "true"), code=125, stderr=None)
        self.assertEqual(open(log).read(), "keep me")
        # A log that cannot be written: one warning, the program runs on.
        self.assertRun(sv("-o", "/dev/full", "-r", f"/etc/sysvisor-log-test={conf}", "cat", "/etc/sysvisor-log-test"),
                       stdout="x\n", stderr="sysvisor: writing the log '/dev/full' failed (No space left on device): "
                                           "later lines are lost\n")

    def test_log_inject_lines_show_paths(self):
        # An inject line shows the paths the call names, as strace does, not their pointers: on
        # both architectures (a 32-bit caller's pointer) and both paths of a two-path call.
        import re
        target = self.path("no-such-file")
        for prog, arch in ((helper("try_syscall_static"), ""), (helper("try_syscall_i386"), r" \[i386\]")):
            with self.subTest(prog=prog):
                log = self.path("log.txt")
                self.assertRun(sv("-o", log, "-e", "inject=openat:error=EACCES:when=1..65534", prog, "openat", "-",
                                  target), code=13, stdout="openat: ERR EACCES\n")
                lines = open(log).read().splitlines()
                injected = [l for l in lines if " inject " in l]
                self.assertEqual(len(injected), 1, lines)
                self.assertRegex(injected[0], rf'^\d\d:\d\d:\d\d\.\d{{6}} (\d+)/\1 openat\(AT_FDCWD, '
                                              rf'"{re.escape(target)}", 0x0, 0x0, 0x[0-9a-f]+, 0x[0-9a-f]+\) '
                                              rf'inject error=EACCES = -13{arch}$')
        src, dst = self.write("src", ""), self.path("dst")
        log = self.path("log.json")
        script = f"import os\ntry: os.rename({src!r}, {dst!r})\nexcept OSError as e: print(e.errno)"
        self.assertRun(sv("-o", log, "--log-format", "json", "-e", "inject=%file:signal=SIGCHLD:when=1..65534",
                          "-e", "inject=rename,renameat,renameat2:error=EXDEV:when=1..65534", "python3", "-c", script),
                       stdout="18\n")
        entries = [json.loads(l) for l in open(log)]
        renames = [e for e in entries if e["action"] == "inject" and e["syscall"].startswith("rename")]
        self.assertEqual(len(renames), 1, entries)
        self.assertIn(renames[0]["args"][:2] if renames[0]["syscall"] == "rename" else renames[0]["args"][:4],
                      ([f'"{src}"', f'"{dst}"'], ["AT_FDCWD", f'"{src}"', "AT_FDCWD", f'"{dst}"']))
        # A rule that lets the call go on (signal only) logs the paths too.
        opened = [e for e in entries if e["action"] == "inject" and e["syscall"] == "openat"]
        self.assertTrue(opened, entries)
        self.assertTrue(all(e["args"][1].startswith('"') for e in opened), opened)

    def test_log_lines_cannot_be_forged_by_a_file_name(self):
        # Unescaped, TO's newline would end the redirect line early and start a line of its own:
        # "rest = 3" (no timestamp), and in the second rule a whole forged call, timestamp and all,
        # that only the line count against the JSON log (one object per line) gives away.
        import json
        os.makedirs(self.path("a\nb"))
        plain = self.write("a\nb/to", "one\n")
        os.makedirs(self.path("x\n12:00:00.000000 1"))
        forged = self.write('x\n12:00:00.000000 1/1 unlink("etc") continue = 0', "two\n")
        odd = self.write("from\nwith\ttab\\and\x01", "three\n")  # a path argument with the same bytes
        rules = ["-r", f"/etc/sysvisor-nl-1={plain}", "-r", f"/etc/sysvisor-nl-2={forged}", "-r", f"{odd}={plain}"]
        command = ["cat", "/etc/sysvisor-nl-1", "/etc/sysvisor-nl-2", odd]
        text, js = self.path("log.txt"), self.path("log.json")
        self.assertRun(sv("-o", text, *rules, *command), stdout="one\ntwo\none\n")
        self.assertRun(sv("-o", js, "--log-format", "json", *rules, *command), stdout="one\ntwo\none\n")
        with open(js) as f:
            entries = [json.loads(l) for l in f.read().split("\n") if l]
        with open(text, newline="") as f:
            lines = f.read().split("\n")
        self.assertEqual(lines.pop(), "")  # the file ends with a newline, no partial line
        self.assertEqual(len(lines), len(entries), "\n".join(lines))
        for line in lines:
            self.assertRegex(line, r"^\d\d:\d\d:\d\d\.\d{6} (\d+)/\d+ [a-z_0-9]+\(.*\) [a-z]+")
            self.assertNotRegex(line, r"[\x00-\x1f\x7f]")
        # TO as strace quotes a string (\n, \\), derived here, not by the code under test.
        quoted = lambda p: p.replace("\\", "\\\\").replace("\n", "\\n")
        redirects = [l for l in lines if " redirect " in l]
        self.assertEqual([l.split(" redirect ", 1)[1] for l in redirects],
                         [f"{quoted(plain)} = 3", f"{quoted(forged)} = 3", f"{quoted(plain)} = 3"], lines)
        self.assertEqual([e["detail"] for e in entries if e["action"] == "redirect"], [plain, forged, plain])
        self.assertEqual(sum("unlink" in l for l in lines), 1, lines)  # only inside the escaped target

    def test_help_and_version(self):
        proc = sv("--help")
        self.assertRun(proc, stdout=None)
        self.assertIn("sysvisor [OPTIONS] [--] PROGRAM [ARG...]", proc.stdout)
        self.assertIn("--redirect", proc.stdout)
        proc = run([COPYCAT, "--help"])
        self.assertRun(proc, stdout=None)
        self.assertIn("COPYCAT=", proc.stdout)
        self.assertRun(sv("--version"), stdout=None)


if __name__ == "__main__":
    main()
