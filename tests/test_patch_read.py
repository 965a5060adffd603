"""Reading patches: mailboxes, single mails, plain diffs, git's extended headers, paths."""

import pytest

from conftest import FIXTURES
from folint.patch.diff import DiffError, parse_diff
from folint.patch.load import Input, clean_subject, load
from folint.patch.mail import split_mails
from folint.patch.paths import UnsafePath, check_relative, resolve_inside, strip_prefixes, unquote

PATCHES = FIXTURES / "patches"


def read(name):
    return (PATCHES / name).read_bytes()


def test_mailbox_is_split_into_mails_with_headers_and_body_lines():
    mails = split_mails(read("series.mbox"))
    assert [m.header("Subject") for m in mails] == [
        "[PATCH 0/3] arm64: mte: restore tags of large folios",
        "[PATCH 1/3] arm64: mte: add mte_tags_needed()",
        "[PATCH 2/3] arm64: mte: restore the tags of a large folio in one loop",
        "[PATCH 3/3] mm: swap: reword a comment",
    ]
    text = read("series.mbox").decode().split("\n")
    for m in mails:
        assert text[m.line - 1].startswith("From ")           # the mbox From_ line
        assert text[m.body_line - 2] == ""                      # the body follows the blank line
    assert mails[2].header("Message-ID") == "<20250106100000.1000-2-jane@example.org>"
    assert mails[2].header("In-Reply-To") == "<20250106100000.1000-0-jane@example.org>"


def test_series_skips_the_cover_letter_and_numbers_the_patches():
    patches, errors, notes = load([Input("series.mbox", read("series.mbox"))])
    assert not errors
    assert [p.label for p in patches] == [
        "0001/0003 arm64: mte: add mte_tags_needed()",
        "0002/0003 arm64: mte: restore the tags of a large folio in one loop",
        "0003/0003 mm: swap: reword a comment",
    ]
    assert len(notes) == 1 and "cover letter" in notes[0] and notes[0].startswith("series.mbox:1: note:")


def test_single_mail_without_from_line_and_quoted_printable_body():
    patches, errors, _ = load([Input("qp.eml", read("quoted-printable.eml"))])
    assert not errors
    (p,) = patches
    assert p.message_id == "<20250106100000.3000-1-jane@example.org>"
    (change,) = p.files
    added = [ln.text for h in change.hunks for ln in h.lines if ln.kind == "+"]
    assert added == ["\t\treturn mte_save_tags(folio_page(folio, i));\n"]  # =3D etc. decoded
    assert change.hunks[0].header_line is None  # encoded body: lines do not map to the file


def test_plain_diff_strips_the_differing_top_folder():
    patches, errors, _ = load([Input("plain.diff", read("plain.diff"))])
    assert not errors
    (p,) = patches
    assert p.label == "plain.diff" and p.subject is None
    (change,) = p.files
    assert (change.old_path, change.new_path, change.status) == (
        "arch/arm64/mm/mteswap.c", "arch/arm64/mm/mteswap.c", "modified")
    assert change.hunks[0].header_line == 3


def test_new_deleted_renamed_mode_and_binary_files():
    patches, errors, _ = load([Input("x.patch", read("new-rename-binary.patch"))])
    assert not errors
    changes = {c.path: c for c in patches[0].files}
    mode = changes["arch/arm64/mm/mteswap.c"]
    assert (mode.status, mode.old_mode, mode.new_mode, mode.hunks) == ("modified", "100644", "100755", [])
    rename = changes["mm/swap_legacy.c"]
    assert (rename.status, rename.old_path) == ("renamed", "mm/swap_old.c")
    new = changes["mm/swap_new.c"]
    assert new.status == "added" and new.old_path is None and len(new.hunks[0].lines) == 14
    assert changes["mte.png"].binary


def test_deleted_file_and_no_newline_at_end():
    body = ("diff --git a/gone.c b/gone.c\ndeleted file mode 100644\nindex 1111111..0000000\n"
            "--- a/gone.c\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-int x;\n-int y;\n\\ No newline at end of file\n")
    (change,), start = parse_diff(body)
    assert start == 0 and change.status == "deleted" and change.new_path is None
    assert [ln.text for ln in change.hunks[0].lines] == ["int x;\n", "int y;"]


def test_mail_with_a_diff_line_in_its_text_before_the_real_diff_is_read_from_the_diff():
    body = "Explain the change.\n---\n mm/x.c | 1 +\n\ndiff --git a/mm/x.c b/mm/x.c\n--- a/mm/x.c\n+++ b/mm/x.c\n" \
           "@@ -1 +1,2 @@\n int x;\n+int y;\n-- \n2.39.5\n"
    (change,), start = parse_diff(body)
    assert start == 4 and change.path == "mm/x.c"


@pytest.mark.parametrize("name, message", [
    ("bad/truncated.patch", "the patch ends before the lines its @@ header counts"),
    ("bad/wrong-counts-short.patch", "more diff lines follow than its @@ header counts"),
    ("bad/wrong-counts-long.patch", "a line inside the hunk does not start with ' ', '+' or '-'"),
])
def test_broken_hunks_are_one_error_naming_hunk_and_file(name, message):
    patches, errors, _ = load([Input(name, read(name))])
    assert not errors
    (p,) = patches
    (err,) = p.errors
    assert message in err.message
    assert "hunk 1 of arch/arm64/mm/mteswap.c" in err.message
    assert err.path.startswith(f"{name}:") and int(err.path.split(":")[1]) > 10


def test_no_patch_and_empty_input_are_errors():
    _, errors, _ = load([Input("empty.patch", b"")])
    assert errors[0].message.startswith("empty input, no patch in it;")
    _, errors, _ = load([Input("no-patch.mbox", read("bad/no-patch.mbox"))])
    assert errors[0].message.startswith("no patch in this input (2 mails, none with a diff);")
    _, errors, _ = load([Input("words.txt", b"just some words\n")])
    assert errors[0].message.startswith("no patch in this input (no diff found);")


def test_subjects_lose_their_tags():
    assert clean_subject("[PATCH v2 2/3] mm: swap: x") == "mm: swap: x"
    assert clean_subject("[RFC] [PATCH] mm: y") == "mm: y"


def test_paths_unquoted_and_stripped():
    assert unquote('"a/caf\\303\\251 \\"x\\".c"') == 'a/café "x".c'
    assert strip_prefixes("a/mm/x.c", "b/mm/x.c", git=True) == ("mm/x.c", "mm/x.c")
    assert strip_prefixes("linux.orig/mm/x.c", "linux/mm/x.c", git=False) == ("mm/x.c", "mm/x.c")
    assert strip_prefixes("mm/x.c.orig", "mm/x.c", git=False) == ("mm/x.c.orig", "mm/x.c")


@pytest.mark.parametrize("path", ["/etc/passwd", "../x.c", "mm/../../x.c", "C:\\x.c", "", "a\0b"])
def test_unsafe_paths_are_refused(path):
    with pytest.raises(UnsafePath):
        check_relative(path)


def test_symlink_out_of_the_tree_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.c").write_text("int secret;\n")
    tree = tmp_path / "tree"
    (tree / "mm").mkdir(parents=True)
    (tree / "mm" / "link.c").symlink_to(outside / "secret.c")
    (tree / "drivers").symlink_to(outside)
    (tree / "mm" / "real.c").write_text("int x;\n")
    assert resolve_inside(str(tree), "./mm/real.c").endswith("mm/real.c")
    for bad in ("mm/link.c", "drivers/secret.c"):
        with pytest.raises(UnsafePath, match="leads outside the tree"):
            resolve_inside(str(tree), bad)


def test_diff_error_carries_its_line():
    with pytest.raises(DiffError) as exc:
        parse_diff("--- a/x.c\n+++ b/x.c\n@@ -1,3 +1,3 @@\n int x;\n")
    assert exc.value.line >= 2
