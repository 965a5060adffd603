"""One search of a kernel tree for what a folder run's tree phase and FOL009's callers
look for outside its files (folint.index.tree_search.SharedSearch, issue 12): started
in the background, each part answered as its own grep of the tree would answer it,
and the run's findings and verdicts those of two searches."""

import pytest

from folint.config import Config
from folint.index import tree_search
from folint.index.cache import SummaryCache
from folint.index.tree_search import GrepJob, SharedSearch, files_naming_in_tree, grep_tree
from test_fol009 import CALLEE, HUGETLBFS_CALLER
from test_two_stage import _kernel_tree

pytestmark = pytest.mark.skipif(tree_search._gnu_grep() is None, reason="GNU grep is not installed")

FILES = {
    "mm/a.c": "void alpha(struct page *p) { beta(p); }\n",
    "mm/b.c": "int beta_x; void gamma(void) { beta(0); }\n",
    "fs/c.c": "void delta(void) { alpha(0); gamma(); }\n",
    "fs/d.h": "/* alphabet, xbeta, gamma_ */\n",
    "lib/e.c": "int nothing;\n",
}


def _tree(tmp_path):
    tree = tmp_path / "tree"
    for rel, text in FILES.items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text(text)
    return str(tree)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_background_grep_answers_as_grep_tree(tmp_path, jobs):
    tree = _tree(tmp_path)
    job = GrepJob(tree, {"alpha", "gamma"}, jobs=jobs)
    assert job.answer() == grep_tree(tree, {"alpha", "gamma"}, jobs=jobs) == [
        f"{tree}/fs/c.c", f"{tree}/mm/a.c", f"{tree}/mm/b.c"]
    assert job.answer(exclude=["fs/**"], root=tree) == [f"{tree}/mm/a.c", f"{tree}/mm/b.c"]


def test_a_grep_stopped_before_its_answer_gives_none(tmp_path):
    job = GrepJob(_tree(tmp_path), {"alpha"}, jobs=1)
    job.close()
    assert job.answer() is None


@pytest.mark.parametrize("jobs", [1, 2])
def test_each_part_of_the_shared_search_is_what_its_own_search_finds(tmp_path, monkeypatch, jobs):
    tree = _tree(tmp_path)
    search = SharedSearch(tree, jobs)
    search.want({"alpha", "beta"})
    search.want({"gamma"})
    search.start()
    search.want({"delta"})  # too late: not searched for
    assert search.names == {"alpha", "beta", "gamma"}
    assert search.part(tree, {"beta", "delta"}) == {"beta"} and search.part(tree + "/mm", {"beta"}) == set()
    parts = ({"alpha"}, {"beta"}, {"gamma"}, {"alpha", "gamma"}, {"alpha", "beta", "gamma"})
    want = [grep_tree(tree, names, jobs=jobs) for names in parts]
    started = []
    real = GrepJob.__init__

    def count(self, where, names, **kw):
        started.append((where, kw.get("paths")))
        real(self, where, names, **kw)

    monkeypatch.setattr(GrepJob, "__init__", count)
    assert [search.files(names) for names in parts] == want
    assert want[1] == [f"{tree}/mm/a.c", f"{tree}/mm/b.c"]
    # the tree was searched once; each smaller part again only among the files found
    assert all(paths is not None for where, paths in started if where == tree)
    with pytest.raises(ValueError):
        search.files({"delta"})


def test_a_strict_part_has_no_answer_when_a_file_could_not_be_read(tmp_path, monkeypatch):
    tree = _tree(tmp_path)
    grep = tmp_path / "grep"  # GNU grep that says a file could not be read (status 2)
    grep.write_text(f"#!/bin/sh\n{tree_search._gnu_grep()} \"$@\"\nexit 2\n")
    grep.chmod(0o755)
    monkeypatch.setattr(tree_search, "_gnu_grep", lambda: str(grep))
    search = SharedSearch(tree, 1)
    search.want({"alpha"})
    assert search.files({"alpha"}, strict=True) is None
    assert search.files({"alpha"}) == [f"{tree}/fs/c.c", f"{tree}/mm/a.c"]


def test_the_tree_search_takes_its_part_and_searches_for_the_other_names_itself(tmp_path):
    tree = _tree(tmp_path)
    search = SharedSearch(tree, 1)
    search.want({"alpha", "zeta"})
    search.start()
    cache = SummaryCache(tmp_path / "cache")
    stats = {}
    got = files_naming_in_tree(tree, {"alpha", "gamma"}, cache, jobs=1, stats=stats, shared=search)
    assert got == grep_tree(tree, {"alpha", "gamma"}, jobs=1) and stats["search"] == "whole tree"
    # the record's time is the shared greps' start: a file changed after it is searched again
    record = cache.searched_record(tree_search.record_key(tree, {"alpha", "gamma"}))
    assert record["stamp"] <= search.started - 1.0
    stats = {}
    assert files_naming_in_tree(tree, {"alpha", "gamma"}, cache, jobs=1, stats=stats) == got
    assert stats["search"] == "changed files"


def test_the_callers_take_their_part_of_the_shared_search(tmp_path, monkeypatch):
    from folint import caller_context

    tree = tmp_path / "linux"
    _kernel_tree(tree, {"mm/memory-failure.c": CALLEE, "fs/hugetlbfs/inode.c": HUGETLBFS_CALLER,
                        "include/linux/hugetlb.h": "bool demo_raw_in_huge(struct page *page);\n"})
    alone = caller_context.in_tree(str(tree), {"demo_raw_in_huge": 0}, jobs=1)
    search = SharedSearch(str(tree), 1)
    search.want({"demo_raw_in_huge", "other_name"})
    whole = []
    real = GrepJob.__init__

    def count(self, where, names, **kw):
        whole.append(kw.get("paths") is None)
        real(self, where, names, **kw)

    monkeypatch.setattr(GrepJob, "__init__", count)
    shared = caller_context.in_tree(str(tree), {"demo_raw_in_huge": 0}, jobs=1, search=search)
    assert shared == alone and shared["demo_raw_in_huge"].ok
    assert whole.count(True) == 1  # the shared search; its part among the files found


FOLDER_TREE = {
    # FOL003: mm_wrap() is defined in mm/ and called with a folio's page from fs/
    "mm/wrap.c": "void mm_wrap(struct page *page)\n{\n\tstruct folio *folio = page_folio(page);\n\n"
                 "\tfolio_mark_accessed(folio);\n}\n",
    "fs/mark.c": "void fs_mark(struct folio *folio)\n{\n\tmm_wrap(&folio->page);\n}\n",
    # FOL009: its only caller is in fs/hugetlbfs/
    "mm/memory-failure.c": CALLEE,
    "include/linux/hugetlb.h": "bool demo_raw_in_huge(struct page *page);\n",
    "fs/hugetlbfs/inode.c": HUGETLBFS_CALLER,
}


def _tree_searches(monkeypatch) -> list[set[str]]:
    """The names of each search of the whole tree (a GrepJob given no paths), as they start."""
    whole: list[set[str]] = []
    real = GrepJob.__init__

    def count(self, where, names, **kw):
        if kw.get("paths") is None:
            whole.append(set(names))
        real(self, where, names, **kw)

    monkeypatch.setattr(GrepJob, "__init__", count)
    return whole


def test_a_folder_run_searches_the_tree_once_and_reports_what_two_searches_report(tmp_path, monkeypatch):
    from folint import caller_context
    from folint.runner import RunOptions, run

    top = tmp_path / "linux"
    _kernel_tree(top, FOLDER_TREE)
    monkeypatch.chdir(top)
    whole = _tree_searches(monkeypatch)

    def findings():
        result = run(["mm"], Config(), RunOptions(select=["FOL003", "FOL009"], jobs=2, simulate=True,
                                                  show_refuted=True))
        assert not result.errors, [str(e) for e in result.errors]
        return sorted((f.code, f.path, f.line, f.function, str(f.verdict), f.evidence) for f in result.findings)

    shared = findings()
    assert whole == [{"mm_wrap", "demo_raw_in_huge"}]
    whole.clear()
    monkeypatch.setattr(caller_context, "shared_search", lambda *a, **k: None)
    apart = findings()
    # the tree phase's (demo_raw_in_huge() is a FOL003 candidate too) and the callers'
    assert sorted(map(sorted, whole)) == [["demo_raw_in_huge"], ["demo_raw_in_huge", "mm_wrap"]]
    assert shared == apart
    assert {(c, fn, v) for c, _p, _l, fn, v, _e in shared} == {("FOL003", "mm_wrap", "confirmed"),
                                                            ("FOL009", "demo_raw_in_huge", "refuted")}


LATE_TREE = {
    "mm/wrap.c": "void mark_wrapper(struct page *page)\n{\n\tstruct folio *folio = page_folio(page);\n\n"
                 "\tfolio_mark_accessed(folio);\n}\n\n"
                 "void mm_user(struct folio *folio)\n{\n\tmark_wrapper(&folio->page);\n}\n",
    # no folio here: left to stage 2, whose summary shows a plain-page caller
    "mm/plain.c": "void mm_plain(struct page *page)\n{\n\tmark_wrapper(page);\n}\n",
    "fs/mark.c": "void fs_mark(struct folio *folio)\n{\n\tmark_wrapper(&folio->page);\n}\n",
}


def test_a_name_the_deferred_files_settle_is_not_searched_for_in_the_rest_of_the_tree(tmp_path, monkeypatch):
    from folint.runner import RunOptions, run

    top = tmp_path / "linux"
    _kernel_tree(top, LATE_TREE)
    monkeypatch.chdir(top)
    whole = _tree_searches(monkeypatch)

    def report(targets):
        result = run(targets, Config(), RunOptions(select=["FOL003"], jobs=1, simulate=True, show_refuted=True))
        assert not result.errors, [str(e) for e in result.errors]
        return result, sorted((f.path.lstrip("./"), f.line, f.function) for f in result.findings)

    in_mm, got = report(["mm"])
    assert in_mm.index_stats["candidates"] == 1 and in_mm.index_stats["outside_names"] == 0
    assert whole == []
    _, want = report(["."])
    assert got == [f for f in want if f[0].startswith("mm/")]
    # with the plain-page caller gone the name is searched for and fs/mark.c's caller seen
    (top / "mm" / "plain.c").write_text("void mm_plain(struct page *page)\n{\n\tput_page(page);\n}\n")
    in_mm, got = report(["mm"])
    assert whole == [{"mark_wrapper"}] and in_mm.index_stats["outside_names"] == 1
    assert [fn for *_x, fn in got] == ["mark_wrapper"]


def test_the_simulator_is_loaded_while_the_greps_of_a_folder_run_search_the_tree(tmp_path, monkeypatch):
    from folint.index import phase
    from folint.runner import RunOptions, run

    top = tmp_path / "linux"
    _kernel_tree(top, FOLDER_TREE)
    monkeypatch.chdir(top)
    seen = []
    searches = []
    real = SharedSearch.start

    def start(self):
        searches.append(self)
        real(self)

    monkeypatch.setattr(SharedSearch, "start", start)
    monkeypatch.setattr(phase, "_load_simulator", lambda: seen.append([s.started is not None for s in searches]))
    for simulate in (True, False):
        result = run(["mm"], Config(), RunOptions(select=["FOL003"], jobs=2, simulate=simulate))
        assert not result.errors and [f.function for f in result.findings] == ["mm_wrap"]
    assert seen == [[True]]  # once, with simulation, the greps running
