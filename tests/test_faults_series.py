"""Issue 14, part 12: a long series costs one parse a patch (the before-text of a patch
is the text the previous one left, whose parse is kept) and a check of the functions it
touches only (tests/test_patch_focus.py: the same results as the whole check), and a
duplicated patch is one note with its finding reported once."""

import folint.patch.series as series
from folint.cli import main

LOOP = ("int demo_save_{k}(struct folio *folio)\n{{\n\tlong i, nr = folio_nr_pages(folio);\n\n"
        "\tfor (i = 0; i < nr; i++)\n\t\treturn demo_save_tags(folio_page(folio, i), {v});\n\treturn 0;\n}}\n\n")
FUNCS = 6


def _series(tmp_path, n: int, duplicate: int | None = None) -> str:
    """``n`` patches, each changing the return of one function (so each introduces a
    finding); ``duplicate``: the number of a patch sent twice (right after itself)."""
    vals = [100 * k for k in range(FUNCS)]  # no two functions alike: a hunk applies at one place only
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "s.c").write_text("".join(LOOP.format(k=k, v=vals[k]) for k in range(FUNCS)))
    mails = []
    for p in range(n):
        k = p % FUNCS
        old = f"\t\treturn demo_save_tags(folio_page(folio, i), {vals[k]});\n"
        vals[k] += 1
        new = old.replace(f"i), {vals[k] - 1})", f"i), {vals[k]})")
        mail = (f"From {p:040x} Mon Sep 17 00:00:00 2001\nFrom: T <t@example.org>\nSubject: [PATCH] demo {p + 1}\n\n"
                f"---\ndiff --git a/s.c b/s.c\n--- a/s.c\n+++ b/s.c\n@@ -{k * 9 + 6},1 +{k * 9 + 6},1 @@\n-{old}+{new}\n")
        mails.append(mail)
        if p + 1 == duplicate:
            mails.append(mail)
    (tmp_path / "series.mbox").write_text("".join(mails))
    return str(tmp_path / "series.mbox")


def _counting(monkeypatch) -> tuple[list, list]:
    """(texts parsed by the series, the focus of each check) as check-patch runs."""
    parsed, focuses = [], []
    real_parse, real_reparse, real_check = series.SourceFile, series.reparsed, series.check_source

    def parsing(path, raw, *a, **k):
        parsed.append(raw)
        return real_parse(path, raw, *a, **k)

    def reparsing(before, path, raw):
        parsed.append(raw)
        return real_reparse(before, path, raw)

    def checking(path, raw, *a, **k):
        focuses.append(k.get("focus"))
        return real_check(path, raw, *a, **k)
    monkeypatch.setattr(series, "SourceFile", parsing)
    monkeypatch.setattr(series, "reparsed", reparsing)
    monkeypatch.setattr(series, "check_source", checking)
    return parsed, focuses


def test_each_text_is_parsed_once_only_touched_functions_are_checked_and_every_finding_is_reported(
        tmp_path, monkeypatch, capsys):
    mbox = _series(tmp_path, 12)
    parsed, focuses = _counting(monkeypatch)
    assert main(["check-patch", "--no-simulate", "--no-cache", "--tree", str(tmp_path / "tree"), mbox]) == 1
    out = capsys.readouterr().out
    assert out.count("[FOL001]") == 12 and "12 findings" in out
    # each patch's text once, and the tree's text before the first patch (was: four parses a patch);
    # the tree index's summaries are made from these parses too
    assert len(parsed) == 12 + 1 and len(set(parsed)) == 13
    # each patch: its one function checked after, and (it has a finding there) before; never the whole file
    assert len(focuses) == 2 * 12 and all(f is not None and len(f) == 1 for f in focuses), focuses


def test_a_duplicated_patch_is_one_note_and_its_finding_is_reported_once(tmp_path, capsys):
    mbox = _series(tmp_path, 3, duplicate=2)
    assert main(["check-patch", "--no-simulate", "--no-cache", "--tree", str(tmp_path / "tree"), mbox]) == 1
    out, err = capsys.readouterr()
    assert out.count("[FOL001]") == 3 and out.count("demo_save_tags(folio_page(folio, i), 101)") == 1
    notes = [ln for ln in err.splitlines() if "duplicate" in ln]
    assert len(notes) == 1 and "0003/0004 demo 2: the same change as 0002/0004 demo 2" in notes[0], err


def test_a_patch_that_puts_back_what_an_earlier_one_took_out_is_still_reported(tmp_path, capsys):
    """Not a duplicate: the same key reported for another patch does not hide it."""
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "a.c").write_text("int x;\n")
    body = LOOP.format(k=0, v=0).rstrip("\n").split("\n")
    add = "".join("+" + ln + "\n" for ln in body)
    rm = "".join("-" + ln + "\n" for ln in body)
    mk = lambda n, hunk: (f"From {n:040x} Mon Sep 17 00:00:00 2001\nFrom: T <t@example.org>\nSubject: [PATCH] p{n}\n\n"
                          f"---\ndiff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n{hunk}\n")
    add_hunk = f"@@ -1,1 +1,{len(body) + 1} @@\n int x;\n{add}"
    rm_hunk = f"@@ -1,{len(body) + 1} +1,1 @@\n int x;\n{rm}"
    (tmp_path / "s.mbox").write_text(mk(1, add_hunk) + mk(2, rm_hunk) + mk(3, add_hunk))
    main(["check-patch", "--no-simulate", "--no-cache", "--tree", str(tmp_path / "tree"), str(tmp_path / "s.mbox")])
    out, err = capsys.readouterr()
    assert out.count("[FOL001]") == 2 and "introduced by: 0001/0003 p1" in out and "introduced by: 0003/0003 p3" in out
    assert "duplicate" not in err  # patch 3 makes the change patch 1 made, but applies: not a duplicate
