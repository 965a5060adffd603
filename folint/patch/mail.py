"""Split patch input into mails and read their headers.

Input is one of: a mailbox (``git format-patch --stdout``, a series saved by a
mail client or b4: mails each opening with a ``From <sha-or-address> <date>``
line), a single mail saved without that line (headers first), or a plain
unified diff.  Headers and transfer encodings are read with the standard
library's ``email`` package.  The splitting is done here, not by
``mailbox.mbox``, because ``mailbox`` needs a file on disk (stdin is not one)
and does not say on which line a mail starts, which every error line needs.
"""

from __future__ import annotations

import binascii
import email.parser
import email.policy
import re
from dataclasses import dataclass
from email.message import EmailMessage

from folint.patch.model import decode, split_lines

# "From 1a2b3c Mon Sep 17 00:00:00 2001", "From git@z Thu Jan  1 00:00:00 1970",
# "From jane@example.org Tue Jan  2 10:00:00 2024"
_FROM_LINE = re.compile(rb"^From \S+ +[A-Z][a-z]{2} [A-Z][a-z]{2} +\d{1,2} \d{1,2}:\d{2}(:\d{2})?( \S+)? +\d{4}\s*$")
_HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:[ \t]")
_PLAIN_ENCODINGS = (None, "7bit", "8bit", "binary")
_DIFF_START = re.compile(r"^(diff |--- |Index: |Binary files )", re.MULTILINE)


@dataclass
class Mail:
    line: int                          # 1-based line where the mail starts in the input
    headers: EmailMessage | None       # None: a plain diff, no mail around it
    body: str
    body_line: int | None              # input line of the body's first line, when lines map 1:1
    error: str | None = None           # the body could not be decoded (its transfer encoding is broken)

    def header(self, name: str) -> str | None:
        if self.headers is None:
            return None
        try:
            value = self.headers.get(name)
        except Exception:  # noqa: BLE001  a malformed header must not end the run
            return None
        return " ".join(str(value).split()) if value is not None else None


def _is_blank(line: bytes) -> bool:
    return line in (b"\n", b"\r\n", b"")


def _looks_like_mail(lines: list[bytes]) -> bool:
    """Headers first (``From:``, ``Subject:``...), then a blank line."""
    names = set()
    for line in lines[:200]:
        if _is_blank(line):
            break
        if line[:1] in (b" ", b"\t"):
            continue  # folded header
        if not _HEADER_LINE.match(line):
            return False
        names.add(line.split(b":", 1)[0].lower())
    return bool(names & {b"subject", b"from", b"message-id"})


def split_mails(raw: bytes) -> list[Mail]:
    lines = split_lines(raw)
    first = next((i for i, ln in enumerate(lines) if not _is_blank(ln)), None)
    if first is None:
        return []
    if _FROM_LINE.match(lines[first]):
        starts = [i for i, ln in enumerate(lines)
                  if _FROM_LINE.match(ln) and (i == first or _is_blank(lines[i - 1]))]
        ends = starts[1:] + [len(lines)]
        return [_mail(lines[s + 1:e], s + 1, s + 2) for s, e in zip(starts, ends)]
    if _looks_like_mail(lines[first:]):
        return [_mail(lines[first:], first + 1, first + 1)]
    return [Mail(1, None, decode(raw), 1)]


def _mail(lines: list[bytes], start: int, header_line: int) -> Mail:
    """One mail from its lines; ``start`` is its first input line (the ``From`` line
    in a mailbox), ``header_line`` the input line of its first header."""
    blank = next((i for i, ln in enumerate(lines) if _is_blank(ln)), len(lines))
    msg = email.parser.BytesParser(policy=email.policy.default).parsebytes(b"".join(lines))
    body_bytes = b"".join(lines[blank + 1:])
    cte = (msg.get("Content-Transfer-Encoding") or "").strip().lower() or None
    if not msg.is_multipart() and cte in _PLAIN_ENCODINGS:
        return Mail(start, msg, decode(body_bytes), header_line + blank + 1)
    body, error = _decoded_body(msg)
    return Mail(start, msg, body, None, error)


def _broken_encoding(part) -> str | None:
    """Why the part's transfer encoding did not decode (the email package only notes it)."""
    cte = (part.get("Content-Transfer-Encoding") or "").strip().lower()
    bad = [d for d in part.defects if type(d).__name__.startswith(("InvalidBase64", "InvalidQuotedPrintable"))]
    if bad:
        return f"its {cte or 'encoded'} body does not decode ({type(bad[0]).__name__})"
    if cte == "base64":
        raw = "".join(str(part.get_payload()).split())
        try:
            binascii.a2b_base64(raw.encode("ascii", "replace"), strict_mode=True)
        except (binascii.Error, ValueError) as e:
            return f"its base64 body does not decode ({e})"
    return None


def _decoded_body(msg: EmailMessage) -> tuple[str, str | None]:
    """The part holding the diff (inline or attached), transfer encoding undone, and why
    it could not be decoded (None when it could)."""
    first_text = None
    for part in msg.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        error = _broken_encoding(part)
        if error is not None and (part.get_content_maintype() == "text" or first_text is None):
            return "", error
        text = decode(payload)
        if _DIFF_START.search(text):
            return text, None
        if first_text is None and part.get_content_maintype() == "text":
            first_text = text
    return first_text or "", None
