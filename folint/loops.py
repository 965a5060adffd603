"""The per-page loop model shared by every rule.

A *per-page loop* walks the pages of one folio (or compound page): an index
bounded by the folio's page count (``i < folio_nr_pages(folio)``, a variable
holding it, ``1 << folio_order(folio)``, ``folio_size(folio) >> PAGE_SHIFT``
...), or an index / page pointer that selects pages inside the body
(``folio_page(folio, i)``, ``nth_page(page, i)``, ``page++``).

``folint loops PATH`` prints what this module recognises.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from tree_sitter import Node

from folint import cnodes, vocab
from folint.parsing import captures
from folint.source import Function, SourceFile

_COMPARE = {"<", "<=", "!=", ">", ">="}


@dataclass
class FunctionFacts:
    """Per-function facts the loop model derives once."""

    bound_vars: dict[str, str] = field(default_factory=dict)  # nr var -> folio text
    page_of: dict[str, str] = field(default_factory=dict)  # page var -> folio text (head/fixed page)
    folio_of_page: dict[str, str] = field(default_factory=dict)  # folio var -> page var (page_folio(page))


@dataclass
class PageLoop:
    node: Node
    function: Function
    kind: str  # "for" | "while" | "do"
    index: str | None  # the index variable, if the loop has one
    bound: str  # the bound as written
    folio: str | None  # the folio (or base page) whose pages are walked
    walk_var: str | None  # a page pointer advanced per iteration (page++)
    facts: FunctionFacts

    @property
    def body(self) -> Node:
        return self.node.child_by_field_name("body")

    @functools.cached_property
    def written(self) -> dict[str, list[Node]]:
        """Names written anywhere in the loop (header and body)."""
        return cnodes.assigned_names(self.node)

    @property
    def steppers(self) -> set[str]:
        """Names that change per iteration and select the page."""
        return {n for n in (self.index, self.walk_var) if n}

    def page_kind(self, node: Node) -> str | None:
        """'indexed' if ``node`` is the page the iteration selects, 'fixed' if it is the
        same page of this loop's folio every iteration, None if it is not a page we know."""
        node = cnodes.strip_parens(node)
        if node is None:
            return None
        steppers = self.steppers
        pe = vocab.page_expr(node)
        if pe is not None:
            idx_names = cnodes.identifiers(pe.node) - {pe.folio}
            if steppers & idx_names:
                return "indexed"
            if pe.folio in (self.folio, self.walk_var, self.facts.folio_of_page.get(self.folio or "")) or \
                    (pe.folio and self.facts.folio_of_page.get(pe.folio) is not None and self.folio is None):
                if not (idx_names & set(self.written)):
                    return "fixed"
            return None
        if node.type == "binary_expression" and cnodes.text(node.child_by_field_name("operator")) == "+":
            left = cnodes.strip_parens(node.child_by_field_name("left"))
            if left is not None and vocab.is_page_pointer_type(self.function.type_of(cnodes.text(left))) and \
                    steppers & cnodes.identifiers(node.child_by_field_name("right")):
                return "indexed"
            return None
        if node.type == "identifier":
            name = cnodes.text(node)
            if name == self.walk_var:
                return "indexed"
            if not vocab.is_page_pointer_type(self.function.type_of(name)):
                return None
            writes = self.written.get(name)
            if writes:
                if any(steppers & cnodes.identifiers(w) for w in writes):
                    return "indexed"
                return None
            origin = self.facts.page_of.get(name)
            if origin is not None and self.folio is not None and origin == self.folio:
                return "fixed"
            if self.folio is not None and self.facts.folio_of_page.get(self.folio) == name:
                return "fixed"
        return None

    def describe(self) -> str:
        parts = [f"folio={self.folio or '?'}"]
        if self.index:
            parts.append(f"index={self.index}")
        if self.walk_var:
            parts.append(f"page={self.walk_var}")
        parts.append(f"bound={self.bound}")
        return " ".join(parts)


_ASSIGNMENTS = "(init_declarator) @init (assignment_expression) @assign"


def function_facts(fn: Function) -> FunctionFacts:
    facts = FunctionFacts()
    assigns: list[tuple[str, Node]] = []
    found = captures(_ASSIGNMENTS, fn.body)
    for n in sorted(found.get("init", []) + found.get("assign", []), key=lambda n: n.start_byte):
        if n.type == "init_declarator":
            name = cnodes.base_identifier(n.child_by_field_name("declarator"))
            value = n.child_by_field_name("value")
        elif n.type == "assignment_expression" and cnodes.text(n.child_by_field_name("operator")) == "=":
            left = n.child_by_field_name("left")
            name = cnodes.text(left) if left is not None and left.type == "identifier" else None
            value = n.child_by_field_name("right")
        else:
            continue
        if name and value is not None:
            assigns.append((name, value))
    for _ in range(2):  # twice, so `nr = 1 << order` sees `order = folio_order(f)`
        for name, value in assigns:
            folio = vocab.nr_pages_of(value, facts.bound_vars)
            if folio is not None:
                facts.bound_vars[name] = folio
            folio = vocab.order_of(value, facts.bound_vars)
            if folio is not None:
                facts.bound_vars["order:" + name] = folio
    for name, value in assigns:
        pe = vocab.page_expr(value)
        if pe is not None and pe.index is not None and not cnodes.identifiers(pe.node) - {pe.folio, "page"} \
                - set(_folio_words(pe.folio)):
            facts.page_of[name] = pe.folio
        value = cnodes.strip_parens(value)
        if value is not None and cnodes.call_name(value) == "page_folio":
            args = cnodes.call_args(value)
            if args and args[0].type == "identifier":
                facts.folio_of_page[name] = cnodes.text(args[0])
    return facts


def _folio_words(folio: str | None) -> list[str]:
    return [] if not folio else [w for w in folio.replace("->", " ").replace(".", " ").split() if w.isidentifier()]


def _compare_parts(cond: Node | None) -> tuple[Node, Node, str] | None:
    cond = cnodes.strip_parens(cond)
    if cond is None or cond.type != "binary_expression":
        return None
    op = cnodes.text(cond.child_by_field_name("operator"))
    if op not in _COMPARE:
        return None
    return cond.child_by_field_name("left"), cond.child_by_field_name("right"), op


def _stepped_name(node: Node | None) -> str | None:
    """``i`` for ``i``, ``i++``, ``++i``, ``(i)``."""
    node = cnodes.strip_parens(node)
    if node is None:
        return None
    if node.type == "update_expression":
        node = node.child_by_field_name("argument")
    return cnodes.text(node) if node is not None and node.type == "identifier" else None


def _walk_var(fn: Function, *where: Node | None) -> str | None:
    """A page pointer advanced in ``where``: ``page++``, ``page += 1``, ``page = nth_page(page, 1)``."""
    for w in where:
        if w is None:
            continue
        for name, writes in cnodes.assigned_names(w).items():
            if not vocab.is_page_pointer_type(fn.type_of(name)):
                continue
            for wr in writes:
                if wr.type == "update_expression" and "++" in cnodes.text(wr):
                    return name
                if wr.type == "assignment_expression":
                    op = cnodes.text(wr.child_by_field_name("operator"))
                    right = wr.child_by_field_name("right")
                    if op == "+=" or (op == "=" and cnodes.call_name(cnodes.strip_parens(right)) == "nth_page"
                                      and cnodes.mentions(right, name)):
                        return name
    return None


def _indexing_folio(body: Node | None, index: str) -> str | None:
    """The folio whose pages ``index`` selects in ``body`` (folio_page(f, i), nth_page(p, i))."""
    if body is None:
        return None
    for n in cnodes.walk(body):
        if n.type == "call_expression":
            pe = vocab.page_expr(n)
            if pe is not None and pe.form in ("folio_page", "nth_page") and \
                    index in cnodes.identifiers(cnodes.call_args(n)[1]):
                return pe.folio
    return None


def recognise(loop: Node, fn: Function, facts: FunctionFacts) -> PageLoop | None:
    kind = {"for_statement": "for", "while_statement": "while", "do_statement": "do"}[loop.type]
    cond = loop.child_by_field_name("condition")
    body = loop.child_by_field_name("body")
    update = loop.child_by_field_name("update")
    init = loop.child_by_field_name("initializer")
    parts = _compare_parts(cond)
    walk_var = _walk_var(fn, update, body)  # the for's update first, then the body
    if parts is not None:
        left, right, op = parts
        # Names that change from one iteration to the next (the for's update, the body).
        stepped = {name for region in (update, body) if region is not None for name in cnodes.assigned_names(region)}
        for idx_node, bound_node in ((left, right), (right, left)):
            index = _stepped_name(idx_node)
            if index is None:
                continue
            if index not in stepped and cnodes.strip_parens(idx_node).type != "update_expression":
                continue
            folio = vocab.nr_pages_of(bound_node, facts.bound_vars)
            if folio is None and bound_node is not None and bound_node.type == "number_literal":
                # count-down: for (i = nr - 1; i >= 0; i--)
                folio = _countdown_folio(init, index, facts)
            if folio is None:
                folio = _indexing_folio(body, index)
                if folio is None and walk_var is None:
                    continue
            bound = cnodes.text(bound_node)
            if folio is None and walk_var is not None:
                folio = facts.page_of.get(walk_var)
            return PageLoop(loop, fn, kind, index, bound, folio, walk_var, facts)
    if walk_var is not None and cond is not None:
        # for (; nr; page++, nr--) / while (nr--) { ...; page++; }: a page walk with a counter
        return PageLoop(loop, fn, kind, None, cnodes.text(cond), facts.page_of.get(walk_var), walk_var, facts)
    return None


def _countdown_folio(init: Node | None, index: str, facts: FunctionFacts) -> str | None:
    if init is None:
        return None
    for n in cnodes.walk(init):
        if n.type in ("assignment_expression", "init_declarator"):
            target = n.child_by_field_name("left") or n.child_by_field_name("declarator")
            if cnodes.text(target) != index:
                continue
            value = cnodes.strip_parens(n.child_by_field_name("right") or n.child_by_field_name("value"))
            if value is not None and value.type == "binary_expression" and \
                    cnodes.text(value.child_by_field_name("operator")) == "-":
                value = value.child_by_field_name("left")
            return vocab.nr_pages_of(value, facts.bound_vars)
    return None


def find_page_loops(src: SourceFile) -> list[PageLoop]:
    out = []
    for fn in src.functions:
        if not fn.loops:
            continue
        text = src.raw[fn.body.start_byte:fn.body.end_byte]
        if b"page" not in text and not any(n in text for n in vocab.PAGE_LOOP_NEEDLES):
            continue  # no page-count token and no page pointer to walk: nothing to find
        facts = function_facts(fn)
        for loop in fn.loops:
            pl = recognise(loop, fn, facts)
            if pl is not None:
                out.append(pl)
    return out
