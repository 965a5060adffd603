"""Human output: ``path:line:col: warning: message [CODE]``, the source line, a caret.

Colour only on a terminal, and never when NO_COLOR is set.
"""

from __future__ import annotations

import os

from folint.finding import printable
from folint.reading import read_regular
from folint.enums import Verdict

EXCERPT = 160  # characters of a long source line shown under a finding
REREAD_LIMIT = 1 << 30  # a file re-read for its source lines was checked, so it is within max-file-size

_COLOURS = {"bold": "1", "yellow": "33", "red": "31", "green": "32", "cyan": "36", "dim": "2"}


def use_colour(stream) -> bool:
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


class _Paint:
    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, s: str, *styles: str) -> str:
        if not self.enabled:
            return s
        return "".join(f"\033[{_COLOURS[x]}m" for x in styles) + s + "\033[0m"


# Control characters in a source line (a NUL, an escape sequence) are shown as spaces:
# they must not reach the terminal, and a space keeps the caret's column.
_CONTROLS = {c: " " for c in [*range(0x00, 0x09), *range(0x0a, 0x20), 0x7f]}


def _source_line(path: str, line: int, cache: dict) -> str | None:
    if path not in cache:
        try:  # the checked file again: a regular file only, never blocking (folint.reading)
            cache[path] = read_regular(path, REREAD_LIMIT).decode("utf-8", "replace").split("\n")
        except OSError:
            cache[path] = None
    lines = cache[path]
    if lines is None or line > len(lines):
        return None
    return lines[line - 1].rstrip("\r").translate(_CONTROLS)


def clip(line: str, start: int, width: int, room: int = EXCERPT) -> tuple[str, int, int]:
    """The excerpt of ``line`` shown under a finding: the whole line when it is short,
    else about ``room`` characters around the column, marked with "..." where cut.
    Returns (excerpt, column of the caret in it, caret width), so a 1 MB line costs
    a few hundred bytes a finding, not a megabyte."""
    if len(line) <= room:
        return line, start, width
    width = min(width, room // 2)
    lo = max(0, start - room // 4)
    hi = min(len(line), lo + room)
    head = "..." if lo > 0 else ""
    tail = "..." if hi < len(line) else ""
    return head + line[lo:hi] + tail, len(head) + start - lo, width


def render_errors(result) -> str:
    """Error lines, for stderr: ``path: error: what happened; what to do``."""
    return "".join(f"{printable(e.path)}: error: {printable(e.message)}\n" for e in result.errors)


def _refuted(result) -> str:
    """The summary's words on refuted findings: those shown (--show-refuted) by what
    refuted them, those hidden counted (a hidden one's reason is not kept)."""
    shown = [f for f in result.findings if f.verdict == Verdict.REFUTED]
    hidden = result.refuted - len(shown)
    out = ""
    if shown:
        from folint.caller_context import by_callers

        callers = sum(map(by_callers, shown))
        kinds = [(n, what) for n, what in ((len(shown) - callers, "simulation"), (callers, "the callers")) if n]
        out += f"; {len(shown)} refuted by {kinds[0][1]}" if len(kinds) == 1 else \
            f"; {len(shown)} refuted ({', '.join(f'{n} by {what}' for n, what in kinds)})"
    if hidden > 0:
        out += f"; {hidden} refuted by simulation or by the callers (hidden; --show-refuted shows them)"
    return out


def render(result, *, colour: bool = False, verbose: bool = False, sources: dict | None = None,
           summary: bool = True) -> str:
    """``sources`` maps a path to its text when it is not on disk (check-patch).
    ``summary=False`` (``-q``): the findings alone, nothing at all for a clean run."""
    paint = _Paint(colour)
    cache: dict = {p: t.split("\n") for p, t in (sources or {}).items()}
    out = []
    for f in result.findings:
        where = f"{printable(f.path)}:{f.line}:{f.column}:"
        out.append(f"{paint(where, 'bold')} {paint('warning:', 'yellow', 'bold')} {f.message} "
                   f"{paint('[' + f.code + ']', 'cyan')}")
        # check-patch: the file as the finding's patch left it
        src = _source_line((f.patch, f.path) if (f.patch, f.path) in cache else f.path, f.line, cache)
        if src is not None:
            width = max(1, (f.end_column - f.column) if f.end_line == f.line else len(src) - f.column + 1)
            text, start, width = clip(src, f.column - 1, width)
            prefix = text[:start].expandtabs(8)
            out.append(f"    {text.expandtabs(8)}")
            out.append("    " + " " * len(prefix) + paint("^" + "~" * (width - 1), "green"))
        if f.patch:
            out.append(f"    introduced by: {f.patch}")
        if f.verdict != Verdict.UNVERIFIED:
            out.append(f"    {paint(f.verdict + ':', 'bold')} {f.evidence}".rstrip())
        if verbose and f.trace:
            for i, step in enumerate(f.trace, 1):
                out.append(paint(f"      {i:>2}. line {step.get('line', '?')}: {step.get('event', '')}", "dim"))
    if not summary:
        return "".join(line + "\n" for line in out)
    n = len(result.findings)
    tail = f"{n} finding{'s' * (n != 1)} in {result.files} file{'s' * (result.files != 1)} " \
           f"({result.parsed} parsed, {result.seconds:.2f}s)"
    tail += _refuted(result)
    skipped = result.oversize_skipped
    if skipped:
        tail += f"; {skipped} file{'s' * (skipped != 1)} over the size limit skipped (none of the rules' needles)"
    if result.errors:
        tail += f"; {len(result.errors)} error{'s' * (len(result.errors) != 1)}"
    if result.partial:
        tail += f"; partial check: {result.partial}"
    out.append(tail)
    return "\n".join(out) + "\n"
