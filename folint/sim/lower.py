"""Lower a tree-sitter subtree into plain Python objects, once per function.

The interpreter replays a function once per path and visits the same nodes
many times; reading fields of a plain object is an order of magnitude faster
than asking tree-sitter each time.  Lowering is iterative, so deep nesting
cannot overflow Python's stack here.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from folint.sim.values import short

_MACRO_NAME = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")

_SKIP = frozenset({"comment"})
# Leaves whose text the interpreter reads.
_TEXT_LEAVES = frozenset({
    "identifier", "field_identifier", "statement_identifier", "type_identifier", "number_literal",
    "char_literal", "string_literal", "true", "false", "null", "primitive_type", "string_content",
    "system_lib_string", "concatenated_string",
})


class N:
    """One lowered node: ``type``, byte range, 1-based ``line``, named children
    ``kids`` (comments dropped), ``f`` field -> first child, ``fl`` field -> all
    children, ``op`` the operator token, ``text`` for leaves."""

    __slots__ = ("type", "start", "end", "line", "kids", "f", "fl", "op", "text", "is_error", "_src", "info",
                 "macro", "has_error", "_brief", "_words")

    def __init__(self, node: Node, line: int, src: bytes):
        self.type = node.type
        self.start = node.start_byte
        self.end = node.end_byte
        self.line = line
        self.kids: list[N] = []
        self.f: dict[str, N] = {}
        self.fl: dict[str, list[N]] = {}
        self.op: str | None = None
        self.text: str | None = src[self.start:self.end].decode("utf-8", "replace") \
            if node.type in _TEXT_LEAVES else None
        self.is_error = node.type == "ERROR" or node.is_missing
        self.has_error = node.has_error  # an ERROR or MISSING node somewhere below
        self._src = src
        self.info = None  # per-node cache the interpreter may fill (e.g. labels of a block)
        self.macro: str | None = None  # an iterator macro the kernelizer rewrote into this loop head
        self._brief: str | None = None  # brief(), once computed
        self._words: str | None = None  # words(), once computed

    def source(self) -> str:
        return self._src[self.start:self.end].decode("utf-8", "replace")

    def brief(self) -> str:
        """``short(self.source())``: the node's text on one line, at most 80 characters (how
        an unknown it gives reads).  Computed once: a path and its replays ask again and again."""
        b = self._brief
        if b is None:
            b = self._brief = short(self.source())
        return b

    def words(self) -> str:
        """The node's text with its whitespace runs made single spaces (a type's text), once."""
        w = self._words
        if w is None:
            w = self._words = " ".join(self.source().split())
        return w

    def __repr__(self) -> str:
        return f"N({self.type}@{self.line})"


def lower(root: Node, code: bytes, line_of, raw: bytes | None = None) -> N:
    """Lower ``root`` and its subtree; ``line_of(byte)`` gives the 1-based line.
    ``raw``: the file before kernelizing, to recognise rewritten iterator macros."""
    top = N(root, line_of(root.start_byte), code)
    stack = [(root, top)]
    while stack:
        node, low = stack.pop()
        if raw is not None and low.type == "while_statement" and raw[low.start:low.start + 5] != b"while":
            m = _MACRO_NAME.match(raw, low.start)
            low.macro = m.group(0).decode() if m else "iterator"
        if node.child_count == 0:
            continue
        for i, child in enumerate(node.children):
            fname = node.field_name_for_child(i)
            if not child.is_named:
                if fname == "operator" or (fname is None and low.op is None and child.type in _OPERATOR_TOKENS):
                    low.op = child.type
                continue
            if child.type in _SKIP:
                continue
            c = N(child, line_of(child.start_byte), code)
            low.kids.append(c)
            if fname:
                low.f.setdefault(fname, c)
                low.fl.setdefault(fname, []).append(c)
            stack.append((child, c))
    return top


# Operator tokens that tree-sitter-c does not put in an ``operator`` field
# (sizeof, pointer and field operators appear there; these catch the rest).
_OPERATOR_TOKENS = frozenset({"sizeof", "->", ".", "&", "*", "?", "=", "default", "case"})


def contains_error(n: N) -> bool:
    stack = [n]
    while stack:
        x = stack.pop()
        if x.is_error:
            return True
        stack.extend(x.kids)
    return False
