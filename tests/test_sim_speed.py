"""Issue 12, the cost of verification: work shared between findings must not change any
answer.  Several searches in one function under one scenario share one Explorer
(``folint.sim.explore.Explorer``): a later search is first offered the paths already run,
then goes on where the earlier one stopped, and ends as a fresh exploration would."""

import folint.sim.run as sim_run
from folint.plugins import model_registry
from folint.sim import Scenario
from folint.sim.oracle import Simulation
from folint.sim.state import EventKind
from folint.source import SourceFile

CODE = ("int f(struct folio *folio, int x)\n{\n"
        + "".join(f"\tif (b{k}(x))\n\t\tg{k}(folio);\n" for k in range(1, 6))
        + "\treturn 0;\n}\n")


def _sim() -> Simulation:
    src = SourceFile("t.c", CODE.encode())
    return Simulation(src, src.functions[0], registry=model_registry())


def _calls(name):
    return lambda path: any(e.kind == EventKind.CALL and e.name == name for e in path.events)


def _shape(ex):
    return ([(p.choices, p.status, [e.text for e in p.events]) for p in ex.paths],
            ex.complete, ex.reason, ex.stopped_early)


def _counting(monkeypatch):
    runs = []
    original = sim_run.SimRun.run

    def run(self, fn):
        runs.append(list(self.prefix) if hasattr(self, "prefix") else None)
        return original(self, fn)

    monkeypatch.setattr(sim_run.SimRun, "run", run)
    return runs


def test_searches_in_one_function_share_the_paths_and_answer_as_fresh_ones(monkeypatch):
    questions = [_calls("g3"), _calls("g1"), _calls("g5"), _calls("nothing"), None, _calls("g2")]
    for flips in (False, True):
        fresh = [_shape(_sim().run(Scenario(), until=q, fewest_flips=flips)) for q in questions]
        runs = _counting(monkeypatch)
        sim = _sim()
        shared = [_shape(sim.run(Scenario(), until=q, fewest_flips=flips)) for q in questions]
        monkeypatch.undo()
        assert shared == fresh
        assert fresh[3][1] and len(fresh[3][0]) == 32  # "nothing": the whole exploration
        assert len(runs) == 32  # each path of the function run once for all six questions


def test_a_budget_that_ends_a_shared_exploration_ends_every_search_alike():
    scenario = Scenario(max_paths=5)
    fresh = _shape(_sim().run(scenario, until=_calls("nothing")))
    sim = _sim()
    first = _shape(sim.run(scenario, until=_calls("g5")))
    again = _shape(sim.run(scenario, until=_calls("nothing")))
    assert again == fresh and not fresh[1] and fresh[2].startswith("path limit (5)")
    assert first == _shape(_sim().run(scenario, until=_calls("g5")))


def test_scenarios_with_other_objects_do_not_share_paths():
    from folint.sim.values import ERRNO, ErrPtr

    sim = _sim()
    a, b = Scenario(fail_value=ErrPtr(-ERRNO["ENOENT"])), Scenario(fail_value=ErrPtr(-ERRNO["ENOENT"]))
    ea, eb = sim.run(a), sim.run(b)
    assert ea is not eb and ea.paths[0] is not eb.paths[0]
    assert sim.run(a) is ea


RETRY = """int f(struct folio *folio, int x)
{
again:
	if (a(x))
		goto out;
	lock(folio);
	if (b(x))
		goto again;
	if (c(x))
		goto nowhere;
out:
	return 0;
}
"""


def _walked_backward_gotos(body, at):
    """The reading of the gotos before they were read once per function (two walks a byte)."""
    from folint import cnodes

    labels = {cnodes.text(n.child_by_field_name("label")): n.start_byte
              for n in cnodes.walk(body) if n.type == "labeled_statement"}
    return any(n.type == "goto_statement" and labels.get(cnodes.text(n.child_by_field_name("label")), at) < at
               <= n.start_byte for n in cnodes.walk(body))


def test_the_gotos_read_once_per_function_answer_as_the_walk_did():
    src = SourceFile("t.c", RETRY.encode())
    sim = Simulation(src, src.functions[0], registry=model_registry())
    body = sim.function.body
    answers = [sim._backward_goto(b) for b in range(body.start_byte, body.end_byte + 1)]
    assert answers == [_walked_backward_gotos(body, b) for b in range(body.start_byte, body.end_byte + 1)]
    assert True in answers and False in answers
    lock = RETRY.index("lock(")
    assert sim.past_statement(lock) is None  # "goto again" after it jumps back before it
    assert sim.past_statement(RETRY.index("return 0")) is not None


def _fol003_run(tree, monkeypatch, one_by_one: bool):
    """FOL003 over ``tree``, simulated: (findings, Simulations made); ``one_by_one``: each
    tree finding judged alone, in a Simulation of its own, as before they were shared."""
    import folint.sim.oracle as oracle
    from folint.config import Config
    from folint.index import verify
    from folint.runner import RunOptions, run

    made = []
    real_sim, real_verify = oracle.Simulation, verify._verify

    class Counted(real_sim):
        def __init__(self, *a, **kw):
            made.append(1)
            super().__init__(*a, **kw)

    def alone(findings, *args):
        errors, failed = [], []
        for k, f in enumerate(findings):
            e, bad = real_verify([f], *args)
            errors += e
            failed += [k] if bad else []
        return errors, failed

    monkeypatch.setattr(oracle, "Simulation", Counted)
    if one_by_one:
        monkeypatch.setattr(verify, "_verify", alone)
    done = run([str(tree)], Config(), RunOptions(select=["FOL003"], jobs=1, simulate=True, cache=False))
    monkeypatch.undo()
    return [(f.path, f.line, f.message, f.verdict, f.evidence, f.trace) for f in done.findings], len(made)


def test_tree_findings_on_one_function_share_a_simulation_and_judge_as_alone(monkeypatch, tmp_path):
    import shutil

    from conftest import FIXTURES

    tree = tmp_path / "tree"
    shutil.copytree(FIXTURES / "FOL003", tree)
    alone, made_alone = _fol003_run(tree, monkeypatch, one_by_one=True)
    shared, made_shared = _fol003_run(tree, monkeypatch, one_by_one=False)
    assert shared == alone and {f[3] for f in alone} - {"unverified"}
    assert made_alone == len(alone) and made_shared < made_alone  # two findings simulate one caller
