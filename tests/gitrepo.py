"""Temporary git repositories for the patch and hook tests."""

import shutil
import subprocess


def git(root, *args, check=True):
    proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
    if check and proc.returncode:
        raise AssertionError(proc.stderr)
    return proc


def make_repo(tmp_path, monkeypatch, tree):
    """A git repository holding a copy of ``tree``, committed, with no user or system
    configuration leaking in; the current folder is moved inside it."""
    empty = tmp_path / "gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    root = tmp_path / "linux"
    shutil.copytree(tree, root)
    git(root, "init", "-q")
    git(root, "config", "user.name", "Jane Developer")
    git(root, "config", "user.email", "jane@example.org")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    monkeypatch.chdir(root)
    return root
