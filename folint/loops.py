"""The per-page loop model: the one definition of "a loop over pages".

``folint loops``, every loop rule (FOL001, FOL002, FOL004, FOL005) and the
prefilter (through ``vocab.may_hold_page_loop``) use this definition.  A
``for``, ``while`` or ``do/while`` is a per-page loop when something changes
per iteration (an index stepped in the header, body or condition, or a page
pointer) and

- the index is bounded by a folio's page count (``folio_nr_pages(f)``, a
  variable holding it, ``1 << folio_order(f)``, ``folio_size(f) >> PAGE_SHIFT``
  ...), counting up, down (``while (nr--)``, ``for (i = nr - 1; i >= 0; i--)``)
  or by a stride; or
- the body selects pages with the index, whatever the bound's origin (a
  parameter, a local, a field): ``folio_page(f, i)``, ``nth_page(p, i)``,
  ``page + i``, ``&page[i]``, ``pages[i]`` / ``folios[i]`` (an array); or
- a page pointer is advanced per iteration (``page++``, ``page += 1``,
  ``page = page + 1``, ``page = nth_page(page, 1)``), in the update, the body
  or a ``do/while`` condition (``while (page++, --nr > 0)``).

Each loop says its ``Shape``; ``folint loops [--stats] PATH`` prints them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from tree_sitter import Node

from folint import cnodes, vocab
from folint.finding import LoopFacts
from folint.parsing import captures

if TYPE_CHECKING:  # source.py imports this module (SourceFile.page_loops): types only here
    from folint.source import Function, SourceFile

_COMPARE = {"<", "<=", "!=", ">", ">="}


class Shape(str, Enum):
    """How a per-page loop walks its pages (``folint loops`` prints the value)."""

    INDEX = "index"  # an index counting up by one
    COUNT_DOWN = "count-down"  # while (nr--), for (i = nr - 1; i >= 0; i--)
    STRIDE = "stride"  # i += step, i -= step
    DO_WHILE = "do-while"  # do { ... } while (page++, --nr > 0): the step in the condition
    POINTER_WALK = "pointer-walk"  # page++, page = nth_page(page, 1), with a plain counter
    ARRAY = "array"  # pages[i], folios[i]: an array of pages or folios


@dataclass(frozen=True)
class Selection:
    """Where a loop body selects a page with the index: ``base`` is the folio, page or
    array text; ``array`` is true for ``pages[i]`` (an array of pages or folios)."""

    base: str
    array: bool


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
    shape: Shape = Shape.INDEX
    inner: list[Node] = field(default_factory=list)  # per-page loops nested in this one

    def calls(self):
        """The calls of the body that belong to this loop: not those of a nested
        per-page loop (``for (f..) for (i..) f(folio_page(folios[f], i))`` is the inner
        loop's call)."""
        for call in cnodes.of_type(self.body, "call_expression"):
            if not any(cnodes.is_inside(call, n) for n in self.inner):
                yield call

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
                    (pe.folio and self.facts.folio_of_page.get(pe.folio) is not None and self.folio is None) or \
                    (self.folio is None and self.walk_var and pe.folio and
                     vocab.is_folio_pointer_type(self.function.type_of(pe.folio))):
                if not (idx_names & set(self.written)):
                    return "fixed"
            return None
        if node.type == "update_expression":  # copy_highpage(dst++, ...): the walked page, then moved
            arg = cnodes.strip_parens(node.child_by_field_name("argument"))
            if arg is not None and arg.type == "identifier" and cnodes.text(arg) in steppers and \
                    vocab.is_page_pointer_type(self.function.type_of(cnodes.text(arg))):
                return "indexed"
            return None
        target = node.child_by_field_name("argument") if node.type == "pointer_expression" else node
        sel = selection_of(self.function, cnodes.strip_parens(target)) if target is not None else None
        if sel is not None and node.type != "call_expression":
            idx_names = cnodes.identifiers(sel[1])
            if steppers & idx_names:
                return "indexed"
            # pages[0] in a loop over pages[]: the same element every iteration
            if sel[0].base == self.folio and not idx_names & set(self.written) and \
                    not cnodes.identifiers(target) & set(self.written):
                return "fixed"
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
                # struct page *page = folio_page(folio, 0); in the body: the same page each time
                if len(writes) == 1 and self._fixed_value(writes[0], name):
                    return "fixed"
                return None
            origin = self.facts.page_of.get(name)
            if origin is not None and self.folio is not None and origin == self.folio:
                return "fixed"
            if self.folio is not None and self.facts.folio_of_page.get(self.folio) == name:
                return "fixed"
        return None

    def _fixed_value(self, write: Node, name: str) -> bool:
        """``write`` sets ``name`` to a page of this loop's folio that no name written in
        the loop can move (``page = folio_page(folio, 0)``, ``page = &folio->page``)."""
        if write.type == "init_declarator":
            value = write.child_by_field_name("value")
        elif write.type == "assignment_expression" and cnodes.text(write.child_by_field_name("operator")) == "=":
            value = write.child_by_field_name("right")
        else:
            return False
        value = cnodes.strip_parens(value)
        if value is None or value.type == "identifier" or cnodes.mentions(value, name):
            return False
        return self.page_kind(value) == "fixed"

    def finding_facts(self, call: str | None = None, call_byte: int | None = None) -> LoopFacts:
        """This loop as a finding carries it (``Finding.loop``)."""
        return LoopFacts(self.node.start_byte, self.node.end_byte, self.index, self.folio, call, call_byte)

    def describe(self) -> str:
        parts = [f"shape={self.shape.value}", f"folio={self.folio or '?'}"]
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


class _Writes(dict):
    """``cnodes.assigned_names`` of the regions of one loop, each asked once (the walk,
    the steppers, the step and the condition read the same regions)."""

    def __missing__(self, node: Node) -> dict[str, list[Node]]:
        found = self[node] = cnodes.assigned_names(node)
        return found


def _walk_var(fn: Function, *where: Node | None, writes_in=None) -> str | None:
    """A page pointer advanced in ``where``: ``page++``, ``page += 1``, ``page = nth_page(page, 1)``."""
    writes_in = writes_in if writes_in is not None else _Writes()
    for w in where:
        if w is None:
            continue
        for name, writes in writes_in[w].items():
            if not vocab.is_page_pointer_type(fn.type_of(name)):
                continue
            for wr in writes:
                if wr.type == "update_expression" and "++" in cnodes.text(wr):
                    return name
                if wr.type == "assignment_expression":
                    op = cnodes.text(wr.child_by_field_name("operator"))
                    right = wr.child_by_field_name("right")
                    if op == "+=" or (op == "=" and _advances(cnodes.strip_parens(right), name)):
                        return name
    return None


def _advances(value: Node | None, name: str) -> bool:
    """``nth_page(page, 1)``, ``page + 1``: ``value`` is ``name`` moved on."""
    if value is None:
        return False
    if cnodes.call_name(value) == "nth_page":
        return cnodes.mentions(value, name)
    if value.type == "binary_expression" and cnodes.text(value.child_by_field_name("operator")) == "+":
        return cnodes.text(cnodes.strip_parens(value.child_by_field_name("left"))) == name
    return False


# The node types ``selection_of`` reads: a query finds them (in C), not a walk of every node.
_SELECTING = ("call_expression", "binary_expression", "subscript_expression")


def _selection(fn: Function, body: Node | None, index: str) -> Selection | None:
    """Where ``body`` selects a page (or an array element of pages or folios) with ``index``."""
    if body is None:
        return None
    for n in cnodes.of_type(body, *_SELECTING):
        sel = selection_of(fn, n)
        if sel is not None and index in cnodes.identifiers(sel[1]):
            return sel[0]
    return None


def selection_of(fn: Function, n: Node) -> tuple[Selection, Node] | None:
    """If ``n`` selects a page by an index (``folio_page(f, i)``, ``nth_page(p, i)``,
    ``page + i``, ``&page[i]``, ``pages[i]``): the selection and the index node."""
    if n.type == "call_expression":
        pe = vocab.page_expr(n)
        if pe is not None and pe.form in ("folio_page", "nth_page"):
            return Selection(pe.folio or "?", False), cnodes.call_args(n)[1]
        return None
    if n.type == "binary_expression" and cnodes.text(n.child_by_field_name("operator")) == "+":
        left = cnodes.strip_parens(n.child_by_field_name("left"))
        if left is not None and left.type == "identifier" and vocab.is_page_pointer_type(fn.type_of(cnodes.text(left))):
            return Selection(cnodes.text(left), False), n.child_by_field_name("right")
        return None
    if n.type == "subscript_expression":
        array = cnodes.strip_parens(n.child_by_field_name("argument"))
        if array is None:
            return None
        parent = n.parent
        address = parent is not None and parent.type == "pointer_expression" and \
            cnodes.text(parent.child_by_field_name("operator")) == "&"
        type_text = fn.type_of(cnodes.text(array)) if array.type == "identifier" else ""
        single = address and vocab.is_page_pointer_type(type_text)  # &page[i]: page + i
        if single or vocab.is_page_array_type(type_text) or vocab.is_page_array_name(array):
            return Selection(cnodes.text(array), not single), n.child_by_field_name("index")
    return None


def _comparison_candidates(cond: Node | None, stepped: set[str]) -> list[tuple[str, Node]]:
    """(index, bound node) pairs the loop condition tests: ``i < nr``, ``nr > i``,
    ``--nr_pages > 0``, and a bare count-down ``nr--`` / ``--nr`` / ``nr`` (bound: the
    name itself, counted down to zero).  A comma expression is judged by its value."""
    cond = cnodes.strip_parens(cond)
    while cond is not None and cond.type == "comma_expression":
        cond = cnodes.strip_parens(cond.child_by_field_name("right"))
    if cond is None:
        return []
    out = []
    parts = _compare_parts(cond)
    if parts is not None:
        left, right, _op = parts
        for idx_node, bound_node in ((left, right), (right, left)):
            index = _stepped_name(idx_node)
            if index is not None and (index in stepped or cnodes.strip_parens(idx_node).type == "update_expression"):
                out.append((index, bound_node))
        return out
    index = _stepped_name(cond)
    if index is not None and (index in stepped or cond.type == "update_expression"):
        target = cond.child_by_field_name("argument") if cond.type == "update_expression" else cond
        out.append((index, target))
    return out


def _step(regions: list[Node | None], index: str, writes_in=None) -> Shape | None:
    """How ``index`` moves: COUNT_DOWN (``--``, ``-= 1``), STRIDE (``+= step``, ``-= step``),
    None (up by one, or set from something else)."""
    writes_in = writes_in if writes_in is not None else _Writes()
    shape = None
    for region in regions:
        if region is None:
            continue
        for w in writes_in[region].get(index, []):
            if w.type == "update_expression":
                if "--" in cnodes.text(w):
                    shape = shape or Shape.COUNT_DOWN
            elif w.type == "assignment_expression":
                op = cnodes.text(w.child_by_field_name("operator"))
                one = cnodes.text(cnodes.strip_parens(w.child_by_field_name("right"))).rstrip("uUlL") == "1"
                if op in ("+=", "-=") and not one:
                    return Shape.STRIDE
                if op == "-=":
                    shape = shape or Shape.COUNT_DOWN
    return shape


def recognise(loop: Node, fn: Function, facts: FunctionFacts) -> PageLoop | None:
    """The one definition of a per-page loop (see the module docstring), or None."""
    kind = {"for_statement": "for", "while_statement": "while", "do_statement": "do"}[loop.type]
    cond = loop.child_by_field_name("condition")
    body = loop.child_by_field_name("body")
    update = loop.child_by_field_name("update")
    init = loop.child_by_field_name("initializer")
    writes_in = _Writes()
    in_cond = cond if kind == "do" or (cond is not None and bool(writes_in[cond])) else None
    walk_var = _walk_var(fn, update, body, in_cond, writes_in=writes_in)  # the for's update first, then the body
    # Names that change from one iteration to the next (the for's update, the body, the condition).
    regions = [update, body, cond]
    stepped = {name for region in regions if region is not None for name in writes_in[region]}
    for index, bound_node in _comparison_candidates(cond, stepped):
        folio = vocab.nr_pages_of(bound_node, facts.bound_vars)
        if folio is None and bound_node is not None and bound_node.type == "number_literal":
            folio = _countdown_folio(init, index, facts)  # for (i = nr - 1; i >= 0; i--)
        selection = _selection(fn, body, index)
        if folio is None and selection is None and walk_var is None:
            continue
        if folio is None and selection is not None:
            folio = selection.base
        if folio is None and walk_var is not None:
            folio = facts.page_of.get(walk_var)
        step = _step(regions, index, writes_in)
        stepped_in_cond = kind == "do" and (index in writes_in[cond] or walk_var and walk_var in writes_in[cond])
        if selection is not None and selection.array:
            shape = Shape.ARRAY
        elif stepped_in_cond:
            shape = Shape.DO_WHILE
        elif walk_var is not None and selection is None and folio is None:
            shape = Shape.POINTER_WALK
        else:
            shape = step or Shape.INDEX
        return PageLoop(loop, fn, kind, index, cnodes.text(bound_node), folio, walk_var, facts, shape)
    if walk_var is not None and cond is not None:
        # for (; nr; page++, nr--) / while (nr--) { ...; page++; }: a page walk with a counter
        shape = Shape.DO_WHILE if kind == "do" and walk_var in writes_in[cond] else Shape.POINTER_WALK
        return PageLoop(loop, fn, kind, None, cnodes.text(cond), facts.page_of.get(walk_var), walk_var, facts,
                        shape)
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
        text = src.raw[fn.node.start_byte:fn.body.end_byte]
        if not vocab.may_hold_page_loop(text):
            continue  # nothing this model could recognise a loop by (the prefilter's own question)
        facts = function_facts(fn)
        found = [pl for pl in (recognise(loop, fn, facts) for loop in fn.loops) if pl is not None]
        for pl in found:
            pl.inner = [o.node for o in found if o is not pl and cnodes.is_inside(o.node, pl.node)]
        out.extend(found)
    return out
