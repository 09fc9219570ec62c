#!/usr/bin/env bash
# library_cxx17: every public header, included alone from C++17, stops with one clear first error
# (sysvisor/api.hpp's #error), and compiles alone from C++20 (the control: the guard does not fire
# there, and each header is self-contained).
# Usage: library_cxx17.sh CXX INCLUDE_DIR
# Fails (checked by hand) when the #error is removed from api.hpp (C++17 then first fails on
# std::span or a defaulted operator==), when a header does not include api.hpp before its first
# C++20 construct, or when the guard's condition is wrong (C++20 also stops).
set -uo pipefail
cxx=$1 include=$2
expected='error: #error "sysvisor requires C++20 (-std=c++20)"'
expected_clang='error: "sysvisor requires C++20 (-std=c++20)"'
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0 checked=0

check_header() {
  local header=$1 out first
  printf '#include <sysvisor/%s>\n' "$header" > "$work/x.cpp"
  if out=$("$cxx" -std=c++17 -fsyntax-only -I "$include" "$work/x.cpp" 2>&1); then
    echo "library_cxx17: $header: compiles with -std=c++17 (expected the C++20 error)"
    return 1
  fi
  first=$(grep -m1 'error:' <<<"$out")
  if [[ $first != *"$expected"* && $first != *"$expected_clang"* ]]; then
    echo "library_cxx17: $header: first error with -std=c++17 is not the C++20 one:"
    echo "  $first"
    return 1
  fi
  if ! out=$("$cxx" -std=c++20 -fsyntax-only -I "$include" "$work/x.cpp" 2>&1); then
    echo "library_cxx17: $header: does not compile alone with -std=c++20:"
    echo "$out" | head -5
    return 1
  fi
}

for path in "$include"/sysvisor/*.hpp; do
  checked=$((checked + 1))
  check_header "$(basename "$path")" || failed=$((failed + 1))
done
if ((checked == 0)); then
  echo "library_cxx17: no header in $include/sysvisor"
  exit 1
fi
echo "library_cxx17: $((checked - failed)) of $checked public headers give the C++20 error from C++17"
((failed == 0))
