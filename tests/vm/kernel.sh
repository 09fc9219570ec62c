#!/bin/bash
# tests/vm/kernel.sh minimal|stock OUTDIR
#
# Puts a guest kernel at OUTDIR/bzImage (a copy out of the cache) and prints that path.
#   minimal  built from Debian's linux-source-6.12: tinyconfig + tests/vm/minimal.config (~4.5 min on 2 cores).
#   stock    Debian's linux-image-6.12.*+deb12-amd64-unsigned, only its ./boot/vmlinuz-* (apt-get download).
# Both are cached under ${SYSVISOR_VM_CACHE:-$HOME/.cache/sysvisor-vm}: minimal keyed by the source package's
# version and the fragment's hash, stock by the package's name and version. A second run takes seconds.
# Needs: linux-source-6.12 dwarves flex bison bc libssl-dev libelf-dev (minimal), apt (stock), flock.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${SYSVISOR_VM_CACHE:-$HOME/.cache/sysvisor-vm}
# Bump when the build recipe below changes in a way that changes the kernel.
recipe=1

die() { echo "kernel.sh: $*" >&2; exit 1; }
log() { echo "kernel.sh: $*" >&2; }

[ $# -eq 2 ] || die "usage: kernel.sh minimal|stock OUTDIR"
kind=$1
out=$2
mkdir -p "$out" "$cache"

# as_root CMD...: runs CMD as root (sudo when not root).
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# deliver CACHED_FILE: copies it to OUTDIR/bzImage and prints the path.
deliver() {
  cp -f "$1" "$out/bzImage.tmp"
  mv -f "$out/bzImage.tmp" "$out/bzImage"
  echo "$out/bzImage"
}

build_minimal() {
  local tarball=/usr/src/linux-source-6.12.tar.xz
  local fragment=$here/minimal.config
  local version
  version=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) ||
    die "linux-source-6.12 is not installed (apt-get install linux-source-6.12)"
  [ -f "$tarball" ] || die "$tarball missing (reinstall linux-source-6.12)"
  local hash
  hash=$( { cat "$fragment"; echo "recipe=$recipe"; } | sha256sum | cut -c1-16)
  local key="minimal-${version//[^A-Za-z0-9.+-]/_}-$hash"
  local entry=$cache/$key

  exec 9>"$cache/$key.lock"
  flock 9
  if [ -f "$entry/bzImage" ]; then
    log "minimal: cached $entry/bzImage"
    deliver "$entry/bzImage"
    return
  fi

  for tool in make gcc flex bison bc pahole; do
    command -v $tool >/dev/null || die "minimal: '$tool' not found (apt-get install build-essential flex bison bc dwarves)"
  done
  work=$cache/work-$key  # global: the EXIT trap removes it, keeping the logs in $cache/$key.log on failure
  rm -rf "$work"
  mkdir -p "$work"
  trap 'status=$?; [ $status = 0 ] || cat "$work"/*.log >"$cache/'"$key"'.log" 2>/dev/null; rm -rf "$work"; exit $status' EXIT
  log "minimal: building linux-source-6.12 $version with $(basename "$fragment") in $work"
  local t0=$SECONDS
  # The whole tree: Kconfig sources files under every arch/ and Documentation/.
  tar -xJf "$tarball" -C "$work" --strip-components=1 ||
    die "minimal: cannot unpack $tarball"
  log "minimal: unpacked in $((SECONDS - t0)) s"
  local src=$work
  local obj=$work/out
  local jobs
  jobs=$(nproc)
  make -s -C "$src" O="$obj" tinyconfig >"$work/config.log" 2>&1 || { cat "$work/config.log" >&2; die "minimal: tinyconfig failed"; }
  (cd "$src" && scripts/kconfig/merge_config.sh -m -O "$obj" "$obj/.config" "$fragment") >>"$work/config.log" 2>&1 ||
    { cat "$work/config.log" >&2; die "minimal: merge_config.sh failed"; }
  make -s -C "$src" O="$obj" olddefconfig >>"$work/config.log" 2>&1 || { cat "$work/config.log" >&2; die "minimal: olddefconfig failed"; }

  # Every option of the fragment must have survived olddefconfig (a dependency missing drops it silently).
  local missing=() line name want got
  while IFS= read -r line; do
    case $line in
      CONFIG_*=*) name=${line%%=*}; want=$line ;;
      '# CONFIG_'*' is not set') name=${line#'# '}; name=${name%% *}; want="# $name is not set" ;;
      *) continue ;;
    esac
    got=$(grep -E "^$name=|^# $name is not set" "$obj/.config" || true)
    [ "$want" = "$got" ] || missing+=("$want (got: ${got:-absent})")
  done <"$fragment"
  if [ ${#missing[@]} -gt 0 ]; then
    log "minimal: these options of $(basename "$fragment") did not stick after olddefconfig:"
    printf '  %s\n' "${missing[@]}" >&2
    die "minimal: fix $fragment (a dependency of each option above is missing)"
  fi

  log "minimal: make -j$jobs bzImage"
  if ! make -C "$src" O="$obj" -j"$jobs" bzImage >"$work/build.log" 2>&1; then
    tail -n 40 "$work/build.log" >&2
    die "minimal: kernel build failed (full log: $cache/$key.log)"
  fi
  mkdir -p "$entry.tmp"
  cp "$obj/arch/x86/boot/bzImage" "$entry.tmp/bzImage"
  cp "$obj/.config" "$entry.tmp/config"
  echo "linux-source-6.12 $version, fragment sha256 prefix $hash, recipe $recipe, built in $((SECONDS - t0)) s" \
    >"$entry.tmp/INFO"
  rm -rf "$entry" "$cache/$key.log"
  mv "$entry.tmp" "$entry"
  log "minimal: built in $((SECONDS - t0)) s, cached in $entry"
  deliver "$entry/bzImage"
}

# stock_package: prints "NAME VERSION" of the newest linux-image-6.12.*+deb12-amd64-unsigned apt knows.
stock_package() {
  local signed name version
  signed=$(apt-cache depends linux-image-6.12-amd64 2>/dev/null |
           sed -n 's/^ *Depends: \(linux-image-6\.12\.[0-9]*+deb12-amd64\)$/\1/p' | head -n1)
  if [ -n "$signed" ] && apt-cache show "$signed-unsigned" >/dev/null 2>&1; then
    name=$signed-unsigned
  else
    name=$(apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' 2>/dev/null |
           awk '{print $1}' | sort -V | tail -n1)
  fi
  [ -n "$name" ] || return 1
  version=$(apt-cache policy "$name" | sed -n 's/^ *Candidate: //p')
  [ -n "$version" ] && [ "$version" != "(none)" ] || return 1
  echo "$name $version"
}

fetch_stock() {
  local pkg
  if ! pkg=$(stock_package); then
    log "stock: apt does not know linux-image-6.12-amd64 yet: apt-get update"
    as_root apt-get update -qq >&2 || log "stock: apt-get update failed"
    if ! pkg=$(stock_package); then
      # Offline and apt knows nothing: the newest kernel already cached will do.
      local newest
      newest=$(ls -d "$cache"/stock-*/ 2>/dev/null | sort -V | tail -n1)
      [ -n "$newest" ] && [ -f "$newest/vmlinuz" ] || die "stock: no linux-image-6.12.*+deb12-amd64-unsigned package in apt"
      log "stock: using the cached $newest"
      deliver "$newest/vmlinuz"
      return
    fi
  fi
  local name=${pkg% *} version=${pkg#* }
  local key="stock-${name//[^A-Za-z0-9.+-]/_}_${version//[^A-Za-z0-9.+-]/_}"
  local entry=$cache/$key
  exec 9>"$cache/$key.lock"
  flock 9
  if [ -f "$entry/vmlinuz" ]; then
    log "stock: cached $entry/vmlinuz"
    deliver "$entry/vmlinuz"
    return
  fi
  # apt-get download as root hands the file to _apt: a directory it can enter and write.
  work=$(mktemp -d "${TMPDIR:-/tmp}/sysvisor-stock.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  chmod 777 "$work"
  mkdir "$work/root"
  log "stock: apt-get download $name=$version"
  if ! (cd "$work" && apt-get download -q "$name=$version" >&2); then
    # Stale package lists: the mirror may have moved on to a newer build.
    log "stock: download failed: apt-get update and retry"
    as_root apt-get update -qq >&2 || true
    pkg=$(stock_package) || die "stock: no linux-image-6.12.*+deb12-amd64-unsigned package in apt"
    name=${pkg% *} version=${pkg#* }
    (cd "$work" && apt-get download -q "$name=$version" >&2) || die "stock: apt-get download $name=$version failed"
    key="stock-${name//[^A-Za-z0-9.+-]/_}_${version//[^A-Za-z0-9.+-]/_}"
    entry=$cache/$key
  fi
  local deb
  deb=$(ls "$work"/*.deb | head -n1)
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work/root" --wildcards './boot/vmlinuz-*' ||
    die "stock: no ./boot/vmlinuz-* in $deb"
  local image
  image=$(ls "$work"/root/boot/vmlinuz-* | head -n1)
  mkdir -p "$entry.tmp"
  cp "$image" "$entry.tmp/vmlinuz"
  echo "$name $version ($(basename "$image"))" >"$entry.tmp/INFO"
  rm -rf "$entry"
  mv "$entry.tmp" "$entry"
  log "stock: cached $entry ($(basename "$image"))"
  deliver "$entry/vmlinuz"
}

case $kind in
  minimal) build_minimal ;;
  stock) fetch_stock ;;
  *) die "unknown kernel kind '$kind' (minimal or stock)" ;;
esac
