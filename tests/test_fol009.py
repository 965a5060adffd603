"""FOL009 per-page-flag-on-folio: the flags come from the facts; a 6.12 function with the bug put back."""

import shutil

from conftest import planted_copy, rule_report, FIXTURES, kernel_tree_or_skip
from folint.config import Config
from folint.runner import RunOptions, run

FAKE_61 = FIXTURES / "facts" / "tree-6.1"


def test_the_per_page_flags_are_the_trees(tmp_path):
    """The fake tree declares a made-up per-page flag 'scribbled': FOL009 knows it from the facts alone."""
    tree = tmp_path / "tree"
    shutil.copytree(FAKE_61, tree)
    src = tree / "mm" / "scribble.c"
    src.write_text("/* FOL009 on a flag only the fake tree has */\n"
                   "static bool demo(struct page *page)\n{\n"
                   "\treturn folio_test_scribbled(page_folio(page));\n}\n")
    result = run([str(src)], Config(), RunOptions(jobs=1, select=["FOL009"], simulate=False, cache=False))
    (f,) = result.findings
    assert "scribbled is kept per page" in f.message and "include/linux/page-flags.h:9" in f.message
    assert "PageScribbled(page)" in f.message


SWAPFILE = "mm/swapfile.c"
CORRECT = "\tpage = folio_file_page(folio, swp_offset(entry));\n\tif (PageHWPoison(page))\n\t\thwpoisoned = true;"


def check(capsys, path):
    return rule_report(capsys, path, "FOL009")


def test_the_612_form_is_clean_and_the_folio_test_put_back_is_found(capsys, tmp_path):
    original, buggy = planted_copy(tmp_path, SWAPFILE, CORRECT, CORRECT.replace("PageHWPoison(page)", "folio_test_hwpoison(folio)"))
    code, data = check(capsys, original)
    assert code == 0 and data["findings"] == []
    code, data = check(capsys, buggy)
    assert code == 1
    (f,) = data["findings"]
    assert f["function"] == "unuse_pte" and "use PageHWPoison(page)" in f["message"]
    assert f["verdict"] == "inconclusive" and "computed inside the function" in f["evidence"]


FAILURE = "mm/memory-failure.c"
TAKEN_OFF = "void ClearPageHWPoisonTakenOff(struct page *page)\n{\n\tif (PageHWPoison(page))"


def test_a_page_parameter_put_back_on_the_folio_is_confirmed_on_page_2(capsys, tmp_path):
    tree = kernel_tree_or_skip()
    text = (tree / FAILURE).read_text()
    assert text.count(TAKEN_OFF) == 1, "6.12 mm/memory-failure.c changed shape; update this test"
    buggy = tmp_path / "memory-failure.c"
    buggy.write_text(text.replace(TAKEN_OFF, TAKEN_OFF.replace("PageHWPoison(page)",
                                                               "folio_test_hwpoison(page_folio(page))")))
    code, data = check(capsys, buggy)
    assert code == 1
    (f,) = [f for f in data["findings"] if f["function"] == "ClearPageHWPoisonTakenOff"]
    assert f["verdict"] == "confirmed" and "on page 0 (the head), not on page 2" in f["evidence"]
