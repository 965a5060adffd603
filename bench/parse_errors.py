#!/usr/bin/env python3
"""Measure how often tree-sitter-c chokes on kernel functions, raw vs kernelized.

Usage: python bench/parse_errors.py [TREE_DIR] [--raw] [--show N]

Parses every .c and .h file under TREE_DIR (default: the mm/ directory of the
Linux 6.12 tree in /tmp/linux) and prints the number of files, function
definitions, and the share of function definitions that contain an ERROR or
MISSING node, for the raw text and (unless --raw) for the text after
folint.kernel_c.kernelize, plus the CPU time kernelize took.  --show N prints
the source lines of the N most frequent kinds of first error inside a
function, which is how the remaining causes were found.

The two function counts differ a little: raw parses also report "functions"
made up by error recovery, and kernelize drops #if 0 and __ASSEMBLY__ code.

Only the package folint/kernel_c/ is used from folint (the checkout's own, found
next to this script, whether or not folint is installed).
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time
from pathlib import Path

import tree_sitter_c
from tree_sitter import Language, Node, Parser, Query, QueryCursor

DEFAULT_TREE = "/tmp/linux/linux-source-6.12/mm"
NEWLINES_ONLY = bytes(10 if b == 10 else 0 for b in range(256))
CHECKOUT = Path(__file__).resolve().parent.parent


def load_kernelize():
    sys.path.insert(0, str(CHECKOUT))
    from folint.kernel_c import kernelize

    return kernelize


def source_files(tree: str):
    for root, dirs, files in os.walk(tree):
        dirs.sort()
        for name in sorted(files):
            if name.endswith((".c", ".h")):
                yield os.path.join(root, name)


FUNCTIONS_QUERY = "(function_definition) @fn"


def function_definitions(query: Query, root: Node) -> list[Node]:
    """Every function_definition node, including ones nested in ERROR nodes."""
    return QueryCursor(query).captures(root).get("fn", [])


def first_error(node: Node) -> Node | None:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.is_error or n.is_missing:
            return n
        if n.has_error:
            stack.extend(reversed(n.children))
    return None


class Tally:
    def __init__(self) -> None:
        self.functions = 0
        self.bad_functions = 0
        self.bad_files = 0
        self.parse_seconds = 0.0
        self.samples: collections.Counter[str] = collections.Counter()
        self.where: dict[str, str] = {}

    def add(self, parser: Parser, query: Query, src: bytes, path: str,
            keep_samples: bool) -> None:
        start = time.process_time()
        tree = parser.parse(src)
        self.parse_seconds += time.process_time() - start
        if tree.root_node.has_error:
            self.bad_files += 1
        for fn in function_definitions(query, tree.root_node):
            self.functions += 1
            if fn.has_error:
                self.bad_functions += 1
                if keep_samples:
                    self.sample(fn, src, path)

    def sample(self, fn: Node, src: bytes, path: str) -> None:
        err = first_error(fn)
        if err is None:
            return
        row = err.start_point[0]
        line = src.split(b"\n", row + 1)[row] if row < src.count(b"\n") + 1 else b""
        key = line.strip()[:90].decode("utf-8", "replace")
        self.samples[key] += 1
        self.where.setdefault(key, f"{path}:{row + 1}")

    def share(self) -> float:
        return 100.0 * self.bad_functions / self.functions if self.functions else 0.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tree", nargs="?", default=DEFAULT_TREE)
    ap.add_argument("--raw", action="store_true", help="measure raw parsing only")
    ap.add_argument("--show", type=int, default=0, metavar="N",
                    help="print the N most common first-error lines")
    args = ap.parse_args(argv)

    if not os.path.isdir(args.tree):
        print(f"not a directory: {args.tree}", file=sys.stderr)
        return 2
    lang = Language(tree_sitter_c.language())
    parser = Parser(lang)
    query = Query(lang, FUNCTIONS_QUERY)
    kernelize = None if args.raw else load_kernelize()

    raw, kern = Tally(), Tally()
    files = 0
    total_bytes = 0
    kernelize_seconds = 0.0
    for path in source_files(args.tree):
        with open(path, "rb") as f:
            src = f.read()
        files += 1
        total_bytes += len(src)
        raw.add(parser, query, src, path, keep_samples=args.raw and args.show > 0)
        if kernelize is None:
            continue
        start = time.process_time()
        out = kernelize(src)
        kernelize_seconds += time.process_time() - start
        if out.translate(NEWLINES_ONLY) != src.translate(NEWLINES_ONLY):
            print(f"BUG: kernelize moved bytes in {path}", file=sys.stderr)
        kern.add(parser, query, out, path, keep_samples=args.show > 0)

    mb = total_bytes / 1e6
    print(f"tree:                  {args.tree}")
    print(f"files:                 {files} ({mb:.1f} MB)")
    print(f"raw:        {raw.functions:6d} function definitions, "
          f"{raw.bad_functions:5d} with ERROR/MISSING = {raw.share():5.2f}%, "
          f"{raw.bad_files} files with errors, parse {raw.parse_seconds:.2f}s")
    if kernelize is not None:
        print(f"kernelized: {kern.functions:6d} function definitions, "
              f"{kern.bad_functions:5d} with ERROR/MISSING = {kern.share():5.2f}%, "
              f"{kern.bad_files} files with errors, parse {kern.parse_seconds:.2f}s")
        per_mb = 1000.0 * kernelize_seconds / mb if mb else 0.0
        print(f"kernelize CPU time:    {kernelize_seconds:.3f}s total, "
              f"{per_mb:.1f} ms/MB")
    shown = kern if kernelize is not None else raw
    for key, count in shown.samples.most_common(args.show):
        print(f"{count:5d}  {key}    [{shown.where[key]}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
