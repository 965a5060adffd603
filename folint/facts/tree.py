"""Which kernel tree a check is about: its root folder and its version.

A kernel tree's root is the folder holding ``MAINTAINERS``, ``Kbuild`` and a
``Makefile`` with a ``VERSION =`` line.  A check of a target inside a tree walks
up from the target to that folder; check-patch uses its ``--tree`` (or the git
work tree it stands in).
"""

from __future__ import annotations

import re
from pathlib import Path

from folint.reading import ReadError, read_regular

_VERSION = re.compile(rb"^VERSION\s*=\s*(\d+)\s*$", re.M)
_PATCHLEVEL = re.compile(rb"^PATCHLEVEL\s*=\s*(\d+)\s*$", re.M)
_MAKEFILE_HEAD = 4096  # VERSION and PATCHLEVEL are on the first lines
_MAKEFILE_LIMIT = 1 << 20  # a kernel's top Makefile is about 70 KB


def _makefile_head(folder: Path) -> bytes | None:
    """The Makefile's first bytes, read as every tree file is (folint.reading: a regular
    file only, so a FIFO or a device named Makefile cannot hang the run), or None."""
    try:
        return read_regular(str(folder / "Makefile"), _MAKEFILE_LIMIT)[:_MAKEFILE_HEAD]
    except ReadError:
        return None


def is_tree_root(folder: Path) -> bool:
    if not ((folder / "MAINTAINERS").is_file() and (folder / "Kbuild").is_file()):
        return False
    head = _makefile_head(folder)
    return head is not None and _VERSION.search(head) is not None


def find_tree_root(start: str | Path) -> Path | None:
    """The kernel tree holding ``start`` (a file or a folder), or None."""
    try:
        p = Path(start).resolve()
    except (OSError, RuntimeError):
        return None
    if not p.is_dir():
        p = p.parent
    for folder in (p, *p.parents):
        if is_tree_root(folder):
            return folder
    return None


def root_for_targets(targets: list[str]) -> Path | None:
    """The tree of the first target that is inside one.  Targets in two different trees
    are a ConfigError: one run reads one tree's API facts and callers, and a 6.1 file
    judged by 6.12's (filemap_lock_folio() returning an error pointer) gets false findings."""
    from folint.config import ConfigError

    root, first = None, None
    for t in targets:
        if root is not None and _inside(t, root):
            continue  # the common case: no walk up for each further target of the same tree
        other = find_tree_root(t)
        if other is None or other == root:
            continue
        if root is not None:
            raise ConfigError(f"{first} and {t} are in two kernel trees ({root} and {other}): a run reads one "
                              f"tree's API facts and callers; check each tree in its own run")
        root, first = other, t
    return root


def _inside(target: str, root: Path) -> bool:
    try:
        return Path(target).resolve().is_relative_to(root)
    except (OSError, RuntimeError):
        return False


def tree_version(root: Path) -> str | None:
    """``VERSION.PATCHLEVEL`` from the tree's Makefile ("6.12"), or None."""
    head = _makefile_head(root)
    if head is None:
        return None
    v, p = _VERSION.search(head), _PATCHLEVEL.search(head)
    if v is None:
        return None
    return f"{int(v.group(1))}.{int(p.group(1))}" if p else str(int(v.group(1)))
