"""Run the rules over many files in worker processes and collect one result.

Each worker builds its own rules and parser (tree-sitter objects do not
pickle); only paths go in and plain findings come back.
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from folint import caller_context, grep_prepass
from folint.checker import FileResult, check_path, skip_needle_free_oversize
from folint.config import Config
from folint.discovery import discover
from folint.finding import FileError, Finding
from folint.guard import Budget, within_budget
from folint.index.cache import default_cache_dir, inside
from folint.index.collect import STAGE1_NEEDLES, IndexWorker, is_deferred, wants_summary
from folint.index.phase import TreePhase
from folint.index.summary import NEEDLES as SUMMARY_NEEDLES
from folint.pool import job_count, parallel_map
from folint.results import ResultCache, fingerprint, stat_key
from folint.selection import build_rules
from folint.enums import Verdict
from folint.workers import die_with_parent

PROGRESS_MIN_FILES = 2000
PARALLEL_MIN_FILES = 64  # fewer files are checked in this process


@dataclass
class RunOptions:
    select: list[str] | None = None
    ignore: list[str] | None = None
    jobs: int = 0  # 0: all cores
    simulate: bool = False
    progress: bool = False
    show_refuted: bool = False
    cache: bool = False  # reuse file summaries from the on-disk tree index cache
    cache_dir: str | None = None  # None: the user cache folder (XDG_CACHE_HOME)
    facts: object | None = None  # folint.facts.Facts; None: read from the targets' kernel tree
    plan: bool = False  # --candidates: the planner reads the tree index too (no candidate is settled)


@dataclass
class RunResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    files: int = 0
    parsed: int = 0
    oversize_skipped: int = 0  # files over the size limit holding none of the rules' needles (no error line)
    seconds: float = 0.0
    refuted: int = 0
    partial: str | None = None  # why the check covered less than asked (check-patch without a tree)
    summaries: dict[str, dict] = field(default_factory=dict)
    rule_codes: list[str] = field(default_factory=list)  # the rules that ran
    index: object | None = None  # folint.index.TreeIndex when a tree rule ran
    index_stats: dict = field(default_factory=dict)  # cache hits/misses of the tree index

    def add(self, fr: FileResult) -> None:
        self.findings.extend(fr.findings)
        self.errors.extend(fr.errors)
        self.parsed += fr.parsed
        self.oversize_skipped += fr.oversize_skipped
        if fr.summary is not None:
            self.summaries[fr.path] = fr.summary

    def finish(self, started: float) -> None:
        self.findings.sort(key=Finding.sort_key)
        self.seconds = round(time.perf_counter() - started, 3)


_worker: dict = {}


def _init_worker(config: Config, options: RunOptions, index: tuple | None = None) -> None:
    die_with_parent()
    _worker["rules"] = build_rules(config, options.select, options.ignore, facts=options.facts)
    _worker["max_size"] = config.max_file_size
    _worker["budget"] = Budget.of(config)
    _worker["simulate"] = options.simulate
    _worker["index"] = IndexWorker(*index) if index is not None else None


def _check(path: str) -> FileResult:
    """One file within its time and memory budgets (folint.guard): over either, one error line."""
    key = stat_key(path)  # before reading: a change after it makes the stored stat stale, never the result
    try:
        size = os.stat(path).st_size
    except OSError:
        size = 0  # the read says why it cannot be read
    try:
        fr = within_budget(_worker["budget"], size, _check_file, path, max_size=_worker["max_size"],
                           over=lambda why: FileResult(path, errors=[FileError(path, why)]))
    except Exception as e:  # noqa: BLE001 - a bug of folint's own (the rules' are caught in folint.guard)
        # one error line for this file, and the run goes on; no stat key, so it is checked again next time
        return FileResult(path, errors=[FileError(path, f"internal error {type(e).__name__}: {e}; "
                                                        f"file not checked; please report it with this file")])
    fr.stat_key = key
    return fr


def _check_file(path: str) -> FileResult:
    if _worker.get("index") is not None:
        fr = _worker["index"].check_path(path, _worker["rules"], _worker["max_size"], simulate=_worker["simulate"])
        return skip_needle_free_oversize(fr, _worker["rules"], _worker["max_size"], also=wants_summary,
                                         also_needles=SUMMARY_NEEDLES)
    return check_path(path, _worker["rules"], _worker["max_size"], simulate=_worker["simulate"])


def _chunksize(files: int, jobs: int) -> int:
    """Big chunks cut the per-file cost of talking to workers on a large tree; at least
    eight chunks a worker keep a small tree (where a few files cost most) balanced."""
    return max(1, min(128, files // (jobs * 8)))


def _progress(total: int, enabled: bool):
    if not enabled or total < PROGRESS_MIN_FILES or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="file", file=sys.stderr, leave=False)


def run(targets: list[str], config: Config, options: RunOptions) -> RunResult:
    started = time.perf_counter()
    result = RunResult()
    if options.facts is None:  # read once here; the workers get them with the options
        from dataclasses import replace

        from folint.facts.engine import facts_for_targets

        options = replace(options, facts=facts_for_targets(targets, cache=options.cache, cache_dir=options.cache_dir))
    # Built here too so a bad selection is a ConfigError in the parent, not a worker crash.
    rules = build_rules(config, options.select, options.ignore, facts=options.facts)
    result.rule_codes = [r.code for r in rules]
    found = discover(targets, config.exclude, config.root)
    result.errors.extend(found.errors)
    result.files = len(found.files)
    tree = TreePhase(rules, targets, config, cache=options.cache, cache_dir=options.cache_dir, errors=result.errors,
                     settle=not options.plan)
    index = tree.worker_args if tree.wanted else None
    jobs = job_count(options.jobs)
    bar = _progress(len(found.files), options.progress)
    cache = _results_cache(rules, config, options, tree, targets, result)
    todo = found.files
    if cache is not None:
        todo = []
        for fr in _cached(found.files, cache, tree, todo):
            result.add(fr)
            tree.collect(fr)
            if bar:
                bar.update()
    free, todo = grep_prepass.split(todo, targets, rules, config, summaries=tree.wanted, jobs=jobs,
                                    deferred=STAGE1_NEEDLES if tree.wanted and tree.worker_args[1] else ())
    checked = parallel_map(_check, todo, jobs=jobs, initializer=_init_worker,
                           initargs=(config, options, index), ordered=False,
                           chunksize=_chunksize(len(todo), jobs), serial_below=PARALLEL_MIN_FILES)
    # first the files that held none of the needles (GNU grep: not read, counted as a
    # needle-free file is), then the checked ones
    for fr in itertools.chain(free, checked):
        result.add(fr)
        tree.collect(fr)
        if cache is not None:
            cache.store(fr)
        if bar:
            bar.update()
    if bar:
        bar.close()
    # one search of the kernel tree holding the targets for what the tree phase and FOL009's
    # callers look for outside the run's files (folint.index.tree_search.SharedSearch)
    search = caller_context.shared_search(result.findings, targets, jobs=jobs)
    try:
        if tree.wanted:
            tree.finish(result, files=found.files, simulate=options.simulate, jobs=jobs, verdicts=cache,
                        search=search)
        if cache is not None:
            cache.close()
        # FOL009: the callers across the tree holding the targets (folint.caller_context)
        caller_context.refute_in_run(result.findings, targets, jobs=jobs, errors=result.errors, search=search)
    finally:
        if search is not None:
            search.close()
    _drop_refuted(result, options.show_refuted)
    result.finish(started)
    return result


def _results_cache(rules, config: Config, options: RunOptions, tree: TreePhase, targets: list[str],
                   result: RunResult) -> ResultCache | None:
    """The per-file results cache (``folint.results``) when the cache is on, next to the
    tree index cache (never inside a checked tree unless --cache-dir says so)."""
    if not options.cache:
        return None
    if options.cache_dir is not None:
        folder = options.cache_dir
    elif tree.wanted:
        if tree.cache is None:
            return None  # refused (inside the tree) or unusable: already reported
        folder = str(tree.cache.folder)
    else:
        where = default_cache_dir()
        if any(os.path.isdir(t) and inside(where, Path(t)) for t in targets):
            return None
        folder = str(where)
    fp = fingerprint(rules, config, simulate=options.simulate, facts=options.facts, index=tree.wanted)
    cache = ResultCache(folder, fp)
    if cache.note:
        result.errors.append(FileError(str(cache.path), cache.note))
    return cache if cache.usable else None


def _cached(files: list[str], cache: ResultCache, tree: TreePhase, todo: list[str]):
    """The stored results of unchanged files; the others are appended to ``todo``.  A
    result whose tree index summary the index cache no longer holds is checked again."""
    waiting = []  # hits that need their summary, fetched a batch at a time
    for path, fr in cache.lookup(files):
        if fr is None:
            todo.append(path)
        elif fr.summary_key is None or is_deferred(fr.summary_key):  # deferred: the tree phase searches it
            yield fr
        else:
            waiting.append(fr)
            if len(waiting) >= 500:
                yield from _with_summaries(waiting, tree, todo)
                waiting = []
    yield from _with_summaries(waiting, tree, todo)


def _with_summaries(hits: list[FileResult], tree: TreePhase, todo: list[str]):
    summaries = tree.cache.get_many([fr.summary_key for fr in hits]) if hits and tree.cache is not None else {}
    for fr in hits:
        fr.summary = summaries.get(fr.summary_key)
        if fr.summary is None:
            todo.append(fr.path)
            continue
        fr.summary_cached = True
        yield fr


def _drop_refuted(result: RunResult, show: bool) -> None:
    """Count the findings proved wrong (by the simulator, or by the callers across the
    tree for FOL009: ``folint.caller_context``); hide them unless asked."""
    result.refuted = sum(f.verdict == Verdict.REFUTED for f in result.findings)
    if not show:
        result.findings = [f for f in result.findings if f.verdict != Verdict.REFUTED]
