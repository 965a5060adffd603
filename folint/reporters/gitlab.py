"""GitLab code quality report (the JSON array a ``codequality`` artifact holds).

Each finding is ``{"description", "check_name", "fingerprint", "severity",
"location": {"path", "lines": {"begin", "end"}}}`` with ``categories`` and
``content`` as extras.  Severity: ``critical`` for confirmed findings, ``major``
otherwise.  The fingerprint is stable across runs and line moves: a hash of the
rule, path, function and offending statement (the same identity check-patch uses).
"""

from __future__ import annotations

import hashlib
import json


def fingerprint(f) -> str:
    key = "\0".join([f.code, f.path, f.function or "", f.statement or f"{f.line}:{f.column}"])
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def issue(f) -> dict:
    body = f"verdict: {f.verdict}" + (f"; {f.evidence}" if f.evidence else "")
    return {
        "description": f"{f.message} [{f.code}]",
        "check_name": f"{f.code} {f.name}",
        "fingerprint": fingerprint(f),
        "severity": "critical" if f.verdict == "confirmed" else "major",
        "categories": ["Bug Risk"],
        "content": {"body": body},
        "location": {"path": f.path, "lines": {"begin": f.line, "end": max(f.end_line, f.line)}},
    }


def render(result, **_options) -> str:
    issues, seen = [], set()
    for f in result.findings:
        item = issue(f)
        n = 1
        while item["fingerprint"] in seen:  # the same statement twice in one function: keep them apart
            n += 1
            item["fingerprint"] = hashlib.sha256(f"{fingerprint(f)}#{n}".encode()).hexdigest()
        seen.add(item["fingerprint"])
        issues.append(item)
    return json.dumps(issues, indent=2) + "\n"
