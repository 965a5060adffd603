"""The simulator's rooms: one module per concern, each documented and small."""

import ast
from pathlib import Path

import folint.sim
from folint.sim.calls import Calls
from folint.sim.conditions import Conditions
from folint.sim.expressions import EXPRESSION_HANDLERS, Expressions
from folint.sim.memory import Memory
from folint.sim.run import SimRun
from folint.sim.state import RunState
from folint.sim.statements import Statements

SIM = Path(folint.sim.__file__).parent


def test_every_sim_module_has_a_docstring_and_stays_small():
    for f in sorted(SIM.glob("*.py")):
        text = f.read_text()
        assert ast.get_docstring(ast.parse(text)), f"{f.name} has no module docstring"
        assert text.count("\n") <= 500, f"{f.name} has {text.count(chr(10))} lines (at most 500)"


def test_simrun_is_the_rooms_together():
    assert SimRun.__mro__[1:7] == (RunState, Statements, Conditions, Expressions, Memory, Calls)
    assert "SimRun" in folint.sim.__all__ and "Path" not in folint.sim.__all__
    assert folint.sim.SimRun is SimRun


def test_every_expression_handler_exists():
    for node_type, name in EXPRESSION_HANDLERS.items():
        assert callable(getattr(SimRun, name, None)), f"{node_type}: SimRun has no {name}"
        assert SimRun.eval_handlers[node_type] is getattr(SimRun, name)
