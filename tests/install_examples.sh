#!/usr/bin/env bash
# Installs the built project into a temporary prefix, one the dynamic loader does not search, and
# uses it from outside as a test author would, without LD_LIBRARY_PATH:
#   examples   examples/ built out of tree (find_package(sysvisor COMPONENTS static)) and run;
#   exports    the shared target's exported INTERFACE_LINK_LIBRARIES name no fmt, libseccomp or
#              libbpf (the static target's do: the control that the check can see them);
#   no-deps    a consumer that cannot find fmt nor pkg-config (CMAKE_DISABLE_FIND_PACKAGE_*, as
#              without their -dev packages) builds and runs against sysvisor::sysvisor, and asking
#              for the static component then fails naming what is missing;
#   pc-shared  README's one-liner, g++ -std=c++20 x.cpp $(pkg-config --cflags --libs sysvisor),
#              with sysvisor.pc the only .pc file pkg-config sees; the program runs (sysvisor.pc's
#              rpath) and loads the prefix's libsysvisor.so;
#   pc-static  libsysvisor.a with pkg-config --static's flags; the program needs no libsysvisor.so.
set -euo pipefail
build=$(cd "$1" && pwd) source=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset LD_LIBRARY_PATH
prefix=$work/prefix
example=$source/examples/custom_handler.cpp
passed=0

pass() { passed=$((passed + 1)); }
fail() { echo "install_examples: $*" >&2; exit 1; }

install_prefix() {
  cmake --install "$build" --prefix "$prefix" >/dev/null
  test -x "$prefix/bin/sysvisor" && test -L "$prefix/bin/copycat"
  test -f "$prefix/share/man/man3/sysvisor.3" && test -f "$prefix/share/man/man1/sysvisor.1"
  pcdir=$(dirname "$(find "$prefix" -name sysvisor.pc -print -quit)")
  cmakedir=$(dirname "$(find "$prefix" -name sysvisorConfig.cmake -print -quit)")
  test -d "$pcdir" && test -d "$cmakedir"
}

check_examples() {
  cmake -S "$source/examples" -B "$work/examples" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
  cmake --build "$work/examples" -j 2 >/dev/null
  ctest --test-dir "$work/examples" --output-on-failure
  passed=$((passed + $(ctest --test-dir "$work/examples" -N | sed -n 's/^Total Tests: //p')))
}

# Whether the lines of FILES that set a target's link interface name a dependency (no grep -q at
# the end of the pipe: with pipefail, the first grep could die of SIGPIPE).
names_a_dependency() { grep -h 'INTERFACE_LINK_LIBRARIES' "$@" | grep -i -E 'fmt|seccomp|bpf' >/dev/null; }

check_exported_interface() {
  if names_a_dependency "$cmakedir"/sysvisorTargets*.cmake; then
    grep -h 'INTERFACE_LINK_LIBRARIES' "$cmakedir"/sysvisorTargets*.cmake >&2
    fail "exports: sysvisor::sysvisor's exported INTERFACE_LINK_LIBRARIES name fmt, libseccomp or libbpf"
  fi
  names_a_dependency "$cmakedir"/sysvisorStaticTargets*.cmake ||
    fail "exports: control: sysvisor::sysvisor_static's INTERFACE_LINK_LIBRARIES should name them"
  pass
}

# A consumer project in $work/$1 that finds sysvisor with FIND_ARGS ($2) and links sysvisor::sysvisor.
write_consumer() {
  mkdir -p "$work/$1"
  cat > "$work/$1/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.25)
project(consumer LANGUAGES CXX)
find_package(sysvisor 0.1 REQUIRED $2)
if(TARGET fmt::fmt OR TARGET PkgConfig::SECCOMP OR TARGET PkgConfig::LIBBPF OR TARGET sysvisor::sysvisor_static)
  message(FATAL_ERROR "a dependency was found: this consumer checks nothing")
endif()
add_executable(consumer "$example")
target_link_libraries(consumer PRIVATE sysvisor::sysvisor)
EOF
}

configure_without_deps() {
  cmake -S "$work/$1" -B "$work/$1/build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_DISABLE_FIND_PACKAGE_fmt=ON -DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON 2>&1
}

check_consumer_without_deps() {
  local out
  write_consumer no_deps ""
  out=$(configure_without_deps no_deps) || fail "no-deps: configure failed: $out"
  cmake --build "$work/no_deps/build" >/dev/null
  "$work/no_deps/build/consumer"
  pass
  write_consumer no_deps_static "COMPONENTS static"
  if out=$(configure_without_deps no_deps_static); then
    fail "no-deps: COMPONENTS static was found without fmt and libseccomp"
  fi
  out=$(tr -s ' \n' ' ' <<<"$out")  # CMake wraps the package's message
  grep -q 'not found: fmt, libseccomp' <<<"$out" || fail "no-deps: COMPONENTS static: unclear error: $out"
  pass
}

check_pkg_config_shared() {
  # Only sysvisor.pc is visible: no libseccomp.pc, fmt.pc or libbpf.pc, as without -dev packages.
  local bin=$work/handler_pc
  PKG_CONFIG_LIBDIR=$pcdir PKG_CONFIG_PATH='' \
    bash -c 'g++ -std=c++20 "$1" -o "$2" $(pkg-config --cflags --libs sysvisor)' _ "$example" "$bin"
  ldd "$bin" | grep "libsysvisor.so.0 => $prefix/" >/dev/null ||
    fail "pc-shared: libsysvisor.so not from $prefix: $(ldd "$bin")"
  "$bin"
  pass
}

check_pkg_config_static() {
  local bin=$work/handler_pc_static libdir flags=()
  export PKG_CONFIG_LIBDIR=$pcdir PKG_CONFIG_PATH=''
  libdir=$(pkg-config --variable=libdir sysvisor)
  for flag in $(pkg-config --static --libs-only-l sysvisor); do
    [[ $flag == -lsysvisor ]] || flags+=("$flag")
  done
  g++ -std=c++20 "$example" -o "$bin" $(pkg-config --cflags sysvisor) "$libdir/libsysvisor.a" "${flags[@]}"
  unset PKG_CONFIG_LIBDIR PKG_CONFIG_PATH
  if readelf -d "$bin" | grep 'NEEDED.*libsysvisor' >/dev/null; then fail "pc-static: links libsysvisor.so"; fi
  "$bin"
  pass
}

install_prefix
check_examples
check_exported_interface
check_consumer_without_deps
check_pkg_config_shared
check_pkg_config_static
echo "install_examples: $passed passed, 0 failed"
