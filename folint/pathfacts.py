"""What the branch a statement sits in says about a variable, and the later conditions
that settles.

``if (behavior == DROP) folio_put(folio);`` puts the folio only on paths where
``behavior`` is ``DROP``; if ``behavior`` is never written in the function, a later
``if (behavior != EXCLUSIVE) break;`` is taken on every one of those paths (6.12
mm/filemap.c folio_wait_bit_common()).  A rule that follows "the statements that can
run next" after a statement asks ``known_on_path`` once and ``decide`` at each
``if`` on the way, so a branch the path cannot take is not searched.

Only equalities with constants are kept: ``V == K`` on the then-side, ``V != K`` on
the else-side, where ``V`` is a plain variable the function never writes (a parameter
such as a mode or a flag) and ``K`` an integer literal or an ALL-CAPS name.  Two
different names are different values only when the file gives both a value
(enumerators, ``#define NAME <int>``): aliases stay undecided.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from folint import cnodes

_CONSTANT = re.compile(r"^[A-Z][A-Z0-9_]*$")
_TRANSPARENT_CALLS = frozenset({"likely", "unlikely"})


def _int(text: str) -> int | None:
    try:
        return int(text.rstrip("uUlL"), 0)
    except ValueError:
        return None


def _is_constant(node: Node | None) -> bool:
    if node is None:
        return False
    t = cnodes.text(node)
    return node.type == "number_literal" and _int(t) is not None or node.type == "identifier" and bool(
        _CONSTANT.match(t))


def _unwrap(node: Node | None) -> Node | None:
    node = cnodes.strip_parens(node)
    while node is not None and node.type == "call_expression" and cnodes.call_name(node) in _TRANSPARENT_CALLS:
        args = cnodes.call_args(node)
        node = cnodes.strip_parens(args[0]) if len(args) == 1 else None
    return node


def _equality(cond: Node | None) -> tuple[str, str, bool] | None:
    """(variable, constant, is_equal) for ``V == K`` / ``V != K`` (either order), under
    parentheses, ``!`` and likely()/unlikely()."""
    cond = _unwrap(cond)
    negate = False
    while cond is not None and cond.type == "unary_expression" and cnodes.text(cond.child_by_field_name("operator")) == "!":
        negate = not negate
        cond = _unwrap(cond.child_by_field_name("argument"))
    if cond is None or cond.type != "binary_expression":
        return None
    op = cnodes.text(cond.child_by_field_name("operator"))
    if op not in ("==", "!="):
        return None
    left, right = _unwrap(cond.child_by_field_name("left")), _unwrap(cond.child_by_field_name("right"))
    for var, const in ((left, right), (right, left)):
        if var is not None and var.type == "identifier" and not _is_constant(var) and _is_constant(const):
            return cnodes.text(var), cnodes.text(const), (op == "==") != negate
    return None


def known_on_path(stmt: Node, fn) -> dict[str, str]:
    """``{variable: constant}`` that hold wherever ``stmt`` runs in ``fn`` (a
    ``folint.source.Function``), from the ``if`` statements around it."""
    known: dict[str, str] = {}
    child = stmt
    for parent in cnodes.ancestors(stmt):
        if parent.id == fn.body.id:
            break
        if parent.type == "else_clause":
            child = parent
            continue
        if parent.type == "if_statement":
            eq = _equality(parent.child_by_field_name("condition"))
            alt = parent.child_by_field_name("alternative")
            on_else = alt is not None and child.id == alt.id
            on_then = child.id == (parent.child_by_field_name("consequence") or parent).id
            if eq is not None and (on_then or on_else) and eq[2] == on_then and eq[0] not in fn.writes:
                known.setdefault(eq[0], eq[1])
        child = parent
    return known


def decide(cond: Node | None, known: dict[str, str], values: dict[str, int]) -> bool | None:
    """True or False when ``known`` settles ``cond``; None when it does not.  ``values``:
    the integer value of the file's named constants (``folint.sim.explore.file_constants``)."""
    if not known:
        return None
    eq = _equality(cond)
    if eq is None or eq[0] not in known:
        return None
    var, const, is_equal = eq
    have = known[var]
    if have == const:
        same = True
    else:
        a = _int(have) if have[:1].isdigit() else values.get(have)
        b = _int(const) if const[:1].isdigit() else values.get(const)
        if a is None or b is None:
            return None
        same = a == b
    return same if is_equal else not same
