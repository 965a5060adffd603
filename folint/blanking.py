"""Which function bodies of a file need not be parsed, and the file with them blanked.

Most files a run parses are parsed for a rule whose needle occurs in a few of their
functions, yet tree-sitter, ``kernelize`` and the queries pay for every byte.  A body
that can hold no finding (and that nothing the rules or the tree index read lies in)
is blanked: same length, same lines (``folint.kernel_c.bodies``), so every offset,
line and column of the rest stays what it was.  A body is kept when:

- a ``function_local`` rule can report in it: its code (header and body, comments and
  strings left out) holds one of the rule's needles (its gate when it has none) and,
  for a page-loop rule, the page-loop tokens;
- a rule that reads some of the file's other functions says which (``Rule.neighbours``):
  a body is kept when the rule can report in it (its code holds one of its needles, or
  of its gate with none), and, as the rule says, the callers of such a body (the bodies naming
  its function), theirs and so on; the callees of all those (the functions they name),
  theirs and so on; the bodies defining a constant (a ``#define`` line, an ``enum``).
  The other callers of a callee are not kept: no rule reads them, and through a helper
  that every function of a driver calls they would reach the whole file;
- ``keep`` (the tree index's summary, ``folint.index.collect``) asks for it: its code
  holds one of ``keep``.  A summary made of a blanked parse records the blanked spans,
  and the tree phase summarises the file whole again when a name it cares about lies
  in one of them (``folint.index.two_stage.hiding``).

A rule that is neither keeps every body of a file it wants (nothing is blanked)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from folint.kernel_c.bodies import Body, Layout, blank_bodies, find_bodies
from folint.rule import Rule
from folint.vocab import PAGE_LOOP_NEEDLES, may_hold_page_loop
from folint.words import word_mentions

_NAME_BEFORE = re.compile(rb"([A-Za-z_]\w*)\s*$")
_PAREN = re.compile(rb"[()]")
# annotations with arguments that stand before a function's name or after its parameters
_ANNOTATIONS = frozenset({b"__attribute__", b"__attribute", b"__releases", b"__acquires", b"__must_hold",
                          b"__cond_acquires", b"__cond_releases", b"__printf", b"__scanf", b"__alloc_size",
                          b"__section", b"__aligned", b"__malloc", b"__diagnose_as", b"__assume_aligned",
                          b"__no_sanitize_or_inline", b"__nocfi", b"__weak"})
# a body defining a constant (FOL011's file_constants reads them)
_DEFINE = re.compile(rb"^[ \t]*#[ \t]*define\b", re.M)
_ENUM = re.compile(rb"\benum\b[^;{()]*\{")


@dataclass(frozen=True)
class Blanked:
    """A file with bodies blanked: its text, the bodies, and the text's mask and
    conditional directives (what ``kernelize`` would find again: ``premask``), or None."""

    text: bytes
    bodies: list[Body]
    premask: tuple[bytes, list] | None = None

    def skip(self) -> list[tuple[int, int]]:
        """The spans inside the blanked bodies' braces (``parse_kernel_c``'s ``skip``)."""
        return [(b.open + 1, b.close) for b in self.bodies]


def blank_unneeded_bodies(raw: bytes, active: list[Rule], keep: Sequence[bytes] = ()
                          ) -> tuple[bytes, list[Body]] | None:
    """``raw`` with the bodies blanked that none of ``active``'s file rules (nor ``keep``)
    needs, and those bodies; None when none is (or may be) blanked (see the module
    docstring).  A file whose braces are not clear is never blanked."""
    got = blank_for_parse(raw, active, keep)
    return None if got is None else (got.text, got.bodies)


def blank_for_parse(raw: bytes, active: list[Rule], keep: Sequence[bytes] = ()) -> Blanked | None:
    """``blank_unneeded_bodies``, with the blanked text's mask and directives: the mask of
    the file with the bodies blanked in it (no comment, literal or directive crosses a
    body's braces, which are code), and the directives outside them."""
    rules = [r for r in active if r.scope == "file"]
    if not rules and not keep:
        return None
    if not all(r.function_local or r.neighbours for r in rules):
        return None
    layout = find_bodies(raw)
    if layout is None:
        return None
    graph = None
    if any(not r.function_local and r.neighbours & {"callers", "callees"} for r in rules):
        # a function that is no body, or a body without a plain name: its callers and
        # callees cannot be told, so such a rule keeps every body
        if layout.unclear:
            return None
        graph = _Calls(layout)
        if graph.unnamed:
            return None
    mask = layout.mask
    bodies = layout.bodies
    found = _Found(mask, bodies, {n for r in rules for n in (r.needles or r.gate)} | set(PAGE_LOOP_NEEDLES)
                   | set(keep))

    def holds(needles, body: Body, i: int) -> bool:
        """Body ``i``'s code holds one of ``needles`` (any code does when there are none)."""
        return not needles or any(found.holds(n, body, i) for n in needles)

    loop_tokens: dict[int, bool] = {}

    def for_rule(rule: Rule, i: int) -> bool:
        """``rule`` can report in body ``i``: its code holds one of the rule's needles (of
        its gate, with none) and, for a page-loop rule, the page-loop tokens (asked once
        a body, whichever loop rule asks)."""
        body = bodies[i]
        if not holds(rule.needles or rule.gate, body, i):
            return False
        if not rule.uses_page_loops:
            return True
        ok = loop_tokens.get(i)
        if ok is None:
            ok = loop_tokens[i] = holds(PAGE_LOOP_NEEDLES, body, i) and \
                may_hold_page_loop(mask[body.start:body.close + 1])
        return ok

    # what the summary keeps is kept whatever a function-local rule says: not asked again
    kept = [bool(keep) and holds(keep, b, i) for i, b in enumerate(bodies)]
    local = [r for r in rules if r.function_local]
    for i, k in enumerate(kept):
        if not k:
            kept[i] = any(for_rule(r, i) for r in local)
    for rule in rules:
        if rule.function_local:
            continue
        reached = {i for i in range(len(bodies)) if for_rule(rule, i)}
        if graph is not None:
            if "callers" in rule.neighbours:
                reached = _reach(reached, graph.callers)
            if "callees" in rule.neighbours:
                reached = _reach(reached, graph.callees)
        for i in reached:
            kept[i] = True
    constants = any("constants" in r.neighbours for r in rules if not r.function_local)
    kept = [k or (constants and _defines_constants(raw, mask, b)) for k, b in zip(kept, bodies)]
    blank = [b for b, k in zip(bodies, kept) if not k]
    if not blank:
        return None
    opens = [b.open for b in blank]

    def outside(directive) -> bool:
        i = bisect.bisect_right(opens, directive.start) - 1
        return i < 0 or directive.start >= blank[i].close

    premask = (blank_bodies(mask, blank), [d for d in layout.directives if outside(d)])
    return Blanked(blank_bodies(raw, blank), blank, premask)


class _Found:
    """Which needles each body's code (``Body.start`` to its ``}``) holds.  The rare
    needles are found in one Aho-Corasick pass over the file (``ahocorasick_rs``), each
    occurrence given to its body; ``page`` and ``folio``, in most bodies of a file that
    gets here, are a search bounded to the body each (it stops at the first).  Without
    the library every needle is a bounded search."""

    COMMON = frozenset({b"page", b"folio"})

    def __init__(self, mask: bytes, bodies: list[Body], needles: set[bytes]):
        self.mask = mask
        self.rare: list[set[bytes]] | None = None
        rare = sorted(needles - self.COMMON - {b""})
        try:
            from ahocorasick_rs import BytesAhoCorasick
        except ImportError:
            return
        self.rare = [set() for _ in bodies]
        if not rare or not bodies:
            return
        starts = [b.start for b in bodies]
        for k, a, _ in BytesAhoCorasick(rare).find_matches_as_indexes(mask, overlapping=True):
            i = _body_at(bodies, starts, a)
            if i is not None and a + len(rare[k]) <= bodies[i].close + 1:
                self.rare[i].add(rare[k])

    def holds(self, needle: bytes, body: Body, i: int) -> bool:
        if self.rare is None or needle in self.COMMON:
            return self.mask.find(needle, body.start, body.close + 1) != -1
        return needle in self.rare[i]


def _defines_constants(raw: bytes, mask: bytes, body: Body) -> bool:
    """The body defines a constant: a ``#define`` line or an ``enum`` with a list."""
    return _DEFINE.search(raw, body.open, body.close) is not None or \
        _ENUM.search(mask, body.open, body.close) is not None


def header_name(mask: bytes, body: Body) -> str | None:
    """The name of the function whose body is ``body``: the one word before a
    parenthesis, at the header's top level, that is not an annotation
    (``__attribute__((x))``, ``__releases(ptl)`` ...: ``_ANNOTATIONS``); None when it is
    not that plain: two such words (an annotation not in the list), a macro spelled in
    capitals standing for the header (``SYSCALL_DEFINE3(name, ...)``), anything after
    the last ``)``.  A body without a name is one whose callers cannot be told."""
    close = mask.rfind(b")", body.start, body.open)
    if close < 0 or mask[close + 1:body.open].strip():
        return None
    names, depth = [], 0
    for m in _PAREN.finditer(mask, body.start, body.open):
        if m.group() == b"(":
            if depth == 0:
                word = _NAME_BEFORE.search(mask, body.start, m.start())
                if word is None:
                    return None
                if word.group(1) not in _ANNOTATIONS:
                    names.append(word.group(1))
            depth += 1
        else:
            depth -= 1
    if len(names) != 1 or names[0].upper() == names[0]:
        return None
    return names[0].decode()


class _Calls:
    """Who names whom among a file's functions, by the names their code mentions:
    ``callees[i]``, the bodies whose function body ``i`` names; ``callers[i]``, the
    bodies naming body ``i``'s function.  ``unnamed``: the bodies without a plain name
    (``header_name``), whose callers cannot be told: a rule reading callers or callees
    then blanks nothing, and no edge is found."""

    def __init__(self, layout: Layout):
        bodies, mask = layout.bodies, layout.mask
        names = [header_name(mask, b) for b in bodies]
        self.unnamed = {i for i, n in enumerate(names) if n is None}
        self.callees: list[set[int]] = [set() for _ in bodies]
        self.callers: list[set[int]] = [set() for _ in bodies]
        if self.unnamed:
            return  # the caller keeps every body: no edges needed
        by_name: dict[str, list[int]] = {}
        for i, n in enumerate(names):
            by_name.setdefault(n, []).append(i)
        starts = [b.start for b in bodies]
        for name, at in word_mentions(mask, list(by_name)):
            i = _body_at(bodies, starts, at)
            if i is None:
                continue
            for j in by_name[name]:
                if j != i:
                    self.callees[i].add(j)
                    self.callers[j].add(i)


def _reach(start: set[int], edges: list[set[int]]) -> set[int]:
    """``start`` and every index reached from it along ``edges``."""
    reached, todo = set(start), list(start)
    while todo:
        for j in edges[todo.pop()]:
            if j not in reached:
                reached.add(j)
                todo.append(j)
    return reached


def _body_at(bodies: list[Body], starts: list[int], at: int) -> int | None:
    """The index of the body ``at`` lies in (from its header's start to its ``}``)."""
    i = bisect.bisect_right(starts, at) - 1
    if i >= 0 and at <= bodies[i].close:
        return i
    return None
