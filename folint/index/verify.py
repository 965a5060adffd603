"""Verdicts for tree findings: run a caller into the callee on a model folio.

A tree finding's rule puts a ``folint.index.records.TreeSimPlan`` in
``finding.data["sim"]`` (the callee, its definition, the caller or None).
Here the caller's file is parsed, and ``rule.oracle(finding, sim)`` gets a
``folint.sim.Simulation`` of the caller function with the definition's file
as an extra source, so a scenario with ``inline={callee}`` steps into the
very definition the finding is about.  Without a caller the simulation is
of the definition itself.  Never raises: an oracle that fails leaves its
finding ``inconclusive`` and adds one error line.
"""

from __future__ import annotations

from folint.finding import FileError, Finding
from folint.index.files import tree_bytes
from folint.pool import job_count, parallel_map
from folint.rule import Rule
from folint.enums import Verdict
from folint.workers import die_with_parent


def _function_at(src, name: str, line: int):
    for fn in src.functions:
        if fn.name == name and src.position(fn.node.start_byte)[0] <= line <= src.position(fn.node.end_byte)[0]:
            return fn
    return None


PARALLEL_MIN_FINDINGS = 4


def verify_tree_findings(findings: list[Finding], rules_by_code: dict, index, errors: list[FileError],
                         sources: dict[str, bytes] | None = None, jobs: int = 1) -> None:
    """Fill each finding's verdict, evidence and trace.

    With ``jobs`` > 1 the findings are shared out to worker processes, grouped by
    the file whose function is simulated so each file is parsed once.
    """
    todo = [f for f in findings if _plan(f, rules_by_code) is not None]
    if job_count(jobs) == 1 or len(todo) < PARALLEL_MIN_FINDINGS:
        errors.extend(_verify(todo, rules_by_code, sources))
        return
    groups: dict[str, list[int]] = {}
    for i, f in enumerate(todo):
        groups.setdefault(_simulated_path(f), []).append(i)
    batches = [[todo[i] for i in idx] for idx in groups.values()]
    done_batches = parallel_map(_verify_batch, batches, jobs=jobs, initializer=_init, initargs=(rules_by_code, sources))
    for idx, (done, errs) in zip(groups.values(), done_batches):
        for i, (verdict, evidence, trace) in zip(idx, done):
            todo[i].verdict, todo[i].evidence, todo[i].trace = verdict, evidence, trace
        errors.extend(errs)


_worker: dict = {}


def _init(rules_by_code, sources) -> None:
    die_with_parent()
    _worker["rules"], _worker["sources"] = rules_by_code, sources


def _verify_batch(batch: list[Finding]):
    errs = _verify(batch, _worker["rules"], _worker["sources"])
    return [(f.verdict, f.evidence, f.trace) for f in batch], errs


def _plan(f: Finding, rules_by_code: dict):
    rule = rules_by_code.get(f.code)
    plan = f.data.get("sim")
    if rule is None or plan is None or type(rule).oracle is Rule.oracle:
        return None
    return plan


def _simulated_path(f: Finding) -> str:
    return f.data["sim"].simulated_path


def _verify(findings: list[Finding], rules_by_code: dict, sources: dict[str, bytes] | None) -> list[FileError]:
    from folint.plugins import model_registry
    from folint.sim.oracle import Simulation
    from folint.sim.verify import judge_finding
    from folint.source import SourceFile

    errors: list[FileError] = []
    parsed: dict[str, SourceFile | None] = {}

    def load(path: str):
        if path not in parsed:
            raw = (sources or {}).get(path)
            if raw is None:
                raw = tree_bytes(path)
            parsed[path] = SourceFile(path, raw) if raw is not None else None
        return parsed[path]

    for f in findings:
        rule, plan = rules_by_code[f.code], f.data["sim"]
        callee_src = load(plan.definition.path)
        caller = plan.caller
        if caller is not None:
            src = load(caller.path)
            fn = _function_at(src, caller.function, caller.line) if src is not None else None
        else:
            src = callee_src
            fn = _function_at(callee_src, plan.callee, plan.definition.line) if callee_src else None
        if fn is None or callee_src is None:
            f.verdict, f.evidence = Verdict.INCONCLUSIVE, "simulation: the function could not be read again"
            continue
        extra = [callee_src] if callee_src is not src else []
        judge_finding(rule, f, Simulation(src, fn, extra_sources=extra, registry=model_registry()), errors, f.path)
    return errors
