"""The simulator's words as str-valued Enums: event kinds, path statuses, loop exits.

Members compare equal to (and hash and print as) their strings, so oracles written
against ``e.kind == "call"`` keep working; new code uses ``EventKind.CALL``.
"""

from __future__ import annotations

from folint.enums import StrEnum

__all__ = ["EventKind", "LoopExit", "PathStatus"]


class EventKind(StrEnum):
    """What an :class:`Event` records."""

    CALL = "call"  # an unmodelled call (or a call stepped into)
    MODEL = "model"  # a modelled call (folint.sim.models)
    FAIL = "fail"  # an unmodelled call the scenario made fail
    ASSUME = "assume"  # a branch taken on an unknown
    RETURN = "return"  # a return (of the function, or of a callee stepped into)
    LOOP = "loop"  # a loop left
    USE = "use"  # a model value dereferenced or passed to a call


class PathStatus(StrEnum):
    """How a path ended."""

    RETURNED = "returned"  # the function returned
    STOPPED = "stopped"  # past the focus loop: nothing after it matters
    BOUNDED = "bounded"  # a loop on unknowns reached its bound (its other exits are other paths)
    CUT = "cut"  # a budget ran out (``reason`` says which)
    INFEASIBLE = "infeasible"  # it contradicts itself (a NULL dereference): not a real execution


class LoopExit(StrEnum):
    """How a :class:`LoopRun` ended."""

    CONDITION = "condition"
    BREAK = "break"
    RETURN = "return"
    GOTO = "goto"
    CUT = "cut"
