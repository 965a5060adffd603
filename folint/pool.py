"""The one process pool: run a function over many items in worker processes.

Used by the file run (``folint.runner``), the tree index build
(``folint.index.build``) and the tree verdicts (``folint.index.verify``).  Each
worker is set up once by ``initializer(*initargs)`` (rules and parsers are built
there: tree-sitter objects do not pickle); items go in and plain results come
back.  Workers fork on Linux and spawn elsewhere.  With one job, or fewer items
than ``serial_below``, everything runs in this process (the initializer too),
with the same results.  Every worker dies with its parent (``folint.workers``):
a killed run leaves none behind, whichever caller started the pool.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Iterator


def job_count(jobs: int) -> int:
    """``jobs``, or every core when it is 0."""
    return jobs or os.cpu_count() or 1


def _worker_init(initializer: Callable, initargs: tuple) -> None:
    """Every worker of the pool dies with its parent (``folint.workers``), then is set up."""
    from folint.workers import die_with_parent

    die_with_parent()
    initializer(*initargs)


def parallel_map(fn: Callable, items: list, *, jobs: int, initializer: Callable, initargs: tuple = (),
                 ordered: bool = True, chunksize: int = 1, serial_below: int = 0) -> Iterator:
    """``fn(item)`` for each of ``items``: in input order when ``ordered``, else as they finish."""
    jobs = job_count(jobs)
    if jobs == 1 or len(items) < max(serial_below, 2):
        initializer(*initargs)
        yield from map(fn, items)
        return
    ctx = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    with ctx.Pool(min(jobs, len(items)), initializer=_worker_init, initargs=(initializer, initargs)) as pool:
        results: Iterable = (pool.imap if ordered else pool.imap_unordered)(fn, items, chunksize=chunksize)
        yield from results
