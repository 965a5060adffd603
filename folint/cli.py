"""The ``folint`` command line.

``folint PATH...`` (or ``folint check PATH...``) scans; the other commands are
subcommands.  Each subcommand lives in its own module with ``configure(parser)``
and ``run(args) -> exit code``; this module only dispatches.
Exit codes: 0 nothing found, 1 findings, 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys

from folint import __version__
from folint.config import ConfigError
from folint.output import OutputError

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

# name -> (module, one-line help).  Modules are imported only when used.
SUBCOMMANDS = {
    "check": ("folint.commands.check", "scan files and folders (the default command)"),
    "rules": ("folint.commands.info", "list the rules: code, name, summary"),
    "explain": ("folint.commands.info", "show a rule's documentation"),
    "loops": ("folint.commands.loops", "list the per-page loops the model recognises"),
    "facts": ("folint.commands.facts", "print the API facts read from a kernel tree, and where each came from"),
    "simulate": ("folint.commands.simulate", "run one function on a model folio and print the trace"),
    "candidates": ("folint.commands.candidates", "rank functions to convert to folios: FOL003's candidates"),
    "check-patch": ("folint.commands.check_patch", "check a patch, a mailbox, a git range or the staged change"),
    "kbuild": ("folint.commands.kbuild", "a checker for kbuild: make C=1 CHECK=\"folint kbuild\""),
    "install-hook": ("folint.commands.hook", "install a git pre-commit hook that runs check-patch --staged"),
    "uninstall-hook": ("folint.commands.hook", "remove the hook folint installed"),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # exit 2 with one line, as argparse does, but say what to do
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only``, only that subcommand's module is imported and its
    options set (the others are listed by name and help line, which is all ``folint
    --help`` shows): a run pays for the imports of its own command, not all eleven."""
    parser = _Parser(prog="folint", description="Find single-page habits in Linux kernel code converted to folios.")
    parser.add_argument("--version", action="version", version=f"folint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if only is not None and name != only:
            continue
        mod = importlib.import_module(module)
        mod.configure(p, name)
        p.set_defaults(_run=mod.run)
    return parser


def _with_default_command(argv: list[str]) -> list[str]:
    if argv and (argv[0] in SUBCOMMANDS or argv[0] in ("-h", "--help", "--version")):
        return argv
    return ["check", *argv]


def main(argv: list[str] | None = None) -> int:
    """Run one command; an output that cannot take the report (closed, full, a folder
    in the way) is one error line and exit 2, never a traceback (``folint.output``)."""
    try:
        code = _main(argv)
        if sys.stdout is not None:
            sys.stdout.flush()
        return code
    except BrokenPipeError:  # `folint ... | head`: the reader has seen enough
        _silence_stdout()
        return EXIT_CLEAN
    except OutputError as e:
        return _output_failed(str(e))
    except OSError as e:
        if e.errno not in _OUTPUT_ERRNOS:
            raise
        return _output_failed(f"cannot write to standard output: {e.strerror or e}")


_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EBADF, errno.EIO, errno.EDQUOT, errno.EFBIG}


def _output_failed(message: str) -> int:
    _silence_stdout()
    if sys.stderr is not None:
        try:
            print(f"folint: error: {message}", file=sys.stderr, flush=True)
        except OSError:
            pass
    return EXIT_USAGE


def _silence_stdout() -> None:
    """Point standard output at /dev/null so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass


def _main(argv: list[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["kbuild"]:  # compiler flags are not ours to parse: kbuild reads its own vector
        from folint.commands import kbuild
        return kbuild.main(argv[1:])
    argv = _with_default_command(argv)
    parser = build_parser(argv[0] if argv[0] in SUBCOMMANDS else "")  # --help, --version: none
    args = parser.parse_args(argv)
    try:
        return args._run(args)
    except ConfigError as e:
        print(f"folint: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("folint: interrupted", file=sys.stderr)
        return 130
