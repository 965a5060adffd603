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
from collections.abc import Iterator

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
    facts = _FileFacts(src, file_types)
    position = facts.position
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
            _calls_and_refs(facts, fn, calls, ref_nodes[i], fn_refs)
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
    _top_level(src, out, top_refs, refs, position)
    out["exports"] = _exports(src.raw)
    out["refs"] = sorted(refs)
    return out


def _exports(raw: bytes) -> list[str]:
    """The names ``_EXPORT`` finds in ``raw``, sorted: what ``finditer`` finds, each match
    tried only where ``EXPORT_SYMBOL`` is (the pattern opens with ``\\b``, which keeps the
    regex engine from skipping ahead to its literal: 3 ms a 130 kB file, scanned byte by
    byte; ``match`` at ``pos`` reads the byte before it for ``\\b``)."""
    out = set()
    at = raw.find(b"EXPORT_SYMBOL")
    while at >= 0:
        m = _EXPORT.match(raw, at)
        if m is not None:
            out.add(m.group(1).decode())
            at = m.end()
        else:
            at += 1
        at = raw.find(b"EXPORT_SYMBOL", at)
    return sorted(out)


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


_DECLARATOR_CHAIN = ("init_declarator", "pointer_declarator", "array_declarator", "parenthesized_declarator")


def _names_declared(decl: Node) -> list[str]:
    """The names of ``declared_names(decl)``, in order, without their types."""
    out = []
    for d in decl.children_by_field_name("declarator"):
        n = d
        while n is not None and n.type in _DECLARATOR_CHAIN:
            n = n.child_by_field_name("declarator") or (n.named_children[0] if n.named_children else None)
        if n is not None and n.type == "identifier":
            out.append(cnodes.text(n))
    return out


def _parameter_nodes(defn: Node) -> list[Node]:
    """The parameter declarations ``source._function_params`` reads, in order."""
    d = defn.child_by_field_name("declarator")
    while d is not None and d.type != "function_declarator":
        d = d.child_by_field_name("declarator")
    plist = d.child_by_field_name("parameters") if d is not None else None
    return [] if plist is None else [p for p in plist.named_children if p.type == "parameter_declaration"]


class _TypeOf:
    """``fn.type_of`` and ``name in fn.var_types`` for one function, without making
    ``fn.var_types`` (the types of every parameter and declaration in it) when it is not
    made yet (when it is, or the parameters are not the definition's, it is read).

    A name is declared by a parameter (the last one of that name wins, as in
    ``dict(fn.params)``) or else by the first declaration in ``fn.declarations`` that
    declares it.  Which node declares each name is read once (``_names_declared``, no
    type text); a type only when asked (``declared_names`` of that node)."""

    __slots__ = ("fn", "code", "_known", "_where", "_types")

    def __init__(self, fn: Function, code: bytes):
        self.fn, self.code = fn, code
        self._known = fn.var_types if "var_types" in fn.__dict__ or fn.given_params is not None else None
        self._where: dict[str, tuple[Node, bool]] | None = None  # name -> (declaring node, is a parameter)
        self._types: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        if self._known is not None:
            return self._known.get(name, "")
        t = self._types.get(name)
        if t is None:
            where = self._declared().get(name)
            if where is None:
                t = ""
            else:
                node, param = where
                types = declared_names(node)
                t = next(vtype for vname, vtype in (reversed(types) if param else types) if vname == name)
            self._types[name] = t
        return t

    def declares(self, name: str) -> bool:
        if self._known is not None:
            return name in self._known
        return name in self._declared()

    def _declared(self) -> dict[str, tuple[Node, bool]]:
        where = self._where
        if where is None:
            where = self._where = {}
            for d in self.fn.declarations:
                for name in _names_declared(d):
                    if name not in where:
                        where[name] = (d, False)
            for p in _parameter_nodes(self.fn.node):
                for name in _names_declared(p):
                    where[name] = (p, True)
        return where

    def page_vars(self, file_pages: list[str]) -> tuple[list[bytes], set[str]]:
        """(the bytes of every name that may be a page pointer in ``fn``, the names of
        those declared in its body): a name whose type (``fn.type_of``, else the file's)
        is ``struct page *`` is a parameter or local declared so, whose text then says
        ``page``, or a file-level page pointer (``file_pages``).  A superset: the exact
        type is asked after."""
        fn, code = self.fn, self.code
        names = list(file_pages)
        if code.find(b"page", fn.node.start_byte, fn.body.start_byte) >= 0:
            if self._known is not None:
                names += [p for p, t in fn.params if is_page_pointer_type(t)]
            else:
                for p in _parameter_nodes(fn.node):
                    if code.find(b"page", p.start_byte, p.end_byte) >= 0:
                        names += [v for v, t in declared_names(p) if is_page_pointer_type(t)]
        local = set()
        if code.find(b"page", fn.body.start_byte, fn.body.end_byte) >= 0:
            for d in fn.declarations:
                if code.find(b"page", d.start_byte, d.end_byte) >= 0:
                    local.update(v for v, t in declared_names(d) if is_page_pointer_type(t))
        names += local
        # A name read with replacement characters is not its bytes: b"" is found everywhere.
        return [b"" if "\ufffd" in v else v.encode() for v in dict.fromkeys(names)], local


def _derived_pages(src: SourceFile, fn: Function, type_of: _TypeOf) -> dict[str, tuple[str, str]]:
    """Locals every write of which takes a page from a folio: name -> (folio, index)."""
    derived: dict[str, tuple[str, str] | None] = {}
    params = {p for p, _ in fn.params}
    for _, match in QueryCursor(query(_WRITES)).matches(fn.body):
        w, name = match["write"][0], cnodes.base_identifier(match["target"][0])
        if not name or name in params or derived.get(name, ()) is None \
                or not is_page_pointer_type(type_of(name)):
            continue
        value = None
        if w.type == "init_declarator":
            value = w.child_by_field_name("value")
        elif w.type == "assignment_expression" and cnodes.text(w.child_by_field_name("operator")) == "=":
            value = w.child_by_field_name("right")
        got = _folio_page(value, type_of)
        if got is None:
            derived[name] = None
        else:
            derived.setdefault(name, got[:2])
    return {k: v for k, v in derived.items() if v is not None}


def _is_folio(node: Node, type_of) -> bool:
    node = cnodes.strip_parens(node)
    if node.type == "identifier":
        t = type_of(cnodes.text(node))
        return is_folio_pointer_type(t) if t else "folio" in cnodes.text(node)
    return "folio" in cnodes.text(node) and cnodes.call_name(node) != "folio_page"


def _folio_page(node: Node | None, type_of) -> tuple[str, str, str] | None:
    """(folio, index, form) if ``node`` takes a page from a folio (``type_of``: the
    type of a name where ``node`` is, ``Function.type_of``)."""
    node = cnodes.strip_parens(node)
    if node is None:
        return None
    if node.type == "cast_expression":
        return _folio_page(node.child_by_field_name("value"), type_of)
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
            if holder is not None and _is_folio(holder, type_of):
                return cnodes.text(holder), "0", "head"
    return None


def _shape(src: SourceFile, node: Node, type_of: _TypeOf, derived, file_types: dict) -> Arg:
    """``derived(name)``: (folio, index) if every write of local ``name`` takes a page
    from a folio (``_derived_pages``), else None."""
    n = cnodes.strip_parens(node)
    got = _folio_page(n, type_of)
    if got is not None:
        return FolioPage(got[0], got[1], got[2], node.start_byte, node.end_byte, cnodes.normalise(src.text(node)))
    text = cnodes.normalise(src.text(node))[:_TEXT_MAX]
    if n.type == "identifier":
        name = cnodes.text(n)
        from_folio = derived(name)
        if from_folio is not None:
            folio, index = from_folio
            return FolioPage(folio, index, "var", node.start_byte, node.end_byte, name)
        t = type_of(name) or file_types.get(name, "")
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
    ends = [fn.body.end_byte for fn in fns]
    out: list[list[Node]] = [[] for _ in fns]
    top: list[Node] = []
    for n in captures(_REFS, src.root).get("ref", ()):
        i = bisect.bisect_right(starts, n.start_byte) - 1
        if i >= 0 and n.end_byte <= ends[i]:
            out[i].append(n)
        elif src.is_top_level(n):
            top.append(n)
    return out, top


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


class _FileFacts:
    """What every function's calls are read against, made once a file: the file-level
    types, the raw text lowered (for ``page`` in any case), the names of file-level
    page pointers, and where a byte is (``_Positions``)."""

    __slots__ = ("src", "code", "file_types", "lowered", "file_pages", "position")

    def __init__(self, src: SourceFile, file_types: dict[str, str]):
        self.src, self.code, self.file_types = src, src.code, file_types
        self.position = _Positions(src)
        self.lowered = src.raw.lower()
        self.file_pages = [n for n, t in file_types.items() if is_page_pointer_type(t)]


def _calls_and_refs(facts: _FileFacts, fn: Function, calls: list, ref_nodes: list[Node], refs: set) -> None:
    src, code, file_types, lowered = facts.src, facts.code, facts.file_types, facts.lowered
    type_of = _TypeOf(fn, code)
    derived = None
    page_vars = None  # (names a page pointer may be in, those declared in the body)

    def derived_of(name: str) -> tuple[str, str] | None:
        nonlocal derived
        if name not in page_vars[1]:  # not a local page pointer: never derived
            return None
        if derived is None:
            derived = _derived_pages(src, fn, type_of)
        return derived.get(name)

    for n in fn.calls:
        arglist = n.child_by_field_name("arguments")
        if arglist is None:
            continue  # nothing passed
        start, end = arglist.start_byte, arglist.end_byte
        if page_vars is None:
            page_vars = type_of.page_vars(facts.file_pages)
        args = None
        if lowered.find(b"page", start, end) < 0:
            # Every page shape but a page-typed variable has ``page`` in its text: the
            # call is only looked at when it names a variable that may be one, and one
            # of its arguments is (most calls: neither).
            if not page_vars[0] or not any(code.find(key, start, end) >= 0 for key in page_vars[0]):
                continue
            args = list(arglist.named_children)
            if not _names_page_pointer(args, type_of, file_types):
                continue
        callee = cnodes.call_name(n)
        if callee is None or callee.startswith("EXPORT_SYMBOL"):
            continue
        if args is None:
            args = list(arglist.named_children)
        shapes = [_shape(src, a, type_of, derived_of, file_types) for a in args]
        if any(passes_page(s) for s in shapes):
            line, col = facts.position(n.start_byte)
            calls.append({"callee": callee, "line": line, "col": col, "caller": fn.name,
                          "args": [arg_to_json(s) for s in shapes]})
    _add_refs(ref_nodes, type_of.declares, refs)


def _names_page_pointer(args: list[Node], type_of: _TypeOf, file_types: dict) -> bool:
    """Whether one of ``args`` is a variable of a page pointer type."""
    for a in args:
        n = cnodes.strip_parens(a)
        if n is not None and n.type == "identifier":
            name = cnodes.text(n)
            if is_page_pointer_type(type_of(name) or file_types.get(name, "")):
                return True
    return False


def _add_refs(ref_nodes: list[Node], declares, refs: set) -> None:
    """Add to ``refs`` each of ``ref_nodes`` (``_REFS``) that is a name used as a value (a
    callback), not called or declared: neither upper case (a macro) nor a name
    ``declares`` (a local).  The name is read first: most are locals, or in ``refs``
    already, and the same few names come back again and again; where the node is is
    only looked at for the others."""
    passed = set()  # the bytes of names that are in refs, upper case or declared
    for n in ref_nodes:
        if n.type == "pointer_expression":
            n = n.child_by_field_name("argument")
        key = n.text
        if key in passed:
            continue
        name = key.decode("utf-8", "replace")
        if name in refs or name.isupper() or declares(name):
            passed.add(key)
        elif _used_as_value(n):
            refs.add(name)
            passed.add(key)


def _used_as_value(n: Node) -> bool:
    """Whether identifier ``n`` is a value where it is (not called, not written)."""
    parent = n.parent
    if parent is None:
        return False
    if parent.type == "pointer_expression":
        parent = parent.parent if cnodes.text(parent.child_by_field_name("operator")) == "&" else None
    if parent is None or parent.type not in _REF_PARENTS:
        return False
    if parent.type == "assignment_expression" and parent.child_by_field_name("right") != n:
        return False
    if parent.type == "init_declarator" and parent.child_by_field_name("value") != n:
        return False
    if parent.type == "argument_list":
        call = parent.parent
        name = cnodes.call_name(call) if call is not None else None
        if name and name.startswith("EXPORT_SYMBOL"):
            return False
    return True


def _no_local(name: str) -> bool:
    return False


def _top_level(src: SourceFile, out: dict, ref_nodes: list[Node], refs: set, position) -> None:
    """Prototypes, names used in file-level initialisers, and calls inside macros."""
    code = src.code
    for decl in src.top_level["decl"]:
        if code.find(b"page", decl.start_byte, decl.end_byte) < 0:
            continue  # no page parameter (``_may_declare_page``)
        proto = _prototype(src, decl, position)
        if proto is not None:
            out["protos"].append(proto)
    _add_refs(ref_nodes, _no_local, refs)
    for n in src.top_level["macro"]:
        # A call inside a macro hides its real callers: recorded as a caller whose
        # arguments are unknown, so the function is not flagged on a partial view.
        value = n.child_by_field_name("value")
        body = src.text(value) if value is not None else ""
        if "(" not in body:
            continue  # no call (``_MACRO_CALL``)
        line = position(n.start_byte)[0]
        macro = cnodes.text(n.child_by_field_name("name"))
        for name in dict.fromkeys(m.group(1) for m in _MACRO_CALL.finditer(body)):
            if name != macro and not name.isupper():
                out["macro_calls"].append([name, line])
