"""Parse a patched text by reusing the parse of the text before it (tree-sitter's
incremental parsing): in a series, patch k+1 changes a few lines of the text patch
k left, and only the part of the tree around the change is parsed again.

The text is kernelized whole (``folint.kernel_c``: a few ms for a big file) and the
edit is the span between the kernelized texts' common prefix and suffix (one span
from the first hunk to the last).  Where the new tree has a syntax error it is
thrown away and the text parsed afresh: error recovery may settle differently when
subtrees are reused, and a check must see what a whole parse gives.
"""

from __future__ import annotations

import functools

import tree_sitter

from folint.kernel_c import kernelize
from folint.parsing import C_LANGUAGE
from folint.source import SourceFile


@functools.lru_cache(maxsize=1)
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(C_LANGUAGE)


def _common_prefix(a: bytes, b: bytes) -> int:
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:  # a[:lo] == b[:lo]; a[:hi + 1] != b[:hi + 1] or past an end
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _point(text: bytes, offset: int) -> tuple[int, int]:
    """(row, column in bytes) of ``offset``, as tree-sitter counts them."""
    return text.count(b"\n", 0, offset), offset - (text.rfind(b"\n", 0, offset) + 1)


def edit_span(old: bytes, new: bytes) -> tuple[int, int, int]:
    """(start, old end, new end): the bytes of ``old`` that ``new`` replaced."""
    start = _common_prefix(old, new)
    room = min(len(old), len(new)) - start  # the suffix may not overlap the prefix
    suffix = _common_prefix(old[::-1][:room], new[::-1][:room])
    return start, len(old) - suffix, len(new) - suffix


def reparsed(before: SourceFile, path: str, raw: bytes) -> SourceFile:
    """``raw`` parsed, reusing ``before``'s parse (which is left as it was)."""
    code = kernelize(raw)
    start, old_end, new_end = edit_span(before.code, code)
    old = before.tree.copy()
    old.edit(start_byte=start, old_end_byte=old_end, new_end_byte=new_end,
             start_point=_point(before.code, start), old_end_point=_point(before.code, old_end),
             new_end_point=_point(code, new_end))
    tree = _parser().parse(code, old)
    if tree.root_node.has_error:
        tree = _parser().parse(code)
    return SourceFile(path, raw, parsed=(code, tree))
