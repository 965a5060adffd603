"""What folint knows about temporary mappings of pages and the calls that reach memory.

Shared by FOL013 (one page mapped, more copied), FOL014 (the head page where a
page inside the folio is meant) and their simulator models
(``folint.sim.models_kmap``): which calls map one page and which page, which
calls read or write memory through a pointer and which argument is the length,
which page consumers take a page and an offset (and whether that offset may
run past the page), how a "does this page need mapping" test is written, and
how big a length expression can be (:func:`extent`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from tree_sitter import Node

from folint import cnodes, vocab
from folint.source import Function

PAGE_SIZE = 4096


@dataclass(frozen=True)
class MapCall:
    """A call that maps one page: ``page`` is the argument index of the page (or
    folio), ``offset`` the index of the byte offset into the folio, if any."""

    name: str
    page: int
    offset: int | None = None
    folio: bool = False  # the mapped argument is a folio (kmap_local_folio)
    local: bool = True  # kmap_local/kmap_atomic: one page even for lowmem under DEBUG_KMAP_LOCAL_FORCE_MAP


MAP_CALLS = {m.name: m for m in (
    MapCall("kmap_local_folio", 0, 1, folio=True),
    MapCall("kmap_local_page", 0),
    MapCall("kmap_local_page_prot", 0),
    MapCall("kmap_atomic", 0),
    MapCall("kmap_atomic_prot", 0),
    MapCall("kmap", 0, local=False),
)}


@dataclass(frozen=True)
class Access:
    """A call that reads or writes ``length`` bytes through the pointers at ``pointers``."""

    name: str
    pointers: tuple[int, ...]
    length: int
    verb: str  # "copies", "sets", "compares", ...


ACCESSES = {a.name: a for a in (
    Access("memcpy", (0, 1), 2, "copies"),
    Access("memmove", (0, 1), 2, "copies"),
    Access("memset", (0,), 2, "sets"),
    Access("memcmp", (0, 1), 2, "compares"),
    Access("memchr_inv", (0,), 2, "scans"),
    Access("memzero_explicit", (0,), 1, "zeroes"),
    Access("copy_to_user", (1,), 2, "copies"),
    Access("copy_from_user", (0,), 2, "copies"),
    Access("__copy_to_user", (1,), 2, "copies"),
    Access("__copy_from_user", (0,), 2, "copies"),
    Access("__copy_from_user_inatomic", (0,), 2, "copies"),
    Access("copy_to_iter", (0,), 1, "copies"),
    Access("copy_from_iter", (0,), 1, "copies"),
    Access("_copy_to_iter", (0,), 1, "copies"),
    Access("_copy_from_iter", (0,), 1, "copies"),
    Access("copy_from_iter_nocache", (0,), 1, "copies"),
    Access("csum_partial", (0,), 1, "checksums"),
    Access("crc32c", (1,), 2, "checksums"),
)}


class Span(Enum):
    """Whether a page consumer's (page, offset) pair may describe bytes past that page."""

    PAGE = "page"  # the offset and length must stay inside the one page (memcpy_to_page ...)
    CONTIGUOUS = "contiguous"  # page + offset is a physical address; it may run on (sg, bio, skb frags)


@dataclass(frozen=True)
class Consumer:
    name: str
    page: int
    offset: int
    span: Span
    length: int | None = None  # the byte count, for the one-page helpers


CONSUMERS: dict[str, list[Consumer]] = {}
for _c in (
    Consumer("sg_set_page", 1, 3, Span.CONTIGUOUS),
    Consumer("bio_add_page", 1, 3, Span.CONTIGUOUS),
    Consumer("__bio_add_page", 1, 3, Span.CONTIGUOUS),
    Consumer("bio_add_pc_page", 2, 4, Span.CONTIGUOUS),
    Consumer("bio_add_zone_append_page", 1, 3, Span.CONTIGUOUS),
    Consumer("bvec_set_page", 1, 3, Span.CONTIGUOUS),
    Consumer("skb_fill_page_desc", 2, 3, Span.CONTIGUOUS),
    Consumer("skb_fill_page_desc_noacc", 2, 3, Span.CONTIGUOUS),
    Consumer("skb_add_rx_frag", 2, 3, Span.CONTIGUOUS),
    Consumer("copy_page_to_iter", 0, 1, Span.CONTIGUOUS),
    Consumer("copy_page_from_iter", 0, 1, Span.CONTIGUOUS),
    Consumer("copy_page_from_iter_atomic", 0, 1, Span.CONTIGUOUS),
    Consumer("zero_user", 0, 1, Span.CONTIGUOUS),
    Consumer("zero_user_segment", 0, 1, Span.CONTIGUOUS),
    Consumer("memcpy_to_page", 0, 1, Span.PAGE, 3),
    Consumer("memcpy_from_page", 1, 2, Span.PAGE, 3),
    Consumer("memzero_page", 0, 1, Span.PAGE, 2),
    Consumer("memset_page", 0, 1, Span.PAGE, 3),
    Consumer("memcpy_page", 0, 1, Span.PAGE, 4),
    Consumer("memcpy_page", 2, 3, Span.PAGE, 4),
):
    CONSUMERS.setdefault(_c.name, []).append(_c)

# Page consumers without an offset argument whose result is offset by ``+ off``:
# a mapping of one page, or the page's linear address (contiguous for the folio).
ADDRESS_CALLS = {"kmap_local_page": Span.PAGE, "kmap_atomic": Span.PAGE, "kmap": Span.PAGE,
                 "page_address": Span.CONTIGUOUS, "lowmem_page_address": Span.CONTIGUOUS}

# "Does this page need mapping?" tests.  A highmem test alone misses
# CONFIG_DEBUG_KMAP_LOCAL_FORCE_MAP, under which kmap_local_*() maps lowmem too.
HIGHMEM_TESTS = frozenset({"PageHighMem", "folio_test_highmem", "is_highmem", "is_highmem_idx"})
FORCE_MAP_TESTS = frozenset({"folio_test_partial_kmap"})
FORCE_MAP_CONFIG = "CONFIG_DEBUG_KMAP_LOCAL_FORCE_MAP"

_PAGE_CONSTANTS = frozenset({"PAGE_SIZE", "PAGE_MASK", "PAGE_SHIFT", "SECTOR_SIZE", "SZ_4K", "SZ_1K", "SZ_512"})
_MIN_CALLS = frozenset({"min", "min_t", "min3", "umin", "min_not_zero", "clamp", "clamp_t", "clamp_val"})
_MAX_CALLS = frozenset({"max", "max_t", "max3", "umax"})
_PAGE_BOUNDED_CALLS = frozenset({"offset_in_page", "sizeof", "PAGE_ALIGN_DOWN"})
_FOLIO_OFFSET_CALLS = frozenset({"offset_in_folio"})
MAX_DEPTH = 6


class Extent(Enum):
    """How large a length (or offset) expression can be."""

    PAGE = "page"  # never more than a page: PAGE_SIZE, min(.., PAGE_SIZE - off), offset_in_page(), sizeof
    FOLIO = "folio"  # up to the folio's size: folio_size(), nr << PAGE_SHIFT, min(len, folio_size() - off)
    UNKNOWN = "unknown"  # nothing says (a parameter, a field): the caller's contract


@dataclass(frozen=True)
class Size:
    extent: Extent
    why: str = ""  # the text that makes it folio-sized ("folio_size(folio)")
    folio: str | None = None  # the folio it is the size of


UNKNOWN = Size(Extent.UNKNOWN)
PAGE = Size(Extent.PAGE)


def _larger(a: Size, b: Size) -> Size:
    order = (Extent.PAGE, Extent.UNKNOWN, Extent.FOLIO)
    return a if order.index(a.extent) >= order.index(b.extent) else b


def _smaller(a: Size, b: Size) -> Size:
    if Extent.PAGE in (a.extent, b.extent):
        return PAGE
    return a if a.extent is Extent.FOLIO else b


def _int_value(node: Node) -> int | None:
    try:
        return int(cnodes.text(node).rstrip("uUlL"), 0)
    except ValueError:
        return None


def extent(node: Node | None, fn: Function, before: int, _depth: int = 0) -> Size:
    """How large ``node`` (an expression in ``fn``, evaluated at byte ``before``) can be.

    Variables are followed through their assignments that come before ``before``
    (the latest unconditional one and any conditional ones after it).  A value
    compared with a page-sized bound on the way there counts as page-bounded.
    """
    node = cnodes.strip_parens(node)
    if node is None or _depth > MAX_DEPTH:
        return UNKNOWN
    t = node.type
    if t == "number_literal":
        v = _int_value(node)
        return PAGE if v is not None and 0 <= v <= PAGE_SIZE else UNKNOWN
    if t == "sizeof_expression":
        return PAGE
    if t == "identifier":
        name = cnodes.text(node)
        if name in _PAGE_CONSTANTS:
            return PAGE
        return _variable_extent(name, fn, before, _depth)
    if t == "cast_expression":
        return extent(node.child_by_field_name("value"), fn, before, _depth + 1)
    if t == "conditional_expression":
        return _larger(extent(node.child_by_field_name("consequence"), fn, before, _depth + 1),
                       extent(node.child_by_field_name("alternative"), fn, before, _depth + 1))
    if t == "call_expression":
        return _call_extent(node, fn, before, _depth)
    if t == "binary_expression":
        return _binary_extent(node, fn, before, _depth)
    return UNKNOWN


def _call_extent(node: Node, fn: Function, before: int, depth: int) -> Size:
    name = cnodes.call_name(node)
    args = cnodes.call_args(node)
    if name in vocab.SIZE_CALLS:
        return Size(Extent.FOLIO, cnodes.text(node), cnodes.text(args[0]) if args else None)
    if name in _PAGE_BOUNDED_CALLS:
        return PAGE
    if name in _FOLIO_OFFSET_CALLS:
        return Size(Extent.FOLIO, cnodes.text(node), cnodes.text(args[0]) if args else None)
    if name in _MIN_CALLS or name in _MAX_CALLS:
        if name.endswith("_t") or name == "clamp_t":
            args = args[1:]  # the type
        if name.startswith("clamp"):
            return extent(args[-1], fn, before, depth + 1) if args else UNKNOWN  # the upper bound
        sizes = [extent(a, fn, before, depth + 1) for a in args]
        if not sizes:
            return UNKNOWN
        out = sizes[0]
        for s in sizes[1:]:
            out = _smaller(out, s) if name in _MIN_CALLS else _larger(out, s)
        return out
    return UNKNOWN


def _binary_extent(node: Node, fn: Function, before: int, depth: int) -> Size:
    op = cnodes.text(node.child_by_field_name("operator"))
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    folio = nr_pages(left, fn) or nr_pages(right, fn)
    if op in ("*", "<<") and folio is not None:
        return Size(Extent.FOLIO, cnodes.text(node), folio)
    if op == "<<" and cnodes.text(cnodes.strip_parens(left)) == "PAGE_SIZE":
        f = vocab.order_of(right, {})
        if f is not None:
            return Size(Extent.FOLIO, cnodes.text(node), f)
    ls = extent(left, fn, before, depth + 1)
    if op == "-":
        return ls if ls.extent is not Extent.UNKNOWN else UNKNOWN
    rs = extent(right, fn, before, depth + 1)
    if op in ("+", "*", "<<", "|"):
        if Extent.FOLIO in (ls.extent, rs.extent):
            return ls if ls.extent is Extent.FOLIO else rs
        return UNKNOWN
    if op == "&":
        return _smaller(ls, rs) if Extent.PAGE in (ls.extent, rs.extent) else UNKNOWN
    if op in ("/", ">>", "%"):
        if op == "%" and rs.extent is Extent.PAGE:
            return PAGE
        return PAGE if ls.extent is Extent.PAGE else UNKNOWN
    return UNKNOWN


def nr_pages(node: Node | None, fn: Function) -> str | None:
    """The folio whose page count ``node`` is (``folio_nr_pages(f)``, or a variable set once from it)."""
    node = cnodes.strip_parens(node)
    if node is not None and node.type == "identifier":
        node = single_definition(cnodes.text(node), fn)
    return vocab.nr_pages_of(node, {})


def definitions_before(name: str, fn: Function, before: int) -> list[Node]:
    """The writes of ``name`` in ``fn`` that may reach byte ``before``: the latest one
    whose statement is not nested deeper than the use, and every one after it."""
    writes = sorted((w for w in fn.writes.get(name, ()) if w.end_byte <= before), key=lambda w: w.start_byte)
    if not writes:
        return []
    use_blocks = _blocks_around(fn, before)
    for i in range(len(writes) - 1, -1, -1):
        if _enclosing_block(writes[i]) in use_blocks:
            return writes[i:]
    return writes


def _blocks_around(fn: Function, byte: int) -> set[int]:
    node = fn.body.descendant_for_byte_range(byte, byte)
    return {n.id for n in [node, *cnodes.ancestors(node)] if n is not None and n.type == "compound_statement"}


def _enclosing_block(node: Node) -> int | None:
    stmt = cnodes.enclosing_statement(node)
    p = stmt.parent
    return p.id if p is not None and p.type == "compound_statement" else None


def _variable_extent(name: str, fn: Function, before: int, depth: int) -> Size:
    defs = definitions_before(name, fn, before)
    if not defs:
        return UNKNOWN
    if guarded_by_page_bound(name, fn, defs[0].start_byte, before):
        return PAGE
    out: Size | None = None
    for d in defs:
        s = _write_extent(d, fn, depth)
        if s is None:
            continue
        out = s if out is None else _larger(out, s)
    return out or UNKNOWN


def _write_extent(w: Node, fn: Function, depth: int) -> Size | None:
    """The extent of what ``w`` (an assignment, update or init declarator) stores;
    None for writes that only shrink the value (``len -= n``, ``len--``)."""
    if w.type == "init_declarator":
        return extent(w.child_by_field_name("value"), fn, w.start_byte, depth + 1)
    if w.type == "update_expression":
        return None if "--" in cnodes.text(w) else UNKNOWN
    op = cnodes.text(w.child_by_field_name("operator"))
    right = w.child_by_field_name("right")
    if op == "=":
        return extent(right, fn, w.start_byte, depth + 1)
    if op in ("-=", ">>=", "/=", "&=", "%="):
        return None
    rs = extent(right, fn, w.start_byte, depth + 1)
    return rs if rs.extent is Extent.FOLIO else UNKNOWN


def is_page_bound(node: Node) -> bool:
    """``node`` mentions a page-sized quantity (PAGE_SIZE, offset_in_page() ...)."""
    return any((n.type == "identifier" and cnodes.text(n) in ("PAGE_SIZE", "PAGE_SHIFT", "PAGE_MASK", "offset_in_page"))
               for n in cnodes.walk(node))


def guarded_by_page_bound(name: str, fn: Function, start: int, before: int) -> bool:
    """Between bytes ``start`` and ``before``, ``name`` is compared with a page-sized
    bound (``if (len > PAGE_SIZE)``, ``VM_BUG_ON(off + len > PAGE_SIZE)``)."""
    for n in cnodes.walk(fn.body):
        if n.end_byte <= start or n.start_byte >= before:
            continue
        if n.type == "binary_expression" and cnodes.text(n.child_by_field_name("operator")) in ("<", "<=", ">", ">="):
            if cnodes.mentions(n, name) and is_page_bound(n):
                return True
    return False


def knows_force_map(node: Node) -> bool:
    """``node`` tests the force-map debug option (or uses a test that includes it)."""
    return any((n.type == "identifier" and cnodes.text(n) in FORCE_MAP_TESTS | {FORCE_MAP_CONFIG})
               for n in cnodes.walk(node))


def highmem_test(node: Node) -> Node | None:
    """The highmem test call inside condition ``node``, if any."""
    for n in cnodes.walk(node):
        if n.type == "call_expression" and cnodes.call_name(n) in HIGHMEM_TESTS:
            return n
    return None


def single_definition(name: str, fn: Function) -> Node | None:
    """The value ``name`` is given when it is written exactly once in ``fn``."""
    writes = fn.writes.get(name, ())
    return cnodes.written_value(writes[0]) if len(writes) == 1 else None


def head_page(node: Node | None, fn: Function) -> vocab.PageExpr | None:
    """``node`` is a fixed page of a folio (``&f->page``, ``folio_page(f, 0)``, ``folio_page(f, 2)``,
    or a variable set once from one of those)."""
    node = cnodes.strip_parens(node)
    if node is not None and node.type == "identifier":
        node = cnodes.strip_parens(single_definition(cnodes.text(node), fn))
    pe = vocab.page_expr(node)
    if pe is None or pe.form not in ("head", "folio_page") or pe.index is None:
        return None
    try:
        int(pe.index.rstrip("uUlL"), 0)
    except ValueError:
        return None
    return pe
