#!/usr/bin/env python3
"""library_exports: libsysvisor.so exports the public API and nothing else (issue 12).

Usage: library_exports.py NM LIBSYSVISOR_SO INCLUDE_DIR SRC_DIR

The public API is read from the headers, not from the library: the names that declarations in
INCLUDE_DIR/sysvisor/*.hpp mark SYSVISOR_API (a class, whose out-of-line members are then
exported, or a function). The test fails when
  - a defined dynamic symbol (nm -D --defined-only, demangled) is none of them: allowed besides
    are the typeinfo and vtable of such a class and the linker's _init, _fini, _edata,
    __bss_start and _end. So std::_Hashtable<...>::_M_rehash or sysvisor::one_line<...> fail it;
  - a symbol names, anywhere in it, a type declared under SRC_DIR (the engine: sysvisor::Server,
    Redirector, NotifyFd, Injector, ... also inside std::vector<sysvisor::X>);
  - a name marked SYSVISOR_API is not exported (a broken mark: SYSVISOR_API defined empty).

Checked by hand that it fails (the mutants it kills): without CXX_VISIBILITY_PRESET hidden in
CMakeLists.txt, libsysvisor.so exports sysvisor::Server::*, sysvisor::NotifyFd::*, ... and the
test lists them; without the version script (cmake/libsysvisor.map), it lists the std::
template instantiations (std::_Hashtable<...>, typeinfo for std::bad_variant_access); with
SYSVISOR_API defined empty, nothing is exported and it lists every marked name as missing.
"""
import pathlib
import re
import subprocess
import sys

LINKER_SYMBOLS = {"_init", "_fini", "_edata", "__bss_start", "_end"}
# Engine types named in issue 12, kept here so that the test keeps them out even once renamed.
ENGINE_TYPES = {"Server", "Redirector", "NotifyFd", "Injector"}
TYPE_DECL = re.compile(r"^(?:class|struct)\s+(?:\[\[[^\]]*\]\]\s*)?(?:SYSVISOR_API\s+)?(\w+)", re.M)


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def marked_names(include_dir):
    """(classes, functions) marked SYSVISOR_API in the public headers."""
    classes, functions = set(), set()
    for header in sorted((include_dir / "sysvisor").glob("*.hpp")):
        text = strip_comments(header.read_text())
        for m in re.finditer(r"\b(class|struct)?\s*\bSYSVISOR_API\b([^({;]*)([({;])", text):
            keyword, declarator = m.group(1), m.group(2)
            if keyword:
                classes.add(re.match(r"\s*(\w+)", declarator).group(1))
            else:
                functions.add(re.search(r"(\w+)\s*(?:=[^=]*)?$", declarator.strip()).group(1))
    return classes, functions


def declared_types(directory, pattern):
    return {m.group(1) for path in directory.rglob(pattern)
            for m in TYPE_DECL.finditer(strip_comments(path.read_text()))}


def dynamic_symbols(nm, library):
    out = subprocess.run([nm, "-D", "--defined-only", "--demangle", str(library)], check=True,
                         capture_output=True, text=True).stdout
    return [line.split(None, 2)[2] for line in out.splitlines() if len(line.split(None, 2)) == 3]


def check(symbols, classes, functions, engine_types):
    """The problems, one line each."""
    names = "|".join(sorted(classes | functions))
    public = re.compile(r"^(?:(?:typeinfo|typeinfo name|vtable) for )?"
                        r"sysvisor::(%s)(?:\[abi:\w+\])?(?:\(|::|$)" % names)
    engine = re.compile(r"\bsysvisor::(?:detail::)?(%s)\b" % "|".join(sorted(engine_types)))
    problems, seen = [], set()
    for symbol in symbols:
        if symbol in LINKER_SYMBOLS:
            continue
        inside = engine.search(symbol)
        if inside:
            problems.append(f"engine internal sysvisor::{inside.group(1)} exported: {symbol}")
            continue
        m = public.match(symbol)
        if not m:
            problems.append(f"not public API (no SYSVISOR_API declaration in include/sysvisor): {symbol}")
        else:
            seen.add(m.group(1))
    for name in sorted((classes | functions) - seen):
        problems.append(f"marked SYSVISOR_API but not exported: sysvisor::{name}")
    return problems


def main(argv):
    if len(argv) != 5:
        sys.exit(__doc__)
    nm, library, include_dir, src_dir = argv[1], pathlib.Path(argv[2]), pathlib.Path(argv[3]), pathlib.Path(argv[4])
    classes, functions = marked_names(include_dir)
    if not classes or not functions:
        sys.exit(f"library_exports: no SYSVISOR_API declaration found in {include_dir}/sysvisor")
    public_types = declared_types(include_dir, "*.hpp")
    engine_types = (declared_types(src_dir, "*.hpp") | ENGINE_TYPES) - public_types - classes
    symbols = dynamic_symbols(nm, library)
    problems = check(symbols, classes, functions, engine_types)
    for line in problems:
        print(f"library_exports: {line}")
    if problems:
        print(f"library_exports: FAIL: {len(problems)} problems in {len(symbols)} exported symbols of {library}")
        return 1
    print(f"library_exports: {len(symbols)} exported symbols, all public API "
          f"({len(classes)} classes, {len(functions)} functions marked SYSVISOR_API)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
