#!/usr/bin/env bash
# Installs the built project into a temporary prefix, then builds and runs examples/ out of tree
# against it (find_package(sysvisor)), and compiles one example with pkg-config.
set -euo pipefail
build=$1 source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
test -x "$work/prefix/bin/sysvisor" && test -L "$work/prefix/bin/copycat"
test -f "$work/prefix/share/man/man3/sysvisor.3" && test -f "$work/prefix/share/man/man1/sysvisor.1"
cmake -S "$source/examples" -B "$work/examples" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/examples" -j 2 >/dev/null
ctest --test-dir "$work/examples" --output-on-failure
# pkg-config: the static library, as a Makefile user would link it.
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig:$work/prefix/lib/x86_64-linux-gnu/pkgconfig"
g++ -std=c++20 "$source/examples/custom_handler.cpp" -o "$work/custom_handler_pc" \
  $(pkg-config --cflags sysvisor) $(pkg-config --libs --static sysvisor) -Wl,-rpath,"$(pkg-config --variable=libdir sysvisor)"
"$work/custom_handler_pc"
echo "install_examples: 4 passed, 0 failed"
