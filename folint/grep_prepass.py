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

A second search, of the files listed only (``read_pattern``, one ``grep -E``), keeps
from the workers what they would read for nothing: ~9.3k files of 6.12 hold ``page``,
but the loop rules want only those that could hold a loop (the loop question asked as
grep can ask it, ``folint.prefilter.grep_question``) and the two-stage tree index
summarises only those with ``folio`` while checking.  The others get the result the
worker would give them, a deferred one (``folint.index.collect.DEFERRED``, for stage 2
to search by name) when they hold ``page``: on 6.12, 4.05k files are read, not 9.35k.
"""

from __future__ import annotations

import os
import stat

from folint.checker import OVERSIZE_SCAN, FileResult
from folint.guard import Budget
from folint.index.collect import DEFERRED
from folint.index.summary import NEEDLES as SUMMARY_NEEDLES
from folint.index.tree_search import ere_escape, grep_tree, minimal_needles
from folint.prefilter import LOOP_PATTERNS, covering_needles, grep_question
from folint.results import key_of

OFF_ENV = "FOLINT_NO_GREP"
MIN_FILES = 16  # fewer files are read by Python: a grep process would cost more than it saves


def needles_for(rules, summaries: bool) -> set[str] | None:
    """grep's fixed strings: the prefilter's covering needles, the summary needles when
    the tree index summarises files, and NUL; None when some rule may want any file."""
    covering = covering_needles(rules, also=SUMMARY_NEEDLES if summaries else ())
    if covering is None:
        return None
    needles = set(covering)
    if not _plain(needles):
        return None
    return minimal_needles({n.decode("ascii") for n in needles} | {"\0"})


def _plain(needles) -> bool:
    """grep -f reads one pattern a line; an empty one matches everything anyway."""
    return not any(b"\n" in n or not n.isascii() for n in needles) and b"" not in needles


def read_pattern(rules, summarised: tuple[bytes, ...], narrower: bool) -> str | None:
    """One GNU grep -E pattern that every file the workers must read answers: a file rule
    may want it (``folint.prefilter.grep_question``: the loop question asked as grep asks
    it, not ``page``), it holds one of ``summarised`` (the tree index summarises it while
    checking) or a NUL byte; None when that is the files the needles list (``narrower``
    off: ``summarised`` is all the summary needles, and no loop question)."""
    question = grep_question([r for r in rules if r.scope == "file"])
    if question is None:
        return None
    needles, loop = question
    if not loop and not narrower:
        return None  # the file rules' needles, as the first search asked
    needles = set(needles) | set(summarised)
    if not _plain(needles):
        return None
    alts = [ere_escape(n) for n in sorted(minimal_needles({n.decode("ascii") for n in needles} | {"\0"}))]
    return "|".join(alts + (list(LOOP_PATTERNS) if loop else []))


def split(files: list[str], targets: list[str], rules, config, *, summaries: bool,
          jobs: int, deferred: tuple[bytes, ...] = ()) -> tuple[list[FileResult], list[str]]:
    """(results of the files grep found no needle in, files still to check).

    ``deferred``: the tree index is two-stage (``folint.index.two_stage``) and summarises
    in stage 1 only files holding one of these; a file no file rule wants, without them
    and without a NUL byte is then not read either: holding a summary needle, its result
    is the deferred one the worker would give it (``DEFERRED``, no content hash: stage 2
    searches it by name, and the results cache keeps it deferred), else the empty one."""
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
    # the files grep listed that no worker needs to read: a second search, of those only
    summarised = (deferred or SUMMARY_NEEDLES) if summaries else ()
    pattern = read_pattern(rules, summarised, narrower=bool(summaries and deferred))
    asked = [p for p in listed if p not in oversize] if pattern is not None else []
    read = grep_tree("", set(), jobs=jobs, paths=asked, pattern=pattern, strict=True) if asked else None
    if read is not None:
        rest = sorted(set(asked) - set(read))
        left = [n.decode("ascii") for n in SUMMARY_NEEDLES if n not in summarised] if summaries else []
        holding = grep_tree("", set(left), jobs=jobs, paths=rest, word=False, strict=True) if rest and left else []
        if holding is not None:
            holding = set(holding)
            free += [FileResult(path, stat_key=keys[path], summary_key=DEFERRED if path in holding else None)
                     for path in rest]
            hits -= set(rest)
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
