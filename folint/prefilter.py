"""A cheap byte scan that decides which rules a file needs, before any parsing.

Most of a kernel tree never mentions folios, so the scan must cost little
more than reading: each needle is one pass of ``bytes.__contains__`` (a
fast search in C), so the scan first looks for a few short *prefixes* that
every page-loop needle starts with, and only files that contain one of
them pay for the exact needles.  Regular-expression alternation was tried
and is two to three times slower on the 6.12 tree.
"""

from __future__ import annotations

from folint.rule import Rule
from folint.vocab import PAGE_LOOP_NEEDLES

# Every page-loop needle (the loop model's own gate, from the vocabulary) contains one of
# these; a file without any of them pays four short searches, not fifteen.  b"page" is
# asked for by the tree index anyway, so it is usually searched once for both.
PAGE_LOOP_PREFIXES = (b"page", b"folio", b"compound_", b"thp_")
assert all(any(p in n for p in PAGE_LOOP_PREFIXES) for n in PAGE_LOOP_NEEDLES)


class ByteScan:
    """Which needles one file's bytes contain; each needle is searched at most once,
    however many rules (and the tree index) ask for it."""

    __slots__ = ("raw", "_found")

    def __init__(self, raw: bytes):
        self.raw = raw
        self._found: dict[bytes, bool] = {}

    def has(self, needle: bytes) -> bool:
        found = self._found.get(needle)
        if found is None:
            found = self._found[needle] = needle in self.raw
        return found

    def any(self, needles) -> bool:
        return any(self.has(n) for n in needles)


def has_page_loop_tokens(scan: ByteScan) -> bool:
    """Could the loop model recognise a loop in this file?  Exactly its own needles."""
    return scan.any(PAGE_LOOP_PREFIXES) and scan.any(PAGE_LOOP_NEEDLES)


def wanted_rules(scan: ByteScan, rules: list[Rule]) -> list[Rule]:
    """The rules this file can trigger: a rule that ``uses_page_loops`` needs the
    page-loop tokens; a rule with ``needles`` needs one of them too."""
    return [rule for rule in rules
            if (not rule.uses_page_loops or has_page_loop_tokens(scan))
            and (not rule.needles or scan.any(rule.needles))]
