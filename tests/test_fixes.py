"""Safe fixes: the Edit/Fix format, conflicts, the diff `git apply` takes, --diff and --fix."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import FIXTURES
from folint import fixes
from folint.cli import main
from folint.config import Config
from folint.fixes import Edit, Fix
from folint.runner import RunOptions, run
from folint.selection import build_rules

# Every fix fixture: fixtures/<CODE>/<case>.c and its expected result <case>.fixed.c
# (tests/test_fixed_fixtures.py checks each pair; these tests use them together).
FIX_PAIRS = sorted(str(p.relative_to(FIXTURES))[: -len(".fixed.c")] for p in FIXTURES.glob("FOL*/*.fixed.c"))


def case(name):
    return FIXTURES / f"{name}.c"


def fixed(name):
    return FIXTURES / f"{name}.fixed.c"


def flat(name):
    return name.replace("/", "_")


def plan_for(paths, allowed=None):
    result = run([str(p) for p in paths], Config(), RunOptions(jobs=1))
    collected = fixes.collect_fixes(result.findings, build_rules(Config()))
    assert not collected.errors, collected.errors
    return result, collected, fixes.make_plan(collected.fixes, allowed or (lambda p: True))


def edit(path, start, end, new, raw):
    return Edit(str(path), start, end, raw[start:end].decode(), new)


# -- the format ------------------------------------------------------------------

def test_overlap_rules():
    a = Edit("f.c", 10, 20, "x" * 10, "y")
    assert a.overlaps(Edit("f.c", 15, 25, "x" * 10, "z"))
    assert not a.overlaps(Edit("f.c", 20, 30, "x" * 10, "z"))  # touching replacements are fine
    assert a.overlaps(Edit("f.c", 20, 20, "", "z"))  # an insertion at its edge is ambiguous
    assert a.overlaps(Edit("f.c", 10, 10, "", "z"))
    assert not a.overlaps(Edit("g.c", 10, 20, "x" * 10, "y"))
    assert a.same_as(Edit("f.c", 10, 20, "x" * 10, "y"))


def test_conflicts_identical_edits_and_stale_text(tmp_path):
    f = tmp_path / "a.c"
    raw = b"int a;\nint b;\nint c;\n"
    f.write_bytes(raw)
    first = Fix("FOL999", "a", (edit(f, 4, 5, "x", raw),))
    same = Fix("FOL999", "a again", (edit(f, 4, 5, "x", raw),))
    clash = Fix("FOL999", "clash", (edit(f, 4, 5, "y", raw),))
    stale = Fix("FOL999", "stale", (Edit(str(f), 11, 12, "q", "z"),))
    outside = Fix("FOL999", "outside", (Edit("/elsewhere/x.c", 0, 0, "", "z"),))
    self_overlap = Fix("FOL999", "broken", (edit(f, 18, 19, "1", raw), edit(f, 18, 19, "2", raw)))
    plan = fixes.make_plan([first, same, clash, stale, outside, self_overlap], fixes.under_paths([str(tmp_path)]))
    assert plan.accepted == [first, same]
    reasons = dict((fx.title, why) for fx, why in plan.skipped)
    assert "overlaps another fix" in reasons["clash"]
    assert "changed since it was checked" in reasons["stale"]
    assert "not given on the command line" in reasons["outside"]
    assert "its own edits overlap" in reasons["broken"]
    assert fixes.fixed_contents(plan)[fixes.file_key(str(f))][1] == b"int x;\nint b;\nint c;\n"


def test_apply_plan_is_atomic_keeps_mode_and_refuses_a_changed_file(tmp_path):
    f = tmp_path / "a.c"
    raw = b"lock_page(p);\n"
    f.write_bytes(raw)
    os.chmod(f, 0o640)
    plan = fixes.make_plan([Fix("FOL999", "t", (edit(f, 0, 9, "folio_lock", raw),))])
    assert fixes.apply_plan(plan) == [fixes.display_path(str(f))]
    assert f.read_bytes() == b"folio_lock(p);\n"
    assert os.stat(f).st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["a.c"]  # no temporary left behind

    f.write_bytes(raw)
    plan = fixes.make_plan([Fix("FOL999", "t", (edit(f, 0, 9, "folio_lock", raw),))])
    f.write_bytes(b"lock_page(p); /* edited meanwhile */\n")
    assert fixes.apply_plan(plan) == []
    assert "changed while folint ran" in plan.skipped[0][1]
    assert f.read_bytes() == b"lock_page(p); /* edited meanwhile */\n"


def test_diff_of_a_file_without_final_newline_applies(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    f = repo / "a.c"
    raw = b"a\nb\nlock_page(p);"
    f.write_bytes(raw)
    plan = fixes.make_plan([Fix("FOL999", "t", (edit(f, 4, 13, "folio_lock", raw),))])
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        diff = fixes.render_diff(fixes.make_plan(plan.accepted))
    finally:
        os.chdir(cwd)
    assert "\\ No newline at end of file" in diff and diff.startswith("--- a/a.c\n+++ b/a.c\n")
    git(repo, "init", "-q")
    git(repo, "apply", "-", input=diff)
    assert f.read_bytes() == b"a\nb\nfolio_lock(p);"


# -- the fixtures: before -> after -------------------------------------------------

def test_there_are_fix_fixtures_for_every_fixing_rule():
    assert {name.split("/")[0] for name in FIX_PAIRS} >= {"FOL002", "FOL006"}


def git(repo, *argv, input=None):
    return subprocess.run(["git", "-c", "user.email=t@example.org", "-c", "user.name=t", *argv], cwd=repo,
                          input=input, text=True, capture_output=True, check=True)


def test_folint_diff_applies_with_git_apply(tmp_path, monkeypatch, capsys):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    (repo / "sub").mkdir(parents=True)
    for name in FIX_PAIRS:
        shutil.copy(case(name), repo / "sub" / f"{flat(name)}.c")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "before")
    monkeypatch.chdir(repo)
    code = main(["--no-simulate", "--diff", "sub"])
    diff, err = capsys.readouterr()
    assert code == 1  # findings remain until the diff is applied
    assert "have a safe fix" in err
    assert git(repo, "status", "--porcelain").stdout == ""  # --diff writes nothing
    git(repo, "apply", "--check", "-", input=diff)
    git(repo, "apply", "-", input=diff)
    for name in FIX_PAIRS:
        assert (repo / "sub" / f"{flat(name)}.c").read_bytes() == fixed(name).read_bytes()


# -- the command line ----------------------------------------------------------------

def test_fix_writes_only_what_it_fixes_and_reports_the_rest(tmp_path, capsys):
    work = tmp_path / "calls.c"
    shutil.copy(case("FOL006/fix_calls"), work)
    untouched = tmp_path / "clean.c"
    shutil.copy(FIXTURES / "clean" / "mte_swap_correct.c", untouched)
    mtime = untouched.stat().st_mtime_ns
    code = main(["--no-simulate", "--select", "FOL006", "--fix", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 1
    assert "fixed 10 findings in 1 file; 2 left" in err
    assert out.count("[FOL006]") == 2 and "put_page(&folio->page)" in out and "flush_dcache_page" in out
    assert work.read_bytes() == (fixed("FOL006/fix_calls")).read_bytes()
    assert untouched.stat().st_mtime_ns == mtime


def test_fix_on_clean_code_exits_0_and_changes_nothing(tmp_path, capsys):
    f = tmp_path / "clean.c"
    shutil.copy(fixed("FOL006/fix_calls"), f)
    before = f.read_bytes()
    code = main(["--no-simulate", "--select", "FOL002", "--fix", str(f)])
    assert code == 0 and f.read_bytes() == before
    assert "fixed 0 findings in 0 files; 0 left" in capsys.readouterr().err


def test_diff_with_a_report_format_is_a_usage_error(capsys):
    code = main(["--no-simulate", "--diff", "--format", "json", str(FIXTURES / "FOL006")])
    assert code == 2
    assert capsys.readouterr().err.strip() == \
        "folint: error: --diff prints a unified diff; --format does not apply to it"


def test_diff_and_fix_together_are_refused():
    with pytest.raises(SystemExit) as exc:
        main(["--diff", "--fix", str(FIXTURES / "FOL006")])
    assert exc.value.code == 2


def test_diff_to_output_file(tmp_path, capsys):
    out = tmp_path / "fixes.diff"
    code = main(["--no-simulate", "--select", "FOL002", "--diff", "-o", str(out),
                 str(case("FOL002/fix_entry"))])
    assert code == 1
    assert capsys.readouterr().out == ""
    text = out.read_text()
    assert text.count("+\t\tentry.val++;") == 4 and text.startswith("--- a/")


def test_check_patch_has_no_fix_option():
    """The hook runs check-patch: it must never be able to write fixes."""
    from folint.cli import build_parser

    parser = build_parser()
    with pytest.raises(SystemExit) as exc:
        parser.parse_args(["check-patch", "--fix", "x.patch"])
    assert exc.value.code == 2


def test_a_fix_that_raises_is_an_error_line_not_a_traceback(tmp_path, monkeypatch):
    from folint_rules.fol006_page_api_on_folio import PageApiOnFolio

    def boom(self, src, finding):
        raise RuntimeError("bad node")

    monkeypatch.setattr(PageApiOnFolio, "fixes", boom)
    work = tmp_path / "x.c"
    shutil.copy(case("FOL006/fix_calls"), work)
    result = run([str(work)], Config(), RunOptions(jobs=1, select=["FOL006"]))
    collected = fixes.collect_fixes(result.findings, build_rules(Config(), ["FOL006"]))
    assert collected.fixes == []
    assert collected.errors and "FOL006 fix failed: RuntimeError: bad node" in collected.errors[0]
    assert Path(collected.errors[0].split(":")[0]).name == "x.c"


def test_form_feeds_and_crlf_lines_survive_the_diff(tmp_path, monkeypatch, capsys):
    """Kernel files contain ^L page breaks; a file may use CRLF.  Lines are split at
    newlines only, and an inserted line takes the file's line ending."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "ff.c").write_bytes(b"/* a */\x0c\nvoid g(struct folio *folio)\n{\n\tunlock_page(&folio->page);\n}\n")
    (repo / "crlf.c").write_bytes(
        b"void r(swp_entry_t entry, struct folio *folio)\r\n{\r\n\tlong i, nr = folio_nr_pages(folio);\r\n\r\n"
        b"\tfor (i = 0; i < nr; i++)\r\n\t\tmte_restore_tags(entry, folio_page(folio, i));\r\n}\r\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "before")
    monkeypatch.chdir(repo)
    assert main(["--no-simulate", "--diff", "."]) == 1
    diff = capsys.readouterr().out
    git(repo, "apply", "-", input=diff)
    assert (repo / "ff.c").read_bytes() == b"/* a */\x0c\nvoid g(struct folio *folio)\n{\n\tfolio_unlock(folio);\n}\n"
    assert (repo / "crlf.c").read_bytes().endswith(
        b"\tfor (i = 0; i < nr; i++) {\r\n\t\tmte_restore_tags(entry, folio_page(folio, i));\r\n"
        b"\t\tentry.val++;\r\n\t}\r\n}\r\n")
