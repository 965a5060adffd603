"""Check one file: read it safely, prefilter, blank the functions no rule wants, parse,
run the rules, apply suppressions.

This runs inside worker processes; it never raises.  Every problem becomes a
``FileError`` line and the rest of the file (and the run) goes on.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from folint.finding import FileError, Finding
from folint.guard import Failed, run_check
from folint.blanking import blank_for_parse
from folint.kernel_c.bodies import Body
from folint.parsing import parse_kernel_c
from folint.prefilter import ByteScan, wanted_rules
from folint.reading import ReadError, nul_as_space, read_regular
from folint.rule import Rule
from folint.source import SourceFile
from folint.suppressions import apply_suppressions
from folint.vocab import PAGE_LOOP_NEEDLES

BINARY_SNIFF = 8192
OVERSIZE_SCAN = 8  # a file over the size limit is read, for the needle test only, up to 8x the limit


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    parsed: bool = False
    summary: dict | None = None  # cross-file facts for tree-wide rules
    summary_key: str | None = None  # content hash the summary belongs to (folint.index)
    summary_cached: bool = False  # the summary came from the cache
    summary_partial: bool = False  # the summary was made of a parse with bodies blanked (folint.blanking)
    oversize_skipped: bool = False  # over the size limit but holds none of the needles: skipped silently
    stat_key: tuple | None = None  # the file's stat before it was read (folint.results)


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


def needle_free_oversize(path: str, rules: list[Rule], max_size: int,
                         also: Callable[[ByteScan], bool] | None = None, also_needles: tuple[bytes, ...] = ()) -> bool:
    """Whether ``path`` is over ``max_size`` but none of ``rules`` could report in it:
    the prefilter's ``wanted_rules`` wants none of them for its bytes (nor does
    ``also``, e.g. the tree index's own test, which looks for ``also_needles``).  Such a
    file (a generated register header) is skipped silently; a big file that could hold
    findings keeps its error line.

    The bytes are read (through ``folint.reading``, never more than ``OVERSIZE_SCAN``
    times the limit) for this test only and dropped after it.  Most such files hold no
    needle at all, so a few short tokens that every needle contains are looked for
    first (``_cover``: 17 passes over the bytes, not 57); only a file holding one of
    them pays for the prefilter itself.  A file that cannot be read, is bigger still,
    or holds NUL bytes (a NUL can split a needle) is not known to be free: False."""
    if any(not (r.uses_page_loops or r.needles) for r in rules):
        return False  # a rule without a needle may report in any file
    try:
        if os.stat(path).st_size <= max_size:
            return False
        raw = read_regular(path, max_size * OVERSIZE_SCAN)
    except OSError:
        return False
    if b"\0" in raw:
        return False
    if not any(token in raw for token in _cover(_needles(rules) | frozenset(also_needles))):
        return True
    scan = ByteScan(raw)
    return not wanted_rules(scan, rules) and not (also is not None and also(scan))


def _needles(rules: list[Rule]) -> frozenset[bytes]:
    """Every needle a rule's prefilter gate can ask for (a page-loop rule: the loop
    model's needles, one of which its gate needs)."""
    out = set(PAGE_LOOP_NEEDLES) if any(r.uses_page_loops for r in rules) else set()
    for r in rules:
        out.update(r.needles)
    return frozenset(out)


@functools.lru_cache(maxsize=8)
def _cover(needles: frozenset[bytes], width: int = 4) -> tuple[bytes, ...]:
    """A few tokens such that every needle contains one (greedy set cover over the
    needles' substrings of ``width`` bytes or more; a shorter needle is its own token):
    bytes holding none of the tokens hold none of the needles."""
    left, cover = set(needles), []
    while left:
        counts: dict[bytes, int] = {}
        for n in left:
            subs = {n} if len(n) <= width else {n[i:i + width] for i in range(len(n) - width + 1)}
            for sub in subs:
                counts[sub] = counts.get(sub, 0) + 1
        token = max(sorted(counts), key=counts.__getitem__)
        cover.append(token)
        left = {n for n in left if token not in n}
    return tuple(cover)


def skip_needle_free_oversize(fr: FileResult, rules: list[Rule], max_size: int,
                              also: Callable[[ByteScan], bool] | None = None,
                              also_needles: tuple[bytes, ...] = ()) -> FileResult:
    """``fr``, or a silent skip when its one error is the size limit's on a file
    none of ``rules`` could report in (``needle_free_oversize``)."""
    if len(fr.errors) == 1 and not fr.parsed and not fr.findings \
            and needle_free_oversize(fr.path, rules, max_size, also, also_needles):
        return FileResult(fr.path, oversize_skipped=True)
    return fr


def check_source(path: str, raw: bytes, rules: list[Rule], *, prefilter: bool = True,
                 simulate: bool = False, summarise=None, scan: ByteScan | None = None,
                 src: SourceFile | None = None, focus=None, summary_keep: tuple[bytes, ...] = ()) -> FileResult:
    """``scan``: the file's ByteScan when the caller already made one (needles it
    already searched for are not searched again).  ``src``: ``raw`` already parsed
    (a series keeps the parse of the text the previous patch left).  ``focus``: the
    names of the only functions to check (``SourceFile.focused``); the rules see the
    whole file but report in those functions only, what the whole check reports
    there.  The simulator and ``summarise`` always get the whole file.

    Without ``src`` or ``focus``, the bodies no wanted rule needs are blanked before
    parsing (``folint.blanking``); a file with findings to verify is then parsed whole
    again for the simulator.  With ``summarise``, only when ``summary_keep`` says which
    bodies the summary needs (those holding one of its bytes): the summary then holds
    the blanked spans under ``"blanked"`` and ``FileResult.summary_partial`` is set."""
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
    blanked = None
    if src is None and focus is None and (summarise is None or summary_keep):
        try:
            blanked = blank_for_parse(raw, active, summary_keep if summarise is not None else ())
        except Exception:  # a shortcut only: on any trouble the file is parsed whole
            blanked = None
    whole = None  # the parse of the whole text, once one is made
    if blanked is not None:
        spans = blanked.skip()
        src = SourceFile(path, raw, parsed=parse_kernel_c(blanked.text, spans, blanked.premask))
        src.blanked = tuple(spans)
        if not parsed_as_blanked(src, blanked.bodies):
            src = whole = SourceFile(path, raw)  # the parser did not take a body as one: the whole file
            blanked = None
    elif src is None or src.raw != raw:  # (a NUL read as a space: parsed again)
        src = whole = SourceFile(path, raw)
    else:
        whole = src
    result.parsed = True
    checked = src if focus is None else src.focused(focus)
    findings: list[Finding] = []
    for rule in active:
        if rule.scope != "file":
            continue
        found = run_check(_findings, rule, checked, path=path, errors=result.errors, what=rule.code,
                          too_deep="code nested too deeply to analyse; rest of the file checked")
        if not isinstance(found, Failed):
            findings.extend(found)
    findings = apply_suppressions(src, findings)
    if simulate and findings:
        from folint.sim.verify import verify_findings

        if whole is None:  # the simulator sees the whole file, never a blanked one
            whole = SourceFile(path, raw)
        verify_findings(whole, findings, {r.code: r for r in active}, result.errors)
    if summarise is not None:
        summary = run_check(summarise, src, path=path, errors=result.errors, what="tree index",
                            too_deep="code nested too deeply; file left out of the index",
                            consequence="file left out of the index; ")
        result.summary = None if isinstance(summary, Failed) else summary
        if result.summary is not None and blanked is not None:
            result.summary["blanked"] = [list(span) for span in src.blanked]
            result.summary_partial = True
    result.findings = findings
    return result


def parsed_as_blanked(src: SourceFile, bodies: list[Body]) -> bool:
    """Each blanked body is the body of a function definition in ``src``'s parse (else
    the parser read the file otherwise than ``find_bodies`` did: it is parsed whole)."""
    root = src.root
    for body in bodies:
        node = root.descendant_for_byte_range(body.open, body.close + 1)
        while node is not None and (node.start_byte, node.end_byte) == (body.open, body.close + 1) \
                and node.type != "compound_statement":
            node = node.parent
        if node is None or node.type != "compound_statement" or node.start_byte != body.open \
                or node.end_byte != body.close + 1:
            return False
        parent = node.parent
        if parent is None or parent.type != "function_definition" or parent.child_by_field_name("body") != node:
            return False
    return True


def _findings(rule: Rule, src: SourceFile) -> list[Finding]:
    return list(rule.check(src))  # a generator's errors surface here, inside the guard


def check_path(path: str, rules: list[Rule], max_size: int, **kw) -> FileResult:
    raw, err = read_source(path, max_size)
    if err is not None:
        return skip_needle_free_oversize(FileResult(path, errors=[err]), rules, max_size)
    return check_source(path, raw, rules, **kw)
