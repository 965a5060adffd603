"""FOL005 loop-page-index-unused

What it does:
    Flags a call inside a per-page loop that is given the same page of the
    loop's folio on every iteration (``folio_page(folio, 0)``,
    ``&folio->page``, a page variable set once before the loop, or one set
    in the body from an expression that does not change with the iteration,
    ``struct page *page = folio_page(folio, 0);``) when the call says nothing
    else that changes per iteration.  Another argument that is the
    iteration's page does not count as a change: ``copy_highpage(dst++,
    folio_page(folio, 0))`` copies page 0 every time.

Why it is wrong:
    The loop is there to visit each page, but this call sees page 0 ``nr``
    times and the other pages never.  It is the typical leftover of replacing
    ``page`` by ``&folio->page`` and then wrapping the code in a loop.

Example:
    long i, nr = folio_nr_pages(folio);

    for (i = 0; i < nr; i++)
            flush_dcache_page(&folio->page);

Use instead:
    for (i = 0; i < nr; i++)
            flush_dcache_page(folio_page(folio, i));

    (or a folio API that covers every page, such as ``flush_dcache_folio``).
"""

from __future__ import annotations

from folint import cnodes
from folint.rule import Rule

# Calls that compute a page rather than act on one.
_PAGE_SELECTORS = frozenset({"folio_page", "nth_page", "page_folio", "page_to_pfn", "folio_pfn"})


class LoopPageIndexUnused(Rule):
    code = "FOL005"
    name = "loop-page-index-unused"
    summary = "a per-page loop passes the same page to a page API on every iteration"
    function_local = True  # the loop and the calls in it are the function's own
    uses_page_loops = True

    def check(self, src):
        for loop in src.page_loops:
            if not loop.steppers:
                continue
            for call in loop.calls():
                fn = cnodes.call_name(call)
                if fn in _PAGE_SELECTORS:
                    continue
                args = cnodes.call_args(call)
                # The call says something else that changes per iteration (the index, an
                # offset): not the same call each time.  A moving *page* argument does not
                # count: copy_highpage(dst++, folio_page(folio, 0)) still copies page 0.
                if any(loop.steppers & cnodes.identifiers(a) and loop.page_kind(a) != "indexed" for a in args):
                    continue
                fixed = next((a for a in args if loop.page_kind(a) == "fixed"), None)
                if fixed is None:
                    continue
                name = fn or cnodes.text(call.child_by_field_name("function"))
                index = loop.index or loop.walk_var
                folio = loop.folio or "folio"
                yield self.finding(
                    src, fixed,
                    f"{name}() gets the same page '{src.text(fixed)}' on every iteration of the loop over the "
                    f"pages of '{folio}' in {loop.function.name}(); pass the iteration's page "
                    f"(`folio_page({folio}, {index})`) or use a folio API that covers every page",
                    loop.function.name, loop=loop.finding_facts(call=name, call_byte=call.start_byte),
                )

    def oracle(self, finding, sim):
        """Confirmed when the flagged call gets one page in two or more iterations;
        refuted when no explored path does."""
        from folint.sim import Scenario
        from folint.sim.oracle import events_in, pages_text, paths_text, runs_of
        from folint.sim.values import render

        facts = finding.loop
        if facts is None or facts.call_byte is None:
            return None
        start, call_byte = facts.start, facts.call_byte
        nr = Scenario().nr
        callee = facts.call or "the call"

        def witness(path):
            for run in runs_of(path, start):
                iterations: dict = {}
                for e in events_in(path, run):
                    if e.byte == call_byte:
                        for page in e.pages():
                            iterations.setdefault(page, []).append(e.iteration(start))
                for page, its in iterations.items():
                    if len(set(its)) < 2:
                        continue
                    got = {p.index for p in iterations if p.folio is page.folio and isinstance(p.index, int)}
                    never = set(range(nr)) - got
                    tail = f"; page{'s' * (len(never) > 1)} {pages_text(never)} never" if never else ""
                    return (f"{nr}-page folio: {callee}() got {render(page)} in "
                            f"iterations {pages_text(set(its))}{tail}")
            return None

        return sim.judge_loop(start, witness, lambda ex: (
            f"with a {nr}-page folio, {callee}() never got the same page in two iterations "
            f"({paths_text(len(ex.feasible))} explored)"))
