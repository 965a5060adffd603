"""``folint candidates PATH...``: the FOL003 conversion planner.

Ranks the functions defined under PATH that take a ``struct page *`` and that
some callers hand a folio's page, by the share of such callers, naming each
caller that still passes a plain page and whether it could pass a folio
(``folint.candidates``).  When PATH lies inside a kernel tree, the callers are
looked for in the whole tree (its index, cached like FOL003's); elsewhere only
among the files under PATH, and the report says so.  Exit 0 when it ran (the
candidates are notes, not findings), 2 on a usage error.
"""

from __future__ import annotations

import json
import os
import sys

from folint.config import ConfigError, config_for

FORMATS = ("text", "json")


def share(value: str) -> float:
    """``0.5``, ``50%`` or ``50`` -> 0.5."""
    import argparse

    text = value.strip()
    try:
        v = float(text.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--min-share {value!r}: give a share such as 0.5 or 50%") from None
    if text.endswith("%") or v > 1:
        v /= 100
    if not 0 <= v <= 1:
        raise argparse.ArgumentTypeError(f"--min-share {value!r}: a share lies between 0 and 1 (0% and 100%)")
    return v


def configure(p, _name):
    p.add_argument("paths", nargs="*", metavar="PATH", help="files and folders whose functions are ranked (default: .)")
    p.add_argument("--min-share", type=share, default=0.0, metavar="S",
                   help="only functions at least this share of whose callers pass a folio's page "
                        "(0.5 or 50%%; default: 0, every function with one such caller)")
    p.add_argument("--all", dest="show_left_out", action="store_true",
                   help="also list the functions left out (a folio API exists, compat wrappers, per-page helpers)")
    p.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--jobs", "-j", type=int, default=0, metavar="N", help="worker processes (default: all cores)")
    p.add_argument("--config", metavar="FILE", help="use this .folint.toml instead of searching for one")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="skip files matching GLOB")
    p.add_argument("--no-cache", dest="cache", action="store_false", help="do not read or write the tree index cache")
    p.add_argument("--cache-dir", metavar="DIR", help="keep the tree index cache in DIR")


def _tree_targets(paths: list[str]) -> tuple[list[str], str | None]:
    """(the targets to index, the kernel tree's top when it is not among the paths)."""
    from folint.facts.tree import find_tree_root

    roots = {find_tree_root(p) for p in paths}
    if len(roots) != 1 or None in roots:
        return paths, None
    root = roots.pop()
    if any(os.path.realpath(p) == str(root) for p in paths):
        return paths, None
    top = str(root) if os.path.isabs(paths[0]) else os.path.relpath(root)
    return [top], top


def run(args) -> int:
    from folint.candidates import plan
    from folint.candidates_report import render_text, to_json
    from folint.discovery import discover
    from folint.index.build import BuildStats, build_index
    from folint.output import write_file, write_stdout

    paths = args.paths or ["."]
    if args.jobs < 0:
        raise ConfigError("--jobs must be 0 (all cores) or more")
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise ConfigError(f"{missing[0]}: no such file or folder; check the path")
    config = config_for(paths, args.config)
    config.exclude = [*config.exclude, *args.exclude]
    targets, top = _tree_targets(paths)
    stats = BuildStats()
    index = build_index(targets, config, jobs=args.jobs, cache=args.cache, cache_dir=args.cache_dir, stats=stats)
    checked = discover(paths, config.exclude, config.root).files if top else None
    if top:
        note = f"callers looked for in the whole kernel tree at {top}"
    elif index.complete:
        note = ""
    else:
        note = "callers outside the files checked were not seen (check the whole tree, or a folder inside a kernel tree)"
    result = plan(index, min_share=args.min_share, paths=checked, jobs=args.jobs, max_size=config.max_file_size,
                  config=config)
    _report_errors(stats.errors, checked)
    if args.format == "json":
        scope = {"paths": paths, "tree": top, "callers_seen": "whole tree" if top or index.complete else "paths only"}
        report = json.dumps(to_json(result, scope=scope, errors=stats.errors), indent=1) + "\n"
    else:
        report = render_text(result, show_left_out=args.show_left_out, scope_note=note)
    if args.output:
        write_file(args.output, report)
    else:
        write_stdout(report)
    return 0


def _report_errors(errors: list, checked: list[str] | None) -> None:
    """Problems with the checked files, one line each; those of the rest of the tree
    (read only for their callers) counted in one line."""
    mine = {os.path.realpath(p) for p in checked} if checked is not None else None
    inside = [e for e in errors if mine is None or os.path.realpath(e.path) in mine]
    for e in inside:
        print(f"folint: {e}", file=sys.stderr)
    rest = len(errors) - len(inside)
    if rest:
        first = next(e for e in errors if e not in inside)
        print(f"folint: {rest} file(s) of the tree were not read for callers (the first: {first})", file=sys.stderr)


def print_notes(args, result) -> None:
    """``folint check --candidates``: the planner's notes after the report, over the
    index FOL003 used (stdout for text, stderr for other formats, to keep those parseable)."""
    from folint.candidates import plan
    from folint.candidates_report import render_text

    index = getattr(result, "index", None)
    if index is None:
        print("folint: --candidates needs FOL003 (the tree index); it was not selected", file=sys.stderr)
        return
    # the functions of the checked files only: a folder run inside a kernel tree looked in the
    # rest of the tree for the callers of those, not of what it found there (folint.index.phase)
    text = render_text(plan(index, paths=index.files, jobs=args.jobs or 0,
                            config=config_for(args.paths or ["."], args.config)))
    stream = sys.stdout if args.format == "text" and not args.output else sys.stderr
    stream.write(text)
