"""-k / --kinject-probe on the machine running the tests (the VM suite tests/vm/guest/ebpf_cases.sh checks that
the rules really inject on kernels that carry them).

Here: --kinject-probe's lines are compared with what this kernel really has, computed independently from
/proc/kallsyms, /sys/kernel/btf/vmlinux, /sys/kernel/security/{lockdown,lsm} and the uid (never "works" by
assumption); every -k rule kind this kernel cannot carry is refused with exactly the probe's line for the
mechanism it lacks, exit 125, and the program (a marker-file writer) never starts. A rule kind this kernel
does carry is skipped here (it is exercised in the VM). SYSVISOR_EBPF=OFF builds: the one "built without"
line."""
import os

from common import TempDirTest, can_run_as_nobody, main, sv

EBPF = os.environ.get("SYSVISOR_EBPF_ENABLED", "1") == "1"


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def kallsyms_has(*names):
    want = set(names)
    found = set()
    try:
        with open("/proc/kallsyms") as f:
            for line in f:
                name = line.split()[2]
                if name in want:
                    found.add(name)
    except OSError:
        pass
    return {n: n in found for n in names}


class Facts:
    """What this kernel has, found without sysvisor."""

    def __init__(self):
        syms = kallsyms_has("register_kprobe", "within_error_injection_list", "bpf_lsm_file_open")
        self.root = os.geteuid() == 0
        self.btf = os.path.exists("/sys/kernel/btf/vmlinux")
        self.kprobes = syms["register_kprobe"]
        self.fei = syms["within_error_injection_list"]
        lockdown = read("/sys/kernel/security/lockdown")  # "none [integrity] confidentiality"
        self.lockdown = None if lockdown is None else lockdown[lockdown.find("[") + 1:lockdown.find("]")]
        lsm = read("/sys/kernel/security/lsm")
        self.lsm_list = None if lsm is None else lsm.split(",")


# The mechanism each rule kind needs, as --kinject-probe names it (kprobe rules need kprobes first).
RULES = [
    ("kmalloc", ["kprobes", "bpf_override_return"]),
    ("kmalloc:when=2:prob=0.5:seed=3", ["kprobes", "bpf_override_return"]),
    ("alloc_page", ["kprobes", "bpf_override_return"]),
    ("bio:error=EIO", ["kprobes", "bpf_override_return"]),
    ("__x64_sys_openat:error=ENOENT:arg3&1", ["kprobes", "bpf_override_return"]),
    ("do_mmap:error=ENOMEM:arg7==0", ["kprobes", "bpf_override_return"]),
    ("kmalloc:via=fmod_ret", ["fmod_ret error-injectable"]),
    ("security_file_open", ["fmod_ret security_*"]),
    ("security_file_open:chain=do_sys_openat2(arg2==0)", ["kprobes", "fmod_ret security_*"]),
    ("lsm/file_open:error=EACCES", ["BPF LSM"]),
]


class Kinject(TempDirTest):
    def marker_cmd(self):
        return ["sh", "-c", f"touch {self.path('started')}"]

    def assertNotStarted(self):
        self.assertFalse(os.path.exists(self.path("started")), "the program was started")

    def probe(self, **kw):
        p = sv("--kinject-probe", **kw)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")
        lines = p.stdout.splitlines()
        return {line.split(": ", 1)[0]: line for line in lines}, lines

    def test_built_without_ebpf(self):
        if EBPF:
            self.skipTest("built with the eBPF path")
        self.assertRun(sv("--kinject-probe"), code=125, stdout="",
                       stderr="sysvisor: --kinject-probe: sysvisor was built without the eBPF path "
                              "(SYSVISOR_EBPF=OFF)\n")
        self.assertRun(sv("-k", "kmalloc", *self.marker_cmd()), code=125, stdout="",
                       stderr="sysvisor: -k 'kmalloc': sysvisor was built without the eBPF path (SYSVISOR_EBPF=OFF)\n")
        self.assertNotStarted()

    def test_probe_tells_the_truth(self):
        if not EBPF:
            self.skipTest("built without the eBPF path")
        f = Facts()
        by_name, lines = self.probe()
        self.assertEqual(list(by_name), ["root", "BTF", "kprobes", "bpf_override_return", "fmod_ret security_*",
                                         "fmod_ret error-injectable", "BPF LSM"], lines)
        if not f.root:
            self.assertTrue(by_name["root"].startswith(f"root: no: uid {os.geteuid()}: the eBPF path needs root"))
            return
        self.assertEqual(by_name["root"], "root: yes")
        self.assertEqual(by_name["BTF"], "BTF: yes" if f.btf else
                         "BTF: no: no kernel BTF (/sys/kernel/btf/vmlinux is missing: CONFIG_DEBUG_INFO_BTF)")
        if not f.btf:
            return
        no_kprobes = "this kernel has no kprobes (CONFIG_KPROBES)"
        no_fei = "this kernel has no FUNCTION_ERROR_INJECTION (CONFIG_FUNCTION_ERROR_INJECTION)"
        locked = f.lockdown not in (None, "none")
        # Lines this kernel's facts decide: a missing feature must be named; lockdown must be named.
        if not f.kprobes:
            self.assertTrue(by_name["kprobes"].startswith(f"kprobes: no: {no_kprobes}: "), by_name["kprobes"])
        if not f.kprobes and not f.fei:
            self.assertTrue(by_name["bpf_override_return"].startswith(
                "bpf_override_return: no: this kernel has no kprobes (CONFIG_KPROBES) and no FUNCTION_ERROR_INJECTION"),
                by_name["bpf_override_return"])
        elif not f.kprobes or not f.fei:
            self.assertTrue(by_name["bpf_override_return"].startswith(
                f"bpf_override_return: no: {no_kprobes if not f.kprobes else no_fei}: "), by_name["bpf_override_return"])
        if not f.fei:
            self.assertTrue(by_name["fmod_ret error-injectable"].startswith(f"fmod_ret error-injectable: no: {no_fei}: "),
                            by_name["fmod_ret error-injectable"])
        if f.lsm_list is not None and "bpf" not in f.lsm_list:
            self.assertTrue(by_name["BPF LSM"].startswith("BPF LSM: no: BPF LSM not active"), by_name["BPF LSM"])
        if f.lsm_list is None:
            self.assertTrue(by_name["BPF LSM"].startswith(
                "BPF LSM: no: /sys/kernel/security/lsm is not readable (securityfs not mounted?)"), by_name["BPF LSM"])
        for name in ("fmod_ret security_*", "BPF LSM"):
            line = by_name[name]
            if locked:
                self.assertIn(f"kernel lockdown ({f.lockdown})", line)
            elif line != f"{name}: yes" and f.lockdown is None and "Operation not permitted" in line:
                self.assertIn("kernel lockdown? (/sys/kernel/security/lockdown is not readable)", line)
        # Every "no" says why; "yes" is only possible where the facts allow it.
        for name, line in by_name.items():
            self.assertTrue(line == f"{name}: yes" or (line.startswith(f"{name}: no: ") and len(line) > len(name) + 6),
                            line)
        if not f.kprobes:
            self.assertNotEqual(by_name["kprobes"], "kprobes: yes")
        if not f.fei:
            self.assertNotEqual(by_name["fmod_ret error-injectable"], "fmod_ret error-injectable: yes")

    def test_rules_this_kernel_cannot_carry_are_refused(self):
        if not EBPF:
            self.skipTest("built without the eBPF path")
        by_name, _ = self.probe()
        refused = 0
        for spec, needs in RULES:
            with self.subTest(spec=spec):
                lacking = [n for n in ["root", "BTF"] + needs if by_name[n] != f"{n}: yes"]
                if not lacking:
                    continue  # this kernel carries it: exercised in the VM suite
                self.assertRun(sv("-k", spec, *self.marker_cmd()), code=125, stdout="",
                               stderr=f"sysvisor: -k '{spec}': {by_name[lacking[0]]}\n")
                self.assertNotStarted()
                refused += 1
        if refused == 0:
            self.skipTest("this kernel carries every rule kind (see the VM suite)")
        # Several rules: the first one that cannot be carried is named.
        first = next(((s, n) for s, n in RULES if [m for m in ["root", "BTF"] + n if by_name[m] != f"{m}: yes"]), None)
        if first:
            self.assertEqual(sv("-k", first[0], "-k", "lsm/file_open", *self.marker_cmd()).returncode, 125)
            self.assertNotStarted()
        self.assertRun(sv(*self.marker_cmd()))  # control: the same command does start
        self.assertTrue(os.path.exists(self.path("started")))

    def test_bad_specs(self):
        cases = [
            ("kmalloc:error=EFOO", "unknown errno 'EFOO'"),
            ("do_mmap", "needs an action: error= or retval="),
            ("kmalloc:arg13==1", "'arg13==1': argument number out of range 1..12"),
            ("kmalloc:when=0", "invalid when '0' (FIRST, FIRST+, FIRST+STEP, FIRST..LAST or FIRST..LAST+STEP with "
                               "FIRST and STEP 1..65535, LAST FIRST..65534)"),
        ]
        for spec, why in cases:
            with self.subTest(spec=spec):
                self.assertRun(sv("-k", spec, *self.marker_cmd()), code=125, stdout="",
                               stderr=f"sysvisor: -k '{spec}': {why}\n")
                self.assertNotStarted()
        self.assertRun(sv("--kinject", "kmalloc:foo", *self.marker_cmd()), code=125, stdout="",
                       stderr="sysvisor: -k 'kmalloc:foo': unknown item 'foo' (error=, retval=, when=, prob=, seed=, "
                              "via=, chain=, argN OP VALUE)\n")
        self.assertNotStarted()

    def test_root_only(self):
        if not EBPF:
            self.skipTest("built without the eBPF path")
        if not can_run_as_nobody():
            self.skipTest("needs root and setpriv to become uid 65534")
        unpriv = read("/proc/sys/kernel/unprivileged_bpf_disabled")
        why = "uid 65534: the eBPF path needs root" + (
            "" if unpriv in (None, "0") else f" (kernel.unprivileged_bpf_disabled={unpriv})")
        for spec in ("kmalloc", "lsm/file_open", "security_file_open"):
            with self.subTest(spec=spec):
                self.assertRun(sv("-k", spec, *self.marker_cmd(), user="nobody"), code=125, stdout="",
                               stderr=f"sysvisor: -k '{spec}': root: no: {why}\n")
                self.assertNotStarted()
        by_name, lines = self.probe(user="nobody")
        self.assertEqual(by_name["root"], f"root: no: {why}")
        for name in ("kprobes", "bpf_override_return", "fmod_ret security_*", "fmod_ret error-injectable", "BPF LSM"):
            self.assertEqual(by_name[name], f"{name}: no: needs root")


if __name__ == "__main__":
    main()
