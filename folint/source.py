"""SourceFile: one parsed C file with the facts every rule needs, computed once.

Rules read the *kernelized* tree (``folint.kernel_c``) but messages and
statements come from the raw bytes at the same offsets, so what a user sees
is what the file says.

A *focus* (``SourceFile.focused(names)``, what check-patch uses on a long
series) is a view of the same parse whose ``functions`` (and so ``page_loops``)
are only the named functions: the rules, which check ``src.functions`` one
after another, then check only those.  Code that *looks a function up* (a
callee or the callers of one, in this file) must read ``all_functions``, which
a focus never narrows, so a focused check finds in its functions exactly what
the whole check finds there (tests/test_patch_focus.py holds it to that).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from dataclasses import dataclass, field

from tree_sitter import Node

from folint import cnodes
from folint.parsing import captures, parse_kernel_c


_NEWLINE = re.compile(rb"\n")

# One query gives every function and what each holds; nodes are shared out by
# byte range (much cheaper than one query, or one Python walk, per function).
_FILE_INDEX = """
(function_definition) @fn
[(for_statement) (while_statement) (do_statement)] @loop
(call_expression function: (identifier)) @call
(declaration) @decl
[(preproc_function_def) (preproc_def)] @macro
"""


@dataclass
class Function:
    name: str
    node: Node
    body: Node
    given_params: list[tuple[str, str]] | None = None  # None: read from the definition when first asked
    loops: list[Node] = field(default_factory=list)  # every loop statement in the body
    calls: list[Node] = field(default_factory=list)  # every call of a named function in the body

    @functools.cached_property
    def params(self) -> list[tuple[str, str]]:
        """(name, type text such as "struct folio *") of each parameter (read when first
        asked: a file's parse makes every Function, a check reads a few)."""
        return self.given_params if self.given_params is not None else _function_params(self.node)

    @functools.cached_property
    def writes(self) -> dict[str, list[Node]]:
        """Names written in the body (``cnodes.assigned_names``), computed once."""
        return cnodes.assigned_names(self.body)

    declarations: list[Node] = field(default_factory=list)  # every declaration in the body

    @functools.cached_property
    def var_types(self) -> dict[str, str]:
        """Types of the parameters and local variables, by name (first declaration wins)."""
        out = dict(self.params)
        for decl in self.declarations:
            for vname, vtype in declared_names(decl):
                out.setdefault(vname, vtype)
        return out

    def type_of(self, name: str) -> str:
        return self.var_types.get(name, "")


_DECLARATOR_CHAIN = frozenset({"init_declarator", "pointer_declarator", "array_declarator",
                               "parenthesized_declarator"})


def declared_identifier(d: Node) -> tuple[Node | None, int]:
    """(the identifier declarator ``d`` declares, or None; how many ``*`` lead to it)."""
    stars = 0
    n = d
    while n is not None and n.type in _DECLARATOR_CHAIN:
        if n.type == "pointer_declarator":
            stars += 1
        n = n.child_by_field_name("declarator") or (n.named_children[0] if n.named_children else None)
    return (n, stars) if n is not None and n.type == "identifier" else (None, stars)


def declared_names(decl: Node) -> list[tuple[str, str]]:
    """(name, type) pairs declared by a declaration or parameter_declaration node."""
    tnode = decl.child_by_field_name("type")
    base = cnodes.normalise(cnodes.text(tnode)) if tnode is not None else ""
    out = []
    for d in decl.children_by_field_name("declarator"):
        n, stars = declared_identifier(d)
        if n is not None:
            out.append((cnodes.text(n), base + (" " + "*" * stars if stars else "")))
    return out


def _function_name(defn: Node) -> str | None:
    d = defn.child_by_field_name("declarator")
    while d is not None and d.type != "function_declarator":
        d = d.child_by_field_name("declarator")
    if d is None:
        return None
    ident = d.child_by_field_name("declarator")
    while ident is not None and ident.type not in ("identifier", "field_identifier"):
        ident = ident.child_by_field_name("declarator")
    return cnodes.text(ident) if ident is not None else None


def _function_params(defn: Node) -> list[tuple[str, str]]:
    d = defn.child_by_field_name("declarator")
    while d is not None and d.type != "function_declarator":
        d = d.child_by_field_name("declarator")
    plist = d.child_by_field_name("parameters") if d is not None else None
    if plist is None:
        return []
    out = []
    for p in plist.named_children:
        if p.type == "parameter_declaration":
            out.extend(declared_names(p))
    return out


class SourceFile:
    focus: frozenset[str] | None = None  # the names of the functions checked; None: all
    # the spans of ``raw`` blanked before parsing (folint.blanking: the insides of bodies
    # no rule needs); the tree holds nothing there, whatever ``raw`` holds
    blanked: tuple[tuple[int, int], ...] = ()

    def __init__(self, path: str, raw: bytes, parsed: tuple | None = None):
        """``parsed``: (kernelized bytes, tree) of ``raw`` when the caller has them."""
        self.path = path
        self.raw = raw
        self.code, self.tree = parsed if parsed is not None else parse_kernel_c(raw)

    def focused(self, names) -> SourceFile:
        """A view of this file whose ``functions`` are those named ``names`` only (the
        parse, the positions and every function's facts are shared, not redone)."""
        self.all_functions  # computed once, here, so that every view shares them
        view = object.__new__(type(self))
        view.__dict__.update(self.__dict__)
        for derived in ("functions", "page_loops"):  # what a focus narrows
            view.__dict__.pop(derived, None)
        view.focus = frozenset(names)
        return view

    @functools.cached_property
    def _line_starts(self) -> list[int]:
        """Offsets where lines start; computed on the first position asked (many parsed
        files have no finding and no summary, and never ask)."""
        return [0, *(m.end() for m in _NEWLINE.finditer(self.raw))]

    @property
    def root(self) -> Node:
        return self.tree.root_node

    # -- positions and text -------------------------------------------------
    def position(self, byte: int) -> tuple[int, int]:
        """1-based (line, column) of a byte offset; columns count bytes."""
        i = bisect.bisect_right(self._line_starts, byte) - 1
        return i + 1, byte - self._line_starts[i] + 1

    def line_text(self, line: int) -> str:
        start = self._line_starts[line - 1]
        end = self.raw.find(b"\n", start)
        return self.raw[start: end if end != -1 else len(self.raw)].decode("utf-8", "replace")

    def text(self, node: Node) -> str:
        """The raw text under ``node`` (not the kernelized text the parser saw)."""
        return self.raw[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def byte_at(self, line: int, col: int) -> int:
        """The byte offset of 1-based (``line``, ``col``) (columns count bytes): the
        inverse of :meth:`position`."""
        return self._line_starts[line - 1] + col - 1

    def node_at(self, byte, types) -> Node | None:
        """The innermost node of one of ``types`` (a type name or a collection of them)
        that starts at ``byte``; None when there is none (or ``byte`` is not an int,
        e.g. missing from a finding's data)."""
        if not isinstance(byte, int) or not 0 <= byte < len(self.raw):
            return None
        if isinstance(types, str):
            types = (types,)
        node = self.root.descendant_for_byte_range(byte, byte + 1)
        while node is not None and not (node.type in types and node.start_byte == byte):
            node = node.parent
        return node

    # -- functions -----------------------------------------------------------
    @functools.cached_property
    def _index(self) -> dict[str, list[Node]]:
        return captures(_FILE_INDEX, self.root)

    @functools.cached_property
    def functions(self) -> list[Function]:
        """The functions to check: every definition, or those of the focus."""
        if self.focus is None:
            return self.all_functions
        return [fn for fn in self.all_functions if fn.name in self.focus]

    @functools.cached_property
    def all_functions(self) -> list[Function]:
        """Every function definition of the file, in order (a focus never narrows it:
        for looking up a callee or the callers of a function)."""
        out = []
        for defn in self._index.get("fn", ()):
            name = _function_name(defn)
            body = defn.child_by_field_name("body")
            if name and body is not None:
                out.append(Function(name, defn, body))
        starts = [fn.body.start_byte for fn in out]
        for kind, attr in (("loop", "loops"), ("call", "calls"), ("decl", "declarations")):
            for node in self._index.get(kind, ()):
                i = bisect.bisect_right(starts, node.start_byte) - 1
                if i >= 0 and node.end_byte <= out[i].body.end_byte:
                    getattr(out[i], attr).append(node)
        return out

    @functools.cached_property
    def _definition_spans(self) -> tuple[list[int], list[int]]:
        defs = self._index.get("fn", [])
        return [d.start_byte for d in defs], list(itertools.accumulate((d.end_byte for d in defs), max))

    def is_top_level(self, node: Node) -> bool:
        """``node`` lies outside every function definition (its declarator included)."""
        starts, reach = self._definition_spans  # reach[i]: the furthest end of defs[:i + 1]
        i = bisect.bisect_right(starts, node.start_byte) - 1
        return i < 0 or reach[i] < node.end_byte

    @functools.cached_property
    def top_level(self) -> dict[str, list[Node]]:
        """Declarations ("decl") and macro definitions ("macro") outside every function."""
        return {kind: [n for n in self._index.get(kind, ()) if self.is_top_level(n)] for kind in ("decl", "macro")}

    def function_at(self, node: Node) -> Function | None:
        fns = self.all_functions
        i = bisect.bisect_right([fn.node.start_byte for fn in fns], node.start_byte) - 1
        if i >= 0 and node.start_byte < fns[i].node.end_byte:
            return fns[i]
        return None

    @functools.cached_property
    def page_loops(self):
        from folint.loops import find_page_loops

        return find_page_loops(self)


