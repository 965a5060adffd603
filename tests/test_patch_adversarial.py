"""Hostile and broken patches: each gives one clear error line and nothing is written.

The tree (and a folder beside it that a hostile path points at) is compared
byte for byte, with modes and modification times, before and after.
"""

import os
import shutil

import pytest

from conftest import FIXTURES
from folint.cli import main
from test_patch_check import assert_expected

PATCHES = FIXTURES / "patches"


def snapshot(root):
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            data = os.readlink(p) if os.path.islink(p) else (open(p, "rb").read() if os.path.isfile(p) else None)
            out[os.path.relpath(p, root)] = (st.st_mode, st.st_mtime_ns, data)
    return out


@pytest.fixture
def world(tmp_path, monkeypatch):
    """tmp/tree (a copy of the fixture tree) and tmp/outside/secret.c beside it."""
    shutil.copytree(PATCHES / "tree", tmp_path / "tree")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.c").write_text("int secret(void)\n{\n\treturn 1;\n}\n")
    monkeypatch.chdir(PATCHES)
    return tmp_path


def check(capsys, world, *argv):
    before = snapshot(world)
    code = main(["check-patch", "--no-simulate", "--tree", str(world / "tree"), *argv])
    out, err = capsys.readouterr()
    assert snapshot(world) == before, "check-patch changed files"
    return code, out, err


BAD = {
    "traversal": ("bad/traversal.patch", "refused: path '../outside/secret.c' climbs out with '..'"),
    "absolute": ("bad/absolute.diff", "refused: absolute path '/etc/folint-secret.c'"),
    "truncated": ("bad/truncated.patch", "the patch ends before the lines its @@ header counts"),
    "wrong-counts-short": ("bad/wrong-counts-short.patch", "more diff lines follow than its @@ header counts"),
    "wrong-counts-long": ("bad/wrong-counts-long.patch", "a line inside the hunk does not start with"),
    "crlf": ("bad/crlf.patch", "the patch has CRLF line endings and the file has LF"),
    "empty": ("bad/empty.patch", "empty input, no patch in it"),
    "no-patch": ("bad/no-patch.mbox", "no patch in this input (2 mails, none with a diff)"),
    "stale": ("bad/stale.patch", "hunk 1 (@@ -19,9 +19,7 @@ int arch_prepare_to_swap(struct folio *folio)) "
                                 "does not apply: its context"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_one_clear_error_nothing_written(capsys, world, case):
    patch, message = BAD[case]
    code, out, err = check(capsys, world, patch)
    errors = [ln for ln in err.splitlines() if ": error: " in ln]
    assert len(errors) == 1, err
    assert message in errors[0]
    assert errors[0].startswith(f"{patch}")
    assert "Traceback" not in err
    assert code == 2 and "0 findings" in out
    assert_expected(f"bad-{case}", code, out, err)


def test_other_patches_of_a_series_are_still_checked(capsys, world):
    code, out, err = check(capsys, world, "bad/stale-then-good.mbox")
    assert code == 1
    assert err.count(": error: ") == 1 and "0001/0002" in err
    assert "introduced by: 0002/0002 arm64: mte:" in out


def test_symlink_out_of_the_tree_is_refused(capsys, world):
    tree = world / "tree"
    (tree / "mm" / "link.c").symlink_to(world / "outside" / "secret.c")
    (tree / "drivers").symlink_to(world / "outside")
    for path in ("mm/link.c", "drivers/secret.c"):
        patch = world / f"{path.replace('/', '-')}.patch"
        patch.write_text(f"--- a/{path}\n+++ b/{path}\n@@ -1,4 +1,4 @@\n int secret(void)\n {{\n"
                         f"-\treturn 1;\n+\treturn 2;\n }}\n")
        code, out, err = check(capsys, world, str(patch))
        (line,) = err.splitlines()
        assert f"refused: path '{path}' leads outside the tree (through a symbolic link)" in line
        assert code == 2


def test_without_tree_hostile_paths_are_still_refused(capsys, world):
    before = snapshot(world)
    code = main(["check-patch", "--no-simulate", "--no-tree", "bad/traversal.patch"])
    _, err = capsys.readouterr()
    assert code == 2 and "climbs out with '..'" in err and snapshot(world) == before


def test_binary_garbage_input_is_no_patch(capsys, world, tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 8)
    code, out, err = check(capsys, world, str(junk))
    assert code == 2 and "no patch in this input" in err and "Traceback" not in err


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "review"])
def test_bytes_that_are_not_utf8_never_crash_the_output(capsys, world, tmp_path, fmt):
    raw = (PATCHES / "new-rename-binary.patch").read_bytes()
    raw = raw.replace(b"every call.", b"every call (caf\xe9).").replace(b"mm/swap_new.c", b"mm/swap_n\xe9w.c")
    patch = tmp_path / "latin1.patch"
    patch.write_bytes(raw)
    code, out, err = check(capsys, world, "--format", fmt, str(patch))
    assert code == 1 and "Traceback" not in err
    if fmt in ("json", "sarif"):
        import json

        out = json.dumps(json.loads(out), ensure_ascii=False)
    assert "swap_n\ufffdw.c" in out
