"""folint.parsing.captures: queries asked of whole files share one pass of the tree,
and each gets exactly what it gets alone."""

from __future__ import annotations

import tree_sitter

from folint import parsing
from folint.parsing import C_LANGUAGE, captures, parse_kernel_c

CALLS = "(call_expression function: (identifier) @name) @call"
LOOPS = "[(for_statement) (while_statement)] @loop (call_expression) @call"
WITH_PREDICATE = '((identifier) @id (#eq? @id "x"))'

ONE = b"""
int f(int x) { for (;;) g(x); while (x) h(x, k(1)); return m(x); }
static int y = 3;
"""
TWO = b"""
void a(void) { b(); c(d()); }
void e(void) { while (1) f(); }
"""


def alone(source: str, node: tree_sitter.Node) -> dict[str, list[tuple[int, int, str]]]:
    found = tree_sitter.QueryCursor(tree_sitter.Query(C_LANGUAGE, source)).captures(node)
    return {k: sorted((n.start_byte, n.end_byte, n.type) for n in v) for k, v in found.items()}


def spans(found: dict) -> dict[str, list[tuple[int, int, str]]]:
    return {k: [(n.start_byte, n.end_byte, n.type) for n in v] for k, v in found.items()}


def test_whole_file_queries_answer_as_alone(monkeypatch):
    monkeypatch.setattr(parsing, "_WHOLE_FILE", parsing._WholeFile())
    for _ in range(2):  # the second round runs the learnt queries together
        for text in (ONE, TWO, ONE):
            root = parse_kernel_c(text)[1].root_node
            for source in (CALLS, LOOPS, WITH_PREDICATE, CALLS):
                assert spans(captures(source, root)) == alone(source, root)
    assert parsing._WHOLE_FILE._learnt == [CALLS, LOOPS]  # the predicate query runs alone


def test_a_new_tree_is_not_answered_from_the_last(monkeypatch):
    monkeypatch.setattr(parsing, "_WHOLE_FILE", parsing._WholeFile())
    first = parse_kernel_c(ONE)[1]
    captures(CALLS, first.root_node)
    captures(LOOPS, first.root_node)
    same_text = parse_kernel_c(ONE)[1]  # an equal text parsed again: another tree
    got = captures(LOOPS, same_text.root_node)
    mine = tree_sitter.QueryCursor(tree_sitter.Query(C_LANGUAGE, LOOPS)).captures(same_text.root_node)
    assert {k: set(v) for k, v in got.items()} == {k: set(v) for k, v in mine.items()}  # nodes of this tree
    other = parse_kernel_c(TWO)[1].root_node
    assert spans(captures(CALLS, other)) == alone(CALLS, other)


def test_below_the_root_runs_alone(monkeypatch):
    monkeypatch.setattr(parsing, "_WHOLE_FILE", parsing._WholeFile())
    root = parse_kernel_c(ONE)[1].root_node
    body = root.named_children[0].child_by_field_name("body")
    assert spans(captures(CALLS, body)) == alone(CALLS, body)
    assert parsing._WHOLE_FILE._learnt == []
