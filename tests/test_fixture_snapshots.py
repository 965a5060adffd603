"""One snapshot per fixture (ruff style): the text report a user sees for each fixture
file, with the simulator's verdicts and traces (``folint -v --show-refuted``), and the
``--diff`` of its certain fixes where it has a ``<case>.fixed.c``.  A change of wording,
position or verdict shows here as a reviewed diff of tests/snapshots/fixtures/;
``FOLINT_UPDATE_SNAPSHOTS=1 pytest tests/test_fixture_snapshots.py`` rewrites them."""

import re

import pytest

from conftest import FIXTURES, ROOT
from folint.cli import main
from snapshot import assert_snapshot

CASES = sorted(str(p.relative_to(FIXTURES)) for p in FIXTURES.glob("*/*.c")
               if re.match(r"^(FOL\d{3}|clean)$", p.parent.name) and not p.name.endswith(".fixed.c"))
# a rule folder laid out as a tree (FOL003: callers across files) is one case
TREES = sorted(p.name for p in FIXTURES.iterdir()
               if re.match(r"^FOL\d{3}$", p.name) and any(q.is_dir() for q in p.iterdir()))
FIXED = [c for c in CASES if (FIXTURES / c.replace(".c", ".fixed.c")).exists()]


def run(capsys, *argv):
    code = main(list(argv))
    out, _ = capsys.readouterr()
    return code, out


@pytest.mark.parametrize("case", CASES)
def test_text_report(case, capsys, monkeypatch):
    monkeypatch.chdir(FIXTURES)
    code, out = run(capsys, "check", "--no-cache", "--jobs", "1", "-v", "--show-refuted", case)
    assert code in (0, 1)
    assert_snapshot(f"fixtures/{case[:-2]}.txt", out)


@pytest.mark.parametrize("tree", TREES)
def test_tree_report(tree, capsys, monkeypatch):
    monkeypatch.chdir(FIXTURES / tree)
    code, out = run(capsys, "check", "--no-cache", "--jobs", "1", "-v", "--show-refuted", ".")
    assert code in (0, 1)
    assert_snapshot(f"fixtures/{tree}/tree.txt", out)


@pytest.mark.parametrize("case", FIXED)
def test_diff(case, capsys, monkeypatch):
    monkeypatch.chdir(FIXTURES)
    code, out = run(capsys, "check", "--no-cache", "--jobs", "1", "--no-simulate", "--diff", case)
    assert code == 1 and out.startswith("--- a/")
    assert_snapshot(f"fixtures/{case[:-2]}.diff", out)


def test_every_fixture_has_a_snapshot():
    have = {str(p.relative_to(ROOT / "tests" / "snapshots" / "fixtures"))
            for p in (ROOT / "tests" / "snapshots" / "fixtures").glob("*/*.txt")}
    assert have == {c[:-2] + ".txt" for c in CASES} | {f"{t}/tree.txt" for t in TREES}, "stale or missing snapshots: FOLINT_UPDATE_SNAPSHOTS=1 rewrites"
