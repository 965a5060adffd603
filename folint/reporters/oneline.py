"""One line per finding, for tools that count lines (b4's per-patch check, kbuild, editors).

    path:line:col: ERROR: message [CODE] (confirmed)
    path:line:col: WARNING: message [CODE] (inconclusive)

``ERROR:`` marks a finding the simulator confirmed (b4 counts a line holding
``ERROR:`` as a failure), every other verdict is ``WARNING:``.  No summary, no
source lines: a clean run prints nothing.  The message is kept on one line.
"""

from __future__ import annotations


def severity(verdict: str) -> str:
    return "ERROR" if verdict == "confirmed" else "WARNING"


def one_line(text: str) -> str:
    return " ".join(text.split())


def line_for(f) -> str:
    return f"{f.path}:{f.line}:{f.column}: {severity(f.verdict)}: {one_line(f.message)} [{f.code}] ({f.verdict})"


def render(result, **_options) -> str:
    return "".join(line_for(f) + "\n" for f in result.findings)
