"""Issue 14, part 15: a corrupt cache is moved aside and rebuilt once; a read-only cache is
read; a worker does not outlive its killed parent."""

import multiprocessing
import os
import signal
import time

import pytest

from folint.index import cache as cache_mod
from folint.index.cache import SummaryCache
from folint.workers import die_with_parent


def test_a_corrupt_database_is_moved_aside_once_and_rebuilt(tmp_path):
    db = tmp_path / cache_mod.DB_NAME
    db.write_bytes(b"this is not a database" * 100)
    first = SummaryCache(tmp_path)
    assert first.note and "moved it aside" in first.note
    first.put_many({"abc": {"functions": {}}})
    first.close()
    aside = [p.name for p in tmp_path.iterdir() if ".corrupt-" in p.name]
    assert len(aside) == 1
    second = SummaryCache(tmp_path)
    assert second.note is None and second.get("abc") == {"functions": {}}


def test_a_read_only_cache_is_read_and_never_written(tmp_path, monkeypatch):
    c = SummaryCache(tmp_path)
    c.put_many({"abc": {"functions": {}}})
    c.close()
    monkeypatch.setattr(cache_mod.os, "access", lambda path, mode: False)
    ro = SummaryCache(tmp_path)
    assert ro.readonly and ro.note is None
    assert ro.get("abc") == {"functions": {}}
    ro.put_many({"def": {"functions": {}}})  # a no-op, not an error
    ro.put_hashes([("x.c", 1, 2, 3, "def")])
    assert ro.get("def") is None


def _worker_task(_):
    time.sleep(60)


def _parent(queue):
    ctx = multiprocessing.get_context("fork")
    pool = ctx.Pool(1, initializer=die_with_parent)
    pool.map_async(_worker_task, [0])
    time.sleep(0.5)
    queue.put([p.pid for p in pool._pool])
    time.sleep(60)


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc to see the worker")
def test_a_busy_worker_dies_with_its_parent():
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    parent = ctx.Process(target=_parent, args=(queue,))
    parent.start()
    workers = queue.get(timeout=20)
    assert workers and all(_alive(p) for p in workers)
    os.kill(parent.pid, signal.SIGKILL)
    parent.join()
    deadline = time.time() + 5
    while time.time() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.1)
    left = [p for p in workers if _alive(p)]
    for p in left:
        os.kill(p, signal.SIGKILL)
    assert not left, "a worker outlived its parent"


def test_the_main_process_is_never_tied_to_its_parent():
    die_with_parent()  # not a multiprocessing child: nothing happens, the test process lives on
