"""Facts about the helpers that copy, zero or map part of a folio (FOL013, FOL014).

``kmap_helpers``: which of :data:`NAMES` the tree declares (a function or a
macro), as a sorted list.  Their presence changes what the rules suggest:
``folio_test_partial_kmap()`` (the "is kmap_local_folio() one page here?" test
that includes CONFIG_DEBUG_KMAP_LOCAL_FORCE_MAP) and ``memcpy_from_folio()`` /
``memcpy_to_folio()`` / ``folio_zero_tail()`` are in 6.12 but not 6.1;
``sg_set_folio()``, ``bvec_set_folio()`` and ``copy_folio_from_iter()`` are also
6.12 only, while ``kmap_local_folio()``, ``bio_add_folio()``,
``folio_zero_range()`` and ``copy_folio_to_iter()`` are in both.
``folio_test_highmem()`` exists in 6.1 only without CONFIG_HIGHMEM (a stub), so
it is listed only where the tree defines it for HIGHMEM too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from folint.facts.ctext import declared_names, line_of, strip_comments
from folint.facts.model import FactKind, Reading

FILES = ("include/linux/highmem.h", "include/linux/highmem-internal.h", "include/linux/page-flags.h",
         "include/linux/scatterlist.h", "include/linux/bio.h", "include/linux/bvec.h", "include/linux/uio.h")
NAMES = ("kmap_local_folio", "folio_test_partial_kmap", "folio_test_highmem", "memcpy_from_folio",
         "memcpy_to_folio", "memcpy_from_file_folio", "folio_zero_tail", "folio_fill_tail", "folio_zero_range",
         "folio_zero_segment", "sg_set_folio", "bio_add_folio", "bio_add_folio_nofail", "bvec_set_folio",
         "copy_folio_to_iter", "copy_folio_from_iter")
_MACRO = re.compile(r"^[ \t]*#[ \t]*define[ \t]+(" + "|".join(NAMES) + r")\(", re.M)
_HIGHMEM_TEST = re.compile(r"^[ \t]*#[ \t]*define[ \t]+folio_test_highmem\(", re.M)


def read_kmap_helpers(files: Mapping[str, bytes]) -> Reading | None:
    found: dict[str, str] = {}
    seen = False
    for path in FILES:
        raw = files.get(path)
        if raw is None:
            continue
        seen = True
        text = raw.decode("utf-8", "replace")
        names = declared_names(text, "|".join(NAMES))
        code = strip_comments(text)
        for m in _MACRO.finditer(code):
            names.setdefault(m.group(1), line_of(text, m.start(1)))
        if path == "include/linux/page-flags.h":
            # 6.1 has only the !CONFIG_HIGHMEM stub (PAGEFLAG_FALSE): no real folio_test_highmem()
            names.pop("folio_test_highmem", None)
            m = _HIGHMEM_TEST.search(code)
            if m:
                names["folio_test_highmem"] = line_of(text, m.start())
        for name, line in names.items():
            found.setdefault(name, f"{path}:{line}")
    if not seen:
        return None
    return Reading(sorted(found), found)


KINDS = [
    FactKind("kmap_helpers", "helpers that map, copy or zero part of a folio, and folio_test_partial_kmap()",
             FILES, read_kmap_helpers,
             {"6.1": sorted(["kmap_local_folio", "folio_zero_range", "folio_zero_segment", "bio_add_folio",
                             "copy_folio_to_iter"]),
              "6.12": sorted(NAMES)}),
]
