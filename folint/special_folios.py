"""Folios of special kinds: where the code shows a folio is a hugetlb folio, and
the files whose folios are hugetlb or KSM folios by construction.

HugeTLB keeps per-page state (hwpoison, anon-exclusive) on the head page and maps
a hugetlb folio as a whole, so rules about per-page flags and mapcounts stay quiet
where the code shows the folio is hugetlb: inside ``if (folio_test_hugetlb(folio))``
(or ``PageHuge(page)``), on the right of ``folio_test_hugetlb(folio) && ...`` (or ``!folio_test_large(folio) && ...``), after
``if (!folio_test_hugetlb(folio)) return ...;``.  A condition ``!folio_test_large(f)
|| folio_test_hugetlb(f)`` counts too (small or hugetlb).

``special_code(path)`` names the files that handle only such folios:
mm/hugetlb*.c and fs/hugetlbfs/ (hugetlb folios: head-page flags, mapped as a
whole) and mm/ksm.c's stable tree, whose KSM folios are order 0 (a large folio
is split before it is merged).  The mapcount rule uses both; the per-page flag
rule only the hugetlb ones (KSM code also handles ordinary pages).
"""

from __future__ import annotations

from tree_sitter import Node

from folint import cnodes
from folint.small_folio import _always_exits, says_small

HUGETLB_TESTS = frozenset({"folio_test_hugetlb", "PageHuge", "is_vm_hugetlb_page"})
HUGETLB_CODE = ("mm/hugetlb", "fs/hugetlbfs/")
KSM_CODE = ("mm/ksm.c",)


def special_code(path: str, kinds: tuple[str, ...] = ("hugetlb", "ksm")) -> str | None:
    """Why the folios of the file at ``path`` are special ("hugetlb folios", "KSM folios"), or None."""
    p = path.replace("\\", "/")
    if "hugetlb" in kinds and any(part in p for part in HUGETLB_CODE):
        return "hugetlb folios"
    if "ksm" in kinds and any(p.endswith(part) for part in KSM_CODE):
        return "KSM folios"
    return None


def _says_hugetlb(cond: Node | None, folio: str) -> bool:
    cond = cnodes.strip_parens(cond)
    if cond is None:
        return False
    while cnodes.call_name(cond) in ("likely", "unlikely") and cnodes.call_args(cond):
        cond = cnodes.strip_parens(cnodes.call_args(cond)[0])
    if cond.type == "binary_expression" and cnodes.text(cond.child_by_field_name("operator")) in ("&&", "||"):
        op = cnodes.text(cond.child_by_field_name("operator"))
        left, right = cond.child_by_field_name("left"), cond.child_by_field_name("right")
        if op == "&&":
            return _says_hugetlb(left, folio) or _says_hugetlb(right, folio)
        return all(_says_hugetlb(x, folio) or says_small(x, folio) for x in (left, right))
    name = cnodes.call_name(cond)
    return name in HUGETLB_TESTS and bool(cnodes.call_args(cond))


def hugetlb_at(fn, folio: str, node: Node) -> bool:
    """``node`` runs only for a hugetlb folio (or a small one): inside ``if
    (folio_test_hugetlb(folio))``, or after ``if (!folio_test_hugetlb(folio)) return``."""
    child = node
    for anc in cnodes.ancestors(node):
        if anc.id == fn.body.parent.id:
            break
        if anc.type == "binary_expression" and cnodes.text(anc.child_by_field_name("operator")) == "&&" \
                and cnodes.is_inside(child, anc.child_by_field_name("right")) \
                and (_says_hugetlb(anc.child_by_field_name("left"), folio)
                     or says_small(anc.child_by_field_name("left"), folio)):
            return True
        if anc.type == "if_statement":
            cond, cons = anc.child_by_field_name("condition"), anc.child_by_field_name("consequence")
            if cons is not None and cnodes.is_inside(child, cons) and _says_hugetlb(cond, folio):
                return True
        if anc.type == "compound_statement":
            for stmt in anc.named_children:
                if stmt.start_byte >= child.start_byte:
                    break
                if stmt.type != "if_statement":
                    continue
                cond = cnodes.strip_parens(stmt.child_by_field_name("condition"))
                if cond is not None and cond.type == "unary_expression" and \
                        _says_hugetlb(cond.child_by_field_name("argument"), folio) and \
                        _always_exits(stmt.child_by_field_name("consequence")):
                    return True
        child = anc
    return False
