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


@dataclass(frozen=True)
class LoopFacts:
    """The per-page loop a loop rule's finding is in, for the simulator and the rule's
    oracle: written by FOL001, FOL002, FOL004 and FOL005 (``PageLoop.finding_facts``),
    read by ``folint.sim.verify`` (which function to simulate: the one holding ``start``)
    and by each rule's oracle.  What only one rule needs stays in ``Finding.data``."""

    start: int  # first byte of the loop statement
    end: int
    index: str | None  # the index variable, if the loop has one
    folio: str | None  # the folio (or page, or array) walked, if known
    call: str | None = None  # the call the finding is about (FOL002, FOL004, FOL005)
    call_byte: int | None = None  # its first byte


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
    # The loop the finding is in (loop rules): typed, shared with the simulator.
    loop: LoopFacts | None = field(default=None, repr=False, compare=False)
    # Rule-private data for the rule's own oracle and fixes (byte offsets, names): read
    # only by the module that wrote it; never reported.
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
