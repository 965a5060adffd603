"""The index's typed records: what a summary holds, as the rules read it.

A summary is cached as compact JSON (lists and dicts, see ``folint.index.summary``);
this module is the one place that knows that layout.  ``TreeIndex`` turns each
entry into one of the records below as it loads a summary, so rules, the
verifier and the candidates planner read fields by name (``arg.folio``,
``call.caller``), never positions.  Changing a layout here means bumping
``folint.index.cache.SCHEMA`` so old caches are rebuilt, not misread.
"""

from __future__ import annotations

from typing import NamedTuple, Union


# -- call arguments -------------------------------------------------------------------

class FolioPage(NamedTuple):
    """A page taken from a folio the caller holds: ``&folio->page`` (form ``head``),
    ``folio_page(folio, n)`` / ``folio_file_page(folio, n)`` (form ``folio_page``), or a
    local every write of which is one of those (form ``var``)."""

    folio: str  # the folio expression's text
    index: str  # which page of it ("0" for the head page)
    form: str  # "head", "folio_page" or "var"
    start: int  # the argument's byte span in the file
    end: int
    text: str  # the argument's text

    @property
    def first_page(self) -> bool:
        return self.index == "0"


class PlainPage(NamedTuple):
    """Any other page (a ``struct page *`` variable, ``pfn_to_page(..)``)."""

    text: str


class FolioValue(NamedTuple):
    """A folio passed as such."""

    text: str


Arg = Union[FolioPage, PlainPage, FolioValue, None]

_TAGS = {FolioPage: "F", PlainPage: "P", FolioValue: "f"}
_BY_TAG = {tag: cls for cls, tag in _TAGS.items()}


def arg_to_json(arg: Arg) -> list | None:
    return None if arg is None else [_TAGS[type(arg)], *arg]


def arg_from_json(data: list | None) -> Arg:
    if not data:
        return None
    cls = _BY_TAG.get(data[0])
    return cls(*data[1:]) if cls is not None else None


def arg_json_moved(data: list | None, delta: int) -> list | None:
    """``arg_to_json``'s list for the same argument ``delta`` bytes further on in its file."""
    arg = arg_from_json(data)
    if isinstance(arg, FolioPage):
        return arg_to_json(arg._replace(start=arg.start + delta, end=arg.end + delta))
    return data


def passes_page(arg: Arg) -> bool:
    return isinstance(arg, (FolioPage, PlainPage))


# -- definitions, prototypes and calls --------------------------------------------------

class Param(NamedTuple):
    name: str  # may be empty in a prototype
    type: str
    text: str
    span: tuple[int, int]


class ParamUses(NamedTuple):
    """How a body uses one page parameter (``folint.index.summary_defs.param_uses``)."""

    roundtrip: int  # uses that are page_folio(param)
    other: int  # every other use
    folio_var: str | None  # `struct folio *folio_var = page_folio(param);` opening the body
    decl: tuple[int, int] | None  # that declaration's span (whole lines)

    def to_json(self) -> dict:
        return {"roundtrip": self.roundtrip, "other": self.other, "folio_var": self.folio_var,
                "decl": list(self.decl) if self.decl else None}

    @classmethod
    def from_json(cls, d: dict) -> ParamUses:
        return cls(d["roundtrip"], d["other"], d["folio_var"], tuple(d["decl"]) if d["decl"] else None)


class FunctionRecord(NamedTuple):
    """A definition (``body`` set) or prototype with a ``struct page *`` parameter."""

    name: str
    line: int
    col: int
    static: bool
    inline: bool
    weak: bool
    params: tuple[Param, ...]
    page_params: tuple[int, ...]
    end_line: int = 0
    end_col: int = 0
    signature: str = ""
    uses: dict[int, ParamUses] | None = None  # definitions only
    body: tuple[int, int] | None = None  # definitions only

    @classmethod
    def from_json(cls, d: dict) -> FunctionRecord:
        uses = {int(k): ParamUses.from_json(v) for k, v in d["uses"].items()} if "uses" in d else None
        return cls(d["name"], d["line"], d["col"], bool(d.get("static")), bool(d.get("inline")),
                   bool(d.get("weak")), tuple(Param(p["name"], p["type"], p["text"], tuple(p["span"]))
                                              for p in d["params"]),
                   tuple(d["page_params"]), d.get("end_line", d["line"]), d.get("end_col", d["col"]),
                   d.get("signature", ""), uses, tuple(d["body"]) if "body" in d else None)


class CallRecord(NamedTuple):
    """A call that passes a page."""

    callee: str
    line: int
    col: int
    caller: str  # the calling function's name
    args: tuple[Arg, ...]

    @classmethod
    def from_json(cls, d: dict) -> CallRecord:
        return cls(d["callee"], d["line"], d["col"], d["caller"], tuple(arg_from_json(a) for a in d["args"]))


class CallSite(NamedTuple):
    """Where a call is, for plans that cross processes (the simulator, the fix)."""

    path: str
    line: int
    col: int
    function: str  # the caller


class DefSite(NamedTuple):
    path: str
    line: int


def summary_defs(summary: dict) -> list[FunctionRecord]:
    return [FunctionRecord.from_json(d) for d in summary.get("defs", ())]


def summary_calls(summary: dict) -> list[CallRecord]:
    return [CallRecord.from_json(c) for c in summary.get("calls", ())]


class TreeSimPlan(NamedTuple):
    """What the simulator runs for a tree finding (``finding.data["sim"]``,
    read by ``folint.index.verify``): the caller function into the callee, or
    the callee alone when ``caller`` is None."""

    callee: str
    definition: DefSite
    caller: CallSite | None
    index: int = 0  # the page parameter
    param: str = ""
    own: str = ""  # how the callee uses it: "roundtrip", "unused" or "uses"
    unseen_callers: bool = False  # callers outside the checked folders were not looked for

    @property
    def simulated_path(self) -> str:
        return self.caller.path if self.caller is not None else self.definition.path
