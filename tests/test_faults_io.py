"""Issue 14, parts 1, 2 and 10: input that is not a regular file, unbounded input, outputs that fail.

Each test rebuilds one case of the fault trial (bench/faults.py) and asserts the
fix: one error line, the right exit code, no hang, no traceback, nothing left behind.
"""

import io
import os
import subprocess
import sys
import threading

import pytest

from folint.cli import main
from folint.patch.load import read_input
from folint.reading import ReadError, read_regular, read_stream

LOOP = ("int demo_save(struct folio *folio)\n{\n\tlong i, nr = folio_nr_pages(folio);\n\n"
        "\tfor (i = 0; i < nr; i++)\n\t\treturn demo_save_tags(folio_page(folio, i));\n\treturn 0;\n}\n")


def _no_hang(fn, seconds=10):
    """Run ``fn`` in a thread; fail (instead of hanging the suite) if it blocks."""
    out = {}

    def call():
        try:
            out["v"] = fn()
        except BaseException as e:  # noqa: BLE001  re-raised in the test's thread
            out["e"] = e
    t = threading.Thread(target=call, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "blocked (a FIFO was opened for reading?)"
    if "e" in out:
        raise out["e"]
    return out["v"]


def test_read_regular_refuses_a_fifo_without_blocking(tmp_path):
    fifo = tmp_path / "x.c"
    os.mkfifo(fifo)
    with pytest.raises(ReadError, match="FIFO"):
        _no_hang(lambda: read_regular(str(fifo), 1000))


def test_scan_with_a_fifo_reports_it_and_checks_the_rest(tmp_path, monkeypatch, capsys):
    (tmp_path / "ok.c").write_text(LOOP)
    os.mkfifo(tmp_path / "x.c")
    monkeypatch.chdir(tmp_path)
    code = _no_hang(lambda: main(["--no-cache", "--no-simulate", "-j", "1", "."]))
    out, err = capsys.readouterr()
    assert code == 1 and "FOL001" in out
    assert "x.c: error: skipped: a FIFO (named pipe), not a regular file" in err


def test_simulate_a_fifo_is_one_line(tmp_path, monkeypatch, capsys):
    os.mkfifo(tmp_path / "x.c")
    monkeypatch.chdir(tmp_path)
    code = _no_hang(lambda: main(["simulate", "x.c:demo_save"]))
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1 and "FIFO" in err


def test_patch_naming_a_fifo_in_the_tree(tmp_path, monkeypatch, capsys):
    tree = tmp_path / "tree"
    tree.mkdir()
    os.mkfifo(tree / "x.c")
    patch = tmp_path / "p.diff"
    patch.write_text("diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-int a;\n+int b;\n")
    code = _no_hang(lambda: main(["check-patch", "--tree", str(tree), str(patch)]))
    err = capsys.readouterr().err
    assert code == 2 and "x.c" in err and "FIFO" in err


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_link_to_a_device_is_refused_unread(tmp_path, capsys, device):
    link = tmp_path / "dev.c"
    os.symlink(device, link)
    code = _no_hang(lambda: main(["--no-cache", str(link)]))
    err = capsys.readouterr().err
    assert code == 0 and "character device, not a regular file" in err


def test_a_file_is_read_at_most_to_the_limit(tmp_path):
    f = tmp_path / "big.c"
    f.write_bytes(b"x" * 101)
    assert read_regular(str(f), 101) == b"x" * 101
    with pytest.raises(ReadError, match="more than the 100-byte limit"):
        read_regular(str(f), 100)


class _Endless(io.RawIOBase):
    """A stream that never ends (what /dev/zero on stdin is); counts what was read."""

    def __init__(self):
        self.taken = 0

    def readable(self):
        return True

    def read(self, n=-1):
        assert n is not None and n >= 0, "an unbounded read"
        self.taken += n
        return b"\0" * n


def test_stdin_is_read_with_a_bound():
    endless = _Endless()
    with pytest.raises(ReadError, match="more than the 1000-byte limit on standard input"):
        read_stream(endless, 1000)
    assert endless.taken == 1001


def test_check_patch_on_endless_stdin_is_one_line(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", type("S", (), {"buffer": _Endless()})())
    inp, err = read_input("-", limit=4096)
    assert inp is None and err.path == "<stdin>" and "limit" in err.message


def test_closed_stdin_is_one_line(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", None)
    code = main(["check-patch", "--no-tree", "-"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines()[0] == "<stdin>: error: standard input is closed; pipe a patch into it or give a file"


def _folint(tmp_path, args, suffix):
    cmd = " ".join([f"'{sys.executable}'", "-m", "folint", *args]) + " " + suffix
    return subprocess.run(cmd, shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, NO_COLOR="1"))


@pytest.mark.parametrize("suffix, message", [(">&-", "standard output is closed"),
                                             ("> /dev/full", "No space left on device")])
def test_closed_or_full_stdout_is_one_line(tmp_path, suffix, message):
    (tmp_path / "a.c").write_text(LOOP)
    proc = _folint(tmp_path, ["--no-cache", "--no-simulate", "a.c"], suffix)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == [f"folint: error: {proc.stderr.split('error: ', 1)[1].strip()}"]
    assert message in proc.stderr


def test_output_into_a_missing_folder(tmp_path, monkeypatch, capsys):
    (tmp_path / "a.c").write_text(LOOP)
    monkeypatch.chdir(tmp_path)
    code = main(["--no-cache", "--no-simulate", "-o", "nodir/r.txt", "a.c"])
    assert code == 2
    assert capsys.readouterr().err.splitlines() == [
        "folint: error: -o nodir/r.txt: no folder nodir; create it first or give another path"]


def test_output_onto_a_folder_leaves_nothing_behind(tmp_path, monkeypatch, capsys):
    (tmp_path / "a.c").write_text(LOOP)
    (tmp_path / "out").mkdir()
    monkeypatch.chdir(tmp_path)
    code = main(["--no-cache", "--no-simulate", "-o", "out", "a.c"])
    assert code == 2 and "is a folder" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.c", "out"]


def test_output_file_is_written_whole(tmp_path, monkeypatch, capsys):
    (tmp_path / "a.c").write_text(LOOP)
    monkeypatch.chdir(tmp_path)
    assert main(["--no-cache", "--no-simulate", "-o", "r.txt", "a.c"]) == 1
    assert "FOL001" in (tmp_path / "r.txt").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.c", "r.txt"]


def test_output_onto_a_device_writes_to_it_and_never_replaces_it(tmp_path, monkeypatch, capsys):
    (tmp_path / "a.c").write_text(LOOP)
    monkeypatch.chdir(tmp_path)
    assert main(["--no-cache", "--no-simulate", "-o", os.devnull, "a.c"]) == 1
    import stat
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_a_fifo_where_a_hook_or_an_included_header_should_be_does_not_hang(tmp_path):
    """install-hook reads an existing hook, kbuild its -include'd headers: through
    folint.reading, so a FIFO there is "not ours" / "not read", never a hang."""
    import os

    from folint.commands.hook import is_ours
    from folint.commands.kbuild import _read

    os.mkfifo(tmp_path / "fifo")
    assert is_ours(str(tmp_path / "fifo")) is False
    assert _read(str(tmp_path / "fifo")) is None
