"""The FOL003 conversion planner: functions some of whose callers already hold a folio.

FOL003 warns when every caller of a ``struct page *`` function hands it a page of
a folio it holds.  Most functions kernel developers convert are not there yet:
some callers hold a folio, others still pass a plain page.  ``plan`` ranks those
*candidates* from the tree index: for each page parameter of each function
defined in the checked files, the callers that pass a folio's page
(``&folio->page``, ``folio_page(folio, n)``, a local set only from those), the
share they are of all the callers, and each caller that passes a plain page
with a judgement: could it itself pass a folio?

* ``folio-of-page``: it holds ``f = page_folio(page)`` already: pass ``f``;
* ``from-folio``: the page it passes is taken from a folio on some path;
* ``candidate``: it passes its own page parameter and is itself a candidate
  (convert it first, or together);
* ``folio-in-scope``: it has some folio variable (check it is that page's);
* ``no``: no folio in sight (the page comes from an array, a field, a pfn ...).

Judging a plain caller needs the caller's code, which the index does not keep:
the files of those callers are parsed again (in worker processes), only for the
functions kept by ``min_share``.  The share decides the order; callers inside
macros count as callers of unknown kind.  A function whose name is used as a
value (a callback) stays in, marked: converting it means converting the member
of the structure it is stored in.

Three kinds of function some callers hand a folio's page are not conversion
candidates, and are left out with the reason (``LeftOut``):

* a page API that has a folio API (FOL006's table, or a folio counterpart
  declared beside it: ``folint.candidates_counterparts``): callers holding a
  folio call the folio API instead, nothing is converted;
* a compat wrapper (its body only turns the page into a folio) that still has
  plain-page callers: they are what it is kept for;
* a function every folio-holding caller hands a page *inside* the folio
  (``folio_page(folio, i)``): it works on one page on purpose.

On linux 6.1 none of the functions in these three classes was converted by
6.12 (``bench/candidates.py``), and 64 of the 187 functions with a folio caller
fall in them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from folint.candidates_counterparts import find_counterparts
from folint.enums import StrEnum
from folint.index.records import FolioPage, FolioValue, PlainPage
from folint.index.summary_calls import FOLIO_PAGE_CALLS
from folint.index.tree import Call, Def, TreeIndex

DEFAULT_MIN_SHARE = 0.0  # every function with at least one caller holding a folio


class Judgement(StrEnum):
    """Whether a caller that passes a plain page could pass a folio instead."""

    FOLIO_OF_PAGE = "folio-of-page"
    FROM_FOLIO = "from-folio"
    CANDIDATE = "candidate"
    FOLIO_IN_SCOPE = "folio-in-scope"
    NO = "no"
    UNKNOWN = "unknown"  # the caller's code could not be read again

    @property
    def could_take_folio(self) -> bool:
        return self in (Judgement.FOLIO_OF_PAGE, Judgement.FROM_FOLIO, Judgement.CANDIDATE,
                        Judgement.FOLIO_IN_SCOPE)


@dataclass(frozen=True)
class Caller:
    """One call of a candidate: where, from which function, with what argument."""

    path: str
    line: int
    col: int
    function: str  # the calling function
    argument: str  # the page argument's text
    folio_index: str | None = None  # for a folio's page: which page ("0": the first)

    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class PlainCaller:
    """A call passing a plain page, and whether that caller could pass a folio."""

    site: Caller
    judgement: Judgement
    detail: str  # e.g. "holds `folio = page_folio(page)`", "no folio in sight"

    @property
    def could_take_folio(self) -> bool:
        return self.judgement.could_take_folio


@dataclass(frozen=True)
class Candidate:
    """A page parameter of a function, and what its callers pass it."""

    name: str
    path: str
    line: int
    col: int
    index: int  # the parameter's position
    param: str
    signature: str
    folio_callers: tuple[Caller, ...]
    plain_callers: tuple[PlainCaller, ...] = ()
    unknown_callers: tuple[str, ...] = ()  # path:line of macros calling it
    roundtrip: bool = False  # the body only turns the page into a folio
    exported: bool = False
    also_defined: tuple[str, ...] = ()
    callback: tuple[str, ...] = ()  # files that use the name as a value: its type is a member's

    @property
    def callers(self) -> int:
        return len(self.folio_callers) + len(self.plain_callers) + len(self.unknown_callers)

    @property
    def share(self) -> float:
        """Share of the callers that pass a folio's page."""
        return len(self.folio_callers) / self.callers if self.callers else 0.0

    @property
    def reachable_share(self) -> float:
        """Share that pass a folio's page or could (their plain page judged convertible)."""
        could = sum(p.could_take_folio for p in self.plain_callers)
        return (len(self.folio_callers) + could) / self.callers if self.callers else 0.0

    @property
    def level(self) -> str:
        """``warning`` when every caller holds a folio and the type is its own (FOL003's
        territory: it warns), else ``note``."""
        return "warning" if self.share == 1.0 and not self.callback else "note"

    def sort_key(self) -> tuple:
        return (-self.share, -self.reachable_share, -len(self.folio_callers), self.path, self.line, self.name)

    def to_json(self) -> dict:
        return {
            "level": self.level, "function": self.name, "path": self.path, "line": self.line, "column": self.col,
            "param": self.param, "index": self.index, "signature": self.signature,
            "share": round(self.share, 3), "reachable_share": round(self.reachable_share, 3),
            "callers": self.callers, "roundtrip": self.roundtrip, "exported": self.exported,
            "also_defined": list(self.also_defined), "callback": list(self.callback),
            "folio_callers": [_site_json(s) for s in self.folio_callers],
            "plain_callers": [{**_site_json(p.site), "could_take_folio": p.could_take_folio,
                               "judgement": p.judgement, "detail": p.detail} for p in self.plain_callers],
            "unknown_callers": list(self.unknown_callers),
        }


def _site_json(s: Caller) -> dict:
    return {"path": s.path, "line": s.line, "column": s.col, "caller": s.function, "argument": s.argument}


@dataclass
class _Draft:
    """A candidate before its plain callers are judged."""

    d: Def
    family: list[Def]
    index: int
    folio: list[Call]
    plain: list[Call]
    macros: list[tuple[str, int]]
    callback: list[str]  # files using the name as a value
    judged: dict = field(default_factory=dict)  # Call -> (Judgement, detail, own parameter?)


# -- ranking ----------------------------------------------------------------------------

class LeftOut(StrEnum):
    """Why a function some callers hand a folio's page is not a conversion candidate."""

    FOLIO_API = "folio-api"  # a folio API exists (FOL006's table, or declared beside it)
    WRAPPER = "wrapper"  # it only turns the page into a folio: a compat wrapper for plain callers
    PER_PAGE = "per-page"  # every folio caller passes a page inside the folio: one page on purpose

    def explain(self, c: Candidate, folio_api: str | None = None, where: str = "") -> str:
        if self is LeftOut.FOLIO_API and where:
            return f"{folio_api}() takes a folio ({where}): callers holding a folio call it"
        if self is LeftOut.FOLIO_API:
            return f"{folio_api}() exists: callers holding a folio call it (FOL006 reports them)"
        if self is LeftOut.WRAPPER:
            return (f"only turns `{c.param}` into a folio: a compat wrapper for its {len(c.plain_callers)} "
                    f"plain-page caller(s); callers holding a folio call the folio function")
        return "every caller holding a folio passes a page other than the first: it works on one page on purpose"


@dataclass(frozen=True)
class Excluded:
    candidate: Candidate
    reason: LeftOut
    detail: str


@dataclass(frozen=True)
class Plan:
    """The ranked candidates, and the functions left out with the reason."""

    candidates: tuple[Candidate, ...]
    left_out: tuple[Excluded, ...] = ()
    min_share: float = DEFAULT_MIN_SHARE


def plan(index: TreeIndex, *, min_share: float = DEFAULT_MIN_SHARE, paths: Iterable[str] | None = None,
         jobs: int = 1, max_size: int = 1 << 24, config=None) -> Plan:
    """The candidates of ``index``, highest share first.

    ``paths``: only functions defined in these files (compared as real paths;
    default: every file of the index).  ``min_share``: leave out functions whose
    share of callers passing a folio's page is lower.  Plain callers' files are
    parsed again (``jobs`` workers) to judge them.  ``config`` gives the page-API
    -> folio-API table (FOL006's, with its plugins and ``[[page-api]]`` entries)."""
    keep = {os.path.realpath(p) for p in paths} if paths is not None else None
    drafts = [dr for dr in _drafts(index, keep) if _share(dr) >= min_share]
    _judge(drafts, index, jobs, max_size)
    table = folio_api_table(config)
    beside = find_counterparts(index, [dr.d for dr in drafts if dr.d.name not in table], max_size)
    kept, left = [], []
    for dr in drafts:
        c = _candidate(index, dr)
        reason = _left_out(c, table, beside)
        if reason is None:
            kept.append(c)
        elif c.name in beside:
            left.append(Excluded(c, reason, reason.explain(c, beside[c.name].name, beside[c.name].where())))
        else:
            left.append(Excluded(c, reason, reason.explain(c, table.get(c.name))))
    left.sort(key=lambda e: e.candidate.sort_key())
    return Plan(tuple(sorted(kept, key=Candidate.sort_key)), tuple(left), min_share)


def _left_out(c: Candidate, table: dict[str, str], beside: dict) -> LeftOut | None:
    if c.name in table or c.name in beside:
        return LeftOut.FOLIO_API
    if c.roundtrip and c.share < 1.0:
        return LeftOut.WRAPPER
    if all(s.folio_index != "0" for s in c.folio_callers):
        return LeftOut.PER_PAGE
    return None


def folio_api_table(config=None) -> dict[str, str]:
    """page API -> its folio API, as FOL006 knows them (through the rule, a plugin)."""
    from folint.config import Config
    from folint.selection import build_rules

    for rule in build_rules(config or Config(), ["FOL006"], []):
        table = getattr(rule, "table", None) or {}
        return {name: getattr(pair, "folio", "") for name, pair in table.items()}
    return {}


def _share(dr: _Draft) -> float:
    total = len(dr.folio) + len(dr.plain) + len(dr.macros)
    return len(dr.folio) / total if total else 0.0


def _drafts(index: TreeIndex, keep: set[str] | None) -> list[_Draft]:
    out, seen = [], set()
    for d in index.definitions():
        if keep is not None and os.path.realpath(d.path) not in keep:
            continue
        fam = index.family(d)
        key = tuple(sorted((x.path, x.line) for x in fam))
        if key in seen:
            continue
        seen.add(key)
        callers = index.callers(d)
        macros = index.macro_callers(d)
        for i in d.rec.page_params:
            folio, plain = [], []
            for c in callers:
                (folio if isinstance(c.arg(i), (FolioPage, FolioValue)) else plain).append(c)
            if folio:
                out.append(_Draft(d, fam, i, folio, plain, macros, index.address_taken(d)))
    return out


def _site(c: Call, i: int) -> Caller:
    arg = c.arg(i)
    text = arg.text if isinstance(arg, (FolioPage, PlainPage, FolioValue)) else ""
    index = arg.index if isinstance(arg, FolioPage) else "0" if isinstance(arg, FolioValue) else None
    return Caller(c.path, c.line, c.col, c.caller or "", text, index)


def _candidate(index: TreeIndex, dr: _Draft) -> Candidate:
    d, i = dr.d, dr.index
    plain = []
    for c in dr.plain:
        judgement, detail, _own = dr.judged.get(c, (Judgement.UNKNOWN, "not read again", False))
        plain.append(PlainCaller(_site(c, i), judgement, detail))
    uses = [(x.rec.uses or {}).get(i) for x in dr.family if i in x.rec.page_params]
    roundtrip = bool(uses) and all(u is not None and u.other == 0 for u in uses) and any(u and u.roundtrip for u in uses)
    return Candidate(
        name=d.name, path=d.path, line=d.line, col=d.rec.col, index=i, param=d.rec.params[i].name,
        signature=d.rec.signature, folio_callers=tuple(_site(c, i) for c in dr.folio),
        plain_callers=tuple(sorted(plain, key=lambda p: (not p.could_take_folio, p.site.path, p.site.line))),
        unknown_callers=tuple(f"{p}:{line}" for p, line in dr.macros), roundtrip=roundtrip,
        exported=index.exported(d), callback=tuple(dr.callback), also_defined=tuple(f"{x.path}:{x.line}" for x in dr.family if x != d))


# -- judging the plain callers ---------------------------------------------------------------

def _judge(drafts: list[_Draft], index: TreeIndex, jobs: int, max_size: int) -> None:
    """Fill each draft's ``judged``: parse each plain caller's file once."""
    from folint.pool import parallel_map

    by_path: dict[str, list[tuple[int, int, int]]] = {}
    for dr in drafts:
        for c in dr.plain:
            by_path.setdefault(c.path, []).append((c.line, c.col, dr.index))
    items = [(p, tuple(sorted(set(v)))) for p, v in sorted(by_path.items())]
    answers: dict[tuple[str, int, int, int], tuple[Judgement, str, bool]] = {}
    for path, got in parallel_map(_judge_file, items, jobs=jobs, initializer=_init, initargs=(max_size,),
                                  ordered=False, chunksize=4, serial_below=16):
        for (line, col, i), answer in got.items():
            answers[(path, line, col, i)] = answer
    shares = {(dr.d.name, dr.d.path if dr.d.file_local else None): _share(dr) for dr in drafts}
    for dr in drafts:
        for c in dr.plain:
            j = answers.get((c.path, c.line, c.col, dr.index), (Judgement.UNKNOWN, "file not read", False))
            dr.judged[c] = _resolve_own(j, c, index, shares)


def _resolve_own(answer, c: Call, index: TreeIndex, shares: dict) -> tuple[Judgement, str, bool]:
    """A caller passing its own page parameter could take a folio when it is itself a candidate."""
    judgement, detail, own = answer
    if not own or judgement in (Judgement.FOLIO_OF_PAGE, Judgement.FROM_FOLIO):
        return answer
    caller = c.caller
    for d in index.defs.get(caller, ()):
        if d.file_local and d.path != c.path:
            continue
        share = shares.get((caller, d.path if d.file_local else None))
        if share is not None:
            return Judgement.CANDIDATE, f"passes its own page parameter; {caller}() is itself a candidate " \
                                        f"({share:.0%} of its callers hold a folio)", True
        # not ranked here (defined outside the files planned for): its callers in the index say
        holding = [x for x in index.callers(d) if any(isinstance(x.arg(k), (FolioPage, FolioValue))
                                                      for k in d.rec.page_params)]
        if holding:
            return Judgement.CANDIDATE, f"passes its own page parameter; {caller}() is itself a candidate " \
                                        f"(a caller of it holds a folio: {holding[0].where()})", True
    if judgement == Judgement.FOLIO_IN_SCOPE:
        return answer
    return Judgement.NO, f"passes its own page parameter and no caller of {caller}() holds a folio", True


_worker: dict = {}


def _init(max_size: int) -> None:
    _worker["max_size"] = max_size


def _judge_file(item: tuple[str, tuple]) -> tuple[str, dict]:
    """(path, {(line, col, arg index): (judgement, detail, own parameter?)}) for one file."""
    from folint.index.files import tree_bytes
    from folint.source import SourceFile

    path, calls = item
    raw = tree_bytes(path, _worker["max_size"])
    if raw is None:
        return path, {k: (Judgement.UNKNOWN, "cannot read the file again", False) for k in calls}
    try:
        src = SourceFile(path, raw)
        return path, {(line, col, i): judge_call(src, line, col, i) for line, col, i in calls}
    except Exception as e:  # a caller's file that no longer parses leaves its callers unknown
        return path, {k: (Judgement.UNKNOWN, f"cannot parse the file again ({type(e).__name__})", False)
                      for k in calls}


def judge_call(src, line: int, col: int, i: int) -> tuple[Judgement, str, bool]:
    """Could the caller of the call at (``line``, ``col``) pass a folio as argument ``i``?"""
    from folint import cnodes
    from folint.vocab import is_folio_pointer_type

    call = src.node_at(src.byte_at(line, col), ("call_expression",))
    fn = src.function_at(call) if call is not None else None
    args = cnodes.call_args(call) if call is not None else []
    if fn is None or i >= len(args):
        return Judgement.UNKNOWN, "the call is no longer where the index saw it", False
    arg = _strip(args[i])
    name = cnodes.text(arg) if arg.type == "identifier" else None
    own = name is not None and any(p == name for p, _ in fn.params)
    folios = [v for v, t in fn.var_types.items() if is_folio_pointer_type(t)]
    if name is not None:
        for f in folios:
            for w in fn.writes.get(f, ()):
                value = _strip(cnodes.written_value(w))
                if value is not None and cnodes.call_name(value) == "page_folio" \
                        and any(cnodes.text(_strip(a)) == name for a in cnodes.call_args(value)):
                    return Judgement.FOLIO_OF_PAGE, f"holds `{f} = page_folio({name})`: pass `{f}`", own
        for w in fn.writes.get(name, ()):
            value = _strip(cnodes.written_value(w))
            holder = _folio_of_page_expr(value) if value is not None else None
            if holder is not None:
                at = src.position(w.start_byte)[0]
                return Judgement.FROM_FOLIO, f"`{name}` is set from folio `{holder}` at line {at}", own
    if folios:
        shown = ", ".join(f"`{f}`" for f in folios[:3])
        return Judgement.FOLIO_IN_SCOPE, f"has folio {shown} in scope (check it is this page's)", own
    return Judgement.NO, "no folio in sight", own


def _strip(node):
    from folint import cnodes

    node = cnodes.strip_parens(node)
    while node is not None and node.type == "cast_expression":
        node = cnodes.strip_parens(node.child_by_field_name("value"))
    return node


def _folio_of_page_expr(node) -> str | None:
    """The folio ``node`` takes a page from: ``folio_page(f, n)``, ``&f->page``."""
    from folint import cnodes

    if cnodes.call_name(node) in FOLIO_PAGE_CALLS:
        args = cnodes.call_args(node)
        return cnodes.text(args[FOLIO_PAGE_CALLS[cnodes.call_name(node)][0]]) if args else None
    if node.type == "pointer_expression" and cnodes.text(node.child_by_field_name("operator")) == "&":
        arg = _strip(node.child_by_field_name("argument"))
        if arg is not None and arg.type == "field_expression" and cnodes.text(arg.child_by_field_name("field")) == "page":
            holder = arg.child_by_field_name("argument")
            return cnodes.text(holder) if holder is not None and "folio" in cnodes.text(holder) else None
    return None
