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

This module puts the summary together; ``folint.index.summary_defs`` reads the
definitions and prototypes, ``folint.index.summary_calls`` the calls and the names
used as values.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from folint import cnodes
from folint.index.records import arg_json_moved
from folint.index.summary_calls import (_add_refs, _calls_and_refs, _file_level_types, _FileFacts, _no_local,
                                        _refs_by_function)
from folint.index.summary_defs import _definition, _prototype
from folint.source import Function, SourceFile

# A file without these bytes has no page-taking function and passes no page
# we can see; it is left out of the index without being parsed.
NEEDLES = (b"page", b"folio")
_EXPORT = re.compile(rb"\bEXPORT_SYMBOL(?:_GPL)?(?:_FOR_MODULES|_NS|_NS_GPL)?\s*\(\s*(\w+)")
_MACRO_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")


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
