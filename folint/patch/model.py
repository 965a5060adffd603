"""The records a patch is read into: Patch -> FileChange -> Hunk -> HunkLine.

Text is ``str`` decoded as UTF-8 with ``surrogateescape``, so any byte in a
patch or a file survives a round trip unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from folint.finding import FileError

CONTEXT, ADDED, REMOVED = " ", "+", "-"


def decode(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def display(text: str) -> str:
    """Text safe to print: bytes that are not UTF-8 become U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def split_lines(text):
    """Lines with their endings, split on newline only (``str.splitlines`` also
    splits on form feeds and other characters that C files contain)."""
    nl = "\n" if isinstance(text, str) else b"\n"
    parts = text.split(nl)
    out = [p + nl for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


@dataclass
class HunkLine:
    kind: str            # CONTEXT, ADDED or REMOVED
    text: str            # with its line ending; "" ending at a file end without newline
    patch_line: int | None = None  # line number in the patch input, when known


@dataclass
class Hunk:
    index: int           # 1-based, within its file
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    section: str = ""    # the text after the second @@ (usually the function's first line)
    header_line: int | None = None  # line of the "@@" in the patch input
    lines: list[HunkLine] = field(default_factory=list)
    raw_header: str = ""  # the "@@" line exactly as the patch has it
    # Where the hunk's post-image starts in the patched file (set when applied; may
    # differ from new_start when the hunk applied at an offset).
    applied_at: int | None = None

    @property
    def header(self) -> str:
        if self.raw_header:
            return self.raw_header
        tail = f" {self.section}" if self.section else ""
        return f"@@ -{self.old_start},{self.old_len} +{self.new_start},{self.new_len} @@{tail}"

    def old_text(self) -> list[str]:
        return [ln.text for ln in self.lines if ln.kind != ADDED]

    def new_text(self) -> list[str]:
        return [ln.text for ln in self.lines if ln.kind != REMOVED]


@dataclass
class FileChange:
    old_path: str | None  # None: the patch creates the file
    new_path: str | None  # None: the patch deletes the file
    hunks: list[Hunk] = field(default_factory=list)
    binary: bool = False
    old_mode: str | None = None
    new_mode: str | None = None
    header: list[str] = field(default_factory=list)  # "diff --git ...", "--- ...", "+++ ..." as in the patch
    line: int | None = None  # first line of this file's part in the patch input
    copied: bool = False     # git "copy from/to": the old file stays

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""

    @property
    def status(self) -> str:
        if self.old_path is None:
            return "added"
        if self.new_path is None:
            return "deleted"
        if self.old_path != self.new_path:
            return "copied" if self.copied else "renamed"
        return "modified"

    @property
    def is_symlink(self) -> bool:
        return "120000" in (self.old_mode, self.new_mode)

    @property
    def is_submodule(self) -> bool:
        return "160000" in (self.old_mode, self.new_mode)


@dataclass
class Patch:
    """One patch: a mail of a series, one commit, the staged change or a plain diff."""

    label: str           # how findings name it (Finding.patch): "0002/0003 mm: swap: ..."
    source: str          # where it was read: a file name, "<stdin>", "git diff --cached"
    line: int = 1        # its first line in the source
    subject: str | None = None
    message_id: str | None = None
    references: str | None = None
    sender: str | None = None
    to: str | None = None
    cc: str | None = None
    date: str | None = None
    commit: str | None = None       # the commit it came from (--git)
    files: list[FileChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # e.g. binary files skipped
    errors: list[FileError] = field(default_factory=list)  # reading errors: the patch is not checked
    body_line: int | None = None    # line of the body's first line in the source, when it maps 1:1

    def where(self, line: int | None = None) -> str:
        """``source:line`` for error lines."""
        return f"{self.source}:{line if line is not None else self.line}"
