"""A cheap byte scan that decides which rules a file needs, before any parsing.

Most of a kernel tree never mentions folios, so the scan must cost little
more than reading: the rules' needles are found in one Aho-Corasick pass over
the file (``Vocabulary``, ``ahocorasick_rs``), asked once per file however
many rules want them; ``page`` and ``folio``, in almost every file read, are
one ``bytes.__contains__`` each (a search that stops at the first).  Python's
regular-expression alternation over the same literals was tried and is two to
three times slower than a pass per literal, which is eight times slower than
the automaton.  The loop rules' question is the loop model's own
(``vocab.may_hold_page_loop``): four short needles, then one regular-expression
pass over the words that hold them for what the model needs to recognise a
loop (a page count or selection called, a page pointer stepped, an array of
pages subscripted), so a file that merely declares ``struct page *`` is not
parsed for them; iterating the words that hold ``page``/``folio`` is cheaper
than a search per call name.
"""

from __future__ import annotations

import functools

from folint.rule import Rule
from folint.vocab import PAGE_LOOP_NEEDLES, page_loop_tokens


class ByteScan:
    """Which needles one file's bytes contain; each needle is searched at most once,
    however many rules (and the tree index) ask for it.  ``prime`` answers a whole
    vocabulary in one pass (``Vocabulary``) before the rules ask."""

    __slots__ = ("raw", "_found", "_asked", "_primed")

    def __init__(self, raw: bytes):
        self.raw = raw
        self._found: dict[bytes, bool] = {}
        self._asked: dict[str, bool] = {}
        self._primed: set[int] = set()

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

    def prime(self, vocabulary: Vocabulary) -> None:
        """Answer every needle of ``vocabulary`` now, in one pass where it can."""
        if id(vocabulary) in self._primed:
            return
        self._primed.add(id(vocabulary))
        self._found.update(vocabulary.search(self.raw, self._found))


class Vocabulary:
    """A fixed set of needles searched together: one Aho-Corasick pass over a text
    (``ahocorasick_rs``, in Rust) finds which of them it holds, where a pass per needle
    (``bytes.__contains__``) costs one pass each: over the 4,052 files linux 6.12 sends
    to the workers (153 MB), 41 rule needles take 2.7 s CPU one by one and 0.33 s
    together.  ``COMMON`` needles are left to ``bytes.__contains__``: they occur
    thousands of times a file, and the automaton reports every occurrence, while one
    search stops at the first.  Without ``ahocorasick_rs`` (or for fewer than
    ``MIN_NEEDLES``), each needle is searched on its own, with the same answers."""

    MIN_NEEDLES = 4
    COMMON = frozenset({b"page", b"folio"})

    def __init__(self, needles):
        self.needles = tuple(sorted(set(needles) - self.COMMON - {b""}))
        self._automaton = None
        if len(self.needles) >= self.MIN_NEEDLES:
            try:
                from ahocorasick_rs import BytesAhoCorasick
            except ImportError:
                pass
            else:
                self._automaton = BytesAhoCorasick(self.needles)

    def search(self, raw: bytes, known: dict[bytes, bool]) -> dict[bytes, bool]:
        """Whether ``raw`` holds each needle (those in ``known`` are not asked again)."""
        if self._automaton is None:
            return {n: n in raw for n in self.needles if n not in known}
        held = {self.needles[i] for i, _, _ in self._automaton.find_matches_as_indexes(raw, overlapping=True)}
        return {n: n in held for n in self.needles if n not in known}


_VOCABULARIES: dict[tuple[int, ...], tuple[list, Vocabulary]] = {}


def vocabulary_of(rules: list[Rule]) -> Vocabulary:
    """The needles and gates ``wanted_rules`` may ask of a file for ``rules``, built
    once per set of rule objects (a worker keeps its rules for the whole run)."""
    key = tuple(map(id, rules))
    kept = _VOCABULARIES.get(key)
    if kept is None:
        needles = {n for r in rules for n in (*(r.needles or ()), *(r.gate or ()))}
        needles |= set(PAGE_LOOP_NEEDLES) if any(r.uses_page_loops for r in rules) else set()
        kept = _VOCABULARIES[key] = (list(rules), Vocabulary(needles))  # the list keeps the ids alive
    return kept[1]


def has_page_loop_tokens(scan: ByteScan) -> bool:
    """Could the loop model recognise a loop in this file?  ``vocab.may_hold_page_loop``:
    the four needles first (shared with other rules and the tree index), then one pass
    for the count, selection or walk the model needs."""
    return scan.any(PAGE_LOOP_NEEDLES) and scan.ask(page_loop_tokens)


def wanted_rules(scan: ByteScan, rules: list[Rule]) -> list[Rule]:
    """The rules this file can trigger: a rule that ``uses_page_loops`` needs the
    page-loop tokens; a rule with a ``gate`` needs one of its strings; a rule with
    ``needles`` needs one of them too."""
    scan.prime(vocabulary_of(rules))
    return [rule for rule in rules
            if (not rule.uses_page_loops or has_page_loop_tokens(scan))
            and (not rule.gate or scan.any(rule.gate))
            and (not rule.needles or scan.any(rule.needles))]


def covering_needles(rules: list[Rule], also=()) -> frozenset[bytes] | None:
    """Byte needles such that every file ``wanted_rules`` passes for ``rules`` holds one
    of them (a plain substring search, e.g. GNU grep -F, can stand in front of the scan);
    None: a rule asks for no needle and may want any file.

    A rule's file holds one of its ``needles``, one of its ``gate`` and, for a rule that
    ``uses_page_loops``, one of the loop model's needles (``has_page_loop_tokens``
    needs one first): any of these sets covers it.  Each rule gives the set that adds
    the fewest strings to those already asked for (``also``, which the caller searches
    anyway and which the result includes, the rules with one set, then the others):
    ``folio`` already covers a rule
    gated on it whatever its ten needles, so grep is not given them.  Fewer and longer
    strings make a faster grep (29 strings: 3.3 s CPU over linux 6.12, 7: 1.9 s)."""
    options = []
    for rule in rules:
        sets = _covering_sets(rule)
        if not sets:
            return None
        options.append(sets)
    chosen: set[bytes] = set(also)
    for sets in sorted(options, key=len):
        best = min(sets, key=lambda s: sum(not _covered(n, chosen) for n in s))
        chosen.update([n for n in best if not _covered(n, chosen)])
    return frozenset(chosen)


def _covering_sets(rule: Rule) -> list[tuple[bytes, ...]]:
    """The needle sets one of which every file ``wanted_rules`` passes for ``rule``
    holds, narrowest first."""
    sets = [tuple(rule.needles)] if rule.needles else []
    if rule.gate:
        sets.append(tuple(rule.gate))
    if rule.uses_page_loops:
        sets.append(PAGE_LOOP_NEEDLES)
    return sets


def _covered(needle: bytes, chosen) -> bool:
    """A text holding ``needle`` holds one of ``chosen``."""
    return any(c in needle for c in chosen)


def _plain_needles(rule: Rule) -> tuple[bytes, ...] | None:
    """One of these is in every file ``wanted_rules`` passes for ``rule``: the narrowest
    of its covering sets (its ``needles``, else its ``gate``, else the loop model's
    needles); None when it asks for none."""
    return next(iter(_covering_sets(rule)), None)


# -- the same questions as GNU grep can ask them (folint.grep_prepass) ---------------------
# ``page_loop_tokens`` is true only for a text that holds one of these words (a count, size,
# order or selection called by name, ``nth_page``) or answers one of these patterns (lines
# of GNU grep -E, C locale): an array of pages or folios subscripted (``pages[``, or
# ``pages`` at a line's end, the ``[`` on the next), or ``struct page`` / ``struct folio``
# declared (on one line, or ``struct`` ending one).  Most files that mention ``page`` (a
# ``struct page *`` only, ``PAGE_SIZE``) answer none of them: grep tells them apart without
# Python reading them.  Exact only for the ``page_loop_tokens`` it was written against:
# when its code changes (``_loop_code``), the plain needles stand in for it again.
LOOP_PATTERNS = (r"(pages|folios)[[:space:]]*(\[|$)",
                 r"struct[[:space:]]+(page|folio)([^[:alnum:]_]|$)",
                 r"struct[[:space:]]*$")
LOOP_CODE = "d95988b24da0300e2771"  # _loop_code() of the page_loop_tokens LOOP_PATTERNS follow


@functools.lru_cache(maxsize=1)
def _loop_code() -> str:
    """A hash of what ``vocab.page_loop_tokens`` answers by: its code and its patterns."""
    import hashlib
    import inspect

    from folint import vocab

    h = hashlib.blake2b(digest_size=10)
    h.update(inspect.getsource(vocab.page_loop_tokens).encode())
    for value in (vocab.PAGE_LOOP_NEEDLES, [p.pattern for p in vocab._WORDS_FROM], vocab._CALLED.pattern,
                  vocab._SUBSCRIPTED.pattern, vocab._STRUCT_BEFORE.pattern):
        h.update(repr(value).encode())
    return h.hexdigest()


def loop_words() -> frozenset[bytes]:
    """The words ``LOOP_PATTERNS`` leave to a plain search (see there)."""
    from folint import vocab

    return frozenset({b"nth_page", *vocab._COUNTS, *vocab._SIZES, *vocab._ORDERS,
                      *(n.encode() for n in vocab.PAGE_SELECT_CALLS)})


def grep_question(rules: list[Rule]) -> tuple[frozenset[bytes], bool] | None:
    """(needles, loop): every file ``wanted_rules`` passes for ``rules`` holds one of
    ``needles`` or, when ``loop``, answers one of ``LOOP_PATTERNS``; narrower than
    ``covering_needles``: a rule that needs the loop tokens and no needle of its own
    beyond the loop model's is asked the loop question, not for ``page``.  None: a rule
    may want any file."""
    code_ok = _loop_code() == LOOP_CODE
    out: set[bytes] = set()
    loop = False
    for rule in rules:
        own = set(rule.needles) if rule.needles else set()
        if rule.uses_page_loops and code_ok and own <= set(PAGE_LOOP_NEEDLES):
            loop = True
            continue
        plain = _plain_needles(rule)
        if plain is None:
            return None
        out.update(plain)
    if loop:
        out |= loop_words()
    return frozenset(out), loop
