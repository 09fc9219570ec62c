#!/bin/sh
# Guest suite (tests/vm/run.sh, busybox sh): redirection under Yama's ptrace_scope, which this host lacks and
# Debian's stock kernel has. sysvisor takes the listener with pidfd_getfd and reads/writes the program's
# memory with process_vm_readv/writev, both ptrace access checks:
#   scope 1 (relational): allowed for descendants only; an orphaned grandchild is reparented to sysvisor
#           (the child subreaper), so it stays a descendant and its redirected calls still work;
#   scope 2 (admin only): root still works, uid 65534 is refused: exit 125, program never started;
#   scope 3 (no attach, cannot be undone until reboot, so last): refused for root too.
# Every case also runs the same calls unsupervised (the control). Prints "ok …"/"FAIL …", last line
# "yama: N passed, M failed[, K skipped]".
SV=${SYSVISOR:-/sysvisor/bin/sysvisor}
H=${HELPERS:-/sysvisor/helpers}
TRY=$H/try_syscall_static
RUN_AS=$H/vm_run_as
SCOPE=/proc/sys/kernel/yama/ptrace_scope

passed=0 failed=0 skipped=0
finish() {
  line="yama: $passed passed, $failed failed"
  [ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
  echo "$line"
  exit 0
}
ok() { echo "ok yama: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL yama: $*"; failed=$((failed + 1)); }
# expect NAME WANT GOT
expect() {
  if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: want '$(echo "$2" | tr '\n' '|')' got '$(echo "$3" | tr '\n' '|')'"; fi
}

if [ ! -e "$SCOPE" ]; then
  echo "ok yama: skipped (no Yama)"
  skipped=1
  finish
fi

D=/tmp/yama
mkdir -p $D
chmod 1777 $D
FROM=/etc/yama-fake.conf  # does not exist
TO=$D/real.conf
echo "hello from real" >$TO
chmod 644 $TO
WANT_OPEN="open: fd 3 cloexec=0
hello from real"

# orphan.sh OUT OP ARG...: leaves a grandchild that, once this shell has exited (0.5 s at least), writes its
# parent's pid to OUT.ppid and runs try_syscall_static OP ARG... > OUT.
cat >$D/orphan.sh <<EOF
#!/bin/sh
out=\$1; shift
(
  sleep 0.5
  while [ -e /proc/\$\$/status ] && ! grep -qE '^State:[[:space:]]+[ZX]' /proc/\$\$/status; do sleep 0.1; done
  exec sh -c 'echo \$PPID >"\$0.ppid"; exec $TRY "\$@" >"\$0"' "\$out" "\$@"
) &
exit 0
EOF
chmod 755 $D/orphan.sh

# as UID CMD...: runs CMD as UID (group UID) or, for uid 0, as is.
as() {
  uid=$1; shift
  if [ "$uid" = 0 ]; then "$@"; else "$RUN_AS" "$uid" "$uid" "$@"; fi
}

# orphan_case SCOPE UID OP WANT: sysvisor -r FROM=TO on orphan.sh, then checks the grandchild's output, that
# its parent was sysvisor (reparented), and that sysvisor waited for it.
orphan_case() {
  scope=$1 uid=$2 op=$3 want=$4 name="scope $1 uid $2: orphaned grandchild $3s the redirected path"
  out=$D/orphan-$scope-$uid-$op
  rm -f "$out" "$out.ppid"
  # A simple command in the background: $! is sysvisor itself (vm_run_as execs it).
  if [ "$uid" = 0 ]; then
    "$SV" -r "$FROM=$TO" $D/orphan.sh "$out" "$op" "$FROM" >$D/sv.out 2>&1 &
  else
    "$RUN_AS" "$uid" "$uid" "$SV" -r "$FROM=$TO" $D/orphan.sh "$out" "$op" "$FROM" >$D/sv.out 2>&1 &
  fi
  svpid=$!
  wait $svpid
  rc=$?
  if [ "$rc" != 0 ]; then fail "$name: sysvisor exit $rc: $(cat $D/sv.out)"; return; fi
  if [ ! -e "$out.ppid" ]; then fail "$name: sysvisor returned before the grandchild ran"; return; fi
  ppid=$(cat "$out.ppid")
  if [ "$ppid" != "$svpid" ]; then fail "$name: its parent was $ppid, not sysvisor ($svpid)"; return; fi
  expect "$name" "$want" "$(cat "$out")"
}

echo 1 >$SCOPE || fail "cannot set ptrace_scope 1"
expect "scope 1: ptrace_scope reads 1" 1 "$(cat $SCOPE)"

# Controls: the same calls unsupervised.
expect "control: open of the unredirected path fails" "open: ERR ENOENT" "$($TRY open $FROM)"
rm -f $D/control $D/control.ppid
$D/orphan.sh $D/control open $FROM
i=0
while [ ! -s $D/control ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
expect "control: orphaned grandchild's open fails unsupervised" "open: ERR ENOENT" "$(cat $D/control 2>&1)"

for uid in 0 65534; do
  expect "scope 1 uid $uid: open is redirected" "$WANT_OPEN" "$(as $uid "$SV" -r "$FROM=$TO" "$TRY" open $FROM 2>&1)"
  want_stat=$($TRY stat $TO)
  expect "scope 1 uid $uid: stat is answered for TO (memory written)" "$want_stat" \
    "$(as $uid "$SV" -r "$FROM=$TO" "$TRY" stat $FROM 2>&1)"
  expect "scope 1 uid $uid: through sh -c (grandchild of sysvisor)" "$WANT_OPEN" \
    "$(as $uid "$SV" -r "$FROM=$TO" sh -c "$TRY open $FROM; exit 0" 2>&1)"
  orphan_case 1 $uid open "$WANT_OPEN"
  want_stat=$($TRY stat $TO)
  orphan_case 1 $uid stat "$want_stat"
done

# Scope 2: only CAP_SYS_PTRACE may attach.
echo 2 >$SCOPE || fail "cannot set ptrace_scope 2"
expect "scope 2 uid 0: open is redirected" "$WANT_OPEN" "$("$SV" -r "$FROM=$TO" "$TRY" open $FROM 2>&1)"
orphan_case 2 0 open "$WANT_OPEN"
rm -f $D/started
err=$(as 65534 "$SV" -r "$FROM=$TO" sh -c "touch $D/started" 2>&1)
rc=$?
expect "scope 2 uid 65534: refused with exit 125" 125 "$rc"
case $err in
  "sysvisor: pidfd_getfd: cannot take the listener from the child: Operation not permitted"*) ok "scope 2 uid 65534: says why ($err)" ;;
  *) fail "scope 2 uid 65534: message '$err'" ;;
esac
if [ -e $D/started ]; then fail "scope 2 uid 65534: the program ran"; else ok "scope 2 uid 65534: the program never ran"; fi

# Scope 3: nobody may attach (stays until reboot: last).
echo 3 >$SCOPE || fail "cannot set ptrace_scope 3"
rm -f $D/started
err=$("$SV" -r "$FROM=$TO" sh -c "touch $D/started" 2>&1)
rc=$?
expect "scope 3 uid 0: refused with exit 125" 125 "$rc"
case $err in
  "sysvisor: pidfd_getfd: cannot take the listener from the child: Operation not permitted"*) ok "scope 3 uid 0: says why ($err)" ;;
  *) fail "scope 3 uid 0: message '$err'" ;;
esac
if [ -e $D/started ]; then fail "scope 3 uid 0: the program ran"; else ok "scope 3 uid 0: the program never ran"; fi
expect "scope 3 control: unsupervised open still fails plainly" "open: ERR ENOENT" "$($TRY open $FROM)"

finish
