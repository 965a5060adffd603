"""The on-disk cache of file summaries, keyed by each file's content hash.

One SQLite database under the user's cache folder (``$XDG_CACHE_HOME/folint``,
else ``~/.cache/folint``; found with platformdirs), never inside the checked
tree unless the user names a folder there with ``--cache-dir``.  A key is
``<fingerprint>:<content hash>``: the fingerprint changes whenever the code
that extracts summaries (or the parser) changes, so a new folint never reads
stale summaries, and a changed file misses only its own entry.

A database that is not one (a torn copy, junk) is moved aside once, with a
note, and a new one started; a cache folder or file we may not write is used
read-only (its summaries are read, nothing new is stored).
Worker processes only read (each opens its own connection after the fork);
the main process writes the new summaries in one transaction per run.  A
second table remembers each file's (size, mtime, inode) -> hash, so building
an index of an unchanged tree (check-patch, the hook) reads no file at all.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sqlite3
import time
from importlib import metadata
from pathlib import Path

import platformdirs

from folint.finding import FileError

SCHEMA = 3  # 3: call arguments and entries read through folint.index.records
DB_NAME = f"index-v{SCHEMA}.sqlite3"
NO_SUMMARY = "-"  # a file without the index needles: nothing to summarise
# The modules whose code decides what a summary holds (a folder: each of its modules).
_FINGERPRINT_MODULES = ("index/summary.py", "index/summary_defs.py", "index/summary_calls.py", "index/records.py",
                        "kernel_c/", "parsing.py", "source.py", "cnodes.py", "vocab.py")


class CacheError(Exception):
    """The cache cannot be used; the run goes on without it."""


def _corrupt_error(e: sqlite3.Error) -> bool:
    text = str(e).lower()
    return "not a database" in text or "malformed" in text or "corrupt" in text


def _read_only_error(e: sqlite3.Error) -> bool:
    text = str(e).lower()
    return "readonly" in text or "read-only" in text or "unable to open" in text


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/folint`` (an absolute XDG_CACHE_HOME only), else ``~/.cache/folint``."""
    return platformdirs.user_cache_path("folint")


@functools.lru_cache(maxsize=1)
def fingerprint() -> str:
    """A short hash of the summary-extraction code and the parser versions."""
    h = hashlib.blake2b(digest_size=8)
    root = Path(__file__).resolve().parent.parent
    for rel in _FINGERPRINT_MODULES:
        paths = sorted((root / rel).glob("*.py")) if rel.endswith("/") else [root / rel]
        for path in paths or [root / rel]:
            try:
                h.update(path.read_bytes())
            except OSError:
                h.update(rel.encode())
    hash_parser_versions(h)
    return h.hexdigest()


def hash_parser_versions(h) -> None:
    """Feed the installed tree-sitter and tree-sitter-c versions into the hash ``h``: a
    cached result of another parser is another result."""
    for dist in ("tree-sitter", "tree-sitter-c"):
        try:
            h.update(metadata.version(dist).encode())
        except metadata.PackageNotFoundError:
            pass


def content_hash(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


class SummaryCache:
    """Summaries by content hash, plus the last seen hash of each file by its stat."""

    def __init__(self, folder: str | os.PathLike, *, readonly: bool = False):
        self.folder = Path(folder)
        self.path = self.folder / DB_NAME
        self.fp = fingerprint()
        self.readonly = readonly
        self.note: str | None = None  # what opening did that the user should hear about (one line)
        try:
            if readonly:
                self._db = self._open_readonly()
            else:
                self._open_writable()
            self._db.execute("SELECT 1 FROM summaries LIMIT 1")
        except (sqlite3.Error, OSError) as e:
            raise CacheError(f"{self.path}: cannot use the index cache ({e}); "
                             f"delete the file or pass --no-cache") from None

    def _open_readonly(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)

    def _open_writable(self) -> None:
        """Open (or create) the database for writing.  A folder or file we may not write
        is used read-only; a file that is not a database is moved aside, once, and a new
        one started, and ``note`` says so."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            if not self.path.exists():
                raise
        if self.path.exists() and not (os.access(self.path, os.W_OK) and os.access(self.folder, os.W_OK)):
            self._use_readonly()
            return
        try:
            self._create()
        except sqlite3.DatabaseError as e:
            if _read_only_error(e):
                self._use_readonly()
                return
            if not _corrupt_error(e):
                raise
            self._db.close()
            aside = self._move_aside()
            self._create()
            self.note = (f"the index cache was not a database ({e}); moved it aside to {aside.name} "
                         f"and started a new one")

    def _use_readonly(self) -> None:
        self.readonly = True
        self._db = self._open_readonly()

    def _create(self) -> None:
        self._db = sqlite3.connect(self.path, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(
            "CREATE TABLE IF NOT EXISTS summaries (key TEXT PRIMARY KEY, fp TEXT, data TEXT);"
            "CREATE INDEX IF NOT EXISTS summaries_fp ON summaries(fp);"
            "CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER,"
            " ino INTEGER, hash TEXT);"
            "CREATE TABLE IF NOT EXISTS names (name TEXT, key TEXT);"
            "CREATE INDEX IF NOT EXISTS names_name ON names(name);"
            "CREATE TABLE IF NOT EXISTS trees (root TEXT PRIMARY KEY, fp TEXT);"
            "CREATE TABLE IF NOT EXISTS searched (key TEXT PRIMARY KEY, fp TEXT, data TEXT);")
        self._db.execute("SELECT 1 FROM summaries LIMIT 1")

    def _move_aside(self) -> Path:
        aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}-{os.getpid()}")
        os.replace(self.path, aside)
        for suffix in ("-wal", "-shm"):
            extra = self.path.with_name(self.path.name + suffix)
            try:
                os.replace(extra, aside.with_name(aside.name + suffix))
            except FileNotFoundError:
                pass
        return aside

    def close(self) -> None:
        self._db.close()

    # -- summaries --------------------------------------------------------------
    def key(self, digest: str) -> str:
        return f"{self.fp}:{digest}"

    def get(self, digest: str) -> dict | None:
        try:
            row = self._db.execute("SELECT data FROM summaries WHERE key = ?", (self.key(digest),)).fetchone()
        except sqlite3.Error:
            return None
        return json.loads(row[0]) if row else None

    def get_many(self, digests: list[str]) -> dict[str, dict]:
        out = {}
        for i in range(0, len(digests), 500):
            chunk = [self.key(d) for d in digests[i:i + 500]]
            marks = ",".join("?" * len(chunk))
            for key, data in self._db.execute(f"SELECT key, data FROM summaries WHERE key IN ({marks})", chunk):
                out[key.split(":", 1)[1]] = json.loads(data)
        return out

    def current_digests(self) -> set[str]:
        """Digests that have a summary written by this folint version."""
        return {k.partition(":")[2] for (k,) in self._db.execute("SELECT key FROM summaries WHERE fp = ?", (self.fp,))}

    def digests_naming(self, names: set[str]) -> set[str]:
        """Digests of the summaries (of this folint version) that mention any of ``names``."""
        out: set[str] = set()
        names = sorted(names)
        for i in range(0, len(names), 500):
            chunk = names[i:i + 500]
            marks = ",".join("?" * len(chunk))
            for (key,) in self._db.execute(f"SELECT DISTINCT key FROM names WHERE name IN ({marks})", chunk):
                fp, _, digest = key.partition(":")
                if fp == self.fp:
                    out.add(digest)
        return out

    def put_many(self, items: dict[str, dict]) -> None:
        """Store summaries by digest and drop those written by another folint version
        (nothing, on a cache used read-only)."""
        if not items or self.readonly:
            return
        from folint.index.summary import names_in

        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO summaries (key, fp, data) VALUES (?, ?, ?)",
                                     [(self.key(d), self.fp, json.dumps(s, separators=(",", ":")))
                                      for d, s in items.items()])
                self._db.executemany("DELETE FROM names WHERE key = ?", [(self.key(d),) for d in items])
                self._db.executemany("INSERT INTO names (name, key) VALUES (?, ?)",
                                     [(n, self.key(d)) for d, s in items.items() for n in names_in(s)])
                self._db.execute("DELETE FROM summaries WHERE fp != ?", (self.fp,))
                self._db.execute("DELETE FROM names WHERE key NOT LIKE ?", (self.fp + ":%",))
        except sqlite3.Error as e:
            raise CacheError(f"{self.path}: cannot write the index cache ({e}); pass --no-cache") from None

    # -- stat -> hash ------------------------------------------------------------
    def known_hashes(self) -> dict[str, tuple[int, int, int, str]]:
        """path -> (size, mtime_ns, inode, hash) as last seen."""
        return {p: (s, m, i, h) for p, s, m, i, h in self._db.execute("SELECT path, size, mtime_ns, ino, hash FROM files")}

    def put_hashes(self, rows: list[tuple[str, int, int, int, str]]) -> None:
        if not rows or self.readonly:
            return
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO files (path, size, mtime_ns, ino, hash) "
                                     "VALUES (?, ?, ?, ?, ?)", rows)
        except sqlite3.Error as e:
            raise CacheError(f"{self.path}: cannot write the index cache ({e}); pass --no-cache") from None

    # -- trees indexed whole ----------------------------------------------------
    def tree_indexed(self, root: str) -> bool:
        """Whether every file of the tree at ``root`` has its hash and summary here
        (a full index was built by this folint version): then the stat table answers."""
        try:
            row = self._db.execute("SELECT fp FROM trees WHERE root = ?", (os.path.abspath(root),)).fetchone()
        except sqlite3.Error:
            return False
        return row is not None and row[0] == self.fp

    def mark_tree(self, root: str) -> None:
        try:
            with self._db:
                self._db.execute("INSERT OR REPLACE INTO trees (root, fp) VALUES (?, ?)", (os.path.abspath(root), self.fp))
        except sqlite3.Error as e:
            raise CacheError(f"{self.path}: cannot write the index cache ({e}); pass --no-cache") from None

    # -- what name searches found (folint.index.two_stage, folint.index.tree_search) ----
    SEARCH_RECORDS = 64  # kept per folint version; the oldest go first

    def searched_record(self, key: str):
        """The JSON value stored under ``key`` by ``put_searched_record``, or None."""
        try:
            row = self._db.execute("SELECT data FROM searched WHERE key = ? AND fp = ?", (key, self.fp)).fetchone()
        except sqlite3.Error:
            return None
        return json.loads(row[0]) if row else None

    def put_searched_record(self, key: str, value) -> None:
        if self.readonly:
            return
        try:
            with self._db:
                self._db.execute("DELETE FROM searched WHERE fp != ?", (self.fp,))
                self._db.execute("DELETE FROM searched WHERE key = ?", (key,))
                self._db.execute("INSERT INTO searched (key, fp, data) VALUES (?, ?, ?)",
                                 (key, self.fp, json.dumps(value, separators=(",", ":"))))
                self._db.execute("DELETE FROM searched WHERE rowid NOT IN "
                                 "(SELECT rowid FROM searched ORDER BY rowid DESC LIMIT ?)", (self.SEARCH_RECORDS,))
        except sqlite3.Error as e:
            raise CacheError(f"{self.path}: cannot write the index cache ({e}); pass --no-cache") from None

    def searched_clean(self, key: str) -> set[tuple]:
        """(path, size, mtime_ns, inode) of the files searched for name set ``key`` that
        named none of it."""
        value = self.searched_record(key)
        return {tuple(x) for x in value} if value else set()

    def put_searched_clean(self, key: str, files: set[tuple]) -> None:
        self.put_searched_record(key, sorted(list(x) for x in files))

    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM summaries WHERE fp = ?", (self.fp,)).fetchone()[0]


def open_cache(enabled: bool, folder: str | None, targets: list[str], errors: list[FileError]) -> SummaryCache | None:
    """The cache to use, or None (turned off, unusable, or it would land in the checked tree)."""
    if not enabled:
        return None
    if folder is None:
        where = default_cache_dir()
        for t in targets:
            if Path(t).is_dir() and inside(where, Path(t)):
                errors.append(FileError(str(where), "tree index cache not used: it would be inside the checked "
                                                    "tree; pass --cache-dir DIR to put it elsewhere"))
                return None
        folder = str(where)
    try:
        cache = SummaryCache(folder)
        if cache.note:
            errors.append(FileError(str(cache.path), cache.note))
        return cache
    except CacheError as e:
        errors.append(FileError(folder, str(e)))
        return None
