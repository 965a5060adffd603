"""FOL009 per-page-flag-on-folio: the flags come from the facts; a 6.12 function with the bug put back."""

import json
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


CALLEE = ("/* a page of a hugetlb folio: hwpoison is kept on its head page */\n"
          "bool demo_raw_in_huge(struct page *page)\n{\n\tstruct folio *folio = page_folio(page);\n\n"
          "\tif (!folio_test_hwpoison(folio))\n\t\treturn false;\n"
          "\tif (!folio_test_hugetlb(folio))\n\t\treturn PageHWPoison(page);\n"
          "\treturn demo_raw_listed(folio, page);\n}\n")
HUGETLBFS_CALLER = ("static size_t demo_safe_bytes(struct page *page, size_t bytes)\n{\n"
                    "\tif (demo_raw_in_huge(page))\n\t\treturn 0;\n\treturn bytes;\n}\n")


def _callers_tree(tmp_path, *others: tuple[str, str]):
    """The fake tree with the callee in mm/, its prototype in a header and one caller in
    fs/hugetlbfs/, plus ``others`` (path, text)."""
    tree = tmp_path / "tree"
    shutil.copytree(FAKE_61, tree)
    (tree / "mm" / "memory-failure.c").write_text(CALLEE)
    (tree / "include" / "linux" / "hugetlb.h").write_text("bool demo_raw_in_huge(struct page *page);\n")
    (tree / "fs" / "hugetlbfs").mkdir(parents=True)
    (tree / "fs" / "hugetlbfs" / "inode.c").write_text(HUGETLBFS_CALLER)
    for rel, text in others:
        (tree / rel).write_text(text)
    return tree


def _fol009(target, show_refuted=True):
    return run([str(target)], Config(), RunOptions(jobs=1, select=["FOL009"], show_refuted=show_refuted)).findings


def test_every_caller_in_hugetlbfs_refutes_the_finding_across_the_tree(tmp_path):
    tree = _callers_tree(tmp_path)
    assert _fol009(tree / "mm", show_refuted=False) == []
    (f,) = _fol009(tree / "mm" / "memory-failure.c")
    assert f.verdict == "refuted" and f.line == 6
    assert f"{tree}/fs/hugetlbfs/inode.c:3 (demo_safe_bytes(), hugetlb code)" in f.evidence
    outside = tmp_path / "alone.c"  # no tree: its callers are not known
    outside.write_text(CALLEE)
    (f,) = _fol009(outside)
    assert f.verdict != "refuted"


def test_a_caller_under_a_hugetlb_test_counts_and_one_without_keeps_the_finding(tmp_path):
    guarded = ("int demo_walk(struct folio *folio, struct page *page)\n{\n"
               "\tif (folio_test_hugetlb(folio) && demo_raw_in_huge(page))\n\t\treturn -EHWPOISON;\n\treturn 0;\n}\n")
    tree = _callers_tree(tmp_path, ("mm/walk.c", guarded))
    (f,) = _fol009(tree / "mm")
    assert f.verdict == "refuted" and "mm/walk.c:3 (demo_walk(), under a hugetlb test)" in f.evidence
    (tree / "mm" / "walk.c").write_text(guarded + "int demo_any(struct page *page)\n{\n"
                                                  "\treturn demo_raw_in_huge(page) ? -EHWPOISON : 0;\n}\n")
    (f,) = _fol009(tree / "mm")
    assert f.verdict != "refuted" and f.function == "demo_raw_in_huge"


def test_an_export_or_an_address_taken_leaves_the_callers_unknown(tmp_path):
    for rel, text in (("mm/memory-failure.c", CALLEE + "EXPORT_SYMBOL_GPL(demo_raw_in_huge);\n"),
                      ("mm/ops.c", "static const struct demo_ops ops = {\n\t.check = demo_raw_in_huge,\n};\n")):
        tree = _callers_tree(tmp_path / rel.replace("/", "-"), (rel, text))
        (f,) = _fol009(tree / "mm")
        assert f.verdict != "refuted", rel


def test_612_is_raw_hwpoison_page_in_hugepage_is_refuted_by_its_hugetlbfs_caller():
    tree = kernel_tree_or_skip()
    found = _fol009(tree / FAILURE)
    (f,) = [f for f in found if f.function == "is_raw_hwpoison_page_in_hugepage"]
    assert f.verdict == "refuted"
    assert f.evidence.endswith("fs/hugetlbfs/inode.c:282 (adjust_range_hwpoison(), hugetlb code)")


def _new_file_diff(rel: str, text: str) -> str:
    lines = text.splitlines()
    return (f"diff --git a/{rel} b/{rel}\nnew file mode 100644\n--- /dev/null\n+++ b/{rel}\n"
            f"@@ -0,0 +1,{len(lines)} @@\n" + "".join(f"+{x}\n" for x in lines))


def test_check_patch_with_a_tree_asks_the_callers_there_and_in_the_patch(capsys, tmp_path):
    from folint.cli import main

    tree = _callers_tree(tmp_path)
    (tree / "mm" / "memory-failure.c").unlink()
    patch = tmp_path / "p.diff"
    patch.write_text(_new_file_diff("mm/memory-failure.c", CALLEE))
    argv = ["check-patch", "--no-simulate", "--no-cache", "--format", "json", "--tree", str(tree), str(patch)]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []
    any_caller = "int demo_any(struct page *page)\n{\n\treturn demo_raw_in_huge(page) ? -EHWPOISON : 0;\n}\n"
    patch.write_text(_new_file_diff("mm/memory-failure.c", CALLEE) + _new_file_diff("mm/walk.c", any_caller))
    assert main(argv) == 1
    (f,) = json.loads(capsys.readouterr().out)["findings"]
    assert f["code"] == "FOL009" and f["function"] == "demo_raw_in_huge"


def test_the_callers_are_asked_again_when_the_file_comes_from_the_results_cache(tmp_path):
    tree = _callers_tree(tmp_path)
    opts = RunOptions(jobs=1, select=["FOL009"], show_refuted=True, cache=True, cache_dir=str(tmp_path / "cache"))
    for _ in range(2):
        (f,) = run([str(tree / "mm")], Config(), opts).findings
        assert f.verdict == "refuted"
    (tree / "mm" / "walk.c").write_text("int demo_any(struct page *page)\n{\n"
                                        "\treturn demo_raw_in_huge(page) ? -EHWPOISON : 0;\n}\n")
    (f,) = run([str(tree / "mm")], Config(), opts).findings  # memory-failure.c unchanged: its result is cached
    assert f.verdict != "refuted"


def test_stdin_named_inside_a_tree_asks_the_callers_there(capsys, monkeypatch, tmp_path):
    import io
    import sys

    from folint.cli import main

    tree = _callers_tree(tmp_path)
    name = str(tree / "mm" / "memory-failure.c")
    plain = "int demo_any(struct page *page)\n{\n\treturn demo_raw_in_huge(page) ? -EHWPOISON : 0;\n}\n"
    for text, found in ((CALLEE, 0), (CALLEE + plain, 1)):  # the text on stdin, not the disk's, is read
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
        assert main(["-", "--stdin-filename", name, "--select", "FOL009", "--format", "json", "--no-simulate"]) == found
        assert len(json.loads(capsys.readouterr().out)["findings"]) == found


def test_callers_too_deep_to_read_leave_the_finding_with_one_error_line(tmp_path, monkeypatch):
    from folint import caller_context

    def too_deep(*_a):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(caller_context, "judge", too_deep)
    tree = _callers_tree(tmp_path)
    result = run([str(tree / "mm")], Config(), RunOptions(jobs=1, select=["FOL009"]))
    (f,) = result.findings
    assert f.verdict != "refuted"
    assert [e.message for e in result.errors] == [
        "callers of demo_raw_in_huge(): code nested too deeply to read the callers; the finding stays"]
