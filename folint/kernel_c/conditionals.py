"""Step 2: conditional compilation (#if/#ifdef groups whose branches each hold half a statement).

Part of :func:`folint.kernel_c.kernelize` (see the package docstring).
"""

from __future__ import annotations

import bisect
import re
from typing import Iterable

from folint import buildconfig
from folint.kernel_c.lexemes import _Directive
from folint.kernel_c.scan import _STATEMENT_BOUNDARY, _byte_before
from folint.kernel_c.text import Span, _blank, _Text


class _Group:
    """One ``#if`` ... ``#endif`` group: its directives and its branches."""

    __slots__ = ("directives", "end")

    def __init__(self, opener: _Directive) -> None:
        self.directives = [opener]
        self.end = -1

    @property
    def start(self) -> int:
        return self.directives[0].start

    def branches(self) -> list[Span]:
        ds = self.directives
        spans = [(a.end, b.start) for a, b in zip(ds, ds[1:])]
        if ds[-1].name != b"endif":  # unterminated at the end of the file
            spans.append((ds[-1].end, self.end))
        return spans

    def configured_branch(self) -> int | None:
        """The branch the build's configuration compiles (folint.buildconfig), if one is
        active and decides this group."""
        config = buildconfig.active()
        if config is None:
            return None
        return config.choose([d.text.decode("utf-8", "replace") for d in self.directives if d.name != b"endif"])

    def kept_branch(self) -> int:
        """Index of the branch assumed compiled: the one the active build configuration
        decides, else the first, except after ``#if 0`` and ``#ifdef __ASSEMBLY__``,
        where it is the second."""
        configured = self.configured_branch()
        if configured is not None:
            return configured
        if _SKIP_FIRST_BRANCH.match(self.directives[0].text):
            return 1 if len(self.directives) > 2 else -1
        return 0


_OPENERS = {b"if", b"ifdef", b"ifndef"}
_MIDDLES = {b"elif", b"else", b"elifdef", b"elifndef"}
_SKIP_FIRST_BRANCH = re.compile(
    rb"[ \t]*#[ \t]*(?:if[ \t]+0|ifdef[ \t]+__ASSEMBLY__|ifdef[ \t]+__ASSEMBLER__"
    rb"|if[ \t]+defined[ \t]*\(?[ \t]*__ASSEMBLY__[ \t]*\)?)[ \t]*(?:/[*/].*)?\Z",
    re.S,
)
"""Openers whose first branch is dead code or assembly, not C."""
_LEADING_ELSE = re.compile(rb"\s*else\b")
_TRAILING_MACRO_LINE = re.compile(
    rb"(?:\A|\n)[ \t]*(?!(?:if|while|for|switch)\b)\w+[ \t]*\([^;{}\n]*\)\Z"
)
"""A branch ending in a line such as ``subsys_initcall(f)`` (no ``;``)."""


def _groups(directives: list[_Directive], size: int) -> tuple[list[_Group], int]:
    """Pair conditional directives into groups (stray ones are ignored);
    also return the deepest nesting seen."""
    done: list[_Group] = []
    stack: list[_Group] = []
    deepest = 0
    for d in directives:
        if d.name in _OPENERS:
            stack.append(_Group(d))
            deepest = max(deepest, len(stack))
        elif d.name in _MIDDLES and stack:
            stack[-1].directives.append(d)
        elif d.name == b"endif" and stack:
            group = stack.pop()
            group.directives.append(d)
            group.end = d.end
            done.append(group)
    for group in stack:
        group.end = size
        done.append(group)
    done.sort(key=lambda g: g.start)
    return done, deepest


class _Brackets:
    """Counts of brackets in stretches of a text that does not change, each
    in log time (used where counting directly could go quadratic)."""

    def __init__(self, mask: bytes) -> None:
        self._where = {ch: [m.start() for m in re.finditer(re.escape(bytes([ch])), mask)]
                       for ch in b"{}()"}

    def count(self, ch: int, a: int, b: int) -> int:
        where = self._where[ch]
        return bisect.bisect_left(where, b) - bisect.bisect_left(where, a)

    def balanced(self, a: int, b: int) -> bool:
        return (self.count(0x7B, a, b) == self.count(0x7D, a, b)
                and self.count(0x28, a, b) == self.count(0x29, a, b))


class _LiveBrackets:
    """Counts of brackets in a text that is being edited."""

    def __init__(self, buf: bytearray) -> None:
        self._buf = buf

    def balanced(self, a: int, b: int) -> bool:
        buf = self._buf
        return (buf.count(b"{", a, b) == buf.count(b"}", a, b)
                and buf.count(b"(", a, b) == buf.count(b")", a, b))


def _ends_with_macro_line(buf: bytes, pos: int, lo: int = 0) -> bool:
    """Whether the code before ``pos`` ends with a line like ``module_init(f)``."""
    end = len(buf[max(lo, pos - 256):pos].rstrip()) + max(lo, pos - 256)
    return bool(_TRAILING_MACRO_LINE.search(buf, max(lo, end - 256), end))


def _branch_is_whole(buf: bytes, brackets: _Brackets | _LiveBrackets, span: Span) -> bool:
    """Whether a branch holds whole statements or declarations, judged by
    balanced brackets, no leading ``else`` and a ``;`` or ``}`` at its end
    (or a line such as ``module_init(f)``)."""
    a, b = span
    if not brackets.balanced(a, b):
        return False
    last = _byte_before(buf, b, a)
    if last < 0:
        return True
    if _LEADING_ELSE.match(buf, a, b):
        return False
    return last in b";}" or _ends_with_macro_line(buf, b, a)


def _is_clean(group: _Group, buf: bytes, brackets: _Brackets | _LiveBrackets,
              first_only: bytes, paren_depth: int) -> bool:
    """Whether tree-sitter can take the group as it stands: it sits between
    statements or declarations, and every branch holds whole ones."""
    if group.kept_branch() != 0 or paren_depth or group.configured_branch() is not None:
        return False
    before = _byte_before(first_only, group.start)
    if before == 0x29 and not _ends_with_macro_line(first_only, group.start):
        return False
    if before >= 0 and before not in _STATEMENT_BOUNDARY and before != 0x29:
        return False  # after a label, tree-sitter wants a statement, not a group
    return all(_branch_is_whole(buf, brackets, span) for span in group.branches())


def _paren_depths(mask: bytes, positions: Iterable[int]) -> list[int]:
    """Parenthesis depth of ``mask`` at each of the sorted ``positions``."""
    depths, depth, last = [], 0, 0
    for pos in positions:
        depth += mask.count(b"(", last, pos) - mask.count(b")", last, pos)
        depths.append(depth)
        last = pos
    return depths


def _dropped_spans(group: _Group) -> list[Span]:
    """The group's directive lines and all its branches but the kept one."""
    keep = group.kept_branch()
    spans = [(d.start, d.end) for d in group.directives]
    spans += [span for i, span in enumerate(group.branches()) if i != keep]
    return spans


def _merged(spans: list[Span]) -> list[Span]:
    """Sorted, non-overlapping cover of ``spans`` (nested groups overlap)."""
    merged: list[list[int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


_DEEP_NESTING = 32
"""Past this many nested groups, judge branches on the unreduced text."""


def _resolve_conditionals(text: _Text, directives: list[_Directive]) -> None:
    """Reduce each conditional group that would break parsing to one branch.

    Groups holding whole statements or declarations are left alone (all their
    code stays visible to the linter).  Every other group, and every
    ``#if 0`` or ``#ifdef __ASSEMBLY__``, keeps only the branch the compiler
    is assumed to see.  Inner groups are judged first, and an outer branch
    is judged as it reads once they are reduced.  Where a group sits is
    judged on the text as it reads with first branches only.
    """
    groups, nesting = _groups(directives, len(text.mask))
    if not groups:
        return
    mask = text.frozen()
    scratch = bytearray(mask)
    for a, b in _merged([s for g in groups for s in _dropped_spans(g)]):
        scratch[a:b] = _blank(mask[a:b])
    first_only = bytes(scratch)
    depths = dict(zip((g.start for g in groups),
                      _paren_depths(first_only, (g.start for g in groups))))
    reduced = bytearray(mask)
    brackets: _Brackets | _LiveBrackets = (
        _Brackets(mask) if nesting > _DEEP_NESTING else _LiveBrackets(reduced))
    dropped: list[Span] = []
    for group in sorted(groups, key=lambda g: (g.end, -g.start)):  # inner first
        if _is_clean(group, reduced, brackets, first_only, depths[group.start]):
            continue
        spans = _dropped_spans(group)
        dropped += spans
        if nesting <= _DEEP_NESTING:
            for a, b in spans:
                reduced[a:b] = _blank(bytes(reduced[a:b]))
    for a, b in _merged(dropped):
        text.blank(a, b)
