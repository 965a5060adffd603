"""check-patch's whole-tree name search (folint.index.tree_search): GNU grep over the
tree finds what the Python walk and byte search find, and a second search of an
unchanged tree looks only at what changed since (new and edited files are seen)."""

import os
import time

import pytest

from conftest import FIXTURES
from folint.discovery import discover
from folint.index.cache import SummaryCache
from folint.index.targeted import _gnu_grep, files_naming
from folint.index.tree_search import files_naming_in_tree, grep_tree

pytestmark = pytest.mark.skipif(_gnu_grep() is None, reason="GNU grep is not installed")
NAMES = {"arch_prepare_to_swap", "mte_save_page_tags", "note_page"}


@pytest.mark.parametrize("jobs", [1, 2])
def test_grep_over_the_tree_finds_what_the_walk_and_byte_search_find(jobs):
    tree = str(FIXTURES)
    want = files_naming(NAMES, discover([tree]).files, jobs=1)
    assert want and grep_tree(tree, NAMES, jobs=jobs) == sorted(want)


def test_excludes_apply_to_what_grep_finds():
    tree = str(FIXTURES / "FOL003")
    got = grep_tree(tree, NAMES, jobs=1, exclude=["arch/**"], root=FIXTURES / "FOL003")
    assert got and not any("/arch/" in p for p in got)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_second_search_looks_only_at_what_changed_and_sees_new_files(tmp_path, jobs):
    tree = tmp_path / "tree"
    (tree / "mm").mkdir(parents=True)
    (tree / "mm" / "a.c").write_text("int f(struct page *p) { return arch_prepare_to_swap(p); }\n")
    (tree / "mm" / "b.c").write_text("int g(void) { return 0; }\n")
    cache = SummaryCache(tmp_path / "cache")
    time.sleep(1.1)  # past the change time's granularity margin: written before the first search
    stats = {}
    first = files_naming_in_tree(str(tree), NAMES, cache, jobs=jobs, stats=stats)
    assert first == [str(tree / "mm" / "a.c")] and stats["search"] == "whole tree"
    stats = {}
    assert files_naming_in_tree(str(tree), NAMES, cache, jobs=jobs, stats=stats) == first
    assert stats["search"] == "changed files" and stats["searched"] == 0
    (tree / "mm" / "b.c").write_text("int g(struct folio *f) { return arch_prepare_to_swap(&f->page); }\n")
    (tree / "new.h").write_text("extern int arch_prepare_to_swap(struct page *page);\n")
    os.remove(tree / "mm" / "a.c")
    stats = {}
    got = files_naming_in_tree(str(tree), NAMES, cache, jobs=jobs, stats=stats)
    assert got == [str(tree / "mm" / "b.c"), str(tree / "new.h")] and stats["search"] == "changed files"


def test_many_names_one_alternation_finds_what_the_byte_search_finds(tmp_path, monkeypatch):
    """From ALTERNATION_MIN_NAMES names on, grep gets one -E alternation: whole words still."""
    import folint.index.targeted as targeted
    from folint.index import tree_search

    names = {f"helper_{i}" for i in range(tree_search.ALTERNATION_MIN_NAMES)} | {"put_page"}
    (tmp_path / "a.c").write_text("void f(struct page *p) { put_page(p); }\n")
    (tmp_path / "b.c").write_text("void g(void) { put_pages(); __put_page(); helper_10x(); xhelper_1(); }\n")
    (tmp_path / "c.h").write_text("#define H helper_11\n")
    (tmp_path / "d.c").write_text("int helper_3;\n")
    files = discover([str(tmp_path)]).files
    by_grep = grep_tree(str(tmp_path), names, jobs=1)
    monkeypatch.setattr(targeted, "_gnu_grep", lambda: None)  # the byte search in Python
    want = files_naming(names, files, jobs=1)
    assert want == [str(tmp_path / n) for n in ("a.c", "c.h", "d.c")]
    assert by_grep == want


def test_split_folder_never_hands_grep_a_fifo_or_a_link_out(tmp_path):
    """A folder with more entries than SPLIT_MIN_FILES is shared out by its entries,
    each named on grep's command line: a FIFO named x.c must not be opened (it hung the
    search), and a symlink to a folder outside the tree must not be followed."""
    import os

    from folint.index import tree_search

    if tree_search._gnu_grep() is None:
        pytest.skip("GNU grep not installed")
    tree = tmp_path / "tree"
    big = tree / "big"
    big.mkdir(parents=True)
    for i in range(tree_search.SPLIT_MIN_FILES + 6):
        (big / f"f{i}.c").write_text("void g(void) { wanted(); }\n" if i == 0 else "int x;\n")
    os.mkfifo(big / "fifo.c")
    os.mkfifo(tree / "top.c")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "o.c").write_text("void h(void) { wanted(); }\n")
    (big / "link").symlink_to(outside, target_is_directory=True)
    (big / "linked.c").symlink_to(outside / "o.c")
    got = tree_search.grep_tree(str(tree), {"wanted"}, jobs=2)
    assert got == [str(big / "f0.c")]
