"""Issue 13, parts 4, 6 and 7: exit codes and inputs, quiet output, CI formats."""

import io
import json
import re

import pytest

from conftest import FIXTURES, ROOT
from folint.cli import main

EXAMPLE = str(ROOT / "examples" / "mte_swap.c")
CLEAN = str(FIXTURES / "clean")


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_missing_target_is_exit_2(capsys):
    code, out, err = run_cli(capsys, "/nonexistent/mm.c")
    assert code == 2 and out == ""
    assert err.strip() == "folint: error: /nonexistent/mm.c: no such file or folder; check the path"


def test_stdin_is_read_as_c_and_named(capsys, monkeypatch):
    source = open(EXAMPLE, "rb").read()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(source)))
    code, out, _ = run_cli(capsys, "-", "--stdin-filename", "arch/arm64/mm/mteswap.c", "--no-simulate")
    assert code == 1
    assert out.startswith("arch/arm64/mm/mteswap.c:16:")
    assert "return mte_save_tags(folio_page(folio, i));" in out.splitlines()[1]  # source line from stdin
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"int f(void) { return 0; }\n")))
    code, out, _ = run_cli(capsys, "-", "-q")
    assert code == 0 and out == ""


def test_stdin_filename_is_excluded_like_a_file(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(open(EXAMPLE, "rb").read())))
    code, out, _ = run_cli(capsys, "-", "--stdin-filename", "arch/x.c", "--exclude", "arch/*", "-q")
    assert code == 0 and out == ""


def test_exit_zero_and_statistics(capsys):
    code, out, _ = run_cli(capsys, EXAMPLE, "--no-simulate", "--exit-zero", "--statistics")
    assert code == 0
    stats = [ln for ln in out.splitlines() if re.match(r"^\s+\d+  FOL\d{3}  ", ln)]
    counts = {ln.split()[1]: int(ln.split()[0]) for ln in stats}
    assert set(counts) <= {"FOL001", "FOL002", "FOL004", "FOL005"} and len(counts) >= 2
    assert sum(counts.values()) == out.count(": warning: ") == 3


def test_exclude_on_the_command_line(capsys):
    code, out, _ = run_cli(capsys, str(ROOT / "examples"), "--no-simulate", "--exclude", "mte_*.c")
    assert code == 0 and "0 findings" in out


def test_quiet_prints_nothing_when_clean(capsys):
    code, out, err = run_cli(capsys, CLEAN, "-q")
    assert (code, out, err) == (0, "", "")


def test_quiet_keeps_the_findings_drops_the_summary(capsys):
    code, out, _ = run_cli(capsys, EXAMPLE, "-q", "--no-simulate")
    assert code == 1 and out.count(": warning: ") == 3 and " findings in " not in out


def test_oneline_one_line_per_finding(capsys):
    code, out, err = run_cli(capsys, EXAMPLE, "--format", "oneline")
    lines = out.splitlines()
    assert code == 1 and len(lines) == 3
    for ln in lines:
        m = re.fullmatch(r"(.+):(\d+):(\d+): (ERROR|WARNING): (.+) \[(FOL\d{3})\] \((\w+)\)", ln)
        assert m, ln
        assert (m.group(4) == "ERROR") == (m.group(7) == "confirmed")
    assert any(": ERROR: " in ln for ln in lines)  # the simulator confirms the example's bugs


def test_github_annotations(capsys):
    code, out, _ = run_cli(capsys, EXAMPLE, "--format", "github")
    lines = out.splitlines()
    assert code == 1 and len(lines) == 3
    pattern = re.compile(r"::(error|warning) file=([^,]+),line=(\d+),col=(\d+),endLine=(\d+),endColumn=(\d+),"
                         r"title=(FOL\d{3}) [a-z-]+::(.+)")
    for ln in lines:
        m = pattern.fullmatch(ln)
        assert m, ln
        assert m.group(2) == EXAMPLE.replace(":", "%3A").replace(",", "%2C")
        assert "\n" not in m.group(8) and "%0A" in m.group(8)  # evidence on the next line, escaped


def test_github_escapes_properties():
    from folint.finding import Finding
    from folint.reporters import github
    from folint.runner import RunResult

    f = Finding("FOL001", "x", "a,b:c%.c", 1, 2, 1, 3, None, "50% of\nit")
    (line,) = github.render(RunResult(findings=[f])).splitlines()
    assert line == "::warning file=a%2Cb%3Ac%25.c,line=1,col=2,endLine=1,endColumn=3,title=FOL001 x::50%25 of%0Ait [FOL001] (unverified)"


GITLAB_SCHEMA = {  # the fields GitLab's code quality widget reads (docs: "Code Quality report format")
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string"},
            "fingerprint": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object", "required": ["path", "lines"],
                "properties": {"path": {"type": "string"},
                               "lines": {"type": "object", "required": ["begin"],
                                         "properties": {"begin": {"type": "integer", "minimum": 1},
                                                        "end": {"type": "integer", "minimum": 1}}}},
            },
        },
    },
}


def test_gitlab_code_quality(capsys):
    jsonschema = pytest.importorskip("jsonschema")
    code, out, _ = run_cli(capsys, EXAMPLE, "--format", "gitlab")
    report = json.loads(out)
    jsonschema.validate(report, GITLAB_SCHEMA)
    assert code == 1 and len(report) == 3
    assert len({i["fingerprint"] for i in report}) == 3
    assert {i["location"]["path"] for i in report} == {EXAMPLE}
    code, out, _ = run_cli(capsys, CLEAN, "--format", "gitlab")
    assert code == 0 and json.loads(out) == []


def test_gitlab_fingerprint_survives_a_line_move(capsys, tmp_path):
    moved = tmp_path / "mte_swap.c"
    text = open(EXAMPLE).read()
    moved.write_text("\n\n\n" + text)
    first = json.loads(run_cli(capsys, str(moved), "--format", "gitlab", "--no-simulate")[1])
    moved.write_text(text)
    second = json.loads(run_cli(capsys, str(moved), "--format", "gitlab", "--no-simulate")[1])
    assert [i["fingerprint"] for i in first] == [i["fingerprint"] for i in second]
    assert [i["location"]["lines"]["begin"] - 3 for i in first] == [i["location"]["lines"]["begin"] for i in second]


PATCHES = FIXTURES / "patches"
COVER = """From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Jane Developer <jane@example.org>
Subject: [PATCH 0/1] arm64: mte: swap large folios

*** BLURB HERE ***
"""


def test_cover_letter_file_is_a_note_and_skipped(capsys, tmp_path):
    cover = tmp_path / "0000-cover-letter.patch"
    cover.write_text(COVER)
    tree = str(PATCHES / "tree")
    alone = run_cli(capsys, "check-patch", "--no-simulate", "--tree", tree, str(PATCHES / "early-return.patch"))
    code, out, err = run_cli(capsys, "check-patch", "--no-simulate", "--tree", tree, str(cover),
                             str(PATCHES / "early-return.patch"))
    assert code == alone[0] == 1 and ": error: " not in err
    assert f"{cover}:1: note: no diff in the mail '[PATCH 0/1] arm64: mte: swap large folios'" in err
    code, out, err = run_cli(capsys, "check-patch", "--no-simulate", "--tree", tree, "-q", str(cover),
                             str(PATCHES / "early-return.patch"))
    assert err == "" and out.count(": warning: ") == alone[1].count(": warning: ")


def test_cover_letters_alone_are_no_patch(capsys, tmp_path):
    cover = tmp_path / "0000-cover-letter.patch"
    cover.write_text(COVER)
    code, _, err = run_cli(capsys, "check-patch", "--no-tree", str(cover), str(cover))
    assert code == 2 and "no patch in 2 inputs (only mails without a diff)" in err


def test_check_patch_quiet_and_exit_zero(capsys):
    tree = str(PATCHES / "tree")
    code, out, err = run_cli(capsys, "check-patch", "--tree", tree, "-q", "--exit-zero", "--format", "oneline",
                             str(PATCHES / "early-return.patch"))
    assert code == 0 and err == "" and out and all(" [FOL" in ln for ln in out.splitlines())
    code, out, err = run_cli(capsys, "check-patch", "--tree", tree, "-q", str(PATCHES / "comment-only.patch"))
    assert (code, out, err) == (0, "", "")


def test_series_shows_each_patch_own_source_line(capsys):
    """Patch 1 of series-lines.mbox brings an early return at line 22; patch 2 then moves
    everything down by five lines.  The finding shows line 22 as patch 1 left it."""
    from snapshot import assert_snapshot

    code, out, _ = run_cli(capsys, "check-patch", "--tree", str(PATCHES / "tree"), "-v",
                           str(PATCHES / "series-lines.mbox"))
    assert code == 1 and "\t\treturn mte_save_tags(folio_page(folio, i));" not in out
    assert out.splitlines()[1].strip() == "return mte_save_tags(folio_page(folio, i));"
    assert_snapshot("series_lines_tree.txt", out)


def test_no_tree_evidence_uses_the_file_line_numbers(capsys):
    from snapshot import assert_snapshot

    code, out, _ = run_cli(capsys, "check-patch", "--no-tree", "-v", str(PATCHES / "series-lines.mbox"))
    tree = run_cli(capsys, "check-patch", "--tree", str(PATCHES / "tree"), "-v", str(PATCHES / "series-lines.mbox"))
    assert code == 1 and "returned at line 22;" in out and "line 6" not in out
    # the same finding, source line and evidence as the full check (the trace sees less of the file)
    assert out.splitlines()[:5] == tree[1].splitlines()[:5]
    assert "leave the loop at line 21 after 1 iteration" in out
    assert_snapshot("series_lines_no_tree.txt", out)
