"""A GNU grep pass before the per-file pipeline: files holding no needle are not read.

Most of a kernel tree holds none of the rules' needles; Python reading all of it and
scanning each file for ~40 needles costs ~20 s CPU on linux 6.12, GNU grep asks the
same question in ~2 s.  So, for the files found in folder targets, one
``grep -lasFZ -f NEEDLES`` (``folint.index.tree_search.grep_tree``, shared out over
the jobs) lists the files holding one of the needles that could make the prefilter
pass a file (``folint.prefilter.covering_needles``), the tree index's summary needles,
or a NUL byte (such a file gets an error line from the reader).  Only those listed are
read by Python; the others get the empty result a needle-free file gets today, under
the stat taken before grep ran (so the results cache stores them as before).

Exact, never a file dropped that the Python path would report on or count otherwise:
only regular, readable ``.c``/``.h`` files within the memory budget are left to grep,
and those over the size limit only as far as ``checker.needle_free_oversize`` would read
them (one grep lists holds no needle: skipped silently, as it would; 35 generated
headers of 6.12, ~3 s of CPU for Python's scan); the others keep today's path, as do
files named on the command line.  A grep that is not GNU, fails, or
could not read a file: every file keeps today's path.  ``FOLINT_NO_GREP=1`` turns the
pass off.
"""

from __future__ import annotations

import os
import stat

from folint.checker import OVERSIZE_SCAN, FileResult
from folint.guard import Budget
from folint.index.summary import NEEDLES as SUMMARY_NEEDLES
from folint.index.tree_search import grep_tree
from folint.prefilter import covering_needles
from folint.results import key_of

OFF_ENV = "FOLINT_NO_GREP"
MIN_FILES = 16  # fewer files are read by Python: a grep process would cost more than it saves


def needles_for(rules, summaries: bool) -> set[str] | None:
    """grep's fixed strings: the prefilter's covering needles, the summary needles when
    the tree index summarises files, and NUL; None when some rule may want any file."""
    covering = covering_needles(rules)
    if covering is None:
        return None
    needles = set(covering) | (set(SUMMARY_NEEDLES) if summaries else set())
    if any(b"\n" in n or not n.isascii() for n in needles) or b"" in needles:
        return None  # grep -f reads one pattern a line; an empty one matches everything anyway
    return {n.decode("ascii") for n in needles} | {"\0"}


def split(files: list[str], targets: list[str], rules, config, *, summaries: bool,
          jobs: int) -> tuple[list[FileResult], list[str]]:
    """(results of the files grep found no needle in, files still to check)."""
    if os.environ.get(OFF_ENV) or len(files) < MIN_FILES or not any(os.path.isdir(t) for t in targets):
        return [], files
    names = needles_for(rules, summaries)
    if names is None:
        return [], files
    named = {t for t in targets if not os.path.isdir(t)} | {os.path.normpath(t) for t in targets
                                                            if not os.path.isdir(t)}
    budget = Budget.of(config)
    # an oversize file none of the needles is in is skipped silently (checker.needle_free_oversize)
    oversize_ok = all(r.uses_page_loops or r.needles for r in rules)
    keys: dict[str, tuple] = {}
    oversize: set[str] = set()
    for path in files:
        found = _searchable(path, config.max_file_size, budget, oversize_ok) if path not in named else None
        if found is not None:
            keys[path], big = found
            if big:
                oversize.add(path)
    if not keys:
        return [], files
    listed = grep_tree("", names, jobs=jobs, paths=sorted(keys), word=False, strict=True)
    if listed is None:
        return [], files
    hits = set(listed)
    free = [FileResult(path, stat_key=key, oversize_skipped=path in oversize) for path, key in keys.items()
            if path not in hits]
    return free, [path for path in files if path not in keys or path in hits]  # in the order found


def _searchable(path: str, max_size: int, budget: Budget, oversize: bool) -> tuple[tuple, bool] | None:
    """(the stat key (``folint.results.stat_key``), over the size limit?) of a file grep
    can stand in for, or None: not a readable regular ``.c``/``.h`` file, over the memory
    budget, or over the size limit when ``oversize`` is off or by more than the needle
    test of an oversize file reads (``checker.OVERSIZE_SCAN``: such a file has an error line)."""
    base = os.path.basename(path)
    if not base.endswith((".c", ".h")) or base.startswith("."):
        return None  # grep's --include globs and hidden names: left to the Python path
    try:
        st = os.stat(path)
    except OSError:
        return None
    big = st.st_size > max_size
    if not stat.S_ISREG(st.st_mode) or (big and (not oversize or st.st_size > max_size * OVERSIZE_SCAN)) \
            or (not big and budget.memory_error(st.st_size) is not None) or not os.access(path, os.R_OK):
        return None
    return key_of(st), big
