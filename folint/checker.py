"""Check one file: read it safely, prefilter, parse, run the rules, apply suppressions.

This runs inside worker processes; it never raises.  Every problem becomes a
``FileError`` line and the rest of the file (and the run) goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from folint.finding import FileError, Finding
from folint.guard import Failed, run_check
from folint.prefilter import ByteScan, wanted_rules
from folint.reading import ReadError, nul_as_space, read_regular
from folint.rule import Rule
from folint.source import SourceFile
from folint.suppressions import apply_suppressions

BINARY_SNIFF = 8192


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    parsed: bool = False
    summary: dict | None = None  # cross-file facts for tree-wide rules
    summary_key: str | None = None  # content hash the summary belongs to (folint.index)
    summary_cached: bool = False  # the summary came from the cache


def read_source(path: str, max_size: int) -> tuple[bytes | None, FileError | None]:
    """The file's bytes, or why they cannot be checked (``folint.reading``: regular
    files only, never blocking, never more than ``max_size``)."""
    try:
        raw = read_regular(path, max_size)
    except ReadError as e:
        return None, FileError(path, str(e))
    if b"\0" in raw[:BINARY_SNIFF]:
        return None, FileError(path, "skipped: binary file (NUL bytes), not C source")
    return raw, None


def check_source(path: str, raw: bytes, rules: list[Rule], *, prefilter: bool = True,
                 simulate: bool = False, summarise=None, scan: ByteScan | None = None) -> FileResult:
    """``scan``: the file's ByteScan when the caller already made one (needles it
    already searched for are not searched again)."""
    result = FileResult(path)
    raw, nul = nul_as_space(raw)  # before the prefilter: a NUL can split a needle
    if nul is not None:
        result.errors.append(FileError(path, nul))
        scan = None  # the caller's scan saw the NUL bytes
    active = wanted_rules(scan or ByteScan(raw), rules) if prefilter else list(rules)
    if not any(r.scope == "file" for r in active) and summarise is None:
        return result  # tree rules read the index, not the parse
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        result.errors.append(FileError(path, f"line {line}: not valid UTF-8 (byte 0x{raw[e.start]:02x}); "
                                             f"checked anyway, messages may show replacement characters"))
    src = SourceFile(path, raw)
    result.parsed = True
    findings: list[Finding] = []
    for rule in active:
        if rule.scope != "file":
            continue
        found = run_check(_findings, rule, src, path=path, errors=result.errors, what=rule.code,
                          too_deep="code nested too deeply to analyse; rest of the file checked")
        if not isinstance(found, Failed):
            findings.extend(found)
    findings = apply_suppressions(src, findings)
    if simulate and findings:
        from folint.sim.verify import verify_findings

        verify_findings(src, findings, {r.code: r for r in active}, result.errors)
    if summarise is not None:
        summary = run_check(summarise, src, path=path, errors=result.errors, what="tree index",
                            too_deep="code nested too deeply; file left out of the index",
                            consequence="file left out of the index; ")
        result.summary = None if isinstance(summary, Failed) else summary
    result.findings = findings
    return result


def _findings(rule: Rule, src: SourceFile) -> list[Finding]:
    return list(rule.check(src))  # a generator's errors surface here, inside the guard


def check_path(path: str, rules: list[Rule], max_size: int, **kw) -> FileResult:
    raw, err = read_source(path, max_size)
    if err is not None:
        return FileResult(path, errors=[err])
    return check_source(path, raw, rules, **kw)
