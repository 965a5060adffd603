"""Options and output shared by the commands that report findings (check, check-patch)."""

from __future__ import annotations

import argparse
import os
import sys

from folint.reporters import render
from folint.reporters.text import render_errors, use_colour

FORMATS = ("text", "json", "sarif")


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
    p.add_argument("--show-refuted", action="store_true", help="also show findings the simulation proved wrong")
    p.add_argument("-v", "--verbose", action="store_true", help="text: show each finding's simulation trace")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")


def emit(args, result, **render_options) -> int:
    """Write the report; errors go to stderr in text mode.  Returns the exit code."""
    stream = sys.stdout
    if args.format == "text":
        sys.stderr.write(render_errors(result))
        report = render("text", result, colour=not args.output and use_colour(stream),
                        verbose=args.verbose, **render_options)
    else:
        report = render(args.format, result, **render_options)
    if args.output:
        tmp = args.output + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(report)
        os.replace(tmp, args.output)
    else:
        stream.write(report)
        stream.flush()
    return 1 if result.findings else 0
