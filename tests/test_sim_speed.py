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
