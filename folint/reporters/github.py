"""GitHub Actions workflow commands: one annotation per finding and per error.

    ::error file=mm/swap.c,line=12,col=5,endLine=12,endColumn=30,title=FOL001 loop-returns-on-first-page::message

Confirmed findings are ``::error``, the other verdicts ``::warning``; files that
could not be checked are ``::warning`` with the file only.  Property values and
messages are escaped as the runner expects (``%``, CR, LF; also ``:`` and ``,``
in properties).
"""

from __future__ import annotations


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(str(text)).replace(":", "%3A").replace(",", "%2C")


def _command(kind: str, props: dict, message: str) -> str:
    inner = ",".join(f"{k}={_prop(v)}" for k, v in props.items())
    return f"::{kind} {inner}::{_data(message)}"


def render(result, **_options) -> str:
    out = []
    for f in result.findings:
        kind = "error" if f.verdict == "confirmed" else "warning"
        props = {"file": f.path, "line": f.line, "col": f.column, "endLine": f.end_line,
                 "endColumn": f.end_column, "title": f"{f.code} {f.name}"}
        message = f"{f.message} [{f.code}] ({f.verdict})"
        if f.evidence:
            message += f"\n{f.verdict}: {f.evidence}"
        if f.patch:
            message += f"\nintroduced by: {f.patch}"
        out.append(_command(kind, props, message))
    for e in result.errors:
        out.append(_command("warning", {"file": e.path, "title": "folint: not checked"}, e.message))
    return "".join(line + "\n" for line in out)
