"""The facts cache: one SQLite table beside the tree index cache (same folder,
``folint.index.cache.default_cache_dir()`` or ``--cache-dir``).

A key is ``<kind>:<reader fingerprint>:<hash of the files read>``: the reader's
fingerprint is a hash of the source of the module that reads that kind, and the
files' hash covers each file's path and content hash, so a changed header (or a
changed reader) misses only its own facts.  A cache that cannot be opened or
written is skipped silently: facts are cheap to read again.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import sqlite3
from pathlib import Path

from folint.facts.model import FactKind, Reading
from folint.index.cache import content_hash

DB_NAME = "facts-v1.sqlite3"


@functools.lru_cache(maxsize=64)
def _module_fingerprint(module_name: str) -> str:
    import sys

    module = sys.modules.get(module_name)
    try:
        source = inspect.getsource(module) if module is not None else module_name
    except (OSError, TypeError):
        source = module_name
    return hashlib.blake2b(source.encode(), digest_size=8).hexdigest()


def fact_key(kind: FactKind, files: dict[str, bytes]) -> str:
    h = hashlib.blake2b(digest_size=16)
    for path in kind.files:
        h.update(path.encode() + b"\0" + (content_hash(files[path]).encode() if path in files else b"-") + b"\0")
    return f"{kind.name}:{_module_fingerprint(getattr(kind.read, '__module__', '') or '')}:{h.hexdigest()}"


class FactsCache:
    def __init__(self, folder: str | Path):
        self.path = Path(folder) / DB_NAME
        self._db = None
        try:
            Path(folder).mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=10)
            self._db.execute("CREATE TABLE IF NOT EXISTS facts (key TEXT PRIMARY KEY, data TEXT)")
        except (sqlite3.Error, OSError):
            self._db = None

    def get(self, key: str) -> Reading | None | bool:
        """The cached reading, None when the files said nothing, False on a miss."""
        if self._db is None:
            return False
        try:
            row = self._db.execute("SELECT data FROM facts WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return False
        if row is None:
            return False
        data = json.loads(row[0])
        return None if data is None else Reading(data["value"], data["where"])

    def put(self, key: str, reading: Reading | None) -> None:
        if self._db is None:
            return
        data = None if reading is None else {"value": reading.value, "where": reading.where}
        try:
            with self._db:
                self._db.execute("INSERT OR REPLACE INTO facts (key, data) VALUES (?, ?)", (key, json.dumps(data)))
        except sqlite3.Error:
            pass

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
