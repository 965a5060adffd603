"""Step 1: mask comments, literals and directive lines.

Part of :func:`folint.kernel_c.kernelize` (see the package docstring).
"""

from __future__ import annotations

import re

from folint.kernel_c.scan import _LINE_START
from folint.kernel_c.text import _BLANK, _Text

_LEXEME = re.compile(
    rb"/\*(?:[^*]+|\*(?!/))*(?:\*/|\Z)"          # block comment
    rb"|//(?:[^\n\\]+|\\.)*"                       # line comment
    rb'|"(?:[^"\\\n]+|\\.)*"?'                     # string literal
    rb"|'(?:[^'\\\n]|\\.)*'?"                      # character literal
    + rb"|" + _LINE_START                                # directive line
    + rb"\#(?:[^\n\\/]+|/\*.*?(?:\*/|\Z)|/(?!\*)|\\.)*",
    re.S,
)
_DIRECTIVE_NAME = re.compile(rb"[ \t]*#[ \t]*(\w*)")
_CONDITIONAL = re.compile(rb"[ \t]*#[ \t]*(?:if|el|endif)")


class _Directive:
    """A preprocessor line (with its continuations and trailing comment)."""

    __slots__ = ("start", "end", "name", "text")

    def __init__(self, start: int, end: int, text: bytes) -> None:
        self.start, self.end, self.text = start, end, text
        self.name = _DIRECTIVE_NAME.match(text).group(1)


def _mask(text: _Text) -> list[_Directive]:
    """Fill ``text.mask``; return the conditional directives found on the way.

    The scan runs over the text behind a newline, so that a directive on the
    first line is found like any other; offsets are shifted back by one.
    """
    directives: list[_Directive] = []

    def blank(m: re.Match) -> bytes:
        lexeme = m.group()
        if lexeme[0] == 0x0A and _CONDITIONAL.match(lexeme, 1):
            # a conditional directive, with the newline before it
            directives.append(_Directive(m.start(), m.end() - 1, lexeme[1:]))
        return lexeme.translate(_BLANK)  # _blank, without a call per lexeme

    masked = _LEXEME.sub(blank, b"\n" + bytes(text.out))[1:]
    text.mask = bytearray(masked)
    text._frozen = masked
    return directives
