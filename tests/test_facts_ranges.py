"""The ``range_conventions`` API fact (folint/facts/ranges.py) and FOL012 reading it."""

import json
from pathlib import Path

import pytest

from folint.cli import main
from folint.facts.ranges import BUILTIN, FILES, read_conventions

TREES = {"6.1": Path("/tmp/linux/linux-source-6.1"), "6.12": Path("/tmp/linux/linux-source-6.12")}


@pytest.mark.parametrize("version", sorted(TREES))
def test_builtin_tables_are_what_the_trees_say(version):
    root = TREES[version]
    if not (root / "include/linux/highmem.h").is_file():
        pytest.skip(f"no kernel tree at {root}")
    files = {f: (root / f).read_bytes() for f in FILES if (root / f).is_file()}
    reading = read_conventions(files)
    assert reading.value == BUILTIN[version]
    assert reading.where["folio_zero_range"].startswith("include/linux/highmem.h:")


def test_roles_from_parameter_names():
    text = (b"static inline void folio_zero_range(struct folio *folio,\n\t\tsize_t start, size_t length)\n{ }\n"
            b"int bio_add_page(struct bio *, struct page *, unsigned len, unsigned off);\n"
            b"static inline void zero_user(struct page *page, unsigned, unsigned);\n")
    reading = read_conventions({"include/linux/highmem.h": text})
    assert reading.value == {"bio_add_page": ["-", "page", "len", "start"], "folio_zero_range": ["folio", "start", "len"]}
    assert reading.where["bio_add_page"] == "include/linux/highmem.h:4"


def test_fol012_follows_the_tree_convention(tmp_path, capsys):
    """A tree whose folio_zero_range() takes an end: the same call is then right, and the
    message names where the convention was read."""
    (tmp_path / "include/linux").mkdir(parents=True)
    (tmp_path / "mm").mkdir()
    (tmp_path / "Makefile").write_text("VERSION = 6\nPATCHLEVEL = 12\n")
    (tmp_path / "MAINTAINERS").write_text("")
    (tmp_path / "Kbuild").write_text("")
    (tmp_path / "include/linux/highmem.h").write_text(
        "static inline void folio_zero_range(struct folio *folio, size_t start, size_t xend)\n{\n}\n")
    code = "void f(struct folio *folio, size_t offset)\n{\n\tfolio_zero_range(folio, offset, folio_size(folio));\n}\n"
    (tmp_path / "mm/a.c").write_text(code)
    main([str(tmp_path / "mm/a.c"), "--select", "FOL012", "--no-simulate", "--format", "json", "--no-cache"])
    assert json.loads(capsys.readouterr().out)["findings"] == []
    (tmp_path / "include/linux/highmem.h").write_text(
        "static inline void folio_zero_range(struct folio *folio, size_t start, size_t length)\n{\n}\n")
    main([str(tmp_path / "mm/a.c"), "--select", "FOL012", "--no-simulate", "--format", "json", "--no-cache"])
    got = json.loads(capsys.readouterr().out)["findings"]
    assert len(got) == 1 and "convention from include/linux/highmem.h:1" in got[0]["message"]


def test_fol012_needles_cover_every_helper():
    from folint_rules.fol012_folio_range_wrong_convention import FolioRangeWrongConvention
    from folint.facts.ranges import HELPERS

    assert all(any(n.decode() in h for n in FolioRangeWrongConvention.needles) for h in HELPERS)


def test_fol008_needles_cover_every_counter():
    from folint_rules.fol008_event_counted_once_per_folio import EventCountedOncePerFolio, counter_table

    assert all(any(n.decode() in c for n in EventCountedOncePerFolio.needles) for c in counter_table().counters)
