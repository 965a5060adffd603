"""Whole-word search of C identifiers in bytes: where a function is named.

One matcher for the places that ask: the blanking's call graph (which body names which
function), the tree phase's rescue of blanked summaries (a candidate named in a blanked
body) and the name-targeted index (which files name a candidate).  A match counts when
the bytes on either side are not identifier bytes (``[A-Za-z0-9_]``)."""

from __future__ import annotations

import functools
from collections.abc import Sequence

_IDENT_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


@functools.lru_cache(maxsize=8)
def _automaton(words: tuple[bytes, ...]):
    """The automaton for ``words`` (a run asks the same candidates of many files), or None
    without ``ahocorasick_rs``."""
    try:
        from ahocorasick_rs import BytesAhoCorasick, MatchKind
    except ImportError:
        return None
    # leftmost-longest, not overlapping: names are identifiers, so a match hidden by an
    # earlier one lies inside a longer identifier and is not a whole word anyway
    return BytesAhoCorasick(list(words), matchkind=MatchKind.LeftmostLongest)


def word_mentions(text: bytes, names: Sequence[str], spans: Sequence[tuple[int, int]] | None = None):
    """(name, offset) of each whole-word occurrence of ``names`` in ``text`` (in ``spans``
    of it only, when given), by one Aho-Corasick automaton (``ahocorasick_rs``; without
    it, a search per name)."""
    if not names:
        return
    words = tuple(n.encode() for n in names)
    automaton = _automaton(words)
    if automaton is None:
        def find(a: int, b: int):
            for i, w in enumerate(words):
                at = text.find(w, a, b)
                while at != -1 and at + len(w) <= b:
                    yield i, at, at + len(w)
                    at = text.find(w, at + 1, b)
    else:
        def find(a: int, b: int):
            part = text if (a, b) == (0, len(text)) else text[a:b]
            for i, x, y in automaton.find_matches_as_indexes(part, overlapping=False):
                yield i, a + x, a + y
    end = len(text)
    for a, b in spans if spans is not None else [(0, end)]:
        for i, x, y in find(a, b):
            if (x and text[x - 1] in _IDENT_BYTES) or (y < end and text[y] in _IDENT_BYTES):
                continue
            yield names[i], x


def names_word(raw: bytes, names: Sequence[bytes]) -> bool:
    """Whether ``raw`` holds one of ``names`` as a whole word."""
    return next(word_mentions(raw, [n.decode() for n in names]), None) is not None
