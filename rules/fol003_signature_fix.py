"""FOL003's certain fix, computed on fresh parses: the signature change from
``struct page *`` to ``struct folio *`` of a function, its prototypes and its
callers (helpers of rules/fol003_page_api_with_folio_callers.py; no rule here)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from folint import cnodes


@dataclass(frozen=True)
class SignatureFixPlan:
    """What a certain signature change touches (``finding.data["fix"]`` of FOL003)."""

    name: str  # the function
    index: int  # its page parameter
    folio: str  # the folio parameter's new name
    defs: list  # DefSite of each definition
    protos: list  # DefSite of each prototype
    callers: list  # CallSite of each page-passing caller
    scope: list  # the files that may name it
    discovery: tuple | None = None  # (targets, exclude, root) to find the files again


def new_param(param_text: str, name: str) -> str:
    const = "const " if param_text.lstrip().startswith("const") else ""
    return f"{const}struct folio *{name}" if name else f"{const}struct folio *"


def files_naming(name: str, paths: list[str]) -> dict:
    """path -> SourceFile for each file among ``paths`` whose text contains ``name``."""
    from folint.index.files import tree_bytes
    from folint.source import SourceFile

    word = re.compile(rb"\b" + re.escape(name.encode()) + rb"\b")
    out = {}
    for path in paths:
        raw = tree_bytes(path)
        if raw is not None and word.search(raw):
            out[path] = SourceFile(path, raw)
    return out


def signature_change_edits(plan: SignatureFixPlan, sources: dict) -> list | None:
    """Every edit of the signature change, or None if the files hold a use the plan
    does not know (a new caller, a callback use, a macro that calls it)."""
    from folint.fixes import Edit

    want = {"def": {(x.path, x.line) for x in plan.defs}, "proto": {(x.path, x.line) for x in plan.protos},
            "call": {(x.path, x.line, x.col) for x in plan.callers}}
    seen = {"def": set(), "proto": set(), "call": set()}
    edits = []
    for path, src in sources.items():
        for n in cnodes.walk(src.root):
            got = _use(src, n, plan)
            if got is None:
                continue
            if got is False:
                return None
            kind, where, new_edits = got
            if where not in want[kind] or new_edits is None:
                return None
            seen[kind].add(where)
            edits.extend(Edit.span(src, start, end, new) for start, end, new in new_edits)
    return edits if seen == want else None


_HARMLESS_PREPROC = frozenset({"preproc_ifdef", "preproc_defined"})


def _use(src, n, plan):
    """What identifier ``n`` does with the planned function's name:
    None (not the name, or harmless), False (a use that rules the fix out), or
    (kind, where, [(start, end, new), ...] or None when it cannot be rewritten)."""
    from folint.index.summary_defs import declarator_parts

    name, i, fname = plan.name, plan.index, plan.folio
    key = name.encode()
    if n.type in ("preproc_function_def", "preproc_def"):
        value = n.child_by_field_name("value")
        text = value.text.strip() if value is not None else b""
        if text and text != key and re.search(rb"\b" + re.escape(key) + rb"\b", text):
            return False  # a macro uses it: its callers are not known
        return None
    if n.type != "identifier" or n.text != key:
        return None
    parent = n.parent
    if parent.type in _HARMLESS_PREPROC or (parent.type == "preproc_def" and parent.child_by_field_name("name") == n):
        return None
    if parent.type == "call_expression" and parent.child_by_field_name("function") == n:
        line, col = src.position(parent.start_byte)
        args = cnodes.call_args(parent)
        if len(args) <= i:
            return ("call", (src.path, line, col), None)
        return ("call", (src.path, line, col), [(args[i].start_byte, args[i].end_byte, _folio_argument(src, args[i]))])
    if parent.type != "function_declarator":
        return False  # a callback, a cast, sizeof ...
    holder = parent
    while holder is not None and holder.type not in ("function_definition", "declaration"):
        holder = holder.parent
    if holder is None:
        return False
    ident, plist = declarator_parts(holder)
    params = [p for p in plist.named_children if p.type == "parameter_declaration"] if plist else []
    line = src.position(n.start_byte)[0]
    if ident != n or len(params) <= i:
        return False
    param = params[i]
    if holder.type == "declaration":
        new = new_param(src.text(param), fname if _named(param) else "")
        return ("proto", (src.path, line), [(param.start_byte, param.end_byte, new)])
    body_edit = _roundtrip_declaration(src, holder, param, fname)
    if body_edit is None:
        return ("def", (src.path, line), None)
    var, delete = body_edit
    new = new_param(src.text(param), var)
    return ("def", (src.path, line), [(param.start_byte, param.end_byte, new)] + delete)


def _named(param) -> bool:
    from folint.source import declared_names

    return bool(declared_names(param))


def _folio_argument(src, arg) -> str:
    """The folio to pass instead of page argument ``arg``."""
    from folint.index.summary_calls import FOLIO_PAGE_CALLS

    n = cnodes.strip_parens(arg)
    name = cnodes.call_name(n)
    if name in FOLIO_PAGE_CALLS:
        return src.text(cnodes.call_args(n)[FOLIO_PAGE_CALLS[name][0]])
    if n.type == "pointer_expression" and cnodes.text(n.child_by_field_name("operator")) == "&":
        inner = cnodes.strip_parens(n.child_by_field_name("argument"))
        if inner is not None and inner.type == "field_expression" and \
                cnodes.text(inner.child_by_field_name("field")) == "page":
            holder = inner.child_by_field_name("argument")
            text = src.text(holder)
            return text if holder.type in ("identifier", "field_expression") else f"({text})"
    return f"page_folio({src.text(arg)})"


def _roundtrip_declaration(src, defn, param, fname: str):
    """(the folio parameter's name, [deletion of `struct folio *f = page_folio(page);`]):
    the body's own folio variable, or ``fname`` with nothing to delete when the body
    does not use the page at all.  None when the body is not that simple."""
    from folint.index.summary_defs import param_uses
    from folint.source import Function, declared_names

    names = declared_names(param)
    if not names:
        return None
    pname = names[0][0]
    body = defn.child_by_field_name("body")
    if body is None:
        return None
    uses = param_uses(src, Function(pname, defn, body, []), pname)
    if uses.other:
        return None
    if not uses.roundtrip:
        return (fname, []) if not cnodes.mentions(body, fname) else None
    if uses.roundtrip != 1 or not uses.decl:
        return None
    start, end = uses.decl
    return uses.folio_var, [(start, _blank_line_after(src, body, start, end), "")]


def _blank_line_after(src, body, start: int, end: int) -> int:
    """``end``, moved past the blank line that separated the deleted declaration from
    the code when no declaration is left above that line."""
    first = src.raw[body.start_byte + 1:start].strip() == b""
    nxt = next((c for c in body.named_children if c.start_byte >= end and c.type != "comment"), None)
    if first and src.raw[end:end + 1] == b"\n" and (nxt is None or nxt.type != "declaration"):
        return end + 1
    return end
