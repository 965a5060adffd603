"""``folint kbuild``: a checker for kbuild's ``make C=1 CHECK="folint kbuild"``.

kbuild runs ``$(CHECK) $(CHECKFLAGS) $(c_flags) FILE.c`` for each C file it compiles
(as it runs sparse or smatch).  This command takes that argument vector as it comes:
the ``-D``/``-U`` macros and the ``-include``d headers (``include/linux/kconfig.h``
brings ``include/generated/autoconf.h``, found through the ``-I`` folders) make the
build's configuration (folint.buildconfig), so ``#if``/``#ifdef CONFIG_...`` groups are
reduced to the branch this build compiles before the rules and the simulator run;
every other compiler or sparse flag is accepted and ignored.  Findings are printed as
gcc prints warnings, on stderr (kbuild passes them through):

    mm/swap.c:123:3: warning: message [FOL001] (confirmed)

Exit 0 (a checker must not stop the build) unless ``--fail`` is given: then 1 on
findings.  folint's own options, all spelled so no compiler flag clashes with them:
``--fail``, ``--no-simulate``, ``--select=CODES``, ``--ignore=CODES``, ``--config=FILE``.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass, field

from folint.buildconfig import BuildConfig, parse_defines, use
from folint.commands.common import codes
from folint.config import ConfigError, config_for

# gcc/sparse options whose value is the next argument (when not joined to them).
_WITH_VALUE = {"-I", "-include", "-imacros", "-isystem", "-idirafter", "-iquote", "-iprefix", "-o", "-MF",
               "-MT", "-MQ", "-x", "-D", "-U", "-Xpreprocessor", "-Xassembler", "-Xlinker", "--param",
               "-aux-info", "-isysroot", "--sysroot"}
AUTOCONF = os.path.join("generated", "autoconf.h")


@dataclass
class KbuildArgs:
    files: list[str] = field(default_factory=list)
    defines: dict[str, str] = field(default_factory=dict)
    undefined: set[str] = field(default_factory=set)
    includes: list[str] = field(default_factory=list)  # -include / -imacros, in order
    include_dirs: list[str] = field(default_factory=list)  # -I
    fail: bool = False
    simulate: bool = True
    select: list[str] | None = None
    ignore: list[str] | None = None
    config: str | None = None


def _define(out: KbuildArgs, value: str) -> None:
    name, _, val = value.partition("=")
    out.defines[name] = val if "=" in value else "1"
    out.undefined.discard(name)


def parse_argv(argv: list[str]) -> KbuildArgs:
    out = KbuildArgs()
    it = iter(argv)
    for arg in it:
        own = arg.split("=", 1)
        if arg == "--fail":
            out.fail = True
        elif arg == "--no-simulate":
            out.simulate = False
        elif own[0] in ("--select", "--ignore", "--config") and len(own) == 2:
            setattr(out, own[0][2:], codes(own[1]) if own[0] != "--config" else own[1])
        elif arg in _WITH_VALUE:
            value = next(it, None)
            if value is None:
                raise ConfigError(f"{arg} needs a value")
            _take(out, arg, value)
        elif arg.startswith(("-D", "-U", "-I")) and len(arg) > 2:
            _take(out, arg[:2], arg[2:])
        elif arg.startswith("-"):
            continue  # -W..., -f..., -m..., -O2, -Wp,-MMD,..., sparse's --arch=x86: not ours
        else:
            out.files.append(arg)
    return out


def _take(out: KbuildArgs, option: str, value: str) -> None:
    if option == "-D":
        _define(out, value)
    elif option == "-U":
        out.defines.pop(value, None)
        out.undefined.add(value)
    elif option == "-I":
        out.include_dirs.append(value)
    elif option in ("-include", "-imacros"):
        out.includes.append(value)


def _read(path: str) -> str | None:
    """An -include'd header (kconfig.h, autoconf.h), through folint.reading: a regular
    file of at most 4 MB, never blocking; None when it is not one."""
    from folint.reading import read_regular

    try:
        return read_regular(path, 4 << 20).decode("utf-8", "replace")
    except OSError:  # ReadError is one
        return None


def build_config(args: KbuildArgs) -> tuple[BuildConfig, list[str]]:
    """The configuration the -include'd headers and -D/-U make, and what was read."""
    defines: dict[str, str] = {}
    read: list[str] = []
    complete = False
    for header in args.includes:
        text = _read(header)
        if text is None:
            continue
        read.append(header)
        if "generated/autoconf.h" in text or os.path.basename(header) == "autoconf.h":
            candidates = [header] if os.path.basename(header) == "autoconf.h" else \
                [os.path.join(d, AUTOCONF) for d in args.include_dirs]
            for path in candidates:
                conf = _read(path)
                if conf is not None:
                    defines.update(parse_defines(conf))
                    complete = True
                    if path != header:
                        read.append(path)
                    break
        if os.path.basename(header) != "autoconf.h":
            defines.update(parse_defines(text))
    defines.update(args.defines)  # the command line comes after the -include'd files
    for name in args.undefined:
        defines.pop(name, None)
    return BuildConfig(defines, set(args.undefined), complete=complete), read


def check(args: KbuildArgs):
    """The findings for each file, checked under the build's configuration."""
    from folint.checker import FileResult, check_path
    from folint.facts.engine import facts_for_targets
    from folint.finding import FileError
    from folint.guard import Budget, within_budget
    from folint.selection import build_rules

    if not args.files:
        raise ConfigError("no C file given; kbuild runs `$(CHECK) $(CHECKFLAGS) $(c_flags) FILE.c`")
    config, _ = build_config(args)
    settings = config_for(args.files, args.config)
    # The facts of the tree being built (kbuild runs in it), as a plain check reads them.
    rules = build_rules(settings, args.select, args.ignore, facts=facts_for_targets(args.files))
    budget = Budget.of(settings)
    results = []
    with use(config):
        for path in args.files:
            try:
                size = os.stat(path).st_size
            except OSError:
                size = 0  # the read says why
            one = functools.partial(check_path, path, rules, settings.max_file_size, simulate=args.simulate)
            results.append(within_budget(budget, size, one, max_size=settings.max_file_size,
                                         over=lambda why, p=path: FileResult(p, errors=[FileError(p, why)])))
    return results


def gcc_line(f) -> str:
    return f"{f.path}:{f.line}:{f.column}: warning: {' '.join(f.message.split())} [{f.code}] ({f.verdict})"


def main(argv: list[str]) -> int:
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__.strip())
        return 0
    try:
        args = parse_argv(argv)
        results = check(args)
    except ConfigError as e:
        print(f"folint kbuild: error: {e}", file=sys.stderr)
        return 2
    found = 0
    for r in results:
        for e in r.errors:
            print(f"{e.path}: warning: folint: {e.message}", file=sys.stderr)
        for f in r.findings:
            if f.verdict != "refuted":
                found += 1
                print(gcc_line(f), file=sys.stderr)
    sys.stderr.flush()
    return 1 if found and args.fail else 0


def configure(p, _name):  # for `folint --help`; the arguments are parsed by main()
    p.add_argument("argv", nargs="*", metavar="FLAGS FILE.c", help="what kbuild passes: compiler flags and files")


def run(args) -> int:
    return main(args.argv)
