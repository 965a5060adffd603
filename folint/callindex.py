"""The calls of one function grouped by the called name, built once per function and
shared by every rule.

Each rule of FOL006-FOL014 starts by asking "which calls of this function are to the
names I care about"; answering that by ``cnodes.call_name()`` on every call, once per
rule, was the largest cost of the new rules' checks on a warm run (a tree-sitter field
lookup and a decode per call, eight times over).  The index is built on first use and
kept on the ``folint.source.Function`` it describes, so it lives exactly as long as the
file's parse.
"""

from __future__ import annotations

from collections.abc import Collection

from tree_sitter import Node

_KEY = "_folint_calls_by_name"


def by_name(fn) -> dict[str, list[Node]]:
    """``{name: [call nodes, in source order]}`` for the named calls of ``fn`` (its ``calls``)."""
    index = fn.__dict__.get(_KEY)
    if index is None:
        index = {}
        for call in fn.calls:
            callee = call.child_by_field_name("function")
            index.setdefault(callee.text.decode("utf-8", "replace"), []).append(call)
        fn.__dict__[_KEY] = index
    return index


def calls_to(fn, names: Collection[str]) -> list[Node]:
    """The calls of ``fn`` to any of ``names`` (a set, a dict's keys ...), in source order."""
    index = by_name(fn)
    hit = [name for name in index if name in names]
    if not hit:
        return []
    if len(hit) == 1:
        return list(index[hit[0]])
    return sorted((c for name in hit for c in index[name]), key=lambda c: c.start_byte)


def calls_any(fn, names: Collection[str]) -> bool:
    """Does ``fn`` call any of ``names``?"""
    return any(name in names for name in by_name(fn))
