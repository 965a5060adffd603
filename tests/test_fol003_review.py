"""The review's own patch, rebuilt against a 6.1-like tree (fixtures/patches/review-6.1*):
arch_prepare_to_swap(struct page *page) turns its page back into a folio and its only
caller passes &folio->page.  FOL003 must confirm it with the folio -> page -> folio
trace, judging by where each page came from, not by its value."""

import json

from conftest import FIXTURES
from folint.cli import main

PATCHES = FIXTURES / "patches"


def _check_patch(capsys, tmp_path, *extra):
    code = main(["check-patch", "--tree", str(PATCHES / "review-6.1" / "tree"), "--format", "json",
                 "--cache-dir", str(tmp_path / "cache"), *extra, str(PATCHES / "review-6.1.patch")])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_the_review_patch_is_confirmed_with_the_round_trip_trace(capsys, tmp_path):
    code, report, err = _check_patch(capsys, tmp_path)
    assert code == 1, err
    (f,) = [f for f in report["findings"] if f["code"] == "FOL003"]
    assert (f["path"], f["line"], f["function"]) == ("arch/arm64/mm/mteswap.c", 25, "arch_prepare_to_swap")
    assert f["verdict"] == "confirmed", f["evidence"]
    assert "folio -> page -> folio" in f["evidence"] and "swap_writepage() passes page 0" in f["evidence"]
    events = [step["event"] for step in f["trace"]]
    # the witness is the path that does the work: the page the loop rebuilds from the
    # folio (folio_page(folio, 0), equal to the parameter by value) is not a use of it
    assert "call arch_prepare_to_swap(page 0 of folio), stepping into it" in events
    assert "folio_page(folio, 0) = page 0 of folio" in events
    assert "assume system_supports_mte() is true" in events

