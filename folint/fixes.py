"""Safe fixes: edits a rule is certain of, checked for conflicts, shown as a diff or applied.

The format a rule uses (FOL002, FOL003, FOL006 ...)
--------------------------------------------------
A rule offers fixes by overriding ``Rule.fixes(src, finding)`` and returning a
list of :class:`Fix` (usually zero or one; empty when the fix is not certain)::

    def fixes(self, src, finding):
        call = ...                                   # find the node again from finding.data
        return [Fix(self.code, "lock_page(&folio->page) -> folio_lock(folio)",
                    (Edit.replace(src, call, "folio_lock(folio)"),))]

- An :class:`Edit` replaces the bytes ``[start, end)`` of one file, as the file
  was when it was checked, with ``new``; ``start == end`` inserts.  ``old`` is the
  text it replaces and is verified before anything is written, so a file that
  changed since it was checked is never damaged.  ``Edit.replace(src, node, new)``
  and ``Edit.insert(src, byte, new)`` build edits in the checked file; an edit in
  another file (FOL003 rewrites callers and prototypes) is
  ``Edit(path, start, end, old, new)`` with ``old`` read from that file.
- A :class:`Fix` is all-or-nothing: every edit is applied or none is (one
  signature change = the definition, every prototype and every caller).
- ``fixes()`` runs in the main process after checking, on a fresh parse of
  ``finding.path``; ``finding.data`` (what the rule put there in ``check``) is
  the way to find the nodes again.  Raising is reported as an error line and the
  finding keeps no fix.

Conflicts: two fixes whose edits overlap (or insert at the same point in
different ways) cannot both apply; the first one (in path/line order) wins and
the other is reported as skipped.  Identical edits from two findings (two
calls in one loop both asking for ``entry.val++;``) count once.

The diff is a plain unified diff (``--- a/PATH`` / ``+++ b/PATH``, three
lines of context) with paths relative to the current folder when the file is
under it, which is what ``git apply`` expects when run from the top of the
repository.  ``apply_plan`` writes each changed file atomically (a temporary
file then ``os.replace``, keeping the file's owner and mode; a file with hard links is
rewritten in place so its links stay).  Only files named by the
caller's ``allowed`` predicate are ever touched; the command line allows the
files under the paths it was given.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tree_sitter import Node
from folint.enums import Verdict

MAX_FIX_READ = 1 << 30  # bytes: a file to fix was checked, so it is under max-file-size anyway


@dataclass(frozen=True)
class Edit:
    """Replace bytes ``[start, end)`` of ``path`` (``old``) with ``new``."""

    path: str
    start: int
    end: int
    old: str
    new: str

    @classmethod
    def replace(cls, src, node: Node, new: str) -> "Edit":
        """Replace ``node``'s text in the checked file ``src`` (a SourceFile)."""
        return cls.span(src, node.start_byte, node.end_byte, new)

    @classmethod
    def span(cls, src, start: int, end: int, new: str) -> "Edit":
        return cls(src.path, start, end, src.raw[start:end].decode("utf-8"), new)

    @classmethod
    def insert(cls, src, byte: int, new: str) -> "Edit":
        return cls(src.path, byte, byte, "", new)

    def overlaps(self, other: "Edit") -> bool:
        if file_key(self.path) != file_key(other.path):
            return False
        if self.start == self.end or other.start == other.end:  # an insertion touches its neighbours
            return self.start <= other.end and other.start <= self.end
        return self.start < other.end and other.start < self.end

    def same_as(self, other: "Edit") -> bool:
        return (file_key(self.path), self.start, self.end, self.new) == (file_key(other.path), other.start, other.end,
                                                                     other.new)


@dataclass(frozen=True)
class Fix:
    """One finding's certain fix: every edit applies, or none does."""

    code: str
    title: str  # one line, e.g. "lock_page(&folio->page) -> folio_lock(folio)"
    edits: tuple[Edit, ...]
    # Where the finding was (path, line), for messages; filled by collect_fixes.
    where: tuple[str, int] | None = None

    def paths(self) -> set[str]:
        return {e.path for e in self.edits}


@dataclass
class Plan:
    """The fixes that will apply together, and the ones left out with the reason."""

    accepted: list[Fix] = field(default_factory=list)
    skipped: list[tuple[Fix, str]] = field(default_factory=list)
    originals: dict[str, bytes] = field(default_factory=dict)  # file_key(path) -> bytes the edits refer to
    display: dict[str, str] = field(default_factory=dict)  # file_key(path) -> path as shown in the diff

    def edits_by_file(self) -> dict[str, list[Edit]]:
        out: dict[str, list[Edit]] = {}
        for fix in self.accepted:
            for e in fix.edits:
                bucket = out.setdefault(file_key(e.path), [])
                if not any(e.same_as(x) for x in bucket):
                    bucket.append(e)
        for bucket in out.values():
            bucket.sort(key=lambda e: (e.start, e.end))
        return out


def file_key(path: str) -> str:
    return os.path.realpath(path)


def _where(fix: Fix) -> str:
    return f"{fix.where[0]}:{fix.where[1]}" if fix.where else fix.title


def make_plan(fixes: Iterable[Fix], allowed: Callable[[str], bool] = lambda p: True,
              read: Callable[[str], bytes] | None = None) -> Plan:
    """Choose the fixes that can apply together.

    A fix is skipped when it touches a file ``allowed`` refuses, when a file
    cannot be read, when an edit's ``old`` text is not what the file holds
    now, when its own edits overlap, or when it conflicts with a fix accepted
    before it.  ``read`` defaults to reading the file from disk (once per file).
    """
    plan = Plan()
    read = read or _read_file
    taken: list[Edit] = []
    for fix in fixes:
        reason = _refusal(fix, plan, allowed, read, taken)
        if reason is not None:
            plan.skipped.append((fix, reason))
            continue
        plan.accepted.append(fix)
        taken.extend(fix.edits)
    return plan


def _refusal(fix: Fix, plan: Plan, allowed, read, taken: list[Edit]) -> str | None:
    for e in fix.edits:
        if not allowed(e.path):
            return f"it would change {e.path}, which was not given on the command line"
        key = file_key(e.path)
        if key not in plan.originals:
            try:
                plan.originals[key] = read(e.path)
            except OSError as err:
                return f"cannot read {e.path}: {err.strerror or err}"
            plan.display[key] = display_path(e.path)
        raw = plan.originals[key]
        if not (0 <= e.start <= e.end <= len(raw)) or raw[e.start:e.end] != e.old.encode("utf-8"):
            return f"{e.path} changed since it was checked; run folint again"
    for i, a in enumerate(fix.edits):
        if any(a.overlaps(b) and not a.same_as(b) for b in fix.edits[i + 1:]):
            return "its own edits overlap (a bug in the rule; please report it)"
    for a in fix.edits:
        for b in taken:
            if a.overlaps(b) and not a.same_as(b):
                return f"it overlaps another fix in {b.path}; run folint --fix again after this one"
    return None


def _read_file(path: str) -> bytes:
    from folint.reading import read_regular

    return read_regular(path, MAX_FIX_READ)


def display_path(path: str) -> str:
    """``path`` relative to the current folder when it is under it (what ``git apply`` wants)."""
    rel = os.path.relpath(os.path.abspath(path))
    return path if rel.startswith("..") else rel


def apply_edits(raw: bytes, edits: list[Edit]) -> bytes:
    """``raw`` with ``edits`` (non-overlapping, any order) applied."""
    out = raw
    for e in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        out = out[:e.start] + e.new.encode("utf-8") + out[e.end:]
    return out


def fixed_contents(plan: Plan) -> dict[str, tuple[bytes, bytes]]:
    """file_key(path) -> (before, after) for every file the plan changes."""
    return {key: (plan.originals[key], apply_edits(plan.originals[key], edits))
            for key, edits in plan.edits_by_file().items()}


def diff_base(paths: list[str]) -> str | None:
    """The folder a diff of ``paths`` is relative to: None when every path is under
    the current folder (the paths are then relative to it), else the top of the
    kernel tree or git work tree holding them all, else their common folder.  A
    path outside the current folder must not come out as ``a//abs/path``."""
    absolute = [os.path.abspath(p) for p in paths]
    if all(not os.path.relpath(p).startswith("..") for p in absolute):
        return None
    common = os.path.commonpath([os.path.dirname(p) for p in absolute])
    from folint.facts.tree import find_tree_root

    root = find_tree_root(common)
    if root is not None:
        return str(root)
    folder = common
    while True:
        if os.path.exists(os.path.join(folder, ".git")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return common
        folder = parent


def render_diff(plan: Plan, context: int = 3) -> str:
    """A unified diff of the plan, in path order, that ``git apply`` accepts (in the
    folder its first line names, when the files are not under the current one)."""
    chunks = []
    changed = sorted(fixed_contents(plan).items(), key=lambda kv: plan.display[kv[0]])
    base = diff_base([key for key, (before, after) in changed if before != after])
    if base is not None:
        chunks.append(f"# paths relative to {base}: apply there (cd {base} && git apply)\n")
    for key, (before, after) in changed:
        if before == after:
            continue
        name = plan.display[key] if base is None else os.path.relpath(os.path.abspath(key), base)
        a = _lines(before.decode("utf-8", "surrogateescape"))
        b = _lines(after.decode("utf-8", "surrogateescape"))
        lines = difflib.unified_diff(a, b, f"a/{name}", f"b/{name}", n=context)
        for line in lines:
            if line.startswith(("---", "+++")):
                line = line.rstrip("\n") + "\n"
            elif not line.endswith("\n"):
                # a last line without a newline, as diff(1) and git write it
                line += "\n\\ No newline at end of file\n"
            chunks.append(line)
    return "".join(chunks)


def _lines(text: str) -> list[str]:
    """Lines as git sees them: split at "\n" only (str.splitlines would also split at
    form feeds and other separators kernel sources contain, and the diff would not apply)."""
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def apply_plan(plan: Plan) -> list[str]:
    """Write every changed file in place, atomically; returns the paths written.

    Each file is read again first: if it is not byte for byte what the plan
    was made from, it is left alone and its fixes move to ``plan.skipped``
    with the reason (so do files that cannot be written)."""
    written = []
    for key, (before, after) in fixed_contents(plan).items():
        name = plan.display[key]
        try:
            current = _read_file(key)
        except OSError as err:
            _skip_file(plan, key, f"cannot read {name}: {err.strerror or err}")
            continue
        if current != before:
            _skip_file(plan, key, f"{name} changed while folint ran; run folint --fix again")
            continue
        try:
            _write_atomically(key, after)
        except OSError as err:
            _skip_file(plan, key, f"cannot write {name}: {err.strerror or err}")
            continue
        written.append(name)
    return written


def _skip_file(plan: Plan, key: str, reason: str) -> None:
    keep = []
    for fix in plan.accepted:
        if any(file_key(e.path) == key for e in fix.edits):
            plan.skipped.append((fix, reason))
        else:
            keep.append(fix)
    plan.accepted = keep


def _write_atomically(path: str, data: bytes) -> None:
    """Replace the file's content, keeping what it is: its owner, group and mode, and
    its hard links.  A file with one name is written to a temporary file beside it
    (given the same owner and mode) and renamed over it; a file with several names
    (hard links) is rewritten in place, so every name keeps seeing the fixed text."""
    st = os.stat(path)
    if st.st_nlink > 1:
        fd = os.open(path, os.O_WRONLY)
        try:
            os.ftruncate(fd, 0)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        return
    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".folint-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        try:
            os.chown(tmp, st.st_uid, st.st_gid)
        except PermissionError:  # not ours to give away: the mode is kept at least
            pass
        os.chmod(tmp, st.st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# -- from findings to fixes ---------------------------------------------------

@dataclass
class Collected:
    fixes: list[Fix] = field(default_factory=list)
    fixed_findings: dict[int, Fix] = field(default_factory=dict)  # id(finding) -> its fix (first one)
    errors: list[str] = field(default_factory=list)


def collect_fixes(findings, rules, max_size: int | None = None) -> Collected:
    """Ask each finding's rule for its fixes, parsing each file with findings once.

    ``rules`` are rule instances (``build_rules``); findings of rules without
    fixes, and refuted findings, are passed over.  A file that cannot be read or
    is not UTF-8 gets one error line and no fixes.
    """
    from folint.checker import read_source
    from folint.config import DEFAULT_MAX_FILE_SIZE
    from folint.source import SourceFile

    by_code = {r.code: r for r in rules}
    out = Collected()
    sources: dict[str, SourceFile | None] = {}
    for f in sorted(findings, key=lambda f: f.sort_key()):
        rule = by_code.get(f.code)
        if rule is None or f.verdict == Verdict.REFUTED or type(rule).fixes is _no_fixes():
            continue
        if f.path not in sources:
            raw, err = read_source(f.path, max_size or DEFAULT_MAX_FILE_SIZE)
            src = None
            if err is not None:
                out.errors.append(f"{err.path}: {err.message}; no fixes for this file")
            else:
                try:
                    raw.decode("utf-8")
                    src = SourceFile(f.path, raw)
                except UnicodeDecodeError:
                    out.errors.append(f"{f.path}: not valid UTF-8; no fixes for this file")
            sources[f.path] = src
        src = sources[f.path]
        if src is None:
            continue
        try:
            offered = list(rule.fixes(src, f) or ())
        except Exception as e:  # a rule bug must not end the run
            out.errors.append(f"{f.path}:{f.line}:{f.column}: {f.code} fix failed: {type(e).__name__}: {e}; "
                              f"please report it with this file")
            continue
        for fix in offered:
            fix = Fix(fix.code, fix.title, tuple(fix.edits), fix.where or (f.path, f.line))
            out.fixes.append(fix)
            out.fixed_findings.setdefault(id(f), fix)
    return out


def _no_fixes():
    from folint.rule import Rule

    return Rule.fixes


def under_paths(paths: list[str]) -> Callable[[str], bool]:
    """A predicate: is a file one of ``paths``, or inside one of the folders among them?"""
    roots = [os.path.realpath(p) for p in paths]

    def allowed(path: str) -> bool:
        real = os.path.realpath(path)
        return any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in roots)

    return allowed
