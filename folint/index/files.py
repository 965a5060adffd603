"""Reading tree files for the index: through ``folint.reading`` only.

Every file the index (or FOL003's fix) reads again after discovery goes through
``tree_bytes``: a regular file, at most ``limit`` bytes, never blocking, and,
when the tree's ``root`` is known, not a symbolic link to somewhere outside it.
A file that cannot be read that way is None (the caller leaves it out).
"""

from __future__ import annotations

import os

from folint.config import DEFAULT_MAX_FILE_SIZE
from folint.reading import ReadError, read_regular


def inside_root(path: str, root: str | None) -> bool:
    """Whether ``path`` (links resolved) lies in the folder ``root`` (None: no root known)."""
    if root is None:
        return True
    real, top = os.path.realpath(path), os.path.realpath(root)
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


def tree_bytes(path: str, limit: int = DEFAULT_MAX_FILE_SIZE, root: str | None = None) -> bytes | None:
    if os.path.islink(path) and not inside_root(path, root):
        return None
    try:
        return read_regular(path, limit)
    except (ReadError, OSError):
        return None
