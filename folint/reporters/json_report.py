"""JSON: a stable shape that later features extend but never break.

    {"folint": VERSION,
     "findings": [{"code", "name", "path", "line", "column", "end_line",
                   "end_column", "function", "message", "verdict",
                   "evidence", "trace"}],
     "errors": [{"path", "message"}],
     "summary": {"files", "parsed", "findings", "seconds"}}
    (plus "refuted", "oversize_skipped" and "partial" when they apply)
"""

from __future__ import annotations

import json

from folint import __version__


def as_dict(result) -> dict:
    summary = {"files": result.files, "parsed": result.parsed, "findings": len(result.findings),
               "seconds": result.seconds}
    if result.refuted:
        summary["refuted"] = result.refuted
    if result.oversize_skipped:
        summary["oversize_skipped"] = result.oversize_skipped  # over max-file-size, none of the needles
    if result.partial:
        summary["partial"] = result.partial
    return {
        "folint": __version__,
        "findings": [f.to_json() for f in result.findings],
        "errors": [e.to_json() for e in result.errors],
        "summary": summary,
    }


def render(result, **_options) -> str:
    return json.dumps(as_dict(result), indent=2) + "\n"
