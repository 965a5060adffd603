"""Where a patch's pre-image comes from: a work tree on disk, a git revision, or
an in-memory overlay of a series' earlier patches.  Read-only, all of them.

``read(path)`` returns the file's bytes, or None when the file does not exist;
it raises UnsafePath for a path that would leave the tree and OSError when the
file exists but cannot be read.
"""

from __future__ import annotations

import os
from typing import Protocol

from folint.patch import git
from folint.patch.paths import check_relative, resolve_inside
from folint.reading import read_regular


class Tree(Protocol):
    name: str
    root: str

    def read(self, path: str) -> bytes | None: ...

    def check_path(self, path: str) -> None:
        """Raise UnsafePath when a file written at ``path`` would land outside the tree."""


class WorkTree:
    """Files in a folder on disk.  Paths are resolved (symbolic links followed)
    and refused when they lead outside the folder."""

    def __init__(self, root: str, limit: int = 64 << 20):
        self.root = root  # the folder on disk (the tree index of tree rules reads it)
        self.name = root
        self.limit = limit

    def check_path(self, path: str) -> None:
        resolve_inside(self.root, path)

    def read(self, path: str) -> bytes | None:
        real = resolve_inside(self.root, path)
        if not os.path.lexists(real):
            return None
        if os.path.isdir(real):
            raise IsADirectoryError(f"{path} is a folder in the tree")
        return read_regular(real, self.limit)


class GitTree:
    """Files as committed at a revision (``rev=None``: the empty tree)."""

    def __init__(self, repo: str, rev: str | None):
        self.repo = repo
        self.root = repo  # the work tree: the closest folder on disk to the revision
        self.rev = rev
        self.name = f"{rev or 'the empty tree'} in {repo}"

    def check_path(self, path: str) -> None:
        check_relative(path)

    def read(self, path: str) -> bytes | None:
        path = check_relative(path)
        if self.rev is None:
            return None
        return git.read_blob(self.repo, self.rev, path)


class Overlay:
    """A tree with a series' earlier patches applied on top, in memory."""

    def __init__(self, base: Tree):
        self.base = base
        self.root = base.root
        self.name = base.name
        self.changed: dict[str, bytes | None] = {}

    def check_path(self, path: str) -> None:
        self.base.check_path(path)

    def read(self, path: str) -> bytes | None:
        path = check_relative(path)
        if path in self.changed:
            return self.changed[path]
        return self.base.read(path)

    def write(self, path: str, data: bytes | None) -> None:
        """Record the patched text (None: deleted) -- in memory only."""
        self.changed[check_relative(path)] = data
