"""The records of the API facts engine: a fact, a kind of fact, the registry of kinds.

A *kind* of fact (``FactKind``) says which files of a kernel tree it reads, how to
read them (``read(files) -> Reading | None``) and what to use without a tree (its
built-in tables, one per kernel version it was checked against).  A *fact*
(``Fact``) is one kind's answer for one tree: the value, where it came from and,
per item, where exactly.  Values are plain JSON data (lists, dicts, strings) so
they cache and pickle cheaply; each kind documents its value's shape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reading:
    """What a reader found in the tree: the value and, per item, where (``"file:line"``)."""

    value: Any
    where: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FactKind:
    """One kind of fact.  ``files``: paths relative to the tree root, read as bytes
    (a missing file is absent from the mapping ``read`` gets).  ``read`` returns
    None when the files do not say (then the built-in table is used).  ``builtin``:
    kernel version ("6.12") -> value, used without a tree or when the tree does not
    say.  ``summary``: one line for ``folint facts``."""

    name: str
    summary: str
    files: tuple[str, ...]
    read: Callable[[Mapping[str, bytes]], Reading | None]
    builtin: Mapping[str, Any]


@dataclass(frozen=True)
class Fact:
    """One kind's answer.  ``source`` is what a message says: the files read
    ("include/linux/pagemap.h, mm/filemap.c") or "built-in table for 6.12".
    ``builtin`` is True for the second.  ``where``: item -> "file:line"."""

    name: str
    value: Any
    source: str
    builtin: bool
    where: dict[str, str] = field(default_factory=dict)


class FactsRegistry:
    """The kinds of fact known to this run: the built-in ones and those rule packs add
    through the ``folint_api_facts(registry)`` hook."""

    def __init__(self):
        self.kinds: dict[str, FactKind] = {}

    def add(self, kind: FactKind) -> None:
        """Add a kind; a later kind of the same name replaces an earlier one."""
        if not kind.builtin:
            raise ValueError(f"fact {kind.name}: give at least one built-in table (version -> value)")
        self.kinds[kind.name] = kind

    def __contains__(self, name: str) -> bool:
        return name in self.kinds

    def __iter__(self):
        return iter(self.kinds.values())


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def builtin_version(kind: FactKind, tree_version: str | None) -> str:
    """The built-in table to use: the newest not newer than the tree's version, else
    the oldest; without a version, the newest."""
    versions = sorted(kind.builtin, key=version_key)
    if tree_version is None:
        return versions[-1]
    older = [v for v in versions if version_key(v) <= version_key(tree_version)]
    return older[-1] if older else versions[0]


class Facts:
    """The facts of one check, by name.  Rules read ``facts.get(name)`` (the value),
    ``facts.source(name)`` (for the message) and ``facts.where(name, item)``."""

    def __init__(self, facts: dict[str, Fact], root: str | None = None, version: str | None = None):
        self._facts = facts
        self.root = root          # the tree read, or None (built-in tables only)
        self.version = version    # the tree's VERSION.PATCHLEVEL, when known

    def fact(self, name: str) -> Fact:
        try:
            return self._facts[name]
        except KeyError:
            raise KeyError(f"no API fact named {name!r}; known: {', '.join(sorted(self._facts))}") from None

    def get(self, name: str) -> Any:
        return self.fact(name).value

    def source(self, name: str) -> str:
        return self.fact(name).source

    def where(self, name: str, item: str) -> str:
        """Where ``item`` of fact ``name`` was read ("include/linux/pagemap.h:795"), else the fact's source."""
        fact = self.fact(name)
        return fact.where.get(item) or fact.source

    def names(self) -> list[str]:
        return sorted(self._facts)

    def __iter__(self):
        return iter(self._facts[n] for n in self.names())

    def __contains__(self, name: str) -> bool:
        return name in self._facts
