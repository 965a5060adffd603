#!/usr/bin/env python3
"""How well the FOL003 conversion planner foresees what kernel developers converted.

    python bench/candidates.py [--old TREE_6_1] [--new TREE_6_12] [-j N] [--cache-dir DIR]
                               [--min-share S] [--list] [--json FILE]

1. *Converted functions*, found on its own from the two trees: a function whose
   old definition takes a ``struct page *`` and whose new definition takes a
   ``struct folio *`` where the old one took a page (fewer page parameters, more
   folio parameters).  The new definition is found by the same name, or else by
   a folio-named successor: the old name with its ``page`` components -> ``folio``
   (``pages`` -> ``folios`` or ``folio``, ``readpage`` -> ``read_folio``; a word
   holding ``page``, as ``mpage``, stays), or ``X_page`` -> ``folio_X``; a successor counts only when the old
   tree defines no function of that name and the new tree defines no page-taking
   function of the old name.  A ``static`` function of a ``.c`` file is matched in
   the file of the same relative path only.  Definitions come from parsing
   (``folint.source.SourceFile``) the files of each tree that have a line starting
   with such a name followed by ``(``; the old tree's page-taking definitions come
   from the tree index, as the planner's do.
2. *The subset*: converted functions with an old-tree call whose argument is,
   textually, ``&x->page`` (any ``x``) or ``folio_page(...)``; found by a regular
   expression over the old tree's files, independently of the index's own reading
   of arguments (the definition and prototypes never match: their arguments are
   declarations).
3. The planner (``folint.candidates.plan``) on the old tree's index, and FOL003 at
   its defaults on the same index: recall = share of the subset in the list,
   precision = share of the list's functions converted in the new tree.  A listed
   function the new tree no longer defines counts as not converted (it may have been
   removed, or replaced by a folio function under a name ``successors`` does not
   guess); the precision is also given without those, and per band of share (the
   list is ranked by share: a sound ranking converts more at the top).

The trees are only read.  The index is cached in ``--cache-dir`` (a whole-tree
build takes some minutes on one core the first time).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from dataclasses import dataclass

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from folint.discovery import discover  # noqa: E402
from folint.pool import parallel_map  # noqa: E402
from folint.vocab import is_folio_pointer_type, is_page_pointer_type  # noqa: E402

OLD = "/tmp/linux/linux-source-6.1"
NEW = "/tmp/linux/linux-source-6.12"
_LINE_NAME = re.compile(rb"^(?:[A-Za-z_][\w \t\*]*?[\s\*])?([A-Za-z_]\w*)\s*\(", re.M)


@dataclass(frozen=True)
class DefSig:
    """One definition: where, whether file-local, how many page and folio parameters."""

    rel: str
    name: str
    local: bool
    pages: int
    folios: int


# -- definitions by parsing ------------------------------------------------------------

_scan: dict = {}


def _scan_init(names: frozenset[str]) -> None:
    _scan["names"] = names


def _defs_in(path: str) -> list[tuple[str, str, bool, int, int]]:
    """(path, name, static?, page params, folio params) of each wanted definition in ``path``."""
    from folint.source import SourceFile

    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError:
        return []
    if b"struct page" not in raw and b"struct folio" not in raw:
        return []
    names = _scan["names"]
    if not any(m.group(1).decode() in names for m in _LINE_NAME.finditer(raw)):
        return []
    try:
        src = SourceFile(path, raw)
    except Exception:  # a file the parser cannot take is left out
        return []
    out = []
    for fn in src.functions:
        if fn.name not in names:
            continue
        head = raw[fn.node.start_byte:fn.body.start_byte]
        pages = sum(is_page_pointer_type(t) for _, t in fn.params)
        folios = sum(is_folio_pointer_type(t) for _, t in fn.params)
        out.append((path, fn.name, b"static" in head.split(fn.name.encode())[0], pages, folios))
    return out


def scan_definitions(tree: str, names: set[str], jobs: int) -> dict[str, list[DefSig]]:
    files = [f for f in discover([tree]).files if f.endswith((".c", ".h"))]
    out: dict[str, list[DefSig]] = {}
    for got in parallel_map(_defs_in, files, jobs=jobs, initializer=_scan_init, initargs=(frozenset(names),),
                            ordered=False, chunksize=64):
        for path, name, static, pages, folios in got:
            rel = os.path.relpath(path, tree)
            out.setdefault(name, []).append(DefSig(rel, name, static and rel.endswith(".c"), pages, folios))
    return out


# a name component and what it became in folio names (``readpage`` -> ``read_folio``: the
# address_space operation's rename in 5.19)
_COMPONENTS = {"page": ("folio",), "pages": ("folios", "folio"), "readpage": ("read_folio",)}


def successors(name: str) -> list[str]:
    """Folio-named successors of ``name``: its ``page``/``pages``/``readpage`` components
    renamed (``mpage_process_page`` -> ``mpage_process_folio``, not ``mfolio_...``:
    ``mpage`` is a word of its own), or ``X_page`` -> ``folio_X``."""
    out = []
    parts = name.split("_")
    if any(p in _COMPONENTS for p in parts):
        for k in range(max(len(_COMPONENTS[p]) for p in parts if p in _COMPONENTS)):
            out.append("_".join(_COMPONENTS[p][min(k, len(_COMPONENTS[p]) - 1)] if p in _COMPONENTS else p
                                for p in parts))
    m = re.fullmatch(r"(\w+?)_pages?", name)
    if m:
        out.append(f"folio_{m.group(1)}")
    return [s for s in dict.fromkeys(out) if s != name]


def old_page_defs(index, tree: str) -> dict[str, list[DefSig]]:
    out: dict[str, list[DefSig]] = {}
    for d in index.definitions():
        rel = os.path.relpath(d.path, tree)
        types = [p.type for p in d.rec.params]
        out.setdefault(d.name, []).append(DefSig(rel, d.name, d.file_local, sum(map(is_page_pointer_type, types)),
                                                 sum(map(is_folio_pointer_type, types))))
    return out


def _takes_folio_now(old: DefSig, new: list[DefSig]) -> bool:
    if old.local:
        new = [n for n in new if n.rel == old.rel]
    return any(n.folios > old.folios and n.pages < old.pages for n in new)


def converted(old_defs: dict[str, list[DefSig]], new_defs: dict[str, list[DefSig]],
              old_other: dict[str, list[DefSig]]) -> dict[tuple[str, str], str]:
    """(name, rel of the old definition) -> the new name, for each converted function."""
    out = {}
    for name, defs in old_defs.items():
        for d in defs:
            if _takes_folio_now(d, new_defs.get(name, [])):
                out[(name, d.rel)] = name
                continue
            if any(n.pages and (not d.local or n.rel == d.rel) for n in new_defs.get(name, [])):
                continue  # still takes a page
            for s in successors(name):
                if s in old_other or s in old_defs:
                    continue  # not new: it existed before
                if _takes_folio_now(d, new_defs.get(s, [])):
                    out[(name, d.rel)] = s
                    break
    return out


# -- the subset: old callers passing &x->page or folio_page(...) ----------------------------

_ARG = re.compile(r"^\(?\s*(?:&\s*.*->\s*page|folio_page\s*\(.*)$", re.S)
_sub: dict = {}


def _sub_init(names: frozenset[str]) -> None:
    _sub["names"] = names
    _sub["re"] = re.compile(rb"\b(" + b"|".join(re.escape(n.encode()) for n in sorted(names)) + rb")\s*\(")


def _args_at(raw: bytes, start: int) -> list[str] | None:
    depth, i, args, cur = 0, start, [], bytearray()
    while i < len(raw) and i < start + 4000:
        c = raw[i:i + 1]
        if c in b"([{":
            depth += 1
            if depth > 1:
                cur += c
        elif c in b")]}":
            depth -= 1
            if depth == 0:
                args.append(cur.decode("utf-8", "replace").strip())
                return args
            cur += c
        elif c == b"," and depth == 1:
            args.append(cur.decode("utf-8", "replace").strip())
            cur = bytearray()
        elif depth >= 1:
            cur += c
        i += 1
    return None


def _folio_callers_in(path: str) -> list[tuple[str, str, int, str]]:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError:
        return []
    if b"->page" not in raw and b"folio_page" not in raw:
        return []
    out = []
    for m in _sub["re"].finditer(raw):
        args = _args_at(raw, m.end() - 1)
        for a in args or ():
            if _ARG.match(" ".join(a.split())):
                out.append((m.group(1).decode(), path, raw.count(b"\n", 0, m.start()) + 1, " ".join(a.split())))
                break
    return out


def text_folio_callers(tree: str, names: set[str], jobs: int) -> dict[str, list[tuple[str, int, str]]]:
    files = [f for f in discover([tree]).files if f.endswith((".c", ".h"))]
    out: dict[str, list] = {}
    for got in parallel_map(_folio_callers_in, files, jobs=jobs, initializer=_sub_init,
                            initargs=(frozenset(names),), ordered=False, chunksize=64):
        for name, path, line, arg in got:
            out.setdefault(name, []).append((os.path.relpath(path, tree), line, arg))
    return out


# -- the measurement ----------------------------------------------------------------------------

def _score(listed: set[str], subset: set[str], conv: set[str]) -> dict:
    hit = listed & subset
    good = listed & conv
    return {"listed": len(listed), "subset_found": len(hit), "recall": round(len(hit) / len(subset), 3) if subset else 0,
            "converted_listed": len(good), "precision": round(len(good) / len(listed), 3) if listed else 0,
            "missed": sorted(subset - listed)}


SHARE_BANDS = ((1.0, 1.01), (0.5, 1.0), (0.25, 0.5), (0.1, 0.25), (0.0, 0.1))


def _by_share(candidates, conv: set[str]) -> list[dict]:
    """Listed and converted functions per band of share: is the ranking sound (the
    higher the share, the more of the band converted)?"""
    out = []
    for lo, hi in SHARE_BANDS:
        names = {c.name for c in candidates if lo <= c.share < hi}
        label = "100%" if lo == 1.0 else f"{lo:.0%}-{hi:.0%}"
        out.append({"share": label, "listed": len(names), "converted": len(names & conv)})
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--old", default=OLD)
    ap.add_argument("--new", default=NEW)
    ap.add_argument("-j", "--jobs", type=int, default=1)
    ap.add_argument("--cache-dir", default="/tmp/cache-candidates")
    ap.add_argument("--min-share", type=float, default=None, help="the planner's --min-share (default: its own)")
    ap.add_argument("--list", action="store_true", help="print the subset and each list entry's outcome")
    ap.add_argument("--json", metavar="FILE", help="write every figure and name to FILE")
    args = ap.parse_args(argv)
    if args.jobs > 2:
        print("bench/candidates.py: at most 2 workers on this shared machine", file=sys.stderr)
        return 2
    from folint import candidates as cand
    from folint.index.build import BuildStats, build_index

    t0 = time.process_time()
    stats = BuildStats()
    index = build_index([args.old], jobs=args.jobs, cache_dir=args.cache_dir, stats=stats)
    print(f"index of {args.old}: {stats.files} files, {stats.parsed} summarised now, {len(index)} summaries, "
          f"{stats.seconds} s", file=sys.stderr)
    old_defs = old_page_defs(index, args.old)
    succ = {s for n in old_defs for s in successors(n)}
    new_defs = scan_definitions(args.new, set(old_defs) | succ, args.jobs)
    old_other = scan_definitions(args.old, succ, args.jobs)
    conv = converted(old_defs, new_defs, old_other)
    conv_names = {name for name, _ in conv}
    callers = text_folio_callers(args.old, conv_names, args.jobs)
    subset = {n for n in conv_names if callers.get(n)}

    options = {} if args.min_share is None else {"min_share": args.min_share}
    planned = cand.plan(index, jobs=args.jobs, **options)
    listed = {c.name for c in planned.candidates}
    left_out = {e.candidate.name for e in planned.left_out}
    from folint.config import Config
    from folint.selection import build_rules

    def fol003_flags(**options) -> set[str]:
        config = Config()
        config.rule_options = {"FOL003": options}
        rule = next(r for r in build_rules(config, ["FOL003"], None) if r.code == "FOL003")
        return {f.function for f in rule.check_tree(index) if not f.data.get("call")}

    flagged = fol003_flags()
    half = fol003_flags(threshold=0.5)
    same = {name for (name, _), new in conv.items() if new == name}
    same_subset = subset & same
    still = {n for n in listed - conv_names if any(d.pages for d in new_defs.get(n, ()))}
    gone = listed - conv_names - still  # no definition found in the new tree: removed, or renamed beyond successors()
    report = {
        "old": args.old, "new": args.new,
        "page_taking_functions_old": len(old_defs),
        "converted": len(conv_names), "converted_same_name": len(same),
        "converted_by_successor": sorted(f"{a}->{b}" for (a, _), b in conv.items() if a != b),
        "subset": sorted(subset), "subset_same_name": sorted(same_subset),
        "subset_callers": {n: callers[n][:3] for n in sorted(subset)},
        "planner": _score(listed, subset, conv_names),
        "fol003_default": _score(flagged, subset, conv_names),
        "fol003_threshold_half": _score(half, subset, conv_names),
        "planner_same_name_only": _score(listed, same_subset, same),
        "fol003_default_same_name_only": _score(flagged, same_subset, same),
        "listed_not_converted": {"still_takes_a_page": len(still),
                                 "no_definition_found_new": len(gone)},
        # the same without the listed functions the new tree no longer defines (neither right nor wrong)
        "planner_still_defined": _score(listed - gone, subset, conv_names),
        "planner_by_share": _by_share(planned.candidates, conv_names),
        "left_out": len(left_out), "left_out_converted": len(left_out & conv_names),
        "cpu_seconds": round(time.process_time() - t0, 1),
    }
    print(f"page-taking functions defined in {args.old}: {len(old_defs)}")
    print(f"converted between the trees: {len(conv_names)} functions "
          f"({len(same)} under the same name, the rest by a folio-named successor)")
    print(f"with an old-tree caller passing &x->page or folio_page(...): {len(subset)} "
          f"({len(same_subset)} of the same-name ones)")
    for label, n in (("planner", len(subset)), ("fol003_default", len(subset)), ("fol003_threshold_half", len(subset)),
                     ("planner_same_name_only", len(same_subset)), ("fol003_default_same_name_only", len(same_subset))):
        s = report[label]
        print(f"{label:30s} listed {s['listed']:4d}  recall {s['subset_found']}/{n} = {s['recall']:.0%}  "
              f"precision {s['converted_listed']}/{s['listed']} = {s['precision']:.0%}")
        if s["missed"] and label == "planner":
            print(f"{'':30s} missed: {', '.join(s['missed'])}")
    s = report["planner_still_defined"]
    print(f"{'planner, still-defined only':30s} listed {s['listed']:4d}  "
          f"precision {s['converted_listed']}/{s['listed']} = {s['precision']:.0%} "
          f"(left aside: {len(gone)} listed functions the new tree no longer defines)")
    print("planner precision by share of folio-holding callers: " + "; ".join(
        f"{b['share']} {b['converted']}/{b['listed']}" for b in report["planner_by_share"]))
    fate = report["listed_not_converted"]
    print(f"listed, not converted: {fate['still_takes_a_page']} still take a page, "
          f"{fate['no_definition_found_new']} have no definition found in the new tree; "
          f"left out by the planner: {len(left_out)} ({len(left_out & conv_names)} of them converted)")
    if args.list:
        for n in sorted(subset):
            print(f"subset {n}: {callers[n][0]}")
        for c in planned.candidates:
            print(f"{'CONVERTED' if c.name in conv_names else '         '} {c.share:4.0%} {c.name} "
                  f"({len(c.folio_callers)} folio, {len(c.plain_callers)} plain)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
