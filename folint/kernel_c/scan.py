"""Scanning helpers on the mask: balanced parentheses, words and statement positions.

Part of :func:`folint.kernel_c.kernelize` (see the package docstring).
"""

from __future__ import annotations

import re
import sys

from folint.kernel_c.text import _WORD_BYTES, Span


def _balanced(depth: int) -> bytes:
    """Regex body for text with parentheses nested up to ``depth`` levels.

    An unrolled loop, so that a failed match backtracks in linear time.
    ``;`` and braces are excluded: macro arguments practically never hold
    them, and the exclusion bounds how far a failed match can run.
    """
    body = rb"[^(){};]*"
    for _ in range(depth):
        body = rb"[^(){};]*(?:\(" + body + rb"\)[^(){};]*)*"
    return body


if sys.version_info >= (3, 11):
    _LINE_START = rb"\n[ \t]*+"
else:  # no possessive quantifiers yet: the lookahead idiom does the same
    _LINE_START = rb"\n(?=(?P<indent>[ \t]*))(?P=indent)"
"""A newline and the indentation after it, taken atomically: masked comments
leave long runs of blanks, and backtracking into them would be slow."""



def _atomic(body: bytes, name: bytes) -> bytes:
    """Group ``name`` matching ``body`` atomically: once matched, never backtracked
    into.  For a body with one way to match (a balanced argument list), the same
    matches; a failure after it then costs nothing (a lookahead after a ``_balanced``
    body would otherwise retry every shorter run inside it before giving up)."""
    if sys.version_info >= (3, 11):
        return rb"(?P<" + name + rb">(?>" + body + rb"))"
    return rb"(?=(?P<" + name + rb">" + body + rb"))(?P=" + name + rb")"


_ARGS = re.compile(rb"\(" + _balanced(4) + rb"\)")
"""A balanced parenthesised argument list, matched from its ``(``."""

_SPACE = re.compile(rb"\s*")
_TRAILING_WORD = re.compile(rb"(\w+)\s*\Z")
_TOP_COMMA = re.compile(rb"\(" + _balanced(3) + rb"\)|,")


def _after_space(mask: bytes, pos: int) -> int:
    """Offset of the first non-whitespace byte at or after ``pos``."""
    return _SPACE.match(mask, pos).end()


def _byte_before(mask: bytes, pos: int, lo: int = 0) -> int:
    """The last non-whitespace byte in ``mask[lo:pos]``, or -1 if none.

    Looks back at most 8 KiB (and takes a longer blank run for the start
    of the file), so that runs of blanked text cost little.
    """
    lo = max(lo, pos - 8192)
    window = 256
    while True:
        start = max(lo, pos - window)
        chunk = mask[start:pos].rstrip()
        if chunk:
            return chunk[-1]
        if start == lo:
            return -1
        window *= 8


def _word_before(mask: bytes, pos: int) -> bytes:
    """The identifier or keyword that ends right before ``pos``, if any."""
    m = _TRAILING_WORD.search(mask, max(0, pos - 64), pos)
    return m.group(1) if m else b""


def _starts_word(mask: bytes, pos: int) -> bool:
    return pos == 0 or mask[pos - 1] not in _WORD_BYTES


def _top_level_commas(mask: bytes, args: Span) -> list[int]:
    """Offsets of the commas directly inside the argument list ``args``."""
    return [m.start() for m in _TOP_COMMA.finditer(mask, args[0] + 1, args[1] - 1)
            if mask[m.start()] == 0x2C]


def _call_args(mask: bytes, paren: int) -> Span | None:
    m = _ARGS.match(mask, paren)
    return m.span() if m else None


_STATEMENT_BOUNDARY = frozenset(b";{}")
_BEFORE_STATEMENT = frozenset(b";{}:)")
_STATEMENT_KEYWORDS = {b"else", b"do"}


def _in_statement_position(mask: bytes, pos: int) -> bool:
    """Whether a statement may start at ``pos`` (judged by what precedes)."""
    before = _byte_before(mask, pos)
    if before < 0 or before in _BEFORE_STATEMENT:
        return True
    return _word_before(mask, pos) in _STATEMENT_KEYWORDS
