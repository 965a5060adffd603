"""Options and output shared by the commands that report findings (check, check-patch)."""

from __future__ import annotations

import argparse
import sys

from folint.finding import printable
from folint.output import write_file, write_stdout
from folint.reporters import render
from folint.reporters.text import render_errors, use_colour

FORMATS = ("text", "json", "sarif", "oneline", "github", "gitlab")


def codes(value: str) -> list[str]:
    return [c.strip().upper() for c in value.split(",") if c.strip()]


def add_report_options(p: argparse.ArgumentParser, formats=FORMATS) -> None:
    p.add_argument("--format", choices=formats, default="text", help="output format (default: text)")
    p.add_argument("--select", type=codes, metavar="CODES", help="only these rules (codes or prefixes, comma-separated)")
    p.add_argument("--ignore", type=codes, metavar="CODES", help="skip these rules (codes or prefixes)")
    p.add_argument("--config", metavar="FILE", help="use this .folint.toml instead of searching for one")
    p.add_argument("--jobs", "-j", type=int, default=0, metavar="N", help="worker processes (default: all cores)")
    p.add_argument("--no-simulate", dest="simulate", action="store_false",
                   help="static checks only: do not confirm findings on a model folio")
    p.add_argument("--show-refuted", action="store_true",
                   help="also show findings the simulation or the callers across the tree proved wrong")
    p.add_argument("-v", "--verbose", action="store_true", help="text: show each finding's simulation trace")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--no-cache", dest="cache", action="store_false",
                   help="do not read or write the tree index cache (file summaries by content hash)")
    p.add_argument("--cache-dir", metavar="DIR",
                   help="keep the tree index cache in DIR (default: $XDG_CACHE_HOME/folint or ~/.cache/folint)")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="only the findings: no summary, no notes; a clean run prints nothing")
    p.add_argument("--exit-zero", action="store_true",
                   help="exit 0 even when there are findings (2 still means folint could not run)")
    p.add_argument("--statistics", action="store_true", help="also print how many findings each rule has")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                   help="skip files matching GLOB (repeatable; added to the exclude of .folint.toml)")


def statistics(result) -> str:
    """``  3  FOL001  loop-returns-on-first-page`` per rule with findings, most first."""
    counts: dict[tuple[str, str], int] = {}
    for f in result.findings:
        counts[(f.code, f.name)] = counts.get((f.code, f.name), 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return "".join(f"{n:5d}  {code}  {name}\n" for (code, name), n in ranked)


def exit_code(args, result) -> int:
    return 1 if result.findings and not getattr(args, "exit_zero", False) else 0


def emit(args, result, **render_options) -> int:
    """Write the report; errors go to stderr in the line formats (text, oneline).
    Returns the exit code."""
    stream = sys.stdout
    quiet = getattr(args, "quiet", False)
    if args.format in ("text", "oneline"):
        sys.stderr.write(render_errors(result))
    if args.format == "text":
        report = render("text", result, colour=not args.output and use_colour(stream),
                        verbose=args.verbose, summary=not quiet, **render_options)
    else:
        report = render(args.format, result, **render_options)
    if getattr(args, "statistics", False) and result.findings:
        if args.format in ("text", "oneline"):
            report += statistics(result)
        else:  # keep the machine-readable report parseable
            sys.stderr.write(statistics(result))
    if args.output:
        write_file(args.output, report)
    else:
        write_stdout(report)
    return exit_code(args, result)


def add_fix_options(p: argparse.ArgumentParser) -> None:
    """``--diff`` / ``--fix``: only ``folint check`` has them (never check-patch or the hook)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--diff", action="store_true",
                   help="print the safe fixes as a unified diff (for `git apply`) instead of the report; "
                        "writes nothing")
    g.add_argument("--fix", action="store_true",
                   help="apply the safe fixes in place, only to files under the PATHs given, "
                        "then report what is left")


def emit_fixes(args, result, paths: list[str], since_ns: int | None = None) -> int:
    """``--diff``: the diff on stdout (or -o), notes on stderr.  ``--fix``: write the fixes,
    then report the findings left.  Exit 1 while findings remain, as a plain check would.
    ``since_ns``: when the run began; files with findings modified since are checked
    again first (``folint.commands.changed``), and those that changed get no fixes."""
    from folint import fixes
    from folint.commands.changed import recheck_changed
    from folint.config import ConfigError, config_for
    from folint.selection import build_rules

    if args.diff and args.format != "text":
        raise ConfigError("--diff prints a unified diff; --format does not apply to it")
    config = config_for(paths, args.config)
    changed: list[str] = []
    if since_ns is not None:
        def run_rules():
            from folint.facts.engine import facts_for_targets

            facts = facts_for_targets(paths, cache=args.cache, cache_dir=args.cache_dir)
            return build_rules(config, args.select, args.ignore, facts=facts)
        changed = recheck_changed(result, since_ns, run_rules, max_size=config.max_file_size,
                                  simulate=args.simulate, show_refuted=args.show_refuted).changed
    unchanged = [f for f in result.findings if f.path not in set(changed)]
    collected = fixes.collect_fixes(unchanged, build_rules(config, args.select, args.ignore),
                                    config.max_file_size)
    plan = fixes.make_plan(collected.fixes, fixes.under_paths(paths))
    notes = [f"{printable(p)}: changed while folint ran: not fixed; its findings are reported as the file is "
             f"now; run folint --fix again" for p in changed]
    notes += collected.errors
    if args.fix:
        written = fixes.apply_plan(plan)
    notes += [f"{fix.where[0]}:{fix.where[1]}: {fix.code} fix not applied: {why}" for fix, why in plan.skipped]
    accepted = {id(fx) for fx in plan.accepted}
    fixed = [f for f in result.findings if id(collected.fixed_findings.get(id(f))) in accepted]
    files = len({fixes.file_key(e.path) for fx in plan.accepted for e in fx.edits})
    left = len(result.findings) - len(fixed)
    if args.diff:
        sys.stderr.write(render_errors(result))
        sys.stderr.write("".join(f"folint: {n}\n" for n in notes))
        diff = fixes.render_diff(plan)
        if args.output:
            write_file(args.output, diff)
        else:
            write_stdout(diff)
        sys.stderr.write(f"folint: {len(fixed)} of {len(result.findings)} findings have a safe fix, in {files} "
                         f"file{'s' * (files != 1)}; {left} need a person\n")
        return exit_code(args, result)
    sys.stderr.write("".join(f"folint: {n}\n" for n in notes))
    sys.stderr.write(f"folint: fixed {len(fixed)} finding{'s' * (len(fixed) != 1)} in {len(written)} "
                     f"file{'s' * (len(written) != 1)}; {left} left\n")
    fixed_ids = {id(f) for f in fixed}
    result.findings = [f for f in result.findings if id(f) not in fixed_ids]
    return emit(args, result)
