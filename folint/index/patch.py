"""Tree rules for in-memory files: what check-patch calls.

``introduced_tree_findings(tree, images, rules)`` is the one call check-patch
and the hook need: the tree findings a change introduces, from a warm index.

``tree_findings_for_files(index, files, rules)`` is the step under it: it
summarises ``files`` (path -> bytes, e.g. the pre- or post-images of a patch;
None for a deleted file), lays them over ``index`` and runs the tree rules.
It returns the findings at a definition in one of the files, plus (FOL003)
each call in them that passes a folio's page to a flagged function.  Paths
must be spelled as the index spells them (``build_index([tree])`` gives
``os.path.join(tree, rel)``).
"""

from __future__ import annotations

import os
from collections import Counter

from folint.finding import FileError, Finding
from folint.index.collect import wants_summary
from folint.prefilter import ByteScan
from folint.index.phase import run_tree_rules
from folint.index.summary import summarise
from folint.index.tree import TreeIndex


def summaries_of(files: dict[str, bytes | None], errors: list[FileError], summarise_file=None
                 ) -> dict[str, dict | None]:
    """path -> summary (None: deleted or unreadable; {}: nothing to summarise).
    ``summarise_file(path, raw)``: one file's summary (default ``summarise(SourceFile(path,
    raw))``; check-patch's series summarises from its parses, function by function)."""
    from folint.source import SourceFile

    out: dict[str, dict | None] = {}
    for path, raw in files.items():
        if raw is None or not wants_summary(ByteScan(raw)):
            out[path] = None if raw is None else {}
            continue
        try:
            out[path] = summarise_file(path, raw) if summarise_file is not None else summarise(SourceFile(path, raw))
        except Exception as e:  # one bad file must not end the check
            errors.append(FileError(path, f"tree index: {type(e).__name__}: {e}; file left out"))
            out[path] = None
    return out


def tree_findings_for_files(index: TreeIndex, files: dict[str, bytes | None], rules, *, simulate: bool = False,
                            summaries: dict[str, dict | None] | None = None) -> tuple[list[Finding], list[FileError]]:
    errors: list[FileError] = []
    changed = summaries if summaries is not None else summaries_of(files, errors)
    view = index.overlay(changed)
    sources = {p: raw for p, raw in files.items() if raw is not None}
    found = run_tree_rules([r for r in rules if r.scope == "tree"], view, errors, simulate=simulate,
                           focus=set(files), sources=sources)
    return [f for f in found if f.path in files], errors


def asked_about(summaries, lines: set[int] | None = None, raw: bytes | None = None, *,
                subpages: bool = False) -> set[str]:
    """The functions a change's tree findings can be about: those its files define
    with a page parameter, and those they hand a folio's first page to (any page of
    it with FOL003's ``subpages``: without it a caller passing ``folio_page(folio, i)``
    counts against flagging the callee and never gets a finding of its own, so its
    callee need not be searched for).  With ``lines`` (the changed lines of ``raw``,
    whose summary is the only one given), only the definitions and calls on those
    lines: check-patch reports nothing elsewhere."""
    from folint.index.records import FolioPage, summary_calls, summary_defs

    out: set[str] = set()
    for s in summaries:
        if not s:
            continue
        for d in summary_defs(s):
            if lines is None or any(d.line <= ln <= raw.count(b"\n", 0, d.body[1]) + 1 for ln in lines):
                out.add(d.name)
        for c in summary_calls(s):
            if any(isinstance(a, FolioPage) and (subpages or a.first_page) for a in c.args) \
                    and (lines is None or c.line in lines):
                out.add(c.callee)
    return out


def targeted_index(tree: str, names: set[str], config=None, *, cache: bool = True, cache_dir: str | None = None,
                   jobs: int = 0, errors: list[FileError]) -> TreeIndex:
    """The index of ``tree`` for ``names`` only: the files that name them, summarised
    alone (from the cache by content hash when it has them).  The files are found by
    the cache's answer to the same question plus a search of the files changed since
    (``folint.index.tree_search``), else by the full index when the cache holds one for
    this tree, else by one search of the tree (GNU grep; git grep in a git work tree;
    else the walk and byte search of ``folint.index.targeted``)."""
    from folint.config import Config
    from folint.index.build import BuildStats, build_index
    from folint.index.cache import open_cache
    from folint.index.targeted import files_naming, summarise_files
    from folint.index.tree import covers_whole_tree

    from folint.index.tree_search import record_key

    config = config or Config()
    db = open_cache(cache, cache_dir, [tree], errors)
    asked_before = db is not None and db.searched_record(record_key(tree, names)) is not None
    if db is not None and db.tree_indexed(tree) and not asked_before:
        db.close()
        stats = BuildStats()
        index = build_index([tree], config, jobs=jobs, cache=cache, cache_dir=cache_dir, stats=stats, names=names,
                            whole_tree=True)
        errors.extend(stats.errors)
        return index
    paths = None
    if not os.path.isdir(os.path.join(tree, ".git")):  # a git work tree: git grep, below
        from folint.index.tree_search import files_naming_in_tree

        paths = files_naming_in_tree(tree, names, db, jobs=jobs, exclude=config.exclude, root=config.root)
    if paths is None:
        files = None
        if not os.path.isdir(os.path.join(tree, ".git")):
            from folint.discovery import discover

            found = discover([tree], config.exclude, config.root)
            errors.extend(found.errors)
            files = found.files
        paths = files_naming(names, files, tree=tree, jobs=jobs, max_size=config.max_file_size)
    summaries = summarise_files(paths, db, config.max_file_size, errors)
    if db is not None:
        db.close()
    index = TreeIndex(summaries, complete=covers_whole_tree([tree], config.root), files=paths)
    index.callers_seen = True  # every file of the tree naming them was read
    return index


def introduced_tree_findings(tree: str, images: dict[str, tuple[bytes | None, bytes | None]], rules, *,
                             config=None, simulate: bool = False, cache: bool = True, cache_dir: str | None = None,
                             jobs: int = 0, lines: dict[str, set[int]] | None = None, summaries=summaries_of
                             ) -> tuple[list[Finding], list[FileError]]:
    """The tree findings a change introduces, for check-patch and the hook.

    ``images``: path relative to ``tree`` -> (pre-image, post-image) bytes (None:
    the file does not exist on that side).  Only the files that name a function
    the changed files define or hand a folio's page to are summarised (or loaded
    from a warm cache): see ``targeted_index``.  ``lines``: path relative to
    ``tree`` -> the post-image lines the change adds or removes next to; then only
    the functions defined or called there are asked about.  ``summaries``: what
    summarises the images (``summaries_of``; a series keeps those of the last texts).
    Returns the post-image findings whose ``Finding.key`` the pre-image did not
    have, with paths spelled ``os.path.join(tree, rel)``.
    """
    errors: list[FileError] = []
    pre = {os.path.join(tree, rel): old for rel, (old, _new) in images.items()}
    post = {os.path.join(tree, rel): new for rel, (_old, new) in images.items()}
    pre_s, post_s = summaries(pre, errors), summaries(post, errors)
    subpages = any(r.code == "FOL003" and r.options.get("subpages") for r in rules)
    if lines is None:
        names = asked_about((*pre_s.values(), *post_s.values()), subpages=subpages)
    else:
        names = set().union(*(asked_about([post_s.get(os.path.join(tree, rel))], changed, images[rel][1] or b"",
                                          subpages=subpages)
                              for rel, changed in lines.items() if rel in images))
    if not names:
        return [], errors
    index = targeted_index(tree, names, config, cache=cache, cache_dir=cache_dir, jobs=jobs, errors=errors)
    before, e1 = tree_findings_for_files(index, pre, rules, summaries=pre_s)
    after, e2 = tree_findings_for_files(index, post, rules, simulate=simulate, summaries=post_s)
    had = Counter(f.key for f in before)
    out = []
    for f in after:
        if had[f.key] > 0:
            had[f.key] -= 1
        else:
            out.append(f)
    return out, errors + e1 + e2
