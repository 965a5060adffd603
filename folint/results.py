"""The per-file results cache: a file unchanged since the last run is not read again.

A second run over the same tree (the run a user makes after the first, the hook,
CI on a warm cache) spends most of its time reading and prefiltering files whose
result cannot have changed: 20 s of CPU for the byte scan of the 6.12 tree
alone, and the simulator's verdicts on every finding again.  This cache keeps
each file's result (findings with their verdicts, error lines, the tree index's
content hash) under the file's path and its ``stat`` (device, inode, size,
mtime and ctime in nanoseconds), the way git's index and ruff's cache decide a
file is unchanged; a run then checks only the files whose stat differs.

A result belongs to one *fingerprint*: the code of folint and of every rule
that ran, the tree-sitter versions, the rule selection and options, the size
limit, whether the simulator ran, and the API facts read from the tree.  Any
change starts a fresh set of results (those of older code are dropped when a run
ends; those of other settings, another tree's facts, are replaced file by file).
A file modified less than ``RACY_SECONDS`` before it was looked at is not stored:
a second change within the file system's timestamp granularity could leave its
stat as it was (git's "racy" case).  Results that depend on
more than the file (an unreadable file, a verdict cut short by the simulator's
time limit, the tree index's summary when the index cache no longer holds it) are
not taken from here.

The same database keeps the verdicts of the tree rules' findings (FOL003), which
follow from more than one file: each under a hash of the fingerprint, the finding and
the bytes of the files its simulation ran on (``folint.index.verify.verdict_key``), so
a warm run simulates no unchanged tree finding again (~15 s of CPU on 6.12).

Records are pickled (findings carry rule-private data that JSON would not keep
exactly); a database file that the current user does not own is never read.
One SQLite file next to the tree index cache; any problem with it turns the
cache off for the run (it is only a cache), a corrupt one is started anew.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import os
import pickle
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import asdict, is_dataclass
from pathlib import Path

from folint.checker import FileResult
from folint.finding import FileError
from folint.index.cache import hash_parser_versions

DB_NAME = "results-v1.sqlite3"
RACY_SECONDS = 2.0
WRITE_BATCH = 2000  # results are written in batches, so the main process holds few
LOOKUP_BATCH = 500
VERDICTS_KEPT = 20000  # tree findings' verdicts (a whole 6.12 run has ~35)


def _canonical(value):
    """JSON-able, order-independent form of fact values and options (sets sorted)."""
    if is_dataclass(value) and not isinstance(value, type):
        return _canonical(asdict(value))
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(v) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if callable(value):
        return getattr(value, "__qualname__", repr(value))
    return value


@functools.lru_cache(maxsize=1)
def _code_hash() -> str:
    """folint's own code (every module of the package and the built-in rules) and the parser."""
    h = hashlib.blake2b(digest_size=16)
    for pkg in ("folint", "folint_rules"):
        try:
            root = Path(__import__(pkg).__file__).resolve().parent
        except ImportError:
            continue
        for f in sorted(root.rglob("*.py")):
            h.update(str(f.relative_to(root)).encode())
            h.update(f.read_bytes())
    hash_parser_versions(h)
    return h.hexdigest()


def fingerprint(rules, config, *, simulate: bool, facts, index: bool) -> str:
    """Everything besides the file itself that a file's result depends on:
    ``CODE:SETTINGS`` (two hashes; results of another code hash are dropped, those of
    other settings, e.g. another tree's facts, are kept for that tree's runs)."""
    h = hashlib.blake2b(digest_size=16)
    for rule in rules:  # a plugin rule's own module too
        h.update(rule.code.encode())
        try:
            h.update(Path(inspect.getsourcefile(type(rule))).read_bytes())
        except (TypeError, OSError):
            h.update(type(rule).__module__.encode())
    settings = {"options": {r.code: r.options for r in rules}, "max_size": config.max_file_size,
                "page_api": config.page_api, "simulate": simulate, "index": index,
                "facts": None if facts is None else {f.name: (f.value, f.source, f.where) for f in facts}}
    h.update(json.dumps(_canonical(settings), sort_keys=True, default=repr).encode())
    return f"{_code_hash()}:{h.hexdigest()}"


def stat_key(path: str) -> tuple[int, ...] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return key_of(st)


def key_of(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


TIME_LIMIT = "time limit ("  # the simulator's words for a verdict its CPU-time safety net cut short


def _cacheable(fr: FileResult) -> bool:
    """Only results that follow from the file's bytes: not a read failure (permissions,
    a vanished file), which has errors and nothing else, nor a verdict the simulator's
    time limit decided (a faster machine, or one where this process got more of the CPU, may finish it)."""
    if any(TIME_LIMIT in f.evidence for f in fr.findings):
        return False
    return fr.parsed or fr.oversize_skipped or not fr.errors


def _dump(fr: FileResult) -> bytes | None:
    if not (fr.findings or fr.errors or fr.parsed or fr.summary_key or fr.oversize_skipped):
        return None  # most files: nothing to say, nothing stored but the stat
    return pickle.dumps((fr.findings, [e.message for e in fr.errors], fr.parsed, fr.summary_key,
                         fr.oversize_skipped), protocol=pickle.HIGHEST_PROTOCOL)


def _load(path: str, data: bytes | None) -> FileResult:
    if data is None:
        return FileResult(path)
    findings, messages, parsed, summary_key, oversize = pickle.loads(data)
    # parsed as it was: a warm run's report says what a cold one says
    return FileResult(path, findings=findings, errors=[FileError(path, m) for m in messages], parsed=parsed,
                      summary_key=summary_key, oversize_skipped=oversize)


class ResultCache:
    """Results of one fingerprint: ``lookup`` in the main process before the files go
    to the workers, ``store`` as their results come back, ``close`` at the end."""

    def __init__(self, folder: str | os.PathLike, fp: str):
        self.path = Path(folder) / DB_NAME
        self.fp = fp
        self.note: str | None = None
        self.readonly = False
        self._db = self._open()
        self._pending: list[tuple] = []

    def _open(self) -> sqlite3.Connection | None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            pass
        try:
            if self.path.exists() and os.stat(self.path).st_uid != os.getuid():
                return None  # pickles from a file someone else wrote are never loaded
        except (OSError, AttributeError):
            return None
        for attempt in range(2):
            try:
                if self.path.exists() and not os.access(self.path.parent, os.W_OK):
                    self.readonly = True
                    db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
                else:
                    db = sqlite3.connect(self.path, timeout=30)
                    db.execute("PRAGMA journal_mode=WAL")
                    db.execute("CREATE TABLE IF NOT EXISTS results (path TEXT PRIMARY KEY, fp TEXT, dev INTEGER,"
                               " ino INTEGER, size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER, data BLOB)")
                    db.execute("CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, fp TEXT, data BLOB)")
                db.execute("SELECT 1 FROM results LIMIT 1")
                return db
            except sqlite3.DatabaseError as e:
                if attempt or "not a database" not in str(e).lower() and "malformed" not in str(e).lower():
                    return None
                try:
                    os.replace(self.path, self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}"))
                except OSError:
                    return None
                self.note = f"the results cache was not a database ({e}); moved it aside and started a new one"
            except OSError:
                return None
        return None

    @property
    def usable(self) -> bool:
        return self._db is not None

    def lookup(self, paths: list[str]) -> Iterator[tuple[str, FileResult | None]]:
        """(path, its stored result when its stat is the stored one, else None) for
        each of ``paths``, asked of the database a batch at a time (the main process
        never holds the whole table)."""
        for i in range(0, len(paths), LOOKUP_BATCH):
            batch = paths[i:i + LOOKUP_BATCH]
            rows: dict[str, tuple] = {}
            if self._db is not None:
                try:
                    rows = {row[0]: row[1:] for row in self._db.execute(
                        f"SELECT path, dev, ino, size, mtime_ns, ctime_ns, data FROM results WHERE fp = ? AND path IN "
                        f"({','.join('?' * len(batch))})", (self.fp, *batch))}
                except sqlite3.Error:
                    self._db = None
            for path in batch:
                row = rows.get(path)
                yield path, (self._hit(path, row) if row is not None else None)

    @staticmethod
    def _hit(path: str, row: tuple) -> FileResult | None:
        if tuple(row[:5]) != stat_key(path):
            return None
        try:
            return _load(path, row[5])
        except Exception:  # an unreadable record is a miss
            return None

    def store(self, fr: FileResult) -> None:
        """Keep ``fr`` under the stat its worker took before reading the file."""
        key = fr.stat_key
        if key is None or self._db is None or self.readonly or not _cacheable(fr):
            return
        if key[3] >= (time.time() - RACY_SECONDS) * 1e9:
            return  # changed just now: a second change could keep this stat
        self._pending.append((fr.path, self.fp, *key, _dump(fr)))
        if len(self._pending) >= WRITE_BATCH:
            self._flush()

    def _flush(self) -> None:
        rows, self._pending = self._pending, []
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO results (path, fp, dev, ino, size, mtime_ns, ctime_ns,"
                                     " data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        except sqlite3.Error:
            self.readonly = True  # a full disk, a lock held too long: stop writing, keep checking

    def verdicts(self, keys: list[str]) -> dict[str, tuple]:
        """The stored (verdict, evidence, trace) of each of ``keys`` this fingerprint has
        (``folint.index.verify``: tree findings, keyed by the contents they were judged on)."""
        out: dict[str, tuple] = {}
        if self._db is None:
            return out
        for i in range(0, len(keys), LOOKUP_BATCH):
            batch = keys[i:i + LOOKUP_BATCH]
            try:
                rows = self._db.execute(f"SELECT key, data FROM verdicts WHERE fp = ? AND key IN "
                                        f"({','.join('?' * len(batch))})", (self.fp, *batch)).fetchall()
            except sqlite3.Error:  # an old database without the table, a lock: no verdicts
                return out
            for key, data in rows:
                try:
                    out[key] = pickle.loads(data)
                except Exception:  # an unreadable record is a miss
                    pass
        return out

    def store_verdicts(self, verdicts: dict[str, tuple]) -> None:
        """Keep ``verdicts`` (key -> (verdict, evidence, trace)); not one the simulator's time
        limit decided.  Stored again on a hit, so the newest VERDICTS_KEPT rows are the ones kept."""
        if self._db is None or self.readonly or not verdicts:
            return
        rows = [(k, self.fp, pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL)) for k, v in verdicts.items()
                if TIME_LIMIT not in v[1]]
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO verdicts (key, fp, data) VALUES (?, ?, ?)", rows)
                self._db.execute("DELETE FROM verdicts WHERE rowid <= (SELECT MAX(rowid) FROM verdicts) - ?",
                                 (VERDICTS_KEPT,))
        except sqlite3.Error:
            self.readonly = True

    def close(self) -> None:
        if self._db is None:
            return
        if self._pending and not self.readonly:
            self._flush()
        if not self.readonly:
            try:
                with self._db:
                    code = self.fp.partition(":")[0]
                    self._db.execute("DELETE FROM results WHERE fp NOT LIKE ?", (code + ":%",))
                    self._db.execute("DELETE FROM verdicts WHERE fp NOT LIKE ?", (code + ":%",))
            except sqlite3.Error:
                pass
        self._db.close()
        self._db = None
