"""FOL003 page-api-with-folio-callers: messages, options, the signature-change fix,
and the entry point check-patch uses."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES
from snapshot import SNAPSHOTS, assert_snapshot
from folint.config import Config, config_for
from folint.fixes import collect_fixes, make_plan, render_diff
from folint.index.build import build_index
from folint.index.patch import tree_findings_for_files
from folint.runner import RunOptions, run
from folint.selection import build_rules

TREE = FIXTURES / "FOL003"


def fol003(root, config=None, **rule_options):
    config = config or Config()
    if rule_options:
        config.rule_options = {"FOL003": rule_options}
    return run([str(root)], config, RunOptions(select=["FOL003"], jobs=1))


def by_function(result):
    out = {}
    for f in result.findings:
        out.setdefault(f.function, []).append(f)
    return out


def test_messages_name_the_callers_and_the_folio_signature():
    found = by_function(fol003(TREE))
    (hdr,) = found["set_page_swapcache_flags"]
    assert "2 of its 2 caller(s) pass a page of a folio" in hdr.message
    assert f"{TREE}/mm/page_io.c:19" in hdr.message and f"{TREE}/mm/swap_state.c:12" in hdr.message
    assert "`static inline void set_page_swapcache_flags(struct folio *folio)`" in hdr.message
    generic, arm64 = sorted(found["arch_prepare_to_swap"], key=lambda f: "arm64" in f.path)
    assert "does not use `page`" in generic.message
    assert "`folio = page_folio(page)`" in arm64.message
    assert f"also defined at {TREE}/include/asm-generic/swap_hooks.h:11" in arm64.message
    assert f"every caller holds the folio: {TREE}/mm/page_io.c:13" in arm64.message
    (exported,) = found["account_swapout_page"]
    assert "exported: callers outside the tree are not seen" in exported.message
    assert arm64.statement == "int arch_prepare_to_swap(struct page *page)"  # check-patch matches on this


def test_threshold_admits_a_function_with_one_plain_page_caller():
    assert "zap_one_page" not in by_function(fol003(TREE))
    found = by_function(fol003(TREE, threshold=0.5))
    assert "1 of its 2 caller(s)" in found["zap_one_page"][0].message
    assert "others:" in found["zap_one_page"][0].message


def test_subpages_option_counts_per_page_callers():
    assert "mte_save_page_tags" not in by_function(fol003(TREE))
    found = by_function(fol003(TREE, subpages=True))
    assert "pass a page other than the first" in found["mte_save_page_tags"][0].message


def test_roundtrip_always_flags_compat_wrappers():
    assert "lock_one_page" not in by_function(fol003(TREE))
    assert "lock_one_page" in by_function(fol003(TREE, **{"roundtrip-always": True}))


def test_callbacks_are_never_flagged():
    assert "demo_writepage" not in by_function(fol003(TREE, threshold=0.0, **{"roundtrip-always": True}))


def test_inline_suppression(tmp_path):
    shutil.copytree(TREE, tmp_path / "t")
    p = tmp_path / "t" / "mm" / "accounting.c"
    p.write_text(p.read_text().replace("void account_swapout_page(struct page *page) /* expect: FOL003 confirmed */",
                                       "/* folint: ignore[FOL003] kept for out-of-tree users */\n"
                                       "void account_swapout_page(struct page *page)"))
    assert "account_swapout_page" not in by_function(fol003(tmp_path / "t"))


# -- the fix ---------------------------------------------------------------------------------

def diff_of(root: Path, cwd: Path) -> str:
    r = subprocess.run([sys.executable, "-m", "folint", "check", "--no-cache", "--no-simulate", "--select", "FOL003",
                        "--diff", str(root)], cwd=cwd, capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    return r.stdout


def test_tree_diff_snapshot():
    """The fix across the tree's files (a header, the arch override, the callers): one
    snapshot like every fixture's --diff (single-file cases have <case>.fixed.c)."""
    assert_snapshot("fixtures/FOL003/tree.diff", diff_of(Path("."), TREE))


def test_applied_fix_leaves_only_the_unfixable_findings(tmp_path):
    work = tmp_path / "t"
    shutil.copytree(TREE, work)
    subprocess.run(["git", "init", "-q", "."], cwd=work, check=True)
    subprocess.run(["git", "apply", str(SNAPSHOTS / "fixtures/FOL003/tree.diff")], cwd=work, check=True)
    left = sorted(by_function(fol003(work, config_for([str(work)]))))
    assert left == ["account_swapout_page", "note_page", "set_page_swapcache_flags", "swap_tags_drop"]
    text = (work / "arch/arm64/mm/mteswap.c").read_text()
    assert "int arch_prepare_to_swap(struct folio *folio)" in text and "page_folio(page)" not in text
    assert "ret = arch_prepare_to_swap(folio);" in (work / "mm/page_io.c").read_text()


def fixes_for(root: Path):
    config = config_for([str(root)])
    result = fol003(root, config)
    collected = collect_fixes(result.findings, build_rules(config, ["FOL003"]))
    return {fx.title.split("(")[0] for fx in collected.fixes}, collected


def test_fix_of_a_global_function_needs_the_whole_tree(tmp_path):
    assert fixes_for(TREE)[0] == {"arch_prepare_to_swap", "note_swapped"}
    work = tmp_path / "t"
    shutil.copytree(TREE, work)
    for marker in (".folint.toml", "MAINTAINERS", "Kbuild", "Makefile"):
        (work / marker).unlink()  # no longer the top of a tree: callers may be elsewhere
    assert fixes_for(work)[0] == {"note_swapped"}  # a static function's callers are all in its file


def test_fix_is_dropped_when_the_files_hold_a_caller_the_index_missed(tmp_path):
    work = tmp_path / "t"
    shutil.copytree(TREE, work)
    config = config_for([str(work)])
    result = fol003(work, config)
    # after the check, callers the index does not know appear: one in a file that
    # was checked, one in a new file (neither passes a page the index would record)
    with open(work / "mm" / "swap_state.c", "a") as fh:
        fh.write("int late(void *p)\n{\n\treturn arch_prepare_to_swap(p);\n}\n")
    (work / "mm" / "later.c").write_text("int later(void *p)\n{\n\treturn note_swapped(p);\n}\n")
    config.rule_options = {}
    collected = collect_fixes(result.findings, build_rules(config, ["FOL003"]))
    assert {fx.title.split("(")[0] for fx in collected.fixes} == {"note_swapped"}
    plan = make_plan(collected.fixes)
    assert "arch_prepare_to_swap" not in render_diff(plan)


# -- check-patch ------------------------------------------------------------------------------

NEW_HELPER = b"""
static void mark_swapped_page(struct page *page)
{
\tstruct folio *folio = page_folio(page);

\tfolio_set_swapbacked(folio);
}

void swap_done(struct folio *folio)
{
\tmark_swapped_page(&folio->page);
}
"""


def test_patch_entry_point_reports_an_added_function_and_an_added_call(tmp_path):
    shutil.copytree(TREE, tmp_path / "t")
    root = str(tmp_path / "t")
    index = build_index([root], cache=False)
    rules = build_rules(Config(), ["FOL003"])
    path = f"{root}/mm/swap_state.c"
    pre = Path(path).read_bytes()
    before, errors = tree_findings_for_files(index, {path: pre}, rules)
    after, errors2 = tree_findings_for_files(index, {path: pre + NEW_HELPER}, rules)
    assert not errors and not errors2
    new = {f.key for f in after} - {f.key for f in before}
    assert ("FOL003", "mark_swapped_page", "static void mark_swapped_page(struct page *page)") in new
    assert ("FOL003", "swap_done", "mark_swapped_page(&folio->page)") in new
    # a call to an already flagged function, added by the patch, is reported at the call
    call = b"\nvoid swap_more(struct folio *folio)\n{\n\tarch_prepare_to_swap(&folio->page);\n}\n"
    after, _ = tree_findings_for_files(index, {path: pre + call}, rules)
    (site,) = [f for f in after if f.function == "swap_more"]
    assert "to arch_prepare_to_swap()" in site.message and site.line == 23


def test_patch_entry_point_sees_a_deleted_caller(tmp_path):
    shutil.copytree(TREE, tmp_path / "t")
    root = str(tmp_path / "t")
    index = build_index([root], cache=False)
    rules = build_rules(Config(), ["FOL003"])
    # delete the only plain-page caller of zap_one_page: now every caller holds a folio
    path = f"{root}/mm/mixed_callers.c"
    post = Path(path).read_bytes().replace(b"zap_one_page(pte_page(pte));", b"")
    after, _ = tree_findings_for_files(index, {path: post}, rules)
    assert sorted((f.function, f.line) for f in after) == [("zap_folio_head", 14), ("zap_one_page", 6)]


# -- the simulator's verdicts -------------------------------------------------------------------

def test_patch_findings_are_confirmed_by_running_the_caller_into_the_callee(tmp_path):
    shutil.copytree(TREE, tmp_path / "t")
    root = str(tmp_path / "t")
    index = build_index([root], cache=False)
    rules = build_rules(Config(), ["FOL003"])
    path = f"{root}/mm/swap_state.c"
    after, errors = tree_findings_for_files(index, {path: Path(path).read_bytes() + NEW_HELPER}, rules,
                                            simulate=True)
    assert not errors
    site = next(f for f in after if f.function == "swap_done")
    assert site.verdict == "confirmed", site.evidence
    assert "swap_done() passes page 0 of folio 'folio' to mark_swapped_page()" in site.evidence
    assert "folio -> page -> folio" in site.evidence
    events = [step["event"] for step in site.trace]
    assert "page_folio(page 0 of folio) = folio" in events


def test_a_function_without_callers_is_run_alone(tmp_path):
    (tmp_path / "a.c").write_text("static bool page_is_cold(struct page *page)\n{\n"
                                  "\tstruct folio *folio = page_folio(page);\n\n"
                                  "\treturn !folio_test_active(folio);\n}\n")
    result = run([str(tmp_path)], Config(), RunOptions(select=["FOL003"], jobs=1, simulate=True))
    (f,) = result.findings
    assert "no caller passing a page found" in f.message
    assert f.verdict == "confirmed" and "turns its page straight back into the folio" in f.evidence


def test_roundtrip_always_without_folio_callers_runs_the_function_alone(tmp_path):
    # flagged only because of roundtrip-always: the one caller passes a plain page
    (tmp_path / "a.c").write_text("static void lock_it(struct page *page)\n{\n"
                                  "\tfolio_lock(page_folio(page));\n}\n"
                                  "void by_pfn(unsigned long pfn)\n{\n\tlock_it(pfn_to_page(pfn));\n}\n")
    config = Config(rule_options={"FOL003": {"roundtrip-always": True}})
    result = run([str(tmp_path)], config, RunOptions(select=["FOL003"], jobs=1, simulate=True))
    (f,) = result.findings
    assert f.verdict == "confirmed"  # no caller holding a folio: the function alone shows the round trip
    assert "turns its page straight back" in f.evidence


def test_introduced_tree_findings_for_check_patch(tmp_path):
    from folint.index.patch import introduced_tree_findings

    shutil.copytree(TREE, tmp_path / "t")
    root = str(tmp_path / "t")
    pre = Path(root, "mm/swap_state.c").read_bytes()
    rules = build_rules(Config(), ["FOL003"])
    new, errors = introduced_tree_findings(root, {"mm/swap_state.c": (pre, pre + NEW_HELPER)}, rules,
                                           cache_dir=str(tmp_path / "cache"))
    assert not errors
    assert sorted(f.function for f in new) == ["mark_swapped_page", "swap_done"]
    same, _ = introduced_tree_findings(root, {"mm/swap_state.c": (pre, pre + b"/* a comment */\n")}, rules,
                                       cache_dir=str(tmp_path / "cache"))
    assert same == []  # old findings in the tree are not the patch's


@pytest.mark.parametrize("caller", [
    # the folio comes back through an out-parameter the simulation does not model
    "int f(struct inode *inode)\n{\n\tstruct folio *folio;\n\tint err = get_it(inode, &folio);\n\n"
    "\tif (err)\n\t\treturn err;\n\tnote_it(&folio->page);\n\treturn 0;\n}\n",
    # the call sits behind an allocation failure
    "void f(struct folio *folio)\n{\n\tstruct folio *n = folio_alloc(GFP_KERNEL, 0);\n\n"
    "\tif (IS_ERR(n))\n\t\tnote_it(&folio->page);\n}\n",
])
def test_what_the_simulation_cannot_see_is_never_refuted(tmp_path, caller):
    (tmp_path / "a.c").write_text("static void note_it(struct page *page)\n{\n\tSetPageReferenced(page);\n}\n" + caller)
    result = run([str(tmp_path)], Config(), RunOptions(select=["FOL003"], jobs=1, simulate=True, show_refuted=True))
    (f,) = result.findings
    assert f.verdict in ("confirmed", "inconclusive"), f.evidence
