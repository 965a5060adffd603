"""folint.small_folio.forces: what a condition says about the folio's size when it is
true (the then-branch) and when it is false (after ``if (cond) return;``)."""

import pytest

from folint import cnodes
from folint.small_folio import false_says_small, forces, says_small
from folint.source import SourceFile


def _cond(text: str):
    src = SourceFile("t.c", f"void t(struct folio *f, bool x)\n{{\n\tif ({text})\n\t\treturn;\n}}\n".encode())
    (stmt,) = [n for n in cnodes.walk(src.functions[0].body) if n.type == "if_statement"]
    return src, stmt.child_by_field_name("condition")


@pytest.mark.parametrize("text, true_small, false_small", [
    ("folio_test_large(f)", False, True),
    ("!folio_test_large(f)", True, False),
    ("folio_test_large(f) && x", False, False),      # false when !x: can be large
    ("folio_test_large(f) || x", False, True),
    ("!folio_test_large(f) && x", True, False),
    ("!(folio_test_large(f) && x)", False, False),   # true when !x: can be large
    ("!(folio_test_large(f) || x)", True, False),
    ("unlikely(folio_nr_pages(f) > 1 && x)", False, False),
    ("folio_nr_pages(f) == 1 || !x", False, False),
    ("!(folio_nr_pages(f) == 1 && !x)", False, True),
    ("WARN_ON_ONCE(folio_order(f))", False, True),
    ("folio_test_large(g)", False, False),            # another folio
])
def test_true_and_false_are_separate_questions(text, true_small, false_small):
    src, cond = _cond(text)
    assert says_small(cond, "f") is true_small
    assert false_says_small(cond, "f") is false_small
    assert forces(cond, True, "small", "f") is true_small
