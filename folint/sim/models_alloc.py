"""Simulator models of folio allocators, for the oracles that ask whether a folio can be large (FOL008).

``folio_alloc(gfp, order)`` and its relatives (``vma_alloc_folio``,
``__folio_alloc``, ``folio_alloc_mpol``, ``filemap_alloc_folio`` ..., their
``_noprof`` forms) return a folio of ``1 << order`` pages when the order is a
known integer; ``alloc_page()`` (and ``alloc_pages(gfp, 0)``) page 0 of a
one-page folio.  An unknown order leaves the call unmodelled (a folio of the
scenario's size once it is used as one).  Allocation failure is not modelled:
the NULL branch after the call is not explored.
"""

from __future__ import annotations

from folint import hookimpl
from folint.sim.models import NOT_MODELLED, ModelCall, ModelRegistry
from folint.sim.values import Page
from folint.small_folio import FOLIO_ALLOCATORS, ORDERED_PAGE_ALLOCATORS, PAGE_ALLOCATORS

MAX_ORDER = 12


def _order(c: ModelCall, i: int):
    v = c.args[i] if len(c.args) > i else None
    return v if isinstance(v, int) and 0 <= v <= MAX_ORDER else None


def folio_alloc(c: ModelCall):
    order = _order(c, 1)
    if order is None:
        return NOT_MODELLED
    return c.path.new_folio(f"{c.name}() folio", 1 << order)


def alloc_page(c: ModelCall):
    return Page(c.path.new_folio(f"{c.name}() page", 1), 0)


def alloc_pages(c: ModelCall):
    order = _order(c, len(c.args) - 1 if c.name == "alloc_pages_node" else 1)
    if order is None:
        return NOT_MODELLED
    return Page(c.path.new_folio(f"{c.name}() pages", 1 << order), 0)


@hookimpl
def folint_sim_models(registry: ModelRegistry) -> None:
    for name in FOLIO_ALLOCATORS:
        registry.add(name, folio_alloc)
    for name in PAGE_ALLOCATORS:
        registry.add(name, alloc_page)
    for name in ORDERED_PAGE_ALLOCATORS:
        registry.add(name, alloc_pages)
