"""File names in patches: unquote them, strip the a/ b/ prefixes, refuse unsafe ones.

A patch can never make folint read outside the tree: absolute paths, ``..``
components and paths that resolve outside the tree (through a symbolic link,
say) are refused before anything is opened.
"""

from __future__ import annotations

import os
import re

DEV_NULL = "/dev/null"
_GIT_PREFIX = re.compile(r"^[abciow12]/")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


class UnsafePath(Exception):
    """A path a patch names that folint refuses to follow."""


def unquote(name: str) -> str:
    """Undo git's C-style quoting (``"a/caf\\303\\251.c"``) of unusual file names."""
    if len(name) < 2 or not (name.startswith('"') and name.endswith('"')):
        return name
    out = bytearray()
    s = name[1:-1]
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            nxt = s[i + 1]
            if nxt in "01234567" and re.match(r"[0-7]{3}", s[i + 1:i + 4]):
                out.append(int(s[i + 1:i + 4], 8))
                i += 4
                continue
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
        out += c.encode("utf-8", "surrogateescape")
        i += 1
    return out.decode("utf-8", "surrogateescape")


def strip_prefixes(old: str | None, new: str | None, git: bool) -> tuple[str | None, str | None]:
    """Drop the first component the way ``git apply``/``patch -p1`` do.

    Git diffs use a/ and b/ (or the mnemonic i/ w/ c/ o/).  Plain diffs of two
    trees (``linux.orig/mm/x.c`` vs ``linux/mm/x.c``) lose their differing top
    folder; a diff whose two sides share the top folder (``mm/x.c.orig`` vs
    ``mm/x.c``) keeps it (-p0).
    """
    if git:
        return (_GIT_PREFIX.sub("", old, count=1) if old else old,
                _GIT_PREFIX.sub("", new, count=1) if new else new)
    sides = [p for p in (old, new) if p]
    tops = {p.split("/", 1)[0] for p in sides}
    strip = all("/" in p for p in sides) and (len(tops) > 1 or len(sides) == 1 and sides[0].startswith(("a/", "b/")))
    if not strip:
        return old, new
    return (old.split("/", 1)[1] if old else old, new.split("/", 1)[1] if new else new)


def check_relative(path: str) -> str:
    """The path, normalised (``./`` removed), or UnsafePath saying why it is refused."""
    if not path:
        raise UnsafePath("empty file name")
    if "\0" in path:
        raise UnsafePath("file name contains a NUL byte")
    if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", path):
        raise UnsafePath(f"absolute path '{path}'")
    parts = [p for p in re.split(r"[\\/]", path) if p not in ("", ".")]
    if ".." in parts:
        raise UnsafePath(f"path '{path}' climbs out with '..'")
    if not parts:
        raise UnsafePath(f"path '{path}' names no file")
    return "/".join(parts)


def resolve_inside(root: str, rel: str) -> str:
    """The real path of ``rel`` under ``root``; UnsafePath if it leads outside ``root``
    (through a symbolic link anywhere on the way)."""
    rel = check_relative(rel)
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(real_root, rel))
    if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
        raise UnsafePath(f"path '{rel}' leads outside the tree (through a symbolic link) to {real}")
    return real
