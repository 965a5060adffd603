"""The tree index: per-file summaries, the content-hash cache, and index builds."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path


from folint.config import Config
from folint.index.build import BuildStats, build_index
from folint.index.records import FolioPage, FolioValue, PlainPage, arg_from_json, arg_to_json, summary_calls
from folint.index.cache import DB_NAME, SummaryCache, default_cache_dir
from folint.index.summary import summarise
from folint.runner import RunOptions, run
from folint.source import SourceFile

CALLEE = b"""\
int arch_prepare_to_swap(struct page *page)
{
\tstruct folio *folio = page_folio(page);

\treturn folio_test_large(folio);
}
"""

CALLER = b"""\
int swap_out(struct folio *folio, unsigned long pfn)
{
\tstruct page *head = &folio->page;
\tstruct page *p = pfn_to_page(pfn);

\tmark(head);
\tmark(p);
\tmark(folio_page(folio, 3));
\treturn arch_prepare_to_swap(&folio->page);
}
"""


def summary_of(raw: bytes) -> dict:
    return summarise(SourceFile("x.c", raw))


# -- summaries ----------------------------------------------------------------------

def test_summary_records_a_page_taking_definition_and_its_round_trip():
    s = summary_of(CALLEE)
    (d,) = s["defs"]
    assert (d["name"], d["line"], d["page_params"]) == ("arch_prepare_to_swap", 1, [0])
    uses = d["uses"]["0"]
    assert (uses["roundtrip"], uses["other"], uses["folio_var"]) == (1, 0, "folio")
    start, end = uses["decl"]
    assert CALLEE[start:end] == b"\tstruct folio *folio = page_folio(page);\n"


def test_summary_classifies_each_page_argument():
    calls = {(c.callee, c.line): c.args for c in summary_calls(summary_of(CALLER))}
    head, plain, sub, direct = (calls[("mark", 6)][0], calls[("mark", 7)][0], calls[("mark", 8)][0],
                                calls[("arch_prepare_to_swap", 9)][0])
    assert isinstance(head, FolioPage) and (head.folio, head.index, head.form) == ("folio", "0", "var")
    assert isinstance(plain, PlainPage)  # pfn_to_page(): not from a folio
    assert isinstance(sub, FolioPage) and (sub.folio, sub.index, sub.form) == ("folio", "3", "folio_page")
    assert (direct.folio, direct.index, direct.form, direct.text) == ("folio", "0", "head", "&folio->page")
    assert not sub.first_page and direct.first_page
    assert all(c.caller == "swap_out" for c in summary_calls(summary_of(CALLER)))


def test_argument_records_survive_the_cache_layout():
    for arg in (FolioPage("f", "0", "head", 3, 15, "&f->page"), PlainPage("p"), FolioValue("f"), None):
        assert arg_from_json(json.loads(json.dumps(arg_to_json(arg)))) == arg


def test_a_variable_written_once_from_a_plain_page_is_not_from_a_folio():
    raw = b"void f(struct folio *folio, struct page *other)\n{\n\tstruct page *p = &folio->page;\n" \
          b"\tif (other)\n\t\tp = other;\n\tmark(p);\n}\n"
    (call,) = [c for c in summary_calls(summary_of(raw)) if c.callee == "mark"]
    assert isinstance(call.args[0], PlainPage)


def test_summary_records_prototypes_exports_callbacks_and_macro_callers():
    raw = b"""extern int hook(struct page *page);
#define hook_folio(f) hook(&(f)->page)
void cb(struct page *page) { }
static const struct ops o = { .fn = cb, };
EXPORT_SYMBOL_GPL(cb);
"""
    s = summary_of(raw)
    assert [p["name"] for p in s["protos"]] == ["hook"]
    assert s["exports"] == ["cb"]
    assert "cb" in s["refs"] and "EXPORT_SYMBOL_GPL" not in s["refs"]
    assert ["hook", 2] in s["macro_calls"]


def test_summary_is_plain_json_without_the_path():
    import json

    s = summary_of(CALLER)
    assert json.loads(json.dumps(s)) == s
    assert "x.c" not in json.dumps(s)


# -- the cache ------------------------------------------------------------------------

def make_tree(root: Path, n: int = 3) -> list[Path]:
    files = []
    for i in range(n):
        p = root / f"f{i}.c"
        p.write_bytes(CALLER.replace(b"swap_out", f"swap_out{i}".encode()))
        files.append(p)
    (root / "callee.c").write_bytes(CALLEE)
    (root / "nothing.c").write_bytes(b"int plain(int x) { return x + 1; }\n")  # no needle: never summarised
    return files


def fol003_run(root: Path, **options) -> object:
    return run([str(root)], Config(), RunOptions(select=["FOL003"], jobs=1, **options))


def test_warm_run_hits_the_cache_and_a_changed_file_misses_alone(tmp_path):
    tree, cache = tmp_path / "tree", tmp_path / "cache"
    tree.mkdir()
    files = make_tree(tree)
    cold = fol003_run(tree, cache=True, cache_dir=str(cache))
    assert (cold.index_stats["hits"], cold.index_stats["misses"]) == (0, 4)
    assert (cache / DB_NAME).is_file()
    warm = fol003_run(tree, cache=True, cache_dir=str(cache))
    assert (warm.index_stats["hits"], warm.index_stats["misses"]) == (4, 0)
    assert warm.parsed == 0  # FOL003 alone: nothing to parse when every summary is cached
    assert [f.line for f in warm.findings] == [f.line for f in cold.findings] == [1]
    files[1].write_bytes(files[1].read_bytes() + b"/* changed */\n")
    again = fol003_run(tree, cache=True, cache_dir=str(cache))
    assert (again.index_stats["hits"], again.index_stats["misses"]) == (3, 1)


def test_identical_content_shares_one_cached_summary(tmp_path):
    tree, cache = tmp_path / "tree", tmp_path / "cache"
    tree.mkdir()
    make_tree(tree)
    (tree / "copy.c").write_bytes(CALLEE)
    fol003_run(tree, cache=True, cache_dir=str(cache))
    db = SummaryCache(cache)
    assert db.count() == 4  # five summarised files, four distinct contents


def test_no_cache_reads_and_writes_nothing(tmp_path):
    tree, cache = tmp_path / "tree", tmp_path / "cache"
    tree.mkdir()
    make_tree(tree)
    result = fol003_run(tree, cache=False, cache_dir=str(cache))
    assert not cache.exists()
    assert result.index_stats["misses"] == 4 and len(result.findings) == 1


def test_cli_no_cache_flag_and_xdg_cache_home(tmp_path):
    tree, xdg = tmp_path / "tree", tmp_path / "xdg"
    tree.mkdir()
    make_tree(tree)
    env = {**os.environ, "XDG_CACHE_HOME": str(xdg)}
    cmd = [sys.executable, "-m", "folint", "check", "--select", "FOL003", "--no-simulate", str(tree)]
    r = subprocess.run(cmd + ["--no-cache"], env=env, capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    assert not xdg.exists()
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    assert (xdg / "folint" / DB_NAME).is_file()
    assert not any(p.name.endswith(".sqlite3") for p in tree.rglob("*"))


def test_default_cache_dir_follows_xdg_cache_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "folint"


def test_cache_never_lands_inside_the_checked_tree(monkeypatch, tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    make_tree(tree)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tree / ".cache"))  # the user cache is inside the tree
    result = fol003_run(tree, cache=True)
    assert not (tree / ".cache").exists()
    assert any("inside the checked tree" in e.message for e in result.errors)
    assert len(result.findings) == 1  # the run goes on without a cache


def test_an_unusable_cache_is_one_error_line_and_the_run_goes_on(tmp_path):
    tree, cache = tmp_path / "tree", tmp_path / "cache"
    tree.mkdir()
    make_tree(tree)
    cache.mkdir()
    (cache / DB_NAME).write_bytes(b"this is not a database" * 100)
    result = fol003_run(tree, cache=True, cache_dir=str(cache))
    assert len(result.findings) == 1
    (err,) = [e for e in result.errors if "index cache" in e.message]
    assert "moved it aside" in err.message  # a corrupt one is rebuilt (tests/test_faults_cache.py)
    not_a_folder = tmp_path / "not-a-folder"
    not_a_folder.write_text("x")
    result = fol003_run(tree, cache=True, cache_dir=str(not_a_folder))
    assert len(result.findings) == 1
    (err,) = [e for e in result.errors if "index cache" in e.message]
    assert "--no-cache" in err.message


def test_a_new_folint_version_does_not_read_old_summaries(tmp_path, monkeypatch):
    tree, cache = tmp_path / "tree", tmp_path / "cache"
    tree.mkdir()
    make_tree(tree)
    fol003_run(tree, cache=True, cache_dir=str(cache))
    from folint.index import cache as cache_mod

    monkeypatch.setattr(cache_mod, "fingerprint", lambda: "another-version")
    result = fol003_run(tree, cache=True, cache_dir=str(cache))
    assert (result.index_stats["hits"], result.index_stats["misses"]) == (0, 4)
    rows = sqlite3.connect(cache / DB_NAME).execute("SELECT DISTINCT fp FROM summaries").fetchall()
    assert rows == [("another-version",)]  # the old entries are dropped


def test_parallel_workers_build_the_same_index(tmp_path):
    tree, cache = tmp_path / "tree", tmp_path / "cache"
    tree.mkdir()
    for i in range(80):  # enough for the runner to use worker processes
        (tree / f"c{i}.c").write_bytes(CALLER.replace(b"swap_out", f"swap_out{i}".encode()))
    (tree / "callee.c").write_bytes(CALLEE)
    one = run([str(tree)], Config(), RunOptions(select=["FOL003"], jobs=1))
    two = run([str(tree)], Config(), RunOptions(select=["FOL003"], jobs=2, cache=True, cache_dir=str(cache)))
    assert one.summaries == two.summaries and len(two.summaries) == 81
    assert [f.message for f in one.findings] == [f.message for f in two.findings]


# -- index-only builds (check-patch, the hook) ---------------------------------------------

def test_build_index_reads_only_changed_files_when_warm(tmp_path):
    tree, cache = tmp_path / "tree", tmp_path / "cache"
    tree.mkdir()
    files = make_tree(tree)
    cold = BuildStats()
    index = build_index([str(tree)], cache_dir=str(cache), stats=cold)
    assert (cold.files, cold.read, cold.parsed) == (5, 5, 4)
    warm = BuildStats()
    again = build_index([str(tree)], cache_dir=str(cache), stats=warm)
    assert (warm.read, warm.parsed) == (0, 0)
    assert again.summaries == index.summaries
    files[0].write_bytes(files[0].read_bytes() + b"\n")
    changed = BuildStats()
    build_index([str(tree)], cache_dir=str(cache), stats=changed)
    assert (changed.read, changed.parsed) == (1, 1)


def test_the_index_answers_callers_by_scope(tmp_path):
    (tmp_path / "a.c").write_bytes(b"static void note(struct page *page) { }\n"
                                   b"void fa(struct folio *folio) { note(&folio->page); }\n")
    (tmp_path / "b.c").write_bytes(b"void fb(unsigned long pfn) { note(pfn_to_page(pfn)); }\n")
    index = build_index([str(tmp_path)], cache=False)
    (d,) = index.defs["note"]
    assert d.file_local
    assert [c.path for c in index.callers(d)] == [str(tmp_path / "a.c")]  # b.c calls another note()


def test_build_index_by_name_loads_only_the_summaries_that_mention_it(tmp_path):
    tree, cache = tmp_path / "tree", tmp_path / "cache"
    tree.mkdir()
    make_tree(tree)
    (tree / "other.c").write_bytes(b"void other(struct folio *folio) { unrelated(&folio->page); }\n")
    full = build_index([str(tree)], cache_dir=str(cache))
    assert len(full) == 5
    scoped = build_index([str(tree)], cache_dir=str(cache), names={"arch_prepare_to_swap"})
    assert sorted(Path(p).name for p in scoped.summaries) == ["callee.c", "f0.c", "f1.c", "f2.c"]
    assert len(scoped.files) == 6  # every file is still known (a fix re-reads them)
    # a changed file is summarised again and still filtered by name
    (tree / "other.c").write_bytes(b"void other(struct folio *folio) { arch_prepare_to_swap(&folio->page); }\n")
    again = build_index([str(tree)], cache_dir=str(cache), names={"arch_prepare_to_swap"})
    assert "other.c" in {Path(p).name for p in again.summaries}


def test_build_index_by_name_after_a_folint_upgrade_summarises_again(tmp_path, monkeypatch):
    tree, cache = tmp_path / "tree", tmp_path / "cache"
    tree.mkdir()
    make_tree(tree)
    build_index([str(tree)], cache_dir=str(cache))
    from folint.index import cache as cache_mod

    monkeypatch.setattr(cache_mod, "fingerprint", lambda: "another-version")
    stats = BuildStats()
    index = build_index([str(tree)], cache_dir=str(cache), stats=stats, names={"arch_prepare_to_swap"})
    assert stats.parsed == 4 and len(index) == 4


def test_overlay_replaces_one_file_and_leaves_the_index_alone(tmp_path):
    make_tree(tmp_path)
    index = build_index([str(tmp_path)], cache=False)
    callee = str(tmp_path / "callee.c")
    caller = str(tmp_path / "f0.c")
    (d,) = index.defs["arch_prepare_to_swap"]
    assert len(index.callers(d)) == 3
    view = index.overlay({caller: summary_of(b"int nothing_here(void) { return 0; }\n"), callee: None})
    assert "arch_prepare_to_swap" not in view.defs or not view.defs["arch_prepare_to_swap"]
    assert sorted(c.path for c in view.calls["arch_prepare_to_swap"]) == [str(tmp_path / "f1.c"), str(tmp_path / "f2.c")]
    assert caller in view.summaries and callee not in view.summaries
    assert len(index.callers(d)) == 3 and callee in index.summaries  # the base index is unchanged


def test_the_summary_fingerprint_reads_every_module_it_names():
    """A summary cached by other code is not reused: every module the fingerprint names
    exists (a folder: holds modules), and every summary module is named."""
    from pathlib import Path

    from folint.index import cache

    root = Path(cache.__file__).resolve().parent.parent
    for rel in cache._FINGERPRINT_MODULES:
        if rel.endswith("/"):
            assert list((root / rel).glob("*.py")), rel
        else:
            assert (root / rel).is_file(), rel
    for module in (root / "index").glob("summary*.py"):
        assert f"index/{module.name}" in cache._FINGERPRINT_MODULES, module.name
