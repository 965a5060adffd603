#!/usr/bin/env python3
"""folint against its peers on a real kernel tree, in one run: wall time, ratios, memory.

    python bench/speed.py [TREE] [--quick] [--runs N] [--parts .,mm] [--jobs N]
                          [--no-simulate] [--select CODES] [--no-peers] [--no-patch]

TREE defaults to /tmp/linux/linux-source-6.12 (Debian: apt-get install
linux-source-6.12; tar -xf /usr/src/linux-source-6.12.tar.xz -C /tmp/linux).

For each part (default: the whole tree and mm/) it runs, on the same folder:

- the floor: ``grep -rlE 'folio|swp_entry_t' --include='*.[ch]'`` (reads every file once);
- Coccinelle (``spatch``, when installed; else it says how to install it and goes on)
  with the two semantic patches in bench/cocci/ (FOL001 and FOL002), ``-j`` as folint's
  workers;
- folint with default options (every rule, simulation on): **cold** (an empty cache
  directory: a new user's first run) and **warm** (the same cache, run again), each as
  ``folint --format json --cache-dir DIR PART``.

It prints the best of N runs for grep, Coccinelle and warm folint (a cold run is one run
on a fresh cache each time: best of N too), the ratios the goals are stated in (cold
folint / Coccinelle, warm folint / grep), and the peak memory of the cold and the warm
folint run: the main process and the whole process tree (RSS summed over folint and its
workers), sampled from /proc every 20 ms.  Unless --no-patch, it also times a one-file
``folint check-patch`` on the tree (a comment added to mm/swap.c), cold and warm.  Last,
one line per goal of issue 12 says whether this run met it.  ``--quick``: mm/ only, one
run of each (a check in a minute, not a measurement).  It installs nothing and never
writes into the tree.
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


# folint runs as an installed package does: from compiled bytecode (pip writes it at install
# time).  With PYTHONDONTWRITEBYTECODE set every run would compile ~200 modules first (about
# 0.5 s of CPU); the bytecode goes to a folder of the bench's own, not into the package.
PYCACHE = tempfile.mkdtemp(prefix="folint-bench-pycache-")
ENV = {**os.environ, "PYTHONPYCACHEPREFIX": PYCACHE}
ENV.pop("PYTHONDONTWRITEBYTECODE", None)


def timed(cmd: list[str], cwd: Path, memory: bool = False) -> Timing:
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=ENV)
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


GOALS_MIB = {"main": 250, "tree": 600}


@dataclass
class PartRow:
    part: str
    files: int
    findings: int
    errors: int
    grep: Timing | None
    cocci: Timing | None
    cold: Timing
    warm: Timing


def _s(t: Timing | None) -> str:
    return f"{t.seconds:.2f}" if t else "-"


def _ratio(a: Timing | None, b: Timing | None) -> str:
    return f"{a.seconds / b.seconds:.2f}" if a and b and b.seconds else "-"


def print_part(row: PartRow) -> None:
    print(f"{row.part:<6} {row.files:>7} {row.findings:>8} {row.errors:>6} {_s(row.grep):>7} {_s(row.cocci):>8} "
          f"{row.cold.seconds:>7.2f} {row.warm.seconds:>7.2f} {_ratio(row.cold, row.cocci):>10} "
          f"{_ratio(row.warm, row.grep):>9} {mib(row.cold.main_rss):>5}/{mib(row.cold.tree_rss):<5} "
          f"{mib(row.warm.main_rss):>5}/{mib(row.warm.tree_rss):<5}")


def goals(rows: dict[str, PartRow], patch: tuple[Timing, Timing] | None) -> list[tuple[str, str, bool | None]]:
    """(goal, measured, met or None when not measured) for each goal of issue 12."""
    out: list[tuple[str, str, bool | None]] = []
    whole, mm = rows.get("."), rows.get("mm")
    if whole:
        c, g = whole.cocci, whole.grep
        out.append(("cold whole tree <= 0.5 x Coccinelle", f"{_ratio(whole.cold, c)} x",
                    None if c is None else whole.cold.seconds <= 0.5 * c.seconds))
        out.append(("warm whole tree <= 3 x grep", f"{_ratio(whole.warm, g)} x",
                    None if g is None else whole.warm.seconds <= 3 * g.seconds))
        for kind, limit in GOALS_MIB.items():
            peak = max(getattr(whole.cold, f"{kind}_rss"), getattr(whole.warm, f"{kind}_rss"))
            out.append((f"whole tree peak {kind} RSS < {limit} MiB", f"{mib(peak)} MiB", peak < limit * 2**20))
    if mm:
        out.append(("mm/ cold < 1 s", f"{mm.cold.seconds:.2f} s", mm.cold.seconds < 1))
    if patch:
        out.append(("one-file check-patch cold < 2 s", f"{patch[0].seconds:.2f} s", patch[0].seconds < 2))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tree", nargs="?", default="/tmp/linux/linux-source-6.12")
    ap.add_argument("--quick", action="store_true", help="mm/ only, one run of each")
    ap.add_argument("--runs", type=int, default=None, help="best of N (default 3; 1 with --quick)")
    ap.add_argument("--parts", default=None, help="comma-separated folders of the tree (default: .,mm; mm with --quick)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--no-simulate", action="store_true", help="static checks only")
    ap.add_argument("--select", help="only these rules (folint --select)")
    ap.add_argument("--no-peers", action="store_true", help="skip grep and Coccinelle")
    ap.add_argument("--no-patch", action="store_true", help="skip the one-file check-patch timing")
    args = ap.parse_args()
    runs = args.runs or (1 if args.quick else 3)
    parts = (args.parts or ("mm" if args.quick else ".,mm")).split(",")
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
    print(f"tree {tree}, {os.cpu_count()} cores, load average {load:.1f} at start, best of {runs}, "
          f"folint -j {args.jobs}{' --no-simulate' if args.no_simulate else ''}")
    if not args.no_peers and shutil.which("spatch") is None:
        print("coccinelle: not installed, skipped (Debian/Ubuntu: apt-get install coccinelle; "
              "Fedora: dnf install coccinelle; or https://coccinelle.gitlabpages.inria.fr/website/)")
    subprocess.run(GREP + ["."], cwd=tree, capture_output=True)  # warm the page cache
    warmup = HERE.parent / "fixtures" / "FOL001"  # compile folint once (see PYCACHE)
    subprocess.run(base + ["--no-cache", "--format", "json", str(warmup if warmup.is_dir() else HERE)],
                   capture_output=True, env=ENV)
    print(f"{'part':<6} {'files':>7} {'findings':>8} {'errors':>6} {'grep s':>7} {'cocci s':>8} {'cold s':>7} "
          f"{'warm s':>7} {'cold/cocci':>10} {'warm/grep':>9} {'cold MiB':>11} {'warm MiB':>11}")
    print(f"{'':<6} {'':>7} {'':>8} {'':>6} {'':>7} {'':>8} {'':>7} {'':>7} {'':>10} {'':>9} "
          f"{'main/tree':>11} {'main/tree':>11}")
    rows: dict[str, PartRow] = {}
    for part in parts:
        grep = best([timed(GREP + [part], tree) for _ in range(runs)]) if not args.no_peers else None
        cocci = coccinelle(part, tree, args.jobs, runs) if not args.no_peers else None
        cold, warm = folint_runs(folint, part, tree, runs)
        s, report = summary_of(warm), _report(warm)
        if s is None:
            print(f"{part}: folint printed no JSON report; run `{' '.join(folint)} {part}` to see why",
                  file=sys.stderr)
            return 1
        if _report(cold) is not None:
            differ = set(_findings(_report(cold))) ^ set(_findings(report))
            if differ:  # the simulator's wall-clock limits can decide a verdict on a loaded machine
                print(f"{part}: {len(differ)} findings of the warm run differ from the cold run's, e.g. "
                      f"{sorted(differ)[0][:300]}", file=sys.stderr)
        rows[part.rstrip("/") or "."] = row = PartRow(part, s["files"], s["findings"], len(report["errors"]),
                                                     grep, cocci, cold, warm)
        print_part(row)
    patch = None
    if not args.no_patch:
        patch = patch_runs(base, tree, runs)
        if patch:
            cold, warm = patch
            print(f"check-patch, one file (mm/swap.c): cold {cold.seconds:.2f} s, warm {warm.seconds:.2f} s; "
                  f"peak main/tree MiB cold {mib(cold.main_rss)}/{mib(cold.tree_rss)}, "
                  f"warm {mib(warm.main_rss)}/{mib(warm.tree_rss)}")
    shutil.rmtree(PYCACHE, ignore_errors=True)
    print("goals (issue 12):")
    for goal, got, met in goals(rows, patch):
        print(f"  {'met' if met else 'not met' if met is not None else 'n/a':<8} {goal}: {got}")
    return 0


def _report(t: Timing) -> dict | None:
    try:
        return json.loads(t.stdout)
    except ValueError:
        return None


def _findings(report: dict) -> list:
    return sorted(json.dumps(f, sort_keys=True) for f in report.get("findings", []))


if __name__ == "__main__":
    sys.exit(main())
