"""SARIF 2.1.0: rule metadata, results with regions, and simulator traces as code flows."""

from __future__ import annotations

import json
import urllib.parse

from folint import __version__
from folint.enums import Verdict
from folint.finding import printable

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Verdict.CONFIRMED: "error", Verdict.UNVERIFIED: "warning", Verdict.INCONCLUSIVE: "warning",
          Verdict.REFUTED: "note"}


def _rule_meta(cls) -> dict:
    return {
        "id": cls.code,
        "name": cls.name,
        "shortDescription": {"text": cls.summary},
        "fullDescription": {"text": cls.doc().split("\n\n", 1)[-1].strip() or cls.summary},
        "help": {"text": cls.doc() or cls.summary},
        "properties": {"tags": ["folio"]},
    }


def _uri(path: str) -> str:
    """A file name as a URI reference; one that is not UTF-8 is percent-encoded byte for byte."""
    if printable(path) == path:
        return path
    return urllib.parse.quote(path.encode("utf-8", "surrogateescape"), safe="/")


def _location(path: str, line: int, col: int, end_line: int | None = None, end_col: int | None = None) -> dict:
    region = {"startLine": line, "startColumn": col}
    if end_line:
        region.update(endLine=end_line, endColumn=max(end_col or col, 1))
    path = _uri(path)
    return {"physicalLocation": {"artifactLocation": {"uri": path[2:] if path.startswith("./") else path},
                                 "region": region}}


def _result(f, rule_index: dict) -> dict:
    res = {
        "ruleId": f.code,
        "level": _LEVEL.get(f.verdict, "warning"),
        "message": {"text": printable(f.message)},
        "locations": [_location(f.path, f.line, f.column, f.end_line, f.end_column)],
        "partialFingerprints": {"folint/v1": "|".join(str(x) for x in f.key)},
        "properties": {"verdict": f.verdict, "function": f.function, "evidence": f.evidence},
    }
    if f.code in rule_index:
        res["ruleIndex"] = rule_index[f.code]
    if f.patch:
        res["properties"]["patch"] = f.patch
    if f.trace:
        res["codeFlows"] = [{"threadFlows": [{"locations": [
            {"location": {**_location(f.path, step.get("line") or f.line, 1),
                          "message": {"text": step.get("event", "")}}, "executionOrder": i}
            for i, step in enumerate(f.trace, 1)]}]}]
    return res


def render(result, *, rules: dict | None = None, **_options) -> str:
    from folint.selection import registered_rules

    classes = rules if rules is not None else registered_rules()
    ran = getattr(result, "rule_codes", None)
    if ran:
        classes = {code: cls for code, cls in classes.items() if code in ran}
    rule_list = [_rule_meta(cls) for cls in classes.values()]
    rule_index = {r["id"]: i for i, r in enumerate(rule_list)}
    run = {
        "tool": {"driver": {"name": "folint", "version": __version__, "rules": rule_list}},
        "results": [_result(f, rule_index) for f in result.findings],
        "invocations": [{
            "executionSuccessful": True,
            "toolExecutionNotifications": [
                {"level": "error", "message": {"text": printable(e.message)},
                 "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(e.path)}}}]}
                for e in result.errors],
        }],
    }
    return json.dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"
