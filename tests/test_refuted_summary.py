"""The summary and the review mail say what refuted a finding: the simulation, or the
function's callers across the tree (FOL009, ``folint.caller_context``)."""

from conftest import FIXTURES
from folint.cli import main
from folint.enums import Verdict
from folint.finding import Finding
from folint.reporters.review import verdict_sentence
from test_fol009 import CALLEE, _callers_tree, _new_file_diff


def _check_patch(capsys, tmp_path, *extra):
    tree = _callers_tree(tmp_path)
    (tree / "mm" / "memory-failure.c").unlink()
    patch = tmp_path / "p.diff"
    # two findings the simulation refutes, one its hugetlbfs caller refutes
    sim = (FIXTURES / "FOL004" / "refuted_by_simulation.c").read_text()
    patch.write_text(_new_file_diff("mm/memory-failure.c", CALLEE) + _new_file_diff("mm/sim.c", sim))
    main(["check-patch", "--no-cache", "-j", "1", "--tree", str(tree), *extra, str(patch)])
    return capsys.readouterr().out.rstrip("\n").split("\n")[-1]


def test_hidden_refuted_findings_are_counted_without_claiming_the_simulation(capsys, tmp_path):
    tail = _check_patch(capsys, tmp_path)
    assert tail.endswith("; 3 refuted by simulation or by the callers (hidden; --show-refuted shows them)"), tail


def test_shown_refuted_findings_are_counted_once_by_what_refuted_them(capsys, tmp_path):
    tail = _check_patch(capsys, tmp_path, "--show-refuted")
    assert tail.startswith("3 findings") and tail.endswith("; 3 refuted (2 by simulation, 1 by the callers)"), tail


def test_the_review_mail_says_the_callers_refute_it():
    f = Finding("FOL009", "per-page-flag-on-folio", "mm/memory-failure.c", 6, 2, 6, 30, "demo_raw_in_huge",
                "m", Verdict.REFUTED, "callers: every caller of demo_raw_in_huge() passes a page of a hugetlb "
                "or small folio: fs/hugetlbfs/inode.c:3 (demo_safe_bytes(), hugetlb code)")
    assert verdict_sentence(f).startswith("Its callers refute this, so it may be a false positive: every caller")
    f.evidence = "with a 4-page folio, no path leaves"
    assert verdict_sentence(f).startswith("The simulation refutes this")
