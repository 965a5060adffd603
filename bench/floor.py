#!/usr/bin/env python3
"""What a cold run cannot go below with this design, next to issue 12's goals.

    python bench/floor.py [TREE] [--parts .,mm] [--jobs N] [--coccinelle SECONDS] [--no-peers]

TREE defaults to /tmp/linux/linux-source-6.12.  A cold run of folint (tree-sitter-c, GNU
grep, Python) must at least, for each part:

- start: the interpreter, folint's modules, the rules and the API facts of the tree,
  read cold (``setup``: one subprocess doing only that, with an empty cache folder);
- find the files to check: read every file of the part once (``grep``: the bench's
  floor, ``grep -rlE 'folio|swp_entry_t' --include='*.[ch]'``, as bench/speed.py runs it);
- parse what the rules read: every text a run parses with simulation off (the bodies no
  rule needs already blanked, ``folint.blanking``), timed again with a bare tree-sitter
  parser in this process (``parse CPU``), shared over the jobs.

``floor`` = setup + grep + parse CPU / jobs: the wall time of a run that did nothing
else, on idle cores.  It is compared with the part's budget: half of Coccinelle's time
for the whole tree (bench/speed.py's two semantic patches, run here unless --no-peers,
or given with --coccinelle), 1 s for a folder (mm/).  The rest of the run (kernelize,
the loop model, the queries, the rules, the tree index, the verdicts) has
``budget - floor`` left; its CPU now is the serial run's CPU minus the parse CPU (the
greps that run does, the pre-pass and a folder's search of the rest of the tree, are not
counted: the grep floor stands for them).
It never writes into the tree; the caches go to a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import speed  # noqa: E402  (bench/speed.py: the same grep floor and Coccinelle run)

DEFAULT_TREE = "/tmp/linux/linux-source-6.12"
FOLDER_BUDGET_S = 1.0  # issue 12: mm/ cold under 1 s
SETUP = """
import sys, tempfile
from folint.config import Config
from folint.facts.engine import facts_for_targets
from folint.selection import build_rules
import folint.checker, folint.runner, folint.index.phase
with tempfile.TemporaryDirectory() as cache:
    build_rules(Config(), None, None, facts=facts_for_targets([sys.argv[1]], cache=True, cache_dir=cache))
"""


@dataclass
class Parses:
    """The texts one run parsed: (kernelized code, the spans read around), their count and bytes."""

    texts: list[tuple[bytes, list[tuple[int, int]]]]  # of the part's own files
    outside: list[tuple[bytes, list[tuple[int, int]]]]  # of the rest of the tree (a folder's callers, issue 10)
    run_cpu: float  # the serial run's CPU in this process (its greps, children, are not counted)

    @property
    def read_bytes(self) -> int:
        """The bytes the parser reads in the part's files (the spans around blanked bodies left out)."""
        return sum(len(code) - sum(e - s for s, e in skip) for code, skip in self.texts)


def record_parses(part: str) -> Parses:
    """Run folint on ``part`` serially, in this process, simulation off, cold cache, and
    keep every text ``folint.parsing.parse_kernel_c`` is given (wrapped in each loaded
    module that imported it), the part's own files apart from the rest of the tree's."""
    # the modules that import parse_kernel_c or check_source, loaded before they are swapped
    import folint.caller_context  # noqa: F401
    import folint.checker
    import folint.index.build  # noqa: F401
    import folint.index.collect  # noqa: F401
    import folint.index.verify  # noqa: F401
    import folint.parsing
    import folint.source
    from folint.config import Config
    from folint.discovery import discover
    from folint.runner import RunOptions, run

    original, check_source = folint.parsing.parse_kernel_c, folint.checker.check_source
    source_init = folint.source.SourceFile.__init__
    texts: list[tuple[bytes, list[tuple[int, int]]]] = []
    outside: list[tuple[bytes, list[tuple[int, int]]]] = []
    own = {os.path.realpath(p) for p in discover([part], Config().exclude, Config().root).files}
    # parse_kernel_c is not told the path: check_source (which calls it for a blanked
    # text) and SourceFile.__init__ (which calls it for a whole one) are
    current: list[str] = []

    def spy(raw, skip=(), premask=None):
        code, tree = original(raw, skip, premask)
        path = current[-1] if current else ""
        (texts if os.path.realpath(path) in own else outside).append((code, list(skip)))
        return code, tree

    def init(self, path, raw, *a, **k):
        current.append(path)
        try:
            source_init(self, path, raw, *a, **k)
        finally:
            current.pop()

    def check(path, raw, *a, **k):
        current.append(path)
        try:
            return check_source(path, raw, *a, **k)
        finally:
            current.pop()

    swapped = _swap({original: spy, check_source: check})
    folint.source.SourceFile.__init__ = init
    before = os.times()
    try:
        with tempfile.TemporaryDirectory(prefix="folint-floor-cache-") as cache:
            run([part], Config(), RunOptions(jobs=1, simulate=False, cache=True, cache_dir=cache))
    finally:
        _swap({new: old for old, new in swapped.items()})
        folint.source.SourceFile.__init__ = source_init
    after = os.times()
    cpu = sum(a - b for a, b in zip(after[:2], before[:2]))
    return Parses(texts, outside, cpu)


def _swap(by: dict) -> dict:
    """Replace each function of ``by`` with its value wherever a loaded folint module
    imported it (``from ... import name``); returns what was replaced, by what."""
    done = {}
    by_id = {id(f): (f, g) for f, g in by.items()}
    for m in list(sys.modules.values()):
        if not getattr(m, "__name__", "").startswith("folint"):
            continue
        for name, value in list(vars(m).items()):
            old, new = by_id.get(id(value), (None, None))
            if old is value:
                setattr(m, name, new)
                done[old] = new
    return done


def parse_cpu(texts: list[tuple[bytes, list[tuple[int, int]]]]) -> float:
    """CPU seconds a bare tree-sitter parser takes for ``texts`` (the same included
    ranges the run gave it)."""
    import tree_sitter

    from folint.parsing import C_LANGUAGE, _ranges_around

    plain, ranged = tree_sitter.Parser(C_LANGUAGE), tree_sitter.Parser(C_LANGUAGE)
    jobs = [(code, _ranges_around(code, skip) if skip else None) for code, skip in texts]
    started = time.process_time()
    for code, ranges in jobs:
        if ranges is None:
            plain.parse(code)
        else:
            ranged.included_ranges = ranges
            ranged.parse(code)
    return time.process_time() - started


def setup_seconds(part: str, tree: Path) -> float:
    """Best of three: a subprocess that starts, imports folint, reads the facts cold and builds the rules."""
    def once() -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", SETUP, part], cwd=tree, env=speed.ENV, check=True,
                       stdout=subprocess.DEVNULL)
        return time.perf_counter() - started

    return min(once() for _ in range(3))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tree", nargs="?", default=DEFAULT_TREE)
    ap.add_argument("--parts", default=".,mm", help="comma-separated folders of TREE (default: .,mm)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="cores to share the parse over")
    ap.add_argument("--coccinelle", type=float, help="Coccinelle's seconds on the whole tree (else run here)")
    ap.add_argument("--no-peers", action="store_true", help="do not run Coccinelle")
    args = ap.parse_args(argv)
    tree = Path(args.tree).resolve()
    if not tree.is_dir():
        print(f"floor: {args.tree}: not a folder (extract a kernel tree there, see bench/speed.py)", file=sys.stderr)
        return 2
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    missing = [p for p in parts if not (tree / p).is_dir()]
    if missing:
        print(f"floor: {', '.join(missing)}: not a folder of {tree}", file=sys.stderr)
        return 2
    os.chdir(tree)  # the run sees the paths a `folint PART` run in the tree sees
    print(f"tree {tree}, parse shared over {args.jobs} jobs")
    print(f"{'part':8} {'parsed':>7} {'MB read':>8} {'parse CPU s':>11} {'grep s':>7} {'setup s':>7} "
          f"{'floor s':>7} {'budget s':>8} {'room s':>7} {'rest CPU s':>10} {'outside parsed':>14} {'CPU s':>6}")
    try:
        for part in parts:
            grep = speed.best([speed.timed(speed.GREP + [part], tree) for _ in range(3)]).seconds
            setup = setup_seconds(part, tree)
            parses = record_parses(part)
            cpu, beyond = parse_cpu(parses.texts), parse_cpu(parses.outside)
            floor = setup + grep + cpu / args.jobs
            budget, why = None, ""
            if part in (".", "./"):
                cocci = args.coccinelle
                if cocci is None and not args.no_peers:
                    t = speed.coccinelle(part, tree, args.jobs, 1)
                    cocci = t.seconds if t is not None else None
                if cocci is not None:
                    budget, why = cocci / 2, f"half of Coccinelle's {cocci:.2f} s"
            else:
                budget, why = FOLDER_BUDGET_S, "a folder, issue 12"
            rest = max(parses.run_cpu - cpu - beyond, 0.0)
            room = f"{budget - floor:7.2f}" if budget is not None else f"{'-':>7}"
            shown = budget if budget is not None else float("nan")
            print(f"{part:8} {len(parses.texts):7} {parses.read_bytes / 1e6:8.3f} {cpu:11.3f} {grep:7.2f} "
                  f"{setup:7.2f} {floor:7.2f} {shown:8.2f} {room} {rest:10.2f} {len(parses.outside):14} {beyond:6.2f}")
            if budget is None:
                print(f"  {part}: no budget (Coccinelle not run: install it, apt-get install coccinelle, "
                      f"or give --coccinelle SECONDS)")
            elif floor > budget:
                print(f"  {part}: the floor is over the budget ({why}) by {floor - budget:.2f} s: setup, grep and "
                      f"the parse alone miss the goal")
            else:
                print(f"  {part}: {budget - floor:.2f} s of the budget ({why}) are left for the rest, which now "
                      f"costs {rest:.2f} s CPU ({rest / args.jobs:.2f} s over {args.jobs} jobs, simulation off)")
    finally:
        shutil.rmtree(speed.PYCACHE, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
