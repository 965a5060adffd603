"""FOL010 mapcount-one-as-exclusive

What it does:
    Flags a mapcount compared with one to decide whether a folio that can be
    large is mapped by one process: ``folio_mapcount(folio) == 1``, ``!= 1``,
    ``> 1``, ``< 2``, ``>= 2``, and the same on the head page
    (``page_mapcount(&folio->page)``, ``page_mapcount(folio_page(folio, 0))``).
    The message suggests what the tree offers (an API fact, ``folint facts
    TREE``): ``folio_likely_mapped_shared()`` (6.7 on), ``folio_maybe_mapped_shared()``
    (6.15 on) or ``folio_estimated_sharers()`` (6.1 stable, 6.3 on).  No finding where
    the code shows the folio is small (``if (!folio_test_large(folio))``, an order-0
    allocation, ``!folio_test_large(folio) && ...``) or hugetlb (mapped as a whole;
    also all of mm/hugetlb*.c and fs/hugetlbfs/), in mm/ksm.c (KSM folios are
    order 0),
    nor for comparisons with ``folio_nr_pages()`` or ``>= 1`` ("is it mapped at all").

Why it is wrong:
    A large folio is mapped page by page: mapped by this process alone with page
    table entries, its ``folio_mapcount()`` is the number of pages mapped (4 for a
    fully mapped 4-page folio), so ``!= 1`` calls an exclusive folio shared and
    ``== 1`` misses it.  The head page's mapcount is worse: it counts the mappings
    of page 0 only, so another process mapping pages 1-3 goes unseen and a shared
    folio is taken as exclusive.

Example:
    if (folio_mapcount(folio) != 1)
            goto skip;      /* shared: leave it */

Use instead:
    if (folio_likely_mapped_shared(folio))
            goto skip;
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from folint import callindex, cnodes
from folint.special_folios import hugetlb_at, special_code
from folint.rule import Rule
from folint.small_folio import small_at
from folint.vocab import page_expr

# op -> (with 1, with 2): what a true comparison claims.
_CLAIMS = {("==", "1"): "exclusive", ("!=", "1"): "shared", (">", "1"): "shared", ("<=", "1"): "exclusive",
           ("<", "2"): "exclusive", (">=", "2"): "shared"}
_FLIP = {"==": "==", "!=": "!=", ">": "<", "<": ">", ">=": "<=", "<=": ">="}


@dataclass(frozen=True)
class MapcountTest:
    node: Node       # the comparison
    call: Node       # the mapcount call
    folio: str       # the folio whose mapcount it is
    claim: str       # "exclusive" or "shared": what the comparison being true claims
    head_page: bool  # page_mapcount() of the head page


def mapcount_of(node: Node | None) -> tuple[str, bool] | None:
    """(folio, head_page) for ``folio_mapcount(folio)`` or ``page_mapcount(&folio->page)``."""
    node = cnodes.strip_parens(node)
    name = cnodes.call_name(node) if node is not None else None
    args = cnodes.call_args(node) if name else []
    if not args:
        return None
    if name == "folio_mapcount":
        return cnodes.normalise(cnodes.text(args[0])), False
    if name == "page_mapcount":
        pe = page_expr(args[0])
        if pe is not None and pe.form in ("head", "folio_page") and pe.folio and (pe.index or "").strip() == "0":
            return cnodes.normalise(pe.folio), True
    return None


def mapcount_test(cmp: Node) -> MapcountTest | None:
    if cmp.type != "binary_expression":
        return None
    op = cnodes.text(cmp.child_by_field_name("operator"))
    left, right = cmp.child_by_field_name("left"), cmp.child_by_field_name("right")
    for side, other, o in ((left, right, op), (right, left, _FLIP.get(op, op))):
        got = mapcount_of(side)
        value = cnodes.text(cnodes.strip_parens(other)).rstrip("uUlL") if other is not None else ""
        claim = _CLAIMS.get((o, value))
        if got is not None and claim is not None:
            return MapcountTest(cmp, cnodes.strip_parens(side), got[0], claim, got[1])
    return None


class MapcountOneAsExclusive(Rule):
    code = "FOL010"
    name = "mapcount-one-as-exclusive"
    summary = "a mapcount compared with one decides whether a folio that can be large is mapped by one process"
    gate = (b"folio",)  # folio_mapcount(folio), or page_mapcount() of &folio->page / folio_page(folio, 0)
    needles = (b"_mapcount",)  # not "_mapcount(": `folio_mapcount (folio)` is a call too
    function_local = False  # small_folio.small_at reads the callers and callees in the file
    neighbours = frozenset({"callers", "callees"})  # what it reads of them (folint.blanking)

    def check(self, src):
        if special_code(src.path):
            return
        for fn in src.functions:
            for call in callindex.calls_to(fn, ("folio_mapcount", "page_mapcount")):
                node, parent = call, call.parent
                while parent is not None and parent.type == "parenthesized_expression":
                    node, parent = parent, parent.parent
                test = mapcount_test(parent) if parent is not None else None
                if test is None:
                    continue
                if test.folio.isidentifier() and (small_at(fn, test.folio, test.node, src)
                                                  or hugetlb_at(fn, test.folio, test.node)):
                    continue
                yield self._finding(src, fn, test)

    def _suggestion(self, folio: str, claim: str) -> str:
        helper = self.facts.get("mapped_shared_helper")
        source = self.facts.where("mapped_shared_helper", helper["name"])
        if helper["returns"] == "count":
            form = f"{helper['name']}({folio}) {'== 1' if claim == 'exclusive' else '> 1'}"
        else:
            form = f"{'!' if claim == 'exclusive' else ''}{helper['name']}({folio})"
        return f"use `{form}` (what this tree offers, from {source})"

    def _finding(self, src, fn, test: MapcountTest):
        text = cnodes.normalise(cnodes.text(test.node))
        if test.head_page:
            why = (f"it counts the mappings of the head page only, so another process mapping other pages of "
                   f"'{test.folio}' goes unseen")
        else:
            why = (f"a large folio mapped by this process alone, page by page, has one mapping per page "
                   f"(4 for a 4-page folio), not 1")
        message = (f"`{text}` decides that '{test.folio}' is {test.claim} by its mapcount, but '{test.folio}' can "
                   f"be a large folio here and {why}; {self._suggestion(test.folio, test.claim)}")
        return self.finding(src, test.node, message, fn.name, folio=test.folio, claim=test.claim,
                            call_byte=test.call.start_byte, head_page=test.head_page)

    def oracle(self, finding, sim):
        """Confirmed when the simulator reaches the mapcount call with a model folio of
        more than one page (nr = 4): the comparison runs on a large folio, whose mapcount
        (one per page mapped) the comparison with 1 misreads.  The simulator does not
        model mappings, so it cannot count them: it shows that the folio can be large
        at the test, and the evidence says what the mapcount is then.  Refuted when no
        explored path reaches the test with a large folio (a guard the static check
        did not see)."""
        from folint.sim import Scenario
        from folint.sim.values import Folio, Page

        byte = finding.data.get("call_byte")
        if byte is None:
            return None
        nr = Scenario().nr
        head = finding.data.get("head_page")
        claim = finding.data.get("claim")

        def witness(path):
            for ev in path.events:
                if ev.byte != byte or ev.depth != 0 or not ev.args:
                    continue
                folio = ev.args[0].folio if isinstance(ev.args[0], Page) else ev.args[0]
                if isinstance(folio, Folio) and folio.nr > 1:
                    if head:
                        return (f"{folio.nr}-page folio reaches the test at line {ev.line}: page_mapcount() of "
                                f"page 0 is 1 when this process maps page 0 and another maps pages 1-{folio.nr - 1}, "
                                "so the test does not see that the folio is shared")
                    return (f"{folio.nr}-page folio reaches the test at line {ev.line}: mapped by this process "
                            f"alone page by page, folio_mapcount() is {folio.nr}, not 1, so the test "
                            + ("misses that the folio is exclusive" if claim == "exclusive"
                               else "calls an exclusive folio shared"))
            return None

        ex = sim.search(witness, stop_after=byte)
        return sim.judge(ex, witness, refute_evidence=(
            f"no explored path reaches the mapcount test with a folio of more than one page (nr={nr})"))
