"""Shared helpers for the end-to-end tests: run real programs under the built sysvisor.

Paths come from the environment ctest sets: SYSVISOR, COPYCAT_BIN, HELPERS, SOURCE_DIR.
"""
import os
import shutil
import stat
import subprocess
import tempfile
import unittest

SYSVISOR = os.environ.get("SYSVISOR", "")
COPYCAT = os.environ.get("COPYCAT_BIN", "")
HELPERS = os.environ.get("HELPERS", "")
NOBODY_UID = 65534


def helper(name):
    return os.path.join(HELPERS, name)


def run(argv, env=None, cwd=None, user=None, timeout=60, input=None):
    """Runs argv; returns CompletedProcess with text stdout/stderr. user='nobody' drops to uid/gid 65534."""
    if user == "nobody":
        argv = ["setpriv", f"--reuid={NOBODY_UID}", f"--regid={NOBODY_UID}", "--clear-groups", "--"] + list(argv)
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    return subprocess.run(argv, env=full_env, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          input=input)


def sv(*args, **kw):
    """sysvisor ARGS..."""
    return run([SYSVISOR, *args], **kw)


def can_run_as_nobody():
    return os.geteuid() == 0 and shutil.which("setpriv") is not None


def tree(root):
    """What a case left under `root`: relative path -> (type, uid, gid, mode, link count, contents or
    link text); directories have no link count (it depends on what they hold)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            what = None
            if stat.S_ISLNK(st.st_mode):
                what = os.readlink(p)
            elif stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    what = f.read()
            out[os.path.relpath(p, root)] = (stat.S_IFMT(st.st_mode), st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode),
                                             0 if stat.S_ISDIR(st.st_mode) else st.st_nlink, what)
    return out


class TempDirTest(unittest.TestCase):
    """Gives each test a world-accessible temporary directory (so that uid 65534 can use it)."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sysvisor-e2e-")
        os.chmod(self.dir, 0o777)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write(self, name, text, mode=0o644):
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        return p

    def assertRun(self, proc, code=0, stdout=None, stderr=""):
        msg = f"\nexit {proc.returncode}\nstdout: {proc.stdout!r}\nstderr: {proc.stderr!r}"
        self.assertEqual(proc.returncode, code, msg)
        if stdout is not None:
            self.assertEqual(proc.stdout, stdout, msg)
        if stderr is not None:
            self.assertEqual(proc.stderr, stderr, msg)


def main():
    unittest.main(verbosity=2)
