"""FOL008, FOL011 and FOL012 on real Linux 6.12 code (skipped, saying why, without a tree).

Each test copies one 6.12 file that has the correct form into a temporary folder at
test time, puts the wrong form into one function, and shows the finding there and
its confirmation by the simulator; the original file gives no finding in that
function.  The kernel text is never stored in the repository.
"""

import json

import pytest

from conftest import kernel_tree_or_skip, planted_copy
from folint.cli import main


@pytest.fixture(scope="module")
def tree():
    return kernel_tree_or_skip()


def findings(capsys, path, code):
    main([str(path), "--select", code, "--format", "json"])
    return json.loads(capsys.readouterr().out)["findings"]


def test_fol008_pswpout_counted_once(capsys, tree, tmp_path):
    orig, bug = planted_copy(tmp_path, "mm/page_io.c", "count_vm_events(PSWPOUT, folio_nr_pages(folio));",
                        "count_vm_event(PSWPOUT);")
    assert [f for f in findings(capsys, orig, "FOL008") if f["function"] == "count_swpout_vm_event"] == []
    got = [f for f in findings(capsys, bug, "FOL008") if f["function"] == "count_swpout_vm_event"]
    assert len(got) == 1 and got[0]["verdict"] == "confirmed", got
    assert "count_vm_events(PSWPOUT, folio_nr_pages(folio))" in got[0]["message"]
    assert "4-page folio 'folio'" in got[0]["evidence"] and "not 4" in got[0]["evidence"]


def test_fol011_unlock_after_put(capsys, tree, tmp_path):
    correct = "\t\t\tfolio_unlock(folio);\n\t\t\tfolio_put(folio);\n\t\t\tgoto repeat;"
    wrong = "\t\t\tfolio_put(folio);\n\t\t\tfolio_unlock(folio);\n\t\t\tgoto repeat;"
    orig, bug = planted_copy(tmp_path, "mm/filemap.c", correct, wrong)
    assert [f for f in findings(capsys, orig, "FOL011") if f["function"] == "__filemap_get_folio"] == []
    got = [f for f in findings(capsys, bug, "FOL011") if f["function"] == "__filemap_get_folio"]
    assert len(got) == 1 and got[0]["verdict"] == "confirmed", got
    assert "then folio_unlock(" in got[0]["evidence"]


def test_fol011_disjoint_modes_of_folio_wait_bit_common(capsys, tree, tmp_path):
    """The put only when behavior == DROP, the use only past `if (behavior != EXCLUSIVE)
    break;`: disjoint paths, clean (was a false positive); a later test that does not leave
    the DROP path (`behavior == SHARED`) makes the use reachable again, and it is found."""
    correct = "\t\tif (behavior != EXCLUSIVE)\n\t\t\tbreak;"
    orig, bug = planted_copy(tmp_path, "mm/filemap.c", correct, correct.replace("!= EXCLUSIVE", "== SHARED"))
    assert [f for f in findings(capsys, orig, "FOL011") if f["function"] == "folio_wait_bit_common"] == []
    got = [f for f in findings(capsys, bug, "FOL011") if f["function"] == "folio_wait_bit_common"]
    assert len(got) == 1 and "folio_flags(folio, 0)" in got[0]["message"], got


def test_fol012_size_as_length(capsys, tree, tmp_path):
    orig, bug = planted_copy(tmp_path, "mm/truncate.c", "folio_zero_range(folio, offset, length);",
                        "folio_zero_range(folio, offset, folio_size(folio));")
    assert [f for f in findings(capsys, orig, "FOL012") if f["function"] == "truncate_inode_partial_folio"] == []
    got = [f for f in findings(capsys, bug, "FOL012") if f["function"] == "truncate_inode_partial_folio"]
    assert len(got) == 1 and got[0]["verdict"] == "confirmed", got
    assert "past the 4-page folio's 16384 bytes" in got[0]["evidence"]


def test_fol012_length_as_end_in_blocklayout_is_confirmed(capsys, tree):
    """A real bug, in the tree as it is (6.12 and 6.1): bl_read_pagelist() zeroes a hole with
    zero_user_segment(pages[i], pg_offset, pg_len), a length where the end goes.  The
    simulator gives pages[i] a model page and chooses pg_offset (read from the header) for
    the direct-I/O path, where pg_len = PAGE_SIZE - pg_offset."""
    got = [f for f in findings(capsys, tree / "fs/nfs/blocklayout/blocklayout.c", "FOL012")
           if f["function"] == "bl_read_pagelist"]
    assert len(got) == 1 and "the end pg_offset + pg_len" in got[0]["message"], got
    assert got[0]["verdict"] == "confirmed", got[0]["evidence"]
    assert "pg_offset = 1024" in got[0]["evidence"]
    assert "zero_user_segment(page 0 of folio of pages[i], 1024, 3072)" in got[0]["evidence"]
    assert "stops 1024 bytes short" in got[0]["evidence"]
