"""``folint check-patch``: what does a patch, a series, a commit range or the staged change introduce?

    folint check-patch 0004-mm-swap.patch        a format-patch file or a unified diff
    folint check-patch series.mbox                a mailbox of patches, checked in order
    git format-patch -1 --stdout | folint check-patch -
    folint check-patch --tree ~/linux PATCH       default tree: the git work tree we stand in
    folint check-patch --git origin/master..HEAD  each commit of a range (or one commit)
    folint check-patch --staged                   the index against HEAD (the pre-commit hook)

Exit codes: 1 findings; 2 usage or configuration error, or part of the input
could not be checked (no patch in it, a hunk did not apply, a path was
refused) and nothing was found; 0 otherwise.  With ``--hook`` only findings
whose verdict is in ``[hook] block-on`` give 1.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

from folint.commands.common import add_report_options, emit
from folint.config import ConfigError, config_for
from folint.finding import VERDICTS, FileError
from folint.patch import git
from folint.patch.load import Input, load, read_input
from folint.patch.series import Settings, check_series
from folint.patch.trees import GitTree, Overlay, WorkTree
from folint.selection import build_rules
from folint.enums import Verdict

FORMATS = ("text", "json", "sarif", "review", "oneline", "github", "gitlab")
DEFAULT_BLOCK_ON = (Verdict.CONFIRMED, Verdict.UNVERIFIED)
BYPASS = "To commit anyway: git commit --no-verify"


def configure(p, _name):
    p.add_argument("patches", nargs="*", metavar="PATCH",
                   help="patch files or mailboxes, checked in order as one series; - reads stdin")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--git", metavar="RANGE",
                        help="check each commit of RANGE (A..B), or the one commit named, like checkpatch -g")
    source.add_argument("--staged", action="store_true", help="check the staged change (git diff --cached) against HEAD")
    p.add_argument("--tree", metavar="DIR",
                   help="the tree the patches apply to (default: the git work tree we stand in)")
    p.add_argument("--no-tree", action="store_true",
                   help="check the text of the hunks alone, without any tree (a partial check)")
    p.add_argument("--hook", action="store_true",
                   help="pre-commit hook mode: fail only on the verdicts in [hook] block-on and say how to bypass")
    add_report_options(p, formats=FORMATS)


def block_on(config) -> tuple[str, ...]:
    hook = config.hook or {}
    unknown = set(hook) - {"block-on"}
    if unknown:
        raise ConfigError(f"{config.path}: unknown key(s) in [hook]: {', '.join(sorted(unknown))}; known: block-on")
    value = hook.get("block-on", list(DEFAULT_BLOCK_ON))
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or any(v not in VERDICTS for v in value):
        raise ConfigError(f"{config.path}: [hook] block-on must be a list of verdicts ({', '.join(VERDICTS)})")
    return tuple(value)


def _check_args(args) -> None:
    if args.jobs < 0:
        raise ConfigError("--jobs must be 0 (all cores) or more")
    if (args.git or args.staged) and args.patches:
        raise ConfigError("give PATCH files, or --git RANGE, or --staged, not several")
    if not (args.git or args.staged or args.patches):
        raise ConfigError("nothing to check: give a PATCH file (- for stdin), --git RANGE or --staged")
    if args.tree and args.no_tree:
        raise ConfigError("--tree and --no-tree contradict each other; give one")
    if args.tree and not os.path.isdir(args.tree):
        raise ConfigError(f"--tree {args.tree}: no such folder")


def _repo(args) -> str:
    repo = git.toplevel(args.tree or ".")
    if repo is None:
        what = "--staged" if args.staged else "--git"
        raise ConfigError(f"{what} needs a git repository: run it inside one or pass --tree DIR")
    return repo


@dataclass
class _Plan:
    inputs: list[Input] = field(default_factory=list)
    tree_for: object = None          # patch -> Tree | None
    where: str | None = None         # the tree or repository folder, for .folint.toml
    errors: list[FileError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _plan(args) -> _Plan:
    """What to read, and which tree each patch applies to."""
    if args.staged:
        repo = _repo(args)
        base = Overlay(GitTree(repo, "HEAD" if git.rev_exists(repo, "HEAD") else None))
        raw = git.staged_diff(repo)
        plan = _Plan(tree_for=lambda _p: base, where=repo)
        if raw.strip():
            plan.inputs.append(Input("git diff --cached", raw, label="staged changes"))
        else:
            plan.notes.append("folint: note: nothing staged, nothing to check")
        return plan
    if args.git:
        repo = _repo(args)
        raw = git.format_patch(repo, git.range_args(args.git))

        def parent_tree(patch):
            parent = f"{patch.commit}^" if patch.commit and git.rev_exists(repo, f"{patch.commit}^") else None
            return Overlay(GitTree(repo, parent))
        plan = _Plan(tree_for=parent_tree, where=repo)
        if raw.strip():
            plan.inputs.append(Input(f"git format-patch {args.git}", raw))
        else:
            plan.notes.append(f"folint: note: no commits in {args.git}, nothing to check")
        return plan
    tree = None if args.no_tree else (args.tree or git.toplevel("."))
    base = Overlay(WorkTree(tree)) if tree else None
    plan = _Plan(tree_for=lambda _p: base, where=tree)
    for path in args.patches:
        inp, err = read_input(path)
        if err is not None:
            plan.errors.append(err)
        else:
            plan.inputs.append(inp)
    return plan


def _facts(args, plan: _Plan):
    """The API facts of the tree the patches apply to (its files as on disk), else the built-in tables."""
    from folint.facts.engine import facts_for_root
    from folint.facts.tree import find_tree_root

    root = find_tree_root(plan.where) if plan.where and not args.no_tree else None
    return facts_for_root(root, cache=getattr(args, "cache", True), cache_dir=getattr(args, "cache_dir", None))


def check(args):
    """Run the check; returns (outcome, patches, config)."""
    _check_args(args)
    try:
        plan = _plan(args)
    except git.GitError as e:
        raise ConfigError(str(e)) from None
    config = config_for([plan.where or "."], args.config)
    rules = build_rules(config, args.select, args.ignore, facts=_facts(args, plan))
    settings = Settings(rules, simulate=args.simulate, show_refuted=args.show_refuted,
                        max_size=config.max_file_size, exclude=[*config.exclude, *args.exclude],
                        config=config, cache=getattr(args, "cache", True),
                        cache_dir=getattr(args, "cache_dir", None), jobs=args.jobs)
    patches, load_errors, notes = load(plan.inputs)
    outcome = check_series(patches, plan.tree_for, settings)
    outcome.result.errors[:0] = plan.errors + load_errors
    outcome.unchecked += len(plan.errors) + len(load_errors)
    outcome.notes[:0] = plan.notes + notes
    return outcome, patches, config


def pre_commit_range(args) -> None:
    """The pre-commit framework's ``run --from-ref A --to-ref B`` (how CI runs it) sets
    PRE_COMMIT_FROM_REF/PRE_COMMIT_TO_REF: the hook then checks each commit of A..B
    instead of the (empty) staged change."""
    start, end = os.environ.get("PRE_COMMIT_FROM_REF"), os.environ.get("PRE_COMMIT_TO_REF")
    if args.hook and args.staged and start and end:
        args.staged, args.git = False, f"{start}..{end}"


def run(args) -> int:
    if args.hook:
        args.quiet = True  # a good commit goes through without a word
        pre_commit_range(args)
    try:
        outcome, patches, config = check(args)
        blocking = block_on(config) if args.hook else None
    except ConfigError as e:
        if not args.hook:
            raise
        print(f"folint: error: {e}\nfolint: commit blocked until this is fixed. {BYPASS}", file=sys.stderr)
        return 2
    if not args.quiet:
        for note in outcome.notes:
            print(note, file=sys.stderr)
    result = outcome.result
    if args.format == "review":
        for e in result.errors:
            print(f"{e.path}: error: {e.message}", file=sys.stderr)
    options = {}
    if args.format in ("text", "review"):
        options["sources"] = outcome.sources
    if args.format == "review":
        options["patches"] = patches
    code = emit(args, result, **options)  # 0 with --exit-zero
    if blocking is not None:
        blockers = [f for f in result.findings if f.verdict in blocking]
        if blockers:
            n = len(blockers)
            what = f"the commits {args.git}" if args.git else "the staged change"
            print(f"folint: commit blocked: {n} finding{'s' * (n != 1)} ({' or '.join(blocking)}) in {what}. Fix {'them' if n != 1 else 'it'}, or silence a false positive with "
                  f"/* folint: ignore[CODE] reason */.\n{BYPASS}", file=sys.stderr)
            return 1
        return 0
    if not result.findings and outcome.unchecked:
        return 2
    return code
