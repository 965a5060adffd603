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

import hashlib
import os

from folint.finding import FileError, Finding
from folint.index.cache import content_hash
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
                         sources: dict[str, bytes] | None = None, jobs: int = 1, store=None) -> None:
    """Fill each finding's verdict, evidence and trace.

    With ``jobs`` > 1 the findings are shared out to worker processes, grouped by
    the file whose function is simulated so each file is parsed once.  ``store``: the
    results cache (``folint.results.ResultCache``): a finding judged before on the same
    bytes of the same files, by the same code and settings, takes its stored verdict
    (a warm run simulates no tree finding again); new judgements are stored.
    """
    todo = [f for f in findings if _plan(f, rules_by_code) is not None]
    keys: dict[int, str | None] = {}
    stored: dict[str, tuple] = {}
    if store is not None:
        keys = {id(f): verdict_key(f, store.fp, sources) for f in todo}
        stored = store.verdicts(sorted({k for k in keys.values() if k is not None}))
        for f in todo:
            hit = stored.get(keys[id(f)])
            if hit is not None:
                f.verdict, f.evidence, f.trace = hit[0], hit[1], list(hit[2])
    judged = [f for f in todo if keys.get(id(f)) not in stored]
    failed = _judge_all(judged, rules_by_code, errors, sources, jobs)
    if store is not None:
        # the files read again: one changed while it was simulated gets no stored verdict
        keep = dict(stored)
        for f in judged:
            k = keys[id(f)]
            if k is not None and id(f) not in failed and verdict_key(f, store.fp, sources) == k:
                keep[k] = (f.verdict, f.evidence, list(f.trace))
        store.store_verdicts(keep)


def verdict_key(f: Finding, salt: str, sources: dict[str, bytes] | None) -> str | None:
    """What a tree finding's verdict follows from, hashed: ``salt`` (the results cache's
    fingerprint: folint's code, the rules, their settings, the tree's facts), the finding
    as its rule made it (place, message, ``data["sim"]``, the plan the oracle reads) and
    the bytes of the files simulated (the caller's and the definition's).  None when one
    of those files cannot be read."""
    plan = f.data["sim"]
    h = hashlib.blake2b(digest_size=16)
    h.update(salt.encode() + b"\0")
    h.update(repr((f.code, f.path, f.line, f.column, f.end_line, f.end_column, f.function, f.message,
                   f.statement, plan)).encode("utf-8", "surrogateescape"))
    paths = {plan.definition.path} | ({plan.caller.path} if plan.caller is not None else set())
    for path in sorted(paths):
        raw = (sources or {}).get(path)
        if raw is None:
            raw = tree_bytes(path)
        if raw is None:
            return None
        h.update(b"\0" + path.encode("utf-8", "surrogateescape") + b"\0" + content_hash(raw).encode())
    return h.hexdigest()


def _judge_all(todo: list[Finding], rules_by_code: dict, errors: list[FileError],
               sources: dict[str, bytes] | None, jobs: int) -> set[int]:
    """Judge ``todo``; the ids of the findings whose oracle failed (an error line each)."""
    if job_count(jobs) == 1 or len(todo) < PARALLEL_MIN_FINDINGS:
        errs, failed = _verify(todo, rules_by_code, sources)
        errors.extend(errs)
        return {id(todo[i]) for i in failed}
    groups: dict[str, list[int]] = {}
    for i, f in enumerate(todo):
        groups.setdefault(_simulated_path(f), []).append(i)
    # the biggest batches first (most findings, then the largest file), so that the last
    # one a worker takes is small: one file's batch can cost as much as all the others
    order = sorted(groups.values(), key=lambda idx: (-len(idx), -_size(_simulated_path(todo[idx[0]]), sources)))
    batches = [[todo[i] for i in idx] for idx in order]
    done_batches = parallel_map(_verify_batch, batches, jobs=jobs, initializer=_init, initargs=(rules_by_code, sources))
    out: set[int] = set()
    for idx, (done, errs, failed) in zip(order, done_batches):
        for i, (verdict, evidence, trace) in zip(idx, done):
            todo[i].verdict, todo[i].evidence, todo[i].trace = verdict, evidence, trace
        out |= {id(todo[idx[k]]) for k in failed}
        errors.extend(errs)
    return out


def _size(path: str, sources: dict[str, bytes] | None) -> int:
    if sources and path in sources:
        return len(sources[path])
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


_worker: dict = {}


def _init(rules_by_code, sources) -> None:
    die_with_parent()
    _worker["rules"], _worker["sources"] = rules_by_code, sources


def _verify_batch(batch: list[Finding]):
    errs, failed = _verify(batch, _worker["rules"], _worker["sources"])
    return [(f.verdict, f.evidence, f.trace) for f in batch], errs, failed


def _plan(f: Finding, rules_by_code: dict):
    rule = rules_by_code.get(f.code)
    plan = f.data.get("sim")
    if rule is None or plan is None or type(rule).oracle is Rule.oracle:
        return None
    return plan


def _simulated_path(f: Finding) -> str:
    return f.data["sim"].simulated_path


def _verify(findings: list[Finding], rules_by_code: dict, sources: dict[str, bytes] | None
            ) -> tuple[list[FileError], list[int]]:
    """(error lines, the positions in ``findings`` of those whose oracle failed)"""
    from folint.plugins import model_registry
    from folint.sim.oracle import Simulation
    from folint.sim.verify import judge_finding
    from folint.source import SourceFile

    errors: list[FileError] = []
    failed: list[int] = []
    parsed: dict[str, SourceFile | None] = {}
    sims: dict[tuple, Simulation] = {}

    def load(path: str):
        if path not in parsed:
            raw = (sources or {}).get(path)
            if raw is None:
                raw = tree_bytes(path)
            parsed[path] = SourceFile(path, raw) if raw is not None else None
        return parsed[path]

    for k, f in enumerate(findings):
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
        # findings that simulate one function into one definition share the Simulation: its
        # lowered functions, constants and paths (a search under a scenario another one ran)
        key = (src.path, fn.node.start_byte, callee_src.path if extra else None)
        sim = sims.get(key)
        if sim is None:
            sim = sims[key] = Simulation(src, fn, extra_sources=extra, registry=model_registry())
        before = len(errors)
        judge_finding(rule, f, sim, errors, f.path)
        if len(errors) > before:
            failed.append(k)
    return errors, failed
