"""check-patch end to end on the patches in fixtures/patches/, with their expected output.

Each case's stdout, stderr and exit code are compared with
fixtures/patches/expected/<case>.txt (FOLINT_UPDATE_SNAPSHOTS=1 rewrites).
The checks run with --no-simulate so the expected output does not move when
the simulator learns more; test_simulate_is_passed_through covers the switch.
"""

import json
import os

import pytest

from conftest import FIXTURES
from folint.cli import main
from snapshot import scrub

PATCHES = FIXTURES / "patches"
EXPECTED = PATCHES / "expected"


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_expected(name: str, code: int, out: str, err: str) -> None:
    actual = scrub(f"== exit {code}\n== stdout\n{out}== stderr\n{err}")
    path = EXPECTED / f"{name}.txt"
    if os.environ.get("FOLINT_UPDATE_SNAPSHOTS") or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual)
        if not os.environ.get("FOLINT_UPDATE_SNAPSHOTS"):
            raise AssertionError(f"expected output {path.name} did not exist; written, check it and run again")
        return
    assert actual == path.read_text(), f"output differs from {path} (FOLINT_UPDATE_SNAPSHOTS=1 rewrites)"


@pytest.fixture(autouse=True)
def _in_patches(monkeypatch):
    monkeypatch.chdir(PATCHES)


CASES = {
    "early-return": ["early-return.patch"],
    "comment-only": ["comment-only.patch"],
    "series": ["series.mbox"],
    "new-rename-binary": ["new-rename-binary.patch"],
    "plain-diff": ["plain.diff"],
    "quoted-printable": ["quoted-printable.eml"],
    "two-inputs-as-one-series": ["comment-only.patch", "early-return.patch"],
    "early-return-no-tree": ["--no-tree", "early-return.patch"],
    "series-no-tree": ["--no-tree", "series.mbox"],
    "plain-diff-no-tree": ["--no-tree", "plain.diff"],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_expected_output(capsys, case):
    argv = CASES[case]
    tree = [] if "--no-tree" in argv else ["--tree", "tree"]
    code, out, err = run_cli(capsys, "check-patch", "--no-simulate", *tree, *argv)
    assert_expected(case, code, out, err)


def test_early_return_is_found_and_named_by_its_patch(capsys):
    code, out, _ = run_cli(capsys, "check-patch", "--no-simulate", "--tree", "tree", "early-return.patch")
    assert code == 1
    assert out.startswith("arch/arm64/mm/mteswap.c:22:3: warning: loop over the pages of 'folio' returns")
    assert "introduced by: 0001/0001 arm64: mte: save the tags of every page of a large folio" in out


def test_comment_only_patch_in_a_file_with_old_findings_reports_nothing(capsys):
    # the file has an old FOL001 in the very function whose comment the patch edits
    code, out, _ = run_cli(capsys, "check", "--no-simulate", "tree/mm/swap_old.c")
    assert code == 1 and "[FOL001]" in out
    code, out, err = run_cli(capsys, "check-patch", "--no-simulate", "--tree", "tree", "comment-only.patch")
    assert (code, err) == (0, "")
    assert out.startswith("0 findings in 1 file")


def test_series_says_patch_2_introduced_the_bug(capsys):
    code, out, _ = run_cli(capsys, "check-patch", "--no-simulate", "--tree", "tree", "--format", "json",
                           "series.mbox")
    assert code == 1
    (f,) = json.loads(out)["findings"]
    assert f["code"] == "FOL002" and f["function"] == "arch_swap_restore"
    assert f["patch"] == "0002/0003 arm64: mte: restore the tags of a large folio in one loop"


def test_sarif_findings_carry_the_patch(capsys):
    code, out, _ = run_cli(capsys, "check-patch", "--no-simulate", "--tree", "tree", "--format", "sarif",
                           "series.mbox")
    (res,) = json.loads(out)["runs"][0]["results"]
    assert res["properties"]["patch"].startswith("0002/0003 ")


def test_new_file_is_checked_whole_binary_is_noted_pure_rename_brings_no_old_findings(capsys):
    code, out, err = run_cli(capsys, "check-patch", "--no-simulate", "--tree", "tree", "new-rename-binary.patch")
    assert code == 1
    assert out.count("warning:") == 1 and out.startswith("mm/swap_new.c:13:")
    assert "mte.png: binary change, not checked" in err
    assert "swap_legacy" not in out  # the renamed file's old FOL001 is not the patch's


def test_stdin(capsys, monkeypatch):
    import io
    import sys

    raw = (PATCHES / "early-return.patch").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    code, out, _ = run_cli(capsys, "check-patch", "--no-simulate", "--tree", "tree", "-")
    assert code == 1 and "introduced by: 0001/0001 arm64: mte:" in out


def test_partial_without_tree_is_said_in_text_and_json(capsys):
    code, out, _ = run_cli(capsys, "check-patch", "--no-simulate", "--no-tree", "--format", "json",
                           "early-return.patch")
    data = json.loads(out)
    assert code == 1 and data["summary"]["partial"].startswith("no tree to apply the patch to")
    assert data["findings"][0]["line"] == 22  # the real line in the patched file


def test_default_tree_is_the_git_work_tree_we_stand_in(capsys, tmp_path, monkeypatch):
    import shutil
    import subprocess

    repo = tmp_path / "linux"
    shutil.copytree(PATCHES / "tree", repo)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    monkeypatch.chdir(repo / "mm")
    code, out, _ = run_cli(capsys, "check-patch", "--no-simulate", str(PATCHES / "early-return.patch"))
    assert code == 1 and out.startswith("arch/arm64/mm/mteswap.c:22:3:")


def test_patch_already_in_the_tree_is_checked_against_the_tree_without_it(capsys, tmp_path):
    import shutil

    tree = tmp_path / "tree"
    shutil.copytree(PATCHES / "tree", tree)
    first = run_cli(capsys, "check-patch", "--no-simulate", "--tree", str(tree), "early-return.patch")
    # apply it for real (in the copy), then check the same patch again
    mte = tree / "arch/arm64/mm/mteswap.c"
    mte.write_text(mte.read_text().replace(
        "\t\terr = mte_save_tags(folio_page(folio, i));\n\t\tif (err)\n\t\t\tgoto undo;\n",
        "\t\treturn mte_save_tags(folio_page(folio, i));\n"))
    code, out, err = run_cli(capsys, "check-patch", "--no-simulate", "--tree", str(tree), "early-return.patch")
    assert code == 1 and out.split("\n")[0] == first[1].split("\n")[0]
    assert err == ""  # already in the tree: checked silently (b4 prep branches, commit hooks)


def test_simulate_is_passed_through(capsys, monkeypatch):
    from folint.patch import series

    seen = []
    real = series.check_source

    def spy(*a, **kw):
        seen.append(kw.get("simulate", False))
        return real(*a, **kw)

    monkeypatch.setattr(series, "check_source", spy)
    run_cli(capsys, "check-patch", "--tree", "tree", "early-return.patch")
    assert True in seen
    seen.clear()
    run_cli(capsys, "check-patch", "--no-simulate", "--tree", "tree", "early-return.patch")
    assert seen and True not in seen


def test_exclude_and_select(capsys, tmp_path):
    cfg = tmp_path / "folint.toml"
    cfg.write_text('exclude = ["arch/**"]\n')
    code, out, _ = run_cli(capsys, "check-patch", "--no-simulate", "--tree", "tree", "--config", str(cfg),
                           "early-return.patch")
    assert code == 0 and out.startswith("0 findings in 0 files")
    code, _, _ = run_cli(capsys, "check-patch", "--no-simulate", "--tree", "tree", "--select", "FOL002",
                         "early-return.patch")
    assert code == 0


@pytest.mark.parametrize("argv, message", [
    ([], "nothing to check: give a PATCH file (- for stdin), --git RANGE or --staged"),
    (["--staged", "x.patch"], "give PATCH files, or --git RANGE, or --staged, not several"),
    (["--tree", "no-such-dir", "x.patch"], "--tree no-such-dir: no such folder"),
    (["--tree", "tree", "--no-tree", "x.patch"], "--tree and --no-tree contradict each other"),
])
def test_usage_errors_exit_2_with_one_line(capsys, argv, message):
    code, out, err = run_cli(capsys, "check-patch", *argv)
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [f"folint: error: {message}" + err.strip().split(message, 1)[1]]


def test_missing_patch_file_is_an_error_line_and_exit_2(capsys):
    code, out, err = run_cli(capsys, "check-patch", "--no-simulate", "--tree", "tree", "no-such.patch")
    assert code == 2
    assert err == "no-such.patch: error: cannot read: No such file or directory; check the path\n"


HELPER = """
static void swap_old_mark_page(struct page *page)
{
\tstruct folio *folio = page_folio(page);

\tfolio_set_swapbacked(folio);
}

void swap_old_done(struct folio *folio)
{
\tswap_old_mark_page(&folio->page);
}
"""


def test_tree_rules_run_by_default_and_are_named_by_their_patch(capsys, tmp_path):
    """FOL003 runs in check-patch without a full index: the callers come from a search by name."""
    import shutil

    tree = tmp_path / "tree"
    shutil.copytree(PATCHES / "tree", tree)
    old = (tree / "mm/swap_old.c").read_text()
    old_lines = old.splitlines(keepends=True)
    new_lines = (old + HELPER).splitlines(keepends=True)
    import difflib

    patch = tmp_path / "helper.patch"
    patch.write_text("".join(difflib.unified_diff(old_lines, new_lines, "a/mm/swap_old.c", "b/mm/swap_old.c")))
    argv = ["check-patch", "--no-simulate", "--tree", str(tree), "--select", "FOL003", str(patch)]
    code, out, err = run_cli(capsys, *argv[:-1], "--cache-dir", str(tmp_path / "cache"), str(patch))
    assert code == 1, err
    assert [ln.split(": warning:")[0] for ln in out.splitlines() if ": warning:" in ln] == [
        "mm/swap_old.c:20:13", "mm/swap_old.c:29:2"]
    assert out.count("introduced by: helper.patch") == 2 and "[FOL003]" in out
    # a comment-only patch keeps the tree's FOL003 findings to itself
    code, out, _ = run_cli(capsys, *argv[:-1], "--cache-dir", str(tmp_path / "cache"), "comment-only.patch")
    assert code == 0
