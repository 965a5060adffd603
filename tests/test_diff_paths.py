"""--diff of files outside the current folder (issue 10 part 5): paths relative to the
tree holding them (a kernel top, a git work tree, else their common folder), named on
the diff's first line, never ``a//`` followed by the absolute path; the diff applies there."""

import shutil
import subprocess
import sys

import pytest

from conftest import FIXTURES


def _diff(cwd, *targets):
    r = subprocess.run([sys.executable, "-m", "folint", "check", "--no-cache", "--no-simulate", "--diff", *targets],
                       cwd=cwd, capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    return r.stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_diff_of_a_target_outside_the_current_folder_applies_in_its_tree(tmp_path):
    work = tmp_path / "elsewhere" / "mm"
    work.mkdir(parents=True)
    shutil.copy(FIXTURES / "FOL002" / "fix_entry.c", work / "swap.c")
    subprocess.run(["git", "init", "-q", str(tmp_path / "elsewhere")], check=True)
    here = tmp_path / "here"
    here.mkdir()
    out = _diff(here, str(work / "swap.c"))
    assert "a//" not in out and "b//" not in out
    assert out.splitlines()[0] == f"# paths relative to {tmp_path / 'elsewhere'}: apply there " \
                                  f"(cd {tmp_path / 'elsewhere'} && git apply)"
    assert "--- a/mm/swap.c\n+++ b/mm/swap.c\n" in out
    subprocess.run(["git", "apply", "-"], input=out, text=True, cwd=tmp_path / "elsewhere", check=True)
    assert (work / "swap.c").read_text() == (FIXTURES / "FOL002" / "fix_entry.fixed.c").read_text()


def test_diff_outside_any_tree_is_relative_to_the_files_common_folder(tmp_path):
    (tmp_path / "a").mkdir()
    shutil.copy(FIXTURES / "FOL002" / "fix_entry.c", tmp_path / "a" / "x.c")
    here = tmp_path / "here"
    here.mkdir()
    out = _diff(here, str(tmp_path / "a" / "x.c"))
    assert "a//" not in out and "--- a/x.c\n" in out


def test_diff_under_the_current_folder_is_unchanged(tmp_path):
    shutil.copy(FIXTURES / "FOL002" / "fix_entry.c", tmp_path / "x.c")
    out = _diff(tmp_path, "x.c")
    assert out.startswith("--- a/x.c\n+++ b/x.c\n")
