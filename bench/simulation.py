#!/usr/bin/env python3
"""What the companion simulator costs and how often it reaches a verdict, on a kernel tree.

Usage: python bench/simulation.py [--tree DIR] [--dirs mm arch fs] [--repeat N]
                                  [--skip-timing] [--skip-loops] [--jobs N]

1. Cost: wall time of ``folint --format json DIRS`` with simulation (the
   default) and with ``--no-simulate``, each run ``--repeat`` times in a
   fresh process (the machine is shared, so the minimum and the median are
   printed, not one number).
2. Verdicts: every finding of the simulated run (``--show-refuted``) by rule
   and verdict, the share with a definite verdict (confirmed or refuted)
   among findings whose rule has an oracle, and each inconclusive one with
   its reason.
3. Loop coverage: the kernel code that passes review has few findings, so
   the verdict count alone says little about how the simulator copes with
   real functions.  For every per-page loop the loop model recognises, the
   function is explored the way an oracle would (default scenario, stop after
   the loop) and the outcome is tallied: complete and exact (a refutation
   would be possible), complete but with skipped code, or cut short - with
   the reasons, and the time each exploration took.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

DEFAULT_TREE = "/tmp/linux/linux-source-6.12"


def timed_run(tree: str, dirs: list[str], extra: list[str], jobs: int) -> tuple[float, dict]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = fh.name
    cmd = [sys.executable, "-m", "folint", "--format", "json", "-o", out, "--jobs", str(jobs), *extra, *dirs]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"folint failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    with open(out) as fh:
        doc = json.load(fh)
    os.unlink(out)
    return seconds, doc


def timing(tree: str, dirs: list[str], repeat: int, jobs: int) -> dict:
    times: dict[str, list[float]] = {"simulate": [], "no-simulate": []}
    doc = None
    for _ in range(repeat):
        for mode in times:
            extra = ["--no-simulate"] if mode == "no-simulate" else ["--show-refuted"]
            seconds, d = timed_run(tree, dirs, extra, jobs)
            times[mode].append(seconds)
            if mode == "simulate":
                doc = d
    print(f"== cost: folint --format json {' '.join(dirs)} (--jobs {jobs}, {repeat} runs each)")
    for mode, ts in times.items():
        print(f"  {mode:12} min {min(ts):7.2f}s  median {statistics.median(ts):7.2f}s  "
              f"runs: {', '.join(f'{t:.2f}' for t in ts)}")
    extra = statistics.median(times["simulate"]) - statistics.median(times["no-simulate"])
    print(f"  simulation adds {extra:+.2f}s to the median run "
          f"({extra / statistics.median(times['no-simulate']) * 100:+.1f}%)")
    return doc


def verdicts(doc: dict) -> None:
    from folint.rule import Rule
    from folint.selection import registered_rules

    rules = registered_rules()
    with_oracle = {code for code, cls in rules.items() if cls.oracle is not Rule.oracle}
    findings = doc["findings"]
    print(f"\n== verdicts: {len(findings)} findings "
          f"(rules with an oracle: {', '.join(sorted(with_oracle)) or 'none'})")
    table = collections.Counter((f["code"], f["verdict"]) for f in findings)
    for code in sorted({c for c, _ in table}):
        row = ", ".join(f"{v} {table[(code, v)]}" for v in ("confirmed", "refuted", "inconclusive", "unverified")
                        if table[(code, v)])
        print(f"  {code}{'' if code in with_oracle else ' (no oracle)'}: {row}")
    judged = [f for f in findings if f["code"] in with_oracle]
    definite = [f for f in judged if f["verdict"] in ("confirmed", "refuted")]
    if judged:
        print(f"  definite (confirmed or refuted) among findings with an oracle: {len(definite)}/{len(judged)} "
              f"= {len(definite) / len(judged) * 100:.1f}%")
    else:
        print("  no finding of a rule with an oracle: the definite share is not measurable on this tree")
    for f in findings:
        if f["verdict"] == "inconclusive":
            print(f"  inconclusive {f['path']}:{f['line']} {f['code']} {f['function']}(): {f['evidence']}")


_NUMBERS = re.compile(r"\d+")


def loop_coverage(tree: str, dirs: list[str]) -> None:
    from folint.checker import read_source
    from folint.config import DEFAULT_MAX_FILE_SIZE
    from folint.discovery import discover
    from folint.plugins import model_registry
    from folint.sim.oracle import Simulation
    from folint.source import SourceFile
    from folint.vocab import PAGE_LOOP_NEEDLES

    found = discover([os.path.join(tree, d) for d in dirs])
    outcome = collections.Counter()
    reasons = collections.Counter()
    skipped = collections.Counter()
    examples: dict[str, str] = {}
    seconds = []
    loops = 0
    started = time.perf_counter()
    for path in found.files:
        raw, err = read_source(path, DEFAULT_MAX_FILE_SIZE)
        if err is not None or not any(n in raw for n in PAGE_LOOP_NEEDLES):
            continue
        src = SourceFile(path, raw)
        sims: dict = {}
        for loop in src.page_loops:
            loops += 1
            fn = loop.function
            sim = sims.setdefault(fn.node.start_byte, Simulation(src, fn, registry=model_registry()))
            start = loop.node.start_byte
            t0 = time.perf_counter()
            try:
                ex = sim.run(stop_after_loop=start if sim.outermost_loop(start) else None)
            except Exception as e:  # a simulator bug: count it, show it, go on
                outcome["internal error"] += 1
                reasons[f"{type(e).__name__}: {e}"] += 1
                continue
            seconds.append(time.perf_counter() - t0)
            reached = any(r.start_byte == start for p in ex.paths for r in p.loop_runs)
            where = f"{os.path.relpath(path, tree)}:{src.position(start)[0]} {fn.name}()"
            if ex.exact:
                key = "complete and exact" + ("" if reached else " (loop not reached)")
            elif ex.complete:
                key = "complete, code skipped"
                for a in ex.approximations:
                    skipped[_NUMBERS.sub("N", a.split(": ", 1)[-1])] += 1
            else:
                key = "incomplete"
                category = _NUMBERS.sub("N", ex.reason.split(": ", 1)[-1] if "cut short" in ex.reason
                                        else ex.reason)
                reasons[category] += 1
                examples.setdefault(category, where)
            outcome[key] += 1
    total = time.perf_counter() - started
    print(f"\n== loop coverage: {loops} per-page loops in {' '.join(dirs)} explored as an oracle would "
          f"({total:.1f}s in all, parsing included)")
    for key, n in outcome.most_common():
        print(f"  {key:36} {n:5}  ({n / max(loops, 1) * 100:.1f}%)")
    if seconds:
        seconds.sort()
        print(f"  time per exploration: median {statistics.median(seconds) * 1000:.1f}ms, "
              f"p95 {seconds[int(len(seconds) * 0.95)] * 1000:.1f}ms, max {seconds[-1] * 1000:.0f}ms")
    if reasons:
        print("  why incomplete:")
        for r, n in reasons.most_common(12):
            print(f"    {n:5}  {r}   e.g. {examples.get(r, '')}")
    if skipped:
        print("  code skipped (the interpreter's gaps):")
        for r, n in skipped.most_common(12):
            print(f"    {n:5}  {r}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tree", default=DEFAULT_TREE)
    p.add_argument("--dirs", nargs="+", default=["mm", "arch", "fs"])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--jobs", type=int, default=0, help="worker processes for the timed runs (default: all cores)")
    p.add_argument("--skip-timing", action="store_true", help="no timed runs (verdicts from one run)")
    p.add_argument("--skip-loops", action="store_true", help="no loop coverage section")
    args = p.parse_args(argv)
    if not os.path.isdir(os.path.join(args.tree, args.dirs[0])):
        print(f"{args.tree}: no {args.dirs[0]}/ here; pass --tree (a Linux source tree)", file=sys.stderr)
        return 2
    if args.skip_timing:
        _, doc = timed_run(args.tree, args.dirs, ["--show-refuted"], args.jobs)
    else:
        doc = timing(args.tree, args.dirs, args.repeat, args.jobs)
    verdicts(doc)
    if not args.skip_loops:
        loop_coverage(args.tree, args.dirs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
