"""The command line, through folint.cli.main, as a user sees it."""

import json
import shutil

import pytest

from conftest import FIXTURES, ROOT
from folint.cli import main
from snapshot import assert_snapshot, scrub

MODEL = str(FIXTURES / "FOL001" / "save_tags_return.c")


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_exit_0_on_clean_code(capsys):
    code, out, _ = run_cli(capsys, str(FIXTURES / "clean"))
    assert code == 0
    assert "0 findings in 2 files" in out


def test_exit_1_and_text_format(capsys):
    code, out, _ = run_cli(capsys, MODEL, "--no-simulate")
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith(f"{MODEL}:15:3: warning: loop over the pages of 'folio' returns")
    assert first.endswith("[FOL001]")
    assert "arch_prepare_to_swap_folio()" in first
    assert out.splitlines()[2].strip().startswith("^~~")


def test_explicit_check_command_is_the_default(capsys):
    long, short = run_cli(capsys, "check", MODEL, "--no-simulate"), run_cli(capsys, MODEL, "--no-simulate")
    assert scrub(long[1]) == scrub(short[1]) and long[0] == short[0] == 1


def test_select_and_ignore(capsys):
    folder = str(FIXTURES / "FOL002")
    _, out, _ = run_cli(capsys, folder, "--select", "FOL001", "--no-simulate")
    assert "[FOL002]" not in out
    _, out, _ = run_cli(capsys, folder, "--ignore", "FOL002", "--no-simulate")
    assert "[FOL002]" not in out
    code, out, _ = run_cli(capsys, folder, "--select", "FOL00", "--no-simulate")
    assert code == 1 and "[FOL002]" in out


def test_unknown_code_is_a_usage_error(capsys):
    code, out, err = run_cli(capsys, MODEL, "--select", "FOL999")
    assert code == 2 and out == ""
    assert err.strip() == "folint: error: unknown rule code 'FOL999'; `folint rules` lists the known ones"


def test_bad_option_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--format", "xml", MODEL])
    assert exc.value.code == 2
    assert "invalid choice: 'xml'" in capsys.readouterr().err


def test_rules_table(capsys):
    code, out, _ = run_cli(capsys, "rules")
    assert code == 0
    assert out.splitlines()[0].split() == ["code", "name", "summary"]
    assert any(line.startswith("FOL002  swap-entry-not-advanced") for line in out.splitlines())


def test_explain_shows_the_rule_documentation(capsys):
    code, out, _ = run_cli(capsys, "explain", "FOL002")
    assert code == 0
    for heading in ("What it does:", "Why it is wrong:", "Example:", "Use instead:"):
        assert heading in out
    assert "entry.val++" in out
    assert run_cli(capsys, "explain", "swap-entry-not-advanced")[1] == out


def test_explain_unknown_rule(capsys):
    code, _, err = run_cli(capsys, "explain", "FOL777")
    assert code == 2 and "no rule 'FOL777'" in err


def test_loops_lists_the_model(capsys):
    code, out, err = run_cli(capsys, "loops", str(FIXTURES / "FOL001" / "shapes.c"))
    assert code == 0
    lines = out.splitlines()
    assert f"{FIXTURES / 'FOL001' / 'shapes.c'}:9: zero_tail_pages(): while shape=index folio=folio index=i " \
           f"bound=folio_nr_pages(folio)" in lines
    assert any("check_each(): do shape=do-while folio=folio index=i bound=nr" in line for line in lines)
    assert any("any_mapped(): for shape=index folio=head index=i bound=compound_nr(head)" in line for line in lines)
    assert "6 per-page loops in 1 file" in err


def test_json_shape(capsys):
    files = [str(FIXTURES / "FOL002" / n) for n in ("negatives.c", "restore_tags_same_entry.c", "shapes.c")]
    code, out, _ = run_cli(capsys, *files, "--format", "json", "--no-simulate")
    data = json.loads(out)
    assert code == 1
    assert set(data) == {"folint", "findings", "errors", "summary"}
    assert set(data["summary"]) >= {"files", "parsed", "findings", "seconds"}
    assert data["summary"]["findings"] == len(data["findings"]) == 4
    f = data["findings"][0]
    assert list(f) == ["code", "name", "path", "line", "column", "end_line", "end_column", "function",
                       "message", "verdict", "evidence", "trace"]
    assert f["verdict"] == "unverified" and f["trace"] == []


def test_output_file(capsys, tmp_path):
    target = tmp_path / "report.json"
    code, out, _ = run_cli(capsys, MODEL, "--format", "json", "-o", str(target), "--no-simulate")
    assert code == 1 and out == ""
    assert json.loads(target.read_text())["summary"]["findings"] == 1


def test_config_file_select_exclude_and_rule_options(capsys, tmp_path):
    shutil.copytree(FIXTURES / "FOL002", tmp_path / "tree")
    (tmp_path / "tree" / "sub").mkdir()
    shutil.copy(MODEL, tmp_path / "tree" / "sub" / "model.c")
    (tmp_path / ".folint.toml").write_text('ignore = ["FOL002"]\nexclude = ["tree/sub/**"]\n')
    code, out, _ = run_cli(capsys, str(tmp_path / "tree"), "--no-simulate")
    assert code == 0, out
    (tmp_path / ".folint.toml").write_text('select = ["FOL001"]\n')
    code, out, _ = run_cli(capsys, str(tmp_path / "tree"), "--no-simulate")
    assert code == 1 and "[FOL001]" in out and "[FOL002]" not in out


def test_bad_config_is_exit_2(capsys, tmp_path):
    (tmp_path / ".folint.toml").write_text("select = [1, 2\n")
    shutil.copy(MODEL, tmp_path / "a.c")
    code, out, err = run_cli(capsys, str(tmp_path))
    assert code == 2 and "invalid TOML" in err and str(tmp_path / ".folint.toml") in err
    (tmp_path / ".folint.toml").write_text("selct = ['FOL001']\n")
    code, _, err = run_cli(capsys, str(tmp_path))
    assert code == 2 and "unknown key(s) selct" in err


def test_suppressions(capsys, tmp_path):
    src = (FIXTURES / "FOL001" / "save_tags_return.c").read_text()
    line_marked = src.replace("/* expect: FOL001 confirmed */", "/* folint: ignore[FOL001] checked by hand */")
    (tmp_path / "a.c").write_text(line_marked)
    before = src.replace("int arch_prepare_to_swap_folio", "/* folint: ignore */\nint arch_prepare_to_swap_folio")
    (tmp_path / "b.c").write_text(before)
    other = src.replace("/* expect: FOL001 confirmed */", "/* folint: ignore[FOL002] */")
    (tmp_path / "c.c").write_text(other)
    _, out, _ = run_cli(capsys, str(tmp_path), "--no-simulate")
    assert "a.c" not in out and "b.c" not in out
    assert "c.c:15:3" in out


def test_jobs_give_the_same_result(capsys):
    outs = {run_cli(capsys, str(FIXTURES), "--format", "json", "--no-simulate", "--jobs", j)[1] for j in ("1", "2")}
    assert len({json.dumps(json.loads(o)["findings"]) for o in outs}) == 1


def test_text_snapshot(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    _, out, _ = run_cli(capsys, "fixtures/FOL005", "--no-simulate", "--select", "FOL005")
    assert_snapshot("fol005.txt", out)


def test_json_snapshot(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    _, out, _ = run_cli(capsys, "fixtures/FOL002/negatives.c", "fixtures/FOL002/restore_tags_same_entry.c", "fixtures/FOL002/shapes.c", "--format", "json", "--no-simulate", "--select", "FOL002")
    assert_snapshot("fol002.json", out)


def test_sarif_snapshot(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    _, out, _ = run_cli(capsys, "fixtures/FOL001/save_tags_return.c", "--format", "sarif", "--no-simulate",
                        "--select", "FOL001,FOL002,FOL005")
    assert_snapshot("fol001.sarif", out)
