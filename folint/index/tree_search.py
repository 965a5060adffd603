"""Which files of a whole tree name a few functions: for check-patch and the hook.

Cold, the tree is searched by GNU grep itself (``grep -rlwF``, or one ``-E``
alternation for many names: the walk and the search in C, no Python walk of 70,000 files first), shared out over ``jobs`` processes by
subfolder; discovery's excludes are applied to what it finds.  The answer is kept in
the cache with the time the search started, so the same question on an unchanged tree
(the second run of a hook) asks only ``find -newerct`` which files changed since (new
files, edits, renames all set the change time, which no tool can set back) and searches
those.  Without GNU grep and find, None: the caller walks and searches in Python.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import stat
import subprocess
import tempfile
import time

from folint.discovery import SKIP_DIRS, _excluded

SPLIT_MIN_FILES = 64  # a folder with more entries than this is shared out by its subfolders
# From this many names on, one ``-E`` alternation (``a|b|c``: GNU grep's DFA) instead of
# ``-F`` (one fixed string a line: its multi-string matcher), which costs about twice as
# much on C text for many names: 44 names over 6.12, 4.9 vs 2.6 s user.  Below it the
# two are close and either can win, by the names (``-E`` given one name a line is ``-F``).
ALTERNATION_MIN_NAMES = 12
# The same for fixed strings searched anywhere (``word=False``: the grep pre-pass): the
# 29 needles of all rules over 6.12, 2.9 s user as one alternation, 3.8 s with ``-F``.
FIXED_ALTERNATION_MIN_NAMES = 4
_IDENT = re.compile(r"[A-Za-z_]\w*\Z", re.ASCII)
_ERE_SPECIAL = re.compile(r"([.\[\]()*+?{}|^$\\])")


def ere_escape(text: str) -> str:
    """``text`` as a POSIX extended regular expression matching only itself (GNU grep -E)."""
    return _ERE_SPECIAL.sub(r"\\\1", text)


def minimal_needles(needles) -> set:
    """``needles`` without those holding another one: a text holds one of the result
    exactly when it holds one of ``needles`` (fewer strings: a faster grep)."""
    needles = set(needles)
    return {n for n in needles if not any(m != n and m in n for m in needles)}


def _walkable(e: os.DirEntry) -> bool:
    """An entry grep may be handed by name: a folder or a ``.c``/``.h`` regular file,
    never a symlink (grep follows a link named on its command line, out of the tree) nor a
    FIFO or device (grep would open and wait on it)."""
    try:
        return e.is_dir(follow_symlinks=False) or (e.name.endswith((".c", ".h")) and e.is_file(follow_symlinks=False))
    except OSError:
        return False


def _entries(tree: str, jobs: int) -> list[list[str]]:
    """The tree's top entries (big folders one level down), dealt out to ``jobs`` lists."""
    out: list[str] = []
    try:
        top = sorted(os.scandir(tree), key=lambda e: e.name)
    except OSError:
        return [[tree]]
    for e in top:
        if e.name in SKIP_DIRS:
            continue
        if e.is_dir(follow_symlinks=False) and jobs > 1:
            try:
                inner = sorted(os.scandir(e.path), key=lambda x: x.name)
            except OSError:
                inner = []
            if len(inner) > SPLIT_MIN_FILES:
                out.extend(x.path for x in inner if x.name not in SKIP_DIRS and _walkable(x))
                continue
        if _walkable(e):
            out.append(e.path)
    return [out[i::jobs] for i in range(jobs)] if jobs > 1 else [out]


@functools.lru_cache(maxsize=1)
def _gnu_grep() -> str | None:
    """GNU grep's path (its -Z means NUL-separated names; BSD grep's does not)."""
    import shutil

    grep = shutil.which("grep")
    if grep is None:
        return None
    try:
        done = subprocess.run([grep, "--version"], capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return grep if b"GNU" in done.stdout else None


def grep_tree(tree: str, names: set[str], *, jobs: int = 0, paths: list[str] | None = None,
              exclude=(), root=None, word: bool = True, strict: bool = False,
              pattern: str | None = None) -> list[str] | None:
    """The ``.c``/``.h`` files under ``tree`` (or among ``paths``) naming one of
    ``names`` as a whole word, spelled ``os.path.join(tree, rel)``, sorted; None when
    GNU grep is not there or failed.  ``word=False``: holding one of ``names`` anywhere,
    binary files searched as text (``-a``: a name may be a NUL byte); ``strict``: None
    as well when a file could not be read (the caller must not take it as searched).
    ``pattern``: instead of ``names``, one GNU extended regular expression (one line,
    matched within lines, ``-a``), searched as ``word=False`` searches."""
    if not names and pattern is None:
        return [] if _gnu_grep() is not None else None
    job = GrepJob(tree, names, jobs=jobs, paths=paths, word=word, pattern=pattern)
    return job.answer(exclude=exclude, root=root, strict=strict)


class GrepJob:
    """One ``grep_tree`` search, started when made: the greps (at most ``jobs`` at a
    time) run in the background, their output going to unnamed temporary files, while
    the caller does other work; ``answer()`` waits and gives what ``grep_tree`` gives."""

    def __init__(self, tree: str, names: set[str], *, jobs: int = 0, paths: list[str] | None = None,
                 word: bool = True, pattern: str | None = None):
        self.started = time.time()
        self._found: set[str] = set()
        self._failed = False      # grep is not there, could not run, or failed
        self._unreadable = False  # some file could not be read (grep's status 2)
        self._procs: list = []    # (process, its output file)
        self._chunks: list = []   # argument lists not started yet
        self._pat = None
        self._argv: list[str] = []
        self._done = False
        grep = _gnu_grep()
        if grep is None:
            self._failed = self._done = True
            return
        self.jobs = jobs = max(1, jobs or os.cpu_count() or 1)
        if paths is not None:
            groups = [paths[i::jobs] for i in range(jobs)] if paths else []
        else:
            groups = _entries(tree, jobs)
        if pattern is not None:
            text, flags = pattern, "-rlasEZ"
        elif word:
            alternation = len(names) >= ALTERNATION_MIN_NAMES and all(_IDENT.match(n) for n in names)
            text = ("|" if alternation else "\n").join(sorted(names))
            flags = "-rlwsEZ" if alternation else "-rlwsFZ"
        elif len(names) >= FIXED_ALTERNATION_MIN_NAMES:
            text, flags = "|".join(ere_escape(n) for n in sorted(names)), "-rlasEZ"
        else:
            text, flags = "\n".join(sorted(names)), "-rlasFZ"
        if "\n" in text and flags.endswith("EZ"):
            self._failed = self._done = True  # an alternation is one line
            return
        self._pat = tempfile.NamedTemporaryFile("w", suffix=".names", encoding="utf-8")
        self._pat.write(text + "\n")
        self._pat.flush()
        self._argv = [grep, flags, "--devices=skip", "--include=*.c", "--include=*.h",
                      *(f"--exclude-dir={d}" for d in sorted(SKIP_DIRS)), "-f", self._pat.name, "--"]
        self._chunks = [group[i:i + 2000] for group in groups for i in range(0, len(group), 2000)]  # argv limit
        self._chunks.reverse()  # popped from the end: in order
        self._launch()

    def _launch(self) -> None:
        """Start greps on the chunks left while fewer than ``jobs`` run."""
        while self._chunks and len(self._procs) < self.jobs and not self._failed:
            chunk = self._chunks.pop()
            out = tempfile.TemporaryFile()
            try:
                proc = subprocess.Popen([*self._argv, *chunk], stdout=out, stderr=subprocess.DEVNULL,
                                        env={**os.environ, "LC_ALL": "C"})
            except OSError:
                out.close()
                self._failed = True
                return
            self._procs.append((proc, out))

    def _wait(self) -> None:
        try:
            while self._procs and not self._failed:
                proc, out = self._procs.pop(0)
                with out:
                    proc.wait()
                    out.seek(0)
                    self._found.update(x.decode("utf-8", "surrogateescape") for x in out.read().split(b"\0") if x)
                if proc.returncode == 2:  # a file could not be read
                    self._unreadable = True
                elif proc.returncode not in (0, 1):
                    self._failed = True
                self._launch()
        finally:
            self.close()

    def answer(self, *, exclude=(), root=None, strict: bool = False) -> list[str] | None:
        """The files found, sorted, less those ``exclude`` leaves out; None when the
        search failed (or, ``strict``, could not read a file)."""
        self._wait()
        if self._failed or (strict and self._unreadable):
            return None
        return sorted(p for p in self._found if not _excluded(p, list(exclude), root))

    def close(self) -> None:
        """Stop what still runs (an answer no longer wanted); the answer, if asked
        after, is None."""
        if self._done:
            return
        self._done = True
        if self._procs or self._chunks:
            self._failed = True
        for proc, out in self._procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            out.close()
        self._procs, self._chunks = [], []
        if self._pat is not None:
            self._pat.close()


class SharedSearch:
    """One search of the kernel tree at ``tree`` for the names several parts of a run
    want (issue 12): the tree phase's candidates with callers outside a folder run
    (``folint.index.two_stage``) and FOL009's functions whose callers are asked
    (``folint.caller_context``).  Each says its names (``want``) before the first
    ``start()``; the greps then run in the background while the run goes on, and
    ``files(names)`` gives each its part: what ``grep_tree(tree, names)`` would give
    (the files found for all the names, searched again for just those when fewer).
    A part asked for names not said before the start has no answer here (``covers``)."""

    def __init__(self, tree: str, jobs: int = 0):
        self.tree = tree
        self.jobs = jobs
        self.names: set[str] = set()
        self._job: GrepJob | None = None

    def want(self, names) -> None:
        if self._job is None:
            self.names |= set(names)

    @property
    def started(self) -> float | None:
        """When the search started (``time.time()``), None before."""
        return self._job.started if self._job is not None else None

    def start(self) -> None:
        if self._job is None and self.names:
            self._job = GrepJob(self.tree, set(self.names), jobs=self.jobs)

    def part(self, tree: str, names) -> set[str]:
        """Those of ``names`` that ``files`` answers for in ``tree``."""
        return set(names) & self.names if tree == self.tree else set()

    def files(self, names, *, strict: bool = False, exclude=(), root=None) -> list[str] | None:
        """The files of the tree naming one of ``names`` (all among ``self.names``) as
        a whole word, as ``grep_tree`` gives them; None as it does."""
        names = set(names)
        if not names <= self.names:
            raise ValueError(f"not searched for: {sorted(names - self.names)}")
        self.start()
        found = self._job.answer(strict=strict)
        if found is not None and names != self.names:
            found = grep_tree(self.tree, names, jobs=self.jobs, paths=found, strict=strict)
        if found is None:
            return None
        return [p for p in found if not _excluded(p, list(exclude), root)]

    def close(self) -> None:
        """Stop the greps if nothing asked for their answer."""
        if self._job is not None:
            self._job.close()


def changed_since(tree: str, stamp: float, jobs: int = 1) -> list[str] | None:
    """The ``.c``/``.h`` files under ``tree`` whose change time is after ``stamp``
    (seconds), by GNU find (``jobs`` at once over the tree's top entries: it stats
    every file, 0.3 s CPU on a kernel tree); None when find is not there or failed."""
    jobs = max(1, jobs or os.cpu_count() or 1)
    groups = [g for g in _entries(tree, jobs) if g]
    test = ["(", *_prune(), ")", "-prune", "-o", "-type", "f", "(", "-name", "*.c", "-o", "-name", "*.h", ")",
            "-newerct", f"@{stamp:.3f}", "-print0"]
    procs = []
    try:
        for group in groups:
            for i in range(0, len(group), 2000):  # argv limit
                procs.append(subprocess.Popen(["find", *group[i:i + 2000], *test], stdout=subprocess.PIPE,
                                              stderr=subprocess.DEVNULL, env={**os.environ, "LC_ALL": "C"}))
        out = []
        for p in procs:
            got, _ = p.communicate(timeout=120)
            if p.returncode != 0:
                return None
            out += [x.decode("utf-8", "surrogateescape") for x in got.split(b"\0") if x]
        return out
    except (OSError, subprocess.SubprocessError):
        return None
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def _prune() -> list[str]:
    out: list[str] = []
    for d in sorted(SKIP_DIRS):
        out += (["-o"] if out else []) + ["-name", d]
    return out


def _regular(path: str) -> bool:
    """A regular file that is not a symlink (what grep -r itself would search)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _stat(path: str) -> list | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def record_key(tree: str, names: set[str]) -> str:
    h = hashlib.blake2b(digest_size=12)
    h.update(os.path.abspath(tree).encode("utf-8", "surrogateescape") + b"\0")
    for n in sorted(names):
        h.update(n.encode() + b"\0")
    return "named-" + h.hexdigest()


def files_naming_in_tree(tree: str, names: set[str], cache, *, jobs: int = 0, exclude=(), root=None,
                         stats: dict | None = None, shared: SharedSearch | None = None) -> list[str] | None:
    """The files of the whole ``tree`` naming ``names``: from the cache's record of the
    same question plus a search of what changed since, else a search of the tree (its
    part of ``shared`` when that searches the tree for these names too)."""
    stats = stats if stats is not None else {}
    key = record_key(tree, names)
    started = time.time() - 1.0  # the change time's granularity: a file changed just now is searched again
    record = cache.searched_record(key) if cache is not None else None
    named: list[str] | None = None
    if record is not None:
        changed = changed_since(tree, record["stamp"], jobs)
        if changed is not None:
            keep = [p for p, st in record["files"] if _stat(p) == st]  # gone or changed: searched again if still there
            again = sorted(set(changed) | ({p for p, _st in record["files"]} - set(keep)))
            again = [p for p in again if _regular(p)]
            hits = grep_tree(tree, names, jobs=jobs, paths=again, exclude=exclude, root=root)
            if hits is not None:
                named = sorted(set(keep) | set(hits))
                stats.update(search="changed files", searched=len(again))
                if not again:
                    return named  # nothing changed: the record stands as it is
    if named is None:
        part = shared.part(tree, names) if shared is not None else set()
        if part:  # the shared search's answer, and a search of its own for any other names
            shared.start()
            started = min(started, shared.started - 1.0)  # what changed after the greps began is searched again
            named = shared.files(part, exclude=exclude, root=root)
            rest = grep_tree(tree, names - part, jobs=jobs, exclude=exclude, root=root) if names - part else []
            named = sorted(set(named) | set(rest)) if named is not None and rest is not None else None
        if named is None:
            named = grep_tree(tree, names, jobs=jobs, exclude=exclude, root=root)
        if named is None:
            return None
        stats.update(search="whole tree")
    if cache is not None:
        files = [[p, st] for p in named if (st := _stat(p)) is not None]
        try:
            cache.put_searched_record(key, {"stamp": started, "files": files})
        except Exception:  # noqa: BLE001 - the cache is an optimisation; the answer stands
            pass
    return named
