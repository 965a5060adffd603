"""Issue 14 (small race): the facts engine reads a kind's files through folint.reading,
so a file swapped for a FIFO, or one bigger than the limit, is left out, never read."""

import os
import pathlib
import threading

import folint.facts.engine as engine


def _read_in_thread(root, rels):
    got = {}
    t = threading.Thread(target=lambda: got.update(engine._read_files(root, rels)), daemon=True)
    t.start()
    t.join(10)
    return t.is_alive(), got


def test_a_fifo_swapped_in_after_a_test_is_not_read(tmp_path, monkeypatch):
    (tmp_path / "include").mkdir()
    os.mkfifo(tmp_path / "include" / "page-flags.h")
    (tmp_path / "include" / "mm.h").write_text("int x;\n")
    # as if the name had been tested while it was still a regular file
    monkeypatch.setattr(pathlib.Path, "is_file", lambda self: True)
    hung, got = _read_in_thread(tmp_path, ("include/page-flags.h", "include/mm.h"))
    assert not hung, "reading a FIFO blocked"
    assert got == {"include/mm.h": b"int x;\n"}
    os.unlink(tmp_path / "include" / "page-flags.h")  # unblocks a reader left behind, if any


def test_a_file_over_the_limit_is_left_out(tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "MAX_FACT_FILE", 16)
    (tmp_path / "big.h").write_bytes(b"x" * 17)
    (tmp_path / "ok.h").write_bytes(b"y" * 16)
    assert engine._read_files(tmp_path, ("big.h", "ok.h", "missing.h")) == {"ok.h": b"y" * 16}


def test_facts_fall_back_to_the_table_when_a_file_is_a_fifo(tmp_path):
    (tmp_path / "include" / "linux").mkdir(parents=True)
    os.mkfifo(tmp_path / "include" / "linux" / "page-flags.h")
    facts = engine.facts_for_root(tmp_path, cache=False)
    assert facts.get("per_page_flags") is not None
