"""The name-targeted index: the summaries of only the files that name a few functions.

FOL003 asks about few functions (the ones a patch defines or hands a folio's page
to; in a whole-tree run the ones some caller hands a folio's page to).  Their
callers, prototypes, callback uses and exports can only be in files whose bytes
hold the name as a whole word, so instead of summarising every file of the tree,
one pass over the files finds those that name them (``git grep -lwF`` in a git
work tree, else a byte search in worker processes: ``folint.words``, one automaton for all the
names, the word boundary checked at each hit), and only those are parsed.  The index this
gives answers exactly as the full one for those names (``tests/test_two_stage.py``).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable

from folint.checker import read_source
from folint.pool import parallel_map
from folint.finding import FileError
from folint.index.cache import CacheError, SummaryCache, content_hash
from folint.index.collect import wants_summary
from folint.index.files import tree_bytes
from folint.index.tree_search import _gnu_grep, grep_tree
from folint.prefilter import ByteScan
from folint.words import names_word

PARALLEL_MIN_FILES = 256


_worker: dict = {}


def _init(names: list[bytes], max_size: int) -> None:
    _worker["names"], _worker["max_size"] = names, max_size


def _names_in_path(path: str) -> str | None:
    raw = tree_bytes(path, _worker["max_size"])
    return path if raw is not None and names_word(raw, _worker["names"]) else None


def _git_grep(tree: str, names: list[str]) -> list[str] | None:
    """Files of the git work tree ``tree`` naming one of ``names`` (None: not a git
    work tree, or git failed: the caller searches the bytes itself)."""
    if not os.path.isdir(os.path.join(tree, ".git")) and not os.path.isfile(os.path.join(tree, ".git")):
        return None
    argv = ["git", "-C", tree, "grep", "-l", "-w", "-F", "--untracked", "-z"]
    for n in names:
        argv += ["-e", n]
    argv += ["--", "*.c", "*.h"]
    try:
        done = subprocess.run(argv, capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode not in (0, 1):
        return None
    return [os.path.join(tree, p.decode("utf-8", "surrogateescape")) for p in done.stdout.split(b"\0") if p]


def _grep_files(names: list[str], files: list[str], jobs: int) -> list[str] | None:
    """The files among ``files`` naming one of ``names`` as a whole word, by GNU grep
    (``folint.index.tree_search.grep_tree``: ``-lwF``, one pass over the bytes for all
    names at once, in C), in the order of ``files``.  None when grep is not there or
    fails: the caller searches the bytes itself."""
    if _gnu_grep() is None:
        return None
    if not files:
        return []
    found = grep_tree("", set(names), jobs=jobs, paths=files)
    if found is None:
        return None
    found = set(found)
    return [f for f in files if f in found]


def files_naming(names: Iterable[str], files: list[str] | None = None, *, tree: str | None = None,
                 jobs: int = 0, max_size: int = 1 << 30) -> list[str]:
    """The files among ``files`` (or, with ``tree`` a git work tree and ``files``
    None, of that tree) that name one of ``names`` as a whole word, in order."""
    names = sorted(set(names))
    if not names:
        return []
    if files is None:
        got = _git_grep(tree, names) if tree else None
        if got is not None:
            return sorted(got)
        from folint.discovery import discover

        files = discover([tree]).files
    jobs = jobs or os.cpu_count() or 1
    got = _grep_files(names, files, jobs)
    if got is not None:
        return got
    keys = [n.encode() for n in names]
    got = parallel_map(_names_in_path, files, jobs=jobs, initializer=_init, initargs=(keys, max_size),
                       chunksize=max(1, min(512, len(files) // (jobs * 8))), serial_below=PARALLEL_MIN_FILES)
    return [p for p in got if p is not None]


def names_with_outside_callers(names: set[str], summaries: dict[str, dict | None]) -> set[str]:
    """The names among ``names`` whose callers in the rest of a kernel tree can change
    what a run over some of its folders reports: those with a definition taking a page
    in the run's own files (``summaries``: path -> summary) that is not ``static`` in a
    ``.c`` file.  A folder run reports only at definitions in its files, and a static
    function of a ``.c`` file is reached only from that file, so the other names (a
    function defined elsewhere that the run hands a folio's page, a static helper) need
    no search of the rest of the tree (on 6.12 ``mm/``: 128 candidates, 39 such)."""
    out: set[str] = set()
    for path, s in summaries.items():
        if not s:
            continue
        header = path.endswith(".h")
        for d in s.get("defs", ()):
            if d["name"] in names and (header or not d.get("static")):
                out.add(d["name"])
    return out


def summarise_files(paths: list[str], cache: SummaryCache | None, max_size: int,
                    errors: list[FileError]) -> dict[str, dict]:
    """path -> summary of each of ``paths`` (cached by content hash; new ones stored)."""
    from folint.index.summary import summarise
    from folint.source import SourceFile

    out: dict[str, dict] = {}
    new: dict[str, dict] = {}
    for path in paths:
        raw, err = read_source(path, max_size)
        if err is not None:
            errors.append(err)
            continue
        if not wants_summary(ByteScan(raw)):
            continue
        digest = content_hash(raw)
        summary = cache.get(digest) if cache is not None else None
        if summary is None:
            try:
                summary = summarise(SourceFile(path, raw))
            except Exception as e:  # one bad file must not end the build
                errors.append(FileError(path, f"tree index: {type(e).__name__}: {e}; file left out"))
                continue
            new[digest] = summary
        out[path] = summary
    if cache is not None and new:
        try:
            cache.put_many(new)
        except CacheError as e:
            errors.append(FileError(str(cache.path), str(e)))
    return out

