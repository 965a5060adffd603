"""The witness searches of FOL003 and FOL006 (issue 12): paths taken in order of how few
decisions they change (``explore(fewest_flips=True)``), each path ended once it is past the
call (``stop_after``), and a focus that bounds only the function's own loops tighter."""

from folint.config import Config
from folint.plugins import model_registry
from folint.runner import RunOptions, run
from folint.sim import Scenario
from folint.sim.explore import _FlipOrder
from folint.sim.oracle import Simulation, judge
from folint.sim.state import EventKind, PathStatus
from folint.source import SourceFile

BRANCHES = "".join(f"\tif (b{k}(x))\n\t\tg({k});\n" for k in range(1, 9))
EARLY_FLIP = "int f(struct folio *folio, int x)\n{\n\tif (a(x))\n\t\tfound(folio);\n" + BRANCHES + "\treturn 0;\n}\n"


def _sim(code: str) -> Simulation:
    src = SourceFile("t.c", code.encode())
    return Simulation(src, src.functions[0], registry=model_registry())


def _found(path):
    return "found" if any(e.kind == EventKind.CALL and e.name == "found" for e in path.events) else None


def test_flip_order_pops_fewest_non_zero_choices_then_the_latest():
    order = _FlipOrder([[1], [0, 0, 1], [0, 1, 1], [0, 0, 0, 1]])
    assert [order.pop() for _ in range(4)] == [[0, 0, 0, 1], [0, 0, 1], [1], [0, 1, 1]]
    assert not order


def test_a_complete_exploration_runs_the_same_paths_in_either_order():
    sim = _sim(EARLY_FLIP)
    depth = sim.run(Scenario(max_paths=1024))
    flips = sim.run(Scenario(max_paths=1024), fewest_flips=True)
    assert depth.complete and flips.complete and len(depth.paths) == 512
    assert sorted(p.choices for p in depth.paths) == sorted(p.choices for p in flips.paths)
    # the same verdicts: a witness no path has refutes both ways, one some path has confirms both
    nothing = lambda p: None  # noqa: E731
    assert judge(depth, nothing, refute_evidence="no").verdict == judge(flips, nothing, refute_evidence="no").verdict \
        == "refuted"
    assert judge(depth, _found, refute_evidence="no").verdict == judge(flips, _found, refute_evidence="no").verdict \
        == "confirmed"


def test_fewest_flips_finds_one_changed_early_decision_within_a_small_budget():
    sim = _sim(EARLY_FLIP)
    scenario = Scenario(max_paths=32)
    until = lambda p: _found(p) is not None  # noqa: E731
    depth = sim.run(scenario, until=until)
    assert not depth.stopped_early and not depth.complete  # depth-first varies the last branches first
    flips = sim.run(scenario, until=until, fewest_flips=True)
    assert flips.stopped_early and _found(flips.paths[-1]) and len(flips.paths) <= 10


CALLEE_LOOP = """
void f(struct folio *folio)
{
	touch(&folio->page);
	if (a())
		g(1);
}

static void touch(struct page *page)
{
	while (more(page))
		step(page);
}
"""


def test_stop_after_bounds_only_the_functions_own_loops_tighter():
    # the callee's loop sits outside the caller's focus range (it is defined after the caller),
    # yet is the callee's: it keeps the nr + 2 bound, so a 4-page folio sees every page
    sim = _sim(CALLEE_LOOP)
    ex = sim.run(Scenario(inline=frozenset({"touch"})), stop_after=CALLEE_LOOP.encode().index(b"touch(&folio"))
    assert ex.complete
    assert {p.reason for p in ex.paths if p.status == PathStatus.BOUNDED} == \
        {"line 11: a loop on unknown values explored up to 6 iterations"}
    assert all(p.status in (PathStatus.STOPPED, PathStatus.BOUNDED) for p in ex.paths)


def test_fol003_confirms_a_call_behind_one_decision_inside_a_branchy_loop(tmp_path):
    # depth-first, the 256-path budget went to the nine branches after the call in the last
    # iterations (inconclusive: path limit); taking few changed decisions first finds a(i) true
    body = "".join(f"\t\tif (b{k}(i))\n\t\t\tg({k});\n" for k in range(1, 10))
    (tmp_path / "a.c").write_text(
        "static void note_it(struct page *page)\n{\n\tSetPageReferenced(page);\n}\n\n"
        "void f(struct folio **folios, int n)\n{\n\tint i;\n\n\tfor (i = 0; i < n; i++) {\n"
        "\t\tstruct folio *folio = folios[i];\n\n\t\tif (a(i))\n\t\t\tnote_it(&folio->page);\n" + body + "\t}\n}\n")
    result = run([str(tmp_path)], Config(), RunOptions(select=["FOL003"], jobs=1, simulate=True, show_refuted=True))
    (f,) = result.findings
    assert f.verdict == "confirmed", f.evidence
    assert "f() passes page 0 of folio 'folio' to note_it(), which works on that one page" in f.evidence


def test_fol003_caller_path_ends_past_the_call(tmp_path, monkeypatch):
    # the witness reads events up to the callee's return: branches after the call no longer
    # run one by one: the path stops past the call's statement
    (tmp_path / "a.c").write_text(
        "static void note_it(struct page *page)\n{\n\tSetPageReferenced(page);\n}\n\n"
        "void f(struct folio *folio)\n{\n\tif (a())\n\t\treturn;\n\tnote_it(&folio->page);\n" + BRANCHES.replace("x", "0")
        + "}\n")
    explorations = []
    real_run = Simulation.run

    def recording_run(self, *args, **kw):
        explorations.append(real_run(self, *args, **kw))
        return explorations[-1]

    monkeypatch.setattr(Simulation, "run", recording_run)
    result = run([str(tmp_path)], Config(), RunOptions(select=["FOL003"], jobs=1, simulate=True, show_refuted=True))
    (f,) = result.findings
    assert f.verdict == "confirmed", f.evidence
    (ex,) = explorations
    assert [p.status for p in ex.paths] == [PathStatus.STOPPED]


def test_fol006_search_confirms_behind_an_early_decision(tmp_path):
    # lock_page(&folio->page) needs a(i) true in an iteration; nine branches follow it in the loop
    body = "".join(f"\t\tif (b{k}(i))\n\t\t\tg({k});\n" for k in range(1, 10))
    (tmp_path / "a.c").write_text(
        "void f(struct folio **folios, int n)\n{\n\tint i;\n\n\tfor (i = 0; i < n; i++) {\n"
        "\t\tstruct folio *folio = folios[i];\n\n\t\tif (a(i))\n\t\t\tlock_page(&folio->page);\n" + body + "\t}\n}\n")
    result = run([str(tmp_path)], Config(), RunOptions(select=["FOL006"], jobs=1, simulate=True, show_refuted=True))
    (f,) = result.findings
    assert f.verdict == "confirmed", f.evidence
    assert "lock_page() got page 0" in f.evidence
