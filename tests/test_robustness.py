"""Bad input: one clear error line each, never a traceback, and the run goes on."""

import json
import os

import pytest

from conftest import FIXTURES
from folint.cli import main

MODEL = (FIXTURES / "FOL001" / "save_tags_return.c").read_bytes()


def scan(capsys, *paths, fmt="json"):
    code = main([*map(str, paths), "--format", fmt, "--no-simulate", "--jobs", "1"])
    out, err = capsys.readouterr()
    return code, out, err


def errors_of(out):
    return {os.path.basename(e["path"]): e["message"] for e in json.loads(out)["errors"]}


def test_each_bad_file_gives_one_error_and_the_good_file_is_still_checked(capsys, tmp_path):
    (tmp_path / "good.c").write_bytes(MODEL)
    (tmp_path / "binary.c").write_bytes(b"\x7fELF\0\0\0folio_nr_pages")
    (tmp_path / "latin1.c").write_bytes(MODEL.replace(b"FOL001: the", b"FOL001: caf\xe9 the"))
    (tmp_path / "huge.c").write_bytes(b"/* folio_nr_pages */\n" * (5 * 1024 * 1024 // 21))
    unreadable = tmp_path / "secret.c"
    unreadable.write_bytes(MODEL)
    unreadable.chmod(0)
    if os.access(unreadable, os.R_OK):
        unreadable.unlink()  # running as root: permissions do not stop us
    (tmp_path / "loop").symlink_to(tmp_path)
    (tmp_path / "dangling.c").symlink_to(tmp_path / "nowhere.c")
    code, out, _ = scan(capsys, tmp_path)
    data = json.loads(out)
    errs = errors_of(out)
    assert code == 1
    assert {os.path.basename(f["path"]) for f in data["findings"]} == {"good.c", "latin1.c"}
    assert errs["binary.c"] == "skipped: binary file (NUL bytes), not C source"
    assert errs["latin1.c"].startswith("line 2: not valid UTF-8 (byte 0xe9); checked anyway")
    assert errs["huge.c"].startswith("skipped: ") and "max-file-size" in errs["huge.c"]
    assert "symbolic link loop" in errs["loop"]
    assert errs["dangling.c"] == "broken symbolic link; skipped"
    if unreadable.exists():
        assert errs["secret.c"].startswith("cannot read: Permission denied")


def test_text_mode_puts_errors_on_stderr(capsys, tmp_path):
    (tmp_path / "binary.c").write_bytes(b"\0\0")
    code, out, err = scan(capsys, tmp_path, fmt="text")
    assert code == 0
    assert err == f"{tmp_path / 'binary.c'}: error: skipped: binary file (NUL bytes), not C source\n"
    assert "1 error" in out


def test_missing_path(capsys, tmp_path):
    code, out, err = scan(capsys, tmp_path / "nope.c", fmt="text")
    assert code == 2  # a typo in CI must not pass (issue 13)
    assert "nope.c: no such file or folder; check the path" in err and out == ""


@pytest.mark.parametrize("depth", [50_000])
def test_pathological_nesting(capsys, tmp_path, depth):
    body = "{" * depth + "return 1;" + "}" * depth
    (tmp_path / "deep.c").write_text(
        "int f(struct folio *folio)\n{\n\tlong i;\n\tfor (i = 0; i < folio_nr_pages(folio); i++) " + body + "\n}\n")
    (tmp_path / "good.c").write_bytes(MODEL)
    code, out, _ = scan(capsys, tmp_path)
    # The exit search has no depth limit (folint.flow is one bottom-up pass), so the
    # loop that returns at once is found however deep its braces go.
    assert errors_of(out) == {}
    found = [(os.path.basename(f["path"]), f["code"]) for f in json.loads(out)["findings"]]
    assert ("deep.c", "FOL001") in found and ("good.c", "FOL001") in found


def test_garbage_and_empty_files(capsys, tmp_path):
    (tmp_path / "empty.c").write_bytes(b"")
    (tmp_path / "junk.c").write_bytes(b"folio_nr_pages ))){{{ for ( ; ; ) return } } }" * 100)
    code, out, _ = scan(capsys, tmp_path)
    assert code == 0 and json.loads(out)["errors"] == []


def test_never_writes_to_the_tree(capsys, tmp_path):
    (tmp_path / "a.c").write_bytes(MODEL)
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in tmp_path.rglob("*")}
    scan(capsys, tmp_path)
    scan(capsys, tmp_path, fmt="sarif")
    after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in tmp_path.rglob("*")}
    assert before == after


def test_a_file_over_the_size_limit_without_needles_is_skipped_silently_and_counted(capsys, tmp_path):
    """Issue 13 part 4: a generated register header over the limit holding none of the
    rules' needles is no error line (the summary counts it); a big file that could hold
    findings still is one."""
    (tmp_path / ".folint.toml").write_text("max-file-size = 4096\n")
    (tmp_path / "regs.h").write_bytes(b"#define MMHUB_BASE__SHIFT 0x0000001cL\n" * 600)
    (tmp_path / "big.c").write_bytes(b"/* pad */\n" * 500 + MODEL)
    (tmp_path / "good.c").write_bytes(MODEL)
    # more than 8x the limit is not read for the test: it keeps its error line
    (tmp_path / "vast.h").write_bytes(b"#define MMHUB_BASE__SHIFT 0x0000001cL\n" * 1000)
    code, out, _ = scan(capsys, tmp_path)
    data = json.loads(out)
    errs = errors_of(out)
    assert set(errs) == {"big.c", "vast.h"} and all("max-file-size" in m for m in errs.values())
    assert data["summary"]["oversize_skipped"] == 1
    assert data["summary"]["files"] == 4
    assert {os.path.basename(f["path"]) for f in data["findings"]} == {"good.c"}
    code, out, _ = scan(capsys, tmp_path, fmt="text")
    assert "1 file over the size limit skipped (none of the rules' needles)" in out


def test_an_oversize_file_with_a_needle_only_some_rule_wants_is_still_an_error(capsys, tmp_path):
    """The test is the prefilter's: a needle of one selected rule is enough; with that
    rule deselected (and no other rule wanting the file) the file is skipped."""
    (tmp_path / ".folint.toml").write_text("max-file-size = 4096\n")
    (tmp_path / "kmaps.c").write_bytes(b"static int x; /* kmap_local_page PageHighMem */\n" * 400)
    # (b"page" is wanted by other rules too: select the rules so one wants it and one does not)
    code = main([str(tmp_path), "--format", "json", "--no-simulate", "--jobs", "1", "--select", "FOL013"])
    data = json.loads(capsys.readouterr()[0])
    assert [os.path.basename(e["path"]) for e in data["errors"]] == ["kmaps.c"]
    main([str(tmp_path), "--format", "json", "--no-simulate", "--jobs", "1", "--select", "FOL010"])
    data = json.loads(capsys.readouterr()[0])
    assert data["errors"] == [] and data["summary"]["oversize_skipped"] == 1
