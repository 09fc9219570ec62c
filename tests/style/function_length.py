#!/usr/bin/env python3
"""Fails when a function in the given trees is longer than the limit (default 60 lines).

Functions and their extents come from universal-ctags (--fields=+ne: start line and end line);
lambdas are counted as part of the function that holds them. Data tables are not functions and
are not counted. Usage: function_length.py [--max N] DIR... ; exit 1 and one line per offender.
"""
import argparse
import shutil
import subprocess
import sys

EXTENSIONS = ('.c', '.cc', '.cpp', '.h', '.hpp')


def functions(paths):
    out = subprocess.run(['ctags', '-R', '--languages=C,C++', '--kinds-C=f', '--kinds-C++=f',
                          '--fields=+ne', '--extras=-F', '-o', '-', *paths],
                         check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        fields = line.split('\t')
        name, path = fields[0], fields[1]
        if name.startswith('__anon') or not path.endswith(EXTENSIONS):
            continue
        extra = dict(f.split(':', 1) for f in fields[3:] if ':' in f)
        if 'line' in extra and 'end' in extra:
            yield path, int(extra['line']), int(extra['end']), name


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--max', type=int, default=60)
    parser.add_argument('paths', nargs='+')
    args = parser.parse_args()
    if shutil.which('ctags') is None:
        print('function_length: skipped: no ctags (Debian: universal-ctags)')
        return 77
    long_ones = sorted((end - start + 1, path, start, name)
                       for path, start, end, name in functions(args.paths) if end - start + 1 > args.max)
    for length, path, start, name in long_ones:
        print(f'{path}:{start}: {name} is {length} lines (limit {args.max})')
    count = sum(1 for _ in functions(args.paths))
    print(f'function_length: {count} functions, {len(long_ones)} over {args.max} lines')
    return 1 if long_ones else 0


if __name__ == '__main__':
    sys.exit(main())
