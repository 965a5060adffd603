"""Apply a file's hunks to its text, in memory.

Like ``git apply`` without fuzz: each hunk's removed and kept lines must
match the file exactly; a hunk may land some lines away from where its
header says (an earlier change moved it), nearest position first.  A hunk
that does not match raises HunkFailed with the likely reason.  Nothing is
written anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from folint.patch.model import ADDED, CONTEXT, REMOVED, Hunk, split_lines


class HunkFailed(Exception):
    def __init__(self, hunk: Hunk, reason: str):
        super().__init__(reason)
        self.hunk = hunk
        self.reason = reason


@dataclass
class Applied:
    text: str
    added: set[int] = field(default_factory=set)  # patched-file lines the patch added
    gaps: set[int] = field(default_factory=set)   # line n: lines were removed just before line n


def _find(lines: list[str], old: list[str], expected: int, lo: int,
          key: Callable[[str], str] | None = None) -> int | None:
    """First position >= lo where ``old`` matches, nearest to ``expected`` first."""
    hi = len(lines) - len(old)
    if hi < lo:
        return None
    expected = min(max(expected, lo), hi)
    if key is not None:
        lines = [key(x) for x in lines]
        old = [key(x) for x in old]
    for dist in range(0, max(expected - lo, hi - expected) + 1):
        for p in (expected - dist, expected + dist) if dist else (expected,):
            if lo <= p <= hi and lines[p:p + len(old)] == old:
                return p
    return None


def _diagnose(lines: list[str], old: list[str], lo: int) -> str:
    first = next((x.strip() for x in old if x.strip()), "")
    if _find(lines, old, lo, lo, key=lambda s: s.rstrip("\r\n")) is not None:
        patch_crlf = any(x.endswith("\r\n") for x in old)
        return (f"the patch has {'CRLF' if patch_crlf else 'LF'} line endings and the file has "
                f"{'LF' if patch_crlf else 'CRLF'}; convert the patch (e.g. dos2unix) or save the mail raw")
    if _find(lines, old, lo, lo, key=lambda s: " ".join(s.split())) is not None:
        return ("it matches only if white space is ignored: a mail client probably changed tabs or spaces; "
                "save the mail raw or regenerate the patch")
    shown = first if len(first) <= 60 else first[:57] + "..."
    return (f"its context (from '{shown}') is not in the file: the patch was made against another version "
            f"of it, or an earlier patch did not apply")


def apply_hunks(text: str, hunks: list[Hunk]) -> Applied:
    lines = split_lines(text)
    out: list[str] = []
    result = Applied("")
    pos = 0       # lines[:pos] are consumed
    drift = 0     # how far the previous hunk landed from where its header said
    for hunk in hunks:
        old = hunk.old_text()
        start = hunk.old_start - 1 if hunk.old_len else hunk.old_start
        if old:
            at = _find(lines, old, start + drift, pos)
            if at is None:
                raise HunkFailed(hunk, _diagnose(lines, old, pos))
        else:
            at = min(max(start + drift, pos), len(lines))
        drift = at - start
        out.extend(lines[pos:at])
        hunk.applied_at = len(out) + 1
        k = at
        for ln in hunk.lines:
            if ln.kind == CONTEXT:
                out.append(lines[k])
                k += 1
            elif ln.kind == ADDED:
                out.append(ln.text)
                result.added.add(len(out))
            elif ln.kind == REMOVED:
                result.gaps.add(len(out) + 1)
                k += 1
        pos = k
    out.extend(lines[pos:])
    result.text = "".join(out)
    return result


def reversed_hunks(hunks: list[Hunk]) -> list[Hunk]:
    """The hunks that undo ``hunks``: to recognise a patch already in the tree."""
    swap = {ADDED: REMOVED, REMOVED: ADDED, CONTEXT: CONTEXT}
    out = []
    for h in hunks:
        r = Hunk(h.index, h.new_start, h.new_len, h.old_start, h.old_len, h.section, h.header_line,
                 [type(ln)(swap[ln.kind], ln.text, ln.patch_line) for ln in h.lines], h.raw_header)
        out.append(r)
    return out
