"""A root supervisor never lends its rights (issue 13): a program that dropped to nobody gets, through
a rule, exactly what nobody gets through a real bind mount of TO at FROM in a private mount
namespace (unshare -m) — the ground truth. Same script, same fixture, compared: exit status,
output, and the resulting tree (contents, owners, modes)."""
import os
import shutil
import subprocess
import unittest

from common import tree, NOBODY_UID, SYSVISOR, TempDirTest, can_run_as_nobody, main

# Everything nobody tries through FROM: reads, a planted symlink to a root-only file, a file in a
# 0700 root directory, appends, creates (whose owner shows), access checks, stat, readlink. No
# single quote: the bind-mount run quotes the script in single quotes.
SCRIPT = r"""
for f in pub secret sub/inner shadowlink; do
  if cat "$D/$f" >/dev/null 2>&1; then echo "read $f: ok"; else echo "read $f: denied"; fi
done
echo "file rule: $(cat "$F" 2>&1 | sed "s/.*: //")"
echo x >> "$F" 2>/dev/null && echo "append file rule: ok" || echo "append file rule: denied"
echo x >> "$D/secret" 2>/dev/null && echo "append secret: ok" || echo "append secret: denied"
echo new > "$D/created" && stat -c "created: %u %g %a" "$D/created"
echo new > "$D/sub/created" 2>/dev/null && echo "create in 0700: ok" || echo "create in 0700: denied"
for f in pub secret sub/inner; do
  [ -r "$D/$f" ] && r=r || r=-; [ -w "$D/$f" ] && w=w || w=-; echo "access $f: $r$w"
done
stat -c "stat sub/inner: %s" "$D/sub/inner" 2>&1 | sed "s/.*: cannot statx.*: /stat sub\/inner: /"
readlink "$D/shadowlink"
/usr/bin/python3 -c "import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); print(os.read(fd, 9))" "$D/secret" 2>&1 | tail -1
"""


@unittest.skipUnless(can_run_as_nobody(), "needs root and setpriv")
class Rights(TempDirTest):
    def fixture(self):
        shutil.rmtree(self.path("to"), ignore_errors=True)
        to = self.path("to")
        os.makedirs(os.path.join(to, "sub"))
        os.chmod(to, 0o777)
        os.chmod(os.path.join(to, "sub"), 0o700)
        for name, mode in (("pub", 0o644), ("secret", 0o600), ("sub/inner", 0o600)):
            self.write(f"to/{name}", f"{name}\n", mode)
        os.symlink("/etc/shadow", os.path.join(to, "shadowlink"))
        self.write("rootfile", "root only\n", 0o600)
        for mount_point in ("from", "fromfile"):  # a bind mount needs them; sysvisor ignores them
            p = self.path(mount_point)
            if not os.path.exists(p):
                os.mkdir(p) if mount_point == "from" else self.write(mount_point, "")
        return to

    def nobody(self, argv):
        return ["setpriv", f"--reuid={NOBODY_UID}", f"--regid={NOBODY_UID}", "--clear-groups", "--"] + argv

    def run_case(self, supervised):
        to = self.fixture()
        env = dict(os.environ, D=self.path("from"), F=self.path("fromfile"))
        argv = self.nobody(["sh", "-c", SCRIPT])
        if supervised:
            argv = [SYSVISOR, "-r", f"{self.path('from')}/={to}/", "-r", f"{self.path('fromfile')}={self.path('rootfile')}",
                    "--"] + argv
        else:
            inner = " ".join(f"'{a}'" for a in argv)
            argv = ["unshare", "-m", "sh", "-c", f"mount --bind '{to}' \"$D\" && mount --bind '{self.path('rootfile')}' "
                                                 f"\"$F\" && exec {inner}"]
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
        with open(self.path("rootfile")) as f:
            return proc.returncode, proc.stdout, tree(to), f.read()

    def test_nobody_gets_through_a_rule_what_it_gets_through_a_bind_mount(self):
        native = self.run_case(supervised=False)
        supervised = self.run_case(supervised=True)
        self.assertIn("read secret: denied", native[1])  # the ground truth is what we think it is
        self.assertIn(f"created: {NOBODY_UID} {NOBODY_UID} 644", native[1])
        self.assertEqual(supervised[1], native[1])
        self.assertEqual(supervised[0], native[0])
        self.assertEqual(supervised[2], native[2])
        self.assertEqual(supervised[3], native[3])


@unittest.skipUnless(can_run_as_nobody(), "needs root and setpriv")
class AccessChecksRealIds(TempDirTest):
    def test_access_without_at_eaccess_checks_the_real_ids(self):
        # Real uid nobody, effective root: access(2) asks as nobody, faccessat2(AT_EACCESS) as root.
        to = self.path("to")
        os.mkdir(to)
        self.write("to/secret", "s\n", 0o600)
        frm = self.path("from")
        os.mkdir(frm)
        code = ("import os, sys; p = sys.argv[1] + '/secret'; "
                "print(os.access(p, os.R_OK), os.access(p, os.R_OK, effective_ids=True))")
        argv = ["setpriv", f"--ruid={NOBODY_UID}", f"--rgid={NOBODY_UID}", "--keep-groups", "--", "/usr/bin/python3", "-c", code, frm]
        native = subprocess.run(["unshare", "-m", "sh", "-c", f'mount --bind "{to}" "{frm}" && exec "$@"', "sh"] + argv,
                                capture_output=True, text=True, timeout=30)
        supervised = subprocess.run([SYSVISOR, "-r", f"{frm}={to}", "--"] + argv, capture_output=True, text=True,
                                    timeout=30)
        self.assertEqual(native.stdout, "False True\n", native.stderr)
        self.assertEqual((supervised.returncode, supervised.stdout, supervised.stderr), (0, native.stdout, ""))


if __name__ == "__main__":
    main()
