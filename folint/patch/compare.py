"""Findings a change introduces: present after, not before.

Findings are matched by ``Finding.key`` (rule, function, normalised statement
text), never by line number, which a patch moves.  Keys are counted, so a
patch that copies a bad statement a second time into the same function
introduces one finding.  Only findings in the functions the change touches
count: a patch is not blamed for what it did not touch.
"""

from __future__ import annotations

from collections import Counter

from folint.finding import Finding


def unmatched(before: list[Finding], after: list[Finding], added: set[int]) -> list[Finding]:
    """After-findings left when each before-finding takes one after-finding with
    its key; old findings take the ones *not* on added lines first, so what is
    left is what the patch wrote."""
    had = Counter(f.key for f in before)
    out = []
    for f in sorted(after, key=lambda f: (f.line in added, f.line)):
        if had[f.key] > 0:
            had[f.key] -= 1
        else:
            out.append(f)
    return sorted(out, key=Finding.sort_key)


def in_touched(findings: list[Finding], touched: set[str], added: set[int]) -> list[Finding]:
    """Findings in a touched function (or outside any function but on an added line)."""
    return [f for f in findings if f.function in touched or (f.function is None and f.line in added)]
