"""Run the rules over many files in worker processes and collect one result.

Each worker builds its own rules and parser (tree-sitter objects do not
pickle); only paths go in and plain findings come back.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

from folint.checker import FileResult, check_path, skip_needle_free_oversize
from folint.config import Config
from folint.discovery import discover
from folint.finding import FileError, Finding
from folint.index.collect import IndexWorker, wants_summary
from folint.index.phase import TreePhase
from folint.index.summary import NEEDLES as SUMMARY_NEEDLES
from folint.pool import job_count, parallel_map
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
    _worker["simulate"] = options.simulate
    _worker["index"] = IndexWorker(*index) if index is not None else None


def _check(path: str) -> FileResult:
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
    tree = TreePhase(rules, targets, config, cache=options.cache, cache_dir=options.cache_dir, errors=result.errors)
    index = (tree.cache_folder,) if tree.wanted else None
    jobs = job_count(options.jobs)
    bar = _progress(len(found.files), options.progress)
    for fr in parallel_map(_check, found.files, jobs=jobs, initializer=_init_worker,
                           initargs=(config, options, index), ordered=False,
                           chunksize=_chunksize(len(found.files), jobs), serial_below=PARALLEL_MIN_FILES):
        result.add(fr)
        tree.collect(fr)
        if bar:
            bar.update()
    if bar:
        bar.close()
    if tree.wanted:
        tree.finish(result, files=found.files, simulate=options.simulate, jobs=jobs)
    _drop_refuted(result, options.show_refuted)
    result.finish(started)
    return result


def _drop_refuted(result: RunResult, show: bool) -> None:
    """Count findings the simulator proved wrong; hide them unless asked."""
    result.refuted = sum(f.verdict == Verdict.REFUTED for f in result.findings)
    if not show:
        result.findings = [f for f in result.findings if f.verdict != Verdict.REFUTED]
