"""``--format review``: the reply mail, snapshot-tested, and its shape checked line by line."""

import os

import pytest

from conftest import FIXTURES
from folint.cli import main
from folint.finding import Finding
from folint.patch.load import Input, load
from folint.reporters import review
from folint.runner import RunResult

PATCHES = FIXTURES / "patches"
EXPECTED = PATCHES / "expected"


def assert_mail(name: str, actual: str) -> None:
    path = EXPECTED / name
    if os.environ.get("FOLINT_UPDATE_SNAPSHOTS") or not path.exists():
        path.write_text(actual)
        if not os.environ.get("FOLINT_UPDATE_SNAPSHOTS"):
            raise AssertionError(f"{name} did not exist; written, check it and run again")
        return
    assert actual == path.read_text(), f"review mail differs from {path} (FOLINT_UPDATE_SNAPSHOTS=1 rewrites)"


@pytest.fixture(autouse=True)
def _in_patches(monkeypatch):
    monkeypatch.chdir(PATCHES)


def review_of(capsys, *patches, tree=("--tree", "tree")):
    code = main(["check-patch", "--no-simulate", *tree, "--format", "review", *patches])
    out, err = capsys.readouterr()
    return code, out, err


def test_series_and_single_patch_snapshot(capsys):
    code, out, _ = review_of(capsys, "series.mbox", "early-return.patch")
    assert code == 1
    assert_mail("review-series-and-early-return.mbox", out)


def test_reply_headers_thread_to_the_patch(capsys):
    _, out, _ = review_of(capsys, "series.mbox")
    head, body = out.split("\n\n", 1)
    headers = dict(line.split(": ", 1) for line in head.splitlines()[1:])
    assert head.splitlines()[0] == review.MBOX_FROM
    assert headers["Subject"] == "Re: [PATCH 2/3] arm64: mte: restore the tags of a large folio in one loop"
    assert headers["In-Reply-To"] == "<20250106100000.1000-2-jane@example.org>"
    assert headers["References"] == "<20250106100000.1000-0-jane@example.org> <20250106100000.1000-2-jane@example.org>"
    assert headers["To"] == "Jane Developer <jane@example.org>"
    assert "reviewer@example.org" in headers["Cc"] and "linux-mm@example.org" in headers["Cc"]


def test_quoted_lines_come_from_the_patch_and_the_comment_follows_the_offending_line(capsys):
    _, out, _ = review_of(capsys, "early-return.patch")
    patch_lines = set((PATCHES / "early-return.patch").read_text().splitlines())
    lines = out.splitlines()
    quoted = [ln[2:] if ln.startswith("> ") else ln[1:] for ln in lines if ln.startswith(">")]
    assert all(q in patch_lines or q.strip() in ("[...]", "") for q in quoted), quoted
    i = lines.index("> +\t\treturn mte_save_tags(folio_page(folio, i));")
    assert lines[i + 1] == "" and lines[i + 2].startswith("Loop over the pages of 'folio' returns")
    assert "> @@ -19,9 +19,7 @@ int arch_prepare_to_swap(struct folio *folio)" in lines
    assert all(len(ln) <= 80 for ln in lines if not ln.startswith((">", "References:", "Cc:", "Subject:")))


def test_no_findings_no_mail(capsys):
    code, out, err = review_of(capsys, "comment-only.patch")
    assert (code, out) == (0, "")


def test_without_tree_the_mail_says_the_check_was_partial(capsys):
    code, out, _ = review_of(capsys, "early-return.patch", tree=("--no-tree",))
    assert code == 1 and "(folint: no tree to apply the patch to:" in out


def test_errors_go_to_stderr_in_review_format(capsys):
    code, out, err = review_of(capsys, "bad/stale.patch")
    assert code == 2 and out == "" and "does not apply" in err


def test_verdicts_evidence_and_findings_outside_the_hunks_snapshot():
    """Rendered from hand-made findings, so the snapshot does not depend on the simulator."""
    patches, _, _ = load([Input("early-return.patch", (PATCHES / "early-return.patch").read_bytes())])
    (patch,) = patches
    for h in patch.files[0].hunks:
        h.applied_at = h.new_start
    text = (PATCHES / "tree/arch/arm64/mm/mteswap.c").read_text()

    def finding(line, verdict, evidence, function="arch_prepare_to_swap"):
        return Finding("FOL001", "loop-returns-on-first-page", "arch/arm64/mm/mteswap.c", line, 3, line, 40,
                       function, "loop over the pages of 'folio' returns on its first iteration", verdict=verdict,
                       evidence=evidence, patch=patch.label)

    result = RunResult(findings=[
        finding(22, "confirmed", "4-page folio: mte_save_tags() reached page 0 only"),
        finding(42, "inconclusive", "path limit (64) reached", function="arch_swap_restore"),
    ], partial="a made-up reason")
    out = review.render(result, patches=patches, sources={"arch/arm64/mm/mteswap.c": text})
    flat = " ".join(out.split())
    assert "Confirmed by simulation: 4-page folio: mte_save_tags() reached page 0 only." in flat
    assert "Also in arch_swap_restore(), at arch/arm64/mm/mteswap.c:42, outside the hunks quoted above:" in flat
    assert "\tmte_restore_tags(entry, folio_page(folio, i));" in out
    assert "The simulation was inconclusive: path limit (64) reached." in flat
    assert "\n\n\n" not in out
    assert all(len(ln) <= 80 for ln in out.splitlines() if not ln.startswith((">", "Cc:", "Subject:")))
    assert_mail("review-verdicts.mbox", out)
