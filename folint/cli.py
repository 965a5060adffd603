"""The ``folint`` command line.

``folint PATH...`` (or ``folint check PATH...``) scans; the other commands are
subcommands.  Each subcommand lives in its own module with ``configure(parser)``
and ``run(args) -> exit code``; this module only dispatches.
Exit codes: 0 nothing found, 1 findings, 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from folint import __version__
from folint.config import ConfigError

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

# name -> (module, one-line help).  Modules are imported only when used.
SUBCOMMANDS = {
    "check": ("folint.commands.check", "scan files and folders (the default command)"),
    "rules": ("folint.commands.info", "list the rules: code, name, summary"),
    "explain": ("folint.commands.info", "show a rule's documentation"),
    "loops": ("folint.commands.loops", "list the per-page loops the model recognises"),
    "facts": ("folint.commands.facts", "print the API facts read from a kernel tree, and where each came from"),
    "simulate": ("folint.commands.simulate", "run one function on a model folio and print the trace"),
    "check-patch": ("folint.commands.check_patch", "check a patch, a mailbox, a git range or the staged change"),
    "install-hook": ("folint.commands.hook", "install a git pre-commit hook that runs check-patch --staged"),
    "uninstall-hook": ("folint.commands.hook", "remove the hook folint installed"),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # exit 2 with one line, as argparse does, but say what to do
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="folint", description="Find single-page habits in Linux kernel code converted to folios.")
    parser.add_argument("--version", action="version", version=f"folint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        mod = importlib.import_module(module)
        mod.configure(p, name)
        p.set_defaults(_run=mod.run)
    return parser


def _with_default_command(argv: list[str]) -> list[str]:
    if argv and (argv[0] in SUBCOMMANDS or argv[0] in ("-h", "--help", "--version")):
        return argv
    return ["check", *argv]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(_with_default_command(argv))
    try:
        return args._run(args)
    except ConfigError as e:
        print(f"folint: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("folint: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_CLEAN
