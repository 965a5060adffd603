"""Facts from the folio lookups' definitions: what each returns when it finds nothing.

``lookup_returns``: ``{function: "err_ptr" | "null" | "err_ptr_or_null"}`` for the
functions returning ``struct folio *`` in the page cache and shmem headers and
sources.  Read, in this order, from the body's own ``return ERR_PTR(...)`` / ``return
NULL`` (what the code does wins: 6.12's filemap_get_incore_folio() returns
ERR_PTR(-ENOENT) while its kerneldoc still says NULL), else from the function's
kerneldoc ``Return:`` line (in any of the files), else from a body whose every
return returns another lookup (``return __filemap_get_folio(...)``: the same convention).  A function none of these decides
is left out.  ``where`` says which line decided.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from folint.facts.ctext import CFunction, KernelDoc, functions_returning, kerneldocs
from folint.facts.model import FactKind, Reading

FILES = ("include/linux/pagemap.h", "mm/filemap.c", "include/linux/shmem_fs.h", "mm/shmem.c", "mm/swap_state.c",
         "fs/iomap/buffered-io.c", "mm/memfd.c", "mm/ksm.c", "mm/hugetlb.c")
ERR_PTR, NULL, BOTH = "err_ptr", "null", "err_ptr_or_null"



def _returned_calls(body: str) -> list[str] | None:
    """The callees of a body whose every return statement returns a call's result."""
    returns = re.findall(r"\breturn\b\s*([^;]*);", body)
    calls = [re.match(r"(\w+)\s*\(", r.strip()) for r in returns]
    if not returns or not all(calls):
        return None
    return [m.group(1) for m in calls]


def convention_of_text(text: str) -> str | None:
    err = "ERR_PTR" in text or "error pointer" in text.lower()
    null = bool(re.search(r"%?\bNULL\b", text))
    if err and null:
        return BOTH
    return ERR_PTR if err else NULL if null else None


def _from_doc(doc: KernelDoc) -> str | None:
    ret = doc.section("Return")
    if ret is not None:
        return convention_of_text(ret)
    m = re.search(r"[^.]*\b(?:NULL|ERR_PTR)\b[^.]*\bis returned\b|\breturns?\s+%?(?:NULL|ERR_PTR)", doc.text)
    return convention_of_text(m.group(0)) if m else None


def _from_body(body: str) -> str | None:
    err = re.search(r"\breturn\s+ERR_PTR\s*\(", body) is not None
    null = re.search(r"\breturn\s+NULL\s*;", body) is not None
    if err and null:
        return BOTH
    return ERR_PTR if err else NULL if null else None


def read_lookups(files: Mapping[str, bytes]) -> Reading | None:
    docs: dict[str, tuple[str, KernelDoc]] = {}
    defs: dict[str, tuple[str, CFunction]] = {}
    for path in FILES:
        raw = files.get(path)
        if raw is None:
            continue
        text = raw.decode("utf-8", "replace")
        for name, doc in kerneldocs(text).items():
            docs.setdefault(name, (path, doc))
        for name, fn in functions_returning(text, "struct folio *").items():
            if name not in defs or (defs[name][1].body is None and fn.body is not None):
                defs[name] = (path, fn)
    if not defs:
        return None
    value: dict[str, str] = {}
    where: dict[str, str] = {}
    for name, (path, fn) in defs.items():
        said = _from_doc(docs[name][1]) if name in docs else None
        done = _from_body(fn.body) if fn.body is not None else None
        if done is not None:  # what the code does wins over what its comment says
            value[name] = done
            where[name] = f"{path}:{fn.line} (its return statements" + (
                f"; the kerneldoc at {docs[name][0]}:{docs[name][1].line} says {said})" if said not in (None, done)
                else ")")
        elif said is not None:
            value[name], where[name] = said, f"{docs[name][0]}:{docs[name][1].line} (kerneldoc Return:)"
    changed = True
    while changed:  # delegation, to a fixed point: filemap_get_folio -> __filemap_get_folio
        changed = False
        for name, (path, fn) in defs.items():
            if name in value or fn.body is None:
                continue
            callees = _returned_calls(fn.body)
            if callees and all(c in value for c in callees):
                convs = {value[c] for c in callees}
                value[name] = convs.pop() if len(convs) == 1 else BOTH
                where[name] = f"{path}:{fn.line} (returns {', '.join(f'{c}()' for c in sorted(set(callees)))})"
                changed = True
    return Reading(dict(sorted(value.items())), where)


# The lookups other code calls (file-local helpers such as next_uptodate_folio() left out).
PUBLIC = ("__filemap_get_folio", "filemap_get_folio", "filemap_lock_folio", "filemap_grab_folio",
          "read_cache_folio", "read_mapping_folio", "mapping_read_folio_gfp", "shmem_read_folio",
          "shmem_read_folio_gfp", "filemap_get_incore_folio", "swap_cache_get_folio", "readahead_folio",
          "__readahead_folio", "iomap_get_folio", "memfd_alloc_folio", "ksm_might_need_to_copy",
          "alloc_hugetlb_folio")


def _builtin():
    from folint.facts.tables import LOOKUP_RETURNS

    return LOOKUP_RETURNS


KINDS = [
    FactKind("lookup_returns", "what each folio lookup returns when it finds nothing (err_ptr, null)",
             FILES, read_lookups, _builtin()),
]
