"""tree-sitter-c parsing, one parser per process (trees and parsers do not pickle)."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import tree_sitter
import tree_sitter_c

from folint.kernel_c import kernelize

C_LANGUAGE = tree_sitter.Language(tree_sitter_c.language())


@functools.lru_cache(maxsize=1)
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(C_LANGUAGE)


@functools.lru_cache(maxsize=1)
def _ranged_parser() -> tree_sitter.Parser:
    """A second parser for ``skip``: its included ranges are set for each parse."""
    return tree_sitter.Parser(C_LANGUAGE)


def parse_kernel_c(raw: bytes, skip: Sequence[tuple[int, int]] = (), premask: tuple[bytes, list] | None = None
                   ) -> tuple[bytes, tree_sitter.Tree]:
    """Parse kernel C; returns the kernelized bytes (same offsets as ``raw``) and the tree.

    ``skip``: sorted, disjoint ``(start, end)`` byte spans of ``raw`` that hold only
    whitespace (the insides of blanked bodies, ``folint.kernel_c.bodies``).  The parser
    is told to read around them (tree-sitter's included ranges) instead of lexing every
    space: the tree is the one the whole text gives, offsets, lines and columns
    included, for about half the parse time of a blanked file.  ``premask``: ``raw``'s
    mask and conditional directives when known (``folint.kernel_c.kernelize``)."""
    code = kernelize(raw, premask)
    if not skip:
        return code, _parser().parse(code)
    parser = _ranged_parser()
    parser.included_ranges = _ranges_around(code, skip)
    return code, parser.parse(code)


def _ranges_around(code: bytes, skip: Sequence[tuple[int, int]]) -> list[tree_sitter.Range]:
    """The ranges of ``code`` outside ``skip``, with their (row, column) points."""
    ranges: list[tree_sitter.Range] = []
    pos, row, line_start = 0, 0, 0  # a point is counted from the last one

    def point(offset: int) -> tuple[int, int]:
        nonlocal pos, row, line_start
        newlines = code.count(b"\n", pos, offset)
        if newlines:
            row += newlines
            line_start = code.rfind(b"\n", pos, offset) + 1
        pos = offset
        return row, offset - line_start

    at = 0
    for start, end in skip:
        if start > at:
            ranges.append(tree_sitter.Range(point(at), point(start), at, start))
        point(end)
        at = end
    ranges.append(tree_sitter.Range(point(at), point(len(code)), at, len(code)))
    return ranges


@functools.lru_cache(maxsize=None)
def query(source: str) -> tree_sitter.Query:
    """Compile a query once per process."""
    return tree_sitter.Query(C_LANGUAGE, source)


def captures(source: str, node: tree_sitter.Node) -> dict[str, list[tree_sitter.Node]]:
    """Run a query under ``node`` (in C: far cheaper than walking in Python); each
    capture's nodes in source order.

    A query asked of a whole file (``node`` is the root) is run together with the
    other queries asked of whole files before, in one pass of the tree (see
    :class:`_WholeFile`): a query cursor's cost is the walk of the tree, hardly the
    patterns, so two file-wide queries cost little more than one."""
    if node.type == "translation_unit" and _WHOLE_FILE.mergeable(source):
        return _WHOLE_FILE.captures(source, node)
    return _run(query(source), node)


def _run(q: tree_sitter.Query, node: tree_sitter.Node) -> dict[str, list[tree_sitter.Node]]:
    found = tree_sitter.QueryCursor(q).captures(node)
    return {name: sorted(nodes, key=_start) for name, nodes in found.items()}


def _start(node: tree_sitter.Node) -> int:
    return node.start_byte


_CAPTURE_NAME = re.compile(r"@([A-Za-z_][\w.-]*)")


class _WholeFile:
    """The queries asked of whole files, run as one query per tree.

    Each query is learnt the first time it is asked of a whole file (that file
    runs it alone); from the next file on, the first whole-file query asked runs
    all the learnt ones in one pass, their capture names told apart by a prefix,
    and keeps the answers for the others until a query is asked of another tree.
    The answer to each query is the one it gets alone: patterns without
    predicates match independently of the other patterns in a query, and every
    capture list is sorted by start.  Queries with predicates or strings (which
    renaming captures could touch) are not merged; nor are more than
    ``_MAX_LEARNT`` of them (a tool asking ad hoc queries does not grow the pass).
    """

    _MAX_LEARNT = 8

    def __init__(self) -> None:
        self._learnt: list[str] = []
        self._combined: tuple[tree_sitter.Query, dict[str, tuple[str, str]]] | None = None
        self._root: tree_sitter.Node | None = None  # holds the tree: its root node stays valid
        self._answers: dict[str, dict[str, list[tree_sitter.Node]]] = {}

    @staticmethod
    def mergeable(source: str) -> bool:
        return "#" not in source and '"' not in source

    def captures(self, source: str, root: tree_sitter.Node) -> dict[str, list[tree_sitter.Node]]:
        if not self._same_root(root):
            self._root, self._answers = root, {}
            if source in self._learnt:
                self._answers = self._run_learnt(root)
        answer = self._answers.get(source)
        if answer is None:
            answer = self._answers[source] = _run(query(source), root)
            if source not in self._learnt and len(self._learnt) < self._MAX_LEARNT:
                self._learnt.append(source)
                self._combined = None
        return answer

    def _same_root(self, root: tree_sitter.Node) -> bool:
        held = self._root
        return held is not None and held == root and not root.has_changes and \
            held.end_byte == root.end_byte

    def _run_learnt(self, root: tree_sitter.Node) -> dict[str, dict[str, list[tree_sitter.Node]]]:
        if self._combined is None:
            names: dict[str, tuple[str, str]] = {}
            parts = []
            for i, source in enumerate(self._learnt):
                def rename(m: re.Match, i=i, source=source) -> str:
                    names[f"q{i}_{m.group(1)}"] = (source, m.group(1))
                    return f"@q{i}_{m.group(1)}"
                parts.append(_CAPTURE_NAME.sub(rename, source))
            self._combined = (tree_sitter.Query(C_LANGUAGE, "\n".join(parts)), names)
        combined, names = self._combined
        answers: dict[str, dict[str, list[tree_sitter.Node]]] = {source: {} for source in self._learnt}
        for name, nodes in _run(combined, root).items():
            source, own = names[name]
            answers[source][own] = nodes
        return answers


_WHOLE_FILE = _WholeFile()
