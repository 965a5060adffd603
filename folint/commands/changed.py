"""``--fix``/``--diff`` on files that changed while folint ran (issue 14, part 13).

The findings of a run describe the files as the workers read them; an editor (or
``git checkout``) may rewrite one before the fixes are made.  Its findings then
point at the wrong lines and its fixes at the wrong bytes.  Before any fix is
made, every file with findings that was modified since the run began (its
mtime, with a margin for the file system's coarse clock) is checked again as it
is now.  When its findings differ, the file is *changed*: its fixes are not
made, the report shows its findings as the file is now (right line numbers), and
a note names it.  (Between this check and the write, ``fixes.apply_plan``
compares the bytes again.)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from folint.checker import check_path
from folint.enums import Verdict
from folint.finding import Finding

# File-system timestamps come from a coarse kernel clock (a few ms behind
# time.time_ns()); a file written just after the run began may look older.
MTIME_MARGIN_NS = 2_000_000_000


@dataclass
class Rechecked:
    changed: list[str]  # paths whose findings moved: no fixes for them
    rechecked: int  # files checked again (modified since the run began)


def _key(f: Finding) -> tuple:
    return f.code, f.line, f.column, f.end_line, f.end_column, f.message


def recheck_changed(result, since_ns: int, make_rules: Callable[[], list], *, max_size: int, simulate: bool,
                    show_refuted: bool) -> Rechecked:
    """Check again the files with findings modified since ``since_ns``; replace the
    file-rule findings of those that changed in ``result`` by the new ones.
    ``make_rules()``: the rules as the run built them (with the tree's API facts),
    called only when a file is checked again."""
    out = Rechecked([], 0)
    file_rules: list | None = None
    for path in sorted({f.path for f in result.findings}):
        try:
            if os.stat(path).st_mtime_ns < since_ns - MTIME_MARGIN_NS:
                continue
        except OSError:
            continue  # gone: fixes.apply_plan says it cannot read it
        if file_rules is None:
            file_rules = [r for r in make_rules() if r.scope == "file"]
            file_codes = {r.code for r in file_rules}
        out.rechecked += 1
        now = check_path(path, file_rules, max_size, simulate=simulate)
        mine = [f for f in result.findings if f.path == path and f.code in file_codes]
        new = [f for f in now.findings if show_refuted or f.verdict != Verdict.REFUTED]
        if sorted(map(_key, mine)) == sorted(map(_key, new)):
            continue
        out.changed.append(path)
        gone = {id(f) for f in mine}
        result.findings = sorted([f for f in result.findings if id(f) not in gone] + new, key=Finding.sort_key)
        known = {(e.path, e.message) for e in result.errors}
        result.errors.extend(e for e in now.errors if (e.path, e.message) not in known)
    return out
