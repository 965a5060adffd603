"""Issue 14, part 9: a truncated patch or an undecodable mail is an error (exit 2) naming where it ends."""

import base64

import pytest

from folint.cli import main

HEAD = "diff --git a/a.c b/a.c\nindex 1111111..2222222 100644\n--- a/a.c\n+++ b/a.c\n"
FULL = HEAD + "@@ -1,3 +1,3 @@\n int a(void)\n-{ return 0; }\n+{ return 1; }\n \n"


@pytest.fixture
def tree(tmp_path):
    t = tmp_path / "tree"
    t.mkdir()
    (t / "a.c").write_text("int a(void)\n{ return 0; }\n\n")
    return t


def _check(tmp_path, tree, capsys, text, name="p.diff"):
    (tmp_path / name).write_text(text)
    code = main(["check-patch", "--no-simulate", "--tree", str(tree), str(tmp_path / name)])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("text, line, what", [
    (HEAD, 4, "ends right after the '+++' line"),
    ("diff --git a/a.c b/a.c\n", 1, "ends right after 'diff --git a/a.c b/a.c'"),
    ("diff --git a/a.c b/a.c\nindex 1111111..2222222 100644\n", 2, "ends right after 'index"),
    (HEAD + "@@ -1,3 +1", 5, "ends inside a hunk header"),
])
def test_truncated_patches_are_errors_naming_where_they_end(tmp_path, tree, capsys, text, line, what):
    code, err = _check(tmp_path, tree, capsys, text)
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{tmp_path / 'p.diff'}:{line}: error: ") and what in lines[0]
    assert "truncated" in lines[0]


def test_complete_entries_without_hunks_are_not_truncated(tmp_path, tree, capsys):
    mode = "diff --git a/a.c b/a.c\nold mode 100644\nnew mode 100755\n"
    empty = "diff --git a/e.c b/e.c\nnew file mode 100644\nindex 0000000..e69de29\n"
    code, err = _check(tmp_path, tree, capsys, mode + empty + FULL)
    assert code == 0 and err == ""


def _mail(cte_body: str) -> str:
    return ("From 1234567890abcdef1234567890abcdef12345678 Mon Sep 17 00:00:00 2001\nFrom: T <t@example.org>\n"
            "Subject: [PATCH] demo\nContent-Type: text/plain; charset=utf-8\n"
            "Content-Transfer-Encoding: base64\n\n" + cte_body)


def test_a_base64_mail_that_does_not_decode_is_an_error(tmp_path, tree, capsys):
    code, err = _check(tmp_path, tree, capsys, _mail("ZGlmZiAtLWdpdCBh!!!***not base64***\n"), "m.mbox")
    assert code == 2
    assert err.splitlines() == [f"{tmp_path / 'm.mbox'}:1: error: 0001/0001 demo: mail '[PATCH] demo': its "
                                f"base64 body does not decode (InvalidBase64LengthDefect); save the mail raw "
                                f"or regenerate the patch; this patch is not checked"]


def test_a_base64_mail_that_decodes_is_checked(tmp_path, tree, capsys):
    code, err = _check(tmp_path, tree, capsys, _mail(base64.encodebytes(FULL.encode()).decode()), "m.mbox")
    assert code == 0 and err == ""
