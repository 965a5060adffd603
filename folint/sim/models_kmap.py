"""Simulator models of temporary page mappings, for the FOL013 / FOL014 oracles.

The simulated configuration is the one where a mapping is one page:
HIGHMEM with a large folio in high memory, or CONFIG_DEBUG_KMAP_LOCAL_FORCE_MAP.
So ``kmap_local_folio(folio, off)``, ``kmap_local_page(page)``, ``kmap_atomic()``,
``kmap()`` return an address that reaches one page: a :class:`Sym` whose base is
a :class:`KMapping` (``avail`` bytes mapped from its start, ``start`` the byte
of the page it starts at).  Address arithmetic with integers keeps the Sym
(``kaddr + 512``: delta 512), so a call given the address shows where in the
mapping it points.  ``folio_test_partial_kmap(f)`` and
``IS_ENABLED(CONFIG_DEBUG_KMAP_LOCAL_FORCE_MAP)`` are true in this
configuration; ``offset_in_page()``, ``offset_in_folio()`` compute, and a
model folio sits at file position 0 (``folio_pos()``).

Helpers for the oracles: :func:`mapping_of` (a value that is an address in a
one-page mapping), :func:`past_mapping` (an event argument pointing past its
mapping) and :func:`int_params` (the integer parameters an expression depends
on, to bind in a scenario).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from tree_sitter import Node

from folint import cnodes, hookimpl
from folint.sim.models import NOT_MODELLED, ModelCall, ModelRegistry
from folint.sim.values import Folio, Page, Sym, Unknown, render

PAGE_SIZE = 4096
_ids = itertools.count(1)


@dataclass(frozen=True)
class KMapping:
    """One page mapped by ``call`` (the call's text): ``avail`` bytes from its start,
    which is byte ``start`` of ``page`` (rendered; ``index`` its index in its folio).
    ``avail`` None: the linear map (``page_address()``), which reaches the whole folio."""

    uid: int
    call: str
    page: str
    start: int | None
    avail: int | None
    index: int | None = None
    tracked = True  # the simulator records its dereferences ("use" events)

    def describe(self) -> str:
        if self.avail is None:
            return f"{self.call} maps the rest of one page ({self.page})"
        return f"{self.call} maps {self.avail} bytes from byte {self.start} of {self.page}"


def _mapping(c: ModelCall, page: str, start, index=None, linear: bool = False) -> Sym:
    start = start % PAGE_SIZE if isinstance(start, int) else None
    avail = PAGE_SIZE - start if start is not None and not linear else None
    m = KMapping(next(_ids), f"{c.name}({', '.join(c.arg_text)})", page, start, avail,
                 index if isinstance(index, int) else None)
    return Sym(m, 0, f"{'address' if linear else 'mapping'} of {page}")


def kmap_local_folio(c: ModelCall):
    if len(c.args) != 2:
        return NOT_MODELLED
    folio = c.path.as_folio(c.args[0])
    off = c.args[1]
    if folio is None:
        return NOT_MODELLED
    page = f"page {off // PAGE_SIZE} of {folio.label}" if isinstance(off, int) else f"a page of {folio.label}"
    return _mapping(c, page, off, off // PAGE_SIZE if isinstance(off, int) else None)


def kmap_page(c: ModelCall, linear: bool = False):
    if not c.args:
        return NOT_MODELLED
    page = c.path.as_page(c.args[0])
    text = render(page) if page is not None else (c.arg_text[0] if c.arg_text else "a page")
    return _mapping(c, text, 0, page.index if page is not None else None, linear)


def page_address(c: ModelCall):
    return kmap_page(c, linear=True)


def offset_in_page(c: ModelCall):
    v = c.args[0] if c.args else None
    if isinstance(v, int):
        return v & (PAGE_SIZE - 1)
    if isinstance(v, Sym) and isinstance(v.base, KMapping) and v.base.start is not None:
        return (v.base.start + v.delta) & (PAGE_SIZE - 1)
    return NOT_MODELLED


def offset_in_folio(c: ModelCall):
    if len(c.args) != 2:
        return NOT_MODELLED
    folio = c.path.as_folio(c.args[0])
    v = c.args[1]
    if folio is None or not isinstance(v, int):
        return NOT_MODELLED
    return v & (folio.nr * PAGE_SIZE - 1)


def folio_pos(c: ModelCall):
    return 0 if c.args and c.path.as_folio(c.args[0]) is not None else NOT_MODELLED


def true(c: ModelCall):
    return 1


def is_enabled(c: ModelCall):
    return 1 if c.arg_text and c.arg_text[0] == "CONFIG_DEBUG_KMAP_LOCAL_FORCE_MAP" else NOT_MODELLED


MODELS = {
    "kmap_local_folio": kmap_local_folio, "kmap_local_page": kmap_page, "kmap_local_page_prot": kmap_page,
    "kmap_atomic": kmap_page, "kmap_atomic_prot": kmap_page, "kmap": kmap_page,
    "page_address": page_address, "lowmem_page_address": page_address,
    "offset_in_page": offset_in_page, "offset_in_folio": offset_in_folio, "folio_pos": folio_pos,
    "folio_test_partial_kmap": true, "IS_ENABLED": is_enabled,
}


@hookimpl
def folint_sim_models(registry: ModelRegistry) -> None:
    for name, fn in MODELS.items():
        registry.add(name, fn)


# -- for the oracles ----------------------------------------------------------------

def mapping_of(v) -> tuple[KMapping, int] | None:
    """(mapping, byte offset into it) when ``v`` is an address in a one-page mapping."""
    if isinstance(v, Sym) and isinstance(v.base, KMapping):
        return v.base, v.delta
    return None


def past_mapping(event, length: int = 1) -> tuple[int, KMapping, int] | None:
    """(argument index, mapping, offset) of the first argument of ``event`` that points
    at or past the end of its mapping (``length`` bytes from it would not fit)."""
    for i, a in enumerate(event.args):
        m = mapping_of(a)
        if m is not None and m[0].avail is not None and (m[1] < 0 or m[1] + length > m[0].avail):
            return i, m[0], m[1]
    return None


INT_TYPES = frozenset({"size_t", "ssize_t", "loff_t", "off_t", "pgoff_t", "int", "unsigned", "unsigned int", "long",
                       "unsigned long", "long long", "unsigned long long", "u8", "u16", "u32", "u64", "s32", "s64",
                       "__u32", "__u64", "sector_t", "unsigned short", "short", "phys_addr_t",
                       "dma_addr_t", "unsigned long long"})


def int_params(fn, node: Node | None, depth: int = 0) -> set[str]:
    """The integer parameters of ``fn`` that ``node`` depends on (through the
    assignments of the locals it names, a few levels deep)."""
    if node is None or depth > 4:
        return set()
    params = {name for name, t in fn.params if t.replace("const ", "").strip() in INT_TYPES}
    out = set()
    for name in cnodes.identifiers(node):
        if name in params:
            out.add(name)
            continue
        for w in fn.writes.get(name, ()):
            out |= int_params(fn, cnodes.written_value(w) or w.child_by_field_name("right"), depth + 1)
    return out


def describe(v) -> str:
    if isinstance(v, (Folio, Page, Unknown)):
        return render(v)
    m = mapping_of(v)
    if m is not None:
        return f"byte {m[1]} of the mapping"
    return render(v)
