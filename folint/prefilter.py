"""A cheap byte scan that decides which rules a file needs, before any parsing.

Most of a kernel tree never mentions folios, so the scan must cost little
more than reading: each needle is one pass of ``bytes.__contains__`` (a
fast search in C), asked once per file however many rules want it.  The
loop rules' question is the loop model's own (``vocab.may_hold_page_loop``):
four short needles, then one regular-expression pass over the words that
hold them for what the model needs to recognise a loop (a page count or
selection called, a page pointer stepped, an array of pages subscripted),
so a file that merely declares ``struct page *`` is not parsed for them.
Regular-expression alternation over many literals was tried and is two to
three times slower on the 6.12 tree than one pass per literal; iterating
the words that hold ``page``/``folio`` is cheaper than either.
"""

from __future__ import annotations

from folint.rule import Rule
from folint.vocab import PAGE_LOOP_NEEDLES, page_loop_tokens


class ByteScan:
    """Which needles one file's bytes contain; each needle is searched at most once,
    however many rules (and the tree index) ask for it."""

    __slots__ = ("raw", "_found", "_asked")

    def __init__(self, raw: bytes):
        self.raw = raw
        self._found: dict[bytes, bool] = {}
        self._asked: dict[str, bool] = {}

    def has(self, needle: bytes) -> bool:
        found = self._found.get(needle)
        if found is None:
            found = self._found[needle] = needle in self.raw
        return found

    def any(self, needles) -> bool:
        return any(self.has(n) for n in needles)

    def ask(self, question) -> bool:
        """``question(raw)``, asked once per file however many rules want the answer."""
        key = question.__qualname__
        found = self._asked.get(key)
        if found is None:
            found = self._asked[key] = bool(question(self.raw))
        return found


def has_page_loop_tokens(scan: ByteScan) -> bool:
    """Could the loop model recognise a loop in this file?  ``vocab.may_hold_page_loop``:
    the four needles first (shared with other rules and the tree index), then one pass
    for the count, selection or walk the model needs."""
    return scan.any(PAGE_LOOP_NEEDLES) and scan.ask(page_loop_tokens)


def wanted_rules(scan: ByteScan, rules: list[Rule]) -> list[Rule]:
    """The rules this file can trigger: a rule that ``uses_page_loops`` needs the
    page-loop tokens; a rule with a ``gate`` needs one of its strings; a rule with
    ``needles`` needs one of them too."""
    return [rule for rule in rules
            if (not rule.uses_page_loops or has_page_loop_tokens(scan))
            and (not rule.gate or scan.any(rule.gate))
            and (not rule.needles or scan.any(rule.needles))]


def covering_needles(rules: list[Rule]) -> frozenset[bytes] | None:
    """Byte needles such that every file ``wanted_rules`` passes for ``rules`` holds one
    of them (a plain substring search, e.g. GNU grep -F, can stand in front of the scan):
    a rule's ``needles`` if it has them (it needs one), else its ``gate``, else the loop
    model's needles (``has_page_loop_tokens`` needs one first).  None: a rule asks for
    none of these and may want any file."""
    out: set[bytes] = set()
    for rule in rules:
        if rule.needles:
            out.update(rule.needles)
        elif rule.gate:
            out.update(rule.gate)
        elif rule.uses_page_loops:
            out.update(PAGE_LOOP_NEEDLES)
        else:
            return None
    return frozenset(out)
