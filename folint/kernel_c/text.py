"""The text being rewritten: the output buffer and the mask of what may be rewritten.

Part of :func:`folint.kernel_c.kernelize` (see the package docstring).
"""

from __future__ import annotations


Span = tuple[int, int]


_BLANK = bytes(10 if b == 10 else 32 for b in range(256))
"""Translation table: every byte becomes a space, except the newline."""

_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789")


def _blank(chunk: bytes) -> bytes:
    return chunk.translate(_BLANK)


class _Text:
    """The output under construction and its *mask*.

    The mask is the same text with comments, string and character literals
    and preprocessor lines blanked, so that patterns matched on it cannot be
    fooled by a brace in a string or a macro name in a comment.  Edits go to
    both, so later passes see the effect of earlier ones.
    """

    def __init__(self, src: bytes) -> None:
        self.out = bytearray(src)
        self.mask = bytearray()

    def blank(self, start: int, end: int) -> None:
        masked = self.mask[start:end]
        if b"\n" in masked:  # out and mask have their newlines in common
            self.out[start:end] = _blank(bytes(self.out[start:end]))
            self.mask[start:end] = _blank(bytes(masked))
        else:
            spaces = b" " * len(masked)
            self.out[start:end] = spaces
            self.mask[start:end] = spaces

    def put(self, pos: int, text: bytes) -> None:
        """Overwrite code at ``pos`` with ``text``, which has its newlines (if
        any) where the code has them and no braces or quotes."""
        self.out[pos:pos + len(text)] = text
        self.mask[pos:pos + len(text)] = text
