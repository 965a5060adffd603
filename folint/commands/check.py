"""``folint [check] PATH...``: scan files and folders."""

from __future__ import annotations

from folint import runner
from folint.commands.common import add_fix_options, add_report_options, emit, emit_fixes
from folint.config import ConfigError, config_for


def configure(p, _name):
    p.add_argument("paths", nargs="*", metavar="PATH", help="files and folders to check (default: .)")
    add_report_options(p)
    add_fix_options(p)


def scan(args) -> runner.RunResult:
    paths = args.paths or ["."]
    if args.jobs < 0:
        raise ConfigError("--jobs must be 0 (all cores) or more")
    config = config_for(paths, args.config)
    options = runner.RunOptions(select=args.select, ignore=args.ignore, jobs=args.jobs, simulate=args.simulate,
                                progress=True, show_refuted=args.show_refuted,
                                cache=args.cache, cache_dir=args.cache_dir)
    return runner.run(paths, config, options)


def run(args) -> int:
    result = scan(args)
    if args.diff or args.fix:
        return emit_fixes(args, result, args.paths or ["."])
    return emit(args, result)
