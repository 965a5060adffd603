"""Scenarios, the program a simulation runs in, and path exploration.

Exploration is depth-first over the branch choices: each path replays its
prefix from the function's entry and leaves the untaken options of every new
branch on the stack.  It ends when the stack is empty (``complete``), or a
budget runs out (``reason`` says which).
"""

from __future__ import annotations

import heapq
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from folint import cnodes
from folint.parsing import query
from folint.sim.lower import N, lower
from folint.sim.run import SimRun
from folint.sim.state import PathStatus
from folint.sim.values import ERRNO

DEFAULT_NR = 4


@dataclass
class Scenario:
    """How to run a function: the model folio's size, which call fails, budgets."""

    nr: int = DEFAULT_NR
    fail_at: int | None = None
    fail_when: Callable | None = None
    fail_value: int = -ERRNO["ENOMEM"]
    args: dict = field(default_factory=dict)
    locals: dict = field(default_factory=dict)
    inline: bool | frozenset = False
    max_paths: int = 256
    max_iterations: int | None = None  # a loop that forks: at most this many iterations (None: nr + 2)
    max_steps: int = 20000
    max_total_steps: int = 500_000
    max_depth: int = 8
    max_seconds: float = 5.0

    def key(self) -> tuple:
        inline = self.inline if isinstance(self.inline, bool) else tuple(sorted(self.inline))
        return (self.nr, self.fail_at, id(self.fail_when) if self.fail_when else None, self.fail_value,
                tuple(sorted((k, str(v)) for k, v in self.args.items())),
                tuple(sorted((k, int(v)) for k, v in self.locals.items())), inline, self.max_paths,
                self.max_iterations, self.max_steps, self.max_total_steps, self.max_depth, self.max_seconds)


class _Marker:
    """Where the implicit return at a function's closing brace happens."""

    def __init__(self, line: int, start: int):
        self.line = line
        self.start = start


@dataclass
class SimFunction:
    """A function ready to run: its lowered body, parameters and variable types."""

    name: str
    params: list  # [(name, type text)]
    types: dict
    body: N
    body_end: _Marker
    start_byte: int
    end_byte: int


class Program:
    """What one simulation can see: the source file (and extra files for
    inlining), the models, and the file's integer constants."""

    def __init__(self, src, registry, extra_sources=()):
        self.src = src
        self.registry = registry
        self.sources = [src, *extra_sources]
        self._lowered: dict = {}
        self._file_constants: dict | None = None

    def function(self, name: str, near_byte: int | None = None) -> SimFunction | None:
        for source in self.sources:
            candidates = [f for f in source.functions if f.name == name]
            if not candidates:
                continue
            fn = candidates[0]
            if near_byte is not None and source is self.src:
                fn = next((f for f in candidates if f.node.start_byte <= near_byte < f.node.end_byte), fn)
            return self.lowered(source, fn)
        return None

    def lowered(self, source, fn) -> SimFunction:
        key = (id(source), fn.node.start_byte)
        if key not in self._lowered:
            line_of = lambda b: source.position(b)[0]  # noqa: E731
            body = lower(fn.body, source.code, line_of, source.raw)
            self._lowered[key] = SimFunction(fn.name, list(fn.params), dict(fn.var_types), body,
                                             _Marker(line_of(max(fn.body.end_byte - 1, 0)), fn.body.end_byte - 1),
                                             fn.node.start_byte, fn.node.end_byte)
        return self._lowered[key]

    def inlinable(self, name: str, scenario: Scenario) -> SimFunction | None:
        if scenario.inline is True or (not isinstance(scenario.inline, bool) and name in scenario.inline):
            return self.function(name)
        return None

    def constant(self, name: str) -> int | None:
        v = self.registry.constants.get(name)
        if v is not None:
            return v
        if self._file_constants is None:
            self._file_constants = _constants_of(self.src)
        return self._file_constants.get(name)


# file_constants(src) by source file: the tree phase judges each of its findings in a
# Simulation (a Program) of its own, and findings share files; the constants are a
# function of the file's parse alone.
_CONSTANTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _constants_of(src) -> dict[str, int]:
    try:
        out = _CONSTANTS.get(src)
    except TypeError:  # a source that cannot be weakly referenced: no cache
        return file_constants(src)
    if out is None:
        out = _CONSTANTS[src] = file_constants(src)
    return out


_DEFINES = "(preproc_def name: (identifier) @name value: (preproc_arg) @value)"
_ENUMS = "(enumerator_list) @list"


def file_constants(src) -> dict[str, int]:
    """``#define NAME <integer>`` and enumerators with known values in ``src``."""
    from tree_sitter import QueryCursor

    from folint.sim.expressions import c_int

    out: dict[str, int] = {}
    for _pattern, caps in QueryCursor(query(_DEFINES)).matches(src.root):
        text = cnodes.text(caps["value"][0]).strip().strip("()").strip()
        neg = text.startswith("-")
        v = c_int(text[1:].strip() if neg else text)
        if v is not None:
            out[cnodes.text(caps["name"][0])] = -v if neg else v
    for _pattern, caps in QueryCursor(query(_ENUMS)).matches(src.root):
        nxt: int | None = 0
        for e in caps["list"][0].named_children:
            if e.type != "enumerator":
                continue
            name = cnodes.text(e.child_by_field_name("name"))
            value = e.child_by_field_name("value")
            if value is not None:
                text = cnodes.text(value).strip()
                neg = text.startswith("-")
                v = c_int(text[1:].strip() if neg else text)
                nxt = None if v is None else (-v if neg else v)
            if nxt is not None:
                out.setdefault(name, nxt)
                nxt += 1
    return out


@dataclass
class Exploration:
    """The paths of one run (see ``folint.sim``)."""

    function: str
    scenario: Scenario
    paths: list = field(default_factory=list)
    complete: bool = False
    reason: str = ""
    stopped_early: bool = False
    seconds: float = 0.0

    @property
    def feasible(self) -> list:
        return [p for p in self.paths if p.status != PathStatus.INFEASIBLE]

    @property
    def approximations(self) -> list[str]:
        seen: dict[str, None] = {}
        for p in self.paths:
            for a in p.approximations:
                seen.setdefault(a, None)
        return list(seen)

    @property
    def bounds(self) -> list[str]:
        """The loop bounds that ended paths ("line N: a loop on unknown values explored up to 6 iterations")."""
        return sorted({p.reason for p in self.paths if p.status == PathStatus.BOUNDED})

    @property
    def exact(self) -> bool:
        """Complete, and no path skipped code the interpreter cannot model."""
        return self.complete and not self.approximations


def explore(program: Program, fn: SimFunction, scenario: Scenario, *,
            until: Callable | None = None, focus: tuple[int, int] | None = None,
            fewest_flips: bool = False) -> Exploration:
    """Explore the paths of ``fn`` (see the module docstring).  ``fewest_flips``: take
    the branch choices left open in order of how many non-first options they take
    (fewest first; among equals, the latest opened first, as depth-first does), not
    depth-first: a witness search then tries one changed decision anywhere in the
    function before it tries every combination at the end of a long path.  The order
    changes only which paths a budget leaves unexplored: an exploration that completes
    runs the same paths, so it refutes or confirms as the depth-first one does."""
    return Explorer(program, fn, scenario, focus=focus, fewest_flips=fewest_flips).explore(until=until)


class Explorer:
    """One exploration that can be taken up again: the paths run so far, in order, and
    the branch choices still open.  The order of the paths does not depend on ``until``
    (it only says where to stop), so a second ``explore`` with another ``until`` first
    offers it the paths already run, then goes on from where the first one stopped: it
    gives the very paths and ending a fresh exploration would.  Several findings in one
    function, each searching for its own witness under the same scenario, share one
    ``Explorer`` (``folint.sim.oracle.Simulation.run``) instead of each running the same
    first paths again."""

    def __init__(self, program: Program, fn: SimFunction, scenario: Scenario, *,
                 focus: tuple[int, int] | None = None, fewest_flips: bool = False):
        self.program, self.fn, self.scenario, self.focus = program, fn, scenario, focus
        self.paths: list = []
        self.stack: list[list[int]] | _FlipOrder = _FlipOrder([[]]) if fewest_flips else [[]]
        self.steps_left = scenario.max_total_steps
        self.seconds = 0.0  # CPU time the paths run so far took
        self.ending: tuple[bool, str] | None = None  # (complete, reason) once no path is left to run

    def explore(self, scenario: Scenario | None = None, until: Callable | None = None) -> Exploration:
        """The exploration up to the first path ``until`` answers (all of it without
        ``until``); ``scenario``: the one the Exploration names (equal to this one's)."""
        scenario = scenario or self.scenario
        started = time.process_time()
        ex = Exploration(self.fn.name, scenario)
        paths = self.paths
        if until is not None:
            for k, path in enumerate(paths):
                if path.status != PathStatus.INFEASIBLE and until(path):
                    return self._stopped(ex, k + 1, started)
        # the CPU-time budget counts from where a fresh exploration would have started
        deadline = started - self.seconds + scenario.max_seconds
        stack = self.stack
        while self.ending is None:
            if not stack:
                cut = [p for p in paths if p.status == PathStatus.CUT]
                if cut:
                    self.ending = (False, f"{len(cut)} of {len(paths)} paths cut short: {cut[0].reason}")
                elif not any(p.status != PathStatus.INFEASIBLE for p in paths):
                    self.ending = (False, "no feasible path: " + (paths[0].reason if paths else "nothing ran"))
                else:
                    self.ending = (True, "")
                break
            if len(paths) >= scenario.max_paths:
                self.ending = (False, f"path limit ({scenario.max_paths}) reached with {len(stack)} "
                                      f"branch{'es' * (len(stack) != 1)} unexplored")
                break
            if self.steps_left <= 0:
                self.ending = (False, f"step budget ({scenario.max_total_steps} for the whole run) spent after "
                                      f"{len(paths)} paths")
                break
            if time.process_time() > deadline:  # not an ending: a later run may have the time
                ex.paths = list(paths)
                ex.reason = f"time limit ({scenario.max_seconds:g} s of CPU) reached after {len(paths)} paths"
                ex.seconds = time.process_time() - started
                return ex
            t0 = time.process_time()
            prefix = stack.pop()
            path = SimRun(self.program, scenario, prefix, deadline, focus=self.focus,
                          steps_left=self.steps_left).run(self.fn)
            self.steps_left -= path.steps
            paths.append(path)
            stack.extend(path.alternatives)
            self.seconds += time.process_time() - t0
            if until is not None and path.status != PathStatus.INFEASIBLE and until(path):
                return self._stopped(ex, len(paths), started)
        ex.paths = list(paths)
        ex.complete, ex.reason = self.ending
        ex.seconds = time.process_time() - started
        return ex

    def _stopped(self, ex: Exploration, n: int, started: float) -> Exploration:
        """``ex`` ended at the ``n``-th path, the first one ``until`` answered."""
        ex.paths = self.paths[:n]
        ex.stopped_early = True
        ex.reason = "stopped at the first path that answered the question"
        ex.seconds = time.process_time() - started
        return ex


class _FlipOrder:
    """The open branch choices of ``explore(fewest_flips=True)``: ``pop`` gives the prefix
    with the fewest non-zero choices, the last pushed among equals."""

    def __init__(self, prefixes):
        self._heap: list = []
        self._seq = 0
        self.extend(prefixes)

    def extend(self, prefixes) -> None:
        for p in prefixes:
            self._seq += 1
            heapq.heappush(self._heap, (len(p) - p.count(0), -self._seq, p))

    def pop(self) -> list[int]:
        return heapq.heappop(self._heap)[2]

    def __len__(self) -> int:
        return len(self._heap)
