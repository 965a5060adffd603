"""End-to-end checks on a real Linux 6.12 tree (skipped, saying why, when none is installed).

The kernel text is read at test time and never stored in the repository.
"""

import json
import re

import pytest

from conftest import kernel_tree_or_skip
from folint.cli import main

MTESWAP = "arch/arm64/mm/mteswap.c"


@pytest.fixture(scope="module")
def tree():
    return kernel_tree_or_skip()


def findings(capsys, *argv):
    code = main([*map(str, argv), "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    return code, data


def test_corrected_mteswap_is_clean(capsys, tree):
    code, data = findings(capsys, tree / MTESWAP)
    assert code == 0 and data["findings"] == [] and data["errors"] == []


def test_loop_model_sees_both_mteswap_loops(capsys, tree):
    assert main(["loops", str(tree / MTESWAP)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"mteswap.c:\d+: arch_prepare_to_swap\(\): for shape=index folio=folio index=i bound=nr", out)
    assert re.search(r"mteswap.c:\d+: arch_swap_restore\(\): for shape=index folio=folio index=i bound=nr", out)


def test_the_review_bugs_put_back_are_found(capsys, tree, tmp_path):
    """Undo the review's fixes in a copy of 6.12's mteswap.c: the three rules fire."""
    text = (tree / MTESWAP).read_text()
    save_loop = re.search(r"(for \(i = 0; i < nr; i\+\+\) \{\n\t\terr = mte_save_tags\(folio_page\(folio, i\)\);"
                          r"\n\t\tif \(err\)\n\t\t\tgoto out;\n\t\})", text)
    assert save_loop, "6.12 mteswap.c changed shape; update this test"
    buggy = text.replace(save_loop.group(1),
                         "for (i = 0; i < nr; i++)\n\t\treturn mte_save_tags(folio_page(folio, i));")
    assert "\t\tentry.val++;\n" in buggy
    buggy = buggy.replace("\t\tentry.val++;\n", "\t\t__mte_invalidate_tags(&folio->page);\n")
    (tmp_path / "mteswap.c").write_text(buggy)
    code, data = findings(capsys, tmp_path / "mteswap.c", "--select", "FOL001,FOL002,FOL005")
    got = sorted((f["code"], f["function"]) for f in data["findings"])
    assert code == 1
    assert got == [("FOL001", "arch_prepare_to_swap"), ("FOL002", "arch_swap_restore"),
                   ("FOL005", "arch_swap_restore")]


def test_mm_arch_fs_have_no_loop_findings(capsys, tree):
    """Triage of 6.12 (see the issue notes): no FOL001/FOL002/FOL005 finding in mm/, arch/, fs/."""
    code, data = findings(capsys, tree / "mm", tree / "arch", tree / "fs", "--select", "FOL001,FOL002,FOL005",
                          "--no-simulate")
    assert data["findings"] == []
    assert data["summary"]["parsed"] > 100
