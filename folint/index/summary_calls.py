"""The summary's calls and names used as values: each call that passes a page (and
where that page comes from: ``folint.index.records``'s argument shapes) and the function
names a file uses as values (callbacks), for ``folint.index.summary``."""

from __future__ import annotations

import bisect

from tree_sitter import Node, QueryCursor

from folint import cnodes
from folint.index.records import Arg, FolioPage, FolioValue, PlainPage, arg_to_json, passes_page
from folint.index.summary_defs import _Positions, declarator_parts
from folint.parsing import captures, query
from folint.source import Function, SourceFile, declared_identifier, declared_names
from folint.vocab import is_folio_pointer_type, is_page_pointer_type

# Calls that name a page of a folio: (folio argument, index argument).
FOLIO_PAGE_CALLS = {"folio_page": (0, 1), "folio_file_page": (0, 1)}
_TEXT_MAX = 60
_REF_PARENTS = frozenset({"initializer_pair", "initializer_list", "argument_list", "return_statement",
                          "conditional_expression", "assignment_expression", "init_declarator"})


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


def _names_declared(decl: Node) -> list[str]:
    """The names of ``declared_names(decl)``, in order, without their types."""
    out = []
    for d in decl.children_by_field_name("declarator"):
        n, _ = declared_identifier(d)
        if n is not None:
            out.append(cnodes.text(n))
    return out


def _parameter_nodes(defn: Node) -> list[Node]:
    """The parameter declarations ``source._function_params`` reads, in order."""
    plist = declarator_parts(defn)[1]
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


