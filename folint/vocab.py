"""What folint knows about the folio / page / swap vocabulary, in one place.

The rules and the loop model ask these questions; none of them keeps its own
list of kernel API names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from folint import cnodes

# Calls whose value is the number of pages of their first argument.
NR_PAGES_CALLS = frozenset({"folio_nr_pages", "compound_nr", "thp_nr_pages", "folio_nr_pages_mapped"})
# Calls whose value is the order (log2 of the page count) of their argument.
ORDER_CALLS = frozenset({"folio_order", "compound_order", "thp_order"})
SIZE_CALLS = frozenset({"folio_size", "page_size", "thp_size"})

# Calls that select a page of a folio (or of a base page) by an index.
PAGE_SELECT_CALLS = frozenset({"folio_page", "nth_page"})

# -- the same vocabulary as text: what ``folint.loops.recognise`` needs to see ----------
# The prefilter (per file) and the model (per function) ask ``may_hold_page_loop`` before
# any parsing: a text that says none of this holds no loop the model can recognise.

# Every word the recogniser reads contains one of these (a text without them is skipped
# after four ``bytes.__contains__`` passes; b"page" is asked for by the tree index too).
PAGE_LOOP_NEEDLES = (b"page", b"folio", b"compound_", b"thp_")
# One pass per needle finds each word from it on, to the word's end (``folio_page``,
# ``pages`` of ``nr_pages``, ``folios`` of ``ring_folios``); iterating those words is
# cheaper than a search per call name, and than one pass of an alternation.
_WORDS_FROM = tuple(re.compile(re.escape(n) + rb"\w*") for n in PAGE_LOOP_NEEDLES)
_CALLED = re.compile(rb"\s*\(")
# pages[i], pages[nr_done++]: the index is a variable (the loop's, lower case as kernel
# variables are); pages[0], pages[MAX_PAGES] (a declaration's size) select no page per iteration
_SUBSCRIPTED = re.compile(rb"\s*\[[^\]\n]{0,80}?[a-z]")
_STRUCT_BEFORE = re.compile(rb"struct\s+$")
_COUNTS = frozenset(n.encode() for n in NR_PAGES_CALLS)  # a call is enough (a bound)
# folio_page(f, i): a selection by the loop's index is a name; folio_page(f, 0) selects the
# same page every time (a loop needs something else to be recognised).  nth_page(p, 1) also
# steps a walk (page = nth_page(page, 1)), so any nth_page call counts.
_INDEXED_CALL = re.compile(rb"\s*\((?:[^()]|\([^()]*\))*?,(?:[^()]|\([^()]*\))*?[A-Za-z_]")
_ORDERS = frozenset(n.encode() for n in ORDER_CALLS)  # with a ``1 <<`` (``nr_pages_of``)
# folio_size(f) >> PAGE_SHIFT, folio_size(f) / PAGE_SIZE: a size alone is bytes, not pages.
_IN_PAGES = re.compile(rb"\w+\s*\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)\)*\s*(?:>>\s*PAGE_SHIFT|/\s*PAGE_SIZE)\b")
_SIZES = frozenset(n.encode() for n in SIZE_CALLS)
_ONE_SHIFTED = re.compile(rb"(?<![\w.])1[uUlL]*\s*<<")
# struct page *a, **b: the text up to the end of the declaration (or of the parameter
# list); every starred name in it is taken, a superset of the declared ones.
_DECLARATORS = re.compile(rb"[^;{]*")
_STARRED = re.compile(rb"(\*+)\s*(?:(?:const|volatile|restrict|__\w+)\s+)*([A-Za-z_]\w*)")
_PRE_INCREMENT = re.compile(rb"\+\+\s*\(*\s*([A-Za-z_]\w*)")
_IDENT_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _word_start(text: bytes, at: int) -> bool:
    return at == 0 or text[at - 1] not in _IDENT_BYTES


def _plain_name(text: bytes, at: int) -> bool:
    """``text[at:]`` starts a name that is not a field (``x.page``, ``x->page`` have no
    declared type the model could read)."""
    return _word_start(text, at) and not (at and (text[at - 1] == 0x2E or text[at - 2:at] == b"->"))


def may_hold_page_loop(text: bytes) -> bool:
    """Could the loop model recognise a per-page loop in ``text`` (a file, or one function)?

    What ``folint.loops.recognise`` needs, as text: a page count or a selection called
    (``folio_nr_pages(``, ``folio_page(``, ``nth_page(`` ...), a size turned into pages
    (``folio_size(f) >> PAGE_SHIFT``), an order shifted (``folio_order(`` and ``1 <<``); an
    array of pages or folios subscripted by its name (``pages[i]``, ``ring_folios[i]``); or
    a name declared ``struct page *`` that is stepped or offset (``page++``, ``++page``,
    ``page += n``, ``page + i``, ``&page[i]``), or declared ``struct page **`` / ``struct
    folio **`` and subscripted.  A file that only declares ``struct page *p;`` is not parsed
    for the loop rules.  tests/test_loops.py checks that no fixture loop is hidden by it.
    """
    return any(n in text for n in PAGE_LOOP_NEEDLES) and page_loop_tokens(text)


def page_loop_tokens(text: bytes) -> bool:
    """``may_hold_page_loop`` for a text already known to hold one of the needles."""
    ordered = False
    declared = []  # where "struct page" / "struct folio" end
    for needle, words in zip(PAGE_LOOP_NEEDLES, _WORDS_FROM):
        if needle not in text:
            continue
        for m in words.finditer(text):
            start, end = m.span()
            word = m.group(0)
            if word.endswith((b"pages", b"folios")) and _SUBSCRIPTED.match(text, end):
                return True  # pages[i], req->ring_folios[i]: an array by its name (is_page_array_name)
            if word in (b"page", b"folio"):
                if _STRUCT_BEFORE.search(text, max(0, start - 16), start):
                    declared.append((word, end))
                elif word == b"page" and text[start - 4:start] == b"nth_" and _word_start(text, start - 4) and \
                        _CALLED.match(text, end):
                    return True
                continue
            if not _word_start(text, start) or not _CALLED.match(text, end):
                continue
            if word in _COUNTS or (word == b"folio_page" and _INDEXED_CALL.match(text, end)):
                return True
            if word in _SIZES and _IN_PAGES.match(text, start):
                return True
            ordered = ordered or word in _ORDERS
    if ordered and _ONE_SHIFTED.search(text):
        return True
    return bool(declared) and _moved_or_indexed(text, declared)


def _moved_or_indexed(text: bytes, declared: list[tuple[bytes, int]]) -> bool:
    """A name declared ``struct page *`` stepped or offset (``_walk_var``, ``selection_of``),
    or declared ``struct page **`` / ``struct folio **`` and subscripted (``pp[i]``)."""
    pointers: set[bytes] = set()
    arrays: set[bytes] = set()
    for word, end in declared:
        declarators = _DECLARATORS.match(text, end).group(0)
        for m in _STARRED.finditer(declarators):
            if declarators[m.end():].lstrip().startswith(b"("):
                break  # struct page *fn(...): a function returning a page, its parameters are not pages
            if len(m.group(1)) >= 2:
                arrays.add(m.group(2))
            elif word == b"page":
                pointers.add(m.group(2))
    if b"++" in text and any(m.group(1) in pointers for m in _PRE_INCREMENT.finditer(text)):
        return True
    for name in pointers | arrays:
        for m in re.finditer(re.escape(name) + rb"(\)*)\s*([+\[])", text):
            at = m.start()
            if not _plain_name(text, at):
                continue
            before = text[max(0, at - 64):at].rstrip()
            closing = len(m.group(1))
            if closing:
                if not before.endswith(b"(" * closing):
                    continue
                ahead = before[:-closing].rstrip()
                if ahead and (ahead[-1] in _IDENT_BYTES or ahead[-1] in b")]"):
                    continue  # kmap(page) + off: a call's value is offset, not the page
            if m.group(2) == b"[":
                if not _SUBSCRIPTED.match(text, m.end() - 1):
                    continue  # pp[0]: the same element every iteration
                if name not in arrays and not before.rstrip(b"( \t").endswith(b"&"):
                    continue  # &page[i] is page + i; page[i] is not
            elif name not in pointers:
                continue
            return True
    return False


# Calls that free memory: handing them an array frees the array, it undoes nothing the
# array's entries stand for (kfree(pages) puts no page).
FREE_CALLS = frozenset({"kfree", "kvfree", "vfree", "kfree_sensitive", "kvfree_sensitive"})

SWAP_ENTRY_TYPES = frozenset({"swp_entry_t"})


def nr_pages_of(node: Node | None, bound_vars: dict[str, str]) -> str | None:
    """If ``node`` evaluates to the page count of a folio (or compound page), its text.

    Recognises ``folio_nr_pages(f)``, ``compound_nr(p)``, ``thp_nr_pages(p)``,
    ``1 << folio_order(f)``, ``1UL << order`` when order came from folio_order,
    ``folio_size(f) >> PAGE_SHIFT``, ``folio_size(f) / PAGE_SIZE`` and variables
    in ``bound_vars`` (name -> folio text) assigned from one of those.
    Returns the folio (or page) expression's text.
    """
    node = cnodes.strip_parens(node)
    if node is None:
        return None
    if node.type == "identifier":
        return bound_vars.get(cnodes.text(node))
    if node.type == "cast_expression":
        return nr_pages_of(node.child_by_field_name("value"), bound_vars)
    name = cnodes.call_name(node)
    if name in NR_PAGES_CALLS:
        args = cnodes.call_args(node)
        return cnodes.text(args[0]) if args else None
    if node.type == "binary_expression":
        op = cnodes.text(node.child_by_field_name("operator"))
        left = cnodes.strip_parens(node.child_by_field_name("left"))
        right = cnodes.strip_parens(node.child_by_field_name("right"))
        if op == "<<" and left is not None and cnodes.text(left).rstrip("uUlL") == "1":
            return order_of(right, bound_vars)
        if op == ">>" and right is not None and cnodes.text(right) == "PAGE_SHIFT":
            return _size_of(left)
        if op == "/" and right is not None and cnodes.text(right) == "PAGE_SIZE":
            return _size_of(left)
    return None


def order_of(node: Node | None, bound_vars: dict[str, str]) -> str | None:
    """If ``node`` is the order of a folio (``folio_order(f)``, or a variable in
    ``bound_vars`` as ``"order:NAME"``), the folio's text."""
    node = cnodes.strip_parens(node)
    if node is None:
        return None
    if node.type == "identifier":
        return bound_vars.get("order:" + cnodes.text(node))
    if cnodes.call_name(node) in ORDER_CALLS:
        args = cnodes.call_args(node)
        return cnodes.text(args[0]) if args else None
    return None


def _size_of(node: Node | None) -> str | None:
    node = cnodes.strip_parens(node)
    if node is not None and cnodes.call_name(node) in SIZE_CALLS:
        args = cnodes.call_args(node)
        return cnodes.text(args[0]) if args else None
    return None


@dataclass(frozen=True)
class PageExpr:
    """An expression that denotes one page.

    ``folio``: text of the folio (or base page) it is taken from, if known.
    ``index``: the index expression's text ("0" for the head page).
    """

    node: Node
    folio: str | None
    index: str | None
    form: str  # "folio_page" | "head" | "nth_page" | "offset" | "variable"


def page_expr(node: Node | None) -> PageExpr | None:
    """Classify ``node`` if it is written as a page of a folio (or of a base page).

    ``folio_page(f, i)``, ``&f->page``, ``&f->page[i]`` (never valid, but seen),
    ``nth_page(p, i)``, ``p + i`` where p looks like a page.  Variables are the
    loop model's business (it knows where they were assigned).
    """
    node = cnodes.strip_parens(node)
    if node is None:
        return None
    name = cnodes.call_name(node)
    if name in ("folio_page", "nth_page"):
        args = cnodes.call_args(node)
        if len(args) == 2:
            return PageExpr(node, cnodes.text(args[0]), cnodes.text(args[1]),
                            "folio_page" if name == "folio_page" else "nth_page")
    if node.type == "pointer_expression" and cnodes.text(node.child_by_field_name("operator")) == "&":
        arg = cnodes.strip_parens(node.child_by_field_name("argument"))
        if arg is not None and arg.type == "field_expression":
            field = arg.child_by_field_name("field")
            if cnodes.text(field) == "page":
                return PageExpr(node, cnodes.text(arg.child_by_field_name("argument")), "0", "head")
    return None


def is_swap_entry_type(type_text: str) -> bool:
    return type_text.replace("const ", "").strip() in SWAP_ENTRY_TYPES


def is_page_pointer_type(type_text: str) -> bool:
    return type_text.replace("const ", "").replace(" ", "") == "structpage*"


def is_page_array_type(type_text: str) -> bool:
    """``struct page **`` / ``struct folio **``: an array of pages or folios."""
    return type_text.replace("const ", "").replace(" ", "") in ("structpage**", "structfolio**")


def is_page_array_name(node: Node) -> bool:
    """``pages``, ``folios``, ``req->pages``: a name (or field) that holds pages or folios
    by its name (``nr_pages`` is a count, not an array)."""
    if node.type == "field_expression":
        node = node.child_by_field_name("field")
    if node is None or node.type not in ("identifier", "field_identifier"):
        return False
    name = cnodes.text(node)
    return name.endswith(("pages", "folios")) and not name.startswith("nr")


def is_folio_pointer_type(type_text: str) -> bool:
    return type_text.replace("const ", "").replace(" ", "") == "structfolio*"
