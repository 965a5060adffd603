"""Facts about which folio helpers a tree has.

``folio_helpers``: the sorted list of ``folio_*`` functions declared or defined at
file level in the main folio headers (``FILES``); macro-generated flag accessors
(``folio_test_dirty()``) are not in it.

``mapped_shared_helper``: ``{"name": ..., "returns": "bool" | "count"}``, what the
tree offers to ask "is this (possibly large) folio mapped by more than one
process?": ``folio_maybe_mapped_shared()`` (mainline from 6.15),
``folio_likely_mapped_shared()`` (6.7 on), or ``folio_estimated_sharers()`` (6.3,
also in later 6.1 stable releases), the first the tree declares.  A count is used
as ``folio_estimated_sharers(folio) > 1``.
"""

from __future__ import annotations

from collections.abc import Mapping

from folint.facts.ctext import declared_names
from folint.facts.model import FactKind, Reading

FILES = ("include/linux/mm.h", "include/linux/rmap.h", "include/linux/pagemap.h", "include/linux/highmem.h",
         "include/linux/huge_mm.h", "include/linux/swap.h", "include/linux/mm_inline.h",
         "include/linux/page-flags.h", "include/linux/mm_types.h")
SHARED_HELPERS = (("folio_maybe_mapped_shared", "bool"), ("folio_likely_mapped_shared", "bool"),
                  ("folio_estimated_sharers", "count"))


def _declared(files: Mapping[str, bytes]) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in FILES:
        raw = files.get(path)
        if raw is None:
            continue
        for name, line in declared_names(raw.decode("utf-8", "replace"), r"folio_\w+").items():
            found.setdefault(name, f"{path}:{line}")
    return found


def read_helpers(files: Mapping[str, bytes]) -> Reading | None:
    found = _declared(files)
    return Reading(sorted(found), found) if found else None


def read_shared_helper(files: Mapping[str, bytes]) -> Reading | None:
    found = _declared(files)
    if not found:
        return None
    for name, returns in SHARED_HELPERS:
        if name in found:
            return Reading({"name": name, "returns": returns}, {name: found[name]})
    return None


def _builtin_helpers():
    from folint.facts.tables import FOLIO_HELPERS

    return FOLIO_HELPERS


KINDS = [
    FactKind("folio_helpers", "folio_* functions the folio headers declare",
             FILES, read_helpers, _builtin_helpers()),
    FactKind("mapped_shared_helper", "the helper that tells whether a large folio is mapped by more than one process",
             FILES, read_shared_helper,
             {"6.1": {"name": "folio_estimated_sharers", "returns": "count"},
              "6.12": {"name": "folio_likely_mapped_shared", "returns": "bool"}}),
]
