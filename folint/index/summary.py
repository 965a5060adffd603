"""One file's contribution to the tree index: a small, path-free summary.

The summary holds what tree-wide rules need to know about a file without
parsing it again: the functions it defines and declares that take a
``struct page *``, the calls in it that pass a page (and where that page comes
from), the function names it uses as values (callbacks: their signature is
fixed by someone else) and the names it exports.  It is plain JSON data and
carries no path, so it can be cached by the file's content hash.

Call arguments are stored compactly (``call["args"][i]``); their layout belongs to
``folint.index.records`` (``FolioPage``, ``PlainPage``, ``FolioValue``, or None for
anything else), which is the only module that reads or writes it.
"""

from __future__ import annotations

import bisect
import re

from tree_sitter import Node, QueryCursor

from folint import cnodes
from folint.parsing import captures, query
from folint.index.records import (Arg, FolioPage, FolioValue, ParamUses, PlainPage, arg_json_moved, arg_to_json,
                                  passes_page)
from folint.source import Function, SourceFile, declared_names
from folint.vocab import is_folio_pointer_type, is_page_pointer_type

# A file without these bytes has no page-taking function and passes no page
# we can see; it is left out of the index without being parsed.
NEEDLES = (b"page", b"folio")
# Calls that name a page of a folio: (folio argument, index argument).
FOLIO_PAGE_CALLS = {"folio_page": (0, 1), "folio_file_page": (0, 1)}
_EXPORT = re.compile(rb"\bEXPORT_SYMBOL(?:_GPL)?(?:_FOR_MODULES|_NS|_NS_GPL)?\s*\(\s*(\w+)")
_MACRO_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
_TEXT_MAX = 60
_REF_PARENTS = frozenset({"initializer_pair", "initializer_list", "argument_list", "return_statement",
                          "conditional_expression", "assignment_expression", "init_declarator"})


def summarise(src: SourceFile, memo: dict | None = None) -> dict:
    """The summary of ``src`` (see the module docstring for the shapes).

    ``memo``: each function's part of the summary last made with it, by all that the
    part is made of but where it is (``_part_key``): a function found there unchanged
    is not looked at again, only moved (``_moved``), and ``memo`` then holds this
    summary's parts (check-patch on a series: patch k+1 changes a few functions of the
    text patch k left, and moves those after them)."""
    out: dict = {"defs": [], "protos": [], "calls": [], "macro_calls": [], "refs": [], "exports": []}
    file_types = _file_level_types(src)
    refs: set[str] = set()
    ref_nodes, top_refs = _refs_by_function(src)
    types = repr(sorted(file_types.items())) if memo is not None else ""
    parts: dict = {}
    for i, fn in enumerate(src.functions):
        key, at = _part_key(src, fn, types) if memo is not None else (None, None)
        kept = memo.get(key) if key is not None else None
        if kept is not None:
            part = _moved(kept[1], at[0] - kept[0][0], at[1] - kept[0][1])
        else:
            calls: list = []
            fn_refs: set[str] = set()
            _calls_and_refs(src, fn, file_types, calls, ref_nodes[i], fn_refs)
            part = (_definition(src, fn), calls, fn_refs)
        if key is not None:
            parts[key] = (at, part)
        record, calls, fn_refs = part
        if record is not None:
            out["defs"].append(record)
        out["calls"].extend(calls)
        refs |= fn_refs
    if memo is not None:
        memo.clear()
        memo.update(parts)
    _top_level(src, out, top_refs, refs)
    out["exports"] = sorted({m.group(1).decode() for m in _EXPORT.finditer(src.raw)})
    out["refs"] = sorted(refs)
    return out


def _part_key(src: SourceFile, fn: Function, types: str) -> tuple[tuple, tuple[int, int]]:
    """(what a function's part of the summary is made of, where it is): the whole lines
    it spans (raw and kernelized; where in them it starts), its parse, and the
    file-level types (``types``) its calls' arguments may have; (line, byte) where
    those lines start (every position in the part follows them: ``_moved``)."""
    start = src.raw.rfind(b"\n", 0, fn.node.start_byte) + 1
    end = src.raw.find(b"\n", fn.node.end_byte)
    end = len(src.raw) if end < 0 else end
    return ((fn.node.start_byte - start, src.raw[start:end], src.code[start:end], str(fn.node), types),
            (src.position(start)[0], start))


def _moved(part: tuple, lines: int, delta: int) -> tuple:
    """A function's part of the summary (definition record, calls, refs) for the same
    function ``lines`` lines and ``delta`` bytes further on: every line and byte span
    ``_definition`` and ``_calls_and_refs`` write moves with it (columns do not)."""
    if not lines and not delta:
        return part
    record, calls, refs = part
    if record is not None:
        span = lambda s: [s[0] + delta, s[1] + delta] if s else s  # noqa: E731
        record = {**record, "line": record["line"] + lines, "end_line": record["end_line"] + lines,
                  "params": [{**p, "span": span(p["span"])} for p in record["params"]],
                  "uses": {i: {**u, "decl": span(u["decl"])} for i, u in record["uses"].items()},
                  "body": span(record["body"])}
    calls = [{**c, "line": c["line"] + lines, "args": [arg_json_moved(a, delta) for a in c["args"]]} for c in calls]
    return record, calls, refs


def names_in(summary: dict) -> set[str]:
    """Every function name a summary mentions (what a name-scoped index load looks up)."""
    out = {d["name"] for d in summary.get("defs", ())} | {p["name"] for p in summary.get("protos", ())}
    out |= {c["callee"] for c in summary.get("calls", ())} | {m[0] for m in summary.get("macro_calls", ())}
    return out | set(summary.get("refs", ())) | set(summary.get("exports", ()))


# -- definitions and prototypes ------------------------------------------------

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


def _definition(src: SourceFile, fn: Function) -> dict | None:
    ident, plist = declarator_parts(fn.node)
    params = _params(src, plist)
    page_params = [i for i, p in enumerate(params) if is_page_pointer_type(p["type"]) and p["name"]]
    if ident is None or not page_params:
        return None
    line, col = src.position(ident.start_byte)
    end_line, end_col = src.position(plist.end_byte)
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
    for n in cnodes.walk(fn.body):
        if n.type != "identifier" or n.text != key:
            continue
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


def _prototype(src: SourceFile, decl: Node) -> dict | None:
    ident, plist = declarator_parts(decl)
    if ident is None or plist is None:
        return None
    params = _params(src, plist)
    page_params = [i for i, p in enumerate(params) if is_page_pointer_type(p["type"])]
    if not page_params:
        return None
    line, col = src.position(ident.start_byte)
    return {"name": cnodes.text(ident), "line": line, "col": col, **_storage(src, decl, ident),
            "params": params, "page_params": page_params}


# -- calls and names used as values --------------------------------------------

def _file_level_types(src: SourceFile) -> dict[str, str]:
    out = {}
    for n in src.root.named_children:
        if n.type == "declaration":
            out.update(declared_names(n))
    return out


_WRITES = """
(init_declarator declarator: (_) @target) @write
(assignment_expression left: (identifier) @target) @write
(update_expression argument: (identifier) @target) @write
"""


def _derived_pages(src: SourceFile, fn: Function) -> dict[str, tuple[str, str]]:
    """Locals every write of which takes a page from a folio: name -> (folio, index)."""
    derived: dict[str, tuple[str, str] | None] = {}
    params = {p for p, _ in fn.params}
    for _, match in QueryCursor(query(_WRITES)).matches(fn.body):
        w, name = match["write"][0], cnodes.base_identifier(match["target"][0])
        if not name or name in params or derived.get(name, ()) is None \
                or not is_page_pointer_type(fn.type_of(name)):
            continue
        value = None
        if w.type == "init_declarator":
            value = w.child_by_field_name("value")
        elif w.type == "assignment_expression" and cnodes.text(w.child_by_field_name("operator")) == "=":
            value = w.child_by_field_name("right")
        got = _folio_page(value, fn)
        if got is None:
            derived[name] = None
        else:
            derived.setdefault(name, got[:2])
    return {k: v for k, v in derived.items() if v is not None}


def _is_folio(node: Node, fn: Function) -> bool:
    node = cnodes.strip_parens(node)
    if node.type == "identifier":
        t = fn.type_of(cnodes.text(node))
        return is_folio_pointer_type(t) if t else "folio" in cnodes.text(node)
    return "folio" in cnodes.text(node) and cnodes.call_name(node) != "folio_page"


def _folio_page(node: Node | None, fn: Function) -> tuple[str, str, str] | None:
    """(folio, index, form) if ``node`` takes a page from a folio."""
    node = cnodes.strip_parens(node)
    if node is None:
        return None
    if node.type == "cast_expression":
        return _folio_page(node.child_by_field_name("value"), fn)
    name = cnodes.call_name(node)
    if name in FOLIO_PAGE_CALLS:
        args = cnodes.call_args(node)
        fi, ii = FOLIO_PAGE_CALLS[name]
        if len(args) > max(fi, ii):
            return cnodes.text(args[fi]), cnodes.normalise(cnodes.text(args[ii])), "folio_page"
    if node.type == "pointer_expression" and cnodes.text(node.child_by_field_name("operator")) == "&":
        arg = cnodes.strip_parens(node.child_by_field_name("argument"))
        if arg is not None and arg.type == "field_expression" and cnodes.text(arg.child_by_field_name("field")) == "page" \
                and cnodes.text(arg.child_by_field_name("operator")) == "->":
            holder = arg.child_by_field_name("argument")
            if holder is not None and _is_folio(holder, fn):
                return cnodes.text(holder), "0", "head"
    return None


def _shape(src: SourceFile, node: Node, fn: Function, derived: dict, file_types: dict) -> Arg:
    n = cnodes.strip_parens(node)
    got = _folio_page(n, fn)
    if got is not None:
        return FolioPage(got[0], got[1], got[2], node.start_byte, node.end_byte, cnodes.normalise(src.text(node)))
    text = cnodes.normalise(src.text(node))[:_TEXT_MAX]
    if n.type == "identifier":
        name = cnodes.text(n)
        if name in derived:
            folio, index = derived[name]
            return FolioPage(folio, index, "var", node.start_byte, node.end_byte, name)
        t = fn.type_of(name) or file_types.get(name, "")
        if is_page_pointer_type(t):
            return PlainPage(text)
        if is_folio_pointer_type(t):
            return FolioValue(text)
        return PlainPage(text) if not t and "page" in name.lower() else None
    if cnodes.call_name(n) == "page_folio":
        return FolioValue(text)
    if n.type in ("number_literal", "string_literal", "sizeof_expression"):
        return None
    return PlainPage(text) if "page" in text.lower() else None


_REFS = """
(argument_list [(identifier) (pointer_expression argument: (identifier))] @ref)
(initializer_list [(identifier) (pointer_expression argument: (identifier))] @ref)
(initializer_pair value: [(identifier) (pointer_expression argument: (identifier))] @ref)
(return_statement [(identifier) (pointer_expression argument: (identifier))] @ref)
(conditional_expression [(identifier) (pointer_expression argument: (identifier))] @ref)
(assignment_expression right: [(identifier) (pointer_expression argument: (identifier))] @ref)
(init_declarator value: [(identifier) (pointer_expression argument: (identifier))] @ref)
"""


def _refs_by_function(src: SourceFile) -> tuple[list[list[Node]], list[Node]]:
    """Names possibly used as values: per function, and outside every function
    (one query over the whole file)."""
    fns = src.functions
    starts = [fn.body.start_byte for fn in fns]
    out: list[list[Node]] = [[] for _ in fns]
    top: list[Node] = []
    for n in captures(_REFS, src.root).get("ref", ()):
        i = bisect.bisect_right(starts, n.start_byte) - 1
        if i >= 0 and n.end_byte <= fns[i].body.end_byte:
            out[i].append(n)
        elif src.is_top_level(n):
            top.append(n)
    return out, top


def _calls_and_refs(src: SourceFile, fn: Function, file_types: dict, calls: list, ref_nodes: list[Node],
                    refs: set) -> None:
    derived = None
    for n in fn.calls:
        callee = cnodes.call_name(n)
        if callee is None or callee.startswith("EXPORT_SYMBOL"):
            continue
        args = cnodes.call_args(n)
        if not _may_pass_page(src, n, args, fn, file_types):
            continue
        if derived is None:
            derived = _derived_pages(src, fn)
        shapes = [_shape(src, a, fn, derived, file_types) for a in args]
        if any(passes_page(s) for s in shapes):
            line, col = src.position(n.start_byte)
            calls.append({"callee": callee, "line": line, "col": col, "caller": fn.name,
                          "args": [arg_to_json(s) for s in shapes]})
    for n in ref_nodes:
        _maybe_ref(n.child_by_field_name("argument") if n.type == "pointer_expression" else n, fn.var_types, refs)


def _may_pass_page(src: SourceFile, call: Node, args: list[Node], fn: Function, file_types: dict) -> bool:
    """Whether ``_shape`` can find a page among ``args``: every page shape but a
    page-typed variable has ``page`` in its text, so a call whose arguments do not is
    only looked at when one is a variable of a page pointer type (most calls: neither)."""
    arglist = call.child_by_field_name("arguments")
    if arglist is None or b"page" in src.raw[arglist.start_byte:arglist.end_byte].lower():
        return True
    for a in args:
        n = cnodes.strip_parens(a)
        if n is not None and n.type == "identifier":
            name = cnodes.text(n)
            if is_page_pointer_type(fn.type_of(name) or file_types.get(name, "")):
                return True
    return False


def _maybe_ref(n: Node, local: dict, refs: set) -> None:
    """Record ``n`` if it is a name used as a value (a callback), not called or declared."""
    parent = n.parent
    if parent is None:
        return
    if parent.type == "pointer_expression":
        parent = parent.parent if cnodes.text(parent.child_by_field_name("operator")) == "&" else None
    if parent is None or parent.type not in _REF_PARENTS:
        return
    if parent.type == "assignment_expression" and parent.child_by_field_name("right") != n:
        return
    if parent.type == "init_declarator" and parent.child_by_field_name("value") != n:
        return
    if parent.type == "argument_list":
        call = parent.parent
        name = cnodes.call_name(call) if call is not None else None
        if name and name.startswith("EXPORT_SYMBOL"):
            return
    name = cnodes.text(n)
    if name not in local and not name.isupper():
        refs.add(name)


def _top_level(src: SourceFile, out: dict, ref_nodes: list[Node], refs: set) -> None:
    """Prototypes, names used in file-level initialisers, and calls inside macros."""
    for decl in src.top_level["decl"]:
        proto = _prototype(src, decl)
        if proto is not None:
            out["protos"].append(proto)
    for n in ref_nodes:
        _maybe_ref(n.child_by_field_name("argument") if n.type == "pointer_expression" else n, {}, refs)
    for n in src.top_level["macro"]:
        # A call inside a macro hides its real callers: recorded as a caller whose
        # arguments are unknown, so the function is not flagged on a partial view.
        value = n.child_by_field_name("value")
        body = src.text(value) if value is not None else ""
        line = src.position(n.start_byte)[0]
        macro = cnodes.text(n.child_by_field_name("name"))
        for name in dict.fromkeys(m.group(1) for m in _MACRO_CALL.finditer(body)):
            if name != macro and not name.isupper():
                out["macro_calls"].append([name, line])
