"""Check a series of patches: what does each one introduce?

For each patch, in order, each C file it changes is patched in memory (with a
tree) or cut out of the hunks (without one), the rules run on the text before
and after, and the findings present after but not before, in the functions
the patch touches, are reported with the patch that introduced them.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from folint import caller_context
from folint.checker import check_source
from folint.config import DEFAULT_MAX_FILE_SIZE
from folint.discovery import SOURCE_SUFFIXES
from folint.finding import FileError, Finding
from folint.guard import Budget, within_budget
from folint.patch import fragments
from folint.patch.apply import HunkFailed, apply_hunks, reversed_hunks
from folint.patch.compare import in_touched, unmatched
from folint.patch.model import FileChange, Patch, decode, display, encode
from folint.patch.paths import UnsafePath, check_relative
from folint.patch.reparse import reparsed
from folint.patch.touched import touched_functions
from folint.patch.trees import Overlay, Tree
from folint.prefilter import ByteScan
from folint.reading import nul_as_space
from folint.rule import Rule
from folint.runner import RunResult
from folint.source import SourceFile
from folint.enums import Verdict

PARTIAL = ("no tree to apply the patch to: only the text of the hunks was checked, so code outside "
           "them (declarations, loop bounds) was not seen and some findings may be missed; "
           "use --tree DIR for a full check")


@dataclass
class Settings:
    rules: list[Rule]
    simulate: bool = False
    show_refuted: bool = False
    max_size: int = DEFAULT_MAX_FILE_SIZE
    exclude: list[str] = field(default_factory=list)
    # Tree rules (FOL003) run over a name-targeted index of the tree (folint.index.patch).
    tree_rules: bool = True
    config: object = None
    cache: bool = True
    cache_dir: str | None = None
    jobs: int = 0


@dataclass
class Outcome:
    result: RunResult
    # (patch label, path) -> the text as that patch left it, to show each finding's source line
    # (and path -> the last version, for findings without a patch)
    sources: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    unchecked: int = 0  # patches or files that could not be checked (refused, did not apply, ...)


@dataclass
class _Introduced:
    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    parsed: bool = False
    refuted: int = 0


class LastChecked:
    """The parses of the last texts checked of each file in a series, by content digest.

    Patch k+1 of a series usually starts from the text patch k left: that text is
    then not parsed again (nor for the tree index's summary of it).  Only the two
    newest texts of each path (a patch's before and after) are kept, so memory does
    not grow with the series."""

    KEEP = 2

    def __init__(self):
        # path -> [(digest, parse, the prefilter's scan of its bytes)], newest after-text first
        self._last: dict[str, list[tuple[bytes, SourceFile, ByteScan]]] = {}

    def _entry(self, path: str, text: bytes):
        digest = _digest(text)
        return next((e for e in self._last.get(path, ()) if e[0] == digest), None)

    def source(self, path: str, text: bytes) -> SourceFile | None:
        got = self._entry(path, text)
        return got[1] if got is not None else None

    def scan(self, path: str, text: bytes) -> ByteScan | None:
        """The prefilter's scan of ``text`` (needles it found are not searched again)."""
        got = self._entry(path, text)
        return got[2] if got is not None else None

    def remember(self, path: str, text: bytes, src: SourceFile, after: bool = True) -> None:
        """``after``: a patch's after-text, the next one's before-text (kept first); else
        a before-text that was not kept (the first patch's), kept behind it."""
        digest = _digest(text)
        kept = [e for e in self._last.get(path, ()) if e[0] != digest]
        entry = (digest, src, ByteScan(src.raw))
        self._last[path] = [entry, *kept][:self.KEEP] if after else [*kept[:self.KEEP - 1], entry]


def _digest(text: bytes) -> bytes:
    return hashlib.blake2b(text, digest_size=16).digest()


def parse(path: str, text: bytes, last: LastChecked | None = None, after: bool = True,
          base: bytes | None = None) -> SourceFile:
    """``text`` parsed (as the checker reads it: a NUL byte as a space), or the parse
    ``last`` holds of that very text (kept there: see ``LastChecked.remember``).
    ``base``: a text ``text`` was made from; when ``last`` holds its parse, only
    what changed is parsed again (``folint.patch.reparse``)."""
    src = last.source(path, text) if last is not None else None
    if src is None:
        before = last.source(path, base) if last is not None and base else None
        raw = nul_as_space(text)[0]
        src = reparsed(before, path, raw) if before is not None else SourceFile(path, raw)
        if last is not None:
            last.remember(path, text, src, after)
    return src


class Summaries:
    """The tree-index summaries of a series' files (``summaries_of``), the newest of
    each path kept by content digest: patch k+1's before-text is the text patch k
    left, summarised then; an after-text is summarised from its parse in ``last``,
    and only its functions that the patch changed are looked at (``summarise``'s memo
    of the path's last summary)."""

    def __init__(self, root: str, last: LastChecked):
        self._root, self._last = root, last
        self._kept: dict[str, tuple[bytes, dict | None]] = {}
        self._memos: dict[str, dict] = {}

    def __call__(self, files: dict[str, bytes | None], errors: list[FileError]) -> dict[str, dict | None]:
        from folint.index.patch import summaries_of

        out, todo = {}, {}
        for path, raw in files.items():
            kept = self._kept.get(path) if raw is not None else None
            if kept is not None and kept[0] == _digest(raw):
                out[path] = kept[1]
            else:
                todo[path] = raw
        for path, summary in summaries_of(todo, errors, summarise_file=self._summarise).items():
            out[path] = summary
            if todo[path] is not None:
                self._kept[path] = (_digest(todo[path]), summary)
        return out

    def _summarise(self, path: str, raw: bytes) -> dict:
        from folint.index.summary import summarise

        src = self._last.source(os.path.relpath(path, self._root), raw)
        if src is None or src.raw != raw:  # (a NUL: parsed as the index reads it)
            src = SourceFile(path, raw)
        return summarise(src, self._memos.setdefault(path, {}))


def introduced(path: str, pre: bytes, post: bytes, added: set[int], gaps: set[int],
               settings: Settings, last: LastChecked | None = None) -> _Introduced:
    """Findings in ``post`` that ``pre`` does not have, in the functions the change
    touches.  Only those functions are checked (a focus: ``SourceFile.focused``; the
    rules see the whole file and find there what the whole check finds), after and,
    only when that finds something, before.  Each text is parsed once: ``last``
    holds the parse of the text the previous patch left (this one's before-text)."""
    out = _Introduced()
    post_src = parse(path, post, last, base=pre)
    touched = touched_functions(post_src, added, gaps) if added or gaps else set()
    scan = last.scan if last is not None else lambda _path, _text: None
    after = check_source(path, post, settings.rules, simulate=settings.simulate, src=post_src, focus=touched,
                         scan=scan(path, post))
    out.errors = after.errors
    out.parsed = after.parsed
    if not in_touched(after.findings, touched, added):  # what is left below is a subset of these
        return out
    before = check_source(path, pre, settings.rules, src=parse(path, pre, last, after=False), focus=touched,
                          scan=scan(path, pre)).findings if pre else []
    candidates = in_touched(unmatched(before, after.findings, added), touched, added)
    out.refuted = sum(f.verdict == Verdict.REFUTED for f in candidates)
    out.findings = candidates if settings.show_refuted else [f for f in candidates if f.verdict != Verdict.REFUTED]
    return out


class SeriesChecker:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.outcome = Outcome(RunResult())
        self._last = LastChecked()
        self._summaries: Summaries | None = None  # for the tree rules, made with the first tree
        # patches are numbered in the order checked: a patch's change -> the first patch making it
        self._count = 0
        self._seen: dict[tuple, int] = {}
        self._labels: dict[int, str] = {}
        self._reported: dict[int, set[tuple]] = {}  # patch number -> (path, finding key) it reported
        self._duplicate_of: int | None = None  # the patch being checked repeats this one
        # this patch's checked files: path -> (pre, post, added, gaps), for the tree rules
        self._images: dict[str, tuple[bytes | None, bytes, set[int], set[int]]] = {}

    # -- helpers ------------------------------------------------------------
    def _error(self, patch: Patch, line: int | None, message: str) -> None:
        self.outcome.unchecked += 1
        error = FileError(display(patch.where(line)), display(f"{patch.label}: {message}"))
        self.outcome.result.errors.append(error)

    def _note(self, patch: Patch, line: int | None, message: str) -> None:
        self.outcome.notes.append(display(f"{patch.where(line)}: note: {patch.label}: {message}"))

    def _wanted(self, path: str) -> bool:
        if not path.endswith(SOURCE_SUFFIXES):
            return False
        return not any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path, p.rstrip("/") + "/*")
                       for p in self.settings.exclude)

    def _refused(self, patch: Patch) -> bool:
        """Refuse the whole patch if any path in it is unsafe."""
        bad = False
        seen = set()
        for change in patch.files:
            for p in (change.old_path, change.new_path):
                if p is None or p in seen:
                    continue
                seen.add(p)
                try:
                    check_relative(p)
                except UnsafePath as e:
                    self._error(patch, change.line, f"refused: {e}; a patch may only name files inside "
                                                    f"the tree, so this patch is not checked")
                    bad = True
        return bad

    def _skip_note(self, patch: Patch, change: FileChange) -> bool:
        if change.binary:
            self._note(patch, change.line, f"{change.path}: binary change, not checked")
        elif change.is_symlink:
            self._note(patch, change.line, f"{change.path}: symbolic link, not checked")
        elif change.is_submodule:
            self._note(patch, change.line, f"{change.path}: submodule, not checked")
        else:
            return False
        return True

    def _report(self, patch: Patch, path: str, text: str, got: _Introduced) -> None:
        res = self.outcome.result
        res.files += 1
        res.parsed += got.parsed
        res.errors.extend(FileError(display(e.path), display(e.message)) for e in got.errors)
        res.refuted += got.refuted
        if self._duplicate_of is not None:  # a duplicated patch: its findings were reported with the first
            done = self._reported.get(self._duplicate_of, set())
            got.findings = [f for f in got.findings if (path, f.key) not in done]
        self._reported.setdefault(self._count, set()).update((path, f.key) for f in got.findings)
        path = display(path)
        for f in got.findings:
            f.patch = display(patch.label)
            f.path = path
            f.message = display(f.message)
            f.statement = display(f.statement)
        res.findings.extend(got.findings)
        if got.findings:
            self.outcome.sources[(display(patch.label), path)] = self.outcome.sources[path] = display(text)

    # -- one patch ------------------------------------------------------------
    def check_patch(self, patch: Patch, tree: Tree | None) -> None:
        if patch.errors:
            self.outcome.result.errors.extend(FileError(e.path, f"{patch.label}: {e.message}") for e in patch.errors)
            self.outcome.unchecked += 1
            return
        if self._refused(patch):
            return
        self._count += 1
        first = self._seen.setdefault(_fingerprint(patch), self._count) if patch.files else self._count
        self._duplicate_of = first if first != self._count else None  # until it applies (_apply)
        self._labels[self._count] = patch.label
        self._images = {}
        for change in patch.files:
            if self._skip_note(patch, change):
                continue
            try:
                if tree is None:
                    self._check_fragments(patch, change)
                else:
                    self._check_in_tree(patch, change, tree)
            except UnsafePath as e:
                self._error(patch, change.line, f"refused: {e}; the file is not checked")
            except OSError as e:
                self._error(patch, change.line, f"{change.path}: cannot read it in the tree: "
                                                f"{e.strerror or e}; the file is not checked")
        if tree is not None and self._images and self.settings.tree_rules:
            self._tree_rules(patch, tree)
        if tree is not None and self._images:  # callers across the tree (folint.caller_context: FOL009)
            caller_context.refute_in_patch(self.outcome.result, display(patch.label), tree,
                                           {p: post for p, (_pre, post, _a, _g) in self._images.items()},
                                           show_refuted=self.settings.show_refuted, jobs=self.settings.jobs)
        if self._duplicate_of is not None:
            label = self._labels[self._duplicate_of]
            self._note(patch, None, f"the same change as {label} (a duplicate, already applied): its findings "
                                    f"are reported once, with {label}")

    def _tree_rules(self, patch: Patch, tree: Tree) -> None:
        """Tree-wide rules on the patch's files, laid over the index of the tree."""
        from folint.index.patch import introduced_tree_findings

        rules = [r for r in self.settings.rules if r.scope == "tree"]
        if not rules:
            return
        images = {path: (pre or None, post) for path, (pre, post, _a, _g) in self._images.items()}
        if self._summaries is None or self._summaries._root != tree.root:
            self._summaries = Summaries(tree.root, self._last)
        found, errors = introduced_tree_findings(tree.root, images, rules, config=self.settings.config,
                                                 simulate=self.settings.simulate, cache=self.settings.cache,
                                                 cache_dir=self.settings.cache_dir, jobs=self.settings.jobs,
                                                 lines={path: added | gaps for path, (_p, _q, added, gaps)
                                                        in self._images.items()},
                                                 summaries=self._summaries)
        mine = [e for e in errors if os.path.relpath(e.path, tree.root) in images]
        self.outcome.result.errors.extend(FileError(display(e.path), display(e.message)) for e in mine)
        if len(errors) > len(mine):  # files elsewhere in the tree: one note, not a line each
            self._note(patch, None, f"tree index: {len(errors) - len(mine)} other files of the tree were left "
                                    f"out of it (`folint check --select FOL003 {tree.root}` lists them)")
        for path, (_pre, post, added, gaps) in self._images.items():
            mine = [f for f in found if os.path.relpath(f.path, tree.root) == path]
            if not mine:
                continue
            mine = in_touched(mine, touched_functions(parse(path, post, self._last), added, gaps), added)
            kept = mine if self.settings.show_refuted else [f for f in mine if f.verdict != Verdict.REFUTED]
            self.outcome.result.refuted += len(mine) - len(kept)
            self._report(patch, path, post.decode("utf-8", "replace"), _Introduced(findings=kept))
            self.outcome.result.files -= 1  # the file was counted when its file rules ran

    def _check_in_tree(self, patch: Patch, change: FileChange, tree: Tree) -> None:
        overlay = tree if isinstance(tree, Overlay) else None
        if change.status == "deleted":
            if overlay is not None:
                overlay.write(change.old_path, None)
            return
        if change.new_path and change.new_path != change.old_path:
            tree.check_path(change.new_path)  # a new file over a link out of the tree: UnsafePath
        wanted = self._wanted(change.path)
        if not change.hunks:  # rename, copy or mode change only
            if overlay is not None and change.status in ("renamed", "copied") and wanted:
                overlay.write(change.new_path, tree.read(change.old_path))
                if change.status == "renamed":
                    overlay.write(change.old_path, None)
            return
        if not wanted:
            return
        pre = tree.read(change.old_path) if change.old_path else b""
        if pre is None:
            self._error(patch, change.line, f"{change.path}: not in the tree ({tree.name}); point --tree at the "
                                            f"tree the patch applies to; the file is not checked")
            return
        applied = self._apply(patch, change, pre)
        if applied is None:
            return
        pre, post, added, gaps = applied
        if overlay is not None:
            overlay.write(change.new_path, post)
            if change.status == "renamed":
                overlay.write(change.old_path, None)
        if len(post) > self.settings.max_size:
            self._error(patch, change.line, f"{change.path}: {len(post)} bytes after the patch is more than the "
                                            f"{self.settings.max_size}-byte limit (max-file-size); not checked")
            return
        budget = Budget.of(self.settings.config) if self.settings.config is not None else Budget()
        got = within_budget(budget, len(post), introduced, change.path, pre, post, added, gaps, self.settings,
                            self._last, over=lambda why: _Introduced(errors=[FileError(change.path, why)]))
        self._report(patch, change.path, post.decode("utf-8", "replace"), got)
        self._images[change.new_path] = (pre if change.old_path else None, post, added, gaps)

    def _apply(self, patch: Patch, change: FileChange, pre: bytes):
        """(pre, post, added lines, gaps) or None after an error line."""
        text = decode(pre)
        try:
            done = apply_hunks(text, change.hunks)
            self._duplicate_of = None  # the same change as an earlier patch, but made again (after a revert)
            return pre, encode(done.text), done.added, done.gaps
        except HunkFailed as failed:
            try:  # already in the tree?  Then the tree is the post-image.
                undone = apply_hunks(text, reversed_hunks(change.hunks))
            except HunkFailed:
                hunk = failed.hunk
                self._error(patch, hunk.header_line or change.line,
                            f"{change.path}: hunk {hunk.index} ({hunk.header}) does not apply: {failed.reason}; "
                            f"this file is not checked, the rest is")
                return None
        # Already in the tree (always so on a b4 prep branch or in a commit hook): checked
        # against the tree with it taken out, silently -- there is nothing to act on.
        redo = apply_hunks(undone.text, change.hunks)
        return encode(undone.text), encode(redo.text), redo.added, redo.gaps

    def _check_fragments(self, patch: Patch, change: FileChange) -> None:
        if change.status == "deleted" or not change.hunks or not self._wanted(change.path):
            return
        old = fragments.build(change.hunks, "old")
        new = fragments.build(change.hunks, "new")
        got = introduced(change.path, encode(old.text) if change.old_path else b"", encode(new.text),
                         new.added, new.gaps, self.settings)
        kept = []
        for f in got.findings:
            line = new.file_line(f.line)
            if line is None:
                continue
            end = new.file_line(f.end_line) or line
            f.line, f.end_line = line, max(end, line)
            _to_file_lines(f, new.file_line)
            if f.function == fragments.PLACEHOLDER_NAME:
                f.function = None
                f.message = f.message.replace(f"{fragments.PLACEHOLDER_NAME}()", fragments.UNNAMED)
            kept.append(f)
        got.findings = kept
        for e in got.errors:  # "line 7: ..." of the hunks' text is a line of the file
            e.message = _LINE_WORD.sub(lambda m: _file_lines(m, new.file_line), e.message)
        self._report(patch, change.path, _sparse_text(change), got)
        self.outcome.result.partial = PARTIAL


def _fingerprint(patch: Patch) -> tuple:
    """What a patch changes, without where: its files' paths and hunk lines (not the line
    numbers, which a resent or rebased copy may shift)."""
    return tuple((c.old_path, c.new_path, c.new_mode, c.binary,
                  tuple(tuple((ln.kind, ln.text) for ln in h.lines) for h in c.hunks)) for c in patch.files)


_LINE_WORD = re.compile(r"\b(lines?) (\d+)(?:-(\d+))?")


def _file_lines(m: re.Match, file_line) -> str:
    """A ``line 6`` / ``lines 6-9`` match of :data:`_LINE_WORD`, in the file's line numbers."""
    def real(n: str) -> str:
        got = file_line(int(n))
        return str(got) if got is not None else n
    return f"{m.group(1)} {real(m.group(2))}" + (f"-{real(m.group(3))}" if m.group(3) else "")


def _to_file_lines(f: Finding, file_line) -> None:
    """The simulator ran on the hunks' text alone: give its evidence and trace the file's
    line numbers (``returned at line 6`` -> ``at line 106``)."""
    def sub(m: re.Match) -> str:
        return _file_lines(m, file_line)
    f.evidence = _LINE_WORD.sub(sub, f.evidence)
    for step in f.trace:
        if isinstance(step.get("line"), int):
            step["line"] = file_line(step["line"]) or step["line"]
        if isinstance(step.get("event"), str):
            step["event"] = _LINE_WORD.sub(sub, step["event"])


def _sparse_text(change: FileChange) -> str:
    """The post-image lines the hunks show, at their line numbers (blank elsewhere)."""
    lines: dict[int, str] = {}
    for hunk in change.hunks:
        n = hunk.new_start
        for ln in hunk.lines:
            if ln.kind != "-":
                lines[n] = ln.text.rstrip("\r\n")
                n += 1
    top = max(lines, default=0)
    return "\n".join(lines.get(i, "") for i in range(1, top + 1))


def check_series(patches: list[Patch], tree_for: Callable[[Patch], Tree | None], settings: Settings) -> Outcome:
    started = time.perf_counter()
    checker = SeriesChecker(settings)
    for patch in patches:
        checker.check_patch(patch, tree_for(patch))
    checker.outcome.result.finish(started)
    return checker.outcome
