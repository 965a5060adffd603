"""Find the files to check: walk folders, follow links safely, apply excludes.

A folder walk takes ``*.c`` and ``*.h``; a file named on the command line is
taken whatever its name.  Each file is visited once even when links lead to
it twice; a link back into its own ancestry is a loop and is reported.  A
symbolic link found in a walk is followed only when it stays inside the
folders being scanned: one leading out of them (to ``/etc``, to another tree)
is not read, and one line says how many were left alone.  A link named on the
command line is the user's choice and is followed.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from folint.finding import FileError

SOURCE_SUFFIXES = (".c", ".h")
SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".pc", "__pycache__"})


@dataclass
class Discovery:
    files: list[str] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    outside: list[tuple[str, str]] = field(default_factory=list)  # (link, where it leads) not followed


def _inside(real: str, roots: list[str]) -> bool:
    return any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def _excluded(path: str, patterns: list[str], root: Path | None) -> bool:
    if not patterns:
        return False
    candidates = [path, os.path.basename(path)]
    if root is not None:
        try:
            candidates.append(os.path.relpath(os.path.abspath(path), root))
        except ValueError:
            pass
    return any(fnmatch.fnmatch(c, p) or fnmatch.fnmatch(c, p.rstrip("/") + "/*")
               for c in candidates for p in patterns)


def discover(targets: list[str], exclude: list[str] = (), root: Path | None = None) -> Discovery:
    out = Discovery()
    seen_files: set[tuple[int, int]] = set()
    seen_dirs: set[tuple[int, int]] = set()
    roots = [os.path.realpath(t) for t in targets if os.path.isdir(t)]
    for target in targets:
        try:
            st = os.stat(target)
        except OSError as e:
            out.errors.append(FileError(target, f"cannot read: {e.strerror or e}; check the path"))
            continue
        if os.path.isdir(target):
            for path, key in _walk(target, seen_dirs, out, exclude, root, roots):
                _add(path, key, out, seen_files)
        else:
            _add(target, (st.st_dev, st.st_ino), out, seen_files)
    if out.outside:
        n = len(out.outside)
        link, real = out.outside[0]
        out.errors.append(FileError(link if n == 1 else os.path.dirname(link) or ".",
                                    f"{n} symbolic link{'s' * (n != 1)} lead{'s' * (n == 1)} out of the scanned "
                                    f"folders, not followed (e.g. {link} -> {real}); name a target on the "
                                    f"command line to check it"))
    return out


def _add(path: str, key: tuple[int, int], out: Discovery, seen: set) -> None:
    if key not in seen:
        seen.add(key)
        out.files.append(path)


def _walk(top: str, seen_dirs: set, out: Discovery, exclude: list[str],
          root: Path | None, roots: list[str]) -> Iterator[tuple[str, tuple[int, int]]]:
    """(path, (device, inode)) of each source file below ``top``.  A plain file's inode
    comes with the folder listing and its device is its folder's: no stat call."""
    # Iterative depth-first walk; `ancestry` holds the (dev, ino) of the folders
    # on the current path so a link into one of them is recognised as a loop.
    st = os.stat(top)
    errors = out.errors
    stack: list[tuple[str, tuple[tuple[int, int], ...]]] = [(top, ((st.st_dev, st.st_ino),))]
    seen_dirs.add((st.st_dev, st.st_ino))
    while stack:
        folder, ancestry = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            errors.append(FileError(folder, f"cannot list folder: {e.strerror or e}; skipped"))
            continue
        subdirs = []
        for entry in entries:
            path = os.path.join(folder, entry.name)
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if entry.name in SKIP_DIRS or _excluded(path, exclude, root):
                    continue
                if entry.is_symlink() and not _inside(real := os.path.realpath(path), roots):
                    out.outside.append((path, real))
                    continue
                try:
                    dst = os.stat(path)
                except OSError as e:
                    errors.append(FileError(path, f"cannot read: {e.strerror or e}; skipped"))
                    continue
                key = (dst.st_dev, dst.st_ino)
                if key in ancestry:
                    errors.append(FileError(path, "symbolic link loop (points back to a folder above it); skipped"))
                    continue
                if key in seen_dirs:
                    continue
                seen_dirs.add(key)
                subdirs.append((path, ancestry + (key,)))
            elif entry.name.endswith(SOURCE_SUFFIXES):
                if _excluded(path, exclude, root):
                    continue
                if entry.is_symlink():
                    try:
                        st = os.stat(path)
                    except OSError:
                        errors.append(FileError(path, "broken symbolic link; skipped"))
                        continue
                    if not _inside(real := os.path.realpath(path), roots):
                        out.outside.append((path, real))
                        continue
                    yield path, (st.st_dev, st.st_ino)
                else:
                    yield path, (ancestry[-1][0], entry.inode())
        stack.extend(reversed(subdirs))
