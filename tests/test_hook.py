"""install-hook / uninstall-hook, and the hook at work in real `git commit`s."""

import os
import subprocess

import pytest

from conftest import FIXTURES, ROOT
from gitrepo import git, make_repo
from folint.cli import main
from folint.commands import hook

TREE = FIXTURES / "patches" / "tree"
MTE = "arch/arm64/mm/mteswap.c"
SAVE_OK = "\t\terr = mte_save_tags(folio_page(folio, i));\n\t\tif (err)\n\t\t\tgoto undo;\n"
SAVE_RETURN = "\t\treturn mte_save_tags(folio_page(folio, i));\n"
FOREIGN = "#!/bin/sh\necho 'the old hook ran'\nexit ${OLD_HOOK_EXIT:-0}\n"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A git repository holding the fixture tree, committed; cwd inside it."""
    return make_repo(tmp_path, monkeypatch, TREE)


def head(root):
    return git(root, "rev-parse", "HEAD").stdout.strip()


def files(root):
    return {p: open(os.path.join(d, p), "rb").read() for d, _, names in os.walk(root) if ".git" not in d
            for p in names}


def cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def set_save(root, text):
    p = root / MTE
    p.write_text(p.read_text().replace(SAVE_OK, text) if text != SAVE_OK else
                 p.read_text().replace(SAVE_RETURN, SAVE_OK))


def test_hook_blocks_an_early_return_then_lets_the_fix_through(capsys, repo):
    code, out, _ = cli(capsys, "install-hook")
    assert code == 0 and "installed" in out
    hook_file = repo / ".git" / "hooks" / "pre-commit"
    assert os.access(hook_file, os.X_OK) and hook.is_ours(str(hook_file))

    base = head(repo)
    set_save(repo, SAVE_RETURN)
    git(repo, "add", MTE)
    before = files(repo)
    proc = git(repo, "commit", "-m", "arm64: mte: save tags page by page", check=False)
    shown = proc.stdout + proc.stderr
    assert proc.returncode != 0, shown
    assert head(repo) == base
    assert f"{MTE}:22:3: warning: loop over the pages of 'folio' returns on its first iteration" in shown
    assert "[FOL001]" in shown and "git commit --no-verify" in shown
    assert files(repo) == before  # the hook changed nothing

    set_save(repo, SAVE_OK)
    (repo / MTE).write_text((repo / MTE).read_text().replace("undo:\n", "undo:\t/* unwind the pages done */\n"))
    git(repo, "add", MTE)
    proc = git(repo, "commit", "-m", "arm64: mte: comment the undo path", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert head(repo) != base

    code, out, _ = cli(capsys, "uninstall-hook")
    assert code == 0 and not hook_file.exists()


def test_commit_all_and_pathspec_commits_are_checked_too(repo, capsys):
    # git hands the hook a temporary index for `commit -a` and `commit PATH`
    cli(capsys, "install-hook")
    set_save(repo, SAVE_RETURN)
    base = head(repo)
    proc = git(repo, "commit", "-qam", "x", check=False)
    assert proc.returncode != 0 and "[FOL001]" in proc.stdout + proc.stderr
    proc = git(repo, "commit", "-qm", "x", MTE, check=False)
    assert proc.returncode != 0 and head(repo) == base


def test_no_verify_bypasses(repo, capsys):
    cli(capsys, "install-hook")
    set_save(repo, SAVE_RETURN)
    git(repo, "add", MTE)
    assert git(repo, "commit", "--no-verify", "-qm", "x", check=False).returncode == 0


def test_foreign_hook_is_not_overwritten_without_chain(capsys, repo):
    foreign = repo / ".git" / "hooks" / "pre-commit"
    foreign.write_text(FOREIGN)
    foreign.chmod(0o755)
    code, out, err = cli(capsys, "install-hook")
    assert code == 2 and "was not written by folint" in err and "--chain" in err
    assert foreign.read_text() == FOREIGN
    code, _, err = cli(capsys, "uninstall-hook")
    assert code == 2 and "left alone" in err and foreign.read_text() == FOREIGN


def test_chain_runs_the_old_hook_first_and_uninstall_restores_it(capsys, repo, monkeypatch):
    hooks = repo / ".git" / "hooks"
    (hooks / "pre-commit").write_text(FOREIGN)
    (hooks / "pre-commit").chmod(0o755)
    code, out, _ = cli(capsys, "install-hook", "--chain")
    assert code == 0 and "runs first" in out
    assert (hooks / hook.CHAINED).read_text() == FOREIGN

    (repo / "mm" / "swap_old.c").write_text((repo / "mm" / "swap_old.c").read_text() + "/* end */\n")
    git(repo, "add", "-A")
    proc = git(repo, "commit", "-m", "clean change", check=False)
    assert proc.returncode == 0 and "the old hook ran" in proc.stdout + proc.stderr

    monkeypatch.setenv("OLD_HOOK_EXIT", "3")  # the old hook failing blocks the commit
    (repo / "mm" / "swap_old.c").write_text((repo / "mm" / "swap_old.c").read_text() + "/* more */\n")
    git(repo, "add", "-A")
    assert git(repo, "commit", "-m", "blocked by the old hook", check=False).returncode != 0

    code, out, _ = cli(capsys, "install-hook", "--chain")  # reinstalling keeps the chain
    assert code == 0 and (hooks / hook.CHAINED).exists()
    code, out, _ = cli(capsys, "uninstall-hook")
    assert code == 0 and (hooks / "pre-commit").read_text() == FOREIGN and not (hooks / hook.CHAINED).exists()


def test_core_hooks_path_is_respected(capsys, repo):
    git(repo, "config", "core.hooksPath", ".githooks")
    code, out, _ = cli(capsys, "install-hook")
    assert code == 0 and (repo / ".githooks" / "pre-commit").exists()
    assert not (repo / ".git" / "hooks" / "pre-commit").exists()
    set_save(repo, SAVE_RETURN)
    git(repo, "add", MTE)
    assert git(repo, "commit", "-qm", "x", check=False).returncode != 0
    cli(capsys, "uninstall-hook")
    assert not (repo / ".githooks" / "pre-commit").exists()


def test_block_on_is_configurable(capsys, repo):
    cli(capsys, "install-hook")
    (repo / ".folint.toml").write_text('[hook]\nblock-on = []\n')
    set_save(repo, SAVE_RETURN)
    git(repo, "add", MTE)
    proc = git(repo, "commit", "-qm", "reported, not blocked", check=False)
    assert proc.returncode == 0 and "[FOL001]" in proc.stdout + proc.stderr


def test_bad_hook_config_blocks_with_the_reason_and_the_bypass(capsys, repo):
    cli(capsys, "install-hook")
    (repo / ".folint.toml").write_text('[hook]\nblock-on = ["bogus"]\n')
    (repo / "mm" / "swap_old.c").write_text((repo / "mm" / "swap_old.c").read_text() + "/* end */\n")
    git(repo, "add", "mm/swap_old.c")
    proc = git(repo, "commit", "-qm", "x", check=False)
    shown = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "block-on must be a list of verdicts" in shown and "--no-verify" in shown


def test_uninstall_without_hook_and_outside_a_repository(capsys, repo, tmp_path, monkeypatch):
    code, out, _ = cli(capsys, "uninstall-hook")
    assert code == 0 and "nothing to remove" in out
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.chdir(plain)
    code, _, err = cli(capsys, "install-hook")
    assert code == 2 and "not in a git repository" in err


def test_hook_script_falls_back_and_never_blocks_when_folint_is_gone(tmp_path):
    script = tmp_path / "pre-commit"
    script.write_text(hook.hook_script("/no/such/python", chain=False))
    script.chmod(0o755)
    proc = subprocess.run([str(script)], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0 and "this commit is not checked" in proc.stderr


def test_pre_commit_framework_manifest():
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "- id: folint" in text
    assert "entry: folint check-patch --staged --hook" in text
    assert "pass_filenames: false" in text and "language: python" in text


def test_a_merge_without_conflicts_is_checked(capsys, repo):
    """git runs pre-merge-commit, not pre-commit, for a clean merge (issue 14, part 16)."""
    code, out, _ = cli(capsys, "install-hook")
    assert code == 0 and "pre-merge-commit" in out and hook.is_ours(str(repo / ".git" / "hooks" / "pre-merge-commit"))
    base = git(repo, "rev-parse", "--abbrev-ref", "HEAD").stdout.strip()
    git(repo, "checkout", "-qb", "topic")
    set_save(repo, SAVE_RETURN)
    git(repo, "commit", "-qam", "topic: early return", "--no-verify")
    git(repo, "checkout", "-q", base)
    (repo / "mm" / "other.c").write_text("int other(void)\n{\n\treturn 0;\n}\n")
    git(repo, "add", "mm/other.c")
    git(repo, "commit", "-qm", "base: another file")
    before = head(repo)
    merge = git(repo, "merge", "--no-ff", "--no-edit", "topic", check=False)
    assert merge.returncode != 0 and "[FOL001]" in merge.stderr + merge.stdout
    assert "commit blocked" in merge.stderr and head(repo) == before
    git(repo, "merge", "--abort", check=False)
    git(repo, "reset", "-q", "--hard", before)
    code, out, _ = cli(capsys, "uninstall-hook")
    assert code == 0 and not (repo / ".git" / "hooks" / "pre-merge-commit").exists()
