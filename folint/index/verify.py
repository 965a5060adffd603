"""Verdicts for tree findings: run a caller into the callee on a model folio.

A tree finding's rule puts ``finding.data["sim"]`` = ``{"callee": name,
"def": [path, line], "caller": [path, line, col, function] or None, ...}``.
Here the caller's file is parsed, and ``rule.oracle(finding, sim)`` gets a
``folint.sim.Simulation`` of the caller function with the definition's file
as an extra source, so a scenario with ``inline={callee}`` steps into the
very definition the finding is about.  Without a caller the simulation is
of the definition itself.  Never raises: an oracle that fails leaves its
finding ``inconclusive`` and adds one error line.
"""

from __future__ import annotations

from folint.finding import FileError, Finding
from folint.rule import Rule


def _function_at(src, name: str, line: int):
    for fn in src.functions:
        if fn.name == name and src.position(fn.node.start_byte)[0] <= line <= src.position(fn.node.end_byte)[0]:
            return fn
    return None


def verify_tree_findings(findings: list[Finding], rules_by_code: dict, index, errors: list[FileError],
                         sources: dict[str, bytes] | None = None) -> None:
    from folint.sim.oracle import Simulation
    from folint.source import SourceFile

    parsed: dict[str, SourceFile | None] = {}

    def load(path: str):
        if path not in parsed:
            raw = (sources or {}).get(path)
            if raw is None:
                try:
                    with open(path, "rb") as fh:
                        raw = fh.read()
                except OSError:
                    raw = None
            parsed[path] = SourceFile(path, raw) if raw is not None else None
        return parsed[path]

    for f in findings:
        rule = rules_by_code.get(f.code)
        plan = f.data.get("sim")
        if rule is None or plan is None or type(rule).oracle is Rule.oracle:
            continue
        def_path, def_line = plan["def"]
        callee_src = load(def_path)
        caller = plan.get("caller")
        if caller is not None:
            src = load(caller[0])
            fn = _function_at(src, caller[3], caller[1]) if src is not None else None
        else:
            src, fn = callee_src, _function_at(callee_src, plan["callee"], def_line) if callee_src else None
        if fn is None or callee_src is None:
            f.verdict, f.evidence = "inconclusive", "simulation: the function could not be read again"
            continue
        extra = [callee_src] if callee_src is not src else []
        try:
            verdict = rule.oracle(f, Simulation(src, fn, extra_sources=extra))
        except RecursionError:
            f.verdict, f.evidence = "inconclusive", "simulation: code nested too deeply"
            continue
        except Exception as e:  # an oracle bug must not end the run
            f.verdict, f.evidence = "inconclusive", f"simulation failed: internal error {type(e).__name__}"
            errors.append(FileError(f.path, f"line {f.line}: {f.code} simulation: internal error "
                                            f"{type(e).__name__}: {e}; please report it with this file"))
            continue
        if verdict is not None:
            f.verdict, f.evidence, f.trace = verdict.verdict, verdict.evidence, list(verdict.trace)
