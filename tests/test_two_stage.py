"""The name-targeted index (folint.index.targeted, folint.index.patch.targeted_index)
answers as the full index does: same FOL003 findings for every fixture file, and a
word search that matches whole identifiers only."""

import subprocess

import pytest

from conftest import FIXTURES
from folint.config import Config
from folint.discovery import discover
from folint.index.build import build_index
from folint.index.patch import asked_about, summaries_of, targeted_index, tree_findings_for_files
from folint.index.targeted import files_naming, names_word
from folint.selection import build_rules

TREES = [FIXTURES / "FOL003", FIXTURES / "patches" / "review-6.1" / "tree"]


def _shown(findings):
    return sorted((f.path, f.line, f.function, f.message) for f in findings)


@pytest.mark.parametrize("tree", TREES, ids=["FOL003", "review-6.1"])
def test_targeted_index_gives_the_full_index_findings_for_each_file(tree):
    rules = [r for r in build_rules(Config(), ["FOL003"], None)]
    root = str(tree)
    full = build_index([root], cache=False, jobs=1)
    compared = 0
    for path in discover([root]).files:
        raw = open(path, "rb").read()
        names = asked_about(summaries_of({path: raw}, []).values())
        if not names:
            continue
        errors = []
        part = targeted_index(root, names, cache=False, jobs=1, errors=errors)
        assert errors == []
        assert len(part) < len(full) or len(full) <= 2
        want, _ = tree_findings_for_files(full, {path: raw}, rules)
        got, _ = tree_findings_for_files(part, {path: raw}, rules)
        assert _shown(got) == _shown(want), path
        compared += bool(want)
    assert compared > 0


def test_word_search_matches_whole_identifiers_only():
    assert names_word(b"x = put_page(p);", [b"put_page"])
    assert not names_word(b"x = put_pages(p); __put_page(p);", [b"put_page"])
    assert names_word(b"__put_page(p); put_page", [b"put_page"])


def test_files_naming_in_a_git_work_tree_and_by_bytes_agree(tmp_path):
    (tmp_path / "a.c").write_text("void f(struct page *p) { put_page(p); }\n")
    (tmp_path / "b.c").write_text("void g(void) { put_pages(); }\n")
    (tmp_path / "c.h").write_text("#define X put_page\n")
    by_bytes = files_naming(["put_page"], discover([str(tmp_path)]).files, jobs=1)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    by_git = files_naming(["put_page"], tree=str(tmp_path))
    assert by_bytes == by_git == [str(tmp_path / "a.c"), str(tmp_path / "c.h")]
