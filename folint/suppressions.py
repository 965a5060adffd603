"""Inline suppressions: ``/* folint: ignore[FOL002] reason */``.

On the finding's line or the line before it silences that line; directly
before a function definition it silences the whole function.  Without a
``[...]`` list it silences every rule.
"""

from __future__ import annotations

import re

from folint import cnodes
from folint.finding import Finding
from folint.source import SourceFile

_MARK = re.compile(rb"folint:\s*ignore(?:\[([A-Za-z0-9_,\s]*)\])?")
ALL = "*"


def _codes(m: re.Match) -> set[str]:
    if m.group(1) is None:
        return {ALL}
    return {c.strip().upper() for c in m.group(1).decode().split(",") if c.strip()} or {ALL}


def apply_suppressions(src: SourceFile, findings: list[Finding]) -> list[Finding]:
    if not findings or b"folint:" not in src.raw:
        return findings
    by_line: dict[int, set[str]] = {}
    ranges: list[tuple[int, int, set[str]]] = []  # whole functions
    for comment in cnodes.of_type(src.root, "comment"):
        m = _MARK.search(comment.text)
        if not m:
            continue
        codes = _codes(m)
        line, _ = src.position(comment.start_byte)
        end_line, _ = src.position(comment.end_byte)
        for ln in range(line, end_line + 2):
            by_line.setdefault(ln, set()).update(codes)
        nxt = comment.next_named_sibling
        if nxt is not None and nxt.type == "function_definition":
            ranges.append((src.position(nxt.start_byte)[0], src.position(nxt.end_byte)[0], codes))

    def silenced(f: Finding) -> bool:
        codes = by_line.get(f.line, set())
        if ALL in codes or f.code in codes:
            return True
        return any(lo <= f.line <= hi and (ALL in c or f.code in c) for lo, hi, c in ranges)

    return [f for f in findings if not silenced(f)]
