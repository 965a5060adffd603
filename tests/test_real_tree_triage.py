"""The whole-tree triage of FOL007, FOL008, FOL010, FOL011 and FOL013 kept true on the real
6.12 and 6.1 trees (each skipped, saying why, without its tree).

Every false positive of these rules found on 6.12 and 6.1 was fixed in the engine (each has a
negative fixture); these tests check the folders that held them, in the real trees, so a
change that brings one back fails here too.  On both whole trees (issue 8 notes) FOL007,
FOL008, FOL010 and FOL011 have no finding; 6.1's only FOL013 finding is MIPS
dma_sync_phys() (real but harmless: MIPS has no CONFIG_DEBUG_KMAP_LOCAL_FORCE_MAP, and its
lowmem kmap_atomic() is the linear map).
"""

import json
import os
from pathlib import Path

import pytest

from conftest import kernel_tree_or_skip
from folint.cli import main

TREE_61 = Path(os.environ.get("FOLINT_KERNEL_TREE_61", "/tmp/linux/linux-source-6.1"))

# folder -> the false positives it held (function, rule), all fixed and now negative fixtures
FIXED_612 = {
    "mm": "zswap_writeback_entry FOL008, folio_wait_bit_common FOL011, migrate_device.c (folio_isolate_lru) FOL011, "
          "do_swap_page and ksm_get_folio FOL007",
    "fs/nilfs2": "nilfs_copy_back_pages FOL011",
    "fs/erofs": "z_erofs_fill_bio_vec FOL011",
    "kernel/events": "__replace_page FOL011",
}
FIXED_61 = {
    "mm": "try_grab_page, shmem_replace_folio FOL008",
    "fs/nilfs2": "nilfs_copy_back_pages FOL011",
    "kernel/events": "__replace_page FOL011 (page_remove_rmap)",
}


def tree_61_or_skip() -> Path:
    if not (TREE_61 / "mm").is_dir():
        pytest.skip(f"no 6.1 kernel tree at {TREE_61} (set FOLINT_KERNEL_TREE_61, or "
                    f"apt-get install linux-source-6.1 and extract it there)")
    return TREE_61


def report(capsys, *args) -> tuple[int, dict]:
    code = main([*map(str, args), "--format", "json", "--no-cache"])
    return code, json.loads(capsys.readouterr().out)


def found(data, tree: Path) -> set[tuple[str, str, str]]:
    return {(f["code"], str(Path(f["path"]).relative_to(tree)), f["function"]) for f in data["findings"]}


@pytest.mark.parametrize("version", ["6.12", "6.1"])
def test_the_folders_of_every_fixed_false_positive_are_clean(capsys, version):
    tree, folders = (kernel_tree_or_skip(), FIXED_612) if version == "6.12" else (tree_61_or_skip(), FIXED_61)
    code, data = report(capsys, *(tree / f for f in folders), "--select", "FOL007,FOL008,FOL010,FOL011")
    assert found(data, tree) == set() and code == 0
    assert data["summary"]["parsed"] >= 40  # mm/ alone: 6.12 has 63 such files, 6.1 has 47


def test_61_fol013_is_the_mips_remap_test_only(capsys):
    tree = tree_61_or_skip()
    folders = ["arch/mips", "kernel/power", "fs/ubifs", "fs/gfs2", "fs/minix", "fs/sysv", "fs/ufs"]
    code, data = report(capsys, *(tree / f for f in folders), "--select", "FOL013")
    assert found(data, tree) == {("FOL013", "arch/mips/mm/dma-noncoherent.c", "dma_sync_phys")}
    (f,) = data["findings"]
    assert f["verdict"] == "confirmed" and "kmap_atomic(page) maps 4096 bytes" in f["evidence"]


EXT4 = "fs/ext4/inode.c"
NULL_TEST_61 = ("\t\tstruct folio *folio = filemap_lock_folio(inode->i_mapping,\n"
                "\t\t\t\t      inode->i_size >> PAGE_SHIFT);\n\t\tif (!folio)\n\t\t\treturn;\n")


def test_61_null_test_is_right_in_its_tree_and_wrong_by_the_612_table(capsys, tmp_path):
    """6.1's filemap_lock_folio() returns NULL (its kerneldoc, read as a fact): its
    `if (!folio)` is right there.  The same file outside any tree is judged by the
    built-in 6.12 table, where the lookup returns an error pointer, and is flagged."""
    tree = tree_61_or_skip()
    text = (tree / EXT4).read_text()
    assert text.count(NULL_TEST_61) == 1, "6.1 fs/ext4/inode.c changed shape; update this test"
    code, data = report(capsys, tree / EXT4, "--select", "FOL007")
    assert code == 0 and data["findings"] == []
    (tmp_path / "inode.c").write_text(text)
    code, data = report(capsys, tmp_path / "inode.c", "--select", "FOL007")
    got = [f for f in data["findings"] if f["function"] == "ext4_wait_for_tail_page_commit"]
    assert code == 1 and len(got) == 1, data["findings"]
    assert "from built-in table for 6.12" in got[0]["message"] and got[0]["verdict"] == "confirmed"
