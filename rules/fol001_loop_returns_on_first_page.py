"""FOL001 loop-returns-on-first-page

What it does:
    Flags a per-page loop (a loop over the pages of a folio) whose body leaves
    the loop on every path: a ``return``, a ``break`` or a ``goto`` to a label
    outside the loop that is not guarded by a condition.

Why it is wrong:
    The loop runs once.  Page 0 of the folio is handled and pages 1..nr-1
    never are.  It compiles, and it works on every single-page folio, so it
    survives testing until large folios reach the code.

Example:
    long i, nr = folio_nr_pages(folio);

    for (i = 0; i < nr; i++)
            return mte_save_tags(folio_page(folio, i));

Use instead:
    Return only on failure, and undo the pages already done:

    for (i = 0; i < nr; i++) {
            err = mte_save_tags(folio_page(folio, i));
            if (err)
                    goto out;
    }
    return 0;
"""

from __future__ import annotations

from folint import flow
from folint.parsing import captures
from folint.rule import Rule
from folint.sim.kinds import EventKind, LoopExit

_HOW = {"return_statement": "returns", "break_statement": "breaks out", "goto_statement": "jumps out"}


# Only these statements make ``flow.outcomes`` EXIT: a body holding none of them cannot
# leave on every path, and a query (in C) says so without the flow pass over every node.
_EXITS = "[(return_statement) (break_statement) (goto_statement)] @exit"


def _leaves_somewhere(body) -> bool:
    return bool(captures(_EXITS, body))


class LoopReturnsOnFirstPage(Rule):
    code = "FOL001"
    name = "loop-returns-on-first-page"
    summary = "every path through a per-page loop's body leaves the loop in the first iteration"
    function_local = True  # a finding is a per-page loop of the function (folint.loops reads the function only)
    uses_page_loops = True

    def check(self, src):
        for loop in src.page_loops:
            body = loop.body
            if body is None or not _leaves_somewhere(body) or flow.outcomes(body, loop.node) != {flow.EXIT}:
                continue
            exit_stmt = flow.first_exit(body, loop.node) or body
            how = _HOW.get(exit_stmt.type, "leaves the loop")
            what = loop.folio or "the folio"
            yield self.finding(
                src, exit_stmt,
                f"loop over the pages of '{what}' {how} on its first iteration in {loop.function.name}(): "
                f"only page 0 is handled and the other pages never are; leave the loop only on failure "
                f"(e.g. `if (err) goto undo;`) and finish after the loop",
                loop.function.name, statement=exit_stmt, loop=loop.finding_facts(),
                exit_byte=exit_stmt.start_byte,
            )

    def oracle(self, finding, sim):
        """Confirmed when a path leaves the loop (return/break/goto) before its last page
        with pages never reached; refuted when no explored path does."""
        from folint.sim import Scenario
        from folint.sim.oracle import events_in, pages_text, paths_text, runs_of

        if finding.loop is None:
            return None
        start = finding.loop.start
        nr = Scenario().nr

        def witness(path):
            for run in runs_of(path, start):
                if run.exit not in (LoopExit.RETURN, LoopExit.BREAK, LoopExit.GOTO):
                    continue
                events = events_in(path, run)
                reached = {i for e in events for i in e.page_indexes() if isinstance(i, int) and 0 <= i < nr}
                reached = reached or set(range(min(run.iterations, nr)))
                never = set(range(nr)) - reached
                if run.iterations >= nr or not never:
                    continue
                callees = [e.name for e in events if e.kind in (EventKind.CALL, EventKind.FAIL) and e.pages()]
                who = f"{callees[0]}() reached" if callees else "the loop reached"
                how = {"return": "returned", "break": "broke out", "goto": "jumped out"}[run.exit]
                return (f"{nr}-page folio: {who} page {pages_text(reached)} only, then the loop {how} "
                        f"at line {run.exit_line}; page{'s' * (len(never) > 1)} {pages_text(never)} never")
            return None

        return sim.judge_loop(start, witness, lambda ex: (
            f"with a {nr}-page folio every path reaches all pages before the loop ends "
            f"({paths_text(len(ex.feasible))} explored)"))
