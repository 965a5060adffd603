"""How control can leave a statement inside a loop body.

``outcomes(stmt, loop)`` is the set of ways a statement can end, seen from
the loop ``loop``: FALL (on to the next statement), NEXT (``continue``: next
iteration) or EXIT (``return``, ``break`` of this loop, ``goto`` to a label
outside the loop).  ``first_exit(stmt, loop)`` is the first statement in
``stmt`` that leaves the loop.

Both are answered from one pass over the loop, made once per loop and
memoised (``_LoopFlow``): every node's outcomes, first exit and whether a
``return`` or ``goto`` out lies below it are computed bottom-up without
recursion, so a rule asking about each of 10,000 nested ``if`` statements does
linear work in all and no nesting depth is too deep.
"""

from __future__ import annotations

import functools

from tree_sitter import Node

from folint import cnodes

FALL, NEXT, EXIT = "fall", "next", "exit"
_FALL, _NEXT, _EXIT = frozenset({FALL}), frozenset({NEXT}), frozenset({EXIT})
_FALL_EXIT = frozenset({FALL, EXIT})


class TooDeep(Exception):
    """Kept for callers that guard against it; the exit search no longer raises it."""


def labels_inside(node: Node) -> set[str]:
    return {cnodes.text(n.child_by_field_name("label")) for n in cnodes.walk(node)
            if n.type == "labeled_statement"}


class _LoopFlow:
    """Per-node facts of one loop, filled bottom-up on demand (each node once)."""

    def __init__(self, loop: Node):
        self.labels = labels_inside(loop)
        self.out: dict[int, frozenset[str]] = {}
        self.first: dict[int, Node | None] = {}  # first exit below, not entering inner loops/switches
        self.escapes: dict[int, bool] = {}  # a return or a goto out of the loop lies below (inner loops too)

    def _leaves(self, n: Node) -> bool:
        if n.type in ("return_statement", "break_statement"):
            return True
        return n.type == "goto_statement" and cnodes.text(n.child_by_field_name("label")) not in self.labels

    def fill(self, root: Node) -> None:
        """Compute the facts of ``root`` and every node below it not yet known."""
        if root.id in self.out:
            return
        stack: list[tuple[Node, bool]] = [(root, False)]
        while stack:
            n, children_done = stack.pop()
            if n.id in self.out:
                continue
            if not children_done:
                stack.append((n, True))
                stack.extend((c, False) for c in n.children if c.id not in self.out)
                continue
            self._settle(n)

    def _settle(self, n: Node) -> None:
        kids = n.children
        t = n.type
        if t == "goto_statement":
            esc = cnodes.text(n.child_by_field_name("label")) not in self.labels
        else:
            esc = t == "return_statement" or any(self.escapes[c.id] for c in kids)
        self.escapes[n.id] = esc
        if self._leaves(n):
            first = n
        else:
            first = next((self.first[c.id] for c in kids
                          if c.type not in cnodes.BREAK_SCOPES and self.first[c.id] is not None), None)
        self.first[n.id] = first
        self.out[n.id] = self._outcomes(n, t)

    def _outcomes(self, n: Node, t: str) -> frozenset[str]:
        if t in ("return_statement", "break_statement"):
            return _EXIT
        if t == "continue_statement":
            return _NEXT
        if t == "goto_statement":
            return _EXIT if self.escapes[n.id] else _FALL
        if t == "compound_statement":
            current = {FALL}
            for child in n.named_children:
                if FALL not in current:
                    break
                if child.type == "comment":
                    continue
                current.discard(FALL)
                current |= self.out[child.id]
            return frozenset(current)
        if t == "if_statement":
            cons = n.child_by_field_name("consequence")
            alt = n.child_by_field_name("alternative")
            if alt is not None and alt.type == "else_clause":
                alt = alt.named_children[0] if alt.named_children else None
                alt_out = self.out[alt.id] if alt is not None else _FALL
            else:
                alt_out = _FALL
            return (self.out[cons.id] if cons is not None else _FALL) | alt_out
        if t == "labeled_statement":
            inner = [c for c in n.named_children if c.type != "statement_identifier"]
            return self.out[inner[-1].id] if inner else _FALL
        if t in cnodes.LOOP_TYPES or t == "switch_statement":
            # break/continue inside belong to the inner statement; returns and
            # gotos out still leave our loop, but only on some paths.
            return _FALL_EXIT if self.escapes[n.id] else _FALL
        return _FALL


@functools.lru_cache(maxsize=8)
def _flow(loop: Node) -> _LoopFlow:
    return _LoopFlow(loop)


def outcomes(stmt: Node | None, loop: Node) -> frozenset[str]:
    if stmt is None:
        return _FALL
    f = _flow(loop)
    f.fill(stmt)
    return f.out[stmt.id]


def first_exit(stmt: Node, loop: Node) -> Node | None:
    """The first statement in ``stmt`` that leaves ``loop`` (return/break/goto out).
    Inner loops and switches are not entered: a break there is theirs, not ours."""
    if stmt.type in cnodes.BREAK_SCOPES:
        return None
    f = _flow(loop)
    f.fill(stmt)
    return f.first[stmt.id]
