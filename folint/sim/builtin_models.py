"""The built-in models: the folio / page / swap vocabulary, error pointers and
a few helpers whose value matters to control flow (``likely``, ``WARN_ON``).

Registered through the ``folint_sim_models`` hook like any plugin's models
(entry point ``sim_models = folint.sim.builtin_models``).
"""

from __future__ import annotations

from folint import hookimpl
from folint.sim.models import NOT_MODELLED, ModelCall, ModelRegistry
from folint.sim.values import ERRNO, ErrPtr, Page, Struct, Sym, Unknown, entry_val, swap_entry

PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
MAX_ERRNO = 4095

CONSTANTS = {
    "PAGE_SHIFT": PAGE_SHIFT, "PAGE_SIZE": PAGE_SIZE, "PAGE_MASK": ~(PAGE_SIZE - 1),
    "PMD_ORDER": 9, "HPAGE_PMD_ORDER": 9, "HPAGE_PMD_NR": 512, "PMD_SHIFT": 21, "PMD_SIZE": 1 << 21,
    "NULL": 0, "true": 1, "false": 0, "MAX_ERRNO": MAX_ERRNO,
    **ERRNO,
}


def _int(v):
    return v if isinstance(v, int) else None


def _order(nr: int):
    return nr.bit_length() - 1 if nr > 0 and nr & (nr - 1) == 0 else None


# -- folios and pages -------------------------------------------------------

def folio_nr_pages(c: ModelCall):
    f = c.path.as_folio(c.args[0]) if c.args else None
    return f.nr if f is not None else NOT_MODELLED


def compound_nr(c: ModelCall):
    p = c.path.as_page(c.args[0]) if c.args else None
    if p is None:
        return NOT_MODELLED
    return p.folio.nr if p.index == 0 else 1  # a tail page is not a compound head


def folio_order(c: ModelCall):
    f = c.path.as_folio(c.args[0]) if c.args else None
    order = _order(f.nr) if f is not None else None
    return order if order is not None else NOT_MODELLED


def compound_order(c: ModelCall):
    p = c.path.as_page(c.args[0]) if c.args else None
    if p is None:
        return NOT_MODELLED
    order = _order(p.folio.nr) if p.index == 0 else 0
    return order if order is not None else NOT_MODELLED


def folio_size(c: ModelCall):
    f = c.path.as_folio(c.args[0]) if c.args else None
    return f.nr * PAGE_SIZE if f is not None else NOT_MODELLED


def folio_shift(c: ModelCall):
    f = c.path.as_folio(c.args[0]) if c.args else None
    order = _order(f.nr) if f is not None else None
    return PAGE_SHIFT + order if order is not None else NOT_MODELLED


def page_size(c: ModelCall):
    p = c.path.as_page(c.args[0]) if c.args else None
    if p is None:
        return NOT_MODELLED
    return (p.folio.nr if p.index == 0 else 1) * PAGE_SIZE


def folio_page(c: ModelCall):
    if len(c.args) != 2:
        return NOT_MODELLED
    f = c.path.as_folio(c.args[0])
    if f is None or not isinstance(c.args[1], (int, Unknown)):
        return NOT_MODELLED
    return Page(f, c.args[1])


def nth_page(c: ModelCall):
    if len(c.args) != 2:
        return NOT_MODELLED
    p = c.path.as_page(c.args[0])
    n = c.args[1]
    if p is None or not isinstance(n, (int, Unknown)):
        return NOT_MODELLED
    if isinstance(n, int) and isinstance(p.index, int):
        return Page(p.folio, p.index + n)
    return Page(p.folio, c.path.unknown(f"index {c.arg_text[0] if c.arg_text else 'page'} + n"))


def page_folio(c: ModelCall):
    p = c.path.as_page(c.args[0]) if c.args else None
    return p.folio if p is not None else NOT_MODELLED


def folio_file_page(c: ModelCall):
    if len(c.args) != 2:
        return NOT_MODELLED
    f = c.path.as_folio(c.args[0])
    n = _int(c.args[1])
    if f is None:
        return NOT_MODELLED
    return Page(f, n & (f.nr - 1) if n is not None else c.path.unknown("index & (nr - 1)"))


def folio_page_idx(c: ModelCall):
    if len(c.args) != 2:
        return NOT_MODELLED
    f = c.path.as_folio(c.args[0])
    p = c.path.as_page(c.args[1])
    if f is None or p is None:
        return NOT_MODELLED
    return p.index if p.folio is f else NOT_MODELLED


def folio_test_large(c: ModelCall):
    f = c.path.as_folio(c.args[0]) if c.args else None
    return int(f.nr > 1) if f is not None else NOT_MODELLED


def folio_test_pmd_mappable(c: ModelCall):
    f = c.path.as_folio(c.args[0]) if c.args else None
    return int(f.nr >= 512) if f is not None else NOT_MODELLED


def page_head(c: ModelCall):
    p = c.path.as_page(c.args[0]) if c.args else None
    return int(p.index == 0 and p.folio.nr > 1) if p is not None and isinstance(p.index, int) else NOT_MODELLED


def page_tail(c: ModelCall):
    p = c.path.as_page(c.args[0]) if c.args else None
    return int(p.index != 0) if p is not None and isinstance(p.index, int) else NOT_MODELLED


def page_compound(c: ModelCall):
    p = c.path.as_page(c.args[0]) if c.args else None
    return int(p.folio.nr > 1) if p is not None else NOT_MODELLED


def compound_head(c: ModelCall):
    p = c.path.as_page(c.args[0]) if c.args else None
    return Page(p.folio, 0) if p is not None else NOT_MODELLED


def folio_pfn(c: ModelCall):
    f = c.path.as_folio(c.args[0]) if c.args else None
    return Sym(("pfn", f.fid), 0, f"pfn({f.label})") if f is not None else NOT_MODELLED


def page_to_pfn(c: ModelCall):
    p = c.path.as_page(c.args[0]) if c.args else None
    if p is None or not isinstance(p.index, int):
        return NOT_MODELLED
    return Sym(("pfn", p.folio.fid), p.index, f"pfn({p.folio.label})")


def pfn_to_page(c: ModelCall):
    s = c.args[0] if c.args else None
    if isinstance(s, Sym) and isinstance(s.base, tuple) and s.base[0] == "pfn":
        folio = c.path.folio_by_id(s.base[1])
        if folio is not None:
            return Page(folio, s.delta)
    return NOT_MODELLED


# -- swap entries --------------------------------------------------------------

def swp_entry(c: ModelCall):
    if len(c.args) != 2:
        return NOT_MODELLED
    t, off = c.args
    if isinstance(t, Sym) and isinstance(off, Sym) and isinstance(t.base, tuple) and isinstance(off.base, tuple) \
            and t.base[0] == "type" and off.base[0] == "offset" and t.base[1] == off.base[1]:
        base = off.base[1]
        return swap_entry(Sym(base, off.delta, off.label[len("offset("):-1]))
    return swap_entry(c.path.unknown(f"swp_entry({', '.join(c.arg_text)})"))


def _entry_sym(c: ModelCall):
    val = entry_val(c.args[0]) if c.args else None
    return val if isinstance(val, Sym) else None


def swp_type(c: ModelCall):
    s = _entry_sym(c)
    return Sym(("type", s.base), 0, f"type({s.label})") if s is not None else NOT_MODELLED


def swp_offset(c: ModelCall):
    s = _entry_sym(c)
    return Sym(("offset", s.base), s.delta, f"offset({s.label})") if s is not None else NOT_MODELLED


def page_swap_entry(c: ModelCall):
    p = c.path.as_page(c.args[0]) if c.args else None
    if p is None or not isinstance(p.index, int):
        return NOT_MODELLED
    base = c.path.folio_swap(p.folio)
    val = base.fields.get("val")
    return swap_entry(val.plus(p.index)) if isinstance(val, Sym) else NOT_MODELLED


def folio_swap(c: ModelCall):
    """folio_swap(entry, folio): the entry of the folio's first page (offset rounded down to nr)."""
    if len(c.args) != 2:
        return NOT_MODELLED
    s = _entry_sym(c)
    f = c.path.as_folio(c.args[1])
    if s is None or f is None:
        return NOT_MODELLED
    return swap_entry(s.plus(-(s.delta % f.nr)))


# -- error pointers and control-flow helpers -----------------------------------

def err_ptr(c: ModelCall):
    """ERR_PTR(e): an error pointer (an ErrPtr value) holding e."""
    v = c.args[0] if c.args else None
    return ErrPtr(v) if isinstance(v, (int, Unknown)) else NOT_MODELLED


def ptr_err(c: ModelCall):
    """PTR_ERR(p): the errno of an error pointer (an int stands for itself)."""
    v = c.args[0] if c.args else None
    if isinstance(v, ErrPtr):
        return v.errno
    return v if v is not None else NOT_MODELLED


def is_err(c: ModelCall):
    v = c.args[0] if c.args else None
    if isinstance(v, ErrPtr):
        return 1
    if isinstance(v, int):
        return int(-MAX_ERRNO <= v < 0)
    if isinstance(v, Unknown):
        return NOT_MODELLED
    return 0  # a model object is a valid pointer


def is_err_or_null(c: ModelCall):
    v = c.args[0] if c.args else None
    if isinstance(v, ErrPtr):
        return 1
    if isinstance(v, int):
        return int(-MAX_ERRNO <= v <= 0)
    if isinstance(v, Unknown):
        return NOT_MODELLED
    return 0


def ptr_err_or_zero(c: ModelCall):
    v = c.args[0] if c.args else None
    if isinstance(v, ErrPtr):
        return v.errno
    if isinstance(v, int):
        return v if -MAX_ERRNO <= v < 0 else 0
    if isinstance(v, Unknown) or v is None:
        return NOT_MODELLED
    return 0


def identity(c: ModelCall):
    return c.args[0] if c.args else NOT_MODELLED


def warn_on(c: ModelCall):
    v = c.args[-1] if c.args else None
    return int(v != 0) if isinstance(v, int) else (v if v is not None else NOT_MODELLED)


def no_op(c: ModelCall):
    return 0


def bug_on(c: ModelCall):
    """``BUG_ON(cond)`` with a condition known to be true: the kernel stops there, so the
    path goes no further (it is not an execution that reaches the code after it).  An
    unknown condition is taken to be false, as before.  (``VM_BUG_ON`` is compiled out
    without CONFIG_DEBUG_VM: it stays a no-op.)"""
    from folint.sim.state import Infeasible

    v = c.path.resolve(c.args[-1]) if c.args else None
    if isinstance(v, int) and v != 0:
        raise Infeasible(f"line {c.line}: BUG_ON({c.arg_text[-1] if c.arg_text else ''}) is true: the kernel stops")
    return 0


def _ints(c: ModelCall, n: int):
    vals = c.args[-n:] if len(c.args) >= n else []
    return vals if len(vals) == n and all(isinstance(v, int) for v in vals) else None


def min_model(c: ModelCall):
    v = _ints(c, 2)
    return min(v) if v else NOT_MODELLED


def max_model(c: ModelCall):
    v = _ints(c, 2)
    return max(v) if v else NOT_MODELLED


def clamp(c: ModelCall):
    """clamp(v, lo, hi) / clamp_t(type, v, lo, hi)."""
    if len(c.args) < 3:
        return NOT_MODELLED
    v, lo, hi = c.args[-3:]
    if not (isinstance(lo, int) and isinstance(hi, int)) or lo > hi:
        return NOT_MODELLED
    if isinstance(v, int):
        return min(max(v, lo), hi)
    return c.path.unknown_in(f"{c.name}({', '.join(c.arg_text)})", lo, hi)


def bit(c: ModelCall):
    v = _ints(c, 1)
    return 1 << v[0] if v and 0 <= v[0] < 128 else NOT_MODELLED


def div_round_up(c: ModelCall):
    v = _ints(c, 2)
    return -(-v[0] // v[1]) if v and v[1] else NOT_MODELLED


def align(c: ModelCall):
    v = _ints(c, 2)
    return -(-v[0] // v[1]) * v[1] if v and v[1] > 0 else NOT_MODELLED


def round_down(c: ModelCall):
    v = _ints(c, 2)
    return v[0] - v[0] % v[1] if v and v[1] > 0 else NOT_MODELLED


def array_size(c: ModelCall):
    from folint.sim.values import Array

    a = c.args[0] if c.args else None
    return len(a.items) if isinstance(a, Array) else NOT_MODELLED


MODELS = {
    "folio_nr_pages": folio_nr_pages, "compound_nr": compound_nr, "thp_nr_pages": compound_nr,
    "folio_order": folio_order, "compound_order": compound_order, "thp_order": compound_order,
    "folio_size": folio_size, "page_size": page_size, "thp_size": page_size, "folio_shift": folio_shift,
    "folio_page": folio_page, "nth_page": nth_page, "page_folio": page_folio, "folio_file_page": folio_file_page,
    "folio_page_idx": folio_page_idx, "compound_head": compound_head,
    "folio_test_large": folio_test_large, "folio_test_pmd_mappable": folio_test_pmd_mappable,
    "PageHead": page_head, "PageTail": page_tail, "PageCompound": page_compound,
    "folio_pfn": folio_pfn, "page_to_pfn": page_to_pfn, "pfn_to_page": pfn_to_page,
    "swp_entry": swp_entry, "swp_type": swp_type, "swp_offset": swp_offset,
    "page_swap_entry": page_swap_entry, "folio_swap": folio_swap,
    "IS_ERR": is_err, "IS_ERR_OR_NULL": is_err_or_null, "PTR_ERR": ptr_err, "ERR_PTR": err_ptr,
    "ERR_CAST": identity, "PTR_ERR_OR_ZERO": ptr_err_or_zero,
    "likely": identity, "unlikely": identity, "READ_ONCE": identity, "data_race": identity,
    "WARN_ON": warn_on, "WARN_ON_ONCE": warn_on, "WARN": warn_on, "WARN_ONCE": warn_on,
    "VM_WARN_ON": warn_on, "VM_WARN_ON_ONCE": warn_on, "VM_WARN_ON_FOLIO": warn_on,
    "VM_WARN_ON_ONCE_FOLIO": warn_on, "VM_WARN_ON_ONCE_PAGE": warn_on,
    "BUG_ON": bug_on, "VM_BUG_ON": no_op, "VM_BUG_ON_FOLIO": no_op, "VM_BUG_ON_PAGE": no_op,
    "cond_resched": no_op, "might_sleep": no_op, "might_fault": no_op, "barrier": no_op,
    "smp_wmb": no_op, "smp_rmb": no_op, "smp_mb": no_op, "lockdep_assert_held": no_op,
    "min": min_model, "max": max_model, "min_t": min_model, "max_t": max_model,
    "clamp": clamp, "clamp_t": clamp, "clamp_val": clamp,
    "BIT": bit, "DIV_ROUND_UP": div_round_up, "ALIGN": align, "round_up": align, "round_down": round_down,
    "ALIGN_DOWN": round_down, "ARRAY_SIZE": array_size,
}


@hookimpl
def folint_sim_models(registry: ModelRegistry) -> None:
    for name, fn in MODELS.items():
        registry.add(name, fn)
    for name, value in CONSTANTS.items():
        registry.add_constant(name, value)


__all__ = ["folint_sim_models", "MODELS", "CONSTANTS", "Struct"]
