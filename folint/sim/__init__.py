"""The companion simulator: runs a finding's function on a model folio.

It interprets the tree-sitter AST of one C function (it never compiles or
executes the code): integers are exact, the folio vocabulary is modelled
(a folio of N pages, page k of a folio, swap entries with ``.val``), and
anything it cannot know is an *unknown*.  A branch on an unknown forks the
run; every path (a :class:`SimRun`) is replayed from the function's entry
with its list of choices, so paths never share mutable state.  Paths, steps,
call depth and wall time are bounded: running out is an answer
(``inconclusive`` with the reason), never a hang.  The interpreter's rooms
(run state, statements, conditions, expressions, memory, calls) are listed in
``folint.sim.run``.

Oracle API (what a rule implements)
-----------------------------------
A rule that the simulator can confirm defines, at the end of its class::

    def oracle(self, finding: Finding, sim: Simulation) -> Judgement | None:
        ...

``Rule.oracle`` returns None by default: the finding stays ``unverified``.
``sim`` is a :class:`Simulation` of the finding's function in the very
``SourceFile`` the rule checked (``sim.src``, ``sim.function``), so the byte
offsets a rule put on the finding (``finding.loop.start``, ``.call_byte`` for a loop rule,
its own ``finding.data`` keys otherwise)
match ``Event.byte`` and ``LoopRun.start_byte``.  An oracle that raises is
reported as a file error and the finding becomes ``inconclusive``.

Running a function::

    ex = sim.run()                                  # default Scenario(): nr=4 pages
    ex = sim.run(Scenario(nr=4, fail_at=2))         # the 2nd unmodelled call fails
    ex = sim.run(Scenario(fail_when=lambda ev: ev.name == "mte_save_tags"
                                        and ev.page_indexes() == {1}))
    ex = sim.run(Scenario(inline=True), function="caller")   # step into callees
    ex = sim.run(until=lambda path: my_witness(path) is not None)  # stop early
    ex = sim.run(stop_after_loop=start)   # end each path once it is past that loop
    ex = sim.run(stop_after=finding_byte)  # ... once it is past the finding's statement
    ex = sim.search(my_witness, stop_after=finding_byte)  # until + stop_after, <= 64 paths

``stop_after_loop`` (pass it only when ``sim.outermost_loop(start)``) ends a
path as soon as it leaves or goes past the loop starting at byte ``start``,
and bounds the other loops on unknowns at 2 iterations: far fewer paths when
only that loop matters.  ``stop_after`` ends a path at the first statement of the
function itself, outside every loop, that starts after the statement holding the
byte (no effect when a goto after it jumps back before it).  ``sim.search`` is
the witness search of the FOL007-FOL014 oracles: ``until`` plus ``stop_after``
within ``oracle.SEARCH_PATHS`` (64) paths; an exploration that fits can still
refute.

``Scenario`` fields: ``nr`` (pages of every model folio, default 4),
``fail_at`` (1-based number of the unmodelled call to fail on each path),
``fail_when`` (predicate on the call's :class:`Event`; the first match fails),
``fail_value`` (default ``-ENOMEM``; use 0 for allocators that return NULL),
``args`` (name -> int, ``"NULL"``, ``"unknown"``, ``"entry"``, ``"folio:N"`` or
``"page:K"``, overriding binding by type), ``locals`` (name -> int: a local of the
function itself whose initial value is unknown, read from a field or returned by a call,
takes that integer instead, with an "assume" event saying so; a value the code computes is
kept), ``max_iterations`` (None, or a cap on the iterations of a loop that forks on
unknowns: 1 looks at the first iteration only, where a start read from a field is still
unaligned), ``inline``  (False, True or a set of
function names: calls to functions defined in the same file - or in
``extra_sources`` - are stepped into; events inside carry ``depth`` >= 1), and
the budgets ``max_paths`` (256), ``max_steps`` (20000 per path),
``max_total_steps`` (500000 for the whole run, about a second and a half),
``max_depth`` (8 nested calls), ``max_seconds`` (5.0 seconds of this
process's CPU time for the whole run: a safety net; the step and path budgets
bind first, and CPU time rather than wall time keeps the answer the same on a
busy machine).  Runs without ``until`` are cached per
(function, scenario, focus) within one Simulation; runs with ``until`` under an equal
scenario share their paths (``folint.sim.explore.Explorer``): a later one is first offered
the paths already run and goes on where the earlier stopped, so several findings' searches
in one function run each path once.

Bounds that are part of the model, not failures: a loop that forks on unknowns
runs at most ``nr + 2`` iterations on a path (enough to see every page); the
path that would go on ends with status ``"bounded"`` (its earlier exits were
explored as other paths), and ``Exploration.bounds`` lists them.  An iterator
macro (``list_for_each_entry``) gives at most 2 elements, each a fresh unknown.

Parameters are bound by type: ``struct folio *`` -> a folio of ``nr`` pages,
``struct page *`` -> page 0 of such a folio, ``swp_entry_t`` -> a symbolic
entry ("entry base+0"), ``struct page **`` / ``struct folio **`` -> a page array
(:class:`folint.sim.values.PageArray`), anything else -> an unknown.  A page
array's element ``k`` is what the function stored there, else (first read) an
unknown that becomes page 0 of a folio of its own ("folio of pages[k]") where it
is used as a page, so a NULL test on it still forks; ``pages + n`` is a view of
the same elements.  A local of that type set from an unknown, and a field named
for its pages where it is indexed (``req->pages[i]``, ``eb->folios[k]``; not
``nr_pages``), are page arrays too.  A call event keeps a snapshot of a page array (and of a local array
of up to 64 items) as it was at the call.  An unknown assigned to
a ``struct folio *`` / ``struct page *`` / ``swp_entry_t`` variable, or
passed to a folio API, becomes a fresh model folio (page, entry).

Reading the result: :class:`Exploration` has ``paths`` (list of
:class:`SimRun`, one simulated run each, from ``folint.sim.run``),
``complete`` (True when every path was explored to its end within budget)
and ``reason`` (why not).  A :class:`SimRun` has:

- ``events``: list of :class:`Event` in execution order,
- ``status``: ``"returned"``; ``"stopped"`` (past the focus loop);
  ``"bounded"`` (see above); ``"cut"`` (a budget ran out; ``reason`` says
  which, e.g. "step limit (20000) reached: a loop or goto cycle that does not
  end?"); ``"infeasible"`` (it dereferenced NULL: not a real execution,
  ignored by ``judge``),
- ``returned``: the return value (a value, see below) when returned,
- ``loop_runs``: list of :class:`LoopRun` (``start_byte``, ``line``,
  ``iterations``, ``exit``: "condition" | "break" | "return" | "goto" | "cut",
  ``exit_line``, ``id``),
- ``approximations``: lines of code the interpreter skipped (unparsed or
  unsupported), as "line N: what",
- ``trace(kinds=...)``: the trace as ``[{"line": N, "event": "..."}]``.

An :class:`Event` has ``index`` (its 1-based position in ``path.events``:
events are in execution order, so "A happened before B" is ``a.index <
b.index``), ``kind`` ("call": an unmodelled call; "model": a modelled
folio/page/swap call; "fail": an injected failure; "assume": a branch taken
on an unknown; "return"; "loop": a loop left; "use": see below), ``name``
(callee), ``args`` (evaluated values), ``result``, ``line``, ``byte`` (start
byte of the node), ``node`` (the lowered node), ``depth``, ``function``,
``text`` (rendered: "call mte_save_tags(page 2 of folio)"), ``loops`` (the active loops, innermost last, as
``(start_byte, run_id, iteration)`` with iteration 1-based) and helpers
``pages()`` / ``page_indexes(folio=None)`` / ``entries()`` /
``iteration(loop_start)`` / ``in_run(run)``.

The "value used" hook: every dereference of a model value (a :class:`Folio`,
a :class:`Page`, an :class:`ErrPtr`, or a :class:`Sym` address whose base says
``tracked = True``, as the one-page mappings of ``folint.sim.models_kmap`` do:
``p->field``, ``*p``, ``p[i]``, with ``subscript`` the value of ``i``) and
every model value passed as a call argument (to any call: unmodelled, modelled
or stepped into) records an Event of kind ``"use"``, before the call's own
event, with ``value`` (the value used: the object itself, so ``e.value is
folio`` tells which), ``use`` ("field", "deref", "index" or "arg"),
``target`` (the field's name for "field", the callee's for "arg"), ``arg``
(the argument's 0-based position), ``line``, ``byte`` and ``node`` of the
dereference or of the argument.  Uses are not in traces (``TRACE_KINDS``).
``folint.sim.oracle.uses_of(path, value)`` gives the uses of one value (a
folio's include its pages').  An oracle for "the folio was used after
``folio_put``"::

    def witness(path):
        for put in path.events:
            if put.kind == "call" and put.name == "folio_put" and put.args:
                later = [u for u in uses_of(path, put.args[0]) if u.index > put.index]
                if later:
                    return f"folio_put() at line {put.line}, then used at line {later[0].line}"
        return None

and for "an ERR_PTR reached a dereference"::

    bad = [u for u in uses_of(path) if isinstance(u.value, ErrPtr) and u.use != "arg"]

Values (``folint.sim.values``): Python ``int``; :class:`Unknown`;
:class:`Folio` (``nr``, ``label``); :class:`Page` (``folio``, ``index``);
``Struct`` (a C struct by value; a swap entry is a ``Struct`` of type
``swp_entry_t`` whose ``val`` is a :class:`Sym`: ``base`` label + ``delta``);
:class:`Ref` (address of a local); :class:`ErrPtr` (an error pointer,
``errno``: ``ERR_PTR(e)`` gives one, ``IS_ERR()``/``IS_ERR_OR_NULL()`` are
true of it, ``PTR_ERR()``/``PTR_ERR_OR_ZERO()`` give ``e`` back, a NULL test
``!p`` on it is false).  ``values.render(v)`` gives the readable form ("page 2
of folio", "entry base+1", "-12 (-ENOMEM)", "ERR_PTR(-2 (-ENOENT))").

Helpers in ``folint.sim.oracle``: ``runs_of(path, loop_start)`` (that loop's
runs in the function itself), ``events_in(path, run)``, ``pages_text({1, 2,
3})`` -> "1-3", ``paths_text(n)``, ``loop_not_reached(ex, loop_start)``
(refutation evidence when no path runs the loop), ``trace_of(path, kinds)``,
``pages_handed_on(path)`` (the pages calls got through an array: ``(event,
"pages[0]", page)`` for each page an array passed to a call held, and for each
page read from an array and passed on).  ``sim.in_loop(byte)`` tells whether the
code at ``byte`` is inside a loop of the function.

Verdicts: an oracle returns a :class:`Judgement` (``verdict``, ``evidence``,
``trace``): :func:`confirmed` (evidence sentence, trace),
:func:`refuted` (evidence) or :func:`inconclusive` (reason), or use
``sim.judge(exploration, witness)``: ``witness(path) -> str | None`` gives
the evidence sentence when that path shows the bug; judge returns confirmed
with that path's trace, else refuted (if the exploration is complete and
no code was skipped) with ``refute_evidence`` (a string, or a function of the
exploration; the loop bounds applied are appended), else inconclusive with the
reason.

Models (``folint.sim.models``): the hook ``folint_sim_models(registry)``
lets any plugin add ``registry.add("name", fn)`` where ``fn(call) -> value``
(``call.args``, ``call.name``, ``call.path``, ``call.scenario``; return
``NOT_MODELLED`` to fall back to an event; ``call.fork("outcome", ...)`` forks
the path and returns the index of the outcome this path takes) and
``registry.add_constant("NAME", int)``.  A model returning a folio or an
error pointer::

    def filemap_lock_folio(call):
        if call.fork("finds the folio", "finds nothing") == 0:
            return call.path.new_folio("folio from filemap_lock_folio()")
        return ErrPtr(-ERRNO["ENOENT"])

    registry.add("filemap_lock_folio", filemap_lock_folio)

The built-in folio vocabulary lives in ``folint.sim.builtin_models`` and is
registered through the same hook.  ``Scenario(fail_value=ErrPtr(-ERRNO[
"ENOENT"]))`` makes the injected failure an error pointer.

The words are str-valued Enums (``folint.enums.StrEnum``: each member equals,
hashes and prints as its string, so ``e.kind == "call"`` still holds and the
JSON and SARIF output is the same): :class:`folint.enums.Verdict`
(``CONFIRMED``, ``REFUTED``, ``INCONCLUSIVE``, ``UNVERIFIED``: a finding's
``verdict``, and a :class:`Judgement`'s), and in ``folint.sim.kinds``
:class:`EventKind` (``CALL``, ``MODEL``, ``FAIL``, ``ASSUME``, ``RETURN``,
``LOOP``, ``USE``), :class:`PathStatus` (``RETURNED``, ``STOPPED``,
``BOUNDED``, ``CUT``, ``INFEASIBLE``) and :class:`LoopExit` (``CONDITION``,
``BREAK``, ``RETURN``, ``GOTO``, ``CUT``).
"""

from __future__ import annotations

__all__ = [
    "ErrPtr", "Event", "EventKind", "Exploration", "Judgement", "LoopExit", "LoopRun", "PathStatus", "Scenario",
    "SimRun", "Simulation", "Verdict", "confirmed", "inconclusive", "refuted", "uses_of",
]


def __getattr__(name):  # lazy: importing folint.sim stays cheap for the rules
    if name in ("Event", "LoopRun", "SimRun"):
        from folint.sim import run

        return getattr(run, name)
    if name in ("Exploration", "Scenario"):
        from folint.sim import explore

        return getattr(explore, name)
    if name in ("EventKind", "LoopExit", "PathStatus"):
        from folint.sim import kinds

        return getattr(kinds, name)
    if name == "ErrPtr":
        from folint.sim.values import ErrPtr

        return ErrPtr
    if name == "Verdict":
        from folint.enums import Verdict

        return Verdict
    if name in ("Judgement", "Simulation", "confirmed", "inconclusive", "refuted", "uses_of"):
        from folint.sim import oracle

        return getattr(oracle, name)
    raise AttributeError(name)
