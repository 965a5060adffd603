"""How control can leave a statement inside a loop body.

``outcomes(stmt, loop)`` is the set of ways a statement can end, seen from
the loop ``loop``: FALL (on to the next statement), NEXT (``continue``: next
iteration) or EXIT (``return``, ``break`` of this loop, ``goto`` to a label
outside the loop).  It recurses over statements only (not expressions),
bounded by ``MAX_DEPTH``; deeper code raises ``TooDeep``.
"""

from __future__ import annotations

from tree_sitter import Node

from folint import cnodes

FALL, NEXT, EXIT = "fall", "next", "exit"
MAX_DEPTH = 200


class TooDeep(Exception):
    pass


def labels_inside(node: Node) -> set[str]:
    return {cnodes.text(n.child_by_field_name("label")) for n in cnodes.walk(node)
            if n.type == "labeled_statement"}


def outcomes(stmt: Node | None, loop: Node, _labels: set[str] | None = None, _depth: int = 0) -> frozenset[str]:
    if _depth > MAX_DEPTH:
        raise TooDeep(stmt)
    labels = labels_inside(loop) if _labels is None else _labels
    if stmt is None:
        return frozenset({FALL})
    t = stmt.type
    if t == "return_statement":
        return frozenset({EXIT})
    if t == "break_statement":
        return frozenset({EXIT})
    if t == "continue_statement":
        return frozenset({NEXT})
    if t == "goto_statement":
        label = cnodes.text(stmt.child_by_field_name("label"))
        return frozenset({FALL}) if label in labels else frozenset({EXIT})
    if t == "compound_statement":
        current = {FALL}
        for child in stmt.named_children:
            if FALL not in current:
                break
            if child.type == "comment":
                continue
            current.discard(FALL)
            current |= outcomes(child, loop, labels, _depth + 1)
        return frozenset(current)
    if t == "if_statement":
        cons = outcomes(stmt.child_by_field_name("consequence"), loop, labels, _depth + 1)
        alt_node = stmt.child_by_field_name("alternative")
        if alt_node is not None and alt_node.type == "else_clause":
            alt_node = alt_node.named_children[0] if alt_node.named_children else None
            alt = outcomes(alt_node, loop, labels, _depth + 1)
        else:
            alt = frozenset({FALL})
        return cons | alt
    if t == "labeled_statement":
        inner = [c for c in stmt.named_children if c.type != "statement_identifier"]
        return outcomes(inner[-1] if inner else None, loop, labels, _depth + 1)
    if t in cnodes.LOOP_TYPES or t == "switch_statement":
        # break/continue inside belong to the inner statement; returns and
        # gotos out still leave our loop, but only on some paths.
        inner_exits = any(n.type == "return_statement" or
                          (n.type == "goto_statement" and cnodes.text(n.child_by_field_name("label")) not in labels)
                          for n in cnodes.walk(stmt))
        return frozenset({FALL, EXIT}) if inner_exits else frozenset({FALL})
    return frozenset({FALL})


def first_exit(stmt: Node, loop: Node) -> Node | None:
    """The first statement in ``stmt`` that leaves ``loop`` (return/break/goto out)."""
    labels = labels_inside(loop)
    # Inner loops and switches are not entered: a break there is theirs, not ours.
    for n in cnodes.walk(stmt, skip=cnodes.BREAK_SCOPES):
        if n.type in ("return_statement", "break_statement") or \
                (n.type == "goto_statement" and cnodes.text(n.child_by_field_name("label")) not in labels):
            return n
    return None
