#!/bin/bash
# tests/vm/run.sh minimal|stock BUILD_DIR
#
# Boots a real kernel under qemu (software emulation; KVM is not needed) with sysvisor and the guest suites
# tests/vm/guest/*.sh, once, and passes only if the guest's closing line is "vm-KIND: N passed, 0 failed"
# with N > 0. Exit 0 pass, 1 fail, 77 skip (only when qemu cannot run at all on this machine).
# Files: BUILD_DIR/tests/vm/KIND/{bzImage,initramfs.cpio.gz,serial.log}. Environment:
#   SYSVISOR_VM_CACHE    kernel cache (default ~/.cache/sysvisor-vm)
#   SYSVISOR_VM_TIMEOUT  seconds the boot may take, tests included (default 600)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
die() { echo "run.sh: $*" >&2; exit 1; }
skip() { echo "run.sh: SKIP: $*" >&2; exit 77; }

[ $# -eq 2 ] || die "usage: run.sh minimal|stock BUILD_DIR"
kind=$1
build=$(cd "$2" && pwd) || die "no build directory '$2'"
case $kind in minimal|stock) ;; *) die "unknown kernel kind '$kind' (minimal or stock)" ;; esac

qemu=$(command -v qemu-system-x86_64 || true)
[ -n "$qemu" ] || skip "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
"$qemu" -version >/dev/null 2>&1 || skip "qemu-system-x86_64 does not run here"
command -v timeout >/dev/null || die "timeout not found (coreutils)"

dir=$build/tests/vm/$kind
mkdir -p "$dir"
t0=$SECONDS
kernel=$("$here/kernel.sh" "$kind" "$dir") || die "no $kind kernel (see above)"
t_kernel=$((SECONDS - t0))
initrd=$("$here/initramfs.sh" "$dir/initramfs.cpio.gz" "$build") || die "cannot build the initramfs"

log=$dir/serial.log
limit=${SYSVISOR_VM_TIMEOUT:-600}
echo "run.sh: booting the $kind kernel (kernel ready in ${t_kernel} s; serial output: $log)"
t1=$SECONDS
status=0
timeout --kill-after=10 "$limit" "$qemu" -machine q35 -cpu max -m 1024 -smp 1 -nic none -nographic -no-reboot \
  -kernel "$kernel" -initrd "$initrd" -append "console=ttyS0 quiet panic=-1 sysvisor_kernel=$kind" \
  </dev/null >"$log" 2>&1 || status=$?
t_boot=$((SECONDS - t1))

# The serial console ends lines with CR LF.
results=$(tr -d '\r' <"$log" |
          grep -E "^(ok |FAIL |guest: |[A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed)" || true)
echo "$results"
closing=$(echo "$results" | grep -E "^vm-$kind: [0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$" | tail -n 1 || true)
echo "run.sh: $kind: qemu exit status $status after ${t_boot} s (kernel ${t_kernel} s)"
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
  echo "run.sh: $kind: the guest did not finish within $limit s; last lines of $log:"
  tr -d '\r' <"$log" | tail -n 30
  exit 1
fi
if [ -z "$closing" ]; then
  echo "run.sh: $kind: no closing 'vm-$kind: N passed, M failed' line; last lines of $log:"
  tr -d '\r' <"$log" | tail -n 30
  exit 1
fi
read -r passed failed <<<"$(echo "$closing" | sed -E 's/^[^:]+: ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/')"
if [ "$failed" != 0 ]; then
  echo "run.sh: $kind: $failed failed"
  exit 1
fi
if [ "$passed" = 0 ]; then
  echo "run.sh: $kind: nothing passed (no guest suite ran a test)"
  exit 1
fi
echo "run.sh: $kind: $passed passed"
