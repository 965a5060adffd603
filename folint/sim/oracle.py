"""What a rule's oracle works with: a Simulation of the finding's function, and the Judgement it returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from folint import cnodes
from folint.enums import Verdict
from folint.sim.explore import Exploration, Explorer, Program, Scenario, SimFunction
from folint.sim.state import TRACE_KINDS, EventKind, PathStatus, trace_of  # trace_of: part of the oracle API
from folint.sim.values import Array, Folio, Page, PageArray


# The path budget of a witness search (Simulation.search).  Measured on the fixtures and on
# 6.12 mm/ and fs/ (issue 8): every confirmation of FOL007-FOL014 came within 7 paths, and
# every exploration that ran to the 256-path budget ended inconclusive (a loop on unknowns
# that forks every iteration), at ~2 ms a path: the last 192 paths bought nothing.
SEARCH_PATHS = 64


@dataclass
class Judgement:
    """What an oracle returns: the verdict on the finding, the evidence sentence (or the
    reason it is inconclusive) and the trace of the path that shows it."""

    verdict: Verdict  # CONFIRMED, REFUTED or INCONCLUSIVE
    evidence: str
    trace: list = field(default_factory=list)


def confirmed(evidence: str, trace=()) -> Judgement:
    return Judgement(Verdict.CONFIRMED, evidence, list(trace))


def refuted(evidence: str, trace=()) -> Judgement:
    return Judgement(Verdict.REFUTED, evidence, list(trace))


def inconclusive(reason: str, trace=()) -> Judgement:
    return Judgement(Verdict.INCONCLUSIVE, reason, list(trace))


class Simulation:
    """One function of one SourceFile, ready to run under any scenario."""

    def __init__(self, src, function, *, registry=None, extra_sources=(), program: Program | None = None):
        """``registry``: the models (a ``folint.sim.models.ModelRegistry``, usually
        ``folint.plugins.model_registry()``), passed in by the caller; or a ``program``
        that holds one."""
        if program is None and registry is None:
            raise TypeError("Simulation needs the model registry (registry=folint.plugins.model_registry()) "
                            "or a program")
        self.src = src
        self.function = function  # folint.source.Function
        self.program = program or Program(src, registry, extra_sources)
        self._cache: dict = {}
        self._explorers: dict = {}  # Explorer by the key of run()
        self._gotos: list | None = None  # (goto's start byte, its label's or None), by _gotos

    def sim_function(self, name: str | None = None) -> SimFunction | None:
        if name is None or name == self.function.name:
            return self.program.lowered(self.src, self.function)
        return self.program.function(name)

    def run(self, scenario: Scenario | None = None, *, function: str | None = None,
            until: Callable | None = None, stop_after_loop: int | None = None,
            stop_after: int | None = None, fewest_flips: bool = False) -> Exploration:
        """Explore ``function`` (default: this one) under ``scenario``.  ``stop_after_loop``:
        end each path once it leaves or passes the loop starting at that byte (only if
        ``outermost_loop`` says so), and bound other loops on unknowns more tightly.
        ``stop_after``: end each path once it is past the statement holding that byte of
        this function (see ``past_statement``); for an oracle whose witness and
        refutation look at nothing after the finding, so branches after it are not
        explored one by one.  ``fewest_flips``: the order of the paths (see
        ``folint.sim.explore.explore``), for a witness search in a long function."""
        scenario = scenario or Scenario()
        fn = self.sim_function(function)
        if fn is None:
            raise LookupError(f"no function named {function} in {self.src.path}")
        focus = None
        if stop_after_loop is not None:
            loop = self._loop_node(stop_after_loop)
            focus = (stop_after_loop, loop.end_byte) if loop is not None else None
        elif stop_after is not None and function in (None, self.function.name):
            end = self.past_statement(stop_after)
            focus = (self.function.node.start_byte, end) if end is not None else None
        key = (scenario.key(), _identities(scenario), fn.start_byte, fn.name, focus, fewest_flips)
        if until is None and key in self._cache:
            return self._cache[key]
        # one Explorer per key: a search under the same scenario (another finding's in this
        # function, or a second question) is first offered the paths already run
        explorer = self._explorers.get(key)
        if explorer is None:
            explorer = self._explorers[key] = Explorer(self.program, fn, scenario, focus=focus,
                                                       fewest_flips=fewest_flips)
        ex = explorer.explore(scenario, until=until)
        if until is None:
            self._cache[key] = ex
        return ex

    def past_statement(self, byte: int) -> int | None:
        """Where a path is past the finding at ``byte``: the end of the innermost statement
        holding it (a path stops at the next statement of the function itself outside any
        loop, so a finding inside a loop still sees every iteration).  None when a goto after
        that statement jumps back before its end (a retry could run the finding again)."""
        node = self.src.root.descendant_for_byte_range(byte, byte + 1)
        fn = self.function.node
        if node is None or not (fn.start_byte <= byte < fn.end_byte):
            return None
        end = cnodes.enclosing_statement(node).end_byte
        return None if self._backward_goto(end) else end

    def search(self, witness: Callable, scenario: Scenario | None = None, *,
               stop_after: int | None = None, fewest_flips: bool = False) -> Exploration:
        """Explore until ``witness(path)`` gives evidence, within ``SEARCH_PATHS`` paths
        (fewer when ``scenario.max_paths`` is lower): an exploration that fits is complete and
        can refute; one that does not ends inconclusive, as it would at any budget."""
        from dataclasses import replace

        scenario = scenario or Scenario()
        scenario = replace(scenario, max_paths=min(scenario.max_paths, SEARCH_PATHS))
        return self.run(scenario, until=lambda path: witness(path) is not None, stop_after=stop_after)

    def in_loop(self, byte: int) -> bool:
        """The code at ``byte`` is inside a loop of the function."""
        return self._loop_around(self.src.root.descendant_for_byte_range(byte, byte + 1))

    def _loop_around(self, node) -> bool:
        """``node`` is a loop of the function or inside one."""
        while node is not None and node.id != self.function.node.id:
            if node.type in cnodes.LOOP_TYPES:
                return True
            node = node.parent
        return False

    def _backward_goto(self, at: int) -> bool:
        """``_backward_gotos(self.function.body, at)``, from the function's gotos read once
        (each finding of the function asks it of its own byte)."""
        if self._gotos is None:
            self._gotos = _gotos(self.function.body)
        return any(target is not None and target < at <= start for start, target in self._gotos)

    def _loop_node(self, loop_start: int):
        return self.src.node_at(loop_start, cnodes.LOOP_TYPES)

    def outermost_loop(self, loop_start: int) -> bool:
        """True if the loop at ``loop_start`` is not inside another loop and no
        backward goto can re-run it: its first run is its only run, so
        ``run(stop_after_loop=loop_start)`` may end each path once it is past the loop."""
        node = self._loop_node(loop_start)
        if node is None or self._loop_around(node.parent):
            return False
        return not self._backward_goto(loop_start)

    def judge_loop(self, loop_start: int, witness: Callable, refutation: Callable[[Exploration], str]) -> Judgement:
        """Run focused on the loop at ``loop_start`` until ``witness`` finds evidence, and
        judge it; a refutation says so first when no path reached the loop."""
        ex = self.run(stop_after_loop=loop_start if self.outermost_loop(loop_start) else None,
                      until=lambda path: witness(path) is not None)
        return self.judge(ex, witness, refute_evidence=lambda ex: loop_not_reached(ex, loop_start) or refutation(ex))

    def judge(self, exploration: Exploration, witness: Callable, *,
              refute_evidence: str | Callable[[Exploration], str], kinds=TRACE_KINDS) -> Judgement:
        """confirmed by the first path whose ``witness(path)`` gives evidence; refuted when the
        exploration is complete and exact and no path did; inconclusive otherwise."""
        return judge(exploration, witness, refute_evidence=refute_evidence, kinds=kinds)


def judge(exploration: Exploration, witness: Callable, *,
          refute_evidence: str | Callable[[Exploration], str], kinds=TRACE_KINDS) -> Judgement:
    """The verdict of an exploration (see ``Simulation.judge``); a refutation says which
    model bounds applied."""
    for path in exploration.paths:
        if path.status == PathStatus.INFEASIBLE:
            continue
        evidence = witness(path)
        if evidence:
            return confirmed(evidence, trace_of(path, kinds))
    if not exploration.feasible:
        return inconclusive(f"simulation found no feasible path ({exploration.reason})")
    if not exploration.complete:
        return inconclusive(f"simulation incomplete: {exploration.reason}")
    if exploration.approximations:
        return inconclusive(f"simulation skipped code it cannot model ({exploration.approximations[0]})")
    text = refute_evidence(exploration) if callable(refute_evidence) else refute_evidence
    if exploration.bounds:
        bounds = "; ".join(b.replace("a loop on unknown values explored", "loop on unknown values")
                           for b in exploration.bounds[:3])
        text = text[:-1] + f"; {bounds})" if text.endswith(")") else f"{text} ({bounds})"
    return refuted(text)


def _identities(scenario: Scenario) -> tuple:
    """What ``Scenario.key`` leaves out: the identity of the values in the scenario that
    are not plain ints or strings (a model error pointer an oracle's witness looks for with
    ``is``), so two scenarios with equal keys share paths only when their values are the
    very same objects.  (The Explorer keeps its scenario, so an id is not reused.)"""
    plain = (int, str, type(None))
    return tuple(id(v) for v in (scenario.fail_value, *scenario.args.values(), *scenario.locals.values())
                 if not isinstance(v, plain))


def _backward_gotos(body, at: int) -> bool:
    """A goto at or after ``at`` to a label before it (a retry) could run the code before
    ``at`` again."""
    return any(target is not None and target < at <= start for start, target in _gotos(body))


def _gotos(body) -> list[tuple[int, int | None]]:
    """Each goto of ``body``: (its start byte, the start byte of its label; None when the
    body has no such label)."""
    labels, gotos = {}, []
    for n in cnodes.walk(body):
        if n.type == "labeled_statement":
            labels[cnodes.text(n.child_by_field_name("label"))] = n.start_byte
        elif n.type == "goto_statement":
            gotos.append((n.start_byte, cnodes.text(n.child_by_field_name("label"))))
    return [(start, labels.get(name)) for start, name in gotos]


def runs_of(path, loop_start: int) -> list:
    """The runs of the loop at ``loop_start`` in the simulated function itself (not in callees)."""
    return [r for r in path.loop_runs if r.start_byte == loop_start and r.depth == 0]


def events_in(path, run) -> list:
    """The events that happened inside ``run`` (any iteration)."""
    return [e for e in path.events[run.first_event:run.last_event] if e.in_run(run)]


def uses_of(path, value=None) -> list:
    """The path's "use" events (in execution order), of ``value`` when given: the same
    object, a page of it when ``value`` is a folio, the same page when it is a page."""
    out = []
    for e in path.events:
        if e.kind != EventKind.USE:
            continue
        v = e.value
        if value is None or v is value or (isinstance(value, Folio) and isinstance(v, Page) and v.folio is value) \
                or (isinstance(value, Page) and isinstance(v, Page) and v == value):
            out.append(e)
    return out


def pages_handed_on(path):
    """The pages a call got through an array, in execution order: ``(event, where, page)``
    for each page held by a page array or a local array passed to a call of the function
    itself (``where``: "pages[0]", by the index from the array's start, with "(the call got
    pages + 1)" when it got a view further on), and for each page
    read from an array (``pages[k]``, ``*pages``) and passed as an argument."""
    out = []
    pending = []  # the array-element pages the next call event was given
    for e in path.events:
        if e.depth:
            continue
        if e.kind == EventKind.USE and e.use == "arg" and isinstance(e.value, Page) and e.node is not None \
                and e.node.type in ("subscript_expression", "pointer_expression"):
            pending.append((e.node.source(), e.value))
            continue
        if e.kind not in (EventKind.CALL, EventKind.MODEL, EventKind.FAIL):
            continue
        args_node = e.node.f.get("arguments") if e.node is not None else None
        texts = [k.source() for k in args_node.kids] if args_node is not None else []
        for i, a in enumerate(e.args or ()):
            for k, v in _array_pages(a):
                name = a.label if isinstance(a, PageArray) else texts[i] if i < len(texts) else "array"
                where = f"{name}[{k}]"
                if isinstance(a, PageArray) and a.base:
                    where += f" (the call got {a.label} + {a.base})"
                out.append((e, where, v))
        out.extend((e, where, page) for where, page in pending)
        pending = []
    return out


def _array_pages(a):
    if isinstance(a, PageArray):
        return sorted(((k, v) for k, v in a.slots.items() if isinstance(k, int) and isinstance(v, Page)),
                      key=lambda kv: kv[0])
    if isinstance(a, Array):
        return [(k, v) for k, v in enumerate(a.items) if isinstance(v, Page)]
    return []


def paths_text(n: int) -> str:
    return f"{n} path{'s' * (n != 1)}"


def loop_not_reached(ex: Exploration, loop_start: int) -> str | None:
    """Refutation evidence when no explored path runs the loop at all."""
    if any(runs_of(p, loop_start) for p in ex.feasible):
        return None
    return f"with a {ex.scenario.nr}-page folio no path reaches this loop ({paths_text(len(ex.feasible))} explored)"


def pages_text(indexes) -> str:
    """"0", "0 and 2", "1-3": a short list of page indexes."""
    idx = sorted(i for i in indexes if isinstance(i, int))
    if not idx:
        return "none"
    runs, start, prev = [], idx[0], idx[0]
    for i in idx[1:] + [None]:
        if i is not None and i == prev + 1:
            prev = i
            continue
        runs.append(str(start) if start == prev else f"{start}-{prev}" if prev > start + 1 else f"{start} and {prev}")
        if i is not None:
            start = prev = i
    return ", ".join(runs[:-1]) + (" and " if len(runs) > 1 else "") + runs[-1]


def folio_size_text(nr: int) -> str:
    return f"{nr}-page folio"
