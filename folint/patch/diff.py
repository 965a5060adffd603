"""A mail body (or a plain diff) -> the files and hunks it changes.

Parsing is done by ``unidiff`` (PyPI): a small, maintained, pure-Python parser
that understands git's extended headers (new/deleted files, renames, modes,
binary patches) and validates each hunk's line counts.  This module turns its
objects into folint's records, adds the input line numbers every error needs,
and catches the one mistake unidiff lets through: a hunk followed by more diff
lines than its ``@@`` header counts (they would be silently dropped).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

from folint.patch.model import ADDED, CONTEXT, REMOVED, FileChange, Hunk, HunkLine, split_lines
from folint.patch.paths import DEV_NULL, strip_prefixes, unquote

_HUNK_HEADER = re.compile(r"^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@")
_SIGNATURE = ("-- \n", "--\n", "-- \r\n")


class DiffError(Exception):
    """The diff cannot be read; ``line`` is the 0-based index in the lines given."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


@dataclass
class _Tracked:
    """Feeds lines to unidiff and remembers how far it read (for error lines)."""

    lines: list[str]
    pos: int = 0

    def __iter__(self):
        for i, line in enumerate(self.lines):
            self.pos = i
            yield line


def diff_start(lines: list[str]) -> int | None:
    """Index of the first line of the diff in a mail body: a ``diff`` line, or a
    ``---`` line directly followed by ``+++``."""
    for i, line in enumerate(lines):
        if line.startswith("diff ") or line.startswith("Binary files "):
            return i
        if line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            return i
    return None


def parse_diff(body: str) -> tuple[list[FileChange], int | None]:
    """The file changes in ``body`` and the index of the diff's first line
    (None when there is no diff).  Line numbers stored in the records are
    1-based indexes into ``body``'s lines.  Raises DiffError."""
    lines = split_lines(body)
    start = diff_start(lines)
    if start is None:
        return [], None
    diff_lines = lines[start:]
    tracked = _Tracked(diff_lines)
    try:
        patch_set = PatchSet(tracked)
    except UnidiffParseError as e:
        raise DiffError(_explain(str(e), diff_lines, tracked.pos), start + tracked.pos) from None
    changes = [_file_change(pf, diff_lines, start) for pf in patch_set]
    for pf, change in zip(patch_set, changes):
        _check_complete(pf, change, diff_lines, start)
    for change in changes:
        for hunk in change.hunks:
            if hunk.header_line:
                hunk.raw_header = lines[hunk.header_line - 1].rstrip("\r\n")
        _check_no_stray_lines(change, lines)
    return changes, start


# Extended header lines that make a file entry without hunks complete (a mode change,
# a rename or copy, an empty file created or deleted).
_COMPLETE_WITHOUT_HUNKS = ("old mode ", "new mode ", "new file mode ", "deleted file mode ", "rename from ",
                           "rename to ", "copy from ", "copy to ", "similarity index ", "dissimilarity index ")


def _check_complete(pf, change: FileChange, diff_lines: list[str], offset: int) -> None:
    """A file entry without hunks must be one git writes that way; otherwise the patch was
    cut short (right after ``diff --git``, after ``+++``, inside an ``@@`` header)."""
    if change.hunks or change.binary:
        return
    first = change.line - 1 - offset  # index of the entry's first line in diff_lines
    end = next((i for i in range(first + 1, len(diff_lines)) if diff_lines[i].startswith("diff ")),
               len(diff_lines))
    section = [ln.rstrip("\r\n") for ln in diff_lines[first:end]]
    while section and not section[-1].strip():
        section.pop()
    last = offset + first + len(section) - 1
    name = change.path
    partial = next((ln for ln in section if ln.startswith("@@")), None)
    if partial is not None:
        raise DiffError(f"{name}: the patch ends inside a hunk header ('{partial[:40]}'): it is truncated; "
                        f"regenerate it (git format-patch) or save the mail raw", last)
    if any(ln.startswith("+++ ") for ln in section):
        raise DiffError(f"{name}: the patch ends right after the '+++' line, before any hunk: it is truncated; "
                        f"regenerate it (git format-patch) or save the mail raw", last)
    git_entry = bool(section) and section[0].startswith("diff --git ")
    if git_entry and not any(ln.startswith(_COMPLETE_WITHOUT_HUNKS) for ln in section[1:]):
        raise DiffError(f"{name}: the patch ends right after '{section[-1][:60]}', before any change to the "
                        f"file: it is truncated; regenerate it (git format-patch) or save the mail raw", last)


def _where(diff_lines: list[str], pos: int) -> tuple[str, int]:
    """(file name, hunk number) of the hunk being read at ``pos``."""
    name, hunk = "the diff", 0
    for line in diff_lines[:pos + 1]:
        if line.startswith(("diff --git ", "+++ ")):
            name = line.split()[-1] if line.startswith("diff") else line[4:].split("\t")[0].strip()
            name = re.sub(r"^[ab]/", "", unquote(name))
            hunk = 0
        elif _HUNK_HEADER.match(line):
            hunk += 1
    return name, hunk


def _explain(message: str, diff_lines: list[str], pos: int) -> str:
    name, hunk = _where(diff_lines, pos)
    what = f"hunk {hunk} of {name}" if hunk else name
    if message.startswith("Hunk is shorter"):
        return (f"{what}: the patch ends before the lines its @@ header counts: the patch is truncated "
                f"or its line counts are wrong; regenerate it (git format-patch) or fix the @@ line")
    if message.startswith("Hunk is longer"):
        return (f"{what}: more removed or kept lines than its @@ header counts: the line counts are wrong; "
                f"regenerate the patch or fix the @@ line")
    if message.startswith("Hunk diff line expected"):
        return (f"{what}: a line inside the hunk does not start with ' ', '+' or '-': the patch is truncated, "
                f"its line counts are wrong, or a mail client rewrapped it; regenerate it or save the mail raw")
    return f"{what}: cannot read the diff ({message}); regenerate the patch with git format-patch or diff -u"


def _check_no_stray_lines(change: FileChange, lines: list[str]) -> None:
    """A hunk shorter than the lines that follow it means its counts are wrong."""
    for hunk in change.hunks:
        numbered = [ln.patch_line for ln in hunk.lines if ln.patch_line]
        if not numbered:
            continue
        i = max(numbered)  # 1-based line of the hunk's last line == 0-based index of the next
        while i < len(lines) and lines[i].startswith("\\"):
            i += 1
        if i >= len(lines):
            continue
        nxt = lines[i]
        if nxt in _SIGNATURE or nxt.startswith(("--- ", "+++ ", "@@")):
            continue
        if nxt[:1] in (CONTEXT, ADDED, REMOVED):
            raise DiffError(f"hunk {hunk.index} of {change.path}: more diff lines follow than its @@ header "
                            f"counts ({hunk.header.split(' @@')[0]} @@): the line counts are wrong; "
                            f"regenerate the patch or fix the @@ line", i)


def _git_names(info: list[str]) -> tuple[str | None, str | None, bool]:
    """Rename/copy sources and targets from git's extended header, if any."""
    old = new = None
    copy = False
    for line in info:
        for key in ("rename from ", "copy from "):
            if line.startswith(key):
                old = unquote(line[len(key):].rstrip("\r\n"))
                copy = copy or key.startswith("copy")
        for key in ("rename to ", "copy to "):
            if line.startswith(key):
                new = unquote(line[len(key):].rstrip("\r\n"))
    return old, new, copy


def _file_change(pf, diff_lines: list[str], offset: int) -> FileChange:
    info = list(pf.patch_info or [])
    git = bool(info) and info[0].startswith("diff --git ")
    source, target = (pf.source_file or "").rstrip("\r"), (pf.target_file or "").rstrip("\r")
    old = None if source == DEV_NULL else unquote(source)
    new = None if target == DEV_NULL else unquote(target)
    old, new = strip_prefixes(old, new, git)
    r_old, r_new, copy = _git_names(info)
    if r_old and r_new:
        old, new = r_old, r_new
    first = (pf.diff_line_no or 1) - 1
    if not git and first > 0 and diff_lines[first - 1].startswith("--- "):
        first -= 1  # a plain diff's entry starts at its "---" line
    end = next((ln.diff_line_no for h in pf for ln in h if ln.diff_line_no), None)
    header_end = (end - 1) if end else first + max(len(info), 1)
    header = [ln for ln in diff_lines[first:header_end] if not _HUNK_HEADER.match(ln)]
    if not header and not git:
        header = diff_lines[first:first + 2]
    change = FileChange(old_path=old, new_path=new, binary=bool(pf.is_binary_file),
                        old_mode=pf.source_mode, new_mode=pf.target_mode,
                        header=[h.rstrip("\r\n") for h in header], line=offset + first + 1, copied=copy)
    for n, h in enumerate(pf, 1):
        change.hunks.append(_hunk(n, h, offset))
    return change


def _hunk(index: int, h, offset: int) -> Hunk:
    lines: list[HunkLine] = []
    first_no = None
    for ln in h:
        if ln.line_type == "\\":  # "\ No newline at end of file": the line before has no newline
            if lines and lines[-1].text.endswith("\n"):
                lines[-1].text = lines[-1].text[:-1]
            continue
        if ln.line_type not in (CONTEXT, ADDED, REMOVED):
            continue  # unidiff's trailing empty line after a hunk
        no = offset + ln.diff_line_no if ln.diff_line_no else None
        first_no = first_no or no
        lines.append(HunkLine(ln.line_type, ln.value, no))
    header_line = first_no - 1 if first_no else None
    return Hunk(index, h.source_start, h.source_length, h.target_start, h.target_length,
                h.section_header.rstrip("\r\n"), header_line, lines)
