"""Small helpers over tree-sitter C nodes, shared by the engine, the rules and the simulator.

All walks are iterative: kernel code (and hostile input) can nest deeper than
Python's recursion limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node, QueryCursor

LOOP_TYPES = frozenset({"for_statement", "while_statement", "do_statement"})
# Nodes that start a new scope for `break`.
BREAK_SCOPES = LOOP_TYPES | {"switch_statement"}

_WS = re.compile(r"\s+")


def text(node: Node | None) -> str:
    return "" if node is None else node.text.decode("utf-8", "replace")


def normalise(s: str) -> str:
    """Text with white space folded, for matching statements across versions."""
    return _WS.sub(" ", s).strip()


def walk(node: Node, *, skip: frozenset[str] = frozenset()) -> Iterator[Node]:
    """Pre-order, source-ordered walk of ``node`` and its descendants.

    Children of a node whose type is in ``skip`` are not visited (the node is).
    A tree cursor moves in C and builds no child lists (about 3x faster than a
    stack of ``node.children``); ``depth`` keeps it inside ``node``.
    """
    yield node
    cursor = node.walk()
    if not cursor.goto_first_child():
        return
    depth = 1
    while True:
        n = cursor.node
        yield n
        if cursor.goto_first_child():
            if n.type not in skip:
                depth += 1
                continue
            cursor.goto_parent()
        while not cursor.goto_next_sibling():
            cursor.goto_parent()
            depth -= 1
            if depth == 0:
                return


def of_type(node: Node, *types: str) -> Iterator[Node]:
    """``node`` and its descendants of these types, in the order of ``walk``; found by
    a query (in C: a Python walk visits every node, the query only the ones it finds)."""
    from folint.parsing import query

    found = QueryCursor(query(_types_query(types))).captures(node).get("n", [])
    return iter(sorted(found, key=_pre_order_key))


def _types_query(types: tuple[str, ...]) -> str:
    return "[" + " ".join(f"({t})" for t in sorted(set(types))) + "] @n"


def _pre_order_key(n: Node) -> tuple[int, int]:
    """Where a pre-order walk meets ``n``: by start, the outer of two nodes first."""
    return n.start_byte, -n.end_byte


def strip_parens(node: Node | None) -> Node | None:
    while node is not None and node.type == "parenthesized_expression" and node.named_child_count == 1:
        node = node.named_children[0]
    return node


def call_name(node: Node) -> str | None:
    """``foo`` for a call ``foo(...)``; None for other nodes or indirect calls."""
    if node.type != "call_expression":
        return None
    fn = node.child_by_field_name("function")
    return fn.text.decode("utf-8", "replace") if fn is not None and fn.type == "identifier" else None


def call_args(node: Node) -> list[Node]:
    args = node.child_by_field_name("arguments")
    return [] if args is None else list(args.named_children)


def identifiers(node: Node) -> set[str]:
    return {text(n) for n in walk(node) if n.type == "identifier"}


def mentions(node: Node, name: str) -> bool:
    b = name.encode()
    return any(n.type == "identifier" and n.text == b for n in walk(node))


def ancestors(node: Node) -> Iterator[Node]:
    p = node.parent
    while p is not None:
        yield p
        p = p.parent


def is_inside(node: Node, outer: Node) -> bool:
    return outer.start_byte <= node.start_byte and node.end_byte <= outer.end_byte


def enclosing_statement(node: Node) -> Node:
    """The innermost statement (or declaration) containing ``node``."""
    n = node
    while n.parent is not None and not (n.type.endswith("_statement") or n.type == "declaration"):
        n = n.parent
    return n


_WRITES_QUERY = """
(assignment_expression left: (_) @target) @write
(update_expression argument: (_) @target) @write
(init_declarator declarator: (_) @target) @write
"""


def assigned_names(node: Node) -> dict[str, list[Node]]:
    """Names written in ``node``: ``x = ..``, ``x op= ..``, ``x++``, ``x.f = ..``, ``x.f++``.

    Keys are the base identifier (``entry`` for ``entry.val++``); values are
    the writing nodes, in the order of a pre-order walk of ``node``.  Found by a
    query (in C; a walk in Python visited every node, most of the loop model's time).
    """
    from folint.parsing import query

    out: dict[str, list[Node]] = {}
    matches = QueryCursor(query(_WRITES_QUERY)).matches(node)
    writes = sorted(((m["write"][0], m["target"][0]) for _, m in matches), key=lambda wt: _pre_order_key(wt[0]))
    for write, target in writes:
        base = base_identifier(target)
        if base:
            out.setdefault(base, []).append(write)
    return out


def written_value(write: Node) -> Node | None:
    """The value a write from ``assigned_names`` stores: the initialiser of
    ``T x = v`` or the right side of ``x = v``; None for ``x op= v``, ``x++`` ..."""
    if write.type == "init_declarator":
        return write.child_by_field_name("value")
    if write.type == "assignment_expression" and text(write.child_by_field_name("operator")) == "=":
        return write.child_by_field_name("right")
    return None


def base_identifier(node: Node | None) -> str | None:
    """``entry`` for ``entry``, ``entry.val``, ``(entry)``, ``*p``, ``a[i]``."""
    while node is not None:
        if node.type == "identifier":
            return text(node)
        if node.type == "field_expression":
            node = node.child_by_field_name("argument")
        elif node.type in ("parenthesized_expression", "pointer_expression", "pointer_declarator"):
            node = node.named_children[-1] if node.named_children else None
        elif node.type == "subscript_expression":
            node = node.child_by_field_name("argument")
        else:
            return None
    return None
