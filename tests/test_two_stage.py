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
    full = build_index([root], cache=False, jobs=1, whole_tree=True)
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


# -- the two-stage index of a run (folint.index.two_stage) ---------------------------------

def _full_index_findings(root, rules):
    """The tree findings from the full index (every file with page or folio summarised)."""
    from folint.index.phase import run_tree_rules

    full = build_index([root], cache=False, jobs=1)
    errors = []
    found = run_tree_rules(rules, full, errors, simulate=True)
    assert errors == []
    return found


def _verdicts(findings):
    return sorted((f.path, f.line, f.function, f.message, str(f.verdict)) for f in findings)


@pytest.mark.parametrize("tree", TREES, ids=["FOL003", "review-6.1"])
def test_a_run_with_the_two_stage_index_gives_the_full_index_findings(tree):
    from folint.runner import RunOptions, run

    root = str(tree)
    rules = build_rules(Config(), ["FOL003"], None)
    want = _full_index_findings(root, rules)
    result = run([root], Config(), RunOptions(select=["FOL003"], jobs=1, simulate=True, show_refuted=True))
    assert not result.errors, [str(e) for e in result.errors]
    assert want and _verdicts(result.findings) == _verdicts(want)
    stats = result.index_stats
    assert stats["deferred"] > 0  # files without "folio" were not summarised while checking ...
    assert stats["named"] <= stats["searched"] == stats["deferred"]  # ... only those naming a candidate


def _kernel_tree(top, files):
    top.mkdir(parents=True)
    (top / "MAINTAINERS").write_text("x\n")
    (top / "Kbuild").write_text("obj-y += mm/\n")
    (top / "Makefile").write_text("VERSION = 6\nPATCHLEVEL = 12\n")
    for rel, text in files.items():
        (top / rel).parent.mkdir(parents=True, exist_ok=True)
        (top / rel).write_text(text)


WRAPPERS = {
    "mm/wrap.c": "void lock_wrapper(struct page *page)\n{\n\tstruct folio *folio = page_folio(page);\n\n"
                 "\tfolio_lock(folio);\n}\n\n"
                 "void mark_wrapper(struct page *page)\n{\n\tstruct folio *folio = page_folio(page);\n\n"
                 "\tfolio_mark_accessed(folio);\n}\n",
    "mm/user.c": "void mm_user(struct folio *folio)\n{\n\tlock_wrapper(&folio->page);\n}\n",
    # a compat caller elsewhere still passes a plain page: lock_wrapper() must stay
    "fs/other.c": "void fs_user(struct page *page)\n{\n\tlock_wrapper(page);\n}\n",
    # mark_wrapper()'s only caller is outside mm/ and holds the folio
    "fs/mark.c": "void fs_mark(struct folio *folio)\n{\n\tmark_wrapper(&folio->page);\n}\n",
    "drivers/none.c": "int unrelated(struct page *page)\n{\n\treturn page_count(page);\n}\n",
}


def _fol003(targets, cwd, monkeypatch):
    from folint.runner import RunOptions, run

    monkeypatch.chdir(cwd)
    result = run(targets, Config(), RunOptions(select=["FOL003"], jobs=1, simulate=True, show_refuted=True))
    assert not result.errors, [str(e) for e in result.errors]
    return {(f.path, f.function): f for f in result.findings}


@pytest.mark.parametrize("grep", [True, False], ids=["grep", "no-grep"])
def test_a_folder_inside_a_kernel_tree_is_judged_on_the_callers_in_the_whole_tree(tmp_path, monkeypatch, grep):
    if not grep:  # the walk and the byte search in Python
        import folint.index.targeted as targeted
        import folint.index.tree_search as tree_search

        monkeypatch.setattr(targeted, "_gnu_grep", lambda: None)
        monkeypatch.setattr(tree_search, "_gnu_grep", lambda: None)
    top = tmp_path / "linux"
    _kernel_tree(top, WRAPPERS)
    in_mm = _fol003(["mm"], top, monkeypatch)
    whole = _fol003(["."], top, monkeypatch)
    # fs/other.c passes lock_wrapper() a plain page: not flagged, though every caller in mm/ holds a folio
    assert not any(fn == "lock_wrapper" for _p, fn in in_mm)
    # mark_wrapper()'s caller in fs/ was found and simulated
    mark = in_mm[("mm/wrap.c", "mark_wrapper")]
    assert "fs/mark.c:3" in mark.message and mark.verdict == "confirmed", mark.evidence
    assert all(p.startswith("mm/") for p, _fn in in_mm)  # reported only in the checked folder
    assert {(p.lstrip("./"), fn) for p, fn in in_mm} <= {(p.lstrip("./"), fn) for p, fn in whole}
    assert [fn for _p, fn in whole] == ["mark_wrapper"]


def test_without_a_tree_top_the_finding_says_callers_elsewhere_were_not_seen(tmp_path, monkeypatch):
    top = tmp_path / "src"
    top.mkdir()
    for rel, text in WRAPPERS.items():
        (top / rel).parent.mkdir(parents=True, exist_ok=True)
        (top / rel).write_text(text)
    in_mm = _fol003(["mm"], top, monkeypatch)
    lock = in_mm[("mm/wrap.c", "lock_wrapper")]  # its plain-page caller in fs/ is not seen from here
    assert "callers outside the checked folders were not seen" in lock.message
    assert lock.verdict == "inconclusive" and "not confirmed" in lock.evidence
    assert not any(f.verdict == "confirmed" for f in in_mm.values())


def test_the_byte_search_without_grep_finds_the_same_files(tmp_path, monkeypatch):
    import folint.index.targeted as targeted

    (tmp_path / "a.c").write_text("void f(struct page *p) { put_page(p); }\n")
    (tmp_path / "b.c").write_text("void g(void) { put_pages(); __put_page(); }\n")
    (tmp_path / "-c.h").write_text("#define X put_page\n")
    files = discover([str(tmp_path)]).files
    with_grep = files_naming(["put_page", "nothing"], files, jobs=2)
    monkeypatch.setattr(targeted, "_gnu_grep", lambda: None)
    by_python = files_naming(["put_page", "nothing"], files, jobs=1)
    assert with_grep == by_python == [p for p in files if not p.endswith("b.c")]


def test_a_warm_run_searches_and_parses_nothing_again_and_finds_the_same(tmp_path):
    from folint.runner import RunOptions, run

    root = str(FIXTURES)
    runs = [run([root], Config(), RunOptions(select=["FOL003"], jobs=1, cache=True, cache_dir=str(tmp_path)))
            for _ in range(2)]
    cold, warm = runs
    assert cold.index_stats["named"] > 0 and cold.index_stats["parsed"] > 0
    assert (warm.index_stats["searched"], warm.index_stats["parsed"]) == (0, 0)
    assert _verdicts(warm.findings) == _verdicts(cold.findings)


SETTLED = {
    # helper(): a plain-page caller in a file that mentions folio settles it, so its
    # definition and other callers (in files without folio) are not looked for
    "mm/a.c": "void a_user(struct folio *folio)\n{\n\thelper(&folio->page);\n\twrapped(&folio->page);\n}\n\n"
              "void a_plain(struct page *page)\n{\n\thelper(page);\n\tlocal_one(page);\n}\n",
    "lib/helper.c": "void helper(struct page *page)\n{\n\tset_page_dirty(page);\n}\n\n"
                    "void helper_user(struct page *page)\n{\n\thelper(page);\n}\n",
    # wrapped(): its one caller holds the folio: flagged, found by the name search
    "lib/w.c": "void wrapped(struct page *page)\n{\n\tset_page_dirty(page);\n}\n",
    # a static local_one() reached from its own file only: a_plain() calls another one
    "mm/b.c": "static void local_one(struct page *page)\n{\n\tset_page_dirty(page);\n}\n\n"
              "void b_user(struct folio *folio)\n{\n\tlocal_one(&folio->page);\n}\n",
    "lib/local.c": "void local_one(struct page *page)\n{\n\tset_page_dirty(page);\n}\n",
    # own(): the plain-page call in mm/c.c reaches c.c's static own(), not lib/own.c's
    "mm/c.c": "static void own(struct page *page)\n{\n\tset_page_dirty(page);\n}\n\n"
              "void c_user(struct folio *folio, struct page *page)\n{\n\town(page);\n}\n",
    "mm/d.c": "void d_user(struct folio *folio)\n{\n\town(&folio->page);\n}\n",
    "lib/own.c": "void own(struct page *page)\n{\n\tset_page_dirty(page);\n}\n",
}


@pytest.mark.parametrize("threshold", [1.0, 0.3])
def test_names_settled_by_the_files_at_hand_are_not_searched_and_the_findings_stay(tmp_path, monkeypatch,
                                                                                 threshold):
    from folint.index.phase import run_tree_rules
    from folint.runner import RunOptions, run

    top = tmp_path / "linux"
    _kernel_tree(top, SETTLED)
    monkeypatch.chdir(top)
    config = Config(rule_options={"FOL003": {"threshold": threshold}})
    rules = build_rules(config, ["FOL003"], None)
    full = build_index(["."], config, cache=False, jobs=1)
    want = run_tree_rules(rules, full, [], simulate=True)
    result = run(["."], config, RunOptions(select=["FOL003"], jobs=1, simulate=True, show_refuted=True))
    assert not result.errors, [str(e) for e in result.errors]
    assert _verdicts(result.findings) == _verdicts(want)
    flagged = {f.function for f in result.findings}
    stats = result.index_stats
    if threshold == 1.0:
        assert flagged == {"wrapped", "local_one", "own"}
        assert stats["settled"] == 2 and stats["named"] == 2  # helper, local_one settled; w.c, own.c named
    else:  # one caller of three is enough: nothing is settled, helper() is flagged
        assert {"wrapped", "local_one", "own", "helper"} <= flagged and stats["settled"] == 0


HIDDEN = {
    # stage 1 summarises this file (it mentions a folio) with the bodies blanked that name
    # neither a page nor a folio: the callback use and the plain-page caller of
    # wrapper() are in two such bodies
    "mm/hide.c": "static struct page *zero_pg;\n\n"
                 "void wrapper(struct page *page)\n{\n\tfolio_lock(page_folio(page));\n}\n\n"
                 "void user(struct folio *folio)\n{\n\twrapper(&folio->page);\n}\n\n"
                 "void other(struct page *page)\n{\n\tfolio_unlock(page_folio(page));\n}\n\n"
                 "void other_user(struct folio *folio)\n{\n\tother(&folio->page);\n}\n\n"
                 "static void setup(struct ops *o)\n{\n\to->fn = wrapper;\n}\n\n"
                 "static int unrelated(int a)\n{\n\treturn a + 1;\n}\n",
    "mm/zero.c": "void zero(void)\n{\n\tother(zero_pg);\n}\n",
}


def test_a_summary_made_of_a_blanked_parse_is_made_whole_when_a_candidate_hides_in_a_blanked_body(
        tmp_path, monkeypatch):
    """wrapper() is used as a value in setup(), whose body was blanked for the summary:
    the file is summarised whole again and FOL003 judges it as the full index does."""
    from folint.index import two_stage

    top = tmp_path / "linux"
    _kernel_tree(top, HIDDEN)
    rules = build_rules(Config(), ["FOL003"], None)
    monkeypatch.chdir(top)
    want = _verdicts(_full_index_findings(".", rules))
    assert [w[2] for w in want] == ["other"]  # wrapper() is a callback: not flagged
    from folint.runner import RunOptions, run

    options = RunOptions(select=["FOL003"], jobs=1, simulate=True, show_refuted=True)
    result = run(["."], Config(), options)
    assert not result.errors, [str(e) for e in result.errors]
    assert _verdicts(result.findings) == want
    assert result.index_stats["made_whole"] == 1
    # without making it whole, the blanked summary would flag wrapper() too
    monkeypatch.setattr(two_stage, "hiding", lambda summaries, names, max_size: [])
    result = run(["."], Config(), options)
    assert sorted(f.function for f in result.findings) == ["other", "wrapper"]
