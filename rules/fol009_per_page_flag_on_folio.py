"""FOL009 per-page-flag-on-folio

What it does:
    Flags a page flag that is kept per page even inside a large folio (hwpoison,
    anon-exclusive: the flags with the ``PF_ANY`` policy in the tree's
    include/linux/page-flags.h, an API fact; ``folint facts TREE``) tested, set or
    cleared on the folio while a page of that folio is in hand:
    ``folio_test_hwpoison(page_folio(page))``, ``folio_set_hwpoison(folio)`` /
    ``folio_test_clear_hwpoison(folio)`` where ``folio = page_folio(page)`` or
    ``page = folio_file_page(folio, index)``, and the
    page accessors on the head page (``PageHWPoison(&folio->page)``,
    ``SetPageAnonExclusive(folio_page(folio, 0))``) in the same situation.  No
    finding where the code shows the folio is small (``if (!folio_test_large(folio))``,
    an order-0 allocation: ``folint.small_folio``), where it is a hugetlb folio
    (``folio_test_hugetlb()`` / ``PageHuge()`` on the way, or in mm/hugetlb.c and
    fs/hugetlbfs/, where these flags live on the head page by design), or where
    every caller passes, as the page in hand, a page of a hugetlb or small folio
    (``folint.caller_context``: the callers in the file for a static function; for
    any other, the callers across the kernel tree when the run or check-patch has
    one, and then the finding is refuted with the callers as evidence), or where
    the same condition also asks about the page itself or the whole folio
    (``!PageAnonExclusive(&folio->page) && !PageAnonExclusive(page)``,
    ``folio_test_has_hwpoisoned()``, ``folio_contain_hwpoisoned_page()``), or where
    the page itself was asked first (``if (PageHWPoison(page)) return true;``).

Why it is wrong:
    The folio accessors read and write the flag of the folio's head page.  For a
    per-page flag that is page 0, not the page the code holds: in a 4-page folio
    whose page 2 is poisoned, ``folio_test_hwpoison(page_folio(page))`` is false,
    and ``folio_set_hwpoison(folio)`` marks page 0 while page 2 is the bad one.

Example:
    struct folio *folio = page_folio(page);

    if (folio_test_hwpoison(folio))
            return -EHWPOISON;

Use instead:
    if (PageHWPoison(page))
            return -EHWPOISON;

    or, to ask about the whole folio, folio_contain_hwpoisoned_page(folio).
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from folint import caller_context, callindex, cnodes
from folint.rule import Rule
from folint.source import declared_names
from folint.vocab import page_expr
from folint.special_folios import hugetlb_at, special_code
from folint.small_folio import small_at

# Accessor name -> (operation, page-accessor prefix).  {f}: the flag, {P}: its Page name.
_FOLIO_OPS = {"folio_test_{f}": ("tests", "Page"), "folio_set_{f}": ("sets", "SetPage"),
              "folio_clear_{f}": ("clears", "ClearPage"), "__folio_set_{f}": ("sets", "__SetPage"),
              "__folio_clear_{f}": ("clears", "__ClearPage"), "folio_test_set_{f}": ("tests and sets", "TestSetPage"),
              "folio_test_clear_{f}": ("tests and clears", "TestClearPage")}
_PAGE_OPS = {"Page{P}": "tests", "SetPage{P}": "sets", "ClearPage{P}": "clears", "__SetPage{P}": "sets",
             "__ClearPage{P}": "clears", "TestSetPage{P}": "tests and sets", "TestClearPage{P}": "tests and clears"}
# Calls that show a condition asks about the folio as a whole.
_WHOLE_FOLIO = frozenset({"folio_test_has_hwpoisoned", "folio_contain_hwpoisoned_page"})


@dataclass(frozen=True)
class Accessor:
    flag: str
    page_name: str
    op: str
    replacement: str | None  # the page accessor to use instead
    on_folio: bool           # a folio_* accessor (else a Page* accessor)


def accessors(per_page_flags: list[dict]) -> dict[str, Accessor]:
    out = {}
    for item in per_page_flags:
        flag, pname = item["flag"], item.get("page_name")
        for pattern, (op, prefix) in _FOLIO_OPS.items():
            out[pattern.format(f=flag)] = Accessor(flag, pname or flag, op, f"{prefix}{pname}" if pname else None, True)
        if pname:
            for pattern, op in _PAGE_OPS.items():
                out[pattern.format(P=pname)] = Accessor(flag, pname, op, None, False)
    return out


def _page_folio_arg(node: Node | None) -> Node | None:
    """``page`` for ``page_folio(page)``."""
    node = cnodes.strip_parens(node)
    if node is not None and cnodes.call_name(node) == "page_folio" and cnodes.call_args(node):
        return cnodes.strip_parens(cnodes.call_args(node)[0])
    return None


def head_page_of(node: Node | None) -> str | None:
    """``folio`` for ``&folio->page`` or ``folio_page(folio, 0)`` (``folint.vocab.page_expr``)."""
    pe = page_expr(node)
    if pe is None or pe.form not in ("head", "folio_page") or pe.index is None or pe.index.strip() != "0":
        return None
    return cnodes.normalise(pe.folio) if pe.folio else None


def _page_within(value: Node | None) -> str | None:
    """``folio`` for ``folio_file_page(folio, index)`` or ``folio_page(folio, i)`` with i not 0."""
    name = cnodes.call_name(value) if value is not None else None
    args = cnodes.call_args(value) if name else []
    if name in ("folio_file_page", "folio_page") and len(args) == 2 and cnodes.text(args[1]) != "0":
        return cnodes.normalise(cnodes.text(args[0]))
    return None


def pages_of_folios(fn) -> dict[str, str]:
    """The page in hand of each folio variable of ``fn``: folio -> page, for a folio
    written only as ``page_folio(page)``, or a page written only as
    ``folio_file_page(folio, index)`` / ``folio_page(folio, i)`` (i not 0)."""
    out = {}
    for name, writes in fn.writes.items():
        values = [cnodes.strip_parens(cnodes.written_value(w)) for w in writes]
        pages = {cnodes.normalise(cnodes.text(p)) if p is not None and head_page_of(p) is None else None
                 for p in map(_page_folio_arg, values)}
        if len(pages) == 1 and None not in pages:
            out[name] = pages.pop()
            continue
        folios = set(map(_page_within, values))
        if len(folios) == 1 and None not in folios and name not in dict(fn.params):
            out.setdefault(folios.pop(), name)
    return out


def in_scope(fn, name: str, node: Node) -> bool:
    """A local ``name`` is declared in a block that holds ``node`` (parameters always are)."""
    if name in dict(fn.params):
        return True
    for decl in fn.declarations:
        if any(v == name for v, _t in declared_names(decl)):
            block = decl.parent
            return block is not None and cnodes.is_inside(node, block) and decl.start_byte < node.start_byte
    return True


def _condition_scope(call: Node) -> Node:
    """The expression a call is judged with: an ``if``'s whole condition, else its statement."""
    stmt = cnodes.enclosing_statement(call)
    cond = stmt.child_by_field_name("condition") if stmt.type in ("if_statement", "while_statement") else None
    return cond if cond is not None and cnodes.is_inside(call, cond) else stmt


def _asks_page(n: Node, page: str, table: dict[str, Accessor], flag: str) -> bool:
    acc = table.get(cnodes.call_name(n) or "")
    return acc is not None and not acc.on_folio and acc.flag == flag and bool(cnodes.call_args(n)) and \
        cnodes.normalise(cnodes.text(cnodes.call_args(n)[0])) == page


def asks_the_page_too(fn, call: Node, page: str, table: dict[str, Accessor]) -> bool:
    """The same condition also asks about the page itself (``PageAnonExclusive(page)``)
    or about the folio as a whole (``folio_test_has_hwpoisoned(folio)``), or an earlier
    call asked the page (``if (PageHWPoison(page)) return true; return
    folio_test_hwpoison(folio);``): the head page's flag is then a second question, on purpose."""
    flag = table[cnodes.call_name(call)].flag
    for n in cnodes.walk(_condition_scope(call)):
        if cnodes.call_name(n) in _WHOLE_FOLIO or _asks_page(n, page, table, flag):
            return True
    return any(c.start_byte < call.start_byte and _asks_page(c, page, table, flag) for c in fn.calls)


def _callers_clear(src, fn, index: int, seen: dict[int, bool]) -> bool:
    """A static ``fn`` whose every call in its file passes a page of a hugetlb or small
    folio as parameter ``index`` (``folint.caller_context``)."""
    if index not in seen:
        got = caller_context.in_file(src, fn, index)
        seen[index] = got is not None and got.ok
    return seen[index]


class PerPageFlagOnFolio(Rule):
    code = "FOL009"
    name = "per-page-flag-on-folio"
    summary = "a page flag kept per page is tested or set on the folio (its head page) while a page is in hand"

    gate = (b"folio",)  # a folio accessor, or a page accessor on &folio->page / folio_page()
    function_local = False  # caller_context and small_folio read the callers in the file
    neighbours = frozenset({"callers", "callees"})  # what it reads of them (folint.blanking)

    @property
    def needles(self) -> tuple[bytes, ...]:
        """The tree's per-page flags, as their folio and page accessors spell them (read once
        per facts object: the prefilter asks for every file)."""
        cached = self.__dict__.get("_needles")
        if cached is None or cached[0] is not self.facts:
            cached = self._needles = (self.facts, tuple(
                n.encode() for item in self.facts.get("per_page_flags")
                for n in (item["flag"], item.get("page_name") or item["flag"])))
        return cached[1]

    def check(self, src):
        if special_code(src.path, ("hugetlb",)):
            return
        table = accessors(self.facts.get("per_page_flags"))
        for fn in src.functions:
            calls = callindex.calls_to(fn, table)
            if not calls:
                continue
            folio_pages = pages_of_folios(fn)
            callers: dict[int, bool] = {}
            for call in calls:
                acc = table[cnodes.call_name(call)]
                hit = self._hit(fn, call, acc, folio_pages)
                if hit is None:
                    continue
                folio, page = hit
                if not in_scope(fn, page, call) or asks_the_page_too(fn, call, page, table) or (folio.isidentifier() and (
                        small_at(fn, folio, call, src) or hugetlb_at(fn, folio, call))):
                    continue
                index = [n for n, _t in fn.params].index(page) if page in dict(fn.params) else None
                if index is not None and _callers_clear(src, fn, index, callers):
                    continue
                f = self._finding(src, fn, call, acc, folio, page)
                if index is not None and not caller_context.is_file_local(src.path, fn):
                    f.data[caller_context.PARAM_KEY] = index  # the run asks the tree's callers
                yield f

    def _hit(self, fn, call: Node, acc: Accessor, folio_pages: dict[str, str]) -> tuple[str, str] | None:
        args = cnodes.call_args(call)
        if not args:
            return None
        arg = cnodes.strip_parens(args[0])
        if acc.on_folio:
            page = _page_folio_arg(arg)
            if page is not None:
                return cnodes.normalise(cnodes.text(arg)), cnodes.normalise(cnodes.text(page))
            name = cnodes.text(arg)
            if arg.type == "identifier" and name in folio_pages:
                return name, folio_pages[name]
            return None
        folio = head_page_of(arg)
        if folio is not None and folio in folio_pages:
            return folio, folio_pages[folio]
        return None

    def _finding(self, src, fn, call: Node, acc: Accessor, folio: str, page: str):
        where = self.facts.where("per_page_flags", acc.flag)
        name = cnodes.call_name(call)
        if acc.on_folio:
            instead = f"{acc.replacement}({page})" if acc.replacement else f"the page accessor on {page}"
            what = f"{name}() {acc.op} the {acc.flag} flag of the folio's head page"
        else:
            instead = f"{name}({page})"
            what = f"{name}() {acc.op} the {acc.flag} flag of the head page of '{folio}'"
        whole = ""
        if acc.flag == "hwpoison" and "folio_contain_hwpoisoned_page" in self.facts.get("folio_helpers"):
            whole = ", or folio_contain_hwpoisoned_page() to ask about the whole folio"
        message = (f"{what}, but {acc.flag} is kept per page inside a large folio (PF_ANY, from {where}) and "
                   f"'{page}' is the page in hand: in a large folio that is page k, not page 0; "
                   f"use {instead}{whole}")
        return self.finding(src, call, message, fn.name, flag=acc.flag, folio=folio, page=page,
                            call_byte=call.start_byte, op=acc.op)

    def oracle(self, finding, sim):
        """Bind the page in hand (a parameter) to page 2 of a 4-page folio and run: confirmed
        when the accessor reaches the folio, or page 0 of it, instead of page 2; refuted
        when no path reaches the accessor with a large folio.  A page computed inside the
        function (``folio_file_page(folio, index)``) cannot be chosen: inconclusive."""
        from folint.sim import Scenario, inconclusive
        from folint.sim.values import Folio, Page

        page, byte = finding.data.get("page"), finding.data.get("call_byte")
        if byte is None or not page:
            return None
        if page not in dict(sim.function.params):
            return inconclusive(f"the page in hand ('{page}') is computed inside the function; the simulator "
                                f"cannot choose which page of the folio it is")
        k, nr = 2, Scenario().nr
        flag, op = finding.data.get("flag"), finding.data.get("op")

        def witness(path):
            for ev in path.events:
                if ev.byte != byte or ev.depth != 0 or not ev.args:
                    continue
                arg = ev.args[0]
                folio = arg if isinstance(arg, Folio) else arg.folio if isinstance(arg, Page) else None
                if folio is None or folio.nr < 2 or (isinstance(arg, Page) and arg.index != 0):
                    continue
                return (f"{folio.nr}-page folio, '{page}' = page {k} of it: {ev.name}() at line {ev.line} {op} "
                        f"{flag} on page 0 (the head), not on page {k}")
            return None

        ex = sim.search(witness, Scenario(args={page: f"page:{k}"}), stop_after=byte)
        return sim.judge(ex, witness, refute_evidence=(
            f"with '{page}' = page {k} of a {nr}-page folio no explored path reaches the accessor on the head page"))
