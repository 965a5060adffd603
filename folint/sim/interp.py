"""The interpreter: runs one path of one C function over the lowered AST.

A :class:`Path` is both the run and its record.  It replays a list of
choices (``prefix``) for the branches on unknowns it meets; at a new branch it
takes option 0 and leaves the other options in ``alternatives`` for the
explorer (``folint.sim.explore``).  Control flow (return, break, continue,
goto) uses exceptions; every budget that runs out raises :class:`Cut`, which
ends the path cleanly with a reason.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from folint import vocab
from folint.sim.lower import N
from folint.sim.models import NOT_MODELLED, ModelCall
from folint.sim.values import (
    Array, Cell, Folio, Page, Ref, Str, Struct, Sym, Unknown, entry_val, render, swap_entry,
)

CMP_OPS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
TEXT_LIMIT = 160
# An iterator macro loop (list_for_each_entry ...) visits at most this many elements:
# every element is a fresh unknown, so a third one behaves like the second.
ITERATOR_ELEMENTS = 2
# A loop that forks on unknowns is explored up to nr + this many iterations (a bound,
# as in bounded model checking: enough to see every page of an nr-page folio).
LOOP_BOUND_EXTRA = 2
# With a focus loop, the other loops (retry loops before it ...) that fork get this bound.
OTHER_LOOP_BOUND = 2


# -- control flow and budgets ----------------------------------------------

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


class _Return(Exception):
    def __init__(self, value, node):
        self.value = value
        self.node = node
        self.line = node.line


class _Break(Exception):
    def __init__(self, line: int):
        self.line = line


class _Continue(Exception):
    pass


class _Goto(Exception):
    def __init__(self, label: str, line: int):
        self.label = label
        self.line = line


# -- records ------------------------------------------------------------------

@dataclass
class Event:
    """One thing that happened on a path (see ``folint.sim`` for the fields)."""

    index: int
    kind: str  # "call" | "model" | "fail" | "assume" | "return" | "loop"
    line: int
    byte: int
    text: str
    name: str | None = None
    args: tuple = ()
    result: object = None
    depth: int = 0
    function: str = ""
    loops: tuple = ()  # ((loop start_byte, run id, iteration), ...), innermost last

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
    exit: str = ""  # "condition" | "break" | "return" | "goto" | "cut"
    exit_line: int = 0
    first_event: int = 0
    last_event: int = 0
    forked: bool = False


@dataclass
class _Frame:
    name: str
    scopes: list = field(default_factory=list)
    # the function's variable types, for type-directed binding of unknowns
    types: dict = field(default_factory=dict)


# -- locations (things that can be assigned) ----------------------------------

class _Loc:
    def get(self):
        raise NotImplementedError

    def set(self, value) -> None:
        raise NotImplementedError

    type_text = ""


class _CellLoc(_Loc):
    def __init__(self, cell: Cell):
        self.cell = cell
        self.type_text = cell.type

    def get(self):
        return self.cell.value

    def set(self, value) -> None:
        self.cell.value = value


class _FieldLoc(_Loc):
    """``s.f`` where ``s`` is a struct held in another location."""

    def __init__(self, path: Path, base: _Loc, name: str, desc: str):
        self.path, self.base, self.name, self.desc = path, base, name, desc

    def get(self):
        s = self.base.get()
        if isinstance(s, Struct):
            if self.name not in s.fields:
                s.fields[self.name] = self.path.unknown(self.desc)
            return s.fields[self.name]
        return self.path.heap_get(("field", _ident(s), self.name), self.desc)

    def set(self, value) -> None:
        s = self.base.get()
        if not isinstance(s, Struct):
            s = Struct("")
            self.base.set(s)
        s.fields[self.name] = value


class _RefLoc(_Loc):
    def __init__(self, ref: Ref):
        self.ref = ref

    def get(self):
        return self.ref.get()

    def set(self, value) -> None:
        self.ref.set(value)


class _FolioFieldLoc(_Loc):
    def __init__(self, path: Path, folio: Folio, name: str):
        self.path, self.folio, self.name = path, folio, name

    def get(self):
        if self.name == "page":
            return Page(self.folio, 0)
        if self.name == "swap":
            return self.path.folio_swap(self.folio)
        if self.name not in self.folio.fields:
            self.folio.fields[self.name] = self.path.unknown(f"{self.folio.label}->{self.name}")
        return self.folio.fields[self.name]

    def set(self, value) -> None:
        self.folio.fields[self.name] = value


class _PageFieldLoc(_Loc):
    def __init__(self, path: Path, page: Page, name: str):
        self.path, self.page, self.name = path, page, name

    def get(self):
        key = (self.page.key[1], self.name)
        if key not in self.page.folio.page_fields:
            self.page.folio.page_fields[key] = self.path.unknown(f"({render(self.page)})->{self.name}")
        return self.page.folio.page_fields[key]

    def set(self, value) -> None:
        self.page.folio.page_fields[(self.page.key[1], self.name)] = value


class _HeapLoc(_Loc):
    """Memory the simulator knows nothing about, keyed so reads are stable."""

    def __init__(self, path: Path, key, desc: str):
        self.path, self.key, self.desc = path, key, desc

    def get(self):
        return self.path.heap_get(self.key, self.desc)

    def set(self, value) -> None:
        self.path.heap[self.key] = value


class _IndexLoc(_Loc):
    def __init__(self, array: Array, index: int):
        self.array, self.index = array, index

    def get(self):
        return self.array.items[self.index]

    def set(self, value) -> None:
        self.array.items[self.index] = value


class _TempLoc(_Loc):
    def __init__(self, value):
        self.value = value

    def get(self):
        return self.value

    def set(self, value) -> None:
        pass


def _ident(v):
    if isinstance(v, Unknown):
        return ("u", v.uid)
    if isinstance(v, Ref):
        return ("ref", id(v.cell), v.path)
    if isinstance(v, Page):
        return ("page",) + v.key
    if isinstance(v, Folio):
        return ("folio", v.fid)
    if isinstance(v, (int, str)):
        return v
    return ("obj", id(v))


# -- ranges of unknown integers ---------------------------------------------------

@dataclass(frozen=True)
class Range:
    lo: int | None = None
    hi: int | None = None
    ne: frozenset = frozenset()

    def single(self) -> int | None:
        return self.lo if self.lo is not None and self.lo == self.hi else None

    def decide(self, op: str, c: int) -> bool | None:
        lo, hi = self.lo, self.hi
        if op == "==":
            if self.single() == c and self.single() is not None:
                return True
            if c in self.ne or (lo is not None and c < lo) or (hi is not None and c > hi):
                return False
            return None
        if op == "!=":
            d = self.decide("==", c)
            return None if d is None else not d
        if op == "<":
            if hi is not None and hi < c:
                return True
            if lo is not None and lo >= c:
                return False
        elif op == "<=":
            if hi is not None and hi <= c:
                return True
            if lo is not None and lo > c:
                return False
        elif op == ">":
            return None if (d := self.decide("<=", c)) is None else not d
        elif op == ">=":
            return None if (d := self.decide("<", c)) is None else not d
        return None

    def narrow(self, op: str, c: int, holds: bool) -> Range:
        if not holds:
            op = _NEGATE[op]
        lo, hi, ne = self.lo, self.hi, self.ne
        if op == "==":
            return Range(c, c)
        if op == "!=":
            if lo == c:
                lo = c + 1
            elif hi == c:
                hi = c - 1
            else:
                ne = ne | {c}
        elif op == "<":
            hi = c - 1 if hi is None else min(hi, c - 1)
        elif op == "<=":
            hi = c if hi is None else min(hi, c)
        elif op == ">":
            lo = c + 1 if lo is None else max(lo, c + 1)
        elif op == ">=":
            lo = c if lo is None else max(lo, c)
        return Range(lo, hi, ne)


# -- the path -------------------------------------------------------------------------

class Path:
    """One run of a function through a fixed list of branch choices."""

    def __init__(self, program, scenario, prefix: list[int], deadline: float, *,
                 focus: tuple[int, int] | None = None, steps_left: int | None = None):
        self.program = program
        self.scenario = scenario
        self.prefix = prefix
        self.deadline = deadline
        # what is left of the whole exploration's step budget
        self.steps_left = scenario.max_total_steps if steps_left is None else steps_left
        # (start, end) bytes of the loop an oracle asks about: the path stops once it has
        # left that loop or gone past it, and other loops get a tighter bound.
        self.focus = focus
        # the record
        self.events: list[Event] = []
        self.loop_runs: list[LoopRun] = []
        self.status = "returned"  # "returned" | "stopped" | "bounded" | "cut" | "infeasible"
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
        self._labels: set[str] = set()
        self._entries = 0
        self.steps = 0
        self.calls = 0
        self.failed = False
        self.frames: list[_Frame] = []
        self.return_node = None  # the return statement that ended the latest call
        self.gotos_back: dict = {}  # (block, label) -> backward jumps taken
        self.loop_stack: list[LoopRun] = []

    def trace(self, kinds=None, limit: int = 40, upto: int | None = None) -> list[dict]:
        """The events as ``[{"line": N, "event": "..."}]`` (see ``folint.sim.oracle.trace_of``)."""
        from folint.sim.oracle import TRACE_KINDS, trace_of

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

    def as_model(self, v):
        """``v`` as the folio or page its variable's type says it is (else unchanged)."""
        if isinstance(v, Unknown) and v.uid in self.pointer_kinds:
            return self.as_folio(v) if self.pointer_kinds[v.uid][0] == "folio" else self.as_page(v)
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
    def event(self, kind: str, node: N | None, text: str, **kw) -> Event:
        ev = Event(len(self.events) + 1, kind, node.line if node is not None else 0,
                   node.start if node is not None else -1, text[:TEXT_LIMIT * 2],
                   depth=max(len(self.frames) - 1, 0), function=self.frames[-1].name if self.frames else "",
                   loops=tuple((r.start_byte, r.id, r.iterations) for r in self.loop_stack), **kw)
        self.events.append(ev)
        return ev

    def approximate(self, node: N, what: str) -> None:
        note = f"line {node.line}: {what}"
        if note not in self.approximations:
            self.approximations.append(note)

    def step(self) -> None:
        self.steps += 1
        if self.steps > self.scenario.max_steps:
            raise Cut(f"step limit ({self.scenario.max_steps}) reached: a loop or goto cycle that does not end?")
        if self.steps > self.steps_left:
            raise Cut(f"step budget ({self.scenario.max_total_steps} for the whole run) spent")
        if not self.steps & 255 and time.perf_counter() > self.deadline:
            raise Cut(f"time limit ({self.scenario.max_seconds:g}s) reached")

    # -- running a function -------------------------------------------------------
    def run(self, fn) -> Path:
        """Run ``fn`` (a ``folint.sim.explore.SimFunction``) with arguments bound by type."""
        args = []
        for name, type_text in fn.params:
            args.append(self.bind_param(name, type_text))
        self.params = [(name, v) for (name, _t), v in zip(fn.params, args)]
        try:
            value = self.call_function(fn, args, None)
            self.returned = value
            where = self.return_node or fn.body_end
            self.event("return", where, "return" if value is None else f"return {render(value, status=True)}",
                       result=value)
        except Cut as c:
            self.status, self.reason = "cut", c.reason
            self._close_loops("cut")
        except Infeasible as e:
            self.status, self.reason = "infeasible", e.reason
            self._close_loops("cut")
        except Stop:
            self.status = "stopped"
            self._close_loops("cut")
        except Bounded as b:
            self.status, self.reason = "bounded", b.note
            self._close_loops("cut")

        except RecursionError:
            self.status, self.reason = "cut", "code nested too deeply to simulate"
            self._close_loops("cut")
        return self

    def _close_loops(self, how: str) -> None:
        for run in self.loop_stack:
            if not run.exit:
                run.exit = how
                run.last_event = len(self.events)
        self.loop_stack.clear()

    def bind_param(self, name: str, type_text: str):
        spec = self.scenario.args.get(name)
        if spec is not None:
            return self.parse_arg(name, spec)
        if vocab.is_folio_pointer_type(type_text):
            return self.new_folio(name)
        if vocab.is_page_pointer_type(type_text):
            return Page(self.new_folio("folio" if name == "page" else f"folio of {name}"), 0)
        if vocab.is_swap_entry_type(type_text):
            return self.new_entry()
        if type_text.replace("const ", "").replace(" ", "") == "swp_entry_t*":
            return Ref(Cell(f"*{name}", self.new_entry(), "swp_entry_t"))
        return self.unknown(name)

    def parse_arg(self, name: str, spec):
        if isinstance(spec, int):
            return spec
        s = str(spec).strip()
        if s == "NULL":
            return 0
        if s == "unknown":
            return self.unknown(name)
        kind, _, num = s.partition(":")
        if kind == "folio" and num.isdigit():
            return self.new_folio(name, int(num))
        if kind == "page" and num.isdigit():
            return Page(self.new_folio(f"folio of {name}"), int(num))
        if kind == "entry" and not num:
            return self.new_entry()
        return int(s, 0)

    def call_function(self, fn, args: list, call_node: N | None):
        if len(self.frames) > self.scenario.max_depth:
            raise Cut(f"call depth limit ({self.scenario.max_depth}) reached in {fn.name}(): recursion?")
        frame = _Frame(fn.name, [{}], fn.types)
        for (pname, ptype), value in zip(fn.params, args):
            frame.scopes[0][pname] = Cell(pname, self.coerce(value, ptype, pname), ptype)
        self.frames.append(frame)
        self.return_node = None
        try:
            self.exec_body(fn.body)
        except _Return as r:
            self.return_node = r.node
            return r.value
        except _Goto as g:
            raise Cut(f"goto {g.label} at line {g.line}: the label is inside a nested statement or missing")
        except (_Break, _Continue):
            return None
        finally:
            self.frames.pop()
        self.return_node = None  # fell off the end
        return None

    def exec_body(self, body: N) -> None:
        self.exec_seq(body.kids, 0, self.block_labels(body), None)

    # -- statements ----------------------------------------------------------------
    def exec(self, n: N) -> None:
        self.step()
        if self.focus is not None and n.start >= self.focus[1] and len(self.frames) == 1 and not self.loop_stack:
            raise Stop()
        if n.has_error and n.type in _SIMPLE_STMTS:
            self.approximate(n, "partly unparsed statement")
        h = _STMT.get(n.type)
        if h is not None:
            h(self, n)
            return
        if n.type.endswith("_expression") or n.type in _EXPR:
            self.eval(n)
            return
        if n.type in _IGNORED_STMTS:
            return
        self.approximate(n, "unparsed code skipped" if n.is_error else f"{n.type} not simulated")

    def block_labels(self, n: N) -> dict:
        if n.info is None:
            n.info = _labels_of(n.kids)
        return n.info

    def exec_compound(self, n: N) -> None:
        frame = self.frames[-1]
        frame.scopes.append({})
        try:
            self.exec_seq(n.kids, 0, self.block_labels(n), None)
        finally:
            frame.scopes.pop()

    def exec_seq(self, seq: list, start: int, labels: dict, enter: str | None) -> None:
        i = start
        while i < len(seq):
            try:
                if enter is not None:
                    label, enter = enter, None
                    self.exec_at(seq[i], label)
                else:
                    self.exec(seq[i])
                i += 1
            except _Goto as g:
                j = labels.get(g.label)
                if j is None:
                    raise
                self.step()
                if j <= i:  # backwards: a retry cycle, bounded like a loop once it depends on unknowns
                    key = (id(seq), g.label)
                    self.gotos_back[key] = self.gotos_back.get(key, 0) + 1
                    bound = self.scenario.nr + LOOP_BOUND_EXTRA
                    if self.choices and self.gotos_back[key] > bound:
                        raise Bounded(f"line {g.line}: a goto cycle on unknown values followed up to {bound} times")
                i, enter = j, g.label

    def exec_at(self, n: N, label: str) -> None:
        """Run ``n`` starting at ``label`` somewhere inside it (a goto target)."""
        if n.type == "labeled_statement":
            inner = n.kids[1] if len(n.kids) > 1 else None
            if n.kids and n.kids[0].text == label:
                if inner is not None:
                    self.exec(inner)
            elif inner is not None:
                self.exec_at(inner, label)
            return
        if n.type == "compound_statement":
            frame = self.frames[-1]
            frame.scopes.append({})
            try:
                labels = self.block_labels(n)
                self.exec_seq(n.kids, labels[label], labels, label)
            finally:
                frame.scopes.pop()
            return
        if n.type == "if_statement":  # a label in one branch: enter it, the condition is not evaluated
            alt = n.f.get("alternative")
            if alt is not None and alt.type == "else_clause":
                alt = alt.kids[0] if alt.kids else None
            for part in (n.f.get("consequence"), alt):
                if part is not None and label in _labels_of([part]):
                    self.exec_at(part, label)
                    return
        if n.type in _PREPROC:
            for idx, (what, stmts, labels) in enumerate(self.preproc_branches(n)):
                if label in labels:
                    key = ("preproc", n.start)
                    if self.memo.setdefault(key, idx) != idx:
                        raise Cut(f"goto {label}: the label is in a configuration branch (`{what}`) "
                                  f"this path did not take")
                    self.exec_seq(stmts, labels[label], labels, label)
                    return
        self.exec(n)

    def exec_labeled(self, n: N) -> None:
        if len(n.kids) > 1:
            self.exec(n.kids[1])

    def exec_expression_statement(self, n: N) -> None:
        if n.kids:
            self.eval(n.kids[0])

    def exec_declaration(self, n: N) -> None:
        tnode = n.f.get("type")
        base = " ".join(tnode.source().split()) if tnode is not None else ""
        frame = self.frames[-1]
        for d in n.fl.get("declarator", ()):
            value_node = None
            if d.type == "init_declarator":
                value_node = d.f.get("value")
                d = d.f.get("declarator")
            name, stars, array_len, is_fn = _declarator(d)
            if name is None or is_fn:
                continue
            type_text = base + (" " + "*" * stars if stars else "")
            if array_len is not None or (value_node is not None and value_node.type == "initializer_list"
                                         and d is not None and d.type == "array_declarator"):
                value = self.make_array(array_len, value_node, type_text, name)
            elif value_node is not None:
                if value_node.type == "initializer_list":
                    value = self.build_initializer(value_node, type_text)
                else:
                    value = self.coerce(self.eval(value_node), type_text, name)
            elif base == "swp_entry_t" or (base.startswith("struct ") and not stars):
                value = Struct(base)
            else:
                value = self.unknown(f"uninitialised {name}")
            frame.scopes[-1][name] = Cell(name, value, type_text)

    def make_array(self, length, init: N | None, type_text: str, name: str) -> Array:
        items = []
        if init is not None and init.type == "initializer_list":
            items = [self.eval(k) for k in init.kids if k.type != "initializer_pair"]
        n = length if isinstance(length, int) and 0 < length <= 4096 else len(items)
        if isinstance(length, N):
            size = self.resolve(self.eval(length))
            n = size if isinstance(size, int) and 0 < size <= 4096 else max(len(items), 1)
        items = items + [0 if init is not None else self.unknown(f"{name}[]") for _ in range(n - len(items))]
        return Array(items)

    def build_initializer(self, n: N, type_text: str):
        t = type_text.replace("const ", "").strip()
        s = Struct(t)
        positional = 0
        for k in n.kids:
            if k.type == "initializer_pair":
                desig = k.fl.get("designator", [])
                value_node = k.f.get("value")
                if desig and desig[0].type == "field_designator" and desig[0].kids and value_node is not None:
                    fname = desig[0].kids[0].text
                    s.fields[fname] = self.eval(value_node) if value_node.type != "initializer_list" \
                        else self.build_initializer(value_node, "")
            else:
                value = self.eval(k) if k.type != "initializer_list" else self.build_initializer(k, "")
                if t == "swp_entry_t" and positional == 0:
                    s.fields["val"] = value
                else:
                    s.fields[f"#{positional}"] = value
                positional += 1
        if t == "swp_entry_t" and "val" not in s.fields:
            s.fields["val"] = 0
        return s

    def coerce(self, value, type_text: str, name: str):
        """Type-directed binding: an unknown stored in a folio/page/entry variable becomes a model."""
        if isinstance(value, Struct):
            return value.copy()
        if isinstance(value, Unknown) and type_text:
            v = self.resolve(value)
            if not isinstance(v, Unknown):
                return v
            # A pointer may still be NULL: it stays unknown (a branch on it forks) and
            # becomes a model folio or page where it is used as one.
            if vocab.is_folio_pointer_type(type_text):
                self.pointer_kinds.setdefault(value.uid, ("folio", name))
                return value
            if vocab.is_page_pointer_type(type_text):
                self.pointer_kinds.setdefault(value.uid, ("page", name))
                return value
            if vocab.is_swap_entry_type(type_text):
                e = self.new_entry()
                self.materialised[value.uid] = e
                return e
        return value

    def exec_return(self, n: N) -> None:
        value = self.eval(n.kids[0]) if n.kids else None
        if isinstance(value, Struct):
            value = value.copy()
        raise _Return(self.resolve(value), n)

    def exec_break(self, n: N) -> None:
        raise _Break(n.line)

    def exec_continue(self, n: N) -> None:
        raise _Continue()

    def exec_goto(self, n: N) -> None:
        raise _Goto(n.kids[0].text if n.kids else "", n.line)

    def exec_if(self, n: N) -> None:
        cond = n.f.get("condition")
        if cond is not None and self.truth(cond):
            body = n.f.get("consequence")
            if body is not None:
                self.exec(body)
        else:
            alt = n.f.get("alternative")
            if alt is not None:
                if alt.type == "else_clause":
                    if alt.kids:
                        self.exec(alt.kids[0])
                else:
                    self.exec(alt)

    def exec_loop(self, n: N) -> None:
        kind = n.type
        frame = self.frames[-1]
        frame.scopes.append({})
        self.loop_runs.append(run := LoopRun(len(self.loop_runs) + 1, n.start, n.line, frame.name,
                                             len(self.frames) - 1, first_event=len(self.events)))
        self.loop_stack.append(run)
        cond = n.f.get("condition")
        body = n.f.get("body")
        bound = self.scenario.nr + LOOP_BOUND_EXTRA
        if self.focus is not None and not self.focus[0] <= n.start < self.focus[1]:
            bound = OTHER_LOOP_BOUND
        try:
            if kind == "for_statement":
                init = n.f.get("initializer")
                if init is not None:
                    self.exec(init) if init.type == "declaration" else self.eval(init)
            while True:
                if n.macro is not None:
                    if not self.next_element(n, cond, run):
                        run.exit, run.exit_line = "condition", n.line
                        break
                elif kind != "do_statement" or run.iterations:
                    if cond is not None and not self.truth(cond):
                        run.exit, run.exit_line = "condition", n.line
                        break
                if run.forked and run.iterations >= bound:
                    raise Bounded(f"line {n.line}: a loop on unknown values explored up to {bound} iterations")
                run.iterations += 1
                try:
                    if body is not None:
                        self.exec(body)
                except _Break as b:
                    run.exit, run.exit_line = "break", b.line
                    break
                except _Continue:
                    pass
                if kind == "for_statement":
                    upd = n.f.get("update")
                    if upd is not None:
                        self.eval(upd)
        except _Return as r:
            run.exit, run.exit_line = "return", r.line
            raise
        except _Goto as g:
            run.exit, run.exit_line = "goto", g.line
            raise
        finally:
            frame.scopes.pop()
            if self.loop_stack and self.loop_stack[-1] is run:
                self.loop_stack.pop()
                run.last_event = len(self.events)
                if not run.exit:
                    run.exit = "cut"  # a budget ran out, or the path ended inside the loop
                else:
                    self.event("loop", n, f"leave the loop at line {n.line} after {run.iterations} "
                                          f"iteration{'s' * (run.iterations != 1)} ({_EXIT_TEXT[run.exit]})")
        if self.focus is not None and self.focus[0] == n.start and not self.loop_stack:
            raise Stop()

    def next_element(self, n: N, cond: N | None, run: LoopRun) -> bool:
        """An iterator macro (``list_for_each_entry(pos, ...)``): is there another element?
        Forks, up to ``ITERATOR_ELEMENTS`` elements; each one is a fresh unknown in ``pos``
        (a fresh model folio or page when ``pos`` has that type)."""
        if run.iterations >= ITERATOR_ELEMENTS:
            return False
        what = f"{n.macro}(...)"
        if self.choose(2) == 0:
            self.event("assume", n, f"assume {what} has no {'more ' if run.iterations else ''}elements")
            return False
        self.event("assume", n, f"assume {what} gives element {run.iterations + 1}")
        args = cond.kids[0] if cond is not None and cond.kids else None
        first = args
        while first is not None and first.type == "comma_expression":
            first = first.f.get("left")
        if first is not None and first.type == "identifier":
            cell = self.lookup(first.text, first)
            cell.value = self.coerce(self.unknown(f"element {run.iterations + 1} of {n.macro}()"), cell.type,
                                     first.text + f"#{run.iterations + 1}" if run.iterations else first.text)
        return True

    def exec_switch(self, n: N) -> None:
        cond = n.f.get("condition")
        body = n.f.get("body")
        if body is None:
            return
        if body.info is None:
            flat, cases = [], []
            for k in body.kids:
                if k.type == "case_statement":
                    value = k.f.get("value")
                    cases.append((value, len(flat)))
                    flat.extend(c for c in k.kids if c is not value)
                else:
                    flat.append(k)
            body.info = (flat, cases, _labels_of(flat))
        flat, cases, labels = body.info
        value = self.resolve(self.eval(cond)) if cond is not None else self.unknown("switch")
        start = self.pick_case(value, cases, cond)
        if start is None:
            return
        frame = self.frames[-1]
        frame.scopes.append({})
        try:
            self.exec_seq(flat, start, labels, None)
        except _Break:
            pass
        finally:
            frame.scopes.pop()

    def pick_case(self, value, cases, cond: N | None) -> int | None:
        concrete = []
        default = None
        for vnode, idx in cases:
            if vnode is None:
                default = idx
                continue
            cv = self.resolve(self.eval(vnode))
            concrete.append((cv, idx))
        if isinstance(value, int):
            for cv, idx in concrete:
                if cv == value:
                    return idx
            return default
        options = [(cv, idx) for cv, idx in concrete if isinstance(cv, int)]
        seen, uniq = set(), []
        for cv, idx in options:
            if cv not in seen:
                seen.add(cv)
                uniq.append((cv, idx))
        if isinstance(value, Unknown):
            r = self.ranges.get(value.uid, Range())
            uniq = [(cv, idx) for cv, idx in uniq if r.decide("==", cv) is not False]
        choice = self.choose(len(uniq) + 1)
        what = _short(cond.source()) if cond is not None else "switch"
        if choice < len(uniq):
            cv, idx = uniq[choice]
            if isinstance(value, Unknown):
                self.ranges[value.uid] = Range(cv, cv)
            self.event("assume", cond, f"assume {what} == {cv}")
            return idx
        if isinstance(value, Unknown):
            r = self.ranges.get(value.uid, Range())
            for cv, _ in uniq:
                r = r.narrow("==", cv, False)
            self.ranges[value.uid] = r
        self.event("assume", cond, f"assume {what} matches no case" if default is None
                   else f"assume {what} takes the default case")
        return default

    def preproc_branches(self, n: N) -> list:
        """[(what, statements, their labels)] of an ``#if``/``#ifdef`` chain; the last
        is an empty ``#else`` when the chain has none."""
        if n.info is None:
            branches = []
            node = n
            while node is not None:
                cond = node.f.get("condition") or node.f.get("name")
                alt = node.f.get("alternative")
                stmts = [k for k in node.kids if k is not cond and k is not alt]
                what = f"#{'else' if node.type == 'preproc_else' else node.op or 'if'} " + \
                       (_short(cond.source()) if cond is not None else "")
                branches.append((what.strip(), stmts, _labels_of(stmts)))
                node = alt
            if not any(b[0].startswith("#else") for b in branches):
                branches.append(("#else (none of the branches)", [], {}))
            n.info = branches
        return n.info

    def exec_preproc(self, n: N) -> None:
        """``#if``/``#ifdef`` inside a function: a branch on the configuration (forks once
        per path: the same ``#if`` reached again takes the same branch)."""
        branches = self.preproc_branches(n)
        key = ("preproc", n.start)
        choice = self.memo.get(key)
        if choice is None:
            choice = self.choose(len(branches))
            self.memo[key] = choice
        what, stmts, labels = branches[choice]
        self.event("assume", n, f"assume the configuration takes `{what}`")
        self.exec_seq(stmts, 0, labels, None)

    # -- conditions ----------------------------------------------------------------------
    def truth(self, n: N, prefer: bool = False) -> bool:
        """Evaluate ``n`` as a condition; forks when it depends on an unknown.

        ``prefer``: the outcome of ``n`` to explore first.  Conditions prefer false,
        so the first path skips the usual error checks and leaves a loop on an
        unknown condition early (short, finished paths first); ``!`` flips it."""
        self.step()
        if n.has_error:
            self.approximate(n, "partly unparsed condition")
        t = n.type
        if t == "parenthesized_expression" and len(n.kids) == 1 and n.kids[0].type != "compound_statement":
            return self.truth(n.kids[0], prefer)
        if t == "unary_expression" and n.op == "!" and n.kids:
            return not self.truth(n.kids[0], not prefer)
        if t == "binary_expression" and n.op in ("&&", "||"):
            left = self.truth(n.f["left"], prefer)
            if n.op == "&&":
                return left and self.truth(n.f["right"], prefer)
            return left or self.truth(n.f["right"], prefer)
        if t == "binary_expression" and n.op in CMP_OPS:
            lv = self.resolve(self.eval(n.f["left"]))
            rv = self.resolve(self.eval(n.f["right"]))
            d = self.compare(n.op, lv, rv)
            if d is not None:
                return bool(d)
            return self.fork_compare(n, n.op, lv, rv, prefer)
        v = self.resolve(self.eval(n))
        b = self.truthy(v)
        if b is not None:
            return b
        return self.fork_compare(n, "!=", v, 0, prefer)

    def truthy(self, v) -> bool | None:
        if isinstance(v, int):
            return v != 0
        if isinstance(v, Unknown):
            r = self.ranges.get(v.uid)
            return None if r is None else r.decide("!=", 0)
        if isinstance(v, Sym):
            return None
        if v is None:
            return False
        return True  # model objects, structs, refs, arrays, strings: non-NULL

    def fork_compare(self, n: N, op: str, lv, rv, prefer: bool = False) -> bool:
        key = None
        if isinstance(rv, Unknown) and not isinstance(lv, Unknown):
            lv, rv, op = rv, lv, _FLIP[op]
        if isinstance(lv, Unknown) and isinstance(rv, int):
            pass
        elif isinstance(lv, Unknown) and isinstance(rv, Unknown):
            key = ("cmp", lv.uid, op, rv.uid)
        elif isinstance(lv, Sym) or isinstance(rv, Sym):
            key = ("sym", _ident_sym(lv), op, _ident_sym(rv))
        else:
            key = ("expr", n.start, _ident(lv), op, _ident(rv))
        if key is not None and key in self.memo:
            return self.memo[key]
        holds = prefer if self.choose(2) == 0 else not prefer
        if isinstance(lv, Unknown) and isinstance(rv, int):
            self.ranges[lv.uid] = self.ranges.get(lv.uid, Range()).narrow(op, rv, holds)
        elif isinstance(lv, Unknown) and isinstance(rv, Unknown) and op in ("==", "!="):
            if holds == (op == "=="):  # now known equal: one stands for the other
                if rv.uid in self.named_constants:
                    self.materialised[lv.uid] = rv
                elif lv.uid in self.named_constants:
                    self.materialised[rv.uid] = lv
            else:
                self.unequal.setdefault(lv.uid, set()).add(rv.uid)
                self.unequal.setdefault(rv.uid, set()).add(lv.uid)
        if key is not None:
            self.memo[key] = holds
        self.event("assume", n, f"assume {_short(n.source())} is {'true' if holds else 'false'}")
        return holds

    def compare(self, op: str, lv, rv) -> int | None:
        """The comparison's value when it is decided; None when it depends on an unknown."""
        if isinstance(lv, int) and isinstance(rv, int):
            return int(_CMP[op](lv, rv))
        if isinstance(rv, Unknown) and isinstance(lv, int):
            lv, rv, op = rv, lv, _FLIP[op]
        if isinstance(lv, Unknown):
            if isinstance(rv, Unknown):
                if lv.uid == rv.uid and op in ("==", "!=", "<=", ">=", "<", ">"):
                    return int(op in ("==", "<=", ">="))
                if op in ("==", "!="):
                    differ = (lv.uid in self.named_constants and rv.uid in self.named_constants) or \
                        rv.uid in self.unequal.get(lv.uid, ()) or lv.uid in self.unequal.get(rv.uid, ())
                    if differ:
                        return int(op == "!=")
                return None
            if isinstance(rv, int):
                r = self.ranges.get(lv.uid)
                d = r.decide(op, rv) if r is not None else None
                return None if d is None else int(d)
            if op in ("==", "!=") and isinstance(rv, (Folio, Page, Ref)):
                return None
            return None
        if isinstance(lv, Sym) and isinstance(rv, Sym):
            if lv.base == rv.base:
                return int(_CMP[op](lv.delta, rv.delta))
            return None
        if isinstance(lv, Sym) or isinstance(rv, Sym):
            return None
        if isinstance(lv, Page) and isinstance(rv, Page):
            if lv.folio is rv.folio and isinstance(lv.index, int) and isinstance(rv.index, int):
                return int(_CMP[op](lv.index, rv.index))
            if op in ("==", "!="):
                if lv.folio is not rv.folio:
                    return int(op == "!=")
                return None
            return None
        if op in ("==", "!="):
            if lv is None or rv is None:
                return None
            if isinstance(lv, int) or isinstance(rv, int):  # a model object against NULL or a number
                other = rv if isinstance(lv, int) else lv
                num = lv if isinstance(lv, int) else rv
                if isinstance(other, (Folio, Page, Ref, Struct, Array, Str)) and num == 0:
                    return int(op == "!=")
                return None
            same = _ident(lv) == _ident(rv)
            if isinstance(lv, Folio) and isinstance(rv, Folio):
                return int(same == (op == "=="))
            if same:
                return int(op == "==")
        return None

    # -- expressions ----------------------------------------------------------------------
    def eval(self, n: N):
        self.step()
        h = _EVAL.get(n.type)
        if h is None:
            if n.is_error:
                self.approximate(n, "unparsed code read as unknown")
            else:
                self.approximate(n, f"{n.type} not simulated")
            return self.unknown(_short(n.source()))
        return h(self, n)

    def eval_number(self, n: N):
        v = _c_int(n.text or "")
        return v if v is not None else self.unknown(n.text or "number")

    def eval_char(self, n: N):
        body = (n.text or "''")[1:-1]
        esc = {"\\n": 10, "\\t": 9, "\\0": 0, "\\\\": 92, "\\'": 39, "\\r": 13}
        if body in esc:
            return esc[body]
        return ord(body[0]) if len(body) == 1 else self.unknown(n.text or "char")

    def eval_string(self, n: N):
        return Str(_short(n.source()))

    def eval_true(self, n: N):
        return 1

    def eval_false(self, n: N):
        return 0

    def eval_identifier(self, n: N):
        return self.resolve(self.lookup(n.text, n).value)

    def lookup(self, name: str, n: N | None = None) -> Cell:
        frame = self.frames[-1]
        for scope in reversed(frame.scopes):
            c = scope.get(name)
            if c is not None:
                return c
        c = self.globals.get(name)
        if c is not None:
            return c
        const = self.program.constant(name)
        if const is not None:
            c = Cell(name, const)
        else:
            c = Cell(name, self.unknown(name))
            if _CONSTANT_NAME.match(name):
                self.named_constants.add(c.value.uid)
        self.globals[name] = c
        return c

    def eval_paren(self, n: N):
        if len(n.kids) == 1 and n.kids[0].type == "compound_statement":
            return self.statement_expression(n.kids[0])
        if not n.kids:
            return self.unknown("()")
        v = None
        for k in n.kids:
            v = self.eval(k)
        return v

    def statement_expression(self, block: N):
        frame = self.frames[-1]
        frame.scopes.append({})
        try:
            kids = block.kids
            for k in kids[:-1]:
                self.exec(k)
            if kids and kids[-1].type == "expression_statement" and kids[-1].kids:
                return self.eval(kids[-1].kids[0])
            if kids:
                self.exec(kids[-1])
            return 0
        finally:
            frame.scopes.pop()

    def eval_binary(self, n: N):
        op = n.op
        if op in ("&&", "||"):
            left = self.truth(n.f["left"])
            if op == "&&":
                return int(left and self.truth(n.f["right"]))
            return int(left or self.truth(n.f["right"]))
        lv = self.resolve(self.eval(n.f["left"]))
        rv = self.resolve(self.eval(n.f["right"]))
        return self.arith(op, lv, rv, n)

    def arith(self, op: str, lv, rv, n: N):
        if op in CMP_OPS:
            d = self.compare(op, lv, rv)
            return d if d is not None else self.unknown(_short(n.source()))
        if isinstance(lv, int) and isinstance(rv, int):
            v = _int_op(op, lv, rv)
            if v is not None:
                return v
            return self.unknown(_short(n.source()))
        if isinstance(lv, Page) and isinstance(rv, int) and op in ("+", "-"):
            if isinstance(lv.index, int):
                return Page(lv.folio, lv.index + rv if op == "+" else lv.index - rv)
        if isinstance(lv, Page) and isinstance(rv, Unknown) and op in ("+", "-"):
            return Page(lv.folio, self.unknown(f"{render(lv.index)} {op} {rv.desc}"))  # same folio, unknown page
        if isinstance(rv, Page) and isinstance(lv, int) and op == "+" and isinstance(rv.index, int):
            return Page(rv.folio, rv.index + lv)
        if isinstance(lv, Page) and isinstance(rv, Page) and op == "-":
            if lv.folio is rv.folio and isinstance(lv.index, int) and isinstance(rv.index, int):
                return lv.index - rv.index
        if isinstance(lv, Sym) and isinstance(rv, int) and op in ("+", "-"):
            return lv.plus(rv if op == "+" else -rv)
        if isinstance(rv, Sym) and isinstance(lv, int) and op == "+":
            return rv.plus(lv)
        if isinstance(lv, Sym) and isinstance(rv, Sym) and op == "-" and lv.base == rv.base:
            return lv.delta - rv.delta
        if isinstance(lv, Unknown) or isinstance(rv, Unknown):
            if isinstance(rv, int):
                if (op in ("+", "-", "|", "^", "<<", ">>") and rv == 0) or (op in ("*", "/") and rv == 1):
                    return lv
                if op in ("*", "&") and rv == 0:
                    return 0
            if isinstance(lv, int) and op in ("+", "|", "^") and lv == 0:
                return rv
        return self.unknown(_short(n.source()))

    def eval_unary(self, n: N):
        op = n.op
        arg = n.kids[0] if n.kids else None
        if arg is None:
            return self.unknown(_short(n.source()))
        if op == "!":
            v = self.resolve(self.eval(arg))
            b = self.truthy(v)
            return int(not b) if b is not None else self.unknown(_short(n.source()))
        v = self.resolve(self.eval(arg))
        if isinstance(v, int):
            if op == "-":
                return -v
            if op == "+":
                return v
            if op == "~":
                return ~v
        return self.unknown(_short(n.source()))

    def eval_update(self, n: N):
        arg = n.f.get("argument") or (n.kids[0] if n.kids else None)
        loc = self.lvalue(arg)
        old = self.resolve(loc.get())
        new = self.arith("+" if n.op == "++" else "-", old, 1, n)
        loc.set(new)
        prefix = n.start < arg.start
        return new if prefix else old

    def eval_assignment(self, n: N):
        left = n.f.get("left")
        right = n.f.get("right")
        loc = self.lvalue(left)
        if right is not None and right.type == "initializer_list":
            value = self.build_initializer(right, loc.type_text)
        else:
            value = self.resolve(self.eval(right))
        op = n.op or "="
        if op != "=":
            value = self.arith(op[:-1], self.resolve(loc.get()), value, n)
        name = left.text if left is not None and left.type == "identifier" else ""
        value = self.coerce(value, loc.type_text, name)
        loc.set(value)
        return value

    def eval_comma(self, n: N):
        v = None
        for k in n.kids:
            v = self.eval(k)
        return v

    def eval_conditional(self, n: N):
        cond = n.f.get("condition")
        cons = n.f.get("consequence")
        alt = n.f.get("alternative")
        if cons is None:  # GNU a ?: b
            v = self.resolve(self.eval(cond))
            b = self.truthy(v)
            if b is None:
                b = self.fork_compare(cond, "!=", v, 0)
            return v if b else self.eval(alt)
        return self.eval(cons) if self.truth(cond) else self.eval(alt)

    def eval_cast(self, n: N):
        value = n.f.get("value")
        return self.eval(value) if value is not None else self.unknown(_short(n.source()))

    def eval_sizeof(self, n: N):
        u = self.unknown(_short(n.source()))
        self.ranges[u.uid] = Range(1, None)
        return u

    def eval_compound_literal(self, n: N):
        tnode = n.f.get("type")
        t = " ".join(tnode.source().split()) if tnode is not None else ""
        value = n.f.get("value")
        if value is not None and value.type == "initializer_list":
            return self.build_initializer(value, t)
        return self.unknown(_short(n.source()))

    def eval_initializer_list(self, n: N):
        return self.build_initializer(n, "")

    def eval_field(self, n: N):
        return self.resolve(self.lvalue(n).get())

    def eval_subscript(self, n: N):
        base = self.resolve(self.eval(n.f["argument"]))
        if isinstance(base, Page):  # page[i]: the i-th struct page after it
            idx = self.resolve(self.eval(n.f["index"]))
            if isinstance(idx, int) and isinstance(base.index, int):
                return Page(base.folio, base.index + idx)
        return self.resolve(self.lvalue(n).get())

    def eval_pointer(self, n: N):
        arg = n.f.get("argument") or (n.kids[0] if n.kids else None)
        if n.op == "&":
            return self.address_of(arg)
        return self.resolve(self.lvalue(n).get())

    def address_of(self, arg: N):
        while arg is not None and arg.type == "parenthesized_expression" and len(arg.kids) == 1:
            arg = arg.kids[0]
        if arg is None:
            return self.unknown("&?")
        if arg.type == "identifier":
            cell = self.lookup(arg.text, arg)
            if isinstance(cell.value, Array):
                return cell.value
            return Ref(cell)
        if arg.type == "field_expression":
            base_node = arg.f.get("argument")
            fname = arg.f["field"].text if arg.f.get("field") is not None else ""
            if arg.op == "->":
                base = self.as_model(self.resolve(self.eval(base_node)))
                if isinstance(base, Folio) and fname == "page":
                    return Page(base, 0)
                if isinstance(base, Ref):
                    return Ref(base.cell, base.path + (fname,))
            else:
                inner = self.address_of(base_node)
                if isinstance(inner, Ref):
                    return Ref(inner.cell, inner.path + (fname,))
            return self.heap_get(("addr", arg.start, _ident(self.resolve(self.eval(base_node)))),
                                 "&" + _short(arg.source()))
        if arg.type == "subscript_expression":
            base_node = arg.f.get("argument")
            idx = self.resolve(self.eval(arg.f["index"]))
            if base_node is not None and base_node.type == "field_expression" and base_node.op == "->" \
                    and base_node.f.get("field") is not None and base_node.f["field"].text == "page":
                folio = self.resolve(self.eval(base_node.f["argument"]))
                if isinstance(folio, Folio) and isinstance(idx, (int, Unknown)):
                    return Page(folio, idx)
            base = self.resolve(self.eval(base_node))
            if isinstance(base, Page) and isinstance(idx, int) and isinstance(base.index, int):
                return Page(base.folio, base.index + idx)
            return self.unknown("&" + _short(arg.source()))
        if arg.type == "pointer_expression" and arg.op == "*":
            return self.eval(arg.f.get("argument") or arg.kids[0])
        return self.unknown("&" + _short(arg.source()))

    def lvalue(self, n: N | None) -> _Loc:
        while n is not None and n.type == "parenthesized_expression" and len(n.kids) == 1:
            n = n.kids[0]
        if n is None:
            return _TempLoc(self.unknown("?"))
        t = n.type
        if t == "identifier":
            return _CellLoc(self.lookup(n.text, n))
        if t == "field_expression":
            base_node = n.f.get("argument")
            fname = n.f["field"].text if n.f.get("field") is not None else "?"
            desc = _short(n.source())
            if n.op == "->":
                base = self.resolve(self.eval(base_node))
                return self.pointee_field(base, fname, desc, n)
            base_loc = self.lvalue(base_node)
            return _FieldLoc(self, base_loc, fname, desc)
        if t == "pointer_expression" and n.op == "*":
            ptr = self.resolve(self.eval(n.f.get("argument") or n.kids[0]))
            if isinstance(ptr, Ref):
                return _RefLoc(ptr)
            if isinstance(ptr, Array):
                return _IndexLoc(ptr, 0) if ptr.items else _TempLoc(self.unknown(_short(n.source())))
            if isinstance(ptr, int) and ptr == 0:
                raise Infeasible(f"line {n.line}: NULL dereference")
            return _HeapLoc(self, ("deref", _ident(ptr)), _short(n.source()))
        if t == "subscript_expression":
            base = self.resolve(self.eval(n.f["argument"]))
            idx = self.resolve(self.eval(n.f["index"]))
            if isinstance(base, Array) and isinstance(idx, int) and 0 <= idx < len(base.items):
                return _IndexLoc(base, idx)
            return _HeapLoc(self, ("index", _ident(base), _ident(idx)), _short(n.source()))
        return _TempLoc(self.eval(n))

    def pointee_field(self, base, fname: str, desc: str, n: N) -> _Loc:
        base = self.as_model(base)
        if isinstance(base, Folio):
            return _FolioFieldLoc(self, base, fname)
        if isinstance(base, Page):
            return _PageFieldLoc(self, base, fname)
        if isinstance(base, Ref):
            loc = _RefLoc(base)
            return _FieldLoc(self, loc, fname, desc)
        if isinstance(base, Struct):
            return _FieldLoc(self, _TempLoc(base), fname, desc)
        if isinstance(base, int) and base == 0:
            raise Infeasible(f"line {n.line}: NULL dereference")
        return _HeapLoc(self, ("field", _ident(base), fname), desc)

    # -- calls -----------------------------------------------------------------------------
    def eval_call(self, n: N):
        fnode = n.f.get("function")
        args_node = n.f.get("arguments")
        name = fnode.text if fnode is not None and fnode.type == "identifier" else \
            _short(fnode.source()) if fnode is not None else "?"
        arg_nodes = args_node.kids if args_node is not None else []
        if name in ("sizeof", "typeof", "__builtin_expect") and arg_nodes:
            return self.eval(arg_nodes[0]) if name == "__builtin_expect" else self.eval_sizeof(n)
        # a folio/page variable handed to a call is taken to be a real one (a model)
        args = [self.as_model(self.resolve(self.eval(a))) for a in arg_nodes]
        registry = self.program.registry
        if fnode is not None and fnode.type == "identifier" and name in registry:
            call = ModelCall(name, args, n.line, self, self.scenario, [_short(a.source()) for a in arg_nodes])
            out = registry.call(call)
            if out is not NOT_MODELLED:
                self.event("model", n, f"{name}({_render_args(args)}) = {render(out)}", name=name,
                           args=tuple(_snapshot(a) for a in args), result=out)
                return out
        callee = self.program.inlinable(name, self.scenario) if fnode is not None and fnode.type == "identifier" \
            else None
        if callee is not None:
            self.event("call", n, f"call {name}({_render_args(args)}), stepping into it", name=name,
                       args=tuple(_snapshot(a) for a in args))
            value = self.call_function(callee, args, n)
            self.event("return", n, f"{name}() returns {render(value, status=True)}" if value is not None
                       else f"{name}() returns", name=name, result=value)
            return value
        return self.unmodelled_call(n, name, args)

    def unmodelled_call(self, n: N, name: str, args: list):
        self.calls += 1
        snap = tuple(_snapshot(a) for a in args)
        text = f"call {name}({_render_args(args)})"
        ev = Event(len(self.events) + 1, "call", n.line, n.start, text, name=name, args=snap,
                   depth=len(self.frames) - 1, function=self.frames[-1].name,
                   loops=tuple((r.start_byte, r.id, r.iterations) for r in self.loop_stack))
        sc = self.scenario
        fail = not self.failed and (sc.fail_at == self.calls or (sc.fail_when is not None and sc.fail_when(ev)))
        if fail:
            self.failed = True
            ev.kind = "fail"
            ev.result = sc.fail_value
            ev.text = f"{text} fails (injected): {render(sc.fail_value, status=True)}"
            self.events.append(ev)
            result = sc.fail_value
        else:
            result = self.unknown(f"{name}()")
            ev.result = result
            self.events.append(ev)
        for a in args:  # the callee may write through pointers to locals (by type: a folio, a page ...)
            if isinstance(a, Ref):
                written = self.unknown(f"{render(a)[1:]} after {name}()")
                a.set(self.coerce(written, a.cell.type, a.cell.name) if not a.path else written)
        return result


# -- helpers ---------------------------------------------------------------------------

_CONSTANT_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")

_EXIT_TEXT = {"condition": "its condition is false", "break": "break", "return": "return", "goto": "goto",
              "cut": "cut short"}

_CMP = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}


def _int_op(op: str, a: int, b: int) -> int | None:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op in ("/", "%"):
        if b == 0:
            return None
        q = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
        return q if op == "/" else a - q * b
    if op == "<<":
        return a << b if 0 <= b < 128 else None
    if op == ">>":
        return a >> b if 0 <= b < 128 else None
    if op == "&":
        return a & b
    if op == "|":
        return a | b
    if op == "^":
        return a ^ b
    return None


def _c_int(text: str) -> int | None:
    t = text.rstrip("uUlL")
    try:
        if t.lower().startswith(("0x", "0b")):
            return int(t, 0)
        if len(t) > 1 and t.startswith("0") and t.isdigit():
            return int(t, 8)
        return int(t)
    except ValueError:
        return None


def _short(text: str, limit: int = 80) -> str:
    s = " ".join(text.split())
    if s.startswith("(") and s.endswith(")") and s.count("(") == 1:
        s = s[1:-1]
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _label_for(desc: str, kind: str) -> str:
    """A readable label for a model object materialised from an unknown."""
    if desc.replace("->", "").replace(".", "").replace("_", "").isalnum():
        return desc
    if desc.endswith("()"):
        return f"{kind} from {desc}"
    return kind


def _ident_sym(v):
    return ("sym", v.base, v.delta) if isinstance(v, Sym) else _ident(v)


def _snapshot(v):
    return v.copy() if isinstance(v, Struct) else v


def _render_args(args: list) -> str:
    return ", ".join(render(a) for a in args)


def _declarator(d: N | None):
    """(name, pointer stars, array length node/int or None, is a function declarator)."""
    stars, array_len, is_fn = 0, None, False
    while d is not None and d.type != "identifier":
        if d.type == "pointer_declarator":
            stars += 1
        elif d.type == "array_declarator":
            size = d.f.get("size")
            array_len = size if size is not None else 0
        elif d.type == "function_declarator":
            is_fn = True
        nxt = d.f.get("declarator")
        if nxt is None:
            nxt = next((k for k in d.kids if k.type.endswith("declarator") or k.type == "identifier"), None)
        d = nxt
    if isinstance(array_len, N) and array_len.type == "number_literal":
        array_len = _c_int(array_len.text or "")
    return (d.text if d is not None else None), stars, array_len, is_fn


def _labels_of(seq: list) -> dict:
    """label -> index in ``seq`` of the statement that holds it (through labels, blocks,
    if/else branches and #if branches)."""
    out = {}
    for i, s in enumerate(seq):
        stack = [s]
        while stack:
            x = stack.pop()
            if x.type == "labeled_statement":
                if x.kids and x.kids[0].type == "statement_identifier":
                    out.setdefault(x.kids[0].text, i)
                stack.extend(x.kids[1:])
            elif x.type in _LABEL_CONTAINERS:
                stack.extend(x.kids)
    return out


_PREPROC = frozenset({"preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif", "preproc_elifdef"})
# Statements a goto can enter at a label inside them (loops and switches are not entered).
_LABEL_CONTAINERS = frozenset({"compound_statement", "if_statement", "else_clause"}) | _PREPROC


_STMT = {
    "compound_statement": Path.exec_compound,
    "expression_statement": Path.exec_expression_statement,
    "declaration": Path.exec_declaration,
    "return_statement": Path.exec_return,
    "break_statement": Path.exec_break,
    "continue_statement": Path.exec_continue,
    "goto_statement": Path.exec_goto,
    "labeled_statement": Path.exec_labeled,
    "if_statement": Path.exec_if,
    "for_statement": Path.exec_loop,
    "while_statement": Path.exec_loop,
    "do_statement": Path.exec_loop,
    "switch_statement": Path.exec_switch,
    "preproc_if": Path.exec_preproc,
    "preproc_ifdef": Path.exec_preproc,
    "attributed_statement": lambda self, n: self.exec(n.kids[-1]) if n.kids else None,
}

_SIMPLE_STMTS = frozenset({"expression_statement", "declaration", "return_statement"})

_IGNORED_STMTS = frozenset({
    "type_definition", "struct_specifier", "union_specifier", "enum_specifier", "preproc_call", "preproc_def",
    "preproc_function_def", "preproc_include", "empty_statement", "attribute_specifier", "function_definition",
})

_EVAL = {
    "number_literal": Path.eval_number,
    "char_literal": Path.eval_char,
    "string_literal": Path.eval_string,
    "concatenated_string": Path.eval_string,
    "true": Path.eval_true,
    "false": Path.eval_false,
    "null": Path.eval_false,
    "identifier": Path.eval_identifier,
    "parenthesized_expression": Path.eval_paren,
    "binary_expression": Path.eval_binary,
    "unary_expression": Path.eval_unary,
    "update_expression": Path.eval_update,
    "assignment_expression": Path.eval_assignment,
    "comma_expression": Path.eval_comma,
    "conditional_expression": Path.eval_conditional,
    "cast_expression": Path.eval_cast,
    "sizeof_expression": Path.eval_sizeof,
    "alignof_expression": Path.eval_sizeof,
    "offsetof_expression": Path.eval_sizeof,
    "compound_literal_expression": Path.eval_compound_literal,
    "initializer_list": Path.eval_initializer_list,
    "field_expression": Path.eval_field,
    "subscript_expression": Path.eval_subscript,
    "pointer_expression": Path.eval_pointer,
    "call_expression": Path.eval_call,
}
_EXPR = frozenset(_EVAL)
