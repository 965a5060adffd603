#!/usr/bin/env python3
"""Wall time and files/s of folint on a real kernel tree, beside a grep floor.

    python bench/speed.py [TREE] [--runs N] [--simulate] [--jobs N]

TREE defaults to /tmp/linux/linux-source-6.12 (Debian: apt-get install
linux-source-6.12; tar -xf /usr/src/linux-source-6.12.tar.xz -C /tmp/linux).
For the whole tree, mm/ and arch/ it prints the best of N runs of
``folint --format json`` and of
``grep -rlE 'folio|swp_entry_t' --include='*.[ch]'`` over the same folder
(the floor: reading every file once).  The page cache is warmed first.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

GREP = ["grep", "-rlE", "folio|swp_entry_t", "--include=*.[ch]"]


def timed(cmd: list[str], cwd: Path) -> tuple[float, str]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    return time.perf_counter() - t, proc.stdout


def best(cmd, cwd, runs):
    results = [timed(cmd, cwd) for _ in range(runs)]
    return min(r[0] for r in results), results[0][1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tree", nargs="?", default="/tmp/linux/linux-source-6.12")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--simulate", action="store_true", help="include the simulator (default: --no-simulate)")
    ap.add_argument("--jobs", type=int, default=0)
    ap.add_argument("--parts", default=".,mm,arch", help="comma-separated folders of the tree")
    args = ap.parse_args()
    tree = Path(args.tree)
    if not (tree / "mm").is_dir():
        print(f"{tree}: not a kernel tree; see this script's docstring", file=sys.stderr)
        return 2
    folint = [sys.executable, "-m", "folint", "--format", "json", "--jobs", str(args.jobs)]
    if not args.simulate:
        folint.append("--no-simulate")
    subprocess.run(GREP + ["."], cwd=tree, capture_output=True)  # warm the page cache
    print(f"{'part':<8} {'files':>7} {'parsed':>7} {'findings':>8} {'folint s':>9} {'files/s':>9} "
          f"{'grep s':>7} {'x grep':>7}")
    for part in args.parts.split(","):
        g, _ = best(GREP + [part], tree, args.runs)
        f, out = best(folint + [part], tree, args.runs)
        try:
            s = json.loads(out)["summary"]
        except ValueError:
            print(f"{part}: folint printed no JSON report; run `{' '.join(folint)} {part}` to see why",
                  file=sys.stderr)
            return 1
        print(f"{part:<8} {s['files']:>7} {s['parsed']:>7} {s['findings']:>8} {f:>9.2f} {s['files'] / f:>9.0f} "
              f"{g:>7.2f} {f / g:>7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
