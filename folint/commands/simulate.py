"""``folint simulate FILE:FUNCTION``: run one function on a model folio and print what happens.

Parameters are bound by type (``struct folio *`` -> a folio of ``--nr``
pages, ``struct page *`` -> page 0 of one, ``swp_entry_t`` -> a symbolic
entry "base+0", anything else unknown) unless ``--arg NAME=VALUE`` says
otherwise.  Every path is printed as a numbered event trace followed by how
the function returned on it.
"""

from __future__ import annotations

import re
import sys

from folint.checker import read_source
from folint.config import DEFAULT_MAX_FILE_SIZE, ConfigError
from folint.sim.explore import Scenario
from folint.sim.kinds import EventKind, PathStatus
from folint.plugins import model_registry
from folint.sim.oracle import TRACE_KINDS, Simulation
from folint.sim.values import render
from folint.source import SourceFile

_ARG_VALUE = re.compile(r"^(-?(0x[0-9a-fA-F]+|\d+)|NULL|unknown|entry|folio:\d+|page:\d+)$")
MAX_NR = 4096


def configure(p, _name):
    p.add_argument("target", metavar="FILE:FUNCTION", help="the function to run, e.g. mm/swap.c:folio_add_lru")
    p.add_argument("--nr", type=int, default=4, metavar="N", help="pages in each model folio (default: 4)")
    p.add_argument("--fail-at", type=int, metavar="K",
                   help="the K-th call without a model fails with -ENOMEM on every path")
    p.add_argument("--arg", action="append", default=[], metavar="NAME=VALUE",
                   help="bind a parameter: an integer, NULL, unknown, entry, folio:N (N pages) or page:K")
    p.add_argument("--inline", action="store_true", help="step into calls to functions defined in the same file")
    p.add_argument("--max-paths", type=int, default=Scenario.max_paths, metavar="N",
                   help=f"explore at most N paths (default: {Scenario.max_paths})")
    p.add_argument("-v", "--verbose", action="store_true", help="also show calls the models answered")


def _parse_target(text: str) -> tuple[str, str]:
    path, sep, func = text.rpartition(":")
    if not sep or not path or not func.isidentifier():
        raise ConfigError(f"simulate wants FILE:FUNCTION (e.g. mm/swap.c:folio_add_lru), got '{text}'")
    return path, func


def _scenario(args, params: list[tuple[str, str]]) -> Scenario:
    if not 1 <= args.nr <= MAX_NR:
        raise ConfigError(f"--nr {args.nr}: a folio has 1 to {MAX_NR} pages")
    if args.fail_at is not None and args.fail_at < 1:
        raise ConfigError(f"--fail-at {args.fail_at}: calls are counted from 1")
    if args.max_paths < 1:
        raise ConfigError(f"--max-paths {args.max_paths}: must be 1 or more")
    names = [n for n, _ in params]
    bound = {}
    for item in args.arg:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ConfigError(f"--arg {item}: write NAME=VALUE, e.g. --arg nr=2")
        if name not in names:
            raise ConfigError(f"--arg {item}: no parameter named '{name}' (parameters: {', '.join(names) or 'none'})")
        if not _ARG_VALUE.match(value.strip()):
            raise ConfigError(f"--arg {item}: VALUE must be an integer, NULL, unknown, entry, folio:N or page:K")
        bound[name] = value.strip()
    return Scenario(nr=args.nr, fail_at=args.fail_at, args=bound, inline=args.inline, max_paths=args.max_paths)


def run(args) -> int:
    path, func = _parse_target(args.target)
    raw, err = read_source(path, DEFAULT_MAX_FILE_SIZE)
    if err is not None:
        raise ConfigError(f"{err.path}: {err.message}")
    src = SourceFile(path, raw)
    candidates = [f for f in src.functions if f.name == func]
    if not candidates:
        known = sorted({f.name for f in src.functions})
        hint = f"functions here: {', '.join(known[:12])}{' ...' if len(known) > 12 else ''}" if known \
            else "no function definitions were found in it"
        raise ConfigError(f"{path}: no function named '{func}'; {hint}")
    fn = candidates[0]
    scenario = _scenario(args, fn.params)
    ex = Simulation(src, fn, registry=model_registry()).run(scenario)
    sys.stdout.write(render_exploration(src, fn, ex, verbose=args.verbose))
    if len(candidates) > 1:
        others = ", ".join(str(src.position(f.node.start_byte)[0]) for f in candidates[1:])
        print(f"note: {path} defines {func}() {len(candidates)} times (#ifdef variants?); this was the first, "
              f"the others start on line {others}")
    return 0


def render_exploration(src, fn, ex, *, verbose: bool = False) -> str:
    line = src.position(fn.node.start_byte)[0]
    first = ex.paths[0] if ex.paths else None
    params = ", ".join(f"{name} = {_describe(v)}" for name, v in (first.params if first else []))
    out = [f"{src.path}:{line}: {fn.name}({params})"]
    kinds = set(TRACE_KINDS) | ({EventKind.MODEL} if verbose else set())
    total = len(ex.paths)
    for i, path in enumerate(ex.paths, 1):
        out.append(f"path {i} of {total}{'+' if not ex.complete and not ex.stopped_early else ''}:")
        n = 0
        for e in path.events:
            if e.kind not in kinds:
                continue
            n += 1
            out.append(f"  {n:3}. line {e.line}: {'  ' * e.depth}{e.text}")
        out.append("  => " + _outcome(path))
    for note in ex.approximations:
        out.append(f"note: {note} (results on this line are approximate)")
    for note in ex.bounds:
        out.append(f"note: {note}")
    if ex.complete:
        out.append(f"{total} path{'s' * (total != 1)}, all explored.")
    else:
        out.append(f"{total} path{'s' * (total != 1)} explored; inconclusive: {ex.reason}.")
    return "\n".join(out) + "\n"


def _describe(v) -> str:
    from folint.sim.values import Folio, Page

    if isinstance(v, Folio):
        return f"{v.label} ({v.nr} page{'s' * (v.nr != 1)})"
    if isinstance(v, Page):
        return f"{render(v)} ({v.folio.nr} page{'s' * (v.folio.nr != 1)})"
    return render(v)


def _outcome(path) -> str:
    if path.status == PathStatus.RETURNED:
        ret = next((e for e in reversed(path.events) if e.kind == EventKind.RETURN and e.depth == 0), None)
        where = f" at line {ret.line}" if ret is not None else ""
        if path.returned is None:
            return f"returned{where}"
        return f"returned {render(path.returned, status=True)}{where}"
    if path.status == PathStatus.INFEASIBLE:
        return f"infeasible path, ignored: {path.reason}"
    if path.status == PathStatus.STOPPED:
        return "stopped"
    if path.status == PathStatus.BOUNDED:
        return f"not followed further: {path.reason}"
    return f"cut short: {path.reason}"
