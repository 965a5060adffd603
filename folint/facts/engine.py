"""The facts of one check: find the kinds, read the tree's files (or the cache),
fall back to the built-in tables.

``facts_for_targets(targets)`` is what a check uses: the tree holding the first
target (``folint.facts.tree``), else the built-in tables.  ``facts_for_root(root)``
is for check-patch (``--tree``) and ``folint facts TREE``.  Rule packs add kinds
through the ``folint_api_facts(registry)`` hook.
"""

from __future__ import annotations

import functools
from pathlib import Path

from folint.facts import helpers, kmap_helpers, lookups, page_flags, counters, ranges
from folint.facts.cache import FactsCache, fact_key
from folint.facts.model import Fact, FactKind, Facts, FactsRegistry, Reading, builtin_version
from folint.facts.tree import find_tree_root, root_for_targets, tree_version
from folint.reading import read_regular

BUILTIN_MODULES = (page_flags, lookups, helpers, kmap_helpers, counters, ranges)
MAX_FACT_FILE = 8 * 1024 * 1024


def build_registry(plugin_manager=None) -> FactsRegistry:
    """The built-in kinds, then those of every plugin implementing ``folint_api_facts``."""
    registry = FactsRegistry()
    for module in BUILTIN_MODULES:
        for kind in module.KINDS:
            registry.add(kind)
    if plugin_manager is None:
        from folint.plugins import plugin_manager as default_pm

        plugin_manager = default_pm()
    plugin_manager.hook.folint_api_facts(registry=registry)
    return registry


def _read_files(root: Path, paths: tuple[str, ...]) -> dict[str, bytes]:
    """The kind's files that are regular files of at most MAX_FACT_FILE bytes, read
    through ``folint.reading`` (checked after opening: a file swapped for a FIFO or a
    huge file between a test and the read cannot hang the check or fill memory)."""
    out = {}
    for rel in paths:
        try:
            out[rel] = read_regular(str(root / rel), MAX_FACT_FILE)
        except OSError:  # ReadError is one: missing, not regular, too big
            continue
    return out


def _builtin_fact(kind: FactKind, version: str | None, why: str = "") -> Fact:
    v = builtin_version(kind, version)
    return Fact(kind.name, kind.builtin[v], f"built-in table for {v}{why}", True)


def _tree_fact(kind: FactKind, reading: Reading, files: dict[str, bytes]) -> Fact:
    used = []
    for where in reading.where.values():
        path = where.split(":", 1)[0]
        if path not in used:
            used.append(path)
    used = [p for p in kind.files if p in used] or [p for p in kind.files if p in files]
    return Fact(kind.name, reading.value, ", ".join(used), False, dict(reading.where))


def facts_for_root(root: str | Path | None, *, cache: bool = True, cache_dir: str | None = None,
                   registry: FactsRegistry | None = None) -> Facts:
    """Every kind's fact for the tree at ``root`` (None: the built-in tables)."""
    registry = registry if registry is not None else build_registry()
    if root is None:
        return Facts({k.name: _builtin_fact(k, None) for k in registry})
    root = Path(root)
    version = tree_version(root)
    store = None
    if cache:
        from folint.index.cache import default_cache_dir

        store = FactsCache(cache_dir or default_cache_dir())
    facts: dict[str, Fact] = {}
    try:
        for kind in registry:
            files = _read_files(root, kind.files)
            reading: Reading | None | bool = False
            key = fact_key(kind, files) if files else None
            if store is not None and key is not None:
                reading = store.get(key)
            if reading is False:
                try:
                    reading = kind.read(files) if files else None
                except Exception:  # a reader bug must not stop the check: use the table
                    reading = None
                if store is not None and key is not None:
                    store.put(key, reading)
            if reading is None:
                facts[kind.name] = _builtin_fact(kind, version, f" ({', '.join(kind.files[:2])} "
                                                                f"{'not found' if not files else 'did not say'})")
            else:
                facts[kind.name] = _tree_fact(kind, reading, files)
    finally:
        if store is not None:
            store.close()
    return Facts(facts, str(root), version)


def facts_for_targets(targets: list[str], **kw) -> Facts:
    """The facts for a check of ``targets``: their kernel tree's, else the built-in tables."""
    return facts_for_root(root_for_targets(targets or ["."]), **kw)


@functools.lru_cache(maxsize=1)
def builtin_facts() -> Facts:
    """The built-in tables alone (the newest version): what a rule sees outside a run."""
    return facts_for_root(None)


__all__ = ["build_registry", "builtin_facts", "facts_for_root", "facts_for_targets", "find_tree_root"]
