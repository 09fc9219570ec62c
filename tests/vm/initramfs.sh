#!/bin/bash
# tests/vm/initramfs.sh OUT.cpio.gz BUILD_DIR
#
# Packs the guest of tests/vm/run.sh: busybox (static), BUILD_DIR/sysvisor (+ the copycat link) with the
# shared libraries and dynamic loader ldd names, the helpers BUILD_DIR/tests/try_syscall_static and
# BUILD_DIR/tests/vm_*, the guest suites tests/vm/guest/*.sh and an /init that runs them.
# Layout and conventions for the suites: tests/vm/README.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
die() { echo "initramfs.sh: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: initramfs.sh OUT.cpio.gz BUILD_DIR"
out=$1
build=$(cd "$2" && pwd) || die "no build directory '$2'"
[ -x "$build/sysvisor" ] || die "$build/sysvisor not built"
[ -x "$build/tests/try_syscall_static" ] || die "$build/tests/try_syscall_static not built"
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || die "busybox not found (apt-get install busybox-static)"
command -v cpio >/dev/null || die "cpio not found (apt-get install cpio)"

root=$(mktemp -d "${TMPDIR:-/tmp}/sysvisor-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"  # mktemp gives 700: uid 65534 could not exec anything
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,root,run,var,sysvisor/bin,sysvisor/helpers,sysvisor/guest}
mkdir -m 1777 "$root/tmp"
chmod 700 "$root/root"

# copy_libs ELF: copies the shared libraries and the loader ELF needs to the same paths in the image.
copy_libs() {
  local lib
  # "libx.so.1 => /lib/x86_64-linux-gnu/libx.so.1 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)".
  # (ldd fails on static programs: nothing to copy.)
  { ldd "$1" 2>/dev/null || true; } | sed -n 's/^[^/]*\(\/[^ ]*\) (0x[0-9a-f]*)$/\1/p' | while read -r lib; do
    [ -e "$root$lib" ] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}

# install_bin SRC DEST: copies an executable and what it needs.
install_bin() {
  # Without debug info: a smaller image the emulated guest unpacks faster.
  strip --strip-debug -o "$root$2" "$1" 2>/dev/null || cp -L "$1" "$root$2"
  chmod 755 "$root$2"
  copy_libs "$1"
}

install_bin "$busybox" /bin/busybox
# One link per applet, where busybox itself would put it.
"$busybox" --list-full | while read -r applet; do
  [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done

install_bin "$build/sysvisor" /sysvisor/bin/sysvisor
ln -s sysvisor "$root/sysvisor/bin/copycat"
install_bin "$build/tests/try_syscall_static" /sysvisor/helpers/try_syscall_static
for helper in "$build"/tests/vm_*; do
  [ -f "$helper" ] && [ -x "$helper" ] || continue
  install_bin "$helper" "/sysvisor/helpers/$(basename "$helper")"
done
shopt -s nullglob
for suite in "$here"/guest/*.sh; do
  install -m 755 "$suite" "$root/sysvisor/guest/"
done

cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/sh
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF

cat >"$root/init" <<'EOF'
#!/bin/sh
# The guest's init (tests/vm/initramfs.sh): mounts what the suites need, runs every /sysvisor/guest/*.sh,
# prints the closing line "vm-KERNEL: N passed, M failed[, K skipped]" and reboots (qemu -no-reboot exits).
export PATH=/sysvisor/bin:/sysvisor/helpers:/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/root TMPDIR=/tmp
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
dmesg -n 1  # kernel messages would interleave with the results on the serial console
have_fs() { grep -qw "$1" /proc/filesystems; }
have_fs securityfs && mount -t securityfs securityfs /sys/kernel/security
have_fs cgroup2 && mount -t cgroup2 cgroup2 /sys/fs/cgroup
have_fs bpf && mount -t bpf bpf /sys/fs/bpf
have_fs tracefs && mount -t tracefs tracefs /sys/kernel/tracing
have_fs debugfs && mount -t debugfs debugfs /sys/kernel/debug

SYSVISOR_VM_KERNEL=unknown
for word in $(cat /proc/cmdline); do
  case $word in sysvisor_kernel=*) SYSVISOR_VM_KERNEL=${word#sysvisor_kernel=} ;; esac
done
export SYSVISOR_VM_KERNEL SYSVISOR=/sysvisor/bin/sysvisor HELPERS=/sysvisor/helpers
echo "guest: kernel $(uname -r) ($SYSVISOR_VM_KERNEL), suites: $(ls /sysvisor/guest | tr '\n' ' ')"

passed=0 failed=0 skipped=0
for suite in /sysvisor/guest/*.sh; do
  [ -f "$suite" ] || continue
  name=$(basename "$suite" .sh)
  log=/tmp/guest-$name.log
  cd /
  { timeout "${SYSVISOR_VM_SUITE_TIMEOUT:-600}" sh "$suite" 2>&1 </dev/null; echo $? >/tmp/guest-$name.status; } |
    tee "$log"
  status=$(cat /tmp/guest-$name.status)
  # The suite's last line: "NAME: N passed, M failed" (optionally ", K skipped").
  counts=$(tail -n 1 "$log" | sed -nE 's/^[^:]+: ([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$/\1 \2 \4/p')
  if [ -z "$counts" ]; then
    echo "FAIL $name: no closing 'N passed, M failed' line (exit status $status)"
    failed=$((failed + 1))
    continue
  fi
  set -- $counts
  passed=$((passed + $1)) failed=$((failed + $2)) skipped=$((skipped + ${3:-0}))
  if [ "$status" = 124 ] || [ "$status" = 143 ]; then
    echo "FAIL $name: timed out"
    failed=$((failed + 1))
  fi
done
line="vm-$SYSVISOR_VM_KERNEL: $passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
sync
reboot -f
EOF
chmod 755 "$root/init"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$out.tmp"
mv -f "$out.tmp" "$out"
echo "$out"
