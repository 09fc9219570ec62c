#!/usr/bin/env python3
"""library_manual: sysvisor(3) documents every public name of include/sysvisor/ (issue 16).

Usage: library_manual.py INCLUDE_DIR MAN_PAGE

The names come from the headers, through universal-ctags (the parser style_function_length
uses): every type, enumerator, free function, constant and alias of namespace sysvisor, and every
public member (data member or member function) of its structs and classes; not namespace detail,
private or protected members, constructors, destructors or operators, nor the SYSVISOR_API macro.
The test fails, one line per name, when the manual (its text, troff escapes removed)
  - lacks a namespace-level name as a word;
  - lacks a member M of type T both as "T::M" and inside a display that declares T (from a line
    "struct T", "class T" or "enum class T" of an .EX block to the end of that block).
Exit 77 (skip) without ctags.

Checked by hand that it fails (the mutants it kills): the line "uint64_t seed = 0;" deleted from
the KinjectRule display of sysvisor.3 (KinjectRule::seed missing: "seed" elsewhere in the page
does not count); a member added to LogEntry without a word in the manual; every mention of
parse_kinject_option deleted.
"""
import pathlib
import re
import shutil
import subprocess
import sys

# ctags kinds that are no public name of the library.
SKIP_KINDS = {"namespace", "macro", "tparam", "local", "parameter", "header"}


def ctags_names(include_dir):
    headers = sorted(str(p) for p in pathlib.Path(include_dir, "sysvisor").glob("*.hpp"))
    out = subprocess.run(["ctags", "--language-force=C++", "--kinds-C++=*", "--fields=+aKsz", "--extras=-F",
                          "-o", "-", *headers], check=True, capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        fields = line.split("\t")
        name = fields[0]
        extra = dict(f.split(":", 1) for f in fields[3:] if ":" in f)
        scope = next((v for k, v in extra.items() if k in ("namespace", "struct", "class", "enum", "union")), "")
        if extra.get("kind") in SKIP_KINDS or extra.get("access") in ("private", "protected"):
            continue
        if not scope.startswith("sysvisor") or scope.startswith("sysvisor::detail"):
            continue
        owner = scope.removeprefix("sysvisor").removeprefix("::")
        if name.startswith("operator") or name.startswith("~") or name == owner.rsplit("::", 1)[-1]:
            continue
        names.add((owner, name))
    return names


def plain_text(troff):
    """The manual's words: font escapes and special characters resolved, macro names dropped."""
    text = re.sub(r"\\f[BIRP]|\\&|\\c", "", troff)
    for escape, char in ((r"\-", "-"), (r"\(dq", '"'), (r"\(aq", "'"), (r"\(->", "->"), (r"\e", "\\")):
        text = text.replace(escape, char)
    lines = []
    for line in text.splitlines():
        if line.startswith(".\\\""):
            continue
        m = re.match(r"^\.(B|I|BI|BR|IB|IR|RB|RI)\s+(.*)$", line)
        if m:
            words = re.findall(r'"[^"]*"|\S+', m.group(2))
            line = "".join(w.strip('"') for w in words)  # alternating fonts join their words
        lines.append(line)
    return "\n".join(lines)


def declaring_blocks(text):
    """{type name: [each declaration of it in the .EX ... .EE displays, up to its closing brace]}."""
    blocks = {}
    for block in re.findall(r"^\.EX$(.*?)^\.EE$", text, flags=re.S | re.M):
        for m in re.finditer(r"^\s*(?:template\s*<[^>]*>\s*)?(?:struct|class|enum class|enum)\s+(\w+)", block, re.M):
            end, depth = m.end(), 0
            while end < len(block):
                depth += {"{": 1, "}": -1}.get(block[end], 0)
                end += 1
                if depth == 0 and block[end - 1] in "};":  # the body's closing brace, or a declaration's end
                    break
            blocks.setdefault(m.group(1), []).append(block[m.start():end])
    return blocks


def missing(names, text):
    blocks = declaring_blocks(text)
    out = []
    for owner, name in sorted(names):
        word = re.compile(r"(?<![\w])" + re.escape(name) + r"(?![\w])")
        if not owner:
            if not word.search(text):
                out.append(f"sysvisor::{name} is not in the manual")
            continue
        short = owner.rsplit("::", 1)[-1]
        if f"{short}::{name}" in text or any(word.search(b) for b in blocks.get(short, [])):
            continue
        out.append(f"sysvisor::{owner}::{name} is neither '{short}::{name}' nor in a display of {short}")
    return out


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    if shutil.which("ctags") is None:
        print("library_manual: skipped: universal-ctags is not installed")
        return 77
    names = ctags_names(argv[1])
    if len(names) < 50:
        sys.exit(f"library_manual: only {len(names)} names found in {argv[1]}/sysvisor: is ctags universal-ctags?")
    with open(argv[2]) as f:
        text = plain_text(f.read())
    problems = missing(names, text)
    for line in problems:
        print(f"library_manual: {line}")
    if problems:
        print(f"library_manual: FAIL: {len(problems)} of {len(names)} public names undocumented in {argv[2]}")
        return 1
    print(f"library_manual: all {len(names)} public names of {argv[1]}/sysvisor are in {argv[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
