"""The run state of one simulated path: budgets, choices, events, the trace.

Owns what a :class:`folint.sim.run.SimRun` records and the bookkeeping every
other room calls: the exceptions that end a path (:class:`Cut` when a budget
runs out, :class:`Infeasible`, :class:`Bounded`, :class:`Stop`), the records
(:class:`Event`, :class:`LoopRun`, :class:`Frame`), and the :class:`RunState`
mixin: the constructor (budgets, the choice prefix, the record and the value
state), fresh values (unknowns, model folios, swap entries) and their
resolution, ``choose`` (branch choices replayed from ``prefix``), ``event``,
``use`` (the "value used" hook: a model value dereferenced or passed to a call),
``approximate`` and ``step`` (the step and time budgets).

The simulator is split into mixins, one per concern, that :class:`SimRun`
combines (see ``folint.sim.run`` for why mixins rather than composition).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from folint.sim.conditions import Range
from folint.sim.kinds import EventKind, LoopExit, PathStatus
from folint.sim.lower import N
from folint.sim.values import (
    MODEL_VALUES, Cell, Folio, Page, PageArray, Ref, Struct, Sym, Unknown, entry_val, render, swap_entry,
)

TEXT_LIMIT = 160
TRACE_KINDS = (EventKind.CALL, EventKind.FAIL, EventKind.ASSUME, EventKind.RETURN, EventKind.LOOP)
TRACE_LIMIT = 40


# -- what ends a path -------------------------------------------------------------

class Cut(Exception):
    """A budget ran out, or the code does something the interpreter cannot follow."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Infeasible(Exception):
    """The path contradicts itself (e.g. it dereferences NULL): not a real execution."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Bounded(Exception):
    """A loop whose course depends on unknowns ran ``nr + LOOP_BOUND_EXTRA`` times: the
    path ends here (its earlier exits were explored as other paths)."""

    def __init__(self, note: str):
        super().__init__(note)
        self.note = note


class Stop(Exception):
    """The path has left (or gone past) the focus loop: nothing after it matters."""

# -- records ------------------------------------------------------------------


@dataclass
class Event:
    """One thing that happened on a path (see ``folint.sim`` for the fields)."""

    index: int
    kind: EventKind
    line: int
    byte: int
    text: str
    name: str | None = None
    args: tuple = ()
    result: object = None
    depth: int = 0
    function: str = ""
    loops: tuple = ()  # ((loop start_byte, run id, iteration), ...), innermost last
    # a "use" event: the model value used; how ("field": p->f, "deref": *p, "index": p[i],
    # "arg": passed to a call); ``target``: the field's or the callee's name; ``arg``: the
    # argument's 0-based position; ``subscript``: the index value of an "index" use
    value: object = None
    use: str = ""
    target: str | None = None
    arg: int | None = None
    subscript: object = None
    node: object = field(default=None, repr=False, compare=False)  # the lowered node (folint.sim.lower.N)

    def pages(self) -> list[Page]:
        return [a for a in self.args if isinstance(a, Page)]

    def page_indexes(self, folio: Folio | None = None) -> set:
        return {p.index for p in self.pages() if folio is None or p.folio is folio}

    def entries(self) -> list:
        """The ``val`` of each swap entry argument (a Sym, int or Unknown)."""
        return [v for v in (entry_val(a) for a in self.args) if v is not None]

    def iteration(self, loop_start: int) -> int | None:
        for start, _run, it in reversed(self.loops):
            if start == loop_start:
                return it
        return None

    def in_run(self, run: LoopRun) -> bool:
        return any(r == run.id for _s, r, _i in self.loops)

    def to_trace(self) -> dict:
        return {"line": self.line, "event": self.text}


@dataclass
class LoopRun:
    """One execution of a loop statement, from entry to exit."""

    id: int
    start_byte: int
    line: int
    function: str
    depth: int
    iterations: int = 0
    exit: LoopExit | str = ""  # "" while the loop runs
    exit_line: int = 0
    first_event: int = 0
    last_event: int = 0
    forked: bool = False


@dataclass
class Frame:
    name: str
    scopes: list = field(default_factory=list)
    # the function's variable types, for type-directed binding of unknowns
    types: dict = field(default_factory=dict)

# -- the state ---------------------------------------------------------------------


class RunState:
    """The record and the value state of one run (mixin of :class:`SimRun`)."""

    def __init__(self, program, scenario, prefix: list[int], deadline: float, *,
                 focus: tuple[int, int] | None = None, steps_left: int | None = None):
        self.program = program
        self.scenario = scenario
        self.prefix = prefix
        self.deadline = deadline
        # what is left of the whole exploration's step budget
        self.steps_left = scenario.max_total_steps if steps_left is None else steps_left
        # the step at which step() must look at the budgets (the time budget: every 256 steps)
        self._step_limit = min(scenario.max_steps, self.steps_left)
        # (start, end) bytes of the loop an oracle asks about: the path stops once it has
        # left that loop or gone past it, and other loops get a tighter bound.
        self.focus = focus
        # the record
        self.events: list[Event] = []
        self.loop_runs: list[LoopRun] = []
        self.status = PathStatus.RETURNED
        self.reason = ""
        self.returned = None
        self.approximations: list[str] = []
        self.choices: list[int] = []
        self.alternatives: list[list[int]] = []
        self.params: list[tuple[str, object]] = []
        # the state
        self.ranges: dict[int, Range] = {}
        self.materialised: dict[int, object] = {}
        self.memo: dict = {}
        # unknowns named like constants (SGP_WRITE): two different names are two different values
        self.named_constants: set[int] = set()
        # unknowns held by a struct folio * / struct page * variable: (kind, variable name)
        self.pointer_kinds: dict[int, tuple[str, str]] = {}
        self.unequal: dict[int, set[int]] = {}
        self.heap: dict = {}
        self.globals: dict[str, Cell] = {}
        self.folios: dict[int, Folio] = {}
        self._uid = 0
        self._fid = 0
        self._aid = 0
        self._labels: set[str] = set()
        self._entries = 0
        self.steps = 0
        self.calls = 0
        self.failed = False
        self.frames: list[Frame] = []
        self.return_node = None  # the return statement that ended the latest call
        self.gotos_back: dict = {}  # (block, label) -> backward jumps taken
        self.loop_stack: list[LoopRun] = []

    def trace(self, kinds=None, limit: int = 40, upto: int | None = None) -> list[dict]:
        """The events as ``[{"line": N, "event": "..."}]`` (see :func:`trace_of`)."""
        return trace_of(self, kinds or TRACE_KINDS, limit, upto)

    # -- values the models and the interpreter create ------------------------
    def unknown(self, desc: str) -> Unknown:
        self._uid += 1
        return Unknown(self._uid, desc[:TEXT_LIMIT])

    def unknown_in(self, desc: str, lo: int | None, hi: int | None) -> Unknown:
        """An unknown known to lie in [lo, hi] (None: unbounded)."""
        u = self.unknown(desc)
        self.ranges[u.uid] = Range(lo, hi)
        return u

    def new_folio(self, label: str, nr: int | None = None) -> Folio:
        self._fid += 1
        base, n = label, 2
        while label in self._labels:
            label = f"{base}#{n}"
            n += 1
        self._labels.add(label)
        f = Folio(self._fid, self.scenario.nr if nr is None else nr, label)
        self.folios[f.fid] = f
        return f

    def folio_by_id(self, fid: int) -> Folio | None:
        return self.folios.get(fid)

    def new_entry(self) -> Struct:
        self._entries += 1
        label = "base" if self._entries == 1 else f"base{self._entries}"
        return swap_entry(Sym(("entry", self._entries), 0, label))

    def folio_swap(self, folio: Folio) -> Struct:
        if "swap" not in folio.fields:
            folio.fields["swap"] = swap_entry(Sym(("swap", folio.fid), 0, f"{folio.label}->swap"))
        v = folio.fields["swap"]
        return v.copy() if isinstance(v, Struct) else v

    def resolve(self, v):
        while isinstance(v, Unknown):
            m = self.materialised.get(v.uid)
            if m is not None:
                v = m
                continue
            r = self.ranges.get(v.uid)
            if r is not None and r.single() is not None:
                return r.single()
            return v
        return v

    def as_folio(self, v) -> Folio | None:
        v = self.resolve(v)
        if isinstance(v, Ref):
            v = self.resolve(v.get())
        if isinstance(v, Folio):
            return v
        if isinstance(v, Unknown):
            kind, name = self.pointer_kinds.get(v.uid, (None, None))
            label = name if kind == "folio" and name not in self._labels else _label_for(v.desc, "folio")
            f = self.new_folio(label)
            self.materialised[v.uid] = f
            return f
        return None

    def as_page(self, v) -> Page | None:
        v = self.resolve(v)
        if isinstance(v, Ref):
            v = self.resolve(v.get())
        if isinstance(v, Page):
            return v
        if isinstance(v, Unknown):
            kind, name = self.pointer_kinds.get(v.uid, (None, None))
            p = Page(self.new_folio(f"folio of {name if kind == 'page' else _label_for(v.desc, 'page')}"), 0)
            self.materialised[v.uid] = p
            return p
        return None

    def new_page_array(self, label: str, kind: str = "page") -> PageArray:
        self._aid += 1
        return PageArray(self._aid, label, kind)

    def as_model(self, v):
        """``v`` as the folio, page or page array its variable's type says it is (else unchanged)."""
        if isinstance(v, Unknown) and v.uid in self.pointer_kinds:
            kind, name = self.pointer_kinds[v.uid]
            if kind in ("pages", "folios"):
                arr = self.new_page_array(name or _label_for(v.desc, kind), kind[:-1])
                self.materialised[v.uid] = arr
                return arr
            return self.as_folio(v) if kind == "folio" else self.as_page(v)
        return v

    def heap_get(self, key, desc: str):
        if key not in self.heap:
            self.heap[key] = self.unknown(desc)
        return self.heap[key]

    # -- choices ---------------------------------------------------------------
    def choose(self, n: int) -> int:
        k = len(self.choices)
        if k < len(self.prefix):
            c = self.prefix[k]
        else:
            c = 0
            for alt in range(n - 1, 0, -1):
                self.alternatives.append(self.choices + [alt])
        self.choices.append(c)
        if self.loop_stack:
            for run in self.loop_stack:
                run.forked = True
        return c

    # -- events -----------------------------------------------------------------
    def event(self, kind: EventKind, node: N | None, text: str, **kw) -> Event:
        ev = Event(len(self.events) + 1, kind, node.line if node is not None else 0,
                   node.start if node is not None else -1, text[:TEXT_LIMIT * 2],
                   depth=max(len(self.frames) - 1, 0), function=self.frames[-1].name if self.frames else "",
                   loops=tuple([(r.start_byte, r.id, r.iterations) for r in self.loop_stack]) if self.loop_stack else (),
                   node=node, **kw)
        self.events.append(ev)
        return ev

    def use(self, value, node: N, how: str, target: str | None = None, arg: int | None = None,
            subscript=None) -> None:
        """Record a "use" event when ``value`` is a model value (a folio, a page, an error
        pointer, or a :class:`Sym` whose base is ``tracked``: an address a model follows): it
        is dereferenced (``how``: "field" with ``target`` the field, "deref", "index" with
        ``subscript`` the index value) or passed as argument ``arg`` to the call ``target``
        (``how``: "arg")."""
        if not isinstance(value, MODEL_VALUES) and not (isinstance(value, Sym) and getattr(value.base, "tracked", False)):
            return
        shown = render(value)
        if how == "field":
            text = f"use {shown}: ->{target}"
        elif how == "deref":
            text = f"use {shown}: dereferenced"
        elif how == "index":
            text = f"use {shown}: indexed"
        else:
            text = f"use {shown}: argument {(arg or 0) + 1} of {target}()"
        self.event(EventKind.USE, node, text, value=value, use=how, target=target, arg=arg, subscript=subscript)

    def approximate(self, node: N, what: str) -> None:
        note = f"line {node.line}: {what}"
        if note not in self.approximations:
            self.approximations.append(note)

    def step(self) -> None:
        # One comparison on the common step; the budgets are told apart in _step_check.
        s = self.steps = self.steps + 1
        if s > self._step_limit or not s & 255:
            self._step_check()

    def _step_check(self) -> None:
        if self.steps > self.scenario.max_steps:
            raise Cut(f"step limit ({self.scenario.max_steps}) reached: a loop or goto cycle that does not end?")
        if self.steps > self.steps_left:
            raise Cut(f"step budget ({self.scenario.max_total_steps} for the whole run) spent")
        if not self.steps & 255 and time.process_time() > self.deadline:
            raise Cut(f"time limit ({self.scenario.max_seconds:g} s of CPU) reached")


def _label_for(desc: str, kind: str) -> str:
    """A readable label for a model object materialised from an unknown."""
    if desc.replace("->", "").replace(".", "").replace("_", "").isalnum():
        return desc
    if desc.endswith("()"):
        return f"{kind} from {desc}"
    return kind


def trace_of(path, kinds=TRACE_KINDS, limit: int = TRACE_LIMIT, upto: int | None = None) -> list[dict]:
    """The path's events of ``kinds`` as ``[{"line", "event"}]`` (events[:upto] only),
    at most ``limit`` steps: the first ones and the last one."""
    events = [e for e in path.events[:upto] if e.kind in kinds]
    steps = [e.to_trace() for e in events]
    if len(steps) > limit:
        steps = steps[: limit - 2] + [{"line": events[limit - 2].line,
                                       "event": f"... {len(steps) - limit + 1} more steps ..."}] + steps[-1:]
    if path.status == PathStatus.CUT and upto is None:
        steps.append({"line": events[-1].line if events else 0, "event": f"path cut short: {path.reason}"})
    return steps
