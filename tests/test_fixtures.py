"""Every fixture folder, checked strictly both ways.

Each finding must be expected on its line (``/* expect: FOL001 */``, optionally
with the simulator's verdict: ``/* expect: FOL001 confirmed */``), and each
expectation must be found.  ``/* todo-expect: FOL00x */`` is a known miss: the
test fails once it is found, so the mark gets promoted.  ``/* todo-ok: FOL00x */``
is a known false positive (semgrep's ``todook``): the finding is made today and
should not be; the test fails once it is gone, so the mark gets removed.  A false
positive found on a real tree and not fixed yet is kept this way, as a fixture.
"""

import re
from pathlib import Path

import pytest

from conftest import FIXTURES
from folint.config import Config
from folint.runner import RunOptions, run

_MARK = re.compile(r"(todo-)?(?:expect|(ok)):\s*((?:FOL\d{3}(?:\s+(?:confirmed|refuted|inconclusive|unverified))?[\s,]*)+)")
_ITEM = re.compile(r"(FOL\d{3})(?:\s+(confirmed|refuted|inconclusive|unverified))?")

FOLDERS = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and re.match(r"^(FOL\d{3}|clean)$", p.name))


def expectations(folder):
    """(expected {key: verdict}, known misses, known false positives) of a fixture folder."""
    expected, todo, known_fp = {}, set(), set()
    for path in sorted((FIXTURES / folder).rglob("*.[ch]")):
        rel = str(path.relative_to(FIXTURES / folder))
        if path.name.endswith(".fixed.c"):
            continue
        for lineno, line in enumerate(path.read_text().splitlines(), 1):
            for m in _MARK.finditer(line):
                for code, verdict in _ITEM.findall(m.group(3)):
                    if m.group(2):
                        known_fp.add((rel, lineno, code))
                    elif m.group(1):
                        todo.add((rel, lineno, code))
                    else:
                        expected[(rel, lineno, code)] = verdict or None
    return expected, todo, known_fp


def test_every_rule_has_fixtures():
    from folint.selection import registered_rules

    missing = [c for c in registered_rules() if c not in FOLDERS]
    assert not missing, f"rules without fixtures/<CODE>/: {missing}"


@pytest.mark.parametrize("folder", FOLDERS)
def test_fixture_folder(folder):
    root = FIXTURES / folder
    result = run([str(root)], Config(), RunOptions(jobs=1, simulate=True, show_refuted=True))
    assert not result.errors, [str(e) for e in result.errors]
    found = {}
    for f in result.findings:
        if f.path.endswith(".fixed.c"):
            continue  # a fix's expected result: tests/test_fixed_fixtures.py checks it
        found[(str(Path(f.path).relative_to(root)), f.line, f.code)] = f
    expected, todo, known_fp = expectations(folder)
    if folder == "clean":
        assert not expected
    unexpected = sorted(k for k in found if k not in expected and k not in known_fp and found[k].verdict != "refuted")
    cured = sorted(k for k in known_fp if k not in found or found[k].verdict == "refuted")
    missed = sorted(k for k in expected if k not in found)
    promoted = sorted(k for k in todo if k in found)
    assert not unexpected, f"findings nobody expected: {[found[k].message for k in unexpected]} at {unexpected}"
    assert not missed, f"expected findings not found: {missed}"
    assert not promoted, f"todo-expect now found, make it expect: {promoted}"
    assert not cured, f"todo-ok false positive no longer reported, remove the mark: {cured}"
    wrong = {k: (v, found[k].verdict, found[k].evidence) for k, v in expected.items()
             if v is not None and found[k].verdict != v}
    assert not wrong, f"verdicts differ (expected, got, evidence): {wrong}"
    # a finding hidden as refuted must be declared as such
    for k, f in found.items():
        if f.verdict == "refuted":
            assert expected.get(k) == "refuted", f"refuted but not marked `expect: {k[2]} refuted`: {k}"
