"""b4's per-patch check (``b4 prep --check`` runs ``b4.prep-perpatch-check-cmd`` on each patch)
running folint on a clean and a buggy patch of a scratch repository (issue 13, part 1).

b4 feeds each patch on stdin from the top of the work tree, where the whole series is
already applied; it counts every stdout line as a warning (a failure when it holds
``ERROR:``), every stderr line as a failure, and only silence with exit 0 as a pass.
The test calls b4's own runner, ``b4.LoreMessage.run_local_check``."""

import argparse
import email
import email.policy
import shlex
import sys

import pytest

from conftest import FIXTURES
from gitrepo import git, make_repo

b4 = pytest.importorskip("b4", reason="b4 is in the test extras (pip install -e '.[test]')")
from b4.ez import get_check_cmds  # noqa: E402

MTE = "arch/arm64/mm/mteswap.c"
CHECK_CMD = "folint check-patch -q --format oneline -"  # what the README tells users to configure


def _patches(root, count):
    out = git(root, "format-patch", "--stdout", f"-{count}").stdout
    mails = out.split("\nFrom ")
    return [email.message_from_bytes((("From " if i else "") + m).encode(), policy=email.policy.EmailPolicy())
            for i, m in enumerate(mails)]


def _series(root, buggy: bool):
    mte = root / MTE
    mte.write_text("/* Tag storage for swapped-out pages. */\n" + mte.read_text())
    git(root, "commit", "-qam", "arm64: mte: say what the file holds")
    text = mte.read_text()
    if buggy:
        text = text.replace("\t\terr = mte_save_tags(folio_page(folio, i));\n\t\tif (err)\n\t\t\tgoto undo;\n",
                            "\t\treturn mte_save_tags(folio_page(folio, i));\n")
    else:
        text = text.replace("\tif (!system_supports_mte())\n\t\treturn 0;\n",
                            "\tif (!system_supports_mte())\n\t\treturn 0;\t/* nothing to save */\n")
    assert text != mte.read_text()
    mte.write_text(text)
    git(root, "commit", "-qam", "arm64: mte: second change")
    return _patches(root, 2)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # b4 caches check results there
    root = make_repo(tmp_path, monkeypatch, FIXTURES / "patches" / "tree")
    git(root, "config", "b4.prep-perpatch-check-cmd", CHECK_CMD)
    # what b4's command line does first: b4's defaults and this repository's configuration
    b4.setup_config(argparse.Namespace(config={}))
    assert get_check_cmds()[0] == [CHECK_CMD]  # how `b4 prep --check` finds the command
    return root


def _check(msg, ident):
    (command,) = get_check_cmds()[0]
    argv = shlex.split(command)
    argv[:1] = [sys.executable, "-m", "folint"]  # the folint under test, wherever PATH points
    return b4.LoreMessage.run_local_check(argv, ident, msg, nocache=True)


def test_clean_series_passes(repo):
    for i, msg in enumerate(_series(repo, buggy=False)):
        report = _check(msg, f"clean-{i}")
        assert [flag for flag, _ in report] == ["success"], report


def test_buggy_patch_fails_the_clean_one_passes(repo):
    first, second = _series(repo, buggy=True)
    assert [flag for flag, _ in _check(first, "b1")] == ["success"]
    report = _check(second, "b2")
    assert len(report) == 1, report  # one finding, one line (not a line per caret and verdict)
    flag, line = report[0]
    assert flag == "fail" and f"{MTE}:" in line and ": ERROR: " in line and "[FOL001] (confirmed)" in line


def test_unconfirmed_finding_is_a_warning(repo):
    _first, second = _series(repo, buggy=True)
    argv = [sys.executable, "-m", "folint", "check-patch", "-q", "--format", "oneline", "--no-simulate", "-"]
    ((flag, line),) = b4.LoreMessage.run_local_check(argv, "w", second, nocache=True)
    assert flag == "warning" and ": WARNING: " in line and "(unverified)" in line
