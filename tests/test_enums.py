"""The str-valued Enums (verdicts, event kinds, path statuses, loop exits) read as their
strings everywhere, so JSON and SARIF output is the same as with plain strings."""

import json
import pickle

from folint.enums import StrEnum, Verdict
from folint.finding import VERDICTS, Finding
from folint.sim import Judgement, Scenario, confirmed, inconclusive, refuted
from folint.sim.kinds import EventKind, LoopExit, PathStatus
from folint.plugins import model_registry
from folint.sim.oracle import Simulation
from folint.source import SourceFile


def test_a_member_is_its_string():
    for enum in (Verdict, EventKind, PathStatus, LoopExit):
        for m in enum:
            assert isinstance(m, str) and issubclass(enum, StrEnum)
            assert m == m.value and str(m) == m.value and f"{m}" == m.value and "%s" % m == m.value
            assert f"{m:>12}" == f"{m.value:>12}" and m + ":" == m.value + ":"
            assert hash(m) == hash(m.value) and {m.value: 1}.get(m) == 1 and m in {m.value}
            assert json.dumps({"v": m}) == json.dumps({"v": m.value})
            assert pickle.loads(pickle.dumps(m)) is m and enum(m.value) is m
    assert VERDICTS == ("confirmed", "refuted", "inconclusive", "unverified")


def test_findings_and_judgements_carry_verdicts():
    f = Finding("FOL001", "x", "a.c", 1, 1, 1, 2, "f", "m")
    assert f.verdict is Verdict.UNVERIFIED
    assert json.dumps(f.to_json()) == json.dumps({**f.to_json(), "verdict": "unverified"})
    assert [j.verdict for j in (confirmed("e"), refuted("e"), inconclusive("r"))] == [
        Verdict.CONFIRMED, Verdict.REFUTED, Verdict.INCONCLUSIVE]
    assert isinstance(confirmed("e"), Judgement)


def test_a_run_records_enum_members():
    src = SourceFile("t.c", b"""
int f(struct folio *folio, int n)
{
	int i;
	for (i = 0; i < 3; i++)
		if (n)
			break;
	folio_mark_dirty(folio);
	return folio->index;
}""")
    ex = Simulation(src, src.functions[0], registry=model_registry()).run(Scenario())
    kinds = {e.kind for p in ex.paths for e in p.events}
    assert all(type(k) is EventKind for k in kinds)
    assert {EventKind.ASSUME, EventKind.CALL, EventKind.LOOP, EventKind.USE, EventKind.RETURN} <= kinds
    assert {type(p.status) for p in ex.paths} == {PathStatus}
    assert {r.exit for p in ex.paths for r in p.loop_runs} == {LoopExit.BREAK, LoopExit.CONDITION}
