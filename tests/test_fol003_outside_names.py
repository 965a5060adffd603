"""A folder run inside a kernel tree searches the rest of the tree only for the names
whose outside callers can change what it reports (folint.index.targeted.
names_with_outside_callers): functions it defines that are not static in a .c file.
A static helper and a function defined elsewhere that the folder hands a folio's page
are not searched for, and the findings are those of the run over the whole tree."""

from folint.config import Config
from folint.index.targeted import names_with_outside_callers
from test_two_stage import _kernel_tree

TREE = {
    # reached from fs/mark.c: its caller there must be seen
    "mm/wrap.c": "void mark_wrapper(struct page *page)\n{\n\tstruct folio *folio = page_folio(page);\n\n"
                 "\tfolio_mark_accessed(folio);\n}\n\n"
                 "static void local_helper(struct page *page)\n{\n\tstruct folio *folio = page_folio(page);\n\n"
                 "\tfolio_lock(folio);\n}\n\n"
                 "void mm_user(struct folio *folio)\n{\n\tlocal_helper(&folio->page);\n"
                 "\tfs_helper(&folio->page);\n}\n",
    "mm/internal.h": "static inline void header_helper(struct page *page)\n{\n"
                     "\tfolio_get(page_folio(page));\n}\n",
    "mm/user.c": "#include \"internal.h\"\nvoid mm_other(struct folio *folio)\n{\n\theader_helper(&folio->page);\n}\n",
    "fs/mark.c": "void fs_mark(struct folio *folio)\n{\n\tmark_wrapper(&folio->page);\n}\n",
    # defined outside mm/: whatever its callers, nothing about it is reported in mm/
    "fs/helper.c": "void fs_helper(struct page *page)\n{\n\tset_page_dirty(page);\n}\n"
                   "void fs_plain(struct page *page)\n{\n\tfs_helper(page);\n}\n",
    # a static function of the same name elsewhere is not local_helper()
    "fs/local.c": "static void local_helper(struct page *page)\n{\n\tput_page(page);\n}\n"
                  "void fs_local(struct page *page)\n{\n\tlocal_helper(page);\n}\n",
}


def _run(targets, cwd, monkeypatch):
    from folint.runner import RunOptions, run

    monkeypatch.chdir(cwd)
    result = run(targets, Config(), RunOptions(select=["FOL003"], jobs=1, simulate=True, show_refuted=True))
    assert not result.errors, [str(e) for e in result.errors]
    return result


def test_only_names_defined_in_the_run_and_reachable_from_outside_are_searched():
    summaries = {
        "mm/a.c": {"defs": [{"name": "exported_fn", "static": False}, {"name": "static_fn", "static": True}]},
        "mm/a.h": {"defs": [{"name": "inline_fn", "static": True}]},
        "mm/b.c": {}, "mm/c.c": None,
    }
    names = {"exported_fn", "static_fn", "inline_fn", "defined_elsewhere"}
    assert names_with_outside_callers(names, summaries) == {"exported_fn", "inline_fn"}


def test_a_folder_run_searches_the_tree_for_fewer_names_and_reports_what_the_whole_tree_run_does(
        tmp_path, monkeypatch):
    top = tmp_path / "linux"
    _kernel_tree(top, TREE)
    in_mm = _run(["mm"], top, monkeypatch)
    stats = in_mm.index_stats
    # four candidates (mark_wrapper by its body, the others by their folio callers in mm/); only
    # mark_wrapper and header_helper are defined in mm/ and reachable from the rest of the tree
    assert stats["candidates"] == 4 and stats["outside_names"] == 2, stats
    whole = _run(["."], top, monkeypatch)
    def shown(f):  # the whole-tree run spells paths ./mm/...
        return f.path.lstrip("./"), f.line, f.function, f.message.replace("./", ""), str(f.verdict)

    got = sorted(shown(f) for f in in_mm.findings)
    want = sorted(shown(f) for f in whole.findings if shown(f)[0].startswith("mm/"))
    assert got == want
    assert {fn for _p, _l, fn, _m, _v in got} == {"mark_wrapper", "local_helper", "header_helper"}
    assert any("fs/mark.c:3" in m for _p, _l, fn, m, _v in got if fn == "mark_wrapper")
    # fs/local.c's static local_helper() with its plain-page caller does not make mm/'s one unflagged
    assert all(v == "confirmed" for *_rest, v in got), got


NOTES_TREE = {
    "mm/a.c": "void mm_fn(struct page *page)\n{\n\tset_page_dirty(page);\n}\n\n"
              "void mm_caller(struct folio *folio)\n{\n\tmm_fn(&folio->page);\n\tfs_fn(&folio->page);\n}\n",
    # found by the search for mm_fn(); fs_fn()'s other callers were not looked for
    "fs/b.c": "void fs_fn(struct page *page)\n{\n\tmm_fn(page);\n}\n",
}


def test_check_candidates_in_a_folder_lists_only_its_own_functions(tmp_path, monkeypatch, capsys):
    from folint.cli import main

    top = tmp_path / "linux"
    _kernel_tree(top, {**TREE, **NOTES_TREE})
    monkeypatch.chdir(top)
    main(["check", "--no-cache", "-j", "1", "--no-simulate", "--candidates", "mm"])
    out = capsys.readouterr().out
    assert "mm/a.c:1:6: note: mm_fn(): 1 of 2 caller(s)" in out, out
    assert "fs/b.c:1" not in out, out  # fs_fn() would show as "1 of 1 caller(s)": its others were not looked for
    # mm_fn()'s plain caller fs_fn() could pass a folio: a caller of it holds one
    assert "fs_fn() is itself a candidate (a caller of it holds a folio: mm/a.c:9)" in out, out
