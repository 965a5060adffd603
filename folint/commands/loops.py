"""``folint loops [--stats] PATH...``: list every per-page loop the model recognises.

One line a loop: ``path:line: function(): for shape=S folio=F index=I bound=B``;
with ``--stats``, the number of loops of each shape (``folint.loops.Shape``)
instead.  Files are gated by the same prefilter the loop rules use, so what
this lists is exactly what FOL001, FOL002, FOL004 and FOL005 look at.
"""

from __future__ import annotations

import sys
from collections import Counter

from folint.checker import read_source
from folint.config import DEFAULT_MAX_FILE_SIZE
from folint.discovery import discover
from folint.loops import Shape
from folint.prefilter import ByteScan, has_page_loop_tokens
from folint.source import SourceFile


def configure(p, _name):
    p.add_argument("paths", nargs="+", metavar="PATH", help="files and folders")
    p.add_argument("--stats", action="store_true", help="print the number of loops per shape, not each loop")


def run(args) -> int:
    found = discover(args.paths)
    for e in found.errors:
        print(f"{e.path}: error: {e.message}", file=sys.stderr)
    shapes: Counter = Counter()
    for path in found.files:
        raw, err = read_source(path, DEFAULT_MAX_FILE_SIZE)
        if err is not None:
            print(f"{err.path}: error: {err.message}", file=sys.stderr)
            continue
        if not has_page_loop_tokens(ByteScan(raw)):
            continue  # the model's own needles: no loop it could recognise
        src = SourceFile(path, raw)
        for loop in src.page_loops:
            if not args.stats:
                line, _ = src.position(loop.node.start_byte)
                print(f"{path}:{line}: {loop.function.name}(): {loop.kind} {loop.describe()}")
            shapes[loop.shape] += 1
    count = sum(shapes.values())
    if args.stats:
        for shape in Shape:
            print(f"{shape.value:<13} {shapes[shape]:>6}")
        print(f"{'total':<13} {count:>6}")
    print(f"{count} per-page loop{'s' * (count != 1)} in {len(found.files)} file{'s' * (len(found.files) != 1)}",
          file=sys.stderr)
    return 0
