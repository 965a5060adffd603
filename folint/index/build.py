"""Build a tree index without running the file rules: for check-patch and the hook.

With a warm cache this reads no file that has not changed: each file's
(size, mtime, inode) is looked up in the cache's table of last seen hashes,
and only new or changed files are read, hashed and (if their summary is not
cached) parsed, in worker processes.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from folint.checker import read_source
from folint.config import Config
from folint.discovery import discover
from folint.finding import FileError
from folint.index.cache import NO_SUMMARY, CacheError, SummaryCache, content_hash, open_cache
from folint.index.collect import wants_summary
from folint.prefilter import ByteScan
from folint.index.summary import names_in, summarise
from folint.pool import parallel_map
from folint.index.tree import TreeIndex, covers_whole_tree
from folint.workers import die_with_parent

PARALLEL_MIN_FILES = 64


@dataclass
class BuildStats:
    files: int = 0
    read: int = 0  # files read because their stat was new
    parsed: int = 0  # summaries built (cache misses)
    seconds: float = 0.0
    errors: list[FileError] = field(default_factory=list)


def _stat_key(st: os.stat_result) -> tuple[int, int, int]:
    return st.st_size, st.st_mtime_ns, st.st_ino


_worker: dict = {}


def _init(cache_folder: str | None, max_size: int) -> None:
    die_with_parent()
    _worker["max_size"] = max_size
    _worker["cache"] = None
    if cache_folder:
        try:
            _worker["cache"] = SummaryCache(cache_folder, readonly=True)
        except CacheError:
            pass


def _summarise_path(path: str):
    """(path, stat key, digest, summary or None, error or None, parsed?)"""
    from folint.source import SourceFile

    try:
        st = os.stat(path)
    except OSError as e:
        return path, None, None, None, FileError(path, f"cannot read: {e.strerror or e}"), False
    raw, err = read_source(path, _worker["max_size"])
    if err is not None:
        return path, None, None, None, err, False
    if not wants_summary(ByteScan(raw)):
        return path, _stat_key(st), NO_SUMMARY, None, None, False
    digest = content_hash(raw)
    cache = _worker["cache"]
    cached = cache.get(digest) if cache is not None else None
    if cached is not None:
        return path, _stat_key(st), digest, cached, None, False
    try:
        return path, _stat_key(st), digest, summarise(SourceFile(path, raw)), None, True
    except Exception as e:  # one bad file must not end the build
        return path, None, None, None, FileError(path, f"tree index: {type(e).__name__}: {e}; file left out"), True


def build_index(targets: list[str], config: Config | None = None, *, jobs: int = 0, cache: bool = True,
                cache_dir: str | None = None, stats: BuildStats | None = None,
                names: set[str] | None = None, whole_tree: bool = False) -> TreeIndex:
    """The tree index of ``targets`` (folders or files), cached summaries reused.

    Paths in the index are spelled as discovery spells them (``os.path.join(target, rel)``).
    ``names``: load only the summaries that mention one of these function names
    (check-patch knows which it asks about); the index then answers for those names only.
    ``whole_tree``: the one target is the whole tree (check-patch's ``--tree``), so every
    caller was looked for even without a kernel top's markers.
    Problems (unreadable files, an unusable cache) go to ``stats.errors``; nothing raises.
    """
    started = time.perf_counter()
    config = config or Config()
    stats = stats if stats is not None else BuildStats()
    found = discover(targets, config.exclude, config.root)
    stats.errors.extend(found.errors)
    stats.files = len(found.files)
    db = open_cache(cache, cache_dir, targets, stats.errors)
    known = db.known_hashes() if db is not None else {}
    digests: dict[str, str] = {}
    need: list[str] = []
    cwd = os.getcwd()
    for path in found.files:
        key = os.path.join(cwd, path)
        try:
            st = os.stat(path)
        except OSError:
            need.append(path)
            continue
        seen = known.get(key)
        if seen is not None and seen[:3] == _stat_key(st):
            digests[path] = seen[3]
        else:
            need.append(path)
    summaries: dict[str, dict] = {}
    if db is not None and digests:
        have = db.current_digests()
        wanted = set()
        for path, d in digests.items():
            if d == NO_SUMMARY:
                continue
            if d in have:
                wanted.add(d)
            else:
                need.append(path)  # summarised by another folint version
        if names is not None:
            wanted &= db.digests_naming(names)
        by_digest = db.get_many(sorted(wanted))
        for path, d in digests.items():
            if d in by_digest:
                summaries[path] = by_digest[d]
    new_hashes, new_summaries = [], {}
    for path, skey, digest, summary, err, parsed in _run(need, db, config.max_file_size, jobs):
        stats.read += 1
        stats.parsed += parsed
        if err is not None:
            stats.errors.append(err)
            continue
        new_hashes.append((os.path.join(cwd, path), *skey, digest))
        if summary is not None:
            if parsed:
                new_summaries[digest] = summary
            if names is None or names & names_in(summary):
                summaries[path] = summary
    if db is not None:
        try:
            db.put_many(new_summaries)
            db.put_hashes(new_hashes)
            if len(targets) == 1 and os.path.isdir(targets[0]):
                db.mark_tree(targets[0])  # check-patch may now trust the stat table
        except CacheError as e:
            stats.errors.append(FileError(str(db.path), str(e)))
        db.close()
    stats.seconds = round(time.perf_counter() - started, 3)
    index = TreeIndex(summaries, complete=covers_whole_tree(targets, config.root), files=found.files)
    index.callers_seen = index.complete or whole_tree
    return index


def _run(paths: list[str], db, max_size: int, jobs: int):
    folder = str(db.folder) if db is not None else None
    yield from parallel_map(_summarise_path, paths, jobs=jobs, initializer=_init, initargs=(folder, max_size),
                            ordered=False, chunksize=32, serial_below=PARALLEL_MIN_FILES)
