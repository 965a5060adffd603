"""FOL008 event-counted-once-per-folio

What it does:
    Flags a counter that counts pages, bumped by one on a path that handles a
    whole folio that can be large: ``count_vm_event(PSWPIN)``,
    ``__count_vm_event(X)``, ``count_memcg_folio_events(folio, X, 1)``,
    ``count_memcg_events(memcg, X, 1)``, ``mod_*_state(..., X, 1)`` and the
    ``inc_*`` / ``dec_*`` state helpers (node, zone, lruvec, memcg).

    Whether a counter counts pages is data (``counter_table.toml`` beside this
    rule, from the kernel's documentation of each counter and how mm/ counts
    it): PGPGIN, PGPGOUT, PSWPIN, PSWPOUT, PGACTIVATE, PGROTATED, ZSWPOUT, the
    NR_* page counts ... count pages; PGFAULT, PGMAJFAULT and the THP_* events
    count faults, calls and folios and are never flagged.  A counter the table
    does not know is flagged only when the same function counts something else
    with ``folio_nr_pages()`` (it knows the folio is large, and counted this one
    once).  Which counters a tree has is an API fact read from its
    include/linux/vm_event_item.h and mmzone.h (``counter_items``, ``folint
    facts``: PGDEMOTE_* are vm events in 6.1 and node statistics in 6.12), and
    the message names the declaration.

    Not flagged when the code shows the folio is small there: it was allocated
    with order 0 (here, or by every caller of a static function), the count sits in ``if (!folio_test_large(folio))``, or an
    earlier ``if (folio_test_large(folio)) return ...;`` (or a
    ``VM_BUG_ON_FOLIO(folio_test_large(folio), folio)``) leaves for a large one,
    or the folio comes from ``__read_swap_cache_async(..., &allocated, ...)`` (a
    found folio of any size, or a new order-0 one) and the count runs only when
    ``allocated`` is true (``if (!allocated) return ...;`` before it).
    A function without a folio (slab, page tables, a plain page) is not looked at,
    nor one that was handed a page and only takes its folio (``folio =
    page_folio(page)``): it counts that one page (``try_grab_page()``).

Why it is wrong:
    A large folio is 2..512 pages handled at once.  Converted code that kept
    ``count_vm_event(PSWPOUT)`` from its page days counts one page for a
    64-page folio: /proc/vmstat and memory.stat under-report swap, reclaim
    and LRU traffic by up to 512 times once large folios are enabled, and
    statistics that are decremented per page elsewhere go negative.

Example:
    static void swap_read_done(struct folio *folio)
    {
            count_vm_event(PSWPIN);
            folio_mark_uptodate(folio);
    }

Use instead:
    count_vm_events(PSWPIN, folio_nr_pages(folio));

Fix:
    ``count_vm_event(X)`` -> ``count_vm_events(X, folio_nr_pages(folio))``
    (also the ``__`` form); a count of ``1`` -> ``folio_nr_pages(folio)``;
    ``inc_node_page_state(&folio->page, X)`` -> ``node_stat_add_folio(folio, X)``
    (and the zone, lruvec and ``dec`` forms).  Only when the counter is known
    to count pages and the function has one folio; a counter judged by its
    neighbours is reported without a fix.
"""

from __future__ import annotations

import importlib.resources
import re
from dataclasses import dataclass

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from tree_sitter import Node

from folint import callindex, cnodes, kmap, small_folio, vocab
from folint.fixes import Edit, Fix
from folint.rule import Rule

TABLE_FILE = "counter_table.toml"
_ITEM = re.compile(r"^[A-Z][A-Z0-9_]*$")


@dataclass(frozen=True)
class Counter:
    """One counting call: which argument is the item, the count, the folio or page."""

    name: str
    item: int
    count: int | None = None  # None: the call counts one
    folio: int | None = None
    page: int | None = None
    plural: str | None = None  # the call that takes a count (count_vm_event -> count_vm_events)
    folio_call: str | None = None  # the folio call that adds folio_nr_pages() itself


@dataclass(frozen=True)
class CounterTable:
    pages: tuple[str, ...]
    events: tuple[str, ...]
    counters: dict

    def unit(self, item: str) -> str | None:
        """"pages", "events" or None (unknown), by the most specific pattern."""
        best, unit = -1, None
        for kind, patterns in (("pages", self.pages), ("events", self.events)):
            for p in patterns:
                if p == item:
                    score = 1000
                elif p.endswith("*") and item.startswith(p[:-1]):
                    score = len(p)
                elif p.startswith("*") and item.endswith(p[1:]):
                    score = len(p)
                else:
                    continue
                if score > best:
                    best, unit = score, kind
        return unit


_TABLE: CounterTable | None = None


def counter_table() -> CounterTable:
    global _TABLE
    if _TABLE is None:
        data = tomllib.loads(importlib.resources.files(__package__).joinpath(TABLE_FILE).read_text("utf-8"))
        counters = {}
        for c in data.get("counter", []):
            counters[c["name"]] = Counter(c["name"], c["item"], c.get("count"), c.get("folio"), c.get("page"),
                                          c.get("plural"), c.get("folio-call"))
        units = data.get("units", {})
        _TABLE = CounterTable(tuple(units.get("pages", ())), tuple(units.get("events", ())), counters)
    return _TABLE


@dataclass(frozen=True)
class Count:
    """A counting call that adds one, and what it counts on which folio."""

    call: Node
    counter: Counter
    item: str
    sign: int  # +1 or -1
    folio: str
    unit: str | None  # "pages" or None (judged by the function's other counts)
    folio_is_unique: bool
    head_page: bool  # the call's page argument is the folio's head page


def _count_value(node: Node | None) -> int | None:
    node = cnodes.strip_parens(node)
    if node is None:
        return None
    t = cnodes.text(node).replace(" ", "").rstrip("uUlL")
    return {"1": 1, "-1": -1}.get(t)


def _folios(fn) -> list[str]:
    return [name for name, t in fn.var_types.items() if vocab.is_folio_pointer_type(t)]


def _page_folio(arg: Node, fn) -> tuple[str, bool] | None:
    """The folio a page argument belongs to (``&folio->page``, ``folio_page(folio, i)``,
    or a page variable set once from one of those), and whether it is the head page."""
    pe = vocab.page_expr(arg)
    node = cnodes.strip_parens(arg)
    if pe is None and node is not None and node.type == "identifier":
        value = kmap.single_definition(cnodes.text(node), fn)
        if value is not None:
            pe = vocab.page_expr(value)
    if pe is None or pe.form not in ("head", "folio_page") or not pe.folio or not pe.folio.isidentifier():
        return None
    if not vocab.is_folio_pointer_type(fn.type_of(pe.folio)):
        return None
    return pe.folio, pe.form == "head" and vocab.page_expr(arg) is not None


def _one_page_of(fn, folio: str) -> bool:
    """The function was handed one page and ``folio`` is only that page's folio
    (``folio = page_folio(page)`` for a ``struct page *`` parameter): what it counts
    is that page (``try_grab_page()`` pins one page of a large folio)."""
    writes = fn.writes.get(folio, [])
    if not writes or folio in dict(fn.params):
        return False
    pages = {name for name, t in fn.params if vocab.is_page_pointer_type(t)}
    for w in writes:
        value = cnodes.strip_parens(cnodes.written_value(w))
        args = cnodes.call_args(value) if value is not None and cnodes.call_name(value) == "page_folio" else []
        if len(args) != 1 or cnodes.text(cnodes.strip_parens(args[0])) not in pages:
            return False
    return True


def _nearest_folio(fn, folios: list[str], call: Node) -> str:
    if "folio" in folios:
        return "folio"
    best, where = folios[0], -1
    for n in cnodes.walk(fn.body):
        if n.start_byte >= call.start_byte:
            break
        if n.type == "identifier" and cnodes.text(n) in folios and n.start_byte > where:
            best, where = cnodes.text(n), n.start_byte
    return best


def page_counts(fn, table: CounterTable) -> list[tuple[Node, str]]:
    """Counting calls in ``fn`` whose count is a folio's page count: (call, folio text)."""
    bound = {}
    for name, writes in fn.writes.items():
        if len(writes) == 1:
            f = vocab.nr_pages_of(cnodes.written_value(writes[0]), {})
            if f:
                bound[name] = f
    out = []
    for call in callindex.calls_to(fn, table.counters):
        c = table.counters[cnodes.call_name(call)]
        args = cnodes.call_args(call)
        if c is None or c.count is None or c.count >= len(args):
            continue
        value = cnodes.strip_parens(args[c.count])
        if value is not None and value.type == "unary_expression":
            value = value.child_by_field_name("argument")
        f = vocab.nr_pages_of(value, bound)
        if f:
            out.append((call, f))
    return out


def find_counts(fn, table: CounterTable) -> list[Count]:
    folios = _folios(fn)
    if not folios:
        return []
    out = []
    for call in callindex.calls_to(fn, table.counters):
        c = table.counters[cnodes.call_name(call)]
        args = cnodes.call_args(call)
        if c.item >= len(args) or (c.count is not None and c.count >= len(args)):
            continue
        item = cnodes.text(cnodes.strip_parens(args[c.item]))
        if not _ITEM.match(item):
            continue  # an expression (PGSCAN_ANON + file) or a variable: what it counts is not visible
        sign = 1 if c.count is None else _count_value(args[c.count])
        if sign is None:
            continue
        head = False
        if c.folio is not None:
            f = cnodes.strip_parens(args[c.folio]) if c.folio < len(args) else None
            if f is None or f.type != "identifier" or cnodes.text(f) not in folios:
                continue
            folio = cnodes.text(f)
        elif c.page is not None:
            got = _page_folio(args[c.page], fn) if c.page < len(args) else None
            if got is None:
                continue  # a page that is not visibly a folio's: not converted code
            folio, head = got
        else:
            folio = _nearest_folio(fn, folios, call)
        unit = table.unit(item)
        if unit == "events" or _one_page_of(fn, folio):
            continue
        out.append(Count(call, c, item, sign, folio, unit, len(folios) == 1 or c.folio is not None or
                         c.page is not None, head))
    return out


class EventCountedOncePerFolio(Rule):
    code = "FOL008"
    name = "event-counted-once-per-folio"
    summary = "a counter of pages is bumped by one for a folio that can be large"
    # every counting call in counter_table.toml contains one of these
    gate = (b"folio",)  # find_counts() needs a folio variable
    needles = (b"count_vm_event", b"count_memcg_", b"count_objcg_events", b"_page_state", b"_node_state",
               b"_zone_state", b"_lruvec_state", b"memcg_state", b"stat_mod_folio")
    function_local = False  # small_folio.small_at reads the callers and callees in the file
    neighbours = frozenset({"callers", "callees"})  # what it reads of them (folint.blanking)

    def check(self, src):
        table = counter_table()
        for fn in src.functions:
            if not callindex.calls_any(fn, table.counters):
                continue
            counts = find_counts(fn, table)
            if not counts:
                continue
            by_nr = None
            for cnt in counts:
                if small_folio.small_at(fn, cnt.folio, cnt.call, src):
                    continue
                evidence = ""
                if cnt.unit is None:
                    if by_nr is None:
                        by_nr = page_counts(fn, table)
                    other = next(((call, f) for call, f in by_nr if call.id != cnt.call.id), None)
                    if other is None:
                        continue
                    evidence = (f"this function counts {src.text(other[0])} at line "
                                f"{src.position(other[0].start_byte)[0]}, so ")
                yield self.finding(src, cnt.call, self._message(src, cnt, evidence), fn.name,
                                   call_byte=cnt.call.start_byte, folio=cnt.folio, item=cnt.item,
                                   unit=cnt.unit or "neighbours", sign=cnt.sign)

    def _declared(self, item: str) -> str:
        """Where the checked tree declares the counter (the API fact ``counter_items``)."""
        items = self.facts.get("counter_items")
        for kind, names in items.items():
            if item in names:
                return f" ({kind.replace('_', ' ')} item, {self.facts.where('counter_items', item)})"
        return ""

    def _message(self, src, cnt: Count, evidence: str) -> str:
        declared = self._declared(cnt.item)
        what = f"{cnt.item}{declared} counts pages" if cnt.unit == "pages" else \
            f"{cnt.item}{declared} is likely counted in pages"
        use = self._replacement(src, cnt) or f"a count of folio_nr_pages({cnt.folio})"
        return (f"{src.text(cnt.call)} counts {cnt.sign} for folio '{cnt.folio}', which can have many pages; "
                f"{evidence}{what}: use {use}")

    def _replacement(self, src, cnt: Count) -> str | None:
        c, args = cnt.counter, [src.text(a) for a in cnt.call.child_by_field_name("arguments").named_children]
        nr = f"folio_nr_pages({cnt.folio})"
        if c.count is None and c.plural:
            return f"{c.plural}({', '.join(args)}, {'-' if cnt.sign < 0 else ''}{nr})"
        if c.count is not None:
            args[c.count] = nr if cnt.sign > 0 else f"-{nr}"
            return f"{c.name}({', '.join(args)})"
        if c.folio_call and cnt.head_page:
            return f"{c.folio_call}({cnt.folio}, {args[c.item]})"
        return None

    # -- fixing ----------------------------------------------------------
    def fixes(self, src, finding):
        byte = finding.data.get("call_byte")
        if finding.data.get("unit") != "pages" or not isinstance(byte, int):
            return []
        fn = next((f for f in src.functions if f.body.start_byte <= byte < f.body.end_byte), None)
        if fn is None:
            return []
        cnt = next((c for c in find_counts(fn, counter_table()) if c.call.start_byte == byte), None)
        if cnt is None or not cnt.folio_is_unique or cnt.unit != "pages":
            return []
        new = self._replacement(src, cnt)
        if new is None:
            return []
        return [Fix(self.code, f"{src.text(cnt.call)} -> {new}", (Edit.replace(src, cnt.call, new),))]

    # -- simulating ------------------------------------------------------
    def oracle(self, finding, sim):
        """Confirmed when a path reaches the count while the folio it names is large
        (its size from the last use of the variable before the count, or after it, or
        the parameter): "4-page folio 'folio': count_vm_event(PSWPIN) at line 9 counted
        1, not 4".  Refuted when the exploration is complete and no path reaches the
        count with a large folio (a folio_test_large() guard, an order-0 allocation:
        folint.sim.models_alloc)."""
        from folint.sim.oracle import uses_of
        from folint.sim.values import Folio, Page

        byte, name = finding.data.get("call_byte"), finding.data.get("folio")
        item, sign = finding.data.get("item"), finding.data.get("sign", 1)
        if byte is None or not name:
            return None

        def folio_at(path, index):
            before = after = None
            for u in uses_of(path):
                node = u.node
                if node is None or node.type != "identifier" or node.text != name or u.depth:
                    continue
                v = u.value.folio if isinstance(u.value, Page) else u.value
                if not isinstance(v, Folio):
                    continue
                if u.index < index:
                    before = v
                elif after is None:
                    after = v
            if before is not None or after is not None:
                return before or after
            return next((v for p, v in path.params if p == name and isinstance(v, Folio)), None)

        def witness(path):
            for e in path.events:
                if e.byte != byte or e.kind not in ("call", "fail", "model") or e.depth:
                    continue
                f = folio_at(path, e.index)
                if f is not None and f.nr > 1:
                    return (f"{f.nr}-page folio '{name}': {e.text.removeprefix('call ')} at line {e.line} counted "
                            f"{sign} {item}, not {sign * f.nr}")
            return None

        from folint.sim.oracle import inconclusive

        ex = sim.search(witness, stop_after=byte)
        verdict = sim.judge(ex, witness, refute_evidence=f"no explored path reaches the count with '{name}' "
                                                         f"a folio of more than one page")
        if verdict.verdict == "refuted" and any(
                e.byte == byte and not e.depth and folio_at(path, e.index) is None
                for path in ex.feasible for e in path.events):
            return inconclusive(f"simulation: a path reaches the count but nothing on it shows how many pages "
                                f"'{name}' has")
        return verdict
