"""``folint loops PATH...``: list every per-page loop the model recognises.

One line a loop: ``path:line: function(): for folio=F index=I bound=B``.
"""

from __future__ import annotations

import sys

from folint.checker import read_source
from folint.config import DEFAULT_MAX_FILE_SIZE
from folint.discovery import discover
from folint.source import SourceFile


def configure(p, _name):
    p.add_argument("paths", nargs="+", metavar="PATH", help="files and folders")


def run(args) -> int:
    found = discover(args.paths)
    for e in found.errors:
        print(f"{e.path}: error: {e.message}", file=sys.stderr)
    count = 0
    for path in found.files:
        raw, err = read_source(path, DEFAULT_MAX_FILE_SIZE)
        if err is not None:
            print(f"{err.path}: error: {err.message}", file=sys.stderr)
            continue
        src = SourceFile(path, raw)
        for loop in src.page_loops:
            line, _ = src.position(loop.node.start_byte)
            print(f"{path}:{line}: {loop.function.name}(): {loop.kind} {loop.describe()}")
            count += 1
    print(f"{count} per-page loop{'s' * (count != 1)} in {len(found.files)} file{'s' * (len(found.files) != 1)}",
          file=sys.stderr)
    return 0
