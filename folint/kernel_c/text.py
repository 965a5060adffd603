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
        self._frozen: bytes | None = None
        self._held: frozenset[bytes] | None = None

    def frozen(self) -> bytes:
        """``mask`` as bytes, made again only after an edit (most passes edit nothing,
        and a copy of the whole mask per pass costs as much as a scan)."""
        if self._frozen is None:
            self._frozen = bytes(self.mask)
        return self._frozen

    def note_triggers(self) -> None:
        """Find which of the registered trigger literals (``_triggers``) the mask holds,
        all in one pass; until then, ``may_hold`` answers True for every one."""
        self._held = _held_triggers(self.frozen())

    def may_hold(self, *needles: bytes) -> bool:
        """Whether the mask may hold one of ``needles`` (each registered with
        ``_triggers``).  Edits only blank code or write a keyword (``long``,
        ``static``, ``while``, ``if``, ``const``; ``asm`` only in the last pass) or
        punctuation, none of them a trigger, so an answer found once holds for the
        passes after."""
        held = self._held
        return held is None or any(n in held for n in needles)

    def blank(self, start: int, end: int) -> None:
        self._frozen = None
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
        self._frozen = None
        self.out[pos:pos + len(text)] = text
        self.mask[pos:pos + len(text)] = text


_TRIGGERS: set[bytes] = set()
_AUTOMATON: list = []  # [literals, automaton or None], built at the first search


def _triggers(*needles: bytes) -> tuple[bytes, ...]:
    """Register literals that a pass needs in the mask to find anything (a pass then
    asks ``_Text.may_hold`` before its scans); returns them."""
    _TRIGGERS.update(needles)
    _AUTOMATON.clear()
    return needles


def _held_triggers(mask: bytes) -> frozenset[bytes] | None:
    """The registered triggers ``mask`` holds, in one Aho-Corasick pass (``ahocorasick_rs``):
    a pass per literal (``re`` or ``bytes.__contains__``) costs a third as much each,
    and there are some thirty.  None (every pass runs) without ``ahocorasick_rs``."""
    if not _AUTOMATON:
        literals = sorted(_TRIGGERS)
        try:
            from ahocorasick_rs import BytesAhoCorasick
        except ImportError:
            automaton = None
        else:
            automaton = BytesAhoCorasick(literals)
        _AUTOMATON[:] = [literals, automaton]
    literals, automaton = _AUTOMATON
    if automaton is None:
        return None
    return frozenset(literals[i] for i, _, _ in automaton.find_matches_as_indexes(mask, overlapping=True))
