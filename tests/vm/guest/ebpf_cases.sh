#!/bin/sh
# Guest suite (tests/vm/run.sh, busybox sh, root): the eBPF path of -k in a real kernel.
#   minimal (6.12 with kprobes, bpf_override_return, fmod_ret, BPF LSM): every target kind injects into the
#           supervised tree (its forked child included) and never into a control process making the same calls
#           at the same moment (both print "ready" and wait for a go file, so the calls overlap and start-up is
#           over); call chains and argument tests (vm_mmap_pgoff's 6th argument in r9, do_mmap's 7th on the
#           stack) select exactly the calls they name; prob=/seed= give the sequence the unit test pins; when=
#           counts as sysvisor(1) documents; hit counts are reported.
#   stock   (Debian 6.12: no FUNCTION_ERROR_INJECTION): security_* and lsm/ targets work; override and
#           fmod_ret-on-error-injectable targets are refused with the probe's one line, exit 125, program not run.
# Prints "ok ebpf: …"/"FAIL ebpf: …", last line "ebpf: N passed, M failed[, K skipped]".
SV=${SYSVISOR:-/sysvisor/bin/sysvisor}
H=${HELPERS:-/sysvisor/helpers}
KC=$H/vm_kcalls
RUN_AS=$H/vm_run_as
KERNEL=${SYSVISOR_VM_KERNEL:-unknown}
D=/tmp/ebpf
GO=$D/go
mkdir -p $D

passed=0 failed=0 skipped=0
finish() {
  line="ebpf: $passed passed, $failed failed"
  [ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
  echo "$line"
  exit 0
}
ok() { echo "ok ebpf: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL ebpf: $*"; failed=$((failed + 1)); }
skip() { echo "ok ebpf: SKIP $*"; skipped=$((skipped + 1)); }
flat() { echo "$1" | tr '\n' '|'; }
# expect NAME WANT GOT
expect() {
  if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: want '$(flat "$2")' got '$(flat "$3")'"; fi
}
has_sym() { grep -q " $1\$" /proc/kallsyms; }
# lines WORD N: N lines "WORD"
lines() { i=0; while [ $i -lt $2 ]; do echo "$1"; i=$((i + 1)); done; }

# pair -k SPEC [-k SPEC...] -- OP...: runs `vm_kcalls OP...` under sysvisor with the rules and, at the same
# moment, unsupervised. Sets SV_OUT (program's lines), SV_ERR (sysvisor's stderr), SV_RC, CTL_OUT.
pair() {
  args=""
  while [ "$1" != "--" ]; do args="$args $1"; shift; done
  shift
  rm -f $GO $D/sv.out $D/sv.err $D/ctl.out
  # shellcheck disable=SC2086  # rule specs contain no blanks: split into words on purpose
  "$SV" $args -- "$KC" -w $GO "$@" >$D/sv.out 2>$D/sv.err &
  svpid=$!
  "$KC" -w $GO "$@" >$D/ctl.out 2>&1 &
  ctlpid=$!
  n=0
  while [ $n -lt 1000 ]; do
    if grep -q ready $D/sv.out 2>/dev/null && grep -q ready $D/ctl.out 2>/dev/null; then break; fi
    if ! kill -0 $svpid 2>/dev/null; then break; fi
    sleep 0.01
    n=$((n + 1))
  done
  touch $GO
  wait $svpid
  SV_RC=$?
  wait $ctlpid
  SV_OUT=$(grep -v '^ready$' $D/sv.out)
  SV_ERR=$(cat $D/sv.err)
  CTL_OUT=$(grep -v '^ready$' $D/ctl.out)
}

# check NAME WANT_PROGRAM WANT_CONTROL [WANT_STDERR]: the outcome of the last pair.
check() {
  if [ "$SV_RC" != 0 ]; then fail "$1: sysvisor exit $SV_RC: $(flat "$SV_ERR")"; return; fi
  expect "$1" "$2" "$SV_OUT"
  expect "$1 (control)" "$3" "$CTL_OUT"
  [ -n "$4" ] && expect "$1 (hit counts)" "$4" "$SV_ERR"
}

# refused NAME SPEC PREFIX: -k SPEC is refused with exit 125, a stderr line starting with PREFIX, and the
# program never runs.
refused() {
  rm -f $D/started
  err=$("$SV" -k "$2" -- sh -c "touch $D/started" 2>&1)
  rc=$?
  expect "$1: exit 125" 125 "$rc"
  case $err in
    "$3"*) ok "$1: one line ($err)" ;;
    *) fail "$1: want a line starting '$3' got '$(flat "$err")'" ;;
  esac
  [ "$(echo "$err" | wc -l)" = 1 ] || fail "$1: more than one line"
  if [ -e $D/started ]; then fail "$1: the program ran"; else ok "$1: the program never ran"; fi
}

P=/etc/passwd
[ -e $P ] || echo "root:x:0:0::/:/bin/sh" >$P

case $("$SV" --kinject-probe 2>&1) in
  *"built without the eBPF path"*) skip "sysvisor was built without the eBPF path (SYSVISOR_EBPF=OFF)"; finish ;;
esac
echo "ebpf: --kinject-probe on $KERNEL:"
"$SV" --kinject-probe | sed 's/^/  /'
probe=$("$SV" --kinject-probe)
# The probe against this kernel's facts (kallsyms, securityfs).
probe_line() { echo "$probe" | while read -r l; do case $l in "$1: "*) echo "$l" ;; esac; done; }
want_yes() {  # NAME FACT
  line=$(probe_line "$1")
  if [ "$2" = 1 ]; then expect "probe: $1" "$1: yes" "$line"
  else case $line in "$1: no: "?*) ok "probe: $line" ;; *) fail "probe: $1: want 'no: WHY' got '$line'" ;; esac; fi
}
fact() { if "$@"; then echo 1; else echo 0; fi; }
kp=$(fact has_sym register_kprobe)
fei=$(fact has_sym within_error_injection_list)
ovr=$(fact has_sym bpf_override_return)
lsm=$(fact grep -qw bpf /sys/kernel/security/lsm)
want_yes root 1
want_yes BTF "$(fact test -e /sys/kernel/btf/vmlinux)"
want_yes kprobes "$kp"
want_yes bpf_override_return "$([ "$kp$fei$ovr" = 111 ] && echo 1 || echo 0)"
want_yes "fmod_ret security_*" 1
want_yes "fmod_ret error-injectable" "$fei"
want_yes "BPF LSM" "$lsm"

# Root only (both kernels): uid 65534 gets one line.
rm -f $D/started
err=$("$RUN_AS" 65534 65534 "$SV" -k lsm/file_open -- sh -c "touch $D/started" 2>&1)
rc=$?
expect "uid 65534: exit 125" 125 "$rc"
case $err in
  "sysvisor: -k 'lsm/file_open': root: no: uid 65534: the eBPF path needs root"*) ok "uid 65534: one line ($err)" ;;
  *) fail "uid 65534: got '$(flat "$err")'" ;;
esac
[ -e $D/started ] && fail "uid 65534: the program ran"

# ---- Targets every 6.12 here carries: security_* (fmod_ret) and lsm/ (BPF LSM).
pair -k security_file_open:error=EACCES -- open $P 2 fork open $P 2
check "security_file_open: the program and its child fail, the control does not" \
  "$(lines 'open EACCES' 4)" "$(lines 'open ok' 4)" \
  "sysvisor: -k 'security_file_open:error=EACCES': 4 injected, 4 counted"

# Hit counts in the -o log too: one line per rule at exit.
pair -o $D/k.log -k security_file_open:error=EACCES -- open $P 2
check "-o run" "$(lines 'open EACCES' 2)" "$(lines 'open ok' 2)"
case $(grep ' kinject ' $D/k.log) in
  *" security_file_open() kinject security_file_open:error=EACCES: 2 injected, 2 counted") ok "-o log: hit counts" ;;
  *) fail "-o log: '$(flat "$(cat $D/k.log)")'" ;;
esac

pair -k lsm/file_open -- open $P 2 fork open $P 1
check "lsm/file_open: default EPERM in the tree only" "$(lines 'open EPERM' 3)" "$(lines 'open ok' 3)"

# Argument tests on the target (trampoline: bpf_get_func_arg). file_mprotect(vma, reqprot, prot).
pair -k lsm/file_mprotect:error=EACCES:arg3==3 -- mprotect 3 2 mprotect 1 2 mprotect 3 1
check "lsm/file_mprotect:arg3==3 fails PROT_READ|PROT_WRITE only" \
  "mprotect EACCES
mprotect EACCES
mprotect ok
mprotect ok
mprotect EACCES" "$(lines 'mprotect ok' 5)" "sysvisor: -k 'lsm/file_mprotect:error=EACCES:arg3==3': 3 injected, 3 counted"
# Arming is at the end of the program's execve: the start-up's own mprotect(PROT_READ) of its RELRO
# segment (glibc, static binaries too) is the first counted call; when=2+ keeps it out.
pair -k lsm/file_mprotect:error=EACCES:arg3==1:when=2+ -- mprotect 1 2
check "arming after execve: start-up's RELRO mprotect is call 1, when=2+ skips it" \
  "$(lines 'mprotect EACCES' 2)" "$(lines 'mprotect ok' 2)" \
  "sysvisor: -k 'lsm/file_mprotect:error=EACCES:arg3==1:when=2+': 2 injected, 3 counted"
pair -k security_file_mprotect:error=ENOMEM:arg3!=1 -- mprotect 1 1 mprotect 3 1
check "security_file_mprotect:arg3!=1 fails PROT_READ|PROT_WRITE only" "mprotect ok
mprotect ENOMEM" "mprotect ok
mprotect ok"

# when= per rule over the tree: calls 2..4 of 6, then every 2nd from 3.
pair -k security_file_open:when=2..4 -- open $P 6
check "when=2..4" "open ok
open EPERM
open EPERM
open EPERM
open ok
open ok" "$(lines 'open ok' 6)" "sysvisor: -k 'security_file_open:when=2..4': 3 injected, 6 counted"
pair -k security_file_open:when=3+2 -- open $P 2 fork open $P 5
check "when=3+2 counts the child's calls too" "open ok
open ok
open EPERM
open ok
open EPERM
open ok
open EPERM" "$(lines 'open ok' 7)"

# prob=/seed=: the sequence tests/unit/test_kinject.cpp pins (1 = injected), the same on a second run.
want=""
for b in 0 0 0 1 1 0 0 0 1 0 1 0 1 0 1 1; do
  if [ $b = 1 ]; then want="$want${want:+
}open EPERM"; else want="$want${want:+
}open ok"; fi
done
pair -k security_file_open:prob=0.5:seed=1 -- open $P 16
check "prob=0.5:seed=1 gives the pinned sequence" "$want" "$(lines 'open ok' 16)"
pair -k security_file_open:prob=0.5:seed=1 -- open $P 16
check "prob=0.5:seed=1 again: same sequence" "$want" "$(lines 'open ok' 16)"
pair -k security_file_open:prob=0.5:seed=2 -- open $P 16
if [ "$SV_OUT" != "$want" ]; then ok "seed=2 gives another sequence"; else fail "seed=2 gives the seed=1 sequence"; fi

# A call chain on an fmod_ret target (a kprobe on the frame): do_filp_open(int dfd, ...) with dfd AT_FDCWD
# (-100: the test is masked to the int's width from BTF).
if echo "$probe" | grep -q '^kprobes: yes'; then
  pair -k 'security_file_open:chain=do_filp_open(arg1==-100)' -- open $P 2
  check "chain=do_filp_open(arg1==AT_FDCWD) on security_file_open" "$(lines 'open EPERM' 2)" "$(lines 'open ok' 2)"
  pair -k 'security_file_open:chain=do_filp_open(arg1==3)' -- open $P 2
  check "chain=do_filp_open(arg1==3) selects no call" "$(lines 'open ok' 2)" "$(lines 'open ok' 2)"
else
  skip "call chains: this kernel has no kprobes"
fi

# ---- Override targets: minimal kernel only.
if [ "$KERNEL" = stock ]; then
  refused "stock: kmalloc" kmalloc "sysvisor: -k 'kmalloc': bpf_override_return: no: this kernel has no FUNCTION_ERROR_INJECTION"
  refused "stock: error-injectable function" __x64_sys_openat:error=EIO \
    "sysvisor: -k '__x64_sys_openat:error=EIO': bpf_override_return: no: this kernel has no FUNCTION_ERROR_INJECTION"
  refused "stock: via=fmod_ret" __x64_sys_openat:error=EIO:via=fmod_ret \
    "sysvisor: -k '__x64_sys_openat:error=EIO:via=fmod_ret': fmod_ret error-injectable: no: this kernel has no FUNCTION_ERROR_INJECTION"
  finish
fi

# kprobe + bpf_override_return on an error-injectable function, and the same with fmod_ret.
for via in kprobe fmod_ret; do
  pair -k __x64_sys_openat:error=ENOENT:via=$via -- open $P 2 fork open $P 1
  check "__x64_sys_openat via=$via" "$(lines 'open ENOENT' 3)" "$(lines 'open ok' 3)"
done

# kmalloc (should_failslab), scoped by a chain so that only these calls' allocations fail.
if has_sym should_failslab; then
  for via in kprobe fmod_ret; do
    pair -k kmalloc:chain=do_filp_open:via=$via -- open $P 2 fork open $P 1
    check "kmalloc under do_filp_open via=$via" "$(lines 'open ENOMEM' 3)" "$(lines 'open ok' 3)"
  done
  # Stack argument: do_mmap's 7th (pgoff) is read at sp + 8; vm_mmap_pgoff's 6th is r9.
  pair -k 'kmalloc:chain=do_mmap(arg7==5)' -- mmap 3,4,5,6,5
  check "chain=do_mmap(arg7==5): only pgoff 5 fails" "mmap ok
mmap ok
mmap ENOMEM
mmap ok
mmap ENOMEM" "$(lines 'mmap ok' 5)"
  pair -k 'kmalloc:chain=do_mmap(arg7==5)/vm_mmap_pgoff(arg6==5)' -- mmap 4,5,6
  check "chain=do_mmap(arg7==5)/vm_mmap_pgoff(arg6==5)" "mmap ok
mmap ENOMEM
mmap ok" "$(lines 'mmap ok' 3)"
  pair -k 'kmalloc:chain=do_mmap(arg7==5)/vm_mmap_pgoff(arg6==6)' -- mmap 4,5,6
  check "chain with an outer frame that does not match: nothing fails" "$(lines 'mmap ok' 3)" "$(lines 'mmap ok' 3)"
  pair -k 'kmalloc:chain=vm_mmap_pgoff/do_mmap' -- mmap 4,5
  check "chain in the wrong nesting order: nothing fails" "$(lines 'mmap ok' 2)" "$(lines 'mmap ok' 2)"
  # when= counts the target's calls (allocations) that pass the chain: when=1 is the first allocation
  # under the first matching mmap.
  pair -k 'kmalloc:chain=do_mmap(arg7>=5):when=1' -- mmap 4,5,6,7
  check "chain + when=1 counts only matching calls" "mmap ok
mmap ENOMEM
mmap ok
mmap ok" "$(lines 'mmap ok' 4)"
else
  skip "kmalloc: should_failslab not in this kernel (CONFIG_FAILSLAB)"
fi

# alloc_page (should_fail_alloc_page): pipe_write allocates the pipe's page.
if has_sym should_fail_alloc_page; then
  pair -k alloc_page:chain=pipe_write -- pipe 2 fork pipe 1
  check "alloc_page under pipe_write" "$(lines 'pipe ENOMEM' 3)" "$(lines 'pipe ok' 3)"
else
  skip "alloc_page: should_fail_alloc_page not in this kernel (CONFIG_FAIL_PAGE_ALLOC)"
  refused "alloc_page without CONFIG_FAIL_PAGE_ALLOC" alloc_page "sysvisor: -k 'alloc_page': attaching to should_fail_alloc_page failed"
fi

# bio (should_fail_bio): only with a block layer.
if has_sym should_fail_bio; then
  skip "bio: no block device in this guest to write to"
else
  refused "bio without a block layer" bio "sysvisor: -k 'bio': attaching to should_fail_bio failed"
fi

finish
