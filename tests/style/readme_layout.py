#!/usr/bin/env python3
"""Fails when the README's "Repository layout" table and the tree disagree: every path the table
names must exist, and every folder under src/ (and each top-level folder with code) must be in
the table. Usage: readme_layout.py SOURCE_DIR."""
import os
import re
import sys


def main():
    root = sys.argv[1]
    text = open(os.path.join(root, 'README.md'), encoding='utf-8').read()
    section = text.split('## Repository layout', 1)[1].split('\n## ', 1)[0]
    named = set(re.findall(r'^\| `([^`]+)` \|', section, flags=re.M))
    problems = [f'README names {p}, which does not exist' for p in sorted(named)
                if not os.path.exists(os.path.join(root, p))]
    expected = {f'src/{d}/' for d in os.listdir(os.path.join(root, 'src'))
                if os.path.isdir(os.path.join(root, 'src', d))}
    expected |= {'include/sysvisor/', 'tests/', 'examples/', 'bench/', 'fuzz/', 'man/'}
    problems += [f'README does not name {p}' for p in sorted(expected - named)]
    loose = [f for f in os.listdir(os.path.join(root, 'src')) if os.path.isfile(os.path.join(root, 'src', f))]
    problems += [f'src/{f} is outside the folders the README describes' for f in sorted(loose)]
    for p in problems:
        print(p)
    print(f'readme_layout: {len(named)} paths in the table, {len(problems)} problems')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
