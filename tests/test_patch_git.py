"""check-patch --git RANGE and --staged, in temporary git repositories."""

import json
import shutil

import pytest

from conftest import FIXTURES
import gitrepo
from gitrepo import make_repo
from folint.cli import main

TREE = FIXTURES / "patches" / "tree"
MTE = "arch/arm64/mm/mteswap.c"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A git repository holding the fixture tree, committed; cwd inside it."""
    return make_repo(tmp_path, monkeypatch, TREE)


def git(root, *args):
    return gitrepo.git(root, *args).stdout


def edit(root, path, old, new):
    p = root / path
    text = p.read_text()
    assert old in text
    p.write_text(text.replace(old, new))


def commit(root, message):
    git(root, "commit", "-qam", message)
    return git(root, "rev-parse", "HEAD").strip()


LOOP_ADVANCE = "\tfor (i = 0; i < nr; i++) {\n\t\tmte_restore_tags(entry, folio_page(folio, i));\n\t\tentry.val++;\n\t}\n"
LOOP_SAME = "\tfor (i = 0; i < nr; i++)\n\t\tmte_restore_tags(entry, folio_page(folio, i));\n"
SAVE_OK = "\t\terr = mte_save_tags(folio_page(folio, i));\n\t\tif (err)\n\t\t\tgoto undo;\n"
SAVE_RETURN = "\t\treturn mte_save_tags(folio_page(folio, i));\n"


def run_json(capsys, *argv):
    code = main(["check-patch", "--no-simulate", "--format", "json", *argv])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else None, err


def series(repo):
    edit(repo, "mm/swap_old.c", "Drop the saved tags", "Drop the saved MTE tags")
    c1 = commit(repo, "mm: swap: reword a comment")
    edit(repo, MTE, LOOP_ADVANCE, LOOP_SAME)
    c2 = commit(repo, "arm64: mte: restore the tags in one loop")
    edit(repo, "mm/swap_old.c", "Drop the saved MTE tags", "Drop the saved tags")
    c3 = commit(repo, "mm: swap: reword the comment back")
    return c1, c2, c3


def test_range_names_the_commit_that_introduced_the_bug(capsys, repo):
    series(repo)
    code, data, _ = run_json(capsys, "--git", "HEAD~3..HEAD")
    assert code == 1
    (f,) = data["findings"]
    assert (f["code"], f["path"], f["patch"]) == ("FOL002", MTE, "0002/0003 arm64: mte: restore the tags in one loop")


def test_single_commit_and_work_tree_changes_do_not_matter(capsys, repo):
    c1, c2, _ = series(repo)
    edit(repo, MTE, SAVE_OK, SAVE_RETURN)  # uncommitted: not part of any commit checked
    code, data, _ = run_json(capsys, "--git", c2)
    assert code == 1 and [f["code"] for f in data["findings"]] == ["FOL002"]
    code, data, _ = run_json(capsys, "--git", c1)
    assert code == 0 and data["findings"] == []


def test_empty_range_is_a_note(capsys, repo):
    code, data, err = run_json(capsys, "--git", "HEAD..HEAD")
    assert code == 0 and "no commits in HEAD..HEAD" in err


def test_bad_range_and_no_repository_are_usage_errors(capsys, repo, tmp_path, monkeypatch):
    code, _, err = run_json(capsys, "--git", "no-such-branch..HEAD")
    assert code == 2 and "no commit named 'no-such-branch'" in err and len(err.splitlines()) == 1
    outside = tmp_path / "plain"
    outside.mkdir()
    monkeypatch.chdir(outside)
    code, _, err = run_json(capsys, "--staged")
    assert code == 2 and "--staged needs a git repository" in err


def test_staged_checks_the_index_not_the_work_tree(capsys, repo):
    edit(repo, MTE, SAVE_OK, SAVE_RETURN)
    git(repo, "add", MTE)
    edit(repo, MTE, SAVE_RETURN, SAVE_OK)  # the work tree is fixed again, the index is not
    code, data, _ = run_json(capsys, "--staged")
    assert code == 1
    (f,) = data["findings"]
    assert (f["code"], f["line"], f["patch"]) == ("FOL001", 22, "staged changes")


def test_staged_nothing_is_clean(capsys, repo):
    code, data, err = run_json(capsys, "--staged")
    assert code == 0 and "nothing staged" in err


def test_staged_before_the_first_commit(capsys, tmp_path, monkeypatch):
    empty = tmp_path / "gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    root = tmp_path / "new"
    shutil.copytree(TREE, root)
    git(root, "init", "-q")
    git(root, "add", "-A")
    monkeypatch.chdir(root)
    code, data, _ = run_json(capsys, "--staged")
    # every file is new: the old FOL001 in mm/swap_old.c is new here too
    assert code == 1 and [f["path"] for f in data["findings"]] == ["mm/swap_old.c"]


def test_staged_with_tree_option_from_elsewhere(capsys, repo, tmp_path, monkeypatch):
    edit(repo, MTE, SAVE_OK, SAVE_RETURN)
    git(repo, "add", MTE)
    monkeypatch.chdir(tmp_path)
    code, data, _ = run_json(capsys, "--staged", "--tree", str(repo))
    assert code == 1 and data["findings"][0]["code"] == "FOL001"
