"""What keeps the new rules' oracles cheap: a witness search stops each path once it is
past the finding (``Simulation.run(stop_after=...)``) unless a goto could run the finding
again, and gives up within ``SEARCH_PATHS`` paths; and the shared per-function call index."""

from folint import callindex
from folint.plugins import model_registry
from folint.sim import Scenario
from folint.sim.oracle import SEARCH_PATHS, Simulation
from folint.sim.state import PathStatus
from folint.source import SourceFile

BRANCHY_AFTER = """
int f(struct folio *folio, int a, int b, int c)
{
	folio_mark_dirty(folio);
	if (a)
		g(1);
	if (b)
		g(2);
	if (c)
		g(3);
	return 0;
}
"""


def _sim(code: str) -> Simulation:
    src = SourceFile("t.c", code.encode())
    return Simulation(src, src.functions[0], registry=model_registry())


def _byte(code: str, text: str) -> int:
    return code.encode().index(text.encode())


def test_stop_after_ends_every_path_past_the_finding():
    sim = _sim(BRANCHY_AFTER)
    full = sim.run()
    assert len(full.paths) == 8 and full.complete
    past = sim.run(stop_after=_byte(BRANCHY_AFTER, "folio_mark_dirty"))
    assert past.complete and len(past.paths) == 1
    assert past.paths[0].status == PathStatus.STOPPED
    assert [e.name for e in past.paths[0].events if e.kind == "call"] == ["folio_mark_dirty"]


def test_a_finding_inside_a_loop_still_sees_every_iteration():
    code = """
int f(struct folio *folio)
{
	int i;

	for (i = 0; i < 3; i++)
		h(folio, i);
	if (x)
		g(1);
	return 0;
}
"""
    ex = _sim(code).run(stop_after=_byte(code, "h(folio"))
    assert ex.complete and len(ex.paths) == 1
    assert [e.args[1] for e in ex.paths[0].events if e.kind == "call" and e.name == "h"] == [0, 1, 2]


def test_a_backward_goto_after_the_finding_keeps_the_whole_path():
    code = """
int f(struct folio *folio, int a)
{
again:
	folio_mark_dirty(folio);
	if (a)
		goto again;
	return 0;
}
"""
    sim = _sim(code)
    assert sim.past_statement(_byte(code, "folio_mark_dirty")) is None
    ex = sim.run(Scenario(max_paths=8), stop_after=_byte(code, "folio_mark_dirty"))
    assert all(p.status != PathStatus.STOPPED for p in ex.paths)


def test_search_gives_up_within_its_path_budget():
    code = "int f(int a)\n{\n\tint i;\n\n\tfor (i = 0; i < 30; i++) {\n\t\tif (g(i))\n\t\t\th(i);\n" \
           "\t\tif (k(i))\n\t\t\th(i);\n\t}\n\treturn 0;\n}\n"
    ex = _sim(code).search(lambda path: None)
    assert len(ex.paths) == SEARCH_PATHS and not ex.complete
    assert "path limit (64)" in ex.reason


def test_call_index_groups_a_functions_calls_by_name_in_source_order():
    code = "void f(void)\n{\n\tb(1);\n\ta(2);\n\tb(3);\n\t(*p)(4);\n}\n"
    fn = SourceFile("t.c", code.encode()).functions[0]
    assert {k: len(v) for k, v in callindex.by_name(fn).items()} == {"b": 2, "a": 1}
    assert [c.text.decode() for c in callindex.calls_to(fn, {"a", "b"})] == ["b(1)", "a(2)", "b(3)"]
    assert callindex.calls_any(fn, {"a"}) and not callindex.calls_any(fn, {"c"})
    assert callindex.by_name(fn) is callindex.by_name(fn)
