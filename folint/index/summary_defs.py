"""The summary's definitions and prototypes: the functions a file defines or declares
that take a ``struct page *`` (``folint.index.summary``), and how a definition's body
uses each page parameter (``param_uses``, which FOL003's fix reads too)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from folint import cnodes
from folint.index.records import ParamUses
from folint.source import Function, SourceFile, declared_names
from folint.vocab import is_folio_pointer_type, is_page_pointer_type


class _Positions:
    """``src.position`` without making the list of every line's start (``src.position``
    is used when it is made): the newlines between the byte asked and the last one asked
    are counted (positions are asked mostly in order, and near one another)."""

    __slots__ = ("src", "_byte", "_line")

    def __init__(self, src: SourceFile):
        self.src, self._byte, self._line = src, 0, 1

    def __call__(self, byte: int) -> tuple[int, int]:
        src = self.src
        if "_line_starts" in src.__dict__:
            return src.position(byte)
        raw, last = src.raw, self._byte
        if byte >= last:
            line = self._line + raw.count(b"\n", last, byte)
        else:
            line = self._line - raw.count(b"\n", byte, last)
        self._byte, self._line = byte, line
        return line, byte - raw.rfind(b"\n", 0, byte)



def declarator_parts(node: Node) -> tuple[Node | None, Node | None]:
    """(name identifier, parameter_list) of a function definition or declaration."""
    d = node.child_by_field_name("declarator")
    while d is not None and d.type != "function_declarator":
        d = d.child_by_field_name("declarator")
    if d is None:
        return None, None
    ident = d.child_by_field_name("declarator")
    while ident is not None and ident.type not in ("identifier", "field_identifier"):
        ident = ident.child_by_field_name("declarator")
    return ident, d.child_by_field_name("parameters")


def _params(src: SourceFile, plist: Node | None) -> list[dict]:
    """Each parameter: name (may be empty in a prototype), type, raw text and byte span."""
    out = []
    if plist is None:
        return out
    for p in plist.named_children:
        if p.type != "parameter_declaration":
            continue
        names = declared_names(p)
        if names:
            name, ptype = names[0]
        else:  # unnamed, as in a prototype: `struct page *`
            tnode = p.child_by_field_name("type")
            stars = src.text(p).count("*")
            name, ptype = "", cnodes.normalise(cnodes.text(tnode)) + (" " + "*" * stars if stars else "")
        out.append({"name": name, "type": ptype, "text": src.text(p), "span": [p.start_byte, p.end_byte]})
    return out


def _storage(src: SourceFile, node: Node, name: Node) -> dict:
    prefix = src.raw[node.start_byte:name.start_byte]
    words = set(re.findall(rb"\w+", prefix))
    return {"static": b"static" in words,
            "inline": bool(words & {b"inline", b"__inline", b"__always_inline", b"__inline__"}),
            "weak": b"__weak" in words or b"weak" in words}


def _may_declare_page(src: SourceFile, plist: Node | None) -> bool:
    """Whether a parameter in ``plist`` can have a page pointer type: such a type's text,
    which the parse holds (``src.code``), says ``page`` (most functions' do not)."""
    return plist is not None and src.code.find(b"page", plist.start_byte, plist.end_byte) >= 0


def _definition(src: SourceFile, fn: Function) -> dict | None:
    if src.code.find(b"page", fn.node.start_byte, fn.body.start_byte) < 0:
        return None  # no page parameter (``_may_declare_page``), read without a node
    ident, plist = declarator_parts(fn.node)
    if not _may_declare_page(src, plist):
        return None
    params = _params(src, plist)
    page_params = [i for i, p in enumerate(params) if is_page_pointer_type(p["type"]) and p["name"]]
    if ident is None or not page_params:
        return None
    position = _Positions(src)  # ``src.position``; a few page-taking functions a file
    line, col = position(ident.start_byte)
    end_line, end_col = position(plist.end_byte)
    return {
        "name": fn.name, "line": line, "col": col, "end_line": end_line, "end_col": end_col,
        **_storage(src, fn.node, ident),
        "signature": cnodes.normalise(src.raw[fn.node.start_byte:plist.end_byte].decode("utf-8", "replace")),
        "params": params,
        "page_params": page_params,
        "uses": {str(i): param_uses(src, fn, params[i]["name"]).to_json() for i in page_params},
        "body": [fn.body.start_byte, fn.body.end_byte],
    }


def param_uses(src: SourceFile, fn: Function, name: str) -> ParamUses:
    """How the body uses page parameter ``name``.

    ``roundtrip``: uses that are ``page_folio(name)``; ``other``: every other use.
    ``folio_var``/``decl``: when the body opens with ``struct folio *f = page_folio(name);``
    (a declaration of its own, directly in the body), the variable and the
    byte span of that declaration's whole lines (what a fix deletes).
    """
    key = name.encode()
    roundtrip = other = 0
    for n in identifiers_named(src.code, fn.body, key):
        if _is_page_folio_of(n):
            roundtrip += 1
        else:
            other += 1
    folio_var = decl = None
    for stmt in fn.body.named_children:
        if stmt.type == "comment":
            continue
        if stmt.type == "declaration" and len(stmt.children_by_field_name("declarator")) == 1:
            init = stmt.child_by_field_name("declarator")
            value = cnodes.strip_parens(init.child_by_field_name("value")) if init.type == "init_declarator" else None
            names = declared_names(stmt)
            if (value is not None and cnodes.call_name(value) == "page_folio" and names
                    and is_folio_pointer_type(names[0][1]) and _sole_arg_is(value, key)):
                folio_var, decl = names[0][0], _whole_lines(src, stmt)
                break
        if cnodes.mentions(stmt, name):
            break  # the page is used before any `page_folio(page)` declaration
    return ParamUses(roundtrip, other, folio_var, decl)


def identifiers_named(code: bytes, node: Node, key: bytes) -> Iterator[Node]:
    """The identifiers under ``node`` whose text is ``key``: those of ``cnodes.walk(node)``,
    in source order, found where ``code`` (the parsed text) holds ``key`` rather than by
    visiting every node: the smallest node spanning such bytes is the identifier, if
    one spans exactly them."""
    if not key:  # only a missing (zero-width) identifier: nothing to search for
        yield from (n for n in cnodes.walk(node) if n.type == "identifier" and n.text == key)
        return
    end = node.end_byte
    at = code.find(key, node.start_byte, end)
    while at >= 0:
        n = node.descendant_for_byte_range(at, at + len(key))
        if n is not None and n.type == "identifier" and n.text == key:
            yield n
        at = code.find(key, at + 1, end)


def _is_page_folio_of(ident: Node) -> bool:
    args = ident.parent
    while args is not None and args.type == "parenthesized_expression":
        args = args.parent
    call = args.parent if args is not None and args.type == "argument_list" else None
    return call is not None and cnodes.call_name(call) == "page_folio" and len(args.named_children) == 1


def _sole_arg_is(call: Node, key: bytes) -> bool:
    args = cnodes.call_args(call)
    return len(args) == 1 and (a := cnodes.strip_parens(args[0])) is not None and a.type == "identifier" \
        and a.text == key


def _whole_lines(src: SourceFile, node: Node) -> tuple[int, int]:
    """The span of ``node`` widened to whole lines when it is alone on them."""
    start, end = node.start_byte, node.end_byte
    line_start = src.raw.rfind(b"\n", 0, start) + 1
    line_end = src.raw.find(b"\n", end)
    line_end = len(src.raw) if line_end == -1 else line_end + 1
    if src.raw[line_start:start].strip() == b"" and src.raw[end:line_end].strip() == b"":
        return line_start, line_end
    return start, end


def _prototype(src: SourceFile, decl: Node, position) -> dict | None:
    ident, plist = declarator_parts(decl)
    if ident is None or not _may_declare_page(src, plist):
        return None
    params = _params(src, plist)
    page_params = [i for i, p in enumerate(params) if is_page_pointer_type(p["type"])]
    if not page_params:
        return None
    line, col = position(ident.start_byte)
    return {"name": cnodes.text(ident), "line": line, "col": col, **_storage(src, decl, ident),
            "params": params, "page_params": page_params}


