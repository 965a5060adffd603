"""Issue 14, part 5: a NUL byte past the binary sniff (the first 8 KB) never makes a
finding vanish silently: the file is checked with each NUL read as a space, and one
error line says where the first one is (in a file run, in check-patch with and
without a tree, with the file's own line numbers)."""

from folint.checker import BINARY_SNIFF, check_source
from folint.cli import main
from folint.config import Config
from folint.reading import nul_as_space
from folint.selection import build_rules

LOOP = (b"int demo_save(struct folio *folio)\n{\n\tlong i, nr = folio_nr_pages(folio);\n\n"
        b"\tfor (i = 0; i < nr; i++)\n\t\treturn demo_save_tags(folio_page(folio, i));\n\treturn 0;\n}\n")
UNLOCK = b"static void demo_unlock(struct folio *folio)\n{\n\tunlock_page(&folio->page);\n}\n"
PAD = b"/*" + b" " * (BINARY_SNIFF - 2) + b"*/\n"  # the NULs below are all past the sniff


def _found(raw: bytes, rules) -> tuple[list, list]:
    r = check_source("x.c", raw, rules)
    return sorted((f.code, f.line) for f in r.findings), r.errors


def test_a_nul_anywhere_keeps_every_finding_or_says_so():
    """Every position of a NUL in three functions (two FOL006, one FOL001): inside a
    token, in a comment, before and after a finding.  Before the fix 75 of the 319
    positions lost a finding with no error line."""
    rules = build_rules(Config())
    body = UNLOCK + b"/* a comment */\n" + LOOP + b"\n" + UNLOCK.replace(b"demo_unlock", b"demo_unlock2")
    want, errors = _found(PAD + body, rules)
    assert [c for c, _ in want] == ["FOL001", "FOL006", "FOL006"] and not errors
    silent = []
    for i in range(len(body) + 1):
        got, errors = _found(PAD + body[:i] + b"\0" + body[i:], rules)
        if got != want and not any("NUL byte" in e.message for e in errors):
            silent.append(i)
        assert len(errors) == 1 and "NUL byte" in errors[0].message
    assert silent == []


def test_the_line_names_where_the_first_nul_is_and_how_many():
    raw, line = nul_as_space(b"ab\ncd\0e\0\n")
    assert raw == b"ab\ncd e \n"
    assert line.startswith("line 2, column 3: the first of 2 NUL bytes in the text; checked with each read as a space")
    assert nul_as_space(b"clean\n") == (b"clean\n", None)


def test_a_file_run_reports_the_finding_and_one_line_and_no_nul_reaches_the_terminal(tmp_path, capsys):
    (tmp_path / "nul.c").write_bytes(PAD + LOOP.replace(b"\t\treturn", b"\t\t\0return"))
    assert main(["--no-cache", "--no-simulate", str(tmp_path / "nul.c")]) == 1
    out, err = capsys.readouterr()
    assert "nul.c:7:4:" in out and "[FOL001]" in out and "\0" not in out
    assert err.count(": error: ") == 1 and "line 7, column 3: a NUL byte" in err


def test_a_nul_that_splits_the_return_is_one_error_line(tmp_path, capsys):
    (tmp_path / "nul.c").write_bytes(PAD + LOOP.replace(b"return demo", b"ret\0urn demo"))
    main(["--no-cache", "--no-simulate", str(tmp_path / "nul.c")])
    out, err = capsys.readouterr()
    assert "line 7, column 6: a NUL byte" in err and "may be missed" in err


def _patch(tmp_path):
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "a.c").write_bytes(PAD + b"int x;\n")
    lines = LOOP.replace(b"\t\treturn", b"\t\t\0return").split(b"\n")[:-1]
    (tmp_path / "p.diff").write_bytes(b"diff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n"
                                      b"@@ -2,1 +2,%d @@\n int x;\n" % (len(lines) + 1)
                                      + b"".join(b"+" + ln + b"\n" for ln in lines))


def test_a_nul_in_a_patch_is_one_line_with_the_file_line_with_and_without_a_tree(tmp_path, capsys):
    _patch(tmp_path)
    for where in (["--tree", str(tmp_path / "tree")], ["--no-tree"]):
        assert main(["check-patch", "--no-simulate", *where, str(tmp_path / "p.diff")]) == 1
        out, err = capsys.readouterr()
        assert "a.c:8:4:" in out and "[FOL001]" in out, where
        assert err.count(": error: ") == 1 and "line 8, column 3: a NUL byte" in err, (where, err)
