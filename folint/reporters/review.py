"""``--format review``: a plain-text reply to each patch with findings, ready for a
mail client or ``git send-email`` (one mail per patch, as an mbox).

The reply quotes the patch with ``> ``, trimmed to the hunks with findings
and, in each, to the lines up to the last offending one; under each
offending quoted line comes the finding, its verdict and the evidence, in
the plain style reviewers use on the mailing lists.  Needs the patches
(``patches=``, from check-patch); ``sources`` gives the patched text for
findings outside the quoted hunks.
"""

from __future__ import annotations

import textwrap

from folint.patch.model import REMOVED, display
from folint.enums import Verdict

WIDTH = 72
MBOX_FROM = "From folint Mon Sep 17 00:00:00 2001"


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, break_long_words=False, break_on_hyphens=False) or [""]


def verdict_sentence(f) -> str:
    evidence = f.evidence.strip().rstrip(".")
    if f.verdict == Verdict.CONFIRMED:
        return f"Confirmed by simulation: {evidence}." if evidence else "Confirmed by simulation."
    if f.verdict == Verdict.REFUTED:
        from folint.caller_context import EVIDENCE, by_callers

        if by_callers(f):
            return f"Its callers refute this, so it may be a false positive: {evidence[len(EVIDENCE):]}."
        return f"The simulation refutes this, so it may be a false positive: {evidence}." if evidence \
            else "The simulation refutes this, so it may be a false positive."
    if f.verdict == Verdict.INCONCLUSIVE:
        return f"The simulation was inconclusive: {evidence}." if evidence else "The simulation was inconclusive."
    return "Found by a static check; not confirmed by simulation."


def comment(f) -> list[str]:
    """The reviewer's paragraph under an offending line."""
    out = [""]
    out += _wrap(f"{f.message[:1].upper()}{f.message[1:]}.".replace("..", "."))
    out += [""]
    out += _wrap(verdict_sentence(f))
    out += [f"(folint {f.code} {f.name})", ""]
    return out


def _quote(line: str) -> str:
    return display("> " + line).rstrip()


def _hunk_rows(hunk, findings: list) -> tuple[list[str], set[int]]:
    """The quoted hunk up to its last offending line, comments under offending lines,
    and the ids of the findings placed."""
    start = hunk.applied_at or hunk.new_start
    rows, placed = [_quote(hunk.header)], set()
    n = start
    positions = []  # (index in hunk.lines, post-image line)
    for i, ln in enumerate(hunk.lines):
        if ln.kind == REMOVED:
            positions.append((i, None))
        else:
            positions.append((i, n))
            n += 1
    post_lines = {line: i for i, line in positions if line is not None}
    under: dict[int, list] = {}
    for f in findings:
        if f.line in post_lines:
            last = max((x for x in post_lines if f.line <= x <= max(f.end_line, f.line)), default=f.line)
            under.setdefault(post_lines[last], []).append(f)
            placed.add(id(f))
    if not under:
        return [], placed
    stop = max(under)
    for i, ln in enumerate(hunk.lines[:stop + 1]):
        rows.append(_quote(ln.kind + ln.text.rstrip("\r\n")))
        for f in under.get(i, []):
            rows += comment(f)
    if stop + 1 < len(hunk.lines):
        rows.append("> [...]")
    return rows, placed


def _file_rows(change, findings: list, sources: dict) -> list[str]:
    rows: list[str] = []
    placed: set[int] = set()
    for hunk in change.hunks:
        got, ids = _hunk_rows(hunk, findings)
        placed |= ids
        if got:
            if rows:
                rows.append(">")
            rows += got
    if rows:
        rows = [_quote(h) for h in change.header if not h.startswith("index ")] + rows
    for f in findings:
        if id(f) in placed:
            continue
        text = (sources.get((f.patch, f.path)) or sources.get(f.path) or "").split("\n")
        src = text[f.line - 1].rstrip("\r") if 0 < f.line <= len(text) else ""
        where = f"{f.function}(), at " if f.function else ""
        rows += ["", *_wrap(f"Also in {where}{f.path}:{f.line}, outside the hunks quoted above:"), ""]
        if src:
            rows.append(f"\t{src.strip()}")
        rows += comment(f)
    return rows


def _headers(patch) -> list[str]:
    subject = patch.subject or patch.label.split(" ", 1)[-1]
    out = [MBOX_FROM, f"Subject: {subject if subject.lower().startswith('re:') else 'Re: ' + subject}"]
    if patch.message_id:
        out.append(f"In-Reply-To: {patch.message_id}")
        out.append(f"References: {' '.join(x for x in (patch.references, patch.message_id) if x)}")
    if patch.sender:
        out.append(f"To: {patch.sender}")
    cc = ", ".join(x for x in (patch.to, patch.cc) if x)
    if cc:
        out.append(f"Cc: {cc}")
    return out


def reply(patch, findings: list, sources: dict, partial: str | None) -> str:
    rows = _headers(patch) + [""]
    if patch.sender:
        rows.append(f"On {patch.date}, {patch.sender} wrote:" if patch.date else f"{patch.sender} wrote:")
    rows.append("> [...]")
    for change in patch.files:
        mine = [f for f in findings if f.path == display(change.path)]
        if mine:
            rows += _file_rows(change, mine, sources)
    while rows and rows[-1] == "":
        rows.pop()
    if partial:
        rows += ["", *_wrap(f"(folint: {partial}.)".replace("..", "."))]
    return "\n".join(rows).rstrip("\n") + "\n"


def render(result, *, patches=None, sources=None, **_options) -> str:
    mails = []
    for patch in patches or []:
        mine = [f for f in result.findings if f.patch == patch.label]
        if mine:
            mails.append(reply(patch, mine, sources or {}, result.partial))
    return "\n".join(mails)
