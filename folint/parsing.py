"""tree-sitter-c parsing, one parser per process (trees and parsers do not pickle)."""

from __future__ import annotations

import functools

import tree_sitter
import tree_sitter_c

from folint.kernel_c import kernelize

C_LANGUAGE = tree_sitter.Language(tree_sitter_c.language())


@functools.lru_cache(maxsize=1)
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(C_LANGUAGE)


def parse_kernel_c(raw: bytes) -> tuple[bytes, tree_sitter.Tree]:
    """Parse kernel C; returns the kernelized bytes (same offsets as ``raw``) and the tree."""
    code = kernelize(raw)
    return code, _parser().parse(code)


@functools.lru_cache(maxsize=None)
def query(source: str) -> tree_sitter.Query:
    """Compile a query once per process."""
    return tree_sitter.Query(C_LANGUAGE, source)


def captures(source: str, node: tree_sitter.Node) -> dict[str, list[tree_sitter.Node]]:
    """Run a query under ``node`` (in C: far cheaper than walking in Python); each
    capture's nodes in source order."""
    cursor = tree_sitter.QueryCursor(query(source))
    found = cursor.captures(node)
    return {name: sorted(nodes, key=lambda n: n.start_byte) for name, nodes in found.items()}
