#!/usr/bin/env python3
"""FOL003 on the full tree index and on a run's two-stage index: the same findings?

    python bench/index_compare.py [TREE] [--jobs N]

TREE defaults to /tmp/linux/linux-source-6.12.  The full index summarises every file
holding ``page`` or ``folio`` (``folint.index.build.build_index``, no cache) and FOL003
runs on it with simulation; the two-stage index is the one a ``folint TREE`` run builds
(``folint.index.two_stage``: stage 1 in the workers, stage 2 by name).  It prints each
side's findings, verdicts and time, whether place, message, verdict and evidence are
identical, every finding that differs, and the run's index statistics.  Exit 0 when
identical, 1 when not.  It never writes into the tree and uses no cache.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter

from folint.config import Config
from folint.index.build import build_index
from folint.index.phase import run_tree_rules
from folint.runner import RunOptions, run
from folint.selection import build_rules

DEFAULT_TREE = "/tmp/linux/linux-source-6.12"


def _key(f) -> tuple:
    return (f.path, f.line, f.column, f.function, f.message, str(f.verdict), f.evidence)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tree", nargs="?", default=DEFAULT_TREE)
    ap.add_argument("--jobs", type=int, default=0, help="worker processes (0: all cores)")
    args = ap.parse_args(argv)
    if not os.path.isdir(args.tree):
        print(f"index_compare: {args.tree}: not a folder (extract a kernel tree there, see the docstring)",
              file=sys.stderr)
        return 2
    os.chdir(args.tree)  # both sides see the same relative paths
    rules = build_rules(Config(), ["FOL003"], None)

    started = time.perf_counter()
    errors: list = []
    full = run_tree_rules(rules, build_index(["."], cache=False, jobs=args.jobs), errors, simulate=True,
                          jobs=args.jobs)
    full_s = time.perf_counter() - started

    started = time.perf_counter()
    res = run(["."], Config(), RunOptions(select=["FOL003"], jobs=args.jobs, simulate=True, show_refuted=True))
    two_s = time.perf_counter() - started

    a, b = sorted(map(_key, full)), sorted(map(_key, res.findings))
    print(f"full index: {len(a)} findings in {full_s:.1f} s ({len(errors)} errors); "
          f"two-stage run: {len(b)} findings in {two_s:.1f} s ({len(res.errors)} errors)")
    print("verdicts, full:", dict(Counter(k[5] for k in a)), " two-stage:", dict(Counter(k[5] for k in b)))
    same = a == b
    print("identical (place, message, verdict, evidence):", "yes" if same else "no")
    for k in sorted(set(a) ^ set(b)):
        print("  only in", "full" if k in a else "two-stage", f"{k[0]}:{k[1]}:{k[2]} {k[3]}() {k[5]}")
    print("two-stage index:", ", ".join(f"{k} {v}" for k, v in res.index_stats.items()))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
