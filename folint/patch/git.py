"""The few git commands patch mode and the hook need, run read-only."""

from __future__ import annotations

import os
import subprocess

# Fixed output whatever the user's configuration: plain a/ b/ prefixes, no
# colour, no external diff drivers or text conversion, real file names.
_DIFF_OPTIONS = ["--no-color", "--no-ext-diff", "--no-textconv", "--src-prefix=a/", "--dst-prefix=b/", "-M"]
_CONFIG = ["-c", "core.quotepath=off", "-c", "diff.noprefix=false", "-c", "diff.mnemonicPrefix=false"]


class GitError(Exception):
    """A git command failed; the message says which and why."""


def run(repo: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    try:
        proc = subprocess.run(["git", *_CONFIG, "-C", repo, *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed (or not on PATH)") from None
    if check and proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"`git {' '.join(args)}` failed: {msg[-1] if msg else f'exit {proc.returncode}'}")
    return proc


def toplevel(start: str = ".") -> str | None:
    """The work tree containing ``start``, or None outside any."""
    try:
        proc = run(start, "rev-parse", "--show-toplevel", check=False)
    except GitError:
        return None
    out = proc.stdout.decode("utf-8", "surrogateescape").strip()
    return out if proc.returncode == 0 and out else None


def rev_exists(repo: str, rev: str) -> bool:
    return run(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False).returncode == 0


def read_blob(repo: str, rev: str, path: str) -> bytes | None:
    """A file's content at ``rev``; None when the file is not there."""
    proc = run(repo, "cat-file", "blob", f"{rev}:{path}", check=False)
    if proc.returncode != 0:
        return None
    return proc.stdout


def staged_diff(repo: str) -> bytes:
    """``git diff --cached`` against HEAD (against the empty tree before the first commit)."""
    return run(repo, "diff", "--cached", *_DIFF_OPTIONS).stdout


def format_patch(repo: str, revs: list[str]) -> bytes:
    """``git format-patch --stdout`` for ``revs``: each commit as a mail, oldest first."""
    return run(repo, "format-patch", "--stdout", "--no-signature", *_DIFF_OPTIONS, *revs).stdout


def range_args(spec: str) -> list[str]:
    """``A..B`` as given; a single commit ``C`` means just that commit (like checkpatch -g)."""
    return [spec] if ".." in spec else ["-1", spec]


def hooks_dir(repo: str) -> str:
    """The folder git runs hooks from, honouring ``core.hooksPath``."""
    out = run(repo, "rev-parse", "--git-path", "hooks").stdout.decode("utf-8", "surrogateescape").strip()
    return out if os.path.isabs(out) else os.path.join(repo, out)
