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
    return resolve(repo, rev) is not None


def resolve(repo: str, rev: str) -> str | None:
    """The commit id ``rev`` names, or None.  ``rev`` is only ever a revision to git
    (``--end-of-options``), never an option, whatever it starts with."""
    proc = run(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}", check=False)
    out = proc.stdout.decode("ascii", "replace").strip()
    return out if proc.returncode == 0 and out else None


def _commit(repo: str, rev: str, spec: str) -> str:
    if rev.startswith("-"):
        raise GitError(f"--git {spec}: '{rev}' starts with '-', which git would read as an option; "
                       f"give a revision range such as origin/master..HEAD")
    sha = resolve(repo, rev)
    if sha is None:
        raise GitError(f"--git {spec}: no commit named '{rev}' in {repo} (does the branch or tag exist?); "
                       f"see `git log --oneline`")
    return sha


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
    """``git format-patch --stdout`` for ``revs`` (from ``range_args``): each commit as a
    mail, oldest first.  Each range is resolved to commit ids first (``resolve_range``),
    so nothing the user typed reaches git as an option."""
    options = [r for r in revs if r == "-1"]
    resolved = [resolve_range(repo, r) for r in revs if r != "-1"]
    return run(repo, "format-patch", "--stdout", "--no-signature", *_DIFF_OPTIONS, *options, "--end-of-options",
               *resolved).stdout


def range_args(spec: str) -> list[str]:
    """``A..B`` as given; a single commit ``C`` means just that commit (like checkpatch -g)."""
    return [spec] if ".." in spec else ["-1", spec]


def resolve_range(repo: str, spec: str) -> str:
    """``A..B``, ``A...B`` or ``C`` with each side resolved to a commit id (an empty side
    is HEAD, as git reads it); GitError naming a side that starts with ``-`` or does not exist."""
    if spec.startswith("-"):
        raise GitError(f"--git {spec}: a range may not start with '-' (git would read it as an option); "
                       f"give a revision range such as origin/master..HEAD")
    for sep in ("...", ".."):
        if sep in spec:
            a, _, b = spec.partition(sep)
            return f"{_commit(repo, a or 'HEAD', spec)}{sep}{_commit(repo, b or 'HEAD', spec)}"
    return _commit(repo, spec, spec)


def hooks_dir(repo: str) -> str:
    """The folder git runs hooks from, honouring ``core.hooksPath``."""
    out = run(repo, "rev-parse", "--git-path", "hooks").stdout.decode("utf-8", "surrogateescape").strip()
    return out if os.path.isabs(out) else os.path.join(repo, out)
