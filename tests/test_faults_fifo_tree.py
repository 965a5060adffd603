"""A FIFO named Makefile at a folder that looks like a kernel tree's top does not hang the
search for the tree (issue 14 part 1: open only regular files)."""

import os
import threading

import pytest

from folint.facts.tree import find_tree_root, is_tree_root


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_makefile_is_not_a_tree_top_and_does_not_hang(tmp_path):
    (tmp_path / "MAINTAINERS").write_text("")
    (tmp_path / "Kbuild").write_text("")
    os.mkfifo(tmp_path / "Makefile")
    (tmp_path / "mm").mkdir()
    got = {}
    worker = threading.Thread(target=lambda: got.update(top=is_tree_root(tmp_path), up=find_tree_root(tmp_path / "mm")),
                              daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "opening the FIFO blocked"
    assert got == {"top": False, "up": None}


def test_a_regular_makefile_with_version_is_a_tree_top(tmp_path):
    (tmp_path / "MAINTAINERS").write_text("")
    (tmp_path / "Kbuild").write_text("")
    (tmp_path / "Makefile").write_text("# SPDX\nVERSION = 6\nPATCHLEVEL = 12\n")
    assert is_tree_root(tmp_path)
