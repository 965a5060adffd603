"""Find the bodies of a file's top-level function definitions lexically, and blank them.

Why: most files a run parses are parsed for one rule whose needle occurs in a few of
their functions (``zero_user`` in two functions of a 9,000-line driver), yet
tree-sitter, ``kernelize`` and the queries of ``folint.source`` pay for every byte.
When every rule that wants the file looks at one function at a time (``Rule.
function_local``), a function whose text holds none of their needles cannot hold a
finding, and its body need not be parsed: ``folint.checker`` blanks it, and the file
is parsed with the body replaced by spaces.  Newlines stay, so every byte offset,
line and column of the rest is what it was, and the function still exists (its name,
parameters and ``static``) with an empty body.

This module only finds the bodies; which ones to blank is the checker's choice.  It
works on the text ``folint.kernel_c.lexemes`` masks (comments, string and character
literals and directive lines blanked), matches braces, and trusts only the kernel's
own layout: a body opens with a ``{`` at depth 0 right after a ``)`` (K&R parameter
declarations, a ``struct``, an initializer ``= {`` are never taken), and closes with
a ``}`` alone on its line at column 0.  Whenever something is unclear it answers
less, never a guess:

- braces that do not balance over the whole file (a ``}`` too many, a ``{`` never
  closed): no body at all (None);
- a conditional group (``#if`` ... ``#endif``) that is unterminated, or whose
  branches do not each balance their braces (two versions of a function's header,
  ``if (a) {`` / ``if (b) {`` under ``#ifdef``): no body at all (None), since the
  braces the compiler sees then depend on the configuration;
- a group that starts inside a body and ends outside it (or the other way round):
  not that body.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, field

from folint.kernel_c.lexemes import _mask
from folint.kernel_c.text import _blank, _Text

_BRACE = re.compile(rb"[{}]")
_OPENERS = {b"if", b"ifdef", b"ifndef"}
_MIDDLES = {b"elif", b"else", b"elifdef", b"elifndef"}
_TERMINATORS = frozenset(b";}")
_SPACE = frozenset(b" \t\r\f\v\n")


@dataclass(frozen=True)
class Body:
    """One top-level function body: ``open`` and ``close`` are the offsets of its
    ``{`` and ``}``; ``start`` is where the definition's text may begin (just after
    the previous top-level ``;`` or ``}``, or 0), so that ``start:close + 1`` holds its
    return type, name, parameters and body."""

    start: int
    open: int
    close: int


@dataclass(frozen=True)
class Layout:
    """The masked text of a file, the bodies found in it and its conditional
    directives (``lexemes._mask``'s: kernelize can start from them, ``folint.blanking``)."""

    mask: bytes
    bodies: list[Body]
    directives: list = field(default_factory=list)
    # a top-level block that may be a function's body but was not taken as one (on one
    # line, an annotation after the parameters, across an #if): its code is parsed, but
    # who it calls and who calls it cannot be told from the bodies (folint.blanking)
    unclear: bool = False


def masked(raw: bytes) -> tuple[bytes, list]:
    """``raw`` with comments, literals and directive lines blanked (``lexemes._mask``),
    and its conditional directives."""
    text = _Text(raw)
    directives = _mask(text)
    return bytes(text.mask), directives


def _groups(directives) -> list[list] | None:
    """The conditional groups, each the list of its directives in order; None when a
    directive is stray or a group is not terminated."""
    done, stack = [], []
    for d in directives:
        if d.name in _OPENERS:
            stack.append([d])
        elif d.name in _MIDDLES:
            if not stack:
                return None
            stack[-1].append(d)
        elif d.name == b"endif":
            if not stack:
                return None
            group = stack.pop()
            group.append(d)
            done.append(group)
    return None if stack else done


def _balanced(mask: bytes, a: int, b: int) -> bool:
    return mask.count(b"{", a, b) == mask.count(b"}", a, b)


def _alone_on_line(mask: bytes, close: int) -> bool:
    """The ``}`` at ``close`` is at column 0 with nothing but blanks after it on its line."""
    if close and mask[close - 1] != 0x0A:
        return False
    end = mask.find(b"\n", close)
    rest = mask[close + 1: end if end != -1 else len(mask)]
    return not rest.strip()


def _before(mask: bytes, pos: int) -> int:
    """The last non-blank byte before ``pos`` (-1: none)."""
    i = pos - 1
    while i >= 0 and mask[i] in _SPACE:
        i -= 1
    return mask[i] if i >= 0 else -1


def find_bodies(raw: bytes) -> Layout | None:
    """The top-level function bodies of ``raw`` that can be told for certain (see the
    module docstring); None when the file's braces are unclear."""
    mask, directives = masked(raw)
    groups = _groups(directives)
    if groups is None:
        return None
    inside = []  # (where a directive is, where its group starts and ends), in order
    for g in groups:
        for a, b in zip(g, g[1:]):
            if not _balanced(mask, a.end, b.start):
                return None
        inside += [(d.start, g[0].start, g[-1].end) for d in g]
    inside.sort()
    where = [d[0] for d in inside]
    marks = [m.start() for m in _BRACE.finditer(mask)]
    depths = list(itertools.accumulate(1 if mask[pos] == 0x7B else -1 for pos in marks))
    if depths and (depths[-1] != 0 or min(depths) < 0):
        return None
    bodies: list[Body] = []
    unclear = False
    start = last = 0  # after the last top-level ; or }; where ; was last looked for from
    previous = 0  # the index in marks of the first brace since depth was last 0
    for i in [i for i, d in enumerate(depths) if d == 0]:
        close = marks[i]
        open_at = marks[previous]  # the first brace after the last return to depth 0
        previous = i + 1
        semi = mask.rfind(b";", last, open_at)
        if semi != -1:
            start = semi + 1
        if _before(mask, open_at) == 0x29 and _alone_on_line(mask, close) \
                and not _straddles(inside, where, open_at, close) and not _initializer(mask, start, open_at):
            bodies.append(Body(start, open_at, close))
        elif not unclear and mask.find(b"(", start, open_at) != -1 and not _initializer(mask, start, open_at):
            unclear = True
        start = last = close + 1
    return Layout(mask, bodies, directives, unclear)


def _straddles(inside: list[tuple[int, int, int]], where: list[int], open_at: int, close: int) -> bool:
    """A conditional group has a directive inside the body but does not lie inside it."""
    i = bisect.bisect_right(where, open_at)
    while i < len(where) and where[i] < close:
        _, a, b = inside[i]
        if not (open_at < a and b < close):
            return True
        i += 1
    return False


def _initializer(mask: bytes, a: int, b: int) -> bool:
    """``mask[a:b]`` (what precedes a ``{``) holds an ``=`` outside parentheses: an
    initializer, not a function's header."""
    at = mask.find(b"=", a, b)
    while at != -1:
        if mask.count(b"(", a, at) == mask.count(b")", a, at):
            return True
        at = mask.find(b"=", at + 1, b)
    return False


def blank_bodies(raw: bytes, bodies: list[Body]) -> bytes:
    """``raw`` with every byte between the braces of each of ``bodies`` turned into a
    space, newlines kept (same length, same lines)."""
    out = bytearray(raw)
    for body in bodies:
        out[body.open + 1:body.close] = _blank(raw[body.open + 1:body.close])
    return bytes(out)
