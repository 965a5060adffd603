"""Which functions a change touches: those holding an added line, or a place
where lines were removed (both neighbours of the gap inside the function)."""

from __future__ import annotations

from folint.source import SourceFile


def function_lines(src: SourceFile) -> list[tuple[str, int, int]]:
    """(name, first line, last line) of each function definition."""
    return [(fn.name, src.position(fn.node.start_byte)[0], src.position(max(fn.node.end_byte - 1, 0))[0])
            for fn in src.all_functions]


def touched_functions(src: SourceFile, added: set[int], gaps: set[int]) -> set[str]:
    out = set()
    for name, lo, hi in function_lines(src):
        if any(lo <= n <= hi for n in added) or any(lo < n <= hi for n in gaps):
            out.add(name)
    return out
