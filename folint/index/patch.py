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
from folint.index.summary import names_in, summarise
from folint.index.tree import TreeIndex


def summaries_of(files: dict[str, bytes | None], errors: list[FileError]) -> dict[str, dict | None]:
    """path -> summary (None: deleted or unreadable; {}: nothing to summarise)."""
    from folint.source import SourceFile

    out: dict[str, dict | None] = {}
    for path, raw in files.items():
        if raw is None or not wants_summary(ByteScan(raw)):
            out[path] = None if raw is None else {}
            continue
        try:
            out[path] = summarise(SourceFile(path, raw))
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


def introduced_tree_findings(tree: str, images: dict[str, tuple[bytes | None, bytes | None]], rules, *,
                             config=None, simulate: bool = False, cache: bool = True, cache_dir: str | None = None,
                             jobs: int = 0) -> tuple[list[Finding], list[FileError]]:
    """The tree findings a change introduces, for check-patch and the hook.

    ``images``: path relative to ``tree`` -> (pre-image, post-image) bytes (None:
    the file does not exist on that side).  Only the summaries that mention a
    function the changed files define or call are loaded from the (warm) cache.
    Returns the post-image findings whose ``Finding.key`` the pre-image did not
    have, with paths spelled ``os.path.join(tree, rel)``.
    """
    from folint.index.build import BuildStats, build_index

    errors: list[FileError] = []
    pre = {os.path.join(tree, rel): old for rel, (old, _new) in images.items()}
    post = {os.path.join(tree, rel): new for rel, (_old, new) in images.items()}
    pre_s, post_s = summaries_of(pre, errors), summaries_of(post, errors)
    names = set().union(*(names_in(s) for s in (*pre_s.values(), *post_s.values()) if s))
    stats = BuildStats()
    index = build_index([tree], config, jobs=jobs, cache=cache, cache_dir=cache_dir, stats=stats, names=names)
    before, e1 = tree_findings_for_files(index, pre, rules, summaries=pre_s)
    after, e2 = tree_findings_for_files(index, post, rules, simulate=simulate, summaries=post_s)
    had = Counter(f.key for f in before)
    out = []
    for f in after:
        if had[f.key] > 0:
            had[f.key] -= 1
        else:
            out.append(f)
    return out, stats.errors + errors + e1 + e2
