"""Give each finding a verdict by running its rule's oracle on a simulation of its function.

Called by ``folint.checker.check_source`` in the worker, on the same
SourceFile the rules used.  Never raises: an oracle that fails leaves its
finding ``inconclusive`` and reports a file error.
"""

from __future__ import annotations

from folint.enums import Verdict
from folint.finding import FileError, Finding
from folint.guard import Failed, run_check
from folint.rule import Rule
from folint.sim.explore import Program
from folint.sim.oracle import Simulation


def _function_of(src, finding: Finding):
    """The function the finding is in: the one holding its loop, else by name and line."""
    byte = finding.loop.start if finding.loop is not None else None
    for fn in src.functions:
        if finding.function not in (None, fn.name):
            continue
        if byte is not None:
            if fn.node.start_byte <= byte < fn.node.end_byte:
                return fn
        elif src.position(fn.node.start_byte)[0] <= finding.line <= src.position(fn.node.end_byte)[0]:
            return fn
    return None


def verify_findings(src, findings: list[Finding], rules_by_code: dict, errors: list[FileError],
                    registry=None) -> None:
    """Judge ``findings`` of ``src`` by their rules' oracles.  ``registry``: the simulator's
    models; None: the process-wide one from the plugins (this bridge from the checker is
    the one place under folint.sim that asks the plugins for it)."""
    if registry is None:
        from folint.plugins import model_registry

        registry = model_registry()
    program = None
    sims: dict[int, Simulation] = {}
    for f in findings:
        rule = rules_by_code.get(f.code)
        if rule is None or type(rule).oracle is Rule.oracle:
            continue
        fn = _function_of(src, f)
        if fn is None:
            continue
        if program is None:
            program = Program(src, registry)
        sim = sims.get(fn.node.start_byte)
        if sim is None:
            sim = sims[fn.node.start_byte] = Simulation(src, fn, program=program)
        judge_finding(rule, f, sim, errors, src.path)


def judge_finding(rule: Rule, f: Finding, sim: Simulation, errors: list[FileError], path: str) -> None:
    """Run ``rule.oracle(f, sim)`` (through ``folint.guard``) and put its judgement on ``f``:
    a failing oracle leaves ``f`` inconclusive and adds one error line for ``path``."""
    judgement = run_check(rule.oracle, f, sim, path=path, errors=errors, what=f"line {f.line}: {f.code} simulation")
    if isinstance(judgement, Failed):
        f.verdict = Verdict.INCONCLUSIVE
        f.evidence = "simulation: code nested too deeply" if judgement.too_deep else \
            f"simulation failed: internal error {judgement.name}"
    elif judgement is not None:
        f.verdict, f.evidence, f.trace = judgement.verdict, judgement.evidence, list(judgement.trace)
