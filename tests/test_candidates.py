"""The FOL003 conversion planner (folint/candidates.py, `folint candidates`,
`folint check --candidates`) on its own kernel-style fixture tree."""

import json
import shutil

import pytest

from conftest import FIXTURES
from folint.candidates import Judgement, LeftOut, plan
from folint.cli import main
from folint.index.build import build_index

TREE = FIXTURES / "candidates"


@pytest.fixture(scope="module")
def planned():
    return plan(build_index([str(TREE)], jobs=1, cache=False), jobs=1)


def by_name(p):
    return {c.name: c for c in p.candidates}


def test_ranked_by_share_highest_first(planned):
    ranked = [(c.name, round(c.share, 2)) for c in planned.candidates]
    assert ranked == [("note_page_clean", 1.0), ("note_callback", 1.0), ("note_page_dirty", 0.67),
                      ("note_page_young", 0.5), ("note_wrapper", 0.5), ("note_page_tags", 0.2)]
    # no caller holds a folio: not a candidate at all
    assert "note_plain_only" not in by_name(planned)


def test_levels_warning_only_where_fol003_warns(planned):
    got = by_name(planned)
    assert got["note_page_clean"].level == "warning"
    assert got["note_callback"].level == "note"  # a callback: its type is the member's
    assert got["note_callback"].callback == (f"{TREE}/mm/swap_notes.c",)
    assert {got[n].level for n in ("note_page_dirty", "note_page_young", "note_page_tags")} == {"note"}


def _plain(c):
    return {(p.site.function, p.site.line): (p.judgement, p.could_take_folio) for p in c.plain_callers}


def test_plain_callers_named_with_whether_they_could_pass_a_folio(planned):
    got = by_name(planned)
    assert _plain(got["note_page_dirty"]) == {("dirty_pfn", 23): (Judgement.NO, False)}
    assert _plain(got["note_page_young"]) == {("young_page", 38): (Judgement.FOLIO_OF_PAGE, True)}
    assert _plain(got["note_page_tags"]) == {
        ("tags_from_folio", 56): (Judgement.FROM_FOLIO, True),
        ("tags_other_folio", 81): (Judgement.FOLIO_IN_SCOPE, True),
        ("note_wrapper", 54): (Judgement.CANDIDATE, True),
    }
    # its own page parameter, and nobody hands the caller a folio
    (wrapped,) = got["note_wrapper"].plain_callers
    assert wrapped.judgement == Judgement.NO and "no caller of wrapper_plain()" in wrapped.detail
    young = got["note_page_young"].plain_callers[0]
    assert "`folio = page_folio(page)`" in young.detail


def test_shares_count_macro_callers_and_reachable_share(planned):
    tags = by_name(planned)["note_page_tags"]
    assert tags.callers == 5 and tags.unknown_callers == (f"{TREE}/include/linux/swap_notes.h:19",)
    assert tags.reachable_share == pytest.approx(0.8)
    assert [s.function for s in tags.folio_callers] == ["tags_folio"]


def test_left_out_with_the_reason(planned):
    left = {e.candidate.name: e.reason for e in planned.left_out}
    assert left == {"lock_page": LeftOut.FOLIO_API, "note_page_wrap": LeftOut.WRAPPER,
                    "note_one_page": LeftOut.PER_PAGE, "note_page_count": LeftOut.FOLIO_API}
    detail = {e.candidate.name: e.detail for e in planned.left_out}
    assert "folio_lock() exists" in detail["lock_page"]  # FOL006's table
    assert f"note_folio_count() takes a folio ({TREE}/include/linux/swap_notes.h:16)" in detail["note_page_count"]


def test_counterpart_names():
    from folint.candidates_counterparts import counterpart_names

    assert counterpart_names("bio_add_page") == ["bio_add_folio", "folio_bio_add"]
    assert counterpart_names("is_zone_device_page") == ["is_zone_device_folio", "folio_is_zone_device"]
    assert counterpart_names("page_mapcount") == ["folio_mapcount"]
    assert counterpart_names("PageMovable") == ["folio_test_movable"]
    assert counterpart_names("kmap") == []


def test_min_share_and_paths():
    index = build_index([str(TREE)], jobs=1, cache=False)
    assert [c.name for c in plan(index, min_share=0.6, jobs=1).candidates] == \
        ["note_page_clean", "note_callback", "note_page_dirty"]
    only = plan(index, paths=[str(TREE / "mm" / "left_out.c")], jobs=1)
    assert only.candidates == () and len(only.left_out) == 4


def test_a_caller_moved_since_the_index_is_unknown_not_guessed(tmp_path):
    tree = tmp_path / "t"
    shutil.copytree(TREE, tree)
    index = build_index([str(tree)], jobs=1, cache=False)
    callers = tree / "mm" / "swap_callers.c"
    callers.write_text("\n\n\n" + callers.read_text())  # every call three lines lower
    young = by_name(plan(index, jobs=1))["note_page_young"]
    assert [p.judgement for p in young.plain_callers] == [Judgement.UNKNOWN]
    assert young.reachable_share == 0.5


def run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as e:  # argparse's usage errors
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def test_command_text(capsys, monkeypatch):
    monkeypatch.chdir(TREE)
    code, out, _ = run(capsys, "candidates", "--no-cache", "-j", "1", "mm")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("mm/swap_notes.c:30:6: warning: note_page_clean(): 3 of 3 caller(s) (100%)")
    assert "mm/swap_callers.c:38 young_page() `page`, could pass a folio? yes: holds `folio = page_folio(page)`" \
        in out
    assert "mm/swap_callers.c:23 dirty_pfn() `page`, could pass a folio? no: no folio in sight" in out
    assert "left out: a folio API exists 1, compat wrappers 1, per-page helpers 1 (--all lists them)" in out
    assert lines[-1].startswith("callers outside the files checked were not seen")
    code, out, _ = run(capsys, "candidates", "--no-cache", "-j", "1", "--all", "--min-share", "100%", "mm")
    assert "note_page_dirty" not in out and "left out: note_one_page()" in out


def test_command_json(capsys, monkeypatch):
    monkeypatch.chdir(TREE)
    code, out, _ = run(capsys, "candidates", "--no-cache", "-j", "1", "--format", "json", ".")
    assert code == 0
    data = json.loads(out)
    tags = next(c for c in data["candidates"] if c["function"] == "note_page_tags")
    assert tags["share"] == 0.2 and tags["level"] == "note"
    assert {(p["caller"], p["judgement"], p["could_take_folio"]) for p in tags["plain_callers"]} == {
        ("tags_from_folio", "from-folio", True), ("tags_other_folio", "folio-in-scope", True),
        ("note_wrapper", "candidate", True)}
    assert {e["function"]: e["reason"] for e in data["left_out"]}["note_page_wrap"] == "wrapper"


def test_inside_a_kernel_tree_callers_come_from_the_whole_tree(capsys, tmp_path, monkeypatch):
    top = tmp_path / "linux"
    shutil.copytree(TREE, top)
    (top / "MAINTAINERS").write_text("")
    (top / "Kbuild").write_text("")
    (top / "Makefile").write_text("VERSION = 6\nPATCHLEVEL = 1\n")
    monkeypatch.chdir(top)
    code, out, _ = run(capsys, "candidates", "--cache-dir", str(tmp_path / "cache"), "-j", "1", "--format", "json",
                       "mm/swap_notes.c")
    data = json.loads(out)
    assert data["scope"]["tree"] == "." and data["scope"]["callers_seen"] == "whole tree"
    assert {c["path"] for c in data["candidates"]} == {"./mm/swap_notes.c"}  # only the file asked about
    tags = next(c for c in data["candidates"] if c["function"] == "note_page_tags")
    assert tags["callers"] == 5  # the callers in mm/swap_callers.c and the header's macro


@pytest.mark.parametrize("argv, message", [
    (["candidates", "no/such/dir"], "no/such/dir: no such file or folder"),
    (["candidates", "--min-share", "half", "."], "give a share such as 0.5 or 50%"),
    (["candidates", "--min-share", "150%", "."], "a share lies between 0 and 1"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_check_candidates_adds_the_notes(capsys, monkeypatch):
    monkeypatch.chdir(TREE)
    code, out, _ = run(capsys, "check", "--no-cache", "-j", "1", "--no-simulate", "--candidates", ".")
    assert "FOL003" in out and "note: note_page_tags(): 1 of 5 caller(s) (20%)" in out
    code, out, err = run(capsys, "check", "--no-cache", "-j", "1", "--candidates", "--select", "FOL001", ".")
    assert "--candidates needs FOL003" in err


def test_check_candidates_sees_every_caller_of_a_candidate_fol003_cannot_flag(tmp_path, capsys, monkeypatch):
    """f() has a plain caller beside its folio caller (FOL003 cannot flag it, so the run
    need not look for its other callers), but the planner ranks it: they are looked for."""
    (tmp_path / "a.c").write_text("void f(struct page *p)\n{\n\tSetPageReferenced(p);\n}\n")
    (tmp_path / "b.c").write_text("void g(struct folio *folio)\n{\n\tf(&folio->page);\n}\n"
                                  "void h(struct page *p)\n{\n\tf(p);\n}\n")
    (tmp_path / "c.c").write_text("void k(struct page *p)\n{\n\tf(p);\n}\n")  # no folio: deferred
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "check", "--no-cache", "-j", "1", "--no-simulate", "--candidates", ".")
    assert "note: f(): 1 of 3 caller(s) (33%)" in out and "./c.c:3 k()" in out, out
