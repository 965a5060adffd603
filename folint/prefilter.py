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

# Every page-loop needle contains one of these; four passes instead of eight.
PAGE_LOOP_PREFIXES = (b"folio", b"compound_", b"nth_page", b"thp_nr")
assert all(any(p in n for p in PAGE_LOOP_PREFIXES) for n in PAGE_LOOP_NEEDLES)


def has_page_loop_tokens(raw: bytes) -> bool:
    return any(p in raw for p in PAGE_LOOP_PREFIXES) and any(n in raw for n in PAGE_LOOP_NEEDLES)


def wanted_rules(raw: bytes, rules: list[Rule]) -> list[Rule]:
    """The rules this file can trigger: a rule that ``uses_page_loops`` needs the
    page-loop tokens; a rule with ``needles`` needs one of them too."""
    loops: bool | None = None  # computed at most once
    out = []
    for rule in rules:
        if rule.uses_page_loops:
            if loops is None:
                loops = has_page_loop_tokens(raw)
            if not loops:
                continue
        if rule.needles and not any(n in raw for n in rule.needles):
            continue
        out.append(rule)
    return out
