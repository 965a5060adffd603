"""``folint [check] PATH...``: scan files and folders; ``-`` reads one C file from stdin."""

from __future__ import annotations

import functools
import os
import sys
import time

from folint import caller_context, runner
from folint.commands.common import add_fix_options, add_report_options, emit, emit_fixes
from folint.config import ConfigError, config_for
from folint.discovery import _excluded

STDIN = "-"


def configure(p, _name):
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="files and folders to check (default: .); - reads one C file from stdin")
    p.add_argument("--stdin-filename", metavar="NAME",
                   help="the name to report for C read from stdin (-); also what excludes and the "
                        "configuration search see (default: <stdin>)")
    add_report_options(p)
    add_fix_options(p)
    p.add_argument("--candidates", action="store_true",
                   help="also list FOL003's conversion candidates as notes (see `folint candidates`)")


def _config(args, paths):
    config = config_for(paths, args.config)
    config.exclude = [*config.exclude, *args.exclude]
    return config


def _options(args) -> runner.RunOptions:
    return runner.RunOptions(select=args.select, ignore=args.ignore, jobs=args.jobs, simulate=args.simulate,
                             progress=True, show_refuted=args.show_refuted,
                             cache=args.cache, cache_dir=args.cache_dir, plan=getattr(args, "candidates", False))


def scan(args) -> runner.RunResult:
    paths = args.paths or ["."]
    if args.jobs < 0:
        raise ConfigError("--jobs must be 0 (all cores) or more")
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:
        raise ConfigError(f"{missing[0]}: no such file or folder; check the path")
    return runner.run(paths, _config(args, paths), _options(args))


def scan_stdin(args) -> tuple[runner.RunResult, dict]:
    """Check the C on stdin as one file named ``--stdin-filename``; returns (result, sources).
    The API facts are those of the tree that name is in, as for a file on disk (an editor
    checking a 6.1 file through stdin must not get 6.12's lookups)."""
    from folint.checker import BINARY_SNIFF, FileResult, check_source
    from folint.facts.engine import facts_for_targets
    from folint.finding import FileError
    from folint.guard import Budget, within_budget
    from folint.selection import build_rules

    name = args.stdin_filename or "<stdin>"
    config = _config(args, [args.stdin_filename or "."])
    started = time.perf_counter()
    result = runner.RunResult()
    raw = sys.stdin.buffer.read(config.max_file_size + 1)
    if _excluded(name, config.exclude, config.root):
        result.finish(started)
        return result, {}
    result.files = 1
    if len(raw) > config.max_file_size:
        result.errors.append(FileError(name, f"skipped: stdin is more than the {config.max_file_size}-byte limit "
                                             f"(raise max-file-size in .folint.toml to check it)"))
    elif b"\0" in raw[:BINARY_SNIFF]:  # like a file; a NUL further on is one error line (check_source)
        result.errors.append(FileError(name, "skipped: binary input (NUL bytes), not C source"))
    else:
        rules = build_rules(config, args.select, args.ignore, facts=facts_for_targets(
            [args.stdin_filename or "."], cache=args.cache, cache_dir=args.cache_dir))
        one = functools.partial(check_source, name, raw, rules, simulate=args.simulate)
        got = within_budget(Budget.of(config), len(raw), one,
                            over=lambda why: FileResult(name, errors=[FileError(name, why)]))
        result.findings, result.errors, result.parsed = got.findings, got.errors, int(got.parsed)
        if args.stdin_filename:  # its callers across the tree holding it (folint.caller_context)
            caller_context.refute_in_run(result.findings, [name], jobs=args.jobs, images={name: raw},
                                        errors=result.errors)
        runner._drop_refuted(result, args.show_refuted)
    result.finish(started)
    return result, {name: raw.decode("utf-8", "replace")}


def run(args) -> int:
    if STDIN in args.paths:
        if args.paths != [STDIN]:
            raise ConfigError("- (stdin) cannot be combined with other PATHs")
        if args.diff or args.fix:
            raise ConfigError("--diff and --fix need files on disk, not stdin")
        result, sources = scan_stdin(args)
        return emit(args, result, **({"sources": sources} if args.format == "text" else {}))
    if args.stdin_filename:
        raise ConfigError("--stdin-filename names C read from stdin: give - as the PATH")
    started_ns = time.time_ns()
    result = scan(args)
    if args.diff or args.fix:
        return emit_fixes(args, result, args.paths or ["."], since_ns=started_ns)
    code = emit(args, result)
    if args.candidates:
        from folint.commands.candidates import print_notes
        print_notes(args, result)
    return code
