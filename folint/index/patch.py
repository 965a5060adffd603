"""Tree rules for in-memory files: what check-patch calls.

``tree_findings_for_files(index, files, rules)`` summarises ``files`` (path ->
bytes, e.g. the pre- or post-images of a patch; None for a deleted file), lays
them over ``index`` and runs the tree rules.  It returns the findings at a
definition in one of the files, plus (FOL003) each call in them that passes a
folio's page to a flagged function.  Run it on the pre-images and on the
post-images and keep the findings whose ``Finding.key`` is new.  Paths must be
spelled as the index spells them (``build_index([tree])`` gives
``os.path.join(tree, rel)``).
"""

from __future__ import annotations

from folint.finding import FileError, Finding
from folint.index.collect import wants_summary
from folint.index.phase import run_tree_rules
from folint.index.summary import summarise
from folint.index.tree import TreeIndex


def tree_findings_for_files(index: TreeIndex, files: dict[str, bytes | None], rules, *,
                            simulate: bool = False) -> tuple[list[Finding], list[FileError]]:
    from folint.source import SourceFile

    errors: list[FileError] = []
    changed: dict[str, dict | None] = {}
    for path, raw in files.items():
        if raw is None or not wants_summary(raw):
            changed[path] = None if raw is None else {}
            continue
        try:
            changed[path] = summarise(SourceFile(path, raw))
        except Exception as e:  # one bad file must not end the check
            errors.append(FileError(path, f"tree index: {type(e).__name__}: {e}; file left out"))
            changed[path] = None
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
    the file does not exist on that side).  The index of ``tree`` comes from the
    cache when warm.  Returns the post-image findings whose ``Finding.key`` the
    pre-image did not have, with paths spelled ``os.path.join(tree, rel)``.
    """
    import os
    from collections import Counter

    from folint.index.build import BuildStats, build_index

    stats = BuildStats()
    index = build_index([tree], config, jobs=jobs, cache=cache, cache_dir=cache_dir, stats=stats)
    pre = {os.path.join(tree, rel): old for rel, (old, _new) in images.items()}
    post = {os.path.join(tree, rel): new for rel, (_old, new) in images.items()}
    before, errors = tree_findings_for_files(index, pre, rules)
    after, errors2 = tree_findings_for_files(index, post, rules, simulate=simulate)
    had = Counter(f.key for f in before)
    out = []
    for f in after:
        if had[f.key] > 0:
            had[f.key] -= 1
        else:
            out.append(f)
    return out, stats.errors + errors + errors2
