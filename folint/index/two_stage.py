"""The two-stage tree index of a run (``folint TREE``, ``folint DIR``): summarise few files.

A FOL003 finding needs a caller that hands a function a folio's page, or a body that
turns its page straight back into a folio; either way a file that mentions ``folio``.
So a run does not summarise every file with ``page`` in it:

1. *Stage 1*, in the workers while the file rules run: files that mention ``folio``
   (or whose summary the cache holds) are summarised; the others are *deferred*.
   The candidates are the functions some stage-1 caller hands a folio's page to and
   the functions whose body only turns its page back into a folio; those the stage-1
   summaries already settle (a plain-page caller, see ``unflaggable``) are dropped.
2. *Stage 2*, here: the other callers, prototypes, callback uses and exports of only
   those candidates.  They can only be in files naming a candidate as a whole word, so
   one byte search over the deferred files (``folint.index.targeted.files_naming``)
   finds them, and only those are parsed.

For the candidates' names the index is then the full index's (``tests/test_two_stage.py``);
a name that is no candidate cannot be flagged, whatever the index holds about it.

When the targets lie inside a kernel tree (its top found by ``folint.facts.tree``), stage
2 also searches the rest of that tree, so a function in ``mm/`` is judged on all its
callers (issue 10 part 3); the run reports only in its targets.  That search is the run's
one search of the tree (``folint.index.tree_search.SharedSearch``), for these names and the
functions whose callers FOL009 asks about (``folint.caller_context``) at once; a name the
summaries of the deferred files settle (``unflaggable`` asked again with them) is left out
of it.  A file that was searched and names no candidate is remembered by its (path,
size, mtime, inode) per candidate set, so a second run searches only what changed.
When the cache holds every file's summary, nothing is deferred and this is the full
index.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable

from folint.finding import FileError
from folint.index.cache import CacheError
from folint.index.records import FolioPage, summary_calls, summary_defs


def candidates(summaries: Iterable[dict]) -> set[str]:
    """The functions a tree rule can flag given these summaries (see the module docstring)."""
    out: set[str] = set()
    for s in summaries:
        if not s:
            continue
        for c in summary_calls(s):
            if any(isinstance(a, FolioPage) for a in c.args):
                out.add(c.callee)
        for d in summary_defs(s):
            if d.uses and any(u.roundtrip for u in d.uses.values()):
                out.add(d.name)
    return out


def hiding(summaries: dict[str, dict], names: set[str], max_size: int) -> list[str]:
    """The paths whose summary was made of a parse with bodies blanked (``"blanked"``,
    ``folint.blanking``) and one of whose blanked bodies names one of ``names`` as a
    whole word: a call or a callback use of a candidate the summary does not show, so
    the file is summarised whole again.  A file that cannot be read again is listed
    too (summarising it reports why)."""
    from folint.words import word_mentions
    from folint.reading import ReadError, read_regular

    out = []
    wanted = sorted(names)
    for path, s in summaries.items():
        spans = s.get("blanked") if s else None
        if not spans or not wanted:
            continue
        try:
            raw = read_regular(path, max_size)
        except (ReadError, OSError):
            out.append(path)
            continue
        if next(word_mentions(raw, wanted, [tuple(span) for span in spans]), None) is not None:
            out.append(path)
    return sorted(out)


def unflaggable(summaries: dict[str, dict], names: set[str], rules) -> set[str]:
    """The names among ``names`` FOL003 cannot flag whatever the files not summarised yet
    hold, so stage 2 need not look for them (most candidates: ``page_address()``,
    ``put_page()`` ... have plain-page callers in the files stage 1 read).

    FOL003 with its default judgement (``threshold`` 1.0, ``roundtrip-always`` off) flags
    a page parameter only when every caller that reaches the definition passes a folio's
    page there (``&folio->page``, ``folio_page(folio, 0)``; any page of the folio with
    ``subpages``), no macro calls it and its name is not used as a value.  A file-local
    (``static``, in a ``.c``) definition is reached from its own file only, which for a
    definition that can be flagged is a stage-1 file (it mentions a folio), so stage 2
    adds nothing to it; every other definition is reached from each file that defines no
    file-local one of that name.  So a name is settled by the (complete) summaries at
    hand when, in files defining no file-local one, a macro calls it, it is used as a
    value, or no parameter position gets a folio's page from every call there.  Other
    options, or tree rules besides FOL003: nothing is settled."""
    if [r.code for r in rules] != ["FOL003"]:
        return set()
    opts = rules[0].options
    try:
        threshold = float(opts.get("threshold", 1.0))
    except (TypeError, ValueError):
        threshold = 1.0  # as the rule reads it
    if threshold < 1.0 or opts.get("roundtrip-always"):
        return set()
    subpages = bool(opts.get("subpages"))
    allowed: dict[str, set[int]] = {}  # name -> positions every reaching call so far passes a folio's page at
    for path, s in summaries.items():
        if not s:
            continue
        local = set() if path.endswith(".h") else {d["name"] for d in s.get("defs", ()) if d.get("static")}
        for c in summary_calls(s):
            if c.callee in names and c.callee not in local:
                ok = {i for i, a in enumerate(c.args) if isinstance(a, FolioPage) and (subpages or a.first_page)}
                allowed[c.callee] = allowed[c.callee] & ok if c.callee in allowed else ok
        for name in [m[0] for m in s.get("macro_calls", ())] + list(s.get("refs", ())):
            if name in names and name not in local:
                allowed[name] = set()
    return {n for n, ok in allowed.items() if not ok}


def _stat_key(path: str) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ino


def _clean_key(names: set[str]) -> str:
    h = hashlib.blake2b(digest_size=12)
    for n in sorted(names):
        h.update(n.encode() + b"\0")
    return "stage2-clean-" + h.hexdigest()


def outside_files(top: str, names: set[str], run_files: list[str], config, cache, jobs: int,
                  shared=None) -> list[str] | None:
    """The files of the kernel tree at ``top`` that the run did not check and that name
    one of ``names`` (``folint.index.tree_search``: GNU grep over the tree, or only what
    changed since the same question was last answered; ``shared``: a
    ``tree_search.SharedSearch`` of the tree that may hold these names), spelled relative
    to the current folder when they are under it.  None when that search is not possible."""
    from folint.index.tree_search import files_naming_in_tree

    named = files_naming_in_tree(top, names, cache, jobs=jobs, exclude=config.exclude, root=config.root,
                                 shared=shared)
    if named is None:
        return None
    mine = {os.path.realpath(p) for p in run_files}
    out = []
    for p in named:
        if os.path.realpath(p) in mine:
            continue
        rel = os.path.relpath(p)
        out.append(p if rel.startswith("..") else rel)
    return out


def all_outside_files(top: str, run_files: list[str], config) -> list[str]:
    """Every file of the kernel tree at ``top`` that the run did not check (the walk,
    for when GNU grep is not there)."""
    from folint.discovery import discover

    mine = {os.path.realpath(p) for p in run_files}
    out = []
    for p in discover([top], config.exclude, config.root).files:
        if os.path.realpath(p) not in mine:
            rel = os.path.relpath(p)
            out.append(p if rel.startswith("..") else rel)
    return out


class SecondStage:
    """Stage 2 of one run: search, summarise and remember."""

    def __init__(self, cache, max_size: int, jobs: int, errors: list[FileError]):
        self.cache = cache
        self.max_size = max_size
        self.jobs = jobs
        self.errors = errors
        self.stats = {"candidates": 0, "searched": 0, "named": 0, "parsed": 0}

    def run(self, names: set[str], deferred: list[str], outside: list[str], outside_named: list[str] = ()
            ) -> dict[str, dict]:
        """path -> summary of each file among ``deferred`` and ``outside`` that names
        one of ``names``, and of each of ``outside_named`` (already known to name one),
        from the cache when it holds it."""
        from folint.index.summary import names_in
        from folint.index.targeted import files_naming

        self.stats["candidates"] = len(names)
        if not names:
            return {}
        key = _clean_key(names)
        clean = self.cache.searched_clean(key) if self.cache is not None else set()
        known = self.cache.known_hashes() if self.cache is not None else {}
        cwd = os.getcwd()
        out: dict[str, dict] = {}
        todo, stat_of = [], {}
        for path in (*deferred, *outside):
            full = os.path.join(cwd, path)
            skey = _stat_key(path)
            if skey is not None and (full, *skey) in clean:
                continue
            stat_of[path] = skey
            seen = known.get(full)
            if seen is not None and skey is not None and seen[:3] == skey and self.cache is not None:
                cached = self.cache.get(seen[3])
                if cached is not None:  # summarised on an earlier run
                    if names & names_in(cached):
                        out[path] = cached
                    continue
            todo.append(path)
        self.stats["searched"] = len(todo)
        named = files_naming(names, todo, jobs=self.jobs, max_size=self.max_size)
        self.stats["named"] = len(named) + len(outside_named)
        known_named = []
        for path in outside_named:
            skey = stat_of[path] = _stat_key(path)
            seen = known.get(os.path.join(cwd, path))
            cached = self.cache.get(seen[3]) if seen is not None and skey is not None and seen[:3] == skey else None
            if cached is not None:
                out[path] = cached
            else:
                known_named.append(path)
        # the biggest files first, one a task: the last to finish is a small one
        out.update(self._summarise(sorted(named + known_named, key=lambda p: (-(stat_of.get(p) or (0,))[0], p))))
        if self.cache is not None:
            hit = set(named)
            clean |= {(os.path.join(cwd, p), *stat_of[p]) for p in todo if p not in hit and stat_of.get(p)}
            try:
                self.cache.put_searched_clean(key, clean)
            except CacheError as e:  # the cache is an optimisation: say so, go on
                self.errors.append(FileError(str(self.cache.path), str(e)))
        return out

    def whole_again(self, paths: list[str]) -> dict[str, dict]:
        """Whole summaries of ``paths`` (stage-1 files whose summary was made of a blanked
        parse: ``hiding``); not counted as stage 2's."""
        parsed = self.stats["parsed"]
        try:
            return self._summarise(paths)
        finally:
            self.stats["parsed"] = parsed

    def _summarise(self, paths: list[str]) -> dict[str, dict]:
        """Summaries of ``paths``, in worker processes; new ones (and their stat keys) cached."""
        from folint.index.build import PARALLEL_MIN_FILES, _init, _summarise_path
        from folint.pool import parallel_map

        folder = str(self.cache.folder) if self.cache is not None else None
        out, new, hashes = {}, {}, []
        cwd = os.getcwd()
        for path, skey, digest, summary, err, parsed in parallel_map(
                _summarise_path, paths, jobs=self.jobs, initializer=_init, initargs=(folder, self.max_size),
                ordered=False, chunksize=1 if len(paths) < 512 else 8, serial_below=PARALLEL_MIN_FILES // 4):
            self.stats["parsed"] += parsed
            if err is not None:
                self.errors.append(err)
                continue
            hashes.append((os.path.join(cwd, path), *skey, digest))
            if summary is not None:
                out[path] = summary
                if parsed:
                    new[digest] = summary
        if self.cache is not None:
            try:
                self.cache.put_many(new)
                self.cache.put_hashes(hashes)
            except CacheError as e:
                self.errors.append(FileError(str(self.cache.path), str(e)))
        return {p: out[p] for p in sorted(out)}  # in path order, whichever finished first
