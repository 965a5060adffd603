"""check-patch searches the tree only for the names a change can get a FOL003 finding
about (folint.index.patch.asked_about): a call handing a function page i of a folio
(``folio_page(folio, i)``) counts against flagging it unless ``subpages = true``, so
without that option its callee is not searched for, and the findings do not change."""

from folint.config import Config
from folint.index.patch import asked_about, introduced_tree_findings, summaries_of
from folint.selection import build_rules

HELPER = b"void per_page(struct page *page)\n{\n\tclear_highpage(page);\n}\n"
OLD_CALLER = (b"void old_user(struct folio *folio)\n{\n\tlong i;\n\n"
              b"\tfor (i = 0; i < folio_nr_pages(folio); i++)\n\t\tper_page(folio_page(folio, i));\n}\n")
ADDED = (b"void new_user(struct folio *folio)\n{\n\tlong i;\n\n"
         b"\tfor (i = 0; i < folio_nr_pages(folio); i++)\n\t\tper_page(folio_page(folio, i));\n"
         b"\tfirst_only(&folio->page);\n}\n")


def test_a_call_passing_page_i_of_a_folio_is_asked_about_only_with_subpages():
    (s,) = summaries_of({"mm/new.c": ADDED}, []).values()
    assert asked_about([s]) == {"first_only"}
    assert asked_about([s], subpages=True) == {"first_only", "per_page"}


def _introduced(tmp_path, **options):
    tree = tmp_path / "tree"
    (tree / "mm").mkdir(parents=True)
    (tree / "mm" / "helper.c").write_bytes(HELPER)
    (tree / "mm" / "old.c").write_bytes(OLD_CALLER)
    config = Config()
    config.rule_options = {"FOL003": options}
    rules = build_rules(config, ["FOL003"])
    found, errors = introduced_tree_findings(str(tree), {"mm/new.c": (None, ADDED)}, rules,
                                             cache_dir=str(tmp_path / "cache"), jobs=1)
    assert not errors
    return [(f.path.rsplit("/", 1)[-1], f.function, f.message) for f in found]


def test_with_subpages_the_callee_is_searched_and_the_added_call_reported(tmp_path):
    found = _introduced(tmp_path, subpages=True)
    assert [(p, fn) for p, fn, _m in found] == [("new.c", "new_user")]
    assert "to per_page()" in found[0][2]


def test_without_subpages_nothing_is_reported_about_it(tmp_path):
    assert _introduced(tmp_path) == []
