"""The hooks of .pre-commit-hooks.yaml run by the pre-commit framework itself (issue 13,
part 3), offline: a ``repo: local`` configuration holding exactly our hook definitions,
with ``language: system`` and the folint under test as the entry."""

import os
import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT
from gitrepo import git, make_repo

yaml = pytest.importorskip("yaml", reason="pre-commit (test extras) brings pyyaml")
pytest.importorskip("pre_commit", reason="pre-commit is in the test extras (pip install -e '.[test]')")

MTE = "arch/arm64/mm/mteswap.c"
SAVE_OK = "\t\terr = mte_save_tags(folio_page(folio, i));\n\t\tif (err)\n\t\t\tgoto undo;\n"
SAVE_RETURN = "\t\treturn mte_save_tags(folio_page(folio, i));\n"


def _local_config() -> str:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert {h["id"] for h in hooks} == {"folint", "folint-files"}
    for h in hooks:
        assert h["entry"].startswith("folint ")
        h["entry"] = f"{sys.executable} -m folint {h['entry'][len('folint '):]}"
        h["language"] = "system"
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]})


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    root = make_repo(tmp_path, monkeypatch, FIXTURES / "patches" / "tree")
    (root / ".pre-commit-config.yaml").write_text(_local_config())
    git(root, "add", ".pre-commit-config.yaml")
    git(root, "commit", "-qm", "pre-commit configuration")
    return root


def pre_commit(root, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRE_COMMIT_") or k == "PRE_COMMIT_HOME"}
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)


def commit_bug(root):
    mte = root / MTE
    mte.write_text(mte.read_text().replace(SAVE_OK, SAVE_RETURN))
    git(root, "commit", "-qam", "arm64: mte: early return", "--no-verify")


def test_all_files_finds_a_committed_bug(repo):
    (repo / "mm" / "swap_old.c").unlink()  # the fixture's old-style file has findings of its own
    git(repo, "commit", "-qam", "mm: drop the old file")
    ok = pre_commit(repo, "folint-files", "--all-files")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "folint (whole files)" in ok.stdout and "Passed" in ok.stdout and "warning" not in ok.stdout
    commit_bug(repo)
    bad = pre_commit(repo, "folint-files", "--all-files")
    assert bad.returncode == 1 and "Failed" in bad.stdout
    assert f"{MTE}:22:3: warning:" in bad.stdout and "[FOL001]" in bad.stdout
    assert " findings in " not in bad.stdout  # -q: findings only


def test_from_ref_to_ref_checks_the_commits(repo):
    base = git(repo, "rev-parse", "HEAD").stdout.strip()
    mte = repo / MTE
    mte.write_text("/* tags */\n" + mte.read_text())
    git(repo, "commit", "-qam", "arm64: mte: a comment")
    clean = pre_commit(repo, "folint", "--from-ref", base, "--to-ref", "HEAD")
    assert clean.returncode == 0 and "Passed" in clean.stdout, clean.stdout
    commit_bug(repo)
    bad = pre_commit(repo, "folint", "--from-ref", base, "--to-ref", "HEAD")
    assert bad.returncode == 1 and "Failed" in bad.stdout, bad.stdout
    assert f"{MTE}:23:3: warning:" in bad.stdout and "introduced by: 0002/0002 arm64: mte: early return" in bad.stdout
    assert f"in the commits {base}..HEAD" in bad.stdout


def test_commit_stage_checks_the_staged_change(repo):
    mte = repo / MTE
    mte.write_text(mte.read_text().replace(SAVE_OK, SAVE_RETURN))
    git(repo, "add", MTE)
    bad = pre_commit(repo, "folint")
    assert bad.returncode == 1 and "[FOL001]" in bad.stdout and "git commit --no-verify" in bad.stdout
    git(repo, "checkout", "HEAD", "--", MTE)
    good = pre_commit(repo, "folint")
    # nothing staged that matches the hook's files: pre-commit skips it, and it stays silent
    assert good.returncode == 0 and "[FOL" not in good.stdout
