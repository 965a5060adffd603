"""fixtures/sim/: the simulator's own fixtures, strict both ways for the rules it
verifies (FOL001, FOL002, FOL005), every expectation carrying its verdict."""

from pathlib import Path

from conftest import FIXTURES
from folint.config import Config
from folint.runner import RunOptions, run
from test_fixtures import expectations

CODES = ["FOL001", "FOL002", "FOL005"]


def test_sim_fixtures_have_the_expected_verdicts():
    root = FIXTURES / "sim"
    result = run([str(root)], Config(), RunOptions(select=CODES, jobs=1, simulate=True, show_refuted=True))
    assert not result.errors, [str(e) for e in result.errors]
    found = {(str(Path(f.path).relative_to(root)), f.line, f.code): f for f in result.findings}
    expected, todo, _ = expectations("sim")
    expected = {k: v for k, v in expected.items() if k[2] in CODES}
    assert expected and all(v is not None for v in expected.values()), "every mark here names its verdict"
    assert sorted(found) == sorted(expected)
    got = {k: (found[k].verdict, found[k].evidence) for k in expected}
    assert {k: v for k, v in got.items() if v[0] != expected[k]} == {}
    assert {v for v in expected.values()} == {"confirmed", "refuted"}
