#!/usr/bin/env bash
# The Debian package (`make deb`): builds it from this build directory with cpack, as `make deb` does,
# then checks what a user of the .deb gets, unpacked into a temporary root with dpkg-deb -x: the file
# name, Depends (a package for every library the binaries need), the files, the unpacked sysvisor
# --version, copycat on a redirect, `man -l` on every page, and lintian without errors.
# Exit 77 (skipped) when a Debian tool it needs is missing (`make test` installs them all).
#
# Mutants killed: CPACK_DEBIAN_PACKAGE_SHLIBDEPS off (no Depends), the copycat link or a manual page
# not installed, man pages left uncompressed or broken, copycat not redirecting, the ldconfig trigger
# dropped (lintian: lacks-ldconfig-trigger), a version that does not match the package's.
set -euo pipefail
build=$1 cpack=${2:-cpack}
for tool in "$cpack" dpkg-deb dpkg-shlibdeps dpkg-query file man readelf lintian; do
  command -v "$tool" >/dev/null || { echo "deb: skipped: '$tool' is missing (make test installs it)"; exit 77; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
checks=0
fail() { echo "deb: FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok: $*"; }

# Build the package as `make deb` does (cpack from the build directory), outside the build directory.
"$cpack" -G DEB --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; fail "cpack -G DEB failed"; }
arch=$(dpkg --print-architecture)
debs=("$work"/out/sysvisor_*.deb)
[ ${#debs[@]} = 1 ] && [ -f "${debs[0]}" ] || fail "expected one sysvisor_*.deb, got: ${debs[*]}"
deb=${debs[0]}
version=$(dpkg-deb -f "$deb" Version)
[ "$(basename "$deb")" = "sysvisor_${version}_${arch}.deb" ] || fail "file name $(basename "$deb"), version $version"
[ "$(dpkg-deb -f "$deb" Package)" = sysvisor ] && [ "$(dpkg-deb -f "$deb" Architecture)" = "$arch" ] ||
  fail "control: $(dpkg-deb -f "$deb" Package Architecture)"
ok "$(basename "$deb")"

# Depends: the package of every library sysvisor and libsysvisor.so need, found here with dpkg -S
# (not with dpkg-shlibdeps, which made the field), libseccomp2 and libfmt in any case.
dpkg-deb -x "$deb" "$work/root"
depends=$(dpkg-deb -f "$deb" Depends)
mapfile -t depends_names < <(sed 's/, */\n/g' <<<"$depends" | sed 's/[ (].*//')
depends_on() { local d; for d in "${depends_names[@]}"; do [[ "$d" == $1 ]] && return 0; done; return 1; }
for pkg in libc6 libseccomp2 'libfmt[0-9]*'; do depends_on "$pkg" || fail "Depends lacks $pkg: $depends"; done
# dpkg registers a library under /lib or /usr/lib, as the package shipped it (merged /usr: both reach it).
owner_of() {
  local p q
  for p in "$1" "$(realpath "$1")"; do
    for q in "$p" "/usr$p" "${p#/usr}"; do
      dpkg-query -S "$q" 2>/dev/null | sed -n '1s/:.*//p' | grep . && return 0
    done
  done
  return 1
}
lib=$(dirname "$(find "$work/root" -name 'libsysvisor.so.*.*' -type f | head -n 1)")
libs=0
[ -d "$lib" ] || fail "no libsysvisor.so in the package"
for elf in "$work/root/usr/bin/sysvisor" "$lib"/libsysvisor.so.*.*; do
  for needed in $(readelf -d "$elf" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    [[ "$needed" == libsysvisor.so.* ]] && continue  # in this package
    path=$(ldd "$elf" | awk -v n="$needed" '$1 == n && $2 == "=>" {print $3; exit}')
    [ -f "$path" ] || fail "$needed (needed by $elf) is not on this system"
    owner=$(owner_of "$path") || fail "no package owns $path"
    depends_on "$owner" || fail "$(basename "$elf") needs $needed from $owner, which Depends lacks: $depends"
    libs=$((libs + 1))
  done
done
[ "$libs" -ge 6 ] || fail "only $libs libraries needed by sysvisor and libsysvisor.so: readelf output not understood"
ok "Depends covers the $libs libraries the binaries need: $depends"

# The files.
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/sysvisor "./usr/bin/copycat -> sysvisor" ./usr/share/man/man1/sysvisor.1.gz \
         ./usr/share/man/man1/copycat.1.gz ./usr/share/man/man3/sysvisor.3.gz ./usr/include/sysvisor/supervisor.hpp \
         /libsysvisor.a /libsysvisor.so.0 /pkgconfig/sysvisor.pc /cmake/sysvisor/sysvisorConfig.cmake \
         ./usr/share/doc/sysvisor/copyright ./usr/share/doc/sysvisor/changelog.gz; do
  grep -qF -- "$f" <<<"$contents" || fail "the package lacks $f"
done
ok "files: binaries, copycat link, man pages, library, headers, CMake package, pkg-config file"

# The unpacked programs run. LD_LIBRARY_PATH as an install would give (they link the static core).
export LD_LIBRARY_PATH=$lib
out=$("$work/root/usr/bin/sysvisor" --version)
[ "$out" = "sysvisor $version" ] || fail "sysvisor --version: '$out', package version $version"
ok "sysvisor --version: $out"
echo "the real file" >"$work/real.conf"
if cat /nonexistent/sysvisor-deb-test.conf 2>/dev/null; then fail "control: /nonexistent/sysvisor-deb-test.conf exists"; fi
out=$(COPYCAT="/nonexistent/sysvisor-deb-test.conf $work/real.conf" \
      "$work/root/usr/bin/copycat" -- cat /nonexistent/sysvisor-deb-test.conf 2>&1) || fail "copycat: $out"
[ "$out" = "the real file" ] || fail "copycat printed '$out'"
ok "copycat redirects /nonexistent/sysvisor-deb-test.conf"

# man -l on every page: exit 0, nothing on stderr, the page's NAME section.
pages=0
for page in "$work"/root/usr/share/man/man*/*; do
  MANWIDTH=80 man -l -P cat "$page" >"$work/man.out" 2>"$work/man.err" || fail "man -l $page: $(cat "$work/man.err")"
  [ ! -s "$work/man.err" ] || fail "man -l $(basename "$page"): $(cat "$work/man.err")"
  name=$(basename "$page" | cut -d. -f1)
  grep -q "^NAME" "$work/man.out" && grep -q "^ *$name" "$work/man.out" || fail "man -l $(basename "$page"): no NAME"
  pages=$((pages + 1))
done
[ "$pages" = 3 ] || fail "$pages manual pages, expected 3"
ok "man -l: $pages pages"

# lintian: every finding listed; an error fails the test, and so does lintian failing to run.
status=0
lintian --display-level '>=warning' "$deb" >"$work/lintian.out" 2>"$work/lintian.err" || status=$?
sed 's/^/lintian: /' "$work/lintian.out"
grep -v 'running with root privileges' "$work/lintian.err" >&2 || true
! grep -q '^E: ' "$work/lintian.out" || fail "lintian reports errors"
[ "$status" = 0 ] || fail "lintian exited with status $status"
ok "lintian: no errors, $(grep -c '^W: ' "$work/lintian.out" || true) warnings"
echo "deb: $checks passed, 0 failed"
