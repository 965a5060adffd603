"""FOL004 per-page-failure-without-rollback

What it does:
    Flags the way out of a per-page loop taken when a call fails
    (``if (err) return err;``, ``goto out``, ``break``) when that way out does
    not undo the pages the loop already did, and the code shows those pages'
    work must be undone.

    "Must be undone" is decided from evidence, never guessed from names:

    - a call in the loop body is a known *do* whose effect stays until an
      *undo* is called: ``mte_save_tags`` / ``__mte_invalidate_tags``,
      ``trylock_page`` / ``unlock_page``, ``page_ref_freeze`` /
      ``page_ref_unfreeze``, ``dma_map_page`` / ``dma_unmap_page``,
      ``set_direct_map_invalid_noflush`` / ``set_direct_map_default_noflush``
      ... (the table ``UNDO`` below; add pairs with
      ``[rules.FOL004] undo = { my_do = ["my_undo"] }``), or
    - the function itself undoes the loop's pages on another path: a rollback
      loop that walks back over the pages done (``while (i--)``,
      ``for (j = 0; j < i; j++)``) calling something on the folio's pages, or
      another way out that hands the folio and the loop's progress to a helper
      (``drop_refs(folio, i)``).

    A way out is *handled* (not a finding) when, on its path (the failure
    branch, then the code at the ``goto`` label or after the loop, up to the
    next ``return``, following each ``goto``), it undoes pages (a loop over the
    folio's pages, or a call of the undo), or it passes on how far the loop got:
    the index, the walked page or a counter the loop steps is returned,
    stored or handed to a call (a partial count the caller handles).
    Logging calls (``pr_*``, ``WARN*``, ``trace_*`` ...) and memory frees
    (``kfree(list)``) do not count.

    A loop that records each page it did (``buf->addrs[i] = addr``,
    ``list[i] = addr``) passes its progress on through the record: handing the
    record on (``release(buf)``, ``unmap_list(list, nr)``) is handled, and a
    record in an object the caller gave (``buf`` a parameter, or set from one)
    needs no undoing here at all: its owner undoes exactly the pages recorded.
    A record in the function's own array, or in a bare array the way out does
    nothing with, is lost with the pages and still a finding.

    Only failures of calls count: the condition tests a call, or a variable
    set from a call in the loop body.  The callers of the function are not
    consulted (the tree index could add that later).

    The simulator confirms a finding by failing that call on page 1 of a
    4-page folio (with -ENOMEM, 0 for ``if (!x)``, the error codes the
    condition names, or 1) and showing the function leave through the flagged
    exit without page 0 reaching any call afterwards; it refutes one when no
    path does.

Why it is wrong:
    When the call fails on page k of a large folio, pages 0..k-1 keep their
    saved tags, locks, references or mappings while the caller is told the
    whole operation failed and will not undo anything.  That leaks memory (tag
    storage), leaves pages locked, or leaves stale state for the next user of
    the page.  A one-page folio never fails after a success, so testing on
    small folios never shows it.

Example:
    for (i = 0; i < nr; i++) {
            err = mte_save_tags(folio_page(folio, i));
            if (err)
                    return err;
    }

Use instead:
    Undo the pages already done, newest first, as the kernel does:

    for (i = 0; i < nr; i++) {
            err = mte_save_tags(folio_page(folio, i));
            if (err)
                    goto out;
    }
    return 0;
    out:
    while (i--)
            __mte_invalidate_tags(folio_page(folio, i));
    return err;

    or return how many pages were done and let the caller undo them.

Options:
    [rules.FOL004]
    undo = { my_map_page = ["my_unmap_page"] }   # more do -> undo pairs
"""

from __future__ import annotations

import functools

import re
from dataclasses import dataclass

from tree_sitter import Node

from folint import cnodes, flow, vocab
from folint.enums import Verdict
from folint.rule import Rule
from folint.sim.kinds import EventKind, LoopExit, PathStatus
from folint.vocab import PAGE_LOOP_NEEDLES
from folint_rules.fol004_paths import handled, kept_by_caller, progress_calls, record_names, records, rollback_loops

# do -> the calls that undo it.  Each do leaves per-page state behind until undone,
# and reports failure to its caller.
UNDO: dict[str, tuple[str, ...]] = {
    "mte_save_tags": ("__mte_invalidate_tags", "mte_invalidate_tags", "mte_free_tags"),
    "trylock_page": ("unlock_page",),
    "folio_trylock": ("folio_unlock",),
    "get_page_unless_zero": ("put_page",),
    "try_get_page": ("put_page",),
    "page_ref_freeze": ("page_ref_unfreeze",),
    "page_ref_add_unless": ("page_ref_sub", "put_page"),
    "try_grab_page": ("unpin_user_page", "put_page"),
    "dma_map_page": ("dma_unmap_page",),
    "dma_map_page_attrs": ("dma_unmap_page_attrs",),
    "set_direct_map_invalid_noflush": ("set_direct_map_default_noflush",),
    "isolate_movable_page": ("putback_movable_page",),
    "isolate_lru_page": ("putback_lru_page",),
    "set_page_guard": ("clear_page_guard",),
    "xa_store": ("xa_erase",),
    "xa_insert": ("xa_erase",),
}

_HOW = {"return_statement": "returns", "break_statement": "breaks out of the loop",
        "goto_statement": "jumps out of the loop"}


@dataclass
class _Evidence:
    undo: list[str]  # names of calls that undo the loop's work
    why: str  # for the message


class PerPageFailureWithoutRollback(Rule):
    code = "FOL004"
    name = "per-page-failure-without-rollback"
    summary = "a per-page loop leaves on a failure without undoing the pages already done"
    needles = PAGE_LOOP_NEEDLES
    function_local = True  # the loop, its exits and the undo calls are read in the function only
    uses_page_loops = True
    default_options = {"undo": {}}

    def __init__(self, options=None, config=None):
        super().__init__(options, config)
        self.undo = dict(UNDO)
        extra = self.options.get("undo") or {}
        if not isinstance(extra, dict) or not all(isinstance(v, (list, str)) for v in extra.values()):
            from folint.config import ConfigError

            raise ConfigError("[rules.FOL004] undo must be a table: do_call = [\"undo_call\", ...]")
        for do, undo in extra.items():
            self.undo[do] = tuple([undo] if isinstance(undo, str) else undo)

    def check(self, src):
        for loop in src.page_loops:
            body = loop.body
            if body is None or not loop.steppers:
                continue
            fn = loop.function
            recorded = records(loop)
            if kept_by_caller(fn, recorded):
                continue  # each page done is recorded in the caller's object: its owner undoes them
            progress = loop.steppers | _counters(body) | record_names(recorded)
            exits = _failure_exits(loop, body)
            if not exits:
                continue
            evidence = self._evidence(loop, fn, progress, exits)
            if evidence is None:
                continue
            for exit_stmt, cond, failing in exits:
                if handled(fn, loop, exit_stmt, cond, progress, evidence.undo):
                    continue
                yield self._report(src, loop, exit_stmt, cond, failing, evidence)

    # -- is undoing needed? ----------------------------------------------
    def _evidence(self, loop, fn, progress, exits) -> _Evidence | None:
        for call in cnodes.of_type(loop.body, "call_expression"):
            name = cnodes.call_name(call)
            if name in self.undo and _takes_iteration_page(call, loop):
                return _Evidence(list(self.undo[name]), f"{name}() is undone by {self.undo[name][0]}()")
        rollback = rollback_loops(loop, fn)
        if rollback:
            line = rollback[0][0].start_point[0] + 1
            return _Evidence([n for _, names in rollback for n in names],
                             f"the function undoes them with {rollback[0][1][0]}() at line {line} on another path")
        for exit_stmt, cond, _failing in exits:
            helpers = progress_calls(fn, loop, exit_stmt, cond, progress)
            if helpers:
                return _Evidence(helpers, f"another failure path hands the loop's progress to {helpers[0]}()")
        return None

    def _report(self, src, loop, exit_stmt, cond, failing, evidence):
        fn = loop.function
        where = f"page k of '{loop.folio}'" if loop.folio else "page k of the pages walked"
        undo = evidence.undo[0] if evidence.undo else "the undo"
        what = f"{failing}() can fail" if failing else "a call can fail"
        how = _HOW.get(exit_stmt.type, "leaves the loop")
        back = f"`while ({loop.index}--)`" if loop.index else f"walking '{loop.walk_var}' back"
        return self.finding(
            src, exit_stmt,
            f"{what} on {where} in {fn.name}(), and this path {how} without undoing pages "
            f"0..k-1 ({evidence.why}); undo them first, newest first ({back} calling {undo}() for each "
            f"page done), or return how many pages were done",
            fn.name, statement=exit_stmt, loop=loop.finding_facts(call=failing),
            exit_byte=exit_stmt.start_byte, cond_byte=cond.start_byte, fail_zero=_fails_as_zero(cond), undo=list(evidence.undo),
            errnos=sorted(set(re.findall(r"-\s*(E[A-Z0-9]+)\b", cnodes.text(cond)))),
        )

    # -- the simulator's confirmation --------------------------------------
    def oracle(self, finding, sim):
        """Fail the call on page 1 of a 4-page folio.  Confirmed when a path leaves the
        loop through the flagged exit in that iteration and no call after the failure is
        given page 0; refuted when, for every failure value tried, every path that fails
        there passes page 0 on (or never takes the flagged exit)."""
        from folint.sim import Scenario
        from folint.sim.oracle import folio_size_text, runs_of
        from folint.sim.values import render

        if finding.loop is None or not finding.loop.call:
            return None
        start, call = finding.loop.start, finding.loop.call
        k = 1

        def fail_when(ev):
            return ev.name == call and ev.iteration(start) == k + 1

        def witness(path):
            failed = next((i for i, e in enumerate(path.events) if e.kind == EventKind.FAIL and e.name == call
                           and e.iteration(start) == k + 1), None)
            if failed is None or path.status != PathStatus.RETURNED:
                return None
            if not any(r.exit in (LoopExit.RETURN, LoopExit.BREAK, LoopExit.GOTO) and r.exit_line == finding.line and
                       r.iterations == k + 1 for r in runs_of(path, start)):
                return None  # this path did not leave through the flagged exit
            later = {i for e in path.events[failed + 1:] if e.kind in (EventKind.CALL, EventKind.FAIL)
                     for i in e.page_indexes() if isinstance(i, int)}
            if set(range(k)) & later:
                return None
            return (f"{folio_size_text(nr)}: {call}() failed on page {k}, the loop left at line "
                    f"{finding.line} and the function returned {render(path.returned)} without passing page 0 "
                    f"(done before the failure) to any call")

        def refutation(ex):
            return (f"with a {ex.scenario.nr}-page folio and {call}() failing on page {k} "
                    f"({', '.join(map(str, values))}), no path leaves through line {finding.line} without "
                    f"passing page 0 to a call")

        values = _failure_values(finding.data)
        nr = Scenario().nr
        verdicts = []
        for value in values:
            ex = sim.run(Scenario(nr=nr, fail_when=fail_when, fail_value=value))
            verdict = sim.judge(ex, witness, refute_evidence=refutation)
            if verdict.verdict == Verdict.CONFIRMED:
                return verdict
            verdicts.append(verdict)
        return next((v for v in verdicts if v.verdict == Verdict.INCONCLUSIVE), verdicts[-1])


def _failure_values(data: dict) -> list[int]:
    """The values to fail the call with: 0 for ``if (!x)``, else -ENOMEM, then the error
    codes the condition compares with (``err == -EAGAIN``), then 1 (``copy() > 0``)."""
    from folint.sim.values import ERRNO

    first = 0 if data.get("fail_zero") else -ERRNO["ENOMEM"]
    out = [first]
    for name in data.get("errnos", ()):
        if name in ERRNO and -ERRNO[name] not in out:
            out.append(-ERRNO[name])
    if 1 not in out and not data.get("fail_zero"):
        out.append(1)
    return out


# -- the loop's failure exits ---------------------------------------------------

def _failure_exits(loop, body) -> list[tuple[Node, Node, str | None]]:
    """(exit statement, if condition, name of the call that failed) for each way out of
    the loop taken under a condition that tests a call's result."""
    out: dict[int, tuple[Node, Node, str | None]] = {}
    for ifs in cnodes.of_type(body, "if_statement"):
        cons = ifs.child_by_field_name("consequence")
        if cons is None:
            continue
        exit_stmt = flow.first_exit(cons, loop.node)
        if exit_stmt is None:
            continue
        cond = ifs.child_by_field_name("condition")
        failing = _failing_call(cond, ifs, loop, body)
        if failing is False:
            continue
        previous = out.get(exit_stmt.start_byte)
        if previous is None or cnodes.is_inside(ifs, previous[1].parent):
            out[exit_stmt.start_byte] = (exit_stmt, cond, failing)
    return sorted(out.values(), key=lambda t: t[0].start_byte)


def _failing_call(cond: Node | None, ifs: Node, loop, body) -> str | None | bool:
    """The call whose failure the condition tests: a call in it, or the call that set a
    variable it tests.  False when the condition tests no call."""
    if cond is None:
        return False
    calls = [c for c in cnodes.of_type(cond, "call_expression") if cnodes.call_name(c)]
    tested = cnodes.identifiers(cond)
    for name in sorted(tested, key=lambda n: -cond.text.find(n.encode())):
        source = _last_call_assigned(body, name, ifs.start_byte)
        if source is not None:
            return source
    if calls:
        paged = [c for c in calls if _takes_iteration_page(c, loop)]
        return cnodes.call_name((paged or calls)[0])
    return False


@functools.lru_cache(maxsize=8)
def _writes(body: Node) -> dict[str, list[Node]]:
    """``cnodes.assigned_names`` of a loop body, once per body (asked for each ``if`` in it)."""
    return cnodes.assigned_names(body)


def _last_call_assigned(body: Node, name: str, before: int) -> str | None:
    """The call in the last ``name = call(...)`` before byte ``before`` in ``body``."""
    best = None
    for w in _writes(body).get(name, []):
        if w.end_byte > before:
            continue
        value = w.child_by_field_name("value") if w.type == "init_declarator" else (
            w.child_by_field_name("right") if w.type == "assignment_expression" else None)
        value = cnodes.strip_parens(value)
        if value is None:
            continue
        call = value if value.type == "call_expression" else next(cnodes.of_type(value, "call_expression"), None)
        if call is not None and cnodes.call_name(call) and (best is None or w.start_byte > best[0]):
            best = (w.start_byte, cnodes.call_name(call))
    return best[1] if best else None


def _fails_as_zero(cond: Node) -> bool:
    """``if (!ptr)`` / ``if (!trylock_page(p))``: the failing call returns 0 / NULL / false."""
    cond = cnodes.strip_parens(cond)
    return cond is not None and cond.type == "unary_expression" and cnodes.text(cond).startswith("!")


def _takes_iteration_page(call: Node, loop) -> bool:
    return any(loop.page_kind(a) == "indexed" or (loop.steppers & cnodes.identifiers(a) and
                                                   vocab.page_expr(a) is not None)
               for a in cnodes.call_args(call))


def _counters(body: Node) -> set[str]:
    """Variables the loop body steps (``done++``, ``nr_done += n``): progress counters."""
    out = set()
    for name, writes in cnodes.assigned_names(body).items():
        for w in writes:
            if w.type == "update_expression" and "++" in cnodes.text(w) and \
                    w.child_by_field_name("argument").type == "identifier":
                out.add(name)
            elif w.type == "assignment_expression" and cnodes.text(w.child_by_field_name("operator")) == "+=" \
                    and w.child_by_field_name("left").type == "identifier":
                out.add(name)
    return out
