"""Patch input -> a list of Patch records, numbered as a series.

Inputs are files, stdin (``-``) or the output of a git command.  Problems
become error lines on the patch (or the input); nothing raises.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass

from folint.finding import FileError
from folint.patch.diff import DiffError, parse_diff
from folint.patch.mail import Mail, split_mails
from folint.patch.model import Patch
from folint.reading import ReadError, read_regular, read_stream

_PREFIX = re.compile(r"^\s*(\[[^\]]*\]\s*)+")
_FROM_SHA = re.compile(r"^From ([0-9a-f]{7,64}) ", re.MULTILINE)
MAX_PATCH_SIZE = 64 << 20  # bytes of one patch input (a file, a mailbox or standard input)
_WHAT = "give a git format-patch file, a mailbox of patches or a unified diff"


@dataclass
class Input:
    source: str        # how error lines name it
    raw: bytes
    label: str | None = None  # the label of a patch without a subject (e.g. "staged changes")


def read_input(path: str, limit: int = MAX_PATCH_SIZE) -> tuple[Input | None, FileError | None]:
    """A patch file or standard input (``-``): regular files only, never blocking,
    at most ``limit`` bytes (``folint.reading``)."""
    try:
        if path == "-":
            return Input("<stdin>", read_stream(getattr(sys.stdin, "buffer", None), limit)), None
        return Input(path, read_regular(path, limit)), None
    except ReadError as e:
        message = str(e)
        if message.startswith("is a folder"):
            message = "is a folder, not a patch; " + _WHAT
        elif message.startswith("skipped: ") and "limit" in message:
            message = f"more than the {limit}-byte limit on a patch input; split the series"
        return None, FileError("<stdin>" if path == "-" else path, message)


def clean_subject(subject: str) -> str:
    """``[PATCH v2 2/3] mm: swap: x`` -> ``mm: swap: x``."""
    return _PREFIX.sub("", subject).strip()


def _commit_of(mail: Mail, raw: bytes) -> str | None:
    lines = raw.split(b"\n")
    if mail.line >= 1 and mail.line <= len(lines):
        m = _FROM_SHA.match(lines[mail.line - 1].decode("ascii", "replace"))
        if m and not set(m.group(1)) <= {"0"}:
            return m.group(1)
    return None


def _renumber(patch: Patch, mail: Mail) -> None:
    """Body-relative line numbers -> input line numbers (or None when they do not map)."""
    def conv(n):
        return None if n is None or mail.body_line is None else mail.body_line + n - 1
    for change in patch.files:
        change.line = conv(change.line)
        for hunk in change.hunks:
            hunk.header_line = conv(hunk.header_line)
            for ln in hunk.lines:
                ln.patch_line = conv(ln.patch_line)


def patches_from(inp: Input, alone: bool = True) -> tuple[list[Patch], list[FileError], list[str]]:
    """The patches in one input, its errors, and notes (mails without a diff).  Mails
    without a diff in an input that is not ``alone`` (a ``--cover-letter`` file given
    beside its patches) are notes only, as they are inside one mailbox."""
    if not inp.raw.strip():
        return [], [FileError(inp.source, f"empty input, no patch in it; {_WHAT}")], []
    mails = split_mails(inp.raw)
    patches, notes = [], []
    for mail in mails:
        subject = mail.header("Subject")
        patch = Patch(label="", source=inp.source, line=mail.line, subject=subject,
                      message_id=mail.header("Message-ID"), references=mail.header("References"),
                      sender=mail.header("From"), to=mail.header("To"), cc=mail.header("Cc"),
                      date=mail.header("Date"), commit=_commit_of(mail, inp.raw), body_line=mail.body_line)
        if mail.error is not None:
            patch.errors.append(FileError(f"{inp.source}:{mail.line}", f"mail '{subject or '(no subject)'}': "
                                          f"{mail.error}; save the mail raw or regenerate the patch; "
                                          f"this patch is not checked"))
            patches.append(patch)
            continue
        try:
            patch.files, start = parse_diff(mail.body)
        except DiffError as e:
            line = mail.body_line + e.line if mail.body_line is not None else mail.line
            patch.errors.append(FileError(f"{inp.source}:{line}", f"{e}; this patch is not checked"))
            patches.append(patch)
            continue
        if start is None:
            if mail.headers is not None:
                notes.append(f"{inp.source}:{mail.line}: note: no diff in the mail "
                             f"'{subject or '(no subject)'}' (a cover letter?); skipped")
            continue
        _renumber(patch, mail)
        patches.append(patch)
    if not patches and not alone and any(m.headers for m in mails):
        return [], [], notes
    if not patches:
        what = (f"{len(mails)} mail{'s' * (len(mails) != 1)}, none with a diff" if any(m.headers for m in mails)
                else "no diff found")
        return [], [FileError(inp.source, f"no patch in this input ({what}); {_WHAT}")], []
    return patches, [], notes


def label_series(patches: list[Patch], fallback: dict[int, str]) -> None:
    """``0002/0003 subject`` for each patch (Finding.patch); a lone patch without a
    subject (the staged change, a plain diff) is named by its fallback alone."""
    total = len(patches)
    for i, patch in enumerate(patches, 1):
        if patch.subject:
            patch.label = f"{i:04d}/{total:04d} {clean_subject(patch.subject)}"
        else:
            name = fallback.get(id(patch), patch.source)
            patch.label = name if total == 1 else f"{i:04d}/{total:04d} {name}"


def load(inputs: list[Input]) -> tuple[list[Patch], list[FileError], list[str]]:
    patches, errors, notes = [], [], []
    fallback = {}
    for inp in inputs:
        got, errs, more = patches_from(inp, alone=len(inputs) == 1)
        for p in got:
            fallback[id(p)] = inp.label or os.path.basename(inp.source)
        patches += got
        errors += errs
        notes += more
    if not patches and not errors and inputs:  # only cover letters: nothing at all to check
        errors.append(FileError(inputs[0].source, f"no patch in {len(inputs)} inputs (only mails without a "
                                                  f"diff); {_WHAT}"))
    label_series(patches, fallback)
    return patches, errors, notes
