#!/usr/bin/env python3
"""folint against its peers on a real kernel tree, in one run: wall time, ratios, memory.

    python bench/speed.py [TREE] [--runs N] [--parts .,mm] [--jobs N] [--no-simulate]
                          [--select CODES] [--no-peers] [--no-patch]

TREE defaults to /tmp/linux/linux-source-6.12 (Debian: apt-get install
linux-source-6.12; tar -xf /usr/src/linux-source-6.12.tar.xz -C /tmp/linux).

For each part (default: the whole tree and mm/) it runs, on the same folder:

- the floor: ``grep -rlE 'folio|swp_entry_t' --include='*.[ch]'`` (reads every file once);
- Coccinelle (``spatch``, when installed; else it says how to install it) with the two
  semantic patches in bench/cocci/ (FOL001 and FOL002), ``-j`` as folint's workers;
- folint with default options (every rule, simulation on): **cold** (an empty cache
  directory: a new user's first run) and **warm** (the same cache, run again), each as
  ``folint --format json --cache-dir DIR PART``.

It prints the best of N runs for grep, Coccinelle and warm folint (a cold run is one run
on a fresh cache each time: best of N too), the ratios the goals are stated in (cold
folint / Coccinelle, warm folint / grep), and the peak memory of the folint runs: the
main process and the whole process tree (RSS summed over folint and its workers),
sampled from /proc every 20 ms.  Unless --no-patch, it also times a one-file
``folint check-patch`` on the tree (a comment added to mm/swap.c), cold and warm.
It installs nothing and never writes into the tree.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
GREP = ["grep", "-rlE", "folio|swp_entry_t", "--include=*.[ch]"]
PAGE = 4096


@dataclass
class Timing:
    seconds: float
    stdout: str = ""
    main_rss: int = 0   # bytes, peak RSS of the process started
    tree_rss: int = 0   # bytes, peak of RSS summed over it and its descendants


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, ValueError, IndexError):
        return 0


class MemorySampler(threading.Thread):
    """Peak RSS of a process and of its process tree, sampled from /proc."""

    def __init__(self, pid: int, every: float = 0.02):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.main_peak = self.tree_peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            main = _rss(self.pid)
            total, todo, kids = main, [self.pid], _children()
            while todo:
                for kid in kids.get(todo.pop(), ()):
                    total += _rss(kid)
                    todo.append(kid)
            self.main_peak = max(self.main_peak, main)
            self.tree_peak = max(self.tree_peak, total)
            self.done.wait(self.every)


def timed(cmd: list[str], cwd: Path, memory: bool = False) -> Timing:
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    sampler = MemorySampler(proc.pid) if memory else None
    if sampler:
        sampler.start()
    out, _ = proc.communicate()
    seconds = time.perf_counter() - t
    if sampler:
        sampler.done.set()
        sampler.join()
        return Timing(seconds, out, sampler.main_peak, sampler.tree_peak)
    return Timing(seconds, out)


def best(runs: list[Timing]) -> Timing:
    return min(runs, key=lambda r: r.seconds)


def mib(n: int) -> str:
    return f"{n / 2**20:.0f}"


def folint_runs(folint: list[str], part: str, tree: Path, runs: int) -> tuple[Timing, Timing]:
    """Best cold (fresh cache each time) and best warm run of folint on ``part``."""
    cold, warm = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="folint-bench-cache-") as cache:
            cmd = folint + ["--cache-dir", cache, part]
            cold.append(timed(cmd, tree, memory=True))
            warm.append(timed(cmd, tree, memory=True))
    return best(cold), best(warm)


def coccinelle(part: str, tree: Path, jobs: int, runs: int) -> Timing | None:
    spatch = shutil.which("spatch")
    if spatch is None:
        return None
    total = 0.0
    for cocci in sorted((HERE / "cocci").glob("*.cocci")):
        cmd = [spatch, "--very-quiet", "--no-show-diff", "-j", str(jobs), "--sp-file", str(cocci), "--dir", part]
        total += best([timed(cmd, tree) for _ in range(runs)]).seconds
    return Timing(total)


def summary_of(t: Timing) -> dict | None:
    try:
        return json.loads(t.stdout)["summary"]
    except (ValueError, KeyError):
        return None


def patch_runs(folint_bin: list[str], tree: Path, runs: int) -> tuple[Timing, Timing] | None:
    target = tree / "mm" / "swap.c"
    if not target.is_file():
        return None
    with tempfile.TemporaryDirectory(prefix="folint-bench-patch-") as work:
        old = Path(work, "a")
        new = Path(work, "b")
        (old / "mm").mkdir(parents=True)
        (new / "mm").mkdir(parents=True)
        shutil.copy(target, old / "mm" / "swap.c")
        text = target.read_text(errors="surrogateescape")
        (new / "mm" / "swap.c").write_text("/* bench: a one-line change */\n" + text, errors="surrogateescape")
        diff = subprocess.run(["diff", "-u", "a/mm/swap.c", "b/mm/swap.c"], cwd=work,
                              capture_output=True, text=True, errors="surrogateescape").stdout
        patch = Path(work, "0001-bench.patch")
        patch.write_text(diff, errors="surrogateescape")
        cold, warm = [], []
        for _ in range(runs):
            with tempfile.TemporaryDirectory(prefix="folint-bench-cache-") as cache:
                cmd = folint_bin + ["check-patch", "--cache-dir", cache, "--tree", str(tree), str(patch)]
                cold.append(timed(cmd, tree, memory=True))
                warm.append(timed(cmd, tree, memory=True))
        return best(cold), best(warm)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tree", nargs="?", default="/tmp/linux/linux-source-6.12")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--parts", default=".,mm", help="comma-separated folders of the tree (default: .,mm)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--no-simulate", action="store_true", help="static checks only")
    ap.add_argument("--select", help="only these rules (folint --select)")
    ap.add_argument("--no-peers", action="store_true", help="skip grep and Coccinelle")
    ap.add_argument("--no-patch", action="store_true", help="skip the one-file check-patch timing")
    args = ap.parse_args()
    tree = Path(args.tree).resolve()
    if not (tree / "mm").is_dir():
        print(f"{tree}: not a kernel tree; see this script's docstring", file=sys.stderr)
        return 2
    base = [sys.executable, "-m", "folint"]
    folint = base + ["--format", "json", "--jobs", str(args.jobs)]
    if args.no_simulate:
        folint.append("--no-simulate")
    if args.select:
        folint += ["--select", args.select]
    load = os.getloadavg()[0]
    print(f"tree {tree}, {os.cpu_count()} cores, load average {load:.1f} at start, best of {args.runs}")
    if not args.no_peers and shutil.which("spatch") is None:
        print("coccinelle: not installed, skipped (Debian: apt-get install coccinelle)")
    subprocess.run(GREP + ["."], cwd=tree, capture_output=True)  # warm the page cache
    print(f"{'part':<6} {'files':>7} {'findings':>8} {'grep s':>7} {'cocci s':>8} {'cold s':>7} {'warm s':>7} "
          f"{'cold/cocci':>10} {'warm/grep':>9} {'main MiB':>8} {'tree MiB':>8}")
    for part in args.parts.split(","):
        grep = best([timed(GREP + [part], tree) for _ in range(args.runs)]) if not args.no_peers else None
        cocci = coccinelle(part, tree, args.jobs, args.runs) if not args.no_peers else None
        cold, warm = folint_runs(folint, part, tree, args.runs)
        s = summary_of(warm)
        if s is None:
            print(f"{part}: folint printed no JSON report; run `{' '.join(folint)} {part}` to see why",
                  file=sys.stderr)
            return 1
        g = f"{grep.seconds:.2f}" if grep else "-"
        c = f"{cocci.seconds:.2f}" if cocci else "-"
        rc = f"{cold.seconds / cocci.seconds:.2f}" if cocci else "-"
        rg = f"{warm.seconds / grep.seconds:.2f}" if grep else "-"
        main_peak = max(cold.main_rss, warm.main_rss)
        tree_peak = max(cold.tree_rss, warm.tree_rss)
        print(f"{part:<6} {s['files']:>7} {s['findings']:>8} {g:>7} {c:>8} {cold.seconds:>7.2f} "
              f"{warm.seconds:>7.2f} {rc:>10} {rg:>9} {mib(main_peak):>8} {mib(tree_peak):>8}")
    if not args.no_patch:
        runs = patch_runs(base, tree, args.runs)
        if runs:
            cold, warm = runs
            print(f"check-patch, one file (mm/swap.c): cold {cold.seconds:.2f} s, warm {warm.seconds:.2f} s, "
                  f"peak {mib(max(cold.tree_rss, warm.tree_rss))} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
