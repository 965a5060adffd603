"""A simulated run: one path of one C function through a fixed list of branch choices.

A :class:`SimRun` is both the run and its record.  It replays a list of
choices (``prefix``) for the branches on unknowns it meets; at a new branch it
takes option 0 and leaves the other options in ``alternatives`` for the
explorer (``folint.sim.explore``).  Control flow (return, break, continue,
goto) uses exceptions; every budget that runs out raises ``Cut``, which
ends the path cleanly with a reason.

The interpreter is split into rooms by concern, each a mixin in its own module:

- ``folint.sim.state``: the run state (budgets, choices, events, the trace),
- ``folint.sim.statements``: statements and control flow,
- ``folint.sim.conditions``: conditions and value ranges,
- ``folint.sim.expressions``: expressions,
- ``folint.sim.memory``: memory locations,
- ``folint.sim.calls``: calls and models.

Why mixins rather than composition: the rooms share one state (the path's
record and its values) and call each other on almost every node (a
statement evaluates expressions, which read locations, which create
unknowns and record events).  As mixins of one class they keep that state in
one object and each call one method lookup, as it was when this was one class;
as components every cross-room call would go through a second object (``self.
conds.truth``, ``self.state.step``) and each room would hold references to
the others, on the interpreter's hottest path.  Each mixin uses only the
attributes ``RunState.__init__`` sets and the methods of the other rooms.

This module owns the combined class and what starts a run: :meth:`SimRun.run`
binds the parameters, calls the function and turns how the path ended into
its ``status`` and ``reason``.
"""

from __future__ import annotations

from folint.sim.calls import Calls
from folint.sim.conditions import Conditions
from folint.sim.expressions import EXPRESSION_HANDLERS, Expressions
from folint.sim.memory import Memory
from folint.sim.state import (
    Bounded, Cut, Event, EventKind, Infeasible, LoopExit, LoopRun, PathStatus, RunState, Stop,
)
from folint.sim.statements import Statements
from folint.sim.values import render

__all__ = ["Event", "EventKind", "LoopExit", "LoopRun", "PathStatus", "SimRun"]


class SimRun(RunState, Statements, Conditions, Expressions, Memory, Calls):
    """One run of a function through a fixed list of branch choices (see the module docstring)."""

    def run(self, fn) -> SimRun:
        """Run ``fn`` (a ``folint.sim.explore.SimFunction``) with arguments bound by type."""
        args = []
        for name, type_text in fn.params:
            args.append(self.bind_param(name, type_text))
        self.params = [(name, v) for (name, _t), v in zip(fn.params, args)]
        try:
            value = self.call_function(fn, args, None)
            self.returned = value
            where = self.return_node or fn.body_end
            self.event(EventKind.RETURN, where, "return" if value is None else f"return {render(value, status=True)}",
                       result=value)
        except Cut as c:
            self.status, self.reason = PathStatus.CUT, c.reason
            self._close_loops(LoopExit.CUT)
        except Infeasible as e:
            self.status, self.reason = PathStatus.INFEASIBLE, e.reason
            self._close_loops(LoopExit.CUT)
        except Stop:
            self.status = PathStatus.STOPPED
            self._close_loops(LoopExit.CUT)
        except Bounded as b:
            self.status, self.reason = PathStatus.BOUNDED, b.note
            self._close_loops(LoopExit.CUT)

        except RecursionError:
            self.status, self.reason = PathStatus.CUT, "code nested too deeply to simulate"
            self._close_loops(LoopExit.CUT)
        return self

    def _close_loops(self, how: str) -> None:
        for run in self.loop_stack:
            if not run.exit:
                run.exit = how
                run.last_event = len(self.events)
        self.loop_stack.clear()


SimRun.eval_handlers = {t: getattr(SimRun, name) for t, name in EXPRESSION_HANDLERS.items()}
