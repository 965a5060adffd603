"""What folint knows about the folio / page / swap vocabulary, in one place.

The rules and the loop model ask these questions; none of them keeps its own
list of kernel API names.
"""

from __future__ import annotations

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
# Words the loop model's other routes need in the function's text: a page or folio type
# (page pointers walked, ``page + i``, ``struct page **`` arrays) and arrays named so.
PAGE_LOOP_TYPE_WORDS = ("struct page", "struct folio", "pages[", "folios[")


def _cover(words) -> tuple[bytes, ...]:
    """The shortest needles that still find every word: drop a word containing another."""
    words = sorted(set(words), key=len)
    return tuple(w.encode() for i, w in enumerate(words) if not any(v in w for v in words[:i]))


# Byte needles: a function (and so a file) without any of these has no per-page loop the
# model recognises (folint.loops gates each function on them; folint.prefilter each file).
PAGE_LOOP_NEEDLES = _cover(NR_PAGES_CALLS | ORDER_CALLS | SIZE_CALLS | PAGE_SELECT_CALLS | set(PAGE_LOOP_TYPE_WORDS))

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
