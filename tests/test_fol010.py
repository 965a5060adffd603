"""FOL010 mapcount-one-as-exclusive: the suggestion comes from the tree's facts; a 6.12 function with the bug put back."""

import shutil

from conftest import planted_copy, rule_report, FIXTURES
from folint.config import Config
from folint.runner import RunOptions, run

FAKE_61 = FIXTURES / "facts" / "tree-6.1"
CODE = "static bool demo(struct folio *folio)\n{\n\treturn folio_mapcount(folio) != 1;\n}\n"


def test_a_tree_with_folio_estimated_sharers_gets_it_suggested(tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(FAKE_61, tree)
    (tree / "mm" / "demo.c").write_text("/* FOL010 in a 6.1-style tree */\n" + CODE)
    result = run([str(tree / "mm" / "demo.c")], Config(), RunOptions(jobs=1, select=["FOL010"], cache=False))
    (f,) = result.findings
    assert "use `folio_estimated_sharers(folio) > 1` (what this tree offers, from include/linux/mm.h:4)" in f.message


def test_without_a_tree_the_612_helper_is_suggested(tmp_path):
    (tmp_path / "demo.c").write_text(CODE)
    result = run([str(tmp_path / "demo.c")], Config(), RunOptions(jobs=1, select=["FOL010"], simulate=True))
    (f,) = result.findings
    assert "use `folio_likely_mapped_shared(folio)` (what this tree offers, from built-in table for 6.12)" in f.message
    assert f.verdict == "confirmed" and "folio_mapcount() is 4, not 1" in f.evidence


MEMPOLICY = "mm/mempolicy.c"
CORRECT = "\tif ((flags & MPOL_MF_MOVE_ALL) || !folio_likely_mapped_shared(folio)) {"


def check(capsys, path):
    return rule_report(capsys, path, "FOL010")


def test_the_612_form_is_clean_and_the_mapcount_test_put_back_is_found_and_confirmed(capsys, tmp_path):
    original, buggy = planted_copy(tmp_path, MEMPOLICY, CORRECT, CORRECT.replace("!folio_likely_mapped_shared(folio)",
                                                           "folio_mapcount(folio) == 1"))
    code, data = check(capsys, original)
    assert code == 0 and data["findings"] == []
    code, data = check(capsys, buggy)
    assert code == 1
    (f,) = data["findings"]
    assert f["function"] == "migrate_folio_add" and f["verdict"] == "confirmed"
    assert "use `!folio_likely_mapped_shared(folio)`" in f["message"]


def test_61_form_planted_is_found_with_the_61_helper_suggested(capsys, monkeypatch):
    """6.1 mm/mempolicy.c tests folio_estimated_sharers(folio) == 1; with the mapcount test put
    back, read through stdin as that file of the 6.1 tree (as an editor checks it), the finding
    suggests what 6.1 has (its include/linux/mm.h), not 6.12's folio_likely_mapped_shared()."""
    import io
    import json

    from folint.cli import main
    from test_real_tree_triage import tree_61_or_skip

    tree = tree_61_or_skip()
    text = (tree / MEMPOLICY).read_text()
    right = "\tif ((flags & MPOL_MF_MOVE_ALL) || folio_estimated_sharers(folio) == 1) {"
    assert text.count(right) == 1, "6.1 mm/mempolicy.c changed shape; update this test"
    for body, want in ((text, 0), (text.replace(right, right.replace("folio_estimated_sharers", "folio_mapcount")), 1)):
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(body.encode())))
        code = main(["-", "--stdin-filename", str(tree / MEMPOLICY), "--select", "FOL010", "--format", "json",
                     "--no-cache"])
        found = json.loads(capsys.readouterr().out)["findings"]
        assert code == want and len(found) == want, found
    (f,) = found
    assert f["function"] == "migrate_folio_add" and f["verdict"] == "confirmed"
    assert "use `folio_estimated_sharers(folio) == 1` (what this tree offers, from include/linux/mm.h:" in f["message"]
