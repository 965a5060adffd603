"""The per-page loop model, pinned by fixtures/loops/ (one file per shape).

Each loop in those files is marked on its first line: ``/* loop: SHAPE */``
(the model must recognise it, with that shape) or ``/* not-a-loop: why */``
(it must not).  The prefilter must let through every file the model finds a
loop in: its needles are the model's own.
"""

import re

import pytest

from conftest import FIXTURES
from folint.cli import main
from folint.loops import Shape
from folint.prefilter import ByteScan, has_page_loop_tokens
from folint.source import SourceFile

LOOPS = FIXTURES / "loops"
_MARK = re.compile(r"/\* (?:loop: ([a-z-]+)|(not-a-loop))")


def marks(path):
    out = {}
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        m = _MARK.search(line)
        if m:
            out[lineno] = m.group(1)  # None: not a loop
    return out


@pytest.mark.parametrize("path", sorted(LOOPS.glob("*.c")), ids=lambda p: p.name)
def test_model_recognises_exactly_the_marked_loops(path):
    expected = marks(path)
    assert any(v is not None for v in expected.values()) and None in expected.values(), \
        f"{path.name}: a shape file needs positive and negative cases"
    src = SourceFile(str(path), path.read_bytes())
    got = {src.position(loop.node.start_byte)[0]: loop.shape.value for loop in src.page_loops}
    assert got == {line: shape for line, shape in expected.items() if shape is not None}


def test_every_shape_has_a_fixture_file():
    seen = {shape for path in LOOPS.glob("*.c") for shape in marks(path).values() if shape}
    assert seen == {s.value for s in Shape}


def test_prefilter_never_hides_a_fixture_loop():
    files = sorted(FIXTURES.rglob("*.c"))
    with_loops = [p for p in files if SourceFile(str(p), p.read_bytes()).page_loops]
    assert len(with_loops) >= 10
    hidden = [str(p) for p in with_loops if not has_page_loop_tokens(ByteScan(p.read_bytes()))]
    assert not hidden


def test_stats_counts_per_shape(capsys):
    assert main(["loops", "--stats", str(LOOPS)]) == 0
    out = capsys.readouterr().out
    counts = dict(line.split() for line in out.splitlines())
    want = {}
    for path in LOOPS.glob("*.c"):
        for shape in marks(path).values():
            if shape:
                want[shape] = want.get(shape, 0) + 1
    assert {k: int(v) for k, v in counts.items() if k != "total"} == want
    assert int(counts["total"]) == sum(want.values())
