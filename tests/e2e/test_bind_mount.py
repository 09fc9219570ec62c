"""Redirection behaves as a bind mount of TO at FROM (issue 13): each case runs a real program once
with TO bind-mounted at FROM in a private mount namespace (unshare -m) and once under
sysvisor -r FROM/=TO/, from the same fixture, as root and as uid 65534, and compares the exit
status, the output and the resulting TO tree; under sysvisor FROM itself must stay untouched."""
import os
import shutil
import subprocess
import tempfile
import unittest

from common import tree, HELPERS, NOBODY_UID, SYSVISOR, TempDirTest, can_run_as_nobody, main

# name -> shell script; $D is FROM, $O a directory outside it, $HELPERS the C helpers (raw calls of
# both architectures: tests/helpers/path_calls.c).
CASES = {
    "mv": "mv $D/a $D/b && ls $D",
    "mv_out_and_back": "mv $D/a $O/a && mv $O/a $D/c && ls $D $O",
    "rm": "rm $D/a && rm -f $D/missing; echo $?; rm $D/missing; echo $?; ls $D",
    "rm_r": "rm -r $D/dir && ls $D",
    "rm_rf_from": "rm -rf $D; echo $?; ls -A $D",
    "rmdir": "mkdir $D/e && rmdir $D/e && rmdir $D/dir; echo $?; rmdir $D; echo $?",
    "mkdir_p": "mkdir -p $D/x/y/z && touch $D/x/y/z/f && find $D | sort",
    "ln_s": "ln -s ../elsewhere $D/l && readlink $D/l && ln -s a $D/la && cat $D/la",
    "ln": "ln $D/a $D/hard && stat -c %h $D/a && ln $D/a $O/hard; echo $?",
    "sed_i": "sed -i s/hello/bye/ $D/a && cat $D/a",
    "chmod": "chmod 600 $D/a && stat -c %a $D/a && chmod 755 $D/dir && stat -c %a $D/dir",
    "touch": "touch -d @100000 $D/a && stat -c %Y $D/a && touch -c -d @5 $D/nothere; ls $D",
    "truncate": "python3 -c \"import os,sys; os.truncate(sys.argv[1], 2)\" $D/a && cat $D/a; echo",
    "python_replace": "python3 -c \"import os,sys; d=sys.argv[1]; os.makedirs(d+'/p/q', exist_ok=True); "
                      "open(d+'/p/q/t.tmp','w').write('new'); os.replace(d+'/p/q/t.tmp', d+'/p/q/t'); "
                      "print(sorted(os.listdir(d+'/p/q')))\" $D",
    "mkfifo": "mkfifo $D/fifo && stat -c %F $D/fifo",
    "sqlite3": "sqlite3 $D/db \"create table t(x); insert into t values(1); insert into t values(2);\" && "
               "sqlite3 $D/db \"select sum(x) from t;\" && ls $D",
    "sqlite3_wal": "sqlite3 $D/w \"pragma journal_mode=wal; create table t(x); insert into t values(7);\" && "
                   "sqlite3 $D/w \"select x from t;\"",
    "tar_x": "tar cf $O/t.tar -C $O/.. out/src && tar xf $O/t.tar -C $D && find $D/out | sort",
    "cp_a": "cp -a $D/dir $D/dir2 && find $D/dir2 | sort && stat -c %a $D/dir2/f",
    "cp_into_dir": "cp $O/src/s $D/ && cp $O/src/s $D/dir && ls $D $D/dir",
    "install": "install -m 640 $O/src/s $D/inst && stat -c %a $D/inst && install -d $D/i/j && ls $D/i",
    "o_path": "python3 -c \"import os,sys; fd=os.open(sys.argv[1], os.O_PATH|os.O_DIRECTORY); "
              "print(os.stat('a', dir_fd=fd).st_size)\" $D",
    "raw_x86_64": "$HELPERS/path_calls $D",
    "raw_i386": "$HELPERS/path_calls_i386 $D",
    "rename_exdev": "python3 -c \"import os,sys; os.rename(sys.argv[1]+'/a', sys.argv[2]+'/a')\" $D $O 2>&1 | tail -1",
}


class BindMount(TempDirTest):
    def fixture(self, user):
        for d in ("to", "from", "out"):
            shutil.rmtree(self.path(d), ignore_errors=True)
        self.write("to/a", "hello\n")
        self.write("to/dir/f", "f\n")
        self.write("out/src/s", "s\n")
        os.mkdir(self.path("from"))
        for d in ("to", "out"):
            for dirpath, dirnames, filenames in os.walk(self.path(d)):
                for n in [dirpath] + [os.path.join(dirpath, x) for x in filenames]:
                    if user == "nobody":
                        os.chown(n, NOBODY_UID, NOBODY_UID)
                    # The same times in both runs: an archive made of them (tar_x) is then the same.
                    os.utime(n, (1000000000, 1000000000))
        return self.path("to"), self.path("from")

    def run_case(self, script, user, supervised):
        to, frm = self.fixture(user)
        env = dict(os.environ, D=frm, O=self.path("out"), LC_ALL="C", SCRIPT=script, HELPERS=HELPERS)
        drop = f"setpriv --reuid={NOBODY_UID} --regid={NOBODY_UID} --clear-groups --" if user == "nobody" else ""
        if supervised:
            argv = [SYSVISOR, "-r", f"{frm}/={to}/", "--", "sh", "-c", f'exec {drop} sh -c "$SCRIPT"']
        else:
            argv = ["unshare", "-m", "sh", "-c", f'mount --bind "{to}" "{frm}" && exec {drop} sh -c "$SCRIPT"']
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, cwd=self.dir)
        return (proc.returncode, proc.stdout, proc.stderr), tree(to), tree(self.path("out")), os.listdir(frm)

    def check(self, name, user):
        native = self.run_case(CASES[name], user, supervised=False)
        supervised = self.run_case(CASES[name], user, supervised=True)
        self.assertEqual(supervised[0], native[0], "exit status, stdout, stderr")
        self.assertEqual(supervised[1], native[1], "the TO tree")
        self.assertEqual(supervised[2], native[2], "the tree outside")
        self.assertEqual(supervised[3], [], "nothing may appear at FROM")

    def test_a_directory_to_maps_the_tree_with_or_without_a_trailing_slash(self):
        to, frm = self.fixture("root")
        for rule in (f"{frm}={to}", f"{frm}/={to}", f"{frm}={to}/"):
            with self.subTest(rule=rule):
                proc = subprocess.run([SYSVISOR, "-r", rule, "cat", f"{frm}/dir/f"], capture_output=True, text=True)
                self.assertEqual((proc.returncode, proc.stdout, proc.stderr), (0, "f\n", ""))

    def test_statfs_and_inotify_see_to(self):
        # TO on tmpfs (/dev/shm), FROM on the test directory's file system: df, python's statvfs and
        # an inotify watch (a file created in TO is reported) all see TO, as on a bind mount.
        to = tempfile.mkdtemp(dir="/dev/shm")
        self.addCleanup(shutil.rmtree, to, True)
        frm = self.path("from")
        os.mkdir(frm)
        script = ("stat -f -c %T $D; python3 -c \"import os,sys; print(os.statvfs(sys.argv[1]).f_namemax)\" $D; "
                  "python3 -c \"import ctypes,os,sys,select; l=ctypes.CDLL(None,use_errno=True); i=l.inotify_init(); "
                  "w=l.inotify_add_watch(i, sys.argv[1].encode(), 0x100); open(sys.argv[1]+'/new','w').close(); "
                  "print(w > 0, bool(select.select([i],[],[],2)[0]))\" $D")
        runs = []
        for supervised in (False, True):
            env = dict(os.environ, D=frm, SCRIPT=script)
            argv = ([SYSVISOR, "-r", f"{frm}={to}", "--", "sh", "-c", 'exec sh -c "$SCRIPT"'] if supervised else
                    ["unshare", "-m", "sh", "-c", f'mount --bind "{to}" "{frm}" && exec sh -c "$SCRIPT"'])
            proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)
            runs.append((proc.returncode, proc.stdout, proc.stderr))
            os.unlink(os.path.join(to, "new"))
        self.assertTrue(runs[0][1].startswith("tmpfs\n"), runs[0])
        self.assertEqual(runs[1], runs[0])

    def run_unix_socket_case(self, user, supervised):
        """A server bound in TO (outside sysvisor); a client connects to FROM/srv and sends its
        name; the server answers with the client's SO_PEERCRED uid and gid. Then the client binds
        FROM/own: the socket file's owner and mode."""
        to, frm = self.fixture(user)
        server_code = ("import os, socket, struct, sys\n"
                       "s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777); s.listen(1)\n"
                       "s.settimeout(20)\n"
                       "print('ready', flush=True); c, _ = s.accept()\n"
                       "pid, uid, gid = struct.unpack('3i', c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))\n"
                       "c.sendall(f'{c.recv(100).decode()} uid {uid} gid {gid}'.encode())\n")
        server = subprocess.Popen(["python3", "-c", server_code, os.path.join(to, "srv")], stdout=subprocess.PIPE,
                                  text=True)
        self.addCleanup(server.stdout.close)
        self.addCleanup(server.kill)  # a client that never came leaves it waiting
        self.assertEqual(server.stdout.readline(), "ready\n")
        client = ("import os, socket, sys\n"
                  "c = socket.socket(socket.AF_UNIX); c.connect(sys.argv[1] + '/srv'); c.sendall(b'hello')\n"
                  "print(c.recv(100).decode())\n"
                  "os.umask(0o027); b = socket.socket(socket.AF_UNIX); b.bind(sys.argv[1] + '/own')\n"
                  "st = os.stat(sys.argv[1] + '/own'); print(st.st_uid, oct(st.st_mode & 0o777))\n")
        return self.run_case_argv(["/usr/bin/python3", "-c", client, frm], to, frm, user, supervised)

    def run_case_argv(self, argv, to, frm, user, supervised):
        drop = ["setpriv", f"--reuid={NOBODY_UID}", f"--regid={NOBODY_UID}", "--clear-groups", "--"] if user == "nobody" else []
        if supervised:
            full = [SYSVISOR, "-r", f"{frm}={to}", "--"] + drop + argv
        else:
            full = ["unshare", "-m", "sh", "-c", f'mount --bind "{to}" "{frm}" && exec "$@"', "sh"] + drop + argv
        proc = subprocess.run(full, capture_output=True, text=True, timeout=30)
        return proc.returncode, proc.stdout, proc.stderr

    def test_unix_sockets_under_from(self):
        for user in ("root", "nobody"):
            with self.subTest(user=user):
                native = self.run_unix_socket_case(user, supervised=False)
                supervised = self.run_unix_socket_case(user, supervised=True)
                uid = 0 if user == "root" else NOBODY_UID
                self.assertEqual(native, (0, f"hello uid {uid} gid {uid}\n{uid} 0o750\n", ""))
                self.assertEqual(supervised, native)

    def test_cases_as_root(self):
        for name in CASES:
            with self.subTest(case=name):
                self.check(name, "root")

    @unittest.skipUnless(can_run_as_nobody(), "needs root and setpriv")
    def test_cases_as_nobody(self):
        for name in CASES:
            with self.subTest(case=name):
                self.check(name, "nobody")


if __name__ == "__main__":
    main()
