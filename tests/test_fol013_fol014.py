"""FOL013 / FOL014 beyond the fixtures: what they suggest follows the checked tree's
helpers (API facts), and the real 6.12 tree with the wrong form planted in a copy."""

import json
import re
import shutil

import pytest

from conftest import FIXTURES, kernel_tree_or_skip
from folint.cli import main

COPY = """static void zero_rest(struct folio *folio, size_t dsize)
{
	void *kaddr = kmap_local_folio(folio, 0);

	memset(kaddr + dsize, 0, folio_size(folio) - dsize);
	kunmap_local(kaddr);
}

static void read_more(struct inode *inode, struct folio *folio, void *addr, unsigned int i)
{
	addr = kmap_local_folio(folio, 0);
	if (folio_test_highmem(folio) && !offset_in_page(addr)) {
		kunmap_local(addr);
		addr = kmap_local_folio(folio, i * PAGE_SIZE);
	}
	kunmap_local(addr);
}

static void add(struct scatterlist *sg, struct folio *folio, loff_t pos, size_t len)
{
	sg_set_page(sg, &folio->page, len, offset_in_page(offset_in_folio(folio, pos)));
}
"""


def check(capsys, *argv):
    code = main([*map(str, argv), "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def fake_tree(tmp_path, name, extra_headers):
    tree = tmp_path / name
    shutil.copytree(FIXTURES / "facts" / "tree-6.1", tree)
    for rel, text in extra_headers.items():
        path = tree / rel
        path.write_text((path.read_text() if path.exists() else "") + text)
    (tree / "fs").mkdir(exist_ok=True)
    (tree / "fs" / "x.c").write_text(COPY)
    return tree


def messages(capsys, tree, tmp_path):
    code, data = check(capsys, tree / "fs" / "x.c", "--select", "FOL013,FOL014", "--no-simulate",
                       "--cache-dir", tmp_path / "cache")
    assert code == 1 and not data["errors"]
    return {f["line"]: f["message"] for f in data["findings"]}


def test_suggestions_follow_the_helpers_of_the_tree(capsys, tmp_path):
    """6.1 has kmap_local_folio() and folio_zero_range() but no folio_test_partial_kmap() nor
    sg_set_folio(); a tree that declares them gets them suggested."""
    old = fake_tree(tmp_path, "old", {"include/linux/highmem.h": (
        "static inline void *kmap_local_folio(struct folio *folio, size_t offset);\n"
        "static inline void folio_zero_range(struct folio *folio, size_t start, size_t length)\n{\n}\n")})
    new = fake_tree(tmp_path, "new", {
        "include/linux/highmem.h": "static inline void folio_zero_range(struct folio *folio, size_t s, size_t n)\n{\n}\n",
        "include/linux/page-flags.h": "#define folio_test_partial_kmap(f)\tfolio_test_highmem(f)\n",
        "include/linux/scatterlist.h": "static inline void sg_set_folio(struct scatterlist *sg, struct folio *f,\n"
                                       "\t\tsize_t len, size_t offset)\n{\n}\n"})
    before, after = messages(capsys, old, tmp_path), messages(capsys, new, tmp_path)
    assert sorted(before) == sorted(after) == [5, 12, 21]
    assert "use folio_zero_range()" in before[5] and "include/linux/highmem.h" in before[5]
    assert "IS_ENABLED(CONFIG_DEBUG_KMAP_LOCAL_FORCE_MAP) || folio_test_highmem(folio)" in before[12]
    assert "folio_test_partial_kmap(folio) instead" in after[12] and "page-flags.h" in after[12]
    assert "sg_set_folio" not in before[21] and "use sg_set_folio()" in after[21]


@pytest.fixture(scope="module")
def tree():
    return kernel_tree_or_skip()


def test_memcpy_from_file_folio_without_its_partial_kmap_test_is_found(capsys, tree, tmp_path):
    """6.12's memcpy_from_file_folio() clamps to the page when folio_test_partial_kmap();
    take that away and the folio-sized copy through kmap_local_folio() is found."""
    text = (tree / "include/linux/highmem.h").read_text()
    right = re.search(r"\tif \(folio_test_partial_kmap\(folio\)\) \{\n\t\toffset = offset_in_page\(offset\);\n"
                      r"\t\tlen = min_t\(size_t, len, PAGE_SIZE - offset\);\n\t\} else\n"
                      r"(\t\tlen = min\(len, folio_size\(folio\) - offset\);\n)", text)
    assert right, "6.12 highmem.h memcpy_from_file_folio() changed shape; update this test"
    (tmp_path / "highmem.h").write_text(text)
    code, data = check(capsys, tmp_path / "highmem.h", "--select", "FOL013")
    assert code == 0 and data["findings"] == []
    (tmp_path / "highmem.h").write_text(text.replace(right.group(0), right.group(1)[1:]))
    code, data = check(capsys, tmp_path / "highmem.h", "--select", "FOL013")
    got = [(f["function"], f["verdict"]) for f in data["findings"]]
    assert code == 1 and got == [("memcpy_from_file_folio", "confirmed")], data["findings"]
    assert "maps 4096 bytes from byte 0 of page 0" in data["findings"][0]["evidence"]
    assert "memcpy() copies 16384 bytes" in data["findings"][0]["evidence"]


def test_folio_fill_tail_with_a_highmem_only_test_is_found(capsys, tree, tmp_path):
    """6.12's folio_fill_tail() maps page by page when folio_test_partial_kmap(); testing
    folio_test_highmem() instead (the 6.1-era habit) misses CONFIG_DEBUG_KMAP_LOCAL_FORCE_MAP."""
    text = (tree / "include/linux/highmem.h").read_text()
    start = text.index("static inline void folio_fill_tail(")
    body = text[start:text.index("\n}\n", start)]
    assert body.count("if (folio_test_partial_kmap(folio)) {") == 1, "6.12 folio_fill_tail() changed shape"
    wrong = text[:start] + body.replace("folio_test_partial_kmap(folio)", "folio_test_highmem(folio)") + \
        text[start + len(body):]
    (tmp_path / "highmem.h").write_text(wrong)
    code, data = check(capsys, tmp_path / "highmem.h", "--select", "FOL013")
    got = [(f["function"], f["verdict"]) for f in data["findings"]]
    assert code == 1 and got == [("folio_fill_tail", "confirmed")], data["findings"]
    assert "memcpy() gets byte 0 of the mapping and a length of 16384" in data["findings"][0]["evidence"]


def test_bio_add_folio_with_the_head_page_is_found(capsys, tree, tmp_path):
    """6.12's bio_add_folio() passes folio_page(folio, off / PAGE_SIZE) with off % PAGE_SIZE;
    with folio_page(folio, 0) the page index is dropped."""
    text = (tree / "block/bio.c").read_text()
    right = "return bio_add_page(bio, folio_page(folio, nr), len, off % PAGE_SIZE) > 0;"
    assert right in text, "6.12 block/bio.c bio_add_folio() changed shape; update this test"
    (tmp_path / "bio.c").write_text(text)
    code, data = check(capsys, tmp_path / "bio.c", "--select", "FOL014")
    assert data["findings"] == []
    (tmp_path / "bio.c").write_text(text.replace(right, right.replace("folio_page(folio, nr)",
                                                                      "folio_page(folio, 0)")))
    code, data = check(capsys, tmp_path / "bio.c", "--select", "FOL014")
    got = [(f["function"], f["verdict"]) for f in data["findings"]]
    assert code == 1 and got == [("bio_add_folio", "confirmed")], data["findings"]
    assert "bio_add_page() got page 0 of folio with offset 512, byte 512 of page 0 instead of page 2" in \
        data["findings"][0]["evidence"]


TRIAGED_612 = {  # every FOL013/FOL014 finding on the whole 6.12 tree, read and judged (see the issue notes)
    ("FOL013", "arch/mips/mm/dma-noncoherent.c", "dma_sync_phys"),      # MIPS has no FORCE_MAP: harmless
    ("FOL013", "fs/gfs2/bmap.c", "gfs2_unstuffer_folio"),               # gfs2 folios are one page
    ("FOL013", "fs/minix/dir.c", "minix_make_empty"),                   # no large folios in minix
    ("FOL013", "fs/sysv/dir.c", "sysv_make_empty"),
    ("FOL013", "fs/ufs/dir.c", "ufs_make_empty"),
    ("FOL013", "fs/ubifs/file.c", "do_readpage"),                        # ubifs: one-page folios
    ("FOL013", "fs/ubifs/file.c", "populate_page"),
    ("FOL013", "fs/ubifs/file.c", "do_writepage"),
    ("FOL014", "fs/btrfs/tests/extent-io-tests.c", "dump_eb_and_memory_contents"),  # order-0 test ebs
}


def test_the_triaged_612_findings_and_no_others(capsys, tree):
    """The folders holding every 6.12 finding, plus kernel/power (copy_data_page was a false
    positive, now a negative fixture): exactly the triaged set."""
    folders = sorted({tree / p for _c, p, _f in TRIAGED_612} | {tree / "kernel/power/snapshot.c"})
    code, data = check(capsys, *folders, "--select", "FOL013,FOL014", "--no-simulate")
    got = {(f["code"], f["path"][len(str(tree)) + 1:], f["function"]) for f in data["findings"]}
    assert got == TRIAGED_612


def test_the_612_btrfs_finding_says_why_the_simulator_cannot_judge_it(capsys, tree):
    """extent-io-tests.c dump_eb_and_memory_contents(): real but harmless (the test's
    extent buffers are order 0); the offset is the loop counter, so it stays inconclusive,
    with that reason."""
    code, data = check(capsys, tree / "fs/btrfs/tests/extent-io-tests.c", "--select", "FOL014")
    got = [f for f in data["findings"] if f["function"] == "dump_eb_and_memory_contents"]
    assert len(got) == 1 and got[0]["verdict"] == "inconclusive", got
    assert "it comes from 'i', the counter of the loop" in got[0]["evidence"]
    assert "which steps by one" in got[0]["evidence"]
