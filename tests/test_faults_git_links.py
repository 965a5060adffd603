"""Issue 14, parts 8 and 11: --git ranges that are options or name nothing; symbolic links out of the tree."""

import os

import pytest

from conftest import FIXTURES
from gitrepo import make_repo
from folint.cli import main
from folint.discovery import discover
from folint.patch import git

LOOP = ("int demo_save(struct folio *folio)\n{\n\tlong i, nr = folio_nr_pages(folio);\n\n"
        "\tfor (i = 0; i < nr; i++)\n\t\treturn demo_save_tags(folio_page(folio, i));\n\treturn 0;\n}\n")


@pytest.fixture
def repo(tmp_path, monkeypatch):
    return make_repo(tmp_path, monkeypatch, FIXTURES / "patches" / "tree")


@pytest.mark.parametrize("spec", ["--output={victim}", "-p", "--output={victim}..HEAD", "HEAD..--output={victim}"])
def test_a_range_is_never_an_option(repo, tmp_path, capsys, spec):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    code = main(["check-patch", f"--git={spec.format(victim=victim)}"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1
    assert "starts with '-'" in err or "may not start with '-'" in err
    assert victim.read_text() == "precious\n"


def test_a_missing_ref_is_said_plainly(repo, capsys):
    assert main(["check-patch", "--git", "HEAD..no-such-branch"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [f"folint: error: --git HEAD..no-such-branch: no commit named 'no-such-branch' in "
                                f"{repo} (does the branch or tag exist?); see `git log --oneline`"]


def test_ranges_resolve_to_commit_ids(repo):
    head = git.resolve(str(repo), "HEAD")
    assert len(head) == 40
    assert git.resolve_range(str(repo), "HEAD..") == f"{head}..{head}"
    assert git.resolve_range(str(repo), "HEAD") == head
    assert git.resolve(str(repo), "--all") is None


def test_patch_creating_a_file_over_a_link_out_of_the_tree_is_refused(tmp_path, capsys):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tmp_path / "outside.c").write_text("int secret;\n")
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "outside.c", tree / "new.c")
    os.symlink(tmp_path / "elsewhere", tree / "sub")
    for name in ("new.c", "sub/new.c"):
        patch = tmp_path / "p.diff"
        body = "".join("+" + ln for ln in LOOP.splitlines(True))
        patch.write_text(f"diff --git a/{name} b/{name}\nnew file mode 100644\n--- /dev/null\n+++ b/{name}\n"
                         f"@@ -0,0 +1,{len(LOOP.splitlines())} @@\n{body}")
        assert main(["check-patch", "--no-simulate", "--tree", str(tree), str(patch)]) == 2
        out, err = capsys.readouterr()
        assert "FOL001" not in out
        assert len(err.splitlines()) == 1 and f"refused: path '{name}' leads outside the tree" in err


def test_scan_does_not_follow_links_out_of_the_scanned_folders(tmp_path):
    tree, secret = tmp_path / "tree", tmp_path / "secret"
    tree.mkdir()
    secret.mkdir()
    (secret / "s.c").write_text(LOOP)
    (tree / "ok.c").write_text("int ok;\n")
    (tree / "inner").mkdir()
    (tree / "inner" / "i.c").write_text("int i;\n")
    os.symlink(secret / "s.c", tree / "link.c")
    os.symlink(secret, tree / "linkdir")
    os.symlink(tree / "inner" / "i.c", tree / "inside.c")  # stays in the tree: followed (once)
    found = discover([str(tree)])
    names = sorted(os.path.basename(f) for f in found.files)
    assert len(names) == 2 and "ok.c" in names and "s.c" not in names
    assert len(found.errors) == 1
    assert "2 symbolic links lead out of the scanned folders, not followed" in found.errors[0].message
    # named on the command line, a link is the user's choice
    assert discover([str(tree / "link.c")]).files == [str(tree / "link.c")]
    # a link into another folder being scanned is inside
    both = discover([str(tree), str(secret)])
    assert not both.errors and len(both.files) == 3
