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


def test_a_second_search_looks_only_at_what_changed_and_sees_new_files(tmp_path):
    tree = tmp_path / "tree"
    (tree / "mm").mkdir(parents=True)
    (tree / "mm" / "a.c").write_text("int f(struct page *p) { return arch_prepare_to_swap(p); }\n")
    (tree / "mm" / "b.c").write_text("int g(void) { return 0; }\n")
    cache = SummaryCache(tmp_path / "cache")
    time.sleep(1.1)  # past the change time's granularity margin: written before the first search
    stats = {}
    first = files_naming_in_tree(str(tree), NAMES, cache, jobs=1, stats=stats)
    assert first == [str(tree / "mm" / "a.c")] and stats["search"] == "whole tree"
    stats = {}
    assert files_naming_in_tree(str(tree), NAMES, cache, jobs=1, stats=stats) == first
    assert stats["search"] == "changed files" and stats["searched"] == 0
    (tree / "mm" / "b.c").write_text("int g(struct folio *f) { return arch_prepare_to_swap(&f->page); }\n")
    (tree / "new.h").write_text("extern int arch_prepare_to_swap(struct page *page);\n")
    os.remove(tree / "mm" / "a.c")
    stats = {}
    got = files_naming_in_tree(str(tree), NAMES, cache, jobs=1, stats=stats)
    assert got == [str(tree / "mm" / "b.c"), str(tree / "new.h")] and stats["search"] == "changed files"
