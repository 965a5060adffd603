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


def test_prefilter_never_hides_a_fixture_loop(monkeypatch):
    """The loops the model finds with its text gate switched off (every function looked
    at) are found with it on, and every file holding one passes the prefilter."""
    from folint import loops

    files = sorted(FIXTURES.rglob("*.c"))
    gated = {p: _loop_starts(p) for p in files}
    monkeypatch.setattr(loops.vocab, "may_hold_page_loop", lambda text: True)
    ungated = {p: _loop_starts(p) for p in files}
    with_loops = [p for p in files if ungated[p]]
    assert len(with_loops) >= 10
    assert {p: gated[p] for p in with_loops} == {p: ungated[p] for p in with_loops}
    hidden = [str(p) for p in with_loops if not has_page_loop_tokens(ByteScan(p.read_bytes()))]
    assert not hidden


def _loop_starts(path):
    return [loop.node.start_byte for loop in SourceFile(str(path), path.read_bytes()).page_loops]


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


LOOP_RULES = ["FOL001", "FOL002", "FOL004", "FOL005"]


def _parsed_by_loop_rules(code: str) -> bool:
    from folint.checker import check_source
    from folint.config import Config
    from folint.selection import build_rules

    return check_source("t.c", code.encode(), build_rules(Config(), LOOP_RULES)).parsed


def test_a_page_type_without_a_walk_is_not_parsed_by_the_loop_rules():
    """``struct page *p;`` alone (no count, selection or step the model needs) costs no parse."""
    assert not _parsed_by_loop_rules("""
struct page *lookup(struct address_space *m, unsigned long i);
int peek(struct address_space *m, unsigned long n)
{
        struct page *p;
        unsigned long i;

        for (i = 0; i < n; i++) {
                p = lookup(m, i);
                if (!p)
                        return -ENOENT;
                p->private = 0;
        }
        return 0;
}
""")


@pytest.mark.parametrize("walk", [
    "free_reserved_page(page++);",      # a pointer walk
    "SetPageReserved(page + i);",       # page + i
    "SetPageReserved(&page[i]);",       # &page[i]
    "get_page(pp[i]);",                 # struct page **
    "get_page(req->ring_pages[i]);",    # an array by its name
    "get_page(nth_page(page, i));",
])
def test_each_walk_the_model_needs_gets_the_file_parsed(walk):
    code = f"""
void walk(struct page *page, struct page **pp, struct req *req, unsigned long nr)
{{
        unsigned long i;

        for (i = 0; i < nr; i++)
                {walk}
}}
"""
    assert _parsed_by_loop_rules(code)
    assert SourceFile("t.c", code.encode()).page_loops, "the model must recognise the loop the gate let through"


@pytest.mark.parametrize("text, passes", [
    (b"n = folio_size(folio) >> PAGE_SHIFT;", True),
    (b"n = folio_size(folio) / PAGE_SIZE;", True),
    (b"len = folio_size(folio);", False),               # bytes, not pages
    (b"n = 1UL << folio_order(folio);", True),
    (b"order = folio_order(folio);", False),            # an order is not counted without 1 <<
    (b"sz = huge_page_size(h);", False),                # another call's name
    (b"struct page *p = x->page; x->page++;", False),   # a field has no declared type
    (b"struct folio *f; f++;", False),                  # folio pointers are not walked page by page
    (b"struct folio **fs; fs[i];", True),
])
def test_gate_words(text, passes):
    from folint.vocab import may_hold_page_loop

    assert may_hold_page_loop(text) is passes
