"""The records that flow out of checking: findings and file errors."""

from __future__ import annotations

from dataclasses import dataclass, field

from folint.enums import Verdict

VERDICTS = tuple(v.value for v in Verdict)


def printable(text: str) -> str:
    """``text`` (a file name, or a message holding one) safe to print and to put in JSON:
    bytes that are not UTF-8 (kept losslessly as surrogates, the way ``os`` reads names)
    are shown escaped, ``caf\\xe9.c``; valid text is unchanged."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


@dataclass
class Finding:
    """One place where a rule fired.  Lines and columns are 1-based; columns count bytes."""

    code: str
    name: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    function: str | None
    message: str
    verdict: Verdict = Verdict.UNVERIFIED
    evidence: str = ""
    trace: list[dict] = field(default_factory=list)
    # Set by check-patch: which patch of a series introduced the finding.
    patch: str | None = None
    # Normalised text of the offending statement: how check-patch matches a
    # finding before and after a patch (line numbers move, text does not).
    statement: str = ""
    # Rule-private data for the simulator (byte ranges, names); never reported.
    data: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def key(self) -> tuple:
        """Identity of a finding across versions of a file (no line numbers)."""
        return (self.code, self.function, self.statement)

    def to_json(self) -> dict:
        out = {
            "code": self.code,
            "name": self.name,
            "path": printable(self.path),
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "function": self.function,
            "message": printable(self.message),
            "verdict": self.verdict,
            "evidence": self.evidence,
            "trace": list(self.trace),
        }
        if self.patch is not None:
            out["patch"] = self.patch
        return out

    def sort_key(self) -> tuple:
        return (self.path, self.line, self.column, self.code)


@dataclass
class FileError:
    """A file (or patch) folint could not check fully; reported, never raised."""

    path: str
    message: str

    def to_json(self) -> dict:
        return {"path": printable(self.path), "message": printable(self.message)}

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"
